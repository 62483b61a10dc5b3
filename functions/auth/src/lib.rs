//! The token endpoint (`POST /oauth/token`, RFC 6749 §4.4 client credentials) and the public
//! keys (`GET /.well-known/jwks.json`).
//!
//! - The client authenticates with HTTP Basic (§2.3.1) or with `client_id` and
//!   `client_secret` in the form body; a client that is unknown, disabled or gives the wrong
//!   secret gets `invalid_client` (401) and nothing says which.
//! - `scope` lists full scope URIs or short names, several at once; OneRoster 1.1's URIs are
//!   read as the 1.2 scopes of the same names ([`oneroster_auth::scope`]). The token carries
//!   what the client holds of the request (all it holds when it asks for nothing or sends no
//!   `scope`), as 1.2 URIs, and the answer says what was granted (§3.3), naming each scope by
//!   the URI it was asked by (a 1.1 consumer reads back its 1.1 URIs); `invalid_scope` only
//!   when nothing of the request is held.
//! - A client id that is not of the client id shape (`{tenant}.{hex}`, at most 1,024 bytes)
//!   or a secret over [`MAX_SECRET_BYTES`] is `invalid_client` at once, without a store call.
//! - Guessing is bounded ([`guard`]): failed authentications per source address and per client
//!   id (429 with `Retry-After`), secret checks at once per instance (503 with
//!   `Retry-After`), and an unknown client costs one hash, as a wrong secret does.

pub mod guard;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use guard::{Guard, Limits, Refusal};
use oneroster_auth::{ClientSecret, Issuer, Scopes};
use oneroster_http::pace::AtMostEvery;
use oneroster_secrets::SigningSecret;
use oneroster_store::{Store, Tenant};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// How long an access token lives.
pub const TOKEN_LIFETIME_SECONDS: u64 = 3600;

/// How often a deployed auth function re-reads its signing keys, so that a key rotated in or
/// retired (`oneroster-admin keys`) takes effect without a redeploy.
pub const KEYS_RELOAD: Duration = Duration::from_secs(300);

/// The longest client secret looked at (secrets made here are 43 characters): a longer one
/// cannot be right, and is refused without hashing.
pub const MAX_SECRET_BYTES: usize = 1024;

/// The largest form body read; a token request is a few hundred bytes.
pub const MAX_FORM_BYTES: usize = 16 * 1024;

struct Auth {
    store: Store,
    issuer: RwLock<Issuer>,
    /// The secret the keys are re-read from, and how often.
    reload: Option<(SigningSecret, AtMostEvery)>,
    guard: Arc<Guard>,
}

impl Auth {
    /// The issuer with the current keys, re-read from the secret when [`KEYS_RELOAD`] has
    /// passed (a failed read keeps the keys in use).
    async fn issuer(&self) -> Issuer {
        if let Some((secret, reload)) = &self.reload {
            if reload.due() {
                match secret.load().await {
                    Ok(Some(ring)) => {
                        if let Ok(mut issuer) = self.issuer.write() {
                            *issuer = issuer.with_keys(ring);
                        }
                    }
                    Ok(None) => tracing::warn!("the signing-keys secret is empty; the keys in use stay"),
                    Err(error) => tracing::warn!(%error, "re-reading the signing keys failed; the keys in use stay"),
                }
            }
        }
        self.issuer.read().map_or_else(|poisoned| poisoned.into_inner().clone(), |issuer| issuer.clone())
    }
}

/// The token endpoint's path.
pub const TOKEN_PATH: &str = "/oauth/token";
/// The public keys' path.
pub const JWKS_PATH: &str = "/.well-known/jwks.json";

/// Every method and path the [`router`] answers.
pub fn served() -> Vec<(&'static str, String)> {
    vec![("POST", TOKEN_PATH.to_owned()), ("GET", JWKS_PATH.to_owned())]
}

/// The auth function's router, signing with `issuer`'s keys, re-read from `reload` when given,
/// with the default [`Limits`].
pub fn router(store: Store, issuer: Issuer, reload: Option<SigningSecret>) -> Router {
    router_with(store, issuer, reload, Guard::new(Limits::default()))
}

/// [`router`] with the limits of `guard` (the deployment's, from its environment; tests' with
/// short windows, reading how many hashes it ran).
pub fn router_with(store: Store, issuer: Issuer, reload: Option<SigningSecret>, guard: Arc<Guard>) -> Router {
    let reload = reload.map(|secret| (secret, AtMostEvery::starting_now(KEYS_RELOAD)));
    Router::new()
        .route(TOKEN_PATH, post(token))
        .route(JWKS_PATH, get(jwks))
        .with_state(Arc::new(Auth { store, issuer: RwLock::new(issuer), reload, guard }))
        .layer(axum::middleware::from_fn(oneroster_http::trace::request_span))
}

async fn jwks(State(auth): State<Arc<Auth>>) -> Response {
    let headers = [(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "public, max-age=300")];
    (headers, auth.issuer().await.jwks().to_string()).into_response()
}

