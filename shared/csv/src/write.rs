//! Writing rows: the inverse of [`crate::rows`], driven by the same headers
//! ([`Version::columns`]), so that a row written here and read back by [`crate::read_rows`] is
//! the record it was written from. A stored record is first split into the rows of its files
//! ([`rows_of`]: a user into its users.csv row and its roles.csv and userProfiles.csv rows, as
//! the ingest folds them), then each row into its cells ([`cells`]); a cell whose column the
//! version's header lacks (a 1.2-only column of a 1.1 file) is left out, as the reader reads it
//! blank. Bulk rows leave `status` and `dateLastModified` blank, as the binding requires.
//!
//! What the binding cannot carry is written as it reads back: nested `metadata` objects as
//! `metadata.<key>.<key>` columns of text, a line item's `assignDate` and `dueDate` as the
//! district's day when they are the start of one (else the full date-time, which the reader
//! also takes).

use crate::package::{FileKind, Mode, Version};
use crate::rows::{Part, Row};
use oneroster_model::entities::{GuidRef, LearningObjectiveResult, Metadata, ObjectiveRow, ScoreScaleValue, UserId};
use oneroster_model::v1p1::{enrollment_role, user_role_and_orgs};
use oneroster_model::vocab::Flag;
use oneroster_model::{Collection, Record, SourcedId, Status, Timestamp, Timezone};
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;

/// A stored record's parts could not be read back into rows.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The parts kept beside a record are not the JSON the ingest writes.
    #[error("the parts kept beside {id} are not readable: {source}")]
    Parts {
        /// The record's sourcedId.
        id: String,
        /// Why.
        source: serde_json::Error,
    },
    /// A part's id, made from its record's, is not a sourcedId.
    #[error("a part of {0} cannot be given a sourcedId")]
    PartId(String),
}

/// One row's cells in its file's header order, and its `metadata.*` columns (key without the
/// prefix, text) in the record's order; a file's header is its columns and then the keys of
/// all its rows, which a writer learns only at the end of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cells {
    columns: &'static [&'static str],
    values: Vec<String>,
    metadata: Vec<(String, String)>,
}

impl Cells {
    fn new(columns: &'static [&'static str]) -> Self {
        Self { columns, values: vec![String::new(); columns.len()], metadata: Vec::new() }
    }

    /// The row of `kind` in `version` whose cells are `text` of each column (blank for
    /// `None`), with `metadata` flattened as a record's is: a row made outside the model, as a
    /// pull from a 1.1 source makes its rows from the 1.1 JSON, for the 1.1 reader to map as it
    /// maps any 1.1 package.
    pub fn by_column(
        kind: FileKind,
        version: Version,
        metadata: Option<&Metadata>,
        mut text: impl FnMut(&'static str) -> Option<String>,
    ) -> Self {
        let columns = version.columns(kind);
        let values = columns.iter().map(|column| text(column).unwrap_or_default()).collect();
        let mut cells = Self { columns, values, metadata: Vec::new() };
        if let Some(metadata) = metadata {
            cells.flatten("", metadata);
        }
        cells
    }

    /// The defined columns' cells, in header order.
    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// The `metadata.*` cells: each key (after `metadata.`) and its text.
    pub fn metadata(&self) -> &[(String, String)] {
        &self.metadata
    }

    /// The row as a delta package carries it: its record's `status` and `dateLastModified`,
    /// which a bulk leaves blank (a deletion is a `tobedeleted` row).
    pub fn dated(mut self, status: &Status, modified: Timestamp) -> Self {
        self.set("status", status.as_str());
        self.set("dateLastModified", modified.to_string());
        self
    }

    /// Sets `column` if the header has it (a 1.1 header lacks 1.2's own columns).
    fn set(&mut self, column: &'static str, value: impl Into<String>) {
        if let Some(at) = self.columns.iter().position(|c| *c == column) {
            self.values[at] = value.into();
        }
    }

    fn text(&mut self, column: &'static str, value: Option<&str>) {
        if let Some(value) = value {
            self.set(column, value);
        }
    }

    fn reference(&mut self, column: &'static str, value: Option<&GuidRef>) {
        self.text(column, value.map(|r| r.sourced_id.as_str()));
    }

    fn references(&mut self, column: &'static str, values: &[GuidRef]) {
        self.list(column, values.iter().map(|r| r.sourced_id.as_str()));
    }

    fn list<'v>(&mut self, column: &'static str, values: impl IntoIterator<Item = &'v str>) {
        self.set(column, values.into_iter().collect::<Vec<_>>().join(","));
    }

    fn number(&mut self, column: &'static str, value: Option<f64>) {
        if let Some(value) = value {
            self.set(column, value.to_string());
        }
    }

    fn flag(&mut self, column: &'static str, value: &Option<Flag>) {
        self.text(column, value.as_ref().map(Flag::as_str));
    }

    fn date(&mut self, column: &'static str, value: Option<impl ToString>) {
        if let Some(value) = value {
            self.set(column, value.to_string());
        }
    }

    /// A date-time the binding gives as a date: the district's day when it starts one.
    fn day_start(&mut self, column: &'static str, value: Timestamp, zone: Timezone) {
        let day = zone.date_of(value);
        if zone.start_of(day) == value {
            self.set(column, day.to_string());
        } else {
            self.set(column, value.to_string());
        }
    }

    /// `metadata`, flattened: nested objects by dotted keys, text as it is, numbers and
    /// booleans as their JSON, lists as their JSON; a null is left out (read back as absent).
    fn flatten(&mut self, prefix: &str, metadata: &Metadata) {
        for (key, value) in metadata {
            let key = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
            match value {
                serde_json::Value::Null => {}
                serde_json::Value::String(text) => self.metadata.push((key, text.clone())),
                serde_json::Value::Object(nested) => self.flatten(&key, nested),
                other => self.metadata.push((key, other.to_string())),
            }
        }
    }
}

