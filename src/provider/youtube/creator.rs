//! YouTube's answer to "what may this account post now" ([`Creator`]): YouTube has no
//! per-account posting options like TikTok's `creator_info`, so the answer is the channel
//! (`channels.list mine=true`, 1 unit, §4): its name for the consent line and what is kept on
//! the account (the uploads playlist). Every privacy is offered; the audience and metadata rules
//! are the post's ([`super::rules`]).

use super::YouTubeOptions;
use super::login::{Channel, profile_of};
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

    /// TikTok's levels, which are all a creator's prompt offers: YouTube posts choose their
    /// privacy with `--privacy` at schedule time and are never prompted with these.
    fn privacy_levels(&self) -> Vec<Privacy> {
        Vec::new()
    }

    /// Nothing to refuse per channel: YouTube restricts no channel's privacy, and the length a
    /// channel may upload depends on its verification, which the API does not say (§5.3).
    fn check(&self, options: &PostOptions, _duration_ms: Option<u64>, _file: &str) -> Result<()> {
        YouTubeOptions::of(options).map(drop)
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
    use crate::provider::youtube::Visibility;

    #[test]
    fn the_channel_is_named_and_its_uploads_playlist_kept() {
        let channel: Channel = serde_json::from_str(
            r#"{"id":"UCx","snippet":{"title":"Pasta\u001b[31m Chef","customUrl":"@pasta"},"contentDetails":{"relatedPlaylists":{"uploads":"UUx"}}}"#,
        )
        .unwrap();
        let creator = YouTubeCreator { channel };
        assert_eq!(creator.name(), "Pasta\u{fffd}[31m Chef");
        assert_eq!(creator.account_info().unwrap()["uploads_playlist"], "UUx");
        let options = crate::provider::youtube::rules::tests::options(Visibility::Private);
        assert!(creator.check(&options, None, "a.mp4").is_ok());
        assert!(creator.turned_off(&options).is_empty());
        let nameless = YouTubeCreator {
            channel: serde_json::from_str(r#"{"id":"UCy"}"#).unwrap(),
        };
        assert_eq!(nameless.name(), "this channel");
    }
}
