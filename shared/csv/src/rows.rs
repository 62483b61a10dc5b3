//! The layout of each imported file (CSV binding 1.2.1, Tables 3.x) and the mapping of one row
//! to a model record, with the binding's rules: `status` and `dateLastModified` blank in bulk and
//! required in delta, JSON-required values that CSV leaves optional, CSV names that differ from
//! JSON (`preferredGivenName` → `preferredFirstName`), `{type:id}` user ids.

use crate::fields::RowReader;
use crate::package::{FileKind, Mode};
use crate::report::{quote, quoting, Code};
use crate::v1p1::Context;
use oneroster_model::entities::{
    AbsenceCode, AcademicSession, Attendance, Base, Category, Class, ClassResource, Course, CourseResource, Credential,
    Demographics, Enrollment, GradebookResult, GuidRef, LineItem, ObjectiveRow, Org, Resource, Role, ScoreScale,
    ScoreScaleValue, User, UserId, UserProfile, UserResource,
};
use oneroster_model::rules::{self, Broken, Violation};
use oneroster_model::v1p1::{enrollment_role_from_v1p1, status_from_v1p1};
use oneroster_model::vocab::{
    ClassType, EnrollmentRole, Flag, Importance, OrgType, ResourceRole, RoleName, RoleType, ScoreStatus, SessionType,
    Sex, Status,
};
use oneroster_model::{Collection, Kind, Record, SourcedId, Timestamp};

/// The exact header of each imported file, in order.
pub fn columns(kind: FileKind) -> &'static [&'static str] {
    match kind {
        FileKind::Orgs => &["sourcedId", "status", "dateLastModified", "name", "type", "identifier", "parentSourcedId"],
        FileKind::AcademicSessions => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "title",
            "type",
            "startDate",
            "endDate",
            "parentSourcedId",
            "schoolYear",
        ],
        FileKind::Courses => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "schoolYearSourcedId",
            "title",
            "courseCode",
            "grades",
            "orgSourcedId",
            "subjects",
            "subjectCodes",
        ],
        FileKind::Classes => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "title",
            "grades",
            "courseSourcedId",
            "classCode",
            "classType",
            "location",
            "schoolSourcedId",
            "termSourcedIds",
            "subjects",
            "subjectCodes",
            "periods",
        ],
        FileKind::Users => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "enabledUser",
            "username",
            "userIds",
            "givenName",
            "familyName",
            "middleName",
            "identifier",
            "email",
            "sms",
            "phone",
            "agentSourcedIds",
            "grades",
            "password",
            "userMasterIdentifier",
            "preferredGivenName",
            "preferredMiddleName",
            "preferredFamilyName",
            "primaryOrgSourcedId",
            "pronouns",
        ],
        FileKind::UserProfiles => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "userSourcedId",
            "profileType",
            "vendorId",
            "applicationId",
            "description",
            "credentialType",
            "username",
            "password",
        ],
        FileKind::Roles => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "userSourcedId",
            "roleType",
            "role",
            "beginDate",
            "endDate",
            "orgSourcedId",
            "userProfileSourcedId",
        ],
        FileKind::Enrollments => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "classSourcedId",
            "schoolSourcedId",
            "userSourcedId",
            "role",
            "primary",
            "beginDate",
            "endDate",
        ],
        FileKind::Demographics => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "birthDate",
            "sex",
            "americanIndianOrAlaskaNative",
            "asian",
            "blackOrAfricanAmerican",
            "nativeHawaiianOrOtherPacificIslander",
            "white",
            "demographicRaceTwoOrMoreRaces",
            "hispanicOrLatinoEthnicity",
            "countryOfBirthCode",
            "stateOfBirthAbbreviation",
            "cityOfBirth",
            "publicSchoolResidenceStatus",
        ],
        FileKind::Resources => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "vendorResourceId",
            "title",
            "roles",
            "importance",
            "vendorId",
            "applicationId",
        ],
        FileKind::ClassResources => {
            &["sourcedId", "status", "dateLastModified", "title", "classSourcedId", "resourceSourcedId"]
        }
        FileKind::CourseResources => {
            &["sourcedId", "status", "dateLastModified", "title", "courseSourcedId", "resourceSourcedId"]
        }
        FileKind::UserResources => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "userSourcedId",
            "orgSourcedId",
            "classSourcedId",
            "resourceSourcedId",
        ],
        FileKind::Categories => &["sourcedId", "status", "dateLastModified", "title", "weight"],
        FileKind::ScoreScales => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "title",
            "type",
            "orgSourcedId",
            "courseSourcedId",
            "classSourcedId",
            "scoreScaleValue",
        ],
        FileKind::LineItems => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "title",
            "description",
            "assignDate",
            "dueDate",
            "classSourcedId",
            "categorySourcedId",
            "academicSessionSourcedId",
            "resultValueMin",
            "resultValueMax",
            "schoolSourcedId",
        ],
        FileKind::Results => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "lineItemSourcedId",
            "studentSourcedId",
            "scoreStatus",
            "score",
            "scoreDate",
            "comment",
            "textScore",
            "classSourcedId",
            "inProgress",
            "incomplete",
            "late",
            "missing",
        ],
        FileKind::LineItemLearningObjectiveIds => {
            &["sourcedId", "status", "dateLastModified", "lineItemSourcedId", "source", "learningObjectiveId"]
        }
        FileKind::LineItemScoreScales => {
            &["sourcedId", "status", "dateLastModified", "title", "lineItemSourcedId", "scoreScaleSourcedId"]
        }
        FileKind::ResultLearningObjectiveIds => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "resultSourcedId",
            "source",
            "learningObjectiveId",
            "score",
            "textScore",
        ],
        FileKind::ResultScoreScales => {
            &["sourcedId", "status", "dateLastModified", "title", "resultSourcedId", "scoreScaleSourcedId"]
        }
        // OneRoster+ (docs.kinvolved.com/attendance), matched by name: FileKind::matched_by_name.
        FileKind::AbsenceCodes => {
            &["sourcedId", "status", "dateLastModified", "title", "absent", "excused", "description"]
        }
        FileKind::Attendance => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "classSourcedId",
            "schoolSourcedId",
            "userSourcedId",
            "date",
            "absenceCodeSourcedId",
            "period",
            "comment",
        ],
    }
}

