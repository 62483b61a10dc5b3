//! The only crate that talks to DynamoDB. It owns the single-table key design ([`keys`]) and
//! offers one method per access pattern; every access to district data goes through the handle
//! of one [`Tenant`] ([`Store::tenant`], [`tenant`]; a tenant only a verified token, an upload's
//! key or an operator provides, see [`oneroster_model::tenancy`]), and every key begins with it,
//! so no call can read or write outside one tenant.
//!
//! # The table
//! One table, string keys `pk` / `sk`, and two global secondary indexes, all attributes
//! projected: `by_modified` (partition `pk`, sort `mod`) and the sparse `by_view` (partition
//! `vpk`, sort `sk`; only records of a typed view carry `vpk`). Item shapes are in [`keys`].
//!
//! # Access patterns (all 81 endpoints of OneRoster 1.2, and the extensions' reads, reduce to these)
//! | pattern | endpoints | how | cost of a page of `limit` |
//! |---|---|---|---|
//! | get by sourcedId | `GET /{collection}/{id}`, typed views (`/students/{id}`, `/schools/{id}`, …) | `GetItem` on the record key | 1 read |
//! | list a collection in stable order | `GET /{collection}` | `Query` the cursor's record shard, then every later shard the page reaches at once, sized by the per-shard counts of the stats item | `limit` items, at most 2 sequential round trips |
//! | list a typed view | `GET /schools`, `/terms`, `/gradingPeriods`, `/students`, `/teachers` | `Query` the 16 shards of `by_view`, as a collection's | `limit` items, at most 2 round trips |
//! | count a collection or view | `X-Total-Count` | the count kept in a stats item ([`walk::Outline`]), re-measured after each ingest | 1 read |
//! | skip to an offset | `offset=` without a cursor | collections and views: from the nearest kept mark (every 32nd key or more per shard); relations: keys-only walk of the skipped entries | 1 read + under 32 keys; relations `offset` keys. `Link` `next` carries a cursor instead |
//! | changed since a time | `filter=dateLastModified>'…'` | `Query` `by_modified` per shard, `mod > t` | `limit` items |
//! | classes of a school / term / course | `/schools/{id}/classes`, `/terms/{id}/classes`, `/courses/{id}/classes` | the pack of the parent's children (below), else relation entries `school-classes`, `term-classes`, `course-classes` | 1 pack read (2 past its first 1,000 children) + `limit` records |
//! | classes of a user | `/users|students|teachers/{id}/classes` | `user-classes` (made by enrollments) | same |
//! | students / teachers of a class | `/classes/{id}/students|teachers`, `/schools/{s}/classes/{c}/students|teachers` | `class-students`, `class-teachers` (made by enrollments) | same |
//! | students / teachers of a school | `/schools/{id}/students|teachers` | `school-students`, `school-teachers` (made by user roles) | same |
//! | enrollments of a school / class | `/schools/{id}/enrollments`, `/schools/{s}/classes/{c}/enrollments` | `school-enrollments`, `class-enrollments` | same |
//! | terms and courses of a school | `/schools/{id}/terms`, `/schools/{id}/courses` | `school-terms` (made by classes), `org-courses` | same |
//! | grading periods of a term | `/terms/{id}/gradingPeriods` | `session-children`, filtered by type | same |
//! | resources of a class / course / user | `/classes|courses|users/{id}/resources` | `class-resources`, `course-resources`, `user-resources` (made by the link rows of classResources.csv, …) | same |
//! | line items / results of a class, results of a line item / of a student in a class, score scales of a class / school | gradebook routes | entries carrying a copy of their record (`class-line-items`, `line-item-results`, `class-student-results` keyed by the pair, …), rewritten with every write of the record: API writes change them one at a time, so they are not packed | `limit` items; a class's results keep their count |
//! | categories of a class | `/classes/{id}/categories` | `class-categories` (made by line items) | `limit` entries + `limit` records |
//! | a user by e-mail, username or identifier | `filter=email='…'` | lookup entries keyed by a digest of the value | 1 entry + 1 record |
//! | attendance of a student / class / school (the attendance extension) | `/students|classes|schools/{id}/attendance` | `student-attendance`, `class-attendance`, `school-attendance` (made by attendance marks; a school's spread over 8 shards) | as a relation route |
//! | one day's attendance of the district | `/attendance?filter=date='…'` alone | `attendance-by-date`, a wide packed relation whose parent is a digest of the day, as lookups are keyed | as a relation route |
//!
//! Relation routes read the parent's pack ([`packs`]: its children's ids in listing order, rebuilt
//! by the ingest for every parent whose entries changed: by a query of its entries, or, for the
//! many parents of a first load, from one walk of the records that make them), then the records
//! they name with `BatchGetItem`: about one item per record returned. The head names the parent's
//! view, so a route that wants its parent in one (`/teachers/{id}/classes`) reads no parent. The
//! gradebook's relations, which API writes change, read entries that carry their record: one item
//! per record. A parent without a pack, and a class's categories, read entries then records: about
//! two items per record. Never the collection. Where one child can be linked twice (a school's
//! terms through each class, a resource through two link rows), pages and counts go by distinct
//! children, whose entries are adjacent. A record marked `tobedeleted` keeps its own entries (it is
//! listed, marked, under its parents) but drops those it makes between two other records: a dropped
//! enrollment no longer puts the student in the class. Every listing is a [`Listing`]; a filter or
//! sort on any other field reads the whole listing (the REST layer says so).
//!
//! # How writes spread
//! A bulk load of one large tenant must not funnel into one partition key (about 1,000
//! writes/s each). Records of a collection are spread by a hash of the sourcedId over 16
//! partition keys ([`keys::RECORD_SHARDS`]); the `by_modified` index shares those keys. Relation
//! entries are partitioned by parent (thousands of classes and users, so thousands of keys), and
//! the wide relations of one parent (a school's enrollments and students, a term's classes) are
//! further spread over 8 keys ([`layout::WIDE_RELATION_SHARDS`]). A 1M-row load thus writes across
//! tens of thousands of partition keys, at most 1/16 of a collection into any one.
//!
//! # One value kept on two records
//! The birth date of a demographics record ([`Born`]) is also kept on its user's item, so that
//! a page of users tells the children among them (the under-13 rule) from what it read. Both
//! commits copy it: a demographics write updates its user's item (the users' dates read first,
//! 100 to a call, then one `UpdateItem` for each user that exists and keeps another date; for
//! a batch, before the demographics items are written, so an apply run again copies what it
//! had not), and a user written without one (new, or stored before dates were
//! kept) reads its demographics first. A user's conditional put expects the date it read, so
//! a copy made meanwhile is not undone.
//!
//! # Never losing a write
//! Batches go 25 to a request, 16 requests at a time; whatever DynamoDB returns as
//! `UnprocessedItems` is sent again with exponential backoff, and after 12 attempts the call
//! fails (the ingest job then fails and is retried) rather than dropping anything.

