//! Streaming the rows of one file: header check (exact names, in order, `metadata.*`
//! extensions to the right), field counts, UTF-8, then each row mapped. Validation and apply
//! both read through here, so they can never disagree about what a row means.

use crate::fields::{ColumnPlaces, RowReader};
use crate::package::{FileKind, Package, PackageError};
use crate::report::{Diagnostic, Report};
use crate::rows::{columns, map_row, Row};
use oneroster_model::Timestamp;

/// Reads every row of `kind` (if the package has it), maps it, and hands the mapped rows to
/// `each` with their line. Rows with problems are reported and skipped. Returns the number of
/// data rows.
pub fn read_rows(
    package: &mut Package,
    kind: FileKind,
    now: Timestamp,
    report: &mut Report,
    mut each: impl FnMut(Row, u64, &mut Report),
) -> Result<u64, PackageError> {
    let Some(mode) = package.mode(kind) else { return Ok(0) };
    let (bom, crlf) = package.sniff(kind)?;
    let outcome = package.with_file(kind, |text, name| {
        let name = name.to_owned();
        if bom {
            report.warn(format!("{name}: starts with a byte-order mark (ignored)"));
        }
        if crlf {
            report.warn(format!("{name}: uses CRLF line ends"));
        }
        let mut csv = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text);
        let mut record = csv::StringRecord::new();
        let expected = columns(kind);
        let extensions = match csv.read_record(&mut record) {
            Ok(true) => check_header(&name, expected, &record, report),
            Ok(false) => {
                report.file_error(&name, "the file is empty; the header row is required");
                return 0;
            }
            Err(e) => {
                report.error(csv_error(&name, 1, &e));
                return 0;
            }
        };
        let Some(extensions) = extensions else { return 0 };
        let width = expected.len() + extensions.len();
        let mut rows = 0u64;
        let mut loose_booleans = false;
        let places = ColumnPlaces::default();
        // Lines are counted here: the csv crate's own count is off by one with CRLF line ends.
        // A record spans one line plus the line breaks inside its quoted fields.
        let mut next_line = 2u64;
        loop {
            match csv.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    report.error(csv_error(&name, next_line, &e));
                    next_line += 1;
                    if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                        break;
                    }
                    continue;
                }
            }
            let line = next_line;
            next_line += 1 + record.as_slice().bytes().filter(|b| *b == b'\n').count() as u64;
            if record.len() == 1 && record.get(0) == Some("") {
                continue; // a blank line
            }
            rows += 1;
            if record.len() != width {
                report.error(Diagnostic {
                    file: name.clone(),
                    line: Some(line),
                    column: None,
                    reason: format!("the row has {} fields; the header has {width}", record.len()),
                });
                continue;
            }
            let mut reader = RowReader {
                file: &name,
                columns: expected,
                record: &record,
                extensions: &extensions,
                line,
                report,
                failed: false,
                loose_booleans: false,
                places: &places,
            };
            let mapped = map_row(kind, mode, &mut reader, now);
            loose_booleans |= reader.loose_booleans;
            if let Some(row) = mapped {
                each(row, line, report);
            }
        }
        if rows == 0 {
            report.file_error(&name, "the file has no data rows; the binding does not permit empty files (leave it out and declare it absent)");
        }
        if loose_booleans {
            report.warn(format!("{name}: booleans written in upper or mixed case (TRUE/FALSE) were taken as true/false"));
        }
        rows
    })?;
    Ok(outcome.unwrap_or(0))
}

fn csv_error(file: &str, line: u64, error: &csv::Error) -> Diagnostic {
    let reason = match error.kind() {
        csv::ErrorKind::Utf8 { .. } => "the row is not valid UTF-8 (the binding requires UTF-8)".to_owned(),
        _ => format!("not valid CSV: {error}"),
    };
    Diagnostic { file: file.to_owned(), line: Some(line), column: None, reason }
}

/// Checks the header row; returns the extension columns (position, metadata key) when the
/// header is usable, `None` when it is not (its problems are reported).
fn check_header(
    file: &str,
    expected: &[&str],
    header: &csv::StringRecord,
    report: &mut Report,
) -> Option<Vec<(usize, String)>> {
    let mut ok = true;
    let mut fail = |column: &str, reason: String| {
        ok = false;
        report.error(Diagnostic { file: file.to_owned(), line: Some(1), column: Some(column.to_owned()), reason });
    };
    for (i, want) in expected.iter().enumerate() {
        match header.get(i) {
            Some(got) if got == *want => {}
            Some(got) if got.eq_ignore_ascii_case(want) => {
                fail(want, format!("header '{got}' must be spelt '{want}' (headers are case-sensitive)"))
            }
            Some(got) => fail(want, format!("column {} must be '{want}', found '{got}'", i + 1)),
            None => fail(want, format!("the header lacks column {} '{want}'", i + 1)),
        }
    }
    let mut extensions = Vec::new();
    for (i, got) in header.iter().enumerate().skip(expected.len()) {
        match got.strip_prefix("metadata.") {
            Some(key) if !key.is_empty() => extensions.push((i, key.to_owned())),
            _ => fail(
                got,
                format!("unknown column '{got}'; extension columns go to the right and are named metadata.<name>"),
            ),
        }
    }
    ok.then_some(extensions)
}
