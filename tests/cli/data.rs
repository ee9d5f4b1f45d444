//! The user's data and the runner's health: export, purge, history, doctor.

use std::time::Duration;

use postez::secrets::{FileStore, Keychain, Secret, SecretStore};

use crate::support::{Fake, Media, Run, TestEnv, media};

const PASSPHRASE: &str = "correct horse battery staple";

fn file_store(env: &TestEnv) -> SecretStore {
    SecretStore::File(FileStore::new(
        env.home().join("secrets.enc"),
        Secret::new(PASSPHRASE),
    ))
}

fn doctor(env: &TestEnv) -> (Run, serde_json::Value) {
    let run = env.run(&["doctor", "--json"]);
    let json: serde_json::Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"));
    (run, json)
}

fn check<'a>(json: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"].as_str().unwrap().starts_with(name))
        .unwrap_or_else(|| panic!("no check {name}: {json}"))
}

#[test]
fn export_then_purge_an_account_leaves_nothing_of_it() {
    let Some(mut env) = TestEnv::with_keyring() else {
        return;
    };
    let fake = Fake::start(|_| {});
    fake.configure(&mut env);
    env.connect(&fake, &[]).ok();
    env.schedule(&media(Media::Mp4), "now", &["--caption", "goes out"]);
    env.schedule(
        &media(Media::Mp4),
        "in 2h",
        &["--caption", "waits", "--copy"],
    );
    env.run(&["run"]).ok();
    let out = env.path("export.json");
    env.run(&[
        "export",
        "--output",
        out.to_str().unwrap(),
        "--media",
        env.path("videos").to_str().unwrap(),
    ])
    .ok();
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(doc["format"], "postez-export");
    assert_eq!(doc["accounts"][0]["open_id"], fake.open_id);
    let posts = doc["posts"].as_array().unwrap();
    assert_eq!(posts.len(), 2);
    for p in posts {
        let id = p["id"].as_i64().unwrap();
        let shown = env.run(&["show", &id.to_string(), "--json"]).json();
        assert_eq!(p["events"], shown["events"], "every event of post {id}");
        assert!(std::path::Path::new(p["media_copy"].as_str().unwrap()).exists());
    }
    let kinds: Vec<&str> = posts[0]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for kind in ["scheduled", "claimed", "init", "uploaded", "published"] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
    let text = String::from_utf8(std::fs::read(&out).unwrap()).unwrap();
    for token in fake
        .state()
        .tokens
        .iter()
        .map(|t| t.token.clone())
        .chain(["fake_client_secret".to_string()])
    {
        assert!(!text.contains(&token), "export holds a secret");
    }
    let copy = posts[1]["file"].as_str().unwrap().to_string();
    assert!(std::path::Path::new(&copy).exists());
    assert!(env.home().join("logs/postez.log").exists());

    let run = env.run(&["purge", "--account", "pastachef", "--yes"]);
    assert!(run.ok().contains("Purged 1 account, 2 posts"), "{run:?}");
    // Revoked at TikTok, gone from the keychain, the database, the media folder and the logs.
    let access: Vec<String> = fake
        .state()
        .tokens
        .iter()
        .map(|t| t.token.clone())
        .collect();
    assert!(
        access
            .iter()
            .any(|t| fake.state().revoked_tokens.contains(t))
    );
    let keychain = SecretStore::Keychain(Keychain::new("postez", Duration::from_secs(5)));
    assert!(
        keychain
            .get(&format!("tiktok:{}", fake.open_id))
            .unwrap()
            .is_none()
    );
    let db = String::from_utf8_lossy(&env.db_bytes()).into_owned();
    assert!(!db.contains(&fake.open_id) && !db.contains("goes out") && !db.contains("pastachef"));
    let wal = env.home().join("postez.db-wal");
    if wal.exists() {
        assert!(!String::from_utf8_lossy(&std::fs::read(wal).unwrap()).contains(&fake.open_id));
    }
    assert!(!std::path::Path::new(&copy).exists());
    assert!(!env.home().join("logs").exists());
    assert_eq!(
        env.run(&["accounts", "--json"]).json(),
        serde_json::json!([])
    );
    assert_eq!(
        env.run(&["list", "--all", "--json"]).json(),
        serde_json::json!([])
    );
}

