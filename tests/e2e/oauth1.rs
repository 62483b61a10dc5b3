//! Auth for OneRoster 1.1 consumers: OAuth 1.0a signed requests, signed by Python's `oauthlib`
//! (a signer written independently of the verifier, installed with the local stack) and served
//! by the real router over DynamoDB Local and moto's KMS; tokens asked for with 1.1's scope
//! URIs, or with none, by HTTP Basic as Google's and Moodle's 1.1 clients ask; and the
//! template's policy for what the gate does.

use crate::hostile_auth::{condition_holds, statements, strings};
use crate::lambda_events::{invoke_event, Call, Functions, ROSTERING};
use district_gen::District;
use e2e::{bulk_zip, form, guid_district, ingest, stack, tenant, unique, Api, Reply, HOST};
use local_server::LocalStack;
use oneroster_auth::scope::{PREFIX, V1P1_PREFIX};
use oneroster_auth::Scopes;
use oneroster_store::{keys, JobState, OAuthClient};
use serde_json::{json, Value};

const USERS: &str = "/ims/oneroster/rostering/v1p2/users";

/// A filter with quotes and spaces, percent-encoded as an HTTP client sends it.
const FILTER: &str = "filter=status%3D%27active%27%20AND%20givenName%21%3D%27Jo%20Ann%27";

/// What `oauthlib` is asked to sign (its `Client`'s arguments, the URL and the method).
const SIGNER: &str = r#"
import json, sys
from oauthlib import oauth1
r = json.load(sys.stdin)
client = oauth1.Client(r["key"], client_secret=r["secret"], signature_method=r["method"],
                       signature_type=r["type"], nonce=r["nonce"], timestamp=r["timestamp"])
uri, headers, _ = client.sign(r["url"], http_method=r["http_method"])
print(json.dumps({"url": uri, "authorization": headers.get("Authorization")}))
"#;

/// The Python of the local stack's venv (`infra/local/requirements.txt` pins `oauthlib`).
fn python() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../.local/venv/bin/python3")
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// A consumer that signs with `oauthlib`.
#[derive(Clone)]
struct Consumer {
    key: String,
    secret: String,
    /// `HMAC-SHA256`, `HMAC-SHA1`, `PLAINTEXT`.
    method: &'static str,
    /// `AUTH_HEADER` or `QUERY`.
    transport: &'static str,
    /// The timestamp's distance from now, in seconds.
    skew: i64,
}

/// A request as `oauthlib` signed it.
struct SignedRequest {
    /// Path and query (the query with the protocol parameters when they travel there).
    target: String,
    authorization: Option<String>,
}

impl Consumer {
    fn new(key: &str, secret: &str) -> Self {
        Self { key: key.into(), secret: secret.into(), method: "HMAC-SHA256", transport: "AUTH_HEADER", skew: 0 }
    }

    /// `GET url` (absolute) signed, with a fresh nonce.
    fn sign(&self, method: &str, url: &str) -> SignedRequest {
        use std::io::Write;
        let timestamp = now().saturating_add_signed(self.skew);
        let request = json!({"key": self.key, "secret": self.secret, "method": self.method, "type": self.transport,
                             "nonce": unique("nonce").replace('-', ""), "timestamp": timestamp.to_string(),
                             "url": url, "http_method": method});
        let mut child = std::process::Command::new(python())
            .args(["-c", SIGNER])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("the local stack's Python (make stack-up installs it with oauthlib)");
        child.stdin.take().expect("stdin").write_all(request.to_string().as_bytes()).expect("the request");
        let output = child.wait_with_output().expect("oauthlib answers");
        assert!(output.status.success(), "oauthlib: {}", String::from_utf8_lossy(&output.stderr));
        let signed: Value = serde_json::from_slice(&output.stdout).expect("JSON");
        let url = signed["url"].as_str().expect("a url");
        let target = url.split_once("://").and_then(|(_, rest)| rest.find('/').map(|at| &rest[at..])).expect("a path");
        SignedRequest { target: target.to_owned(), authorization: signed["authorization"].as_str().map(str::to_owned) }
    }

    /// `GET path` on the test host, signed, sent through the router.
    async fn get(&self, api: &Api, path: &str) -> Reply {
        send(api, &self.sign("GET", &format!("http://{HOST}{path}"))).await
    }
}

