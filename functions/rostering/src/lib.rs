//! The Rostering service: the 41 GET endpoints of OneRoster 1.2, each one line of [`ROUTES`]
//! saying what it reads. Served under the service's base path, under the pre-split
//! `/ims/oneroster/v1p2` base some products document, and with the OpenAPI file under
//! `{base}/discovery/`. Query semantics, errors and envelopes come from `oneroster-http`.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use oneroster_http::respond::{self, ListRequest, RequestUrl};
use oneroster_http::trace::Operation;
use oneroster_http::{ApiError, Caller, Endpoint, Gate};
use oneroster_model::{Collection, Relation, View};
use oneroster_openapi::Service;
use oneroster_store::{Listing, Store};
use std::collections::HashMap;
use std::sync::Arc;

/// The pre-split base path that serves the same routes.
pub const ALIAS_BASE: &str = "/ims/oneroster/v1p2";

/// A parent record a nested route hangs off: its collection, the view it must be in, and
/// what a 404 calls it.
#[derive(Debug, Clone, Copy)]
pub struct Parent(Collection, Option<View>, &'static str);

const SCHOOL: Parent = Parent(Collection::Orgs, Some(View::Schools), "school");
const CLASS: Parent = Parent(Collection::Classes, None, "class");
const COURSE: Parent = Parent(Collection::Courses, None, "course");
/// Any academic session: a class's `terms` may name a semester or a school year, and consumers
/// follow them to `/terms/{id}/classes|gradingPeriods`, so those routes do not insist on type
/// `term` (`/terms` and `/terms/{id}` do).
const TERM: Parent = Parent(Collection::AcademicSessions, None, "term");
const USER: Parent = Parent(Collection::Users, None, "user");
const STUDENT: Parent = Parent(Collection::Users, Some(View::Students), "student");
const TEACHER: Parent = Parent(Collection::Users, Some(View::Teachers), "teacher");

/// What an endpoint reads.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    /// Every record of a collection.
    All(Collection),
    /// Every record of a typed view.
    AllOf(View),
    /// One record of a collection (in a view, when given).
    One(Collection, Option<View>),
    /// The children of a parent, optionally only those in a view.
    Related(Relation, Parent, Option<View>),
    /// The children of a class that must belong to the school (`/schools/{s}/classes/{c}/…`).
    ClassInSchool(Relation),
}

