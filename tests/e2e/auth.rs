//! OAuth as a consumer and as a hostile client would use it: the token endpoint, scopes per
//! operation, and every kind of bad token, each answered with the right status and body and
//! never with data.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use district_gen::District;
use e2e::{assert_matches_schema, bulk_zip, client, form, ingest, stack, tenant, Api};
use oneroster_auth::scope::PREFIX;
use oneroster_auth::{KeyRing, Scopes};
use oneroster_openapi::Service;
use oneroster_store::JobState;

const BASE: &str = "/ims/oneroster/rostering/v1p2";

#[tokio::test]
async fn a_consumer_gets_a_token_and_reads_what_its_scopes_allow() {
    let stack = stack().await;
    let t = tenant("flow-district");
    let district =
        District { students: 30, schools: 1, teachers: 2, parents: 4, classes_per_school: 3, line_items_per_class: 0 };
    assert_eq!(ingest(&stack, &t, "bulk.zip", bulk_zip(&district)).await.state, JobState::Applied);
    let holds = Scopes::parse("roster-core.readonly gradebook.readonly").expect("scopes");
    let (client, secret) = client(&stack, &t, &holds).await;
    let anonymous = Api::anonymous(&stack);

    // Google Classroom's way: HTTP Basic, several full scope URIs, one of them not held.
    let asked = format!("{PREFIX}roster-core.readonly {PREFIX}gradebook.readonly {PREFIX}gradebook.delete");
    let reply = anonymous
        .token(&form(&[("grant_type", "client_credentials"), ("scope", &asked)]), Some((&client.id, &secret)))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["token_type"], "Bearer");
    assert_eq!(reply.body["expires_in"], 3600);
    assert_eq!(reply.body["scope"], format!("{PREFIX}gradebook.readonly {PREFIX}roster-core.readonly"));
    assert_eq!(reply.headers["cache-control"], "no-store");
    let api = anonymous.with_bearer(reply.body["access_token"].as_str().expect("token"));

    let users = api.get(&format!("{BASE}/users")).await;
    assert_eq!(
        (users.status, users.total_count()),
        (200, (district.students + district.teachers + district.parents) as u64)
    );
    let forbidden = api.get(&format!("{BASE}/classes/{}/students", district.class_id(0, 0))).await;
    assert_eq!((forbidden.status, forbidden.code_minor()), (403, "forbidden"));
    assert_matches_schema(Service::Rostering, "imsx_StatusInfoDType", &forbidden.body);
    assert!(forbidden.body.get("users").is_none());

    // Credentials in the body work too; asking for nothing grants all the client holds.
    let body_credentials =
        form(&[("grant_type", "client_credentials"), ("client_id", &client.id), ("client_secret", &secret)]);
    let reply = anonymous.token(&body_credentials, None).await;
    assert_eq!((reply.status, reply.body["scope"].as_str()), (200, Some(holds.to_text().as_str())));

    // The public keys verify the token.
    let jwks = anonymous.get("/.well-known/jwks.json").await;
    assert_eq!(jwks.body["keys"][0]["kty"], "OKP");
    let verifier = oneroster_auth::Verifier::new(&jwks.body, local_server::LOCAL_ISSUER);
    let grant = verifier.verify(api.bearer().expect("token")).expect("verifies");
    assert_eq!((grant.tenant(), grant.client()), (t.id(), client.id.as_str()));
}

#[tokio::test]
async fn the_token_endpoint_refuses_as_rfc_6749_says() {
    let stack = stack().await;
    let t = tenant("token-district");
    let (disabled, disabled_secret) = client(&stack, &t, &Scopes::all()).await;
    let (client, secret) = client(&stack, &t, &Scopes::parse("roster.readonly").expect("s")).await;
    stack
        .store()
        .tenant(&t)
        .clients()
        .put(&oneroster_store::OAuthClient { enabled: false, ..disabled.clone() })
        .await
        .expect("disable");
    let api = Api::anonymous(&stack);
    let grant = form(&[("grant_type", "client_credentials")]);
    for (name, body, basic, status, error) in [
        ("wrong secret", grant.clone(), Some((client.id.as_str(), "guess")), 401, "invalid_client"),
        (
            "unknown client",
            grant.clone(),
            Some(("token-district.0000000000000000", secret.as_str())),
            401,
            "invalid_client",
        ),
        ("id of no tenant", grant.clone(), Some(("nobody", secret.as_str())), 401, "invalid_client"),
        (
            "disabled client",
            grant.clone(),
            Some((disabled.id.as_str(), disabled_secret.as_str())),
            401,
            "invalid_client",
        ),
        ("no credentials", grant.clone(), None, 401, "invalid_client"),
        ("no grant type", String::new(), Some((client.id.as_str(), secret.as_str())), 400, "invalid_request"),
        (
            "password grant",
            form(&[("grant_type", "password")]),
            Some((client.id.as_str(), secret.as_str())),
            400,
            "unsupported_grant_type",
        ),
        (
            "a scope not held",
            form(&[("grant_type", "client_credentials"), ("scope", "gradebook.delete")]),
            Some((client.id.as_str(), secret.as_str())),
            400,
            "invalid_scope",
        ),
        (
            "no such scope",
            form(&[("grant_type", "client_credentials"), ("scope", "admin")]),
            Some((client.id.as_str(), secret.as_str())),
            400,
            "invalid_scope",
        ),
    ] {
        let reply = api.token(&body, basic).await;
        assert_eq!((reply.status, reply.body["error"].as_str()), (status, Some(error)), "{name}: {}", reply.body);
        assert!(reply.body.get("access_token").is_none(), "{name}");
    }
    let wrong = api.token(&grant, Some((&client.id, "guess"))).await;
    assert_eq!(wrong.headers["www-authenticate"], "Basic realm=\"oneroster\"");
}

