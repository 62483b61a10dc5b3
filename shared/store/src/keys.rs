//! Every key of the table, built here and nowhere else. Each one begins with the tenant, and
//! each builder takes a [`TenantId`], so no key can be made without one.
//!
//! | item | `pk` | `sk` | `mod` (GSI `by_modified` sort key) |
//! |---|---|---|---|
//! | record | `{tenant}#rec#{collection}#{shard}` | `{sourcedId}` | `{dateLastModified}#{sourcedId}` |
//! | relation entry | `{tenant}#rel#{relation}#{parent}[#{shard}]` | `{child}[#{via}]` | — |
//! | ingest job | `{tenant}#job` | `{jobId}` | — |
//! | record counts | `{tenant}#stats` | `{collection or view}` | — |
//! | ingest lock | `{tenant}#lock` | `ingest` | — |
//! | pack of a parent's children | `{tenant}#pack#{relation}#{parent}` | `{chunk:05}` | — |
//!
//! A record of a typed view (a school, a student, …) also carries `vpk` =
//! `{tenant}#view#{view}#{shard}`, the partition key of the sparse GSI `by_view` (sort key `sk`).
//!
//! `#` never occurs in a tenant id, a sourcedId (GUID charset) or a collection or relation name,
//! so keys cannot collide across kinds or tenants.
//!
//! Three kinds of item hold no district data and live in partitions that begin with `#`, which
//! no tenant id can begin with: the tenant registry (`#tenants`), the published public keys
//! (`#keys`) and the token endpoint's counts of failed client authentications
//! (`#auth-failures#…`, one partition per client id or source address, expiring by TTL).

use oneroster_model::{Collection, Link, Relation, TenantId, View};
use xxhash_rust::xxh3::xxh3_64;

/// Partitions per collection: a bulk load of one tenant writes to 16 partition keys per
/// collection (and as many of the `by_modified` index), not one.
pub const RECORD_SHARDS: u64 = 16;

