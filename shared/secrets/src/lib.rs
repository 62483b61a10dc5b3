//! The secrets' homes in a deployment:
//!
//! - the signing keys: one Secrets Manager secret holding the key ring's configuration
//!   (private keys, newest first; see [`KeyRing::to_config`]). Only the auth function reads it
//!   and only the operators' CLI (`oneroster-admin keys`) writes it; the public half is
//!   published in the table, where the API functions read it;
//! - the secrets of OAuth 1.0a clients ([`KmsSealer`]): encrypted under the deployment's KMS
//!   key with the client's id as encryption context, so that a sealed secret opens only for
//!   its client (and only for a role the key's policy and the context's condition allow); the
//!   same key seals webhooks' signing secrets and districts' SIS secrets, each in a context of
//!   its own.

use aws_sdk_secretsmanager::Client;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use oneroster_auth::oauth1::{SealError, Sealing, SecretSealer};
use oneroster_auth::{ClientSecret, KeyError, KeyRing};

/// Reading or writing the secret failed.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// Secrets Manager answered with an error (or could not be reached).
    #[error("Secrets Manager: {0}")]
    Service(#[source] Box<aws_sdk_secretsmanager::Error>),
    /// The secret holds something that is not a key ring.
    #[error("the signing-keys secret does not hold a key ring: {0}")]
    NotARing(#[from] KeyError),
}

impl<E, R> From<aws_sdk_secretsmanager::error::SdkError<E, R>> for SecretError
where
    aws_sdk_secretsmanager::Error: From<aws_sdk_secretsmanager::error::SdkError<E, R>>,
{
    fn from(error: aws_sdk_secretsmanager::error::SdkError<E, R>) -> Self {
        SecretError::Service(Box::new(error.into()))
    }
}

/// The secret that holds the signing key ring: its name and a client to read it with; the
/// ring itself is read on demand ([`SigningSecret::load`]) and never kept here. `Debug` shows
/// the name, and `[redacted]` for the value, so that no log line can learn to print more.
#[derive(Clone)]
pub struct SigningSecret {
    client: Client,
    id: String,
}

impl std::fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningSecret").field("id", &self.id).field("value", &format_args!("[redacted]")).finish()
    }
}

impl SigningSecret {
    /// The secret `id` (name or ARN), through `endpoint` when given (the local stack's moto).
    pub fn new(aws: &aws_config::SdkConfig, endpoint: Option<&str>, id: impl Into<String>) -> Self {
        let mut config = aws_sdk_secretsmanager::config::Builder::from(aws);
        if let Some(endpoint) = endpoint {
            config = config.endpoint_url(endpoint);
        }
        Self { client: Client::from_conf(config.build()), id: id.into() }
    }

    /// The key ring, or `None` while the secret does not exist or holds no value yet.
    pub async fn load(&self) -> Result<Option<KeyRing>, SecretError> {
        match self.client.get_secret_value().secret_id(&self.id).send().await {
            Ok(output) => Ok(output.secret_string().map(KeyRing::from_config).transpose()?),
            Err(error) => match aws_sdk_secretsmanager::Error::from(error) {
                aws_sdk_secretsmanager::Error::ResourceNotFoundException(_) => Ok(None),
                other => Err(SecretError::Service(Box::new(other))),
            },
        }
    }

    /// Stores `ring` as the secret's current value, creating the secret if it does not exist.
    pub async fn save(&self, ring: &KeyRing) -> Result<(), SecretError> {
        let value = ring.to_config();
        match self.client.put_secret_value().secret_id(&self.id).secret_string(&value).send().await {
            Ok(_) => Ok(()),
            Err(error) => match aws_sdk_secretsmanager::Error::from(error) {
                aws_sdk_secretsmanager::Error::ResourceNotFoundException(_) => {
                    self.client.create_secret().name(&self.id).secret_string(value).send().await?;
                    Ok(())
                }
                other => Err(SecretError::Service(Box::new(other))),
            },
        }
    }
}

/// The encryption context's key under which a sealed secret names its client: the template's
/// policy lets the API functions decrypt only with it.
pub const CLIENT_CONTEXT: &str = "oneroster:oauth1-client";

/// The encryption context's key under which a webhook's sealed signing secret names its
/// webhook: only the webhooks function may decrypt with it, and an OAuth 1.0a secret never
/// opens as a webhook's (nor the other way round).
pub const WEBHOOK_CONTEXT: &str = "oneroster:webhook";

/// The encryption context's key under which a district's SIS secret (the provider's client
/// at the SIS it pulls from) names its tenant: only the pull may decrypt with it.
pub const SOURCE_CONTEXT: &str = "oneroster:sis-source";

