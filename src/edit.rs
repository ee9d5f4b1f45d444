//! Editing a queued post: the requested changes merged into a scheduled or failed post, checked
//! again like a new one ([`plan`]), then saved ([`Edit::save`]). The steps between (TikTok's
//! creator check, the consent prompt) belong to the caller, so the plan exposes what they need.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::error::{Error, Result};
use crate::post::{Mode, NewPost, Post, PostId, PostOptions, PostState, Privacy};
use crate::provider::tiktok::TikTokOptions;
use crate::provider::{Platform, Rules};
use crate::queue::{self, CheckedMedia};
use crate::store::{Account, Store};

/// What the user asked to change; `None` (or `false`) leaves the field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    /// New time, in any form `schedule --at` takes.
    pub at: Option<String>,
    /// Time zone for a local `at` (IANA name); else the post's own.
    pub tz: Option<String>,
    /// Another video.
    pub file: Option<PathBuf>,
    /// New caption text (without the hashtags).
    pub caption: Option<String>,
    /// A file to read the new caption from, when `caption` is not given.
    pub caption_file: Option<PathBuf>,
    /// Hashtags added to the caption.
    pub hashtags: Vec<String>,
    /// Make it a draft, which clears the direct-post choices.
    pub draft: bool,
    /// Make it a direct post.
    pub direct: bool,
    /// Who can see the post, as given: read by the post's platform (TikTok's levels, or
    /// YouTube's public, unlisted and private).
    pub privacy: Option<String>,
    /// Allow comments.
    pub allow_comments: Option<bool>,
    /// Allow duets.
    pub allow_duet: Option<bool>,
    /// Allow stitches.
    pub allow_stitch: Option<bool>,
    /// Cover frame time in milliseconds.
    pub cover_at_ms: Option<u32>,
    /// Promotional content for the user's own brand.
    pub brand_organic: Option<bool>,
    /// Paid partnership.
    pub branded_content: Option<bool>,
    /// AI-generated label.
    pub ai_generated: Option<bool>,
    /// Move the post to another account (id or name).
    pub account: Option<String>,
    /// YouTube: the title.
    pub title: Option<String>,
    /// YouTube: made for kids or not.
    pub made_for_kids: Option<bool>,
    /// YouTube: the category id.
    pub category: Option<String>,
    /// YouTube: notify subscribers.
    pub notify: Option<bool>,
    /// YouTube: the tags, replacing the post's (an empty list clears them).
    pub tags: Option<Vec<String>>,
    /// Upload it ahead for the platform to publish at its time (`Some(true)`), or upload it
    /// when due (`Some(false)`); `None` keeps what the post does, while its options allow it.
    pub upload_ahead: Option<bool>,
}

impl Changes {
    /// The post's options with the requested ones applied, each flag read by the post's
    /// platform. Flags another platform's post has no use for are refused, not ignored.
    fn apply(&self, id: PostId, old: &PostOptions) -> Result<PostOptions> {
        match old {
            PostOptions::TikTok(o) => {
                let youtube_only = self.youtube_only();
                if !youtube_only.is_empty() {
                    return Err(Error::invalid(
                        format!(
                            "post {id} is a TikTok post, and {} {} YouTube's",
                            youtube_only.join(", "),
                            if youtube_only.len() == 1 { "is" } else { "are" }
                        ),
                        // TikTok has no title or tags of its own: both live in the caption.
                        Some(
                            "drop them; TikTok's tags are the caption's hashtags (--hashtag)"
                                .into(),
                        ),
                    ));
                }
                let privacy = self.privacy.as_deref().map(str::parse).transpose()?;
                Ok(self.apply_tiktok(o, privacy).into())
            }
            PostOptions::YouTube(o) => {
                let tiktok_only = self.tiktok_only();
                if !tiktok_only.is_empty() {
                    return Err(Error::invalid(
                        format!(
                            "post {id} is a YouTube post, and {} {} TikTok's",
                            tiktok_only.join(", "),
                            if tiktok_only.len() == 1 { "is" } else { "are" }
                        ),
                        Some("drop them; YouTube takes --privacy public, unlisted or private and --ai-generated".into()),
                    ));
                }
                let mut options = o.clone();
                if let Some(p) = &self.privacy {
                    options.privacy = p.parse()?;
                }
                if let Some(ai) = self.ai_generated {
                    options.ai_generated = ai;
                }
                if let Some(title) = &self.title {
                    options.title = title.clone();
                }
                if let Some(kids) = self.made_for_kids {
                    options.made_for_kids = kids;
                }
                if let Some(category) = &self.category {
                    options.category = Some(category.clone());
                }
                if let Some(notify) = self.notify {
                    options.notify = notify;
                }
                if let Some(tags) = &self.tags {
                    options.tags = tags.clone();
                }
                Ok(PostOptions::YouTube(options))
            }
        }
    }

