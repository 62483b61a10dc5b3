//! What stands between a guesser and the argon2 work at the token endpoint. Each check of a
//! secret costs one argon2id hash (19 MiB, 2 passes), so the endpoint bounds how many it does:
//!
//! - **failed authentications per source address and per client id** are counted in the table
//!   (shared by every instance, expiring by TTL); past [`Limits::failures_per_address`] or
//!   [`Limits::failures_per_client`] within a window the endpoint answers 429 with
//!   `Retry-After`, without hashing, until the window that opened at the first failure closes.
//!   The address limit is the lower, so one address's burst leaves the client usable from
//!   its other addresses;
//! - **hashes at once per instance** are bounded ([`Limits::concurrent_hashes`]), each on a
//!   blocking thread; a request that cannot start one within [`Limits::hash_wait`] is answered
//!   503 with `Retry-After` instead of queueing without end;
//! - **an unknown client costs what a wrong secret costs**: one store read and one hash
//!   (against [`DECOY_HASH`]), counted alike ([`Guard::hashes_checked`]).
//!
//! The source address is API Gateway's (`requestContext.http.sourceIp`), never a header the
//! client sets (`X-Forwarded-For` is the client's text with API Gateway's hop appended); IPv6
//! addresses count by their /64, which one subscriber usually holds whole. Served without API
//! Gateway, the TCP peer's address when the server supplies it, else [`LOCAL_SOURCE`].

use axum::extract::ConnectInfo;
use axum::http::Extensions;
use lambda_http::request::RequestContext;
use oneroster_auth::secret::{self, DECOY_HASH};
use oneroster_auth::ClientSecret;
use oneroster_settings::{SettingError, Variables};
use oneroster_store::{Counted, Store, StoreError};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// The source address of every request when neither API Gateway nor the server names one.
pub const LOCAL_SOURCE: &str = "local";

/// The token endpoint's limits. [`Limits::default`] is what a deployment runs with unless its
/// environment says otherwise ([`Limits::from_env`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Failed authentications from one source address within a window before it gets 429
    /// (`TOKEN_FAILURES_PER_ADDRESS`, default 20).
    pub failures_per_address: u64,
    /// Failed authentications for one client id within a window, from any address, before it
    /// gets 429 (`TOKEN_FAILURES_PER_CLIENT`, default 50).
    pub failures_per_client: u64,
    /// How long a window lasts from its first failure (`TOKEN_FAILURE_WINDOW_SECONDS`,
    /// default 300).
    pub window: Duration,
    /// Secret checks (argon2id hashes, 19 MiB each) running at once in one instance
    /// (`TOKEN_CONCURRENT_HASHES`, default 2).
    pub concurrent_hashes: usize,
    /// How long a request waits for a hash to start before it gets 503 (500 ms).
    pub hash_wait: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            failures_per_address: 20,
            failures_per_client: 50,
            window: Duration::from_secs(300),
            concurrent_hashes: 2,
            hash_wait: Duration::from_millis(500),
        }
    }
}

impl Limits {
    /// The defaults, with each limit the environment sets in its place (`TOKEN_…`, see the
    /// fields); a value that is not a whole number above zero stops the function at start.
    pub fn from_env() -> Result<Self, SettingError> {
        Self::from_vars(&Variables::environment())
    }

    /// [`Limits::from_env`] over any variables.
    pub fn from_vars(vars: &Variables<impl Fn(&str) -> Option<String>>) -> Result<Self, SettingError> {
        let defaults = Self::default();
        Ok(Self {
            failures_per_address: vars.positive("TOKEN_FAILURES_PER_ADDRESS", defaults.failures_per_address)?,
            failures_per_client: vars.positive("TOKEN_FAILURES_PER_CLIENT", defaults.failures_per_client)?,
            window: Duration::from_secs(vars.positive("TOKEN_FAILURE_WINDOW_SECONDS", defaults.window.as_secs())?),
            concurrent_hashes: vars.positive("TOKEN_CONCURRENT_HASHES", defaults.concurrent_hashes)?,
            hash_wait: defaults.hash_wait,
        })
    }
}

