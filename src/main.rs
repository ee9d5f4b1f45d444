//! The `postez` binary: parse the command line, set up logging and the context, run the
//! subcommand on a tokio runtime, render any error, and choose the exit code. Only this file
//! decides how the process exits.

mod cli;

use std::process::ExitCode;

use clap::Parser;
use postez::env::Env;

fn main() -> ExitCode {
    // Before anything holds a secret: no core file may carry one.
    postez::secrets::protect_process();
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints usage errors (exit 2) and --help/--version (exit 0) itself.
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    let env = Env::from_process();
    let ctx = match cli::Ctx::new(env, &cli.global) {
        Ok(ctx) => ctx,
        Err(e) => {
            let out = cli::reporter::Reporter::new(&Env::default(), &cli.global);
            out.error(&e);
            return ExitCode::from(e.kind().exit_code());
        }
    };
    // `run` also keeps a log file, for the runs nobody watches.
    let log_file = matches!(cli.command, cli::Command::Run(_))
        .then(|| postez::logs::RotatingFile::open(&ctx.paths.log_dir()).ok())
        .flatten();
    init_logging(&cli.global, &ctx, log_file);
    // `list` only reads the queue: starting worker threads cost it about 0.5 ms, a tenth of
    // its first page, for nothing to overlap. Other commands keep them (the keychain is called
    // on a worker, `run` publishes accounts in parallel).
    let mut builder = if matches!(cli.command, cli::Command::List(_)) {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(2);
        builder
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            ctx.out.error(&postez::Error::Io(e));
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(cli::dispatch(cli.command, &ctx));
    // Output that did not reach its file is a failure even when the command did its work
    // (`export > file` on a full disk); the command's own error, if any, says more.
    let written = ctx.out.finish();
    match result.and(written) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            ctx.out.error(&e);
            ExitCode::from(e.kind().exit_code())
        }
    }
}

/// Logs go to stderr (warnings by default, `-v` info, `-vv` debug, `-vvv` trace; `RUST_LOG`
/// replaces the filter) and, for `run`, to the log file at info level (debug with `-vv`). Every
/// line passes postez's redaction first. Colors follow the reporter's decision (`--color`, TTY,
/// NO_COLOR), so stderr sent to a file or pipe gets no escape codes.
fn init_logging(
    global: &cli::GlobalArgs,
    ctx: &cli::Ctx,
    file: Option<postez::logs::RotatingFile>,
) {
    use postez::logs::{RedactingWriter, Target};
    use tracing_subscriber::EnvFilter;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::{Layer, fmt};

    let level = match (global.quiet, global.verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        _ => "trace",
    };
    let filter = |default: &str| {
        ctx.env
            .rust_log
            .as_deref()
            .and_then(|f| EnvFilter::try_new(f).ok())
            .unwrap_or_else(|| EnvFilter::new(format!("warn,postez={default}")))
    };
    let json = global.log_format == cli::LogFormat::Json;
    let stderr = fmt::layer()
        .with_writer(|| RedactingWriter::new(Target::Stderr))
        .with_ansi(ctx.out.color() && !json)
        .with_target(false);
    let stderr = if json {
        stderr.json().with_filter(filter(level)).boxed()
    } else {
        stderr.with_filter(filter(level)).boxed()
    };
    let file = file.map(|file| {
        // The subscriber lives as long as the process: leaking the file handle is deliberate.
        let file: &'static postez::logs::RotatingFile = Box::leak(Box::new(file));
        let layer = fmt::layer()
            .with_writer(move || RedactingWriter::new(Target::File(file)))
            .with_ansi(false)
            .with_target(false);
        let file_level = if global.verbose >= 2 { "debug" } else { "info" };
        if json {
            layer.json().with_filter(filter(file_level)).boxed()
        } else {
            layer.with_filter(filter(file_level)).boxed()
        }
    });
    let _ = tracing_subscriber::registry()
        .with(stderr)
        .with(file)
        .try_init();
}
