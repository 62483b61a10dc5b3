//! What validation finds: every error with file, line, column and a short stable code, and the
//! warnings for each leniency taken. The list of errors is capped, the count per code is not,
//! and no diagnostic carries more than a few hundred characters of the upload: a quoted cell is
//! cut to [`QUOTE_CHARS`], so that a report (and the job item that keeps its head) always fits.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// How many errors a report lists; the rest are only counted.
pub const MAX_LISTED_ERRORS: usize = 1000;

/// How many warnings a report keeps (each is said once; a package of many odd entries could
/// otherwise make thousands).
pub const MAX_WARNINGS: usize = 50;

/// The most characters of an upload's text (a cell, a header, an entry name) that a
/// diagnostic quotes; the rest is cut, saying how long the text was.
pub const QUOTE_CHARS: usize = 200;

/// The most characters of a diagnostic's reason or of a warning: a reason quotes a cell or two
/// ([`QUOTE_CHARS`] each) in a sentence; this bounds any that would quote more.
pub const REASON_CHARS: usize = 1000;

/// What kind of problem a diagnostic is: a short code that stays the same from release to
/// release, so that jobs can count their errors by kind and tools can act on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    /// The upload is not a readable zip archive.
    NotZip,
    /// An entry of the zip is refused: absolute or escaping name, encrypted, a symlink, a
    /// directory posing as a file, a compression method not supported.
    BadEntry,
    /// The zip has more entries than allowed.
    TooManyEntries,
    /// The files read inflate to more than allowed in total.
    TooBig,
    /// An entry inflates to more than the allowed ratio of its stored size (a zip bomb).
    Ratio,
    /// The zip holds no file the provider reads (or nothing at all).
    NoFiles,
    /// The manifest is wrong, or does not match the files.
    Manifest,
    /// A file is in the zip twice.
    DuplicateFile,
    /// A header row is wrong.
    Header,
    /// A row (a line, with the line breaks in its quoted cells) is longer than allowed.
    LineTooLong,
    /// A row has more cells than allowed.
    TooManyCells,
    /// A row is not valid CSV, or not UTF-8.
    BadCsv,
    /// A row has another number of fields than the header.
    FieldCount,
    /// A file has no rows, or no header.
    EmptyFile,
    /// A required value is blank.
    Required,
    /// A sourcedId is not a GUID of the binding.
    BadId,
    /// A value is outside its vocabulary, or malformed (a list item, a year).
    BadValue,
    /// A date or date-time is malformed, or out of order.
    BadDate,
    /// A number is malformed.
    BadNumber,
    /// A boolean is neither true nor false.
    BadBoolean,
    /// A value is blank in bulk where the binding reserves it for delta (`status`).
    NotInBulk,
    /// A record is too large to store.
    TooLarge,
    /// A sourcedId is used twice in a file.
    DuplicateId,
    /// A reference names no record of the package or the store.
    UnknownReference,
    /// A reference names a record of the wrong kind (a class's school that is a district).
    WrongKind,
    /// A user has no active role.
    NoRole,
    /// The upload was not read: tenant unknown or disabled, object deleted.
    Refused,
    /// The ingest stopped on this upload too many times without finishing.
    Interrupted,
    /// The ingest met a failure that trying again cannot get past (a record too large for the
    /// store, a request the store finds invalid).
    Failed,
}

