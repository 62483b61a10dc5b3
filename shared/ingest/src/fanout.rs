//! The apply of a validated job, fanned out: the steps of the state machine in
//! `infra/ingest-apply.asl.json` ([`DEFINITION`]), which Step Functions runs in AWS (each step
//! an invocation of the ingest-apply function) and `states-local` runs in this process locally.
//!
//! - **apply** one [`Unit`] (a file's records in one part of the record shards): renews the
//!   tenant's lock, marks the unit begun ([`UnitStart`]: a unit that finished already does
//!   nothing; one begun before and not finished is *restarted*), applies it, then keeps what it
//!   did and the parents whose packs it made stale with the job;
//! - **upkeep** after every unit: the packs of one part of the parents, or the kept counts of
//!   one collection (only if a unit wrote to it);
//! - **finish**: the units' counts added up into the job and its report; the job applied, the
//!   lock released;
//! - **fail**: the job failed, saying which step and why; the lock released.
//!
//! Each step is idempotent, so a step retried (by the state machine's `Retry`, or a whole apply
//! resumed after the process running it stopped) redoes nothing another finished.

use crate::apply::{apply_unit, rebuild_packs, recount, Applied, ApplyError, Applying, Unit};
use crate::job::{lease_end, Ingest, RetryLater};
use crate::uploads::Upload;
use futures::future::BoxFuture;
use futures::FutureExt;
use oneroster_model::Collection;
use oneroster_store::{Job, JobState, ShardPart, StoreError, Tenant, UnitStart};
use serde::{Deserialize, Serialize};
// A step's failure, as `Ingest::step_json` answers it.
pub use states_local::Failure;
use states_local::{Machine, Tasks};
use std::collections::BTreeSet;
use tracing::{info, warn};

/// The apply's state machine definition: the file the template gives Step Functions.
pub const DEFINITION: &str = include_str!("../../../infra/ingest-apply.asl.json");

/// The job an apply's steps are of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobRef {
    /// The tenant.
    pub tenant: String,
    /// The job's id.
    pub id: String,
    /// Into how many parts of their ids the parents' packs are rebuilt: a unit keeps the
    /// parents it made stale by these parts.
    pub pack_parts: u64,
}

/// The input of the apply's state machine: the job, how many steps run at once, the units
/// stage by stage ([`crate::apply::plan`]) and the upkeep after them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApplyInput {
    /// The job.
    pub job: JobRef,
    /// Steps of one map run at once: the knob of the fan-out's pace.
    pub workers: u64,
    /// The units, stage after stage.
    pub stages: Vec<Vec<Unit>>,
    /// The upkeep after every unit.
    pub upkeep: Vec<Upkeep>,
}

/// One step of the upkeep after every unit of an apply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Upkeep {
    /// The packs of the stale parents in one part of the parents' ids.
    Packs(ShardPart),
    /// The kept counts of one collection (by name).
    Counts(String),
}

/// One step, as the state machine's task parameters make it.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "step", rename_all = "camelCase")]
pub enum Step {
    /// Apply one unit.
    Apply {
        /// The job.
        job: JobRef,
        /// The unit.
        unit: Unit,
    },
    /// One step of the upkeep.
    Upkeep {
        /// The job.
        job: JobRef,
        /// What to rebuild.
        upkeep: Upkeep,
    },
    /// Finish the job.
    Finish {
        /// The job.
        job: JobRef,
    },
    /// Fail the job.
    Fail {
        /// The job.
        job: JobRef,
        /// The failure that ended the apply, as the state machine caught it.
        error: Option<CaughtError>,
    },
}

/// A failure as a state machine's `Catch` hands it on.
#[derive(Debug, Clone, Deserialize)]
pub struct CaughtError {
    /// The error's name.
    #[serde(rename = "Error", default)]
    pub error: String,
    /// Its cause.
    #[serde(rename = "Cause", default)]
    pub cause: String,
}

/// Why a step failed: its error's name is what the state machine retries on.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// Every run of the step would fail the same way (a record too large to store, the job
    /// not running, the tenant's lock lost): named `Unfinishable`, never retried.
    #[error("{0}")]
    Unfinishable(String),
    /// Another run may succeed (the store throttled, S3 unreachable): named `Retryable`.
    #[error("{0}")]
    Retryable(String),
}

impl StepError {
    /// The error's name, as the definition's `Retry` and `Catch` match it.
    pub fn name(&self) -> &'static str {
        match self {
            StepError::Unfinishable(_) => "Unfinishable",
            StepError::Retryable(_) => "Retryable",
        }
    }
}

