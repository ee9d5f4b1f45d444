//! The only writer to the terminal. It decides once, at start-up, whether stdout and stderr are
//! terminals, whether colors are on, whether prompts and progress bars may be shown, and whether
//! output is JSON. Results go to stdout; status lines, warnings and errors go to stderr.
//!
//! JSON output (`--json`) is a contract, documented in the README:
//! - `schedule`, `show`, `edit`, `cancel`, `retry` print one post object;
//! - `list` and `import` print an array of post objects;
//! - `config list` prints an object of settings.

use std::io::{IsTerminal, Write};

use console::Style;
use postez::Error;
use postez::env::Env;

use super::{ColorChoice, GlobalArgs};

/// Screen decisions, made once.
#[derive(Debug)]
pub struct Reporter {
    json: bool,
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
            quiet: global.quiet,
            stdout_tty,
            can_prompt: stdin_tty && stderr_tty,
            progress: stderr_tty && !global.quiet && !global.json && !dumb && !env.ci,
        }
    }

    /// `--json` was given.
    pub fn json(&self) -> bool {
        self.json
    }

    /// A person is at the terminal to answer questions.
    pub fn can_prompt(&self) -> bool {
        self.can_prompt
    }

    /// Progress bars may be drawn.
    #[allow(dead_code)] // drawn by `run`
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
    #[allow(dead_code)] // used by `connect` and `run`
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
        let mut text = format!("{} {err}", red.apply_to("error:"));
        let mut source = std::error::Error::source(err);
        while let Some(cause) = source {
            let line = cause.to_string();
            // thiserror's `transparent` repeats the message; don't print it twice.
            if !text.contains(&line) {
                text.push_str(&format!("\n  caused by: {line}"));
            }
            source = cause.source();
        }
        if let Some(hint) = err.hint() {
            let cyan = Style::new().cyan().bold();
            text.push_str(&format!("\n{} {hint}", cyan.apply_to("hint:")));
        }
        self.stderr_line(&text);
    }

    fn stderr_line(&self, line: &str) {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{line}");
    }
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
