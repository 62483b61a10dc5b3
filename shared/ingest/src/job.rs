//! One ingest job, from notification to report: at most once per upload, one at a time per
//! tenant, validate everything, then apply only a package without errors. Every job ends
//! saved: a refused or broken package is a rejected job (its report names the fault), and a
//! job whose runs keep stopping is failed after [`Settings::max_attempts`] of them, never left
//! "running".

use crate::apply::{plan, ApplyError};
use crate::fanout::{input, Steps};
use crate::hold::forecast;
use crate::settings::Settings;
use crate::uploads::{Upload, UploadError, Uploads};
use oneroster_csv::package::ZIP;
use oneroster_csv::{validate, Code, Diagnostic, Package, PackageError, Report, StoredReference, Target, Validation};
use oneroster_model::{Collection, DistrictSettings, Timestamp, Timezone};
use oneroster_store::{Decision, FileCounts, Hold, Job, JobState, Store, StoreError, Tenant, TenantStore};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tracing::{info, warn};

/// How long a job may hold its tenant's lock before another may take it over: at least the
/// function's timeout, or a second job could take a lock whose holder still runs (a test
/// checks it against the template).
pub const LOCK_LEASE: Duration = Duration::from_secs(15 * 60);

/// When a lock taken (or renewed) now expires.
pub(crate) fn lease_end() -> Timestamp {
    Timestamp::from_millis(Timestamp::now().0.timestamp_millis() + LOCK_LEASE.as_millis() as i64)
}

