//! Writing records through the API, as the Gradebook service's PUT, POST and DELETE do: the
//! rules live here once, the handlers only parse the path and map the result.
//!
//! - A body is read by the one body reader ([`body`]: references given by `sourcedId` alone,
//!   date-times where dates are asked, … put in canonical form), then into the model's type
//!   for its collection, so a missing required property, a term outside its vocabulary or a
//!   malformed date is refused naming the property; values are otherwise kept as sent (any
//!   title, a score above `resultValueMax`, an empty comment).
//! - `sourcedId` may be left out (the path names the record); when given it must be the
//!   path's. The server sets `dateLastModified` and makes the record `active` on every write.
//! - Every record a body refers to must exist in the tenant, or nothing is stored.
//! - A record carries who wrote it ([`Origin`]): a bulk file of the SIS feed marks
//!   `tobedeleted` only records of the feed, never those an API client wrote. Any client of the
//!   tenant holding the scope may replace or delete any record (the specification's rule); the
//!   audit trail says who did.
//! - A deletion keeps a tombstone (`tobedeleted`, with the deletion time) that only change
//!   feeds (`dateLastModified>`) list; every other read answers as if the record were gone.
//! - Each write is one conditional commit ([`Commit::Conditional`]): concurrent writers of one
//!   record never leave a mix; the loser reads again and writes again. A POSTed set is one
//!   commit too: every record is stored or none; a set larger than one transaction takes is
//!   refused whole ([`WriteError::SetTooLarge`]).
//! - A record too large to store (its largest item past DynamoDB's 400 KB, the gradebook's
//!   relation entries carrying a copy of it) is refused before anything is written
//!   ([`WriteError::TooLarge`]).

mod body;
mod delete;
pub mod v1p1;

pub use delete::{delete, unlink};

use oneroster_model::entities::{ClassResource, CourseResource, GuidRef, UserResource};
use oneroster_model::vocab::EnrollmentRole;
use oneroster_model::{pair_key, Collection, Record, SourcedId, Status, Timestamp, Timezone, View};
use oneroster_openapi::Version;
use oneroster_store::{
    Action, Commit, Encoded, Mutation, Named, Store, StoreError, StoredRecord, Tenant, TenantRecords, Written,
    MAX_TRANSACTION_BYTES, MAX_TRANSACTION_ITEMS,
};
use serde_json::{Map, Value};
use std::collections::{BTreeSet, HashSet};

/// Attempts at a write that keeps meeting concurrent writers of the same record.
const ATTEMPTS: usize = 5;

/// Why a write was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The body is not JSON.
    #[error("the body is not JSON: {0}")]
    NotJson(String),
    /// A property is missing or has a value the schema does not allow.
    #[error("{field}: {reason}")]
    Invalid {
        /// The property's path in the body (`lineItem.class.sourcedId`).
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A reference names a record the tenant does not have.
    #[error("{field} refers to {what} '{id}', which does not exist")]
    UnknownReference {
        /// The property.
        field: String,
        /// The kind of record it must name.
        what: &'static str,
        /// The id it names.
        id: String,
    },
    /// Other records still refer to the record: deleting it would leave them pointing at
    /// nothing.
    #[error("{what} '{id}' is still referred to by {by}; delete or change them first")]
    Referenced {
        /// The kind of record.
        what: &'static str,
        /// Its sourcedId.
        id: String,
        /// What refers to it (`classes c-1, c-2 and more`).
        by: String,
    },
    /// The record (or the parent named by the path) does not exist.
    #[error("{what} '{id}' was not found")]
    NotFound {
        /// What was looked for.
        what: String,
        /// Its sourcedId.
        id: String,
    },
    /// Other writers kept changing the record; the client may try again.
    #[error("the record kept changing while it was written; try again")]
    Contended,
    /// The record is too large to store: its largest item (the record, or a relation entry
    /// carrying a copy of it) would pass DynamoDB's item limit.
    #[error(
        "{field}: record too large: it would be stored as {bytes} bytes, and a record is stored in at most {limit}"
    )]
    TooLarge {
        /// The record's place in the body (`lineItem`, `results[3]`).
        field: String,
        /// The size of its largest item.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// A POSTed set makes more items (or bytes) than the one transaction that stores it whole
    /// takes; nothing was stored.
    #[error(
        "the set is too large to store all or nothing: its {records} records make at least {items} items of \
         {bytes} bytes, and one transaction holds at most {MAX_TRANSACTION_ITEMS} items and \
         {MAX_TRANSACTION_BYTES} bytes; send fewer records per request"
    )]
    SetTooLarge {
        /// Records in the set.
        records: usize,
        /// Items their writes make.
        items: usize,
        /// Their size.
        bytes: usize,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Who writes: the API client whose token the request carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin(pub String);

/// What a write did, for the response and the audit trail (names of properties, never values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The collection.
    pub collection: Collection,
    /// The record.
    pub id: String,
    /// Created, replaced or deleted.
    pub kind: ChangeKind,
    /// The top-level properties whose values changed.
    pub fields: Vec<String>,
    /// The record as stored after the write (none after a deletion), for the answer.
    pub body: Option<String>,
    /// Items the write's transaction wrote or deleted (a POSTed set's on its first change):
    /// what a write costs, for the audit event and the bench.
    pub items: u64,
}

