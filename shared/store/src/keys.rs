//! Every key of the table, built here and nowhere else. Each one begins with the tenant, and
//! each builder takes a [`TenantId`], so no key can be made without one. A full key is a
//! [`Key`], which also reads back what a stored key says (an entry's relation, parent and child).
//!
//! | item | `pk` | `sk` | `mod` (GSI `by_modified` sort key) |
//! |---|---|---|---|
//! | record | `{tenant}#rec#{collection}#{shard}` | `{sourcedId}` | `{dateLastModified}#{sourcedId}` |
//! | relation entry | `{tenant}#rel#{relation}#{parent}[#{shard}]` | `{child}[#{via}]` | — |
//! | ingest job | `{tenant}#job` | `{jobId}` | — |
//! | a unit of an ingest job's apply, and the packs it made stale (`expires` by TTL) | `{tenant}#job-units#{jobId}` | `unit#{unit}`, `packs#{part:02}#{unit}#{chunk:03}` | — |
//! | record counts | `{tenant}#stats` | `{collection or view}` | — |
//! | ingest lock | `{tenant}#lock` | `ingest` | — |
//! | pack of a parent's children | `{tenant}#pack#{relation}#{parent}` | `{chunk:05}` | — |
//! | OAuth 1.0a nonce used (`expires` by TTL) | `{tenant}#oauth1-nonce` | `{client}#{timestamp}#{nonce}` | — |
//! | audit event (an erasure, a retention purge) | `{tenant}#audit` | `{time}#{action}#{subject}` | — |
//! | grade write-back's bookmark | `{tenant}#outbox` | `writeback` | — |
//! | the district's SIS as a pull source | `{tenant}#source` | `sis` | — |
//! | change event (`expires` by TTL) | `{tenant}#event#{YYYY-MM-DDTHH}#{shard 0-7}` | `{stored ms:013}#{event id}` | — |
//! | an hour holding change events | `{tenant}#event-hours` | `{YYYY-MM-DDTHH}` | — |
//! | webhook of a client | `{tenant}#webhook` | `{webhook id}` | — |
//! | a webhook's delivery counts | `{tenant}#webhook-status` | `{webhook id}` | — |
//! | a dead-lettered webhook batch (`expires` by TTL) | `{tenant}#webhook-dead` | `{webhook id}#{time}` | — |
//!
//! A record of a typed view (a school, a student, …) also carries `vpk` =
//! `{tenant}#view#{view}#{shard}`, the partition key of the sparse GSI `by_view` (sort key `sk`).
//!
//! `#` never occurs in a tenant id, a sourcedId (GUID charset) or a collection or relation name,
//! so keys cannot collide across kinds or tenants.
//!
//! Four kinds of item hold no district data and live in partitions that begin with `#`, which
//! no tenant id can begin with: the tenant registry (`#tenants`), the published public keys
//! (`#keys`), the token endpoint's counts of failed client authentications
//! (`#auth-failures#…`, one partition per client id or source address, expiring by TTL) and the
//! local stack's stream marks (`#stream-mark`, expiring by TTL).

use crate::attr;
use crate::batch::Item;
use aws_sdk_dynamodb::types::AttributeValue;
use oneroster_model::{Collection, Link, Relation, TenantId, Timestamp, View};
use xxhash_rust::xxh3::xxh3_64;

/// The key of one item: its partition key and its sort key, as stored. One type for every kind
/// of item, so that a key is made by a builder of this module and read back by its methods,
/// never taken apart by position.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    /// The partition key (`pk`).
    pub pk: String,
    /// The sort key (`sk`).
    pub sk: String,
}

