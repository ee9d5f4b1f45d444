//! The publishing engine behind `postez run`: take the run lock, fail posts that are too late,
//! claim the due ones, and publish them (accounts in parallel, each account's posts in order),
//! following the state machine in shared/design.md so that every post is published exactly once
//! or clearly failed:
//! - `publish_id` and the upload URL are committed before the first byte is sent;
//! - an upload that completed (201) is only ever polled, never initialised again;
//! - a post whose upload did not complete may be initialised again (TikTok cannot publish it);
//! - a post left `publishing` by a dead run is resumed by the next one.
//!
//! It reports through [`Progress`] and never prints.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;

use crate::auth;
use crate::config::Config;
use crate::env::{Env, Paths};
use crate::error::{Error, Result};
use crate::post::{Mode, Post, PostId, Privacy};
use crate::provider::tiktok::{ChunkPlan, CreatorInfo, PostStatus, PutOutcome, TikTok};
use crate::provider::{ErrorClass, Tokens};
use crate::secrets::{Secret, SecretStore};
use crate::store::{Account, Settle, Store, UploadState};

/// How long an upload URL is good for (TikTok: one hour).
const UPLOAD_URL_LIFE: chrono::Duration = chrono::Duration::minutes(60);
/// Don't start resuming an upload whose URL has less than this left.
const UPLOAD_URL_MARGIN: chrono::Duration = chrono::Duration::minutes(5);
/// Retries of one chunk within a run (5xx, resets) before the attempt is given up.
const CHUNK_TRIES: u32 = 5;

/// What a run is told to do.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Accounts published in parallel.
    pub jobs: usize,
    /// Check everything that needs no upload, change nothing.
    pub dry_run: bool,
    /// Pause between status polls.
    pub poll_interval: Duration,
    /// How long to keep polling one post in this run before leaving it for the next.
    pub poll_budget: Duration,
    /// Rate-limit window (TikTok: a minute).
    pub rate_window: Duration,
    /// Pause before retrying a chunk (doubles each time).
    pub chunk_backoff: Duration,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            jobs: 2,
            dry_run: false,
            poll_interval: Duration::from_secs(5),
            poll_budget: Duration::from_secs(120),
            rate_window: Duration::from_secs(60),
            chunk_backoff: Duration::from_millis(500),
        }
    }
}

/// The post an event is about.
#[derive(Debug, Clone, PartialEq)]
pub struct Subject {
    /// Queue id.
    pub id: PostId,
    /// File name.
    pub file: String,
    /// Direct or draft.
    pub mode: Mode,
}

impl Subject {
    fn of(post: &Post) -> Self {
        Self {
            id: post.id,
            file: Path::new(&post.file)
                .file_name()
                .map_or_else(|| post.file.clone(), |n| n.to_string_lossy().into_owned()),
            mode: post.options.mode,
        }
    }
}

/// What happens during a run, in order, for the reporter.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The run took this many due posts (resumed ones included).
    Claimed {
        /// How many.
        count: u32,
    },
    /// An upload begins (or resumes from `offset`).
    Started {
        /// The post.
        post: Subject,
        /// Creator nickname (TikTok requires showing it) or account name.
        account: String,
        /// File size.
        bytes: u64,
        /// Bytes TikTok already has (resumed uploads).
        offset: u64,
    },
    /// 25, 50, 75 or 100 % of the bytes are sent.
    Milestone {
        /// The post.
        post: Subject,
        /// Percent.
        percent: u8,
    },
    /// The upload is complete; TikTok is processing.
    Processing {
        /// The post.
        post: Subject,
    },
    /// Live on TikTok.
    Published {
        /// The post.
        post: Subject,
        /// Public post id, when TikTok gave one.
        post_id: Option<String>,
    },
    /// In the creator's TikTok inbox.
    SentToInbox {
        /// The post.
        post: Subject,
    },
    /// Failed for good.
    Failed {
        /// The post.
        post: Subject,
        /// Error code.
        code: Option<String>,
        /// One sentence.
        message: String,
        /// What to do.
        hint: Option<String>,
    },
    /// A temporary failure; the post is queued again.
    Retrying {
        /// The post.
        post: Subject,
        /// Why.
        message: String,
        /// When it will be tried again.
        next_at: DateTime<Utc>,
    },
    /// Not attempted this run (no usable login, creator cannot post now); still queued.
    Blocked {
        /// The post.
        post: Subject,
        /// Why.
        message: String,
        /// What to do.
        hint: Option<String>,
    },
    /// TikTok is still processing after this run's polling budget; the next run polls again.
    StillProcessing {
        /// The post.
        post: Subject,
    },
    /// Stopped by a signal after a chunk; the next run resumes.
    Interrupted {
        /// The post.
        post: Subject,
    },
    /// A setting was adjusted to what the creator allows (TikTok's rule).
    Adjusted {
        /// The post.
        post: Subject,
        /// What changed.
        message: String,
    },
    /// `--dry-run`: what would happen.
    WouldPublish {
        /// The post.
        post: Subject,
        /// Summary of the checks.
        message: String,
    },
}

/// Receives the engine's events. Implemented by the CLI's reporter; must be cheap, as
/// `bytes` is called for every MiB sent.
pub trait Progress: Send + Sync {
    /// Something happened.
    fn event(&self, event: &Event);
    /// `sent` of `total` bytes of `post` are uploaded.
    fn bytes(&self, post: PostId, sent: u64, total: u64);
}

