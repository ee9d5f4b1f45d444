//! `postez cancel`: take a post (or each post of a group) out of the queue; it stays in the
//! history.

use postez::post::{Post, PostId, PostRef};
use postez::{Error, Result};

use super::Ctx;

/// Cancel a scheduled or failed post
///
/// The post is kept (with state `cancelled`) so its history stays visible with `--all`;
/// `postez retry ID` puts it back in the queue. A post uploaded ahead (`uploaded`) is deleted
/// on the platform first, which needs a login made with `postez connect youtube --manage`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  postez cancel 3\n  postez cancel g2")]
pub struct CancelArgs {
    /// Post id (see `postez list`), or a group id (`g2`: each of its posts that can be)
    pub id: PostRef,
}

pub async fn exec(ctx: &Ctx, args: CancelArgs) -> Result<()> {
    let id = match args.id {
        PostRef::Post(id) => id,
        PostRef::Group(group) => return cancel_group(ctx, group).await,
    };
    let post = cancel_one(ctx, id).await?;
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

/// Cancel each post of `group` that allows it, and report each: one target that cannot be
/// cancelled (published already) does not keep the others in the queue. Fails only when none
/// could be cancelled.
async fn cancel_group(ctx: &Ctx, group: postez::post::GroupId) -> Result<()> {
    let posts = ctx.store()?.group_posts(group)?;
    let mut outcomes = Vec::with_capacity(posts.len());
    for post in &posts {
        outcomes.push((post.id, cancel_one(ctx, post.id).await));
    }
    let (done, last_error) = ctx.out.group_outcomes(group, outcomes, |after| {
        format!(
            "Cancelled post {} ({})",
            after.id,
            super::list::target_status(after)
        )
    });
    match (done, last_error) {
        (0, Some(e)) => Err(Error::invalid(
            format!("no post of group {group} could be cancelled ({e})"),
            Some("`postez show GROUP` shows where each one is".into()),
        )),
        _ => {
            if !ctx.out.json() {
                ctx.out.note(&format!(
                    "`postez retry {group}` puts them back in the queue"
                ));
            }
            Ok(())
        }
    }
}

/// Cancel one post: an upload held by its platform is deleted there first.
async fn cancel_one(ctx: &Ctx, id: PostId) -> Result<Post> {
    let mut store = ctx.store()?;
    let post = store.post(id)?;
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
        store.cancel(id, ctx.now())?
    };
    Ok(post)
}
