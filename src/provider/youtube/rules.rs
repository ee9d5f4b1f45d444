//! YouTube's rules for a post, checked before any upload spends one of the day's inserts (§2.1,
//! §3.1, §6: "reject over-long fields at `schedule`; never truncate"): the title (1–100
//! characters, no `<` or `>`), the description (5000 **bytes**, no `<` or `>`), the tags (500
//! characters counted with commas and implied quotes), the privacy (`public`, `unlisted`,
//! `private`, always sent: omitted means public, §6), the audience (made for kids or not, always
//! sent), and what YouTube will make of the video: a Short (vertical or square, ≤ 3 minutes, §7)
//! or a regular video. [`VideoMeta`] is what `videos.insert` receives.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::YouTubeOptions;
use super::{SEAM_PLATFORM, UPLOAD_SCOPE};
use crate::error::{Error, Result};
use crate::media::{Container, MediaError, MediaInfo};
use crate::post::{Mode, Post, PostOptions};
use crate::provider::{Platform, Rules, Scopes};
use crate::store::Account;

/// Longest title, in characters (code points, as the fake counts; emoji counting is
/// UNVERIFIED at Google, §3.1).
pub const MAX_TITLE_CHARS: usize = 100;
/// Longest description, in UTF-8 bytes (§3.1).
pub const MAX_DESCRIPTION_BYTES: usize = 5000;
/// Longest tag list: `Σ(len + 2·hasSpace) + (n − 1)` (§3.1).
pub const MAX_TAGS_CHARS: usize = 500;
/// Longest Short (§7: "≤ 3 minutes" since 15 Oct 2024).
pub const SHORT_MAX_MS: u64 = 180_000;
/// Longest upload an unverified channel may make (§5.3, second-hand): longer ones need a
/// verified channel, so postez warns.
pub const UNVERIFIED_MAX_MS: u64 = 15 * 60 * 1000;
/// Longest upload any channel may make (§5.3, second-hand: 12 hours).
pub const MAX_DURATION_MS: u64 = 12 * 3600 * 1000;
/// The category a video gets when none is chosen (Google's sample default, "People & Blogs",
/// §3.1).
pub const DEFAULT_CATEGORY: &str = "22";

/// Who may see a YouTube video (`status.privacyStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Everyone.
    Public,
    /// Whoever has the link.
    Unlisted,
    /// The channel only (and the scheduled state of `publishAt`, §8).
    Private,
}

impl Visibility {
    /// Every value, in YouTube's order.
    pub const ALL: [Visibility; 3] = [Self::Public, Self::Unlisted, Self::Private];

    /// YouTube's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Unlisted => "unlisted",
            Self::Private => "private",
        }
    }
}

impl Visibility {
    /// The words YouTube Studio shows.
    pub fn label(self) -> &'static str {
        match self {
            Self::Public => "Public",
            Self::Unlisted => "Unlisted",
            Self::Private => "Private",
        }
    }
}

impl fmt::Display for Visibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Visibility {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                Error::invalid(
                    format!(
                        "`{}` is not a YouTube privacy",
                        crate::provider::printable(s, 40)
                    ),
                    Some("use public, unlisted or private".into()),
                )
            })
    }
}

/// What `videos.insert` receives (`snippet` and `status`, §2.1, §3.1), checked by
/// [`VideoMeta::validate`] before any request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VideoMeta {
    /// `snippet.title`.
    pub title: String,
    /// `snippet.description`.
    pub description: String,
    /// `snippet.tags`.
    #[serde(default)]
    pub tags: Vec<String>,
    /// `snippet.categoryId`; none sends none (YouTube picks).
    #[serde(default)]
    pub category_id: Option<String>,
    /// `status.privacyStatus`.
    pub privacy: Visibility,
    /// `status.selfDeclaredMadeForKids`: YouTube requires the audience choice.
    pub made_for_kids: bool,
    /// `status.containsSyntheticMedia` (altered or synthetic content, §3.1).
    #[serde(default)]
    pub synthetic_media: bool,
    /// `notifySubscribers` (a query parameter; YouTube's default is true).
    #[serde(default = "yes")]
    pub notify_subscribers: bool,
    /// `status.publishAt`: an upload ahead, sent `private` and made public by YouTube then (§8).
    #[serde(default)]
    pub publish_at: Option<chrono::DateTime<chrono::Utc>>,
}

