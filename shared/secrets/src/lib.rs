//! The signing keys' home in a deployment: one Secrets Manager secret holding the key ring's
//! configuration (private keys, newest first; see [`KeyRing::to_config`]). Only the auth
//! function reads it and only the operators' CLI (`oneroster-admin keys`) writes it; the
//! public half is published in the table, where the API functions read it.

use aws_sdk_secretsmanager::Client;
use oneroster_auth::{KeyError, KeyRing};

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
