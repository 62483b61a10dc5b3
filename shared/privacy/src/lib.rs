//! What a district owes the people in its data once the data is stored, without Lambda or a
//! command line, so that the scheduled purge function and `oneroster-admin` do the same thing:
//!
//! - [`retention`]: records deleted by a bulk, a delta, the API or an erasure are purged for good
//!   (item, entries, lookups; packs and counts kept up) once older than the district's retention
//!   period. Found through the oldest part of the change-feed index, never on a request's path.
//! - [`erasure`]: a user erased on request with every record only about them (enrollments,
//!   demographics, results, user resource links, attendance), each leaving a tombstone that
//!   holds only its sourcedId, so that change feeds tell apps to delete their copies; an audit
//!   event names who erased whom.
//!
//! Both take "now" from their caller, so that tests can run them with a clock of their own.

pub mod erasure;
pub mod retention;

pub use erasure::{erase, Erasure};
pub use retention::{purge, purge_all, Purge};

use oneroster_store::StoreError;

/// A purge or an erasure that failed. Either can be run again: it finishes what is left.
#[derive(Debug, thiserror::Error)]
pub enum PrivacyError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The user to erase is not stored.
    #[error("user '{0}' is not stored: there is nothing to erase")]
    UnknownUser(String),
    /// An upload of the tenant is being applied (it holds the tenant's ingest lock); erasing
    /// or purging beside it could be undone by it.
    #[error("tenant '{0}' is applying an upload; try again when it is done")]
    Busy(String),
    /// A stored record could not be read back (a bug, or an item written by hand).
    #[error("a stored {collection} record '{id}' could not be read: {reason}")]
    BadRecord {
        /// Its collection.
        collection: &'static str,
        /// Its sourcedId.
        id: String,
        /// Why.
        reason: String,
    },
}

/// How long an erasure or a purge holds its tenant's ingest lock at most (an upload waits).
const LOCK_LEASE_MS: i64 = 15 * 60 * 1000;

/// Runs `work` holding `tenant`'s ingest lock as `holder`, so that no upload is applied
/// meanwhile; [`PrivacyError::Busy`] when one is.
async fn locked<T>(
    store: &oneroster_store::Store,
    tenant: &oneroster_store::Tenant,
    holder: &str,
    work: impl std::future::Future<Output = Result<T, PrivacyError>>,
) -> Result<T, PrivacyError> {
    let jobs = store.tenant(tenant).jobs();
    let until =
        oneroster_model::Timestamp::from_millis(oneroster_model::Timestamp::now().0.timestamp_millis() + LOCK_LEASE_MS);
    if !jobs.acquire_lock(holder, until).await? {
        return Err(PrivacyError::Busy(tenant.to_string()));
    }
    let result = work.await;
    if let Err(error) = jobs.release_lock(holder).await {
        tracing::warn!(error = %error, "releasing the ingest lock failed; it expires by itself");
    }
    result
}
