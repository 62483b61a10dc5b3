//! Who is calling. Every API request must carry a bearer token that the [`Gate`] verifies
//! (signature, issuer, audience, expiry, not-before and issue time, the tenant the client's)
//! and whose client is still enabled; the request then carries a [`Caller`], the only source
//! of its tenant. Handlers take a `Caller`, so no handler runs, and no store call is made,
//! without a tenant obtained that way.
//!
//! A gate given a [`SecretSealer`] ([`Gate::with_oauth1`]) also admits OAuth 1.0a signed
//! requests of clients made to sign (legacy OneRoster 1.1 consumers; [`oneroster_auth::oauth1`]):
//! parameters read (400 when one is missing, duplicated or malformed, or the method is not
//! HMAC-SHA256 or HMAC-SHA1), the timestamp checked, the signature checked against the
//! client's secret over the base string rebuilt from the deployment's origin (never a header)
//! and the decoded path re-encoded, then the nonce written once (a replay is 401). Such a
//! request costs what a token's does plus that one write: the client's record and its opened
//! secret are cached as the enabled flag is, and opened again only when the sealed text changed.
//! Parameters sent in the query string are taken out of it before the request is served.
//!
//! A request may present a static API key instead (`X-API-Key: <key>`, or `Authorization:
//! ApiKey <key>`; [`oneroster_auth::api_key`]): its record is looked up and cached as a
//! client's (a revoked key stops working within `recheck`), and the key checked against the
//! record's hash, a SHA-256: microseconds, no argon2 run per request. Its grant names the key's
//! id as the client, so the audit trail names the key.
//!
//! A gate that reads the public keys from the table reads them again every [`KEYS_REFRESH`]
//! (a key retired or withdrawn stops verifying within that time) and when a token names a key
//! it does not know (a key rotated in), at most every [`KEYS_REREAD`].

use crate::pace::AtMostEvery;
use crate::ApiError;
use axum::extract::{FromRequestParts, OriginalUri, Request, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use oneroster_auth::api_key::Presented;
use oneroster_auth::oauth1::{self, Oauth1Error, SecretSealer, Signed};
use oneroster_auth::{AuthError, ClientSecret, Grant, Scopes, Verifier};
use oneroster_model::{Sharing, TenantId};
use oneroster_store::{ApiKey, OAuthClient, Store, Tenant};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// The verified caller of a request: what its token (or key, or signature) grants, and what
/// its district shares with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    grant: Grant,
    sharing: Arc<Sharing>,
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Caller>().cloned().ok_or(ApiError::Unauthorised)
    }
}

impl Caller {
    /// The caller `grant` names, shared what its client's (or key's) record says.
    fn new(grant: Grant, checked: &Checked) -> Self {
        Self { grant, sharing: checked.sharing.clone() }
    }

    /// What was granted.
    pub fn grant(&self) -> &Grant {
        &self.grant
    }

    /// What the district shares with the caller, beyond its scopes.
    pub fn sharing(&self) -> &Sharing {
        &self.sharing
    }

    /// The tenant the request acts for: the verified token's.
    pub fn tenant(&self) -> Tenant {
        self.grant.tenant_access()
    }

    /// The OAuth client the token was issued to: the author of what the request writes.
    pub fn client(&self) -> &str {
        self.grant.client()
    }

