//! The query parameters of a list request (and the `fields` of a single-record request).

use crate::{Filter, QueryError};
use oneroster_openapi::{FieldCatalog, FieldKind};

/// `limit` when the request gives none (the OpenAPI default).
pub const DEFAULT_LIMIT: usize = 100;
/// The largest page served; a larger `limit` is served as this (the `Link` header pages on).
pub const MAX_LIMIT: usize = 10_000;

/// Which properties of each record to return (`fields=a,b` or `fields=a&fields=b`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection(Option<Vec<String>>);

/// A list request's parameters, checked against the records' field catalog.
#[derive(Debug, Clone)]
pub struct ListParams {
    /// Records per page, 1 to [`MAX_LIMIT`].
    pub limit: usize,
    /// Records to skip.
    pub offset: u64,
    /// The (dotted) field to sort by, and its kind.
    pub sort: Option<(String, FieldKind)>,
    /// `orderBy=desc`.
    pub descending: bool,
    /// The filter.
    pub filter: Option<Filter>,
    /// The properties to return.
    pub selection: Selection,
    /// The opaque paging cursor a `Link` `next` carried, if any.
    pub cursor: Option<String>,
    /// Every parameter as given, to rebuild in `Link` URLs.
    pub pairs: Vec<(String, String)>,
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
                .map_err(|_| QueryError::Parameter { name, reason: format!("'{v}' is not a whole number") })
        })
        .transpose()
}

impl ListParams {
    /// Parses and checks a list request's query string.
    pub fn parse(query: Option<&str>, catalog: &FieldCatalog) -> Result<Self, QueryError> {
        let pairs = pairs(query);
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
                    reason: format!("'{other}' is neither asc nor desc"),
                })
            }
        };
        let sort = last(&pairs, "sort").map(str::trim).map(|field| sort_field(field, catalog)).transpose()?;
        let filter = last(&pairs, "filter").map(|text| Filter::parse(text, catalog)).transpose()?;
        let selection = Selection::parse_pairs(&pairs, catalog)?;
        let cursor = last(&pairs, "cursor").map(str::to_owned);
        Ok(Self { limit, offset, sort, descending, filter, selection, cursor, pairs })
    }
}

fn sort_field(field: &str, catalog: &FieldCatalog) -> Result<(String, FieldKind), QueryError> {
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
    /// The `fields` of a query string (single-record requests take only this parameter).
    pub fn parse(query: Option<&str>, catalog: &FieldCatalog) -> Result<Self, QueryError> {
        Self::parse_pairs(&pairs(query), catalog)
    }

    fn parse_pairs(pairs: &[(String, String)], catalog: &FieldCatalog) -> Result<Self, QueryError> {
        let names: Vec<String> = pairs
            .iter()
            .filter(|(name, _)| name == "fields")
            .flat_map(|(_, value)| value.split(','))
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
            .collect();
        if let Some(unknown) = names.iter().find(|name| !catalog.is_property(name)) {
            return Err(QueryError::Selection(unknown.clone()));
        }
        Ok(Self((!names.is_empty()).then_some(names)))
    }

    /// The selected names, `None` for every property.
    pub fn names(&self) -> Option<&[String]> {
        self.0.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oneroster_openapi::Service;

    fn parse(query: &str) -> Result<ListParams, QueryError> {
        ListParams::parse(Some(query), &Service::Rostering.fields("UserDType").expect("UserDType"))
    }

    #[test]
    fn defaults() {
        let params = parse("").expect("parses");
        assert_eq!((params.limit, params.offset, params.descending), (DEFAULT_LIMIT, 0, false));
        assert!(params.sort.is_none() && params.filter.is_none() && params.selection.names().is_none());
    }

    #[test]
    fn every_parameter() {
        let params = parse("limit=5&offset=10&sort=familyName&orderBy=desc&filter=status%3D%27active%27&fields=sourcedId,email&fields=givenName&extra=1")
            .expect("parses");
        assert_eq!((params.limit, params.offset, params.descending), (5, 10, true));
        assert_eq!(params.sort, Some(("familyName".to_owned(), FieldKind::Text)));
        assert_eq!(params.filter.expect("filter").predicates[0].value, "active");
        assert_eq!(params.selection.names(), Some(&["sourcedId".to_owned(), "email".into(), "givenName".into()][..]));
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
        let resources = Service::Resources.fields("ResourceDType").expect("ResourceDType");
        let error = ListParams::parse(Some("sort=nosuch"), &resources).expect_err("bad sort");
        assert_eq!(error.code_minor(), "invalid_sort_field");
    }
}
