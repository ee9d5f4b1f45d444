//! The only writer to the terminal. It decides once, at start-up, whether stdout and stderr are
//! terminals, whether colors are on, whether prompts and progress bars may be shown, and whether
//! output is JSON. Results go to stdout; status lines, warnings and errors go to stderr.
//!
//! The two streams are injected (like gh's iostreams or uv's printer): the process's own for a
//! real run, memory for tests ([`Reporter::capture`]), so output is tested in-process. Every
//! write is checked: a closed pipe (`postez list | head`) ends the output quietly, any other
//! failure (a full disk under `postez export > file`) is kept and becomes the command's error
//! when it ends ([`Reporter::finish`]).
//!
//! JSON output (`--json`) is a contract, documented in the README:
//! - `schedule`, `show`, `edit`, `cancel`, `retry` print one post object;
//! - `list` and `import` print an array of post objects;
//! - `config list` prints an object of settings.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex, PoisonError};

mod bar;

use console::Style;
use postez::Error;
use postez::env::Env;

use super::{ColorChoice, GlobalArgs};

/// Whether stdin may be read. A background job (`postez connect … &` in an interactive shell)
/// that reads its terminal is stopped by the kernel (SIGTTIN, "Stopped (tty input)"), and would
/// take lines pasted for the commands after it. So a terminal is read only while postez is its
/// foreground job (issue 10); a file or pipe always.
pub fn stdin_is_ours() -> bool {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return true;
    }
    #[cfg(unix)]
    {
        rustix::termios::tcgetpgrp(&stdin).is_ok_and(|fg| fg == rustix::process::getpgrp())
    }
    #[cfg(not(unix))]
    true
}

/// Where output goes: the process's stdout or stderr, or a buffer in tests.
type Sink = Box<dyn Write + Send>;

/// The two streams, shared by the reporter and the run's event printer (which the engine
/// calls from its tasks).
struct Streams {
    out: Mutex<Sink>,
    err: Mutex<Sink>,
    /// The first write error that was not a closed pipe.
    failure: Mutex<Option<std::io::Error>>,
}

/// Which of the two streams.
#[derive(Clone, Copy)]
enum To {
    Out,
    Err,
}

impl Streams {
    fn new(out: Sink, err: Sink) -> Arc<Self> {
        Arc::new(Self {
            out: Mutex::new(out),
            err: Mutex::new(err),
            failure: Mutex::new(None),
        })
    }

    /// Write `text` and a line break to one stream, whole or not at all as far as the caller
    /// cares: a failure is recorded, never returned (an event printer cannot stop the engine).
    fn line(&self, to: To, text: &str) {
        let sink = match to {
            To::Out => &self.out,
            To::Err => &self.err,
        };
        let mut sink = sink.lock().unwrap_or_else(PoisonError::into_inner);
        let result = sink
            .write_all(text.as_bytes())
            .and_then(|()| sink.write_all(b"\n"));
        drop(sink);
        self.check(result);
    }

    /// Keep the first error worth reporting. A closed pipe is the reader's choice (`| head`),
    /// as quiet as it always was.
    fn check(&self, result: std::io::Result<()>) {
        if let Err(e) = result
            && e.kind() != std::io::ErrorKind::BrokenPipe
        {
            let mut failure = self.failure.lock().unwrap_or_else(PoisonError::into_inner);
            failure.get_or_insert(e);
        }
    }

    /// Flush both streams (what is still buffered can fail too) and hand over the first error.
    fn finish(&self) -> Option<std::io::Error> {
        for sink in [&self.out, &self.err] {
            let result = sink.lock().unwrap_or_else(PoisonError::into_inner).flush();
            self.check(result);
        }
        self.failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

/// Screen decisions, made once, and the two streams they apply to.
pub struct Reporter {
    streams: Arc<Streams>,
    json: bool,
    color: bool,
    quiet: bool,
    stdout_tty: bool,
    /// Columns of the terminal stdout is, if it is one.
    stdout_width: Option<usize>,
    can_prompt: bool,
    progress: bool,
}

impl std::fmt::Debug for Reporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reporter")
            .field("json", &self.json)
            .field("color", &self.color)
            .field("quiet", &self.quiet)
            .field("stdout_tty", &self.stdout_tty)
            .field("can_prompt", &self.can_prompt)
            .field("progress", &self.progress)
            .finish_non_exhaustive()
    }
}

impl Reporter {
    /// Decide everything from the environment and the global flags; write to the process's
    /// stdout and stderr.
    pub fn new(env: &Env, global: &GlobalArgs) -> Self {
        let stdout_tty = std::io::stdout().is_terminal();
        let stderr_tty = std::io::stderr().is_terminal();
        let stdin_tty = std::io::stdin().is_terminal();
        let dumb = env.term.as_deref() == Some("dumb");
        let color = colors(global.color, stderr_tty, env);
        // For what draws by itself: prompts, progress bars, the few styled table cells.
        console::set_colors_enabled(color);
        console::set_colors_enabled_stderr(color);
        Self {
            streams: Streams::new(Box::new(std::io::stdout()), Box::new(std::io::stderr())),
            json: global.json,
            color,
            quiet: global.quiet,
            stdout_tty,
            stdout_width: console::Term::stdout()
                .size_checked()
                .map(|(_, cols)| usize::from(cols)),
            can_prompt: stdin_tty && stderr_tty && stdin_is_ours(),
            progress: stderr_tty && !global.quiet && !global.json && !dumb && !env.ci,
        }
    }

