//! The functions' Lambda entry, fed the events API Gateway's HTTP API sends (payload format
//! 2.0; `events/http-api-v2-request.json` is one) through the handler each Lambda runs
//! (`oneroster_http::lambda::handler`): the local server serves the routers without it.
//!
//! What API Gateway does that these events copy: `rawPath` and `requestContext.http.path`
//! arrive percent-decoded, so a client's `usr%2F001` reaches the function as `usr/001` (live
//! captures: middleapi/standard-server pull request 93), while `rawQueryString` is as the
//! client sent it; header names are lower-case; a form body arrives base64-encoded; and the
//! answer event must stay under Lambda's 6 MB.

use e2e::{client, guid_district, ingest, stack, tenant, unique};
use local_server::LocalStack;
use oneroster_auth::Scopes;
use oneroster_store::JobState;
use serde_json::{json, Value};
use std::io::Read;

pub(crate) const FIXTURE: &str = include_str!("events/http-api-v2-request.json");

/// Lambda's limit on a synchronous answer, the whole event.
const LAMBDA_ANSWER_LIMIT: usize = 6_291_456;

pub(crate) const ROSTERING: &str = "/ims/oneroster/rostering/v1p2";
pub(crate) const GRADEBOOK: &str = "/ims/oneroster/gradebook/v1p2";
pub(crate) const RESOURCES: &str = "/ims/oneroster/resources/v1p2";
pub(crate) const SHARED: &str = "/ims/oneroster/v1p2";

/// A request as a client sends it.
pub(crate) struct Call<'a> {
    pub(crate) method: &'a str,
    /// The route's key in the template (`ANY {base}/{proxy+}`, `POST /oauth/token`).
    pub(crate) route: String,
    /// Path and query as the client writes them.
    pub(crate) target: &'a str,
    pub(crate) token: Option<&'a str>,
    /// Body, its content type, and whether API Gateway base64-encodes it.
    pub(crate) body: Option<(Vec<u8>, &'a str, bool)>,
    pub(crate) accept_gzip: bool,
}

impl<'a> Call<'a> {
    pub(crate) fn new(method: &'a str, base: &str, target: &'a str, token: Option<&'a str>) -> Self {
        Self { method, route: format!("ANY {base}/{{proxy+}}"), target, token, body: None, accept_gzip: false }
    }

    pub(crate) fn json(mut self, body: &Value, base64: bool) -> Self {
        self.body = Some((body.to_string().into_bytes(), "application/json", base64));
        self
    }

    /// The event API Gateway hands the function.
    pub(crate) fn event(&self) -> Value {
        use base64::Engine;
        let mut event: Value = serde_json::from_str(FIXTURE).expect("the fixture is JSON");
        let (path, query) = self.target.split_once('?').unwrap_or((self.target, ""));
        let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy().into_owned();
        event["rawPath"] = json!(decoded);
        event["rawQueryString"] = json!(query);
        event["routeKey"] = json!(self.route);
        let context = &mut event["requestContext"];
        context["routeKey"] = json!(self.route);
        context["http"]["method"] = json!(self.method);
        context["http"]["path"] = json!(decoded);
        let mut parameters = serde_json::Map::new();
        for (name, value) in query.split('&').filter_map(|pair| pair.split_once('=')) {
            let value = percent_encoding::percent_decode_str(value).decode_utf8_lossy().into_owned();
            parameters.insert(name.to_owned(), json!(value));
        }
        event["queryStringParameters"] = Value::Object(parameters);
        match self.route.strip_prefix("ANY ").and_then(|r| r.strip_suffix("/{proxy+}")) {
            Some(base) => {
                event["pathParameters"] = json!({"proxy": decoded.trim_start_matches(base).trim_start_matches('/')})
            }
            None => drop(event.as_object_mut().and_then(|e| e.remove("pathParameters"))),
        }
        let headers = event["headers"].as_object_mut().expect("headers");
        match self.token {
            Some(token) => drop(headers.insert("authorization".into(), json!(format!("Bearer {token}")))),
            None => drop(headers.remove("authorization")),
        }
        if !self.accept_gzip {
            headers.remove("accept-encoding");
        }
        if let Some((body, content_type, base64)) = &self.body {
            headers.insert("content-type".into(), json!(content_type));
            headers.insert("content-length".into(), json!(body.len().to_string()));
            let text = if *base64 {
                base64::engine::general_purpose::STANDARD.encode(body)
            } else {
                String::from_utf8(body.clone()).expect("a text body")
            };
            event["body"] = json!(text);
            event["isBase64Encoded"] = json!(base64);
        }
        event
    }
}

