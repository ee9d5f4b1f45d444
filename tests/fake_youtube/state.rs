//! The fake's data: public types (options, the channel, faults, snapshots) and the internal state
//! behind one `std::sync::Mutex`, which no code holds across an `.await`.
//!
//! Every time the fake compares against (token and code expiry, session lifetime, the Pacific
//! quota day, `publishAt`) is read from one clock, the real UTC time plus an offset that tests
//! move with `FakeYouTube::advance_clock`: a week of Testing-mode refresh tokens or a quota reset
//! at PT midnight takes no real time.

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::Sha256;

/// Scope URL prefix (youtube-api.md §1.9).
pub const SCOPE_PREFIX: &str = "https://www.googleapis.com/auth/";
pub const SCOPE_UPLOAD: &str = "https://www.googleapis.com/auth/youtube.upload";
pub const SCOPE_READONLY: &str = "https://www.googleapis.com/auth/youtube.readonly";
pub const SCOPE_MANAGE: &str = "https://www.googleapis.com/auth/youtube";
pub const SCOPE_FORCE_SSL: &str = "https://www.googleapis.com/auth/youtube.force-ssl";
/// Scopes the fake's consent screen knows; anything else is `invalid_scope`.
pub const KNOWN_SCOPES: [&str; 7] = [
    SCOPE_UPLOAD,
    SCOPE_READONLY,
    SCOPE_MANAGE,
    SCOPE_FORCE_SSL,
    "openid",
    "email",
    "profile",
];

/// A 256 KiB upload unit: every non-final chunk is a multiple of it (youtube-api.md §2.2).
pub const CHUNK_UNIT: u64 = 262_144;

/// The YouTube channel of the Google account that "logs in" on the fake consent screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FakeChannel {
    /// `UC…`; the uploads playlist is the same id with `UU` instead.
    pub id: String,
    pub title: String,
    /// The Google account has no YouTube channel: `channels.list mine=true` answers `items: []`
    /// and inserts answer 401 `youtubeSignupRequired` (youtube-api.md §3.3, §4).
    pub missing: bool,
}

impl Default for FakeChannel {
    fn default() -> Self {
        Self {
            id: "UCfAkEcHaNnEl0000000000a".into(),
            title: "Fake Channel".into(),
            missing: false,
        }
    }
}

impl FakeChannel {
    pub fn uploads_playlist(&self) -> String {
        format!("UU{}", self.id.get(2..).unwrap_or_default())
    }
}

/// How to start the fake. `Default` gives Google's documented numbers (1 h access tokens, 10 min
/// codes, 10,000 units and 100 inserts per Pacific day).
#[derive(Debug, Clone)]
pub struct FakeOptions {
    pub client_id: String,
    pub client_secret: String,
    /// Other OAuth clients of the same project, `(id, secret)`: their refresh tokens presented
    /// with the main client's credentials answer 401 `unauthorized_client` (§1.6).
    pub extra_clients: Vec<(String, String)>,
    /// 0 picks a free port.
    pub port: u16,
    /// `expires_in` of access tokens (Google: ~3600 s).
    pub access_ttl: Duration,
    /// Authorization codes (Google does not say; RFC 6749 §4.1.2 recommends ≤ 10 min).
    pub code_ttl: Duration,
    /// Lifetime of a resumable session URI (Google: "finite", no number; §2.4).
    pub session_ttl: Duration,
    /// What an expired or dead session answers: 404 (documented) or 410 (not documented for
    /// YouTube, §2.4; a client should treat it like 404). Unknown sessions always answer 404.
    pub expired_session_status: u16,
    /// The consent screen is in "Testing": refresh tokens die 7 days after issue (§1.6).
    /// Google's answer does not say so (§1.5 documents `refresh_token_expires_in` only for
    /// time-based access), so neither does the fake's.
    pub testing_mode: bool,
    /// The user granted time-based access (§1.5: `refresh_token_expires_in` is "only set when
    /// the user grants time-based access"): the code exchange's answer carries this lifetime
    /// and the refresh token dies after it.
    pub refresh_expires_in: Option<Duration>,
    /// Refresh tokens per account per client before the oldest silently dies (§1.6: 100).
    pub refresh_token_cap: usize,
    /// Authorize demands `code_challenge_method=S256` (Google defaults to `plain`; postez must
    /// send S256, §1.4).
    pub require_s256: bool,
    /// A refresh token is issued only with `access_type=offline` (§1.2 DISAGREE: postez sends
    /// it, so the strict fake withholds the refresh token from a client that forgets it).
    pub refresh_needs_offline: bool,
    /// Inserts must carry `status.privacyStatus` and `status.selfDeclaredMadeForKids` (Google
    /// defaults them; postez must always send both, §3.1, §6).
    pub strict_status: bool,
    /// Project quota pool (units per Pacific day, §5.1).
    pub daily_units: u64,
    /// The "Video uploads" bucket: `videos.insert` calls per Pacific day (§5.1).
    pub daily_inserts: u64,
    /// `videos.list` polls answering `processing` after an upload completed (§4).
    pub processing_polls: u32,
    pub channel: FakeChannel,
    /// Unaudited project with the private lock of 2020 (§6): processed uploads end `private`
    /// whatever was asked.
    pub force_private: bool,
    /// What the user leaves ticked on the consent screen; `None` grants everything requested.
    pub granted_scopes: Option<Vec<String>>,
    /// The user presses Cancel: authorize redirects with `error=access_denied`.
    pub deny: bool,
    /// Where reassembled uploads are written; `None` uses a temporary directory removed on drop.
    pub data_dir: Option<PathBuf>,
    /// Added before answering every Google endpoint (not `/__fake/*`).
    pub latency: Duration,
    /// Keep what is uploaded: the reassembled file and its SHA-256. Default true. Benchmarks
    /// turn it off (`--discard-uploads`, as on the fake TikTok): every PUT is still checked,
    /// counted and answered as usual, but writing and hashing a gigabyte would cost the fake
    /// more than the client spends sending it, and then the fake would be measured.
    pub keep_uploads: bool,
}

