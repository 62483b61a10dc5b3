//! Where a tenant's change events go once stored: the EventBridge bus ([`crate::bus`]) and the
//! webhook queue (one message per webhook and batch, `oneroster_webhooks::select`), each when
//! the deployment has it (`EVENT_BUS_NAME`, `WEBHOOK_QUEUE_URL`). A failure of either fails
//! the run, so the stream batch is retried: an event may be published twice, never lost.

use crate::bus::{Bus, BusError};
use oneroster_store::{ChangeEvent, Store, Tenant};
use oneroster_webhooks::{DeliveryQueue, WebhookError};
use std::time::Duration;

/// Publishing stored events failed.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The bus failed.
    #[error(transparent)]
    Bus(#[from] BusError),
    /// Queueing the webhooks' deliveries failed.
    #[error(transparent)]
    Webhooks(#[from] WebhookError),
}

/// The bus and the webhook queue, each optional.
#[derive(Debug, Clone, Default)]
pub struct Publisher {
    bus: Option<Bus>,
    webhooks: Option<DeliveryQueue>,
}

impl Publisher {
    /// Publishes on `bus` and queues webhook deliveries on `webhooks`, each when given.
    pub fn new(bus: Option<Bus>, webhooks: Option<DeliveryQueue>) -> Self {
        Self { bus, webhooks }
    }

    /// From the function's environment: `EVENT_BUS_NAME` and `WEBHOOK_QUEUE_URL`, each
    /// skipped when unset.
    pub fn from_env(aws: &aws_config::SdkConfig) -> Self {
        let bus = std::env::var("EVENT_BUS_NAME")
            .ok()
            .filter(|name| !name.is_empty())
            .map(|name| Bus::new(aws_sdk_eventbridge::Client::new(aws), name));
        let webhooks = std::env::var("WEBHOOK_QUEUE_URL")
            .ok()
            .filter(|url| !url.is_empty())
            .map(|url| DeliveryQueue::new(aws_sdk_sqs::Client::new(aws), url));
        Self { bus, webhooks }
    }

    /// Publishes `events` of `tenant`, just stored.
    pub async fn publish(&self, store: &Store, tenant: &Tenant, events: &[ChangeEvent]) -> Result<(), PublishError> {
        if events.is_empty() {
            return Ok(());
        }
        if let Some(bus) = &self.bus {
            bus.publish(tenant.id(), events).await?;
        }
        if let Some(queue) = &self.webhooks {
            let deliveries = oneroster_webhooks::select::deliveries(store.tenant(tenant), events).await?;
            for delivery in &deliveries {
                queue.send(delivery, Duration::ZERO).await?;
            }
        }
        Ok(())
    }
}