/// Log every event (at info level) before passing it on: the log file of `run` is the record
/// nobody watched live.
pub fn logged(inner: Arc<dyn Progress>) -> Arc<dyn Progress> {
    Arc::new(Logged(inner))
}

struct Logged(Arc<dyn Progress>);

impl Progress for Logged {
    fn event(&self, event: &Event) {
        // Info, not warn: stderr already gets the reporter's human line for every event, and
        // cron mail should not repeat it as a debug dump. The log file records all of them.
        tracing::info!("{event:?}");
        self.0.event(event);
    }

    fn bytes(&self, post: PostId, sent: u64, total: u64) {
        self.0.bytes(post, sent, total);
    }
}

/// What a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Posts found due (including resumed ones).
    pub due: u32,
    /// Published.
    pub published: u32,
    /// Sent to the inbox.
    pub sent: u32,
    /// Failed for good (including missed).
    pub failed: u32,
    /// Queued again after a temporary failure.
    pub retrying: u32,
    /// Held back for a login problem.
    pub needs_auth: u32,
    /// Held back for another reason (creator cannot post now).
    pub blocked: u32,
    /// Still processing at TikTok.
    pub processing: u32,
    /// Stopped by a signal.
    pub interrupted: bool,
}

impl Summary {
    fn add(&mut self, other: Summary) {
        self.published += other.published;
        self.sent += other.sent;
        self.failed += other.failed;
        self.retrying += other.retrying;
        self.needs_auth += other.needs_auth;
        self.blocked += other.blocked;
        self.processing += other.processing;
        self.interrupted |= other.interrupted;
    }

    /// The exit code the run should end with (see the README's table).
    pub fn exit_code(&self) -> u8 {
        if self.interrupted {
            130
        } else if self.failed > 0 {
            4
        } else if self.needs_auth > 0 {
            3
        } else if (self.retrying > 0 || self.blocked > 0) && self.published + self.sent == 0 {
            75
        } else {
            0
        }
    }
}

/// Everything the engine needs from outside.
pub struct Engine {
    /// Folders.
    pub paths: Paths,
    /// Environment (credentials, endpoints).
    pub env: Env,
    /// Settings.
    pub config: Config,
    /// "Now" for what is due (POSTEZ_NOW in tests); token and URL lifetimes use the real clock.
    pub now: DateTime<Utc>,
    /// Options.
    pub options: RunOptions,
    /// Where events go.
    pub progress: Arc<dyn Progress>,
    /// Set by SIGINT/SIGTERM: stop after the current chunk.
    pub cancel: Arc<AtomicBool>,
}

/// The process-wide run lock, held while it lives.
#[derive(Debug)]
pub struct RunLock {
    _file: std::fs::File,
}

impl RunLock {
    /// Take the lock, or `None` if another run holds it (after waiting, with `wait`).
    pub async fn acquire(paths: &Paths, wait: bool) -> Result<Option<Self>> {
        crate::env::ensure_private_dir(&paths.data_dir)?;
        let path = paths.run_lock();
        let file = fs_err::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?
            .into_parts()
            .0;
        if wait {
            let file = tokio::task::spawn_blocking(move || file.lock().map(|()| file))
                .await
                .map_err(|e| {
                    Error::invalid(format!("waiting for the run lock failed: {e}"), None)
                })??;
            return Ok(Some(Self { _file: file }));
        }
        match file.try_lock() {
            Ok(()) => Ok(Some(Self { _file: file })),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(Error::Io(e)),
        }
    }
}

/// Why one post's attempt ended early, for the account's loop.
enum Stop {
    /// Go on with the account's next post.
    Continue,
    /// The account cannot go on this run (login, creator blocked): release the rest.
    Account {
        message: String,
        hint: Option<String>,
        needs_auth: bool,
    },
    /// A signal arrived.
    Interrupted,
}

impl Engine {
    /// Publish everything that is due. Call with the [`RunLock`] held.
    pub async fn run(&self) -> Result<Summary> {
        let mut store = Store::open(&self.paths.database())?;
        let mut summary = Summary::default();
        if self.options.dry_run {
            return self.dry_run(&mut store).await;
        }
        if let Some(limit) = self.config.late_limit()? {
            for id in store.fail_missed(self.now, limit)? {
                let post = store.post(id)?;
                summary.failed += 1;
                self.progress.event(&Event::Failed {
                    post: Subject::of(&post),
                    code: post.last_error_code.clone(),
                    message: post.last_error.clone().unwrap_or_default(),
                    hint: post.last_error_hint.clone(),
                });
            }
        }
        // Posts a dead run left behind come first: their uploads may be half done.
        let mut ids = store.orphans()?;
        let run_id = store.run_started(Utc::now())?;
        ids.extend(store.claim_due(self.now, run_id)?);
        summary.due = ids.len() as u32;
        if ids.is_empty() && summary.failed == 0 {
            // An idle run (cron's usual case) wrote only its own record: no fsyncs for that.
            store.checkpoint_lazily()?;
        }
        if !ids.is_empty() {
            self.progress.event(&Event::Claimed { count: summary.due });
        }
        let result = self.publish_claimed(&mut store, &ids).await;
        if let Ok(s) = &result {
            summary.add(*s);
        }
        let code = result.as_ref().map_or(1, |_| summary.exit_code());
        store.run_finished(
            run_id,
            Utc::now(),
            summary.due,
            summary.published + summary.sent,
            summary.failed,
            summary.retrying,
            i32::from(code),
        )?;
        result.map(|_| summary)
    }

