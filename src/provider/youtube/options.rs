//! YouTube's choices for one post ([`YouTubeOptions`]): the YouTube variant of
//! [`PostOptions`](crate::post::PostOptions), stored as this struct's serde form in
//! `posts.options` like TikTok's (no migration: the row's platform says which shape it is).

use serde::{Deserialize, Serialize};

use super::rules::Visibility;
use crate::error::{Error, Result};
use crate::post::PostOptions;

/// What `videos.insert` needs beyond the caption (the description), validated by YouTube's
/// rules at schedule time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct YouTubeOptions {
    /// `snippet.title` (1–100 characters, no `<` or `>`).
    pub title: String,
    /// `status.privacyStatus`: always chosen by the user, never defaulted (omitted is public).
    pub privacy: Visibility,
    /// `status.selfDeclaredMadeForKids`: YouTube requires the audience choice.
    pub made_for_kids: bool,
    /// `status.containsSyntheticMedia`.
    #[serde(default)]
    pub ai_generated: bool,
    /// `snippet.categoryId`; none lets YouTube pick.
    #[serde(default)]
    pub category: Option<String>,
    /// `notifySubscribers` (YouTube's default: true).
    #[serde(default = "yes")]
    pub notify: bool,
    /// `snippet.tags` (`--tag`), in order; a post queued before tags existed has none.
    #[serde(default)]
    pub tags: Vec<String>,
}

fn yes() -> bool {
    true
}

impl YouTubeOptions {
    /// `options` as YouTube's own; another platform's reaching YouTube is postez's bug.
    pub fn of(options: &PostOptions) -> Result<&Self> {
        options.youtube().ok_or_else(|| {
            Error::Internal(format!(
                "YouTube was handed a {} post's options",
                options.platform().name()
            ))
        })
    }
}