#[tokio::test]
async fn hostile_tokens_get_401_and_no_data() {
    let stack = stack().await;
    let (a, b) = (tenant("victim-district"), tenant("other-district"));
    let district =
        District { students: 20, schools: 1, teachers: 2, parents: 2, classes_per_school: 2, line_items_per_class: 0 };
    assert_eq!(ingest(&stack, &a, "bulk.zip", bulk_zip(&district)).await.state, JobState::Applied);
    let legit = Api::new(&stack, &a).await;
    let token = legit.bearer().expect("token").to_owned();
    let public_x = legit.get("/.well-known/jwks.json").await.body["keys"][0]["x"].as_str().expect("x").to_owned();
    let (header, claims) = {
        let mut parts = token.split('.');
        (parts.next().expect("header").to_owned(), parts.next().expect("claims").to_owned())
    };
    let json = |part: &str| -> serde_json::Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("b64")).expect("json")
    };
    let encode = |value: serde_json::Value| URL_SAFE_NO_PAD.encode(value.to_string());
    let alg_none = format!("{}.{claims}.", encode(serde_json::json!({"alg": "none", "typ": "JWT"})));
    let hs256_with_public_key = {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        header.kid = json(&header_of(&token))["kid"].as_str().map(str::to_owned);
        jsonwebtoken::encode(&header, &json(&claims), &jsonwebtoken::EncodingKey::from_secret(public_x.as_bytes()))
            .expect("hs")
    };
    let mut widened = json(&claims);
    widened["tenant"] = "other-district".into();
    let tenant_swapped = format!("{header}.{}.{}", encode(widened), token.rsplit('.').next().expect("signature"));
    let foreign_keys =
        oneroster_auth::Issuer::new(KeyRing::generate("local-1").expect("keys"), local_server::LOCAL_ISSUER, 60);
    let foreign = foreign_keys.issue(&a, "victim-district.0000000000000000", &Scopes::all()).0;
    let student = district.student_id(0);
    for (name, bearer) in [
        ("garbage", Some("garbage".to_owned())),
        ("empty", Some(String::new())),
        ("alg none", Some(alg_none)),
        ("HS256 signed with the public key", Some(hs256_with_public_key)),
        ("claims changed after signing", Some(tenant_swapped)),
        ("signed by another key with the same kid", Some(foreign)),
        ("no token", None),
    ] {
        let api = match &bearer {
            Some(token) => Api::anonymous(&stack).with_bearer(token),
            None => Api::anonymous(&stack),
        };
        for path in [format!("{BASE}/users"), format!("{BASE}/users/{student}")] {
            let reply = api.get(&path).await;
            assert_eq!((reply.status, reply.code_minor()), (401, "unauthorisedrequest"), "{name} {path}");
            assert_eq!(reply.headers["www-authenticate"], "Bearer", "{name}");
            assert_matches_schema(Service::Rostering, "imsx_StatusInfoDType", &reply.body);
        }
    }

    // A valid token of another district sees nothing of this one.
    let other = Api::new(&stack, &b).await;
    assert_eq!(other.get(&format!("{BASE}/users/{student}")).await.status, 404);
    assert_eq!(other.get(&format!("{BASE}/users")).await.total_count(), 0);

    // A revoked client's token stops working (the gate rechecks the client).
    let revoked = legit.get(&format!("{BASE}/users/{student}")).await;
    assert_eq!(revoked.status, 200);
    let grant =
        oneroster_auth::Verifier::new(&stack.issuer.jwks(), local_server::LOCAL_ISSUER).verify(&token).expect("valid");
    let mut client = stack.store().tenant(&a).clients().get(grant.client()).await.expect("read").expect("client");
    client.enabled = false;
    stack.store().tenant(&a).clients().put(&client).await.expect("revoke");
    let reply = legit.get(&format!("{BASE}/users/{student}")).await;
    assert_eq!((reply.status, reply.code_minor()), (401, "unauthorisedrequest"));
}

