//! Strict modes, played as another local user would attack them: a `passphrase_command` in a
//! config file (or folder) that someone else can write is never run, and a token file in a
//! folder someone else owns is not used, whatever the command. The command writes a marker
//! file, so "never run" is checked on the disk, not inferred from the output.

use std::os::unix::fs::{PermissionsExt, chown};
use std::path::{Path, PathBuf};

use crate::support::{Fake, Media, Run, TestEnv, media};

const PASSPHRASE: &str = "correct horse battery staple";

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// A connected file-store setup with a due post, whose passphrase now comes from a command in
/// `config_dir/config.toml` that leaves a marker.
fn setup(mut env: TestEnv, fake: &Fake, config_dir: &Path) -> (TestEnv, PathBuf) {
    fake.configure(&mut env);
    env.set("POSTEZ_TOKEN_STORE", "file");
    env.set("POSTEZ_PASSPHRASE", PASSPHRASE);
    let connected = env.connect(fake, &[]);
    assert_eq!(connected.code, 0, "{connected:?}");
    env.schedule(&media(Media::Mp4), "now", &["--caption", "due"]);
    let marker = env.path("command-ran");
    std::fs::create_dir_all(config_dir).unwrap();
    let config = config_dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "token_store = \"file\"\npassphrase_command = \"touch {} && printf '{PASSPHRASE}'\"\n",
            marker.display()
        ),
    )
    .unwrap();
    chmod(&config, 0o600);
    env.unset("POSTEZ_PASSPHRASE");
    env.unset("POSTEZ_TOKEN_STORE");
    (env, marker)
}

/// `setup` with everything in `POSTEZ_HOME`.
fn setup_home(fake: &Fake) -> (TestEnv, PathBuf) {
    let env = TestEnv::new();
    let home = env.home();
    setup(env, fake, &home)
}

/// Every command that may read secrets, and whether it must fail for want of them.
fn commands_reading_secrets(env: &TestEnv) -> Vec<(&'static str, Run, bool)> {
    let mut runs = vec![
        ("run", env.run(&["run"]), true),
        ("accounts --check", env.run(&["accounts", "--check"]), true),
        ("disconnect", env.run(&["disconnect", "tiktok"]), true),
        ("purge", env.run(&["purge", "--yes"]), true),
        ("doctor", env.run(&["doctor"]), true),
        (
            "export",
            env.run(&[
                "export",
                "--output",
                env.path("export.json").to_str().unwrap(),
            ]),
            false,
        ),
    ];
    match crate::support::Connecting::start(env, &[]) {
        Err(run) => runs.push(("connect", run, true)),
        Ok(connecting) => panic!("connect got as far as the login: {}", connecting.url),
    }
    runs
}

fn assert_refused(env: &TestEnv, marker: &Path, culprit: &Path, why: &str) {
    for (name, run, must_fail) in commands_reading_secrets(env) {
        assert!(
            !marker.exists(),
            "{why}: `{name}` ran the passphrase command\n{run:?}"
        );
        if must_fail {
            assert_ne!(run.code, 0, "{why}: `{name}` succeeded\n{run:?}");
            let shown = format!("{}{}", run.stdout, run.stderr);
            // A foreign data folder is refused even before secrets come into play.
            let refused = shown.contains("will not run the passphrase command")
                || shown.contains("postez will not keep logins and the queue there");
            assert!(
                refused && shown.contains(&culprit.display().to_string()) && shown.contains(why),
                "{why}: `{name}` did not name the file and the problem\n{run:?}"
            );
        }
    }
}

/// Nothing was lost on the way: the post still waits.
fn assert_post_waits(env: &TestEnv) {
    let list = env.run(&["list", "--json"]);
    assert!(list.ok().contains("due"), "{list:?}");
}

#[test]
fn a_config_file_others_can_write_never_runs_its_command() {
    let fake = Fake::start(|_| {});
    let (env, marker) = setup_home(&fake);
    let config = env.home().join("config.toml");
    // Control: with private modes the command does run, so the marker can tell.
    env.run(&["accounts", "--check"]).ok();
    assert!(marker.exists(), "the passphrase command never ran");
    std::fs::remove_file(&marker).unwrap();

    for mode in [0o620, 0o602, 0o666] {
        chmod(&config, mode);
        assert_refused(&env, &marker, &config, "can be written by group or others");
    }
    assert_post_waits(&env);
}

