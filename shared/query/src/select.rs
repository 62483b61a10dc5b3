//! Ordering and trimming records for a response: `sort`/`orderBy` and `fields`.

use crate::filter::{instant, leaves};
use crate::Selection;
use oneroster_openapi::FieldKind;
use serde_json::Value;
use std::cmp::Ordering;

/// Orders two records by `field` (the first value where it holds several), as its kind says;
/// records without the field come last whatever the direction, and ties go by sourcedId so
/// that paging through a sorted list is stable.
pub fn compare_records(a: &Value, b: &Value, field: &str, kind: FieldKind, descending: bool) -> Ordering {
    let key = |record: &Value| {
        let mut values = Vec::new();
        leaves(record, field, &mut values);
        values.into_iter().find_map(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        })
    };
    let by_field = match (key(a), key(b)) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => {
            let ordering = compare_values(&x, &y, kind);
            if descending {
                ordering.reverse()
            } else {
                ordering
            }
        }
    };
    by_field.then_with(|| a["sourcedId"].as_str().cmp(&b["sourcedId"].as_str()))
}

fn compare_values(x: &str, y: &str, kind: FieldKind) -> Ordering {
    let numbers = || Some((x.trim().parse::<f64>().ok()?, y.trim().parse::<f64>().ok()?));
    match kind {
        FieldKind::Date | FieldKind::DateTime => match (instant(x), instant(y)) {
            (Some(x), Some(y)) => x.cmp(&y),
            _ => x.cmp(y),
        },
        FieldKind::Number | FieldKind::Open => match numbers() {
            Some((x, y)) => x.total_cmp(&y),
            None => x.cmp(y),
        },
        _ => x.cmp(y),
    }
}

/// Keeps only the selected properties of a record, in the record's own order.
pub fn project(record: &mut Value, selection: &Selection) {
    if let (Some(names), Value::Object(object)) = (selection.names(), record) {
        object.retain(|key, _| names.iter().any(|n| n == key));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn missing_values_come_last_in_both_directions_and_ties_go_by_id() {
        let mut records = [
            json!({"sourcedId": "c"}),
            json!({"sourcedId": "b", "n": "10"}),
            json!({"sourcedId": "a", "n": "9"}),
            json!({"sourcedId": "d", "n": "9"}),
        ];
        records.sort_by(|a, b| compare_records(a, b, "n", FieldKind::Number, false));
        let ids: Vec<&str> = records.iter().filter_map(|r| r["sourcedId"].as_str()).collect();
        assert_eq!(ids, ["a", "d", "b", "c"]);
        records.sort_by(|a, b| compare_records(a, b, "n", FieldKind::Number, true));
        let ids: Vec<&str> = records.iter().filter_map(|r| r["sourcedId"].as_str()).collect();
        assert_eq!(ids, ["b", "a", "d", "c"]);
    }

    #[test]
    fn dates_sort_as_instants() {
        let a = json!({"sourcedId": "a", "d": "2026-01-15T10:00:00+05:00"});
        let b = json!({"sourcedId": "b", "d": "2026-01-15T06:00:00Z"});
        assert_eq!(compare_records(&a, &b, "d", FieldKind::DateTime, false), Ordering::Less);
    }
}
