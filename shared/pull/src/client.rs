//! Calls to a source: signed in (an OAuth 2.0 bearer token, asked again once on a 401; or an
//! OAuth 1.0a signature per call), at a bounded rate, each tried again with backoff on a 429,
//! a 5xx or a failed connection (`Retry-After` honoured up to the longest wait), bodies read
//! up to a bound. A call that still fails stops the pull, naming the URL and the last answer.

use crate::{Auth, Connection, Pacing, PullError};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::{Request, StatusCode};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::time::{Duration, Instant};

/// The largest answer read (a page of 1,000 users is about 1 MB).
const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// The most of an error answer's body quoted.
const QUOTED_CHARS: usize = 200;

/// A successful answer: the URL it answers, its `Link` and `X-Total-Count` headers, its body.
#[derive(Debug)]
pub struct Answer {
    /// The URL called.
    pub url: String,
    /// The `Link` header.
    pub link: Option<String>,
    /// The `X-Total-Count` header, when a number.
    pub total: Option<u64>,
    /// The body.
    pub body: Vec<u8>,
}

/// What one try came to.
enum Tried {
    Answered(StatusCode, hyper::HeaderMap, Vec<u8>),
    Failed(String),
}

/// A signed-in client of one source.
pub struct SourceClient {
    http: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
    connection: Connection,
    pacing: Pacing,
    token: Option<String>,
    last_call: Option<Instant>,
    calls: u64,
}

