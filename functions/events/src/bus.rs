//! The deployment's EventBridge bus: a tenant's change events put on it as entries whose
//! `Source` is `oneroster.<tenant>` (one source per tenant, so a rule matches a district's
//! events by source), `DetailType` [`DETAIL_TYPE`], and `Detail` a batch in the feed's shape
//! (`{"events":[...]}`, under the 256 KB an entry holds). At most 10 entries and 256 KB go in
//! one `PutEvents` call; entries it answers as failed are put again, a few times, and then the
//! call fails, so the stream batch is retried (an event may be published twice, with the same
//! id, never lost).

use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use oneroster_model::TenantId;
use oneroster_store::ChangeEvent;
use oneroster_webhooks::batch::{bodies, MAX_BODY_BYTES};
use std::time::Duration;

/// The entries' `DetailType`.
pub const DETAIL_TYPE: &str = "OneRoster change events";

/// Entries one `PutEvents` call takes.
const MAX_ENTRIES: usize = 10;

/// Bytes one `PutEvents` call takes (all its entries).
const MAX_CALL_BYTES: usize = 256 * 1024;

/// Calls of one group of entries before the publishing fails.
const MAX_ATTEMPTS: u32 = 4;

/// Publishing on the bus failed.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// EventBridge answered with an error (or could not be reached).
    #[error("EventBridge: {0}")]
    Service(String),
    /// Entries were still refused after retrying.
    #[error("EventBridge refused {failed} entries after {MAX_ATTEMPTS} attempts: {error}")]
    Refused {
        /// How many.
        failed: usize,
        /// The first entry's error code and message.
        error: String,
    },
    /// A batch could not be encoded (a bug).
    #[error("encoding a batch: {0}")]
    Encode(#[from] serde_json::Error),
}

/// The bus events are put on.
#[derive(Debug, Clone)]
pub struct Bus {
    client: aws_sdk_eventbridge::Client,
    name: String,
}

/// A tenant's source on the bus.
pub fn source(tenant: &TenantId) -> String {
    format!("oneroster.{tenant}")
}

impl Bus {
    /// The bus `name` (or ARN).
    pub fn new(client: aws_sdk_eventbridge::Client, name: impl Into<String>) -> Self {
        Self { client, name: name.into() }
    }

    /// Puts `events` of `tenant` on the bus (see the module docs).
    pub async fn publish(&self, tenant: &TenantId, events: &[ChangeEvent]) -> Result<(), BusError> {
        let source = source(tenant);
        let entries: Vec<PutEventsRequestEntry> = bodies(events, MAX_BODY_BYTES)?
            .into_iter()
            .map(|body| {
                PutEventsRequestEntry::builder()
                    .event_bus_name(&self.name)
                    .source(&source)
                    .detail_type(DETAIL_TYPE)
                    .detail(body.get())
                    .build()
            })
            .collect();
        for group in calls(entries) {
            self.put(group).await?;
        }
        Ok(())
    }

    /// One call's entries, those it refuses put again with backoff.
    async fn put(&self, mut entries: Vec<PutEventsRequestEntry>) -> Result<(), BusError> {
        for attempt in 0..MAX_ATTEMPTS {
            let output = self
                .client
                .put_events()
                .set_entries(Some(entries.clone()))
                .send()
                .await
                .map_err(|e| BusError::Service(aws_sdk_eventbridge::Error::from(e).to_string()))?;
            if output.failed_entry_count() == 0 {
                return Ok(());
            }
            // Results are in the order of the entries; a failed one has an error code.
            let results = output.entries();
            let error = results
                .iter()
                .find_map(|r| r.error_code().map(|code| format!("{code}: {}", r.error_message().unwrap_or_default())))
                .unwrap_or_default();
            let refused: Vec<PutEventsRequestEntry> = entries
                .iter()
                .zip(results.iter().map(|r| r.error_code().is_some()).chain(std::iter::repeat(true)))
                .filter(|(_, failed)| *failed)
                .map(|(entry, _)| entry.clone())
                .collect();
            if attempt + 1 == MAX_ATTEMPTS {
                return Err(BusError::Refused { failed: refused.len(), error });
            }
            entries = refused;
            tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
        }
        Ok(())
    }
}

/// The size EventBridge counts of an entry (its source, detail type and detail).
fn entry_bytes(entry: &PutEventsRequestEntry) -> usize {
    [entry.source(), entry.detail_type(), entry.detail()].iter().map(|part| part.map_or(0, str::len)).sum()
}

/// `entries` grouped into calls of at most [`MAX_ENTRIES`] and [`MAX_CALL_BYTES`].
fn calls(entries: Vec<PutEventsRequestEntry>) -> Vec<Vec<PutEventsRequestEntry>> {
    let mut calls: Vec<Vec<PutEventsRequestEntry>> = Vec::new();
    let mut bytes = 0;
    for entry in entries {
        let size = entry_bytes(&entry);
        match calls.last_mut() {
            Some(call) if call.len() < MAX_ENTRIES && bytes + size <= MAX_CALL_BYTES => {
                bytes += size;
                call.push(entry);
            }
            _ => {
                bytes = size;
                calls.push(vec![entry]);
            }
        }
    }
    calls
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(detail_bytes: usize) -> PutEventsRequestEntry {
        PutEventsRequestEntry::builder().source("oneroster.d-1").detail("x".repeat(detail_bytes)).build()
    }

    #[test]
    fn calls_hold_at_most_ten_entries_and_256_kb() {
        let sizes = |calls: &[Vec<PutEventsRequestEntry>]| calls.iter().map(Vec::len).collect::<Vec<_>>();
        assert_eq!(sizes(&calls((0..25).map(|_| entry(100)).collect())), [10, 10, 5]);
        assert_eq!(sizes(&calls((0..3).map(|_| entry(MAX_BODY_BYTES)).collect())), [1, 1, 1]);
        assert_eq!(sizes(&calls(vec![entry(200_000), entry(50_000), entry(20_000)])), [2, 1]);
        assert!(calls(Vec::new()).is_empty());
        assert_eq!(source(&TenantId::parse("district-7").expect("a tenant")), "oneroster.district-7");
    }
}
