//! The stream adapter of the change events: a batch of the table's stream records, as Lambda's
//! event source mapping hands it (or as the local server reads it from DynamoDB Local's stream,
//! [`lambda_event`]), becomes the change events it makes ([`oneroster_events::event_of`]),
//! stored per tenant in the table ([`oneroster_store::TenantEvents::store`]). Records are
//! handled in stream order; the first one whose events could not be stored is reported as the
//! batch's failure, so Lambda sends it and every later record again (an event may be stored
//! twice, with the same id, never lost). Once stored, a tenant's events are published
//! ([`publish::Publisher`]): put on the EventBridge bus ([`bus`]) and queued for the tenant's
//! webhooks; a failure there fails the record as a failure to store does.

pub mod bus;
pub mod publish;

use aws_lambda_events::event::dynamodb::{Event, EventRecord, StreamRecord as LambdaRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use oneroster_model::Timestamp;
use oneroster_store::{ChangeEvent, RecordChange, Store, StreamRecord, Tenant};
use publish::Publisher;
use tracing::{info, warn, Instrument};

/// The stream records of a Lambda event, as the store reads them.
pub fn records(event: Event) -> Vec<StreamRecord> {
    event
        .records
        .into_iter()
        .map(|record| StreamRecord {
            stream_id: record.event_id,
            name: record.event_name,
            at: Timestamp::from_millis(record.change.approximate_creation_date_time.timestamp_millis()),
            sequence: record.change.sequence_number.unwrap_or_default(),
            keys: record.change.keys,
            old: record.change.old_image,
            new: record.change.new_image,
        })
        .collect()
}

/// The Lambda event the event source mapping would hand over for `records` (read by the local
/// server from DynamoDB Local's stream), so that the local stack runs the Lambda's path.
pub fn lambda_event(records: Vec<StreamRecord>) -> Event {
    let mut event = Event::default();
    event.records = records
        .into_iter()
        .map(|record| {
            let mut change = LambdaRecord::default();
            change.approximate_creation_date_time = record.at.0;
            change.keys = record.keys;
            change.old_image = record.old;
            change.new_image = record.new;
            change.sequence_number = Some(record.sequence);
            let mut lambda = EventRecord::default();
            lambda.event_id = record.stream_id;
            lambda.event_name = record.name;
            lambda.event_source = Some("aws:dynamodb".to_owned());
            lambda.change = change;
            lambda
        })
        .collect();
    event
}

/// Why a run of one tenant's events is made again.
#[derive(Debug, thiserror::Error)]
enum RunFailed {
    /// Storing them failed.
    #[error(transparent)]
    Store(#[from] oneroster_store::StoreError),
    /// Publishing them failed.
    #[error(transparent)]
    Publish(#[from] publish::PublishError),
}

/// Stores the change events of `records` and publishes them (see the crate docs); the response
/// names the first record whose events could not be stored or published.
pub async fn handle_batch(store: &Store, publisher: &Publisher, records: Vec<StreamRecord>) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    // Runs of consecutive records of one tenant, each with the sequence number it starts at.
    let mut runs: Vec<(Tenant, String, Vec<ChangeEvent>)> = Vec::new();
    for record in &records {
        let change = match RecordChange::read(record) {
            Ok(Some(change)) => change,
            Ok(None) => continue,
            // A record item without what every one holds: no retry reads it better.
            Err(error) => {
                warn!(%error, sequence = %record.sequence, "a stream record was skipped");
                continue;
            }
        };
        let event = oneroster_events::event_of(&change);
        match runs.last_mut() {
            Some((tenant, _, events)) if *tenant == change.tenant => events.extend(event),
            _ => runs.push((change.tenant, record.sequence.clone(), event.into_iter().collect())),
        }
    }
    for (tenant, sequence, events) in runs {
        let span = tracing::info_span!("events", tenant = %tenant);
        let done = async {
            store.tenant(&tenant).events().store(&events).await?;
            publisher.publish(store, &tenant, &events).await?;
            Ok::<_, RunFailed>(())
        };
        let done = done.instrument(span.clone()).await;
        let _entered = span.enter();
        match done {
            Ok(()) => info!(events = events.len(), "change events stored and published"),
            Err(error) => {
                warn!(%error, %sequence, "change events will be made again");
                let mut failure = DynamoDbBatchItemFailure::default();
                failure.item_identifier = Some(sequence);
                response.batch_item_failures.push(failure);
                break;
            }
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_lambda_event_reads_as_stream_records_and_back() {
        let fixture = include_str!("../tests/fixtures/stream-batch.json");
        let event: Event = serde_json::from_str(fixture).expect("a DynamoDB stream event");
        let records = records(event.clone());
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].name, "MODIFY");
        assert_eq!(records[0].sequence, "111");
        assert_eq!(records[1].name, "REMOVE");
        let changes: Vec<_> = records.iter().map(|r| RecordChange::read(r).expect("readable")).collect();
        assert!(changes[0].is_some(), "a user record");
        assert!(changes[1].is_none(), "a relation entry");
        assert_eq!(super::records(lambda_event(records.clone())), records);
    }
}