#[test]
fn purge_everything_with_the_file_store() {
    let fake = Fake::start(|_| {});
    let env = fake.connected();
    env.schedule(&media(Media::Mp4), "now", &[]);
    env.run(&["run"]).ok();
    assert!(
        file_store(&env)
            .get(&format!("tiktok:{}", fake.open_id))
            .unwrap()
            .is_some()
    );
    // Without a terminal, purge needs --yes.
    let refused = env.run(&["purge"]);
    assert!(refused.fails(2).contains("--yes"), "{refused:?}");
    assert!(env.db().exists());
    let run = env.run(&["purge", "--yes", "--json"]);
    let report = run.json();
    assert_eq!(report["accounts"], serde_json::json!(["pastachef"]));
    assert_eq!(report["revoked"], serde_json::json!(["pastachef"]));
    assert_eq!(report["posts"], 1);
    for gone in ["postez.db", "secrets.enc", "logs", "run.lock"] {
        assert!(!env.home().join(gone).exists(), "{gone} still there");
    }
    let left: Vec<_> = std::fs::read_dir(env.home())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // The user's own video is untouched.
    assert!(media(Media::Mp4).exists());
}

#[test]
fn history_lists_a_post_and_the_latest_events() {
    let fake = Fake::start(|_| {});
    let env = fake.connected();
    env.schedule(&media(Media::Large), "now", &[]);
    env.run(&["run"]).ok();
    let events = env.run(&["history", "1", "--json"]).json();
    let kinds: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "scheduled",
            "claimed",
            "init",
            "progress",
            "progress",
            "progress",
            "uploaded",
            "published"
        ]
    );
    assert!(
        events[2]["detail"]["publish_id"]
            .as_str()
            .unwrap()
            .starts_with("v_pub_")
    );
    let text = env.run(&["history"]);
    assert!(text.ok().contains("post 1  published"), "{}", text.stdout);
    assert!(env.run(&["history", "9"]).fails(2).contains("no post 9"));
}

#[test]
fn doctor_on_a_healthy_setup() {
    let fake = Fake::start(|_| {});
    let env = fake.connected();
    env.schedule(&media(Media::Mp4), "in 1h", &[]);
    let (run, json) = doctor(&env);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(json["healthy"], true);
    for name in [
        "config",
        "database",
        "client key",
        "client secret",
        "account pastachef",
        "videos",
        "clock",
    ] {
        assert_eq!(check(&json, name)["status"], "ok", "{name}: {json}");
    }
    // A TikTok-only user is told nothing about YouTube, and Google is not contacted.
    assert!(!json.to_string().contains("YouTube"), "{json}");
    // No runner installed yet and nothing due: a warning with its fix.
    assert_eq!(check(&json, "runner")["status"], "warn");
    assert!(
        check(&json, "runner")["fix"]
            .as_str()
            .unwrap()
            .contains("postez cron install")
    );
    let human = env.run(&["doctor"]);
    assert!(
        human.ok().contains("fix: run `postez cron install`"),
        "{human:?}"
    );
}

#[test]
fn doctor_reports_a_missing_video_with_its_fix() {
    let fake = Fake::start(|_| {});
    let env = fake.connected();
    let file = env.path("gone.mp4");
    std::fs::copy(media(Media::Mp4), &file).unwrap();
    env.schedule(&file, "in 1h", &[]);
    std::fs::remove_file(&file).unwrap();
    let (run, json) = doctor(&env);
    assert_eq!(run.code, 1, "{run:?}");
    let c = check(&json, "videos");
    assert_eq!(c["status"], "fail");
    assert!(
        c["message"]
            .as_str()
            .unwrap()
            .contains("gone.mp4` is missing"),
        "{c}"
    );
    assert!(c["fix"].as_str().unwrap().contains("postez edit"));
}

