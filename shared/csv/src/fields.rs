//! Reading the fields of one CSV row into typed values. Every problem becomes a diagnostic
//! naming the file, line and column; a row with any problem maps to nothing.

use crate::report::{quote, quoting, Code, Diagnostic, Report};
use oneroster_model::entities::{GuidRef, Metadata};
use oneroster_model::time::check_year;
use oneroster_model::vocab::{Flag, VocabularyError};
use oneroster_model::{Collection, Date, SourcedId, Timestamp, Timezone};
use std::cell::Cell;

/// A row being read, with where it is and where its problems go.
pub struct RowReader<'a> {
    /// The file's name in the zip.
    pub file: &'a str,
    /// The header of the file's layout.
    pub columns: &'a [&'static str],
    /// The row.
    pub record: &'a csv::StringRecord,
    /// Extension columns to the right of the defined ones (`metadata.*`), by position.
    pub extensions: &'a [(usize, String)],
    /// The row's 1-based line.
    pub line: u64,
    /// Where problems go.
    pub report: &'a mut Report,
    /// Whether any problem was found in this row.
    pub failed: bool,
    /// Whether a boolean was written in upper or mixed case (`TRUE`), accepted with a warning.
    pub loose_booleans: bool,
    /// Whether a 1.1 row said `inactive`, taken as `tobedeleted` with a warning.
    pub inactive: bool,
    /// The first column whose text was cut to [`MAX_STRING_CHARS`], for a warning.
    pub cut: Option<&'static str>,
    /// Where the columns were found in earlier rows of the file.
    pub places: &'a ColumnPlaces,
    /// The district's timezone, where a date alone starts a date-time.
    pub zone: Timezone,
}

/// The most characters of a text cell that is kept: longer text is cut, with a warning. The
/// binding lets a provider cut strings past 255 characters ("the system may lose some part of
/// the string without failing conformance"); this keeps far more than any real export holds,
/// while a record stays well under what a stored item can hold.
pub const MAX_STRING_CHARS: usize = 4096;

/// Where the columns of one file are, by the address of the name a caller asks for: each call
/// site passes the same `'static` literal every time (not the layout's own, which the compiler
/// rarely merges with it), so after the first row finding a column costs one hash of an
/// address instead of a search comparing names.
pub struct ColumnPlaces([Cell<(usize, usize, usize)>; 64]);

impl Default for ColumnPlaces {
    fn default() -> Self {
        Self(std::array::from_fn(|_| Cell::new((0, 0, usize::MAX))))
    }
}

impl ColumnPlaces {
    /// The position of `column` in `columns`, `usize::MAX` when it is not there.
    fn index(&self, columns: &[&str], column: &'static str) -> usize {
        let key = (column.as_ptr() as usize, column.len());
        // Fibonacci hashing of the address into the 64 slots; a collision only costs a search.
        let slot = &self.0[((key.0 as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58) as usize];
        let (address, len, at) = slot.get();
        if (address, len) == key {
            return at;
        }
        let at = columns.iter().position(|name| *name == column).unwrap_or(usize::MAX);
        slot.set((key.0, key.1, at));
        at
    }
}

impl<'a> RowReader<'a> {
    /// Records a problem of kind `code` with `column`.
    pub fn fail(&mut self, column: &str, code: Code, reason: impl Into<String>) {
        self.failed = true;
        self.report.error(Diagnostic::at(self.file, self.line, Some(column), code, reason));
    }