impl Key {
    fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self { pk: pk.into(), sk: sk.into() }
    }

    /// The key as DynamoDB takes it (the `pk` and `sk` attributes): the key of a get, update or
    /// delete, and the start of an item to put.
    pub fn into_item(self) -> Item {
        Item::from([
            (attr::PK.to_owned(), AttributeValue::S(self.pk)),
            (attr::SK.to_owned(), AttributeValue::S(self.sk)),
        ])
    }

    /// The tenant and collection of a record item's key (`{tenant}#rec#{collection}#{shard}`);
    /// `None` for every other kind of item.
    pub fn record_of(&self) -> Option<(&str, Collection)> {
        let mut parts = self.pk.split('#');
        let (tenant, kind, collection, shard) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if kind != "rec" || parts.next().is_some() || shard.parse::<u64>().is_err() {
            return None;
        }
        Some((tenant, Collection::from_name(collection)?))
    }

    /// The key as kept in its record's `links` list (`{pk}|{sk}`: `|` occurs in no entry key), to find
    /// stale entries later.
    pub fn encode(&self) -> String {
        format!("{}|{}", self.pk, self.sk)
    }

    /// The inverse of [`Key::encode`]; `None` for a text without the separator.
    pub fn decode(text: &str) -> Option<Self> {
        text.split_once('|').map(|(pk, sk)| Self::new(pk, sk))
    }

    /// The relation and parent of a relation entry, from its partition key
    /// (`{tenant}#rel#{relation}#{parent}…`); `None` for the key of any other kind of item.
    pub fn entry_parent(&self) -> Option<(Relation, String)> {
        let mut parts = self.pk.split('#').skip(1);
        if parts.next()? != "rel" {
            return None;
        }
        let relation = Relation::from_name(parts.next()?)?;
        Some((relation, parts.next()?.to_owned()))
    }

    /// The record that makes a relation entry, from its sort key: the `via` of `{child}#{via}`,
    /// else the child (which makes its own entry).
    pub fn entry_maker(sort_key: &str) -> &str {
        sort_key.split_once('#').map_or(sort_key, |(_, via)| via)
    }

    /// The child id of a relation entry's sort key (`{child}` or `{child}#{via}`): listings of
    /// entries read sort keys alone, so this reads one without its key.
    pub fn entry_child(sort_key: &str) -> &str {
        sort_key.split('#').next().unwrap_or(sort_key)
    }
}

/// Partitions per collection: a bulk load of one tenant writes to 16 partition keys per
/// collection (and as many of the `by_modified` index), not one.
pub const RECORD_SHARDS: u64 = 16;

/// Shards of one hour's change events ([`crate::events`]): a first load's burst of events
/// spreads its writes over them.
pub const EVENT_SHARDS: u64 = 8;

/// The hour (UTC, `YYYY-MM-DDTHH`) a change event stored at `at` is kept under.
pub fn event_hour(at: Timestamp) -> String {
    at.0.format("%Y-%m-%dT%H").to_string()
}

/// The sort key of a change event stored at `at` with id `id`: the time (milliseconds, 13
/// digits), then the id, so that events sort in the order they were stored.
pub fn event_sort_key(at: Timestamp, id: &str) -> String {
    format!("{:013}#{id}", at.0.timestamp_millis().max(0))
}

/// The partition of one shard of one hour of a tenant's change events.
pub fn event_partition(tenant: &TenantId, hour: &str, shard: u64) -> String {
    format!("{tenant}#event#{hour}#{shard}")
}

/// A change event's key: its hour's partition, the shard chosen by its id.
pub fn event_key(tenant: &TenantId, at: Timestamp, id: &str) -> Key {
    Key::new(event_partition(tenant, &event_hour(at), shard_of(id, EVENT_SHARDS)), event_sort_key(at, id))
}

/// The partition of the items naming the hours that hold a tenant's change events.
pub fn event_hours_partition(tenant: &TenantId) -> String {
    format!("{tenant}#event-hours")
}

/// The item saying that `hour` holds change events of the tenant.
pub fn event_hour_key(tenant: &TenantId, hour: &str) -> Key {
    Key::new(event_hours_partition(tenant), hour)
}

/// The shard of `id` among `shards`: stable, so a get by sourcedId knows where to look.
pub fn shard_of(id: &str, shards: u64) -> u64 {
    xxh3_64(id.as_bytes()) % shards
}

/// One part of a collection's records: those whose id hashes to `part` modulo `parts`, a power
/// of two up to [`ShardPart::MAX_PARTS`]. Up to [`RECORD_SHARDS`] parts, a part is whole record
/// shards (the shards `s` with `s % parts == part`); past that, a slice of one shard. The
/// units of an ingest's apply each take one part of a file's records, so that units of one file
/// write disjoint records and each reads only its shards of the stored digests; the packs are
/// rebuilt by parts of their parents' ids the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct ShardPart {
    /// Which part.
    pub part: u64,
    /// Into how many parts the shards are cut.
    pub parts: u64,
}

impl ShardPart {
    /// Every shard: one part.
    pub const WHOLE: ShardPart = ShardPart { part: 0, parts: 1 };

    /// The most parts a collection is cut into: a 256th of a million-student district's
    /// enrollments is some 30,000 records.
    pub const MAX_PARTS: u64 = 256;

    /// The parts of a cut into `parts` (rounded down to a power of two, at least one, at most
    /// [`ShardPart::MAX_PARTS`]).
    pub fn cut(parts: u64) -> Vec<ShardPart> {
        let parts = 1u64 << parts.clamp(1, Self::MAX_PARTS).ilog2();
        (0..parts).map(|part| ShardPart { part, parts }).collect()
    }

