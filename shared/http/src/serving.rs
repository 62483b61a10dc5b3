//! How a deployment serves the API: the base URL its answers name (in `Link` and in every
//! `href`), and how long a read may take.
//!
//! **Links never come from a header the client sent.** `Host` and `X-Forwarded-Proto` are the
//! client's to write, so a forged one would put any origin (`javascript://evil.example`) into
//! every link of the answer, and into a shared cache. The base URL is, in order:
//! 1. the deployment's own ([`BaseUrl::Fixed`]): the API's custom domain, a stack parameter
//!    passed to the API functions as `API_DOMAIN_NAME` ([`Serving::from_env`]); locally, the
//!    local server's listen address;
//! 2. else the domain API Gateway sets in the request context (`requestContext.domainName`):
//!    the domain the client called, which API Gateway has already matched to this API (the
//!    API's own URL cannot be passed in the function's environment: the template would be
//!    circular);
//! 3. else none: `href`s and `Link`s are paths (a router served without either, in a test).

use axum::extract::Extension;
use axum::Router;
use std::sync::Arc;
use std::time::Duration;

/// The environment variable holding the API's custom domain (empty: none).
pub const API_DOMAIN_NAME: &str = "API_DOMAIN_NAME";

/// How long a read may take before it is answered 503 instead: API Gateway and the API
/// functions stop at 29 s, which would leave the client a timeout with no body.
pub const READ_BUDGET: Duration = Duration::from_secs(20);

/// How long before now the change events feed stops: an event is stamped as it is written, and
/// concurrent writers may store one stamped earlier after one stamped later, each within one
/// request of at most two seconds (`oneroster_store::events`); serving only what is older than
/// this keeps a reader from passing an event that is still to come.
pub const EVENTS_SETTLE: Duration = Duration::from_secs(5);

/// Where the answers say the API is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaseUrl {
    /// This origin (`https://api.example.org`, `http://127.0.0.1:8080`), always.
    Fixed(String),
    /// `https://` and the domain API Gateway sets in the request context.
    RequestContext,
}

/// A deployment's way of serving: its [`BaseUrl`] and its [`READ_BUDGET`].
#[derive(Debug, Clone)]
pub struct Serving {
    /// Where the answers say the API is.
    pub base: BaseUrl,
    /// How long a read may take.
    pub read_budget: Duration,
    /// How far behind now the change events feed stops ([`EVENTS_SETTLE`] unless told).
    pub events_settle: Duration,
}

/// A configuration that cannot be served: the function stops at start, saying why.
#[derive(Debug, thiserror::Error)]
#[error("{API_DOMAIN_NAME} '{0}' is not a domain name (letters, digits, '-' and '.', as a stack parameter holds it)")]
pub struct BadDomain(String);

impl Serving {
    /// Served at `origin` (scheme, host and port, no path).
    pub fn at(origin: impl Into<String>) -> Self {
        Self::served(BaseUrl::Fixed(origin.into().trim_end_matches('/').to_owned()))
    }

    /// Served behind API Gateway at the domain the request came to.
    pub fn behind_api_gateway() -> Self {
        Self::served(BaseUrl::RequestContext)
    }

    fn served(base: BaseUrl) -> Self {
        Self { base, read_budget: READ_BUDGET, events_settle: EVENTS_SETTLE }
    }

    /// The same, with the change events feed stopping `settle` behind now (a test that stores
    /// its events before it reads them need not wait).
    pub fn with_events_settle(self, events_settle: Duration) -> Self {
        Self { events_settle, ..self }
    }

    /// The same, with another read budget.
    pub fn with_read_budget(self, read_budget: Duration) -> Self {
        Self { read_budget, ..self }
    }

    /// A Lambda function's: `https://` and [`API_DOMAIN_NAME`] when it names a domain, else the
    /// request context's domain.
    pub fn from_env() -> Result<Self, BadDomain> {
        match std::env::var(API_DOMAIN_NAME).unwrap_or_default().trim() {
            "" => Ok(Self::behind_api_gateway()),
            domain if is_domain(domain) => Ok(Self::at(format!("https://{}", domain.to_ascii_lowercase()))),
            other => Err(BadDomain(other.to_owned())),
        }
    }

    /// `router`, serving this way.
    pub fn serve(self, router: Router) -> Router {
        router.layer(Extension(Arc::new(self)))
    }
}

/// Whether `text` is a domain name (what a custom domain, or API Gateway's own, looks like).
fn is_domain(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 253
        && text.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
        })
}

/// The origin of the answers to a request with these extensions (see the module's order).
pub(crate) fn origin(extensions: &axum::http::Extensions) -> Option<String> {
    let serving = extensions.get::<Arc<Serving>>();
    if let Some(BaseUrl::Fixed(origin)) = serving.map(|serving| &serving.base) {
        return Some(origin.clone());
    }
    use lambda_http::request::RequestContext;
    let domain = match extensions.get::<RequestContext>()? {
        RequestContext::ApiGatewayV2(context) => context.domain_name.as_deref(),
        RequestContext::ApiGatewayV1(context) => context.domain_name.as_deref(),
        _ => None,
    };
    domain.filter(|domain| is_domain(domain)).map(|domain| format!("https://{}", domain.to_ascii_lowercase()))
}

/// The read budget of the request, as its deployment serves it ([`READ_BUDGET`] unless told).
#[derive(Debug, Clone, Copy)]
pub struct ReadBudget(pub Duration);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ReadBudget {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(parts.extensions.get::<Arc<Serving>>().map_or(READ_BUDGET, |serving| serving.read_budget)))
    }
}

/// How far behind now the request's deployment stops the change events feed.
#[derive(Debug, Clone, Copy)]
pub struct EventsSettle(pub Duration);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for EventsSettle {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(parts.extensions.get::<Arc<Serving>>().map_or(EVENTS_SETTLE, |serving| serving.events_settle)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_domain_names_are_taken() {
        for good in ["api.example.org", "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com", "localhost"] {
            assert!(is_domain(good), "{good}");
        }
        for bad in ["", "evil.example/x", "javascript://evil", "a..b", "-a.b", "a b", "h:80", &"a".repeat(300)] {
            assert!(!is_domain(bad), "{bad}");
        }
    }

    #[test]
    fn the_deployment_base_wins_over_the_request_context_and_headers_never_count() {
        let mut extensions = axum::http::Extensions::new();
        assert_eq!(origin(&extensions), None);
        let mut context = lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext::default();
        context.domain_name = Some("abc.execute-api.eu-west-1.amazonaws.com".into());
        extensions.insert(lambda_http::request::RequestContext::ApiGatewayV2(context));
        assert_eq!(origin(&extensions).as_deref(), Some("https://abc.execute-api.eu-west-1.amazonaws.com"));
        extensions.insert(Arc::new(Serving::behind_api_gateway()));
        assert_eq!(origin(&extensions).as_deref(), Some("https://abc.execute-api.eu-west-1.amazonaws.com"));
        extensions.insert(Arc::new(Serving::at("https://api.example.org/")));
        assert_eq!(origin(&extensions).as_deref(), Some("https://api.example.org"));
    }
}
