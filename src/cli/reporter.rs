//! The only writer to the terminal. It decides once, at start-up, whether stdout and stderr are
//! terminals, whether colors are on, whether prompts and progress bars may be shown, and whether
//! output is JSON. Results go to stdout; status lines, warnings and errors go to stderr.
//!
//! JSON output (`--json`) is a contract, documented in the README:
//! - `schedule`, `show`, `edit`, `cancel`, `retry` print one post object;
//! - `list` and `import` print an array of post objects;
//! - `config list` prints an object of settings.

use std::io::{IsTerminal, Write};

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

/// Screen decisions, made once.
#[derive(Debug)]
pub struct Reporter {
    json: bool,
    color: bool,
    quiet: bool,
    stdout_tty: bool,
    can_prompt: bool,
    progress: bool,
}

impl Reporter {
    /// Decide everything from the environment and the global flags.
    pub fn new(env: &Env, global: &GlobalArgs) -> Self {
        let stdout_tty = std::io::stdout().is_terminal();
        let stderr_tty = std::io::stderr().is_terminal();
        let stdin_tty = std::io::stdin().is_terminal();
        let dumb = env.term.as_deref() == Some("dumb");
        let color = match global.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => stderr_tty && !env.no_color && !dumb,
        };
        console::set_colors_enabled(color);
        console::set_colors_enabled_stderr(color);
        Self {
            json: global.json,
            color,
            quiet: global.quiet,
            stdout_tty,
            can_prompt: stdin_tty && stderr_tty && stdin_is_ours(),
            progress: stderr_tty && !global.quiet && !global.json && !dumb && !env.ci,
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

    /// Print a JSON value on stdout.
    pub fn print_json(&self, value: &serde_json::Value) {
        let text = serde_json::to_string_pretty(value).unwrap_or_else(|_| "null".into());
        self.stdout_line(&text);
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
        let mut out = std::io::stdout().lock();
        // A closed pipe (`postez list | head`) is not an error worth reporting.
        let _ = writeln!(out, "{line}");
    }

    /// A cargo-style status line on stderr: a right-aligned green verb, then the message.
    pub fn status(&self, verb: &str, message: &str) {
        if self.quiet {
            return;
        }
        let style = Style::new().green().bold();
        self.stderr_line(&format!("{:>12} {message}", style.apply_to(verb)));
    }

    /// A warning on stderr (shown even with `--json`, never with `--quiet`).
    pub fn warn(&self, message: &str) {
        if self.quiet {
            return;
        }
        let style = Style::new().yellow().bold();
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
        let red = Style::new().red().bold();
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
            let cyan = Style::new().cyan().bold();
            text.push_str(&format!(
                "\n{} {}",
                cyan.apply_to("hint:"),
                printable(&hint)
            ));
        }
        self.stderr_line(&text);
    }

