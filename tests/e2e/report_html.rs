//! The report a district admin reads (`<upload>.report.html`), written by the ingest beside the
//! JSON one and opened as a phone opens it: headless Chromium at 390x844, driven by
//! `tests/browser/check_report.mjs` (playwright-core from `.local/node`, Debian's
//! `/usr/bin/chromium`, both installed by `infra/local/stack.sh install`, which `make test`
//! runs). The browser is required: without it these tests fail, saying what is missing.

use e2e::{bulk_zip, ingest, small_district, stack, tenant, zip_of};
use local_server::LocalStack;
use oneroster_ingest::job::report_html_key;
use oneroster_store::{Job, JobState};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// The browser the check drives (Debian's package).
const CHROMIUM: &str = "/usr/bin/chromium";

/// The phone's width the check lays the page out at.
const PHONE_WIDTH: u64 = 390;

/// The job's report page as the bucket holds it, after checking that it is served as HTML.
async fn page(stack: &LocalStack, job: &Job) -> String {
    let key = report_html_key(&job.key);
    let object = stack
        .s3_client()
        .get_object()
        .bucket(&stack.config.bucket)
        .key(&key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("no report page at {key}: {e}"));
    assert_eq!(object.content_type.as_deref(), Some("text/html; charset=utf-8"));
    let bytes = object.body.collect().await.expect("the page's bytes").into_bytes();
    String::from_utf8(bytes.to_vec()).expect("the page is UTF-8")
}

/// What the browser saw of `html` at a phone's viewport (`check_report.mjs`'s JSON line).
fn browse(html: &str) -> Value {
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: the report page's browser test needs Debian's chromium \
         (`infra/local/stack.sh install` installs it with apt, as `make test` does)"
    );
    let file = tempfile::Builder::new().suffix(".html").tempfile().expect("a temporary file");
    std::fs::write(file.path(), html).expect("the page written");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("browser/check_report.mjs");
    let output = Command::new("node").arg(&script).arg(file.path()).output().unwrap_or_else(|e| {
        panic!("node could not be run ({e}): the report page's browser test needs Node.js, as the local stack does")
    });
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{} failed ({}): {stderr}", script.display(), output.status);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(line).unwrap_or_else(|e| panic!("the check printed no JSON line ({e}): {stdout}{stderr}"))
}

/// Checks what every report page must be on a phone: no console error, nothing fetched, the
/// verdict on the first screen, no sideways scrolling.
fn assert_reads_on_a_phone(seen: &Value) {
    assert_eq!(seen["consoleErrors"], Value::Array(Vec::new()), "{seen}");
    assert_eq!(seen["externalRequests"], Value::Array(Vec::new()), "{seen}");
    assert_eq!(seen["verdictVisible"], true, "{seen}");
    let width = seen["scrollWidth"].as_u64().expect("a scroll width");
    assert!(width <= PHONE_WIDTH, "the page scrolls sideways: {width} px wide on a {PHONE_WIDTH} px phone");
}

const USERS_HEADER: &str = "sourcedId,status,dateLastModified,enabledUser,username,userIds,givenName,familyName,\
                            middleName,identifier,email,sms,phone,agentSourcedIds,grades,password,\
                            userMasterIdentifier,preferredGivenName,preferredMiddleName,preferredFamilyName,\
                            primaryOrgSourcedId,pronouns";

/// A users.csv row with `enabled` as its `enabledUser`.
fn user(id: &str, enabled: &str) -> String {
    format!("{id},active,2026-01-01T00:00:00.000Z,{enabled},{id},,Ann,Lee,,,,,,,,,,,,,,\n")
}

#[tokio::test]
async fn a_rejected_packages_page_shows_the_verdict_and_the_first_error_on_a_phones_first_screen() {
    let stack = stack().await;
    let t = tenant("report-page");
    // Many errors of one reason (more than a group shows), a hostile cell, and a second file.
    let mut users = format!("{USERS_HEADER}\n{}", user("u-hostile", "<script>alert(1)</script>"));
    for i in 0..14 {
        users.push_str(&user(&format!("u-{i}"), "maybe"));
    }
    let enrollments = "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,\
                       beginDate,endDate\ne-1,active,2026-01-01T00:00:00.000Z,no-such-class,sch-0000,u-0,student,,,\n";
    let package = zip_of(&[
        ("manifest.csv", &district_gen::manifest(&[], &["users", "enrollments"])),
        ("users.csv", &users),
        ("enrollments.csv", enrollments),
    ]);
    let job =
        ingest(&stack, &t, "nightly/sis-export-2026-05-01T02-00-00-every-school-of-the-district.zip", package).await;
    assert_eq!(job.state, JobState::Rejected, "{:#?}", job.errors);
    let report = stack.report(job.report_key.as_deref().expect("a report key")).await.expect("the JSON report");
    let first = &report["report"]["errors"][0];
    let (file, line, column) = (
        first["file"].as_str().expect("the first error's file"),
        first["line"].as_u64().expect("the first error's line"),
        first["column"].as_str().expect("the first error's column"),
    );

    let html = page(&stack, &job).await;
    assert!(!html.contains("<script>alert(1)"), "the cell is escaped");
    assert!(html.contains("&#39;&lt;script&gt;alert(1)&lt;/script&gt;&#39; is not one of"), "{html}");
    assert!(html.contains("And 5 more of these in the JSON report."), "a group shows its first 10 lines");
    let seen = browse(&html);
    assert_reads_on_a_phone(&seen);
    let verdict = seen["verdict"].as_str().expect("a verdict");
    assert_eq!(verdict, format!("Rejected: {} errors were found, nothing was changed.", job.error_count));
    let shown = seen["firstError"].as_str().expect("a first error row");
    assert!(shown.starts_with(&format!("{file} · line {line} · column {column}\n")), "{shown}");
    assert!(job.errors[0].starts_with(&format!("{file}:{line} {column}: ")), "{}", job.errors[0]);
    assert_eq!(seen["firstErrorVisible"], true, "the first error is on the first screen: {seen}");
}

#[tokio::test]
async fn an_applied_packages_page_shows_the_verdict_and_the_counts_per_file() {
    let stack = stack().await;
    let t = tenant("report-page-applied");
    let job = ingest(&stack, &t, "bulk.zip", bulk_zip(&small_district())).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);

    let html = page(&stack, &job).await;
    let created: u64 = job.files.values().map(|c| c.created).sum();
    assert!(created > 0);
    let created = created.to_string();
    let thousands = if created.len() > 3 {
        format!("{},{}", &created[..created.len() - 3], &created[created.len() - 3..])
    } else {
        created
    };
    assert!(html.contains(&format!("Applied: {thousands} records created, 0 changed, 0 deleted.")), "{html}");
    assert!(html.contains("<section id=\"counts\">") && html.contains("<td>users.csv</td>"));
    assert!(!html.contains("id=\"errors\"") && !html.contains("id=\"first-error\""));
    let seen = browse(&html);
    assert_reads_on_a_phone(&seen);
    assert!(seen["verdict"].as_str().is_some_and(|v| v.starts_with("Applied: ")), "{seen}");
    assert_eq!(seen["firstError"], Value::Null);
}
