//! The zip bomb's figures: a zip of about 1 MB whose users.csv inflates to 1 GiB, opened and
//! validated as the ingest does, with the default caps; and its twin whose sizes lie (it says
//! it inflates to 1,000 bytes), which only the reader's count stops. Run in a child process of
//! the bench (`--bomb-only`), so that its peak memory is its own.

use oneroster_csv::{validate, Limits, Package, Report};
use oneroster_model::Timestamp;
use std::time::Instant;

/// Builds and validates both bombs; prints one line.
pub fn run() -> Result<(), Box<dyn std::error::Error>> {
    let (honest, honest_zip, honest_code) = refuse(e2e::hostile::bomb(1 << 30))?;
    let (lying, _, lying_code) = refuse(e2e::hostile::lying_bomb(1 << 30))?;
    println!(
        "zip bomb: a {:.1} MiB zip of a 1 GiB users.csv refused ({honest_code}) in {:.2}s; its twin that hides its size refused ({lying_code}) in {:.2}s; peak RSS {:.0} MiB",
        honest_zip as f64 / 1048576.0,
        honest,
        lying,
        e2e::peak_rss_mib()
    );
    Ok(())
}

/// Opens and validates `zip`; the seconds it took, the zip's size and the first error's code.
fn refuse(zip: Vec<u8>) -> Result<(f64, usize, String), Box<dyn std::error::Error>> {
    let mut file = tempfile::NamedTempFile::new()?;
    std::io::Write::write_all(&mut file, &zip)?;
    let started = Instant::now();
    let mut report = Report::default();
    if let Ok(mut package) = Package::open(file.reopen()?, &Limits::default(), &mut report) {
        validate(&mut package, Timestamp::now(), &mut report)?;
    }
    let seconds = started.elapsed().as_secs_f64();
    let code = report.errors.first().map_or("accepted!".to_owned(), |d| d.code.to_string());
    Ok((seconds, zip.len(), code))
}
