//! What every platform provider shares: the shape of a platform's error answer and how postez
//! classifies it (retry later, hold for a day, pause the account, reconnect, or give up), the
//! token set a login yields, and the progress callbacks of an upload. Each platform's HTTP API
//! and quirks live in its own module.

pub mod net;
pub mod tiktok;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::secrets::Secret;

/// How an error from a platform should be handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Temporary (5xx, 429, network): the next attempt may succeed.
    Retryable,
    /// The saved login no longer works: the account must be connected again.
    Auth,
    /// Retrying the same request cannot help.
    Permanent,
    /// A daily quota (TikTok: pending drafts, posts per creator, the app's active creators):
    /// not a failure. The account's posts of that kind wait until the window has passed.
    Quota,
    /// The platform refuses to let the account post at all ("retry should not be done"): the
    /// post fails and the account is paused until the user acts.
    Banned,
    /// The app's own credentials (client key or secret) were refused: no login of any account
    /// can work until they are fixed. The posts wait.
    Client,
    /// The login lacks a scope the request needs (TikTok: Direct Post's `video.publish`).
    Scope,
}

/// An error answer from a platform, with everything TikTok support asks for (`log_id`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{platform} refused to {action}: {message} ({code}, HTTP {http}{})", log_id.as_ref().map(|l| format!(", log_id {l}")).unwrap_or_default())]
pub struct ApiError {
    /// `tiktok`.
    pub platform: &'static str,
    /// What postez was doing, as a verb phrase ("exchange the login code").
    pub action: &'static str,
    /// HTTP status.
    pub http: u16,
    /// The platform's error code (`access_token_invalid`, `invalid_grant`, …).
    pub code: String,
    /// The platform's message, shortened.
    pub message: String,
    /// The platform's request id.
    pub log_id: Option<String>,
}

impl ApiError {
    /// Retry, reconnect or give up.
    pub fn class(&self) -> ErrorClass {
        match self.code.as_str() {
            "access_token_invalid" | "invalid_grant" | "auth_removed" => ErrorClass::Auth,
            "scope_not_authorized" => ErrorClass::Scope,
            "invalid_client" => ErrorClass::Client,
            // shared/tiktok-api.md §2.1–2.3, §2.7: 24-hour windows, some with HTTP 200.
            "spam_risk_too_many_pending_share"
            | "spam_risk_too_many_posts"
            | "reached_active_user_cap" => ErrorClass::Quota,
            "spam_risk_user_banned_from_posting" => ErrorClass::Banned,
            "rate_limit_exceeded"
            | "internal_error"
            | "server_error"
            | "temporarily_unavailable"
            | "internal" => ErrorClass::Retryable,
            _ if self.http == 429 || self.http >= 500 => ErrorClass::Retryable,
            _ => ErrorClass::Permanent,
        }
    }

    /// What the user can do about it.
    pub fn hint(&self) -> Option<String> {
        let hint = match self.code.as_str() {
            "unaudited_client_can_only_post_to_private_accounts" => {
                "your TikTok app is not audited yet: post SELF_ONLY from a private account, or use --draft"
            }
            "privacy_level_option_mismatch" => {
                "choose a privacy level the account offers (`postez accounts` lists them) with `postez edit ID --privacy …`"
            }
            "spam_risk_too_many_posts" => {
                "TikTok limits how many posts a creator makes a day; the posts wait a day, nothing to do"
            }
            "spam_risk_user_banned_from_posting" => {
                "TikTok does not let this account post: look in the TikTok app; once it may post \
                 again, run `postez connect tiktok` to go on"
            }
            "spam_risk_too_many_pending_share" => {
                "five drafts already wait in your TikTok inbox: finish or delete them in the app; \
                 the drafts wait a day"
            }
            "reached_active_user_cap" => {
                "your TikTok app reached its daily limit of posting creators; the posts wait a day"
            }
            "access_token_invalid" | "invalid_grant" | "auth_removed" => {
                "run `postez connect tiktok` again"
            }
            "scope_not_authorized" => {
                "use --draft, or turn on Direct Post for your app in TikTok's developer portal and \
                 run `postez connect tiktok` again"
            }
            "invalid_client" => {
                "fix the TikTok app's client key or secret: `postez connect tiktok` asks for the \
                 secret again, or set POSTEZ_TIKTOK_CLIENT_SECRET (the key: \
                 `postez config set tiktok_client_key KEY`)"
            }
            "file_format_check_failed"
            | "duration_check_failed"
            | "frame_rate_check_failed"
            | "picture_size_check_failed" => {
                "re-encode the video as H.264 MP4 within TikTok's limits"
            }
            _ => match self.class() {
                ErrorClass::Retryable => "this is temporary; the next `postez run` tries again",
                _ => return None,
            },
        };
        Some(hint.into())
    }
}

