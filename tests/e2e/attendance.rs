//! OneRoster+ attendance as an attendance app reads it: a district whose bulk carries three
//! school days of absenceCodes.csv and attendance.csv, every route of the attendance service
//! against what the generator wrote, attendance files delivered alone (the roster untouched, a
//! dropped row tombstoned), bad attendance files refused at their file, line and column, headers
//! matched by name, and the district's licensed schools.

use district_gen::{AttendanceRow, District};
use e2e::{assert_matches_schema, ingest, small_district, stack, tenant, zip_of, Api, Reply, HOST};
use local_server::LocalStack;
use oneroster_model::TenantId;
use oneroster_openapi::Service;
use oneroster_store::{Job, JobState, Tenant};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Read;

const BASE: &str = "/ims/oneroster/attendance/v1p2";
const ROSTERING: &str = "/ims/oneroster/rostering/v1p2";

/// The school days of attendance in the bulk.
const DAYS: usize = 3;

/// The attendance service's scope (an extension scope, granted only when named) and roster
/// reading, for the comparisons with the roster.
const SCOPES: &str = "https://oneroster-provider.example.org/spec/or/ext/scope/attendance.readonly \
                      https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly";

/// The small district without its gradebook, which attendance does not need.
fn district() -> District {
    District { line_items_per_class: 0, ..small_district() }
}

/// The bytes of `district`'s bulk with `days` school days of attendance.
fn bulk_with_attendance(district: &District, days: usize) -> Vec<u8> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    district.write_bulk_with_attendance(&mut bytes, district_gen::Binding::V1p2, days).expect("generate");
    bytes.into_inner()
}

/// The text of absenceCodes.csv and attendance.csv of `district`'s bulk with `days` days.
fn attendance_files(district: &District, days: usize) -> (String, String) {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bulk_with_attendance(district, days))).expect("a zip");
    let mut text = |name: &str| {
        let mut text = String::new();
        archive.by_name(name).expect("the file").read_to_string(&mut text).expect("text");
        text
    };
    (text("absenceCodes.csv"), text("attendance.csv"))
}

/// Uploads `bytes` for `t` and waits for its job (boxed: an ingest's future is large).
async fn upload(stack: &LocalStack, t: &TenantId, name: &str, bytes: Vec<u8>) -> Job {
    Box::pin(ingest(stack, t, name, bytes)).await
}

/// A client of `t` holding the attendance scope.
async fn reader(stack: &LocalStack, t: &TenantId) -> Api {
    let scopes = oneroster_auth::Scopes::parse(SCOPES).expect("the attendance scope");
    Api::with_scopes(stack, t, &scopes).await
}

/// A tenant `name` holding [`district`] with [`DAYS`] days of attendance, and a reader of it.
async fn loaded(name: &str) -> (LocalStack, Tenant, Api, District) {
    let stack = stack().await;
    let t = tenant(name);
    let d = district();
    let job = upload(&stack, &t, "bulk.zip", bulk_with_attendance(&d, DAYS)).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);
    assert_eq!(job.files["absenceCodes.csv"].created, District::ABSENCE_CODES.len() as u64);
    assert_eq!(job.files["attendance.csv"].created, d.attendance(DAYS).count() as u64);
    let api = reader(&stack, &t).await;
    (stack, t, api, d)
}

/// A reference as the service renders it: `href` on the base of the service that serves the
/// referenced collection.
fn guid_ref(base: &str, collection: &str, kind: &str, id: &str) -> Value {
    json!({"href": format!("http://{HOST}{base}/{collection}/{id}"), "sourcedId": id, "type": kind})
}

