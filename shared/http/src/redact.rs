//! What a caller is not shared, taken out of every body it is sent (lists, single records,
//! what a write answers), whichever route it came through: the fields its district hides from
//! it, at any depth (a hidden `username` is also gone from `userProfiles[].credentials[]`),
//! and, for a caller that is not shared the contact and identity fields of students under 13,
//! those fields of the records (users, demographics) of such students.
//!
//! A list's records are rendered without the top-level properties not shared
//! ([`Redaction::shows`]); a record then holding none of the names is sent as rendered,
//! unparsed: the check is a substring search per name, so rules cost next to nothing unless a
//! name is left deeper down (a `username` in `userProfiles[].credentials[]`).

use oneroster_model::sharing::{under_13, UNDER_13_FIELDS};
use oneroster_model::{Collection, Sharing, Timestamp, Timezone};
use oneroster_store::{Born, StoredRecord};
use serde_json::Value;
use std::collections::HashSet;

/// What to take out of the bodies sent to one caller.
#[derive(Debug, Clone, Default)]
pub struct Redaction {
    /// Field names taken out of every record, each with its quoted form (what a body holds).
    hidden: Vec<(String, String)>,
    /// The sourcedIds of the records whose [`UNDER_13_FIELDS`] are taken out too.
    minors: HashSet<String>,
    /// The quoted forms of the [`UNDER_13_FIELDS`], when there are `minors`.
    withheld: Vec<String>,
}

impl Redaction {
    /// What `sharing` hides from every record.
    pub fn of(sharing: &Sharing) -> Self {
        let hidden = sharing.hidden().map(|name| (name.to_owned(), format!("\"{name}\""))).collect();
        Self { hidden, minors: HashSet::new(), withheld: Vec::new() }
    }

    /// The same, also taking the [`UNDER_13_FIELDS`] out of the records of `minors`.
    pub fn withholding(self, minors: HashSet<String>) -> Self {
        let withheld = UNDER_13_FIELDS.iter().map(|name| format!("\"{name}\"")).collect();
        Self { minors, withheld, ..self }
    }

    /// Whether the record `id`'s property `name` is sent: what a rendering leaves out of a
    /// record's top level as it splits it, so that [`Redaction::apply`] parses it again only
    /// when a name is left deeper down.
    pub fn shows(&self, id: &str, name: &str) -> bool {
        let hidden = self.hidden.iter().any(|(hidden, _)| hidden == name);
        !(hidden || UNDER_13_FIELDS.contains(&name) && self.minors.contains(id))
    }

    /// Whether the record `id` is a child's whose [`UNDER_13_FIELDS`] are withheld.
    pub fn withholds(&self, id: &str) -> bool {
        self.minors.contains(id)
    }

    /// `json` (the record `id`'s, as rendered) without what is not shared.
    pub fn apply(&self, id: &str, json: String) -> serde_json::Result<String> {
        let minor = self.minors.contains(id);
        let named = |quoted: &String| json.contains(quoted.as_str());
        let left = self.hidden.iter().any(|(_, quoted)| named(quoted)) || minor && self.withheld.iter().any(named);
        if !left {
            return Ok(json);
        }
        let mut value: Value = serde_json::from_str(&json)?;
        strip(&mut value, &|name| {
            self.hidden.iter().any(|(hidden, _)| hidden == name) || (minor && UNDER_13_FIELDS.contains(&name))
        });
        serde_json::to_string(&value)
    }
}

/// Removes every member named as `hidden` says, in objects at any depth.
fn strip(value: &mut Value, hidden: &dyn Fn(&str) -> bool) {
    match value {
        Value::Object(members) => {
            members.retain(|name, _| !hidden(name));
            members.values_mut().for_each(|member| strip(member, hidden));
        }
        Value::Array(items) => items.iter_mut().for_each(|item| strip(item, hidden)),
        _ => {}
    }
}

/// The users among `records` (of `collection`) whose items keep no birth date yet (stored
/// before dates were kept): their demographics say, read for [`minors`].
pub fn unkept_births(collection: Collection, records: &[StoredRecord]) -> Vec<String> {
    match collection {
        Collection::Users => records.iter().filter(|r| r.born == Born::Unkept).map(|r| r.id.clone()).collect(),
        _ => Vec::new(),
    }
}

