//! The validation pass: every file read once before anything is applied. It finds duplicate
//! sourcedIds, references to records the package does not define or to records of the wrong
//! kind (a class's school that is a district), and users without roles, and it lists the
//! references that only stored data can satisfy (delta packages), for the caller to check
//! against the store.
//!
//! What it keeps while reading is small and of fixed size per row (a 128-bit hash and a line
//! for each id defined, a byte for each org and session of a narrower kind); a reference
//! waiting for the rest of its own file is kept once per id it names, and dropped when that id
//! is defined. Nothing of a row's text outlives the row, so a file of millions of identical
//! rows costs what one row does.

use crate::package::{FileKind, Mode, Package, PackageError, Version};
use crate::read::read_rows;
use crate::report::{Code, Conversion, Diagnostic, FileSummary, Report};
use crate::rows::{Row, Target};
use oneroster_model::{Kind, Kinds, Status, Timestamp};
use std::collections::{HashMap, HashSet};
use xxhash_rust::xxh3::xxh3_128;

/// Hashes keys that are already 128-bit hashes by taking their low bits: the default SipHash
/// would hash every id a second time, the largest CPU cost of validation.
#[derive(Default, Clone, Copy)]
struct PreHashed(u64);

impl std::hash::Hasher for PreHashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 ^= u64::from_le_bytes(word);
        }
    }
    fn write_u128(&mut self, value: u128) {
        self.0 = value as u64;
    }
}

type IdMap<V> = HashMap<u128, V, std::hash::BuildHasherDefault<PreHashed>>;
type IdSet = HashSet<u128, std::hash::BuildHasherDefault<PreHashed>>;

/// A reference the package itself does not satisfy, to be looked up in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReference {
    /// What it must point to.
    pub target: Target,
    /// The kind of record it must be, where the binding names one.
    pub kind: Option<Kind>,
    /// The referenced id.
    pub id: String,
    /// For a user profile: the user whose profiles must hold it.
    pub owner: Option<String>,
    /// The schools of the rows that refer to it (their `schoolSourcedId`), `None` when any of
    /// them names no school: a district that has licensed none of them has those rows left
    /// out, so what they refer to need not be stored (a student of such a school, never
    /// stored either).
    pub schools: Option<Vec<String>>,
    /// Where the reference was first seen.
    pub at: Diagnostic,
}

/// What validation learnt, beyond the report.
#[derive(Debug, Default)]
pub struct Validation {
    /// References that stored data must satisfy (deduplicated).
    pub stored_references: Vec<StoredReference>,
    /// Data rows per file.
    pub rows: HashMap<FileKind, u64>,
}

fn target_file(target: Target) -> FileKind {
    match target {
        Target::Collection(collection) => {
            FileKind::of(collection).expect("a row refers only to collections imported from a file")
        }
        Target::Profile => FileKind::UserProfiles,
    }
}

/// Whether a later file may refer to the records of `kind` (so its ids are kept past its own
/// pass); the ids of enrollments, roles, demographics, links and part rows are never named.
fn is_referenced(kind: FileKind) -> bool {
    !matches!(
        kind,
        FileKind::Enrollments
            | FileKind::Roles
            | FileKind::Demographics
            | FileKind::ClassResources
            | FileKind::CourseResources
            | FileKind::UserResources
            | FileKind::LineItemLearningObjectiveIds
            | FileKind::LineItemScoreScales
            | FileKind::ResultLearningObjectiveIds
            | FileKind::ResultScoreScales
    )
}

/// Where a reference was seen, without owning the file's name (kept for many references).
#[derive(Debug, Clone, Copy)]
struct Seen {
    file: FileKind,
    line: u64,
    column: &'static str,
}

/// A reference waiting for its own file to finish (a parent org later in orgs.csv), once per
/// id and kind it names.
struct Pending {
    target: Target,
    kind: Option<Kind>,
    id: Box<str>,
    seen: Seen,
}

/// A reference left for the store, once per (what, kind, id, owner).
type StoredKey = (Target, Option<Kind>, Box<str>, Option<Box<str>>);

/// Where a reference left for the store was first seen, and the schools of the rows naming it
/// (`None` once a row names none: see [`StoredReference::schools`]).
type StoredSeen = (Seen, Option<Vec<Box<str>>>);

/// Notes that a row of `school` (or of none) names a reference left for the store.
fn note_school(schools: &mut Option<Vec<Box<str>>>, school: Option<&str>) {
    match (schools.as_mut(), school) {
        (Some(known), Some(school)) if !known.iter().any(|s| &**s == school) => known.push(school.into()),
        (Some(_), None) => *schools = None,
        _ => {}
    }
}

