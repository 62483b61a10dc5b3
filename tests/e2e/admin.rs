//! `oneroster-admin` as an operator uses it: tenants, clients and their secrets, uploads.

use district_gen::District;
use e2e::{bulk_zip, register, stack, tenant, zip_of, Api};
use oneroster_auth::Scopes;
use oneroster_store::JobState;
use std::sync::Arc;
use std::time::Duration;

fn basic(id: &str, secret: &str) -> Option<(String, String)> {
    Some((id.to_owned(), secret.to_owned()))
}

#[tokio::test]
async fn tenants_and_clients_are_managed_and_their_secrets_rotate() {
    let stack = stack().await;
    let store = stack.store();
    let t = tenant("managed-district");
    let unregistered = admin::create_client(store, &t, "app", &Scopes::all()).await;
    assert!(matches!(unregistered, Err(admin::AdminError::UnknownTenant(_))));
    admin::create_tenant(store, &t, "Managed District").await.expect("tenant");
    assert!(store.list_tenants().await.expect("list").iter().any(|r| r.id == *t && r.name == "Managed District"));

    let (client, secret) = admin::create_client(store, &t, "app", &Scopes::all()).await.expect("client");
    assert!(!store
        .tenant(&t)
        .clients()
        .get(&client.id)
        .await
        .expect("read")
        .expect("stored")
        .secret_hash
        .contains(&secret));
    let api = Api::anonymous(&stack);
    let grant = "grant_type=client_credentials";
    let token = |credentials: Option<(String, String)>| {
        let api = api.clone();
        async move {
            let basic = credentials.as_ref().map(|(id, secret)| (id.as_str(), secret.as_str()));
            api.token(grant, basic).await.status
        }
    };
    assert_eq!(token(basic(&client.id, &secret)).await, 200);

    let rotated = admin::rotate_client(store, None, &client.id).await.expect("rotate");
    assert_eq!(token(basic(&client.id, &secret)).await, 401, "the old secret stops working");
    assert_eq!(token(basic(&client.id, &rotated)).await, 200);

    admin::revoke_client(store, &client.id).await.expect("revoke");
    assert_eq!(token(basic(&client.id, &rotated)).await, 401);

    let (other, other_secret) = admin::create_client(store, &t, "other", &Scopes::all()).await.expect("client");
    assert_eq!(admin::disable_tenant(store, &t).await.expect("disable"), 1);
    assert_eq!(token(basic(&other.id, &other_secret)).await, 401, "a disabled tenant's clients get no token");
    assert!(matches!(
        admin::create_client(store, &t, "new", &Scopes::all()).await,
        Err(admin::AdminError::DisabledTenant(_))
    ));
}

#[tokio::test]
async fn an_upload_is_ingested_and_its_job_reported() {
    let stack = stack().await;
    let t = tenant("uploading-district");
    let s3 = stack.s3_client();
    let unregistered =
        admin::upload(&s3, &stack.config.bucket, &t, "early.zip", zip_of(&[]), |_| {}).await.expect("upload");
    let poller = stack.clone();
    let ingesting = tokio::spawn(async move { poller.serve_ingest().await });
    let refused = admin::wait_for_job(stack.store(), &t, &unregistered, Duration::from_secs(120)).await.expect("job");
    assert_eq!(refused.state, JobState::Rejected);
    assert!(refused.errors.iter().any(|e| e.contains("not registered")), "{:?}", refused.errors);
    register(&stack, &t).await;
    let district =
        District { students: 10, schools: 1, teachers: 1, parents: 1, classes_per_school: 1, line_items_per_class: 0 };
    let bytes = bulk_zip(&district);
    let sent = std::sync::atomic::AtomicU64::new(0);
    let length = bytes.len() as u64;
    let key = admin::upload(&s3, &stack.config.bucket, &t, "bulk.zip", bytes, |n| {
        sent.store(n, std::sync::atomic::Ordering::Relaxed)
    })
    .await
    .expect("upload");
    assert_eq!(sent.into_inner(), length, "the progress reaches the whole file");
    assert!(key.starts_with("uploading-district/uploads/") && key.ends_with("/bulk.zip"), "{key}");
    let job = admin::wait_for_job(stack.store(), &t, &key, Duration::from_secs(120)).await.expect("job");
    assert_eq!(job.state, JobState::Applied);

    let broken = zip_of(&[("users.csv", "sourcedId\nx\n")]);
    let key = admin::upload(&s3, &stack.config.bucket, &t, "broken.zip", broken, |_| {}).await.expect("upload");
    let job = admin::wait_for_job(stack.store(), &t, &key, Duration::from_secs(120)).await.expect("job");
    assert_eq!(job.state, JobState::Rejected);
    assert!(job.error_count > 0);
    admin::disable_tenant(stack.store(), &t).await.expect("disable");
    let key =
        admin::upload(&s3, &stack.config.bucket, &t, "late.zip", bulk_zip(&district), |_| {}).await.expect("upload");
    let job = admin::wait_for_job(stack.store(), &t, &key, Duration::from_secs(120)).await.expect("job");
    assert!(job.state == JobState::Rejected && job.errors.iter().any(|e| e.contains("disabled")), "{:?}", job.errors);
    ingesting.abort();
}

