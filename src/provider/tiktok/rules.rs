//! TikTok's rules for a post, checked before any upload (shared/tiktok-api.md §3): its caption
//! limit (2200 UTF-16 units), Direct Post's option rules, the Music Usage and Branded Content
//! declarations shown before a direct post, and which accounts may post directly. Its media
//! limits are the table in `media::limits`, which `MediaError`'s messages and hints are written
//! from. Reached through [`crate::provider::Platform::rules`].

use std::path::Path;

use super::TikTokOptions;
use super::{DIRECT_POST_SCOPE, DRAFT_SCOPE};
use crate::error::{Error, Result};
use crate::media::{self, MediaError, MediaInfo};
use crate::post::{Mode, PostOptions, Privacy};
use crate::provider::{Platform, Rules, Scopes};
use crate::store::Account;

/// TikTok's caption limit, in UTF-16 code units (an emoji outside the BMP counts 2).
pub const MAX_CAPTION_UTF16: usize = 2200;

/// The declaration TikTok requires before a direct post, in TikTok's words (Content Sharing
/// Guidelines, shared/tiktok-api.md §3).
pub const MUSIC_CONSENT: &str = "By posting, you agree to TikTok's Music Usage Confirmation.";
/// The declaration that replaces [`MUSIC_CONSENT`] when the post is branded content: TikTok's
/// one sentence citing both policies, shown alone (not after the first).
pub const BRANDED_CONSENT: &str =
    "By posting, you agree to TikTok's Branded Content Policy and Music Usage Confirmation.";

/// TikTok's rules, as [`Platform::rules`] hands them out.
#[derive(Debug, Clone, Copy, Default)]
pub struct TikTokRules;

impl Rules for TikTokRules {
    fn platform(&self) -> Platform {
        Platform::TikTok
    }

    fn scopes(&self) -> Scopes {
        Scopes {
            basic: &["user.info.basic"],
            draft: Some(DRAFT_SCOPE),
            direct: Some(DIRECT_POST_SCOPE),
            // TikTok's API cannot change or delete a post once it is up.
            manage: None,
        }
    }

    fn check_media(&self, path: &Path, info: &MediaInfo) -> std::result::Result<(), MediaError> {
        media::check(path, info)
    }

    fn max_caption(&self) -> usize {
        MAX_CAPTION_UTF16
    }

    fn caption_len(&self, caption: &str) -> usize {
        utf16_len(caption)
    }

    fn build_caption(&self, text: &str, hashtags: &[String]) -> Result<String> {
        build_caption(text, hashtags)
    }

    fn check_mode(&self, account: Option<&Account>, options: &PostOptions) -> Result<()> {
        check_mode(account, TikTokOptions::of(options)?)
    }

    fn validate(&self, options: &PostOptions, duration_ms: Option<u64>) -> Result<()> {
        validate(TikTokOptions::of(options)?, duration_ms)
    }

    fn consent(&self, options: &PostOptions) -> Option<&'static str> {
        // Another platform's options have no TikTok declaration; `validate` refuses them.
        let options = options.tiktok()?;
        // One sentence: TikTok's branded wording already includes the music confirmation.
        match (options.mode, options.branded_content) {
            (Mode::Draft, _) => None,
            (Mode::Direct, false) => Some(MUSIC_CONSENT),
            (Mode::Direct, true) => Some(BRANDED_CONSENT),
        }
    }

    fn consent_name(&self) -> &'static str {
        "TikTok's Music Usage Confirmation"
    }

    fn privacy_options(&self, account_info: &serde_json::Value) -> Option<serde_json::Value> {
        // The saved answer is creator_info as TikTok gave it.
        account_info.get("privacy_level_options").cloned()
    }

    fn upload_may_exist_before_confirmed(&self) -> bool {
        false
    }

    /// TikTok's API has no scheduled publishing: a post goes live when it is uploaded.
    fn hold_margin(&self) -> Option<chrono::Duration> {
        None
    }

    fn check_upload_ahead(&self, _options: &PostOptions) -> Result<()> {
        Err(Error::invalid(
            "TikTok cannot hold a post until its time: --upload-ahead is for YouTube posts",
            Some(
                "drop --upload-ahead (`postez run` uploads TikTok posts when they are due)".into(),
            ),
        ))
    }

    fn manage_link(&self, _post_id: &str) -> Option<String> {
        None
    }

    /// TikTok's address of a post names its creator (`tiktok.com/@user/video/ID`), and the
    /// publish status gives only the id: postez shows the id (`post_id`) and no address.
    fn post_url(&self, _post_id: &str, _media: &MediaInfo) -> Option<String> {
        None
    }

    fn manual_revoke_hint(&self) -> &'static str {
        "remove postez under TikTok's Settings › Security › Manage app permissions"
    }
}