#[test]
fn a_config_file_of_another_user_never_runs_its_command() {
    if !is_root() {
        eprintln!("SKIPPED: changing a file's owner needs root");
        return;
    }
    let fake = Fake::start(|_| {});
    let (env, marker) = setup_home(&fake);
    let config = env.home().join("config.toml");
    chown(&config, Some(65534), Some(65534)).unwrap();
    assert_refused(&env, &marker, &config, "belongs to another user");
    assert_post_waits(&env);
}

#[test]
fn a_config_folder_others_can_write_never_runs_its_command() {
    let fake = Fake::start(|_| {});
    // The XDG layout: settings in their own folder, which postez never chmods.
    let mut env = TestEnv::new();
    env.unset("POSTEZ_HOME");
    for (var, dir) in [
        ("XDG_CONFIG_HOME", "xdg-config"),
        ("XDG_DATA_HOME", "xdg-data"),
        ("XDG_STATE_HOME", "xdg-state"),
    ] {
        let path = env.path(dir);
        env.set(var, path.to_str().unwrap());
    }
    let config_dir = env.path("xdg-config").join("postez");
    let (env, marker) = setup(env, &fake, &config_dir);
    env.run(&["accounts", "--check"]).ok();
    assert!(marker.exists(), "the passphrase command never ran");
    std::fs::remove_file(&marker).unwrap();
    chmod(&config_dir, 0o777);
    assert_refused(
        &env,
        &marker,
        &config_dir,
        "can be written by group or others",
    );
    assert_post_waits(&env);
}

#[test]
fn a_data_folder_of_another_user_is_not_trusted() {
    if !is_root() {
        eprintln!("SKIPPED: changing a folder's owner needs root");
        return;
    }
    let fake = Fake::start(|_| {});
    let (env, marker) = setup_home(&fake);
    chown(env.home(), Some(65534), Some(65534)).unwrap();
    assert_refused(&env, &marker, &env.home(), "belongs to another user");
    chown(env.home(), Some(0), Some(0)).unwrap();
    assert_post_waits(&env);
}

/// A FIFO put in place of `config.toml` cannot hang a cron run: the file is opened without
/// blocking and refused for not being a regular file.
#[test]
fn a_fifo_in_place_of_the_config_does_not_hang_postez() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.home()).unwrap();
    let config = env.home().join("config.toml");
    let made = std::process::Command::new("mkfifo")
        .arg(&config)
        .status()
        .unwrap();
    assert!(made.success());
    let mut child = env
        .command(&["list"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("postez hung on a FIFO config");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0));
    assert!(stderr.contains("is not a regular file"), "{stderr}");
}

/// Folders postez creates are 0700 whatever the umask, parents included: with umask 002 (a
/// group per user) `~/.config` would be group-writable, and the strict modes would then refuse
/// postez's own setup.
#[test]
fn folders_postez_creates_are_private_whatever_the_umask() {
    let mut env = TestEnv::new();
    env.unset("POSTEZ_HOME");
    for (var, dir) in [
        ("XDG_CONFIG_HOME", "home/.config"),
        ("XDG_DATA_HOME", "home/.local/share"),
        ("XDG_STATE_HOME", "home/.local/state"),
    ] {
        let path = env.path(dir);
        env.set(var, path.to_str().unwrap());
    }
    let marker = env.path("command-ran");
    let under_umask_002 = |args: &[&str]| {
        let script = format!("umask 002; exec {} \"$@\"", env!("CARGO_BIN_EXE_postez"));
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(&script)
            .arg("postez")
            .args(args)
            .env_clear()
            .envs(env.env.iter().map(|(k, v)| (k, v)))
            .current_dir(env.dir.path())
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success() || args[0] == "doctor",
            "{args:?}: {out:?}"
        );
        out
    };
    let command = format!("touch {} && printf '{PASSPHRASE}'", marker.display());
    under_umask_002(&["config", "set", "passphrase_command", &command]);
    under_umask_002(&["config", "set", "token_store", "file"]);
    under_umask_002(&["list"]);
    let doctor = under_umask_002(&["doctor"]);
    assert!(
        marker.exists(),
        "doctor did not run the passphrase command: {doctor:?}"
    );
    for dir in [
        "home/.config",
        "home/.config/postez",
        "home/.local",
        "home/.local/share",
        "home/.local/share/postez",
    ] {
        let mode = std::fs::metadata(env.path(dir))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o700, "{dir}");
    }
}
