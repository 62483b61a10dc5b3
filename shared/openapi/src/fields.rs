//! The fields of a record type, read from its schema: every property and, through `$ref`s and
//! arrays, every dotted path into nested objects (`course.sourcedId`, `roles.role`), each with
//! the kind of value it holds so that a filter compares dates as dates and numbers as numbers.

use crate::Service;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// How values of a field compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// A string (and the extensible vocabularies): compared as text.
    Text,
    /// `format: date`.
    Date,
    /// `format: date-time`.
    DateTime,
    /// `type: number` or `integer`.
    Number,
    /// `type: boolean` (OneRoster mostly carries booleans as text).
    Boolean,
    /// An object or an array of objects: not comparable itself, only its fields are.
    Object,
    /// A field inside an open object (`metadata.*`): any value, compared by its JSON type.
    Open,
}

/// The fields of one record type.
#[derive(Debug, Clone)]
pub struct FieldCatalog {
    service: Service,
    paths: BTreeMap<String, FieldKind>,
    /// Names no path may go through (a client's hidden fields), inside open objects too.
    hidden: BTreeSet<String>,
}

/// How deep dotted paths go; the schemas nest no deeper (`roles.org.sourcedId`).
const MAX_DEPTH: usize = 4;

impl FieldCatalog {
    pub(crate) fn of(service: Service, schema: &'static Value) -> Self {
        let mut catalog = Self { service, paths: BTreeMap::new(), hidden: BTreeSet::new() };
        catalog.add_properties(service, schema, "", 0);
        catalog
    }

    fn add_properties(&mut self, service: Service, schema: &'static Value, prefix: &str, depth: usize) {
        for (name, property) in schema["properties"].as_object().into_iter().flatten() {
            let path = format!("{prefix}{name}");
            let kind = self.add_property(service, property, &path, depth);
            self.paths.insert(path, kind);
        }
    }

    fn add_property(&mut self, service: Service, property: &'static Value, path: &str, depth: usize) -> FieldKind {
        let property = match property["anyOf"].as_array().and_then(|branches| branches.first()) {
            Some(first) => first,
            None => property,
        };
        let property = if property["type"] == "array" { &property["items"] } else { property };
        let Some(property) = service.resolve(property) else { return FieldKind::Text };
        match (property["type"].as_str(), property["format"].as_str()) {
            (Some("object"), _) => {
                if depth < MAX_DEPTH {
                    self.add_properties(service, property, &format!("{path}."), depth + 1);
                }
                if property["additionalProperties"] == true {
                    self.paths.insert(format!("{path}.*"), FieldKind::Open);
                }
                FieldKind::Object
            }
            (_, Some("date")) => FieldKind::Date,
            (_, Some("date-time")) => FieldKind::DateTime,
            (Some("number" | "integer"), _) => FieldKind::Number,
            (Some("boolean"), _) => FieldKind::Boolean,
            _ => FieldKind::Text,
        }
    }

    /// The kind of a (dotted) field, `None` if the records have no such field. Any path below an
    /// open object (`metadata.district.code`) is a field.
    pub fn kind(&self, path: &str) -> Option<FieldKind> {
        if path.split('.').any(|segment| self.hidden.contains(segment)) {
            return None;
        }
        if let Some(kind) = self.paths.get(path) {
            return Some(*kind);
        }
        let mut prefix = path;
        while let Some((head, _)) = prefix.rsplit_once('.') {
            if self.paths.get(&format!("{head}.*")) == Some(&FieldKind::Open) {
                return Some(FieldKind::Open);
            }
            prefix = head;
        }
        None
    }

    /// The same catalog without any field named in `hidden` (nor any path through one), or
    /// `None` when it has none of them: a client that is not shared them cannot name them.
    pub fn without<'a>(&self, hidden: impl IntoIterator<Item = &'a str>) -> Option<Self> {
        let hidden: BTreeSet<String> = hidden.into_iter().map(str::to_owned).collect();
        let through = |path: &str| path.split('.').any(|segment| hidden.contains(segment));
        let open = self.paths.values().any(|kind| *kind == FieldKind::Open);
        if !open && !self.paths.keys().any(|path| through(path)) {
            return None;
        }
        let paths = self.paths.iter().filter(|(path, _)| !through(path)).map(|(p, k)| (p.clone(), *k)).collect();
        Some(Self { service: self.service, paths, hidden })
    }

    /// The service whose schema this is (error vocabularies differ between services).
    pub fn service(&self) -> Service {
        self.service
    }

    /// Whether `name` is a top-level property (what `fields=` selects).
    pub fn is_property(&self, name: &str) -> bool {
        !name.contains('.') && self.paths.contains_key(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_catalog_without_hidden_fields_names_no_path_through_them() {
        let users = Service::Rostering.fields("UserDType").expect("UserDType");
        let hidden = users.without(["password", "phone", "username"]).expect("users have them");
        assert_eq!(hidden.kind("phone"), None);
        assert_eq!(hidden.kind("userProfiles.credentials.username"), None);
        assert_eq!(hidden.kind("metadata.password"), None, "nor inside an open object");
        assert_eq!(hidden.kind("givenName"), users.kind("givenName"));
        assert!(hidden.kind("metadata.phoneCount").is_some());
        let categories = Service::Gradebook.fields("CategoryDType").expect("CategoryDType");
        assert!(categories.kind("metadata.x").is_some());
    }

    fn users() -> FieldCatalog {
        Service::Rostering.fields("UserDType").expect("UserDType")
    }

    #[test]
    fn top_level_and_dotted_paths_have_kinds() {
        let users = users();
        assert_eq!(users.kind("email"), Some(FieldKind::Text));
        assert_eq!(users.kind("dateLastModified"), Some(FieldKind::DateTime));
        assert_eq!(users.kind("roles"), Some(FieldKind::Object));
        assert_eq!(users.kind("roles.role"), Some(FieldKind::Text));
        assert_eq!(users.kind("roles.org.sourcedId"), Some(FieldKind::Text));
        assert_eq!(users.kind("roles.beginDate"), Some(FieldKind::Date));
        assert_eq!(users.kind("nosuch"), None);
        assert_eq!(users.kind("roles.nosuch"), None);
        assert!(users.is_property("givenName"));
        assert!(!users.is_property("roles.role"));
    }

    #[test]
    fn metadata_is_open() {
        assert_eq!(users().kind("metadata.district.code"), Some(FieldKind::Open));
        assert_eq!(users().kind("metadata"), Some(FieldKind::Object));
    }

    #[test]
    fn vocabularies_with_ext_values_are_text() {
        let orgs = Service::Rostering.fields("OrgDType").expect("OrgDType");
        assert_eq!(orgs.kind("type"), Some(FieldKind::Text));
        let results = Service::Gradebook.fields("ResultDType").expect("ResultDType");
        assert_eq!(results.kind("score"), Some(FieldKind::Number));
        assert_eq!(results.kind("scoreDate"), Some(FieldKind::Date));
    }
}
