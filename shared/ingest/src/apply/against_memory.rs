//! The apply against the in-memory store: what a package leaves stored (records, their status
//! and time, their parts and relation entries), what each file's counts say, what is written
//! and what is not, and which packs and counts it asks to be rebuilt. Table-driven; each case
//! is named in its failure message. No local stack: these run in well under a second.

mod fixture;

use super::ApplyError;
use fixture::*;
use oneroster_csv::FileKind;
use oneroster_model::{Collection, Record, Relation, Status};
use oneroster_store::{Encoded, Mutation, RecordStore, ShardPart, StoreError};
use std::collections::BTreeSet;

/// The district every case starts from: a district and a school, a school year and a term, a
/// course, a class, a teacher and two students with their roles, and their enrollments.
fn district_files() -> Vec<File> {
    vec![
        bulk(FileKind::Orgs, &[("d-1", org("District", "district", "")), ("s-1", org("School", "school", "d-1"))]),
        bulk(
            FileKind::AcademicSessions,
            &[("y-1", session("Year", "schoolYear", "")), ("t-1", session("Term", "term", "y-1"))],
        ),
        bulk(FileKind::Courses, &[("c-1", course("Algebra", "s-1"))]),
        bulk(FileKind::Classes, &[("k-1", class("Algebra 1", "c-1", "s-1", "t-1"))]),
        bulk(FileKind::Users, &[("u-1", user("ann", "Ann")), ("u-2", user("bob", "Bob")), ("u-3", user("cy", "Cy"))]),
        bulk(
            FileKind::Roles,
            &[
                ("r-1", role("u-1", "teacher", "s-1")),
                ("r-2", role("u-2", "student", "s-1")),
                ("r-3", role("u-3", "student", "s-1")),
            ],
        ),
        bulk(
            FileKind::Enrollments,
            &[
                ("e-1", enrollment("k-1", "s-1", "u-1", "teacher")),
                ("e-2", enrollment("k-1", "s-1", "u-2", "student")),
                ("e-3", enrollment("k-1", "s-1", "u-3", "student")),
            ],
        ),
    ]
}

/// The files of a case's next job.
type Change = fn() -> Vec<File>;

/// A district with [`district_files`] applied.
async fn loaded() -> District {
    let mut district = District::new();
    district.apply(&district_files()).await;
    district
}

fn json(district: &District, collection: Collection, id: &str) -> serde_json::Value {
    serde_json::from_str(&district.record(collection, id).body).expect("a stored body")
}

#[tokio::test]
async fn a_first_bulk_creates_every_record_active_at_the_jobs_time() {
    let district = loaded().await;
    let cases = [
        (Collection::Orgs, vec!["d-1", "s-1"]),
        (Collection::AcademicSessions, vec!["t-1", "y-1"]),
        (Collection::Courses, vec!["c-1"]),
        (Collection::Classes, vec!["k-1"]),
        (Collection::Users, vec!["u-1", "u-2", "u-3"]),
        (Collection::Enrollments, vec!["e-1", "e-2", "e-3"]),
    ];
    for (collection, ids) in cases {
        let records = district.records(collection);
        assert_eq!(records.keys().map(String::as_str).collect::<Vec<_>>(), ids, "{}", collection.name());
        for record in records.values() {
            assert_eq!(record.status, Status::Active, "{} {}", collection.name(), record.id);
            assert_eq!(record.modified, district.now(), "{} {}", collection.name(), record.id);
            assert_eq!(record.origin, None, "{} {}: the feed's", collection.name(), record.id);
        }
    }
}

