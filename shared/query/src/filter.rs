//! The binding's filter expressions: `field op 'value'`, chained by `AND` or by `OR`.
//!
//! - Operators `=`, `!=`, `>`, `>=`, `<`, `<=`, `~` (contains, case-insensitive).
//! - Values are single-quoted; a quote inside a value is doubled (`'O''Brien'`).
//! - A chain uses one logical operator; mixing `AND` and `OR` is refused as ambiguous.
//! - Fields are checked against the catalog; dotted paths reach nested objects and arrays
//!   (`roles.role='teacher'` holds when any role is a teacher).
//! - Dates and date-times compare as instants (a date alone is its midnight UTC; given for a
//!   date-time field, it is the start of that day in the district's timezone once
//!   [`Filter::start_days`] has been told the zone), numbers as numbers, everything else as Unicode text. A record without the field matches only `!=`,
//!   which is the negation of `=`.

use crate::error::shown;
use crate::QueryError;
use chrono::{DateTime, NaiveDate, Utc};
use oneroster_openapi::{FieldCatalog, FieldKind};
use serde_json::Value;
use std::cmp::Ordering;

/// Longest filter expression accepted, in bytes (decoded); longer: 400 naming it.
pub const MAX_FILTER_BYTES: usize = 4096;
/// Most predicates in one chain; more: 400 naming it.
pub const MAX_PREDICATES: usize = 32;

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    /// How the predicates combine.
    pub join: Join,
    /// The predicates, in the order written.
    pub predicates: Vec<Predicate>,
}

/// The logical operator of a chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Join {
    /// Every predicate holds.
    And,
    /// At least one predicate holds.
    Or,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `~`: contains, ignoring case.
    Contains,
}

/// One `field op 'value'`.
#[derive(Debug, Clone, PartialEq)]
pub struct Predicate {
    /// The (dotted) field.
    pub field: String,
    /// The operator.
    pub op: Op,
    /// The value as written (unquoted).
    pub value: String,
    operand: Operand,
}

/// The value, read as the field's kind says.
#[derive(Debug, Clone, PartialEq)]
enum Operand {
    Text(String),
    Instant(DateTime<Utc>),
    /// A date alone for a date-time field: the day and the instant it starts (midnight UTC until
    /// [`Filter::start_days`] says where the district is).
    Day(NaiveDate, DateTime<Utc>),
    Number(f64),
}

impl Filter {
    /// Parses a filter expression (already URL-decoded) for records of `catalog`.
    pub fn parse(text: &str, catalog: &FieldCatalog) -> Result<Self, QueryError> {
        if text.len() > MAX_FILTER_BYTES {
            return Err(QueryError::Filter(format!("the expression is longer than {MAX_FILTER_BYTES} bytes")));
        }
        let mut parser = Parser { text, at: 0 };
        let mut predicates = vec![parser.predicate(catalog)?];
        let mut join = None;
        while let Some(next) = parser.join()? {
            if join.is_some_and(|j| j != next) {
                return Err(QueryError::Filter(
                    "AND and OR cannot be mixed in one filter (there are no parentheses to group them)".into(),
                ));
            }
            join = Some(next);
            predicates.push(parser.predicate(catalog)?);
            if predicates.len() > MAX_PREDICATES {
                return Err(QueryError::Filter(format!("more than {MAX_PREDICATES} predicates")));
            }
        }
        Ok(Self { join: join.unwrap_or(Join::And), predicates })
    }

    /// Whether a predicate gives a date alone for a date-time field (`dateLastModified>'2026-01-15'`),
    /// whose instant depends on the district's timezone.
    pub fn names_a_day(&self) -> bool {
        self.predicates.iter().any(|p| matches!(p.operand, Operand::Day(..)))
    }

    /// Makes each date given alone for a date-time field start at `start_of` that day (the
    /// district's midnight).
    pub fn start_days(&mut self, start_of: impl Fn(NaiveDate) -> DateTime<Utc>) {
        for predicate in &mut self.predicates {
            if let Operand::Day(day, instant) = &mut predicate.operand {
                *instant = start_of(*day);
            }
        }
    }

    /// Whether a record (its JSON) matches.
    pub fn matches(&self, record: &Value) -> bool {
        match self.join {
            Join::And => self.predicates.iter().all(|p| p.matches(record)),
            Join::Or => self.predicates.iter().any(|p| p.matches(record)),
        }
    }
}

