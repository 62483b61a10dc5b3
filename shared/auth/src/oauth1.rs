//! OAuth 1.0a signed requests (RFC 5849), two-legged as the OneRoster 1.1 consumers send them
//! (Microsoft SDS, Canvas, Infinite Campus): no token, the consumer key is the client id, the
//! signature `HMAC-SHA256` or `HMAC-SHA1` keyed with the client's secret and an empty token
//! secret. The protocol parameters come in an `Authorization: OAuth …` header or in the query
//! string (as Microsoft's sample provider accepts them), never both for one name.
//!
//! What is signed is rebuilt from the request as the server sees it: the method, the base URI
//! (the deployment's origin, never a header the client sent, and the path re-encoded as RFC
//! 3986 says, since API Gateway hands the function a decoded path; see [`base_uri`]) and the
//! normalised parameters (§3.4.1.3: the query's and the protocol's but the signature and the
//! header's `realm`, each encoded, sorted). Timestamps are taken [`MAX_AGE_SECONDS`] in the past
//! and [`MAX_AHEAD_SECONDS`] ahead (what Canvas asks of providers); a nonce is kept by the
//! caller (the store) until its timestamp is stale, so it is used once.
//!
//! This module reads and checks; it does no I/O. Errors that RFC 5849 §3.2 answers 400 (a
//! missing, duplicated or malformed parameter, an unsupported method) are told apart from the
//! 401s by [`Oauth1Error::is_bad_request`].

use crate::{ClientSecret, Grant, Scopes};
use aws_lc_rs::hmac;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// How old a timestamp may be (10 minutes, as Canvas asks of providers).
pub const MAX_AGE_SECONDS: u64 = 600;

/// How far ahead of this machine's clock a timestamp may be (5 minutes).
pub const MAX_AHEAD_SECONDS: u64 = 300;

/// The longest nonce read: real consumers send 32 to 64 characters; a longer one is refused
/// before it could be stored.
pub const MAX_NONCE_BYTES: usize = 256;

/// What [`SecretSealer`] calls answer.
pub type Sealing<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, SealError>> + Send + 'a>>;

/// A sealed secret could not be made or opened (the key service failed, or refused).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("sealing or opening a client secret failed: {0}")]
pub struct SealError(pub String);

/// Where OAuth 1.0a clients' secrets are sealed: an HMAC needs the secret itself, so such a
/// client's secret is kept encrypted (under the deployment's KMS key, bound to the client's id)
/// instead of hashed. The admin seals when a client is made or rotated; the API's gate opens,
/// once per client and recheck. A trait, so that the gate names no key service.
pub trait SecretSealer: Send + Sync {
    /// `secret` of `client`, sealed as text to store.
    fn seal<'a>(&'a self, client: &'a str, secret: &'a ClientSecret) -> Sealing<'a, String>;
    /// The secret of `client` that `sealed` holds; fails when it was sealed for another client.
    fn open<'a>(&'a self, client: &'a str, sealed: &'a str) -> Sealing<'a, ClientSecret>;
}

/// The parameters every signed request carries (§3.1; `oauth_version` is optional).
const REQUIRED: [&str; 5] =
    ["oauth_consumer_key", "oauth_signature_method", "oauth_signature", "oauth_timestamp", "oauth_nonce"];

