//! Figure 11: the CSV export of the bench tenant (OneRoster 1.2, every file it has), run in a
//! child process of the bench (`--export-table`, `--export-tenant`) so that its peak memory is
//! its own, not the ingest's before it: seconds, rows and files written, the zip's size, and
//! the child's peak RSS (target: under 256 MiB at 100,000 students, whatever the tenant's size,
//! since the export holds a page of records and the files' `metadata.*` keys).

use e2e::tenant;
use local_server::LocalConfig;
use oneroster_csv::Version;
use oneroster_store::Store;
use std::time::Instant;

/// Exports `tenant` of `table` on the local stack to a temporary file; prints one line.
pub async fn run(table: &str, tenant_id: &str) -> Result<(), Box<dyn std::error::Error>> {
    let config = LocalConfig::from_env();
    let aws = aws_config::from_env().region(aws_config::Region::new("us-east-1")).load().await;
    let store = Store::connect(&aws, Some(&config.dynamodb_endpoint), table);
    let file = tempfile::NamedTempFile::new()?;
    let started = Instant::now();
    let exported =
        oneroster_export::export(&store, &tenant(tenant_id), Version::V1p2, std::io::BufWriter::new(file.reopen()?))
            .await?;
    let seconds = started.elapsed().as_secs_f64();
    let rows: u64 = exported.files.iter().map(|(_, rows)| rows).sum();
    println!(
        "csv export (1.2): {rows} rows in {} files in {seconds:.1}s = {:.0} rows/s, zip {:.1} MiB; peak RSS {:.0} MiB",
        exported.files.len(),
        rows as f64 / seconds,
        std::fs::metadata(file.path())?.len() as f64 / 1048576.0,
        e2e::peak_rss_mib()
    );
    Ok(())
}