async fn send(api: &Api, signed: &SignedRequest) -> Reply {
    let headers: Vec<(&str, &str)> = signed.authorization.iter().map(|a| ("authorization", a.as_str())).collect();
    api.get_with(&signed.target, &headers, "").await
}

/// A small district, and a client of it that signs (made as `client create --oauth1` makes it).
async fn district(stack: &LocalStack, name: &str) -> (oneroster_store::Tenant, OAuthClient, String) {
    let t = tenant(name);
    let district =
        District { students: 12, schools: 1, teachers: 2, parents: 2, classes_per_school: 2, line_items_per_class: 0 };
    assert_eq!(ingest(stack, t.id(), "bulk.zip", bulk_zip(&district)).await.state, JobState::Applied);
    let (client, secret) =
        admin::create_signing_client(stack.store(), stack.sealer.as_ref(), t.id(), "SDS", &Scopes::all())
            .await
            .expect("a client that signs");
    (t, client, secret)
}

fn assert_refused(reply: &Reply, status: u16, why: &str) {
    let minor = if status == 400 { "invaliddata" } else { "unauthorisedrequest" };
    assert_eq!((reply.status, reply.code_minor()), (status, minor), "{why}: {}", reply.body);
    assert!(reply.body.get("users").is_none(), "{why}: data in a refusal");
}

#[tokio::test]
async fn a_request_signed_by_oauthlib_is_served_as_a_token_holders_is() {
    let stack = stack().await;
    let (t, client, secret) = district(&stack, "oauth1-served").await;
    let anonymous = Api::anonymous(&stack);
    let bearer = Api::new(&stack, t.id()).await;
    let target = format!("{USERS}?{FILTER}&limit=5");
    let expected = bearer.get(&target).await;
    assert_eq!(expected.status, 200, "{}", expected.body);
    assert_eq!(expected.body["users"].as_array().map(Vec::len), Some(5));

    let sha256 = Consumer::new(&client.id, &secret);
    let sha1_in_query = Consumer { method: "HMAC-SHA1", transport: "QUERY", ..sha256.clone() };
    for consumer in [&sha256, &sha1_in_query, &Consumer { method: "HMAC-SHA1", ..sha256.clone() }] {
        let why = format!("{} in {}", consumer.method, consumer.transport);
        let reply = consumer.get(&anonymous, &target).await;
        assert_eq!(reply.status, 200, "{why}: {}", reply.body);
        assert_eq!(reply.body, expected.body, "{why}");
        assert_eq!(reply.total_count(), expected.total_count(), "{why}");
        // Parameters that came in the query are not repeated in the links.
        let next = reply.link("next").expect("a next page");
        assert!(!next.contains("oauth_") && next.contains("filter="), "{why}: {next}");
        // (oauthlib writes the query it signs in the query again, a space as `+`.)
        assert_eq!(next.replace('+', "%20"), expected.link("next").expect("a next page"), "{why}");
    }
    // One record by an id, a nested route, the pre-split base, 1.1's base (where the legacy
    // consumers sign): every route the gate guards.
    let user = expected.body["users"][0]["sourcedId"].as_str().expect("an id").to_owned();
    for path in [
        format!("{USERS}/{user}"),
        format!("/ims/oneroster/v1p2/users/{user}/classes"),
        format!("/ims/oneroster/v1p1/users?{FILTER}&limit=5"),
    ] {
        assert_eq!(sha256.get(&anonymous, &path).await.status, 200, "{path}");
    }
    // Refused under 1.1's base in 1.1's error body.
    let refused = Consumer::new(&client.id, "not-the-secret").get(&anonymous, "/ims/oneroster/v1p1/users").await;
    assert_eq!(refused.status, 401, "{}", refused.body);
    assert_eq!(refused.body["statusInfoSet"][0]["imsx_codeMinor"], "unauthorized");
    assert_eq!(admin::shown(&client)["oauth1"], true);
}