    /// Group claimed posts by account and publish the groups in parallel.
    async fn publish_claimed(&self, store: &mut Store, ids: &[PostId]) -> Result<Summary> {
        if ids.is_empty() {
            return Ok(Summary::default());
        }
        let accounts: Vec<Account> = store
            .accounts()?
            .into_iter()
            .filter(|a| a.platform == crate::queue::PLATFORM && a.state != "disconnected")
            .collect();
        let mut groups: BTreeMap<Option<i64>, Vec<Post>> = BTreeMap::new();
        let mut summary = Summary::default();
        for id in ids {
            let post = store.post(*id)?;
            let account = match post.account_id {
                Some(id) => Some(id),
                None => self.default_account(&accounts),
            };
            groups.entry(account).or_default().push(post);
        }
        let results: Vec<Result<Summary>> = futures_util::stream::iter(groups)
            .map(|(account_id, posts)| {
                let account =
                    account_id.and_then(|id| accounts.iter().find(|a| a.id == id).cloned());
                self.publish_account(account, posts)
            })
            .buffer_unordered(self.options.jobs.max(1))
            .collect()
            .await;
        for r in results {
            summary.add(r?);
        }
        Ok(summary)
    }

    fn default_account(&self, accounts: &[Account]) -> Option<i64> {
        match accounts {
            [one] => Some(one.id),
            _ => self.config.default_account.as_deref().and_then(|name| {
                accounts
                    .iter()
                    .find(|a| {
                        a.label().eq_ignore_ascii_case(name)
                            || a.remote_id == name
                            || a.id.to_string() == name
                    })
                    .map(|a| a.id)
            }),
        }
    }

    /// Hold back every post of a group, counting them.
    fn release_all(
        &self,
        store: &mut Store,
        posts: &[Post],
        message: &str,
        hint: Option<String>,
        needs_auth: bool,
    ) -> Result<Summary> {
        let mut summary = Summary::default();
        for post in posts {
            store.settle(
                post.id,
                &Settle::Release {
                    message: message.into(),
                },
                self.now,
            )?;
            self.progress.event(&Event::Blocked {
                post: Subject::of(post),
                message: message.into(),
                hint: hint.clone(),
            });
            if needs_auth {
                summary.needs_auth += 1;
            } else {
                summary.blocked += 1;
            }
        }
        Ok(summary)
    }

    /// Publish one account's posts, one after another.
    async fn publish_account(&self, account: Option<Account>, posts: Vec<Post>) -> Result<Summary> {
        let mut store = Store::open(&self.paths.database())?;
        let Some(account) = account else {
            return self.release_all(
                &mut store,
                &posts,
                "no TikTok account is connected (or several are and none was chosen)",
                Some(
                    "run `postez connect tiktok`, or set one with `postez edit ID --account …`"
                        .into(),
                ),
                true,
            );
        };
        if account.state != "ok" {
            return self.release_all(
                &mut store,
                &posts,
                &format!("the TikTok login of {} must be renewed", account.label()),
                Some("run `postez connect tiktok`".into()),
                true,
            );
        }
        let session = match self.session(&account) {
            Ok(s) => s,
            Err(e) => {
                let needs_auth = e.kind() == crate::error::ErrorKind::NeedsAuth;
                return self.release_all(&mut store, &posts, &e.to_string(), e.hint(), needs_auth);
            }
        };
        let mut summary = Summary::default();
        let mut posts = posts.into_iter();
        while let Some(post) = posts.next() {
            let stop = self
                .publish_post(&session, &mut store, &account, &post, &mut summary)
                .await?;
            match stop {
                Stop::Continue => {}
                Stop::Interrupted => {
                    summary.interrupted = true;
                    let rest: Vec<Post> = posts.collect();
                    for post in &rest {
                        store.settle(
                            post.id,
                            &Settle::Release {
                                message: "the run was interrupted".into(),
                            },
                            self.now,
                        )?;
                    }
                    break;
                }
                Stop::Account {
                    message,
                    hint,
                    needs_auth,
                } => {
                    let rest: Vec<Post> = posts.collect();
                    summary.add(self.release_all(&mut store, &rest, &message, hint, needs_auth)?);
                    break;
                }
            }
        }
        Ok(summary)
    }

    fn session(&self, account: &Account) -> Result<Session> {
        let secrets = auth::open_store(
            auth::account_backend(account),
            &self.paths,
            &self.env,
            &self.config,
        )?;
        let client = auth::client_credentials(&self.env, &self.config, &secrets)?;
        let tiktok =
            auth::tiktok_client(&self.env, client)?.with_rate_window(self.options.rate_window);
        Ok(Session { secrets, tiktok })
    }

    async fn tokens(
        &self,
        session: &Session,
        store: &mut Store,
        account: &Account,
        force: bool,
    ) -> Result<Tokens> {
        auth::fresh_tokens(
            &session.tiktok,
            &session.secrets,
            &self.paths,
            store,
            account,
            force,
            Utc::now(),
        )
        .await
    }

