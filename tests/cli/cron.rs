//! `postez cron install|remove|show` with fake `systemctl` and `crontab` first on `PATH`: they
//! record their arguments, keep the crontab in a file, and answer like a machine with or without a
//! systemd user session. No test here reaches the real systemd or the real crontab.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use postez::store::Store;

use crate::support::{NOW, TestEnv};

const SYSTEMCTL: &str = r#"#!/bin/sh
echo "$*" >> "$FAKE_DIR/systemctl.log"
if [ "$2" = show-environment ]; then
  if [ ! -e "$FAKE_DIR/systemd-up" ]; then
    echo "Failed to connect to bus: No medium found" >&2
    exit 1
  fi
  echo "HOME=$HOME"
fi
exit 0
"#;

const CRONTAB: &str = r#"#!/bin/sh
echo "$*" >> "$FAKE_DIR/crontab.log"
case "$1" in
  -l)
    if [ -e "$FAKE_DIR/crontab.table" ]; then cat "$FAKE_DIR/crontab.table"; exit 0; fi
    echo "no crontab for tester" >&2
    exit 1 ;;
  -) cat > "$FAKE_DIR/crontab.table" ;;
  *) echo "fake crontab: unexpected $*" >&2; exit 2 ;;
esac
"#;

/// A test environment whose `systemctl` and `crontab` are the fakes above.
struct Machine {
    env: TestEnv,
}

impl Machine {
    fn new(systemd: bool) -> Self {
        Self::with_programs(
            systemd,
            &[("systemctl", SYSTEMCTL), ("crontab", CRONTAB)],
            true,
        )
    }

