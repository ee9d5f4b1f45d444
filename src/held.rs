//! A post its platform holds until its time (state `uploaded`, `schedule --upload-ahead`):
//! moving that time (`edit --at`) and cancelling it (`cancel`). The platform is changed first
//! and the queue only once it answered OK, so the queue never claims what the platform does not
//! hold; a lost reply leaves the queue as it was, and doing the same again is harmless (the
//! platform takes the same time again; a post it no longer has counts as deleted). The run
//! that confirms the post reads the time the platform holds, so the two agree again then.
//!
//! Without the login's manage scope (`connect --manage`) nothing is sent: the user gets the
//! platform's own page for the post. Never prints.

use chrono::{DateTime, Utc};

use crate::auth;
use crate::config::Config;
use crate::edit::Changes;
use crate::env::{Env, Paths};
use crate::error::{Error, ErrorKind, Result};
use crate::lock::{RunLock, Wait};
use crate::post::{Post, PostState};
use crate::provider::{self, ErrorClass, Platform, Provider};
use crate::store::{Account, Store};

/// How long `edit` and `cancel` wait for a run that may be confirming the post.
const RUN_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Where a command that changes an uploaded post gets what it needs.
pub struct Context<'a> {
    /// Environment (endpoints, credentials).
    pub env: &'a Env,
    /// Folders.
    pub paths: &'a Paths,
    /// Settings.
    pub config: &'a Config,
    /// The queue's "now" (POSTEZ_NOW in tests).
    pub now: DateTime<Utc>,
}

/// Whether `changes` only move the post's time (`--at`, with its `--tz`): all an uploaded
/// post lets postez change.
pub fn only_time(changes: &Changes) -> bool {
    let time = Changes {
        at: changes.at.clone(),
        tz: changes.tz.clone(),
        ..Changes::default()
    };
    changes.at.is_some() && *changes == time
}

/// Refuse an edit of an uploaded post other than its time: the video is on the platform, and
/// its page there is where it changes.
pub fn refuse_edit(post: &Post) -> Error {
    let platform = match platform_of(post) {
        Ok(platform) => platform,
        Err(e) => return e,
    };
    Error::invalid(
        format!(
            "post {} is already on {}, which makes it public by itself at its time: only its time can change from here",
            post.id,
            platform.name()
        ),
        Some(match link(post) {
            Some(link) => format!("change the rest at {link}"),
            None => format!("change it on {}", platform.name()),
        }),
    )
}

/// Move the time at which the platform makes `post` public to `changes.at`, then record it.
pub async fn reschedule(
    ctx: &Context<'_>,
    store: &mut Store,
    post: &Post,
    changes: &Changes,
) -> Result<Post> {
    let zone = match &changes.tz {
        Some(tz) => crate::when::parse_zone(tz)?,
        None => crate::when::parse_zone(&post.timezone).unwrap_or(chrono_tz::Tz::UTC),
    };
    let Some(at_text) = &changes.at else {
        return Err(refuse_edit(post));
    };
    refuse_if_out(ctx, post, "moved")?;
    let at = crate::queue::resolve_time(at_text, zone, ctx.now)?;
    let platform = platform_of(post)?;
    let margin = platform.rules().hold_margin().unwrap_or_default();
    if !platform.rules().can_hold_until(at, ctx.now) {
        return Err(Error::invalid(
            format!(
                "{} publishes a post at once when its time is less than {} minutes away, so post {} cannot be moved to {}",
                platform.name(),
                margin.num_minutes().max(1),
                post.id,
                crate::store::db_time(at)
            ),
            Some(format!(
                "choose a later time{}",
                link(post)
                    .map(|l| format!(", or publish it now at {l}"))
                    .unwrap_or_default()
            )),
        ));
    }
    let (_lock, account, id) = prepare(ctx, store, post, "moved").await?;
    with_token(ctx, store, &account, |provider, token| {
        let id = id.clone();
        async move { provider.reschedule(&token, &id, at).await }
    })
    .await?;
    store.reschedule_uploaded(post.id, at, zone.name(), ctx.now)
}

/// Delete `post` on its platform, then cancel it.
pub async fn cancel(ctx: &Context<'_>, store: &mut Store, post: &Post) -> Result<Post> {
    refuse_if_out(ctx, post, "cancelled")?;
    let (_lock, account, id) = prepare(ctx, store, post, "cancelled").await?;
    with_token(ctx, store, &account, |provider, token| {
        let id = id.clone();
        async move { provider.remove(&token, &id).await }
    })
    .await?;
    store.cancel_uploaded(post.id, ctx.now)
}

