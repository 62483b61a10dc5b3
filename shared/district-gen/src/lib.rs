//! A synthetic OneRoster 1.2 district of any size, as a bulk CSV zip, and a delta against it;
//! the same district as OneRoster 1.1 packages ([`Binding::V1p1`]), so that tests can compare
//! what each version's package leaves stored.
//!
//! Ratios follow a typical US district: 500 students a school, one teacher for 16 students,
//! 20 courses a school, six classes a student of 25 students each (one teacher each), a parent
//! for every fourth student, a school year with two terms of two grading periods each; on
//! request, school days of attendance (OneRoster+: a daily mark and a first-class mark for each
//! student and day, [`District::write_bulk_with_attendance`]).
//! Everything is a pure function of the student count (and the days), so tests can compute
//! what a package holds (`District::class_students`, `District::attendance`, …) without
//! reading it back.

use std::io::{Seek, Write};
use zip::write::SimpleFileOptions;

/// Students per school.
pub const STUDENTS_PER_SCHOOL: usize = 500;
/// Students per teacher.
pub const STUDENTS_PER_TEACHER: usize = 16;
/// Courses per school.
pub const COURSES_PER_SCHOOL: usize = 20;
/// Classes each student takes.
pub const CLASSES_PER_STUDENT: usize = 6;
/// Students per class.
pub const CLASS_SIZE: usize = 25;

/// District-wide apps (resources assigned to classes and users).
pub const APPS: usize = 4;

/// The shape of a generated district.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct District {
    /// Students.
    pub students: usize,
    /// Schools.
    pub schools: usize,
    /// Teachers.
    pub teachers: usize,
    /// Parents (one per fourth student).
    pub parents: usize,
    /// Classes per school.
    pub classes_per_school: usize,
    /// Line items per class; with any, the package carries the gradebook files (categories,
    /// score scales, line items, and a result for every enrolled student on each line item).
    pub line_items_per_class: usize,
}

/// Which OneRoster CSV binding a package is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    /// OneRoster 1.2.1.
    V1p2,
    /// OneRoster 1.1: users.csv holds each user's `role` and `orgSourcedIds` (no roles.csv),
    /// line items name a `gradingPeriodSourcedId` and no school, categories have no weight,
    /// results none of 1.2's added columns, demographics' `sex` only `male` or `female` (1.2's
    /// `other` and `unspecified` left blank); no user profiles, user resources, score scales,
    /// or learning objective and score scale files.
    V1p1,
}

/// One user's cells, as either binding's users.csv writes them.
struct UserRow<'a> {
    id: &'a str,
    /// The user's role, in its one org.
    role: &'a str,
    org: String,
    /// Whether 1.2's `primaryOrgSourcedId` names the org (1.1 always makes it the first org).
    primary_org: bool,
    user_ids: String,
    given: &'a str,
    family: &'a str,
    identifier: String,
    email: String,
    agent: String,
    grades: &'a str,
}

impl UserRow<'_> {
    /// Writes the row with `status` and `modified` (blank in bulk).
    fn write(&self, w: &mut dyn Write, binding: Binding, status: &str, modified: &str) -> std::io::Result<()> {
        let UserRow { id, role, org, user_ids, given, family, identifier, email, agent, grades, .. } = self;
        match binding {
            Binding::V1p2 => {
                let primary = if self.primary_org { org.as_str() } else { "" };
                writeln!(
                    w,
                    "{id},{status},{modified},true,{id},{user_ids},{given},{family},,{identifier},{email},,,{agent},{grades},,,,,,{primary},"
                )
            }
            Binding::V1p1 => writeln!(
                w,
                "{id},{status},{modified},true,{org},{role},{id},{user_ids},{given},{family},,{identifier},{email},,,{agent},{grades},"
            ),
        }
    }
}

/// The header of users.csv in `binding`.
fn users_header(binding: Binding) -> &'static str {
    match binding {
        Binding::V1p2 => "sourcedId,status,dateLastModified,enabledUser,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password,userMasterIdentifier,preferredGivenName,preferredMiddleName,preferredFamilyName,primaryOrgSourcedId,pronouns",
        Binding::V1p1 => "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password",
    }
}

/// How many rows each file got.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rows {
    /// (file name, data rows), in the order written.
    pub files: Vec<(&'static str, u64)>,
}

impl Rows {
    /// All data rows.
    pub fn total(&self) -> u64 {
        self.files.iter().map(|(_, n)| n).sum()
    }

    /// The rows of one file.
    pub fn of(&self, file: &str) -> u64 {
        self.files.iter().find(|(f, _)| *f == file).map_or(0, |(_, n)| *n)
    }
}

const GIVEN: [&str; 16] = [
    "Ava", "Liam", "Mia", "Noah", "Zoe", "Ethan", "Ivy", "Lucas", "Nora", "Omar", "Priya", "Mateo", "Aiko", "Kofi",
    "Sofia", "Yusuf",
];
const FAMILY: [&str; 16] = [
    "Garcia", "Nguyen", "Smith", "Okafor", "Kim", "Haddad", "Rossi", "Novak", "Silva", "Khan", "Muller", "Cohen",
    "Sato", "Diaz", "Ali", "Brown",
];
const SUBJECTS: [(&str, &str); 5] =
    [("Mathematics", "MATH"), ("English", "ELA"), ("Science", "SCI"), ("History", "HIST"), ("Art", "ART")];