/// Every endpoint: OpenAPI path, operationId, what it reads.
pub const ROUTES: [(&str, &str, Target); 41] = {
    use Collection as C;
    use Relation as R;
    use Target::*;
    use View as V;
    [
        ("/academicSessions", "getAllAcademicSessions", All(C::AcademicSessions)),
        ("/academicSessions/{sourcedId}", "getAcademicSession", One(C::AcademicSessions, None)),
        ("/classes", "getAllClasses", All(C::Classes)),
        ("/classes/{classSourcedId}/students", "getStudentsForClass", Related(R::ClassStudents, CLASS, None)),
        ("/classes/{classSourcedId}/teachers", "getTeachersForClass", Related(R::ClassTeachers, CLASS, None)),
        ("/classes/{sourcedId}", "getClass", One(C::Classes, None)),
        ("/courses", "getAllCourses", All(C::Courses)),
        ("/courses/{courseSourcedId}/classes", "getClassesForCourse", Related(R::CourseClasses, COURSE, None)),
        ("/courses/{sourcedId}", "getCourse", One(C::Courses, None)),
        ("/demographics", "getAllDemographics", All(C::Demographics)),
        ("/demographics/{sourcedId}", "getDemographics", One(C::Demographics, None)),
        ("/enrollments", "getAllEnrollments", All(C::Enrollments)),
        ("/enrollments/{sourcedId}", "getEnrollment", One(C::Enrollments, None)),
        ("/gradingPeriods", "getAllGradingPeriods", AllOf(V::GradingPeriods)),
        ("/gradingPeriods/{sourcedId}", "getGradingPeriod", One(C::AcademicSessions, Some(V::GradingPeriods))),
        ("/orgs", "getAllOrgs", All(C::Orgs)),
        ("/orgs/{sourcedId}", "getOrg", One(C::Orgs, None)),
        ("/schools", "getAllSchools", AllOf(V::Schools)),
        ("/schools/{schoolSourcedId}/classes", "getClassesForSchool", Related(R::SchoolClasses, SCHOOL, None)),
        (
            "/schools/{schoolSourcedId}/classes/{classSourcedId}/enrollments",
            "getEnrollmentsForClassInSchool",
            ClassInSchool(R::ClassEnrollments),
        ),
        (
            "/schools/{schoolSourcedId}/classes/{classSourcedId}/students",
            "getStudentsForClassInSchool",
            ClassInSchool(R::ClassStudents),
        ),
        (
            "/schools/{schoolSourcedId}/classes/{classSourcedId}/teachers",
            "getTeachersForClassInSchool",
            ClassInSchool(R::ClassTeachers),
        ),
        ("/schools/{schoolSourcedId}/courses", "getCoursesForSchool", Related(R::OrgCourses, SCHOOL, None)),
        (
            "/schools/{schoolSourcedId}/enrollments",
            "getEnrollmentsForSchool",
            Related(R::SchoolEnrollments, SCHOOL, None),
        ),
        ("/schools/{schoolSourcedId}/students", "getStudentsForSchool", Related(R::SchoolStudents, SCHOOL, None)),
        ("/schools/{schoolSourcedId}/teachers", "getTeachersForSchool", Related(R::SchoolTeachers, SCHOOL, None)),
        ("/schools/{schoolSourcedId}/terms", "getTermsForSchool", Related(R::SchoolTerms, SCHOOL, None)),
        ("/schools/{sourcedId}", "getSchool", One(C::Orgs, Some(V::Schools))),
        ("/students", "getAllStudents", AllOf(V::Students)),
        ("/students/{sourcedId}", "getStudent", One(C::Users, Some(V::Students))),
        ("/students/{studentSourcedId}/classes", "getClassesForStudent", Related(R::UserClasses, STUDENT, None)),
        ("/teachers", "getAllTeachers", AllOf(V::Teachers)),
        ("/teachers/{sourcedId}", "getTeacher", One(C::Users, Some(V::Teachers))),
        ("/teachers/{teacherSourcedId}/classes", "getClassesForTeacher", Related(R::UserClasses, TEACHER, None)),
        ("/terms", "getAllTerms", AllOf(V::Terms)),
        ("/terms/{sourcedId}", "getTerm", One(C::AcademicSessions, Some(V::Terms))),
        ("/terms/{termSourcedId}/classes", "getClassesForTerm", Related(R::TermClasses, TERM, None)),
        (
            "/terms/{termSourcedId}/gradingPeriods",
            "getGradingPeriodsForTerm",
            Related(R::SessionChildren, TERM, Some(V::GradingPeriods)),
        ),
        ("/users", "getAllUsers", All(C::Users)),
        ("/users/{sourcedId}", "getUser", One(C::Users, None)),
        ("/users/{userSourcedId}/classes", "getClassesForUser", Related(R::UserClasses, USER, None)),
    ]
};

/// What every handler shares: the store and the endpoints read from the OpenAPI file.
struct App {
    store: Store,
    endpoints: HashMap<&'static str, Endpoint>,
}

