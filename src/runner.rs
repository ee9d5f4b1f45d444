//! The runner: whatever starts `postez run` every few minutes so posts go out on time. This module
//! owns the texts of the systemd user units and of the crontab line, where they live, how to tell
//! which scheduler a machine offers, and installing, finding and removing them. It never prints.
//!
//! A systemd user timer is preferred: it runs inside the user's session, where the keychain is
//! reachable. A line in the user's crontab is the fallback; cron starts jobs outside any session
//! and with an almost empty environment, so the line carries postez's variables itself, and a
//! headless machine keeps its tokens in the encrypted file. Each `postez run` records itself in the
//! queue (`Store::run_started`), which is how `postez cron show` tells whether the runner is alive.
//!
//! External programs (`systemctl`, `crontab`) run through [`Host`]. [`System`] finds them on
//! `PATH`, so the integration tests put fake scripts first there; unit tests use a fake `Host`.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::Stdio;

use crate::env::Env;
use crate::error::{Error, Result};

mod error;
mod spec;
pub use error::RunnerError;
pub use spec::{Spec, minutes};

/// The service unit that runs `postez run` once.
pub const SERVICE: &str = "postez-run.service";
/// The timer unit that starts [`SERVICE`] every few minutes.
pub const TIMER: &str = "postez-run.timer";
/// Ends the one crontab line postez owns, so `remove` and `show` find it among the user's own.
/// Cron hands the whole line to `sh`, which reads this as a comment.
pub const MARKER: &str = "# postez runner";
/// Minutes between runs unless `--every` says otherwise.
pub const DEFAULT_EVERY: u8 = 5;
/// File name of the crontab runner's log, in [`crate::env::Paths::log_dir`] (systemd has the
/// journal).
pub const CRON_LOG: &str = "runner.log";

/// Which scheduler starts `postez run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A systemd user timer.
    Systemd,
    /// A line in the user's crontab.
    Crontab,
}

impl Kind {
    /// `systemd` or `crontab`, as printed by `--json`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Systemd => "systemd",
            Self::Crontab => "crontab",
        }
    }
}

/// What an external program did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ran {
    /// It exited with status 0.
    pub success: bool,
    /// Its standard output.
    pub stdout: String,
    /// Its standard error.
    pub stderr: String,
}

impl Ran {
    /// The first line of stderr (or stdout), short enough for an error message.
    fn reason(&self) -> String {
        let text = if self.stderr.trim().is_empty() {
            &self.stdout
        } else {
            &self.stderr
        };
        let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        let line: String = line.trim().chars().take(200).collect();
        if line.is_empty() {
            "it failed without saying why".into()
        } else {
            line
        }
    }
}

/// Runs the external programs the runner needs. [`System`] is the real machine.
pub trait Host {
    /// Run `program` with `args`, feeding it `stdin` when given. A program that is not installed
    /// is an error of kind [`io::ErrorKind::NotFound`].
    fn run(&self, program: &str, args: &[&str], stdin: Option<&str>) -> io::Result<Ran>;
}

/// The real machine: programs are looked up on `PATH`.
#[derive(Debug, Clone, Copy, Default)]
pub struct System;

impl Host for System {
    fn run(&self, program: &str, args: &[&str], stdin: Option<&str>) -> io::Result<Ran> {
        let mut child = crate::env::command(program)
            .args(args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
            // A program that exits early closes the pipe; its exit status says why.
            match pipe.write_all(text.as_bytes()) {
                Err(e) if e.kind() != io::ErrorKind::BrokenPipe => return Err(e),
                _ => {}
            }
        }
        let out = child.wait_with_output()?;
        Ok(Ran {
            success: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
    }
}

/// A runner found on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installation {
    /// systemd timer or crontab line.
    pub kind: Kind,
    /// `OnCalendar=` of the timer, or the crontab line's five time fields.
    pub schedule: String,
    /// Minutes between runs, when the schedule is one postez writes.
    pub every_minutes: Option<u8>,
    /// The command it runs (`ExecStart=`, or the crontab line after the time fields).
    pub command: String,
    /// The unit files (systemd only).
    pub files: Vec<PathBuf>,
    /// The whole crontab line (crontab only).
    pub line: Option<String>,
    /// Where its output goes: the crontab line's log file (systemd has the journal).
    pub log: Option<PathBuf>,
}

/// What [`Runner::install`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    /// The runner now in place.
    pub installed: Installation,
    /// Runners of the other kind that were removed so postez is not started twice.
    pub replaced: Vec<Installation>,
    /// Why `systemctl --user` did not answer, when cron was installed (asked for or not).
    pub systemd_unavailable: Option<String>,
}