/// The sessions: a school year, two terms (semesters), four grading periods.
pub const SESSIONS: [(&str, &str, &str, &str, &str, &str); 7] = [
    ("sy-2026", "2025-2026", "schoolYear", "2025-08-15", "2026-06-15", ""),
    ("sem-1", "Fall 2025", "term", "2025-08-15", "2026-01-15", "sy-2026"),
    ("sem-2", "Spring 2026", "term", "2026-01-15", "2026-06-15", "sy-2026"),
    ("gp-1", "Quarter 1", "gradingPeriod", "2025-08-15", "2025-10-31", "sem-1"),
    ("gp-2", "Quarter 2", "gradingPeriod", "2025-11-01", "2026-01-15", "sem-1"),
    ("gp-3", "Quarter 3", "gradingPeriod", "2026-01-15", "2026-03-31", "sem-2"),
    ("gp-4", "Quarter 4", "gradingPeriod", "2026-04-01", "2026-06-15", "sem-2"),
];

impl District {
    /// A district of `students` students (at least one).
    pub fn new(students: usize) -> Self {
        let students = students.max(1);
        let schools = students.div_ceil(STUDENTS_PER_SCHOOL);
        let per_school = students.div_ceil(schools);
        Self {
            students,
            schools,
            teachers: students.div_ceil(STUDENTS_PER_TEACHER).max(schools),
            parents: students / 4,
            classes_per_school: (per_school * CLASSES_PER_STUDENT).div_ceil(CLASS_SIZE).max(1),
            line_items_per_class: 0,
        }
    }

    /// The district org's id.
    pub fn district_id(&self) -> String {
        "district".to_owned()
    }
    /// A school's id.
    pub fn school_id(&self, school: usize) -> String {
        format!("sch-{school:04}")
    }
    /// A student's id.
    pub fn student_id(&self, student: usize) -> String {
        format!("stu-{student:07}")
    }
    /// A teacher's id.
    pub fn teacher_id(&self, teacher: usize) -> String {
        format!("tch-{teacher:06}")
    }
    /// A parent's id.
    pub fn parent_id(&self, parent: usize) -> String {
        format!("par-{parent:07}")
    }
    /// A course's id.
    pub fn course_id(&self, school: usize, course: usize) -> String {
        format!("crs-{school:04}-{course:02}")
    }
    /// A class's id.
    pub fn class_id(&self, school: usize, class: usize) -> String {
        format!("cls-{school:04}-{class:04}")
    }
    /// The school of a student.
    pub fn school_of_student(&self, student: usize) -> usize {
        student % self.schools
    }
    /// The school of a teacher.
    pub fn school_of_teacher(&self, teacher: usize) -> usize {
        teacher % self.schools
    }
    /// A student's e-mail address.
    pub fn student_email(&self, student: usize) -> String {
        format!("{}@students.example.org", self.student_id(student))
    }

    /// The classes (by index within the school) a student takes.
    pub fn classes_of_student(&self, student: usize) -> Vec<usize> {
        let n = self.classes_per_school;
        let local = student / self.schools;
        let mut classes: Vec<usize> =
            (0..CLASSES_PER_STUDENT.min(n)).map(|k| (local * CLASSES_PER_STUDENT + k) % n).collect();
        classes.sort_unstable();
        classes.dedup();
        classes
    }

    /// The students of a class (ids), sorted.
    pub fn class_students(&self, school: usize, class: usize) -> Vec<String> {
        let mut ids: Vec<String> = (0..self.students)
            .filter(|s| self.school_of_student(*s) == school && self.classes_of_student(*s).contains(&class))
            .map(|s| self.student_id(s))
            .collect();
        ids.sort();
        ids
    }

    /// The teacher of a class.
    pub fn class_teacher(&self, school: usize, class: usize) -> usize {
        let teachers_here = (0..self.teachers).filter(|t| self.school_of_teacher(*t) == school).count().max(1);
        let k = class % teachers_here;
        school + k * self.schools
    }

