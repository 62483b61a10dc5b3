//! A record of any collection, with what the store needs to know of it: its collection, its id,
//! its status and modification time, and the relation entries it makes.

use crate::collection::{lookup_key, pair_key, Collection, Link, Relation, View};
use crate::entities::Base;
use crate::ids::SourcedId;
use crate::table::every_row;
use crate::vocab::{EnrollmentRole, OrgType, RoleName, RoleType, SessionType};
use serde::Serialize;

/// The `Record` enum and the matches that only name its variants (collection, common
/// properties, reading JSON back), from the rows of [`crate::collections!`].
macro_rules! declare_records {
    ($(
        $(#[$doc:meta])*
        $collection:ident { name: $name:literal, ref_type: $ref_type:literal, record: $variant:ident($entity:ty) $(,)? },
    )*) => {
        /// A record of one of the collections.
        #[derive(Debug, Clone, PartialEq, Serialize)]
        #[serde(untagged)]
        pub enum Record {
            $(
                #[doc = concat!("A record of [`Collection::", stringify!($collection), "`].")]
                $variant($entity),
            )*
        }

        impl Record {
            /// The collection the record belongs to.
            pub fn collection(&self) -> Collection {
                match self {
                    $(Record::$variant(_) => Collection::$collection,)*
                }
            }

            /// The common properties.
            pub fn base(&self) -> &Base {
                match self {
                    $(Record::$variant(record) => &record.base,)*
                }
            }

            /// The common properties, to change status and modification time.
            pub fn base_mut(&mut self) -> &mut Base {
                match self {
                    $(Record::$variant(record) => &mut record.base,)*
                }
            }

            /// Reads a stored record of `collection` back from its JSON.
            pub fn from_json(collection: Collection, json: &str) -> serde_json::Result<Self> {
                Ok(match collection {
                    $(Collection::$collection => Record::$variant(serde_json::from_str(json)?),)*
                })
            }
        }
    };
}

crate::collections!(every_row, declare_records);

/// One reference of a record ([`Record::references`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reference<'r> {
    /// The JSON property that holds it (`school`, `terms`, …).
    pub field: &'static str,
    /// The collection the referenced record must be in.
    pub collection: Collection,
    /// The kind of record of that collection it must be, where the binding names one.
    pub kind: Option<Kind>,
    /// The referenced sourcedId.
    pub id: &'r SourcedId,
}

/// A kind of record narrower than its collection that a reference must name, where the CSV
/// binding says so: stated here once, so that the CSV validation and the API writes refuse the
/// same references (a class whose school is a district).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// An org of type `school`: the school of a class, an enrollment and a line item
    /// (binding: classes.csv, enrollments.csv and lineItems.csv `schoolSourcedId`).
    School,
    /// An academic session of type `schoolYear`: a course's school year (binding: courses.csv
    /// `schoolYearSourcedId`).
    SchoolYear,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 2] = [Kind::School, Kind::SchoolYear];

    /// The collection whose records can be of this kind.
    pub fn collection(self) -> Collection {
        match self {
            Kind::School => Collection::Orgs,
            Kind::SchoolYear => Collection::AcademicSessions,
        }
    }

    /// Whether `record` is of this kind.
    pub fn admits(self, record: &Record) -> bool {
        match (self, record) {
            (Kind::School, Record::Org(org)) => org.org_type == OrgType::School,
            (Kind::SchoolYear, Record::AcademicSession(session)) => session.session_type == SessionType::SchoolYear,
            _ => false,
        }
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

impl Kind {
    /// Why a reference to `id` is refused when `id` names a record of another kind: one
    /// wording for the CSV validation and the API writes.
    pub fn mismatch(self, id: &str) -> String {
        format!("'{id}' is not {self}")
    }
}

impl std::fmt::Display for Kind {
    /// The kind in words, for error messages: `an org of type school`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Kind::School => "an org of type school",
            Kind::SchoolYear => "an academic session of type schoolYear",
        })
    }
}

/// A set of [`Kind`]s, one byte: what the CSV validation keeps of each org and session of a
/// package, to check the package's references to them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Kinds(u8);

