//! The end-to-end harness: each test gets its own table, bucket and queue on the running
//! DynamoDB Local and moto (so tests are independent and run in parallel), and drives the real
//! ingest handler with the real S3 → SQS notifications, as an SIS upload would in AWS.

pub mod compare;
pub mod faults;
pub mod trips;

use local_server::{LocalConfig, LocalStack};
use oneroster_model::TenantId;
use oneroster_store::{Job, Tenant};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A unique, valid name for a test's table, bucket or queue.
pub fn unique(prefix: &str) -> String {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!("{prefix}-{}-{}-{nanos}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A tenant, as the operator running the tests names it.
pub fn tenant(name: &str) -> Tenant {
    Tenant::by_operator(TenantId::parse(name).expect("test tenant ids are valid"))
}

/// A fresh local stack of the test's own, whose gate rechecks clients on every request (so
/// that revoking takes effect at once).
pub async fn stack() -> LocalStack {
    stack_with(Duration::ZERO).await
}

/// A fresh local stack whose gate trusts a checked client for `client_recheck` (a deployment
/// uses a minute; the bench does too, so its reads are a deployment's).
pub async fn stack_with(client_recheck: Duration) -> LocalStack {
    stack_of(config_with(client_recheck)).await
}

/// A fresh local stack whose table has its change stream, read into change events by
/// `LocalStack::settle_changes` (the others go without: DynamoDB Local's writes slow down with
/// every stream record it holds, so only the tests of change events pay for one).
pub async fn stack_with_changes() -> LocalStack {
    stack_of(LocalConfig { change_stream: true, ..config_with(Duration::ZERO) }).await
}

/// A test's own local configuration: its own table, bucket, queues and bus, its gate trusting
/// a checked client for `client_recheck`, no change stream.
pub fn config_with(client_recheck: Duration) -> LocalConfig {
    let mut config = LocalConfig::from_env();
    config.change_stream = false;
    config.table = unique("t");
    config.bucket = unique("b");
    config.queue = unique("q");
    config.event_bus = unique("bus");
    config.webhook_queue = unique("wq");
    config.keys_file = None;
    config.client_recheck = client_recheck;
    config.public_url = format!("http://{HOST}");
    config
}

/// A fresh local stack of `config` (a test's own, [`config_with`], changed as it needs).
pub async fn stack_of(config: LocalConfig) -> LocalStack {
    let stack = LocalStack::setup(config).await.expect("the local stack is up (make test starts it)");
    // S3 sends a test event when notifications are configured; take it off the queue.
    stack.deliver(Duration::from_secs(1)).await.expect("the queue answers");
    stack
}

/// Registers `tenant` (an operator's `oneroster-admin tenant create`); uploads of unregistered
/// tenants are refused.
pub async fn register(stack: &LocalStack, tenant: &TenantId) {
    admin::create_tenant(stack.store(), tenant, "Test District").await.expect("a tenant");
}

/// Registers `tenant`, uploads `bytes` for it and runs the ingest on its notification; returns
/// the job.
pub async fn ingest(stack: &LocalStack, tenant: &TenantId, name: &str, bytes: Vec<u8>) -> Job {
    register(stack, tenant).await;
    let key = stack.upload(tenant, name, bytes).await.expect("upload");
    stack.wait_for_job(tenant, &key, true, Duration::from_secs(300)).await.expect("the job finishes")
}

/// The bytes of a generated bulk package.
pub fn bulk_zip(district: &district_gen::District) -> Vec<u8> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    district.write_bulk(&mut bytes).expect("generate");
    bytes.into_inner()
}

/// The bytes of a generated delta package.
pub fn delta_zip(district: &district_gen::District, changed: usize) -> Vec<u8> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    district.write_delta(&mut bytes, changed, "2026-11-25T00:00:00.000Z").expect("generate");
    bytes.into_inner()
}

/// A zip of the given (name, text) files.
pub fn zip_of(files: &[(&str, &str)]) -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, text) in files {
        zip.start_file(*name, zip::write::SimpleFileOptions::default()).expect("zip");
        zip.write_all(text.as_bytes()).expect("zip");
    }
    zip.finish().expect("zip").into_inner()
}

