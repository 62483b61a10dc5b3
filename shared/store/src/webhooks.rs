//! A tenant's webhooks: where a district has a client's change events POSTed
//! (`oneroster-admin webhook add`), how their deliveries went, and the batches given up on.
//!
//! Three kinds of item, each in its own partition of the tenant ([`crate::keys`]): the
//! registration ([`Webhook`], written by an operator; its signing secret only sealed under the
//! deployment's key), its delivery counts ([`WebhookStatus`], updated in place by each delivery
//! with `ADD`, so two deliveries at once never lose a count), and the dead letters
//! ([`DeadLetter`], one item per batch given up on, kept 30 days by TTL) that `webhook status`
//! shows. Removing a webhook removes its registration: a delivery then finds none and drops
//! its batch.

use crate::keys::{webhook_dead_key, webhook_dead_partition, webhook_key, webhook_status_key, webhooks_partition};
use crate::records::{from_json_body, query_partition, s};
use crate::tenant::check_owner;
use crate::{attr, StoreError, TenantWebhooks};
use aws_sdk_dynamodb::types::AttributeValue;
use oneroster_model::{TenantId, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// How long a dead-lettered batch is kept (as long as the feed keeps events).
const DEAD_LETTERS_KEPT_SECONDS: i64 = 30 * 24 * 3600;

/// The longest error text kept (an answer's first words, never its whole body).
pub const MAX_ERROR_CHARS: usize = 300;

/// One webhook: the client whose sharing rules decide what it is sent, where, and which
/// collections. `Debug` prints the sealed secret as `[redacted]`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webhook {
    /// The webhook's id (16 hex).
    pub id: String,
    /// The tenant.
    pub tenant: TenantId,
    /// The client it delivers for.
    pub client: String,
    /// Where batches are POSTed (checked when it was added).
    pub url: String,
    /// Only these collections' events (`None`: every collection the client may reach).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collections: Option<BTreeSet<String>>,
    /// The signing secret, sealed under the deployment's key (bound to the webhook's id).
    pub sealed_secret: String,
    /// When it was added.
    pub created: Timestamp,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("id", &self.id)
            .field("tenant", &self.tenant)
            .field("client", &self.client)
            .field("url", &self.url)
            .field("collections", &self.collections)
            .field("sealed_secret", &format_args!("[redacted]"))
            .field("created", &self.created)
            .finish()
    }
}

/// How a webhook's deliveries went.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookStatus {
    /// Batches the receiver accepted.
    pub delivered: u64,
    /// When it last accepted one.
    pub last_success: Option<Timestamp>,
    /// Attempts that failed (each retry counts).
    pub failures: u64,
    /// When the last attempt failed.
    pub last_failure: Option<Timestamp>,
    /// Why the last attempt failed (bounded, never a secret).
    pub last_error: Option<String>,
    /// Batches given up on.
    pub dead_lettered: u64,
}

/// A batch given up on after its retries: kept for the operator to see (and to send again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetter {
    /// The webhook.
    pub webhook: String,
    /// When it was given up on.
    pub at: Timestamp,
    /// When it was first tried.
    pub first_attempt: Timestamp,
    /// How many attempts were made.
    pub attempts: u32,
    /// The ids of its events.
    pub events: Vec<String>,
    /// Why the last attempt failed.
    pub error: String,
}

