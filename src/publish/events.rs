//! What the engine reports: [`Event`]s about a [`Subject`] post, the [`Progress`] trait that
//! receives them, and [`logged`], which writes each one to the log before passing it on.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::post::{Mode, Post, PostId};

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
    pub(super) fn of(post: &Post) -> Self {
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
        /// The caption, which TikTok's inbox upload does not carry: the creator pastes it in
        /// the app. `None` when the post has none.
        caption: Option<String>,
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
    /// Posts of one account wait for the account's sake (a TikTok quota until its end, a
    /// paused account, refused app credentials, a login to renew): one event for all of them.
    AccountHeld {
        /// The account's name.
        account: String,
        /// The posts held.
        posts: Vec<PostId>,
        /// The platform's error code, when there is one.
        code: Option<String>,
        /// Why.
        message: String,
        /// What to do.
        hint: Option<String>,
        /// When they are tried again by themselves; `None`: at the next run, or for a paused
        /// account once the user connects it again.
        until: Option<DateTime<Utc>>,
        /// The run ends "needs auth" (3), and its error repeats the message and hint.
        needs_auth: bool,
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