/// The shard of `id` among `shards`: stable, so a get by sourcedId knows where to look.
pub fn shard_of(id: &str, shards: u64) -> u64 {
    xxh3_64(id.as_bytes()) % shards
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
pub fn stats_key(tenant: &TenantId, name: &str) -> (String, String) {
    (format!("{tenant}#stats"), name.to_owned())
}

/// The name under which the count of a parent's children is kept (relations that keep counts).
pub fn relation_stats_name(relation: Relation, parent: &str) -> String {
    format!("rel#{}#{parent}", relation.name())
}

/// The full key of a record.
pub fn record_key(tenant: &TenantId, collection: Collection, id: &str) -> (String, String) {
    (record_partition(tenant, collection, shard_of(id, RECORD_SHARDS)), id.to_owned())
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
pub fn link_key(tenant: &TenantId, link: &Link) -> (String, String) {
    let shard = shard_of(link.child.as_str(), relation_shards(link.relation));
    let sk = match &link.via {
        Some(via) => format!("{}#{via}", link.child),
        None => link.child.to_string(),
    };
    (relation_partition(tenant, link.relation, link.parent.as_str(), shard), sk)
}

/// The key of one chunk of the pack of `parent`'s children in `relation`.
pub fn pack_key(tenant: &TenantId, relation: Relation, parent: &str, chunk: usize) -> (String, String) {
    (format!("{tenant}#pack#{}#{parent}", relation.name()), format!("{chunk:05}"))
}

/// The relation and parent of an entry's partition key (`{tenant}#rel#{relation}#{parent}…`).
pub fn relation_of_entry(pk: &str) -> Option<(Relation, String)> {
    let mut parts = pk.split('#').skip(1);
    if parts.next()? != "rel" {
        return None;
    }
    let relation = Relation::from_name(parts.next()?)?;
    Some((relation, parts.next()?.to_owned()))
}

/// The child id of a relation entry's sort key.
pub fn child_of_link_sort_key(sk: &str) -> &str {
    sk.split('#').next().unwrap_or(sk)
}

/// The partition of a tenant's ingest jobs.
pub fn jobs_partition(tenant: &TenantId) -> String {
    format!("{tenant}#job")
}

/// The registry entry of a tenant: partition `#tenants` (no tenant id begins with `#`), so
/// that operators can list tenants without a scan. The one key that does not begin with a
/// tenant; it holds no district data.
pub fn tenant_registry_key(tenant: &TenantId) -> (String, String) {
    (TENANT_REGISTRY.to_owned(), tenant.to_string())
}

/// The registry's partition.
pub const TENANT_REGISTRY: &str = "#tenants";

/// The public keys that verify access tokens (a JWKS): like the tenant registry, a key that
/// does not begin with a tenant, holding no district data; every API function reads it.
pub fn published_keys_key() -> (String, String) {
    ("#keys".to_owned(), "jwks".to_owned())
}

/// What every partition of failed-authentication counts begins with (the auth function's IAM
/// policy allows its writes there, and nowhere else).
pub const AUTH_FAILURES: &str = "#auth-failures#";

/// The key of the count of failed client authentications for a client id (`client#{id}`) or
/// from a source address (`address#{address}`): a partition each, so that a burst against one
/// never contends with the others. The id or address is the request's, unverified, so it is
/// bounded before it gets here (the token endpoint takes only ids of the client id shape).
pub fn auth_failures_key(kind: &str, counted: &str) -> (String, String) {
    (format!("{AUTH_FAILURES}{kind}#{counted}"), "count".to_owned())
}

/// The partition of a tenant's OAuth clients.
pub fn clients_partition(tenant: &TenantId) -> String {
    format!("{tenant}#client")
}

/// The key of a tenant's ingest lock.
pub fn lock_key(tenant: &TenantId) -> (String, String) {
    (format!("{tenant}#lock"), "ingest".to_owned())
}

/// A relation entry's key as kept in its record's `links` list, to find stale entries later.
pub fn encode_link_key((pk, sk): &(String, String)) -> String {
    format!("{pk}|{sk}")
}

/// The inverse of [`encode_link_key`].
pub fn decode_link_key(text: &str) -> Option<(String, String)> {
    text.split_once('|').map(|(pk, sk)| (pk.to_owned(), sk.to_owned()))
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
        let (pk, sk) = record_key(&tenant(), Collection::Users, "u-1");
        assert!(pk.starts_with("district-7#rec#users#"), "{pk}");
        assert_eq!(sk, "u-1");
        let shards: std::collections::HashSet<String> =
            (0..1000).map(|i| record_key(&tenant(), Collection::Users, &format!("u-{i}")).0).collect();
        assert_eq!(shards.len(), RECORD_SHARDS as usize);
    }

    #[test]
    fn link_keys_have_the_exact_shape() {
        let direct = Link { relation: Relation::CourseClasses, parent: id("c-1"), child: id("k-1"), via: None };
        assert_eq!(link_key(&tenant(), &direct), ("district-7#rel#course-classes#c-1".into(), "k-1".into()));
        let via = Link { relation: Relation::ClassStudents, parent: id("k-1"), child: id("u-1"), via: Some(id("e-1")) };
        assert_eq!(link_key(&tenant(), &via), ("district-7#rel#class-students#k-1".into(), "u-1#e-1".into()));
        let wide = Link { relation: Relation::SchoolEnrollments, parent: id("s-1"), child: id("e-1"), via: None };
        let (pk, _) = link_key(&tenant(), &wide);
        assert!(pk.starts_with("district-7#rel#school-enrollments#s-1#"), "{pk}");
        assert_eq!(child_of_link_sort_key("u-1#e-1"), "u-1");
        let key = link_key(&tenant(), &via);
        assert_eq!(decode_link_key(&encode_link_key(&key)), Some(key.clone()));
        assert_eq!(relation_of_entry(&key.0), Some((Relation::ClassStudents, "k-1".to_owned())));
        assert_eq!(relation_of_entry(&pk), Some((Relation::SchoolEnrollments, "s-1".to_owned())));
    }

    #[test]
    fn keys_outside_a_tenant_begin_with_a_hash() {
        assert_eq!(
            auth_failures_key("client", "district-7.00112233aabbccdd"),
            ("#auth-failures#client#district-7.00112233aabbccdd".into(), "count".into())
        );
        assert_eq!(auth_failures_key("address", "192.0.2.1").0, "#auth-failures#address#192.0.2.1");
        assert_eq!(published_keys_key(), ("#keys".into(), "jwks".into()));
        assert_eq!(tenant_registry_key(&tenant()), ("#tenants".into(), "district-7".into()));
        assert_eq!(clients_partition(&tenant()), "district-7#client");
    }

    #[test]
    fn modified_bounds_exclude_the_instant_itself() {
        let at = "2024-01-01T00:00:00.000Z";
        assert!(modified_sort_key(at, "zzz") < modified_after(at));
        assert!(modified_sort_key("2024-01-01T00:00:00.001Z", "a") > modified_after(at));
    }
}
