//! The OneRoster 1.2 scopes. Every scope is a URI under [`PREFIX`]; clients may also name them
//! by the last segment (`roster.readonly`). An operation lists the scopes any one of which
//! grants it (the OpenAPI files say which).
//!
//! OneRoster 1.1 consumers ask for the 1.1 URIs (under [`V1P1_PREFIX`]): each of the seven is
//! read as the 1.2 scope of the same name, so that a set of scopes, a client's record and a
//! token only ever hold 1.2 URIs and every operation's 1.2 scope check covers 1.1 callers too.
//!
//! The provider's extension operations (rostering and resources writes) have scopes of their
//! own under [`EXTENSION_PREFIX`] ([`EXTENSIONS`]): they are granted only to a client made with
//! them named, never by [`Scopes::all`], which holds the standard's scopes alone.

use std::collections::BTreeSet;

/// What every OneRoster 1.2 scope URI begins with.
pub const PREFIX: &str = "https://purl.imsglobal.org/spec/or/v1p2/scope/";

/// What every OneRoster 1.1 scope URI begins with.
pub const V1P1_PREFIX: &str = "https://purl.imsglobal.org/spec/or/v1p1/scope/";

/// What every extension scope URI begins with: the provider's namespace.
pub const EXTENSION_PREFIX: &str = oneroster_openapi::extensions::SCOPE_PREFIX;

/// The extension scopes, by short name.
pub const EXTENSIONS: [&str; 6] = {
    let scopes = &oneroster_openapi::extensions::SCOPES;
    [scopes[0].0, scopes[1].0, scopes[2].0, scopes[3].0, scopes[4].0, scopes[5].0]
};

/// The 1.1 scopes, by short name: each is the 1.2 scope of the same name (1.1 has no POST, no
/// assessments and no `-core` reads but roster's).
pub const V1P1: [&str; 7] = [
    "roster-core.readonly",
    "roster.readonly",
    "roster-demographics.readonly",
    "resource.readonly",
    "gradebook.readonly",
    "gradebook.createput",
    "gradebook.delete",
];

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
    /// Reads a space-separated list (RFC 6749 §3.3) of full URIs (1.2, or 1.1 as their 1.2
    /// equivalents) or short names; `Err` names the first word that is no OneRoster scope.
    pub fn parse(text: &str) -> Result<Self, String> {
        text.split_whitespace()
            .map(|word| canonical(word).ok_or_else(|| word.to_owned()))
            .collect::<Result<_, _>>()
            .map(Self)
    }

    /// Every scope of the standard (no extension scope: those are granted only when named).
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

    /// The scopes as a token answer names them to a client that asked for `requested`: each
    /// by the URI it was asked by, so that a 1.1 consumer reads back the 1.1 URIs it sent
    /// (RFC 6749 §3.3 has the answer name what was granted; a client may compare it with its
    /// request). Asked by short name, or granted without being asked, a scope is named by its
    /// 1.2 URI, the one the token carries.
    pub fn to_text_as_requested(&self, requested: &str) -> String {
        let asked: BTreeSet<&str> = requested.split_whitespace().collect();
        let mut words = Vec::new();
        for scope in &self.0 {
            let Some(short) = scope.strip_prefix(PREFIX) else {
                words.push(scope.clone());
                continue;
            };
            let as_v1p1 = format!("{V1P1_PREFIX}{short}");
            let by_v1p1 = asked.contains(as_v1p1.as_str());
            if by_v1p1 {
                words.push(as_v1p1);
            }
            if !by_v1p1 || asked.contains(scope.as_str()) || asked.contains(short) {
                words.push(scope.clone());
            }
        }
        words.join(" ")
    }
}