    /// The changes a post of `platform` takes when a group is edited (issue 13): the flags of
    /// another platform are dropped, since they are for that platform's targets.
    pub fn for_platform(&self, platform: Platform) -> Changes {
        let mut changes = self.clone();
        match platform {
            Platform::TikTok => {
                changes.title = None;
                changes.made_for_kids = None;
                changes.category = None;
                changes.notify = None;
                changes.tags = None;
            }
            Platform::YouTube => {
                changes.draft = false;
                changes.direct = false;
                changes.allow_comments = None;
                changes.allow_duet = None;
                changes.allow_stitch = None;
                changes.cover_at_ms = None;
                changes.brand_organic = None;
                changes.branded_content = None;
            }
        }
        changes
    }

    /// The flags given that only `platform`'s posts take.
    pub fn only_for(&self, platform: Platform) -> Vec<&'static str> {
        match platform {
            Platform::TikTok => self.tiktok_only(),
            Platform::YouTube => self.youtube_only(),
        }
    }

    /// The YouTube-only flags given.
    fn youtube_only(&self) -> Vec<&'static str> {
        [
            (self.title.is_some(), "--title"),
            (self.made_for_kids.is_some(), "--made-for-kids"),
            (self.category.is_some(), "--category"),
            (self.notify.is_some(), "--notify/--no-notify"),
            (self.tags.is_some(), "--tag/--no-tags"),
        ]
        .into_iter()
        .filter_map(|(given, flag)| given.then_some(flag))
        .collect()
    }

    /// The TikTok-only flags given.
    fn tiktok_only(&self) -> Vec<&'static str> {
        [
            (self.draft, "--draft"),
            (self.direct, "--direct"),
            (self.allow_comments.is_some(), "--allow-comments"),
            (self.allow_duet.is_some(), "--allow-duet"),
            (self.allow_stitch.is_some(), "--allow-stitch"),
            (self.cover_at_ms.is_some(), "--cover-at"),
            (self.brand_organic.is_some(), "--brand-organic"),
            (self.branded_content.is_some(), "--branded-content"),
        ]
        .into_iter()
        .filter_map(|(given, flag)| given.then_some(flag))
        .collect()
    }

    /// A TikTok post's options with the requested ones applied.
    fn apply_tiktok(&self, old: &TikTokOptions, privacy: Option<Privacy>) -> TikTokOptions {
        let mut options = old.clone();
        if self.draft {
            // Drafts take none of the direct-post choices.
            options = TikTokOptions::plain(Mode::Draft);
        }
        if self.direct {
            options.mode = Mode::Direct;
        }
        if let Some(p) = privacy {
            options.privacy = Some(p);
        }
        let toggles = [
            (&mut options.allow_comments, self.allow_comments),
            (&mut options.allow_duet, self.allow_duet),
            (&mut options.allow_stitch, self.allow_stitch),
            (&mut options.brand_organic, self.brand_organic),
            (&mut options.branded_content, self.branded_content),
            (&mut options.ai_generated, self.ai_generated),
        ];
        for (field, value) in toggles {
            if let Some(value) = value {
                *field = value;
            }
        }
        if self.cover_at_ms.is_some() {
            options.cover_at_ms = self.cover_at_ms;
        }
        options
    }
}

