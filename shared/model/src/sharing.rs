//! What a district shares with one app (an OAuth client or an API key): student-privacy law
//! asks a district to share with each app only what it needs. A client's [`Sharing`] narrows
//! what its scopes grant: to some schools, without some fields, to some collections, and
//! without the contact and identity fields of students under 13 (COPPA) unless the district
//! recorded consent. Kept with the client's record; applied by the API's one gate.

use crate::{Collection, Date, SourcedId, Timezone};
use chrono::Datelike;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Fields every client is denied, whatever else it is set to: a password an SIS sends is
/// never an app's business.
pub const ALWAYS_HIDDEN: &[&str] = &["password"];

/// Fields that must stay in every body: a record without them cannot be identified, paged or
/// told deleted, so a rule may not hide them.
pub const NEVER_HIDDEN: &[&str] = &["sourcedId", "status", "dateLastModified"];

/// The personal contact and identity fields withheld from students under 13 (COPPA), on users
/// (and the birth date on their demographics).
pub const UNDER_13_FIELDS: &[&str] = &["email", "phone", "sms", "username", "userIds", "birthDate"];

/// The age below which a student's contact and identity fields are withheld.
pub const COPPA_AGE: u32 = 13;

/// What one app may see of its district, beyond what its scopes grant. The default shares
/// everything but [`ALWAYS_HIDDEN`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sharing {
    /// Only records of these schools (and the district's own records); `None`: every school.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schools: Option<BTreeSet<SourcedId>>,
    /// Field names left out of every record that has them, besides [`ALWAYS_HIDDEN`].
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub hidden_fields: BTreeSet<String>,
    /// Only these collections (by [`Collection::name`]); `None`: every collection its scopes
    /// grant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collections: Option<BTreeSet<String>>,
    /// What it receives of students under 13.
    #[serde(default, skip_serializing_if = "Under13::is_shared")]
    pub under_13: Under13,
}

/// What an app receives of the students under [`COPPA_AGE`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Under13 {
    /// Everything its other rules share (the default).
    #[default]
    Shared,
    /// Not their [`UNDER_13_FIELDS`].
    Withheld,
    /// Withheld unless consented: the district recorded consent (a school acting for the
    /// parents, as COPPA allows for an educational app) for this app.
    Consented,
}

impl Under13 {
    /// Whether it shares everything (the default, not stored).
    pub fn is_shared(&self) -> bool {
        matches!(self, Under13::Shared)
    }

    /// Whether students under 13 have their [`UNDER_13_FIELDS`] withheld.
    pub fn withholds(&self) -> bool {
        matches!(self, Under13::Withheld)
    }

    /// Reads `shared`, `withheld` or `consented`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "shared" => Some(Under13::Shared),
            "withheld" => Some(Under13::Withheld),
            "consented" => Some(Under13::Consented),
            _ => None,
        }
    }
}

/// A rule that cannot be kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SharingError {
    /// A field every record must keep.
    #[error("the field '{0}' cannot be hidden: every record needs it")]
    Required(String),
    /// No such collection.
    #[error("'{0}' is not a collection (users, classes, enrollments, …)")]
    UnknownCollection(String),
    /// An empty list where at least one is needed.
    #[error("--{0} needs at least one name")]
    Empty(&'static str),
}

impl Sharing {
    /// Checks what the rules name: no required field hidden.
    pub fn check(&self) -> Result<(), SharingError> {
        match self.hidden_fields.iter().find(|field| NEVER_HIDDEN.contains(&field.as_str())) {
            Some(field) => Err(SharingError::Required(field.clone())),
            None => Ok(()),
        }
    }

    /// Whether `name` is left out of the records that have it.
    pub fn hides(&self, name: &str) -> bool {
        ALWAYS_HIDDEN.contains(&name) || self.hidden_fields.contains(name)
    }

    /// Every field name left out, the defaults included.
    pub fn hidden(&self) -> impl Iterator<Item = &str> {
        ALWAYS_HIDDEN.iter().copied().chain(self.hidden_fields.iter().map(String::as_str))
    }

    /// Whether the app may read `collection` at all.
    pub fn reaches(&self, collection: Collection) -> bool {
        self.collections.as_ref().is_none_or(|collections| collections.contains(collection.name()))
    }