/// The attendance record a bulk row makes (less its `dateLastModified`, the import's time).
fn expected_attendance(row: &AttendanceRow) -> Value {
    let mut record = json!({
        "sourcedId": row.id,
        "status": "active",
        "school": guid_ref(ROSTERING, "orgs", "org", &row.school),
        "student": guid_ref(ROSTERING, "users", "user", &row.student),
        "date": row.date,
        "absenceCode": guid_ref(BASE, "absenceCodes", "absenceCode", row.absence_code),
    });
    if let Some(class) = &row.class {
        record["class"] = guid_ref(ROSTERING, "classes", "class", class);
    }
    if let Some(period) = &row.period {
        record["period"] = period.as_str().into();
    }
    if let Some(comment) = row.comment {
        record["comment"] = comment.into();
    }
    record
}

/// The absence code a bulk row makes (less its `dateLastModified`): booleans as JSON booleans,
/// blank optional cells left out.
fn expected_absence_code((id, title, absent, excused, description): (&str, &str, bool, Option<bool>, &str)) -> Value {
    let mut code = json!({"sourcedId": id, "status": "active", "title": title, "absent": absent});
    if let Some(excused) = excused {
        code["excused"] = excused.into();
    }
    if !description.is_empty() {
        code["description"] = description.into();
    }
    code
}

/// `record` without its `dateLastModified`, which must be a date-time.
fn undated(record: &Value) -> Value {
    let mut record = record.clone();
    let modified = record.as_object_mut().and_then(|r| r.remove("dateLastModified")).unwrap_or_default();
    assert!(oneroster_model::Timestamp::parse(modified.as_str().unwrap_or_default()).is_ok(), "{modified}");
    record
}

/// The sorted ids of `rows`.
fn ids_of<'a>(rows: impl Iterator<Item = &'a AttendanceRow>) -> Vec<String> {
    let mut ids: Vec<String> = rows.map(|r| r.id.clone()).collect();
    ids.sort();
    ids
}

/// Every record of a list of the attendance service, 25 a page, each page checked against
/// `schema`.
async fn walk(api: &Api, path: &str, key: &str, schema: &str) -> Vec<Value> {
    let separator = if path.contains('?') { '&' } else { '?' };
    let first = format!("{BASE}{path}{separator}limit=25");
    api.walk_checked(&first, key, |page| assert_matches_schema(Service::Attendance, schema, &page.body)).await
}

/// The tenant's items but its jobs, lock and settings: what a refused upload must leave as it
/// was.
async fn records(stack: &LocalStack, t: &TenantId) -> Vec<String> {
    let kept = ["#job\"", "#lock\"", "#settings\""].map(|partition| format!("pk=S(\"{}{partition})", t.as_str()));
    let items = e2e::tenant_items(stack, t).await;
    items.into_iter().filter(|item| !kept.iter().any(|k| item.contains(k.as_str()))).collect()
}

/// Every user of the roster, as served.
async fn users(api: &Api) -> Vec<Value> {
    api.walk(&format!("{ROSTERING}/users?limit=500"), "users").await
}

/// Checks that `reply` is a refusal with `status` and `code_minor` in the service's error shape.
fn refused(reply: &Reply, status: u16, code_minor: &str, what: &str) {
    assert_eq!((reply.status, reply.code_minor()), (status, code_minor), "{what}: {}", reply.body);
    assert_matches_schema(Service::Attendance, "imsx_StatusInfoDType", &reply.body);
}