impl Predicate {
    /// Whether a record (its JSON) satisfies the predicate.
    pub fn matches(&self, record: &Value) -> bool {
        let mut values = Vec::new();
        leaves(record, &self.field, &mut values);
        match self.op {
            Op::Ne => !values.iter().any(|v| self.holds(Op::Eq, v)),
            op => values.iter().any(|v| self.holds(op, v)),
        }
    }

    /// The instant of a `dateLastModified` predicate, for the store's time index.
    pub fn instant(&self) -> Option<DateTime<Utc>> {
        match self.operand {
            Operand::Instant(instant) | Operand::Day(_, instant) => Some(instant),
            _ => None,
        }
    }

    fn holds(&self, op: Op, value: &Value) -> bool {
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => return false,
        };
        if op == Op::Contains {
            return text.to_lowercase().contains(&self.value.to_lowercase());
        }
        let ordering = match &self.operand {
            Operand::Text(expected) => Some(text.as_str().cmp(expected.as_str())),
            Operand::Instant(expected) | Operand::Day(_, expected) => instant(&text).map(|actual| actual.cmp(expected)),
            Operand::Number(expected) => text.trim().parse::<f64>().ok().and_then(|a| a.partial_cmp(expected)),
        };
        let Some(ordering) = ordering else { return false };
        match op {
            Op::Eq => ordering == Ordering::Equal,
            Op::Ne => ordering != Ordering::Equal,
            Op::Gt => ordering == Ordering::Greater,
            Op::Ge => ordering != Ordering::Less,
            Op::Lt => ordering == Ordering::Less,
            Op::Le => ordering != Ordering::Greater,
            Op::Contains => false,
        }
    }
}

/// Reads a date (`2026-01-15`, as midnight UTC) or a date-time with a zone.
pub(crate) fn instant(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(date_time) = DateTime::parse_from_rfc3339(text) {
        return Some(date_time.with_timezone(&Utc));
    }
    day(text).map(start_utc)
}

/// Reads a date alone (`2026-01-15`).
fn day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// The instant `day` starts, UTC.
fn start_utc(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(chrono::NaiveTime::MIN).and_utc()
}

/// Collects the values at a dotted path, through arrays at any level.
pub(crate) fn leaves<'a>(value: &'a Value, path: &str, out: &mut Vec<&'a Value>) {
    match value {
        Value::Array(items) => items.iter().for_each(|item| leaves(item, path, out)),
        Value::Object(object) => {
            let (head, rest) = path.split_once('.').map_or((path, None), |(h, r)| (h, Some(r)));
            match (object.get(head), rest) {
                (Some(next), Some(rest)) => leaves(next, rest, out),
                (Some(Value::Array(items)), None) => out.extend(items.iter()),
                (Some(leaf), None) => out.push(leaf),
                (None, _) => {}
            }
        }
        _ => {}
    }
}