impl Default for FakeOptions {
    fn default() -> Self {
        Self {
            client_id: "123456789012-fake.apps.googleusercontent.com".into(),
            client_secret: "GOCSPX-fake_client_secret".into(),
            extra_clients: Vec::new(),
            port: 0,
            access_ttl: Duration::from_secs(3599),
            code_ttl: Duration::from_secs(600),
            session_ttl: Duration::from_secs(7 * 86400),
            expired_session_status: 404,
            testing_mode: false,
            refresh_expires_in: None,
            refresh_token_cap: 100,
            require_s256: true,
            refresh_needs_offline: true,
            strict_status: true,
            daily_units: 10_000,
            daily_inserts: 100,
            processing_polls: 1,
            channel: FakeChannel::default(),
            force_private: false,
            granted_scopes: None,
            deny: false,
            data_dir: None,
            latency: Duration::ZERO,
            keep_uploads: true,
        }
    }
}

/// A Google endpoint, as named in faults and call counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    Authorize,
    Token,
    Revoke,
    /// `POST /upload/youtube/v3/videos?uploadType=resumable`: the session init.
    VideosInsert,
    /// `PUT` of a session URI: chunks and status queries.
    UploadPut,
    VideosList,
    VideosUpdate,
    VideosDelete,
    /// `POST /upload/youtube/v3/thumbnails/set`.
    ThumbnailsSet,
    ChannelsList,
    PlaylistItemsList,
}

impl Endpoint {
    /// Units from the 10,000 pool (§5.1); `videos.insert` spends its own bucket instead.
    pub(crate) fn units(self) -> u64 {
        match self {
            Endpoint::VideosList | Endpoint::ChannelsList | Endpoint::PlaylistItemsList => 1,
            Endpoint::VideosUpdate | Endpoint::VideosDelete | Endpoint::ThumbnailsSet => 50,
            _ => 0,
        }
    }

    /// Whether errors use the flat OAuth shape `{error, error_description}`.
    pub(crate) fn is_oauth(self) -> bool {
        matches!(
            self,
            Endpoint::Authorize | Endpoint::Token | Endpoint::Revoke
        )
    }
}

