//! `postez edit`: change a scheduled or failed post, re-checked like `schedule`.

use std::path::PathBuf;

use postez::post::{Mode, NewPost, PostId, Privacy};
use postez::{Result, queue};

use super::Ctx;
use super::schedule::{CaptionArgs, check_creator, choose_and_consent, show_creator};

/// Change a scheduled or failed post
///
/// Only what you pass changes; the result is checked again like `schedule` (including the
/// video, whose fingerprint is refreshed, so `edit` also accepts a video you re-exported).
/// A local --at is read in --tz, else the post's own time zone.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  postez edit 3 --at \"friday 18:00\"
  postez edit 3 --caption \"Better words\" --hashtag food
  postez edit 3 --privacy MUTUAL_FOLLOW_FRIENDS --no-allow-comments --yes")]
pub struct EditArgs {
    /// Post id (see `postez list`)
    pub id: PostId,
    /// New time (same forms as `schedule --at`)
    #[arg(long, value_name = "WHEN")]
    pub at: Option<String>,
    /// Time zone for a local --at (IANA name)
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    /// Replace the video
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    #[command(flatten)]
    pub caption: CaptionArgs,
    /// Make it a draft (sent to your TikTok inbox); clears the direct-post options
    #[arg(long, conflicts_with = "direct")]
    pub draft: bool,
    /// Make it a direct post (needs --privacy)
    #[arg(long)]
    pub direct: bool,
    /// Who can see the post
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub privacy: Option<Privacy>,
    /// Allow or forbid comments
    #[arg(long, overrides_with = "no_allow_comments")]
    allow_comments: bool,
    #[arg(long, hide = true)]
    no_allow_comments: bool,
    /// Allow or forbid duets
    #[arg(long, overrides_with = "no_allow_duet")]
    allow_duet: bool,
    #[arg(long, hide = true)]
    no_allow_duet: bool,
    /// Allow or forbid stitches
    #[arg(long, overrides_with = "no_allow_stitch")]
    allow_stitch: bool,
    #[arg(long, hide = true)]
    no_allow_stitch: bool,
    /// Cover frame time in milliseconds
    #[arg(long, value_name = "MS")]
    pub cover_at: Option<u32>,
    /// Promotional content for your own brand (on/off with --no-brand-organic)
    #[arg(long, overrides_with = "no_brand_organic")]
    brand_organic: bool,
    #[arg(long, hide = true)]
    no_brand_organic: bool,
    /// Paid partnership (on/off with --no-branded-content)
    #[arg(long, overrides_with = "no_branded_content")]
    branded_content: bool,
    #[arg(long, hide = true)]
    no_branded_content: bool,
    /// AI-generated label (on/off with --no-ai-generated)
    #[arg(long, overrides_with = "no_ai_generated")]
    ai_generated: bool,
    #[arg(long, hide = true)]
    no_ai_generated: bool,
    /// Move the post to another account (id or name)
    #[arg(long, value_name = "ACCOUNT")]
    pub account: Option<String>,
    /// Agree to TikTok's Music Usage Confirmation without a prompt
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// `--x` → Some(true), `--no-x` → Some(false), neither → None.
fn toggle(on: bool, off: bool) -> Option<bool> {
    match (on, off) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    }
}

