//! The export Lambda: invoked on demand (`{"tenant": "…", "version": "1.1"}`) or by its
//! schedule (every enabled tenant, in the version the schedule's input names, 1.2 without one),
//! it writes each tenant's active records as a bulk CSV zip to
//! `s3://<bucket>/<tenant>/exports/<time>-v1p2.zip` ([`export::Exporter`]). A tenant that could
//! not be exported fails the invocation (after the others were done), so it is counted and
//! alarmed.

use export::{Exporter, Request};
use lambda_runtime::{service_fn, LambdaEvent};
use oneroster_model::Timestamp;
use oneroster_store::Store;

/// Configuration read once at start-up.
struct Config {
    table: String,
    bucket: String,
    dynamodb_endpoint: Option<String>,
    s3_endpoint: Option<String>,
}

impl Config {
    fn from_env() -> Result<Self, String> {
        let required = |name: &str, what: &str| std::env::var(name).map_err(|_| format!("{name} must name {what}"));
        Ok(Self {
            table: required("TABLE_NAME", "the DynamoDB table")?,
            bucket: required("UPLOAD_BUCKET", "the upload bucket, whose <tenant>/exports/ folders the zips go to")?,
            dynamodb_endpoint: std::env::var("DYNAMODB_ENDPOINT").ok(),
            s3_endpoint: std::env::var("S3_ENDPOINT").ok(),
        })
    }
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = Config::from_env()?;
    let aws = aws_config::load_from_env().await;
    let store = Store::connect(&aws, config.dynamodb_endpoint.as_deref(), config.table);
    let exporter =
        Exporter::new(store, oneroster_ingest::uploads::s3_client(&aws, config.s3_endpoint.as_deref()), config.bucket);
    let exporter = &exporter;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Request>| async move {
        let written = exporter.run(&event.payload, Timestamp::now()).await?;
        Ok::<_, lambda_runtime::Error>(serde_json::to_value(written)?)
    }))
    .await
}
