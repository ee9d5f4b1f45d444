//! `postez schedule`: check a video and put it in the local queue. Nothing is uploaded here.
//! Also owns the Direct Post choices and consent that `edit` and `import` reuse.

use std::path::{Path, PathBuf};

use postez::creator::{self, CreatorCheck};
use postez::post::{Mode, PostOptions, Privacy};
use postez::provider::tiktok::TikTokOptions;
use postez::provider::{Platform, Rules};
use postez::{Error, Result, queue};

use super::Ctx;

pub mod group;

/// Queue a video to be published later
///
/// The video is checked now (container, codec, size, duration, frame rate) and stays where it
/// is; `postez run` uploads it once its time has come. Times without a zone are local time in
/// --tz, else the `timezone` setting, else the system zone.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  postez schedule clip.mp4 --at \"tomorrow 18:00\" --caption \"New recipe\" --privacy SELF_ONLY --yes
  postez schedule clip.mp4 --at \"in 2h\" --caption-file caption.txt --hashtag food --draft
  postez schedule clip.mov --at 2026-12-01T18:00:00+01:00 --privacy PUBLIC_TO_EVERYONE \\
      --allow-comments --branded-content --yes
  postez schedule short.mp4 --at \"friday 17:00\" --account youtube --privacy public \\
      --made-for-kids no --title \"Pasta in 30 seconds\"")]
pub struct ScheduleArgs {
    /// Video to publish (MP4, MOV or WebM)
    pub file: PathBuf,
    /// When to publish: now, "18:00", "tomorrow 9am", "next friday 18:00", "in 2h", "+90m",
    /// "2026-12-01 18:00" or RFC 3339
    #[arg(long, value_name = "WHEN")]
    pub at: String,
    /// Time zone for local times (IANA name, e.g. Europe/Berlin)
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    #[command(flatten)]
    pub caption: CaptionArgs,
    #[command(flatten)]
    pub options: OptionArgs,
    #[command(flatten)]
    pub youtube: YouTubeArgs,
    /// Account to publish with: id, name, a platform (its only account, e.g. `youtube`) or
    /// `platform:name` (default: the only TikTok account, or `default_account`). Repeat it to
    /// cross-post (one post per account, tied as a group); `all` is every connected account
    /// that is not paused
    #[arg(long, value_name = "ACCOUNT")]
    pub account: Vec<String>,
    /// Keep a private copy of the video, so moving or editing the original does not matter
    #[arg(long)]
    pub copy: bool,
    /// Shared mode: keep only the video's path, not its bytes in the shared queue (every
    /// runner must see the same file, e.g. on a shared mount)
    #[arg(long)]
    pub reference: bool,
    /// Agree to TikTok's Music Usage Confirmation (and Branded Content Policy) without a prompt
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Queue the video even if the account gets it within 24 hours of another post of it
    ///
    /// TikTok treats a repeated video as spam; without this flag postez asks on a terminal and
    /// refuses otherwise.
    #[arg(long)]
    pub allow_duplicate: bool,
}

/// The caption flags.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct CaptionArgs {
    /// Caption (title) shown with the post; at most 2200 UTF-16 units with hashtags
    #[arg(
        long,
        short = 'c',
        value_name = "TEXT",
        conflicts_with = "caption_file"
    )]
    pub caption: Option<String>,
    /// Read the caption from a UTF-8 text file
    #[arg(long, value_name = "FILE")]
    pub caption_file: Option<PathBuf>,
    /// Add a hashtag (repeatable; "food" and "#food" both give #food)
    #[arg(long = "hashtag", value_name = "TAG")]
    pub hashtags: Vec<String>,
}

impl CaptionArgs {
    /// The caption text the user gave, if any.
    pub fn text(&self) -> Result<Option<String>> {
        match (&self.caption, &self.caption_file) {
            (Some(text), _) => Ok(Some(text.clone())),
            (None, Some(file)) => queue::read_caption_file(file).map(Some),
            (None, None) => Ok(None),
        }
    }
}

/// Every privacy word some platform takes (TikTok's levels and their aliases, then YouTube's
/// others), so help, man page and completions list them; each platform's own check still
/// refuses the words of another.
pub fn privacy_values() -> clap::builder::PossibleValuesParser {
    let mut values: Vec<&'static str> = Privacy::ALL.map(Privacy::as_str).to_vec();
    let more = Privacy::ALL
        .map(Privacy::alias)
        .into_iter()
        .chain(postez::provider::youtube::Visibility::ALL.map(|v| v.as_str()));
    for value in more {
        if !values.contains(&value) {
            values.push(value);
        }
    }
    clap::builder::PossibleValuesParser::new(values)
}

