//! `postez schedule`: check a video and put it in the local queue. Nothing is uploaded here.
//! Also owns the Direct Post choices and consent that `edit` and `import` reuse.

use std::path::{Path, PathBuf};

use postez::creator::{self, CreatorCheck};
use postez::post::{Mode, PostOptions, Privacy};
use postez::provider::tiktok::TikTokOptions;
use postez::provider::{Platform, Rules};
use postez::{Error, Result, queue};

use super::Ctx;

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
      --allow-comments --branded-content --yes")]
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
    /// Account to publish with (id or name; default: the only one, or `default_account`)
    #[arg(long, value_name = "ACCOUNT")]
    pub account: Option<String>,
    /// Keep a private copy of the video, so moving or editing the original does not matter
    #[arg(long)]
    pub copy: bool,
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

/// The Direct Post choices TikTok requires the user to make (all off unless given).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct OptionArgs {
    /// Upload as a draft to your TikTok inbox and finish the post in the app
    #[arg(long, conflicts_with_all = ["privacy", "allow_comments", "allow_duet", "allow_stitch",
        "cover_at", "brand_organic", "branded_content", "ai_generated"])]
    pub draft: bool,
    /// Who can see the post (required for direct posts; there is no default)
    #[arg(long, value_enum, value_name = "LEVEL", hide_possible_values = false)]
    pub privacy: Option<Privacy>,
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
    /// The options as given (privacy may still be missing): TikTok's, whose flags these are.
    pub fn to_options(&self) -> PostOptions {
        PostOptions::TikTok(TikTokOptions {
            mode: if self.draft {
                Mode::Draft
            } else {
                Mode::Direct
            },
            privacy: self.privacy,
            allow_comments: self.allow_comments,
            allow_duet: self.allow_duet,
            allow_stitch: self.allow_stitch,
            cover_at_ms: self.cover_at,
            brand_organic: self.brand_organic,
            branded_content: self.branded_content,
            ai_generated: self.ai_generated,
        })
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
        match options {
            PostOptions::TikTok(o) => o.privacy = Some(privacy),
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

/// A post queued with no connected account waits for one: say so (issue 10).
fn warn_if_no_account(ctx: &Ctx, account: Option<&postez::store::Account>) {
    if account.is_none() {
        // New posts go to the queue's platform: that is the account it waits for.
        let platform = queue::platform();
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

pub async fn exec(ctx: &Ctx, args: ScheduleArgs) -> Result<()> {
    let zone = ctx.zone(args.tz.as_deref())?;
    let at = queue::resolve_time(&args.at, zone, ctx.now())?;
    let caption = args.caption.text()?.unwrap_or_default();
    let mut options = args.options.to_options();
    let rules = queue::platform().rules();
    // Validate what needs no file or prompt first, so mistakes surface before slow work.
    rules.build_caption(&caption, &args.caption.hashtags)?;
    let (media, source) = queue::check_media_open(&args.file, rules)?;
    let mut store = ctx.store()?;
    let account = queue::resolve_account(
        &store,
        args.account.as_deref(),
        ctx.config()?.default_account.as_deref(),
    )?;
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
    let copy = if args.copy {
        Some(queue::copy_media(&ctx.paths, &source, &mut new)?)
    } else {
        None
    };
    let id = match store.insert_posts(std::slice::from_ref(&new), ctx.now()) {
        Ok(ids) => ids[0],
        Err(e) => {
            if let Some(copy) = copy {
                let _ = fs_err::remove_file(copy);
            }
            return Err(e);
        }
    };
    let post = store.post(id)?;
    if post.options.mode() == Mode::Draft && !post.caption.is_empty() {
        ctx.out.note(
            "TikTok will not receive this caption: drafts carry none. postez keeps it and prints \
             it when the draft reaches your inbox (and in `postez show`), to paste in the app.",
        );
    }
    warn_if_no_account(ctx, account.as_ref());
    warn_if_no_runner(ctx, &store);
    if ctx.out.json() {
        ctx.out.print_json(&post.to_json());
    } else {
        ctx.out.stdout_line(&format!(
            "Scheduled post {id}: {} → {}{} at {}",
            file_label(&post.file),
            post.platform,
            account
                .as_ref()
                .map(|a| format!(" as {}", a.name()))
                .unwrap_or_default(),
            postez::when::describe(post.scheduled_at, zone, ctx.now())
        ));
    }
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
