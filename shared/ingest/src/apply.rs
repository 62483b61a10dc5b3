//! Applying a validated package: each file streamed in chunks from a blocking thread, each
//! record compared with what is stored, and only what changed written. A record whose content
//! is unchanged keeps its `dateLastModified` and costs no write, so a nightly bulk that changes
//! little writes little. Bulk files mark the records they no longer carry `tobedeleted`;
//! records that come back become active again.
//!
//! Who owns a record: a record an API client wrote (its `origin`) is left by a bulk file that
//! lacks it, as are its roles by a bulk part file without rows of it. A row of the feed naming
//! it, bulk or delta (or a part row of it: a user's role), takes it over, since the SIS is the
//! source of truth: the record is written as the row says even when its content is the stored
//! one, an API deletion's tombstone included, and is the feed's from then on (no origin). Such
//! a row counts as `taken_over` in its file's counts, and nowhere else.
//!
//! Every write of one job carries the job's start time as `dateLastModified`, so a retried job
//! writes exactly what the first attempt would have, and consumers syncing with
//! `dateLastModified>` see each change at the time the provider made it.

use crate::licence::LeftOut;
use oneroster_csv::{FileKind, Limits, Mode, Package, PackageError, Part, Report, Row, Version};
use oneroster_model::entities::{GuidRef, LearningObjectiveScoreSet, LearningObjectiveSet, ObjectiveRow};
use oneroster_model::{Collection, DistrictSettings, Record, Relation, Status, Timestamp, Timezone};
use oneroster_store::{Digest, Encoded, FileCounts, Mutation, Named, RecordStore, ShardPart, StoreError, StoredRecord};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc;
use tracing::info;

/// Rows handed from the reading thread to the writer at a time.
const CHUNK: usize = 2000;