/// A checked edit, not saved yet.
#[derive(Debug)]
pub struct Edit {
    old: Post,
    /// The post's platform, whose rules check the edit.
    platform: Platform,
    changed: Vec<&'static str>,
    zone: Tz,
    scheduled_at: DateTime<Utc>,
    caption: String,
    hashtags: Vec<String>,
    options: PostOptions,
    media: CheckedMedia,
    /// The video as named (by the user, or the post): how messages about it name it.
    media_path: PathBuf,
    new_file: bool,
    /// The account asked for with the edit, if any.
    account: Option<Account>,
    /// The account the post will be for (asked for, else its own), if it has one.
    effective: Option<Account>,
    /// Uploaded ahead after the edit ([`NewPost::upload_ahead`](crate::post::NewPost)).
    upload_ahead: bool,
    /// It was (or was asked) to be uploaded ahead, but its time is too close now.
    ahead_overruled: bool,
}

/// Merge `changes` into post `id` and check the result like `schedule` does: only a scheduled
/// or failed post can change; the video (the new one, else the old one, re-fingerprinted so a
/// re-exported file is accepted) is checked again; a direct post needs an account that granted
/// Direct Post; options are validated once they can be (a privacy level chosen, or a draft).
pub fn plan(store: &Store, id: PostId, changes: &Changes, now: DateTime<Utc>) -> Result<Edit> {
    let old = store.post(id)?;
    if !PostState::EDITABLE.contains(&old.state) {
        return Err(Error::WrongState {
            id: old.id,
            state: old.state,
            action: "edited",
        });
    }
    let platform: Platform = old.platform.parse()?;
    let rules = platform.rules();
    // In the order of the history's field names; the caller words them.
    let mut changed: Vec<&'static str> = Vec::new();
    let zone = match &changes.tz {
        Some(tz) => crate::when::parse_zone(tz)?,
        None => crate::when::parse_zone(&old.timezone).unwrap_or(Tz::UTC),
    };
    let scheduled_at = match &changes.at {
        Some(at) => {
            changed.push("scheduled_at");
            queue::resolve_time(at, zone, now)?
        }
        None => old.scheduled_at,
    };
    let text = match (&changes.caption, &changes.caption_file) {
        (Some(text), _) => Some(text.clone()),
        (None, Some(file)) => Some(queue::read_caption_file(file)?),
        (None, None) => None,
    };
    if text.is_some() || !changes.hashtags.is_empty() {
        changed.push("caption");
    }
    let caption = text.unwrap_or_else(|| old.caption.clone());

    let before = old.options.clone();
    let options = changes.apply(id, &before)?;
    if options != before {
        changed.push("options");
    }

    let media_path = changes
        .file
        .clone()
        .unwrap_or_else(|| PathBuf::from(&old.file));
    // A video the shared queue holds is that copy, whatever this machine has at the path (it
    // may be another machine's): it is not checked again unless a new file replaces it.
    let media = match old.media_id {
        Some(_) if changes.file.is_none() => CheckedMedia {
            path: media_path.clone(),
            info: old.media.clone(),
            fingerprint: old.fingerprint.clone(),
        },
        _ => queue::check_media(&media_path, rules)?,
    };
    if changes.file.is_some() {
        changed.push("file");
    } else if media.fingerprint != old.fingerprint {
        changed.push("fingerprint");
    }
    let account = match &changes.account {
        Some(name) => {
            changed.push("account");
            // A post keeps its platform: a bare name is the post's platform's account when it
            // has one of that name, else looked up among every platform's (to say whose it is).
            let own = if name.contains(':') {
                None
            } else {
                queue::resolve_account_of(store, platform, Some(name), None)
                    .ok()
                    .flatten()
            };
            let account = match own {
                Some(account) => account,
                None => queue::find_account(store, name)?,
            };
            if account.platform != platform {
                return Err(Error::invalid(
                    format!(
                        "post {id} is a {} post and `{name}` is a {} account",
                        platform.name(),
                        account.platform.name()
                    ),
                    Some(format!(
                        "choose a {} account (`{platform}:NAME`), or schedule the video again",
                        platform.name()
                    )),
                ));
            }
            Some(account)
        }
        None => None,
    };
    let effective = match &account {
        Some(a) => Some(a.clone()),
        None => store
            .accounts()?
            .into_iter()
            .find(|a| Some(a.id) == old.account_id),
    };
    rules.check_mode(effective.as_ref(), &options)?;
    if !options.privacy_pending() {
        rules.validate(&options, media.info.duration_ms)?;
    }
    let (upload_ahead, ahead_overruled) = upload_ahead(
        rules,
        &old,
        &options,
        changes.upload_ahead,
        scheduled_at,
        now,
    )?;
    if upload_ahead != old.upload_ahead() {
        changed.push("upload_ahead");
    }
    Ok(Edit {
        platform,
        changed,
        zone,
        scheduled_at,
        caption,
        hashtags: changes.hashtags.clone(),
        options,
        new_file: changes.file.is_some(),
        media,
        media_path,
        account,
        effective,
        upload_ahead,
        ahead_overruled,
        old,
    })
}

