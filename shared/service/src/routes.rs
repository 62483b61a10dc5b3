//! What an operation does, typed: a [`Read`] (every record of a collection or view, one record,
//! the children of a parent) or a [`Write`] (PUT, DELETE, POST under parents), so that a route
//! table says in one line what each operation does and neither the read nor the write path has
//! to handle the other's cases. The parents nested routes hang off ([`Parent`]) carry the
//! rules checked before listing: the collection, the view the parent must be in, and the noun
//! a 404 calls it.

use crate::read::ListRequest;
use crate::ServiceError;
use oneroster_model::ids::check_sourced_id;
use oneroster_model::{pair_key, Collection, Relation, SourcedId, View};
use oneroster_store::Listing;
use oneroster_writes::WriteError;

/// A parent record a nested route hangs off: checked to exist (in its view) before or after
/// listing its children, so that an unknown parent is a 404 rather than an empty list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parent {
    /// The collection it is read from.
    pub collection: Collection,
    /// The view it must be in, when the route insists on one (`/schools/{id}/…`).
    pub view: Option<View>,
    /// What a 404 calls it (`school`).
    pub name: &'static str,
}

impl Parent {
    /// A parent of `collection`, in `view` when given, called `name` in a 404: for the few
    /// route tables that name a parent of their own (a class's student is any user).
    pub const fn new(collection: Collection, view: Option<View>, name: &'static str) -> Self {
        Self { collection, view, name }
    }
}

/// A school (`/schools/{id}/…`).
pub const SCHOOL: Parent = Parent::new(Collection::Orgs, Some(View::Schools), "school");
/// A class (`/classes/{id}/…`).
pub const CLASS: Parent = Parent::new(Collection::Classes, None, "class");
/// A course (`/courses/{id}/…`).
pub const COURSE: Parent = Parent::new(Collection::Courses, None, "course");
/// Any academic session: a class's `terms` may name a semester or a school year, and consumers
/// follow them to `/terms/{id}/classes|gradingPeriods`, so those routes do not insist on type
/// `term` (`/terms` and `/terms/{id}` do).
pub const TERM: Parent = Parent::new(Collection::AcademicSessions, None, "term");
/// A line item (`/lineItems/{id}/…`, `/classes/{c}/lineItems/{id}/…`).
pub const LINE_ITEM: Parent = Parent::new(Collection::LineItems, None, "lineItem");
/// Any academic session (`/classes/{c}/academicSessions/{id}/…`).
pub const SESSION: Parent = Parent::new(Collection::AcademicSessions, None, "academicSession");
/// A resource (`/classes/{c}/resources/{id}`).
pub const RESOURCE: Parent = Parent::new(Collection::Resources, None, "resource");
/// Any user (`/users/{id}/…`).
pub const USER: Parent = Parent::new(Collection::Users, None, "user");
/// A user in the students view (`/students/{id}/…`).
pub const STUDENT: Parent = Parent::new(Collection::Users, Some(View::Students), "student");
/// A user in the teachers view (`/teachers/{id}/…`).
pub const TEACHER: Parent = Parent::new(Collection::Users, Some(View::Teachers), "teacher");

/// What a read operation reads, its ids taken from the path in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    /// Every record of a collection.
    All(Collection),
    /// Every record of a typed view.
    AllOf(View),
    /// One record of a collection (in a view, when given).
    One(Collection, Option<View>),
    /// The children of a parent, optionally only those in a view.
    Related(Relation, Parent, Option<View>),
    /// The children of the second parent, which must belong to the first through its property
    /// (`/schools/{s}/classes/{c}/students`: the class's `school`).
    Nested(Relation, Parent, Parent, &'static str),
    /// The children of a pair of parents (`/classes/{c}/students/{s}/results`).
    Pair(Relation, Parent, Parent),
}

/// What a write operation writes, its ids taken from the path in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    /// Creates or replaces one record (`PUT`), in the typed view when given (`/schools/{id}`).
    Put(Collection, Option<View>),
    /// Deletes one record (`DELETE`), in the typed view when given.
    Delete(Collection, Option<View>),
    /// Creates a set of records under the parent(s) the path names (`POST`, the gradebook's).
    Post(Collection, PostUnder),
    /// Creates one record (`POST` of `{"class": {…}}`) where the path puts it.
    Create(Collection, Creates),
    /// Assigns the resource of the path's second id to the record of its first (`PUT
    /// /classes/{c}/resources/{r}`): a link record of this collection.
    Link(Collection),
    /// Removes that assignment (`DELETE /classes/{c}/resources/{r}`).
    Unlink(Collection),
}

