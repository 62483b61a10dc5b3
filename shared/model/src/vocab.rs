//! OneRoster vocabularies: closed enumerations and the extensible ones that also accept
//! proprietary `ext:` terms (CSV binding §3, OpenAPI `anyOf` with pattern `(ext:)[a-zA-Z0-9.\-_]+`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A value that is not a term of its vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{value}' is not one of {{{allowed}}}{ext}")]
pub struct VocabularyError {
    /// The rejected text.
    pub value: String,
    /// The permitted terms, separated by ` | `.
    pub allowed: &'static str,
    /// A hint that `ext:` terms are accepted too, where they are.
    pub ext: &'static str,
}

/// Whether `term` is a well-formed proprietary extension term (`ext:` + `[a-zA-Z0-9.\-_]+`).
pub fn is_extension_term(term: &str) -> bool {
    term.strip_prefix("ext:").is_some_and(|rest| {
        !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
    })
}

macro_rules! vocabulary {
    // A closed vocabulary: only the listed terms.
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $term:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }
        impl $name {
            /// The terms of this vocabulary, as the specification spells them.
            pub const TERMS: &'static str = concat!($($term, " | "),+);
            /// Parses a term (case-sensitive, as the binding requires).
            pub fn parse(text: &str) -> Result<Self, VocabularyError> {
                match text {
                    $($term => Ok(Self::$variant),)+
                    _ => Err(VocabularyError { value: text.to_owned(), allowed: Self::TERMS.trim_end_matches(" | "), ext: "" }),
                }
            }
            /// The term as written on the wire.
            pub fn as_str(&self) -> &str {
                match self { $(Self::$variant => $term),+ }
            }
        }
        vocabulary!(@serde $name);
    };
    // An extensible vocabulary: the listed terms or an `ext:` term.
    ($(#[$meta:meta])* extensible $name:ident { $($(#[$vmeta:meta])* $variant:ident = $term:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A proprietary term, always beginning with `ext:`.
            Ext(String),
        }
        impl $name {
            /// The terms of this vocabulary, as the specification spells them.
            pub const TERMS: &'static str = concat!($($term, " | "),+);
            /// Parses a term or an `ext:` extension (case-sensitive, as the binding requires).
            pub fn parse(text: &str) -> Result<Self, VocabularyError> {
                match text {
                    $($term => Ok(Self::$variant),)+
                    ext if is_extension_term(ext) => Ok(Self::Ext(ext.to_owned())),
                    _ => Err(VocabularyError { value: text.to_owned(), allowed: Self::TERMS.trim_end_matches(" | "), ext: " or an ext: term" }),
                }
            }
            /// The term as written on the wire.
            pub fn as_str(&self) -> &str {
                match self { $(Self::$variant => $term,)+ Self::Ext(term) => term }
            }
        }
        vocabulary!(@serde $name);
    };
    (@serde $name:ident) => {
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Self::parse(&text).map_err(serde::de::Error::custom)
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary!(
    /// The life-cycle state of every record (`inactive` of 1.1 is gone in 1.2).
    Status { /** A live record. */ Active = "active", /** Safe to delete: kept so consumers learn of the deletion. */ ToBeDeleted = "tobedeleted" }
);
vocabulary!(
    /// The kind of an org.
    extensible OrgType {
        /** A department. */ Department = "department", /** A school. */ School = "school",
        /** A district. */ District = "district", /** A local authority. */ Local = "local",
        /** A state. */ State = "state", /** A national body. */ National = "national",
    }
);
vocabulary!(
    /// The kind of an academic session.
    extensible SessionType {
        /** A grading period. */ GradingPeriod = "gradingPeriod", /** A semester. */ Semester = "semester",
        /** A school year. */ SchoolYear = "schoolYear", /** A term. */ Term = "term",
    }
);
vocabulary!(
    /// The kind of a class.
    extensible ClassType { /** A homeroom. */ Homeroom = "homeroom", /** A scheduled class. */ Scheduled = "scheduled" }
);
vocabulary!(
    /// The role of a user in an enrollment.
    extensible EnrollmentRole {
        /** An administrator. */ Administrator = "administrator", /** A proctor. */ Proctor = "proctor",
        /** A student. */ Student = "student", /** A teacher. */ Teacher = "teacher",
    }
);
vocabulary!(
    /// The role of a user in an org (roles.csv, `user.roles[].role`).
    extensible RoleName {
        /** An aide. */ Aide = "aide", /** A counselor. */ Counselor = "counselor",
        /** A district administrator. */ DistrictAdministrator = "districtAdministrator",
        /** A guardian. */ Guardian = "guardian", /** A parent. */ Parent = "parent",
        /** A principal. */ Principal = "principal", /** A proctor. */ Proctor = "proctor",
        /** A relative. */ Relative = "relative", /** A site administrator. */ SiteAdministrator = "siteAdministrator",
        /** A student. */ Student = "student", /** A system administrator. */ SystemAdministrator = "systemAdministrator",
        /** A teacher. */ Teacher = "teacher",
    }
);
vocabulary!(
    /// Whether a role is the user's primary one in its org.
    RoleType { /** The primary role. */ Primary = "primary", /** A secondary role. */ Secondary = "secondary" }
);
vocabulary!(
    /// Who is expected to use a resource (`resource.roles`, resources.csv `roles`).
    extensible ResourceRole {
        /** An administrator. */ Administrator = "administrator", /** An aide. */ Aide = "aide",
        /** A guardian. */ Guardian = "guardian", /** A parent. */ Parent = "parent",
        /** A proctor. */ Proctor = "proctor", /** A relative. */ Relative = "relative",
        /** A student. */ Student = "student", /** A teacher. */ Teacher = "teacher",
    }
);
vocabulary!(
    /// How significant a resource is to its class or course.
    Importance { /** The main resource. */ Primary = "primary", /** A supporting resource. */ Secondary = "secondary" }
);
vocabulary!(
    /// How far a result has got (`result.scoreStatus`, results.csv `scoreStatus`).
    extensible ScoreStatus {
        /** The student is excused. */ Exempt = "exempt", /** Graded in full. */ FullyGraded = "fully graded",
        /** Nothing handed in. */ NotSubmitted = "not submitted",
        /** Graded in part. */ PartiallyGraded = "partially graded", /** Handed in, not graded. */ Submitted = "submitted",
    }
);
vocabulary!(
    /// The sex of a person (demographics).
    extensible Sex {
        /** Male. */ Male = "male", /** Female. */ Female = "female",
        /** Unspecified. */ Unspecified = "unspecified", /** Other. */ Other = "other",
    }
);
vocabulary!(
    /// A boolean as OneRoster writes it in JSON: the strings `"true"` and `"false"`.
    Flag { /** True. */ True = "true", /** False. */ False = "false" }
);

impl From<bool> for Flag {
    fn from(value: bool) -> Self {
        if value {
            Flag::True
        } else {
            Flag::False
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_vocabularies_reject_other_case_and_ext_terms() {
        assert_eq!(Status::parse("active"), Ok(Status::Active));
        assert!(Status::parse("Active").is_err());
        assert!(Status::parse("inactive").is_err());
        assert!(RoleType::parse("ext:lead").is_err());
    }

    #[test]
    fn extensible_vocabularies_take_well_formed_ext_terms_only() {
        assert_eq!(OrgType::parse("ext:campus"), Ok(OrgType::Ext("ext:campus".into())));
        assert!(OrgType::parse("ext:").is_err());
        assert!(OrgType::parse("ext:has space").is_err());
        assert!(OrgType::parse("campus").is_err());
        let err = OrgType::parse("School").unwrap_err();
        assert!(err.to_string().contains("department | school"), "{err}");
    }

    #[test]
    fn vocabularies_serialise_as_their_terms() {
        let json = serde_json::to_string(&SessionType::GradingPeriod).unwrap();
        assert_eq!(json, "\"gradingPeriod\"");
        let back: SessionType = serde_json::from_str("\"ext:quarter\"").unwrap();
        assert_eq!(back, SessionType::Ext("ext:quarter".into()));
        assert!(serde_json::from_str::<Flag>("\"TRUE\"").is_err());
    }
}
