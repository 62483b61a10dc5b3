//! The 1.1 view of a stored record (`V1P1-NOTES.md` §7): records are stored once, in the 1.2
//! shape, and 1.1 is served from them. A user's `role` and `orgs` are made from its `roles`
//! (the role of its primary role, as the 1.2 views `/students` and `/teachers` choose it, in the
//! 1.1 vocabulary; every org it has a role in, that role's first); an enrollment's role and a
//! result's `scoreStatus` are given in 1.1's vocabulary; a line item's `gradingPeriod` is its
//! `academicSession`; what 1.1 has no property or no term for is left out, never invented.

use super::Name;
use oneroster_model::v1p1::{enrollment_role, user_role};
use oneroster_model::vocab::RoleName;
use oneroster_openapi::Service;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::HashSet;

/// The records whose 1.1 view is more than leaving out what 1.1 lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Record {
    User,
    Enrollment,
    Demographics,
    LineItem,
    Result,
    Other,
}

/// How the stored records of one schema are viewed in 1.1.
#[derive(Debug, Clone)]
pub(super) struct View {
    record: Record,
    /// The properties of the 1.1 record.
    kept: HashSet<String>,
}

/// A property's value in the view: as stored, or made from what is stored.
pub(super) enum Piece<'a> {
    Stored(&'a RawValue),
    Made(Box<RawValue>),
}

impl Piece<'_> {
    /// The value's JSON.
    pub(super) fn raw(&self) -> &RawValue {
        match self {
            Piece::Stored(value) => value,
            Piece::Made(value) => value,
        }
    }
}

/// The terms of 1.1's `scoreStatus` (1.2 adds `ext:` terms).
const SCORE_STATUSES: [&str; 5] = ["exempt", "fully graded", "not submitted", "partially graded", "submitted"];

/// The terms of 1.1's `sex` (1.2 adds `other` and `unspecified`).
const SEXES: [&str; 2] = ["male", "female"];

impl View {
    /// The view of `service`'s records of `item_schema`, `None` if 1.1 has no such schema.
    pub(super) fn of(service: Service, item_schema: &str) -> Option<Self> {
        let schema = oneroster_openapi::v1p1::schema(service, item_schema)?;
        let kept = schema["properties"].as_object()?.keys().cloned().collect();
        let record = match item_schema {
            "UserDType" => Record::User,
            "EnrollmentDType" => Record::Enrollment,
            "DemographicsDType" => Record::Demographics,
            "LineItemDType" => Record::LineItem,
            "ResultDType" => Record::Result,
            _ => Record::Other,
        };
        Some(Self { record, kept })
    }

    /// The 1.1 record's properties, in the stored order, from the stored record's.
    pub(super) fn apply<'a>(
        &self,
        stored: &[(Name<'a>, &'a RawValue)],
    ) -> serde_json::Result<Vec<(Name<'a>, Piece<'a>)>> {
        let mut viewed = Vec::with_capacity(stored.len() + 1);
        let named = |name: &'static str| Name(Cow::Borrowed(name));
        let has = |name: &str| stored.iter().any(|(given, _)| given.0 == name);
        for (name, value) in stored {
            let value: &'a RawValue = value;
            match (self.record, &*name.0) {
                (Record::User, "roles") => {
                    let (role, orgs) = role_and_orgs(value)?;
                    if let Some(role) = role {
                        viewed.push((named("role"), made(role)?));
                    }
                    viewed.push((named("orgs"), Piece::Made(RawValue::from_string(orgs)?)));
                }
                (Record::Enrollment, "role") => {
                    if let Some(role) = text(value).as_deref().and_then(enrollment_role) {
                        viewed.push((named("role"), made(role)?));
                    }
                }
                (Record::Demographics, "sex") if !is_one_of(value, &SEXES) => {}
                (Record::Result, "scoreStatus") if !is_one_of(value, &SCORE_STATUSES) => {}
                (Record::LineItem, "academicSession") if !has("gradingPeriod") => {
                    viewed.push((named("gradingPeriod"), Piece::Stored(value)));
                }
                (_, property) if self.kept.contains(property) => viewed.push((name.clone(), Piece::Stored(value))),
                _ => {}
            }
        }
        Ok(viewed)
    }
}

