//! What a TikTok creator may post, asked of TikTok when a direct post is scheduled, edited or
//! imported: the nickname to show before the consent, the privacy levels to offer, the longest
//! video, and the interactions the creator turned off (TikTok's Content Sharing Guidelines,
//! shared/tiktok-api.md §3).
//!
//! TikTok wants a *fresh* `creator_info` on the post screen, so it is asked every time (once per
//! account and command: `import` shares one answer between its rows) rather than cached: the
//! 20-a-minute limit leaves plenty of room for a person scheduling. When TikTok cannot be asked
//! (offline, no usable login), nothing is refused: the caller says so, and `postez run` asks
//! again before every direct post, as it always has.
//!
//! Never prints; the CLI renders what this returns.

use std::time::Duration;

use chrono::Utc;

use crate::auth;
use crate::config::Config;
use crate::env::{Env, Paths};
use crate::error::{Error, Result};
use crate::post::{Options, Privacy};
use crate::provider::tiktok::CreatorInfo;
use crate::store::{Account, AccountState, Store};

/// How long `schedule` waits for TikTok's `creator_info` before going on without it: a person
/// is waiting, and `run` checks again anyway.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(15);

/// What TikTok said about the creator, or why it was not asked.
#[derive(Debug, Clone, PartialEq)]
pub enum CreatorCheck {
    /// TikTok answered.
    Checked(Creator),
    /// TikTok was not asked or did not answer; `reason` says why, in a few words.
    NotChecked {
        /// The account's saved name, if there is an account.
        account: Option<String>,
        /// Why, e.g. "TikTok could not be reached (connection refused)".
        reason: String,
    },
}

/// A creator as TikTok describes them right now.
#[derive(Debug, Clone, PartialEq)]
pub struct Creator {
    /// TikTok's answer.
    pub info: CreatorInfo,
}

impl CreatorCheck {
    /// The creator, when TikTok answered.
    pub fn creator(&self) -> Option<&Creator> {
        match self {
            Self::Checked(c) => Some(c),
            Self::NotChecked { .. } => None,
        }
    }
}

/// Ask TikTok what `account` may post now, refreshing its login if needed (under the same lock
/// as `run`, so a rotating refresh token is never spent twice). Saves the answer on the account
/// row. Never fails: every obstacle becomes [`CreatorCheck::NotChecked`] with its reason.
pub async fn ask(
    env: &Env,
    paths: &Paths,
    config: &Config,
    store: &mut Store,
    account: Option<&Account>,
) -> CreatorCheck {
    let Some(account) = account else {
        return CreatorCheck::NotChecked {
            account: None,
            reason: "no TikTok account is connected yet".into(),
        };
    };
    let not_checked = |reason: String| CreatorCheck::NotChecked {
        account: Some(account.label()),
        reason,
    };
    if account.state == AccountState::NeedsReconnect {
        return not_checked("its login must be renewed with `postez connect tiktok`".into());
    }
    // Without prompting: a token file needs POSTEZ_PASSPHRASE or the passphrase command, as
    // under cron.
    let opened =
        auth::open_store(auth::account_backend(account), paths, env, config).and_then(|secrets| {
            let client = auth::client_credentials(env, config, &secrets)?;
            Ok((secrets, auth::tiktok_client(env, client)?))
        });
    let (secrets, tiktok) = match opened {
        Ok(pair) => pair,
        Err(e) => return not_checked(e.to_string()),
    };
    // Real time, not POSTEZ_NOW: token lifetimes are TikTok's clock (as in `run`).
    let tokens =
        match auth::fresh_tokens(&tiktok, &secrets, paths, store, account, false, Utc::now()).await
        {
            Ok(t) => t,
            Err(e) => return not_checked(e.to_string()),
        };
    // Only the creator_info call is bounded here: cutting a refresh short could lose the
    // rotated refresh token TikTok has just issued.
    let info = match tokio::time::timeout(CHECK_TIMEOUT, tiktok.creator_info(&tokens.access_token))
        .await
    {
        Ok(Ok(info)) => info,
        Ok(Err(e)) => return not_checked(e.to_string()),
        Err(_) => {
            return not_checked(format!(
                "TikTok did not answer within {} s",
                CHECK_TIMEOUT.as_secs()
            ));
        }
    };
    if let Ok(value) = serde_json::to_value(&info)
        && let Err(e) = store.set_creator_info(account.id, &value, Utc::now())
    {
        // A cache for `accounts`; the answer itself is used either way.
        tracing::warn!("could not save the creator's posting options: {e}");
    }
    CreatorCheck::Checked(Creator { info })
}