impl Row {
    /// The file this row is written to; `None` for a record of a collection the binding has no
    /// file for (the assessment collections).
    pub fn file_kind(&self) -> Option<FileKind> {
        let of = |part_of: Collection, line_items: FileKind, results: FileKind| {
            if part_of == Collection::LineItems {
                line_items
            } else {
                results
            }
        };
        Some(match self {
            Row::Record(record) => FileKind::of(record.collection())?,
            Row::Role(_) => FileKind::Roles,
            Row::Profile(_) => FileKind::UserProfiles,
            Row::Objective(p) => of(p.of, FileKind::LineItemLearningObjectiveIds, FileKind::ResultLearningObjectiveIds),
            Row::ScoreScale(p) => of(p.of, FileKind::LineItemScoreScales, FileKind::ResultScoreScales),
        })
    }
}

/// The cells of `row` in `version`'s header of its file (`None`: the row has no file, or the
/// version has not the file); `zone` is the district's, where a day starts.
pub fn cells(row: &Row, version: Version, zone: Timezone) -> Option<Cells> {
    let kind = row.file_kind().filter(|kind| version.has(*kind))?;
    let mut c = Cells::new(version.columns(kind));
    let v1p1 = version == Version::V1p1;
    c.set("sourcedId", row.id().as_str());
    match row {
        Row::Record(record) => {
            if let Some(metadata) = &record.base().metadata {
                c.flatten("", metadata);
            }
            record_cells(&mut c, record, v1p1, zone);
        }
        Row::Role(p) => {
            c.set("userSourcedId", p.owner.as_str());
            c.set("roleType", p.value.role_type.as_str());
            c.set("role", p.value.role.as_str());
            c.date("beginDate", p.value.begin_date);
            c.date("endDate", p.value.end_date);
            c.reference("orgSourcedId", Some(&p.value.org));
            c.text("userProfileSourcedId", p.value.user_profile.as_deref());
        }
        Row::Profile(p) => {
            let profile = &p.value;
            c.set("userSourcedId", p.owner.as_str());
            c.set("profileType", profile.profile_type.as_str());
            c.set("vendorId", profile.vendor_id.as_str());
            c.text("applicationId", profile.application_id.as_deref());
            c.text("description", profile.description.as_deref());
            // The binding has one credential per profile row: the first is written.
            if let Some(credential) = profile.credentials.first() {
                c.set("credentialType", credential.credential_type.as_str());
                c.set("username", credential.username.as_str());
                c.text("password", credential.password.as_deref());
            }
        }
        Row::Objective(p) => {
            c.set(owner_column(p), p.owner.as_str());
            c.set("source", p.value.source.as_str());
            c.set("learningObjectiveId", p.value.learning_objective_id.as_str());
            c.number("score", p.value.score);
            c.text("textScore", p.value.text_score.as_deref());
        }
        Row::ScoreScale(p) => {
            c.set(owner_column(p), p.owner.as_str());
            c.reference("scoreScaleSourcedId", Some(&p.value));
        }
    }
    Some(c)
}