/// A JSON string's text.
fn text(value: &RawValue) -> Option<Cow<'_, str>> {
    serde_json::from_str(value.get()).ok()
}

/// Whether `value` is a string among `terms`.
fn is_one_of(value: &RawValue, terms: &[&str]) -> bool {
    text(value).is_some_and(|text| terms.contains(&&*text))
}

/// `text` as a JSON string value.
fn made(text: &str) -> serde_json::Result<Piece<'static>> {
    Ok(Piece::Made(RawValue::from_string(serde_json::to_string(text)?)?))
}

/// A stored role, as far as 1.1 reads it.
#[derive(Deserialize)]
struct StoredRole<'a> {
    #[serde(rename = "roleType", borrow)]
    role_type: Cow<'a, str>,
    #[serde(borrow)]
    role: Cow<'a, str>,
    #[serde(borrow)]
    org: Option<StoredOrg<'a>>,
}

/// A role's org, as far as 1.1 reads it.
#[derive(Deserialize)]
struct StoredOrg<'a> {
    #[serde(rename = "sourcedId", borrow)]
    sourced_id: Cow<'a, str>,
}

/// A user's 1.1 `role` and `orgs` (as JSON, references without `href`s: the renderer adds
/// them) from its stored `roles`: the role of the first primary role (else of the first role),
/// if 1.1 has a term for it; the orgs of every role, that role's org first, each once.
fn role_and_orgs(roles: &RawValue) -> serde_json::Result<(Option<&'static str>, String)> {
    let roles: Vec<StoredRole> = serde_json::from_str(roles.get()).unwrap_or_default();
    let chosen = roles.iter().position(|r| r.role_type == "primary").unwrap_or_default();
    let role = roles.get(chosen).and_then(|r| RoleName::parse(&r.role).ok()).and_then(|r| user_role(&r));
    let others = roles.iter().enumerate().filter(|(i, _)| *i != chosen).map(|(_, r)| r);
    let mut seen: Vec<&str> = Vec::with_capacity(roles.len());
    let mut orgs = String::from("[");
    for org in roles.get(chosen).into_iter().chain(others).filter_map(|r| r.org.as_ref()) {
        if seen.contains(&&*org.sourced_id) {
            continue;
        }
        if !seen.is_empty() {
            orgs.push(',');
        }
        seen.push(&org.sourced_id);
        orgs.push_str("{\"sourcedId\":");
        orgs.push_str(&serde_json::to_string(&org.sourced_id)?);
        orgs.push_str(",\"type\":\"org\"}");
    }
    orgs.push(']');
    Ok((role, orgs))
}

#[cfg(test)]
mod tests {
    use crate::render::Rendering;
    use oneroster_openapi::{Service, Version};
    use oneroster_query::Selection;
    use serde_json::{json, Value};

    const BASE: &str = "/ims/oneroster/v1p1";

    fn viewed(service: Service, schema: &str, stored: Value) -> Value {
        let rendering = Rendering::of(Version::V1p1, service, schema).expect(schema);
        let json = rendering.render_json(&stored.to_string(), &Selection::default(), None).expect("renders");
        serde_json::from_str(&json).expect("JSON")
    }