/// Whether the edited post is uploaded ahead, and whether that was wanted but its time is too
/// close now. Kept while the new options allow it (a failed post's too, so a `retry` after the
/// edit uploads it ahead again): a post uploaded ahead that became unlisted would otherwise
/// still go public at its time, so such an edit is refused unless it also says
/// `--no-upload-ahead`.
fn upload_ahead(
    rules: &dyn Rules,
    old: &Post,
    options: &PostOptions,
    asked: Option<bool>,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(bool, bool)> {
    let keep = asked.is_none() && old.asked_upload_ahead();
    if keep && let Err(e) = rules.check_upload_ahead(options) {
        return Err(Error::invalid(
            format!("post {} is to be uploaded ahead: {e}", old.id),
            Some("add --no-upload-ahead to upload it when due instead".into()),
        ));
    }
    queue::upload_ahead(rules, options, asked.or(Some(keep)), false, at, now)
}

impl Edit {
    /// The post as it is before the edit.
    pub fn old(&self) -> &Post {
        &self.old
    }

    /// The rules of the post's platform (its consent text, for the caller's consent step).
    pub fn rules(&self) -> &'static dyn Rules {
        self.platform.rules()
    }

    /// The account the edited post is for, if it has one.
    pub fn account(&self) -> Option<&Account> {
        self.effective.as_ref()
    }

    /// The edited options.
    pub fn options(&self) -> &PostOptions {
        &self.options
    }

    /// The edited options, for the choices the consent step makes.
    pub fn options_mut(&mut self) -> &mut PostOptions {
        &mut self.options
    }

    /// The video the edited post publishes.
    pub fn media_path(&self) -> &Path {
        &self.media_path
    }

    /// The video's length, when known.
    pub fn duration_ms(&self) -> Option<u64> {
        self.media.info.duration_ms
    }

    /// Whether TikTok's creator check runs again: new direct-post choices, another video or
    /// another account may be refused by it; a new time or caption may not.
    pub fn needs_creator_check(&self) -> bool {
        self.options_changed() || self.new_file || self.account.is_some()
    }

    /// Whether the user must agree again: new direct-post choices need the consent again; a new
    /// time or caption does not.
    pub fn needs_consent(&self) -> bool {
        self.options_changed() && self.rules().consent(&self.options).is_some()
    }

    /// The options differ from the post's (before any consent step).
    fn options_changed(&self) -> bool {
        // `changed` is settled in `plan`, before the consent step may fill in a choice.
        self.changed.contains(&"options")
    }

    /// Save the edit: the post is built and validated once more with the final options, its
    /// history records which fields changed, and a private copy of a replaced video is deleted.
    pub fn save(self, store: &mut Store, now: DateTime<Utc>) -> Result<Edited> {
        save_all(vec![self], store, now).map(|mut edited| edited.remove(0))
    }

    /// The post as it will be saved (built and validated again), or `None` when nothing
    /// changes.
    fn build(&self) -> Result<Option<NewPost>> {
        if self.changed.is_empty() {
            return Ok(None);
        }
        let mut new = queue::build(
            self.platform.rules(),
            self.media.clone(),
            &self.caption,
            &self.hashtags,
            self.options.clone(),
            self.account.as_ref(),
            self.scheduled_at,
            self.zone,
        )?;
        new.account_id = self.account.as_ref().map(|a| a.id).or(self.old.account_id);
        new.copied = self.old.copied && !self.new_file;
        new.upload_ahead = self.upload_ahead;
        // The shared queue's copy stays, or a new file is sent there in `save_all`.
        new.media_id = self.old.media_id.filter(|_| !self.new_file);
        Ok(Some(new))
    }
}

