//! What a queued post is: its id, its state and the transitions between states, and its publishing
//! options, tagged by platform ([`PostOptions`]; each platform's own set lives in its provider
//! module). Pure data; no I/O. Which options a platform accepts, and its caption rules, are the
//! platform's (`crate::provider::Rules`).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::media::{Fingerprint, MediaInfo};
use crate::provider::Platform;
use crate::provider::tiktok::TikTokOptions;
use crate::provider::youtube::YouTubeOptions;

/// A post's number in the local queue.
pub type PostId = i64;

/// A group's number (cross-posting, issue 13): one `schedule` for several accounts queues one
/// post per account under one group. Written `g7` wherever people see or type it, so that it
/// can never be read as post 7: `cancel 7` and `cancel g7` must not be one typo apart from
/// cancelling the wrong thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupId(pub i64);

impl fmt::Display for GroupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "g{}", self.0)
    }
}

/// What `show`, `edit`, `cancel` and `retry` were given: a post (`7`) or a group (`g7`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostRef {
    /// One post.
    Post(PostId),
    /// Every post of a group.
    Group(GroupId),
}

impl FromStr for PostRef {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let bad = || {
            Error::invalid(
                format!(
                    "`{}` is neither a post id nor a group id",
                    crate::provider::printable(s, 40)
                ),
                Some("give a post id (`7`, as `postez list` shows) or a group id (`g7`)".into()),
            )
        };
        let number = |text: &str| {
            text.parse::<i64>()
                .ok()
                .filter(|n| *n > 0 && text.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(bad)
        };
        match s.strip_prefix(['g', 'G']) {
            Some(rest) => number(rest).map(|n| Self::Group(GroupId(n))),
            None => number(s).map(Self::Post),
        }
    }
}

impl fmt::Display for PostRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Post(id) => write!(f, "{id}"),
            Self::Group(g) => write!(f, "{g}"),
        }
    }
}

/// Where a post is in its life. Stored as text; the JSON contract uses the same words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostState {
    /// Waiting for its time.
    Scheduled,
    /// Claimed by a run; uploading or waiting for TikTok.
    Publishing,
    /// Uploaded ahead of its time: the platform holds it private and makes it public at its
    /// time by itself (`schedule --upload-ahead`); a run after that time confirms it.
    Uploaded,
    /// Live on the platform.
    Published,
    /// Uploaded as a draft to the creator's inbox.
    SentToInbox,
    /// Gave up, with a reason; `retry` queues it again.
    Failed,
    /// Cancelled by the user.
    Cancelled,
}

impl PostState {
    /// Every state, in display order.
    pub const ALL: [PostState; 7] = [
        Self::Scheduled,
        Self::Publishing,
        Self::Uploaded,
        Self::Published,
        Self::SentToInbox,
        Self::Failed,
        Self::Cancelled,
    ];

    /// The stored and displayed word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Publishing => "publishing",
            Self::Uploaded => "uploaded",
            Self::Published => "published",
            Self::SentToInbox => "sent_to_inbox",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    /// Whether the post is still part of the working queue (shown by `list` without `--all`).
    pub fn is_active(self) -> bool {
        matches!(
            self,
            Self::Scheduled | Self::Publishing | Self::Uploaded | Self::Failed
        )
    }

    /// The transitions the state machine allows (see shared/design.md). `publishing → scheduled`
    /// is a retryable failure; `publishing → publishing` never happens as a transition. The
    /// one table: every change of state the store makes is checked against it when the crate
    /// compiles (`store::transitions`).
    pub const fn can_become(self, next: PostState) -> bool {
        use PostState::*;
        matches!(
            (self, next),
            (Scheduled, Publishing)
                | (Scheduled, Cancelled)
                | (Scheduled, Failed)
                | (Publishing, Published)
                | (Publishing, SentToInbox)
                | (Publishing, Failed)
                | (Publishing, Scheduled)
                // The platform holds it until its time; a run after that time confirms it
                // (claimed again), and `cancel` deletes it on the platform first.
                | (Publishing, Uploaded)
                | (Uploaded, Publishing)
                | (Uploaded, Cancelled)
                | (Failed, Scheduled)
                | (Failed, Cancelled)
                // `retry` brings a cancelled post back: cancelling must not be a dead end.
                | (Cancelled, Scheduled)
        )
    }