#[tokio::test]
async fn each_files_counts_say_what_its_apply_did() {
    // What the second job carries, the orgs.csv counts it reports (created, updated, deleted,
    // unchanged), whether it writes, and s-1's status after it.
    type Case = (&'static str, Change, Counts, bool, Status);
    let cases: [Case; 10] = [
        ("the same bulk again", district_files, (0, 0, 0, 2), false, Status::Active),
        (
            "a bulk renaming the school",
            || {
                vec![bulk(
                    FileKind::Orgs,
                    &[("d-1", org("District", "district", "")), ("s-1", org("Renamed", "school", "d-1"))],
                )]
            },
            (0, 1, 0, 1),
            true,
            Status::Active,
        ),
        (
            "a bulk without the school",
            || vec![bulk(FileKind::Orgs, &[("d-1", org("District", "district", ""))])],
            (0, 0, 1, 1),
            true,
            Status::ToBeDeleted,
        ),
        (
            "a bulk adding a school",
            || {
                let orgs = [
                    ("d-1", org("District", "district", "")),
                    ("s-1", org("School", "school", "d-1")),
                    ("s-2", org("Two", "school", "d-1")),
                ];
                vec![bulk(FileKind::Orgs, &orgs)]
            },
            (1, 0, 0, 2),
            true,
            Status::Active,
        ),
        (
            "a delta adding a school",
            || vec![delta(FileKind::Orgs, &[("s-2", "active", org("Two", "school", "d-1"))])],
            (1, 0, 0, 0),
            true,
            Status::Active,
        ),
        (
            "a delta renaming the school",
            || vec![delta(FileKind::Orgs, &[("s-1", "active", org("Renamed", "school", "d-1"))])],
            (0, 1, 0, 0),
            true,
            Status::Active,
        ),
        (
            "a delta repeating the school",
            || vec![delta(FileKind::Orgs, &[("s-1", "active", org("School", "school", "d-1"))])],
            (0, 0, 0, 1),
            false,
            Status::Active,
        ),
        (
            "a delta deleting the school",
            || vec![delta(FileKind::Orgs, &[("s-1", "tobedeleted", org("School", "school", "d-1"))])],
            (0, 0, 1, 0),
            true,
            Status::ToBeDeleted,
        ),
        (
            "a delta deleting an unknown org",
            || vec![delta(FileKind::Orgs, &[("s-9", "tobedeleted", org("Nine", "school", "d-1"))])],
            (0, 0, 0, 1),
            false,
            Status::Active,
        ),
        (
            "a package without orgs.csv",
            || vec![delta(FileKind::Courses, &[("c-1", "active", course("Algebra", "s-1"))])],
            (0, 0, 0, 0),
            false,
            Status::Active,
        ),
    ];
    for (case, change, expected, writes, status) in cases {
        let mut district = loaded().await;
        let applied = district.apply(&change()).await;
        assert_eq!(counts(&applied, FileKind::Orgs), expected, "{case}");
        assert_eq!(applied.items_written > 0, writes, "{case}: {} items written", applied.items_written);
        assert_eq!(district.record(Collection::Orgs, "s-1").status, status, "{case}");
        assert!(!district.records(Collection::Orgs).contains_key("s-9"), "{case}: no record of a deleted unknown");
    }
}

#[tokio::test]
async fn what_comes_back_or_goes_again_after_a_deletion() {
    let without_school = || bulk(FileKind::Orgs, &[("d-1", org("District", "district", ""))]);
    let with_school =
        || bulk(FileKind::Orgs, &[("d-1", org("District", "district", "")), ("s-1", org("School", "school", "d-1"))]);
    let deleting = || delta(FileKind::Orgs, &[("s-1", "tobedeleted", org("School", "school", "d-1"))]);
    // After a job that marks the school `tobedeleted`: the next job, its counts, the status.
    type Case = (&'static str, fn() -> File, Counts, Status);
    let cases: [Case; 4] = [
        ("a bulk carrying it again", with_school, (0, 1, 0, 1), Status::Active),
        ("a bulk still without it", without_school, (0, 0, 0, 1), Status::ToBeDeleted),
        ("a delta deleting it again", deleting, (0, 0, 0, 1), Status::ToBeDeleted),
        (
            "a delta reviving it",
            || delta(FileKind::Orgs, &[("s-1", "active", org("School", "school", "d-1"))]),
            (0, 1, 0, 0),
            Status::Active,
        ),
    ];
    for (case, next, expected, status) in cases {
        let mut district = loaded().await;
        district.apply(&[without_school()]).await;
        let deleted_at = district.now();
        let applied = district.apply(&[next()]).await;
        assert_eq!(counts(&applied, FileKind::Orgs), expected, "{case}");
        let school = district.record(Collection::Orgs, "s-1");
        assert_eq!(school.status, status, "{case}");
        let expected_time = if expected.1 > 0 { district.now() } else { deleted_at };
        assert_eq!(school.modified, expected_time, "{case}: written only when it changed");
    }
}

#[tokio::test]
async fn a_changed_row_rewrites_that_record_only() {
    let mut district = loaded().await;
    let first = district.now();
    let before = district.records(Collection::Users);
    let mut files = district_files();
    files[4] = bulk(
        FileKind::Users,
        &[("u-1", user("ann", "Ann")), ("u-2", user("bob", "Robert")), ("u-3", user("cy", "Cy"))],
    );
    let applied = district.apply(&files).await;
    assert_eq!(counts(&applied, FileKind::Users), (0, 1, 0, 2));
    for (id, before) in before {
        let after = district.record(Collection::Users, &id);
        if id == "u-2" {
            assert_eq!(
                (after.modified, &json(&district, Collection::Users, &id)["givenName"]),
                (district.now(), &"Robert".into())
            );
            assert_ne!(after.hash, before.hash, "{id}: new content, new hash");
        } else {
            assert_eq!(after.modified, first, "{id}: untouched");
            assert_eq!(after, before, "{id}: untouched");
        }
    }
    for kind in [FileKind::Orgs, FileKind::Classes, FileKind::Enrollments] {
        let (created, updated, deleted, _) = counts(&applied, kind);
        assert_eq!(created + updated + deleted, 0, "{}", kind.file_name());
    }
}

#[tokio::test]
async fn part_files_fold_into_their_users() {
    // The next job; then u-2's roles (role, org) and profile count, and the users.csv counts.
    type Case = (&'static str, Change, Vec<(&'static str, &'static str)>, usize, Counts);
    let cases: [Case; 8] = [
        ("the same package", district_files, vec![("student", "s-1")], 0, (0, 0, 0, 3)),
        (
            "a delta role added",
            || vec![delta(FileKind::Roles, &[("r-9", "active", role("u-2", "student", "d-1"))])],
            vec![("student", "s-1"), ("student", "d-1")],
            0,
            (0, 1, 0, 0),
        ),
        (
            "a delta role removed",
            || vec![delta(FileKind::Roles, &[("r-2", "tobedeleted", role("u-2", "student", "s-1"))])],
            vec![],
            0,
            (0, 1, 0, 0),
        ),
        (
            "a delta role of another user",
            || vec![delta(FileKind::Roles, &[("r-9", "active", role("u-3", "student", "d-1"))])],
            vec![("student", "s-1")],
            0,
            (0, 1, 0, 0),
        ),
        (
            "a delta user row, roles absent",
            || vec![delta(FileKind::Users, &[("u-2", "active", user("bob", "Robert"))])],
            vec![("student", "s-1")],
            0,
            (0, 1, 0, 0),
        ),
        (
            "a bulk roles file without the user's",
            || {
                vec![bulk(
                    FileKind::Roles,
                    &[("r-1", role("u-1", "teacher", "s-1")), ("r-3", role("u-3", "student", "s-1"))],
                )]
            },
            vec![],
            0,
            (0, 1, 0, 2),
        ),
        (
            "a bulk profiles file",
            || vec![bulk(FileKind::UserProfiles, &[("p-1", profile("u-2", "bob.lms"))])],
            vec![("student", "s-1")],
            1,
            (0, 1, 0, 2),
        ),
        (
            "a bulk users file without the user",
            || vec![bulk(FileKind::Users, &[("u-1", user("ann", "Ann")), ("u-3", user("cy", "Cy"))])],
            vec![("student", "s-1")],
            0,
            (0, 0, 1, 2),
        ),
    ];
    for (case, change, roles, profiles, expected) in cases {
        let mut district = loaded().await;
        let applied = district.apply(&change()).await;
        assert_eq!(counts(&applied, FileKind::Users), expected, "{case}");
        let Record::User(bob) = district.model(Collection::Users, "u-2") else { unreachable!("a user") };
        let held: Vec<(&str, String)> =
            bob.roles.iter().map(|r| (r.role.as_str(), r.org.sourced_id.to_string())).collect();
        let roles: Vec<(&str, String)> = roles.into_iter().map(|(role, org)| (role, org.to_owned())).collect();
        assert_eq!(held, roles, "{case}");
        assert_eq!(bob.user_profiles.len(), profiles, "{case}");
        let parts = district.record(Collection::Users, "u-2").parts.expect("kept parts");
        assert_eq!(parts.matches("\"r-").count(), roles.len(), "{case}: the parts kept beside the body ({parts})");
    }
}

#[tokio::test]
async fn relation_entries_follow_the_records() {
    // The next job, then the children of each parent listed.
    type Case = (&'static str, Change, Vec<(Relation, &'static str, Vec<&'static str>)>);
    let cases: [Case; 5] = [
        (
            "the first load",
            Vec::new,
            vec![
                (Relation::ClassStudents, "k-1", vec!["u-2", "u-3"]),
                (Relation::ClassTeachers, "k-1", vec!["u-1"]),
                (Relation::ClassEnrollments, "k-1", vec!["e-1", "e-2", "e-3"]),
                (Relation::UserClasses, "u-2", vec!["k-1"]),
                (Relation::SchoolClasses, "s-1", vec!["k-1"]),
                (Relation::SchoolTerms, "s-1", vec!["t-1"]),
                (Relation::TermClasses, "t-1", vec!["k-1"]),
                (Relation::SessionChildren, "y-1", vec!["t-1"]),
                (Relation::OrgCourses, "s-1", vec!["c-1"]),
                (Relation::SchoolStudents, "s-1", vec!["u-2", "u-3"]),
                (Relation::SchoolTeachers, "s-1", vec!["u-1"]),
            ],
        ),
        (
            "an enrollment marked tobedeleted",
            || {
                vec![delta(
                    FileKind::Enrollments,
                    &[("e-2", "tobedeleted", enrollment("k-1", "s-1", "u-2", "student"))],
                )]
            },
            vec![
                (Relation::ClassStudents, "k-1", vec!["u-3"]),
                (Relation::UserClasses, "u-2", vec![]),
                (Relation::ClassEnrollments, "k-1", vec!["e-1", "e-2", "e-3"]),
            ],
        ),
        (
            "an enrollment moved to another class",
            || vec![delta(FileKind::Enrollments, &[("e-2", "active", enrollment("k-2", "s-1", "u-2", "student"))])],
            vec![
                (Relation::ClassStudents, "k-1", vec!["u-3"]),
                (Relation::ClassStudents, "k-2", vec!["u-2"]),
                (Relation::ClassEnrollments, "k-2", vec!["e-2"]),
                (Relation::UserClasses, "u-2", vec!["k-2"]),
            ],
        ),
        (
            "a student's role turned teacher",
            || vec![delta(FileKind::Roles, &[("r-2", "active", role("u-2", "teacher", "s-1"))])],
            vec![(Relation::SchoolStudents, "s-1", vec!["u-3"]), (Relation::SchoolTeachers, "s-1", vec!["u-1", "u-2"])],
        ),
        (
            "a class moved to another term",
            || vec![delta(FileKind::Classes, &[("k-1", "active", class("Algebra 1", "c-1", "s-1", "t-2"))])],
            vec![
                (Relation::TermClasses, "t-1", vec![]),
                (Relation::TermClasses, "t-2", vec!["k-1"]),
                (Relation::SchoolTerms, "s-1", vec!["t-2"]),
            ],
        ),
    ];
    for (case, change, expected) in cases {
        let mut district = loaded().await;
        district.apply(&change()).await;
        for (relation, parent, children) in expected {
            assert_eq!(district.children(relation, parent), children, "{case}: {} of {parent}", relation.name());
        }
    }
}

#[tokio::test]
async fn upkeep_rebuilds_the_packs_of_changed_parents_and_recounts_written_collections() {
    let all = || district_files().iter().filter_map(|f| f.collection()).collect::<BTreeSet<_>>();
    // The next job, whether it is a resumed one, the parents whose packs it rebuilds, the
    // collections it recounts, and those all of whose packs it rebuilds.
    type Case = (&'static str, Change, bool, Vec<(Relation, &'static str)>, BTreeSet<Collection>, BTreeSet<Collection>);
    let cases: [Case; 6] = [
        ("the same package", district_files, false, vec![], BTreeSet::new(), BTreeSet::new()),
        ("the same package, resumed", district_files, true, vec![], all(), all()),
        (
            "a school renamed",
            || vec![delta(FileKind::Orgs, &[("s-1", "active", org("Renamed", "school", "d-1"))])],
            false,
            vec![],
            [Collection::Orgs].into(),
            BTreeSet::new(),
        ),
        (
            "an enrollment dropped",
            || {
                vec![delta(
                    FileKind::Enrollments,
                    &[("e-2", "tobedeleted", enrollment("k-1", "s-1", "u-2", "student"))],
                )]
            },
            false,
            vec![(Relation::ClassStudents, "k-1"), (Relation::UserClasses, "u-2")],
            [Collection::Enrollments].into(),
            BTreeSet::new(),
        ),
        (
            "a student turned teacher (the user's view changes)",
            || vec![delta(FileKind::Roles, &[("r-2", "active", role("u-2", "teacher", "s-1"))])],
            false,
            vec![
                (Relation::SchoolStudents, "s-1"),
                (Relation::SchoolTeachers, "s-1"),
                (Relation::UserClasses, "u-2"),
                (Relation::UserResources, "u-2"),
                (Relation::StudentAttendance, "u-2"),
            ],
            [Collection::Users].into(),
            BTreeSet::new(),
        ),
        (
            "a delta resumed",
            || vec![delta(FileKind::Courses, &[("c-1", "active", course("Algebra", "s-1"))])],
            true,
            vec![],
            [Collection::Courses].into(),
            [Collection::Courses].into(),
        ),
    ];
    for (case, change, resumed, packs, counts, all_packs) in cases {
        let mut district = loaded().await;
        district.try_apply(&change(), resumed).await.expect(case);
        let upkeep = district.upkeep();
        let packs: BTreeSet<(Relation, String)> = packs.into_iter().map(|(r, p)| (r, p.to_owned())).collect();
        assert_eq!(upkeep.packs, packs, "{case}: packs rebuilt");
        assert_eq!(upkeep.counts, counts, "{case}: counts refreshed");
        let all_packs: BTreeSet<(Collection, ShardPart)> =
            all_packs.into_iter().map(|c| (c, ShardPart::WHOLE)).collect();
        assert_eq!(upkeep.all_packs, all_packs, "{case}: every pack rebuilt");
        assert_eq!(upkeep.first_records, BTreeSet::new(), "{case}: no first load");
    }
}

#[tokio::test]
async fn a_first_load_names_the_collections_that_were_empty() {
    let mut district = District::new();
    district.apply(&district_files()).await;
    let upkeep = district.upkeep();
    let all: BTreeSet<Collection> = district_files().iter().filter_map(|f| f.collection()).collect();
    assert_eq!(upkeep.first_records, all);
    assert_eq!(upkeep.counts, all);
    for parent in [(Relation::ClassStudents, "k-1"), (Relation::SchoolClasses, "s-1"), (Relation::UserClasses, "u-3")] {
        assert!(upkeep.packs.contains(&(parent.0, parent.1.to_owned())), "{parent:?} in {:?}", upkeep.packs);
    }
    // A delta into an empty district reads no digests: nothing is named empty.
    let mut district = District::new();
    district.apply(&[delta(FileKind::Orgs, &[("s-1", "active", org("School", "school", ""))])]).await;
    assert_eq!(district.upkeep().first_records, BTreeSet::new());
}

#[tokio::test]
async fn a_bulk_file_marks_tobedeleted_only_what_the_feed_wrote() {
    let mut district = loaded().await;
    // An API client's org and the feed's: the next orgs.csv lacks both.
    let body = serde_json::json!({
        "sourcedId": "s-api", "status": "active", "dateLastModified": "2026-01-01T00:00:00.000Z",
        "name": "LMS school", "type": "school", "identifier": "",
    });
    let record = Record::from_json(Collection::Orgs, &body.to_string()).expect("an org");
    let write = Mutation::put(Encoded::new(record), &Default::default()).by("lms");
    district.store.tenant(&district.tenant).commit_batched(vec![write]).await.expect("committed");
    let applied = district.apply(&[bulk(FileKind::Orgs, &[("d-1", org("District", "district", ""))])]).await;
    assert_eq!(counts(&applied, FileKind::Orgs), (0, 0, 1, 1));
    let statuses = district.statuses(Collection::Orgs);
    let expected = [("d-1", Status::Active), ("s-1", Status::ToBeDeleted), ("s-api", Status::Active)];
    assert_eq!(statuses, expected.map(|(id, s)| (id.to_owned(), s)).into(), "the API's org stays");
    assert_eq!(district.record(Collection::Orgs, "s-api").origin.as_deref(), Some("lms"));
}

/// A district whose record `id` of `collection` an API client (`hub`) wrote last.
async fn with_api_record(collection: Collection, id: &str) -> District {
    let district = loaded().await;
    district.write_as("hub", collection, id).await;
    assert_eq!(district.record(collection, id).origin.as_deref(), Some("hub"));
    district
}

/// [`district_files`] without the rows of `ids`.
fn district_without(ids: &[&str]) -> Vec<File> {
    district_files().into_iter().map(|file| file.without(ids)).collect()
}

#[tokio::test]
async fn a_bulk_without_an_api_clients_record_keeps_it_and_one_with_it_takes_it_over() {
    // The API's record in each collection the district has, and a bulk of the district without
    // it (a user's role left out with the user; a file of one record holding another instead,
    // a bulk file having rows).
    type Case = (FileKind, Collection, &'static str, Change);
    let cases: [Case; 6] = [
        (FileKind::Orgs, Collection::Orgs, "s-1", || district_without(&["s-1"])),
        (FileKind::AcademicSessions, Collection::AcademicSessions, "t-1", || district_without(&["t-1"])),
        (FileKind::Courses, Collection::Courses, "c-1", || {
            let mut files = district_files();
            files[2] = bulk(FileKind::Courses, &[("c-2", course("Geometry", "s-1"))]);
            files
        }),
        (FileKind::Classes, Collection::Classes, "k-1", || {
            let mut files = district_files();
            files[3] = bulk(FileKind::Classes, &[("k-2", class("Geometry 1", "c-1", "s-1", "t-1"))]);
            files
        }),
        (FileKind::Users, Collection::Users, "u-3", || district_without(&["u-3", "r-3"])),
        (FileKind::Enrollments, Collection::Enrollments, "e-3", || district_without(&["e-3"])),
    ];
    for (kind, collection, id, without) in cases {
        let case = kind.file_name();
        let mut district = with_api_record(collection, id).await;
        let before = district.record(collection, id);
        let applied = district.apply(&without()).await;
        let counted = file_counts(&applied, kind);
        assert_eq!((counted.deleted, counted.taken_over), (0, 0), "{case}: a bulk without it");
        assert_eq!(district.record(collection, id), before, "{case}: the API's record is left as it was");

        // The district's bulk again, which holds it as it is stored: written all the same, and
        // the feed's now.
        let applied = district.apply(&district_files()).await;
        let counted = file_counts(&applied, kind);
        assert_eq!((counted.taken_over, counted.created, counted.updated), (1, 0, 0), "{case}: taken over");
        let after = district.record(collection, id);
        assert_eq!((after.origin, after.status, after.modified), (None, Status::Active, district.now()), "{case}");
        assert_eq!(after.hash, before.hash, "{case}: the same content");
    }
    // The API's user keeps its roles (in its body) through a bulk roles.csv without them.
    let mut district = with_api_record(Collection::Users, "u-3").await;
    district.apply(&district_without(&["u-3", "r-3"])).await;
    assert_eq!(json(&district, Collection::Users, "u-3")["roles"].as_array().map(Vec::len), Some(1));
    assert_eq!(district.children(Relation::SchoolStudents, "s-1"), ["u-2", "u-3"]);
}

#[tokio::test]
async fn a_delta_row_takes_over_an_api_clients_record_whatever_it_says() {
    // The delta naming the API's class k-1 (or user u-2), then the class's title and status.
    type Case = (&'static str, Change, Collection, &'static str, Status);
    let cases: [Case; 4] = [
        (
            "the same row",
            || vec![delta(FileKind::Classes, &[("k-1", "active", class("Algebra 1", "c-1", "s-1", "t-1"))])],
            Collection::Classes,
            "k-1",
            Status::Active,
        ),
        (
            "a renaming row",
            || vec![delta(FileKind::Classes, &[("k-1", "active", class("Algebra 2", "c-1", "s-1", "t-1"))])],
            Collection::Classes,
            "k-1",
            Status::Active,
        ),
        (
            "a deleting row",
            || vec![delta(FileKind::Classes, &[("k-1", "tobedeleted", class("Algebra 1", "c-1", "s-1", "t-1"))])],
            Collection::Classes,
            "k-1",
            Status::ToBeDeleted,
        ),
        (
            "the same role row of the user",
            || vec![delta(FileKind::Roles, &[("r-2", "active", role("u-2", "student", "s-1"))])],
            Collection::Users,
            "u-2",
            Status::Active,
        ),
    ];
    for (case, change, collection, id, status) in cases {
        let mut district = with_api_record(collection, id).await;
        let applied = district.apply(&change()).await;
        let kind = if collection == Collection::Users { FileKind::Users } else { FileKind::Classes };
        assert_eq!((counts(&applied, kind), file_counts(&applied, kind).taken_over), ((0, 0, 0, 0), 1), "{case}");
        let after = district.record(collection, id);
        assert_eq!((after.origin, after.status, after.modified), (None, status, district.now()), "{case}");
    }
}

#[tokio::test]
async fn a_row_takes_over_what_an_api_client_deleted() {
    // After the API deleted class k-1 (a tombstone without entries): the next job, whether a
    // row takes the class over (its entries back, listed as the row says), and its status.
    type Case = (&'static str, Change, bool, Status);
    let cases: [Case; 3] = [
        ("a bulk carrying it", district_files, true, Status::Active),
        (
            "a delta deleting it",
            || vec![delta(FileKind::Classes, &[("k-1", "tobedeleted", class("Algebra 1", "c-1", "s-1", "t-1"))])],
            true,
            Status::ToBeDeleted,
        ),
        (
            "a bulk without it",
            || {
                let mut files = district_files();
                files[3] = bulk(FileKind::Classes, &[("k-2", class("Geometry 1", "c-1", "s-1", "t-1"))]);
                files
            },
            false,
            Status::ToBeDeleted,
        ),
    ];
    for (case, next, taken, status) in cases {
        let mut district = loaded().await;
        district.delete_as("hub", Collection::Classes, "k-1").await;
        assert!(district.children(Relation::SchoolClasses, "s-1").is_empty(), "{case}: the tombstone has no entries");
        let applied = district.apply(&next()).await;
        let counted = file_counts(&applied, FileKind::Classes);
        assert_eq!((counted.taken_over, counted.deleted), (u64::from(taken), 0), "{case}");
        let class = district.record(Collection::Classes, "k-1");
        let owner = if taken { None } else { Some("hub") };
        assert_eq!((class.status, class.gone, class.origin.as_deref()), (status, !taken, owner), "{case}");
        for (relation, parent) in [(Relation::SchoolClasses, "s-1"), (Relation::TermClasses, "t-1")] {
            let listed = district.children(relation, parent).contains(&"k-1".to_owned());
            assert_eq!(listed, taken, "{case}: k-1 under {parent}");
        }
    }
}

#[tokio::test]
async fn a_tombstone_keeps_its_content_parts_and_direct_entries() {
    let mut district = loaded().await;
    let before = district.record(Collection::Users, "u-2");
    district.apply(&[bulk(FileKind::Users, &[("u-1", user("ann", "Ann")), ("u-3", user("cy", "Cy"))])]).await;
    let after = district.record(Collection::Users, "u-2");
    assert_eq!(after.status, Status::ToBeDeleted);
    assert_eq!(after.hash, before.hash, "its content is the stored one");
    assert_eq!(after.parts, before.parts, "its roles are kept");
    assert_eq!(json(&district, Collection::Users, "u-2")["roles"].as_array().map(Vec::len), Some(1));
    assert_eq!(district.children(Relation::SchoolStudents, "s-1"), ["u-2", "u-3"], "listed, marked, under its school");
}

#[tokio::test]
async fn a_results_class_comes_from_its_stored_line_item() {
    let line_items = || bulk(FileKind::LineItems, &[("li-1", line_item("Essay", "k-1", "s-1"))]);
    let results = |class: &str| delta(FileKind::Results, &[("re-1", "active", result("li-1", "u-2", class))]);
    // Whether the line item is stored first, the class the row names, the class's results.
    let cases = [
        ("line item stored, no class named", true, "", vec!["re-1"]),
        ("line item stored, class named", true, "k-1", vec!["re-1"]),
        ("line item unknown, no class named", false, "", vec![]),
    ];
    for (case, stored, class, expected) in cases {
        let mut district = loaded().await;
        if stored {
            district.apply(&[line_items()]).await;
        }
        district.apply(&[results(class)]).await;
        assert_eq!(district.children(Relation::ClassResults, "k-1"), expected, "{case}");
        assert_eq!(district.children(Relation::LineItemResults, "li-1"), ["re-1"], "{case}");
    }
}

#[tokio::test]
async fn what_cannot_be_applied_fails_the_apply() {
    // A user given 3,000 roles: each row is small, but the roles are in the body and again in
    // the parts kept beside it, past what an item holds.
    let ids: Vec<String> = (0..3000).map(|i| format!("r-x{i}")).collect();
    let many_roles: Vec<(&str, &str, String)> =
        ids.iter().map(|id| (id.as_str(), "active", role("u-2", "student", &id.replace("r-x", "s-")))).collect();
    type Case = (&'static str, Vec<File>, fn(&ApplyError) -> bool);
    let cases: [Case; 2] = [
        (
            "a record too large for an item",
            vec![delta(FileKind::Roles, &many_roles)],
            |e| matches!(e, ApplyError::Store(StoreError::ItemTooLarge { id, .. }) if id == "u-2"),
        ),
        (
            "a row that reads with errors",
            vec![bulk(FileKind::Users, &[("u-9", user("x", "X").replacen("true", "maybe", 1))])],
            |e| matches!(e, ApplyError::Reread("users.csv")),
        ),
    ];
    for (case, files, expected) in cases {
        let mut district = loaded().await;
        let error = district.try_apply(&files, false).await.expect_err(case);
        assert!(expected(&error), "{case}: {error}");
        assert!(!district.records(Collection::Users).contains_key("u-9"), "{case}");
        let Record::User(bob) = district.model(Collection::Users, "u-2") else { unreachable!("a user") };
        assert_eq!(bob.roles.len(), 1, "{case}: u-2 as it was");
    }
}

#[tokio::test]
async fn a_generated_district_applies_whole_then_costs_nothing_then_takes_its_delta() {
    let mut generated = district_gen::District::new(24);
    generated.line_items_per_class = 2;
    let mut bulk_zip = tempfile::NamedTempFile::new().expect("a temporary file");
    let rows = generated.write_bulk(bulk_zip.as_file_mut()).expect("a bulk package");
    let mut district = District::new();
    let applied = district.apply_zip(bulk_zip.path(), false).await.expect("applied");
    let kinds = [
        FileKind::Orgs,
        FileKind::Courses,
        FileKind::Classes,
        FileKind::Users,
        FileKind::Enrollments,
        FileKind::LineItems,
        FileKind::Results,
    ];
    for kind in kinds {
        let (file, collection) = (kind.file_name(), kind.collection().expect("a file of records"));
        assert!(rows.of(file) > 0, "{file} generated");
        assert_eq!(district.records(collection).len() as u64, rows.of(file), "{file}");
        assert_eq!(counts(&applied, kind).0, rows.of(file), "{file}");
    }
    let again = district.apply_zip(bulk_zip.path(), false).await.expect("applied again");
    assert_eq!(again.items_written, 0, "an unchanged bulk writes nothing");

    let mut delta_zip = tempfile::NamedTempFile::new().expect("a temporary file");
    generated.write_delta(delta_zip.as_file_mut(), 3, "2026-11-25T00:00:00.000Z").expect("a delta package");
    let applied = district.apply_zip(delta_zip.path(), false).await.expect("the delta applied");
    assert_eq!(counts(&applied, FileKind::Users), (1, 3, 0, 0), "3 e-mails changed, a newcomer");
    assert_eq!(counts(&applied, FileKind::Enrollments), (1, 0, 1, 0), "one dropped, one new");
    let newcomer = generated.newcomer_id();
    assert_eq!(json(&district, Collection::Users, &newcomer)["roles"].as_array().map(Vec::len), Some(1));
    assert!(district.children(Relation::ClassStudents, &generated.class_id(0, 0)).contains(&newcomer));
}

/// A OneRoster 1.1 delta over a stored district: a user's row is the whole of its roles (an
/// administrator's by the stored orgs' types), and a line item takes its stored class's school.
#[tokio::test]
async fn a_1p1_delta_replaces_a_users_roles_and_gives_line_items_their_classes_school() {
    let mut district = loaded().await;
    let manifest = "propertyName,value\nmanifest.version,1.0\noneroster.version,1.1\nfile.users,delta\nfile.categories,delta\nfile.lineItems,delta\n";
    let users = "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password\n\
                 u-2,active,2026-01-01,true,\"s-1,d-1\",administrator,bob,,Bob,B,,,,,,,,\n";
    let categories = "sourcedId,status,dateLastModified,title\ng-1,active,2026-01-01,Homework\n";
    let items = "sourcedId,status,dateLastModified,title,description,assignDate,dueDate,classSourcedId,categorySourcedId,gradingPeriodSourcedId,resultValueMin,resultValueMax\n\
                 l-1,active,2026-01-01,Essay,,2025-09-01,2025-09-15,k-1,g-1,t-1,0,100\n";
    let mut zipped = tempfile::NamedTempFile::new().expect("a temporary file");
    {
        let mut zip = zip::ZipWriter::new(zipped.as_file_mut());
        for (name, text) in
            [("manifest.csv", manifest), ("users.csv", users), ("categories.csv", categories), ("lineItems.csv", items)]
        {
            zip.start_file(name, zip::write::SimpleFileOptions::default()).expect("an entry");
            std::io::Write::write_all(&mut zip, text.as_bytes()).expect("written");
        }
        zip.finish().expect("a zip");
    }
    let applied = district.apply_zip(zipped.path(), false).await.expect("applied");
    assert_eq!(counts(&applied, FileKind::Users), (0, 1, 0, 0));
    let Record::User(user) = district.model(Collection::Users, "u-2") else { unreachable!("a user") };
    let mut roles: Vec<(&str, &str, &str)> =
        user.roles.iter().map(|r| (r.role_type.as_str(), r.role.as_str(), r.org.sourced_id.as_str())).collect();
    roles.sort();
    assert_eq!(roles, [("primary", "siteAdministrator", "s-1"), ("secondary", "districtAdministrator", "d-1")]);
    assert_eq!(user.primary_org.map(|o| o.sourced_id.to_string()).as_deref(), Some("s-1"));
    assert_eq!(district.children(Relation::SchoolStudents, "s-1"), ["u-3"], "no longer a student");
    let item = json(&district, Collection::LineItems, "l-1");
    assert_eq!(
        (item["school"]["sourcedId"].as_str(), item["academicSession"]["sourcedId"].as_str()),
        (Some("s-1"), Some("t-1"))
    );
    assert!(item.get("gradingPeriod").is_none(), "{item}");
}

#[tokio::test]
async fn each_user_keeps_the_birth_date_its_demographics_hold() {
    use oneroster_store::Born;
    let cells = |birth: &str| format!("{birth},female{}", ",".repeat(11));
    let on = |date: &str| Born::On(oneroster_model::Date::parse(date).expect("a date"));
    let born = |district: &District| ["u-1", "u-2", "u-3"].map(|id| district.record(Collection::Users, id).born);
    // One package: the demographics are applied before their users, which read them.
    let mut files = district_files();
    files.push(bulk(FileKind::Demographics, &[("u-2", cells("2015-03-01")), ("u-3", cells(""))]));
    let mut district = District::new();
    district.apply(&files).await;
    assert_eq!(born(&district), [Born::Unrecorded, on("2015-03-01"), Born::Unrecorded]);
    // A delta of demographics alone: copied onto the stored users.
    let moved = [("u-2", "tobedeleted", cells("2015-03-01")), ("u-3", "active", cells("2016-01-01"))];
    district.apply(&[delta(FileKind::Demographics, &moved)]).await;
    assert_eq!(born(&district), [Born::Unrecorded, Born::Unrecorded, on("2016-01-01")]);
    // A user's own change keeps its date.
    district.apply(&[delta(FileKind::Users, &[("u-3", "active", user("cy", "Cyril"))])]).await;
    assert_eq!(born(&district)[2], on("2016-01-01"));
}

#[tokio::test]
async fn a_package_applied_in_parts_of_its_shards_stores_and_counts_what_it_does_whole() {
    let mut whole = District::new();
    let applied_whole = whole.apply(&district_files()).await;
    let stale_whole = whole.upkeep().packs;
    for parts in [2, 4, 16, 64] {
        let mut parted = District::new();
        let (applied, stale) = parted.apply_in_parts(&district_files(), parts).await;
        for collection in Collection::ALL {
            assert_eq!(parted.records(collection), whole.records(collection), "{parts} parts: {}", collection.name());
        }
        assert_eq!(applied.files, applied_whole.files, "{parts} parts");
        assert_eq!(applied.items_written, applied_whole.items_written, "{parts} parts");
        assert_eq!(stale, stale_whole, "{parts} parts: the parents whose packs are rebuilt");
        assert_eq!(applied.first_records(), applied_whole.first_records(), "{parts} parts");
    }
    // A unit whose part held records makes its collection no first load, whatever another part read.
    let mut later = District::new();
    later.apply(&district_files()).await;
    let (applied, _) = later.apply_in_parts(&district_files(), 16).await;
    assert!(applied.first_records().is_empty(), "{:?}", applied.first_records());
    assert!(!applied.found_empty.is_empty(), "some of 16 parts hold none of a few records");
}
