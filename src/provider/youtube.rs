//! YouTube's HTTP API and its quirks, kept here and nowhere else (shared/youtube-api.md, cited
//! as §N below):
//! - the login is standard OAuth for installed apps (§1), so it goes through the `oauth2` crate:
//!   PKCE S256 in base64url, space-separated scopes, `access_type=offline&prompt=consent`,
//!   `client_secret` in the form although Google calls it optional (§1.5), and a refresh answer
//!   without a refresh token (the old one is kept, §1.6);
//! - the account is the channel (`channels.list mine=true`, §4), not an OAuth user id;
//! - uploads are Google's resumable protocol (§2): a session URI committed before the first byte,
//!   chunks of 256 KiB multiples, and a **308** that is an acknowledgement, never a redirect
//!   (§2.6); a lost final reply must never cause a second video (§2.5);
//! - errors are `{"error":{"code","message","errors":[{"reason"}]}}` and are read by `reason`
//!   (`codes`); daily quotas reset at midnight Pacific time (§5).
//!
//! It is registered as [`Platform::YouTube`] ([`REGISTRATION`]): the Google OAuth client comes
//! from `POSTEZ_YOUTUBE_CLIENT_ID` or the setting `youtube_client_id`, its secret from
//! `POSTEZ_YOUTUBE_CLIENT_SECRET` or the secret store, every endpoint from `POSTEZ_YOUTUBE_*_URL`.
//!
//! Never logs a token, code, verifier, secret or session URI.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

mod codes;
pub mod creator;
mod login;
mod manage;
pub mod options;
pub mod quota;
pub mod rules;
mod steps;
mod upload;

pub use codes::quota_ends;
pub use options::YouTubeOptions;
pub use rules::{VideoFormat, VideoMeta, Visibility, YouTubeRules, video_format};
pub use upload::{CHUNK_SIZE, plan};

use crate::config::Config;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::provider::net::{self, UploadHosts};
use crate::provider::{AppSettings, ClientCredentials, Platform, Scopes, client_secret_key};
use crate::secrets::SecretStore;

/// YouTube's entry points for the seam ([`Platform::registration`]).
pub static REGISTRATION: crate::provider::Registration = crate::provider::Registration {
    id: PLATFORM,
    name: "YouTube",
    rules: &rules::YouTubeRules,
    // YouTube has no per-minute upload window like TikTok's: quotas are daily (`codes`).
    for_account: |env, config, secrets, _rate_window| {
        Ok(Box::new(client(env, credentials(env, config, secrets)?)?))
    },
    for_app: |env, credentials| Ok(Box::new(client(env, credentials)?)),
    credentials,
    app_settings,
    api_base: api_url,
    check_endpoints: |env| endpoints(env).and_then(|e| e.check()),
    login_warning: login::login_warning,
};

/// Where the Google OAuth client's settings come from: `POSTEZ_YOUTUBE_CLIENT_ID` or the setting
/// `youtube_client_id`, and `POSTEZ_YOUTUBE_CLIENT_SECRET`.
pub fn app_settings(env: &Env, config: &Config) -> AppSettings {
    AppSettings {
        key: env
            .youtube_client_id
            .clone()
            .or_else(|| config.youtube_client_id.clone()),
        key_name: "client id",
        key_setting: "youtube_client_id",
        key_env: "POSTEZ_YOUTUBE_CLIENT_ID",
        secret_env: "POSTEZ_YOUTUBE_CLIENT_SECRET",
        env_secret: env.youtube_client_secret.clone(),
        // Uploading is YouTube's only way to post (no drafts): always ask for it.
        direct_post: true,
    }
}