#[tokio::test]
async fn every_attendance_route_answers_as_the_package_says() {
    let (stack, t, api, d) = loaded("attendance-a").await;
    let rows: Vec<AttendanceRow> = d.attendance(DAYS).collect();
    let by_id: BTreeMap<&str, &AttendanceRow> = rows.iter().map(|r| (r.id.as_str(), r)).collect();

    // Absence codes: the list and each one by id, field by field.
    let listed = walk(&api, "/absenceCodes", "absenceCodes", "AbsenceCodeSetDType").await;
    let expected: Vec<Value> = District::ABSENCE_CODES.into_iter().map(expected_absence_code).collect();
    let mut served: Vec<Value> = listed.iter().map(undated).collect();
    served.sort_by_key(|c| c["sourcedId"].as_str().map(str::to_owned));
    let mut sorted = expected.clone();
    sorted.sort_by_key(|c| c["sourcedId"].as_str().map(str::to_owned));
    assert_eq!(served, sorted);
    for code in &expected {
        let id = code["sourcedId"].as_str().expect("an id");
        let one = api.call(Service::Attendance, "getAbsenceCode", &format!("/absenceCodes/{id}")).await;
        assert_eq!(undated(&one.body["absenceCode"]), *code, "{id}");
    }

    // Every attendance record, each as its row says; pages of 25 add up to the total.
    let all = walk(&api, "/attendance", "attendance", "AttendanceSetDType").await;
    assert_eq!(e2e::ids(&all), ids_of(rows.iter()));
    for record in &all {
        let id = record["sourcedId"].as_str().expect("an id");
        assert_eq!(undated(record), expected_attendance(by_id[id]), "{id}");
    }
    // By id: a daily mark with a comment (tardy), a class mark with its period, an excused one.
    let tardy = rows.iter().find(|r| r.class.is_none() && r.comment.is_some()).expect("a tardy day");
    let in_class = rows.iter().find(|r| r.class.is_some() && r.absence_code == "ac-absent").expect("a class absence");
    let excused = rows.iter().find(|r| r.absence_code == "ac-excused").expect("an excused absence");
    for row in [tardy, in_class, excused] {
        let one = api.call(Service::Attendance, "getAttendance", &format!("/attendance/{}", row.id)).await;
        assert_eq!(undated(&one.body["attendance"]), expected_attendance(row), "{}", row.id);
    }

    // Nested: a student's, a class's (one without marks too), a school's.
    for student in [0, 1, d.students - 1] {
        let id = d.student_id(student);
        let path = format!("/students/{id}/attendance");
        let want = ids_of(rows.iter().filter(|r| r.student == id));
        assert_eq!(want.len(), 2 * DAYS);
        assert_eq!(api.walk_ids(Service::Attendance, "getAttendanceForStudent", &path).await, want, "{path}");
    }
    for school in 0..d.schools {
        for class in 0..d.classes_per_school {
            let id = d.class_id(school, class);
            let path = format!("/classes/{id}/attendance");
            let want = ids_of(rows.iter().filter(|r| r.class.as_deref() == Some(id.as_str())));
            assert_eq!(api.walk_ids(Service::Attendance, "getAttendanceForClass", &path).await, want, "{path}");
        }
        let id = d.school_id(school);
        let path = format!("/schools/{id}/attendance");
        let want = ids_of(rows.iter().filter(|r| r.school == id));
        assert!(!want.is_empty());
        assert_eq!(api.walk_ids(Service::Attendance, "getAttendanceForSchool", &path).await, want, "{path}");
    }

    // Paging with limit and Link.
    let first = api.get(&format!("{BASE}/attendance?limit=5")).await;
    assert_eq!((first.status, first.total_count(), first.ids("attendance").len()), (200, rows.len() as u64, 5));
    let second = api.get(&first.link("next").expect("a next page")).await;
    assert_eq!((second.status, second.ids("attendance").len()), (200, 5));
    assert!(first.ids("attendance").iter().all(|id| !second.ids("attendance").contains(id)), "pages do not overlap");
    let last = api.get(&first.link("last").expect("a last page")).await;
    assert!(last.status == 200 && last.link("next").is_none());

    // A day's marks, from the index by day; a day without school; a code's marks.
    for day in 0..DAYS {
        let date = District::attendance_date(day);
        let path = format!("/attendance?filter=date%3D'{date}'");
        let reply = api.get(&format!("{BASE}{path}&limit=10")).await;
        let want = ids_of(rows.iter().filter(|r| r.date == date));
        assert_eq!(reply.total_count(), want.len() as u64, "{path}");
        assert_eq!(api.walk_ids(Service::Attendance, "getAllAttendance", &path).await, want, "{path}");
    }
    let saturday = api.get(&format!("{BASE}/attendance?filter=date%3D'2026-03-07'")).await;
    assert_eq!((saturday.status, saturday.total_count()), (200, 0));
    assert_eq!(saturday.body["attendance"], json!([]));
    let path = "/attendance?filter=absenceCode.sourcedId%3D'ac-tardy'";
    let want = ids_of(rows.iter().filter(|r| r.absence_code == "ac-tardy"));
    assert!(!want.is_empty());
    assert_eq!(api.walk_ids(Service::Attendance, "getAllAttendance", path).await, want);

    // Sort and fields, as on any list.
    let latest = api.get(&format!("{BASE}/attendance?sort=date&orderBy=desc&limit=3&fields=sourcedId,date")).await;
    let page = latest.body["attendance"].as_array().expect("a list");
    assert_eq!((latest.status, page.len()), (200, 3), "{}", latest.body);
    for record in page {
        assert_eq!(record.as_object().map(|r| r.len()), Some(2), "{record}");
        assert_eq!(record["date"], District::attendance_date(DAYS - 1).as_str());
    }

    // Unknown records and parents, parents of the wrong kind: 404.
    for path in [
        "/attendance/nope".to_owned(),
        "/absenceCodes/nope".into(),
        "/students/nope/attendance".into(),
        "/classes/nope/attendance".into(),
        "/schools/nope/attendance".into(),
        format!("/students/{}/attendance", d.teacher_id(0)),
        format!("/schools/{}/attendance", d.district_id()),
    ] {
        refused(&api.get(&format!("{BASE}{path}")).await, 404, "unknownobject", &path);
    }

    // Without the attendance scope (a client holding every scope of the standard): 403.
    let standard = Api::new(&stack, &t).await;
    for path in ["/attendance", "/absenceCodes", &format!("/students/{}/attendance", d.student_id(0))] {
        refused(&standard.get(&format!("{BASE}{path}")).await, 403, "forbidden", path);
    }

    // The discovery document is the service's OpenAPI file.
    let discovery = Api::anonymous(&stack).get(&format!("{BASE}/discovery")).await;
    assert_eq!(discovery.status, 200);
    assert_eq!(discovery.body, *Service::Attendance.discovery());
}

