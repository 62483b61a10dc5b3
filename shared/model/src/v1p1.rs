//! OneRoster 1.1's vocabularies beside 1.2's, both ways: records are stored once, in the 1.2
//! shape, so a 1.1 package or write body is mapped to 1.2 on the way in and a stored record to
//! 1.1 on the way out, by these tables only (`V1P1-NOTES.md` §6.3 and §7.2).
//!
//! 1.1 has one role vocabulary for users and enrollments (`administrator, aide, guardian,
//! parent, proctor, relative, student, teacher`); 1.2 splits it into org roles ([`RoleName`],
//! richer) and enrollment roles ([`EnrollmentRole`], narrower). What one version cannot say is
//! mapped by a documented choice, never invented: a 1.1 enrollment role 1.2 lacks is kept as
//! an `ext:` term and given back as it came.

use crate::entities::{GuidRef, Role};
use crate::vocab::{EnrollmentRole, OrgType, RoleName, RoleType, Status, VocabularyError};

/// The 1.1 role vocabulary (users' `role`, enrollments' `role`, resources' `roles`).
pub const ROLES: [&str; 8] =
    ["administrator", "aide", "guardian", "parent", "proctor", "relative", "student", "teacher"];

/// The 1.1 terms of [`ROLES`], as a vocabulary error lists them.
const ROLE_TERMS: &str = "administrator | aide | guardian | parent | proctor | relative | student | teacher";

/// A 1.1 role term, or the error naming the vocabulary.
fn role_term(text: &str) -> Result<&'static str, VocabularyError> {
    ROLES.iter().copied().find(|term| *term == text).ok_or_else(|| VocabularyError {
        value: text.to_owned(),
        allowed: ROLE_TERMS,
        ext: "",
    })
}

/// The 1.1 `role` a user with 1.2 org role `role` has: the seven shared terms as they are; every
/// administrator role of 1.2 (`districtAdministrator`, `siteAdministrator`,
/// `systemAdministrator`, `principal`) and `counselor` (staff who are neither teachers nor
/// aides) as `administrator`. An `ext:` role has no 1.1 term (`None`: the property is left out).
pub fn user_role(role: &RoleName) -> Option<&'static str> {
    Some(match role {
        RoleName::Aide => "aide",
        RoleName::Guardian => "guardian",
        RoleName::Parent => "parent",
        RoleName::Proctor => "proctor",
        RoleName::Relative => "relative",
        RoleName::Student => "student",
        RoleName::Teacher => "teacher",
        RoleName::DistrictAdministrator
        | RoleName::SiteAdministrator
        | RoleName::SystemAdministrator
        | RoleName::Principal
        | RoleName::Counselor => "administrator",
        RoleName::Ext(_) => return None,
    })
}

/// A 1.1 user's `role` and `orgs` from its 1.2 `roles`: the role of its first primary role
/// (else its first role), if 1.1 has a term for it; the org of every role, the chosen role's
/// first, each once. What the 1.1 API shows of a user and a 1.1 users.csv row holds.
pub fn user_role_and_orgs(roles: &[Role]) -> (Option<&'static str>, Vec<&GuidRef>) {
    let chosen = roles.iter().position(|r| r.role_type == RoleType::Primary).unwrap_or_default();
    let role = roles.get(chosen).and_then(|r| user_role(&r.role));
    let others = roles.iter().enumerate().filter(|(i, _)| *i != chosen).map(|(_, r)| r);
    let mut orgs: Vec<&GuidRef> = Vec::with_capacity(roles.len());
    for role in roles.get(chosen).into_iter().chain(others) {
        if !orgs.contains(&&role.org) {
            orgs.push(&role.org);
        }
    }
    (role, orgs)
}

