//! The collections records live in, and the relations between them that the relation routes
//! of the REST binding read (`/schools/{id}/classes`, `/classes/{id}/students`, …).

use crate::ids::SourcedId;
use crate::table::every_row;

/// The `Collection` enum, its `ALL`, `name` and `ref_type`, from the rows of [`crate::collections!`].
macro_rules! declare_collections {
    ($(
        $(#[$doc:meta])*
        $variant:ident { name: $name:literal, ref_type: $ref_type:literal, record: $record:ident($entity:ty) $(,)? },
    )*) => {
        crate::named_enum! {
            /// A top-level collection of records, one per stored entity type.
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
            pub enum Collection { $($(#[$doc])* $variant => $name),* }
            /// Every collection, in the order a package is applied (referenced before referencing).
            ALL;
            /// The collection's name in URLs and keys.
            fn name;
        }

        impl Collection {
            /// The `type` of a GUIDRef to a record of this collection.
            pub fn ref_type(self) -> &'static str {
                match self {
                    $(Collection::$variant => $ref_type,)*
                }
            }
        }
    };
}

crate::collections!(every_row, declare_collections);

impl Collection {
    /// Looks a collection up by [`Collection::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Looks a collection up by [`Collection::ref_type`] (the `type` of a reference).
    pub fn from_ref_type(ref_type: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.ref_type() == ref_type)
    }
}

crate::named_enum! {
    /// A typed view of a collection, served as its own endpoints (`/schools`, `/terms`,
    /// `/gradingPeriods`, `/students`, `/teachers`). A record belongs to at most one view; the store
    /// indexes view members so a view lists in O(page) like a collection.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub enum View {
        /// Orgs of type `school`.
        Schools => "schools",
        /// Academic sessions of type `term`.
        Terms => "terms",
        /// Academic sessions of type `gradingPeriod`.
        GradingPeriods => "gradingPeriods",
        /// Users whose primary role is `student` (the first role when none is marked primary).
        Students => "students",
        /// Users whose primary role is `teacher` (the first role when none is marked primary).
        Teachers => "teachers",
    }
    /// Every view.
    ALL;
    /// The view's name in URLs and keys.
    fn name;
}

impl View {
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

crate::named_enum! {
    /// A one-to-many relation that a relation route reads: the children of one parent record.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub enum Relation {
        /// Courses of an org (`/schools/{id}/courses`).
        OrgCourses => "org-courses",
        /// Classes of a school (`/schools/{id}/classes`).
        SchoolClasses => "school-classes",
        /// Terms of a school, through its classes (`/schools/{id}/terms`).
        SchoolTerms => "school-terms",
        /// Enrollments of a school (`/schools/{id}/enrollments`).
        SchoolEnrollments => "school-enrollments",
        /// Users holding a student role in the org (`/schools/{id}/students`).
        SchoolStudents => "school-students",
        /// Users holding a teacher role in the org (`/schools/{id}/teachers`).
        SchoolTeachers => "school-teachers",
        /// Users holding any role in the org: what a client limited to one school lists as
        /// `/users` (its district's sharing rule), page by page.
        SchoolUsers => "school-users",
        /// Sessions whose parent is the session (`/terms/{id}/gradingPeriods`).
        SessionChildren => "session-children",
        /// Classes taught in a term (`/terms/{id}/classes`).
        TermClasses => "term-classes",
        /// Classes of a course (`/courses/{id}/classes`).
        CourseClasses => "course-classes",
        /// Enrollments of a class (`/schools/{s}/classes/{c}/enrollments`).
        ClassEnrollments => "class-enrollments",
        /// Users enrolled as students (`/classes/{id}/students`).
        ClassStudents => "class-students",
        /// Users enrolled as teachers (`/classes/{id}/teachers`).
        ClassTeachers => "class-teachers",
        /// Classes a user is enrolled in (`/users/{id}/classes`, `/students|teachers/{id}/classes`).
        UserClasses => "user-classes",
        /// Resources assigned to a class by classResources.csv (`/classes/{id}/resources`).
        ClassResources => "class-resources",
        /// Resources assigned to a course by courseResources.csv (`/courses/{id}/resources`).
        CourseResources => "course-resources",
        /// Resources assigned to a user by userResources.csv (`/users/{id}/resources`).
        UserResources => "user-resources",
        /// Users by e-mail address, for `filter=email='…'`: a lookup whose parent is the
        /// [`lookup_key`] of the address.
        UsersByEmail => "users-by-email",
        /// Users by username, for `filter=username='…'` (a lookup, like [`Relation::UsersByEmail`]).
        UsersByUsername => "users-by-username",
        /// Users by identifier, for `filter=identifier='…'` (a lookup, like [`Relation::UsersByEmail`]).
        UsersByIdentifier => "users-by-identifier",
        /// Line items of a class (`/classes/{id}/lineItems`).
        ClassLineItems => "class-line-items",
        /// Categories of a class's line items (`/classes/{id}/categories`; categories name no class).
        ClassCategories => "class-categories",
        /// Score scales of a class (`/classes/{id}/scoreScales`).
        ClassScoreScales => "class-score-scales",
        /// Score scales of the classes of a school (`/schools/{id}/scoreScales`; a score scale names
        /// its class, whose school it belongs to).
        SchoolScoreScales => "school-score-scales",
        /// Results of a class (`/classes/{id}/results`), the class being the result's own or, when
        /// it names none, its line item's.
        ClassResults => "class-results",
        /// Results of a line item (`/classes/{c}/lineItems/{id}/results`).
        LineItemResults => "line-item-results",
        /// Results of one student in one class (`/classes/{c}/students/{s}/results`): the parent is
        /// the [`pair_key`] of class and student.
        ClassStudentResults => "class-student-results",
        /// Attendance marks of a student (`/students/{id}/attendance`).
        StudentAttendance => "student-attendance",
        /// Attendance marks taken in a class (`/classes/{id}/attendance`).
        ClassAttendance => "class-attendance",
        /// Attendance marks of a school (`/schools/{id}/attendance`).
        SchoolAttendance => "school-attendance",
        /// Attendance marks by day, for `filter=date='…'` on `/attendance`: an index whose
        /// parent is the [`lookup_key`] of the day, so that one day of a district pages in
        /// O(page) instead of a scan of every mark ever taken.
        AttendanceByDate => "attendance-by-date",
    }
    /// Every relation.
    ALL;
    /// The relation's name in keys: short, stable, never reused.
    fn name;
}

impl Relation {
    /// The index of a field of `collection` by value, whose parents are [`lookup_key`]s of the
    /// values: a users' `email`, `username` or `identifier`, an attendance mark's `date`.
    pub fn lookup(collection: Collection, field: &str) -> Option<Self> {
        match (collection, field) {
            (Collection::Users, "email") => Some(Relation::UsersByEmail),
            (Collection::Users, "username") => Some(Relation::UsersByUsername),
            (Collection::Users, "identifier") => Some(Relation::UsersByIdentifier),
            (Collection::Attendance, "date") => Some(Relation::AttendanceByDate),
            _ => None,
        }
    }

    /// The collection the parent belongs to (for a lookup, the collection whose field it
    /// indexes: its parents are [`lookup_key`]s, not records).
    pub fn parent(self) -> Collection {
        use Relation::*;
        match self {
            UsersByEmail | UsersByUsername | UsersByIdentifier => Collection::Users,
            AttendanceByDate => Collection::Attendance,
            StudentAttendance => Collection::Users,
            SchoolAttendance => Collection::Orgs,
            ClassAttendance => Collection::Classes,
            OrgCourses | SchoolClasses | SchoolTerms | SchoolEnrollments | SchoolStudents | SchoolTeachers
            | SchoolUsers | SchoolScoreScales => Collection::Orgs,
            SessionChildren | TermClasses => Collection::AcademicSessions,
            CourseClasses | CourseResources => Collection::Courses,
            ClassEnrollments | ClassStudents | ClassTeachers | ClassResources | ClassLineItems | ClassCategories
            | ClassScoreScales | ClassResults | ClassStudentResults => Collection::Classes,
            LineItemResults => Collection::LineItems,
            UserClasses | UserResources => Collection::Users,
        }
    }

    /// The collection the children belong to.
    pub fn child(self) -> Collection {
        use Relation::*;
        match self {
            OrgCourses => Collection::Courses,
            SchoolClasses | TermClasses | CourseClasses | UserClasses => Collection::Classes,
            SchoolTerms | SessionChildren => Collection::AcademicSessions,
            SchoolEnrollments | ClassEnrollments => Collection::Enrollments,
            SchoolStudents | SchoolTeachers | SchoolUsers | ClassStudents | ClassTeachers => Collection::Users,
            UsersByEmail | UsersByUsername | UsersByIdentifier => Collection::Users,
            ClassResources | CourseResources | UserResources => Collection::Resources,
            ClassLineItems => Collection::LineItems,
            ClassCategories => Collection::Categories,
            ClassScoreScales | SchoolScoreScales => Collection::ScoreScales,
            ClassResults | LineItemResults | ClassStudentResults => Collection::Results,
            StudentAttendance | ClassAttendance | SchoolAttendance | AttendanceByDate => Collection::Attendance,
        }
    }

    /// Whether one child can be linked to a parent more than once, through different records
    /// (a school's term through each of its classes, a student through two enrollments in one
    /// class, a resource through two link rows): listing and counting then go by distinct
    /// children.
    pub fn may_repeat_children(self) -> bool {
        use Relation::*;
        matches!(
            self,
            SchoolTerms
                | UserClasses
                | ClassStudents
                | ClassTeachers
                | ClassResources
                | CourseResources
                | UserResources
                | ClassCategories
        )
    }

    /// The collection whose records make the relation's entries (an enrollment puts a
    /// student in a class).
    pub fn made_by(self) -> Collection {
        use Relation::*;
        match self {
            OrgCourses => Collection::Courses,
            SchoolClasses | SchoolTerms | TermClasses | CourseClasses => Collection::Classes,
            SchoolEnrollments | ClassEnrollments | ClassStudents | ClassTeachers | UserClasses => {
                Collection::Enrollments
            }
            SchoolStudents | SchoolTeachers | SchoolUsers | UsersByEmail | UsersByUsername | UsersByIdentifier => {
                Collection::Users
            }
            SessionChildren => Collection::AcademicSessions,
            ClassResources => Collection::ClassResources,
            CourseResources => Collection::CourseResources,
            UserResources => Collection::UserResources,
            ClassLineItems | ClassCategories => Collection::LineItems,
            ClassScoreScales | SchoolScoreScales => Collection::ScoreScales,
            ClassResults | LineItemResults | ClassStudentResults => Collection::Results,
            StudentAttendance | ClassAttendance | SchoolAttendance | AttendanceByDate => Collection::Attendance,
        }
    }

    /// Looks a relation up by [`Relation::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.name() == name)
    }
}

