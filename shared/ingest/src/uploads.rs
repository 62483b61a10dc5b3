//! The upload a job is for, and the upload bucket: fetching an uploaded zip to a local file
//! (streamed, never whole in memory) and writing the job's report beside it.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use oneroster_store::Tenant;
use std::io::Write;

/// An uploaded object to ingest: what a job needs to know of it, however it was announced
/// (the function reads it from an S3 notification).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// The bucket.
    pub bucket: String,
    /// The decoded object key, `<tenant>/…/file.zip`.
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

    /// A client made from the shared AWS configuration; `endpoint` points it at moto (which
    /// needs path-style addressing, as does any endpoint that is not AWS's).
    pub fn connect(config: &aws_config::SdkConfig, endpoint: Option<&str>) -> Self {
        let mut builder = aws_sdk_s3::config::Builder::from(config);
        if let Some(endpoint) = endpoint {
            builder = builder.endpoint_url(endpoint).force_path_style(true);
        }
        Self::new(Client::from_conf(builder.build()))
    }

    /// Streams the object to a new temporary file and returns it (deleted when dropped).
    pub async fn fetch(&self, bucket: &str, key: &str) -> Result<tempfile::NamedTempFile, UploadError> {
        let output = self.client.get_object().bucket(bucket).key(key).send().await.map_err(|e| {
            if e.as_service_error().is_some_and(|s| s.is_no_such_key()) {
                UploadError::Missing { bucket: bucket.to_owned(), key: key.to_owned() }
            } else {
                UploadError::S3(aws_sdk_s3::Error::from(e).to_string())
            }
        })?;
        let mut file = tempfile::NamedTempFile::new()?;
        let mut body = output.body;
        while let Some(chunk) = body.try_next().await.map_err(|e| UploadError::S3(e.to_string()))? {
            file.write_all(&chunk)?;
        }
        file.flush()?;
        Ok(file)
    }

    /// Writes a JSON document to `key`.
    pub async fn put_json(&self, bucket: &str, key: &str, json: Vec<u8>) -> Result<(), UploadError> {
        self.client
            .put_object()
            .bucket(bucket)
            .key(key)
            .content_type("application/json")
            .body(ByteStream::from(json))
            .send()
            .await
            .map_err(|e| UploadError::S3(aws_sdk_s3::Error::from(e).to_string()))?;
        Ok(())
    }
}
