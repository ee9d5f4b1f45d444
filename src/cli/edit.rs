//! `postez edit`: change a scheduled or failed post, re-checked like `schedule`. The merge and
//! its checks are the library's (`postez::edit`); this file has the flags, TikTok's creator
//! check and consent prompt between `plan` and `save`, and the output.

use std::path::PathBuf;

use postez::post::{GroupId, PostRef};
use postez::provider::Platform;
use postez::{Error, Result};

use super::Ctx;
use super::schedule::{CaptionArgs, check_creator, choose_and_consent, show_creator};

/// Change a scheduled or failed post
///
/// Only what you pass changes (flags of another platform than the post's are refused); the
/// result is checked again like `schedule` (including the video, whose fingerprint is
/// refreshed, so `edit` also accepts a video you re-exported).
/// A local --at is read in --tz, else the post's own time zone.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  postez edit 3 --at \"friday 18:00\"
  postez edit 3 --caption \"Better words\" --hashtag food
  postez edit 3 --privacy MUTUAL_FOLLOW_FRIENDS --no-allow-comments --yes
  postez edit 4 --title \"Pasta, faster\" --privacy unlisted --tag pasta --tag \"quick dinner\"
  postez edit g2 --at \"saturday 12:00\" --caption \"Every target at once\"")]
