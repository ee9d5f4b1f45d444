//! `postez accounts`: the connected accounts, how each can publish (drafts, direct posts: from
//! the scopes granted), their token store and expiry times (unknown when the platform does not
//! say), and a warning when a login will stop soon for a reason to fix once (a Google project
//! in "Testing").
//! Never a token.

use postez::Result;
use postez::auth;
use postez::provider;
use postez::store::{Account, AccountState};

use super::Ctx;

/// List connected accounts
///
/// Shows each account's platform, id (TikTok open_id), names, granted scopes, where its tokens
/// are kept, when they expire, and its state: ok, needs_reconnect or disconnected; and what
/// holds its posts: a TikTok quota until its end, or a pause (TikTok refused the account any
/// post) until `postez connect tiktok` is run again. A YouTube login is flagged when it ends
/// within 7 days or the setting youtube_testing is true (a Google project in "Testing"). With
/// --check, each account is also checked online (refreshing its login when due).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  postez accounts\n  postez accounts --check\n  postez accounts --json"
)]
pub struct AccountsArgs {
    /// Check each connected account online, refreshing its login if it is due
    #[arg(long)]
    pub check: bool,
}

/// The JSON form of an account (the contract documented in the README).
pub fn account_json(a: &Account) -> serde_json::Value {
    a.to_json()
}

pub async fn exec(ctx: &Ctx, args: AccountsArgs) -> Result<()> {
    let mut store = ctx.store()?;
    let mut failed: Option<postez::Error> = None;
    if args.check {
        for account in store
            .accounts()?
            .into_iter()
            .filter(|a| a.state != AccountState::Disconnected)
        {
            match check(ctx, &mut store, &account).await {
                Ok(()) => ctx.out.status(
                    "Checked",
                    &format!("{} {}: ok", account.platform, account.label()),
                ),
                Err(e) => {
                    // The last failure is returned (and printed once by main); earlier ones now.
                    if let Some(previous) = failed.replace(e) {
                        ctx.out.error(&previous);
                    }
                }
            }
        }
    }
    let accounts = store.accounts()?;
    // Token lifetimes follow the platform's clock, never POSTEZ_NOW.
    let wall = chrono::Utc::now();
    let warning = |a: &Account| {
        let config = ctx.config().ok()?;
        provider::login_warning(a.platform, config, a.refresh_expires_at, wall)
            .filter(|_| a.is_connected())
    };
    if ctx.out.json() {
        ctx.out.print_json(&serde_json::Value::Array(
            accounts
                .iter()
                .map(|a| {
                    let mut json = account_json(a);
                    json["login_warning"] = warning(a).map_or(
                        serde_json::Value::Null,
                        |w| serde_json::json!({ "message": w.message, "hint": w.hint }),
                    );
                    json
                })
                .collect(),
        ));
    } else if accounts.is_empty() {
        ctx.out.note(&format!(
            "no account is connected; run `postez connect {}`",
            postez::queue::platform()
        ));
    } else {
        // A platform may not say when a login ends (Google): unknown, never guessed.
        let until = |t: Option<chrono::DateTime<chrono::Utc>>| {
            t.map_or_else(|| "unknown".into(), |t| postez::when::relative(t, wall))
        };
        for a in &accounts {
            if ctx.out.stdout_is_tty() {
                ctx.out.stdout_line(&format!(
                    "{} {}, {} account {}, open_id {}",
                    console::style(a.id).bold(),
                    a.name(),
                    a.platform,
                    a.state,
                    a.remote_id
                ));
                if !a.is_connected() {
                    // Its tokens were deleted: no store, expiry or publishing mode to claim.
                    ctx.out.stdout_line(&format!(
                        "  no login kept; run `postez connect {}` to publish with it again",
                        a.platform
                    ));
                    continue;
                }
                ctx.out.stdout_line(&format!(
                    "  tokens in the {}; access renews {}; login expires {}",
                    match a.token_store.as_deref() {
                        Some("file") => "encrypted token file",
                        Some(other) => other,
                        None => "?",
                    },
                    until(a.access_expires_at),
                    until(a.refresh_expires_at)
                ));
                let modes = match (a.modes().contains(&"draft"), a.can_direct_post()) {
                    (true, true) => "drafts and direct posts",
                    (true, false) => "drafts only",
                    (false, true) => "direct posts only",
                    (false, false) => "nothing (reconnect)",
                };
                ctx.out.stdout_line(&format!(
                    "  can publish {modes}; scopes {}",
                    a.scopes.join(", ")
                ));
                if a.platform.rules().scopes().manage.is_some() {
                    ctx.out.stdout_line(&if a.can_manage() {
                        "  can reschedule and delete posts uploaded ahead".to_string()
                    } else {
                        format!(
                            "  cannot change posts uploaded ahead (`postez connect {} --manage` allows it)",
                            a.platform
                        )
                    });
                }
                for line in hold_lines(a, ctx.now()) {
                    ctx.out.stdout_line(&format!("  {line}"));
                }
                if let Some(w) = warning(a) {
                    ctx.out
                        .stdout_line(&format!("  warning: {} (hint: {})", w.message, w.hint));
                }
            } else {
                // The same columns for every account; a disconnected one's token columns are
                // empty (its tokens are gone).
                let connected = |v: String| if a.is_connected() { v } else { String::new() };
                ctx.out.stdout_line(&format!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    a.id,
                    a.platform,
                    a.remote_id,
                    a.label(),
                    a.state,
                    connected(a.token_store.clone().unwrap_or_default()),
                    connected(
                        a.access_expires_at
                            .map(postez::store::db_time)
                            .unwrap_or_default()
                    ),
                    connected(
                        a.refresh_expires_at
                            .map(postez::store::db_time)
                            .unwrap_or_default()
                    ),
                    a.scopes.join(","),
                    connected(a.modes().join(",")),
                ));
            }
        }
        // Holds go to stderr in a pipe, so the tab-separated lines keep their columns.
        if !ctx.out.stdout_is_tty() {
            for a in &accounts {
                for line in hold_lines(a, ctx.now()) {
                    ctx.out.note(&format!("{}: {line}", a.label()));
                }
                if let Some(w) = warning(a) {
                    ctx.out
                        .warn(&format!("{}: {} (hint: {})", a.label(), w.message, w.hint));
                }
            }
        }
    }
    failed.map_or(Ok(()), Err)
}

