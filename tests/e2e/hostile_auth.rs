//! The token endpoint and the gate under attack, and what holds keys and secrets: guesses
//! limited per source address and per client id (429 with `Retry-After`, counted in the
//! table, reset after the window), the source address taken from API Gateway and never from
//! `X-Forwarded-For`, an unknown client costing one hash as a wrong secret does, secret checks
//! bounded per instance (503), ids not of the client id shape refused without a store call;
//! tokens whose tenant is not their client's, or that are not yet valid, refused; the public
//! keys read again on a timer; `[redacted]` wherever a key or secret could print; and the
//! template's denials of auth item writes and its KMS conditions.

use auth::guard::{Guard, Limits};
use e2e::{client, form, stack, tenant, Api, Reply};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use oneroster_auth::{secret, Issuer, KeyRing, Scopes, Verifier};
use oneroster_http::Gate;
use oneroster_store::{keys, PublishedKeys, Store};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

const GRANT: &str = "grant_type=client_credentials";
const USERS: &str = "/ims/oneroster/rostering/v1p2/users";

fn address(last: u8) -> SocketAddr {
    SocketAddr::from(([198, 51, 100, last], 40000))
}

/// The auth function's router over the stack's store, with `limits`, and its guard.
fn token_endpoint(stack: &local_server::LocalStack, limits: Limits) -> (Api, Arc<Guard>) {
    let guard = Guard::new(limits);
    let router = auth::router_with(stack.store().clone(), stack.issuer.clone(), None, guard.clone());
    (Api::over(router), guard)
}

fn assert_limited(reply: &Reply, window: Duration, what: &str) {
    assert_eq!((reply.status, reply.body["error"].as_str()), (429, Some("temporarily_unavailable")), "{what}");
    let retry = reply.retry_after().expect("Retry-After");
    assert!((1..=window.as_secs()).contains(&retry), "{what}: Retry-After {retry}");
    assert!(reply.body.get("access_token").is_none());
}

#[tokio::test]
async fn a_burst_of_wrong_secrets_is_limited_and_the_right_secret_still_works_elsewhere() {
    let stack = stack().await;
    let t = tenant("burst-district");
    let (app, right) = client(&stack, &t, &Scopes::all()).await;
    let window = Duration::from_secs(6);
    let limits = Limits { failures_per_address: 3, failures_per_client: 6, window, ..Limits::default() };
    let (api, guard) = token_endpoint(&stack, limits);
    let wrong = Some((app.id.as_str(), "guess"));
    let right = Some((app.id.as_str(), right.as_str()));
    let started = Instant::now();

    // From one address: three guesses are checked, then the address waits, right secret or not.
    for _ in 0..3 {
        assert_eq!(api.token_from(address(1), GRANT, wrong).await.status, 401);
    }
    assert_limited(&api.token_from(address(1), GRANT, wrong).await, window, "the fourth guess");
    assert_limited(&api.token_from(address(1), GRANT, right).await, window, "the right secret from there");
    assert_eq!(guard.hashes_checked(), 3, "refused requests cost no hash");

    // From another address the client still gets its token (its own count is at 3 of 6).
    let reply = api.token_from(address(2), GRANT, right).await;
    assert_eq!(reply.status, 200, "{}", reply.body);

    // Guesses from several addresses add up for the client: then it waits everywhere.
    for last in [3, 3, 4] {
        assert_eq!(api.token_from(address(last), GRANT, wrong).await.status, 401);
    }
    assert_limited(&api.token_from(address(5), GRANT, right).await, window, "a client at its limit");
    assert!(started.elapsed() < window, "the burst took longer than its window; the test proves nothing");

    // The windows close: the first address and the client are served again.
    tokio::time::sleep(window.saturating_sub(started.elapsed()) + Duration::from_millis(1100)).await;
    let reply = api.token_from(address(1), GRANT, right).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(api.token_from(address(1), GRANT, wrong).await.status, 401, "a new window counts from one");
}

