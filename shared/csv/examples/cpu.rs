//! Times the two CPU passes of an ingest (validate; map to JSON) on a generated district:
//! `cargo run --release -p oneroster-csv --example cpu -- 100000`.

use oneroster_csv::{read_rows, validate, FileKind, Package, Report, Row};
use oneroster_model::Timestamp;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let students = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let district = district_gen::District::new(students);
    let file = tempfile::NamedTempFile::new()?;
    let rows = district.write_bulk(file.reopen()?)?.total();
    let now = Timestamp::now();
    let mut report = Report::default();
    let mut package = Package::open(file.reopen()?, &mut report)?;
    let started = Instant::now();
    validate(&mut package, now, &mut report)?;
    let validated = started.elapsed();
    let started = Instant::now();
    let mut bytes = 0;
    for kind in FileKind::ALL {
        read_rows(&mut package, kind, now, &mut report, |row, _, _| {
            if let Row::Record(record) = row {
                bytes += serde_json::to_vec(&record).map_or(0, |b| b.len());
            }
        })?;
    }
    let mapped = started.elapsed();
    let total = (validated + mapped).as_secs_f64();
    println!(
        "{rows} rows: validate {validated:?}, map {mapped:?}, {:.0} rows/s ({bytes} bytes of JSON)",
        rows as f64 / total
    );
    Ok(())
}
