//! `postez cron`: install, remove or show the runner that starts `postez run` every few minutes.
//! The unit texts, the crontab edits and the detection live in `postez::runner`; this file turns
//! their results into lines.

use chrono::{DateTime, Utc};
use postez::Result;
use postez::runner::{self, Installation, Kind, Runner, Spec};
use postez::store::RunRecord;
use serde_json::{Value, json};

use super::Ctx;

/// Start `postez run` on time: a systemd user timer, else a crontab line
///
/// `install` uses a systemd user timer where `systemctl --user` works: it runs inside your
/// session, where the keychain is reachable. Elsewhere it adds one line to your crontab; cron runs
/// outside any session, so a headless machine should keep its tokens in the encrypted file
/// (`postez connect tiktok --token-store file`, with the `passphrase_command` setting). Every run
/// is recorded, and `show` tells when the last one was.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  postez cron install
  postez cron install --every 10 --crontab
  postez cron show
  postez cron show --json
  postez cron remove")]
pub struct CronArgs {
    #[command(subcommand)]
    pub action: Action,
}

/// What to do with the runner.
#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Install the runner, replacing any earlier one
    Install {
        /// Minutes between runs (1-60)
        #[arg(long, value_name = "MINUTES", default_value_t = runner::DEFAULT_EVERY,
              value_parser = clap::value_parser!(u8).range(1..=60))]
        every: u8,
        /// Use a crontab line even where a systemd user timer would work
        #[arg(long)]
        crontab: bool,
    },
    /// Remove the runner: the systemd timer and the crontab line, whichever exist
    Remove,
    /// Show which runner is installed, its schedule, and the last run
    Show,
}

pub fn exec(ctx: &Ctx, args: CronArgs) -> Result<()> {
    let runner = Runner::for_env(&ctx.env)?;
    match args.action {
        Action::Install { every, crontab } => install(ctx, &runner, every, crontab),
        Action::Remove => remove(ctx, &runner),
        Action::Show => show(ctx, &runner),
    }
}

fn install(ctx: &Ctx, runner: &Runner, every: u8, crontab: bool) -> Result<()> {
    let spec = Spec::new(&std::env::current_exe()?, every, &ctx.env, &ctx.paths)?;
    let file_store = [&ctx.env.token_store, &ctx.config()?.token_store]
        .into_iter()
        .flatten()
        .next()
        .is_some_and(|s| s == "file");
    let done = runner.install(&spec, crontab)?;
    if let Some(why) = done.systemd_unavailable.as_ref().filter(|_| !crontab) {
        ctx.out
            .note(&format!("No systemd user session ({why}); using cron."));
    }
    for old in &done.replaced {
        ctx.out
            .status("Removed", &format!("{} (replaced)", title(old)));
    }
    let new = &done.installed;
    ctx.out.status(
        "Installed",
        &format!(
            "{}: `postez run` every {}",
            title(new),
            runner::minutes(every)
        ),
    );
    note_locations(ctx, new);
    if let Some(why) = &done.systemd_unavailable
        && done.replaced.iter().any(|old| old.kind == Kind::Systemd)
    {
        ctx.out.warn(&unreachable(why));
    }
    let has_command = ctx.config()?.passphrase_command.is_some();
    for name in spec.left_out() {
        // Unit files and crontabs are plain text; the token file's promise is encryption at rest.
        let instead = match *name {
            "POSTEZ_PASSPHRASE" if has_command => {
                "runs get the passphrase from `passphrase_command`"
            }
            "POSTEZ_PASSPHRASE" => {
                "runs cannot open the token file without it: set `passphrase_command` (e.g. \
                 `postez config set passphrase_command 'pass show postez'`)"
            }
            "POSTEZ_DATABASE_URL" => {
                "it holds a password: give the service that variable yourself (systemd's \
                 `EnvironmentFile=`, a file only you can read), or set `database_url` without a \
                 password for a server that needs none"
            }
            _ => "runs use the one `postez connect` saved in the token store",
        };
        ctx.out.warn(&format!(
            "{name} is a secret and is not written into the runner; {instead}"
        ));
    }
    if file_store && !has_command && !spec.left_out().contains(&"POSTEZ_PASSPHRASE") {
        ctx.out.warn(
            "runs cannot open the encrypted token file: no passphrase reaches them; set \
             `passphrase_command` (e.g. `postez config set passphrase_command 'pass show postez'`)",
        );
    }
    match new.kind {
        Kind::Systemd => ctx.out.note(
            "The timer runs while you are logged in; to publish while logged out, see \
             `loginctl enable-linger` and the encrypted token file.",
        ),
        Kind::Crontab if !file_store => ctx.out.note(&format!(
            "Cron runs outside your login session, where the keychain may be locked; on a \
             headless machine use `postez connect {} --token-store file` and the \
             `passphrase_command` setting.",
            postez::queue::platform()
        )),
        Kind::Crontab => {}
    }
    if ctx.out.json() {
        ctx.out.print_json(&to_json(Some(new)));
    }
    Ok(())
}

