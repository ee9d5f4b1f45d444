//! `postez run`: publish what is due. What cron calls every few minutes.

use postez::words::{count, verb};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use postez::error::ErrorKind;
use postez::lock::Wait;
use postez::publish::{Engine, RunLock, RunOptions, Summary};
use postez::{Error, Result};

use super::Ctx;
use super::reporter::RunPrinter;

/// Publish the posts that are due
///
/// Meant for cron or a systemd timer (`postez cron install`). Each run takes a lock, so
/// overlapping runs never publish the same post; a second run exits at once. Posts of different
/// accounts upload in parallel. A post interrupted by a crash or Ctrl-C is resumed by the next
/// run; a post that cannot be published now is retried later, with growing pauses.
///
/// On a terminal there are progress bars; otherwise one timestamped line per event, for a log
/// file or cron mail. --json prints one JSON object per event, then a summary.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  */5 * * * * postez run >> ~/postez-run.log 2>&1
  postez run --dry-run
  postez run --watch --interval 1m")]
pub struct RunArgs {
    /// Wait for a running `postez run` to finish instead of exiting
    #[arg(long)]
    pub wait: bool,
    /// Accounts of one platform to publish in parallel (platforms go side by side)
    // 4: most of a post's time is spent waiting for TikTok, and waits overlap (issue 6).
    #[arg(long, default_value_t = 2, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=16))]
    pub jobs: u16,
    /// Check each due post (login, account, video, privacy) without uploading or changing anything
    #[arg(long)]
    pub dry_run: bool,
    /// Keep running and publish posts as they come due
    #[arg(long)]
    pub watch: bool,
    /// With --watch: pause between passes
    #[arg(
        long,
        default_value = "1m",
        value_name = "DURATION",
        requires = "watch"
    )]
    pub interval: String,
    /// Keep checking a processed upload for this long before leaving it to the next run
    #[arg(long, default_value = "2m", value_name = "DURATION")]
    pub poll_for: String,
}

/// A duration from a testing-aid variable: `250ms` or anything `parse_duration` takes.
fn test_duration(text: Option<&str>, default: Duration) -> Result<Duration> {
    match text {
        None => Ok(default),
        Some(t) => match t.strip_suffix("ms").map(str::parse::<u64>) {
            Some(Ok(ms)) => Ok(Duration::from_millis(ms)),
            _ => Ok(postez::when::parse_duration(t)?.to_std().unwrap_or(default)),
        },
    }
}

fn duration(text: &str) -> Result<Duration> {
    Ok(postez::when::parse_duration(text)?
        .to_std()
        .unwrap_or(Duration::ZERO))
}

pub async fn exec(ctx: &Ctx, args: RunArgs) -> Result<()> {
    let options = RunOptions {
        jobs: usize::from(args.jobs),
        dry_run: args.dry_run,
        poll_interval: test_duration(ctx.env.poll_interval.as_deref(), Duration::from_secs(5))?,
        poll_budget: duration(&args.poll_for)?,
        rate_window: test_duration(ctx.env.rate_window.as_deref(), Duration::from_secs(60))?,
        chunk_backoff: test_duration(ctx.env.chunk_backoff.as_deref(), Duration::from_millis(500))?,
        refresh_lock_wait: test_duration(
            ctx.env.refresh_lock_wait.as_deref(),
            postez::auth::REFRESH_LOCK_WAIT,
        )?,
    };
    let interval = duration(&args.interval)?;
    let cancel = Arc::new(AtomicBool::new(false));
    watch_signals(cancel.clone());
    // With --watch, check settings and the database before anything else: the loop would only
    // print their errors. A single pass checks both first anyway, and opening the queue twice
    // was a tenth of an idle run (issue 6). This connection writes nothing, so it leaves
    // checkpointing to the engine's (an idle run then costs no fsync).
    if args.watch {
        ctx.store()?.checkpoint_lazily()?;
    }
    loop {
        let result = pass(ctx, &options, &cancel, args.wait).await;
        if !args.watch || cancel.load(Ordering::SeqCst) {
            return result;
        }
        if let Err(e) = &result {
            ctx.out.error(e);
        }
        let slept = tokio::time::sleep(interval);
        tokio::pin!(slept);
        while !cancel.load(Ordering::SeqCst) && !slept.is_elapsed() {
            tokio::select! {
                _ = &mut slept => {}
                _ = tokio::time::sleep(Duration::from_millis(200)) => {}
            }
        }
        if cancel.load(Ordering::SeqCst) {
            return Err(interrupted());
        }
    }
}

fn interrupted() -> Error {
    Error::Unfinished {
        message: "stopped by a signal; unfinished uploads resume on the next run".into(),
        hint: None,
        kind: ErrorKind::Interrupted,
    }
}

