//! A tenant's active records as a OneRoster bulk CSV package, so that a publisher that takes
//! CSV, or another provider, gets the district as a zip: every file of the binding the tenant
//! has records for (1.2: the 21 files and the OneRoster+ attendance files; 1.1: its files, with
//! the 1.1 reader's mapping undone) and a manifest declaring each file `bulk` or `absent`.
//!
//! What rows mean is the CSV crate's (`oneroster_csv::write`, the inverse of its reader); this
//! crate only walks the store and fills the zip. It is streamed: each collection is paged
//! through the store (`Listing::Active`, a page at a time), each row spooled to a temporary
//! file of its CSV file (a collection's record and part files are written in one walk), and
//! the spooled files copied into the zip when the collection ends. Memory holds one page and
//! the `metadata.*` keys of the files, whatever the tenant's size.
//!
//! [`writeback`] writes the same way the grades API clients changed since the last write-back,
//! as a delta package of gradebook files for the SIS. Both write through [`PackageWriter`],
//! which a pull from an SIS (`oneroster-pull`) writes its package with too.

pub mod writeback;
mod writer;

pub use writer::PackageWriter;

use oneroster_csv::write::WriteError;
use oneroster_csv::{FileKind, Mode, Version};
use oneroster_model::{Collection, Record};
use oneroster_store::{Cursor, Listing, Store, StoreError, StoredRecord, Tenant};
use std::collections::{BTreeSet, HashMap};
use std::io::{Seek, Write};

/// Records read from the store at a time: one page (bounded in bytes by the store too).
const PAGE: usize = 1000;

