//! A strict fake of Google's OAuth for installed apps and the YouTube Data API v3 (resumable
//! `videos.insert`, `videos.list`/`update`/`delete`, `channels.list`, `playlistItems.list`),
//! served over loopback for postez's tests. It is written from `shared/youtube-api.md` (§1–§5,
//! §8, and §10 "What a strict local fake must enforce") and rejects what Google documents as
//! wrong; it is the fake TikTok's sibling (`tests/fake_tiktok/`) and shares its accept loop.
//!
//! Start it with [`FakeYouTube::start`]; point `POSTEZ_YOUTUBE_AUTH_URL` at
//! [`FakeYouTube::auth_url`], `POSTEZ_YOUTUBE_TOKEN_URL` at [`FakeYouTube::token_url`],
//! `POSTEZ_YOUTUBE_REVOKE_URL` at [`FakeYouTube::revoke_url`] and `POSTEZ_YOUTUBE_API_URL` at
//! [`FakeYouTube::api_url`]. The authorize endpoint plays the browser, the account chooser and
//! the consent screen: a GET answers with the 302 to the app's loopback `redirect_uri` that the
//! user's click would produce.
//!
//! Google endpoints (same paths as accounts.google.com, oauth2.googleapis.com and
//! www.googleapis.com): `GET /o/oauth2/v2/auth`, `POST /token`, `POST /revoke`,
//! `POST /upload/youtube/v3/videos?uploadType=resumable&part=…` (init) and `PUT` of the session
//! URI it returns, `POST /upload/youtube/v3/thumbnails/set`, `GET|PUT|DELETE /youtube/v3/videos`,
//! `GET /youtube/v3/channels`, `GET /youtube/v3/playlistItems`.
//!
//! Control surface (not Google): `GET /__fake/state` ([`Snapshot`] as JSON), `POST /__fake/faults`
//! (a [`Fault`] as JSON), `POST /__fake/expire-access`, `POST /__fake/expire-refresh`,
//! `POST /__fake/expire-sessions`, `POST /__fake/advance` (`{"secs":N}`), `POST /__fake/reset`,
//! `POST /__fake/settings` (`{"force_private":true,"processing_polls":3,"deny":false,
//! "granted_scopes":[…] or null,"testing_mode":true,"channel":{…}}`, every key optional).
//!
//! Where Google's documentation is silent the fake picks the strict-but-sane reading; each such
//! choice is marked `CHOICE:` in the code, and each answer Google does not document `UNCONFIRMED`.

// Each user of this module uses a different part of it.
#![allow(dead_code, unused_imports)]
// Handlers bail out with a ready `Response` as their error (the axum idiom).
#![allow(clippy::result_large_err)]

mod control;
mod data;
mod oauth;
mod reply;
// The same accept loop as the fake TikTok (it lets a handler drop its connection unanswered).
// A binary holding both fakes compiles it twice, once per fake: harmless, it has no statics.
#[allow(clippy::duplicate_mod)]
#[path = "../fake_tiktok/server.rs"]
mod server;
mod state;
mod thumbnails;
mod upload;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::http::HeaderValue;
use axum::response::Response;
use axum::routing::{get, post};
use chrono::{DateTime, TimeDelta, Utc};

pub use state::{
    AuthorizeInfo, CHUNK_UNIT, Endpoint, FakeChannel, FakeOptions, Fault, KNOWN_SCOPES, QuotaDay,
    SCOPE_FORCE_SSL, SCOPE_MANAGE, SCOPE_READONLY, SCOPE_UPLOAD, SessionInfo, SessionState,
    Snapshot, Thumbnail, TokenInfo, TokenKind, TokenState, VideoInfo, pacific_day,
};
use state::{Settings, State};

/// A running fake. It serves from its own thread and Tokio runtime, so it keeps answering while
/// the test's runtime (or thread) is blocked, e.g. in `std::process::Command::output()`.
/// Dropping it stops the server, closes its connections and removes the temporary upload
/// directory (when [`FakeOptions::data_dir`] was `None`).
pub struct FakeYouTube {
    inner: Arc<Inner>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    _tmp: Option<tempfile::TempDir>,
}

impl FakeYouTube {
    /// Binds `127.0.0.1:{opts.port}` and starts serving. Same as [`FakeYouTube::start_blocking`].
    pub async fn start(opts: FakeOptions) -> std::io::Result<FakeYouTube> {
        Self::start_blocking(opts)
    }

