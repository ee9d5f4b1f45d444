//! `postez run` against the strict fake TikTok with real MP4s: uploads, every fault once,
//! crashes, overlapping runs, signals, and the cron and JSON output.

use std::time::Duration;

use crate::fake_tiktok::{Endpoint, Fault};
use crate::support::{Fake, Media, Run, TestEnv, media, sha256_file};

fn post(env: &TestEnv, id: i64) -> serde_json::Value {
    env.run(&["show", &id.to_string(), "--json"]).json()
}

fn later(env: &mut TestEnv, hours: i64) {
    let now: chrono::DateTime<chrono::Utc> = crate::support::NOW.parse().unwrap();
    let t = now + chrono::Duration::hours(hours);
    env.set(
        "POSTEZ_NOW",
        &t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    );
}

#[test]
fn publishes_one_chunk_mid_and_multi_chunk_videos_exactly_once() {
    let fake = Fake::start(|_| {});
    let env = fake.connected();
    let files = [media(Media::Mp4), media(Media::Mid), media(Media::Large)];
    assert!(std::fs::metadata(&files[1]).unwrap().len() > 5 * 1024 * 1024);
    assert!(
        std::fs::metadata(&files[2]).unwrap().len() > 64_000_000,
        "the large video must need several chunks"
    );
    env.schedule(&files[0], "now", &["--caption", "small"]);
    env.schedule(&files[1], "now", &["--caption", "mid"]);
    env.schedule(
        &files[2],
        "now",
        &[
            "--privacy",
            "PUBLIC_TO_EVERYONE",
            "--caption",
            "large",
            "--yes",
        ],
    );
    let run = env.run(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    let state = fake.state();
    assert_eq!(state.publishes.len(), 3);
    for (i, file) in files.iter().enumerate() {
        let p = post(&env, i as i64 + 1);
        assert_eq!(p["state"], "published", "{p}");
        let publish = state.publish(p["publish_id"].as_str().unwrap()).unwrap();
        assert_eq!(
            publish.sha256.as_deref(),
            Some(sha256_file(file).as_str()),
            "bytes of {file:?}"
        );
        assert_eq!(publish.status, "PUBLISH_COMPLETE");
    }
    let large = state
        .publish(post(&env, 3)["publish_id"].as_str().unwrap())
        .unwrap();
    assert!(large.total_chunk_count >= 7, "{large:?}");
    assert_eq!(large.chunk_size, 10_000_000);
    // Only the public post gets a public id from TikTok.
    assert!(
        post(&env, 3)["post_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
    // Nothing is due any more: a second run publishes nothing.
    let again = env.run(&["run"]);
    assert_eq!(again.code, 0, "{again:?}");
    assert!(again.stderr.contains("nothing was due"), "{}", again.stderr);
    assert_eq!(fake.state().count(Endpoint::DirectInit), 3);
}

#[test]
fn a_draft_ends_in_the_inbox() {
    let fake = Fake::start(|_| {});
    let env = fake.connected();
    env.schedule(&media(Media::Mp4), "now", &["--draft"]);
    env.run(&["run"]).ok();
    assert_eq!(post(&env, 1)["state"], "sent_to_inbox");
    assert_eq!(fake.state().count(Endpoint::InboxInit), 1);
    assert_eq!(fake.state().count(Endpoint::DirectInit), 0);
}

/// TikTok's inbox upload takes no caption: postez keeps it, says so at schedule time, and
/// prints it when the draft is delivered and in `show`, for the creator to paste in the app.
#[test]
fn a_drafts_caption_is_kept_and_printed_for_pasting() {
    let fake = Fake::start(|_| {});
    let env = fake.connected();
    let clip = media(Media::Mp4);
    let scheduled = env.run(&[
        "schedule",
        clip.to_str().unwrap(),
        "--at",
        "now",
        "--draft",
        "--caption",
        "Pasta night\nsecond line",
        "--hashtag",
        "food",
    ]);
    assert!(
        scheduled.ok().contains("Scheduled post 1")
            && scheduled
                .stderr
                .contains("TikTok will not receive this caption"),
        "{scheduled:?}"
    );
    let run = env.run(&["run"]);
    run.ok();
    assert!(
        run.stderr.contains("caption to paste in TikTok:")
            && run.stderr.contains("  Pasta night")
            && run.stderr.contains("  second line #food"),
        "{run:?}"
    );
    env.schedule(&clip, "now", &["--draft", "--caption", "in the JSON too"]);
    let json = env.run(&["run", "--json"]);
    let event: serde_json::Value = json
        .ok()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|e| e["type"] == "sent_to_inbox")
        .expect("a sent_to_inbox event");
    assert_eq!(event["data"]["caption"], "in the JSON too");
    let show = env.run(&["show", "1"]);
    assert!(
        show.ok()
            .contains("caption (TikTok's drafts carry none: paste it in the app)")
            && show.stdout.contains("    Pasta night"),
        "{show:?}"
    );
    // The fake's inbox init received no caption at all (it refuses post_info there).
    assert_eq!(fake.state().count(Endpoint::InboxInit), 2);
}

/// Schedule one post, inject `faults`, run; return the env for more checks.
fn with_faults(fake: &Fake, kind: Media, faults: Vec<Fault>) -> (TestEnv, Run) {
    let env = fake.connected();
    env.schedule(&media(kind), "now", &[]);
    for fault in faults {
        fake.server.inject(fault);
    }
    let run = env.run(&["run"]);
    (env, run)
}

fn retried_then_published(fault: Fault) {
    let fake = Fake::start(|_| {});
    let (mut env, run) = with_faults(&fake, Media::Mp4, vec![fault.clone()]);
    assert_eq!(run.code, 75, "{fault:?}: {run:?}");
    let p = post(&env, 1);
    assert_eq!(p["state"], "scheduled");
    assert_eq!(p["attempts"], 1);
    assert!(p["next_attempt_at"].is_string());
    // Not yet due again: nothing happens.
    env.run(&["run"]).ok();
    assert_eq!(post(&env, 1)["state"], "scheduled");
    later(&mut env, 1);
    env.run(&["run"]).ok();
    assert_eq!(post(&env, 1)["state"], "published", "{fault:?}");
    assert_eq!(fake.finished().len(), 1);
}

#[test]
fn init_500_is_retried_later() {
    retried_then_published(Fault::Status {
        endpoint: Endpoint::DirectInit,
        http: 500,
        code: "internal_error".into(),
    });
}

#[test]
fn init_429_is_retried_later() {
    retried_then_published(Fault::Status {
        endpoint: Endpoint::DirectInit,
        http: 429,
        code: "rate_limit_exceeded".into(),
    });
}

#[test]
fn status_429_and_500_are_polled_through() {
    let fake = Fake::start(|_| {});
    let faults = vec![
        Fault::Status {
            endpoint: Endpoint::StatusFetch,
            http: 429,
            code: "rate_limit_exceeded".into(),
        },
        Fault::Status {
            endpoint: Endpoint::StatusFetch,
            http: 500,
            code: "internal_error".into(),
        },
    ];
    let (env, run) = with_faults(&fake, Media::Mp4, faults);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(post(&env, 1)["state"], "published");
    assert_eq!(fake.state().count(Endpoint::DirectInit), 1);
}

#[test]
fn a_connection_reset_mid_chunk_resends_that_chunk() {
    let fake = Fake::start(|_| {});
    let (env, run) = with_faults(&fake, Media::Large, vec![Fault::ResetMidChunk { chunk: 2 }]);
    assert_eq!(run.code, 0, "{run:?}");
    let p = post(&env, 1);
    assert_eq!(p["state"], "published");
    let publish = fake
        .state()
        .publish(p["publish_id"].as_str().unwrap())
        .cloned()
        .unwrap();
    assert_eq!(publish.sha256.unwrap(), sha256_file(&media(Media::Large)));
    assert_eq!(fake.state().count(Endpoint::DirectInit), 1);
}

#[test]
fn a_lost_acknowledgement_skips_the_stored_chunk() {
    let fake = Fake::start(|_| {});
    let (env, run) = with_faults(&fake, Media::Large, vec![Fault::AckLost { chunk: 1 }]);
    assert_eq!(run.code, 0, "{run:?}");
    let p = post(&env, 1);
    let publish = fake
        .state()
        .publish(p["publish_id"].as_str().unwrap())
        .cloned()
        .unwrap();
    assert_eq!(publish.sha256.unwrap(), sha256_file(&media(Media::Large)));
    assert_eq!(fake.finished().len(), 1);
}

#[test]
fn a_lost_acknowledgement_of_the_last_chunk_is_not_uploaded_twice() {
    let fake = Fake::start(|_| {});
    let (env, run) = with_faults(&fake, Media::Mp4, vec![Fault::AckLost { chunk: 0 }]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(post(&env, 1)["state"], "published");
    assert_eq!(fake.state().count(Endpoint::DirectInit), 1);
    assert_eq!(fake.finished().len(), 1);
}

#[test]
fn an_already_expired_access_token_is_refreshed() {
    let fake = Fake::start(|_| {});
    let env = fake.connected();
    env.schedule(&media(Media::Mp4), "now", &[]);
    fake.server.expire_access_tokens();
    env.run(&["run"]).ok();
    assert_eq!(post(&env, 1)["state"], "published");
    assert_eq!(fake.state().refresh_calls, 1);
}

#[test]
fn long_processing_is_polled_again_by_the_next_run() {
    let fake = Fake::start(|o| o.processing_polls = 6);
    let env = fake.connected();
    env.schedule(&media(Media::Mp4), "now", &[]);
    let run = env.run(&["run", "--poll-for", "0s"]);
    assert_eq!(run.code, 0, "{run:?}");
    let p = post(&env, 1);
    assert_eq!(p["state"], "publishing");
    assert_eq!(p["phase"], "processing");
    env.run(&["run"]).ok();
    assert_eq!(post(&env, 1)["state"], "published");
    // The same publish_id was polled: one init, never two.
    assert_eq!(fake.state().count(Endpoint::DirectInit), 1);
}

#[test]
fn failed_with_a_retryable_reason_is_uploaded_again() {
    let fake = Fake::start(|_| {});
    let (mut env, run) = with_faults(
        &fake,
        Media::Mp4,
        vec![Fault::PublishFails {
            reason: "internal".into(),
        }],
    );
    assert_eq!(run.code, 75, "{run:?}");
    assert_eq!(post(&env, 1)["state"], "scheduled");
    later(&mut env, 1);
    env.run(&["run"]).ok();
    assert_eq!(post(&env, 1)["state"], "published");
    let state = fake.state();
    assert_eq!(state.publishes.len(), 2);
    assert_eq!(fake.finished().len(), 1, "exactly one publish went live");
}

#[test]
fn failed_with_a_permanent_reason_is_reported() {
    let fake = Fake::start(|_| {});
    let (env, run) = with_faults(
        &fake,
        Media::Mp4,
        vec![Fault::PublishFails {
            reason: "file_format_check_failed".into(),
        }],
    );
    assert_eq!(run.code, 4, "{run:?}");
    let p = post(&env, 1);
    assert_eq!(p["state"], "failed");
    assert_eq!(p["last_error_code"], "file_format_check_failed");
    assert!(
        p["last_error_hint"].as_str().unwrap().contains("re-encode"),
        "{p}"
    );
}

/// Only TikTok's `internal` processing failure means "upload it again": a reason that reads
/// like a passing API error names a dead upload, and is reported as the post's failure.
#[test]
fn a_processing_failure_named_like_a_passing_error_is_reported() {
    let fake = Fake::start(|_| {});
    let (env, run) = with_faults(
        &fake,
        Media::Mp4,
        vec![Fault::PublishFails {
            reason: "rate_limit_exceeded".into(),
        }],
    );
    assert_eq!(run.code, 4, "{run:?}");
    let p = post(&env, 1);
    assert_eq!(p["state"], "failed");
    assert_eq!(p["last_error_code"], "rate_limit_exceeded");
    assert_eq!(fake.state().publishes.len(), 1, "no second upload");
}

#[test]
fn an_unaudited_app_gets_the_audit_hint() {
    let fake = Fake::start(|o| o.unaudited = true);
    let env = fake.connected();
    env.schedule(
        &media(Media::Mp4),
        "now",
        &["--privacy", "MUTUAL_FOLLOW_FRIENDS", "--yes"],
    );
    let run = env.run(&["run"]);
    assert_eq!(run.code, 4, "{run:?}");
    let p = post(&env, 1);
    assert_eq!(p["state"], "failed");
    assert_eq!(
        p["last_error_code"],
        "unaudited_client_can_only_post_to_private_accounts"
    );
    assert!(
        p["last_error_hint"]
            .as_str()
            .unwrap()
            .contains("not audited yet")
    );
    assert!(run.stderr.contains("not audited yet"), "{}", run.stderr);
}

#[test]
fn a_creator_who_cannot_post_now_keeps_the_posts_queued() {
    let fake = Fake::start(|_| {});
    let env = fake.connected();
    env.schedule(&media(Media::Mp4), "now", &[]);
    env.schedule(&media(Media::Mp4), "now", &[]);
    fake.server.inject(Fault::CreatorCannotPost {
        code: "spam_risk_too_many_posts".into(),
    });
    let run = env.run(&["run"]);
    assert_eq!(run.code, 75, "{run:?}");
    assert!(
        run.stderr.contains("spam_risk_too_many_posts"),
        "{}",
        run.stderr
    );
    // Only the human line reaches stderr, not a debug dump of the event (RELIABILITY.md).
    assert!(
        !run.stderr.contains("Subject {") && !run.stderr.contains("WARN"),
        "{}",
        run.stderr
    );
    for id in [1, 2] {
        assert_eq!(post(&env, id)["state"], "scheduled");
        assert_eq!(post(&env, id)["attempts"], 0);
    }
    assert_eq!(fake.state().count(Endpoint::DirectInit), 0);
}

#[test]
fn a_rejected_refresh_keeps_posts_and_needs_auth() {
    let fake = Fake::start(|_| {});
    let env = fake.connected();
    env.schedule(&media(Media::Mp4), "now", &[]);
    fake.server.expire_access_tokens();
    fake.server.inject(Fault::RefreshFails {
        error: "invalid_grant".into(),
    });
    let run = env.run(&["run"]);
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(post(&env, 1)["state"], "scheduled");
    assert_eq!(
        env.run(&["accounts", "--json"]).json()[0]["state"],
        "needs_reconnect"
    );
}

#[test]
fn a_changed_file_fails_with_a_hint() {
    let fake = Fake::start(|_| {});
    let env = fake.connected();
    let file = env.path("mine.mp4");
    std::fs::copy(media(Media::Mp4), &file).unwrap();
    env.schedule(&file, "now", &[]);
    std::fs::copy(media(Media::Mov), &file).unwrap();
    let run = env.run(&["run"]);
    assert_eq!(run.code, 4, "{run:?}");
    let p = post(&env, 1);
    assert!(
        p["last_error"]
            .as_str()
            .unwrap()
            .contains("changed or moved"),
        "{p}"
    );
    assert!(
        p["last_error_hint"]
            .as_str()
            .unwrap()
            .contains("postez edit 1"),
        "{p}"
    );
}

#[test]
fn posts_overdue_past_the_late_limit_are_missed() {
    let fake = Fake::start(|_| {});
    let mut env = fake.connected();
    env.schedule(&media(Media::Mp4), "now", &[]);
    later(&mut env, 30);
    let run = env.run(&["run"]);
    assert_eq!(run.code, 4, "{run:?}");
    let p = post(&env, 1);
    assert_eq!(p["state"], "failed");
    assert_eq!(p["last_error_code"], "missed");
    assert!(
        p["last_error_hint"]
            .as_str()
            .unwrap()
            .contains("postez retry 1")
    );
    // With no limit, it would have gone out.
    env.run(&["config", "set", "late_limit", "0"]).ok();
    env.run(&["retry", "1"]).ok();
    env.run(&["run"]).ok();
    assert_eq!(post(&env, 1)["state"], "published");
}

#[test]
fn dry_run_checks_and_changes_nothing() {
    let fake = Fake::start(|_| {});
    let env = fake.connected();
    env.schedule(&media(Media::Mp4), "now", &[]);
    let before = env.db_bytes();
    let run = env.run(&["run", "--dry-run"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("would publish tiny.mp4"),
        "{}",
        run.stderr
    );
    assert_eq!(env.db_bytes(), before);
    assert_eq!(fake.state().count(Endpoint::DirectInit), 0);
}

#[test]
fn three_runs_at_once_publish_each_post_once() {
    let fake = Fake::start(|_| {});
    let env = fake.connected();
    for i in 0..6 {
        env.schedule(
            &media(Media::Mp4),
            "now",
            &["--caption", &format!("post {i}")],
        );
    }
    let children: Vec<_> = (0..3)
        .map(|_| {
            // Output captured, so a passing test prints nothing.
            env.command(&["run"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        assert!(child.wait_with_output().unwrap().status.success());
    }
    let list = env.run(&["list", "--all", "--json"]).json();
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|p| p["state"] == "published"),
        "{list}"
    );
    let mut titles: Vec<String> = fake
        .finished()
        .iter()
        .map(|p| {
            p.post_info.as_ref().unwrap()["title"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    titles.sort();
    assert_eq!(
        titles,
        (0..6).map(|i| format!("post {i}")).collect::<Vec<_>>()
    );
}

#[test]
fn sigterm_mid_upload_leaves_a_resumable_post() {
    let fake = Fake::start(|_| {});
    let env = fake.connected();
    env.schedule(&media(Media::Large), "now", &[]);
    // The second chunk's answer is slow, so the signal lands mid-upload.
    fake.server.inject(Fault::Delay {
        endpoint: Endpoint::Upload,
        ms: 0,
    });
    fake.server.inject(Fault::Delay {
        endpoint: Endpoint::Upload,
        ms: 1500,
    });
    let child = env
        .command(&["run"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as i32;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while fake
        .state()
        .publishes
        .first()
        .is_none_or(|p| p.chunks_received < 1)
    {
        assert!(std::time::Instant::now() < deadline, "upload never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let p = post(&env, 1);
    assert_eq!(p["state"], "publishing");
    env.run(&["run"]).ok();
    let p = post(&env, 1);
    assert_eq!(p["state"], "published");
    assert_eq!(
        fake.state().count(Endpoint::DirectInit),
        1,
        "resumed, not started again"
    );
    let publish = fake
        .state()
        .publish(p["publish_id"].as_str().unwrap())
        .cloned()
        .unwrap();
    assert_eq!(publish.sha256.unwrap(), sha256_file(&media(Media::Large)));
}

#[test]
fn kill_9_at_random_moments_never_publishes_twice_or_loses_a_post() {
    let fake = Fake::start(|o| o.rate_window = Duration::from_millis(100));
    let env = fake.connected();
    let trials = 24;
    let file = media(Media::Large);
    // Time one undisturbed publish, then kill the trials at moments spread over that span.
    env.schedule(&file, "now", &["--caption", "calibration"]);
    let start = std::time::Instant::now();
    env.run(&["run"]).ok();
    let span = start.elapsed().as_millis() as u64;
    let mut killed_mid_publish = 0;
    for trial in 0..trials {
        env.schedule(&file, "now", &["--caption", &format!("trial {trial}")]);
        let child = env
            .command(&["run"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Spread the kills over the whole publish: claim, init, upload, polling.
        let wait = span * ((trial as u64 * 7) % trials as u64 + 1) / (trials as u64 + 1);
        std::thread::sleep(Duration::from_millis(wait));
        let pid = child.id().to_string();
        std::process::Command::new("kill")
            .args(["-KILL", &pid])
            .status()
            .unwrap();
        let _ = child.wait_with_output();
        if post(&env, trial + 2)["state"] == "publishing" {
            killed_mid_publish += 1;
        }
        // Runs until the queue settles.
        for _ in 0..4 {
            let run = env.run(&["run"]);
            assert!(run.code == 0, "trial {trial}: {run:?}");
            if post(&env, trial + 2)["state"] == "published" {
                break;
            }
        }
    }
    let list = env.run(&["list", "--all", "--json"]).json();
    let posts = list.as_array().unwrap();
    assert_eq!(posts.len(), trials as usize + 1);
    assert!(posts.iter().all(|p| p["state"] == "published"), "{list}");
    let mut titles: Vec<String> = fake
        .finished()
        .iter()
        .map(|p| {
            p.post_info.as_ref().unwrap()["title"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    titles.sort();
    let mut want: Vec<String> = (0..trials).map(|t| format!("trial {t}")).collect();
    want.push("calibration".into());
    want.sort();
    assert_eq!(titles, want, "each post published exactly once");
    // The kills must land mid-publish often enough for this to prove anything.
    assert!(
        killed_mid_publish >= trials / 3,
        "only {killed_mid_publish} kills landed mid-publish"
    );
}

/// Replace what changes between runs (times, publish ids) to compare output as a snapshot.
fn normalize(text: &str) -> String {
    text.lines()
        .map(|line| {
            let mut out = String::new();
            for word in line.split(' ') {
                let w = if word.len() >= 20 && word.ends_with('Z') && word.as_bytes()[4] == b'-' {
                    "<TIME>".to_string()
                } else if word.starts_with("v_pub_") || word.starts_with("\"v_pub_") {
                    "<PUBLISH_ID>".to_string()
                } else {
                    word.to_string()
                };
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(&w);
            }
            out
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn cron_output_is_plain_timestamped_lines() {
    let fake = Fake::start(|_| {});
    let env = fake.connected();
    env.schedule(&media(Media::Mp4), "now", &[]);
    let run = env.run(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        !run.stderr.contains('\u{1b}'),
        "no escape codes: {:?}",
        run.stderr
    );
    let size = std::fs::metadata(media(Media::Mp4)).unwrap().len() as f64 / 1024.0;
    let expected = format!(
        "<TIME> post 1 tiny.mp4: started, {size:.1} KiB to tiktok as pasta.chef\n\
         <TIME> post 1 tiny.mp4: 25%\n\
         <TIME> post 1 tiny.mp4: 50%\n\
         <TIME> post 1 tiny.mp4: 75%\n\
         <TIME> post 1 tiny.mp4: 100%\n\
         <TIME> post 1 tiny.mp4: uploaded; TikTok is processing it\n\
         <TIME> post 1 tiny.mp4: published\n\
         <TIME> run: 1 due: 1 published"
    );
    assert_eq!(normalize(run.stderr.trim_end()), expected);
}

#[test]
fn json_events_follow_the_contract() {
    let fake = Fake::start(|_| {});
    let env = fake.connected();
    env.schedule(&media(Media::Mp4), "now", &[]);
    let run = env.run(&["run", "--json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let events: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "claimed",
            "started",
            "milestone",
            "milestone",
            "milestone",
            "milestone",
            "processing",
            "published",
            "summary"
        ]
    );
    assert_eq!(
        events[0],
        serde_json::json!({"type": "claimed", "data": {"count": 1}})
    );
    let events = &events[1..];
    let size = std::fs::metadata(media(Media::Mp4)).unwrap().len();
    assert_eq!(
        events[0],
        serde_json::json!({"type": "started", "data": {"id": 1, "file": "tiny.mp4", "bytes": size, "offset": 0, "account": "pasta.chef"}})
    );
    assert_eq!(
        events[6],
        serde_json::json!({"type": "published", "data": {"id": 1, "file": "tiny.mp4", "post_id": null}})
    );
    assert_eq!(
        events[7],
        serde_json::json!({"type": "summary", "data": {"due": 1, "published": 1, "uploaded": 0, "sent_to_inbox": 0, "failed": 0,
            "retrying": 0, "needs_auth": 0, "blocked": 0, "processing": 0, "dry_run": false}})
    );
}

#[test]
fn a_second_run_exits_at_once_while_one_holds_the_lock() {
    let fake = Fake::start(|_| {});
    let env = fake.connected();
    std::fs::create_dir_all(env.home()).unwrap();
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(env.home().join("run.lock"))
        .unwrap();
    lock.lock().unwrap();
    let run = env.run(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("another `postez run` is in progress"),
        "{}",
        run.stderr
    );
}

#[test]
fn log_lines_to_a_pipe_carry_no_color_codes() {
    let fake = Fake::start(|_| {});
    let mut env = fake.connected();
    // NO_COLOR would hide the difference: the flag and the pipe must do it alone.
    env.unset("NO_COLOR");
    let run = |args: &[&str]| {
        env.schedule(&media(Media::Mp4), "now", &[]);
        let run = env.run(args);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.stderr.contains("INFO"), "no log line: {}", run.stderr);
        run.stderr
    };
    for args in [&["run", "-v", "--color", "never"][..], &["run", "-v"][..]] {
        let stderr = run(args);
        assert!(!stderr.contains("\x1b["), "{args:?}: {stderr:?}");
    }
    // The check can fail: asked for, colors do reach a pipe.
    assert!(run(&["run", "-v", "--color", "always"]).contains("\x1b["));
}

#[test]
fn the_run_lock_is_readable_by_the_user_alone() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    let mode = |env: &TestEnv| {
        std::fs::metadata(env.home().join("run.lock"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    env.run(&["run"]).ok();
    assert_eq!(mode(&env), 0o600);
    // A lock file left with the umask's mode by an older postez is tightened.
    let older = TestEnv::new();
    std::fs::create_dir_all(older.home()).unwrap();
    let lock = older.home().join("run.lock");
    std::fs::write(&lock, "").unwrap();
    std::fs::set_permissions(&lock, std::fs::Permissions::from_mode(0o644)).unwrap();
    older.run(&["run"]).ok();
    assert_eq!(mode(&older), 0o600);
}

#[test]
fn editing_a_half_uploaded_post_starts_a_new_upload_of_the_new_content() {
    let fake = Fake::start(|_| {});
    let env = fake.connected();
    env.schedule(&media(Media::Large), "now", &["--caption", "old"]);
    // The run dies mid-upload: the second chunk is refused for good this attempt.
    for _ in 0..5 {
        fake.server.inject(Fault::ChunkStatus {
            chunk: 1,
            http: 500,
        });
    }
    let run = env.run(&["run"]);
    assert_eq!(run.code, 75, "{run:?}");
    assert!(post(&env, 1)["publish_id"].is_string());
    env.run(&[
        "edit",
        "1",
        "--caption",
        "new",
        "--file",
        media(Media::Mp4).to_str().unwrap(),
    ])
    .ok();
    assert!(post(&env, 1)["publish_id"].is_null());
    let mut env = env;
    later(&mut env, 2);
    env.run(&["run"]).ok();
    let p = post(&env, 1);
    assert_eq!(p["state"], "published");
    let live = fake.finished();
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].post_info.as_ref().unwrap()["title"], "new");
    assert_eq!(
        live[0].sha256.as_deref(),
        Some(sha256_file(&media(Media::Mp4)).as_str())
    );
}

#[test]
fn watch_publishes_posts_as_they_come_due() {
    let fake = Fake::start(|_| {});
    let mut env = fake.connected();
    // Real time, so that a post scheduled a few seconds ahead comes due while watching.
    env.unset("POSTEZ_NOW");
    let child = env
        .command(&["run", "--watch", "--interval", "1s"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Whatever happens, the watcher must not outlive the test.
    struct Reap(std::process::Child);
    impl Drop for Reap {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut child = Reap(child);
    std::thread::sleep(Duration::from_millis(500));
    env.schedule(&media(Media::Mp4), "in 2s", &[]);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while post(&env, 1)["state"] != "published" {
        assert!(
            std::time::Instant::now() < deadline,
            "not published while watching"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    std::process::Command::new("kill")
        .args(["-INT", &child.0.id().to_string()])
        .status()
        .unwrap();
    let status = child.0.wait().unwrap();
    assert_eq!(status.code(), Some(130));
}

#[test]
fn an_expired_upload_address_starts_a_new_upload() {
    // TikTok's upload URLs live an hour; this fake's live one second.
    let fake = Fake::start(|o| o.upload_url_ttl = Duration::from_secs(1));
    let mut env = fake.connected();
    env.schedule(&media(Media::Large), "now", &[]);
    for _ in 0..5 {
        fake.server.inject(Fault::ChunkStatus {
            chunk: 1,
            http: 500,
        });
    }
    assert_eq!(env.run(&["run"]).code, 75);
    std::thread::sleep(Duration::from_millis(1500));
    later(&mut env, 2);
    let run = env.run(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    let p = post(&env, 1);
    assert_eq!(p["state"], "published");
    let state = fake.state();
    assert_eq!(state.publishes.len(), 2, "one abandoned upload, one new");
    let live = fake.finished();
    assert_eq!(live.len(), 1);
    assert_eq!(
        live[0].sha256.as_deref(),
        Some(sha256_file(&media(Media::Large)).as_str())
    );
}

#[test]
fn a_refused_status_check_before_resuming_never_fails_the_post() {
    let fake = Fake::start(|_| {});
    let mut env = fake.connected();
    env.schedule(&media(Media::Large), "now", &[]);
    for _ in 0..5 {
        fake.server.inject(Fault::ChunkStatus {
            chunk: 1,
            http: 500,
        });
    }
    assert_eq!(env.run(&["run"]).code, 75);
    // The next run first asks where the saved upload stands, and TikTok refuses to say.
    fake.server.inject(Fault::Status {
        endpoint: Endpoint::StatusFetch,
        http: 400,
        code: "token_not_authorized_for_specified_publish_id".into(),
    });
    later(&mut env, 2);
    let run = env.run(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    let p = post(&env, 1);
    assert_eq!(
        p["state"], "publishing",
        "kept for the next run, not failed: {p}"
    );
    let kinds: Vec<&str> = p["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"status_unknown"), "{kinds:?}");
    env.run(&["run"]).ok();
    assert_eq!(post(&env, 1)["state"], "published");
    assert_eq!(fake.finished().len(), 1);
    assert_eq!(fake.state().count(Endpoint::DirectInit), 1);
}

/// On a terminal (a real pseudo-terminal, 80 columns, made by util-linux `script`) the upload
/// line never outgrows the width, and once every byte is sent it says that postez waits for
/// TikTok instead of sitting at 100 % (issue 10).
#[test]
fn on_a_terminal_the_bar_fits_80_columns_and_says_it_waits_for_tiktok() {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED: no `script` (util-linux) to make a pseudo-terminal");
        return;
    }
    let fake = Fake::start(|o| o.processing_polls = 4);
    let mut env = fake.connected();
    env.set("POSTEZ_POLL_INTERVAL", "300ms");
    env.set("TERM", "xterm");
    env.unset("COLUMNS");
    // A long name: the line must cut it to fit.
    let file = env.path("a-rather-long-name-for-a-holiday-video-final-version-2.mp4");
    std::fs::copy(media(Media::Mp4), &file).unwrap();
    env.schedule(&file, "now", &[]);
    let out = std::process::Command::new("script")
        .arg("-qec")
        .arg(format!(
            "stty cols 80 rows 24; exec '{}' run",
            env!("CARGO_BIN_EXE_postez")
        ))
        .arg("/dev/null")
        .env_clear()
        .envs(env.env.iter().map(|(k, v)| (k, v)))
        .current_dir(env.dir.path())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let transcript = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{transcript}");
    assert!(
        transcript.contains("sent, waiting for TikTok to process it"),
        "{transcript:?}"
    );
    assert!(transcript.contains("published"), "{transcript:?}");
    assert_eq!(post(&env, 1)["state"], "published");
    // The line was fitted to 80 columns: the long name is cut, what postez waits for is not.
    // (The exact widths are unit-tested in reporter/bar.rs.)
    let shown = console::strip_ansi_codes(&transcript);
    assert!(
        shown.contains("Uploading a-rather-long-name-for-a-hol…"),
        "{shown:?}"
    );
    assert!(
        shown.contains("…: sent, waiting for TikTok to process it"),
        "{shown:?}"
    );
    // A second-long upload shows no rate or ETA: the first readings would be absurd.
    assert!(!shown.contains("/s ETA"), "{shown:?}");
}

/// The README's promise about pipes: every line `run` writes goes to stderr, stdout stays empty.
#[test]
fn a_piped_run_writes_every_line_to_stderr() {
    let fake = Fake::start(|_| {});
    let env = fake.connected();
    env.schedule(&media(Media::Mp4), "now", &[]);
    let run = env.run(&["run"]);
    assert_eq!(run.ok(), "", "{run:?}");
    assert!(run.stderr.contains("post 1 tiny.mp4: published"), "{run:?}");
    assert!(run.stderr.contains("run: 1 due: 1 published"), "{run:?}");
}

/// A refusal of the status check that asks about an upload TikTok may hold in full (its last
/// acknowledgement lost) never fails the post, whatever its class: a failed post invites a
/// `retry` that would upload the whole video again. The next run asks again and settles it.
#[test]
fn a_refused_status_check_after_a_lost_last_acknowledgement_fails_nothing() {
    for code in ["scope_not_authorized", "spam_risk_user_banned_from_posting"] {
        let fake = Fake::start(|_| {});
        let http = if code == "scope_not_authorized" {
            401
        } else {
            403
        };
        let (env, _run) = with_faults(
            &fake,
            Media::Mp4,
            vec![
                Fault::AckLost { chunk: 0 },
                Fault::Status {
                    endpoint: Endpoint::StatusFetch,
                    http,
                    code: code.into(),
                },
            ],
        );
        let p = post(&env, 1);
        assert_ne!(p["state"], "failed", "{code}: {p}");
        // Whatever the account needs first (a new login, here), the post waits for it.
        env.run(&["run"]);
        assert_ne!(post(&env, 1)["state"], "failed", "{code}");
        env.connect(&fake, &[]).ok();
        env.run(&["run"]);
        let p = post(&env, 1);
        assert_eq!(p["state"], "published", "{code}: {p}");
        assert_eq!(fake.state().count(Endpoint::DirectInit), 1, "{code}");
        assert_eq!(fake.finished().len(), 1, "{code}");
    }
}

/// A post queued before any account was connected is published with the account connected
/// later, and from then on belongs to it (so that account's holds and pauses cover it).
#[test]
fn a_post_queued_before_connecting_belongs_to_the_account_it_goes_out_with() {
    let fake = Fake::start(|_| {});
    let env = fake.env();
    env.schedule(&media(Media::Mp4), "now", &[]);
    assert!(post(&env, 1)["account"].is_null());
    env.connect(&fake, &[]).ok();
    env.run(&["run"]).ok();
    let p = post(&env, 1);
    assert_eq!(p["state"], "published", "{p}");
    assert!(!p["account"].is_null(), "{p}");
}
