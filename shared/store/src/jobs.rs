//! Ingest jobs (one per uploaded object, so a second delivery of the same object finds its job
//! and does nothing) and the per-tenant ingest lock (so two uploads of one tenant never
//! interleave).

use crate::attr;
use crate::batch::{write_all, Item, Write};
use crate::keys::ShardPart;
use crate::keys::{
    job_key, job_packs_key, job_packs_prefix, job_unit_key, job_units_partition, jobs_partition, lock_key,
};
use crate::records::s;
use crate::tenant::check_owner;
use crate::{StoreError, TenantJobs};
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::AttributeValue;
use oneroster_model::{Relation, TenantId, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// How long what the units of a job's apply did is kept: long past the job's end (a unit's
/// item tells a redelivered unit it is done), then removed by the table's TTL.
const UNITS_KEPT_SECONDS: i64 = 14 * 86_400;

/// Bytes of parent names one item of stale packs holds (well under an item's 400 KB).
const STALE_PACKS_CHUNK_BYTES: usize = 300_000;

/// How a unit of a job's apply begins ([`TenantJobs::begin_unit`]).
#[derive(Debug, Clone, PartialEq)]
pub enum UnitStart {
    /// For the first time.
    Fresh,
    /// Again, after a run of it stopped before it finished: it may have written part of its
    /// records, and those it finds unchanged now, so the packs it made stale are not known.
    Restarted,
    /// It finished already: what it did, as [`TenantJobs::finish_unit`] kept it.
    Done(serde_json::Value),
}

/// A unit of a job's apply as its item keeps it: begun, and what it did once finished.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitItem {
    /// The unit's name.
    pub unit: String,
    /// Whether a run of it began more than once without finishing before.
    pub restarted: bool,
    /// What it did, once finished.
    pub done: Option<serde_json::Value>,
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    /// Validating or applying; a job found in this state was interrupted and is run again.
    Running,
    /// Validation found errors: nothing was changed.
    Rejected,
    /// Applied.
    Applied,
    /// Valid, but not applied: the bulk would mark more of a collection `tobedeleted` than the
    /// district allows, or misses what the district expects of every bulk ([`Hold`]). It waits
    /// for an admin: approved, it runs again (revalidated against the data as it is then);
    /// rejected, it is dropped for good.
    Held,
    /// The ingest stopped without finishing: a failure trying again cannot get past, or runs
    /// that kept stopping. If it stopped while applying, part of the package may be applied;
    /// the report says so, and the next upload of the package finishes it.
    Failed,
}

/// Counts for one file of a package. Each row is counted once: a row that takes over an API
/// client's record counts as `takenOver` only, whatever it did to it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileCounts {
    /// `bulk` or `delta`.
    pub mode: String,
    /// Data rows read.
    pub rows: u64,
    /// Records created.
    pub created: u64,
    /// Records whose content or status changed.
    pub updated: u64,
    /// Records marked `tobedeleted`.
    pub deleted: u64,
    /// Records left as they were (same content, no write).
    pub unchanged: u64,
    /// Records an API client had written (or deleted) that a row of the feed took over: written
    /// as the row says, even with the same content, and the feed's from then on. Absent from
    /// jobs saved before take-overs were counted.
    #[serde(default)]
    pub taken_over: u64,
    /// Rows the district's licence left out (records of schools it has not licensed), stored as
    /// if the file lacked them.
    #[serde(default)]
    pub left_out: u64,
}

impl FileCounts {
    /// Adds what another part of an apply counted (a chunk of the file, a unit of it); the
    /// mode and the rows read stay as they are.
    pub fn add(&mut self, other: &FileCounts) {
        self.created += other.created;
        self.updated += other.updated;
        self.deleted += other.deleted;
        self.unchanged += other.unchanged;
        self.taken_over += other.taken_over;
        self.left_out += other.left_out;
    }
}