fn yes() -> bool {
    true
}

impl VideoMeta {
    /// Every rule of §3.1 that YouTube would otherwise enforce after spending an insert.
    pub fn validate(&self) -> Result<()> {
        check_title(&self.title)?;
        check_description(&self.description)?;
        check_tags(&self.tags)?;
        if let Some(c) = &self.category_id
            && (c.is_empty() || !c.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(Error::invalid(
                format!(
                    "`{}` is not a YouTube category id",
                    crate::provider::printable(c, 20)
                ),
                Some(format!(
                    "categories are numbers, e.g. {DEFAULT_CATEGORY} (People & Blogs)"
                )),
            ));
        }
        Ok(())
    }

    /// The JSON body of the insert: `snippet` and `status`, each field explicit (privacy and
    /// audience above all: an omitted privacy is public, §6).
    pub fn insert_body(&self) -> serde_json::Value {
        let mut snippet = serde_json::json!({
            "title": self.title,
            "description": self.description,
        });
        if !self.tags.is_empty() {
            snippet["tags"] = self.tags.clone().into();
        }
        if let Some(c) = &self.category_id {
            snippet["categoryId"] = c.clone().into();
        }
        let mut status = serde_json::json!({
            "privacyStatus": self.privacy.as_str(),
            "selfDeclaredMadeForKids": self.made_for_kids,
            "containsSyntheticMedia": self.synthetic_media,
        });
        // §8: `publishAt` only with `private`; YouTube makes it public then.
        if let Some(at) = self.publish_at {
            status["privacyStatus"] = Visibility::Private.as_str().into();
            status["publishAt"] = at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true).into();
        }
        serde_json::json!({
            "snippet": snippet,
            "status": status,
        })
    }

    /// The metadata of `post` under its YouTube `options`: the caption is the description.
    pub fn from_post(post: &Post, options: &PostOptions) -> Result<Self> {
        let options = YouTubeOptions::of(options)?;
        Ok(Self {
            title: options.title.clone(),
            description: post.caption.clone(),
            tags: options.tags.clone(),
            category_id: options.category.clone(),
            privacy: options.privacy,
            made_for_kids: options.made_for_kids,
            synthetic_media: options.ai_generated,
            notify_subscribers: options.notify,
            // The engine uploads a post ahead only while its time is far enough off (§8).
            publish_at: post.upload_ahead().then_some(post.scheduled_at),
        })
    }
}

/// Refuse a title YouTube would refuse (`invalidTitle`): empty, over 100 characters, or with
/// `<` or `>`.
pub fn check_title(title: &str) -> Result<()> {
    let chars = title.chars().count();
    if title.trim().is_empty() {
        return Err(Error::invalid(
            "a YouTube video needs a title",
            Some("add --title \"…\"".into()),
        ));
    }
    if chars > MAX_TITLE_CHARS {
        return Err(Error::invalid(
            format!("the title is {chars} characters long; YouTube allows {MAX_TITLE_CHARS}"),
            Some(format!(
                "shorten it by {} characters",
                chars - MAX_TITLE_CHARS
            )),
        ));
    }
    no_angle_brackets("title", title)?;
    no_controls("title", title, false)
}

/// Refuse a description YouTube would refuse (`invalidDescription`): over 5000 bytes, or with
/// `<` or `>`.
pub fn check_description(description: &str) -> Result<()> {
    let bytes = description.len();
    if bytes > MAX_DESCRIPTION_BYTES {
        return Err(Error::invalid(
            format!(
                "the description is {bytes} bytes long; YouTube allows {MAX_DESCRIPTION_BYTES} bytes (accented letters take 2, emoji 4)"
            ),
            Some(format!(
                "shorten it by {} bytes",
                bytes - MAX_DESCRIPTION_BYTES
            )),
        ));
    }
    no_angle_brackets("description", description)?;
    no_controls("description", description, true)
}

