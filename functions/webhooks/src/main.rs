//! The webhooks Lambda, on the webhook queue (partial batch responses): each message's batch
//! POSTed to its webhook, retried or dead-lettered ([`webhooks::handle_batch`]). `TABLE_NAME`,
//! `WEBHOOK_QUEUE_URL`, `WEBHOOK_KEY` (the KMS key the secrets are sealed under). JSON logs.

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{service_fn, LambdaEvent};
use oneroster_secrets::KmsSealer;
use oneroster_store::Store;
use oneroster_webhooks::{DeliveryQueue, RetryPolicy};
use std::sync::Arc;
use webhooks::post::Poster;
use webhooks::Deliverer;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let aws = aws_config::load_from_env().await;
    let var = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
    let deliverer = Deliverer {
        store: Store::from_env(&aws)?,
        sealer: Arc::new(KmsSealer::new(&aws, None, var("WEBHOOK_KEY")?).for_webhooks()),
        queue: DeliveryQueue::new(aws_sdk_sqs::Client::new(&aws), var("WEBHOOK_QUEUE_URL")?),
        poster: Poster::new()?,
        retry: RetryPolicy::default(),
    };
    let deliverer = &deliverer;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, lambda_runtime::Error>(webhooks::handle_batch(deliverer, event.payload).await)
    }))
    .await
}