/// The function's answer event, and its body decoded (base64, gzip) and parsed.
pub(crate) struct Answer {
    pub(crate) event: Value,
    pub(crate) status: u16,
    pub(crate) body: Value,
}

impl Answer {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.event["headers"][name].as_str()
    }
}

/// Runs `router` as its Lambda does on `call`'s event.
pub(crate) async fn invoke(router: axum::Router, call: &Call<'_>) -> Answer {
    invoke_event(router, call.event()).await
}

/// Runs `router` as its Lambda does on `event`.
pub(crate) async fn invoke_event(router: axum::Router, event: Value) -> Answer {
    use base64::Engine;
    use tower::ServiceExt;
    let request: lambda_http::request::LambdaRequest =
        serde_json::from_value(event).expect("an API Gateway HTTP API event");
    let invocation = lambda_http::LambdaEvent::new(request, lambda_http::Context::default());
    let answer = oneroster_http::lambda::handler(router).oneshot(invocation).await.expect("the handler answers");
    let event = serde_json::to_value(&answer).expect("the answer event is JSON");
    let text = event["body"].as_str().unwrap_or_default();
    let mut bytes = if event["isBase64Encoded"] == true {
        base64::engine::general_purpose::STANDARD.decode(text).expect("base64")
    } else {
        text.as_bytes().to_vec()
    };
    if event["headers"]["content-encoding"] == "gzip" {
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(bytes.as_slice()).read_to_end(&mut plain).expect("gzip");
        bytes = plain;
    }
    let status = event["statusCode"].as_u64().unwrap_or_default() as u16;
    Answer { status, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null), event }
}

/// The functions' routers, as each Lambda builds its own.
pub(crate) struct Functions {
    pub(crate) stack: LocalStack,
}

impl Functions {
    pub(crate) fn auth(&self) -> axum::Router {
        auth::router(self.stack.store().clone(), self.stack.issuer.clone(), None)
    }
    pub(crate) fn rostering(&self) -> axum::Router {
        rostering::router(self.stack.store().clone(), self.stack.gate())
    }
    pub(crate) fn gradebook(&self) -> axum::Router {
        gradebook::router(self.stack.store().clone(), self.stack.gate())
    }
    pub(crate) fn resources(&self) -> axum::Router {
        resources::router(self.stack.store().clone(), self.stack.gate())
    }
    pub(crate) fn shared_base(&self) -> axum::Router {
        v1p2::router(self.stack.store().clone(), self.stack.gate())
    }
}

/// The GUID district loaded, and a token from the auth function's own event.
pub(crate) async fn district(name: &str) -> (Functions, String) {
    let stack = stack().await;
    let district = tenant(name);
    let job = ingest(&stack, &district, "bulk.zip", guid_district::zip()).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);
    let (app, secret) = client(&stack, &district, &Scopes::all()).await;
    let functions = Functions { stack };
    let form = e2e::form(&[("grant_type", "client_credentials"), ("client_id", &app.id), ("client_secret", &secret)]);
    let mut call = Call::new("POST", "", "/oauth/token", None);
    call.route = "POST /oauth/token".into();
    call.body = Some((form.into_bytes(), "application/x-www-form-urlencoded", true));
    let answer = invoke(functions.auth(), &call).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    (functions, answer.body["access_token"].as_str().expect("a token").to_owned())
}

fn ids(answer: &Answer, key: &str) -> Vec<String> {
    e2e::ids(answer.body[key].as_array().map(Vec::as_slice).unwrap_or_default())
}