/// What [`Runner::remove`] did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Removed {
    /// Runners removed; empty if there was none.
    pub removed: Vec<Installation>,
    /// Unit files were deleted but `systemctl --user` could not be reached (the reason): a timer
    /// that is loaded in a running session stops at its next `daemon-reload` or log-in.
    pub systemd_unreachable: Option<String>,
}

/// The folder systemd reads user units from: `$XDG_CONFIG_HOME/systemd/user`, else
/// `~/.config/systemd/user`.
pub fn unit_dir(env: &Env) -> Result<PathBuf> {
    let base = match env.xdg_config_home.as_ref().filter(|d| d.is_absolute()) {
        Some(dir) => dir.clone(),
        None => directories::BaseDirs::new()
            .ok_or_else(|| {
                Error::config(
                    "could not find your home folder to put the systemd timer in",
                    Some("set HOME, or XDG_CONFIG_HOME".into()),
                )
            })?
            .home_dir()
            .join(".config"),
    };
    Ok(base.join("systemd").join("user"))
}

/// Installs, finds and removes the runner on one machine.
#[derive(Debug)]
pub struct Runner<H: Host = System> {
    host: H,
    unit_dir: PathBuf,
}

impl Runner<System> {
    /// The real machine, with units in [`unit_dir`].
    pub fn for_env(env: &Env) -> Result<Self> {
        Ok(Self::new(System, unit_dir(env)?))
    }
}

impl<H: Host> Runner<H> {
    /// A runner manager that runs programs through `host` and keeps unit files in `unit_dir`.
    pub fn new(host: H, unit_dir: PathBuf) -> Self {
        Self { host, unit_dir }
    }

    /// `postez-run.service`'s path.
    pub fn service_path(&self) -> PathBuf {
        self.unit_dir.join(SERVICE)
    }

    /// `postez-run.timer`'s path.
    pub fn timer_path(&self) -> PathBuf {
        self.unit_dir.join(TIMER)
    }

    /// `Ok` when a systemd user manager answers (`systemctl --user show-environment`), else why
    /// not. Under cron, over plain SSH or in a container it usually does not.
    pub fn systemd_session(&self) -> std::result::Result<(), String> {
        match self
            .host
            .run("systemctl", &["--user", "show-environment"], None)
        {
            Ok(ran) if ran.success => Ok(()),
            Ok(ran) => Err(ran.reason()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                Err("systemctl is not installed".into())
            }
            Err(e) => Err(format!("systemctl could not be started: {e}")),
        }
    }

