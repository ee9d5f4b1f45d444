//! `postez disconnect`: revoke postez's access at TikTok, delete the tokens from every store,
//! and keep the queued posts (they wait for a connected account).

use postez::provider::{Tokens, token_key};
use postez::secrets::Backend;
use postez::{Result, auth, queue};

use super::Ctx;
use super::connect::{Platform, open_store_interactive};

/// Disconnect an account and revoke postez's access
///
/// Revokes the login at TikTok (unless --no-revoke), deletes the tokens from the keychain and
/// the token file, and marks the account disconnected. Queued posts are kept; they publish
/// again once an account is connected. Works offline too: the tokens are deleted locally and
/// you are told that revoking failed.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  postez disconnect tiktok\n  postez disconnect tiktok my_handle --no-revoke"
)]
pub struct DisconnectArgs {
    /// Platform
    #[arg(value_enum)]
    pub platform: Platform,
    /// Account (id or name; default: the only one)
    pub account: Option<String>,
    /// Only delete locally; do not revoke at TikTok
    #[arg(long)]
    pub no_revoke: bool,
}

/// Revoke the account's login at TikTok. An access token lives a day and TikTok refuses to
/// revoke an expired one, so an expired (or rejected) token is refreshed first: the refresh
/// token usually lives on for a year (issue 10).
async fn revoke(
    tiktok: &postez::provider::tiktok::TikTok,
    secrets: &postez::secrets::SecretStore,
    ctx: &Ctx,
    store: &mut postez::store::Store,
    account: &postez::store::Account,
) -> Result<()> {
    // Token lifetimes follow TikTok's clock, never POSTEZ_NOW.
    let now = chrono::Utc::now();
    let tokens =
        auth::fresh_tokens(tiktok, secrets, &ctx.paths, store, account, false, now).await?;
    match tiktok.revoke(&tokens.access_token).await {
        Err(postez::Error::Api(e)) if e.class() == postez::provider::ErrorClass::Token => {
            let tokens =
                auth::fresh_tokens(tiktok, secrets, &ctx.paths, store, account, true, now).await?;
            tiktok.revoke(&tokens.access_token).await
        }
        other => other,
    }
}

pub async fn exec(ctx: &Ctx, args: DisconnectArgs) -> Result<()> {
    let Platform::Tiktok = args.platform;
    let mut store = ctx.store()?;
    let account =
        queue::resolve_account(&store, args.account.as_deref(), None)?.ok_or_else(|| {
            postez::Error::NotConnected {
                platform: "tiktok".into(),
            }
        })?;
    let config = ctx.config()?.clone();
    let secrets = open_store_interactive(ctx, auth::account_backend(&account), false)?;
    let tokens: Option<Tokens> = match auth::saved_tokens(&secrets, &account) {
        Ok(t) => Some(t),
        Err(postez::Error::NeedsReconnect { .. }) => None,
        Err(e) => return Err(e),
    };
    let mut revoked = false;
    if !args.no_revoke {
        let result = match &tokens {
            None => Err(postez::Error::invalid("no saved login to revoke", None)),
            Some(_) => match auth::client_credentials(&ctx.env, &config, &secrets) {
                Ok(client) => match auth::tiktok_client(&ctx.env, client) {
                    Ok(tiktok) => revoke(&tiktok, &secrets, ctx, &mut store, &account).await,
                    Err(e) => Err(e),
                },
                Err(e) => Err(e),
            },
        };
        match result {
            Ok(()) => revoked = true,
            Err(e) => ctx.out.warn(&format!(
                "could not revoke access at TikTok ({e}); remove postez under TikTok's Settings › Security › Manage app permissions"
            )),
        }
    }
    // Delete from every store we can reach: the recorded one must work, others are best effort.
    let key = token_key(account.platform.as_str(), &account.remote_id);
    secrets.delete(&key)?;
    let other = match secrets.backend() {
        Backend::Keychain => auth::open_store(Backend::File, &ctx.paths, &ctx.env, &config).ok(),
        Backend::File => Some(auth::keychain()),
    };
    if let Some(other) =
        other.filter(|_| ctx.paths.secrets_file().exists() || secrets.backend() == Backend::File)
    {
        let _ = other.delete(&key);
    }
    let now = ctx.now();
    store.set_account_state(account.id, "disconnected", now)?;
    let remaining = store
        .accounts()?
        .into_iter()
        .filter(|a| a.platform == account.platform && a.state != "disconnected")
        .count();
    let blocked = store.queued_for_account(account.id, remaining == 0)?;
    let summary = format!(
        "Disconnected tiktok {}{}",
        account.label(),
        if revoked {
            " (access revoked at TikTok)"
        } else {
            ""
        }
    );
    if ctx.out.json() {
        ctx.out.print_json(&serde_json::json!({
            "account": account.label(),
            "revoked": revoked,
            "blocked_posts": blocked,
        }));
    } else {
        ctx.out.stdout_line(&summary);
    }
    if blocked > 0 {
        ctx.out.note(&format!(
            "{} kept but cannot publish until an account is connected (`postez connect tiktok`)",
            match blocked {
                1 => "1 queued post is".to_string(),
                n => format!("{n} queued posts are"),
            }
        ));
    }
    Ok(())
}