struct Parser<'a> {
    text: &'a str,
    at: usize,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.text[self.at..]
    }

    fn skip_spaces(&mut self) {
        let rest = self.rest();
        self.at += rest.len() - rest.trim_start().len();
    }

    fn error(&self, what: &str) -> QueryError {
        QueryError::Filter(format!("{what} at position {} of the filter", self.at + 1))
    }

    fn predicate(&mut self, catalog: &FieldCatalog) -> Result<Predicate, QueryError> {
        self.skip_spaces();
        let length = self
            .rest()
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(self.rest().len());
        if length == 0 {
            return Err(self.error("expected a field name"));
        }
        let field = self.rest()[..length].to_owned();
        let kind = match catalog.kind(&field) {
            Some(FieldKind::Object) => {
                return Err(QueryError::Filter(format!(
                    "'{}' is an object; filter on one of its fields",
                    shown(&field)
                )))
            }
            Some(kind) => kind,
            None => return Err(QueryError::Filter(format!("unknown field '{}'", shown(&field)))),
        };
        self.at += length;
        self.skip_spaces();
        let op = self.op()?;
        self.skip_spaces();
        let value = self.quoted()?;
        let operand = operand(&field, kind, &value)?;
        Ok(Predicate { field, op, value, operand })
    }

    fn op(&mut self) -> Result<Op, QueryError> {
        const OPS: [(&str, Op); 7] = [
            ("!=", Op::Ne),
            (">=", Op::Ge),
            ("<=", Op::Le),
            ("=", Op::Eq),
            (">", Op::Gt),
            ("<", Op::Lt),
            ("~", Op::Contains),
        ];
        let (symbol, op) = OPS
            .into_iter()
            .find(|(symbol, _)| self.rest().starts_with(symbol))
            .ok_or_else(|| self.error("expected one of = != > >= < <= ~"))?;
        self.at += symbol.len();
        Ok(op)
    }

    fn quoted(&mut self) -> Result<String, QueryError> {
        if !self.rest().starts_with('\'') {
            return Err(self.error("expected a value in single quotes"));
        }
        let start = self.at;
        self.at += 1;
        let mut value = String::new();
        loop {
            let Some(end) = self.rest().find('\'') else {
                self.at = start;
                return Err(self.error("the quoted value is not closed"));
            };
            value.push_str(&self.rest()[..end]);
            self.at += end + 1;
            if self.rest().starts_with('\'') {
                value.push('\'');
                self.at += 1;
            } else {
                return Ok(value);
            }
        }
    }

    fn join(&mut self) -> Result<Option<Join>, QueryError> {
        let before = self.at;
        self.skip_spaces();
        if self.rest().is_empty() {
            return Ok(None);
        }
        if self.at == before {
            return Err(self.error("expected AND or OR after the value"));
        }
        let word = self.rest().split(char::is_whitespace).next().unwrap_or_default();
        let join = match word {
            "AND" | "and" => Join::And,
            "OR" | "or" => Join::Or,
            _ => return Err(self.error("expected AND or OR")),
        };
        self.at += word.len();
        if !self.rest().is_empty() && !self.rest().starts_with(char::is_whitespace) {
            return Err(self.error("expected a space after AND or OR"));
        }
        Ok(Some(join))
    }
}

