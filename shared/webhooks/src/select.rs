//! What each webhook of a tenant is sent of a run of its change events: what its client may
//! see by the district's sharing rules (`oneroster_service::events::visible`, as the feed
//! serves it), of the webhook's own collections, in batches; nothing for a client that is
//! gone or disabled.

use crate::batch::{bodies, MAX_BODY_BYTES};
use crate::{Delivery, WebhookError};
use oneroster_model::Collection;
use oneroster_service::events::visible;
use oneroster_store::{ChangeEvent, TenantStore};
use std::collections::BTreeSet;

/// The first attempts of the deliveries of `events` to the tenant's webhooks.
pub async fn deliveries(store: TenantStore<'_>, events: &[ChangeEvent]) -> Result<Vec<Delivery>, WebhookError> {
    let mut deliveries = Vec::new();
    if events.is_empty() {
        return Ok(deliveries);
    }
    for webhook in store.webhooks().list().await? {
        let Some(client) = store.clients().get(&webhook.client).await?.filter(|client| client.enabled) else {
            continue;
        };
        let collections: Option<BTreeSet<Collection>> =
            webhook.collections.as_ref().map(|names| names.iter().filter_map(|n| Collection::from_name(n)).collect());
        let candidates = events.iter().map(|event| ((), event.clone())).collect();
        let shown: Vec<ChangeEvent> = visible(store, &client.sharing, collections.as_ref(), candidates)
            .await?
            .into_iter()
            .map(|(_, e)| e)
            .collect();
        for body in bodies(&shown, MAX_BODY_BYTES)? {
            deliveries.push(Delivery {
                tenant: webhook.tenant.clone(),
                webhook: webhook.id.clone(),
                attempt: 1,
                first_attempt: None,
                body,
            });
        }
    }
    Ok(deliveries)
}
