//! Which records a client limited to some schools sees (its district's sharing rule,
//! [`oneroster_model::Sharing::schools`]): the records of those schools — their classes,
//! enrollments, line items, attendance; the users with a role in one of them; the courses of
//! those schools — and what the district shares with every school: the district's own orgs,
//! the academic sessions, resources, categories and absence codes. A record that is about
//! another record (a user's demographics, a result of a line item, a class's score scale, a
//! course of an org) is seen when that record is. Everything else answers as if it did not
//! exist.

use crate::{ListRequest, ServiceError};
use oneroster_model::{Collection, Relation, SourcedId, View};
use oneroster_store::{Listing, StoredRecord, TenantStore};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};

/// A client's schools.
#[derive(Debug, Clone, Copy)]
pub struct Schools<'a>(pub &'a BTreeSet<SourcedId>);

/// What ties a record to schools, read from its own body.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tie {
    /// Shared with every school.
    Shared,
    /// Of any of these schools.
    Of(Vec<String>),
    /// Seen when that record is.
    Via(Collection, String),
}

/// The sourcedId a reference property of `body` holds.
fn reference(body: &Value, property: &str) -> Option<String> {
    body[property]["sourcedId"].as_str().map(str::to_owned)
}

/// What ties a record of `collection` to schools.
fn tie(collection: Collection, body: &Value) -> Tie {
    let of = |property: &str| Tie::Of(reference(body, property).into_iter().collect());
    let via = |target: Collection, property: &str| match reference(body, property) {
        Some(id) => Tie::Via(target, id),
        None => Tie::Of(Vec::new()),
    };
    match collection {
        Collection::Orgs => match body["type"].as_str() {
            Some("school") => Tie::Of(body["sourcedId"].as_str().map(str::to_owned).into_iter().collect()),
            Some("department") => of("parent"),
            _ => Tie::Shared,
        },
        Collection::Classes | Collection::Enrollments | Collection::LineItems => of("school"),
        Collection::Users => {
            let roles = body["roles"].as_array().into_iter().flatten();
            let mut schools: Vec<String> =
                roles.filter_map(|role| role["org"]["sourcedId"].as_str().map(str::to_owned)).collect();
            schools.extend(reference(body, "primaryOrg"));
            Tie::Of(schools)
        }
        Collection::Courses => via(Collection::Orgs, "org"),
        Collection::Demographics => {
            body["sourcedId"].as_str().map_or(Tie::Of(Vec::new()), |id| Tie::Via(Collection::Users, id.to_owned()))
        }
        Collection::Results => via(Collection::LineItems, "lineItem"),
        Collection::AssessmentResults => via(Collection::Users, "student"),
        Collection::ScoreScales => via(Collection::Classes, "class"),
        Collection::AssessmentLineItems if reference(body, "class").is_some() => via(Collection::Classes, "class"),
        Collection::Attendance if reference(body, "school").is_some() => of("school"),
        Collection::Attendance => via(Collection::Users, "student"),
        Collection::ClassResources => via(Collection::Classes, "class"),
        Collection::CourseResources => via(Collection::Courses, "course"),
        Collection::UserResources => via(Collection::Users, "user"),
        _ => Tie::Shared,
    }
}

