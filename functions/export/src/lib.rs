//! What the export Lambda does, without Lambda: for one tenant, or every enabled tenant, the
//! active records written as a bulk CSV package ([`oneroster_export::export`]) to a temporary
//! file, then put in the upload bucket at [`oneroster_ingest::uploads::export_key`], the
//! tenant's exports folder, which the ingest skips.

use aws_sdk_s3::primitives::ByteStream;
use oneroster_csv::Version;
use oneroster_export::writeback::{Window, WritebackError};
use oneroster_model::{TenantId, Timestamp};
use oneroster_store::{Store, StoreError, Tenant};
use std::io::Seek;

/// What an invocation asks for: the schedule's input, or an on-demand invocation's payload.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Request {
    /// The tenant to export; every enabled tenant when left out (the schedule).
    #[serde(default)]
    pub tenant: Option<String>,
    /// `1.2` (the default) or `1.1`.
    #[serde(default)]
    pub version: Option<String>,
    /// Send the grades API clients changed back to the SIS (a delta zip in the tenant's outbox
    /// folder) instead of exporting: for the tenant named, or every enabled tenant whose
    /// `gradeWriteback` setting says one is due (the hourly schedule).
    #[serde(default)]
    pub writeback: bool,
}

/// One export written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Written {
    /// The tenant.
    pub tenant: String,
    /// Where the zip is (`s3://bucket/key`).
    pub location: String,
    /// What it holds.
    pub exported: oneroster_export::Exported,
}

/// Why an invocation failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportFailed {
    /// The request names no tenant id, or no version this provider writes.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The tenant asked for is not registered, or disabled.
    #[error("tenant '{0}' is not registered or is disabled")]
    NoTenant(String),
    /// The tenant registry could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The exports of these tenants failed (the others were written).
    #[error("the export of {} tenant(s) failed: {}", .0.len(), .0.join("; "))]
    Tenants(Vec<String>),
}

/// Why one tenant's export failed.
#[derive(Debug, thiserror::Error)]
enum TenantFailed {
    #[error(transparent)]
    Export(#[from] oneroster_export::ExportError),
    #[error(transparent)]
    Writeback(#[from] WritebackError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the temporary file: {0}")]
    Io(#[from] std::io::Error),
    #[error("putting the zip in the bucket: {0}")]
    Put(String),
}

/// The export function's clients, built once.
pub struct Exporter {
    store: Store,
    s3: aws_sdk_s3::Client,
    bucket: String,
}

impl Exporter {
    /// An exporter reading `store` and writing to `bucket`.
    pub fn new(store: Store, s3: aws_sdk_s3::Client, bucket: String) -> Self {
        Self { store, s3, bucket }
    }

    /// Exports what `request` asks for at `now`: its tenant, or every enabled tenant (each
    /// tried, the failures named in the error).
    pub async fn run(&self, request: &Request, now: Timestamp) -> Result<Vec<Written>, ExportFailed> {
        let version = match request.version.as_deref() {
            None | Some("1.2") => Version::V1p2,
            Some("1.1") => Version::V1p1,
            Some(other) => return Err(ExportFailed::BadRequest(format!("version '{other}' is not 1.2 or 1.1"))),
        };
        let tenants: Vec<TenantId> = match &request.tenant {
            Some(id) => {
                let id = TenantId::parse(id).map_err(|e| ExportFailed::BadRequest(e.to_string()))?;
                match self.store.get_tenant(&id).await? {
                    Some(record) if record.enabled => vec![id],
                    _ => return Err(ExportFailed::NoTenant(id.to_string())),
                }
            }
            None => self.store.list_tenants().await?.into_iter().filter(|t| t.enabled).map(|t| t.id).collect(),
        };
        let (mut written, mut failed) = (Vec::new(), Vec::new());
        for id in tenants {
            let tenant = Tenant::by_operator(id.clone());
            let one = match request.writeback {
                false => self.one(&tenant, version, now).await.map(Some),
                true => self.write_back(&tenant, version, request.tenant.is_none(), now).await,
            };
            match one {
                Ok(one) => written.extend(one),
                Err(e) => {
                    tracing::error!(tenant = %id, error = %e, writeback = request.writeback, "export failed");
                    failed.push(format!("{id}: {e}"));
                }
            }
        }
        if !failed.is_empty() {
            return Err(ExportFailed::Tenants(failed));
        }
        Ok(written)
    }

    /// One tenant's export, spooled to a temporary file, then put in the bucket.
    async fn one(&self, tenant: &Tenant, version: Version, now: Timestamp) -> Result<Written, TenantFailed> {
        let mut file = tempfile::tempfile()?;
        let exported =
            oneroster_export::export(&self.store, tenant, version, std::io::BufWriter::new(&mut file)).await?;
        let key = oneroster_ingest::uploads::export_key(tenant, version.as_str(), now);
        self.put(tenant, file, key, exported).await
    }

    /// One tenant's write-back at `now` (when `scheduled`, only if its setting says one is due):
    /// the grades API clients changed in its next window, put in its outbox folder under the
    /// window's name, then the window closed; `None` when nothing was due or changed (no zip).
    async fn write_back(
        &self,
        tenant: &Tenant,
        version: Version,
        scheduled: bool,
        now: Timestamp,
    ) -> Result<Option<Written>, TenantFailed> {
        let bookmark = self.store.tenant(tenant).outbox().bookmark().await?;
        if scheduled {
            let cadence = self.store.tenant(tenant).settings().await?.grade_writeback;
            if bookmark.pending.is_none() && !cadence.due(bookmark.through, now) {
                return Ok(None);
            }
        }
        let window = Window::take(&self.store, tenant, bookmark, now).await?;
        let mut file = tempfile::tempfile()?;
        let changes = window.write(&self.store, tenant, version, std::io::BufWriter::new(&mut file)).await?;
        let sent = match changes {
            Some(exported) => {
                let key = oneroster_ingest::uploads::outbox_key(tenant, window.until());
                Some(self.put(tenant, file, key, exported).await?)
            }
            None => None,
        };
        window.finish(&self.store, tenant).await?;
        Ok(sent)
    }

    /// Puts the package spooled in `file` in the bucket at `key`.
    async fn put(
        &self,
        tenant: &Tenant,
        mut file: std::fs::File,
        key: String,
        exported: oneroster_export::Exported,
    ) -> Result<Written, TenantFailed> {
        file.rewind()?;
        let body = ByteStream::read_from()
            .file(tokio::fs::File::from_std(file))
            .build()
            .await
            .map_err(|e| TenantFailed::Put(e.to_string()))?;
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(&key)
            .content_type("application/zip")
            .body(body)
            .send()
            .await
            .map_err(|e| TenantFailed::Put(aws_sdk_s3::error::DisplayErrorContext(e).to_string()))?;
        tracing::info!(tenant = %tenant, key, "package written");
        Ok(Written { tenant: tenant.to_string(), location: format!("s3://{}/{key}", self.bucket), exported })
    }
}