    /// One post, start to end (or to where this run leaves it).
    async fn publish_post(
        &self,
        session: &Session,
        store: &mut Store,
        account: &Account,
        post: &Post,
        summary: &mut Summary,
    ) -> Result<Stop> {
        let subject = Subject::of(post);
        // One forced refresh after a rejected token; a second rejection is an auth problem.
        let mut refreshed = false;
        loop {
            let tokens = match self.tokens(session, store, account, refreshed).await {
                Ok(t) => t,
                // An unreadable token store is the account's problem, not the post's: keep
                // the post queued (failing it would need a `retry` once the store is fixed).
                Err(e)
                    if e.kind() == crate::error::ErrorKind::NeedsAuth
                        || matches!(e, Error::Secrets(_)) =>
                {
                    store.settle(
                        post.id,
                        &Settle::Release {
                            message: e.to_string(),
                        },
                        self.now,
                    )?;
                    self.progress.event(&Event::Blocked {
                        post: subject.clone(),
                        message: e.to_string(),
                        hint: e.hint(),
                    });
                    summary.needs_auth += 1;
                    return Ok(Stop::Account {
                        message: e.to_string(),
                        hint: e.hint(),
                        needs_auth: true,
                    });
                }
                Err(e) => return self.settle_error(store, post, e, summary),
            };
            match self
                .attempt(session, store, account, post, &tokens.access_token)
                .await
            {
                Ok(Outcome::Done(settle)) => {
                    // TikTok's "internal" failure: retried with the same backoff and attempt
                    // limit as any temporary error.
                    let settle = match settle {
                        Settle::RetryAt {
                            message,
                            reset_upload,
                            ..
                        } => self.retry_or_fail(post, message, reset_upload, None, None),
                        other => other,
                    };
                    store.settle(post.id, &settle, self.now)?;
                    match &settle {
                        Settle::Published(post_id) => {
                            summary.published += 1;
                            self.progress.event(&Event::Published {
                                post: subject,
                                post_id: post_id.clone(),
                            });
                        }
                        Settle::SentToInbox => {
                            summary.sent += 1;
                            self.progress.event(&Event::SentToInbox { post: subject });
                        }
                        Settle::Failed {
                            code,
                            message,
                            hint,
                        } => {
                            summary.failed += 1;
                            self.progress.event(&Event::Failed {
                                post: subject,
                                code: code.clone(),
                                message: message.clone(),
                                hint: hint.clone(),
                            });
                        }
                        Settle::RetryAt { at, message, .. } => {
                            summary.retrying += 1;
                            self.progress.event(&Event::Retrying {
                                post: subject,
                                message: message.clone(),
                                next_at: *at,
                            });
                        }
                        Settle::Release { message } => {
                            summary.blocked += 1;
                            self.progress.event(&Event::Blocked {
                                post: subject,
                                message: message.clone(),
                                hint: None,
                            });
                        }
                    }
                    return Ok(Stop::Continue);
                }
                Ok(Outcome::StillProcessing) => {
                    summary.processing += 1;
                    self.progress
                        .event(&Event::StillProcessing { post: subject });
                    return Ok(Stop::Continue);
                }
                Ok(Outcome::Interrupted) => {
                    self.progress.event(&Event::Interrupted { post: subject });
                    return Ok(Stop::Interrupted);
                }
                Ok(Outcome::CreatorBlocked { message }) => {
                    store.settle(
                        post.id,
                        &Settle::Release {
                            message: message.clone(),
                        },
                        self.now,
                    )?;
                    summary.blocked += 1;
                    let hint = Some(
                        "TikTok limits this account right now; the next run tries again"
                            .to_string(),
                    );
                    self.progress.event(&Event::Blocked {
                        post: subject,
                        message: message.clone(),
                        hint: hint.clone(),
                    });
                    return Ok(Stop::Account {
                        message,
                        hint,
                        needs_auth: false,
                    });
                }
                Err(Error::Api(e))
                    if e.class() == ErrorClass::Auth
                        && !refreshed
                        && e.code == "access_token_invalid" =>
                {
                    tracing::info!(post = post.id, "token rejected; refreshing once");
                    refreshed = true;
                }
                Err(Error::Api(e)) if e.class() == ErrorClass::Auth => {
                    store.set_account_state(account.id, "needs_reconnect", self.now)?;
                    let err = Error::Api(e);
                    store.settle(
                        post.id,
                        &Settle::Release {
                            message: err.to_string(),
                        },
                        self.now,
                    )?;
                    self.progress.event(&Event::Blocked {
                        post: subject,
                        message: err.to_string(),
                        hint: err.hint(),
                    });
                    summary.needs_auth += 1;
                    return Ok(Stop::Account {
                        message: err.to_string(),
                        hint: err.hint(),
                        needs_auth: true,
                    });
                }
                Err(e) => return self.settle_error(store, post, e, summary),
            }
        }
    }

