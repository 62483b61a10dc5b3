//! Who is calling. Every API request must carry a bearer token that the [`Gate`] verifies
//! (signature, issuer, audience, expiry) and whose client is still enabled; the request then
//! carries a [`Caller`], the only source of its tenant. Handlers take a `Caller`, so no handler
//! runs, and no store call is made, without a tenant obtained that way.

use crate::pace::AtMostEvery;
use crate::ApiError;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use oneroster_auth::{AuthError, Grant, Verifier};
use oneroster_store::{Store, Tenant};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// The verified caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller(pub Grant);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Caller>().cloned().ok_or(ApiError::Unauthorised)
    }
}

impl Caller {
    /// The tenant the request acts for: the verified token's.
    pub fn tenant(&self) -> Tenant {
        Tenant::of_grant(&self.0)
    }

    /// The OAuth client the token was issued to: the author of what the request writes.
    pub fn client(&self) -> &str {
        self.0.client()
    }

    /// Refuses the request (403) unless the token holds one of `scopes`.
    pub fn require_any(&self, scopes: &[String]) -> Result<(), ApiError> {
        if self.0.scopes().allows_any(scopes) {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }
}

/// Checks tokens, and whether their client is still enabled (a disabled or revoked client's
/// tokens stop working within `recheck`, without a store read per request).
pub struct Gate {
    verifier: RwLock<Verifier>,
    store: Store,
    recheck: Duration,
    clients: Mutex<HashMap<String, (Instant, bool)>>,
    /// With keys published in the store: the issuer, and how often they may be read again.
    published: Option<(String, AtMostEvery)>,
}

/// How often, at most, a token signed by an unknown key makes the gate read the published
/// keys again (a key rotated in after the function started).
const KEYS_REREAD: Duration = Duration::from_secs(60);

/// The gate could not start: no keys are published (`oneroster-admin keys init` publishes them).
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    /// Nothing published yet.
    #[error("no signing keys are published in the table; run `oneroster-admin keys init`")]
    NoKeys,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] oneroster_store::StoreError),
}

impl Gate {
    /// A gate verifying with `verifier`, looking clients up in `store` at most every `recheck`.
    pub fn new(verifier: Verifier, store: Store, recheck: Duration) -> Self {
        Self { verifier: RwLock::new(verifier), store, recheck, clients: Mutex::new(HashMap::new()), published: None }
    }

    /// A gate verifying tokens of `issuer` with the keys published in `store` (see
    /// [`Store::publish_keys`]), read again when a token names a key it does not know.
    pub async fn with_published_keys(store: Store, issuer: &str, recheck: Duration) -> Result<Self, GateError> {
        let keys = store.published_keys().await?.ok_or(GateError::NoKeys)?;
        let mut gate = Self::new(Verifier::new(&keys.jwks, issuer), store, recheck);
        // The first unknown key may send the gate back to the table at once.
        gate.published = Some((issuer.to_owned(), AtMostEvery::due_now(KEYS_REREAD)));
        Ok(gate)
    }

    fn verify(&self, token: &str) -> Result<Grant, AuthError> {
        self.verifier.read().map_err(|_| AuthError::Invalid("verifier unavailable".into()))?.verify(token)
    }

    /// Reads the published keys again, unless that was done within [`KEYS_REREAD`]; whether
    /// it did.
    async fn reread_keys(&self) -> Result<bool, ApiError> {
        let Some((issuer, reread)) = &self.published else { return Ok(false) };
        if !reread.due() {
            return Ok(false);
        }
        let Some(keys) = self.store.published_keys().await? else { return Ok(false) };
        if let Ok(mut verifier) = self.verifier.write() {
            *verifier = Verifier::new(&keys.jwks, issuer);
        }
        Ok(true)
    }

    async fn admit(&self, token: &str) -> Result<Grant, ApiError> {
        let mut verified = self.verify(token);
        if matches!(verified, Err(AuthError::UnknownKey)) && self.reread_keys().await? {
            verified = self.verify(token);
        }
        let grant = verified.map_err(|e| {
            tracing::info!(reason = %e, "token refused");
            ApiError::Unauthorised
        })?;
        let known = self.clients.lock().ok().and_then(|c| c.get(grant.client()).copied());
        let enabled = match known {
            Some((checked, enabled)) if checked.elapsed() < self.recheck => enabled,
            _ => {
                let client = self.store.get_client(&Tenant::of_grant(&grant), grant.client()).await?;
                let enabled = client.is_some_and(|c| c.enabled);
                if let Ok(mut clients) = self.clients.lock() {
                    clients.insert(grant.client().to_owned(), (Instant::now(), enabled));
                }
                enabled
            }
        };
        if !enabled {
            tracing::info!(client = %grant.client(), "token of a disabled or unknown client refused");
            return Err(ApiError::Unauthorised);
        }
        Ok(grant)
    }
}

/// Middleware: admits a request with a valid bearer token (attaching its [`Caller`]) or
/// answers 401 `unauthorisedrequest`.
pub async fn authenticate(State(gate): State<Arc<Gate>>, mut request: Request, next: Next) -> Response {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(|t| t.trim().to_owned());
    let Some(token) = token else { return ApiError::Unauthorised.into_response() };
    match gate.admit(&token).await {
        Ok(grant) => {
            let caller = Caller(grant);
            crate::trace::record_caller(&caller);
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Err(error) => error.into_response(),
    }
}