/// A job that could not finish now; the message is redelivered and the job runs again.
#[derive(Debug, thiserror::Error)]
pub enum RetryLater {
    /// Another upload of the tenant is being ingested.
    #[error("another upload of tenant {0} is being ingested")]
    TenantBusy(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// S3 failed.
    #[error(transparent)]
    Upload(#[from] UploadError),
    /// Applying failed midway.
    #[error(transparent)]
    Apply(#[from] ApplyError),
    /// The local copy of the upload could not be read.
    #[error("reading the local copy: {0}")]
    Io(#[from] std::io::Error),
}

impl RetryLater {
    /// Whether another delivery may succeed (a busy tenant, throttling, a lost connection), as
    /// opposed to a failure every run would meet again (a record too large to store).
    pub fn is_retryable(&self) -> bool {
        match self {
            RetryLater::Store(e) | RetryLater::Apply(ApplyError::Store(e)) => e.is_retryable(),
            RetryLater::Apply(ApplyError::Coordinator(_)) => true,
            RetryLater::Apply(_) => false,
            RetryLater::TenantBusy(_) | RetryLater::Upload(_) | RetryLater::Io(_) => true,
        }
    }
}

/// Why an admin's decision on a held job was not taken.
#[derive(Debug, thiserror::Error)]
pub enum DecisionError {
    /// No such job.
    #[error("job '{0}' was not found")]
    UnknownJob(String),
    /// The job is not held (or was decided already).
    #[error("job '{job}' is {state}, not held for a decision: only a held bulk is approved or rejected, once")]
    NotHeld {
        /// The job id.
        job: String,
        /// Its state, as the job shows it.
        state: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The approved job's run could not finish now (another upload of the tenant being
    /// ingested, the store throttled): approve it again to run it.
    #[error("the approved job could not run now ({0}); approve it again to run it")]
    Run(#[from] RetryLater),
    /// The rejected job is saved, but its reports could not be rewritten to say so.
    #[error("the job is rejected, but its reports still say it is held: {0}")]
    Reports(#[from] UploadError),
}

/// How a finished job ended.
pub(crate) enum Verdict {
    /// Applied, with the counts of each file.
    Applied(std::collections::BTreeMap<String, FileCounts>),
    /// Refused or invalid: nothing was changed.
    Rejected,
    /// Valid, but held for an admin: nothing was changed.
    Held(Hold),
    /// Stopped without finishing.
    Failed,
    /// Valid, and being applied: not finished yet.
    Running,
}

impl Verdict {
    /// Puts the verdict and the report's summary into the job: its state and end, each file's
    /// mode and rows (beside what an apply counted), the errors counted by code and the first
    /// lines of the errors and warnings.
    fn settle(self, job: &mut Job, report: &Report) {
        (job.state, job.files) = match self {
            Verdict::Applied(files) => (JobState::Applied, files),
            Verdict::Rejected => (JobState::Rejected, Default::default()),
            Verdict::Held(hold) => {
                job.hold = Some(hold);
                (JobState::Held, Default::default())
            }
            Verdict::Failed => (JobState::Failed, Default::default()),
            Verdict::Running => (JobState::Running, Default::default()),
        };
        job.finished = (job.state != JobState::Running).then(Timestamp::now);
        if job.finished.is_some() {
            job.applying = None;
        }
        for file in &report.files {
            let counts = job.files.entry(file.file.clone()).or_default();
            counts.mode = file.mode.clone();
            counts.rows = file.rows;
        }
        job.error_count = report.error_count;
        job.error_counts = report.error_counts.iter().map(|(code, n)| (code.as_str().to_owned(), *n)).collect();
        job.keep_lines(report.errors.iter().map(describe), report.warnings.iter().cloned());
    }
}

/// How a delivery ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// This upload's job had already finished: nothing was done again.
    AlreadyDone(Job),
    /// The job finished now (applied or rejected).
    Finished(Job),
    /// The job is valid and its apply runs elsewhere: an execution of the state machine
    /// (Step Functions), or whoever runs [`Ingest::apply_locally`].
    Applying(Job),
}

impl Outcome {
    /// The job, however the delivery ended.
    pub fn into_job(self) -> Job {
        match self {
            Outcome::AlreadyDone(job) | Outcome::Finished(job) | Outcome::Applying(job) => job,
        }
    }
}

/// Who runs the apply of a valid job ([`crate::fanout`]).
#[derive(Debug, Clone)]
pub enum Coordinator {
    /// This process, to the end, before the delivery is answered (the local stack, tests),
    /// the definition's retry waits multiplied by `pace` (1: as Step Functions waits; tests
    /// whose store fails at once wait less).
    Local {
        /// What each retry wait is multiplied by.
        pace: f64,
    },
    /// An execution of the state machine `state_machine`, named by the job (AWS); the delivery
    /// is answered once it is started.
    StepFunctions {
        /// The Step Functions client.
        client: aws_sdk_sfn::Client,
        /// The state machine's ARN.
        state_machine: String,
    },
    /// Nobody yet: the job waits, valid and running, for [`Ingest::apply_locally`] (tests
    /// that run the apply's steps themselves).
    Deferred,
}

/// The ingest's dependencies, built once per process.
#[derive(Debug, Clone)]
pub struct Ingest {
    /// The table.
    pub store: Store,
    /// The upload bucket.
    pub uploads: Uploads,
    /// The caps on packages, the runs a job may take and the apply's workers.
    pub settings: Settings,
    /// Who runs the apply.
    pub coordinator: Coordinator,
}

/// Where the full report of an upload goes: beside it (in a batch folder, inside it).
pub fn report_key(upload_key: &str) -> String {
    match upload_key.ends_with('/') {
        true => format!("{upload_key}report.json"),
        false => format!("{upload_key}.report.json"),
    }
}

/// Where the report a district admin reads ([`report_html`](crate::report_html)) goes: beside
/// the JSON one, named as it is but for the ending.
pub fn report_html_key(upload_key: &str) -> String {
    let json = report_key(upload_key);
    format!("{}.html", json.strip_suffix(".json").unwrap_or(&json))
}

impl Ingest {
    /// The ingest over `store` and `uploads`, with the default [`Settings`] (the local server,
    /// tests).
    pub fn new(store: Store, uploads: Uploads) -> Self {
        Self { store, uploads, settings: Settings::default(), coordinator: Coordinator::Local { pace: 1.0 } }
    }

    /// The part of the table of the upload's tenant.
    fn tenant<'a>(&'a self, upload: &'a Upload) -> TenantStore<'a> {
        self.store.tenant(&upload.tenant)
    }

    /// An admin's approval of a held bulk: the decision is saved and the job runs now, as a new
    /// import (its changes carry this time), revalidated against the data as it is now and not
    /// held again. A job approved whose run did not finish runs again.
    pub async fn approve(&self, tenant: &Tenant, job_id: &str) -> Result<Outcome, DecisionError> {
        let mut job = self.held(tenant, job_id, true).await?;
        if let Some(hold) = job.hold.as_mut().filter(|hold| hold.decision.is_none()) {
            hold.decision = Some(Decision { approved: true, at: Timestamp::now() });
            (job.started, job.attempts, job.finished) = (Timestamp::now(), 0, None);
            self.store.tenant(tenant).jobs().put(&job).await?;
        }
        let upload = Upload { bucket: job.bucket, key: job.key, tenant: tenant.clone(), job_id: job.id };
        // Boxed, as a run's future is large (see `run_locked`).
        Ok(Box::pin(self.run(&upload)).await?)
    }

    /// An admin's rejection of a held bulk: dropped for good (the job is rejected, and a
    /// redelivery of the upload finds it finished).
    pub async fn reject(&self, tenant: &Tenant, job_id: &str) -> Result<Job, DecisionError> {
        let mut job = self.held(tenant, job_id, false).await?;
        if let Some(hold) = job.hold.as_mut() {
            hold.decision = Some(Decision { approved: false, at: Timestamp::now() });
        }
        (job.state, job.finished) = (JobState::Rejected, Some(Timestamp::now()));
        self.store.tenant(tenant).jobs().put(&job).await?;
        info!(tenant = %tenant, job = job_id, "held bulk rejected by an admin");
        // The reports say so too (they said it was held).
        let report = self.written_report(&job).await;
        self.write_reports(&job, &report).await?;
        Ok(job)
    }

    /// The held job `job_id`, undecided (or, `approved_too`, approved and not yet applied).
    async fn held(&self, tenant: &Tenant, job_id: &str, approved_too: bool) -> Result<Job, DecisionError> {
        let job = self.store.tenant(tenant).jobs().get(job_id).await?;
        let job = job.ok_or_else(|| DecisionError::UnknownJob(job_id.to_owned()))?;
        let undecided = job.state == JobState::Held && job.hold.as_ref().is_some_and(|h| h.decision.is_none());
        // An approved run that stopped (the admin's process ended) is found held or running.
        let unfinished =
            job.hold.as_ref().is_some_and(Hold::approved) && matches!(job.state, JobState::Held | JobState::Running);
        if undecided || (approved_too && unfinished) {
            return Ok(job);
        }
        let state = match job.hold.as_ref().and_then(|h| h.decision.as_ref()) {
            Some(d) if d.approved => "approved already".to_owned(),
            Some(_) => "rejected already".to_owned(),
            None => {
                serde_json::to_value(job.state).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
            }
        };
        Err(DecisionError::NotHeld { job: job_id.to_owned(), state })
    }

    /// Runs the job of one upload.
    #[tracing::instrument(skip_all, fields(tenant = %upload.tenant, job = %upload.job_id))]
    pub async fn run(&self, upload: &Upload) -> Result<Outcome, RetryLater> {
        let existing = self.tenant(upload).jobs().get(&upload.job_id).await?;
        if let Some(job) = existing.as_ref().filter(|j| j.state != JobState::Running && !j.awaits_its_run()) {
            info!(state = ?job.state, "duplicate delivery of a finished upload; nothing to do");
            return Ok(Outcome::AlreadyDone(job.clone()));
        }
        if !self.tenant(upload).jobs().acquire_lock(&upload.job_id, lease_end()).await? {
            return Err(RetryLater::TenantBusy(upload.tenant.to_string()));
        }
        let result = self.run_locked(upload, existing).await;
        // An apply running elsewhere holds the lock until its last step.
        if !matches!(result, Ok(Outcome::Applying(_))) {
            if let Err(e) = self.tenant(upload).jobs().release_lock(&upload.job_id).await {
                warn!(error = %e, "releasing the ingest lock failed; it expires by itself");
            }
        }
        result
    }

    /// The job under its tenant's lock: an interrupted one resumed, one whose runs kept
    /// stopping failed, any other given one more counted run.
    async fn run_locked(&self, upload: &Upload, existing: Option<Job>) -> Result<Outcome, RetryLater> {
        // A job found running was interrupted: it resumes with its first start time, so the
        // records it already wrote compare as unchanged and the rest are written.
        let mut job = existing.unwrap_or_else(|| started(upload));
        if job.attempts >= self.settings.max_attempts {
            warn!(attempts = job.attempts, "the job's runs kept stopping; it is failed");
            let mut report = Report::default();
            report.file_error(
                &upload.key,
                Code::Interrupted,
                format!(
                    "the ingest stopped {} times on this upload without finishing (out of memory or time, or a \
                     failure it could not get past), so the job is failed; if it stopped while applying, part of \
                     the package may be applied: upload it again (or a smaller one) to finish",
                    job.attempts
                ),
            );
            return self.finish(upload, job, report, Verdict::Failed).await;
        }
        job.attempts += 1;
        // An approved held job runs from here as any other: found running, it was interrupted.
        job.state = JobState::Running;
        self.tenant(upload).jobs().put(&job).await?;
        let counted = job.clone();
        // Boxed: a run's future is large (validation, apply, report), and callers nest it.
        match Box::pin(self.attempt(upload, job)).await {
            Err(e) if e.is_retryable() => {
                // The run did not stop: it asks to be delivered again (store throttled), so it
                // is not one of the runs that keep stopping. Should the store refuse this too,
                // the run counts, and SQS's own limit on deliveries still ends the retries.
                let mut uncounted = counted;
                uncounted.attempts -= 1;
                if let Err(e) = self.tenant(upload).jobs().put(&uncounted).await {
                    warn!(error = %e, "the job's run count could not be taken back");
                }
                Err(e)
            }
            Err(e) => {
                // Every run would end the same way: the job is failed now, saying why.
                warn!(error = %e, "the ingest cannot finish this upload; the job is failed");
                let mut report = Report::default();
                report.file_error(
                    &upload.key,
                    Code::Failed,
                    format!(
                        "the ingest could not finish this upload: {e}; if it failed while applying, part of the \
                         package may be applied: correct the package and upload it again"
                    ),
                );
                self.finish(upload, counted, report, Verdict::Failed).await
            }
            finished => finished,
        }
    }

    /// One run of a job whose run is counted: refusal, validation, apply, report.
    async fn attempt(&self, upload: &Upload, mut job: Job) -> Result<Outcome, RetryLater> {
        if job.applying.is_some() {
            // Valid already, and being applied: its steps redo nothing another finished.
            return self.coordinate(job).await;
        }
        let refusal = match self.store.get_tenant(&upload.tenant).await? {
            Some(tenant) if tenant.enabled => None,
            Some(_) => Some("the tenant is disabled; nothing was read"),
            None => Some("the tenant is not registered (oneroster-admin tenant create); nothing was read"),
        };
        if let Some(refusal) = refusal {
            let mut report = Report::default();
            report.file_error(&upload.key, Code::Refused, refusal);
            return self.finish(upload, job, report, Verdict::Rejected).await;
        }

        let local = match self.uploads.fetch(&upload.bucket, &upload.key, &self.settings.limits).await {
            Ok(local) => local,
            Err(UploadError::Missing { .. }) => {
                let mut report = Report::default();
                report.file_error(&upload.key, Code::Refused, "the upload was deleted before it could be read");
                return self.finish(upload, job, report, Verdict::Rejected).await;
            }
            Err(UploadError::Refused(reason)) => {
                let mut report = Report::default();
                report.file_error(&upload.key, Code::Refused, reason);
                return self.finish(upload, job, report, Verdict::Rejected).await;
            }
            Err(e) => return Err(e.into()),
        };
        // Read now, once: the settings this run goes by, whatever an operator changes meanwhile.
        let settings = self.tenant(upload).settings().await?;
        let validating = Instant::now();
        let (mut report, validation) = self.validate(upload, local.path(), job.started, settings.timezone).await?;
        if let Some(validation) = &validation {
            let refs = validation.stored_references.iter().filter(|r| !excused_by_licence(&settings, r));
            self.check_stored_references(upload, refs.collect(), &mut report).await?;
        }
        info!(errors = report.error_count, ms = crate::apply::millis(validating), "package validated");
        if !report.is_valid() {
            return self.finish(upload, job, report, Verdict::Rejected).await;
        }
        let limits = &self.settings.limits;
        if !job.hold.as_ref().is_some_and(Hold::approved) {
            let (path, files) = (local.path(), &report.files);
            if let Some(hold) = forecast(&self.tenant(upload), path, limits, job.started, &settings, files).await? {
                info!(unmet = hold.unmet.len(), "bulk held for an admin");
                return self.finish(upload, job, report, Verdict::Held(hold)).await;
            }
        }
        // The report so far (the package's files, its warnings) is written now: the apply's
        // last step adds to it what the apply did.
        let modes =
            crate::apply::open(&self.tenant(upload), local.path(), limits, job.started, settings.timezone).await?;
        let rows = |kind: oneroster_csv::FileKind| {
            report.files.iter().find(|f| f.file == kind.file_name()).map_or(0, |f| f.rows)
        };
        let stages = plan(&modes.modes, rows, self.settings.workers);
        let input = input(job.tenant.as_str(), &job.id, self.settings.workers, stages);
        job.applying = Some(serde_json::to_value(input).unwrap_or_default());
        Verdict::Running.settle(&mut job, &report);
        job.report_key = Some(self.write_reports(&job, &report).await?);
        self.tenant(upload).jobs().put(&job).await?;
        info!(workers = self.settings.workers, "package validated; applying");
        self.coordinate(job).await
    }

    /// Has the apply of a valid job run: here to its end, or by an execution of the state
    /// machine started now (a second start of the same job's is refused by its name).
    async fn coordinate(&self, job: Job) -> Result<Outcome, RetryLater> {
        match &self.coordinator {
            Coordinator::Local { .. } => Ok(Outcome::Finished(self.apply_locally(&job, &Steps(self)).await?)),
            Coordinator::Deferred => Ok(Outcome::Applying(job)),
            Coordinator::StepFunctions { client, state_machine } => {
                let input = serde_json::to_string(&job.applying).unwrap_or_default();
                let started =
                    client.start_execution().state_machine_arn(state_machine).name(&job.id).input(input).send().await;
                match started {
                    Ok(_) => info!("apply started as an execution of the state machine"),
                    Err(e) if e.as_service_error().is_some_and(|e| e.is_execution_already_exists()) => {
                        info!("the apply's execution runs already")
                    }
                    Err(e) => return Err(RetryLater::Apply(ApplyError::Coordinator(e.to_string()))),
                }
                Ok(Outcome::Applying(job))
            }
        }
    }

    /// Opens and validates the package at `path` (on blocking threads: it is read from disk),
    /// with what a OneRoster 1.1 package's rows need of stored records read from the store
    /// between the two (the orgs of its administrators, the classes of its line items), its
    /// dates alone for date-times starting in the district's `zone`.
    async fn validate(
        &self,
        upload: &Upload,
        path: &std::path::Path,
        started: Timestamp,
        zone: Timezone,
    ) -> Result<(Report, Option<Validation>), RetryLater> {
        async fn blocking<T: Send + 'static>(
            work: impl FnOnce() -> std::io::Result<T> + Send + 'static,
        ) -> Result<T, RetryLater> {
            let joined = tokio::task::spawn_blocking(work).await;
            Ok(joined.map_err(|e| std::io::Error::other(e.to_string()))??)
        }
        // A refused zip's reasons, naming its entries, are in the report already.
        fn unreadable(mut report: Report, e: PackageError) -> (Report, Option<Validation>) {
            if !matches!(e, PackageError::Refused) {
                report.file_error(ZIP, Code::NotZip, e.to_string());
            }
            (report, None)
        }
        let (path, limits) = (path.to_owned(), self.settings.limits);
        let (report, opened) = blocking(move || {
            let mut report = Report::default();
            let opened = Package::open(std::fs::File::open(&path)?, &limits, &mut report).and_then(|mut package| {
                let wanted = package.v1p1_wanted()?;
                Ok((package, wanted))
            });
            Ok((report, opened))
        })
        .await?;
        let (mut package, wanted) = match opened {
            Ok(opened) => opened,
            Err(e) => return Ok(unreadable(report, e)),
        };
        let stored = match wanted.is_empty() {
            true => Default::default(),
            false => self.tenant(upload).records().get_named(wanted).await?,
        };
        blocking(move || {
            let mut report = report;
            package.learn(stored.values());
            package.set_timezone(zone);
            Ok(match validate(&mut package, started, &mut report) {
                Ok(validation) => (report, Some(validation)),
                Err(e) => unreadable(report, e),
            })
        })
        .await
    }

    /// Checks the references that only stored data can satisfy; the missing ones are errors.
    async fn check_stored_references(
        &self,
        upload: &Upload,
        refs: Vec<&StoredReference>,
        report: &mut Report,
    ) -> Result<(), StoreError> {
        let mut by_collection: HashMap<Collection, Vec<&StoredReference>> = HashMap::new();
        let mut profiles: HashMap<String, Vec<&StoredReference>> = HashMap::new();
        for r in refs {
            match (r.target, &r.owner) {
                (Target::Collection(c), _) => by_collection.entry(c).or_default().push(r),
                (Target::Profile, Some(owner)) => profiles.entry(owner.clone()).or_default().push(r),
                (Target::Profile, None) => missing(report, r, "userProfiles"),
            }
        }
        for (collection, refs) in by_collection {
            // References that name a kind of record (a school) read the records; the others
            // only whether they exist.
            let (kinded, plain): (Vec<&StoredReference>, Vec<&StoredReference>) =
                refs.into_iter().partition(|r| r.kind.is_some());
            let ids: Vec<String> = plain.iter().map(|r| r.id.clone()).collect();
            let found = self.tenant(upload).records().existing_ids(collection, &ids).await?;
            for r in plain.iter().filter(|r| !found.contains(&r.id)) {
                missing(report, r, collection.name());
            }
            let names = kinded.iter().map(|r| (collection, r.id.clone()));
            let records = self.tenant(upload).records().get_named(names).await?;
            for r in kinded {
                match (records.get(&(collection, r.id.clone())), r.kind) {
                    (None, _) => missing(report, r, collection.name()),
                    (Some(record), Some(kind)) if !kind.admits(record) => {
                        let mut diagnostic = r.at.clone();
                        diagnostic.code = Code::WrongKind;
                        diagnostic.reason = format!("{} (it is a stored record)", kind.mismatch(&r.id));
                        report.error(diagnostic);
                    }
                    _ => {}
                }
            }
        }
        if !profiles.is_empty() {
            let owners: Vec<String> = profiles.keys().cloned().collect();
            let users = self.tenant(upload).records().get_many(Collection::Users, &owners).await?;
            let held: HashMap<&str, &str> =
                users.iter().map(|u| (u.id.as_str(), u.parts.as_deref().unwrap_or(""))).collect();
            for (owner, refs) in &profiles {
                for r in refs {
                    // Profile ids are GUIDs, so a quoted key match in the parts JSON is exact.
                    let quoted = format!("\"{}\":", r.id);
                    if !held.get(owner.as_str()).is_some_and(|parts| parts.contains(&quoted)) {
                        missing(report, r, "userProfiles");
                    }
                }
            }
        }
        Ok(())
    }

    /// Writes the job's reports beside its upload, the JSON and the page; returns the JSON's key.
    pub(crate) async fn write_reports(&self, job: &Job, report: &Report) -> Result<String, UploadError> {
        let key = report_key(&job.key);
        let document = serde_json::json!({ "job": job, "report": report });
        self.uploads.put_json(&job.bucket, &key, serde_json::to_vec_pretty(&document).unwrap_or_default()).await?;
        let page = crate::report_html::render(job, report);
        self.uploads.put_html(&job.bucket, &report_html_key(&job.key), page).await?;
        Ok(key)
    }

    /// The validation report a finished job wrote (empty if it cannot be read back).
    pub(crate) async fn written_report(&self, job: &Job) -> Report {
        let Ok(file) = self.uploads.fetch(&job.bucket, &report_key(&job.key), &self.settings.limits).await else {
            return Report::default();
        };
        let document: Option<serde_json::Value> = std::fs::File::open(file.path())
            .ok()
            .and_then(|f| serde_json::from_reader(std::io::BufReader::new(f)).ok());
        document.and_then(|mut d| serde_json::from_value(d["report"].take()).ok()).unwrap_or_default()
    }

    /// Ends the job: its reports (JSON, and the page an admin reads) written beside the upload,
    /// then the job saved.
    pub(crate) async fn finish(
        &self,
        upload: &Upload,
        mut job: Job,
        report: Report,
        verdict: Verdict,
    ) -> Result<Outcome, RetryLater> {
        verdict.settle(&mut job, &report);
        job.report_key = Some(self.write_reports(&job, &report).await?);
        self.tenant(upload).jobs().put(&job).await?;
        info!(state = ?job.state, errors = job.error_count, items_written = job.items_written, "ingest job finished");
        Ok(Outcome::Finished(job))
    }
}

/// The job of an upload seen for the first time: running, no run counted yet, started now
/// (the time every change it makes carries).
fn started(upload: &Upload) -> Job {
    Job {
        id: upload.job_id.clone(),
        tenant: upload.tenant.id().clone(),
        bucket: upload.bucket.clone(),
        key: upload.key.clone(),
        state: JobState::Running,
        started: Timestamp::now(),
        finished: None,
        files: Default::default(),
        items_written: 0,
        warnings: Vec::new(),
        error_count: 0,
        error_counts: Default::default(),
        errors: Vec::new(),
        attempts: 0,
        report_key: None,
        hold: None,
        applying: None,
    }
}

/// Whether `reference` comes only from rows of schools the district has not licensed: those
/// rows are left out of the apply ([`crate::licence`]), so what they name need not be stored
/// (the schools and their students were left out too).
fn excused_by_licence(settings: &DistrictSettings, reference: &StoredReference) -> bool {
    let schools = reference.schools.as_deref().unwrap_or_default();
    !schools.is_empty() && schools.iter().all(|school| !settings.licenses(school))
}

/// Reports a reference found neither in the package nor among the stored `what`.
fn missing(report: &mut Report, reference: &StoredReference, what: &str) {
    let mut diagnostic = reference.at.clone();
    diagnostic.code = Code::UnknownReference;
    diagnostic.reason = format!("'{}' is neither in this package nor among the stored {what}", reference.id);
    report.error(diagnostic);
}

/// Records named in a warning that records erased on request are back, at most.
const RESTORED_NAMED: usize = 20;

/// The warning that rows of `file` brought back records erased on request (`ids`): the SIS
/// still carries them, so whoever asked for the erasure should know (and the SIS be fixed).
pub(crate) fn restored_warning(file: &str, ids: &[String]) -> String {
    let named = ids.iter().take(RESTORED_NAMED).map(String::as_str).collect::<Vec<_>>().join(", ");
    let more = match ids.len().saturating_sub(RESTORED_NAMED) {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    format!(
        "{file}: {} records erased on request are back, as this upload still carries them: {named}{more}",
        ids.len()
    )
}

/// One error as a line: `users.csv:12 email: reason`.
pub fn describe(d: &Diagnostic) -> String {
    let line = d.line.map(|l| format!(":{l}")).unwrap_or_default();
    let column = d.column.as_deref().map(|c| format!(" {c}")).unwrap_or_default();
    format!("{}{line}{column}: {}", d.file, d.reason)
}

#[cfg(test)]
mod tests {
    use super::*;
    use oneroster_csv::report::FileSummary;
    use oneroster_store::Tenant;
    use std::collections::BTreeMap;

    fn upload() -> Upload {
        let key = "springfield/nightly/roster.zip".to_owned();
        let tenant = Tenant::of_upload_key(&key).unwrap();
        Upload { bucket: "uploads".into(), key, tenant, job_id: "j-1".into() }
    }

    fn diagnostic(line: Option<u64>, column: Option<&str>) -> Diagnostic {
        Diagnostic {
            file: "users.csv".into(),
            line,
            column: column.map(str::to_owned),
            code: Code::UnknownReference,
            reason: "'x' is not known".into(),
        }
    }

    #[test]
    fn a_warning_names_the_erased_records_brought_back_up_to_a_bound() {
        let ids = |n: usize| (0..n).map(|i| format!("u-{i}")).collect::<Vec<_>>();
        assert_eq!(
            restored_warning("users.csv", &ids(2)),
            "users.csv: 2 records erased on request are back, as this upload still carries them: u-0, u-1"
        );
        let many = restored_warning("users.csv", &ids(25));
        assert!(many.ends_with("u-19 and 5 more"), "{many}");
        assert!(many.starts_with("users.csv: 25 records"), "{many}");
    }

    #[test]
    fn an_error_line_names_file_then_line_then_column() {
        for (line, column, expected) in [
            (None, None, "users.csv: 'x' is not known"),
            (Some(12), None, "users.csv:12: 'x' is not known"),
            (None, Some("email"), "users.csv email: 'x' is not known"),
            (Some(12), Some("email"), "users.csv:12 email: 'x' is not known"),
        ] {
            assert_eq!(describe(&diagnostic(line, column)), expected);
        }
    }

    #[test]
    fn the_report_lies_beside_its_upload() {
        for (key, expected) in [
            ("springfield/a.zip", "springfield/a.zip.report.json"),
            ("d-9/bulk/roster (1).ZIP", "d-9/bulk/roster (1).ZIP.report.json"),
            ("d-9/batch-7/", "d-9/batch-7/report.json"),
        ] {
            assert_eq!(report_key(key), expected);
            assert_eq!(report_html_key(key), expected.replace(".json", ".html"));
        }
    }

    #[test]
    fn a_new_job_is_running_with_no_run_counted() {
        let job = started(&upload());
        assert_eq!((job.id.as_str(), job.tenant.as_str()), ("j-1", "springfield"));
        assert_eq!((job.bucket.as_str(), job.key.as_str()), ("uploads", "springfield/nightly/roster.zip"));
        assert_eq!((job.state, job.attempts, job.finished, job.report_key), (JobState::Running, 0, None, None));
        assert!(job.files.is_empty() && job.errors.is_empty() && job.warnings.is_empty());
    }

    #[test]
    fn only_what_another_delivery_may_get_past_is_retried() {
        let too_large = || StoreError::ItemTooLarge { id: "u1".into(), bytes: 500_000, limit: 400_000 };
        let cases: [(RetryLater, bool); 9] = [
            (RetryLater::TenantBusy("springfield".into()), true),
            (RetryLater::Io(std::io::Error::other("disk")), true),
            (RetryLater::Upload(UploadError::S3("throttled".into())), true),
            (RetryLater::Store(StoreError::Unprocessed(3)), true),
            (RetryLater::Store(too_large()), false),
            (RetryLater::Apply(ApplyError::Store(StoreError::Unprocessed(3))), true),
            (RetryLater::Apply(ApplyError::Store(too_large())), false),
            (RetryLater::Apply(ApplyError::Reread("users.csv")), false),
            (RetryLater::Apply(ApplyError::Thread("panicked".into())), false),
        ];
        for (failure, retryable) in cases {
            assert_eq!(failure.is_retryable(), retryable, "{failure}");
        }
    }

    #[test]
    fn a_verdict_settles_the_state_and_the_report_summary() {
        let mut report = Report::default();
        report.files.push(FileSummary { file: "users.csv".into(), mode: "bulk".into(), rows: 7 });
        report.warn("a leniency");
        let applied = BTreeMap::from([("users.csv".to_owned(), FileCounts { created: 5, ..Default::default() })]);
        for (verdict, state, created) in [
            (Verdict::Applied(applied), JobState::Applied, 5),
            (Verdict::Rejected, JobState::Rejected, 0),
            (Verdict::Failed, JobState::Failed, 0),
        ] {
            let mut job = started(&upload());
            verdict.settle(&mut job, &report);
            assert_eq!(job.state, state);
            assert!(job.finished.is_some());
            let users = &job.files["users.csv"];
            assert_eq!((users.mode.as_str(), users.rows, users.created), ("bulk", 7, created));
            assert_eq!(job.warnings, ["a leniency"]);
            assert_eq!(job.error_count, 0);
        }
    }

    #[test]
    fn a_settled_job_counts_errors_by_code_and_keeps_their_lines() {
        let mut report = Report::default();
        report.error(diagnostic(Some(3), Some("orgSourcedIds")));
        report.error(diagnostic(Some(4), None));
        report.file_error(ZIP, Code::NotZip, "not a zip");
        let mut job = started(&upload());
        Verdict::Rejected.settle(&mut job, &report);
        assert_eq!(job.error_count, 3);
        let by_code: Vec<(&str, u64)> = job.error_counts.iter().map(|(code, n)| (code.as_str(), *n)).collect();
        assert_eq!(by_code, [(Code::NotZip.as_str(), 1), (Code::UnknownReference.as_str(), 2)]);
        assert_eq!(job.errors[0], "users.csv:3 orgSourcedIds: 'x' is not known");
        assert_eq!(job.errors[2], format!("{ZIP}: not a zip"));
    }
}