/// A platform's text made safe for a message: at most `max` characters (then `…`), control
/// characters replaced, so a hostile answer cannot flood or drive the terminal.
pub(crate) fn printable(text: &str, max: usize) -> String {
    let mut out: String = text
        .chars()
        .take(max)
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect();
    if text.chars().nth(max).is_some() {
        out.push('…');
    }
    out
}

/// The platform could not be reached at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("could not reach {platform} to {action}: {reason}")]
pub struct NetworkError {
    /// `tiktok`.
    pub platform: &'static str,
    /// What postez was doing.
    pub action: &'static str,
    /// Why, without URLs (they may carry signatures).
    pub reason: String,
}

impl NetworkError {
    /// Describe a reqwest error without its URL.
    pub fn from_reqwest(platform: &'static str, action: &'static str, e: &reqwest::Error) -> Self {
        let reason = if e.is_timeout() {
            "the request timed out".to_string()
        } else if e.is_connect() {
            "the connection failed".to_string()
        } else if e.is_body() || e.is_request() {
            "the connection broke off".to_string()
        } else if e.is_decode() {
            "the answer was not valid JSON".to_string()
        } else {
            "a network error".to_string()
        };
        Self {
            platform,
            action,
            reason,
        }
    }
}

/// The login a platform granted: kept only in the secret store, never in the database.
#[derive(Clone, PartialEq)]
pub struct Tokens {
    /// The user's id for this app (TikTok `open_id`).
    pub open_id: String,
    /// Bearer token for API calls.
    pub access_token: Secret,
    /// Token that obtains the next access token (rotates on every use).
    pub refresh_token: Secret,
    /// When `access_token` stops working.
    pub access_expires_at: DateTime<Utc>,
    /// When `refresh_token` stops working.
    pub refresh_expires_at: DateTime<Utc>,
    /// Scopes the user granted.
    pub scopes: Vec<String>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("open_id", &self.open_id)
            .field("access_expires_at", &self.access_expires_at)
            .field("refresh_expires_at", &self.refresh_expires_at)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

/// The stored form (JSON inside the secret store).
#[derive(Serialize, Deserialize)]
struct StoredTokens {
    open_id: String,
    access_token: String,
    refresh_token: String,
    access_expires_at: DateTime<Utc>,
    refresh_expires_at: DateTime<Utc>,
    scopes: Vec<String>,
}

impl Tokens {
    /// Serialise for the secret store.
    pub fn to_secret(&self) -> Secret {
        let stored = StoredTokens {
            open_id: self.open_id.clone(),
            access_token: self.access_token.expose().to_string(),
            refresh_token: self.refresh_token.expose().to_string(),
            access_expires_at: self.access_expires_at,
            refresh_expires_at: self.refresh_expires_at,
            scopes: self.scopes.clone(),
        };
        Secret::new(serde_json::to_string(&stored).unwrap_or_default())
    }

    /// Read back what [`Tokens::to_secret`] wrote.
    pub fn from_secret(secret: &Secret) -> Result<Self> {
        let stored: StoredTokens = serde_json::from_str(secret.expose()).map_err(|_| {
            Error::invalid(
                "the saved login in the token store is damaged",
                Some("run `postez connect tiktok` again".into()),
            )
        })?;
        Ok(Self {
            open_id: stored.open_id,
            access_token: Secret::new(stored.access_token),
            refresh_token: Secret::new(stored.refresh_token),
            access_expires_at: stored.access_expires_at,
            refresh_expires_at: stored.refresh_expires_at,
            scopes: stored.scopes,
        })
    }

    /// Whether a scope was granted.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// The key under which an account's tokens are kept in the secret store.
pub fn token_key(platform: &str, open_id: &str) -> String {
    format!("{platform}:{open_id}")
}

/// The key of an app's client secret in the secret store.
pub fn client_secret_key(platform: &str) -> String {
    format!("{platform}:client_secret")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(http: u16, code: &str) -> ApiError {
        ApiError {
            platform: "tiktok",
            action: "start the upload",
            http,
            code: code.into(),
            message: String::new(),
            log_id: None,
        }
    }

    /// TikTok's meaning, whatever HTTP status carries it (creator_info sends some with 200).
    #[test]
    fn codes_are_classed_by_what_they_mean() {
        for http in [200, 403] {
            for code in [
                "spam_risk_too_many_pending_share",
                "spam_risk_too_many_posts",
                "reached_active_user_cap",
            ] {
                assert_eq!(api(http, code).class(), ErrorClass::Quota, "{code}");
            }
            assert_eq!(
                api(http, "spam_risk_user_banned_from_posting").class(),
                ErrorClass::Banned
            );
        }
        assert_eq!(api(401, "invalid_client").class(), ErrorClass::Client);
        assert_eq!(api(401, "scope_not_authorized").class(), ErrorClass::Scope);
        assert_eq!(api(401, "access_token_invalid").class(), ErrorClass::Auth);
        assert!(
            api(401, "invalid_client")
                .hint()
                .unwrap()
                .contains("postez connect tiktok")
        );
    }
}