    /// A district app's resource id.
    pub fn app_id(&self, app: usize) -> String {
        format!("res-app-{app}")
    }
    /// The textbook resource id of a course.
    pub fn textbook_id(&self, school: usize, course: usize) -> String {
        format!("res-{}", self.course_id(school, course))
    }
    /// Every resource id, sorted: the apps and one textbook per course.
    pub fn resource_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = (0..APPS).map(|a| self.app_id(a)).collect();
        for s in 0..self.schools {
            ids.extend((0..COURSES_PER_SCHOOL).map(|c| self.textbook_id(s, c)));
        }
        ids.sort();
        ids
    }
    /// The resources of a class (classResources.csv), sorted: an app, and for every third
    /// class its course's textbook.
    pub fn class_resources(&self, school: usize, class: usize) -> Vec<String> {
        let mut ids = vec![self.app_id(class % APPS)];
        if class.is_multiple_of(3) {
            ids.push(self.textbook_id(school, class % COURSES_PER_SCHOOL));
        }
        ids.sort();
        ids
    }
    /// The resources of a course (courseResources.csv): its textbook.
    pub fn course_resources(&self, school: usize, course: usize) -> Vec<String> {
        vec![self.textbook_id(school, course)]
    }
    /// The resources assigned to a student (userResources.csv): app 1 for every tenth student.
    pub fn student_resources(&self, student: usize) -> Vec<String> {
        if student.is_multiple_of(10) {
            vec![self.app_id(1)]
        } else {
            Vec::new()
        }
    }
    /// The resources assigned to a teacher (userResources.csv): app 0.
    pub fn teacher_resources(&self, _teacher: usize) -> Vec<String> {
        vec![self.app_id(0)]
    }

    /// The term (semester) a class is taught in.
    pub fn class_term(&self, class: usize) -> &'static str {
        if class.is_multiple_of(2) {
            "sem-1"
        } else {
            "sem-2"
        }
    }

    /// The gradebook categories (id, title): every line item is in one.
    pub const CATEGORIES: [(&'static str, &'static str); 3] =
        [("cat-homework", "Homework"), ("cat-quiz", "Quizzes"), ("cat-test", "Tests")];

    /// The score scale of a class.
    pub fn score_scale_id(&self, school: usize, class: usize) -> String {
        format!("ss-{}", self.class_id(school, class))
    }

    /// Line item `k` of a class; its category is `CATEGORIES[k % 3]`.
    pub fn line_item_id(&self, school: usize, class: usize, k: usize) -> String {
        format!("li-{}-{k}", self.class_id(school, class))
    }

    /// The result of a student on a line item.
    pub fn result_id(line_item: &str, student: &str) -> String {
        format!("res-{line_item}-{student}")
    }

    /// The learning objectives of every line item (source `unknown`: ids of the district's own).
    pub const OBJECTIVES: [&'static str; 2] = ["LO-READ-1", "LO-WRITE-2"];

    /// The score a student got on line item `k` (out of 100; some above, as extra credit).
    pub fn score(student: usize, k: usize) -> u32 {
        ((student * 7 + k * 13) % 106) as u32
    }

    /// Writes the bulk package.
    pub fn write_bulk<W: Write + Seek>(&self, out: W) -> std::io::Result<Rows> {
        self.write_bulk_as(out, Binding::V1p2)
    }

    /// A student's users.csv row (bulk, or with the delta's new e-mail).
    fn student_row(&self, i: usize, email: String) -> UserRow<'static> {
        UserRow {
            id: "",
            role: "student",
            org: self.school_id(self.school_of_student(i)),
            primary_org: true,
            user_ids: String::new(),
            given: GIVEN[i % 16],
            family: FAMILY[(i / 16) % 16],
            identifier: (100000 + i).to_string(),
            email,
            agent: if i.is_multiple_of(4) && i / 4 < self.parents { self.parent_id(i / 4) } else { String::new() },
            grades: "09",
        }
    }

    /// Writes the bulk package in `binding`: the same district in either version.
    pub fn write_bulk_as<W: Write + Seek>(&self, out: W, binding: Binding) -> std::io::Result<Rows> {
        self.write_bulk_with_attendance(out, binding, 0)
    }

    /// Writes the bulk package in `binding` with `days` school days of attendance (none when
    /// 0): absenceCodes.csv and attendance.csv (OneRoster+), declared bulk by the manifest. An
    /// argument rather than a field of `District`, so that the districts callers spell out
    /// field by field stay as they are.
    pub fn write_bulk_with_attendance<W: Write + Seek>(
        &self,
        out: W,
        binding: Binding,
        days: usize,
    ) -> std::io::Result<Rows> {
        let v1p2 = binding == Binding::V1p2;
        let mut zip = zip::ZipWriter::new(out);
        let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        let mut rows = Rows::default();
        let bulk = [
            "academicSessions",
            "classes",
            "classResources",
            "courses",
            "courseResources",
            "demographics",
            "enrollments",
            "orgs",
            "resources",
            "roles",
            "userResources",
            "users",
        ];
        let gradebook = [
            "categories",
            "lineItems",
            "lineItemLearningObjectiveIds",
            "lineItemScoreScales",
            "results",
            "resultLearningObjectiveIds",
            "resultScoreScales",
            "scoreScales",
        ];
        let bulk: Vec<&str> = bulk
            .into_iter()
            .chain(gradebook.into_iter().filter(|_| self.line_items_per_class > 0))
            .chain(ATTENDANCE_FILES.into_iter().filter(|_| days > 0))
            .collect();
        zip.start_file("manifest.csv", options)?;
        zip.write_all(manifest_as(binding, &bulk, &[]).as_bytes())?;

        let mut file = |zip: &mut zip::ZipWriter<W>,
                        name: &'static str,
                        header: &str,
                        body: &mut dyn FnMut(&mut dyn Write) -> std::io::Result<u64>|
         -> std::io::Result<()> {
            zip.start_file(name, options)?;
            writeln!(zip, "{header}")?;
            let mut buffered = std::io::BufWriter::with_capacity(1 << 16, &mut *zip);
            let n = body(&mut buffered)?;
            buffered.flush()?;
            rows.files.push((name, n));
            Ok(())
        };

        file(
            &mut zip,
            "orgs.csv",
            "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId",
            &mut |w| {
                writeln!(w, "{},,,Springfield Unified,district,NCES-0600001,", self.district_id())?;
                for s in 0..self.schools {
                    writeln!(
                        w,
                        "{},,,School {s},school,NCES-{:07},{}",
                        self.school_id(s),
                        1000 + s,
                        self.district_id()
                    )?;
                }
                Ok(1 + self.schools as u64)
            },
        )?;
        file(
            &mut zip,
            "academicSessions.csv",
            "sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,schoolYear",
            &mut |w| {
                for (id, title, kind, start, end, parent) in SESSIONS {
                    writeln!(w, "{id},,,{title},{kind},{start},{end},{parent},2026")?;
                }
                Ok(SESSIONS.len() as u64)
            },
        )?;
        file(&mut zip, "courses.csv", "sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,orgSourcedId,subjects,subjectCodes", &mut |w| {
            for s in 0..self.schools {
                for c in 0..COURSES_PER_SCHOOL {
                    let (subject, code) = SUBJECTS[c % SUBJECTS.len()];
                    writeln!(w, "{},,,sy-2026,{subject} {c},{code}-{c:02},\"09,10\",{},{subject},{code}", self.course_id(s, c), self.school_id(s))?;
                }
            }
            Ok((self.schools * COURSES_PER_SCHOOL) as u64)
        })?;
        file(&mut zip, "classes.csv", "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods", &mut |w| {
            for s in 0..self.schools {
                for c in 0..self.classes_per_school {
                    let course = c % COURSES_PER_SCHOOL;
                    let (subject, code) = SUBJECTS[course % SUBJECTS.len()];
                    writeln!(
                        w,
                        "{},,,{subject} {course} section {c},09,{},{code}-{c:04},scheduled,Room {},{},{},{subject},{code},{}",
                        self.class_id(s, c),
                        self.course_id(s, course),
                        100 + c % 300,
                        self.school_id(s),
                        self.class_term(c),
                        1 + c % 7
                    )?;
                }
            }
            Ok((self.schools * self.classes_per_school) as u64)
        })?;
        file(&mut zip, "users.csv", users_header(binding), &mut |w| {
            for i in 0..self.students {
                let id = self.student_id(i);
                let row = UserRow {
                    id: &id,
                    user_ids: format!("{{LDAP:{id}}}"),
                    ..self.student_row(i, self.student_email(i))
                };
                row.write(w, binding, "", "")?;
            }
            for t in 0..self.teachers {
                let id = self.teacher_id(t);
                let row = UserRow {
                    id: &id,
                    role: "teacher",
                    org: self.school_id(self.school_of_teacher(t)),
                    primary_org: true,
                    user_ids: String::new(),
                    given: GIVEN[(t + 3) % 16],
                    family: FAMILY[(t + 5) % 16],
                    identifier: format!("T{t}"),
                    email: format!("{id}@staff.example.org"),
                    agent: String::new(),
                    grades: "",
                };
                row.write(w, binding, "", "")?;
            }
            for p in 0..self.parents {
                let id = self.parent_id(p);
                let row = UserRow {
                    id: &id,
                    role: "parent",
                    org: self.district_id(),
                    primary_org: false,
                    user_ids: String::new(),
                    given: GIVEN[(p + 7) % 16],
                    family: FAMILY[(p * 4 / 16) % 16],
                    identifier: String::new(),
                    email: format!("{id}@home.example.org"),
                    agent: String::new(),
                    grades: "",
                };
                row.write(w, binding, "", "")?;
            }
            Ok((self.students + self.teachers + self.parents) as u64)
        })?;
        if v1p2 {
            file(&mut zip, "roles.csv", "sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,endDate,orgSourcedId,userProfileSourcedId", &mut |w| {
                for i in 0..self.students {
                    writeln!(w, "role-{id},,,{id},primary,student,,,{},", self.school_id(self.school_of_student(i)), id = self.student_id(i))?;
                }
                for t in 0..self.teachers {
                    writeln!(w, "role-{id},,,{id},primary,teacher,,,{},", self.school_id(self.school_of_teacher(t)), id = self.teacher_id(t))?;
                }
                for p in 0..self.parents {
                    writeln!(w, "role-{id},,,{id},primary,parent,,,{},", self.district_id(), id = self.parent_id(p))?;
                }
                Ok((self.students + self.teachers + self.parents) as u64)
            })?;
        }
        file(&mut zip, "enrollments.csv", "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate", &mut |w| {
            let mut n = 0;
            for i in 0..self.students {
                let s = self.school_of_student(i);
                for c in self.classes_of_student(i) {
                    writeln!(w, "enr-{}-{},,,{},{},{},student,false,,", self.student_id(i), c, self.class_id(s, c), self.school_id(s), self.student_id(i))?;
                    n += 1;
                }
            }
            for s in 0..self.schools {
                for c in 0..self.classes_per_school {
                    let t = self.class_teacher(s, c);
                    writeln!(w, "enr-{}-{},,,{},{},{},teacher,true,,", self.teacher_id(t), self.class_id(s, c), self.class_id(s, c), self.school_id(s), self.teacher_id(t))?;
                    n += 1;
                }
            }
            Ok(n)
        })?;
        file(&mut zip, "demographics.csv", "sourcedId,status,dateLastModified,birthDate,sex,americanIndianOrAlaskaNative,asian,blackOrAfricanAmerican,nativeHawaiianOrOtherPacificIslander,white,demographicRaceTwoOrMoreRaces,hispanicOrLatinoEthnicity,countryOfBirthCode,stateOfBirthAbbreviation,cityOfBirth,publicSchoolResidenceStatus", &mut |w| {
            const SEX: [&str; 4] = ["female", "male", "unspecified", "other"];
            for i in 0..self.students {
                let sex = if v1p2 || i % 4 < 2 { SEX[i % 4] } else { "" };
                let flag = |k: usize| if (i >> k) & 1 == 1 { "true" } else { "false" };
                writeln!(w, "{},,,20{:02}-{:02}-{:02},{},{},{},{},{},{},false,{},US,CA,Springfield,resident", self.student_id(i), 8 + i % 4, 1 + i % 12, 1 + i % 28, sex, flag(0), flag(1), flag(2), flag(3), flag(4), flag(5))?;
            }
            Ok(self.students as u64)
        })?;
        file(
            &mut zip,
            "resources.csv",
            "sourcedId,status,dateLastModified,vendorResourceId,title,roles,importance,vendorId,applicationId",
            &mut |w| {
                for a in 0..APPS {
                    writeln!(
                        w,
                        "{},,,APP-{a},District App {a},\"student,teacher\",secondary,vendor-{a},app-{a}",
                        self.app_id(a)
                    )?;
                }
                for s in 0..self.schools {
                    for c in 0..COURSES_PER_SCHOOL {
                        let (subject, _) = SUBJECTS[c % SUBJECTS.len()];
                        writeln!(
                            w,
                            "{},,,TXT-{s}-{c},{subject} {c} textbook,student,primary,publisher,",
                            self.textbook_id(s, c)
                        )?;
                    }
                }
                Ok((APPS + self.schools * COURSES_PER_SCHOOL) as u64)
            },
        )?;
        file(
            &mut zip,
            "classResources.csv",
            "sourcedId,status,dateLastModified,title,classSourcedId,resourceSourcedId",
            &mut |w| {
                let mut n = 0;
                for s in 0..self.schools {
                    for c in 0..self.classes_per_school {
                        let class = self.class_id(s, c);
                        writeln!(w, "cll-{class},,,App,{class},{}", self.app_id(c % APPS))?;
                        n += 1;
                        if c % 3 == 0 {
                            writeln!(
                                w,
                                "cll-{class}-book,,,Textbook,{class},{}",
                                self.textbook_id(s, c % COURSES_PER_SCHOOL)
                            )?;
                            n += 1;
                        }
                    }
                }
                Ok(n)
            },
        )?;
        file(
            &mut zip,
            "courseResources.csv",
            "sourcedId,status,dateLastModified,title,courseSourcedId,resourceSourcedId",
            &mut |w| {
                for s in 0..self.schools {
                    for c in 0..COURSES_PER_SCHOOL {
                        let course = self.course_id(s, c);
                        writeln!(w, "crl-{course},,,Textbook,{course},{}", self.textbook_id(s, c))?;
                    }
                }
                Ok((self.schools * COURSES_PER_SCHOOL) as u64)
            },
        )?;
        if v1p2 {
            file(
                &mut zip,
                "userResources.csv",
                "sourcedId,status,dateLastModified,userSourcedId,orgSourcedId,classSourcedId,resourceSourcedId",
                &mut |w| {
                    let mut n = 0;
                    for t in 0..self.teachers {
                        writeln!(
                            w,
                            "url-{id},,,{id},{},,{}",
                            self.school_id(self.school_of_teacher(t)),
                            self.app_id(0),
                            id = self.teacher_id(t)
                        )?;
                        n += 1;
                    }
                    for i in (0..self.students).step_by(10) {
                        let s = self.school_of_student(i);
                        let class = self.class_id(s, self.classes_of_student(i)[0]);
                        writeln!(w, "url-{id},,,{id},,{class},{}", self.app_id(1), id = self.student_id(i))?;
                        n += 1;
                    }
                    Ok(n)
                },
            )?;
        }
        if self.line_items_per_class > 0 {
            self.write_gradebook(binding, &mut |name, header, body| file(&mut zip, name, header, body))?;
        }
        if days > 0 {
            self.write_attendance(days, &mut |name, header, body| file(&mut zip, name, header, body))?;
        }
        zip.finish()?;
        Ok(rows)
    }

    /// The gradebook files of the bulk package: in 1.1, categories without weight, line items
    /// with their grading period and no school, results without 1.2's columns, and none of the
    /// score scale and learning objective files.
    fn write_gradebook(
        &self,
        binding: Binding,
        file: &mut dyn FnMut(&'static str, &str, &mut RowWriter<'_>) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let v1p2 = binding == Binding::V1p2;
        let classes = || (0..self.schools).flat_map(|s| (0..self.classes_per_school).map(move |c| (s, c)));
        let header = if v1p2 {
            "sourcedId,status,dateLastModified,title,weight"
        } else {
            "sourcedId,status,dateLastModified,title"
        };
        file("categories.csv", header, &mut |w| {
            for (id, title) in Self::CATEGORIES {
                match binding {
                    Binding::V1p2 => writeln!(w, "{id},,,{title},{}", title.len())?,
                    Binding::V1p1 => writeln!(w, "{id},,,{title}")?,
                }
            }
            Ok(Self::CATEGORIES.len() as u64)
        })?;
        if v1p2 {
            file(
                "scoreScales.csv",
                "sourcedId,status,dateLastModified,title,type,orgSourcedId,courseSourcedId,classSourcedId,scoreScaleValue",
                &mut |w| {
                    for (s, c) in classes() {
                        writeln!(
                            w,
                            "{},,,Letter grades,letter,{},{},{},\"{{A:90}},{{B:80}},{{C:70}}\"",
                            self.score_scale_id(s, c),
                            self.school_id(s),
                            self.course_id(s, c % COURSES_PER_SCHOOL),
                            self.class_id(s, c)
                        )?;
                    }
                    Ok((self.schools * self.classes_per_school) as u64)
                },
            )?;
        }
        let header = match binding {
            Binding::V1p2 => "sourcedId,status,dateLastModified,title,description,assignDate,dueDate,classSourcedId,categorySourcedId,academicSessionSourcedId,resultValueMin,resultValueMax,schoolSourcedId",
            Binding::V1p1 => "sourcedId,status,dateLastModified,title,description,assignDate,dueDate,classSourcedId,categorySourcedId,gradingPeriodSourcedId,resultValueMin,resultValueMax",
        };
        file("lineItems.csv", header, &mut |w| {
            for (s, c) in classes() {
                for k in 0..self.line_items_per_class {
                    write!(
                        w,
                        "{},,,Assignment {k},,2025-09-01,2025-09-15,{},{},{},0,100",
                        self.line_item_id(s, c, k),
                        self.class_id(s, c),
                        Self::CATEGORIES[k % Self::CATEGORIES.len()].0,
                        self.class_term(c),
                    )?;
                    match binding {
                        Binding::V1p2 => writeln!(w, ",{}", self.school_id(s))?,
                        Binding::V1p1 => writeln!(w)?,
                    }
                }
            }
            Ok((self.schools * self.classes_per_school * self.line_items_per_class) as u64)
        })?;
        let header = match binding {
            Binding::V1p2 => "sourcedId,status,dateLastModified,lineItemSourcedId,studentSourcedId,scoreStatus,score,scoreDate,comment,textScore,classSourcedId,inProgress,incomplete,late,missing",
            Binding::V1p1 => "sourcedId,status,dateLastModified,lineItemSourcedId,studentSourcedId,scoreStatus,score,scoreDate,comment",
        };
        file("results.csv", header, &mut |w| {
            let mut n = 0;
            for student in 0..self.students {
                let s = self.school_of_student(student);
                let id = self.student_id(student);
                for c in self.classes_of_student(student) {
                    for k in 0..self.line_items_per_class {
                        let line_item = self.line_item_id(s, c, k);
                        let result = Self::result_id(&line_item, &id);
                        let score = Self::score(student, k);
                        write!(w, "{result},,,{line_item},{id},fully graded,{score},2025-09-16,")?;
                        match binding {
                            // Odd line items' results name no class: it is the line item's.
                            Binding::V1p2 if k % 2 == 0 => writeln!(w, ",,{},,,,", self.class_id(s, c))?,
                            Binding::V1p2 => writeln!(w, ",,,,,,")?,
                            Binding::V1p1 => writeln!(w)?,
                        }
                        n += 1;
                    }
                }
            }
            Ok(n)
        })?;
        if !v1p2 {
            return Ok(());
        }
        // Line items: two objectives each and the class's score scale. Results of line item 0:
        // a score on the first objective and the class's score scale.
        file(
            "lineItemLearningObjectiveIds.csv",
            "sourcedId,status,dateLastModified,lineItemSourcedId,source,learningObjectiveId",
            &mut |w| {
                let mut n = 0;
                for (s, c) in classes() {
                    for k in 0..self.line_items_per_class {
                        let item = self.line_item_id(s, c, k);
                        for objective in Self::OBJECTIVES {
                            writeln!(w, "lo-{item}-{objective},,,{item},unknown,{objective}")?;
                            n += 1;
                        }
                    }
                }
                Ok(n)
            },
        )?;
        file(
            "lineItemScoreScales.csv",
            "sourcedId,status,dateLastModified,title,lineItemSourcedId,scoreScaleSourcedId",
            &mut |w| {
                let mut n = 0;
                for (s, c) in classes() {
                    for k in 0..self.line_items_per_class {
                        let item = self.line_item_id(s, c, k);
                        writeln!(w, "lss-{item},,,Letter grades,{item},{}", self.score_scale_id(s, c))?;
                        n += 1;
                    }
                }
                Ok(n)
            },
        )?;
        let first_results = || {
            (0..self.students).flat_map(move |student| {
                let s = self.school_of_student(student);
                self.classes_of_student(student).into_iter().map(move |c| {
                    let result = Self::result_id(&self.line_item_id(s, c, 0), &self.student_id(student));
                    (result, student, s, c)
                })
            })
        };
        file(
            "resultLearningObjectiveIds.csv",
            "sourcedId,status,dateLastModified,resultSourcedId,source,learningObjectiveId,score,textScore",
            &mut |w| {
                let mut n = 0;
                for (result, student, _, _) in first_results() {
                    writeln!(w, "lo-{result},,,{result},unknown,{},{},", Self::OBJECTIVES[0], Self::score(student, 0))?;
                    n += 1;
                }
                Ok(n)
            },
        )?;
        file(
            "resultScoreScales.csv",
            "sourcedId,status,dateLastModified,title,resultSourcedId,scoreScaleSourcedId",
            &mut |w| {
                let mut n = 0;
                for (result, _, s, c) in first_results() {
                    writeln!(w, "rss-{result},,,Letter grades,{result},{}", self.score_scale_id(s, c))?;
                    n += 1;
                }
                Ok(n)
            },
        )
    }

    /// absenceCodes.csv and attendance.csv: the same in either binding (OneRoster+ is written
    /// against both).
    fn write_attendance(
        &self,
        days: usize,
        file: &mut dyn FnMut(&'static str, &str, &mut RowWriter<'_>) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        file("absenceCodes.csv", "sourcedId,status,dateLastModified,title,absent,excused,description", &mut |w| {
            for (id, title, absent, excused, description) in Self::ABSENCE_CODES {
                let excused = excused.map(|e| e.to_string()).unwrap_or_default();
                writeln!(w, "{id},,,{title},{absent},{excused},{description}")?;
            }
            Ok(Self::ABSENCE_CODES.len() as u64)
        })?;
        file(
            "attendance.csv",
            "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,date,absenceCodeSourcedId,period,comment",
            &mut |w| {
                let mut n = 0;
                for row in self.attendance(days) {
                    let AttendanceRow { id, class, school, student, date, absence_code, period, comment } = row;
                    let (class, period) = (class.unwrap_or_default(), period.unwrap_or_default());
                    let comment = comment.unwrap_or_default();
                    writeln!(w, "{id},,,{class},{school},{student},{date},{absence_code},{period},{comment}")?;
                    n += 1;
                }
                Ok(n)
            },
        )
    }

    /// The absence codes of absenceCodes.csv (id, title, absent, excused, description): present
    /// (excused left blank), absent unexcused, absent excused, tardy.
    pub const ABSENCE_CODES: [(&'static str, &'static str, bool, Option<bool>, &'static str); 4] = [
        ("ac-present", "Present", false, None, ""),
        ("ac-absent", "Absent", true, Some(false), "Absent without an excuse"),
        ("ac-excused", "Excused absence", true, Some(true), "Absent with a note from a parent or guardian"),
        ("ac-tardy", "Tardy", false, Some(false), "Arrived after the bell"),
    ];

    /// The date of school day `day` of the attendance files (`YYYY-MM-DD`): weekdays from
    /// Monday 2 March 2026.
    pub fn attendance_date(day: usize) -> String {
        let monday = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).expect("a date");
        let date = monday + chrono::Days::new((day / 5 * 7 + day % 5) as u64);
        date.format("%Y-%m-%d").to_string()
    }

    /// The id of a student's daily attendance on school day `day`.
    pub fn daily_attendance_id(&self, student: usize, day: usize) -> String {
        format!("att-{}-{}", Self::attendance_date(day), self.student_id(student))
    }

    /// The id of a student's attendance in their first class on school day `day`.
    pub fn class_attendance_id(&self, student: usize, day: usize) -> String {
        format!("{}-p", self.daily_attendance_id(student, day))
    }

    /// The absence code of a student on school day `day` (in their first class as in the day):
    /// present mostly, one day in eight each absent, excused and tardy.
    pub fn absence_code(student: usize, day: usize) -> &'static str {
        let code = match (student + 3 * day) % 8 {
            0 => 1,
            1 => 2,
            2 => 3,
            _ => 0,
        };
        Self::ABSENCE_CODES[code].0
    }

    /// The rows of attendance.csv for `days` school days, in the order written: for each day
    /// and student, the daily row (the student's school, no class) and the row of the student's
    /// first class (its school, and its period as classes.csv gives it); tardy rows carry a
    /// comment.
    pub fn attendance(&self, days: usize) -> impl Iterator<Item = AttendanceRow> + '_ {
        (0..days).flat_map(move |day| {
            let date = Self::attendance_date(day);
            (0..self.students).flat_map(move |student| {
                let school = self.school_id(self.school_of_student(student));
                let class = self.classes_of_student(student)[0];
                let absence_code = Self::absence_code(student, day);
                let comment = (absence_code == Self::ABSENCE_CODES[3].0).then_some("Arrived 10 minutes late");
                let daily = AttendanceRow {
                    id: self.daily_attendance_id(student, day),
                    class: None,
                    school: school.clone(),
                    student: self.student_id(student),
                    date: date.clone(),
                    absence_code,
                    period: None,
                    comment,
                };
                let in_class = AttendanceRow {
                    id: self.class_attendance_id(student, day),
                    class: Some(self.class_id(self.school_of_student(student), class)),
                    period: Some((1 + class % 7).to_string()),
                    ..daily.clone()
                };
                [daily, in_class]
            })
        })
    }

    /// Writes a delta package against the bulk one: `changed` students get a new e-mail, the
    /// first enrollment of the first student is dropped (`tobedeleted`), one new student
    /// arrives with a role and an enrollment in class 0 of school 0, and class 0 of school 0
    /// loses its app (its classResources row `tobedeleted`).
    pub fn write_delta<W: Write + Seek>(&self, out: W, changed: usize, modified: &str) -> std::io::Result<Rows> {
        self.write_delta_as(out, changed, modified, Binding::V1p2)
    }

    /// Writes the delta of [`District::write_delta`] in `binding` (in 1.1, the newcomer's role
    /// is in its users.csv row: there is no roles.csv).
    pub fn write_delta_as<W: Write + Seek>(
        &self,
        out: W,
        changed: usize,
        modified: &str,
        binding: Binding,
    ) -> std::io::Result<Rows> {
        let mut zip = zip::ZipWriter::new(out);
        let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("manifest.csv", options)?;
        zip.write_all(manifest_as(binding, &[], &["users", "roles", "enrollments", "classResources"]).as_bytes())?;
        let newcomer = self.student_id(self.students);
        let mut rows = Rows::default();

        zip.start_file("users.csv", options)?;
        writeln!(zip, "{}", users_header(binding))?;
        for i in 0..changed.min(self.students) {
            let id = self.student_id(i);
            let row = UserRow {
                id: &id,
                user_ids: format!("{{LDAP:{id}}}"),
                ..self.student_row(i, format!("{id}@new.example.org"))
            };
            row.write(&mut zip, binding, "active", modified)?;
        }
        let row = UserRow {
            id: &newcomer,
            given: "New",
            family: "Student",
            identifier: String::new(),
            agent: String::new(),
            org: self.school_id(0),
            ..self.student_row(0, format!("{newcomer}@students.example.org"))
        };
        row.write(&mut zip, binding, "active", modified)?;
        rows.files.push(("users.csv", changed.min(self.students) as u64 + 1));

        if binding == Binding::V1p2 {
            zip.start_file("roles.csv", options)?;
            writeln!(zip, "sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,endDate,orgSourcedId,userProfileSourcedId")?;
            writeln!(zip, "role-{newcomer},active,{modified},{newcomer},primary,student,,,{},", self.school_id(0))?;
            rows.files.push(("roles.csv", 1));
        }

        zip.start_file("enrollments.csv", options)?;
        writeln!(zip, "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate")?;
        let first = self.classes_of_student(0)[0];
        writeln!(
            zip,
            "enr-{}-{first},tobedeleted,{modified},{},{},{},student,false,,",
            self.student_id(0),
            self.class_id(0, first),
            self.school_id(0),
            self.student_id(0)
        )?;
        writeln!(
            zip,
            "enr-{newcomer}-0,active,{modified},{},{},{newcomer},student,false,,",
            self.class_id(0, 0),
            self.school_id(0)
        )?;
        rows.files.push(("enrollments.csv", 2));

        zip.start_file("classResources.csv", options)?;
        writeln!(zip, "sourcedId,status,dateLastModified,title,classSourcedId,resourceSourcedId")?;
        let class = self.class_id(0, 0);
        writeln!(zip, "cll-{class},tobedeleted,{modified},App,{class},{}", self.app_id(0))?;
        rows.files.push(("classResources.csv", 1));
        zip.finish()?;
        Ok(rows)
    }

    /// The id of the student a delta adds.
    pub fn newcomer_id(&self) -> String {
        self.student_id(self.students)
    }
}