#[tokio::test]
async fn attendance_files_alone_leave_the_roster_and_a_dropped_row_is_tombstoned() {
    let (stack, t, api, d) = loaded("attendance-b").await;
    let roster = users(&api).await;
    let classes = api.walk(&format!("{ROSTERING}/classes"), "classes").await;

    // A fourth day, as a zip of the two files and no manifest: each taken as bulk.
    let (codes, four_days) = attendance_files(&d, DAYS + 1);
    let alone = zip_of(&[("absenceCodes.csv", &codes), ("attendance.csv", &four_days)]);
    let job = upload(&stack, &t, "attendance.zip", alone).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);
    assert_eq!(job.files.keys().collect::<Vec<_>>(), ["absenceCodes.csv", "attendance.csv"]);
    let day = d.attendance(DAYS + 1).filter(|r| r.date == District::attendance_date(DAYS)).count() as u64;
    let counts = &job.files["attendance.csv"];
    assert_eq!((counts.created, counts.unchanged, counts.deleted), (day, d.attendance(DAYS).count() as u64, 0));
    assert_eq!(job.files["absenceCodes.csv"].unchanged, District::ABSENCE_CODES.len() as u64);
    let all: Vec<AttendanceRow> = d.attendance(DAYS + 1).collect();
    let served = api.walk_ids(Service::Attendance, "getAllAttendance", "/attendance").await;
    assert_eq!(served, ids_of(all.iter()));
    assert_eq!(users(&api).await, roster, "the users are as they were");
    assert_eq!(api.walk(&format!("{ROSTERING}/classes"), "classes").await, classes);

    // The same files less one row: that record alone is marked `tobedeleted`.
    let dropped = d.daily_attendance_id(5, DAYS);
    let fewer: String =
        four_days.lines().filter(|l| !l.starts_with(&format!("{dropped},"))).map(|l| format!("{l}\n")).collect();
    assert_eq!(fewer.lines().count() + 1, four_days.lines().count());
    let job = upload(&stack, &t, "attendance-less-one.zip", zip_of(&[("attendance.csv", &fewer)])).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);
    assert_eq!(job.files.keys().collect::<Vec<_>>(), ["attendance.csv"]);
    assert_eq!((job.files["attendance.csv"].deleted, job.files["attendance.csv"].created), (1, 0));
    let record = api.call(Service::Attendance, "getAttendance", &format!("/attendance/{dropped}")).await;
    assert_eq!(record.body["attendance"]["status"], "tobedeleted");
    let active = api.get(&format!("{BASE}/attendance?filter=status%3D'active'&limit=1")).await;
    assert_eq!(active.total_count(), all.len() as u64 - 1);
    let codes = api.get(&format!("{BASE}/absenceCodes?filter=status%3D'active'")).await;
    assert_eq!(codes.total_count(), District::ABSENCE_CODES.len() as u64, "the codes, not in this package, stay");
    assert_eq!(users(&api).await, roster);

    // A roster bulk without attendance files leaves attendance as it is.
    let job = upload(&stack, &t, "roster.zip", bulk_with_attendance(&d, 0)).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);
    assert!(!job.files.contains_key("attendance.csv"));
    let active = api.get(&format!("{BASE}/attendance?filter=status%3D'active'&limit=1")).await;
    assert_eq!(active.total_count(), all.len() as u64 - 1);
}

