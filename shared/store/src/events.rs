//! A tenant's change events, kept 30 days (`expires`, TTL) in the feed's order.
//!
//! # Order, and why a reader never skips one
//! An event is stamped with the time it is written (milliseconds), its sort key is that time and
//! then its id ([`crate::keys::event_sort_key`]), and the feed is read in sort-key order. Stream shards
//! are processed concurrently, so an event stamped earlier can become readable later than one
//! stamped after it; a reader is therefore only served events stamped before a settle horizon
//! (`until`, a few seconds before now), and writes are stamped per request of at most 25 items,
//! just before it is sent (items DynamoDB leaves unprocessed are stamped again when sent
//! again): an event is readable within one request of its stamp, so no event ever appears below
//! a position a reader has already passed, as long as a request completes within the horizon.
//!
//! # Where they are kept
//! One partition per tenant, hour and shard ([`crate::keys::event_partition`]: eight shards by event
//! id, so a first load's burst of events spreads its writes), and an item per hour that holds
//! events ([`crate::keys::event_hour_key`], written before the hour's events), so that a reader finds
//! the hours to read in one query and never walks empty ones: a page costs one query of the
//! hours, then one query per shard of each hour it reads, each for at most the page's size.
//!
//! A retried batch of the stream writes its events again under new stamps: an event may be
//! served twice (with the same id, which readers use to tell), never lost.

use crate::batch::Item;
use crate::keys::{event_hour, event_hour_key, event_hours_partition, event_key, event_partition, EVENT_SHARDS};
use crate::records::{partition_query, s};
use crate::{attr, StoreError, TenantEvents};
use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use futures::future::try_join_all;
use oneroster_model::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use std::time::Duration;

/// How long change events are kept.
pub const KEPT: Duration = Duration::from_secs(30 * 24 * 3600);

/// Attempts for one request of events before the call fails.
const MAX_ATTEMPTS: u32 = 12;

/// What a change did to its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventAction {
    /// A new record, or one active again after a deletion.
    Created,
    /// An active record changed.
    Updated,
    /// A record marked `tobedeleted`, erased, or removed for good.
    Deleted,
}

/// Who made a change: the ingest job of an upload (or the provider's own `erasure` or
/// `retention`), or an API client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Author {
    /// An ingest job, or the provider's own work (`erasure`, `retention`).
    Job(String),
    /// The API client that wrote it.
    Client(String),
}

/// One change event, in the feed's JSON shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeEvent {
    /// The event's id: the same for the same stream record, so a repeat can be told.
    pub id: String,
    /// When the change was made.
    pub time: Timestamp,
    /// The tenant.
    pub tenant: String,
    /// The record's collection.
    pub collection: String,
    /// The record's sourcedId.
    pub sourced_id: String,
    /// What the change did.
    pub action: EventAction,
    /// The top-level properties whose values changed (`dateLastModified` left out).
    pub changed: Vec<String>,
    /// Who made it.
    #[serde(flatten)]
    pub by: Author,
}

/// A place in a tenant's feed: every event after it is still to be read. Its text is the
/// feed's cursor (`{stored ms}` or `{stored ms}.{event id}`), checked before any read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct EventPosition {
    /// The sort key of the last event read, or a bare time (every event stamped before it).
    sort_key: String,
}

/// A cursor that is not one this store made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a cursor of the change events")]
pub struct BadPosition(String);

impl EventPosition {
    /// The position before every event stamped at `at` or later.
    pub fn before(at: Timestamp) -> Self {
        Self { sort_key: format!("{:013}", at.0.timestamp_millis().max(0)) }
    }

    /// Reads a cursor: 13 digits, then optionally `.` and an event id (hex).
    pub fn parse(text: &str) -> Result<Self, BadPosition> {
        let bad = || BadPosition(text.chars().take(64).collect());
        let (millis, id) = text.split_once('.').map_or((text, None), |(m, id)| (m, Some(id)));
        if millis.len() != 13 || !millis.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        match id {
            None => Ok(Self { sort_key: millis.to_owned() }),
            Some(id) if (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Ok(Self { sort_key: format!("{millis}#{id}") })
            }
            Some(_) => Err(bad()),
        }
    }