/// The bytes of one of the official samples, vendored in `tests/samples/`.
pub fn sample(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Registers `tenant` (if need be) and creates a client of it holding `scopes`, as an operator
/// does with `oneroster-admin`; returns the client and its secret.
pub async fn client(
    stack: &LocalStack,
    tenant: &TenantId,
    scopes: &oneroster_auth::Scopes,
) -> (oneroster_store::OAuthClient, String) {
    register(stack, tenant).await;
    admin::create_client(stack.store(), tenant, "test app", scopes).await.expect("a client")
}

/// The change events feed's scope beside [`writer_scopes`].
pub fn feed_scopes() -> oneroster_auth::Scopes {
    let text = format!("{} events.readonly", writer_scopes().to_text());
    oneroster_auth::Scopes::parse(&text).expect("the events scope")
}

/// Every scope of the standard and the provider's extension scopes.
pub fn writer_scopes() -> oneroster_auth::Scopes {
    let text = format!(
        "{} roster.createput roster.delete resource.createput resource.delete",
        oneroster_auth::Scopes::all().to_text()
    );
    oneroster_auth::Scopes::parse(&text).expect("the extension scopes")
}

/// A consumer of the API: requests go through the full router (routes, middleware, handlers)
/// in process, as API Gateway would hand them to the function, with its bearer token.
#[derive(Clone)]
pub struct Api {
    router: axum::Router,
    bearer: Option<String>,
    request_id: Option<String>,
}

/// An answer of the API.
#[derive(Debug)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The headers.
    pub headers: axum::http::HeaderMap,
    /// The body, parsed (`Null` when it is not JSON, or compressed).
    pub body: serde_json::Value,
    /// The body as sent.
    pub raw: axum::body::Bytes,
}

/// The host the tests call the API on, and the local stack's public URL (`http://api.test`):
/// `href`s and `Link`s are absolute on it.
pub const HOST: &str = "api.test";

impl Api {
    /// A client of `tenant` holding every scope, with a token from the token endpoint.
    pub async fn new(stack: &LocalStack, tenant: &TenantId) -> Self {
        Self::with_scopes(stack, tenant, &oneroster_auth::Scopes::all()).await
    }

    /// A client of `tenant` holding every scope of the standard and the provider's extension
    /// scopes (which a client holds only when they are named: an SIS writing rosters).
    pub async fn writer(stack: &LocalStack, tenant: &TenantId) -> Self {
        Self::with_scopes(stack, tenant, &writer_scopes()).await
    }

    /// A client of `tenant` holding `scopes`, with a token from the token endpoint.
    pub async fn with_scopes(stack: &LocalStack, tenant: &TenantId, scopes: &oneroster_auth::Scopes) -> Self {
        let (client, secret) = client(stack, tenant, scopes).await;
        Self::of_client(stack, &client.id, &secret).await
    }

    /// A client of `tenant` holding `scopes`, shared what `change` says (`oneroster-admin
    /// client create --schools …`), with a token from the token endpoint; and its id.
    pub async fn shared(
        stack: &LocalStack,
        tenant: &TenantId,
        scopes: &oneroster_auth::Scopes,
        change: admin::SharingChange,
    ) -> (Self, String) {
        let (client, secret) = client(stack, tenant, scopes).await;
        admin::share_with_client(stack.store(), &client.id, change).await.expect("sharing rules set");
        (Self::of_client(stack, &client.id, &secret).await, client.id)
    }

    /// The client `id` with its `secret`, with a token from the token endpoint.
    async fn of_client(stack: &LocalStack, id: &str, secret: &str) -> Self {
        let anonymous = Self::anonymous(stack);
        let reply = anonymous.token("grant_type=client_credentials", Some((id, secret))).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        anonymous.with_bearer(reply.body["access_token"].as_str().expect("a token"))
    }

    /// The bearer token sent, if any.
    pub fn bearer(&self) -> Option<&str> {
        self.bearer.as_deref()
    }

    /// The API without credentials.
    pub fn anonymous(stack: &LocalStack) -> Self {
        Self::over(stack.api())
    }

    /// A consumer of `router` (one function's own, as Lambda serves it), without credentials.
    pub fn over(router: axum::Router) -> Self {
        Self { router, bearer: None, request_id: None }
    }

    /// The same API, sending `token` as the bearer token.
    pub fn with_bearer(&self, token: &str) -> Self {
        Self { bearer: Some(token.to_owned()), ..self.clone() }
    }

    /// The same API, sending `id` as `x-request-id` on writes (to find their log lines).
    pub fn with_request_id(&self, id: &str) -> Self {
        Self { request_id: Some(id.to_owned()), ..self.clone() }
    }

    /// `POST /oauth/token` with a form body, authenticating by HTTP Basic when given.
    pub async fn token(&self, form: &str, basic: Option<(&str, &str)>) -> Reply {
        use base64::Engine;
        let mut request = axum::http::Request::post("/oauth/token")
            .header("host", HOST)
            .header("content-type", "application/x-www-form-urlencoded");
        if let Some((id, secret)) = basic {
            let credentials = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
            request = request.header("authorization", format!("Basic {credentials}"));
        }
        self.send(request.body(axum::body::Body::from(form.to_owned())).expect("a valid request")).await
    }

