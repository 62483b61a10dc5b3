//! The Resources service: the 5 GET endpoints of OneRoster 1.2 Resources and the provider's 13
//! extensions (writes of resources and of their links to classes, courses and users; the
//! association collections `classResources` and `courseResources`), each one line of
//! [`ROUTES`], served like every service by `oneroster-http` (base path, discovery, query
//! semantics, errors; the `v1p2` function serves the table under the pre-split base too).
//!
//! `/users/{id}/resources` lists the resources assigned to the user itself (userResources.csv),
//! not those of the user's classes and courses. The service text says only "the collection of
//! resources available to the specified user", and the information model defines a user's
//! `resources` as the resources made available to that user, which the CSV binding carries in
//! userResources.csv; nothing in the specification folds class or course assignments in, and a
//! consumer that wants them reads `/classes/{id}/resources` and `/courses/{id}/resources` for
//! the user's classes. Folding them in would also make one user's list cost reads across all
//! their classes and courses instead of O(page).

use axum::Router;
use oneroster_http::service::{self, Route};
use oneroster_http::Gate;
use oneroster_model::{Collection, Relation};
use oneroster_openapi::Service;
use oneroster_service::routes::{Action, Creates, Read, Write, CLASS, COURSE, USER};
use oneroster_store::Store;
use std::sync::Arc;

/// Every endpoint: OpenAPI path, operationId, what it reads or writes.
pub const ROUTES: [Route; 18] = {
    use Collection as C;
    use Read::*;
    use Write::*;
    [
        (
            "/classes/{classSourcedId}/resources",
            "getResourcesForClass",
            Action::Read(Related(Relation::ClassResources, CLASS, None)),
        ),
        (
            "/courses/{courseSourcedId}/resources",
            "getResourcesForCourse",
            Action::Read(Related(Relation::CourseResources, COURSE, None)),
        ),
        ("/resources", "getAllResources", Action::Read(All(C::Resources))),
        ("/resources/{sourcedId}", "getResource", Action::Read(One(C::Resources, None))),
        (
            "/users/{userSourcedId}/resources",
            "getResourcesForUser",
            Action::Read(Related(Relation::UserResources, USER, None)),
        ),
        // The provider's extensions.
        ("/resources", "postResource", Action::Write(Create(C::Resources, Creates::In(None)))),
        ("/resources/{sourcedId}", "putResource", Action::Write(Put(C::Resources, None))),
        ("/resources/{sourcedId}", "deleteResource", Action::Write(Delete(C::Resources, None))),
        (
            "/classes/{classSourcedId}/resources/{resourceSourcedId}",
            "putResourceForClass",
            Action::Write(Link(C::ClassResources)),
        ),
        (
            "/classes/{classSourcedId}/resources/{resourceSourcedId}",
            "deleteResourceForClass",
            Action::Write(Unlink(C::ClassResources)),
        ),
        (
            "/courses/{courseSourcedId}/resources/{resourceSourcedId}",
            "putResourceForCourse",
            Action::Write(Link(C::CourseResources)),
        ),
        (
            "/courses/{courseSourcedId}/resources/{resourceSourcedId}",
            "deleteResourceForCourse",
            Action::Write(Unlink(C::CourseResources)),
        ),
        (
            "/users/{userSourcedId}/resources/{resourceSourcedId}",
            "putResourceForUser",
            Action::Write(Link(C::UserResources)),
        ),
        (
            "/users/{userSourcedId}/resources/{resourceSourcedId}",
            "deleteResourceForUser",
            Action::Write(Unlink(C::UserResources)),
        ),
        ("/classResources", "getAllClassResources", Action::Read(All(C::ClassResources))),
        ("/classResources/{sourcedId}", "getClassResource", Action::Read(One(C::ClassResources, None))),
        ("/courseResources", "getAllCourseResources", Action::Read(All(C::CourseResources))),
        ("/courseResources/{sourcedId}", "getCourseResource", Action::Read(One(C::CourseResources, None))),
    ]
};

/// The service's router (see [`service::router`]).
pub fn router(store: Store, gate: Arc<Gate>) -> Router {
    service::router(Service::Resources, &ROUTES, store, gate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_routes_are_exactly_the_openapi_operations() {
        assert_eq!(service::route_drift(Service::Resources, &ROUTES), Vec::<String>::new());
    }
}
