//! The seam between postez and the platforms it publishes to. [`Platform`] names them, and
//! [`Platform::registration`] is the one place a platform is matched to its code: its module's
//! [`Registration`] (rules, app settings, addresses, and [`for_account`]/[`for_app`], which build
//! its [`Provider`]: the steps of a resumable publish (`steps`) and of a login (`login`)).
//! What every provider shares lives here too:
//! the shape of a platform's error answer (classified by the provider that received it, so the
//! engine never reads a platform's codes), the token set a login yields, and the network rules
//! (`net`). Each platform's HTTP API and quirks live in its own module.

pub(crate) mod body;
pub mod creator;
pub mod login;
pub mod net;
pub mod rules;
pub mod steps;
pub mod tiktok;
pub mod youtube;

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::secrets::{Secret, SecretStore};

pub use creator::Creator;
pub use login::{ClientCredentials, LoginSteps, LoginWarning, PendingLogin, Profile, Scopes};
pub use rules::Rules;
pub use steps::{
    Checkpoint, ChunkPlan, ErrorClass, Failure, Notice, Prepared, Provider, PutOutcome,
    RemoteState, SentBytes, Verdict,
};

/// A platform postez publishes to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Platform {
    /// TikTok (Content Posting API); the default of a queue made before there were others.
    #[default]
    TikTok,
    /// YouTube (Data API v3): Shorts and regular videos.
    YouTube,
}

impl Platform {
    /// Every platform, in the order commands list them.
    pub const ALL: [Platform; 2] = [Platform::TikTok, Platform::YouTube];

    /// Everything postez knows how to do with the platform: the one place a platform is
    /// matched to its code. Adding a platform is a variant here and its module's
    /// [`Registration`].
    pub fn registration(self) -> &'static Registration {
        match self {
            Self::TikTok => &tiktok::REGISTRATION,
            Self::YouTube => &youtube::REGISTRATION,
        }
    }

    /// The name used in commands, the queue and `--json` (`tiktok`).
    pub fn as_str(self) -> &'static str {
        self.registration().id
    }

    /// The name people know it by (`TikTok`).
    pub fn name(self) -> &'static str {
        self.registration().name
    }

    /// What the platform accepts (media, caption, options, consent): needs no client, so every
    /// command that checks a post can have it.
    pub fn rules(self) -> &'static dyn Rules {
        self.registration().rules
    }
}

/// Builds a platform's provider for an account: app credentials from the environment, the
/// settings or the secret store; the rate-limit window.
pub type ForAccount = fn(&Env, &Config, &SecretStore, Duration) -> Result<Box<dyn Provider>>;

/// Judges a login's lifetime: the settings, the refresh token's end (`None`: not said), now.
pub type LoginWarningFn = fn(&Config, Option<DateTime<Utc>>, DateTime<Utc>) -> Option<LoginWarning>;

/// A platform's entry points, as its module registers them ([`Platform::registration`]).
pub struct Registration {
    /// The name used in commands, the queue and `--json`.
    pub id: &'static str,
    /// The name people know it by.
    pub name: &'static str,
    /// What it accepts.
    pub rules: &'static dyn Rules,
    /// The provider for an account (see [`for_account`]).
    pub for_account: ForAccount,
    /// The provider for a login's app credentials (see [`for_app`]).
    pub for_app: fn(&Env, ClientCredentials) -> Result<Box<dyn Provider>>,
    /// The app's credentials (see [`credentials`]).
    pub credentials: fn(&Env, &Config, &SecretStore) -> Result<ClientCredentials>,
    /// Where the app's settings come from (see [`app_settings`]).
    pub app_settings: fn(&Env, &Config) -> AppSettings,
    /// The API base, once checked (see [`api_base`]).
    pub api_base: for<'a> fn(&'a Env) -> Result<&'a str>,
    /// Refuse addresses postez must not use (see [`check_platform_endpoints`]).
    pub check_endpoints: fn(&Env) -> Result<()>,
    /// A warning about how long the account's login lasts (see [`login_warning`]).
    pub login_warning: LoginWarningFn,
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Platform {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                Error::invalid(
                    format!("postez does not know the platform `{}`", printable(s, 40)),
                    Some(format!(
                        "use one of: {}",
                        Self::ALL.map(Platform::as_str).join(", ")
                    )),
                )
            })
    }
}

impl Serialize for Platform {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl rusqlite::types::ToSql for Platform {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(self.as_str().into())
    }
}

impl rusqlite::types::FromSql for Platform {
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        let text = value.as_str()?;
        text.parse()
            .map_err(|e: Error| rusqlite::types::FromSqlError::Other(Box::new(e)))
    }
}

/// The provider that publishes for an account of `platform`: its app credentials read from the
/// environment, the settings or `secrets`, its endpoints checked.
pub fn for_account(
    platform: Platform,
    env: &Env,
    config: &Config,
    secrets: &SecretStore,
    rate_window: Duration,
) -> Result<Box<dyn Provider>> {
    (platform.registration().for_account)(env, config, secrets, rate_window)
}