/// A one-shot fault. Faults fire in the order they were injected; a fault fires on the first
/// request it matches and is then gone. "Chunk `n`" is the session's `n`-th stored chunk
/// (0-based): a retry of a failed chunk has the same number.
///
/// JSON (for `POST /__fake/faults`): `{"kind":"status","endpoint":"videos_insert","http":503,
/// "reason":"backendError"}`, `{"kind":"final_reply_lost"}`, `{"kind":"reset_mid_chunk","chunk":1}`, …
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// The next call of `endpoint` answers `http` with `reason` in the endpoint's error shape,
    /// with `Retry-After` when given. Nothing else happens (no quota spent, a PUT's bytes dropped).
    Status {
        endpoint: Endpoint,
        http: u16,
        reason: String,
        #[serde(default)]
        retry_after: Option<u64>,
    },
    /// The PUT of chunk `chunk`: read about half its body, keep the 256 KiB-aligned part of it,
    /// then drop the TCP connection without answering (§10 "reset mid-body after storing a prefix").
    ResetMidChunk { chunk: u32 },
    /// The PUT of chunk `chunk`: read the body, store nothing, answer `http` (e.g. 503).
    ChunkStatus { chunk: u32, http: u16 },
    /// The PUT of chunk `chunk` keeps only its first `keep` bytes (rounded down to 256 KiB) and
    /// answers 308 with the shorter `Range` (§2.2: "Do not assume that the server received all").
    ShortStore { chunk: u32, keep: u64 },
    /// The 308 answering chunk `chunk` carries a new session URI in `Location` (§2.3); the old
    /// URI keeps working.
    Relocate { chunk: u32 },
    /// The PUT of chunk `chunk` finds its session expired: 404, and the session is dead.
    SessionExpires { chunk: u32 },
    /// The PUT that completes an upload stores every byte and creates the video, then drops the
    /// connection without the 201: the duplicate-upload trap (§2.5).
    FinalReplyLost,
    /// The next access token issued is born expired: the response looks normal, the token 401s.
    NextAccessTokenExpired,
    /// The next refresh answers this OAuth `error` (400; 401 for `invalid_client` and
    /// `unauthorized_client`); tokens are untouched.
    RefreshFails { error: String },
    /// The next quota-charged call (any Data API call) answers 403 `quotaExceeded`.
    QuotaExceeded,
    /// The next init answers 429 `rateLimitExceeded` "…'Video Uploads per day'…" (§5.2).
    DailyUploadsExceeded,
    /// The next init answers 400 `uploadLimitExceeded` (the channel's limit, §5.3).
    UploadLimitExceeded,
    /// The next video to finish uploading fails processing: `uploadStatus: failed` with this
    /// `failureReason` (e.g. `codec`), `processingStatus: failed`.
    ProcessingFails { reason: String },
    /// The next video to finish uploading is rejected with this `rejectionReason` (e.g. `duplicate`).
    Rejected { reason: String },
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
    Revoked,
    /// A refresh token dropped by the 100-per-client cap.
    Evicted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    Access,
    Refresh,
}

/// One token the fake issued; every token ever issued is listed, so tests can scan for leaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    pub token: String,
    pub kind: TokenKind,
    pub client_id: String,
    /// Space-separated granted scopes.
    pub scope: String,
    pub state: TokenState,
    pub expires_at: Option<DateTime<Utc>>,
}

/// What one authorize request asked for, as sent (so CLI tests can check `access_type`, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizeInfo {
    pub redirect_uri: String,
    pub scope: String,
    pub state: Option<String>,
    pub code_challenge_method: Option<String>,
    pub access_type: Option<String>,
    pub prompt: Option<String>,
    /// `None` when the request was refused or denied.
    pub code: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionState {
    Open,
    Complete,
    /// A gap or overlap was sent: "none of the remaining binary content will be uploaded".
    Dead,
    Expired,
}

/// One resumable session (an accepted init) and what was uploaded to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub upload_id: String,
    /// The session URI answered in `Location`.
    pub uri: String,
    pub state: SessionState,
    /// The JSON metadata of the init, exactly as sent.
    pub metadata: Value,
    pub part: String,
    pub notify_subscribers: bool,
    pub slug: Option<String>,
    /// `X-Upload-Content-Length` / `X-Upload-Content-Type`.
    pub total: u64,
    pub content_type: String,
    pub bytes_received: u64,
    /// Length of every stored chunk, in order.
    pub chunks: Vec<u64>,
    /// Lowercase hex SHA-256 of the reassembled file once complete.
    pub sha256: Option<String>,
    pub file: PathBuf,
    pub video_id: Option<String>,
    /// A data PUT is still being served (its client may be gone: a killed run's last chunk is
    /// read and hashed to its end).
    #[serde(default)]
    pub in_flight: bool,
}

