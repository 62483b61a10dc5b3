//! The ingest function: S3 upload → SQS → this Lambda, an adapter only. Each SQS message
//! carries an S3 notification ([`event`]); each upload in it runs as one job of
//! `oneroster-ingest` ([`Ingest::run`]). A job that cannot finish now (tenant busy, store
//! throttled) is reported as a batch item failure, so SQS delivers it again later and, after
//! its retries, to the dead-letter queue. A valid job's apply is then an execution of the
//! state machine `infra/ingest-apply.asl.json`, whose steps reach the same code deployed again
//! (`IngestApplyFunction`) through [`handle_step`].

pub mod event;

// The job's types that `handle_message` takes and answers with, so that its callers (the
// local server, the tests) find them beside it; `Settings` is what `main` configures.
pub use oneroster_ingest::{Coordinator, Ingest, Outcome, RetryLater, Settings};

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use lambda_runtime::Diagnostic;
use tracing::{error, info, warn};

/// Handles one batch of SQS messages; the failed ones are named in the answer so that only
/// they are redelivered.
pub async fn handle_batch(ingest: &Ingest, event: SqsEvent) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for message in event.records {
        let id = message.message_id.clone().unwrap_or_default();
        if let Err(e) = handle_message(ingest, message.body.as_deref().unwrap_or_default()).await {
            warn!(message = %id, error = %e, "ingest will be retried");
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            response.batch_item_failures.push(failure);
        }
    }
    response
}

/// Handles one step of an apply, as the state machine's task sends it: its failure named as
/// the definition's `Retry` and `Catch` match it (`Unfinishable`, `Retryable`).
pub async fn handle_step(ingest: &Ingest, payload: serde_json::Value) -> Result<serde_json::Value, Diagnostic> {
    let failed = |f: oneroster_ingest::fanout::Failure| Diagnostic { error_type: f.error, error_message: f.cause };
    ingest.step_json(payload).await.map_err(failed)
}

/// Handles one message body (an S3 notification); `Err` means "deliver it again".
pub async fn handle_message(ingest: &Ingest, body: &str) -> Result<Vec<Outcome>, RetryLater> {
    let uploads = match event::uploads(body) {
        Ok(uploads) => uploads,
        Err(e) => {
            error!(error = %e, "the message is not an S3 notification; dropped");
            return Ok(Vec::new());
        }
    };
    let mut outcomes = Vec::new();
    for upload in uploads {
        match upload {
            Ok(upload) => outcomes.push(ingest.run(&upload).await?),
            Err(skip) => info!(reason = %skip, "notification skipped"),
        }
    }
    Ok(outcomes)
}
