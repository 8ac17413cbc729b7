//! Account values parsed once at the edge and trusted after: an [`Email`] is
//! normalized and valid, a [`Password`] meets the policy, and so on; and
//! [`User`], an account as every use case sees it (never with its hash).

use std::fmt;

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// An account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct User {
    pub(crate) id: Uuid,
    pub(crate) email: String,
    pub(crate) display_name: String,
    pub(crate) role: Role,
    pub(crate) disabled: bool,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

/// A trimmed, lower-cased, syntactically valid email address.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Email(String);

impl Email {
    pub(crate) fn parse(raw: &str) -> Result<Self, String> {
        let email = Self::normalize(raw);
        if email.is_empty() {
            return Err("must not be empty".into());
        }
        if email.len() > 254 {
            return Err("must be at most 254 characters".into());
        }
        if !email_address::EmailAddress::is_valid(&email) {
            return Err("is not a valid email address".into());
        }
        Ok(Self(email))
    }

    /// The form emails are stored and compared in, without validation: what a
    /// login looks up.
    pub(crate) fn normalize(raw: &str) -> String {
        raw.trim().to_lowercase()
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password that meets the policy: 8 to 128 characters, not the email.
#[derive(Clone)]
pub(crate) struct Password(String);

impl Password {
    pub(crate) const MIN_CHARS: usize = 8;
    pub(crate) const MAX_CHARS: usize = 128;

    pub(crate) fn parse(raw: &str, email: Option<&str>) -> Result<Self, String> {
        let chars = raw.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(format!("must be at least {} characters", Self::MIN_CHARS));
        }
        if chars > Self::MAX_CHARS {
            return Err(format!("must be at most {} characters", Self::MAX_CHARS));
        }
        if email.is_some_and(|email| Email::normalize(raw) == Email::normalize(email)) {
            return Err("must not be the email address".into());
        }
        Ok(Self(raw.to_owned()))
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// A display name: trimmed, 1 to 100 characters, something visible in it,
/// and no control characters or bidirectional overrides (which make a name
/// display as someone else's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DisplayName(String);

impl DisplayName {
    pub(crate) fn parse(raw: &str) -> Result<Self, String> {
        let name = raw.trim();
        if name.is_empty() {
            return Err("must not be empty".into());
        }
        if name.chars().count() > 100 {
            return Err("must be at most 100 characters".into());
        }
        if name.chars().any(char::is_control) {
            return Err("must not contain control characters".into());
        }
        if name.chars().any(is_bidi_control) {
            return Err("must not contain bidirectional overrides or isolates".into());
        }
        if name.chars().all(|c| c.is_whitespace() || is_invisible(c)) {
            return Err("must contain a visible character".into());
        }
        Ok(Self(name.to_owned()))
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// Embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that render as nothing: zero-width spaces and joiners, marks,
/// fillers.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2800}'
            | '\u{3164}'
            | '\u{FEFF}'
            | '\u{FFA0}'
    )
}

/// The id of an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct UserId(pub(crate) Uuid);

impl UserId {
    pub(crate) fn parse(raw: &str) -> Result<Self, String> {
        Uuid::parse_str(raw.trim())
            .map(Self)
            .map_err(|_| "must be a UUID".into())
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

completionist_common::text_enum! {
    /// What an account may do; stored, and carried in tokens, by name.
    #[derive(serde::Serialize, serde::Deserialize)]
    #[serde(rename_all = "lowercase")]
    pub(crate) enum Role {
        User = "user",
        Admin = "admin",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_lowercased_and_checked() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
        assert!(Email::parse("").is_err());
        assert!(Email::parse("not-an-email").is_err());
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(250))).is_err());
    }

    #[test]
    fn password_policy() {
        assert!(Password::parse("short", None).is_err());
        assert!(Password::parse(&"x".repeat(129), None).is_err());
        assert!(
            Password::parse(&"é".repeat(8), None).is_ok(),
            "counts characters, not bytes"
        );
        assert!(Password::parse("Ada@Example.com", Some("ada@example.com")).is_err());
        assert!(Password::parse("long enough", Some("ada@example.com")).is_ok());
        assert_eq!(
            format!("{:?}", Password::parse("secret123", None).unwrap()),
            "Password(<redacted>)"
        );
    }

    #[test]
    fn display_names() {
        assert_eq!(DisplayName::parse("  Ada ").unwrap().as_str(), "Ada");
        assert!(DisplayName::parse("   ").is_err());
        assert!(DisplayName::parse("a\u{0}b").is_err());
        assert!(DisplayName::parse(&"n".repeat(101)).is_err());
        assert!(
            DisplayName::parse("\u{200B}\u{200D}\u{3164}").is_err(),
            "invisible"
        );
        assert!(
            DisplayName::parse("Ada\u{202E}nimda").is_err(),
            "right-to-left override"
        );
        assert!(DisplayName::parse("\u{2067}Ada").is_err(), "isolate");
        assert!(DisplayName::parse("Zoë ✓").is_ok());
    }

    #[test]
    fn roles_have_stored_names() {
        assert_eq!("admin".parse::<Role>().unwrap(), Role::Admin);
        assert!("root".parse::<Role>().is_err());
        assert_eq!(Role::User.as_str(), "user");
    }
}
