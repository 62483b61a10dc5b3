//! Dates and date-times in the exact forms OneRoster writes: `YYYY-MM-DD` and
//! `YYYY-MM-DDTHH:MM:SS.sssZ` (UTC, millisecond resolution).

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A text that is not a date or date-time of the required form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// Not `YYYY-MM-DD`.
    #[error("'{0}' is not a date of the form YYYY-MM-DD")]
    Date(String),
    /// Not `YYYY-MM-DDTHH:MM:SS.sssZ`.
    #[error("'{0}' is not a UTC date-time of the form YYYY-MM-DDTHH:MM:SS.sssZ")]
    DateTime(String),
    /// Not a four-digit year.
    #[error("'{0}' is not a year of the form YYYY")]
    Year(String),
}

/// A calendar date (`startDate`, `birthDate`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub NaiveDate);

impl Date {
    /// Parses `YYYY-MM-DD` exactly (no other separators, no time part).
    pub fn parse(text: &str) -> Result<Self, TimeError> {
        let shape = text.len() == 10 && text.as_bytes()[4] == b'-' && text.as_bytes()[7] == b'-';
        match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(date) if shape => Ok(Self(date)),
            _ => Err(TimeError::Date(text.to_owned())),
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

/// An instant, always UTC (`dateLastModified`, `scoreDate`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub DateTime<Utc>);

impl Timestamp {
    /// Now, truncated to the millisecond so that it writes and reads back unchanged.
    pub fn now() -> Self {
        Self::from_millis(Utc::now().timestamp_millis())
    }

    /// The instant `millis` milliseconds after the Unix epoch (clamped to the epoch if out of range).
    pub fn from_millis(millis: i64) -> Self {
        Self(DateTime::from_timestamp_millis(millis).unwrap_or_default())
    }

    /// The start of `date`, UTC (a date-only value where a date-time is wanted).
    pub fn start_of(date: Date) -> Self {
        Self(date.0.and_time(chrono::NaiveTime::MIN).and_utc())
    }

    /// Parses the binding's form `YYYY-MM-DDTHH:MM:SS.sssZ`; also takes whole seconds
    /// (`…:SSZ`), which exporters commonly write, because the instant is unambiguous.
    pub fn parse(text: &str) -> Result<Self, TimeError> {
        let err = || TimeError::DateTime(text.to_owned());
        if !text.ends_with('Z') || text.len() < 20 || text.as_bytes().get(10) != Some(&b'T') {
            return Err(err());
        }
        DateTime::parse_from_rfc3339(text).map(|t| Self(t.with_timezone(&Utc))).map_err(|_| err())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

/// Checks a school year (`YYYY`).
pub fn check_year(text: &str) -> Result<(), TimeError> {
    if text.len() == 4 && text.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(TimeError::Year(text.to_owned()))
    }
}

macro_rules! text_serde {
    ($name:ident) => {
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Self::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}
text_serde!(Date);
text_serde!(Timestamp);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_exactly_iso() {
        assert_eq!(Date::parse("2024-02-29").unwrap().to_string(), "2024-02-29");
        for bad in ["1/05/2023", "2023-13-01", "2023-1-05", "2023-02-30", "2023-01-01T00:00:00Z"] {
            assert!(Date::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn timestamps_are_utc_with_milliseconds() {
        let t = Timestamp::parse("2023-10-02T00:00:00.000Z").unwrap();
        assert_eq!(t.to_string(), "2023-10-02T00:00:00.000Z");
        assert_eq!(Timestamp::parse("2023-10-02T08:09:10Z").unwrap().to_string(), "2023-10-02T08:09:10.000Z");
        for bad in ["2023-10-02", "2023-10-02T00:00:00+02:00", "2023-10-02 00:00:00.000Z", "yesterday"] {
            assert!(Timestamp::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn years_are_four_digits() {
        assert!(check_year("2024").is_ok());
        assert!(check_year("24").is_err());
        assert!(check_year("2024-25").is_err());
    }
}
