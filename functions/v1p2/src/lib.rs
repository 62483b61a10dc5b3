//! The shared bases, each carrying the Rostering, Gradebook and Resources routes under one
//! head: OneRoster 1.2 under the pre-split base `/ims/oneroster/v1p2`, which some products
//! document, and OneRoster 1.1 under its one base `/ims/oneroster/v1p1` (the operations 1.1
//! has, from the same records, viewed as 1.1 has them). API Gateway's path parameters never
//! match a `/`, and sourcedIds may hold one, so each base is one greedy route; one function
//! holds the three services' route tables (their crates are shared; it costs binary size, not
//! code). Which route a path means follows the rule of `oneroster_http::paths`, over the three
//! tables together.

use axum::Router;
use oneroster_http::service::{self, Route, ALIAS_BASE, V1P1_BASE};
use oneroster_http::Gate;
use oneroster_openapi::{Service, Version};
use oneroster_store::Store;
use std::sync::Arc;

/// The route tables served under the shared base.
pub const TABLES: [(Service, &[Route]); 3] = [
    (Service::Rostering, &rostering::ROUTES),
    (Service::Gradebook, &gradebook::ROUTES),
    (Service::Resources, &resources::ROUTES),
];

/// The shared bases' router (see [`service::shared_base_router`]).
pub fn router(store: Store, gate: Arc<Gate>) -> Router {
    service::shared_base_router(&TABLES, store, gate)
}

/// Every method and path the shared bases serve (for the check that the template routes them).
pub fn served() -> Vec<(&'static str, String)> {
    let mut served = service::served(Version::V1p2, ALIAS_BASE, &TABLES);
    served.extend(service::served(Version::V1p1, V1P1_BASE, &TABLES));
    served
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Method;
    use oneroster_http::service::Routes;

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
        let split =
            TABLES.iter().map(|&(service, routes)| (Version::V1p2, service.base_path(), vec![(service, routes)]));
        let shared = [(Version::V1p2, ALIAS_BASE, TABLES.to_vec()), (Version::V1p1, V1P1_BASE, TABLES.to_vec())];
        for (version, base, tables) in split.chain(shared) {
            let routes = Routes::new(version, base, &tables);
            for (service, table) in &tables {
                let in_version =
                    |id: &str| version == Version::V1p2 || oneroster_openapi::v1p1::has_operation(*service, id);
                for (path, operation_id, _) in table.iter().filter(|(_, id, _)| in_version(id)) {
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
        let routes = Routes::new(Version::V1p2, ALIAS_BASE, &TABLES);
        let found = routes.operation(&Method::HEAD, "/ims/oneroster/v1p2/users/usr/1").map_err(|e| e.to_string());
        assert_eq!(found, Ok(("getUser", vec!["usr/1".to_owned()])));
        let refused = routes.operation(&Method::PATCH, "/ims/oneroster/v1p2/lineItems/li-1").map_err(|e| e.to_string());
        assert_eq!(refused, Err("PATCH is not an operation of this path; it answers GET, PUT, DELETE".to_owned()));
        let missing = routes.operation(&Method::GET, "/ims/oneroster/v1p2/nothing").map_err(|e| e.to_string());
        assert_eq!(missing, Err("no such endpoint: /ims/oneroster/v1p2/nothing".to_owned()));
    }

    #[test]
    fn one_point_one_serves_the_operations_it_has_and_no_others() {
        let routes = Routes::new(Version::V1p1, V1P1_BASE, &TABLES);
        let found =
            |method: Method, path: &str| routes.operation(&method, path).map(|(id, _)| id).map_err(|e| e.to_string());
        assert_eq!(found(Method::GET, "/ims/oneroster/v1p1/classes/k/categories"), Ok("getCategoriesForClass"));
        assert_eq!(found(Method::PUT, "/ims/oneroster/v1p1/lineItems/li/1"), Ok("putLineItem"));
        assert_eq!(
            found(Method::POST, "/ims/oneroster/v1p1/classes/k/lineItems"),
            Err("POST is not an operation of this path; it answers GET".to_owned()),
            "1.1 has no POST"
        );
        for missing in ["/ims/oneroster/v1p1/scoreScales", "/ims/oneroster/v1p1/assessmentResults"] {
            assert_eq!(found(Method::GET, missing), Err(format!("no such endpoint: {missing}")), "1.2 only");
        }
        // getResourcesForUser is 1.2's: in 1.1 the path is a user whose id holds a `/`.
        assert_eq!(found(Method::GET, "/ims/oneroster/v1p1/users/u/resources"), Ok("getUser"));
        // 1.2's operations and the provider's extensions under the pre-split base; 1.1's.
        assert_eq!(served().len(), 81 + 45 + 41 + 17 + 4);
    }
}
