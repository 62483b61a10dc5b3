//! Loose CSV files instead of a zip: a batch folder `<tenant>/<batch>/` is one package once its
//! `_ready` marker (or a `manifest.csv` sent last) arrives, file names beginning with an entity's
//! being that entity's file.

use e2e::{bulk_zip, register, small_district, stack, tenant, Api};
use oneroster_store::JobState;
use std::io::Read;
use std::time::Duration;

/// The files of the small district's bulk zip (name, bytes), manifest included.
fn district_files() -> Vec<(String, Vec<u8>)> {
    let zip = bulk_zip(&small_district());
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).expect("a zip");
    (0..archive.len())
        .map(|i| {
            let mut entry = archive.by_index(i).expect("an entry");
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).expect("read");
            (entry.name().expect("a name").into_owned(), bytes)
        })
        .collect()
}

async fn users(api: &Api) -> u64 {
    api.get("/ims/oneroster/rostering/v1p2/users?limit=1").await.total_count()
}

#[tokio::test]
async fn a_folder_of_loose_csv_files_is_one_package_once_its_marker_arrives() {
    let stack = stack().await;
    let wait = Duration::from_secs(300);

    // As the CLI sends them: dated file names, no manifest, `_ready` last.
    let t = tenant("loose-ready");
    register(&stack, &t).await;
    let files: Vec<(String, Vec<u8>)> = district_files()
        .into_iter()
        .filter(|(name, _)| name != "manifest.csv")
        .map(|(name, bytes)| (name.replace(".csv", "_20260301.csv"), bytes))
        .collect();
    let rows: usize = files.iter().map(|(_, bytes)| bytes.iter().filter(|b| **b == b'\n').count() - 1).sum();
    let s3 = stack.s3_client();
    let folder = admin::upload_batch(&s3, &stack.config.bucket, &t, files, |_| {}).await.expect("upload");
    assert!(folder.ends_with('/'));
    let job = stack.wait_for_job(&t, &folder, true, wait).await.expect("the folder's job");
    assert_eq!(job.state, JobState::Applied, "{:?}", job.errors);
    assert_eq!(job.files.values().map(|f| f.rows).sum::<u64>(), rows as u64, "every row of every file");
    assert!(job.warnings.iter().any(|w| w == "users_20260301.csv: taken as users.csv (its name begins with users)"));
    let report = stack.report(job.report_key.as_deref().expect("a report")).await.expect("the report");
    assert_eq!(report["job"]["key"], folder.as_str());
    let zipped = Api::new(&stack, &t).await;
    let expected = users(&zipped).await;
    assert!(expected > 0);

    // An uploader that sends its manifest last, and no marker: the manifest completes it.
    let t = tenant("loose-manifest");
    register(&stack, &t).await;
    let mut files = district_files();
    files.sort_by_key(|(name, _)| name == "manifest.csv");
    for (name, bytes) in files {
        stack.upload(&t, &format!("nightly-7/{name}"), bytes).await.expect("a file");
    }
    let folder = format!("{t}/nightly-7/");
    let job = stack.wait_for_job(&t, &folder, true, wait).await.expect("the folder's job");
    assert_eq!(job.state, JobState::Applied, "{:?}", job.errors);
    assert_eq!(users(&Api::new(&stack, &t).await).await, expected, "the same district as the other folder");
    // A `_ready` after the manifest is the same job, done already.
    stack.upload(&t, "nightly-7/_ready", Vec::new()).await.expect("a marker");
    let delivered = stack.deliver(Duration::from_secs(2)).await.expect("a delivery");
    let outcomes: Vec<_> = delivered.into_iter().flat_map(|(_, outcomes)| outcomes).collect();
    assert!(matches!(&outcomes[..], [oneroster_ingest::Outcome::AlreadyDone(j)] if j.id == job.id), "{outcomes:?}");

    // A marker alone is no package: rejected, saying why.
    stack.upload(&t, "empty-batch/_ready", Vec::new()).await.expect("a marker");
    let job = stack.wait_for_job(&t, &format!("{t}/empty-batch/"), true, wait).await.expect("a job");
    assert_eq!(job.state, JobState::Rejected);
    assert!(job.errors[0].contains("holds no CSV file"), "{:?}", job.errors);
}
