//! The fake's data: public types (options, the simulated user, faults, snapshots) and the
//! internal state behind one `std::sync::Mutex`, which no code holds across an `.await`.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Sha256;

/// The scopes the fake app is approved for by default (tiktok-api.md §1.7). Asking for anything
/// the app is not approved for is `invalid_scope`, and the whole authorization fails.
pub const APP_SCOPES: [&str; 3] = ["user.info.basic", "video.upload", "video.publish"];

/// The TikTok account that "logs in" on the fake consent screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FakeUser {
    /// Bound to tokens when they are issued; changing it later only affects new logins.
    pub open_id: String,
    pub display_name: String,
    pub avatar_url: String,
    pub creator_username: String,
    pub creator_nickname: String,
    /// What `creator_info` offers and `video/init` accepts as `privacy_level`.
    pub privacy_level_options: Vec<String>,
    pub comment_disabled: bool,
    pub duet_disabled: bool,
    pub stitch_disabled: bool,
    /// Direct posts whose MP4 duration exceeds this end `FAILED` / `duration_check_failed`.
    pub max_video_post_duration_sec: u32,
}

impl Default for FakeUser {
    fn default() -> Self {
        Self {
            open_id: "-000fAkE0pEn1d-5f1c6d2e-4000-8000-fa4e0fa4e000".into(),
            display_name: "Fake Creator".into(),
            avatar_url: "https://example.com/fake-tiktok/avatar.jpeg".into(),
            creator_username: "fake.creator".into(),
            creator_nickname: "Fake Creator".into(),
            privacy_level_options: vec![
                "PUBLIC_TO_EVERYONE".into(),
                "MUTUAL_FOLLOW_FRIENDS".into(),
                "SELF_ONLY".into(),
            ],
            comment_disabled: false,
            duet_disabled: false,
            stitch_disabled: false,
            max_video_post_duration_sec: 300,
        }
    }
}

/// How to start the fake. `Default` gives TikTok's documented numbers (2 h / 180 d tokens,
/// 1 h upload URLs, one-minute rate windows).
#[derive(Debug, Clone)]
pub struct FakeOptions {
    pub client_key: String,
    pub client_secret: String,
    /// 0 picks a free port.
    pub port: u16,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    pub upload_url_ttl: Duration,
    /// Length of the sliding rate-limit window (TikTok: one minute). Tests shrink it.
    pub rate_window: Duration,
    /// Status polls answering `PROCESSING_UPLOAD` after the upload completed, before the final status.
    pub processing_polls: u32,
    pub user: FakeUser,
    /// Unaudited app: Direct Post with a privacy level other than `SELF_ONLY` is refused (403).
    pub unaudited: bool,
    /// What the user leaves ticked on the consent screen; `None` grants everything requested.
    pub granted_scopes: Option<Vec<String>>,
    /// The scopes the app is approved for (a drafts-only app has no `video.publish`).
    pub app_scopes: Vec<String>,
    /// The user presses Cancel: authorize redirects with `error=access_denied`.
    pub deny: bool,
    /// Where reassembled uploads are written; `None` uses a temporary directory removed on drop.
    pub data_dir: Option<PathBuf>,
    /// Inbox drafts allowed per user per 24 h before `spam_risk_too_many_pending_share`
    /// (TikTok: 5). 0 disables the cap.
    pub inbox_pending_cap: u32,
    /// Check the reassembled file like TikTok's processing does: it must be an MP4/MOV box
    /// structure (with a `moov`/`mvhd`) or WebM, else the publish ends `FAILED` /
    /// `file_format_check_failed`; an MP4/MOV longer than the creator's
    /// `max_video_post_duration_sec` ends `duration_check_failed`. Default true.
    pub check_media: bool,
    /// Added before answering every TikTok endpoint (not `/__fake/*`): a simulated network round
    /// trip, so that benchmarks measure how a client overlaps waiting. Default zero.
    pub latency: Duration,
    /// Keep what is uploaded: the reassembled file, its [`PublishInfo::sha256`] and the media
    /// check. Default true. Benchmarks turn it off (`--discard-uploads`): every chunk is still
    /// checked against the plan, counted and acknowledged, but storing and hashing a gigabyte
    /// costs the fake more CPU than the client spends sending it.
    pub keep_uploads: bool,
}

