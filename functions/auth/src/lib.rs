//! The token endpoint (`POST /oauth/token`, RFC 6749 §4.4 client credentials) and the public
//! keys (`GET /.well-known/jwks.json`).
//!
//! - The client authenticates with HTTP Basic (§2.3.1) or with `client_id` and
//!   `client_secret` in the form body; a client that is unknown, disabled or gives the wrong
//!   secret gets `invalid_client` (401) and nothing says which.
//! - `scope` lists full scope URIs or short names, several at once. The token carries what the
//!   client holds of the request (all it holds when it asks for nothing), and the answer says
//!   what was granted (§3.3); `invalid_scope` only when nothing of the request is held.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use oneroster_auth::{secret, Issuer, Scopes};
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

struct Auth {
    store: Store,
    issuer: RwLock<Issuer>,
    /// The secret the keys are re-read from, and how often.
    reload: Option<(SigningSecret, AtMostEvery)>,
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

/// The auth function's router, signing with `issuer`'s keys, re-read from `reload` when given.
pub fn router(store: Store, issuer: Issuer, reload: Option<SigningSecret>) -> Router {
    let reload = reload.map(|secret| (secret, AtMostEvery::starting_now(KEYS_RELOAD)));
    Router::new()
        .route(TOKEN_PATH, post(token))
        .route(JWKS_PATH, get(jwks))
        .with_state(Arc::new(Auth { store, issuer: RwLock::new(issuer), reload }))
        .layer(axum::middleware::from_fn(oneroster_http::trace::request_span))
}

async fn jwks(State(auth): State<Arc<Auth>>) -> Response {
    let headers = [(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "public, max-age=300")];
    (headers, auth.issuer().await.jwks().to_string()).into_response()
}

/// An RFC 6749 §5.2 error.
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

/// The client's credentials from HTTP Basic (both parts form-encoded, §2.3.1) or the body.
fn credentials(headers: &HeaderMap, form: &[(String, String)]) -> Option<(String, String, bool)> {
    if let Some(basic) =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Basic "))
    {
        let decoded = String::from_utf8(STANDARD.decode(basic.trim()).ok()?).ok()?;
        let (id, secret) = decoded.split_once(':')?;
        let decode =
            |part: &str| form_urlencoded::parse(format!("x={part}").as_bytes()).next().map(|(_, v)| v.into_owned());
        return Some((decode(id)?, decode(secret)?, true));
    }
    Some((field(form, "client_id")?.to_owned(), field(form, "client_secret")?.to_owned(), false))
}

/// A hash no secret matches, checked for unknown clients so that they cost as much time as
/// known ones (no timing oracle on client ids).
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| secret::hash(&secret::random_id()))
}

async fn token(State(auth): State<Arc<Auth>>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let mut response = issue(&auth, &headers, &body).await;
    response.extensions_mut().insert(oneroster_http::trace::Operation("token"));
    response
}

async fn issue(auth: &Auth, headers: &HeaderMap, body: &[u8]) -> Response {
    let form: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
    let Some((client_id, client_secret, basic)) = credentials(headers, &form) else {
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
    let client = match Tenant::of_client_id(&client_id) {
        Some(tenant) => match auth.store.get_client(&tenant, &client_id).await {
            Ok(client) => client.filter(|c| c.enabled),
            Err(error) => {
                tracing::error!(%error, "reading a client failed");
                return refuse(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "try again later", false);
            }
        },
        None => None,
    };
    let hash = client.as_ref().map_or_else(|| decoy_hash().to_owned(), |c| c.secret_hash.clone());
    let matches = tokio::task::spawn_blocking(move || secret::verify(&client_secret, &hash)).await.unwrap_or(false);
    let Some(client) = client.filter(|_| matches) else {
        tracing::info!("token refused: invalid client");
        return refuse(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client, disabled client or wrong secret",
            basic,
        );
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
        "access_token": access_token, "token_type": "Bearer", "expires_in": expires_in, "scope": granted.to_text(),
    });
    ([(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-store")], body.to_string())
        .into_response()
}