impl Code {
    /// The code as it is written in reports and counted in jobs (`unknown_reference`).
    pub fn as_str(self) -> &'static str {
        match self {
            Code::NotZip => "not_zip",
            Code::BadEntry => "bad_entry",
            Code::TooManyEntries => "too_many_entries",
            Code::TooBig => "too_big",
            Code::Ratio => "ratio",
            Code::NoFiles => "no_files",
            Code::Manifest => "manifest",
            Code::DuplicateFile => "duplicate_file",
            Code::Header => "header",
            Code::LineTooLong => "line_too_long",
            Code::TooManyCells => "too_many_cells",
            Code::BadCsv => "bad_csv",
            Code::FieldCount => "field_count",
            Code::EmptyFile => "empty_file",
            Code::Required => "required",
            Code::BadId => "bad_id",
            Code::BadValue => "bad_value",
            Code::BadDate => "bad_date",
            Code::BadNumber => "bad_number",
            Code::BadBoolean => "bad_boolean",
            Code::NotInBulk => "not_in_bulk",
            Code::TooLarge => "too_large",
            Code::DuplicateId => "duplicate_id",
            Code::UnknownReference => "unknown_reference",
            Code::WrongKind => "wrong_kind",
            Code::NoRole => "no_role",
            Code::Refused => "refused",
            Code::Interrupted => "interrupted",
            Code::Failed => "failed",
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem in a package, located as precisely as it can be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// The file inside the zip (as the zip names it).
    pub file: String,
    /// The 1-based line of the CSV file (the header is line 1), when the problem is in a row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// The column header, when the problem is in one field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// What kind of problem it is.
    pub code: Code,
    /// What is wrong, in words an admin can act on.
    pub reason: String,
}

impl Diagnostic {
    /// A problem with a whole file (no line or column).
    pub fn file(file: &str, code: Code, reason: impl Into<String>) -> Self {
        Self { file: file.to_owned(), line: None, column: None, code, reason: reason.into() }
    }

    /// A problem with a row, or with one of its fields when `column` is given.
    pub fn at(file: &str, line: u64, column: Option<&str>, code: Code, reason: impl Into<String>) -> Self {
        Self { file: file.to_owned(), line: Some(line), column: column.map(str::to_owned), code, reason: reason.into() }
    }

    /// The same diagnostic with every text cut to its bound (names and columns come from the
    /// upload too: a header cell, an entry name).
    fn bounded(mut self) -> Self {
        cut_in_place(&mut self.file, QUOTE_CHARS);
        if let Some(column) = &mut self.column {
            cut_in_place(column, QUOTE_CHARS);
        }
        cut_in_place(&mut self.reason, REASON_CHARS);
        self
    }
}

/// Rows read from one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileSummary {
    /// The file's name in the binding (`users.csv`).
    pub file: String,
    /// `bulk` or `delta`.
    pub mode: String,
    /// Data rows read.
    pub rows: u64,
}

/// What became of one file of a OneRoster 1.1 package: records are stored in the 1.2 shape,
/// so the report says which 1.1 columns became what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversion {
    /// The file's name in the binding (`users.csv`).
    pub file: String,
    /// Data rows read.
    pub rows: u64,
    /// What its columns became, in words (`gradingPeriodSourcedId became academicSession`).
    pub changes: Vec<String>,
}

/// The outcome of validating a package.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Errors, the first [`MAX_LISTED_ERRORS`] of them.
    pub errors: Vec<Diagnostic>,
    /// All errors, listed or not.
    pub error_count: u64,
    /// All errors by code, listed or not.
    #[serde(default)]
    pub error_counts: BTreeMap<Code, u64>,
    /// Leniencies taken and other things an admin should know; they do not stop the import.
    pub warnings: Vec<String>,
    /// The files read.
    pub files: Vec<FileSummary>,
    /// The OneRoster version the package is written in (`1.2`, `1.1`), once it is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// For a 1.1 package: what each file's rows became in the stored 1.2 records.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conversions: Vec<Conversion>,
}

impl Report {
    /// Records an error (its texts cut to their bounds).
    pub fn error(&mut self, diagnostic: Diagnostic) {
        self.error_count += 1;
        *self.error_counts.entry(diagnostic.code).or_default() += 1;
        if self.errors.len() < MAX_LISTED_ERRORS {
            self.errors.push(diagnostic.bounded());
        }
    }

    /// Records an error about a whole file (no line or column).
    pub fn file_error(&mut self, file: &str, code: Code, reason: impl Into<String>) {
        self.error(Diagnostic::file(file, code, reason));
    }

