//! Change events, made of the table's stream rather than by the writers, so that no write path
//! (ingest, API write or delete, erasure, retention purge) can forget one. Pure: one stream
//! record of a record item ([`RecordChange`], read by the store) becomes at most one
//! [`ChangeEvent`], by these rules:
//!
//! - a new record, or one active again (after `tobedeleted` or an API deletion), is `created`;
//! - an active record marked `tobedeleted`, or erased, is `deleted`; so is a record removed for
//!   good (a retention purge, `"job": "retention"`);
//! - any other change is `updated`, and a write that changed neither the body (beyond
//!   `dateLastModified`) nor the parts folded into the record makes no event: a nightly bulk
//!   that changes nothing makes none, nor does a resumed ingest writing an item again;
//! - `changed` names the top-level properties whose values differ between the old and new body
//!   (`dateLastModified` left out; a part file's rows, where both images keep them, count as
//!   the property they render as);
//! - who made it: the API client kept as the record's `origin`, else the ingest job kept on
//!   the record, else the provider's own work (`erasure`, `retention`).

use oneroster_store::{Author, ChangeEvent, EventAction, ItemChange, RecordChange, RecordImage};
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use xxhash_rust::xxh3::xxh3_128;

/// The author of an erasure on request, which no job or client makes.
pub const ERASURE: &str = "erasure";
/// The author of a record removed for good by the retention purge.
pub const RETENTION: &str = "retention";
/// The author of a record item written by neither an ingest job nor a client (written before
/// jobs were kept on records).
pub const FEED: &str = "feed";

/// The property a part file's rows render as in their record's body (the store keeps them by
/// part key beside the body, so that a delta part file changes one part).
const PARTS: [(&str, &str); 4] = [
    ("roles", "roles"),
    ("profiles", "userProfiles"),
    ("objectives", "learningObjectiveSet"),
    ("scoreScales", "scoreScale"),
];

/// The event `change` makes, if any (see the crate docs).
pub fn event_of(change: &RecordChange) -> Option<ChangeEvent> {
    let live = |image: &Option<RecordImage>| image.as_ref().is_some_and(|image| image.status == "active");
    let (old, new) = (&change.old, &change.new);
    let action = match change.change {
        ItemChange::Remove => EventAction::Deleted,
        _ if !live(old) && live(new) => EventAction::Created,
        _ if live(old) && !live(new) => EventAction::Deleted,
        _ if !live(new) => return None,
        _ => EventAction::Updated,
    };
    let changed = match change.change {
        ItemChange::Remove => Vec::new(),
        _ => changed(old.as_ref(), new.as_ref()),
    };
    if action == EventAction::Updated && changed.is_empty() {
        return None;
    }
    let by = match (change.change, new) {
        (ItemChange::Remove, _) => Author::Job(RETENTION.to_owned()),
        (_, Some(image)) if image.erased => Author::Job(ERASURE.to_owned()),
        (_, Some(RecordImage { origin: Some(client), .. })) => Author::Client(client.clone()),
        (_, Some(RecordImage { job: Some(job), .. })) => Author::Job(job.clone()),
        _ => Author::Job(FEED.to_owned()),
    };
    Some(ChangeEvent {
        id: format!("{:032x}", xxh3_128(change.stream_id.as_bytes())),
        time: change.at,
        tenant: change.tenant.to_string(),
        collection: change.collection.name().to_owned(),
        sourced_id: change.sourced_id.clone(),
        action,
        changed,
        by,
    })
}