/// The parent id under which a lookup files a value: a digest, so that any text (an address
/// with `#` or spaces, a long username) makes a short key of safe characters. Values are
/// matched exactly, as `filter=field='value'` compares them.
pub fn lookup_key(value: &str) -> SourcedId {
    let digest = xxhash_rust::xxh3::xxh3_128(value.as_bytes());
    SourcedId::parse(&format!("{digest:032x}")).expect("hex digits make a sourcedId")
}

/// The parent id of a relation keyed by two records (a class and a student): a digest, like
/// [`lookup_key`], of both ids. Ids may hold `/`, so two ids joined by `/` could be read two
/// ways (`a/b` + `c`, `a` + `b/c`); such pairs are joined by `#`, which no id holds. Pairs of
/// ids without `/` keep the `/` join, so the keys stored before stay where they were.
pub fn pair_key(first: &SourcedId, second: &SourcedId) -> SourcedId {
    let separator = if first.as_str().contains('/') || second.as_str().contains('/') { '#' } else { '/' };
    lookup_key(&format!("{first}{separator}{second}"))
}

/// One membership of a record in a relation. `via` names the record that makes the link when
/// it is not the child itself (the enrollment that puts a student in a class), so that two
/// records making the same link keep two entries and removing one keeps the other. A record
/// marked `tobedeleted` makes no links through it: the dropped enrollment no longer puts the
/// student in the class, the deleted classResources row no longer assigns the resource.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ref_types_look_their_collection_up() {
        assert_eq!(Collection::from_ref_type("academicSession"), Some(Collection::AcademicSessions));
        assert_eq!(Collection::from_ref_type("term"), None);
    }

    /// Every name of `all`, checked to be unique and to look its value up again.
    fn round_trips<T: Copy + PartialEq + std::fmt::Debug>(
        all: &[T],
        name: fn(T) -> &'static str,
        from_name: fn(&str) -> Option<T>,
    ) -> Vec<&'static str> {
        let names: Vec<&'static str> = all.iter().map(|value| name(*value)).collect();
        for (value, name) in all.iter().zip(&names) {
            assert_eq!(from_name(name), Some(*value), "{name}");
            assert_eq!(names.iter().filter(|other| *other == name).count(), 1, "{name} is unique");
        }
        names
    }

    #[test]
    fn every_generated_name_looks_its_value_up_again() {
        let collections = round_trips(&Collection::ALL, Collection::name, Collection::from_name);
        let ref_types = round_trips(&Collection::ALL, Collection::ref_type, Collection::from_ref_type);
        round_trips(&View::ALL, View::name, View::from_name);
        let relations = round_trips(&Relation::ALL, Relation::name, Relation::from_name);
        // The names are keys of stored items: the first and last of each list pinned.
        for (names, first, last) in [
            (&collections, "orgs", "assessmentResults"),
            (&ref_types, "org", "assessmentResult"),
            (&relations, "org-courses", "attendance-by-date"),
        ] {
            assert_eq!((names[0], names[names.len() - 1]), (first, last));
        }
        assert_eq!(Collection::from_name("org"), None, "a ref type is not a name");
        assert_eq!(View::from_name("orgs"), None, "a collection is not a view");
    }

    #[test]
    fn each_list_holds_every_variant_once_in_declaration_order() {
        // Declaration order is the order a package is applied (`Ord` is derived from it).
        for (sorted, count) in [
            (Collection::ALL.windows(2).all(|pair| pair[0] < pair[1]), Collection::ALL.len()),
            (View::ALL.windows(2).all(|pair| pair[0] < pair[1]), View::ALL.len()),
            (Relation::ALL.windows(2).all(|pair| pair[0] < pair[1]), Relation::ALL.len()),
        ] {
            assert!(sorted, "{count}");
        }
        assert_eq!(Collection::ALL.last(), Some(&Collection::AssessmentResults));
    }

    #[test]
    fn pairs_of_ids_with_a_slash_do_not_collide() {
        let id = |text| SourcedId::parse(text).expect("an id");
        assert_ne!(pair_key(&id("a/b"), &id("c")), pair_key(&id("a"), &id("b/c")));
        assert_eq!(pair_key(&id("a"), &id("c")), lookup_key("a/c"), "keys of plain ids are as before");
    }
}