/// Why an export stopped. The zip written so far is incomplete and must not be used.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored record is not of its collection's shape.
    #[error("a stored record of {collection} is not readable: {source}")]
    Record {
        /// Its collection.
        collection: &'static str,
        /// Why.
        source: serde_json::Error,
    },
    /// A stored record's parts could not be written as rows.
    #[error(transparent)]
    Rows(#[from] WriteError),
    /// Writing a spooled file or the zip failed.
    #[error("writing the package failed: {0}")]
    Io(#[from] std::io::Error),
    /// The zip could not be written.
    #[error("writing the zip failed: {0}")]
    Zip(#[from] zip::result::ZipError),
}

/// What an export wrote: its version and each file with its rows, in the order written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Exported {
    /// `1.2` or `1.1`.
    pub version: &'static str,
    /// Each file written and its data rows.
    pub files: Vec<(&'static str, u64)>,
}

/// Writes `tenant`'s active records to `out` as a bulk package of `version`, and finishes the
/// zip. A file without rows is not written (the binding permits no empty file) and is declared
/// `absent`.
pub async fn export<W: Write + Seek>(
    store: &Store,
    tenant: &Tenant,
    version: Version,
    out: W,
) -> Result<Exported, ExportError> {
    let exported = package(store, tenant, version, &Selection::Active, out).await?;
    tracing::info!(tenant = %tenant, version = version.as_str(), files = exported.files.len(), "exported");
    Ok(exported)
}

/// What a package holds: the tenant's active records as a bulk (an export), or the gradebook
/// changes of a write-back's window as a delta.
enum Selection<'a> {
    Active,
    Changes(&'a writeback::Window),
}

impl Selection<'_> {
    fn mode(&self) -> Mode {
        match self {
            Selection::Active => Mode::Bulk,
            Selection::Changes(_) => Mode::Delta,
        }
    }

    /// Where the store pages the selection's records of `collection` from; `None` when it
    /// takes none of them.
    fn listing(&self, collection: Collection) -> Option<Listing> {
        match self {
            Selection::Active => Some(Listing::Active(Box::new(Listing::Collection(collection)))),
            Selection::Changes(window) => writeback::SENT.contains(&collection).then(|| window.listing(collection)),
        }
    }

    fn holds(&self, stored: &StoredRecord) -> bool {
        match self {
            Selection::Active => true,
            Selection::Changes(window) => window.holds(stored),
        }
    }
}

/// Writes the records `selection` takes to `out` as a package of `version`, and finishes the
/// zip.
async fn package<W: Write + Seek>(
    store: &Store,
    tenant: &Tenant,
    version: Version,
    selection: &Selection<'_>,
    out: W,
) -> Result<Exported, ExportError> {
    let zone = store.tenant(tenant).settings().await?.timezone;
    let mut writer = PackageWriter::new(out, version, selection.mode(), zone);
    for kind in FileKind::ALL.into_iter().filter(|kind| version.has(*kind)) {
        let Some(listing) = kind.collection().and_then(|collection| selection.listing(collection)) else { continue };
        writer.begin(kind)?;
        walk(store, tenant, &listing, selection, |record, stored| {
            let dated = match selection.mode() {
                Mode::Bulk => None,
                Mode::Delta => Some((&stored.status, stored.modified)),
            };
            writer.record(record, stored.parts.as_deref(), dated)
        })
        .await?;
    }
    writer.finish()
}

/// Hands each record of `listing` that `selection` holds (with its stored item, for the parts
/// kept beside it, its status and its time) to `each`, a page at a time, each completed with
/// what its file requires and its JSON does not keep ([`complete`]).
async fn walk(
    store: &Store,
    tenant: &Tenant,
    listing: &Listing,
    selection: &Selection<'_>,
    mut each: impl FnMut(Record, &StoredRecord) -> Result<(), ExportError>,
) -> Result<(), ExportError> {
    let collection = listing.collection();
    let mut cursor = Cursor::start();
    loop {
        let page = store.tenant(tenant).lists().page(listing, PAGE, cursor).await?;
        let held: Vec<&StoredRecord> = page.records.iter().filter(|stored| selection.holds(stored)).collect();
        let mut records = Vec::with_capacity(held.len());
        for stored in &held {
            let record = Record::from_json(collection, &stored.body)
                .map_err(|source| ExportError::Record { collection: collection.name(), source })?;
            records.push(record);
        }
        complete(store, tenant, &mut records).await?;
        for (record, stored) in records.into_iter().zip(held) {
            each(record, stored)?;
        }
        match page.next {
            Some(next) => cursor = next,
            None => return Ok(()),
        }
    }
}

/// Puts into a page of records what their CSV file requires and their stored JSON does not
/// keep, from their classes, read for the page in one batch: a score scale's `orgSourcedId`,
/// which the ingest checks and drops (the JSON has no such property), is its class's school; a
/// line item an API client wrote without its `academicSession` (the JSON may leave it out, the
/// CSV may not) gets its class's term when the class is taught in one.
async fn complete(store: &Store, tenant: &Tenant, records: &mut [Record]) -> Result<(), ExportError> {
    let classes: Vec<String> = records
        .iter()
        .filter_map(|record| match record {
            Record::ScoreScale(scale) if scale.org.is_none() => Some(scale.class.sourced_id.to_string()),
            Record::LineItem(item) if item.academic_session.is_none() => Some(item.class.sourced_id.to_string()),
            _ => None,
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if classes.is_empty() {
        return Ok(());
    }
    let mut read = HashMap::new();
    for stored in store.tenant(tenant).records().get_many(Collection::Classes, &classes).await? {
        if let Record::Class(class) = Record::from_json(Collection::Classes, &stored.body)
            .map_err(|source| ExportError::Record { collection: Collection::Classes.name(), source })?
        {
            read.insert(stored.id, class);
        }
    }
    for record in records {
        match record {
            Record::ScoreScale(scale) if scale.org.is_none() => {
                scale.org = read.get(scale.class.sourced_id.as_str()).map(|class| class.school.clone());
            }
            Record::LineItem(item) if item.academic_session.is_none() => {
                let terms = read.get(item.class.sourced_id.as_str()).map(|class| class.terms.as_slice());
                if let Some([term]) = terms {
                    item.academic_session = Some(term.clone());
                }
            }
            _ => {}
        }
    }
    Ok(())
}
