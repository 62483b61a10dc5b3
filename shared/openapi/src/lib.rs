//! The official OneRoster 1.2 OpenAPI files (vendored, byte-identical; see `spec/SOURCES.md`),
//! the provider's own files of its attendance service and of its change events feed
//! (`spec/provider/`, written in their style), and what the services read out of them, so that the contract is written down once: the
//! discovery documents, every operation with its scopes and response envelope, the field
//! catalog of each entity that `filter`, `sort` and `fields` are checked against, and the shape
//! of each entity that write bodies are read by.

pub mod events;
pub mod extensions;
mod fields;
mod shape;
pub mod v1p1;

pub use fields::{FieldCatalog, FieldKind};
pub use shape::{Property, Shape};

use serde_json::Value;
use std::sync::OnceLock;

/// One of the three OneRoster 1.2 REST services, or the provider's attendance service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    /// Rostering: orgs, sessions, courses, classes, users, enrollments, demographics.
    Rostering,
    /// Gradebook, with Assessment Results.
    Gradebook,
    /// Resources.
    Resources,
    /// Attendance and absence codes (OneRoster+ files), read only: the provider's extension,
    /// with an OpenAPI file of its own in the standard's style (every operation an extension).
    Attendance,
}

/// A version of the REST binding served from the same stored records: 1.2, whose files these
/// are, or 1.1, written down as its differences from them ([`v1p1`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// OneRoster 1.2 (the three services' own bases).
    V1p2,
    /// OneRoster 1.1 (one base, [`v1p1::BASE`]).
    V1p1,
}

impl Version {
    /// This version's schema `name` of `service` (1.1's is 1.2's with its differences applied).
    pub fn schema(self, service: Service, name: &str) -> Option<&'static Value> {
        match self {
            Version::V1p2 => service.schema(name),
            Version::V1p1 => v1p1::schema(service, name),
        }
    }

    /// The catalog of the fields of this version's records of `item_schema` of `service`.
    pub fn fields(self, service: Service, item_schema: &str) -> Option<FieldCatalog> {
        match self {
            Version::V1p2 => service.fields(item_schema),
            Version::V1p1 => v1p1::fields(service, item_schema),
        }
    }

    /// The shape of this version's records of `item_schema` of `service`.
    pub fn shape(self, service: Service, item_schema: &str) -> Option<Shape> {
        match self {
            Version::V1p2 => service.shape(item_schema),
            Version::V1p1 => v1p1::shape(service, item_schema),
        }
    }
}

/// One operation of a service, as its OpenAPI file describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// `GET`, `PUT`, `POST` or `DELETE`.
    pub method: String,
    /// The path below the service's base, with `{parameters}`.
    pub path: String,
    /// The operationId, e.g. `getAllUsers`.
    pub operation_id: String,
    /// The scopes of which any one grants the operation.
    pub scopes: Vec<String>,
    /// The success response's envelope, when it carries records.
    pub envelope: Option<Envelope>,
    /// Whether the operation is this provider's extension ([`extensions`]), not the standard's.
    pub extension: bool,
}

/// The shape of a success body: `{"users":[…]}` or `{"user":{…}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The schema of the whole body (`UserSetDType`).
    pub body_schema: String,
    /// The body's single property (`users`, `user`).
    pub key: String,
    /// The schema of one record (`UserDType`).
    pub item_schema: String,
    /// Whether the property holds an array of records.
    pub is_list: bool,
}

impl Service {
    /// Every service.
    pub const ALL: [Service; 4] = [Service::Rostering, Service::Gradebook, Service::Resources, Service::Attendance];