/// One video on the fake channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VideoInfo {
    pub id: String,
    pub title: String,
    pub sha256: Option<String>,
    pub size: u64,
    /// `status.privacyStatus` as the insert asked (or defaulted).
    pub requested_privacy: String,
    /// What `videos.list` answers now (forced private, then public at `publishAt`).
    pub privacy: String,
    pub publish_at: Option<DateTime<Utc>>,
    pub upload_status: String,
    pub processing_status: String,
    pub failure_reason: Option<String>,
    pub rejection_reason: Option<String>,
    /// `videos.list` calls that included this id.
    pub polls: u32,
    /// Deleted through the API or removed by [`super::FakeYouTube::remove_video`]: listed nowhere.
    pub gone: bool,
    /// The last custom thumbnail sent with `thumbnails.set`.
    pub thumbnail: Option<Thumbnail>,
    /// The `status` part as last sent (insert or update: an update replaces it whole, §3.1).
    #[serde(default)]
    pub status: Map<String, Value>,
}

/// A custom thumbnail received by `thumbnails.set`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thumbnail {
    pub sha256: String,
    pub size: u64,
    /// False when it arrived before processing `succeeded`: YouTube answered 200 and ignored
    /// it (§7).
    pub applied: bool,
}

/// Quota spent on one Pacific day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaDay {
    pub units: u64,
    pub inserts: u64,
}

/// Everything a test may want to assert about the fake. Serialisable: `GET /__fake/state`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The fake clock now.
    pub now: DateTime<Utc>,
    /// Requests per endpoint, including rejected ones.
    pub calls: BTreeMap<Endpoint, u64>,
    pub refresh_calls: u64,
    pub refreshes_ok: u64,
    pub authorizations: Vec<AuthorizeInfo>,
    pub codes_issued: u64,
    pub codes_used: u64,
    /// Every code issued, and every verifier and client secret presented: what a leak test
    /// looks for besides [`Snapshot::tokens`].
    pub secrets_seen: Vec<String>,
    pub tokens: Vec<TokenInfo>,
    pub revoked_tokens: Vec<String>,
    pub sessions: Vec<SessionInfo>,
    pub videos: Vec<VideoInfo>,
    /// Quota per Pacific day (`YYYY-MM-DD` in America/Los_Angeles).
    pub quota: BTreeMap<NaiveDate, QuotaDay>,
    pub pending_faults: Vec<Fault>,
}

impl Snapshot {
    pub fn count(&self, endpoint: Endpoint) -> u64 {
        self.calls.get(&endpoint).copied().unwrap_or(0)
    }

    pub fn video(&self, id: &str) -> Option<&VideoInfo> {
        self.videos.iter().find(|v| v.id == id)
    }

    pub fn session(&self, upload_id: &str) -> Option<&SessionInfo> {
        self.sessions.iter().find(|s| s.upload_id == upload_id)
    }

    /// Videos whose bytes hash to `sha256`: "uploaded exactly once" is `== 1`.
    pub fn videos_with_sha256(&self, sha256: &str) -> usize {
        self.videos
            .iter()
            .filter(|v| v.sha256.as_deref() == Some(sha256))
            .count()
    }

    /// Quota spent today (Pacific).
    pub fn quota_today(&self) -> QuotaDay {
        self.quota
            .get(&pacific_day(self.now))
            .copied()
            .unwrap_or_default()
    }

    pub fn valid_tokens(&self, kind: TokenKind) -> Vec<&str> {
        self.tokens
            .iter()
            .filter(|t| t.kind == kind && t.state == TokenState::Valid)
            .map(|t| t.token.as_str())
            .collect()
    }
}

/// The quota day of `t`: quotas reset at midnight America/Los_Angeles, DST-aware (§5.1).
pub fn pacific_day(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&chrono_tz::America::Los_Angeles)
        .date_naive()
}

// ---------------------------------------------------------------------------------------------
// Internal state.

/// Runtime-adjustable behaviour (see `FakeYouTube::set_*` and `POST /__fake/settings`).
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub channel: FakeChannel,
    pub force_private: bool,
    pub processing_polls: u32,
    pub deny: bool,
    pub granted_scopes: Option<Vec<String>>,
    pub testing_mode: bool,
}

