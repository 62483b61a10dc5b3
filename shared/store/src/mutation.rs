//! Every change to a record — a row of an upload, a record an API client writes, an API
//! deletion — is a [`Mutation`], and only its constructors work out what a write stores besides
//! the body: the content hash ([`Encoded`]), the relation entries the record makes (given the
//! record they depend on), and its view. [`TenantRecords::commit`](crate::TenantRecords::commit) writes them.

use crate::layout;
use crate::records::{Born, Prior, StoredRecord};
use oneroster_model::{Collection, Link, Record, Relation, SourcedId, Status, Timestamp, View};
use std::collections::HashMap;

/// Stored records by (collection, sourcedId), as [`TenantRecords::get_named`](crate::TenantRecords::get_named)
/// reads them: what a record's links depend on (an enrollment's class, for its school).
pub type Named = HashMap<(Collection, String), Record>;

/// A record with its body and content hash, made in one serialisation: the ingest compares the
/// hash with the stored one before it decides to write, and the write reuses both.
#[derive(Debug, Clone)]
pub struct Encoded {
    record: Record,
    body: String,
    hash: u64,
}

impl Encoded {
    /// Encodes `record` as it stands (status and `dateLastModified` included in the body, not
    /// in the hash).
    pub fn new(mut record: Record) -> Self {
        let (body, hash) = record.to_json_with_hash();
        Self { record, body, hash }
    }

    /// The record.
    pub fn record(&self) -> &Record {
        &self.record
    }

    /// Its JSON body, as stored and served.
    pub fn body(&self) -> &str {
        &self.body
    }

    /// Its content hash (without status and `dateLastModified`).
    pub fn hash(&self) -> u64 {
        self.hash
    }

    /// Its sourcedId.
    pub fn id(&self) -> &SourcedId {
        &self.record.base().sourced_id
    }

    /// Its status.
    pub fn status(&self) -> &Status {
        &self.record.base().status
    }
}

/// A change to one record, ready to commit: the record item and the relation entries it makes
/// now, against what is stored.
#[derive(Debug, Clone)]
pub struct Mutation {
    pub(crate) collection: Collection,
    pub(crate) id: SourcedId,
    pub(crate) body: String,
    pub(crate) status: Status,
    pub(crate) modified: Timestamp,
    pub(crate) hash: u64,
    /// The relation entries it makes.
    pub(crate) links: Vec<Link>,
    /// The record it replaces, `None` for a new record.
    pub(crate) previous: Option<Prior>,
    /// Sub-records kept beside the body (a user's roles and profiles), as JSON.
    pub(crate) parts: Option<String>,
    /// The typed view it belongs to (indexed by `by_view`).
    pub(crate) view: Option<View>,
    /// Who writes it: `None` for the SIS feed, else the API client.
    pub(crate) origin: Option<String>,
    /// The ingest job that writes it, if one does (see [`Mutation::in_job`]).
    pub(crate) job: Option<String>,
    /// Whether this is the tombstone of a deletion through the API (see [`StoredRecord::gone`]).
    pub(crate) gone: bool,
    /// When the record was erased on request, for the tombstone an erasure leaves.
    pub(crate) erased: Option<Timestamp>,
    /// The birth date it keeps: a demographics record's own; a user's, its demographics'
    /// (`Unkept` until the commit reads it: see [`crate::Born`]).
    pub(crate) born: Born,
}

/// What a committed mutation did to its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// There was no record (or only the tombstone of one deleted through the API).
    Created,
    /// A record was replaced.
    Updated,
    /// A record became `tobedeleted`, or was deleted through the API.
    Deleted,
}

impl Mutation {
    /// The write of `record` as encoded, with the entries it makes (its link dependency looked
    /// up in `named`) and its view; as a new record until [`Mutation::over`] says what it
    /// replaces.
    pub fn put(encoded: Encoded, named: &Named) -> Self {
        let Encoded { record, body, hash } = encoded;
        let dependency = record.link_dependency().and_then(|(collection, id)| named.get(&(collection, id.to_string())));
        let base = record.base();
        let born = match record.collection() {
            Collection::Demographics => Born::of(&record),
            _ => Born::Unkept,
        };
        Self {
            collection: record.collection(),
            id: base.sourced_id.clone(),
            status: base.status.clone(),
            modified: base.date_last_modified,
            body,
            hash,
            links: record.links(dependency),
            view: record.view(),
            previous: None,
            parts: None,
            origin: None,
            job: None,
            gone: false,
            erased: None,
            born,
        }
    }

