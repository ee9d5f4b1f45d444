//! `postez disconnect`: revoke postez's access at the platform, delete the tokens from every store,
//! and keep the queued posts (they wait for a connected account). The work is `purge`'s
//! (`revoke_login`, `disconnect`); this file has the flags, the store prompt and the output.

use postez::{Result, auth, purge, queue};

use super::Ctx;
use super::connect::{Platform, open_store_interactive};

/// Disconnect an account and revoke postez's access
///
/// Revokes the login at TikTok or Google (unless --no-revoke), deletes the tokens from the
/// keychain and the token file, and marks the account disconnected. Queued posts are kept;
/// they publish again once an account is connected. Works offline too: the tokens are deleted locally and
/// you are told that revoking failed.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  postez disconnect tiktok\n  postez disconnect tiktok my_handle --no-revoke\n  postez disconnect youtube"
)]
pub struct DisconnectArgs {
    /// Platform
    #[arg(value_enum)]
    pub platform: Platform,
    /// Account (id or name; default: the only one)
    pub account: Option<String>,
    /// Only delete locally; do not revoke at the platform
    #[arg(long)]
    pub no_revoke: bool,
}

pub async fn exec(ctx: &Ctx, args: DisconnectArgs) -> Result<()> {
    let platform = args.platform.platform();
    let mut store = ctx.store()?;
    let account = queue::resolve_account_of(&store, platform, args.account.as_deref(), None)?
        .ok_or_else(|| postez::Error::NotConnected {
            platform: platform.to_string(),
        })?;
    let config = ctx.config()?.clone();
    let secrets = open_store_interactive(ctx, auth::account_backend(&account), false)?;
    let tokens = purge::saved_login(&secrets, &account)?;
    let mut revoked = false;
    if !args.no_revoke {
        let refresh = purge::Refresh {
            paths: &ctx.paths,
            store: &mut store,
        };
        let result = purge::revoke_login(
            &ctx.env,
            &config,
            &secrets,
            &account,
            tokens.as_ref(),
            Some(refresh),
        )
        .await;
        match result {
            Ok(()) => revoked = true,
            Err(e) => ctx.out.warn(&format!(
                "could not revoke access at {} ({e}); {}",
                account.platform.name(),
                account.platform.rules().manual_revoke_hint()
            )),
        }
    }
    let report = purge::disconnect(
        &ctx.env,
        &config,
        &ctx.paths,
        &mut store,
        &secrets,
        &account,
        revoked,
        ctx.now(),
    )?;
    render(ctx, &report);
    Ok(())
}

fn render(ctx: &Ctx, report: &purge::Disconnected) {
    if ctx.out.json() {
        ctx.out.print_json(&serde_json::json!({
            "account": report.account.label(),
            "revoked": report.revoked,
            "blocked_posts": report.blocked_posts,
        }));
    } else {
        let platform = report.account.platform;
        ctx.out.stdout_line(&format!(
            "Disconnected {platform} {}{}",
            report.account.label(),
            if report.revoked {
                format!(" (access revoked at {})", platform.name())
            } else {
                String::new()
            }
        ));
    }
    if report.blocked_posts > 0 {
        let platform = report.account.platform;
        ctx.out.note(&format!(
            "{} kept but cannot publish until an account is connected (`postez connect {platform}`)",
            match report.blocked_posts {
                1 => "1 queued post is".to_string(),
                n => format!("{n} queued posts are"),
            }
        ));
    }
}
