//! The provider's change events service: one operation, `getAllEvents` (the feed of a tenant's
//! change events after a cursor), in an OpenAPI file of its own in the official files' style
//! (`spec/provider/onerosterv1p2eventsservice_openapi3.json`), served as its discovery document
//! and behind its own extension scope. It is not one of the [`crate::Service`]s: it serves no
//! records, so none of their envelopes, fields or shapes apply.

use crate::extensions::SCOPE_PREFIX;
use serde_json::Value;
use std::sync::OnceLock;

/// The service's base path, as its OpenAPI file's `servers` give it.
pub const BASE: &str = "/ims/oneroster/events/v1p2";

/// The scope that grants the feed (short name; its URI is under [`SCOPE_PREFIX`]).
pub const SCOPE: &str = "events.readonly";

/// The most events one page holds (the file's `limit` maximum).
pub const MAX_LIMIT: usize = 1000;

/// The events on a page when the request does not say (the file's `limit` default).
pub const DEFAULT_LIMIT: usize = 100;

/// The OpenAPI file, as served under `{BASE}/discovery`.
pub fn document_text() -> &'static str {
    include_str!("../spec/provider/onerosterv1p2eventsservice_openapi3.json")
}

/// The OpenAPI file, parsed once.
pub fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| serde_json::from_str(document_text()).unwrap_or_else(|e| panic!("the events OpenAPI: {e}")))
}

/// The scope URI of the feed.
pub fn scope() -> String {
    format!("{SCOPE_PREFIX}{SCOPE}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_says_what_the_code_assumes() {
        let document = document();
        assert_eq!(document["servers"][0]["url"], BASE);
        let operation = &document["paths"]["/events"]["get"];
        assert_eq!(operation["operationId"], "getAllEvents");
        assert_eq!(operation["x-provider-extension"], true);
        assert_eq!(operation["security"][0]["OAuth2CC"], serde_json::json!([scope()]));
        let limit = operation["parameters"].as_array().and_then(|p| p.iter().find(|p| p["name"] == "limit")).unwrap();
        assert_eq!((limit["schema"]["maximum"].as_u64(), limit["schema"]["default"].as_u64()), (Some(1000), Some(100)));
        assert!(crate::extensions::SCOPES.iter().any(|(short, _)| *short == SCOPE));
    }
}
