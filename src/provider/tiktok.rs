//! TikTok's HTTP API and its quirks, kept here and nowhere else (shared/tiktok-api.md):
//! - the desktop PKCE challenge is the lowercase **hex** SHA-256 of the verifier, not base64url;
//! - the app is named by `client_key`, not `client_id`, and scopes are comma-separated;
//! - token, refresh and revoke answers are flat JSON and need `client_secret` even on desktop;
//! - every other answer is a `{data, error}` envelope where success is `error.code == "ok"`,
//!   even on HTTP 200 (and some refusals come with HTTP 200 on purpose);
//! - refresh tokens rotate: the old one stops working once used.
//!
//! Why the login is built by hand here, not through the `oauth2` crate that standard logins use
//! (YouTube's, next): TikTok's desktop Login Kit deviates from RFC 6749/7636 where that crate
//! cannot follow. Its PKCE challenge is hex, not base64url (§1.4), so `oauth2`'s challenge
//! would be refused; the app goes as `client_key` where the crate sends `client_id`, and scopes
//! are joined with commas, not spaces (§1.2); the token exchange and the refresh need
//! `client_secret` in the form even for a desktop app (§1.5, §1.6); and token errors are flat
//! JSON with a `log_id` at HTTP statuses TikTok does not document, so an answer is read by
//! whether it holds an `access_token`, not by its status as the crate does (§1.5). Only the
//! CSRF state comes from `oauth2` (`provider::login`). Sections are those of
//! shared/tiktok-api.md.
//!
//! Never logs a token, code, verifier, secret or upload URL.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use sha2::{Digest, Sha256};

mod codes;
mod creator;
mod login;
mod options;
pub mod rules;
mod steps;
mod upload;

pub use options::TikTokOptions;
pub use upload::{InitOutcome, PostStatus};

use crate::config::Config;
use crate::env::Env;
use crate::error::{Error, Result};
pub use crate::provider::ClientCredentials;
use crate::provider::net::{self, UploadHosts};
use crate::provider::{AppSettings, PendingLogin, Tokens, client_secret_key};
use crate::secrets::{Secret, SecretStore};

/// The platform's name in the queue, the secret store and messages.
pub const PLATFORM: &str = "tiktok";

/// TikTok's entry points, for [`crate::provider::Platform::registration`].
pub static REGISTRATION: crate::provider::Registration = crate::provider::Registration {
    id: PLATFORM,
    name: "TikTok",
    rules: &rules::TikTokRules,
    for_account: |env, config, secrets, rate_window| {
        Ok(Box::new(
            from_settings(env, config, secrets)?.with_rate_window(rate_window),
        ))
    },
    for_app: |env, credentials| Ok(Box::new(client(env, credentials)?)),
    credentials,
    app_settings,
    api_base: api_url,
    check_endpoints,
    // TikTok names every login's end, and `doctor` warns before it.
    login_warning: |_, _, _| None,
};
/// The scopes postez asks for, and only these (privacy policy).
pub const SCOPES: &[&str] = &["user.info.basic", DRAFT_SCOPE, DIRECT_POST_SCOPE];
/// What a drafts-only app may ask for: an app without Direct Post has no `video.publish`, and
/// asking for it makes TikTok refuse the whole authorization (`invalid_scope`).
pub const DRAFTS_ONLY_SCOPES: &[&str] = &["user.info.basic", DRAFT_SCOPE];
/// The scope of drafts (uploads to the creator's inbox).
pub const DRAFT_SCOPE: &str = "video.upload";
/// The scope of Direct Post (and of `creator_info`).
pub const DIRECT_POST_SCOPE: &str = "video.publish";
/// TikTok's authorize page.
pub const DEFAULT_AUTH_URL: &str = "https://www.tiktok.com/v2/auth/authorize/";
/// TikTok's API base.
pub const DEFAULT_API_URL: &str = "https://open.tiktokapis.com";
/// Hosts TikTok's `upload_url`s are on (examples disagree: `open-upload.tiktokapis.com`,
/// `upload.us.tiktokapis.com`; shared/tiktok-api.md §2.4), so any subdomain of its API domain.
pub const UPLOAD_HOSTS: &[&str] = &["*.tiktokapis.com"];

