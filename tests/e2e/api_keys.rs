//! A static API key's life, as a server-to-server integration and an operator live it: made
//! with `oneroster-admin api-key create` (the key shown once, a hash kept), sent as `X-API-Key`
//! or `Authorization: ApiKey`, held to its scopes and its tenant, named in the audit trail,
//! listed without its secret, revoked and refused once the gate looks again.

use e2e::{register, stack, stack_with, tenant, Api};
use oneroster_auth::Scopes;
use std::time::Duration;

const USERS: &str = "/ims/oneroster/rostering/v1p2/users";

#[tokio::test]
async fn a_key_reads_with_its_scopes_is_audited_as_itself_and_is_refused_once_revoked() {
    let log = crate::auth::process_log();
    let recheck = Duration::from_millis(300);
    let stack = stack_with(recheck).await;
    let t = tenant("keyed-district");
    register(&stack, &t).await;
    let scopes = Scopes::parse("roster-core.readonly").expect("a scope");
    let (key, text) = admin::create_api_key(stack.store(), &t, "Nightly export", &scopes).await.expect("a key");
    let text = text.expose().to_owned();
    assert!(text.starts_with(&format!("{}.", key.id)) && key.id.starts_with("keyed-district."));
    assert!(!key.hash.is_empty() && !text.contains(&key.hash), "only a hash of the key is kept");

    // Both ways of sending it; its scopes hold (no gradebook), as a client's would.
    let api = Api::anonymous(&stack);
    let by_header = [("x-api-key", text.as_str())];
    let audited_read = [("x-api-key", text.as_str()), ("x-request-id", "api-key-test-read")];
    assert_eq!(api.get_with(USERS, &audited_read, "").await.status, 200);
    let scheme = format!("ApiKey {text}");
    assert_eq!(api.get_with(USERS, &[("authorization", scheme.as_str())], "").await.status, 200);
    let gradebook = api.get_with("/ims/oneroster/gradebook/v1p2/categories", &by_header, "").await;
    assert_eq!(gradebook.status, 403, "{}", gradebook.body);

    // A key that is not the one stored, or not a key at all, is refused as a bad token is.
    let (id, secret) = text.rsplit_once('.').expect("a key");
    let altered = format!("{id}.{}{}", if secret.starts_with('A') { 'B' } else { 'A' }, &secret[1..]);
    for wrong in [altered.as_str(), "keyed-district.00112233aabbccdd00112233aabbccdd.short", "nonsense"] {
        let reply = api.get_with(USERS, &[("x-api-key", wrong)], "").await;
        assert_eq!(reply.status, 401, "{wrong}: {}", reply.body);
        assert_eq!(reply.code_minor(), "unauthorisedrequest");
    }

    // The audit event names the key, never the key's secret.
    let text_log = String::from_utf8(log.0.lock().expect("log").clone()).expect("utf-8");
    let audited: Vec<serde_json::Value> = text_log
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|event| event["target"] == "audit" && event["span"]["request_id"] == "api-key-test-read")
        .collect();
    assert_eq!(audited.len(), 1, "{text_log}");
    assert_eq!((&audited[0]["span"]["client"], &audited[0]["fields"]["status"]), (&key.id.clone().into(), &200.into()));
    assert!(!text_log.contains(secret), "the key's secret is never logged");

    // Listed without its secret or hash; revoked, and refused once the gate looks again.
    let keys = stack.store().tenant(&admin::operator(&t)).clients().list_keys().await.expect("the keys");
    assert_eq!(keys.iter().map(|k| k.id.as_str()).collect::<Vec<_>>(), [key.id.as_str()]);
    let shown = admin::shown_key(&keys[0]).to_string();
    assert!(!shown.contains(&key.hash) && !shown.contains(secret) && shown.contains("Nightly export"), "{shown}");
    let revoked = admin::revoke_api_key(stack.store(), &key.id).await.expect("revoked");
    assert!(revoked.revoked.is_some());
    let again = admin::revoke_api_key(stack.store(), &key.id).await.expect("revoked again");
    assert_eq!(again.revoked, revoked.revoked, "revoking twice keeps the first time");
    tokio::time::sleep(recheck * 2).await;
    assert_eq!(api.get_with(USERS, &by_header, "").await.status, 401, "a revoked key");
}

#[tokio::test]
async fn a_key_reaches_only_its_own_tenant_and_cannot_be_made_for_an_unknown_one() {
    let stack = stack().await;
    let (ours, theirs) = (tenant("key-owner"), tenant("key-neighbour"));
    register(&stack, &ours).await;
    register(&stack, &theirs).await;
    let (_, text) = admin::create_api_key(stack.store(), &ours, "", &Scopes::all()).await.expect("a key");
    // The key names its tenant: a key made to look like the neighbour's is not found there.
    let forged = text.expose().replacen("key-owner.", "key-neighbour.", 1);
    let api = Api::anonymous(&stack);
    assert_eq!(api.get_with(USERS, &[("x-api-key", forged.as_str())], "").await.status, 401);
    assert_eq!(api.get_with(USERS, &[("x-api-key", text.expose())], "").await.status, 200);
    let unknown = oneroster_model::TenantId::parse("key-nobody").expect("an id");
    let refused = admin::create_api_key(stack.store(), &unknown, "", &Scopes::all()).await;
    assert!(matches!(refused, Err(admin::AdminError::UnknownTenant(_))), "{refused:?}");
    assert!(matches!(
        admin::revoke_api_key(stack.store(), "key-owner.00112233aabbccdd00112233aabbccdd").await,
        Err(admin::AdminError::UnknownApiKey(_))
    ));
}