/// The path with its parameters named by position (`{p0}`, `{p1}`), so that routes whose
/// OpenAPI parameter names differ at one position (`/classes/{sourcedId}` and
/// `/classes/{classSourcedId}/students`) share one router.
fn positional(path: &str) -> String {
    let mut position = 0;
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                position += 1;
                format!("{{p{}}}", position - 1)
            } else {
                segment.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The service's router: every route under both bases behind the token [`Gate`], the
/// discovery document (public), and a 404 `imsx_StatusInfo` for anything else.
pub fn router(store: Store, gate: Arc<Gate>) -> Router {
    let endpoints = ROUTES.iter().map(|(_, id, _)| (*id, Endpoint::new(Service::Rostering, id))).collect();
    let app = Arc::new(App { store, endpoints });
    let mut routes = Router::new();
    for (path, operation_id, target) in ROUTES {
        routes =
            routes.route(
                &positional(path),
                get(
                    move |State(app): State<Arc<App>>,
                          caller: Caller,
                          url: RequestUrl,
                          Path(ids): Path<Vec<String>>| async move {
                        let mut response = serve(&app, &caller, operation_id, target, &ids, &url)
                            .await
                            .unwrap_or_else(IntoResponse::into_response);
                        response.extensions_mut().insert(Operation(operation_id));
                        response
                    },
                ),
            );
    }
    let routes = routes.with_state(app);
    let base = Service::Rostering.base_path();
    Router::new()
        .nest(base, routes.clone())
        .nest(ALIAS_BASE, routes)
        .layer(axum::middleware::from_fn_with_state(gate, oneroster_http::authenticate))
        .layer(axum::middleware::from_fn(oneroster_http::trace::request_span))
        .route(&format!("{base}/discovery/"), get(discovery))
        .route(&format!("{base}/discovery"), get(discovery))
        .fallback(|url: RequestUrl| async move { ApiError::NoRoute(url.url) })
}

async fn discovery() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], Service::Rostering.document_text()).into_response()
}

async fn serve(
    app: &App,
    caller: &Caller,
    operation_id: &str,
    target: Target,
    ids: &[String],
    url: &RequestUrl,
) -> Result<Response, ApiError> {
    let endpoint = &app.endpoints[operation_id];
    caller.require_any(&endpoint.scopes)?;
    let tenant = &caller.0.tenant;
    let store = &app.store;
    let id = |i: usize| ids.get(i).map(String::as_str).unwrap_or_default();
    let request: ListRequest = match target {
        Target::One(collection, view) => {
            return respond::one(store, tenant, endpoint, collection, view, id(0), url).await
        }
        Target::All(collection) => Listing::Collection(collection).into(),
        Target::AllOf(view) => Listing::View(view).into(),
        Target::Related(relation, Parent(collection, view, what), only_view) => {
            respond::require(store, tenant, collection, view, id(0), what).await?;
            ListRequest { listing: Listing::Related { relation, parent: id(0).to_owned() }, only_view }
        }
        Target::ClassInSchool(relation) => {
            let Parent(collection, view, what) = SCHOOL;
            respond::require(store, tenant, collection, view, id(0), what).await?;
            let class = respond::require(store, tenant, Collection::Classes, None, id(1), "class").await?;
            let body: serde_json::Value = serde_json::from_str(&class.body)?;
            if body["school"]["sourcedId"] != id(0) {
                return Err(ApiError::NotFound { what: format!("class of school '{}'", id(0)), id: id(1).to_owned() });
            }
            Listing::Related { relation, parent: id(1).to_owned() }.into()
        }
    };
    respond::list(store, tenant, endpoint, request, url).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_routes_are_exactly_the_openapi_operations() {
        let mut served: Vec<(String, String)> =
            ROUTES.iter().map(|(path, id, _)| (path.to_string(), id.to_string())).collect();
        let mut specified: Vec<(String, String)> =
            Service::Rostering.operations().iter().map(|o| (o.path.clone(), o.operation_id.clone())).collect();
        served.sort();
        specified.sort();
        assert_eq!(served, specified);
    }

    #[test]
    fn every_route_has_its_endpoint_and_the_envelope_matches_the_target() {
        for (_, id, target) in ROUTES {
            let endpoint = Endpoint::new(Service::Rostering, id);
            assert_eq!(endpoint.envelope.is_list, !matches!(target, Target::One(..)), "{id}");
        }
    }

    #[test]
    fn positional_names_parameters_by_position() {
        assert_eq!(
            positional("/schools/{schoolSourcedId}/classes/{classSourcedId}/students"),
            "/schools/{p0}/classes/{p1}/students"
        );
        assert_eq!(positional("/users"), "/users");
    }
}