/// Where a `POST` of one record puts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Creates {
    /// `POST /{collection}`, in the typed view when given (`/schools`).
    In(Option<View>),
    /// A grading period of the path's term (`/terms/{id}/gradingPeriods`).
    GradingPeriodOfTerm,
    /// A student's enrollment in the path's class (`/classes/{id}/students`).
    Student,
    /// A teacher's enrollment in the path's class (`/classes/{id}/teachers`).
    Teacher,
}

impl Creates {
    /// The parents the path names: each must exist before anything is written under it.
    pub fn parents(self) -> &'static [Parent] {
        match self {
            Creates::In(_) => &[],
            Creates::GradingPeriodOfTerm => &[TERM],
            Creates::Student | Creates::Teacher => &[CLASS],
        }
    }
}

/// The owner a resource link's path names first, and the resource second: both must exist.
pub fn link_parents(collection: Collection) -> [Parent; 2] {
    let owner = match collection {
        Collection::ClassResources => CLASS,
        Collection::CourseResources => COURSE,
        _ => USER,
    };
    [owner, RESOURCE]
}

/// Where a `POST` puts its records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostUnder {
    /// A class (`/classes/{id}/lineItems`).
    Class,
    /// A school (`/schools/{id}/lineItems`).
    School,
    /// A line item (`/lineItems/{id}/results`).
    LineItem,
    /// A class and an academic session (`/classes/{c}/academicSessions/{a}/results`).
    ClassSession,
}

impl PostUnder {
    /// The parents the path names, in the path's order: each must exist before anything is
    /// written under it.
    pub fn parents(self) -> &'static [Parent] {
        match self {
            PostUnder::Class => &[CLASS],
            PostUnder::School => &[SCHOOL],
            PostUnder::LineItem => &[LINE_ITEM],
            PostUnder::ClassSession => &[CLASS, SESSION],
        }
    }
}

/// What an operation does: the route table's third column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// It reads (GET).
    Read(Read),
    /// It writes (PUT, DELETE, POST).
    Write(Write),
}

impl Action {
    /// The collection whose records the operation reads or writes (a relation's children, a
    /// view's records): what its audit event names, so that an access report says which
    /// collections an app read without a table of operationIds.
    pub fn collection(self) -> Collection {
        match self {
            Action::Read(Read::All(collection) | Read::One(collection, _)) => collection,
            Action::Read(Read::AllOf(view)) => view.collection(),
            Action::Read(Read::Related(relation, ..) | Read::Nested(relation, ..) | Read::Pair(relation, ..)) => {
                relation.child()
            }
            Action::Write(
                Write::Put(collection, _)
                | Write::Delete(collection, _)
                | Write::Post(collection, _)
                | Write::Create(collection, _)
                | Write::Link(collection)
                | Write::Unlink(collection),
            ) => collection,
        }
    }

    /// Refuses ids no record can have (past the GUID rule, which bounds their length too)
    /// before they reach the store as keys: [`ServiceError::BadId`] for a read, a deletion or a
    /// POST's parent; for a PUT, which would create the record, invalid data naming the rule.
    pub fn check_ids(self, ids: &[String]) -> Result<(), ServiceError> {
        for id in ids {
            if let Err(reason) = check_sourced_id(id) {
                return Err(match self {
                    Action::Write(Write::Put(..)) => {
                        WriteError::Invalid { field: "sourcedId".to_owned(), reason: reason.to_string() }.into()
                    }
                    _ => ServiceError::BadId { id: id.clone(), reason: reason.to_string() },
                });
            }
        }
        Ok(())
    }
}