/// One row of an imported file, mapped.
// Most rows are records, so boxing the large variant would add an allocation to most rows to
// save a copy on the few others.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Row {
    /// A record of a collection. A user comes without roles and profiles; those are folded in
    /// from roles.csv and userProfiles.csv when the package is applied.
    Record(Record),
    /// A row of roles.csv: one role of a user.
    Role(Part<Role>),
    /// A row of userProfiles.csv: one profile of a user.
    Profile(Part<UserProfile>),
    /// A row of lineItemLearningObjectiveIds.csv or resultLearningObjectiveIds.csv: one
    /// objective of a line item or result.
    Objective(Part<ObjectiveRow>),
    /// A row of lineItemScoreScales.csv or resultScoreScales.csv: the score scale of a line
    /// item or result.
    ScoreScale(Part<GuidRef>),
}

/// A row of a file whose records live inside another record (a user's roles and profiles, a
/// line item's objectives and score scale).
#[derive(Debug, Clone, PartialEq)]
pub struct Part<T> {
    /// The row's own sourcedId.
    pub id: SourcedId,
    /// The record it belongs to.
    pub owner: SourcedId,
    /// The collection of that record.
    pub of: Collection,
    /// `active`, or `tobedeleted` to remove it from its record.
    pub status: Status,
    /// What goes into the record.
    pub value: T,
}

impl<T: serde::Serialize> Part<T> {
    fn untyped(self) -> Part<serde_json::Value> {
        let value = serde_json::to_value(&self.value).unwrap_or_default();
        Part { id: self.id, owner: self.owner, of: self.of, status: self.status, value }
    }
}

/// Where a reference must point: a collection, or the user profiles (which live in users).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// A record of this collection.
    Collection(Collection),
    /// A user profile (userProfiles.csv sourcedId).
    Profile,
}

impl Row {
    /// The row's own sourcedId.
    pub fn id(&self) -> &SourcedId {
        match self {
            Row::Record(r) => &r.base().sourced_id,
            Row::Role(p) => &p.id,
            Row::Profile(p) => &p.id,
            Row::Objective(p) => &p.id,
            Row::ScoreScale(p) => &p.id,
        }
    }