    /// The deletion of `stored` through the API: a tombstone (`tobedeleted`, modified now)
    /// under no parent and in no view, which only change feeds list; its content, hash and
    /// parts are the stored ones.
    pub fn delete(mut record: Record, stored: &StoredRecord, origin: &str) -> Self {
        let base = record.base_mut();
        base.status = Status::ToBeDeleted;
        base.date_last_modified = Timestamp::now();
        let Encoded { record, body, .. } = Encoded::new(record);
        Self {
            collection: record.collection(),
            id: record.base().sourced_id.clone(),
            body,
            status: Status::ToBeDeleted,
            modified: record.base().date_last_modified,
            hash: stored.hash,
            links: Vec::new(),
            previous: Some(stored.prior()),
            parts: stored.parts.clone(),
            view: None,
            origin: Some(origin.to_owned()),
            job: None,
            gone: true,
            erased: None,
            // A deleted user keeps following its demographics, should it come back.
            born: match record.collection() {
                Collection::Users => stored.born,
                Collection::Demographics => Born::Unrecorded,
                _ => Born::Unkept,
            },
        }
    }

    /// The erasure of record `id` of `collection` on request, at `at`: a tombstone whose body
    /// holds only its sourcedId, status (`tobedeleted`) and `dateLastModified`, so that change
    /// feeds tell apps to delete their copies and nothing else about it is kept; under no
    /// parent, in no view, its parts dropped. Written [`Mutation::over`] the stored record, it
    /// removes every entry and lookup that record made. It is marked erased (a second erasure
    /// finds it; an upload bringing the record back is reported).
    pub fn erase(collection: Collection, id: SourcedId, at: Timestamp) -> Self {
        let body = serde_json::json!({
            "sourcedId": id.as_str(),
            "status": Status::ToBeDeleted.as_str(),
            "dateLastModified": at.to_string(),
        })
        .to_string();
        Self {
            collection,
            id,
            body,
            status: Status::ToBeDeleted,
            modified: at,
            // No content of the record is kept, so no row of a feed has its hash.
            hash: 0,
            links: Vec::new(),
            previous: None,
            parts: None,
            view: None,
            origin: None,
            job: None,
            gone: true,
            erased: Some(at),
            born: match collection {
                Collection::Users | Collection::Demographics => Born::Unrecorded,
                _ => Born::Unkept,
            },
        }
    }

    /// The same write over `stored` (`None`: there is none): the entries the stored record made
    /// and no longer makes are removed.
    pub fn over(self, stored: Option<&StoredRecord>) -> Self {
        let previous = stored.map(StoredRecord::prior);
        let born = match (self.collection, self.born, &previous) {
            (Collection::Users, Born::Unkept, Some(prior)) => prior.born,
            (_, born, _) => born,
        };
        Self { previous, born, ..self }
    }

    /// The same write made by the API client `origin` (not the SIS feed).
    pub fn by(self, origin: &str) -> Self {
        Self { origin: Some(origin.to_owned()), ..self }
    }

    /// The same write made by the ingest job `job`: kept on the record item, so that the change
    /// event the table's stream makes of it names the upload.
    pub fn in_job(self, job: &str) -> Self {
        Self { job: Some(job.to_owned()), ..self }
    }

    /// The same write with the sub-records kept beside the body.
    pub fn with_parts(self, parts: Option<String>) -> Self {
        Self { parts, ..self }
    }

    /// The same write keeping `hash` as its content hash: a record the ingest marks
    /// `tobedeleted` says what the stored one said.
    pub fn keeping_hash(self, hash: u64) -> Self {
        Self { hash, ..self }
    }

    /// The record's collection.
    pub fn collection(&self) -> Collection {
        self.collection
    }

    /// The record's sourcedId.
    pub fn id(&self) -> &SourcedId {
        &self.id
    }

    /// What the write does to its record.
    pub fn action(&self) -> Action {
        match &self.previous {
            None => Action::Created,
            Some(prior) if prior.gone => Action::Created,
            Some(prior) if self.gone || (self.status == Status::ToBeDeleted && prior.status != Status::ToBeDeleted) => {
                Action::Deleted
            }
            Some(_) => Action::Updated,
        }
    }