/// Refuse tags YouTube would refuse (`invalidTags`): an empty one, `<` or `>`, or more than 500
/// characters counted YouTube's way (a comma between tags, quotes around a tag with a space).
pub fn check_tags(tags: &[String]) -> Result<()> {
    for tag in tags {
        if tag.trim().is_empty() {
            return Err(Error::invalid(
                "a YouTube tag is empty",
                Some("give each --tag a word or phrase".into()),
            ));
        }
        no_angle_brackets("tag", tag)?;
        no_controls("tag", tag, false)?;
    }
    let total = tags_len(tags);
    if total > MAX_TAGS_CHARS {
        return Err(Error::invalid(
            format!(
                "the tags take {total} characters as YouTube counts them (a comma between tags, quotes around tags with spaces); YouTube allows {MAX_TAGS_CHARS}"
            ),
            Some("drop or shorten some tags".into()),
        ));
    }
    Ok(())
}

/// The tags' length as YouTube counts it: `Σ(len + 2·hasSpace) + (n − 1)` (§3.1).
pub fn tags_len(tags: &[String]) -> usize {
    let items: usize = tags
        .iter()
        .map(|t| t.chars().count() + if t.contains(' ') { 2 } else { 0 })
        .sum();
    items + tags.len().saturating_sub(1)
}

fn no_angle_brackets(what: &str, text: &str) -> Result<()> {
    if text.contains(['<', '>']) {
        return Err(Error::invalid(
            format!("the {what} contains < or >, which YouTube does not allow"),
            Some("remove them (or write them as words)".into()),
        ));
    }
    Ok(())
}

fn no_controls(what: &str, text: &str, lines: bool) -> Result<()> {
    if let Some(c) = text
        .chars()
        .find(|c| c.is_control() && !(lines && matches!(c, '\n' | '\t')))
    {
        return Err(Error::invalid(
            format!(
                "the {what} contains the control character U+{:04X}",
                u32::from(c)
            ),
            Some(if lines {
                "remove it; line breaks and tabs are fine".into()
            } else {
                "remove it".into()
            }),
        ));
    }
    Ok(())
}

/// The title a post gets when none is given (issue 12): the caption's first line, shortened on
/// a word boundary to [`MAX_TITLE_CHARS`] (and then shown to the user, who can change it).
pub fn default_title(caption: &str) -> Result<String> {
    let line = caption.lines().map(str::trim).find(|l| !l.is_empty());
    let Some(line) = line else {
        return Err(Error::invalid(
            "a YouTube video needs a title, and the caption is empty",
            Some("add --title \"…\"".into()),
        ));
    };
    if line.chars().count() <= MAX_TITLE_CHARS {
        return Ok(line.to_string());
    }
    // Room for the ellipsis; cut at the last space that fits, or mid-word if none does.
    let room: String = line.chars().take(MAX_TITLE_CHARS - 1).collect();
    let cut = match room.rfind(char::is_whitespace) {
        Some(i) if i > 0 => room[..i].trim_end(),
        _ => room.as_str(),
    };
    Ok(format!("{cut}…"))
}

/// What YouTube will make of a video: there is no flag, only its shape (§7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VideoFormat {
    /// Vertical or square and at most 3 minutes: a Short (`youtube.com/shorts/ID`).
    Short,
    /// Anything else (`youtube.com/watch?v=ID`).
    Video,
}

impl VideoFormat {
    /// "a Short" / "a regular video", for `schedule`'s message.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Short => "a Short",
            Self::Video => "a regular video",
        }
    }

    /// Where the video will be watched.
    pub fn url(self, id: &str) -> String {
        match self {
            Self::Short => format!("https://www.youtube.com/shorts/{id}"),
            Self::Video => format!("https://www.youtube.com/watch?v={id}"),
        }
    }
}

/// Whether `info`'s video will be a Short: width ≤ height and ≤ 3 minutes (§7). A video whose
/// shape or length is unknown is called regular: postez does not promise a Short it cannot see.
pub fn video_format(info: &MediaInfo) -> VideoFormat {
    match (info.width, info.height, info.duration_ms) {
        (Some(w), Some(h), Some(ms)) if w <= h && ms <= SHORT_MAX_MS => VideoFormat::Short,
        _ => VideoFormat::Video,
    }
}