/// The 1.2 org role of a 1.1 user `role` in an org of type `org_type` (when known): the seven
/// shared terms as they are; `administrator` as `siteAdministrator` in a school and
/// `districtAdministrator` elsewhere (a choice: 1.1 does not say which administrator).
pub fn role_from_v1p1(role: &str, org_type: Option<&OrgType>) -> Result<RoleName, VocabularyError> {
    match role_term(role)? {
        "administrator" if org_type == Some(&OrgType::School) => Ok(RoleName::SiteAdministrator),
        "administrator" => Ok(RoleName::DistrictAdministrator),
        term => RoleName::parse(term),
    }
}

/// The 1.2 enrollment role of a 1.1 enrollment `role`: `administrator`, `proctor`, `student`
/// and `teacher` as they are; `aide`, `guardian`, `parent` and `relative`, which 1.2 enrollments
/// lack, as `ext:aide` and so on (given back as they came by [`enrollment_role`]).
pub fn enrollment_role_from_v1p1(role: &str) -> Result<EnrollmentRole, VocabularyError> {
    let term = role_term(role)?;
    EnrollmentRole::parse(term).or_else(|_| EnrollmentRole::parse(&format!("ext:{term}")))
}

/// The 1.1 `role` of an enrollment with 1.2 role `role`: the four shared terms, and the 1.1
/// terms kept as `ext:` by [`enrollment_role_from_v1p1`]; other `ext:` terms have none.
pub fn enrollment_role(role: &str) -> Option<&'static str> {
    role_term(role.strip_prefix("ext:").unwrap_or(role)).ok()
}

/// The 1.2 status of a 1.1 `status`: `inactive`, deprecated in 1.1 and gone in 1.2, is
/// `tobedeleted` (the bool says it was mapped, for a warning).
pub fn status_from_v1p1(status: &str) -> Result<(Status, bool), VocabularyError> {
    match status {
        "inactive" => Ok((Status::ToBeDeleted, true)),
        other => Status::parse(other).map(|status| (status, false)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_1p2_org_role_has_its_1p1_role_and_the_seven_shared_terms_go_both_ways() {
        for term in ROLES.iter().filter(|term| **term != "administrator") {
            let role = role_from_v1p1(term, None).expect(term);
            assert_eq!(role.as_str(), *term);
            assert_eq!(user_role(&role), Some(*term));
        }
        for admin in ["districtAdministrator", "siteAdministrator", "systemAdministrator", "principal", "counselor"] {
            assert_eq!(user_role(&RoleName::parse(admin).expect(admin)), Some("administrator"), "{admin}");
        }
        assert_eq!(user_role(&RoleName::parse("ext:coach").expect("ext")), None);
        assert_eq!(role_from_v1p1("administrator", Some(&OrgType::School)), Ok(RoleName::SiteAdministrator));
        assert_eq!(role_from_v1p1("administrator", Some(&OrgType::District)), Ok(RoleName::DistrictAdministrator));
        assert_eq!(role_from_v1p1("administrator", None), Ok(RoleName::DistrictAdministrator));
        let error = role_from_v1p1("counselor", None).expect_err("not a 1.1 role");
        assert!(error.to_string().contains("administrator | aide"), "{error}");
    }

    #[test]
    fn enrollment_roles_1p2_lacks_are_kept_as_ext_terms_and_given_back() {
        for term in ROLES {
            let stored = enrollment_role_from_v1p1(term).expect(term);
            let expected = if ["aide", "guardian", "parent", "relative"].contains(&term) {
                format!("ext:{term}")
            } else {
                term.to_owned()
            };
            assert_eq!(stored.as_str(), expected);
            assert_eq!(enrollment_role(stored.as_str()), Some(term));
        }
        assert_eq!(enrollment_role("ext:observer"), None);
        assert!(enrollment_role_from_v1p1("Student").is_err(), "case matters, as in 1.2");
    }

    #[test]
    fn inactive_is_tobedeleted_and_said_so() {
        assert_eq!(status_from_v1p1("inactive"), Ok((Status::ToBeDeleted, true)));
        assert_eq!(status_from_v1p1("active"), Ok((Status::Active, false)));
        assert_eq!(status_from_v1p1("tobedeleted"), Ok((Status::ToBeDeleted, false)));
        assert!(status_from_v1p1("gone").is_err());
    }
}
