//! Ingest jobs (one per uploaded object, so a second delivery of the same object finds its job
//! and does nothing) and the per-tenant ingest lock (so two uploads of one tenant never
//! interleave).

use crate::keys::{jobs_partition, lock_key};
use crate::Tenant;
use crate::{Store, StoreError};
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::AttributeValue;
use oneroster_model::{TenantId, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
}

/// Counts for one file of a package.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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
    /// The first errors, as `file:line column: reason` lines.
    #[serde(default)]
    pub errors: Vec<String>,
    /// Where the full JSON report is in the upload bucket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_key: Option<String>,
}

/// Errors a job item keeps; the S3 report has them all.
pub const JOB_ERRORS_KEPT: usize = 100;

impl Store {
    /// Saves a job (create or update).
    pub async fn put_job(&self, job: &Job) -> Result<(), StoreError> {
        self.put_json((jobs_partition(&job.tenant), job.id.clone()), job).await
    }

    /// Gets a job of a tenant.
    pub async fn get_job(&self, tenant: &Tenant, id: &str) -> Result<Option<Job>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(jobs_partition(tenant)))
            .key("sk", AttributeValue::S(id.to_owned()))
            .consistent_read(true)
            .send()
            .await?;
        output.item.map(|item| job_from(&item)).transpose()
    }

    /// Lists a tenant's jobs.
    pub async fn list_jobs(&self, tenant: &Tenant) -> Result<Vec<Job>, StoreError> {
        let items = crate::records::query_partition(&self.client, &self.table, jobs_partition(tenant), None).await?;
        let mut jobs = items.iter().map(job_from).collect::<Result<Vec<_>, _>>()?;
        jobs.sort_by_key(|job| std::cmp::Reverse(job.started));
        Ok(jobs)
    }

    /// Takes the tenant's ingest lock for `holder` until `until`. Succeeds if the lock is free,
    /// expired, or already held by `holder`; `Ok(false)` if another job holds it.
    pub async fn acquire_ingest_lock(
        &self,
        tenant: &Tenant,
        holder: &str,
        until: Timestamp,
    ) -> Result<bool, StoreError> {
        let (pk, sk) = lock_key(tenant);
        let now = Timestamp::now().0.timestamp_millis();
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", AttributeValue::S(pk))
            .item("sk", AttributeValue::S(sk))
            .item("kind", AttributeValue::S("lock".into()))
            .item("holder", AttributeValue::S(holder.to_owned()))
            .item("until", AttributeValue::N(until.0.timestamp_millis().to_string()))
            // The table's TTL attribute: a lock a crashed job left behind is removed a day on.
            .item("expires", AttributeValue::N((until.0.timestamp() + 86_400).to_string()))
            .condition_expression("attribute_not_exists(pk) OR #until < :now OR holder = :holder")
            .expression_attribute_names("#until", "until")
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .expression_attribute_values(":holder", AttributeValue::S(holder.to_owned()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Releases the tenant's ingest lock if `holder` has it.
    pub async fn release_ingest_lock(&self, tenant: &Tenant, holder: &str) -> Result<(), StoreError> {
        let (pk, sk) = lock_key(tenant);
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(pk))
            .key("sk", AttributeValue::S(sk))
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