    async fn send(&self, request: axum::http::Request<axum::body::Body>) -> Reply {
        use tower::ServiceExt;
        let response = self.router.clone().oneshot(request).await.expect("the router answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("a body");
        Reply { status, headers, body: serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null), raw: bytes }
    }

    /// `GET` a path (with query) or an absolute URL on [`HOST`]; characters a URI cannot hold
    /// (spaces, `<`, `>`, …) are percent-encoded, as an HTTP client does.
    pub async fn get(&self, target: &str) -> Reply {
        self.get_with(target, &[], "").await
    }

    /// [`Api::get`] with more headers and a body, as some consumers send them.
    pub async fn get_with(&self, target: &str, headers: &[(&str, &str)], body: &str) -> Reply {
        let target = target.strip_prefix(&format!("http://{HOST}")).unwrap_or(target);
        let target: String = target
            .bytes()
            .map(|b| match b {
                b'!'..=b'~' if !b"\"<>\\^`{|}".contains(&b) => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect();
        let mut request = axum::http::Request::get(target).header("host", HOST);
        if let Some(token) = &self.bearer {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request.body(axum::body::Body::from(body.to_owned())).expect("a valid request")).await
    }

    /// A write (`PUT`, `POST`, `DELETE`) of `body` to a path, as an LMS sends it.
    pub async fn send_json(&self, method: &str, target: &str, body: &str) -> Reply {
        let mut request = axum::http::Request::builder()
            .method(method)
            .uri(target)
            .header("host", HOST)
            .header("content-type", "application/json");
        if let Some(token) = &self.bearer {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        if let Some(id) = &self.request_id {
            request = request.header("x-request-id", id);
        }
        self.send(request.body(axum::body::Body::from(body.to_owned())).expect("a valid request")).await
    }

    /// `DELETE` a path, as an LMS sends it (no body, no content type).
    pub async fn delete(&self, target: &str) -> Reply {
        let mut request = axum::http::Request::delete(target).header("host", HOST);
        if let Some(token) = &self.bearer {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        self.send(request.body(axum::body::Body::empty()).expect("a valid request")).await
    }

    /// Every record of a list endpoint, following `Link` `next` from `target` to the end;
    /// checks that `X-Total-Count` holds still and that the pages add up to it.
    pub async fn walk(&self, target: &str, key: &str) -> Vec<serde_json::Value> {
        self.walk_checked(target, key, |_| {}).await
    }

    /// [`Api::walk`], handing every page to `check` as well.
    pub async fn walk_checked(&self, target: &str, key: &str, mut check: impl FnMut(&Reply)) -> Vec<serde_json::Value> {
        let mut records = Vec::new();
        let mut next = Some(target.to_owned());
        let mut total = None;
        while let Some(url) = next.take() {
            let reply = self.get(&url).await;
            assert_eq!(reply.status, 200, "{url}: {}", reply.body);
            check(&reply);
            let count = reply.total_count();
            assert!(total.is_none_or(|t| t == count), "X-Total-Count changed while paging");
            total = Some(count);
            assert!(records.len() as u64 <= count, "{target}: paging does not end");
            records.extend(reply.body[key].as_array().expect("a list").iter().cloned());
            next = reply.link("next");
        }
        assert_eq!(Some(records.len() as u64), total, "{target}: the pages add up to X-Total-Count");
        records
    }

    /// `GET` an operation of `service` at `path` (below the service's base), checking status
    /// 200 and the body against the operation's schema.
    pub async fn call(&self, service: oneroster_openapi::Service, operation_id: &str, path: &str) -> Reply {
        let reply = self.get(&format!("{}{path}", service.base_path())).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.body);
        let envelope = envelope(service, operation_id);
        assert_matches_schema(service, &envelope.body_schema, &reply.body);
        reply
    }

    /// Every record of a list operation of `service` at `path`, paged with a small limit through
    /// `Link` `next`, each page checked against the operation's schema: the sorted ids, none
    /// listed twice.
    pub async fn walk_ids(&self, service: oneroster_openapi::Service, operation_id: &str, path: &str) -> Vec<String> {
        let envelope = envelope(service, operation_id);
        let separator = if path.contains('?') { '&' } else { '?' };
        let first = format!("{}{path}{separator}limit=7", service.base_path());
        let records = self
            .walk_checked(&first, &envelope.key, |page| {
                assert_matches_schema(service, &envelope.body_schema, &page.body)
            })
            .await;
        let listed = ids(&records);
        let unique: std::collections::BTreeSet<&String> = listed.iter().collect();
        assert_eq!(unique.len(), listed.len(), "{path}: a record listed twice");
        listed
    }
}

fn envelope(service: oneroster_openapi::Service, operation_id: &str) -> &'static oneroster_openapi::Envelope {
    service.operation(operation_id).and_then(|o| o.envelope.as_ref()).expect("an operation with an envelope")
}

impl Reply {
    /// `X-Total-Count`.
    pub fn total_count(&self) -> u64 {
        self.headers
            .get("x-total-count")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .expect("X-Total-Count")
    }

    /// The URL of a `Link` relation.
    pub fn link(&self, rel: &str) -> Option<String> {
        let header = self.headers.get("link")?.to_str().ok()?;
        header.split(", ").find_map(|part| {
            let (url, params) = part.split_once(">; ")?;
            (params == format!("rel=\"{rel}\"")).then(|| url.trim_start_matches('<').to_owned())
        })
    }

    /// The `imsx_codeMinorFieldValue` of an error body.
    pub fn code_minor(&self) -> &str {
        self.body["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"].as_str().unwrap_or_default()
    }

    /// The `sourcedId`s of the records under `key`, sorted.
    pub fn ids(&self, key: &str) -> Vec<String> {
        ids(self.body[key].as_array().map(Vec::as_slice).unwrap_or_default())
    }
}

/// The sorted `sourcedId`s of records.
pub fn ids(records: &[serde_json::Value]) -> Vec<String> {
    let mut ids: Vec<String> = records.iter().filter_map(|r| r["sourcedId"].as_str().map(str::to_owned)).collect();
    ids.sort();
    ids
}

/// Checks a body against a schema of a service's OpenAPI file (formats included); panics
/// listing every violation.
pub fn assert_matches_schema(service: oneroster_openapi::Service, schema: &str, body: &serde_json::Value) {
    assert_matches(oneroster_openapi::Version::V1p2, service, schema, body);
}

/// Checks a body against a 1.1 schema (a service's 1.2 file with 1.1's differences applied,
/// `oneroster_openapi::v1p1`); panics listing every violation.
pub fn assert_matches_v1p1_schema(service: oneroster_openapi::Service, schema: &str, body: &serde_json::Value) {
    assert_matches(oneroster_openapi::Version::V1p1, service, schema, body);
}

fn assert_matches(
    version: oneroster_openapi::Version,
    service: oneroster_openapi::Service,
    schema: &str,
    body: &serde_json::Value,
) {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};
    static VALIDATORS: OnceLock<Mutex<HashMap<String, Arc<jsonschema::Validator>>>> = OnceLock::new();
    let key = format!("{version:?}/{}/{schema}", service.name());
    let validator = VALIDATORS
        .get_or_init(Default::default)
        .lock()
        .expect("not poisoned")
        .entry(key)
        .or_insert_with(|| {
            let mut components = service.discovery()["components"].clone();
            if let Some(schemas) = components["schemas"].as_object_mut() {
                for (name, schema) in schemas.iter_mut() {
                    *schema = version.schema(service, name).cloned().unwrap_or_default();
                }
            }
            let root = serde_json::json!({
                "$ref": format!("#/components/schemas/{schema}"),
                "components": components,
            });
            Arc::new(jsonschema::options().should_validate_formats(true).build(&root).expect("the schema compiles"))
        })
        .clone();
    let errors: Vec<String> = validator.iter_errors(body).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{schema}: {errors:#?}\n{body}");
}

/// An `application/x-www-form-urlencoded` body of `pairs`, as an HTTP client encodes it.
pub fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            let value: String = v
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect();
            format!("{k}={value}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// A DynamoDB client of the stack's DynamoDB Local, beside the store: for tests and the bench
/// that read the table's items as they are (scans, a partition's raw items).
pub async fn raw_dynamodb(stack: &LocalStack) -> aws_sdk_dynamodb::Client {
    let aws = aws_config::defaults(aws_config::BehaviorVersion::latest()).load().await;
    aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&aws).endpoint_url(&stack.config.dynamodb_endpoint).build(),
    )
}

/// Every item the tenant `tenant` holds in the stack's table but its OAuth clients (which a
/// token request touches), sorted and printed whole: what a refused write must leave exactly as
/// it was. A scan, for tests only (each test has a table of its own).
pub async fn tenant_items(stack: &LocalStack, tenant: &TenantId) -> Vec<String> {
    let client = raw_dynamodb(stack).await;
    let prefix = format!("{}#", tenant.as_str());
    let clients = format!("{}#client", tenant.as_str());
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name(&stack.config.table)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .expect("a scan");
        for item in page.items.unwrap_or_default() {
            let pk = item.get("pk").and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
            if pk.starts_with(&prefix) && pk != clients {
                let mut attributes: Vec<String> = item.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
                attributes.sort();
                items.push(attributes.join(" "));
            }
        }
        match page.last_evaluated_key.filter(|key| !key.is_empty()) {
            Some(key) => start = Some(key),
            None => break,
        }
    }
    items.sort();
    items
}