/// Remote text as it may reach a terminal: control characters (escape sequences) replaced.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

impl Creator {
    /// How the creator is named before the consent: "nickname (@username)", or whichever of
    /// the two TikTok gave.
    pub fn name(&self) -> String {
        let nickname = self.info.creator_nickname.as_deref().map(printable);
        let username = self.info.creator_username.as_deref().map(printable);
        match (nickname, username) {
            (Some(n), Some(u)) if !n.is_empty() && !u.is_empty() && n != u => {
                format!("{n} (@{u})")
            }
            (Some(n), _) if !n.is_empty() => n,
            (_, Some(u)) if !u.is_empty() => format!("@{u}"),
            _ => "this account".into(),
        }
    }

    /// The privacy levels TikTok offers this creator, in TikTok's order. An empty or unreadable
    /// list restricts nothing (as in `run`): TikTok then decides at publish time.
    pub fn privacy_levels(&self) -> Vec<Privacy> {
        let offered: Vec<Privacy> = Privacy::ALL
            .into_iter()
            .filter(|p| {
                self.info
                    .privacy_level_options
                    .iter()
                    .any(|o| o == p.as_str())
            })
            .collect();
        if offered.is_empty() {
            Privacy::ALL.to_vec()
        } else {
            offered
        }
    }