/// The column naming the record a part row belongs to.
fn owner_column<T>(part: &Part<T>) -> &'static str {
    match part.of {
        Collection::Users => "userSourcedId",
        Collection::LineItems => "lineItemSourcedId",
        _ => "resultSourcedId",
    }
}

/// The cells of a record's own columns (what `rows::map_row` reads back, file by file).
fn record_cells(c: &mut Cells, record: &Record, v1p1: bool, zone: Timezone) {
    match record {
        Record::Org(org) => {
            c.set("name", org.name.as_str());
            c.set("type", org.org_type.as_str());
            c.set("identifier", org.identifier.as_str());
            c.reference("parentSourcedId", org.parent.as_ref());
        }
        Record::AcademicSession(s) => {
            c.set("title", s.title.as_str());
            c.set("type", s.session_type.as_str());
            c.date("startDate", Some(s.start_date));
            c.date("endDate", Some(s.end_date));
            c.reference("parentSourcedId", s.parent.as_ref());
            c.set("schoolYear", s.school_year.as_str());
        }
        Record::Course(course) => {
            c.reference("schoolYearSourcedId", course.school_year.as_ref());
            c.set("title", course.title.as_str());
            c.set("courseCode", course.course_code.as_str());
            c.list("grades", course.grades.iter().map(String::as_str));
            c.reference("orgSourcedId", Some(&course.org));
            c.list("subjects", course.subjects.iter().map(String::as_str));
            c.list("subjectCodes", course.subject_codes.iter().map(String::as_str));
        }
        Record::Class(class) => {
            c.set("title", class.title.as_str());
            c.list("grades", class.grades.iter().map(String::as_str));
            c.reference("courseSourcedId", Some(&class.course));
            c.text("classCode", class.class_code.as_deref());
            c.text("classType", class.class_type.as_ref().map(|t| t.as_str()));
            c.text("location", class.location.as_deref());
            c.reference("schoolSourcedId", Some(&class.school));
            c.references("termSourcedIds", &class.terms);
            c.list("subjects", class.subjects.iter().map(String::as_str));
            c.list("subjectCodes", class.subject_codes.iter().map(String::as_str));
            c.list("periods", class.periods.iter().map(String::as_str));
        }
        Record::User(user) => {
            c.set("enabledUser", user.enabled_user.as_str());
            c.text("username", user.username.as_deref());
            c.list("userIds", user.user_ids.iter().map(user_id).collect::<Vec<_>>().iter().map(String::as_str));
            c.set("givenName", user.given_name.as_str());
            c.set("familyName", user.family_name.as_str());
            c.text("middleName", user.middle_name.as_deref());
            c.text("identifier", user.identifier.as_deref());
            c.text("email", user.email.as_deref());
            c.text("sms", user.sms.as_deref());
            c.text("phone", user.phone.as_deref());
            c.references("agentSourcedIds", &user.agents);
            c.list("grades", user.grades.iter().map(String::as_str));
            c.text("password", user.password.as_deref());
            c.text("userMasterIdentifier", user.user_master_identifier.as_deref());
            c.text("preferredGivenName", user.preferred_first_name.as_deref());
            c.text("preferredMiddleName", user.preferred_middle_name.as_deref());
            c.text("preferredFamilyName", user.preferred_last_name.as_deref());
            c.reference("primaryOrgSourcedId", user.primary_org.as_ref());
            c.text("pronouns", user.pronouns.as_deref());
            // 1.1's header only: the user's role and orgs, made from its roles.
            let (role, orgs) = user_role_and_orgs(&user.roles);
            c.text("role", role);
            c.list("orgSourcedIds", orgs.iter().map(|org| org.sourced_id.as_str()));
        }
        Record::Enrollment(e) => {
            c.reference("classSourcedId", Some(&e.class));
            c.reference("schoolSourcedId", Some(&e.school));
            c.reference("userSourcedId", Some(&e.user));
            let role = e.role.as_str();
            c.text("role", if v1p1 { enrollment_role(role) } else { Some(role) });
            c.flag("primary", &e.primary);
            c.date("beginDate", e.begin_date);
            c.date("endDate", e.end_date);
        }
        Record::Demographics(d) => {
            c.date("birthDate", d.birth_date);
            c.text("sex", d.sex.as_ref().map(|s| s.as_str()));
            c.flag("americanIndianOrAlaskaNative", &d.american_indian_or_alaska_native);
            c.flag("asian", &d.asian);
            c.flag("blackOrAfricanAmerican", &d.black_or_african_american);
            c.flag("nativeHawaiianOrOtherPacificIslander", &d.native_hawaiian_or_other_pacific_islander);
            c.flag("white", &d.white);
            c.flag("demographicRaceTwoOrMoreRaces", &d.demographic_race_two_or_more_races);
            c.flag("hispanicOrLatinoEthnicity", &d.hispanic_or_latino_ethnicity);
            c.text("countryOfBirthCode", d.country_of_birth_code.as_deref());
            c.text("stateOfBirthAbbreviation", d.state_of_birth_abbreviation.as_deref());
            c.text("cityOfBirth", d.city_of_birth.as_deref());
            c.text("publicSchoolResidenceStatus", d.public_school_residence_status.as_deref());
        }
        Record::Resource(r) => {
            c.set("vendorResourceId", r.vendor_resource_id.as_str());
            c.text("title", r.title.as_deref());
            c.list("roles", r.roles.iter().map(|role| role.as_str()));
            c.text("importance", r.importance.as_ref().map(|i| i.as_str()));
            c.text("vendorId", r.vendor_id.as_deref());
            c.text("applicationId", r.application_id.as_deref());
        }
        Record::ClassResource(r) => {
            c.text("title", r.title.as_deref());
            c.reference("classSourcedId", Some(&r.class));
            c.reference("resourceSourcedId", Some(&r.resource));
        }
        Record::CourseResource(r) => {
            c.text("title", r.title.as_deref());
            c.reference("courseSourcedId", Some(&r.course));
            c.reference("resourceSourcedId", Some(&r.resource));
        }
        Record::UserResource(r) => {
            c.reference("userSourcedId", Some(&r.user));
            c.reference("orgSourcedId", r.org.as_ref());
            c.reference("classSourcedId", r.class.as_ref());
            c.reference("resourceSourcedId", Some(&r.resource));
        }
        Record::Category(category) => {
            c.set("title", category.title.as_str());
            c.number("weight", category.weight);
        }
        Record::ScoreScale(s) => {
            c.set("title", s.title.as_str());
            c.set("type", s.scale_type.as_str());
            c.reference("orgSourcedId", s.org.as_ref());
            c.reference("courseSourcedId", s.course.as_ref());
            c.reference("classSourcedId", Some(&s.class));
            let values: Vec<String> = s.score_scale_value.iter().map(score_scale_value).collect();
            c.list("scoreScaleValue", values.iter().map(String::as_str));
        }
        Record::LineItem(item) => {
            c.set("title", item.title.as_str());
            c.text("description", item.description.as_deref());
            c.day_start("assignDate", item.assign_date, zone);
            c.day_start("dueDate", item.due_date, zone);
            c.reference("classSourcedId", Some(&item.class));
            c.reference("categorySourcedId", Some(&item.category));
            let session = item.academic_session.as_ref().or(item.grading_period.as_ref());
            c.reference(if v1p1 { "gradingPeriodSourcedId" } else { "academicSessionSourcedId" }, session);
            c.number("resultValueMin", item.result_value_min);
            c.number("resultValueMax", item.result_value_max);
            c.reference("schoolSourcedId", Some(&item.school));
        }
        Record::Result(r) => {
            c.reference("lineItemSourcedId", Some(&r.line_item));
            c.reference("studentSourcedId", Some(&r.student));
            c.set("scoreStatus", r.score_status.as_str());
            c.number("score", r.score);
            c.date("scoreDate", Some(r.score_date));
            c.text("comment", r.comment.as_deref());
            c.text("textScore", r.text_score.as_deref());
            c.reference("classSourcedId", r.class.as_ref());
            c.flag("inProgress", &r.in_progress);
            c.flag("incomplete", &r.incomplete);
            c.flag("late", &r.late);
            c.flag("missing", &r.missing);
        }
        Record::AbsenceCode(code) => {
            c.set("title", code.title.as_str());
            c.set("absent", Flag::from(code.absent).as_str());
            c.flag("excused", &code.excused.map(Flag::from));
            c.text("description", code.description.as_deref());
        }
        Record::Attendance(a) => {
            c.reference("classSourcedId", a.class.as_ref());
            c.reference("schoolSourcedId", a.school.as_ref());
            c.reference("userSourcedId", Some(&a.student));
            c.date("date", Some(a.date));
            c.reference("absenceCodeSourcedId", Some(&a.absence_code));
            c.text("period", a.period.as_deref());
            c.text("comment", a.comment.as_deref());
        }
        // The assessment collections have no file ([`Row::file_kind`] is `None`).
        _ => {}
    }
}

