//! The names of the table's attributes, once: short (every byte of a name is stored in every
//! item and counted against its 400 KB), and spelled the same by every reader and writer.

/// The partition key (every one begins with the tenant, or `#` for the few items of no tenant).
pub const PK: &str = "pk";
/// The sort key.
pub const SK: &str = "sk";
/// The `by_modified` index's sort key of a record: its modification time, then its id.
pub const MODIFIED_KEY: &str = "mod";
/// The `by_view` index's partition key of a record in a view (a school, a student).
pub const VIEW_KEY: &str = "vpk";
/// What an item is: a collection's name for a record, `link` for a relation entry, `lock`.
pub const KIND: &str = "kind";
/// A record's status (`active`, `tobedeleted`).
pub const STATUS: &str = "st";
/// A record's `dateLastModified`.
pub const DATE_LAST_MODIFIED: &str = "dlm";
/// A record's content hash (hex), to tell an unchanged row from a changed one.
pub const HASH: &str = "h";
/// The view a record is in (`schools`, `students`, …).
pub const VIEW: &str = "vw";
/// The view of a pack's parent record.
pub const PARENT_VIEW: &str = "pv";
/// A record's JSON body.
pub const BODY: &str = "body";
/// Whether a record was deleted (a tombstone).
pub const GONE: &str = "gone";
/// When a record was erased on request (a tombstone holding only its sourcedId): a second
/// erasure finds it, and an upload that brings the record back is reported.
pub const ERASED: &str = "erased";
/// The keys of a record's relation entries.
pub const LINKS: &str = "links";
/// The birth date of a demographics record (`-` for none), kept on its item and on its
/// user's (see [`crate::Born`]).
pub const BORN: &str = "born";
/// The JSON of the parts folded into a record (a user's roles and profiles).
pub const PARTS: &str = "parts";
/// Who wrote a record last (an API client, or none for the SIS feed).
pub const ORIGIN: &str = "origin";
/// The ingest job that wrote a record last (none for an API write), so that the change events
/// made from the table's stream can say which upload made a change.
pub const JOB: &str = "job";
/// A count: a collection's or a parent's records, a pack's children.
pub const COUNT: &str = "n";
/// A collection's count of active records.
pub const ACTIVE: &str = "active";
/// A collection's kept modification times.
pub const TIMES: &str = "times";
/// A collection's outline (the first ids of each shard), for offsets far into a listing.
pub const OUTLINE: &str = "outline";
/// The prefix of a listing's per-shard sizes (`z0` … `z15`), kept exact by every write so the
/// walk knows which shards a page reaches before it reads them.
pub const SHARD_SIZE: &str = "z";
/// A pack's ids, one per line.
pub const IDS: &str = "ids";
/// The first ids of each of a pack's pages.
pub const STARTS: &str = "starts";
/// When a lock is free again (milliseconds).
pub const UNTIL: &str = "until";
/// When DynamoDB may delete the item (TTL, seconds).
pub const EXPIRES: &str = "expires";
/// The token endpoint's count of failed authentications.
pub const FAILURES: &str = "failures";

/// The attribute holding the size of shard `shard` of a listing (see [`SHARD_SIZE`]).
pub fn shard_size(shard: u64) -> String {
    format!("{SHARD_SIZE}{shard}")
}
