//! Identifiers that are checked once, where they enter the system, so that a value that exists
//! is valid: the tenant every key begins with, and the sourcedId of every record.

use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// Why an identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The tenant id does not fit `[a-z0-9][a-z0-9-]{0,62}`.
    #[error("tenant id '{0}' must be 1 to 63 characters of a-z, 0-9 and '-', starting with a letter or digit")]
    Tenant(String),
    /// The sourcedId is empty.
    #[error("sourcedId is empty")]
    EmptySourcedId,
    /// The sourcedId is 256 characters or longer.
    #[error("sourcedId is {0} characters long; a GUID must be shorter than 256")]
    SourcedIdTooLong(usize),
    /// The sourcedId has a character outside the binding's GUID set.
    #[error("sourcedId has the character {0:?}; a GUID may hold only 0-9 a-z A-Z . - _ / @")]
    SourcedIdCharacter(char),
}

/// A district (tenant) of the deployment. Every storage key begins with it, so a value of this
/// type is the only way to reach stored data.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct TenantId(String);

impl TenantId {
    /// Checks the tenant id: lower-case letters, digits and `-`, 1 to 63 characters, so that it
    /// is safe as an S3 prefix, in a key and in a log line.
    pub fn parse(text: &str) -> Result<Self, IdError> {
        let ok = (1..=63).contains(&text.len())
            && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !text.starts_with('-');
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(IdError::Tenant(text.to_owned()))
        }
    }

    /// The tenant id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for TenantId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// The bytes a GUID may hold, as a table: every id the ingest reads is checked byte by byte.
const GUID_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_' | b'/' | b'@');
        b += 1;
    }
    table
};

/// Checks the text of a sourcedId against the CSV binding's GUID rule: fewer than 256
/// characters of `0-9 a-z A-Z . - _ / @`. The charset also keeps `#`, the key separator of the
/// store, out of every id.
pub fn check_sourced_id(text: &str) -> Result<(), IdError> {
    if text.is_empty() {
        return Err(IdError::EmptySourcedId);
    }
    if text.len() >= 256 {
        return Err(IdError::SourcedIdTooLong(text.chars().count()));
    }
    if text.bytes().all(|b| GUID_BYTES[usize::from(b)]) {
        return Ok(());
    }
    match text.chars().find(|c| !c.is_ascii() || !GUID_BYTES[*c as usize]) {
        Some(bad) => Err(IdError::SourcedIdCharacter(bad)),
        None => Ok(()),
    }
}

/// The sourcedId of a record: a GUID in the binding's sense.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct SourcedId(String);

impl SourcedId {
    /// Checks and wraps a sourcedId.
    pub fn parse(text: &str) -> Result<Self, IdError> {
        check_sourced_id(text)?;
        Ok(Self(text.to_owned()))
    }

    /// The sourcedId as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SourcedId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for SourcedId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// The longest client id looked at: anything longer is refused before it is parsed (ids made
/// by `oneroster_auth::new_client_id` are at most 128 bytes; a store key holds at most 1,024).
pub const MAX_CLIENT_ID_BYTES: usize = 1024;

/// The tenant a client id names, if it has the shape of `oneroster_auth::new_client_id`'s:
/// `{tenant}.{random}`, the random part 16 to 64 lower-case hex digits, the whole at most
/// [`MAX_CLIENT_ID_BYTES`]. Anything else names no client, so the token endpoint refuses it
/// without a store call, and a token whose client has another tenant is refused.
pub fn tenant_of_client(client_id: &str) -> Option<TenantId> {
    if client_id.len() > MAX_CLIENT_ID_BYTES {
        return None;
    }
    let (tenant, random) = client_id.split_once('.')?;
    let hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
    if !(16..=64).contains(&random.len()) || !random.bytes().all(hex) {
        return None;
    }
    TenantId::parse(tenant).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_ids_are_lower_case_dns_like_labels() {
        assert!(TenantId::parse("springfield-usd").is_ok());
        assert!(TenantId::parse("9district").is_ok());
        for bad in ["", "-a", "Springfield", "a#b", "a/b", &"a".repeat(64)] {
            assert!(TenantId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sourced_ids_follow_the_guid_charset() {
        for good in ["USER_0", "a.b-c_d/e@f", "123e4567-e89b-12d3-a456-426614174000"] {
            assert!(SourcedId::parse(good).is_ok(), "{good}");
        }
        assert_eq!(SourcedId::parse(""), Err(IdError::EmptySourcedId));
        assert_eq!(SourcedId::parse("a#b"), Err(IdError::SourcedIdCharacter('#')));
        assert_eq!(SourcedId::parse("a b"), Err(IdError::SourcedIdCharacter(' ')));
        assert_eq!(SourcedId::parse(&"x".repeat(256)), Err(IdError::SourcedIdTooLong(256)));
        assert!(SourcedId::parse(&"x".repeat(255)).is_ok());
    }
}