#[tokio::test]
async fn a_delta_of_attendance_changes_and_tombstones_the_marks_it_names() {
    let (stack, t, api, d) = loaded("attendance-delta").await;
    let (changed, dropped) = (d.daily_attendance_id(0, 0), d.class_attendance_id(1, 0));
    let row = |id: &str| d.attendance(DAYS).find(|r| r.id == id).expect("a row of the bulk");
    let (was, gone) = (row(&changed), row(&dropped));
    let when = "2026-03-03T15:00:00.000Z";
    // Columns matched by name: a delta in its own order, with only what it needs.
    let delta = format!(
        "status,sourcedId,dateLastModified,userSourcedId,classSourcedId,schoolSourcedId,date,absenceCodeSourcedId,comment\n\
         active,{changed},{when},{},,{},{},ac-excused,Note from home\n\
         tobedeleted,{dropped},{when},{},{},{},{},{},\n",
        was.student,
        was.school,
        was.date,
        gone.student,
        gone.class.as_deref().unwrap_or_default(),
        gone.school,
        gone.date,
        gone.absence_code,
    );
    let manifest = district_gen::manifest(&[], &["attendance"]);
    let job = upload(&stack, &t, "delta.zip", zip_of(&[("manifest.csv", &manifest), ("attendance.csv", &delta)])).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);
    let counts = &job.files["attendance.csv"];
    assert_eq!((counts.updated, counts.deleted, counts.created), (1, 1, 0), "{counts:?}");
    let one = api.call(Service::Attendance, "getAttendance", &format!("/attendance/{changed}")).await;
    let mark = &one.body["attendance"];
    assert_eq!((&mark["absenceCode"]["sourcedId"], &mark["comment"]), (&json!("ac-excused"), &json!("Note from home")));
    // Stamped with the import's time, as every change the provider sees.
    assert_eq!(mark["dateLastModified"], json!(job.started));
    let two = api.call(Service::Attendance, "getAttendance", &format!("/attendance/{dropped}")).await;
    assert_eq!(two.body["attendance"]["status"], "tobedeleted");
    // Still under its class and student, marked, as a tombstone is.
    let class = gone.class.as_deref().expect("a class mark");
    let listed = api.get(&format!("{BASE}/classes/{class}/attendance?filter=status%3D'tobedeleted'")).await;
    assert_eq!(listed.ids("attendance"), std::slice::from_ref(&dropped));

    // A delta row without its status is refused where it stands.
    let bare = format!(
        "sourcedId,dateLastModified,userSourcedId,date,absenceCodeSourcedId\n{changed},{when},{},{},ac-absent\n",
        was.student, was.date
    );
    let job =
        upload(&stack, &t, "no-status.zip", zip_of(&[("manifest.csv", &manifest), ("attendance.csv", &bare)])).await;
    assert_eq!(job.state, JobState::Rejected);
    assert!(job.errors.iter().any(|e| e.starts_with("attendance.csv:1 status:")), "{:#?}", job.errors);
    assert_eq!(api.call(Service::Attendance, "getAttendance", &format!("/attendance/{changed}")).await.body, one.body);
}

