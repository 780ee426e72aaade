//! A string that must never be shown: access and refresh tokens, passwords.
//!
//! `Debug` and `Display` print a placeholder; the value is reached only through
//! [`Secret::expose`], so every place that uses a secret is easy to find.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A token or password: compared and serialized as the text, never shown by `Debug` or
/// `Display`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Secret {
        Secret(value.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_shown() {
        let secret = Secret::new("syt_very_secret");
        assert!(!format!("{secret:?} {secret}").contains("very_secret"));
        assert_eq!(secret.expose(), "syt_very_secret");
        assert_eq!(serde_json::to_string(&secret).unwrap(), "\"syt_very_secret\"");
    }
}
