//! A district's own settings: what differs from one tenant to the next without a redeploy (its
//! timezone, its school year, the schools it licensed, how much a bulk may delete unheld, how
//! long deleted records are kept, what it expects of every bulk, and how often grades go back
//! to its SIS). Kept in the store, set by
//! an operator (`oneroster-admin tenant set`), read by the ingest at each upload and by the API
//! at each request that needs one; every setting has a default, so a tenant never set behaves as
//! every tenant did before settings existed.

use crate::time::{Date, Timestamp};
use crate::SourcedId;
use chrono::{LocalResult, NaiveTime, TimeZone, Timelike};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The share of a rostering collection a bulk may mark `tobedeleted` before it is held, in
/// percent, when a district has not set its own.
pub const DEFAULT_DELETION_THRESHOLD_PERCENT: u32 = 10;

/// The fewest active records a collection must hold for the threshold to apply: below it, a
/// small district's ordinary changes (a class of 12 ending) would be held every night.
pub const HOLD_MIN_ACTIVE: u64 = 50;

/// A district's settings (see the module docs). Stored as this JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DistrictSettings {
    /// Where the district is: a date-only value (a CSV date where a date-time is wanted, a write
    /// body's, a `dateLastModified>'2026-01-15'` filter's) is the start of that day there.
    #[serde(default)]
    pub timezone: Timezone,
    /// The current school year, as OneRoster writes it (`2026` for 2025–26); none by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub school_year: Option<String>,
    /// The schools the district licensed; `None`: all of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licensed_schools: Option<BTreeSet<SourcedId>>,
    /// The largest share, in percent, of a rostering collection holding at least
    /// [`HOLD_MIN_ACTIVE`] active records that a bulk may mark `tobedeleted` without being held.
    #[serde(default = "default_threshold")]
    pub deletion_threshold_percent: u32,
    /// How many days a deleted (`tobedeleted`) record is kept before it is purged for good
    /// ([`DEFAULT_RETENTION_DAYS`] unless set); `None`: kept for ever. Stored as a number, or as
    /// `null` for ever, so that a district that chose for ever is told from one that never chose
    /// (an absent value, read as the default).
    #[serde(default = "default_retention")]
    pub retention_days: Option<u32>,
    /// The fewest data rows each named file of a bulk must have (`users.csv` → 1000); a bulk
    /// with fewer, or without the file, is held.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub expected_rows: BTreeMap<String, u64>,
    /// Whether every licensed school (every school of the bulk when all are licensed) must have
    /// classes and enrolled students in a bulk that carries classes and enrollments; one without
    /// is held.
    #[serde(default)]
    pub expect_school_rosters: bool,
    /// How often the gradebook changes of API clients go back to the SIS as a delta package
    /// in the tenant's outbox; off unless the district asks (its SIS must be set to take them).
    #[serde(default)]
    pub grade_writeback: Writeback,
}

/// How often a district's grades go back to its SIS (see [`DistrictSettings::grade_writeback`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Writeback {
    /// Only when an operator runs it.
    #[default]
    Off,
    /// At most once an hour.
    Hourly,
    /// At most once a day.
    Daily,
}

impl Writeback {
    /// Reads the setting's value as an operator writes it.
    pub fn parse(text: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(text.to_owned())).ok()
    }

    /// Whether a scheduled write-back is due at `now` when the last one sent what was changed
    /// through `last` (never, for `None`).
    pub fn due(self, last: Option<Timestamp>, now: Timestamp) -> bool {
        let hours = match self {
            Writeback::Off => return false,
            Writeback::Hourly => 1,
            Writeback::Daily => 24,
        };
        // A few minutes' slack: the schedule fires each hour, a little after the last run's
        // window closed, so "an hour since" must not skip a turn by a few seconds.
        last.is_none_or(|last| now.0 - last.0 >= chrono::Duration::hours(hours) - chrono::Duration::minutes(5))
    }
}

fn default_threshold() -> u32 {
    DEFAULT_DELETION_THRESHOLD_PERCENT
}

/// Days a deleted record is kept when a district has not said (a year: an app that syncs less
/// often than that has lost track anyway).
pub const DEFAULT_RETENTION_DAYS: u32 = 365;