impl From<RetryLater> for StepError {
    fn from(e: RetryLater) -> Self {
        match e.is_retryable() {
            true => StepError::Retryable(e.to_string()),
            false => StepError::Unfinishable(e.to_string()),
        }
    }
}

impl From<StoreError> for StepError {
    fn from(e: StoreError) -> Self {
        RetryLater::Store(e).into()
    }
}

impl From<ApplyError> for StepError {
    fn from(e: ApplyError) -> Self {
        RetryLater::Apply(e).into()
    }
}

/// The steps of this process's ingest as the local runner's tasks: every `Resource` of the
/// definition is the ingest-apply function, here.
pub struct Steps<'a>(pub &'a Ingest);

impl Tasks for Steps<'_> {
    fn invoke<'a>(
        &'a self,
        _resource: &'a str,
        input: serde_json::Value,
    ) -> BoxFuture<'a, Result<serde_json::Value, Failure>> {
        self.0.step_json(input).boxed()
    }
}

/// The apply's state machine, read from [`DEFINITION`].
pub fn machine() -> Machine {
    Machine::parse(DEFINITION).expect("the definition is one states-local runs (tested)")
}

/// The state machine's input for applying job `job` (of `tenant`) of a package whose units are
/// `stages`.
pub(crate) fn input(tenant: &str, job: &str, workers: u64, stages: Vec<Vec<Unit>>) -> ApplyInput {
    let pack_parts = ShardPart::cut(workers);
    let collections: BTreeSet<Collection> = stages.iter().flatten().filter_map(|u| u.file.collection()).collect();
    let upkeep = pack_parts
        .iter()
        .map(|part| Upkeep::Packs(*part))
        .chain(collections.iter().map(|c| Upkeep::Counts(c.name().to_owned())))
        .collect();
    let job = JobRef { tenant: tenant.to_owned(), id: job.to_owned(), pack_parts: pack_parts.len() as u64 };
    ApplyInput { job, workers: workers.max(1), stages, upkeep }
}

impl Ingest {
    /// Runs one step of an apply as the state machine's task hands it (JSON), its failure
    /// named as the definition's `Retry` and `Catch` match it (`Unfinishable`, `Retryable`).
    pub async fn step_json(&self, input: serde_json::Value) -> Result<serde_json::Value, Failure> {
        let step: Step = serde_json::from_value(input)
            .map_err(|e| Failure::new("Unfinishable", format!("not a step of the apply: {e}")))?;
        self.step(step).await.map_err(|e| Failure::new(e.name(), e.to_string()))
    }

    /// Runs one step of an apply.
    #[tracing::instrument(skip_all, fields(tenant = %step_job(&step).tenant, job = %step_job(&step).id))]
    pub async fn step(&self, step: Step) -> Result<serde_json::Value, StepError> {
        match step {
            Step::Apply { job, unit } => self.apply_step(&job, unit).await?,
            Step::Upkeep { job, upkeep } => self.upkeep_step(&job, &upkeep).await?,
            Step::Finish { job } => self.finish_step(&job).await?,
            Step::Fail { job, error } => self.fail_step(&job, error).await?,
        }
        Ok(serde_json::Value::Null)
    }

    /// Runs the apply of `job` (validated, its [`ApplyInput`] kept with it) in this process to
    /// its end, with `tasks` doing the steps ([`Steps`] of this ingest, or a test's), paced as
    /// a local coordinator says; the job as the apply left it.
    pub async fn apply_locally(&self, job: &Job, tasks: &dyn Tasks) -> Result<Job, RetryLater> {
        let input = job.applying.clone().unwrap_or_default();
        let pace = match self.coordinator {
            crate::job::Coordinator::Local { pace } => pace,
            _ => 1.0,
        };
        if let Err(failure) = machine().paced(pace).run(input, tasks).await {
            warn!(error = %failure, "the apply failed");
        }
        let after = match Tenant::of_upload_key(&job.key) {
            Ok(tenant) => self.store.tenant(&tenant).jobs().get(&job.id).await?,
            Err(_) => None,
        };
        Ok(after.unwrap_or_else(|| job.clone()))
    }

    /// The job a step is of, and its tenant.
    async fn running(&self, job: &JobRef) -> Result<(Tenant, Job), StepError> {
        let tenant = tenant_of(&job.tenant)?;
        let found = self.store.tenant(&tenant).jobs().get(&job.id).await?;
        let found = found.ok_or_else(|| StepError::Unfinishable(format!("job '{}' is not known", job.id)))?;
        Ok((tenant, found))
    }

