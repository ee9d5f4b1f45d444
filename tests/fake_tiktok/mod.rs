//! A strict fake of TikTok's Login Kit (desktop, loopback PKCE) and Content Posting API, served
//! over loopback for postez's integration tests, demo and benchmarks. It is written from
//! `shared/tiktok-api.md` §1–§2 and rejects what TikTok documents as wrong: a stub that answers
//! "ok" to anything proves nothing.
//!
//! Start it with [`FakeTikTok::start`]; point `POSTEZ_TIKTOK_AUTH_URL` at
//! [`FakeTikTok::authorize_url`] and `POSTEZ_TIKTOK_API_URL` at [`FakeTikTok::base_url`]. The
//! authorize endpoint plays the browser and the consent screen: a GET answers with the 302 to the
//! app's loopback `redirect_uri` that a user's click would produce.
//!
//! TikTok endpoints (same paths as `open.tiktokapis.com`, trailing slashes required):
//! `GET /v2/auth/authorize/`, `POST /v2/oauth/token/`, `POST /v2/oauth/revoke/`,
//! `GET /v2/user/info/`, `POST /v2/post/publish/creator_info/query/`,
//! `POST /v2/post/publish/video/init/`, `POST /v2/post/publish/inbox/video/init/`,
//! `POST /v2/post/publish/status/fetch/`, and the upload URL `PUT /upload/{upload_id}?upload_token=…`.
//!
//! Control surface (not TikTok; for scripts and the `fake-tiktok` example):
//! `GET /__fake/state` ([`Snapshot`] as JSON), `POST /__fake/faults` (a [`Fault`] as JSON),
//! `POST /__fake/expire-access`, `POST /__fake/expire-refresh`, `POST /__fake/reset`, and
//! `POST /__fake/settings` (`{"unaudited":true,"processing_polls":3,"deny":false,
//! "granted_scopes":["user.info.basic"] or null,"app_scopes":["user.info.basic","video.upload"],
//! "client_secret":"rotated","user":{…}}`, every key optional).
//!
//! Where TikTok's documentation is silent the fake picks the strict-but-sane reading; each such
//! choice is marked `CHOICE:` in the code, and each answer TikTok does not document is `UNCONFIRMED`.

// Each user of this module (the CLI tests, the example binary) uses a different part of it.
#![allow(dead_code, unused_imports)]
// Handlers bail out with a ready `Response` as their error (the axum idiom); its size is no concern.
#![allow(clippy::result_large_err)]

mod control;
mod media;
mod oauth;
mod posting;
mod reply;
mod server;
mod state;
mod upload;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::response::Response;
use axum::routing::{get, post, put};

pub use state::{
    APP_SCOPES, Endpoint, FakeOptions, FakeUser, Fault, PublishInfo, PublishMode, Snapshot,
    TokenInfo, TokenKind, TokenState,
};
use state::{Settings, State};

/// A running fake. It serves from its own thread and Tokio runtime, so it keeps answering while
/// the test's runtime (or thread) is blocked, e.g. in `std::process::Command::output()`.
/// Dropping it stops the server, closes its connections and removes the temporary upload
/// directory (when [`FakeOptions::data_dir`] was `None`).
pub struct FakeTikTok {
    inner: Arc<Inner>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    _tmp: Option<tempfile::TempDir>,
}

impl FakeTikTok {
    /// Binds `127.0.0.1:{opts.port}` and starts serving. Same as [`FakeTikTok::start_blocking`];
    /// `async` only for call-site convenience.
    pub async fn start(opts: FakeOptions) -> std::io::Result<FakeTikTok> {
        Self::start_blocking(opts)
    }

