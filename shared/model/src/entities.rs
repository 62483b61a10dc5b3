//! The OneRoster 1.2 entities with exactly the JSON of the OpenAPI files (`*DType` schemas):
//! property names, GUIDRefs (less their `href`, which the renderer of each API version makes:
//! see [`GuidRef`]), `"true"`/`"false"` flags, optional properties left out rather than written
//! as null, `metadata` kept as given. The resource links of the CSV binding
//! (classResources.csv, …) have no REST representation; they are stored in the shape of their
//! CSV rows and read only through the relation routes they make.

use crate::collection::Collection;
use crate::ids::SourcedId;
use crate::time::{Date, Timestamp};
use crate::vocab::{
    ClassType, EnrollmentRole, Flag, Importance, OrgType, ResourceRole, RoleName, RoleType, ScoreStatus, SessionType,
    Sex, Status,
};
use serde::{Deserialize, Serialize};

/// Proprietary extension properties (`metadata.*` CSV columns), kept as given.
pub type Metadata = serde_json::Map<String, serde_json::Value>;

/// A reference to another record, named by its collection and id: the OpenAPI `*GUIDRefDType`
/// without its `href`. Where a record is served depends on the API version and the deployment,
/// so the `href` is made when a response is rendered (`oneroster_http::render`), never stored.
/// Its JSON is `{"sourcedId", "type"}`; an `href` in a body stored before is ignored on reading.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "StoredRef")]
pub struct GuidRef {
    /// The referenced record's collection (its `type` on the wire: `org`, `user`, …).
    pub collection: Collection,
    /// The referenced record.
    pub sourced_id: SourcedId,
}

impl GuidRef {
    /// A reference to `id` in `collection`.
    pub fn to(collection: Collection, id: SourcedId) -> Self {
        Self { collection, sourced_id: id }
    }
}

impl Serialize for GuidRef {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut reference = serializer.serialize_struct("GuidRef", 2)?;
        reference.serialize_field("sourcedId", &self.sourced_id)?;
        reference.serialize_field("type", self.collection.ref_type())?;
        reference.end()
    }
}

/// A GUIDRef as read from JSON, before its `type` is looked up.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredRef {
    sourced_id: SourcedId,
    #[serde(rename = "type")]
    ref_type: String,
}

impl TryFrom<StoredRef> for GuidRef {
    type Error = String;

    fn try_from(stored: StoredRef) -> Result<Self, Self::Error> {
        let collection = Collection::from_ref_type(&stored.ref_type)
            .ok_or_else(|| format!("'{}' is not the type of a record kept here", stored.ref_type))?;
        Ok(Self::to(collection, stored.sourced_id))
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

/// A category of line items, weighted in a class's grade (`CategoryDType` of the Gradebook
/// service). Categories belong to no class; a class's categories are those of its line items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Category {
    /// Common properties.
    #[serde(flatten)]
    pub base: Base,
    /// The category's name.
    pub title: String,
    /// Its weight in the final grade.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
}

/// Learning objectives from one source (`LearningObjectiveSetDType`): a line item assesses them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LearningObjectiveSet {
    /// Who defines the identifiers (`case`, `unknown`, or a proprietary source).
    pub source: String,
    /// The objectives.
    pub learning_objective_ids: Vec<String>,
}

/// Learning objectives from one source with a score for each (`LearningObjectiveScoreSetDType`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LearningObjectiveScoreSet {
    /// Who defines the identifiers.
    pub source: String,
    /// The objectives with their scores.
    pub learning_objective_results: Vec<LearningObjectiveResult>,
}

/// One learning objective as the binding lists them, a row each (lineItemLearningObjectiveIds.csv,
/// resultLearningObjectiveIds.csv); grouped by source into the JSON sets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectiveRow {
    /// Who defines the identifier.
    pub source: String,
    /// The objective.
    pub learning_objective_id: String,
    /// The score on it (results only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// A score as text (results only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_score: Option<String>,
}