/// Why a signed request was refused. The 400s say which parameter; the 401s are as coarse
/// towards the client as a token's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Oauth1Error {
    /// A required protocol parameter is missing (400).
    #[error("the OAuth parameter {0} is missing")]
    Missing(&'static str),
    /// A protocol parameter is given more than once (400).
    #[error("the OAuth parameter {0} is given more than once")]
    Duplicated(String),
    /// A parameter cannot be read: a malformed header, a timestamp that is no number, an
    /// empty or overlong nonce, a version other than 1.0 (400).
    #[error("the OAuth parameter {0} is malformed")]
    Malformed(&'static str),
    /// The signature method is neither `HMAC-SHA256` nor `HMAC-SHA1` (400).
    #[error("the signature method is not supported (HMAC-SHA256 or HMAC-SHA1)")]
    UnsupportedMethod,
    /// The timestamp is too old or too far ahead (401).
    #[error("the timestamp is outside the accepted window")]
    Stale,
    /// The consumer key names no client that can sign (401). It reads as a bad signature, so
    /// that no answer tells which client ids exist (the variant, in `Debug`, is for logs).
    #[error("unknown consumer key or bad signature")]
    UnknownKey,
    /// The signature does not match (401).
    #[error("unknown consumer key or bad signature")]
    BadSignature,
    /// The nonce was used already with this timestamp (401).
    #[error("the nonce was used already")]
    Replayed,
}

impl Oauth1Error {
    /// Whether RFC 5849 §3.2 answers it 400 (the others are 401).
    pub fn is_bad_request(&self) -> bool {
        matches!(
            self,
            Oauth1Error::Missing(_)
                | Oauth1Error::Duplicated(_)
                | Oauth1Error::Malformed(_)
                | Oauth1Error::UnsupportedMethod
        )
    }
}

/// The signature methods accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureMethod {
    /// `HMAC-SHA256` (what Moodle and most 1.1 consumers send).
    HmacSha256,
    /// `HMAC-SHA1` (RFC 5849's own; Microsoft's sample provider accepts it).
    HmacSha1,
}

impl SignatureMethod {
    fn algorithm(self) -> hmac::Algorithm {
        match self {
            SignatureMethod::HmacSha256 => hmac::HMAC_SHA256,
            SignatureMethod::HmacSha1 => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
        }
    }
}

/// A request's OAuth 1.0a parameters, read and checked for shape (not yet verified).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    consumer_key: String,
    method: SignatureMethod,
    timestamp: u64,
    nonce: String,
    signature: String,
    /// Every parameter signed (§3.4.1.3.1), decoded: the query's and the protocol's, less the
    /// signature and the header's `realm`.
    params: Vec<(String, String)>,
    /// Whether the protocol parameters came in the query string.
    in_query: bool,
}

impl Signed {
    /// The OAuth 1.0a parameters of a request with this `Authorization` header and raw query
    /// string: `None` when it carries none (no `OAuth` header, no `oauth_` query parameter).
    pub fn read(authorization: Option<&str>, query: Option<&str>) -> Result<Option<Self>, Oauth1Error> {
        let header = authorization.and_then(oauth_header);
        let query: Vec<(String, String)> =
            form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned().collect();
        let in_query = query.iter().any(|(name, _)| name.starts_with("oauth_"));
        let Some(header) = header.map(header_params).transpose()? else {
            return if in_query { Self::from_params(query, true).map(Some) } else { Ok(None) };
        };
        let params = query.into_iter().chain(header.into_iter().filter(|(name, _)| name != "realm")).collect();
        Self::from_params(params, false).map(Some)
    }

