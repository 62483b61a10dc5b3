//! The OneRoster 1.2 model: the entities with the exact JSON of the official OpenAPI files,
//! their vocabularies, identifiers and dates as types that are valid once they exist, and the
//! collections and relations every service and the store share.
//!
//! Wire formats stay apart: the CSV binding lives in `oneroster-csv`, DynamoDB items in
//! `oneroster-store`; both map to and from these types.

mod table;

pub mod collection;
pub mod district;
pub mod entities;
pub mod ids;
pub mod record;
pub mod rules;
pub mod sharing;
pub mod tenancy;
pub mod time;
pub mod v1p1;
pub mod vocab;

pub use collection::{lookup_key, pair_key, Collection, Link, Relation, View};
pub use district::{DistrictSettings, Timezone, Writeback, DEFAULT_RETENTION_DAYS};
pub use ids::{SourcedId, TenantId};
pub use record::{Kind, Kinds, Record, Reference};
pub use sharing::{Sharing, Under13};
pub use tenancy::Tenant;
pub use time::{Date, Timestamp};
pub use vocab::Status;