/// Where TikTok's app settings come from: `POSTEZ_TIKTOK_CLIENT_KEY` or the setting
/// `tiktok_client_key`, `POSTEZ_TIKTOK_CLIENT_SECRET`, and `tiktok_direct_post`.
pub fn app_settings(env: &Env, config: &Config) -> AppSettings {
    AppSettings {
        key: env
            .tiktok_client_key
            .clone()
            .or_else(|| config.tiktok_client_key.clone()),
        key_name: "client key",
        key_setting: "tiktok_client_key",
        key_env: "POSTEZ_TIKTOK_CLIENT_KEY",
        secret_env: "POSTEZ_TIKTOK_CLIENT_SECRET",
        env_secret: env.tiktok_client_secret.clone(),
        direct_post: config.tiktok_direct_post(),
    }
}

/// The TikTok app credentials: key from `POSTEZ_TIKTOK_CLIENT_KEY` or the setting; secret from
/// `POSTEZ_TIKTOK_CLIENT_SECRET` or `secrets`.
pub fn credentials(env: &Env, config: &Config, secrets: &SecretStore) -> Result<ClientCredentials> {
    let settings = app_settings(env, config);
    let key = settings
        .key
        .ok_or_else(|| Error::config(
            "no TikTok client key is set",
            Some("set POSTEZ_TIKTOK_CLIENT_KEY, or run `postez config set tiktok_client_key KEY` (see the README: registering a TikTok app)".into()),
        ))?;
    let secret = match settings.env_secret {
        Some(s) => s,
        None => {
            secrets
                .get(&client_secret_key(PLATFORM))?
                .ok_or_else(|| Error::NoClientSecret {
                    platform: PLATFORM.into(),
                })?
        }
    };
    Ok(ClientCredentials { key, secret })
}

/// A TikTok client for the configured endpoints, which must be `https` (or `http` to this
/// machine, for a local fake): a token endpoint over plain http gives the secrets away.
pub fn client(env: &Env, client: ClientCredentials) -> Result<TikTok> {
    let (api, auth_url) = endpoints(env)?;
    TikTok::new(api, auth_url, client)
}

/// TikTok's API base and authorize page, once checked (`POSTEZ_TIKTOK_*_URL` or TikTok's own).
pub fn endpoints(env: &Env) -> Result<(&str, &str)> {
    let api = api_url(env)?;
    let auth_url = env.tiktok_auth_url.as_deref().unwrap_or(DEFAULT_AUTH_URL);
    net::check_base_url("POSTEZ_TIKTOK_AUTH_URL", auth_url)?;
    Ok((api, auth_url))
}

/// TikTok's API base: `POSTEZ_TIKTOK_API_URL` once checked, else TikTok's own.
pub fn api_url(env: &Env) -> Result<&str> {
    let api = env.tiktok_api_url.as_deref().unwrap_or(DEFAULT_API_URL);
    net::check_base_url("POSTEZ_TIKTOK_API_URL", api)?;
    Ok(api)
}

/// TikTok's provider for the configured app and endpoints (see [`crate::provider::for_account`]).
pub fn from_settings(env: &Env, config: &Config, secrets: &SecretStore) -> Result<TikTok> {
    client(env, credentials(env, config, secrets)?)
}

/// Refuse TikTok endpoints postez must not use, before a run claims anything.
pub fn check_endpoints(env: &Env) -> Result<()> {
    endpoints(env).map(|_| ())
}

/// The action named in a refresh's errors (a malformed refresh means a login to renew).
pub(crate) const REFRESH_ACTION: &str = "refresh the login";

/// TikTok desktop's PKCE challenge: the lowercase hex SHA-256 of the verifier (not RFC 7636's
/// base64url, shared/tiktok-api.md §1.4).
pub fn challenge(verifier: &Secret) -> String {
    hex::encode(Sha256::digest(verifier.expose().as_bytes()))
}

/// TikTok's user profile (`user.info.basic` fields).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct UserInfo {
    /// The user's id for this app.
    pub open_id: String,
    /// Shown name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Avatar URL.
    #[serde(default)]
    pub avatar_url: Option<String>,
}

/// What `creator_info/query` says about posting right now.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, Deserialize)]
pub struct CreatorInfo {
    /// Unique id (handle).
    #[serde(default)]
    pub creator_username: Option<String>,
    /// Name TikTok requires postez to show before posting.
    #[serde(default)]
    pub creator_nickname: Option<String>,
    /// Privacy levels this creator may use.
    #[serde(default)]
    pub privacy_level_options: Vec<String>,
    /// Comments are off for this creator.
    #[serde(default)]
    pub comment_disabled: bool,
    /// Duets are off.
    #[serde(default)]
    pub duet_disabled: bool,
    /// Stitches are off.
    #[serde(default)]
    pub stitch_disabled: bool,
    /// Longest video this creator may post.
    #[serde(default)]
    pub max_video_post_duration_sec: Option<u64>,
}