    /// Binds `127.0.0.1:{opts.port}` and starts serving; usable from plain `#[test]`s.
    pub fn start_blocking(opts: FakeOptions) -> std::io::Result<FakeYouTube> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", opts.port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (data_dir, tmp) = match opts.data_dir.clone() {
            Some(dir) => {
                std::fs::create_dir_all(&dir)?;
                (dir, None)
            }
            None => {
                let tmp = tempfile::Builder::new().prefix("fake-youtube-").tempdir()?;
                (tmp.path().to_path_buf(), Some(tmp))
            }
        };
        let settings = Settings {
            channel: opts.channel.clone(),
            force_private: opts.force_private,
            processing_polls: opts.processing_polls,
            deny: opts.deny,
            granted_scopes: opts.granted_scopes.clone(),
            testing_mode: opts.testing_mode,
        };
        let inner = Arc::new(Inner {
            opts,
            data_dir,
            base_url: format!("http://{addr}"),
            initial: settings.clone(),
            state: Mutex::new(State::new(settings)),
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let listener = {
            let _guard = runtime.enter();
            tokio::net::TcpListener::from_std(listener)?
        };
        let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
        let router = routes(inner.clone());
        let thread = std::thread::Builder::new()
            .name(format!("fake-youtube-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    tokio::select! {
                        () = server::serve(listener, router) => {}
                        _ = stop => {}
                    }
                });
            })?;
        Ok(FakeYouTube {
            inner,
            shutdown: Some(shutdown),
            thread: Some(thread),
            _tmp: tmp,
        })
    }

    /// `http://127.0.0.1:PORT`: every endpoint lives under it.
    pub fn base_url(&self) -> String {
        self.inner.base_url.clone()
    }

    /// `POSTEZ_YOUTUBE_AUTH_URL`: `{base}/o/oauth2/v2/auth`.
    pub fn auth_url(&self) -> String {
        format!("{}/o/oauth2/v2/auth", self.inner.base_url)
    }

    /// `POSTEZ_YOUTUBE_TOKEN_URL`: `{base}/token`.
    pub fn token_url(&self) -> String {
        format!("{}/token", self.inner.base_url)
    }

    /// `POSTEZ_YOUTUBE_REVOKE_URL`: `{base}/revoke`.
    pub fn revoke_url(&self) -> String {
        format!("{}/revoke", self.inner.base_url)
    }

    /// `POSTEZ_YOUTUBE_API_URL`: the base of `/youtube/v3/…` and `/upload/youtube/v3/…`.
    pub fn api_url(&self) -> String {
        self.inner.base_url.clone()
    }

    /// The four `POSTEZ_YOUTUBE_*_URL` variables and the client's id and secret
    /// (`POSTEZ_YOUTUBE_CLIENT_ID`/`_SECRET`, issue 12), ready for `Command::envs`.
    pub fn env(&self) -> [(&'static str, String); 6] {
        [
            ("POSTEZ_YOUTUBE_AUTH_URL", self.auth_url()),
            ("POSTEZ_YOUTUBE_TOKEN_URL", self.token_url()),
            ("POSTEZ_YOUTUBE_REVOKE_URL", self.revoke_url()),
            ("POSTEZ_YOUTUBE_API_URL", self.api_url()),
            (
                "POSTEZ_YOUTUBE_CLIENT_ID",
                self.inner.opts.client_id.clone(),
            ),
            (
                "POSTEZ_YOUTUBE_CLIENT_SECRET",
                self.inner.opts.client_secret.clone(),
            ),
        ]
    }

    pub fn client_id(&self) -> &str {
        &self.inner.opts.client_id
    }

    pub fn client_secret(&self) -> &str {
        &self.inner.opts.client_secret
    }

    /// Where reassembled uploads are written.
    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }

    /// Queues a one-shot fault.
    pub fn inject(&self, fault: Fault) {
        self.inner.lock().faults.push_back(fault);
    }

    /// Drops the faults not fired yet; returns how many there were.
    pub fn clear_faults(&self) -> usize {
        let mut st = self.inner.lock();
        let n = st.faults.len();
        st.faults.clear();
        n
    }

    pub fn state(&self) -> Snapshot {
        self.inner.lock().snapshot()
    }

    /// The fake clock (real time plus what [`FakeYouTube::advance_clock`] added).
    pub fn now(&self) -> DateTime<Utc> {
        self.inner.lock().now()
    }

    /// Moves the fake clock forward: tokens, codes and sessions age, the Pacific quota day may
    /// roll over, scheduled videos go public.
    pub fn advance_clock(&self, by: Duration) {
        self.inner.advance(by);
    }

    /// Every access token issued so far now answers 401 `authError`.
    pub fn expire_access_tokens(&self) {
        self.inner.expire(TokenKind::Access);
    }

    /// Every refresh token issued so far is now refused with `invalid_grant`.
    pub fn expire_refresh_tokens(&self) {
        self.inner.expire(TokenKind::Refresh);
    }

    /// Every open upload session now answers 404 (§2.4: "eventually expires").
    pub fn expire_sessions(&self) {
        self.inner.expire_sessions();
    }

    /// YouTube removes the video (rejection after the fact, the owner deleting it in Studio):
    /// `videos.list` answers `items: []` for it (§4) and the uploads playlist drops it.
    pub fn remove_video(&self, id: &str) -> bool {
        match self.inner.lock().video_mut(id) {
            Some(v) => {
                v.gone = true;
                true
            }
            None => false,
        }
    }

    /// Spends quota today as if calls had been made (e.g. to start a test near exhaustion).
    pub fn spend_quota(&self, units: u64, inserts: u64) {
        let mut st = self.inner.lock();
        let day = st.quota_today();
        day.units += units;
        day.inserts += inserts;
    }

    pub fn set_channel(&self, channel: FakeChannel) {
        self.inner.lock().settings.channel = channel;
    }

    /// Unaudited project with the 2020 private lock (§6).
    pub fn set_force_private(&self, on: bool) {
        self.inner.lock().settings.force_private = on;
    }

    pub fn set_processing_polls(&self, polls: u32) {
        self.inner.lock().settings.processing_polls = polls;
    }

    pub fn set_deny(&self, deny: bool) {
        self.inner.lock().settings.deny = deny;
    }

    /// What the user leaves ticked on the consent screen (full scope URLs); `None`: all.
    pub fn set_granted_scopes(&self, scopes: Option<Vec<String>>) {
        self.inner.lock().settings.granted_scopes = scopes;
    }

    /// The consent screen's publishing status is "Testing": new refresh tokens live 7 days.
    pub fn set_testing_mode(&self, on: bool) {
        self.inner.lock().settings.testing_mode = on;
    }

    /// Forgets every code, token, session, video, quota, fault and counter, deletes uploaded
    /// files, puts the clock back and restores the settings given at start.
    pub fn reset(&self) {
        self.inner.reset();
    }
}

