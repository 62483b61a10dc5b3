//! Deleting through the API: a tombstone that only change feeds list, as a deleted line item
//! has. A record others still refer to (a school with classes, a course with classes, a term
//! with classes) is not deleted: the answer names what refers to it. A class or a user takes its
//! enrollments with it, each deleted as a `DELETE /enrollments/{id}` would, before the record
//! itself: a sequence that a failure leaves resumable (the next attempt finds the enrollments
//! left), never a record gone with enrollments still naming it.

use crate::{Change, ChangeKind, Origin, WriteError, ATTEMPTS};
use oneroster_model::{Collection, Record, Relation, View};
use oneroster_store::{Commit, Mutation, Store, StoreError, StoredRecord, Tenant, TenantStore, Written};

/// How many referring records a refusal names.
const NAMED: usize = 5;

/// Enrollments deleted per round of a cascade.
const CASCADE_ROUND: usize = 50;

/// The relations whose entries under a record name the records that refer to it, and what a
/// refusal calls them: deleting the record is refused while any is there.
fn referrers(collection: Collection) -> &'static [(Relation, &'static str)] {
    match collection {
        Collection::Orgs => &[
            (Relation::OrgCourses, "courses"),
            (Relation::SchoolClasses, "classes"),
            (Relation::SchoolEnrollments, "enrollments"),
            (Relation::SchoolStudents, "students"),
            (Relation::SchoolTeachers, "teachers"),
        ],
        Collection::AcademicSessions => {
            &[(Relation::TermClasses, "classes"), (Relation::SessionChildren, "academic sessions")]
        }
        Collection::Courses => &[(Relation::CourseClasses, "classes")],
        Collection::Classes => &[(Relation::ClassLineItems, "line items")],
        _ => &[],
    }
}

/// The relation whose entries under a record are made by the enrollments deleted with it.
fn enrollments_of(collection: Collection) -> Option<Relation> {
    match collection {
        Collection::Classes => Some(Relation::ClassEnrollments),
        Collection::Users => Some(Relation::UserClasses),
        _ => None,
    }
}

/// `DELETE /{collection}/{id}` (in the typed view when given: `/schools/{id}`): refused while
/// other records refer to it; a class's or user's enrollments go first; then the record's
/// tombstone. Returns the record's change.
pub async fn delete(
    store: &Store,
    tenant: &Tenant,
    origin: &Origin,
    collection: Collection,
    view: Option<View>,
    id: &str,
) -> Result<Change, WriteError> {
    let tenant_store = store.tenant(tenant);
    let stored = tenant_store.records().get(collection, id).await?;
    let stored = stored
        .filter(|stored| !stored.gone && view.is_none_or(|view| stored.view == Some(view)))
        .ok_or_else(|| not_found(collection, id))?;
    refuse_if_referenced(tenant_store, collection, id).await?;
    if let Some(relation) = enrollments_of(collection) {
        loop {
            let (entries, more) = tenant_store.lists().makers(relation, id, CASCADE_ROUND).await?;
            let mut enrollments: Vec<String> = entries.into_iter().map(|(_, maker)| maker).collect();
            enrollments.dedup();
            let mut deleted = 0;
            for enrollment in &enrollments {
                match tombstone(tenant_store, origin, Collection::Enrollments, enrollment, None).await {
                    Ok(_) => deleted += 1,
                    // Deleted meanwhile by another writer.
                    Err(WriteError::NotFound { .. }) => {}
                    Err(other) => return Err(other),
                }
            }
            if !more || deleted == 0 {
                break;
            }
        }
    }
    // Deleting its enrollments left the record's item as it was read.
    tombstone(tenant_store, origin, collection, id, Some(stored)).await
}

/// `DELETE /{classes|courses|users}/{owner}/resources/{resource}`: deletes every link record
/// that assigns the resource to the owner (the API's and the SIS's alike).
pub async fn unlink(
    store: &Store,
    tenant: &Tenant,
    origin: &Origin,
    collection: Collection,
    owner: &str,
    resource: &str,
) -> Result<Change, WriteError> {
    let relation = match collection {
        Collection::ClassResources => Relation::ClassResources,
        Collection::CourseResources => Relation::CourseResources,
        _ => Relation::UserResources,
    };
    let tenant_store = store.tenant(tenant);
    let (entries, _) = tenant_store.lists().makers(relation, owner, 1000).await?;
    let links: Vec<String> = entries.into_iter().filter(|(child, _)| child == resource).map(|(_, link)| link).collect();
    let mut last = None;
    for link in &links {
        last = Some(tombstone(tenant_store, origin, collection, link, None).await?);
    }
    last.ok_or_else(|| WriteError::NotFound {
        what: format!("{} of resource '{resource}' to", collection.ref_type()),
        id: owner.to_owned(),
    })
}

/// 409 when any record still refers to record `id` of `collection`, naming the first few.
async fn refuse_if_referenced(
    tenant_store: TenantStore<'_>,
    collection: Collection,
    id: &str,
) -> Result<(), WriteError> {
    let mut named = Vec::new();
    for (relation, what) in referrers(collection) {
        let (entries, more) = tenant_store.lists().makers(*relation, id, NAMED).await?;
        if entries.is_empty() {
            continue;
        }
        let mut children: Vec<String> = entries.into_iter().map(|(child, _)| child).collect();
        children.dedup();
        let more = if more { " and more" } else { "" };
        named.push(format!("{what} {}{more}", children.join(", ")));
    }
    if named.is_empty() {
        return Ok(());
    }
    Err(WriteError::Referenced { what: collection.ref_type(), id: id.to_owned(), by: named.join("; ") })
}

/// Leaves the tombstone of record `id` of `collection`, retried while other writers of it get
/// there first. `read`: the record as the caller read it already, for the first attempt (the
/// commit is conditional on it, so a stale one only costs a second attempt).
async fn tombstone(
    tenant_store: TenantStore<'_>,
    origin: &Origin,
    collection: Collection,
    id: &str,
    mut read: Option<StoredRecord>,
) -> Result<Change, WriteError> {
    let records = tenant_store.records();
    for _ in 0..ATTEMPTS {
        let stored = match read.take() {
            Some(stored) => stored,
            None => records
                .get(collection, id)
                .await?
                .filter(|stored| !stored.gone)
                .ok_or_else(|| not_found(collection, id))?,
        };
        let record = Record::from_json(collection, &stored.body)
            .map_err(|e| StoreError::BadItem(format!("a stored {}: {e}", collection.ref_type())))?;
        // A tombstone sits under no parent: relation routes no longer list it.
        let tombstone = Mutation::delete(record, &stored, &origin.0);
        let committed = records.commit(Commit::Conditional(vec![(tombstone, Some(&stored))])).await?;
        if committed.written == Written::Done {
            let kind = ChangeKind::Deleted;
            let items = committed.items;
            return Ok(Change { collection, id: id.to_owned(), kind, fields: Vec::new(), body: None, items });
        }
    }
    Err(WriteError::Contended)
}

fn not_found(collection: Collection, id: &str) -> WriteError {
    WriteError::NotFound { what: collection.ref_type().to_owned(), id: id.to_owned() }
}
