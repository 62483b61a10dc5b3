//! Small packages built in temporary files, and a tenant's in-memory store to apply them to:
//! what each case of the apply's unit tests starts from.

use crate::apply::{apply, apply_unit, plan, Applied, ApplyError, Applying};
use oneroster_csv::{FileKind, Limits, Mode};
use oneroster_model::{Collection, Record, Relation, Status, Timestamp};
use oneroster_store::{Encoded, FileCounts, MemoryStore, Mutation, RecordStore, StoredRecord, Tenant, Upkeep};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

/// The `dateLastModified` of every delta row (the apply writes the job's time instead).
const DELTA_TIME: &str = "2026-01-01T00:00:00.000Z";

/// One file of a package: its rows after the header, each `sourcedId,status,dateLastModified,…`.
pub(super) struct File {
    kind: FileKind,
    mode: Mode,
    rows: Vec<String>,
}

impl File {
    /// The collection of the file's records (`None` for a part file).
    pub(super) fn collection(&self) -> Option<Collection> {
        self.kind.collection()
    }

    /// The same file without the rows of `ids` (sourcedIds are unique across a district's
    /// files, so any file may be asked).
    pub(super) fn without(mut self, ids: &[&str]) -> Self {
        self.rows.retain(|row| !ids.iter().any(|id| row.starts_with(&format!("{id},"))));
        self
    }
}

/// A bulk file of `(sourcedId, the row's other cells)` (status and time blank, as bulk wants).
pub(super) fn bulk(kind: FileKind, rows: &[(&str, String)]) -> File {
    File { kind, mode: Mode::Bulk, rows: rows.iter().map(|(id, rest)| format!("{id},,,{rest}")).collect() }
}

/// A delta file of `(sourcedId, status, the row's other cells)`.
pub(super) fn delta(kind: FileKind, rows: &[(&str, &str, String)]) -> File {
    let rows = rows.iter().map(|(id, status, rest)| format!("{id},{status},{DELTA_TIME},{rest}")).collect();
    File { kind, mode: Mode::Delta, rows }
}

/// The cells of an org after its status and time.
pub(super) fn org(name: &str, kind: &str, parent: &str) -> String {
    format!("{name},{kind},,{parent}")
}

/// The cells of a term of school year `y-1` (or of the school year itself, `parent` blank).
pub(super) fn session(title: &str, kind: &str, parent: &str) -> String {
    format!("{title},{kind},2025-08-01,2026-06-30,{parent},2026")
}

/// The cells of a course of `org`.
pub(super) fn course(title: &str, org: &str) -> String {
    format!(",{title},,,{org},,")
}

/// The cells of a class of `school` and `course` in `term`.
pub(super) fn class(title: &str, course: &str, school: &str, term: &str) -> String {
    format!("{title},,{course},,scheduled,,{school},{term},,,")
}

/// The cells of a user whose username is `username`.
pub(super) fn user(username: &str, given: &str) -> String {
    format!("true,{username},,{given},Family{}", ",".repeat(14))
}

/// The cells of a primary role of `user` at `org`.
pub(super) fn role(user: &str, role: &str, org: &str) -> String {
    format!("{user},primary,{role},,,{org},")
}

/// The cells of an LMS profile of `user`.
pub(super) fn profile(user: &str, username: &str) -> String {
    format!("{user},lms,vendor,,,password,{username},")
}

/// The cells of an enrollment of `user` in `class` of `school`.
pub(super) fn enrollment(class: &str, school: &str, user: &str, role: &str) -> String {
    format!("{class},{school},{user},{role},false,,")
}

/// The cells of a line item of `class` at `school`.
pub(super) fn line_item(title: &str, class: &str, school: &str) -> String {
    format!("{title},,2025-09-01,2025-09-15,{class},g-1,t-1,0,100,{school}")
}

/// The cells of a result of `line_item` for `student`, naming `class` or none.
pub(super) fn result(line_item: &str, student: &str, class: &str) -> String {
    format!("{line_item},{student},fully graded,90,2025-09-16,,,{class},,,,")
}

/// A zip of `files` with a manifest declaring each, in a temporary file. Entries are stored,
/// not deflated, so that a huge cell does not look like a bomb.
pub(super) fn package(files: &[File]) -> tempfile::NamedTempFile {
    let declared = |mode| -> Vec<&str> {
        files.iter().filter(|f| f.mode == mode).map(|f| f.kind.file_name().trim_end_matches(".csv")).collect()
    };
    let manifest = district_gen::manifest(&declared(Mode::Bulk), &declared(Mode::Delta));
    let mut entries = vec![("manifest.csv".to_owned(), manifest)];
    for file in files {
        let header = oneroster_csv::rows::columns(file.kind).join(",");
        let body = file.rows.iter().fold(header + "\n", |text, row| text + row + "\n");
        entries.push((file.kind.file_name().to_owned(), body));
    }
    let mut zipped = tempfile::NamedTempFile::new().expect("a temporary file");
    let mut zip = zip::ZipWriter::new(zipped.as_file_mut());
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, text) in entries {
        zip.start_file(name, options).expect("an entry");
        zip.write_all(text.as_bytes()).expect("written");
    }
    zip.finish().expect("a zip");
    zipped
}

/// A tenant's in-memory store and the clock of its jobs: each apply is a job one minute after
/// the last.
pub(super) struct District {
    pub(super) store: MemoryStore,
    pub(super) tenant: Tenant,
    jobs: i64,
}

