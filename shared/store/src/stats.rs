//! The stats items kept per listing (counts, outline, modification times; see
//! [`TenantUpkeep::refresh_counts`](crate::TenantUpkeep::refresh_counts)): read by listings and by pack upkeep alike, so kept apart from
//! both.

use crate::batch::Item;
use crate::keys::{relation_stats_name, stats_key};
use crate::layout;
use crate::listing::Listing;
use crate::{Store, StoreError, Tenant};

/// The name a listing's count is kept under, for the listings whose count is kept: collections,
/// views, and each parent of a relation that keeps counts (a class's results: too many entries
/// to count per request, and not packed).
pub(crate) fn stats_name(listing: &Listing) -> Option<String> {
    match listing {
        Listing::Active(inner) if matches!(**inner, Listing::Collection(_) | Listing::View(_)) => stats_name(inner),
        Listing::Collection(collection) => Some(collection.name().to_owned()),
        Listing::View(view) => Some(view.name().to_owned()),
        Listing::Related { relation, parent } if layout::of(*relation).counted => {
            Some(relation_stats_name(*relation, parent))
        }
        _ => None,
    }
}

impl Store {
    /// The stats item kept for a listing, if there is one.
    pub(crate) async fn stats(&self, tenant: &Tenant, listing: &Listing) -> Result<Option<Item>, StoreError> {
        let Some(name) = stats_name(listing) else { return Ok(None) };
        self.get_item(stats_key(tenant, &name)).await
    }
}
