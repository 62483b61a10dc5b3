//! One batch for one webhook, as a message on the webhook queue: the events function queues a
//! first attempt; the webhooks function POSTs it and, when the receiver fails, queues it again
//! delayed by the retry policy, attempt counted and first attempt's time kept, until it is
//! delivered or given up on. The body is carried as it will be sent (raw JSON, not escaped
//! into a string), so a message stays under 256 KB with a body of
//! [`crate::batch::MAX_BODY_BYTES`].

use crate::WebhookError;
use oneroster_model::{TenantId, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::time::Duration;

/// A queued delivery of one batch to one webhook.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    /// The tenant.
    pub tenant: TenantId,
    /// The webhook.
    pub webhook: String,
    /// Which attempt this is (1: the first).
    pub attempt: u32,
    /// When the first attempt was made (`None`: this is the first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_attempt: Option<Timestamp>,
    /// The body to POST: `{"events":[...]}`.
    pub body: Box<RawValue>,
}

impl Delivery {
    /// The ids of the batch's events (what a dead letter keeps).
    pub fn event_ids(&self) -> Result<Vec<String>, serde_json::Error> {
        #[derive(Deserialize)]
        struct Batch {
            events: Vec<Id>,
        }
        #[derive(Deserialize)]
        struct Id {
            id: String,
        }
        let batch: Batch = serde_json::from_str(self.body.get())?;
        Ok(batch.events.into_iter().map(|event| event.id).collect())
    }

    /// The next attempt of this delivery, whose first attempt was made at `first`.
    pub fn retried(&self, first: Timestamp) -> Self {
        Self { attempt: self.attempt + 1, first_attempt: Some(first), ..self.clone() }
    }
}

/// The webhook queue (`WEBHOOK_QUEUE_URL`).
#[derive(Debug, Clone)]
pub struct DeliveryQueue {
    sqs: aws_sdk_sqs::Client,
    url: String,
}

impl DeliveryQueue {
    /// The queue at `url`.
    pub fn new(sqs: aws_sdk_sqs::Client, url: impl Into<String>) -> Self {
        Self { sqs, url: url.into() }
    }

    /// Queues `delivery`, to be received after `delay` (at most 15 minutes).
    pub async fn send(&self, delivery: &Delivery, delay: Duration) -> Result<(), WebhookError> {
        let body = serde_json::to_string(delivery)?;
        let seconds = i32::try_from(delay.as_secs().min(crate::retry::MAX_DELAY.as_secs())).unwrap_or(900);
        self.sqs
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .delay_seconds(seconds)
            .send()
            .await
            .map_err(|e| WebhookError::Queue(aws_sdk_sqs::Error::from(e).to_string()))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delivery_carries_its_body_as_it_is_sent() {
        let body = r#"{"events":[{"id":"0af3","collection":"users"}]}"#;
        // As the events function queues a first attempt.
        let queued = format!(r#"{{"tenant":"d-1","webhook":"00ff","attempt":1,"body":{body}}}"#);
        let delivery: Delivery = serde_json::from_str(&queued).expect("a delivery");
        let message = serde_json::to_string(&delivery).expect("encoded");
        assert_eq!(message, queued, "written back as it was read");
        let read: Delivery = serde_json::from_str(&message).expect("read back");
        assert_eq!(read.body.get(), body);
        assert_eq!(read.event_ids().expect("ids"), ["0af3"]);
        let first = Timestamp::from_millis(0);
        let retried: Delivery =
            serde_json::from_str(&serde_json::to_string(&read.retried(first)).expect("encoded")).expect("read back");
        assert_eq!((retried.attempt, retried.first_attempt), (2, Some(first)));
    }
}