/// An API Gateway HTTP API event for `POST /oauth/token` from `source_ip`, carrying the
/// client's own `X-Forwarded-For`.
fn token_event(source_ip: &str, forwarded_for: &str, body: &str) -> Value {
    use base64::Engine;
    let mut event: Value = serde_json::from_str(include_str!("events/http-api-v2-request.json")).expect("JSON");
    event["rawPath"] = json!("/oauth/token");
    event["rawQueryString"] = json!("");
    event["routeKey"] = json!("POST /oauth/token");
    event["queryStringParameters"] = json!({});
    event.as_object_mut().map(|e| e.remove("pathParameters"));
    let context = &mut event["requestContext"];
    context["routeKey"] = json!("POST /oauth/token");
    context["http"]["method"] = json!("POST");
    context["http"]["path"] = json!("/oauth/token");
    context["http"]["sourceIp"] = json!(source_ip);
    let headers = event["headers"].as_object_mut().expect("headers");
    headers.remove("authorization");
    headers.remove("accept-encoding");
    headers.insert("x-forwarded-for".into(), json!(forwarded_for));
    headers.insert("content-type".into(), json!("application/x-www-form-urlencoded"));
    headers.insert("content-length".into(), json!(body.len().to_string()));
    event["body"] = json!(base64::engine::general_purpose::STANDARD.encode(body));
    event["isBase64Encoded"] = json!(true);
    event
}

/// Runs the auth router as its Lambda does on `event`: status, `Retry-After`, body.
async fn invoke(router: axum::Router, event: Value) -> (u16, Option<String>, Value) {
    use tower::ServiceExt;
    let request: lambda_http::request::LambdaRequest = serde_json::from_value(event).expect("an HTTP API event");
    let invocation = lambda_http::LambdaEvent::new(request, lambda_http::Context::default());
    let answer = oneroster_http::lambda::handler(router).oneshot(invocation).await.expect("an answer");
    let answer = serde_json::to_value(&answer).expect("JSON");
    let status = answer["statusCode"].as_u64().unwrap_or_default() as u16;
    let retry = answer["headers"]["retry-after"].as_str().map(str::to_owned);
    let body = serde_json::from_str(answer["body"].as_str().unwrap_or_default()).unwrap_or(Value::Null);
    (status, retry, body)
}

#[tokio::test]
async fn the_source_address_is_api_gateways_never_x_forwarded_for() {
    let stack = stack().await;
    let t = tenant("forwarded-district");
    let (app, right) = client(&stack, &t, &Scopes::all()).await;
    let limits = Limits { failures_per_address: 2, failures_per_client: 100, ..Limits::default() };
    let router = auth::router_with(stack.store().clone(), stack.issuer.clone(), None, Guard::new(limits));
    let wrong = form(&[("grant_type", "client_credentials"), ("client_id", &app.id), ("client_secret", "guess")]);
    let right = form(&[("grant_type", "client_credentials"), ("client_id", &app.id), ("client_secret", &right)]);
    // A new X-Forwarded-For each time changes nothing: the address is API Gateway's.
    for (i, expected) in [401, 401, 429].into_iter().enumerate() {
        let (status, retry, body) =
            invoke(router.clone(), token_event("203.0.113.7", &format!("10.0.0.{i}"), &wrong)).await;
        assert_eq!(status, expected, "guess {i}: {body}");
        assert_eq!(retry.is_some(), expected == 429);
    }
    // Claiming another address in the header does not help the limited one…
    let (status, _, _) = invoke(router.clone(), token_event("203.0.113.7", "203.0.113.8", &right)).await;
    assert_eq!(status, 429);
    // …and a limited address named in the header does not harm a clean one.
    let (status, _, body) = invoke(router.clone(), token_event("203.0.113.8", "203.0.113.7", &right)).await;
    assert_eq!(status, 200, "{body}");
}

/// The time one argon2id check takes on this machine now (the fastest of three).
async fn hash_time() -> Duration {
    let mut fastest = Duration::MAX;
    for _ in 0..3 {
        let started = Instant::now();
        tokio::task::spawn_blocking(|| secret::verify("guess", secret::DECOY_HASH)).await.expect("hashed");
        fastest = fastest.min(started.elapsed());
    }
    fastest
}

