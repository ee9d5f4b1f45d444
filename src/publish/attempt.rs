//! One attempt at one post, in platform-neutral steps: ask the platform about a saved upload
//! before touching it, prepare (the platform's checks), begin (checkpoint committed before the
//! first byte), send the chunks with retries, and poll the status once every byte is in.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::media::{MediaError, Verified};
use crate::post::{Post, PostId, PostOptions};
use crate::provider::{
    Checkpoint, ChunkPlan, ErrorClass, Failure, Provider, PutOutcome, RemoteState, Verdict,
};
use crate::secrets::Secret;
use crate::store::{Account, Settle, Store, UploadState};

use super::{Engine, Event, Session, Subject};

/// Retries of one chunk within a run (5xx, resets) before the attempt is given up.
const CHUNK_TRIES: u32 = 5;

/// How long after its time a post the platform still holds private is asked about (§4 of the
/// platform notes: status is polled sparingly, given up after about 6 h with a note, the upload
/// having succeeded). Then it is recorded published with the platform's note.
const KEPT_PRIVATE_GRACE: chrono::Duration = chrono::Duration::hours(6);

/// When to ask again about a post still held `late` after its time: 2 minutes, then 10, then
/// 30, then hourly (§4's slowing polls; each check costs quota and a history row), never past
/// the grace period's end, when it is settled.
fn next_late_check(now: DateTime<Utc>, at: DateTime<Utc>) -> DateTime<Utc> {
    let late = now - at;
    let minutes = if late < chrono::Duration::minutes(2) {
        2
    } else if late < chrono::Duration::minutes(12) {
        10
    } else if late < chrono::Duration::minutes(42) {
        30
    } else {
        60
    };
    (now + chrono::Duration::minutes(minutes)).min(at + KEPT_PRIVATE_GRACE)
}

