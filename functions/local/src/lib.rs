//! The local stack as the functions see it: the table in DynamoDB Local, the upload bucket and
//! ingest queue in moto, the bucket's upload notifications going to the queue (as in AWS), and
//! a poller that hands each notification to the real ingest handler; the table's stream read
//! from DynamoDB Local's streams API into the real events handler, as Lambda's event source
//! mapping does, the events put on the local bus and queued for webhooks, and the webhook queue
//! polled into the real webhooks handler; and every service's router on one port, with the same
//! handlers and middleware as in Lambda.

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
use oneroster_store::{Job, Store, StreamReader};
use oneroster_webhooks::{DeliveryQueue, RetryPolicy};
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
    /// missing), as `oneroster-admin client create --oauth1` seals them; webhooks' secrets too,
    /// under their own context.
    pub oauth1_key: String,
    /// The EventBridge bus (in moto) change events are put on.
    pub event_bus: String,
    /// The webhook queue (in moto).
    pub webhook_queue: String,
    /// When failed webhook deliveries are retried and given up on (the deployment's 24 hours
    /// by default; a test compresses it to seconds).
    pub webhook_retry: RetryPolicy,
    /// Whether the table has its change stream, read into change events (as in AWS): with
    /// `CHANGE_STREAM=1` (`make run EVENTS=1`). Off by default, and for a test that reads no
    /// events, because DynamoDB Local's writes slow down with every stream record it holds
    /// (see `Store::create_table_if_missing`): a 2,000-student first load would take hours.
    pub change_stream: bool,
}

impl LocalConfig {
    /// From `DYNAMODB_ENDPOINT`, `S3_ENDPOINT`, `TABLE_NAME`, `UPLOAD_BUCKET`, `INGEST_QUEUE`,
    /// `SIGNING_KEYS_FILE`, `OAUTH1_KEY`, `EVENT_BUS_NAME`, `WEBHOOK_QUEUE`, with the local defaults (the API at `http://127.0.0.1:8080`, which
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
            event_bus: var("EVENT_BUS_NAME", "oneroster-events"),
            webhook_queue: var("WEBHOOK_QUEUE", "oneroster-webhooks"),
            webhook_retry: RetryPolicy::default(),
            change_stream: std::env::var("CHANGE_STREAM").is_ok_and(|on| on == "1"),
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
    /// The webhooks' HTTP client could not be made (the system's root certificates).
    #[error("the webhooks' HTTP client: {0}")]
    HttpClient(#[source] std::io::Error),
    /// EventBridge (moto) failed.
    #[error("EventBridge: {0}")]
    EventBridge(String),
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
    /// A stream event could not be written or read as Lambda's JSON.
    #[error("a stream event as Lambda's JSON: {0}")]
    Event(serde_json::Error),
    /// An ingest job, or the reading of the table's stream, did not finish in time.
    #[error("{0} did not finish within {1:?}")]
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
    /// The bus and the webhook queue the events function publishes to.
    publisher: events::publish::Publisher,
    /// The webhooks function's dependencies.
    webhooks: webhooks::Deliverer,
    webhook_queue_url: String,
    /// The table's stream, read from where it was when the stack was set up (`None`: the table
    /// has none, [`LocalConfig::change_stream`]).
    stream: Option<Arc<tokio::sync::Mutex<StreamReader>>>,
}

impl LocalStack {
    /// Connects to the local servers and creates what is missing: the table, the bucket, the
    /// queue, the bucket's notification of uploads (`.zip`, `.ZIP`) to the queue, the key
    /// OAuth 1.0a and webhook secrets are sealed under, the event bus and the webhook queue.
    pub async fn setup(config: LocalConfig) -> Result<Self, LocalError> {
        let aws = aws_config::from_env().region(aws_config::Region::new("us-east-1")).load().await;
        let store = Store::connect(&aws, Some(&config.dynamodb_endpoint), &config.table);
        store.create_table_if_missing(config.change_stream).await?;
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
        let stream = match config.change_stream {
            true => Some(StreamReader::connect(&store, &aws, Some(&config.dynamodb_endpoint)).await?),
            false => None,
        };
        let stream = stream.map(|reader| Arc::new(tokio::sync::Mutex::new(reader)));
        let uploads = Uploads::new(s3.clone());
        let issuer =
            Issuer::new(signing_keys(config.keys_file.as_deref())?, LOCAL_ISSUER, auth::TOKEN_LIFETIME_SECONDS);
        let eventbridge = aws_sdk_eventbridge::Client::from_conf(
            aws_sdk_eventbridge::config::Builder::from(&aws).endpoint_url(&config.moto_endpoint).build(),
        );
        if eventbridge.describe_event_bus().name(&config.event_bus).send().await.is_err() {
            eventbridge
                .create_event_bus()
                .name(&config.event_bus)
                .send()
                .await
                .map_err(|e| LocalError::EventBridge(aws_sdk_eventbridge::Error::from(e).to_string()))?;
        }
        let webhook_queue_url = sqs
            .create_queue()
            .queue_name(&config.webhook_queue)
            .send()
            .await
            .map_err(sqs_error)?
            .queue_url
            .unwrap_or_default();
        let webhook_queue = DeliveryQueue::new(sqs.clone(), &webhook_queue_url);
        let publisher = events::publish::Publisher::new(
            Some(events::bus::Bus::new(eventbridge, &config.event_bus)),
            Some(webhook_queue.clone()),
        );
        let webhooks = webhooks::Deliverer {
            store: store.clone(),
            sealer: Arc::new(sealer.clone().for_webhooks()),
            queue: webhook_queue,
            poster: webhooks::post::Poster::new().map_err(LocalError::HttpClient)?,
            retry: config.webhook_retry,
        };
        let sealer = Arc::new(sealer);
        Ok(Self {
            ingest: Ingest::new(store, uploads),
            issuer,
            sealer,
            s3,
            sqs,
            queue_url,
            publisher,
            webhooks,
            webhook_queue_url,
            stream,
            config,
        })
    }

