//! What validation finds: every error with file, line and column, and the warnings for each
//! leniency taken. The list of errors is capped; the count is not.

use serde::{Deserialize, Serialize};

/// How many errors a report lists; the rest are only counted.
pub const MAX_LISTED_ERRORS: usize = 1000;

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
    /// What is wrong, in words an admin can act on.
    pub reason: String,
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

/// The outcome of validating a package.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Errors, the first [`MAX_LISTED_ERRORS`] of them.
    pub errors: Vec<Diagnostic>,
    /// All errors, listed or not.
    pub error_count: u64,
    /// Leniencies taken and other things an admin should know; they do not stop the import.
    pub warnings: Vec<String>,
    /// The files read.
    pub files: Vec<FileSummary>,
}

impl Report {
    /// Records an error.
    pub fn error(&mut self, diagnostic: Diagnostic) {
        self.error_count += 1;
        if self.errors.len() < MAX_LISTED_ERRORS {
            self.errors.push(diagnostic);
        }
    }

    /// Records an error about a whole file (no line or column).
    pub fn file_error(&mut self, file: &str, reason: impl Into<String>) {
        self.error(Diagnostic { file: file.to_owned(), line: None, column: None, reason: reason.into() });
    }

    /// Records a warning once (the same leniency in many rows is one warning).
    pub fn warn(&mut self, warning: impl Into<String>) {
        let warning = warning.into();
        if !self.warnings.contains(&warning) {
            self.warnings.push(warning);
        }
    }

    /// Whether the package may be applied.
    pub fn is_valid(&self) -> bool {
        self.error_count == 0
    }
}
