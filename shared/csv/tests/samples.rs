//! The CSV binding against the official sample packages (vendored in `tests/samples/`) and
//! against generated districts.

use oneroster_csv::{validate, Limits, Package, Report};
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

#[test]
fn the_one_point_one_samples_are_rejected() {
    for name in ["Test_full_data_set.zip", "Test_minimal_data_set.zip"] {
        let report = check(name);
        assert!(!report.is_valid(), "{name}");
        assert!(report.errors.iter().any(|e| e.file == "manifest.csv"), "{name}: {:#?}", report.errors);
    }
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
