//! The Rostering service: the 41 GET endpoints of OneRoster 1.2, and the provider's 32
//! extension writes (create, replace and delete of each record type; enrol in a class in one
//! call: `oneroster_openapi::extensions`), each one line of [`ROUTES`] saying what it reads or
//! writes. Served under the service's base path, under the pre-split
//! `/ims/oneroster/v1p2` base some products document, and with the OpenAPI file under
//! `{base}/discovery/`. Routing, query semantics, errors and envelopes come from
//! `oneroster-http`. The function also serves the provider's read-only [`attendance`] service
//! under its own base.

pub mod attendance;

use axum::Router;
use oneroster_http::service::{self, Route};
use oneroster_http::Gate;
use oneroster_model::{Collection, Relation, View};
use oneroster_openapi::{Service, Version};
use oneroster_service::routes::{Action, Creates, Read, Write, CLASS, COURSE, SCHOOL, STUDENT, TEACHER, TERM, USER};
use oneroster_store::Store;
use std::sync::Arc;

/// Every endpoint: OpenAPI path, operationId, what it reads or writes.
pub const ROUTES: [Route; 73] = {
    use Collection as C;
    use Creates::{GradingPeriodOfTerm, In, Student, Teacher};
    use Read::*;
    use Relation as R;
    use View as V;
    use Write::{Create, Delete, Put};
    [
        ("/academicSessions", "getAllAcademicSessions", Action::Read(All(C::AcademicSessions))),
        ("/academicSessions/{sourcedId}", "getAcademicSession", Action::Read(One(C::AcademicSessions, None))),
        ("/classes", "getAllClasses", Action::Read(All(C::Classes))),
        (
            "/classes/{classSourcedId}/students",
            "getStudentsForClass",
            Action::Read(Related(R::ClassStudents, CLASS, None)),
        ),
        (
            "/classes/{classSourcedId}/teachers",
            "getTeachersForClass",
            Action::Read(Related(R::ClassTeachers, CLASS, None)),
        ),
        ("/classes/{sourcedId}", "getClass", Action::Read(One(C::Classes, None))),
        ("/courses", "getAllCourses", Action::Read(All(C::Courses))),
        (
            "/courses/{courseSourcedId}/classes",
            "getClassesForCourse",
            Action::Read(Related(R::CourseClasses, COURSE, None)),
        ),
        ("/courses/{sourcedId}", "getCourse", Action::Read(One(C::Courses, None))),
        ("/demographics", "getAllDemographics", Action::Read(All(C::Demographics))),
        ("/demographics/{sourcedId}", "getDemographics", Action::Read(One(C::Demographics, None))),
        ("/enrollments", "getAllEnrollments", Action::Read(All(C::Enrollments))),
        ("/enrollments/{sourcedId}", "getEnrollment", Action::Read(One(C::Enrollments, None))),
        ("/gradingPeriods", "getAllGradingPeriods", Action::Read(AllOf(V::GradingPeriods))),
        (
            "/gradingPeriods/{sourcedId}",
            "getGradingPeriod",
            Action::Read(One(C::AcademicSessions, Some(V::GradingPeriods))),
        ),
        ("/orgs", "getAllOrgs", Action::Read(All(C::Orgs))),
        ("/orgs/{sourcedId}", "getOrg", Action::Read(One(C::Orgs, None))),
        ("/schools", "getAllSchools", Action::Read(AllOf(V::Schools))),
        (
            "/schools/{schoolSourcedId}/classes",
            "getClassesForSchool",
            Action::Read(Related(R::SchoolClasses, SCHOOL, None)),
        ),
        (
            "/schools/{schoolSourcedId}/classes/{classSourcedId}/enrollments",
            "getEnrollmentsForClassInSchool",
            Action::Read(Nested(R::ClassEnrollments, SCHOOL, CLASS, "school")),
        ),
        (
            "/schools/{schoolSourcedId}/classes/{classSourcedId}/students",
            "getStudentsForClassInSchool",
            Action::Read(Nested(R::ClassStudents, SCHOOL, CLASS, "school")),
        ),
        (
            "/schools/{schoolSourcedId}/classes/{classSourcedId}/teachers",
            "getTeachersForClassInSchool",
            Action::Read(Nested(R::ClassTeachers, SCHOOL, CLASS, "school")),
        ),
        (
            "/schools/{schoolSourcedId}/courses",
            "getCoursesForSchool",
            Action::Read(Related(R::OrgCourses, SCHOOL, None)),
        ),
        (
            "/schools/{schoolSourcedId}/enrollments",
            "getEnrollmentsForSchool",
            Action::Read(Related(R::SchoolEnrollments, SCHOOL, None)),
        ),
        (
            "/schools/{schoolSourcedId}/students",
            "getStudentsForSchool",
            Action::Read(Related(R::SchoolStudents, SCHOOL, None)),
        ),
        (
            "/schools/{schoolSourcedId}/teachers",
            "getTeachersForSchool",
            Action::Read(Related(R::SchoolTeachers, SCHOOL, None)),
        ),
        ("/schools/{schoolSourcedId}/terms", "getTermsForSchool", Action::Read(Related(R::SchoolTerms, SCHOOL, None))),
        ("/schools/{sourcedId}", "getSchool", Action::Read(One(C::Orgs, Some(V::Schools)))),
        ("/students", "getAllStudents", Action::Read(AllOf(V::Students))),
        ("/students/{sourcedId}", "getStudent", Action::Read(One(C::Users, Some(V::Students)))),
        (
            "/students/{studentSourcedId}/classes",
            "getClassesForStudent",
            Action::Read(Related(R::UserClasses, STUDENT, None)),
        ),
        ("/teachers", "getAllTeachers", Action::Read(AllOf(V::Teachers))),
        ("/teachers/{sourcedId}", "getTeacher", Action::Read(One(C::Users, Some(V::Teachers)))),
        (
            "/teachers/{teacherSourcedId}/classes",
            "getClassesForTeacher",
            Action::Read(Related(R::UserClasses, TEACHER, None)),
        ),
        ("/terms", "getAllTerms", Action::Read(AllOf(V::Terms))),
        ("/terms/{sourcedId}", "getTerm", Action::Read(One(C::AcademicSessions, Some(V::Terms)))),
        ("/terms/{termSourcedId}/classes", "getClassesForTerm", Action::Read(Related(R::TermClasses, TERM, None))),
        (
            "/terms/{termSourcedId}/gradingPeriods",
            "getGradingPeriodsForTerm",
            Action::Read(Related(R::SessionChildren, TERM, Some(V::GradingPeriods))),
        ),
        ("/users", "getAllUsers", Action::Read(All(C::Users))),
        ("/users/{sourcedId}", "getUser", Action::Read(One(C::Users, None))),
        ("/users/{userSourcedId}/classes", "getClassesForUser", Action::Read(Related(R::UserClasses, USER, None))),
        // The provider's extensions: writes.
        ("/orgs", "postOrg", Action::Write(Create(C::Orgs, In(None)))),
        ("/orgs/{sourcedId}", "putOrg", Action::Write(Put(C::Orgs, None))),
        ("/orgs/{sourcedId}", "deleteOrg", Action::Write(Delete(C::Orgs, None))),
        ("/schools", "postSchool", Action::Write(Create(C::Orgs, In(Some(V::Schools))))),
        ("/schools/{sourcedId}", "putSchool", Action::Write(Put(C::Orgs, Some(V::Schools)))),
        ("/schools/{sourcedId}", "deleteSchool", Action::Write(Delete(C::Orgs, Some(V::Schools)))),
        ("/academicSessions", "postAcademicSession", Action::Write(Create(C::AcademicSessions, In(None)))),
        ("/academicSessions/{sourcedId}", "putAcademicSession", Action::Write(Put(C::AcademicSessions, None))),
        ("/academicSessions/{sourcedId}", "deleteAcademicSession", Action::Write(Delete(C::AcademicSessions, None))),
        ("/terms", "postTerm", Action::Write(Create(C::AcademicSessions, In(Some(V::Terms))))),
        ("/terms/{sourcedId}", "putTerm", Action::Write(Put(C::AcademicSessions, Some(V::Terms)))),
        ("/terms/{sourcedId}", "deleteTerm", Action::Write(Delete(C::AcademicSessions, Some(V::Terms)))),
        (
            "/terms/{termSourcedId}/gradingPeriods",
            "postGradingPeriodForTerm",
            Action::Write(Create(C::AcademicSessions, GradingPeriodOfTerm)),
        ),
        (
            "/gradingPeriods/{sourcedId}",
            "putGradingPeriod",
            Action::Write(Put(C::AcademicSessions, Some(V::GradingPeriods))),
        ),
        (
            "/gradingPeriods/{sourcedId}",
            "deleteGradingPeriod",
            Action::Write(Delete(C::AcademicSessions, Some(V::GradingPeriods))),
        ),
        ("/courses", "postCourse", Action::Write(Create(C::Courses, In(None)))),
        ("/courses/{sourcedId}", "putCourse", Action::Write(Put(C::Courses, None))),
        ("/courses/{sourcedId}", "deleteCourse", Action::Write(Delete(C::Courses, None))),
        ("/classes", "postClass", Action::Write(Create(C::Classes, In(None)))),
        ("/classes/{sourcedId}", "putClass", Action::Write(Put(C::Classes, None))),
        ("/classes/{sourcedId}", "deleteClass", Action::Write(Delete(C::Classes, None))),
        ("/classes/{classSourcedId}/students", "postStudentForClass", Action::Write(Create(C::Enrollments, Student))),
        ("/classes/{classSourcedId}/teachers", "postTeacherForClass", Action::Write(Create(C::Enrollments, Teacher))),
        ("/users", "postUser", Action::Write(Create(C::Users, In(None)))),
        ("/users/{sourcedId}", "putUser", Action::Write(Put(C::Users, None))),
        ("/users/{sourcedId}", "deleteUser", Action::Write(Delete(C::Users, None))),
        ("/enrollments", "postEnrollment", Action::Write(Create(C::Enrollments, In(None)))),
        ("/enrollments/{sourcedId}", "putEnrollment", Action::Write(Put(C::Enrollments, None))),
        ("/enrollments/{sourcedId}", "deleteEnrollment", Action::Write(Delete(C::Enrollments, None))),
        ("/demographics", "postDemographics", Action::Write(Create(C::Demographics, In(None)))),
        ("/demographics/{sourcedId}", "putDemographics", Action::Write(Put(C::Demographics, None))),
        ("/demographics/{sourcedId}", "deleteDemographics", Action::Write(Delete(C::Demographics, None))),
    ]
};

/// The function's router: the rostering service, the attendance service and the change events
/// feed, each under its own base (see [`service::router`], [`oneroster_http::events`]).
pub fn router(store: Store, gate: Arc<Gate>) -> Router {
    service::router(Service::Rostering, &ROUTES, store.clone(), gate.clone())
        .merge(service::router(Service::Attendance, &attendance::ROUTES, store.clone(), gate.clone()))
        .merge(oneroster_http::events::router(store, gate))
}

/// Every method and path the function serves, every base (for the check that the template
/// routes them).
pub fn served() -> Vec<(&'static str, String)> {
    let own = |service: Service, routes: &'static [Route]| {
        service::served(Version::V1p2, service.base_path(), &[(service, routes)])
    };
    let mut served = own(Service::Rostering, &ROUTES);
    served.extend(own(Service::Attendance, &attendance::ROUTES));
    served.extend(oneroster_http::events::served());
    served
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_routes_are_exactly_the_openapi_operations() {
        assert_eq!(service::route_drift(Service::Rostering, &ROUTES), Vec::<String>::new());
    }
}
