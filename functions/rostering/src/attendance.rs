//! The attendance service (`/ims/oneroster/attendance/v1p2`): the provider's read-only
//! extension for the OneRoster+ files absenceCodes.csv and attendance.csv, each endpoint one
//! line of [`ROUTES`], served like every service by `oneroster-http` from its own OpenAPI file
//! (`oneroster_openapi::Service::Attendance`). The rostering function serves it: its records
//! hang off students, classes and schools, and a function of its own would add a cold start
//! and a deployment for seven reads.

use oneroster_http::service::Route;
use oneroster_model::{Collection, Relation};
use oneroster_service::routes::{Action, Read, CLASS, SCHOOL, STUDENT};

/// Every endpoint: OpenAPI path, operationId, what it reads.
pub const ROUTES: [Route; 7] = {
    use Collection as C;
    use Read::*;
    use Relation as R;
    [
        ("/absenceCodes", "getAllAbsenceCodes", Action::Read(All(C::AbsenceCodes))),
        ("/absenceCodes/{sourcedId}", "getAbsenceCode", Action::Read(One(C::AbsenceCodes, None))),
        ("/attendance", "getAllAttendance", Action::Read(All(C::Attendance))),
        ("/attendance/{sourcedId}", "getAttendance", Action::Read(One(C::Attendance, None))),
        (
            "/students/{studentSourcedId}/attendance",
            "getAttendanceForStudent",
            Action::Read(Related(R::StudentAttendance, STUDENT, None)),
        ),
        (
            "/classes/{classSourcedId}/attendance",
            "getAttendanceForClass",
            Action::Read(Related(R::ClassAttendance, CLASS, None)),
        ),
        (
            "/schools/{schoolSourcedId}/attendance",
            "getAttendanceForSchool",
            Action::Read(Related(R::SchoolAttendance, SCHOOL, None)),
        ),
    ]
};

#[cfg(test)]
mod tests {
    use super::*;
    use oneroster_http::service;
    use oneroster_openapi::Service;

    #[test]
    fn the_routes_are_exactly_the_openapi_operations() {
        assert_eq!(service::route_drift(Service::Attendance, &ROUTES), Vec::<String>::new());
    }
}
