//! The publishing engine behind `postez run`: take the run lock, fail posts that are too late,
//! claim the due ones, and publish them (accounts in parallel, each account's posts in order),
//! following the state machine in shared/design.md so that every post is published exactly once
//! or clearly failed:
//! - the platform's checkpoint (TikTok: `publish_id` and upload URL) is committed before the
//!   first byte is sent;
//! - an upload that completed is only ever polled, never started again;
//! - a post whose upload did not complete may be started again (the platform cannot publish
//!   it), after asking the platform where it stands;
//! - a post left `publishing` by a dead run is resumed by the next one.
//!
//! The platform's side of each step comes from its [`Provider`]; nothing here reads a
//! platform's codes or statuses. It reports through [`Progress`] and never prints.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;

use crate::auth;
use crate::config::Config;
use crate::env::{Env, Paths};
use crate::error::{Error, ErrorKind, Result};
use crate::post::{Mode, Post, PostId};
use crate::provider::{ErrorClass, Platform, Provider, Tokens};
use crate::secrets::SecretStore;
use crate::store::{Account, Hold, Settle, Store};

mod attempt;
mod dry_run;
mod events;
mod holds;
mod lease;
mod record;

use attempt::Outcome;

pub use events::{Event, Progress, Subject, logged};

pub use crate::lock::RunLock;

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
    /// How long to wait for another process refreshing the same login.
    pub refresh_lock_wait: Duration,
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
            refresh_lock_wait: auth::REFRESH_LOCK_WAIT,
        }
    }
}

/// Why posts wait for the user (the first such reason of a run), for the run's last words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// One sentence.
    pub message: String,
    /// What to do.
    pub hint: Option<String>,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Posts found due (including resumed ones).
    pub due: u32,
    /// Published.
    pub published: u32,
    /// Sent to the inbox.
    pub sent: u32,
    /// On the platform, which makes them public at their time (uploads ahead).
    pub uploaded: u32,
    /// Failed for good (including missed).
    pub failed: u32,
    /// Queued again after a temporary failure.
    pub retrying: u32,
    /// Held back for a login problem.
    pub needs_auth: u32,
    /// Held back for another reason (creator cannot post now).
    pub blocked: u32,
    /// Still processing at the platform.
    pub processing: u32,
    /// Stopped by a signal.
    pub interrupted: bool,
    /// Why posts wait for the user, when some do (`needs_auth`).
    pub problem: Option<Problem>,
}

impl Summary {
    fn add(&mut self, other: Summary) {
        if self.problem.is_none() {
            self.problem = other.problem;
        }
        self.published += other.published;
        self.sent += other.sent;
        self.uploaded += other.uploaded;
        self.failed += other.failed;
        self.retrying += other.retrying;
        self.needs_auth += other.needs_auth;
        self.blocked += other.blocked;
        self.processing += other.processing;
        self.interrupted |= other.interrupted;
    }