/// Reads the whole package once and reports every problem. `now` is the import time.
pub fn validate(package: &mut Package, now: Timestamp, report: &mut Report) -> Result<Validation, PackageError> {
    let mut validation = Validation::default();
    // Ids defined by each file still referable: hash → line (128-bit hashes: no false
    // duplicates in practice, a sixth of the memory of the ids themselves).
    let mut defined: HashMap<FileKind, IdMap<u64>> = HashMap::new();
    // The narrower kinds (an org of type school) of the records that are of one.
    let mut kinds: IdMap<Kinds> = IdMap::default();
    let mut users_with_roles = IdSet::default();
    let mut stored: HashMap<StoredKey, StoredSeen> = HashMap::new();

    let files: Vec<(FileKind, String, Mode)> = package.files().map(|(k, n, m)| (k, n.to_owned(), m)).collect();
    let names: HashMap<FileKind, String> = files.iter().map(|(k, n, _)| (*k, n.clone())).collect();
    let modes: HashMap<FileKind, Mode> = files.iter().map(|(k, _, m)| (*k, *m)).collect();
    let version = package.version();
    let not_in = |id: &str, file: FileKind| {
        format!("'{id}' is not in {} (a bulk file must define everything referenced)", file.file_name())
    };
    for (kind, name, mode) in files {
        let mut ids: IdMap<u64> = IdMap::default();
        let mut pending: HashMap<(u128, Option<Kind>), Pending> = HashMap::new();
        let rows = read_rows(package, kind, now, report, |row, line, report| {
            let hash = xxh3_128(row.id().as_str().as_bytes());
            if let Some(first) = ids.insert(hash, line) {
                report.error(Diagnostic::at(
                    &name,
                    line,
                    Some("sourcedId"),
                    Code::DuplicateId,
                    format!("sourcedId '{}' is already used on line {first}", row.id()),
                ));
            }
            if let Row::Record(record) = &row {
                let own = record.kinds();
                if !own.is_empty() {
                    // An org and a session may share an id: each keeps its own kinds.
                    let both = kinds.get(&hash).map_or(own, |other| other.union(own));
                    kinds.insert(hash, both);
                }
            }
            // The references that waited for this id are satisfied, if it is of their kind.
            if !pending.is_empty() {
                pending.remove(&(hash, None));
                let own = kinds.get(&hash).copied().unwrap_or_default();
                for required in Kind::ALL.into_iter().filter(|k| own.contains(*k)) {
                    pending.remove(&(hash, Some(required)));
                }
            }
            if let Row::Role(role) = &row {
                if role.status == Status::Active {
                    users_with_roles.insert(xxh3_128(role.owner.as_str().as_bytes()));
                }
            }
            let owner = match &row {
                Row::Role(role) => Some(role.owner.as_str()),
                _ => None,
            };
            let references = row.references();
            let school = references.iter().find(|r| r.kind == Some(Kind::School)).map(|r| r.id);
            for reference in references.iter().copied() {
                let (target, required, id) = (reference.target, reference.kind, reference.id);
                // A 1.1 row's references are named by the 1.1 file's columns.
                let column = match version {
                    Version::V1p1 => crate::v1p1::column(kind, reference.column),
                    Version::V1p2 => reference.column,
                };
                let seen = Seen { file: kind, line, column };
                let file = target_file(target);
                let hash = xxh3_128(id.as_bytes());
                let found = if file == kind {
                    ids.contains_key(&hash)
                } else {
                    defined.get(&file).is_some_and(|ids| ids.contains_key(&hash))
                };
                if found {
                    if let Some(required) = required.filter(|k| !kinds.get(&hash).is_some_and(|own| own.contains(*k))) {
                        report.error(Diagnostic::at(
                            &name,
                            line,
                            Some(seen.column),
                            Code::WrongKind,
                            required.mismatch(id),
                        ));
                    }
                } else if file == kind {
                    pending.entry((hash, required)).or_insert_with(|| Pending {
                        target,
                        kind: required,
                        id: id.into(),
                        seen,
                    });
                } else if modes.get(&file) == Some(&Mode::Bulk) {
                    report.error(Diagnostic::at(
                        &name,
                        line,
                        Some(seen.column),
                        Code::UnknownReference,
                        not_in(id, file),
                    ));
                } else {
                    let owner = owner.filter(|_| target == Target::Profile).map(Box::from);
                    let (_, schools) =
                        stored.entry((target, required, id.into(), owner)).or_insert((seen, Some(Vec::new())));
                    note_school(schools, school);
                }
            }
        })?;
        let mut pending: Vec<Pending> = pending.into_values().collect();
        pending.sort_by_key(|p| (p.seen.line, p.seen.column));
        for p in pending {
            let hash = xxh3_128(p.id.as_bytes());
            let at = |code, reason| Diagnostic::at(&name, p.seen.line, Some(p.seen.column), code, reason);
            match (ids.contains_key(&hash), p.kind) {
                (true, None) => {}
                (true, Some(required)) if kinds.get(&hash).is_some_and(|own| own.contains(required)) => {}
                (true, Some(required)) => report.error(at(Code::WrongKind, required.mismatch(&p.id))),
                (false, _) if mode == Mode::Bulk => report.error(at(Code::UnknownReference, not_in(&p.id, kind))),
                (false, _) => {
                    stored.entry((p.target, p.kind, p.id, None)).or_insert((p.seen, None)).1 = None;
                }
            }
        }
        report.files.push(FileSummary { file: kind.file_name().to_owned(), mode: mode.as_str().to_owned(), rows });
        if version == Version::V1p1 {
            let changes = crate::v1p1::conversions(kind);
            if !changes.is_empty() {
                report.warn(format!("{name} (OneRoster 1.1, {rows} rows): {}", changes.join("; ")));
            }
            let changes = changes.iter().map(|c| (*c).to_owned()).collect();
            report.conversions.push(Conversion { file: kind.file_name().to_owned(), rows, changes });
        }
        validation.rows.insert(kind, rows);
        if is_referenced(kind) {
            defined.insert(kind, ids);
        }
    }

    if package.mode(FileKind::Roles) == Some(Mode::Bulk) {
        if let Some(users) = defined.get(&FileKind::Users) {
            let mut missing: Vec<u64> =
                users.iter().filter(|(h, _)| !users_with_roles.contains(*h)).map(|(_, line)| *line).collect();
            missing.sort_unstable();
            let file = names.get(&FileKind::Users).map_or(FileKind::Users.file_name(), String::as_str);
            for line in missing {
                report.error(Diagnostic::at(
                    file,
                    line,
                    Some("sourcedId"),
                    Code::NoRole,
                    "the user has no active role in roles.csv; every user needs at least one",
                ));
            }
        }
    }

    validation.stored_references = stored
        .into_iter()
        .map(|((target, kind, id, owner), (seen, schools))| {
            let file = names.get(&seen.file).map_or(seen.file.file_name(), String::as_str);
            StoredReference {
                target,
                kind,
                id: id.into(),
                owner: owner.map(String::from),
                schools: schools.map(|schools| schools.into_iter().map(String::from).collect()),
                at: Diagnostic::at(file, seen.line, Some(seen.column), Code::UnknownReference, String::new()),
            }
        })
        .collect();
    validation.stored_references.sort_by(|a, b| (&a.at.file, a.at.line).cmp(&(&b.at.file, b.at.line)));
    Ok(validation)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Limits;
    use std::io::{Seek, Write};

    fn validated(files: &[(&str, &str)]) -> Report {
        let mut file = tempfile::tempfile().unwrap();
        {
            let mut zip = zip::ZipWriter::new(&mut file);
            for (name, text) in files {
                zip.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
                zip.write_all(text.as_bytes()).unwrap();
            }
            zip.finish().unwrap();
        }
        file.rewind().unwrap();
        let mut report = Report::default();
        let mut package = Package::open(file, &Limits::default(), &mut report).unwrap();
        validate(&mut package, Timestamp::now(), &mut report).unwrap();
        report
    }

    const ORGS: &str = "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\n\
                        d-1,,,D,district,,\ns-1,,,S,school,,d-1\nx,,,Shared id,school,,\n";
    const SESSIONS: &str = "sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,schoolYear\n\
                            y-1,,,Y,schoolYear,2025-08-01,2026-06-30,,2026\nt-1,,,T,term,2025-08-01,2026-01-30,y-1,2026\n\
                            x,,,Shared id,schoolYear,2025-08-01,2026-06-30,,2026\n";

    fn wrong_kinds(report: &Report) -> Vec<(u64, String)> {
        report
            .errors
            .iter()
            .filter(|e| e.code == Code::WrongKind)
            .map(|e| (e.line.unwrap_or(0), format!("{}: {}", e.file, e.reason)))
            .collect()
    }

    #[test]
    fn a_class_school_is_a_school_and_a_course_school_year_is_a_school_year_even_where_ids_are_shared() {
        let classes = "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods\n\
                       k-1,,,K,,c-1,,scheduled,,s-1,t-1,,,\nk-2,,,K,,c-1,,scheduled,,d-1,t-1,,,\nk-3,,,K,,c-1,,scheduled,,x,t-1,,,\n";
        let courses = "sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,orgSourcedId,subjects,subjectCodes\n\
                       c-1,,,y-1,C,,,d-1,,\nc-2,,,t-1,C,,,s-1,,\nc-3,,,x,C,,,s-1,,\n";
        let report = validated(&[
            ("orgs.csv", ORGS),
            ("academicSessions.csv", SESSIONS),
            ("courses.csv", courses),
            ("classes.csv", classes),
        ]);
        assert_eq!(
            wrong_kinds(&report),
            [
                (3, "courses.csv: 't-1' is not an academic session of type schoolYear".to_owned()),
                (3, "classes.csv: 'd-1' is not an org of type school".to_owned()),
            ],
            "{:#?}",
            report.errors
        );
    }
}
