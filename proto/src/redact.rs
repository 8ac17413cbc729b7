//! `Debug` for the messages that carry secrets: passwords and tokens are
//! shown as their length only, so logging a request cannot leak them.

use std::fmt;

use crate::auth::{
    ChangePasswordRequest, LoginRequest, RefreshRequest, RegisterRequest, TokenPair,
    ValidateTokenRequest,
};

/// Shows a secret as `<redacted N bytes>`.
struct Redacted<'a>(&'a str);

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<redacted {} bytes>", self.0.len())
    }
}

impl fmt::Debug for RegisterRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegisterRequest")
            .field("email", &self.email)
            .field("password", &Redacted(&self.password))
            .field("display_name", &self.display_name)
            .finish()
    }
}

impl fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginRequest")
            .field("email", &self.email)
            .field("password", &Redacted(&self.password))
            .finish()
    }
}

impl fmt::Debug for RefreshRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshRequest")
            .field("refresh_token", &Redacted(&self.refresh_token))
            .finish()
    }
}

impl fmt::Debug for ValidateTokenRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ValidateTokenRequest")
            .field("access_token", &Redacted(&self.access_token))
            .finish()
    }
}

impl fmt::Debug for ChangePasswordRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChangePasswordRequest")
            .field("current_password", &Redacted(&self.current_password))
            .field("new_password", &Redacted(&self.new_password))
            .finish()
    }
}

impl fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenPair")
            .field("access_token", &Redacted(&self.access_token))
            .field("access_token_expire_time", &self.access_token_expire_time)
            .field("refresh_token", &Redacted(&self.refresh_token))
            .field("refresh_token_expire_time", &self.refresh_token_expire_time)
            .field("token_type", &self.token_type)
            .finish()
    }
}

impl fmt::Debug for crate::media::RenderCalendarFeedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RenderCalendarFeedRequest")
            .field("token", &Redacted(&self.token))
            .finish()
    }
}

impl fmt::Debug for crate::media::CreateCalendarFeedResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreateCalendarFeedResponse")
            .field("calendar_feed", &self.calendar_feed)
            .field("path", &Redacted(&self.path))
            .finish()
    }
}

impl fmt::Debug for crate::media::RecordScrobbleRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordScrobbleRequest")
            .field("token", &Redacted(&self.token))
            .field("server", &self.server)
            .field("server_user", &self.server_user)
            .field("event", &self.event)
            .field("watched", &self.watched)
            .field("kind", &self.kind)
            .field("title", &self.title)
            .field("series_title", &self.series_title)
            .field("season", &self.season)
            .field("episode", &self.episode)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for crate::media::ScrobbleUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScrobbleUrl")
            .field("server", &self.server)
            .field("path", &Redacted(&self.path))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_a_password() {
        let request = LoginRequest {
            email: "ada@example.com".into(),
            password: "correct horse battery staple".into(),
        };
        let shown = format!("{request:?}");
        assert!(shown.contains("ada@example.com"));
        assert!(!shown.contains("horse"), "{shown}");
    }
}