/// `{type:identifier}`, as `userIds` lists them.
fn user_id(id: &UserId) -> String {
    format!("{{{}:{}}}", id.id_type, id.identifier)
}

/// `{left:right}`, as `scoreScaleValue` lists them.
fn score_scale_value(value: &ScoreScaleValue) -> String {
    format!("{{{}:{}}}", value.item_value_lhs, value.item_value_rhs)
}

/// The parts kept beside a record, as the ingest writes them: by part key
/// ([`FileKind::part_key`]), each row's value by its sourcedId.
type Parts = BTreeMap<String, BTreeMap<String, serde_json::Value>>;

/// A stored record as the rows of its files, its own first: the inverse of the ingest's fold
/// of part files into records. `parts` is what was kept beside it (the part rows by their own
/// sourcedIds), whose ids are written again where they still hold what the record holds; parts
/// of a record written through the API (which keeps none) or changed by it get ids made from
/// the record's (`<id>.role.<n>`, `<id>.objective.<n>`, `<id>.scoreScale`; a profile's is
/// its `profileId`, as the reader makes it).
pub fn rows_of(record: Record, parts: Option<&str>) -> Result<Vec<Row>, WriteError> {
    let owner = record.base().sourced_id.clone();
    let parts: Parts = match parts {
        Some(json) => {
            serde_json::from_str(json).map_err(|source| WriteError::Parts { id: owner.to_string(), source })?
        }
        None => Parts::new(),
    };
    let owned = Owned { owner: &owner, parts: &parts };
    let mut rows = vec![];
    match &record {
        Record::User(user) => {
            // A 1.1 package's roles are kept by their org's id, which other users share: those
            // rows get ids of their own.
            let shared_ids = |id: &str| user.roles.iter().any(|r| r.org.sourced_id.as_str() == id);
            for (id, role) in owned.rows(FileKind::Roles, "role", &user.roles, shared_ids)? {
                rows.push(Row::Role(owned.part(&id, Collection::Users, role)?));
            }
            for profile in &user.user_profiles {
                rows.push(Row::Profile(owned.part(&profile.profile_id, Collection::Users, profile.clone())?));
            }
        }
        Record::LineItem(item) => {
            let objectives: Vec<ObjectiveRow> = item
                .learning_objective_set
                .iter()
                .flat_map(|set| set.learning_objective_ids.iter().map(|id| objective(&set.source, id, None)))
                .collect();
            owned.scored(&mut rows, Collection::LineItems, &objectives, item.score_scale.as_ref())?;
        }
        Record::Result(result) => {
            let objectives: Vec<ObjectiveRow> = result
                .learning_objective_set
                .iter()
                .flat_map(|set| {
                    set.learning_objective_results
                        .iter()
                        .map(|r| objective(&set.source, &r.learning_objective_id, Some(r)))
                })
                .collect();
            owned.scored(&mut rows, Collection::Results, &objectives, result.score_scale.as_ref())?;
        }
        _ => {}
    }
    rows.insert(0, Row::Record(record));
    Ok(rows)
}