    /// A part row with its value as JSON, as it is kept beside its record; `None` for a record.
    pub fn into_part(self) -> Option<Part<serde_json::Value>> {
        match self {
            Row::Record(_) => None,
            Row::Role(p) => Some(p.untyped()),
            Row::Profile(p) => Some(p.untyped()),
            Row::Objective(p) => Some(p.untyped()),
            Row::ScoreScale(p) => Some(p.untyped()),
        }
    }

    /// The record of a record row; `None` for a part.
    pub fn into_record(self) -> Option<Record> {
        match self {
            Row::Record(record) => Some(record),
            _ => None,
        }
    }

    /// The row's references: the column, what it must point to (and the kind of record, where
    /// the binding names one), and the id.
    pub fn references(&self) -> Vec<RowReference<'_>> {
        let c = Target::Collection;
        let plain = |column, target, id| RowReference { column, target, kind: None, id };
        match self {
            Row::Record(record) => record
                .references()
                .into_iter()
                .map(|r| RowReference {
                    column: column_of(record.collection(), r.field),
                    target: c(r.collection),
                    kind: r.kind,
                    id: r.id.as_str(),
                })
                .collect(),
            Row::Role(r) => {
                let mut refs = vec![
                    owner_reference(r),
                    plain("orgSourcedId", c(Collection::Orgs), r.value.org.sourced_id.as_str()),
                ];
                if let Some(profile) = &r.value.user_profile {
                    refs.push(plain("userProfileSourcedId", Target::Profile, profile.as_str()));
                }
                refs
            }
            Row::Profile(p) => vec![owner_reference(p)],
            Row::Objective(p) => vec![owner_reference(p)],
            Row::ScoreScale(p) => vec![
                owner_reference(p),
                plain("scoreScaleSourcedId", c(Collection::ScoreScales), p.value.sourced_id.as_str()),
            ],
        }
    }
}

/// One reference of a row ([`Row::references`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowReference<'a> {
    /// The column that holds it.
    pub column: &'static str,
    /// What it must point to.
    pub target: Target,
    /// The kind of record it must be, where the binding names one ([`Kind`]).
    pub kind: Option<Kind>,
    /// The referenced id.
    pub id: &'a str,
}

/// The reference of a part row to the record it belongs to.
fn owner_reference<T>(part: &Part<T>) -> RowReference<'_> {
    let column = if part.of == Collection::Users { "userSourcedId" } else { owner_column(part.of) };
    RowReference { column, target: Target::Collection(part.of), kind: None, id: part.owner.as_str() }
}