#[tokio::test]
async fn every_function_serves_the_events_api_gateway_sends() {
    let (functions, token) = district("lambda-events").await;
    let token = Some(token.as_str());
    let teacher = guid_district::TEACHER;
    let class = guid_district::CLASS;
    let encoded = |id: &str| id.replace('/', "%2F").replace('@', "%40");

    // A `/` id sent unencoded and encoded: API Gateway decodes both to the same rawPath.
    for spelled in [teacher.to_owned(), encoded(teacher)] {
        let target = format!("{ROSTERING}/teachers/{spelled}/classes?limit=10000&filter=status='active'");
        let answer = invoke(functions.rostering(), &Call::new("GET", ROSTERING, &target, token)).await;
        assert_eq!((answer.status, ids(&answer, "classes")), (200, vec![class.to_owned()]), "{}", answer.body);
        assert_eq!(answer.header("x-total-count"), Some("1"));
        assert!(answer.header("link").is_some_and(|l| l.contains("rel=\"first\"")));
    }
    // A path that keeps its encoding (a REST API or a function URL would hand it over so).
    let kept = format!("{ROSTERING}/teachers/{}/classes", encoded(teacher));
    let mut event = Call::new("GET", ROSTERING, &kept, token).event();
    event["rawPath"] = json!(kept);
    let answer = invoke_event(functions.rostering(), event).await;
    assert_eq!((answer.status, ids(&answer, "classes")), (200, vec![class.to_owned()]), "{}", answer.body);

    // A Host or X-Forwarded-Proto no URL can hold is answered, not a panic in lambda_http.
    let target = format!("{ROSTERING}/classes/{class}");
    let mut event = Call::new("GET", ROSTERING, &target, token).event();
    event["headers"]["host"] = json!("bad host:99999");
    event["headers"]["x-forwarded-proto"] = json!("1");
    event["headers"]["x-forwarded-host"] = json!("<evil>");
    let answer = invoke_event(functions.rostering(), event).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(!answer.body.to_string().contains("bad host"), "{}", answer.body);

    // A quoted filter with `@` in rawQueryString, as python-requests sends it.
    let target = format!("{ROSTERING}/teachers?filter=email='{}'&limit=10000", guid_district::TEACHER_EMAIL);
    let answer = invoke(functions.rostering(), &Call::new("GET", ROSTERING, &target, token)).await;
    assert_eq!((answer.status, ids(&answer, "users")), (200, vec![teacher.to_owned()]), "{}", answer.body);

    // A base64 body: a line item whose id holds `/` and `@`, references as bare sourcedIds.
    let line_item = format!("li/{}@lambda", unique("x"));
    let body = json!({"lineItem": {
        "title": "Lab report", "assignDate": "2026-12-01T08:00:00Z", "dueDate": "2026-12-08",
        "class": {"sourcedId": class}, "school": {"sourcedId": guid_district::SCHOOL},
        "category": {"sourcedId": guid_district::CATEGORY}
    }});
    let target = format!("{GRADEBOOK}/lineItems/{}", encoded(&line_item));
    let put = Call::new("PUT", GRADEBOOK, &target, token).json(&body, true);
    let answer = invoke(functions.gradebook(), &put).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let target = format!("{GRADEBOOK}/classes/{class}/lineItems");
    let answer = invoke(functions.gradebook(), &Call::new("GET", GRADEBOOK, &target, token)).await;
    assert!(ids(&answer, "lineItems").contains(&line_item), "{}", answer.body);

    // The shared base carries all three services.
    for target in [format!("{SHARED}/classes/{class}/lineItems"), format!("{SHARED}/teachers/{teacher}/classes")] {
        let answer = invoke(functions.shared_base(), &Call::new("GET", SHARED, &target, token)).await;
        assert_eq!(answer.status, 200, "{target}: {}", answer.body);
    }
    // An id with a `..` segment is that id, not the record the segment would resolve to
    // (lambda_http's URI resolves it; the function reads rawPath).
    let dotted = format!("{SHARED}/lineItems/nothing/../{line_item}");
    let mut event = Call::new("DELETE", SHARED, &dotted, token).event();
    event["rawPath"] = json!(dotted);
    let answer = invoke_event(functions.shared_base(), event).await;
    assert_eq!(answer.status, 404, "`nothing/../{line_item}` is no line item: {}", answer.body);
    let target = format!("{SHARED}/lineItems/{line_item}");
    let answer = invoke(functions.shared_base(), &Call::new("DELETE", SHARED, &target, token)).await;
    assert_eq!(answer.status, 204, "{}", answer.body);
    let target = format!("{RESOURCES}/classes/{class}/resources");
    let answer = invoke(functions.resources(), &Call::new("GET", RESOURCES, &target, token)).await;
    assert_eq!((answer.status, answer.header("x-total-count")), (200, Some("0")), "{}", answer.body);

    // Refusals are imsx_StatusInfo bodies: no token, no route, no such method.
    let target = format!("{ROSTERING}/classes/{class}");
    let answer = invoke(functions.rostering(), &Call::new("GET", ROSTERING, &target, None)).await;
    assert_eq!((answer.status, answer.body["imsx_codeMajor"].as_str()), (401, Some("failure")));
    let target = format!("{ROSTERING}/nothing/here");
    let answer = invoke(functions.rostering(), &Call::new("GET", ROSTERING, &target, token)).await;
    assert_eq!((answer.status, answer.body["imsx_codeMajor"].as_str()), (404, Some("failure")));
    let answer =
        invoke(functions.rostering(), &Call::new("POST", ROSTERING, &format!("{ROSTERING}/classes/{class}"), token))
            .await;
    assert_eq!((answer.status, answer.header("allow")), (405, Some("GET, PUT, DELETE")), "{}", answer.body);
}

