//! Every way a read or a write can fail below the front end, typed so that each front end maps
//! it to its own answer in one place (the REST binding: `oneroster_http::ApiError`).

use oneroster_query::{shown, QueryError};
use oneroster_store::StoreError;
use oneroster_writes::WriteError;

/// A failed read or write.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// A query parameter cannot be honoured (a cursor not issued for the listing, …).
    #[error(transparent)]
    Query(#[from] QueryError),
    /// The record (or the parent of a nested route) does not exist in the tenant.
    #[error("{what} '{id}' was not found")]
    NotFound {
        /// What was looked for (`user`, `school`, …).
        what: String,
        /// Its sourcedId.
        id: String,
    },
    /// A path's id cannot be a sourcedId (past the GUID rule, which bounds its length too), so
    /// no record has it: refused before any read.
    #[error("'{}' cannot be a sourcedId ({reason}), so no record has it", shown(id))]
    BadId {
        /// The id as the path gave it.
        id: String,
        /// Why it cannot be one.
        reason: String,
    },
    /// The store failed; the detail is for the log, not the client.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored record could not be read back.
    #[error("a stored record is not valid JSON: {0}")]
    Body(#[from] serde_json::Error),
    /// A write was refused (not JSON, invalid data, unknown record or reference, too large,
    /// contended) or failed.
    #[error(transparent)]
    Write(#[from] WriteError),
}
