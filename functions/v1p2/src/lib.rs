//! OneRoster 1.2 under the pre-split base `/ims/oneroster/v1p2`, which some products document:
//! the Rostering, Gradebook and Resources routes under one head. API Gateway's path parameters
//! never match a `/`, and sourcedIds may hold one, so the base is one greedy route, and so one
//! function: this one holds the three services' route tables (their crates are shared; it
//! costs binary size, not code). Which route a path means follows the rule of
//! `oneroster_http::paths`, over the three tables together.

use axum::Router;
use oneroster_http::service::{self, Route};
use oneroster_http::Gate;
use oneroster_openapi::Service;
use oneroster_store::Store;
use std::sync::Arc;

/// The route tables served under the shared base.
pub const TABLES: [(Service, &[Route]); 3] = [
    (Service::Rostering, &rostering::ROUTES),
    (Service::Gradebook, &gradebook::ROUTES),
    (Service::Resources, &resources::ROUTES),
];

/// The shared base's router (see [`service::shared_base_router`]).
pub fn router(store: Store, gate: Arc<Gate>) -> Router {
    service::shared_base_router(&TABLES, store, gate)
}