    /// Whether the part is one of a cut [`ShardPart::cut`] makes.
    pub fn is_valid(&self) -> bool {
        self.parts.is_power_of_two() && self.parts <= Self::MAX_PARTS && self.part < self.parts
    }

    /// The record shards that hold the part's records: whole shards up to [`RECORD_SHARDS`]
    /// parts, one shard (part of whose records are the part's) past that.
    pub fn shards(&self) -> impl Iterator<Item = u64> {
        let step = self.parts.clamp(1, RECORD_SHARDS);
        (self.part % step..RECORD_SHARDS).step_by(usize::try_from(step).unwrap_or(1))
    }

    /// Whether the part takes only some records of its shards (a cut finer than the shards):
    /// then what is read of a shard is filtered by [`ShardPart::holds`].
    pub fn slices_shards(&self) -> bool {
        self.parts > RECORD_SHARDS
    }

    /// Whether the record (or parent) `id` falls in the part. For parts that divide
    /// [`RECORD_SHARDS`] the same as its shard's falling in the part, since both are the id's
    /// hash modulo a power of two.
    pub fn holds(&self, id: &str) -> bool {
        xxh3_64(id.as_bytes()) % self.parts.max(1) == self.part
    }
}

impl std::fmt::Display for ShardPart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-of-{}", self.part, self.parts)
    }
}

/// The partition of what the units of one ingest job's apply did and the packs they made stale.
pub fn job_units_partition(tenant: &TenantId, job: &str) -> String {
    format!("{tenant}#job-units#{job}")
}

/// The item of one unit of a job's apply.
pub fn job_unit_key(tenant: &TenantId, job: &str, unit: &str) -> Key {
    Key::new(job_units_partition(tenant, job), format!("unit#{unit}"))
}

/// The beginning of the sort keys of the stale packs whose parents fall in `part`.
pub fn job_packs_prefix(part: ShardPart) -> String {
    format!("packs#{:02}#", part.part)
}

/// One chunk of the parents in `part` whose packs one unit made stale.
pub fn job_packs_key(tenant: &TenantId, job: &str, part: ShardPart, unit: &str, chunk: usize) -> Key {
    Key::new(job_units_partition(tenant, job), format!("{}{unit}#{chunk:03}", job_packs_prefix(part)))
}

/// The partition of one shard of a collection.
pub fn record_partition(tenant: &TenantId, collection: Collection, shard: u64) -> String {
    format!("{tenant}#rec#{}#{shard:02}", collection.name())
}

/// The partition of one shard of a view in the `by_view` index; a record's shard is the same
/// in its collection and in its view.
pub fn view_partition(tenant: &TenantId, view: View, shard: u64) -> String {
    format!("{tenant}#view#{}#{shard:02}", view.name())
}

/// The key of the item holding the record count of a collection or view.
pub fn stats_key(tenant: &TenantId, name: &str) -> Key {
    Key::new(format!("{tenant}#stats"), name)
}

/// The name under which the count of a parent's children is kept (relations that keep counts).
pub fn relation_stats_name(relation: Relation, parent: &str) -> String {
    format!("rel#{}#{parent}", relation.name())
}

/// The full key of a record.
pub fn record_key(tenant: &TenantId, collection: Collection, id: &str) -> Key {
    Key::new(record_partition(tenant, collection, shard_of(id, RECORD_SHARDS)), id)
}

/// The sort key of a record in the `by_modified` index.
pub fn modified_sort_key(modified: &str, id: &str) -> String {
    format!("{modified}#{id}")
}

/// The lower bound (exclusive) of `by_modified` sort keys strictly after `modified`:
/// `$` sorts right after `#`, so every key of that very instant is excluded.
pub fn modified_after(modified: &str) -> String {
    format!("{modified}$")
}

/// The number of partitions one parent of `relation` spreads over.
pub fn relation_shards(relation: Relation) -> u64 {
    crate::layout::of(relation).shards
}

/// The partition of one shard of a parent's relation entries.
pub fn relation_partition(tenant: &TenantId, relation: Relation, parent: &str, shard: u64) -> String {
    if relation_shards(relation) > 1 {
        format!("{tenant}#rel#{}#{parent}#{shard}", relation.name())
    } else {
        format!("{tenant}#rel#{}#{parent}", relation.name())
    }
}

