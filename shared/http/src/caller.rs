//! Who is calling. Every API request must carry a bearer token that the [`Gate`] verifies
//! (signature, issuer, audience, expiry) and whose client is still enabled; the request then
//! carries a [`Caller`], the only source of its tenant. Handlers take a `Caller`, so no handler
//! runs, and no store call is made, without a tenant obtained that way.

use crate::ApiError;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use oneroster_auth::{Grant, Verifier};
use oneroster_store::Store;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
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
    /// Refuses the request (403) unless the token holds one of `scopes`.
    pub fn require_any(&self, scopes: &[String]) -> Result<(), ApiError> {
        if self.0.scopes.allows_any(scopes) {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }
}

/// Checks tokens, and whether their client is still enabled (a disabled or revoked client's
/// tokens stop working within `recheck`, without a store read per request).
pub struct Gate {
    verifier: Verifier,
    store: Store,
    recheck: Duration,
    clients: Mutex<HashMap<String, (Instant, bool)>>,
}

impl Gate {
    /// A gate verifying with `verifier`, looking clients up in `store` at most every `recheck`.
    pub fn new(verifier: Verifier, store: Store, recheck: Duration) -> Self {
        Self { verifier, store, recheck, clients: Mutex::new(HashMap::new()) }
    }

    async fn admit(&self, token: &str) -> Result<Grant, ApiError> {
        let grant = self.verifier.verify(token).map_err(|e| {
            tracing::info!(reason = %e, "token refused");
            ApiError::Unauthorised
        })?;
        let known = self.clients.lock().ok().and_then(|c| c.get(&grant.client).copied());
        let enabled = match known {
            Some((checked, enabled)) if checked.elapsed() < self.recheck => enabled,
            _ => {
                let client = self.store.get_client(&grant.tenant, &grant.client).await?;
                let enabled = client.is_some_and(|c| c.enabled);
                if let Ok(mut clients) = self.clients.lock() {
                    clients.insert(grant.client.clone(), (Instant::now(), enabled));
                }
                enabled
            }
        };
        if !enabled {
            tracing::info!(client = %grant.client, "token of a disabled or unknown client refused");
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