/// The Google OAuth client: id from `POSTEZ_YOUTUBE_CLIENT_ID` or the setting; secret from
/// `POSTEZ_YOUTUBE_CLIENT_SECRET` or `secrets`.
pub fn credentials(env: &Env, config: &Config, secrets: &SecretStore) -> Result<ClientCredentials> {
    let settings = app_settings(env, config);
    let key = settings.key.ok_or_else(|| {
        Error::config(
            "no YouTube (Google OAuth) client id is set",
            Some("set POSTEZ_YOUTUBE_CLIENT_ID, or run `postez config set youtube_client_id ID` (see the README: YouTube)".into()),
        )
    })?;
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

/// Google's endpoints: each `POSTEZ_YOUTUBE_*_URL`, else Google's own (checked by the caller).
pub fn endpoints(env: &Env) -> Result<Endpoints> {
    let defaults = Endpoints::default();
    Ok(Endpoints {
        auth: env.youtube_auth_url.clone().unwrap_or(defaults.auth),
        token: env.youtube_token_url.clone().unwrap_or(defaults.token),
        revoke: env.youtube_revoke_url.clone().unwrap_or(defaults.revoke),
        api: env.youtube_api_url.clone().unwrap_or(defaults.api),
    })
}

/// The API base: `POSTEZ_YOUTUBE_API_URL` once checked, else Google's own.
pub fn api_url(env: &Env) -> Result<&str> {
    let api = env.youtube_api_url.as_deref().unwrap_or(DEFAULT_API_URL);
    net::check_base_url("POSTEZ_YOUTUBE_API_URL", api)?;
    Ok(api)
}

/// A YouTube provider for the configured endpoints (checked in [`YouTube::new`]).
pub fn client(env: &Env, client: ClientCredentials) -> Result<YouTube> {
    YouTube::new(endpoints(env)?, client)
}

/// The platform's name in the queue, the secret store and messages.
pub const PLATFORM: &str = "youtube";
/// The platform the seam's types are given (errors, accounts).
pub const SEAM_PLATFORM: Platform = Platform::YouTube;
/// Uploading videos (`videos.insert`): the scope a post needs (§1.9).
pub const UPLOAD_SCOPE: &str = "https://www.googleapis.com/auth/youtube.upload";
/// Reading the channel and a video's status (`channels.list`, `videos.list`): `youtube.upload`
/// cannot (§1.9).
pub const READONLY_SCOPE: &str = "https://www.googleapis.com/auth/youtube.readonly";
/// The scopes postez asks for, and only these (§1.9; `youtube` only for later remote edits).
pub const SCOPES: &[&str] = &[UPLOAD_SCOPE, READONLY_SCOPE];
/// Changing and deleting videos (`videos.update`, `videos.delete`, §1.9): asked for only with
/// `connect youtube --manage`, to reschedule or delete a video uploaded ahead (§8).
pub const MANAGE_SCOPE: &str = "https://www.googleapis.com/auth/youtube";
/// How long before its time a video may still be uploaded ahead: a `publishAt` in the past
/// publishes at once (§8: "never send publishAt < ~2 min ahead"), so closer than this it is
/// uploaded public, the normal way.
pub const PUBLISH_AT_MARGIN_SECS: i64 = 120;

/// Where the owner changes a video by hand (YouTube Studio's editor).
pub fn studio_link(video_id: &str) -> String {
    format!("https://studio.youtube.com/video/{video_id}/edit")
}
/// Google's authorize page (§1.1).
pub const DEFAULT_AUTH_URL: &str = "https://accounts.google.com/o/oauth2/v2/auth";
/// Google's token endpoint: code exchange and refresh (§1.1).
pub const DEFAULT_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
/// Google's revocation endpoint (§1.1).
pub const DEFAULT_REVOKE_URL: &str = "https://oauth2.googleapis.com/revoke";
/// Base of `/youtube/v3/…` and `/upload/youtube/v3/…`.
pub const DEFAULT_API_URL: &str = "https://www.googleapis.com";
/// Hosts a session URI may be on (§2.1: `www.googleapis.com`). Exact names: `*.googleapis.com`
/// would include storage buckets anyone can create.
pub const UPLOAD_HOSTS: &[&str] = &["www.googleapis.com", "youtube.googleapis.com"];

/// The scopes a login asks for (§1.9): uploading is the "direct" scope, as YouTube has no drafts;
/// reading the channel and the status of uploads is basic. Shared by the login and the rules.
pub fn scopes() -> Scopes {
    Scopes {
        basic: &[READONLY_SCOPE],
        draft: None,
        direct: Some(UPLOAD_SCOPE),
        manage: Some(MANAGE_SCOPE),
    }
}

/// Where postez talks to Google: each one an input (the later `POSTEZ_YOUTUBE_AUTH_URL`,
/// `_TOKEN_URL`, `_REVOKE_URL`, `_API_URL`), so tests point them at a fake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// The authorize page.
    pub auth: String,
    /// The token endpoint.
    pub token: String,
    /// The revocation endpoint.
    pub revoke: String,
    /// The API base (no trailing slash).
    pub api: String,
}