    /// A reporter writing into memory, for tests: no terminal, no colors unless `color`, no
    /// prompts, no bars.
    #[cfg(test)]
    pub fn capture(json: bool, color: bool) -> (Self, Captured) {
        let captured = Captured::default();
        let out = Box::new(Shared(captured.out.clone()));
        let err = Box::new(Shared(captured.err.clone()));
        (Self::with_sinks(out, err, json, color), captured)
    }

    /// A reporter writing to the given sinks, decided as for a pipe.
    #[cfg(test)]
    fn with_sinks(out: Sink, err: Sink, json: bool, color: bool) -> Self {
        Self {
            streams: Streams::new(out, err),
            json,
            color,
            quiet: false,
            stdout_tty: false,
            stdout_width: None,
            can_prompt: false,
            progress: false,
        }
    }

    /// Stop writing results and status lines; report a failed write.
    ///
    /// Flushes both streams and returns the first write error that was not a closed pipe, as
    /// [`Error::Output`]: called once the command is done, so `postez export > file` on a full
    /// disk fails instead of leaving truncated JSON behind a success.
    pub fn finish(&self) -> postez::Result<()> {
        match self.streams.finish() {
            Some(source) => Err(Error::Output { source }),
            None => Ok(()),
        }
    }

    /// `--json` was given.
    pub fn json(&self) -> bool {
        self.json
    }

    /// Colors (ANSI escapes) on stderr: `--color always`, or `auto` on a terminal without
    /// NO_COLOR. Log lines follow it too, so a file or pipe gets plain text.
    pub fn color(&self) -> bool {
        self.color
    }

    /// A person is at the terminal to answer questions.
    pub fn can_prompt(&self) -> bool {
        self.can_prompt
    }

    /// Progress bars may be drawn.
    #[allow(dead_code)]
    pub fn progress(&self) -> bool {
        self.progress
    }

    /// stdout is a terminal (tables with relative times) rather than a pipe (TSV).
    pub fn stdout_is_tty(&self) -> bool {
        self.stdout_tty
    }

    /// The width of the terminal stdout is, when it is one.
    pub fn stdout_width(&self) -> Option<usize> {
        self.stdout_width
    }

    /// A style that follows this reporter's color decision, not the process-wide one.
    fn style(&self, style: Style) -> Style {
        style.force_styling(self.color)
    }

    /// Print a JSON value on stdout.
    pub fn print_json(&self, value: &serde_json::Value) {
        let text = serde_json::to_string_pretty(value).unwrap_or_else(|_| "null".into());
        self.stdout_line(&text);
    }

    /// What `cancel gN` / `retry gN` did to each post of `group`: a line per post (`done`
    /// words a post the command changed), or one `{group, results}` document with `--json`.
    /// Returns how many posts changed, and the last refusal.
    pub fn group_outcomes(
        &self,
        group: postez::post::GroupId,
        outcomes: Vec<(postez::post::PostId, postez::Result<postez::post::Post>)>,
        done: impl Fn(&postez::post::Post) -> String,
    ) -> (usize, Option<Error>) {
        let mut results = Vec::with_capacity(outcomes.len());
        let mut changed = 0;
        let mut last_error = None;
        for (id, outcome) in outcomes {
            match outcome {
                Ok(after) => {
                    changed += 1;
                    if !self.json() {
                        self.stdout_line(&done(&after));
                    }
                    results
                        .push(serde_json::json!({"id": id, "done": true, "post": after.to_json()}));
                }
                Err(e) => {
                    if !self.json() {
                        self.stdout_line(&format!("Left post {id} as it is: {e}"));
                    }
                    results
                        .push(serde_json::json!({"id": id, "done": false, "error": e.to_string()}));
                    last_error = Some(e);
                }
            }
        }
        if self.json() {
            self.print_json(&serde_json::json!({"group": group.to_string(), "results": results}));
        }
        (changed, last_error)
    }

    /// Print a JSON array whose elements are made one at a time: the text `print_json` gives
    /// for the whole array, without every element's tree in memory at once (`list --json`:
    /// fresh memory for a page of trees cost about as much as the page's query).
    pub fn print_json_array(&self, items: impl IntoIterator<Item = serde_json::Value>) {
        use serde::ser::{SerializeSeq, Serializer};
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        let mut json = serde_json::Serializer::pretty(&mut out);
        // Like `stdout_line`, a closed pipe (`postez list --json | head`) is not reported.
        let _ = json.serialize_seq(None).and_then(|mut seq| {
            for item in items {
                seq.serialize_element(&item)?;
            }
            seq.end()
        });
        let _ = writeln!(out).and_then(|()| out.flush());
    }

    /// Print one line of result on stdout.
    pub fn stdout_line(&self, line: &str) {
        self.streams.line(To::Out, line);
    }

    /// A cargo-style status line on stderr: a right-aligned green verb, then the message.
    pub fn status(&self, verb: &str, message: &str) {
        if self.quiet {
            return;
        }
        let style = self.style(Style::new().green().bold());
        self.stderr_line(&format!("{:>12} {message}", style.apply_to(verb)));
    }

    /// A warning on stderr (shown even with `--json`, never with `--quiet`).
    pub fn warn(&self, message: &str) {
        if self.quiet {
            return;
        }
        let style = self.style(Style::new().yellow().bold());
        self.stderr_line(&format!("{} {message}", style.apply_to("warning:")));
    }

