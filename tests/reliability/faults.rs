//! Fault campaign: every fault the fake TikTok can inject, alone and in random combinations,
//! plus SIGTERM mid-upload and a full disk under the database. Each post is then run until it
//! settles (the clock skips retry pauses; a login TikTok refused is connected again, as the
//! user is told to). Figure: every post published exactly once, or failed with a clear reason;
//! nothing corrupt.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::fake_tiktok::{Endpoint, Fault};
use crate::lab::{Lab, Report, is_panic};
use crate::support::{Fake, Media, TestEnv, media, sha256_file};

#[derive(Debug, Clone)]
enum Act {
    Fault(Fault),
    ExpireAccess,
    ExpireRefresh,
    Unaudited,
    /// Status polls answering "processing" after the upload (and a run that polls 0 s).
    LongProcessing(u32),
    /// SIGTERM once the first chunk is in.
    Sigterm,
}

#[derive(Debug, Clone)]
struct Case {
    name: String,
    acts: Vec<Act>,
    large: bool,
    draft: bool,
}

fn case(name: impl Into<String>, acts: Vec<Act>) -> Case {
    Case {
        name: name.into(),
        acts,
        large: false,
        draft: false,
    }
}

fn status(endpoint: Endpoint, http: u16, code: &str) -> Act {
    Act::Fault(Fault::Status {
        endpoint,
        http,
        code: code.into(),
    })
}

/// Every fault class the fake offers, each once.
fn pool() -> Vec<Case> {
    let mut cases = Vec::new();
    let answers = [
        (400, "invalid_params"),
        (401, "access_token_invalid"),
        (403, "scope_not_authorized"),
        (429, "rate_limit_exceeded"),
        (500, "internal_error"),
        (503, "internal_error"),
    ];
    for ep in [
        Endpoint::CreatorInfo,
        Endpoint::DirectInit,
        Endpoint::Upload,
        Endpoint::StatusFetch,
    ] {
        for (http, code) in answers {
            cases.push(case(
                format!("status {ep:?} {http} {code}"),
                vec![status(ep, http, code)],
            ));
        }
    }
    for (http, code) in [
        (429, "rate_limit_exceeded"),
        (500, "internal_error"),
        (403, "spam_risk_too_many_pending_share"),
    ] {
        let mut c = case(
            format!("status InboxInit {http} {code} (draft)"),
            vec![status(Endpoint::InboxInit, http, code)],
        );
        c.draft = true;
        cases.push(c);
    }
    for (http, code) in [
        (500, "server_error"),
        (400, "invalid_request"),
        (401, "invalid_client"),
        (503, "temporarily_unavailable"),
    ] {
        cases.push(case(
            format!("status Token {http} {code} (during a refresh)"),
            vec![Act::ExpireAccess, status(Endpoint::Token, http, code)],
        ));
    }
    for chunk in [0, 1, 7] {
        let mut c = case(
            format!("reset mid chunk {chunk}"),
            vec![Act::Fault(Fault::ResetMidChunk { chunk })],
        );
        c.large = chunk > 0;
        cases.push(c);
        let mut c = case(
            format!("ack lost chunk {chunk}"),
            vec![Act::Fault(Fault::AckLost { chunk })],
        );
        c.large = chunk > 0;
        cases.push(c);
    }
    for http in [400, 403, 404, 416, 500, 503] {
        let mut c = case(
            format!("chunk 1 answered {http}"),
            vec![Act::Fault(Fault::ChunkStatus { chunk: 1, http })],
        );
        c.large = true;
        cases.push(c);
    }
    cases.push(case(
        "next access token born expired",
        vec![Act::ExpireAccess, Act::Fault(Fault::NextAccessTokenExpired)],
    ));
    for error in [
        "invalid_grant",
        "invalid_request",
        "server_error",
        "temporarily_unavailable",
    ] {
        cases.push(case(
            format!("refresh fails {error}"),
            vec![
                Act::ExpireAccess,
                Act::Fault(Fault::RefreshFails {
                    error: error.into(),
                }),
            ],
        ));
    }
    for reason in [
        "internal",
        "file_format_check_failed",
        "duration_check_failed",
        "frame_rate_check_failed",
        "picture_size_check_failed",
        "publish_cancelled",
    ] {
        cases.push(case(
            format!("publish fails {reason}"),
            vec![Act::Fault(Fault::PublishFails {
                reason: reason.into(),
            })],
        ));
    }
    for code in [
        "spam_risk_too_many_posts",
        "spam_risk_user_banned_from_posting",
        "reached_active_user_cap",
    ] {
        cases.push(case(
            format!("creator cannot post {code}"),
            vec![Act::Fault(Fault::CreatorCannotPost { code: code.into() })],
        ));
    }
    for ep in [
        Endpoint::CreatorInfo,
        Endpoint::DirectInit,
        Endpoint::Upload,
        Endpoint::StatusFetch,
        Endpoint::Token,
    ] {
        let mut acts = vec![Act::Fault(Fault::Delay {
            endpoint: ep,
            ms: 1500,
        })];
        if ep == Endpoint::Token {
            acts.insert(0, Act::ExpireAccess);
        }
        cases.push(case(format!("delay {ep:?} 1.5 s"), acts));
    }
    cases.push(case("access token expired", vec![Act::ExpireAccess]));
    cases.push(case(
        "whole login expired",
        vec![Act::ExpireAccess, Act::ExpireRefresh],
    ));
    cases.push(case(
        "unaudited app, friends-only post",
        vec![Act::Unaudited],
    ));
    cases.push(case(
        "long processing (polled by later runs)",
        vec![Act::LongProcessing(4)],
    ));
    let mut c = case("SIGTERM mid-upload", vec![Act::Sigterm]);
    c.large = true;
    cases.push(c);
    cases
}

