//! A 1.1 source's records as the rows of a 1.1 package: each column of the 1.1 binding's
//! header from the JSON property it carries (OneRoster 1.1 names them alike), so that the
//! ingest maps the package as it maps any 1.1 upload (a user's `role` and `orgs` into its 1.2
//! roles, with the orgs' types) and no 1.1 rule is written twice.
//!
//! - `…SourcedId` columns: the `sourcedId` of the reference the stem names (`orgSourcedId`:
//!   `org`); `…SourcedIds`: of each reference of the plural (`orgSourcedIds`: `orgs`);
//! - `userIds`: each `{type:identifier}`;
//! - lists: their items joined by commas; flags and numbers as their JSON;
//! - `status` and `dateLastModified` blank, as a bulk row leaves them;
//! - `metadata` as `metadata.*` columns, flattened as the export flattens it.

use oneroster_csv::write::Cells;
use oneroster_csv::{FileKind, Version};
use serde_json::Value;

/// The 1.1 row of `kind` that `record` (a 1.1 JSON record) is.
pub fn cells(kind: FileKind, record: &Value) -> Cells {
    let metadata = record.get("metadata").and_then(Value::as_object);
    Cells::by_column(kind, Version::V1p1, metadata, |column| cell(column, record))
}

fn cell(column: &str, record: &Value) -> Option<String> {
    if matches!(column, "status" | "dateLastModified") {
        return None;
    }
    if column == "sourcedId" {
        return record.get("sourcedId").and_then(text);
    }
    if let Some(stem) = column.strip_suffix("SourcedIds") {
        let references = record.get(format!("{stem}s").as_str())?.as_array()?;
        return Some(references.iter().filter_map(reference_id).collect::<Vec<_>>().join(","));
    }
    if let Some(stem) = column.strip_suffix("SourcedId") {
        return reference_id(record.get(stem)?);
    }
    if column == "userIds" {
        let ids = record.get("userIds")?.as_array()?;
        let ids = ids
            .iter()
            .filter_map(|id| Some(format!("{{{}:{}}}", text(id.get("type")?)?, text(id.get("identifier")?)?)));
        return Some(ids.collect::<Vec<_>>().join(","));
    }
    match record.get(column)? {
        Value::Array(items) => Some(items.iter().filter_map(text).collect::<Vec<_>>().join(",")),
        other => text(other),
    }
}

fn reference_id(reference: &Value) -> Option<String> {
    match reference {
        Value::Object(_) => reference.get("sourcedId").and_then(text),
        other => text(other),
    }
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Bool(_) | Value::Number(_) => Some(value.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_11_user_becomes_its_11_row() {
        let user = json!({
            "sourcedId": "u-1", "status": "active", "dateLastModified": "2026-01-01T00:00:00Z",
            "username": "ada", "enabledUser": true, "givenName": "Ada", "familyName": "L",
            "role": "teacher", "identifier": "77",
            "userIds": [{"type": "LDAP", "identifier": "ada1"}, {"type": "SIS", "identifier": "9"}],
            "orgs": [{"href": "https://sis.example/ims/oneroster/v1p1/orgs/s-1", "sourcedId": "s-1", "type": "org"},
                     {"sourcedId": "s-2", "type": "org"}],
            "agents": [], "grades": ["09", "10"], "email": "ada@example.org",
        });
        let row = cells(FileKind::Users, &user);
        let columns = Version::V1p1.columns(FileKind::Users);
        let at = |column: &str| row.values()[columns.iter().position(|c| *c == column).unwrap()].as_str();
        assert_eq!(at("sourcedId"), "u-1");
        assert_eq!((at("status"), at("dateLastModified")), ("", ""));
        assert_eq!(at("enabledUser"), "true");
        assert_eq!(at("orgSourcedIds"), "s-1,s-2");
        assert_eq!(at("role"), "teacher");
        assert_eq!(at("userIds"), "{LDAP:ada1},{SIS:9}");
        assert_eq!(at("agentSourcedIds"), "");
        assert_eq!(at("grades"), "09,10");
        assert_eq!(at("password"), "");
    }

    #[test]
    fn single_references_and_numbers_take_their_columns() {
        let class = json!({"sourcedId": "c-1", "title": "Maths", "classType": "scheduled",
            "course": {"sourcedId": "k-1"}, "school": {"sourcedId": "s-1"},
            "terms": [{"sourcedId": "t-1"}, {"sourcedId": "t-2"}], "periods": ["1"]});
        let row = cells(FileKind::Classes, &class);
        let columns = Version::V1p1.columns(FileKind::Classes);
        let at = |column: &str| row.values()[columns.iter().position(|c| *c == column).unwrap()].as_str();
        assert_eq!((at("courseSourcedId"), at("schoolSourcedId"), at("termSourcedIds")), ("k-1", "s-1", "t-1,t-2"));
        let item = json!({"sourcedId": "l-1", "resultValueMax": 100.0, "gradingPeriod": {"sourcedId": "g-1"}});
        let row = cells(FileKind::LineItems, &item);
        let columns = Version::V1p1.columns(FileKind::LineItems);
        let at = |column: &str| row.values()[columns.iter().position(|c| *c == column).unwrap()].as_str();
        assert_eq!((at("resultValueMax"), at("gradingPeriodSourcedId")), ("100.0", "g-1"));
    }
}
