//! Hostile and broken requests, to every route: each is answered with its 4xx as an
//! `imsx_StatusInfo` (no store or SDK text in it) before anything is read, never a 500; no
//! answer's header grows with the request; links and `href`s name the deployment, never a
//! header the client sent; a record too large to store is refused whole (422), a POSTed set is
//! stored whole or not at all; scans and sorts page as a full sort would, in bounded memory, and
//! a read past its budget is answered 503 with a body. Through the routers (all 81 operations,
//! under their own base and the shared one) and, for a sample, through the Lambda handler fed
//! the events API Gateway sends.

use crate::lambda_events::{district, invoke, Call, GRADEBOOK, ROSTERING, SHARED};
use e2e::{assert_refused, guid_district, ingest, loaded, stack_with, tenant, Api, HOST};
use oneroster_http::service::{Route, ALIAS_BASE, MAX_REQUEST_BODY_BYTES};
use oneroster_http::serving::Serving;
use oneroster_query::{MAX_CURSOR_BYTES, MAX_OFFSET, MAX_QUERY_BYTES, MAX_SORTED_OFFSET, MAX_SORT_BYTES};
use oneroster_service::{Action, Read, Write};
use oneroster_store::{JobState, MAX_ITEM_BYTES};
use serde_json::{json, Value};
use std::time::Duration;

/// One operation as a client reaches it: its base, OpenAPI path, method and what it serves.
struct Operation {
    base: &'static str,
    path: &'static str,
    operation_id: &'static str,
    method: String,
    target: Action,
}

/// The 81 operations and the provider's 45 extensions under their services' bases, and again
/// under the shared base.
fn operations() -> Vec<Operation> {
    let mut all = Vec::new();
    for (service, routes) in v1p2::TABLES {
        let routes: &[Route] = routes;
        for base in [service.base_path(), ALIAS_BASE] {
            for &(path, id, target) in routes {
                let method = service.operation(id).map_or("GET".to_owned(), |o| o.method.clone());
                all.push(Operation { base, path, operation_id: id, method, target });
            }
        }
    }
    assert_eq!(all.len(), 252, "126 operations under two bases each");
    all
}

impl Operation {
    /// How many ids the path holds.
    fn ids(&self) -> usize {
        self.path.matches('{').count()
    }

    /// The path with `ids` in place of its parameters, in order (others: a plain id).
    fn url(&self, ids: &[&str]) -> String {
        let mut ids = ids.iter();
        let path: Vec<String> = self
            .path
            .split('/')
            .map(|s| if s.starts_with('{') { ids.next().copied().unwrap_or("k-1").to_owned() } else { s.to_owned() })
            .collect();
        format!("{}{}", self.base, path.join("/"))
    }

    fn what(&self) -> String {
        format!("{} ({} {}{})", self.operation_id, self.method, self.base, self.path)
    }

    fn is_list(&self) -> bool {
        self.method == "GET" && !matches!(self.target, Action::Read(Read::One(..)))
    }

    /// Sends the operation's method to `target`, with a small body where it takes one.
    async fn send(&self, api: &Api, target: &str) -> e2e::Reply {
        match self.method.as_str() {
            "GET" => api.get(target).await,
            "DELETE" => api.delete(target).await,
            method => api.send_json(method, target, "{}").await,
        }
    }
}

/// The GUID district loaded, and a client of it whose gate trusts a checked client for a minute
/// (the probes below are many).
async fn guid_api(name: &str) -> (local_server::LocalStack, Api) {
    let stack = stack_with(Duration::from_secs(60)).await;
    let t = tenant(name);
    let job = ingest(&stack, &t, "bulk.zip", guid_district::zip()).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);
    let api = Api::writer(&stack, &t).await;
    (stack, api)
}