    /// A plain note on stderr.
    pub fn note(&self, message: &str) {
        if !self.quiet {
            self.stderr_line(message);
        }
    }

    /// Render an error: `error: …`, each cause, then `hint: …`.
    pub fn error(&self, err: &Error) {
        let red = self.style(Style::new().red().bold());
        let mut text = format!("{} {}", red.apply_to("error:"), printable(&err.to_string()));
        let mut source = std::error::Error::source(err);
        while let Some(cause) = source {
            let line = printable(&cause.to_string());
            // thiserror's `transparent` repeats the message; don't print it twice.
            if !text.contains(&line) {
                text.push_str(&format!("\n  caused by: {line}"));
            }
            source = cause.source();
        }
        if let Some(hint) = err.hint() {
            let cyan = self.style(Style::new().cyan().bold());
            text.push_str(&format!(
                "\n{} {}",
                cyan.apply_to("hint:"),
                printable(&hint)
            ));
        }
        self.stderr_line(&text);
    }

    fn stderr_line(&self, line: &str) {
        self.streams.line(To::Err, line);
    }
}

/// Whether stderr gets colors: `--color always`/`never`, or on a terminal unless NO_COLOR is
/// set or TERM is `dumb`.
fn colors(choice: ColorChoice, stderr_tty: bool, env: &Env) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => stderr_tty && !env.no_color && env.term.as_deref() != Some("dumb"),
    }
}

/// What a [`Reporter::capture`] reporter wrote on each stream.
#[cfg(test)]
#[derive(Clone, Default)]
pub struct Captured {
    out: Arc<Mutex<Vec<u8>>>,
    err: Arc<Mutex<Vec<u8>>>,
}

#[cfg(test)]
impl Captured {
    /// stdout so far.
    pub fn out(&self) -> String {
        String::from_utf8_lossy(&self.out.lock().unwrap()).into_owned()
    }

    /// stderr so far.
    pub fn err(&self) -> String {
        String::from_utf8_lossy(&self.err.lock().unwrap()).into_owned()
    }
}

/// A buffer one stream writes into, shared with the test that reads it.
#[cfg(test)]
struct Shared(Arc<Mutex<Vec<u8>>>);