/// Save several edits (a group's) in one transaction: every post changes, or none. Each is
/// built and validated before anything is written; private copies of replaced videos are
/// deleted once the change is committed.
pub fn save_all(edits: Vec<Edit>, store: &mut Store, now: DateTime<Utc>) -> Result<Vec<Edited>> {
    let mut rows = Vec::new();
    let mut stored = Vec::new();
    for edit in &edits {
        if let Some(mut new) = edit.build()? {
            // Shared mode: a new file for a post whose video the shared queue holds goes there
            // too (a post kept by reference stays a reference).
            if edit.new_file && edit.old.media_id.is_some() {
                let sent = queue::store_videos(store, std::slice::from_mut(&mut new), false, now)
                    .inspect_err(|_| queue::drop_videos(store, stored.clone()))?;
                stored.extend(sent);
            }
            rows.push((edit.old.id, new, edit.changed.clone()));
        }
    }
    let mut saved = match store.edit_posts(&rows, now) {
        Ok(saved) => saved.into_iter(),
        Err(e) => {
            queue::drop_videos(store, stored);
            return Err(e);
        }
    };
    let mut out = Vec::with_capacity(edits.len());
    for edit in edits {
        let post = if edit.changed.is_empty() {
            // Nothing to change, nothing written: a save would also drop a half-done upload.
            edit.old.clone()
        } else {
            let post = saved
                .next()
                .ok_or_else(|| Error::Internal("an edit was not saved".into()))?;
            if edit.old.copied && edit.new_file {
                // The private copy is ours and no longer referenced.
                let _ = fs_err::remove_file(&edit.old.file);
            }
            post
        };
        out.push(Edited {
            post,
            changed: edit.changed,
            zone: edit.zone,
            upload_ahead_overruled: edit.ahead_overruled,
        });
    }
    Ok(out)
}

/// A saved edit.
#[derive(Debug)]
pub struct Edited {
    /// The post after the edit.
    pub post: Post,
    /// The fields that changed, by the history's names (`scheduled_at`, `caption`, `options`,
    /// `file`, `fingerprint`, `account`); empty when nothing did.
    pub changed: Vec<&'static str>,
    /// The zone the post's time is shown in.
    pub zone: Tz,
    /// The post was to be uploaded ahead, but its new time is too close for the platform to
    /// hold it: it is uploaded the normal way when due (the CLI says so).
    pub upload_ahead_overruled: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::{now, sample_post};