impl Default for FakeOptions {
    fn default() -> Self {
        Self {
            client_key: "fake_client_key".into(),
            client_secret: "fake_client_secret".into(),
            port: 0,
            access_ttl: Duration::from_secs(2 * 3600),
            refresh_ttl: Duration::from_secs(180 * 86400),
            upload_url_ttl: Duration::from_secs(3600),
            rate_window: Duration::from_secs(60),
            processing_polls: 1,
            user: FakeUser::default(),
            unaudited: false,
            granted_scopes: None,
            app_scopes: APP_SCOPES.map(String::from).to_vec(),
            deny: false,
            data_dir: None,
            inbox_pending_cap: 5,
            check_media: true,
            latency: Duration::ZERO,
            keep_uploads: true,
        }
    }
}

/// A TikTok endpoint, as named in faults and call counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    Authorize,
    Token,
    Revoke,
    UserInfo,
    CreatorInfo,
    DirectInit,
    InboxInit,
    Upload,
    StatusFetch,
}

impl Endpoint {
    /// Requests per rate window per access token (tiktok-api.md §2.7); `None` = not limited.
    /// CHOICE: each endpoint has its own bucket (the two init endpoints do not share one), and
    /// `user/info`'s 600 is counted per token too (per-app vs per-token is UNCONFIRMED).
    pub(crate) fn rate_limit(self) -> Option<usize> {
        match self {
            Endpoint::UserInfo => Some(600),
            Endpoint::CreatorInfo => Some(20),
            Endpoint::DirectInit | Endpoint::InboxInit => Some(6),
            Endpoint::StatusFetch => Some(30),
            _ => None,
        }
    }

    /// Whether errors use the flat OAuth shape `{error, error_description, log_id}`.
    pub(crate) fn is_oauth(self) -> bool {
        matches!(self, Endpoint::Token | Endpoint::Revoke)
    }
}

/// A one-shot fault. Faults of the same kind fire in the order they were injected; a fault fires
/// on the first request it matches and is then gone.
///
/// JSON (for `POST /__fake/faults`): `{"kind":"status","endpoint":"token","http":500,"code":"server_error"}`,
/// `{"kind":"reset_mid_chunk","chunk":1}`, `{"kind":"next_access_token_expired"}`, …
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// The next call of `endpoint` answers HTTP `http` with error `code`, in that endpoint's error
    /// shape (envelope, flat OAuth error, or for `authorize` a redirect with `error=` when `http`
    /// is 3xx and an HTML error page otherwise). Nothing else happens (a PUT's bytes are dropped).
    Status {
        endpoint: Endpoint,
        http: u16,
        code: String,
    },
    /// For the PUT of chunk `chunk` (0-based): read about half its body, then drop the TCP
    /// connection without a response. Nothing is stored.
    ResetMidChunk { chunk: u32 },
    /// For the PUT of chunk `chunk` (0-based): store it fully, then drop the connection without
    /// answering.
    AckLost { chunk: u32 },
    /// For the PUT of chunk `chunk` (0-based): read the body, store nothing, answer `http`.
    ChunkStatus { chunk: u32, http: u16 },
    /// The next access token issued (code exchange or refresh) is born expired: the response looks
    /// normal but the token gets 401 `access_token_invalid`.
    NextAccessTokenExpired,
    /// The next refresh (`grant_type=refresh_token`) answers this OAuth `error`; tokens are untouched.
    RefreshFails { error: String },
    /// The next refresh succeeds but its answer has no `open_id` (TikTok's refresh answers may
    /// leave it out; the client keeps the account's).
    RefreshWithoutOpenId,
    /// The next publish whose upload completes ends `FAILED` with this `fail_reason`.
    PublishFails { reason: String },
    /// The next `creator_info` answers HTTP 200 with this non-`ok` code (e.g. `spam_risk_too_many_posts`).
    CreatorCannotPost { code: String },
    /// The next call of `endpoint` is answered `ms` milliseconds late.
    Delay { endpoint: Endpoint, ms: u64 },
}

