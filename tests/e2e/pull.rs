//! Pulls from a district's SIS: a second instance of this provider's API, served on a port of
//! its own with a tenant loaded from a package, acts as the district's SIS (OAuth 2.0 client
//! credentials at its token endpoint, 1.2 under its three bases, 1.1 under its one). A tenant
//! set to pull from it (`source set`) and pulled (`pull`) then answers every read route the
//! pulled collections make as the SIS's tenant does, byte for byte but `dateLastModified`.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use e2e::compare::{differences, reader};
use e2e::{client, delta_zip, ingest, register, small_district, stack, tenant, tenant_items};
use local_server::LocalStack;
use oneroster_auth::ClientSecret;
use oneroster_csv::Version;
use oneroster_http::serving::Serving;
use oneroster_model::TenantId;
use oneroster_pull::Pacing;
use oneroster_store::{Job, JobState};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The SIS's answers to `GET …/users` from this one on fail with a 500 (0: none fail).
#[derive(Clone, Default)]
struct Failing(Arc<(AtomicUsize, usize)>);

async fn failing_users(State(failing): State<Failing>, request: Request, next: Next) -> Response {
    let (seen, from) = &*failing.0;
    if *from > 0 && request.uri().path().ends_with("/users") && seen.fetch_add(1, Ordering::SeqCst) + 1 >= *from {
        return (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "the SIS is down").into_response();
    }
    next.run(request).await
}

/// How the SIS's client signs in.
#[derive(Clone, Copy, PartialEq)]
enum SignIn {
    OAuth2,
    OAuth1,
}

/// Serves `stack`'s API on a port of its own, as the SIS of `tenant` (failing `GET /users`
/// from its `fail_users_from`th call when not 0): its URL, and a client of `tenant` reading
/// every standard service (id, secret).
async fn sis(stack: &LocalStack, tenant: &TenantId, fail_users_from: usize) -> (String, String, String) {
    sis_signing(stack, tenant, fail_users_from, SignIn::OAuth2).await
}

/// [`sis`], its client signing in as `sign_in` says.
async fn sis_signing(
    stack: &LocalStack,
    tenant: &TenantId,
    fail_users_from: usize,
    sign_in: SignIn,
) -> (String, String, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    let failing = Failing(Arc::new((AtomicUsize::new(0), fail_users_from)));
    let api = stack.api_serving(Serving::at(&url)).layer(axum::middleware::from_fn_with_state(failing, failing_users));
    tokio::spawn(async move { axum::serve(listener, api).await });
    let scopes = oneroster_auth::Scopes::all();
    let (made, secret) = match sign_in {
        SignIn::OAuth2 => client(stack, tenant, &scopes).await,
        SignIn::OAuth1 => admin::create_signing_client(stack.store(), stack.sealer.as_ref(), tenant, "SIS", &scopes)
            .await
            .expect("a signing client"),
    };
    (url, made.id, secret)
}

/// Sets `to`'s source to the SIS at `url` in `version` with the client `id` and `secret`.
async fn set_source(stack: &LocalStack, to: &TenantId, url: &str, version: &str, id: &str, secret: &str) {
    set_source_signing(stack, to, url, version, id, secret, SignIn::OAuth2).await
}

/// [`set_source`], signing in as `sign_in` says.
async fn set_source_signing(
    stack: &LocalStack,
    to: &TenantId,
    url: &str,
    version: &str,
    id: &str,
    secret: &str,
    sign_in: SignIn,
) {
    register(stack, to).await;
    let settings = admin::sources::SourceSettings {
        url: format!("{url}/ims/oneroster/{}", if version == "1.1" { "v1p1" } else { "rostering/v1p2" }),
        version: version.to_owned(),
        auth: if sign_in == SignIn::OAuth1 { "oauth1" } else { "oauth2" }.to_owned(),
        client_id: id.to_owned(),
        client_secret: ClientSecret::presented(secret.to_owned()),
        token_url: Some(format!("{url}{}", auth::TOKEN_PATH)),
        scope: None,
        schedule: Some("daily".to_owned()),
        gradebook: true,
        resources: true,
    };
    admin::sources::set_source(stack.store(), &stack.source_sealer(), to, settings).await.expect("the source is set");
}

/// Small pages and quick tries, so that a small district takes many pages and a failing one
/// fails fast.
fn pacing() -> Pacing {
    Pacing { page: 25, tries: 3, first_wait: Duration::from_millis(10), interval: Duration::ZERO, ..Pacing::default() }
}

/// Pulls `to`'s source and waits for the upload's job.
async fn pulled(stack: &LocalStack, to: &TenantId) -> (oneroster_pull::Pulled, Job) {
    let (s3, bucket) = (stack.s3_client(), &stack.config.bucket);
    let sealer = stack.source_sealer();
    let (pulled, key) =
        admin::sources::pull(stack.store(), &sealer, &s3, bucket, to, &pacing()).await.expect("the pull succeeds");
    let job = stack.wait_for_job(to, &key, true, Duration::from_secs(300)).await.expect("the job ends");
    (pulled, job)
}

