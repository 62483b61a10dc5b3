//! The local stack as the functions see it: the table in DynamoDB Local, the upload bucket and
//! ingest queue in moto, the bucket's upload notifications going to the queue (as in AWS), and
//! a poller that hands each notification to the real ingest handler; and every service's
//! router on one port, with the same handlers and middleware as in Lambda.

use aws_sdk_s3::types::{
    Event, FilterRule, FilterRuleName, NotificationConfiguration, NotificationConfigurationFilter, QueueConfiguration,
    S3KeyFilter,
};
use aws_sdk_sqs::types::QueueAttributeName;
use oneroster_auth::{Issuer, KeyRing, Verifier};
use oneroster_http::serving::Serving;
use oneroster_http::Gate;
use oneroster_ingest::{Ingest, Outcome, Uploads};
use oneroster_model::TenantId;
use oneroster_secrets::KmsSealer;
use oneroster_store::{Job, Store};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The issuer the local tokens name.
pub const LOCAL_ISSUER: &str = "http://localhost/oneroster-local";

/// The local stand-in for the deployment's KMS key, by alias (`oneroster-admin` seals with it
/// unless `OAUTH1_KEY` names another).
pub const LOCAL_OAUTH1_KEY: &str = "alias/oneroster-local";

/// Names and endpoints of the local stack.
#[derive(Debug, Clone)]
pub struct LocalConfig {
    /// DynamoDB Local's URL.
    pub dynamodb_endpoint: String,
    /// moto's URL (S3 and SQS).
    pub moto_endpoint: String,
    /// The table.
    pub table: String,
    /// The upload bucket.
    pub bucket: String,
    /// The ingest queue.
    pub queue: String,
    /// Where the signing keys are kept (made on first use); `None`: fresh keys in memory.
    pub keys_file: Option<PathBuf>,
    /// How long the API trusts a client's enabled flag before reading it again.
    pub client_recheck: Duration,
    /// The API's URL as its answers name it (`Link`, `href`s): the listen address, never a
    /// header the client sent.
    pub public_url: String,
    /// The KMS key (in moto) that OAuth 1.0a clients' secrets are sealed under (made when
    /// missing), as `oneroster-admin client create --oauth1` seals them.
    pub oauth1_key: String,
}

impl LocalConfig {
    /// From `DYNAMODB_ENDPOINT`, `S3_ENDPOINT`, `TABLE_NAME`, `UPLOAD_BUCKET`, `INGEST_QUEUE`,
    /// `SIGNING_KEYS_FILE`, `OAUTH1_KEY`, with the local defaults (the API at `http://127.0.0.1:8080`, which
    /// `local-server serve` sets to its listen address).
    pub fn from_env() -> Self {
        let var = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
        Self {
            dynamodb_endpoint: var("DYNAMODB_ENDPOINT", "http://127.0.0.1:8000"),
            moto_endpoint: var("S3_ENDPOINT", "http://127.0.0.1:5000"),
            table: var("TABLE_NAME", "oneroster"),
            bucket: var("UPLOAD_BUCKET", "oneroster-uploads"),
            queue: var("INGEST_QUEUE", "oneroster-ingest"),
            keys_file: Some(PathBuf::from(var("SIGNING_KEYS_FILE", ".local/signing-keys.json"))),
            client_recheck: Duration::from_secs(60),
            public_url: "http://127.0.0.1:8080".to_owned(),
            oauth1_key: var("OAUTH1_KEY", LOCAL_OAUTH1_KEY),
        }
    }
}