/// A district small enough for DynamoDB Local's stream (whose writes slow down with every
/// record it holds: change-event tests use it) that still has what a delta changes: two schools,
/// students moving class, class resources.
pub fn tiny_district() -> district_gen::District {
    district_gen::District {
        students: 24,
        schools: 2,
        teachers: 2,
        parents: 4,
        classes_per_school: 2,
        line_items_per_class: 1,
    }
}

/// Two schools, small enough to ingest in a second or two.
pub fn small_district() -> district_gen::District {
    district_gen::District {
        students: 120,
        schools: 2,
        teachers: 8,
        parents: 30,
        classes_per_school: 12,
        line_items_per_class: 2,
    }
}

/// A tenant `name` holding the [`small_district`] (bulk applied), and an API client for it.
pub async fn loaded(name: &str) -> (LocalStack, Api, district_gen::District) {
    let stack = stack().await;
    let t = tenant(name);
    let district = small_district();
    let job = ingest(&stack, &t, "bulk.zip", bulk_zip(&district)).await;
    assert_eq!(job.state, oneroster_store::JobState::Applied, "{:#?}", job.errors);
    let api = Api::new(&stack, &t).await;
    (stack, api, district)
}

/// A small district whose sourcedIds hold every character of the binding's GUID set
/// (`0-9 a-z A-Z . - _ / @`), `/` above all, as real SIS exports do (`2024/MATH-101`, base64
/// ids, `usr/0000000@lu`): one school, a term with two grading periods, one class, a teacher,
/// two students, a gradebook category and a line item from the SIS.
pub mod guid_district {
    /// The district org.
    pub const DISTRICT: &str = "org/district_01";
    /// The school.
    pub const SCHOOL: &str = "org/sch.01@lu";
    /// The school year.
    pub const SCHOOL_YEAR: &str = "2024/SY";
    /// The term the class is taught in.
    pub const TERM: &str = "2024/Term-1.a_b@lu";
    /// The term's grading periods.
    pub const GRADING_PERIODS: [&str; 2] = ["2024/Term-1/GP.1", "2024/Term-1/GP.2"];
    /// The course.
    pub const COURSE: &str = "crs/MATH-101";
    /// The class.
    pub const CLASS: &str = "2024/MATH-101.a_b@lu";
    /// The teacher.
    pub const TEACHER: &str = "usr/0000000@lu";
    /// The teacher's e-mail address.
    pub const TEACHER_EMAIL: &str = "ada.teacher@district.example.org";
    /// The students.
    pub const STUDENTS: [&str; 2] = ["usr/0000001.s_1@lu", "usr/0000002-s/2@lu"];
    /// The gradebook category of the SIS's line item.
    pub const CATEGORY: &str = "cat/Homework_1@lu";
    /// The SIS's line item.
    pub const SIS_LINE_ITEM: &str = "li/sis-1.a_b@lu";