    /// Install the runner, replacing any earlier one of either kind: a systemd user timer where
    /// `systemctl --user` works and `crontab` is false, else a crontab line. Units are checked
    /// ([`Spec::systemd_ready`], `systemd-analyze verify`) before they replace or enable anything.
    pub fn install(&self, spec: &Spec, crontab: bool) -> Result<Installed> {
        let session = self.systemd_session();
        let mut replaced = Vec::new();
        if !crontab && session.is_ok() {
            spec.systemd_ready()?;
            let reinstall = self.timer_path().exists();
            fs_err::create_dir_all(&self.unit_dir)?;
            self.write_checked_units(spec)?;
            self.systemctl(&["daemon-reload"])?;
            self.systemctl(&["enable", "--now", TIMER])?;
            if reinstall {
                // A running timer keeps its old schedule until it is restarted.
                self.systemctl(&["restart", TIMER])?;
            }
            // The new runner is in place before the old one goes, so no tick is lost.
            if self.has_crontab_line() {
                replaced.extend(self.remove_crontab()?);
            }
            let installed = self
                .systemd_installation()
                .ok_or(RunnerError::UnitsVanished)?;
            return Ok(Installed {
                installed,
                replaced,
                systemd_unavailable: None,
            });
        }
        let Some(table) = self.read_crontab()? else {
            return Err(if crontab {
                RunnerError::NoCrontab
            } else {
                RunnerError::NoScheduler {
                    session: session.err().unwrap_or_default(),
                }
            }
            .into());
        };
        // Cron's shell cannot append to a file in a folder that does not exist.
        if let Some(dir) = spec.log().parent() {
            if let Some(state) = dir.parent() {
                crate::env::ensure_private_dir(state)?;
            }
            crate::env::ensure_private_dir(dir)?;
        }
        fs_err::OpenOptions::new()
            .create(true)
            .append(true)
            .open(spec.log())?;
        crate::env::make_private(spec.log())?;
        let (mut kept, _) = split_crontab(&table);
        kept.push_str(&spec.crontab_line());
        kept.push('\n');
        self.write_crontab(&kept)?;
        replaced.extend(self.remove_systemd(session.is_ok())?);
        let installed = crontab_installation(&spec.crontab_line());
        Ok(Installed {
            installed,
            replaced,
            systemd_unavailable: session.err(),
        })
    }

    /// Write the units into a folder of their own, check them with `systemd-analyze verify`
    /// when it is installed, and only then move them into place: a unit systemd would reject
    /// is reported and never replaces a working one, nor gets enabled.
    fn write_checked_units(&self, spec: &Spec) -> Result<()> {
        let check = self.unit_dir.join(".postez-run.check");
        // Left over by a crash; the name is postez's own.
        if check.symlink_metadata().is_ok() {
            fs_err::remove_dir_all(&check)?;
        }
        fs_err::create_dir(&check)?;
        let (service, timer) = (check.join(SERVICE), check.join(TIMER));
        let checked = fs_err::write(&service, spec.service_unit())
            .and_then(|()| fs_err::write(&timer, spec.timer_unit()))
            .map_err(Error::from)
            .and_then(|()| self.verify(&service, &timer))
            .and_then(|()| {
                fs_err::rename(&service, self.service_path())?;
                Ok(fs_err::rename(&timer, self.timer_path())?)
            });
        let _ = fs_err::remove_dir_all(&check);
        checked
    }

