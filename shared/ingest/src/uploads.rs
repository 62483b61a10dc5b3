//! The upload a job is for, and the upload bucket: fetching an uploaded zip to a local file
//! (streamed, never whole in memory), or the loose CSV files of a batch folder into one zip, and
//! writing the job's reports (JSON, and the page an admin reads) beside it.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use oneroster_csv::Limits;
use oneroster_store::Tenant;
use std::io::Write;

/// An uploaded object to ingest: what a job needs to know of it, however it was announced
/// (the function reads it from an S3 notification).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// The bucket.
    pub bucket: String,
    /// The decoded object key, `<tenant>/…/file.zip`, or a batch folder of loose CSV files,
    /// `<tenant>/<batch>/` (ending in `/`).
    pub key: String,
    /// The tenant: the key's first segment.
    pub tenant: Tenant,
    /// The job id: the same for every delivery of one upload event, different for a new upload
    /// of the same key.
    pub job_id: String,
}

/// A failure talking to S3.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The object is gone (deleted after the notification).
    #[error("the object s3://{bucket}/{key} no longer exists")]
    Missing {
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
    },
    /// S3 answered with an error or could not be reached.
    #[error("S3: {0}")]
    S3(String),
    /// A batch folder that is no package (no CSV file, or past the caps): refused, not retried.
    #[error("{0}")]
    Refused(String),
    /// Writing the local copy failed.
    #[error("writing the local copy: {0}")]
    Io(#[from] std::io::Error),
}

/// The upload bucket's client.
#[derive(Debug, Clone)]
pub struct Uploads {
    client: Client,
}

impl Uploads {
    /// Uploads through `client`.
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    /// Uploads through a client made by [`s3_client`].
    pub fn connect(config: &aws_config::SdkConfig, endpoint: Option<&str>) -> Self {
        Self::new(s3_client(config, endpoint))
    }

    /// Streams the upload to a new temporary zip file and returns it (deleted when dropped): the
    /// object itself, or for a batch folder (a key ending in `/`) its CSV files, each stored in
    /// one zip by its name, refused past `limits` (entries, bytes) before any is fetched.
    pub async fn fetch(
        &self,
        bucket: &str,
        key: &str,
        limits: &Limits,
    ) -> Result<tempfile::NamedTempFile, UploadError> {
        if key.ends_with('/') {
            return self.fetch_folder(bucket, key, limits).await;
        }
        let mut file = tempfile::NamedTempFile::new()?;
        self.copy(bucket, key, &mut file).await?;
        file.flush()?;
        Ok(file)
    }

    /// Streams the object at `key` into `out`.
    async fn copy(&self, bucket: &str, key: &str, out: &mut impl Write) -> Result<(), UploadError> {
        let output = self.client.get_object().bucket(bucket).key(key).send().await.map_err(|e| {
            if e.as_service_error().is_some_and(|s| s.is_no_such_key()) {
                UploadError::Missing { bucket: bucket.to_owned(), key: key.to_owned() }
            } else {
                UploadError::S3(aws_sdk_s3::Error::from(e).to_string())
            }
        })?;
        let mut body = output.body;
        while let Some(chunk) = body.try_next().await.map_err(|e| UploadError::S3(e.to_string()))? {
            out.write_all(&chunk)?;
        }
        Ok(())
    }

    /// The CSV files directly in `folder` (not in its sub-folders), as one zip.
    async fn fetch_folder(
        &self,
        bucket: &str,
        folder: &str,
        limits: &Limits,
    ) -> Result<tempfile::NamedTempFile, UploadError> {
        let mut files: Vec<(String, u64)> = Vec::new();
        let mut pages = self.client.list_objects_v2().bucket(bucket).prefix(folder).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| UploadError::S3(aws_sdk_s3::Error::from(e).to_string()))?;
            for object in page.contents() {
                let name = object.key().and_then(|key| key.strip_prefix(folder)).unwrap_or_default();
                if !name.contains('/') && name.to_ascii_lowercase().ends_with(".csv") {
                    files.push((name.to_owned(), object.size().and_then(|s| u64::try_from(s).ok()).unwrap_or(0)));
                }
            }
            if files.len() as u64 > limits.entries {
                return Err(UploadError::Refused(format!(
                    "the folder holds more than {} CSV files; a package may have at most {}",
                    limits.entries, limits.entries
                )));
            }
        }
        let bytes: u64 = files.iter().map(|(_, size)| size).sum();
        if files.is_empty() {
            return Err(UploadError::Refused(
                "the folder holds no CSV file (orgs.csv, users.csv, …) beside its marker; nothing to import".into(),
            ));
        }
        if bytes > limits.inflated_bytes {
            return Err(UploadError::Refused(format!(
                "the folder's CSV files hold {bytes} bytes; a package may hold at most {}",
                limits.inflated_bytes
            )));
        }
        let mut zip = zip::ZipWriter::new(tempfile::NamedTempFile::new()?);
        // Stored, not deflated: the zip is read once, from the local disk, and the caps read
        // what it declares (a stored entry's ratio is 1).
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(true);
        for (name, _) in &files {
            zip.start_file(name.as_str(), options).map_err(std::io::Error::other)?;
            self.copy(bucket, &format!("{folder}{name}"), &mut zip).await?;
        }
        let mut file = zip.finish().map_err(std::io::Error::other)?;
        file.flush()?;
        Ok(file)
    }

    /// Writes a JSON document to `key`.
    pub async fn put_json(&self, bucket: &str, key: &str, json: Vec<u8>) -> Result<(), UploadError> {
        self.put(bucket, key, "application/json", json).await
    }

    /// Writes an HTML page to `key`, served as UTF-8 HTML when opened from the bucket.
    pub async fn put_html(&self, bucket: &str, key: &str, html: String) -> Result<(), UploadError> {
        self.put(bucket, key, "text/html; charset=utf-8", html.into_bytes()).await
    }

    /// Writes `body` to `key` as `content_type`.
    async fn put(&self, bucket: &str, key: &str, content_type: &str, body: Vec<u8>) -> Result<(), UploadError> {
        self.client
            .put_object()
            .bucket(bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| UploadError::S3(aws_sdk_s3::Error::from(e).to_string()))?;
        Ok(())
    }
}