/// The TikTok API client.
#[derive(Debug, Clone)]
pub struct TikTok {
    http: reqwest::Client,
    api: String,
    auth_url: String,
    client: ClientCredentials,
    limits: std::sync::Arc<upload::RateLimits>,
    upload_hosts: UploadHosts,
}

/// The flat answer of the token endpoint (success and error share it).
#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    expires_in: Option<i64>,
    open_id: Option<String>,
    refresh_token: Option<String>,
    refresh_expires_in: Option<i64>,
    scope: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
    log_id: Option<String>,
}

/// The `{data, error}` envelope. `data` is decoded only on success: error answers carry an
/// empty or partial `data` object.
#[derive(Deserialize)]
struct Envelope {
    data: Option<serde_json::Value>,
    error: Option<EnvelopeError>,
}

#[derive(Deserialize)]
struct EnvelopeError {
    code: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    log_id: Option<String>,
}

/// A remote message as postez shows it: at most 200 characters, control characters (terminal
/// escapes among them) replaced, since it goes to the user's terminal and logs.
fn shorten(text: &str) -> String {
    shorten_to(text, 200)
}

fn shorten_to(text: &str, max: usize) -> String {
    super::printable(text.trim(), max)
}

/// A remote error code or log id: short, and only printable characters.
fn short_code(code: String) -> String {
    if code.chars().count() <= 64 && !code.chars().any(char::is_control) {
        code
    } else {
        shorten_to(&code, 64)
    }
}