/// Lifecycle of an issued token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenState {
    Valid,
    /// Past its lifetime, born expired, or expired by the control surface.
    Expired,
    /// Replaced by a refresh (both the used refresh token and the access token of that pair).
    Rotated,
    Revoked,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    Access,
    Refresh,
}

/// One token the fake issued. Every token ever issued is listed, so a test can search logs and
/// files for leaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    pub token: String,
    pub kind: TokenKind,
    pub open_id: String,
    /// Comma-separated granted scopes.
    pub scope: String,
    pub state: TokenState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PublishMode {
    /// `/v2/post/publish/video/init/`
    Direct,
    /// `/v2/post/publish/inbox/video/init/`
    Inbox,
}

/// One publish (an accepted init) and what was uploaded for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublishInfo {
    pub publish_id: String,
    pub mode: PublishMode,
    pub open_id: String,
    /// The `post_info` object exactly as sent (Direct Post only).
    pub post_info: Option<Value>,
    pub video_size: u64,
    pub chunk_size: u64,
    pub total_chunk_count: u32,
    pub chunks_received: u32,
    pub bytes_received: u64,
    /// Lowercase hex SHA-256 of the reassembled file, once every chunk arrived.
    pub sha256: Option<String>,
    /// The reassembled file.
    pub file: PathBuf,
    /// `Content-Type` of the chunks.
    pub content_type: Option<String>,
    /// What a status fetch answers now (`PROCESSING_UPLOAD` until the upload completed and the
    /// processing polls were used up).
    pub status: String,
    pub fail_reason: Option<String>,
    /// The id in `publicaly_available_post_id`: set once the status is `PUBLISH_COMPLETE`, and
    /// only for `PUBLIC_TO_EVERYONE` Direct Posts.
    pub post_id: Option<i64>,
    /// Whether this user called `creator_info/query` since their previous Direct Post init
    /// (tiktok-api.md §3 requires it before every Direct Post; the fake records, not enforces).
    pub creator_info_checked: bool,
}

/// Everything a test may want to assert about the fake. Serialisable: `GET /__fake/state`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Requests per endpoint, including rejected ones.
    pub calls: BTreeMap<Endpoint, u64>,
    /// Token requests with `grant_type=refresh_token`, whatever their outcome.
    pub refresh_calls: u64,
    /// Refreshes that issued new tokens.
    pub refreshes_ok: u64,
    pub codes_issued: u64,
    /// Codes presented at the token endpoint and thereby consumed (even if the exchange failed).
    pub codes_used: u64,
    /// Every code issued and every PKCE verifier presented: what a leak test looks for.
    pub secrets_seen: Vec<String>,
    /// Every token ever issued, oldest first.
    pub tokens: Vec<TokenInfo>,
    /// Tokens invalidated by `/v2/oauth/revoke/`.
    pub revoked_tokens: Vec<String>,
    pub publishes: Vec<PublishInfo>,
    /// Faults injected but not fired yet.
    pub pending_faults: Vec<Fault>,
}

impl Snapshot {
    /// Requests seen by `endpoint`.
    pub fn count(&self, endpoint: Endpoint) -> u64 {
        self.calls.get(&endpoint).copied().unwrap_or(0)
    }

    pub fn publish(&self, publish_id: &str) -> Option<&PublishInfo> {
        self.publishes.iter().find(|p| p.publish_id == publish_id)
    }