pub(crate) struct CodeRec {
    pub client_id: String,
    pub redirect_uri: String,
    pub challenge: String,
    /// `S256` or `plain`.
    pub method: String,
    pub scopes: Vec<String>,
    pub offline: bool,
    pub consent: bool,
    pub expires_at: DateTime<Utc>,
    pub used: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Life {
    Active,
    Revoked,
    Evicted,
}

pub(crate) struct TokenRec {
    pub token: String,
    pub kind: TokenKind,
    /// A code exchange and the access tokens refreshed from it share a grant.
    pub grant: u64,
    pub client_id: String,
    pub scopes: Vec<String>,
    /// `None`: does not expire by time (a production refresh token).
    pub expires_at: Option<DateTime<Utc>>,
    pub force_expired: bool,
    pub life: Life,
}

impl TokenRec {
    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        self.force_expired || self.expires_at.is_some_and(|e| now >= e)
    }

    pub fn usable(&self, now: DateTime<Utc>) -> bool {
        self.life == Life::Active && !self.expired(now)
    }

    pub fn info(&self, now: DateTime<Utc>) -> TokenInfo {
        TokenInfo {
            token: self.token.clone(),
            kind: self.kind,
            client_id: self.client_id.clone(),
            scope: self.scopes.join(" "),
            state: match self.life {
                Life::Revoked => TokenState::Revoked,
                Life::Evicted => TokenState::Evicted,
                Life::Active if self.expired(now) => TokenState::Expired,
                Life::Active => TokenState::Valid,
            },
            expires_at: self.expires_at,
        }
    }
}

pub(crate) struct Session {
    pub upload_id: String,
    /// Extra upload ids handed out by `Relocate`; they name this same session.
    pub aliases: Vec<String>,
    pub uri: String,
    pub state: SessionState,
    pub created: DateTime<Utc>,
    pub metadata: Map<String, Value>,
    pub part: String,
    pub notify_subscribers: bool,
    pub slug: Option<String>,
    pub total: u64,
    pub content_type: String,
    pub bytes_received: u64,
    pub chunks: Vec<u64>,
    /// SHA-256 of the committed bytes (they arrive in order).
    pub hasher: Sha256,
    pub sha256: Option<String>,
    pub file: PathBuf,
    pub video_id: Option<String>,
    /// A data PUT is being processed (status queries may run beside it).
    pub in_flight: bool,
}

impl Session {
    pub fn info(&self) -> SessionInfo {
        SessionInfo {
            upload_id: self.upload_id.clone(),
            uri: self.uri.clone(),
            state: self.state,
            metadata: Value::Object(self.metadata.clone()),
            part: self.part.clone(),
            notify_subscribers: self.notify_subscribers,
            slug: self.slug.clone(),
            total: self.total,
            content_type: self.content_type.clone(),
            bytes_received: self.bytes_received,
            chunks: self.chunks.clone(),
            sha256: self.sha256.clone(),
            file: self.file.clone(),
            video_id: self.video_id.clone(),
            in_flight: self.in_flight,
        }
    }
}

pub(crate) struct Video {
    pub id: String,
    pub upload_id: String,
    pub published_at: DateTime<Utc>,
    /// Parts from the insert's metadata: `snippet` and `status` objects as sent.
    pub snippet: Map<String, Value>,
    pub status: Map<String, Value>,
    pub requested_privacy: String,
    pub publish_at: Option<DateTime<Utc>>,
    /// Whether the video was ever public (publishAt may not be set again, §8).
    pub ever_public: bool,
    pub sha256: Option<String>,
    pub size: u64,
    pub file_name: Option<String>,
    pub polls: u32,
    pub failure_reason: Option<String>,
    pub rejection_reason: Option<String>,
    pub gone: bool,
    pub thumbnail: Option<Thumbnail>,
}