/// The kind of a [`Change`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// The record did not exist (or had been deleted): PUT answers 201.
    Created,
    /// The record existed and was replaced: PUT answers 200.
    Replaced,
    /// The record was deleted.
    Deleted,
}

impl Change {
    /// One line for the audit event: `replaced results/r-1 (score, scoreStatus; 9 items)`.
    pub fn describe(&self) -> String {
        let kind = match self.kind {
            ChangeKind::Created => "created",
            ChangeKind::Replaced => "replaced",
            ChangeKind::Deleted => "deleted",
        };
        let items = if self.items == 1 { "1 item".to_owned() } else { format!("{} items", self.items) };
        format!("{kind} {}/{} ({}; {items})", self.collection.name(), self.id, self.fields.join(", "))
    }
}

/// Where the records of a POST must belong: the parent its path names.
#[derive(Debug, Clone, Copy)]
pub enum Within<'a> {
    /// Line items of this class (`POST /classes/{id}/lineItems`).
    Class(&'a str),
    /// Line items of this school (`POST /schools/{id}/lineItems`).
    School(&'a str),
    /// Results of this line item (`POST /lineItems/{id}/results`).
    LineItem(&'a str),
    /// Results of line items of this class in this academic session
    /// (`POST /classes/{c}/academicSessions/{a}/results`).
    ClassSession(&'a str, &'a str),
}

/// Where a record made by a `POST` of one record goes: what its path puts in it.
#[derive(Debug, Clone)]
pub enum Placed<'a> {
    /// `POST /{collection}`, in the typed view when given (`/schools`: an org of type school).
    In(Option<View>),
    /// A grading period of this term (`POST /terms/{id}/gradingPeriods`).
    GradingPeriodOf(&'a str),
    /// An enrollment in this class (as the path's parent check read it) with this role (`POST
    /// /classes/{id}/students`): the class, the role and the class's school come from the path.
    EnrolledIn(&'a StoredRecord, EnrollmentRole),
}

/// `PUT /{collection}/{id}` (in the typed view when given: `/schools/{id}`): creates or
/// replaces the record from `body`, whose envelope key is `collection`'s single name
/// (`{"lineItem": {…}}`), a record of `version` (1.1's put in 1.2's terms first: [`v1p1`]).
#[allow(clippy::too_many_arguments)]
pub async fn put(
    store: &Store,
    tenant: &Tenant,
    origin: &Origin,
    version: Version,
    collection: Collection,
    view: Option<View>,
    id: &str,
    body: &[u8],
) -> Result<Change, WriteError> {
    let value = envelope(body, collection.ref_type())?;
    let value = match version {
        Version::V1p2 => value,
        Version::V1p1 => v1p1::as_v1p2(store, tenant, origin, collection, value).await?,
    };
    let zone = district_zone(store, tenant, body).await?;
    put_value(store, tenant, origin, collection, view, id, value, zone).await
}

/// The district's timezone when `body` may give a date alone (a string `"YYYY-MM-DD"`), which
/// a date-time property takes as the start of that day there; UTC otherwise, without reading
/// the settings.
async fn district_zone(store: &Store, tenant: &Tenant, body: &[u8]) -> Result<Timezone, WriteError> {
    match may_give_a_day(body) {
        true => Ok(store.tenant(tenant).settings().await?.timezone),
        false => Ok(Timezone::default()),
    }
}

/// Whether a JSON body holds a string that looks like a date alone (`"2026-01-15"`).
fn may_give_a_day(body: &[u8]) -> bool {
    body.windows(12).any(|w| {
        let digits = |range: std::ops::Range<usize>| w[range].iter().all(u8::is_ascii_digit);
        w[0] == b'"' && w[5] == b'-' && w[8] == b'-' && w[11] == b'"' && digits(1..5) && digits(6..8) && digits(9..11)
    })
}

/// [`put`] of the record `value`, in 1.2's terms, a date given alone for a date-time starting in
/// `zone`.
#[allow(clippy::too_many_arguments)]
async fn put_value(
    store: &Store,
    tenant: &Tenant,
    origin: &Origin,
    collection: Collection,
    view: Option<View>,
    id: &str,
    value: Value,
    zone: Timezone,
) -> Result<Change, WriteError> {
    let at = collection.ref_type();
    let record = parse(collection, value, Some(id), at, zone)?;
    keeps_rules(&record, view, at)?;
    put_record(store, tenant, origin, record).await
}

/// Writes `record` (parsed, its rules kept) over whatever holds its id: its references checked,
/// retried while other writers of the record get there first.
async fn put_record(store: &Store, tenant: &Tenant, origin: &Origin, record: Record) -> Result<Change, WriteError> {
    let (collection, id) = (record.collection(), record.base().sourced_id.to_string());
    let tenant_records = store.tenant(tenant).records();
    let references = check_references(tenant_records, &[&record], collection.ref_type()).await?;
    for _ in 0..ATTEMPTS {
        let stored = tenant_records.get(collection, &id).await?;
        if let Some(change) = write(tenant_records, origin, record.clone(), stored.as_ref(), &references).await? {
            return Ok(change);
        }
    }
    Err(WriteError::Contended)
}

/// `POST` of one record (`{"class": {…}}`) where `placed` puts it: checked as a PUT is, then
/// created under its supplied sourcedId, or under a new one when another record holds it.
/// Returns (supplied, allocated) and what it did.
pub async fn create(
    store: &Store,
    tenant: &Tenant,
    origin: &Origin,
    collection: Collection,
    placed: Placed<'_>,
    body: &[u8],
) -> Result<((String, String), Change), WriteError> {
    let at = collection.ref_type();
    let mut value = envelope(body, at)?;
    let view = place(placed, &mut value, at)?;
    let record = parse(collection, value, None, at, district_zone(store, tenant, body).await?)?;
    keeps_rules(&record, view, at)?;
    let tenant_records = store.tenant(tenant).records();
    let references = check_references(tenant_records, &[&record], at).await?;
    let supplied = record.base().sourced_id.to_string();
    for _ in 0..ATTEMPTS {
        let mut record = record.clone();
        if !tenant_records.existing_ids(collection, std::slice::from_ref(&supplied)).await?.is_empty() {
            record.base_mut().sourced_id = fresh_id();
        }
        if let Some(change) = write(tenant_records, origin, record, None, &references).await? {
            return Ok(((supplied, change.id.clone()), change));
        }
    }
    Err(WriteError::Contended)
}

/// Puts in `value` what the path of `placed` says (a grading period's term and type, an
/// enrollment's class, role and school), refusing a body that says otherwise; returns the view
/// the record must be in.
fn place(placed: Placed<'_>, value: &mut Value, at: &str) -> Result<Option<View>, WriteError> {
    let Value::Object(object) = value else { return Ok(None) };
    let reference = |id: &str| serde_json::json!({"sourcedId": id});
    match placed {
        Placed::In(view) => Ok(view),
        Placed::GradingPeriodOf(term) => {
            from_path(object, "parent", reference(term), at)?;
            from_path(object, "type", Value::from("gradingPeriod"), at)?;
            Ok(Some(View::GradingPeriods))
        }
        Placed::EnrolledIn(class, ref role) => {
            from_path(object, "class", reference(&class.id), at)?;
            from_path(object, "role", Value::from(role.as_str()), at)?;
            if !object.contains_key("school") {
                let Ok(Record::Class(stored)) = Record::from_json(Collection::Classes, &class.body) else {
                    return Err(StoreError::BadItem(format!("the stored class '{}' is no class", class.id)).into());
                };
                object.insert("school".to_owned(), reference(stored.school.sourced_id.as_str()));
            }
            Ok(None)
        }
    }
}

/// Sets `name` to what the path says, unless the body gives it already; a body that names
/// another reference or term is refused.
fn from_path(object: &mut serde_json::Map<String, Value>, name: &str, path: Value, at: &str) -> Result<(), WriteError> {
    let Some(given) = object.get(name) else {
        object.insert(name.to_owned(), path);
        return Ok(());
    };
    let wanted = path.get("sourcedId").unwrap_or(&path);
    let said = given.get("sourcedId").unwrap_or(given);
    if said != wanted {
        return Err(WriteError::Invalid {
            field: format!("{at}.{name}"),
            reason: format!("{said} differs from what the path says, {wanted}"),
        });
    }
    Ok(())
}

/// `PUT /{classes|courses|users}/{owner}/resources/{resource}`: assigns the resource, by the link
/// record of that pair (its sourcedId made from the pair; a link the SIS made under its own
/// sourcedId is another record of the same assignment).
pub async fn link(
    store: &Store,
    tenant: &Tenant,
    origin: &Origin,
    collection: Collection,
    owner: &str,
    resource: &str,
) -> Result<Change, WriteError> {
    let id = |text: &str| {
        SourcedId::parse(text).map_err(|e| WriteError::Invalid { field: "sourcedId".to_owned(), reason: e.to_string() })
    };
    let (owner, resource) = (id(owner)?, id(resource)?);
    let base = oneroster_model::entities::Base {
        sourced_id: pair_key(&owner, &resource),
        status: Status::Active,
        date_last_modified: Timestamp::now(),
        metadata: None,
    };
    let to = |collection: Collection, id: &SourcedId| GuidRef::to(collection, id.clone());
    let resource = to(Collection::Resources, &resource);
    let record = match collection {
        Collection::ClassResources => {
            Record::ClassResource(ClassResource { base, title: None, class: to(Collection::Classes, &owner), resource })
        }
        Collection::CourseResources => Record::CourseResource(CourseResource {
            base,
            title: None,
            course: to(Collection::Courses, &owner),
            resource,
        }),
        Collection::UserResources => {
            let user = to(Collection::Users, &owner);
            Record::UserResource(UserResource { base, user, org: None, class: None, resource })
        }
        other => {
            return Err(WriteError::Invalid {
                field: String::new(),
                reason: format!("{} link no resources", other.name()),
            })
        }
    };
    put_record(store, tenant, origin, record).await
}

/// Refuses a record that breaks a rule of [`oneroster_model::rules`] (the CSV's too), or that is
/// not in the typed view its path names (`PUT /schools/{id}` of an org of type district).
fn keeps_rules(record: &Record, view: Option<View>, at: &str) -> Result<(), WriteError> {
    if let Some(violation) = oneroster_model::rules::violations(record).into_iter().next() {
        return Err(WriteError::Invalid { field: format!("{at}.{}", violation.property), reason: violation.reason });
    }
    if let Some(view) = view.filter(|view| record.view() != Some(*view)) {
        let wanted = match view {
            View::Schools => "school",
            View::Terms => "term",
            View::GradingPeriods => "gradingPeriod",
            View::Students => "student",
            View::Teachers => "teacher",
        };
        let field = if matches!(view, View::Students | View::Teachers) { "roles" } else { "type" };
        return Err(WriteError::Invalid {
            field: format!("{at}.{field}"),
            reason: format!("must be '{wanted}' for a record written under /{}", view.name()),
        });
    }
    Ok(())
}

/// `POST` of a set (`{"lineItems": […]}`) under the parent `within` names: every record is
/// checked before any is stored; each is created under its supplied sourcedId, or under a new
/// one when another record already holds it. Returns (supplied, allocated) per record.
pub async fn post(
    store: &Store,
    tenant: &Tenant,
    origin: &Origin,
    collection: Collection,
    within: Within<'_>,
    body: &[u8],
) -> Result<(Vec<(String, String)>, Vec<Change>), WriteError> {
    let key = collection.name();
    let Value::Array(items) = envelope(body, key)? else {
        return Err(WriteError::Invalid { field: key.to_owned(), reason: "must be an array".to_owned() });
    };
    // Each record is at least one item: a set this long cannot be stored whole, so it is not
    // read any further (its references would cost a read each).
    if items.len() > MAX_TRANSACTION_ITEMS {
        return Err(WriteError::SetTooLarge { records: items.len(), items: items.len(), bytes: body.len() });
    }
    let zone = district_zone(store, tenant, body).await?;
    let mut records = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        records.push(parse(collection, item, None, &format!("{key}[{i}]"), zone)?);
    }
    let refs: Vec<&Record> = records.iter().collect();
    let tenant_records = store.tenant(tenant).records();
    let references = check_references(tenant_records, &refs, key).await?;
    for (i, record) in records.iter().enumerate() {
        fits(record, within, &references, &format!("{key}[{i}]"))?;
    }
    if records.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    for _ in 0..ATTEMPTS {
        // A supplied id already held (stored, or by an earlier record of the set) gets a new one.
        let supplied: Vec<String> = records.iter().map(|r| r.base().sourced_id.to_string()).collect();
        let distinct: Vec<String> = supplied.iter().collect::<BTreeSet<_>>().into_iter().cloned().collect();
        let taken = tenant_records.existing_ids(collection, &distinct).await?;
        let mut held = HashSet::new();
        let (mut writes, mut changes, mut at) = (Vec::new(), Vec::new(), Vec::new());
        for (i, (record, supplied)) in records.iter().zip(&supplied).enumerate() {
            let mut record = record.clone();
            if taken.contains(supplied) || !held.insert(supplied.clone()) {
                record.base_mut().sourced_id = fresh_id();
            }
            let (write, change) = prepare(origin, record, None, &references)?;
            at.push((write.id().to_string(), format!("{key}[{i}]")));
            writes.push((write, None));
            changes.push(change);
        }
        let committed = tenant_records.commit(Commit::Conditional(writes)).await.map_err(|e| refused(e, &at))?;
        match committed.written {
            Written::Done => {
                if let Some(first) = changes.first_mut() {
                    first.items = committed.items;
                }
                let pairs = supplied.into_iter().zip(&changes).map(|(s, change)| (s, change.id.clone())).collect();
                return Ok((pairs, changes));
            }
            // A supplied id was taken meanwhile: look again.
            Written::Conflict => continue,
        }
    }
    Err(WriteError::Contended)
}

/// A store error as the writer sees it: a record too large, or a set too large, is the
/// client's to fix (`at`: each record's sourcedId and place in the body); anything else failed.
fn refused(error: StoreError, at: &[(String, String)]) -> WriteError {
    match error {
        StoreError::ItemTooLarge { id, bytes, limit } => {
            let field = at.iter().find(|(written, _)| *written == id).map_or(id, |(_, field)| field.clone());
            WriteError::TooLarge { field, bytes, limit }
        }
        StoreError::TransactionTooLarge { records, items, bytes } => WriteError::SetTooLarge { records, items, bytes },
        other => WriteError::Store(other),
    }
}

/// Writes `record` over `stored` (or as new); `None` when another writer got there first.
async fn write(
    tenant_records: TenantRecords<'_>,
    origin: &Origin,
    record: Record,
    stored: Option<&StoredRecord>,
    references: &Named,
) -> Result<Option<Change>, WriteError> {
    let (write, mut change) = prepare(origin, record, stored, references)?;
    let at = [(change.id.clone(), change.collection.ref_type().to_owned())];
    let committed =
        tenant_records.commit(Commit::Conditional(vec![(write, stored)])).await.map_err(|e| refused(e, &at))?;
    change.items = committed.items;
    Ok((committed.written == Written::Done).then_some(change))
}

/// The store's write of `record` over `stored` (or as new), as the server sets it (`active`,
/// modified now, its links), and what it changes.
fn prepare(
    origin: &Origin,
    mut record: Record,
    stored: Option<&StoredRecord>,
    references: &Named,
) -> Result<(Mutation, Change), WriteError> {
    let collection = record.collection();
    let base = record.base_mut();
    base.status = Status::Active;
    base.date_last_modified = Timestamp::now();
    let encoded = Encoded::new(record);
    let live = stored.filter(|stored| !stored.gone);
    let fields = changed_fields(live.map(|s| s.body.as_str()), encoded.body());
    let body = Some(encoded.body().to_owned());
    let write = Mutation::put(encoded, references).over(stored).by(&origin.0);
    let kind = match write.action() {
        Action::Created => ChangeKind::Created,
        Action::Updated | Action::Deleted => ChangeKind::Replaced,
    };
    let change = Change { collection, id: write.id().to_string(), kind, fields, body, items: 0 };
    Ok((write, change))
}

/// The value under `key` of a JSON object body.
fn envelope(body: &[u8], key: &str) -> Result<Value, WriteError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| WriteError::NotJson(e.to_string()))?;
    let Value::Object(mut object) = value else {
        return Err(WriteError::Invalid {
            field: key.to_owned(),
            reason: format!("the body must be {{\"{key}\": …}}"),
        });
    };
    object
        .remove(key)
        .ok_or_else(|| WriteError::Invalid { field: key.to_owned(), reason: "a value is required".to_owned() })
}