/// One record's kept parts, from which its part rows are made.
struct Owned<'a> {
    owner: &'a SourcedId,
    parts: &'a Parts,
}

impl Owned<'_> {
    /// A part row of the record.
    fn part<T>(&self, id: &str, of: Collection, value: T) -> Result<Part<T>, WriteError> {
        let id = SourcedId::parse(id).map_err(|_| WriteError::PartId(self.owner.to_string()))?;
        Ok(Part { id, owner: self.owner.clone(), of, status: Status::Active, value })
    }

    /// The record's `held` parts of `kind` with their row ids: the kept ones when they are the
    /// same rows (none of their ids `shared` with other records), else ids made with `label`.
    fn rows<T: DeserializeOwned + PartialEq + Clone>(
        &self,
        kind: FileKind,
        label: &str,
        held: &[T],
        shared: impl Fn(&str) -> bool,
    ) -> Result<Vec<(String, T)>, WriteError> {
        let kept: Option<Vec<(String, T)>> = self.parts.get(kind.part_key()).and_then(|kept| {
            kept.iter().map(|(id, value)| Some((id.clone(), serde_json::from_value(value.clone()).ok()?))).collect()
        });
        let same = |kept: &[(String, T)]| {
            kept.len() == held.len() && kept.iter().all(|(id, row)| held.contains(row) && !shared(id))
        };
        Ok(match kept {
            Some(kept) if same(&kept) => kept,
            _ => held.iter().enumerate().map(|(n, row)| (format!("{}.{label}.{n}", self.owner), row.clone())).collect(),
        })
    }

    /// The objective and score scale rows of a line item or result.
    fn scored(
        &self,
        rows: &mut Vec<Row>,
        of: Collection,
        objectives: &[ObjectiveRow],
        scale: Option<&GuidRef>,
    ) -> Result<(), WriteError> {
        let kind = FileKind::LineItemLearningObjectiveIds;
        for (id, objective) in self.rows(kind, "objective", objectives, |_| false)? {
            rows.push(Row::Objective(self.part(&id, of, objective)?));
        }
        // The ingest takes the last kept row as the record's scale.
        if let Some(scale) = scale {
            let kept = self.parts.get(FileKind::LineItemScoreScales.part_key()).and_then(|kept| kept.iter().last());
            let kept = kept
                .filter(|(_, value)| serde_json::from_value::<GuidRef>((*value).clone()).ok().as_ref() == Some(scale));
            let id = kept.map(|(id, _)| id.clone()).unwrap_or_else(|| format!("{}.scoreScale", self.owner));
            rows.push(Row::ScoreScale(self.part(&id, of, scale.clone())?));
        }
        Ok(())
    }
}