    /// Google Classroom's session with tenant `name` holding this district (bulk applied): a
    /// client holding every scope, and the token Classroom asks for, its four scopes by their
    /// full URIs under `scope_prefix` (the v1p2 or v1p1 ones), the client by HTTP Basic.
    pub async fn classroom(stack: &super::LocalStack, name: &str, scope_prefix: &str) -> super::Api {
        let district = super::tenant(name);
        let job = super::ingest(stack, &district, "bulk.zip", zip()).await;
        assert_eq!(job.state, oneroster_store::JobState::Applied, "{:#?}", job.errors);
        let (app, secret) = super::client(stack, &district, &oneroster_auth::Scopes::all()).await;
        let asked = ["roster.readonly", "gradebook.readonly", "gradebook.createput", "gradebook.delete"]
            .map(|s| format!("{scope_prefix}{s}"))
            .join(" ");
        let anonymous = super::Api::anonymous(stack);
        let form = super::form(&[("grant_type", "client_credentials"), ("scope", &asked)]);
        let token = anonymous.token(&form, Some((&app.id, &secret))).await;
        assert_eq!(token.status, 200, "Get OAuth Token: {}", token.body);
        anonymous.with_bearer(token.body["access_token"].as_str().expect("a token"))
    }

    /// The bulk package.
    pub fn zip() -> Vec<u8> {
        let [first, second] = STUDENTS;
        let [gp1, gp2] = GRADING_PERIODS;
        let files = [
            "orgs",
            "academicSessions",
            "courses",
            "classes",
            "users",
            "roles",
            "enrollments",
            "categories",
            "lineItems",
        ];
        let orgs = format!(
            "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\n\
             {DISTRICT},,,Lakeside Unified,district,NCES-1,\n\
             {SCHOOL},,,Lakeside High,school,NCES-2,{DISTRICT}\n"
        );
        let sessions = format!(
            "sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,schoolYear\n\
             {SCHOOL_YEAR},,,2024-2025,schoolYear,2024-08-15,2025-06-15,,2025\n\
             {TERM},,,Fall 2024,term,2024-08-15,2025-01-15,{SCHOOL_YEAR},2025\n\
             {gp1},,,Quarter 1,gradingPeriod,2024-08-15,2024-10-31,{TERM},2025\n\
             {gp2},,,Quarter 2,gradingPeriod,2024-11-01,2025-01-15,{TERM},2025\n"
        );
        let courses = format!(
            "sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,orgSourcedId,subjects,subjectCodes\n\
             {COURSE},,,{SCHOOL_YEAR},Algebra I,MATH-101,09,{SCHOOL},Mathematics,MATH\n"
        );
        let classes = format!(
            "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods\n\
             {CLASS},,,Algebra I (1),09,{COURSE},MATH-101-1,scheduled,Room 101,{SCHOOL},{TERM},Mathematics,MATH,1\n"
        );
        let user = |id: &str, given: &str, email: &str| {
            format!("{id},,,true,{id},,{given},Lakeside,,,{email},,,,,,,,,,{SCHOOL},\n")
        };
        let users = format!(
            "sourcedId,status,dateLastModified,enabledUser,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password,userMasterIdentifier,preferredGivenName,preferredMiddleName,preferredFamilyName,primaryOrgSourcedId,pronouns\n{}{}{}",
            user(TEACHER, "Ada", TEACHER_EMAIL),
            user(first, "Bo", "bo.student@district.example.org"),
            user(second, "Cy", "cy.student@district.example.org"),
        );
        let roles = format!(
            "sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,endDate,orgSourcedId,userProfileSourcedId\n\
             role/{TEACHER},,,{TEACHER},primary,teacher,,,{SCHOOL},\n\
             role/{first},,,{first},primary,student,,,{SCHOOL},\n\
             role/{second},,,{second},primary,student,,,{SCHOOL},\n"
        );
        let enrollments = format!(
            "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate\n\
             enr/{TEACHER},,,{CLASS},{SCHOOL},{TEACHER},teacher,true,,\n\
             enr/{first},,,{CLASS},{SCHOOL},{first},student,false,,\n\
             enr/{second},,,{CLASS},{SCHOOL},{second},student,false,,\n"
        );
        let categories = format!("sourcedId,status,dateLastModified,title,weight\n{CATEGORY},,,Homework,0.4\n");
        let line_items = format!(
            "sourcedId,status,dateLastModified,title,description,assignDate,dueDate,classSourcedId,categorySourcedId,academicSessionSourcedId,resultValueMin,resultValueMax,schoolSourcedId\n\
             {SIS_LINE_ITEM},,,Chapter 1 homework,,2024-09-01,2024-09-08,{CLASS},{CATEGORY},{gp1},0,10,{SCHOOL}\n"
        );
        let manifest = district_gen::manifest(&files, &[]);
        crate::zip_of(&[
            ("manifest.csv", &manifest),
            ("orgs.csv", &orgs),
            ("academicSessions.csv", &sessions),
            ("courses.csv", &courses),
            ("classes.csv", &classes),
            ("users.csv", &users),
            ("roles.csv", &roles),
            ("enrollments.csv", &enrollments),
            ("categories.csv", &categories),
            ("lineItems.csv", &line_items),
        ])
    }
}