impl Engine {
    /// A temporary failure: queued again with exponential backoff (1, 2, 4 … minutes, at most
    /// an hour, with jitter), or failed once `max_attempts` is reached. Never failed while the
    /// platform holds the post (its id is known and its upload kept): the platform publishes it
    /// whatever postez does, so the post stays `uploaded` and is asked about again, hourly at
    /// most; failing it would invite a `retry` that uploads a second video.
    pub(super) fn retry_or_fail(
        &self,
        post: &Post,
        message: String,
        reset_upload: bool,
        code: Option<String>,
        hint: Option<String>,
    ) -> Settle {
        let attempts = post.attempts + 1;
        let held = post.post_id.is_some() && !reset_upload;
        if attempts >= self.config.max_attempts() && !held {
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

/// How one attempt ended.
pub(super) enum Outcome {
    Done(Settle),
    /// The platform ended the upload without success; its class says what follows.
    Failed(Failure),
    StillProcessing,
    Interrupted,
    /// The account cannot post right now: its posts wait for the next run.
    Blocked {
        message: String,
        hint: String,
    },
}

impl Engine {
    /// One attempt at a post with a given token. Errors are classified by the caller.
    pub(super) async fn attempt(
        &self,
        session: &Session,
        store: &mut Store,
        account: &Account,
        post: &Post,
        token: &Secret,
    ) -> Result<Outcome> {
        let provider = session.provider.as_ref();
        let plan = provider.plan(post.fingerprint.size);
        let mut upload = store.upload_state(post.id)?;
        if let Some(checkpoint) = upload.checkpoint.clone() {
            if upload.upload_complete {
                return self.poll(provider, store, post, token, &checkpoint).await;
            }
            // Ask the platform before doing anything: an upload whose last acknowledgement was
            // lost may be complete, and a complete upload must never be started again.
            store.check_lease(account.id)?;
            match provider.status(token, post, &checkpoint).await {
                Ok(RemoteState::Working { received }) => {
                    if received == Some(plan.size) {
                        store.save_progress(post.id, plan.count, true, self.now)?;
                        return self.poll(provider, store, post, token, &checkpoint).await;
                    }
                }
                Ok(RemoteState::Unknown(_)) => upload = UploadState::default(),
                Ok(state) => return Ok(self.final_outcome(post, state)),
                // A refusal we cannot interpret may concern an upload the platform already has
                // in full (a lost last acknowledgement): record it and ask again next run
                // rather than risk a second publish. So for every refusal but a passing one or
                // a login to renew: failing or pausing here could invite a `retry` that uploads
                // the whole video again.
                Err(Error::Api(e))
                    if !matches!(
                        e.class(),
                        ErrorClass::Retryable | ErrorClass::Token | ErrorClass::Auth
                    ) =>
                {
                    return self.status_unknown(store, post, e.to_string());
                }
                // The same for an answer refused for safety (redirect, oversized).
                Err(Error::Unsafe(e)) => return self.status_unknown(store, post, e.to_string()),
                Err(e) => return Err(e),
            }
        }
        // What the upload starts with: the post's choices, within what the account may do now.
        store.check_lease(account.id)?;
        let prepared = provider.prepare(token, account, post).await?;
        if let Some(value) = &prepared.account_info {
            store.set_creator_info(account.id, value, self.now)?;
        }
        let options = match prepared.verdict {
            Verdict::Go {
                options, adjusted, ..
            } => {
                if let Some(message) = adjusted {
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
                options
            }
            Verdict::Refused {
                code,
                message,
                hint,
            } => {
                return Ok(Outcome::Done(Settle::Failed {
                    code: Some(code),
                    message,
                    hint: Some(hint),
                }));
            }
            Verdict::Blocked { message, hint } => return Ok(Outcome::Blocked { message, hint }),
        };
        // The file must be the one the user scheduled. It is opened once, here: its
        // fingerprint is checked on that handle and every chunk is read from it, so a file
        // swapped at the path afterwards is never read (and one written to in place is caught
        // before its last byte is sent; see `media::Verified`).
        // On the shared queue the video may be the queue's own copy: written back into this
        // runner's folder first (and checked), then read like any file.
        let file = match post.media_id {
            Some(id) => match crate::media::stored::fetch(
                store,
                id,
                &post.fingerprint,
                &self.paths.media_cache_dir(),
            ) {
                Ok(path) => path,
                Err(e) => {
                    return Ok(Outcome::Done(Settle::Failed {
                        code: Some("media_missing".into()),
                        message: e.to_string(),
                        hint: Some(format!(
                            "`postez edit {id} --file PATH` sends the video to the shared queue \
                             again; then `postez retry {id}`",
                            id = post.id
                        )),
                    }));
                }
            },
            None => PathBuf::from(&post.file),
        };
        let expected = post.fingerprint.clone();
        // Blocking: it reads samples and may wait a moment for a file being written.
        let verified = tokio::task::spawn_blocking(move || Verified::open(&file, &expected))
            .await
            .map_err(|e| Error::Io(std::io::Error::other(e)))?;
        // The platform was asked first (above): any upload it holds is incomplete, and with the
        // file changed it never will be, so the upload is dropped and `edit` may take the file.
        let video = match verified {
            Ok(Some(video)) => Arc::new(video),
            Err(e @ MediaError::Changed { .. }) => {
                store.forget_upload(post.id)?;
                return Ok(Outcome::Done(file_changed(post, Some(e.to_string()))));
            }
            Ok(None) | Err(_) => {
                store.forget_upload(post.id)?;
                return Ok(Outcome::Done(file_changed(post, None)));
            }
        };
        let resumable = upload
            .checkpoint
            .as_ref()
            .is_some_and(|c| provider.resumable(c, plan, Utc::now()));
        let (mut checkpoint, mut next) = match upload.checkpoint.clone() {
            Some(checkpoint) if resumable => (checkpoint, upload.chunks_done),
            _ => (
                self.start_upload(provider, store, post, &options, token, plan)
                    .await?,
                0,
            ),
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
        let mut restarted = false;
        while next < plan.count {
            if self.cancel.load(Ordering::SeqCst) {
                return Ok(Outcome::Interrupted);
            }
            store.check_lease(account.id)?;
            let outcome = match self
                .put_with_retries(
                    provider,
                    store,
                    token,
                    &checkpoint,
                    &video,
                    post,
                    plan,
                    next,
                    &milestone,
                )
                .await
            {
                Ok(outcome) => outcome,
                // Caught before the last byte went out: the upload cannot be complete.
                Err(Error::Media(e)) => {
                    store.forget_upload(post.id)?;
                    return Ok(Outcome::Done(file_changed(post, Some(e.to_string()))));
                }
                // The upload address died (expired or unknown): the upload cannot have
                // completed, so starting a new one is safe. Once per attempt.
                Err(Error::Api(e)) if !restarted && e.class() == ErrorClass::UploadGone => {
                    tracing::info!(
                        post = post.id,
                        "upload address no longer valid ({}); starting again",
                        e.code
                    );
                    restarted = true;
                    checkpoint = self
                        .start_upload(provider, store, post, &options, token, plan)
                        .await?;
                    next = 0;
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
                    // Chunk boundaries are multiples of chunk_size; the platform holds whole
                    // chunks.
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
        self.poll(provider, store, post, token, &checkpoint).await
    }

    /// Start a new upload and commit its checkpoint before the first byte is sent: a crash
    /// from here on resumes this publish instead of starting another.
    async fn start_upload(
        &self,
        provider: &dyn Provider,
        store: &mut Store,
        post: &Post,
        options: &PostOptions,
        token: &Secret,
        plan: ChunkPlan,
    ) -> Result<Checkpoint> {
        let mut post = std::borrow::Cow::Borrowed(post);
        if post.upload_ahead() {
            // Too close to its time (or past it) for the platform to hold it: uploaded the
            // normal way, and recorded so, before the platform is asked anything.
            let rules = Subject::of(&post).platform.rules();
            if !rules.can_hold_until(post.scheduled_at, self.now) {
                store.upload_now(post.id, self.now)?;
                post.to_mut().due_at = post.scheduled_at;
            }
        }
        lease_check(store, &post)?;
        let checkpoint = provider.begin(token, &post, options, plan).await?;
        store.save_init(post.id, &checkpoint, self.now)?;
        Ok(checkpoint)
    }

    /// Send one chunk, retrying resets and 5xx a few times with a growing pause.
    #[allow(clippy::too_many_arguments)]
    async fn put_with_retries(
        &self,
        provider: &dyn Provider,
        store: &mut Store,
        token: &Secret,
        checkpoint: &Checkpoint,
        video: &Arc<Verified>,
        post: &Post,
        plan: ChunkPlan,
        index: u64,
        milestone: &Arc<AtomicU8>,
    ) -> Result<PutOutcome> {
        let mut tries = 0;
        loop {
            tries += 1;
            // A retry comes after a pause the process may have been stopped in (SIGSTOP, a
            // suspended VM): on the shared queue it asks for its lease again first.
            if tries > 1 {
                lease_check(store, post)?;
            }
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
                // Milestones below 100 % come from the stream; 100 % waits for the platform's answer.
                if step > milestone_seen.load(Ordering::Relaxed) && step < 100 {
                    milestone_seen.store(step, Ordering::Relaxed);
                    engine_events.event(&Event::Milestone {
                        post: subject.clone(),
                        percent: step,
                    });
                }
            });
            let mime = post.media.container.mime();
            match provider
                .upload(token, checkpoint, video, mime, plan, index, callback)
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

    /// An answer about an upload the platform may hold in full that postez cannot use: kept in the
    /// post's history, and the post left to the next run, which asks again (failing it would
    /// invite a `retry` that uploads the video a second time).
    fn status_unknown(&self, store: &mut Store, post: &Post, message: String) -> Result<Outcome> {
        tracing::warn!(
            post = post.id,
            "status answer not usable ({message}); asking next run"
        );
        store.add_event(
            post.id,
            "status_unknown",
            &serde_json::json!({ "message": message }),
            self.now,
        )?;
        Ok(Outcome::StillProcessing)
    }

    /// Poll the status until a final answer or the budget ends.
    async fn poll(
        &self,
        provider: &dyn Provider,
        store: &mut Store,
        post: &Post,
        token: &Secret,
        checkpoint: &Checkpoint,
    ) -> Result<Outcome> {
        let deadline = tokio::time::Instant::now() + self.options.poll_budget;
        let mut recorded = post.post_id.is_some();
        loop {
            lease_check(store, post)?;
            let answer = provider.status(token, post, checkpoint).await;
            // An upload ahead the platform now holds: its id is kept before anything else can
            // stop the run (a quota while asking), so the post goes back to `uploaded`, known.
            if !recorded
                && post.upload_ahead()
                && let Some(id) = provider.known_post_id(checkpoint)
            {
                store.save_post_id(post.id, &id, self.now)?;
                recorded = true;
            }
            match answer {
                Ok(RemoteState::Working { .. }) => {}
                // Every byte is in, so the platform publishes it whatever this answer says:
                // failing the post would be wrong, and a `retry` would publish it twice. Record
                // the answer and leave the post processing; the next run asks again.
                Ok(RemoteState::Unknown(message)) => {
                    return self.status_unknown(store, post, message);
                }
                Ok(state) => return Ok(self.final_outcome(post, state)),
                Err(Error::Api(e)) if e.class() == ErrorClass::Retryable => {
                    tracing::warn!(post = post.id, "status check failed ({e}); trying again");
                }
                Err(Error::Network(e)) => {
                    tracing::warn!(post = post.id, "status check failed ({e}); trying again")
                }
                Err(Error::Unsafe(e)) => return self.status_unknown(store, post, e.to_string()),
                // A dead upload address says nothing about an upload that is complete.
                Err(Error::Api(e))
                    if matches!(e.class(), ErrorClass::Permanent | ErrorClass::UploadGone) =>
                {
                    return self.status_unknown(store, post, e.to_string());
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
}

impl Engine {
    /// A final answer as the attempt's outcome.
    fn final_outcome(&self, post: &Post, state: RemoteState) -> Outcome {
        match state {
            // Held by the platform until its time. Once that time has passed it should be out:
            // said so in `show`, and asked again later, less and less often; after the grace
            // period it is recorded published with the platform's note (the upload succeeded,
            // and only the owner can make it public now).
            RemoteState::Held { id, at } => {
                let rules = Subject::of(post).platform.rules();
                if at + KEPT_PRIVATE_GRACE <= self.now
                    && let Some(note) = rules.kept_private(&id, &post.options)
                {
                    return Outcome::Done(Settle::PublishedNoted {
                        post_id: Some(id),
                        note,
                    });
                }
                let late = at <= self.now;
                let name = rules.platform().name();
                Outcome::Done(Settle::Uploaded {
                    post_id: id,
                    at,
                    late: late.then(|| {
                        format!(
                            "{name} still holds it private although its time has passed; postez \
                             asks {name} again later, less and less often, and records it \
                             published with a note {} hours after its time",
                            KEPT_PRIVATE_GRACE.num_hours()
                        )
                    }),
                    next_check: late.then(|| next_late_check(self.now, at)),
                })
            }
            state => final_outcome(state),
        }
    }
}

/// A final answer as the attempt's outcome.
fn final_outcome(state: RemoteState) -> Outcome {
    match state {
        RemoteState::Published(id) => Outcome::Done(Settle::Published(id)),
        RemoteState::PublishedNoted(post_id, note) => {
            Outcome::Done(Settle::PublishedNoted { post_id, note })
        }
        RemoteState::SentToInbox => Outcome::Done(Settle::SentToInbox),
        RemoteState::Failed(failure) => Outcome::Failed(failure),
        // Not final: the callers handle these before.
        RemoteState::Working { .. } | RemoteState::Unknown(_) | RemoteState::Held { .. } => {
            Outcome::StillProcessing
        }
    }
}

/// What to do about a failure that has no more specific hint. A refused status check may
/// concern an upload the platform already has in full, so a retry is not offered blindly then.
pub(super) fn retry_hint(id: PostId, e: &Error) -> String {
    match e {
        Error::Api(api) if api.action == crate::provider::STATUS_ACTION => {
            let name = api.platform.name();
            format!(
                "{name} may still publish it: look in the {name} app before `postez retry {id}`"
            )
        }
        _ => format!("`postez retry {id}` uploads it again"),
    }
}

/// The post's file is not the scheduled one (changed or replaced since, or written to during
/// the upload, as `message` says): nothing more is sent, and the user decides.
fn file_changed(post: &Post, message: Option<String>) -> Settle {
    Settle::Failed {
        code: Some("file_changed".into()),
        message: message
            .unwrap_or_else(|| format!("`{}` changed or moved since it was scheduled", post.file)),
        hint: Some(format!(
            "`postez edit {id}` accepts the file as it is now (or --file NEW); then `postez retry {id}`",
            id = post.id
        )),
    }
}

fn is_transient(e: &Error) -> bool {
    match e {
        Error::Network(_) => true,
        Error::Api(api) => api.http >= 500 || api.http == 429,
        _ => false,
    }
}

/// On the shared queue, before a platform call: this runner must still hold the post's account
/// (its lease), else it stops here ([`Error::LeaseLost`]) and the runner that took the account
/// over carries on from the saved checkpoint.
fn lease_check(store: &Store, post: &Post) -> Result<()> {
    match post.account_id {
        Some(account) => store.check_lease(account),
        None => Ok(()),
    }
}