    /// States from which the user may edit a post.
    pub const EDITABLE: &'static [PostState] = &[Self::Scheduled, Self::Failed];
}

impl fmt::Display for PostState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PostState {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| {
                Error::invalid(
                    format!("`{s}` is not a post state"),
                    Some(format!(
                        "use one of: {}",
                        Self::ALL.map(PostState::as_str).join(", ")
                    )),
                )
            })
    }
}

/// Direct post (published by postez) or draft (sent to the creator's TikTok inbox).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Published directly with the chosen privacy.
    Direct,
    /// Uploaded to the inbox; the creator finishes the post in the app.
    Draft,
}

impl Mode {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Direct => "direct",
            Self::Draft => "draft",
        }
    }
}

impl FromStr for Mode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "direct" => Ok(Self::Direct),
            "draft" => Ok(Self::Draft),
            _ => Err(Error::invalid(
                format!("`{s}` is not a post mode"),
                Some("use `direct` or `draft`".into()),
            )),
        }
    }
}

/// Who may see a direct post. TikTok requires an explicit choice: there is no default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[clap(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Privacy {
    /// Everyone (alias: public)
    #[value(alias = "public")]
    PublicToEveryone,
    /// Friends, i.e. mutual followers (alias: friends)
    #[value(alias = "friends")]
    MutualFollowFriends,
    /// Followers, for private accounts (alias: followers)
    #[value(alias = "followers")]
    FollowerOfCreator,
    /// Only me (alias: private)
    #[value(alias = "private")]
    SelfOnly,
}

impl Privacy {
    /// Every level, in TikTok's order.
    pub const ALL: [Privacy; 4] = [
        Self::PublicToEveryone,
        Self::MutualFollowFriends,
        Self::FollowerOfCreator,
        Self::SelfOnly,
    ];

    /// TikTok's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PublicToEveryone => "PUBLIC_TO_EVERYONE",
            Self::MutualFollowFriends => "MUTUAL_FOLLOW_FRIENDS",
            Self::FollowerOfCreator => "FOLLOWER_OF_CREATOR",
            Self::SelfOnly => "SELF_ONLY",
        }
    }

    /// The short lower-case name accepted as well as TikTok's (`--privacy private`).
    pub fn alias(self) -> &'static str {
        match self {
            Self::PublicToEveryone => "public",
            Self::MutualFollowFriends => "friends",
            Self::FollowerOfCreator => "followers",
            Self::SelfOnly => "private",
        }
    }

    /// The words TikTok's app shows.
    pub fn label(self) -> &'static str {
        match self {
            Self::PublicToEveryone => "Everyone",
            Self::MutualFollowFriends => "Friends",
            Self::FollowerOfCreator => "Followers",
            Self::SelfOnly => "Only me",
        }
    }
}

impl fmt::Display for Privacy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Privacy {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|p| {
                p.as_str().eq_ignore_ascii_case(s.trim())
                    || p.alias().eq_ignore_ascii_case(s.trim())
            })
            .ok_or_else(|| {
                Error::invalid(
                    format!("`{s}` is not a TikTok privacy level"),
                    Some(format!(
                        "use one of: {} (or {})",
                        Self::ALL.map(Privacy::as_str).join(", "),
                        Self::ALL.map(Privacy::alias).join(", ")
                    )),
                )
            })
    }
}

/// A post's choices, in the shape of the platform it is for: the platform's own option set,
/// tagged by platform. The engine, holds and `run --dry-run` read them through the
/// platform-neutral accessors ([`PostOptions::mode`], …); a platform's rules and provider match
/// their own variant. Adding a platform's options is a variant here, an arm in each accessor and
/// in [`PostOptions::from_stored`].
///
/// Serialised untagged: the serde form is the variant's own (for TikTok, exactly the JSON
/// `posts.options` held before there was a tag), so stored rows and the JSON contract are
/// unchanged. It is read back by the row's platform ([`PostOptions::from_stored`]), never by
/// guessing from the JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum PostOptions {
    /// A TikTok post's choices.
    TikTok(TikTokOptions),
    /// A YouTube post's choices.
    YouTube(YouTubeOptions),
}

