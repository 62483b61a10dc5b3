//! The rules a record must keep beyond what its types say: between its own values (a session
//! ends no earlier than it starts, subject codes run parallel to subjects) and the values the
//! CSV binding requires where the JSON schema does not (a user's `username`, a class's
//! `classType`), so that every record can be served as JSON and exported as CSV alike. The API
//! writes check [`violations`]; the CSV reader checks the rules between values ([`in_order`],
//! [`parallel`]) as it reads each row, and its own required columns.

use crate::{Date, Record};

/// One rule a record breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The property (and CSV column) at fault.
    pub property: &'static str,
    /// What is wrong.
    pub reason: String,
    /// Which kind of problem, for the CSV report's codes.
    pub kind: Broken,
}

/// The kind of a [`Violation`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Broken {
    /// A date out of order with another.
    Date,
    /// A value the rules rule out.
    Value,
    /// A value the CSV binding requires is missing.
    Required,
}

/// Every rule `record` breaks (none for a record that keeps them all).
pub fn violations(record: &Record) -> Vec<Violation> {
    let mut broken = Vec::new();
    match record {
        Record::AcademicSession(session) => broken.extend(in_order(session.start_date, session.end_date)),
        Record::Course(course) => broken.extend(parallel(&course.subjects, &course.subject_codes)),
        Record::Class(class) => {
            broken.extend(parallel(&class.subjects, &class.subject_codes));
            if class.class_type.is_none() {
                broken.push(required("classType"));
            }
        }
        Record::User(user) if user.username.as_deref().is_none_or(str::is_empty) => broken.push(required("username")),
        _ => {}
    }
    broken
}

/// A session ends no earlier than it starts (the CSV reader checks it as it reads the row, so
/// that a row's every problem is reported at once).
pub fn in_order(start: Date, end: Date) -> Option<Violation> {
    (end < start).then(|| Violation {
        property: "endDate",
        reason: format!("endDate {end} is before startDate {start}"),
        kind: Broken::Date,
    })
}

/// Subject codes run parallel to subjects when both are given (checked by the CSV reader as it
/// reads the row, too).
pub fn parallel(subjects: &[String], codes: &[String]) -> Option<Violation> {
    (!subjects.is_empty() && !codes.is_empty() && subjects.len() != codes.len()).then(|| Violation {
        property: "subjectCodes",
        reason: format!("{} subject codes for {} subjects; the lists must be parallel", codes.len(), subjects.len()),
        kind: Broken::Value,
    })
}

fn required(property: &'static str) -> Violation {
    Violation {
        property,
        reason: "a value is required (the CSV binding requires it, so every record can be exported)".to_owned(),
        kind: Broken::Required,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Collection;

    fn record(collection: Collection, json: &str) -> Record {
        Record::from_json(collection, json).expect("a record")
    }

    #[test]
    fn each_rule_names_its_property() {
        let base = r#""sourcedId":"x","status":"active","dateLastModified":"2026-01-01T00:00:00.000Z""#;
        let session = record(
            Collection::AcademicSessions,
            &format!(
                r#"{{{base},"title":"T","type":"term","startDate":"2026-09-01","endDate":"2026-08-01","schoolYear":"2027"}}"#
            ),
        );
        let names = |r: &Record| violations(r).into_iter().map(|v| v.property).collect::<Vec<_>>();
        assert_eq!(names(&session), ["endDate"]);
        let course = record(
            Collection::Courses,
            &format!(
                r#"{{{base},"title":"C","courseCode":"c","org":{{"sourcedId":"o","type":"org"}},"subjects":["a","b"],"subjectCodes":["1"]}}"#
            ),
        );
        assert_eq!(names(&course), ["subjectCodes"]);
        let user = record(
            Collection::Users,
            &format!(r#"{{{base},"enabledUser":"true","givenName":"A","familyName":"B","roles":[]}}"#),
        );
        assert_eq!(names(&user), ["username"]);
    }
}
