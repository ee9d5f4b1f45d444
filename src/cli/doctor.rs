//! `postez doctor`: check everything postez needs and say how to fix what is wrong.

use postez::health::{self, Status};
use postez::words::count;
use postez::{Error, Result};

use super::Ctx;

/// Check the setup and explain each problem with its fix
///
/// Checks the settings, the database's integrity, the TikTok app's client key, each account's
/// token store and expiry, the queued videos, YouTube's daily upload quota (the client in use,
/// holds, today's queued uploads against youtube_daily_uploads), whether the runner is installed
/// and recently ran, and the system clock against TikTok's. Exits 0 when nothing failed.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  postez doctor\n  postez doctor --json | jq '.checks[] | select(.status != \"ok\")'"
)]
pub struct DoctorArgs {}

pub async fn exec(ctx: &Ctx, _args: DoctorArgs) -> Result<()> {
    let checks = health::run_checks(&ctx.env, &ctx.paths, ctx.now()).await;
    let failed = checks.iter().filter(|c| c.status == Status::Fail).count();
    let warned = checks.iter().filter(|c| c.status == Status::Warn).count();
    if ctx.out.json() {
        ctx.out
            .print_json(&serde_json::json!({ "healthy": failed == 0, "checks": checks }));
    } else {
        for c in &checks {
            // Pad before styling: escape codes must not count as width.
            let (word, style) = match c.status {
                Status::Ok => ("ok", console::Style::new().green()),
                Status::Warn => ("warn", console::Style::new().yellow()),
                Status::Fail => ("FAIL", console::Style::new().red().bold()),
            };
            let label = style.apply_to(format!("{word:<6}"));
            ctx.out
                .stdout_line(&format!("{label} {:<22} {}", c.name, c.message));
            if let Some(fix) = &c.fix {
                ctx.out
                    .stdout_line(&format!("{:<6} {:<22} fix: {fix}", "", ""));
            }
        }
    }
    if failed > 0 {
        return Err(Error::Unfinished {
            message: format!(
                "{} failed, {}",
                count(failed, "check"),
                count(warned, "warning")
            ),
            hint: Some("fix the items marked FAIL above".into()),
            kind: postez::ErrorKind::Failure,
        });
    }
    Ok(())
}