fn default_retention() -> Option<u32> {
    Some(DEFAULT_RETENTION_DAYS)
}

impl Default for DistrictSettings {
    fn default() -> Self {
        Self {
            timezone: Timezone::default(),
            school_year: None,
            licensed_schools: None,
            deletion_threshold_percent: DEFAULT_DELETION_THRESHOLD_PERCENT,
            retention_days: default_retention(),
            expected_rows: BTreeMap::new(),
            expect_school_rosters: false,
            grade_writeback: Writeback::Off,
        }
    }
}

impl DistrictSettings {
    /// Whether `school` is licensed (every school is, when the district named none).
    pub fn licenses(&self, school: &str) -> bool {
        self.licensed_schools.as_ref().is_none_or(|schools| schools.iter().any(|s| s.as_str() == school))
    }

    /// The instant before which a deleted record is old enough to purge at `now`; `None` when
    /// the district keeps deleted records for ever.
    pub fn purge_before(&self, now: Timestamp) -> Option<Timestamp> {
        let days = i64::from(self.retention_days?);
        Some(Timestamp(now.0 - chrono::Duration::days(days)))
    }

    /// Whether `deleting` of `active` records is more than the district lets a bulk delete.
    pub fn too_many_deletions(&self, active: u64, deleting: u64) -> bool {
        active >= HOLD_MIN_ACTIVE && deleting * 100 > u64::from(self.deletion_threshold_percent) * active
    }
}

/// An IANA timezone (`America/Chicago`), UTC by default; stored and shown by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Timezone(chrono_tz::Tz);

/// A timezone name that is not in the IANA database.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not an IANA timezone name (America/Chicago, Europe/London, UTC)")]
pub struct UnknownTimezone(pub String);

impl Timezone {
    /// The zone named `name` (IANA, case as the database writes it).
    pub fn parse(name: &str) -> Result<Self, UnknownTimezone> {
        name.parse::<chrono_tz::Tz>().map(Self).map_err(|_| UnknownTimezone(name.to_owned()))
    }

    /// Its IANA name.
    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// The calendar date `instant` falls on in this zone.
    pub fn date_of(&self, instant: Timestamp) -> Date {
        Date(instant.0.with_timezone(&self.0).date_naive())
    }

    /// The instant `date` begins in this zone: its midnight, or where a clock change skips
    /// midnight (Santiago, Havana), the first minute that exists that day.
    pub fn start_of(&self, date: Date) -> Timestamp {
        let mut time = NaiveTime::MIN;
        loop {
            match self.0.from_local_datetime(&date.0.and_time(time)) {
                LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => {
                    return Timestamp::from_millis(t.timestamp_millis())
                }
                // Skipped by a clock change: no zone skips more than a few hours.
                LocalResult::None if time.hour() < 23 => time += chrono::Duration::minutes(15),
                LocalResult::None => return Timestamp::start_of(date),
            }
        }
    }
}

impl Serialize for Timezone {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Timezone {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Self::parse(&name).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Date {
        Date::parse(text).unwrap()
    }

    #[test]
    fn a_day_starts_at_the_districts_midnight() {
        for (zone, day, start) in [
            ("UTC", "2026-01-15", "2026-01-15T00:00:00.000Z"),
            ("America/Chicago", "2026-01-15", "2026-01-15T06:00:00.000Z"),
            ("America/Chicago", "2026-07-15", "2026-07-15T05:00:00.000Z"),
            ("Asia/Kolkata", "2026-01-15", "2026-01-14T18:30:00.000Z"),
            // Santiago's clocks go from 00:00 to 01:00 on the first Sunday of September.
            ("America/Santiago", "2026-09-06", "2026-09-06T04:00:00.000Z"),
        ] {
            let zone = Timezone::parse(zone).unwrap();
            assert_eq!(zone.start_of(date(day)).to_string(), start, "{}", zone.name());
        }
    }

