//! Shared mode under faults (issue 14's "Must show"): a runner stopped with SIGSTOP past its
//! lease while uploading, then continued, and the bad inputs of shared mode (a database that
//! cannot be reached, one of a newer schema, a password in the `database_url` setting, a URL
//! that is not PostgreSQL's). The real binary, a real PostgreSQL server (a schema of its own per
//! test, see [`crate::shared::shared_queue`]), real MP4s and the strict fake TikTok.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::fake_tiktok::{Endpoint, Fault};
use crate::shared::{psql, runner_homes, shared_home, shared_queue};
use crate::support::{Fake, Media, Run, TestEnv, media, sha256_file};

/// Send `signal` (`STOP`, `CONT`, `KILL`) to process `pid`.
pub fn signal(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success(), "kill -{signal} {pid}");
}

/// Wait (at most `limit`) until `done` holds; panics with `what` otherwise.
fn wait_for(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Every call the fake counted, all endpoints together.
fn total_calls(fake: &Fake) -> u64 {
    fake.state().calls.values().sum()
}

/// No panic, no backtrace, no debug dump in what a command printed.
#[track_caller]
pub fn assert_clean(output: &str) {
    for bad in [
        "panicked",
        "RUST_BACKTRACE",
        "stack backtrace",
        "Error {",
        "thread '",
    ] {
        assert!(!output.contains(bad), "`{bad}` in output:\n{output}");
    }
}

#[test]
fn a_runner_stopped_past_its_lease_loses_the_post_and_makes_no_platform_call_after() {
    let Some(url) = shared_queue() else { return };
    let fake = Fake::start(|_| {});
    let desk = shared_home(&fake, &url);
    let run = desk.connect(&fake, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    // About 80 MB: eight 10 MB chunks.
    let video = media(Media::Large);
    desk.schedule(&video, "now", &["--caption", "stalled"]);
    let mut homes = runner_homes(&fake, &url, &desk, 2);
    for home in &mut homes {
        home.set("POSTEZ_LEASE", "2s");
    }
    let (a_home, b_home) = (&homes[0], &homes[1]);

    // Runner A starts uploading; once two chunks are in, the fake holds the answer to A's next
    // chunk for a long while, so A is stopped in the middle of a PUT the fake already counted.
    let a_err = a_home.path("a.stderr");
    let mut a = a_home
        .command(&["run"])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&a_err).unwrap())
        .spawn()
        .unwrap();
    wait_for(Duration::from_secs(60), "A's first two chunks", || {
        fake.state()
            .publishes
            .first()
            .is_some_and(|p| p.chunks_received >= 2)
    });
    // Long enough that B (starting 3 s later) has sent that chunk again before the fake turns to
    // A's copy, even on a loaded machine.
    fake.server.inject(Fault::Delay {
        endpoint: Endpoint::Upload,
        ms: 20_000,
    });
    wait_for(Duration::from_secs(30), "A's delayed chunk", || {
        fake.state().pending_faults.is_empty()
    });
    signal(a.id(), "STOP");
    let held = fake.state();
    let stored = held.publishes[0].chunks_received;
    assert!((2..8).contains(&stored), "A is mid-upload: {stored} chunks");
    let frozen: u64 = held.calls.values().sum();
    // Past A's lease (2 s on the database clock), B takes the account over.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(total_calls(&fake), frozen, "a stopped runner calls nothing");
    let b = b_home.run(&["run"]);
    assert_eq!(b.code, 0, "{b:?}");
    assert_clean(&b.stderr);
    let after_b = fake.state();
    // B resumed A's upload: no second init, only the chunks the platform did not have, and it
    // asked the platform about the upload (status) rather than trusting the checkpoint alone.
    assert_eq!(
        after_b.count(Endpoint::DirectInit),
        1,
        "{:?}",
        after_b.calls
    );
    assert_eq!(
        after_b.count(Endpoint::Upload) - held.count(Endpoint::Upload),
        8 - u64::from(stored),
        "B sent only the missing chunks: {:?}",
        after_b.calls
    );
    // Status first: one question before resuming, then the polls after the last chunk (the fake
    // answers "processing" once, then "published").
    assert_eq!(
        after_b.count(Endpoint::StatusFetch) - held.count(Endpoint::StatusFetch),
        3,
        "{:?}",
        after_b.calls
    );
    // From the checkpoint: the chunks TikTok already had (10,000,000 bytes each).
    let resumed_at = format!(
        "resuming at {:.1} MiB",
        f64::from(stored) * 10_000_000.0 / 1_048_576.0
    );
    assert!(b.stderr.contains(&resumed_at), "`{resumed_at}` in {b:?}");
    assert_eq!(after_b.publishes.len(), 1);
    let publish = &after_b.publishes[0];
    assert_eq!(publish.status, "PUBLISH_COMPLETE", "{publish:?}");
    assert_eq!(
        publish.sha256.as_deref(),
        Some(sha256_file(&video).as_str())
    );
    let settled: u64 = after_b.calls.values().sum();

    // A wakes up: it finds its lease gone before any further platform call and stops.
    signal(a.id(), "CONT");
    let status = a.wait().unwrap();
    let stderr = std::fs::read_to_string(&a_err).unwrap();
    assert!(!status.success(), "{status:?}: {stderr}");
    assert_ne!(status.code(), Some(101), "a panic: {stderr}");
    assert_clean(&stderr);
    // Its progress lines, then one error line that says why it stopped.
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        errors[0].starts_with("error: this runner lost its lease"),
        "{stderr}"
    );
    assert!(stderr.contains("\nhint: nothing to do"), "{stderr}");
    assert_eq!(status.code(), Some(75), "try later: {stderr}");
    assert!(
        !stderr.lines().last().unwrap().contains("published"),
        "A published nothing: {stderr}"
    );
    // The fake's handler of A's delayed chunk drains what A still had to send, and the fake
    // answers it (the chunk is already stored); A makes no call after that.
    std::thread::sleep(Duration::from_millis(500));
    let end = fake.state();
    assert_eq!(
        end.calls.values().sum::<u64>(),
        settled,
        "no platform call from A after it lost its lease: {:?} then {:?}",
        after_b.calls,
        end.calls
    );
    assert_eq!(fake.finished().len(), 1, "published exactly once");
    assert_eq!(end.publishes[0].chunks_received, 8);
    let list = desk.run(&["list", "--all", "--json"]).json();
    assert_eq!(list[0]["state"], "published", "{list}");
    let taken = psql(
        &url,
        "SELECT count(*) FROM events WHERE kind = 'taken_over'",
    );
    assert_eq!(taken, "1", "B recorded the take-over");
    // A further run on either home has nothing to do.
    for home in &homes {
        let run = home.run(&["run"]);
        assert_eq!(run.code, 0, "{run:?}");
    }
    assert_eq!(fake.finished().len(), 1);
}