    /// Refuse what this creator cannot post: a privacy level TikTok does not offer them, or a
    /// video longer than `max_video_post_duration_sec`. `file` names the video in the message.
    pub fn check(&self, options: &Options, duration_ms: Option<u64>, file: &str) -> Result<()> {
        let levels = self.privacy_levels();
        if let Some(privacy) = options.privacy
            && !levels.contains(&privacy)
        {
            let usable: Vec<&str> = levels
                .iter()
                .filter(|p| !(options.branded_content && **p == Privacy::SelfOnly))
                .map(|p| p.alias())
                .collect();
            return Err(Error::invalid(
                format!(
                    "TikTok does not let {} post as {privacy}; it offers {}",
                    self.name(),
                    levels
                        .iter()
                        .map(|p| p.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                Some(format!("use --privacy {}", usable.join(" or --privacy "))),
            ));
        }
        if let (Some(max), Some(ms)) = (self.info.max_video_post_duration_sec, duration_ms)
            && ms > max.saturating_mul(1000)
        {
            return Err(Error::invalid(
                format!(
                    "`{file}` is {} s long, and TikTok lets {} post at most {max} s",
                    ms.div_ceil(1000),
                    self.name()
                ),
                Some(format!(
                    "trim it, e.g. `ffmpeg -i {file} -t {max} -c copy short.mp4`, or use --draft"
                )),
            ));
        }
        Ok(())
    }

    /// The interactions the post allows but the creator turned off in TikTok ("comments",
    /// "duets", "stitches"): they stay off, and `run` sends them as disabled.
    pub fn turned_off(&self, options: &Options) -> Vec<&'static str> {
        [
            (
                options.allow_comments && self.info.comment_disabled,
                "comments",
            ),
            (options.allow_duet && self.info.duet_disabled, "duets"),
            (
                options.allow_stitch && self.info.stitch_disabled,
                "stitches",
            ),
        ]
        .into_iter()
        .filter_map(|(off, name)| off.then_some(name))
        .collect()
    }
}

/// The privacy levels to offer in a prompt: the creator's (all four when TikTok was not asked),
/// without `SELF_ONLY` for branded content, which TikTok does not allow to be private.
pub fn privacy_choices(creator: Option<&Creator>, branded_content: bool) -> Vec<Privacy> {
    creator
        .map_or_else(|| Privacy::ALL.to_vec(), Creator::privacy_levels)
        .into_iter()
        .filter(|p| !(branded_content && *p == Privacy::SelfOnly))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::post::Mode;

    fn creator(levels: &[&str], max: Option<u64>) -> Creator {
        Creator {
            info: CreatorInfo {
                creator_username: Some("pastachef".into()),
                creator_nickname: Some("Pasta Chef".into()),
                privacy_level_options: levels.iter().map(|s| s.to_string()).collect(),
                max_video_post_duration_sec: max,
                ..CreatorInfo::default()
            },
        }
    }

    fn direct(privacy: Privacy) -> Options {
        Options {
            privacy: Some(privacy),
            ..Options::plain(Mode::Direct)
        }
    }

    #[test]
    fn a_private_account_is_offered_only_its_levels() {
        let c = creator(&["FOLLOWER_OF_CREATOR", "SELF_ONLY"], Some(600));
        assert_eq!(
            privacy_choices(Some(&c), false),
            [Privacy::FollowerOfCreator, Privacy::SelfOnly]
        );
        assert_eq!(
            privacy_choices(Some(&c), true),
            [Privacy::FollowerOfCreator]
        );
        assert_eq!(privacy_choices(None, false), Privacy::ALL);
        let err = c
            .check(&direct(Privacy::PublicToEveryone), Some(2000), "a.mp4")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "TikTok does not let Pasta Chef (@pastachef) post as PUBLIC_TO_EVERYONE; it offers \
             FOLLOWER_OF_CREATOR, SELF_ONLY"
        );
        assert_eq!(
            err.hint().as_deref(),
            Some("use --privacy followers or --privacy private")
        );
        assert!(
            c.check(&direct(Privacy::SelfOnly), Some(2000), "a.mp4")
                .is_ok()
        );
    }

    #[test]
    fn a_video_longer_than_the_creator_may_post_is_refused() {
        let c = creator(&["SELF_ONLY"], Some(60));
        assert!(
            c.check(&direct(Privacy::SelfOnly), Some(60_000), "a.mp4")
                .is_ok()
        );
        let err = c
            .check(&direct(Privacy::SelfOnly), Some(60_001), "a.mp4")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`a.mp4` is 61 s long, and TikTok lets Pasta Chef (@pastachef) post at most 60 s"
        );
    }

    #[test]
    fn names_are_printable_and_not_repeated() {
        let mut c = creator(&[], None);
        c.info.creator_username = Some("Pasta Chef".into());
        assert_eq!(c.name(), "Pasta Chef");
        c.info.creator_nickname = Some("evil\u{1b}[31m".into());
        assert_eq!(c.name(), "evil\u{fffd}[31m (@Pasta Chef)");
        c.info.creator_nickname = None;
        c.info.creator_username = None;
        assert_eq!(c.name(), "this account");
        // An empty list restricts nothing: TikTok decides at publish time.
        assert_eq!(c.privacy_levels(), Privacy::ALL);
    }

    #[test]
    fn interactions_the_creator_turned_off_are_named() {
        let mut c = creator(&[], None);
        c.info.comment_disabled = true;
        c.info.stitch_disabled = true;
        let mut o = direct(Privacy::SelfOnly);
        assert!(c.turned_off(&o).is_empty());
        o.allow_comments = true;
        o.allow_duet = true;
        o.allow_stitch = true;
        assert_eq!(c.turned_off(&o), ["comments", "stitches"]);
    }
}