/// attendance.csv's header, in the order the generator writes it.
const ATTENDANCE_HEADER: &str = "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,date,absenceCodeSourcedId,period,comment";

#[tokio::test]
async fn bad_attendance_files_are_refused_at_their_line_and_column_and_change_nothing() {
    let (stack, t, _api, d) = loaded("attendance-c").await;
    let before = records(&stack, &t).await;
    let (school, student) = (d.school_id(0), d.student_id(0));
    let good = format!("att-new-1,,,,{school},{student},2026-03-10,ac-present,,");
    let with = |bad: &str| format!("{ATTENDANCE_HEADER}\n{good}\natt-new-2,,,,{school},{student},{bad}\n");
    let codes = "sourcedId,status,dateLastModified,title,absent,excused,description\n\
                 ac-field-trip,,,Field trip,false,true,\nac-odd,,,Odd,maybe,,\n";
    let missing_date = format!(
        "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,absenceCodeSourcedId,period,comment\n\
         att-new-1,,,,{school},{student},ac-present,,\n"
    );
    let district_as_school =
        format!("{ATTENDANCE_HEADER}\n{good}\natt-new-2,,,,{},{student},2026-03-10,ac-present,,\n", d.district_id());
    let unknown_student =
        format!("{ATTENDANCE_HEADER}\n{good}\natt-new-2,,,,{school},stu-nobody,2026-03-10,ac-present,,\n");
    // (what, file, its text, line, column, code when the binding's vocabulary makes it certain)
    let cases = [
        (
            "no such code",
            "attendance.csv",
            with("2026-03-10,ac-nope,,"),
            3,
            "absenceCodeSourcedId",
            Some("unknown_reference"),
        ),
        ("30 February", "attendance.csv", with("2026-02-30,ac-present,,"), 3, "date", Some("bad_date")),
        ("a date in US form", "attendance.csv", with("03/02/2026,ac-present,,"), 3, "date", Some("bad_date")),
        ("no such student", "attendance.csv", unknown_student, 3, "userSourcedId", Some("unknown_reference")),
        ("no date column", "attendance.csv", missing_date, 1, "date", None),
        ("absent maybe", "absenceCodes.csv", codes.to_owned(), 3, "absent", Some("bad_boolean")),
        ("a district for a school", "attendance.csv", district_as_school, 3, "schoolSourcedId", Some("wrong_kind")),
    ];
    for (n, (what, file, text, line, column, code)) in cases.into_iter().enumerate() {
        let job = upload(&stack, &t, &format!("bad-{n}.zip"), zip_of(&[(file, &text)])).await;
        assert_eq!(job.state, JobState::Rejected, "{what}: {:#?}", job.errors);
        assert_eq!(job.items_written, 0, "{what}");
        let at = format!("{file}:{line} {column}:");
        assert!(job.errors.iter().any(|e| e.starts_with(&at)), "{what}: no error at {at}: {:#?}", job.errors);
        let report = stack.report(job.report_key.as_deref().expect("a report")).await.expect("the report");
        let diagnostics = report["report"]["errors"].as_array().expect("the report's errors");
        let located = diagnostics.iter().find(|e| e["file"] == file && e["line"] == line && e["column"] == column);
        let located = located.unwrap_or_else(|| panic!("{what}: {diagnostics:#?}"));
        if let Some(code) = code {
            assert_eq!(located["code"], code, "{what}: {located}");
        }
        assert_eq!(records(&stack, &t).await, before, "{what}: a refused upload changes nothing");
    }
}