impl Read {
    /// What a list read lists, from its (checked) ids alone; `None` for a single record.
    pub fn list_request(self, ids: &[String]) -> Option<ListRequest> {
        let id = |i: usize| ids.get(i).cloned().unwrap_or_default();
        Some(match self {
            Read::All(collection) => Listing::Collection(collection).into(),
            Read::AllOf(view) => Listing::View(view).into(),
            Read::Related(relation, _, only_view) => {
                ListRequest { listing: Listing::Related { relation, parent: id(0) }, only_view }
            }
            Read::Nested(relation, ..) => Listing::Related { relation, parent: id(1) }.into(),
            Read::Pair(relation, ..) => {
                let (first, second) = (SourcedId::parse(&id(0)).ok()?, SourcedId::parse(&id(1)).ok()?);
                Listing::Related { relation, parent: pair_key(&first, &second).to_string() }.into()
            }
            Read::One(..) => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|id| (*id).to_owned()).collect()
    }

    #[test]
    fn list_reads_list_what_their_ids_name() {
        let pair = pair_key(&SourcedId::parse("c-1").expect("an id"), &SourcedId::parse("u-1").expect("an id"));
        let related = |relation, parent: &str| Listing::Related { relation, parent: parent.to_owned() };
        let cases: [(Read, &[&str], Option<ListRequest>); 7] = [
            (
                Read::All(Collection::Users),
                &[],
                Some(ListRequest { listing: Listing::Collection(Collection::Users), only_view: None }),
            ),
            (
                Read::AllOf(View::Schools),
                &[],
                Some(ListRequest { listing: Listing::View(View::Schools), only_view: None }),
            ),
            (
                Read::Related(Relation::ClassStudents, CLASS, None),
                &["c-1"],
                Some(ListRequest { listing: related(Relation::ClassStudents, "c-1"), only_view: None }),
            ),
            (
                Read::Related(Relation::SessionChildren, TERM, Some(View::GradingPeriods)),
                &["t-1"],
                Some(ListRequest {
                    listing: related(Relation::SessionChildren, "t-1"),
                    only_view: Some(View::GradingPeriods),
                }),
            ),
            (
                Read::Nested(Relation::ClassStudents, SCHOOL, CLASS, "school"),
                &["s-1", "c-1"],
                Some(ListRequest { listing: related(Relation::ClassStudents, "c-1"), only_view: None }),
            ),
            (
                Read::Pair(Relation::ClassStudentResults, CLASS, USER),
                &["c-1", "u-1"],
                Some(ListRequest {
                    listing: related(Relation::ClassStudentResults, &pair.to_string()),
                    only_view: None,
                }),
            ),
            (Read::One(Collection::Users, None), &["u-1"], None),
        ];
        for (read, path_ids, expected) in cases {
            assert_eq!(read.list_request(&ids(path_ids)), expected, "{read:?}");
        }
    }

    #[test]
    fn ids_outside_the_guid_rule_are_refused_as_the_action_requires() {
        let long = "u".repeat(2000);
        let cases: [(Action, &[&str], Option<&str>); 6] = [
            (Action::Read(Read::One(Collection::Users, None)), &["usr/0000000@lu"], None),
            (Action::Read(Read::One(Collection::Users, None)), &[&long], Some("bad id")),
            (Action::Read(Read::Pair(Relation::ClassStudentResults, CLASS, USER)), &["c-1", "a b"], Some("bad id")),
            (Action::Write(Write::Delete(Collection::Results, None)), &[&long], Some("bad id")),
            (Action::Write(Write::Post(Collection::Results, PostUnder::LineItem)), &["a b"], Some("bad id")),
            (Action::Write(Write::Put(Collection::Results, None)), &["a b"], Some("invalid")),
        ];
        for (action, path_ids, expected) in cases {
            let found = action.check_ids(&ids(path_ids)).err().map(|error| match error {
                ServiceError::BadId { .. } => "bad id",
                ServiceError::Write(WriteError::Invalid { field, .. }) if field == "sourcedId" => "invalid",
                _ => "other",
            });
            assert_eq!(found, expected, "{action:?} {path_ids:?}");
        }
    }

    #[test]
    fn an_action_names_the_collection_its_records_are_of() {
        let cases = [
            (Action::Read(Read::All(Collection::Enrollments)), Collection::Enrollments),
            (Action::Read(Read::AllOf(View::Students)), Collection::Users),
            (Action::Read(Read::One(Collection::Orgs, Some(View::Schools))), Collection::Orgs),
            (Action::Read(Read::Related(Relation::ClassStudents, CLASS, None)), Collection::Users),
            (Action::Read(Read::Nested(Relation::ClassStudents, SCHOOL, CLASS, "school")), Collection::Users),
            (Action::Read(Read::Pair(Relation::ClassStudentResults, CLASS, USER)), Collection::Results),
            (Action::Write(Write::Post(Collection::LineItems, PostUnder::Class)), Collection::LineItems),
            (Action::Write(Write::Create(Collection::Enrollments, Creates::Student)), Collection::Enrollments),
            (Action::Write(Write::Unlink(Collection::ClassResources)), Collection::ClassResources),
        ];
        for (action, expected) in cases {
            assert_eq!(action.collection(), expected, "{action:?}");
        }
    }

    #[test]
    fn a_post_checks_the_parents_its_path_names_in_order() {
        assert_eq!(PostUnder::ClassSession.parents(), &[CLASS, SESSION]);
        assert_eq!(PostUnder::School.parents(), &[SCHOOL]);
        assert_eq!(PostUnder::School.parents()[0].view, Some(View::Schools));
    }
}