/// A warning for a video longer than an unverified channel may upload (§5.3), if it is.
pub fn length_warning(duration_ms: Option<u64>) -> Option<String> {
    duration_ms.filter(|ms| *ms > UNVERIFIED_MAX_MS).map(|ms| {
        format!(
            "the video is {} minutes long; YouTube takes videos over 15 minutes only from verified channels (youtube.com/verify)",
            ms.div_ceil(60_000)
        )
    })
}

/// The description YouTube receives: `text`, then each hashtag not already in it.
pub fn build_description(text: &str, hashtags: &[String]) -> Result<String> {
    let mut description = text.trim_end().to_string();
    let mut seen: Vec<String> = description
        .split_whitespace()
        .filter(|w| w.starts_with('#'))
        .map(str::to_lowercase)
        .collect();
    for raw in hashtags {
        let word = raw.trim().trim_start_matches('#');
        if word.is_empty() || word.chars().any(|c| c.is_whitespace() || c == '#') {
            return Err(Error::invalid(
                format!("`{}` is not a hashtag", crate::provider::printable(raw, 40)),
                Some("give one word per --hashtag, e.g. --hashtag cooking".into()),
            ));
        }
        let tag = format!("#{word}");
        if seen.contains(&tag.to_lowercase()) {
            continue;
        }
        if !description.is_empty() {
            description.push(' ');
        }
        description.push_str(&tag);
        seen.push(tag.to_lowercase());
    }
    check_description(&description)?;
    Ok(description)
}

/// YouTube's rules, as `Platform::rules` will hand them out once registered.
#[derive(Debug, Clone, Copy, Default)]
pub struct YouTubeRules;

impl Rules for YouTubeRules {
    fn platform(&self) -> Platform {
        SEAM_PLATFORM
    }

    /// Still private hours after `publishAt`: the project's or the channel's settings keep it
    /// so (§6), as with a privacy YouTube changed at upload.
    fn kept_private(
        &self,
        post_id: &str,
        options: &PostOptions,
    ) -> Option<crate::provider::Notice> {
        let asked = options.youtube().map_or("public", |o| o.privacy.as_str());
        Some(super::steps::privacy_changed(post_id, asked, "private"))
    }

    fn scopes(&self) -> Scopes {
        super::scopes()
    }

    /// YouTube takes nearly any container and codec (§2.1: `video/*`); postez refuses what
    /// cannot be a video at all. The 256 GB limit is beyond anything postez reads (files are
    /// capped well below it); length is YouTube's to judge per channel (§5.3: 15 minutes
    /// unverified, 12 hours verified, second-hand), so it is a warning ([`length_warning`]),
    /// and a refusal comes back as the video's `rejectionReason` `length`.
    fn check_media(&self, path: &Path, info: &MediaInfo) -> std::result::Result<(), MediaError> {
        let strict = matches!(info.container, Container::Mp4 | Container::Mov);
        if strict && info.codec.is_none() {
            return Err(MediaError::NoVideoTrack {
                path: path.to_owned(),
            });
        }
        Ok(())
    }

    fn max_caption(&self) -> usize {
        MAX_DESCRIPTION_BYTES
    }

    fn caption_len(&self, caption: &str) -> usize {
        caption.len()
    }

    fn build_caption(&self, text: &str, hashtags: &[String]) -> Result<String> {
        build_description(text, hashtags)
    }

    fn check_mode(&self, account: Option<&Account>, options: &PostOptions) -> Result<()> {
        if options.mode() == Mode::Draft {
            return Err(Error::invalid(
                "YouTube has no drafts",
                Some(
                    "drop --draft; upload it with --privacy private to finish it in YouTube Studio"
                        .into(),
                ),
            ));
        }
        match account {
            Some(a) if !a.has_scope(UPLOAD_SCOPE) => Err(Error::invalid(
                format!(
                    "the YouTube account {} did not let postez upload videos",
                    a.label()
                ),
                Some(
                    "run `postez connect youtube` again and leave \"Manage your YouTube videos\" ticked"
                        .into(),
                ),
            )),
            _ => Ok(()),
        }
    }

