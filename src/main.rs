//! The `postez` binary: parse the command line, set up logging and the context, run the
//! subcommand on a tokio runtime, render any error, and choose the exit code. Only this file
//! decides how the process exits.

mod cli;

use std::process::ExitCode;

use clap::Parser;
use postez::env::Env;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints usage errors (exit 2) and --help/--version (exit 0) itself.
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    let env = Env::from_process();
    init_logging(&env, &cli.global);
    let ctx = match cli::Ctx::new(env, &cli.global) {
        Ok(ctx) => ctx,
        Err(e) => {
            let out = cli::reporter::Reporter::new(&Env::default(), &cli.global);
            out.error(&e);
            return ExitCode::from(e.kind().exit_code());
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            ctx.out.error(&postez::Error::Io(e));
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::dispatch(cli.command, &ctx)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            ctx.out.error(&e);
            ExitCode::from(e.kind().exit_code())
        }
    }
}

/// Logs go to stderr: warnings by default, `-v` info, `-vv` debug, `-vvv` trace; `RUST_LOG`
/// replaces the filter entirely.
fn init_logging(env: &Env, global: &cli::GlobalArgs) {
    use tracing_subscriber::EnvFilter;
    let level = match (global.quiet, global.verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        _ => "trace",
    };
    let filter = env
        .rust_log
        .as_deref()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new(format!("warn,postez={level}")));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(!env.no_color)
        .with_target(false)
        .try_init();
}
