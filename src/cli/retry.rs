//! `postez retry`: put a failed or cancelled post back in the queue.

use postez::post::PostId;
use postez::{Result, queue};

use super::Ctx;

/// Queue a failed or cancelled post again
///
/// The attempt count is reset. Without --at the post is due at its original time, or now if
/// that has passed. This is also how a cancelled post is brought back.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  postez retry 3\n  postez retry 3 --at \"tomorrow 9am\"")]
pub struct RetryArgs {
    /// Post id (see `postez list --state failed` or `postez list --all`)
    pub id: PostId,
    /// New time (same forms as `schedule --at`)
    #[arg(long, value_name = "WHEN")]
    pub at: Option<String>,
    /// Time zone for a local --at (IANA name)
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
}

pub fn exec(ctx: &Ctx, args: RetryArgs) -> Result<()> {
    let mut store = ctx.store()?;
    let current = store.post(args.id)?;
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
    let post = store.retry(args.id, at, due, ctx.now())?;
    if ctx.out.json() {
        ctx.out.print_json(&post.to_json());
    } else {
        let zone = postez::when::parse_zone(&post.timezone).unwrap_or(chrono_tz::Tz::UTC);
        ctx.out.stdout_line(&format!(
            "Queued post {} again for {}",
            post.id,
            postez::when::describe(post.scheduled_at, zone, ctx.now())
        ));
    }
    Ok(())
}
