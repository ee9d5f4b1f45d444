//! Tokens in a shared queue (issue 14): the token store `database`, the real binary on a real
//! PostgreSQL (`tests/run` starts one) and the strict fake TikTok. A login connected in one home
//! is used from another; no column holds a token in the clear; two machines refreshing one
//! login at once spend its rotating refresh token once; a wrong team key is one clear error that
//! changes nothing; and the keychain or file store is refused in shared mode.

use std::process::Stdio;

use crate::shared::{shared_home, shared_queue};
use crate::support::{Fake, Media, Run, TestEnv, media};

const PASSPHRASE: &str = "correct horse battery staple";

/// Runs `sql` with psql on the queue at `url` (its schema first in the search path).
fn psql(url: &str, sql: &str) -> String {
    let out = std::process::Command::new("psql")
        .args(["-qAt", "-v", "ON_ERROR_STOP=1", url, "-c", sql])
        .output()
        .expect("psql");
    assert!(
        out.status.success(),
        "psql failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every row of every table of the queue's schema, as text (`bytea` as hex), table by table.
fn dump(url: &str) -> String {
    let tables = psql(
        url,
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1",
    );
    let mut out = String::new();
    for table in tables.lines() {
        out.push_str(&format!("== {table}\n"));
        // Sorted as text, so two dumps of the same rows compare equal.
        out.push_str(&psql(
            url,
            &format!("SELECT t::text FROM {table} t ORDER BY 1"),
        ));
    }
    out
}

/// A second machine: its own POSTEZ_HOME on the same queue, without the app's client secret in
/// its environment (it comes from the database too).
fn second_home(fake: &Fake, url: &str) -> TestEnv {
    let mut env = shared_home(fake, url);
    env.unset("POSTEZ_TIKTOK_CLIENT_SECRET");
    env
}

fn connected_home(fake: &Fake, url: &str) -> TestEnv {
    let env = shared_home(fake, url);
    let run = env.connect(fake, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    env
}

/// A team key file holding `byte` 32 times, as 64 hex characters, mode 0600.
fn key_file(env: &TestEnv, name: &str, byte: u8) -> String {
    let path = env.path(name);
    std::fs::write(&path, format!("{}\n", hex::encode([byte; 32]))).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    path.display().to_string()
}

#[test]
fn a_login_connected_in_one_home_publishes_from_another_and_is_never_plain_text() {
    let Some(url) = shared_queue() else { return };
    let fake = Fake::start(|_| {});
    let first = connected_home(&fake, &url);
    let second = second_home(&fake, &url);
    second.schedule(
        &media(Media::Mp4),
        "now",
        &["--caption", "from the second home"],
    );
    // The token expires: the second home refreshes it, with the client secret from the database.
    fake.server.expire_access_tokens();
    let run = second.run(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(fake.finished().len(), 1);
    assert_eq!(fake.state().refreshes_ok, 1);
    // No local token store in either home.
    for home in [&first, &second] {
        assert!(!home.home().join("secrets.enc").exists());
    }
    let accounts = first.run(&["accounts", "--json"]).json();
    assert_eq!(accounts[0]["token_store"], "database", "{accounts}");
    // The first home uses the login the second one refreshed.
    let list = first.run(&["list", "--all", "--json"]).json();
    assert_eq!(list[0]["state"], "published", "{list}");
    let dump = dump(&url);
    let names = psql(&url, "SELECT name FROM secrets ORDER BY 1");
    assert_eq!(
        names.lines().collect::<Vec<_>>(),
        ["tiktok:client_secret", &format!("tiktok:{}", fake.open_id)]
    );
    let tokens = fake.state().tokens;
    assert!(tokens.len() >= 4, "{tokens:?}");
    let mut needles: Vec<String> = tokens.into_iter().map(|t| t.token).collect();
    needles.push("fake_client_secret".into());
    needles.push(PASSPHRASE.into());
    for needle in &needles {
        assert!(
            !dump.contains(needle.as_str()),
            "{needle} is in the database"
        );
        assert!(
            !dump.contains(&hex::encode(needle)),
            "{needle} is in the database (as bytes)"
        );
        // A token's distinctive middle, in case some column kept a piece of it.
        let middle = &needle[4..needle.len().min(24)];
        assert!(
            !dump.contains(middle),
            "part of {needle} is in the database"
        );
    }
    for home in [&first, &second] {
        let logs = std::fs::read_to_string(home.home().join("logs").join("postez.log"))
            .unwrap_or_default();
        for needle in &needles {
            assert!(!logs.contains(needle.as_str()), "{needle} is in a log");
        }
    }
}

/// Starts `postez run` in each home at the same moment and waits for both.
fn run_together(homes: &[&TestEnv]) -> Vec<Run> {
    let children: Vec<_> = homes
        .iter()
        .map(|home| {
            home.command(&["run"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    children
        .into_iter()
        .map(|child| {
            let out = child.wait_with_output().unwrap();
            Run {
                code: out.status.code().unwrap_or(-1),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            }
        })
        .collect()
}

#[test]
fn two_machines_refreshing_one_login_at_once_make_one_refresh_call() {
    let Some(url) = shared_queue() else { return };
    // Every answer takes a while, as over a real network: the first machine is still waiting
    // for its refresh when the second one finds its token refused too.
    let fake = Fake::start(|o| o.latency = std::time::Duration::from_millis(150));
    let first = connected_home(&fake, &url);
    let second = second_home(&fake, &url);
    const ROUNDS: u64 = 4;
    for round in 0..ROUNDS {
        for home in [&first, &second] {
            home.schedule(
                &media(Media::Mp4),
                "now",
                &["--caption", &format!("round {round}")],
            );
        }
        // Every access token dies: both runs find theirs refused and must refresh.
        fake.server.expire_access_tokens();
        let before = fake.state();
        let runs = run_together(&[&first, &second]);
        for run in &runs {
            // Done, or put off cleanly (the other machine held the login too long).
            assert!(run.code == 0 || run.code == 75, "round {round}: {run:?}");
        }
        let after = fake.state();
        assert_eq!(
            after.refresh_calls - before.refresh_calls,
            1,
            "round {round}: {runs:?}"
        );
        assert_eq!(after.refreshes_ok - before.refreshes_ok, 1);
    }
    // The login still works: it was never refused for a spent refresh token.
    let accounts = first.run(&["accounts", "--json"]).json();
    assert_eq!(accounts[0]["state"], "ok", "{accounts}");
    let run = second.run(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    let list = first.run(&["list", "--all", "--json"]).json();
    let posts = list.as_array().unwrap();
    assert_eq!(posts.len() as u64, 2 * ROUNDS);
    assert!(posts.iter().all(|p| p["state"] == "published"), "{list}");
}

/// Each command a machine with the wrong key might run: one clear error, exit 3, and the
/// queue's tables exactly as they were.
fn assert_wrong_key_changes_nothing(url: &str, fake: &Fake, wrong: &TestEnv, sealed_with: &str) {
    let before = dump(url);
    let calls = fake.state().calls;
    for args in [
        &["run"][..],
        &["disconnect", "tiktok"],
        &["accounts", "--check"],
        &["purge", "--yes", "--no-revoke", "--account", "@pastachef"],
        &["purge", "--yes", "--no-revoke"],
    ] {
        let run = wrong.run(args);
        assert_eq!(run.code, 3, "{args:?}: {run:?}");
        assert!(
            run.stderr
                .contains("the team key does not open this shared queue's logins"),
            "{args:?}: {run:?}"
        );
        assert!(run.stderr.contains(sealed_with), "{args:?}: {run:?}");
        assert!(!run.stderr.contains(PASSPHRASE), "{run:?}");
    }
    // A connect gets its tokens from TikTok, then cannot seal them: nothing saved either.
    let run = wrong.connect(fake, &[]);
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(dump(url), before, "the wrong key changed the queue");
    // No platform call was made with, or for, the team's login (connect's own aside).
    let after = fake.state().calls;
    let used: Vec<_> = after
        .iter()
        .filter(|(endpoint, n)| calls.get(*endpoint) != Some(*n))
        .map(|(endpoint, _)| format!("{endpoint:?}"))
        .filter(|e| !e.contains("Authorize") && !e.contains("Token") && !e.contains("UserInfo"))
        .collect();
    assert!(used.is_empty(), "{used:?}");
    let doctor = wrong.run(&["doctor"]);
    assert!(
        doctor
            .stdout
            .contains("the team key does not open this shared queue's logins"),
        "{doctor:?}"
    );
}

#[test]
fn a_wrong_passphrase_is_one_clear_error_and_changes_nothing() {
    let Some(url) = shared_queue() else { return };
    let fake = Fake::start(|_| {});
    let first = connected_home(&fake, &url);
    first.schedule(&media(Media::Mp4), "now", &["--caption", "waits"]);
    let mut wrong = shared_home(&fake, &url);
    wrong.set("POSTEZ_PASSPHRASE", "not the team's passphrase");
    assert_wrong_key_changes_nothing(&url, &fake, &wrong, "sealed with a passphrase");
    // The right passphrase still opens everything.
    let run = first.run(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
}

#[test]
fn a_wrong_key_file_is_one_clear_error_and_changes_nothing() {
    let Some(url) = shared_queue() else { return };
    let fake = Fake::start(|_| {});
    let mut first = shared_home(&fake, &url);
    first.unset("POSTEZ_PASSPHRASE");
    let key = key_file(&first, "team.key", 0x11);
    first.run(&["config", "set", "team_key_file", &key]).ok();
    let run = first.connect(&fake, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(psql(&url, "SELECT source FROM team_key").trim(), "key_file");
    first.schedule(&media(Media::Mp4), "now", &["--caption", "waits"]);
    let mut wrong = shared_home(&fake, &url);
    wrong.unset("POSTEZ_PASSPHRASE");
    let other = key_file(&wrong, "other.key", 0x22);
    wrong.run(&["config", "set", "team_key_file", &other]).ok();
    assert_wrong_key_changes_nothing(&url, &fake, &wrong, "sealed with a key file");
    // A machine with the team's passphrase instead of its key file is told which it needs.
    let mut passphrase = shared_home(&fake, &url);
    passphrase.set("POSTEZ_PASSPHRASE", PASSPHRASE);
    let run = passphrase.run(&["run"]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stderr.contains("sealed with a key file"), "{run:?}");
    // A copy of the team's key file works from another home.
    let mut copy = second_home(&fake, &url);
    copy.unset("POSTEZ_PASSPHRASE");
    let same = key_file(&copy, "team.key", 0x11);
    copy.run(&["config", "set", "team_key_file", &same]).ok();
    let run = copy.run(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(fake.finished().len(), 1);
    // A key file others can read, or one that is not a key, is refused before anything.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&same, std::fs::Permissions::from_mode(0o644)).unwrap();
        let run = copy.run(&["run"]);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(run.stderr.contains("chmod 600"), "{run:?}");
        std::fs::write(&same, "not a key").unwrap();
        std::fs::set_permissions(&same, std::fs::Permissions::from_mode(0o600)).unwrap();
        let run = copy.run(&["run"]);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(run.stderr.contains("xxd -p -c64"), "{run:?}");
    }
}

#[test]
fn only_the_database_store_is_used_in_shared_mode_and_only_there() {
    let Some(url) = shared_queue() else { return };
    let fake = Fake::start(|_| {});
    for store in ["keychain", "file"] {
        let mut env = shared_home(&fake, &url);
        env.set("POSTEZ_TOKEN_STORE", store);
        let run = env.connect(&fake, &[]);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(
            run.stderr.contains(&format!(
                "the `{store}` token store cannot be used with a shared queue"
            )),
            "{run:?}"
        );
        assert!(run.stderr.contains("POSTEZ_TOKEN_STORE"), "{run:?}");
    }
    assert!(!dump(&url).contains("tiktok:"), "a login was saved");
    // `database` is accepted in shared mode…
    let mut env = shared_home(&fake, &url);
    env.set("POSTEZ_TOKEN_STORE", "database");
    let run = env.connect(&fake, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    // …and refused without a shared queue.
    let mut local = fake.env();
    local.set("POSTEZ_TOKEN_STORE", "database");
    let run = local.connect(&fake, &[]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("the `database` token store keeps logins in a shared queue"),
        "{run:?}"
    );
    assert!(run.stderr.contains("POSTEZ_DATABASE_URL"), "{run:?}");
}

#[test]
fn disconnect_doctor_and_purge_work_on_the_team_logins() {
    let Some(url) = shared_queue() else { return };
    let fake = Fake::start(|_| {});
    let _first = connected_home(&fake, &url);
    let second = second_home(&fake, &url);
    let doctor = second.run(&["doctor"]);
    assert!(
        doctor
            .stdout
            .contains("the team key opens the shared queue's logins"),
        "{doctor:?}"
    );
    // Another machine disconnects the account: its login is revoked and gone for everyone.
    let run = second.run(&["disconnect", "tiktok"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!fake.state().revoked_tokens.is_empty());
    assert_eq!(
        psql(&url, "SELECT name FROM secrets").trim(),
        "tiktok:client_secret"
    );
    // Connected again, then everything purged from the second machine: the team's logins go,
    // its accounts and posts stay, and the output says so.
    let again = connected_home(&fake, &url);
    again.schedule(
        &media(Media::Mp4),
        "tomorrow 10:00",
        &["--caption", "stays"],
    );
    let run = second.run(&["purge", "--yes"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("Purged 0 accounts, 0 posts, 2 secrets")
            && run.stdout.contains("revoked at TikTok: pastachef"),
        "{run:?}"
    );
    assert!(
        run.stderr
            .contains("keeps the team's posts, accounts and history"),
        "{run:?}"
    );
    assert_eq!(psql(&url, "SELECT count(*) FROM secrets").trim(), "0");
    assert_eq!(psql(&url, "SELECT count(*) FROM posts").trim(), "1");
    let json = second.run(&["purge", "--yes", "--json"]).json();
    assert!(
        json["shared_queue_kept"]
            .as_str()
            .is_some_and(|u| u.starts_with("postgres://")),
        "{json}"
    );
}
