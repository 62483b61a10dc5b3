//! The webhooks Lambda, on the webhook queue (an SQS event source mapping that reports
//! partial batch failures): each message is one batch of change events for one webhook
//! ([`oneroster_webhooks::Delivery`]), which the events function queued. It is POSTed, signed
//! with the webhook's secret (opened from its seal); a receiver that fails has the batch queued
//! again, delayed by the retry policy, until the policy's window (24 hours) is over, and then
//! the batch is dead-lettered ([`oneroster_store::DeadLetter`], shown by `oneroster-admin
//! webhook status`). Each attempt is counted on the webhook. A message is reported failed (SQS
//! delivers it again) only when the provider's side failed: the store, the key or the queue.
//! A removed webhook's batches are dropped.

pub mod post;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use oneroster_auth::oauth1::{SealError, SecretSealer};
use oneroster_model::Timestamp;
use oneroster_store::{DeadLetter, Store, StoreError, Tenant};
use oneroster_webhooks::{Delivery, DeliveryQueue, RetryPolicy, WebhookError};
use post::Poster;
use std::sync::Arc;
use tracing::{info, warn, Instrument};

/// What a delivery needs, built once per instance.
#[derive(Clone)]
pub struct Deliverer {
    /// The table (webhooks, their counts and dead letters).
    pub store: Store,
    /// Opens the webhooks' signing secrets (the deployment's key, webhook context).
    pub sealer: Arc<dyn SecretSealer>,
    /// Where retries are queued.
    pub queue: DeliveryQueue,
    /// The HTTP client.
    pub poster: Poster,
    /// When to retry, and when to give up.
    pub retry: RetryPolicy,
}

impl std::fmt::Debug for Deliverer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deliverer").field("queue", &self.queue).field("retry", &self.retry).finish_non_exhaustive()
    }
}

/// Why a message is delivered again by SQS: the provider's side failed.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The secret could not be opened.
    #[error(transparent)]
    Sealing(#[from] SealError),
    /// The retry could not be queued.
    #[error(transparent)]
    Queue(#[from] WebhookError),
}

/// What became of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    /// The receiver took the batch.
    Delivered,
    /// The receiver failed; the batch is queued again after this delay.
    Retrying(std::time::Duration),
    /// The receiver failed past the retry window; the batch is dead-lettered.
    DeadLettered,
    /// The webhook is gone (or the message unreadable): nothing sent.
    Dropped,
}

/// Handles every message of a batch at once (each waits on its own receiver); the response
/// names those SQS should deliver again.
pub async fn handle_batch(deliverer: &Deliverer, event: SqsEvent) -> SqsBatchResponse {
    let handled = event.records.into_iter().map(|message| async move {
        let id = message.message_id.unwrap_or_default();
        match handle_message(deliverer, message.body.as_deref().unwrap_or_default()).await {
            Ok(_) => None,
            Err(error) => {
                warn!(message = %id, %error, "the delivery will be handled again");
                Some(id)
            }
        }
    });
    let mut response = SqsBatchResponse::default();
    for id in futures::future::join_all(handled).await.into_iter().flatten() {
        let mut failure = BatchItemFailure::default();
        failure.item_identifier = id;
        response.batch_item_failures.push(failure);
    }
    response
}

/// Handles one message: POSTs its batch, or queues it again, or dead-letters it.
pub async fn handle_message(deliverer: &Deliverer, body: &str) -> Result<Handled, DeliveryError> {
    let delivery: Delivery = match serde_json::from_str(body) {
        Ok(delivery) => delivery,
        Err(error) => {
            warn!(%error, "a message that is no webhook delivery was dropped");
            return Ok(Handled::Dropped);
        }
    };
    let span = tracing::info_span!("webhook", tenant = %delivery.tenant, webhook = %delivery.webhook,
                                   attempt = delivery.attempt);
    deliver(deliverer, &delivery).instrument(span).await
}

async fn deliver(deliverer: &Deliverer, delivery: &Delivery) -> Result<Handled, DeliveryError> {
    let tenant = Tenant::of_queued_delivery(delivery.tenant.clone());
    let webhooks = deliverer.store.tenant(&tenant).webhooks();
    let Some(webhook) = webhooks.get(&delivery.webhook).await? else {
        info!("the webhook was removed; its batch is dropped");
        return Ok(Handled::Dropped);
    };
    let secret = deliverer.sealer.open(&webhook.id, &webhook.sealed_secret).await?;
    let now = Timestamp::now();
    let at = u64::try_from(now.0.timestamp()).unwrap_or_default();
    let error = match deliverer.poster.post(&webhook.url, &secret, at, delivery.body.get()).await {
        Ok(()) => {
            webhooks.delivered(&webhook.id, now).await?;
            info!("batch delivered");
            return Ok(Handled::Delivered);
        }
        Err(error) => error.to_string(),
    };
    webhooks.failed(&webhook.id, now, &error).await?;
    let first = delivery.first_attempt.unwrap_or(now);
    match deliverer.retry.next(delivery.attempt, first, now) {
        Some(delay) => {
            deliverer.queue.send(&delivery.retried(first), delay).await?;
            warn!(%error, ?delay, "delivery failed; retrying");
            Ok(Handled::Retrying(delay))
        }
        None => {
            let letter = DeadLetter {
                webhook: webhook.id.clone(),
                at: now,
                first_attempt: first,
                attempts: delivery.attempt,
                events: delivery.event_ids().map_err(WebhookError::from)?,
                error: error.clone(),
            };
            webhooks.dead_letter(&letter).await?;
            warn!(%error, "delivery failed past the retry window; dead-lettered");
            Ok(Handled::DeadLettered)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_sqs_event_holds_a_delivery_whose_body_is_sent_as_it_is() {
        let fixture = include_str!("../tests/fixtures/sqs-delivery.json");
        let event: SqsEvent = serde_json::from_str(fixture).expect("an SQS event");
        let body = event.records[0].body.as_deref().expect("a body");
        let delivery: Delivery = serde_json::from_str(body).expect("a delivery");
        assert_eq!(
            (delivery.tenant.as_str(), delivery.webhook.as_str(), delivery.attempt),
            ("springfield", "00112233aabbccdd", 2)
        );
        assert_eq!(delivery.first_attempt.map(|t| t.to_string()).as_deref(), Some("2026-12-07T07:00:00.000Z"));
        assert!(delivery.body.get().starts_with(r#"{"events":[{"id":"0af3","#), "{}", delivery.body.get());
        assert_eq!(delivery.event_ids().expect("ids"), ["0af3"]);
    }
}
