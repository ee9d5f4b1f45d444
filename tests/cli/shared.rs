//! Shared mode (issue 14): the queue on a real PostgreSQL server (`tests/run` starts a throwaway
//! one and names it in `POSTEZ_TEST_DATABASE_URL`), several homes, the real binary and the strict
//! fake TikTok. Each test gets a schema of its own on that server.

pub use crate::support::shared_queue;
use crate::support::{Fake, Media, TestEnv, media};

/// A home on `fake` using the shared queue at `url`.
pub fn shared_home(fake: &Fake, url: &str) -> TestEnv {
    let mut env = fake.env();
    env.set("POSTEZ_DATABASE_URL", url);
    // Shared mode keeps the logins in the database (sealed with the passphrase's key).
    env.unset("POSTEZ_TOKEN_STORE");
    env
}

#[test]
fn one_home_schedules_and_publishes_through_the_shared_queue() {
    let Some(url) = shared_queue() else { return };
    let fake = Fake::start(|_| {});
    let env = shared_home(&fake, &url);
    let run = env.connect(&fake, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    env.schedule(&media(Media::Mp4), "now", &["--caption", "shared"]);
    let run = env.run(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(fake.finished().len(), 1);
    let list = env.run(&["list", "--all", "--json"]).json();
    assert_eq!(list[0]["state"], "published", "{list}");
    // Nothing was written to a local SQLite queue.
    assert!(!env.db().exists());
}

/// A second TikTok user on `fake`, connected from `env` (the fake answers a login as its current
/// user).
pub fn connect_user(fake: &Fake, env: &TestEnv, name: &str) {
    fake.server.set_user(crate::fake_tiktok::FakeUser {
        open_id: format!("{}-{name}", fake.open_id),
        display_name: name.into(),
        creator_username: name.into(),
        creator_nickname: name.into(),
        ..crate::fake_tiktok::FakeUser::default()
    });
    let run = env.connect(fake, &[]);
    assert_eq!(run.code, 0, "{run:?}");
}

/// Homes that run the shared queue at `url`: each its own POSTEZ_HOME with nothing of `desk`'s
/// (no token file, no keychain entry): the logins are the team's, in the database.
pub fn runner_homes(fake: &Fake, url: &str, desk: &TestEnv, n: usize) -> Vec<TestEnv> {
    (0..n)
        .map(|_| {
            let env = shared_home(fake, url);
            assert_ne!(env.home(), desk.home());
            assert!(!env.home().join("secrets.enc").exists());
            env
        })
        .collect()
}

/// Captions of the posts the fake saw finished, sorted (one entry per publish).
pub fn finished_captions(fake: &Fake) -> Vec<String> {
    let mut captions: Vec<String> = fake
        .finished()
        .iter()
        .map(|p| {
            p.post_info
                .as_ref()
                .and_then(|i| i["title"].as_str())
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    captions.sort();
    captions
}

#[test]
fn three_runners_publish_thirty_posts_from_a_fourth_home_each_exactly_once() {
    let Some(url) = shared_queue() else { return };
    // TikTok's per-token rate limits over the tests' short window (POSTEZ_RATE_WINDOW).
    let fake = Fake::start(|o| o.rate_window = std::time::Duration::from_millis(100));
    let desk = shared_home(&fake, &url);
    let run = desk.connect(&fake, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    for name in ["second.chef", "third.chef"] {
        connect_user(&fake, &desk, name);
    }
    let accounts = desk.run(&["accounts", "--json"]).json();
    let names: Vec<String> = accounts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["open_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names.len(), 3, "{accounts}");
    // The desk's own copies of the videos, gone before any runner starts: the runners read the
    // shared queue's copy.
    let originals = [media(Media::Mp4), media(Media::Mid)];
    let files = [desk.path("a.mp4"), desk.path("b.mp4")];
    for (from, to) in originals.iter().zip(&files) {
        std::fs::copy(from, to).unwrap();
    }
    let mut expected = Vec::new();
    for i in 0..30 {
        let caption = format!("post {i:02}");
        let account = &names[i % 3];
        desk.schedule(
            &files[i % 2],
            "now",
            &["--caption", &caption, "--account", account],
        );
        expected.push(caption);
    }
    let hashes: Vec<String> = files
        .iter()
        .map(|f| crate::support::sha256_file(f))
        .collect();
    // Two videos, stored once each however many posts use them.
    assert_eq!(psql(&url, "SELECT COUNT(*) FROM media WHERE complete"), "2");
    for f in &files {
        std::fs::remove_file(f).unwrap();
    }
    let runners = runner_homes(&fake, &url, &desk, 3);
    let children: Vec<_> = runners
        .iter()
        .map(|env| {
            env.command(&["run"])
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        let status = child.wait().unwrap();
        assert!(status.success(), "{status:?}");
    }
    let list = desk.run(&["list", "--all", "--json"]).json();
    assert_eq!(
        finished_captions(&fake),
        expected,
        "each post exactly once: {list}"
    );
    // The bytes the fake reassembled are the scheduled videos'.
    for p in fake.finished() {
        assert!(hashes.contains(p.sha256.as_ref().unwrap()), "{p:?}");
    }
    let list = desk.run(&["list", "--all", "--json"]).json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 30);
    assert!(list.iter().all(|p| p["state"] == "published"), "{list:?}");
    // A second round finds nothing to do.
    for env in &runners {
        let run = env.run(&["run"]);
        assert_eq!(run.code, 0, "{run:?}");
    }
    assert_eq!(fake.finished().len(), 30);
    // Every post of both videos is published: the shared queue dropped their bytes, and the
    // runners their copies.
    assert_eq!(psql(&url, "SELECT COUNT(*) FROM media"), "0");
    assert_eq!(psql(&url, "SELECT COUNT(*) FROM media_chunks"), "0");
    for env in &runners {
        let cache = env.home().join("shared-media");
        let left = std::fs::read_dir(&cache).map_or(0, |d| d.count());
        assert_eq!(left, 0, "{}", cache.display());
    }
}

/// One value from the shared queue at `url`, as psql prints it.
pub fn psql(url: &str, sql: &str) -> String {
    let out = std::process::Command::new("psql")
        .args(["-qtA", "-v", "ON_ERROR_STOP=1", url, "-c", sql])
        .output()
        .expect("psql");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn a_reference_keeps_only_the_path_and_the_fingerprint_still_applies() {
    let Some(url) = shared_queue() else { return };
    let fake = Fake::start(|_| {});
    let env = shared_home(&fake, &url);
    assert_eq!(env.connect(&fake, &[]).code, 0);
    let file = env.path("ref.mp4");
    std::fs::copy(media(Media::Mp4), &file).unwrap();
    env.schedule(&file, "now", &["--caption", "by path", "--reference"]);
    assert_eq!(psql(&url, "SELECT COUNT(*) FROM media"), "0");
    let moved = env.path("moved.mp4");
    std::fs::copy(media(Media::Mid), &moved).unwrap();
    env.schedule(&moved, "now", &["--caption", "changed", "--reference"]);
    // The second file is replaced after scheduling: refused at upload, as on one machine.
    std::fs::copy(media(Media::Mp4), &moved).unwrap();
    let run = env.run(&["run"]);
    assert_eq!(run.code, 4, "a partial run: {run:?}");
    let list = env.run(&["list", "--all", "--json"]).json();
    assert_eq!(list[0]["state"], "published", "{list}");
    assert_eq!(list[1]["state"], "failed", "{list}");
    assert_eq!(list[1]["last_error_code"], "file_changed", "{list}");
    assert_eq!(fake.finished().len(), 1);
}

#[test]
fn db_copy_moves_a_local_queue_into_an_empty_shared_one_all_or_nothing() {
    let Some(url) = shared_queue() else { return };
    let fake = Fake::start(|_| {});
    let local = fake.connected();
    local.schedule(&media(Media::Mp4), "now", &["--caption", "first"]);
    local.schedule(
        &media(Media::Mp4),
        "tomorrow 18:00",
        &["--caption", "second"],
    );
    local.schedule(
        &media(Media::Mid),
        "tomorrow 19:00",
        &["--caption", "third"],
    );
    assert_eq!(local.run(&["run"]).code, 0);
    let run = local.run(&["cancel", "3"]);
    assert_eq!(run.code, 0, "{run:?}");
    let before = local.run(&["list", "--all", "--json"]).json();
    let history = local.run(&["history", "1", "--json"]).json();
    let run = local.run(&["db", "copy", "--to", &url, "--json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let report = run.json();
    assert_eq!(report["copied"]["posts"], 3, "{report}");
    assert_eq!(report["copied"]["accounts"], 1, "{report}");
    // The shared queue now shows the same posts, ids and histories.
    let shared = shared_home(&fake, &url);
    assert_eq!(shared.run(&["list", "--all", "--json"]).json(), before);
    assert_eq!(shared.run(&["history", "1", "--json"]).json(), history);
    // A post scheduled there next takes a new id, after the copied ones.
    let post = shared.schedule(
        &media(Media::Mp4),
        "tomorrow 20:00",
        &["--caption", "fourth"],
    );
    assert_eq!(post["id"], 4, "{post}");
    // The local queue is left as it was; a second copy into a queue that is not empty is
    // refused, and changes nothing.
    assert_eq!(local.run(&["list", "--all", "--json"]).json(), before);
    let after_first = shared.run(&["list", "--all", "--json"]).json();
    let run = local.run(&["db", "copy", "--to", &url]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("is not empty"), "{run:?}");
    assert_eq!(shared.run(&["list", "--all", "--json"]).json(), after_first);
}

#[test]
fn runners_and_doctor_show_the_shared_queue() {
    let Some(url) = shared_queue() else { return };
    let fake = Fake::start(|_| {});
    let env = shared_home(&fake, &url);
    assert_eq!(env.connect(&fake, &[]).code, 0);
    env.schedule(&media(Media::Mp4), "now", &["--caption", "one"]);
    assert_eq!(env.run(&["run"]).code, 0);
    let runners = env.run(&["runners", "--json"]).json();
    let runners = runners.as_array().unwrap();
    assert_eq!(runners.len(), 1, "{runners:?}");
    assert_eq!(runners[0]["version"], env!("CARGO_PKG_VERSION"));
    assert!(runners[0]["finished_at"].is_string(), "{runners:?}");
    assert_eq!(runners[0]["holds"], serde_json::json!([]));
    let text = env.run(&["runners"]);
    assert!(text.ok().contains("finished"), "{text:?}");
    let doctor = env.run(&["doctor", "--json"]).json();
    let check = |name: &str| {
        doctor["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name} check: {doctor}"))
    };
    assert_eq!(check("database")["status"], "ok");
    assert!(
        check("database")["message"]
            .as_str()
            .unwrap()
            .contains("shared queue")
    );
    assert_eq!(check("clock skew")["status"], "ok");
    assert_eq!(check("leases")["status"], "ok");
    // A queued video the shared queue holds counts as in place, wherever its file went.
    let file = env.path("queued.mp4");
    std::fs::copy(media(Media::Mp4), &file).unwrap();
    env.schedule(&file, "tomorrow 18:00", &["--caption", "later"]);
    std::fs::remove_file(&file).unwrap();
    let doctor = env.run(&["doctor", "--json"]).json();
    let videos = doctor["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "videos")
        .cloned()
        .unwrap();
    assert_eq!(videos["status"], "ok", "{videos}");
    // On this machine's own queue there are no runners to list.
    let local = fake.env();
    let run = local.run(&["runners"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("shared queue"), "{run:?}");
}

/// This machine's address on its network (not loopback), for a server postez must treat as
/// remote; `None` when it has none.
fn network_address() -> Option<std::net::IpAddr> {
    let probe = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    // No packet is sent: connecting a UDP socket only picks the route and its source address.
    probe.connect("10.255.255.255:1").ok()?;
    let ip = probe.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

/// A spoofed database server across the network: it declines TLS and, should a client go on
/// in plain text, asks for the password in clear. What it received is returned.
fn spoofed_server(ip: std::net::IpAddr) -> (u16, std::sync::mpsc::Receiver<Vec<u8>>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind((ip, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(5)));
            let mut seen = Vec::new();
            let mut buf = [0u8; 4096];
            // SSLRequest: refused ('N'); then a startup message would follow in plain text.
            if let Ok(n) = stream.read(&mut buf) {
                seen.extend_from_slice(&buf[..n]);
                let _ = stream.write_all(b"N");
            }
            if let Ok(n) = stream.read(&mut buf) {
                seen.extend_from_slice(&buf[..n]);
                // AuthenticationCleartextPassword: 'R', length 8, code 3.
                let _ = stream.write_all(&[b'R', 0, 0, 0, 8, 0, 0, 0, 3]);
                if let Ok(n) = stream.read(&mut buf) {
                    seen.extend_from_slice(&buf[..n]);
                }
            }
            let _ = tx.send(seen);
        }
    });
    (port, rx)
}

#[test]
fn a_spoofed_server_across_the_network_gets_no_password() {
    let Some(ip) = network_address() else {
        eprintln!("SKIPPED: this machine has no network address besides loopback");
        return;
    };
    let (port, seen) = spoofed_server(ip);
    let fake = Fake::start(|_| {});
    let mut env = fake.env();
    let host = match ip {
        std::net::IpAddr::V6(v6) => format!("[{v6}]"),
        v4 => v4.to_string(),
    };
    env.set(
        "POSTEZ_DATABASE_URL",
        &format!("postgres://team:hunter2-db-password@{host}:{port}/postez"),
    );
    let run = env.run(&["list"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("could not reach the shared queue"),
        "{run:?}"
    );
    assert!(
        !run.stderr.contains("hunter2"),
        "the password is never shown: {run:?}"
    );
    let got = seen
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("postez connected to the spoofed server");
    // It asked for TLS (the 8-byte SSLRequest) and, refused, went no further.
    assert_eq!(got.len(), 8, "{got:?}");
    assert!(!String::from_utf8_lossy(&got).contains("hunter2"));
    assert!(!env.db().exists());
}

#[test]
fn machines_starting_at_once_on_a_new_shared_queue_migrate_it_once() {
    let Some(url) = shared_queue() else { return };
    let fake = Fake::start(|_| {});
    let homes: Vec<TestEnv> = (0..6).map(|_| shared_home(&fake, &url)).collect();
    let children: Vec<_> = homes
        .iter()
        .map(|env| {
            env.command(&["list", "--json"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{out:?}");
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "[]");
    }
    assert_eq!(
        psql(
            &url,
            "SELECT string_agg(version::text, ',') FROM postez_schema"
        ),
        "1"
    );
}

#[test]
fn the_teams_settings_live_in_the_shared_queue_and_the_rest_stay_each_machines() {
    let Some(url) = shared_queue() else { return };
    let fake = Fake::start(|_| {});
    let (a, b) = (shared_home(&fake, &url), shared_home(&fake, &url));
    let run = a.run(&["config", "set", "max_attempts", "3"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("whole team"), "{run:?}");
    let run = a.run(&["config", "set", "timezone", "Europe/Berlin"]);
    assert_eq!(run.code, 0, "{run:?}");
    // The other machine sees the team's setting, not this machine's own.
    assert_eq!(b.run(&["config", "get", "max_attempts"]).ok().trim(), "3");
    assert_eq!(b.run(&["config", "get", "timezone"]).ok().trim(), "");
    assert_eq!(
        psql(
            &url,
            "SELECT value FROM team_settings WHERE key = 'max_attempts'"
        ),
        "3"
    );
    let file = std::fs::read_to_string(a.home().join("config.toml")).unwrap();
    assert!(
        file.contains("timezone") && !file.contains("max_attempts"),
        "{file}"
    );
    let list = b.run(&["config", "list"]);
    assert!(list.ok().contains("(team)"), "{list:?}");
    // A bad value is refused before it reaches the team; unsetting works.
    let run = b.run(&["config", "set", "max_attempts", "1000"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(b.run(&["config", "set", "max_attempts", ""]).code, 0);
    assert_eq!(a.run(&["config", "get", "max_attempts"]).ok().trim(), "");
}

#[test]
fn another_machine_edits_a_post_whose_video_the_shared_queue_holds() {
    let Some(url) = shared_queue() else { return };
    let fake = Fake::start(|_| {});
    let desk = shared_home(&fake, &url);
    assert_eq!(desk.connect(&fake, &[]).code, 0);
    let file = desk.path("first.mp4");
    std::fs::copy(media(Media::Mp4), &file).unwrap();
    desk.schedule(&file, "tomorrow 18:00", &["--caption", "first"]);
    std::fs::remove_file(&file).unwrap();
    // Another machine, which never had the file, changes the caption and the time.
    let other = shared_home(&fake, &url);
    let run = other.run(&["edit", "1", "--caption", "second", "--at", "now"]);
    assert_eq!(run.code, 0, "{run:?}");
    // And then the video: the new one goes into the shared queue in place of the old.
    let replacement = other.path("second.webm");
    std::fs::copy(media(Media::Webm), &replacement).unwrap();
    let run = other.run(&["edit", "1", "--file", replacement.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run:?}");
    let hash = crate::support::sha256_file(&replacement);
    std::fs::remove_file(&replacement).unwrap();
    let run = desk.run(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    let done = fake.finished();
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].sha256.as_deref(), Some(hash.as_str()));
    assert_eq!(finished_captions(&fake), ["second"]);
}

/// `import` stores a file once for all the rows that use it, whatever batches they fall in
/// (it once sent the file again for every ungrouped row, each copy then dropped as a repeat).
#[test]
fn import_sends_a_video_once_for_all_its_rows() {
    let Some(url) = shared_queue() else { return };
    let fake = Fake::start(|_| {});
    let env = shared_home(&fake, &url);
    assert_eq!(env.connect(&fake, &[]).code, 0);
    let file = env.path("clip.mp4");
    std::fs::copy(media(Media::Mp4), &file).unwrap();
    let file = file.to_str().unwrap();
    let csv = env.path("posts.csv");
    let mut rows = String::from("file,at,caption,privacy\n");
    for i in 0..5 {
        rows.push_str(&format!(
            "{file},2030-01-{:02}T10:00:00Z,row {i},SELF_ONLY\n",
            2 * i + 1
        ));
    }
    std::fs::write(&csv, rows).unwrap();
    let run = env.run(&["import", csv.to_str().unwrap(), "--yes"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(psql(&url, "SELECT COUNT(*) FROM posts"), "5");
    assert_eq!(psql(&url, "SELECT COUNT(*) FROM media"), "1");
    // The sequence counts every video ever begun: one was sent, none dropped as a repeat.
    assert_eq!(psql(&url, "SELECT last_value FROM media_id_seq"), "1");
    assert_eq!(
        psql(&url, "SELECT COUNT(DISTINCT media_id) FROM posts"),
        "1"
    );
}