/// Applying failed; the job is retried and, the apply being idempotent, completes.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The package could not be read again (it was readable when validated).
    #[error(transparent)]
    Package(#[from] PackageError),
    /// A stored record could not be read back.
    #[error("a stored {0} record could not be read: {1}")]
    StoredRecord(&'static str, serde_json::Error),
    /// The apply's state machine could not be started.
    #[error("the apply could not be started: {0}")]
    Coordinator(String),
    /// The reading thread died.
    #[error("the reading thread failed: {0}")]
    Thread(String),
    /// The package read otherwise than when it was validated (it never should: same file, same
    /// caps); nothing of the file is applied past the point.
    #[error("{0} read with errors when applied, though it was valid when validated")]
    Reread(&'static str),
}

/// What an apply, or one unit of it ([`apply_unit`]), did; the units' added up
/// ([`Applied::add`]) are the apply's. Kept with the unit's item between the steps of a fanned
/// out apply, hence serialised.
#[derive(Debug, Default, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Applied {
    /// Counts per file.
    pub files: BTreeMap<String, FileCounts>,
    /// Items written or deleted in the table.
    pub items_written: u64,
    /// Records erased on request that rows of this package wrote again, by file: the SIS still
    /// carries them, so they are back, which the report says (by sourcedId).
    pub restored: BTreeMap<String, Vec<String>>,
    /// Collections written to: their kept counts are measured again.
    #[serde(with = "collection_names")]
    pub touched: BTreeSet<Collection>,
    /// Collections whose stored digests (of the part read) held no record: a first load, whose
    /// parents' old pack heads need not be read.
    #[serde(with = "collection_names")]
    pub found_empty: BTreeSet<Collection>,
    /// Collections whose stored digests (of the part read) held records.
    #[serde(with = "collection_names")]
    pub found_records: BTreeSet<Collection>,
    /// Collections of units run again after a run that stopped after writing: the parents whose
    /// packs that run made stale are not known, so every pack of theirs is rebuilt, and their
    /// counts measured again.
    #[serde(with = "collection_names", default)]
    pub restarted: BTreeSet<Collection>,
}

impl Applied {
    /// Adds what another unit did.
    pub fn add(&mut self, other: Applied) {
        for (file, counts) in other.files {
            let total = self
                .files
                .entry(file)
                .or_insert_with(|| FileCounts { mode: counts.mode.clone(), ..Default::default() });
            total.add(&counts);
        }
        self.items_written += other.items_written;
        for (file, ids) in other.restored {
            self.restored.entry(file).or_default().extend(ids);
        }
        self.touched.extend(other.touched);
        self.found_empty.extend(other.found_empty);
        self.found_records.extend(other.found_records);
        self.restarted.extend(other.restarted);
    }

    /// The collections that held no record at all before the apply (every part read empty).
    pub fn first_records(&self) -> BTreeSet<Collection> {
        self.found_empty.difference(&self.found_records).copied().collect()
    }
}

/// Collections kept by name.
mod collection_names {
    use oneroster_model::Collection;
    use serde::{Deserialize, Deserializer, Serializer};
    use std::collections::BTreeSet;

    pub(super) fn serialize<S: Serializer>(set: &BTreeSet<Collection>, to: S) -> Result<S::Ok, S::Error> {
        to.collect_seq(set.iter().map(|c| c.name()))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(from: D) -> Result<BTreeSet<Collection>, D::Error> {
        let names = Vec::<String>::deserialize(from)?;
        let named = |name: String| {
            Collection::from_name(&name).ok_or_else(|| serde::de::Error::custom(format!("no collection '{name}'")))
        };
        names.into_iter().map(named).collect()
    }
}

/// The part rows kept beside a record, by part file ([`FileKind::part_key`]: a user's `roles`
/// and `profiles`, a line item's `objectives` and `scoreScales`) and the rows' own sourcedIds,
/// so that a delta part file can change one part without the others.
type Parts = BTreeMap<String, BTreeMap<String, serde_json::Value>>;

/// The rows of one part file, by the sourcedId of the record they belong to.
type PartRows = HashMap<String, Vec<Part<serde_json::Value>>>;

/// One unit of an apply: one file of the package (with its part files: a user's roles go with
/// it) for the records of one part of the record shards. Units of one file write disjoint
/// records and read disjoint digests, so they run at once; a file's units run only after the
/// units of the files before it ([`plan`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "UnitFields", into = "UnitFields")]
pub struct Unit {
    /// The file.
    pub file: FileKind,
    /// Its records applied here.
    pub part: ShardPart,
}

/// A [`Unit`] as the state machine carries it: `{"file": "users.csv", "part": 0, "parts": 4}`.
#[derive(serde::Serialize, serde::Deserialize)]
struct UnitFields {
    file: String,
    part: u64,
    parts: u64,
}

impl From<Unit> for UnitFields {
    fn from(unit: Unit) -> Self {
        Self { file: unit.file.file_name().to_owned(), part: unit.part.part, parts: unit.part.parts }
    }
}

impl TryFrom<UnitFields> for Unit {
    type Error = String;

    fn try_from(fields: UnitFields) -> Result<Self, String> {
        let file = FileKind::ALL.into_iter().find(|k| k.file_name() == fields.file && k.collection().is_some());
        let file = file.ok_or_else(|| format!("'{}' is not a file whose rows are records", fields.file))?;
        let part = ShardPart { part: fields.part, parts: fields.parts };
        match part.is_valid() {
            true => Ok(Unit { file, part }),
            false => Err(format!("part {} of {} is not a part of the record shards", fields.part, fields.parts)),
        }
    }
}

impl Unit {
    /// The unit's name: its file and part (`users.csv#1-of-4`).
    pub fn name(&self) -> String {
        format!("{}#{}", self.file.file_name(), self.part)
    }
}

/// Rows of a file one unit applies at most, where the workers alone would cut it coarser:
/// 50,000 enrollments write about a quarter of a million items, some five minutes of a
/// step's fifteen when 16 steps share a table taking 20,000 writes a second.
pub const ROWS_PER_UNIT: u64 = 50_000;

/// The units of applying a package whose files have `modes` and `rows` (a file's data rows, as
/// validation counted them), stage by stage in [`apply_order`], a stage holding one file's
/// units: its records cut into `workers` parts, or finer where it has more than
/// [`ROWS_PER_UNIT`] rows a part (up to [`ShardPart::MAX_PARTS`]).
pub fn plan(modes: &HashMap<FileKind, Mode>, rows: impl Fn(FileKind) -> u64, workers: u64) -> Vec<Vec<Unit>> {
    let present = |kind: &FileKind| modes.contains_key(kind) || kind.parts().iter().any(|p| modes.contains_key(p));
    apply_order()
        .into_iter()
        .filter(|kind| kind.collection().is_some() && present(kind))
        .map(|file| {
            let by_rows = rows(file).div_ceil(ROWS_PER_UNIT).next_power_of_two();
            ShardPart::cut(workers.max(by_rows)).into_iter().map(|part| Unit { file, part }).collect()
        })
        .collect()
}

/// What every unit of one job's apply is given.
#[derive(Debug, Clone, Copy)]
pub struct Applying<'a> {
    /// The job, kept on every record it writes (for the change events).
    pub job: &'a str,
    /// The package, already validated.
    pub path: &'a Path,
    /// The caps it was validated under.
    pub limits: &'a Limits,
    /// The time of every change the job makes.
    pub now: Timestamp,
    /// The district's settings: its timezone (where a date alone starts a date-time) and the
    /// schools it licenses ([`crate::licence`]).
    pub settings: &'a DistrictSettings,
}

/// Applies one unit of a job's package to the records of one tenant (`store`), leaving out
/// what the district's licence does. Answers what it did and the parents whose packs its writes
/// made stale. Any [`RecordStore`]: the tenant's part of the table in a deployment, the
/// in-memory store in unit tests.
pub async fn apply_unit<S: RecordStore>(
    store: &S,
    applying: &Applying<'_>,
    unit: Unit,
) -> Result<(Applied, BTreeSet<(Relation, String)>), ApplyError> {
    let Applying { job, path, limits, now, settings } = *applying;
    let opened = open(store, path, limits, now, settings.timezone).await?;
    let left_out = crate::licence::left_out(store, &opened, settings).await?;
    let Opened { modes, version, reading } = opened;
    let mut applier = Applier {
        store,
        job,
        now,
        reading,
        version,
        left_out,
        modes,
        part: unit.part,
        applied: Applied::default(),
        packs: BTreeSet::new(),
    };
    let started = Instant::now();
    match unit.file.collection() {
        Some(collection) if !unit.file.parts().is_empty() => applier.apply_with_parts(unit.file, collection).await?,
        Some(collection) => applier.apply_file(unit.file, collection).await?,
        None => {}
    }
    let (items, unit) = (applier.applied.items_written, unit.name());
    info!(unit, items, stale_packs = applier.packs.len(), ms = millis(started), "unit applied");
    Ok((applier.applied, applier.packs))
}

/// Rebuilds the packs of `stale` parents after every unit of an apply (`applied`), the
/// collections of units it restarted rebuilding every pack they make or hang off, among the
/// parents in `part`.
pub async fn rebuild_packs<S: RecordStore>(
    store: &S,
    part: ShardPart,
    stale: BTreeSet<(Relation, String)>,
    applied: &Applied,
) -> Result<(), StoreError> {
    let (started, parents) = (Instant::now(), stale.len());
    store.rebuild_packs(stale, &applied.first_records()).await?;
    for collection in &applied.restarted {
        store.rebuild_all_packs(*collection, part).await?;
    }
    let restarted = applied.restarted.len();
    info!(parents, part = %part, restarted, ms = millis(started), "packs rebuilt");
    Ok(())
}

/// Measures again the kept counts of `collection` after every unit of an apply, if one of them
/// wrote to it (or may have: a unit restarted).
pub async fn recount<S: RecordStore>(store: &S, collection: Collection, applied: &Applied) -> Result<(), StoreError> {
    if applied.touched.contains(&collection) || applied.restarted.contains(&collection) {
        let started = Instant::now();
        store.refresh_counts(collection).await?;
        info!(collection = collection.name(), ms = millis(started), "counts refreshed");
    }
    Ok(())
}

/// Applies a whole package in one process, unit after unit, then its packs and counts: what
/// the state machine does with one worker, for the unit tests against the in-memory store. A
/// `resumed` apply rebuilds every pack and count of the package's collections.
#[cfg(test)]
pub(crate) async fn apply<S: RecordStore>(
    store: &S,
    applying: &Applying<'_>,
    resumed: bool,
) -> Result<Applied, ApplyError> {
    let Applying { path, limits, now, settings, .. } = *applying;
    let modes = open(store, path, limits, now, settings.timezone).await?.modes;
    let (mut applied, mut stale) = (Applied::default(), BTreeSet::new());
    for unit in plan(&modes, |_| 0, 1).into_iter().flatten() {
        let (mut done, packs) = apply_unit(store, applying, unit).await?;
        if resumed {
            done.restarted.extend(unit.file.collection());
        }
        applied.add(done);
        stale.extend(packs);
    }
    rebuild_packs(store, ShardPart::WHOLE, stale, &applied).await?;
    for collection in Collection::ALL {
        recount(store, collection, &applied).await?;
    }
    Ok(applied)
}

/// The order files are applied in: the binding's (referenced before referencing; part files,
/// roles or objectives, go with the file of their records), but demographics just before users:
/// a user written after its demographics reads its birth date with its batch (one read per 100
/// users), where demographics written after their users would copy it onto each user's item
/// one update at a time (see [`oneroster_store::Born`]).
fn apply_order() -> Vec<FileKind> {
    let mut order: Vec<FileKind> = FileKind::ALL.into_iter().filter(|kind| *kind != FileKind::Demographics).collect();
    let users = order.iter().position(|kind| *kind == FileKind::Users).unwrap_or(order.len());
    order.insert(users, FileKind::Demographics);
    order
}

/// A validated package opened to read its rows again.
pub(crate) struct Opened {
    /// Each file's mode.
    pub(crate) modes: HashMap<FileKind, Mode>,
    /// The package's OneRoster version.
    pub(crate) version: Version,
    /// How its files' rows are read.
    pub(crate) reading: Reading,
}

/// How the rows of a validated package are read again, file by file, as validation read them.
#[derive(Clone)]
pub(crate) struct Reading {
    /// The package.
    path: PathBuf,
    /// The caps it was validated under.
    limits: Limits,
    /// The job's time, which its rows carry.
    now: Timestamp,
    /// The stored records a 1.1 package's rows need ([`Package::learn`]), read once for every
    /// file's reading.
    learned: Arc<Vec<Record>>,
    /// The district's timezone: where a date alone starts a date-time.
    zone: Timezone,
}

/// Opens the validated package at `path` for reading its rows again.
pub(crate) async fn open<S: RecordStore>(
    store: &S,
    path: &Path,
    limits: &Limits,
    now: Timestamp,
    zone: Timezone,
) -> Result<Opened, ApplyError> {
    let (modes, version, wanted) = {
        let mut scratch = Report::default();
        let mut package = Package::open(std::fs::File::open(path).map_err(PackageError::Io)?, limits, &mut scratch)?;
        let modes: HashMap<FileKind, Mode> = package.files().map(|(kind, _, mode)| (kind, mode)).collect();
        (modes, package.version(), package.v1p1_wanted()?)
    };
    let learned = match wanted.is_empty() {
        true => Vec::new(),
        false => store.get_named(wanted).await?.into_values().collect(),
    };
    let reading = Reading { path: path.to_owned(), limits: *limits, now, learned: Arc::new(learned), zone };
    Ok(Opened { modes, version, reading })
}

/// Milliseconds since `started`, for the phase timings the apply logs.
pub(crate) fn millis(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

struct Applier<'a, S> {
    store: &'a S,
    /// The job's id, kept on every record it writes.
    job: &'a str,
    now: Timestamp,
    /// How the package's rows are read.
    reading: Reading,
    /// The package's OneRoster version: a 1.1 user's row holds its roles.
    version: Version,
    /// The records the district's licence leaves out.
    left_out: LeftOut,
    modes: HashMap<FileKind, Mode>,
    /// The records of the unit: those in this part of the record shards.
    part: ShardPart,
    applied: Applied,
    /// Parents whose relation entries changed, whose packs are rebuilt after every unit.
    packs: BTreeSet<(Relation, String)>,
}

/// What is known of a record's stored state before deciding.
struct Known {
    /// Each stored record by id, from a digest read of the whole collection (bulk).
    digests: Option<HashMap<String, Held>>,
}

/// A stored record as a bulk file's apply keeps it: what decides a write, whose it is, and
/// whether the file carried it.
struct Held {
    /// Content hash.
    hash: u64,
    /// Status.
    status: Status,
    /// Whether an API client wrote it: a row takes it over, its absence leaves it.
    api: bool,
    /// Whether it was erased on request: a row bringing it back is reported.
    erased: bool,
    /// Whether a row of the file named it.
    seen: bool,
}

/// How one record of a chunk is composed before comparing: users fold their parts in.
type Compose<'c> = dyn Fn(&mut Record, Option<&StoredRecord>) -> Result<Option<String>, ApplyError> + Sync + 'c;

impl Reading {
    /// Streams the rows of `kind` from a blocking thread in chunks.
    pub(crate) fn rows(&self, kind: FileKind) -> mpsc::Receiver<Result<Vec<Row>, ApplyError>> {
        stream_rows(self.clone(), kind)
    }
}

fn stream_rows(reading: Reading, kind: FileKind) -> mpsc::Receiver<Result<Vec<Row>, ApplyError>> {
    let Reading { path, limits, now, learned, zone } = reading;
    let (tx, rx) = mpsc::channel(4);
    tokio::task::spawn_blocking(move || {
        let mut scratch = Report::default();
        let result = (|| -> Result<(), ApplyError> {
            let file = std::fs::File::open(&path).map_err(PackageError::Io)?;
            let mut package = Package::open(file, &limits, &mut scratch)?;
            package.learn(learned.iter());
            package.set_timezone(zone);
            let mut chunk = Vec::with_capacity(CHUNK);
            oneroster_csv::read_rows(&mut package, kind, now, &mut scratch, |row, _, _| {
                chunk.push(row);
                if chunk.len() == CHUNK {
                    let _ = tx.blocking_send(Ok(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK))));
                }
            })?;
            if !scratch.is_valid() {
                return Err(ApplyError::Reread(kind.file_name()));
            }
            if !chunk.is_empty() {
                let _ = tx.blocking_send(Ok(chunk));
            }
            Ok(())
        })();
        if let Err(e) = result {
            let _ = tx.blocking_send(Err(e));
        }
    });
    rx
}

