//! `postez cancel`: take a post out of the queue; it stays in the history.

use postez::Result;
use postez::post::PostId;

use super::Ctx;

/// Cancel a scheduled or failed post
///
/// The post is kept (with state `cancelled`) so its history stays visible with `--all`;
/// `postez retry ID` puts it back in the queue.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  postez cancel 3")]
pub struct CancelArgs {
    /// Post id (see `postez list`)
    pub id: PostId,
}

pub fn exec(ctx: &Ctx, args: CancelArgs) -> Result<()> {
    let post = ctx.store()?.cancel(args.id, ctx.now())?;
    if ctx.out.json() {
        ctx.out.print_json(&post.to_json());
    } else {
        ctx.out.stdout_line(&format!("Cancelled post {}", post.id));
        ctx.out.note(&format!(
            "`postez retry {}` puts it back in the queue",
            post.id
        ));
    }
    Ok(())
}