/// Why a request is refused before its secret is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Too many failures from its address or for its client: retry after this many seconds.
    TooManyFailures { retry_after: u64, by: &'static str },
    /// No hash could start in time.
    Busy,
}

/// The limits and the instance's hash budget; one per router (so one per Lambda instance).
#[derive(Debug)]
pub struct Guard {
    limits: Limits,
    hashes: Arc<Semaphore>,
    checked: AtomicU64,
}

impl Guard {
    /// A guard enforcing `limits`.
    pub fn new(limits: Limits) -> Arc<Self> {
        let hashes = Arc::new(Semaphore::new(limits.concurrent_hashes.max(1)));
        Arc::new(Self { limits, hashes, checked: AtomicU64::new(0) })
    }

    /// The limits enforced.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// How many secrets this guard has checked (argon2id hashes run), for tests that show an
    /// unknown client and a wrong secret cost the same.
    pub fn hashes_checked(&self) -> u64 {
        self.checked.load(Ordering::Relaxed)
    }

    /// Whether the failures counted for `client_id` or from `source` are at their limit, as of
    /// `now` (seconds since the epoch): the refusal, with the seconds until the later of the
    /// two windows closes.
    pub(crate) async fn over_limit(
        &self,
        store: &Store,
        client_id: &str,
        source: &str,
        now: u64,
    ) -> Result<Option<Refusal>, StoreError> {
        let (address, client) = tokio::join!(
            store.auth_failures(Counted::Address(source), now),
            store.auth_failures(Counted::Client(client_id), now)
        );
        let over = [
            ("address", address?, self.limits.failures_per_address),
            ("client", client?, self.limits.failures_per_client),
        ]
        .into_iter()
        .filter_map(|(by, failures, limit)| failures.filter(|f| f.count >= limit).map(|f| (by, f.until)))
        .max_by_key(|(_, until)| *until);
        Ok(over.map(|(by, until)| Refusal::TooManyFailures { retry_after: until.saturating_sub(now).max(1), by }))
    }

    /// Counts a failed authentication for `client_id` and from `source` (a failed count is
    /// logged: the answer is the same either way).
    pub(crate) async fn count_failure(&self, store: &Store, client_id: &str, source: &str, now: u64) {
        let window = self.limits.window.as_secs();
        let (address, client) = tokio::join!(
            store.count_auth_failure(Counted::Address(source), now, window),
            store.count_auth_failure(Counted::Client(client_id), now, window)
        );
        for (what, counted) in [("address", address), ("client", client)] {
            if let Err(error) = counted {
                tracing::error!(%error, what, "counting a failed client authentication failed");
            }
        }
    }

    /// Whether `secret` matches `hash` (argon2id on a blocking thread, within the instance's
    /// bound on hashes at once), or [`Refusal::Busy`] when no hash could start within
    /// [`Limits::hash_wait`]. The permit is held by the hash itself, so a request given up on
    /// still frees it only when its hash ends.
    pub(crate) async fn check_secret(&self, secret: ClientSecret, hash: String) -> Result<bool, Refusal> {
        let acquire = self.hashes.clone().acquire_owned();
        let permit = match tokio::time::timeout(self.limits.hash_wait, acquire).await {
            Ok(Ok(permit)) => permit,
            _ => return Err(Refusal::Busy),
        };
        self.checked.fetch_add(1, Ordering::Relaxed);
        let checked = tokio::task::spawn_blocking(move || {
            let matches = secret::verify(&secret, &hash);
            drop(permit);
            matches
        });
        Ok(checked.await.unwrap_or(false))
    }

    /// The hash to check a secret against: the client's, or [`DECOY_HASH`] when there is no
    /// enabled client, so that both cost one hash.
    pub(crate) fn hash_for(stored: Option<&str>) -> String {
        stored.unwrap_or(DECOY_HASH).to_owned()
    }
}