impl<S: RecordStore> Applier<'_, S> {
    /// The records of `rows` that are the unit's.
    fn of_unit(&self, rows: Vec<Row>) -> Vec<Record> {
        let records = rows.into_iter().filter_map(Row::into_record);
        records.filter(|r| self.part.holds(r.base().sourced_id.as_str())).collect()
    }

    /// Writes records of `collection` and notes that its counts changed.
    async fn write(&mut self, collection: Collection, writes: Vec<Mutation>) -> Result<(), ApplyError> {
        if !writes.is_empty() {
            self.applied.touched.insert(collection);
            let writes = writes.into_iter().map(|write| write.in_job(self.job)).collect();
            let committed = self.store.commit_batched(writes).await?;
            self.applied.items_written += committed.items;
            self.packs.extend(committed.stale_packs);
        }
        Ok(())
    }

    fn counts(&mut self, kind: FileKind) -> &mut FileCounts {
        let mode = self.modes.get(&kind).map_or("absent", |m| m.as_str());
        self.applied
            .files
            .entry(kind.file_name().to_owned())
            .or_insert_with(|| FileCounts { mode: mode.to_owned(), ..Default::default() })
    }

    async fn known(&mut self, collection: Collection, bulk: bool) -> Result<Known, ApplyError> {
        if !bulk {
            return Ok(Known { digests: None });
        }
        let digests = self.store.digests(collection, self.part).await?;
        match digests.is_empty() {
            true => self.applied.found_empty.insert(collection),
            false => self.applied.found_records.insert(collection),
        };
        let held = |d: Digest| {
            let api = d.origin.is_some();
            (d.id, Held { hash: d.hash, status: d.status, api, erased: d.erased, seen: false })
        };
        Ok(Known { digests: Some(digests.into_iter().map(held).collect()) })
    }

    /// Applies a file whose rows are whole records.
    async fn apply_file(&mut self, kind: FileKind, collection: Collection) -> Result<(), ApplyError> {
        let Some(mode) = self.modes.get(&kind).copied() else { return Ok(()) };
        let mut known = self.known(collection, mode == Mode::Bulk).await?;
        let mut rows = self.reading.rows(kind);
        while let Some(chunk) = rows.recv().await {
            let records = self.of_unit(chunk?);
            self.apply_chunk(kind, collection, records, &mut known, false, &|_, _| Ok(None)).await?;
        }
        self.tombstone_unseen(kind, collection, known, &|record, stored| keep_parts(record, stored)).await
    }

    /// Applies one chunk of records: compose and prepare each, then compare and write.
    async fn apply_chunk(
        &mut self,
        kind: FileKind,
        collection: Collection,
        records: Vec<Record>,
        known: &mut Known,
        always_fetch: bool,
        compose: &Compose<'_>,
    ) -> Result<(), ApplyError> {
        // The stored versions are read first when the comparison (delta) or the composition
        // needs them; otherwise composition needs nothing stored (see `apply_with_parts`) and
        // only the records the digests say changed are read, for their old links.
        let stored = if always_fetch || known.digests.is_none() {
            let ids: Vec<String> = records.iter().map(|r| r.base().sourced_id.to_string()).collect();
            Some(self.stored(collection, &ids).await?)
        } else {
            None
        };
        let mut prepared = Vec::with_capacity(records.len());
        let mut left_out = 0;
        for mut record in records {
            // As if the file lacked it: a bulk marks it `tobedeleted` if it was stored.
            if self.left_out.leaves_out(&record) {
                left_out += 1;
                continue;
            }
            let previous = stored.as_ref().and_then(|s| s.get(record.base().sourced_id.as_str()));
            let parts = compose(&mut record, previous)?;
            prepared.push(Prepared::new(record, self.now, parts));
        }
        let stored = match stored {
            Some(stored) => stored,
            None => {
                let digests = known.digests.as_ref();
                // An API client's record is written whatever it holds: the row takes it over.
                let changed = |p: &&Prepared| {
                    let held = digests.and_then(|d| d.get(p.id().as_str()));
                    held.is_some_and(|h| h.api || h.hash != p.encoded.hash() || h.status != *p.status())
                };
                let ids: Vec<String> = prepared.iter().filter(changed).map(|p| p.id().to_string()).collect();
                self.stored(collection, &ids).await?
            }
        };
        let mut changed = Vec::new();
        let mut restored = Vec::new();
        let mut counts = FileCounts { left_out, ..Default::default() };
        for prepared in prepared {
            let id = prepared.id().as_str();
            let status = prepared.status();
            // Stored (hash, status, written by an API client), and whether it was erased.
            let (state, erased) = match known.digests.as_mut() {
                Some(digests) => digests.get_mut(id).map_or((None, false), |held| {
                    held.seen = true;
                    (Some((held.hash, held.status.clone(), held.api)), held.erased)
                }),
                None => stored.get(id).map_or((None, false), |p| {
                    (Some((p.hash, p.status.clone(), p.origin.is_some())), p.erased.is_some())
                }),
            };
            // An erasure's tombstone holds no content: any row naming the record writes it again.
            if erased {
                restored.push(id.to_owned());
            }
            match state {
                None if *status == Status::ToBeDeleted => {
                    counts.unchanged += 1;
                    continue;
                }
                None => counts.created += 1,
                // The feed is the source of truth: its row makes an API client's record (or
                // tombstone) the feed's, as the row says, and the write clears the origin.
                Some((_, _, true)) => counts.taken_over += 1,
                Some((h, s, _)) if h == prepared.encoded.hash() && s == *status => {
                    counts.unchanged += 1;
                    continue;
                }
                Some((_, s, _)) if *status == Status::ToBeDeleted && s != Status::ToBeDeleted => counts.deleted += 1,
                Some(_) => counts.updated += 1,
            }
            changed.push(prepared);
        }
        // Links, views and the records links depend on: only for what is written.
        let dependencies = self.dependencies(changed.iter().map(|p| p.encoded.record())).await?;
        let writes = changed
            .into_iter()
            .map(|prepared| {
                let previous = stored.get(prepared.id().as_str());
                prepared.into_write(&dependencies).over(previous)
            })
            .collect();
        self.write(collection, writes).await?;
        self.counts(kind).add(&counts);
        if !restored.is_empty() {
            self.applied.restored.entry(kind.file_name().to_owned()).or_default().extend(restored);
        }
        Ok(())
    }

    /// The stored versions of `ids` of `collection`, by id.
    async fn stored(
        &self,
        collection: Collection,
        ids: &[String],
    ) -> Result<HashMap<String, StoredRecord>, ApplyError> {
        let stored = self.store.get_many(collection, ids).await?;
        Ok(stored.into_iter().map(|r| (r.id.clone(), r)).collect())
    }

    /// After a bulk file: every active record of the feed it no longer carries becomes
    /// `tobedeleted`; an API client's stays (a nightly lineItems.csv never deletes an LMS's line
    /// items).
    async fn tombstone_unseen(
        &mut self,
        kind: FileKind,
        collection: Collection,
        known: Known,
        compose: &Compose<'_>,
    ) -> Result<(), ApplyError> {
        let Some(digests) = known.digests else { return Ok(()) };
        let gone: Vec<String> = digests
            .into_iter()
            .filter(|(_, held)| !held.seen && !held.api && held.status == Status::Active)
            .map(|(id, _)| id)
            .collect();
        for ids in gone.chunks(CHUNK) {
            let stored = self.store.get_many(collection, ids).await?;
            let records = stored
                .iter()
                .map(|stored| Record::from_json(collection, &stored.body))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| ApplyError::StoredRecord(collection.name(), e))?;
            let dependencies = self.dependencies(records.iter()).await?;
            let mut writes = Vec::with_capacity(ids.len());
            for (mut record, stored) in records.into_iter().zip(&stored) {
                let parts = compose(&mut record, Some(stored))?;
                record.base_mut().status = Status::ToBeDeleted;
                // Its content is the stored content: it keeps the stored hash.
                let write = Prepared::new(record, self.now, parts).into_write(&dependencies);
                writes.push(write.keeping_hash(stored.hash).over(Some(stored)));
            }
            self.counts(kind).deleted += writes.len() as u64;
            self.write(collection, writes).await?;
        }
        Ok(())
    }

    /// Applies a file whose records carry the rows of part files (users.csv with roles.csv and
    /// userProfiles.csv; lineItems.csv and results.csv with their objectives and score scales)
    /// together with those: any of them can change a record.
    async fn apply_with_parts(&mut self, kind: FileKind, collection: Collection) -> Result<(), ApplyError> {
        let own = self.modes.get(&kind).copied();
        let part_modes: Vec<(FileKind, Option<Mode>)> =
            kind.parts().iter().map(|part| (*part, self.modes.get(part).copied())).collect();
        if own.is_none() && part_modes.iter().all(|(_, mode)| mode.is_none()) {
            return Ok(());
        }
        let mut part_rows: Vec<(FileKind, Option<Mode>, PartRows)> = Vec::new();
        for (part, mode) in part_modes {
            part_rows.push((part, mode, self.read_parts(part).await?));
        }
        let mut touched: HashSet<String> = part_rows.iter().flat_map(|(_, _, rows)| rows.keys().cloned()).collect();
        let parts_bulk = part_rows.iter().any(|(_, mode, _)| *mode == Some(Mode::Bulk));
        // Stored parts are needed unless every part file replaces them wholesale.
        let need_stored_parts = part_rows.iter().any(|(_, mode, _)| *mode != Some(Mode::Bulk));
        // A 1.1 user's row is the whole of its roles (its role in each of its orgs), kept by org.
        let roles_in_rows = self.version == Version::V1p1;
        let compose = |record: &mut Record, stored: Option<&StoredRecord>| -> Result<Option<String>, ApplyError> {
            let mut parts: Parts = match stored.and_then(|s| s.parts.as_deref()) {
                Some(json) => serde_json::from_str(json).map_err(|e| ApplyError::StoredRecord("parts", e))?,
                None => Parts::new(),
            };
            let id = record.base().sourced_id.to_string();
            for (part, mode, rows) in &part_rows {
                merge(parts.entry(part.part_key().to_owned()).or_default(), *mode, rows.get(&id));
            }
            if let (true, Record::User(user)) = (roles_in_rows, &*record) {
                let roles = user
                    .roles
                    .iter()
                    .map(|role| (role.org.sourced_id.to_string(), serde_json::to_value(role).unwrap_or_default()));
                parts.insert(FileKind::Roles.part_key().to_owned(), roles.collect());
            }
            assemble(record, &parts)?;
            Ok(Some(serde_json::to_string(&parts).unwrap_or_default()))
        };

        let mut known = self.known(collection, own == Some(Mode::Bulk) || parts_bulk).await?;
        if own.is_some() {
            let mut rows = self.reading.rows(kind);
            while let Some(chunk) = rows.recv().await {
                let records = self.of_unit(chunk?);
                for r in &records {
                    touched.remove(r.base().sourced_id.as_str());
                }
                self.apply_chunk(kind, collection, records, &mut known, need_stored_parts, &compose).await?;
            }
        }
        // Records changed only through their parts (and, when a part file is bulk but the
        // record file is not, every stored record of the feed, since any of them may have lost a
        // part; an API client's record holds its roles in its body, which a part file without
        // rows of it leaves).
        if parts_bulk && own != Some(Mode::Bulk) {
            if let Some(digests) = &known.digests {
                touched.extend(digests.iter().filter(|(_, held)| !held.seen && !held.api).map(|(id, _)| id.clone()));
            }
        }
        let mut touched: Vec<String> = touched.into_iter().collect();
        touched.sort();
        for ids in touched.chunks(CHUNK) {
            let mut records = Vec::with_capacity(ids.len());
            for stored in self.store.get_many(collection, ids).await? {
                records.push(
                    Record::from_json(collection, &stored.body)
                        .map_err(|e| ApplyError::StoredRecord(collection.name(), e))?,
                );
            }
            self.apply_chunk(kind, collection, records, &mut known, true, &compose).await?;
        }
        if own == Some(Mode::Bulk) {
            self.tombstone_unseen(kind, collection, known, &|record, stored| keep_parts(record, stored)).await?;
        }
        Ok(())
    }

    /// The stored records that the links of `records` depend on (see
    /// [`Record::link_dependency`]): a score scale's class, a classless result's line item.
    async fn dependencies<'r>(&self, records: impl Iterator<Item = &'r Record>) -> Result<Named, ApplyError> {
        let names = records.filter_map(Record::link_dependency).map(|(c, id)| (c, id.to_string())).collect();
        Ok(self.store.get_named(names).await?)
    }

    /// Reads every row of a part file, grouped by the record it belongs to.
    async fn read_parts(&self, kind: FileKind) -> Result<PartRows, ApplyError> {
        let mut by_owner = PartRows::new();
        if !self.modes.contains_key(&kind) {
            return Ok(by_owner);
        }
        let mut rows = self.reading.rows(kind);
        while let Some(chunk) = rows.recv().await {
            for part in chunk?.into_iter().filter_map(Row::into_part).filter(|p| self.part.holds(p.owner.as_str())) {
                by_owner.entry(part.owner.to_string()).or_default().push(part);
            }
        }
        Ok(by_owner)
    }
}

