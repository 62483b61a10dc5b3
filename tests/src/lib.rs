//! The end-to-end harness: each test gets its own table, bucket and queue on the running
//! DynamoDB Local and moto (so tests are independent and run in parallel), and drives the real
//! ingest handler with the real S3 → SQS notifications, as an SIS upload would in AWS.

use local_server::{LocalConfig, LocalStack};
use oneroster_model::TenantId;
use oneroster_store::Job;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A unique, valid name for a test's table, bucket or queue.
pub fn unique(prefix: &str) -> String {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!("{prefix}-{}-{}-{nanos}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A tenant id.
pub fn tenant(name: &str) -> TenantId {
    TenantId::parse(name).expect("test tenant ids are valid")
}

/// A fresh local stack of the test's own.
pub async fn stack() -> LocalStack {
    let mut config = LocalConfig::from_env();
    config.table = unique("t");
    config.bucket = unique("b");
    config.queue = unique("q");
    let stack = LocalStack::setup(config).await.expect("the local stack is up (make test starts it)");
    // S3 sends a test event when notifications are configured; take it off the queue.
    stack.deliver(Duration::from_secs(1)).await.expect("the queue answers");
    stack
}

/// Uploads `bytes` for `tenant` and runs the ingest on its notification; returns the job.
pub async fn ingest(stack: &LocalStack, tenant: &TenantId, name: &str, bytes: Vec<u8>) -> Job {
    let key = stack.upload(tenant, name, bytes).await.expect("upload");
    stack.wait_for_job(tenant, &key, true, Duration::from_secs(300)).await.expect("the job finishes")
}

/// The bytes of a generated bulk package.
pub fn bulk_zip(district: &district_gen::District) -> Vec<u8> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    district.write_bulk(&mut bytes).expect("generate");
    bytes.into_inner()
}

/// The bytes of a generated delta package.
pub fn delta_zip(district: &district_gen::District, changed: usize) -> Vec<u8> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    district.write_delta(&mut bytes, changed, "2026-11-25T00:00:00.000Z").expect("generate");
    bytes.into_inner()
}

/// A zip of the given (name, text) files.
pub fn zip_of(files: &[(&str, &str)]) -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, text) in files {
        zip.start_file(*name, zip::write::SimpleFileOptions::default()).expect("zip");
        zip.write_all(text.as_bytes()).expect("zip");
    }
    zip.finish().expect("zip").into_inner()
}

/// The bytes of one of the official samples in `../shared/spec/samples/`.
pub fn sample(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/spec/samples").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
