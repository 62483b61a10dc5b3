//! Which URLs a webhook may be sent to: `https://` anywhere, and plain `http://` only to this
//! machine (`127.0.0.1`, `[::1]`, `localhost`), for a receiver run locally. A URL with user
//! information (`user@host`), whitespace or control characters is refused: what is stored is
//! what is shown and what is called.

use std::fmt;

/// A webhook's URL, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target(String);

/// Why a URL is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// Neither `https://` nor `http://`, or no host.
    #[error("'{0}' is not an https:// URL")]
    NotHttps(String),
    /// Plain `http://` to another host than this machine.
    #[error("'{0}' is plain http:// to another host than 127.0.0.1, [::1] or localhost: use https://")]
    NotLoopback(String),
    /// A URL that cannot be what it seems (user information, spaces, a bad port).
    #[error("'{0}' is not a plain URL (no user@, spaces or control characters; a numeric port)")]
    Malformed(String),
}

/// The hosts plain `http://` may name.
const LOOPBACK: [&str; 3] = ["127.0.0.1", "[::1]", "localhost"];

impl Target {
    /// Checks `text` (see the module docs).
    pub fn parse(text: &str) -> Result<Self, TargetError> {
        let shown = || text.chars().take(200).collect::<String>();
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(TargetError::Malformed(shown()));
        }
        let lower = text.to_ascii_lowercase();
        let (secure, rest) = match (lower.strip_prefix("https://"), lower.strip_prefix("http://")) {
            (Some(rest), _) => (true, rest),
            (None, Some(rest)) => (false, rest),
            _ => return Err(TargetError::NotHttps(shown())),
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if authority.contains('@') {
            return Err(TargetError::Malformed(shown()));
        }
        let (host, port) = match authority.strip_prefix('[') {
            Some(bracketed) => match bracketed.split_once(']') {
                Some((inner, after)) => (&authority[..inner.len() + 2], after.strip_prefix(':')),
                None => return Err(TargetError::Malformed(shown())),
            },
            None => authority.split_once(':').map_or((authority, None), |(host, port)| (host, Some(port))),
        };
        if host.is_empty() || host == "[]" {
            return Err(TargetError::NotHttps(shown()));
        }
        if port.is_some_and(|port| port.parse::<u16>().is_err()) {
            return Err(TargetError::Malformed(shown()));
        }
        if !secure && !LOOPBACK.contains(&host) {
            return Err(TargetError::NotLoopback(shown()));
        }
        Ok(Self(text.to_owned()))
    }

    /// The URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_and_plain_http_only_to_this_machine() {
        for taken in [
            "https://apps.example/hooks/oneroster",
            "https://apps.example:8443/h?x=1",
            "HTTPS://Apps.Example/h",
            "http://127.0.0.1:9000/hook",
            "http://localhost/hook",
            "http://[::1]:8080/",
            "http://LOCALHOST:1",
        ] {
            assert_eq!(Target::parse(taken).map(|t| t.to_string()), Ok(taken.to_owned()), "{taken}");
        }
        let refused = [
            ("http://example.com/hook", "not loopback"),
            ("http://127.0.0.2/hook", "not loopback"),
            ("http://localhost.example.com/", "not loopback"),
            ("http://[::2]/", "not loopback"),
            ("ftp://example.com/", "not https"),
            ("example.com/hook", "not https"),
            ("https://", "not https"),
            ("https:///path", "not https"),
            ("https://user:pw@example.com/", "malformed"),
            ("http://example.com@127.0.0.1/", "malformed"),
            ("https://example.com:port/", "malformed"),
            ("https://example.com/a b", "malformed"),
            ("https://[::1/", "malformed"),
        ];
        for (text, why) in refused {
            let kind = match Target::parse(text) {
                Err(TargetError::NotLoopback(_)) => "not loopback",
                Err(TargetError::NotHttps(_)) => "not https",
                Err(TargetError::Malformed(_)) => "malformed",
                Ok(_) => "taken",
            };
            assert_eq!(kind, why, "{text}");
        }
    }
}