    /// Turn an error into a retry (temporary) or a failure (permanent).
    fn settle_error(
        &self,
        store: &mut Store,
        post: &Post,
        e: Error,
        summary: &mut Summary,
    ) -> Result<Stop> {
        if matches!(e, Error::Store { .. }) {
            return Err(e);
        }
        let subject = Subject::of(post);
        let temporary = match &e {
            Error::Api(api) => api.class() == ErrorClass::Retryable,
            Error::Network(_) => true,
            _ => false,
        };
        let code = match &e {
            Error::Api(api) => Some(api.code.clone()),
            Error::Network(_) => Some("network".into()),
            Error::Media(_) => Some("media".into()),
            _ => None,
        };
        let settle = if temporary {
            self.retry_or_fail(post, e.to_string(), false, code, e.hint())
        } else {
            Settle::Failed {
                code,
                message: e.to_string(),
                hint: e.hint().or_else(|| Some(retry_hint(post.id, &e))),
            }
        };
        store.settle(post.id, &settle, self.now)?;
        match settle {
            Settle::RetryAt { at, message, .. } => {
                summary.retrying += 1;
                self.progress.event(&Event::Retrying {
                    post: subject,
                    message,
                    next_at: at,
                });
            }
            Settle::Failed {
                code,
                message,
                hint,
            } => {
                summary.failed += 1;
                self.progress.event(&Event::Failed {
                    post: subject,
                    code,
                    message,
                    hint,
                });
            }
            _ => {}
        }
        Ok(Stop::Continue)
    }
}

impl Engine {
    /// A temporary failure: queued again with exponential backoff (1, 2, 4 … minutes, at most
    /// an hour, with jitter), or failed once `max_attempts` is reached.
    fn retry_or_fail(
        &self,
        post: &Post,
        message: String,
        reset_upload: bool,
        code: Option<String>,
        hint: Option<String>,
    ) -> Settle {
        let attempts = post.attempts + 1;
        if attempts >= self.config.max_attempts() {
            return Settle::Failed {
                code,
                message: format!("gave up after {attempts} attempts: {message}"),
                hint: hint.or_else(|| Some(format!("`postez retry {}` queues it again", post.id))),
            };
        }
        let base = 60u64.saturating_mul(1 << (attempts - 1).min(6)).min(3600);
        let jitter = rand::random_range(0.8..1.2);
        let at = self.now + chrono::Duration::seconds((base as f64 * jitter) as i64);
        Settle::RetryAt {
            at,
            message,
            reset_upload,
        }
    }
}

/// An account's open secret store and API client.
struct Session {
    secrets: SecretStore,
    tiktok: TikTok,
}

/// How one attempt ended.
enum Outcome {
    Done(Settle),
    StillProcessing,
    Interrupted,
    CreatorBlocked { message: String },
}