/// Every item of `tenant` but its jobs (a failed pull is kept as one).
async fn data_items(stack: &LocalStack, tenant: &TenantId) -> Vec<String> {
    let jobs = format!("pk=S(\"{tenant}#job\")");
    tenant_items(stack, tenant).await.into_iter().filter(|item| !item.contains(&jobs)).collect()
}

/// What a pull reads from the standard API: not which resources a class, course or user is
/// given (no listing of those links but under their parent) nor attendance (the provider's
/// own service, which the district has none of).
fn pulled_route(path: &str) -> bool {
    !["}/resources", "Resources", "absenceCodes", "ttendance"].iter().any(|word| path.contains(word))
}

#[tokio::test]
async fn a_pull_from_a_1p2_sis_serves_what_the_sis_serves_and_a_second_pull_applies_exactly_its_change() {
    let stack = stack().await;
    let (source, copy) = (tenant("sis-source"), tenant("sis-copy"));
    let district = small_district();
    let job = ingest(&stack, source.id(), "bulk.zip", e2e::bulk_zip(&district)).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);
    let (url, id, secret) = sis(&stack, source.id(), 0).await;
    set_source(&stack, copy.id(), &url, "1.2", &id, &secret).await;

    let (first, job) = pulled(&stack, copy.id()).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);
    assert_eq!(first.package.version, "1.2");
    assert!(first.calls > 20, "small pages: {} calls", first.calls);
    let users: u64 = job.files["users.csv"].created;
    assert_eq!(users as usize, district.students + district.teachers + district.parents);
    let (api_source, api_copy) = (reader(&stack, source.id()).await, reader(&stack, copy.id()).await);
    let (compared, differ) = differences(&api_source, &api_copy, Version::V1p2, pulled_route).await;
    assert!(differ.is_empty(), "{} of {compared} answers differ:\n{}", differ.len(), differ.join("\n"));
    assert!(compared > 80, "{compared} answers compared");

    // The SIS changes (3 students' e-mails, a newcomer with an enrollment, an enrollment
    // dropped): the next pull applies exactly that.
    let job = ingest(&stack, source.id(), "delta.zip", delta_zip(&district, 3)).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);
    let (_, job) = pulled(&stack, copy.id()).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);
    let changed: Vec<(String, u64, u64, u64)> = job
        .files
        .iter()
        .filter(|(_, c)| c.created + c.updated + c.deleted > 0)
        .map(|(file, c)| (file.clone(), c.created, c.updated, c.deleted))
        .collect();
    assert_eq!(
        changed,
        [("enrollments.csv".to_owned(), 1, 0, 1), ("users.csv".to_owned(), 1, 3, 0)],
        "the newcomer's role is in its user's row",
    );
    let (compared, differ) = differences(&api_source, &api_copy, Version::V1p2, pulled_route).await;
    assert!(
        differ.is_empty(),
        "{} of {compared} answers differ after the change:\n{}",
        differ.len(),
        differ.join("\n")
    );
}

#[tokio::test]
async fn a_sis_that_fails_on_page_3_of_users_fails_the_pull_and_changes_nothing() {
    let stack = stack().await;
    let (source, copy) = (tenant("sis-down"), tenant("sis-down-copy"));
    let district = small_district();
    ingest(&stack, source.id(), "bulk.zip", e2e::bulk_zip(&district)).await;
    // A first pull from a working SIS, then the same SIS failing from the third page of users.
    let (url, id, secret) = sis(&stack, source.id(), 0).await;
    set_source(&stack, copy.id(), &url, "1.2", &id, &secret).await;
    let (_, job) = pulled(&stack, copy.id()).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);
    ingest(&stack, source.id(), "delta.zip", delta_zip(&district, 3)).await;
    let (url, id, secret) = sis(&stack, source.id(), 3).await;
    set_source(&stack, copy.id(), &url, "1.2", &id, &secret).await;
    let before = data_items(&stack, copy.id()).await;

    let (s3, sealer) = (stack.s3_client(), stack.source_sealer());
    let failed = admin::sources::pull(stack.store(), &sealer, &s3, &stack.config.bucket, copy.id(), &pacing())
        .await
        .expect_err("the pull fails");
    let said = failed.to_string();
    assert!(said.contains("/users?") && said.contains("500") && said.contains("after 3 tries"), "{said}");
    assert!(said.contains("nothing was changed"), "{said}");
    assert!(data_items(&stack, copy.id()).await == before, "the tenant's data is as it was");
    let jobs = stack.store().tenant(&admin::operator(copy.id())).jobs().list().await.expect("jobs");
    let kept = jobs.iter().find(|j| j.state == JobState::Failed).expect("the failed pull is kept as a job");
    assert!(kept.key.contains(&url) && kept.errors[0].contains("/users?"), "{kept:#?}");
    assert_eq!(jobs.iter().filter(|j| j.state == JobState::Applied).count(), 1, "no package was uploaded");
}