    /// The job a unit or upkeep step is of: running, its tenant's lock renewed for another
    /// lease (a step lasts less than one: the template test checks the step function's timeout).
    async fn renewed(&self, job_ref: &JobRef) -> Result<(Tenant, Job), StepError> {
        let (tenant, job) = self.running(job_ref).await?;
        if job.state != JobState::Running {
            return Err(StepError::Unfinishable(format!("job '{}' is no longer running", job.id)));
        }
        if !self.store.tenant(&tenant).jobs().acquire_lock(&job.id, lease_end()).await? {
            return Err(StepError::Unfinishable("another job took the tenant's ingest lock".into()));
        }
        Ok((tenant, job))
    }

    async fn apply_step(&self, job_ref: &JobRef, unit: Unit) -> Result<(), StepError> {
        let (tenant, job) = self.renewed(job_ref).await?;
        let jobs = self.store.tenant(&tenant).jobs();
        let name = unit.name();
        let start = jobs.begin_unit(&job.id, &name).await?;
        if start == UnitStart::Fresh || start == UnitStart::Restarted {
            let local =
                self.uploads.fetch(&job.bucket, &job.key, &self.settings.limits).await.map_err(RetryLater::from)?;
            let settings = self.store.tenant(&tenant).settings().await?;
            let store = self.store.tenant(&tenant);
            let (limits, now) = (&self.settings.limits, job.started);
            let applying = Applying { job: &job.id, path: local.path(), limits, now, settings: &settings };
            let (mut applied, stale) = apply_unit(&store, &applying, unit).await?;
            if start == UnitStart::Restarted {
                applied.restarted.extend(unit.file.collection());
            }
            let parts = ShardPart::cut(job_ref.pack_parts);
            jobs.finish_unit(&job.id, &name, &applied, &stale, &parts).await?;
        }
        info!(unit = name, restarted = start == UnitStart::Restarted, "unit done");
        Ok(())
    }

    /// What the units of `job` did, added up.
    async fn units_applied(&self, tenant: &Tenant, job: &str) -> Result<Applied, StepError> {
        let mut applied = Applied::default();
        for unit in self.store.tenant(tenant).jobs().units(job).await? {
            let done =
                unit.done.ok_or_else(|| StepError::Unfinishable(format!("unit {} did not finish", unit.unit)))?;
            let done: Applied = serde_json::from_value(done)
                .map_err(|e| StepError::Unfinishable(format!("unit {}: {e}", unit.unit)))?;
            applied.add(done);
        }
        Ok(applied)
    }

    async fn upkeep_step(&self, job_ref: &JobRef, upkeep: &Upkeep) -> Result<(), StepError> {
        let (tenant, job) = self.renewed(job_ref).await?;
        let applied = self.units_applied(&tenant, &job.id).await?;
        let store = self.store.tenant(&tenant);
        match upkeep {
            Upkeep::Packs(part) => {
                let stale = store.jobs().stale_packs(&job.id, *part).await?;
                rebuild_packs(&store, *part, stale, &applied).await?;
            }
            Upkeep::Counts(name) => {
                let collection = Collection::from_name(name)
                    .ok_or_else(|| StepError::Unfinishable(format!("'{name}' is not a collection")))?;
                recount(&store, collection, &applied).await?;
            }
        }
        Ok(())
    }

    async fn finish_step(&self, job_ref: &JobRef) -> Result<(), StepError> {
        let (tenant, mut job) = self.running(job_ref).await?;
        if job.state == JobState::Running {
            let applied = self.units_applied(&tenant, &job.id).await?;
            let mut report = self.written_report(&job).await;
            job.items_written = applied.items_written;
            for (file, counts) in applied.files.iter().filter(|(_, counts)| counts.left_out > 0) {
                let (n, reason) = (counts.left_out, crate::licence::reason(file));
                report.warn(format!("{file}: {n} rows left out by the district's licensed schools: {reason}"));
            }
            for (file, ids) in &applied.restored {
                report.warn(crate::job::restored_warning(file, ids));
            }
            let upload = upload_of(&tenant, &job);
            self.finish(&upload, job, report, crate::job::Verdict::Applied(applied.files)).await?;
        }
        self.release(&tenant, &job_ref.id).await;
        Ok(())
    }

    async fn fail_step(&self, job_ref: &JobRef, error: Option<CaughtError>) -> Result<(), StepError> {
        let (tenant, job) = self.running(job_ref).await?;
        if job.state == JobState::Running {
            let why = error.map_or_else(|| "a step failed".to_owned(), |e| format!("{} ({})", e.cause, e.error));
            let mut report = self.written_report(&job).await;
            report.file_error(
                &job.key,
                oneroster_csv::Code::Failed,
                format!(
                    "the ingest could not finish applying this upload: {why}; part of the package may be applied: \
                     upload it again to finish"
                ),
            );
            let upload = upload_of(&tenant, &job);
            self.finish(&upload, job, report, crate::job::Verdict::Failed).await?;
        }
        self.release(&tenant, &job_ref.id).await;
        Ok(())
    }