#[tokio::test]
async fn every_route_answers_hostile_input_with_its_4xx_as_imsx() {
    let (_stack, api) = guid_api("hostile-routes").await;
    let too_long = "a".repeat(1100);
    let too_long_query = format!("filter={}", "a".repeat(MAX_QUERY_BYTES));
    let big_body = vec![b' '; MAX_REQUEST_BODY_BYTES + 1];
    for op in operations() {
        // An id past the GUID rule (past 1,024 bytes, or a character outside it): no record
        // can have it (404); a PUT would create it, so it is told the rule (422), but for the
        // PUT of a resource link, whose ids name records that must exist.
        for position in 0..op.ids() {
            for bad in [too_long.as_str(), "a%20b", "x%23y", "%C3%A9t%C3%A9"] {
                let mut ids = vec!["k-1"; op.ids()];
                ids[position] = bad;
                let reply = op.send(&api, &op.url(&ids)).await;
                let status = if matches!(op.target, Action::Write(Write::Put(..))) { 422 } else { 404 };
                assert_refused(
                    &reply,
                    status,
                    &format!("{} with id {position} '{}'", op.what(), &bad[..3.min(bad.len())]),
                );
                assert!(reply.raw.len() < 2000, "{}: the id is not echoed whole", op.what());
            }
        }
        let url = op.url(&[]);
        // A query string past its documented length: 400 naming it, on every route.
        let reply = op.send(&api, &format!("{url}?{too_long_query}")).await;
        assert_refused(&reply, 400, &format!("{}: long query", op.what()));
        assert!(reply.body["imsx_description"].as_str().unwrap_or_default().contains(&MAX_QUERY_BYTES.to_string()));
        // A body over the documented size: 413 as imsx_StatusInfo.
        if matches!(op.method.as_str(), "PUT" | "POST") {
            let reply = api.send_bytes(&op.method, &url, big_body.clone()).await;
            assert_refused(&reply, 413, &format!("{}: big body", op.what()));
        }
        let fields = format!("fields={}", vec!["sourcedId"; 60].join(","));
        if op.method == "GET" {
            let reply = api.get(&format!("{url}?{fields}")).await;
            assert_refused(&reply, 400, &format!("{}: more fields than the record has", op.what()));
            assert_eq!(reply.code_minor(), "invalid_selection_field");
        }
        if !op.is_list() {
            continue;
        }
        let predicates = vec!["sourcedId='x'"; 33].join(" OR ");
        for (query, limit) in [
            (format!("cursor={}", "9".repeat(MAX_CURSOR_BYTES + 1)), MAX_CURSOR_BYTES.to_string()),
            (format!("cursor=1~0.{}", "a".repeat(300)), "Link".to_owned()),
            ("cursor=1~99.x".to_owned(), "Link".to_owned()),
            ("cursor=1~0.2024-01-01T00:00:00.000Z%23x".to_owned(), "Link".to_owned()),
            (format!("sort={}", "a".repeat(MAX_SORT_BYTES + 1)), MAX_SORT_BYTES.to_string()),
            (format!("filter={}", predicates.replace(' ', "%20")), "32".to_owned()),
            (format!("offset={}", MAX_OFFSET + 1), MAX_OFFSET.to_string()),
            (format!("sort=sourcedId&offset={}", MAX_SORTED_OFFSET + 1), MAX_SORTED_OFFSET.to_string()),
            ("limit=99999999999999999999999".to_owned(), "whole number".to_owned()),
        ] {
            let reply = api.get(&format!("{url}?{query}")).await;
            let what = format!("{}: {}", op.what(), &query[..query.len().min(40)]);
            assert_refused(&reply, 400, &what);
            let description = reply.body["imsx_description"].as_str().unwrap_or_default();
            assert!(description.contains(&limit), "{what}: {description}");
        }
        // The longest query taken: the Link header repeats it, and stays bounded.
        let longest = format!("filter=sourcedId~'{}'", "a".repeat(MAX_QUERY_BYTES - 20));
        let reply = api.get(&format!("{url}?{longest}")).await;
        assert!(matches!(reply.status, 200 | 404), "{}: {}", op.what(), reply.body);
        if let Some(link) = reply.headers.get("link") {
            assert!(link.len() < 4 * (MAX_QUERY_BYTES + 1000), "{}: Link is {} bytes", op.what(), link.len());
        }
    }
}

#[tokio::test]
async fn links_and_hrefs_name_the_deployment_never_a_forged_host() {
    let (_stack, api) = guid_api("hostile-links").await;
    let forged = [("x-forwarded-proto", "javascript"), ("x-forwarded-host", "evil.example")];
    let class = guid_district::CLASS;
    for target in [
        format!("{ROSTERING}/classes?limit=1"),
        format!("{ROSTERING}/classes/{class}"),
        format!("{SHARED}/teachers/{}/classes", guid_district::TEACHER),
        format!("{GRADEBOOK}/classes/{class}/lineItems"),
    ] {
        let reply = api.get_forged(&target, "evil.example", &forged).await;
        assert_eq!(reply.status, 200, "{target}: {}", reply.body);
        let text = format!("{:?} {}", reply.headers, String::from_utf8_lossy(&reply.raw));
        assert!(!text.contains("evil") && !text.contains("javascript"), "{target}: {text}");
        let hrefs: Vec<&str> = text.match_indices("\"href\":\"").map(|(at, _)| &text[at + 8..at + 30]).collect();
        assert!(hrefs.iter().all(|href| href.starts_with(&format!("http://{HOST}/"))), "{target}: {hrefs:?}");
        if let Some(link) = reply.link("first") {
            assert!(link.starts_with(&format!("http://{HOST}/")), "{link}");
        }
    }
}

