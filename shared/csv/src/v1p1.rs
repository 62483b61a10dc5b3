//! OneRoster 1.1 CSV packages (`V1P1-NOTES.md` §6), read by the 1.2 reading: a 1.1 file's
//! header, and what becomes of its columns in the stored 1.2 record. Records are stored once,
//! in the 1.2 shape, so a 1.1 row is mapped by the 1.2 row mappers (`rows`), which ask this
//! module only where 1.1 differs: a user's `role` and `orgSourcedIds` (its 1.2 `roles`), a line
//! item's `gradingPeriodSourcedId` and its `school` (its class's), the role and status
//! vocabularies (`oneroster_model::v1p1`).
//!
//! Nine of the thirteen 1.1 files have 1.2's header; `users.csv`, `lineItems.csv`,
//! `categories.csv` and `results.csv` differ, and tell a package without a manifest apart.

use crate::fields::RowReader;
use crate::package::{FileKind, Package, PackageError};
use crate::report::{quote, quoting, Code};
use oneroster_model::entities::{GuidRef, Role};
use oneroster_model::v1p1::role_from_v1p1;
use oneroster_model::vocab::{OrgType, RoleType};
use oneroster_model::{Collection, Record, SourcedId};
use std::collections::{BTreeSet, HashMap};
use std::io::BufRead;

/// The files of the 1.1 binding, in apply order; 1.2's others (roles, user profiles, user
/// resources, score scales, the learning objective and score scale part files) are 1.2's own.
/// The OneRoster+ attendance files come beside either version (Kinvolved's take 1.1 packages).
pub const FILES: [FileKind; 15] = [
    FileKind::Orgs,
    FileKind::AcademicSessions,
    FileKind::Courses,
    FileKind::Classes,
    FileKind::Users,
    FileKind::Enrollments,
    FileKind::Demographics,
    FileKind::Resources,
    FileKind::ClassResources,
    FileKind::CourseResources,
    FileKind::Categories,
    FileKind::LineItems,
    FileKind::Results,
    FileKind::AbsenceCodes,
    FileKind::Attendance,
];

/// The exact 1.1 header of `kind` (§6.2), which is 1.2's but for four files.
pub fn columns(kind: FileKind) -> &'static [&'static str] {
    match kind {
        FileKind::Users => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "enabledUser",
            "orgSourcedIds",
            "role",
            "username",
            "userIds",
            "givenName",
            "familyName",
            "middleName",
            "identifier",
            "email",
            "sms",
            "phone",
            "agentSourcedIds",
            "grades",
            "password",
        ],
        FileKind::LineItems => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "title",
            "description",
            "assignDate",
            "dueDate",
            "classSourcedId",
            "categorySourcedId",
            "gradingPeriodSourcedId",
            "resultValueMin",
            "resultValueMax",
        ],
        FileKind::Categories => &["sourcedId", "status", "dateLastModified", "title"],
        FileKind::Results => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "lineItemSourcedId",
            "studentSourcedId",
            "scoreStatus",
            "score",
            "scoreDate",
            "comment",
        ],
        other => crate::rows::columns(other),
    }
}

/// Whether the header row of `kind` is 1.1's rather than 1.2's, for the files whose headers
/// differ (`None` for the others, which cannot tell): how a package without a manifest is
/// recognised (a 1.1 `users.csv` has `role` and `orgSourcedIds`, …).
pub fn is_v1p1_header(kind: FileKind, header: &[&str]) -> Option<bool> {
    let has = |column: &str| header.contains(&column);
    match kind {
        FileKind::Users => Some(has("orgSourcedIds") || has("role")),
        FileKind::LineItems => Some(has("gradingPeriodSourcedId")),
        FileKind::Categories => Some(has("title") && !has("weight")),
        FileKind::Results => Some(has("scoreStatus") && !has("textScore") && !has("classSourcedId")),
        _ => None,
    }
}