/// An S3 client made from the shared AWS configuration; `endpoint` points it at moto (which
/// needs path-style addressing, as does any endpoint that is not AWS's). The one way the
/// functions reach the upload bucket.
pub fn s3_client(config: &aws_config::SdkConfig, endpoint: Option<&str>) -> Client {
    let mut builder = aws_sdk_s3::config::Builder::from(config);
    if let Some(endpoint) = endpoint {
        builder = builder.endpoint_url(endpoint).force_path_style(true);
    }
    Client::from_conf(builder.build())
}

/// The folder below a tenant's prefix that the provider's CSV exports are written to
/// (`<tenant>/exports/…zip`): zips in the upload bucket, under the tenant's prefix, that are
/// never uploads, so the ingest function skips them ([`is_export_key`]).
pub const EXPORTS_FOLDER: &str = "exports";

/// Where an export of `tenant` in OneRoster `version` (`1.2`) made at `at` goes:
/// `<tenant>/exports/<UTC time>-v1p2.zip`, in its tenant's exports folder.
pub fn export_key(tenant: &Tenant, version: &str, at: oneroster_model::Timestamp) -> String {
    let version = version.replace('.', "p");
    format!("{tenant}/{EXPORTS_FOLDER}/{}-v{version}.zip", at.0.format("%Y%m%dT%H%M%SZ"))
}

/// The folder below a tenant's prefix that the grades sent back to the SIS are written to
/// (`<tenant>/outbox/<time>.zip`, delta packages for the SIS to take): never uploads either.
pub const OUTBOX_FOLDER: &str = "outbox";

/// Where the grade write-back of `tenant` whose window ends at `until` goes:
/// `<tenant>/outbox/<UTC time, to the millisecond>.zip`, so a window written again has the
/// same name.
pub fn outbox_key(tenant: &Tenant, until: oneroster_model::Timestamp) -> String {
    format!("{tenant}/{OUTBOX_FOLDER}/{}.zip", until.0.format("%Y%m%dT%H%M%S%.3fZ"))
}

/// Whether `key` (decoded) lies in a folder the provider writes to below its tenant's prefix
/// ([`EXPORTS_FOLDER`], [`OUTBOX_FOLDER`]), whose zips are never uploads.
pub fn is_export_key(key: &str) -> bool {
    key.split_once('/')
        .and_then(|(_, rest)| rest.split_once('/'))
        .is_some_and(|(folder, _)| folder == EXPORTS_FOLDER || folder == OUTBOX_FOLDER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports_are_keyed_in_their_tenants_exports_folder_and_known_by_it() {
        let tenant = Tenant::of_upload_key("springfield/bulk.zip").unwrap();
        let at = oneroster_model::Timestamp::parse("2026-12-07T04:05:06.000Z").unwrap();
        let key = export_key(&tenant, "1.2", at);
        assert_eq!(key, "springfield/exports/20261207T040506Z-v1p2.zip");
        assert!(is_export_key(&key));
        let sent = outbox_key(&tenant, oneroster_model::Timestamp::parse("2026-12-07T04:05:06.789Z").unwrap());
        assert_eq!(sent, "springfield/outbox/20261207T040506.789Z.zip");
        assert!(is_export_key(&sent), "a write-back is never an upload either");
        for upload in ["springfield/bulk.zip", "springfield/nightly/exports/1.zip", "exports/1.zip"] {
            assert!(!is_export_key(upload), "{upload}");
        }
    }
}