impl TenantWebhooks<'_> {
    /// Saves a webhook (add); refused when it names another tenant.
    pub async fn put(&self, webhook: &Webhook) -> Result<(), StoreError> {
        check_owner(self.tenant, &webhook.tenant)?;
        self.store.put_json(webhook_key(self.tenant, &webhook.id), webhook).await
    }

    /// A webhook by id.
    pub async fn get(&self, id: &str) -> Result<Option<Webhook>, StoreError> {
        let item = self.store.get_item(webhook_key(self.tenant, id)).await?;
        item.as_ref().map(|item| from_json_body(item, "a webhook")).transpose()
    }

    /// Every webhook of the tenant (what the events function delivers to).
    pub async fn list(&self) -> Result<Vec<Webhook>, StoreError> {
        let (client, table) = (&self.store.client, &self.store.table);
        let items = query_partition(client, table, webhooks_partition(self.tenant), None).await?;
        items.iter().map(|item| from_json_body(item, "a webhook")).collect()
    }

    /// Removes a webhook; `false` when there was none. Its counts and dead letters stay, for
    /// `webhook status`.
    pub async fn remove(&self, id: &str) -> Result<bool, StoreError> {
        let output = self
            .store
            .client
            .delete_item()
            .table_name(&self.store.table)
            .set_key(Some(webhook_key(self.tenant, id).into_item()))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await?;
        Ok(output.attributes.is_some())
    }

    /// Counts a delivered batch.
    pub async fn delivered(&self, id: &str, at: Timestamp) -> Result<(), StoreError> {
        self.count(id, "delivered", "lastSuccess = :at", vec![(":at", AttributeValue::S(at.to_string()))]).await
    }

    /// Counts a failed attempt and keeps why (cut to [`MAX_ERROR_CHARS`]).
    pub async fn failed(&self, id: &str, at: Timestamp, error: &str) -> Result<(), StoreError> {
        let error: String = error.chars().take(MAX_ERROR_CHARS).collect();
        let values = vec![(":at", AttributeValue::S(at.to_string())), (":error", AttributeValue::S(error))];
        self.count(id, "failures", "lastFailure = :at, lastError = :error", values).await
    }

    /// Keeps a batch given up on, and counts it.
    pub async fn dead_letter(&self, letter: &DeadLetter) -> Result<(), StoreError> {
        let at = letter.at.to_string();
        let mut item = webhook_dead_key(self.tenant, &letter.webhook, &at).into_item();
        item.insert(attr::BODY.to_owned(), AttributeValue::S(serde_json::to_string(letter)?));
        let expires = letter.at.0.timestamp() + DEAD_LETTERS_KEPT_SECONDS;
        item.insert(attr::EXPIRES.to_owned(), AttributeValue::N(expires.to_string()));
        self.store.client.put_item().table_name(&self.store.table).set_item(Some(item)).send().await?;
        self.count(&letter.webhook, "deadLettered", "lastFailure = :at", vec![(":at", AttributeValue::S(at))]).await
    }

    /// A webhook's delivery counts (zeros when nothing was delivered yet).
    pub async fn status(&self, id: &str) -> Result<WebhookStatus, StoreError> {
        let Some(item) = self.store.get_item(webhook_status_key(self.tenant, id)).await? else {
            return Ok(WebhookStatus::default());
        };
        let number = |name: &str| item.get(name).and_then(|v| v.as_n().ok()).and_then(|n| n.parse().ok());
        let time = |name: &str| s(&item, name).and_then(|t| Timestamp::parse(&t).ok());
        Ok(WebhookStatus {
            delivered: number("delivered").unwrap_or(0),
            last_success: time("lastSuccess"),
            failures: number("failures").unwrap_or(0),
            last_failure: time("lastFailure"),
            last_error: s(&item, "lastError"),
            dead_lettered: number("deadLettered").unwrap_or(0),
        })
    }

    /// The dead-lettered batches of a webhook, oldest first.
    pub async fn dead_letters(&self, id: &str) -> Result<Vec<DeadLetter>, StoreError> {
        let query = crate::records::partition_query(
            &self.store.client,
            &self.store.table,
            webhook_dead_partition(self.tenant),
            None,
        )
        .key_condition_expression("pk = :pk AND begins_with(sk, :webhook)")
        .expression_attribute_values(":webhook", AttributeValue::S(format!("{id}#")));
        let mut letters = Vec::new();
        let mut failure = None;
        crate::records::query_pages(query, |page| {
            for item in page.items.unwrap_or_default() {
                match from_json_body(&item, "a dead letter") {
                    Ok(letter) => letters.push(letter),
                    Err(error) => failure = Some(error),
                }
            }
        })
        .await?;
        failure.map_or(Ok(letters), Err)
    }

    /// Adds one to `counter` of the webhook's counts and sets `set`.
    async fn count(
        &self,
        id: &str,
        counter: &str,
        set: &str,
        values: Vec<(&str, AttributeValue)>,
    ) -> Result<(), StoreError> {
        let mut update = self
            .store
            .client
            .update_item()
            .table_name(&self.store.table)
            .set_key(Some(webhook_status_key(self.tenant, id).into_item()))
            .update_expression(format!("ADD #counter :one SET {set}"))
            .expression_attribute_names("#counter", counter)
            .expression_attribute_values(":one", AttributeValue::N("1".to_owned()));
        for (name, value) in values {
            update = update.expression_attribute_values(name, value);
        }
        update.send().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_webhook_never_prints_its_sealed_secret() {
        let webhook = Webhook {
            id: "00ff".into(),
            tenant: TenantId::parse("district-7").expect("a tenant"),
            client: "district-7.00112233aabbccdd".into(),
            url: "https://apps.example/hooks".into(),
            collections: None,
            sealed_secret: "c2VhbGVkIHNlY3JldA==".into(),
            created: Timestamp::now(),
        };
        let shown = format!("{webhook:?}");
        assert!(shown.contains("[redacted]") && !shown.contains("c2VhbGVk"), "{shown}");
    }
}