/// The record of one ingest: what was uploaded, what became of it. The full report (every
/// listed error) goes to S3 beside the upload; this keeps the summary and the first errors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    /// The job id: derived from the object's identity, so a redelivery maps to the same job.
    pub id: String,
    /// The tenant (first segment of the object key).
    pub tenant: TenantId,
    /// The bucket.
    pub bucket: String,
    /// The object key.
    pub key: String,
    /// The state.
    pub state: JobState,
    /// When the job started: the import time given to bulk records.
    pub started: Timestamp,
    /// When it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished: Option<Timestamp>,
    /// Counts per file.
    #[serde(default)]
    pub files: BTreeMap<String, FileCounts>,
    /// Items written to the table (records and relation entries).
    #[serde(default)]
    pub items_written: u64,
    /// Warnings (leniencies taken).
    #[serde(default)]
    pub warnings: Vec<String>,
    /// All errors found.
    #[serde(default)]
    pub error_count: u64,
    /// All errors found, by code (`unknown_reference`, `too_long`, …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub error_counts: BTreeMap<String, u64>,
    /// The first errors, as `file:line column: reason` lines.
    #[serde(default)]
    pub errors: Vec<String>,
    /// Runs of the job that started. A delivery that finds the job still running knows the
    /// run before it stopped without finishing (its worker died, or a failure left it for
    /// redelivery); past a few, the job is failed instead of tried again.
    #[serde(default)]
    pub attempts: u32,
    /// Where the full JSON report is in the upload bucket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_key: Option<String>,
    /// Why a bulk was held, and what an admin decided (absent when it never was).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold: Option<Hold>,
    /// The input of the apply's state machine, once the package is valid and to be applied: a
    /// job found running with it is being applied (or was, by a process that stopped) and is
    /// not validated again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applying: Option<serde_json::Value>,
}

/// Why a valid bulk was held before applying, and the admin's decision on it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Hold {
    /// The district's threshold when the bulk was held: the largest share, in percent, of a
    /// rostering collection's active records a bulk may mark `tobedeleted` unheld.
    pub threshold_percent: u32,
    /// Per rostering collection the bulk carries: its active records and how many of them the
    /// bulk would mark `tobedeleted` (every collection counted, not only those over).
    pub deletions: BTreeMap<String, Deletions>,
    /// The district's expectations the bulk misses, one sentence each (a file with fewer rows
    /// than expected, a licensed school without classes or students).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unmet: Vec<String>,
    /// What an admin decided, once one has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
}

impl Hold {
    /// Whether an admin approved the bulk (it is applied, not held again).
    pub fn approved(&self) -> bool {
        self.decision.as_ref().is_some_and(|d| d.approved)
    }

    /// Keeps the first [`HOLD_UNMET_KEPT`] unmet expectations, each cut to [`JOB_LINE_BYTES`],
    /// and how many more there were (a district licensing hundreds of schools, none rostered).
    pub fn keep_unmet(&mut self, unmet: Vec<String>) {
        let more = unmet.len().saturating_sub(HOLD_UNMET_KEPT);
        self.unmet = unmet.into_iter().take(HOLD_UNMET_KEPT).map(cut_line).collect();
        if more > 0 {
            self.unmet.push(format!("… and {more} more"));
        }
    }
}

/// Unmet expectations a held job keeps.
pub const HOLD_UNMET_KEPT: usize = 20;

/// A rostering collection's deletions as a held bulk would make them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deletions {
    /// Active records stored before the bulk.
    pub active: u64,
    /// Active records the bulk would mark `tobedeleted` (those it lacks that the feed wrote, and
    /// those its rows mark so).
    pub deleting: u64,
    /// Whether this collection is over the threshold (it holds the bulk).
    pub over: bool,
}

/// An admin's decision on a held bulk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    /// Approved (applied, revalidated) or rejected (dropped for good).
    pub approved: bool,
    /// When.
    pub at: Timestamp,
}

/// Errors a job item keeps; the S3 report has them all.
pub const JOB_ERRORS_KEPT: usize = 100;

/// Warnings a job item keeps; the S3 report has them all.
pub const JOB_WARNINGS_KEPT: usize = 50;