/// An RFC 6749 §5.2 error (`temporarily_unavailable`, of the OAuth error registry, for 429
/// and 503).
fn refuse(status: StatusCode, error: &str, description: &str, basic: bool) -> Response {
    let body = serde_json::json!({"error": error, "error_description": description}).to_string();
    let mut response =
        (status, [(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-store")], body)
            .into_response();
    if basic {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Basic realm=\"oneroster\""));
    }
    response
}

/// A field of the form body.
fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

/// The client's credentials as presented.
struct Credentials {
    id: String,
    secret: ClientSecret,
    /// Whether they came by HTTP Basic (a 401 then names the scheme).
    basic: bool,
}

/// The client's credentials from HTTP Basic (both parts form-encoded, §2.3.1) or the body.
fn credentials(headers: &HeaderMap, form: &[(String, String)]) -> Option<Credentials> {
    if let Some(basic) =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Basic "))
    {
        let decoded = String::from_utf8(STANDARD.decode(basic.trim()).ok()?).ok()?;
        let (id, secret) = decoded.split_once(':')?;
        let decode =
            |part: &str| form_urlencoded::parse(format!("x={part}").as_bytes()).next().map(|(_, v)| v.into_owned());
        return Some(Credentials { id: decode(id)?, secret: ClientSecret::presented(decode(secret)?), basic: true });
    }
    Some(Credentials {
        id: field(form, "client_id")?.to_owned(),
        secret: ClientSecret::presented(field(form, "client_secret")?),
        basic: false,
    })
}

/// Now, in seconds since the epoch (the failure windows' clock).
fn epoch_seconds() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

async fn token(State(auth): State<Arc<Auth>>, request: axum::extract::Request) -> Response {
    let (parts, body) = request.into_parts();
    let mut response = match axum::body::to_bytes(body, MAX_FORM_BYTES).await {
        Ok(body) => issue(&auth, &parts.headers, &parts.extensions, &body).await,
        Err(_) => refuse(StatusCode::PAYLOAD_TOO_LARGE, "invalid_request", "the form is too large", false),
    };
    response.extensions_mut().insert(oneroster_http::trace::Operation("token"));
    response
}

/// A 401 `invalid_client` that never says which part was wrong.
fn invalid_client(basic: bool) -> Response {
    tracing::info!("token refused: invalid client");
    refuse(StatusCode::UNAUTHORIZED, "invalid_client", "unknown client, disabled client or wrong secret", basic)
}

/// 429 or 503 with `Retry-After`, for a request refused before its secret was checked.
fn refused(refusal: Refusal) -> Response {
    let (status, retry_after, description) = match refusal {
        Refusal::TooManyFailures { retry_after, by } => {
            tracing::warn!(by, retry_after, "token refused: too many failed client authentications");
            let description = format!("too many failed client authentications; retry after {retry_after} seconds");
            (StatusCode::TOO_MANY_REQUESTS, retry_after, description)
        }
        Refusal::Busy => {
            tracing::warn!("token refused: every secret check of this instance is busy");
            (StatusCode::SERVICE_UNAVAILABLE, 1, "the token endpoint is busy; retry in a second".to_owned())
        }
    };
    let mut response = refuse(status, "temporarily_unavailable", &description, false);
    response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(retry_after));
    response
}

fn server_error(error: &oneroster_store::StoreError, doing: &str) -> Response {
    tracing::error!(%error, "{doing} failed");
    refuse(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "try again later", false)
}

async fn issue(auth: &Auth, headers: &HeaderMap, extensions: &axum::http::Extensions, body: &[u8]) -> Response {
    let form: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
    let Some(Credentials { id: client_id, secret: client_secret, basic }) = credentials(headers, &form) else {
        return refuse(StatusCode::UNAUTHORIZED, "invalid_client", "client authentication is required", true);
    };
    match field(&form, "grant_type") {
        Some("client_credentials") => {}
        None => return refuse(StatusCode::BAD_REQUEST, "invalid_request", "grant_type is required", false),
        Some(_) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "only client_credentials is supported",
                false,
            )
        }
    }
    let requested = match field(&form, "scope").filter(|s| !s.trim().is_empty()).map(Scopes::parse).transpose() {
        Ok(requested) => requested,
        Err(word) => {
            return refuse(StatusCode::BAD_REQUEST, "invalid_scope", &format!("unknown scope '{word}'"), false)
        }
    };
    // Text that is no client id, or no secret of ours, never reaches the store or a hash.
    let Some(tenant) = Tenant::of_client_id(&client_id) else { return invalid_client(basic) };
    if client_secret.len() > MAX_SECRET_BYTES {
        return invalid_client(basic);
    }
    let source = guard::source_address(extensions);
    let now = epoch_seconds();
    match auth.guard.over_limit(&auth.store, &client_id, &source, now).await {
        Ok(None) => {}
        Ok(Some(refusal)) => return refused(refusal),
        Err(error) => return server_error(&error, "reading the failed authentications"),
    }
    let client = match auth.store.tenant(&tenant).clients().get(&client_id).await {
        Ok(client) => client.filter(|c| c.enabled),
        Err(error) => return server_error(&error, "reading a client"),
    };
    // Known or not, enabled or not: one hash.
    let hash = Guard::hash_for(client.as_ref().map(|c| c.secret_hash.as_str()));
    let matches = match auth.guard.check_secret(client_secret, hash).await {
        Ok(matches) => matches,
        Err(refusal) => return refused(refusal),
    };
    let Some(client) = client.filter(|_| matches) else {
        auth.guard.count_failure(&auth.store, &client_id, &source, now).await;
        return invalid_client(basic);
    };
    let held = Scopes::parse(&client.scopes).unwrap_or_default();
    let granted = held.grant(requested.as_ref());
    if granted.is_empty() {
        return refuse(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "the client holds none of the requested scopes",
            false,
        );
    }
    let (access_token, expires_in) = auth.issuer().await.issue(&client.tenant, &client.id, &granted);
    tracing::info!(client = %client.id, "token issued");
    let body = serde_json::json!({
        "access_token": access_token, "token_type": "Bearer", "expires_in": expires_in, "scope": granted.to_text_as_requested(field(&form, "scope").unwrap_or_default()),
    });
    ([(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-store")], body.to_string())
        .into_response()
}