/// Reads one record of `collection` from its JSON, through the one body reader ([`body`]).
/// The path's `id` (PUT) stands in for a missing `sourcedId` and must equal a given one;
/// `status` and `dateLastModified` are the server's to set (filled here, replaced when written).
fn parse(
    collection: Collection,
    value: Value,
    id: Option<&str>,
    at: &str,
    zone: Timezone,
) -> Result<Record, WriteError> {
    typed_at(collection, body::canonical(collection, value, at, zone)?, id, at)
}

/// Reads one record of `collection` as another OneRoster provider serves it (a pull from a
/// district's SIS) through the one body reader, so that a served `href`, a bare reference or a
/// date-time where a date is asked are taken as a write's are; it must have its `sourcedId`,
/// and what the model requires, not every property the JSON schema requires (a provider fed
/// by CSV serves what the binding lets it leave out).
pub fn served(collection: Collection, value: Value, zone: Timezone) -> Result<Record, WriteError> {
    let at = collection.name();
    let id = match value.get("sourcedId") {
        Some(Value::String(id)) => id.clone(),
        _ => {
            return Err(WriteError::Invalid { field: format!("{at}.sourcedId"), reason: "a value is required".into() })
        }
    };
    typed_at(collection, body::canonical_served(collection, value, at, zone)?, Some(&id), at)
}