#[tokio::test]
async fn a_pull_from_a_1p1_sis_signing_oauth1_requests_gives_what_the_1p1_view_carries() {
    let stack = stack().await;
    let (source, copy) = (tenant("sis-v1p1"), tenant("sis-v1p1-copy"));
    let district = small_district();
    ingest(&stack, source.id(), "bulk.zip", e2e::bulk_zip(&district)).await;
    let (url, id, secret) = sis_signing(&stack, source.id(), 0, SignIn::OAuth1).await;
    set_source_signing(&stack, copy.id(), &url, "1.1", &id, &secret, SignIn::OAuth1).await;

    let (pulled, job) = pulled(&stack, copy.id()).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);
    assert_eq!(pulled.package.version, "1.1");
    assert!(!pulled.package.files.iter().any(|(file, _)| *file == "roles.csv"), "1.1 has no roles.csv");
    let (api_source, api_copy) = (reader(&stack, source.id()).await, reader(&stack, copy.id()).await);
    let (compared, differ) = differences(&api_source, &api_copy, Version::V1p1, pulled_route).await;
    assert!(differ.is_empty(), "{} of {compared} 1.1 answers differ:\n{}", differ.len(), differ.join("\n"));
    assert!(compared > 40, "{compared} 1.1 answers compared");
}

#[tokio::test]
async fn source_test_says_in_one_line_whether_the_sis_takes_the_secret() {
    let stack = stack().await;
    let (source, copy) = (tenant("sis-test"), tenant("sis-test-copy"));
    ingest(&stack, source.id(), "bulk.zip", e2e::bulk_zip(&e2e::tiny_district())).await;
    let (url, id, secret) = sis(&stack, source.id(), 0).await;
    let sealer = stack.source_sealer();

    set_source(&stack, copy.id(), &url, "1.2", &id, &secret).await;
    let verdict = admin::sources::test_source(stack.store(), &sealer, copy.id(), &pacing()).await.expect("tested");
    let ok = verdict.expect("the SIS takes the secret");
    assert!(ok.starts_with("ok: ") && ok.contains("orgs") && !ok.contains('\n'), "{ok}");

    set_source(&stack, copy.id(), &url, "1.2", &id, "not-the-secret").await;
    let verdict = admin::sources::test_source(stack.store(), &sealer, copy.id(), &pacing()).await.expect("tested");
    let refused = verdict.expect_err("the SIS refuses a wrong secret");
    assert!(
        refused.starts_with("failed: signing in at ") && refused.contains("refused the client id or secret"),
        "{refused}"
    );
    assert!(!refused.contains('\n') && !refused.contains("not-the-secret"), "{refused}");
    let shown = admin::sources::shown_source(&admin::sources::get_source(stack.store(), copy.id()).await.unwrap());
    assert!(!shown.to_string().contains("not-the-secret") && shown["auth"] == "oauth2", "{shown}");
}

#[tokio::test]
async fn a_sis_that_refuses_demographics_is_pulled_without_them_and_the_tenant_keeps_its_own() {
    let stack = stack().await;
    let (source, copy) = (tenant("sis-no-demo"), tenant("sis-no-demo-copy"));
    let district = e2e::tiny_district();
    ingest(&stack, source.id(), "bulk.zip", e2e::bulk_zip(&district)).await;
    // The copy already has the district, demographics included, from an upload.
    ingest(&stack, copy.id(), "bulk.zip", e2e::bulk_zip(&district)).await;
    let (url, _, _) = sis(&stack, source.id(), 0).await;
    let scope = |name: &str| format!("https://purl.imsglobal.org/spec/or/v1p2/scope/{name}");
    let granted = ["roster-core.readonly", "resource.readonly", "gradebook.readonly"].map(scope).join(" ");
    let core = oneroster_auth::Scopes::parse(&granted).expect("scopes");
    let (made, secret) = client(&stack, source.id(), &core).await;
    set_source(&stack, copy.id(), &url, "1.2", &made.id, &secret).await;
    let demographics =
        |api: e2e::Api| async move { api.get("/ims/oneroster/rostering/v1p2/demographics").await.total_count() };
    let before = demographics(reader(&stack, copy.id()).await).await;
    assert!(before > 0);

    let (s3, sealer) = (stack.s3_client(), stack.source_sealer());
    let (pulled, key) = admin::sources::pull(stack.store(), &sealer, &s3, &stack.config.bucket, copy.id(), &pacing())
        .await
        .expect("the pull goes on without demographics");
    assert!(
        pulled.not_pulled.len() == 1 && pulled.not_pulled[0].starts_with("demographics.csv: answered 40"),
        "{:?}",
        pulled.not_pulled
    );
    assert!(!pulled.package.files.iter().any(|(file, _)| *file == "demographics.csv"));
    let job = stack.wait_for_job(copy.id(), &key, true, Duration::from_secs(300)).await.expect("the job ends");
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);
    assert_eq!(demographics(reader(&stack, copy.id()).await).await, before, "the tenant keeps its demographics");
}