impl PostOptions {
    /// Which platform these options are for.
    pub fn platform(&self) -> Platform {
        match self {
            Self::TikTok(_) => Platform::TikTok,
            Self::YouTube(_) => Platform::YouTube,
        }
    }

    /// Direct post or draft (a platform without drafts is always direct).
    pub fn mode(&self) -> Mode {
        match self {
            Self::TikTok(o) => o.mode,
            // YouTube has no drafts.
            Self::YouTube(_) => Mode::Direct,
        }
    }

    /// Whether the post is labelled as AI-generated.
    pub fn ai_generated(&self) -> bool {
        match self {
            Self::TikTok(o) => o.ai_generated,
            Self::YouTube(o) => o.ai_generated,
        }
    }

    /// Who may see the post, in the platform's word (`SELF_ONLY`), once chosen; drafts have
    /// none.
    pub fn privacy_word(&self) -> Option<&'static str> {
        match self {
            Self::TikTok(o) => o.privacy.map(Privacy::as_str),
            Self::YouTube(o) => Some(o.privacy.as_str()),
        }
    }

    /// Who may see the post, in the words the platform's app shows (`Only me`), once chosen.
    pub fn privacy_label(&self) -> Option<&'static str> {
        match self {
            Self::TikTok(o) => o.privacy.map(Privacy::label),
            Self::YouTube(o) => Some(o.privacy.label()),
        }
    }

    /// A direct post whose privacy is not chosen yet: `schedule` and `edit` ask for it (with
    /// the consent) before the options are validated together.
    pub fn privacy_pending(&self) -> bool {
        match self {
            Self::TikTok(o) => o.mode == Mode::Direct && o.privacy.is_none(),
            // Required by `schedule` before the options exist.
            Self::YouTube(_) => false,
        }
    }

    /// TikTok's choices, if these are a TikTok post's.
    pub fn tiktok(&self) -> Option<&TikTokOptions> {
        match self {
            Self::TikTok(o) => Some(o),
            Self::YouTube(_) => None,
        }
    }

    /// YouTube's choices, if these are a YouTube post's.
    pub fn youtube(&self) -> Option<&YouTubeOptions> {
        match self {
            Self::YouTube(o) => Some(o),
            Self::TikTok(_) => None,
        }
    }

    /// TikTok's choices to change, if these are a TikTok post's.
    pub fn tiktok_mut(&mut self) -> Option<&mut TikTokOptions> {
        match self {
            Self::TikTok(o) => Some(o),
            Self::YouTube(_) => None,
        }
    }

    /// The options of a `platform` post as the queue stores them: `json` is their serde form
    /// (`posts.options`), `mode` the row's own column, which wins (holds filter on the column).
    pub fn from_stored(platform: Platform, mode: Mode, json: &str) -> serde_json::Result<Self> {
        match platform {
            Platform::TikTok => Ok(Self::TikTok(TikTokOptions {
                mode,
                ..serde_json::from_str(json)?
            })),
            // No drafts on YouTube: the mode column is always `direct`.
            Platform::YouTube => Ok(Self::YouTube(serde_json::from_str(json)?)),
        }
    }
}

impl From<TikTokOptions> for PostOptions {
    fn from(options: TikTokOptions) -> Self {
        Self::TikTok(options)
    }
}