pub mod attr;
pub mod audit;
pub mod batch;
pub mod clients;
pub mod commit;
pub mod events;
pub mod failures;
pub mod jobs;
pub mod keys;
pub mod layout;
pub mod listing;
mod measure;
#[cfg(feature = "memory")]
pub mod memory;
pub mod mutation;
pub mod outbox;
pub mod packs;
pub mod record_store;
pub mod records;
pub mod signing;
pub mod sources;
mod stats;
pub mod stream;
mod table;
pub mod tenant;
pub mod tenants;
mod walk;
pub mod webhooks;

pub use audit::AuditEvent;
pub use clients::{ApiKey, OAuthClient};
pub use commit::{Changed, Commit, Committed, Written, MAX_TRANSACTION_BYTES, MAX_TRANSACTION_ITEMS};
pub use events::{Author, BadPosition, ChangeEvent, EventAction, EventPage, EventPosition};
pub use failures::{Counted, Failures};
pub use jobs::{
    Decision, Deletions, FileCounts, Hold, Job, JobState, UnitItem, UnitStart, JOB_ERRORS_KEPT, JOB_LINE_BYTES,
    JOB_WARNINGS_KEPT,
};
pub use keys::ShardPart;
pub use listing::{Cursor, Listing, Page, PAGE_BYTES};
#[cfg(feature = "memory")]
pub use memory::{MemoryStore, MemoryTenant, Upkeep};
pub use mutation::{Action, Encoded, Mutation, Named};
/// Re-exported: every per-tenant handle is made from one (it lives beside `TenantId` in the model).
pub use oneroster_model::Tenant;
pub use outbox::Bookmark;
pub use record_store::RecordStore;
pub use records::{largest_item, Born, Digest, Prior, Removal, StoredRecord, MAX_ITEM_BYTES};
pub use signing::PublishedKeys;
pub use sources::{Source, SourceAuth};
pub use stream::{ItemChange, RecordChange, RecordImage, StreamReader, StreamRecord};
pub use tenant::{
    TenantAudit, TenantClients, TenantEvents, TenantJobs, TenantLists, TenantOutbox, TenantRecords, TenantSource,
    TenantStore, TenantUpkeep, TenantWebhooks,
};
pub use tenants::TenantRecord;
pub use webhooks::{DeadLetter, Webhook, WebhookStatus};