    /// `systemd-analyze verify` on the units, when it is installed. Offline (not `--user`): it
    /// checks the syntax and that ExecStart's binary can be run, without needing the user's
    /// manager, which `--user` does (it fails without XDG_RUNTIME_DIR).
    fn verify(&self, service: &std::path::Path, timer: &std::path::Path) -> Result<()> {
        // Arguments are text; a unit folder whose path is not UTF-8 goes unchecked.
        let (Some(service), Some(timer)) = (service.to_str(), timer.to_str()) else {
            return Ok(());
        };
        match self
            .host
            // --man=no: the check is of the units themselves, not of installed man pages.
            .run(
                "systemd-analyze",
                &["verify", "--man=no", service, timer],
                None,
            ) {
            Ok(ran) if ran.success => Ok(()),
            Ok(ran) => Err(RunnerError::UnitsRejected {
                reason: ran.reason(),
            }
            .into()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(not_started("systemd-analyze verify", &e)),
        }
    }

    /// Remove every runner postez installed (timer and crontab line, whichever exist).
    pub fn remove(&self) -> Result<Removed> {
        let session = self.systemd_session();
        let mut done = Removed::default();
        if let Some(found) = self.remove_systemd(session.is_ok())? {
            done.removed.push(found);
            done.systemd_unreachable = session.err();
        }
        if self.has_crontab_line() {
            done.removed.extend(self.remove_crontab()?);
        }
        Ok(done)
    }

    /// The runners installed now: the systemd timer first, then the crontab line. A crontab that
    /// cannot be read counts as having no line of postez's.
    pub fn status(&self) -> Vec<Installation> {
        let mut found: Vec<Installation> = self.systemd_installation().into_iter().collect();
        if let Ok(Some(table)) = self.read_crontab() {
            found.extend(table.lines().filter(|l| ours(l)).map(crontab_installation));
        }
        found
    }

    /// The systemd runner, read back from its unit files.
    fn systemd_installation(&self) -> Option<Installation> {
        let files: Vec<PathBuf> = [self.service_path(), self.timer_path()]
            .into_iter()
            .filter(|p| p.exists())
            .collect();
        if files.is_empty() {
            return None;
        }
        let setting = |path: PathBuf, key: &str| {
            let text = fs_err::read_to_string(path).unwrap_or_default();
            text.lines()
                .find_map(|l| l.trim().strip_prefix(key).map(str::to_owned))
                .unwrap_or_default()
        };
        let schedule = setting(self.timer_path(), "OnCalendar=");
        let every_minutes = match schedule.as_str() {
            "*:00" => Some(60),
            s => s.strip_prefix("*:0/").and_then(|n| n.parse().ok()),
        };
        Some(Installation {
            kind: Kind::Systemd,
            every_minutes,
            schedule,
            command: setting(self.service_path(), "ExecStart="),
            files,
            line: None,
            log: None,
        })
    }

    /// Disable and delete the units, if there are any.
    fn remove_systemd(&self, reachable: bool) -> Result<Option<Installation>> {
        let Some(found) = self.systemd_installation() else {
            return Ok(None);
        };
        if reachable {
            // It fails when the timer was never loaded; the files go anyway.
            let _ = self
                .host
                .run("systemctl", &["--user", "disable", "--now", TIMER], None);
        }
        for file in &found.files {
            fs_err::remove_file(file)?;
        }
        // `enable` made this link; without `systemctl` to remove it, it would dangle.
        let link = self.unit_dir.join("timers.target.wants").join(TIMER);
        if link.symlink_metadata().is_ok() {
            fs_err::remove_file(&link)?;
        }
        if reachable {
            self.systemctl(&["daemon-reload"])?;
        }
        Ok(Some(found))
    }

    /// The crontab holds a line of postez's. A crontab that cannot be read holds none: postez
    /// could not have written one there.
    fn has_crontab_line(&self) -> bool {
        matches!(self.read_crontab(), Ok(Some(t)) if t.lines().any(ours))
    }

    /// Drop postez's lines from the crontab; returns them.
    fn remove_crontab(&self) -> Result<Vec<Installation>> {
        let Some(table) = self.read_crontab()? else {
            return Ok(Vec::new());
        };
        let (kept, removed) = split_crontab(&table);
        if removed.is_empty() {
            return Ok(Vec::new());
        }
        self.write_crontab(&kept)?;
        Ok(removed.iter().map(|l| crontab_installation(l)).collect())
    }

    fn systemctl(&self, args: &[&str]) -> Result<()> {
        let mut full = vec!["--user"];
        full.extend_from_slice(args);
        let command = format!("systemctl {}", full.join(" "));
        match self.host.run("systemctl", &full, None) {
            Ok(ran) if ran.success => Ok(()),
            Ok(ran) => Err(RunnerError::Systemctl {
                command,
                reason: ran.reason(),
            }
            .into()),
            Err(e) => Err(not_started(&command, &e)),
        }
    }

    /// The user's crontab; `None` when there is no `crontab` command.
    fn read_crontab(&self) -> Result<Option<String>> {
        match self.host.run("crontab", &["-l"], None) {
            Ok(ran) if ran.success => Ok(Some(ran.stdout)),
            // cronie and Vixie cron say "no crontab for <user>" when the user has none yet.
            Ok(ran) if ran.stderr.to_lowercase().contains("no crontab") => Ok(Some(String::new())),
            Ok(ran) => Err(RunnerError::CrontabRead {
                reason: ran.reason(),
            }
            .into()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(not_started("crontab -l", &e)),
        }
    }

    fn write_crontab(&self, table: &str) -> Result<()> {
        match self.host.run("crontab", &["-"], Some(table)) {
            Ok(ran) if ran.success => Ok(()),
            Ok(ran) => Err(RunnerError::CrontabWrite {
                reason: ran.reason(),
            }
            .into()),
            Err(e) => Err(not_started("crontab -", &e)),
        }
    }
}

fn not_started(command: &str, e: &io::Error) -> Error {
    RunnerError::NotStarted {
        command: command.to_string(),
        reason: e.to_string(),
    }
    .into()
}

/// The line is postez's runner.
fn ours(line: &str) -> bool {
    line.trim_end().ends_with(MARKER)
}

/// The table without postez's lines (ending in a line break unless empty), and those lines.
fn split_crontab(table: &str) -> (String, Vec<String>) {
    let mut kept = String::new();
    let mut removed = Vec::new();
    for line in table.lines() {
        if ours(line) {
            removed.push(line.to_owned());
        } else {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    (kept, removed)
}

/// Read a crontab line of postez's back.
fn crontab_installation(line: &str) -> Installation {
    let line = line.trim();
    let fields: Vec<&str> = line.split_whitespace().collect();
    let schedule = fields.get(..5).map(|f| f.join(" ")).unwrap_or_default();
    let every_minutes = match schedule.as_str() {
        "0 * * * *" => Some(60),
        s => s
            .strip_prefix("*/")
            .and_then(|rest| rest.strip_suffix(" * * * *"))
            .and_then(|n| n.parse().ok()),
    };
    // The text after the five time fields as written: quoted paths may hold runs of spaces.
    let mut rest = line;
    for _ in 0..5 {
        rest = rest.trim_start();
        rest = &rest[rest.find(char::is_whitespace).unwrap_or(rest.len())..];
    }
    let command = rest.trim().to_owned();
    let command = command
        .strip_suffix(MARKER)
        .unwrap_or(&command)
        .trim()
        .to_owned();
    Installation {
        kind: Kind::Crontab,
        schedule,
        every_minutes,
        log: log_of(&command),
        command,
        files: Vec::new(),
        line: Some(line.to_owned()),
    }
}

/// The file after `>>` in a command postez wrote: the command as cron hands it to `sh` (each
/// `\%` a `%`), split into sh words (single quotes, backslash escapes).
fn log_of(command: &str) -> Option<PathBuf> {
    let mut text = String::with_capacity(command.len());
    let mut chars = command.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            text.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => text.push('%'),
            Some(next) => text.extend([c, next]),
            None => text.push(c),
        }
    }
    let words = sh_words(&text)?;
    let at = words.iter().position(|w| w == ">>")?;
    words.get(at + 1).map(PathBuf::from)
}

/// `sh`'s words of a simple command line (no expansions: postez writes none).
fn sh_words(text: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next()? {
                        '\'' => break,
                        q => w.push(q),
                    }
                }
            }
            '\\' => word.get_or_insert_with(String::new).push(chars.next()?),
            c if c.is_whitespace() => words.extend(word.take()),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    Some(words)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    fn spec(home: &str, every: u8) -> Spec {
        spec::tests::spec(home, every)
    }

