//! The steps of a resumable publish that every platform provider exposes, and the values they
//! pass to the engine. The engine (`crate::publish`) owns the state machine: it claims a post,
//! commits the [`Checkpoint`] [`Provider::begin`] returns before the first byte moves, asks
//! [`Provider::status`] before touching a saved upload, sends chunks through
//! [`Provider::upload`], and classifies what went wrong by the [`ErrorClass`] the provider put
//! on its errors. A provider never touches the queue: what it learns comes back as values.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{ApiError, Creator, LoginSteps, Platform};
use crate::error::Result;
use crate::media::Verified;
use crate::post::{Post, PostId, PostOptions};
use crate::secrets::Secret;
use crate::store::Account;

/// How a file is cut for upload. The provider chooses it ([`Provider::plan`]); the engine walks
/// it chunk by chunk and saves how many chunks the platform acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkPlan {
    /// File size.
    pub size: u64,
    /// Size of every chunk but the last.
    pub chunk_size: u64,
    /// Number of chunks; the last ends at the end of the file.
    pub count: u64,
}

impl ChunkPlan {
    /// Byte range `[first, last]` (inclusive) of chunk `i`.
    pub fn range(&self, i: u64) -> (u64, u64) {
        let first = i * self.chunk_size;
        let last = if i + 1 >= self.count {
            self.size.saturating_sub(1)
        } else {
            first + self.chunk_size - 1
        };
        (first, last)
    }
}

/// What one chunk sent achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    /// Stored; more expected.
    Stored,
    /// The whole file is in; the platform is processing.
    Complete,
    /// The platform already holds this many bytes (a lost acknowledgement, or a resumed upload).
    AlreadyHave(u64),
}

/// The platform's handle on one upload, committed before its first byte is sent, so that a
/// crash resumes this publish instead of starting another (TikTok: `publish_id` and the upload
/// URL; the plan's chunk size).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The platform's id for this publish.
    pub id: String,
    /// Where the bytes go. It carries a signature: never logged, exported or shown, and dropped
    /// once the post is settled.
    #[serde(default)]
    pub upload_url: String,
    /// When the upload address stops taking bytes, if it does.
    pub expires_at: Option<DateTime<Utc>>,
    /// Chunk size of the plan the upload was started with.
    #[serde(default)]
    pub chunk_size: u64,
}

impl Drop for Checkpoint {
    // The upload address carries a signature: wiped like a `Secret` when the checkpoint goes.
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.upload_url);
    }
}

impl std::fmt::Debug for Checkpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checkpoint")
            .field("id", &self.id)
            .field("expires_at", &self.expires_at)
            .field("chunk_size", &self.chunk_size)
            .finish_non_exhaustive()
    }
}

/// A publish the platform ended without success, and what the engine should make of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The platform's reason code.
    pub code: String,
    /// One sentence.
    pub message: String,
    /// What to do, when the platform's reason says.
    pub hint: Option<String>,
    /// `Retryable`: a new upload later; `Quota`/`Banned`: the account's matter; else final.
    pub class: ErrorClass,
}

/// What the user should know about a publish that succeeded anyway, in the platform's words
/// (YouTube: the video came back private although public was asked, §6).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Notice {
    /// The provider's code for it.
    pub code: String,
    /// One sentence.
    pub message: String,
    /// What to do.
    pub hint: Option<String>,
}

/// What the platform says about a saved upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteState {
    /// Not finished: still taking bytes (`received` of them, when it says) or processing.
    Working {
        /// Bytes the platform holds, when it says.
        received: Option<u64>,
    },
    /// Live, with the public id when the platform gave one.
    Published(Option<String>),
    /// Live, but not as the user asked: published all the same, with the [`Notice`] telling
    /// what changed and why.
    PublishedNoted(Option<String>, Notice),
    /// On the platform and processed, held private until `at`, when the platform makes it
    /// public by itself (an upload ahead, [`crate::post::Post::upload_ahead`]).
    Held {
        /// The platform's id of the post.
        id: String,
        /// When the platform makes it public.
        at: DateTime<Utc>,
    },
    /// In the creator's inbox (a draft).
    SentToInbox,
    /// The platform ended it without success.
    Failed(Failure),
    /// The platform does not know this upload (its answer, for the post's history): it cannot
    /// have completed, so a new one is safe.
    Unknown(String),
}

/// What [`Provider::prepare`] found out before an upload starts.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// What the platform said about the account, kept on it (TikTok: `creator_info`).
    pub account_info: Option<serde_json::Value>,
    /// Whether and how to go on.
    pub verdict: Verdict,
}

/// Whether a post can be uploaded now.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// Go on, sending `options` (the post's, within what the account allows now).
    Go {
        /// What the upload is started with.
        options: PostOptions,
        /// Choices the platform forced off, told to the user.
        adjusted: Option<String>,
        /// Who the post goes out as, when the platform said (for `run --dry-run`'s report).
        creator: Option<String>,
    },
    /// The post cannot go as it is: it fails, with the way to fix it.
    Refused {
        /// Reason code.
        code: String,
        /// One sentence.
        message: String,
        /// What to do.
        hint: String,
    },
    /// The account cannot post right now (not the post's fault): its posts wait for the next
    /// run.
    Blocked {
        /// One sentence.
        message: String,
        /// What to do.
        hint: String,
    },
}