impl Drop for FakeYouTube {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Shared by every handler.
pub(crate) struct Inner {
    pub opts: FakeOptions,
    pub data_dir: PathBuf,
    pub base_url: String,
    pub initial: Settings,
    pub state: Mutex<State>,
}

/// An injected `Status` fault, ready to answer.
pub(crate) struct Injected {
    pub http: u16,
    pub reason: String,
    pub retry_after: Option<u64>,
}

impl Inner {
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking handler must not wedge the fake for the rest of a test run.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts the call, waits the configured latency, applies a pending `Delay`, and returns a
    /// pending `Status` fault. Every Google handler starts here.
    pub(crate) async fn begin(&self, endpoint: Endpoint) -> Option<Injected> {
        if !self.opts.latency.is_zero() {
            tokio::time::sleep(self.opts.latency).await;
        }
        let delay = {
            let mut st = self.lock();
            *st.calls.entry(endpoint).or_default() += 1;
            st.take_fault(|f| match f {
                Fault::Delay { endpoint: e, ms } if *e == endpoint => Some(*ms),
                _ => None,
            })
        };
        if let Some(ms) = delay {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        self.lock().take_fault(|f| match f {
            Fault::Status {
                endpoint: e,
                http,
                reason,
                retry_after,
            } if *e == endpoint => Some(Injected {
                http: *http,
                reason: reason.clone(),
                retry_after: *retry_after,
            }),
            _ => None,
        })
    }

    /// The response of an injected `Status` fault, in the endpoint's error shape.
    pub(crate) fn fault_response(endpoint: Endpoint, f: &Injected) -> Response {
        let msg = "Injected by the fake YouTube server.";
        let mut resp = if endpoint.is_oauth() {
            reply::oauth_error_with(f.http, &f.reason, msg)
        } else {
            reply::api_error(f.http, &f.reason, msg)
        };
        if let Some(secs) = f.retry_after {
            resp.headers_mut()
                .insert("retry-after", HeaderValue::from(secs));
        }
        resp
    }

    fn advance(&self, by: Duration) {
        let mut st = self.lock();
        st.clock_offset += TimeDelta::from_std(by).unwrap_or(TimeDelta::zero());
    }

    fn expire(&self, kind: TokenKind) {
        let mut st = self.lock();
        for t in st.tokens.iter_mut().filter(|t| t.kind == kind) {
            t.force_expired = true;
        }
    }

    fn expire_sessions(&self) {
        let mut st = self.lock();
        for s in st
            .sessions
            .iter_mut()
            .filter(|s| s.state == SessionState::Open)
        {
            s.state = SessionState::Expired;
        }
    }

    fn reset(&self) {
        let files: Vec<PathBuf> = {
            let mut st = self.lock();
            let files = st.sessions.iter().map(|s| s.file.clone()).collect();
            *st = State::new(self.initial.clone());
            files
        };
        for f in files {
            let _ = std::fs::remove_file(f);
        }
    }
}

fn routes(inner: Arc<Inner>) -> Router {
    Router::new()
        .route("/o/oauth2/v2/auth", get(oauth::authorize))
        .route("/token", post(oauth::token))
        .route("/revoke", post(oauth::revoke))
        .route(
            "/upload/youtube/v3/videos",
            post(upload::init).put(upload::put_session),
        )
        .route(
            "/youtube/v3/videos",
            get(data::videos_list)
                .put(data::videos_update)
                .delete(data::videos_delete),
        )
        .route("/upload/youtube/v3/thumbnails/set", post(thumbnails::set))
        .route("/youtube/v3/channels", get(data::channels_list))
        .route("/youtube/v3/playlistItems", get(data::playlist_items_list))
        .merge(control::routes())
        .fallback(not_found)
        .with_state(inner)
}

async fn not_found() -> Response {
    reply::api_error(
        404,
        "notFound",
        "No such endpoint on the fake YouTube server.",
    )
}