#[tokio::test]
async fn signed_requests_that_must_not_pass_are_refused() {
    let stack = stack().await;
    let (t, client, secret) = district(&stack, "oauth1-refused").await;
    let anonymous = Api::anonymous(&stack);
    let target = format!("{USERS}?{FILTER}");
    let good = Consumer::new(&client.id, &secret);

    // A replayed nonce: the same signed request twice.
    let once = good.sign("GET", &format!("http://{HOST}{target}"));
    assert_eq!(send(&anonymous, &once).await.status, 200);
    assert_refused(&send(&anonymous, &once).await, 401, "a replayed nonce");

    let (plain, plain_secret) = e2e::client(&stack, t.id(), &Scopes::all()).await;
    assert_eq!(admin::shown(&plain)["oauth1"], false);
    let unknown = format!("{}.0011223344556677", t.id());
    for (why, consumer) in [
        ("a wrong secret", Consumer::new(&client.id, "not-the-secret")),
        ("a stale timestamp", Consumer { skew: -3600, ..good.clone() }),
        ("a timestamp an hour ahead", Consumer { skew: 3600, ..good.clone() }),
        ("an unknown consumer key", Consumer::new(&unknown, &secret)),
        ("a consumer key that is no client id", Consumer::new("sds", &secret)),
        ("a client made without --oauth1", Consumer::new(&plain.id, &plain_secret)),
    ] {
        assert_refused(&consumer.get(&anonymous, &target).await, 401, why);
    }
    assert_refused(&Consumer { method: "PLAINTEXT", ..good.clone() }.get(&anonymous, &target).await, 400, "PLAINTEXT");

    // A missing or duplicated parameter.
    let signed = good.sign("GET", &format!("http://{HOST}{target}"));
    let header = signed.authorization.clone().expect("a header");
    let fields = header.strip_prefix("OAuth ").expect("the OAuth scheme");
    let without_nonce: Vec<&str> = fields.split(", ").filter(|p| !p.starts_with("oauth_nonce=")).collect();
    assert_eq!(without_nonce.len() + 1, fields.split(", ").count(), "{header}");
    let missing = SignedRequest { authorization: Some(format!("OAuth {}", without_nonce.join(", "))), ..signed };
    assert_refused(&send(&anonymous, &missing).await, 400, "no oauth_nonce");
    let twice = SignedRequest { target: format!("{target}&oauth_nonce=again"), authorization: Some(header) };
    assert_refused(&send(&anonymous, &twice).await, 400, "oauth_nonce in the header and the query");

    // A tampered request: another filter under the same signature.
    let mut tampered = good.sign("GET", &format!("http://{HOST}{target}"));
    tampered.target = tampered.target.replace("Jo%20Ann", "Jo%20Anne");
    assert_refused(&send(&anonymous, &tampered).await, 401, "a tampered query");

    // A new secret: the old one stops signing, the new one signs; a revoked client cannot.
    let rotated = admin::rotate_client(stack.store(), Some(stack.sealer.as_ref()), &client.id).await.expect("rotated");
    assert_refused(&good.get(&anonymous, &target).await, 401, "the secret before the rotation");
    let fresh = Consumer::new(&client.id, &rotated);
    assert_eq!(fresh.get(&anonymous, &target).await.status, 200);
    assert!(admin::rotate_client(stack.store(), None, &client.id).await.is_err(), "a rotation without the key");
    admin::revoke_client(stack.store(), &client.id).await.expect("revoked");
    assert_refused(&fresh.get(&anonymous, &target).await, 401, "a revoked client");
}

