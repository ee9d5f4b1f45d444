//! YouTube's answer to "what may this account post now" ([`Creator`]): YouTube has no
//! per-account posting options like TikTok's `creator_info`, so the answer is the channel
//! (`channels.list mine=true`, 1 unit, §4): its name for the consent line and what is kept on
//! the account (the uploads playlist). Every privacy is offered; the audience and metadata rules
//! are the post's ([`super::rules`]).

use super::login::{Channel, profile_of};
use super::rules::visibility;
use crate::error::Result;
use crate::post::{PostOptions, Privacy};
use crate::provider::{Creator, Platform};

/// A channel as YouTube describes it right now.
#[derive(Debug, Clone)]
pub struct YouTubeCreator {
    pub(super) channel: Channel,
}

impl Creator for YouTubeCreator {
    fn platform(&self) -> Platform {
        super::SEAM_PLATFORM
    }

    /// The channel's title (cleaned of control characters), else its handle.
    fn name(&self) -> String {
        let profile = profile_of(&self.channel);
        profile
            .display_name
            .or_else(|| profile.username.map(|u| format!("@{u}")))
            .unwrap_or_else(|| "this channel".into())
    }

    /// YouTube restricts no channel's privacy. Until posts carry YouTube's own privacy (issue
    /// 12), these are the levels `rules::visibility` maps: public and private.
    fn privacy_levels(&self) -> Vec<Privacy> {
        vec![Privacy::PublicToEveryone, Privacy::SelfOnly]
    }

    /// Only the privacy can be refused here: the length a channel may upload depends on its
    /// verification, which the API does not say (§5.3).
    fn check(&self, options: &PostOptions, _duration_ms: Option<u64>, _file: &str) -> Result<()> {
        visibility(options).map(drop)
    }

    /// YouTube's API turns no interaction off per channel.
    fn turned_off(&self, _options: &PostOptions) -> Vec<&'static str> {
        Vec::new()
    }

    fn account_info(&self) -> Option<serde_json::Value> {
        profile_of(&self.channel).account_info
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::post::Mode;
    use crate::provider::tiktok::TikTokOptions;

    #[test]
    fn the_channel_is_named_and_its_uploads_playlist_kept() {
        let channel: Channel = serde_json::from_str(
            r#"{"id":"UCx","snippet":{"title":"Pasta\u001b[31m Chef","customUrl":"@pasta"},"contentDetails":{"relatedPlaylists":{"uploads":"UUx"}}}"#,
        )
        .unwrap();
        let creator = YouTubeCreator { channel };
        assert_eq!(creator.name(), "Pasta\u{fffd}[31m Chef");
        assert_eq!(creator.account_info().unwrap()["uploads_playlist"], "UUx");
        let with = |privacy| {
            PostOptions::from(TikTokOptions {
                privacy,
                ..TikTokOptions::plain(Mode::Direct)
            })
        };
        assert!(
            creator
                .check(&with(Some(Privacy::SelfOnly)), None, "a.mp4")
                .is_ok()
        );
        assert!(
            creator
                .check(&with(Some(Privacy::FollowerOfCreator)), None, "a.mp4")
                .is_err()
        );
        assert!(
            creator
                .turned_off(&with(Some(Privacy::SelfOnly)))
                .is_empty()
        );
        let nameless = YouTubeCreator {
            channel: serde_json::from_str(r#"{"id":"UCy"}"#).unwrap(),
        };
        assert_eq!(nameless.name(), "this channel");
    }
}