#[tokio::test]
async fn hostile_requests_through_the_lambda_handler() {
    let (functions, token) = district("hostile-lambda").await;
    let token = Some(token.as_str());
    let check = |answer: &crate::lambda_events::Answer, status: u16, what: &str| {
        assert_eq!(answer.status, status, "{what}: {}", answer.body);
        assert_eq!(answer.body["imsx_codeMajor"], "failure", "{what}: {}", answer.body);
        let text = answer.body.to_string();
        for internal in e2e::INTERNAL_TEXT {
            assert!(!text.contains(internal), "{what}: {text}");
        }
        for (name, value) in answer.event["headers"].as_object().into_iter().flatten() {
            assert!(value.to_string().len() < 24_000, "{what}: {name}");
        }
    };
    // A sourcedId past 1,024 bytes in a path: 404, no read.
    let target = format!("{ROSTERING}/users/{}", "u".repeat(2000));
    check(&invoke(functions.rostering(), &Call::new("GET", ROSTERING, &target, token)).await, 404, "long id");
    let target = format!("{GRADEBOOK}/results/{}", "r".repeat(2000));
    check(&invoke(functions.gradebook(), &Call::new("DELETE", GRADEBOOK, &target, token)).await, 404, "delete");
    // A query string past its length; a cursor forged.
    let target = format!("{ROSTERING}/users?fields={}", vec!["sourcedId"; 500].join(","));
    check(&invoke(functions.rostering(), &Call::new("GET", ROSTERING, &target, token)).await, 400, "query");
    let target = format!("{SHARED}/users?cursor=1~0.{}", "u".repeat(900));
    check(&invoke(functions.shared_base(), &Call::new("GET", SHARED, &target, token)).await, 400, "cursor");
    // A body past 2 MB, base64 as API Gateway sends it: 413.
    let target = format!("{GRADEBOOK}/lineItems/li-big");
    let mut put = Call::new("PUT", GRADEBOOK, &target, token);
    put.body = Some((vec![b'x'; MAX_REQUEST_BODY_BYTES + 10], "application/json", true));
    check(&invoke(functions.gradebook(), &put).await, 413, "big body");
    // A record too large to store: 422, nothing stored.
    let body = line_item(&"t".repeat(600_000));
    let put = Call::new("PUT", GRADEBOOK, &target, token).json(&body, true);
    let answer = invoke(functions.gradebook(), &put).await;
    check(&answer, 422, "record too large");
    assert!(answer.body["imsx_description"].as_str().unwrap_or_default().contains("record too large"));
    let get = invoke(functions.gradebook(), &Call::new("GET", GRADEBOOK, &target, token)).await;
    assert_eq!(get.status, 404);
    // Forged Host and X-Forwarded-Proto: links and hrefs name requestContext.domainName, or the
    // stack parameter's domain when the function has one.
    let target = format!("{ROSTERING}/classes?limit=1");
    let call = Call::new("GET", ROSTERING, &target, token);
    let mut event = call.event();
    event["headers"]["host"] = json!("evil.example");
    event["headers"]["x-forwarded-proto"] = json!("javascript");
    let domain = event["requestContext"]["domainName"].as_str().unwrap_or_default().to_owned();
    for (router, origin) in [
        (functions.rostering(), format!("https://{domain}")),
        (Serving::at("https://api.example.org").serve(functions.rostering()), "https://api.example.org".to_owned()),
    ] {
        let answer = invoke_event(router, event.clone()).await;
        assert_eq!(answer.0, 200, "{}", answer.1);
        let link = answer.2["link"].as_str().unwrap_or_default();
        assert!(link.starts_with(&format!("<{origin}/ims/oneroster/")), "{link}");
        let href = answer.1["classes"][0]["course"]["href"].as_str().unwrap_or_default();
        assert!(href.starts_with(&format!("{origin}/ims/oneroster/")), "{href}");
        assert!(!format!("{} {}", answer.1, answer.2).contains("evil"));
    }
    // A read past its budget: 503 with a body, not a timeout.
    let target = format!("{ROSTERING}/users?sort=familyName");
    let slow = Serving::behind_api_gateway().with_read_budget(Duration::from_nanos(1)).serve(functions.rostering());
    let answer = invoke(slow, &Call::new("GET", ROSTERING, &target, token)).await;
    check(&answer, 503, "over budget");
    assert_eq!(answer.body["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"], "server_busy");
}