impl Kinds {
    /// Whether the set holds `kind`.
    pub fn contains(self, kind: Kind) -> bool {
        self.0 & kind.bit() != 0
    }

    /// Whether the set is empty (most records are of no narrower kind).
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The kinds of both sets: a sourcedId may name an org and a session at once, each of its
    /// own kinds.
    pub fn union(self, other: Kinds) -> Kinds {
        Kinds(self.0 | other.0)
    }
}

impl Record {
    /// The record's JSON, as stored and served. The buffer starts at the size of a typical
    /// record, so writing one does not grow it half a dozen times.
    pub fn to_json(&self) -> String {
        let mut json = Vec::with_capacity(512);
        // Serialising the model's types cannot fail: every key is a string.
        let _ = serde_json::to_writer(&mut json, self);
        String::from_utf8(json).unwrap_or_default()
    }

    /// A hash of the record's content without its status and `dateLastModified`: two records
    /// with the same hash say the same thing, so writing one over the other changes nothing.
    /// (It blanks the two in place and puts them back: an ingest hashes millions of records.)
    pub fn content_hash(&mut self) -> u64 {
        let base = self.base_mut();
        let saved = (base.status.clone(), base.date_last_modified);
        base.status = crate::vocab::Status::Active;
        base.date_last_modified = crate::time::Timestamp::from_millis(0);
        let mut hasher = HashWriter(xxhash_rust::xxh3::Xxh3::new());
        // Writing into a hasher cannot fail; the JSON is hashed as it is produced, never held.
        let _ = serde_json::to_writer(&mut hasher, self);
        let hash = hasher.0.digest();
        let base = self.base_mut();
        (base.status, base.date_last_modified) = saved;
        hash
    }

    /// The record's JSON (as [`Record::to_json`]) and its [`Record::content_hash`], serialising
    /// it once: the hashed JSON differs from the body only in the leading status and
    /// `dateLastModified`, so the hash reads the body with those two swapped. (A body laid out
    /// otherwise is hashed the long way.)
    pub fn to_json_with_hash(&mut self) -> (String, u64) {
        let body = self.to_json();
        let hash = self.hash_of_body(&body).unwrap_or_else(|| self.content_hash());
        (body, hash)
    }

