//! The mass-deletion hold: before a valid bulk is applied, what it would do to the district is
//! worked out, and a bulk that would mark more of a rostering collection `tobedeleted` than the
//! district allows ([`DistrictSettings::too_many_deletions`]), or that misses what the district
//! expects of every bulk (rows per file, classes and students in every licensed school), is held
//! for an admin instead of applied. An SIS export that lost a school, or a file cut short, is
//! the usual cause; applying it would drop every app's rosters for those students overnight.
//!
//! Deltas are never held: they name each deletion row by row. The forecast reads what the apply
//! would read (the stored digests of the collection, the file's rows, what the district's
//! licence leaves out), and nothing is written.

use crate::apply::{open, ApplyError, Opened};
use oneroster_csv::report::FileSummary;
use oneroster_csv::{FileKind, Limits, Mode, Row};
use oneroster_model::district::HOLD_MIN_ACTIVE;
use oneroster_model::vocab::{EnrollmentRole, OrgType};
use oneroster_model::{Collection, DistrictSettings, Record, Status, Timestamp};
use oneroster_store::{Deletions, Hold, RecordStore};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

/// The collections a bulk is held for: the rostering service's (gradebook and resources records
/// are the LMS's and the publishers' as much as the SIS's).
const ROSTERING: [Collection; 7] = [
    Collection::Orgs,
    Collection::AcademicSessions,
    Collection::Courses,
    Collection::Classes,
    Collection::Users,
    Collection::Enrollments,
    Collection::Demographics,
];

/// What the bulk's rows say of the district's schools, for the expectation that each has a
/// roster.
#[derive(Default)]
struct Rosters {
    /// Active schools of the bulk's orgs.csv.
    schools: BTreeSet<String>,
    /// Active classes per school.
    classes: HashMap<String, u64>,
    /// Active student enrollments per school.
    students: HashMap<String, u64>,
}

impl Rosters {
    fn note(&mut self, record: &Record) {
        if record.base().status != Status::Active {
            return;
        }
        match record {
            Record::Org(org) if org.org_type == OrgType::School => {
                self.schools.insert(org.base.sourced_id.to_string());
            }
            Record::Class(class) => *self.classes.entry(class.school.sourced_id.to_string()).or_default() += 1,
            Record::Enrollment(e) if e.role == EnrollmentRole::Student => {
                *self.students.entry(e.school.sourced_id.to_string()).or_default() += 1
            }
            _ => {}
        }
    }
}

/// Works out whether the validated package at `path` is to be held under `settings`: `None` to
/// apply it, or the [`Hold`] that says why not (its deletions per rostering collection the bulk
/// carries, and the expectations it misses). `files` are the rows per file validation counted.
pub async fn forecast<S: RecordStore>(
    store: &S,
    path: &Path,
    limits: &Limits,
    now: Timestamp,
    settings: &DistrictSettings,
    files: &[FileSummary],
) -> Result<Option<Hold>, ApplyError> {
    let opened = open(store, path, limits, now, settings.timezone).await?;
    // What the licence leaves out is as if the bulk lacked it: deleted where stored.
    let left_out = crate::licence::left_out(store, &opened, settings).await?;
    let Opened { modes, reading, .. } = opened;
    if !modes.values().any(|mode| *mode == Mode::Bulk) {
        return Ok(None);
    }
    let rosters_wanted = settings.expect_school_rosters
        && [FileKind::Classes, FileKind::Enrollments].iter().all(|kind| modes.get(kind) == Some(&Mode::Bulk));
    let mut deletions = BTreeMap::new();
    let mut rosters = Rosters::default();
    for collection in ROSTERING {
        let Some(kind) = FileKind::ALL.into_iter().find(|k| k.collection() == Some(collection)) else { continue };
        if modes.get(&kind) != Some(&Mode::Bulk) {
            continue;
        }
        // Stored active records: whether each is the feed's (an API client's is never
        // tombstoned by a bulk lacking it) and whether a row of the file named it.
        let mut stored: HashMap<String, (bool, bool)> = store
            .digests(collection, oneroster_store::ShardPart::WHOLE)
            .await?
            .into_iter()
            .filter(|d| d.status == Status::Active)
            .map(|d| (d.id, (d.origin.is_none(), false)))
            .collect();
        let active = stored.len() as u64;
        let rostered =
            rosters_wanted && matches!(collection, Collection::Orgs | Collection::Classes | Collection::Enrollments);
        if active < HOLD_MIN_ACTIVE && !rostered {
            deletions.insert(collection.name().to_owned(), Deletions { active, ..Default::default() });
            continue;
        }
        let mut deleting = 0;
        let mut rows = reading.rows(kind);
        while let Some(chunk) = rows.recv().await {
            for row in chunk? {
                let Row::Record(record) = row else { continue };
                if left_out.leaves_out(&record) {
                    continue;
                }
                rosters.note(&record);
                if let Some((_, seen)) = stored.get_mut(record.base().sourced_id.as_str()) {
                    *seen = true;
                    deleting += u64::from(record.base().status == Status::ToBeDeleted);
                }
            }
        }
        deleting += stored.values().filter(|(feeds, seen)| *feeds && !seen).count() as u64;
        let over = settings.too_many_deletions(active, deleting);
        deletions.insert(collection.name().to_owned(), Deletions { active, deleting, over });
    }
    let mut unmet = short_files(settings, files);
    if rosters_wanted {
        unmet.extend(schools_without_rosters(settings, &rosters));
    }
    if unmet.is_empty() && !deletions.values().any(|d| d.over) {
        return Ok(None);
    }
    let mut hold = Hold { threshold_percent: settings.deletion_threshold_percent, deletions, ..Default::default() };
    hold.keep_unmet(unmet);
    Ok(Some(hold))
}