/// How one post ended, for the figures.
#[derive(Default)]
struct Tally {
    published: u64,
    failed_clear: u64,
    failed_unclear: u64,
    duplicates: u64,
    losses: u64,
    failed_but_live: u64,
    corrupt: u64,
    faults_not_fired: u64,
    runs_exit: BTreeMap<String, u64>,
}

fn publish_ids(fake: &Fake) -> BTreeSet<String> {
    fake.state()
        .publishes
        .into_iter()
        .map(|p| p.publish_id)
        .collect()
}

/// Live, or sure to go live: TikTok has every byte and did not fail it. (The fake finishes
/// processing only when asked for the status; the real TikTok finishes on its own.)
fn goes_live(p: &crate::fake_tiktok::PublishInfo) -> bool {
    p.status == "PUBLISH_COMPLETE"
        || p.status == "SEND_TO_USER_INBOX"
        || (p.status == "PROCESSING_UPLOAD" && p.sha256.is_some() && p.fail_reason.is_none())
}

/// Schedule one post, apply `c`, run, settle, judge. Returns a one-line outcome.
fn run_case(
    lab: &mut Lab,
    c: &Case,
    trial: usize,
    sums: &[String; 2],
    report: &mut Report,
    t: &mut Tally,
) -> String {
    let files = [media(Media::Mp4), media(Media::Large)];
    let which = usize::from(c.large || c.acts.iter().any(|a| matches!(a, Act::Sigterm)));
    let title = format!("fault {trial}: {}", c.name);
    lab.advance(chrono::Duration::hours(2));
    let mut extra: Vec<&str> = Vec::new();
    if c.draft {
        extra.push("--draft");
    } else if c.acts.iter().any(|a| matches!(a, Act::Unaudited)) {
        extra.extend(["--privacy", "MUTUAL_FOLLOW_FRIENDS"]);
    }
    let id = lab.schedule(&files[which], &title, &extra);
    let before = publish_ids(&lab.fake);
    let mut poll_for = "2m";
    let mut sigterm = false;
    for act in &c.acts {
        match act {
            Act::Fault(f) => lab.fake.server.inject(f.clone()),
            Act::ExpireAccess => lab.fake.server.expire_access_tokens(),
            Act::ExpireRefresh => lab.fake.server.expire_refresh_tokens(),
            Act::Unaudited => lab.fake.server.set_unaudited(true),
            Act::LongProcessing(n) => {
                lab.fake.server.set_processing_polls(*n);
                poll_for = "0s";
            }
            Act::Sigterm => sigterm = true,
        }
    }
    let first = if sigterm {
        // Slow the second chunk's answer so that the signal lands mid-upload.
        lab.fake.server.inject(Fault::Delay {
            endpoint: Endpoint::Upload,
            ms: 0,
        });
        lab.fake.server.inject(Fault::Delay {
            endpoint: Endpoint::Upload,
            ms: 800,
        });
        let child = lab.spawn(&["run"]);
        let pid = child.id().to_string();
        let mut child = child;
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut uploading = false;
        while Instant::now() < deadline && child.try_wait().ok().flatten().is_none() {
            uploading = lab.fake.state().publishes.iter().any(|p| {
                p.post_info.as_ref().and_then(|i| i["title"].as_str()) == Some(title.as_str())
                    && p.chunks_received >= 1
                    && p.sha256.is_none()
            });
            if uploading {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status();
        let run = lab.finish(child, "run (SIGTERM)");
        // Only a signal that landed mid-upload must end with 130 (other faults may stop the
        // run before the upload starts, or settle the post between the first chunk seen here
        // and the signal: a chunk refused with 400 fails it, and the run ends as that says; the
        // failure's reason and hint are checked below like any other).
        let settled_first = run.code == 4 && lab.post(id)["state"] == "failed";
        if uploading && run.code != 130 && !settled_first {
            report.problem(format!("{title}: SIGTERM gave exit {}: {run:?}", run.code));
        }
        run
    } else {
        lab.exec(&["run", "--poll-for", poll_for])
    };
    *t.runs_exit.entry(first.code.to_string()).or_default() += 1;
    if ![0, 3, 4, 75, 130].contains(&first.code) {
        report.problem(format!("{title}: run exited {}: {first:?}", first.code));
    }
    lab.fake.server.set_unaudited(false);
    lab.fake.server.set_processing_polls(1);
    let runs = lab.settle(&[id], 12);
    // A login TikTok said lacks Direct Post makes postez refuse the account's direct posts
    // until it is connected again, as the failure's hint tells the user to.
    if lab.post(id)["last_error_code"] == "scope_not_authorized" {
        lab.reconnect();
    }
    let pending = lab.fake.server.clear_faults();
    t.faults_not_fired += pending as u64;
    let post = lab.post(id);
    let new: Vec<_> = lab
        .fake
        .state()
        .publishes
        .into_iter()
        .filter(|p| !before.contains(&p.publish_id) && goes_live(p))
        .collect();
    let state = post["state"].as_str().unwrap_or("unknown").to_string();
    match (state.as_str(), new.len()) {
        ("published" | "sent_to_inbox", 1) => {
            t.published += 1;
            if new[0].sha256.as_deref() != Some(sums[which].as_str()) {
                t.corrupt += 1;
                report.problem(format!("{title}: the published bytes differ"));
            }
            if post["publish_id"].as_str() != Some(new[0].publish_id.as_str()) {
                report.problem(format!(
                    "{title}: the queue's publish_id is not the live one"
                ));
            }
            format!("{state} after {runs} run(s)")
        }
        (_, n) if n > 1 => {
            t.duplicates += 1;
            report.problem(format!("{title}: published {n} times: {post}"));
            format!("DUPLICATE ({n})")
        }
        ("failed", 0) => {
            let error = post["last_error"].as_str().unwrap_or_default();
            let hint = post["last_error_hint"].as_str().unwrap_or_default();
            if error.is_empty() || hint.is_empty() {
                t.failed_unclear += 1;
            } else {
                t.failed_clear += 1;
            }
            format!(
                "failed ({}): {error} / hint: {}",
                post["last_error_code"].as_str().unwrap_or("-"),
                if hint.is_empty() { "none" } else { hint }
            )
        }
        ("failed", n) => {
            t.failed_but_live += 1;
            report.problem(format!(
                "{title}: failed in the queue, but live on TikTok ({n}): {post}"
            ));
            "FAILED BUT PUBLISHED".into()
        }
        (state, n) => {
            t.losses += 1;
            report.problem(format!("{title}: left {state} with {n} live: {post}"));
            format!("LOST ({state})")
        }
    }
}

pub fn campaign(combos: usize, seed: u64) -> Report {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut report = Report::new(seed);
    let mut lab = Lab::new(|_| {});
    let sums = [
        sha256_file(&media(Media::Mp4)),
        sha256_file(&media(Media::Large)),
    ];
    let mut t = Tally::default();
    let pool = pool();
    let mut alone = serde_json::Map::new();
    for (i, c) in pool.iter().enumerate() {
        let outcome = run_case(&mut lab, c, i, &sums, &mut report, &mut t);
        alone.insert(c.name.clone(), Value::String(outcome));
    }
    let mut combo_outcomes = Vec::new();
    let direct: Vec<&Case> = pool.iter().filter(|c| !c.draft).collect();
    for k in 0..combos {
        let n = rng.random_range(2..=4);
        let mut picked: Vec<&Case> = Vec::new();
        while picked.len() < n {
            let c = direct[rng.random_range(0..direct.len())];
            if !picked.iter().any(|p| p.name == c.name) {
                picked.push(c);
            }
        }
        let combined = Case {
            name: picked
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(" + "),
            acts: picked.iter().flat_map(|c| c.acts.clone()).collect(),
            large: picked.iter().any(|c| c.large),
            draft: false,
        };
        let outcome = run_case(
            &mut lab,
            &combined,
            pool.len() + k,
            &sums,
            &mut report,
            &mut t,
        );
        combo_outcomes.push(json!({ "faults": combined.name, "outcome": outcome }));
    }
    report.set("fault_cases_alone", pool.len() as u64);
    report.set("fault_combinations", combos as u64);
    report.set("published_exactly_once", t.published);
    report.set("failed_with_reason_and_hint", t.failed_clear);
    report.set("failed_without_hint", t.failed_unclear);
    report.set("duplicates", t.duplicates);
    report.set("losses", t.losses);
    report.set("failed_but_published", t.failed_but_live);
    report.set("corrupt_uploads", t.corrupt);
    report.set("faults_that_never_fired", t.faults_not_fired);
    report.set(
        "first_run_exit_codes",
        serde_json::to_value(&t.runs_exit).unwrap(),
    );
    let full = disk_full(&mut report);
    report.set("disk_full", full);
    report.set("outcomes_alone", Value::Object(alone));
    report.set("outcomes_combined", Value::Array(combo_outcomes));
    lab.common(&mut report);
    report
}

/// The database on a tiny tmpfs that fills up: before `schedule`, before `run`, and in the
/// middle of an upload. Needs root (for the mount); else reported as skipped.
fn disk_full(report: &mut Report) -> Value {
    let fake = Fake::start(|o| o.rate_window = Duration::from_millis(100));
    let mut env = TestEnv::new();
    let mnt = env.path("small-disk");
    std::fs::create_dir_all(&mnt).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=6m", "tmpfs"])
        .arg(&mnt)
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        return json!("skipped: mounting a small tmpfs needs root");
    }
    let home = mnt.join("postez");
    env.set("POSTEZ_HOME", home.to_str().unwrap());
    fake.configure(&mut env);
    for (k, v) in [
        ("POSTEZ_TOKEN_STORE", "file"),
        ("POSTEZ_PASSPHRASE", "correct horse battery staple"),
        ("POSTEZ_POLL_INTERVAL", "20ms"),
        ("POSTEZ_CHUNK_BACKOFF", "20ms"),
        ("POSTEZ_RATE_WINDOW", "100ms"),
    ] {
        env.set(k, v);
    }
    let connected = env.connect(&fake, &[]);
    let mut cases = serde_json::Map::new();
    let mut result = || -> Result<(), String> {
        if connected.code != 0 {
            return Err(format!("connect failed: {connected:?}"));
        }
        let filler = mnt.join("filler");
        let fill = || {
            use std::io::Write;
            let mut f = std::fs::File::create(&filler).unwrap();
            let block = vec![7u8; 4096];
            while f.write_all(&block).is_ok() {}
            let _ = f.sync_all();
        };
        let free = || {
            let _ = std::fs::remove_file(&filler);
        };
        // Refused without a panic, with one `error:` line; whether it says the disk is full is
        // noted separately (SQLite often reports a full tmpfs as "disk I/O error").
        let clear = |run: &crate::support::Run| {
            !is_panic(run) && run.code == 1 && run.stderr.starts_with("error: ")
        };
        let says_full =
            |run: &crate::support::Run| run.stderr.contains("full") || run.stderr.contains("space");
        let mp4 = media(Media::Mp4);
        let large = media(Media::Large);
        let schedule = |file: &std::path::Path, caption: &str| {
            env.run(&[
                "schedule",
                file.to_str().unwrap(),
                "--at",
                "now",
                "--privacy",
                "SELF_ONLY",
                "--yes",
                "--allow-duplicate",
                "--caption",
                caption,
            ])
        };
        let live = |caption: &str| {
            fake.finished()
                .iter()
                .filter(|p| p.post_info.as_ref().and_then(|i| i["title"].as_str()) == Some(caption))
                .count()
        };
        // 1. Full before `schedule`: refused clearly, nothing added.
        fill();
        let run = schedule(&mp4, "disk full 1");
        free();
        let listed = env.run(&["list", "--all", "--json"]);
        let n = serde_json::from_str::<Value>(&listed.stdout)
            .map(|v| v.as_array().map_or(0, Vec::len))
            .unwrap_or(99);
        cases.insert(
            "full before schedule: says the disk is full".into(),
            json!(run.code == 0 || says_full(&run)),
        );
        cases.insert(
            "full before schedule".into(),
            json!(format!(
                "exit {}, {} post(s) queued after: {}",
                run.code,
                n,
                last_line(&run.stderr)
            )),
        );
        // SQLite may reuse space its WAL file already holds, so a full disk can still take a
        // small write; what it must never do is half-add a post, panic, or say nothing clear.
        let fine = if run.code == 0 {
            n == 1
        } else {
            clear(&run) && n == 0
        };
        if !fine {
            return Err(format!("schedule on a full disk: {run:?}, {n} queued"));
        }
        // 2. Full before `run`: refused clearly; once freed, published exactly once.
        if schedule(&mp4, "disk full 2").code != 0 {
            return Err("schedule failed".into());
        }
        fill();
        let run = env.run(&["run"]);
        free();
        let again = env.run(&["run"]);
        cases.insert(
            "full before run: says the disk is full".into(),
            json!(run.code == 0 || says_full(&run)),
        );
        cases.insert(
            "full before run".into(),
            json!(format!(
                "exit {}: {}; after freeing: exit {}, live {}",
                run.code,
                last_line(&run.stderr),
                again.code,
                live("disk full 2")
            )),
        );
        if is_panic(&run) || (run.code != 0 && !clear(&run)) || live("disk full 2") != 1 {
            return Err(format!("run on a full disk: {run:?} then {again:?}"));
        }
        // 3. Full in the middle of an upload: the run stops; the next one resumes.
        if schedule(&large, "disk full 3").code != 0 {
            return Err("schedule failed".into());
        }
        let child = env
            .command(&["run"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline
            && !fake.state().publishes.iter().any(|p| {
                p.post_info.as_ref().and_then(|i| i["title"].as_str()) == Some("disk full 3")
                    && p.chunks_received >= 1
            })
        {
            std::thread::sleep(Duration::from_millis(5));
        }
        fill();
        let (code, _, _, stderr) = crate::lab::wait_bounded(child, Duration::from_secs(180));
        free();
        let mut settle = Vec::new();
        for _ in 0..3 {
            let r = env.run(&["run"]);
            settle.push(r.code);
            if live("disk full 3") > 0 {
                break;
            }
        }
        let shown = env.run(&["list", "--all", "--json"]);
        cases.insert(
            "full mid-upload".into(),
            json!(format!(
                "exit {code:?}: {}; later runs {settle:?}, live {}",
                last_line(&stderr),
                live("disk full 3")
            )),
        );
        if stderr.contains("panicked") || live("disk full 3") != 1 {
            return Err(format!("mid-upload disk full: {stderr} / {}", shown.stdout));
        }
        let integrity = rusqlite::Connection::open(home.join("postez.db"))
            .and_then(|c| c.query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0)))
            .unwrap_or_else(|e| e.to_string());
        cases.insert("integrity after".into(), json!(integrity));
        if integrity != "ok" {
            return Err(format!("integrity: {integrity}"));
        }
        Ok(())
    };
    let outcome = result();
    let _ = std::process::Command::new("umount").arg(&mnt).status();
    if let Err(e) = outcome {
        report.problem(format!("disk full: {e}"));
        cases.insert("problem".into(), json!(e));
    }
    Value::Object(cases)
}

fn last_line(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" | ")
        .chars()
        .take(300)
        .collect()
}
