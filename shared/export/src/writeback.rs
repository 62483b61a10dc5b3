//! Grades back to the SIS: the categories, line items and results that API clients (LMSs)
//! wrote, changed or deleted since the last write-back, as a delta package of gradebook files
//! that the SIS imports. Records keep the sourcedIds they are served with (the SIS's own, or
//! the LMS's for a record the LMS made); a deletion is a `tobedeleted` row.
//!
//! A run covers one window of modification times, from the tenant's bookmark to a little
//! before now ([`SETTLE`]): the window is taken before anything is written and the bookmark
//! moved past it only once the package is stored (`oneroster_store::outbox`), so a run that
//! fails halfway is redone whole by the next one, under the same name, and no change is lost or
//! sent twice. The tenant's first run covers everything API clients wrote since it was created.
//! A record the SIS wrote last (its own row took it over) is not sent back.

use crate::{package, ExportError, Exported, Selection};
use oneroster_csv::Version;
use oneroster_model::{Collection, Timestamp};
use oneroster_store::{Bookmark, Listing, Store, StoreError, StoredRecord, Tenant};
use std::io::{Seek, Write};

/// The collections an SIS takes back: the gradebook records LMSs write.
pub const SENT: [Collection; 3] = [Collection::Categories, Collection::LineItems, Collection::Results];

/// How far before now a window ends, in milliseconds: an API write stamps its
/// `dateLastModified` just before it commits, so a window ending now could pass over a write
/// stamped a moment ago and committed a moment later.
pub const SETTLE_MS: i64 = 5_000;

/// Why a write-back did not run.
#[derive(Debug, thiserror::Error)]
pub enum WritebackError {
    /// Another run took a window meanwhile; this one leaves it to that run.
    #[error("another write-back of this tenant is running")]
    Busy,
    /// Reading or writing the bookmark failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing the package failed.
    #[error(transparent)]
    Export(#[from] ExportError),
}

/// The window of modification times a run sends: after the bookmark's `through` (from the
/// beginning, on a tenant's first run), up to and including `until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    begun: Bookmark,
    until: Timestamp,
}

impl Window {
    /// Takes the tenant's next window at `now`, or the window a run took and did not finish,
    /// given its bookmark as just `read` (which a scheduled run reads first, to see whether one
    /// is due); another run taking the window first makes this one [`WritebackError::Busy`].
    pub async fn take(store: &Store, tenant: &Tenant, read: Bookmark, now: Timestamp) -> Result<Self, WritebackError> {
        let outbox = store.tenant(tenant).outbox();
        if let Some(until) = read.pending {
            return Ok(Self { begun: read, until });
        }
        let until = Timestamp::from_millis(now.0.timestamp_millis() - SETTLE_MS);
        if !outbox.begin(&read, until).await? {
            return Err(WritebackError::Busy);
        }
        Ok(Self { begun: Bookmark { through: read.through, pending: Some(until) }, until })
    }

    /// The window's end: the package's name is made from it, so a window written again has
    /// the same name.
    pub fn until(&self) -> Timestamp {
        self.until
    }

    /// Where the store pages the window's records of `collection` from: every record modified
    /// after the window's start, in time order (those past its end are left out by
    /// [`Window::holds`]).
    pub(crate) fn listing(&self, collection: Collection) -> Listing {
        match self.begun.through {
            Some(since) => Listing::ModifiedSince { collection, since, inclusive: false },
            None => Listing::ModifiedSince { collection, since: Timestamp::from_millis(0), inclusive: true },
        }
    }

    /// Whether `stored` is sent in this window: written last by an API client, within it, and
    /// not erased (an erasure is the provider's, not a grade the SIS takes back).
    pub(crate) fn holds(&self, stored: &StoredRecord) -> bool {
        stored.origin.is_some()
            && stored.erased.is_none()
            && stored.modified <= self.until
            && self.begun.through.is_none_or(|through| stored.modified > through)
    }

    /// Writes the window's changes to `out` as a delta package of `version`; `None`, with
    /// nothing worth keeping in `out`, when there is no change to send.
    pub async fn write<W: Write + Seek>(
        &self,
        store: &Store,
        tenant: &Tenant,
        version: Version,
        out: W,
    ) -> Result<Option<Exported>, WritebackError> {
        let exported = package(store, tenant, version, &Selection::Changes(self), out).await?;
        Ok(Some(exported).filter(|e| !e.files.is_empty()))
    }

    /// Moves the bookmark past this window, once its package is stored (or when it had
    /// nothing to send).
    pub async fn finish(self, store: &Store, tenant: &Tenant) -> Result<(), WritebackError> {
        if store.tenant(tenant).outbox().finish(&self.begun).await? {
            Ok(())
        } else {
            Err(WritebackError::Busy)
        }
    }
}