    /// Releases the tenant's lock held by the job.
    async fn release(&self, tenant: &Tenant, job: &str) {
        if let Err(e) = self.store.tenant(tenant).jobs().release_lock(job).await {
            warn!(error = %e, "releasing the ingest lock failed; it expires by itself");
        }
    }
}

fn step_job(step: &Step) -> &JobRef {
    match step {
        Step::Apply { job, .. } | Step::Upkeep { job, .. } | Step::Finish { job } | Step::Fail { job, .. } => job,
    }
}

fn tenant_of(id: &str) -> Result<Tenant, StepError> {
    Tenant::of_upload_key(id).map_err(|e| StepError::Unfinishable(format!("'{id}' is not a tenant: {e}")))
}

fn upload_of(tenant: &Tenant, job: &Job) -> Upload {
    Upload { bucket: job.bucket.clone(), key: job.key.clone(), tenant: tenant.clone(), job_id: job.id.clone() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oneroster_csv::{FileKind, Mode};

    /// Step Functions refuses a state's input or output past 256 KiB.
    const PAYLOAD_LIMIT: usize = 256 * 1024;

    #[test]
    fn the_largest_apply_s_input_fits_a_step_functions_payload_and_its_steps_read_back() {
        let every_file = FileKind::ALL.into_iter().map(|kind| (kind, Mode::Bulk)).collect();
        // A 1,000,000-student district's rows, about: ten million enrollments, a million users.
        let rows = |kind: FileKind| match kind {
            FileKind::Enrollments => 10_000_000,
            FileKind::Users => 1_000_000,
            _ => 1_000,
        };
        let stages = crate::apply::plan(&every_file, rows, 16);
        let units = |file: FileKind| stages.iter().flatten().filter(|u| u.file == file).count();
        assert_eq!((units(FileKind::Enrollments), units(FileKind::Users), units(FileKind::Orgs)), (256, 32, 16));
        assert!(stages.len() >= 16, "{} stages", stages.len());
        let input = input(&"t".repeat(64), &"0".repeat(32), 16, stages);
        let text = serde_json::to_string(&input).unwrap();
        assert!(text.len() < PAYLOAD_LIMIT / 4, "{} bytes", text.len());
        assert_eq!((input.workers, input.job.pack_parts), (16, 16));
        let back: ApplyInput = serde_json::from_str(&text).unwrap();
        assert_eq!(back, input);
        // What the definition's ItemSelector makes of a unit and an upkeep item.
        let unit = serde_json::json!({"step": "apply", "job": input.job, "unit": input.stages[3][15]});
        assert!(matches!(serde_json::from_value(unit).unwrap(), Step::Apply { unit, .. } if unit.part.part == 15));
        let sliced = serde_json::json!({"file": "enrollments.csv", "part": 200, "parts": 256});
        assert!(serde_json::from_value::<Unit>(sliced).is_ok());
        let upkeep = serde_json::json!({"step": "upkeep", "job": input.job, "upkeep": input.upkeep.last()});
        assert!(matches!(serde_json::from_value(upkeep).unwrap(), Step::Upkeep { upkeep: Upkeep::Counts(_), .. }));
        let failed =
            serde_json::json!({"step": "fail", "job": input.job, "error": {"Error": "Retryable", "Cause": "x"}});
        assert!(
            matches!(serde_json::from_value(failed).unwrap(), Step::Fail { error: Some(e), .. } if e.error == "Retryable")
        );
        machine();
    }

    #[test]
    fn a_unit_names_a_file_of_records_and_a_part_of_the_shards() {
        for bad in [
            serde_json::json!({"file": "roles.csv", "part": 0, "parts": 1}),
            serde_json::json!({"file": "users.csv", "part": 4, "parts": 4}),
            serde_json::json!({"file": "users.csv", "part": 0, "parts": 3}),
            serde_json::json!({"file": "users.csv", "part": 0, "parts": 512}),
        ] {
            assert!(serde_json::from_value::<Unit>(bad.clone()).is_err(), "{bad}");
        }
        let unit: Unit =
            serde_json::from_value(serde_json::json!({"file": "users.csv", "part": 1, "parts": 4})).unwrap();
        assert_eq!(unit.name(), "users.csv#1-of-4");
    }
}