/// The 1.1 column of `kind` that a 1.2 record's reference came from, for diagnostics that
/// must name the column of the 1.1 file: a user's `primaryOrg` is its first `orgSourcedIds`,
/// a line item's `academicSession` its `gradingPeriodSourcedId` and its `school` its class's.
pub fn column(kind: FileKind, column_1p2: &'static str) -> &'static str {
    match (kind, column_1p2) {
        (FileKind::Users, "primaryOrgSourcedId") => "orgSourcedIds",
        (FileKind::LineItems, "academicSessionSourcedId") => "gradingPeriodSourcedId",
        (FileKind::LineItems, "schoolSourcedId") => "classSourcedId",
        (_, other) => other,
    }
}

/// What becomes of a 1.1 file's columns in the stored 1.2 records, as the job report says it
/// (§6.3); every file also takes `inactive` as `tobedeleted` and a bare date as
/// `dateLastModified`.
pub fn conversions(kind: FileKind) -> &'static [&'static str] {
    match kind {
        FileKind::Users => &[
            "role and orgSourcedIds became roles: one per org, the first primary and the rest secondary, \
             administrator as siteAdministrator in a school and districtAdministrator elsewhere",
            "the first of orgSourcedIds became primaryOrg",
        ],
        FileKind::Enrollments => &["role aide, guardian, parent and relative became ext:aide, ext:guardian, …"],
        FileKind::LineItems => {
            &["gradingPeriodSourcedId became academicSession", "school was taken from the line item's class"]
        }
        FileKind::Categories => &["weight left empty (1.1 has none)"],
        FileKind::Results => &["textScore, class, inProgress, incomplete, late and missing left empty (1.1 has none)"],
        _ => &[],
    }
}

/// What a 1.1 row must know of other records to become a 1.2 record: which orgs are schools
/// (an `administrator` is a site or a district administrator by the org) and each class's
/// school (a 1.2 line item's `school`). Taken from the package's `orgs.csv` and `classes.csv`,
/// then from the stored records the ingest reads for the rest ([`Context::learn`]). It keeps a
/// few dozen bytes per org and class, never per user or line item.
#[derive(Debug, Default, Clone)]
pub(crate) struct Context {
    /// Whether each known org is of type school.
    schools: HashMap<String, bool>,
    /// The school of each known class.
    class_schools: HashMap<String, SourcedId>,
}

/// Reads the rows of `kind` in `package` as plain cells (no checks: validation reports what is
/// wrong), handing `each` the cells of the `wanted` columns; a file unreadable past a point
/// ends there.
fn cells<const N: usize>(
    package: &mut Package,
    kind: FileKind,
    wanted: [&str; N],
    mut each: impl FnMut([&str; N]),
) -> Result<(), PackageError> {
    package.with_file(kind, |text: &mut dyn BufRead, _| {
        let mut csv = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text);
        let mut record = csv::StringRecord::new();
        if !matches!(csv.read_record(&mut record), Ok(true)) {
            return;
        }
        let places = wanted.map(|name| record.iter().position(|column| column == name));
        while let Ok(true) = csv.read_record(&mut record) {
            each(places.map(|at| at.and_then(|at| record.get(at)).unwrap_or("")));
        }
    })?;
    Ok(())
}

impl Context {
    /// What the package's own `orgs.csv` and `classes.csv` say.
    pub(crate) fn read(package: &mut Package) -> Result<Self, PackageError> {
        let mut context = Context::default();
        cells(package, FileKind::Orgs, ["sourcedId", "type"], |[id, org_type]| {
            context.schools.insert(id.to_owned(), org_type == "school");
        })?;
        cells(package, FileKind::Classes, ["sourcedId", "schoolSourcedId"], |[id, school]| {
            if let Ok(school) = SourcedId::parse(school) {
                context.class_schools.insert(id.to_owned(), school);
            }
        })?;
        Ok(context)
    }

    /// The stored records the package's rows need but do not hold: the orgs of its
    /// administrators and the classes of its line items that are not in the package.
    pub(crate) fn wanted(&self, package: &mut Package) -> Result<Vec<(Collection, String)>, PackageError> {
        let mut wanted = BTreeSet::new();
        cells(package, FileKind::Users, ["orgSourcedIds", "role"], |[orgs, role]| {
            if role == "administrator" {
                for org in orgs.split(',').map(str::trim).filter(|o| !o.is_empty()) {
                    if !self.schools.contains_key(org) {
                        wanted.insert((Collection::Orgs, org.to_owned()));
                    }
                }
            }
        })?;
        cells(package, FileKind::LineItems, ["classSourcedId"], |[class]| {
            if !class.is_empty() && !self.class_schools.contains_key(class) {
                wanted.insert((Collection::Classes, class.to_owned()));
            }
        })?;
        Ok(wanted.into_iter().collect())
    }

