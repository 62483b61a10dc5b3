//! Running a service's router as a Lambda function behind API Gateway.

use crate::serving::Serving;
use crate::Gate;
use axum::response::Response;
use axum::Router;
use lambda_http::request::LambdaRequest;
use lambda_http::tower::util::MapRequest;
use lambda_http::LambdaEvent;
use oneroster_store::Store;
use std::sync::Arc;
use std::time::Duration;

/// Logs as JSON lines (what CloudWatch Logs Insights queries), level from `RUST_LOG`.
pub fn init_json_logs() {
    tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .without_time()
        .init();
}

/// What the function runs for each invocation.
pub type Handler = MapRequest<lambda_http::Adapter<'static, Response, Router>, fn(Invocation) -> Invocation>;

/// One invocation of an API function: API Gateway's event and Lambda's context.
pub type Invocation = LambdaEvent<LambdaRequest>;

/// What the function runs for each invocation: an API Gateway event in, the answer event out
/// (`lambda_http`'s adapter around `router`), paths the router does not route answered with
/// the 404 `imsx_StatusInfo` of [`no_route`](crate::service::no_route). Tests feed it the
/// events API Gateway sends, since the local server serves the router without it.
///
/// The headers that name a host (`Host`, `X-Forwarded-Host`, `X-Forwarded-Proto`) are taken
/// out of the event first: nothing here reads them (links name the deployment, see
/// [`Serving`]), and `lambda_http` builds the request's URI from them with a parse that panics
/// on a host no URL can hold (`Host: a b`), which would answer 502 without a body. Without them
/// it uses the domain API Gateway names in the request context.
pub fn handler(router: Router) -> Handler {
    let adapter = lambda_http::Adapter::from(router.fallback(crate::service::no_route));
    lambda_http::tower::ServiceExt::map_request(adapter, forget_client_hosts as fn(Invocation) -> Invocation)
}

/// An invocation without the headers a client writes to name a host.
fn forget_client_hosts(mut invocation: Invocation) -> Invocation {
    const HOST_HEADERS: [&str; 3] = ["host", "x-forwarded-host", "x-forwarded-proto"];
    match &mut invocation.payload {
        LambdaRequest::ApiGatewayV2(event) => {
            for name in HOST_HEADERS {
                event.headers.remove(name);
            }
        }
        LambdaRequest::ApiGatewayV1(event) => {
            for name in HOST_HEADERS {
                event.headers.remove(name);
                event.multi_value_headers.remove(name);
            }
        }
        _ => {}
    }
    invocation
}

/// Serves `router` to API Gateway events until the runtime stops the function.
pub async fn run(router: Router) -> Result<(), lambda_http::Error> {
    lambda_http::lambda_runtime::run(handler(router)).await
}

/// How long the [`Gate`] trusts that a client it checked is still enabled.
const CLIENT_RECHECK: Duration = Duration::from_secs(60);

/// The environment variable naming the KMS key (ARN) that OAuth 1.0a clients' secrets are
/// sealed under; empty or unset, no request may be signed.
pub const OAUTH1_KEY: &str = "OAUTH1_KEY";

/// Runs a service's router in Lambda: JSON logs, then the router that `service` builds over the table
/// `TABLE_NAME`, behind a [`Gate`] that verifies tokens of `ISSUER` against the public keys
/// published in the table (see [`Gate::with_published_keys`]) and, when [`OAUTH1_KEY`] names a
/// key, OAuth 1.0a signatures of the clients whose secrets are sealed under it, its links
/// naming the API's custom domain `API_DOMAIN_NAME`, else the domain API Gateway says the
/// request came to ([`Serving::from_env`]). A bad configuration stops the function at start.
pub async fn run_service(service: fn(Store, Arc<Gate>) -> Router) -> Result<(), lambda_http::Error> {
    init_json_logs();
    let serving = Serving::from_env()?;
    let aws = aws_config::load_from_env().await;
    let store = Store::connect(&aws, None, std::env::var("TABLE_NAME")?);
    let mut gate = Gate::with_published_keys(store.clone(), &std::env::var("ISSUER")?, CLIENT_RECHECK).await?;
    if let Some(key) = std::env::var(OAUTH1_KEY).ok().filter(|key| !key.trim().is_empty()) {
        gate = gate.with_oauth1(Arc::new(oneroster_secrets::KmsSealer::new(&aws, None, key)));
    }
    run(serving.serve(service(store, Arc::new(gate)))).await
}