#[tokio::test]
async fn an_unknown_client_costs_what_a_wrong_secret_costs() {
    let stack = stack().await;
    let t = tenant("cost-district");
    let (app, _) = client(&stack, &t, &Scopes::all()).await;
    let (disabled, disabled_secret) = client(&stack, &t, &Scopes::all()).await;
    admin::revoke_client(stack.store(), &disabled.id).await.expect("revoke");
    let (api, guard) = token_endpoint(&stack, Limits::default());
    let hash = hash_time().await;
    let cases = [
        ("wrong secret", app.id.clone(), "guess".to_owned()),
        ("unknown client", "cost-district.00000000deadbeef".to_owned(), "guess".to_owned()),
        ("unknown tenant", "no-such-district.00000000deadbeef".to_owned(), "guess".to_owned()),
        ("disabled client, right secret", disabled.id.clone(), disabled_secret.clone()),
    ];
    for (i, (name, id, guess)) in cases.iter().enumerate() {
        let before = guard.hashes_checked();
        let started = Instant::now();
        let reply = api.token_from(address(10 + i as u8), GRANT, Some((id, guess))).await;
        let took = started.elapsed();
        assert_eq!((reply.status, reply.body["error"].as_str()), (401, Some("invalid_client")), "{name}");
        assert_eq!(reply.body["error_description"], "unknown client, disabled client or wrong secret", "{name}");
        assert_eq!(guard.hashes_checked(), before + 1, "{name}: one hash");
        assert!(took >= hash / 2, "{name}: {took:?}, while a hash takes {hash:?}");
    }
}

#[tokio::test]
async fn text_that_is_no_client_id_is_refused_without_the_store() {
    // A store that cannot be reached: any call to it would answer 500.
    let aws = aws_config::from_env().region(aws_config::Region::new("us-east-1")).load().await;
    let dead = Store::connect(&aws, Some("http://127.0.0.1:9"), "no-table");
    let issuer = Issuer::new(KeyRing::generate("k").expect("keys"), "urn:test", 60);
    let guard = Guard::new(Limits::default());
    let api = Api::over(auth::router_with(dead, issuer, None, guard.clone()));
    let long_id = format!("district.{}", "a".repeat(2000));
    let long_secret = "s".repeat(2000);
    for (name, id, secret) in [
        ("an id over 1,024 bytes", long_id.as_str(), "guess"),
        ("an id of no tenant", "nobody", "guess"),
        ("a random part that is not hex", "district.not-hex-at-all!", "guess"),
        ("an upper-case tenant", "District.00112233aabbccdd", "guess"),
        ("a secret over 1,024 bytes", "district.00112233aabbccdd", long_secret.as_str()),
    ] {
        let body = form(&[("grant_type", "client_credentials"), ("client_id", id), ("client_secret", secret)]);
        let reply = api.token(&body, None).await;
        assert_eq!((reply.status, reply.body["error"].as_str()), (401, Some("invalid_client")), "{name}");
    }
    assert_eq!(guard.hashes_checked(), 0);
    // A well-formed id does go to the store (here: down, so 500), which shows the above did not.
    let body = form(&[
        ("grant_type", "client_credentials"),
        ("client_id", "district.00112233aabbccdd"),
        ("client_secret", "x"),
    ]);
    assert_eq!(api.token(&body, None).await.status, 500);
}

#[tokio::test]
async fn secret_checks_past_the_bound_are_answered_503_at_once() {
    let stack = stack().await;
    let t = tenant("busy-district");
    let (app, _) = client(&stack, &t, &Scopes::all()).await;
    let limits = Limits { concurrent_hashes: 1, hash_wait: Duration::from_millis(20), ..Limits::default() };
    let (api, guard) = token_endpoint(&stack, limits);
    let mut guesses = tokio::task::JoinSet::new();
    for last in 0..8u8 {
        let (api, id) = (api.clone(), app.id.clone());
        guesses.spawn(async move {
            let started = Instant::now();
            let reply = api.token_from(address(100 + last), GRANT, Some((&id, "guess"))).await;
            (reply.status, reply.retry_after(), started.elapsed())
        });
    }
    let mut statuses = Vec::new();
    while let Some(done) = guesses.join_next().await {
        let (status, retry, took) = done.expect("a guess");
        if status == 503 {
            assert_eq!(retry, Some(1));
            assert!(took < Duration::from_secs(5), "a busy answer took {took:?}");
        }
        statuses.push(status);
    }
    statuses.sort_unstable();
    assert!(statuses.iter().all(|s| [401, 503].contains(s)), "{statuses:?}");
    assert!(statuses.contains(&503) && statuses.contains(&401), "{statuses:?}");
    assert_eq!(guard.hashes_checked(), statuses.iter().filter(|s| **s == 401).count() as u64);
}