    fn from_params(mut params: Vec<(String, String)>, in_query: bool) -> Result<Self, Oauth1Error> {
        let mut protocol: Vec<&str> =
            params.iter().map(|(name, _)| name.as_str()).filter(|n| n.starts_with("oauth_")).collect();
        protocol.sort_unstable();
        if let Some(pair) = protocol.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err(Oauth1Error::Duplicated(pair[0].to_owned()));
        }
        let value = |name: &'static str| {
            params.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).ok_or(Oauth1Error::Missing(name))
        };
        let [consumer_key, method, signature, timestamp, nonce] = REQUIRED.map(value);
        let method = match method?.as_str() {
            "HMAC-SHA256" => SignatureMethod::HmacSha256,
            "HMAC-SHA1" => SignatureMethod::HmacSha1,
            _ => return Err(Oauth1Error::UnsupportedMethod),
        };
        let (consumer_key, signature, timestamp, nonce) = (consumer_key?, signature?, timestamp?, nonce?);
        let timestamp = Some(timestamp.as_str())
            .filter(|t| !t.is_empty() && t.len() <= 12 && t.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|t| t.parse().ok())
            .ok_or(Oauth1Error::Malformed("oauth_timestamp"))?;
        if nonce.is_empty() || nonce.len() > MAX_NONCE_BYTES {
            return Err(Oauth1Error::Malformed("oauth_nonce"));
        }
        if params.iter().any(|(name, value)| name == "oauth_version" && value != "1.0") {
            return Err(Oauth1Error::Malformed("oauth_version"));
        }
        params.retain(|(name, _)| name != "oauth_signature");
        Ok(Self { consumer_key, method, timestamp, nonce, signature, params, in_query })
    }

    /// The consumer key: the client id, as the consumer sent it (unverified).
    pub fn consumer_key(&self) -> &str {
        &self.consumer_key
    }

    /// The timestamp (seconds since the epoch).
    pub fn timestamp(&self) -> u64 {
        self.timestamp
    }

    /// The nonce.
    pub fn nonce(&self) -> &str {
        &self.nonce
    }

    /// Whether the protocol parameters came in the query string (to be taken out of it before
    /// the request is served, so that no link repeats them).
    pub fn in_query(&self) -> bool {
        self.in_query
    }

    /// Until when (seconds since the epoch) the nonce must be kept: after that its timestamp is
    /// refused as stale anyway.
    pub fn keep_nonce_until(&self) -> u64 {
        self.timestamp.saturating_add(MAX_AGE_SECONDS)
    }

    /// Refuses a timestamp more than [`MAX_AGE_SECONDS`] before `now` or more than
    /// [`MAX_AHEAD_SECONDS`] after it.
    pub fn check_time(&self, now: u64) -> Result<(), Oauth1Error> {
        let fresh = self.timestamp.saturating_add(MAX_AGE_SECONDS) >= now
            && self.timestamp <= now.saturating_add(MAX_AHEAD_SECONDS);
        fresh.then_some(()).ok_or(Oauth1Error::Stale)
    }

    /// The signature base string of this request, made with `method` to `base_uri`
    /// (see [`base_uri`]).
    pub fn base_string(&self, method: &str, base_uri: &str) -> String {
        base_string(method, base_uri, &self.params)
    }

    /// Checks the signature against the client's `secret` (constant-time) and, when it
    /// matches, grants the client's `scopes` for the tenant its id names: a verified
    /// signature is, like a verified token, a way to a [`Grant`].
    pub fn verify(
        &self,
        method: &str,
        base_uri: &str,
        secret: &ClientSecret,
        scopes: Scopes,
    ) -> Result<Grant, Oauth1Error> {
        let tenant = crate::tenant_of_client(&self.consumer_key).ok_or(Oauth1Error::UnknownKey)?;
        let sent = STANDARD.decode(self.signature.trim()).map_err(|_| Oauth1Error::BadSignature)?;
        let key = hmac::Key::new(self.method.algorithm(), signing_key(secret, "").as_bytes());
        hmac::verify(&key, self.base_string(method, base_uri).as_bytes(), &sent)
            .map_err(|_| Oauth1Error::BadSignature)?;
        Ok(Grant::new(tenant, self.consumer_key.clone(), scopes))
    }
}

/// The `Authorization` header of a `GET` of `path` (decoded) with `query` (decoded pairs) on
/// `origin`, signed `HMAC-SHA256` by `client` with `secret` at `timestamp` with `nonce`: the
/// signing side of [`Signed::verify`], over the same base string, for the provider's own
/// requests to an SIS that takes OAuth 1.0a (a pull).
pub fn authorization(
    origin: &str,
    path: &str,
    query: &[(String, String)],
    client: &str,
    secret: &ClientSecret,
    timestamp: u64,
    nonce: &str,
) -> String {
    let oauth = [
        ("oauth_consumer_key", client.to_owned()),
        ("oauth_nonce", nonce.to_owned()),
        ("oauth_signature_method", "HMAC-SHA256".to_owned()),
        ("oauth_timestamp", timestamp.to_string()),
        ("oauth_version", "1.0".to_owned()),
    ];
    let mut params: Vec<(String, String)> = query.to_vec();
    params.extend(oauth.iter().map(|(name, value)| ((*name).to_owned(), value.clone())));
    let key = hmac::Key::new(SignatureMethod::HmacSha256.algorithm(), signing_key(secret.expose(), "").as_bytes());
    let base = base_string("GET", &base_uri(origin, path), &params);
    let signature = STANDARD.encode(hmac::sign(&key, base.as_bytes()).as_ref());
    let fields = oauth.iter().map(|(name, value)| format!("{name}=\"{}\"", encode(value)));
    let fields: Vec<String> =
        fields.chain(std::iter::once(format!("oauth_signature=\"{}\"", encode(&signature)))).collect();
    format!("OAuth {}", fields.join(", "))
}

