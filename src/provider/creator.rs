//! What an account may post right now, as the platform says when someone schedules a direct
//! post ([`Creator`], from [`super::Provider::creator`]). The platform's own answer (TikTok's
//! `creator_info`) stays inside its provider: callers only ask the questions a post screen
//! needs, so `schedule`, `edit` and `import` refuse what the account cannot post before it is
//! queued rather than at run time.

use std::fmt;

use super::Platform;
use crate::error::Result;
use crate::post::{PostOptions, Privacy};

/// One account as its platform describes it now. Pure: the asking is done.
pub trait Creator: fmt::Debug + Send + Sync {
    /// Which platform answered.
    fn platform(&self) -> Platform;

    /// How the account is named before the consent (printable: remote text is cleaned).
    fn name(&self) -> String;

    /// The privacy levels the account is offered, in the platform's order; all of them when
    /// the platform restricts none.
    fn privacy_levels(&self) -> Vec<Privacy>;

    /// Refuse what the account cannot post with `options` (and a video of `duration_ms`);
    /// `file` names the video in the message.
    fn check(&self, options: &PostOptions, duration_ms: Option<u64>, file: &str) -> Result<()>;

    /// The interactions `options` allow but the account turned off ("comments", …): they stay
    /// off when the post goes.
    fn turned_off(&self, options: &PostOptions) -> Vec<&'static str>;

    /// The answer as kept on the account row (`accounts`, `export`).
    fn account_info(&self) -> Option<serde_json::Value>;
}
