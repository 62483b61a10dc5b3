//! The one list of the stored entities, and the macros that turn lists into enums.
//!
//! Adding an entity used to mean editing a dozen matches in several crates (the `Collection`
//! and `Record` enums, their `ALL`, names, ref types, JSON readers, the CSV files). Each
//! collection is now one row of [`collections!`]; the model's enums and matches and the CSV
//! crate's file mapping are generated from it, and the compiler points at any match a new row
//! leaves open.

/// The table of collections: one row per stored entity type, in the order a package is
/// applied (referenced before referencing). It hands the rows to `$callback!`, a macro of the
/// caller's, after any `$args` the caller passes through, so that each crate generates what it
/// needs from the same rows (this crate: `Collection` and `Record`; `oneroster-csv`: which file
/// holds which collection).
///
/// The rows come in two groups: `imported { … }`, the collections a file of the CSV binding
/// feeds, and `api_only { … }`, those written through the API only. A row reads
///
/// ```text
/// /// doc of the Collection variant
/// Variant { name: "wire name", ref_type: "GUIDRef type", record: RecordVariant(EntityType) },
/// ```
///
/// `Variant` names the `Collection` (and the CSV `FileKind`), `name` its URL and key segment
/// (and, with `.csv`, its file), `ref_type` the `type` of a GUIDRef to one of its records,
/// `RecordVariant` the `Record` that holds an `EntityType`.
#[macro_export]
macro_rules! collections {
    ($callback:ident $(, $($args:tt)*)?) => {
        $callback! {
            $($($args)*)?
            imported {
                /// orgs.csv, `/orgs`.
                Orgs { name: "orgs", ref_type: "org", record: Org($crate::entities::Org) },
                /// academicSessions.csv, `/academicSessions`.
                AcademicSessions {
                    name: "academicSessions",
                    ref_type: "academicSession",
                    record: AcademicSession($crate::entities::AcademicSession),
                },
                /// courses.csv, `/courses`.
                Courses { name: "courses", ref_type: "course", record: Course($crate::entities::Course) },
                /// classes.csv, `/classes`.
                Classes { name: "classes", ref_type: "class", record: Class($crate::entities::Class) },
                /// users.csv (+ roles.csv, userProfiles.csv), `/users`.
                Users { name: "users", ref_type: "user", record: User($crate::entities::User) },
                /// enrollments.csv, `/enrollments`.
                Enrollments {
                    name: "enrollments",
                    ref_type: "enrollment",
                    record: Enrollment($crate::entities::Enrollment),
                },
                /// demographics.csv, `/demographics`.
                Demographics {
                    name: "demographics",
                    ref_type: "demographics",
                    record: Demographics($crate::entities::Demographics),
                },
                /// resources.csv, `/resources` (Resources service).
                Resources { name: "resources", ref_type: "resource", record: Resource($crate::entities::Resource) },
                /// classResources.csv: links of resources to classes, read through `/classes/{id}/resources`.
                ClassResources {
                    name: "classResources",
                    ref_type: "classResource",
                    record: ClassResource($crate::entities::ClassResource),
                },
                /// courseResources.csv: links of resources to courses, read through `/courses/{id}/resources`.
                CourseResources {
                    name: "courseResources",
                    ref_type: "courseResource",
                    record: CourseResource($crate::entities::CourseResource),
                },
                /// userResources.csv: links of resources to users, read through `/users/{id}/resources`.
                UserResources {
                    name: "userResources",
                    ref_type: "userResource",
                    record: UserResource($crate::entities::UserResource),
                },
                /// categories.csv, `/categories` (Gradebook service).
                Categories { name: "categories", ref_type: "category", record: Category($crate::entities::Category) },
                /// scoreScales.csv, `/scoreScales`.
                ScoreScales {
                    name: "scoreScales",
                    ref_type: "scoreScale",
                    record: ScoreScale($crate::entities::ScoreScale),
                },
                /// lineItems.csv, `/lineItems`.
                LineItems { name: "lineItems", ref_type: "lineItem", record: LineItem($crate::entities::LineItem) },
                /// results.csv, `/results`.
                Results { name: "results", ref_type: "result", record: Result($crate::entities::GradebookResult) },
                /// absenceCodes.csv (OneRoster+ attendance), `/absenceCodes` (Attendance extension).
                AbsenceCodes {
                    name: "absenceCodes",
                    ref_type: "absenceCode",
                    record: AbsenceCode($crate::entities::AbsenceCode),
                },
                /// attendance.csv (OneRoster+ attendance), `/attendance`.
                Attendance {
                    name: "attendance",
                    ref_type: "attendance",
                    record: Attendance($crate::entities::Attendance),
                },
            }
            api_only {
                /// `/assessmentLineItems` (written through the API only; the binding has no file).
                AssessmentLineItems {
                    name: "assessmentLineItems",
                    ref_type: "assessmentLineItem",
                    record: AssessmentLineItem($crate::entities::AssessmentLineItem),
                },
                /// `/assessmentResults` (written through the API only).
                AssessmentResults {
                    name: "assessmentResults",
                    ref_type: "assessmentResult",
                    record: AssessmentResult($crate::entities::AssessmentResult),
                },
            }
        }
    };
}

/// Declares a field-less enum and its `ALL`, every variant in declaration order, from one list:
/// a variant added to the enum cannot be missing from `ALL`. The attributes before `ALL` become
/// its doc.
#[macro_export]
macro_rules! listed_enum {
    (
        $(#[$attr:meta])*
        $vis:vis enum $enum:ident { $($(#[$doc:meta])* $variant:ident),* $(,)? }
        $(#[$all_doc:meta])* ALL;
    ) => {
        $(#[$attr])*
        $vis enum $enum { $($(#[$doc])* $variant,)* }

        impl $enum {
            $(#[$all_doc])*
            pub const ALL: [$enum; [$(stringify!($variant)),*].len()] = [$($enum::$variant),*];
        }
    };
}

/// Declares a field-less enum, its `ALL` (as [`listed_enum!`]) and its `name`, each variant
/// written once with its name (`Variant => "name"`), so that a variant cannot lack one. The
/// attributes before `ALL` and before `fn name` become their docs.
#[macro_export]
macro_rules! named_enum {
    (
        $(#[$attr:meta])*
        $vis:vis enum $enum:ident { $($(#[$doc:meta])* $variant:ident => $name:literal),* $(,)? }
        $(#[$all_doc:meta])* ALL;
        $(#[$name_doc:meta])* fn name;
    ) => {
        $crate::listed_enum! {
            $(#[$attr])*
            $vis enum $enum { $($(#[$doc])* $variant),* }
            $(#[$all_doc])* ALL;
        }

        impl $enum {
            $(#[$name_doc])*
            pub fn name(self) -> &'static str {
                match self {
                    $($enum::$variant => $name,)*
                }
            }
        }
    };
}

/// Hands `$callback!` the rows of both groups of [`collections!`] as one list, in table order,
/// for the callbacks that treat imported and API-only collections alike
/// (`crate::collections!(every_row, callback)`).
macro_rules! every_row {
    ($callback:ident imported { $($imported:tt)* } api_only { $($api_only:tt)* }) => {
        $callback! { $($imported)* $($api_only)* }
    };
}
pub(crate) use every_row;
