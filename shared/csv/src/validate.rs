//! The validation pass: every file read once before anything is applied. It finds duplicate
//! sourcedIds, references to records the package does not define, and users without roles, and
//! it lists the references that only stored data can satisfy (delta packages), for the caller
//! to check against the store.

use crate::package::{FileKind, Mode, Package, PackageError};
use crate::read::read_rows;
use crate::report::{Diagnostic, FileSummary, Report};
use crate::rows::{Row, Target};
use oneroster_model::{Status, Timestamp};
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
    /// The referenced id.
    pub id: String,
    /// For a user profile: the user whose profiles must hold it.
    pub owner: Option<String>,
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
        Target::Collection(collection) => FileKind::ALL
            .into_iter()
            .find(|kind| kind.collection() == Some(collection))
            .expect("every collection is imported from a file"),
        Target::Profile => FileKind::UserProfiles,
    }
}

/// A reference waiting for its own file to finish (a parent org later in orgs.csv).
struct Pending {
    target: Target,
    id: String,
    owner: Option<String>,
    at: Diagnostic,
}

/// Reads the whole package once and reports every problem. `now` is the import time.
pub fn validate(package: &mut Package, now: Timestamp, report: &mut Report) -> Result<Validation, PackageError> {
    let mut validation = Validation::default();
    // Ids defined by each file: hash → line (128-bit hashes: no false duplicates in practice,
    // a sixth of the memory of the ids themselves).
    let mut defined: HashMap<FileKind, IdMap<u64>> = HashMap::new();
    let mut users_with_roles = IdSet::default();
    let mut stored: HashMap<(Target, String, Option<String>), Diagnostic> = HashMap::new();

    let files: Vec<(FileKind, String, Mode)> = package.files().map(|(k, n, m)| (k, n.to_owned(), m)).collect();
    let modes: HashMap<FileKind, Mode> = files.iter().map(|(k, _, m)| (*k, *m)).collect();
    for (kind, name, mode) in files {
        let mut ids: IdMap<u64> = IdMap::default();
        let mut pending: Vec<Pending> = Vec::new();
        let rows = read_rows(package, kind, now, report, |row, line, report| {
            let at = |column: &str| Diagnostic {
                file: name.clone(),
                line: Some(line),
                column: Some(column.to_owned()),
                reason: String::new(),
            };
            if let Some(first) = ids.insert(xxh3_128(row.id().as_str().as_bytes()), line) {
                let mut d = at("sourcedId");
                d.reason = format!("sourcedId '{}' is already used on line {first}", row.id());
                report.error(d);
            }
            if let Row::Role(role) = &row {
                if role.status == Status::Active {
                    users_with_roles.insert(xxh3_128(role.owner.as_str().as_bytes()));
                }
            }
            let owner = match &row {
                Row::Role(role) => Some(role.owner.to_string()),
                _ => None,
            };
            for (column, target, id) in row.references() {
                let file = target_file(target);
                let hash = xxh3_128(id.as_bytes());
                if file == kind {
                    pending.push(Pending { target, id: id.to_owned(), owner: owner.clone(), at: at(column) });
                } else if defined.get(&file).is_some_and(|ids| ids.contains_key(&hash)) {
                    // satisfied inside the package
                } else if modes.get(&file) == Some(&Mode::Bulk) {
                    let mut d = at(column);
                    d.reason = format!(
                        "'{id}' is not in {} (a bulk file must define everything referenced)",
                        file.file_name()
                    );
                    report.error(d);
                } else {
                    let owner = (target == Target::Profile).then(|| owner.clone()).flatten();
                    stored.entry((target, id.to_owned(), owner)).or_insert_with(|| at(column));
                }
            }
        })?;
        for p in pending {
            if ids.contains_key(&xxh3_128(p.id.as_bytes())) {
                continue;
            }
            if mode == Mode::Bulk {
                let mut d = p.at;
                d.reason = format!(
                    "'{}' is not in {} (a bulk file must define everything referenced)",
                    p.id,
                    kind.file_name()
                );
                report.error(d);
            } else {
                stored.entry((p.target, p.id, p.owner)).or_insert(p.at);
            }
        }
        report.files.push(FileSummary { file: kind.file_name().to_owned(), mode: mode.as_str().to_owned(), rows });
        validation.rows.insert(kind, rows);
        defined.insert(kind, ids);
    }

    if package.mode(FileKind::Roles) == Some(Mode::Bulk) {
        if let Some(users) = defined.get(&FileKind::Users) {
            let mut missing: Vec<u64> =
                users.iter().filter(|(h, _)| !users_with_roles.contains(*h)).map(|(_, line)| *line).collect();
            missing.sort_unstable();
            for line in missing {
                report.error(Diagnostic {
                    file: FileKind::Users.file_name().into(),
                    line: Some(line),
                    column: Some("sourcedId".into()),
                    reason: "the user has no active role in roles.csv; every user needs at least one".into(),
                });
            }
        }
    }

    validation.stored_references =
        stored.into_iter().map(|((target, id, owner), at)| StoredReference { target, id, owner, at }).collect();
    validation.stored_references.sort_by(|a, b| (&a.at.file, a.at.line).cmp(&(&b.at.file, b.at.line)));
    Ok(validation)
}
