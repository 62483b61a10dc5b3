//! Grades back to the SIS: what LMSs write through the gradebook API goes back to the
//! district's SIS as a delta package of gradebook files in the tenant's outbox folder, once,
//! with the SIS's sourcedIds and a deletion as a `tobedeleted` row; the SIS imports it and then
//! holds the LMS's grades. A run with nothing to send writes no zip; a run that fails halfway
//! is written again whole, under the same name, by the next.

use crate::gradebook::{line_item, result};
use district_gen::District;
use e2e::{bulk_zip, ingest, small_district, stack, tenant, Api};
use export::{Exporter, Request};
use local_server::LocalStack;
use oneroster_export::writeback::{Window, SETTLE_MS};
use oneroster_model::{DistrictSettings, Tenant, Timestamp, Writeback};
use oneroster_store::JobState;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Read;

const BASE: &str = "/ims/oneroster/gradebook/v1p2";

/// A tenant `name` holding the small district (bulk applied) and a writing client of it.
async fn district(stack: &LocalStack, name: &str) -> (Tenant, Api) {
    let t = tenant(name);
    let job = ingest(stack, t.id(), "bulk.zip", bulk_zip(&small_district())).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);
    let api = Api::writer(stack, t.id()).await;
    (t, api)
}

/// A time after every write so far, with the write-back's settling time passed; and a pause,
/// so that a write made after the run is stamped after its window.
async fn settled() -> Timestamp {
    let now = Timestamp::from_millis(Timestamp::now().0.timestamp_millis() + SETTLE_MS + 1);
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    now
}

/// The package the write-back of tenant `t` (every due tenant when `scheduled`) put in the
/// bucket at `now`: its key and its files by name; `None` when it wrote none.
async fn write_back(stack: &LocalStack, t: &Tenant, scheduled: bool, now: Timestamp) -> Option<(String, Files)> {
    let bucket = stack.config.bucket.clone();
    let exporter = Exporter::new(stack.store().clone(), stack.s3_client(), bucket.clone());
    let tenant = (!scheduled).then(|| t.id().to_string());
    let sent =
        exporter.run(&Request { tenant, writeback: true, ..Default::default() }, now).await.expect("written back");
    assert!(sent.len() <= 1, "one package at most: {sent:?}");
    let location = &sent.first()?.location;
    let key = location.strip_prefix(&format!("s3://{bucket}/")).expect("in the upload bucket").to_owned();
    let object = stack.s3_client().get_object().bucket(&bucket).key(&key).send().await.expect("the zip is there");
    let bytes = object.body.collect().await.expect("its bytes").into_bytes().to_vec();
    Some((key, Files::of(bytes)))
}

/// A package's files: each one's rows by sourcedId, each row by column.
struct Files {
    bytes: Vec<u8>,
    files: BTreeMap<String, String>,
}

impl Files {
    fn of(bytes: Vec<u8>) -> Self {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.clone())).expect("a zip");
        let mut files = BTreeMap::new();
        for i in 0..archive.len() {
            let mut file = archive.by_index(i).expect("an entry");
            let mut text = String::new();
            file.read_to_string(&mut text).expect("text");
            files.insert(file.name().expect("a name").into_owned(), text);
        }
        Self { bytes, files }
    }

    fn names(&self) -> Vec<&str> {
        self.files.keys().map(String::as_str).collect()
    }

    /// The rows of `file` by sourcedId, each a map of column to cell.
    fn rows(&self, file: &str) -> BTreeMap<String, BTreeMap<String, String>> {
        let text = self.files.get(file).unwrap_or_else(|| panic!("{file} is in the package: {:?}", self.names()));
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = reader.headers().expect("a header").iter().map(str::to_owned).collect();
        reader
            .records()
            .map(|row| {
                let row: BTreeMap<String, String> =
                    header.iter().cloned().zip(row.expect("a row").iter().map(str::to_owned)).collect();
                (row["sourcedId"].clone(), row)
            })
            .collect()
    }
}

/// What the SIS takes of the record at `path` as `api` reads it: its grade and what it is of
/// (an empty `comment` the CSV carries as a blank cell, and `dateLastModified` the import
/// stamps anew); or the answer's status when there is no record.
async fn read(api: &Api, path: &str, key: &str) -> Value {
    let reply = api.get(&format!("{BASE}{path}")).await;
    if reply.status != 200 {
        return json!(reply.status);
    }
    let body = &reply.body[key];
    let kept = ["sourcedId", "status", "title", "class", "category", "resultValueMax", "lineItem", "student"];
    let graded = ["score", "scoreStatus", "scoreDate"];
    let fields = kept.iter().chain(&graded).filter_map(|f| Some((f.to_string(), body.get(*f)?.clone())));
    Value::Object(fields.collect())
}