    fn millis(&self) -> i64 {
        self.sort_key.get(..13).and_then(|m| m.parse().ok()).unwrap_or(0)
    }

    fn hour(&self) -> String {
        event_hour(Timestamp::from_millis(self.millis()))
    }
}

impl fmt::Display for EventPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.sort_key.replace('#', "."))
    }
}

/// One page of a tenant's feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventPage {
    /// The events, in feed order, each with its place (a cursor to read on after it).
    pub events: Vec<(EventPosition, ChangeEvent)>,
    /// Where the next page starts: after the last event, or, when the page is not full, at the
    /// horizon (everything before it was read).
    pub next: EventPosition,
}

impl TenantEvents<'_> {
    /// Stores `events` of this tenant (see the module docs for their stamps).
    pub async fn store(&self, events: &[ChangeEvent]) -> Result<(), StoreError> {
        let mut hours = BTreeSet::new();
        for chunk in events.chunks(25) {
            let mut pending: Vec<&ChangeEvent> = chunk.iter().collect();
            for attempt in 0..MAX_ATTEMPTS {
                let at = Timestamp::now();
                let hour = event_hour(at);
                if !hours.contains(&hour) {
                    let mut item = event_hour_key(self.tenant, &hour).into_item();
                    item.insert(attr::EXPIRES.to_owned(), expires(at));
                    self.store.client.put_item().table_name(&self.store.table).set_item(Some(item)).send().await?;
                    hours.insert(hour);
                }
                let requests = pending
                    .iter()
                    .map(|event| {
                        let item = self.item(at, event)?;
                        Ok(WriteRequest::builder()
                            .put_request(PutRequest::builder().set_item(Some(item)).build()?)
                            .build())
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?;
                let output =
                    self.store.client.batch_write_item().request_items(&self.store.table, requests).send().await?;
                let left: BTreeSet<String> = output
                    .unprocessed_items
                    .and_then(|mut u| u.remove(&self.store.table))
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|request| request.put_request().and_then(|put| s(put.item(), ID)))
                    .collect();
                pending.retain(|event| left.contains(&event.id));
                if pending.is_empty() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(25u64 << attempt.min(8))).await;
            }
            if !pending.is_empty() {
                return Err(StoreError::Unprocessed(pending.len()));
            }
        }
        Ok(())
    }

    fn item(&self, at: Timestamp, event: &ChangeEvent) -> Result<Item, StoreError> {
        let mut item = event_key(self.tenant, at, &event.id).into_item();
        item.extend([
            (attr::KIND.to_owned(), AttributeValue::S("event".to_owned())),
            (ID.to_owned(), AttributeValue::S(event.id.clone())),
            (attr::BODY.to_owned(), AttributeValue::S(serde_json::to_string(event)?)),
            (attr::EXPIRES.to_owned(), expires(at)),
        ]);
        Ok(item)
    }

    /// At most `limit` events after `after` (`None`: from the oldest kept) and stamped before
    /// `until` (the settle horizon), in feed order.
    pub async fn page(
        &self,
        after: Option<&EventPosition>,
        until: Timestamp,
        limit: usize,
    ) -> Result<EventPage, StoreError> {
        let horizon = EventPosition::before(until);
        // "0" sorts before every stamp (DynamoDB takes no empty key value).
        let after = after.cloned().unwrap_or_else(|| EventPosition { sort_key: "0".to_owned() });
        if after >= horizon {
            return Ok(EventPage { events: Vec::new(), next: after });
        }
        let (client, table) = (&self.store.client, &self.store.table);
        let hours = client
            .query()
            .table_name(table)
            .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
            .expression_attribute_values(":pk", AttributeValue::S(event_hours_partition(self.tenant)))
            .expression_attribute_values(":from", AttributeValue::S(after.hour()))
            .expression_attribute_values(":to", AttributeValue::S(horizon.hour()))
            .projection_expression("sk")
            .send()
            .await?;
        self.store.count_reads(hours.items().len());
        let mut events: Vec<(String, ChangeEvent)> = Vec::new();
        for hour in hours.items().iter().filter_map(|item| s(item, attr::SK)) {
            let wanted = limit - events.len();
            let shards = (0..EVENT_SHARDS).map(|shard| self.shard_page(&hour, shard, &after, &horizon, wanted));
            let mut read: Vec<(String, ChangeEvent)> = try_join_all(shards).await?.into_iter().flatten().collect();
            read.sort_by(|a, b| a.0.cmp(&b.0));
            events.extend(read.into_iter().take(wanted));
            if events.len() == limit {
                break;
            }
        }
        let next = match events.last() {
            Some((sort_key, _)) if events.len() == limit => EventPosition { sort_key: sort_key.clone() },
            _ => horizon,
        };
        let events = events.into_iter().map(|(sort_key, event)| (EventPosition { sort_key }, event)).collect();
        Ok(EventPage { events, next })
    }

    /// The first `limit` events of one shard of one hour between `after` and `until`.
    async fn shard_page(
        &self,
        hour: &str,
        shard: u64,
        after: &EventPosition,
        until: &EventPosition,
        limit: usize,
    ) -> Result<Vec<(String, ChangeEvent)>, StoreError> {
        let pk = event_partition(self.tenant, hour, shard);
        let output = partition_query(&self.store.client, &self.store.table, pk, None)
            .key_condition_expression("pk = :pk AND sk BETWEEN :after AND :until")
            .expression_attribute_values(":after", AttributeValue::S(after.sort_key.clone()))
            .expression_attribute_values(":until", AttributeValue::S(until.sort_key.clone()))
            // One more than asked: BETWEEN takes both bounds, and `after` may name an event of
            // this shard, already read; without it the shard would yield one too few, and the
            // page could pass over its next event for a later one of another shard.
            .limit(i32::try_from(limit + 1).unwrap_or(i32::MAX))
            .send()
            .await?;
        self.store.count_reads(output.items().len());
        output
            .items()
            .iter()
            .filter_map(|item| Some((s(item, attr::SK)?, item)))
            .filter(|(sort_key, _)| *sort_key != after.sort_key)
            .take(limit)
            .map(|(sort_key, item)| Ok((sort_key, crate::records::from_json_body(item, "a change event")?)))
            .collect()
    }
}