pub struct EditArgs {
    /// Post id (see `postez list`), or a group id (`g2`: every target, all or none; a flag
    /// only one platform has applies to that platform's targets)
    pub id: PostRef,
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
    /// Who can see the post. TikTok: PUBLIC_TO_EVERYONE, MUTUAL_FOLLOW_FRIENDS,
    /// FOLLOWER_OF_CREATOR, SELF_ONLY (or public, friends, followers, private); YouTube:
    /// public, unlisted, private
    #[arg(long, value_name = "LEVEL", value_parser = super::schedule::privacy_values())]
    pub privacy: Option<String>,
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
    /// YouTube: new title (at most 100 characters, no < or >)
    #[arg(long, value_name = "TEXT")]
    pub title: Option<String>,
    /// YouTube: whether the video is made for kids
    #[arg(long, value_enum, value_name = "YES|NO")]
    pub made_for_kids: Option<super::schedule::YesNo>,
    /// YouTube: category id, e.g. 22 (People & Blogs)
    #[arg(long, value_name = "ID")]
    pub category: Option<String>,
    /// YouTube: notify subscribers of the upload (on/off with --no-notify)
    #[arg(long, overrides_with = "no_notify")]
    notify: bool,
    #[arg(long, hide = true)]
    no_notify: bool,
    /// YouTube: the tags, replacing the post's (repeatable; same limits as `schedule --tag`)
    #[arg(long = "tag", value_name = "TAG", conflicts_with = "no_tags")]
    pub tags: Vec<String>,
    /// YouTube: remove every tag
    #[arg(long)]
    pub no_tags: bool,
    /// YouTube: upload it at the next run, private, and let YouTube make it public at its time
    /// (public videos only; see `schedule --upload-ahead`)
    #[arg(long, overrides_with = "no_upload_ahead")]
    upload_ahead: bool,
    /// YouTube: upload it when due instead of ahead
    #[arg(long)]
    no_upload_ahead: bool,
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

impl EditArgs {
    /// The flags as the library's changes.
    fn changes(&self) -> postez::edit::Changes {
        postez::edit::Changes {
            at: self.at.clone(),
            tz: self.tz.clone(),
            file: self.file.clone(),
            caption: self.caption.caption.clone(),
            caption_file: self.caption.caption_file.clone(),
            hashtags: self.caption.hashtags.clone(),
            draft: self.draft,
            direct: self.direct,
            privacy: self.privacy.clone(),
            allow_comments: toggle(self.allow_comments, self.no_allow_comments),
            allow_duet: toggle(self.allow_duet, self.no_allow_duet),
            allow_stitch: toggle(self.allow_stitch, self.no_allow_stitch),
            cover_at_ms: self.cover_at,
            brand_organic: toggle(self.brand_organic, self.no_brand_organic),
            branded_content: toggle(self.branded_content, self.no_branded_content),
            ai_generated: toggle(self.ai_generated, self.no_ai_generated),
            account: self.account.clone(),
            title: self.title.clone(),
            made_for_kids: self.made_for_kids.map(|k| k == super::schedule::YesNo::Yes),
            category: self.category.clone(),
            notify: toggle(self.notify, self.no_notify),
            tags: if self.no_tags {
                Some(Vec::new())
            } else {
                (!self.tags.is_empty()).then(|| self.tags.clone())
            },
            upload_ahead: toggle(self.upload_ahead, self.no_upload_ahead),
        }
    }
}

pub async fn exec(ctx: &Ctx, args: EditArgs) -> Result<()> {
    let id = match args.id {
        PostRef::Post(id) => id,
        PostRef::Group(group) => return edit_group(ctx, &args, group).await,
    };
    let mut store = ctx.store()?;
    if store.post(id)?.state == postez::post::PostState::Uploaded {
        return edit_uploaded(ctx, &mut store, id, &args).await;
    }
    let mut edit = postez::edit::plan(&store, id, &args.changes(), ctx.now())?;
    // Only a post that needs the platform's consent (TikTok's direct posts) asks about its
    // creator, as `schedule` does: YouTube's schedule asks the channel nothing, and an edit
    // refused later (an upload YouTube may hold) must not have written the channel's answer.
    let asks_creator = edit.rules().consent(edit.options()).is_some();
    let creator = if edit.needs_creator_check() && asks_creator {
        check_creator(
            ctx,
            &mut store,
            edit.account(),
            edit.options(),
            edit.duration_ms(),
            edit.media_path(),
        )
        .await?
    } else {
        None
    };
    if edit.needs_consent() {
        let rules = edit.rules();
        choose_and_consent(ctx, rules, edit.options_mut(), args.yes, creator.as_slice())?;
    } else if let Some(check) = &creator {
        show_creator(ctx, check, edit.options());
    }
    let edited = edit.save(&mut store, ctx.now())?;
    render(ctx, &edited);
    Ok(())
}

/// A post already on its platform, held there until its time: only the time can move, on the
/// platform first (the library's `held`).
async fn edit_uploaded(
    ctx: &Ctx,
    store: &mut postez::store::Store,
    id: postez::post::PostId,
    args: &EditArgs,
) -> Result<()> {
    let post = store.post(id)?;
    let changes = args.changes();
    if !postez::held::only_time(&changes) {
        return Err(postez::held::refuse_edit(&post));
    }
    let held = postez::held::Context {
        env: &ctx.env,
        paths: &ctx.paths,
        config: ctx.config()?,
        now: ctx.now(),
    };
    let post = postez::held::reschedule(&held, store, &post, &changes).await?;
    let zone = postez::when::parse_zone(&post.timezone).unwrap_or(chrono_tz::Tz::UTC);
    render(
        ctx,
        &postez::edit::Edited {
            post,
            changed: vec!["scheduled_at"],
            zone,
            upload_ahead_overruled: false,
        },
    );
    Ok(())
}

/// Edit every post of `group`: each target is planned (and checked) first, and one that can no
/// longer be edited, or refuses a change, fails the whole edit, naming it, before anything is
/// saved. A flag that only one platform has applies to that platform's targets.
async fn edit_group(ctx: &Ctx, args: &EditArgs, group: GroupId) -> Result<()> {
    let mut store = ctx.store()?;
    let posts = store.group_posts(group)?;
    let changes = args.changes();
    if changes.account.is_some() {
        return Err(Error::invalid(
            format!("--account moves one post, and {group} is a group of several accounts"),
            Some("edit one of its posts by its id (`postez show GROUP` lists them)".into()),
        ));
    }
    let platforms: Vec<Platform> = posts
        .iter()
        .filter_map(|p| p.platform.parse().ok())
        .collect();
    for platform in Platform::ALL {
        let flags = changes.only_for(platform);
        if !flags.is_empty() && !platforms.contains(&platform) {
            return Err(Error::invalid(
                format!(
                    "{} {} {}'s, and group {group} has no {} post",
                    flags.join(", "),
                    if flags.len() == 1 { "is" } else { "are" },
                    platform.name(),
                    platform.name()
                ),
                Some("drop them".into()),
            ));
        }
    }
    let mut plans = Vec::with_capacity(posts.len());
    for (post, platform) in posts.iter().zip(&platforms) {
        let name = format!(
            "post {} ({}{})",
            post.id,
            post.platform,
            post.account
                .as_deref()
                .map(|a| format!(":{a}"))
                .unwrap_or_default()
        );
        if post.state == postez::post::PostState::Uploaded {
            return Err(Error::invalid(
                format!(
                    "{name} is already on {}, held there until its time, so group {group} cannot be edited as a whole",
                    platform.name()
                ),
                Some(format!(
                    "edit that post alone (`postez edit {} --at …`) and the others by their ids",
                    post.id
                )),
            ));
        }
        let plan = postez::edit::plan(&store, post.id, &changes.for_platform(*platform), ctx.now())
            .map_err(|e| {
                if e.kind() == postez::ErrorKind::Usage {
                    let hint = e.hint();
                    Error::invalid(format!("{name}: {e}"), hint)
                } else {
                    e
                }
            })?;
        plans.push(plan);
    }
    // TikTok's consent, once: each direct post's creator is asked, then one prompt.
    let mut consented = false;
    for plan in &mut plans {
        let asks_creator = plan.rules().consent(plan.options()).is_some();
        let creator = if plan.needs_creator_check() && asks_creator {
            check_creator(
                ctx,
                &mut store,
                plan.account(),
                plan.options(),
                plan.duration_ms(),
                plan.media_path(),
            )
            .await?
        } else {
            None
        };
        if plan.needs_consent() {
            let rules = plan.rules();
            choose_and_consent(
                ctx,
                rules,
                plan.options_mut(),
                args.yes || consented,
                creator.as_slice(),
            )?;
            consented = true;
        } else if let Some(check) = &creator {
            show_creator(ctx, check, plan.options());
        }
    }
    // One transaction: a target that changed state meanwhile fails the whole edit.
    let edited = postez::edit::save_all(plans, &mut store, ctx.now())?;
    if ctx.out.json() {
        ctx.out.print_json(&serde_json::json!({
            "group": group.to_string(),
            "posts": edited.iter().map(|e| e.post.to_json()).collect::<Vec<_>>(),
        }));
    } else {
        for e in &edited {
            render(ctx, e);
        }
    }
    Ok(())
}

fn render(ctx: &Ctx, edited: &postez::edit::Edited) {
    let post = &edited.post;
    if ctx.out.json() {
        ctx.out.print_json(&post.to_json());
    } else if edited.changed.is_empty() {
        ctx.out
            .stdout_line(&format!("Post {} is unchanged", post.id));
    } else {
        ctx.out.stdout_line(&format!(
            "Edited post {} ({}); due {}",
            post.id,
            edited
                .changed
                .iter()
                .map(|c| in_words(c))
                .collect::<Vec<_>>()
                .join(", "),
            postez::when::describe(post.scheduled_at, edited.zone, ctx.now())
        ));
    }
    if edited.upload_ahead_overruled
        && let Ok(platform) = post.platform.parse::<postez::provider::Platform>()
    {
        ctx.out.note(&format!(
            "Its time is too close for {} to hold it: `postez run` uploads it the normal way when due.",
            platform.name()
        ));
    }
    if post.state == postez::post::PostState::Failed {
        ctx.out.note(&format!(
            "post {} is still failed; `postez retry {}` queues it again",
            post.id, post.id
        ));
    }
}

/// What a changed field is called in the "Edited post" line: the history keeps the field names
/// (`scheduled_at`), people read words (issue 10).
fn in_words(field: &str) -> &str {
    match field {
        "scheduled_at" => "time",
        "options" => "post options",
        "fingerprint" => "video changed on disk",
        "upload_ahead" => "upload ahead",
        other => other,
    }
}