/// Groups rows by source, in the order sources first appear.
fn by_source<'r, T>(
    rows: impl IntoIterator<Item = &'r ObjectiveRow>,
    item: fn(&ObjectiveRow) -> T,
) -> Vec<(String, Vec<T>)> {
    let mut groups: Vec<(String, Vec<T>)> = Vec::new();
    for row in rows {
        match groups.iter_mut().find(|(source, _)| *source == row.source) {
            Some((_, items)) => items.push(item(row)),
            None => groups.push((row.source.clone(), vec![item(row)])),
        }
    }
    groups
}

impl LearningObjectiveSet {
    /// The sets of a line item's objective rows.
    pub fn grouped<'r>(rows: impl IntoIterator<Item = &'r ObjectiveRow>) -> Vec<Self> {
        by_source(rows, |row| row.learning_objective_id.clone())
            .into_iter()
            .map(|(source, learning_objective_ids)| Self { source, learning_objective_ids })
            .collect()
    }
}

impl LearningObjectiveScoreSet {
    /// The sets of a result's objective rows, with their scores.
    pub fn grouped<'r>(rows: impl IntoIterator<Item = &'r ObjectiveRow>) -> Vec<Self> {
        let result = |row: &ObjectiveRow| LearningObjectiveResult {
            learning_objective_id: row.learning_objective_id.clone(),
            score: row.score,
            text_score: row.text_score.clone(),
        };
        by_source(rows, result)
            .into_iter()
            .map(|(source, learning_objective_results)| Self { source, learning_objective_results })
            .collect()
    }
}

/// One objective's score (`LearningObjectiveResultsDType`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LearningObjectiveResult {
    /// The objective.
    pub learning_objective_id: String,
    /// The score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// A score as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_score: Option<String>,
}

/// An assignment, test or other graded item of a class (`LineItemDType`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LineItem {
    /// Common properties.
    #[serde(flatten)]
    pub base: Base,
    /// The line item's name, any length.
    pub title: String,
    /// What it is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// When it was assigned.
    pub assign_date: Timestamp,
    /// When it is due.
    pub due_date: Timestamp,
    /// The class.
    pub class: GuidRef,
    /// The class's school.
    pub school: GuidRef,
    /// Its category.
    pub category: GuidRef,
    /// The grading period it counts in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grading_period: Option<GuidRef>,
    /// The academic session it counts in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub academic_session: Option<GuidRef>,
    /// The scale its results use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_scale: Option<GuidRef>,
    /// The lowest score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_value_min: Option<f64>,
    /// The highest score (a result may go above it: extra credit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_value_max: Option<f64>,
    /// The objectives it assesses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub learning_objective_set: Vec<LearningObjectiveSet>,
}

/// One student's result on one line item (`ResultDType`; "result" in OneRoster, named so here
/// to stay clear of `std::result::Result`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GradebookResult {
    /// Common properties.
    #[serde(flatten)]
    pub base: Base,
    /// The line item.
    pub line_item: GuidRef,
    /// The student.
    pub student: GuidRef,
    /// The class (the line item's, when not given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<GuidRef>,
    /// The scale of the score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_scale: Option<GuidRef>,
    /// How far grading has got.
    pub score_status: ScoreStatus,
    /// The score, kept as sent (above the line item's maximum for extra credit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// A score as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_score: Option<String>,
    /// When it was scored.
    pub score_date: Date,
    /// A comment, kept as sent (also when empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Scores per learning objective.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub learning_objective_set: Vec<LearningObjectiveScoreSet>,
    /// Work is in progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_progress: Option<Flag>,
    /// Work is incomplete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incomplete: Option<Flag>,
    /// Work was late.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late: Option<Flag>,
    /// Work is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing: Option<Flag>,
}

/// One step of a score scale: a value and what it maps to (`ScoreScaleValueDType`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreScaleValue {
    /// The reference value (`A+`).
    #[serde(rename = "itemValueLHS")]
    pub item_value_lhs: String,
    /// What it maps to (`100`).
    #[serde(rename = "itemValueRHS")]
    pub item_value_rhs: String,
}