impl SourceClient {
    /// A client of `connection`, calling at `pacing`.
    pub fn new(connection: &Connection, pacing: Pacing) -> Result<Self, PullError> {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .map_err(|e| PullError::Config(format!("no TLS roots: {e}")))?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Self {
            http: Client::builder(TokioExecutor::new()).build(connector),
            connection: connection.clone(),
            pacing,
            token: None,
            last_call: None,
            calls: 0,
        })
    }

    /// Calls made so far (tries again included).
    pub fn calls(&self) -> u64 {
        self.calls
    }

    /// GETs `url`, signed in, tried again as the pacing allows; a 2xx answer.
    pub async fn get(&mut self, url: &str) -> Result<Answer, PullError> {
        let failed = |reason: String| PullError::Call { url: url.to_owned(), reason };
        let mut signed_in_again = false;
        let mut try_number = 0;
        loop {
            try_number += 1;
            let authorization = self.authorization(url).await?;
            let request = Request::get(url)
                .header(hyper::header::ACCEPT, "application/json")
                .header(hyper::header::AUTHORIZATION, authorization)
                .header(hyper::header::USER_AGENT, "oneroster-pull")
                .body(Full::new(Bytes::new()))
                .map_err(|e| failed(format!("not a URL to call ({e})")))?;
            let (wait, reason) = match self.send(request).await {
                Tried::Answered(status, headers, body) if status.is_success() => {
                    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
                    return Ok(Answer {
                        url: url.to_owned(),
                        link: header("link"),
                        total: header("x-total-count").and_then(|t| t.trim().parse().ok()),
                        body,
                    });
                }
                Tried::Answered(StatusCode::UNAUTHORIZED, _, _)
                    if !signed_in_again && matches!(self.connection.auth, Auth::OAuth2 { .. }) =>
                {
                    // The token may have expired during a long pull: one more, at once.
                    self.token = None;
                    signed_in_again = true;
                    try_number -= 1;
                    continue;
                }
                Tried::Answered(status, headers, body) if is_passing(status) => {
                    (retry_after(&headers), answered(status, &body))
                }
                Tried::Answered(status, _, body) => {
                    let reason = answered(status, &body);
                    return Err(PullError::Refused { url: url.to_owned(), status: status.as_u16(), reason });
                }
                Tried::Failed(reason) => (None, reason),
            };
            if try_number >= self.pacing.tries {
                return Err(failed(format!("{reason} (after {try_number} tries)")));
            }
            let wait = self.wait(try_number, wait);
            tracing::warn!(try_number, wait_ms = wait.as_millis() as u64, "a call to the source failed; trying again");
            tokio::time::sleep(wait).await;
        }
    }

    /// The `Authorization` header of a GET of `url`.
    async fn authorization(&mut self, url: &str) -> Result<String, PullError> {
        match &self.connection.auth {
            Auth::OAuth2 { .. } => {
                if self.token.is_none() {
                    self.token = Some(self.sign_in().await?);
                }
                Ok(format!("Bearer {}", self.token.as_deref().unwrap_or_default()))
            }
            Auth::OAuth1 => {
                let uri: hyper::Uri = url
                    .parse()
                    .map_err(|e| PullError::Call { url: url.to_owned(), reason: format!("not a URL ({e})") })?;
                let origin = crate::paging::origin(url).unwrap_or_default();
                let decode = |text: &str| {
                    percent_encoding::percent_decode_str(&text.replace('+', " ")).decode_utf8_lossy().into_owned()
                };
                let query: Vec<(String, String)> = uri
                    .query()
                    .unwrap_or("")
                    .split('&')
                    .filter(|pair| !pair.is_empty())
                    .map(|pair| {
                        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                        (decode(name), decode(value))
                    })
                    .collect();
                let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
                let nonce = oneroster_auth::secret::random_id();
                let path = percent_encoding::percent_decode_str(uri.path()).decode_utf8_lossy().into_owned();
                Ok(oneroster_auth::oauth1::authorization(
                    &origin,
                    &path,
                    &query,
                    &self.connection.client_id,
                    &self.connection.secret,
                    now.as_secs(),
                    &nonce,
                ))
            }
        }
    }

    /// An OAuth 2.0 access token by the client credentials grant (RFC 6749 §4.4), the client
    /// authenticated with HTTP Basic (§2.3.1), tried again like any call.
    async fn sign_in(&mut self) -> Result<String, PullError> {
        let Auth::OAuth2 { token_url, scope } = self.connection.auth.clone() else {
            return Err(PullError::Config("this source does not sign in with OAuth 2.0".to_owned()));
        };
        let failed = |reason: String| PullError::SignIn { url: token_url.clone(), reason };
        // application/x-www-form-urlencoded, as §2.3.1 asks: ordinary ids and secrets go as
        // they are (a server that does not decode them still takes them).
        const FORM: &percent_encoding::AsciiSet =
            &percent_encoding::NON_ALPHANUMERIC.remove(b'*').remove(b'-').remove(b'.').remove(b'_').remove(b' ');
        let encode = |text: &str| percent_encoding::utf8_percent_encode(text, FORM).to_string().replace(' ', "+");
        let basic = STANDARD.encode(format!(
            "{}:{}",
            encode(&self.connection.client_id),
            encode(self.connection.secret.expose())
        ));
        let mut form = "grant_type=client_credentials".to_owned();
        if let Some(scope) = &scope {
            form.push_str(&format!("&scope={}", encode(scope)));
        }
        let mut try_number = 0;
        loop {
            try_number += 1;
            let request = Request::post(&token_url)
                .header(hyper::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(hyper::header::AUTHORIZATION, format!("Basic {basic}"))
                .header(hyper::header::ACCEPT, "application/json")
                .body(Full::new(Bytes::from(form.clone())))
                .map_err(|e| failed(format!("not a URL to call ({e})")))?;
            let (wait, reason) = match self.send(request).await {
                Tried::Answered(status, _, body) if status.is_success() => {
                    let token: serde_json::Value =
                        serde_json::from_slice(&body).map_err(|_| failed("the answer is not JSON".to_owned()))?;
                    return token
                        .get("access_token")
                        .and_then(serde_json::Value::as_str)
                        .map(str::to_owned)
                        .ok_or_else(|| failed("the answer has no access_token".to_owned()));
                }
                Tried::Answered(status, headers, body) if is_passing(status) => {
                    (retry_after(&headers), answered(status, &body))
                }
                Tried::Answered(status, _, body) => {
                    let refused = matches!(status, StatusCode::BAD_REQUEST | StatusCode::UNAUTHORIZED);
                    let why = answered(status, &body);
                    return Err(failed(if refused {
                        format!("the SIS refused the client id or secret: {why}")
                    } else {
                        why
                    }));
                }
                Tried::Failed(reason) => (None, reason),
            };
            if try_number >= self.pacing.tries {
                return Err(failed(format!("{reason} (after {try_number} tries)")));
            }
            tokio::time::sleep(self.wait(try_number, wait)).await;
        }
    }

    /// The wait after the `try_number`th failed try: the source's `Retry-After`, else the
    /// backoff (the first wait, doubling), at most the longest wait.
    fn wait(&self, try_number: u32, retry_after: Option<Duration>) -> Duration {
        let backoff = self.pacing.first_wait.saturating_mul(1 << (try_number - 1).min(16));
        retry_after.unwrap_or(backoff).min(self.pacing.longest_wait)
    }

    /// Sends `request` once, after the pacing's interval since the last call, within its
    /// timeout; the status, headers and body (up to the bound).
    async fn send(&mut self, request: Request<Full<Bytes>>) -> Tried {
        if let Some(last) = self.last_call {
            let since = last.elapsed();
            if since < self.pacing.interval {
                tokio::time::sleep(self.pacing.interval - since).await;
            }
        }
        self.last_call = Some(Instant::now());
        self.calls += 1;
        let call = async {
            let response = self.http.request(request).await.map_err(|e| format!("the call failed ({e})"))?;
            let (parts, body) = response.into_parts();
            let body = Limited::new(body, MAX_BODY_BYTES)
                .collect()
                .await
                .map_err(|e| format!("reading the answer failed ({e}; at most {MAX_BODY_BYTES} bytes are read)"))?;
            Ok::<_, String>((parts.status, parts.headers, body.to_bytes().to_vec()))
        };
        match tokio::time::timeout(self.pacing.timeout, call).await {
            Ok(Ok((status, headers, body))) => Tried::Answered(status, headers, body),
            Ok(Err(reason)) => Tried::Failed(reason),
            Err(_) => Tried::Failed(format!("no answer within {:?}", self.pacing.timeout)),
        }
    }
}