/// The files with fewer rows than the district expects of every bulk (or missing), one sentence
/// each.
fn short_files(settings: &DistrictSettings, files: &[FileSummary]) -> Vec<String> {
    settings
        .expected_rows
        .iter()
        .filter_map(|(name, least)| {
            let rows = files.iter().find(|f| f.file.eq_ignore_ascii_case(name)).map(|f| f.rows);
            match rows {
                None => Some(format!("{name} is missing; the district expects at least {least} rows")),
                Some(rows) if rows < *least => {
                    Some(format!("{name} has {rows} rows; the district expects at least {least}"))
                }
                Some(_) => None,
            }
        })
        .collect()
}

/// The licensed schools (the bulk's schools when every school is licensed) without an active
/// class or an enrolled student in the bulk, one sentence each.
fn schools_without_rosters(settings: &DistrictSettings, rosters: &Rosters) -> Vec<String> {
    let schools: Vec<String> = match &settings.licensed_schools {
        Some(licensed) => licensed.iter().map(|s| s.to_string()).collect(),
        None => rosters.schools.iter().cloned().collect(),
    };
    let mut unmet = Vec::new();
    for school in schools {
        let (classes, students) =
            (rosters.classes.get(&school).copied().unwrap_or(0), rosters.students.get(&school).copied().unwrap_or(0));
        match (classes, students) {
            (0, 0) => unmet.push(format!("school {school} has no classes and no enrolled students in this bulk")),
            (0, _) => unmet.push(format!("school {school} has no classes in this bulk")),
            (_, 0) => unmet.push(format!("school {school} has no enrolled students in this bulk")),
            _ => {}
        }
    }
    unmet
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(file: &str, rows: u64) -> FileSummary {
        FileSummary { file: file.into(), mode: "bulk".into(), rows }
    }

    #[test]
    fn a_file_short_of_its_expected_rows_or_missing_is_unmet() {
        let settings = DistrictSettings {
            expected_rows: [("users.csv".to_owned(), 100), ("classes.csv".to_owned(), 10), ("orgs.csv".to_owned(), 1)]
                .into(),
            ..Default::default()
        };
        let unmet = short_files(&settings, &[summary("users.csv", 40), summary("orgs.csv", 3)]);
        assert_eq!(
            unmet,
            [
                "classes.csv is missing; the district expects at least 10 rows",
                "users.csv has 40 rows; the district expects at least 100",
            ]
        );
    }

    #[test]
    fn a_school_without_classes_or_students_is_unmet() {
        let rosters = Rosters {
            schools: ["s1", "s2", "s3"].map(str::to_owned).into(),
            classes: [("s1".to_owned(), 4), ("s2".to_owned(), 1)].into(),
            students: [("s1".to_owned(), 80)].into(),
        };
        assert_eq!(
            schools_without_rosters(&DistrictSettings::default(), &rosters),
            [
                "school s2 has no enrolled students in this bulk",
                "school s3 has no classes and no enrolled students in this bulk",
            ]
        );
        let licensed = DistrictSettings {
            licensed_schools: Some([oneroster_model::SourcedId::parse("s1").unwrap()].into()),
            ..Default::default()
        };
        assert!(schools_without_rosters(&licensed, &rosters).is_empty(), "only licensed schools are expected");
    }
}