pub(crate) struct State {
    pub settings: Settings,
    pub clock_offset: TimeDelta,
    pub codes: std::collections::HashMap<String, CodeRec>,
    pub tokens: Vec<TokenRec>,
    pub next_grant: u64,
    /// The user has consented to this client before: without `prompt=consent` the next
    /// exchange gets no refresh token (§1.2 "only returned on the first authorization").
    pub consented: bool,
    pub authorizations: Vec<AuthorizeInfo>,
    pub sessions: Vec<Session>,
    pub videos: Vec<Video>,
    pub quota: BTreeMap<NaiveDate, QuotaDay>,
    pub faults: VecDeque<Fault>,
    pub calls: BTreeMap<Endpoint, u64>,
    pub refresh_calls: u64,
    pub refreshes_ok: u64,
    pub codes_issued: u64,
    pub codes_used: u64,
    pub secrets_seen: Vec<String>,
    pub revoked: Vec<String>,
}

impl State {
    pub fn new(settings: Settings) -> Self {
        Self {
            settings,
            clock_offset: TimeDelta::zero(),
            codes: Default::default(),
            tokens: Vec::new(),
            next_grant: 1,
            consented: false,
            authorizations: Vec::new(),
            sessions: Vec::new(),
            videos: Vec::new(),
            quota: BTreeMap::new(),
            faults: VecDeque::new(),
            calls: BTreeMap::new(),
            refresh_calls: 0,
            refreshes_ok: 0,
            codes_issued: 0,
            codes_used: 0,
            secrets_seen: Vec::new(),
            revoked: Vec::new(),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.clock_offset
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

    pub fn quota_today(&mut self) -> &mut QuotaDay {
        let day = pacific_day(self.now());
        self.quota.entry(day).or_default()
    }

    pub fn session_mut(&mut self, upload_id: &str) -> Option<&mut Session> {
        self.sessions
            .iter_mut()
            .find(|s| s.upload_id == upload_id || s.aliases.iter().any(|a| a == upload_id))
    }

    pub fn video_mut(&mut self, id: &str) -> Option<&mut Video> {
        self.videos.iter_mut().find(|v| v.id == id)
    }

    pub fn snapshot(&self) -> Snapshot {
        let now = self.now();
        Snapshot {
            now,
            calls: self.calls.clone(),
            refresh_calls: self.refresh_calls,
            refreshes_ok: self.refreshes_ok,
            authorizations: self.authorizations.clone(),
            codes_issued: self.codes_issued,
            codes_used: self.codes_used,
            secrets_seen: self.secrets_seen.clone(),
            tokens: self.tokens.iter().map(|t| t.info(now)).collect(),
            revoked_tokens: self.revoked.clone(),
            sessions: self.sessions.iter().map(Session::info).collect(),
            videos: self
                .videos
                .iter()
                .map(|v| v.info(now, &self.settings))
                .collect(),
            quota: self.quota.clone(),
            pending_faults: self.faults.iter().cloned().collect(),
        }
    }
}

impl Video {
    /// Upload and processing status now: `processing` for the configured number of polls, then
    /// the terminal state (§4).
    pub fn statuses(&self, settings: &Settings) -> (&'static str, &'static str) {
        if self.polls <= settings.processing_polls {
            return ("uploaded", "processing");
        }
        if self.rejection_reason.is_some() {
            ("rejected", "terminated")
        } else if self.failure_reason.is_some() {
            ("failed", "failed")
        } else {
            ("processed", "succeeded")
        }
    }

    /// `privacyStatus` now: the private lock of an unaudited project (§6), then `publishAt`
    /// turning a processed private video public once the fake clock passes it (§8).
    pub fn privacy(&self, now: DateTime<Utc>, settings: &Settings) -> String {
        if settings.force_private {
            return "private".into();
        }
        let processed = self.statuses(settings).0 == "processed";
        match self.publish_at {
            Some(at) if processed && now >= at => "public".into(),
            _ => self.requested_privacy.clone(),
        }
    }

    pub fn info(&self, now: DateTime<Utc>, settings: &Settings) -> VideoInfo {
        let (upload, processing) = self.statuses(settings);
        VideoInfo {
            id: self.id.clone(),
            title: self
                .snippet
                .get("title")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            sha256: self.sha256.clone(),
            size: self.size,
            requested_privacy: self.requested_privacy.clone(),
            privacy: self.privacy(now, settings),
            publish_at: self.publish_at,
            upload_status: upload.into(),
            processing_status: processing.into(),
            failure_reason: self.failure_reason.clone(),
            rejection_reason: self.rejection_reason.clone(),
            polls: self.polls,
            gone: self.gone,
            thumbnail: self.thumbnail.clone(),
            status: self.status.clone(),
        }
    }
}