    /// Records a warning once (the same leniency in many rows is one warning); past
    /// [`MAX_WARNINGS`], the last one says that more were left out.
    pub fn warn(&mut self, warning: impl Into<String>) {
        let mut warning = warning.into();
        cut_in_place(&mut warning, REASON_CHARS);
        if self.warnings.len() > MAX_WARNINGS || self.warnings.contains(&warning) {
            return;
        }
        if self.warnings.len() == MAX_WARNINGS {
            warning = format!("more than {MAX_WARNINGS} warnings; the rest are left out");
        }
        self.warnings.push(warning);
    }

    /// Whether the package may be applied.
    pub fn is_valid(&self) -> bool {
        self.error_count == 0
    }
}

/// `text` cut to at most `max` characters, with a note of its length when it was cut.
pub fn cut(text: &str, max: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => Cow::Borrowed(text),
        Some((end, _)) => Cow::Owned(format!("{}… ({} characters)", &text[..end], text.chars().count())),
    }
}

fn cut_in_place(text: &mut String, max: usize) {
    if let Cow::Owned(short) = cut(text, max) {
        *text = short;
    }
}

/// A cell (or any text of the upload) quoted for a diagnostic: `'text'`, cut to [`QUOTE_CHARS`].
pub fn quote(text: &str) -> String {
    format!("'{}'", cut(text, QUOTE_CHARS))
}

/// A message about `text` made by code that quotes it whole (a vocabulary's or a date's
/// error): the text in it cut to [`QUOTE_CHARS`].
pub fn quoting(message: String, text: &str) -> String {
    if text.len() <= QUOTE_CHARS {
        return message;
    }
    message.replace(text, &cut(text, QUOTE_CHARS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_cells_are_quoted_cut_with_their_length() {
        assert_eq!(quote("short"), "'short'");
        let long = "é".repeat(600_000);
        let quoted = quote(&long);
        assert!(quoted.chars().count() < QUOTE_CHARS + 40, "{}", quoted.len());
        assert!(quoted.ends_with("… (600000 characters)'"), "{quoted}");
        let message = quoting(format!("'{long}' is not a number"), &long);
        assert!(message.len() < 1000 && message.ends_with("characters)' is not a number"));
    }

    #[test]
    fn no_diagnostic_carries_a_huge_cell_and_codes_are_counted() {
        let mut report = Report::default();
        let huge = "x".repeat(600_000);
        for _ in 0..MAX_LISTED_ERRORS + 5 {
            report.error(Diagnostic::at(&huge, 1, Some(&huge), Code::Header, huge.clone()));
        }
        report.file_error("users.csv", Code::EmptyFile, "empty");
        assert_eq!(report.errors.len(), MAX_LISTED_ERRORS);
        assert_eq!(report.error_count, MAX_LISTED_ERRORS as u64 + 6);
        assert_eq!(report.error_counts[&Code::Header], MAX_LISTED_ERRORS as u64 + 5);
        assert_eq!(report.error_counts[&Code::EmptyFile], 1);
        let d = &report.errors[0];
        assert!(d.file.len() < 300 && d.column.as_ref().unwrap().len() < 300 && d.reason.len() < REASON_CHARS + 40);
        let json = serde_json::to_string(&report).unwrap();
        assert!(json.len() < 2_000_000, "{}", json.len());
        assert!(
            json.contains(r#""code":"header""#) && json.contains(r#""error_counts":{"header":1005"#),
            "{}",
            &json[..300]
        );
    }

    #[test]
    fn warnings_are_said_once_and_bounded() {
        let mut report = Report::default();
        for i in 0..1000 {
            report.warn(format!("entry {i}: ignored"));
            report.warn(format!("entry {i}: ignored"));
        }
        assert_eq!(report.warnings.len(), MAX_WARNINGS + 1);
        assert!(report.warnings.last().unwrap().contains("left out"));
    }
}