    /// Tokens of one kind that still work.
    pub fn valid_tokens(&self, kind: TokenKind) -> Vec<&str> {
        self.tokens
            .iter()
            .filter(|t| t.kind == kind && t.state == TokenState::Valid)
            .map(|t| t.token.as_str())
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Internal state.

/// Runtime-adjustable behaviour (see `FakeTikTok::set_*` and `POST /__fake/settings`).
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub user: FakeUser,
    pub unaudited: bool,
    pub processing_polls: u32,
    pub deny: bool,
    pub granted_scopes: Option<Vec<String>>,
    pub app_scopes: Vec<String>,
    /// The app's client secret after the developer rotated it in TikTok's portal; `None`: the
    /// one given at start. The old one is then refused with `invalid_client`.
    pub rotated_secret: Option<String>,
}

pub(crate) struct CodeRec {
    pub redirect_uri: String,
    pub challenge: String,
    pub scopes: Vec<String>,
    pub open_id: String,
    pub expires_at: Instant,
    pub used: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Life {
    Active,
    Rotated,
    Revoked,
}

pub(crate) struct TokenRec {
    pub token: String,
    pub kind: TokenKind,
    /// Tokens from one code exchange and its refreshes share a grant; revoking kills the grant.
    pub grant: u64,
    pub open_id: String,
    pub scopes: Vec<String>,
    pub expires_at: Instant,
    pub force_expired: bool,
    pub life: Life,
}

impl TokenRec {
    pub fn expired(&self, now: Instant) -> bool {
        self.force_expired || now >= self.expires_at
    }

    pub fn usable(&self, now: Instant) -> bool {
        self.life == Life::Active && !self.expired(now)
    }

    pub fn info(&self, now: Instant) -> TokenInfo {
        TokenInfo {
            token: self.token.clone(),
            kind: self.kind,
            open_id: self.open_id.clone(),
            scope: self.scopes.join(","),
            state: match self.life {
                Life::Rotated => TokenState::Rotated,
                Life::Revoked => TokenState::Revoked,
                Life::Active if self.expired(now) => TokenState::Expired,
                Life::Active => TokenState::Valid,
            },
        }
    }
}

pub(crate) struct Publish {
    pub publish_id: String,
    pub upload_id: String,
    pub upload_token: String,
    pub url_expires_at: Instant,
    pub created: Instant,
    pub mode: PublishMode,
    pub open_id: String,
    pub post_info: Option<Value>,
    pub public: bool,
    pub max_duration_sec: u32,
    pub video_size: u64,
    pub chunk_size: u64,
    pub total_chunk_count: u32,
    pub chunks_received: u32,
    pub bytes_received: u64,
    /// SHA-256 of the bytes committed so far (chunks arrive in order).
    pub hasher: Sha256,
    pub sha256: Option<String>,
    pub file: PathBuf,
    pub content_type: Option<String>,
    /// A PUT for this publish is being processed.
    pub in_flight: bool,
    pub complete: bool,
    /// Status polls answered since the upload completed.
    pub polls_after_complete: u32,
    pub fail_reason: Option<String>,
    pub post_id: Option<i64>,
    pub creator_info_checked: bool,
}

impl Publish {
    /// Inclusive byte range of chunk `index` (0-based); the final chunk absorbs the remainder.
    pub fn chunk_range(&self, index: u32) -> (u64, u64) {
        let first = u64::from(index) * self.chunk_size;
        let last = if index + 1 == self.total_chunk_count {
            self.video_size - 1
        } else {
            first + self.chunk_size - 1
        };
        (first, last)
    }

    /// What a status fetch would answer now, without counting a poll.
    pub fn status_now(&self, processing_polls: u32) -> &'static str {
        if !self.complete || self.polls_after_complete < processing_polls {
            "PROCESSING_UPLOAD"
        } else if self.fail_reason.is_some() {
            "FAILED"
        } else {
            match self.mode {
                PublishMode::Direct => "PUBLISH_COMPLETE",
                PublishMode::Inbox => "SEND_TO_USER_INBOX",
            }
        }
    }