fn operand(field: &str, kind: FieldKind, value: &str) -> Result<Operand, QueryError> {
    // A date alone for a date-time: which instant depends on where the district is.
    if let (FieldKind::DateTime, Some(day)) = (kind, day(value)) {
        return Ok(Operand::Day(day, start_utc(day)));
    }
    Ok(match kind {
        FieldKind::Date | FieldKind::DateTime => Operand::Instant(instant(value).ok_or_else(|| {
            QueryError::Filter(format!(
                "'{field}' is a date; '{}' is not a date (2026-01-15) or a date-time (2026-01-15T00:00:00Z)",
                shown(value)
            ))
        })?),
        FieldKind::Number => {
            Operand::Number(value.trim().parse().map_err(|_| {
                QueryError::Filter(format!("'{field}' is a number; '{}' is not a number", shown(value)))
            })?)
        }
        FieldKind::Text | FieldKind::Boolean | FieldKind::Object | FieldKind::Open => Operand::Text(value.to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use oneroster_openapi::Service;
    use serde_json::json;

    fn users() -> FieldCatalog {
        Service::Rostering.fields("UserDType").expect("UserDType")
    }

    fn parse(text: &str) -> Result<Filter, QueryError> {
        Filter::parse(text, &users())
    }

    fn user() -> Value {
        json!({
            "sourcedId": "u1", "status": "active", "dateLastModified": "2026-01-15T10:00:00.000Z",
            "givenName": "Siobhán", "familyName": "O'Brien", "email": "sob@example.org",
            "roles": [
                {"roleType": "primary", "role": "teacher", "org": {"sourcedId": "s1"}},
                {"roleType": "secondary", "role": "aide", "org": {"sourcedId": "s2"}}
            ],
            "metadata": {"grade": "7"}
        })
    }

    fn holds(text: &str) -> bool {
        parse(text).unwrap_or_else(|e| panic!("{text}: {e}")).matches(&user())
    }

    #[test]
    fn each_operator() {
        assert!(holds("email='sob@example.org'"));
        assert!(!holds("email!='sob@example.org'"));
        assert!(holds("givenName>'A'"));
        assert!(holds("givenName>='Siobhán'"));
        assert!(holds("familyName<'P'"));
        assert!(holds("familyName<='O''Brien'"));
        assert!(holds("email~'EXAMPLE'"));
        assert!(!holds("email~'nowhere'"));
    }

    #[test]
    fn dates_compare_as_instants_whatever_their_precision() {
        assert!(holds("dateLastModified>'2026-01-15'"));
        assert!(holds("dateLastModified>'2026-01-15T09:59:59Z'"));
        assert!(!holds("dateLastModified>'2026-01-15T10:00:00.000Z'"));
        assert!(holds("dateLastModified>='2026-01-15T11:00:00+01:00'"));
        assert!(holds("dateLastModified<'2026-01-16'"));
        assert_eq!(parse("dateLastModified>'yesterday'").expect_err("not a date").code_minor(), "invalid_filter_field");
    }

    #[test]
    fn a_day_given_for_a_date_time_starts_where_the_district_is() {
        // The user changed at 10:00 UTC on the 15th: 21:00 on the 15th in Sydney (UTC+11).
        let mut filter = parse("dateLastModified>='2026-01-16' OR dateLastModified='2026-01-15T10:00:00Z'").unwrap();
        assert!(filter.names_a_day() && filter.matches(&user()), "midnight UTC until told");
        let sydney = |day: NaiveDate| day.and_hms_opt(0, 0, 0).unwrap().and_utc() - chrono::Duration::hours(11);
        filter.start_days(sydney);
        assert_eq!(filter.predicates[0].instant().unwrap().to_rfc3339(), "2026-01-15T13:00:00+00:00");
        assert_eq!(
            filter.predicates[1].instant().unwrap().to_rfc3339(),
            "2026-01-15T10:00:00+00:00",
            "a date-time stays"
        );
        let mut after = parse("dateLastModified>='2026-01-16'").unwrap();
        after.start_days(sydney);
        assert!(!after.matches(&user()), "the 15th in Sydney is before the 16th there");
        assert!(!parse("dateLastModified>'2026-01-15T00:00:00Z'").unwrap().names_a_day());
        assert!(!parse("email='2026-01-15'").unwrap().names_a_day(), "a date-looking text is text");
    }

    #[test]
    fn chains_of_and_or_or() {
        assert!(holds("status='active' AND email~'sob' AND roles.role='teacher'"));
        assert!(!holds("status='active' AND email='x'"));
        assert!(holds("email='x' OR email='y' OR status='active'"));
        assert!(matches!(parse("email='x' AND email='y' OR status='active'"), Err(QueryError::Filter(_))));
    }

    #[test]
    fn arrays_match_any_element_and_ne_is_not_eq() {
        assert!(holds("roles.role='aide'"));
        assert!(holds("roles.org.sourcedId='s2'"));
        assert!(!holds("roles.role!='aide'"));
        assert!(holds("roles.role!='student'"));
        assert!(holds("middleName!='x'"), "a missing field is != anything");
        assert!(!holds("middleName='x'"));
        assert!(holds("metadata.grade='7'"));
    }

    #[test]
    fn values_keep_spaces_quotes_and_operators() {
        let filter = parse("givenName='a AND b OR c=''d'''").expect("parses");
        assert_eq!(filter.predicates.len(), 1);
        assert_eq!(filter.predicates[0].value, "a AND b OR c='d'");
    }

    #[test]
    fn refusals_say_what_is_wrong() {
        for (text, needle) in [
            ("", "expected a field name"),
            ("nosuch='x'", "unknown field 'nosuch'"),
            ("roles='x'", "is an object"),
            ("email", "expected one of"),
            ("email=x", "single quotes"),
            ("email='x", "not closed"),
            ("email='x' email='y'", "expected AND or OR"),
            ("email='x'AND email='y'", "expected AND or OR after the value"),
            ("email='x' AND", "expected a field name"),
        ] {
            let error = parse(text).expect_err(text).to_string();
            assert!(error.contains(needle), "{text}: {error}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_text_parses_or_is_refused_without_panicking(text in "\\PC{0,80}") {
            if let Ok(filter) = parse(&text) {
                filter.matches(&user());
            }
        }

        #[test]
        fn near_valid_text_parses_or_is_refused(text in "(email|roles\\.role|dateLastModified|x)( ?)(=|!=|>|>=|<|<=|~|==)( ?)('[a-z' ]{0,6}'?)( (AND|OR|and) )?(email='a')?") {
            if let Ok(filter) = parse(&text) {
                filter.matches(&user());
            }
        }
    }
}