/// A ring of the test's own, and a token signed by it with `claims` changed.
struct Signer {
    ring: KeyRing,
}

const ISSUER: &str = "https://auth.hostile.test";

impl Signer {
    fn new(kid: &str) -> Self {
        Self { ring: KeyRing::generate(kid).expect("keys") }
    }

    fn verifier(&self) -> Verifier {
        Verifier::new(&self.ring.jwks(), ISSUER)
    }

    /// A token of `tenant` for `client`, valid now, with `changes` to its claims.
    fn token(&self, tenant: &str, client: &str, changes: &[(&str, i64)]) -> String {
        let config: Value = serde_json::from_str(&self.ring.to_config()).expect("config");
        let key = &config["keys"][0];
        let der =
            base64::Engine::decode(&base64::engine::general_purpose::STANDARD, key["private"].as_str().expect("key"))
                .expect("base64");
        let now = chrono::Utc::now().timestamp();
        let mut claims = json!({"iss": ISSUER, "aud": oneroster_auth::AUDIENCE, "sub": client, "tenant": tenant,
                                "scope": Scopes::all().to_text(), "iat": now, "nbf": now, "exp": now + 600});
        for (name, offset) in changes {
            claims[*name] = json!(now + offset);
        }
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = key["kid"].as_str().map(str::to_owned);
        jsonwebtoken::encode(&header, &claims, &EncodingKey::from_ed_der(&der)).expect("signed")
    }
}

#[tokio::test]
async fn a_token_whose_tenant_is_not_its_clients_is_refused_even_with_the_client_cached() {
    let stack = stack().await;
    let (a, b) = (tenant("cache-a"), tenant("cache-b"));
    let (client_a, _) = client(&stack, &a, &Scopes::all()).await;
    let (client_b, _) = client(&stack, &b, &Scopes::all()).await;
    let signer = Signer::new("cache-key");
    let gate = Arc::new(Gate::new(signer.verifier(), stack.store().clone(), Duration::from_secs(60)));
    let api = Api::over(rostering::router(stack.store().clone(), gate));
    let get = |token: String| {
        let api = api.with_bearer(&token);
        async move { api.get(USERS).await }
    };
    // A's client is looked up once and trusted for a minute…
    assert_eq!(get(signer.token("cache-a", &client_a.id, &[])).await.status, 200);
    // …but only for tenant A: the same client id under tenant B, or B's client under A, is refused.
    for (tenant, client) in [("cache-b", &client_a.id), ("cache-a", &client_b.id)] {
        let reply = get(signer.token(tenant, client, &[])).await;
        assert_eq!((reply.status, reply.code_minor()), (401, "unauthorisedrequest"), "{tenant} {client}");
    }
    assert_eq!(get(signer.token("cache-b", &client_b.id, &[])).await.status, 200);
}

#[tokio::test]
async fn tokens_are_refused_before_their_time_and_issued_with_it() {
    let stack = stack().await;
    let t = tenant("time-district");
    let (app, secret) = client(&stack, &t, &Scopes::all()).await;
    let signer = Signer::new("time-key");
    let gate = Arc::new(Gate::new(signer.verifier(), stack.store().clone(), Duration::ZERO));
    let api = Api::over(rostering::router(stack.store().clone(), gate));
    for (name, changes, status) in [
        ("valid now", vec![], 200),
        ("a few seconds' clock difference", vec![("iat", 10), ("nbf", 10)], 200),
        ("not valid for two minutes", vec![("nbf", 120)], 401),
        ("issued two minutes from now", vec![("iat", 120)], 401),
        ("expired a minute ago", vec![("exp", -60)], 401),
    ] {
        let reply = api.with_bearer(&signer.token("time-district", &app.id, &changes)).get(USERS).await;
        assert_eq!(reply.status, status, "{name}");
    }
    // Tokens the endpoint issues carry both.
    let reply = Api::anonymous(&stack).token(GRANT, Some((&app.id, &secret))).await;
    let token = reply.body["access_token"].as_str().expect("a token");
    let claims: Value = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            token.split('.').nth(1).expect("claims"),
        )
        .expect("base64"),
    )
    .expect("JSON");
    let now = chrono::Utc::now().timestamp();
    for claim in ["iat", "nbf"] {
        assert!(claims[claim].as_i64().is_some_and(|t| (now - 5..=now + 1).contains(&t)), "{claim}: {claims}");
    }
}