    #[test]
    fn crontab_lines_are_read_back() {
        let line = spec("/srv/my 100% 'home'", 60).crontab_line();
        let back = crontab_installation(&line);
        assert_eq!(back.every_minutes, Some(60));
        assert_eq!(back.schedule, "0 * * * *");
        assert_eq!(back.line.as_deref(), Some(line.as_str()));
        assert_eq!(
            back.log,
            Some(PathBuf::from("/srv/my 100% 'home'/logs/runner.log"))
        );
        // A backslash before a `%`, and a run of spaces, survive the round trip.
        let awkward = r"/srv/a\%b  c >> d";
        let back = crontab_installation(&spec(awkward, 5).crontab_line());
        assert_eq!(
            back.log,
            Some(PathBuf::from(format!("{awkward}/logs/runner.log")))
        );
    }

    #[test]
    fn crontab_edits_keep_the_users_lines() {
        let table = "MAILTO=me\n0 3 * * * backup\n*/5 * * * * /old/postez run # postez runner\n";
        let (kept, removed) = split_crontab(table);
        assert_eq!(kept, "MAILTO=me\n0 3 * * * backup\n");
        assert_eq!(removed.len(), 1);
        let found = crontab_installation(&removed[0]);
        assert_eq!(found.every_minutes, Some(5));
        assert_eq!(found.command, "/old/postez run");
        assert_eq!(split_crontab("").0, "");
    }