impl District {
    /// An empty district.
    pub(super) fn new() -> Self {
        let tenant = Tenant::of_upload_key("district-7/upload.zip").expect("a tenant's key");
        Self { store: MemoryStore::new(), tenant, jobs: 0 }
    }

    /// The time of the last job.
    pub(super) fn now(&self) -> Timestamp {
        Timestamp::from_millis(1_800_000_000_000 + self.jobs * 60_000)
    }

    /// Applies `files` as a new job, unit by unit with each file's records cut into `parts`
    /// ([`plan`]), as the state machine's workers do; what the units did, and the parents whose
    /// packs they made stale, added up.
    pub(super) async fn apply_in_parts(
        &mut self,
        files: &[File],
        parts: u64,
    ) -> (Applied, BTreeSet<(Relation, String)>) {
        self.jobs += 1;
        let zipped = package(files);
        let (store, limits, now) = (self.store.tenant(&self.tenant), Limits::default(), self.now());
        let modes =
            crate::apply::open(&store, zipped.path(), &limits, now, Default::default()).await.expect("opened").modes;
        let (mut applied, mut stale) = (Applied::default(), BTreeSet::new());
        let settings = Default::default();
        let applying = Applying { job: "j-test", path: zipped.path(), limits: &limits, now, settings: &settings };
        for unit in plan(&modes, |_| 0, parts).into_iter().flatten() {
            let (done, packs) = apply_unit(&store, &applying, unit).await.expect("applied");
            applied.add(done);
            stale.extend(packs);
        }
        (applied, stale)
    }

    /// Applies `files` as a new job (`resumed`: one an earlier run left running); the upkeep
    /// earlier jobs asked for is dropped.
    pub(super) async fn try_apply(&mut self, files: &[File], resumed: bool) -> Result<Applied, ApplyError> {
        self.store.take_upkeep();
        let zipped = package(files);
        self.apply_zip(zipped.path(), resumed).await
    }

    /// Applies the package at `path` as a new job.
    pub(super) async fn apply_zip(&mut self, path: &std::path::Path, resumed: bool) -> Result<Applied, ApplyError> {
        self.jobs += 1;
        let (limits, settings) = (Limits::default(), Default::default());
        let applying = Applying { job: "j-test", path, limits: &limits, now: self.now(), settings: &settings };
        apply(&self.store.tenant(&self.tenant), &applying, resumed).await
    }

    /// Applies `files` as a new job, which must succeed.
    pub(super) async fn apply(&mut self, files: &[File]) -> Applied {
        self.try_apply(files, false).await.expect("applied")
    }

    /// The upkeep the last job asked for.
    pub(super) fn upkeep(&self) -> Upkeep {
        self.store.take_upkeep()
    }

    /// The stored records of `collection`, by sourcedId.
    pub(super) fn records(&self, collection: Collection) -> BTreeMap<String, StoredRecord> {
        let records = self.store.records(&self.tenant, collection).expect("readable records");
        records.into_iter().map(|r| (r.id.clone(), r)).collect()
    }

    /// The stored record `id` of `collection`.
    pub(super) fn record(&self, collection: Collection, id: &str) -> StoredRecord {
        self.records(collection).remove(id).unwrap_or_else(|| panic!("{} {id} stored", collection.name()))
    }

    /// The stored record `id` of `collection`, as the model reads it.
    pub(super) fn model(&self, collection: Collection, id: &str) -> Record {
        Record::from_json(collection, &self.record(collection, id).body).expect("a stored record")
    }

    /// The status of each stored record of `collection`.
    pub(super) fn statuses(&self, collection: Collection) -> BTreeMap<String, Status> {
        self.records(collection).into_iter().map(|(id, r)| (id, r.status)).collect()
    }

    /// Writes the stored record `id` of `collection` again, as it stands, as the API client
    /// `origin` writes (no parts: a user's roles in its body).
    pub(super) async fn write_as(&self, origin: &str, collection: Collection, id: &str) {
        let (record, stored) = (self.model(collection, id), self.record(collection, id));
        let store = self.store.tenant(&self.tenant);
        let dependency = record.link_dependency().map(|(collection, id)| (collection, id.to_string()));
        let named = store.get_named(dependency.into_iter().collect()).await.expect("read");
        let write = Mutation::put(Encoded::new(record), &named).by(origin).over(Some(&stored));
        store.commit_batched(vec![write]).await.expect("committed");
    }

    /// Deletes the stored record `id` of `collection` as the API client `origin` does: a
    /// tombstone without entries.
    pub(super) async fn delete_as(&self, origin: &str, collection: Collection, id: &str) {
        let (record, stored) = (self.model(collection, id), self.record(collection, id));
        let delete = Mutation::delete(record, &stored, origin);
        self.store.tenant(&self.tenant).commit_batched(vec![delete]).await.expect("committed");
    }

    /// The children of `parent` in `relation`, by their entries.
    pub(super) fn children(&self, relation: oneroster_model::Relation, parent: &str) -> Vec<String> {
        self.store.children(&self.tenant, relation, parent)
    }
}

/// What an apply did to a file's records: (created, updated, deleted, unchanged).
pub(super) type Counts = (u64, u64, u64, u64);

/// What an apply did to `kind`'s records.
pub(super) fn counts(applied: &Applied, kind: FileKind) -> Counts {
    let FileCounts { created, updated, deleted, unchanged, .. } = file_counts(applied, kind);
    (created, updated, deleted, unchanged)
}

/// `kind`'s counts in full (a file the package lacks counts nothing).
pub(super) fn file_counts(applied: &Applied, kind: FileKind) -> FileCounts {
    applied.files.get(kind.file_name()).cloned().unwrap_or_default()
}
