//! How the store lays out each relation and which collections API clients write: storage
//! decisions, kept here as one table rather than on the model's enums, so that the model says
//! what OneRoster means and this crate alone says how it is kept.

use oneroster_model::{Collection, Relation};

/// How one relation's entries are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// The relation.
    pub relation: Relation,
    /// Partitions one parent's entries spread over: more than one for parents that can have a
    /// great many children (a school's enrollments, a term's classes).
    pub shards: u64,
    /// Whether a pack of the children (their ids in listing order, rebuilt after each ingest)
    /// is kept, so that a page costs one read of the pack and one per record instead of one per
    /// entry and one per record. Not for relations that API writes change all the time (the
    /// gradebook's: each write would rebuild a pack, and concurrent writes would contend for
    /// it) nor for lookups (one child: the entry is as cheap as a pack). A rostering write
    /// through the API's extensions, which is rare beside the nightly feed, deletes the pack
    /// heads it makes stale: those parents are listed from their entries until the next
    /// ingest rebuilds their packs.
    pub packed: bool,
    /// Whether entries carry a copy of the child record, so that a page reads one item per
    /// record: the gradebook's relations, which are not packed and whose child makes its own
    /// entries (so every write of the child rewrites them).
    pub bodies: bool,
    /// Whether each parent's count of children is kept in a stats item: relations with too many
    /// children to count per request (wide ones, a class's results) unless packed, whose pack
    /// head holds the count already.
    pub counted: bool,
}

/// Partitions a wide relation's parent spreads over.
pub const WIDE_RELATION_SHARDS: u64 = 8;

const fn wide(relation: Relation) -> Layout {
    Layout { relation, shards: WIDE_RELATION_SHARDS, packed: true, bodies: false, counted: false }
}
const fn packed(relation: Relation) -> Layout {
    Layout { relation, shards: 1, packed: true, bodies: false, counted: false }
}
const fn plain(relation: Relation) -> Layout {
    Layout { relation, shards: 1, packed: false, bodies: false, counted: false }
}
const fn with_bodies(relation: Relation) -> Layout {
    Layout { relation, shards: 1, packed: false, bodies: true, counted: false }
}

/// Every relation's layout, in the order of [`Relation::ALL`] (a test checks).
pub const LAYOUTS: [Layout; 31] = {
    use Relation::*;
    [
        wide(OrgCourses),
        wide(SchoolClasses),
        packed(SchoolTerms),
        wide(SchoolEnrollments),
        wide(SchoolStudents),
        wide(SchoolTeachers),
        wide(SchoolUsers),
        packed(SessionChildren),
        wide(TermClasses),
        packed(CourseClasses),
        packed(ClassEnrollments),
        packed(ClassStudents),
        packed(ClassTeachers),
        packed(UserClasses),
        packed(ClassResources),
        packed(CourseResources),
        packed(UserResources),
        plain(UsersByEmail),
        plain(UsersByUsername),
        plain(UsersByIdentifier),
        with_bodies(ClassLineItems),
        plain(ClassCategories),
        with_bodies(ClassScoreScales),
        with_bodies(SchoolScoreScales),
        Layout { counted: true, ..with_bodies(ClassResults) },
        with_bodies(LineItemResults),
        with_bodies(ClassStudentResults),
        packed(StudentAttendance),
        packed(ClassAttendance),
        wide(SchoolAttendance),
        wide(AttendanceByDate),
    ]
};

/// The layout of `relation`.
pub fn of(relation: Relation) -> &'static Layout {
    &LAYOUTS[relation as usize]
}

/// The collections API clients write all the time (the Gradebook service's PUT, POST, DELETE),
/// not only the ingest: their records change one at a time, at any moment, so none of their
/// relations is packed and their modification times are not kept per collection. (Rostering
/// and resources records, which an SIS may also write through the API's extensions, change
/// mostly through the ingest; a write of one drops its collection's kept times until the next
/// ingest measures them again.)
pub const WRITTEN_THROUGH_API: [Collection; 6] = [
    Collection::Categories,
    Collection::ScoreScales,
    Collection::LineItems,
    Collection::Results,
    Collection::AssessmentLineItems,
    Collection::AssessmentResults,
];