/// The token endpoint's answer (`http` status and `body`) read as tokens issued at `now`, or
/// the error it carries. Pure, so the parser can be fuzzed: untrusted bytes never panic.
/// `open_id` is empty when the answer has none: a refresh answer may omit it (the account's
/// own is kept), while a code exchange must carry it ([`TikTok::exchange_code`] checks).
pub fn parse_token_answer(
    action: &'static str,
    http: u16,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Tokens> {
    let answer: TokenAnswer = serde_json::from_slice(body).map_err(|_| {
        codes::refusal(
            action,
            http,
            if http >= 500 {
                "server_error".into()
            } else {
                "invalid_response".into()
            },
            "the answer was not the expected JSON".into(),
            None,
        )
    })?;
    // Public code treats "no access_token" as failure whatever the status; so do we.
    let open_id = answer.open_id.unwrap_or_default();
    let (Some(access), Some(refresh), None) = (
        answer.access_token,
        answer.refresh_token,
        answer
            .error
            .as_ref()
            .filter(|e| !e.is_empty() && *e != "ok"),
    ) else {
        return Err(codes::refusal(
            action,
            http,
            short_code(answer.error.unwrap_or_else(|| "invalid_response".into())),
            shorten(
                answer
                    .error_description
                    .as_deref()
                    .unwrap_or("no token in the answer"),
            ),
            answer.log_id.map(short_code),
        )
        .into());
    };
    if refresh.is_empty() || access.is_empty() {
        return Err(codes::refusal(
            action,
            http,
            "invalid_response".into(),
            "the answer held an empty token".into(),
            answer.log_id.map(short_code),
        )
        .into());
    }
    // A lifetime is capped at ten years: an absurd `expires_in` must not overflow the clock.
    let secs = |s: Option<i64>, default: i64| {
        chrono::Duration::seconds(s.unwrap_or(default).clamp(0, 10 * 366 * 86400))
    };
    Ok(Tokens {
        open_id,
        access_token: Secret::new(access),
        refresh_token: Secret::new(refresh),
        // Lifetimes come from the answer (TikTok's pages disagree: 24 h or 2 h).
        access_expires_at: now + secs(answer.expires_in, 7200),
        refresh_expires_at: Some(now + secs(answer.refresh_expires_in, 180 * 86400)),
        scopes: answer
            .scope
            .unwrap_or_default()
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
    })
}

impl TikTok {
    /// A client for `api` (base URL) and `auth_url`, with these app credentials. The caller
    /// has checked both addresses ([`net::check_base_url`]); uploads are accepted on
    /// [`UPLOAD_HOSTS`] or on `api`'s own origin (the local fakes).
    pub fn new(api: &str, auth_url: &str, client: ClientCredentials) -> Result<Self> {
        Ok(Self {
            http: net::client(Duration::from_secs(60))?,
            api: api.trim_end_matches('/').to_string(),
            auth_url: auth_url.to_string(),
            client,
            limits: std::sync::Arc::new(upload::RateLimits::new(Duration::from_secs(60))),
            upload_hosts: UploadHosts::new(PLATFORM, UPLOAD_HOSTS, api),
        })
    }

    /// Use another rate-limit window than TikTok's minute (a testing aid).
    pub fn with_rate_window(mut self, window: Duration) -> Self {
        self.limits = std::sync::Arc::new(upload::RateLimits::new(window));
        self
    }

    /// The HTTP client, shared with the uploader.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The API base URL.
    pub fn api(&self) -> &str {
        &self.api
    }

    /// The URL the user opens to log in, asking for `scopes`.
    pub fn authorize_url(&self, pending: &PendingLogin, scopes: &[&str]) -> Result<url::Url> {
        let mut url = url::Url::parse(&self.auth_url).map_err(|_| {
            Error::config(
                format!("`{}` is not a valid authorize URL", self.auth_url),
                Some("check POSTEZ_TIKTOK_AUTH_URL".into()),
            )
        })?;
        url.query_pairs_mut()
            .append_pair("client_key", &self.client.key)
            .append_pair("response_type", "code")
            .append_pair("scope", &scopes.join(","))
            .append_pair("redirect_uri", &pending.redirect_uri)
            .append_pair("state", &pending.state)
            .append_pair("code_challenge", &challenge(&pending.verifier))
            .append_pair("code_challenge_method", "S256");
        Ok(url)
    }

    async fn token_call(
        &self,
        action: &'static str,
        form: &[(&str, &str)],
        now: DateTime<Utc>,
    ) -> Result<Tokens> {
        let url = format!("{}/v2/oauth/token/", self.api);
        let request = self
            .http
            .post(&url)
            .header("Cache-Control", "no-cache")
            .form(form);
        let (http, body) = net::exchange(PLATFORM, action, request).await?;
        parse_token_answer(action, http, &body, now)
    }

    /// Exchange the callback's (already URL-decoded) code for tokens.
    pub async fn exchange_code(
        &self,
        code: &str,
        pending: &PendingLogin,
        now: DateTime<Utc>,
    ) -> Result<Tokens> {
        let tokens = self
            .token_call(
                "exchange the login code",
                &[
                    ("client_key", &self.client.key),
                    ("client_secret", self.client.secret.expose()),
                    ("code", code),
                    ("grant_type", "authorization_code"),
                    ("redirect_uri", &pending.redirect_uri),
                    ("code_verifier", pending.verifier.expose()),
                ],
                now,
            )
            .await?;
        // The login's open_id names the account; only a refresh may leave it out.
        if tokens.open_id.is_empty() {
            return Err(codes::refusal(
                "exchange the login code",
                200,
                "invalid_response".into(),
                "the answer named no account (no open_id)".into(),
                None,
            )
            .into());
        }
        Ok(tokens)
    }

    /// Trade a refresh token for a new token pair (the old refresh token dies).
    pub async fn refresh(&self, refresh_token: &Secret, now: DateTime<Utc>) -> Result<Tokens> {
        self.token_call(
            REFRESH_ACTION,
            &[
                ("client_key", &self.client.key),
                ("client_secret", self.client.secret.expose()),
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token.expose()),
            ],
            now,
        )
        .await
    }

    /// Revoke the app's access (the user's "remove access").
    pub async fn revoke(&self, access_token: &Secret) -> Result<()> {
        let action = "revoke access";
        let request = self
            .http
            .post(format!("{}/v2/oauth/revoke/", self.api))
            .form(&[
                ("client_key", self.client.key.as_str()),
                ("client_secret", self.client.secret.expose()),
                ("token", access_token.expose()),
            ]);
        let (http, body) = net::exchange(PLATFORM, action, request).await?;
        if (200..300).contains(&http) {
            // Success is an empty body; an error object, if any, still means failure.
            let error: Option<TokenAnswer> = serde_json::from_slice(&body).ok();
            match error.and_then(|e| {
                e.error
                    .filter(|c| !c.is_empty() && c != "ok")
                    .map(|c| (c, e.error_description, e.log_id))
            }) {
                None => return Ok(()),
                Some((code, message, log_id)) => {
                    return Err(codes::refusal(
                        action,
                        http,
                        short_code(code),
                        shorten(message.as_deref().unwrap_or_default()),
                        log_id.map(short_code),
                    )
                    .into());
                }
            }
        }
        let answer: Option<TokenAnswer> = serde_json::from_slice(&body).ok();
        Err(codes::refusal(
            action,
            http,
            short_code(
                answer
                    .as_ref()
                    .and_then(|a| a.error.clone())
                    .unwrap_or_else(|| format!("http_{http}")),
            ),
            shorten(
                answer
                    .as_ref()
                    .and_then(|a| a.error_description.as_deref())
                    .unwrap_or_default(),
            ),
            answer.and_then(|a| a.log_id).map(short_code),
        )
        .into())
    }

    /// Send an API request and unwrap the `{data, error}` envelope (success is code `ok`).
    pub async fn envelope<T: serde::de::DeserializeOwned>(
        &self,
        action: &'static str,
        request: reqwest::RequestBuilder,
    ) -> Result<T> {
        let (http, body) = net::exchange(PLATFORM, action, request).await?;
        let envelope: Envelope = match serde_json::from_slice(&body) {
            Ok(e) => e,
            Err(_) => {
                return Err(codes::refusal(
                    action,
                    http,
                    if http >= 500 {
                        "internal_error".into()
                    } else if http == 429 {
                        "rate_limit_exceeded".into()
                    } else {
                        "invalid_response".into()
                    },
                    "the answer was not the expected JSON".into(),
                    None,
                )
                .into());
            }
        };
        let bad_data = || {
            codes::refusal(
                action,
                http,
                "invalid_response".into(),
                "the answer's data was not in the expected form".into(),
                None,
            )
        };
        match (envelope.error, envelope.data) {
            (Some(e), Some(data)) if e.code == "ok" => {
                serde_json::from_value(data).map_err(|_| bad_data().into())
            }
            (Some(e), _) if e.code != "ok" => Err(codes::refusal(
                action,
                http,
                short_code(e.code),
                shorten(&e.message),
                e.log_id.map(short_code),
            )
            .into()),
            _ => Err(codes::refusal(
                action,
                http,
                if http >= 500 {
                    "internal_error".into()
                } else {
                    "invalid_response".into()
                },
                "the answer had no data".into(),
                None,
            )
            .into()),
        }
    }

    /// The user's profile.
    pub async fn user_info(&self, access: &Secret) -> Result<UserInfo> {
        #[derive(Deserialize)]
        struct Data {
            user: UserInfo,
        }
        let request = self
            .http
            .get(format!("{}/v2/user/info/", self.api))
            .query(&[("fields", "open_id,union_id,avatar_url,display_name")])
            .bearer_auth(access.expose());
        let data: Data = self.envelope("read the profile", request).await?;
        Ok(data.user)
    }

    /// What the creator may post now (needs `video.publish`).
    pub async fn creator_info(&self, access: &Secret) -> Result<CreatorInfo> {
        self.limits.wait(access, "creator_info", 20).await;
        let request = self
            .http
            .post(format!("{}/v2/post/publish/creator_info/query/", self.api))
            .bearer_auth(access.expose())
            .header("Content-Type", "application/json; charset=UTF-8")
            .body("{}");
        self.envelope("read the creator's posting options", request)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_answer_without_open_id_is_read_with_an_empty_one() {
        let body = br#"{"access_token":"a","refresh_token":"r","expires_in":86400,"scope":"video.upload"}"#;
        let tokens = parse_token_answer("refresh the login", 200, body, Utc::now()).unwrap();
        assert_eq!(tokens.open_id, "");
        assert_eq!(tokens.access_token.expose(), "a");
    }

    #[test]
    fn pkce_challenge_is_lowercase_hex_sha256() {
        let verifier = Secret::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        let challenge = challenge(&verifier);
        assert_eq!(challenge.len(), 64);
        assert!(
            challenge
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        );
        assert_eq!(
            challenge,
            hex::encode(Sha256::digest(
                b"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
            ))
        );
    }

    #[test]
    fn authorize_url_uses_tiktok_names() {
        let tiktok = TikTok::new(
            DEFAULT_API_URL,
            DEFAULT_AUTH_URL,
            ClientCredentials {
                key: "ck".into(),
                secret: Secret::new("the-client-secret"),
            },
        )
        .unwrap();
        let pending = PendingLogin::new("http://127.0.0.1:8123/callback/");
        let url = tiktok.authorize_url(&pending, SCOPES).unwrap();
        let pairs: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(pairs["client_key"], "ck");
        assert_eq!(pairs["scope"], "user.info.basic,video.upload,video.publish");
        assert_eq!(pairs["code_challenge_method"], "S256");
        assert_eq!(pairs["code_challenge"], challenge(&pending.verifier));
        assert!(
            !url.as_str().contains("the-client-secret"),
            "the secret never goes in the URL"
        );
        assert!(!pairs.contains_key("client_id"));
        let url = tiktok.authorize_url(&pending, DRAFTS_ONLY_SCOPES).unwrap();
        let pairs: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(pairs["scope"], "user.info.basic,video.upload");
    }
}
