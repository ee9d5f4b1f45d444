//! One attempt at one post: init (or resume) the upload, send the chunks with retries, poll
//! the status, check the creator, and classify failures (transient or not, retry or give up).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

use chrono::Utc;

use crate::error::{Error, Result};
use crate::media::{MediaError, Verified};
use crate::post::{Mode, Options, Post, PostId, Privacy};
use crate::provider::ErrorClass;
use crate::provider::tiktok::{ChunkPlan, CreatorInfo, PostStatus, PutOutcome, TikTok};
use crate::secrets::Secret;
use crate::store::{Account, Settle, Store, UploadState};

use super::{Engine, Event, Session, Subject};

/// How long an upload URL is good for (TikTok: one hour).
const UPLOAD_URL_LIFE: chrono::Duration = chrono::Duration::minutes(60);
/// Don't start resuming an upload whose URL has less than this left.
const UPLOAD_URL_MARGIN: chrono::Duration = chrono::Duration::minutes(5);
/// Retries of one chunk within a run (5xx, resets) before the attempt is given up.
const CHUNK_TRIES: u32 = 5;

impl Engine {
    /// A temporary failure: queued again with exponential backoff (1, 2, 4 … minutes, at most
    /// an hour, with jitter), or failed once `max_attempts` is reached.
    pub(super) fn retry_or_fail(
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

/// How one attempt ended.
pub(super) enum Outcome {
    Done(Settle),
    StillProcessing,
    Interrupted,
    CreatorBlocked { message: String },
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
                // than risk a second publish. So for every refusal but a passing one or a
                // login to renew: failing or pausing here could invite a `retry` that uploads
                // the whole video again.
                Err(Error::Api(e))
                    if !matches!(e.class(), ErrorClass::Retryable | ErrorClass::Auth) =>
                {
                    return self.status_unknown(store, post, e.to_string());
                }
                // The same for an answer refused for safety (redirect, oversized).
                Err(Error::Unsafe(e)) => return self.status_unknown(store, post, e.to_string()),
                Err(e) => return Err(e),
            }
        }
        // What init sends: the post's choices, less the interactions the creator turned off.
        let mut options = post.options.clone();
        if post.options.mode == Mode::Direct {
            let info = match tiktok.creator_info(token).await {
                Ok(info) => info,
                // "Cannot post now" comes with HTTP 200 on purpose (shared/tiktok-api.md §2.1).
                // The documented codes (quotas, a ban) are the engine's to classify; one it
                // does not know keeps the account's posts for the next run.
                Err(Error::Api(e))
                    if e.class() == ErrorClass::Permanent
                        && (e.http == 200 || e.code.starts_with("spam_risk")) =>
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
            options = within_creator(&post.options, &info);
        }
        // The file must be the one the user scheduled. It is opened once, here: its
        // fingerprint is checked on that handle and every chunk is read from it, so a file
        // swapped at the path afterwards is never read (and one written to in place is caught
        // before its last byte is sent; see `media::Verified`).
        let (file, expected) = (PathBuf::from(&post.file), post.fingerprint.clone());
        // Blocking: it reads samples and may wait a moment for a file being written.
        let verified = tokio::task::spawn_blocking(move || Verified::open(&file, &expected))
            .await
            .map_err(|e| Error::Io(std::io::Error::other(e)))?;
        let video = match verified {
            Ok(Some(video)) => Arc::new(video),
            Err(e @ MediaError::Changed { .. }) => {
                return Ok(Outcome::Done(file_changed(post, Some(e.to_string()))));
            }
            Ok(None) | Err(_) => return Ok(Outcome::Done(file_changed(post, None))),
        };
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
            let (publish_id, url) = self
                .start_upload(tiktok, store, post, &options, token, plan)
                .await?;
            (publish_id, url, 0)
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
                .put_with_retries(tiktok, &url, &video, post, plan, next, &milestone)
                .await
            {
                Ok(outcome) => outcome,
                Err(Error::Media(e)) => {
                    return Ok(Outcome::Done(file_changed(post, Some(e.to_string()))));
                }
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
                    (publish_id, url) = self
                        .start_upload(tiktok, store, post, &options, token, plan)
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

    /// Initialise a new upload and commit its `publish_id` and URL before the first byte is
    /// sent: a crash from here on resumes this publish instead of starting another.
    async fn start_upload(
        &self,
        tiktok: &TikTok,
        store: &mut Store,
        post: &Post,
        options: &Options,
        token: &Secret,
        plan: ChunkPlan,
    ) -> Result<(String, Secret)> {
        let init = tiktok.init(token, options, &post.caption, plan).await?;
        store.save_init(
            post.id,
            &init.publish_id,
            init.upload_url.expose(),
            Utc::now() + UPLOAD_URL_LIFE,
            plan.chunk_size,
            self.now,
        )?;
        Ok((init.publish_id, init.upload_url))
    }

    /// PUT one chunk, retrying resets and 5xx a few times with a growing pause.
    #[allow(clippy::too_many_arguments)]
    async fn put_with_retries(
        &self,
        tiktok: &TikTok,
        url: &Secret,
        video: &Arc<Verified>,
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
                .put_chunk(url, video, mime, plan, index, callback)
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

    /// An answer about an upload TikTok may hold in full that postez cannot use: kept in the
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
                Err(Error::Unsafe(e)) => return self.status_unknown(store, post, e.to_string()),
                Err(Error::Api(e)) if e.class() == ErrorClass::Permanent => {
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
}

/// What to do about a failure that has no more specific hint. A refused status check may
/// concern an upload TikTok already has in full, so a retry is not offered blindly then.
pub(super) fn retry_hint(id: PostId, e: &Error) -> String {
    match e {
        Error::Api(api) if api.action == "check the post's status" => format!(
            "TikTok may still publish it: look in the TikTok app before `postez retry {id}`"
        ),
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

/// The options a direct post is sent with: an interaction the creator turned off in TikTok
/// stays off whatever the post allows, so init sends `disable_* = !allow || creator disabled`
/// (the "they stay off" the user is told is then true of what TikTok receives).
fn within_creator(options: &Options, info: &CreatorInfo) -> Options {
    Options {
        allow_comments: options.allow_comments && !info.comment_disabled,
        allow_duet: options.allow_duet && !info.duet_disabled,
        allow_stitch: options.allow_stitch && !info.stitch_disabled,
        ..options.clone()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_options_keep_off_what_the_post_or_the_creator_turned_off() {
        for (allow, disabled) in [(false, false), (true, false), (false, true), (true, true)] {
            let options = Options {
                privacy: Some(Privacy::SelfOnly),
                allow_comments: allow,
                allow_duet: allow,
                allow_stitch: allow,
                ..Options::plain(Mode::Direct)
            };
            let info = CreatorInfo {
                comment_disabled: disabled,
                duet_disabled: disabled,
                stitch_disabled: disabled,
                ..CreatorInfo::default()
            };
            let sent = within_creator(&options, &info);
            let on = allow && !disabled;
            assert_eq!(
                (sent.allow_comments, sent.allow_duet, sent.allow_stitch),
                (on, on, on),
                "allow {allow}, creator disabled {disabled}"
            );
            assert_eq!(sent.privacy, options.privacy, "nothing else changes");
        }
    }
}