/// Puts a record's parts into it: a user's roles and profiles, a line item's or result's
/// learning objectives (grouped by source) and score scale.
fn assemble(record: &mut Record, parts: &Parts) -> Result<(), ApplyError> {
    fn values<T: serde::de::DeserializeOwned>(parts: &Parts, key: &str) -> Result<Vec<T>, ApplyError> {
        parts
            .get(key)
            .into_iter()
            .flat_map(BTreeMap::values)
            .map(|value| serde_json::from_value(value.clone()).map_err(|e| ApplyError::StoredRecord("a part", e)))
            .collect()
    }
    // A line item's or result's objectives, and its score scale (the last row names it).
    let objectives = || values::<ObjectiveRow>(parts, FileKind::LineItemLearningObjectiveIds.part_key());
    let scale = || Ok::<_, ApplyError>(values::<GuidRef>(parts, FileKind::LineItemScoreScales.part_key())?.pop());
    match record {
        Record::User(user) => {
            user.roles = values(parts, FileKind::Roles.part_key())?;
            user.user_profiles = values(parts, FileKind::UserProfiles.part_key())?;
        }
        Record::LineItem(item) => {
            item.learning_objective_set = LearningObjectiveSet::grouped(&objectives()?);
            item.score_scale = scale()?;
        }
        Record::Result(result) => {
            result.learning_objective_set = LearningObjectiveScoreSet::grouped(&objectives()?);
            result.score_scale = scale()?;
        }
        _ => {}
    }
    Ok(())
}