/// A record in canonical form, `object`, as the model's type of `collection`, named for its
/// problems below `at`: `id` stands in for a missing `sourcedId` and must equal a given one;
/// the server's `status` and `dateLastModified` filled.
fn typed_at(
    collection: Collection,
    mut object: Map<String, Value>,
    id: Option<&str>,
    at: &str,
) -> Result<Record, WriteError> {
    let invalid = |field: &str, reason: String| WriteError::Invalid { field: format!("{at}.{field}"), reason };
    match (object.get("sourcedId"), id) {
        (Some(Value::String(given)), Some(id)) if given != id => {
            return Err(invalid("sourcedId", format!("'{given}' differs from the sourcedId of the path, '{id}'")))
        }
        (None, Some(id)) => {
            object.insert("sourcedId".to_owned(), Value::String(id.to_owned()));
        }
        (None, None) => {
            object.insert("sourcedId".to_owned(), Value::String(fresh_id().to_string()));
        }
        _ => {}
    }
    object.insert("status".to_owned(), Value::String(Status::Active.as_str().to_owned()));
    object.insert("dateLastModified".to_owned(), Value::String(Timestamp::now().to_string()));
    let value = Value::Object(object);
    typed(collection, value).map_err(|(field, reason)| {
        let field = if field.is_empty() || field == "." || field == "?" { String::new() } else { field };
        WriteError::Invalid { field: if field.is_empty() { at.to_owned() } else { format!("{at}.{field}") }, reason }
    })
}