/// The rest of an `Authorization` header of the `OAuth` scheme.
fn oauth_header(value: &str) -> Option<&str> {
    let (scheme, rest) = value.trim_start().split_once(' ')?;
    scheme.eq_ignore_ascii_case("OAuth").then_some(rest)
}

/// The parameters of an `OAuth` header (§3.5.1): `name="value"` pairs separated by commas,
/// names and values percent-encoded.
fn header_params(text: &str) -> Result<Vec<(String, String)>, Oauth1Error> {
    let malformed = || Oauth1Error::Malformed("Authorization");
    text.split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (name, value) = part.split_once('=').ok_or_else(malformed)?;
            let value = value.trim().strip_prefix('"').and_then(|v| v.strip_suffix('"')).ok_or_else(malformed)?;
            let decode = |text: &str| {
                percent_encoding::percent_decode_str(text)
                    .decode_utf8()
                    .map(|t| t.into_owned())
                    .map_err(|_| malformed())
            };
            Ok((decode(name.trim())?, decode(value)?))
        })
        .collect()
}

/// The key HMAC is keyed with (§3.4.2): the encoded client secret and token secret, joined by
/// `&` (two-legged: the token secret is empty).
fn signing_key(client_secret: &str, token_secret: &str) -> String {
    format!("{}&{}", encode(client_secret), encode(token_secret))
}

/// Percent-encodes `text` as §3.6 says: every byte but the unreserved characters of RFC 3986
/// (`A-Z a-z 0-9 - . _ ~`), as `%` and two upper-case hex digits.
pub fn encode(text: &str) -> String {
    encode_keeping(text, b"")
}

fn encode_keeping(text: &str, also: &[u8]) -> String {
    let mut out = String::with_capacity(text.len());
    for &byte in text.as_bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) || also.contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The base string URI (§3.4.1.2) of a request to `path` (decoded, as API Gateway hands it)
/// on `origin` (the deployment's scheme and host): scheme and host in lower case, the port
/// only when it is not the scheme's default, and the path encoded as RFC 3986 §3.3 says:
/// unreserved characters, sub-delimiters, `:`, `@` and `/` as they are, every other byte
/// percent-encoded. A consumer that encoded characters that need no encoding (`%41` for `A`,
/// `%2F` inside an id) signed another string, which no decoded path can tell.
pub fn base_uri(origin: &str, path: &str) -> String {
    let origin = origin.to_ascii_lowercase();
    let origin = match origin.split_once("://") {
        Some(("http", host)) => format!("http://{}", host.strip_suffix(":80").unwrap_or(host)),
        Some(("https", host)) => format!("https://{}", host.strip_suffix(":443").unwrap_or(host)),
        _ => origin,
    };
    format!("{origin}{}", encode_keeping(path, b"!$&'()*+,;=:@/"))
}

