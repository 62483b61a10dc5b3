//! An operation as the handlers serve it: read once from the OpenAPI file, so the envelope
//! key (`users`, `user`), the fields a query may name and where its records hold references
//! are the contract's, not retyped.

use crate::render::Rendering;
use oneroster_openapi::{Envelope, Service, Version};
use oneroster_query::RecordFields;

/// A read operation of a service, in one version.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The operationId.
    pub operation_id: String,
    /// The success body's shape.
    pub envelope: Envelope,
    /// The version it is served in.
    pub version: Version,
    /// The fields of its records (what `filter`, `sort` and `fields` may name).
    pub fields: RecordFields,
    /// The scopes of which any one grants it.
    pub scopes: Vec<String>,
    /// How its records are rendered (their references' `href`s).
    pub rendering: Rendering,
}

impl Endpoint {
    /// The endpoint of `operation_id` in `version`. Panics if the OpenAPI file has no such read
    /// operation: route tables are fixed at build time and a test builds every one.
    pub fn new(version: Version, service: Service, operation_id: &str) -> Self {
        let operation = service.operation(operation_id).unwrap_or_else(|| panic!("no operation {operation_id}"));
        let envelope = operation.envelope.clone().unwrap_or_else(|| panic!("{operation_id} returns no records"));
        let fields = RecordFields::of(version, service, &envelope.item_schema)
            .unwrap_or_else(|| panic!("no schema {} for {operation_id}", envelope.item_schema));
        let rendering = Rendering::of(version, service, &envelope.item_schema)
            .unwrap_or_else(|| panic!("no schema {} for {operation_id}", envelope.item_schema));
        let operation_id = operation_id.to_owned();
        Self { operation_id, envelope, version, fields, scopes: operation.scopes.clone(), rendering }
    }
}
