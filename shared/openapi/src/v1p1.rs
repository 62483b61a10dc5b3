//! OneRoster 1.1 as it differs from the 1.2 files: 1EdTech published no OpenAPI file for 1.1,
//! and its REST binding is 1.2's with a few records shaped otherwise (`V1P1-NOTES.md` §1–§3).
//! So the 1.1 contract is written here as differences from the vendored 1.2 files, once:
//! which 1.2 operations 1.1 has, under its single base, and each record schema with the
//! properties 1.1 lacks taken out and those it has instead put in. Field catalogs and shapes
//! are then read from these schemas by the same code as 1.2's, so `filter`, `sort` and
//! `fields` name 1.1's fields, and a renderer knows where 1.1's references are.

use crate::{FieldCatalog, Service, Shape};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::LazyLock;

/// The one base of every 1.1 service.
pub const BASE: &str = "/ims/oneroster/v1p1";

/// The gradebook operations 1.1 has: reads, PUT and DELETE of categories, line items and
/// results (no POST, no score scales, no assessments), and `getCategoriesForClass`, which
/// Google's 1.1 suite calls although 1.1 texts do not list it.
const GRADEBOOK: [&str; 17] = [
    "getAllCategories",
    "getCategory",
    "putCategory",
    "deleteCategory",
    "getCategoriesForClass",
    "getAllLineItems",
    "getLineItem",
    "putLineItem",
    "deleteLineItem",
    "getAllResults",
    "getResult",
    "putResult",
    "deleteResult",
    "getLineItemsForClass",
    "getResultsForClass",
    "getResultsForLineItemForClass",
    "getResultsForStudentForClass",
];

/// Whether 1.1 has the 1.2 operation `operation_id` of `service` (at the same path below
/// [`BASE`]): every rostering read, the resources reads but `getResourcesForUser` (1.2 only),
/// and the gradebook operations of [`GRADEBOOK`]; none of the provider's extensions.
pub fn has_operation(service: Service, operation_id: &str) -> bool {
    let standard = service.operation(operation_id).is_some_and(|operation| !operation.extension);
    match service {
        Service::Rostering => standard,
        Service::Resources => standard && operation_id != "getResourcesForUser",
        Service::Gradebook => GRADEBOOK.contains(&operation_id),
        Service::Attendance => false,
    }
}

/// How a 1.1 record differs from the 1.2 record of one schema.
struct Difference {
    /// The 1.2 schema (`UserDType`).
    schema: &'static str,
    /// 1.2 properties 1.1 lacks.
    dropped: &'static [&'static str],
    /// 1.1 properties 1.2 lacks or has otherwise, with their schema.
    added: fn() -> Vec<(&'static str, Value)>,
    /// 1.1's required properties in place of the dropped ones, of those every stored record
    /// can give: what a record lacks is left out of its 1.1 view, never invented, so 1.1's
    /// `gradingPeriod`, `resultValueMin`/`Max`, a result's `score` and a role with no 1.1 term
    /// are served where the record has them (a 1.1 writer such as Google's leaves out a line
    /// item's grading period; a 1.2 result may hold only a `textScore`).
    required: &'static [&'static str],
}

/// The 1.1 role vocabulary (users' `role`, enrollments' `role`).
fn role_schema() -> Value {
    json!({"type": "string", "enum": ROLES})
}

/// The eight 1.1 roles. The contract is read without the model, so `oneroster_model::v1p1`
/// lists them too; `oneroster-http`'s tests check that the two lists agree.
pub const ROLES: [&str; 8] =
    ["administrator", "aide", "guardian", "parent", "proctor", "relative", "student", "teacher"];

/// Every difference between 1.1 and 1.2 records (`V1P1-NOTES.md` §2); other schemas are alike.
const DIFFERENCES: [Difference; 6] = [
    Difference {
        schema: "UserDType",
        dropped: &[
            "userMasterIdentifier",
            "preferredFirstName",
            "preferredMiddleName",
            "preferredLastName",
            "pronouns",
            "roles",
            "userProfiles",
            "primaryOrg",
            "resources",
        ],
        added: || {
            vec![
                ("role", role_schema()),
                ("orgs", json!({"type": "array", "items": {"$ref": "#/components/schemas/OrgGUIDRefDType"}})),
            ]
        },
        required: &["orgs"],
    },
    Difference {
        schema: "EnrollmentDType",
        dropped: &["role"],
        added: || vec![("role", role_schema())],
        required: &[],
    },
    Difference {
        schema: "DemographicsDType",
        dropped: &["sex"],
        added: || vec![("sex", json!({"type": "string", "enum": ["male", "female"]}))],
        required: &[],
    },
    Difference {
        schema: "LineItemDType",
        dropped: &["school", "academicSession", "scoreScale", "learningObjectiveSet"],
        added: || Vec::new(),
        required: &[],
    },
    Difference {
        schema: "ResultDType",
        dropped: &[
            "class",
            "scoreScale",
            "textScore",
            "learningObjectiveSet",
            "inProgress",
            "incomplete",
            "late",
            "missing",
            "scoreStatus",
        ],
        added: || {
            vec![(
                "scoreStatus",
                json!({"type": "string", "enum": ["exempt", "fully graded", "not submitted", "partially graded", "submitted"]}),
            )]
        },
        required: &[],
    },
    Difference { schema: "CategoryDType", dropped: &["weight"], added: || Vec::new(), required: &[] },
];

