//! What a OneRoster list request asks for, and how records answer it: the REST binding's query
//! parameters (`limit`, `offset`, `sort`, `orderBy`, `filter`, `fields`), parsed and checked
//! against the field catalog of the OpenAPI files and against the limits that keep a request's
//! cost bounded, evaluated on records' JSON, and the `Link` header that pages through the
//! answer. Every service uses this crate, so every list endpoint behaves the same; nothing here
//! knows about storage or HTTP.

mod error;
mod filter;
mod links;
mod params;
mod select;

pub use error::{shown, QueryError};
pub use filter::{Filter, Join, Op, Predicate, MAX_FILTER_BYTES, MAX_PREDICATES};
pub use links::{link_header, PageLinks};
pub use params::{
    check_query_length, ListParams, RecordFields, Selection, DEFAULT_LIMIT, MAX_CURSOR_BYTES, MAX_LIMIT, MAX_OFFSET,
    MAX_QUERY_BYTES, MAX_SORTED_OFFSET, MAX_SORT_BYTES,
};
pub use select::{Order, Rank, Window, MAX_SORT_VALUE_BYTES};