/// Whether API clients write records of `collection` (see [`WRITTEN_THROUGH_API`]).
pub fn is_written_through_api(collection: Collection) -> bool {
    WRITTEN_THROUGH_API.contains(&collection)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_follows_the_relations_in_order() {
        let listed: Vec<Relation> = LAYOUTS.iter().map(|l| l.relation).collect();
        assert_eq!(listed, Relation::ALL);
        assert!(Relation::ALL.iter().enumerate().all(|(i, r)| *r as usize == i), "ALL is in declaration order");
        for relation in Relation::ALL {
            assert_eq!(of(relation).relation, relation);
        }
    }

    #[test]
    fn relations_that_api_writes_change_are_not_packed() {
        for layout in LAYOUTS {
            let made_by_api = is_written_through_api(layout.relation.made_by());
            assert!(!(made_by_api && layout.packed), "{:?}", layout.relation);
            // A relation whose entries carry bodies is one the child's own writes rewrite.
            assert!(!layout.bodies || made_by_api, "{:?}", layout.relation);
            assert!(!(layout.packed && layout.counted), "{:?}", layout.relation);
            assert!(layout.shards == 1 || layout.packed, "{:?}", layout.relation);
        }
    }

    #[test]
    fn counts_are_kept_for_wide_unpacked_relations_and_class_results() {
        let counted: Vec<Relation> = LAYOUTS.iter().filter(|l| l.counted).map(|l| l.relation).collect();
        assert_eq!(counted, [Relation::ClassResults]);
    }

    #[test]
    fn wide_relations_spread_each_parent_and_the_rest_keep_one_partition() {
        use Relation::*;
        let wide = [
            OrgCourses,
            SchoolClasses,
            SchoolEnrollments,
            SchoolStudents,
            SchoolTeachers,
            SchoolUsers,
            TermClasses,
            SchoolAttendance,
            AttendanceByDate,
        ];
        for relation in Relation::ALL {
            let expected = if wide.contains(&relation) { WIDE_RELATION_SHARDS } else { 1 };
            assert_eq!(of(relation).shards, expected, "{relation:?}");
        }
    }

    /// Whether `relation` indexes a users' field by value (one child per parent).
    fn is_lookup(relation: Relation) -> bool {
        ["email", "username", "identifier"]
            .into_iter()
            .any(|field| Relation::lookup(Collection::Users, field) == Some(relation))
    }

    #[test]
    fn lookups_are_single_entries_neither_packed_nor_counted() {
        for relation in Relation::ALL.into_iter().filter(|r| is_lookup(*r)) {
            let layout = of(relation);
            assert_eq!(
                (layout.shards, layout.packed, layout.bodies, layout.counted),
                (1, false, false, false),
                "{relation:?}"
            );
        }
    }

    #[test]
    fn entries_carry_bodies_only_where_each_child_is_listed_once_from_its_own_write() {
        for relation in Relation::ALL {
            let layout = of(relation);
            let own = relation.made_by() == relation.child();
            assert!(!layout.bodies || own, "{relation:?}: a body copied from another record's write");
            assert!(!layout.bodies || !relation.may_repeat_children(), "{relation:?}: a child listed twice");
        }
    }

    #[test]
    fn every_rostering_relation_with_many_children_is_packed() {
        // A relation route that the ingest alone feeds reads a pack; only lookups and the
        // gradebook's relations are listed from their entries.
        for relation in Relation::ALL {
            let api = is_written_through_api(relation.made_by());
            assert_eq!(of(relation).packed, !is_lookup(relation) && !api, "{relation:?}");
        }
    }

    #[test]
    fn the_collections_api_clients_write_are_the_gradebooks() {
        use Collection::*;
        let gradebook = [Categories, ScoreScales, LineItems, Results, AssessmentLineItems, AssessmentResults];
        for collection in Collection::ALL {
            assert_eq!(is_written_through_api(collection), gradebook.contains(&collection), "{collection:?}");
        }
    }
}