/// The top-level properties whose values differ between the two images' bodies, then those
/// whose parts differ, in the body's order; `dateLastModified` left out.
fn changed(old: Option<&RecordImage>, new: Option<&RecordImage>) -> Vec<String> {
    let body = |image: Option<&RecordImage>| -> Map<String, Value> {
        image.and_then(|image| serde_json::from_str(&image.body).ok()).unwrap_or_default()
    };
    let parts = |image: Option<&RecordImage>| -> Option<Map<String, Value>> {
        image.and_then(|image| serde_json::from_str(image.parts.as_deref()?).ok())
    };
    let (old_body, new_body) = (body(old), body(new));
    let mut names: Vec<String> = Vec::new();
    let mut seen = BTreeSet::new();
    for name in new_body.keys().chain(old_body.keys()) {
        if name != "dateLastModified" && old_body.get(name) != new_body.get(name) && seen.insert(name.clone()) {
            names.push(name.clone());
        }
    }
    // Parts are compared only where both images keep them (a new record's body names them all;
    // a record the API wrote holds its roles in its body alone, which the body's comparison
    // covers).
    let (Some(old_parts), Some(new_parts)) = (parts(old), parts(new)) else { return names };
    for (part, property) in PARTS {
        if old_parts.get(part) != new_parts.get(part) && seen.insert(property.to_owned()) {
            names.push(property.to_owned());
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use oneroster_model::{Collection, Tenant, TenantId, Timestamp};

    fn image(status: &str, body: &str) -> RecordImage {
        RecordImage {
            status: status.into(),
            body: body.into(),
            parts: None,
            origin: None,
            job: Some("j-1".into()),
            erased: false,
        }
    }

    fn change(kind: ItemChange, old: Option<RecordImage>, new: Option<RecordImage>) -> RecordChange {
        RecordChange {
            tenant: Tenant::by_operator(TenantId::parse("d-1").unwrap()),
            collection: Collection::Users,
            sourced_id: "u-1".into(),
            stream_id: "s-1".into(),
            change: kind,
            old,
            new,
            at: Timestamp::from_millis(5),
        }
    }

    const ANN: &str = r#"{"sourcedId":"u-1","status":"active","dateLastModified":"2026-01-01T00:00:00.000Z","givenName":"Ann","familyName":"Lee"}"#;
    const ANNE: &str = r#"{"sourcedId":"u-1","status":"active","dateLastModified":"2026-02-01T00:00:00.000Z","givenName":"Anne","familyName":"Lee"}"#;
    const GONE: &str = r#"{"sourcedId":"u-1","status":"tobedeleted","dateLastModified":"2026-02-01T00:00:00.000Z","givenName":"Ann","familyName":"Lee"}"#;

    fn action(event: Option<ChangeEvent>) -> Option<(EventAction, Vec<String>, Author)> {
        event.map(|event| (event.action, event.changed, event.by))
    }

    fn names(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| (*name).to_owned()).collect()
    }

    #[test]
    fn a_new_record_is_created_with_every_property_but_its_time() {
        let event = event_of(&change(ItemChange::Insert, None, Some(image("active", ANN)))).unwrap();
        assert_eq!(event.action, EventAction::Created);
        assert_eq!(event.changed, names(&["sourcedId", "status", "givenName", "familyName"]));
        assert_eq!(
            (event.tenant.as_str(), event.collection.as_str(), event.sourced_id.as_str()),
            ("d-1", "users", "u-1")
        );
        assert_eq!(event.by, Author::Job("j-1".into()));
        assert_eq!(event.id.len(), 32);
    }

    #[test]
    fn an_unchanged_write_makes_no_event() {
        let same_but_time = ANN.replace("2026-01-01", "2026-03-01");
        let event =
            event_of(&change(ItemChange::Modify, Some(image("active", ANN)), Some(image("active", &same_but_time))));
        assert_eq!(event, None);
    }

    #[test]
    fn a_changed_property_is_an_update_naming_it() {
        let event = event_of(&change(ItemChange::Modify, Some(image("active", ANN)), Some(image("active", ANNE))));
        assert_eq!(action(event), Some((EventAction::Updated, names(&["givenName"]), Author::Job("j-1".into()))));
    }

    #[test]
    fn a_dropped_property_is_changed_too() {
        let without =
            r#"{"sourcedId":"u-1","status":"active","dateLastModified":"2026-01-01T00:00:00.000Z","givenName":"Ann"}"#;
        let event = event_of(&change(ItemChange::Modify, Some(image("active", ANN)), Some(image("active", without))));
        assert_eq!(action(event).map(|(_, changed, _)| changed), Some(names(&["familyName"])));
    }

    #[test]
    fn tobedeleted_is_a_deletion_and_revived_is_a_creation() {
        let deleted =
            event_of(&change(ItemChange::Modify, Some(image("active", ANN)), Some(image("tobedeleted", GONE))));
        assert_eq!(
            action(deleted).map(|(action, changed, _)| (action, changed)),
            Some((EventAction::Deleted, names(&["status"])))
        );
        let revived =
            event_of(&change(ItemChange::Modify, Some(image("tobedeleted", GONE)), Some(image("active", ANN))));
        assert_eq!(action(revived).map(|(action, _, _)| action), Some(EventAction::Created));
        let still_gone = GONE.replace("Ann", "Annie");
        let quiet = event_of(&change(
            ItemChange::Modify,
            Some(image("tobedeleted", GONE)),
            Some(image("tobedeleted", &still_gone)),
        ));
        assert_eq!(quiet, None, "a deleted record changing is not news");
    }

    #[test]
    fn an_api_client_is_named_before_a_job() {
        let by_client = RecordImage { origin: Some("d-1.00ff".into()), job: None, ..image("active", ANNE) };
        let event = event_of(&change(ItemChange::Modify, Some(image("active", ANN)), Some(by_client)));
        assert_eq!(action(event).map(|(_, _, by)| by), Some(Author::Client("d-1.00ff".into())));
        let unknown = RecordImage { job: None, ..image("active", ANNE) };
        let event = event_of(&change(ItemChange::Modify, Some(image("active", ANN)), Some(unknown)));
        assert_eq!(action(event).map(|(_, _, by)| by), Some(Author::Job(FEED.into())));
    }

    #[test]
    fn an_erasure_is_a_deletion_by_the_provider() {
        let erased = RecordImage {
            erased: true,
            job: None,
            ..image(
                "tobedeleted",
                r#"{"sourcedId":"u-1","status":"tobedeleted","dateLastModified":"2026-02-01T00:00:00.000Z"}"#,
            )
        };
        let event = event_of(&change(ItemChange::Modify, Some(image("active", ANN)), Some(erased)));
        assert_eq!(
            action(event),
            Some((EventAction::Deleted, names(&["status", "givenName", "familyName"]), Author::Job(ERASURE.into())))
        );
    }

    #[test]
    fn a_removal_is_one_deletion_by_the_retention_purge() {
        let event = event_of(&change(ItemChange::Remove, Some(image("tobedeleted", GONE)), None));
        assert_eq!(action(event), Some((EventAction::Deleted, Vec::new(), Author::Job(RETENTION.into()))));
    }

    #[test]
    fn a_part_that_changes_is_the_property_it_renders_as() {
        let with_parts = |parts: &str| RecordImage { parts: Some(parts.into()), ..image("active", ANN) };
        let old = with_parts(r#"{"roles":{"r-1":{"role":"student"}},"profiles":{}}"#);
        let new = with_parts(r#"{"roles":{"r-1":{"role":"teacher"}},"profiles":{}}"#);
        let event = event_of(&change(ItemChange::Modify, Some(old.clone()), Some(new)));
        assert_eq!(
            action(event).map(|(action, changed, _)| (action, changed)),
            Some((EventAction::Updated, names(&["roles"])))
        );
        assert_eq!(event_of(&change(ItemChange::Modify, Some(old.clone()), Some(old.clone()))), None);
        // An API write keeps no parts: the body alone says what changed.
        let by_api = RecordImage { parts: None, origin: Some("d-1.00ff".into()), ..image("active", ANNE) };
        let event = event_of(&change(ItemChange::Modify, Some(old), Some(by_api)));
        assert_eq!(action(event).map(|(_, changed, _)| changed), Some(names(&["givenName"])));
    }

    #[test]
    fn the_same_stream_record_makes_the_same_event_id() {
        let one = event_of(&change(ItemChange::Insert, None, Some(image("active", ANN)))).unwrap();
        let again = event_of(&change(ItemChange::Insert, None, Some(image("active", ANN)))).unwrap();
        let other = event_of(&RecordChange {
            stream_id: "s-2".into(),
            ..change(ItemChange::Insert, None, Some(image("active", ANN)))
        });
        assert_eq!(one.id, again.id);
        assert_ne!(Some(one.id), other.map(|event| event.id));
    }
}