/// The files of OneRoster+ attendance, by their manifest names.
const ATTENDANCE_FILES: [&str; 2] = ["absenceCodes", "attendance"];

/// One row of attendance.csv, as [`District::attendance`] writes it: what tests compare the
/// served record with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttendanceRow {
    /// `sourcedId`.
    pub id: String,
    /// `classSourcedId` (none for daily attendance).
    pub class: Option<String>,
    /// `schoolSourcedId`.
    pub school: String,
    /// `userSourcedId`.
    pub student: String,
    /// `date`.
    pub date: String,
    /// `absenceCodeSourcedId`.
    pub absence_code: &'static str,
    /// `period` (class attendance only).
    pub period: Option<String>,
    /// `comment`.
    pub comment: Option<&'static str>,
}

/// Writes the data rows of one file and says how many it wrote.
type RowWriter<'w> = dyn FnMut(&mut dyn Write) -> std::io::Result<u64> + 'w;

/// A manifest declaring `bulk` and `delta` files; every other file of the binding is absent.
pub fn manifest(bulk: &[&str], delta: &[&str]) -> String {
    manifest_as(Binding::V1p2, bulk, delta)
}

/// A manifest of `binding` declaring `bulk` and `delta` files (those of the binding: a 1.1
/// manifest names none of 1.2's own files); every other file of the binding is absent. The
/// attendance files (`absenceCodes`, `attendance`) are named when declared, in either binding.
pub fn manifest_as(binding: Binding, bulk: &[&str], delta: &[&str]) -> String {
    /// The files 1.2 added.
    const V1P2_ONLY: [&str; 8] = [
        "lineItemLearningObjectiveIds",
        "lineItemScoreScales",
        "resultLearningObjectiveIds",
        "resultScoreScales",
        "roles",
        "scoreScales",
        "userProfiles",
        "userResources",
    ];
    const FILES: [&str; 22] = [
        "academicSessions",
        "categories",
        "classes",
        "classResources",
        "courses",
        "courseResources",
        "demographics",
        "enrollments",
        "lineItemLearningObjectiveIds",
        "lineItems",
        "lineItemScoreScales",
        "orgs",
        "resources",
        "resultLearningObjectiveIds",
        "results",
        "resultScoreScales",
        "roles",
        "scoreScales",
        "userProfiles",
        "userResources",
        "users",
        "manifest",
    ];
    let version = match binding {
        Binding::V1p2 => "1.2",
        Binding::V1p1 => "1.1",
    };
    let mut text = format!("propertyName,value\nmanifest.version,1.0\noneroster.version,{version}\n");
    let in_binding = |file: &&&str| binding == Binding::V1p2 || !V1P2_ONLY.contains(file);
    let declared = |file: &str| {
        if bulk.contains(&file) {
            Some("bulk")
        } else if delta.contains(&file) {
            Some("delta")
        } else {
            None
        }
    };
    for file in FILES.iter().filter(|f| **f != "manifest").filter(in_binding) {
        text.push_str(&format!("file.{file},{}\n", declared(file).unwrap_or("absent")));
    }
    // OneRoster+'s files are declared by the packages that hold them only, so that every other
    // manifest reads as the binding's own.
    for file in ATTENDANCE_FILES {
        if let Some(mode) = declared(file) {
            text.push_str(&format!("file.{file},{mode}\n"));
        }
    }
    text.push_str("source.systemName,district-gen\nsource.systemCode,synthetic\n");
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// The text of each file of a package, by name.
    fn files(zip: Vec<u8>) -> std::collections::BTreeMap<String, String> {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).expect("a zip");
        (0..archive.len())
            .map(|i| {
                let mut entry = archive.by_index(i).expect("an entry");
                let mut text = String::new();
                entry.read_to_string(&mut text).expect("text");
                (entry.name().expect("a name").into_owned(), text)
            })
            .collect()
    }

    fn package(
        district: &District,
        binding: Binding,
        days: usize,
    ) -> (Rows, std::collections::BTreeMap<String, String>) {
        let mut out = std::io::Cursor::new(Vec::new());
        let rows = district.write_bulk_with_attendance(&mut out, binding, days).expect("a package");
        (rows, files(out.into_inner()))
    }

    #[test]
    fn school_days_are_weekdays_across_months() {
        let dates: Vec<String> = [0, 4, 5, 21, 22].into_iter().map(District::attendance_date).collect();
        assert_eq!(dates, ["2026-03-02", "2026-03-06", "2026-03-09", "2026-03-31", "2026-04-01"]);
    }

    #[test]
    fn attendance_is_written_in_either_binding_only_when_asked_for() {
        let district = District::new(30);
        for binding in [Binding::V1p2, Binding::V1p1] {
            let (rows, files) = package(&district, binding, 3);
            assert!(files["manifest.csv"].contains("file.absenceCodes,bulk\nfile.attendance,bulk\n"));
            assert_eq!(rows.of("absenceCodes.csv"), 4);
            assert_eq!(rows.of("attendance.csv"), 2 * 30 * 3, "a daily and a class row per student and day");
            let attendance = &files["attendance.csv"];
            assert_eq!(attendance.lines().count() as u64, 1 + rows.of("attendance.csv"));
            let written: Vec<AttendanceRow> = district.attendance(3).collect();
            let tardy = written.iter().find(|r| r.absence_code == "ac-tardy" && r.class.is_some()).expect("a tardy");
            let line = format!(
                "{},,,{},{},{},{},ac-tardy,{},Arrived 10 minutes late",
                tardy.id,
                tardy.class.as_deref().unwrap_or_default(),
                tardy.school,
                tardy.student,
                tardy.date,
                tardy.period.as_deref().unwrap_or_default()
            );
            assert!(attendance.lines().any(|l| l == line), "{line}");
            assert!(attendance
                .contains(&format!("\n{},,,,sch-0000,stu-0000000,2026-03-02,", district.daily_attendance_id(0, 0))));
            assert!(
                files["absenceCodes.csv"].contains("\nac-present,,,Present,false,,\nac-absent,,,Absent,true,false,")
            );
            let codes: std::collections::BTreeSet<&str> = written.iter().map(|r| r.absence_code).collect();
            assert_eq!(codes.len(), District::ABSENCE_CODES.len(), "every code is used");

            let (rows, files) = package(&district, binding, 0);
            assert!(!files.contains_key("attendance.csv") && !files.contains_key("absenceCodes.csv"));
            assert!(!files["manifest.csv"].contains("attendance") && !files["manifest.csv"].contains("absenceCodes"));
            assert_eq!(rows.of("attendance.csv"), 0);
        }
    }
}
