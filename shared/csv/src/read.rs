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
        let header = match csv.read_record(&mut record) {
            Ok(true) if kind.matched_by_name() => {
                header_by_name(&name, expected, &kind.required_columns(mode), &record, report)
            }
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
        let Some(Header { columns, extensions }) = header else { return 0 };
        let width = columns.len();
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
                columns: &columns,
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

/// A usable header: the layout's name of each column by position (blank for a column the rows
/// are not read from), and the `metadata.*` extension columns (position, key).
struct Header {
    columns: Vec<&'static str>,
    extensions: Vec<(usize, String)>,
}

/// Checks the header row of a file of the binding: exactly `expected`, in order, then
/// `metadata.*` columns; `None` when it is not usable (its problems are reported).
fn check_header(
    file: &str,
    expected: &'static [&'static str],
    header: &csv::StringRecord,
    report: &mut Report,
) -> Option<Header> {
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
    let mut columns = expected.to_vec();
    let mut extensions = Vec::new();
    for (i, got) in header.iter().enumerate().skip(expected.len()) {
        columns.push("");
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
    ok.then_some(Header { columns, extensions })
}

/// Checks the header row of a file whose columns are matched by name
/// ([`FileKind::matched_by_name`]): each of `known` at most once, in any order, `required`
/// ones present, `metadata.*` columns anywhere; a column the layout does not know is left
/// unread, with a warning. `None` when it is not usable (its problems are reported).
fn header_by_name(
    file: &str,
    known: &'static [&'static str],
    required: &[&'static str],
    header: &csv::StringRecord,
    report: &mut Report,
) -> Option<Header> {
    let mut ok = true;
    let (mut columns, mut extensions, mut ignored) = (Vec::new(), Vec::new(), Vec::new());
    for (i, got) in header.iter().enumerate() {
        let name = known.iter().find(|name| **name == got);
        if let Some(name) = name {
            if columns.contains(name) {
                ok = false;
                report.error(Diagnostic::at(
                    file,
                    1,
                    Some(name),
                    Code::Header,
                    format!("column '{name}' is named twice"),
                ));
            }
        }
        match (name, got.strip_prefix("metadata.")) {
            (Some(name), _) => columns.push(*name),
            (None, Some(key)) if !key.is_empty() => {
                extensions.push((i, key.to_owned()));
                columns.push("");
            }
            (None, _) => {
                match known.iter().find(|name| name.eq_ignore_ascii_case(got)) {
                    Some(name) => {
                        ok = false;
                        let reason =
                            format!("header {} must be spelt '{name}' (headers are case-sensitive)", quote(got));
                        report.error(Diagnostic::at(file, 1, Some(name), Code::Header, reason));
                    }
                    None => ignored.push(quote(got)),
                }
                columns.push("");
            }
        }
    }
    for want in required.iter().filter(|want| !columns.contains(want)) {
        ok = false;
        report.error(Diagnostic::at(file, 1, Some(want), Code::Header, format!("the header lacks column '{want}'")));
    }
    if !ignored.is_empty() {
        report.warn(format!(
            "{file}: column(s) {} are not columns of the file (it has {}); left unread",
            ignored.join(", "),
            known.join(", ")
        ));
    }
    ok.then_some(Header { columns, extensions })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::package::Mode;

    fn header(cells: &[&str]) -> csv::StringRecord {
        csv::StringRecord::from(cells.to_vec())
    }

    fn by_name(kind: FileKind, mode: Mode, cells: &[&str]) -> (Option<Header>, Report) {
        let mut report = Report::default();
        let known = crate::rows::columns(kind);
        let found = header_by_name(kind.file_name(), known, &kind.required_columns(mode), &header(cells), &mut report);
        (found, report)
    }

    #[test]
    fn attendance_columns_are_found_by_name_in_any_order_the_optional_ones_left_out() {
        let cells = ["date", "userSourcedId", "metadata.room", "sourcedId", "absenceCodeSourcedId", "note"];
        let (found, report) = by_name(FileKind::Attendance, Mode::Bulk, &cells);
        let found = found.expect("usable");
        assert_eq!(found.columns, ["date", "userSourcedId", "", "sourcedId", "absenceCodeSourcedId", ""]);
        assert_eq!(found.extensions, [(2, "room".to_owned())]);
        assert!(report.is_valid(), "{:?}", report.errors);
        assert!(report.warnings.iter().any(|w| w.contains("'note'") && w.contains("left unread")), "{:?}", report);
    }

    #[test]
    fn a_header_matched_by_name_lacking_a_required_column_or_naming_one_twice_is_refused() {
        let (found, report) = by_name(FileKind::Attendance, Mode::Delta, &["sourcedId", "userSourcedId", "date"]);
        assert!(found.is_none());
        let lacking: Vec<_> = report.errors.iter().filter_map(|e| e.column.as_deref()).collect();
        assert_eq!(lacking, ["status", "dateLastModified", "absenceCodeSourcedId"]);
        assert!(report.errors.iter().all(|e| e.line == Some(1) && e.code == Code::Header));

        let (found, report) = by_name(FileKind::AbsenceCodes, Mode::Bulk, &["sourcedId", "title", "Absent", "title"]);
        assert!(found.is_none());
        let reasons: Vec<_> = report.errors.iter().map(|e| e.reason.as_str()).collect();
        assert!(reasons.contains(&"column 'title' is named twice"), "{reasons:?}");
        assert!(reasons.iter().any(|r| r.contains("must be spelt 'absent'")), "{reasons:?}");
    }
}