impl Default for Endpoints {
    fn default() -> Self {
        Self {
            auth: DEFAULT_AUTH_URL.into(),
            token: DEFAULT_TOKEN_URL.into(),
            revoke: DEFAULT_REVOKE_URL.into(),
            api: DEFAULT_API_URL.into(),
        }
    }
}

impl Endpoints {
    /// Every endpoint under one base (how the fake serves them: `/o/oauth2/v2/auth`, `/token`,
    /// `/revoke`, `/youtube/v3/…`).
    pub fn at(base: &str) -> Self {
        let base = base.trim_end_matches('/');
        Self {
            auth: format!("{base}/o/oauth2/v2/auth"),
            token: format!("{base}/token"),
            revoke: format!("{base}/revoke"),
            api: base.into(),
        }
    }

    /// Refuse addresses postez must not use: each must be `https`, or `http` to this machine
    /// (a token endpoint over plain http would give the client secret and the codes away).
    pub fn check(&self) -> Result<()> {
        for (setting, value) in [
            ("POSTEZ_YOUTUBE_AUTH_URL", &self.auth),
            ("POSTEZ_YOUTUBE_TOKEN_URL", &self.token),
            ("POSTEZ_YOUTUBE_REVOKE_URL", &self.revoke),
            ("POSTEZ_YOUTUBE_API_URL", &self.api),
        ] {
            net::check_base_url(setting, value)?;
        }
        Ok(())
    }
}

/// What this process knows about one upload session, by [`session_key`]: how many bytes YouTube
/// said it holds (trusted only until an exchange on the session ends without reading its answer),
/// whether the file's last byte was ever sent to it, and the video id once an answer carried it.
#[derive(Debug, Clone, Default)]
struct SessionMemo {
    offset: Option<u64>,
    final_sent: bool,
    video_id: Option<String>,
}

/// The YouTube provider: login, upload and status for one Google OAuth client.
#[derive(Debug)]
pub struct YouTube {
    http: reqwest::Client,
    endpoints: Endpoints,
    client: ClientCredentials,
    upload_hosts: UploadHosts,
    sessions: Mutex<HashMap<String, SessionMemo>>,
}

impl YouTube {
    /// A provider for these endpoints (checked here) and this Google OAuth client ("Desktop
    /// app", brought by the user, §1.8).
    pub fn new(endpoints: Endpoints, client: ClientCredentials) -> Result<Self> {
        endpoints.check()?;
        let endpoints = Endpoints {
            api: endpoints.api.trim_end_matches('/').to_string(),
            ..endpoints
        };
        Ok(Self {
            // The client never follows redirects: a 308 from an upload session is YouTube's
            // "resume incomplete", and following it would lose the answer (§2.6).
            http: net::client(Duration::from_secs(60))?,
            upload_hosts: UploadHosts::new(PLATFORM, UPLOAD_HOSTS, &endpoints.api),
            endpoints,
            client,
            sessions: Mutex::new(HashMap::new()),
        })
    }

