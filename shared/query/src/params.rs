//! The query parameters of a list request (and the `fields` of a single-record request), and
//! the limits that keep what a request costs, and what its answer's headers hold, bounded
//! whatever the client sends.

use crate::error::shown;
use crate::select::Order;
use crate::{Filter, QueryError};
use oneroster_openapi::{FieldCatalog, FieldKind, Service, Version};

/// `limit` when the request gives none (the OpenAPI default).
pub const DEFAULT_LIMIT: usize = 100;
/// The largest page served; a larger `limit` is served as this (the `Link` header pages on).
pub const MAX_LIMIT: usize = 10_000;
/// The longest query string read, in bytes as the `Link` header repeats it: a byte a URL cannot
/// hold as it is (a space, a non-ASCII byte, `"`, `<`, …) counts as its percent-encoding, three.
/// Longer: 400. So `Link`, whose four URLs repeat the query, stays a few tens of KB at most.
pub const MAX_QUERY_BYTES: usize = 4096;
/// The largest `offset` served without a cursor (a cursor from a `Link` header goes on from
/// anywhere). Larger: 400 naming it.
pub const MAX_OFFSET: u64 = 10_000_000;
/// The largest `offset` served with `sort`: a sort ranks the whole listing and keeps the first
/// `offset + limit` places in memory. Larger: 400 naming it.
pub const MAX_SORTED_OFFSET: u64 = 100_000;
/// The longest `cursor` taken (the ones this service issues are a few hundred bytes). Longer: 400.
pub const MAX_CURSOR_BYTES: usize = 1024;
/// The longest `sort` field name taken (the schemas' dotted paths are far shorter). Longer: 400.
pub const MAX_SORT_BYTES: usize = 256;

/// The parameters the `Link` header sets itself on every URL, instead of repeating them.
const PAGING: [&str; 3] = ["limit", "offset", "cursor"];

/// What a query may name of one kind of record: the fields of its schema in one version (for
/// `filter` and `sort`), how many properties it has (`fields` may name no more), and whether
/// naming an unknown field in `sort` or `fields` is only a warning (1.1: the data is returned
/// in the default order, or without that field) rather than an error (1.2).
#[derive(Debug, Clone)]
pub struct RecordFields {
    catalog: FieldCatalog,
    properties: usize,
    lenient: bool,
}

impl RecordFields {
    /// The fields of `version`'s records that `item_schema` of `service` describes (`UserDType`).
    pub fn of(version: Version, service: Service, item_schema: &str) -> Option<Self> {
        let properties = version.schema(service, item_schema)?["properties"].as_object().map_or(0, |p| p.len());
        let lenient = version == Version::V1p1;
        Some(Self { catalog: version.fields(service, item_schema)?, properties, lenient })
    }

    /// The catalog of the fields, dotted paths included.
    pub fn catalog(&self) -> &FieldCatalog {
        &self.catalog
    }

    /// The same fields without those named in `hidden` (see [`FieldCatalog::without`]), or
    /// `None` when the records have none of them.
    pub fn without<'a>(&self, hidden: impl IntoIterator<Item = &'a str>) -> Option<Self> {
        let catalog = self.catalog.without(hidden)?;
        Some(Self { catalog, ..*self })
    }

    /// How many top-level properties the records have.
    pub fn properties(&self) -> usize {
        self.properties
    }
}

/// Which properties of each record to return (`fields=a,b` or `fields=a&fields=b`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection(Option<Vec<String>>);

/// A list request's parameters, checked against the records' fields.
#[derive(Debug, Clone)]
pub struct ListParams {
    /// Records per page, 1 to [`MAX_LIMIT`].
    pub limit: usize,
    /// Records to skip.
    pub offset: u64,
    /// The order asked for (`sort` and `orderBy`), if any.
    pub order: Option<Order>,
    /// The filter.
    pub filter: Option<Filter>,
    /// The properties to return.
    pub selection: Selection,
    /// What was named but left out (an unknown `sort` or `fields` entry where that is only a
    /// warning: [`RecordFields`]), for the answer to say.
    pub warnings: Vec<QueryError>,
    /// The opaque paging cursor a `Link` `next` carried, if any.
    pub cursor: Option<String>,
    /// The parameters other than `limit`, `offset` and `cursor`, as the client wrote them (bytes
    /// a URL cannot hold percent-encoded), for the `Link` header to repeat.
    pub echo: String,
}

