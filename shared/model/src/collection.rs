//! The collections records live in, and the relations between them that the relation routes
//! of the REST binding read (`/schools/{id}/classes`, `/classes/{id}/students`, …).

use crate::ids::SourcedId;

/// Where the rostering service is served; GUIDRef `href`s point below it.
pub const ROSTERING_BASE: &str = "/ims/oneroster/rostering/v1p2";

/// A top-level collection of records, one per stored entity type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Collection {
    /// orgs.csv, `/orgs`.
    Orgs,
    /// academicSessions.csv, `/academicSessions`.
    AcademicSessions,
    /// courses.csv, `/courses`.
    Courses,
    /// classes.csv, `/classes`.
    Classes,
    /// users.csv (+ roles.csv, userProfiles.csv), `/users`.
    Users,
    /// enrollments.csv, `/enrollments`.
    Enrollments,
    /// demographics.csv, `/demographics`.
    Demographics,
}

impl Collection {
    /// Every collection, in the order a package is applied (referenced before referencing).
    pub const ALL: [Collection; 7] = [
        Collection::Orgs,
        Collection::AcademicSessions,
        Collection::Courses,
        Collection::Classes,
        Collection::Users,
        Collection::Enrollments,
        Collection::Demographics,
    ];

    /// The collection's name in URLs and keys.
    pub fn name(self) -> &'static str {
        match self {
            Collection::Orgs => "orgs",
            Collection::AcademicSessions => "academicSessions",
            Collection::Courses => "courses",
            Collection::Classes => "classes",
            Collection::Users => "users",
            Collection::Enrollments => "enrollments",
            Collection::Demographics => "demographics",
        }
    }

    /// Looks a collection up by [`Collection::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The `type` of a GUIDRef to a record of this collection.
    pub fn ref_type(self) -> &'static str {
        match self {
            Collection::Orgs => "org",
            Collection::AcademicSessions => "academicSession",
            Collection::Courses => "course",
            Collection::Classes => "class",
            Collection::Users => "user",
            Collection::Enrollments => "enrollment",
            Collection::Demographics => "demographics",
        }
    }

    /// The path a record of this collection is served at.
    pub fn href(self, id: &SourcedId) -> String {
        format!("{ROSTERING_BASE}/{}/{}", self.name(), id)
    }
}

/// A typed view of a collection, served as its own endpoints (`/schools`, `/terms`,
/// `/gradingPeriods`, `/students`, `/teachers`). A record belongs to at most one view; the store
/// indexes view members so a view lists in O(page) like a collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum View {
    /// Orgs of type `school`.
    Schools,
    /// Academic sessions of type `term`.
    Terms,
    /// Academic sessions of type `gradingPeriod`.
    GradingPeriods,
    /// Users whose primary role is `student` (the first role when none is marked primary).
    Students,
    /// Users whose primary role is `teacher` (the first role when none is marked primary).
    Teachers,
}

impl View {
    /// Every view.
    pub const ALL: [View; 5] = [View::Schools, View::Terms, View::GradingPeriods, View::Students, View::Teachers];

    /// The view's name in URLs and keys.
    pub fn name(self) -> &'static str {
        match self {
            View::Schools => "schools",
            View::Terms => "terms",
            View::GradingPeriods => "gradingPeriods",
            View::Students => "students",
            View::Teachers => "teachers",
        }
    }

    /// Looks a view up by [`View::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.name() == name)
    }

    /// The collection whose records the view selects.
    pub fn collection(self) -> Collection {
        match self {
            View::Schools => Collection::Orgs,
            View::Terms | View::GradingPeriods => Collection::AcademicSessions,
            View::Students | View::Teachers => Collection::Users,
        }
    }
}