/// Folds the rows of one part file into a user's stored parts: a bulk file replaces them, a
/// delta file upserts and removes, an absent file leaves them.
fn merge<T: Clone>(parts: &mut BTreeMap<String, T>, mode: Option<Mode>, rows: Option<&Vec<Part<T>>>) {
    match mode {
        None => {}
        Some(Mode::Bulk) => {
            parts.clear();
            parts.extend(rows.into_iter().flatten().map(|p| (p.id.to_string(), p.value.clone())));
        }
        Some(Mode::Delta) => {
            for part in rows.into_iter().flatten() {
                if part.status == Status::ToBeDeleted {
                    parts.remove(part.id.as_str());
                } else {
                    parts.insert(part.id.to_string(), part.value.clone());
                }
            }
        }
    }
}

/// For tombstones: a record keeps the parts it has.
fn keep_parts(_record: &mut Record, stored: Option<&StoredRecord>) -> Result<Option<String>, ApplyError> {
    Ok(stored.and_then(|s| s.parts.clone()))
}

/// A record ready to be compared with what is stored: with the import time, and its body and
/// content hash made in one serialisation. Links and view are left to [`Prepared::into_write`],
/// for the records that are written (a nightly bulk writes few of them).
struct Prepared {
    encoded: Encoded,
    parts: Option<String>,
}