/// The 1.2 URI a word names: a 1.2 URI or short name, or a 1.1 URI of [`V1P1`]; or the
/// extension URI an extension URI or short name names.
fn canonical(word: &str) -> Option<String> {
    let extension = word.strip_prefix(EXTENSION_PREFIX).unwrap_or(word);
    if EXTENSIONS.contains(&extension) {
        return Some(format!("{EXTENSION_PREFIX}{extension}"));
    }
    let short = match word.strip_prefix(V1P1_PREFIX) {
        Some(short) => V1P1.contains(&short).then_some(short)?,
        None => word.strip_prefix(PREFIX).unwrap_or(word),
    };
    ALL.contains(&short).then(|| format!("{PREFIX}{short}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_scopes_are_read_by_uri_or_short_name_and_never_granted_by_all() {
        let by_short = Scopes::parse("roster.createput resource.delete").expect("scopes");
        let by_uri = Scopes::parse(&format!("{EXTENSION_PREFIX}roster.createput {EXTENSION_PREFIX}resource.delete"));
        assert_eq!(Ok(by_short.clone()), by_uri);
        assert!(by_short.allows_any(&[format!("{EXTENSION_PREFIX}roster.createput")]));
        assert!(!Scopes::all().allows_any(&EXTENSIONS.map(|s| format!("{EXTENSION_PREFIX}{s}"))));
        assert_eq!(by_short.to_text_as_requested("roster.createput"), by_short.to_text());
        assert!(Scopes::parse(&format!("{PREFIX}roster.createput")).is_err(), "not a scope of the standard");
    }

    #[test]
    fn full_uris_and_short_names_are_the_same_scope() {
        let a = Scopes::parse(&format!("{PREFIX}roster.readonly gradebook.delete")).expect("scopes");
        let b = Scopes::parse(&format!("gradebook.delete {PREFIX}roster.readonly")).expect("scopes");
        assert_eq!(a, b);
        assert_eq!(Scopes::parse("roster.readonly admin"), Err("admin".to_owned()));
    }

    #[test]
    fn a_1p1_scope_is_the_1p2_scope_of_its_name() {
        let v1p1 = V1P1.iter().map(|s| format!("{V1P1_PREFIX}{s}")).collect::<Vec<_>>().join(" ");
        let read = Scopes::parse(&v1p1).expect("the seven 1.1 scopes");
        assert_eq!(read, Scopes::parse(&V1P1.join(" ")).expect("the same, by short name"));
        assert!(read.0.iter().all(|s| s.starts_with(PREFIX)), "held as 1.2 URIs: {read:?}");
        assert!(read.allows_any(&[format!("{PREFIX}gradebook.createput")]));
        // 1.1 has no POST and no assessments: no such 1.1 URI.
        for word in ["gradebook.createpost", "assessment.readonly", "gradebook-core.readonly"] {
            let uri = format!("{V1P1_PREFIX}{word}");
            assert_eq!(Scopes::parse(&uri), Err(uri.clone()));
        }
        assert!(Scopes::parse("https://purl.imsglobal.org/spec/or/v1p0/scope/roster.readonly").is_err());
    }

    #[test]
    fn a_token_answer_names_the_scopes_as_they_were_asked() {
        let held = Scopes::parse("roster.readonly gradebook.readonly gradebook.delete").expect("held");
        let asked = format!("{V1P1_PREFIX}roster.readonly gradebook.readonly {PREFIX}gradebook.delete");
        let granted = held.grant(Some(&Scopes::parse(&asked).expect("asked")));
        assert_eq!(
            granted.to_text_as_requested(&asked),
            format!("{PREFIX}gradebook.delete {PREFIX}gradebook.readonly {V1P1_PREFIX}roster.readonly")
        );
        let both = format!("{V1P1_PREFIX}roster.readonly {PREFIX}roster.readonly");
        let granted = held.grant(Some(&Scopes::parse(&both).expect("asked")));
        assert_eq!(
            granted.to_text_as_requested(&both),
            format!("{V1P1_PREFIX}roster.readonly {PREFIX}roster.readonly")
        );
        assert_eq!(held.to_text_as_requested(""), held.to_text(), "nothing asked: the 1.2 URIs held");
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
