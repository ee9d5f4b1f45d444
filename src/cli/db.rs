//! `postez db copy --to URL`: move this machine's queue into a shared one (issue 14).

use postez::Result;
use postez::error::Error;
use postez::store::{Location, Store, redact_url};

use super::Ctx;

/// Manage where the queue lives
#[derive(Debug, clap::Args)]
pub struct DbArgs {
    #[command(subcommand)]
    pub command: DbCommand,
}

/// `postez db` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum DbCommand {
    Copy(CopyArgs),
}

/// Copy this machine's queue into an empty shared queue (PostgreSQL)
///
/// Every post, group, history entry, account and hold is copied with its id, in one
/// transaction: the shared queue gets all of it or nothing. The local queue is left as it was.
/// Logins are not copied: connect each account again with the shared queue set, so its tokens
/// are sealed with the team key. Videos stay where they are on disk (as with `--reference`).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  postez db copy --to postgres://team@db.example.com/postez\n  POSTEZ_DATABASE_URL=postgres://team@db.example.com/postez postez connect tiktok"
)]
pub struct CopyArgs {
    /// The shared queue to copy into (an empty database)
    #[arg(long, value_name = "URL")]
    pub to: String,
}

pub fn exec(ctx: &Ctx, args: DbArgs) -> Result<()> {
    match args.command {
        DbCommand::Copy(copy) => copy_queue(ctx, copy),
    }
}

fn copy_queue(ctx: &Ctx, args: CopyArgs) -> Result<()> {
    postez::config::check_database_url(&args.to, false)?;
    let local = ctx.paths.database();
    if !local.exists() {
        return Err(Error::config(
            format!("there is no local queue at `{}` to copy", local.display()),
            Some(
                "schedule posts first, or point POSTEZ_HOME at the folder that holds postez.db"
                    .into(),
            ),
        ));
    }
    let source = Store::open_at(&Location::File(local))?;
    let mut target = Store::connect(&args.to)?;
    let copied = source.copy_to(&mut target)?;
    if ctx.out.json() {
        let mut json = serde_json::Map::new();
        for (table, rows) in &copied.tables {
            json.insert(table.clone(), rows.to_owned().into());
        }
        ctx.out.print_json(&serde_json::json!({
            "to": redact_url(&args.to),
            "copied": json,
        }));
        return Ok(());
    }
    let rows: Vec<String> = copied
        .tables
        .iter()
        .map(|(t, n)| format!("{n} {t}"))
        .collect();
    ctx.out.stdout_line(&format!(
        "Copied {} into `{}`.",
        rows.join(", "),
        redact_url(&args.to)
    ));
    ctx.out.note(
        "logins were not copied: set POSTEZ_DATABASE_URL (or `postez config set database_url …`) and run `postez connect` for each account",
    );
    Ok(())
}