impl ListParams {
    /// Whether the filter gives a date alone for a date-time field, whose instant is the start of
    /// that day where the district is ([`ListParams::start_days`]).
    pub fn names_a_day(&self) -> bool {
        self.filter.as_ref().is_some_and(Filter::names_a_day)
    }

    /// Makes each date the filter gives alone for a date-time field start at `start_of` that
    /// day.
    pub fn start_days(&mut self, start_of: impl Fn(chrono::NaiveDate) -> chrono::DateTime<chrono::Utc>) {
        if let Some(filter) = self.filter.as_mut() {
            filter.start_days(start_of);
        }
    }
}

/// The parameters of a query string, decoded (`+` is a space, as in HTML forms).
fn pairs(query: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned().collect()
}

fn last<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().rev().find(|(n, v)| n == name && !v.trim().is_empty()).map(|(_, v)| v.as_str())
}

fn number<T: std::str::FromStr>(pairs: &[(String, String)], name: &'static str) -> Result<Option<T>, QueryError> {
    last(pairs, name)
        .map(|v| {
            v.trim()
                .parse::<T>()
                .map_err(|_| QueryError::Parameter { name, reason: format!("'{}' is not a whole number", shown(v)) })
        })
        .transpose()
}

/// Whether a byte may stand in a URL's query as it is (RFC 3986 `pchar`, `/` and `?`; `%`
/// too, which starts the client's own escapes).
fn url_safe(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?%".contains(&byte)
}