#[tokio::test]
async fn signing_keys_live_in_their_secret_and_rotate_without_downtime() {
    use oneroster_auth::Issuer;
    use oneroster_http::Gate;
    let stack = stack().await;
    let store = stack.store().clone();
    let aws = aws_config::from_env().load().await;
    let endpoint = std::env::var("SECRETS_ENDPOINT").or_else(|_| std::env::var("S3_ENDPOINT")).ok();
    let secret = oneroster_secrets::SigningSecret::new(&aws, endpoint.as_deref(), e2e::unique("signing-keys"));
    let kids = |jwks: &serde_json::Value| -> Vec<String> {
        jwks["keys"].as_array().into_iter().flatten().filter_map(|k| k["kid"].as_str().map(str::to_owned)).collect()
    };

    // A fresh deployment: no ring, and API functions refuse to start without published keys.
    const ISSUER: &str = "https://auth.example.test";
    assert!(Gate::with_published_keys(store.clone(), ISSUER, Duration::ZERO).await.is_err());
    let first = admin::init_keys(&store, &secret).await.expect("init");
    assert_eq!(kids(&first).len(), 1);
    assert_eq!(kids(&admin::init_keys(&store, &secret).await.expect("init again")), kids(&first), "init keeps a ring");
    assert_eq!(store.published_keys().await.expect("read").map(|p| p.jwks), Some(first.clone()));

    // An API function started now, and a client whose tokens it checks.
    let t = tenant("keys");
    let (client, _) = e2e::client(&stack, &t, &Scopes::all()).await;
    let gate = Arc::new(Gate::with_published_keys(store.clone(), ISSUER, Duration::ZERO).await.expect("a gate"));
    let api = resources::router(store.clone(), gate);
    let token_now = || async {
        let ring = secret.load().await.expect("readable").expect("a ring");
        Issuer::new(ring, ISSUER, 3600).issue(&t, &client.id, &Scopes::all()).0
    };
    let old_token = token_now().await;
    assert_eq!(status_of(&api, &old_token).await, 200);

    // Rotation: the new key signs; the running function learns it from the table; old tokens
    // keep working until the old key is retired.
    let rotated = admin::rotate_keys(&store, &secret).await.expect("rotate");
    assert_eq!(kids(&rotated).len(), 2);
    assert_eq!(kids(&rotated)[1], kids(&first)[0]);
    let new_token = token_now().await;
    assert_ne!(new_token, old_token);
    assert_eq!(status_of(&api, &new_token).await, 200, "a key rotated in after the function started");
    assert_eq!(status_of(&api, &old_token).await, 200);
    let retired = admin::retire_keys(&store, &secret, 1).await.expect("retire");
    assert_eq!(kids(&retired), kids(&rotated)[..1]);
    let fresh_gate = Arc::new(Gate::with_published_keys(store.clone(), ISSUER, Duration::ZERO).await.expect("gate"));
    let fresh = resources::router(store.clone(), fresh_gate);
    assert_eq!(status_of(&fresh, &new_token).await, 200);
    assert_eq!(status_of(&fresh, &old_token).await, 401, "a retired key's tokens are refused");
}

/// The status of `GET /resources` through `router` with `token`.
async fn status_of(router: &axum::Router, token: &str) -> u16 {
    Api::over(router.clone()).with_bearer(token).get("/ims/oneroster/resources/v1p2/resources").await.status
}