    /// The endpoints in use.
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    fn memo(&self, key: &str) -> SessionMemo {
        self.sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned()
            .unwrap_or_default()
    }

    fn remember(&self, key: &str, change: impl FnOnce(&mut SessionMemo)) {
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        change(sessions.entry(key.to_string()).or_default());
    }

    /// Send an API request and read a JSON answer: a 2xx decoded as `T`, anything else
    /// classified from Google's error body (`codes`).
    async fn json<T: DeserializeOwned>(
        &self,
        action: &'static str,
        request: reqwest::RequestBuilder,
    ) -> Result<T> {
        let (http, body) = net::exchange(PLATFORM, action, request).await?;
        if !(200..300).contains(&http) {
            return Err(codes::from_body(action, http, &body).into());
        }
        serde_json::from_slice(&body).map_err(|_| codes::invalid_answer(action, http).into())
    }

    fn api_url(&self, path: &str) -> String {
        format!("{}{path}", self.endpoints.api)
    }
}

/// The checkpoint id of a session: a digest of its URI. The URI (and its `upload_id`) lets
/// whoever holds it write to the upload, so it is never shown; the digest names the upload in
/// the post's history and keys what this process remembers about it.
pub fn session_key(session_uri: &str) -> String {
    let digest = Sha256::digest(session_uri.as_bytes());
    format!("session-{}", hex::encode(&digest[..8]))
}

/// A remote message as postez shows it: HTML tags dropped (Google's messages carry links,
/// §3.2, trap 18), at most 200 characters, control characters replaced.
fn shorten(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_tag = false;
    while let Some(c) = chars.next() {
        match c {
            // A tag opens with a letter or `/`: "a < b" is text.
            '<' if !in_tag
                && chars
                    .peek()
                    .is_some_and(|n| n.is_ascii_alphabetic() || *n == '/') =>
            {
                in_tag = true
            }
            '>' if in_tag => in_tag = false,
            _ if !in_tag => plain.push(c),
            _ => {}
        }
    }
    super::printable(plain.trim(), 200)
}

/// A remote code: short, printable.
fn short_code(code: &str) -> String {
    super::printable(code.trim(), 64)
}

#[cfg(test)]
pub(crate) mod testing {
    //! A scripted one-connection-at-a-time HTTP server on 127.0.0.1 for the module's unit tests:
    //! each route answers from a queue, and every request is kept for the test to inspect.

    use std::sync::{Arc, Mutex};

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// One request as the server read it.
    #[derive(Debug, Clone)]
    pub struct Seen {
        pub method: String,
        pub target: String,
        pub headers: Vec<(String, String)>,
        pub body: Vec<u8>,
    }

    impl Seen {
        pub fn header(&self, name: &str) -> Option<&str> {
            self.headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        }

        pub fn form(&self) -> std::collections::HashMap<String, String> {
            url::form_urlencoded::parse(&self.body)
                .into_owned()
                .collect()
        }
    }

