//! Dates and date-times in the exact forms OneRoster writes: `YYYY-MM-DD` and
//! `YYYY-MM-DDTHH:MM:SS.sssZ` (UTC, millisecond resolution).

use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat, Timelike, Utc};
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
        let b = text.as_bytes();
        let shape = b.len() == 10 && b[4] == b'-' && b[7] == b'-';
        let date = shape
            .then(|| Some((number(&b[..4])?, number(&b[5..7])?, number(&b[8..])?)))
            .flatten()
            .and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y as i32, m, d));
        date.map(Self).ok_or_else(|| TimeError::Date(text.to_owned()))
    }

    /// `YYYY-MM-DD` in a fixed buffer (years 0 to 9999), written without the formatting
    /// machinery: the ingest writes a date or date-time into nearly every record.
    fn fixed(&self) -> Option<([u8; 24], usize)> {
        let mut out = [0u8; 24];
        write_date(&mut out, self.0)?;
        Some((out, 10))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.fixed() {
            Some((text, len)) => f.write_str(ascii(&text[..len])),
            None => write!(f, "{}", self.0.format("%Y-%m-%d")),
        }
    }
}

/// The value of a run of ASCII digits; `None` if any byte is not a digit.
fn number(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |n, b| b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0')))
}

/// Writes `value` as `out.len()` decimal digits, zero-padded.
fn put_digits(out: &mut [u8], mut value: u32) {
    for slot in out.iter_mut().rev() {
        *slot = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// Writes `YYYY-MM-DD` into the first ten bytes of `out`; `None` outside years 0 to 9999.
fn write_date(out: &mut [u8; 24], date: NaiveDate) -> Option<()> {
    let year = u32::try_from(date.year()).ok().filter(|y| *y <= 9999)?;
    put_digits(&mut out[0..4], year);
    out[4] = b'-';
    put_digits(&mut out[5..7], date.month());
    out[7] = b'-';
    put_digits(&mut out[8..10], date.day());
    Some(())
}

/// The text of a buffer this module filled with ASCII.
fn ascii(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default()
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

    /// Parses any RFC 3339 date-time, as API clients write them: an offset instead of `Z`,
    /// fractional seconds of any length (kept to the millisecond). The instant is certain, so
    /// it is taken, in UTC; a date-time without an offset is refused, since its instant is not.
    pub fn parse_rfc3339(text: &str) -> Result<Self, TimeError> {
        let parsed = DateTime::parse_from_rfc3339(text).map_err(|_| TimeError::DateTime(text.to_owned()))?;
        Ok(Self::from_millis(parsed.timestamp_millis()))
    }

    /// The UTC calendar date of the instant (a date-time sent where a date is wanted).
    pub fn date(&self) -> Date {
        Date(self.0.date_naive())
    }
}

impl Timestamp {
    /// `YYYY-MM-DDTHH:MM:SS.sssZ` in a fixed buffer (years 0 to 9999; see [`Date::fixed`]).
    fn fixed(&self) -> Option<([u8; 24], usize)> {
        let mut out = [0u8; 24];
        write_date(&mut out, self.0.date_naive())?;
        let time = self.0.time();
        out[10] = b'T';
        put_digits(&mut out[11..13], time.hour());
        out[13] = b':';
        put_digits(&mut out[14..16], time.minute());
        out[16] = b':';
        put_digits(&mut out[17..19], time.second());
        out[19] = b'.';
        put_digits(&mut out[20..23], (time.nanosecond() / 1_000_000).min(999));
        out[23] = b'Z';
        Some((out, 24))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.fixed() {
            Some((text, len)) => f.write_str(ascii(&text[..len])),
            None => f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::Millis, true)),
        }
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
                match self.fixed() {
                    Some((text, len)) => serializer.serialize_str(ascii(&text[..len])),
                    None => serializer.collect_str(self),
                }
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
    fn any_rfc3339_instant_is_read_to_the_millisecond_in_utc() {
        let read = |text| Timestamp::parse_rfc3339(text).map(|t| t.to_string());
        assert_eq!(read("2026-12-04T18:43:37.484Z").as_deref(), Ok("2026-12-04T18:43:37.484Z"));
        assert_eq!(read("2026-12-04T18:43:37.4849999999Z").as_deref(), Ok("2026-12-04T18:43:37.484Z"));
        assert_eq!(read("2026-12-04T18:43:37Z").as_deref(), Ok("2026-12-04T18:43:37.000Z"));
        assert_eq!(read("2026-12-04T23:30:00.5-05:00").as_deref(), Ok("2026-12-05T04:30:00.500Z"));
        assert_eq!(read("2026-12-04t18:43:37z").as_deref(), Ok("2026-12-04T18:43:37.000Z"));
        let late = Timestamp::parse_rfc3339("2026-12-04T23:30:00-05:00").unwrap();
        assert_eq!(late.date().to_string(), "2026-12-05", "the UTC date");
        for bad in ["2026-12-04T18:43:37", "2026-12-04", "2026-12-04T18:43Z", "soon"] {
            assert!(Timestamp::parse_rfc3339(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn hand_written_forms_match_chrono() {
        let mut millis = -62_135_596_800_000i64; // 0001-01-01
        while millis < 253_402_300_799_999 {
            let t = Timestamp::from_millis(millis);
            assert_eq!(t.to_string(), t.0.to_rfc3339_opts(SecondsFormat::Millis, true));
            assert_eq!(serde_json::to_string(&t).unwrap(), format!("\"{t}\""));
            let d = Date(t.0.date_naive());
            assert_eq!(d.to_string(), d.0.format("%Y-%m-%d").to_string());
            assert_eq!(Date::parse(&d.to_string()), Ok(d));
            millis += 7_919_993_117; // a prime step: every field takes many values
        }
        let far = Timestamp(NaiveDate::from_ymd_opt(12_000, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap().and_utc());
        assert_eq!(far.to_string(), far.0.to_rfc3339_opts(SecondsFormat::Millis, true));
        assert!(Date::parse("+123-01-01").is_err());
    }

    #[test]
    fn years_are_four_digits() {
        assert!(check_year("2024").is_ok());
        assert!(check_year("24").is_err());
        assert!(check_year("2024-25").is_err());
    }
}
