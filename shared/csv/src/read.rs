//! Streaming the rows of one file: header check (exact names, in order, `metadata.*`
//! extensions to the right), field counts, cells per row, UTF-8, then each row mapped, and a
//! record too large to store refused. Validation and apply both read through here, so they
//! can never disagree about what a row means.

use crate::fields::{ColumnPlaces, RowReader, MAX_STRING_CHARS};
use crate::limits::Breach;
use crate::package::{FileKind, Package, PackageError, Version};
use crate::report::{quote, Code, Diagnostic, Report};
use crate::rows::{map_row, Row};
use crate::v1p1::Context;
use oneroster_model::Timestamp;

/// The most bytes of a record's JSON: a DynamoDB item holds 400 KB, and the record's item also
/// carries its parts (a user's roles), the keys of its relation entries and its digest.
pub const MAX_RECORD_BYTES: usize = 256 * 1024;

/// Rows shorter than this cannot make a record of [`MAX_RECORD_BYTES`] (JSON escapes a byte
/// into at most six, and the references and keys of the widest record add a few KiB), so only
/// longer rows are measured as JSON.
const ROW_BYTES_UNMEASURED: usize = 32 * 1024;

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
    let version = package.version();
    // A 1.1 row's mapping may need other records (a user's orgs' types, a line item's class's
    // school); the other files need nothing of them.
    let context = match (version, kind) {
        (Version::V1p1, FileKind::Users | FileKind::LineItems) => Some(package.v1p1_context()?),
        (Version::V1p1, _) => Some(Default::default()),
        (Version::V1p2, _) => None,
    };
    let v1p1: Option<&Context> = context.as_deref();
    let cells = package.limits().cells;
    let zone = package.timezone();
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
        let expected = version.columns(kind);
        let extensions = match csv.read_record(&mut record) {
            Ok(true) => check_header(&name, expected, &record, report),
            Ok(false) => {
                report.file_error(&name, Code::EmptyFile, "the file is empty; the header row is required");
                return 0;
            }
            Err(e) => {
                report.error(csv_error(&name, 1, &e));
                return 0;
            }
        };
        if record.len() > cells {
            report.error(Diagnostic::at(
                &name,
                1,
                None,
                Code::TooManyCells,
                format!("the header has {} cells; a row may have at most {cells}", record.len()),
            ));
            return 0;
        }
        let Some(extensions) = extensions else { return 0 };
        let width = expected.len() + extensions.len();
        let mut rows = 0u64;
        let mut loose_booleans = false;
        let mut inactive = false;
        let mut cut = None;
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
                        rows += 1; // a file cut short by a cap is not an empty file
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
            if record.len() > cells {
                report.error(Diagnostic::at(
                    &name,
                    line,
                    None,
                    Code::TooManyCells,
                    format!("the row has {} cells; a row may have at most {cells}", record.len()),
                ));
                continue;
            }
            if record.len() != width {
                report.error(Diagnostic::at(
                    &name,
                    line,
                    None,
                    Code::FieldCount,
                    format!("the row has {} fields; the header has {width}", record.len()),
                ));
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
                inactive: false,
                cut: None,
                places: &places,
                zone,
            };
            let mapped = map_row(kind, mode, &mut reader, now, v1p1);
            loose_booleans |= reader.loose_booleans;
            inactive |= reader.inactive;
            if cut.is_none() {
                cut = reader.cut.map(|column| (line, column));
            }
            let Some(row) = mapped else { continue };
            if record.as_slice().len() > ROW_BYTES_UNMEASURED {
                if let Row::Record(record) = &row {
                    let size = record.to_json().len();
                    if size > MAX_RECORD_BYTES {
                        report.error(Diagnostic::at(
                            &name,
                            line,
                            None,
                            Code::TooLarge,
                            format!(
                                "the record is {size} bytes as JSON; a record may hold at most {MAX_RECORD_BYTES} bytes"
                            ),
                        ));
                        continue;
                    }
                }
            }
            each(row, line, report);
        }
        if rows == 0 {
            report.file_error(&name, Code::EmptyFile, "the file has no data rows; the binding does not permit empty files (leave it out and declare it absent)");
        }
        if loose_booleans {
            report.warn(format!("{name}: booleans written in upper or mixed case (TRUE/FALSE) were taken as true/false"));
        }
        if inactive {
            report.warn(format!("{name}: status inactive (deprecated in OneRoster 1.1) was taken as tobedeleted"));
        }
        if let Some((line, column)) = cut {
            report.warn(format!(
                "{name}: text longer than {MAX_STRING_CHARS} characters was cut to {MAX_STRING_CHARS} (the binding lets a provider cut strings past 255), first on line {line} in {column}"
            ));
        }
        rows
    })?;
    Ok(outcome.unwrap_or(0))
}

fn csv_error(file: &str, line: u64, error: &csv::Error) -> Diagnostic {
    let (code, reason) = match error.kind() {
        csv::ErrorKind::Utf8 { .. } => {
            (Code::BadCsv, "the row is not valid UTF-8 (the binding requires UTF-8)".to_owned())
        }
        csv::ErrorKind::Io(io) => match Breach::of(io) {
            Some(breach) => {
                let line = breach.line().unwrap_or(line);
                return Diagnostic::at(file, line, None, breach.code(), breach.to_string());
            }
            None => (Code::BadCsv, format!("the file cannot be read: {io}")),
        },
        _ => (Code::BadCsv, format!("not valid CSV: {error}")),
    };
    Diagnostic::at(file, line, None, code, reason)
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
        report.error(Diagnostic::at(file, 1, Some(column), Code::Header, reason));
    };
    for (i, want) in expected.iter().enumerate() {
        match header.get(i) {
            Some(got) if got == *want => {}
            Some(got) if got.eq_ignore_ascii_case(want) => {
                fail(want, format!("header {} must be spelt '{want}' (headers are case-sensitive)", quote(got)))
            }
            Some(got) => fail(want, format!("column {} must be '{want}', found {}", i + 1, quote(got))),
            None => fail(want, format!("the header lacks column {} '{want}'", i + 1)),
        }
    }
    let mut extensions = Vec::new();
    for (i, got) in header.iter().enumerate().skip(expected.len()) {
        match got.strip_prefix("metadata.") {
            Some(key) if !key.is_empty() => extensions.push((i, key.to_owned())),
            _ => fail(
                got,
                format!(
                    "unknown column {}; extension columns go to the right and are named metadata.<name>",
                    quote(got)
                ),
            ),
        }
    }
    ok.then_some(extensions)
}