    /// Learns what stored records say (the orgs and classes [`Context::wanted`] named).
    pub(crate) fn learn<'r>(&mut self, records: impl IntoIterator<Item = &'r Record>) {
        for record in records {
            match record {
                Record::Org(org) => {
                    let id = org.base.sourced_id.to_string();
                    self.schools.entry(id).or_insert(org.org_type == OrgType::School);
                }
                Record::Class(class) => {
                    let id = class.base.sourced_id.to_string();
                    self.class_schools.entry(id).or_insert_with(|| class.school.sourced_id.clone());
                }
                _ => {}
            }
        }
    }

    /// Takes what `other` knows and this does not (the package's rows keep precedence over
    /// what stored records say).
    pub(crate) fn learn_from(&mut self, other: &Context) {
        for (org, school) in &other.schools {
            self.schools.entry(org.clone()).or_insert(*school);
        }
        for (class, school) in &other.class_schools {
            self.class_schools.entry(class.clone()).or_insert_with(|| school.clone());
        }
    }

    /// A 1.1 user's `roles` and `primaryOrg` from its `role` and `orgSourcedIds` (§6.3): one
    /// role per org, the first org's primary and its `primaryOrg`, the others secondary; an
    /// `administrator` is a site administrator in a school and a district administrator in any
    /// other org, or in an org of unknown type (neither in the package nor stored).
    pub(crate) fn roles(&self, row: &mut RowReader<'_>) -> (Vec<Role>, Option<GuidRef>) {
        let orgs = row.references("orgSourcedIds", Collection::Orgs, true);
        let Some(role) = row.required("role") else { return (Vec::new(), orgs.first().cloned()) };
        if let Err(e) = role_from_v1p1(role, None) {
            row.fail("role", Code::BadValue, quoting(e.to_string(), role));
            return (Vec::new(), orgs.first().cloned());
        }
        let mut roles: Vec<Role> = Vec::with_capacity(orgs.len());
        for org in &orgs {
            if roles.iter().any(|held| held.org == *org) {
                let reason = format!("{} is listed twice; a user has one role per org", quote(org.sourced_id.as_str()));
                row.fail("orgSourcedIds", Code::BadValue, reason);
                continue;
            }
            let school = self.schools.get(org.sourced_id.as_str()).copied().unwrap_or(false);
            let Ok(name) = role_from_v1p1(role, school.then_some(&OrgType::School)) else { continue };
            roles.push(Role {
                role_type: if roles.is_empty() { RoleType::Primary } else { RoleType::Secondary },
                role: name,
                org: org.clone(),
                user_profile: None,
                begin_date: None,
                end_date: None,
            });
        }
        (roles, orgs.first().cloned())
    }

    /// A 1.1 line item's `school`: its class's, from the package or the stored class; a class
    /// known to neither is an error on the class's column.
    pub(crate) fn school_of(&self, row: &mut RowReader<'_>, class: &GuidRef) -> Option<GuidRef> {
        match self.class_schools.get(class.sourced_id.as_str()) {
            Some(school) => Some(GuidRef::to(Collection::Orgs, school.clone())),
            None => {
                row.fail(
                    "classSourcedId",
                    Code::UnknownReference,
                    format!(
                        "{} is neither in classes.csv nor among the stored classes (a 1.2 line item takes its class's school)",
                        quote(class.sourced_id.as_str())
                    ),
                );
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{read_rows, validate, Limits, Mode, Report, Row, Version};
    use oneroster_model::entities::{Category, Enrollment, GradebookResult, LineItem, User};
    use oneroster_model::vocab::{EnrollmentRole, Flag, RoleName};
    use oneroster_model::{Status, Timestamp};

    fn zip_file(files: &[(&str, &str)]) -> std::fs::File {
        let files: Vec<(&str, &[u8])> = files.iter().map(|(name, text)| (*name, text.as_bytes())).collect();
        crate::package::tests::zip_file(&files)
    }

    fn opened(files: &[(&str, &str)]) -> (Package, Report) {
        let mut report = Report::default();
        let package = Package::open(zip_file(files), &Limits::default(), &mut report).unwrap();
        (package, report)
    }

    /// The package validated, and the rows of `kind` as mapped.
    fn mapped(files: &[(&str, &str)], kind: FileKind) -> (Report, Vec<Row>) {
        let (mut package, mut report) = opened(files);
        validate(&mut package, Timestamp::now(), &mut report).unwrap();
        let mut rows = Vec::new();
        read_rows(&mut package, kind, Timestamp::now(), &mut Report::default(), |row, _, _| rows.push(row)).unwrap();
        (report, rows)
    }

    fn errors(report: &Report) -> Vec<(String, Option<u64>, Option<String>, Code)> {
        report.errors.iter().map(|e| (e.file.clone(), e.line, e.column.clone(), e.code)).collect()
    }

    fn at(file: &str, line: u64, column: &str, code: Code) -> (String, Option<u64>, Option<String>, Code) {
        (file.to_owned(), Some(line), Some(column.to_owned()), code)
    }

    fn manifest(files: &[(&str, &str)]) -> String {
        let mut text = String::from("propertyName,value\nmainfest.version,1.0\noneroster.version,1.1\n");
        for (file, mode) in files {
            text.push_str(&format!("file.{file},{mode}\n"));
        }
        text + "source.systemName,absent\nsource.systemCode,absent\n"
    }

    const ORGS: &str = "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\n\
                        d-1,,,District,district,,\ns-1,,,School,school,,d-1\n";
    const USERS: &str = "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password";
    const USERS_1P2: &str = "sourcedId,status,dateLastModified,enabledUser,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password,userMasterIdentifier,preferredGivenName,preferredMiddleName,preferredFamilyName,primaryOrgSourcedId,pronouns";
    const CLASSES: &str = "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods\n\
                           k-1,,,K,,c-1,,scheduled,,s-1,t-1,,,\n";

    #[test]
    fn a_manifest_of_version_1p1_is_read_as_1p1_with_its_misspellings_tolerated() {
        let (package, report) = opened(&[("manifest.csv", &manifest(&[("orgs", "bulk")])), ("orgs.csv", ORGS)]);
        assert_eq!(package.version(), Version::V1p1);
        assert!(report.is_valid(), "{:#?}", report.errors);
        assert_eq!(report.version.as_deref(), Some("1.1"));
        assert!(report.warnings.iter().any(|w| w.contains("mainfest.version taken as manifest.version")));
    }

    #[test]
    fn a_1p1_package_holds_only_1p1_files() {
        let roles = "sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,endDate,orgSourcedId,userProfileSourcedId\n";
        let text = manifest(&[("orgs", "bulk"), ("roles", "bulk")]);
        let (package, report) = opened(&[("manifest.csv", &text), ("orgs.csv", ORGS), ("roles.csv", roles)]);
        assert_eq!(package.files().map(|(kind, _, _)| kind).collect::<Vec<_>>(), [FileKind::Orgs]);
        assert!(report.warnings.iter().any(|w| w == "roles.csv: not a file of the OneRoster 1.1 CSV binding; ignored"));
        assert_eq!(report.errors.len(), 1, "{:#?}", report.errors);
        assert_eq!((report.errors[0].column.as_deref(), report.errors[0].code), (Some("file.roles"), Code::Manifest));
    }

    #[test]
    fn without_a_manifest_the_headers_tell_1p1_from_1p2_and_neither_is_1p2() {
        let users = format!("{USERS}\nu-1,,,true,s-1,student,u1,,A,B,,,,,,,,\n");
        let (package, report) = opened(&[("orgs.csv", ORGS), ("users.csv", &users)]);
        assert_eq!(package.version(), Version::V1p1);
        assert!(report
            .warnings
            .iter()
            .any(|w| w == "no manifest.csv: taken as OneRoster 1.1 by the header of users.csv"));
        let items = "sourcedId,status,dateLastModified,title,description,assignDate,dueDate,classSourcedId,categorySourcedId,gradingPeriodSourcedId,resultValueMin,resultValueMax\n";
        assert_eq!(opened(&[("lineItems.csv", items)]).0.version(), Version::V1p1);
        let users = format!("{USERS_1P2}\nu-1,,,true,u1,,A,B,,,,,,,,,,,,,s-1,\n");
        assert_eq!(opened(&[("orgs.csv", ORGS), ("users.csv", &users)]).0.version(), Version::V1p2);
        let (package, report) = opened(&[("orgs.csv", ORGS)]);
        assert_eq!(package.version(), Version::V1p2, "orgs.csv is the same in both: read as 1.2");
        assert_eq!(report.version.as_deref(), Some("1.2"));
    }

    fn users_of(rows: &[Row]) -> Vec<&User> {
        rows.iter().filter_map(|row| if let Row::Record(Record::User(u)) = row { Some(u) } else { None }).collect()
    }

    fn roles(user: &User) -> Vec<(&str, &str, &str)> {
        user.roles.iter().map(|r| (r.role_type.as_str(), r.role.as_str(), r.org.sourced_id.as_str())).collect()
    }

    #[test]
    fn a_users_role_and_orgs_become_one_role_per_org_the_first_primary() {
        let users = format!(
            "{USERS}\n\
             a-1,,,TRUE,\"s-1,d-1\",administrator,a1,{{LDAP:7}},A,B,,,,,,,,\n\
             a-2,,,true,x-9,administrator,a2,,A,B,,,,,,,,\n\
             t-1,,,true,s-1,teacher,t1,,T,B,,,t@x.org,,,a-1,\"09,10\",pw\n"
        );
        let (report, rows) = mapped(&[("orgs.csv", ORGS), ("users.csv", &users)], FileKind::Users);
        // x-9 is in neither the package nor (here) the store.
        assert_eq!(errors(&report), [at("users.csv", 3, "orgSourcedIds", Code::UnknownReference)]);
        let users = users_of(&rows);
        assert_eq!(
            roles(users[0]),
            [("primary", "siteAdministrator", "s-1"), ("secondary", "districtAdministrator", "d-1")]
        );
        assert_eq!(users[0].primary_org.as_ref().map(|o| o.sourced_id.as_str()), Some("s-1"));
        assert_eq!(users[0].user_ids[0].identifier, "7");
        assert_eq!(roles(users[1]), [("primary", "districtAdministrator", "x-9")], "an org of unknown type");
        assert_eq!(roles(users[2]), [("primary", "teacher", "s-1")]);
        assert_eq!((users[2].grades.len(), users[2].password.as_deref()), (2, Some("pw")));
        assert_eq!(users[2].agents[0].sourced_id.as_str(), "a-1");
        assert!(users[2].preferred_first_name.is_none() && users[2].user_master_identifier.is_none());
    }

    #[test]
    fn an_administrators_stored_org_gives_its_type() {
        let users = format!("{USERS}\na-2,,,true,x-9,administrator,a2,,A,B,,,,,,,,\n");
        let (mut package, _) = opened(&[("users.csv", &users)]);
        assert_eq!(package.v1p1_wanted().unwrap(), [(Collection::Orgs, "x-9".to_owned())]);
        let stored = Record::from_json(
            Collection::Orgs,
            r#"{"sourcedId":"x-9","status":"active","dateLastModified":"2026-01-01T00:00:00.000Z","name":"X","type":"school","identifier":""}"#,
        )
        .unwrap();
        package.learn([&stored]);
        let mut rows = Vec::new();
        read_rows(&mut package, FileKind::Users, Timestamp::now(), &mut Report::default(), |row, _, _| rows.push(row))
            .unwrap();
        assert_eq!(roles(users_of(&rows)[0]), [("primary", "siteAdministrator", "x-9")]);
    }

    #[test]
    fn a_users_bad_role_or_repeated_org_is_an_error_on_its_1p1_column() {
        let users = format!("{USERS}\nu-1,,,true,s-1,counselor,u1,,A,B,,,,,,,,\nu-2,,,true,\"s-1,s-1\",student,u2,,A,B,,,,,,,,\nu-3,,,true,,student,u3,,A,B,,,,,,,,\n");
        let (report, rows) = mapped(&[("orgs.csv", ORGS), ("users.csv", &users)], FileKind::Users);
        assert_eq!(
            errors(&report),
            [
                at("users.csv", 2, "role", Code::BadValue),
                at("users.csv", 3, "orgSourcedIds", Code::BadValue),
                at("users.csv", 4, "orgSourcedIds", Code::Required),
            ]
        );
        assert!(report.errors[0].reason.contains("administrator | aide"), "{}", report.errors[0].reason);
        assert!(rows.is_empty());
    }

    #[test]
    fn enrollment_roles_1p2_lacks_are_kept_as_ext_terms() {
        let users = format!("{USERS}\nu-1,,,true,s-1,aide,u1,,A,B,,,,,,,,\n");
        let enrollments = "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate\n\
                           e-1,,,k-1,s-1,u-1,aide,FALSE,,\ne-2,,,k-1,s-1,u-1,observer,,,\n";
        let files =
            [("orgs.csv", ORGS), ("classes.csv", CLASSES), ("users.csv", &users), ("enrollments.csv", enrollments)];
        let (report, rows) = mapped(&files, FileKind::Enrollments);
        assert_eq!(errors(&report), [at("enrollments.csv", 3, "role", Code::BadValue)], "{:#?}", report.errors);
        let Row::Record(Record::Enrollment(Enrollment { role, primary, .. })) = &rows[0] else { panic!("{rows:?}") };
        assert_eq!((role, primary), (&EnrollmentRole::Ext("ext:aide".into()), &Some(Flag::False)));
        assert_eq!(roles(users_of(&mapped(&files, FileKind::Users).1)[0]), [("primary", "aide", "s-1")]);
        assert_eq!(RoleName::parse("aide"), Ok(RoleName::Aide));
    }

    const ITEMS: &str = "sourcedId,status,dateLastModified,title,description,assignDate,dueDate,classSourcedId,categorySourcedId,gradingPeriodSourcedId,resultValueMin,resultValueMax";

    #[test]
    fn a_line_items_grading_period_is_its_session_and_its_school_its_classes() {
        let categories = "sourcedId,status,dateLastModified,title\ng-1,,,Homework\n";
        let items = format!("{ITEMS}\nl-1,,,Essay,,2025-09-01,2025-09-15,k-1,g-1,t-1,0,100\nl-2,,,Quiz,,2025-09-01,2025-09-15,k-9,g-1,t-1,,\n");
        let results = "sourcedId,status,dateLastModified,lineItemSourcedId,studentSourcedId,scoreStatus,score,scoreDate,comment\n\
                       r-1,,,l-1,u-1,fully graded,93,2025-09-16,Good\n";
        let users = format!("{USERS}\nu-1,,,true,s-1,student,u1,,A,B,,,,,,,,\n");
        let sessions = "sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,schoolYear\nt-1,,,T,term,2025-08-01,2026-01-30,,2026\n";
        let files = [
            ("orgs.csv", ORGS),
            ("academicSessions.csv", sessions),
            ("classes.csv", CLASSES),
            ("users.csv", users.as_str()),
            ("categories.csv", categories),
            ("lineItems.csv", &items),
            ("results.csv", results),
        ];
        let (report, rows) = mapped(&files, FileKind::LineItems);
        // Classes are stored references here (courses.csv absent): k-9 names none.
        assert_eq!(errors(&report), [at("lineItems.csv", 3, "classSourcedId", Code::UnknownReference)]);
        assert!(report.errors[0].reason.contains("takes its class's school"), "{}", report.errors[0].reason);
        let Row::Record(Record::LineItem(LineItem { academic_session, school, result_value_max, .. })) = &rows[0]
        else {
            panic!("{rows:?}")
        };
        assert_eq!(academic_session.as_ref().map(|s| s.sourced_id.as_str()), Some("t-1"));
        assert_eq!((school.sourced_id.as_str(), *result_value_max), ("s-1", Some(100.0)));
        let (_, rows) = mapped(&files, FileKind::Categories);
        assert!(matches!(&rows[0], Row::Record(Record::Category(Category { weight: None, .. }))), "{rows:?}");
        let (_, rows) = mapped(&files, FileKind::Results);
        let Row::Record(Record::Result(GradebookResult { score, class, text_score, late, .. })) = &rows[0] else {
            panic!("{rows:?}")
        };
        assert_eq!((*score, class, text_score, late), (Some(93.0), &None, &None, &None));
        assert!(report.conversions.iter().any(|c| c.file == "lineItems.csv"
            && c.rows == 2
            && c.changes.contains(&"gradingPeriodSourcedId became academicSession".to_owned())));
    }

    #[test]
    fn a_line_items_stored_class_gives_its_school() {
        let items = format!("{ITEMS}\nl-1,active,2025-09-01,Essay,,2025-09-01,2025-09-15,k-7,g-1,t-1,0,100\n");
        let text = manifest(&[("lineItems", "delta")]);
        let (mut package, _) = opened(&[("manifest.csv", &text), ("lineItems.csv", &items)]);
        assert_eq!(package.v1p1_wanted().unwrap(), [(Collection::Classes, "k-7".to_owned())]);
        let stored = Record::from_json(
            Collection::Classes,
            r#"{"sourcedId":"k-7","status":"active","dateLastModified":"2026-01-01T00:00:00.000Z","title":"K","classType":"scheduled","course":{"sourcedId":"c-1","type":"course"},"school":{"sourcedId":"s-7","type":"org"},"terms":[{"sourcedId":"t-1","type":"academicSession"}]}"#,
        )
        .unwrap();
        package.learn([&stored]);
        let mut report = Report::default();
        let validation = validate(&mut package, Timestamp::now(), &mut report).unwrap();
        assert!(report.is_valid(), "{:#?}", report.errors);
        let school = validation.stored_references.iter().find(|r| r.id == "s-7").expect("the school is checked");
        assert_eq!(school.at.column.as_deref(), Some("classSourcedId"), "named by the 1.1 column");
        let session = validation.stored_references.iter().find(|r| r.id == "t-1").expect("the session is checked");
        assert_eq!(session.at.column.as_deref(), Some("gradingPeriodSourcedId"));
        let mut rows = Vec::new();
        read_rows(&mut package, FileKind::LineItems, Timestamp::now(), &mut report, |row, _, _| rows.push(row))
            .unwrap();
        let Row::Record(Record::LineItem(item)) = &rows[0] else { panic!("{rows:?}") };
        assert_eq!(item.school.sourced_id.as_str(), "s-7");
        assert_eq!(item.base.date_last_modified, Timestamp::parse("2025-09-01T00:00:00.000Z").unwrap(), "a bare date");
        // In a district in New York, the day starts there.
        package.set_timezone(oneroster_model::Timezone::parse("America/New_York").unwrap());
        let mut rows = Vec::new();
        read_rows(&mut package, FileKind::LineItems, Timestamp::now(), &mut report, |row, _, _| rows.push(row))
            .unwrap();
        let Row::Record(Record::LineItem(item)) = &rows[0] else { panic!("{rows:?}") };
        assert_eq!(item.base.date_last_modified.to_string(), "2025-09-01T04:00:00.000Z", "a bare date, New York's");
    }

    #[test]
    fn a_delta_row_may_be_inactive_dated_by_day_and_carry_metadata() {
        let users = format!(
            "{USERS},metadata.house\nu-1,inactive,2026-03-01,true,s-1,student,u1,,A,B,,,,,,,,,Red\nu-2,active,2026-03-01T10:00:00.000Z,True,s-1,student,u2,,A,B,,,,,,,,,\n"
        );
        let text = manifest(&[("users", "delta")]);
        let (report, rows) = mapped(&[("manifest.csv", &text), ("users.csv", &users)], FileKind::Users);
        assert!(report.is_valid(), "{:#?}", report.errors);
        assert_eq!(package_mode(&text), Some(Mode::Delta));
        let users = users_of(&rows);
        assert_eq!(users[0].base.status, Status::ToBeDeleted);
        assert_eq!(users[0].base.date_last_modified, Timestamp::parse("2026-03-01T00:00:00.000Z").unwrap());
        assert_eq!(users[0].base.metadata.as_ref().map(|m| m["house"].clone()), Some("Red".into()));
        assert_eq!(users[1].base.status, Status::Active);
        for warning in ["status inactive (deprecated in OneRoster 1.1) was taken as tobedeleted", "upper or mixed case"]
        {
            assert!(report.warnings.iter().any(|w| w.contains(warning)), "{warning}: {:?}", report.warnings);
        }
    }

    fn package_mode(manifest: &str) -> Option<Mode> {
        let users = format!("{USERS}\n");
        opened(&[("manifest.csv", manifest), ("users.csv", &users)]).0.mode(FileKind::Users)
    }
}
