//! `postez cancel`: take a post out of the queue; it stays in the history.

use postez::Result;
use postez::post::PostId;

use super::Ctx;

/// Cancel a scheduled or failed post
///
/// The post is kept (with state `cancelled`) so its history stays visible with `--all`;
/// `postez retry ID` puts it back in the queue. A post uploaded ahead (`uploaded`) is deleted
/// on the platform first, which needs a login made with `postez connect youtube --manage`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  postez cancel 3")]
pub struct CancelArgs {
    /// Post id (see `postez list`)
    pub id: PostId,
}

pub async fn exec(ctx: &Ctx, args: CancelArgs) -> Result<()> {
    let mut store = ctx.store()?;
    let post = store.post(args.id)?;
    let post = if post.state == postez::post::PostState::Uploaded {
        let held = postez::held::Context {
            env: &ctx.env,
            paths: &ctx.paths,
            config: ctx.config()?,
            now: ctx.now(),
        };
        let name = post
            .platform
            .parse::<postez::provider::Platform>()
            .map(|p| p.name())
            .unwrap_or_default();
        let post = postez::held::cancel(&held, &mut store, &post).await?;
        ctx.out.note(&format!("Deleted its video on {name}."));
        post
    } else {
        store.cancel(args.id, ctx.now())?
    };
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
