//! `postez purge`: revoke access and delete your data, for one account or everything.

use postez::secrets::{Backend, SecretError, SecretStore};
use postez::words::{count, count_irregular};
use postez::{Error, Result, auth, purge, queue};

use super::Ctx;

/// Delete your data and revoke postez's access
///
/// With --account: revokes that account's access at TikTok, deletes its tokens from the
/// keychain and the token file, its posts and their history, its private video copies, and the
/// logs. Without: the same for every account, plus the app's client secret, the database, the
/// token file, all private copies, the logs and the settings. postez deletes its files by name:
/// anything else in its folders, and your own video files, stay. `postez export` first if you
/// want a copy.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  postez export --output before-purge.json && postez purge --yes
  postez purge --account pastachef --yes
  postez purge --no-revoke --yes   # offline")]
pub struct PurgeArgs {
    /// Only this account (id or name)
    #[arg(long, value_name = "ACCOUNT")]
    pub account: Option<String>,
    /// Do not ask for confirmation
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Only delete locally; do not revoke at TikTok
    #[arg(long)]
    pub no_revoke: bool,
}

pub async fn exec(ctx: &Ctx, args: PurgeArgs) -> Result<()> {
    let what = match &args.account {
        Some(a) => format!("the account `{a}`, its posts, private video copies and logs"),
        None => "all of postez's data: accounts, posts, history, private video copies, tokens, logs and settings".into(),
    };
    if !args.yes {
        if !ctx.out.can_prompt() {
            return Err(Error::NeedsFlag {
                message: format!("purge deletes {what}, and there is no terminal to confirm on"),
                hint: "add --yes".into(),
            });
        }
        if !ctx.out.confirm(&format!("Delete {what}?"))? {
            return Err(Error::Aborted);
        }
    }
    let config = ctx.config()?.clone();
    // Every store we can reach without asking: the keychain, and the token file when its
    // passphrase is available (or asked for, when the file exists and a terminal is there).
    let shared = auth::chosen_backend(None, &ctx.env, &config)? == Backend::Database;
    let mut stores: Vec<SecretStore> = if shared {
        // Shared mode: the team's logins, in the database (a wrong team key stops here, before
        // anything is deleted).
        let team = auth::database_store(&ctx.paths, &ctx.env, &config)?;
        team.probe()?;
        vec![team]
    } else {
        vec![auth::keychain()]
    };
    if !shared && ctx.paths.secrets_file().exists() {
        match auth::open_store(Backend::File, &ctx.paths, &ctx.env, &config) {
            Ok(s) => stores.push(s),
            // A setup someone else could have written is fixed first: nothing is deleted.
            Err(e @ Error::Secrets(SecretError::Untrusted { .. })) => return Err(e),
            Err(_) if ctx.out.can_prompt() => stores.push(super::connect::open_store_interactive(
                ctx,
                Backend::File,
                false,
            )?),
            Err(e) if args.account.is_some() => return Err(e),
            // Purging everything deletes the file itself; its content goes with it.
            Err(_) => {}
        }
    }
    let refs: Vec<&SecretStore> = stores.iter().collect();
    let report = match &args.account {
        Some(name) => {
            let mut store = ctx.store()?;
            let account = queue::find_account(&store, name)?;
            purge::account(
                &ctx.env,
                &config,
                &ctx.paths,
                &mut store,
                &refs,
                &account,
                !args.no_revoke,
            )
            .await?
        }
        None => purge::everything(&ctx.env, &config, &ctx.paths, &refs, !args.no_revoke).await?,
    };
    for failed in &report.revoke_failed {
        ctx.out.warn(&format!(
            "could not revoke {} at {} ({}); {}",
            failed.account,
            failed.platform.name(),
            failed.error,
            failed.platform.rules().manual_revoke_hint()
        ));
    }
    if ctx.out.json() {
        ctx.out.print_json(&report.to_json());
        return Ok(());
    }
    ctx.out.stdout_line(&format!(
        "Purged {}, {}, {}, {}; revoked at TikTok: {}",
        count(report.accounts.len(), "account"),
        count(report.posts as usize, "post"),
        count(report.secrets_deleted as usize, "secret"),
        count_irregular(report.files.len(), "file or folder", "files or folders"),
        if report.revoked.is_empty() {
            "none".to_string()
        } else {
            report.revoked.join(", ")
        }
    ));
    for file in &report.files {
        ctx.out.note(&format!("  removed {}", file.display()));
    }
    if let Some(queue) = &report.shared_queue_kept {
        ctx.out.note(&format!(
            "The shared queue at {queue} keeps the team's posts, accounts and history: only its \
             logins were deleted (and this machine's files). To remove the rest, drop that \
             database."
        ));
    }
    Ok(())
}