/// `--privacy`'s values: a privacy word ([`privacy_values`]), or `PLATFORM=WORD` for one
/// platform of a cross-post. Help, man page and completions list the words.
#[derive(Debug, Clone, Copy)]
pub struct PrivacyParser;

impl clap::builder::TypedValueParser for PrivacyParser {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> std::result::Result<String, clap::Error> {
        let text = value
            .to_str()
            .ok_or_else(|| clap::Error::new(clap::error::ErrorKind::InvalidUtf8).with_cmd(cmd))?;
        let word = match text.split_once('=') {
            Some((platform, word)) => {
                if platform.parse::<Platform>().is_err() {
                    let mut err =
                        clap::Error::new(clap::error::ErrorKind::InvalidValue).with_cmd(cmd);
                    use clap::error::{ContextKind, ContextValue};
                    err.insert(
                        ContextKind::InvalidArg,
                        ContextValue::String("--privacy <LEVEL>".into()),
                    );
                    err.insert(
                        ContextKind::InvalidValue,
                        ContextValue::String(text.to_string()),
                    );
                    err.insert(
                        ContextKind::ValidValue,
                        ContextValue::Strings(
                            Platform::ALL.iter().map(|p| format!("{p}=LEVEL")).collect(),
                        ),
                    );
                    return Err(err);
                }
                word
            }
            None => text,
        };
        clap::builder::TypedValueParser::parse_ref(
            &privacy_values(),
            cmd,
            arg,
            std::ffi::OsStr::new(word),
        )?;
        Ok(text.to_string())
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        let values: Vec<_> =
            clap::builder::TypedValueParser::possible_values(&privacy_values())?.collect();
        Some(Box::new(values.into_iter()))
    }
}

/// The privacy word of `--privacy` values for a post of `platform`: a `PLATFORM=WORD` of its
/// platform wins over a plain word; another platform's, or two words for one platform, are
/// refused (`what` names the post or target in the message).
fn privacy_for(given: &[String], platform: Platform, what: &str) -> Result<Option<String>> {
    queue::value_for(given, platform, what, queue::Given::Flag("--privacy"))
}

/// `--draft` with a privacy level for the drafts (the creator chooses it in the app).
fn draft_with_privacy() -> Error {
    Error::invalid(
        "--draft cannot be used with --privacy for the same post: a draft gets its privacy in the app",
        Some("drop --privacy, or drop --draft to post directly".into()),
    )
}

/// Refuse a `--privacy` word `platform` does not take (each platform's own words and errors).
fn check_privacy(platform: Platform, privacy: &str) -> Result<()> {
    match platform {
        Platform::TikTok => privacy.parse::<Privacy>().map(drop),
        Platform::YouTube => privacy
            .parse::<postez::provider::youtube::Visibility>()
            .map(drop),
    }
}

/// The Direct Post choices TikTok requires the user to make (all off unless given).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct OptionArgs {
    /// Upload as a draft to your TikTok inbox and finish the post in the app
    // `--privacy` is refused with it by `exec` rather than here: a cross-post's drafts may
    // come with another platform's level (`--draft --privacy youtube=unlisted`).
    #[arg(long, conflicts_with_all = ["allow_comments", "allow_duet", "allow_stitch",
        "cover_at", "brand_organic", "branded_content", "ai_generated"])]
    pub draft: bool,
    /// Who can see the post (required for direct posts; there is no default). TikTok:
    /// PUBLIC_TO_EVERYONE, MUTUAL_FOLLOW_FRIENDS, FOLLOWER_OF_CREATOR, SELF_ONLY (or public,
    /// friends, followers, private); YouTube: public, unlisted, private. Cross-posting:
    /// `PLATFORM=LEVEL` sets one platform's (repeatable, e.g. `--privacy tiktok=SELF_ONLY
    /// --privacy youtube=unlisted`); a plain level applies to every target
    #[arg(long = "privacy", value_name = "LEVEL", value_parser = PrivacyParser)]
    pub privacy_given: Vec<String>,
    /// The one privacy word of a single-target post, read from `privacy_given` for its platform.
    #[arg(skip)]
    pub privacy: Option<String>,
    /// Allow comments
    #[arg(long)]
    pub allow_comments: bool,
    /// Allow duets
    #[arg(long)]
    pub allow_duet: bool,
    /// Allow stitches
    #[arg(long)]
    pub allow_stitch: bool,
    /// Use the frame at this time (milliseconds) as the cover
    #[arg(long, value_name = "MS")]
    pub cover_at: Option<u32>,
    /// Disclose promotional content for your own brand ("Promotional content")
    #[arg(long)]
    pub brand_organic: bool,
    /// Disclose a paid partnership ("Paid partnership"; cannot be SELF_ONLY)
    #[arg(long)]
    pub branded_content: bool,
    /// Label the video as AI-generated
    #[arg(long)]
    pub ai_generated: bool,
}

