//! `make bench`: ingest and API figures for a generated district.
//!
//! 1. CPU side, no store: unzip + parse + validate + map (to the JSON bodies that are stored,
//!    with their content hashes),
//!    rows per second of wall time on one thread and per CPU-second (the per-core figure, which
//!    the machine's other work does not skew). `--cpu-only` stops here (no stack needed): the
//!    loop to profile the parser with.
//! 2. End to end against DynamoDB Local: upload, notification, ingest; items written per second.
//! 3. The raw `BatchWriteItem` rate of the same records and relation entries, written straight
//!    through the store into a fresh table on the same server, the ingest's table deleted first
//!    so that both start on an empty server: the ratio of 2 to 3 is the figure.
//! 4. Peak RSS of the process up to the end of 2 (the ingest, not the raw writer of 3).
//! 5. A second identical bulk: items written (target: under 1% of the first).
//! 6. The API over that tenant (see [`api`]): latency, items read per item returned, and
//!    requests/s of the local server under a loopback load; then the rostering writes on it
//!    (see [`roster_writes`]): p50/p99 of a user PUT and of an enrollment POST, writes/s of
//!    enrollment POSTs by several writers at once, and per write the items its transaction
//!    wrote, store calls, their sequential rounds and items read.
//! 7. The gradebook on a tenant of its own (see [`gradebook`]): result routes and result PUTs.
//! 8. The zip bomb (see [`bomb`]), after 1 (and so with `--cpu-only` too): seconds to refuse it
//!    and the peak RSS of a child process that only does that.
//! 9. An API key's check, after 8 (see [`api_key_check`]): microseconds per check of a
//!    presented key against its stored hash (the gate's work on a cached key).
//! 10. Sharing rules, after 6 on its tenant (see [`sharing`]): a one-school client's items
//!     read per record on the district's lists, and the time its rules add to a page
//!     (`--sharing-only`: after the first load, and nothing else).
//! 11. The CSV export of the tenant, after 5 (see [`export`]), in a child process: seconds,
//!     rows and the child's peak RSS (target: under 256 MiB at 100,000 students).
//! 12. Change events, after 6 (see [`events`]): events stored per second from the first load's
//!     records, and the lag from a write to its event in the feed (p50, p99) (`--events-only`:
//!     after the first load, and nothing else).
//! 13. The validation pass's peak RSS (see [`validation`]), after 1, in a child process;
//!     `--validate-only` prints only 1's package line and this (the figure at 1,000,000 students).
//! 14. The apply fanned out (see [`fanout`]), after 13: the first load applied by 1, 2, 4 and 8
//!     workers, seconds and the speed-up over one (`--fanout-only`: 1's package line and this).
//! 15. A pull from an SIS (see [`pull`]), after 12: the tenant served as the SIS, pulled by a
//!     child process: seconds, calls, rows, and the child's peak RSS (`--pull-only`: after the
//!     first load, and nothing else).

/// The ingest Lambda's allocator (functions/ingest/src/main.rs), so that the figures are the
/// Lambda's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod api;
mod bomb;
mod events;
mod export;
mod fanout;
mod gradebook;
mod pull;
mod roster_writes;
mod sharing;
mod trips;
mod v1p1;
mod validation;

use clap::Parser;
use district_gen::District;
use e2e::{stack, stack_with, tenant};
use oneroster_csv::{read_rows, validate, FileKind, Limits, Package, Report, Row};
use oneroster_model::Timestamp;
use oneroster_store::{Commit, Encoded, JobState, Mutation, Named};
use std::time::{Duration, Instant};
use tracing_subscriber::prelude::*;

/// Ingest benchmark.
#[derive(Parser)]
struct Args {
    /// Students in the generated district.
    #[arg(long, default_value_t = 100_000)]
    students: usize,
    /// Only the gradebook figures (7).
    #[arg(long)]
    gradebook_only: bool,
    /// Only the CPU-side figure (1).
    #[arg(long)]
    cpu_only: bool,
    /// Only the ingest figures (1 to 5, and 8), without the API and the gradebook.
    #[arg(long)]
    ingest_only: bool,
    /// Only the zip bomb's figures (8), in this process.
    #[arg(long)]
    bomb_only: bool,
    /// Only the export's figure (11), in this process: the table of the stack to read.
    #[arg(long, requires = "export_tenant")]
    export_table: Option<String>,
    /// The tenant the export's figure (11) exports.
    #[arg(long)]
    export_tenant: Option<String>,
    /// Only the first load (2, 4) and the sharing rules' figure (10).
    #[arg(long)]
    sharing_only: bool,
    /// Only the first load (2, 4) and the change events' figure (12).
    #[arg(long)]
    events_only: bool,
    /// Only the first load (2, 4) and the pull's figure (15).
    #[arg(long)]
    pull_only: bool,
    /// Only the pull's figure (15), in this process: the SIS's URL.
    #[arg(long, requires_all = ["pull_client", "pull_secret"])]
    pull_url: Option<String>,
    /// The pull's client id at the SIS.
    #[arg(long)]
    pull_client: Option<String>,
    /// The pull's client secret at the SIS.
    #[arg(long)]
    pull_secret: Option<String>,
    /// Only the validation's figure (13), in a child process, for a generated package.
    #[arg(long)]
    validate_only: bool,
    /// Only the fan-out's figure (14), after the package line.
    #[arg(long)]
    fanout_only: bool,
    /// Only the validation's figure (13), in this process: the package to validate.
    #[arg(long)]
    validate_file: Option<std::path::PathBuf>,
}