#[tokio::test]
async fn grades_an_lms_writes_go_back_to_the_sis_once_as_a_delta_it_imports() {
    let stack = stack().await;
    let d = small_district();
    let (t, lms) = district(&stack, "writeback").await;
    // The SIS's own copy of the district, to import what is sent back into.
    let (sis, sis_api) = district(&stack, "writeback-sis").await;
    assert!(write_back(&stack, &t, false, settled().await).await.is_none(), "nothing written by an LMS: no zip");

    // An LMS: a line item made then renamed, a result of it graded twice, a result of the
    // SIS's line item regraded, another deleted.
    let put = |path: String, body: Value| {
        let lms = lms.clone();
        async move { lms.send_json("PUT", &format!("{BASE}{path}"), &body.to_string()).await.status }
    };
    assert_eq!(put("/lineItems/lms-essay".into(), line_item(&d, "lms-essay", "Essay")).await, 201);
    assert_eq!(put("/lineItems/lms-essay".into(), line_item(&d, "lms-essay", "Essay (final)")).await, 200);
    for (score, status) in [(50.0, 201), (92.0, 200)] {
        let body = json!({"result": result(&d, "lms-essay", score, "fully graded")});
        assert_eq!(put("/results/lms-r1".into(), body).await, status);
    }
    let student = &d.class_students(0, 0)[0];
    let regraded = District::result_id(&d.line_item_id(0, 0, 0), student);
    let body = json!({"result": result(&d, &d.line_item_id(0, 0, 0), 77.0, "fully graded")});
    assert_eq!(put(format!("/results/{regraded}"), body).await, 200);
    let deleted = District::result_id(&d.line_item_id(0, 0, 1), student);
    assert_eq!(lms.delete(&format!("{BASE}/results/{deleted}")).await.status, 204);

    let (key, sent) = write_back(&stack, &t, false, settled().await).await.expect("a package");
    assert!(key.starts_with("writeback/outbox/") && key.ends_with(".zip"), "{key}");
    assert_eq!(sent.names(), ["lineItems.csv", "manifest.csv", "results.csv"]);
    let manifest = &sent.files["manifest.csv"];
    assert!(manifest.contains("file.lineItems,delta\n") && manifest.contains("file.results,delta\n"), "{manifest}");
    assert!(manifest.contains("file.categories,absent\n") && manifest.contains("file.users,absent\n"), "{manifest}");
    let items = sent.rows("lineItems.csv");
    assert_eq!(items.keys().collect::<Vec<_>>(), ["lms-essay"]);
    assert_eq!(
        (items["lms-essay"]["title"].as_str(), items["lms-essay"]["status"].as_str()),
        ("Essay (final)", "active")
    );
    let results = sent.rows("results.csv");
    let mut expected = vec![deleted.clone(), "lms-r1".to_owned(), regraded.clone()];
    expected.sort();
    assert_eq!(results.keys().cloned().collect::<Vec<_>>(), expected, "exactly the results the LMS wrote");
    assert_eq!(results["lms-r1"]["score"], "92");
    assert_eq!(results[&regraded]["score"], "77");
    assert_eq!(results[&deleted]["status"], "tobedeleted");
    assert!(results.values().all(|row| !row["dateLastModified"].is_empty()), "a delta row carries its time");

    // The SIS imports it as a delta: it then holds what the LMS wrote.
    let job = ingest(&stack, sis.id(), "grades.zip", sent.bytes.clone()).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);
    for (path, key) in [
        ("/lineItems/lms-essay".to_owned(), "lineItem"),
        ("/results/lms-r1".to_owned(), "result"),
        (format!("/results/{regraded}"), "result"),
    ] {
        assert_eq!(read(&sis_api, &path, key).await, read(&lms, &path, key).await, "{path}");
    }
    // Deleted in both: the SIS's feed keeps its tombstone, served `tobedeleted`.
    let path = format!("/results/{deleted}");
    assert_eq!(read(&lms, &path, "result").await, json!(404));
    assert_eq!(read(&sis_api, &path, "result").await["status"], "tobedeleted");

    assert!(write_back(&stack, &t, false, settled().await).await.is_none(), "a second write-back is empty");
}

#[tokio::test]
async fn a_write_back_that_fails_halfway_is_written_again_whole_and_the_schedule_follows_the_setting() {
    let stack = stack().await;
    let d = small_district();
    let (t, lms) = district(&stack, "writeback-redo").await;
    let grade = |line_item: usize, score: f64| {
        let lms = lms.clone();
        let line_item = d.line_item_id(0, 0, line_item);
        let id = District::result_id(&line_item, &d.class_students(0, 0)[0]);
        let body = json!({"result": result(&d, &line_item, score, "fully graded")});
        async move {
            assert_eq!(lms.send_json("PUT", &format!("{BASE}/results/{id}"), &body.to_string()).await.status, 200);
            id
        }
    };
    let first = grade(0, 61.0).await;
    // A run takes its window, then dies before its package is stored.
    let bookmark = stack.store().tenant(&t).outbox().bookmark().await.expect("the bookmark");
    let died = Window::take(stack.store(), &t, bookmark, settled().await).await.expect("a window");
    let later = grade(1, 62.0).await;

    let (key, redone) = write_back(&stack, &t, false, settled().await).await.expect("the window written again");
    assert_eq!(key, oneroster_ingest::uploads::outbox_key(&t, died.until()), "under the same name");
    assert_eq!(redone.rows("results.csv").into_keys().collect::<Vec<_>>(), [first]);
    let (_, next) = write_back(&stack, &t, false, settled().await).await.expect("the next window");
    assert_eq!(next.rows("results.csv").into_keys().collect::<Vec<_>>(), [later], "nothing lost or repeated");

    // The hourly schedule sends a district's grades only when it asked for them, and an hour on.
    let regraded = grade(1, 63.0).await;
    let now = settled().await;
    assert!(write_back(&stack, &t, true, now).await.is_none(), "off by default");
    let settings = DistrictSettings { grade_writeback: Writeback::Hourly, ..Default::default() };
    stack.store().tenant(&t).put_settings(&settings).await.expect("settings");
    assert!(write_back(&stack, &t, true, now).await.is_none(), "the last write-back is not an hour old");
    let an_hour_on = Timestamp::from_millis(now.0.timestamp_millis() + 3_600_000);
    let (_, scheduled) = write_back(&stack, &t, true, an_hour_on).await.expect("due an hour on");
    assert_eq!(scheduled.rows("results.csv").into_keys().collect::<Vec<_>>(), [regraded]);
}