/// One objective row of a set.
fn objective(source: &str, id: &str, result: Option<&LearningObjectiveResult>) -> ObjectiveRow {
    ObjectiveRow {
        source: source.to_owned(),
        learning_objective_id: id.to_owned(),
        score: result.and_then(|r| r.score),
        text_score: result.and_then(|r| r.text_score.clone()),
    }
}

/// The manifest of a package of `version` holding `written` in `mode` (the binding's every file
/// declared: `bulk` or `delta` if written, else `absent`; the OneRoster+ attendance files only
/// when written), naming this provider as its source.
pub fn manifest(version: Version, mode: Mode, written: &[FileKind]) -> String {
    let mut text = format!("propertyName,value\nmanifest.version,1.0\noneroster.version,{}\n", version.as_str());
    for kind in FileKind::ALL.into_iter().filter(|kind| version.has(*kind)) {
        let is_written = written.contains(&kind);
        if kind.matched_by_name() && !is_written {
            continue;
        }
        let declared = if is_written { mode.as_str() } else { "absent" };
        text.push_str(&format!("{},{declared}\n", kind.manifest_key()));
    }
    text.push_str("source.systemName,oneroster-export\nsource.systemCode,oneroster\n");
    text
}

/// One file of a package being written: its rows spooled to a file of the caller's (a temporary
/// one) as they come, since its header names the `metadata.*` keys of all its rows, then copied
/// out with that header ([`FileWriter::finish`]). Memory holds the keys only, never the rows.
pub struct FileWriter {
    columns: &'static [&'static str],
    spool: csv::Writer<std::io::BufWriter<std::fs::File>>,
    keys: Vec<String>,
    rows: u64,
}

impl FileWriter {
    /// A writer of `kind` in `version`, spooling to `spool` (an empty file, read and written).
    pub fn new(kind: FileKind, version: Version, spool: std::fs::File) -> Self {
        let spool = csv::WriterBuilder::new().flexible(true).from_writer(std::io::BufWriter::new(spool));
        Self { columns: version.columns(kind), spool, keys: Vec::new(), rows: 0 }
    }

    /// How many rows were written.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Writes one row (its defined cells, then its metadata keys and texts).
    pub fn write(&mut self, cells: &Cells) -> std::io::Result<()> {
        for (key, _) in &cells.metadata {
            if !self.keys.contains(key) {
                self.keys.push(key.clone());
            }
        }
        let pairs = cells.metadata.iter().flat_map(|(key, text)| [key.as_str(), text.as_str()]);
        self.spool.write_record(cells.values.iter().map(String::as_str).chain(pairs))?;
        self.rows += 1;
        Ok(())
    }