#[tokio::test]
async fn a_page_near_the_payload_limit_fits_the_answer_event() {
    let (functions, token) = district("lambda-big-page").await;
    let token = Some(token.as_str());
    // 40 line items of about 170 KB each, a tenth of it quotes (escaped twice in the event):
    // about 7 MB in all, more than one answer carries.
    let title = "xxxxxxxxx\"".repeat(15_000);
    for k in 0..40 {
        let body = json!({"lineItem": {
            "title": title, "assignDate": "2026-12-01", "dueDate": "2026-12-08",
            "class": {"sourcedId": guid_district::CLASS}, "school": {"sourcedId": guid_district::SCHOOL},
            "category": {"sourcedId": guid_district::CATEGORY}
        }});
        let target = format!("{GRADEBOOK}/lineItems/big-{k}");
        let answer =
            invoke(functions.gradebook(), &Call::new("PUT", GRADEBOOK, &target, token).json(&body, false)).await;
        assert_eq!(answer.status, 201, "{}", answer.body);
    }
    let target = format!("{GRADEBOOK}/lineItems?limit=100");
    let answer = invoke(functions.gradebook(), &Call::new("GET", GRADEBOOK, &target, token)).await;
    let size = serde_json::to_string(&answer.event).expect("JSON").len();
    let listed = answer.body["lineItems"].as_array().map_or(0, Vec::len);
    assert!(size <= LAMBDA_ANSWER_LIMIT, "the answer event is {size} bytes");
    assert!(size > 5_000_000, "the page is near the limit: {size} bytes");
    assert!((30..40).contains(&listed), "{listed} line items");
    assert!(answer.header("link").is_some_and(|l| l.contains("rel=\"next\"")), "the page says where to go on");
    // Compressed, the same page goes base64 and is far smaller.
    let mut call = Call::new("GET", GRADEBOOK, &target, token);
    call.accept_gzip = true;
    let gzipped = invoke(functions.gradebook(), &call).await;
    assert_eq!(
        (gzipped.event["isBase64Encoded"].as_bool(), gzipped.header("content-encoding")),
        (Some(true), Some("gzip"))
    );
    assert_eq!(gzipped.body, answer.body);
    assert!(serde_json::to_string(&gzipped.event).expect("JSON").len() < size / 10);
}