    /// The S3 client of the upload bucket.
    pub fn s3_client(&self) -> aws_sdk_s3::Client {
        self.s3.clone()
    }

    /// Where webhooks' signing secrets are sealed and opened (moto's KMS, the webhook
    /// context), as `oneroster-admin webhook add` seals them.
    pub fn webhook_sealer(&self) -> KmsSealer {
        (*self.sealer).clone().for_webhooks()
    }

    /// Where districts' SIS secrets are sealed and opened (moto's KMS, the sources' context),
    /// as `oneroster-admin source set` seals them and a pull opens them.
    pub fn source_sealer(&self) -> KmsSealer {
        (*self.sealer).clone().for_sources()
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

    /// Reads the table's stream once (every shard) and hands the records to the events
    /// function (which stores them, puts them on the bus and queues their webhook deliveries),
    /// as its event source mapping does; returns how many records were read. A table without
    /// its stream has nothing to read.
    pub async fn deliver_changes(&self) -> Result<usize, LocalError> {
        let Some(stream) = &self.stream else { return Ok(0) };
        let records = stream.lock().await.poll().await?;
        self.hand_changes(records).await
    }

    /// Reads the table's stream into the events function until every change made before the
    /// call is stored as events (a mark put in the table comes by; a round that reads nothing
    /// does not say so, as DynamoDB Local's shards skip other tables' records in silence).
    /// Returns how many records were read; gives up after `within`.
    pub async fn settle_changes(&self, within: Duration) -> Result<usize, LocalError> {
        let Some(stream) = &self.stream else { return Ok(0) };
        let mut stream = stream.lock().await;
        let mark = stream.mark(self.store()).await?;
        let deadline = tokio::time::Instant::now() + within;
        let mut read = 0;
        loop {
            let records = stream.poll().await?;
            let settled = records.iter().any(|record| record.is_mark(&mark));
            read += self.hand_changes(records).await?;
            if settled {
                return Ok(read);
            }
            if tokio::time::Instant::now() > deadline {
                return Err(LocalError::Timeout("the table's stream".to_owned(), within));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Hands `records` to the events function as the event source mapping does, through the
    /// JSON of a Lambda event; returns how many there were. A batch whose events could not be
    /// stored is logged (the local stream is not read again).
    async fn hand_changes(&self, records: Vec<oneroster_store::StreamRecord>) -> Result<usize, LocalError> {
        let read = records.len();
        if read == 0 {
            return Ok(0);
        }
        let json = serde_json::to_vec(&events::lambda_event(records)).map_err(LocalError::Event)?;
        let event = serde_json::from_slice(&json).map_err(LocalError::Event)?;
        let response = events::handle_batch(self.store(), &self.publisher, events::records(event)).await;
        if let Some(failure) = response.batch_item_failures.first() {
            tracing::warn!(sequence = ?failure.item_identifier, "change events were not all stored");
        }
        Ok(read)
    }

    /// Reads the table's stream for ever, storing the change events (the local stand-in for the
    /// event source mapping), resting a second when there was nothing to read.
    pub async fn serve_events(&self) -> Result<(), LocalError> {
        loop {
            if self.deliver_changes().await? == 0 {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }

    /// Receives the webhook queue's messages once (waiting up to a second; a retry's delay is
    /// SQS's, as in AWS) and hands them to the webhooks function as its SQS trigger does:
    /// those it does not report failed are deleted. Returns how many were handled.
    pub async fn deliver_webhooks(&self) -> Result<usize, LocalError> {
        let received = self
            .sqs
            .receive_message()
            .queue_url(&self.webhook_queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .visibility_timeout(30)
            .send()
            .await
            .map_err(sqs_error)?;
        let messages = received.messages.unwrap_or_default();
        let mut event = aws_lambda_events::event::sqs::SqsEvent::default();
        for message in &messages {
            let mut record = aws_lambda_events::event::sqs::SqsMessage::default();
            record.message_id = message.message_id.clone();
            record.body = message.body.clone();
            event.records.push(record);
        }
        let response = webhooks::handle_batch(&self.webhooks, event).await;
        let failed: Vec<&str> = response.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
        for message in &messages {
            if failed.contains(&message.message_id().unwrap_or_default()) {
                continue;
            }
            if let Some(handle) = message.receipt_handle() {
                let deleted = self.sqs.delete_message().queue_url(&self.webhook_queue_url).receipt_handle(handle);
                deleted.send().await.map_err(sqs_error)?;
            }
        }
        Ok(messages.len())
    }

    /// Polls the webhook queue for ever (the local stand-in for the webhooks function's
    /// trigger).
    pub async fn serve_webhooks(&self) -> Result<(), LocalError> {
        loop {
            self.deliver_webhooks().await?;
        }
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
        Err(LocalError::Timeout(format!("the ingest job for {key}"), timeout))
    }
}