#[tokio::test]
async fn published_keys_are_read_again_on_a_timer() {
    let stack = stack().await;
    let t = tenant("timer-district");
    let (app, _) = client(&stack, &t, &Scopes::all()).await;
    let store = stack.store().clone();
    let mut ring = KeyRing::generate("old").expect("keys");
    store.publish_keys(&PublishedKeys { jwks: ring.jwks() }).await.expect("publish");
    let refresh = Duration::from_secs(2);
    let created = Instant::now();
    let gate = Gate::with_published_keys_every(store.clone(), ISSUER, Duration::ZERO, refresh).await.expect("gate");
    let api = Api::over(resources::router(store.clone(), Arc::new(gate)));
    let old = Signer { ring: ring.clone() }.token("timer-district", &app.id, &[]);
    let status = |token: String| {
        let api = api.with_bearer(&token);
        async move { api.get("/ims/oneroster/resources/v1p2/resources").await.status }
    };
    assert_eq!(status(old.clone()).await, 200);
    // The old key is withdrawn from the table (leaked, say): no token names an unknown key, so
    // only the timer brings the change.
    ring.rotate("new").expect("rotate");
    ring.retire(1);
    store.publish_keys(&PublishedKeys { jwks: ring.jwks() }).await.expect("publish");
    let kept = status(old.clone()).await;
    if created.elapsed() < refresh {
        assert_eq!(kept, 200, "within the refresh period the keys in use stay");
    }
    tokio::time::sleep(refresh.saturating_sub(created.elapsed()) + Duration::from_millis(200)).await;
    assert_eq!(status(old).await, 401, "a withdrawn key stops verifying");
    assert_eq!(status(Signer { ring }.token("timer-district", &app.id, &[])).await, 200);
}

#[tokio::test]
async fn nothing_that_holds_a_key_or_secret_prints_it() {
    let stack = stack().await;
    let t = tenant("redacted-district");
    let (app, secret_text) = client(&stack, &t, &Scopes::all()).await;
    let stored = stack.store().tenant(&t).clients().get(&app.id).await.expect("read").expect("client");
    let ring = KeyRing::generate("printed").expect("keys");
    let config: Value = serde_json::from_str(&ring.to_config()).expect("config");
    let private = config["keys"][0]["private"].as_str().expect("private").to_owned();
    let issuer = Issuer::new(ring.clone(), ISSUER, 60);
    let (generated, generated_hash) = secret::generate();
    let aws = aws_config::from_env().region(aws_config::Region::new("us-east-1")).load().await;
    let signing_secret = oneroster_secrets::SigningSecret::new(&aws, Some("http://127.0.0.1:9"), "signing-keys");
    let shown = [
        ("key ring", format!("{ring:?}")),
        ("issuer", format!("{issuer:#?}")),
        ("client secret", format!("{generated:?}")),
        ("presented secret", format!("{:?}", oneroster_auth::ClientSecret::presented(secret_text.clone()))),
        ("stored client", format!("{stored:?}")),
        ("signing-keys secret", format!("{signing_secret:?}")),
        ("local stack", format!("{stack:?}")),
    ];
    for (what, text) in &shown {
        assert!(text.contains("[redacted]"), "{what}: {text}");
        for (name, secret) in [
            ("the private key", private.as_str()),
            ("the client secret", secret_text.as_str()),
            ("the generated secret", generated.expose()),
            ("the stored hash", stored.secret_hash.as_str()),
            ("a generated hash", generated_hash.as_str()),
            ("argon2id", "$argon2id$"),
        ] {
            assert!(!text.contains(secret), "{what} prints {name}: {text}");
        }
    }
}

