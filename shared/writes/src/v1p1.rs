//! 1.1 write bodies as 1.2 records (`V1P1-NOTES.md` §2.8–§2.10): records are stored once, in
//! the 1.2 shape, by the one write path, so a 1.1 body is put in 1.2's terms first. A 1.1 line
//! item names its `gradingPeriod` where 1.2 names an `academicSession`, and has neither the
//! `school` 1.2 requires (it is its class's) nor, as Google's 1.1 suite sends it, a `category`
//! (it goes to the tenant's default category, [`DEFAULT_CATEGORY`], made on first use).
//! Results and categories of 1.1 are 1.2's with fewer properties.

use crate::{Origin, WriteError};
use oneroster_model::Collection;
use oneroster_store::{Store, Tenant};
use serde_json::{json, Map, Value};

/// The sourcedId of the category a 1.1 line item without one is put in (one per tenant,
/// titled [`DEFAULT_CATEGORY_TITLE`]).
pub const DEFAULT_CATEGORY: &str = "oneroster-v1p1-uncategorized";

/// The title of [`DEFAULT_CATEGORY`].
pub const DEFAULT_CATEGORY_TITLE: &str = "Uncategorized";

/// The 1.2 record of a 1.1 record `value` of `collection` (for a line item: `gradingPeriod` as
/// `academicSession`, `school` from its class, `category` the default one when absent).
pub(crate) async fn as_v1p2(
    store: &Store,
    tenant: &Tenant,
    origin: &Origin,
    collection: Collection,
    value: Value,
) -> Result<Value, WriteError> {
    let mut item = match (collection, value) {
        (Collection::LineItems, Value::Object(item)) => item,
        (_, value) => return Ok(value),
    };
    if !item.contains_key("academicSession") {
        if let Some(period) = item.remove("gradingPeriod") {
            item.insert("academicSession".to_owned(), period);
        }
    }
    if !item.contains_key("school") {
        if let Some(school) = school_of_class(store, tenant, &item).await? {
            item.insert("school".to_owned(), json!({"sourcedId": school, "type": "org"}));
        }
    }
    if !item.contains_key("category") {
        default_category(store, tenant, origin).await?;
        item.insert("category".to_owned(), json!({"sourcedId": DEFAULT_CATEGORY, "type": "category"}));
    }
    Ok(Value::Object(item))
}

/// The school of the class the line item names, if it names one that exists; a class named
/// but not stored is refused here, naming the class (its school cannot be known).
async fn school_of_class(
    store: &Store,
    tenant: &Tenant,
    item: &Map<String, Value>,
) -> Result<Option<String>, WriteError> {
    let Some(class) = item.get("class").and_then(|class| class["sourcedId"].as_str()) else { return Ok(None) };
    let stored = store.tenant(tenant).records().get(Collection::Classes, class).await?;
    let Some(stored) = stored.filter(|stored| !stored.gone) else {
        return Err(WriteError::UnknownReference {
            field: "lineItem.class".to_owned(),
            what: "class",
            id: class.to_owned(),
        });
    };
    let body: Value = serde_json::from_str(&stored.body).map_err(|e| WriteError::NotJson(e.to_string()))?;
    Ok(body["school"]["sourcedId"].as_str().map(str::to_owned))
}

/// Makes the tenant's default category unless it exists.
async fn default_category(store: &Store, tenant: &Tenant, origin: &Origin) -> Result<(), WriteError> {
    let stored = store.tenant(tenant).records().get(Collection::Categories, DEFAULT_CATEGORY).await?;
    if stored.is_some_and(|stored| !stored.gone) {
        return Ok(());
    }
    let category = json!({"sourcedId": DEFAULT_CATEGORY, "title": DEFAULT_CATEGORY_TITLE});
    let zone = oneroster_model::Timezone::default();
    crate::put_value(store, tenant, origin, Collection::Categories, None, DEFAULT_CATEGORY, category, zone)
        .await
        .map(drop)
}