    pub fn info(&self, processing_polls: u32) -> PublishInfo {
        let status = self.status_now(processing_polls);
        PublishInfo {
            publish_id: self.publish_id.clone(),
            mode: self.mode,
            open_id: self.open_id.clone(),
            post_info: self.post_info.clone(),
            video_size: self.video_size,
            chunk_size: self.chunk_size,
            total_chunk_count: self.total_chunk_count,
            chunks_received: self.chunks_received,
            bytes_received: self.bytes_received,
            sha256: self.sha256.clone(),
            file: self.file.clone(),
            content_type: self.content_type.clone(),
            status: status.to_string(),
            fail_reason: self.fail_reason.clone(),
            post_id: if status == "PUBLISH_COMPLETE" {
                self.post_id
            } else {
                None
            },
            creator_info_checked: self.creator_info_checked,
        }
    }
}

pub(crate) struct State {
    pub settings: Settings,
    pub codes: std::collections::HashMap<String, CodeRec>,
    /// Every token ever issued, oldest first (few enough for linear search).
    pub tokens: Vec<TokenRec>,
    pub next_grant: u64,
    pub publishes: Vec<Publish>,
    pub faults: VecDeque<Fault>,
    pub rate: std::collections::HashMap<(String, Endpoint), VecDeque<Instant>>,
    pub calls: BTreeMap<Endpoint, u64>,
    pub refresh_calls: u64,
    pub refreshes_ok: u64,
    pub codes_issued: u64,
    pub codes_used: u64,
    pub secrets_seen: Vec<String>,
    pub revoked: Vec<String>,
    /// open_ids that called creator_info since their last Direct Post init.
    pub creator_info_checked: HashSet<String>,
}

impl State {
    pub fn new(settings: Settings) -> Self {
        Self {
            settings,
            codes: Default::default(),
            tokens: Vec::new(),
            next_grant: 1,
            publishes: Vec::new(),
            faults: VecDeque::new(),
            rate: Default::default(),
            calls: BTreeMap::new(),
            refresh_calls: 0,
            refreshes_ok: 0,
            codes_issued: 0,
            codes_used: 0,
            secrets_seen: Vec::new(),
            revoked: Vec::new(),
            creator_info_checked: HashSet::new(),
        }
    }

    /// Removes and returns the oldest queued fault that `pick` accepts.
    pub fn take_fault<T>(&mut self, mut pick: impl FnMut(&Fault) -> Option<T>) -> Option<T> {
        let (index, value) = self
            .faults
            .iter()
            .enumerate()
            .find_map(|(i, f)| pick(f).map(|v| (i, v)))?;
        self.faults.remove(index);
        Some(value)
    }

    pub fn token(&self, token: &str) -> Option<&TokenRec> {
        self.tokens.iter().rev().find(|t| t.token == token)
    }

    pub fn publish_mut(&mut self, publish_id: &str) -> Option<&mut Publish> {
        self.publishes
            .iter_mut()
            .find(|p| p.publish_id == publish_id)
    }

    pub fn snapshot(&self) -> Snapshot {
        let now = Instant::now();
        Snapshot {
            calls: self.calls.clone(),
            refresh_calls: self.refresh_calls,
            refreshes_ok: self.refreshes_ok,
            codes_issued: self.codes_issued,
            codes_used: self.codes_used,
            secrets_seen: self.secrets_seen.clone(),
            tokens: self.tokens.iter().map(|t| t.info(now)).collect(),
            revoked_tokens: self.revoked.clone(),
            publishes: self
                .publishes
                .iter()
                .map(|p| p.info(self.settings.processing_polls))
                .collect(),
            pending_faults: self.faults.iter().cloned().collect(),
        }
    }
}