/// Where an upload's bytes are reported, as they leave.
pub type SentBytes = Arc<dyn Fn(u64) + Send + Sync>;

/// How errors are classified: what the engine does about each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Temporary (5xx, 429, network): the next attempt may succeed.
    Retryable,
    /// The access token was refused: refresh the login once and try again.
    Token,
    /// The saved login no longer works: the account must be connected again.
    Auth,
    /// Retrying the same request cannot help.
    Permanent,
    /// A daily quota: not a failure. The account's posts of that kind wait until the window
    /// has passed ([`Provider::quota_ends`]).
    Quota,
    /// The platform refuses to let the account post at all ("retry should not be done"): the
    /// post fails and the account is paused until the user acts.
    Banned,
    /// The app's own credentials (client key or secret) were refused: no login of any account
    /// can work until they are fixed. The posts wait.
    Client,
    /// The login lacks a scope the request needs (TikTok: Direct Post's `video.publish`).
    Scope,
    /// The upload address is dead (expired or unknown): the upload cannot have completed, so a
    /// new one may start.
    UploadGone,
}

/// One platform, as the engine drives it, with its login steps ([`LoginSteps`]: the engine
/// refreshes logins through them). Built by [`super::for_account`], the one place that matches
/// on [`Platform`].
#[async_trait::async_trait]
pub trait Provider: LoginSteps + Send + Sync {
    /// Which platform this is.
    fn platform(&self) -> Platform;

    /// Ask the platform what the account may do now, before any upload starts. `post`'s
    /// choices are checked against the answer; nothing is changed (so `run --dry-run` uses it
    /// too).
    async fn prepare(&self, token: &Secret, account: &Account, post: &Post) -> Result<Prepared>;

    /// Ask the platform what the account may post now, for a person scheduling a direct post
    /// (TikTok: `creator_info`), so what it cannot post is refused before it is queued. `run`
    /// asks again in [`Provider::prepare`].
    async fn creator(&self, token: &Secret) -> Result<Arc<dyn Creator>>;

    /// How a file of `size` bytes is cut into chunks.
    fn plan(&self, size: u64) -> ChunkPlan;

    /// Start a new upload of `post` with `options` (from [`Verdict::Go`]). The engine commits
    /// the answer before sending a byte.
    async fn begin(
        &self,
        token: &Secret,
        post: &Post,
        options: &PostOptions,
        plan: ChunkPlan,
    ) -> Result<Checkpoint>;

    /// Whether a saved upload can still take the rest of its bytes (its address has time left
    /// and the plan is the same).
    fn resumable(&self, checkpoint: &Checkpoint, plan: ChunkPlan, now: DateTime<Utc>) -> bool;

    /// Send chunk `index` of `plan`, read from `video`, reporting bytes as they leave.
    #[allow(clippy::too_many_arguments)]
    async fn upload(
        &self,
        token: &Secret,
        checkpoint: &Checkpoint,
        video: &Arc<Verified>,
        mime: &'static str,
        plan: ChunkPlan,
        index: u64,
        sent: SentBytes,
    ) -> Result<PutOutcome>;

    /// Ask where a saved upload stands. Errors carry their class; an unknown upload is
    /// [`RemoteState::Unknown`], not an error.
    async fn status(
        &self,
        token: &Secret,
        post: &Post,
        checkpoint: &Checkpoint,
    ) -> Result<RemoteState>;

    /// The platform's id of the post the upload `checkpoint` made, once the platform gave it
    /// (YouTube's last upload reply names the video): the engine records it at once, so a run
    /// that stops before the post is settled leaves it known (§2.5 of the YouTube notes).
    fn known_post_id(&self, _checkpoint: &Checkpoint) -> Option<String> {
        None
    }

    /// When a quota the platform reported (its `code`) lets the account's posts go again.
    fn quota_ends(&self, code: &str, now: DateTime<Utc>) -> DateTime<Utc>;

    /// The scope a direct post needs beyond a draft's, if the platform has one (TikTok:
    /// `video.publish`).
    fn direct_scope(&self) -> Option<&'static str>;

    /// Why a direct post of `account` cannot go for want of [`Provider::direct_scope`] (the
    /// platform said so in `error`, or the login never had it), with the way to a draft.
    fn direct_refused(&self, account: &str, post: PostId, error: Option<&ApiError>) -> Failure;

    /// Move the time at which the platform makes the held post `post_id` public to `at`
    /// (a platform that holds no post has nothing to move: postez's bug if asked).
    async fn reschedule(&self, _token: &Secret, post_id: &str, _at: DateTime<Utc>) -> Result<()> {
        Err(crate::error::Error::Internal(format!(
            "{} holds no post to reschedule ({post_id})",
            self.platform().name()
        )))
    }

    /// Delete the post `post_id` on the platform. One the platform no longer has counts as
    /// deleted (a lost reply to an earlier delete).
    async fn remove(&self, _token: &Secret, post_id: &str) -> Result<()> {
        Err(crate::error::Error::Internal(format!(
            "{} holds no post to delete ({post_id})",
            self.platform().name()
        )))
    }
}
