//! Figure 13: what the ingest's validation pass (every file read once, every reference checked
//! against the ids of the files it names) holds in memory: the peak RSS of a child process of
//! the bench (`--validate-file`) that only opens and validates a package, so that the figure is
//! the pass's own, not the generator's or the ingest's before it. The target, for a Lambda of
//! the size the template gives the ingest, is under 2 GiB at 1,000,000 students.

use oneroster_csv::{validate, Limits, Package, Report};
use oneroster_model::Timestamp;
use std::path::Path;
use std::time::Instant;

/// Validates the package at `path` in this process; prints one line.
pub fn run(path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let mut report = Report::default();
    let mut package = Package::open(std::fs::File::open(path)?, &Limits::default(), &mut report)?;
    validate(&mut package, Timestamp::now(), &mut report)?;
    if !report.is_valid() {
        return Err(format!("the package is invalid: {:?}", report.errors.first()).into());
    }
    println!(
        "validation pass: {:.1}s, peak RSS {:.0} MiB (a child process that only validates)",
        started.elapsed().as_secs_f64(),
        e2e::peak_rss_mib()
    );
    Ok(())
}