#[cfg(test)]
impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Error text as it may reach a terminal: control characters (escape sequences from a URL, a
/// server or a file) are shown escaped, never obeyed. Line breaks and tabs stay.
fn printable(text: &str) -> String {
    if !text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return text.to_string();
    }
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Questions asked at the terminal. Callers check [`Reporter::can_prompt`] first.
impl Reporter {
    /// Ask for a privacy level among `options`, with nothing preselected (TikTok's rule).
    pub fn select_privacy(
        &self,
        options: &[postez::post::Privacy],
    ) -> postez::Result<postez::post::Privacy> {
        let labels: Vec<String> = options
            .iter()
            .map(|p| format!("{} ({})", p.label(), p.as_str()))
            .collect();
        // No `.default(…)`: TikTok requires a manual choice with no default, and dialoguer's
        // Select then starts with no item under the cursor (Enter does nothing until one is
        // picked). tests/cli/direct_post.rs checks this in a real terminal.
        let choice = dialoguer::Select::new()
            .with_prompt("Who can see this post?")
            .items(&labels)
            .interact_opt()
            .map_err(prompt_error)?;
        choice
            .and_then(|i| options.get(i).copied())
            .ok_or(Error::Aborted)
    }

    /// Ask a yes/no question; no is the default.
    pub fn confirm(&self, question: &str) -> postez::Result<bool> {
        dialoguer::Confirm::new()
            .with_prompt(question)
            .default(false)
            .interact()
            .map_err(prompt_error)
    }
}

fn prompt_error(e: dialoguer::Error) -> Error {
    match e {
        dialoguer::Error::IO(io) if io.kind() == std::io::ErrorKind::Interrupted => Error::Aborted,
        dialoguer::Error::IO(io) => Error::Io(io),
    }
}

/// More questions, and output that ignores `--quiet` because a script needs it.
impl Reporter {
    /// Ask for a line of text.
    pub fn ask_text(&self, prompt: &str) -> postez::Result<String> {
        dialoguer::Input::<String>::new()
            .with_prompt(prompt)
            .interact_text()
            .map_err(prompt_error)
    }

    /// Ask for a secret without echoing it; `confirm` asks twice (new passphrases).
    pub fn ask_secret(
        &self,
        prompt: &str,
        confirm: bool,
    ) -> postez::Result<postez::secrets::Secret> {
        let mut input = dialoguer::Password::new().with_prompt(prompt);
        if confirm {
            input = input.with_confirmation("Repeat it", "the two entries differ");
        }
        input
            .interact()
            .map(postez::secrets::Secret::new)
            .map_err(prompt_error)
    }

    /// A line on stderr that is printed even with `--quiet` (the login URL).
    pub fn note_always(&self, line: &str) {
        self.stderr_line(line);
    }
}

/// How `postez run` shows its events: progress bars on a terminal, one timestamped line per
/// event otherwise (cron, pipes), or JSON Lines with `--json`:
/// `{"type":"started","data":{"id":3,"file":"clip.mp4","bytes":123,"account":"…","offset":0}}`,
/// preceded by `claimed` (`count`), then `milestone` (`percent`), `processing`, `published`
/// (`post_id`), `uploaded` (held by the platform until `public_at`: `post_id`, `public_at`,
/// `late`), `sent_to_inbox` (`caption`: to paste in the app, or null), `failed` (`code`,
/// `message`, `hint`), `retrying` (`message`, `next_attempt_at`), `blocked` (`message`, `hint`),
/// `held` (one per account: `account`, `ids`, `code`, `message`, `hint`, `until` or null),
/// `still_processing`, `interrupted`, `adjusted` (`message`),
/// `would_publish` (`message`), and last `summary` (`due`, `published`, `uploaded`, `sent_to_inbox`,
/// `failed`, `retrying`, `needs_auth`, `blocked`, `processing`).
pub struct RunPrinter {
    mode: RunMode,
    quiet: bool,
    color: bool,
    streams: Arc<Streams>,
    bars: std::sync::Mutex<std::collections::HashMap<i64, bar::UploadBar>>,
    /// The overall "posts done" line (terminal only).
    overall: std::sync::Mutex<Option<indicatif::ProgressBar>>,
}

enum RunMode {
    Json,
    Lines,
    Bars(indicatif::MultiProgress),
}

impl RunPrinter {
    /// Choose the mode from the reporter's decisions.
    pub fn new(out: &Reporter) -> Self {
        let mode = if out.json {
            RunMode::Json
        } else if out.progress {
            RunMode::Bars(indicatif::MultiProgress::with_draw_target(
                indicatif::ProgressDrawTarget::stderr(),
            ))
        } else {
            RunMode::Lines
        };
        Self {
            mode,
            quiet: out.quiet,
            color: out.color,
            streams: out.streams.clone(),
            bars: std::sync::Mutex::new(std::collections::HashMap::new()),
            overall: std::sync::Mutex::new(None),
        }
    }

    /// One more post reached its end for this run.
    fn tick(&self) {
        if let Ok(overall) = self.overall.lock()
            && let Some(bar) = overall.as_ref()
        {
            bar.inc(1);
        }
    }

    fn line(&self, post: &postez::publish::Subject, text: &str, important: bool) {
        if self.quiet && !important {
            return;
        }
        match &self.mode {
            RunMode::Json => {}
            RunMode::Lines => {
                let stamp = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                let line = format!("{stamp} post {} {}: {text}", post.id, post.file);
                self.streams.line(To::Err, &line);
            }
            RunMode::Bars(multi) => {
                let _ = multi.println(format!("post {} {}: {text}", post.id, post.file));
            }
        }
    }

    /// A line about an account rather than one post (always shown: posts wait).
    fn account_line(&self, account: &str, text: &str) {
        match &self.mode {
            RunMode::Json => {}
            RunMode::Lines => {
                let stamp = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                self.streams
                    .line(To::Err, &format!("{stamp} account {account}: {text}"));
            }
            RunMode::Bars(multi) => {
                let _ = multi.println(format!("account {account}: {text}"));
            }
        }
    }

    /// One JSON line on stdout (`--json`). Through `Value`, whose keys are sorted: the lines
    /// stay byte for byte what they were when they were built by hand.
    fn json(&self, line: &impl serde::Serialize) {
        if let RunMode::Json = self.mode {
            // Cannot fail: every key is a string and every value serializes.
            let text = serde_json::to_value(line).unwrap_or_default().to_string();
            self.streams.line(To::Out, &text);
        }
    }

    fn finish_bar(&self, id: i64) {
        let bar = self.bars.lock().ok().and_then(|mut b| b.remove(&id));
        if let Some(bar) = bar {
            bar.finish();
        }
    }

    fn finish_overall(&self) {
        if let Ok(mut overall) = self.overall.lock()
            && let Some(bar) = overall.take()
        {
            bar.finish_and_clear();
        }
    }

    /// The run's last words.
    pub fn summary(&self, s: &postez::publish::Summary, dry_run: bool) {
        self.finish_overall();
        self.json(&SummaryLine::Summary {
            due: s.due,
            published: s.published,
            uploaded: s.uploaded,
            sent_to_inbox: s.sent,
            failed: s.failed,
            retrying: s.retrying,
            needs_auth: s.needs_auth,
            blocked: s.blocked,
            processing: s.processing,
            dry_run,
        });
        if matches!(self.mode, RunMode::Json) || (self.quiet && s.failed == 0) {
            return;
        }
        let text = if s.due == 0 && s.failed == 0 {
            "nothing was due".to_string()
        } else {
            let parts = [
                (s.published, "published"),
                (s.uploaded, "uploaded ahead"),
                (s.sent, "sent to the inbox"),
                (s.failed, "failed"),
                (s.retrying, "to retry"),
                (s.needs_auth, "waiting for a login"),
                (s.blocked, "held back"),
                (s.processing, "still processing"),
            ];
            let list: Vec<String> = parts
                .iter()
                .filter(|(n, _)| *n > 0)
                .map(|(n, what)| format!("{n} {what}"))
                .collect();
            format!(
                "{} due: {}",
                s.due,
                if list.is_empty() {
                    "nothing to do".into()
                } else {
                    list.join(", ")
                }
            )
        };
        let stamp = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let line = match &self.mode {
            RunMode::Lines => format!("{stamp} run: {text}"),
            _ => {
                let done = Style::new().green().bold().force_styling(self.color);
                format!("{:>12} {text}", done.apply_to("Done"))
            }
        };
        self.streams.line(To::Err, &line);
    }
}

/// The last line of `run --json`, shaped like an event.
#[derive(serde::Serialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
enum SummaryLine {
    Summary {
        due: u32,
        published: u32,
        uploaded: u32,
        sent_to_inbox: u32,
        failed: u32,
        retrying: u32,
        needs_auth: u32,
        blocked: u32,
        processing: u32,
        dry_run: bool,
    },
}

/// A size for people: KiB below a MiB, MiB below a GiB, then GiB.
fn mib(bytes: u64) -> String {
    let b = bytes as f64;
    if b < 1_048_576.0 {
        format!("{:.1} KiB", b / 1024.0)
    } else if b < 1_073_741_824.0 {
        format!("{:.1} MiB", b / 1_048_576.0)
    } else {
        format!("{:.2} GiB", b / 1_073_741_824.0)
    }
}

impl postez::publish::Progress for RunPrinter {
    fn event(&self, event: &postez::publish::Event) {
        use postez::publish::Event as E;
        let time = |t: &chrono::DateTime<chrono::Utc>| {
            t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        };
        // Events that end a post's part in this run move the overall line.
        if matches!(
            event,
            E::Published { .. }
                | E::Uploaded { .. }
                | E::SentToInbox { .. }
                | E::Failed { .. }
                | E::Retrying { .. }
                | E::Blocked { .. }
                | E::StillProcessing { .. }
                | E::Interrupted { .. }
        ) {
            self.tick();
        }
        self.json(event);
        match event {
            E::Claimed { count } => {
                if let RunMode::Bars(multi) = &self.mode {
                    let bar = multi.add(indicatif::ProgressBar::new(u64::from(*count)));
                    bar.set_style(
                        indicatif::ProgressStyle::with_template(
                            "{prefix:>12.green.bold} {pos}/{len} posts {elapsed}",
                        )
                        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                    );
                    bar.set_prefix("Publishing");
                    bar.enable_steady_tick(std::time::Duration::from_millis(250));
                    if let Ok(mut overall) = self.overall.lock() {
                        *overall = Some(bar);
                    }
                }
            }
            E::Started {
                post,
                account,
                bytes,
                offset,
            } => {
                let resumed = if *offset > 0 {
                    format!(", resuming at {}", mib(*offset))
                } else {
                    String::new()
                };
                self.line(
                    post,
                    &format!(
                        "started, {} to {} as {account}{resumed}",
                        mib(*bytes),
                        post.platform
                    ),
                    false,
                );
                if let RunMode::Bars(multi) = &self.mode {
                    let bar =
                        bar::UploadBar::start(multi, &post.file, post.platform, *bytes, *offset);
                    if let Ok(mut bars) = self.bars.lock() {
                        bars.insert(post.id, bar);
                    }
                }
            }
            E::Milestone { post, percent } => {
                if matches!(self.mode, RunMode::Lines) {
                    self.line(post, &format!("{percent}%"), false);
                }
            }
            E::Processing { post } => {
                // The bar (already waiting since the last byte left) keeps spinning until
                // TikTok's verdict: the wait is shown, not a bar frozen at 100 %.
                if let Ok(mut bars) = self.bars.lock()
                    && let Some(bar) = bars.get_mut(&post.id)
                {
                    bar.wait_for_platform();
                }
                self.line(
                    post,
                    &format!("uploaded; {} is processing it", post.platform.name()),
                    false,
                );
            }
            E::Published {
                post,
                post_id,
                note,
            } => {
                self.finish_bar(post.id);
                let id = post_id
                    .as_ref()
                    .map(|p| format!(" (post id {p})"))
                    .unwrap_or_default();
                // The platform published it otherwise than asked: said on the same line.
                let note = note
                    .as_ref()
                    .map(|n| {
                        let hint = n.hint.as_ref().map(|h| format!(" (hint: {h})"));
                        format!("; but {}{}", n.message, hint.unwrap_or_default())
                    })
                    .unwrap_or_default();
                self.line(post, &format!("published{id}{note}"), true);
            }
            E::Uploaded {
                post,
                post_id,
                public_at,
                late,
            } => {
                self.finish_bar(post.id);
                let name = post.platform.name();
                let text = match late {
                    Some(late) => format!("on {name} (id {post_id}), not public yet: {late}"),
                    None => format!(
                        "on {name} (id {post_id}); {name} makes it public at {}",
                        time(public_at)
                    ),
                };
                self.line(post, &text, true);
            }
            E::SentToInbox { post, caption } => {
                self.finish_bar(post.id);
                self.line(
                    post,
                    "sent to your TikTok inbox; open the notification in TikTok to finish the post",
                    true,
                );
                if let Some(caption) = caption {
                    // TikTok's inbox upload carries no caption: the creator pastes this.
                    self.line(post, "caption to paste in TikTok:", true);
                    for text in caption.lines() {
                        self.line(post, &format!("  {text}"), true);
                    }
                }
            }
            E::Failed {
                post,
                message,
                hint,
                ..
            } => {
                self.finish_bar(post.id);
                let hint = hint
                    .as_ref()
                    .map(|h| format!(" (hint: {h})"))
                    .unwrap_or_default();
                self.line(post, &format!("failed: {message}{hint}"), true);
            }
            E::Retrying {
                post,
                message,
                next_at,
            } => {
                self.finish_bar(post.id);
                self.line(
                    post,
                    &format!(
                        "temporary failure: {message}; trying again after {}",
                        time(next_at)
                    ),
                    true,
                );
            }
            E::Blocked {
                post,
                message,
                hint,
            } => {
                self.finish_bar(post.id);
                let hint = hint
                    .as_ref()
                    .map(|h| format!(" (hint: {h})"))
                    .unwrap_or_default();
                self.line(
                    post,
                    &format!("not published this run: {message}{hint}"),
                    true,
                );
            }
            E::AccountHeld {
                account,
                posts,
                message,
                hint,
                until,
                needs_auth,
                ..
            } => {
                for id in posts {
                    self.finish_bar(*id);
                    self.tick();
                }
                // One line for all of them; with "needs auth" the run's error gives the hint.
                let until = until
                    .as_ref()
                    .map(|t| format!(" until {}", time(t)))
                    .unwrap_or_default();
                let hint = hint
                    .as_ref()
                    .filter(|_| !needs_auth)
                    .map(|h| format!(" (hint: {h})"))
                    .unwrap_or_default();
                let ids = posts
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ");
                self.account_line(
                    account,
                    &format!("post(s) {ids} held{until}: {message}{hint}"),
                );
            }
            E::StillProcessing { post } => {
                self.finish_bar(post.id);
                self.line(
                    post,
                    &format!(
                        "{} is still processing it; the next run checks again",
                        post.platform.name()
                    ),
                    false,
                );
            }
            E::Interrupted { post } => {
                self.finish_bar(post.id);
                self.line(post, "interrupted; the next run resumes the upload", true);
            }
            E::Adjusted { post, message } => {
                self.line(post, message, false);
            }
            E::WouldPublish { post, message } => {
                self.line(post, message, true);
            }
        }
    }

    fn bytes(&self, post: i64, sent: u64, _total: u64) {
        if let RunMode::Bars(_) = self.mode
            && let Ok(mut bars) = self.bars.lock()
            && let Some(bar) = bars.get_mut(&post)
        {
            bar.sent(sent);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use postez::post::{Mode, NewPost, Post, Privacy};
    use postez::provider::tiktok::TikTokOptions;
    use postez::publish::{Event, Progress, Subject, Summary};

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    /// A post as the queue returns it, and its history.
    fn queued_post() -> (Post, Vec<postez::post::Event>) {
        let mut store = postez::store::Store::open_in_memory().unwrap();
        let media = serde_json::from_value(serde_json::json!({
            "container": "mp4", "size": 1000, "duration_ms": 2000, "width": 360, "height": 640,
            "fps": 30.0, "codec": "H264",
        }))
        .unwrap();
        let fingerprint = serde_json::from_value(serde_json::json!({
            "size": 1000, "mtime_ns": 1, "sample_sha256": "ab",
        }))
        .unwrap();
        let mut options = TikTokOptions::plain(Mode::Direct);
        options.privacy = Some(Privacy::SelfOnly);
        let new = NewPost {
            platform: "tiktok".into(),
            account_id: None,
            file: "/videos/clip.mp4".into(),
            copied: false,
            media,
            fingerprint,
            caption: "New recipe #pasta".into(),
            options: options.into(),
            scheduled_at: at("2026-12-01T17:00:00Z"),
            timezone: "UTC".into(),
            upload_ahead: false,
            media_id: None,
        };
        let ids = store
            .insert_posts(&[new], at("2026-11-30T09:00:00Z"))
            .unwrap();
        (store.post(ids[0]).unwrap(), store.events(ids[0]).unwrap())
    }

    fn subject(id: i64, file: &str) -> Subject {
        Subject {
            id,
            file: file.into(),
            mode: Mode::Direct,
            platform: postez::queue::platform(),
        }
    }

    #[test]
    fn show_prints_a_post_for_people() {
        let (post, events) = queued_post();
        let (out, captured) = Reporter::capture(false, false);
        super::super::show::print(
            &out,
            &post,
            "(default account)",
            &events,
            at("2026-11-30T12:00:00Z"),
        );
        out.finish().unwrap();
        let text = captured.out();
        assert_eq!(
            text,
            "Post 1
  state        scheduled
  when         Tue 2026-12-01 17:00 UTC, in 1d 5h
  account      tiktok (default account)
  file         /videos/clip.mp4
  video        mp4 360×640 30.00 fps 2.0 s H.264
  mode         direct
  privacy      Only me (SELF_ONLY)
  allow        comments no, duet no, stitch no
  disclosure   your brand no, paid partnership no, AI-generated no
  attempts     0
  caption
    New recipe #pasta
History
  2026-11-30T09:00:00Z  scheduled {\"scheduled_at\":\"2026-12-01T17:00:00Z\",\"timezone\":\"UTC\"}
"
        );
        // Results only: nothing on stderr, and no escape codes on a pipe.
        assert_eq!(captured.err(), "");
        assert!(!text.contains('\u{1b}'));
    }

    #[test]
    fn show_json_is_the_post_object_with_its_events() {
        let (post, events) = queued_post();
        let (out, captured) = Reporter::capture(true, false);
        super::super::show::print(&out, &post, "", &events, at("2026-11-30T12:00:00Z"));
        out.finish().unwrap();
        let text = captured.out();
        // Pretty-printed, one document, ending with a line break.
        assert!(text.starts_with("{\n  \"account\": null,\n"), "{text}");
        assert!(text.ends_with("}\n"), "{text}");
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["id"], 1);
        assert_eq!(json["state"], "scheduled");
        assert_eq!(json["privacy"], "SELF_ONLY");
        assert_eq!(json["scheduled_at"], "2026-12-01T17:00:00Z");
        assert_eq!(json["events"][0]["kind"], "scheduled");
        assert_eq!(json, {
            let mut want = post.to_json();
            want["events"] = serde_json::to_value(&events).unwrap();
            want
        });
        assert_eq!(captured.err(), "");
    }

    #[test]
    fn errors_warnings_and_status_lines_go_to_stderr() {
        let (out, captured) = Reporter::capture(false, false);
        out.status("Scheduled", "post 3");
        out.warn("no runner is installed");
        out.error(&Error::NoSuchPost { id: 7 });
        out.note("a note");
        out.finish().unwrap();
        assert_eq!(captured.out(), "");
        assert_eq!(
            captured.err(),
            "   Scheduled post 3\n\
             warning: no runner is installed\n\
             error: there is no post 7 in the queue\n\
             hint: run `postez list --all` to see the ids\n\
             a note\n"
        );
    }

    #[test]
    fn colors_only_when_decided_and_escapes_are_never_obeyed() {
        let (out, captured) = Reporter::capture(false, true);
        out.error(&Error::invalid(
            "bad \u{1b}[2Jname",
            Some("try again".into()),
        ));
        let err = captured.err();
        assert_eq!(
            err,
            "\u{1b}[31m\u{1b}[1merror:\u{1b}[0m bad \\u{1b}[2Jname\n\
             \u{1b}[36m\u{1b}[1mhint:\u{1b}[0m try again\n"
        );

        // NO_COLOR, TERM=dumb and --color never turn them off; --color always on anywhere.
        let env = |no_color, term: Option<&str>| Env {
            no_color,
            term: term.map(Into::into),
            ..Env::default()
        };
        assert!(colors(ColorChoice::Auto, true, &env(false, None)));
        assert!(!colors(ColorChoice::Auto, true, &env(true, None)));
        assert!(!colors(ColorChoice::Auto, true, &env(false, Some("dumb"))));
        assert!(!colors(ColorChoice::Auto, false, &env(false, None)));
        assert!(!colors(ColorChoice::Never, true, &env(false, None)));
        assert!(colors(ColorChoice::Always, false, &env(true, None)));

        // Without colors, the same error is plain text.
        let (out, captured) = Reporter::capture(false, false);
        out.error(&Error::invalid("bad name", Some("try again".into())));
        assert_eq!(captured.err(), "error: bad name\nhint: try again\n");
    }

    /// Every event as `run --json` prints it: the README's contract, byte for byte (keys in
    /// sorted order, as when these lines were built by hand).
    #[test]
    fn run_json_lines_are_the_documented_contract() {
        let clip = || subject(3, "clip.mp4");
        let when = at("2026-12-01T18:00:00Z");
        let cases: Vec<(Event, &str)> = vec![
            (
                Event::Claimed { count: 2 },
                r#"{"data":{"count":2},"type":"claimed"}"#,
            ),
            (
                Event::Started {
                    post: clip(),
                    account: "pasta.chef".into(),
                    bytes: 1234,
                    offset: 0,
                },
                r#"{"data":{"account":"pasta.chef","bytes":1234,"file":"clip.mp4","id":3,"offset":0},"type":"started"}"#,
            ),
            (
                Event::Milestone {
                    post: clip(),
                    percent: 50,
                },
                r#"{"data":{"id":3,"percent":50},"type":"milestone"}"#,
            ),
            (
                Event::Processing { post: clip() },
                r#"{"data":{"id":3},"type":"processing"}"#,
            ),
            (
                Event::Published {
                    post: clip(),
                    post_id: None,
                    note: None,
                },
                r#"{"data":{"file":"clip.mp4","id":3,"post_id":null},"type":"published"}"#,
            ),
            (
                Event::Published {
                    post: clip(),
                    post_id: Some("v".into()),
                    note: Some(postez::provider::Notice {
                        code: "a_note".into(),
                        message: "made private".into(),
                        hint: None,
                    }),
                },
                r#"{"data":{"file":"clip.mp4","id":3,"note":{"code":"a_note","hint":null,"message":"made private"},"post_id":"v"},"type":"published"}"#,
            ),
            (
                Event::SentToInbox {
                    post: clip(),
                    caption: Some("hi \"you\"".into()),
                },
                r#"{"data":{"caption":"hi \"you\"","file":"clip.mp4","id":3},"type":"sent_to_inbox"}"#,
            ),
            (
                Event::Failed {
                    post: clip(),
                    code: Some("a_code".into()),
                    message: "refused".into(),
                    hint: None,
                },
                r#"{"data":{"code":"a_code","file":"clip.mp4","hint":null,"id":3,"message":"refused"},"type":"failed"}"#,
            ),
            (
                Event::Retrying {
                    post: clip(),
                    message: "timeout".into(),
                    next_at: when,
                },
                r#"{"data":{"file":"clip.mp4","id":3,"message":"timeout","next_attempt_at":"2026-12-01T18:00:00Z"},"type":"retrying"}"#,
            ),
            (
                Event::Blocked {
                    post: clip(),
                    message: "no login".into(),
                    hint: Some("connect".into()),
                },
                r#"{"data":{"file":"clip.mp4","hint":"connect","id":3,"message":"no login"},"type":"blocked"}"#,
            ),
            (
                Event::AccountHeld {
                    account: "pasta.chef".into(),
                    posts: vec![3, 4],
                    code: None,
                    message: "quota".into(),
                    hint: None,
                    until: Some(when),
                    needs_auth: false,
                },
                r#"{"data":{"account":"pasta.chef","code":null,"hint":null,"ids":[3,4],"message":"quota","until":"2026-12-01T18:00:00Z"},"type":"held"}"#,
            ),
            (
                Event::AccountHeld {
                    account: "a".into(),
                    posts: vec![],
                    code: Some("x".into()),
                    message: "m".into(),
                    hint: Some("h".into()),
                    until: None,
                    needs_auth: true,
                },
                r#"{"data":{"account":"a","code":"x","hint":"h","ids":[],"message":"m","until":null},"type":"held"}"#,
            ),
            (
                Event::StillProcessing { post: clip() },
                r#"{"data":{"id":3},"type":"still_processing"}"#,
            ),
            (
                Event::Interrupted { post: clip() },
                r#"{"data":{"id":3},"type":"interrupted"}"#,
            ),
            (
                Event::Adjusted {
                    post: clip(),
                    message: "comments off".into(),
                },
                r#"{"data":{"id":3,"message":"comments off"},"type":"adjusted"}"#,
            ),
            (
                Event::WouldPublish {
                    post: clip(),
                    message: "ok".into(),
                },
                r#"{"data":{"file":"clip.mp4","id":3,"message":"ok"},"type":"would_publish"}"#,
            ),
        ];
        let (out, captured) = Reporter::capture(true, false);
        let printer = RunPrinter::new(&out);
        for (event, _) in &cases {
            printer.event(event);
        }
        printer.summary(
            &Summary {
                due: 2,
                published: 1,
                failed: 1,
                ..Summary::default()
            },
            false,
        );
        out.finish().unwrap();
        let mut want: Vec<&str> = cases.iter().map(|(_, line)| *line).collect();
        want.push(
            r#"{"data":{"blocked":0,"dry_run":false,"due":2,"failed":1,"needs_auth":0,"processing":0,"published":1,"retrying":0,"sent_to_inbox":0,"uploaded":0},"type":"summary"}"#,
        );
        let text = captured.out();
        assert_eq!(text.lines().collect::<Vec<_>>(), want);
        // With --json, stderr stays for errors.
        assert_eq!(captured.err(), "");
    }

    #[test]
    fn without_a_terminal_each_event_is_one_timestamped_line() {
        let (out, captured) = Reporter::capture(false, false);
        let printer = RunPrinter::new(&out);
        printer.event(&Event::Failed {
            post: subject(3, "clip.mp4"),
            code: None,
            message: "the file changed".into(),
            hint: Some("schedule it again".into()),
        });
        printer.summary(
            &Summary {
                due: 1,
                failed: 1,
                ..Summary::default()
            },
            false,
        );
        out.finish().unwrap();
        assert_eq!(captured.out(), "", "results only on stdout");
        let err = captured.err();
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 2, "{err}");
        // `2026-11-30T13:00:00Z post 3 clip.mp4: …`
        let (stamp, line) = lines[0].split_once(' ').unwrap();
        assert!(stamp.parse::<DateTime<Utc>>().is_ok(), "{stamp}");
        assert_eq!(
            line,
            "post 3 clip.mp4: failed: the file changed (hint: schedule it again)"
        );
        assert!(lines[1].ends_with(" run: 1 due: 1 failed"), "{err}");
    }

    /// A sink that fails every write as `kind`.
    struct Failing(std::io::ErrorKind);

    impl Write for Failing {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(self.0.into())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Err(self.0.into())
        }
    }

    #[test]
    fn a_failed_write_is_the_commands_error_but_a_closed_pipe_is_not() {
        let full = Box::new(Failing(std::io::ErrorKind::StorageFull));
        let out = Reporter::with_sinks(full, Box::new(std::io::sink()), false, false);
        out.stdout_line("{}");
        let err = out.finish().unwrap_err();
        assert!(matches!(err, Error::Output { .. }), "{err:?}");
        assert_eq!(err.kind().exit_code(), 1);
        assert!(
            err.to_string().starts_with("could not write the output: "),
            "{err}"
        );
        assert!(err.hint().unwrap().contains("full"), "{:?}", err.hint());

        // Reported once: the failure is handed over, not kept.
        assert!(out.finish().is_err(), "the sink still fails its flush");
        let closed = Box::new(Failing(std::io::ErrorKind::BrokenPipe));
        let out = Reporter::with_sinks(closed, Box::new(std::io::sink()), true, false);
        out.stdout_line("{}");
        out.print_json(&serde_json::json!({"a": 1}));
        assert!(out.finish().is_ok(), "`postez list | head` ends quietly");

        // The run's event lines are checked the same way.
        let full = Box::new(Failing(std::io::ErrorKind::Other));
        let out = Reporter::with_sinks(full, Box::new(std::io::sink()), true, false);
        RunPrinter::new(&out).event(&Event::Claimed { count: 1 });
        assert!(out.finish().is_err());
    }
}