/// A one-to-many relation that a relation route reads: the children of one parent record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Relation {
    /// Orgs whose parent is the org (`org.children`).
    OrgChildren,
    /// Courses of an org (`/schools/{id}/courses`).
    OrgCourses,
    /// Classes of a school (`/schools/{id}/classes`).
    SchoolClasses,
    /// Terms of a school, through its classes (`/schools/{id}/terms`).
    SchoolTerms,
    /// Enrollments of a school (`/schools/{id}/enrollments`).
    SchoolEnrollments,
    /// Users holding a student role in the org (`/schools/{id}/students`).
    SchoolStudents,
    /// Users holding a teacher role in the org (`/schools/{id}/teachers`).
    SchoolTeachers,
    /// Sessions whose parent is the session (`/terms/{id}/gradingPeriods`).
    SessionChildren,
    /// Classes taught in a term (`/terms/{id}/classes`).
    TermClasses,
    /// Classes of a course (`/courses/{id}/classes`).
    CourseClasses,
    /// Enrollments of a class (`/schools/{s}/classes/{c}/enrollments`).
    ClassEnrollments,
    /// Users enrolled as students (`/classes/{id}/students`).
    ClassStudents,
    /// Users enrolled as teachers (`/classes/{id}/teachers`).
    ClassTeachers,
    /// Enrollments of a user.
    UserEnrollments,
    /// Classes a user is enrolled in (`/users/{id}/classes`, `/students|teachers/{id}/classes`).
    UserClasses,
}

impl Relation {
    /// Every relation.
    pub const ALL: [Relation; 15] = {
        use Relation::*;
        [
            OrgChildren,
            OrgCourses,
            SchoolClasses,
            SchoolTerms,
            SchoolEnrollments,
            SchoolStudents,
            SchoolTeachers,
            SessionChildren,
            TermClasses,
            CourseClasses,
            ClassEnrollments,
            ClassStudents,
            ClassTeachers,
            UserEnrollments,
            UserClasses,
        ]
    };

    /// The relation's name in keys: short, stable, never reused.
    pub fn name(self) -> &'static str {
        match self {
            Relation::OrgChildren => "org-children",
            Relation::OrgCourses => "org-courses",
            Relation::SchoolClasses => "school-classes",
            Relation::SchoolTerms => "school-terms",
            Relation::SchoolEnrollments => "school-enrollments",
            Relation::SchoolStudents => "school-students",
            Relation::SchoolTeachers => "school-teachers",
            Relation::SessionChildren => "session-children",
            Relation::TermClasses => "term-classes",
            Relation::CourseClasses => "course-classes",
            Relation::ClassEnrollments => "class-enrollments",
            Relation::ClassStudents => "class-students",
            Relation::ClassTeachers => "class-teachers",
            Relation::UserEnrollments => "user-enrollments",
            Relation::UserClasses => "user-classes",
        }
    }

    /// The collection the parent belongs to.
    pub fn parent(self) -> Collection {
        use Relation::*;
        match self {
            OrgChildren | OrgCourses | SchoolClasses | SchoolTerms | SchoolEnrollments | SchoolStudents
            | SchoolTeachers => Collection::Orgs,
            SessionChildren | TermClasses => Collection::AcademicSessions,
            CourseClasses => Collection::Courses,
            ClassEnrollments | ClassStudents | ClassTeachers => Collection::Classes,
            UserEnrollments | UserClasses => Collection::Users,
        }
    }

    /// The collection the children belong to.
    pub fn child(self) -> Collection {
        use Relation::*;
        match self {
            OrgChildren => Collection::Orgs,
            OrgCourses => Collection::Courses,
            SchoolClasses | TermClasses | CourseClasses | UserClasses => Collection::Classes,
            SchoolTerms | SessionChildren => Collection::AcademicSessions,
            SchoolEnrollments | ClassEnrollments | UserEnrollments => Collection::Enrollments,
            SchoolStudents | SchoolTeachers | ClassStudents | ClassTeachers => Collection::Users,
        }
    }

    /// Whether one child can be linked to a parent more than once, through different records
    /// (a school's term through each of its classes, a student through two enrollments in one
    /// class): listing and counting then go by distinct children.
    pub fn may_repeat_children(self) -> bool {
        use Relation::*;
        matches!(self, SchoolTerms | UserClasses | ClassStudents | ClassTeachers)
    }

    /// Whether a parent can have a great many children (a school's enrollments, a term's
    /// classes): the store spreads those over several partitions.
    pub fn is_wide(self) -> bool {
        use Relation::*;
        matches!(self, OrgCourses | SchoolClasses | SchoolEnrollments | SchoolStudents | SchoolTeachers | TermClasses)
    }
}

/// One membership of a record in a relation. `via` names the record that makes the link when
/// it is not the child itself (the enrollment that puts a student in a class), so that two
/// records making the same link keep two entries and removing one keeps the other.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Link {
    /// The relation.
    pub relation: Relation,
    /// The parent record.
    pub parent: SourcedId,
    /// The child record.
    pub child: SourcedId,
    /// The record that makes the link, when it is not the child.
    pub via: Option<SourcedId>,
}
