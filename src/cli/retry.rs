//! `postez retry`: put a failed or cancelled post (or each such post of a group) back in the
//! queue.

use postez::post::{Post, PostId, PostRef};
use postez::{Error, Result, queue};

use super::Ctx;

/// Queue a failed or cancelled post again
///
/// The attempt count is reset. Without --at the post is due at its original time, or now if
/// that has passed. This is also how a cancelled post is brought back.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  postez retry 3\n  postez retry 3 --at \"tomorrow 9am\"\n  postez retry g2"
)]
pub struct RetryArgs {
    /// Post id (see `postez list --state failed` or `postez list --all`), or a group id (`g2`:
    /// each of its failed or cancelled posts)
    pub id: PostRef,
    /// New time (same forms as `schedule --at`)
    #[arg(long, value_name = "WHEN")]
    pub at: Option<String>,
    /// Time zone for a local --at (IANA name)
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
}

pub fn exec(ctx: &Ctx, args: RetryArgs) -> Result<()> {
    let id = match args.id {
        PostRef::Post(id) => id,
        PostRef::Group(group) => return retry_group(ctx, &args, group),
    };
    let post = retry_one(ctx, &args, id)?;
    if ctx.out.json() {
        ctx.out.print_json(&post.to_json());
    } else {
        ctx.out.stdout_line(&queued_line(ctx, &post));
    }
    Ok(())
}

fn queued_line(ctx: &Ctx, post: &Post) -> String {
    let zone = postez::when::parse_zone(&post.timezone).unwrap_or(chrono_tz::Tz::UTC);
    format!(
        "Queued post {} again for {}",
        post.id,
        postez::when::describe(post.scheduled_at, zone, ctx.now())
    )
}

/// Queue again each post of `group` that failed or was cancelled, reporting each; the
/// targets that published (or wait) are left as they are. Fails only when none could be.
fn retry_group(ctx: &Ctx, args: &RetryArgs, group: postez::post::GroupId) -> Result<()> {
    let posts = ctx.store()?.group_posts(group)?;
    let outcomes = posts
        .iter()
        .map(|post| (post.id, retry_one(ctx, args, post.id)))
        .collect();
    let (done, last_error) = ctx
        .out
        .group_outcomes(group, outcomes, |after| queued_line(ctx, after));
    match (done, last_error) {
        (0, Some(e)) => Err(Error::invalid(
            format!("no post of group {group} could be queued again ({e})"),
            Some(
                "only failed or cancelled posts can be retried; `postez show GROUP` shows each"
                    .into(),
            ),
        )),
        _ => Ok(()),
    }
}

fn retry_one(ctx: &Ctx, args: &RetryArgs, id: PostId) -> Result<Post> {
    let mut store = ctx.store()?;
    let current = store.post(id)?;
    let at = match &args.at {
        Some(at) => queue::resolve_time(at, ctx.zone(args.tz.as_deref())?, ctx.now())?,
        // A post that missed its time is due now, not immediately "missed" again.
        None => current.scheduled_at.max(ctx.now()),
    };
    // A post that was to be uploaded ahead is again, while its platform can still hold it
    // until `at`: due now; else at its time.
    let rules = current
        .platform
        .parse::<postez::provider::Platform>()?
        .rules();
    let ahead = current.asked_upload_ahead()
        && rules.check_upload_ahead(&current.options).is_ok()
        && rules.can_hold_until(at, ctx.now());
    let due = if ahead { ctx.now() } else { at };
    store.retry(id, at, due, ctx.now())
}
