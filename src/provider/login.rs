//! The login steps every provider exposes ([`LoginSteps`], which every [`super::Provider`]
//! has): the scopes a login asks for ([`Scopes`]), the authorize URL and the half of the login
//! the caller keeps until the code comes back ([`PendingLogin`]), the code exchange, refresh,
//! revocation, and who logged in ([`Profile`]). The loopback that receives the code is
//! `crate::oauth`, shared by every platform; what a platform does differently stays in its
//! provider. Standard OAuth goes through the `oauth2` crate; a platform that deviates from it
//! (TikTok) builds its requests by hand and says why.

use chrono::{DateTime, Utc};
use rand::Rng;

use super::{ErrorClass, Tokens};
use crate::error::{Error, Result};
use crate::secrets::Secret;

/// A login that will stop working soon for a reason the user can fix once and for all (a
/// Google project in "Testing"), told by `accounts` and `doctor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginWarning {
    /// One sentence.
    pub message: String,
    /// What to do.
    pub hint: String,
}

/// The app credentials the user registered with a platform.
#[derive(Debug, Clone)]
pub struct ClientCredentials {
    /// Public client key (OAuth's `client_id`).
    pub key: String,
    /// Client secret (confidential).
    pub secret: Secret,
}

/// The scopes a platform's login asks for, by what they let postez do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scopes {
    /// Always asked for (the profile).
    pub basic: &'static [&'static str],
    /// What drafts need, if the platform has drafts (TikTok: `video.upload`).
    pub draft: Option<&'static str>,
    /// What direct posts need (TikTok: `video.publish`).
    pub direct: Option<&'static str>,
    /// What changing or deleting a post already on the platform needs, asked for only on
    /// request (`connect --manage`; YouTube: `youtube`), if the platform has such a scope.
    pub manage: Option<&'static str>,
}

impl Scopes {
    /// What a login asks for: everything, or without the direct-post scope (an app the
    /// platform has not allowed to post directly may not even ask for it).
    pub fn asked(&self, drafts_only: bool) -> Vec<&'static str> {
        let direct = self.direct.filter(|_| !drafts_only);
        self.basic
            .iter()
            .copied()
            .chain(self.draft)
            .chain(direct)
            .collect()
    }

    /// Whether the scopes in `granted` let postez change or delete a post already on the
    /// platform ([`Scopes::manage`]).
    pub fn can_manage(&self, granted: &[String]) -> bool {
        self.manage.is_some_and(|m| granted.iter().any(|g| g == m))
    }

    /// Whether `tokens` can draft, and whether they can post directly. A login must grant one
    /// of the two to be worth keeping.
    pub fn granted(&self, tokens: &Tokens) -> (bool, bool) {
        self.modes(&tokens.scopes)
    }

    /// Whether the scopes in `granted` can draft, and whether they can post directly.
    pub fn modes(&self, granted: &[String]) -> (bool, bool) {
        let has = |s: Option<&str>| s.is_some_and(|s| granted.iter().any(|g| g == s));
        (has(self.draft), has(self.direct))
    }
}

/// A login under way, between the authorize URL and the code exchange: the CSRF state the
/// callback must echo and the PKCE verifier (a secret: it proves the code is ours). The caller
/// keeps it and hands it back; only the provider that made it reads the verifier.
pub struct PendingLogin {
    pub(crate) state: String,
    pub(crate) verifier: Secret,
    pub(crate) redirect_uri: String,
}

/// Unreserved characters allowed in a PKCE verifier (RFC 7636 §4.1).
pub(crate) const VERIFIER_CHARSET: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";

impl PendingLogin {
    /// A fresh login for `redirect_uri`: a 64-character CSPRNG verifier and a random state.
    pub(crate) fn new(redirect_uri: &str) -> Self {
        let mut rng = rand::rng();
        let verifier: String = (0..64)
            .map(|_| char::from(VERIFIER_CHARSET[rng.random_range(0..VERIFIER_CHARSET.len())]))
            .collect();
        Self {
            state: oauth2::CsrfToken::new_random().secret().clone(),
            verifier: Secret::new(verifier),
            redirect_uri: redirect_uri.to_string(),
        }
    }

    /// The state the callback must carry.
    pub fn state(&self) -> &str {
        &self.state
    }

    /// The redirect URI the login was started with (sent again at the exchange).
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }
}

impl std::fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingLogin")
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