    /// Answers like a machine without systemd whose crontab lives in memory.
    #[derive(Default)]
    struct Fake {
        systemd: bool,
        table: RefCell<Option<String>>,
        calls: RefCell<Vec<String>>,
        /// What `systemd-analyze` answers; `None`: not installed.
        analyze: RefCell<Option<Ran>>,
    }

    impl Host for Fake {
        fn run(&self, program: &str, args: &[&str], stdin: Option<&str>) -> io::Result<Ran> {
            self.calls
                .borrow_mut()
                .push(format!("{program} {}", args.join(" ")));
            let ok = |stdout: &str| Ran {
                success: true,
                stdout: stdout.into(),
                stderr: String::new(),
            };
            match (program, args) {
                ("systemctl", _) if !self.systemd => Err(io::ErrorKind::NotFound.into()),
                ("systemctl", _) => Ok(ok("HOME=/home/u\n")),
                ("crontab", ["-l"]) => Ok(match &*self.table.borrow() {
                    Some(t) => ok(t),
                    None => Ran {
                        success: false,
                        stdout: String::new(),
                        stderr: "no crontab for u\n".into(),
                    },
                }),
                ("crontab", ["-"]) => {
                    *self.table.borrow_mut() = stdin.map(str::to_owned);
                    Ok(ok(""))
                }
                ("systemd-analyze", _) => match &*self.analyze.borrow() {
                    Some(ran) => Ok(ran.clone()),
                    None => Err(io::ErrorKind::NotFound.into()),
                },
                _ => Err(io::ErrorKind::NotFound.into()),
            }
        }
    }