/// The signature base string (§3.4.1): the method in upper case, the base string URI and the
/// normalised parameters (each name and value encoded, sorted by name then value, joined
/// `name=value` with `&`), each encoded once more and joined with `&`.
pub fn base_string(method: &str, base_uri: &str, params: &[(String, String)]) -> String {
    let mut encoded: Vec<(String, String)> = params.iter().map(|(n, v)| (encode(n), encode(v))).collect();
    encoded.sort_unstable();
    let normalised = encoded.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join("&");
    format!("{}&{}&{}", method.to_ascii_uppercase(), encode(base_uri), encode(&normalised))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_800_000_000;
    const CLIENT: &str = "district-a.00112233aabbccdd";
    const SECRET: &str = "s3cr3t+/=";

    #[test]
    fn a_request_signed_by_authorization_is_verified_by_the_gate() {
        let secret = ClientSecret::presented(SECRET.to_owned());
        let query = [("limit".to_owned(), "100".to_owned()), ("filter".to_owned(), "role='student'".to_owned())];
        let path = "/ims/oneroster/v1p1/users";
        let header = authorization("https://sis.example", path, &query, CLIENT, &secret, NOW, "n-1");
        let signed = Signed::read(Some(&header), Some("limit=100&filter=role%3D%27student%27")).unwrap().unwrap();
        let base = base_uri("https://sis.example", path);
        assert!(signed.verify("GET", &base, &secret, Scopes::all()).is_ok());
        let other = ClientSecret::presented("another".to_owned());
        assert!(signed.verify("GET", &base, &other, Scopes::all()).is_err());
    }

    fn sign(method: SignatureMethod, secret: &str, base: &str) -> String {
        let key = hmac::Key::new(method.algorithm(), signing_key(secret, "").as_bytes());
        STANDARD.encode(hmac::sign(&key, base.as_bytes()).as_ref())
    }

    /// A header for `query`'s request to `uri`, signed with `method`.
    fn header(method: SignatureMethod, uri: &str, query: &str, nonce: &str, timestamp: u64) -> String {
        let name = if method == SignatureMethod::HmacSha1 { "HMAC-SHA1" } else { "HMAC-SHA256" };
        let oauth = [
            ("oauth_consumer_key".to_owned(), CLIENT.to_owned()),
            ("oauth_signature_method".to_owned(), name.to_owned()),
            ("oauth_timestamp".to_owned(), timestamp.to_string()),
            ("oauth_nonce".to_owned(), nonce.to_owned()),
            ("oauth_version".to_owned(), "1.0".to_owned()),
        ];
        let mut params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        params.extend(oauth.iter().cloned());
        let signature = sign(method, SECRET, &base_string("GET", uri, &params));
        let fields: Vec<String> = oauth
            .iter()
            .chain(&[("oauth_signature".to_owned(), signature)])
            .map(|(n, v)| format!("{n}=\"{}\"", encode(v)))
            .collect();
        format!("OAuth realm=\"oneroster\", {}", fields.join(", "))
    }

    fn secret() -> ClientSecret {
        ClientSecret::presented(SECRET)
    }

    /// RFC 5849 §3.4.1.1's example: query, header (with `realm`, left out) and form body
    /// parameters, a repeated name, `+` and `%20` both a space, an empty value.
    #[test]
    fn the_rfc_example_base_string() {
        let header = r#"OAuth realm="Example", oauth_consumer_key="9djdj82h48djs9d2", oauth_token="kkk9d7dh3k39sjv7",
            oauth_signature_method="HMAC-SHA1", oauth_timestamp="137131201", oauth_nonce="7d8f3e4a",
            oauth_signature="bYT5CMsGcbgUdFHObYMEfcx6bsw%3D""#;
        let signed = Signed::read(Some(header), Some("b5=%3D%253D&a3=a&c%40=&a2=r%20b")).expect("read").expect("oauth");
        let mut params = signed.params.clone();
        params.extend(form_urlencoded::parse(b"c2&a3=2+q").into_owned());
        let expected = "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7";
        assert_eq!(base_string("post", &base_uri("http://EXAMPLE.COM:80", "/request"), &params), expected);
        assert_eq!(signed.timestamp(), 137_131_201);
        assert_eq!(signed.nonce(), "7d8f3e4a");
    }

    /// OAuth Core 1.0's worked example (Appendix A.5, HMAC-SHA1 with a token secret): the
    /// signing key and the HMAC as the specification has them.
    #[test]
    fn the_rfc_example_signature() {
        let params: Vec<(String, String)> = [
            ("file", "vacation.jpg"),
            ("size", "original"),
            ("oauth_consumer_key", "dpf43f3p2l4k3l03"),
            ("oauth_token", "nnch734d00sl2jdk"),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", "1191242096"),
            ("oauth_nonce", "kllo9940pd9333jh"),
            ("oauth_version", "1.0"),
        ]
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
        let base = base_string("GET", &base_uri("http://photos.example.net", "/photos"), &params);
        let key = hmac::Key::new(
            hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            signing_key("kd94hf93k423kf44", "pfkkdhi9sl3r4s00").as_bytes(),
        );
        assert_eq!(STANDARD.encode(hmac::sign(&key, base.as_bytes()).as_ref()), "tR3+Ty81lMeYAr/Fid0kMTYa/WM=");
    }

    #[test]
    fn a_signed_request_verifies_to_the_clients_grant() {
        let uri = "https://api.example.org/ims/oneroster/rostering/v1p2/users";
        let query = "filter=givenName%3D%27Jo%20Ann%27&limit=5";
        for method in [SignatureMethod::HmacSha256, SignatureMethod::HmacSha1] {
            let header = header(method, uri, query, "abc", NOW);
            let signed = Signed::read(Some(&header), Some(query)).expect("read").expect("oauth");
            assert!(!signed.in_query());
            signed.check_time(NOW).expect("fresh");
            let scopes = Scopes::parse("roster.readonly").expect("scopes");
            let grant = signed.verify("GET", uri, &secret(), scopes.clone()).expect("verified");
            assert_eq!(
                (grant.client(), grant.tenant().to_string(), grant.scopes()),
                (CLIENT, "district-a".into(), &scopes)
            );
            let wrong = ClientSecret::presented("other");
            assert_eq!(signed.verify("GET", uri, &wrong, Scopes::all()), Err(Oauth1Error::BadSignature));
            assert_eq!(signed.verify("PUT", uri, &secret(), Scopes::all()), Err(Oauth1Error::BadSignature));
            let other = Signed::read(Some(&header), Some("filter=givenName%3D%27Jo%27&limit=5")).expect("read");
            assert_eq!(
                other.expect("oauth").verify("GET", uri, &secret(), Scopes::all()),
                Err(Oauth1Error::BadSignature)
            );
            let elsewhere = "https://evil.example/ims/oneroster/rostering/v1p2/users";
            assert_eq!(signed.verify("GET", elsewhere, &secret(), Scopes::all()), Err(Oauth1Error::BadSignature));
        }
    }

    #[test]
    fn parameters_in_the_query_are_read_as_in_the_header() {
        let uri = "http://api.test/ims/oneroster/v1p2/orgs";
        let header = header(SignatureMethod::HmacSha256, uri, "", "n1", NOW);
        let query = header
            .trim_start_matches("OAuth realm=\"oneroster\", ")
            .split(", ")
            .map(|field| field.replace('"', ""))
            .collect::<Vec<_>>()
            .join("&");
        let signed = Signed::read(Some("Basic Zm9vOmJhcg=="), Some(&query)).expect("read").expect("oauth");
        assert!(signed.in_query());
        assert!(signed.verify("GET", uri, &secret(), Scopes::all()).is_ok());
        assert_eq!(Signed::read(Some("Bearer abc"), Some("limit=5")), Ok(None), "no OAuth 1 parameter");
        assert_eq!(Signed::read(None, None), Ok(None));
    }

    #[test]
    fn parameters_missing_duplicated_or_malformed_are_bad_requests() {
        let uri = "http://api.test/x";
        let good = header(SignatureMethod::HmacSha256, uri, "", "n1", NOW);
        let without = |name: &str| {
            let fields: Vec<&str> = good.split(", ").filter(|f| !f.starts_with(name)).collect();
            fields.join(", ")
        };
        let cases: Vec<(String, Option<&str>, Oauth1Error)> = vec![
            (without("oauth_nonce"), None, Oauth1Error::Missing("oauth_nonce")),
            (without("oauth_signature="), None, Oauth1Error::Missing("oauth_signature")),
            (without("oauth_consumer_key"), None, Oauth1Error::Missing("oauth_consumer_key")),
            (format!("{good}, oauth_nonce=\"again\""), None, Oauth1Error::Duplicated("oauth_nonce".into())),
            (good.clone(), Some("oauth_timestamp=1"), Oauth1Error::Duplicated("oauth_timestamp".into())),
            (good.replace("HMAC-SHA256", "PLAINTEXT"), None, Oauth1Error::UnsupportedMethod),
            (good.replace("HMAC-SHA256", "RSA-SHA1"), None, Oauth1Error::UnsupportedMethod),
            (good.replace(&format!("\"{NOW}\""), "\"soon\""), None, Oauth1Error::Malformed("oauth_timestamp")),
            (good.replace("\"n1\"", "\"\""), None, Oauth1Error::Malformed("oauth_nonce")),
            (good.replace("\"n1\"", &format!("\"{}\"", "n".repeat(300))), None, Oauth1Error::Malformed("oauth_nonce")),
            (good.replace("\"1.0\"", "\"2.0\""), None, Oauth1Error::Malformed("oauth_version")),
            (good.replace("oauth_nonce=\"n1\"", "oauth_nonce=n1"), None, Oauth1Error::Malformed("Authorization")),
            (good.replace("\"n1\"", "\"%FF\""), None, Oauth1Error::Malformed("Authorization")),
        ];
        for (header, query, error) in cases {
            assert!(error.is_bad_request(), "{error}");
            assert_eq!(Signed::read(Some(&header), query), Err(error.clone()), "{header}");
        }
        for error in [Oauth1Error::Stale, Oauth1Error::UnknownKey, Oauth1Error::BadSignature, Oauth1Error::Replayed] {
            assert!(!error.is_bad_request(), "{error}");
        }
    }

    #[test]
    fn timestamps_are_taken_ten_minutes_past_and_five_ahead() {
        let at = |timestamp: u64| {
            let header = header(SignatureMethod::HmacSha256, "http://api.test/x", "", "n", timestamp);
            Signed::read(Some(&header), None).expect("read").expect("oauth").check_time(NOW)
        };
        assert_eq!(at(NOW - MAX_AGE_SECONDS), Ok(()));
        assert_eq!(at(NOW + MAX_AHEAD_SECONDS), Ok(()));
        assert_eq!(at(NOW - MAX_AGE_SECONDS - 1), Err(Oauth1Error::Stale));
        assert_eq!(at(NOW + MAX_AHEAD_SECONDS + 1), Err(Oauth1Error::Stale));
        assert_eq!(at(0), Err(Oauth1Error::Stale));
    }

    #[test]
    fn an_unknown_consumer_key_is_refused() {
        let good = header(SignatureMethod::HmacSha256, "http://api.test/x", "", "n", NOW);
        let signed = Signed::read(Some(&good.replace(CLIENT, "nobody")), None).expect("read").expect("oauth");
        assert_eq!(signed.verify("GET", "http://api.test/x", &secret(), Scopes::all()), Err(Oauth1Error::UnknownKey));
    }

    #[test]
    fn the_base_uri_is_the_origin_and_the_path_encoded_as_rfc_3986_says() {
        assert_eq!(base_uri("HTTPS://Api.Example.org:443", "/a"), "https://api.example.org/a");
        assert_eq!(base_uri("http://127.0.0.1:8080", "/a"), "http://127.0.0.1:8080/a");
        assert_eq!(base_uri("https://h:8443", "/a"), "https://h:8443/a");
        assert_eq!(
            base_uri("https://h", "/users/a b/c'd/é%/x:y@z!$&()*+,;=~"),
            "https://h/users/a%20b/c'd/%C3%A9%25/x:y@z!$&()*+,;=~"
        );
        assert_eq!(encode("Ladies + Gentlemen"), "Ladies%20%2B%20Gentlemen");
        assert_eq!(encode("An encoded string!"), "An%20encoded%20string%21");
        assert_eq!(encode("Dogs, Cats & Mice ☃"), "Dogs%2C%20Cats%20%26%20Mice%20%E2%98%83");
        assert_eq!(encode("-._~"), "-._~");
    }
}