// --- The template -------------------------------------------------------------------------

/// What `!Ref X`, `!GetAtt X.Y` or `!Sub …` names, else the plain text.
pub(crate) fn text(value: &yaml_serde::Value) -> Option<String> {
    match value {
        yaml_serde::Value::Tagged(tagged) => Some(format!("{} {}", tagged.tag, text(&tagged.value)?)),
        yaml_serde::Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

pub(crate) fn strings(value: &yaml_serde::Value) -> Vec<String> {
    match value {
        yaml_serde::Value::Sequence(items) => items.iter().filter_map(text).collect(),
        other => text(other).into_iter().collect(),
    }
}

/// Every policy statement a function's role holds: inline ones and those of the managed
/// policies it names.
pub(crate) fn statements<'a>(template: &'a yaml_serde::Value, function: &str) -> Vec<&'a yaml_serde::Value> {
    let policies = template["Resources"][function]["Properties"]["Policies"].as_sequence().expect("policies");
    let mut found = Vec::new();
    for policy in policies {
        let document = match text(policy).as_deref().and_then(|t| t.strip_prefix("!Ref ")) {
            Some(managed) => &template["Resources"][managed]["Properties"]["PolicyDocument"],
            None => policy,
        };
        found.extend(document["Statement"].as_sequence().into_iter().flatten());
    }
    found
}

/// IAM's `StringLike`: `*` any run of characters, `?` any one.
fn like(value: &str, pattern: &str) -> bool {
    let (v, p): (Vec<char>, Vec<char>) = (value.chars().collect(), pattern.chars().collect());
    let mut matches = vec![vec![false; p.len() + 1]; v.len() + 1];
    matches[0][0] = true;
    for j in 1..=p.len() {
        matches[0][j] = p[j - 1] == '*' && matches[0][j - 1];
    }
    for i in 1..=v.len() {
        for j in 1..=p.len() {
            matches[i][j] = match p[j - 1] {
                '*' => matches[i][j - 1] || matches[i - 1][j],
                '?' => matches[i - 1][j - 1],
                c => c == v[i - 1] && matches[i - 1][j - 1],
            };
        }
    }
    matches[v.len()][p.len()]
}

/// Whether a statement's condition holds for a request naming the partition keys `keys`
/// (the operators this template uses on `dynamodb:LeadingKeys`; any other fails the test).
pub(crate) fn condition_holds(statement: &yaml_serde::Value, keys: &[&str]) -> bool {
    let conditions = statement["Condition"].as_mapping().expect("a condition");
    conditions.iter().all(|(operator, tests)| {
        let patterns = strings(&tests["dynamodb:LeadingKeys"]);
        let any_like = |k: &&str| patterns.iter().any(|p| like(k, p));
        match operator.as_str().expect("an operator") {
            "ForAnyValue:StringLike" => keys.iter().any(any_like),
            "ForAnyValue:StringNotLike" => keys.iter().any(|k| !any_like(k)),
            "ForAllValues:StringLike" => keys.iter().all(any_like),
            "ForAllValues:StringNotLike" => keys.iter().all(|k| !any_like(k)),
            "Null" => strings(&tests["dynamodb:LeadingKeys"]) == ["false"] && !keys.is_empty(),
            other => panic!("an operator this test does not know: {other}"),
        }
    })
}