    /// Refuses the request (403) unless the token holds one of `scopes`.
    pub fn require_any(&self, scopes: &[String]) -> Result<(), ApiError> {
        if self.grant.scopes().allows_any(scopes) {
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
    /// Where OAuth 1.0a clients' secrets are opened; `None`: no request may be signed.
    sealer: Option<Arc<dyn SecretSealer>>,
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

/// What the gate knows of a client, as of its last look-up.
#[derive(Clone)]
pub struct Checked {
    at: Instant,
    /// Enabled, and of the tenant whose partition it was read from.
    pub enabled: bool,
    /// The scopes it holds (what a signed request of it is granted).
    pub scopes: Scopes,
    /// Its sealed secret, if it can sign.
    sealed: Option<String>,
    /// That secret opened (once per sealed text; `None` until a signed request needs it).
    opened: Option<Arc<ClientSecret>>,
    /// For an API key: the hash of its random part.
    key_hash: Option<String>,
    /// What its district shares with it.
    sharing: Arc<Sharing>,
}

impl Checked {
    /// What `client` (as read from the tenant's partition `tenant`; `None` when there is none)
    /// says, as of now.
    fn of(tenant: &TenantId, client: Option<OAuthClient>) -> Self {
        let client = client.filter(|c| &c.tenant == tenant);
        Self {
            at: Instant::now(),
            enabled: client.as_ref().is_some_and(|c| c.enabled),
            scopes: client.as_ref().and_then(|c| Scopes::parse(&c.scopes).ok()).unwrap_or_default(),
            sharing: Arc::new(client.as_ref().map(|c| c.sharing.clone()).unwrap_or_default()),
            sealed: client.and_then(|c| c.sealed_secret),
            opened: None,
            key_hash: None,
        }
    }

    /// What the API key `key` (as read from the tenant's partition `tenant`; `None` when there
    /// is none) says, as of now: enabled until revoked.
    fn of_key(tenant: &TenantId, key: Option<ApiKey>) -> Self {
        let key = key.filter(|k| &k.tenant == tenant);
        Self {
            at: Instant::now(),
            enabled: key.as_ref().is_some_and(|k| k.revoked.is_none()),
            scopes: key.as_ref().and_then(|k| Scopes::parse(&k.scopes).ok()).unwrap_or_default(),
            sealed: None,
            opened: None,
            sharing: Arc::new(key.as_ref().map(|k| k.sharing.clone()).unwrap_or_default()),
            key_hash: key.map(|k| k.hash),
        }
    }
}

/// What each client was when last looked up, keyed by the tenant and the client: an entry
/// answers only for the tenant whose partition it was read from.
#[derive(Default)]
pub struct ClientCache(Mutex<HashMap<(TenantId, String), Checked>>);

impl std::fmt::Debug for ClientCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientCache([redacted])")
    }
}

impl ClientCache {
    /// What `client` of `tenant` was, if it was looked up less than `max_age` ago.
    pub fn get(&self, tenant: &TenantId, client: &str, max_age: Duration) -> Option<Checked> {
        let clients = self.0.lock().ok()?;
        let checked = clients.get(&(tenant.clone(), client.to_owned()))?;
        (checked.at.elapsed() < max_age).then(|| checked.clone())
    }

    /// Remembers what `client` of `tenant` is.
    pub fn insert(&self, tenant: &TenantId, client: &str, checked: Checked) {
        if let Ok(mut clients) = self.0.lock() {
            clients.insert((tenant.clone(), client.to_owned()), checked);
        }
    }

    /// The secret `sealed` opened to, if this client's last look-up opened the same text.
    fn opened(&self, tenant: &TenantId, client: &str, sealed: &str) -> Option<Arc<ClientSecret>> {
        let clients = self.0.lock().ok()?;
        let checked = clients.get(&(tenant.clone(), client.to_owned()))?;
        checked.opened.clone().filter(|_| checked.sealed.as_deref() == Some(sealed))
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
        Self {
            verifier: RwLock::new(verifier),
            store,
            recheck,
            clients: ClientCache::default(),
            published: None,
            sealer: None,
        }
    }

