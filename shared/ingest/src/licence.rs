//! Licensed schools: a district that licensed only some of its schools has the records that
//! belong only to the others left out of what is stored, as if its SIS had not sent them: the
//! unlicensed schools themselves, their courses, classes and enrollments, the users whose every
//! role is in one of them, and what hangs off those (demographics, line items and results,
//! resource links, attendance). A bulk that leaves out a record stored before (the school lost its licence)
//! marks it `tobedeleted`, as a bulk does with every record it lacks; licensing a school later
//! brings its records in with the next upload that carries them.
//!
//! What is left out is worked out before the apply, from the package's rows and the stored
//! orgs (which of them are schools), and kept as hashes of sourcedIds per collection.

use crate::apply::{ApplyError, Opened};
use oneroster_csv::{FileKind, Row};
use oneroster_model::vocab::OrgType;
use oneroster_model::{Collection, DistrictSettings, Record};
use oneroster_store::RecordStore;
use std::collections::{HashMap, HashSet};
use xxhash_rust::xxh3::xxh3_128;

/// The records a package's rows make that the district's licence leaves out, by collection.
#[derive(Debug, Default)]
pub(crate) struct LeftOut {
    ids: HashMap<Collection, HashSet<u128>>,
}

impl LeftOut {
    /// Whether the licence leaves out `record`.
    pub(crate) fn leaves_out(&self, record: &Record) -> bool {
        self.contains(record.collection(), record.base().sourced_id.as_str())
    }

    fn contains(&self, collection: Collection, id: &str) -> bool {
        self.ids.get(&collection).is_some_and(|ids| ids.contains(&hash(id)))
    }

    fn insert(&mut self, collection: Collection, id: &str) {
        self.ids.entry(collection).or_default().insert(hash(id));
    }
}

fn hash(id: &str) -> u128 {
    xxh3_128(id.as_bytes())
}

/// Why the rows of `file` were left out, for the report.
pub(crate) fn reason(file: &str) -> &'static str {
    match file {
        "orgs.csv" => "schools the district has not licensed",
        "users.csv" => "users whose every role is in a school the district has not licensed",
        _ => "they belong to schools the district has not licensed, or to users or classes left out",
    }
}

/// What the district's licence leaves out of the package `opened`: nothing when every school
/// is licensed (no rows read).
pub(crate) async fn left_out<S: RecordStore>(
    store: &S,
    opened: &Opened,
    settings: &DistrictSettings,
) -> Result<LeftOut, ApplyError> {
    let mut out = LeftOut::default();
    if settings.licensed_schools.is_none() {
        return Ok(out);
    }
    // The unlicensed schools: stored ones, then the package's (which may change an org's type).
    let stored: Vec<String> =
        store.digests(Collection::Orgs, oneroster_store::ShardPart::WHOLE).await?.into_iter().map(|d| d.id).collect();
    for org in store.get_many(Collection::Orgs, &stored).await? {
        let org = Record::from_json(Collection::Orgs, &org.body).map_err(|e| ApplyError::StoredRecord("orgs", e))?;
        note_school(&mut out, settings, &org);
    }
    // A user is left out when it has roles and none is in a licensed school or another org:
    // whether each user seen has one, decided once its roles are all read (roles.csv comes
    // after users.csv, before what refers to users).
    let mut users: HashMap<u128, bool> = HashMap::new();
    let mut decided = false;
    for kind in FileKind::ALL.into_iter().filter(|kind| opened.modes.contains_key(kind)) {
        if !decided && kind > FileKind::Roles {
            out.users_without_licensed_roles(&mut users);
            decided = true;
        }
        let mut rows = opened.reading.rows(kind);
        while let Some(chunk) = rows.recv().await {
            for row in chunk? {
                match row {
                    Row::Record(Record::User(user)) => {
                        for role in &user.roles {
                            out.note_role(&mut users, user.base.sourced_id.as_str(), role.org.sourced_id.as_str());
                        }
                    }
                    Row::Role(part) => {
                        out.note_role(&mut users, part.owner.as_str(), part.value.org.sourced_id.as_str())
                    }
                    Row::Record(record) if record.collection() == Collection::Orgs => {
                        note_school(&mut out, settings, &record)
                    }
                    Row::Record(record) if depends_on_left_out(&out, settings, &record) => {
                        out.insert(record.collection(), record.base().sourced_id.as_str())
                    }
                    _ => {}
                }
            }
        }
    }
    if !decided {
        out.users_without_licensed_roles(&mut users);
    }
    Ok(out)
}

impl LeftOut {
    /// Notes a role of user `owner` in the org `org`: licensed unless the org is a school left out.
    fn note_role(&self, users: &mut HashMap<u128, bool>, owner: &str, org: &str) {
        *users.entry(hash(owner)).or_insert(false) |= !self.contains(Collection::Orgs, org);
    }

    /// Leaves out the users noted with roles, none of them licensed.
    fn users_without_licensed_roles(&mut self, users: &mut HashMap<u128, bool>) {
        let out = self.ids.entry(Collection::Users).or_default();
        out.extend(users.drain().filter(|(_, licensed)| !licensed).map(|(user, _)| user));
    }
}

/// Notes whether the org `record` is an unlicensed school (or no longer one).
fn note_school(out: &mut LeftOut, settings: &DistrictSettings, record: &Record) {
    let Record::Org(org) = record else { return };
    let id = org.base.sourced_id.as_str();
    if org.org_type == OrgType::School && !settings.licenses(id) {
        out.insert(Collection::Orgs, id);
    } else if let Some(ids) = out.ids.get_mut(&Collection::Orgs) {
        ids.remove(&hash(id));
    }
}

/// Whether `record` belongs to a school, user, class, course or line item left out. An
/// attendance mark's school is the district's to license whether or not it was ever stored
/// (a delivery of attendance alone carries no orgs).
fn depends_on_left_out(out: &LeftOut, settings: &DistrictSettings, record: &Record) -> bool {
    let named = |collection, id: &oneroster_model::SourcedId| out.contains(collection, id.as_str());
    match record {
        Record::Course(course) => named(Collection::Orgs, &course.org.sourced_id),
        Record::Class(class) => named(Collection::Orgs, &class.school.sourced_id),
        Record::Enrollment(e) => {
            named(Collection::Orgs, &e.school.sourced_id)
                || named(Collection::Users, &e.user.sourced_id)
                || named(Collection::Classes, &e.class.sourced_id)
        }
        Record::Demographics(d) => named(Collection::Users, &d.base.sourced_id),
        Record::LineItem(item) => named(Collection::Classes, &item.class.sourced_id),
        Record::Result(result) => {
            named(Collection::LineItems, &result.line_item.sourced_id)
                || named(Collection::Users, &result.student.sourced_id)
        }
        Record::ClassResource(link) => named(Collection::Classes, &link.class.sourced_id),
        Record::CourseResource(link) => named(Collection::Courses, &link.course.sourced_id),
        Record::UserResource(link) => named(Collection::Users, &link.user.sourced_id),
        Record::Attendance(mark) => {
            mark.school.as_ref().is_some_and(|school| !settings.licenses(school.sourced_id.as_str()))
                || mark.class.as_ref().is_some_and(|class| named(Collection::Classes, &class.sourced_id))
                || named(Collection::Users, &mark.student.sourced_id)
        }
        _ => false,
    }
}
