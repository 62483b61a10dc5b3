//! Ordering records for a response: `sort`/`orderBy`.
//!
//! A sort ranks a listing that may be large without holding it: each record is reduced to its
//! [`Rank`] (the sort value, cut to [`MAX_SORT_VALUE_BYTES`], and its sourcedId), and a
//! [`Window`] keeps only the best `offset + limit` of them; the page's records are then read
//! again by sourcedId.

use crate::filter::{instant, leaves};
use oneroster_openapi::FieldKind;
use serde_json::Value;
use std::cmp::Ordering;

/// How much of a sort value is compared: a value longer than this (a 300 KB title) ranks by its
/// first this many bytes, then by sourcedId, so that a rank stays small.
pub const MAX_SORT_VALUE_BYTES: usize = 256;

/// The order a request asks for: a field, its kind, and the direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    field: String,
    kind: FieldKind,
    descending: bool,
}

/// A record's place in an [`Order`]: its sort value (the first where the field holds several,
/// cut to [`MAX_SORT_VALUE_BYTES`]) and its sourcedId.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rank {
    value: Option<String>,
    /// The record's sourcedId.
    pub id: String,
}

impl Order {
    /// Sort by `field` (a dotted path of kind `kind`), descending when asked.
    pub fn new(field: String, kind: FieldKind, descending: bool) -> Self {
        Self { field, kind, descending }
    }

    /// The field.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// The field's kind.
    pub fn kind(&self) -> FieldKind {
        self.kind
    }

    /// Whether the order is descending.
    pub fn descending(&self) -> bool {
        self.descending
    }

    /// Where `record` (its JSON) goes.
    pub fn rank(&self, record: &Value) -> Rank {
        let mut values = Vec::new();
        leaves(record, &self.field, &mut values);
        let value = values.into_iter().find_map(|v| match v {
            Value::String(s) => Some(cut(s)),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        });
        Rank { value, id: record["sourcedId"].as_str().unwrap_or_default().to_owned() }
    }

    /// Orders two ranks: by value as the field's kind says, records without the field last
    /// whatever the direction, ties by sourcedId so that paging through a sorted list is stable.
    pub fn compare(&self, a: &Rank, b: &Rank) -> Ordering {
        let by_value = match (&a.value, &b.value) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(x), Some(y)) => {
                let ordering = compare_values(x, y, self.kind);
                if self.descending {
                    ordering.reverse()
                } else {
                    ordering
                }
            }
        };
        by_value.then_with(|| a.id.cmp(&b.id))
    }
}

/// The first [`MAX_SORT_VALUE_BYTES`] of `text`, at a character boundary.
fn cut(text: &str) -> String {
    if text.len() <= MAX_SORT_VALUE_BYTES {
        return text.to_owned();
    }
    let mut end = MAX_SORT_VALUE_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
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

/// The first `keep` ranks of a stream in an [`Order`], holding at most twice that many at any
/// time: when the buffer fills, it is cut back to the best `keep` (a linear-time selection).
#[derive(Debug)]
pub struct Window {
    order: Order,
    keep: usize,
    ranks: Vec<Rank>,
}

impl Window {
    /// A window keeping the first `keep` ranks in `order`.
    pub fn new(order: Order, keep: usize) -> Self {
        Self { order, keep, ranks: Vec::new() }
    }

    /// The order it keeps.
    pub fn order(&self) -> &Order {
        &self.order
    }

    /// Offers a record's rank.
    pub fn offer(&mut self, rank: Rank) {
        if self.keep == 0 {
            return;
        }
        self.ranks.push(rank);
        if self.ranks.len() >= self.keep.saturating_mul(2).max(64) {
            self.cut();
        }
    }

    fn cut(&mut self) {
        if self.ranks.len() > self.keep {
            let order = &self.order;
            self.ranks.select_nth_unstable_by(self.keep - 1, |a, b| order.compare(a, b));
            self.ranks.truncate(self.keep);
        }
    }

    /// The kept ranks, in order.
    pub fn into_sorted(mut self) -> Vec<Rank> {
        self.cut();
        let order = self.order;
        self.ranks.sort_by(|a, b| order.compare(a, b));
        self.ranks
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sorted(records: &[Value], order: &Order) -> Vec<String> {
        let mut ranks: Vec<Rank> = records.iter().map(|r| order.rank(r)).collect();
        ranks.sort_by(|a, b| order.compare(a, b));
        ranks.into_iter().map(|r| r.id).collect()
    }

    #[test]
    fn missing_values_come_last_in_both_directions_and_ties_go_by_id() {
        let records = [
            json!({"sourcedId": "c"}),
            json!({"sourcedId": "b", "n": "10"}),
            json!({"sourcedId": "a", "n": "9"}),
            json!({"sourcedId": "d", "n": "9"}),
        ];
        let ascending = Order::new("n".into(), FieldKind::Number, false);
        assert_eq!(sorted(&records, &ascending), ["a", "d", "b", "c"]);
        let descending = Order::new("n".into(), FieldKind::Number, true);
        assert_eq!(sorted(&records, &descending), ["b", "a", "d", "c"]);
    }

    #[test]
    fn dates_sort_as_instants() {
        let a = json!({"sourcedId": "a", "d": "2026-01-15T10:00:00+05:00"});
        let b = json!({"sourcedId": "b", "d": "2026-01-15T06:00:00Z"});
        let order = Order::new("d".into(), FieldKind::DateTime, false);
        assert_eq!(order.compare(&order.rank(&a), &order.rank(&b)), Ordering::Less);
    }

    #[test]
    fn a_window_keeps_the_first_places_of_a_long_stream_in_little_room() {
        let order = Order::new("n".into(), FieldKind::Number, true);
        let mut window = Window::new(order.clone(), 10);
        let mut most = 0;
        for i in 0..10_000u32 {
            let n = (i * 7919) % 10_007;
            window.offer(order.rank(&json!({"sourcedId": format!("r{i:05}"), "n": n})));
            most = most.max(window.ranks.len());
        }
        assert!(most <= 64, "held {most}");
        let kept: Vec<String> = window.into_sorted().into_iter().map(|r| r.value.unwrap_or_default()).collect();
        let mut expected: Vec<u32> = (0..10_000u32).map(|i| (i * 7919) % 10_007).collect();
        expected.sort_unstable_by(|a, b| b.cmp(a));
        let expected: Vec<String> = expected[..10].iter().map(u32::to_string).collect();
        assert_eq!(kept, expected);
        assert!(Window::new(order, 0).into_sorted().is_empty());
    }

    #[test]
    fn long_values_rank_by_their_head() {
        let order = Order::new("t".into(), FieldKind::Text, false);
        let rank = order.rank(&json!({"sourcedId": "a", "t": "é".repeat(1000)}));
        assert!(rank.value.is_some_and(|v| v.len() <= MAX_SORT_VALUE_BYTES));
    }
}