/// An answer worth trying again: too many requests, or the server's failure.
fn is_passing(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}

/// A `Retry-After` in seconds.
fn retry_after(headers: &hyper::HeaderMap) -> Option<Duration> {
    let seconds = headers.get(hyper::header::RETRY_AFTER)?.to_str().ok()?.trim().parse::<u64>().ok()?;
    Some(Duration::from_secs(seconds))
}

/// "answered 500 Internal Server Error: <its first words>".
fn answered(status: StatusCode, body: &[u8]) -> String {
    let text: String = String::from_utf8_lossy(body).chars().take(QUOTED_CHARS).collect();
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        format!("answered {status}")
    } else {
        format!("answered {status}: {text}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_doubles_from_the_first_up_to_the_longest_and_retry_after_wins() {
        let connection = Connection {
            root: "http://127.0.0.1:9".to_owned(),
            version: oneroster_csv::Version::V1p2,
            auth: Auth::OAuth1,
            client_id: "c".to_owned(),
            secret: oneroster_auth::ClientSecret::presented("s".to_owned()),
        };
        let client = SourceClient::new(&connection, Pacing::default()).unwrap();
        let waits: Vec<u64> = (1..=8).map(|n| client.wait(n, None).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(client.wait(1, Some(Duration::from_secs(7))), Duration::from_secs(7));
        assert_eq!(client.wait(1, Some(Duration::from_secs(3600))), Duration::from_secs(60));
    }

    #[test]
    fn an_answer_is_named_by_its_status_and_first_words() {
        assert_eq!(answered(StatusCode::INTERNAL_SERVER_ERROR, b""), "answered 500 Internal Server Error");
        let long = "x ".repeat(500);
        let said = answered(StatusCode::NOT_FOUND, long.as_bytes());
        assert!(said.starts_with("answered 404 Not Found: x x") && said.len() < 260, "{said}");
        assert!(is_passing(StatusCode::TOO_MANY_REQUESTS) && is_passing(StatusCode::BAD_GATEWAY));
        assert!(!is_passing(StatusCode::FORBIDDEN));
    }
}