/// A mapping between two ways of scoring, used by a class (`ScoreScaleDType`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScoreScale {
    /// Common properties.
    #[serde(flatten)]
    pub base: Base,
    /// The scale's name.
    pub title: String,
    /// Its kind (`percent`, `letter`, …).
    #[serde(rename = "type")]
    pub scale_type: String,
    /// The course it is used for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub course: Option<GuidRef>,
    /// The class it is used for.
    pub class: GuidRef,
    /// The mapping.
    pub score_scale_value: Vec<ScoreScaleValue>,
    /// The org scoreScales.csv names (`orgSourcedId`): checked at import, not kept, since the
    /// JSON has no such property (the scale's school is its class's).
    #[serde(skip)]
    pub org: Option<GuidRef>,
}

/// An assessment item, possibly part of a larger one (`AssessmentLineItemDType`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssessmentLineItem {
    /// Common properties.
    #[serde(flatten)]
    pub base: Base,
    /// The item's name.
    pub title: String,
    /// What it is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The class it is given in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<GuidRef>,
    /// The assessment it is part of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_assessment_line_item: Option<GuidRef>,
    /// The scale its results use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_scale: Option<GuidRef>,
    /// The lowest score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_value_min: Option<f64>,
    /// The highest score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_value_max: Option<f64>,
    /// The objectives it assesses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub learning_objective_set: Vec<LearningObjectiveSet>,
}

/// A student's result on an assessment item (`AssessmentResultDType`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssessmentResult {
    /// Common properties.
    #[serde(flatten)]
    pub base: Base,
    /// The assessment item.
    pub assessment_line_item: GuidRef,
    /// The student.
    pub student: GuidRef,
    /// The score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// A score as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_score: Option<String>,
    /// When it was scored.
    pub score_date: Date,
    /// The scale of the score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_scale: Option<GuidRef>,
    /// The score's percentile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_percentile: Option<f64>,
    /// How far grading has got.
    pub score_status: ScoreStatus,
    /// A comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Scores per learning objective.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub learning_objective_set: Vec<LearningObjectiveScoreSet>,
    /// Work is in progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_progress: Option<Flag>,
    /// Work is incomplete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incomplete: Option<Flag>,
    /// Work was late.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late: Option<Flag>,
    /// Work is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing: Option<Flag>,
}

/// A code an attendance record takes (an absenceCodes.csv row of OneRoster+, the attendance
/// extension Kinvolved publishes): what the SIS calls the mark, and whether it counts as an
/// absence and as excused, so that apps can count absences without knowing each SIS's codes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AbsenceCode {
    /// Common properties.
    #[serde(flatten)]
    pub base: Base,
    /// The code's name (`Absent`, `Tardy`, `Field trip`).
    pub title: String,
    /// Whether a mark with this code counts as an absence.
    pub absent: bool,
    /// Whether the absence was approved by a parent or guardian.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excused: Option<bool>,
    /// What the code means.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// One student's attendance mark on one day (an attendance.csv row of OneRoster+): daily
/// attendance names no class; period attendance names the class and, where the SIS keeps
/// periods, the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attendance {
    /// Common properties.
    #[serde(flatten)]
    pub base: Base,
    /// The class, for period attendance (absent for daily attendance).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<GuidRef>,
    /// The school.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub school: Option<GuidRef>,
    /// The student.
    pub student: GuidRef,
    /// The day.
    pub date: Date,
    /// The mark.
    pub absence_code: GuidRef,
    /// The period of the day, as the SIS names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
    /// A note on the mark.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_stored_without_an_href_and_read_with_or_without_one() {
        let id = SourcedId::parse("usr/0001@lu").expect("an id");
        let reference = GuidRef::to(Collection::Users, id);
        let stored = serde_json::to_string(&reference).expect("JSON");
        assert_eq!(stored, r#"{"sourcedId":"usr/0001@lu","type":"user"}"#);
        let before =
            r#"{"href":"/ims/oneroster/rostering/v1p2/users/usr%2F0001@lu","sourcedId":"usr/0001@lu","type":"user"}"#;
        for body in [stored.as_str(), before] {
            assert_eq!(serde_json::from_str::<GuidRef>(body).ok(), Some(reference.clone()), "{body}");
        }
        let error = serde_json::from_str::<GuidRef>(r#"{"sourcedId":"x","type":"term"}"#).expect_err("no such type");
        assert!(error.to_string().starts_with("'term' is not the type of a record kept here"), "{error}");
    }
}
