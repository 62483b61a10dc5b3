//! Who is calling. Every API request must carry a bearer token that the [`Gate`] verifies
//! (signature, issuer, audience, expiry, not-before and issue time, the tenant the client's)
//! and whose client is still enabled; the request then carries a [`Caller`], the only source
//! of its tenant. Handlers take a `Caller`, so no handler runs, and no store call is made,
//! without a tenant obtained that way.
//!
//! A gate that reads the public keys from the table reads them again every [`KEYS_REFRESH`]
//! (a key retired or withdrawn stops verifying within that time) and when a token names a key
//! it does not know (a key rotated in), at most every [`KEYS_REREAD`].

use crate::pace::AtMostEvery;
use crate::ApiError;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use oneroster_auth::{AuthError, Grant, Verifier};
use oneroster_model::TenantId;
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
        self.0.tenant_access()
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
    clients: ClientCache,
    /// With keys published in the store: where they come from and when to read them again.
    published: Option<Published>,
}

/// The keys published in the store, and the two reasons to read them again.
struct Published {
    issuer: String,
    /// A token named a key the gate does not know.
    on_unknown_key: AtMostEvery,
    /// Time: a key may have been retired or withdrawn.
    on_timer: AtMostEvery,
}

/// How often, at most, a token signed by an unknown key makes the gate read the published
/// keys again (a key rotated in after the function started).
pub const KEYS_REREAD: Duration = Duration::from_secs(60);

/// How often a gate reads the published keys again in any case, so that a key withdrawn from
/// the table (retired, or leaked and removed) stops verifying within this time.
pub const KEYS_REFRESH: Duration = Duration::from_secs(300);

/// Whether each client was enabled when last looked up, keyed by the tenant and the client:
/// an entry answers only for the tenant whose partition it was read from.
#[derive(Debug, Default)]
pub struct ClientCache(Mutex<HashMap<(TenantId, String), (Instant, bool)>>);

impl ClientCache {
    /// Whether `client` of `tenant` was enabled, if it was looked up less than `max_age` ago.
    pub fn get(&self, tenant: &TenantId, client: &str, max_age: Duration) -> Option<bool> {
        let clients = self.0.lock().ok()?;
        let (checked, enabled) = clients.get(&(tenant.clone(), client.to_owned()))?;
        (checked.elapsed() < max_age).then_some(*enabled)
    }

    /// Remembers whether `client` of `tenant` is enabled, as of now.
    pub fn insert(&self, tenant: &TenantId, client: &str, enabled: bool) {
        if let Ok(mut clients) = self.0.lock() {
            clients.insert((tenant.clone(), client.to_owned()), (Instant::now(), enabled));
        }
    }
}

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
        Self { verifier: RwLock::new(verifier), store, recheck, clients: ClientCache::default(), published: None }
    }

    /// A gate verifying tokens of `issuer` with the keys published in `store` (see
    /// [`Store::publish_keys`]), read again every [`KEYS_REFRESH`] and when a token names a key
    /// it does not know.
    pub async fn with_published_keys(store: Store, issuer: &str, recheck: Duration) -> Result<Self, GateError> {
        Self::with_published_keys_every(store, issuer, recheck, KEYS_REFRESH).await
    }

    /// [`Gate::with_published_keys`], reading the keys again every `refresh` (tests shorten
    /// it; a deployment keeps [`KEYS_REFRESH`]).
    pub async fn with_published_keys_every(
        store: Store,
        issuer: &str,
        recheck: Duration,
        refresh: Duration,
    ) -> Result<Self, GateError> {
        let keys = store.published_keys().await?.ok_or(GateError::NoKeys)?;
        let mut gate = Self::new(Verifier::new(&keys.jwks, issuer), store, recheck);
        gate.published = Some(Published {
            issuer: issuer.to_owned(),
            // The first unknown key may send the gate back to the table at once.
            on_unknown_key: AtMostEvery::due_now(KEYS_REREAD),
            on_timer: AtMostEvery::starting_now(refresh),
        });
        Ok(gate)
    }

    fn verify(&self, token: &str) -> Result<Grant, AuthError> {
        self.verifier.read().map_err(|_| AuthError::Invalid("verifier unavailable".into()))?.verify(token)
    }

    /// Reads the published keys again when `due` says so (each reason has its own pace);
    /// whether it did.
    async fn reread_keys(&self, due: impl Fn(&Published) -> bool) -> Result<bool, ApiError> {
        let Some(published) = &self.published else { return Ok(false) };
        if !due(published) {
            return Ok(false);
        }
        let Some(keys) = self.store.published_keys().await? else { return Ok(false) };
        if let Ok(mut verifier) = self.verifier.write() {
            *verifier = Verifier::new(&keys.jwks, &published.issuer);
        }
        Ok(true)
    }

    async fn admit(&self, token: &str) -> Result<Grant, ApiError> {
        // A failed timed read keeps the keys in use: the table may be briefly unreachable.
        if let Err(error) = self.reread_keys(|p| p.on_timer.due()).await {
            tracing::warn!(%error, "re-reading the published keys failed; the keys in use stay");
        }
        let mut verified = self.verify(token);
        if matches!(verified, Err(AuthError::UnknownKey)) && self.reread_keys(|p| p.on_unknown_key.due()).await? {
            verified = self.verify(token);
        }
        let grant = verified.map_err(|e| {
            tracing::info!(reason = %e, "token refused");
            ApiError::Unauthorised
        })?;
        let enabled = match self.clients.get(grant.tenant(), grant.client(), self.recheck) {
            Some(enabled) => enabled,
            None => {
                let client = self.store.tenant(&grant.tenant_access()).clients().get(grant.client()).await?;
                let enabled = client.is_some_and(|c| c.enabled && &c.tenant == grant.tenant());
                self.clients.insert(grant.tenant(), grant.client(), enabled);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_cache_answers_only_for_the_tenant_it_was_read_for() {
        let client = "district-a.00112233aabbccdd";
        let (a, b) = (
            oneroster_auth::tenant_of_client(client).expect("a tenant"),
            oneroster_auth::tenant_of_client("district-b.00112233aabbccdd").expect("a tenant"),
        );
        let cache = ClientCache::default();
        cache.insert(&a, client, true);
        let minute = Duration::from_secs(60);
        assert_eq!(cache.get(&a, client, minute), Some(true));
        assert_eq!(cache.get(&b, client, minute), None, "another tenant's token naming the same client");
        assert_eq!(cache.get(&a, "district-a.ffffffffffffffff", minute), None);
        assert_eq!(cache.get(&a, client, Duration::ZERO), None, "an entry older than the recheck");
        cache.insert(&a, client, false);
        assert_eq!(cache.get(&a, client, minute), Some(false));
    }

    #[test]
    fn a_deployed_gate_rereads_the_keys_within_five_minutes() {
        assert!(KEYS_REFRESH <= Duration::from_secs(300));
        assert!(KEYS_REREAD <= KEYS_REFRESH);
    }
}