/// Deserializes into the model type of `collection`, keeping the path of the first problem.
fn typed(collection: Collection, value: Value) -> Result<Record, (String, String)> {
    fn read<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, (String, String)> {
        serde_path_to_error::deserialize(value).map_err(|e| (e.path().to_string(), e.inner().to_string()))
    }
    Ok(match collection {
        Collection::Categories => Record::Category(read(value)?),
        Collection::ScoreScales => Record::ScoreScale(read(value)?),
        Collection::LineItems => Record::LineItem(read(value)?),
        Collection::Results => Record::Result(read(value)?),
        Collection::AssessmentLineItems => Record::AssessmentLineItem(read(value)?),
        Collection::AssessmentResults => Record::AssessmentResult(read(value)?),
        Collection::Orgs => Record::Org(read(value)?),
        Collection::AcademicSessions => Record::AcademicSession(read(value)?),
        Collection::Courses => Record::Course(read(value)?),
        Collection::Classes => Record::Class(read(value)?),
        Collection::Users => Record::User(read(value)?),
        Collection::Enrollments => Record::Enrollment(read(value)?),
        Collection::Demographics => Record::Demographics(read(value)?),
        Collection::Resources => Record::Resource(read(value)?),
        Collection::ClassResources => Record::ClassResource(read(value)?),
        Collection::CourseResources => Record::CourseResource(read(value)?),
        Collection::UserResources => Record::UserResource(read(value)?),
        Collection::AbsenceCodes => Record::AbsenceCode(read(value)?),
        Collection::Attendance => Record::Attendance(read(value)?),
    })
}