impl Api {
    /// [`Api::token`] from the TCP peer `address`, as a server that supplies its peers'
    /// addresses (`ConnectInfo`) hands the request to the router.
    pub async fn token_from(&self, address: std::net::SocketAddr, form: &str, basic: Option<(&str, &str)>) -> Reply {
        use base64::Engine;
        let mut request = axum::http::Request::post("/oauth/token")
            .header("host", HOST)
            .header("content-type", "application/x-www-form-urlencoded")
            .extension(axum::extract::ConnectInfo(address));
        if let Some((id, secret)) = basic {
            let credentials = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
            request = request.header("authorization", format!("Basic {credentials}"));
        }
        self.send(request.body(axum::body::Body::from(form.to_owned())).expect("a valid request")).await
    }
}

impl Reply {
    /// `Retry-After`, in seconds.
    pub fn retry_after(&self) -> Option<u64> {
        self.headers.get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok())
    }
}

/// The peak resident memory of this process so far (`VmHWM`), in MiB.
pub fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

/// Broken and hostile zips, written byte by byte where a zip writer would refuse to make them
/// (sizes that lie, encrypted flags, symbolic links, directories posing as files, absolute
/// names), and zip bombs made in a few MB without inflating them first.
pub mod hostile {
    use std::io::Write;

    /// The header of users.csv.
    pub const USERS_HEADER: &str = "sourcedId,status,dateLastModified,enabledUser,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password,userMasterIdentifier,preferredGivenName,preferredMiddleName,preferredFamilyName,primaryOrgSourcedId,pronouns\n";

