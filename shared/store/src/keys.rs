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
    fn a_records_shard_is_pinned_since_stored_records_are_found_by_it() {
        // Changing the hash would leave every stored record in a shard no read looks in.
        let cases = [("u-1", 16, 0), ("enr/3@x", 16, 12), ("u-1", 8, 0), ("k-1", 8, 2)];
        for (id, shards, expected) in cases {
            assert_eq!(shard_of(id, shards), expected, "{id} among {shards}");
        }
        for id in ["u-1", "enr/3@x", "k-1"] {
            let (pk, _) = record_key(&tenant(), Collection::Users, id);
            assert_eq!(pk, record_partition(&tenant(), Collection::Users, shard_of(id, RECORD_SHARDS)), "{id}");
        }
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
                ("record", record_key(&tenant, Collection::Users, "u-1").0),
                ("record partition", record_partition(&tenant, Collection::Orgs, 3)),
                ("view partition", view_partition(&tenant, View::Students, 3)),
                ("entry", link_key(&tenant, &link).0),
                ("pack", pack_key(&tenant, Relation::ClassStudents, "k-1", 2).0),
                ("stats", stats_key(&tenant, "users").0),
                ("jobs", jobs_partition(&tenant)),
                ("lock", lock_key(&tenant).0),
                ("clients", clients_partition(&tenant)),
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
            ("pack head", pack_key(&tenant(), Relation::UserClasses, "u-1", 0).0, "district-7#pack#user-classes#u-1"),
            ("pack head chunk", pack_key(&tenant(), Relation::UserClasses, "u-1", 0).1, "00000"),
            ("pack chunk", pack_key(&tenant(), Relation::UserClasses, "u-1", 12).1, "00012"),
            ("stats", stats_key(&tenant(), "students").0, "district-7#stats"),
            ("stats name", stats_key(&tenant(), "students").1, "students"),
            ("relation stats", relation_stats_name(Relation::ClassResults, "k-1"), "rel#class-results#k-1"),
            ("jobs", jobs_partition(&tenant()), "district-7#job"),
            ("lock", lock_key(&tenant()).0, "district-7#lock"),
            ("lock name", lock_key(&tenant()).1, "ingest"),
            ("modified", modified_sort_key("2026-01-01T00:00:00.000Z", "u-1"), "2026-01-01T00:00:00.000Z#u-1"),
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
                let (pk, sk) = link_key(&tenant(), &link);
                let shards = relation_shards(relation);
                let expected = if shards > 1 {
                    format!("district-7#rel#{}#{parent}#{}", relation.name(), shard_of("c-1", shards))
                } else {
                    format!("district-7#rel#{}#{parent}", relation.name())
                };
                assert_eq!((pk.as_str(), sk.as_str()), (expected.as_str(), "c-1"), "{relation:?} under {parent}");
                assert_eq!(relation_of_entry(&pk), Some((relation, parent.to_owned())), "{relation:?} under {parent}");
            }
        }
    }

    #[test]
    fn keys_of_other_items_are_not_read_as_entries() {
        let cases = [
            ("record", record_partition(&tenant(), Collection::Users, 3)),
            ("pack", pack_key(&tenant(), Relation::ClassStudents, "k-1", 0).0),
            ("stats", stats_key(&tenant(), "users").0),
            ("unknown relation", "district-7#rel#no-such-relation#k-1".to_owned()),
            ("no parent", "district-7#rel#class-students".to_owned()),
            ("tenant only", "district-7".to_owned()),
            ("empty", String::new()),
        ];
        for (name, pk) in cases {
            assert_eq!(relation_of_entry(&pk), None, "{name}: {pk}");
        }
    }

    #[test]
    fn an_entry_key_kept_in_a_record_reads_back_or_not_at_all() {
        let cases = [
            ("direct", ("district-7#rel#course-classes#c-1".to_owned(), "k-1".to_owned())),
            ("via", ("district-7#rel#class-students#k-1".to_owned(), "u-1#e-1".to_owned())),
            ("wide", ("district-7#rel#school-enrollments#s-1#5".to_owned(), "e/1@x".to_owned())),
        ];
        for (name, key) in cases {
            assert_eq!(decode_link_key(&encode_link_key(&key)), Some(key.clone()), "{name}");
        }
        assert_eq!(decode_link_key("district-7#rel#course-classes#c-1"), None, "no separator");
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
            assert_eq!(child_of_link_sort_key(&format!("{child}#e-1")), child, "{child} with a via");
            assert_eq!(child_of_link_sort_key(child), child, "{child} alone");
        }
    }

    #[test]
    fn modified_bounds_exclude_the_instant_itself() {
        let at = "2024-01-01T00:00:00.000Z";
        assert!(modified_sort_key(at, "zzz") < modified_after(at));
        assert!(modified_sort_key("2024-01-01T00:00:00.001Z", "a") > modified_after(at));
    }
}