    /// The service's name (`rostering`, `gradebook`, `resources`, `attendance`).
    pub fn name(self) -> &'static str {
        match self {
            Service::Rostering => "rostering",
            Service::Gradebook => "gradebook",
            Service::Resources => "resources",
            Service::Attendance => "attendance",
        }
    }

    /// The service's place in [`Service::ALL`], for per-service statics.
    fn index(self) -> usize {
        Self::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }

    /// The base path the OpenAPI file gives the service.
    pub fn base_path(self) -> &'static str {
        match self {
            Service::Rostering => "/ims/oneroster/rostering/v1p2",
            Service::Gradebook => "/ims/oneroster/gradebook/v1p2",
            Service::Resources => "/ims/oneroster/resources/v1p2",
            Service::Attendance => "/ims/oneroster/attendance/v1p2",
        }
    }

    /// The OpenAPI file, as published (served under `{base}/discovery/`); the attendance
    /// service's is the provider's own.
    pub fn document_text(self) -> &'static str {
        match self {
            Service::Rostering => include_str!("../spec/onerosterv1p2rostersservice_openapi3_v1p0.json"),
            Service::Gradebook => include_str!("../spec/onerosterv1p2gradebookservice_openapi3_v1p0.json"),
            Service::Resources => include_str!("../spec/onerosterv1p2resourcesservice_openapi3_v1p0.json"),
            Service::Attendance => include_str!("../spec/provider/onerosterv1p2attendanceservice_openapi3.json"),
        }
    }

    /// The OpenAPI file, parsed once.
    pub fn document(self) -> &'static Value {
        static DOCUMENTS: [OnceLock<Value>; 4] = [const { OnceLock::new() }; 4];
        DOCUMENTS[self.index()].get_or_init(|| {
            serde_json::from_str(self.document_text()).unwrap_or_else(|e| panic!("the vendored {self:?} OpenAPI: {e}"))
        })
    }

    /// The discovery document: the OpenAPI file with the provider's [`extensions`] added, each
    /// marked `x-provider-extension`.
    pub fn discovery(self) -> &'static Value {
        static DOCUMENTS: [OnceLock<Value>; 4] = [const { OnceLock::new() }; 4];
        DOCUMENTS[self.index()].get_or_init(|| extensions::extend(self, self.document().clone()))
    }

    /// The discovery document as served.
    pub fn discovery_text(self) -> &'static str {
        static TEXTS: [OnceLock<String>; 4] = [const { OnceLock::new() }; 4];
        TEXTS[self.index()].get_or_init(|| serde_json::to_string_pretty(self.discovery()).unwrap_or_default())
    }

    /// A schema of `components.schemas` by name (the extensions' included).
    pub fn schema(self, name: &str) -> Option<&'static Value> {
        self.discovery().pointer(&format!("/components/schemas/{name}"))
    }

    /// Every operation of the service, the extensions' included, in the discovery document's
    /// order (read from it once).
    pub fn operations(self) -> &'static [Operation] {
        static OPERATIONS: [OnceLock<Vec<Operation>>; 4] = [const { OnceLock::new() }; 4];
        OPERATIONS[self.index()].get_or_init(|| {
            let Some(paths) = self.discovery()["paths"].as_object() else { return Vec::new() };
            let mut operations = Vec::new();
            for (path, methods) in paths {
                for (method, operation) in methods.as_object().into_iter().flatten() {
                    operations.push(Operation {
                        method: method.to_uppercase(),
                        path: path.clone(),
                        operation_id: operation["operationId"].as_str().unwrap_or_default().to_owned(),
                        scopes: scopes_of(operation),
                        envelope: self.envelope_of(operation),
                        extension: operation["x-provider-extension"] == true,
                    });
                }
            }
            operations
        })
    }

    /// The operation with this id.
    pub fn operation(self, operation_id: &str) -> Option<&'static Operation> {
        self.operations().iter().find(|o| o.operation_id == operation_id)
    }

    /// Whether the service's `imsx_codeMinorFieldValue` vocabulary has `code`: the services
    /// differ (only resources has `invalid_sort_field`).
    pub fn has_code_minor(self, code: &str) -> bool {
        self.schema("imsx_CodeMinorFieldDType")
            .and_then(|s| s.pointer("/properties/imsx_codeMinorFieldValue/enum"))
            .and_then(Value::as_array)
            .is_some_and(|codes| codes.iter().any(|c| c == code))
    }

    /// The catalog of the fields of the records a schema describes (`UserDType`).
    pub fn fields(self, item_schema: &str) -> Option<FieldCatalog> {
        self.schema(item_schema).map(|schema| FieldCatalog::of(self, schema))
    }

    /// The shape of the records a schema describes (`LineItemDType`), for reading write bodies.
    pub fn shape(self, item_schema: &str) -> Option<Shape> {
        self.schema(item_schema).map(|schema| shape::of(self, schema, 0))
    }

    fn envelope_of(self, operation: &'static Value) -> Option<Envelope> {
        let responses = operation["responses"].as_object()?;
        let success = responses.iter().find(|(code, _)| code.starts_with('2'))?.1;
        let body_ref = success.pointer("/content/application~1json/schema")?;
        let body = self.resolve(body_ref)?;
        let (key, property) = body["properties"].as_object()?.iter().next()?;
        let is_list = property["type"] == "array";
        let item = if is_list { &property["items"] } else { property };
        Some(Envelope {
            body_schema: ref_name(body_ref)?.to_owned(),
            key: key.clone(),
            item_schema: ref_name(item)?.to_owned(),
            is_list,
        })
    }

    /// Follows a `$ref` to the schema it names (or returns the schema itself).
    pub(crate) fn resolve(self, schema: &'static Value) -> Option<&'static Value> {
        match ref_name(schema) {
            Some(name) => self.schema(name),
            None => Some(schema),
        }
    }
}

