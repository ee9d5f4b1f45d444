//! TikTok's choices for one post ([`TikTokOptions`]): the TikTok variant of
//! [`PostOptions`](crate::post::PostOptions). They live with TikTok's module, as its rules do,
//! so each platform's option set sits beside the code that reads it; the queue stores this
//! struct's serde form as `posts.options` (migration 0006), so its field names are that format.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::post::{Mode, PostOptions, Privacy};

/// The choices that shape a post on TikTok, validated together by TikTok's
/// [`Rules::validate`](crate::provider::Rules::validate). Stored as JSON (`posts.options`): a
/// field missing there (a row written before the field existed) reads as its default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TikTokOptions {
    /// Direct post or draft.
    pub mode: Mode,
    /// Required for direct posts; none for drafts.
    pub privacy: Option<Privacy>,
    /// Let viewers comment (direct posts).
    pub allow_comments: bool,
    /// Let viewers duet (direct posts).
    pub allow_duet: bool,
    /// Let viewers stitch (direct posts).
    pub allow_stitch: bool,
    /// Frame used as the cover, in ms from the start.
    pub cover_at_ms: Option<u32>,
    /// "Your brand": promotional content.
    pub brand_organic: bool,
    /// "Branded content": paid partnership.
    pub branded_content: bool,
    /// Labelled as AI-generated.
    pub ai_generated: bool,
}

impl Default for TikTokOptions {
    /// A direct post with every choice off (the queue's `mode` column says which it is).
    fn default() -> Self {
        Self::plain(Mode::Direct)
    }
}

impl TikTokOptions {
    /// A post of `mode` with every choice off: no privacy yet, no interactions, no disclosure.
    pub fn plain(mode: Mode) -> Self {
        Self {
            mode,
            privacy: None,
            allow_comments: false,
            allow_duet: false,
            allow_stitch: false,
            cover_at_ms: None,
            brand_organic: false,
            branded_content: false,
            ai_generated: false,
        }
    }
}

impl TikTokOptions {
    /// `options` as TikTok's own. Another platform's options reaching TikTok's rules or
    /// provider is postez's bug (posts are routed by platform), so it is refused as one rather
    /// than read as if it were TikTok-shaped.
    pub fn of(options: &PostOptions) -> Result<&Self> {
        options.tiktok().ok_or_else(|| {
            Error::Internal(format!(
                "TikTok was handed a {} post's options",
                options.platform().name()
            ))
        })
    }
}