/// The full key of a relation entry.
pub fn link_key(tenant: &TenantId, link: &Link) -> Key {
    let shard = shard_of(link.child.as_str(), relation_shards(link.relation));
    let sk = match &link.via {
        Some(via) => format!("{}#{via}", link.child),
        None => link.child.to_string(),
    };
    Key::new(relation_partition(tenant, link.relation, link.parent.as_str(), shard), sk)
}

/// The key of one chunk of the pack of `parent`'s children in `relation`.
pub fn pack_key(tenant: &TenantId, relation: Relation, parent: &str, chunk: usize) -> Key {
    Key::new(format!("{tenant}#pack#{}#{parent}", relation.name()), format!("{chunk:05}"))
}

/// The partition of a tenant's ingest jobs.
pub fn jobs_partition(tenant: &TenantId) -> String {
    format!("{tenant}#job")
}

/// The key of one ingest job of a tenant.
pub fn job_key(tenant: &TenantId, id: &str) -> Key {
    Key::new(jobs_partition(tenant), id)
}

/// The registry entry of a tenant: partition `#tenants` (no tenant id begins with `#`), so
/// that operators can list tenants without a scan. The one key that does not begin with a
/// tenant; it holds no district data.
pub fn tenant_registry_key(tenant: &TenantId) -> Key {
    Key::new(TENANT_REGISTRY, tenant.to_string())
}

/// The registry's partition.
pub const TENANT_REGISTRY: &str = "#tenants";

/// The public keys that verify access tokens (a JWKS): like the tenant registry, a key that
/// does not begin with a tenant, holding no district data; every API function reads it.
pub fn published_keys_key() -> Key {
    Key::new("#keys", "jwks")
}

/// The key of a mark put in the table so that a reader of its stream knows when it has read
/// every change made before it (the local stack's stand-in for the event source mapping: a
/// stream's reads say nothing of how far behind they are). Holds no district data.
pub fn stream_mark_key(id: &str) -> Key {
    Key::new("#stream-mark", id)
}

/// What every partition of failed-authentication counts begins with (the auth function's IAM
/// policy allows its writes there, and nowhere else).
pub const AUTH_FAILURES: &str = "#auth-failures#";

/// The key of the count of failed client authentications for a client id (`client#{id}`) or
/// from a source address (`address#{address}`): a partition each, so that a burst against one
/// never contends with the others. The id or address is the request's, unverified, so it is
/// bounded before it gets here (the token endpoint takes only ids of the client id shape).
pub fn auth_failures_key(kind: &str, counted: &str) -> Key {
    Key::new(format!("{AUTH_FAILURES}{kind}#{counted}"), "count")
}

/// The partition of a tenant's OAuth clients.
pub fn clients_partition(tenant: &TenantId) -> String {
    format!("{tenant}#client")
}

/// The partition of a tenant's API keys (`oneroster_auth::api_key`), beside its clients.
pub fn api_keys_partition(tenant: &TenantId) -> String {
    format!("{tenant}#api-key")
}

/// The key of one API key of a tenant.
pub fn api_key_key(tenant: &TenantId, id: &str) -> Key {
    Key::new(api_keys_partition(tenant), id)
}

/// The key of one OAuth client of a tenant.
pub fn client_key(tenant: &TenantId, id: &str) -> Key {
    Key::new(clients_partition(tenant), id)
}

/// What the partition of a tenant's used OAuth 1.0a nonces ends with (the API functions' IAM
/// policy allows their one write there).
pub const NONCES: &str = "#oauth1-nonce";

/// The key of a nonce an OAuth 1.0a client of a tenant used with a timestamp (RFC 5849 §3.3:
/// a nonce is unique per client and timestamp): one partition per tenant, the client id, the
/// timestamp and the nonce in the sort key (the client id and the timestamp hold no `#`).
pub fn nonce_key(tenant: &TenantId, client: &str, timestamp: u64, nonce: &str) -> Key {
    Key::new(format!("{tenant}{NONCES}"), format!("{client}#{timestamp}#{nonce}"))
}

/// The partition of a tenant's audit events (erasures, retention purges): district data, so it
/// begins with the tenant, and the API and ingest roles may not write it.
pub fn audit_partition(tenant: &TenantId) -> String {
    format!("{tenant}#audit")
}

/// The key of one audit event: its time first, so that the partition reads in time order, then
/// what it was about (two events of one instant stay apart).
pub fn audit_key(tenant: &TenantId, at: &str, action: &str, subject: &str) -> Key {
    Key::new(audit_partition(tenant), format!("{at}#{action}#{subject}"))
}