    /// A queue holding one post of a real (synthetic) video, in the test's own folder.
    fn queue_with_video(dir: &tempfile::TempDir) -> (Store, PostId, PathBuf) {
        let video = crate::media::sample_video(dir.path(), "clip.mp4");
        let media = queue::check_media(&video, Platform::TikTok.rules()).unwrap();
        let mut post = sample_post(now() + chrono::Duration::hours(2));
        post.file = media.path.to_string_lossy().into_owned();
        post.fingerprint = media.fingerprint;
        post.media = media.info;
        let mut store = Store::open_in_memory().unwrap();
        let id = store.insert_posts(&[post], now()).unwrap()[0];
        (store, id, video)
    }

    #[test]
    fn nothing_asked_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, id, _) = queue_with_video(&dir);
        let edit = plan(&store, id, &Changes::default(), now()).unwrap();
        assert!(!edit.needs_creator_check() && !edit.needs_consent());
        let edited = edit.save(&mut store, now()).unwrap();
        assert!(edited.changed.is_empty());
        assert_eq!(edited.post.caption, "hello #x");
        assert_eq!(edited.zone, chrono_tz::Europe::Berlin);
    }

    #[test]
    fn only_scheduled_or_failed_posts_can_change() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, id, _) = queue_with_video(&dir);
        store.cancel(id, now()).unwrap();
        let err = plan(&store, id, &Changes::default(), now()).unwrap_err();
        assert!(
            matches!(
                err,
                Error::WrongState {
                    action: "edited",
                    state: PostState::Cancelled,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn a_local_time_is_read_in_the_posts_zone_unless_told() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, id, _) = queue_with_video(&dir);
        let at = |tz: Option<&str>| Changes {
            at: Some("2026-12-05 18:00".into()),
            tz: tz.map(Into::into),
            ..Default::default()
        };
        let berlin = plan(&store, id, &at(None), now()).unwrap();
        assert_eq!(
            berlin.scheduled_at.to_rfc3339(),
            "2026-12-05T17:00:00+00:00"
        );
        let edited = plan(&store, id, &at(Some("UTC")), now())
            .unwrap()
            .save(&mut store, now())
            .unwrap();
        assert_eq!(edited.changed, ["scheduled_at"]);
        assert_eq!(
            edited.post.scheduled_at.to_rfc3339(),
            "2026-12-05T18:00:00+00:00"
        );
        assert!(plan(&store, id, &at(Some("Mars/Olympus")), now()).is_err());
    }

    #[test]
    fn a_draft_drops_the_direct_post_choices() {
        let changes = Changes {
            draft: true,
            allow_stitch: Some(true),
            ..Default::default()
        };
        let options = changes.apply_tiktok(sample_post(now()).options.tiktok().unwrap(), None);
        assert_eq!(options.mode, Mode::Draft);
        assert_eq!(options.privacy, None);
        assert!(!options.allow_comments && !options.ai_generated && options.cover_at_ms.is_none());
        // A toggle given with it still applies (the CLI refuses the mix; the merge is plain).
        assert!(options.allow_stitch);
    }

    #[test]
    fn toggles_change_only_what_is_given() {
        let old = sample_post(now()).options.tiktok().unwrap().clone();
        let changes = Changes {
            privacy: Some("public".into()),
            allow_comments: Some(false),
            allow_duet: Some(true),
            cover_at_ms: Some(500),
            ..Default::default()
        };
        let options = changes.apply(1, &old.clone().into()).unwrap();
        let options = options.tiktok().unwrap();
        assert_eq!(options.privacy, Some(Privacy::PublicToEveryone));
        assert!(!options.allow_comments && options.allow_duet && !options.allow_stitch);
        assert_eq!(options.cover_at_ms, Some(500));
        assert_eq!(
            (options.ai_generated, options.mode),
            (old.ai_generated, old.mode)
        );
    }

    #[test]
    fn new_options_ask_for_the_creator_check_and_consent_again() {
        let dir = tempfile::tempdir().unwrap();
        let (store, id, _) = queue_with_video(&dir);
        let changes = Changes {
            allow_duet: Some(true),
            ..Default::default()
        };
        let edit = plan(&store, id, &changes, now()).unwrap();
        assert_eq!(edit.changed, ["options"]);
        assert!(edit.needs_creator_check() && edit.needs_consent());
        // A draft needs neither consent nor (for it) TikTok's posting options.
        let draft = Changes {
            draft: true,
            ..Default::default()
        };
        let edit = plan(&store, id, &draft, now()).unwrap();
        assert!(edit.needs_creator_check() && !edit.needs_consent());
        // A new caption needs neither.
        let caption = Changes {
            caption: Some("new words".into()),
            ..Default::default()
        };
        let edit = plan(&store, id, &caption, now()).unwrap();
        assert_eq!(edit.changed, ["caption"]);
        assert!(!edit.needs_creator_check() && !edit.needs_consent());
    }

    #[test]
    fn a_direct_post_without_privacy_waits_for_the_consent_step() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, id, _) = queue_with_video(&dir);
        let draft = Changes {
            draft: true,
            ..Default::default()
        };
        plan(&store, id, &draft, now())
            .unwrap()
            .save(&mut store, now())
            .unwrap();
        let direct = Changes {
            direct: true,
            ..Default::default()
        };
        // Planned (the privacy is asked for next), but not savable without one.
        let edit = plan(&store, id, &direct, now()).unwrap();
        assert!(edit.needs_consent());
        assert!(edit.save(&mut store, now()).is_err());
        let mut edit = plan(&store, id, &direct, now()).unwrap();
        edit.options_mut().tiktok_mut().unwrap().privacy = Some(Privacy::SelfOnly);
        let edited = edit.save(&mut store, now()).unwrap();
        assert_eq!(edited.post.options.mode(), Mode::Direct);
    }

    #[test]
    fn a_video_changed_on_disk_is_fingerprinted_again() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, id, video) = queue_with_video(&dir);
        let before = store.post(id).unwrap().fingerprint;
        // Same bytes, newer file: what a re-export looks like to the fingerprint.
        let bytes = fs_err::read(&video).unwrap();
        fs_err::remove_file(&video).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(30));
        fs_err::write(&video, bytes).unwrap();
        let edited = plan(&store, id, &Changes::default(), now())
            .unwrap()
            .save(&mut store, now())
            .unwrap();
        assert_eq!(edited.changed, ["fingerprint"]);
        assert_ne!(edited.post.fingerprint, before);
    }

    #[test]
    fn a_new_video_replaces_and_deletes_the_private_copy() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, id, _) = queue_with_video(&dir);
        let copy = crate::media::sample_video(dir.path(), "copy.mp4");
        let copied = queue::check_media(&copy, Platform::TikTok.rules()).unwrap();
        let mut new = sample_post(now() + chrono::Duration::hours(2));
        new.file = copied.path.to_string_lossy().into_owned();
        new.fingerprint = copied.fingerprint;
        new.copied = true;
        store.edit_post(id, &new, &[], now()).unwrap();
        let other = crate::media::sample_video(dir.path(), "other.mp4");
        let changes = Changes {
            file: Some(other.clone()),
            ..Default::default()
        };
        let edit = plan(&store, id, &changes, now()).unwrap();
        assert!(edit.needs_creator_check());
        let edited = edit.save(&mut store, now()).unwrap();
        assert_eq!(edited.changed, ["file"]);
        assert!(!edited.post.copied);
        assert!(!copy.exists(), "the replaced private copy is deleted");
        assert!(other.exists());
    }

    #[test]
    fn an_unreadable_video_refuses_the_edit() {
        let dir = tempfile::tempdir().unwrap();
        let (store, id, _) = queue_with_video(&dir);
        let changes = Changes {
            file: Some(dir.path().join("missing.mp4")),
            ..Default::default()
        };
        assert!(plan(&store, id, &changes, now()).is_err());
    }
}
