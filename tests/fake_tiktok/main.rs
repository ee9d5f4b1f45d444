//! `cargo run --example fake-tiktok`: the strict fake TikTok server as a standalone process, for
//! trying postez without a TikTok account and for scripts. It prints
//! `fake TikTok listening on http://127.0.0.1:PORT` on stdout and serves until interrupted,
//! terminated or hung up on (Ctrl-C, `kill`, a closed terminal), then deletes its upload folder.
//!
//! ```text
//! fake-tiktok [--port N] [--client-key K] [--client-secret S] [--unaudited]
//!             [--processing-polls N] [--rate-window-secs N] [--data-dir DIR] [--no-media-check]
//!             [--latency-ms N] [--discard-uploads]
//! ```
//!
//! Then: `POSTEZ_TIKTOK_AUTH_URL=http://127.0.0.1:PORT/v2/auth/authorize/` and
//! `POSTEZ_TIKTOK_API_URL=http://127.0.0.1:PORT`. Faults and state: `/__fake/*` (see `mod.rs`).

#[path = "mod.rs"]
mod fake;

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use fake::{FakeOptions, FakeTikTok};

const USAGE: &str = "usage: fake-tiktok [--port N] [--client-key K] [--client-secret S] \
[--unaudited] [--processing-polls N] [--rate-window-secs N] [--data-dir DIR] [--no-media-check] \
[--latency-ms N] [--discard-uploads]";

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
            "--client-key" => opts.client_key = value("--client-key")?,
            "--client-secret" => opts.client_secret = value("--client-secret")?,
            "--unaudited" => opts.unaudited = true,
            "--no-media-check" => opts.check_media = false,
            "--discard-uploads" => opts.keep_uploads = false,
            "--processing-polls" => {
                let v = value("--processing-polls")?;
                opts.processing_polls =
                    u32::try_from(number("--processing-polls", v)?).map_err(|e| e.to_string())?;
            }
            "--rate-window-secs" => {
                let v = value("--rate-window-secs")?;
                opts.rate_window = Duration::from_secs(number("--rate-window-secs", v)?);
            }
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
            eprintln!("fake-tiktok: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(opts).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fake-tiktok: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(opts: FakeOptions) -> std::io::Result<()> {
    let server = FakeTikTok::start(opts).await?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "fake TikTok listening on {}", server.base_url())?;
    out.flush()?;
    drop(out);
    // `kill %1` (SIGTERM) ends the README demo: the server must still be dropped, so that its
    // temporary upload folder goes too (issue 10: the demo leaves nothing behind).
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