    /// Binds `127.0.0.1:{opts.port}` and starts serving; usable from plain `#[test]`s.
    pub fn start_blocking(opts: FakeOptions) -> std::io::Result<FakeTikTok> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", opts.port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (data_dir, tmp) = match opts.data_dir {
            Some(dir) => {
                std::fs::create_dir_all(&dir)?;
                (dir, None)
            }
            None => {
                let tmp = tempfile::Builder::new().prefix("fake-tiktok-").tempdir()?;
                (tmp.path().to_path_buf(), Some(tmp))
            }
        };
        let settings = Settings {
            user: opts.user,
            unaudited: opts.unaudited,
            processing_polls: opts.processing_polls,
            deny: opts.deny,
            granted_scopes: opts.granted_scopes,
            app_scopes: opts.app_scopes,
            rotated_secret: None,
        };
        let inner = Arc::new(Inner {
            client_key: opts.client_key,
            client_secret: opts.client_secret,
            access_ttl: opts.access_ttl,
            refresh_ttl: opts.refresh_ttl,
            upload_url_ttl: opts.upload_url_ttl,
            rate_window: opts.rate_window,
            inbox_pending_cap: opts.inbox_pending_cap,
            check_media: opts.check_media,
            latency: opts.latency,
            keep_uploads: opts.keep_uploads,
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
            .name(format!("fake-tiktok-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    tokio::select! {
                        () = server::serve(listener, router) => {}
                        _ = stop => {}
                    }
                });
                // Dropping the runtime cancels every connection task.
            })?;
        Ok(FakeTikTok {
            inner,
            shutdown: Some(shutdown),
            thread: Some(thread),
            _tmp: tmp,
        })
    }

    /// `http://127.0.0.1:PORT`: the API base (`POSTEZ_TIKTOK_API_URL`).
    pub fn base_url(&self) -> String {
        self.inner.base_url.clone()
    }

    /// `{base}/v2/auth/authorize/` (`POSTEZ_TIKTOK_AUTH_URL`).
    pub fn authorize_url(&self) -> String {
        format!("{}/v2/auth/authorize/", self.inner.base_url)
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

    /// Every access token issued so far now answers 401 `access_token_invalid`.
    pub fn expire_access_tokens(&self) {
        self.inner.expire(state::TokenKind::Access);
    }

    /// Every refresh token issued so far is now refused with `invalid_grant`.
    pub fn expire_refresh_tokens(&self) {
        self.inner.expire(state::TokenKind::Refresh);
    }

    /// Replaces the account. Tokens keep the `open_id` they were issued with.
    pub fn set_user(&self, user: FakeUser) {
        self.inner.lock().settings.user = user;
    }

    pub fn set_unaudited(&self, unaudited: bool) {
        self.inner.lock().settings.unaudited = unaudited;
    }

    pub fn set_processing_polls(&self, polls: u32) {
        self.inner.lock().settings.processing_polls = polls;
    }

    pub fn set_deny(&self, deny: bool) {
        self.inner.lock().settings.deny = deny;
    }

    pub fn set_granted_scopes(&self, scopes: Option<Vec<String>>) {
        self.inner.lock().settings.granted_scopes = scopes;
    }

    /// The developer rotates the app's client secret: from now on only `secret` is accepted at
    /// the token and revoke endpoints (`invalid_client` otherwise, as TikTok answers).
    pub fn rotate_client_secret(&self, secret: &str) {
        self.inner.lock().settings.rotated_secret = Some(secret.to_string());
    }

    /// Forgets every code, token, publish, fault and counter, deletes uploaded files and restores
    /// the settings given at start.
    pub fn reset(&self) {
        self.inner.reset();
    }
}

impl Drop for FakeTikTok {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        // Waits for the port and the upload files to be released before the tempdir goes.
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Shared by every handler.
pub(crate) struct Inner {
    pub client_key: String,
    pub client_secret: String,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    pub upload_url_ttl: Duration,
    pub rate_window: Duration,
    pub inbox_pending_cap: u32,
    pub check_media: bool,
    pub latency: Duration,
    pub keep_uploads: bool,
    pub data_dir: PathBuf,
    pub base_url: String,
    pub initial: Settings,
    pub state: Mutex<State>,
}

impl Inner {
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking handler must not wedge the fake for the rest of a test run.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts the call, waits the configured latency, applies a pending `Delay`, and returns a
    /// pending `Status` fault as `(http, code)`. Every TikTok handler starts here.
    pub(crate) async fn begin(&self, endpoint: Endpoint) -> Option<(u16, String)> {
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
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
                code,
            } if *e == endpoint => Some((*http, code.clone())),
            _ => None,
        })
    }

    /// The response of an injected `Status` fault, in the endpoint's error shape.
    pub(crate) fn fault_response(endpoint: Endpoint, http: u16, code: &str) -> Response {
        let msg = "Injected by the fake TikTok server.";
        if endpoint.is_oauth() {
            reply::oauth_error_with(http, code, msg)
        } else {
            reply::envelope(http, code, msg, serde_json::json!({}))
        }
    }

    fn expire(&self, kind: state::TokenKind) {
        let mut st = self.lock();
        for t in st.tokens.iter_mut().filter(|t| t.kind == kind) {
            t.force_expired = true;
        }
    }

    fn reset(&self) {
        let files: Vec<PathBuf> = {
            let mut st = self.lock();
            let files = st.publishes.iter().map(|p| p.file.clone()).collect();
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
        .route("/v2/auth/authorize/", get(oauth::authorize))
        .route("/v2/oauth/token/", post(oauth::token))
        .route("/v2/oauth/revoke/", post(oauth::revoke))
        .route("/v2/user/info/", get(oauth::user_info))
        .route(
            "/v2/post/publish/creator_info/query/",
            post(posting::creator_info),
        )
        .route("/v2/post/publish/video/init/", post(posting::direct_init))
        .route(
            "/v2/post/publish/inbox/video/init/",
            post(posting::inbox_init),
        )
        .route(
            "/v2/post/publish/status/fetch/",
            post(posting::status_fetch),
        )
        .route("/upload/{upload_id}", put(upload::put_chunk))
        .merge(control::routes())
        .fallback(not_found)
        .with_state(inner)
}

async fn not_found() -> Response {
    // UNCONFIRMED: TikTok's answer for unknown paths. Note `/v2/oauth/token` (no slash) lands here.
    reply::envelope(
        404,
        "not_found",
        "No such endpoint on the fake TikTok server (paths end with '/').",
        serde_json::json!({}),
    )
}
