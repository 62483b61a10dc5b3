//! The Rostering service: the 41 GET endpoints of OneRoster 1.2, each one line of [`ROUTES`]
//! saying what it reads. Served under the service's base path, under the pre-split
//! `/ims/oneroster/v1p2` base some products document, and with the OpenAPI file under
//! `{base}/discovery/`. Routing, query semantics, errors and envelopes come from
//! `oneroster-http`.

use axum::Router;
use oneroster_http::service::{self, Route, Target, CLASS, COURSE, SCHOOL, STUDENT, TEACHER, TERM, USER};
use oneroster_http::Gate;
use oneroster_model::{Collection, Relation, View};
use oneroster_openapi::Service;
use oneroster_store::Store;
use std::sync::Arc;

/// Every endpoint: OpenAPI path, operationId, what it reads.
pub const ROUTES: [Route; 41] = {
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
            Nested(R::ClassEnrollments, SCHOOL, CLASS, "school"),
        ),
        (
            "/schools/{schoolSourcedId}/classes/{classSourcedId}/students",
            "getStudentsForClassInSchool",
            Nested(R::ClassStudents, SCHOOL, CLASS, "school"),
        ),
        (
            "/schools/{schoolSourcedId}/classes/{classSourcedId}/teachers",
            "getTeachersForClassInSchool",
            Nested(R::ClassTeachers, SCHOOL, CLASS, "school"),
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

/// The service's router (see [`service::router`]).
pub fn router(store: Store, gate: Arc<Gate>) -> Router {
    service::router(Service::Rostering, &ROUTES, store, gate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_routes_are_exactly_the_openapi_operations() {
        assert_eq!(service::route_drift(Service::Rostering, &ROUTES), Vec::<String>::new());
    }
}