    /// Writes the file to `out`: the header (the layout's columns, then `metadata.<key>` for
    /// every key any row had) and every row in it.
    pub fn finish(self, out: impl std::io::Write) -> std::io::Result<()> {
        use std::io::Seek;
        let mut spool =
            self.spool.into_inner().map_err(|e| e.into_error())?.into_inner().map_err(|e| e.into_error())?;
        spool.seek(std::io::SeekFrom::Start(0))?;
        let mut out = csv::Writer::from_writer(out);
        let metadata = self.keys.iter().map(|key| format!("metadata.{key}"));
        out.write_record(self.columns.iter().map(|c| c.to_string()).chain(metadata))?;
        let mut rows =
            csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(std::io::BufReader::new(spool));
        let mut record = csv::StringRecord::new();
        let width = self.columns.len();
        while rows.read_record(&mut record)? {
            let mut line: Vec<&str> = Vec::with_capacity(width + self.keys.len());
            line.extend(record.iter().take(width));
            let pairs: Vec<&str> = record.iter().skip(width).collect();
            for key in &self.keys {
                let text =
                    pairs.chunks(2).find(|pair| pair[0] == key).map_or("", |pair| pair.get(1).copied().unwrap_or(""));
                line.push(text);
            }
            out.write_record(&line)?;
        }
        out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::package::tests::zip_file;
    use crate::{read_rows, Limits, Package, Report};
    use district_gen::{Binding, District};
    use std::collections::BTreeSet;

    /// The rows of every file of `package`, by file, as the reader maps them at `now`.
    fn read_all(file: std::fs::File, now: Timestamp) -> (Version, BTreeMap<FileKind, Vec<Row>>) {
        let mut report = Report::default();
        let mut package = Package::open(file, &Limits::default(), &mut report).expect("opens");
        let mut rows = BTreeMap::new();
        for kind in FileKind::ALL {
            let mut read = Vec::new();
            read_rows(&mut package, kind, now, &mut report, |row, _, _| read.push(row)).expect("reads");
            if !read.is_empty() {
                rows.insert(kind, read);
            }
        }
        assert!(report.is_valid(), "{:?}", report.errors);
        (package.version(), rows)
    }

    /// A package of `rows` written in `version`, with its manifest.
    fn written(version: Version, rows: &BTreeMap<FileKind, Vec<Row>>) -> std::fs::File {
        let mut files: Vec<(String, Vec<u8>)> = Vec::new();
        let kinds: Vec<FileKind> = rows.keys().copied().collect();
        files.push(("manifest.csv".into(), manifest(version, Mode::Bulk, &kinds).into_bytes()));
        for (kind, rows) in rows {
            let mut writer = FileWriter::new(*kind, version, tempfile::tempfile().expect("spool"));
            for row in rows {
                assert_eq!(row.file_kind(), Some(*kind));
                writer.write(&cells(row, version, Timezone::default()).expect("has a file")).expect("writes");
            }
            let mut text = Vec::new();
            writer.finish(&mut text).expect("finishes");
            files.push((kind.file_name().into(), text));
        }
        let files: Vec<(&str, &[u8])> = files.iter().map(|(name, text)| (name.as_str(), text.as_slice())).collect();
        zip_file(&files)
    }

    fn generated(binding: Binding) -> std::fs::File {
        let district = District { line_items_per_class: 2, ..District::new(12) };
        let mut file = tempfile::tempfile().expect("temp");
        district.write_bulk_with_attendance(&mut file, binding, 2).expect("writes");
        std::io::Seek::rewind(&mut file).expect("rewinds");
        file
    }

    #[test]
    fn every_file_of_either_version_written_back_reads_as_the_rows_it_was_written_from() {
        let now = Timestamp::now();
        for (binding, version) in [(Binding::V1p2, Version::V1p2), (Binding::V1p1, Version::V1p1)] {
            let (read_version, rows) = read_all(generated(binding), now);
            assert_eq!(read_version, version);
            let (again_version, again) = read_all(written(version, &rows), now);
            assert_eq!(again_version, version);
            let kinds: BTreeSet<FileKind> = rows.keys().copied().collect();
            let expected: BTreeSet<FileKind> = FileKind::ALL
                .into_iter()
                .filter(|kind| version.has(*kind) && *kind != FileKind::UserProfiles)
                .collect();
            assert_eq!(kinds, expected, "every file but userProfiles.csv is generated");
            for (kind, rows) in &rows {
                assert_eq!(Some(rows), again.get(kind), "{kind:?} in {version:?}");
            }
        }
    }

    const USERS: &str = "sourcedId,status,dateLastModified,enabledUser,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password,userMasterIdentifier,preferredGivenName,preferredMiddleName,preferredFamilyName,primaryOrgSourcedId,pronouns,metadata.sis.house,metadata.note\n\
        u-1,,,true,ann,\"{sis:1},{ldap:a:1}\",Ann,Lee,,7,ann@x.org,,,,\"09,10\",,m-1,Annie,,,,she/her,Red,\"a, \"\"quoted\"\" note\"\n\
        u-2,,,false,bo,,Bo,Ng,,,,,,u-1,,,,,,,,,,\n";
    const PROFILES: &str = "sourcedId,status,dateLastModified,userSourcedId,profileType,vendorId,applicationId,description,credentialType,username,password\n\
        p-1,,,u-1,lms,v-1,app,Her LMS,password,ann.lms,secret\n";

    #[test]
    fn profiles_and_metadata_columns_read_back_the_same_and_metadata_keys_join_the_header() {
        let now = Timestamp::now();
        let files = [("users.csv", USERS.as_bytes()), ("userProfiles.csv", PROFILES.as_bytes())];
        let (_, rows) = read_all(zip_file(&files), now);
        let (_, again) = read_all(written(Version::V1p2, &rows), now);
        assert_eq!(rows, again);

        let mut writer = FileWriter::new(FileKind::Users, Version::V1p2, tempfile::tempfile().expect("spool"));
        for row in &rows[&FileKind::Users] {
            writer.write(&cells(row, Version::V1p2, Timezone::default()).expect("a file")).expect("writes");
        }
        let mut text = Vec::new();
        writer.finish(&mut text).expect("finishes");
        let header = String::from_utf8(text).expect("utf-8").lines().next().map(str::to_owned);
        assert!(header.is_some_and(|h| h.ends_with(",pronouns,metadata.sis.house,metadata.note")));
    }

    #[test]
    fn nested_metadata_is_flattened_to_dotted_columns_of_text() {
        let json = r#"{"sourcedId":"c-1","status":"active","dateLastModified":"2026-01-01T00:00:00.000Z",
            "metadata":{"a":{"b":1,"c":{"d":true}},"e":null,"f":"x"},"title":"Homework"}"#;
        let record = Record::from_json(Collection::Categories, json).expect("a category");
        let cells = cells(&Row::Record(record), Version::V1p2, Timezone::default()).expect("a file");
        let metadata: Vec<(&str, &str)> = cells.metadata().iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(metadata, [("a.b", "1"), ("a.c.d", "true"), ("f", "x")]);
        assert_eq!(cells.values(), ["c-1", "", "", "Homework", ""]);
    }