fn header_of(token: &str) -> String {
    token.split('.').next().unwrap_or_default().to_owned()
}

/// Collects what a JSON `tracing` subscriber writes.
#[derive(Clone, Default)]
pub(crate) struct Log(pub(crate) std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Log {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().map_err(|_| std::io::Error::other("poisoned"))?.extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every log line of the test process, as the JSON subscriber of a Lambda writes it. One
/// process-wide subscriber: a per-thread one misses events whose callsites other test threads
/// registered first.
pub(crate) fn process_log() -> &'static Log {
    static LOG: std::sync::OnceLock<Log> = std::sync::OnceLock::new();
    LOG.get_or_init(|| {
        let log = Log::default();
        let sink = log.clone();
        let subscriber =
            tracing_subscriber::fmt().json().with_current_span(true).with_writer(move || sink.clone()).finish();
        tracing::subscriber::set_global_default(subscriber).expect("the only global subscriber of the tests");
        log
    })
}

#[tokio::test]
async fn every_access_is_audited_refused_ones_too() {
    let log = process_log();
    let stack = stack().await;
    let t = tenant("audited-district");
    let api = Api::new(&stack, &t).await;
    let ours = [("x-request-id", "audit-test-read")];
    let reply = api.get_with(&format!("{BASE}/users?filter=givenName%3D'Ada'"), &ours, "").await;
    assert_eq!(reply.status, 200);
    let anonymous = [("x-request-id", "audit-test-refused")];
    assert_eq!(Api::anonymous(&stack).get_with(&format!("{BASE}/users"), &anonymous, "").await.status, 401);
    let write = api
        .with_request_id("audit-test-write")
        .send_json(
            "PUT",
            "/ims/oneroster/gradebook/v1p2/categories/audit-cat",
            r#"{"category": {"title": "Adaline's extra credit", "weight": 2}}"#,
        )
        .await;
    assert_eq!(write.status, 201, "{}", write.body);
    let text = String::from_utf8(log.0.lock().expect("log").clone()).expect("utf-8");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|event| event["span"]["request_id"].as_str().is_some_and(|id| id.starts_with("audit-test-")))
        .collect();
    let audit: Vec<&serde_json::Value> = lines.iter().filter(|event| event["target"] == "audit").collect();
    assert_eq!(audit.len(), 3, "{text}");
    assert_eq!(audit[0]["fields"]["operation"], "getAllUsers");
    assert_eq!(audit[0]["fields"]["status"], 200);
    assert_eq!(audit[0]["span"]["tenant"], "audited-district");
    assert!(audit[0]["span"]["client"].as_str().is_some_and(|c| c.starts_with("audited-district.")));
    assert_eq!(audit[1]["fields"]["status"], 401);
    // A write says what it changed (the properties, not their values).
    assert_eq!(audit[2]["fields"]["operation"], "putCategory");
    assert_eq!(audit[2]["fields"]["change"], "created categories/audit-cat (title, weight; 1 item)");
    assert!(!lines.iter().any(|line| line.to_string().contains("Ada")), "query values and bodies are not logged");
}

/// The code that serves API requests and uploads gets its tenant only from a verified token,
/// an upload's key or a client id being authenticated ([`oneroster_store::Tenant`]): it never
/// names one itself.
#[test]
fn code_serving_requests_and_uploads_never_names_a_tenant_itself() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let crates = [
        "functions/auth",
        "functions/ingest",
        "shared/ingest",
        "functions/rostering",
        "functions/resources",
        "functions/gradebook",
        "shared/http",
        "shared/writes",
        "functions/webhooks",
        "shared/webhooks",
    ];
    let mut offending = Vec::new();
    let mut read = 0;
    let mut folders: Vec<std::path::PathBuf> = crates.iter().map(|c| root.join(c).join("src")).collect();
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("a source folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("readable");
                read += 1;
                for forbidden in ["Tenant::by_operator", "Tenant::of_verified_token", "TenantId::parse"] {
                    if text.contains(forbidden) {
                        offending.push(format!("{}: {forbidden}", path.display()));
                    }
                }
            }
        }
    }
    assert!(read >= 10, "only {read} files read");
    assert_eq!(offending, Vec::<String>::new());
}