fn remove(ctx: &Ctx, runner: &Runner) -> Result<()> {
    let done = runner.remove()?;
    for old in &done.removed {
        ctx.out.status("Removed", &title(old));
        note_locations(ctx, old);
    }
    if done.removed.is_empty() {
        ctx.out.note("No runner is installed; nothing to remove.");
    }
    if let Some(why) = &done.systemd_unreachable {
        ctx.out.warn(&unreachable(why));
    }
    if ctx.out.json() {
        let removed: Vec<Value> = done.removed.iter().map(|i| to_json(Some(i))).collect();
        ctx.out.print_json(&json!({ "removed": removed }));
    }
    Ok(())
}

fn show(ctx: &Ctx, runner: &Runner) -> Result<()> {
    let found = runner.status();
    let last = ctx.store()?.last_run()?;
    if ctx.out.json() {
        let mut value = to_json(found.first());
        value["last_run"] = last.as_ref().map_or(Value::Null, run_json);
        ctx.out.print_json(&value);
        return Ok(());
    }
    if found.is_empty() {
        ctx.out
            .stdout_line("runner     none; install one with `postez cron install`");
    }
    for it in &found {
        let every = it.every_minutes.map_or_else(
            || format!("at {}", it.schedule),
            |n| format!("every {}", runner::minutes(n)),
        );
        ctx.out
            .stdout_line(&format!("runner     {}, {every}", title(it)));
        let mut previous = "";
        for (label, value) in locations(it) {
            let shown = if label == previous { "" } else { label };
            ctx.out.stdout_line(&format!("{shown:<10} {value}"));
            previous = label;
        }
    }
    let now = ctx.now();
    let line = last
        .as_ref()
        .map_or_else(|| "never ran".into(), |r| describe(r, now));
    ctx.out.stdout_line(&format!("last run   {line}"));
    // A runner that stopped ticking is the failure nobody notices; say so.
    if let (Some(it), Some(run)) = (found.first(), &last) {
        let every = i64::from(it.every_minutes.unwrap_or(60));
        if now - run.started_at > chrono::Duration::minutes(3 * every + 2) {
            let look = match (&it.kind, &it.log) {
                (Kind::Crontab, Some(log)) => format!("see {}", log.display()),
                (Kind::Crontab, None) => "see `crontab -l` and cron's log".into(),
                (Kind::Systemd, _) => format!("see `journalctl --user -u {}`", runner::SERVICE),
            };
            ctx.out.warn(&format!(
                "the runner has not run for {}; {look}",
                postez::when::relative(run.started_at, now).trim_end_matches(" ago")
            ));
        }
    }
    Ok(())
}

/// The unit files went, but a session we could not reach may still have the timer loaded.
fn unreachable(why: &str) -> String {
    format!(
        "systemctl --user did not answer ({why}); a timer loaded in a running session stops \
         after `systemctl --user daemon-reload` or your next log-in"
    )
}

/// "systemd user timer postez-run.timer" or "crontab line".
fn title(it: &Installation) -> String {
    match it.kind {
        Kind::Systemd => format!("systemd user timer {}", runner::TIMER),
        Kind::Crontab => "crontab line".into(),
    }
}

/// Where it lives, as (label, value): the unit files, or the crontab line and its log.
fn locations(it: &Installation) -> Vec<(&'static str, String)> {
    let mut lines: Vec<_> = (it.files.iter())
        .map(|f| ("files", f.display().to_string()))
        .collect();
    lines.extend(it.line.iter().map(|l| ("line", l.clone())));
    lines.extend(it.log.iter().map(|l| ("log", l.display().to_string())));
    lines
}

/// The lines under a status line: values aligned with its message.
fn note_locations(ctx: &Ctx, it: &Installation) {
    for (label, value) in locations(it) {
        let value = if label == "log" {
            format!("log: {value}")
        } else {
            value
        };
        ctx.out.note(&format!("{:>12} {value}", ""));
    }
}

/// "3m ago, published 1, failed 0".
fn describe(run: &RunRecord, now: DateTime<Utc>) -> String {
    let ago = postez::when::relative(run.started_at, now);
    match (run.finished_at, run.exit_code) {
        (None, _) => format!("{ago}, not finished (still running, or it was killed)"),
        (Some(_), code) => {
            let exit = code
                .filter(|c| *c != 0)
                .map(|c| format!(", exit {c}"))
                .unwrap_or_default();
            format!(
                "{ago}, published {}, failed {}{exit}",
                run.published, run.failed
            )
        }
    }
}

fn to_json(it: Option<&Installation>) -> Value {
    json!({
        "kind": it.map(|i| i.kind.as_str()),
        "schedule": it.map(|i| i.schedule.as_str()),
        "every_minutes": it.and_then(|i| i.every_minutes),
        "command": it.map(|i| i.command.as_str()),
        "files": it.map_or_else(Vec::new, |i| i.files.clone()),
        "line": it.and_then(|i| i.line.as_deref()),
        "log": it.and_then(|i| i.log.as_ref()),
    })
}

fn run_json(run: &RunRecord) -> Value {
    let time = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    json!({
        "started_at": time(run.started_at),
        "finished_at": run.finished_at.map(time),
        "due": run.due,
        "published": run.published,
        "failed": run.failed,
        "exit_code": run.exit_code,
    })
}