impl OptionArgs {
    /// The options as given (privacy may still be missing): TikTok's, whose flags these are;
    /// the privacy is read as one of TikTok's levels.
    pub fn to_options(&self) -> Result<PostOptions> {
        // Exactly the names the flag has always taken (case-sensitive, as clap read them).
        let privacy = self
            .privacy
            .as_deref()
            .map(|p| {
                <Privacy as clap::ValueEnum>::from_str(p, false).map_err(|_| {
                    Error::invalid(
                        format!(
                            "`{}` is not a TikTok privacy level",
                            postez::provider::printable(p, 40)
                        ),
                        Some(format!(
                            "use one of: {} (or {})",
                            Privacy::ALL.map(Privacy::as_str).join(", "),
                            Privacy::ALL.map(Privacy::alias).join(", ")
                        )),
                    )
                })
            })
            .transpose()?;
        Ok(PostOptions::TikTok(TikTokOptions {
            mode: if self.draft {
                Mode::Draft
            } else {
                Mode::Direct
            },
            privacy,
            allow_comments: self.allow_comments,
            allow_duet: self.allow_duet,
            allow_stitch: self.allow_stitch,
            cover_at_ms: self.cover_at,
            brand_organic: self.brand_organic,
            branded_content: self.branded_content,
            ai_generated: self.ai_generated,
        }))
    }

    /// The TikTok-only flags given, for refusing them on another platform's post.
    fn tiktok_only(&self) -> Vec<&'static str> {
        [
            (self.draft, "--draft"),
            (self.allow_comments, "--allow-comments"),
            (self.allow_duet, "--allow-duet"),
            (self.allow_stitch, "--allow-stitch"),
            (self.cover_at.is_some(), "--cover-at"),
            (self.brand_organic, "--brand-organic"),
            (self.branded_content, "--branded-content"),
        ]
        .into_iter()
        .filter_map(|(given, flag)| given.then_some(flag))
        .collect()
    }
}

/// YouTube's own choices (with --privacy and --ai-generated, which YouTube reads too).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct YouTubeArgs {
    /// YouTube: the video's title, at most 100 characters without < or > (default: the
    /// caption's first line, shortened on a word boundary)
    #[arg(long, value_name = "TEXT")]
    pub title: Option<String>,
    /// YouTube: whether the video is made for kids (required; YouTube asks every upload)
    #[arg(long, value_enum, value_name = "YES|NO")]
    pub made_for_kids: Option<YesNo>,
    /// YouTube: category id, e.g. 22 (People & Blogs); default: YouTube picks
    #[arg(long, value_name = "ID")]
    pub category: Option<String>,
    /// YouTube: do not notify subscribers of the upload
    #[arg(long)]
    pub no_notify: bool,
    /// YouTube: upload at the next run, private, and let YouTube make it public at --at even if
    /// this machine is off then (public videos only; the setting `youtube_upload_ahead` makes
    /// it the default)
    #[arg(long, overrides_with = "no_upload_ahead")]
    pub upload_ahead: bool,
    /// YouTube: upload when due, whatever the setting `youtube_upload_ahead` says
    #[arg(long)]
    pub no_upload_ahead: bool,
    /// YouTube: add a tag (repeatable; no < or >, at most 500 characters in all, counting a
    /// comma between tags and quotes around a tag with a space)
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
}

/// A yes-or-no flag value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum YesNo {
    /// Yes
    Yes,
    /// No
    No,
}

