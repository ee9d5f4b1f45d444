//! `cargo run --example fake-youtube`: the strict fake YouTube (Google OAuth + Data API) as a
//! standalone process, for trying postez without a Google account and for scripts. It prints
//! `fake YouTube listening on http://127.0.0.1:PORT` on stdout and serves until interrupted,
//! terminated or hung up on, then deletes its upload folder. The sibling of `fake-tiktok`.
//!
//! ```text
//! fake-youtube [--port N] [--client-id ID] [--client-secret S] [--force-private]
//!              [--processing-polls N] [--testing-mode] [--daily-inserts N] [--daily-units N]
//!              [--access-ttl-secs N] [--session-ttl-secs N] [--data-dir DIR] [--latency-ms N]
//!              [--discard-uploads]
//! ```
//!
//! Then: `POSTEZ_YOUTUBE_AUTH_URL=http://127.0.0.1:PORT/o/oauth2/v2/auth`,
//! `POSTEZ_YOUTUBE_TOKEN_URL=…/token`, `POSTEZ_YOUTUBE_REVOKE_URL=…/revoke`,
//! `POSTEZ_YOUTUBE_API_URL=http://127.0.0.1:PORT`. Faults and state: `/__fake/*` (see `mod.rs`).

#[path = "mod.rs"]
mod fake;

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use fake::{FakeOptions, FakeYouTube};

const USAGE: &str = "usage: fake-youtube [--port N] [--client-id ID] [--client-secret S] \
[--force-private] [--processing-polls N] [--testing-mode] [--daily-inserts N] [--daily-units N] \
[--access-ttl-secs N] [--session-ttl-secs N] [--data-dir DIR] [--latency-ms N] [--discard-uploads]";

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Option<FakeOptions>, String> {
    let mut opts = FakeOptions::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        let number = |name: &str, v: String| {
            v.parse::<u64>()
                .map_err(|_| format!("{name}: `{v}` is not a number"))
        };
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--port" => {
                let v = value("--port")?;
                opts.port = u16::try_from(number("--port", v)?).map_err(|e| e.to_string())?;
            }
            "--client-id" => opts.client_id = value("--client-id")?,
            "--client-secret" => opts.client_secret = value("--client-secret")?,
            "--force-private" => opts.force_private = true,
            "--testing-mode" => opts.testing_mode = true,
            "--processing-polls" => {
                let v = value("--processing-polls")?;
                opts.processing_polls =
                    u32::try_from(number("--processing-polls", v)?).map_err(|e| e.to_string())?;
            }
            "--daily-inserts" => {
                let v = value("--daily-inserts")?;
                opts.daily_inserts = number("--daily-inserts", v)?;
            }
            "--daily-units" => {
                let v = value("--daily-units")?;
                opts.daily_units = number("--daily-units", v)?;
            }
            "--access-ttl-secs" => {
                let v = value("--access-ttl-secs")?;
                opts.access_ttl = Duration::from_secs(number("--access-ttl-secs", v)?);
            }
            "--session-ttl-secs" => {
                let v = value("--session-ttl-secs")?;
                opts.session_ttl = Duration::from_secs(number("--session-ttl-secs", v)?);
            }
            "--discard-uploads" => opts.keep_uploads = false,
            "--data-dir" => opts.data_dir = Some(value("--data-dir")?.into()),
            "--latency-ms" => {
                let v = value("--latency-ms")?;
                opts.latency = Duration::from_millis(number("--latency-ms", v)?);
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(Some(opts))
}

#[tokio::main]
async fn main() -> ExitCode {
    let opts = match parse_args(std::env::args().skip(1)) {
        Ok(Some(opts)) => opts,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("fake-youtube: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(opts).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fake-youtube: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(opts: FakeOptions) -> std::io::Result<()> {
    let server = FakeYouTube::start(opts).await?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "fake YouTube listening on {}", server.base_url())?;
    out.flush()?;
    drop(out);
    // SIGTERM and SIGHUP must still drop the server, so that its temporary upload folder goes.
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        let mut hangup = signal(SignalKind::hangup())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r?,
            _ = term.recv() => {}
            _ = hangup.recv() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await?;
    drop(server);
    Ok(())
}
