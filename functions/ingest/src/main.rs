//! The ingest Lambda: configuration and clients once, then SQS batches to [`ingest::handle_batch`].

use aws_lambda_events::sqs::SqsEvent;
use ingest::{Ingest, Settings};
use lambda_runtime::{service_fn, LambdaEvent};
use oneroster_settings::Variables;
use oneroster_store::Store;

/// mimalloc, not the system's malloc: mapping a row allocates and frees a few dozen small
/// strings, and the CPU side of an ingest ran about 15% faster with it (`make bench-cpu`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Configuration read once at start-up.
struct Config {
    table: String,
    dynamodb_endpoint: Option<String>,
    s3_endpoint: Option<String>,
    settings: Settings,
}

impl Config {
    fn from_env() -> Result<Self, String> {
        Ok(Self {
            table: std::env::var("TABLE_NAME").map_err(|_| "TABLE_NAME must name the DynamoDB table".to_owned())?,
            dynamodb_endpoint: std::env::var("DYNAMODB_ENDPOINT").ok(),
            s3_endpoint: std::env::var("S3_ENDPOINT").ok(),
            settings: Settings::from_vars(&Variables::environment()).map_err(|e| e.to_string())?,
        })
    }
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = Config::from_env()?;
    let aws = aws_config::load_from_env().await;
    let ingest = Ingest {
        store: Store::connect(&aws, config.dynamodb_endpoint.as_deref(), config.table),
        uploads: oneroster_ingest::Uploads::connect(&aws, config.s3_endpoint.as_deref()),
        settings: config.settings,
    };
    let ingest = &ingest;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, lambda_runtime::Error>(ingest::handle_batch(ingest, event.payload).await)
    }))
    .await
}
