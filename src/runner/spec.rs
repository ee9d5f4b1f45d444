//! The runner's texts: the systemd service and timer units and the crontab line, built from the
//! binary's path, the interval and the environment worth carrying. Pure string work, no I/O; the
//! quoting rules of systemd and of cron's `sh` live here.

use std::path::{Path, PathBuf};

use super::{CRON_LOG, MARKER};
use crate::env::{Env, Paths};
use crate::error::{Error, Result};

/// What to install: which binary, how often, and with which environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    exe: String,
    every: u8,
    vars: Vec<(&'static str, String)>,
    log: PathBuf,
    left_out: Vec<&'static str>,
}

impl Spec {
    /// Run `exe` (an absolute path: neither systemd nor cron has the user's `PATH`) every `every`
    /// minutes (1–60), with the variables of `env` that choose postez's files and endpoints.
    pub fn new(exe: &Path, every: u8, env: &Env, paths: &Paths) -> Result<Self> {
        if !(1..=60).contains(&every) {
            return Err(Error::invalid(
                format!("--every {every} is not between 1 and 60 minutes"),
                Some("use e.g. `--every 5`".into()),
            ));
        }
        if !exe.is_absolute() {
            return Err(Error::invalid(
                format!("the postez binary `{}` has no absolute path", exe.display()),
                Some("run postez by its full path, e.g. `~/.cargo/bin/postez cron install`".into()),
            ));
        }
        let mut vars: Vec<(&'static str, String)> = Vec::new();
        if let Some(home) = &env.home {
            // The runner starts in another folder, so a relative POSTEZ_HOME would move.
            vars.push(("POSTEZ_HOME", text(&std::path::absolute(home)?)?));
        }
        // Shared mode: the queue's address goes along unless it carries a password (then it is
        // left out below, like the other secrets).
        let database_url = env
            .database_url
            .as_ref()
            .map(|u| u.expose().to_owned())
            .filter(|u| crate::config::check_database_url(u, true).is_ok());
        let database_ca = env
            .database_ca
            .as_ref()
            .map(|p| text(&std::path::absolute(p)?))
            .transpose()?;
        for (name, value) in [
            ("POSTEZ_TOKEN_STORE", &env.token_store),
            ("POSTEZ_TIKTOK_CLIENT_KEY", &env.tiktok_client_key),
            ("POSTEZ_TIKTOK_AUTH_URL", &env.tiktok_auth_url),
            ("POSTEZ_TIKTOK_API_URL", &env.tiktok_api_url),
            ("POSTEZ_DATABASE_URL", &database_url),
            ("POSTEZ_DATABASE_CA", &database_ca),
            ("POSTEZ_LEASE", &env.lease),
        ] {
            if let Some(value) = value {
                vars.push((name, value.clone()));
            }
        }
        // Cron sets none of these, and the systemd user manager rarely has the shell's: without
        // them the runner would look for the queue in the default folders and find it empty.
        for (name, dir) in [
            ("XDG_CONFIG_HOME", &env.xdg_config_home),
            ("XDG_DATA_HOME", &env.xdg_data_home),
            ("XDG_STATE_HOME", &env.xdg_state_home),
        ] {
            // The XDG spec says relative values are ignored; `directories` does so too.
            if let Some(dir) = dir.as_ref().filter(|d| d.is_absolute()) {
                vars.push((name, text(dir)?));
            }
        }
        // Secrets never go into a unit file or a crontab: both are plain text. POSTEZ_NOW is a
        // test aid that would freeze the runner's clock.
        let left_out = [
            ("POSTEZ_PASSPHRASE", env.passphrase.is_some()),
            (
                "POSTEZ_TIKTOK_CLIENT_SECRET",
                env.tiktok_client_secret.is_some(),
            ),
            (
                "POSTEZ_DATABASE_URL",
                env.database_url.is_some() && database_url.is_none(),
            ),
        ]
        .into_iter()
        .filter_map(|(name, set)| set.then_some(name))
        .collect();
        let exe = text(exe)?;
        for (name, value) in &vars {
            no_control(name, value)?;
        }
        no_control("the postez binary's path", &exe)?;
        let log = paths.log_dir().join(CRON_LOG);
        no_control("the log's path", &text(&log)?)?;
        Ok(Self {
            exe,
            every,
            vars,
            log,
            left_out,
        })
    }

    /// Minutes between runs.
    pub fn every(&self) -> u8 {
        self.every
    }

    /// The variables written into the runner, in order.
    pub fn vars(&self) -> &[(&'static str, String)] {
        &self.vars
    }

    /// Secret variables that are set here but deliberately not written into the runner.
    pub fn left_out(&self) -> &[&'static str] {
        &self.left_out
    }

    /// Where the crontab runner appends its output.
    pub fn log(&self) -> &Path {
        &self.log
    }

    /// The timer's `OnCalendar=` value: every N minutes from the full hour.
    pub fn on_calendar(&self) -> String {
        match self.every {
            60 => "*:00".into(),
            n => format!("*:0/{n}"),
        }
    }

    /// The crontab line's five time fields.
    pub fn cron_schedule(&self) -> String {
        match self.every {
            60 => "0 * * * *".into(),
            n => format!("*/{n} * * * *"),
        }
    }

    /// Whether a systemd unit can run this binary: `Err` names what it cannot hold.
    ///
    /// systemd refuses an executable path with `\`, `"` or `'` in it whatever the quoting
    /// ("Executable name contains special characters"), and keeps `$$` in it as two characters
    /// instead of `$` (systemd 252), so such a unit would be broken while `install` reported
    /// success (issue 15). A crontab line can hold all of them.
    pub fn systemd_ready(&self) -> Result<()> {
        let Some(bad) = self
            .exe
            .chars()
            .find(|c| matches!(c, '$' | '"' | '\'' | '\\'))
        else {
            return Ok(());
        };
        Err(Error::invalid(
            format!(
                "the postez binary's path `{}` contains `{bad}`, which a systemd unit's ExecStart \
                 cannot hold",
                self.exe
            ),
            Some(
                "move postez to a path without $ \" ' or \\ (e.g. ~/.local/bin/postez), or use \
                 cron: `postez cron install --crontab`"
                    .into(),
            ),
        ))
    }

    /// The text of `postez-run.service`; check [`Spec::systemd_ready`] first.
    pub fn service_unit(&self) -> String {
        // `%` starts a specifier in every setting (`%%` is a `%`).
        let exe = unit_word(&self.exe);
        // No `Documentation=man:postez(1)`: `cargo install` does not install man pages, and
        // `systemd-analyze verify` fails a unit whose documentation is missing.
        let mut unit = format!(
            "# Written by `postez cron install`; `postez cron remove` deletes it.\n\
             [Unit]\n\
             Description=Publish the videos postez has due\n\
             \n\
             [Service]\n\
             Type=oneshot\n\
             ExecStart={exe} run\n"
        );
        for (name, value) in &self.vars {
            let pair = format!("{name}={value}").replace('%', "%%");
            let pair = pair.replace('\\', "\\\\").replace('"', "\\\"");
            unit.push_str(&format!("Environment=\"{pair}\"\n"));
        }
        // Exit 75 means "try later": the next tick retries, so the unit has not failed.
        unit.push_str("SuccessExitStatus=75\n");
        unit
    }

    /// The text of `postez-run.timer`.
    pub fn timer_unit(&self) -> String {
        format!(
            "# Written by `postez cron install`; `postez cron remove` deletes it.\n\
             [Unit]\n\
             Description=Run postez every {every}\n\
             \n\
             [Timer]\n\
             OnCalendar={calendar}\n\
             # A tick missed while the machine was off or asleep runs as soon as it is back.\n\
             Persistent=true\n\
             AccuracySec=30s\n\
             \n\
             [Install]\n\
             WantedBy=timers.target\n",
            every = minutes(self.every),
            calendar = self.on_calendar(),
        )
    }

    /// The crontab line, environment first, output appended to [`Spec::log`], ending in [`MARKER`].
    pub fn crontab_line(&self) -> String {
        let mut command: Vec<String> = self
            .vars
            .iter()
            .map(|(name, value)| format!("{name}={}", cron_word(value)))
            .collect();
        command.push(cron_word(&self.exe));
        command.push("run >>".into());
        command.push(cron_word(&self.log.display().to_string()));
        command.push("2>&1".into());
        format!("{} {} {MARKER}", self.cron_schedule(), command.join(" "))
    }
}

/// "5 minutes", "1 minute".
pub fn minutes(n: u8) -> String {
    if n == 1 {
        "minute".into()
    } else {
        format!("{n} minutes")
    }
}

fn text(path: &Path) -> Result<String> {
    path.to_str().map(str::to_owned).ok_or_else(|| {
        Error::invalid(
            format!("the path `{}` is not valid UTF-8", path.display()),
            Some("systemd units and crontabs need UTF-8 paths; rename the folder".into()),
        )
    })
}

fn no_control(name: &str, value: &str) -> Result<()> {
    if value.chars().any(char::is_control) {
        return Err(Error::invalid(
            format!(
                "{name} {value:?} contains a line break or another control character, which a \
                 unit file or crontab cannot hold"
            ),
            Some("rename the folder (or move postez) to a path of printable characters".into()),
        ));
    }
    Ok(())
}

fn plain(word: &str) -> bool {
    !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+:,@".contains(c))
}

/// One word of a unit file's command line, quoted only when needed.
fn unit_word(word: &str) -> String {
    let word = word.replace('%', "%%");
    if plain(&word.replace("%%", "")) {
        word
    } else {
        format!("\"{}\"", word.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

/// One word of the crontab line, for cron and then `sh`.
///
/// Cron ends the command at an unescaped `%` (the rest becomes stdin) and turns `\%` into `%`,
/// but a backslash that is itself escaped does not escape: `\\%` still ends the command
/// (Vixie cron's `do_command.c`, also cronie). So each `%` goes outside sh's quotes as `\%`,
/// which cron hands to sh as a bare `%`, literal there; the pieces between are quoted on their
/// own, so a backslash of the path always sits before a closing quote, never before a `%`.
fn cron_word(word: &str) -> String {
    if word.is_empty() {
        return "''".into();
    }
    word.split('%')
        .map(|piece| {
            if piece.is_empty() {
                String::new()
            } else {
                shell_word(piece)
            }
        })
        .collect::<Vec<_>>()
        .join("\\%")
}

/// One word for `sh`, single-quoted only when needed.
fn shell_word(word: &str) -> String {
    if plain(word) {
        word.into()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    fn env_with_home(home: &str) -> Env {
        Env {
            home: Some(home.into()),
            tiktok_api_url: Some("http://127.0.0.1:9/api".into()),
            passphrase: Some(crate::secrets::Secret::new("hunter2")),
            now: Some("2026-11-25T10:00:00Z".into()),
            ..Env::default()
        }
    }

    pub(crate) fn spec(home: &str, every: u8) -> Spec {
        let env = env_with_home(home);
        Spec::new(
            Path::new("/opt/postez/bin/postez"),
            every,
            &env,
            &Paths::resolve(&env).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn a_shared_queue_goes_along_only_without_its_password() {
        let mut env = env_with_home("/srv/postez");
        env.database_url = Some(crate::secrets::Secret::new(
            "postgres://team@db.example.com/q",
        ));
        let spec = Spec::new(
            Path::new("/usr/bin/postez"),
            5,
            &env,
            &Paths::resolve(&env).unwrap(),
        )
        .unwrap();
        assert!(!spec.left_out().contains(&"POSTEZ_DATABASE_URL"));
        assert!(
            spec.crontab_line()
                .contains("POSTEZ_DATABASE_URL=postgres://team@db.example.com/q")
        );
        env.database_url = Some(crate::secrets::Secret::new(
            "postgres://team:pw-9f2@db.example.com/q",
        ));
        let spec = Spec::new(
            Path::new("/usr/bin/postez"),
            5,
            &env,
            &Paths::resolve(&env).unwrap(),
        )
        .unwrap();
        assert!(spec.left_out().contains(&"POSTEZ_DATABASE_URL"));
        assert!(!spec.crontab_line().contains("pw-9f2"));
    }

    #[test]
    fn units_run_the_absolute_binary_with_the_environment_but_no_secrets() {
        let spec = spec("/srv/postez", 5);
        let service = spec.service_unit();
        assert!(
            service.contains("ExecStart=/opt/postez/bin/postez run\n"),
            "{service}"
        );
        assert!(service.contains("Environment=\"POSTEZ_HOME=/srv/postez\"\n"));
        assert!(service.contains("Environment=\"POSTEZ_TIKTOK_API_URL=http://127.0.0.1:9/api\""));
        assert!(service.contains("Type=oneshot"));
        assert!(!service.contains("hunter2") && !service.contains("POSTEZ_NOW"));
        assert_eq!(spec.left_out(), ["POSTEZ_PASSPHRASE"]);
        let timer = spec.timer_unit();
        for line in [
            "OnCalendar=*:0/5",
            "Persistent=true",
            "AccuracySec=30s",
            "WantedBy=timers.target",
        ] {
            assert!(timer.lines().any(|l| l == line), "{line} in {timer}");
        }
    }

    #[test]
    fn awkward_paths_are_quoted_for_systemd_and_sh() {
        let spec = spec("/srv/my 100% 'home'", 60);
        let service = spec.service_unit();
        assert!(
            service.contains("Environment=\"POSTEZ_HOME=/srv/my 100%% 'home'\""),
            "{service}"
        );
        assert!(spec.timer_unit().contains("OnCalendar=*:00\n"));
        let line = spec.crontab_line();
        assert!(
            line.starts_with(r"0 * * * * POSTEZ_HOME='/srv/my 100'\%' '\''home'\''' "),
            "{line}"
        );
        assert_eq!(unit_word("/a b/100%"), "\"/a b/100%%\"");
    }

    #[test]
    fn what_execstart_cannot_hold_is_refused_for_systemd_only() {
        let env = Env::default();
        let paths = Paths::single(Path::new("/p"));
        for exe in [
            "/opt/a$b/postez",
            "/opt/a\"b/postez",
            "/opt/it's/postez",
            r"/opt/a\b/postez",
        ] {
            let spec = Spec::new(Path::new(exe), 5, &env, &paths).unwrap();
            let e = spec.systemd_ready().unwrap_err();
            assert!(e.to_string().contains("cannot hold"), "{exe}: {e}");
            assert!(e.hint().unwrap().contains("--crontab"), "{exe}");
            // The crontab line holds it.
            assert!(spec.crontab_line().contains("run >>"), "{exe}");
        }
        let spec = Spec::new(Path::new("/opt/my 100%/postez"), 5, &env, &paths).unwrap();
        spec.systemd_ready().unwrap();
        assert!(
            spec.service_unit()
                .contains("\nExecStart=\"/opt/my 100%%/postez\" run\n"),
            "{}",
            spec.service_unit()
        );
    }

    #[test]
    fn cron_words_keep_backslashes_away_from_percent_signs() {
        assert_eq!(cron_word("/a/b"), "/a/b");
        assert_eq!(cron_word("100%"), r"100\%");
        assert_eq!(cron_word(r"/a\%b"), r"'/a\'\%b");
        assert_eq!(cron_word("%%"), r"\%\%");
        assert_eq!(cron_word(""), "''");
    }

    /// Runs `systemd-analyze verify --user` on `units` written into a fresh folder: `Ok` when it
    /// had nothing to say, else what it said; `None` where systemd-analyze is not installed.
    fn systemd_verify(units: &[(&str, String)]) -> Option<Result<(), String>> {
        let dir = tempfile::tempdir().expect("tempdir");
        let runtime = dir.path().join("runtime");
        std::fs::create_dir(&runtime).expect("runtime dir");
        let mut paths = Vec::new();
        for (name, text) in units {
            let path = dir.path().join(name);
            std::fs::write(&path, text).expect("write unit");
            paths.push(path);
        }
        // User mode, as `cron install` installs them; the user manager it simulates needs a
        // runtime folder, which a container or CI job may lack. `--man=yes` (the default) keeps
        // the check that every `Documentation=man:` page is installed.
        let output = match crate::env::command("systemd-analyze")
            .args(["verify", "--user"])
            .args(&paths)
            .env("XDG_RUNTIME_DIR", &runtime)
            .output()
        {
            Ok(output) => output,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(e) => panic!("systemd-analyze: {e}"),
        };
        // Some problems are only warned about ("…, ignoring") with exit 0: any output counts.
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        Some(if output.status.success() && said.trim().is_empty() {
            Ok(())
        } else {
            Err(format!("{}: {said}", output.status))
        })
    }

    #[test]
    #[allow(clippy::print_stderr)]
    fn systemd_analyze_verify_accepts_the_units() {
        // ExecStart must name an existing executable: this test binary stands in for postez.
        let exe = std::env::current_exe().expect("current_exe");
        let env = env_with_home("/srv/my 100% 'home'");
        let spec = Spec::new(&exe, 5, &env, &Paths::resolve(&env).unwrap()).unwrap();
        let service = spec.service_unit();
        let timer = spec.timer_unit();
        let pair = |service: &str| {
            systemd_verify(&[
                ("postez-run.service", service.to_owned()),
                ("postez-run.timer", timer.clone()),
            ])
        };
        let Some(verdict) = pair(&service) else {
            eprintln!("SKIPPED: systemd-analyze is not installed (`bash tests/run` installs it)");
            return;
        };
        if let Err(said) = verdict {
            panic!("systemd-analyze verify on the generated units: {said}\n{service}\n{timer}");
        }
        // The check can fail: each of these breaks the unit in a way systemd reports.
        for broken in [
            service.replace("Type=oneshot", "Type=one-shot"),
            service.replace(&exe.display().to_string(), "/nonexistent/postez"),
            service.replace(
                "[Unit]\n",
                "[Unit]\nDocumentation=man:postez-no-such-page(1)\n",
            ),
        ] {
            assert_ne!(broken, service, "the breakage did not apply");
            assert!(
                pair(&broken).is_some_and(|v| v.is_err()),
                "systemd-analyze accepted:\n{broken}"
            );
        }
    }

    #[test]
    fn every_is_checked_and_a_line_break_is_refused() {
        let env = Env::default();
        let paths = Paths::single(Path::new("/p"));
        let exe = Path::new("/bin/postez");
        assert!(Spec::new(exe, 0, &env, &paths).is_err());
        assert!(Spec::new(exe, 61, &env, &paths).is_err());
        assert!(Spec::new(Path::new("postez"), 5, &env, &paths).is_err());
        for exe in [
            "/bin/a\nb",
            "/bin/a\rb",
            "/bin/a\tb",
            "/bin/a\u{1b}b",
            "/bin/a\u{7f}b",
        ] {
            let e = Spec::new(Path::new(exe), 5, &env, &paths).unwrap_err();
            assert!(e.to_string().contains("control character"), "{e}");
        }
        let line = Spec::new(exe, 1, &env, &paths).unwrap().crontab_line();
        assert_eq!(
            line,
            "*/1 * * * * /bin/postez run >> /p/logs/runner.log 2>&1 # postez runner"
        );
    }
}