    #[test]
    fn falls_back_to_cron_replaces_and_removes() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let spec = spec(home.to_str().unwrap(), 5);
        let runner = Runner::new(Fake::default(), dir.path().join("units"));
        let done = runner.install(&spec, false).unwrap();
        assert_eq!(done.installed.kind, Kind::Crontab);
        assert_eq!(
            done.systemd_unavailable.as_deref(),
            Some("systemctl is not installed")
        );
        assert!(spec.log().exists());
        runner.install(&spec, false).unwrap();
        let table = runner.host.table.borrow().clone().unwrap();
        assert_eq!(table.matches(MARKER).count(), 1, "{table}");
        assert_eq!(runner.status().len(), 1);
        let removed = runner.remove().unwrap();
        assert_eq!(removed.removed.len(), 1);
        assert_eq!(runner.host.table.borrow().as_deref(), Some(""));
        assert!(runner.remove().unwrap().removed.is_empty());
    }

    #[test]
    fn a_systemd_install_replaces_the_crontab_line() {
        let dir = tempfile::tempdir().unwrap();
        let spec = spec(dir.path().join("home").to_str().unwrap(), 10);
        let fake = Fake {
            table: RefCell::new(Some(format!("0 3 * * * backup\n{}\n", spec.crontab_line()))),
            systemd: true,
            ..Fake::default()
        };
        let runner = Runner::new(fake, dir.path().join("units"));
        let done = runner.install(&spec, false).unwrap();
        assert_eq!(done.installed.kind, Kind::Systemd);
        assert_eq!(done.installed.every_minutes, Some(10));
        assert_eq!(done.installed.command, "/opt/postez/bin/postez run");
        assert_eq!(done.replaced.len(), 1);
        assert_eq!(
            runner.host.table.borrow().as_deref(),
            Some("0 3 * * * backup\n")
        );
        let calls = runner.host.calls.borrow().join("\n");
        assert!(
            calls.contains(
                "systemctl --user daemon-reload\nsystemctl --user enable --now postez-run.timer"
            ),
            "{calls}"
        );
    }

    fn systemd_machine(dir: &std::path::Path) -> Runner<Fake> {
        let fake = Fake {
            systemd: true,
            table: RefCell::new(Some(String::new())),
            ..Fake::default()
        };
        Runner::new(fake, dir.join("units"))
    }

    #[test]
    fn a_binary_path_systemd_cannot_hold_writes_no_unit() {
        let dir = tempfile::tempdir().unwrap();
        let runner = systemd_machine(dir.path());
        let env = Env::default();
        let paths = crate::env::Paths::single(dir.path());
        let spec = Spec::new(std::path::Path::new("/opt/a$b/postez"), 5, &env, &paths).unwrap();
        let e = runner.install(&spec, false).unwrap_err();
        assert!(e.to_string().contains("contains `$`"), "{e}");
        assert!(!runner.service_path().exists() && !runner.timer_path().exists());
        let calls = runner.host.calls.borrow().join("\n");
        assert!(!calls.contains("enable"), "{calls}");
        // The same path works as a crontab line.
        assert_eq!(
            runner.install(&spec, true).unwrap().installed.kind,
            Kind::Crontab
        );
    }

    #[test]
    fn units_systemd_analyze_rejects_are_reported_and_replace_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let runner = systemd_machine(dir.path());
        let home = dir.path().join("home");
        runner
            .install(&spec(home.to_str().unwrap(), 5), false)
            .unwrap();
        let before = fs_err::read_to_string(runner.timer_path()).unwrap();
        *runner.host.analyze.borrow_mut() = Some(Ran {
            success: false,
            stdout: String::new(),
            stderr: "postez-run.service: Command /opt/postez/bin/postez is not executable\n".into(),
        });
        runner.host.calls.borrow_mut().clear();
        let e = runner
            .install(&spec(home.to_str().unwrap(), 10), false)
            .unwrap_err();
        assert!(
            e.to_string().contains("systemd-analyze verify rejected")
                && e.to_string().contains("is not executable"),
            "{e}"
        );
        assert_eq!(fs_err::read_to_string(runner.timer_path()).unwrap(), before);
        let calls = runner.host.calls.borrow().join("\n");
        assert!(calls.contains("systemd-analyze verify "), "{calls}");
        assert!(
            !calls.contains("enable") && !calls.contains("daemon-reload"),
            "{calls}"
        );
        let left: Vec<_> = fs_err::read_dir(dir.path().join("units"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left.len(), 2, "{left:?}");
    }

    /// The fake machine, but with the real `systemd-analyze`.
    struct RealAnalyze(Fake);

    impl Host for RealAnalyze {
        fn run(&self, program: &str, args: &[&str], stdin: Option<&str>) -> io::Result<Ran> {
            if program == "systemd-analyze" {
                System.run(program, args, stdin)
            } else {
                self.0.run(program, args, stdin)
            }
        }
    }

    #[test]
    // A test's own skip notice, not the library talking.
    #[allow(clippy::print_stderr)]
    fn the_real_systemd_analyze_checks_the_units() {
        if System.run("systemd-analyze", &["--version"], None).is_err() {
            eprintln!("skipped: systemd-analyze is not installed (Debian's `systemd` package)");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let fake = Fake {
            systemd: true,
            ..Fake::default()
        };
        let runner = Runner::new(RealAnalyze(fake), dir.path().join("units"));
        let env = Env::default();
        let paths = crate::env::Paths::single(&dir.path().join("home"));
        let missing =
            Spec::new(std::path::Path::new("/nonexistent/postez"), 5, &env, &paths).unwrap();
        let e = runner.install(&missing, false).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/postez"), "{e}");
        assert!(!runner.timer_path().exists());
        let real = Spec::new(&std::env::current_exe().unwrap(), 5, &env, &paths).unwrap();
        runner.install(&real, false).unwrap();
        assert!(runner.timer_path().exists() && runner.service_path().exists());
    }
}