/// The key of a tenant's ingest lock.
pub fn lock_key(tenant: &TenantId) -> Key {
    Key::new(format!("{tenant}#lock"), "ingest")
}

/// The district's settings (timezone, licensed schools, the hold's threshold, …): one item.
pub fn settings_key(tenant: &TenantId) -> Key {
    Key::new(format!("{tenant}#settings"), "district")
}

/// The district's SIS as a source the provider pulls from (`crate::sources`): one item.
pub fn source_key(tenant: &TenantId) -> Key {
    Key::new(format!("{tenant}#source"), "sis")
}

/// Where the tenant's grade write-back stands (`crate::outbox`): one item.
pub fn outbox_key(tenant: &TenantId) -> Key {
    Key::new(format!("{tenant}#outbox"), "writeback")
}

/// What the partitions of a tenant's webhook items begin with after the tenant (the
/// webhooks function's IAM policy allows its writes only there).
pub const WEBHOOK_ITEMS: &str = "#webhook";

/// The partition of a tenant's webhooks.
pub fn webhooks_partition(tenant: &TenantId) -> String {
    format!("{tenant}{WEBHOOK_ITEMS}")
}

/// The key of one webhook of a tenant.
pub fn webhook_key(tenant: &TenantId, id: &str) -> Key {
    Key::new(webhooks_partition(tenant), id)
}

/// The key of one webhook's delivery counts (written by every delivery, apart from the
/// registration an operator writes).
pub fn webhook_status_key(tenant: &TenantId, id: &str) -> Key {
    Key::new(format!("{tenant}{WEBHOOK_ITEMS}-status"), id)
}

/// The partition of a tenant's dead-lettered webhook batches.
pub fn webhook_dead_partition(tenant: &TenantId) -> String {
    format!("{tenant}{WEBHOOK_ITEMS}-dead")
}