impl Engine {
    /// One attempt at a post with a given token. Errors are classified by the caller.
    async fn attempt(
        &self,
        session: &Session,
        store: &mut Store,
        account: &Account,
        post: &Post,
        token: &Secret,
    ) -> Result<Outcome> {
        let tiktok = &session.tiktok;
        let plan = ChunkPlan::for_size(post.fingerprint.size);
        let mut upload = store.upload_state(post.id)?;
        if let Some(publish_id) = upload.publish_id.clone() {
            if upload.upload_complete {
                return self.poll(tiktok, store, post, token, &publish_id).await;
            }
            // Ask TikTok before doing anything: an upload whose last acknowledgement was lost
            // may be complete, and a complete upload must never be initialised again.
            match tiktok.status(token, &publish_id).await {
                Ok(status) => {
                    if let Some(settle) = final_status(post, &status) {
                        return Ok(Outcome::Done(settle));
                    }
                    if status.uploaded_bytes == Some(plan.size) {
                        store.save_progress(post.id, plan.count, true, self.now)?;
                        return self.poll(tiktok, store, post, token, &publish_id).await;
                    }
                }
                Err(Error::Api(e)) if e.code == "invalid_publish_id" => {
                    upload = UploadState::default()
                }
                // A refusal we cannot interpret may concern an upload TikTok already has in
                // full (a lost last acknowledgement): record it and ask again next run rather
                // than risk a second publish.
                Err(Error::Api(e)) if e.class() == ErrorClass::Permanent => {
                    store.add_event(
                        post.id,
                        "status_unknown",
                        &serde_json::json!({ "message": e.to_string() }),
                        self.now,
                    )?;
                    return Ok(Outcome::StillProcessing);
                }
                Err(e) => return Err(e),
            }
        }
        if post.options.mode == Mode::Direct {
            let info = match tiktok.creator_info(token).await {
                Ok(info) => info,
                // "Cannot post now" comes with HTTP 200 on purpose (shared/tiktok-api.md §2.1).
                Err(Error::Api(e))
                    if (e.class() == ErrorClass::Permanent && e.http == 200)
                        || e.code.starts_with("spam_risk")
                        || e.code == "reached_active_user_cap" =>
                {
                    return Ok(Outcome::CreatorBlocked {
                        message: format!(
                            "TikTok says {} cannot post now: {} ({})",
                            account.label(),
                            e.message,
                            e.code
                        ),
                    });
                }
                Err(e) => return Err(e),
            };
            if let Ok(value) = serde_json::to_value(&info) {
                store.set_creator_info(account.id, &value, self.now)?;
            }
            if let Some(settle) = self.check_creator(store, post, &info)? {
                return Ok(Outcome::Done(settle));
            }
        }
        // The file must be the one the user scheduled.
        let path = PathBuf::from(&post.file);
        match crate::media::fingerprint(&path) {
            Ok(fp) if fp == post.fingerprint => {}
            Ok(_) | Err(_) => {
                return Ok(Outcome::Done(Settle::Failed {
                    code: Some("file_changed".into()),
                    message: format!("`{}` changed or moved since it was scheduled", post.file),
                    hint: Some(format!(
                        "`postez edit {id}` accepts the file as it is now (or --file NEW); then `postez retry {id}`",
                        id = post.id
                    )),
                }));
            }
        }
        let resumable = upload.publish_id.is_some()
            && upload.chunk_size == Some(plan.chunk_size)
            && upload
                .upload_expires_at
                .is_some_and(|t| t - Utc::now() > UPLOAD_URL_MARGIN);
        let (mut publish_id, mut url, mut next) = if resumable {
            (
                upload.publish_id.clone().unwrap_or_default(),
                Secret::new(upload.upload_url.clone().unwrap_or_default()),
                upload.chunks_done,
            )
        } else {
            let init = tiktok
                .init(token, &post.options, &post.caption, plan)
                .await?;
            // Committed before the first byte: a crash from here on resumes this publish.
            store.save_init(
                post.id,
                &init.publish_id,
                init.upload_url.expose(),
                Utc::now() + UPLOAD_URL_LIFE,
                plan.chunk_size,
                self.now,
            )?;
            (init.publish_id, init.upload_url, 0)
        };
        let account_name = account.nickname.clone().unwrap_or_else(|| account.label());
        self.progress.event(&Event::Started {
            post: Subject::of(post),
            account: account_name,
            bytes: plan.size,
            offset: if next == 0 {
                0
            } else {
                plan.range(next - 1).1 + 1
            },
        });
        let milestone = Arc::new(AtomicU8::new(0));
        // History milestones (per acknowledged chunk), apart from the live ones of the stream.
        let mut recorded = 0u8;
        let mut reinitialised = false;
        while next < plan.count {
            if self.cancel.load(Ordering::SeqCst) {
                return Ok(Outcome::Interrupted);
            }
            let outcome = match self
                .put_with_retries(tiktok, &url, &path, post, plan, next, &milestone)
                .await
            {
                Ok(outcome) => outcome,
                // The upload address died (expired or unknown): the upload cannot have
                // completed, so starting a new one is safe. Once per attempt.
                Err(Error::Api(e))
                    if !reinitialised
                        && matches!(e.code.as_str(), "upload_url_expired" | "upload_not_found") =>
                {
                    tracing::info!(
                        post = post.id,
                        "upload address no longer valid ({}); starting again",
                        e.code
                    );
                    reinitialised = true;
                    let init = tiktok
                        .init(token, &post.options, &post.caption, plan)
                        .await?;
                    store.save_init(
                        post.id,
                        &init.publish_id,
                        init.upload_url.expose(),
                        Utc::now() + UPLOAD_URL_LIFE,
                        plan.chunk_size,
                        self.now,
                    )?;
                    (publish_id, url, next) = (init.publish_id, init.upload_url, 0);
                    continue;
                }
                Err(e) => return Err(e),
            };
            match outcome {
                PutOutcome::Stored => {
                    next += 1;
                    store.save_progress(post.id, next, false, self.now)?;
                    self.record_milestones(store, post, plan, next, &mut recorded)?;
                }
                PutOutcome::Complete => {
                    next = plan.count;
                }
                PutOutcome::AlreadyHave(have) if have >= plan.size => next = plan.count,
                PutOutcome::AlreadyHave(have) => {
                    // Chunk boundaries are multiples of chunk_size; TikTok holds whole chunks.
                    next = (have / plan.chunk_size.max(1)).min(plan.count);
                    store.save_progress(post.id, next, false, self.now)?;
                }
            }
        }
        store.save_progress(post.id, plan.count, true, self.now)?;
        self.milestones(post, plan.size, plan.size, &milestone);
        store.add_event(
            post.id,
            "uploaded",
            &serde_json::json!({ "bytes": plan.size }),
            self.now,
        )?;
        self.progress.event(&Event::Processing {
            post: Subject::of(post),
        });
        self.poll(tiktok, store, post, token, &publish_id).await
    }