/// A post as stored in the queue.
#[derive(Debug, Clone, PartialEq)]
pub struct Post {
    /// Queue id.
    pub id: PostId,
    /// Lifecycle state.
    pub state: PostState,
    /// Finer in-flight step while `publishing` (`claimed`, `uploading`, `processing`).
    pub phase: Option<String>,
    /// `tiktok`.
    pub platform: String,
    /// Account row id, or none for "the platform's default account".
    pub account_id: Option<i64>,
    /// Account label (display name or open id), when one is set.
    pub account: Option<String>,
    /// The group it was scheduled in with other accounts' posts, if any.
    pub group: Option<GroupId>,
    /// The video file (or the private copy).
    pub file: String,
    /// Whether `file` is a private copy postez owns.
    pub copied: bool,
    /// Container and stream facts.
    pub media: MediaInfo,
    /// Fingerprint taken when scheduled.
    pub fingerprint: Fingerprint,
    /// Caption including hashtags.
    pub caption: String,
    /// Publishing options, in the shape of `platform`'s.
    pub options: PostOptions,
    /// When to publish.
    pub scheduled_at: DateTime<Utc>,
    /// When a run next has work on it: `scheduled_at`, except for a post uploaded ahead
    /// ([`Post::upload_ahead`]), which is due for upload as soon as it is queued.
    pub due_at: DateTime<Utc>,
    /// Shared mode: the video's copy in the database, read by whichever runner publishes it
    /// (`None`: the file at `file` is read, as on the embedded queue).
    pub media_id: Option<i64>,
    /// IANA zone the time was given in.
    pub timezone: String,
    /// Failed attempts so far.
    pub attempts: u32,
    /// Earliest next try after a temporary failure.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// The platform's error code of the last failure.
    pub last_error_code: Option<String>,
    /// What to do about the last failure.
    pub last_error_hint: Option<String>,
    /// TikTok's publish id, once init succeeded.
    pub publish_id: Option<String>,
    /// The public post id, once published.
    pub post_id: Option<String>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl Post {
    /// Whether the post is to be uploaded before its time and made public by the platform at
    /// that time (`schedule --upload-ahead`), and is not uploaded yet.
    pub fn upload_ahead(&self) -> bool {
        self.due_at < self.scheduled_at
            && matches!(self.state, PostState::Scheduled | PostState::Publishing)
    }

    /// Whether the post was to be uploaded ahead, whatever became of it since (a failed or
    /// cancelled one too): what `retry` and `edit` keep when its options and time still allow.
    pub fn asked_upload_ahead(&self) -> bool {
        self.due_at < self.scheduled_at
            && !matches!(
                self.state,
                PostState::Uploaded | PostState::Published | PostState::SentToInbox
            )
    }

    /// Where people watch the post once published, when its platform builds such an address
    /// from what postez keeps (YouTube; TikTok's names the creator, so it has none).
    pub fn url(&self) -> Option<String> {
        let id = self
            .post_id
            .as_deref()
            .filter(|_| self.state == PostState::Published)?;
        let platform: Platform = self.platform.parse().ok()?;
        platform.rules().post_url(id, &self.media)
    }

    /// The post as JSON: the contract scripts rely on (documented in the README). Field names
    /// are stable; new fields may be added.
    pub fn to_json(&self) -> serde_json::Value {
        let time = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let mut json = serde_json::json!({
            "id": self.id,
            "state": self.state,
            "phase": self.phase,
            "platform": self.platform,
            "account": self.account,
            "group": self.group.map(|g| g.to_string()),
            "file": self.file,
            "copied": self.copied,
            "caption": self.caption,
            "mode": self.options.mode(),
            "scheduled_at": time(self.scheduled_at),
            "upload_ahead": self.upload_ahead() || self.state == PostState::Uploaded,
            "timezone": self.timezone,
            "attempts": self.attempts,
            "next_attempt_at": self.next_attempt_at.map(time),
            "last_error": self.last_error,
            "last_error_code": self.last_error_code,
            "last_error_hint": self.last_error_hint,
            "publish_id": self.publish_id,
            "post_id": self.post_id,
            "media": {
                "container": self.media.container,
                "size": self.media.size,
                "duration_ms": self.media.duration_ms,
                "width": self.media.width,
                "height": self.media.height,
                "fps": self.media.fps,
                "codec": self.media.codec.as_ref().map(ToString::to_string),
            },
            "created_at": time(self.created_at),
            "updated_at": time(self.updated_at),
        });
        // The platform's choices at the top level, by their stored names (TikTok's: privacy,
        // allow_comments, …, as the contract has always had them).
        if let (Some(fields), serde_json::Value::Object(options)) = (
            json.as_object_mut(),
            serde_json::to_value(&self.options).unwrap_or_default(),
        ) {
            fields.extend(options);
        }
        // Only where the platform builds one: TikTok's rows keep exactly their old keys.
        if let Some(url) = self.url() {
            json["url"] = url.into();
        }
        if let Some(fields) = json.as_object_mut() {
            // A published post's `last_error*` columns hold the platform's note (YouTube made
            // it private): under `note`, since a published post has no error.
            let note = self.note().map(|(code, message, hint)| {
                serde_json::json!({ "code": code, "message": message, "hint": hint })
            });
            if note.is_some() {
                for key in ["last_error", "last_error_code", "last_error_hint"] {
                    fields.insert(key.into(), serde_json::Value::Null);
                }
            }
            fields.insert("note".into(), note.unwrap_or_default());
        }
        json
    }

    /// What the platform did otherwise than asked although it published the post (code,
    /// message, hint), when it did.
    pub fn note(&self) -> Option<(&str, &str, Option<&str>)> {
        if self.state != PostState::Published {
            return None;
        }
        Some((
            self.last_error_code.as_deref().unwrap_or_default(),
            self.last_error.as_deref()?,
            self.last_error_hint.as_deref(),
        ))
    }
}

/// A post about to be inserted.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPost {
    /// `tiktok`.
    pub platform: String,
    /// Account row id, if chosen.
    pub account_id: Option<i64>,
    /// Path of the video (absolute).
    pub file: String,
    /// Whether `file` is a private copy.
    pub copied: bool,
    /// What probing the video found.
    pub media: MediaInfo,
    /// Size, mtime and a sample hash of the file, to notice it changing before upload.
    pub fingerprint: Fingerprint,
    /// Caption with hashtags.
    pub caption: String,
    /// Mode, privacy and interaction settings, in the shape of `platform`'s.
    pub options: PostOptions,
    /// When it is due.
    pub scheduled_at: DateTime<Utc>,
    /// IANA zone the time was given in (`show` displays it there).
    pub timezone: String,
    /// Upload it at the first run and let the platform make it public at `scheduled_at`
    /// (`schedule --upload-ahead`; checked by the platform's rules).
    pub upload_ahead: bool,
    /// Shared mode: the video's copy in the database (see [`Post::media_id`]).
    pub media_id: Option<i64>,
}