/// The key of one dead-lettered batch of a webhook: the webhook, then the time, so that a
/// webhook's read in one query, oldest first.
pub fn webhook_dead_key(tenant: &TenantId, id: &str, at: &str) -> Key {
    Key::new(webhook_dead_partition(tenant), format!("{id}#{at}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use oneroster_model::SourcedId;

    fn tenant() -> TenantId {
        TenantId::parse("district-7").unwrap()
    }

    fn id(text: &str) -> SourcedId {
        SourcedId::parse(text).unwrap()
    }

    #[test]
    fn record_keys_begin_with_the_tenant_and_spread_over_shards() {
        let Key { pk, sk } = record_key(&tenant(), Collection::Users, "u-1");
        assert!(pk.starts_with("district-7#rec#users#"), "{pk}");
        assert_eq!(sk, "u-1");
        let shards: std::collections::HashSet<String> =
            (0..1000).map(|i| record_key(&tenant(), Collection::Users, &format!("u-{i}")).pk).collect();
        assert_eq!(shards.len(), RECORD_SHARDS as usize);
    }

    #[test]
    fn link_keys_have_the_exact_shape() {
        let direct = Link { relation: Relation::CourseClasses, parent: id("c-1"), child: id("k-1"), via: None };
        assert_eq!(link_key(&tenant(), &direct), Key::new("district-7#rel#course-classes#c-1", "k-1"));
        let via = Link { relation: Relation::ClassStudents, parent: id("k-1"), child: id("u-1"), via: Some(id("e-1")) };
        assert_eq!(link_key(&tenant(), &via), Key::new("district-7#rel#class-students#k-1", "u-1#e-1"));
        let wide = Link { relation: Relation::SchoolEnrollments, parent: id("s-1"), child: id("e-1"), via: None };
        let wide = link_key(&tenant(), &wide);
        assert!(wide.pk.starts_with("district-7#rel#school-enrollments#s-1#"), "{}", wide.pk);
        assert_eq!(Key::entry_child("u-1#e-1"), "u-1");
        let key = link_key(&tenant(), &via);
        assert_eq!(Key::decode(&key.encode()), Some(key.clone()));
        assert_eq!(key.entry_parent(), Some((Relation::ClassStudents, "k-1".to_owned())));
        assert_eq!(wide.entry_parent(), Some((Relation::SchoolEnrollments, "s-1".to_owned())));
    }

    #[test]
    fn keys_outside_a_tenant_begin_with_a_hash() {
        assert_eq!(
            auth_failures_key("client", "district-7.00112233aabbccdd"),
            Key::new("#auth-failures#client#district-7.00112233aabbccdd", "count")
        );
        assert_eq!(auth_failures_key("address", "192.0.2.1").pk, "#auth-failures#address#192.0.2.1");
        assert_eq!(published_keys_key(), Key::new("#keys", "jwks"));
        assert_eq!(tenant_registry_key(&tenant()), Key::new("#tenants", "district-7"));
        assert_eq!(clients_partition(&tenant()), "district-7#client");
    }

    #[test]
    fn a_records_shard_is_pinned_since_stored_records_are_found_by_it() {
        // Changing the hash would leave every stored record in a shard no read looks in.
        let cases = [("u-1", 16, 0), ("enr/3@x", 16, 12), ("u-1", 8, 0), ("k-1", 8, 2)];
        for (id, shards, expected) in cases {
            assert_eq!(shard_of(id, shards), expected, "{id} among {shards}");
        }
        for id in ["u-1", "enr/3@x", "k-1"] {
            let pk = record_key(&tenant(), Collection::Users, id).pk;
            assert_eq!(pk, record_partition(&tenant(), Collection::Users, shard_of(id, RECORD_SHARDS)), "{id}");
        }
    }

    #[test]
    fn the_parts_of_a_cut_hold_each_id_once_and_read_their_own_shards() {
        for (asked, parts) in [(0, 1), (1, 1), (3, 2), (4, 4), (7, 4), (16, 16), (40, 32), (256, 256), (1000, 256)] {
            let cut = ShardPart::cut(asked);
            assert_eq!(cut.len() as u64, parts, "{asked}");
            assert!(cut.iter().all(ShardPart::is_valid));
            let shards: Vec<u64> = cut.iter().flat_map(ShardPart::shards).collect();
            let per_shard = (parts / RECORD_SHARDS).max(1);
            assert_eq!(
                shards.len() as u64,
                RECORD_SHARDS * per_shard,
                "every shard in one part, or cut in {per_shard}"
            );
            assert!((0..RECORD_SHARDS).all(|s| shards.iter().filter(|t| **t == s).count() as u64 == per_shard));
            for i in 0..200 {
                let id = format!("usr-{i}");
                let holders: Vec<&ShardPart> = cut.iter().filter(|p| p.holds(&id)).collect();
                assert_eq!(holders.len(), 1, "{id}");
                assert!(holders[0].shards().any(|s| s == shard_of(&id, RECORD_SHARDS)), "{id}");
            }
        }
        let invalid = [(3, 3), (0, 3), (0, 512), (4, 4)];
        assert!(invalid.iter().all(|(part, parts)| !ShardPart { part: *part, parts: *parts }.is_valid()));
    }

    #[test]
    fn ids_spread_evenly_over_shards() {
        for shards in [RECORD_SHARDS, crate::layout::WIDE_RELATION_SHARDS] {
            let per = 1000;
            let mut counts = vec![0u64; shards as usize];
            for i in 0..shards * per {
                counts[shard_of(&format!("usr-{i:06}"), shards) as usize] += 1;
            }
            let (least, most) = (counts.iter().min().copied(), counts.iter().max().copied());
            assert!(least > Some(per * 8 / 10) && most < Some(per * 12 / 10), "{shards} shards: {counts:?}");
        }
    }

    #[test]
    fn every_key_of_district_data_begins_with_its_tenant() {
        let other = TenantId::parse("district-7-b").unwrap();
        let link =
            Link { relation: Relation::ClassStudents, parent: id("k-1"), child: id("u-1"), via: Some(id("e-1")) };
        for tenant in [tenant(), other] {
            let keys = [
                ("record", record_key(&tenant, Collection::Users, "u-1").pk),
                ("record partition", record_partition(&tenant, Collection::Orgs, 3)),
                ("view partition", view_partition(&tenant, View::Students, 3)),
                ("entry", link_key(&tenant, &link).pk),
                ("pack", pack_key(&tenant, Relation::ClassStudents, "k-1", 2).pk),
                ("stats", stats_key(&tenant, "users").pk),
                ("jobs", jobs_partition(&tenant)),
                ("job", job_key(&tenant, "j-1").pk),
                ("job unit", job_unit_key(&tenant, "j-1", "users.csv#0-of-4").pk),
                ("job packs", job_packs_key(&tenant, "j-1", ShardPart::WHOLE, "users.csv#0-of-4", 0).pk),
                ("lock", lock_key(&tenant).pk),
                ("clients", clients_partition(&tenant)),
                ("client", client_key(&tenant, "district-7.00112233aabbccdd").pk),
                ("nonce", nonce_key(&tenant, "district-7.00112233aabbccdd", 1, "n").pk),
                ("audit", audit_key(&tenant, "2026-01-01T00:00:00.000Z", "erase", "u-1").pk),
                ("webhook", webhook_key(&tenant, "00ff").pk),
                ("source", source_key(&tenant).pk),
                ("webhook status", webhook_status_key(&tenant, "00ff").pk),
                ("dead letter", webhook_dead_key(&tenant, "00ff", "2026-01-01T00:00:00.000Z").pk),
            ];
            for (name, pk) in keys {
                assert_eq!(pk.split('#').next(), Some(tenant.as_str()), "{name}: {pk}");
            }
        }
    }

    #[test]
    fn keys_have_their_exact_shapes() {
        let cases = [
            ("record partition", record_partition(&tenant(), Collection::Users, 3), "district-7#rec#users#03"),
            ("view partition", view_partition(&tenant(), View::Schools, 12), "district-7#view#schools#12"),
            ("pack head", pack_key(&tenant(), Relation::UserClasses, "u-1", 0).pk, "district-7#pack#user-classes#u-1"),
            ("pack head chunk", pack_key(&tenant(), Relation::UserClasses, "u-1", 0).sk, "00000"),
            ("pack chunk", pack_key(&tenant(), Relation::UserClasses, "u-1", 12).sk, "00012"),
            ("stats", stats_key(&tenant(), "students").pk, "district-7#stats"),
            ("stats name", stats_key(&tenant(), "students").sk, "students"),
            ("relation stats", relation_stats_name(Relation::ClassResults, "k-1"), "rel#class-results#k-1"),
            ("jobs", jobs_partition(&tenant()), "district-7#job"),
            ("job", job_key(&tenant(), "j-1").pk, "district-7#job"),
            ("job id", job_key(&tenant(), "j-1").sk, "j-1"),
            ("lock", lock_key(&tenant()).pk, "district-7#lock"),
            ("lock name", lock_key(&tenant()).sk, "ingest"),
            ("client", client_key(&tenant(), "district-7.00ff").pk, "district-7#client"),
            ("client id", client_key(&tenant(), "district-7.00ff").sk, "district-7.00ff"),
            ("nonce", nonce_key(&tenant(), "district-7.00ff", 1_800_000_000, "a#b").pk, "district-7#oauth1-nonce"),
            (
                "nonce used",
                nonce_key(&tenant(), "district-7.00ff", 1_800_000_000, "a#b").sk,
                "district-7.00ff#1800000000#a#b",
            ),
            ("modified", modified_sort_key("2026-01-01T00:00:00.000Z", "u-1"), "2026-01-01T00:00:00.000Z#u-1"),
            ("audit", audit_key(&tenant(), "2026-01-01T00:00:00.000Z", "erase", "u-1").pk, "district-7#audit"),
            (
                "audit event",
                audit_key(&tenant(), "2026-01-01T00:00:00.000Z", "erase", "u-1").sk,
                "2026-01-01T00:00:00.000Z#erase#u-1",
            ),
            ("webhook", webhook_key(&tenant(), "00ff").pk, "district-7#webhook"),
            ("webhook id", webhook_key(&tenant(), "00ff").sk, "00ff"),
            ("webhook status", webhook_status_key(&tenant(), "00ff").pk, "district-7#webhook-status"),
            ("dead letters", webhook_dead_partition(&tenant()), "district-7#webhook-dead"),
            (
                "dead letter",
                webhook_dead_key(&tenant(), "00ff", "2026-01-01T00:00:00.000Z").sk,
                "00ff#2026-01-01T00:00:00.000Z",
            ),
        ];
        for (name, key, expected) in cases {
            assert_eq!(key, expected, "{name}");
        }
    }

    #[test]
    fn every_relations_entry_key_reads_back_its_relation_and_parent() {
        for relation in Relation::ALL {
            for parent in ["k-1", "org/2@x.y", "0f"] {
                let link = Link { relation, parent: id(parent), child: id("c-1"), via: None };
                let key = link_key(&tenant(), &link);
                let shards = relation_shards(relation);
                let expected = if shards > 1 {
                    format!("district-7#rel#{}#{parent}#{}", relation.name(), shard_of("c-1", shards))
                } else {
                    format!("district-7#rel#{}#{parent}", relation.name())
                };
                assert_eq!(key, Key::new(expected, "c-1"), "{relation:?} under {parent}");
                assert_eq!(key.entry_parent(), Some((relation, parent.to_owned())), "{relation:?} under {parent}");
            }
        }
    }

    #[test]
    fn keys_of_other_items_are_not_read_as_entries() {
        let cases = [
            ("record", record_partition(&tenant(), Collection::Users, 3)),
            ("pack", pack_key(&tenant(), Relation::ClassStudents, "k-1", 0).pk),
            ("stats", stats_key(&tenant(), "users").pk),
            ("unknown relation", "district-7#rel#no-such-relation#k-1".to_owned()),
            ("no parent", "district-7#rel#class-students".to_owned()),
            ("tenant only", "district-7".to_owned()),
            ("empty", String::new()),
        ];
        for (name, pk) in cases {
            assert_eq!(Key::new(pk.clone(), "c-1").entry_parent(), None, "{name}: {pk}");
        }
    }

    #[test]
    fn an_entry_key_kept_in_a_record_reads_back_or_not_at_all() {
        // (name, key, its text, its relation and parent, its child)
        let cases = [
            (
                "direct",
                Key::new("district-7#rel#course-classes#c-1", "k-1"),
                "district-7#rel#course-classes#c-1|k-1",
                (Relation::CourseClasses, "c-1"),
                "k-1",
            ),
            (
                "via",
                Key::new("district-7#rel#class-students#k-1", "u-1#e-1"),
                "district-7#rel#class-students#k-1|u-1#e-1",
                (Relation::ClassStudents, "k-1"),
                "u-1",
            ),
            (
                "wide",
                Key::new("district-7#rel#school-enrollments#s-1#5", "e/1@x"),
                "district-7#rel#school-enrollments#s-1#5|e/1@x",
                (Relation::SchoolEnrollments, "s-1"),
                "e/1@x",
            ),
        ];
        for (name, key, text, (relation, parent), child) in cases {
            assert_eq!(key.encode(), text, "{name}: as text");
            assert_eq!(Key::decode(text), Some(key.clone()), "{name}: read back");
            assert_eq!(key.entry_parent(), Some((relation, parent.to_owned())), "{name}: relation and parent");
            assert_eq!(Key::entry_child(&key.sk), child, "{name}: child");
        }
        assert_eq!(Key::decode("district-7#rel#course-classes#c-1"), None, "no separator");
    }

    #[test]
    fn every_kind_of_key_reads_back_from_its_text_and_becomes_the_pk_and_sk_attributes() {
        let link = Link { relation: Relation::ClassStudents, parent: id("k-1"), child: id("u-1"), via: None };
        let cases = [
            ("record", record_key(&tenant(), Collection::Users, "u/1@x")),
            ("entry", link_key(&tenant(), &link)),
            ("pack", pack_key(&tenant(), Relation::ClassStudents, "k-1", 3)),
            ("stats", stats_key(&tenant(), "users")),
            ("job", job_key(&tenant(), "j-1")),
            ("lock", lock_key(&tenant())),
            ("client", client_key(&tenant(), "district-7.00ff")),
            ("registry", tenant_registry_key(&tenant())),
            ("published keys", published_keys_key()),
            ("failures", auth_failures_key("address", "192.0.2.1")),
        ];
        for (name, key) in cases {
            assert_eq!(Key::decode(&key.encode()), Some(key.clone()), "{name}");
            let item = key.clone().into_item();
            let attribute = |name: &str| item.get(name).and_then(|value| value.as_s().ok()).cloned();
            assert_eq!(
                (attribute(attr::PK), attribute(attr::SK), item.len()),
                (Some(key.pk), Some(key.sk), 2),
                "{name}"
            );
        }
    }

    #[test]
    fn entry_sort_keys_order_children_as_their_ids_do() {
        // `#` sorts before every character of a sourcedId, so `{child}#{via}` sorts with `{child}`.
        let mut ids = ["a", "a-b", "a.b", "a/b", "a0", "a@b", "aB", "a_b", "ab", "b"].map(str::to_owned).to_vec();
        ids.sort();
        let mut by_entry = ids.clone();
        by_entry.sort_by_key(|child| format!("{child}#e-1"));
        assert_eq!(by_entry, ids);
        for child in &ids {
            assert_eq!(Key::entry_child(&format!("{child}#e-1")), child, "{child} with a via");
            assert_eq!(Key::entry_child(child), child, "{child} alone");
            assert_eq!(Key::entry_maker(&format!("{child}#e-1")), "e-1", "{child}'s via");
            assert_eq!(Key::entry_maker(child), child, "{child} makes its own entry");
        }
    }

    #[test]
    fn modified_bounds_exclude_the_instant_itself() {
        let at = "2024-01-01T00:00:00.000Z";
        assert!(modified_sort_key(at, "zzz") < modified_after(at));
        assert!(modified_sort_key("2024-01-01T00:00:00.001Z", "a") > modified_after(at));
    }
}