/// SIGINT and SIGTERM: finish the current chunk, leave the post resumable, exit 130.
fn watch_signals(cancel: Arc<AtomicBool>) {
    tokio::spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let (Ok(mut int), Ok(mut term)) = (
                signal(SignalKind::interrupt()),
                signal(SignalKind::terminate()),
            ) else {
                return;
            };
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        cancel.store(true, Ordering::SeqCst);
    });
}

async fn pass(ctx: &Ctx, options: &RunOptions, cancel: &Arc<AtomicBool>, wait: bool) -> Result<()> {
    let Some(_lock) =
        RunLock::acquire(&ctx.paths, if wait { Wait::Forever } else { Wait::No }).await?
    else {
        ctx.out
            .note("another `postez run` is in progress; this one has nothing to do");
        return Ok(());
    };
    let location = ctx.location()?;
    if location.is_shared() {
        // The team key first: a machine with the wrong one claims nothing and records nothing.
        postez::auth::database_store(&ctx.paths, &ctx.env, ctx.config()?)?.probe()?;
    }
    let printer = Arc::new(RunPrinter::new(&ctx.out));
    let engine = Engine {
        paths: ctx.paths.clone(),
        env: ctx.env.clone(),
        config: ctx.config()?.clone(),
        location,
        // Each pass of --watch looks at the clock again (POSTEZ_NOW stays fixed for tests).
        now: if ctx.env.now.is_some() {
            ctx.now()
        } else {
            chrono::Utc::now()
        },
        options: options.clone(),
        progress: postez::publish::logged(printer.clone()),
        cancel: cancel.clone(),
    };
    let summary = engine.run().await?;
    printer.summary(&summary, options.dry_run);
    verdict(&summary)
}

/// The run's exit status as an error (or success), per the README's table.
fn verdict(s: &Summary) -> Result<()> {
    let done = s.published + s.sent;
    match s.error_kind() {
        None => Ok(()),
        Some(ErrorKind::Interrupted) => Err(interrupted()),
        Some(ErrorKind::Partial) => Err(Error::Unfinished {
            message: format!("{} of {} due posts failed", s.failed, s.due.max(s.failed)),
            hint: Some(
                "`postez list --state failed` shows why; `postez retry ID` queues one again".into(),
            ),
            kind: ErrorKind::Partial,
        }),
        // The summary does not say which platform's login is missing: the queue's, while
        // new posts all go to one.
        Some(ErrorKind::NeedsAuth) => Err(match &s.problem {
            // The account's own reason, once, rather than a line per post.
            Some(p) => Error::Unfinished {
                message: format!(
                    "{}; {} {} queued",
                    p.message,
                    count(s.needs_auth as usize, "post"),
                    verb(s.needs_auth as usize, "stays", "stay")
                ),
                hint: p.hint.clone().or_else(|| {
                    Some(format!(
                        "run `postez connect {}`",
                        postez::queue::platform()
                    ))
                }),
                kind: ErrorKind::NeedsAuth,
            },
            None => Error::Unfinished {
                message: format!(
                    "{} {} for a working {} login",
                    count(s.needs_auth as usize, "post"),
                    verb(s.needs_auth as usize, "waits", "wait"),
                    postez::queue::platform().name()
                ),
                hint: Some(format!(
                    "run `postez connect {}`",
                    postez::queue::platform()
                )),
                kind: ErrorKind::NeedsAuth,
            },
        }),
        // A summary gives no Failure or Usage; listed rather than `_`, so a new kind is decided.
        Some(ErrorKind::TryLater | ErrorKind::Failure | ErrorKind::Usage) => {
            Err(Error::Unfinished {
                message: format!(
                    "{} hit a temporary problem and {done} went through; {} queued again",
                    count((s.retrying + s.blocked) as usize, "due post"),
                    verb((s.retrying + s.blocked) as usize, "it is", "they are")
                ),
                hint: Some("nothing to do: the next run tries again".into()),
                kind: ErrorKind::TryLater,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run's summary ends the process with the README's codes, whichever problem came first.
    #[test]
    fn a_summary_maps_to_the_documented_exit_codes() {
        let code = |s: Summary| verdict(&s).err().map_or(0, |e| e.kind().exit_code());
        assert_eq!(code(Summary::default()), 0);
        let retrying = Summary {
            due: 1,
            retrying: 1,
            ..Summary::default()
        };
        assert_eq!(code(retrying.clone()), 75);
        // Something went through: the rest is retried without alarm.
        assert_eq!(
            code(Summary {
                published: 1,
                ..retrying.clone()
            }),
            0
        );
        let needs_auth = Summary {
            needs_auth: 1,
            ..retrying
        };
        assert_eq!(code(needs_auth.clone()), 3);
        let failed = Summary {
            failed: 1,
            ..needs_auth
        };
        assert_eq!(code(failed.clone()), 4);
        assert_eq!(
            code(Summary {
                interrupted: true,
                ..failed
            }),
            130
        );
    }
}