#[test]
fn doctor_reports_an_unreachable_keychain() {
    let Some(mut env) = TestEnv::with_keyring() else {
        return;
    };
    let fake = Fake::start(|_| {});
    fake.configure(&mut env);
    env.connect(&fake, &[]).ok();
    env.set("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
    env.set("XDG_RUNTIME_DIR", env.path("no-runtime").to_str().unwrap());
    let (run, json) = doctor(&env);
    assert_eq!(run.code, 1, "{run:?}");
    let c = check(&json, "account pastachef");
    assert_eq!(c["status"], "fail", "{json}");
    assert!(
        c["message"].as_str().unwrap().contains("not reachable"),
        "{c}"
    );
    assert!(
        c["fix"].as_str().unwrap().contains("--token-store file"),
        "{c}"
    );
}

#[test]
fn doctor_reports_expiring_and_expired_logins() {
    let fake = Fake::start(|o| o.refresh_ttl = Duration::from_secs(5 * 86400));
    let env = fake.connected();
    let (_, json) = doctor(&env);
    let c = check(&json, "account pastachef");
    assert_eq!(c["status"], "warn", "{c}");
    assert!(
        c["message"].as_str().unwrap().contains("expires in 4d"),
        "{c}"
    );

    let fake = Fake::start(|o| o.refresh_ttl = Duration::from_secs(1));
    let env = fake.connected();
    std::thread::sleep(Duration::from_millis(1500));
    let (run, json) = doctor(&env);
    assert_eq!(run.code, 1);
    let c = check(&json, "account pastachef");
    assert_eq!(c["status"], "fail", "{c}");
    assert!(c["message"].as_str().unwrap().contains("expired"), "{c}");
    assert!(c["fix"].as_str().unwrap().contains("postez connect tiktok"));
}

#[test]
fn doctor_reports_a_corrupt_database() {
    let env = TestEnv::new();
    env.schedule(&media(Media::Mp4), "in 1h", &[]);
    let mut bytes = env.db_bytes();
    for b in bytes.iter_mut().skip(100).take(4000) {
        *b = 0xA5;
    }
    std::fs::write(env.db(), bytes).unwrap();
    let (run, json) = doctor(&env);
    assert_eq!(run.code, 1, "{run:?}");
    let c = check(&json, "database");
    assert_eq!(c["status"], "fail", "{json}");
    assert!(c["fix"].as_str().unwrap().contains("export"), "{c}");
}

#[test]
fn doctor_reports_a_stale_runner_when_posts_are_due() {
    let fake = Fake::start(|_| {});
    let env = fake.connected();
    env.schedule(&media(Media::Mp4), "now", &[]);
    let (run, json) = doctor(&env);
    assert_eq!(run.code, 1, "{run:?}");
    let c = check(&json, "runner");
    assert_eq!(c["status"], "fail");
    assert!(
        c["message"]
            .as_str()
            .unwrap()
            .contains("1 post is due but no `postez run`"),
        "{c}"
    );
    assert!(c["fix"].as_str().unwrap().contains("postez cron install"));
    // A run clears it.
    env.run(&["run"]).ok();
    let (_, json) = doctor(&env);
    assert_ne!(check(&json, "runner")["status"], "fail");
}

#[test]
fn schedule_warns_when_no_runner_ran_lately() {
    let env = TestEnv::new();
    let run = env.run(&[
        "schedule",
        media(Media::Mp4).to_str().unwrap(),
        "--at",
        "in 1h",
        "--privacy",
        "SELF_ONLY",
        "--yes",
    ]);
    run.ok();
    assert!(run.stderr.contains("postez cron install"), "{}", run.stderr);
}

#[test]
fn purging_an_account_empties_the_token_file_too() {
    let fake = Fake::start(|_| {});
    let env = fake.connected();
    env.schedule(&media(Media::Mp4), "in 1h", &[]);
    let key = format!("tiktok:{}", fake.open_id);
    assert!(file_store(&env).get(&key).unwrap().is_some());
    env.run(&["purge", "--account", "pastachef", "--yes"]).ok();
    // Read directly from the encrypted file: the login is gone, the file stays valid.
    assert!(file_store(&env).get(&key).unwrap().is_none());
    assert_eq!(
        env.run(&["list", "--all", "--json"]).json(),
        serde_json::json!([])
    );
    assert_eq!(
        env.run(&["accounts", "--json"]).json(),
        serde_json::json!([])
    );
}

#[test]
fn doctor_warns_about_a_readable_token_file_and_a_short_passphrase() {
    use std::os::unix::fs::PermissionsExt;
    let fake = Fake::start(|_| {});
    let env = fake.connected();
    // The healthy setup has neither warning.
    let (_, json) = doctor(&env);
    let names: Vec<&str> = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(
        !names.contains(&"token file") && !names.contains(&"passphrase"),
        "{json}"
    );

    let file = env.home().join("secrets.enc");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (_, json) = doctor(&env);
    let token_file = check(&json, "token file");
    assert_eq!(token_file["status"], "warn", "{json}");
    assert!(
        token_file["message"]
            .as_str()
            .unwrap()
            .contains("mode 0644")
            && token_file["fix"].as_str().unwrap().contains("chmod 600"),
        "{json}"
    );

    // A short passphrase (a fresh setup made with one).
    let mut short = TestEnv::new();
    fake.configure(&mut short);
    short.set("POSTEZ_TOKEN_STORE", "file");
    short.set("POSTEZ_PASSPHRASE", "hunter2");
    short.connect(&fake, &[]).ok();
    let (_, json) = doctor(&short);
    let passphrase = check(&json, "passphrase");
    assert_eq!(passphrase["status"], "warn", "{json}");
    assert!(
        passphrase["message"]
            .as_str()
            .unwrap()
            .contains("shorter than 12 characters"),
        "{json}"
    );
    assert!(!json.to_string().contains("hunter2"), "{json}");
}

/// `postez export` with stdout on `file`: what it did.
fn export_to(env: &TestEnv, file: std::fs::File) -> Run {
    let out = env
        .command(&["export"])
        .stdout(file)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::new(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The error of a write to a full disk: one sentence and a hint, exit 1 (issue 11: it was exit
/// 0 and a truncated document).
#[track_caller]
fn says_the_disk_is_full(run: &Run) {
    let stderr = run.fails(1);
    assert_eq!(
        stderr,
        "error: could not write the output: No space left on device (os error 28)\n\
         hint: the disk receiving postez's output is full; free some space and run the command \
         again\n",
        "{run:?}"
    );
}

#[test]
fn export_to_a_full_device_fails() {
    let env = TestEnv::new();
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    says_the_disk_is_full(&export_to(&env, full));
}

/// A small tmpfs, unmounted when dropped.
struct Tmpfs(std::path::PathBuf);

impl Tmpfs {
    fn mount(dir: std::path::PathBuf) -> Result<Self, String> {
        std::fs::create_dir_all(&dir).unwrap();
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
            .arg(&dir)
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(Self(dir))
        } else {
            Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).output();
    }
}

#[test]
fn export_to_a_full_tmpfs_fails() {
    let env = TestEnv::new();
    let disk = match Tmpfs::mount(env.path("disk")) {
        Ok(disk) => disk,
        Err(why) => {
            // CI runs as root; elsewhere /dev/full (above) still checks the same path.
            eprintln!("SKIPPED export_to_a_full_tmpfs_fails: cannot mount a tmpfs: {why}");
            return;
        }
    };
    let target = disk.0.join("export.json");
    let out = std::fs::File::create(&target).unwrap();
    // Fill the disk: the export then fails on its first byte, as on a disk that filled up.
    let mut filler = std::fs::File::create(disk.0.join("filler")).unwrap();
    let block = [b'x'; 4096];
    loop {
        if let Err(e) = std::io::Write::write_all(&mut filler, &block) {
            assert_eq!(e.raw_os_error(), Some(28), "{e}");
            break;
        }
    }
    says_the_disk_is_full(&export_to(&env, out));
    assert_eq!(std::fs::metadata(&target).unwrap().len(), 0);
}

#[test]
fn export_into_a_closed_pipe_ends_quietly() {
    let env = TestEnv::new();
    let mut child = env
        .command(&["export"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The reader is gone before postez writes (`postez export | true`).
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}
