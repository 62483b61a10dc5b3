//! Records, mutations and stored records for the store's unit tests: each kind of record a
//! write can make (an enrollment, a class, a user with roles, demographics, a line item, a
//! result), built
//! from the JSON the API and the ingest read, so that the tests see the links and views the
//! model really makes.

use crate::mutation::{Encoded, Mutation, Named};
use crate::records::{entry_changes, record_item, to_record};
use crate::{StoredRecord, Tenant};
use oneroster_model::{Collection, Record, SourcedId, Status, TenantId};

/// The tenant every test writes for.
pub(crate) fn tenant() -> Tenant {
    Tenant::by_operator(TenantId::parse("district-7").expect("a tenant id"))
}

/// A checked sourcedId.
pub(crate) fn id(text: &str) -> SourcedId {
    SourcedId::parse(text).expect("a sourcedId")
}

/// A reference as the 1.2 JSON spells it.
fn reference(ref_type: &str, id: &str) -> String {
    format!(r#"{{"href":"/x","sourcedId":"{id}","type":"{ref_type}"}}"#)
}

/// A record of `collection` read from `rest`, the JSON after its base fields.
fn record(collection: Collection, id: &str, rest: &str) -> Record {
    let json =
        format!(r#"{{"sourcedId":"{id}","status":"active","dateLastModified":"2026-01-01T00:00:00.000Z",{rest}}}"#);
    Record::from_json(collection, &json).unwrap_or_else(|e| panic!("a {collection:?}: {e}: {json}"))
}

/// An enrollment of `user` in `class` of school `s-1` with `role` (`student`, `teacher`, …).
pub(crate) fn enrollment(id: &str, class: &str, user: &str, role: &str) -> Record {
    let (user, class, school) = (reference("user", user), reference("class", class), reference("org", "s-1"));
    record(Collection::Enrollments, id, &format!(r#""user":{user},"class":{class},"school":{school},"role":"{role}""#))
}

/// A class of `school` and course `c-1`, taught in `terms`.
pub(crate) fn class(id: &str, school: &str, terms: &[&str]) -> Record {
    let terms: Vec<String> = terms.iter().map(|term| reference("academicSession", term)).collect();
    let (course, school) = (reference("course", "c-1"), reference("org", school));
    let rest = format!(r#""title":"T","course":{course},"school":{school},"terms":[{}]"#, terms.join(","));
    record(Collection::Classes, id, &rest)
}

/// A user with `roles` (role, org; the first primary) and an e-mail address.
pub(crate) fn user(id: &str, roles: &[(&str, &str)]) -> Record {
    let roles: Vec<String> = roles
        .iter()
        .enumerate()
        .map(|(i, (role, org))| {
            let role_type = if i == 0 { "primary" } else { "secondary" };
            format!(r#"{{"roleType":"{role_type}","role":"{role}","org":{}}}"#, reference("org", org))
        })
        .collect();
    let rest = format!(
        r#""enabledUser":"true","givenName":"G","familyName":"F","roles":[{}],"email":"{id}@example.org""#,
        roles.join(",")
    );
    record(Collection::Users, id, &rest)
}

/// A line item of `class` in `category`.
pub(crate) fn line_item(id: &str, class: &str, category: &str) -> Record {
    let (class, school, category) =
        (reference("class", class), reference("org", "s-1"), reference("category", category));
    let rest = format!(
        r#""title":"L","assignDate":"2026-01-01T00:00:00.000Z","dueDate":"2026-02-01T00:00:00.000Z","class":{class},"school":{school},"category":{category}"#
    );
    record(Collection::LineItems, id, &rest)
}

/// A result of `student` for `line_item`, naming `class` or (`None`) leaving it to the line item.
pub(crate) fn result(id: &str, line_item: &str, student: &str, class: Option<&str>) -> Record {
    let class = class.map(|class| format!(r#""class":{},"#, reference("class", class))).unwrap_or_default();
    let (line_item, student) = (reference("lineItem", line_item), reference("user", student));
    let rest = format!(
        r#""lineItem":{line_item},"student":{student},{class}"scoreStatus":"fully graded","scoreDate":"2026-01-01""#
    );
    record(Collection::Results, id, &rest)
}

/// An org of `org_type` (`school`, `district`).
pub(crate) fn org(id: &str, org_type: &str) -> Record {
    record(Collection::Orgs, id, &format!(r#""name":"O","type":"{org_type}","identifier":"""#))
}

/// The demographics of user `id`, born on `birth` (`YYYY-MM-DD`) when given.
pub(crate) fn demographics(id: &str, birth: Option<&str>) -> Record {
    let birth = birth.map(|date| format!(r#""birthDate":"{date}","#)).unwrap_or_default();
    record(Collection::Demographics, id, &format!(r#"{birth}"sex":"female""#))
}

/// `record` with `status`.
pub(crate) fn with_status(mut record: Record, status: Status) -> Record {
    record.base_mut().status = status;
    record
}

/// The put of `record` as new, its link dependency not stored.
pub(crate) fn put(record: Record) -> Mutation {
    Mutation::put(Encoded::new(record), &Named::new())
}

/// The record `mutation` leaves stored, read back as a later write finds it.
pub(crate) fn stored(mutation: &Mutation) -> StoredRecord {
    let tenant = tenant();
    let entries = entry_changes(&tenant, mutation);
    to_record(&record_item(&tenant, mutation, entries.encoded)).expect("a stored record")
}