/// Refuse a direct post for an account that did not grant Direct Post: TikTok would refuse it at
/// run time, long after the user could have chosen a draft. Drafts are never refused here.
fn check_mode(account: Option<&Account>, options: &TikTokOptions) -> Result<()> {
    match account {
        Some(a) if options.mode == Mode::Direct && !a.can_direct_post() => Err(Error::invalid(
            format!(
                "the TikTok account {} can only receive drafts: it did not grant Direct Post \
                 ({})",
                a.label(),
                super::DIRECT_POST_SCOPE
            ),
            Some(
                "add --draft, or turn on Direct Post for your app in TikTok's developer portal \
                 and run `postez connect tiktok` again"
                    .into(),
            ),
        )),
        _ => Ok(()),
    }
}

/// TikTok's Direct Post rules that can be checked before any account is involved.
fn validate(options: &TikTokOptions, duration_ms: Option<u64>) -> Result<()> {
    match options.mode {
        Mode::Direct => {
            if options.privacy.is_none() {
                return Err(Error::invalid(
                    "a direct post needs a privacy level, and TikTok allows no default",
                    Some("add --privacy SELF_ONLY (or another level), or use --draft".into()),
                ));
            }
        }
        Mode::Draft => {
            // Drafts are finished in the app, so none of these would reach TikTok.
            let toggles = options.privacy.is_some()
                || options.allow_comments
                || options.allow_duet
                || options.allow_stitch
                || options.cover_at_ms.is_some()
                || options.brand_organic
                || options.branded_content
                || options.ai_generated;
            if toggles {
                return Err(Error::invalid(
                    "privacy, interaction, cover and disclosure options do not apply to drafts",
                    Some("drop those options, or drop --draft to post directly".into()),
                ));
            }
        }
    }
    if options.branded_content && options.privacy == Some(Privacy::SelfOnly) {
        return Err(Error::invalid(
            "branded content cannot be private (SELF_ONLY) on TikTok",
            Some("choose another --privacy, or drop --branded-content".into()),
        ));
    }
    if let (Some(cover), Some(duration)) = (options.cover_at_ms, duration_ms)
        && u64::from(cover) >= duration
    {
        return Err(Error::invalid(
            format!("--cover-at {cover} is past the end of the video ({duration} ms long)"),
            Some(format!("use a time below {duration}")),
        ));
    }
    Ok(())
}

/// Count a caption the way TikTok does: UTF-16 code units.
pub fn utf16_len(text: &str) -> usize {
    text.encode_utf16().count()
}

/// Normalise one `--hashtag` value to `#tag`.
pub fn normalize_hashtag(raw: &str) -> Result<String> {
    let tag = raw.trim().trim_start_matches('#');
    let bad = tag.is_empty()
        || tag
            .chars()
            .any(|c| c.is_whitespace() || c == '#' || c.is_control());
    if bad {
        return Err(Error::invalid(
            format!("`{raw}` is not a hashtag"),
            Some("give one word per --hashtag, e.g. --hashtag cooking".into()),
        ));
    }
    Ok(format!("#{tag}"))
}