pub async fn exec(ctx: &Ctx, args: EditArgs) -> Result<()> {
    let mut store = ctx.store()?;
    let old = store.post(args.id)?;
    if !postez::post::PostState::EDITABLE.contains(&old.state) {
        return Err(postez::Error::WrongState {
            id: old.id,
            state: old.state,
            action: "edited",
        });
    }
    let mut changed: Vec<&str> = Vec::new();
    let zone = match &args.tz {
        Some(tz) => postez::when::parse_zone(tz)?,
        None => postez::when::parse_zone(&old.timezone).unwrap_or(chrono_tz::Tz::UTC),
    };
    let scheduled_at = match &args.at {
        Some(at) => {
            changed.push("scheduled_at");
            queue::resolve_time(at, zone, ctx.now())?
        }
        None => old.scheduled_at,
    };
    let text = args.caption.text()?;
    if text.is_some() || !args.caption.hashtags.is_empty() {
        changed.push("caption");
    }
    let caption_text = text.unwrap_or_else(|| old.caption.clone());

    let mut options = old.options.clone();
    let before = options.clone();
    if args.draft {
        // Drafts take none of the direct-post choices.
        options = postez::post::Options::plain(Mode::Draft);
    }
    if args.direct {
        options.mode = Mode::Direct;
    }
    if let Some(p) = args.privacy {
        options.privacy = Some(p);
    }
    let toggles = [
        (
            &mut options.allow_comments,
            toggle(args.allow_comments, args.no_allow_comments),
        ),
        (
            &mut options.allow_duet,
            toggle(args.allow_duet, args.no_allow_duet),
        ),
        (
            &mut options.allow_stitch,
            toggle(args.allow_stitch, args.no_allow_stitch),
        ),
        (
            &mut options.brand_organic,
            toggle(args.brand_organic, args.no_brand_organic),
        ),
        (
            &mut options.branded_content,
            toggle(args.branded_content, args.no_branded_content),
        ),
        (
            &mut options.ai_generated,
            toggle(args.ai_generated, args.no_ai_generated),
        ),
    ];
    for (field, value) in toggles {
        if let Some(value) = value {
            *field = value;
        }
    }
    if args.cover_at.is_some() {
        options.cover_at_ms = args.cover_at;
    }
    if options != before {
        changed.push("options");
    }

    let media_path = args
        .file
        .clone()
        .unwrap_or_else(|| PathBuf::from(&old.file));
    let media = queue::check_media(&media_path)?;
    if args.file.is_some() {
        changed.push("file");
    } else if media.fingerprint != old.fingerprint {
        changed.push("fingerprint");
    }
    let account = match &args.account {
        Some(name) => {
            changed.push("account");
            queue::resolve_account(&store, Some(name), None)?
        }
        None => None,
    };
    let account_id = account.as_ref().map(|a| a.id).or(old.account_id);
    let effective = match &account {
        Some(a) => Some(a.clone()),
        None => store
            .accounts()?
            .into_iter()
            .find(|a| Some(a.id) == account_id),
    };
    queue::check_mode(effective.as_ref(), &options)?;
    if options.privacy.is_some() || options.mode == Mode::Draft {
        options.validate(media.info.duration_ms)?;
    }
    // New direct-post choices, another video or another account are checked with TikTok
    // again; a new time or caption is not.
    let recheck = options != before || args.file.is_some() || args.account.is_some();
    let creator = if recheck {
        check_creator(
            ctx,
            &mut store,
            effective.as_ref(),
            &options,
            media.info.duration_ms,
            &media_path,
        )
        .await?
    } else {
        None
    };
    // New direct-post choices need the consent again; a new time or caption does not.
    if options != before && options.mode == Mode::Direct {
        choose_and_consent(ctx, &mut options, args.yes, creator.as_slice())?;
    } else if let Some(check) = &creator {
        show_creator(ctx, check, &options);
    }
    let mut new: NewPost = queue::build(
        media,
        &caption_text,
        &args.caption.hashtags,
        options,
        account.as_ref(),
        scheduled_at,
        zone,
    )?;
    new.account_id = account_id;
    new.copied = old.copied && args.file.is_none();
    let post = store.edit_post(args.id, &new, &changed, ctx.now())?;
    if old.copied && args.file.is_some() {
        // The private copy is ours and no longer referenced.
        let _ = fs_err::remove_file(&old.file);
    }
    if ctx.out.json() {
        ctx.out.print_json(&post.to_json());
    } else if changed.is_empty() {
        ctx.out
            .stdout_line(&format!("Post {} is unchanged", post.id));
    } else {
        ctx.out.stdout_line(&format!(
            "Edited post {} ({}); due {}",
            post.id,
            changed
                .iter()
                .map(|c| in_words(c))
                .collect::<Vec<_>>()
                .join(", "),
            postez::when::describe(post.scheduled_at, zone, ctx.now())
        ));
    }
    if post.state == postez::post::PostState::Failed {
        ctx.out.note(&format!(
            "post {} is still failed; `postez retry {}` queues it again",
            post.id, post.id
        ));
    }
    Ok(())
}

/// What a changed field is called in the "Edited post" line: the history keeps the field names
/// (`scheduled_at`), people read words (issue 10).
fn in_words(field: &str) -> &str {
    match field {
        "scheduled_at" => "time",
        "options" => "post options",
        "fingerprint" => "video changed on disk",
        other => other,
    }
}
