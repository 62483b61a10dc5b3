//! The one reader of write bodies, for every PUT and POST: what real clients send is taken
//! where its meaning is certain and put in the canonical 1.2 form; the record is then read into
//! the model's type, which refuses anything else naming the property. The record's shape (its
//! references, dates, flags, required properties) is read from the OpenAPI file.
//!
//! Taken, in canonical form:
//! - a reference as `{"sourcedId": …}` alone, or with a `type` or `href` in any form: the
//!   `type` comes from the property and a given `href` is dropped (records name records; the
//!   renderer makes the `href` of where this provider serves it) (Google Classroom sends every
//!   reference bare);
//! - a date-time where the schema says date: its UTC date (Classroom sends `scoreDate` so); a
//!   date where it says date-time: that day's start, UTC; any RFC 3339 date-time (an offset
//!   instead of `Z`, fractional seconds of any length), kept to the millisecond in UTC;
//! - JSON `true`/`false` where the schema has the text flags `"true"`/`"false"`;
//! - `null` on an optional property: absent;
//! - `status` and `dateLastModified` (the server sets them) and properties the record has no
//!   place for: ignored.
//!
//! Still refused (422 naming the property): a reference without a `sourcedId` or not an
//! object, an id outside the binding's GUID rule, a date-time without a time zone, and whatever
//! else the schema rules out. Tolerance is for forms whose meaning is certain, never a guess.

use crate::WriteError;
use oneroster_model::{Collection, Date, SourcedId, Timestamp, Timezone};
use oneroster_openapi::Shape;
use serde_json::{Map, Value};

/// The record `value` of `collection` in canonical form, or its first problem, named by its
/// path below `at` (`lineItem.class`); a date given alone for a date-time is the start of that
/// day in the district's `zone`.
pub(crate) fn canonical(
    collection: Collection,
    value: Value,
    at: &str,
    zone: Timezone,
) -> Result<Map<String, Value>, WriteError> {
    let record = canonical_served(collection, value, at, zone)?;
    let shape = shape_of(collection, at)?;
    required(&record, &shape, at)?;
    Ok(record)
}

/// The record `value` of `collection` as another provider served it, in canonical form: as
/// [`canonical`], but without the JSON schema's required properties beyond the model's (a
/// provider fed by CSV serves an org without the `identifier` the binding lets it leave out).
pub(crate) fn canonical_served(
    collection: Collection,
    value: Value,
    at: &str,
    zone: Timezone,
) -> Result<Map<String, Value>, WriteError> {
    let shape = shape_of(collection, at)?;
    let Value::Object(mut object) = value else { return Err(invalid(at, "must be an object")) };
    object.remove("status");
    object.remove("dateLastModified");
    if object.get("sourcedId").is_some_and(Value::is_null) {
        object.remove("sourcedId");
    }
    let Value::Object(record) = canonical_value(Value::Object(object), &shape, at, zone)? else {
        return Err(invalid(at, "must be an object"));
    };
    Ok(record)
}

/// The OpenAPI shape of `collection`'s records.
fn shape_of(collection: Collection, at: &str) -> Result<Shape, WriteError> {
    oneroster_openapi::record_schema(collection.ref_type())
        .and_then(|(service, schema)| service.shape(schema))
        .ok_or_else(|| invalid(at, format!("{} are not written through the API", collection.name())))
}