    /// Whether `school` is one of the app's (every school is, without a school rule).
    pub fn sees_school(&self, school: &str) -> bool {
        self.schools.as_ref().is_none_or(|schools| schools.iter().any(|s| s.as_str() == school))
    }

    /// Whether any school rule applies.
    pub fn limits_schools(&self) -> bool {
        self.schools.is_some()
    }

    /// Reads a comma-separated list of collection names (`users,classes`).
    pub fn parse_collections(text: &str) -> Result<BTreeSet<String>, SharingError> {
        let names = split(text);
        if names.is_empty() {
            return Err(SharingError::Empty("collections"));
        }
        match names.iter().find(|name| Collection::from_name(name).is_none()) {
            Some(unknown) => Err(SharingError::UnknownCollection(unknown.clone())),
            None => Ok(names.into_iter().collect()),
        }
    }

    /// Reads a comma-separated list of field names (`phone,sms`).
    pub fn parse_fields(text: &str) -> BTreeSet<String> {
        split(text).into_iter().collect()
    }
}

fn split(text: &str) -> Vec<String> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// Whether someone born on `birth` is under [`COPPA_AGE`] on the day `now` falls on in `zone`
/// (a birthday counts from the start of that day where the district is).
pub fn under_13(birth: Date, now: crate::Timestamp, zone: Timezone) -> bool {
    let today = zone.date_of(now).0;
    let birth = birth.0;
    let mut age = today.year() - birth.year();
    if (today.month(), today.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age < COPPA_AGE as i32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Timestamp;

    fn date(text: &str) -> Date {
        Date::parse(text).expect("a date")
    }

    #[test]
    fn a_child_turns_13_at_the_start_of_the_birthday_where_the_district_is() {
        let chicago = Timezone::parse("America/Chicago").expect("a zone");
        // 2026-03-10 03:00 UTC is still 2026-03-09 in Chicago.
        let now = Timestamp::parse("2026-03-10T03:00:00Z").expect("a time");
        assert!(under_13(date("2013-03-10"), now, chicago), "the birthday has not begun in Chicago");
        assert!(!under_13(date("2013-03-10"), now, Timezone::default()), "it has in UTC");
        assert!(!under_13(date("2013-03-09"), now, chicago));
        assert!(under_13(date("2016-06-01"), now, chicago), "a 9-year-old");
        assert!(!under_13(date("2011-12-31"), now, chicago), "a 14-year-old");
    }

    #[test]
    fn rules_read_and_refuse_what_they_cannot_keep() {
        let sharing = Sharing { hidden_fields: Sharing::parse_fields("phone, sms,,"), ..Sharing::default() };
        assert_eq!(sharing.hidden().collect::<Vec<_>>(), ["password", "phone", "sms"]);
        assert!(sharing.hides("password") && sharing.hides("sms") && !sharing.hides("email"));
        assert_eq!(sharing.check(), Ok(()));
        let bad = Sharing { hidden_fields: Sharing::parse_fields("sourcedId"), ..Sharing::default() };
        assert_eq!(bad.check(), Err(SharingError::Required("sourcedId".into())));
        assert_eq!(
            Sharing::parse_collections("users,classes").expect("names"),
            BTreeSet::from(["classes".to_owned(), "users".to_owned()])
        );
        assert_eq!(Sharing::parse_collections("pupils"), Err(SharingError::UnknownCollection("pupils".into())));
        assert_eq!(Sharing::parse_collections(" , "), Err(SharingError::Empty("collections")));
    }

    #[test]
    fn the_default_shares_everything_but_passwords_and_stores_as_nothing() {
        let sharing = Sharing::default();
        assert!(sharing.reaches(Collection::Demographics) && sharing.sees_school("any"));
        assert_eq!(serde_json::to_string(&sharing).expect("json"), "{}");
        let limited: Sharing =
            serde_json::from_str(r#"{"schools":["s1"],"collections":["users"],"under13":"withheld"}"#).expect("rules");
        assert!(limited.sees_school("s1") && !limited.sees_school("s2"));
        assert!(limited.reaches(Collection::Users) && !limited.reaches(Collection::Classes));
        assert!(limited.under_13.withholds());
    }
}
