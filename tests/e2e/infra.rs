//! The SAM template and the code agree on routing: every operation a function serves reaches
//! that function through the HTTP API, as API Gateway chooses routes, also when its ids hold
//! `/` (API Gateway hands the path over decoded, and a path parameter never matches a `/`, so
//! the services sit behind greedy routes); and every route of the template leads to a function
//! that serves something there.

use oneroster_http::service::served;
use oneroster_openapi::{Service, Version};
use std::collections::BTreeMap;

const TEMPLATE: &str = include_str!("../../infra/template.yaml");

/// Ids the operations are tried with: plain, and with the binding's GUID characters (`/`
/// among them), as the decoded path carries them.
const IDS: [&str; 3] = ["k-1", "usr/0000000@lu", "2024/MATH-101.a_b"];

/// What the code serves (method, path with `{p0}`-style ids), by the template's logical id of
/// the function serving it.
fn served_by_code() -> BTreeMap<&'static str, Vec<(&'static str, String)>> {
    let own = |service: Service, routes| served(Version::V1p2, service.base_path(), &[(service, routes)]);
    BTreeMap::from([
        ("AuthFunction", auth::served()),
        ("RosteringFunction", rostering::served()),
        ("ResourcesFunction", own(Service::Resources, &resources::ROUTES)),
        ("GradebookFunction", own(Service::Gradebook, &gradebook::ROUTES)),
        ("V1p2Function", v1p2::served()),
    ])
}

/// One `HttpApi` event of the template.
#[derive(Debug, Clone)]
struct ApiRoute {
    function: String,
    method: String,
    path: String,
}

/// Every `HttpApi` event of every function.
fn routed_by_template(template: &str) -> Vec<ApiRoute> {
    let template: yaml_serde::Value = yaml_serde::from_str(template).expect("the template is YAML");
    let mut routes = Vec::new();
    for (id, resource) in template["Resources"].as_mapping().expect("resources") {
        let events = resource["Properties"]["Events"].as_mapping().into_iter().flatten();
        for (_, event) in events.filter(|(_, e)| e["Type"].as_str() == Some("HttpApi")) {
            let properties = &event["Properties"];
            routes.push(ApiRoute {
                function: id.as_str().unwrap_or_default().to_owned(),
                method: properties["Method"].as_str().unwrap_or_default().to_uppercase(),
                path: properties["Path"].as_str().unwrap_or_default().to_owned(),
            });
        }
    }
    routes
}

/// How specifically a route matches a (decoded) path, `None` if it does not: API Gateway
/// prefers a route without a greedy variable, then more fixed segments, then a route of the
/// method over `ANY`.
fn specificity(route: &ApiRoute, method: &str, path: &str) -> Option<(bool, usize, bool)> {
    if route.method != "ANY" && route.method != method {
        return None;
    }
    let wanted: Vec<&str> = route.path.trim_start_matches('/').split('/').collect();
    let given: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let greedy = wanted.last().is_some_and(|last| last.ends_with("+}"));
    let fixed = if greedy { wanted.len() - 1 } else { wanted.len() };
    if given.len() < wanted.len() || (!greedy && given.len() != wanted.len()) {
        return None;
    }
    for (want, give) in wanted[..fixed].iter().zip(&given) {
        let variable = want.starts_with('{');
        if give.is_empty() || (!variable && want != give) {
            return None;
        }
    }
    let literals = wanted[..fixed].iter().filter(|w| !w.starts_with('{')).count();
    Some((!greedy, literals, route.method != "ANY"))
}

/// The function API Gateway hands `method path` to.
fn route_of<'r>(routes: &'r [ApiRoute], method: &str, path: &str) -> Option<&'r ApiRoute> {
    routes.iter().filter_map(|r| Some((specificity(r, method, path)?, r))).max_by_key(|(rank, _)| *rank).map(|(_, r)| r)
}

/// The differences between what the code serves and where the template routes it.
fn drift(template: &str) -> Vec<String> {
    let routes = routed_by_template(template);
    let code = served_by_code();
    let mut drift = Vec::new();
    let mut used = vec![false; routes.len()];
    for (function, operations) in &code {
        for (method, path) in operations {
            for id in IDS {
                let path = path.replace("{p0}", id).replace("{p1}", id);
                match route_of(&routes, method, &path) {
                    Some(route) if route.function == *function => {
                        if let Some(i) = routes.iter().position(|r| std::ptr::eq(r, route)) {
                            used[i] = true;
                        }
                    }
                    Some(route) => drift.push(format!("{method} {path} reaches {}, not {function}", route.function)),
                    None => {
                        drift.push(format!("{function} serves {method} {path}, which no route of the template reaches"))
                    }
                }
            }
        }
    }
    for (route, used) in routes.iter().zip(used) {
        if !code.contains_key(route.function.as_str()) {
            drift.push(format!("the template routes paths to {}, which serves no HTTP route", route.function));
        } else if !used {
            drift.push(format!(
                "the template routes {} {} to {}, which serves nothing there",
                route.method, route.path, route.function
            ));
        }
    }
    drift.sort();
    drift.dedup();
    drift
}