/// Which of `records` (of `collection`: users or demographics) are of students under 13 on
/// `now` in `zone`, by the birth date each item keeps (a user's is its demographics'), or by
/// the `demographics` read for those whose items keep none ([`unkept_births`]). A record whose
/// birth date is not known is not counted as a child's.
pub fn minors(
    collection: Collection,
    records: &[StoredRecord],
    demographics: &[StoredRecord],
    now: Timestamp,
    zone: Timezone,
) -> HashSet<String> {
    let read = Born::of_users(demographics);
    let born = |record: &StoredRecord| match (collection, record.born) {
        (Collection::Demographics, _) => Born::of_demographics(record),
        (_, Born::Unkept) => read(&record.id),
        (_, kept) => kept,
    };
    let child = |record: &&StoredRecord| matches!(born(record), Born::On(birth) if under_13(birth, now, zone));
    match collection {
        Collection::Users | Collection::Demographics => records.iter().filter(child).map(|r| r.id.clone()).collect(),
        _ => HashSet::new(),
    }
}

/// Whether an answer of `collection` may hold records whose under-13 fields are withheld.
pub fn holds_people(collection: Collection) -> bool {
    matches!(collection, Collection::Users | Collection::Demographics)
}

#[cfg(test)]
mod tests {
    use super::*;
    use oneroster_model::sharing::Under13;

    #[test]
    fn hidden_fields_go_at_any_depth_and_untouched_records_stay_byte_for_byte() {
        let sharing = Sharing { hidden_fields: Sharing::parse_fields("phone"), ..Sharing::default() };
        let redaction = Redaction::of(&sharing);
        let user = r#"{"sourcedId":"u-1","phone":"555","password":"x","userProfiles":[{"credentials":[{"password":"y","username":"k"}]}],"b":1}"#;
        assert_eq!(
            redaction.apply("u-1", user.to_owned()).expect("json"),
            r#"{"sourcedId":"u-1","userProfiles":[{"credentials":[{"username":"k"}]}],"b":1}"#
        );
        let plain = r#"{"sourcedId":"c-1", "title": "Maths"}"#;
        assert_eq!(redaction.apply("c-1", plain.to_owned()).expect("json"), plain, "not parsed again");
    }

    #[test]
    fn a_rendering_leaves_out_the_top_level_names_and_apply_strips_what_is_deeper() {
        let sharing = Sharing {
            hidden_fields: Sharing::parse_fields("username"),
            under_13: Under13::Withheld,
            ..Sharing::default()
        };
        let redaction = Redaction::of(&sharing).withholding(HashSet::from(["u-10".to_owned()]));
        assert!(!redaction.shows("u-14", "username") && redaction.shows("u-14", "email"));
        assert!(!redaction.shows("u-10", "email") && redaction.shows("u-10", "givenName"));
        let nested = r#"{"sourcedId":"u-14","userProfiles":[{"credentials":[{"username":"k","password":"p"}]}]}"#;
        assert_eq!(
            redaction.apply("u-14", nested.to_owned()).expect("json"),
            r#"{"sourcedId":"u-14","userProfiles":[{"credentials":[{}]}]}"#
        );
        let rendered_minor = r#"{"sourcedId":"u-10","givenName":"A"}"#;
        assert_eq!(redaction.apply("u-10", rendered_minor.to_owned()).expect("json"), rendered_minor);
    }

    #[test]
    fn a_minors_identity_fields_go_and_an_adults_stay() {
        let sharing = Sharing { under_13: Under13::Withheld, ..Sharing::default() };
        let redaction = Redaction::of(&sharing).withholding(HashSet::from(["u-10".to_owned()]));
        let user = |id: &str| format!(r#"{{"sourcedId":"{id}","email":"a@b","username":"k","givenName":"A"}}"#);
        assert_eq!(redaction.apply("u-10", user("u-10")).expect("json"), r#"{"sourcedId":"u-10","givenName":"A"}"#);
        assert_eq!(redaction.apply("u-14", user("u-14")).expect("json"), user("u-14"));
    }
}
