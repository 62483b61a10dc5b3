//! The OneRoster 1.2 entities with exactly the JSON of the OpenAPI files (`*DType` schemas):
//! property names, GUIDRefs, `"true"`/`"false"` flags, optional properties left out rather than
//! written as null, `metadata` kept as given. The resource links of the CSV binding
//! (classResources.csv, …) have no REST representation; they are stored in the shape of their
//! CSV rows and read only through the relation routes they make.

use crate::collection::Collection;
use crate::ids::SourcedId;
use crate::time::{Date, Timestamp};
use crate::vocab::{
    ClassType, EnrollmentRole, Flag, Importance, OrgType, ResourceRole, RoleName, RoleType, SessionType, Sex, Status,
};
use serde::{Deserialize, Serialize};

/// Proprietary extension properties (`metadata.*` CSV columns), kept as given.
pub type Metadata = serde_json::Map<String, serde_json::Value>;

/// A reference to another record: `{ href, sourcedId, type }` (the OpenAPI `*GUIDRefDType`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GuidRef {
    /// Where the referenced record is served, relative to the host (see [`Collection::href`]).
    pub href: String,
    /// The referenced record.
    pub sourced_id: SourcedId,
    /// The referenced record's type (`org`, `user`, `academicSession`, …).
    #[serde(rename = "type")]
    pub ref_type: String,
}

impl GuidRef {
    /// A reference to `id` in `collection`.
    pub fn to(collection: Collection, id: SourcedId) -> Self {
        Self { href: collection.href(&id), ref_type: collection.ref_type().to_owned(), sourced_id: id }
    }
}

/// The properties every record has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Base {
    /// The record's GUID.
    pub sourced_id: SourcedId,
    /// `active` or `tobedeleted`.
    pub status: Status,
    /// When the provider last saw the record change.
    pub date_last_modified: Timestamp,
    /// Proprietary extensions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
}

/// An organisation: district, school, department, … (`OrgDType`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Org {
    /// Common properties.
    #[serde(flatten)]
    pub base: Base,
    /// The org's name.
    pub name: String,
    /// The org's kind.
    #[serde(rename = "type")]
    pub org_type: OrgType,
    /// Human-readable identifier (NCES id); required in JSON, so empty when the CSV gave none.
    pub identifier: String,
    /// The parent org.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<GuidRef>,
}

/// A school year, semester, term or grading period (`AcademicSessionDType`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AcademicSession {
    /// Common properties.
    #[serde(flatten)]
    pub base: Base,
    /// The session's title.
    pub title: String,
    /// First day (inclusive).
    pub start_date: Date,
    /// Last day (exclusive).
    pub end_date: Date,
    /// The session's kind.
    #[serde(rename = "type")]
    pub session_type: SessionType,
    /// The enclosing session (a grading period's term, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<GuidRef>,
    /// The year the school year ends in (`YYYY`).
    pub school_year: String,
}

/// A course: the template of classes (`CourseDType`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Course {
    /// Common properties.
    #[serde(flatten)]
    pub base: Base,
    /// The course's title.
    pub title: String,
    /// The school year session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub school_year: Option<GuidRef>,
    /// The course code; required in JSON, so empty when the CSV gave none.
    pub course_code: String,
    /// Grades.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grades: Vec<String>,
    /// Subjects, human-readable.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subjects: Vec<String>,
    /// The org that owns the course.
    pub org: GuidRef,
    /// Subject codes, machine-readable, parallel to `subjects`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subject_codes: Vec<String>,
}

/// A class: a course taught at a school in some terms (`ClassDType`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Class {
    /// Common properties.
    #[serde(flatten)]
    pub base: Base,
    /// The class's title.
    pub title: String,
    /// The class code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class_code: Option<String>,
    /// Homeroom or scheduled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class_type: Option<ClassType>,
    /// Where it meets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Grades.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grades: Vec<String>,
    /// Subjects, human-readable.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subjects: Vec<String>,
    /// The course this class is an instance of.
    pub course: GuidRef,
    /// The school that teaches it.
    pub school: GuidRef,
    /// The terms it is taught in (at least one).
    pub terms: Vec<GuidRef>,
    /// Subject codes, parallel to `subjects`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subject_codes: Vec<String>,
    /// Time slots.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub periods: Vec<String>,
}

/// An external identifier of a user (`UserIdDType`; CSV `{type:identifier}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserId {
    /// What kind of identifier (LDAP, LTI, …).
    #[serde(rename = "type")]
    pub id_type: String,
    /// The identifier.
    pub identifier: String,
}

/// One role of a user in an org (`RoleDType`; a row of roles.csv).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Role {
    /// Primary or secondary.
    pub role_type: RoleType,
    /// The role.
    pub role: RoleName,
    /// The org the role is held in.
    pub org: GuidRef,
    /// The `profileId` of the user profile this role uses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_profile: Option<String>,
    /// First day (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub begin_date: Option<Date>,
    /// Last day (exclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<Date>,
}

