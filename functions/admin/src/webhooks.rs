//! A district's webhooks (`oneroster-admin webhook …`): where a client's change events are
//! POSTed. A webhook is added for a client of the tenant, to an `https://` URL (plain
//! `http://` only to this machine), optionally for some collections; its signing secret is
//! made here, shown once and stored only sealed under the deployment's key (webhook context).
//! Its status shows how deliveries went and the batches given up on, never the secret.

use crate::{check_enabled, operator, AdminError};
use oneroster_auth::oauth1::SecretSealer;
use oneroster_model::{Sharing, TenantId, Timestamp};
use oneroster_store::{Store, Webhook};
use oneroster_webhooks::Target;
use serde_json::{json, Value};

/// Adds a webhook for `client` (which must be one of the tenant's) at `url`, of `collections`
/// (comma-separated names; `None`: every collection the client may reach). Returns the
/// webhook and its signing secret, to show once.
pub async fn add_webhook(
    store: &Store,
    sealer: &dyn SecretSealer,
    tenant: &TenantId,
    client: &str,
    url: &str,
    collections: Option<&str>,
) -> Result<(Webhook, String), AdminError> {
    let url = Target::parse(url)?;
    let collections = collections
        .map(|list| {
            Sharing::parse_collections(list)
                .map_err(|e| AdminError::BadSetting { setting: "collections", reason: e.to_string() })
        })
        .transpose()?;
    check_enabled(store, tenant).await?;
    let operator = operator(tenant);
    let handle = store.tenant(&operator);
    if handle.clients().get(client).await?.is_none() {
        return Err(AdminError::UnknownClient(client.to_owned()));
    }
    let id = oneroster_auth::secret::random_id();
    let secret = oneroster_auth::secret::random_secret();
    let webhook = Webhook {
        sealed_secret: sealer.seal(&id, &secret).await?,
        id,
        tenant: tenant.clone(),
        client: client.to_owned(),
        url: url.to_string(),
        collections,
        created: Timestamp::now(),
    };
    handle.webhooks().put(&webhook).await?;
    Ok((webhook, secret.expose().to_owned()))
}

/// What an operator is shown of a webhook: never its secret.
pub fn shown_webhook(webhook: &Webhook) -> Value {
    json!({"webhook_id": webhook.id, "client_id": webhook.client, "url": webhook.url,
           "collections": webhook.collections.as_ref().map_or(json!("all"), |c| json!(c)),
           "created": webhook.created})
}

/// Every webhook of a tenant, as shown.
pub async fn list_webhooks(store: &Store, tenant: &TenantId) -> Result<Value, AdminError> {
    let webhooks = store.tenant(&operator(tenant)).webhooks().list().await?;
    Ok(Value::Array(webhooks.iter().map(shown_webhook).collect()))
}

/// Removes a webhook: batches still queued for it are dropped.
pub async fn remove_webhook(store: &Store, tenant: &TenantId, id: &str) -> Result<(), AdminError> {
    match store.tenant(&operator(tenant)).webhooks().remove(id).await? {
        true => Ok(()),
        false => Err(AdminError::UnknownWebhook(id.to_owned())),
    }
}

/// How deliveries went, for one webhook or every one of the tenant: delivered batches, last
/// success, failures, last error, and the dead-lettered batches.
pub async fn webhook_status(store: &Store, tenant: &TenantId, id: Option<&str>) -> Result<Value, AdminError> {
    let operator = operator(tenant);
    let webhooks = store.tenant(&operator).webhooks();
    let ids: Vec<String> = match id {
        Some(id) => {
            webhooks.get(id).await?.ok_or_else(|| AdminError::UnknownWebhook(id.to_owned()))?;
            vec![id.to_owned()]
        }
        None => webhooks.list().await?.into_iter().map(|webhook| webhook.id).collect(),
    };
    let mut shown = Vec::new();
    for id in ids {
        let status = webhooks.status(&id).await?;
        let dead = webhooks.dead_letters(&id).await?;
        shown.push(json!({"webhook_id": id, "status": status, "deadLetters": dead}));
    }
    Ok(Value::Array(shown))
}