/// Refuse to change `post` once its time has passed or is closer than the platform's hold
/// margin: the platform has made it public (the run that records so may not have come yet) or
/// is about to, and deleting or moving it then would take down a public video. Checked before
/// anything is sent.
fn refuse_if_out(ctx: &Context<'_>, post: &Post, action: &'static str) -> Result<()> {
    let platform = platform_of(post)?;
    if platform.rules().can_hold_until(post.scheduled_at, ctx.now) {
        return Ok(());
    }
    let name = platform.name();
    let state = if post.scheduled_at <= ctx.now {
        "has made it public"
    } else {
        "is about to make it public"
    };
    let studio = link(post).map(|l| format!(" at {l}")).unwrap_or_default();
    Err(Error::invalid(
        format!(
            "post {}'s time ({}) has come: {name} {state}, so it cannot be {action} from here",
            post.id,
            crate::store::db_time(post.scheduled_at)
        ),
        Some(format!(
            "the next `postez run` records it published; change or delete it in {name}'s own editor{studio}"
        )),
    ))
}

/// The post's platform; a name postez does not know is a damaged row, not a TikTok post.
fn platform_of(post: &Post) -> Result<Platform> {
    post.platform.parse().map_err(|_| {
        Error::Internal(format!(
            "post {} names an unknown platform `{}`",
            post.id, post.platform
        ))
    })
}

fn link(post: &Post) -> Option<String> {
    let id = post.post_id.as_deref()?;
    platform_of(post).ok()?.rules().manage_link(id)
}

/// The run lock (no run confirms the post meanwhile), the post re-read under it, its account,
/// and its id on the platform; refused when the login may not change it there.
async fn prepare(
    ctx: &Context<'_>,
    store: &mut Store,
    post: &Post,
    action: &'static str,
) -> Result<(RunLock, Account, String)> {
    let Some(lock) = RunLock::acquire(ctx.paths, Wait::Up(RUN_WAIT)).await? else {
        return Err(Error::Unfinished {
            message: format!(
                "a `postez run` is under way and may be confirming post {}",
                post.id
            ),
            hint: Some("try again once it has finished".into()),
            kind: ErrorKind::TryLater,
        });
    };
    let post = store.post(post.id)?;
    if post.state != PostState::Uploaded {
        return Err(Error::WrongState {
            id: post.id,
            state: post.state,
            action,
        });
    }
    let platform = platform_of(&post)?;
    let name = platform.name();
    let id = post.post_id.clone().ok_or_else(|| {
        Error::Internal(format!("post {} is uploaded but has no {name} id", post.id))
    })?;
    let account = post
        .account_id
        .and_then(|a| store.accounts().ok()?.into_iter().find(|x| x.id == a))
        .filter(Account::is_connected);
    let studio = link(&post).map(|l| format!(" at {l}")).unwrap_or_default();
    let Some(account) = account.filter(Account::can_manage) else {
        return Err(Error::invalid(
            format!(
                "post {} is already on {name}, and its login does not let postez change videos there, so it cannot be {action} from here",
                post.id
            ),
            Some(format!(
                "do it in {name}'s own editor{studio}, or run `postez connect {platform} --manage` and try again"
            )),
        ));
    };
    Ok((lock, account, id))
}

/// Run `call` with a fresh access token of `account`, refreshing the login once if the
/// platform refused the token.
async fn with_token<F, Fut>(
    ctx: &Context<'_>,
    store: &mut Store,
    account: &Account,
    call: F,
) -> Result<()>
where
    F: Fn(std::sync::Arc<dyn Provider>, crate::secrets::Secret) -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    let secrets = auth::open_store(
        auth::account_backend(account),
        ctx.paths,
        ctx.env,
        ctx.config,
    )?;
    let provider: std::sync::Arc<dyn Provider> = provider::for_account(
        account.platform,
        ctx.env,
        ctx.config,
        &secrets,
        std::time::Duration::from_secs(60),
    )?
    .into();
    let mut force = false;
    loop {
        // Real time, not POSTEZ_NOW: token lifetimes are the platform's clock (as in `run`).
        let tokens = auth::fresh_tokens(
            provider.as_ref(),
            &secrets,
            ctx.paths,
            store,
            account,
            force,
            Utc::now(),
        )
        .await?;
        match call(provider.clone(), tokens.access_token.clone()).await {
            Err(Error::Api(e)) if e.class() == ErrorClass::Token && !force => force = true,
            other => return other,
        }
    }
}