/// A credential of a user profile (`CredentialDType`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Credential {
    /// The kind of credential.
    #[serde(rename = "type")]
    pub credential_type: String,
    /// The user name.
    pub username: String,
    /// The password, as the SIS gave it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// A user's account in some system or app (`UserProfileDType`; a row of userProfiles.csv).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserProfile {
    /// The profile's id (the userProfiles.csv sourcedId).
    pub profile_id: String,
    /// The kind of profile.
    pub profile_type: String,
    /// The vendor of the system the profile is for.
    pub vendor_id: String,
    /// The application the profile is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_id: Option<String>,
    /// What the profile is used for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Its credentials.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub credentials: Vec<Credential>,
}

/// A person: student, teacher, parent, administrator … (`UserDType`), with the roles of
/// roles.csv and the profiles of userProfiles.csv folded in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// Common properties.
    #[serde(flatten)]
    pub base: Base,
    /// Globally unique master identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_master_identifier: Option<String>,
    /// User name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// External identifiers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user_ids: Vec<UserId>,
    /// Whether the user may sign in.
    pub enabled_user: Flag,
    /// First name.
    pub given_name: String,
    /// Last name.
    pub family_name: String,
    /// Middle names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    /// Preferred first name (CSV `preferredGivenName`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_first_name: Option<String>,
    /// Preferred middle name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_middle_name: Option<String>,
    /// Preferred last name (CSV `preferredFamilyName`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_last_name: Option<String>,
    /// Pronouns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pronouns: Option<String>,
    /// Roles in orgs (from roles.csv).
    pub roles: Vec<Role>,
    /// Profiles (from userProfiles.csv).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user_profiles: Vec<UserProfile>,
    /// The primary org.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_org: Option<GuidRef>,
    /// Human-readable identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
    /// E-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// SMS number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms: Option<String>,
    /// Phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Related users (parents, guardians).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agents: Vec<GuidRef>,
    /// Grades.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grades: Vec<String>,
    /// Top-level password, as the SIS gave it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// A user in a class (`EnrollmentDType`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Enrollment {
    /// Common properties.
    #[serde(flatten)]
    pub base: Base,
    /// The enrolled user.
    pub user: GuidRef,
    /// The class.
    pub class: GuidRef,
    /// The school of the class.
    pub school: GuidRef,
    /// The user's role in the class.
    pub role: EnrollmentRole,
    /// Whether this teacher is the primary teacher.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<Flag>,
    /// First day (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub begin_date: Option<Date>,
    /// Last day (exclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<Date>,
}

/// Demographic data of a user, under the user's sourcedId (`DemographicsDType`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Demographics {
    /// Common properties.
    #[serde(flatten)]
    pub base: Base,
    /// Date of birth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<Date>,
    /// Sex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<Sex>,
    /// Race flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub american_indian_or_alaska_native: Option<Flag>,
    /// Race flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asian: Option<Flag>,
    /// Race flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub black_or_african_american: Option<Flag>,
    /// Race flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub native_hawaiian_or_other_pacific_islander: Option<Flag>,
    /// Race flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub white: Option<Flag>,
    /// Race flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub demographic_race_two_or_more_races: Option<Flag>,
    /// Ethnicity flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hispanic_or_latino_ethnicity: Option<Flag>,
    /// Country of birth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_of_birth_code: Option<String>,
    /// State of birth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_of_birth_abbreviation: Option<String>,
    /// City of birth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city_of_birth: Option<String>,
    /// Residence status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_school_residence_status: Option<String>,
}

/// A description of learning content used in classes, courses or by users (`ResourceDType` of
/// the Resources service).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resource {
    /// Common properties.
    #[serde(flatten)]
    pub base: Base,
    /// The resource's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Who is expected to use it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<ResourceRole>,
    /// Primary or secondary material.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub importance: Option<Importance>,
    /// The vendor's own id of the resource.
    pub vendor_resource_id: String,
    /// The vendor (assigned by 1EdTech at certification).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_id: Option<String>,
    /// The application the resource belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_id: Option<String>,
}

/// A resource assigned to a class (a classResources.csv row).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClassResource {
    /// Common properties (the link's own sourcedId).
    #[serde(flatten)]
    pub base: Base,
    /// A name for the link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The class.
    pub class: GuidRef,
    /// The resource.
    pub resource: GuidRef,
}

/// A resource assigned to a course (a courseResources.csv row).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CourseResource {
    /// Common properties (the link's own sourcedId).
    #[serde(flatten)]
    pub base: Base,
    /// A name for the link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The course.
    pub course: GuidRef,
    /// The resource.
    pub resource: GuidRef,
}

/// A resource made available to a user (a userResources.csv row), optionally in the context
/// of an org or a class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserResource {
    /// Common properties (the link's own sourcedId).
    #[serde(flatten)]
    pub base: Base,
    /// The user.
    pub user: GuidRef,
    /// The org the assignment belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<GuidRef>,
    /// The class the assignment belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<GuidRef>,
    /// The resource.
    pub resource: GuidRef,
}