#[test]
fn the_template_keeps_auth_items_from_the_writing_roles_and_pins_the_kms_account() {
    let template: yaml_serde::Value =
        yaml_serde::from_str(include_str!("../../infra/template.yaml")).expect("the template is YAML");
    let district = oneroster_model::TenantId::parse("district-1").expect("a tenant");
    let client_partition = keys::clients_partition(&district);
    let keys_partition = keys::published_keys_key().pk;
    let registry = keys::tenant_registry_key(&district).pk;
    let failures = keys::auth_failures_key("client", "district-1.00112233aabbccdd").pk;
    let api_keys = keys::api_keys_partition(&district);
    // Audit events (erasures, purges): written by the operators' tool and the purge alone.
    let audit = keys::audit_partition(&district);
    let protected = [
        keys_partition.as_str(),
        registry.as_str(),
        failures.as_str(),
        client_partition.as_str(),
        api_keys.as_str(),
        audit.as_str(),
    ];
    // What the ingest and the API's writers write, a parent named `client` included.
    let client_id = oneroster_model::SourcedId::parse("client").expect("an id");
    let entry = oneroster_model::Link {
        relation: oneroster_model::Relation::ClassStudents,
        parent: client_id.clone(),
        child: oneroster_model::SourcedId::parse("u-1").expect("an id"),
        via: None,
    };
    let district_data = [
        keys::record_key(&district, oneroster_model::Collection::Classes, "client").pk,
        keys::link_key(&district, &entry).pk,
        keys::pack_key(&district, oneroster_model::Relation::ClassStudents, "client", 0).pk,
        keys::stats_key(&district, "classes").pk,
        keys::jobs_partition(&district),
        keys::lock_key(&district).pk,
    ];
    assert!(district_data[1].ends_with("#client") && district_data[2].ends_with("#client"), "{district_data:?}");

    for function in ["IngestFunction", "RosteringFunction", "ResourcesFunction", "GradebookFunction", "V1p2Function"] {
        let denials: Vec<_> = statements(&template, function)
            .into_iter()
            .filter(|s| s["Effect"].as_str() == Some("Deny"))
            .filter(|s| strings(&s["Resource"]).iter().any(|r| r == "!GetAtt Table.Arn"))
            .collect();
        let denied = |action: &str, keys: &[&str]| {
            denials.iter().any(|s| strings(&s["Action"]).iter().any(|a| a == action) && condition_holds(s, keys))
        };
        for action in ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"] {
            for key in protected {
                assert!(denied(action, &[key]), "{function} may {action} {key}");
            }
            for key in &district_data {
                assert!(!denied(action, &[key]), "{function} is denied {action} on its own data {key}");
            }
            // A batch naming a protected key among district data is denied whole.
            assert!(denied(action, &[district_data[1].as_str(), &client_partition]), "{function}: a mixed {action}");
        }
    }

    // The auth function writes failure counts, and nothing else.
    let auth = statements(&template, "AuthFunction");
    let writes: Vec<_> = auth
        .iter()
        .filter(|s| s["Effect"].as_str() == Some("Allow"))
        .filter(|s| strings(&s["Action"]).iter().any(|a| a.starts_with("dynamodb:") && a != "dynamodb:GetItem"))
        .collect();
    assert_eq!(writes.len(), 1, "one write statement");
    assert_eq!(strings(&writes[0]["Action"]), ["dynamodb:UpdateItem"]);
    assert!(condition_holds(writes[0], &[&failures]));
    assert!(condition_holds(writes[0], &[&keys::auth_failures_key("address", "192.0.2.1").pk]));
    let others = protected.iter().copied().filter(|k| !k.starts_with(keys::AUTH_FAILURES));
    for key in others.chain(district_data.iter().map(String::as_str)) {
        assert!(!condition_holds(writes[0], &[key]), "the auth function may write {key}");
    }
    assert!(!condition_holds(writes[0], &[]), "a request without keys");

    // Every service the data key serves uses it for this account only.
    let key_policy = &template["Resources"]["DataKey"]["Properties"]["KeyPolicy"]["Statement"];
    let services: Vec<_> =
        key_policy.as_sequence().expect("statements").iter().filter(|s| !s["Principal"]["Service"].is_null()).collect();
    assert_eq!(services.len(), 3, "logs, alarms, uploads");
    for statement in services {
        let conditions = statement["Condition"].as_mapping().expect("a condition");
        let account = conditions
            .iter()
            .filter(|(operator, _)| operator.as_str().is_some_and(|o| o.starts_with("StringEquals")))
            .filter_map(|(_, tests)| text(&tests["aws:SourceAccount"]))
            .collect::<Vec<_>>();
        assert_eq!(account, ["!Ref AWS::AccountId"], "{:?}", statement["Sid"]);
    }
}