/// Seals OAuth 1.0a clients' secrets with KMS `Encrypt` and opens them with `Decrypt` under
/// one key (id, ARN or alias), the client's id as encryption context ([`CLIENT_CONTEXT`]; a
/// webhook's id under [`WEBHOOK_CONTEXT`], [`KmsSealer::for_webhooks`]). `Debug` shows the key.
#[derive(Clone)]
pub struct KmsSealer {
    client: aws_sdk_kms::Client,
    key: String,
    context: &'static str,
}

impl std::fmt::Debug for KmsSealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KmsSealer").field("key", &self.key).field("context", &self.context).finish()
    }
}

fn kms_failed(error: impl Into<aws_sdk_kms::Error>) -> SealError {
    // The error's kind and message only: they name the key, never a plaintext.
    SealError(error.into().to_string())
}

impl KmsSealer {
    /// Seals with `key` (id, ARN or `alias/…`), through `endpoint` when given (the local
    /// stack's moto).
    pub fn new(aws: &aws_config::SdkConfig, endpoint: Option<&str>, key: impl Into<String>) -> Self {
        let mut config = aws_sdk_kms::config::Builder::from(aws);
        if let Some(endpoint) = endpoint {
            config = config.endpoint_url(endpoint);
        }
        Self { client: aws_sdk_kms::Client::from_conf(config.build()), key: key.into(), context: CLIENT_CONTEXT }
    }

    /// The same key, sealing webhooks' signing secrets under [`WEBHOOK_CONTEXT`].
    pub fn for_webhooks(self) -> Self {
        Self { context: WEBHOOK_CONTEXT, ..self }
    }

    /// The same key, sealing districts' SIS secrets under [`SOURCE_CONTEXT`].
    pub fn for_sources(self) -> Self {
        Self { context: SOURCE_CONTEXT, ..self }
    }

    /// Makes the key `alias` names when no key has it: the local stack's stand-in for the
    /// deployment's key, which the template makes.
    pub async fn ensure_key(&self) -> Result<(), SealError> {
        if self.client.describe_key().key_id(&self.key).send().await.is_ok() {
            return Ok(());
        }
        let made = self.client.create_key().description("OneRoster local stack").send().await.map_err(kms_failed)?;
        let id = made.key_metadata().map(|k| k.key_id().to_owned()).unwrap_or_default();
        match self.client.create_alias().alias_name(&self.key).target_key_id(id).send().await {
            Ok(_) => Ok(()),
            // Another process made it meanwhile.
            Err(error) => match aws_sdk_kms::Error::from(error) {
                aws_sdk_kms::Error::AlreadyExistsException(_) => Ok(()),
                other => Err(kms_failed(other)),
            },
        }
    }
}

impl SecretSealer for KmsSealer {
    fn seal<'a>(&'a self, client: &'a str, secret: &'a ClientSecret) -> Sealing<'a, String> {
        Box::pin(async move {
            let sealed = self
                .client
                .encrypt()
                .key_id(&self.key)
                .plaintext(aws_sdk_kms::primitives::Blob::new(secret.expose().as_bytes()))
                .encryption_context(self.context, client)
                .send()
                .await
                .map_err(kms_failed)?;
            let blob = sealed.ciphertext_blob().ok_or_else(|| SealError("KMS answered no ciphertext".into()))?;
            Ok(STANDARD.encode(blob.as_ref()))
        })
    }

    fn open<'a>(&'a self, client: &'a str, sealed: &'a str) -> Sealing<'a, ClientSecret> {
        Box::pin(async move {
            let blob = STANDARD.decode(sealed).map_err(|_| SealError("a sealed secret is not base64".into()))?;
            let opened = self
                .client
                .decrypt()
                .key_id(&self.key)
                .ciphertext_blob(aws_sdk_kms::primitives::Blob::new(blob))
                .encryption_context(self.context, client)
                .send()
                .await
                .map_err(kms_failed)?;
            let plaintext = opened.plaintext().ok_or_else(|| SealError("KMS answered no plaintext".into()))?;
            String::from_utf8(plaintext.as_ref().to_vec())
                .map(ClientSecret::presented)
                .map_err(|_| SealError("a sealed secret is not text".into()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_prints_its_name_only() {
        let aws = aws_config::SdkConfig::builder().behavior_version(aws_config::BehaviorVersion::latest()).build();
        let secret = SigningSecret::new(&aws, Some("http://127.0.0.1:9"), "oneroster/test/signing-keys");
        let shown = format!("{secret:?}");
        assert_eq!(shown, "SigningSecret { id: \"oneroster/test/signing-keys\", value: [redacted] }");
    }
}