impl YouTubeArgs {
    /// The YouTube-only flags given, for refusing them on another platform's post.
    fn given(&self) -> Vec<&'static str> {
        [
            (self.title.is_some(), "--title"),
            (self.made_for_kids.is_some(), "--made-for-kids"),
            (self.category.is_some(), "--category"),
            (self.no_notify, "--no-notify"),
            (!self.tags.is_empty(), "--tag"),
        ]
        .into_iter()
        .filter_map(|(given, flag)| given.then_some(flag))
        .collect()
    }

    /// `--upload-ahead` insists, `--no-upload-ahead` declines, neither lets the setting decide
    /// (see [`queue::upload_ahead`]).
    fn upload_ahead_asked(&self) -> Option<bool> {
        if self.upload_ahead {
            Some(true)
        } else if self.no_upload_ahead {
            Some(false)
        } else {
            None
        }
    }

    /// A YouTube post's options from these flags and the chosen privacy and audience, and
    /// whether its title was taken from the caption (said to the user).
    fn options(
        &self,
        caption: &str,
        ai_generated: bool,
        privacy: postez::provider::youtube::Visibility,
        made_for_kids: bool,
    ) -> Result<(PostOptions, bool)> {
        let (title, defaulted) = match &self.title {
            Some(t) => (t.clone(), false),
            None => (
                postez::provider::youtube::rules::default_title(caption)?,
                true,
            ),
        };
        let options = PostOptions::YouTube(postez::provider::youtube::YouTubeOptions {
            title,
            privacy,
            made_for_kids,
            ai_generated,
            category: self.category.clone(),
            notify: !self.no_notify,
            tags: self.tags.clone(),
        });
        Ok((options, defaulted))
    }
}

/// Ask the account's platform what it may post and refuse what it cannot (a privacy level it
/// is not offered, a video longer than it may post): TikTok's Content Sharing Guidelines want
/// this on the post screen. Prints nothing: [`show_creator`] says what came of it, once the command is
/// sure to go on. `None` for drafts, which need none of it.
pub async fn check_creator(
    ctx: &Ctx,
    store: &mut postez::store::Store,
    account: Option<&postez::store::Account>,
    options: &PostOptions,
    duration_ms: Option<u64>,
    file: &Path,
) -> Result<Option<CreatorCheck>> {
    if options.mode() == Mode::Draft {
        return Ok(None);
    }
    let check = creator::ask(&ctx.env, &ctx.paths, ctx.config()?, store, account).await;
    if let CreatorCheck::Checked(creator) = &check {
        creator.check(options, duration_ms, &file.display().to_string())?;
    }
    Ok(Some(check))
}

/// Name the creator who will receive the post (TikTok: before the consent) and the
/// interactions they turned off; or say plainly that the platform could not be asked, and that
/// `run` checks at publish time.
pub fn show_creator(ctx: &Ctx, check: &CreatorCheck, options: &PostOptions) {
    match check {
        CreatorCheck::Checked(c) => {
            let platform = c.platform().name();
            ctx.out
                .note(&format!("Posting to {platform} as {}.", c.name()));
            let off = c.turned_off(options);
            if !off.is_empty() {
                ctx.out.note(&format!(
                    "{} turned off {} in {platform}, so they stay off.",
                    c.name(),
                    off.join(" and ")
                ));
            }
        }
        CreatorCheck::NotChecked {
            platform,
            account,
            reason,
        } => {
            ctx.out
                .note(&not_checked(*platform, account.as_deref(), reason));
        }
    }
}

/// The sentence for an account its platform could not be asked about.
pub fn not_checked(platform: Platform, account: Option<&str>, reason: &str) -> String {
    format!(
        "Not checked with {}{} ({reason}). `postez run` checks the privacy level and the \
         video's length before it publishes.",
        platform.name(),
        account.map(|a| format!(" for {a}")).unwrap_or_default()
    )
}