/// The most bytes of one error or warning line a job item keeps (cut at a character): with
/// [`JOB_ERRORS_KEPT`] and [`JOB_WARNINGS_KEPT`], a job item stays under 200 KB whatever the
/// upload held, half of what a DynamoDB item may (a job that cannot be saved would stay
/// "running" for ever).
pub const JOB_LINE_BYTES: usize = 1000;

impl Job {
    /// Whether the job is held and approved, but not yet applied: its next run applies it.
    pub fn awaits_its_run(&self) -> bool {
        self.state == JobState::Held && self.hold.as_ref().is_some_and(Hold::approved)
    }

    /// Keeps the head of a report in the job: the first [`JOB_ERRORS_KEPT`] errors and
    /// [`JOB_WARNINGS_KEPT`] warnings, each cut to [`JOB_LINE_BYTES`].
    pub fn keep_lines(&mut self, errors: impl IntoIterator<Item = String>, warnings: impl IntoIterator<Item = String>) {
        self.errors = errors.into_iter().take(JOB_ERRORS_KEPT).map(cut_line).collect();
        self.warnings = warnings.into_iter().take(JOB_WARNINGS_KEPT).map(cut_line).collect();
    }
}

fn cut_line(mut line: String) -> String {
    if line.len() > JOB_LINE_BYTES {
        let end = (0..=JOB_LINE_BYTES - '…'.len_utf8()).rev().find(|i| line.is_char_boundary(*i)).unwrap_or(0);
        line.truncate(end);
        line.push('…');
    }
    line
}

