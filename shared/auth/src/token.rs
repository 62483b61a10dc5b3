//! Access tokens: JWTs signed with the ring's newest key (`EdDSA`, with `kid`), and their
//! verification with the algorithm pinned, so `alg: none`, an HMAC token "signed" with the
//! public key, or a token of another issuer or audience are refused before any claim is read.
//! The times are checked against this machine's clock with [`LEEWAY_SECONDS`] either way:
//! `exp` passed, `nbf` not reached, or `iat` in the future (a token minted ahead of time, or
//! by a signer whose clock is wrong) are refused. The tenant must be the client's: a client
//! id is `{tenant}.{random}`, and a token whose `tenant` is another is refused.

use crate::{KeyRing, Scopes, AUDIENCE};
use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation};
use oneroster_model::{Tenant, TenantId};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Why a token was refused. Deliberately coarse towards the client: every variant is a 401.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization: Bearer` header.
    #[error("no bearer token")]
    Missing,
    /// Not a JWT this service issued, or no longer valid.
    #[error("invalid token: {0}")]
    Invalid(String),
    /// Signed with a key the verifier does not know (yet: a key published after it started).
    #[error("invalid token: unknown key")]
    UnknownKey,
}

/// What a token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// The client id.
    pub sub: String,
    /// The tenant the client belongs to.
    pub tenant: String,
    /// Granted scopes, space-separated.
    pub scope: String,
    /// Issued at (seconds since the epoch).
    pub iat: u64,
    /// Not valid before (seconds since the epoch): the issue time. Checked when present;
    /// tokens issued before it was added carry none and stay valid for their hour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// Expires at (seconds since the epoch).
    pub exp: u64,
}

/// How far this machine's clock may be from the issuer's, either way, when `exp`, `nbf` and
/// `iat` are checked: small, since both are AWS machines kept to time.
pub const LEEWAY_SECONDS: u64 = 30;

/// What a verified token grants: the only way the API learns a request's tenant. Only
/// [`Verifier::verify`] makes one, so holding a `Grant` proves a token was verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    tenant: TenantId,
    client: String,
    scopes: Scopes,
}

impl Grant {
    /// A grant to `client` of `tenant`: made only here and by [`crate::oauth1::Signed::verify`].
    pub(crate) fn new(tenant: TenantId, client: String, scopes: Scopes) -> Self {
        Self { tenant, client, scopes }
    }

    /// The tenant the token was issued for.
    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    /// The tenant whose data the token's holder may reach: the one way the API gets a
    /// [`Tenant`] for the store.
    pub fn tenant_access(&self) -> Tenant {
        Tenant::of_verified_token(self.tenant.clone())
    }

    /// The client the token was issued to.
    pub fn client(&self) -> &str {
        &self.client
    }

    /// The scopes the token grants.
    pub fn scopes(&self) -> &Scopes {
        &self.scopes
    }
}

/// Makes access tokens. `Debug` shows the issuer's name and lifetime; its keys print as
/// `[redacted]`.
#[derive(Clone)]
pub struct Issuer {
    keys: KeyRing,
    issuer: String,
    lifetime_seconds: u64,
}

impl std::fmt::Debug for Issuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issuer")
            .field("issuer", &self.issuer)
            .field("lifetime_seconds", &self.lifetime_seconds)
            .field("keys", &format_args!("[redacted]"))
            .finish()
    }
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

impl Issuer {
    /// An issuer named `issuer` (the token endpoint's base URL) signing with `keys`; tokens live
    /// `lifetime_seconds`.
    pub fn new(keys: KeyRing, issuer: impl Into<String>, lifetime_seconds: u64) -> Self {
        Self { keys, issuer: issuer.into(), lifetime_seconds }
    }

    /// The same issuer signing with `keys` (the ring re-read after a rotation).
    pub fn with_keys(&self, keys: KeyRing) -> Self {
        Self { keys, ..self.clone() }
    }

    /// The public keys (`/.well-known/jwks.json`).
    pub fn jwks(&self) -> serde_json::Value {
        self.keys.jwks()
    }

    /// A token for `client` of `tenant` with `scopes`; returns it and its lifetime in seconds.
    pub fn issue(&self, tenant: &TenantId, client: &str, scopes: &Scopes) -> (String, u64) {
        let (kid, key) = self.keys.signer();
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(kid.to_owned());
        let iat = now();
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: AUDIENCE.to_owned(),
            sub: client.to_owned(),
            tenant: tenant.to_string(),
            scope: scopes.to_text(),
            iat,
            nbf: Some(iat),
            exp: iat + self.lifetime_seconds,
        };
        let token = jsonwebtoken::encode(&header, &claims, &key).expect("an Ed25519 key from the ring always signs");
        (token, self.lifetime_seconds)
    }
}

/// Verifies access tokens against a JWKS.
#[derive(Clone)]
pub struct Verifier {
    keys: HashMap<String, DecodingKey>,
    validation: Validation,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier").field("kids", &self.keys.keys().collect::<Vec<_>>()).finish()
    }
}

impl Verifier {
    /// A verifier of tokens from `issuer`, signed by a key of `jwks` (`{"keys":[…]}`, only the
    /// Ed25519 keys are taken).
    pub fn new(jwks: &serde_json::Value, issuer: &str) -> Self {
        let keys = jwks["keys"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|key| key["kty"] == "OKP" && key["crv"] == "Ed25519")
            .filter_map(|key| {
                let kid = key["kid"].as_str()?.to_owned();
                Some((kid, DecodingKey::from_ed_components(key["x"].as_str()?).ok()?))
            })
            .collect();
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[AUDIENCE]);
        // `nbf` is checked when present but not required yet: tokens issued by the release
        // before it carry none, and they stay valid until they expire (an hour).
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECONDS;
        Self { keys, validation }
    }

    /// The grant of a valid token.
    pub fn verify(&self, token: &str) -> Result<Grant, AuthError> {
        let invalid = |why: &str| AuthError::Invalid(why.to_owned());
        let header = jsonwebtoken::decode_header(token).map_err(|_| invalid("malformed"))?;
        if header.alg != Algorithm::EdDSA {
            return Err(invalid("wrong algorithm"));
        }
        let key = header.kid.as_deref().and_then(|kid| self.keys.get(kid)).ok_or(AuthError::UnknownKey)?;
        let data = jsonwebtoken::decode::<Claims>(token, key, &self.validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            match e.kind() {
                ErrorKind::ExpiredSignature => invalid("expired"),
                ErrorKind::ImmatureSignature => invalid("not yet valid"),
                ErrorKind::InvalidIssuer => invalid("wrong issuer"),
                ErrorKind::InvalidAudience => invalid("wrong audience"),
                ErrorKind::InvalidSignature => invalid("bad signature"),
                _ => invalid("malformed"),
            }
        })?;
        let claims = data.claims;
        if claims.iat > now() + LEEWAY_SECONDS {
            return Err(invalid("issued in the future"));
        }
        let tenant = TenantId::parse(&claims.tenant).map_err(|_| invalid("bad tenant"))?;
        if crate::tenant_of_client(&claims.sub).as_ref() != Some(&tenant) {
            return Err(invalid("the tenant is not the client's"));
        }
        let scopes = Scopes::parse(&claims.scope).map_err(|_| invalid("bad scope"))?;
        Ok(Grant { tenant, client: claims.sub, scopes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;

    const ISSUER: &str = "https://auth.test";
    const CLIENT: &str = "district-a.00112233aabbccdd";

    fn setup() -> (Issuer, Verifier) {
        let issuer = Issuer::new(KeyRing::generate("k1").expect("keys"), ISSUER, 3600);
        let verifier = Verifier::new(&issuer.jwks(), ISSUER);
        (issuer, verifier)
    }

    fn tenant() -> TenantId {
        TenantId::parse("district-a").expect("tenant")
    }

    fn forge(header: serde_json::Value, claims: serde_json::Value, signature: &[u8]) -> String {
        let part = |v: serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
        format!("{}.{}.{}", part(header), part(claims), URL_SAFE_NO_PAD.encode(signature))
    }

    fn claims(issuer: &str, audience: &str, exp: u64) -> serde_json::Value {
        serde_json::json!({"iss": issuer, "aud": audience, "sub": CLIENT, "tenant": "district-a",
                           "scope": format!("{}roster.readonly", crate::scope::PREFIX), "iat": now(), "nbf": now(),
                           "exp": exp})
    }

    #[test]
    fn an_issued_token_verifies_to_its_grant() {
        let (issuer, verifier) = setup();
        let scopes = Scopes::parse("roster.readonly").expect("scopes");
        let (token, lifetime) = issuer.issue(&tenant(), CLIENT, &scopes);
        assert_eq!(lifetime, 3600);
        let grant = verifier.verify(&token).expect("valid");
        assert_eq!(grant, Grant { tenant: tenant(), client: CLIENT.into(), scopes });
        let claims: Claims =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(token.split('.').nth(1).expect("claims")).expect("base64"))
                .expect("claims");
        assert!(claims.nbf == Some(claims.iat) && claims.iat.abs_diff(now()) <= 1 && claims.exp == claims.iat + 3600);
    }

    #[test]
    fn hostile_tokens_are_refused() {
        let (issuer, verifier) = setup();
        let (good, _) = issuer.issue(&tenant(), CLIENT, &Scopes::all());
        // Change one character inside the signature (the last may carry padding bits only).
        let at = good.len() - 10;
        let swapped = if good.as_bytes()[at] == b'A' { "B" } else { "A" };
        let tampered = format!("{}{swapped}{}", &good[..at], &good[at + 1..]);
        let public = issuer.jwks()["keys"][0]["x"].as_str().expect("x").to_owned();
        let hmac_with_public_key = {
            let mut header = Header::new(Algorithm::HS256);
            header.kid = Some("k1".into());
            jsonwebtoken::encode(
                &header,
                &claims(ISSUER, AUDIENCE, now() + 60),
                &jsonwebtoken::EncodingKey::from_secret(public.as_bytes()),
            )
            .expect("hs256")
        };
        let none = forge(serde_json::json!({"alg": "none", "kid": "k1"}), claims(ISSUER, AUDIENCE, now() + 60), b"");
        let other_ring =
            Issuer::new(KeyRing::generate("k1").expect("keys"), ISSUER, 60).issue(&tenant(), CLIENT, &Scopes::all()).0;
        let expired = Issuer::new(issuer.keys.clone(), ISSUER, 0);
        let expired = {
            let (kid, key) = expired.keys.signer();
            let mut header = Header::new(Algorithm::EdDSA);
            header.kid = Some(kid.into());
            jsonwebtoken::encode(&header, &claims(ISSUER, AUDIENCE, now() - 120), &key).expect("sign")
        };
        let with = |changes: &[(&str, u64)]| {
            let mut c = claims(ISSUER, AUDIENCE, now() + 600);
            for (name, value) in changes {
                c[*name] = (*value).into();
            }
            c
        };
        let without = |name: &str| {
            let mut c = claims(ISSUER, AUDIENCE, now() + 600);
            c.as_object_mut().map(|o| o.remove(name));
            c
        };
        let mut other_tenant = claims(ISSUER, AUDIENCE, now() + 600);
        other_tenant["sub"] = "district-b.00112233aabbccdd".into();
        let mut no_tenant = claims(ISSUER, AUDIENCE, now() + 600);
        no_tenant["sub"] = "c".into();
        let sign = |c: serde_json::Value| {
            let (kid, key) = issuer.keys.signer();
            let mut header = Header::new(Algorithm::EdDSA);
            header.kid = Some(kid.into());
            jsonwebtoken::encode(&header, &c, &key).expect("sign")
        };
        for (name, token, why) in [
            ("garbage", "not.a.jwt".to_owned(), "malformed"),
            ("empty", String::new(), "malformed"),
            ("tampered signature", tampered, "bad signature"),
            ("alg none (not even a known algorithm)", none, "malformed"),
            ("HS256 keyed with the public key", hmac_with_public_key, "wrong algorithm"),
            ("another ring's key", other_ring, "bad signature"),
            ("expired", expired, "expired"),
            ("wrong issuer", sign(claims("https://evil.test", AUDIENCE, now() + 60)), "wrong issuer"),
            ("wrong audience", sign(claims(ISSUER, "other-api", now() + 60)), "wrong audience"),
            ("not valid for a minute", sign(with(&[("nbf", now() + 60)])), "not yet valid"),
            ("issued a minute from now", sign(with(&[("iat", now() + 60)])), "issued in the future"),
            ("no iat", sign(without("iat")), "malformed"),
            ("tenant not the client's", sign(other_tenant.clone()), "the tenant is not the client's"),
            ("client of no tenant", sign(no_tenant.clone()), "the tenant is not the client's"),
        ] {
            assert_eq!(verifier.verify(&token), Err(AuthError::Invalid(why.into())), "{name}");
        }
        // A token of the release before `nbf` (none in it) stays valid until it expires.
        assert!(verifier.verify(&sign(without("nbf"))).is_ok(), "a token without nbf");
    }

    #[test]
    fn small_clock_differences_are_tolerated() {
        let (issuer, verifier) = setup();
        let (kid, key) = issuer.keys.signer();
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(kid.into());
        let mut ahead = claims(ISSUER, AUDIENCE, now() + 600);
        ahead["iat"] = (now() + LEEWAY_SECONDS / 2).into();
        ahead["nbf"] = (now() + LEEWAY_SECONDS / 2).into();
        let token = jsonwebtoken::encode(&header, &ahead, &key).expect("sign");
        assert!(verifier.verify(&token).is_ok());
    }

    #[test]
    fn an_issuer_never_prints_its_keys() {
        let (issuer, _) = setup();
        let shown = format!("{issuer:?}");
        assert!(shown.contains("[redacted]") && shown.contains(ISSUER), "{shown}");
        let config: serde_json::Value = serde_json::from_str(&issuer.keys.to_config()).expect("config");
        assert!(!shown.contains(config["keys"][0]["private"].as_str().expect("private")), "{shown}");
    }

    #[test]
    fn rotation_keeps_old_tokens_valid_until_the_old_key_is_retired() {
        let (issuer, _) = setup();
        let (old_token, _) = issuer.issue(&tenant(), CLIENT, &Scopes::all());
        let mut keys = issuer.keys.clone();
        keys.rotate("k2").expect("rotate");
        let rotated = Issuer::new(keys.clone(), ISSUER, 60);
        let verifier = Verifier::new(&rotated.jwks(), ISSUER);
        assert!(verifier.verify(&old_token).is_ok());
        assert!(verifier.verify(&rotated.issue(&tenant(), CLIENT, &Scopes::all()).0).is_ok());
        keys.retire(1);
        let verifier = Verifier::new(&keys.jwks(), ISSUER);
        assert_eq!(verifier.verify(&old_token), Err(AuthError::UnknownKey));
        let reloaded = KeyRing::from_config(&keys.to_config()).expect("config");
        assert_eq!(reloaded.jwks(), keys.jwks());
    }
}
