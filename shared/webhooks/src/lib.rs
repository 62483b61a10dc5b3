//! Change events pushed to the webhooks a district registers per client, as one library that
//! the events function (what to send, queued), the webhooks function (sending, retrying) and
//! `oneroster-admin` (adding one) share:
//!
//! - [`batch`]: events as bodies in the feed's shape (`{"events":[...]}`), each under a size
//!   an SQS message or an EventBridge entry holds;
//! - [`select`]: what each webhook of a tenant is sent of a run of events (its client's sharing
//!   rules, as the feed applies them, and its own collections), as [`Delivery`] messages;
//! - [`delivery`]: the queued message and the queue ([`DeliveryQueue`]);
//! - [`signature`]: the `X-OneRoster-Signature` header a receiver checks;
//! - [`retry`]: when a failed delivery is tried again, and when it is given up on;
//! - [`target`]: which URLs a webhook may have.

pub mod batch;
pub mod delivery;
pub mod retry;
pub mod select;
pub mod signature;
pub mod target;

pub use delivery::{Delivery, DeliveryQueue};
pub use retry::RetryPolicy;
pub use target::{Target, TargetError};

/// Making or queueing a webhook's deliveries failed: the caller tries again (the stream batch,
/// or the queued message, comes back).
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] oneroster_store::StoreError),
    /// Reading what a client may see failed.
    #[error(transparent)]
    Service(#[from] oneroster_service::ServiceError),
    /// A batch or a message could not be encoded, or a message read (a bug).
    #[error("encoding a webhook batch: {0}")]
    Encode(#[from] serde_json::Error),
    /// The webhook queue failed.
    #[error("the webhook queue: {0}")]
    Queue(String),
}