impl TenantJobs<'_> {
    /// Saves a job (create or update); refused when it names another tenant.
    pub async fn put(&self, job: &Job) -> Result<(), StoreError> {
        check_owner(self.tenant, &job.tenant)?;
        self.store.put_json(job_key(self.tenant, &job.id), job).await
    }

    /// A job by id.
    pub async fn get(&self, id: &str) -> Result<Option<Job>, StoreError> {
        let output = self
            .store
            .client
            .get_item()
            .table_name(&self.store.table)
            .set_key(Some(job_key(self.tenant, id).into_item()))
            .consistent_read(true)
            .send()
            .await?;
        output.item.map(|item| job_from(&item)).transpose()
    }

    /// Every job, the latest first.
    pub async fn list(&self) -> Result<Vec<Job>, StoreError> {
        let (client, table) = (&self.store.client, &self.store.table);
        let items = crate::records::query_partition(client, table, jobs_partition(self.tenant), None).await?;
        let mut jobs = items.iter().map(job_from).collect::<Result<Vec<_>, _>>()?;
        jobs.sort_by_key(|job| std::cmp::Reverse(job.started));
        Ok(jobs)
    }

    /// Takes the tenant's ingest lock for `holder` until `until`. Succeeds if the lock is free,
    /// expired, or already held by `holder`; `Ok(false)` if another job holds it.
    pub async fn acquire_lock(&self, holder: &str, until: Timestamp) -> Result<bool, StoreError> {
        let now = Timestamp::now().0.timestamp_millis();
        let result = self
            .store
            .client
            .put_item()
            .table_name(&self.store.table)
            .set_item(Some(lock_key(self.tenant).into_item()))
            .item(attr::KIND, AttributeValue::S("lock".into()))
            .item("holder", AttributeValue::S(holder.to_owned()))
            .item(attr::UNTIL, AttributeValue::N(until.0.timestamp_millis().to_string()))
            // The table's TTL attribute: a lock a crashed job left behind is removed a day on.
            .item(attr::EXPIRES, AttributeValue::N((until.0.timestamp() + 86_400).to_string()))
            .condition_expression("attribute_not_exists(pk) OR #until < :now OR holder = :holder")
            .expression_attribute_names("#until", attr::UNTIL)
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .expression_attribute_values(":holder", AttributeValue::S(holder.to_owned()))
            .send()
            .await;
        crate::put_made(result)
    }

    /// Begins unit `unit` of job `job`'s apply: a fresh start, a start again after a run that
    /// stopped (kept on the unit's item), or nothing to do as it finished already.
    pub async fn begin_unit(&self, job: &str, unit: &str) -> Result<UnitStart, StoreError> {
        let key = job_unit_key(self.tenant, job, unit);
        let expires = (Timestamp::now().0.timestamp() + UNITS_KEPT_SECONDS).to_string();
        let result = self
            .store
            .client
            .put_item()
            .table_name(&self.store.table)
            .set_item(Some(key.clone().into_item()))
            .item("unit", AttributeValue::S(unit.to_owned()))
            .item(attr::EXPIRES, AttributeValue::N(expires))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        if crate::put_made(result)? {
            return Ok(UnitStart::Fresh);
        }
        let read = self.store.client.get_item().table_name(&self.store.table).set_key(Some(key.clone().into_item()));
        let item = read.consistent_read(true).send().await?.item.unwrap_or_default();
        if let Some(done) = s(&item, attr::BODY) {
            return Ok(UnitStart::Done(serde_json::from_str(&done)?));
        }
        self.store
            .client
            .update_item()
            .table_name(&self.store.table)
            .set_key(Some(key.into_item()))
            .update_expression("SET restarted = :yes")
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .send()
            .await?;
        Ok(UnitStart::Restarted)
    }

    /// Finishes unit `unit` of job `job`: first the parents whose packs it made stale, by the
    /// part of `parts` each falls in (for the pack rebuilds that follow every unit), then what
    /// it did (`done`), which marks it finished.
    pub async fn finish_unit<T: Serialize>(
        &self,
        job: &str,
        unit: &str,
        done: &T,
        stale: &BTreeSet<(Relation, String)>,
        parts: &[ShardPart],
    ) -> Result<(), StoreError> {
        let expires = AttributeValue::N((Timestamp::now().0.timestamp() + UNITS_KEPT_SECONDS).to_string());
        let mut writes = Vec::new();
        for part in parts {
            let lines = stale.iter().filter(|(_, parent)| part.holds(parent));
            let mut chunks = vec![String::new()];
            for (relation, parent) in lines {
                if chunks.last().is_some_and(|c| c.len() >= STALE_PACKS_CHUNK_BYTES) {
                    chunks.push(String::new());
                }
                let chunk = chunks.last_mut().expect("one chunk at least");
                chunk.push_str(relation.name());
                chunk.push('\t');
                chunk.push_str(parent);
                chunk.push('\n');
            }
            for (i, chunk) in chunks.into_iter().enumerate().filter(|(_, c)| !c.is_empty()) {
                let mut item: Item = job_packs_key(self.tenant, job, *part, unit, i).into_item();
                item.insert("parents".into(), AttributeValue::S(chunk));
                item.insert(attr::EXPIRES.into(), expires.clone());
                writes.push(Write::Put(item));
            }
        }
        write_all(&self.store.client, &self.store.table, writes).await?;
        self.store
            .client
            .update_item()
            .table_name(&self.store.table)
            .set_key(Some(job_unit_key(self.tenant, job, unit).into_item()))
            .update_expression("SET #body = :done, #expires = :expires")
            .expression_attribute_names("#body", attr::BODY)
            .expression_attribute_names("#expires", attr::EXPIRES)
            .expression_attribute_values(":done", AttributeValue::S(serde_json::to_string(done)?))
            .expression_attribute_values(":expires", expires)
            .send()
            .await?;
        Ok(())
    }

    /// Every unit of job `job`'s apply that began.
    pub async fn units(&self, job: &str) -> Result<Vec<UnitItem>, StoreError> {
        let items = self.units_items(job, "unit#").await?;
        items
            .iter()
            .map(|item| {
                Ok(UnitItem {
                    unit: s(item, "unit").ok_or_else(|| crate::records::bad_item("a job's unit without its name"))?,
                    restarted: item.get("restarted").and_then(|v| v.as_bool().ok()).copied().unwrap_or(false),
                    done: s(item, attr::BODY).map(|body| serde_json::from_str(&body)).transpose()?,
                })
            })
            .collect()
    }

    /// The parents in `part` whose packs the finished units of job `job` made stale.
    pub async fn stale_packs(&self, job: &str, part: ShardPart) -> Result<BTreeSet<(Relation, String)>, StoreError> {
        let mut stale = BTreeSet::new();
        for item in self.units_items(job, &job_packs_prefix(part)).await? {
            for line in s(&item, "parents").unwrap_or_default().lines() {
                let parsed = line.split_once('\t').and_then(|(r, p)| Some((Relation::from_name(r)?, p.to_owned())));
                stale.insert(parsed.ok_or_else(|| crate::records::bad_item("a stale pack's parent"))?);
            }
        }
        Ok(stale)
    }

    /// The items of job `job`'s units partition whose sort keys begin with `prefix`.
    async fn units_items(&self, job: &str, prefix: &str) -> Result<Vec<Item>, StoreError> {
        let query = crate::records::partition_query(
            &self.store.client,
            &self.store.table,
            job_units_partition(self.tenant, job),
            None,
        )
        .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
        .expression_attribute_values(":prefix", AttributeValue::S(prefix.to_owned()))
        .consistent_read(true);
        let mut items = Vec::new();
        crate::records::query_pages(query, |page| items.extend(page.items.unwrap_or_default())).await?;
        Ok(items)
    }

    /// Releases the tenant's ingest lock if `holder` has it.
    pub async fn release_lock(&self, holder: &str) -> Result<(), StoreError> {
        let result = self
            .store
            .client
            .delete_item()
            .table_name(&self.store.table)
            .set_key(Some(lock_key(self.tenant).into_item()))
            .condition_expression("holder = :holder")
            .expression_attribute_values(":holder", AttributeValue::S(holder.to_owned()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

fn job_from(item: &crate::batch::Item) -> Result<Job, StoreError> {
    crate::records::from_json_body(item, "a job")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_counts_name_take_overs_and_read_jobs_saved_before_them() {
        let counts = FileCounts { mode: "delta".into(), rows: 2, taken_over: 1, unchanged: 1, ..Default::default() };
        let json = serde_json::to_value(&counts).unwrap();
        assert_eq!(json["takenOver"], 1, "{json}");
        let saved_before = r#"{"mode":"bulk","rows":1,"created":1,"updated":0,"deleted":0,"unchanged":0}"#;
        let read: FileCounts = serde_json::from_str(saved_before).unwrap();
        assert_eq!((read.created, read.taken_over), (1, 0));
    }

    #[test]
    fn a_job_of_the_worst_report_still_fits_an_item() {
        let huge = "\u{1F600}".repeat(600_000);
        let mut job = Job {
            id: "0".repeat(32),
            tenant: TenantId::parse("t").unwrap(),
            bucket: "b".into(),
            key: "k".repeat(1024),
            state: JobState::Rejected,
            started: Timestamp::now(),
            finished: Some(Timestamp::now()),
            files: (0..22).map(|i| (format!("file{i}.csv"), FileCounts::default())).collect(),
            items_written: 0,
            warnings: Vec::new(),
            error_count: u64::MAX,
            error_counts: (0..40).map(|i| (format!("code_{i}"), u64::MAX)).collect(),
            errors: Vec::new(),
            attempts: 3,
            report_key: Some("k".repeat(1100)),
            hold: Some(Hold {
                threshold_percent: 100,
                deletions: (0..7).map(|i| (format!("collection{i}"), Deletions::default())).collect(),
                ..Default::default()
            }),
            applying: None,
        };
        job.hold.as_mut().unwrap().keep_unmet(std::iter::repeat_n(huge.clone(), 5000).collect());
        assert_eq!(job.hold.as_ref().unwrap().unmet.len(), HOLD_UNMET_KEPT + 1);
        job.keep_lines(std::iter::repeat_n(huge.clone(), 5000), std::iter::repeat_n(huge, 5000));
        assert_eq!((job.errors.len(), job.warnings.len()), (JOB_ERRORS_KEPT, JOB_WARNINGS_KEPT));
        let item = serde_json::to_string(&job).unwrap();
        assert!(item.len() < 200 * 1024, "{} bytes", item.len());
        assert!(job.errors[0].ends_with('…') && job.errors.iter().all(|e| e.len() <= JOB_LINE_BYTES));
        let back: Job = serde_json::from_str(&item).unwrap();
        assert_eq!(back, job);
    }
}
