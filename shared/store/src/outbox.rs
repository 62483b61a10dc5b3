//! Where a tenant's grade write-back stands: one item (`{tenant}#outbox`, `writeback`) holding
//! the time through which the gradebook changes of API clients have been sent back to the SIS,
//! and the window a run has started and not yet finished.
//!
//! A run takes its window before it writes anything ([`TenantOutbox::begin`]: a conditional
//! write, so two runs never take two overlapping windows) and moves the bookmark past it only
//! once its package is stored ([`TenantOutbox::finish`]). A run that fails in between leaves the
//! window pending, and the next run writes that same window again, under the same name: no
//! change is lost, and none is sent in two packages.

use crate::keys::outbox_key;
use crate::records::from_json_body;
use crate::{attr, StoreError, TenantOutbox};
use aws_sdk_dynamodb::types::AttributeValue;
use oneroster_model::Timestamp;
use serde::{Deserialize, Serialize};

/// The write-back's bookmark: changes made after `through` are still to be sent; `pending`, if
/// set, ends the window a run took and did not finish.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bookmark {
    /// Every change made at or before this time was sent (none yet: the tenant's first run
    /// covers everything since it was created).
    pub through: Option<Timestamp>,
    /// The end of the window a run took and has not finished.
    pub pending: Option<Timestamp>,
}

impl TenantOutbox<'_> {
    /// The bookmark (the default when no write-back ever ran).
    pub async fn bookmark(&self) -> Result<Bookmark, StoreError> {
        match self.store.get_item(outbox_key(self.tenant)).await? {
            Some(item) => from_json_body(&item, "the write-back's bookmark"),
            None => Ok(Bookmark::default()),
        }
    }

    /// Takes the window from `read.through` to `until`, if the bookmark is still `read` (no other
    /// run took a window meanwhile); `false` when another run did.
    pub async fn begin(&self, read: &Bookmark, until: Timestamp) -> Result<bool, StoreError> {
        let next = Bookmark { through: read.through, pending: Some(until) };
        self.replace(read, &next).await
    }

    /// Moves the bookmark past the window `begun` ended, once its package is stored; `false` when
    /// another run moved it first.
    pub async fn finish(&self, begun: &Bookmark) -> Result<bool, StoreError> {
        let next = Bookmark { through: begun.pending, pending: None };
        self.replace(begun, &next).await
    }

    /// Writes `next` if the stored bookmark is `read` (or there is none and `read` is the
    /// default).
    async fn replace(&self, read: &Bookmark, next: &Bookmark) -> Result<bool, StoreError> {
        let request = self
            .store
            .client
            .put_item()
            .table_name(&self.store.table)
            .set_item(Some(outbox_key(self.tenant).into_item()))
            .item(attr::BODY, AttributeValue::S(serde_json::to_string(next)?));
        let request = if *read == Bookmark::default() {
            request.condition_expression("attribute_not_exists(pk) OR #body = :read")
        } else {
            request.condition_expression("#body = :read")
        };
        let result = request
            .expression_attribute_names("#body", attr::BODY)
            .expression_attribute_values(":read", AttributeValue::S(serde_json::to_string(read)?))
            .send()
            .await;
        crate::put_made(result)
    }
}