    fn stderr_line(&self, line: &str) {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{line}");
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
/// (`post_id`), `sent_to_inbox` (`caption`: to paste in the app, or null), `failed` (`code`,
/// `message`, `hint`), `retrying` (`message`, `next_attempt_at`), `blocked` (`message`, `hint`),
/// `held` (one per account: `account`, `ids`, `code`, `message`, `hint`, `until` or null),
/// `still_processing`, `interrupted`, `adjusted` (`message`),
/// `would_publish` (`message`), and last `summary` (`due`, `published`, `sent_to_inbox`,
/// `failed`, `retrying`, `needs_auth`, `blocked`, `processing`).
pub struct RunPrinter {
    mode: RunMode,
    quiet: bool,
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
                let mut err = std::io::stderr().lock();
                let _ = writeln!(err, "{stamp} post {} {}: {text}", post.id, post.file);
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
                let mut err = std::io::stderr().lock();
                let _ = writeln!(err, "{stamp} account {account}: {text}");
            }
            RunMode::Bars(multi) => {
                let _ = multi.println(format!("account {account}: {text}"));
            }
        }
    }

    fn json(&self, kind: &str, data: serde_json::Value) {
        if let RunMode::Json = self.mode {
            let line = serde_json::json!({ "type": kind, "data": data });
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{line}");
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
        self.json(
            "summary",
            serde_json::json!({
                "due": s.due, "published": s.published, "sent_to_inbox": s.sent,
                "failed": s.failed, "retrying": s.retrying, "needs_auth": s.needs_auth,
                "blocked": s.blocked, "processing": s.processing, "dry_run": dry_run,
            }),
        );
        if matches!(self.mode, RunMode::Json) || (self.quiet && s.failed == 0) {
            return;
        }
        let text = if s.due == 0 && s.failed == 0 {
            "nothing was due".to_string()
        } else {
            let parts = [
                (s.published, "published"),
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
        let mut err = std::io::stderr().lock();
        let _ = match &self.mode {
            RunMode::Lines => writeln!(err, "{stamp} run: {text}"),
            _ => writeln!(err, "{:>12} {text}", console::style("Done").green().bold()),
        };
    }
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
                | E::SentToInbox { .. }
                | E::Failed { .. }
                | E::Retrying { .. }
                | E::Blocked { .. }
                | E::StillProcessing { .. }
                | E::Interrupted { .. }
        ) {
            self.tick();
        }
        match event {
            E::Claimed { count } => {
                self.json("claimed", serde_json::json!({"count": count}));
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
                self.json("started", serde_json::json!({"id": post.id, "file": post.file, "bytes": bytes, "offset": offset, "account": account}));
                let resumed = if *offset > 0 {
                    format!(", resuming at {}", mib(*offset))
                } else {
                    String::new()
                };
                self.line(
                    post,
                    &format!("started, {} to tiktok as {account}{resumed}", mib(*bytes)),
                    false,
                );
                if let RunMode::Bars(multi) = &self.mode {
                    let bar = bar::UploadBar::start(multi, &post.file, *bytes, *offset);
                    if let Ok(mut bars) = self.bars.lock() {
                        bars.insert(post.id, bar);
                    }
                }
            }
            E::Milestone { post, percent } => {
                self.json(
                    "milestone",
                    serde_json::json!({"id": post.id, "percent": percent}),
                );
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
                    bar.wait_for_tiktok();
                }
                self.json("processing", serde_json::json!({"id": post.id}));
                self.line(post, "uploaded; TikTok is processing it", false);
            }
            E::Published { post, post_id } => {
                self.finish_bar(post.id);
                self.json(
                    "published",
                    serde_json::json!({"id": post.id, "file": post.file, "post_id": post_id}),
                );
                let id = post_id
                    .as_ref()
                    .map(|p| format!(" (post id {p})"))
                    .unwrap_or_default();
                self.line(post, &format!("published{id}"), true);
            }
            E::SentToInbox { post, caption } => {
                self.finish_bar(post.id);
                self.json(
                    "sent_to_inbox",
                    serde_json::json!({"id": post.id, "file": post.file, "caption": caption}),
                );
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
                code,
                message,
                hint,
            } => {
                self.finish_bar(post.id);
                self.json("failed", serde_json::json!({"id": post.id, "file": post.file, "code": code, "message": message, "hint": hint}));
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
                self.json("retrying", serde_json::json!({"id": post.id, "file": post.file, "message": message, "next_attempt_at": time(next_at)}));
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
                self.json("blocked", serde_json::json!({"id": post.id, "file": post.file, "message": message, "hint": hint}));
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
                code,
                message,
                hint,
                until,
                needs_auth,
            } => {
                for id in posts {
                    self.finish_bar(*id);
                    self.tick();
                }
                self.json("held", serde_json::json!({"account": account, "ids": posts, "code": code, "message": message, "hint": hint, "until": until.as_ref().map(time)}));
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
                self.json("still_processing", serde_json::json!({"id": post.id}));
                self.line(
                    post,
                    "TikTok is still processing it; the next run checks again",
                    false,
                );
            }
            E::Interrupted { post } => {
                self.finish_bar(post.id);
                self.json("interrupted", serde_json::json!({"id": post.id}));
                self.line(post, "interrupted; the next run resumes the upload", true);
            }
            E::Adjusted { post, message } => {
                self.json(
                    "adjusted",
                    serde_json::json!({"id": post.id, "message": message}),
                );
                self.line(post, message, false);
            }
            E::WouldPublish { post, message } => {
                self.json(
                    "would_publish",
                    serde_json::json!({"id": post.id, "file": post.file, "message": message}),
                );
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