    /// Only `programs` on PATH (plus the system folders when `system_path`).
    fn with_programs(systemd: bool, programs: &[(&str, &str)], system_path: bool) -> Self {
        use std::os::unix::fs::PermissionsExt;
        let mut env = TestEnv::new();
        let bin = env.path("fakebin");
        std::fs::create_dir_all(&bin).unwrap();
        for (name, script) in programs {
            let file = bin.join(name);
            std::fs::write(&file, script).unwrap();
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        // The fakes need `cat`; the real `systemctl`/`crontab` come after them, if at all.
        let path = if system_path {
            format!("{}:/usr/bin:/bin", bin.display())
        } else {
            bin.display().to_string()
        };
        env.set("PATH", &path);
        let dir = env.dir.path().display().to_string();
        env.set("FAKE_DIR", &dir);
        let machine = Self { env };
        machine.systemd(systemd);
        machine
    }

    fn systemd(&self, up: bool) {
        let flag = self.env.path("systemd-up");
        if up {
            std::fs::write(flag, "").unwrap();
        } else {
            let _ = std::fs::remove_file(flag);
        }
    }

    fn unit(&self, name: &str) -> PathBuf {
        self.env
            .dir
            .path()
            .join("home/.config/systemd/user")
            .join(name)
    }

    fn read(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap_or_default()
    }

    fn systemctl_log(&self) -> String {
        Self::read(&self.env.path("systemctl.log"))
    }

    fn table(&self) -> String {
        Self::read(&self.env.path("crontab.table"))
    }

    fn set_table(&self, table: &str) {
        std::fs::write(self.env.path("crontab.table"), table).unwrap();
    }

    /// Record a finished run that started `ago` before NOW.
    fn record_run(&self, ago: Duration, published: u32, failed: u32) {
        std::fs::create_dir_all(self.env.home()).unwrap();
        let mut store = Store::open(&self.env.db()).unwrap();
        let started = NOW.parse::<DateTime<Utc>>().unwrap() - ago;
        let id = store.run_started(started).unwrap();
        store
            .run_finished(
                id,
                started + Duration::seconds(10),
                1,
                published,
                failed,
                0,
                0,
            )
            .unwrap();
    }
}

fn exe() -> String {
    std::fs::canonicalize(env!("CARGO_BIN_EXE_postez"))
        .unwrap()
        .display()
        .to_string()
}

#[test]
fn installs_a_systemd_user_timer_where_systemctl_user_works() {
    let m = Machine::new(true);
    let run = m.env.run(&["cron", "install"]);
    run.ok();
    assert!(
        run.stderr
            .contains("Installed systemd user timer postez-run.timer"),
        "{run:?}"
    );
    let service = Machine::read(&m.unit("postez-run.service"));
    assert!(
        service.contains(&format!("\nExecStart={} run\n", exe())),
        "{service}"
    );
    let home = m.env.home().display().to_string();
    assert!(
        service.contains(&format!("\nEnvironment=\"POSTEZ_HOME={home}\"\n")),
        "{service}"
    );
    assert!(
        !service.contains("POSTEZ_NOW"),
        "a test aid leaked into the unit:\n{service}"
    );
    assert!(service.contains("Type=oneshot"));
    let timer = Machine::read(&m.unit("postez-run.timer"));
    for line in ["OnCalendar=*:0/5", "Persistent=true", "AccuracySec=30s"] {
        assert!(timer.lines().any(|l| l == line), "{line} missing:\n{timer}");
    }
    let calls = m.systemctl_log();
    assert!(
        calls.contains("--user daemon-reload\n--user enable --now postez-run.timer\n"),
        "{calls}"
    );
    assert_eq!(m.table(), "", "no crontab line when systemd runs postez");

    // Re-installing replaces the schedule and restarts the timer so it takes effect.
    m.env.run(&["cron", "install", "--every", "10"]).ok();
    let timer = Machine::read(&m.unit("postez-run.timer"));
    assert!(timer.contains("OnCalendar=*:0/10\n"), "{timer}");
    assert!(!timer.contains("*:0/5"));
    assert!(
        m.systemctl_log()
            .ends_with("--user restart postez-run.timer\n")
    );
}

#[test]
fn falls_back_to_a_crontab_line_and_keeps_the_users_lines() {
    let m = Machine::new(false);
    m.set_table("MAILTO=me@example.com\n0 3 * * * /usr/local/bin/backup\n");
    let run = m.env.run(&["cron", "install"]);
    run.ok();
    assert!(run.stderr.contains("No systemd user session"), "{run:?}");
    assert!(run.stderr.contains("Failed to connect to bus"), "{run:?}");
    assert!(run.stderr.contains("Installed crontab line"), "{run:?}");
    let home = m.env.home().display().to_string();
    let line = format!(
        "*/5 * * * * POSTEZ_HOME={home} {} run >> {home}/logs/runner.log 2>&1 # postez runner",
        exe()
    );
    assert_eq!(
        m.table(),
        format!("MAILTO=me@example.com\n0 3 * * * /usr/local/bin/backup\n{line}\n")
    );
    assert!(
        Path::new(&format!("{home}/logs/runner.log")).exists(),
        "cron's shell cannot append to a log in a missing folder"
    );
    assert!(!m.unit("postez-run.timer").exists());
    assert!(!m.systemctl_log().contains("enable"));

    // Re-installing replaces the line instead of adding a second one.
    m.env.run(&["cron", "install", "--every", "15"]).ok();
    let table = m.table();
    assert_eq!(table.matches("# postez runner").count(), 1, "{table}");
    assert!(table.contains("\n*/15 * * * * POSTEZ_HOME="), "{table}");
    assert!(table.starts_with("MAILTO=me@example.com\n0 3 * * * /usr/local/bin/backup\n"));
}

#[test]
fn switching_kinds_removes_the_other_runner() {
    let m = Machine::new(false);
    m.env.run(&["cron", "install"]).ok();
    assert!(m.table().contains("# postez runner"));

    m.systemd(true);
    let run = m.env.run(&["cron", "install"]);
    run.ok();
    assert!(
        run.stderr.contains("Removed crontab line (replaced)"),
        "{run:?}"
    );
    assert!(!m.table().contains("# postez runner"));
    assert!(m.unit("postez-run.timer").exists());

    let run = m.env.run(&["cron", "install", "--crontab"]);
    run.ok();
    assert!(
        run.stderr
            .contains("Removed systemd user timer postez-run.timer (replaced)"),
        "{run:?}"
    );
    assert!(
        m.systemctl_log()
            .contains("--user disable --now postez-run.timer\n")
    );
    assert!(!m.unit("postez-run.timer").exists());
    assert!(!m.unit("postez-run.service").exists());
    assert_eq!(m.table().matches("# postez runner").count(), 1);
}

#[test]
fn remove_cleans_both_kinds_and_is_quiet_about_nothing() {
    let m = Machine::new(true);
    m.env.run(&["cron", "install"]).ok();
    // Both kinds at once: a line left over from another install.
    m.set_table("0 3 * * * backup\n*/5 * * * * /old/postez run # postez runner\n");
    let run = m.env.run(&["cron", "remove", "--json"]);
    let json = run.json();
    let kinds: Vec<&str> = json["removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["systemd", "crontab"]);
    assert!(run.stderr.contains("Removed systemd user timer"), "{run:?}");
    assert!(run.stderr.contains("Removed crontab line"), "{run:?}");
    assert!(!m.unit("postez-run.timer").exists());
    assert!(!m.unit("postez-run.service").exists());
    assert_eq!(m.table(), "0 3 * * * backup\n");
    let calls = m.systemctl_log();
    assert!(
        calls.ends_with("--user disable --now postez-run.timer\n--user daemon-reload\n"),
        "{calls}"
    );

    let again = m.env.run(&["cron", "remove"]);
    again.ok();
    assert!(again.stderr.contains("No runner is installed"), "{again:?}");
    assert_eq!(m.table(), "0 3 * * * backup\n");
}

#[test]
fn show_tells_the_runner_and_the_last_run() {
    let m = Machine::new(true);
    let out = m.env.run(&["cron", "show"]);
    assert!(out.ok().contains("runner     none"), "{out:?}");
    assert!(out.stdout.contains("last run   never ran"), "{out:?}");
    let json = m.env.run(&["cron", "show", "--json"]).json();
    assert_eq!(json["kind"], serde_json::Value::Null);
    assert_eq!(json["last_run"], serde_json::Value::Null);

    m.env.run(&["cron", "install"]).ok();
    m.record_run(Duration::minutes(3), 1, 0);
    let out = m.env.run(&["cron", "show"]);
    let text = out.ok();
    assert!(
        text.contains("runner     systemd user timer postez-run.timer, every 5 minutes"),
        "{text}"
    );
    assert!(text.contains("postez-run.service"), "{text}");
    assert!(
        text.contains("last run   3m ago, published 1, failed 0"),
        "{text}"
    );
    assert!(!out.stderr.contains("warning"), "{out:?}");

    let json = m.env.run(&["cron", "show", "--json"]).json();
    assert_eq!(json["kind"], "systemd");
    assert_eq!(json["schedule"], "*:0/5");
    assert_eq!(json["every_minutes"], 5);
    assert_eq!(json["command"], format!("{} run", exe()));
    assert_eq!(json["last_run"]["started_at"], "2026-11-25T09:57:00Z");
    assert_eq!(json["last_run"]["published"], 1);
    assert_eq!(json["last_run"]["failed"], 0);
    assert_eq!(json["last_run"]["exit_code"], 0);
}

#[test]
fn show_warns_when_the_runner_stopped_and_reads_the_crontab() {
    let m = Machine::new(false);
    m.env.run(&["cron", "install", "--every", "10"]).ok();
    m.record_run(Duration::hours(2), 0, 1);
    let out = m.env.run(&["cron", "show"]);
    let text = out.ok();
    assert!(
        text.contains("runner     crontab line, every 10 minutes"),
        "{text}"
    );
    assert!(text.contains("*/10 * * * * POSTEZ_HOME="), "{text}");
    assert!(text.contains("\nlog        /"), "{text}");
    assert!(
        text.contains("last run   2h ago, published 0, failed 1"),
        "{text}"
    );
    assert!(
        out.stderr.contains("the runner has not run for 2h; see "),
        "{out:?}"
    );
    let json = m.env.run(&["cron", "show", "--json"]).json();
    assert_eq!(json["kind"], "crontab");
    assert_eq!(json["schedule"], "*/10 * * * *");
    assert!(json["line"].as_str().unwrap().ends_with("# postez runner"));
}

#[test]
fn without_systemd_or_cron_install_says_what_to_do() {
    // Only a failing systemctl on PATH: no crontab anywhere.
    let m = Machine::with_programs(false, &[("systemctl", SYSTEMCTL)], false);
    let run = m.env.run(&["cron", "install"]);
    let err = run.fails(2);
    assert!(
        err.contains("neither a systemd user session") && err.contains("hint:"),
        "{err}"
    );
    let run = m.env.run(&["cron", "install", "--crontab"]);
    assert!(
        run.fails(2).contains("`crontab` command is not installed"),
        "{run:?}"
    );
    // show and remove still work: there is simply nothing installed.
    m.env.run(&["cron", "remove"]).ok();
    assert!(
        m.env
            .run(&["cron", "show"])
            .ok()
            .contains("runner     none")
    );
}

#[test]
fn every_is_range_checked_and_help_has_examples() {
    let m = Machine::new(true);
    m.env.run(&["cron", "install", "--every", "0"]).fails(2);
    m.env.run(&["cron", "install", "--every", "61"]).fails(2);
    assert!(!m.unit("postez-run.timer").exists());
    assert!(m.env.run(&["cron", "--help"]).ok().contains("Examples:"));
}

/// What cron runs for a crontab line, as Vixie cron and cronie do it (`do_command.c`): the text
/// after the five time fields up to the first unescaped `%`, with `\%` turned into `%` (a
/// backslash right after a backslash escapes nothing); the rest is the job's stdin.
fn as_cron_runs(line: &str) -> (String, String) {
    let mut rest = line;
    for _ in 0..5 {
        rest = rest.trim_start();
        rest = &rest[rest.find(' ').unwrap()..];
    }
    let (mut command, mut stdin) = (String::new(), String::new());
    let mut escaped = false;
    let mut chars = rest.trim_start().chars();
    while let Some(c) = chars.next() {
        if escaped {
            if c == '%' {
                command.pop();
            }
            command.push(c);
            escaped = false;
            continue;
        }
        if c == '%' {
            stdin = chars.collect::<String>().replace('%', "\n");
            break;
        }
        escaped = c == '\\';
        command.push(c);
    }
    (command, stdin)
}

#[test]
fn a_crontab_line_for_paths_with_percent_and_backslashes_runs_the_binary() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join(r"it's 100% \%x $HOME `q` \\%");
    let exe = root.join("bin").join(r"post\%ez");
    let home = root.join(r"home 5%% \");
    let ran = dir.path().join("ran");
    std::fs::create_dir_all(exe.parent().unwrap()).unwrap();
    std::fs::create_dir_all(home.join("logs")).unwrap();
    std::fs::write(
        &exe,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$0\" \"$@\" \"$POSTEZ_HOME\" > '{}'\necho logged\n",
            ran.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
    let env = postez::env::Env {
        home: Some(home.clone()),
        ..Default::default()
    };
    let spec =
        postez::runner::Spec::new(&exe, 5, &env, &postez::env::Paths::single(&home)).unwrap();
    let line = spec.crontab_line();
    let (command, stdin) = as_cron_runs(&line);
    assert_eq!(stdin, "", "cron would cut the line at a `%`: {line}");
    let status = std::process::Command::new("/bin/sh")
        .args(["-c", &command])
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .status()
        .unwrap();
    assert!(status.success(), "{line}");
    let got = std::fs::read_to_string(&ran).unwrap_or_default();
    let want = format!("{}\nrun\n{}\n", exe.display(), home.display());
    assert_eq!(got, want, "the crontab line was {line}");
    assert_eq!(
        std::fs::read_to_string(home.join("logs/runner.log")).unwrap(),
        "logged\n"
    );
}

#[test]
fn units_systemd_analyze_rejects_are_not_installed() {
    const ANALYZE: &str = "#!/bin/sh\necho \"$*\" >> \"$FAKE_DIR/analyze.log\"\n\
        echo 'postez-run.service: Command /x is not executable: No such file or directory' >&2\n\
        exit 1\n";
    let m = Machine::with_programs(
        true,
        &[
            ("systemctl", SYSTEMCTL),
            ("crontab", CRONTAB),
            ("systemd-analyze", ANALYZE),
        ],
        true,
    );
    let run = m.env.run(&["cron", "install"]);
    let err = run.fails(2);
    assert!(
        err.contains("systemd-analyze verify rejected the runner's units")
            && err.contains("is not executable")
            && err.contains("hint: use cron instead: `postez cron install --crontab`"),
        "{run:?}"
    );
    assert!(!run.stderr.contains("Installed"), "{run:?}");
    assert!(Machine::read(&m.env.path("analyze.log")).starts_with("verify --man=no "));
    assert!(!m.unit("postez-run.service").exists());
    assert!(!m.unit("postez-run.timer").exists());
    assert!(
        !m.systemctl_log().contains("enable"),
        "{}",
        m.systemctl_log()
    );
    // The crontab line is the way out, and it works.
    m.env.run(&["cron", "install", "--crontab"]).ok();
    assert!(m.table().contains("# postez runner"));
}

/// `cron install` says truthfully how runs will open the encrypted token file: the passphrase
/// in the environment is never written into the runner, so without a `passphrase_command` the
/// runs cannot open it, and with one they use it.
#[test]
fn install_says_how_runs_will_get_the_token_files_passphrase() {
    let mut m = Machine::new(true);
    m.env.set("POSTEZ_TOKEN_STORE", "file");
    m.env
        .set("POSTEZ_PASSPHRASE", "correct horse battery staple");
    let run = m.env.run(&["cron", "install"]);
    assert!(
        run.ok().is_empty()
            && run
                .stderr
                .contains("POSTEZ_PASSPHRASE is a secret and is not written")
            && run
                .stderr
                .contains("runs cannot open the token file without it"),
        "{run:?}"
    );
    let service = Machine::read(&m.unit("postez-run.service"));
    assert!(!service.contains("correct horse"), "{service}");

    m.env
        .run(&["config", "set", "passphrase_command", "pass show postez"])
        .ok();
    let run = m.env.run(&["cron", "install"]);
    assert!(
        run.stderr
            .contains("runs get the passphrase from `passphrase_command`"),
        "{run:?}"
    );

    // The file store chosen in the settings, no passphrase anywhere: said too.
    m.env.unset("POSTEZ_PASSPHRASE");
    m.env.run(&["config", "set", "passphrase_command", ""]).ok();
    m.env.run(&["config", "set", "token_store", "file"]).ok();
    let run = m.env.run(&["cron", "install"]);
    assert!(
        run.stderr
            .contains("runs cannot open the encrypted token file"),
        "{run:?}"
    );
}