impl Prepared {
    fn new(mut record: Record, now: Timestamp, parts: Option<String>) -> Self {
        record.base_mut().date_last_modified = now;
        Self { encoded: Encoded::new(record), parts }
    }

    fn id(&self) -> &oneroster_model::SourcedId {
        self.encoded.id()
    }

    fn status(&self) -> &Status {
        self.encoded.status()
    }

    /// The write, with the record's links (given the records they depend on) and its view.
    /// Nothing stored is known yet ([`Mutation::over`]).
    fn into_write(self, dependencies: &Named) -> Mutation {
        Mutation::put(self.encoded, dependencies).with_parts(self.parts)
    }
}

#[cfg(test)]
mod against_memory;

#[cfg(test)]
mod tests {
    use super::*;
    use oneroster_model::SourcedId;
    use serde_json::json;

    fn part(id: &str, status: Status, value: &str) -> Part<String> {
        Part {
            id: SourcedId::parse(id).unwrap(),
            owner: SourcedId::parse("u1").unwrap(),
            of: Collection::Users,
            status,
            value: value.to_owned(),
        }
    }

    fn held(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(id, value)| (id.to_string(), value.to_string())).collect()
    }

    #[test]
    fn a_part_file_replaces_upserts_removes_or_leaves_a_records_parts() {
        let stored = [("r1", "old 1"), ("r2", "old 2")];
        let rows = vec![
            part("r2", Status::Active, "new 2"),
            part("r3", Status::Active, "new 3"),
            part("r1", Status::ToBeDeleted, "gone 1"),
        ];
        let deleting = rows[2..].to_vec();
        // What the file is, its mode, its rows of the record, the parts the record then holds.
        type Case<'c> = (&'c str, Option<Mode>, Option<&'c Vec<Part<String>>>, &'c [(&'c str, &'c str)]);
        let cases: [Case; 6] = [
            ("absent file", None, Some(&rows), &stored),
            ("bulk file", Some(Mode::Bulk), Some(&rows), &[("r1", "gone 1"), ("r2", "new 2"), ("r3", "new 3")]),
            ("bulk file without rows of the record", Some(Mode::Bulk), None, &[]),
            ("delta file", Some(Mode::Delta), Some(&rows), &[("r2", "new 2"), ("r3", "new 3")]),
            ("delta file without rows of the record", Some(Mode::Delta), None, &stored),
            ("delta file deleting what is not held", Some(Mode::Delta), Some(&deleting), &[("r2", "old 2")]),
        ];
        for (case, mode, rows, expected) in cases {
            let mut parts = held(&stored);
            merge(&mut parts, mode, rows);
            assert_eq!(parts, held(expected), "{case}");
        }
    }

    fn record(collection: Collection, fields: serde_json::Value) -> Record {
        let mut json = json!({"sourcedId": "r-1", "status": "active", "dateLastModified": "2026-01-01T00:00:00.000Z"});
        json.as_object_mut().unwrap().extend(fields.as_object().unwrap().clone());
        Record::from_json(collection, &json.to_string()).unwrap()
    }

    fn reference(kind: &str, id: &str) -> serde_json::Value {
        json!({"href": format!("/{kind}s/{id}"), "sourcedId": id, "type": kind})
    }

    fn user() -> Record {
        let role = json!({"roleType": "primary", "role": "teacher", "org": reference("org", "s-1")});
        let fields = json!({"enabledUser": "true", "givenName": "A", "familyName": "B", "roles": [role]});
        record(Collection::Users, fields)
    }

    fn line_item() -> Record {
        record(
            Collection::LineItems,
            json!({
                "title": "Essay", "assignDate": "2026-09-01T00:00:00.000Z", "dueDate": "2026-09-08T00:00:00.000Z",
                "class": reference("class", "k-1"), "school": reference("org", "s-1"),
                "category": reference("category", "g-1"),
            }),
        )
    }

    fn parts(entries: &[(FileKind, &[(&str, serde_json::Value)])]) -> Parts {
        entries
            .iter()
            .map(|(kind, rows)| {
                let rows = rows.iter().map(|(id, value)| (id.to_string(), value.clone())).collect();
                (kind.part_key().to_owned(), rows)
            })
            .collect()
    }

    #[test]
    fn a_users_roles_and_profiles_are_its_parts_only() {
        let role = json!({"roleType": "primary", "role": "student", "org": reference("org", "s-2")});
        let profile = json!({"profileId": "p-1", "profileType": "lms", "vendorId": "v"});
        let cases = [
            (parts(&[]), 0, 0),
            (parts(&[(FileKind::Roles, &[("ro-1", role.clone()), ("ro-2", role)])]), 2, 0),
            (parts(&[(FileKind::UserProfiles, &[("p-1", profile)])]), 0, 1),
        ];
        for (held, roles, profiles) in cases {
            let mut user = user();
            assemble(&mut user, &held).unwrap();
            let Record::User(user) = user else { unreachable!("a user") };
            assert_eq!((user.roles.len(), user.user_profiles.len()), (roles, profiles), "{held:?}");
        }
    }

    #[test]
    fn a_line_items_objectives_group_by_source_and_its_last_scale_wins() {
        let objective = |source: &str, id: &str| json!({"source": source, "learningObjectiveId": id});
        let held = parts(&[
            (
                FileKind::LineItemLearningObjectiveIds,
                &[("o-1", objective("case", "a")), ("o-2", objective("other", "b")), ("o-3", objective("case", "c"))],
            ),
            (
                FileKind::LineItemScoreScales,
                &[("s-1", reference("scoreScale", "x")), ("s-2", reference("scoreScale", "y"))],
            ),
        ]);
        let mut item = line_item();
        assemble(&mut item, &held).unwrap();
        let Record::LineItem(item) = item else { unreachable!("a line item") };
        let sets: Vec<(&str, Vec<&str>)> = item
            .learning_objective_set
            .iter()
            .map(|set| (set.source.as_str(), set.learning_objective_ids.iter().map(String::as_str).collect()))
            .collect();
        assert_eq!(sets, [("case", vec!["a", "c"]), ("other", vec!["b"])]);
        assert_eq!(item.score_scale.map(|s| s.sourced_id.to_string()).as_deref(), Some("y"));
    }

    #[test]
    fn records_without_parts_are_left_as_they_are() {
        let org = || record(Collection::Orgs, json!({"name": "A", "type": "school", "identifier": ""}));
        let held = parts(&[(FileKind::Roles, &[("ro-1", json!({"role": "student"}))])]);
        let mut assembled = org();
        assemble(&mut assembled, &held).unwrap();
        assert_eq!(assembled, org());
    }

    #[test]
    fn a_stored_part_of_the_wrong_shape_is_a_stored_record_error() {
        let held = parts(&[(FileKind::Roles, &[("ro-1", json!({"role": "student"}))])]);
        let error = assemble(&mut user(), &held).unwrap_err();
        assert!(matches!(error, ApplyError::StoredRecord("a part", _)), "{error}");
    }

    #[test]
    fn a_prepared_record_carries_the_jobs_time_and_hashes_without_it() {
        let now = Timestamp::from_millis(1_800_000_000_000);
        let prepared = Prepared::new(user(), now, Some("{}".into()));
        assert_eq!(prepared.encoded.record().base().date_last_modified, now);
        assert_eq!((prepared.id().as_str(), prepared.status()), ("r-1", &Status::Active));
        let later = Prepared::new(user(), Timestamp::from_millis(1_900_000_000_000), None);
        assert_eq!(prepared.encoded.hash(), later.encoded.hash(), "the time is not content");
        assert_eq!(prepared.parts.as_deref(), Some("{}"));
    }
}