    /// The raw text of `column`, `None` when blank.
    pub fn text(&self, column: &'static str) -> Option<&'a str> {
        let record: &'a csv::StringRecord = self.record;
        record.get(self.places.index(self.columns, column)).filter(|t| !t.is_empty())
    }

    /// The text of a column that must have a value.
    pub fn required(&mut self, column: &'static str) -> Option<&'a str> {
        let text = self.text(column);
        if text.is_none() {
            self.fail(column, Code::Required, "a value is required");
        }
        text
    }

    /// An optional string, owned, cut to [`MAX_STRING_CHARS`].
    pub fn string(&mut self, column: &'static str) -> Option<String> {
        let text = self.text(column)?;
        Some(self.kept(column, text))
    }

    /// A required string, owned, cut to [`MAX_STRING_CHARS`].
    pub fn required_string(&mut self, column: &'static str) -> Option<String> {
        let text = self.required(column)?;
        Some(self.kept(column, text))
    }

    /// `text` as it is kept: cut to [`MAX_STRING_CHARS`] (noting the column for a warning).
    fn kept(&mut self, column: &'static str, text: &str) -> String {
        // A character is at least a byte: only long texts are counted.
        if text.len() <= MAX_STRING_CHARS {
            return text.to_owned();
        }
        match text.char_indices().nth(MAX_STRING_CHARS) {
            None => text.to_owned(),
            Some((end, _)) => {
                self.cut.get_or_insert(column);
                text[..end].to_owned()
            }
        }
    }

    /// Checks one GUID and wraps it.
    fn guid_text(&mut self, column: &str, text: &str) -> Option<SourcedId> {
        match SourcedId::parse(text) {
            Ok(id) => Some(id),
            Err(e) => {
                self.fail(column, Code::BadId, quoting(e.to_string(), text));
                None
            }
        }
    }

    /// A required GUID (`sourcedId`, `userSourcedId`, …).
    pub fn guid(&mut self, column: &'static str) -> Option<SourcedId> {
        let text = self.required(column)?;
        self.guid_text(column, text)
    }

    /// An optional GUID reference.
    pub fn optional_guid(&mut self, column: &'static str) -> Option<SourcedId> {
        let text = self.text(column)?;
        self.guid_text(column, text)
    }

    /// A GUIDRef to `collection` from a required column.
    pub fn reference(&mut self, column: &'static str, collection: Collection) -> Option<GuidRef> {
        self.guid(column).map(|id| GuidRef::to(collection, id))
    }

    /// A GUIDRef to `collection` from an optional column.
    pub fn optional_reference(&mut self, column: &'static str, collection: Collection) -> Option<GuidRef> {
        self.optional_guid(column).map(|id| GuidRef::to(collection, id))
    }

    /// A comma-separated list (RFC 4180 quoting has already been undone by the CSV reader).
    pub fn list(&self, column: &'static str) -> Vec<String> {
        self.text(column)
            .map(|t| t.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect())
            .unwrap_or_default()
    }

    /// A list of GUID references to `collection`; `required` demands at least one.
    pub fn references(&mut self, column: &'static str, collection: Collection, required: bool) -> Vec<GuidRef> {
        if required && self.required(column).is_none() {
            return Vec::new();
        }
        let mut refs = Vec::new();
        for id in self.list(column) {
            if let Some(id) = self.guid_text(column, &id) {
                refs.push(GuidRef::to(collection, id));
            }
        }
        refs
    }

    /// An optional date (`YYYY-MM-DD`).
    pub fn date(&mut self, column: &'static str) -> Option<Date> {
        let text = self.text(column)?;
        Date::parse(text).map_err(|e| self.fail(column, Code::BadDate, quoting(e.to_string(), text))).ok()
    }

    /// A required date.
    pub fn required_date(&mut self, column: &'static str) -> Option<Date> {
        self.required(column)?;
        self.date(column)
    }

    /// An optional UTC date-time.
    pub fn timestamp(&mut self, column: &'static str) -> Option<Timestamp> {
        let text = self.text(column)?;
        Timestamp::parse(text).map_err(|e| self.fail(column, Code::BadDate, quoting(e.to_string(), text))).ok()
    }

    /// A required date that JSON carries as a date-time (a line item's `assignDate`): the
    /// binding's `YYYY-MM-DD` is the start of that day in the district; a full date-time is
    /// taken as is.
    pub fn required_day_start(&mut self, column: &'static str) -> Option<Timestamp> {
        let text = self.required(column)?;
        match Date::parse(text) {
            Ok(date) => Some(self.zone.start_of(date)),
            Err(e) => {
                Timestamp::parse(text).map_err(|_| self.fail(column, Code::BadDate, quoting(e.to_string(), text))).ok()
            }
        }
    }

    /// An optional number (`Float` and `Integer` columns); JSON has no NaN or infinity, so
    /// neither is taken.
    pub fn number(&mut self, column: &'static str) -> Option<f64> {
        let text = self.text(column)?;
        match text.parse::<f64>() {
            Ok(n) if n.is_finite() => Some(n),
            _ => {
                self.fail(column, Code::BadNumber, format!("{} is not a number", quote(text)));
                None
            }
        }
    }

    /// A required four-digit year.
    pub fn year(&mut self, column: &'static str) -> Option<String> {
        let text = self.required(column)?;
        check_year(text).map_err(|e| self.fail(column, Code::BadValue, quoting(e.to_string(), text))).ok()?;
        Some(text.to_owned())
    }

    /// A vocabulary term from an optional column.
    pub fn vocab<T>(&mut self, column: &'static str, parse: fn(&str) -> Result<T, VocabularyError>) -> Option<T> {
        let text = self.text(column)?;
        parse(text).map_err(|e| self.fail(column, Code::BadValue, quoting(e.to_string(), text))).ok()
    }

    /// A vocabulary term from a required column.
    pub fn required_vocab<T>(
        &mut self,
        column: &'static str,
        parse: fn(&str) -> Result<T, VocabularyError>,
    ) -> Option<T> {
        self.required(column)?;
        self.vocab(column, parse)
    }

    /// An optional boolean; `TRUE`/`False` are taken (many SIS write them) and flagged once.
    pub fn flag(&mut self, column: &'static str) -> Option<Flag> {
        let text = self.text(column)?;
        match text {
            "true" => Some(Flag::True),
            "false" => Some(Flag::False),
            t if t.eq_ignore_ascii_case("true") || t.eq_ignore_ascii_case("false") => {
                self.loose_booleans = true;
                Some(Flag::from(t.eq_ignore_ascii_case("true")))
            }
            other => {
                self.fail(column, Code::BadBoolean, format!("{} is not one of {{true | false}}", quote(other)));
                None
            }
        }
    }

    /// A required boolean.
    pub fn required_flag(&mut self, column: &'static str) -> Option<Flag> {
        self.required(column)?;
        self.flag(column)
    }

    /// The `metadata.*` extension columns of the row, if any has a value (each cut to
    /// [`MAX_STRING_CHARS`]).
    pub fn metadata(&mut self) -> Option<Metadata> {
        if self.extensions.is_empty() {
            return None; // the common case; an empty map still costs its hasher's setup
        }
        let record: &'a csv::StringRecord = self.record;
        let extensions: &'a [(usize, String)] = self.extensions;
        let mut map = Metadata::new();
        for (i, key) in extensions {
            if let Some(value) = record.get(*i).filter(|v| !v.is_empty()) {
                map.insert(key.clone(), serde_json::Value::String(self.kept("metadata", value)));
            }
        }
        (!map.is_empty()).then_some(map)
    }
}

#[cfg(test)]
mod tests {
    use super::ColumnPlaces;

    #[test]
    fn columns_are_found_by_name_whatever_literal_names_them() {
        let columns: &[&str] = &["sourcedId", "status", "dateLastModified"];
        let places = ColumnPlaces::default();
        let copy: &'static str = String::from("status").leak();
        for _ in 0..2 {
            assert_eq!(places.index(columns, "status"), 1);
            assert_eq!(places.index(columns, copy), 1);
            assert_eq!(places.index(columns, "dateLastModified"), 2);
            assert_eq!(places.index(columns, "missing"), usize::MAX);
        }
    }
}