/// `text` with the bytes a URL cannot hold percent-encoded.
fn url_safe_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if url_safe(byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Refuses a query string longer than [`MAX_QUERY_BYTES`] (counted as the `Link` header
/// repeats it); every route checks it before anything else.
pub fn check_query_length(query: Option<&str>) -> Result<(), QueryError> {
    let length: usize = query.unwrap_or_default().bytes().map(|b| if url_safe(b) { 1 } else { 3 }).sum();
    if length > MAX_QUERY_BYTES {
        return Err(QueryError::Parameter {
            name: "query string",
            reason: format!(
                "it is {length} bytes long (each byte a URL cannot hold as it is counting three); \
                 at most {MAX_QUERY_BYTES} are read"
            ),
        });
    }
    Ok(())
}

/// The parameters of `query` other than the paging ones, as written, for `Link` URLs.
fn echo(query: Option<&str>) -> String {
    query
        .unwrap_or_default()
        .split('&')
        .filter(|segment| !segment.is_empty())
        .filter(|segment| {
            let name = segment.split('=').next().unwrap_or_default();
            let decoded = form_urlencoded::parse(name.as_bytes()).next().map(|(n, _)| n.into_owned());
            !decoded.is_some_and(|name| PAGING.contains(&name.as_str()))
        })
        .map(url_safe_text)
        .collect::<Vec<_>>()
        .join("&")
}

impl ListParams {
    /// Parses and checks a list request's query string.
    pub fn parse(query: Option<&str>, fields: &RecordFields) -> Result<Self, QueryError> {
        check_query_length(query)?;
        let pairs = pairs(query);
        let catalog = &fields.catalog;
        let limit = match number::<i64>(&pairs, "limit")? {
            None => DEFAULT_LIMIT,
            Some(n) if n < 1 => {
                return Err(QueryError::Parameter { name: "limit", reason: format!("{n} is below the minimum of 1") })
            }
            Some(n) => usize::try_from(n).unwrap_or(MAX_LIMIT).min(MAX_LIMIT),
        };
        let offset = match number::<i64>(&pairs, "offset")? {
            Some(n) if n < 0 => {
                return Err(QueryError::Parameter { name: "offset", reason: format!("{n} is negative") })
            }
            n => n.map_or(0, i64::unsigned_abs),
        };
        let descending = match last(&pairs, "orderBy").map(str::trim) {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(other) => {
                return Err(QueryError::Parameter {
                    name: "orderBy",
                    reason: format!("'{}' is neither asc nor desc", shown(other)),
                })
            }
        };
        let mut warnings = Vec::new();
        let order = match last(&pairs, "sort").map(str::trim).map(|field| sort_field(field, catalog)) {
            None => None,
            Some(Ok((field, kind))) => Some(Order::new(field, kind, descending)),
            Some(Err(unknown @ QueryError::Sort { .. })) if fields.lenient => {
                warnings.push(unknown);
                None
            }
            Some(Err(error)) => return Err(error),
        };
        let cursor = last(&pairs, "cursor").map(str::to_owned);
        // A sort ranks from the start whatever the cursor says, so its bound holds with one too.
        if order.is_some() && offset > MAX_SORTED_OFFSET {
            return Err(QueryError::Parameter {
                name: "offset",
                reason: format!(
                    "{offset} is above {MAX_SORTED_OFFSET}, the largest offset served with sort (a sort ranks \
                     the whole listing); narrow the listing with a filter instead"
                ),
            });
        }
        if let Some(cursor) = &cursor {
            if cursor.len() > MAX_CURSOR_BYTES {
                return Err(QueryError::Parameter {
                    name: "cursor",
                    reason: format!(
                        "it is longer than {MAX_CURSOR_BYTES} bytes, so not one this service issued \
                         (take it from a Link header)"
                    ),
                });
            }
        } else if offset > MAX_OFFSET {
            return Err(QueryError::Parameter {
                name: "offset",
                reason: format!(
                    "{offset} is above {MAX_OFFSET}, the largest offset served; follow the Link header's next \
                     (its cursor goes on from anywhere)"
                ),
            });
        }
        let filter = last(&pairs, "filter").map(|text| Filter::parse(text, catalog)).transpose()?;
        let selection = Selection::parse_pairs(&pairs, fields, &mut warnings)?;
        Ok(Self { limit, offset, order, filter, selection, warnings, cursor, echo: echo(query) })
    }

    /// The fields the filter and the sort read (dotted paths), so that a caller can tell
    /// whether they name what a stored record does not hold (a reference's `href`).
    pub fn fields_read(&self) -> impl Iterator<Item = &str> {
        let filtered = self.filter.iter().flat_map(|f| f.predicates.iter().map(|p| p.field.as_str()));
        filtered.chain(self.order.as_ref().map(Order::field))
    }
}

fn sort_field(field: &str, catalog: &FieldCatalog) -> Result<(String, FieldKind), QueryError> {
    if field.len() > MAX_SORT_BYTES {
        return Err(QueryError::Parameter {
            name: "sort",
            reason: format!("the field name is longer than {MAX_SORT_BYTES} bytes"),
        });
    }
    match catalog.kind(field) {
        Some(FieldKind::Object) | None => {
            let code_minor = if catalog.service().has_code_minor("invalid_sort_field") {
                "invalid_sort_field"
            } else {
                "invalid_selection_field"
            };
            Err(QueryError::Sort { field: field.to_owned(), code_minor })
        }
        Some(kind) => Ok((field.to_owned(), kind)),
    }
}

impl Selection {
    /// The `fields` of a query string (single-record requests take only this parameter), and
    /// the unknown names left out where that is only a warning ([`RecordFields`]).
    pub fn parse(query: Option<&str>, fields: &RecordFields) -> Result<(Self, Vec<QueryError>), QueryError> {
        check_query_length(query)?;
        let mut warnings = Vec::new();
        Ok((Self::parse_pairs(&pairs(query), fields, &mut warnings)?, warnings))
    }

    fn parse_pairs(
        pairs: &[(String, String)],
        fields: &RecordFields,
        warnings: &mut Vec<QueryError>,
    ) -> Result<Self, QueryError> {
        let mut names: Vec<String> = pairs
            .iter()
            .filter(|(name, _)| name == "fields")
            .flat_map(|(_, value)| value.split(','))
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
            .collect();
        if fields.lenient {
            let (known, unknown): (Vec<String>, Vec<String>) =
                names.into_iter().partition(|name| fields.catalog.is_property(name));
            warnings.extend(unknown.into_iter().map(QueryError::Selection));
            names = known;
        } else if let Some(unknown) = names.iter().find(|name| !fields.catalog.is_property(name)) {
            return Err(QueryError::Selection(unknown.clone()));
        }
        if names.len() > fields.properties {
            return Err(QueryError::TooManyFields { given: names.len(), most: fields.properties });
        }
        Ok(Self((!names.is_empty()).then_some(names)))
    }

    /// The selected names, `None` for every property.
    pub fn names(&self) -> Option<&[String]> {
        self.0.as_deref()
    }

    /// Whether property `name` is returned.
    pub fn includes(&self, name: &str) -> bool {
        self.0.as_ref().is_none_or(|names| names.iter().any(|selected| selected == name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn users() -> RecordFields {
        RecordFields::of(Version::V1p2, Service::Rostering, "UserDType").expect("UserDType")
    }

    fn parse(query: &str) -> Result<ListParams, QueryError> {
        ListParams::parse(Some(query), &users())
    }

    #[test]
    fn defaults() {
        let params = parse("").expect("parses");
        assert_eq!((params.limit, params.offset), (DEFAULT_LIMIT, 0));
        assert!(params.order.is_none() && params.filter.is_none() && params.selection.names().is_none());
        assert_eq!(params.echo, "");
    }

    #[test]
    fn the_fields_read_are_those_of_the_filter_and_the_sort() {
        let read = |query: &str| parse(query).expect(query).fields_read().map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(read(""), Vec::<String>::new());
        assert_eq!(
            read("filter=givenName='A' AND primaryOrg.href='/x'&sort=roles.org.href"),
            ["givenName", "primaryOrg.href", "roles.org.href"]
        );
        assert_eq!(read("fields=givenName"), Vec::<String>::new(), "a selection reads nothing");
    }

    #[test]
    fn every_parameter() {
        let params = parse("limit=5&offset=10&sort=familyName&orderBy=desc&filter=status%3D%27active%27&fields=sourcedId,email&fields=givenName&extra=1")
            .expect("parses");
        assert_eq!((params.limit, params.offset), (5, 10));
        let order = params.order.expect("an order");
        assert_eq!((order.field(), order.kind(), order.descending()), ("familyName", FieldKind::Text, true));
        assert_eq!(params.filter.expect("filter").predicates[0].value, "active");
        assert_eq!(params.selection.names(), Some(&["sourcedId".to_owned(), "email".into(), "givenName".into()][..]));
        assert_eq!(
            params.echo,
            "sort=familyName&orderBy=desc&filter=status%3D%27active%27&fields=sourcedId,email&fields=givenName&extra=1"
        );
    }

    #[test]
    fn the_echo_keeps_what_the_client_wrote_and_encodes_what_a_url_cannot_hold() {
        let params = parse("filter=givenName='Zoë'&li%6Dit=3&cursor=x&sort=familyName").expect("parses");
        assert_eq!(params.echo, "filter=givenName='Zo%C3%AB'&sort=familyName");
        assert_eq!(params.limit, 3);
    }

    #[test]
    fn a_limit_above_the_maximum_is_served_as_the_maximum() {
        assert_eq!(parse("limit=1000000").expect("parses").limit, MAX_LIMIT);
    }

    #[test]
    fn bad_values_name_their_code() {
        for (query, code) in [
            ("limit=0", "invaliddata"),
            ("limit=ten", "invaliddata"),
            ("offset=-1", "invaliddata"),
            ("orderBy=up", "invaliddata"),
            ("sort=nosuch", "invalid_selection_field"),
            ("sort=roles", "invalid_selection_field"),
            ("fields=sourcedId,nosuch", "invalid_selection_field"),
            ("fields=roles.role", "invalid_selection_field"),
            ("filter=nosuch%3D%27x%27", "invalid_filter_field"),
        ] {
            assert_eq!(parse(query).expect_err(query).code_minor(), code, "{query}");
        }
        let resources = RecordFields::of(Version::V1p2, Service::Resources, "ResourceDType").expect("ResourceDType");
        let error = ListParams::parse(Some("sort=nosuch"), &resources).expect_err("bad sort");
        assert_eq!(error.code_minor(), "invalid_sort_field");
    }

    #[test]
    fn past_each_limit_the_error_names_the_limit() {
        let cases = [
            (format!("filter={}", "a".repeat(MAX_QUERY_BYTES)), MAX_QUERY_BYTES.to_string()),
            (format!("filter={}", "é".repeat(700)), MAX_QUERY_BYTES.to_string()),
            (format!("cursor={}", "1".repeat(MAX_CURSOR_BYTES + 1)), MAX_CURSOR_BYTES.to_string()),
            (format!("offset={}", MAX_OFFSET + 1), MAX_OFFSET.to_string()),
            (format!("sort=familyName&offset={}", MAX_SORTED_OFFSET + 1), MAX_SORTED_OFFSET.to_string()),
            // A sort ranks from the start whatever cursor comes with it.
            (format!("sort=familyName&offset={}&cursor=3~0.x", MAX_SORTED_OFFSET * 10), MAX_SORTED_OFFSET.to_string()),
            (format!("sort={}", "a".repeat(MAX_SORT_BYTES + 1)), MAX_SORT_BYTES.to_string()),
        ];
        for (query, limit) in cases {
            let error = parse(&query).expect_err(&limit);
            assert_eq!(error.code_minor(), "invaliddata", "{error}");
            assert!(error.to_string().contains(&limit), "{error}");
            assert!(error.to_string().len() < 300, "{error}");
        }
        // With a cursor, offset only says where the page is.
        parse(&format!("offset={}&cursor=3~0.x", MAX_OFFSET + 1)).expect("a cursor goes on from anywhere");
        let many = format!("fields={}", vec!["sourcedId"; 200].join(","));
        let error = parse(&many).expect_err("more names than properties");
        assert_eq!(error, QueryError::TooManyFields { given: 200, most: users().properties() });
        assert!(users().properties() > 10, "users have their schema's properties");
    }

    #[test]
    fn in_1p1_an_unknown_sort_or_selected_field_is_a_warning_and_left_out() {
        let v1p1 = RecordFields::of(Version::V1p1, Service::Rostering, "UserDType").expect("UserDType");
        let params = ListParams::parse(Some("sort=nothing&fields=givenName,nope,role"), &v1p1).expect("served");
        assert!(params.order.is_none());
        assert_eq!(params.selection.names(), Some(&["givenName".to_owned(), "role".to_owned()][..]));
        let codes: Vec<&str> = params.warnings.iter().map(QueryError::code_minor).collect();
        assert_eq!(codes, ["invalid_selection_field", "invalid_selection_field"], "{:?}", params.warnings);
        assert!(params.warnings[0].to_string().contains("nothing"));
        let (selection, warnings) = Selection::parse(Some("fields=orgs,roles"), &v1p1).expect("served");
        assert_eq!((selection.names().map(<[String]>::len), warnings.len()), (Some(1), 1), "roles is 1.2's");
        assert!(ListParams::parse(Some("filter=nothing='x'"), &v1p1).is_err(), "an unknown filter field is an error");
        assert!(ListParams::parse(Some("sort=nothing"), &users()).is_err(), "1.2 refuses it");
        assert!(ListParams::parse(Some("sort=role"), &users()).is_err(), "role is 1.1's");
    }
}