/// The address a request comes from, as the limits count it: API Gateway's source address
/// (HTTP API or REST API), else the TCP peer's, else [`LOCAL_SOURCE`]; IPv6 by its /64.
pub fn source_address(extensions: &Extensions) -> String {
    // Behind API Gateway its word is the only one taken (the peer is Lambda's runtime).
    let gateway = match extensions.get::<RequestContext>() {
        Some(RequestContext::ApiGatewayV2(context)) => Some(context.http.source_ip.as_deref()),
        Some(RequestContext::ApiGatewayV1(context)) => Some(context.identity.source_ip.as_deref()),
        _ => None,
    };
    let ip = match gateway {
        Some(source) => source.and_then(|text| text.trim().parse::<IpAddr>().ok()),
        None => extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(peer)| peer.ip()),
    };
    match ip.map(|ip| ip.to_canonical()) {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => {
            let [a, b, c, d, ..] = v6.segments();
            format!("{a:x}:{b:x}:{c:x}:{d:x}::/64")
        }
        None if gateway.is_some() => "unknown".to_owned(),
        None => LOCAL_SOURCE.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_come_from_the_environment_or_their_defaults() {
        let none = Limits::from_vars(&Variables::new(|_| None)).expect("defaults");
        assert_eq!(none, Limits::default());
        let set = Limits::from_vars(&Variables::new(|name| match name {
            "TOKEN_FAILURES_PER_ADDRESS" => Some("3".into()),
            "TOKEN_FAILURE_WINDOW_SECONDS" => Some(" 2 ".into()),
            _ => None,
        }))
        .expect("limits");
        assert_eq!((set.failures_per_address, set.window, set.failures_per_client), (3, Duration::from_secs(2), 50));
        for bad in ["0", "-1", "ten", ""] {
            let error =
                Limits::from_vars(&Variables::new(|name| (name == "TOKEN_CONCURRENT_HASHES").then(|| bad.to_owned())));
            assert!(error.is_err_and(|e| e.name == "TOKEN_CONCURRENT_HASHES"), "{bad}");
        }
    }

    fn context(source_ip: Option<&str>) -> Extensions {
        let mut context = lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext::default();
        context.http.source_ip = source_ip.map(str::to_owned);
        let mut extensions = Extensions::new();
        extensions.insert(RequestContext::ApiGatewayV2(context));
        extensions
    }

    #[test]
    fn the_source_is_api_gateways_else_the_peers_else_local() {
        assert_eq!(source_address(&context(Some("198.51.100.23"))), "198.51.100.23");
        assert_eq!(source_address(&context(Some("2001:db8:1:2:3:4:5:6"))), "2001:db8:1:2::/64");
        assert_eq!(source_address(&context(Some("::ffff:192.0.2.7"))), "192.0.2.7");
        assert_eq!(source_address(&context(None)), "unknown");
        let mut peer = Extensions::new();
        peer.insert(ConnectInfo(SocketAddr::from(([192, 0, 2, 1], 50000))));
        assert_eq!(source_address(&peer), "192.0.2.1");
        assert_eq!(source_address(&Extensions::new()), LOCAL_SOURCE);
        // API Gateway's word wins over the peer (the peer of a Lambda is the runtime).
        let mut both = context(Some("203.0.113.9"));
        both.insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 1))));
        assert_eq!(source_address(&both), "203.0.113.9");
    }

    #[tokio::test]
    async fn hashes_past_the_bound_are_refused_quickly() {
        let guard =
            Guard::new(Limits { concurrent_hashes: 1, hash_wait: Duration::from_millis(20), ..Limits::default() });
        let (_, hash) = secret::generate();
        let held = guard.hashes.clone().acquire_owned().await.expect("a permit");
        let started = std::time::Instant::now();
        assert_eq!(guard.check_secret(ClientSecret::presented("guess"), hash.clone()).await, Err(Refusal::Busy));
        assert!(started.elapsed() < Duration::from_secs(1));
        drop(held);
        assert_eq!(guard.check_secret(ClientSecret::presented("guess"), hash).await, Ok(false));
        assert_eq!(guard.hashes_checked(), 1);
    }
}
