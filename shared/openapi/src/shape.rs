//! The shape of a record's JSON as its schema gives it: which properties it has and which of
//! them are required, which are references to other records (and of what type), dates,
//! date-times and `"true"`/`"false"` flags. A write body's reader walks it to accept the forms
//! real clients send (a reference as a bare `{"sourcedId"}`, a date-time where a date is
//! asked) and to drop what the record has no place for.

use crate::Service;
use serde_json::Value;

/// What the schema says a JSON value is.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// An object with named properties (other properties have no place in it).
    Object(Vec<Property>),
    /// An array of values of one shape.
    Array(Box<Shape>),
    /// A reference to another record (`*GUIDRefDType`): the `type` every reference of this
    /// property names (`class`, `org`, …).
    Reference(&'static str),
    /// `format: date` (`YYYY-MM-DD`).
    Date,
    /// `format: date-time`.
    DateTime,
    /// A string that is `"true"` or `"false"` (OneRoster's flags).
    Flag,
    /// Anything else (text, numbers, vocabularies, open objects such as `metadata`): taken as
    /// it is.
    Value,
}

/// One property of an object.
#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    /// Its name in JSON.
    pub name: &'static str,
    /// Its shape.
    pub shape: Shape,
    /// Whether the schema requires it.
    pub required: bool,
}

impl Shape {
    /// The property `name` of an object shape.
    pub fn property(&self, name: &str) -> Option<&Property> {
        match self {
            Shape::Object(properties) => properties.iter().find(|p| p.name == name),
            _ => None,
        }
    }
}

/// How deep shapes go; the schemas nest no deeper (`learningObjectiveSet.learningObjectiveResults`).
const MAX_DEPTH: usize = 6;

/// The shape of `schema` (a schema of `service`'s file, `$ref`s followed).
pub(crate) fn of(service: Service, schema: &'static Value, depth: usize) -> Shape {
    let schema = match schema["anyOf"].as_array().and_then(|branches| branches.first()) {
        Some(first) => first,
        None => schema,
    };
    let Some(schema) = service.resolve(schema) else { return Shape::Value };
    if schema["type"] == "array" {
        return Shape::Array(Box::new(of(service, &schema["items"], depth)));
    }
    if let Some(ref_type) = reference_type(schema) {
        return Shape::Reference(ref_type);
    }
    match (schema["type"].as_str(), schema["format"].as_str()) {
        (Some("object"), _) => match schema["properties"].as_object() {
            Some(properties) if !properties.is_empty() && depth < MAX_DEPTH => {
                let required = |name: &str| schema["required"].as_array().is_some_and(|r| r.iter().any(|n| n == name));
                Shape::Object(
                    properties
                        .iter()
                        .map(|(name, property)| Property {
                            name: name.as_str(),
                            shape: of(service, property, depth + 1),
                            required: required(name),
                        })
                        .collect(),
                )
            }
            _ => Shape::Value,
        },
        (_, Some("date")) => Shape::Date,
        (_, Some("date-time")) => Shape::DateTime,
        _ if is_flag(schema) => Shape::Flag,
        _ => Shape::Value,
    }
}

/// The one `type` a GUIDRef schema allows (`{href, sourcedId, type: enum [one]}`).
fn reference_type(schema: &'static Value) -> Option<&'static str> {
    let properties = schema["properties"].as_object()?;
    if !(properties.contains_key("href") && properties.contains_key("sourcedId")) {
        return None;
    }
    match properties.get("type")?["enum"].as_array()?.as_slice() {
        [only] => only.as_str(),
        _ => None,
    }
}

/// Whether a string schema allows exactly `"true"` and `"false"`.
fn is_flag(schema: &Value) -> bool {
    let Some(values) = schema["enum"].as_array() else { return false };
    values.len() == 2 && values.iter().all(|v| v == "true" || v == "false")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_result_has_references_dates_flags_and_required_properties() {
        let shape = Service::Gradebook.shape("ResultDType").expect("ResultDType");
        let property = |name| shape.property(name).expect(name);
        assert_eq!(property("lineItem").shape, Shape::Reference("lineItem"));
        assert_eq!(property("student").shape, Shape::Reference("user"));
        assert!(property("student").required && !property("class").required);
        assert_eq!(property("scoreDate").shape, Shape::Date);
        assert_eq!(property("dateLastModified").shape, Shape::DateTime);
        assert_eq!(property("inProgress").shape, Shape::Flag);
        assert_eq!(property("scoreStatus").shape, Shape::Value);
        assert_eq!(property("metadata").shape, Shape::Value, "metadata is open: kept as given");
        let Shape::Array(set) = &property("learningObjectiveSet").shape else { panic!("an array") };
        let Shape::Array(results) = &set.property("learningObjectiveResults").expect("results").shape else {
            panic!("an array")
        };
        assert_eq!(results.property("score").map(|p| &p.shape), Some(&Shape::Value));
    }

    #[test]
    fn rostering_records_have_shapes_too() {
        let class = Service::Rostering.shape("ClassDType").expect("ClassDType");
        assert_eq!(
            class.property("terms").map(|p| &p.shape),
            Some(&Shape::Array(Box::new(Shape::Reference("academicSession"))))
        );
        let user = Service::Rostering.shape("UserDType").expect("UserDType");
        let Some(Shape::Array(role)) = user.property("roles").map(|p| &p.shape) else { panic!("roles") };
        assert_eq!(role.property("org").map(|p| &p.shape), Some(&Shape::Reference("org")));
        assert_eq!(role.property("beginDate").map(|p| &p.shape), Some(&Shape::Date));
        assert_eq!(user.property("enabledUser").map(|p| &p.shape), Some(&Shape::Flag));
    }
}