/// The 1.1 properties made from other stored 1.2 properties, or from the same property by
/// another vocabulary, per schema: a filter or sort naming one reads the records as 1.1
/// serves them (the stored 1.2 record does not hold the 1.1 value).
pub fn derived(item_schema: &str) -> &'static [&'static str] {
    match item_schema {
        "UserDType" => &["role", "orgs"],
        "EnrollmentDType" => &["role"],
        "DemographicsDType" => &["sex"],
        "LineItemDType" => &["gradingPeriod"],
        "ResultDType" => &["scoreStatus"],
        _ => &[],
    }
}

/// The 1.1 schema of the records `item_schema` of `service` describes: the 1.2 schema with
/// its [`Difference`] applied (references to other schemas still resolve in the 1.2 file).
pub fn schema(service: Service, item_schema: &str) -> Option<&'static Value> {
    static SCHEMAS: LazyLock<HashMap<(Service, String), Value>> = LazyLock::new(|| {
        let mut schemas = HashMap::new();
        for service in Service::ALL {
            let Some(names) = service.document()["components"]["schemas"].as_object() else { continue };
            for (name, schema) in names {
                let mut schema = schema.clone();
                if let Some(difference) = DIFFERENCES.iter().find(|d| d.schema == name) {
                    apply(difference, &mut schema);
                }
                schemas.insert((service, name.clone()), schema);
            }
        }
        schemas
    });
    SCHEMAS.get(&(service, item_schema.to_owned()))
}

/// `schema` with `difference` applied: dropped properties out, added ones in at the end, the
/// required list adjusted.
fn apply(difference: &Difference, schema: &mut Value) {
    let Some(object) = schema.as_object_mut() else { return };
    let mut properties = object.remove("properties").and_then(|p| p.as_object().cloned()).unwrap_or_default();
    properties.retain(|name, _| !difference.dropped.contains(&name.as_str()));
    properties.extend((difference.added)().into_iter().map(|(name, schema)| (name.to_owned(), schema)));
    let mut required: Vec<Value> = object
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|name| name.as_str().is_some_and(|name| !difference.dropped.contains(&name)))
        .cloned()
        .collect();
    required.extend(difference.required.iter().map(|name| json!(name)));
    object.insert("properties".to_owned(), Value::Object(properties));
    object.insert("required".to_owned(), Value::Array(required));
}

/// The catalog of the fields of 1.1's records of `item_schema` (what 1.1 queries may name).
pub fn fields(service: Service, item_schema: &str) -> Option<FieldCatalog> {
    schema(service, item_schema).map(|schema| FieldCatalog::of(service, schema))
}

/// The shape of 1.1's records of `item_schema` (where their references are).
pub fn shape(service: Service, item_schema: &str) -> Option<Shape> {
    schema(service, item_schema).map(|schema| crate::shape::of(service, schema, 0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FieldKind;

    #[test]
    fn one_point_one_has_the_41_rostering_reads_17_gradebook_operations_and_4_resources_reads() {
        let count =
            |service: Service| service.operations().iter().filter(|o| has_operation(service, &o.operation_id)).count();
        assert_eq!(count(Service::Rostering), 41);
        assert_eq!(count(Service::Gradebook), 17, "every listed name is a 1.2 operation");
        assert_eq!(count(Service::Resources), 4);
        assert!(!has_operation(Service::Gradebook, "postLineItemsForClass"));
        assert!(!has_operation(Service::Gradebook, "getAllScoreScales"));
    }

    #[test]
    fn a_1p1_user_has_role_and_orgs_and_none_of_1p2s_additions() {
        let users = fields(Service::Rostering, "UserDType").expect("users");
        assert_eq!(users.kind("role"), Some(FieldKind::Text));
        assert_eq!(users.kind("orgs.sourcedId"), Some(FieldKind::Text));
        for gone in ["roles", "roles.role", "primaryOrg", "pronouns", "userProfiles", "preferredFirstName"] {
            assert_eq!(users.kind(gone), None, "{gone}");
        }
        assert_eq!(users.kind("enabledUser"), Some(FieldKind::Text), "the rest is 1.2's");
        let required = schema(Service::Rostering, "UserDType").expect("users")["required"].clone();
        assert!(required.as_array().is_some_and(|r| r.contains(&json!("orgs")) && !r.contains(&json!("roles"))));

        let items = fields(Service::Gradebook, "LineItemDType").expect("line items");
        assert_eq!(items.kind("gradingPeriod.sourcedId"), Some(FieldKind::Text));
        assert_eq!(items.kind("school"), None);
        assert_eq!(items.kind("academicSession"), None);
        let results = fields(Service::Gradebook, "ResultDType").expect("results");
        assert_eq!(results.kind("score"), Some(FieldKind::Number));
        assert_eq!(results.kind("textScore"), None);
        assert_eq!(fields(Service::Gradebook, "CategoryDType").expect("categories").kind("weight"), None);
        assert_eq!(
            fields(Service::Rostering, "ClassDType").expect("classes").kind("terms.sourcedId"),
            Some(FieldKind::Text),
            "classes are alike"
        );
    }

    #[test]
    fn the_1p1_roles_are_the_models() {
        let enrollment = schema(Service::Rostering, "EnrollmentDType").expect("enrollments");
        assert_eq!(enrollment["properties"]["role"]["enum"], json!(ROLES));
        let Some(Shape::Object(properties)) = shape(Service::Rostering, "UserDType") else { panic!("an object") };
        let orgs = properties.iter().find(|p| p.name == "orgs").expect("orgs");
        assert!(matches!(&orgs.shape, Shape::Array(items) if matches!(**items, Shape::Reference("org"))), "{orgs:?}");
    }
}