/// The CSV column of a JSON reference property of a record of `collection` (binding §2: a
/// GUIDRef `class` becomes `classSourcedId`, a list `terms` becomes `termSourcedIds`).
fn column_of(collection: Collection, field: &'static str) -> &'static str {
    match field {
        // attendance.csv names its student as enrollments.csv names a user.
        "student" if collection == Collection::Attendance => "userSourcedId",
        "absenceCode" => "absenceCodeSourcedId",
        "sourcedId" => "sourcedId",
        "parent" => "parentSourcedId",
        "schoolYear" => "schoolYearSourcedId",
        "org" => "orgSourcedId",
        "course" => "courseSourcedId",
        "school" => "schoolSourcedId",
        "terms" => "termSourcedIds",
        "agents" => "agentSourcedIds",
        "primaryOrg" => "primaryOrgSourcedId",
        // A 1.1 user's roles come with its row (its orgSourcedIds, the first of them its
        // primaryOrg); a 1.2 user's come from roles.csv, so its row has none.
        "roles" => "orgSourcedIds",
        "class" => "classSourcedId",
        "user" => "userSourcedId",
        "resource" => "resourceSourcedId",
        "category" => "categorySourcedId",
        "academicSession" => "academicSessionSourcedId",
        "lineItem" => "lineItemSourcedId",
        "student" => "studentSourcedId",
        // No file of the binding carries the remaining references (score scales of line items
        // and results come in files of their own; assessments only through the API).
        other => other,
    }
}

/// Maps one row of `kind`. `now` is the import time, given to bulk rows as their
/// `dateLastModified`. A row of a OneRoster 1.1 file comes with the [`Context`] its mapping to
/// 1.2 needs (`v1p1`), `None` for a 1.2 row. Returns `None` when the row has a problem
/// (already reported).
pub(crate) fn map_row(
    kind: FileKind,
    mode: Mode,
    row: &mut RowReader<'_>,
    now: Timestamp,
    v1p1: Option<&Context>,
) -> Option<Row> {
    let base = read_base(row, mode, now, v1p1.is_some());
    let mapped = match kind {
        FileKind::Orgs => org(row, base),
        FileKind::AcademicSessions => session(row, base),
        FileKind::Courses => course(row, base),
        FileKind::Classes => class(row, base),
        FileKind::Users => user(row, base, v1p1),
        FileKind::UserProfiles => profile(row, base),
        FileKind::Roles => role(row, base),
        FileKind::Enrollments => enrollment(row, base, v1p1.is_some()),
        FileKind::Demographics => demographics(row, base),
        FileKind::Resources => resource(row, base),
        FileKind::ClassResources => class_resource(row, base),
        FileKind::CourseResources => course_resource(row, base),
        FileKind::UserResources => user_resource(row, base),
        FileKind::Categories => category(row, base),
        FileKind::ScoreScales => score_scale(row, base),
        FileKind::LineItems => line_item(row, base, v1p1),
        FileKind::Results => result(row, base),
        FileKind::LineItemLearningObjectiveIds => objective(row, base, Collection::LineItems),
        FileKind::ResultLearningObjectiveIds => objective(row, base, Collection::Results),
        FileKind::LineItemScoreScales => part_score_scale(row, base, Collection::LineItems),
        FileKind::ResultScoreScales => part_score_scale(row, base, Collection::Results),
        FileKind::AbsenceCodes => absence_code(row, base),
        FileKind::Attendance => attendance(row, base),
    };
    if row.failed {
        None
    } else {
        mapped
    }
}

/// The columns every file begins with. A 1.1 row (`v1p1`) may say `inactive` (1.1's deprecated
/// word for `tobedeleted`, taken as it with a warning) and give `dateLastModified` as a bare
/// date (the start of that day, UTC).
fn read_base(row: &mut RowReader<'_>, mode: Mode, now: Timestamp, v1p1: bool) -> Option<Base> {
    let sourced_id = row.guid("sourcedId");
    let (status, date_last_modified) = match mode {
        Mode::Bulk => {
            for column in ["status", "dateLastModified"] {
                if row.text(column).is_some() {
                    row.fail(
                        column,
                        Code::NotInBulk,
                        format!("{column} must be blank in a bulk file (the binding reserves it for delta)"),
                    );
                }
            }
            (Some(Status::Active), Some(now))
        }
        Mode::Delta if v1p1 => {
            let status = row.required_vocab("status", status_from_v1p1).map(|(status, mapped)| {
                row.inactive |= mapped;
                status
            });
            (status, row.required_day_start("dateLastModified"))
        }
        Mode::Delta => {
            let status = row.required_vocab("status", Status::parse);
            let modified = row.required("dateLastModified").and(row.timestamp("dateLastModified"));
            (status, modified)
        }
    };
    Some(Base {
        sourced_id: sourced_id?,
        status: status?,
        date_last_modified: date_last_modified?,
        metadata: row.metadata(),
    })
}

fn org(row: &mut RowReader<'_>, base: Option<Base>) -> Option<Row> {
    let name = row.required_string("name");
    let org_type = row.required_vocab("type", OrgType::parse);
    let parent = row.optional_reference("parentSourcedId", Collection::Orgs);
    Some(Row::Record(Record::Org(Org {
        base: base?,
        name: name?,
        org_type: org_type?,
        identifier: row.string("identifier").unwrap_or_default(),
        parent,
    })))
}

fn session(row: &mut RowReader<'_>, base: Option<Base>) -> Option<Row> {
    let title = row.required_string("title");
    let session_type = row.required_vocab("type", SessionType::parse);
    let start_date = row.required_date("startDate");
    let end_date = row.required_date("endDate");
    let parent = row.optional_reference("parentSourcedId", Collection::AcademicSessions);
    let school_year = row.year("schoolYear");
    if let Some(violation) = start_date.zip(end_date).and_then(|(start, end)| rules::in_order(start, end)) {
        fail(row, violation);
    }
    Some(Row::Record(Record::AcademicSession(AcademicSession {
        base: base?,
        title: title?,
        start_date: start_date?,
        end_date: end_date?,
        session_type: session_type?,
        parent,
        school_year: school_year?,
    })))
}

fn subjects(row: &mut RowReader<'_>) -> (Vec<String>, Vec<String>) {
    let (subjects, codes) = (row.list("subjects"), row.list("subjectCodes"));
    if let Some(violation) = rules::parallel(&subjects, &codes) {
        fail(row, violation);
    }
    (subjects, codes)
}

/// Reports a rule of [`rules`] the row breaks, at its column.
fn fail(row: &mut RowReader<'_>, violation: Violation) {
    let code = match violation.kind {
        Broken::Date => Code::BadDate,
        Broken::Value => Code::BadValue,
        Broken::Required => Code::Required,
    };
    row.fail(violation.property, code, violation.reason);
}

fn course(row: &mut RowReader<'_>, base: Option<Base>) -> Option<Row> {
    let school_year = row.optional_reference("schoolYearSourcedId", Collection::AcademicSessions);
    let title = row.required_string("title");
    let org = row.reference("orgSourcedId", Collection::Orgs);
    let (subjects, subject_codes) = subjects(row);
    Some(Row::Record(Record::Course(Course {
        base: base?,
        title: title?,
        school_year,
        course_code: row.string("courseCode").unwrap_or_default(),
        grades: row.list("grades"),
        subjects,
        org: org?,
        subject_codes,
    })))
}

fn class(row: &mut RowReader<'_>, base: Option<Base>) -> Option<Row> {
    let title = row.required_string("title");
    let course = row.reference("courseSourcedId", Collection::Courses);
    let class_type = row.required_vocab("classType", ClassType::parse);
    let school = row.reference("schoolSourcedId", Collection::Orgs);
    let terms = row.references("termSourcedIds", Collection::AcademicSessions, true);
    let (subjects, subject_codes) = subjects(row);
    Some(Row::Record(Record::Class(Class {
        base: base?,
        title: title?,
        class_code: row.string("classCode"),
        class_type: Some(class_type?),
        location: row.string("location"),
        grades: row.list("grades"),
        subjects,
        course: course?,
        school: school?,
        terms,
        subject_codes,
        periods: row.list("periods"),
    })))
}

fn user_ids(row: &mut RowReader<'_>) -> Vec<UserId> {
    let mut ids = Vec::new();
    for item in row.list("userIds") {
        let parsed = item
            .strip_prefix('{')
            .and_then(|s| s.strip_suffix('}'))
            .and_then(|s| s.split_once(':'))
            .filter(|(t, i)| !t.is_empty() && !i.is_empty());
        match parsed {
            Some((id_type, identifier)) => {
                ids.push(UserId { id_type: id_type.to_owned(), identifier: identifier.to_owned() })
            }
            None => {
                row.fail("userIds", Code::BadValue, format!("{} is not of the form {{type:identifier}}", quote(&item)))
            }
        }
    }
    ids
}

/// A user; a 1.1 row's roles from its `role` and `orgSourcedIds` ([`Context::roles`]), a 1.2
/// row's from roles.csv when the package is applied. The 1.2-only columns a 1.1 file lacks
/// read as blank.
fn user(row: &mut RowReader<'_>, base: Option<Base>, v1p1: Option<&Context>) -> Option<Row> {
    let enabled_user = row.required_flag("enabledUser");
    let (roles, primary_org) = match v1p1 {
        Some(context) => context.roles(row),
        None => (Vec::new(), row.optional_reference("primaryOrgSourcedId", Collection::Orgs)),
    };
    let username = row.required_string("username");
    let user_ids = user_ids(row);
    let given_name = row.required_string("givenName");
    let family_name = row.required_string("familyName");
    let agents = row.references("agentSourcedIds", Collection::Users, false);
    Some(Row::Record(Record::User(User {
        base: base?,
        user_master_identifier: row.string("userMasterIdentifier"),
        username: Some(username?),
        user_ids,
        enabled_user: enabled_user?,
        given_name: given_name?,
        family_name: family_name?,
        middle_name: row.string("middleName"),
        preferred_first_name: row.string("preferredGivenName"),
        preferred_middle_name: row.string("preferredMiddleName"),
        preferred_last_name: row.string("preferredFamilyName"),
        pronouns: row.string("pronouns"),
        roles,
        user_profiles: Vec::new(),
        primary_org,
        identifier: row.string("identifier"),
        email: row.string("email"),
        sms: row.string("sms"),
        phone: row.string("phone"),
        agents,
        grades: row.list("grades"),
        password: row.string("password"),
    })))
}

fn profile(row: &mut RowReader<'_>, base: Option<Base>) -> Option<Row> {
    let user = row.guid("userSourcedId");
    let profile_type = row.required_string("profileType");
    let vendor_id = row.required_string("vendorId");
    let credential_type = row.required_string("credentialType");
    let username = row.required_string("username");
    let base = base?;
    Some(Row::Profile(Part {
        id: base.sourced_id.clone(),
        owner: user?,
        of: Collection::Users,
        status: base.status,
        value: UserProfile {
            profile_id: base.sourced_id.to_string(),
            profile_type: profile_type?,
            vendor_id: vendor_id?,
            application_id: row.string("applicationId"),
            description: row.string("description"),
            credentials: vec![Credential {
                credential_type: credential_type?,
                username: username?,
                password: row.string("password"),
            }],
        },
    }))
}

fn role(row: &mut RowReader<'_>, base: Option<Base>) -> Option<Row> {
    let user = row.guid("userSourcedId");
    let role_type = row.required_vocab("roleType", RoleType::parse);
    let role = row.required_vocab("role", RoleName::parse);
    let begin_date = row.date("beginDate");
    let end_date = row.date("endDate");
    let org = row.reference("orgSourcedId", Collection::Orgs);
    let user_profile = row.optional_guid("userProfileSourcedId");
    let base = base?;
    Some(Row::Role(Part {
        id: base.sourced_id,
        owner: user?,
        of: Collection::Users,
        status: base.status,
        value: Role {
            role_type: role_type?,
            role: role?,
            org: org?,
            user_profile: user_profile.map(|p| p.to_string()),
            begin_date,
            end_date,
        },
    }))
}

/// An enrollment; a 1.1 row's role in 1.1's vocabulary, the roles 1.2 lacks kept as `ext:`.
fn enrollment(row: &mut RowReader<'_>, base: Option<Base>, v1p1: bool) -> Option<Row> {
    let class = row.reference("classSourcedId", Collection::Classes);
    let school = row.reference("schoolSourcedId", Collection::Orgs);
    let user = row.reference("userSourcedId", Collection::Users);
    let role = row.required_vocab("role", if v1p1 { enrollment_role_from_v1p1 } else { EnrollmentRole::parse });
    let primary = row.flag("primary");
    let begin_date = row.date("beginDate");
    let end_date = row.date("endDate");
    Some(Row::Record(Record::Enrollment(Enrollment {
        base: base?,
        user: user?,
        class: class?,
        school: school?,
        role: role?,
        primary,
        begin_date,
        end_date,
    })))
}

fn demographics(row: &mut RowReader<'_>, base: Option<Base>) -> Option<Row> {
    let birth_date = row.date("birthDate");
    let sex = row.vocab("sex", Sex::parse);
    let mut flag = |c| row.flag(c);
    let flags = [
        flag("americanIndianOrAlaskaNative"),
        flag("asian"),
        flag("blackOrAfricanAmerican"),
        flag("nativeHawaiianOrOtherPacificIslander"),
        flag("white"),
        flag("demographicRaceTwoOrMoreRaces"),
        flag("hispanicOrLatinoEthnicity"),
    ];
    let [american_indian_or_alaska_native, asian, black_or_african_american, native_hawaiian_or_other_pacific_islander, white, demographic_race_two_or_more_races, hispanic_or_latino_ethnicity] =
        flags;
    Some(Row::Record(Record::Demographics(Demographics {
        base: base?,
        birth_date,
        sex,
        american_indian_or_alaska_native,
        asian,
        black_or_african_american,
        native_hawaiian_or_other_pacific_islander,
        white,
        demographic_race_two_or_more_races,
        hispanic_or_latino_ethnicity,
        country_of_birth_code: row.string("countryOfBirthCode"),
        state_of_birth_abbreviation: row.string("stateOfBirthAbbreviation"),
        city_of_birth: row.string("cityOfBirth"),
        public_school_residence_status: row.string("publicSchoolResidenceStatus"),
    })))
}

fn resource(row: &mut RowReader<'_>, base: Option<Base>) -> Option<Row> {
    let vendor_resource_id = row.required_string("vendorResourceId");
    let mut roles = Vec::new();
    for term in row.list("roles") {
        match ResourceRole::parse(&term) {
            Ok(role) => roles.push(role),
            Err(e) => row.fail("roles", Code::BadValue, quoting(e.to_string(), &term)),
        }
    }
    let importance = row.vocab("importance", Importance::parse);
    Some(Row::Record(Record::Resource(Resource {
        base: base?,
        title: row.string("title"),
        roles,
        importance,
        vendor_resource_id: vendor_resource_id?,
        vendor_id: row.string("vendorId"),
        application_id: row.string("applicationId"),
    })))
}

fn class_resource(row: &mut RowReader<'_>, base: Option<Base>) -> Option<Row> {
    let class = row.reference("classSourcedId", Collection::Classes);
    let resource = row.reference("resourceSourcedId", Collection::Resources);
    Some(Row::Record(Record::ClassResource(ClassResource {
        base: base?,
        title: row.string("title"),
        class: class?,
        resource: resource?,
    })))
}

fn course_resource(row: &mut RowReader<'_>, base: Option<Base>) -> Option<Row> {
    let course = row.reference("courseSourcedId", Collection::Courses);
    let resource = row.reference("resourceSourcedId", Collection::Resources);
    Some(Row::Record(Record::CourseResource(CourseResource {
        base: base?,
        title: row.string("title"),
        course: course?,
        resource: resource?,
    })))
}

fn user_resource(row: &mut RowReader<'_>, base: Option<Base>) -> Option<Row> {
    let user = row.reference("userSourcedId", Collection::Users);
    let org = row.optional_reference("orgSourcedId", Collection::Orgs);
    let class = row.optional_reference("classSourcedId", Collection::Classes);
    let resource = row.reference("resourceSourcedId", Collection::Resources);
    Some(Row::Record(Record::UserResource(UserResource { base: base?, user: user?, org, class, resource: resource? })))
}

fn absence_code(row: &mut RowReader<'_>, base: Option<Base>) -> Option<Row> {
    let title = row.required_string("title");
    let absent = row.required_flag("absent");
    let excused = row.flag("excused");
    Some(Row::Record(Record::AbsenceCode(AbsenceCode {
        base: base?,
        title: title?,
        absent: absent? == Flag::True,
        excused: excused.map(|flag| flag == Flag::True),
        description: row.string("description"),
    })))
}

fn attendance(row: &mut RowReader<'_>, base: Option<Base>) -> Option<Row> {
    let class = row.optional_reference("classSourcedId", Collection::Classes);
    let school = row.optional_reference("schoolSourcedId", Collection::Orgs);
    let student = row.reference("userSourcedId", Collection::Users);
    let date = row.required_date("date");
    let absence_code = row.reference("absenceCodeSourcedId", Collection::AbsenceCodes);
    Some(Row::Record(Record::Attendance(Attendance {
        base: base?,
        class,
        school,
        student: student?,
        date: date?,
        absence_code: absence_code?,
        period: row.string("period"),
        comment: row.string("comment"),
    })))
}

fn category(row: &mut RowReader<'_>, base: Option<Base>) -> Option<Row> {
    let title = row.required_string("title");
    let weight = row.number("weight");
    Some(Row::Record(Record::Category(Category { base: base?, title: title?, weight })))
}

/// `scoreScaleValue`: a list of `{left:right}` pairs (`"{A+:100},{A:94}"`, `{60-69:B}`).
fn score_scale_values(row: &mut RowReader<'_>) -> Vec<ScoreScaleValue> {
    let mut values = Vec::new();
    for item in row.list("scoreScaleValue") {
        let pair = item
            .strip_prefix('{')
            .and_then(|s| s.strip_suffix('}'))
            .and_then(|s| s.split_once(':'))
            .filter(|(l, r)| !l.is_empty() && !r.is_empty());
        match pair {
            Some((lhs, rhs)) => {
                values.push(ScoreScaleValue { item_value_lhs: lhs.to_owned(), item_value_rhs: rhs.to_owned() })
            }
            None => row.fail(
                "scoreScaleValue",
                Code::BadValue,
                format!("{} is not of the form {{value:value}}", quote(&item)),
            ),
        }
    }
    values
}

fn score_scale(row: &mut RowReader<'_>, base: Option<Base>) -> Option<Row> {
    let title = row.required_string("title");
    let scale_type = row.required_string("type");
    let org = row.reference("orgSourcedId", Collection::Orgs);
    let course = row.reference("courseSourcedId", Collection::Courses);
    let class = row.reference("classSourcedId", Collection::Classes);
    row.required("scoreScaleValue");
    let score_scale_value = score_scale_values(row);
    Some(Row::Record(Record::ScoreScale(ScoreScale {
        base: base?,
        title: title?,
        scale_type: scale_type?,
        course: Some(course?),
        class: class?,
        score_scale_value,
        org: Some(org?),
    })))
}

/// A line item; a 1.1 row's session is its `gradingPeriodSourcedId` and its school its class's
/// ([`Context::school_of`]).
fn line_item(row: &mut RowReader<'_>, base: Option<Base>, v1p1: Option<&Context>) -> Option<Row> {
    let title = row.required_string("title");
    let assign_date = row.required_day_start("assignDate");
    let due_date = row.required_day_start("dueDate");
    let class = row.reference("classSourcedId", Collection::Classes);
    let category = row.reference("categorySourcedId", Collection::Categories);
    let session_column = if v1p1.is_some() { "gradingPeriodSourcedId" } else { "academicSessionSourcedId" };
    let academic_session = row.reference(session_column, Collection::AcademicSessions);
    let result_value_min = row.number("resultValueMin");
    let result_value_max = row.number("resultValueMax");
    let school = match (v1p1, &class) {
        (Some(context), Some(class)) => context.school_of(row, class),
        (Some(_), None) => None,
        (None, _) => row.reference("schoolSourcedId", Collection::Orgs),
    };
    Some(Row::Record(Record::LineItem(LineItem {
        base: base?,
        title: title?,
        description: row.string("description"),
        assign_date: assign_date?,
        due_date: due_date?,
        class: class?,
        school: school?,
        category: category?,
        grading_period: None,
        academic_session: Some(academic_session?),
        score_scale: None,
        result_value_min,
        result_value_max,
        learning_objective_set: Vec::new(),
    })))
}

fn result(row: &mut RowReader<'_>, base: Option<Base>) -> Option<Row> {
    let line_item = row.reference("lineItemSourcedId", Collection::LineItems);
    let student = row.reference("studentSourcedId", Collection::Users);
    let score_status = row.required_vocab("scoreStatus", ScoreStatus::parse);
    let score = row.number("score");
    let score_date = row.required_date("scoreDate");
    let class = row.optional_reference("classSourcedId", Collection::Classes);
    let (in_progress, incomplete, late, missing) =
        (row.flag("inProgress"), row.flag("incomplete"), row.flag("late"), row.flag("missing"));
    Some(Row::Record(Record::Result(GradebookResult {
        base: base?,
        line_item: line_item?,
        student: student?,
        class,
        score_scale: None,
        score_status: score_status?,
        score,
        text_score: row.string("textScore"),
        score_date: score_date?,
        comment: row.string("comment"),
        learning_objective_set: Vec::new(),
        in_progress,
        incomplete,
        late,
        missing,
    })))
}

/// The column naming the record a part row of `of` belongs to.
fn owner_column(of: Collection) -> &'static str {
    if of == Collection::LineItems {
        "lineItemSourcedId"
    } else {
        "resultSourcedId"
    }
}

fn objective(row: &mut RowReader<'_>, base: Option<Base>, of: Collection) -> Option<Row> {
    let owner = row.guid(owner_column(of));
    let source = row.required_string("source");
    let learning_objective_id = row.required_string("learningObjectiveId");
    let (score, text_score) =
        if of == Collection::Results { (row.number("score"), row.string("textScore")) } else { (None, None) };
    let base = base?;
    Some(Row::Objective(Part {
        id: base.sourced_id,
        owner: owner?,
        of,
        status: base.status,
        value: ObjectiveRow { source: source?, learning_objective_id: learning_objective_id?, score, text_score },
    }))
}

fn part_score_scale(row: &mut RowReader<'_>, base: Option<Base>, of: Collection) -> Option<Row> {
    let owner = row.guid(owner_column(of));
    let scale = row.reference("scoreScaleSourcedId", Collection::ScoreScales);
    let base = base?;
    Some(Row::ScoreScale(Part { id: base.sourced_id, owner: owner?, of, status: base.status, value: scale? }))
}
