//! What an account may post, asked of its platform when a direct post is scheduled, edited or
//! imported ([`crate::provider::Creator`], through the provider's `creator` step): the name to
//! show before the consent, the privacy levels to offer, the longest video, and the
//! interactions the account turned off (TikTok's Content Sharing Guidelines,
//! shared/tiktok-api.md §3).
//!
//! TikTok wants a *fresh* `creator_info` on the post screen, so it is asked every time (once per
//! account and command: `import` shares one answer between its rows) rather than cached: the
//! 20-a-minute limit leaves plenty of room for a person scheduling. When the platform cannot be
//! asked (offline, no usable login), nothing is refused: the caller says so, and `postez run`
//! asks again before every direct post, as it always has.
//!
//! Never prints; the CLI renders what this returns.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use crate::auth;
use crate::config::Config;
use crate::env::{Env, Paths};
use crate::post::Privacy;
use crate::provider::{self, Creator, Platform};
use crate::store::{Account, AccountState, Store};

/// How long `schedule` waits for the platform's answer before going on without it: a person
/// is waiting, and `run` checks again anyway.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(15);

/// The rate window of the provider built here: the platform's own (one minute), as outside
/// tests `run` uses too.
const RATE_WINDOW: Duration = Duration::from_secs(60);

/// What the platform said about the account, or why it was not asked.
#[derive(Debug, Clone)]
pub enum CreatorCheck {
    /// The platform answered.
    Checked(Arc<dyn Creator>),
    /// The platform was not asked or did not answer; `reason` says why, in a few words.
    NotChecked {
        /// The platform that was not asked.
        platform: Platform,
        /// The account's saved name, if there is an account.
        account: Option<String>,
        /// Why, e.g. "TikTok could not be reached (connection refused)".
        reason: String,
    },
}

impl CreatorCheck {
    /// The account as its platform described it, when the platform answered.
    pub fn creator(&self) -> Option<&dyn Creator> {
        match self {
            Self::Checked(c) => Some(c.as_ref()),
            Self::NotChecked { .. } => None,
        }
    }

    /// The platform asked (or not).
    pub fn platform(&self) -> Platform {
        match self {
            Self::Checked(c) => c.platform(),
            Self::NotChecked { platform, .. } => *platform,
        }
    }
}

/// Ask `account`'s platform what it may post now, refreshing its login if needed (under the
/// same lock as `run`, so a rotating refresh token is never spent twice). Saves the answer on
/// the account row. Never fails: every obstacle becomes [`CreatorCheck::NotChecked`] with its
/// reason. With no account, the queue's platform is the one not asked.
pub async fn ask(
    env: &Env,
    paths: &Paths,
    config: &Config,
    store: &mut Store,
    account: Option<&Account>,
) -> CreatorCheck {
    let Some(account) = account else {
        let platform = crate::queue::platform();
        return CreatorCheck::NotChecked {
            platform,
            account: None,
            reason: format!("no {} account is connected yet", platform.name()),
        };
    };
    let platform = account.platform;
    let not_checked = |reason: String| CreatorCheck::NotChecked {
        platform,
        account: Some(account.label()),
        reason,
    };
    if account.state == AccountState::NeedsReconnect {
        return not_checked(format!(
            "its login must be renewed with `postez connect {platform}`"
        ));
    }
    // Without prompting: a token file needs POSTEZ_PASSPHRASE or the passphrase command, as
    // under cron.
    let opened =
        auth::open_store(auth::account_backend(account), paths, env, config).and_then(|secrets| {
            let provider = provider::for_account(platform, env, config, &secrets, RATE_WINDOW)?;
            Ok((secrets, provider))
        });
    let (secrets, provider) = match opened {
        Ok(pair) => pair,
        Err(e) => return not_checked(e.to_string()),
    };
    // Real time, not POSTEZ_NOW: token lifetimes are the platform's clock (as in `run`).
    let tokens = match auth::fresh_tokens(
        provider.as_ref(),
        &secrets,
        paths,
        store,
        account,
        false,
        Utc::now(),
    )
    .await
    {
        Ok(t) => t,
        Err(e) => return not_checked(e.to_string()),
    };
    // Only the platform's answer is bounded here: cutting a refresh short could lose the
    // rotated refresh token the platform has just issued.
    let creator =
        match tokio::time::timeout(CHECK_TIMEOUT, provider.creator(&tokens.access_token)).await {
            Ok(Ok(creator)) => creator,
            Ok(Err(e)) => return not_checked(e.to_string()),
            Err(_) => {
                return not_checked(format!(
                    "{} did not answer within {} s",
                    platform.name(),
                    CHECK_TIMEOUT.as_secs()
                ));
            }
        };
    if let Some(value) = creator.account_info()
        && let Err(e) = store.set_creator_info(account.id, &value, Utc::now())
    {
        // A cache for `accounts`; the answer itself is used either way.
        tracing::warn!("could not save the creator's posting options: {e}");
    }
    CreatorCheck::Checked(creator)
}

/// The privacy levels to offer in a prompt: the account's (all four when the platform was not
/// asked), without `SELF_ONLY` for branded content, which TikTok does not allow to be private.
pub fn privacy_choices(creator: Option<&dyn Creator>, branded_content: bool) -> Vec<Privacy> {
    creator
        .map_or_else(|| Privacy::ALL.to_vec(), |c| c.privacy_levels())
        .into_iter()
        .filter(|p| !(branded_content && *p == Privacy::SelfOnly))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Result;
    use crate::post::PostOptions;

    /// An account offered followers and private only.
    #[derive(Debug)]
    struct Private;

    impl Creator for Private {
        fn platform(&self) -> Platform {
            Platform::default()
        }
        fn name(&self) -> String {
            "Pasta Chef".into()
        }
        fn privacy_levels(&self) -> Vec<Privacy> {
            vec![Privacy::FollowerOfCreator, Privacy::SelfOnly]
        }
        fn check(&self, _: &PostOptions, _: Option<u64>, _: &str) -> Result<()> {
            Ok(())
        }
        fn turned_off(&self, _: &PostOptions) -> Vec<&'static str> {
            Vec::new()
        }
        fn account_info(&self) -> Option<serde_json::Value> {
            None
        }
    }

    #[test]
    fn a_private_account_is_offered_only_its_levels() {
        assert_eq!(
            privacy_choices(Some(&Private), false),
            [Privacy::FollowerOfCreator, Privacy::SelfOnly]
        );
        assert_eq!(
            privacy_choices(Some(&Private), true),
            [Privacy::FollowerOfCreator]
        );
        assert_eq!(privacy_choices(None, false), Privacy::ALL);
        assert_eq!(
            privacy_choices(None, true),
            [
                Privacy::PublicToEveryone,
                Privacy::MutualFollowFriends,
                Privacy::FollowerOfCreator
            ]
        );
    }
}