use aws_config::retry::RetryConfig;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::Client;

/// A store call that failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// DynamoDB answered with an error (or could not be reached).
    #[error("DynamoDB: {0}")]
    Dynamo(#[source] Box<aws_sdk_dynamodb::Error>),
    /// The table's change stream answered with an error (or could not be reached).
    #[error("DynamoDB Streams: {0}")]
    Stream(#[source] Box<aws_sdk_dynamodbstreams::Error>),
    /// A request could not be built (a bug, not an input problem).
    #[error("building a DynamoDB request: {0}")]
    Build(#[from] aws_sdk_dynamodb::error::BuildError),
    /// Items were still unprocessed after every retry.
    #[error("{0} items were still unprocessed by DynamoDB after retrying with backoff")]
    Unprocessed(usize),
    /// A stored item does not have the shape this crate writes (a bug, or an item written by
    /// hand): retrying will not help.
    #[error("a stored item is malformed: {0}")]
    BadItem(String),
    /// A value could not be encoded as JSON to be stored (a bug: the model's types always
    /// encode).
    #[error("encoding a value as JSON: {0}")]
    Encode(#[from] serde_json::Error),
    /// A background batch task failed.
    #[error("a batch task failed: {0}")]
    Task(String),
    /// A write would make an item larger than DynamoDB takes ([`records::MAX_ITEM_BYTES`]):
    /// the record is too large to store, whatever is tried again. Nothing was written.
    #[error("record '{id}' would make an item of {bytes} bytes; DynamoDB holds at most {limit}")]
    ItemTooLarge {
        /// The record's sourcedId.
        id: String,
        /// The largest item its write makes.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// A job or client handed to one tenant's handle names another tenant: nothing was written
    /// (a bug in the caller).
    #[error("a value of tenant {named} was given to the store of tenant {tenant}")]
    OtherTenant {
        /// The handle's tenant.
        tenant: String,
        /// The tenant the value names.
        named: String,
    },
    /// Records to write together make more items, or more bytes, than one DynamoDB transaction
    /// takes ([`commit::MAX_TRANSACTION_ITEMS`], [`commit::MAX_TRANSACTION_BYTES`]). Nothing
    /// was written.
    #[error(
        "{records} records make {items} items of {bytes} bytes in all; one transaction holds at most {} items \
         and {} bytes",
        commit::MAX_TRANSACTION_ITEMS,
        commit::MAX_TRANSACTION_BYTES
    )]
    TransactionTooLarge {
        /// The records.
        records: usize,
        /// The items their writes make.
        items: usize,
        /// Their size.
        bytes: usize,
    },
}

impl StoreError {
    /// Whether trying again later may succeed (throttling, a lost connection, unprocessed items),
    /// as opposed to a permanent problem.
    pub fn is_retryable(&self) -> bool {
        match self {
            StoreError::Dynamo(e) => {
                use aws_sdk_dynamodb::error::ProvideErrorMetadata;
                // A request DynamoDB finds invalid (an item too large, a key too long) is
                // refused the same way every time.
                !matches!(
                    **e,
                    aws_sdk_dynamodb::Error::ResourceNotFoundException(_)
                        | aws_sdk_dynamodb::Error::ConditionalCheckFailedException(_)
                ) && e.code() != Some("ValidationException")
            }
            StoreError::Unprocessed(_) | StoreError::Task(_) | StoreError::Stream(_) => true,
            StoreError::Build(_)
            | StoreError::BadItem(_)
            | StoreError::Encode(_)
            | StoreError::ItemTooLarge { .. }
            | StoreError::OtherTenant { .. }
            | StoreError::TransactionTooLarge { .. } => false,
        }
    }
}

impl<E, R> From<SdkError<E, R>> for StoreError
where
    aws_sdk_dynamodb::Error: From<SdkError<E, R>>,
{
    fn from(error: SdkError<E, R>) -> Self {
        StoreError::Dynamo(Box::new(error.into()))
    }
}

/// Whether a conditional put was made: `false` when its condition did not hold (another
/// writer was first, the one answer of a lost race); any other failure is an error.
pub(crate) fn put_made<O, R>(
    result: Result<O, SdkError<aws_sdk_dynamodb::operation::put_item::PutItemError, R>>,
) -> Result<bool, StoreError>
where
    aws_sdk_dynamodb::Error: From<SdkError<aws_sdk_dynamodb::operation::put_item::PutItemError, R>>,
{
    match result {
        Ok(_) => Ok(true),
        Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// The handle to the table: a client built once and the table's name.
#[derive(Debug, Clone)]
pub struct Store {
    client: Client,
    table: String,
    reads: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// The pack heads read for one request (see [`Store::for_request`]); `None` outside one.
    heads: Option<packs::Heads>,
}

impl Store {
    /// A store over `table`, through `client`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into(), reads: Default::default(), heads: None }
    }

    /// A store for one API request: it remembers the pack heads it reads, so that checking a
    /// relation route's parent, counting and paging read each head once. Not for longer-lived
    /// work (the ingest rebuilds heads).
    pub fn for_request(&self) -> Self {
        Self { heads: Some(Default::default()), ..self.clone() }
    }

    /// Items DynamoDB has read for this store (and its clones) through the API's access
    /// patterns (gets, listings, counts), for cost figures: the benchmark divides it by the
    /// records returned.
    pub fn items_read(&self) -> u64 {
        self.reads.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn count_reads(&self, items: usize) {
        self.reads.fetch_add(items as u64, std::sync::atomic::Ordering::Relaxed);
    }

    /// The store a function's environment names: `TABLE_NAME`, and `DYNAMODB_ENDPOINT` when it
    /// runs against DynamoDB Local.
    pub fn from_env(config: &aws_config::SdkConfig) -> Result<Self, String> {
        let table = std::env::var("TABLE_NAME").map_err(|_| "TABLE_NAME must name the DynamoDB table".to_owned())?;
        Ok(Self::connect(config, std::env::var("DYNAMODB_ENDPOINT").ok().as_deref(), table))
    }

    /// How the store's client retries a call DynamoDB throttles or fails transiently: up to 10
    /// attempts (as AWS's Java SDK does for DynamoDB) from 50 ms, doubling with jitter to at most
    /// 5 s, so a call gives up after about 16 s at worst, within API Gateway's 29 s. Three
    /// attempts, the SDK's default, would let one call in a thousand of a store failing one call
    /// in ten surface, and an ingest of a few thousand calls would then be retried whole by SQS.
    /// Adaptive: once the table throttles, the client also paces the calls it sends (a rate it
    /// lowers on each throttle and raises again as calls pass), so the ingest's 16 batches in
    /// flight slow to what the table takes instead of spending their retries and failing the
    /// job; a store that never throttles is never paced.
    pub fn retries() -> RetryConfig {
        RetryConfig::adaptive()
            .with_max_attempts(10)
            .with_initial_backoff(std::time::Duration::from_millis(50))
            .with_max_backoff(std::time::Duration::from_secs(5))
    }

    /// A store over `table` with a client made from the shared AWS configuration, retrying as
    /// [`Store::retries`] says; `endpoint` points it at DynamoDB Local instead of AWS.
    pub fn connect(config: &aws_config::SdkConfig, endpoint: Option<&str>, table: impl Into<String>) -> Self {
        let mut builder = aws_sdk_dynamodb::config::Builder::from(config).retry_config(Self::retries());
        if let Some(endpoint) = endpoint {
            builder = builder.endpoint_url(endpoint);
        }
        Self::new(Client::from_conf(builder.build()), table)
    }

    /// The table's name.
    pub fn table(&self) -> &str {
        &self.table
    }
}