    /// An answer: status (0: close without one), extra headers, body.
    pub type Answer = (u16, Vec<(&'static str, String)>, String);

    /// A route: method, path prefix, answers.
    type Route = (String, String, Vec<Answer>);

    /// The server: `(method, path prefix)` → answers, used in order (the last one repeats).
    #[derive(Clone, Default)]
    pub struct Script {
        routes: Arc<Mutex<Vec<Route>>>,
        pub seen: Arc<Mutex<Vec<Seen>>>,
    }

    impl Script {
        pub fn on(&self, method: &str, prefix: &str, answers: Vec<Answer>) -> &Self {
            self.routes
                .lock()
                .unwrap()
                .push((method.into(), prefix.into(), answers));
            self
        }

        pub fn seen(&self) -> Vec<Seen> {
            self.seen.lock().unwrap().clone()
        }

        /// Serve on a fresh port; returns `http://127.0.0.1:PORT`.
        pub async fn serve(&self) -> String {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let me = self.clone();
            tokio::spawn(async move {
                while let Ok((mut socket, _)) = listener.accept().await {
                    let me = me.clone();
                    tokio::spawn(async move {
                        let Some(seen) = read_request(&mut socket).await else {
                            return;
                        };
                        let answer = me.answer(&seen);
                        me.seen.lock().unwrap().push(seen);
                        let (status, headers, body) = answer;
                        // Status 0: the reply is lost (the connection closes unanswered).
                        if status == 0 {
                            return;
                        }
                        let mut text = format!(
                            "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                            body.len()
                        );
                        if !headers
                            .iter()
                            .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
                        {
                            text.push_str("Content-Type: application/json\r\n");
                        }
                        for (name, value) in headers {
                            text.push_str(&format!("{name}: {value}\r\n"));
                        }
                        text.push_str("\r\n");
                        text.push_str(&body);
                        let _ = socket.write_all(text.as_bytes()).await;
                    });
                }
            });
            format!("http://{addr}")
        }

        fn answer(&self, seen: &Seen) -> Answer {
            let mut routes = self.routes.lock().unwrap();
            let path = seen
                .target
                .split('?')
                .next()
                .unwrap_or_default()
                .to_string();
            for (method, prefix, answers) in routes.iter_mut() {
                if *method == seen.method && path.starts_with(prefix.as_str()) {
                    return if answers.len() > 1 {
                        answers.remove(0)
                    } else {
                        answers[0].clone()
                    };
                }
            }
            (404, vec![], "{}".into())
        }
    }

    async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<Seen> {
        let mut buf = Vec::new();
        let mut piece = vec![0u8; 64 * 1024];
        let head_end = loop {
            let n = socket.read(&mut piece).await.ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(&piece[..n]);
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
        let mut lines = head.split("\r\n");
        let mut first = lines.next()?.split_whitespace();
        let method = first.next()?.to_string();
        let target = first.next()?.to_string();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
            .collect();
        let len: usize = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut body = buf[head_end..].to_vec();
        while body.len() < len {
            let n = socket.read(&mut piece).await.ok()?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&piece[..n]);
        }
        Some(Seen {
            method,
            target,
            headers,
            body,
        })
    }

    pub fn ok(body: &str) -> Answer {
        (200, vec![], body.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::Secret;

    fn credentials() -> ClientCredentials {
        ClientCredentials {
            key: "cid.apps.googleusercontent.com".into(),
            secret: Secret::new("the-client-secret"),
        }
    }

    #[test]
    fn endpoints_are_https_or_loopback_and_named_by_their_setting() {
        assert!(YouTube::new(Endpoints::default(), credentials()).is_ok());
        assert!(YouTube::new(Endpoints::at("http://127.0.0.1:9/"), credentials()).is_ok());
        let plain = Endpoints {
            token: "http://oauth2.googleapis.com/token".into(),
            ..Endpoints::default()
        };
        let e = YouTube::new(plain, credentials()).unwrap_err();
        assert!(e.to_string().contains("POSTEZ_YOUTUBE_TOKEN_URL"), "{e}");
    }

    #[test]
    fn session_keys_name_the_upload_without_its_uri() {
        let uri = "https://www.googleapis.com/upload/youtube/v3/videos?uploadType=resumable&upload_id=xa298sd_f";
        let key = session_key(uri);
        assert_eq!(key, session_key(uri));
        assert_ne!(key, session_key(&format!("{uri}x")));
        assert!(!key.contains("xa298sd_f"));
        assert_eq!(key.len(), "session-".len() + 16);
    }

    #[test]
    fn messages_lose_their_html_and_control_characters() {
        let m = "The request cannot be completed because you have exceeded your <a href=\"/youtube/v3/getting-started#quota\">quota</a>.\u{1b}[31m";
        assert_eq!(
            shorten(m),
            "The request cannot be completed because you have exceeded your quota.\u{fffd}[31m"
        );
        assert_eq!(shorten("a < b > c"), "a < b > c");
    }
}
