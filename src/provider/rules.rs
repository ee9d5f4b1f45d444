//! What a platform accepts, as a value the library gets without a network client
//! ([`super::Platform::rules`]): its media limits, how long a caption may be and how it is
//! counted, which post options go together, and the declaration a user agrees to before a
//! post goes out. `schedule`, `edit`, `import` and `run --dry-run` all check posts through these,
//! so a post is held to its platform's rules however it enters the queue.
//!
//! Only what can be checked before any account is asked lives here; what the platform says about
//! an account right now (TikTok's `creator_info`) is the provider's `prepare`.

use std::path::Path;

use chrono::{DateTime, Utc};

use super::{Platform, Scopes};
use crate::error::Result;
use crate::media::{MediaError, MediaInfo};
use crate::post::PostOptions;
use crate::store::Account;

/// One platform's rules for a post. Pure: no I/O, no clock.
pub trait Rules: Send + Sync {
    /// Which platform these are.
    fn platform(&self) -> Platform;

    /// The scopes a login asks for, by what they let postez do: also what an account's saved
    /// scopes are read against (its modes), where there is no client to ask.
    fn scopes(&self) -> Scopes;

    /// Hold a probed video's facts against the platform's upload limits; `path` names the file
    /// in messages.
    fn check_media(&self, path: &Path, info: &MediaInfo) -> std::result::Result<(), MediaError>;

    /// The longest caption, in the units [`Rules::caption_len`] counts.
    fn max_caption(&self) -> usize;

    /// A caption's length as the platform counts it.
    fn caption_len(&self, caption: &str) -> usize;

    /// The caption the platform receives: `text`, then each hashtag not already in it, checked
    /// against the platform's limits.
    fn build_caption(&self, text: &str, hashtags: &[String]) -> Result<String>;

    // The options below are the post's, tagged by platform: each platform reads its own
    // variant, and another platform's is postez's bug (`Error::Internal`), not the user's.

    /// Refuse a mode `account` cannot post in (a direct post without the grant for it), at
    /// schedule time rather than at run time. With no account yet, any mode goes.
    fn check_mode(&self, account: Option<&Account>, options: &PostOptions) -> Result<()>;

    /// The rules among `options` (and against the video's length) that need no account.
    fn validate(&self, options: &PostOptions, duration_ms: Option<u64>) -> Result<()>;

    /// The declaration the user must see and agree to before a post with `options` goes out,
    /// if the platform requires one.
    fn consent(&self, options: &PostOptions) -> Option<&'static str>;

    /// What the user agrees to, as an error asking for `--yes` names it.
    fn consent_name(&self) -> &'static str;

    /// The privacy levels an account's saved `account_info` (the platform's last answer about
    /// it) offers, as `accounts --json` shows them; `None` when it names none.
    fn privacy_options(&self, account_info: &serde_json::Value) -> Option<serde_json::Value>;

    /// How the user takes postez's access away at the platform when postez could not revoke
    /// it (offline, a dead login): a clause that follows the error.
    fn manual_revoke_hint(&self) -> &'static str;

    /// Whether the platform may hold the finished upload before postez heard so (YouTube
    /// creates the video when the last byte arrives, even if its reply is lost). Then a post
    /// that holds an upload keeps it until the platform is asked: editing, cancelling or
    /// retrying it must not start a second one. TikTok cannot publish an incomplete upload.
    fn upload_may_exist_before_confirmed(&self) -> bool;

    /// How long before its time a post may still be uploaded for the platform to make it
    /// public by itself (`schedule --upload-ahead`); `None` when the platform cannot hold a
    /// post until a time. Closer than this, the post is uploaded the normal way.
    fn hold_margin(&self) -> Option<chrono::Duration>;

    /// The note recorded on a post the platform still kept private hours after its time, when
    /// postez stops asking and records it published (the upload succeeded; the user makes it
    /// public by hand). `None` where posts are never held.
    fn kept_private(&self, _post_id: &str, _options: &PostOptions) -> Option<super::Notice> {
        None
    }

    /// Whether the platform can still hold a post until `at`, seen at `now`: it holds posts,
    /// and `at` is at least [`Rules::hold_margin`] away. The one test of that margin (queue,
    /// run, dry run, `edit`/`cancel` of an uploaded post).
    fn can_hold_until(&self, at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        self.hold_margin().is_some_and(|margin| at - now >= margin)
    }

    /// Refuse `--upload-ahead` for a post with `options` the platform cannot hold until its
    /// time (another platform, a privacy with no time to go public at).
    fn check_upload_ahead(&self, options: &PostOptions) -> Result<()>;

    /// Where the owner changes the post `post_id` by hand on the platform's site, if it has
    /// such a page.
    fn manage_link(&self, post_id: &str) -> Option<String>;
    /// Where people watch a published post, from the platform's post id and the video's facts
    /// (`list`, `show`, `history` and `--json`'s `url`); `None` when the platform's address
    /// needs more than postez keeps.
    fn post_url(&self, post_id: &str, media: &MediaInfo) -> Option<String>;
}
