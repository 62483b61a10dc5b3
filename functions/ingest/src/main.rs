//! The ingest Lambda: configuration and clients once, then SQS batches to
//! [`ingest::handle_batch`]; deployed a second time as the ingest-apply function, which the
//! apply's state machine invokes with one step at a time ([`ingest::handle_step`]).

use aws_lambda_events::sqs::SqsEvent;
use ingest::{Coordinator, Ingest, Settings};
use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
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
    /// The apply's state machine (`INGEST_STATE_MACHINE_ARN`); unset, applies run in the
    /// function that validated them.
    state_machine: Option<String>,
}

impl Config {
    fn from_env() -> Result<Self, String> {
        Ok(Self {
            table: std::env::var("TABLE_NAME").map_err(|_| "TABLE_NAME must name the DynamoDB table".to_owned())?,
            dynamodb_endpoint: std::env::var("DYNAMODB_ENDPOINT").ok(),
            s3_endpoint: std::env::var("S3_ENDPOINT").ok(),
            settings: Settings::from_vars(&Variables::environment()).map_err(|e| e.to_string())?,
            state_machine: std::env::var("INGEST_STATE_MACHINE_ARN").ok().filter(|arn| !arn.is_empty()),
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
        coordinator: match config.state_machine {
            Some(state_machine) => Coordinator::StepFunctions { client: aws_sdk_sfn::Client::new(&aws), state_machine },
            None => Coordinator::Local { pace: 1.0 },
        },
    };
    let ingest = &ingest;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| async move {
        match event.payload.get("step") {
            Some(_) => Box::pin(ingest::handle_step(ingest, event.payload)).await,
            None => {
                let batch: SqsEvent = serde_json::from_value(event.payload)
                    .map_err(|e| Diagnostic { error_type: "Unfinishable".into(), error_message: e.to_string() })?;
                Ok(serde_json::to_value(Box::pin(ingest::handle_batch(ingest, batch)).await).unwrap_or_default())
            }
        }
    }))
    .await
}