/// Runs `router` as its Lambda does on a raw event: status, body, headers.
async fn invoke_event(router: axum::Router, event: Value) -> (u16, Value, Value) {
    use tower::ServiceExt;
    let request: lambda_http::request::LambdaRequest = serde_json::from_value(event).expect("an event");
    let invocation = lambda_http::LambdaEvent::new(request, lambda_http::Context::default());
    let answer = oneroster_http::lambda::handler(router).oneshot(invocation).await.expect("an answer");
    let event = serde_json::to_value(&answer).expect("JSON");
    let body = serde_json::from_str(event["body"].as_str().unwrap_or_default()).unwrap_or(Value::Null);
    (event["statusCode"].as_u64().unwrap_or_default() as u16, body, event["headers"].clone())
}

/// A line item of the GUID district's class, with `title`.
fn line_item(title: &str) -> Value {
    json!({"lineItem": {
        "title": title, "assignDate": "2026-12-01", "dueDate": "2026-12-08",
        "class": {"sourcedId": guid_district::CLASS}, "school": {"sourcedId": guid_district::SCHOOL},
        "category": {"sourcedId": guid_district::CATEGORY}
    }})
}

/// A result of the GUID district's line item for its first student, with `comment`.
fn result(id: &str, comment: &str) -> Value {
    json!({
        "sourcedId": id, "lineItem": {"sourcedId": guid_district::SIS_LINE_ITEM},
        "student": {"sourcedId": guid_district::STUDENTS[0]}, "scoreStatus": "fully graded",
        "scoreDate": "2026-12-09", "score": 7.5, "comment": comment
    })
}

#[tokio::test]
async fn a_record_too_large_to_store_is_refused_whole_and_nothing_is_stored() {
    let (_stack, api) = guid_api("hostile-large").await;
    let huge = "x".repeat(600_000);
    let class = json!({"sourcedId": guid_district::CLASS});
    for (path, body) in [
        ("/lineItems/li-huge", line_item(&huge)),
        ("/results/r-huge", json!({"result": result("r-huge", &huge)})),
        ("/categories/c-huge", json!({"category": {"title": huge}})),
        (
            "/scoreScales/s-huge",
            json!({"scoreScale": {"title": huge, "type": "letter", "class": class,
                "scoreScaleValue": [{"itemValueLHS": "A", "itemValueRHS": "90"}]}}),
        ),
        ("/assessmentLineItems/a-huge", json!({"assessmentLineItem": {"title": huge}})),
    ] {
        let target = format!("{GRADEBOOK}{path}");
        let reply = api.send_json("PUT", &target, &body.to_string()).await;
        assert_refused(&reply, 422, path);
        let description = reply.body["imsx_description"].as_str().unwrap_or_default();
        assert!(description.contains("record too large") && description.contains(&MAX_ITEM_BYTES.to_string()));
        assert_eq!(api.get(&target).await.status, 404, "{path}: nothing stored");
    }
    // Just under the limit, once the relation entries carry a copy: stored and listed.
    let fits = "y".repeat(300_000);
    let reply = api.send_json("PUT", &format!("{GRADEBOOK}/lineItems/li-fits"), &line_item(&fits).to_string()).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let listed = api.get(&format!("{GRADEBOOK}/classes/{}/lineItems?fields=sourcedId", guid_district::CLASS)).await;
    assert!(listed.ids("lineItems").contains(&"li-fits".to_owned()));
}