    #[test]
    fn a_stored_record_splits_into_its_rows_with_the_kept_part_ids_or_ids_made_from_its_own() {
        let user = r#"{"sourcedId":"u-1","status":"active","dateLastModified":"2026-01-01T00:00:00.000Z",
            "enabledUser":"true","username":"ann","givenName":"Ann","familyName":"Lee",
            "roles":[{"roleType":"primary","role":"student","org":{"sourcedId":"s-1","type":"org"}}]}"#;
        let record = || Record::from_json(Collection::Users, user).expect("a user");
        let role = r#"{"roleType":"primary","role":"student","org":{"sourcedId":"s-1","type":"org"}}"#;
        let ids = |rows: Vec<Row>| rows.iter().map(|row| row.id().to_string()).collect::<Vec<_>>();

        let kept = format!(r#"{{"roles":{{"r-9":{role}}},"profiles":{{}}}}"#);
        assert_eq!(ids(rows_of(record(), Some(&kept)).expect("splits")), ["u-1", "r-9"]);
        // Written through the API (nothing kept), or kept by org as a 1.1 package keeps them.
        assert_eq!(ids(rows_of(record(), None).expect("splits")), ["u-1", "u-1.role.0"]);
        let by_org = format!(r#"{{"roles":{{"s-1":{role}}}}}"#);
        assert_eq!(ids(rows_of(record(), Some(&by_org)).expect("splits")), ["u-1", "u-1.role.0"]);
        assert!(matches!(rows_of(record(), Some("[")), Err(WriteError::Parts { .. })));
    }

    #[test]
    fn the_manifest_declares_every_file_of_the_binding_bulk_or_absent() {
        let text = manifest(Version::V1p1, Mode::Bulk, &[FileKind::Orgs, FileKind::Attendance]);
        assert!(text.starts_with("propertyName,value\nmanifest.version,1.0\noneroster.version,1.1\n"));
        assert!(text.contains("file.orgs,bulk\n") && text.contains("file.users,absent\n"));
        assert!(text.contains("file.attendance,bulk\n") && !text.contains("absenceCodes"));
        assert!(!text.contains("file.roles"), "roles.csv is 1.2's");
        let all = manifest(Version::V1p2, Mode::Bulk, &[]);
        assert_eq!(all.lines().filter(|l| l.starts_with("file.")).count(), 21);
        let delta = manifest(Version::V1p2, Mode::Delta, &[FileKind::Results]);
        assert!(delta.contains("file.results,delta\n") && delta.contains("file.lineItems,absent\n"));
    }
}
