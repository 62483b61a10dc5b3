//! The HTTP side of a delivery: one POST of a signed batch, over HTTPS (rustls, the system's
//! roots) or plain HTTP to a loopback receiver, within [`TIMEOUT`]. Redirects are not
//! followed: a receiver answers where it was registered. Only a 2xx answer delivers; the
//! answer's body is never read.

use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use oneroster_webhooks::signature::{sign, HEADER};
use std::time::Duration;

/// How long a receiver has to answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Why a POST did not deliver (kept, bounded, as the webhook's last error).
#[derive(Debug, thiserror::Error)]
pub enum PostError {
    /// The URL is not one hyper takes (it was checked when added: a bug or an edited item).
    #[error("the URL cannot be called: {0}")]
    Url(String),
    /// The receiver could not be reached, or the connection failed.
    #[error("the receiver could not be reached: {0}")]
    Unreachable(String),
    /// The receiver did not answer within [`TIMEOUT`].
    #[error("the receiver did not answer within {0:?}")]
    Timeout(Duration),
    /// The receiver answered with another status than 2xx.
    #[error("the receiver answered {0}")]
    Status(hyper::StatusCode),
}

/// The client POSTs go through, built once (connections kept between deliveries).
#[derive(Debug, Clone)]
pub struct Poster {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl Poster {
    /// A client trusting the system's root certificates.
    pub fn new() -> std::io::Result<Self> {
        let connector =
            hyper_rustls::HttpsConnectorBuilder::new().with_native_roots()?.https_or_http().enable_http1().build();
        Ok(Self { client: Client::builder(TokioExecutor::new()).build(connector) })
    }

    /// POSTs `body` to `url`, signed with `secret` at `at` (unix seconds).
    pub async fn post(&self, url: &str, secret: &str, at: u64, body: &str) -> Result<(), PostError> {
        let request = hyper::Request::post(url)
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header(hyper::header::USER_AGENT, "oneroster-webhooks")
            .header(HEADER, sign(secret, at, body.as_bytes()))
            .body(Full::new(Bytes::from(body.to_owned())))
            .map_err(|e| PostError::Url(e.to_string()))?;
        let response = tokio::time::timeout(TIMEOUT, self.client.request(request))
            .await
            .map_err(|_| PostError::Timeout(TIMEOUT))?
            .map_err(|e| PostError::Unreachable(error_chain(&e)))?;
        match response.status() {
            status if status.is_success() => Ok(()),
            status => Err(PostError::Status(status)),
        }
    }
}

/// An error and its causes, in one line (a connection error's cause says what failed).
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let causes = std::iter::successors(Some(error), |error| error.source());
    causes.map(ToString::to_string).collect::<Vec<_>>().join(": ")
}