/// Every property the schema requires is given (a required list with at least one item), so
/// that the record is served as valid JSON: the JSON schema requires some the CSV binding
/// leaves out (an org's `identifier`, a course's `courseCode`). The server's own (`sourcedId`,
/// `status`, `dateLastModified`) it fills.
fn required(record: &Map<String, Value>, shape: &Shape, at: &str) -> Result<(), WriteError> {
    let Shape::Object(properties) = shape else { return Ok(()) };
    let server = ["sourcedId", "status", "dateLastModified"];
    for property in properties.iter().filter(|p| p.required && !server.contains(&p.name)) {
        match record.get(property.name) {
            None => return Err(invalid(&format!("{at}.{}", property.name), "a value is required")),
            Some(Value::Array(items)) if items.is_empty() => {
                return Err(invalid(&format!("{at}.{}", property.name), "at least one is required"))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

fn invalid(field: &str, reason: impl Into<String>) -> WriteError {
    WriteError::Invalid { field: field.to_owned(), reason: reason.into() }
}

fn canonical_value(value: Value, shape: &Shape, at: &str, zone: Timezone) -> Result<Value, WriteError> {
    Ok(match (shape, value) {
        (Shape::Object(properties), Value::Object(object)) => {
            let mut kept = Map::with_capacity(object.len());
            for (name, value) in object {
                let Some(property) = properties.iter().find(|p| p.name == name) else { continue };
                if value.is_null() && !property.required {
                    continue;
                }
                let value = canonical_value(value, &property.shape, &format!("{at}.{name}"), zone)?;
                kept.insert(name, value);
            }
            Value::Object(kept)
        }
        (Shape::Array(item), Value::Array(items)) => Value::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(i, value)| canonical_value(value, item, &format!("{at}[{i}]"), zone))
                .collect::<Result<_, _>>()?,
        ),
        (Shape::Reference(ref_type), value) => reference(value, ref_type, at)?,
        (Shape::Date, Value::String(text)) if Date::parse(&text).is_err() => match instant(&text) {
            Some(instant) => Value::String(instant.date().to_string()),
            None => {
                return Err(invalid(
                    at,
                    format!("'{text}' is not a date (YYYY-MM-DD) nor a date-time with a time zone"),
                ))
            }
        },
        (Shape::DateTime, Value::String(text)) => {
            let instant = match Date::parse(&text) {
                Ok(date) => zone.start_of(date),
                Err(_) => instant(&text).ok_or_else(|| {
                    invalid(
                        at,
                        format!(
                            "'{text}' is not a date-time with a time zone (YYYY-MM-DDTHH:MM:SS.sssZ, or an offset \
                             instead of Z) nor a date (YYYY-MM-DD)"
                        ),
                    )
                })?,
            };
            Value::String(instant.to_string())
        }
        (Shape::Flag, Value::Bool(flag)) => Value::String(flag.to_string()),
        // Anything else is read by the model's type, which names what is wrong.
        (_, value) => value,
    })
}

/// The instant of an RFC 3339 date-time, within the years OneRoster's forms can write (an
/// offset could push `9999-12-31T23:00:00-02:00` past them).
fn instant(text: &str) -> Option<Timestamp> {
    Timestamp::parse_rfc3339(text).ok().filter(|t| (0..=9999).contains(&chrono::Datelike::year(&t.0)))
}

/// A reference in canonical form: `{sourcedId, type}` from the `sourcedId` given. A
/// given `type` is ignored unless it names another kind of record (`"type": "user"` on a
/// class): that contradicts the property, and is refused.
fn reference(value: Value, ref_type: &'static str, at: &str) -> Result<Value, WriteError> {
    let Value::Object(given) = value else {
        return Err(invalid(at, format!("must be a reference to a {ref_type}: {{\"sourcedId\": \"…\"}}")));
    };
    let Some(Value::String(id)) = given.get("sourcedId") else {
        return Err(invalid(at, format!("a reference must give the sourcedId of the {ref_type} it names")));
    };
    if let Some(Value::String(given_type)) = given.get("type") {
        if given_type != ref_type && Collection::from_ref_type(given_type).is_some() {
            let reason = format!("'{given_type}' contradicts the property, which refers to a {ref_type}");
            return Err(invalid(&format!("{at}.type"), reason));
        }
    }
    let id = SourcedId::parse(id).map_err(|e| invalid(&format!("{at}.sourcedId"), e.to_string()))?;
    if Collection::from_ref_type(ref_type).is_none() {
        return Err(invalid(at, format!("'{ref_type}' records are not kept by this provider")));
    }
    Ok(serde_json::json!({"sourcedId": id, "type": ref_type}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(collection: Collection, value: Value) -> Result<Value, String> {
        canonical(collection, value, "x", Timezone::default()).map(Value::Object).map_err(|e| e.to_string())
    }

    /// Google Classroom's line item, as its acceptance notebook sends it.
    fn classroom_line_item() -> Value {
        json!({
            "sourcedId": "li/1@lu", "title": "New test item", "description": "Test Line Item",
            "resultValueMin": 0, "resultValueMax": 100,
            "assignDate": "2026-12-04T18:43:37.484Z", "dueDate": "2026-12-04T18:44:37.484Z",
            "class": {"sourcedId": "2024/MATH-101"}, "category": {"sourcedId": "cat_1"},
            "school": {"sourcedId": "sch.1"}
        })
    }

    #[test]
    fn bare_references_become_full_guidrefs_typed_by_their_property() {
        let item = read(Collection::LineItems, classroom_line_item()).unwrap();
        assert_eq!(item["class"], json!({"sourcedId": "2024/MATH-101", "type": "class"}));
        assert_eq!(item["school"]["type"], "org");
        assert_eq!(item["category"], json!({"sourcedId": "cat_1", "type": "category"}));
        assert_eq!(item["resultValueMin"], 0, "other values are kept as sent");
    }

    #[test]
    fn a_given_type_of_any_form_is_replaced_and_a_given_href_dropped() {
        let mut item = classroom_line_item();
        item["class"] = json!({"sourcedId": "k-1", "type": "Class", "href": "https://lms.example/x", "name": "Math"});
        item["school"] = json!({"sourcedId": "s-1", "type": "school"});
        let item = read(Collection::LineItems, item).unwrap();
        assert_eq!(item["class"], json!({"sourcedId": "k-1", "type": "class"}));
        assert_eq!(item["school"]["type"], "org");
    }

    #[test]
    fn dates_and_date_times_are_read_in_any_certain_form() {
        let result = json!({
            "lineItem": {"sourcedId": "li-1"}, "student": {"sourcedId": "u-1"}, "scoreStatus": "fully graded",
            "scoreDate": "2026-12-04T23:43:37.484-05:00", "comment": ""
        });
        let result = read(Collection::Results, result).unwrap();
        assert_eq!(result["scoreDate"], "2026-12-05", "a date-time's UTC date");
        assert_eq!(result["comment"], "");
        let mut item = classroom_line_item();
        item["assignDate"] = json!("2026-12-04");
        item["dueDate"] = json!("2026-12-04T18:44:37.123456789+01:00");
        let item = read(Collection::LineItems, item).unwrap();
        assert_eq!(item["assignDate"], "2026-12-04T00:00:00.000Z", "a date: that day's start, UTC");
        assert_eq!(item["dueDate"], "2026-12-04T17:44:37.123Z");
        let mut item = classroom_line_item();
        item["assignDate"] = json!("2026-12-04");
        let chicago = Timezone::parse("America/Chicago").unwrap();
        let item = canonical(Collection::LineItems, item, "x", chicago).unwrap();
        assert_eq!(item["assignDate"], "2026-12-04T06:00:00.000Z", "a date: that day's start in the district");
    }

    #[test]
    fn server_fields_nulls_and_unknown_properties_are_dropped() {
        let mut item = classroom_line_item();
        let extra = json!({
            "status": "tobedeleted", "dateLastModified": "yesterday", "gradingPeriod": null,
            "description": null, "colour": "blue", "sourcedId": null
        });
        item.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let item = read(Collection::LineItems, item).unwrap();
        for gone in ["status", "dateLastModified", "gradingPeriod", "description", "colour", "sourcedId"] {
            assert!(item.get(gone).is_none(), "{gone}: {item}");
        }
    }

    #[test]
    fn boolean_flags_become_the_text_flags() {
        let result = json!({
            "lineItem": {"sourcedId": "li-1"}, "student": {"sourcedId": "u-1"}, "scoreStatus": "submitted",
            "scoreDate": "2026-12-04", "late": true, "missing": "false"
        });
        let result = read(Collection::Results, result).unwrap();
        assert_eq!((&result["late"], &result["missing"]), (&json!("true"), &json!("false")));
    }

    #[test]
    fn uncertain_forms_are_refused_naming_the_property() {
        let refused = |field: &str, value: Value| {
            let mut item = classroom_line_item();
            item[field] = value;
            read(Collection::LineItems, item).unwrap_err()
        };
        let error = refused("class", json!({"type": "class", "href": "/classes/k-1"}));
        assert_eq!(error, "x.class: a reference must give the sourcedId of the class it names");
        let error = refused("class", json!("k-1"));
        assert_eq!(error, "x.class: must be a reference to a class: {\"sourcedId\": \"…\"}");
        let error = refused("class", json!({"sourcedId": "k 1"}));
        assert!(error.starts_with("x.class.sourcedId: sourcedId has the character ' '"), "{error}");
        let error = refused("dueDate", json!("2026-12-04T18:44:37"));
        assert!(error.starts_with("x.dueDate: '2026-12-04T18:44:37' is not a date-time with a time zone"), "{error}");
        let error = refused("class", json!({"sourcedId": "k-1", "type": "user"}));
        assert_eq!(error, "x.class.type: 'user' contradicts the property, which refers to a class");
        let error = refused("dueDate", json!("9999-12-31T23:00:00-02:00"));
        assert!(error.starts_with("x.dueDate: '9999-12-31T23:00:00-02:00' is not a date-time"), "{error}");
        let error = refused("dueDate", json!("next week"));
        assert!(error.starts_with("x.dueDate: 'next week' is not a date-time"), "{error}");
        let result = json!({
            "lineItem": {"sourcedId": "li-1"}, "student": {"sourcedId": "u-1"}, "scoreStatus": "graded",
            "scoreDate": "12/04/2026"
        });
        let error = read(Collection::Results, result).unwrap_err();
        assert_eq!(error, "x.scoreDate: '12/04/2026' is not a date (YYYY-MM-DD) nor a date-time with a time zone");
        assert_eq!(read(Collection::LineItems, json!([])).unwrap_err(), "x: must be an object");
        assert_eq!(read(Collection::Users, json!({})).unwrap_err(), "x.enabledUser: a value is required");
        let roleless = json!({"enabledUser": "true", "givenName": "A", "familyName": "B", "roles": []});
        assert_eq!(read(Collection::Users, roleless).unwrap_err(), "x.roles: at least one is required");
    }

    #[test]
    fn nested_objects_and_arrays_are_read_item_by_item() {
        let result = json!({
            "lineItem": {"sourcedId": "li-1"}, "student": {"sourcedId": "u-1"}, "scoreStatus": "submitted",
            "scoreDate": "2026-12-04",
            "learningObjectiveSet": [{"source": "case", "learningObjectiveResults": [
                {"learningObjectiveId": "lo-1", "score": 3, "note": "dropped"}
            ]}]
        });
        let result = read(Collection::Results, result).unwrap();
        assert_eq!(
            result["learningObjectiveSet"][0]["learningObjectiveResults"][0],
            json!({"learningObjectiveId": "lo-1", "score": 3})
        );
        let scale = json!({
            "title": "Letters", "type": "letter", "class": {"sourcedId": "k-1"},
            "scoreScaleValue": [{"itemValueLHS": "A", "itemValueRHS": "90"}, {"itemValueLHS": "B"}]
        });
        assert!(
            read(Collection::ScoreScales, scale).is_ok(),
            "a missing required nested value is the model's to refuse"
        );
    }
}
