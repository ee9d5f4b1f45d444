//! What the engine reports: [`Event`]s about a [`Subject`] post, the [`Progress`] trait that
//! receives them, and [`logged`], which writes each one to the log before passing it on.
//!
//! An event's JSON form (`postez run --json`, documented in the README) is its `Serialize`:
//! `{"type": "started", "data": {"id": 3, "file": "clip.mp4", …}}`. The serde attributes below
//! are that contract; the CLI only prints what they produce.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Serialize, Serializer};

use crate::post::{Mode, Post, PostId};
use crate::provider::Platform;

/// The post an event is about. In JSON its `id` and `file` join the event's own fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Subject {
    /// Queue id.
    pub id: PostId,
    /// File name.
    pub file: String,
    /// Direct or draft.
    #[serde(skip)]
    pub mode: Mode,
    /// The platform it goes to (named in what is printed; not in JSON, which never had it).
    #[serde(skip)]
    pub platform: Platform,
}

impl Subject {
    pub(super) fn of(post: &Post) -> Self {
        Self {
            id: post.id,
            file: Path::new(&post.file)
                .file_name()
                .map_or_else(|| post.file.clone(), |n| n.to_string_lossy().into_owned()),
            mode: post.options.mode(),
            platform: post
                .platform
                .parse()
                .unwrap_or_else(|_| crate::queue::platform()),
        }
    }
}

/// What happens during a run, in order, for the reporter.
///
/// In JSON a `post` is either flattened (`id` and `file`) or its `id` alone, as each type
/// has always printed it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum Event {
    /// The run took this many due posts (resumed ones included).
    Claimed {
        /// How many.
        count: u32,
    },
    /// An upload begins (or resumes from `offset`).
    Started {
        /// The post.
        #[serde(flatten)]
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
        #[serde(rename = "id", serialize_with = "id_only")]
        post: Subject,
        /// Which milestone: 25, 50, 75 or 100.
        percent: u8,
    },
    /// The upload is complete; TikTok is processing.
    Processing {
        /// The post.
        #[serde(rename = "id", serialize_with = "id_only")]
        post: Subject,
    },
    /// Live on TikTok.
    Published {
        /// The post.
        #[serde(flatten)]
        post: Subject,
        /// Public post id, when TikTok gave one.
        post_id: Option<String>,
        /// What the platform did otherwise than asked (YouTube made it private), when it did.
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<crate::provider::Notice>,
    },
    /// On the platform, held private until `public_at`, when the platform makes it public by
    /// itself (an upload ahead); a run after that time confirms it.
    Uploaded {
        /// The post.
        #[serde(flatten)]
        post: Subject,
        /// The platform's id of the post.
        post_id: String,
        /// When the platform makes it public.
        #[serde(serialize_with = "seconds")]
        public_at: DateTime<Utc>,
        /// Why it is not public although that time has passed, when it is not.
        late: Option<String>,
    },
    /// In the creator's TikTok inbox.
    SentToInbox {
        /// The post.
        #[serde(flatten)]
        post: Subject,
        /// The caption, which TikTok's inbox upload does not carry: the creator pastes it in
        /// the app. `None` when the post has none.
        caption: Option<String>,
    },
    /// Failed for good.
    Failed {
        /// The post.
        #[serde(flatten)]
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
        #[serde(flatten)]
        post: Subject,
        /// Why.
        message: String,
        /// When it will be tried again.
        #[serde(rename = "next_attempt_at", serialize_with = "seconds")]
        next_at: DateTime<Utc>,
    },
    /// Not attempted this run (no usable login, creator cannot post now); still queued.
    Blocked {
        /// The post.
        #[serde(flatten)]
        post: Subject,
        /// Why.
        message: String,
        /// What to do.
        hint: Option<String>,
    },
    /// Posts of one account wait for the account's sake (a TikTok quota until its end, a
    /// paused account, refused app credentials, a login to renew): one event for all of them.
    #[serde(rename = "held")]
    AccountHeld {
        /// The account's name.
        account: String,
        /// The posts held.
        #[serde(rename = "ids")]
        posts: Vec<PostId>,
        /// The platform's error code, when there is one.
        code: Option<String>,
        /// Why.
        message: String,
        /// What to do.
        hint: Option<String>,
        /// When they are tried again by themselves; `None`: at the next run, or for a paused
        /// account once the user connects it again.
        #[serde(serialize_with = "seconds_or_null")]
        until: Option<DateTime<Utc>>,
        /// The run ends "needs auth" (3), and its error repeats the message and hint.
        #[serde(skip)]
        needs_auth: bool,
    },
    /// TikTok is still processing after this run's polling budget; the next run polls again.
    StillProcessing {
        /// The post.
        #[serde(rename = "id", serialize_with = "id_only")]
        post: Subject,
    },
    /// Stopped by a signal after a chunk; the next run resumes.
    Interrupted {
        /// The post.
        #[serde(rename = "id", serialize_with = "id_only")]
        post: Subject,
    },
    /// A setting was adjusted to what the creator allows (TikTok's rule).
    Adjusted {
        /// The post.
        #[serde(rename = "id", serialize_with = "id_only")]
        post: Subject,
        /// What changed.
        message: String,
    },
    /// `--dry-run`: what would happen.
    WouldPublish {
        /// The post.
        #[serde(flatten)]
        post: Subject,
        /// Summary of the checks.
        message: String,
    },
}

/// A post as its id alone.
fn id_only<S: Serializer>(post: &Subject, s: S) -> Result<S::Ok, S::Error> {
    post.id.serialize(s)
}

/// An instant as RFC 3339 UTC to the second (`2026-12-01T18:00:00Z`), like every time postez
/// prints.
fn seconds<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&at.to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// [`seconds`], or null.
fn seconds_or_null<S: Serializer>(at: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => seconds(at, s),
        None => s.serialize_none(),
    }
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