/// Everything in the shared queue at `url` (its schema's tables and rows), as `pg_dump` prints it.
pub fn dump(url: &str) -> String {
    let (server, schema) = url
        .split_once("?options=-c%20search_path%3D")
        .expect("a URL from shared_queue()");
    let out = Command::new("pg_dump")
        .args(["--no-owner", "--no-privileges", "-n", schema, server])
        .output()
        .expect("pg_dump");
    assert!(
        out.status.success(),
        "pg_dump: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // pg_dump fences its output with a random `\restrict` key each time: not the data.
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// The lines of `after` that are not in `before` and the other way round.
pub fn changed_lines(before: &str, after: &str) -> Vec<String> {
    let (b, a): (Vec<&str>, Vec<&str>) = (before.lines().collect(), after.lines().collect());
    let gone = b
        .iter()
        .filter(|l| !a.contains(l))
        .map(|l| format!("- {l}"));
    let new = a
        .iter()
        .filter(|l| !b.contains(l))
        .map(|l| format!("+ {l}"));
    gone.chain(new).collect()
}

/// A refusal: exit code 2, one `error:` sentence that says `about`, then a `hint:`, no panic,
/// and no local SQLite queue made in the home.
#[track_caller]
fn refused(env: &TestEnv, run: &Run, about: &str) {
    assert_eq!(run.code, 2, "{run:?}");
    let stderr = &run.stderr;
    assert_clean(stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "an error and a hint: {stderr}");
    assert!(lines[0].starts_with("error: "), "{stderr}");
    assert!(lines[0].contains(about), "`{about}` in {stderr}");
    assert!(lines[1].starts_with("hint: "), "{stderr}");
    assert!(!env.db().exists(), "no SQLite queue was made");
}

#[test]
fn an_unreachable_database_is_a_clear_error_and_nothing_is_made() {
    // A closed port on this machine (bound then released), and a host name that cannot resolve
    // (`.invalid` is reserved for that).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let fake = Fake::start(|_| {});
    for url in [
        format!("postgres://postez@127.0.0.1:{port}/postez"),
        "postgres://postez@no-such-host.invalid/postez".to_owned(),
        // A password in the environment's URL is never printed back.
        format!("postgres://postez:hunter2@127.0.0.1:{port}/postez"),
    ] {
        let env = shared_home(&fake, &url);
        let file = media(Media::Mp4);
        for args in [
            vec!["list"],
            vec!["run"],
            vec!["schedule", file.to_str().unwrap(), "--at", "now", "--yes"],
        ] {
            let run = env.run(&args);
            refused(&env, &run, "could not reach the shared queue");
            assert!(!run.stderr.contains("hunter2"), "{run:?}");
        }
    }
    assert!(fake.state().calls.is_empty(), "{:?}", fake.state().calls);
}

#[test]
fn a_database_of_a_newer_schema_is_refused_and_left_as_it_was() {
    let Some(url) = shared_queue() else { return };
    let fake = Fake::start(|_| {});
    let desk = shared_home(&fake, &url);
    let run = desk.connect(&fake, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    desk.schedule(&media(Media::Mp4), "now", &["--caption", "from the future"]);
    // A newer postez migrated this queue.
    psql(&url, "UPDATE postez_schema SET version = version + 1");
    let before = dump(&url);
    let calls = fake.state().calls;
    let runner = runner_homes(&fake, &url, &desk, 1).remove(0);
    let file = media(Media::Mp4);
    for env in [&desk, &runner] {
        for args in [
            vec!["list"],
            vec!["run"],
            vec!["schedule", file.to_str().unwrap(), "--at", "now", "--yes"],
        ] {
            let run = env.run(&args);
            refused(env, &run, "newer postez");
            assert!(run.stderr.ends_with("hint: upgrade postez\n"), "{run:?}");
        }
    }
    let after = dump(&url);
    assert!(
        after.contains("from the future"),
        "the dump holds the queue's rows"
    );
    assert_eq!(
        changed_lines(&before, &after),
        Vec::<String>::new(),
        "the queue is as it was"
    );
    assert_eq!(fake.state().calls, calls, "no platform call");
    assert!(fake.finished().is_empty());
}

#[test]
fn a_database_url_setting_with_a_password_or_not_postgres_is_refused() {
    let fake = Fake::start(|_| {});
    let env = fake.env();
    for (url, about) in [
        (
            "postgres://postez:hunter2@127.0.0.1:5432/postez",
            "may not hold a password",
        ),
        (
            "mysql://postez@127.0.0.1/postez",
            "not a postgres:// address",
        ),
        ("sqlite:///tmp/queue.db", "not a postgres:// address"),
    ] {
        let run = env.run(&["config", "set", "database_url", url]);
        refused(&env, &run, about);
        assert!(!run.stderr.contains("hunter2"), "{run:?}");
        let shown = env.run(&["config", "get", "database_url"]);
        assert!(!shown.stdout.contains("127.0.0.1"), "not saved: {shown:?}");
        assert!(
            !shown.stdout.contains("/tmp/queue.db"),
            "not saved: {shown:?}"
        );
    }
    // In the environment, a URL that is not PostgreSQL's is refused as well, before anything is
    // opened or made.
    for url in [
        "mysql://postez@127.0.0.1/postez",
        "/tmp/queue.db",
        "postgres//x",
    ] {
        let mut env = fake.env();
        env.set("POSTEZ_DATABASE_URL", url);
        for args in [vec!["list"], vec!["run"]] {
            let run = env.run(&args);
            refused(&env, &run, "not a postgres:// address");
        }
    }
    assert!(fake.state().calls.is_empty());
}

#[test]
fn a_runner_stopped_in_a_chunk_retry_pause_checks_its_lease_before_retrying() {
    let Some(url) = shared_queue() else { return };
    let fake = Fake::start(|_| {});
    let desk = shared_home(&fake, &url);
    let run = desk.connect(&fake, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let video = media(Media::Large);
    desk.schedule(&video, "now", &["--caption", "retrying"]);
    let mut homes = runner_homes(&fake, &url, &desk, 2);
    for home in &mut homes {
        home.set("POSTEZ_LEASE", "2s");
    }
    // A's connection is cut in the middle of chunk 2; A pauses 4 s before sending it again.
    homes[0].set("POSTEZ_CHUNK_BACKOFF", "4s");
    fake.server.inject(Fault::ResetMidChunk { chunk: 2 });
    let a_err = homes[0].path("a.stderr");
    let mut a = homes[0]
        .command(&["run"])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&a_err).unwrap())
        .spawn()
        .unwrap();
    wait_for(Duration::from_secs(60), "the cut chunk", || {
        fake.state().pending_faults.is_empty()
    });
    // The cut lands within a moment; A is then in its pause, and is stopped there.
    std::thread::sleep(Duration::from_millis(800));
    signal(a.id(), "STOP");
    let held = fake.state();
    assert_eq!(held.publishes[0].chunks_received, 2, "{:?}", held.publishes);
    std::thread::sleep(Duration::from_secs(3));
    let b = homes[1].run(&["run"]);
    assert_eq!(b.code, 0, "{b:?}");
    let after_b = fake.state();
    assert_eq!(
        after_b.count(Endpoint::DirectInit),
        1,
        "{:?}",
        after_b.calls
    );
    assert_eq!(after_b.publishes[0].status, "PUBLISH_COMPLETE");
    assert_eq!(
        after_b.publishes[0].sha256.as_deref(),
        Some(sha256_file(&video).as_str())
    );
    // A wakes after its pause: it must ask the database, not TikTok, first.
    signal(a.id(), "CONT");
    let status = a.wait().unwrap();
    let stderr = std::fs::read_to_string(&a_err).unwrap();
    assert!(!status.success(), "{status:?}: {stderr}");
    assert_clean(&stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        errors[0].starts_with("error: this runner lost its lease"),
        "{stderr}"
    );
    assert_eq!(status.code(), Some(75), "try later: {stderr}");
    assert_eq!(
        fake.state().calls,
        after_b.calls,
        "no platform call from A after it lost its lease"
    );
    assert_eq!(fake.finished().len(), 1);
}