/// The service and item schema of the records a single-record read answers under `key`
/// (`lineItem` → Gradebook, `LineItemDType`): where a record type's JSON is specified, whichever
/// service serves it.
pub fn record_schema(key: &str) -> Option<(Service, &'static str)> {
    Service::ALL.into_iter().find_map(|service| {
        service
            .operations()
            .iter()
            .filter(|o| o.method == "GET")
            .filter_map(|o| o.envelope.as_ref())
            .find(|e| !e.is_list && e.key == key)
            .map(|e| (service, e.item_schema.as_str()))
    })
}

fn ref_name(schema: &Value) -> Option<&str> {
    schema["$ref"].as_str()?.strip_prefix("#/components/schemas/")
}

fn scopes_of(operation: &Value) -> Vec<String> {
    let mut scopes: Vec<String> = operation["security"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .flat_map(|requirement| requirement.values())
        .filter_map(Value::as_array)
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_owned))
        .collect();
    scopes.dedup();
    scopes
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    #[test]
    fn the_vendored_files_are_the_official_ones() {
        let expected = [
            (Service::Rostering, "06cafc2234ae1cdc58a2fe8ea03a8e0a5bf57d0e39830468d9adf7cc16acd26f"),
            (Service::Gradebook, "547131deef5d05b411cf49cfaea101fa91b0f9875bc45e06d48125fad3787a5f"),
            (Service::Resources, "92f9c351e774070bb8684b54251e60bc8d2496beb00f80b95ed5066081394503"),
        ];
        for (service, sha) in expected {
            let digest = Sha256::digest(service.document_text().as_bytes());
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(hex, sha, "{service:?}");
        }
    }

    #[test]
    fn operations_count_81_across_the_services() {
        let counts: Vec<usize> =
            Service::ALL.iter().map(|s| s.operations().iter().filter(|o| !o.extension).count()).collect();
        assert_eq!(counts, vec![41, 35, 5, 0]);
        for service in Service::ALL {
            for operation in service.operations() {
                assert!(!operation.scopes.is_empty(), "{}", operation.operation_id);
            }
        }
    }

    #[test]
    fn envelopes_name_the_body_key_and_record_schema() {
        let all_users = Service::Rostering.operation("getAllUsers").expect("getAllUsers");
        assert_eq!(
            all_users.envelope.clone(),
            Some(Envelope {
                body_schema: "UserSetDType".into(),
                key: "users".into(),
                item_schema: "UserDType".into(),
                is_list: true
            })
        );
        let school = Service::Rostering.operation("getSchool").expect("getSchool");
        assert_eq!(
            school.envelope.clone().map(|e| (e.body_schema, e.key)),
            Some(("SingleOrgDType".into(), "org".into()))
        );
        assert_eq!(all_users.method, "GET");
        assert!(all_users.scopes.iter().any(|s| s.ends_with("/roster-core.readonly")));
    }

    #[test]
    fn record_schemas_are_found_by_their_single_envelope_key() {
        assert_eq!(record_schema("lineItem"), Some((Service::Gradebook, "LineItemDType")));
        assert_eq!(record_schema("user"), Some((Service::Rostering, "UserDType")));
        assert_eq!(record_schema("resource"), Some((Service::Resources, "ResourceDType")));
        assert_eq!(record_schema("lineItems"), None, "a list key names no single record");
    }

    #[test]
    fn only_resources_has_an_invalid_sort_field_code() {
        assert!(!Service::Rostering.has_code_minor("invalid_sort_field"));
        assert!(Service::Resources.has_code_minor("invalid_sort_field"));
        assert!(Service::Gradebook.has_code_minor("invalid_filter_field"));
    }
}