/// One entry of a post's append-only history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// What happened: `scheduled`, `edited`, `claimed`, `init`, `uploaded`, `published`, …
    pub kind: String,
    /// Details as JSON (never secrets).
    pub detail: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn privacy_takes_tiktok_names_and_lower_case_aliases() {
        for (text, want) in [
            ("SELF_ONLY", Privacy::SelfOnly),
            ("private", Privacy::SelfOnly),
            ("Public", Privacy::PublicToEveryone),
            ("friends", Privacy::MutualFollowFriends),
            ("followers", Privacy::FollowerOfCreator),
            ("public_to_everyone", Privacy::PublicToEveryone),
        ] {
            assert_eq!(text.parse::<Privacy>().unwrap(), want, "{text}");
        }
        let err = "everyone".parse::<Privacy>().unwrap_err();
        assert!(err.hint().unwrap().contains("private"), "{err:?}");
        use clap::ValueEnum;
        assert_eq!(
            <Privacy as ValueEnum>::from_str("private", false).unwrap(),
            Privacy::SelfOnly
        );
        assert_eq!(
            <Privacy as ValueEnum>::from_str("SELF_ONLY", false).unwrap(),
            Privacy::SelfOnly
        );
    }

    /// `list/show --json` keep TikTok's choices at the top level, by the names they always had.
    #[test]
    fn the_json_contract_keeps_tiktoks_keys_at_the_top() {
        use crate::media::{Container, MediaInfo};
        let at: DateTime<Utc> = "2026-12-01T10:00:00Z".parse().unwrap();
        let post = Post {
            id: 7,
            state: PostState::Scheduled,
            phase: None,
            platform: "tiktok".into(),
            account_id: None,
            account: None,
            group: None,
            media_id: None,
            file: "/v/a.mp4".into(),
            copied: false,
            media: MediaInfo {
                container: Container::Mp4,
                size: 1,
                duration_ms: None,
                width: None,
                height: None,
                fps: None,
                codec: None,
            },
            fingerprint: Fingerprint {
                size: 1,
                mtime_ns: 1,
                sample_sha256: "ab".into(),
            },
            caption: String::new(),
            options: TikTokOptions {
                privacy: Some(Privacy::SelfOnly),
                allow_duet: true,
                cover_at_ms: Some(5),
                ..TikTokOptions::plain(Mode::Direct)
            }
            .into(),
            scheduled_at: at,
            due_at: at,
            timezone: "UTC".into(),
            attempts: 0,
            next_attempt_at: None,
            last_error: None,
            last_error_code: None,
            last_error_hint: None,
            publish_id: None,
            post_id: None,
            created_at: at,
            updated_at: at,
        };
        let json = post.to_json();
        let want = serde_json::json!({
            "mode": "direct",
            "privacy": "SELF_ONLY",
            "allow_comments": false,
            "allow_duet": true,
            "allow_stitch": false,
            "cover_at_ms": 5,
            "brand_organic": false,
            "branded_content": false,
            "ai_generated": false,
        });
        for (key, value) in want.as_object().unwrap() {
            assert_eq!(&json[key], value, "{key}");
        }
        assert!(json.get("TikTok").is_none() && json.get("options").is_none());
        // 29, `note` (what the platform did otherwise than asked with a published post),
        // `upload_ahead` and `group` (issue 13: null for a post scheduled alone).
        assert_eq!(json.as_object().unwrap().len(), 32, "no key added or lost");
        assert_eq!(json["note"], serde_json::Value::Null);
        assert_eq!(json["group"], serde_json::Value::Null);
    }

    /// A group id is `g` and a number, never a bare number: `7` and `g7` cannot be confused.
    #[test]
    fn post_and_group_ids_are_told_apart() {
        assert_eq!("7".parse::<PostRef>().unwrap(), PostRef::Post(7));
        assert_eq!("g7".parse::<PostRef>().unwrap(), PostRef::Group(GroupId(7)));
        assert_eq!(
            "G12".parse::<PostRef>().unwrap(),
            PostRef::Group(GroupId(12))
        );
        for bad in [
            "", "g", "g0", "0", "-1", "g-1", "g+1", "+1", "7g", "gg7", "g 7", "x7",
        ] {
            assert!(bad.parse::<PostRef>().is_err(), "{bad:?}");
        }
        assert_eq!(GroupId(7).to_string(), "g7");
        assert_eq!(PostRef::Group(GroupId(7)).to_string(), "g7");
    }

    /// The tag is not in the serde form: TikTok's options serialise as their own struct.
    #[test]
    fn tiktok_options_serialise_untagged() {
        let o = TikTokOptions::plain(Mode::Draft);
        assert_eq!(
            serde_json::to_string(&PostOptions::from(o.clone())).unwrap(),
            serde_json::to_string(&o).unwrap()
        );
        assert_eq!(PostOptions::from(o).platform(), Platform::TikTok);
    }

    #[test]
    fn state_transitions_follow_the_machine() {
        use PostState::*;
        let allowed = [
            (Scheduled, Publishing),
            (Scheduled, Cancelled),
            (Scheduled, Failed),
            (Publishing, Published),
            (Publishing, SentToInbox),
            (Publishing, Failed),
            (Publishing, Scheduled),
            (Publishing, Uploaded),
            (Uploaded, Publishing),
            (Uploaded, Cancelled),
            (Failed, Scheduled),
            (Failed, Cancelled),
            (Cancelled, Scheduled),
        ];
        for from in PostState::ALL {
            for to in PostState::ALL {
                assert_eq!(
                    from.can_become(to),
                    allowed.contains(&(from, to)),
                    "{from} → {to}"
                );
            }
        }
        // Terminal states stay terminal; a cancelled post can only be queued again.
        for done in [Published, SentToInbox] {
            assert!(PostState::ALL.iter().all(|&to| !done.can_become(to)));
        }
    }

    #[test]
    fn states_and_privacy_round_trip_through_text() {
        for s in PostState::ALL {
            assert_eq!(s.as_str().parse::<PostState>().unwrap(), s);
        }
        for p in Privacy::ALL {
            assert_eq!(p.as_str().parse::<Privacy>().unwrap(), p);
        }
        assert!("EVERYONE".parse::<Privacy>().is_err());
    }
}
