//! The SAM template and the code agree: every route a function serves is routed to that
//! function by the HTTP API, and every routed path is served by the function it is routed to.

use oneroster_http::service::served;
use oneroster_openapi::Service;
use std::collections::{BTreeMap, BTreeSet};

const TEMPLATE: &str = include_str!("../../infra/template.yaml");

type Routes = BTreeSet<(String, String)>;

/// What the code serves, by the template's logical id of the function serving it.
fn served_by_code() -> BTreeMap<&'static str, Routes> {
    let set = |routes: Vec<(&'static str, String)>| routes.into_iter().map(|(m, p)| (m.to_owned(), p)).collect();
    BTreeMap::from([
        ("AuthFunction", set(auth::served())),
        ("RosteringFunction", set(served(Service::Rostering, &rostering::ROUTES))),
        ("ResourcesFunction", set(served(Service::Resources, &resources::ROUTES))),
        ("GradebookFunction", set(served(Service::Gradebook, &gradebook::ROUTES))),
    ])
}

/// What the template routes, by function: the `HttpApi` events of each function.
fn routed_by_template(template: &str) -> BTreeMap<String, Routes> {
    let template: yaml_serde::Value = yaml_serde::from_str(template).expect("the template is YAML");
    let mut routed: BTreeMap<String, Routes> = BTreeMap::new();
    for (id, resource) in template["Resources"].as_mapping().expect("resources") {
        let events = resource["Properties"]["Events"].as_mapping().into_iter().flatten();
        for (_, event) in events.filter(|(_, e)| e["Type"].as_str() == Some("HttpApi")) {
            let properties = &event["Properties"];
            let method = properties["Method"].as_str().unwrap_or_default().to_uppercase();
            let path = properties["Path"].as_str().unwrap_or_default().to_owned();
            routed.entry(id.as_str().unwrap_or_default().to_owned()).or_default().insert((method, path));
        }
    }
    routed
}

/// The differences, each as the line of template that would fix it where a route is missing.
fn drift(template: &str) -> Vec<String> {
    let routed = routed_by_template(template);
    let mut drift = Vec::new();
    for (function, code) in served_by_code() {
        let template = routed.get(function).cloned().unwrap_or_default();
        for (method, path) in code.difference(&template) {
            drift.push(format!("{function} serves {method} {path}, which the template does not route to it"));
        }
        for (method, path) in template.difference(&code) {
            drift.push(format!("the template routes {method} {path} to {function}, which does not serve it"));
        }
    }
    for function in routed.keys().filter(|f| !served_by_code().contains_key(f.as_str())) {
        drift.push(format!("the template routes paths to {function}, which serves no HTTP route"));
    }
    drift
}

#[test]
fn every_served_route_is_routed_to_its_function_and_every_routed_path_is_served() {
    assert_eq!(drift(TEMPLATE), Vec::<String>::new());
}

#[test]
fn the_drift_check_notices_a_missing_a_misrouted_and_an_extra_route() {
    let alias_users = "/ims/oneroster/v1p2/users";
    let broken = TEMPLATE
        .replacen(&format!("Path: \"{alias_users}\""), &format!("Path: \"{alias_users}/extra\""), 1)
        .replacen("Path: \"/.well-known/jwks.json\"", "Path: \"/.well-known/keys.json\"", 1);
    assert_ne!(broken, TEMPLATE, "the template routes both paths");
    let drift = drift(&broken);
    assert!(drift.iter().any(|d| d.contains(&format!("serves GET {alias_users},"))), "{drift:#?}");
    assert!(drift.iter().any(|d| d.contains(&format!("routes GET {alias_users}/extra"))), "{drift:#?}");
    assert!(drift.iter().any(|d| d.contains("serves GET /.well-known/jwks.json")), "{drift:#?}");
}
