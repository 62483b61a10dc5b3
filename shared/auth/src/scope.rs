//! The OneRoster 1.2 scopes. Every scope is a URI under [`PREFIX`]; clients may also name them
//! by the last segment (`roster.readonly`). An operation lists the scopes any one of which
//! grants it (the OpenAPI files say which).

use std::collections::BTreeSet;

/// What every OneRoster 1.2 scope URI begins with.
pub const PREFIX: &str = "https://purl.imsglobal.org/spec/or/v1p2/scope/";

/// Every scope of the three services, by short name.
pub const ALL: [&str; 13] = [
    "roster.readonly",
    "roster-core.readonly",
    "roster-demographics.readonly",
    "gradebook.readonly",
    "gradebook-core.readonly",
    "gradebook.createput",
    "gradebook.createpost",
    "gradebook.delete",
    "assessment.readonly",
    "assessment.createput",
    "assessment.delete",
    "resource.readonly",
    "resource-core.readonly",
];

/// A set of scopes, as full URIs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scopes(BTreeSet<String>);

impl Scopes {
    /// Reads a space-separated list (RFC 6749 §3.3) of full URIs or short names; `Err` names
    /// the first word that is no OneRoster scope.
    pub fn parse(text: &str) -> Result<Self, String> {
        text.split_whitespace()
            .map(|word| {
                let short = word.strip_prefix(PREFIX).unwrap_or(word);
                if ALL.contains(&short) {
                    Ok(format!("{PREFIX}{short}"))
                } else {
                    Err(word.to_owned())
                }
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }

    /// Every scope.
    pub fn all() -> Self {
        Self(ALL.iter().map(|s| format!("{PREFIX}{s}")).collect())
    }

    /// What a client holding `self` is granted when it asks for `requested` (all it holds when
    /// it asks for nothing): the intersection (RFC 6749 §3.3 lets the server grant less).
    pub fn grant(&self, requested: Option<&Scopes>) -> Scopes {
        match requested {
            None => self.clone(),
            Some(requested) => Scopes(self.0.intersection(&requested.0).cloned().collect()),
        }
    }

    /// Whether any of `required` is held.
    pub fn allows_any<S: AsRef<str>>(&self, required: &[S]) -> bool {
        required.iter().any(|scope| self.0.contains(scope.as_ref()))
    }

    /// Whether there is no scope.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The scopes as the space-separated text of a token answer.
    pub fn to_text(&self) -> String {
        self.0.iter().cloned().collect::<Vec<_>>().join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_uris_and_short_names_are_the_same_scope() {
        let a = Scopes::parse(&format!("{PREFIX}roster.readonly gradebook.delete")).expect("scopes");
        let b = Scopes::parse(&format!("gradebook.delete {PREFIX}roster.readonly")).expect("scopes");
        assert_eq!(a, b);
        assert_eq!(Scopes::parse("roster.readonly admin"), Err("admin".to_owned()));
    }

    #[test]
    fn a_grant_is_what_is_both_held_and_asked() {
        let held = Scopes::parse("roster.readonly gradebook.readonly").expect("held");
        let asked = Scopes::parse("roster.readonly gradebook.delete").expect("asked");
        assert_eq!(held.grant(Some(&asked)).to_text(), format!("{PREFIX}roster.readonly"));
        assert_eq!(held.grant(None), held);
        assert!(held.grant(Some(&Scopes::parse("gradebook.delete").expect("asked"))).is_empty());
        assert!(held.allows_any(&[format!("{PREFIX}gradebook.readonly"), "x".into()]));
    }
}
