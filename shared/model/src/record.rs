//! A record of any collection, with what the store needs to know of it: its collection, its id,
//! its status and modification time, and the relation entries it makes.

use crate::collection::{Collection, Link, Relation, View};
use crate::entities::{AcademicSession, Base, Class, Course, Demographics, Enrollment, Org, User};
use crate::vocab::{EnrollmentRole, OrgType, RoleName, RoleType, SessionType};
use serde::Serialize;

/// A record of one of the collections.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Record {
    /// An org.
    Org(Org),
    /// An academic session.
    AcademicSession(AcademicSession),
    /// A course.
    Course(Course),
    /// A class.
    Class(Class),
    /// A user.
    User(User),
    /// An enrollment.
    Enrollment(Enrollment),
    /// Demographics of a user.
    Demographics(Demographics),
}

impl Record {
    /// The collection the record belongs to.
    pub fn collection(&self) -> Collection {
        match self {
            Record::Org(_) => Collection::Orgs,
            Record::AcademicSession(_) => Collection::AcademicSessions,
            Record::Course(_) => Collection::Courses,
            Record::Class(_) => Collection::Classes,
            Record::User(_) => Collection::Users,
            Record::Enrollment(_) => Collection::Enrollments,
            Record::Demographics(_) => Collection::Demographics,
        }
    }

    /// The common properties.
    pub fn base(&self) -> &Base {
        match self {
            Record::Org(r) => &r.base,
            Record::AcademicSession(r) => &r.base,
            Record::Course(r) => &r.base,
            Record::Class(r) => &r.base,
            Record::User(r) => &r.base,
            Record::Enrollment(r) => &r.base,
            Record::Demographics(r) => &r.base,
        }
    }

    /// The common properties, to change status and modification time.
    pub fn base_mut(&mut self) -> &mut Base {
        match self {
            Record::Org(r) => &mut r.base,
            Record::AcademicSession(r) => &mut r.base,
            Record::Course(r) => &mut r.base,
            Record::Class(r) => &mut r.base,
            Record::User(r) => &mut r.base,
            Record::Enrollment(r) => &mut r.base,
            Record::Demographics(r) => &mut r.base,
        }
    }

    /// Reads a stored record of `collection` back from its JSON.
    pub fn from_json(collection: Collection, json: &str) -> serde_json::Result<Self> {
        Ok(match collection {
            Collection::Orgs => Record::Org(serde_json::from_str(json)?),
            Collection::AcademicSessions => Record::AcademicSession(serde_json::from_str(json)?),
            Collection::Courses => Record::Course(serde_json::from_str(json)?),
            Collection::Classes => Record::Class(serde_json::from_str(json)?),
            Collection::Users => Record::User(serde_json::from_str(json)?),
            Collection::Enrollments => Record::Enrollment(serde_json::from_str(json)?),
            Collection::Demographics => Record::Demographics(serde_json::from_str(json)?),
        })
    }

    /// The typed view the record belongs to, if any (see [`View`]).
    pub fn view(&self) -> Option<View> {
        match self {
            Record::Org(org) => (org.org_type == OrgType::School).then_some(View::Schools),
            Record::AcademicSession(session) => match session.session_type {
                SessionType::Term => Some(View::Terms),
                SessionType::GradingPeriod => Some(View::GradingPeriods),
                _ => None,
            },
            Record::User(user) => {
                let primary = user.roles.iter().find(|r| r.role_type == RoleType::Primary).or(user.roles.first())?;
                match primary.role {
                    RoleName::Student => Some(View::Students),
                    RoleName::Teacher => Some(View::Teachers),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// The relation entries this record makes; the relation routes read them.
    pub fn links(&self) -> Vec<Link> {
        let me = self.base().sourced_id.clone();
        let direct = |relation, parent: &crate::ids::SourcedId| Link {
            relation,
            parent: parent.clone(),
            child: me.clone(),
            via: None,
        };
        let mut links = Vec::new();
        match self {
            Record::Org(org) => links.extend(org.parent.iter().map(|p| direct(Relation::OrgChildren, &p.sourced_id))),
            Record::AcademicSession(session) => {
                links.extend(session.parent.iter().map(|p| direct(Relation::SessionChildren, &p.sourced_id)))
            }
            Record::Course(course) => links.push(direct(Relation::OrgCourses, &course.org.sourced_id)),
            Record::Class(class) => {
                links.push(direct(Relation::SchoolClasses, &class.school.sourced_id));
                links.push(direct(Relation::CourseClasses, &class.course.sourced_id));
                for term in &class.terms {
                    links.push(direct(Relation::TermClasses, &term.sourced_id));
                    links.push(Link {
                        relation: Relation::SchoolTerms,
                        parent: class.school.sourced_id.clone(),
                        child: term.sourced_id.clone(),
                        via: Some(me.clone()),
                    });
                }
            }
            Record::User(user) => {
                for role in &user.roles {
                    let relation = match role.role {
                        RoleName::Student => Relation::SchoolStudents,
                        RoleName::Teacher => Relation::SchoolTeachers,
                        _ => continue,
                    };
                    links.push(direct(relation, &role.org.sourced_id));
                }
            }
            Record::Enrollment(e) => {
                let (class, user) = (&e.class.sourced_id, &e.user.sourced_id);
                links.push(direct(Relation::ClassEnrollments, class));
                links.push(direct(Relation::SchoolEnrollments, &e.school.sourced_id));
                links.push(direct(Relation::UserEnrollments, user));
                let via = |relation, parent: &crate::ids::SourcedId, child: &crate::ids::SourcedId| Link {
                    relation,
                    parent: parent.clone(),
                    child: child.clone(),
                    via: Some(me.clone()),
                };
                links.push(via(Relation::UserClasses, user, class));
                match e.role {
                    EnrollmentRole::Student => links.push(via(Relation::ClassStudents, class, user)),
                    EnrollmentRole::Teacher => links.push(via(Relation::ClassTeachers, class, user)),
                    _ => {}
                }
            }
            Record::Demographics(_) => {}
        }
        links.sort();
        links.dedup();
        links
    }
}