#[tokio::test]
async fn attendance_columns_are_matched_by_name_in_any_order_the_optional_ones_left_out() {
    let stack = stack().await;
    let t = tenant("attendance-d");
    let d = district();
    let job = upload(&stack, &t, "roster.zip", bulk_with_attendance(&d, 0)).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);
    let student = d.student_id(3);
    let codes = "absent,title,sourcedId\ntrue,Sick,ac-sick\n";
    let marks = format!("date,absenceCodeSourcedId,userSourcedId,sourcedId\n2026-03-04,ac-sick,{student},att-sick-1\n");
    let job =
        upload(&stack, &t, "reordered.zip", zip_of(&[("attendance.csv", &marks), ("absenceCodes.csv", codes)])).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);

    let api = reader(&stack, &t).await;
    let code = api.call(Service::Attendance, "getAbsenceCode", "/absenceCodes/ac-sick").await;
    assert_eq!(
        undated(&code.body["absenceCode"]),
        json!({"sourcedId": "ac-sick", "status": "active", "title": "Sick", "absent": true})
    );
    let mark = api.call(Service::Attendance, "getAttendance", "/attendance/att-sick-1").await;
    assert_eq!(
        undated(&mark.body["attendance"]),
        json!({
            "sourcedId": "att-sick-1",
            "status": "active",
            "student": guid_ref(ROSTERING, "users", "user", &student),
            "date": "2026-03-04",
            "absenceCode": guid_ref(BASE, "absenceCodes", "absenceCode", "ac-sick"),
        })
    );
    let path = format!("/students/{student}/attendance");
    assert_eq!(api.walk_ids(Service::Attendance, "getAttendanceForStudent", &path).await, ["att-sick-1"]);
}

#[tokio::test]
async fn attendance_of_schools_the_district_has_not_licensed_is_left_out() {
    let stack = stack().await;
    let t = tenant("attendance-e");
    e2e::register(&stack, &t).await;
    let d = district();
    let (east, west) = (d.school_id(0), d.school_id(1));
    let change = admin::SettingsChange { licensed_schools: Some(east.clone()), ..Default::default() };
    admin::set_settings(stack.store(), &t, change).await.expect("settings");

    let job = upload(&stack, &t, "bulk.zip", bulk_with_attendance(&d, DAYS)).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);
    let rows: Vec<AttendanceRow> = d.attendance(DAYS).collect();
    let (kept, left): (Vec<&AttendanceRow>, Vec<&AttendanceRow>) = rows.iter().partition(|r| r.school == east);
    assert!(!left.is_empty());
    assert_eq!(job.files["attendance.csv"].left_out, left.len() as u64);
    let api = reader(&stack, &t).await;
    let served = api.walk_ids(Service::Attendance, "getAllAttendance", "/attendance").await;
    assert_eq!(served, ids_of(kept.into_iter()));
    refused(&api.get(&format!("{BASE}/attendance/{}", left[0].id)).await, 404, "unknownobject", "a west mark");
    refused(&api.get(&format!("{BASE}/schools/{west}/attendance")).await, 404, "unknownobject", "the west school");
    let codes = api.get(&format!("{BASE}/absenceCodes")).await;
    assert_eq!(codes.total_count(), District::ABSENCE_CODES.len() as u64, "the codes belong to no school");
}