#[tokio::test]
async fn a_posted_set_is_stored_whole_or_not_at_all() {
    let (_stack, api) = guid_api("hostile-post").await;
    let post = |records: Vec<Value>| {
        let api = api.clone();
        let target = format!("{GRADEBOOK}/lineItems/{}/results", guid_district::SIS_LINE_ITEM);
        async move { api.send_json("POST", &target, &json!({"results": records}).to_string()).await }
    };
    let stored = |id: String| {
        let api = api.clone();
        async move { api.get(&format!("{GRADEBOOK}/results/{id}")).await.status == 200 }
    };
    let class_results = format!("{GRADEBOOK}/classes/{}/results?limit=1", guid_district::CLASS);
    let before = api.get(&class_results).await.total_count();

    // The last record fails as it is written (too large to store): none is stored.
    let set = vec![result("p-1", ""), result("p-2", "fine"), result("p-3", &"z".repeat(600_000))];
    let reply = post(set).await;
    assert_refused(&reply, 422, "a set whose last record is too large");
    assert!(reply.body["imsx_description"].as_str().unwrap_or_default().starts_with("results[2]: record too large"));
    for id in ["p-1", "p-2", "p-3"] {
        assert!(!stored(id.to_owned()).await, "{id} was stored");
    }
    assert_eq!(api.get(&class_results).await.total_count(), before, "the counts did not move");

    // More than one transaction takes: 413 naming the limit, none stored.
    let set: Vec<Value> = (0..30).map(|i| result(&format!("q-{i}"), "")).collect();
    let reply = post(set).await;
    assert_refused(&reply, 413, "a set past one transaction");
    assert!(reply.body["imsx_description"].as_str().unwrap_or_default().contains("100 items"));
    assert!(!stored("q-0".to_owned()).await);

    // The most one transaction takes (25 results of 4 items each), a repeated id given a new one.
    let mut set: Vec<Value> = (0..25).map(|i| result(&format!("s-{i}"), "")).collect();
    set[24] = result("s-0", "again");
    let reply = post(set).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let pairs = reply.body["sourcedIdPairs"].as_array().cloned().unwrap_or_default();
    assert_eq!(pairs.len(), 25);
    assert_eq!(pairs[24]["suppliedSourcedId"], "s-0");
    assert_ne!(pairs[24]["allocatedSourcedId"], "s-0", "a repeated id gets a new one");
    for pair in &pairs {
        let id = pair["allocatedSourcedId"].as_str().unwrap_or_default().to_owned();
        assert!(stored(id.clone()).await, "{id}");
    }
    assert_eq!(api.get(&class_results).await.total_count(), before + 25);
    // An empty set stores nothing and says so.
    let reply = post(Vec::new()).await;
    assert_eq!((reply.status, reply.body["sourcedIdPairs"].clone()), (201, json!([])));
}

#[tokio::test]
async fn sorted_and_filtered_scans_page_as_a_full_sort_would() {
    let (stack, api, _d) = loaded("hostile-scans").await;
    let base = format!("{ROSTERING}/users");
    let everyone = api.walk(&format!("{base}?limit=1000"), "users").await;
    let key = |u: &Value| (u["familyName"].as_str().unwrap_or_default().to_owned(), u["sourcedId"].clone().to_string());
    for descending in [false, true] {
        let mut expected = everyone.clone();
        expected.sort_by(|a, b| {
            if descending {
                key(b).0.cmp(&key(a).0).then(key(a).1.cmp(&key(b).1))
            } else {
                key(a).cmp(&key(b))
            }
        });
        let order = if descending { "desc" } else { "asc" };
        let mut paged = Vec::new();
        for offset in (0..everyone.len()).step_by(23) {
            let url = format!("{base}?sort=familyName&orderBy={order}&limit=23&offset={offset}&fields=sourcedId");
            let reply = api.get(&url).await;
            assert_eq!(reply.total_count(), everyone.len() as u64);
            paged.extend(reply.body["users"].as_array().cloned().unwrap_or_default());
        }
        let ids = |records: &[Value]| records.iter().map(|r| r["sourcedId"].clone()).collect::<Vec<_>>();
        assert_eq!(ids(&paged), ids(&expected), "sort {order}");
    }
    // A filter the store cannot page streams: pages by offset add up to the filtered whole.
    let students: Vec<&Value> = everyone.iter().filter(|u| u["roles"][0]["role"] == "student").collect();
    let url = format!("{base}?filter=roles.role%3D'student'&limit=17");
    let walked = api.walk(&url, "users").await;
    assert_eq!(walked.len(), students.len());
    // With a budget too small for any read, the answer is a 503 with a body.
    let slow =
        Api::over(stack.api_serving(Serving::at(format!("http://{HOST}")).with_read_budget(Duration::from_nanos(1))));
    let reply = slow.with_bearer(api.bearer().expect("a token")).get(&format!("{base}?sort=familyName")).await;
    assert_refused(&reply, 503, "over budget");
    assert_eq!(reply.code_minor(), "server_busy");
}

#[test]
fn the_template_passes_the_api_domain_to_the_api_functions_only() {
    let template: yaml_serde::Value =
        yaml_serde::from_str(include_str!("../../infra/template.yaml")).expect("the template is YAML");
    assert_eq!(template["Parameters"]["ApiDomainName"]["Default"].as_str(), Some(""));
    for (id, resource) in template["Resources"].as_mapping().expect("resources") {
        let id = id.as_str().unwrap_or_default();
        let variable = &resource["Properties"]["Environment"]["Variables"]["API_DOMAIN_NAME"];
        let api = matches!(id, "RosteringFunction" | "ResourcesFunction" | "GradebookFunction" | "V1p2Function");
        assert_eq!(!variable.is_null(), api, "{id}");
        if api {
            assert!(format!("{variable:?}").contains("ApiDomainName"), "{id}: {variable:?}");
        }
    }
}
