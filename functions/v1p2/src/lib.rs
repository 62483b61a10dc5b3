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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Method;
    use oneroster_http::service::{Routes, ALIAS_BASE};

    /// Ids to try each route with: plain, with every GUID character, percent-encoded.
    const IDS: [[&str; 2]; 3] =
        [["k-1", "s-2"], ["usr/0000000@lu", "2024/MATH-101.a_b"], ["usr%2F0000000%40lu", "2024%2FMATH-101.a_b"]];

    /// `path` with its `{parameters}` replaced by `ids`, in order.
    fn filled(path: &str, ids: &[&str]) -> String {
        let mut next = ids.iter();
        path.split('/')
            .map(|segment| if segment.starts_with('{') { next.next().copied().unwrap_or_default() } else { segment })
            .collect::<Vec<_>>()
            .join("/")
    }

    #[test]
    fn every_operation_is_found_at_its_path_under_each_base_whatever_its_ids_hold() {
        let split = TABLES.iter().map(|&(service, routes)| (service.base_path(), vec![(service, routes)]));
        for (base, tables) in split.chain([(ALIAS_BASE, TABLES.to_vec())]) {
            let routes = Routes::new(base, &tables);
            for (service, table) in &tables {
                for (path, operation_id, _) in table.iter() {
                    let method = service.operation(operation_id).map_or("GET", |o| o.method.as_str());
                    let method = Method::from_bytes(method.as_bytes()).expect("a method");
                    for ids in IDS {
                        let request = format!("{base}{}", filled(path, &ids));
                        let decoded: Vec<String> = ids
                            .iter()
                            .take(path.matches('{').count())
                            .map(|id| id.replace("%2F", "/").replace("%40", "@"))
                            .collect();
                        let found = routes.operation(&method, &request).map_err(|e| e.to_string());
                        assert_eq!(found, Ok((*operation_id, decoded)), "{method} {request}");
                    }
                }
            }
        }
    }

    #[test]
    fn head_is_get_and_other_methods_are_named() {
        let routes = Routes::new(ALIAS_BASE, &TABLES);
        let found = routes.operation(&Method::HEAD, "/ims/oneroster/v1p2/users/usr/1").map_err(|e| e.to_string());
        assert_eq!(found, Ok(("getUser", vec!["usr/1".to_owned()])));
        let refused = routes.operation(&Method::PATCH, "/ims/oneroster/v1p2/lineItems/li-1").map_err(|e| e.to_string());
        assert_eq!(refused, Err("PATCH is not an operation of this path; it answers GET, PUT, DELETE".to_owned()));
        let missing = routes.operation(&Method::GET, "/ims/oneroster/v1p2/nothing").map_err(|e| e.to_string());
        assert_eq!(missing, Err("no such endpoint: /ims/oneroster/v1p2/nothing".to_owned()));
    }
}