/// In AWS the function is handed the path decoded and the origin in the request context:
/// a request signed for the API's domain, to ids holding `/` and `@`, is served there.
#[tokio::test]
async fn a_signed_event_of_api_gateway_is_served() {
    let (functions, _) = crate::lambda_events::district("oauth1-lambda").await;
    let (client, secret) = admin::create_signing_client(
        functions.stack.store(),
        functions.stack.sealer.as_ref(),
        tenant("oauth1-lambda").id(),
        "Canvas",
        &Scopes::parse(&format!("{V1P1_PREFIX}roster.readonly")).expect("a 1.1 scope"),
    )
    .await
    .expect("a client that signs");
    let target = format!("{ROSTERING}/teachers/{}/classes?filter=status%3D%27active%27", guid_district::TEACHER);
    let fixture: Value = serde_json::from_str(crate::lambda_events::FIXTURE).expect("JSON");
    let domain = fixture["requestContext"]["domainName"].as_str().expect("a domain");
    let consumer = Consumer::new(&client.id, &secret);
    let answer = |signed: SignedRequest, functions: &Functions| {
        let mut event = Call::new("GET", ROSTERING, &signed.target, None).event();
        event["headers"]["authorization"] = json!(signed.authorization);
        invoke_event(functions.rostering(), event)
    };
    let served = answer(consumer.sign("GET", &format!("https://{domain}{target}")), &functions).await;
    assert_eq!(served.status, 200, "{}", served.body);
    assert_eq!(e2e::ids(served.body["classes"].as_array().expect("a list")), [guid_district::CLASS]);
    // Signed for another host (as a header would have named it): refused.
    let elsewhere = answer(consumer.sign("GET", &format!("https://evil.example{target}")), &functions).await;
    assert_eq!(elsewhere.status, 401, "{}", elsewhere.body);
}

