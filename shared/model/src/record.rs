//! A record of any collection, with what the store needs to know of it: its collection, its id,
//! its status and modification time, and the relation entries it makes.

use crate::collection::{lookup_key, Collection, Link, Relation, View};
use crate::entities::{
    AcademicSession, Base, Class, ClassResource, Course, CourseResource, Demographics, Enrollment, Org, Resource, User,
    UserResource,
};
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
    /// A resource.
    Resource(Resource),
    /// A resource assigned to a class.
    ClassResource(ClassResource),
    /// A resource assigned to a course.
    CourseResource(CourseResource),
    /// A resource assigned to a user.
    UserResource(UserResource),
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
            Record::Resource(_) => Collection::Resources,
            Record::ClassResource(_) => Collection::ClassResources,
            Record::CourseResource(_) => Collection::CourseResources,
            Record::UserResource(_) => Collection::UserResources,
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
            Record::Resource(r) => &r.base,
            Record::ClassResource(r) => &r.base,
            Record::CourseResource(r) => &r.base,
            Record::UserResource(r) => &r.base,
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
            Record::Resource(r) => &mut r.base,
            Record::ClassResource(r) => &mut r.base,
            Record::CourseResource(r) => &mut r.base,
            Record::UserResource(r) => &mut r.base,
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
            Collection::Resources => Record::Resource(serde_json::from_str(json)?),
            Collection::ClassResources => Record::ClassResource(serde_json::from_str(json)?),
            Collection::CourseResources => Record::CourseResource(serde_json::from_str(json)?),
            Collection::UserResources => Record::UserResource(serde_json::from_str(json)?),
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

    /// The relation entries this record makes; the relation routes read them. A record marked
    /// `tobedeleted` keeps its place under its parents (so consumers see it go) but links
    /// nothing through itself (see [`Link`]).
    pub fn links(&self) -> Vec<Link> {
        let me = self.base().sourced_id.clone();
        let direct = |relation, parent: &crate::ids::SourcedId| Link {
            relation,
            parent: parent.clone(),
            child: me.clone(),
            via: None,
        };
        // A link this record makes between two others (an enrollment's class and user).
        let via = |relation, parent: &crate::ids::SourcedId, child: &crate::ids::SourcedId| Link {
            relation,
            parent: parent.clone(),
            child: child.clone(),
            via: Some(me.clone()),
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
                    links.push(via(Relation::SchoolTerms, &class.school.sourced_id, &term.sourced_id));
                }
            }
            Record::User(user) => {
                for (field, value) in
                    [("email", &user.email), ("username", &user.username), ("identifier", &user.identifier)]
                {
                    if let (Some(relation), Some(value)) = (Relation::lookup(field), value) {
                        links.push(direct(relation, &lookup_key(value)));
                    }
                }
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
                links.push(via(Relation::UserClasses, user, class));
                match e.role {
                    EnrollmentRole::Student => links.push(via(Relation::ClassStudents, class, user)),
                    EnrollmentRole::Teacher => links.push(via(Relation::ClassTeachers, class, user)),
                    _ => {}
                }
            }
            Record::ClassResource(link) => {
                links.push(via(Relation::ClassResources, &link.class.sourced_id, &link.resource.sourced_id))
            }
            Record::CourseResource(link) => {
                links.push(via(Relation::CourseResources, &link.course.sourced_id, &link.resource.sourced_id))
            }
            Record::UserResource(link) => {
                links.push(via(Relation::UserResources, &link.user.sourced_id, &link.resource.sourced_id))
            }
            Record::Demographics(_) | Record::Resource(_) => {}
        }
        if self.base().status == crate::vocab::Status::ToBeDeleted {
            links.retain(|link| link.via.is_none());
        }
        links.sort();
        links.dedup();
        links
    }
}