    /// The content hash read from the record's `body`, if it begins as the model writes it:
    /// `{"sourcedId":"<id>","status":"<status>","dateLastModified":"<time>"`, then the rest.
    /// The pieces are compared and hashed in place; formatting the head twice cost more than
    /// the rest of the hash.
    fn hash_of_body(&self, body: &str) -> Option<u64> {
        /// The hashed head after the id: the fixed status and time of [`Record::content_hash`].
        static HASHED_STATUS_AND_TIME: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
            format!(
                "\",\"status\":{},\"dateLastModified\":{}",
                json(&crate::vocab::Status::Active),
                json(&crate::time::Timestamp::from_millis(0))
            )
        });
        const OPEN: &str = r#"{"sourcedId":""#;
        let base = self.base();
        let id = base.sourced_id.as_str();
        let rest = body.strip_prefix(OPEN)?.strip_prefix(id)?.strip_prefix(r#"","status":""#)?;
        let rest = rest.strip_prefix(base.status.as_str())?.strip_prefix(r#"","dateLastModified":""#)?;
        // A date-time holds no quote: the time ends at the first one.
        let (_, rest) = rest.split_once('"')?;
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        hasher.update(OPEN.as_bytes());
        hasher.update(id.as_bytes());
        hasher.update(HASHED_STATUS_AND_TIME.as_bytes());
        hasher.update(rest.as_bytes());
        Some(hasher.digest())
    }

    /// The typed view the record belongs to, if any (see [`View`]).
    pub fn view(&self) -> Option<View> {
        match self {
            Record::Org(org) => (org.org_type == OrgType::School).then_some(View::Schools),
            Record::AcademicSession(session) => match session.session_type {
                SessionType::Term => Some(View::Terms),
                SessionType::GradingPeriod => Some(View::GradingPeriods),
                _ => None,
            },
            Record::User(user) => {
                let primary = user.roles.iter().find(|r| r.role_type == RoleType::Primary).or(user.roles.first())?;
                match primary.role {
                    RoleName::Student => Some(View::Students),
                    RoleName::Teacher => Some(View::Teachers),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// The records this one refers to: the JSON property (`class`, `terms`, …; `sourcedId` for
    /// demographics, which share their user's id), the collection it must be in, the kind of
    /// record it must be where the binding names one (a class's school is an org of type
    /// `school`: [`Kind`]), and the id. Writers check each before storing the record: the CSV
    /// validation against the package and the store, the API writes against the store.
    pub fn references(&self) -> Vec<Reference<'_>> {
        use Collection::*;
        let mut refs: Vec<Reference<'_>> = Vec::new();
        fn one<'r>(field: &'static str, collection: Collection, r: &'r crate::entities::GuidRef) -> Reference<'r> {
            Reference { field, collection, kind: None, id: &r.sourced_id }
        }
        fn of<'r>(field: &'static str, kind: Kind, r: &'r crate::entities::GuidRef) -> Reference<'r> {
            Reference { field, collection: kind.collection(), kind: Some(kind), id: &r.sourced_id }
        }
        match self {
            Record::Org(o) => refs.extend(o.parent.iter().map(|p| one("parent", Orgs, p))),
            Record::AcademicSession(s) => refs.extend(s.parent.iter().map(|p| one("parent", AcademicSessions, p))),
            Record::Course(c) => {
                refs.extend(c.school_year.iter().map(|p| of("schoolYear", Kind::SchoolYear, p)));
                refs.push(one("org", Orgs, &c.org));
            }
            Record::Class(c) => {
                refs.push(one("course", Courses, &c.course));
                refs.push(of("school", Kind::School, &c.school));
                refs.extend(c.terms.iter().map(|t| one("terms", AcademicSessions, t)));
            }
            Record::User(u) => {
                refs.extend(u.agents.iter().map(|a| one("agents", Users, a)));
                refs.extend(u.primary_org.iter().map(|o| one("primaryOrg", Orgs, o)));
                // Each role's org, once (the primary org's is checked as `primaryOrg`).
                let others = u.roles.iter().filter(|role| u.primary_org.as_ref() != Some(&role.org));
                refs.extend(others.map(|role| one("roles", Orgs, &role.org)));
            }
            Record::Enrollment(e) => {
                refs.push(one("class", Classes, &e.class));
                refs.push(of("school", Kind::School, &e.school));
                refs.push(one("user", Users, &e.user));
            }
            Record::Demographics(d) => {
                refs.push(Reference { field: "sourcedId", collection: Users, kind: None, id: &d.base.sourced_id })
            }
            Record::Resource(_) | Record::Category(_) => {}
            Record::ClassResource(l) => {
                refs.push(one("class", Classes, &l.class));
                refs.push(one("resource", Resources, &l.resource));
            }
            Record::CourseResource(l) => {
                refs.push(one("course", Courses, &l.course));
                refs.push(one("resource", Resources, &l.resource));
            }
            Record::UserResource(l) => {
                refs.push(one("user", Users, &l.user));
                refs.extend(l.org.iter().map(|o| one("org", Orgs, o)));
                refs.extend(l.class.iter().map(|k| one("class", Classes, k)));
                refs.push(one("resource", Resources, &l.resource));
            }
            Record::ScoreScale(scale) => {
                refs.extend(scale.org.iter().map(|o| one("org", Orgs, o)));
                refs.extend(scale.course.iter().map(|k| one("course", Courses, k)));
                refs.push(one("class", Classes, &scale.class));
            }
            Record::LineItem(item) => {
                refs.push(one("class", Classes, &item.class));
                refs.push(of("school", Kind::School, &item.school));
                refs.push(one("category", Categories, &item.category));
                refs.extend(item.grading_period.iter().map(|s| one("gradingPeriod", AcademicSessions, s)));
                refs.extend(item.academic_session.iter().map(|s| one("academicSession", AcademicSessions, s)));
                refs.extend(item.score_scale.iter().map(|s| one("scoreScale", ScoreScales, s)));
            }
            Record::Result(result) => {
                refs.push(one("lineItem", LineItems, &result.line_item));
                refs.push(one("student", Users, &result.student));
                refs.extend(result.class.iter().map(|k| one("class", Classes, k)));
                refs.extend(result.score_scale.iter().map(|s| one("scoreScale", ScoreScales, s)));
            }
            Record::AssessmentLineItem(item) => {
                refs.extend(item.class.iter().map(|k| one("class", Classes, k)));
                refs.extend(
                    item.parent_assessment_line_item
                        .iter()
                        .map(|p| one("parentAssessmentLineItem", AssessmentLineItems, p)),
                );
                refs.extend(item.score_scale.iter().map(|s| one("scoreScale", ScoreScales, s)));
            }
            Record::AbsenceCode(_) => {}
            Record::Attendance(mark) => {
                refs.extend(mark.class.iter().map(|k| one("class", Classes, k)));
                refs.extend(mark.school.iter().map(|o| of("school", Kind::School, o)));
                refs.push(one("student", Users, &mark.student));
                refs.push(one("absenceCode", AbsenceCodes, &mark.absence_code));
            }
            Record::AssessmentResult(result) => {
                refs.push(one("assessmentLineItem", AssessmentLineItems, &result.assessment_line_item));
                refs.push(one("student", Users, &result.student));
                refs.extend(result.score_scale.iter().map(|s| one("scoreScale", ScoreScales, s)));
            }
        }
        refs
    }

    /// The narrower kinds of record ([`Kind`]) this record is, as a set: what a reference
    /// check keeps of each org and academic session it reads.
    pub fn kinds(&self) -> Kinds {
        Kinds(Kind::ALL.iter().filter(|kind| kind.admits(self)).fold(0, |bits, kind| bits | kind.bit()))
    }

    /// The record of another collection that this record's links depend on besides its own
    /// content: a score scale's class (whose school it belongs to), and the line item of a
    /// result that names no class (whose class it belongs to). Writers read it and pass it to
    /// [`Record::links`].
    pub fn link_dependency(&self) -> Option<(Collection, &SourcedId)> {
        match self {
            Record::ScoreScale(scale) => Some((Collection::Classes, &scale.class.sourced_id)),
            Record::Result(result) if result.class.is_none() => {
                Some((Collection::LineItems, &result.line_item.sourced_id))
            }
            _ => None,
        }
    }

    /// The relation entries this record makes; the relation routes read them. `dependency` is
    /// the record [`Record::link_dependency`] names, when there is one (without it those links
    /// are left out). A record marked `tobedeleted` keeps its place under its parents (so
    /// consumers see it go) but links nothing through itself (see [`Link`]).
    pub fn links(&self, dependency: Option<&Record>) -> Vec<Link> {
        let me = self.base().sourced_id.clone();
        let direct =
            |relation, parent: &SourcedId| Link { relation, parent: parent.clone(), child: me.clone(), via: None };
        // A link this record makes between two others (an enrollment's class and user).
        let via = |relation, parent: &SourcedId, child: &SourcedId| Link {
            relation,
            parent: parent.clone(),
            child: child.clone(),
            via: Some(me.clone()),
        };
        let mut links = Vec::new();
        match self {
            Record::AcademicSession(session) => {
                links.extend(session.parent.iter().map(|p| direct(Relation::SessionChildren, &p.sourced_id)))
            }
            Record::Course(course) => links.push(direct(Relation::OrgCourses, &course.org.sourced_id)),
            Record::Class(class) => {
                links.push(direct(Relation::SchoolClasses, &class.school.sourced_id));
                links.push(direct(Relation::CourseClasses, &class.course.sourced_id));
                for term in &class.terms {
                    links.push(direct(Relation::TermClasses, &term.sourced_id));
                    links.push(via(Relation::SchoolTerms, &class.school.sourced_id, &term.sourced_id));
                }
            }
            Record::User(user) => {
                for (field, value) in
                    [("email", &user.email), ("username", &user.username), ("identifier", &user.identifier)]
                {
                    if let (Some(relation), Some(value)) = (Relation::lookup(Collection::Users, field), value) {
                        links.push(direct(relation, &lookup_key(value)));
                    }
                }
                for role in &user.roles {
                    let relation = match role.role {
                        RoleName::Student => Relation::SchoolStudents,
                        RoleName::Teacher => Relation::SchoolTeachers,
                        _ => continue,
                    };
                    links.push(direct(relation, &role.org.sourced_id));
                }
                let mut orgs: Vec<&SourcedId> = user.roles.iter().map(|role| &role.org.sourced_id).collect();
                orgs.sort();
                orgs.dedup();
                links.extend(orgs.into_iter().map(|org| direct(Relation::SchoolUsers, org)));
            }
            Record::Enrollment(e) => {
                let (class, user) = (&e.class.sourced_id, &e.user.sourced_id);
                links.push(direct(Relation::ClassEnrollments, class));
                links.push(direct(Relation::SchoolEnrollments, &e.school.sourced_id));
                links.push(via(Relation::UserClasses, user, class));
                match e.role {
                    EnrollmentRole::Student => links.push(via(Relation::ClassStudents, class, user)),
                    EnrollmentRole::Teacher => links.push(via(Relation::ClassTeachers, class, user)),
                    _ => {}
                }
            }
            Record::ClassResource(link) => {
                links.push(via(Relation::ClassResources, &link.class.sourced_id, &link.resource.sourced_id))
            }
            Record::CourseResource(link) => {
                links.push(via(Relation::CourseResources, &link.course.sourced_id, &link.resource.sourced_id))
            }
            Record::UserResource(link) => {
                links.push(via(Relation::UserResources, &link.user.sourced_id, &link.resource.sourced_id))
            }
            Record::LineItem(item) => {
                let class = &item.class.sourced_id;
                links.push(direct(Relation::ClassLineItems, class));
                links.push(via(Relation::ClassCategories, class, &item.category.sourced_id));
            }
            Record::ScoreScale(scale) => {
                links.push(direct(Relation::ClassScoreScales, &scale.class.sourced_id));
                if let Some(Record::Class(class)) = dependency {
                    links.push(direct(Relation::SchoolScoreScales, &class.school.sourced_id));
                }
            }
            Record::Result(result) => {
                links.push(direct(Relation::LineItemResults, &result.line_item.sourced_id));
                let class = match (&result.class, dependency) {
                    (Some(class), _) => Some(&class.sourced_id),
                    (None, Some(Record::LineItem(item))) => Some(&item.class.sourced_id),
                    _ => None,
                };
                if let Some(class) = class {
                    links.push(direct(Relation::ClassResults, class));
                    links.push(direct(Relation::ClassStudentResults, &pair_key(class, &result.student.sourced_id)));
                }
            }
            Record::Attendance(mark) => {
                links.push(direct(Relation::StudentAttendance, &mark.student.sourced_id));
                links.extend(mark.class.iter().map(|class| direct(Relation::ClassAttendance, &class.sourced_id)));
                links.extend(mark.school.iter().map(|school| direct(Relation::SchoolAttendance, &school.sourced_id)));
                // As `filter=date='…'` names it: the day as the record's JSON writes it.
                links.push(direct(Relation::AttendanceByDate, &lookup_key(&mark.date.to_string())));
            }
            Record::Org(_)
            | Record::AbsenceCode(_)
            | Record::Demographics(_)
            | Record::Resource(_)
            | Record::Category(_)
            | Record::AssessmentLineItem(_)
            | Record::AssessmentResult(_) => {}
        }
        if self.base().status == crate::vocab::Status::ToBeDeleted {
            links.retain(|link| link.via.is_none());
        }
        links.sort();
        links.dedup();
        links
    }
}

/// A value's JSON text (of the model's types, whose serialisation cannot fail).
fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// Feeds JSON text straight into a hash.
struct HashWriter(xxhash_rust::xxh3::Xxh3);

impl std::io::Write for HashWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod hash_tests {
    use super::*;

    #[test]
    fn the_streamed_hash_is_the_hash_of_the_json() {
        // Stored digests were made from the whole JSON at once: the streamed hash must equal it,
        // or the next nightly bulk would rewrite every record.
        let mut record = Record::from_json(
            Collection::Orgs,
            r#"{"sourcedId":"o1","status":"active","dateLastModified":"2024-01-01T00:00:00.000Z","name":"A","type":"school","identifier":""}"#,
        )
        .unwrap();
        let mut plain = record.clone();
        plain.base_mut().date_last_modified = crate::time::Timestamp::from_millis(0);
        let expected = xxhash_rust::xxh3::xxh3_64(&serde_json::to_vec(&plain).unwrap());
        assert_eq!(record.content_hash(), expected);
    }

    #[test]
    fn the_hash_made_with_the_json_is_the_content_hash() {
        // The ingest hashes a record from the body it writes: any difference from the content
        // hash would make a nightly bulk rewrite every record hashed the other way.
        let records = [
            (
                Collection::Orgs,
                r#"{"sourcedId":"o1","status":"active","dateLastModified":"2024-01-01T00:00:00.000Z","name":"A","type":"school","identifier":""}"#,
            ),
            (
                Collection::Orgs,
                r#"{"sourcedId":"o/2@x","status":"tobedeleted","dateLastModified":"2024-05-06T07:08:09.123Z","metadata":{"ext":"\"q\""},"name":"B \u00e9","type":"district","identifier":"9"}"#,
            ),
            (
                Collection::Enrollments,
                r#"{"sourcedId":"e1","status":"active","dateLastModified":"2025-01-01T00:00:00.000Z","user":{"href":"/users/u1","sourcedId":"u1","type":"user"},"class":{"href":"/classes/c1","sourcedId":"c1","type":"class"},"school":{"href":"/orgs/s1","sourcedId":"s1","type":"org"},"role":"student"}"#,
            ),
        ];
        for (collection, json) in records {
            let mut record = Record::from_json(collection, json).unwrap();
            let (body, hash) = record.to_json_with_hash();
            assert_eq!(body, record.to_json());
            assert_eq!(record.hash_of_body(&body), Some(record.content_hash()), "{json}");
            assert_eq!(hash, record.content_hash());
        }
    }
}

#[cfg(test)]
mod table_tests {
    use super::*;

    #[test]
    fn every_collection_reads_its_records_as_its_own_entity() {
        // The generated `from_json` reads each collection with its own entity type (a body
        // missing what that type requires is refused with the field's name), and the generated
        // `collection` gives the collection back.
        let org = r#"{"sourcedId":"o1","status":"active","dateLastModified":"2024-01-01T00:00:00.000Z","name":"A","type":"district","identifier":""}"#;
        for collection in Collection::ALL {
            let err = Record::from_json(collection, "{}").expect_err("an empty body is no record");
            assert!(err.to_string().starts_with("missing field"), "{collection:?}: {err}");
            if let Ok(record) = Record::from_json(collection, org) {
                assert_eq!(record.collection(), collection);
            }
        }
        let mut record = Record::from_json(Collection::Orgs, org).expect("an org");
        assert_eq!((record.collection(), record.base().sourced_id.as_str()), (Collection::Orgs, "o1"));
        record.base_mut().status = crate::vocab::Status::ToBeDeleted;
        assert_eq!(record.base().status, crate::vocab::Status::ToBeDeleted);
    }
}

#[cfg(test)]
mod kind_tests {
    use super::*;

    fn org(id: &str, org_type: &str) -> Record {
        let json = format!(
            r#"{{"sourcedId":"{id}","status":"active","dateLastModified":"2024-01-01T00:00:00.000Z","name":"A","type":"{org_type}","identifier":""}}"#
        );
        Record::from_json(Collection::Orgs, &json).unwrap()
    }

    fn session(id: &str, session_type: &str) -> Record {
        let json = format!(
            r#"{{"sourcedId":"{id}","status":"active","dateLastModified":"2024-01-01T00:00:00.000Z","title":"T","startDate":"2024-08-01","endDate":"2025-06-30","type":"{session_type}","schoolYear":"2025"}}"#
        );
        Record::from_json(Collection::AcademicSessions, &json).unwrap()
    }

    fn kinds_of(record: &Record) -> Vec<(&'static str, Collection, Option<Kind>)> {
        record.references().into_iter().map(|r| (r.field, r.collection, r.kind)).collect()
    }

    #[test]
    fn a_school_is_an_org_of_type_school_and_nothing_else() {
        assert!(Kind::School.admits(&org("s", "school")));
        for other in ["district", "department", "local", "state", "national", "ext:campus"] {
            assert!(!Kind::School.admits(&org("d", other)), "{other}");
        }
        assert!(!Kind::School.admits(&session("s", "schoolYear")));
        assert!(org("s", "school").kinds().contains(Kind::School));
        assert!(org("d", "district").kinds().is_empty());
    }

    #[test]
    fn a_school_year_is_an_academic_session_of_type_school_year() {
        assert!(Kind::SchoolYear.admits(&session("y", "schoolYear")));
        for other in ["term", "semester", "gradingPeriod", "ext:quarter"] {
            assert!(!Kind::SchoolYear.admits(&session("t", other)), "{other}");
        }
        assert!(!Kind::SchoolYear.admits(&org("y", "school")));
        assert_eq!(session("y", "schoolYear").kinds(), Kinds(Kind::SchoolYear.bit()));
    }

    #[test]
    fn the_references_that_name_a_kind_are_those_the_binding_types() {
        let class = Record::from_json(
            Collection::Classes,
            r#"{"sourcedId":"c","status":"active","dateLastModified":"2024-01-01T00:00:00.000Z","title":"C","classType":"scheduled","course":{"href":"/x","sourcedId":"k","type":"course"},"school":{"href":"/x","sourcedId":"s","type":"org"},"terms":[{"href":"/x","sourcedId":"t","type":"academicSession"}]}"#,
        )
        .unwrap();
        assert_eq!(
            kinds_of(&class),
            [
                ("course", Collection::Courses, None),
                ("school", Collection::Orgs, Some(Kind::School)),
                // The binding: "the terms (the academicSessions)", of any type.
                ("terms", Collection::AcademicSessions, None),
            ]
        );
        let enrollment = Record::from_json(
            Collection::Enrollments,
            r#"{"sourcedId":"e","status":"active","dateLastModified":"2024-01-01T00:00:00.000Z","user":{"href":"/x","sourcedId":"u","type":"user"},"class":{"href":"/x","sourcedId":"c","type":"class"},"school":{"href":"/x","sourcedId":"s","type":"org"},"role":"student"}"#,
        )
        .unwrap();
        assert!(kinds_of(&enrollment).contains(&("school", Collection::Orgs, Some(Kind::School))));
        let course = Record::from_json(
            Collection::Courses,
            r#"{"sourcedId":"k","status":"active","dateLastModified":"2024-01-01T00:00:00.000Z","title":"K","courseCode":"","schoolYear":{"href":"/x","sourcedId":"y","type":"academicSession"},"org":{"href":"/x","sourcedId":"d","type":"org"}}"#,
        )
        .unwrap();
        assert_eq!(
            kinds_of(&course),
            [
                ("schoolYear", Collection::AcademicSessions, Some(Kind::SchoolYear)),
                // The binding: "an org to which this course belongs", of any type.
                ("org", Collection::Orgs, None),
            ]
        );
        // An org's parent and a session's parent are any org and any session.
        let term = Record::from_json(
            Collection::AcademicSessions,
            r#"{"sourcedId":"t","status":"active","dateLastModified":"2024-01-01T00:00:00.000Z","title":"T","startDate":"2024-08-01","endDate":"2025-01-30","type":"term","parent":{"href":"/x","sourcedId":"y","type":"academicSession"},"schoolYear":"2025"}"#,
        )
        .unwrap();
        assert_eq!(kinds_of(&term), [("parent", Collection::AcademicSessions, None)]);
    }
}