    /// The packs whose heads copy this record's view, when the write changes it (a user whose
    /// primary role turns from teacher to student): the packs of its children.
    pub(crate) fn view_change_packs(&self) -> Vec<(Relation, String)> {
        match &self.previous {
            Some(prior) if prior.view != self.view => Relation::ALL
                .into_iter()
                .filter(|relation| layout::of(*relation).packed && relation.parent() == self.collection)
                .map(|relation| (relation, self.id.to_string()))
                .collect(),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
pub(crate) mod fixtures;

#[cfg(test)]
mod tests {
    use super::fixtures::{
        self, class, demographics, enrollment, id, line_item, org, put, result, stored, user, with_status,
    };
    use super::*;
    use crate::commit::{keep_births, unkept_births};
    use oneroster_model::lookup_key;
    use oneroster_model::Date;

    /// The (relation, parent, child, via) of each link, as text.
    fn links(mutation: &Mutation) -> Vec<(Relation, String, String, Option<String>)> {
        let text = |link: &Link| {
            (link.relation, link.parent.to_string(), link.child.to_string(), link.via.as_ref().map(ToString::to_string))
        };
        mutation.links.iter().map(text).collect()
    }

    fn direct(relation: Relation, parent: &str, child: &str) -> (Relation, String, String, Option<String>) {
        (relation, parent.into(), child.into(), None)
    }

    fn via(relation: Relation, parent: &str, child: &str, by: &str) -> (Relation, String, String, Option<String>) {
        (relation, parent.into(), child.into(), Some(by.into()))
    }

    #[test]
    fn a_put_makes_the_links_and_view_of_its_kind_of_record() {
        use Relation::*;
        let email = |user: &str| lookup_key(&format!("{user}@example.org")).to_string();
        let pair = oneroster_model::pair_key(&id("k-1"), &id("u-1")).to_string();
        let cases = [
            (
                "student enrollment",
                enrollment("e-1", "k-1", "u-1", "student"),
                vec![
                    direct(ClassEnrollments, "k-1", "e-1"),
                    via(ClassStudents, "k-1", "u-1", "e-1"),
                    direct(SchoolEnrollments, "s-1", "e-1"),
                    via(UserClasses, "u-1", "k-1", "e-1"),
                ],
                None,
            ),
            (
                "teacher enrollment",
                enrollment("e-2", "k-1", "u-2", "teacher"),
                vec![
                    direct(ClassEnrollments, "k-1", "e-2"),
                    via(ClassTeachers, "k-1", "u-2", "e-2"),
                    direct(SchoolEnrollments, "s-1", "e-2"),
                    via(UserClasses, "u-2", "k-1", "e-2"),
                ],
                None,
            ),
            (
                "administrator enrollment",
                enrollment("e-3", "k-1", "u-3", "administrator"),
                vec![
                    direct(ClassEnrollments, "k-1", "e-3"),
                    direct(SchoolEnrollments, "s-1", "e-3"),
                    via(UserClasses, "u-3", "k-1", "e-3"),
                ],
                None,
            ),
            (
                "class in two terms",
                class("k-1", "s-1", &["t-1", "t-2"]),
                vec![
                    direct(SchoolClasses, "s-1", "k-1"),
                    via(SchoolTerms, "s-1", "t-1", "k-1"),
                    via(SchoolTerms, "s-1", "t-2", "k-1"),
                    direct(TermClasses, "t-1", "k-1"),
                    direct(TermClasses, "t-2", "k-1"),
                    direct(CourseClasses, "c-1", "k-1"),
                ],
                None,
            ),
            (
                "student in two schools",
                user("u-1", &[("student", "s-1"), ("student", "s-2")]),
                vec![
                    direct(SchoolStudents, "s-1", "u-1"),
                    direct(SchoolStudents, "s-2", "u-1"),
                    direct(SchoolUsers, "s-1", "u-1"),
                    direct(SchoolUsers, "s-2", "u-1"),
                    direct(UsersByEmail, &email("u-1"), "u-1"),
                ],
                Some(View::Students),
            ),
            (
                "teacher",
                user("u-2", &[("teacher", "s-1")]),
                vec![
                    direct(SchoolTeachers, "s-1", "u-2"),
                    direct(SchoolUsers, "s-1", "u-2"),
                    direct(UsersByEmail, &email("u-2"), "u-2"),
                ],
                Some(View::Teachers),
            ),
            (
                "aide",
                user("u-3", &[("aide", "s-1")]),
                vec![direct(SchoolUsers, "s-1", "u-3"), direct(UsersByEmail, &email("u-3"), "u-3")],
                None,
            ),
            (
                "line item",
                line_item("li-1", "k-1", "cat-1"),
                vec![direct(ClassLineItems, "k-1", "li-1"), via(ClassCategories, "k-1", "cat-1", "li-1")],
                None,
            ),
            (
                "result naming its class",
                result("r-1", "li-1", "u-1", Some("k-1")),
                vec![
                    direct(ClassResults, "k-1", "r-1"),
                    direct(LineItemResults, "li-1", "r-1"),
                    direct(ClassStudentResults, &pair, "r-1"),
                ],
                None,
            ),
            ("school", org("s-1", "school"), vec![], Some(View::Schools)),
            ("district", org("d-1", "district"), vec![], None),
        ];
        for (name, record, expected, view) in cases {
            let mutation = put(record);
            let mut made = links(&mutation);
            let mut expected = expected;
            made.sort();
            expected.sort();
            assert_eq!(made, expected, "{name}: links");
            assert_eq!(mutation.view, view, "{name}: view");
        }
    }

    #[test]
    fn a_result_without_a_class_takes_its_line_items_class_from_the_named_records() {
        let pair = oneroster_model::pair_key(&id("k-9"), &id("u-1")).to_string();
        let named: Named = HashMap::from([((Collection::LineItems, "li-1".to_owned()), line_item("li-1", "k-9", "c"))]);
        let resolved = Mutation::put(Encoded::new(result("r-1", "li-1", "u-1", None)), &named);
        let mut made = links(&resolved);
        made.sort();
        assert_eq!(
            made,
            [
                direct(Relation::ClassResults, "k-9", "r-1"),
                direct(Relation::LineItemResults, "li-1", "r-1"),
                direct(Relation::ClassStudentResults, &pair, "r-1"),
            ],
            "the line item's class"
        );
        // Without its line item stored, the result is filed under the line item only.
        let unresolved = put(result("r-1", "li-1", "u-1", None));
        assert_eq!(links(&unresolved), [direct(Relation::LineItemResults, "li-1", "r-1")], "no dependency");
    }

    #[test]
    fn a_record_marked_tobedeleted_keeps_its_place_under_parents_but_links_nothing_through_itself() {
        let cases = [
            ("enrollment", enrollment("e-1", "k-1", "u-1", "student"), 2),
            ("class", class("k-1", "s-1", &["t-1"]), 3),
            ("line item", line_item("li-1", "k-1", "cat-1"), 1),
        ];
        for (name, record, kept) in cases {
            let mutation = put(with_status(record, Status::ToBeDeleted));
            assert_eq!(mutation.links.len(), kept, "{name}: links kept");
            assert!(mutation.links.iter().all(|link| link.via.is_none()), "{name}: a via link is left");
        }
    }

    #[test]
    fn the_hash_is_the_encoded_content_without_status_and_modification_time() {
        let base = Encoded::new(enrollment("e-1", "k-1", "u-1", "student"));
        let mut moved = enrollment("e-1", "k-1", "u-1", "student");
        moved.base_mut().date_last_modified = Timestamp::now();
        let cases = [
            ("same record", Encoded::new(enrollment("e-1", "k-1", "u-1", "student")), true),
            (
                "other status",
                Encoded::new(with_status(enrollment("e-1", "k-1", "u-1", "student"), Status::ToBeDeleted)),
                true,
            ),
            ("other modification time", Encoded::new(moved), true),
            ("other class", Encoded::new(enrollment("e-1", "k-2", "u-1", "student")), false),
            ("other role", Encoded::new(enrollment("e-1", "k-1", "u-1", "teacher")), false),
        ];
        for (name, encoded, same) in cases {
            assert_eq!(encoded.hash() == base.hash(), same, "{name}: hash");
            let mutation = Mutation::put(encoded.clone(), &Named::new());
            assert_eq!((mutation.hash, mutation.body.as_str()), (encoded.hash(), encoded.body()), "{name}: reused");
        }
        assert_eq!((base.id().as_str(), base.status()), ("e-1", &Status::Active));
        assert!(base.body().contains(r#""sourcedId":"e-1""#), "{}", base.body());
    }

    #[test]
    fn a_put_is_a_new_record_of_the_sis_feed_until_said_otherwise() {
        let record = user("u-1", &[("student", "s-1")]);
        let modified = record.base().date_last_modified;
        let mutation = put(record);
        assert_eq!(
            (mutation.collection(), mutation.id().as_str(), mutation.status.clone(), mutation.modified),
            (Collection::Users, "u-1", Status::Active, modified)
        );
        assert_eq!(
            (mutation.previous.is_none(), mutation.origin.as_deref(), mutation.parts.as_deref()),
            (true, None, None)
        );
        assert!(!mutation.gone);
        assert_eq!(mutation.action(), Action::Created);
    }

    #[test]
    fn the_builders_change_only_what_they_name() {
        let plain = put(enrollment("e-1", "k-1", "u-1", "student"));
        let previous = stored(&plain);
        let built =
            plain.clone().over(Some(&previous)).by("lms").with_parts(Some(r#"{"roles":[]}"#.into())).keeping_hash(42);
        let cases = [
            ("previous", built.previous.is_some(), true),
            ("origin", built.origin.as_deref() == Some("lms"), true),
            ("parts", built.parts.as_deref() == Some(r#"{"roles":[]}"#), true),
            ("hash", built.hash == 42, true),
            ("links", built.links == plain.links, true),
            ("body", built.body == plain.body, true),
            ("view", built.view == plain.view, true),
            ("status", built.status == plain.status, true),
            ("gone", built.gone, false),
        ];
        for (name, holds, expected) in cases {
            assert_eq!(holds, expected, "{name}");
        }
        assert_eq!(built.action(), Action::Updated);
        assert_eq!(plain.clone().over(None).action(), Action::Created, "over nothing");
    }

    #[test]
    fn a_deletion_is_a_tombstone_keeping_what_the_stored_record_said() {
        let before = Timestamp::now();
        let written = put(result("r-1", "li-1", "u-1", Some("k-1"))).with_parts(Some("[]".into()));
        let previous = stored(&written);
        let deleted = Mutation::delete(result("r-1", "li-1", "u-1", Some("k-1")), &previous, "lms");
        assert_eq!((deleted.status.clone(), deleted.gone, deleted.view), (Status::ToBeDeleted, true, None));
        assert!(deleted.links.is_empty(), "a tombstone is under no parent");
        assert_eq!((deleted.hash, deleted.parts.as_deref()), (previous.hash, Some("[]")), "the stored content");
        assert_eq!(deleted.origin.as_deref(), Some("lms"));
        assert!(deleted.modified >= before, "modified now");
        assert!(deleted.body.contains(r#""status":"tobedeleted""#), "{}", deleted.body);
        assert_eq!(deleted.action(), Action::Deleted);
    }

    #[test]
    fn an_erasure_keeps_only_the_sourced_id_and_drops_every_entry_and_view() {
        let student = put(user("u-1", &[("student", "s-1")]));
        let at = Timestamp::now();
        let erased = Mutation::erase(Collection::Users, id("u-1"), at).over(Some(&stored(&student)));
        let body: serde_json::Value = serde_json::from_str(&erased.body).expect("JSON");
        assert_eq!(
            body,
            serde_json::json!({"sourcedId": "u-1", "status": "tobedeleted", "dateLastModified": at.to_string()})
        );
        assert_eq!((erased.status.clone(), erased.gone, erased.erased), (Status::ToBeDeleted, true, Some(at)));
        assert_eq!((erased.links.len(), erased.view, erased.parts.as_deref()), (0, None, None));
        assert_eq!(erased.action(), Action::Deleted);
        let tenant = fixtures::tenant();
        let entries = crate::records::entry_changes(&tenant, &erased);
        assert_eq!(entries.left.len(), stored(&student).links.0.len(), "every entry it made is removed");
        assert!(!entries.left.is_empty(), "a student makes entries");
        let again = stored(&erased);
        assert_eq!((again.erased, again.gone, again.parts), (Some(at), true, None), "read back erased");
    }

    #[test]
    fn an_action_follows_the_stored_record() {
        let active = put(enrollment("e-1", "k-1", "u-1", "student"));
        let dropped = put(with_status(enrollment("e-1", "k-1", "u-1", "student"), Status::ToBeDeleted));
        let tombstone = Mutation::delete(enrollment("e-1", "k-1", "u-1", "student"), &stored(&active), "lms");
        let cases = [
            (
                "delete over a record the ingest dropped",
                tombstone.clone().over(Some(&stored(&dropped))),
                Action::Deleted,
            ),
            ("put over a tombstone", active.clone().over(Some(&stored(&tombstone))), Action::Created),
            ("drop over a tombstone", dropped.clone().over(Some(&stored(&tombstone))), Action::Created),
            ("drop again", dropped.clone().over(Some(&stored(&dropped))), Action::Updated),
            ("revive", active.clone().over(Some(&stored(&dropped))), Action::Updated),
        ];
        for (name, mutation, expected) in cases {
            assert_eq!(mutation.action(), expected, "{name}");
        }
    }

    #[test]
    fn a_change_of_view_makes_the_packs_of_the_records_children_stale() {
        use Relation::*;
        let over = |record: Record, previous: Option<Record>| {
            let previous = previous.map(|p| stored(&put(p)));
            let mut packs = put(record).over(previous.as_ref()).view_change_packs();
            packs.sort();
            packs
        };
        let packs = |relations: &[Relation], parent: &str| -> Vec<(Relation, String)> {
            relations.iter().map(|r| (*r, parent.to_owned())).collect()
        };
        let school_packs = [
            OrgCourses,
            SchoolClasses,
            SchoolTerms,
            SchoolEnrollments,
            SchoolStudents,
            SchoolTeachers,
            SchoolUsers,
            SchoolAttendance,
        ];
        let cases = [
            ("a new user", over(user("u-1", &[("student", "s-1")]), None), vec![]),
            ("same view", over(user("u-1", &[("student", "s-1")]), Some(user("u-1", &[("student", "s-2")]))), vec![]),
            (
                "teacher turned student",
                over(user("u-1", &[("student", "s-1")]), Some(user("u-1", &[("teacher", "s-1")]))),
                packs(&[UserClasses, UserResources, StudentAttendance], "u-1"),
            ),
            (
                "student turned aide",
                over(user("u-1", &[("aide", "s-1")]), Some(user("u-1", &[("student", "s-1")]))),
                packs(&[UserClasses, UserResources, StudentAttendance], "u-1"),
            ),
            (
                "district turned school",
                over(org("s-1", "school"), Some(org("s-1", "district"))),
                packs(&school_packs, "s-1"),
            ),
        ];
        for (name, made, expected) in cases {
            assert_eq!(made, expected, "{name}");
        }
    }

    #[test]
    fn a_demographics_record_keeps_its_birth_date_and_its_user_follows_it() {
        let born = Born::On(Date::parse("2015-03-01").expect("a date"));
        let dated = put(demographics("u-1", Some("2015-03-01")));
        assert_eq!((dated.born, stored(&dated).born), (born, born), "kept on its own item");
        let gone = put(with_status(demographics("u-1", Some("2015-03-01")), Status::ToBeDeleted));
        assert_eq!(gone.born, Born::Unrecorded, "a deleted record's date is not kept");
        assert_eq!(put(demographics("u-1", None)).born, Born::Unrecorded);
        assert_eq!(put(org("s-1", "school")).born, Born::Unkept, "other records keep none");

        // A new user reads its demographics' date; one stored keeps the date its item has.
        let mut new = vec![put(user("u-1", &[("student", "s-1")])), put(user("u-2", &[("student", "s-1")]))];
        assert_eq!(unkept_births(&new), ["u-1", "u-2"]);
        keep_births(&mut new, &[stored(&dated)]);
        assert_eq!((new[0].born, new[1].born), (born, Born::Unrecorded), "u-2 has no demographics");
        let rewritten = put(user("u-1", &[("teacher", "s-1")])).over(Some(&stored(&new[0])));
        assert_eq!(rewritten.born, born);
        assert!(unkept_births(std::slice::from_ref(&rewritten)).is_empty(), "nothing to read");
        let deleted = Mutation::delete(user("u-1", &[]), &stored(&new[0]), "lms");
        assert_eq!(deleted.born, born, "a deleted user keeps it, should it come back");
        let erased = Mutation::erase(Collection::Users, id("u-1"), Timestamp::now()).over(Some(&stored(&new[0])));
        assert_eq!(erased.born, Born::Unrecorded, "an erasure keeps nothing");
    }
}