    #[test]
    fn a_zone_is_kept_by_its_name_and_an_unknown_one_is_refused() {
        let settings: DistrictSettings = serde_json::from_str(r#"{"timezone": "America/New_York"}"#).unwrap();
        assert_eq!(settings.timezone.name(), "America/New_York");
        assert_eq!(serde_json::to_value(&settings).unwrap()["timezone"], "America/New_York");
        for bad in ["Mars/Olympus", "", "america/chicago"] {
            assert_eq!(Timezone::parse(bad), Err(UnknownTimezone(bad.to_owned())));
        }
    }

    #[test]
    fn every_setting_has_a_default() {
        let settings: DistrictSettings = serde_json::from_str("{}").unwrap();
        assert_eq!(settings, DistrictSettings::default());
        assert_eq!((settings.timezone.name(), settings.deletion_threshold_percent), ("UTC", 10));
        assert!(settings.licenses("any-school"));
    }

    #[test]
    fn deleted_records_are_kept_a_year_unless_the_district_chose_otherwise_or_for_ever() {
        let now = Timestamp::parse("2026-06-01T00:00:00.000Z").unwrap();
        // (stored JSON, retention read, stored again, the purge's cut-off)
        let cases = [
            ("{}", Some(365), r#""retentionDays":365"#, Some("2025-06-01T00:00:00.000Z")),
            (r#"{"retentionDays":30}"#, Some(30), r#""retentionDays":30"#, Some("2026-05-02T00:00:00.000Z")),
            (r#"{"retentionDays":null}"#, None, r#""retentionDays":null"#, None),
        ];
        for (stored, days, written, before) in cases {
            let settings: DistrictSettings = serde_json::from_str(stored).unwrap();
            assert_eq!(settings.retention_days, days, "{stored}");
            let json = serde_json::to_string(&settings).unwrap();
            assert!(json.contains(written), "{stored}: {json}");
            let again: DistrictSettings = serde_json::from_str(&json).unwrap();
            assert_eq!(again, settings, "{stored}: read back as written");
            assert_eq!(settings.purge_before(now).map(|t| t.to_string()), before.map(str::to_owned), "{stored}");
        }
        assert_eq!(DistrictSettings::default().retention_days, Some(DEFAULT_RETENTION_DAYS));
    }

    #[test]
    fn only_the_named_schools_are_licensed() {
        let settings =
            DistrictSettings { licensed_schools: Some([SourcedId::parse("s1").unwrap()].into()), ..Default::default() };
        assert!(settings.licenses("s1"));
        assert!(!settings.licenses("s2"));
    }

    #[test]
    fn a_bulk_is_held_past_the_threshold_of_a_collection_large_enough() {
        let settings = DistrictSettings::default();
        for (active, deleting, held) in
            [(100, 10, false), (100, 11, true), (49, 40, false), (50, 6, true), (1000, 100, false)]
        {
            assert_eq!(settings.too_many_deletions(active, deleting), held, "{deleting} of {active}");
        }
    }

    #[test]
    fn grades_go_back_off_by_default_then_hourly_or_daily_once_the_last_window_is_old_enough() {
        let settings: DistrictSettings = serde_json::from_str("{}").unwrap();
        assert_eq!(settings.grade_writeback, Writeback::Off);
        let at = |text: &str| Timestamp::parse(text).unwrap();
        let now = at("2026-12-07T10:00:00.000Z");
        assert!(!Writeback::Off.due(None, now), "off is never due on a schedule");
        for (cadence, last, due) in [
            (Writeback::Hourly, None, true),
            (Writeback::Hourly, Some("2026-12-07T09:00:05.000Z"), true),
            (Writeback::Hourly, Some("2026-12-07T09:30:00.000Z"), false),
            (Writeback::Daily, Some("2026-12-06T10:00:05.000Z"), true),
            (Writeback::Daily, Some("2026-12-07T00:00:00.000Z"), false),
        ] {
            assert_eq!(cadence.due(last.map(at), now), due, "{cadence:?} after {last:?}");
        }
        assert_eq!(Writeback::parse("daily"), Some(Writeback::Daily));
        assert_eq!(Writeback::parse("weekly"), None);
        let json = serde_json::to_value(DistrictSettings { grade_writeback: Writeback::Hourly, ..Default::default() });
        assert_eq!(json.unwrap()["gradeWriteback"], "hourly");
    }
}