    /// One entry of a zip, as it is written: its data already compressed.
    #[derive(Debug, Clone)]
    pub struct RawEntry {
        /// The name, as the central directory says it.
        pub name: String,
        /// The stored bytes.
        pub data: Vec<u8>,
        /// 0 stored, 8 deflated.
        pub method: u16,
        /// The CRC-32 of the inflated bytes.
        pub crc: u32,
        /// The inflated size the zip declares.
        pub size: u32,
        /// The general-purpose flags (bit 0: encrypted).
        pub flags: u16,
        /// The Unix mode (type and permissions), written as a Unix entry's external attributes.
        pub unix_mode: Option<u32>,
    }

    impl RawEntry {
        /// `text`, deflated, as a plain file.
        pub fn deflated(name: &str, text: &[u8]) -> Self {
            let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
            encoder.write_all(text).expect("deflate");
            let data = encoder.finish().expect("deflate");
            Self {
                name: name.to_owned(),
                data,
                method: 8,
                crc: crc32fast::hash(text),
                size: u32::try_from(text.len()).expect("under 4 GiB"),
                flags: 0,
                unix_mode: Some(0o100_644),
            }
        }
    }

    impl RawEntry {
        /// `text`, stored as it is, as a plain file.
        pub fn stored(name: &str, text: &[u8]) -> Self {
            Self {
                name: name.to_owned(),
                data: text.to_vec(),
                method: 0,
                crc: crc32fast::hash(text),
                size: u32::try_from(text.len()).expect("under 4 GiB"),
                flags: 0,
                unix_mode: Some(0o100_644),
            }
        }
    }

    /// A zip of `entries`, each written as given.
    pub fn zip(entries: &[RawEntry]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        let u16le = |v: u16| v.to_le_bytes();
        let u32le = |v: u32| v.to_le_bytes();
        for entry in entries {
            let offset = u32::try_from(out.len()).expect("under 4 GiB");
            let name = entry.name.as_bytes();
            let name_len = u16::try_from(name.len()).expect("a short name");
            let stored = u32::try_from(entry.data.len()).expect("under 4 GiB");
            // Local header.
            out.extend_from_slice(&u32le(0x0403_4b50));
            out.extend_from_slice(&u16le(20));
            out.extend_from_slice(&u16le(entry.flags));
            out.extend_from_slice(&u16le(entry.method));
            out.extend_from_slice(&u16le(0)); // time
            out.extend_from_slice(&u16le(0x21)); // 1980-01-01
            out.extend_from_slice(&u32le(entry.crc));
            out.extend_from_slice(&u32le(stored));
            out.extend_from_slice(&u32le(entry.size));
            out.extend_from_slice(&u16le(name_len));
            out.extend_from_slice(&u16le(0));
            out.extend_from_slice(name);
            out.extend_from_slice(&entry.data);
            // Central directory header.
            let (made_by, attributes) = match entry.unix_mode {
                Some(mode) => ((3 << 8) | 20, mode << 16),
                None => (20, 0),
            };
            central.extend_from_slice(&u32le(0x0201_4b50));
            central.extend_from_slice(&u16le(made_by));
            central.extend_from_slice(&u16le(20));
            central.extend_from_slice(&u16le(entry.flags));
            central.extend_from_slice(&u16le(entry.method));
            central.extend_from_slice(&u16le(0));
            central.extend_from_slice(&u16le(0x21));
            central.extend_from_slice(&u32le(entry.crc));
            central.extend_from_slice(&u32le(stored));
            central.extend_from_slice(&u32le(entry.size));
            central.extend_from_slice(&u16le(name_len));
            central.extend_from_slice(&[0; 8]); // extra, comment, disk, internal attributes
            central.extend_from_slice(&u32le(attributes));
            central.extend_from_slice(&u32le(offset));
            central.extend_from_slice(name);
        }
        let count = u16::try_from(entries.len()).expect("under 65,536 entries");
        let central_offset = u32::try_from(out.len()).expect("under 4 GiB");
        let central_len = u32::try_from(central.len()).expect("under 4 GiB");
        out.extend_from_slice(&central);
        out.extend_from_slice(&u32le(0x0605_4b50));
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&u16le(count));
        out.extend_from_slice(&u16le(count));
        out.extend_from_slice(&u32le(central_len));
        out.extend_from_slice(&u32le(central_offset));
        out.extend_from_slice(&u16le(0));
        out
    }

    /// A users.csv entry of `inflated` bytes (rounded down to whole MiB blocks of one repeated
    /// row, after the header), deflated in a few KB per MiB: one MiB is deflated once, with a
    /// full flush so that the segment stands alone, and repeated.
    pub fn bomb_entry(inflated: u64) -> RawEntry {
        let row = "u-1,,,true,u1,,Ada,Lovelace,,,,,,,,,,,,,,\n";
        let block = row.repeat((1 << 20) / row.len());
        let segment = |text: &[u8], flush| {
            let mut compress = flate2::Compress::new(flate2::Compression::best(), false);
            let mut out = Vec::with_capacity(text.len() / 100 + 1024);
            compress.compress_vec(text, &mut out, flush).expect("deflate");
            assert_eq!(compress.total_in(), text.len() as u64, "the segment took all its text");
            out
        };
        let head = segment(USERS_HEADER.as_bytes(), flate2::FlushCompress::Full);
        let body = segment(block.as_bytes(), flate2::FlushCompress::Full);
        let end = segment(b"", flate2::FlushCompress::Finish);
        let blocks = (inflated.saturating_sub(USERS_HEADER.len() as u64) / block.len() as u64).max(1);
        let mut data = Vec::with_capacity(head.len() + body.len() * blocks as usize + end.len());
        data.extend_from_slice(&head);
        let mut crc = crc32fast::Hasher::new();
        crc.update(USERS_HEADER.as_bytes());
        let block_crc = {
            let mut h = crc32fast::Hasher::new();
            h.update(block.as_bytes());
            h
        };
        for _ in 0..blocks {
            data.extend_from_slice(&body);
            crc.combine(&block_crc);
        }
        data.extend_from_slice(&end);
        let size = USERS_HEADER.len() as u64 + blocks * block.len() as u64;
        RawEntry {
            name: "users.csv".into(),
            data,
            method: 8,
            crc: crc.finalize(),
            size: u32::try_from(size).expect("under 4 GiB"),
            flags: 0,
            unix_mode: Some(0o100_644),
        }
    }

    /// A zip of one users.csv that inflates to about `inflated` bytes (see [`bomb_entry`]).
    pub fn bomb(inflated: u64) -> Vec<u8> {
        zip(&[bomb_entry(inflated)])
    }

    /// [`bomb`], its sizes lying: the zip says the file inflates to 1,000 bytes.
    pub fn lying_bomb(inflated: u64) -> Vec<u8> {
        let mut entry = bomb_entry(inflated);
        entry.size = 1000;
        zip(&[entry])
    }
}