    /// The same gate, also admitting OAuth 1.0a requests signed by clients whose secrets
    /// `sealer` opens (see the module docs).
    pub fn with_oauth1(self, sealer: Arc<dyn SecretSealer>) -> Self {
        Self { sealer: Some(sealer), ..self }
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

    async fn admit(&self, token: &str) -> Result<Caller, ApiError> {
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
        let checked = self.client(&grant.tenant_access(), grant.client()).await?;
        if !checked.enabled {
            tracing::info!(client = %grant.client(), "token of a disabled or unknown client refused");
            return Err(ApiError::Unauthorised);
        }
        Ok(Caller::new(grant, &checked))
    }

    /// What `client` of `tenant` is: from the cache when checked less than `recheck` ago, else
    /// read (one item) and cached when it exists (a signed request names its client before
    /// anything is verified, so ids of no client are not kept: the cache stays as small as
    /// the tenants' clients).
    async fn client(&self, tenant: &Tenant, client: &str) -> Result<Checked, ApiError> {
        self.cached(tenant, client, async {
            let record = self.store.tenant(tenant).clients().get(client).await?;
            let found = record.is_some();
            let mut checked = Checked::of(tenant, record);
            // A secret opened before stays opened while its sealed text is the same.
            checked.opened = checked.sealed.as_deref().and_then(|sealed| self.clients.opened(tenant, client, sealed));
            Ok((found, checked))
        })
        .await
    }

    /// What the client or API key `id` of `tenant` is: from the cache when checked less than
    /// `recheck` ago, else `look_up` (whether its record exists, and what it says), cached only
    /// when it exists, so that ids of nothing never fill the cache.
    async fn cached(
        &self,
        tenant: &Tenant,
        id: &str,
        look_up: impl std::future::Future<Output = Result<(bool, Checked), ApiError>>,
    ) -> Result<Checked, ApiError> {
        if let Some(checked) = self.clients.get(tenant, id, self.recheck) {
            return Ok(checked);
        }
        let (found, checked) = look_up.await?;
        if found {
            self.clients.insert(tenant, id, checked.clone());
        }
        Ok(checked)
    }

    /// The grant of a request presenting the API key `text`: the key's record (cached as a
    /// client's), not revoked, its hash the key's.
    async fn admit_key(&self, text: &str) -> Result<Caller, ApiError> {
        let presented = Presented::read(text).ok_or(ApiError::Unauthorised)?;
        let tenant = Tenant::of_client_id(presented.id()).ok_or(ApiError::Unauthorised)?;
        let checked = self
            .cached(&tenant, presented.id(), async {
                let record = self.store.tenant(&tenant).clients().get_key(presented.id()).await?;
                Ok((record.is_some(), Checked::of_key(&tenant, record)))
            })
            .await?;
        let grant = match (checked.enabled, &checked.key_hash) {
            (true, Some(hash)) => presented.check(hash, checked.scopes.clone()),
            _ => None,
        };
        grant.map(|grant| Caller::new(grant, &checked)).ok_or_else(|| {
            tracing::info!(key = %presented.id(), "API key refused (unknown, revoked or not the key stored)");
            ApiError::Unauthorised
        })
    }

    /// The opened secret of a client that can sign: the cached one while its sealed text is
    /// the same, else opened (one call to the key service) and cached.
    async fn secret(&self, tenant: &Tenant, client: &str, checked: Checked) -> Result<Arc<ClientSecret>, ApiError> {
        let (Some(sealer), Some(sealed)) = (&self.sealer, checked.sealed.as_deref()) else {
            return Err(ApiError::Oauth1(Oauth1Error::UnknownKey));
        };
        if let Some(opened) = &checked.opened {
            return Ok(opened.clone());
        }
        let opened = Arc::new(sealer.open(client, sealed).await.map_err(ApiError::Sealing)?);
        self.clients.insert(tenant, client, Checked { opened: Some(opened.clone()), ..checked });
        Ok(opened)
    }

    /// The grant of an OAuth 1.0a request signed as `signed` says, made with `method` to
    /// `path` (as the function was handed it) on the deployment's `origin`: timestamp, client
    /// (enabled, able to sign), signature, then the nonce's one write.
    async fn admit_signed(
        &self,
        signed: &Signed,
        method: &str,
        origin: Option<&str>,
        path: &str,
    ) -> Result<Caller, ApiError> {
        signed.check_time(epoch_seconds()).map_err(ApiError::Oauth1)?;
        let key = signed.consumer_key();
        let tenant = Tenant::of_client_id(key).ok_or(ApiError::Oauth1(Oauth1Error::UnknownKey))?;
        let checked = self.client(&tenant, key).await?;
        if !checked.enabled {
            return Err(ApiError::Oauth1(Oauth1Error::UnknownKey));
        }
        let scopes = checked.scopes.clone();
        let sharing = checked.sharing.clone();
        let secret = self.secret(&tenant, key, checked).await?;
        // No origin (a router served without a deployment's): nothing to rebuild the URI from.
        let origin = origin.ok_or(ApiError::Oauth1(Oauth1Error::BadSignature))?;
        // Decoded once, as the routes are matched (API Gateway has decoded it already).
        let path = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
        let grant =
            signed.verify(method, &oauth1::base_uri(origin, &path), &secret, scopes).map_err(ApiError::Oauth1)?;
        let clients = self.store.tenant(&tenant).clients();
        if !clients.use_nonce(key, signed.timestamp(), signed.nonce(), signed.keep_nonce_until()).await? {
            return Err(ApiError::Oauth1(Oauth1Error::Replayed));
        }
        Ok(Caller { grant, sharing })
    }
}

/// Now, in seconds since the epoch (the timestamps' clock).
fn epoch_seconds() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Middleware: admits a request with a valid bearer token, a valid API key or, with a gate
/// that takes them, a valid OAuth 1.0a signature (attaching its [`Caller`]), or answers 401
/// `unauthorisedrequest` (400 for a signed request whose parameters cannot be read).
pub async fn authenticate(State(gate): State<Arc<Gate>>, mut request: Request, next: Next) -> Response {
    let authorization = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let after = |scheme: &str| {
        let value = authorization.as_deref()?;
        let (said, rest) = value.split_once(' ')?;
        said.eq_ignore_ascii_case(scheme).then(|| rest.trim().to_owned())
    };
    let api_key = request.headers().get("x-api-key").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let admitted = match (after("Bearer"), api_key.or_else(|| after("ApiKey"))) {
        (Some(token), _) => gate.admit(&token).await,
        (None, Some(key)) => gate.admit_key(&key).await,
        (None, None) => admit_signed(&gate, &mut request, authorization.as_deref()).await,
    };
    match admitted {
        Ok(caller) => {
            crate::trace::record_caller(&caller);
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Err(error) => {
            if let ApiError::Oauth1(reason) = &error {
                tracing::info!(?reason, "signed request refused");
            }
            error.into_response()
        }
    }
}

/// The grant of a request signed with OAuth 1.0a (401 when it is not signed either), its
/// protocol parameters taken out of its query string once admitted.
async fn admit_signed(gate: &Gate, request: &mut Request, authorization: Option<&str>) -> Result<Caller, ApiError> {
    let uri = request.extensions().get::<OriginalUri>().map_or_else(|| request.uri().clone(), |o| o.0.clone());
    let signed = Signed::read(authorization, uri.query()).map_err(ApiError::Oauth1)?.ok_or(ApiError::Unauthorised)?;
    let raw = lambda_http::RequestExt::raw_http_path(request.extensions());
    let path = if raw.is_empty() { uri.path().to_owned() } else { raw.to_owned() };
    let origin = crate::serving::origin(request.extensions());
    let caller = gate.admit_signed(&signed, request.method().as_str(), origin.as_deref(), &path).await?;
    if signed.in_query() {
        forget_oauth_params(request);
    }
    Ok(caller)
}

/// Takes the `oauth_` parameters out of the request's query string (and its original URI),
/// so that what serves it, and the links it answers, never see them.
fn forget_oauth_params(request: &mut Request) {
    let strip = |uri: &axum::http::Uri| -> Option<axum::http::Uri> {
        let kept: Vec<&str> = uri
            .query()
            .unwrap_or_default()
            .split('&')
            .filter(|pair| {
                let name = pair.split('=').next().unwrap_or_default();
                !form_urlencoded_name(name).starts_with("oauth_")
            })
            .collect();
        let query = kept.join("&");
        let path_and_query = if query.is_empty() { uri.path().to_owned() } else { format!("{}?{query}", uri.path()) };
        let mut parts = uri.clone().into_parts();
        parts.path_and_query = path_and_query.parse().ok();
        axum::http::Uri::from_parts(parts).ok()
    };
    if let Some(uri) = strip(request.uri()) {
        *request.uri_mut() = uri;
    }
    if let Some(original) = request.extensions_mut().get_mut::<OriginalUri>() {
        if let Some(uri) = strip(&original.0) {
            original.0 = uri;
        }
    }
}

/// A query parameter's name as written, decoded (`+` a space, `%XX` a byte).
fn form_urlencoded_name(name: &str) -> String {
    percent_encoding::percent_decode_str(&name.replace('+', " ")).decode_utf8_lossy().into_owned()
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
        let checked = |enabled: bool, sealed: Option<&str>, opened: Option<&str>| Checked {
            at: Instant::now(),
            enabled,
            scopes: Scopes::all(),
            sealed: sealed.map(str::to_owned),
            opened: opened.map(|secret| Arc::new(ClientSecret::presented(secret))),
            key_hash: None,
            sharing: Arc::default(),
        };
        cache.insert(&a, client, checked(true, None, None));
        let minute = Duration::from_secs(60);
        let enabled =
            |tenant: &TenantId, id: &str, max_age: Duration| cache.get(tenant, id, max_age).map(|c| c.enabled);
        assert_eq!(enabled(&a, client, minute), Some(true));
        assert_eq!(enabled(&b, client, minute), None, "another tenant's token naming the same client");
        assert_eq!(enabled(&a, "district-a.ffffffffffffffff", minute), None);
        assert_eq!(enabled(&a, client, Duration::ZERO), None, "an entry older than the recheck");
        cache.insert(&a, client, checked(false, None, None));
        assert_eq!(enabled(&a, client, minute), Some(false));
        // An opened secret answers only for the sealed text it was opened from.
        cache.insert(&a, client, checked(true, Some("sealed-1"), Some("secret-1")));
        assert_eq!(cache.opened(&a, client, "sealed-1").map(|s| s.expose().to_owned()), Some("secret-1".into()));
        assert!(cache.opened(&a, client, "sealed-2").is_none(), "a rotated secret is opened again");
        assert!(cache.opened(&b, client, "sealed-1").is_none());
        assert_eq!(format!("{cache:?}"), "ClientCache([redacted])");
    }

    #[test]
    fn parameters_in_the_query_are_forgotten_once_admitted() {
        let mut request = Request::new(axum::body::Body::empty());
        *request.uri_mut() =
            "/ims/oneroster/v1p2/users?oauth_nonce=n&filter=a%3D1&oauth%5Fsignature=x&limit=5&oauth_version=1.0"
                .parse()
                .expect("a uri");
        let original = OriginalUri(request.uri().clone());
        request.extensions_mut().insert(original);
        forget_oauth_params(&mut request);
        assert_eq!(request.uri(), "/ims/oneroster/v1p2/users?filter=a%3D1&limit=5");
        assert_eq!(request.extensions().get::<OriginalUri>().map(|o| o.0.to_string()), Some(request.uri().to_string()));
        *request.uri_mut() = "/users?oauth_nonce=n".parse().expect("a uri");
        forget_oauth_params(&mut request);
        assert_eq!(request.uri(), "/users");
    }

    #[test]
    fn a_deployed_gate_rereads_the_keys_within_five_minutes() {
        assert!(KEYS_REFRESH <= Duration::from_secs(300));
        assert!(KEYS_REREAD <= KEYS_REFRESH);
    }
}