/// A failure of the local stack (setup, upload, polling).
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// S3 (moto) failed.
    #[error("S3: {0}")]
    S3(String),
    /// SQS (moto) failed.
    #[error("SQS: {0}")]
    Sqs(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] oneroster_store::StoreError),
    /// Reading the file to upload failed.
    #[error("reading the upload: {0}")]
    Io(#[from] std::io::Error),
    /// The signing keys could not be read or made.
    #[error(transparent)]
    Keys(#[from] oneroster_auth::KeyError),
    /// The key OAuth 1.0a secrets are sealed under could not be made.
    #[error(transparent)]
    Sealing(#[from] oneroster_auth::oauth1::SealError),
    /// An admin operation failed.
    #[error(transparent)]
    Admin(#[from] admin::AdminError),
    /// The ingest job did not finish in time.
    #[error("the ingest job for {0} did not finish within {1:?}")]
    Timeout(String, Duration),
}

fn s3_error<E: std::fmt::Display>(e: E) -> LocalError {
    LocalError::S3(e.to_string())
}

fn sqs_error<E: std::fmt::Display>(e: E) -> LocalError {
    LocalError::Sqs(e.to_string())
}

/// The local server's audit log: each API request's audit event appended to `path` as a JSON
/// line, in the shape the functions log it to CloudWatch
/// ([`oneroster_http::trace::audit_log_layer`]), its folder made when missing, so that
/// `oneroster-admin audit` reports on local requests as on a deployment's.
pub fn audit_log<S>(path: &std::path::Path) -> std::io::Result<impl tracing_subscriber::Layer<S>>
where
    S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span>,
{
    if let Some(folder) = path.parent().filter(|folder| !folder.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder)?;
    }
    let file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    Ok(oneroster_http::trace::audit_log_layer(Arc::new(file)))
}

/// The signing keys kept in `file` (made and saved on first use), or fresh ones in memory.
fn signing_keys(file: Option<&std::path::Path>) -> Result<KeyRing, LocalError> {
    let Some(file) = file else { return Ok(KeyRing::generate("local-1")?) };
    if let Ok(text) = std::fs::read_to_string(file) {
        return Ok(KeyRing::from_config(&text)?);
    }
    let keys = KeyRing::generate("local-1")?;
    if let Some(folder) = file.parent() {
        std::fs::create_dir_all(folder)?;
    }
    std::fs::write(file, keys.to_config())?;
    Ok(keys)
}

/// The running local stack, with clients built once.
#[derive(Debug, Clone)]
pub struct LocalStack {
    /// Names and endpoints.
    pub config: LocalConfig,
    /// The ingest function's dependencies.
    pub ingest: Ingest,
    /// The token issuer (the auth function's).
    pub issuer: Issuer,
    /// Where OAuth 1.0a clients' secrets are sealed and opened (moto's KMS).
    pub sealer: Arc<KmsSealer>,
    s3: aws_sdk_s3::Client,
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
}

impl LocalStack {
    /// Connects to the local servers and creates what is missing: the table, the bucket, the
    /// queue, the bucket's notification of uploads (`.zip`, `.ZIP`) to the queue, and the key
    /// OAuth 1.0a secrets are sealed under.
    pub async fn setup(config: LocalConfig) -> Result<Self, LocalError> {
        let aws = aws_config::from_env().region(aws_config::Region::new("us-east-1")).load().await;
        let store = Store::connect(&aws, Some(&config.dynamodb_endpoint), &config.table);
        store.create_table_if_missing().await?;
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&aws).endpoint_url(&config.moto_endpoint).force_path_style(true).build(),
        );
        let sqs = aws_sdk_sqs::Client::from_conf(
            aws_sdk_sqs::config::Builder::from(&aws).endpoint_url(&config.moto_endpoint).build(),
        );
        if s3.head_bucket().bucket(&config.bucket).send().await.is_err() {
            s3.create_bucket().bucket(&config.bucket).send().await.map_err(s3_error)?;
        }
        let queue_url =
            sqs.create_queue().queue_name(&config.queue).send().await.map_err(sqs_error)?.queue_url.unwrap_or_default();
        let attributes = sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .map_err(sqs_error)?;
        let arn = attributes.attributes.and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned()).unwrap_or_default();
        // As the template has it: one configuration per ending the ingest takes.
        let mut notification = NotificationConfiguration::builder();
        for suffix in ingest::event::UPLOAD_SUFFIXES {
            let rule = FilterRule::builder().name(FilterRuleName::Suffix).value(suffix).build();
            let filter = NotificationConfigurationFilter::builder()
                .key(S3KeyFilter::builder().filter_rules(rule).build())
                .build();
            notification = notification.queue_configurations(
                QueueConfiguration::builder()
                    .id(format!("ingest{suffix}"))
                    .queue_arn(&arn)
                    .events(Event::S3ObjectCreated)
                    .filter(filter)
                    .build()
                    .map_err(s3_error)?,
            );
        }
        let notification = notification.build();
        s3.put_bucket_notification_configuration()
            .bucket(&config.bucket)
            .notification_configuration(notification)
            .send()
            .await
            .map_err(s3_error)?;
        let sealer = KmsSealer::new(&aws, Some(&config.moto_endpoint), &config.oauth1_key);
        sealer.ensure_key().await?;
        let uploads = Uploads::new(s3.clone());
        let issuer =
            Issuer::new(signing_keys(config.keys_file.as_deref())?, LOCAL_ISSUER, auth::TOKEN_LIFETIME_SECONDS);
        Ok(Self { ingest: Ingest::new(store, uploads), issuer, sealer: Arc::new(sealer), s3, sqs, queue_url, config })
    }

    /// The S3 client of the upload bucket.
    pub fn s3_client(&self) -> aws_sdk_s3::Client {
        self.s3.clone()
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.ingest.store
    }

    /// Puts `bytes` into the upload bucket at `<tenant>/<name>`, as an SIS would; returns the key.
    pub async fn upload(&self, tenant: &TenantId, name: &str, bytes: Vec<u8>) -> Result<String, LocalError> {
        let key = format!("{tenant}/{name}");
        self.s3.put_object().bucket(&self.config.bucket).key(&key).body(bytes.into()).send().await.map_err(s3_error)?;
        Ok(key)
    }

    /// Reads the full JSON report of an upload.
    pub async fn report(&self, key: &str) -> Result<serde_json::Value, LocalError> {
        let object = self.s3.get_object().bucket(&self.config.bucket).key(key).send().await.map_err(s3_error)?;
        let bytes = object.body.collect().await.map_err(s3_error)?.into_bytes();
        serde_json::from_slice(&bytes).map_err(s3_error)
    }

    /// Receives the queue's messages once (waiting up to `wait`) and hands each to the ingest
    /// function, as Lambda's SQS trigger does. Messages that succeed are deleted; the others
    /// stay and come back, as with SQS in AWS. Returns the outcomes and the raw bodies seen.
    pub async fn deliver(&self, wait: Duration) -> Result<Vec<(String, Vec<Outcome>)>, LocalError> {
        let received = self
            .sqs
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(i32::try_from(wait.as_secs()).unwrap_or(20).min(20))
            .visibility_timeout(5)
            .send()
            .await
            .map_err(sqs_error)?;
        let mut delivered = Vec::new();
        for message in received.messages.unwrap_or_default() {
            let body = message.body.unwrap_or_default();
            match ingest::handle_message(&self.ingest, &body).await {
                Ok(outcomes) => {
                    if let Some(handle) = message.receipt_handle {
                        self.sqs
                            .delete_message()
                            .queue_url(&self.queue_url)
                            .receipt_handle(handle)
                            .send()
                            .await
                            .map_err(sqs_error)?;
                    }
                    delivered.push((body, outcomes));
                }
                Err(e) => tracing::warn!(error = %e, "ingest failed; the message will be delivered again"),
            }
        }
        Ok(delivered)
    }

    /// The token gate of the API functions, verifying the local issuer's tokens and OAuth 1.0a
    /// signatures of the clients whose secrets [`LocalStack::sealer`] sealed.
    pub fn gate(&self) -> Arc<Gate> {
        let verifier = Verifier::new(&self.issuer.jwks(), LOCAL_ISSUER);
        let gate = Gate::new(verifier, self.store().clone(), self.config.client_recheck);
        Arc::new(gate.with_oauth1(self.sealer.clone()))
    }

    /// Every function's router on one: the token endpoint and JWKS, the services, and the
    /// shared base that carries them all; links name [`LocalConfig::public_url`].
    pub fn api(&self) -> axum::Router {
        self.api_serving(Serving::at(&self.config.public_url))
    }

    /// [`LocalStack::api`], served as `serving` says (another read budget, for a test).
    pub fn api_serving(&self, serving: Serving) -> axum::Router {
        let gate = self.gate();
        let api = auth::router(self.store().clone(), self.issuer.clone(), None)
            .merge(rostering::router(self.store().clone(), gate.clone()))
            .merge(resources::router(self.store().clone(), gate.clone()))
            .merge(gradebook::router(self.store().clone(), gate.clone()))
            .merge(v1p2::router(self.store().clone(), gate))
            .fallback(oneroster_http::service::no_route);
        serving.serve(api)
    }

    /// Polls the queue for ever, ingesting every upload (the local stand-in for the SQS trigger).
    pub async fn serve_ingest(&self) -> Result<(), LocalError> {
        loop {
            self.deliver(Duration::from_secs(10)).await?;
        }
    }

    /// Waits until the job of the upload at `key` has finished, delivering notifications
    /// meanwhile when `deliver` is set (no poller running).
    pub async fn wait_for_job(
        &self,
        tenant: &TenantId,
        key: &str,
        deliver: bool,
        timeout: Duration,
    ) -> Result<Job, LocalError> {
        let started = std::time::Instant::now();
        while started.elapsed() < timeout {
            if deliver {
                self.deliver(Duration::from_secs(1)).await?;
            }
            if let Some(job) = admin::finished_job(self.store(), tenant, key).await? {
                return Ok(job);
            }
            if !deliver {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        Err(LocalError::Timeout(key.to_owned(), timeout))
    }
}
