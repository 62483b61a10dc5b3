//! Change events as bodies in the feed's shape (`{"events":[...]}`), each under a byte size:
//! an SQS message and an EventBridge entry hold 256 KB, so a run of events becomes as many
//! bodies as it needs, in order. An event is a few hundred bytes (names, never values), so
//! one event alone always fits.

use oneroster_store::ChangeEvent;
use serde_json::value::RawValue;

/// The largest body made: room under 256 KiB for what an SQS message or an EventBridge entry
/// holds beside it.
pub const MAX_BODY_BYTES: usize = 240 * 1024;

/// `events` as bodies in the feed's shape, each under `max_bytes` (or one event alone).
pub fn bodies(events: &[ChangeEvent], max_bytes: usize) -> Result<Vec<Box<RawValue>>, serde_json::Error> {
    const OPEN: &str = "{\"events\":[";
    const CLOSE: &str = "]}";
    let mut bodies = Vec::new();
    let mut body = String::from(OPEN);
    for event in events {
        let text = serde_json::to_string(event)?;
        let started = body.len() > OPEN.len();
        if started && body.len() + 1 + text.len() + CLOSE.len() > max_bytes {
            body.push_str(CLOSE);
            bodies.push(RawValue::from_string(std::mem::replace(&mut body, String::from(OPEN)))?);
        }
        if body.len() > OPEN.len() {
            body.push(',');
        }
        body.push_str(&text);
    }
    if body.len() > OPEN.len() {
        body.push_str(CLOSE);
        bodies.push(RawValue::from_string(body)?);
    }
    Ok(bodies)
}

#[cfg(test)]
mod tests {
    use super::*;
    use oneroster_model::Timestamp;
    use oneroster_store::{Author, EventAction};

    fn event(n: usize) -> ChangeEvent {
        ChangeEvent {
            id: format!("{n:032x}"),
            time: Timestamp::from_millis(0),
            tenant: "d-1".into(),
            collection: "users".into(),
            sourced_id: format!("u-{n}"),
            action: EventAction::Updated,
            changed: vec!["givenName".into()],
            by: Author::Job("j-1".into()),
        }
    }

    #[test]
    fn events_become_bodies_in_the_feeds_shape_under_the_size_in_order() {
        let events: Vec<ChangeEvent> = (0..1000).map(event).collect();
        let bodies = bodies(&events, 10_000).expect("encoded");
        assert!(bodies.len() > 10, "{}", bodies.len());
        let mut read = Vec::new();
        for body in &bodies {
            assert!(body.get().len() <= 10_000, "{}", body.get().len());
            let batch: serde_json::Value = serde_json::from_str(body.get()).expect("JSON");
            let events: Vec<ChangeEvent> = serde_json::from_value(batch["events"].clone()).expect("the feed's shape");
            read.extend(events);
        }
        assert_eq!(read, events);
        assert!(super::bodies(&[], 10_000).expect("encoded").is_empty(), "no events, no body");
        assert_eq!(super::bodies(&events[..1], 10).expect("encoded").len(), 1, "one event alone always goes");
    }
}