/// Who logged in, as the account is saved and shown.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Profile {
    /// The user's id for this app (the login's, TikTok `open_id`).
    pub remote_id: String,
    /// Shown name.
    pub display_name: Option<String>,
    /// Handle, without `@`.
    pub username: Option<String>,
    /// The name the platform wants shown before posting (TikTok: `creator_nickname`).
    pub nickname: Option<String>,
    /// Avatar URL.
    pub avatar_url: Option<String>,
    /// What the platform said about the account's posting options, kept on it (TikTok:
    /// `creator_info`).
    pub account_info: Option<serde_json::Value>,
}

/// The login steps of a platform. Built with the app's credentials by
/// [`super::for_app`] (a login, whose secret may just have been typed in) or
/// [`super::for_account`].
#[async_trait::async_trait]
pub trait LoginSteps: Send + Sync {
    /// The scopes a login asks for.
    fn scopes(&self) -> Scopes;

    /// The page the user opens to log in, asking for `scopes` and sending the browser back to
    /// `redirect_uri`, with the [`PendingLogin`] the exchange needs.
    fn authorize(&self, redirect_uri: &str, scopes: &[&str]) -> Result<(url::Url, PendingLogin)>;

    /// Advice for a login the platform refused with `error` (OAuth's `error`), when the
    /// platform has its own; `drafts_only` says whether the direct-post scope was left out.
    fn denied_hint(&self, error: &str, drafts_only: bool) -> Option<String>;

    /// Trade the callback's (URL-decoded) code for tokens issued at `now`. The tokens name
    /// the account (`open_id`).
    async fn exchange(
        &self,
        code: &str,
        pending: &PendingLogin,
        now: DateTime<Utc>,
    ) -> Result<Tokens>;

    /// Trade a refresh token for a new login. A platform that does not rotate refresh tokens
    /// returns the one it was given; one that leaves out the account's id leaves it empty.
    async fn refresh(&self, refresh_token: &Secret, now: DateTime<Utc>) -> Result<Tokens>;

    /// Hand the access back (the user's "remove access").
    async fn revoke(&self, access: &Secret) -> Result<()>;

    /// Who logged in with `tokens`, and what they may post. The details only label the
    /// account: a refusal that passes (a 5xx, "cannot post right now") leaves them out rather
    /// than throw away a login just granted (its code cannot be used twice); a refused token
    /// still fails.
    async fn profile(&self, tokens: &Tokens) -> Result<Profile>;

    /// Check online that `access` works (`accounts --check`), failing with the platform's
    /// refusal.
    async fn check_access(&self, access: &Secret) -> Result<()>;
}

/// A profile detail's error, read for [`LoginSteps::profile`]: `None` (go on without the
/// detail) unless the token itself (just issued, so a refresh would not help), the login or
/// its scopes were refused.
pub(crate) fn passing<T>(e: Error) -> Result<Option<T>> {
    match &e {
        Error::Api(api)
            if matches!(
                api.class(),
                ErrorClass::Token | ErrorClass::Auth | ErrorClass::Scope
            ) =>
        {
            Err(e)
        }
        _ => {
            tracing::warn!("connecting without the profile details: {e}");
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::{ApiError, Platform};

    fn api(class: ErrorClass) -> Error {
        Error::Api(ApiError {
            platform: Platform::default(),
            action: "read the profile",
            http: 503,
            code: "x".into(),
            message: "m".into(),
            log_id: None,
            class,
            hint: None,
        })
    }

    #[test]
    fn only_a_refused_token_or_scope_costs_the_login() {
        for class in [
            ErrorClass::Retryable,
            ErrorClass::Permanent,
            ErrorClass::Quota,
        ] {
            assert!(matches!(passing::<()>(api(class)), Ok(None)), "{class:?}");
        }
        for class in [ErrorClass::Token, ErrorClass::Auth, ErrorClass::Scope] {
            assert!(passing::<()>(api(class)).is_err(), "{class:?}");
        }
    }

    #[test]
    fn scopes_asked_leave_out_direct_posts_for_drafts_only() {
        let scopes = Scopes {
            manage: None,
            basic: &["profile"],
            draft: Some("draft"),
            direct: Some("direct"),
        };
        assert_eq!(scopes.asked(false), ["profile", "draft", "direct"]);
        assert_eq!(scopes.asked(true), ["profile", "draft"]);
    }

    #[test]
    fn verifiers_are_fresh_and_unreserved() {
        let a = PendingLogin::new("http://127.0.0.1:1/callback/");
        let b = PendingLogin::new("http://127.0.0.1:1/callback/");
        assert_ne!(a.verifier.expose(), b.verifier.expose());
        assert_ne!(a.state, b.state);
        let v = a.verifier.expose();
        assert!((43..=128).contains(&v.len()));
        assert!(v.bytes().all(|c| VERIFIER_CHARSET.contains(&c)));
        assert!(!format!("{a:?}").contains(v), "the verifier is never shown");
    }
}
