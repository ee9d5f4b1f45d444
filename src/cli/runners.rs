//! `postez runners`: the machines that ran the shared queue lately, from the queue itself.

use postez::Result;
use postez::error::Error;

use super::Ctx;

/// List the machines that run the shared queue
///
/// In shared mode (POSTEZ_DATABASE_URL or the `database_url` setting) every `postez run`
/// records itself: its host, process, version and a heartbeat it renews while it works, and
/// the accounts it holds a lease on right now. A runner silent for longer than the lease while
/// holding posts has stopped or lost its network; `postez doctor` reports those leases, and the
/// next run takes the accounts over.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  postez runners\n  postez runners --days 7 --json")]
pub struct RunnersArgs {
    /// How far back to look, in days
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub days: u32,
}

pub fn exec(ctx: &Ctx, args: RunnersArgs) -> Result<()> {
    let store = ctx.store()?;
    if !store.is_shared() {
        return Err(Error::config(
            "`postez runners` lists the machines of a shared queue; this queue is on this machine alone",
            Some(
                "set POSTEZ_DATABASE_URL (or `postez config set database_url …`) to use a shared queue; \
                 `postez doctor` shows this machine's runner"
                    .into(),
            ),
        ));
    }
    let runners = store.runners(i64::from(args.days.max(1)))?;
    if ctx.out.json() {
        ctx.out
            .print_json(&serde_json::to_value(&runners).unwrap_or_default());
        return Ok(());
    }
    if runners.is_empty() {
        ctx.out.note(&format!(
            "no runner ran in the last {} day(s)",
            args.days.max(1)
        ));
        return Ok(());
    }
    for r in &runners {
        let state = match &r.finished_at {
            Some(_) => format!("finished, last seen {}s ago", r.silent_for),
            None => format!("running, heartbeat {}s ago", r.silent_for),
        };
        let holds = if r.holds.is_empty() {
            "holds nothing".to_string()
        } else {
            format!("holds {}", r.holds.join(", "))
        };
        ctx.out.stdout_line(&format!(
            "{}  pid {}  postez {}  {state}  {holds}",
            r.host, r.pid, r.version
        ));
    }
    Ok(())
}