impl Schools<'_> {
    fn holds(&self, school: &str) -> bool {
        self.0.iter().any(|s| s.as_str() == school)
    }

    /// Whether a record tied as `tie` is seen, once the records it goes through are known
    /// (`via`: whether each is seen).
    fn sees(&self, tie: &Tie, via: &HashMap<(Collection, String), bool>) -> bool {
        match tie {
            Tie::Shared => true,
            Tie::Of(schools) => schools.iter().any(|school| self.holds(school)),
            Tie::Via(collection, id) => via.get(&(*collection, id.clone())).copied().unwrap_or(false),
        }
    }

    /// Whether each of `records` (of `collection`) is seen: their bodies, and one batch read
    /// per collection they go through (a page of demographics reads its users; a course its
    /// org). A record that goes through a record that goes through another (a class resource's
    /// course's org) reads that one too.
    pub async fn see(
        &self,
        store: TenantStore<'_>,
        collection: Collection,
        records: &[StoredRecord],
    ) -> Result<Vec<bool>, ServiceError> {
        let ties = records
            .iter()
            .map(|record| Ok(tie(collection, &serde_json::from_str(&record.body)?)))
            .collect::<Result<Vec<Tie>, ServiceError>>()?;
        let via = self.through(store, ties.iter().collect()).await?;
        Ok(ties.iter().map(|tie| self.sees(tie, &via)).collect())
    }

    /// Refuses (not found, naming it) the first school or record that the records a write body
    /// holds (`records`, of `collection`) tie them to and that the client does not see. A
    /// body naming no school, or a record that does not exist, is left to the write's own
    /// checks, which refuse it with their reasons.
    pub async fn may_write(
        &self,
        store: TenantStore<'_>,
        collection: Collection,
        records: &[Value],
    ) -> Result<(), ServiceError> {
        let ties: Vec<Tie> = records.iter().map(|record| tie(collection, record)).collect();
        let via = self.through(store, ties.iter().collect()).await?;
        for tie in &ties {
            let refused = match tie {
                Tie::Of(schools) if !schools.is_empty() && !self.sees(tie, &via) => {
                    Some(("school".to_owned(), schools[0].clone()))
                }
                Tie::Via(target, id) if via.get(&(*target, id.clone())) == Some(&false) => {
                    Some((target.ref_type().to_owned(), id.clone()))
                }
                _ => None,
            };
            if let Some((what, id)) = refused {
                return Err(ServiceError::NotFound { what, id });
            }
        }
        Ok(())
    }

    /// Whether each record the ties go through is seen, read in one batch per collection
    /// (and, for those that go through others, one more round).
    async fn through(
        &self,
        store: TenantStore<'_>,
        ties: Vec<&Tie>,
    ) -> Result<HashMap<(Collection, String), bool>, ServiceError> {
        let mut wanted: HashMap<Collection, BTreeSet<String>> = HashMap::new();
        for tie in ties {
            if let Tie::Via(collection, id) = tie {
                wanted.entry(*collection).or_default().insert(id.clone());
            }
        }
        let mut seen = HashMap::new();
        for (collection, ids) in wanted {
            let ids: Vec<String> = ids.into_iter().collect();
            let read = store.records().get_many(collection, &ids).await?;
            let read: Vec<StoredRecord> = read.into_iter().filter(|record| !record.gone).collect();
            let visible = Box::pin(self.see(store, collection, &read)).await?;
            seen.extend(read.iter().zip(visible).map(|(record, visible)| ((collection, record.id.clone()), visible)));
        }
        Ok(seen)
    }

    /// The listing of the client's one school that holds what `request` lists of the whole
    /// district, where there is one (its classes, enrollments, users, students, teachers,
    /// attendance):
    /// read page by page, as the school's own route is, instead of a scan of the district.
    /// `None` for another request, or a client of several schools.
    pub fn narrow(&self, request: &ListRequest) -> Option<ListRequest> {
        let [school] = self.0.iter().collect::<Vec<_>>()[..] else { return None };
        let relation = match (&request.listing, request.only_view) {
            (Listing::Collection(Collection::Classes), None) => Relation::SchoolClasses,
            (Listing::Collection(Collection::Enrollments), None) => Relation::SchoolEnrollments,
            (Listing::Collection(Collection::Users), None) => Relation::SchoolUsers,
            (Listing::View(View::Students), None) => Relation::SchoolStudents,
            (Listing::View(View::Teachers), None) => Relation::SchoolTeachers,
            (Listing::Collection(Collection::Attendance), None) => Relation::SchoolAttendance,
            _ => return None,
        };
        Some(Listing::Related { relation, parent: school.to_string() }.into())
    }

    /// Whether everything `listing` holds is seen: the children of one of the client's schools.
    pub fn vouch_for(&self, listing: &Listing) -> bool {
        match listing {
            Listing::Related { relation, parent } => {
                relation.parent() == Collection::Orgs && Self::parent_vouches(*relation) && self.holds(parent)
            }
            _ => false,
        }
    }

    /// Whether the children of a visible parent under `relation` are all the parent's
    /// school's, so that they need no check of their own: a school's (or org's) and a class's
    /// are; a user's, a term's or a course's may be of any school.
    pub fn parent_vouches(relation: Relation) -> bool {
        matches!(relation.parent(), Collection::Orgs | Collection::Classes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_collection_is_tied_to_its_schools_or_to_what_it_is_about() {
        let of = |ids: &[&str]| Tie::Of(ids.iter().map(|id| (*id).to_owned()).collect());
        let cases = [
            (Collection::Orgs, json!({"sourcedId": "s1", "type": "school"}), of(&["s1"])),
            (Collection::Orgs, json!({"sourcedId": "d", "type": "district"}), Tie::Shared),
            (
                Collection::Orgs,
                json!({"sourcedId": "x", "type": "department", "parent": {"sourcedId": "s2"}}),
                of(&["s2"]),
            ),
            (Collection::Classes, json!({"school": {"sourcedId": "s1"}}), of(&["s1"])),
            (
                Collection::Users,
                json!({"roles": [{"org": {"sourcedId": "s1"}}, {"org": {"sourcedId": "s2"}}]}),
                of(&["s1", "s2"]),
            ),
            (Collection::Courses, json!({"org": {"sourcedId": "d"}}), Tie::Via(Collection::Orgs, "d".into())),
            (Collection::Demographics, json!({"sourcedId": "u1"}), Tie::Via(Collection::Users, "u1".into())),
            (
                Collection::Results,
                json!({"lineItem": {"sourcedId": "l1"}}),
                Tie::Via(Collection::LineItems, "l1".into()),
            ),
            (
                Collection::Attendance,
                json!({"school": {"sourcedId": "s1"}, "student": {"sourcedId": "u1"}}),
                of(&["s1"]),
            ),
            (Collection::Attendance, json!({"student": {"sourcedId": "u1"}}), Tie::Via(Collection::Users, "u1".into())),
            (Collection::AcademicSessions, json!({"sourcedId": "t1"}), Tie::Shared),
        ];
        for (collection, body, expected) in cases {
            assert_eq!(tie(collection, &body), expected, "{collection:?} {body}");
        }
        let mine = BTreeSet::from([SourcedId::parse("s1").expect("an id")]);
        let schools = Schools(&mine);
        let via = HashMap::from([((Collection::Users, "u1".to_owned()), true)]);
        assert!(schools.sees(&of(&["s2", "s1"]), &via));
        assert!(!schools.sees(&of(&["s2"]), &via));
        assert!(!schools.sees(&of(&[]), &via), "a record of no school is of none of the client's");
        assert!(schools.sees(&Tie::Via(Collection::Users, "u1".into()), &via));
        assert!(!schools.sees(&Tie::Via(Collection::Users, "u2".into()), &via), "not read: gone or unknown");
    }
}
