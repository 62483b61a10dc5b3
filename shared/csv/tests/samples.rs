//! The CSV binding against the official sample packages (vendored in `tests/samples/`) and
//! against generated districts.

use oneroster_csv::{validate, Code, Limits, Package, Report};
use oneroster_model::Timestamp;
use std::path::PathBuf;

fn sample(name: &str) -> std::fs::File {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/samples").join(name);
    std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn check(name: &str) -> Report {
    let mut report = Report::default();
    let mut package = Package::open(sample(name), &Limits::default(), &mut report).expect("a zip");
    validate(&mut package, Timestamp::now(), &mut report).expect("readable");
    report
}

#[test]
fn the_delta_sample_is_valid_with_a_warning_for_upper_case_booleans() {
    let report = check("oneroster_test_data.zip");
    assert!(report.is_valid(), "{:#?}", report.errors);
    assert!(report.warnings.iter().any(|w| w.contains("upper or mixed case")), "{:?}", report.warnings);
    assert_eq!(report.files.len(), 9);
    assert!(report.files.iter().all(|f| f.mode == "delta" && f.rows == 1), "{:?}", report.files);
}

#[test]
fn the_broken_bulk_sample_is_rejected_with_located_errors() {
    let report = check("v1p2_full_dataset.zip");
    assert!(!report.is_valid());
    let has = |file: &str, column: &str, reason: &str| {
        report
            .errors
            .iter()
            .any(|e| e.file.ends_with(file) && e.column.as_deref() == Some(column) && e.reason.contains(reason))
    };
    assert!(has("orgs.csv", "status", "must be blank in a bulk file"), "{:#?}", report.errors);
    assert!(has("classes.csv", "classType", "'Scheduled' is not one of"), "{:#?}", report.errors);
    assert!(has("users.csv", "preferredGivenName", "found 'prefferedGivenName'"), "{:#?}", report.errors);
    assert!(report.errors.iter().filter(|e| e.line.is_some()).all(|e| e.line >= Some(1)));
    let first_data_error = report.errors.iter().find(|e| e.file == "orgs.csv").expect("an orgs.csv error");
    assert_eq!(first_data_error.line, Some(2), "data rows start on line 2");
    assert!(report.warnings.iter().any(|w| w.contains("userprofiles.csv: file name taken as userProfiles.csv")));
    assert!(report.errors.iter().all(|e| !e.file.is_empty()));
    assert!(
        report.errors.iter().any(|e| e.reason.contains("YYYY-MM-DD") || e.reason.contains("must be")),
        "{:#?}",
        report.errors
    );
}

type Located = (String, Option<u64>, Option<String>, Code);

fn located(report: &Report) -> Vec<Located> {
    report.errors.iter().map(|e| (e.file.clone(), e.line, e.column.clone(), e.code)).collect()
}

fn at(file: &str, line: u64, column: &str, code: Code) -> Located {
    (file.to_owned(), Some(line), Some(column.to_owned()), code)
}

/// A bulk row that fills `status` and `dateLastModified`, which the binding reserves for delta.
fn delta_columns_in_bulk(file: &str, lines: std::ops::RangeInclusive<u64>) -> Vec<Located> {
    lines
        .flat_map(|line| {
            [at(file, line, "status", Code::NotInBulk), at(file, line, "dateLastModified", Code::NotInBulk)]
        })
        .collect()
}

/// The full 1.1 sample declares every file bulk yet fills `status` and `dateLastModified` as a
/// delta does (one row `inactive`, dates bare or full); its classes.csv spells `Scheduled` with
/// a capital and gives two subject codes for three subjects. Rows with errors define nothing,
/// so the one clean user's org and agent are then unknown.
#[test]
fn the_full_one_point_one_sample_is_read_as_1p1_and_rejected_with_its_errors_located() {
    let report = check("Test_full_data_set.zip");
    assert_eq!(report.version.as_deref(), Some("1.1"));
    let mut expected = delta_columns_in_bulk("orgs.csv", 2..=2);
    expected.extend(delta_columns_in_bulk("academicSessions.csv", 2..=6));
    expected.extend(delta_columns_in_bulk("classes.csv", 2..=2));
    expected.push(at("classes.csv", 2, "classType", Code::BadValue));
    expected.push(at("classes.csv", 2, "subjectCodes", Code::BadValue));
    expected.extend(delta_columns_in_bulk("classes.csv", 3..=3));
    expected.extend(delta_columns_in_bulk("users.csv", 2..=2));
    expected.push(at("users.csv", 3, "orgSourcedIds", Code::UnknownReference));
    expected.extend(delta_columns_in_bulk("users.csv", 4..=7));
    expected.push(at("users.csv", 3, "agentSourcedIds", Code::UnknownReference));
    expected.extend(delta_columns_in_bulk("enrollments.csv", 2..=7));
    assert_eq!(located(&report), expected, "{:#?}", report.errors);
    let reason = |line, column: &str| {
        let found = report.errors.iter().find(|e| e.line == Some(line) && e.column.as_deref() == Some(column));
        found.map(|e| e.reason.as_str()).unwrap_or_default()
    };
    assert_eq!(reason(2, "classType"), "'Scheduled' is not one of {homeroom | scheduled} or an ext: term");
    assert_eq!(reason(2, "subjectCodes"), "2 subject codes for 3 subjects; the lists must be parallel");
    assert!(report
        .warnings
        .iter()
        .any(|w| w.starts_with("users.csv (OneRoster 1.1, 6 rows): role and orgSourcedIds became roles")));
    assert_eq!(
        report.conversions.iter().map(|c| (c.file.as_str(), c.rows)).collect::<Vec<_>>(),
        [("orgs.csv", 1), ("academicSessions.csv", 5), ("classes.csv", 2), ("users.csv", 6), ("enrollments.csv", 6)]
    );
}

/// The minimal 1.1 sample is a proper bulk package but for `Scheduled` and an org of type
/// department that its classes and enrollments name as their school; its classes' courses are
/// in no courses.csv, left for the store to hold.
#[test]
fn the_minimal_one_point_one_sample_is_read_as_1p1_and_rejected_with_its_errors_located() {
    let mut report = Report::default();
    let mut package =
        Package::open(sample("Test_minimal_data_set.zip"), &Limits::default(), &mut report).expect("a zip");
    let validation = validate(&mut package, Timestamp::now(), &mut report).expect("readable");
    let mut expected = vec![
        at("classes.csv", 2, "classType", Code::BadValue),
        at("classes.csv", 3, "schoolSourcedId", Code::WrongKind),
    ];
    for line in 2..=7 {
        if line <= 4 {
            expected.push(at("enrollments.csv", line, "classSourcedId", Code::UnknownReference));
        }
        expected.push(at("enrollments.csv", line, "schoolSourcedId", Code::WrongKind));
    }
    assert_eq!(located(&report), expected, "{:#?}", report.errors);
    assert!(report
        .errors
        .iter()
        .all(|e| e.code != Code::WrongKind || e.reason == "'org-sch-222-456' is not an org of type school"));
    let stored: Vec<(&str, Option<&str>)> =
        validation.stored_references.iter().map(|r| (r.id.as_str(), r.at.column.as_deref())).collect();
    assert_eq!(stored, [("crs-222-2023-456-23456", Some("courseSourcedId"))]);
}

fn generated(students: usize) -> (district_gen::District, tempfile::NamedTempFile) {
    let district = district_gen::District::new(students);
    let file = tempfile::NamedTempFile::new().expect("a temporary file");
    district.write_bulk(file.reopen().expect("the temporary file")).expect("generate");
    (district, file)
}

#[test]
fn a_generated_district_is_valid_and_every_row_maps() {
    let (_, file) = generated(600);
    let mut report = Report::default();
    let mut package =
        Package::open(file.reopen().expect("the temporary file"), &Limits::default(), &mut report).expect("a zip");
    let validation = validate(&mut package, Timestamp::now(), &mut report).expect("readable");
    assert!(report.is_valid(), "{:#?}", report.errors);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert!(validation.stored_references.is_empty());
    let mut mapped = 0;
    oneroster_csv::read_rows(
        &mut package,
        oneroster_csv::FileKind::Enrollments,
        Timestamp::now(),
        &mut report,
        |_, _, _| mapped += 1,
    )
    .expect("readable");
    assert_eq!(Some(&mapped), validation.rows.get(&oneroster_csv::FileKind::Enrollments));
}

#[test]
fn a_delta_names_stored_records_for_the_store_to_check() {
    let district = district_gen::District::new(100);
    let file = tempfile::NamedTempFile::new().expect("a temporary file");
    district.write_delta(file.reopen().expect("the temporary file"), 3, "2026-11-25T00:00:00.000Z").expect("generate");
    let mut report = Report::default();
    let mut package =
        Package::open(file.reopen().expect("the temporary file"), &Limits::default(), &mut report).expect("a zip");
    let validation = validate(&mut package, Timestamp::now(), &mut report).expect("readable");
    assert!(report.is_valid(), "{:#?}", report.errors);
    let ids: Vec<&str> = validation.stored_references.iter().map(|r| r.id.as_str()).collect();
    assert!(ids.contains(&"sch-0000") && ids.contains(&"cls-0000-0000"), "{ids:?}");
    assert!(!ids.contains(&district.newcomer_id().as_str()), "the newcomer is defined in the package");
}

#[test]
fn a_generated_1p1_district_is_valid_and_each_user_has_its_role_in_its_org() {
    let district = district_gen::District { line_items_per_class: 2, ..district_gen::District::new(600) };
    let file = tempfile::NamedTempFile::new().expect("a temporary file");
    district.write_bulk_as(file.reopen().expect("the file"), district_gen::Binding::V1p1).expect("generate");
    let mut report = Report::default();
    let mut package = Package::open(file.reopen().expect("the file"), &Limits::default(), &mut report).expect("a zip");
    assert_eq!(package.version(), oneroster_csv::Version::V1p1);
    let validation = validate(&mut package, Timestamp::now(), &mut report).expect("readable");
    assert!(report.is_valid(), "{:#?}", report.errors);
    assert!(validation.stored_references.is_empty());
    assert_eq!(report.conversions.len(), 13, "{:?}", report.conversions);
    let mut roles = Vec::new();
    oneroster_csv::read_rows(
        &mut package,
        oneroster_csv::FileKind::Users,
        Timestamp::now(),
        &mut report,
        |row, _, _| {
            if let oneroster_csv::Row::Record(oneroster_model::Record::User(user)) = row {
                roles.extend(user.roles.iter().map(|r| {
                    (user.base.sourced_id.to_string(), r.role.as_str().to_owned(), r.org.sourced_id.to_string())
                }));
            }
        },
    )
    .expect("readable");
    assert_eq!(roles.len(), district.students + district.teachers + district.parents);
    assert!(roles.contains(&(district.parent_id(0), "parent".into(), district.district_id())));
    assert!(roles.contains(&(
        district.teacher_id(1),
        "teacher".into(),
        district.school_id(district.school_of_teacher(1))
    )));

    let delta = tempfile::NamedTempFile::new().expect("a temporary file");
    district
        .write_delta_as(delta.reopen().expect("the file"), 3, "2026-11-25", district_gen::Binding::V1p1)
        .expect("generate");
    let mut report = Report::default();
    let mut package = Package::open(delta.reopen().expect("the file"), &Limits::default(), &mut report).expect("a zip");
    validate(&mut package, Timestamp::now(), &mut report).expect("readable");
    assert!(report.is_valid(), "{:#?}", report.errors);
    assert_eq!(
        report.files.iter().map(|f| (f.file.as_str(), f.rows)).collect::<Vec<_>>(),
        [("users.csv", 4), ("enrollments.csv", 2), ("classResources.csv", 1)]
    );
}
