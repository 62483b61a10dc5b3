//! What a OneRoster list request asks for, and how records answer it: the REST binding's query
//! parameters (`limit`, `offset`, `sort`, `orderBy`, `filter`, `fields`), parsed and checked
//! against the field catalog of the OpenAPI files, evaluated on records' JSON, and the `Link`
//! header that pages through the answer. Every service uses this crate, so every list endpoint
//! behaves the same; nothing here knows about storage or HTTP.

mod error;
mod filter;
mod links;
mod params;
mod select;

pub use error::QueryError;
pub use filter::{Filter, Join, Op, Predicate};
pub use links::{link_header, PageLinks};
pub use params::{ListParams, Selection, DEFAULT_LIMIT, MAX_LIMIT};
pub use select::{compare_records, project};