/// Make sure a direct post has a privacy level and the user's consent to what `rules` (its
/// platform's) require: ask on a terminal, otherwise fail naming the flags to add. Drafts need
/// neither. The creators in `checks` (one per account) are named first, and when TikTok answered
/// only their privacy levels are offered.
pub fn choose_and_consent(
    ctx: &Ctx,
    rules: &dyn Rules,
    options: &mut PostOptions,
    yes: bool,
    checks: &[CreatorCheck],
) -> Result<()> {
    if options.mode() == Mode::Draft {
        return Ok(());
    }
    let branded = options.tiktok().is_some_and(|o| o.branded_content);
    let privacy_missing = options.privacy_pending();
    let creator = checks.iter().find_map(CreatorCheck::creator);
    let choices = creator::privacy_choices(creator, branded);
    if !ctx.out.can_prompt() {
        let missing: Vec<&str> = [
            privacy_missing.then_some("--privacy LEVEL"),
            (!yes).then_some("--yes"),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !missing.is_empty() {
            let agreement = rules.consent_name();
            let what = match (privacy_missing, !yes) {
                (true, true) => {
                    format!("a direct post needs a privacy level and your consent to {agreement}")
                }
                (true, false) => format!(
                    "a direct post needs a privacy level, and {} allows no default",
                    rules.platform().name()
                ),
                _ => format!("a direct post needs your consent to {agreement}"),
            };
            return Err(Error::NeedsFlag {
                message: format!("{what}, and there is no terminal to ask on"),
                hint: format!(
                    "add {} (levels: {}), or use --draft",
                    missing.join(" and "),
                    choices
                        .iter()
                        .map(|p| p.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
    }
    // TikTok: the user must see which account receives the post before agreeing.
    for check in checks {
        show_creator(ctx, check, options);
    }
    if privacy_missing {
        if branded {
            ctx.out
                .note("Branded content cannot be private, so \"Only me\" is not offered.");
        }
        let privacy = ctx.out.select_privacy(&choices)?;
        // The levels offered are TikTok's; another platform's prompt comes with its options.
        if let PostOptions::TikTok(o) = options {
            o.privacy = Some(privacy);
        }
    }
    if let Some(consent) = rules.consent(options) {
        ctx.out.note(consent);
    }
    ctx.out.note(PROCESSING_NOTE);
    if !yes && !ctx.out.confirm("Agree and queue the post?")? {
        return Err(Error::Aborted);
    }
    Ok(())
}

/// TikTok asks apps to say that processing takes a while (Content Sharing Guidelines).
pub const PROCESSING_NOTE: &str = "After `postez run` uploads it, TikTok may take a few minutes \
    to process the video before it appears on the account.";

/// Posts go out only when `postez run` runs: say so when it has not run lately, and on a
/// brand-new setup (nothing ever ran, no runner installed) say that none is set up yet rather
/// than that one missed its time (issue 10).
pub fn warn_if_no_runner(ctx: &Ctx, store: &postez::store::Store) {
    let last = store.last_run().ok().flatten();
    match last {
        Some(r) if chrono::Utc::now() - r.started_at <= postez::health::STALE_RUNNER => {}
        Some(_) => ctx.out.warn(
            "no `postez run` happened in the last 10 minutes; posts go out only when it runs (`postez cron install` sets that up)",
        ),
        None => {
            let installed = postez::runner::Runner::for_env(&ctx.env)
                .map(|r| r.status())
                .unwrap_or_default();
            if installed.is_empty() {
                ctx.out.warn(
                    "no runner is set up yet: posts go out only when `postez run` runs; `postez cron install` sets one up (or call `postez run` from your own scheduler)",
                );
            } else {
                ctx.out
                    .note("The runner is installed but has not run yet; it publishes due posts at its next tick.");
            }
        }
    }
}

/// Ask before queueing a video the account gets within a day anyway (same fingerprint, any
/// file name): TikTok treats a repeat as spam. Without a terminal, `--allow-duplicate` is the
/// only yes (issue 10). `import` reuses it for each row.
pub fn confirm_duplicate(
    ctx: &Ctx,
    store: &postez::store::Store,
    media: &queue::CheckedMedia,
    account: Option<&postez::store::Account>,
    at: chrono::DateTime<chrono::Utc>,
    zone: chrono_tz::Tz,
    allow: bool,
) -> Result<()> {
    if allow {
        return Ok(());
    }
    let duplicates = queue::duplicates(store, &media.fingerprint, account.map(|a| a.id), at)?;
    let Some(other) = duplicates.first() else {
        return Ok(());
    };
    let problem = format!(
        "post {} already has this video for {} at {}, and TikTok treats a video posted again within 24 hours as spam",
        other.id,
        account.map_or_else(|| "the same account".to_string(), |a| a.name()),
        postez::when::describe(other.scheduled_at, zone, ctx.now())
    );
    if !ctx.out.can_prompt() {
        return Err(Error::NeedsFlag {
            message: problem,
            hint: format!(
                "add --allow-duplicate to queue it anyway, or choose a time a day away from post {}",
                other.id
            ),
        });
    }
    ctx.out.warn(&problem);
    if !ctx.out.confirm("Queue it anyway?")? {
        return Err(Error::Aborted);
    }
    Ok(())
}

/// A post queued with no connected account of `platform` waits for one: say so (issue 10).
fn warn_if_no_account(ctx: &Ctx, platform: Platform, account: Option<&postez::store::Account>) {
    if account.is_none() {
        ctx.out.warn(&format!(
            "no {} account is connected: this post waits until one is (`postez connect {platform}`)",
            platform.name()
        ));
    }
}

/// Human name of a queued file.
pub fn file_label(path: &str) -> String {
    Path::new(path)
        .file_name()
        .map_or_else(|| path.to_string(), |n| n.to_string_lossy().into_owned())
}

pub async fn exec(ctx: &Ctx, mut args: ScheduleArgs) -> Result<()> {
    let zone = ctx.zone(args.tz.as_deref())?;
    let at = queue::resolve_time(&args.at, zone, ctx.now())?;
    let caption = args.caption.text()?.unwrap_or_default();
    // Several accounts (or `all`): a group, unless they come to one account, which is
    // scheduled exactly as if it had been named alone.
    if args.account.len() > 1 || args.account.iter().any(|a| a == group::ALL) {
        let targets = group::targets(ctx, &args.account)?;
        match targets.as_slice() {
            [(platform, account)] => args.account = vec![format!("{platform}:{}", account.id)],
            _ => return group::schedule(ctx, args, caption, at, zone, targets).await,
        }
    }
    if args.options.draft && !args.options.privacy_given.is_empty() {
        return Err(draft_with_privacy());
    }
    let account_arg = args.account.first().cloned();
    // A privacy word the named platform does not take is refused before the queue is opened.
    let named = account_arg
        .as_deref()
        .and_then(|a| a.split(':').next())
        .and_then(|p| p.parse::<Platform>().ok());
    args.options.privacy = privacy_for(
        &args.options.privacy_given,
        named.unwrap_or(queue::platform()),
        "the post",
    )?;
    if let (Some(platform), Some(privacy)) = (named, args.options.privacy.as_deref()) {
        check_privacy(platform, privacy)?;
    }
    // `--account`, or a `default_account` naming another platform's account, chooses the
    // platform; otherwise the post is TikTok's and the account is resolved where it always was
    // (after the video is checked).
    let default = ctx.config()?.default_account.clone();
    let target = match (account_arg.as_deref(), default.as_deref()) {
        (Some(name), _) => Some(queue::resolve_target(
            &ctx.store()?,
            Some(name),
            default.as_deref(),
        )?),
        (None, Some(default)) => match queue::resolve_target(&ctx.store()?, Some(default), None) {
            Ok((platform, account)) if platform != queue::platform() => Some((platform, account)),
            // A TikTok default, or one naming no connected account: as before.
            Ok(_) | Err(Error::NoSuchAccount { .. }) => None,
            Err(e) => return Err(e),
        },
        (None, None) => None,
    };
    let platform = target.as_ref().map_or(queue::platform(), |(p, _)| *p);
    group::refuse_other_platforms(&args.options.privacy_given, &[platform])?;
    args.options.privacy = privacy_for(&args.options.privacy_given, platform, "the post")?;
    if platform == Platform::YouTube {
        let account = target.and_then(|(_, a)| a);
        return schedule_youtube(ctx, args, caption, account, at, zone).await;
    }
    if args.youtube.upload_ahead {
        // The platform's own refusal: TikTok cannot hold a post until a time.
        platform
            .rules()
            .check_upload_ahead(&args.options.to_options()?)?;
    }
    let youtube_only = args.youtube.given();
    if !youtube_only.is_empty() {
        return Err(Error::invalid(
            format!(
                "{} are YouTube's; TikTok has none of them",
                youtube_only.join(", ")
            ),
            // TikTok has no tag field: its tags are the caption's hashtags.
            Some(if youtube_only.contains(&"--tag") {
                "TikTok's tags are hashtags: use --hashtag instead, or choose a YouTube account with --account youtube".into()
            } else {
                "drop them, or choose a YouTube account with --account youtube".into()
            }),
        ));
    }
    let mut options = args.options.to_options()?;
    let rules = platform.rules();
    // Validate what needs no file or prompt first, so mistakes surface before slow work.
    rules.build_caption(&caption, &args.caption.hashtags)?;
    let (media, source) = queue::check_media_open(&args.file, rules)?;
    let mut store = ctx.store()?;
    let account = match target {
        Some((_, account)) => account,
        None => queue::resolve_account(&store, None, ctx.config()?.default_account.as_deref())?,
    };
    rules.check_mode(account.as_ref(), &options)?;
    if !options.privacy_pending() {
        rules.validate(&options, media.info.duration_ms)?;
    }
    // The repeat question comes before the consent lines. Without a terminal, a direct post
    // missing --privacy or --yes fails in choose_and_consent below whatever else holds: that
    // error is the one to see first (fix the command), so the question waits for a command
    // that can go through. TikTok is asked about the creator before either, so that error
    // lists the creator's own levels.
    let can_go_through = ctx.out.can_prompt()
        || options.mode() == Mode::Draft
        || (!options.privacy_pending() && args.yes);
    if can_go_through {
        confirm_duplicate(
            ctx,
            &store,
            &media,
            account.as_ref(),
            at,
            zone,
            args.allow_duplicate,
        )?;
    }
    let creator = check_creator(
        ctx,
        &mut store,
        account.as_ref(),
        &options,
        media.info.duration_ms,
        &args.file,
    )
    .await?;
    choose_and_consent(ctx, rules, &mut options, args.yes, creator.as_slice())?;
    let new = queue::build(
        rules,
        media,
        &caption,
        &args.caption.hashtags,
        options,
        account.as_ref(),
        at,
        zone,
    )?;
    let post = insert(ctx, &mut store, new, args.copy, args.reference, &source)?;
    if post.options.mode() == Mode::Draft && !post.caption.is_empty() {
        ctx.out.note(
            "TikTok will not receive this caption: drafts carry none. postez keeps it and prints \
             it when the draft reaches your inbox (and in `postez show`), to paste in the app.",
        );
    }
    finish(ctx, &store, &post, platform, account.as_ref(), zone);
    Ok(())
}

/// Put `new` in the queue (with its private copy when `copy`): the copy is removed again if
/// the insert fails.
fn insert(
    ctx: &Ctx,
    store: &mut postez::store::Store,
    mut new: postez::post::NewPost,
    copy: bool,
    reference: bool,
    source: &queue::OpenMedia,
) -> Result<postez::post::Post> {
    let copy = if copy {
        Some(queue::copy_media(&ctx.paths, source, &mut new)?)
    } else {
        None
    };
    let stored =
        match queue::store_videos(store, std::slice::from_mut(&mut new), reference, ctx.now()) {
            Ok(stored) => stored,
            Err(e) => {
                if let Some(copy) = copy {
                    let _ = fs_err::remove_file(copy);
                }
                return Err(e);
            }
        };
    let id = match store.insert_posts(std::slice::from_ref(&new), ctx.now()) {
        Ok(ids) => ids[0],
        Err(e) => {
            if let Some(copy) = copy {
                let _ = fs_err::remove_file(copy);
            }
            queue::drop_videos(store, stored);
            return Err(e);
        }
    };
    store.post(id)
}

/// The warnings and the line (or JSON) of a queued post.
fn finish(
    ctx: &Ctx,
    store: &postez::store::Store,
    post: &postez::post::Post,
    platform: Platform,
    account: Option<&postez::store::Account>,
    zone: chrono_tz::Tz,
) {
    warn_if_no_account(ctx, platform, account);
    warn_if_no_runner(ctx, store);
    if ctx.out.json() {
        ctx.out.print_json(&post.to_json());
    } else {
        ctx.out.stdout_line(&format!(
            "Scheduled post {}: {} → {}{} at {}",
            post.id,
            file_label(&post.file),
            post.platform,
            account
                .map(|a| format!(" as {}", a.name()))
                .unwrap_or_default(),
            postez::when::describe(post.scheduled_at, zone, ctx.now())
        ));
    }
}

/// `schedule` for a YouTube account: YouTube's flags, checked by YouTube's rules before
/// anything is queued; no consent prompt (YouTube requires none before an upload), but the
/// privacy and the audience must be given: YouTube has no safe default for either.
async fn schedule_youtube(
    ctx: &Ctx,
    args: ScheduleArgs,
    caption: String,
    account: Option<postez::store::Account>,
    at: chrono::DateTime<chrono::Utc>,
    zone: chrono_tz::Tz,
) -> Result<()> {
    use postez::provider::youtube::{self, Visibility};
    let platform = Platform::YouTube;
    let rules = platform.rules();
    let tiktok_only = args.options.tiktok_only();
    if !tiktok_only.is_empty() {
        return Err(Error::invalid(
            format!(
                "{} {} TikTok's; YouTube has none of them",
                tiktok_only.join(", "),
                if tiktok_only.len() == 1 { "is" } else { "are" }
            ),
            Some("drop them (YouTube has no drafts: --privacy private uploads it for YouTube Studio)".into()),
        ));
    }
    rules.build_caption(&caption, &args.caption.hashtags)?;
    let privacy: Visibility = match args.options.privacy.as_deref() {
        Some(p) => p.parse()?,
        None => {
            return Err(Error::invalid(
                "a YouTube video needs a privacy, and postez chooses none for you",
                Some("add --privacy public, unlisted or private".into()),
            ));
        }
    };
    let Some(made_for_kids) = args.youtube.made_for_kids else {
        return Err(Error::invalid(
            "YouTube requires the audience choice for every video: is it made for kids?",
            Some("add --made-for-kids yes or --made-for-kids no".into()),
        ));
    };
    let (options, defaulted) = args.youtube.options(
        &caption,
        args.options.ai_generated,
        privacy,
        made_for_kids == YesNo::Yes,
    )?;
    // Before the video is read: mistakes in the flags surface before slow work. YouTube's
    // rules do not depend on the video's length (a long one is only warned about, below).
    rules.validate(&options, None)?;
    // The flag insists (and is refused for a post YouTube cannot hold); the setting applies
    // to the posts it can.
    let asked = args.youtube.upload_ahead_asked();
    let setting = ctx.config()?.youtube_upload_ahead();
    let (upload_ahead, overruled) =
        queue::upload_ahead(rules, &options, asked, setting, at, ctx.now())?;
    if overruled {
        ctx.out.note(
            "Its time is too close for YouTube to hold it: `postez run` uploads it when due, public.",
        );
    }
    let (media, source) = queue::check_media_open(&args.file, rules)?;
    rules.check_mode(account.as_ref(), &options)?;
    let format = youtube::video_format(&media.info);
    let length = youtube::rules::length_warning(media.info.duration_ms);
    let mut new = queue::build(
        rules,
        media,
        &caption,
        &args.caption.hashtags,
        options,
        account.as_ref(),
        at,
        zone,
    )?;
    new.upload_ahead = upload_ahead;
    let mut store = ctx.store()?;
    let post = insert(ctx, &mut store, new, args.copy, args.reference, &source)?;
    if let Some(o) = post.options.youtube()
        && defaulted
    {
        ctx.out.note(&format!(
            "Title (the caption's first line; --title sets another): {}",
            o.title
        ));
    }
    ctx.out
        .note(&format!("YouTube will make it {}.", format.describe()));
    if post.upload_ahead() {
        ctx.out.note(&format!(
            "Uploaded ahead: the next `postez run` uploads it private, and YouTube makes it \
             public at {} even if this machine is off then.",
            postez::when::describe(post.scheduled_at, zone, ctx.now())
        ));
    }
    if let Some(warning) = length {
        ctx.out.warn(&warning);
    }
    // The post is queued already: a warning that cannot be counted is no reason to fail.
    // Counted by the day the upload is made (an upload ahead's is the next run's).
    let quota = youtube::quota::warnings(&store, ctx.config()?, &[post.due_at], ctx.now());
    for warning in quota.unwrap_or_default() {
        ctx.out.warn(&warning);
    }
    finish(ctx, &store, &post, platform, account.as_ref(), zone);
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// The flags' help is written in doc comments, which cannot name the rules' values: it
    /// must still say what the rules of the platform new posts go to enforce.
    #[test]
    fn help_states_the_rules_it_describes() {
        let rules = postez::queue::platform().rules();
        let cli = crate::cli::Cli::command();
        let help = |command: &str, arg: &str| {
            let command = cli.find_subcommand(command).unwrap();
            let arg = command.get_arguments().find(|a| a.get_id() == arg).unwrap();
            arg.get_help().unwrap().to_string()
        };
        assert!(
            help("schedule", "caption").contains(&format!("at most {} ", rules.max_caption())),
            "{}",
            help("schedule", "caption")
        );
        for command in ["schedule", "edit", "import"] {
            let yes = help(command, "yes");
            assert!(yes.contains(rules.consent_name()), "{command}: {yes}");
        }
    }
}