/// What holds the account's posts: a pause (until the user connects again) and quotas in force.
fn hold_lines(a: &Account, now: chrono::DateTime<chrono::Utc>) -> Vec<String> {
    a.holds
        .iter()
        .filter(|h| h.active(now))
        .map(|h| {
            let hint = h
                .hint
                .as_ref()
                .map(|h| format!(" (hint: {h})"))
                .unwrap_or_default();
            match h.until {
                None => format!("paused: {}{hint}", h.message),
                Some(until) => format!(
                    "{} held until {}: {}{hint}",
                    match h.applies_to {
                        postez::store::AppliesTo::Draft => "drafts",
                        postez::store::AppliesTo::Direct => "direct posts",
                        postez::store::AppliesTo::All => "posts",
                    },
                    postez::store::db_time(until),
                    h.message
                ),
            }
        })
        .collect()
}

/// Refresh the login if due and check it online (the profile), retrying once after a rejected
/// token.
async fn check(ctx: &Ctx, store: &mut postez::store::Store, account: &Account) -> Result<()> {
    let config = ctx.config()?;
    let secrets = auth::open_store(auth::account_backend(account), &ctx.paths, &ctx.env, config)?;
    let platform = account.platform;
    let credentials = provider::credentials(platform, &ctx.env, config, &secrets)?;
    let provider = provider::for_app(platform, &ctx.env, credentials)?;
    let provider = provider.as_ref();
    let now = chrono::Utc::now();
    let tokens =
        auth::fresh_tokens(provider, &secrets, &ctx.paths, store, account, false, now).await?;
    match provider.check_access(&tokens.access_token).await {
        Err(postez::Error::Api(e)) if e.class() == provider::ErrorClass::Token => {
            let tokens =
                auth::fresh_tokens(provider, &secrets, &ctx.paths, store, account, true, now)
                    .await?;
            provider.check_access(&tokens.access_token).await
        }
        other => other,
    }
}
