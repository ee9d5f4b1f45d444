//! TikTok's answer to "what may this account post now" ([`Creator`]): its `creator_info`, read
//! for a person scheduling a direct post: the nickname to show before the consent, the privacy
//! levels to offer, the longest video, and the interactions the creator turned off (TikTok's
//! Content Sharing Guidelines, shared/tiktok-api.md §3).

use super::CreatorInfo;
use super::TikTokOptions;
use crate::error::{Error, Result};
use crate::post::{PostOptions, Privacy};
use crate::provider::{Creator, Platform};

/// A creator as TikTok describes them right now.
#[derive(Debug, Clone, PartialEq)]
pub struct TikTokCreator {
    /// TikTok's answer.
    pub info: CreatorInfo,
}

/// Remote text as it may reach a terminal: control characters (escape sequences) replaced.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

impl Creator for TikTokCreator {
    fn platform(&self) -> Platform {
        Platform::TikTok
    }

    /// "nickname (@username)", or whichever of the two TikTok gave.
    fn name(&self) -> String {
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

    /// An empty or unreadable list restricts nothing (as in `run`): TikTok then decides at
    /// publish time.
    fn privacy_levels(&self) -> Vec<Privacy> {
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

    /// A privacy level TikTok does not offer the creator, or a video longer than
    /// `max_video_post_duration_sec`.
    fn check(&self, options: &PostOptions, duration_ms: Option<u64>, file: &str) -> Result<()> {
        let options = TikTokOptions::of(options)?;
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

    /// Comments, duets and stitches: `run` sends them as disabled.
    fn turned_off(&self, options: &PostOptions) -> Vec<&'static str> {
        // Another platform's options have no TikTok interactions to turn off.
        let Some(options) = options.tiktok() else {
            return Vec::new();
        };
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

    fn account_info(&self) -> Option<serde_json::Value> {
        serde_json::to_value(&self.info).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::post::Mode;

    fn creator(levels: &[&str], max: Option<u64>) -> TikTokCreator {
        TikTokCreator {
            info: CreatorInfo {
                creator_username: Some("pastachef".into()),
                creator_nickname: Some("Pasta Chef".into()),
                privacy_level_options: levels.iter().map(|s| s.to_string()).collect(),
                max_video_post_duration_sec: max,
                ..CreatorInfo::default()
            },
        }
    }

    fn direct(privacy: Privacy) -> TikTokOptions {
        TikTokOptions {
            privacy: Some(privacy),
            ..TikTokOptions::plain(Mode::Direct)
        }
    }

    #[test]
    fn a_private_account_is_offered_only_its_levels() {
        let c = creator(&["FOLLOWER_OF_CREATOR", "SELF_ONLY"], Some(600));
        assert_eq!(
            c.privacy_levels(),
            [Privacy::FollowerOfCreator, Privacy::SelfOnly]
        );
        let err = c
            .check(
                &direct(Privacy::PublicToEveryone).into(),
                Some(2000),
                "a.mp4",
            )
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
            c.check(&direct(Privacy::SelfOnly).into(), Some(2000), "a.mp4")
                .is_ok()
        );
    }

    #[test]
    fn a_video_longer_than_the_creator_may_post_is_refused() {
        let c = creator(&["SELF_ONLY"], Some(60));
        assert!(
            c.check(&direct(Privacy::SelfOnly).into(), Some(60_000), "a.mp4")
                .is_ok()
        );
        let err = c
            .check(&direct(Privacy::SelfOnly).into(), Some(60_001), "a.mp4")
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
        assert!(c.turned_off(&o.clone().into()).is_empty());
        o.allow_comments = true;
        o.allow_duet = true;
        o.allow_stitch = true;
        assert_eq!(c.turned_off(&o.clone().into()), ["comments", "stitches"]);
    }

    #[test]
    fn the_answer_is_kept_as_tiktok_gave_it() {
        let c = creator(&["SELF_ONLY"], Some(60));
        let kept = c.account_info().unwrap();
        assert_eq!(
            kept["privacy_level_options"],
            serde_json::json!(["SELF_ONLY"])
        );
        assert_eq!(kept["creator_nickname"], "Pasta Chef");
    }
}