    /// How the run should end: `None` for success, else the kind of its exit code (see the
    /// README's table).
    pub fn error_kind(&self) -> Option<ErrorKind> {
        if self.interrupted {
            Some(ErrorKind::Interrupted)
        } else if self.failed > 0 {
            Some(ErrorKind::Partial)
        } else if self.needs_auth > 0 {
            Some(ErrorKind::NeedsAuth)
        } else if (self.retrying > 0 || self.blocked > 0)
            && self.published + self.sent + self.uploaded == 0
        {
            Some(ErrorKind::TryLater)
        } else {
            None
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
    /// Where the queue is.
    pub location: crate::store::Location,
    /// "Now" for what is due (POSTEZ_NOW in tests); token and URL lifetimes use the real clock.
    pub now: DateTime<Utc>,
    /// Options.
    pub options: RunOptions,
    /// Where events go.
    pub progress: Arc<dyn Progress>,
    /// Set by SIGINT/SIGTERM: stop after the current chunk.
    pub cancel: Arc<AtomicBool>,
}

/// One account's claimed posts (`None`: waiting for an account of their platform).
type AccountPosts = (Option<i64>, Vec<Post>);

/// Why one post's attempt ended early, for the account's loop.
enum Stop {
    /// Go on with the account's next post.
    Continue,
    /// The post waits under the account's hold at this index (a quota it just hit); reported
    /// together with the account's other posts under it.
    Held(usize),
    /// The account cannot go on this run (login, app credentials, creator blocked): this post
    /// (not settled yet) and the rest wait, reported once.
    Account { hold: Hold, needs_auth: bool },
    /// A signal arrived.
    Interrupted,
}

impl Engine {
    /// Publish everything that is due. Call with the [`RunLock`] held.
    pub async fn run(&self) -> Result<Summary> {
        // A platform address postez must not use is a setting to fix, not a passing problem:
        // refuse before claiming anything, so the posts stay as they are (exit 2, not 75).
        crate::provider::check_endpoints(&self.env)?;
        let mut store = Store::open_at(&self.location)?;
        let mut summary = Summary::default();
        if self.options.dry_run {
            return self.dry_run(&mut store).await;
        }
        store.drop_expired_holds(self.now)?;
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
        if store.is_shared() {
            return self.run_shared(store, summary).await;
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
        self.report_paused(&store, &mut summary)?;
        let result = self.publish_claimed(&mut store, &ids).await;
        if let Ok(s) = &result {
            summary.add(s.clone());
        }
        record_run(&mut store, run_id, &summary, result.is_err())?;
        result.map(|_| summary)
    }

    /// Due posts of paused accounts are not claimed (no call is made for them); each such
    /// account is reported once, and the run ends "needs auth" with the way out.
    fn report_paused(&self, store: &Store, summary: &mut Summary) -> Result<()> {
        for (account_id, posts) in store.paused_due(self.now)? {
            let Some(account) = store.account(account_id)? else {
                continue;
            };
            let Some(pause) = account.pause() else {
                continue;
            };
            self.progress.event(&Event::AccountHeld {
                account: account.label(),
                posts: posts.clone(),
                code: Some(pause.code.clone()),
                message: pause.message.clone(),
                hint: pause.hint.clone(),
                until: None,
                needs_auth: true,
            });
            summary.needs_auth += posts.len() as u32;
            summary.problem.get_or_insert(Problem {
                message: pause.message.clone(),
                hint: pause.hint.clone(),
            });
        }
        Ok(())
    }

    /// Group claimed posts by account and publish the groups in parallel.
    async fn publish_claimed(&self, store: &mut Store, ids: &[PostId]) -> Result<Summary> {
        if ids.is_empty() {
            return Ok(Summary::default());
        }
        let accounts: Vec<Account> = store
            .accounts()?
            .into_iter()
            .filter(|a| a.state != crate::store::AccountState::Disconnected)
            .collect();
        let mut groups: BTreeMap<Option<i64>, Vec<Post>> = BTreeMap::new();
        let mut summary = Summary::default();
        for id in ids {
            let post = store.post(*id)?;
            let account = match post.account_id {
                Some(id) => Some(id),
                None => {
                    // Queued before any account was connected: it belongs to the account it
                    // is published with from now on, so that account's holds and pauses
                    // cover it (and lifting a pause brings it back).
                    let of_platform: Vec<Account> = accounts
                        .iter()
                        .filter(|a| a.platform.as_str() == post.platform)
                        .cloned()
                        .collect();
                    let default = self.default_account(&of_platform);
                    if let Some(account) = default {
                        store.adopt_account(post.id, account)?;
                    }
                    default
                }
            };
            groups.entry(account).or_default().push(post);
        }
        // `--jobs` accounts at a time per platform, and the platforms side by side: two
        // platforms share no rate limit or quota (a cross-post's TikTok targets never wait for
        // its YouTube one), while one platform's accounts share the app's limits, so `--jobs`
        // bounds those. Each account's posts still go one after another.
        let mut by_platform: BTreeMap<String, Vec<AccountPosts>> = BTreeMap::new();
        for (account_id, posts) in groups {
            let platform = posts
                .first()
                .map(|p| p.platform.clone())
                .unwrap_or_default();
            by_platform
                .entry(platform)
                .or_default()
                .push((account_id, posts));
        }
        let platforms = by_platform.into_values().map(|accounts_posts| {
            futures_util::stream::iter(accounts_posts)
                .map(|(account_id, posts)| {
                    let account =
                        account_id.and_then(|id| accounts.iter().find(|a| a.id == id).cloned());
                    self.publish_account(account, posts)
                })
                .buffer_unordered(self.options.jobs.max(1))
                .collect::<Vec<Result<Summary>>>()
        });
        let results: Vec<Vec<Result<Summary>>> = futures_util::future::join_all(platforms).await;
        for r in results.into_iter().flatten() {
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

    /// Publish one account's posts, one after another.
    async fn publish_account(&self, account: Option<Account>, posts: Vec<Post>) -> Result<Summary> {
        let mut store = Store::open_at(&self.location)?;
        let mut summary = Summary::default();
        let Some(mut account) = account else {
            let platform = posts
                .first()
                .and_then(|p| p.platform.parse::<Platform>().ok())
                .unwrap_or_else(crate::queue::platform);
            let hold = holds::for_this_run(
                None,
                format!(
                    "no {} account is connected (or several are and none was chosen)",
                    platform.name()
                ),
                Some(format!(
                    "run `postez connect {platform}`, or set one with `postez edit ID --account …`"
                )),
            );
            self.hold_posts(
                &mut store,
                platform.as_str(),
                &posts,
                &hold,
                true,
                &mut summary,
            )?;
            return Ok(summary);
        };
        let label = account.label();
        if account.state != crate::store::AccountState::Ok {
            let platform = account.platform;
            let hold = holds::for_this_run(
                None,
                format!("the {} login of {label} must be renewed", platform.name()),
                Some(format!("run `postez connect {platform}`")),
            );
            self.hold_posts(&mut store, &label, &posts, &hold, true, &mut summary)?;
            return Ok(summary);
        }
        let session = match self.session(&account) {
            Ok(s) => s,
            Err(e) => {
                let needs_auth = e.kind() == crate::error::ErrorKind::NeedsAuth;
                let hold = holds::for_this_run(None, e.to_string(), e.hint());
                self.hold_posts(&mut store, &label, &posts, &hold, needs_auth, &mut summary)?;
                return Ok(summary);
            }
        };
        let mut holds = store.holds(account.id, self.now)?;
        // Posts waiting under one of `holds`, by its index: reported once per hold, at the end.
        let mut waiting: Vec<(usize, Post)> = Vec::new();
        let mut posts = posts.into_iter();
        while let Some(post) = posts.next() {
            if let Some(i) = self.held_by(&store, &holds, &post)? {
                waiting.push((i, post));
                continue;
            }
            // The login lacks Direct Post (the platform said so, or it never had it): no call
            // can publish this post; drafts go on.
            if post.options.mode() == Mode::Direct
                && session
                    .provider
                    .direct_scope()
                    .is_some_and(|scope| !account.has_scope(scope))
                && post.publish_id.is_none()
            {
                self.refuse_direct(&session, &mut store, &account, &post, None, &mut summary)?;
                continue;
            }
            let stop = self
                .publish_post(
                    &session,
                    &mut store,
                    &mut account,
                    &mut holds,
                    &post,
                    &mut summary,
                )
                .await?;
            match stop {
                Stop::Continue => {}
                Stop::Held(i) => waiting.push((i, post)),
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
                Stop::Account { hold, needs_auth } => {
                    let mut rest = vec![post];
                    rest.extend(posts.by_ref());
                    self.hold_posts(&mut store, &label, &rest, &hold, needs_auth, &mut summary)?;
                    break;
                }
            }
        }
        for (i, hold) in holds.iter().enumerate() {
            let group: Vec<Post> = waiting
                .iter()
                .filter(|(j, _)| *j == i)
                .map(|(_, p)| p.clone())
                .collect();
            self.hold_posts(
                &mut store,
                &label,
                &group,
                hold,
                hold.is_pause(),
                &mut summary,
            )?;
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
        let provider = crate::provider::for_account(
            account.platform,
            &self.env,
            &self.config,
            &secrets,
            self.options.rate_window,
        )?;
        Ok(Session { secrets, provider })
    }

    async fn tokens(
        &self,
        session: &Session,
        store: &mut Store,
        account: &Account,
        force: bool,
    ) -> Result<Tokens> {
        // A refresh is a platform call too (and spends a rotating refresh token).
        store.check_lease(account.id)?;
        auth::fresh_tokens_waiting(
            session.provider.as_ref(),
            &session.secrets,
            &self.paths,
            store,
            account,
            force,
            Utc::now(),
            self.options.refresh_lock_wait,
        )
        .await
    }

    /// One post, start to end (or to where this run leaves it).
    async fn publish_post(
        &self,
        session: &Session,
        store: &mut Store,
        account: &mut Account,
        holds: &mut Vec<Hold>,
        post: &Post,
        summary: &mut Summary,
    ) -> Result<Stop> {
        let subject = Subject::of(post);
        // One forced refresh after a rejected token; a second rejection is an auth problem.
        let mut refreshed = false;
        loop {
            let tokens = match self.tokens(session, store, account, refreshed).await {
                Ok(t) => t,
                Err(e) => {
                    return match self
                        .account_error(session, store, account, holds, post, &e, summary)?
                    {
                        Some(stop) => Ok(stop),
                        None => self.settle_error(store, post, e, summary),
                    };
                }
            };
            match self
                .attempt(session, store, account, post, &tokens.access_token)
                .await
            {
                Ok(Outcome::Done(settle)) => {
                    self.record(store, post, settle, summary)?;
                    return Ok(Stop::Continue);
                }
                Ok(Outcome::Failed(failure)) => {
                    return self
                        .platform_failed(session, store, account, holds, post, failure, summary);
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
                // The platform's "cannot post now" in a way it has no class for: not a failure
                // of the post; the account's posts wait for the next run.
                Ok(Outcome::Blocked { message, hint }) => {
                    return Ok(Stop::Account {
                        hold: holds::for_this_run(None, message, Some(hint)),
                        needs_auth: false,
                    });
                }
                Err(Error::Api(e)) if e.class() == ErrorClass::Token && !refreshed => {
                    tracing::info!(post = post.id, "token rejected; refreshing once");
                    refreshed = true;
                }
                Err(e) => {
                    return match self
                        .account_error(session, store, account, holds, post, &e, summary)?
                    {
                        Some(stop) => Ok(stop),
                        None => self.settle_error(store, post, e, summary),
                    };
                }
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
        let temporary = match &e {
            Error::Api(api) => api.class() == ErrorClass::Retryable,
            Error::Network(_) => true,
            _ => false,
        };
        let code = match &e {
            Error::Api(api) => Some(api.code.clone()),
            Error::Network(_) => Some("network".into()),
            Error::Media(_) => Some("media".into()),
            Error::Unsafe(u) => Some(u.code().into()),
            _ => None,
        };
        let settle = if temporary {
            self.retry_or_fail(post, e.to_string(), false, code, e.hint())
        } else {
            Settle::Failed {
                code,
                message: e.to_string(),
                hint: match &e {
                    // Refused before anything was sent to the address: a retry is safe once
                    // the cause is fixed, but not automatic (the same answer would come back).
                    Error::Unsafe(u) => {
                        Some(format!("{}; then `postez retry {}`", u.hint(), post.id))
                    }
                    _ => e.hint().or_else(|| Some(attempt::retry_hint(post.id, &e))),
                },
            }
        };
        self.record(store, post, settle, summary)?;
        Ok(Stop::Continue)
    }
}

/// An account's open secret store and its platform's provider.
struct Session {
    secrets: SecretStore,
    provider: Box<dyn Provider>,
}

/// Record how run `run_id` ended (a run that failed outright counts as a failure, whatever
/// its summary says).
fn record_run(store: &mut Store, run_id: i64, summary: &Summary, failed: bool) -> Result<()> {
    let kind = if failed {
        Some(ErrorKind::Failure)
    } else {
        summary.error_kind()
    };
    store.run_finished(
        run_id,
        Utc::now(),
        summary.due,
        summary.published + summary.sent,
        summary.failed,
        summary.retrying,
        i32::from(kind.map_or(0, ErrorKind::exit_code)),
    )
}