/// Build the caption TikTok receives: the text, then each hashtag not already in it, checked
/// against TikTok's length limit and stripped of control characters TikTok would reject.
pub fn build_caption(text: &str, hashtags: &[String]) -> Result<String> {
    if let Some(c) = text
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\n' | '\t'))
    {
        return Err(Error::invalid(
            format!(
                "the caption contains the control character U+{:04X}",
                u32::from(c)
            ),
            Some("remove it; line breaks and tabs are fine".into()),
        ));
    }
    let mut caption = text.trim_end().to_string();
    let mut seen: Vec<String> = caption
        .split_whitespace()
        .filter(|w| w.starts_with('#'))
        .map(str::to_lowercase)
        .collect();
    for raw in hashtags {
        let tag = normalize_hashtag(raw)?;
        if seen.contains(&tag.to_lowercase()) {
            continue;
        }
        if !caption.is_empty() {
            caption.push(' ');
        }
        caption.push_str(&tag);
        seen.push(tag.to_lowercase());
    }
    let len = utf16_len(&caption);
    if len > MAX_CAPTION_UTF16 {
        return Err(Error::invalid(
            format!(
                "the caption is {len} UTF-16 units long; TikTok allows {MAX_CAPTION_UTF16} (an emoji counts 2)"
            ),
            Some(format!("shorten it by {} units", len - MAX_CAPTION_UTF16)),
        ));
    }
    Ok(caption)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `accounts --json`'s privacy_options are creator_info's list, as saved.
    #[test]
    fn privacy_options_come_from_the_saved_creator_info() {
        let saved =
            serde_json::json!({"privacy_level_options": ["SELF_ONLY"], "comment_disabled": true});
        assert_eq!(
            TikTokRules.privacy_options(&saved),
            Some(serde_json::json!(["SELF_ONLY"]))
        );
        assert_eq!(TikTokRules.privacy_options(&serde_json::json!({})), None);
    }

    #[test]
    fn utf16_counts_emoji_as_two() {
        assert_eq!(utf16_len("abc"), 3);
        assert_eq!(utf16_len("é"), 1);
        assert_eq!(utf16_len("😀"), 2);
        assert_eq!(utf16_len("👩‍👩‍👧"), 8);
    }

    #[test]
    fn caption_limit_is_utf16() {
        let ok = "a".repeat(2198) + "😀";
        assert_eq!(build_caption(&ok, &[]).unwrap().len(), 2202);
        let too_long = "a".repeat(2199) + "😀";
        let err = build_caption(&too_long, &[]).unwrap_err().to_string();
        assert!(err.contains("2201 UTF-16 units"), "{err}");
        assert!(build_caption(&"a".repeat(2201), &[]).is_err());
    }

    #[test]
    fn the_platform_hands_out_these_rules() {
        let rules = Platform::TikTok.rules();
        assert_eq!(rules.platform(), Platform::TikTok);
        assert_eq!(rules.max_caption(), 2200);
        assert_eq!(rules.caption_len("a😀"), 3);
        let err = rules.build_caption(&"a".repeat(2201), &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the caption is 2201 UTF-16 units long; TikTok allows 2200 (an emoji counts 2)"
        );
        assert_eq!(err.hint().as_deref(), Some("shorten it by 1 units"));
        assert_eq!(
            rules.build_caption("Dinner", &["food".into()]).unwrap(),
            "Dinner #food"
        );
        let err = rules.validate(&direct(None).into(), None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "a direct post needs a privacy level, and TikTok allows no default"
        );
        let info = MediaInfo {
            container: media::Container::Mp4,
            size: 1000,
            duration_ms: Some(600_001),
            width: Some(360),
            height: Some(640),
            fps: Some(30.0),
            codec: Some(media::VideoCodec::H264),
        };
        let err = rules.check_media(Path::new("a.mp4"), &info).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`a.mp4` is 601 seconds long; TikTok accepts at most 600 seconds (10 minutes)"
        );
    }

    #[test]
    fn hashtags_are_normalised_and_deduplicated() {
        let tags = vec!["##Cooking".to_string(), "cooking".into(), "#pasta".into()];
        assert_eq!(
            build_caption("Dinner #pasta", &tags).unwrap(),
            "Dinner #pasta #Cooking"
        );
        assert_eq!(build_caption("", &["x".into()]).unwrap(), "#x");
        assert!(build_caption("", &["two words".into()]).is_err());
        assert!(build_caption("", &["#".into()]).is_err());
    }

    #[test]
    fn control_characters_are_rejected_but_newlines_kept() {
        assert!(build_caption("a\u{0}b", &[]).is_err());
        assert!(build_caption("a\u{1b}[31mb", &[]).is_err());
        assert_eq!(
            build_caption("line1\nline2\t!", &[]).unwrap(),
            "line1\nline2\t!"
        );
    }

    fn direct(privacy: Option<Privacy>) -> TikTokOptions {
        TikTokOptions {
            privacy,
            ..TikTokOptions::plain(Mode::Direct)
        }
    }

    #[test]
    fn direct_post_rules() {
        assert!(validate(&direct(None), None).is_err());
        assert!(validate(&direct(Some(Privacy::SelfOnly)), None).is_ok());
        let branded_private = TikTokOptions {
            branded_content: true,
            ..direct(Some(Privacy::SelfOnly))
        };
        assert!(validate(&branded_private, None).is_err());
        let cover = TikTokOptions {
            cover_at_ms: Some(5000),
            ..direct(Some(Privacy::SelfOnly))
        };
        assert!(validate(&cover, Some(2000)).is_err());
        assert!(validate(&cover, Some(6000)).is_ok());
        let draft = TikTokOptions {
            mode: Mode::Draft,
            ..direct(Some(Privacy::SelfOnly))
        };
        assert!(validate(&draft, None).is_err());
        assert!(
            validate(
                &TikTokOptions {
                    privacy: None,
                    ..draft
                },
                None
            )
            .is_ok()
        );
    }

    #[test]
    fn the_consent_is_one_sentence_and_drafts_need_none() {
        let rules = TikTokRules;
        assert_eq!(
            rules.consent(&TikTokOptions::plain(Mode::Draft).into()),
            None
        );
        assert_eq!(
            rules.consent(&direct(Some(Privacy::SelfOnly)).into()),
            Some(MUSIC_CONSENT)
        );
        let branded = TikTokOptions {
            branded_content: true,
            ..direct(Some(Privacy::PublicToEveryone))
        };
        assert_eq!(rules.consent(&branded.into()), Some(BRANDED_CONSENT));
        assert!(MUSIC_CONSENT.contains(rules.consent_name().trim_start_matches("TikTok's ")));
    }

    #[test]
    fn a_drafts_only_account_cannot_post_directly() {
        let account = Account {
            id: 1,
            platform: Platform::TikTok,
            remote_id: "open-1".into(),
            display_name: None,
            username: Some("pastachef".into()),
            nickname: None,
            state: crate::store::AccountState::Ok,
            scopes: vec!["user.info.basic".into(), super::super::DRAFT_SCOPE.into()],
            token_store: None,
            access_expires_at: None,
            refresh_expires_at: None,
            creator_info: None,
            holds: Vec::new(),
        };
        let post = direct(Some(Privacy::SelfOnly));
        let err = check_mode(Some(&account), &post).unwrap_err();
        assert!(
            err.to_string()
                == "the TikTok account pastachef can only receive drafts: it did not grant \
                    Direct Post (video.publish)",
            "{err}"
        );
        assert!(check_mode(Some(&account), &TikTokOptions::plain(Mode::Draft)).is_ok());
        assert!(check_mode(None, &post).is_ok());
    }
}