    /// PUT one chunk, retrying resets and 5xx a few times with a growing pause.
    #[allow(clippy::too_many_arguments)]
    async fn put_with_retries(
        &self,
        tiktok: &TikTok,
        url: &Secret,
        path: &Path,
        post: &Post,
        plan: ChunkPlan,
        index: u64,
        milestone: &Arc<AtomicU8>,
    ) -> Result<PutOutcome> {
        let mut tries = 0;
        loop {
            tries += 1;
            let (first, _) = plan.range(index);
            let sent = Arc::new(AtomicU64::new(first));
            let progress = self.progress.clone();
            let (id, total) = (post.id, plan.size);
            let milestone_seen = milestone.clone();
            let engine_events = self.progress.clone();
            let subject = Subject::of(post);
            let callback: Arc<dyn Fn(u64) + Send + Sync> = Arc::new(move |n| {
                let now = sent.fetch_add(n, Ordering::Relaxed) + n;
                progress.bytes(id, now, total);
                let percent = (now.saturating_mul(100) / total.max(1)) as u8;
                let step = (percent / 25) * 25;
                // Milestones below 100 % come from the stream; 100 % waits for TikTok's answer.
                if step > milestone_seen.load(Ordering::Relaxed) && step < 100 {
                    milestone_seen.store(step, Ordering::Relaxed);
                    engine_events.event(&Event::Milestone {
                        post: subject.clone(),
                        percent: step,
                    });
                }
            });
            let mime = post.media.container.mime();
            match tiktok
                .put_chunk(url, path, mime, plan, index, callback)
                .await
            {
                Ok(outcome) => return Ok(outcome),
                Err(e) if tries < CHUNK_TRIES && is_transient(&e) => {
                    let pause = self.options.chunk_backoff * 2u32.pow(tries - 1);
                    tracing::warn!(
                        post = post.id,
                        chunk = index,
                        "chunk failed ({e}); retrying in {pause:?}"
                    );
                    tokio::time::sleep(pause).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Add 25/50/75 % entries to the post's history as chunks are acknowledged.
    fn record_milestones(
        &self,
        store: &mut Store,
        post: &Post,
        plan: ChunkPlan,
        done: u64,
        recorded: &mut u8,
    ) -> Result<()> {
        let bytes = if done >= plan.count {
            plan.size
        } else {
            plan.range(done).0
        };
        let percent = (bytes.saturating_mul(100) / plan.size.max(1)) as u8;
        for step in [25u8, 50, 75] {
            if percent >= step && *recorded < step {
                *recorded = step;
                store.add_event(
                    post.id,
                    "progress",
                    &serde_json::json!({ "percent": step }),
                    self.now,
                )?;
            }
        }
        Ok(())
    }

    fn milestones(&self, post: &Post, sent: u64, total: u64, seen: &AtomicU8) {
        let percent = (sent.saturating_mul(100) / total.max(1)) as u8;
        for step in [25u8, 50, 75, 100] {
            if percent >= step && seen.load(Ordering::Relaxed) < step {
                seen.store(step, Ordering::Relaxed);
                self.progress.event(&Event::Milestone {
                    post: Subject::of(post),
                    percent: step,
                });
            }
        }
    }

    /// Poll the status until a final answer or the budget ends.
    async fn poll(
        &self,
        tiktok: &TikTok,
        store: &mut Store,
        post: &Post,
        token: &Secret,
        publish_id: &str,
    ) -> Result<Outcome> {
        let deadline = tokio::time::Instant::now() + self.options.poll_budget;
        loop {
            match tiktok.status(token, publish_id).await {
                Ok(status) => {
                    if let Some(settle) = final_status(post, &status) {
                        return Ok(Outcome::Done(settle));
                    }
                }
                Err(Error::Api(e)) if e.class() == ErrorClass::Retryable => {
                    tracing::warn!(post = post.id, "status check failed ({e}); trying again");
                }
                Err(Error::Network(e)) => {
                    tracing::warn!(post = post.id, "status check failed ({e}); trying again")
                }
                // Every byte is in, so TikTok publishes it whatever this answer says: failing
                // the post would be wrong, and a `retry` would publish it twice. Record the
                // answer and leave the post processing; the next run asks again.
                Err(Error::Api(e)) if e.class() == ErrorClass::Permanent => {
                    tracing::warn!(
                        post = post.id,
                        "status check refused ({e}); asking next run"
                    );
                    store.add_event(
                        post.id,
                        "status_unknown",
                        &serde_json::json!({ "message": e.to_string() }),
                        self.now,
                    )?;
                    return Ok(Outcome::StillProcessing);
                }
                Err(e) => return Err(e),
            }
            if tokio::time::Instant::now() + self.options.poll_interval > deadline {
                store.add_event(
                    post.id,
                    "still_processing",
                    &serde_json::json!({}),
                    self.now,
                )?;
                return Ok(Outcome::StillProcessing);
            }
            tokio::time::sleep(self.options.poll_interval).await;
        }
    }

    /// TikTok's Direct Post rules against what the creator may do now. Returns a failure to
    /// record, or `None` to go on (having turned off interactions the creator disabled).
    fn check_creator(
        &self,
        store: &mut Store,
        post: &Post,
        info: &CreatorInfo,
    ) -> Result<Option<Settle>> {
        let privacy = post
            .options
            .privacy
            .map(Privacy::as_str)
            .unwrap_or_default();
        if !info.privacy_level_options.is_empty()
            && !info.privacy_level_options.iter().any(|p| p == privacy)
        {
            return Ok(Some(Settle::Failed {
                code: Some("privacy_level_option_mismatch".into()),
                message: format!(
                    "{} cannot post as {privacy}; it can use {}",
                    info.creator_nickname.as_deref().unwrap_or("this account"),
                    info.privacy_level_options.join(", ")
                ),
                hint: Some(format!(
                    "`postez edit {} --privacy …`, then `postez retry {}`",
                    post.id, post.id
                )),
            }));
        }
        if let (Some(max), Some(ms)) = (info.max_video_post_duration_sec, post.media.duration_ms)
            && ms > max * 1000
        {
            return Ok(Some(Settle::Failed {
                code: Some("duration_over_creator_limit".into()),
                message: format!(
                    "the video is {} s long; this account may post at most {max} s",
                    ms.div_ceil(1000)
                ),
                hint: Some(format!("shorten it and `postez edit {} --file …`", post.id)),
            }));
        }
        let disabled: Vec<&str> = [
            (
                post.options.allow_comments && info.comment_disabled,
                "comments",
            ),
            (post.options.allow_duet && info.duet_disabled, "duets"),
            (
                post.options.allow_stitch && info.stitch_disabled,
                "stitches",
            ),
        ]
        .into_iter()
        .filter_map(|(off, name)| off.then_some(name))
        .collect();
        if !disabled.is_empty() {
            let message = format!(
                "the creator turned off {} in TikTok, so they stay off",
                disabled.join(" and ")
            );
            store.add_event(
                post.id,
                "adjusted",
                &serde_json::json!({ "message": message }),
                self.now,
            )?;
            self.progress.event(&Event::Adjusted {
                post: Subject::of(post),
                message,
            });
        }
        Ok(None)
    }

    /// `--dry-run`: every check that needs no upload, changing nothing.
    async fn dry_run(&self, store: &mut Store) -> Result<Summary> {
        let mut summary = Summary::default();
        let accounts: Vec<Account> = store
            .accounts()?
            .into_iter()
            .filter(|a| a.platform == crate::queue::PLATFORM && a.state != "disconnected")
            .collect();
        for id in store.due(self.now)? {
            summary.due += 1;
            let post = store.post(id)?;
            let subject = Subject::of(&post);
            let account = post
                .account_id
                .or_else(|| self.default_account(&accounts))
                .and_then(|id| accounts.iter().find(|a| a.id == id));
            let verdict: Result<String> = async {
                let account = account.ok_or(Error::NotConnected {
                    platform: "tiktok".into(),
                })?;
                let session = self.session(account)?;
                let tokens = auth::saved_tokens(&session.secrets, account)?;
                let mut notes = Vec::new();
                if tokens.access_expires_at - Utc::now() <= auth::REFRESH_MARGIN {
                    notes.push("the login would be refreshed first".to_string());
                }
                crate::queue::check_media(Path::new(&post.file))?;
                if crate::media::fingerprint(Path::new(&post.file))? != post.fingerprint {
                    return Err(Error::invalid(
                        format!("`{}` changed or moved since it was scheduled", post.file),
                        None,
                    ));
                }
                if post.options.mode == Mode::Direct && tokens.access_expires_at > Utc::now() {
                    let info = session.tiktok.creator_info(&tokens.access_token).await?;
                    let privacy = post
                        .options
                        .privacy
                        .map(Privacy::as_str)
                        .unwrap_or_default();
                    if !info.privacy_level_options.iter().any(|p| p == privacy) {
                        return Err(Error::invalid(
                            format!("{privacy} is not offered to this account"),
                            None,
                        ));
                    }
                    notes.push(format!(
                        "as {}",
                        info.creator_nickname.unwrap_or_else(|| account.label())
                    ));
                }
                Ok(format!(
                    "would {} {} ({}){}",
                    if post.options.mode == Mode::Draft {
                        "send to the inbox"
                    } else {
                        "publish"
                    },
                    subject.file,
                    ChunkPlan::for_size(post.fingerprint.size).count.to_string() + " chunk(s)",
                    if notes.is_empty() {
                        String::new()
                    } else {
                        format!(", {}", notes.join(", "))
                    }
                ))
            }
            .await;
            match verdict {
                Ok(message) => self.progress.event(&Event::WouldPublish {
                    post: subject,
                    message,
                }),
                Err(e) => {
                    summary.blocked += 1;
                    self.progress.event(&Event::Blocked {
                        post: subject,
                        message: e.to_string(),
                        hint: e.hint(),
                    });
                }
            }
        }
        Ok(summary)
    }
}

/// What to do about a failure that has no more specific hint. A refused status check may
/// concern an upload TikTok already has in full, so a retry is not offered blindly then.
fn retry_hint(id: PostId, e: &Error) -> String {
    match e {
        Error::Api(api) if api.action == "check the post's status" => format!(
            "TikTok may still publish it: look in the TikTok app before `postez retry {id}`"
        ),
        _ => format!("`postez retry {id}` uploads it again"),
    }
}

fn is_transient(e: &Error) -> bool {
    match e {
        Error::Network(_) => true,
        Error::Api(api) => api.http >= 500 || api.http == 429,
        _ => false,
    }
}

/// A final status as a settlement, or `None` while TikTok is still working.
fn final_status(post: &Post, status: &PostStatus) -> Option<Settle> {
    match status.status.as_str() {
        "PUBLISH_COMPLETE" if post.options.mode == Mode::Draft => Some(Settle::SentToInbox),
        "PUBLISH_COMPLETE" => Some(Settle::Published(status.post_ids.first().cloned())),
        "SEND_TO_USER_INBOX" => Some(Settle::SentToInbox),
        "FAILED" => {
            let reason = status
                .fail_reason
                .clone()
                .unwrap_or_else(|| "unknown".into());
            if reason == "internal" {
                // TikTok's own trouble: a new upload next time (this one is dead).
                Some(Settle::RetryAt {
                    // The engine replaces the time with its backoff.
                    at: Utc::now(),
                    message:
                        "TikTok failed to process the video (internal); it will be uploaded again"
                            .into(),
                    reset_upload: true,
                })
            } else {
                let api = crate::provider::ApiError {
                    platform: "tiktok",
                    action: "publish the video",
                    http: 200,
                    code: reason.clone(),
                    message: format!("processing failed: {reason}"),
                    log_id: None,
                };
                Some(Settle::Failed {
                    code: Some(reason),
                    message: api.to_string(),
                    hint: api
                        .hint()
                        .or_else(|| Some(format!("`postez retry {}` uploads it again", post.id))),
                })
            }
        }
        _ => None,
    }
}