/// Runs the bench again as a child with `args` (one figure, whose peak memory is then its
/// own) and prints what it prints.
pub(crate) fn in_child(args: &[&std::ffi::OsStr]) -> Result<(), Box<dyn std::error::Error>> {
    let output = std::process::Command::new(std::env::current_exe()?).args(args).output()?;
    if !output.status.success() {
        return Err(format!("the child {args:?} failed: {}", String::from_utf8_lossy(&output.stderr)).into());
    }
    print!("{}", String::from_utf8_lossy(&output.stdout));
    Ok(())
}

/// CPU-seconds this process has used, user and system (`/proc/self/stat`, in clock ticks of
/// 1/100 s, the Linux value).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The command name, in parentheses, may hold spaces: count fields after it.
    let fields: Vec<&str> = stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    // The ingest's phase timings (validation, each file, packs, counts) go under the figures;
    // the API's audit events are counted for the write figures, not printed.
    let audited = roster_writes::AuditedItems::default();
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_target(false)
                .with_ansi(false)
                .without_time()
                .with_filter(tracing_subscriber::EnvFilter::new("oneroster_ingest=info,oneroster_store=info")),
        )
        .with(audited.layer())
        .init();
    if args.gradebook_only {
        return gradebook::run(&stack().await).await;
    }
    if args.bomb_only {
        return bomb::run();
    }
    if let (Some(table), Some(tenant)) = (&args.export_table, &args.export_tenant) {
        return export::run(table, tenant).await;
    }
    if let Some(path) = &args.validate_file {
        return validation::run(path);
    }
    if let (Some(url), Some(client), Some(secret)) = (&args.pull_url, &args.pull_client, &args.pull_secret) {
        return pull::child(url, client, secret).await;
    }
    let district = District::new(args.students);
    let file = tempfile::NamedTempFile::new()?;
    let rows = district.write_bulk(file.reopen()?)?;
    let zip_bytes = std::fs::metadata(file.path())?.len();
    println!(
        "district: {} students, {} rows, zip {:.1} MiB",
        args.students,
        rows.total(),
        zip_bytes as f64 / 1048576.0
    );
    if args.validate_only {
        return in_child(&["--validate-file".as_ref(), file.path().as_os_str()]);
    }
    if args.fanout_only {
        return fanout::run(file.path()).await;
    }

    // 1. CPU side.
    let started = Instant::now();
    let cpu_started = cpu_seconds();
    let now = Timestamp::now();
    let mut report = Report::default();
    let mut package = Package::open(file.reopen()?, &Limits::default(), &mut report)?;
    validate(&mut package, now, &mut report)?;
    assert!(report.is_valid(), "generated package invalid: {:?}", report.errors.first());
    let mut body_bytes = 0usize;
    for kind in FileKind::ALL {
        read_rows(&mut package, kind, now, &mut report, |row, _, _| {
            if let Row::Record(mut record) = row {
                body_bytes += record.to_json_with_hash().0.len();
            }
        })?;
    }
    let cpu = started.elapsed();
    let cpu_time = cpu_seconds() - cpu_started;
    println!(
        "cpu: unzip+parse+validate+map {} rows in {:.2}s = {:.0} rows/s on one thread; {:.2} CPU-s = {:.0} rows per CPU-second ({:.0} MiB of JSON)",
        rows.total(),
        cpu.as_secs_f64(),
        rows.total() as f64 / cpu.as_secs_f64(),
        cpu_time,
        rows.total() as f64 / cpu_time,
        body_bytes as f64 / 1048576.0
    );
    in_child(&["--bomb-only".as_ref()])?;
    in_child(&["--validate-file".as_ref(), file.path().as_os_str()])?;
    api_key_check();
    if args.cpu_only {
        return Ok(());
    }

    // 2. End to end.
    let local = stack_with(std::time::Duration::from_secs(60)).await;
    let t = tenant("bench-district");
    let started = Instant::now();
    e2e::register(&local, &t).await;
    let key = local.upload(&t, "bench/bulk.zip", std::fs::read(file.path())?).await?;
    let first = local.wait_for_job(&t, &key, true, Duration::from_secs(6 * 3600)).await?;
    let e2e = started.elapsed();
    assert_eq!(first.state, JobState::Applied, "{:?}", first.errors);
    let e2e_rate = first.items_written as f64 / e2e.as_secs_f64();
    let rss = e2e::peak_rss_mib();
    println!(
        "end-to-end: {} rows, {} items written in {:.1}s = {:.0} items/s ({:.0} rows/s)",
        rows.total(),
        first.items_written,
        e2e.as_secs_f64(),
        e2e_rate,
        rows.total() as f64 / e2e.as_secs_f64()
    );
    println!("peak RSS through the ingest: {rss:.0} MiB");
    if args.sharing_only {
        return sharing::run(&local, &t, &district).await;
    }
    if args.events_only {
        events::throughput(&local, &t).await?;
        return events::lag().await;
    }
    if args.pull_only {
        return pull::run(&local, &t).await;
    }

    // 5. Second identical bulk.
    let started = Instant::now();
    let key = local.upload(&t, "bench/bulk-again.zip", std::fs::read(file.path())?).await?;
    let second = local.wait_for_job(&t, &key, true, Duration::from_secs(6 * 3600)).await?;
    println!(
        "second identical bulk: {} items written ({:.3}% of the first) in {:.1}s",
        second.items_written,
        100.0 * second.items_written as f64 / first.items_written.max(1) as f64,
        started.elapsed().as_secs_f64()
    );

    // 11. The CSV export.
    in_child(&[
        "--export-table".as_ref(),
        local.config.table.as_ref(),
        "--export-tenant".as_ref(),
        t.as_str().as_ref(),
    ])?;

    // 6. The API.
    if !args.ingest_only {
        let before_delta = api::run(&local, &t, &district).await?;
        trips::run(&local, &t).await?;
        sharing::run(&local, &t, &district).await?;
        v1p1::run(&local, &t, before_delta).await?;
        roster_writes::run(&local, &t, &district, &audited).await?;
        gradebook::run(&local).await?;
        events::throughput(&local, &t).await?;
        events::lag().await?;
        pull::run(&local, &t).await?;
    }

    // 3. Raw BatchWriteItem rate of the same records and entries, into a fresh table of a server
    // as empty as the ingest found it (DynamoDB Local slows as it fills).
    local.store().delete_table().await?;
    let raw = stack().await;
    let mut package = Package::open(file.reopen()?, &Limits::default(), &mut Report::default())?;
    let mut written = 0u64;
    let mut writing = Duration::ZERO;
    for kind in FileKind::ALL {
        let mut chunk: Vec<Mutation> = Vec::new();
        let mut chunks: Vec<Vec<Mutation>> = Vec::new();
        read_rows(&mut package, kind, now, &mut Report::default(), |row, _, _| {
            if let Row::Record(record) = row {
                let mut record = record;
                record.base_mut().date_last_modified = now;
                chunk.push(Mutation::put(Encoded::new(record), &Named::new()));
                if chunk.len() == 2000 {
                    chunks.push(std::mem::take(&mut chunk));
                }
            }
        })?;
        chunks.push(chunk);
        for chunk in chunks {
            let started = Instant::now();
            written += raw.store().tenant(&t).records().commit(Commit::Batched(chunk)).await?.items;
            writing += started.elapsed();
        }
    }
    let raw_rate = written as f64 / writing.as_secs_f64();
    println!("raw BatchWriteItem: {written} items in {:.1}s = {raw_rate:.0} items/s", writing.as_secs_f64());
    println!("end-to-end / raw write rate: {:.0}%", 100.0 * e2e_rate / raw_rate);
    raw.store().delete_table().await?;

    // 14. The apply fanned out.
    fanout::run(file.path()).await
}

/// Figure 9: what the gate does with a presented API key once its record is cached: read the
/// key, hash its random part (SHA-256), compare with the stored hash in constant time, make
/// the grant. Printed per check, the mean of many (target: under 50 µs; an argon2 check,
/// which API keys avoid, costs tens of milliseconds).
fn api_key_check() {
    const CHECKS: u32 = 100_000;
    let tenant = oneroster_model::TenantId::parse("bench-district").expect("a tenant");
    let (_, key, hash) = oneroster_auth::api_key::mint(&tenant);
    let scopes = oneroster_auth::Scopes::all();
    let started = Instant::now();
    for _ in 0..CHECKS {
        let presented = oneroster_auth::api_key::Presented::read(key.expose()).expect("a key");
        assert!(presented.check(&hash, scopes.clone()).is_some());
    }
    let micros = started.elapsed().as_secs_f64() * 1e6 / f64::from(CHECKS);
    println!("api key: {micros:.2} µs per check of a presented key against its hash ({CHECKS} checks)");
}