/// The provider of `platform` for the app credentials given: a login's, whose secret may just
/// have been typed in (it is saved once the platform accepts it).
pub fn for_app(
    platform: Platform,
    env: &Env,
    credentials: ClientCredentials,
) -> Result<Box<dyn Provider>> {
    (platform.registration().for_app)(env, credentials)
}

/// The app credentials of `platform`: the key from the environment or the settings, the
/// secret from the environment or `secrets`.
pub fn credentials(
    platform: Platform,
    env: &Env,
    config: &Config,
    secrets: &SecretStore,
) -> Result<ClientCredentials> {
    (platform.registration().credentials)(env, config, secrets)
}

/// Where an app's settings come from, for a caller that asks for what is missing.
#[derive(Debug, Clone)]
pub struct AppSettings {
    /// The client key, from the environment or the settings.
    pub key: Option<String>,
    /// What the platform calls the client key (TikTok: "client key"; Google: "client id").
    pub key_name: &'static str,
    /// The setting that keeps the client key (`postez config set KEY_SETTING …`).
    pub key_setting: &'static str,
    /// The environment variable of the client key.
    pub key_env: &'static str,
    /// The environment variable of the client secret.
    pub secret_env: &'static str,
    /// A client secret from the environment (else the one saved in the secret store, which a
    /// refused secret is deleted from).
    pub env_secret: Option<Secret>,
    /// Whether the app may post directly (else a login asks for drafts only).
    pub direct_post: bool,
}

/// The app settings of `platform`.
pub fn app_settings(platform: Platform, env: &Env, config: &Config) -> AppSettings {
    (platform.registration().app_settings)(env, config)
}

/// Whether a login of `platform` whose refresh token ends at `refresh_ends` (`None`: the
/// platform did not say) will stop working soon for a reason to fix once (YouTube: a Google
/// project in "Testing"), as of `now`.
pub fn login_warning(
    platform: Platform,
    config: &Config,
    refresh_ends: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<LoginWarning> {
    (platform.registration().login_warning)(config, refresh_ends, now)
}

/// The API base of `platform`, once checked (`doctor` compares the clock with its answers).
pub fn api_base(platform: Platform, env: &Env) -> Result<&str> {
    (platform.registration().api_base)(env)
}

/// Refuse addresses of `platform` postez must not use (plain HTTP to a remote host).
pub fn check_platform_endpoints(platform: Platform, env: &Env) -> Result<()> {
    (platform.registration().check_endpoints)(env)
}

/// Refuse platform addresses postez must not use (plain HTTP to a remote host), for every
/// platform, before a run claims anything.
pub fn check_endpoints(env: &Env) -> Result<()> {
    for platform in Platform::ALL {
        check_platform_endpoints(platform, env)?;
    }
    Ok(())
}

/// The action named in errors of a status check: a refused one may concern an upload the
/// platform holds in full, so the hint does not offer a blind retry.
pub const STATUS_ACTION: &str = "check the post's status";

/// An error answer from a platform, classified by the provider that received it, with
/// everything the platform's support asks for (TikTok: `log_id`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{platform} refused to {action}: {message} ({code}, HTTP {http}{})", log_id.as_ref().map(|l| format!(", log_id {l}")).unwrap_or_default())]
pub struct ApiError {
    /// The platform that answered.
    pub platform: Platform,
    /// What postez was doing, as a verb phrase ("exchange the login code").
    pub action: &'static str,
    /// HTTP status.
    pub http: u16,
    /// The platform's error code.
    pub code: String,
    /// The platform's message, shortened.
    pub message: String,
    /// The platform's request id.
    pub log_id: Option<String>,
    /// What the engine should do about it (the provider's reading of `code`).
    pub class: ErrorClass,
    /// What the user can do about it, when the provider knows.
    pub hint: Option<&'static str>,
}

impl ApiError {
    /// Retry, reconnect or give up.
    pub fn class(&self) -> ErrorClass {
        self.class
    }

    /// What the user can do about it.
    pub fn hint(&self) -> Option<String> {
        self.hint.map(str::to_string)
    }
}

/// A platform's text made safe for a message: at most `max` characters (then `…`), control
/// characters replaced, so a hostile answer cannot flood or drive the terminal.
pub fn printable(text: &str, max: usize) -> String {
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
    /// When `refresh_token` stops working; `None` when the platform does not say (Google,
    /// unless it grants time-limited access, §1.5): shown as unknown, never guessed.
    pub refresh_expires_at: Option<DateTime<Utc>>,
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
    // Absent (null) when unknown; logins saved before could only have a time.
    #[serde(default)]
    refresh_expires_at: Option<DateTime<Utc>>,
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

    /// Read back what [`Tokens::to_secret`] wrote for a login of `platform`.
    pub fn from_secret(secret: &Secret, platform: Platform) -> Result<Self> {
        let stored: StoredTokens = serde_json::from_str(secret.expose()).map_err(|_| {
            Error::invalid(
                "the saved login in the token store is damaged",
                Some(format!("run `postez connect {platform}` again")),
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