#[tokio::test]
async fn tokens_are_granted_for_1p1_scopes_and_for_none_by_basic_auth() {
    let stack = stack().await;
    let t = tenant("oauth1-scopes");
    let holds = Scopes::parse("roster.readonly gradebook.readonly gradebook.createput gradebook.delete").expect("held");
    let (client, secret) = e2e::client(&stack, t.id(), &holds).await;
    let anonymous = Api::anonymous(&stack);
    let basic = Some((client.id.as_str(), secret.as_str()));
    let token = |scope: Option<&str>| {
        let mut pairs = vec![("grant_type", "client_credentials")];
        pairs.extend(scope.map(|s| ("scope", s)));
        let body = form(&pairs);
        let anonymous = anonymous.clone();
        async move { anonymous.token(&body, basic).await }
    };
    let v1p1 = |names: &[&str]| names.iter().map(|n| format!("{V1P1_PREFIX}{n}")).collect::<Vec<_>>().join(" ");

    // Google's 1.1 suite: four 1.1 URIs, read back as sent; the token carries the 1.2 ones.
    let google = v1p1(&["roster.readonly", "gradebook.readonly", "gradebook.createput", "gradebook.delete"]);
    let reply = token(Some(&google)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let answered: std::collections::BTreeSet<&str> = reply.body["scope"].as_str().expect("scope").split(' ').collect();
    assert_eq!(answered, google.split(' ').collect());
    let api = anonymous.with_bearer(reply.body["access_token"].as_str().expect("a token"));
    assert_eq!(api.get(USERS).await.status, 200, "a 1.1 scope reads what its 1.2 scope reads");
    let verifier =
        oneroster_auth::Verifier::new(&anonymous.get("/.well-known/jwks.json").await.body, local_server::LOCAL_ISSUER);
    assert_eq!(verifier.verify(api.bearer().expect("a token")).expect("verifies").scopes(), &holds);

    // Moodle: roster.readonly only.
    let reply = token(Some(&v1p1(&["roster.readonly"]))).await;
    assert_eq!((reply.status, reply.body["scope"].as_str()), (200, Some(v1p1(&["roster.readonly"]).as_str())));

    // No scope, or an empty one: all the client holds, by its 1.2 URIs.
    for scope in [None, Some(""), Some(" ")] {
        let reply = token(scope).await;
        assert_eq!((reply.status, reply.body["scope"].as_str()), (200, Some(holds.to_text().as_str())), "{scope:?}");
    }

    // A 1.1 scope the client does not hold, or one 1.1 never had.
    let reply = token(Some(&v1p1(&["resource.readonly"]))).await;
    assert_eq!((reply.status, reply.body["error"].as_str()), (400, Some("invalid_scope")));
    let reply = token(Some(&v1p1(&["gradebook.createpost"]))).await;
    assert_eq!((reply.status, reply.body["error"].as_str()), (400, Some("invalid_scope")));
    let mixed = format!("{} {PREFIX}gradebook.readonly", v1p1(&["roster.readonly"]));
    let reply = token(Some(&mixed)).await;
    assert_eq!(reply.body["scope"], format!("{PREFIX}gradebook.readonly {}", v1p1(&["roster.readonly"])));
}

/// The gate's policy lets the API functions write a nonce and nothing else of their tenants'
/// (what else a function writes is its routes' business: `infra::…only_the_functions_that_write`),
/// decrypt the data key only through DynamoDB or for a sealed client secret, and name the key
/// in `OAUTH1_KEY`.
#[test]
fn the_template_lets_the_gate_keep_nonces_and_open_sealed_secrets_only() {
    let template: yaml_serde::Value =
        yaml_serde::from_str(include_str!("../../infra/template.yaml")).expect("the template is YAML");
    let district = oneroster_model::TenantId::parse("district-1").expect("a tenant");
    let nonce = keys::nonce_key(&district, "district-1.00112233aabbccdd", 1, "n").pk;
    let parent = oneroster_model::SourcedId::parse("oauth1-nonce").expect("an id");
    let entry = oneroster_model::Link {
        relation: oneroster_model::Relation::ClassStudents,
        parent: parent.clone(),
        child: oneroster_model::SourcedId::parse("u-1").expect("an id"),
        via: None,
    };
    let lookalikes = [
        keys::link_key(&district, &entry).pk,
        keys::pack_key(&district, oneroster_model::Relation::ClassStudents, "oauth1-nonce", 0).pk,
    ];
    assert!(lookalikes.iter().all(|k| k.ends_with(keys::NONCES)), "{lookalikes:?}");
    let others = [
        keys::clients_partition(&district),
        keys::record_key(&district, oneroster_model::Collection::Users, "u-1").pk,
        keys::stats_key(&district, "users").pk,
        keys::published_keys_key().pk,
    ];
    assert_eq!(
        crate::hostile_auth::text(&template["Globals"]["Function"]["Environment"]["Variables"]["OAUTH1_KEY"]),
        Some("!GetAtt DataKey.Arn".to_owned())
    );
    // What the gate adds to a function's writes: nonces, and nothing else of a tenant's.
    let gate = &template["Resources"]["SignedRequestsPolicy"]["Properties"]["PolicyDocument"]["Statement"];
    let gate_puts: Vec<_> = gate
        .as_sequence()
        .expect("statements")
        .iter()
        .filter(|s| s["Effect"].as_str() == Some("Allow"))
        .filter(|s| strings(&s["Action"]).iter().any(|a| a == "dynamodb:PutItem"))
        .collect();
    assert!(gate_puts.iter().any(|s| condition_holds(s, &[&nonce])), "the gate cannot keep nonces");
    for key in lookalikes.iter().chain(&others) {
        assert!(!gate_puts.iter().any(|s| condition_holds(s, &[key])), "the gate may write {key}");
    }
    assert!(gate_puts.iter().all(|s| !condition_holds(s, &[])), "the gate: a write without keys");
    for function in ["RosteringFunction", "ResourcesFunction", "GradebookFunction", "V1p2Function"] {
        let allowed = statements(&template, function);
        let allowed: Vec<_> = allowed.into_iter().filter(|s| s["Effect"].as_str() == Some("Allow")).collect();
        let puts: Vec<_> =
            allowed.iter().filter(|s| strings(&s["Action"]).iter().any(|a| a == "dynamodb:PutItem")).collect();
        let may_put = |key: &str| puts.iter().any(|s| s["Condition"].is_null() || condition_holds(s, &[key]));
        assert!(may_put(&nonce), "{function} cannot keep nonces");
        // Every decrypt of the data key is through DynamoDB or of a sealed secret.
        for statement in allowed.iter().filter(|s| strings(&s["Action"]).iter().any(|a| a == "kms:Decrypt")) {
            let condition = &statement["Condition"];
            let via_dynamodb = crate::hostile_auth::text(&condition["StringEquals"]["kms:ViaService"])
                == Some("!Sub dynamodb.${AWS::Region}.amazonaws.com".to_owned());
            let sealed = strings(&condition["ForAllValues:StringEquals"]["kms:EncryptionContextKeys"])
                == [oneroster_secrets::CLIENT_CONTEXT]
                && !condition["StringLike"]
                    [format!("kms:EncryptionContext:{}", oneroster_secrets::CLIENT_CONTEXT).as_str()]
                .is_null();
            assert!(via_dynamodb || sealed, "{function}: {statement:?}");
        }
    }
}