/// Checks that every record the `records` refer to exists (and was not deleted) and is of the
/// kind the reference requires ([`oneroster_model::Kind`]: a line item's school is an org of
/// type `school`); returns the ones read.
async fn check_references(
    tenant_records: TenantRecords<'_>,
    records: &[&Record],
    at: &str,
) -> Result<Named, WriteError> {
    let names = records.iter().flat_map(|record| record.references()).map(|r| (r.collection, r.id.to_string()));
    let found = tenant_records.get_named(names).await?;
    for (i, record) in records.iter().enumerate() {
        for reference in record.references() {
            let at = if records.len() > 1 { format!("{at}[{i}]") } else { at.to_owned() };
            let field = format!("{at}.{}", reference.field);
            let Some(referenced) = found.get(&(reference.collection, reference.id.to_string())) else {
                return Err(WriteError::UnknownReference {
                    field,
                    what: reference.collection.ref_type(),
                    id: reference.id.to_string(),
                });
            };
            if let Some(kind) = reference.kind.filter(|kind| !kind.admits(referenced)) {
                return Err(WriteError::Invalid { field, reason: kind.mismatch(reference.id.as_str()) });
            }
        }
    }
    Ok(found)
}

/// Whether a POSTed record belongs where the path puts it.
fn fits(record: &Record, within: Within<'_>, references: &Named, at: &str) -> Result<(), WriteError> {
    let mismatch = |field: &str, given: &SourcedId, path: &str| {
        Err(WriteError::Invalid {
            field: format!("{at}.{field}"),
            reason: format!("'{given}' differs from the {field} of the path, '{path}'"),
        })
    };
    match (record, within) {
        (Record::LineItem(item), Within::Class(class)) if item.class.sourced_id.as_str() != class => {
            mismatch("class", &item.class.sourced_id, class)
        }
        (Record::LineItem(item), Within::School(school)) if item.school.sourced_id.as_str() != school => {
            mismatch("school", &item.school.sourced_id, school)
        }
        (Record::Result(result), Within::LineItem(line_item)) if result.line_item.sourced_id.as_str() != line_item => {
            mismatch("lineItem", &result.line_item.sourced_id, line_item)
        }
        (Record::Result(result), Within::ClassSession(class, session)) => {
            let key = (Collection::LineItems, result.line_item.sourced_id.to_string());
            let Some(Record::LineItem(item)) = references.get(&key) else { return Ok(()) };
            if item.class.sourced_id.as_str() != class {
                return mismatch("lineItem.class", &item.class.sourced_id, class);
            }
            let sessions = [&item.academic_session, &item.grading_period];
            if !sessions.iter().any(|s| s.as_ref().is_some_and(|s| s.sourced_id.as_str() == session)) {
                return Err(WriteError::Invalid {
                    field: format!("{at}.lineItem"),
                    reason: format!("the line item does not count in academic session '{session}'"),
                });
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The top-level properties whose values differ between two bodies (all of `after`'s when
/// there was none before); `sourcedId` (the change names it), `dateLastModified` and `status`
/// (the server's) are left out.
fn changed_fields(before: Option<&str>, after: &str) -> Vec<String> {
    let parse = |text: &str| serde_json::from_str::<serde_json::Map<String, Value>>(text).unwrap_or_default();
    let (before, after) = (before.map(parse).unwrap_or_default(), parse(after));
    let keys: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    keys.into_iter()
        .filter(|k| !matches!(k.as_str(), "sourcedId" | "dateLastModified" | "status"))
        .filter(|k| before.get(*k) != after.get(*k))
        .cloned()
        .collect()
}

/// A new sourcedId for a record whose supplied one is taken.
fn fresh_id() -> SourcedId {
    SourcedId::parse(&uuid::Uuid::new_v4().to_string()).expect("a UUID is a sourcedId")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line_item(extra: Value) -> Value {
        let mut item = serde_json::json!({
            "title": "Essay", "assignDate": "2026-09-01T00:00:00.000Z", "dueDate": "2026-09-08T00:00:00.000Z",
            "class": {"href": "/c", "sourcedId": "k-1", "type": "class"},
            "school": {"href": "/s", "sourcedId": "s-1", "type": "org"},
            "category": {"href": "/g", "sourcedId": "g-1", "type": "category"},
        });
        item.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        item
    }

    #[test]
    fn only_a_body_with_a_date_alone_needs_the_districts_timezone() {
        for (body, gives) in [
            (r#"{"lineItem": {"assignDate": "2026-12-04"}}"#, true),
            (r#"{"lineItem": {"assignDate": "2026-12-04T00:00:00Z"}}"#, false),
            (r#"{"lineItem": {"title": "2026-12-04 review", "id": "x2026-12-04"}}"#, false),
            (r#"{"class": {}}"#, false),
        ] {
            assert_eq!(may_give_a_day(body.as_bytes()), gives, "{body}");
        }
    }

    #[test]
    fn a_body_without_sourced_id_status_or_time_takes_them_from_the_path_and_the_server() {
        let record = parse(
            Collection::LineItems,
            line_item(serde_json::json!({})),
            Some("li-1"),
            "lineItem",
            Timezone::default(),
        )
        .unwrap();
        assert_eq!(record.base().sourced_id.as_str(), "li-1");
        assert_eq!(record.base().status, Status::Active);
    }

    #[test]
    fn problems_name_the_property() {
        let at = |extra, id| match parse(Collection::LineItems, line_item(extra), id, "lineItem", Timezone::default()) {
            Err(WriteError::Invalid { field, reason }) => format!("{field}: {reason}"),
            other => panic!("{other:?}"),
        };
        assert!(at(serde_json::json!({"sourcedId": "other"}), Some("li-1")).starts_with("lineItem.sourcedId:"));
        assert!(at(serde_json::json!({"dueDate": "next week"}), Some("li-1")).starts_with("lineItem.dueDate:"));
        let mut missing = line_item(serde_json::json!({}));
        missing.as_object_mut().unwrap().remove("title");
        let err = parse(Collection::LineItems, missing, Some("li-1"), "lineItem", Timezone::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("title"), "{err}");
        let result = serde_json::json!({
            "lineItem": {"href": "/l", "sourcedId": "li-1", "type": "lineItem"},
            "student": {"href": "/u", "sourcedId": "u-1", "type": "user"},
            "scoreStatus": "graded", "scoreDate": "2026-09-09",
        });
        let err =
            parse(Collection::Results, result, Some("r-1"), "result", Timezone::default()).unwrap_err().to_string();
        assert!(err.starts_with("result.scoreStatus:"), "{err}");
    }

    #[test]
    fn changed_fields_name_what_differs_and_skip_server_fields() {
        let before = r#"{"title":"A","score":1,"dateLastModified":"x"}"#;
        let after = r#"{"title":"A","score":2,"comment":"","dateLastModified":"y"}"#;
        assert_eq!(changed_fields(Some(before), after), ["comment", "score"]);
    }
}