#[test]
fn every_served_operation_reaches_its_function_and_every_route_leads_somewhere() {
    assert_eq!(drift(TEMPLATE), Vec::<String>::new());
}

#[test]
fn api_gateway_prefers_fixed_routes_then_more_fixed_segments_then_the_method() {
    let route = |method: &str, path: &str| ApiRoute {
        function: path.to_owned(),
        method: method.to_owned(),
        path: path.to_owned(),
    };
    let routes =
        [route("ANY", "/a/{proxy+}"), route("GET", "/a/{p0}"), route("GET", "/a/b"), route("ANY", "/a/b/{proxy+}")];
    let chosen = |method, path| route_of(&routes, method, path).map(|r| r.path.as_str());
    assert_eq!(chosen("GET", "/a/b"), Some("/a/b"));
    assert_eq!(chosen("GET", "/a/c"), Some("/a/{p0}"));
    assert_eq!(chosen("PUT", "/a/c"), Some("/a/{proxy+}"));
    assert_eq!(chosen("GET", "/a/b/c/d"), Some("/a/b/{proxy+}"));
    assert_eq!(chosen("GET", "/a/usr/1/x"), Some("/a/{proxy+}"), "a path parameter never matches a `/`");
    assert_eq!(chosen("GET", "/z"), None);
}

#[test]
fn the_drift_check_notices_unrouted_misrouted_and_dead_routes() {
    // Path parameters instead of the greedy route: ids with `/` no longer reach the function.
    let one_segment = TEMPLATE.replacen(
        "Path: \"/ims/oneroster/rostering/v1p2/{proxy+}\"",
        "Path: \"/ims/oneroster/rostering/v1p2/teachers/{p0}/classes\"",
        1,
    );
    assert_ne!(one_segment, TEMPLATE, "the template routes the rostering base");
    let found = drift(&one_segment);
    let unrouted = "serves GET /ims/oneroster/rostering/v1p2/teachers/usr/0000000@lu/classes, which no route";
    assert!(found.iter().any(|d| d.contains(unrouted)), "{found:#?}");
    assert!(!found.iter().any(|d| d.contains("teachers/k-1/classes")), "a plain id still reaches it: {found:#?}");

    // The shared base sent to the gradebook, which serves only its own base.
    let misrouted = TEMPLATE
        .replacen("Path: \"/ims/oneroster/v1p2/{proxy+}\"", "Path: \"/ims/oneroster/v1p2/spare/{proxy+}\"", 1)
        .replacen("Method: POST, Path: \"/oauth/token\"", "Method: POST, Path: \"/ims/oneroster/v1p2/{proxy+}\"", 1);
    let found = drift(&misrouted);
    assert!(
        found.iter().any(
            |d| d.contains("POST /ims/oneroster/v1p2/classes/k-1/lineItems reaches AuthFunction, not V1p2Function")
        ),
        "{found:#?}"
    );
    assert!(found.iter().any(|d| d.contains("AuthFunction serves POST /oauth/token, which no route")), "{found:#?}");
    assert!(
        found
            .iter()
            .any(|d| d.contains("routes ANY /ims/oneroster/v1p2/spare/{proxy+} to V1p2Function, which serves nothing")),
        "{found:#?}"
    );
}

/// Every API function holds the write policy exactly when its route tables write (the
/// rostering and resources services do since their extension writes), and no function that
/// only reads may put, update or delete anything but the gate's nonces.
#[test]
fn only_the_functions_that_write_may_write_records() {
    use oneroster_service::Action;
    let template: yaml_serde::Value = yaml_serde::from_str(TEMPLATE).expect("the template is YAML");
    let writes =
        |routes: &[oneroster_http::service::Route]| routes.iter().any(|(_, _, a)| matches!(a, Action::Write(_)));
    let functions = [
        ("RosteringFunction", writes(&rostering::ROUTES)),
        ("ResourcesFunction", writes(&resources::ROUTES)),
        ("GradebookFunction", writes(&gradebook::ROUTES)),
        ("V1p2Function", writes(&rostering::ROUTES) || writes(&gradebook::ROUTES) || writes(&resources::ROUTES)),
    ];
    assert!(functions.iter().all(|(_, writes)| *writes), "every API service writes since the extensions");
    for (function, writes) in functions {
        let policies = crate::hostile_auth::strings(&template["Resources"][function]["Properties"]["Policies"]);
        assert_eq!(policies.iter().any(|p| p == "!Ref WriteRecordsPolicy"), writes, "{function}: {policies:?}");
        let record_writes: Vec<String> = crate::hostile_auth::statements(&template, function)
            .into_iter()
            .filter(|s| s["Effect"].as_str() == Some("Allow"))
            .flat_map(|s| crate::hostile_auth::strings(&s["Action"]))
            .filter(|a| {
                a.starts_with("dynamodb:")
                    && !["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"].contains(&a.as_str())
            })
            .collect();
        // One record at a time, in transactions: no batch writes, no scans.
        for action in &record_writes {
            assert!(
                ["dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"]
                    .contains(&action.as_str()),
                "{function} may {action}"
            );
        }
    }
}