/// The attribute holding an event's id (to find which of a request's items were left
/// unprocessed).
const ID: &str = "id";

fn expires(at: Timestamp) -> AttributeValue {
    let seconds = at.0.timestamp().max(0) as u64 + KEPT.as_secs();
    AttributeValue::N(seconds.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_read_back_and_refuse_what_they_are_not() {
        for text in ["1796612645123", "1796612645123.0af3", "0000000000000.ffffffffffffffffffffffffffffffff"] {
            assert_eq!(EventPosition::parse(text).map(|p| p.to_string()), Ok(text.to_owned()), "{text}");
        }
        for text in [
            "",
            "179661264512",
            "17966126451234",
            "1796612645123.",
            "1796612645123.xyz",
            "179661264512a",
            "1796612645123#0af3",
        ] {
            assert!(EventPosition::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn positions_order_as_the_sort_keys_of_events() {
        let at = Timestamp::from_millis(1_796_612_645_123);
        let event = EventPosition::parse(&crate::keys::event_sort_key(at, "0af3").replace('#', ".")).unwrap();
        assert!(EventPosition::before(at) < event);
        assert!(event < EventPosition::before(Timestamp::from_millis(1_796_612_645_124)));
        assert_eq!(event.hour(), event_hour(at));
    }

    #[test]
    fn an_event_reads_back_in_the_feeds_shape() {
        let event = ChangeEvent {
            id: "0af3".into(),
            time: Timestamp::from_millis(0),
            tenant: "d-1".into(),
            collection: "users".into(),
            sourced_id: "u-1".into(),
            action: EventAction::Updated,
            changed: vec!["givenName".into()],
            by: Author::Client("d-1.00ff".into()),
        };
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"id": "0af3", "time": "1970-01-01T00:00:00.000Z", "tenant": "d-1", "collection": "users",
                "sourcedId": "u-1", "action": "updated", "changed": ["givenName"], "client": "d-1.00ff"})
        );
        assert_eq!(serde_json::from_value::<ChangeEvent>(json).unwrap(), event);
    }
}