    fn validate(&self, options: &PostOptions, _duration_ms: Option<u64>) -> Result<()> {
        let options = YouTubeOptions::of(options)?;
        check_title(&options.title)?;
        // §3.1 `snippet.tags[]`: "maximum length of 500 characters", commas between tags and
        // the quotes of a tag with a space counted; an empty tag is a 400 (`invalidTags`).
        check_tags(&options.tags)?;
        if let Some(c) = &options.category
            && (c.is_empty() || !c.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(Error::invalid(
                format!(
                    "`{}` is not a YouTube category id",
                    crate::provider::printable(c, 20)
                ),
                Some(format!(
                    "categories are numbers, e.g. {DEFAULT_CATEGORY} (People & Blogs)"
                )),
            ));
        }
        Ok(())
    }

    fn consent(&self, _options: &PostOptions) -> Option<&'static str> {
        // No declaration is required before an upload; the user's schedule is the consent the
        // policies ask for (§6).
        None
    }

    fn consent_name(&self) -> &'static str {
        "YouTube's Terms of Service"
    }

    /// YouTube offers every channel all three; the saved channel answer names none.
    fn privacy_options(&self, _account_info: &serde_json::Value) -> Option<serde_json::Value> {
        Some(serde_json::json!(Visibility::ALL.map(Visibility::as_str)))
    }

    fn upload_may_exist_before_confirmed(&self) -> bool {
        true
    }

    fn hold_margin(&self) -> Option<chrono::Duration> {
        Some(chrono::Duration::seconds(super::PUBLISH_AT_MARGIN_SECS))
    }

    /// Only a public video: YouTube makes a private upload public at `publishAt` (§8), and an
    /// unlisted or private post has no moment to go public at.
    fn check_upload_ahead(&self, options: &PostOptions) -> Result<()> {
        let options = YouTubeOptions::of(options)?;
        if options.privacy != Visibility::Public {
            return Err(Error::invalid(
                format!(
                    "only a public video can be uploaded ahead, and this one is {}: YouTube \
                     holds an upload private and makes it public at its time",
                    options.privacy
                ),
                Some("use --privacy public, or drop --upload-ahead".into()),
            ));
        }
        Ok(())
    }

    fn manage_link(&self, post_id: &str) -> Option<String> {
        Some(super::studio_link(post_id))
    }

    /// `youtube.com/shorts/ID` for a Short, `youtube.com/watch?v=ID` otherwise (§4, §7): the
    /// watch address plays any video, the Shorts one shows it as people will find it.
    fn post_url(&self, post_id: &str, media: &MediaInfo) -> Option<String> {
        Some(video_format(media).url(post_id))
    }

    fn manual_revoke_hint(&self) -> &'static str {
        // §6: the page a privacy policy links for revocation.
        "remove postez under \"Third-party apps & services\" at https://myaccount.google.com/permissions"
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::media::VideoCodec;

    fn meta() -> VideoMeta {
        VideoMeta {
            title: "Pasta in 30 seconds".into(),
            description: "Dinner #pasta".into(),
            tags: vec!["pasta".into(), "quick dinner".into()],
            category_id: Some("26".into()),
            privacy: Visibility::Unlisted,
            made_for_kids: false,
            synthetic_media: true,
            notify_subscribers: false,
            publish_at: None,
        }
    }

    fn tiktok_draft() -> PostOptions {
        crate::provider::tiktok::TikTokOptions::plain(Mode::Draft).into()
    }

    #[test]
    fn titles_are_one_to_a_hundred_characters_without_angle_brackets() {
        assert!(
            check_title(&"é".repeat(100)).is_ok(),
            "characters, not bytes"
        );
        let e = check_title(&"a".repeat(101)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the title is 101 characters long; YouTube allows 100"
        );
        for bad in ["", "   ", "a <b>", "1 > 0", "tab\there"] {
            assert!(check_title(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn descriptions_are_counted_in_bytes() {
        assert!(check_description(&"a".repeat(5000)).is_ok());
        assert!(check_description(&"é".repeat(2500)).is_ok());
        let e = check_description(&"é".repeat(2501)).unwrap_err();
        assert!(e.to_string().contains("5002 bytes"), "{e}");
        assert!(check_description("line\nbreaks\tare fine").is_ok());
        assert!(check_description("no <b>html</b>").is_err());
        assert_eq!(
            build_description("Dinner #pasta", &["pasta".into(), "#quick".into()]).unwrap(),
            "Dinner #pasta #quick"
        );
        assert!(build_description("x", &["two words".into()]).is_err());
        assert!(build_description(&"a".repeat(4998), &["ab".into()]).is_err());
    }

    #[test]
    fn tags_count_commas_and_implied_quotes() {
        // §3.1's examples: "Foo-Baz" counts 7, "Foo Baz" 9.
        assert_eq!(tags_len(&["Foo-Baz".into()]), 7);
        assert_eq!(tags_len(&["Foo Baz".into()]), 9);
        assert_eq!(tags_len(&["Foo-Baz".into(), "Foo Baz".into()]), 17);
        assert_eq!(tags_len(&[]), 0);
        let fits: Vec<String> = (0..50).map(|_| "123456789".to_string()).collect();
        assert_eq!(tags_len(&fits), 499);
        assert!(check_tags(&fits).is_ok());
        let mut over = fits.clone();
        over[0].push('0');
        over.push("x".into());
        assert!(check_tags(&over).is_err());
        assert!(check_tags(&["".into()]).is_err());
        assert!(check_tags(&["<x>".into()]).is_err());
    }

    #[test]
    fn the_insert_body_states_privacy_and_audience() {
        let body = meta().insert_body();
        assert_eq!(body["status"]["privacyStatus"], "unlisted");
        assert_eq!(body["status"]["selfDeclaredMadeForKids"], false);
        assert_eq!(body["status"]["containsSyntheticMedia"], true);
        assert_eq!(body["snippet"]["title"], "Pasta in 30 seconds");
        assert_eq!(body["snippet"]["tags"][1], "quick dinner");
        assert_eq!(body["snippet"]["categoryId"], "26");
        assert!(body["status"].get("publishAt").is_none());
        let bare = VideoMeta {
            tags: vec![],
            category_id: None,
            ..meta()
        }
        .insert_body();
        assert!(bare["snippet"].get("tags").is_none());
        assert!(bare["snippet"].get("categoryId").is_none());
        assert!(meta().validate().is_ok());
        let bad = VideoMeta {
            category_id: Some("people".into()),
            ..meta()
        };
        assert!(bad.validate().is_err());
        let round: VideoMeta =
            serde_json::from_value(serde_json::to_value(meta()).unwrap()).unwrap();
        assert_eq!(round, meta());
    }

    #[test]
    fn default_titles_are_the_first_line_cut_on_a_word() {
        assert_eq!(
            default_title("\n  Pasta night  \nmore").unwrap(),
            "Pasta night"
        );
        let long = "word ".repeat(30);
        let title = default_title(&long).unwrap();
        assert!(title.chars().count() <= 100, "{title}");
        assert!(title.ends_with("word…"), "{title}");
        let one = "x".repeat(150);
        assert_eq!(default_title(&one).unwrap().chars().count(), 100);
        assert!(default_title(" \n ").is_err());
    }

    fn info(w: u32, h: u32, ms: u64) -> MediaInfo {
        MediaInfo {
            container: Container::Mp4,
            size: 1000,
            duration_ms: Some(ms),
            width: Some(w),
            height: Some(h),
            fps: Some(30.0),
            codec: Some(VideoCodec::H264),
        }
    }

    #[test]
    fn shorts_are_vertical_or_square_and_at_most_three_minutes() {
        assert_eq!(video_format(&info(1080, 1920, 2_000)), VideoFormat::Short);
        assert_eq!(video_format(&info(1080, 1080, 180_000)), VideoFormat::Short);
        assert_eq!(video_format(&info(1080, 1920, 180_001)), VideoFormat::Video);
        assert_eq!(video_format(&info(1920, 1080, 2_000)), VideoFormat::Video);
        let unknown = MediaInfo {
            duration_ms: None,
            ..info(1080, 1920, 0)
        };
        assert_eq!(video_format(&unknown), VideoFormat::Video);
        assert_eq!(
            VideoFormat::Short.url("abc"),
            "https://www.youtube.com/shorts/abc"
        );
        assert!(length_warning(Some(15 * 60 * 1000)).is_none());
        assert!(
            length_warning(Some(15 * 60 * 1000 + 1))
                .unwrap()
                .contains("16 minutes")
        );
    }

    #[test]
    fn media_takes_any_codec_but_needs_a_video() {
        let rules = YouTubeRules;
        let path = Path::new("a.mp4");
        let mut av1 = info(200, 200, 1000);
        av1.codec = Some(VideoCodec::Av1);
        assert!(rules.check_media(path, &av1).is_ok(), "no TikTok limits");
        let audio = MediaInfo {
            codec: None,
            ..info(0, 0, 1000)
        };
        assert!(matches!(
            rules.check_media(path, &audio),
            Err(MediaError::NoVideoTrack { .. })
        ));
        assert!(
            rules
                .check_media(path, &info(1, 1, MAX_DURATION_MS + 1))
                .is_ok()
        );
    }

    /// A YouTube post's options, as `schedule` builds them.
    pub(crate) fn options(privacy: Visibility) -> PostOptions {
        PostOptions::YouTube(YouTubeOptions {
            title: "Pasta in 30 seconds".into(),
            privacy,
            made_for_kids: false,
            ai_generated: false,
            category: None,
            notify: true,
            tags: Vec::new(),
        })
    }

    #[test]
    fn youtube_options_are_validated_and_read_as_they_are() {
        let rules = YouTubeRules;
        assert!(rules.validate(&options(Visibility::Unlisted), None).is_ok());
        let mut bad = options(Visibility::Public);
        if let PostOptions::YouTube(o) = &mut bad {
            o.title = "a <b>".into();
        }
        assert!(rules.validate(&bad, None).is_err());
        let mut category = options(Visibility::Public);
        if let PostOptions::YouTube(o) = &mut category {
            o.category = Some("music".into());
        }
        assert!(rules.validate(&category, None).is_err());
        let mut tags = options(Visibility::Public);
        if let PostOptions::YouTube(o) = &mut tags {
            o.tags = vec!["ok".into(), "<no>".into()];
        }
        assert!(rules.validate(&tags, None).is_err(), "tags are checked too");
        let media = info(1080, 1920, 2000);
        assert_eq!(
            rules.post_url("abc", &media).as_deref(),
            Some("https://www.youtube.com/shorts/abc")
        );
        assert_eq!(
            rules.post_url("abc", &info(1920, 1080, 2000)).as_deref(),
            Some("https://www.youtube.com/watch?v=abc")
        );
        // TikTok's options reaching YouTube's rules is postez's bug, said as one.
        let tiktok = PostOptions::from(crate::provider::tiktok::TikTokOptions::plain(Mode::Direct));
        assert!(matches!(
            rules.validate(&tiktok, None),
            Err(Error::Internal(_))
        ));
        assert!(rules.check_mode(None, &tiktok_draft()).is_err());
        assert!(
            rules
                .check_mode(None, &options(Visibility::Private))
                .is_ok()
        );
        assert_eq!(
            "Unlisted".parse::<Visibility>().unwrap(),
            Visibility::Unlisted
        );
        assert!("friends".parse::<Visibility>().is_err());
        assert_eq!(rules.caption_len("é"), 2);
        assert_eq!(rules.max_caption(), 5000);
        assert_eq!(
            rules.privacy_options(&serde_json::json!({})),
            Some(serde_json::json!(["public", "unlisted", "private"]))
        );
        assert!(
            rules
                .manual_revoke_hint()
                .contains("myaccount.google.com/permissions")
        );
        assert_eq!(rules.scopes().direct, Some(UPLOAD_SCOPE));
    }
}