impl Api {
    /// [`Api::get`] sending `host` as the `Host` header instead of [`HOST`], and `headers`, as a
    /// client forging them would (`X-Forwarded-Proto`, …).
    pub async fn get_forged(&self, target: &str, host: &str, headers: &[(&str, &str)]) -> Reply {
        let mut request = axum::http::Request::get(target).header("host", host);
        if let Some(token) = &self.bearer {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request.body(axum::body::Body::empty()).expect("a valid request")).await
    }

    /// A request of any method with `body` as it is (any size, any bytes), as a hostile client
    /// sends it.
    pub async fn send_bytes(&self, method: &str, target: &str, body: Vec<u8>) -> Reply {
        let mut request = axum::http::Request::builder()
            .method(method)
            .uri(target)
            .header("host", HOST)
            .header("content-type", "application/json");
        if let Some(token) = &self.bearer {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        self.send(request.body(axum::body::Body::from(body)).expect("a valid request")).await
    }
}

/// Text an error body must never carry: what the store, the AWS SDK or Rust would say of a
/// failure inside (an answer says what the client did wrong, or nothing).
pub const INTERNAL_TEXT: [&str; 10] = [
    "DynamoDB",
    "dynamodb",
    "ValidationException",
    "dispatch failure",
    "service error",
    "SdkError",
    "unhandled",
    "malformed",
    "panicked",
    "Corrupt",
];

/// Checks that `reply` is a refusal with `status` as OneRoster shapes one: a JSON
/// `imsx_StatusInfo` (failure, a codeMinor, a description) with no store or SDK text in it, and
/// no header longer than 24 KB.
pub fn assert_refused(reply: &Reply, status: u16, what: &str) {
    assert_eq!(reply.status, status, "{what}: {}", String::from_utf8_lossy(&reply.raw[..reply.raw.len().min(400)]));
    assert_eq!(reply.body["imsx_codeMajor"], "failure", "{what}: {}", reply.body);
    assert!(!reply.code_minor().is_empty(), "{what}: {}", reply.body);
    let description = reply.body["imsx_description"].as_str().unwrap_or_default();
    assert!(!description.is_empty() && description.len() < 1000, "{what}: {description}");
    for text in INTERNAL_TEXT {
        assert!(!reply.raw.windows(text.len()).any(|w| w == text.as_bytes()), "{what}: '{text}' in {description}");
    }
    for (name, value) in &reply.headers {
        assert!(value.len() < 24_000, "{what}: header {name} is {} bytes", value.len());
    }
}