    #[test]
    fn a_user_has_the_role_of_its_primary_role_and_every_org_it_has_a_role_in() {
        let stored = json!({
            "sourcedId": "u/1", "status": "active", "dateLastModified": "2026-01-01T00:00:00.000Z",
            "enabledUser": "true", "givenName": "A", "familyName": "B", "pronouns": "they",
            "roles": [
                {"roleType": "secondary", "role": "teacher", "org": {"sourcedId": "s-2", "type": "org"}},
                {"roleType": "primary", "role": "siteAdministrator", "org": {"sourcedId": "s/1", "type": "org"}},
                {"roleType": "secondary", "role": "teacher", "org": {"sourcedId": "s/1", "type": "org"}}
            ],
            "primaryOrg": {"sourcedId": "s/1", "type": "org"}, "userProfiles": [],
            "agents": [{"sourcedId": "p-1", "type": "user"}], "metadata": {"x": 1}
        });
        let user = viewed(Service::Rostering, "UserDType", stored);
        assert_eq!(user["role"], "administrator");
        assert_eq!(
            user["orgs"],
            json!([
                {"href": format!("{BASE}/orgs/s%2F1"), "sourcedId": "s/1", "type": "org"},
                {"href": format!("{BASE}/orgs/s-2"), "sourcedId": "s-2", "type": "org"}
            ])
        );
        assert_eq!(user["agents"][0]["href"], format!("{BASE}/users/p-1"));
        let keys: Vec<&str> = user.as_object().expect("an object").keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "sourcedId",
                "status",
                "dateLastModified",
                "enabledUser",
                "givenName",
                "familyName",
                "role",
                "orgs",
                "agents",
                "metadata"
            ],
            "1.2's additions left out, role and orgs where roles were"
        );
        let ext =
            viewed(Service::Rostering, "UserDType", json!({"roles": [{"roleType": "primary", "role": "ext:coach"}]}));
        assert_eq!(ext, json!({"orgs": []}), "no 1.1 term: no role, never an invented one");
    }

    #[test]
    fn enrollments_results_demographics_line_items_and_categories_speak_1p1() {
        let enrollment = json!({"sourcedId": "e", "role": "ext:aide", "user": {"sourcedId": "u", "type": "user"}});
        assert_eq!(viewed(Service::Rostering, "EnrollmentDType", enrollment)["role"], "aide");
        let enrollment = json!({"sourcedId": "e", "role": "ext:observer"});
        assert_eq!(viewed(Service::Rostering, "EnrollmentDType", enrollment), json!({"sourcedId": "e"}));
        let sexes = [("female", Some("female")), ("other", None), ("unspecified", None)];
        for (sex, served) in sexes {
            let demographics = viewed(Service::Rostering, "DemographicsDType", json!({"sourcedId": "u", "sex": sex}));
            assert_eq!(demographics.get("sex").and_then(Value::as_str), served, "{sex}");
        }
        let item = json!({
            "sourcedId": "li", "title": "T", "class": {"sourcedId": "k", "type": "class"},
            "school": {"sourcedId": "s", "type": "org"}, "category": {"sourcedId": "c", "type": "category"},
            "academicSession": {"sourcedId": "gp/1", "type": "academicSession"},
            "scoreScale": {"sourcedId": "ss", "type": "scoreScale"}, "resultValueMin": 0, "resultValueMax": 10
        });
        let item = viewed(Service::Gradebook, "LineItemDType", item);
        assert_eq!(
            item,
            json!({
                "sourcedId": "li", "title": "T",
                "class": {"href": format!("{BASE}/classes/k"), "sourcedId": "k", "type": "class"},
                "category": {"href": format!("{BASE}/categories/c"), "sourcedId": "c", "type": "category"},
                "gradingPeriod": {"href": format!("{BASE}/academicSessions/gp%2F1"), "sourcedId": "gp/1", "type": "academicSession"},
                "resultValueMin": 0, "resultValueMax": 10
            })
        );
        let result = json!({
            "sourcedId": "r", "score": 9.5, "textScore": "A", "scoreStatus": "ext:late", "inProgress": "false",
            "lineItem": {"sourcedId": "li", "type": "lineItem"}, "class": {"sourcedId": "k", "type": "class"}
        });
        let result = viewed(Service::Gradebook, "ResultDType", result);
        assert_eq!(
            result,
            json!({"sourcedId": "r", "score": 9.5, "lineItem": {"href": format!("{BASE}/lineItems/li"), "sourcedId": "li", "type": "lineItem"}})
        );
        let category =
            viewed(Service::Gradebook, "CategoryDType", json!({"sourcedId": "c", "title": "T", "weight": 0.5}));
        assert_eq!(category, json!({"sourcedId": "c", "title": "T"}));
    }

    #[test]
    fn the_model_and_the_contract_list_the_same_1p1_roles() {
        assert_eq!(oneroster_model::v1p1::ROLES, oneroster_openapi::v1p1::ROLES);
    }
}
