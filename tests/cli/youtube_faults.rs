//! Every fault the fake YouTube can inject, once each, through the real binary (issue 12's
//! "Every fault above once"): a 3-chunk video and a 2 s Short are queued, the fault is armed,
//! and `postez run` is repeated (retry pauses skipped, a refused login connected again, the
//! clock moved past a hold) until every post settles. Each post then ends published exactly once
//! (one video at the fake whose bytes hash to the source's), held first (reason, end, no attempt
//! used) and published after the window, or failed with the reason and a hint; nothing is lost.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use crate::fake_youtube::{Endpoint, Fault};
use crate::support::{Media, NOW, Run, TestEnv, media, sha256_file};
use crate::youtube::Yt;

/// What a fault must lead to.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// Both posts published once, whatever happened on the way.
    Published,
    /// Both posts held with this code until `hold_hours` after NOW (no attempt used), then
    /// published once the clock passes it.
    Held(&'static str, i64),
    /// One post failed with this code and a hint; the other published once.
    Failed(&'static str),
    /// Both published; the one YouTube made private carries a note saying why.
    MadePrivate,
    /// The login is refused: the posts wait for `connect` (no attempt used), then publish.
    Reconnect,
}

struct Case {
    name: &'static str,
    arm: fn(&Yt),
    expect: Expect,
}

fn status(endpoint: Endpoint, http: u16, reason: &str) -> Fault {
    Fault::Status {
        endpoint,
        http,
        reason: reason.into(),
        retry_after: None,
    }
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "init 5xx",
            arm: |yt| {
                yt.server
                    .inject(status(Endpoint::VideosInsert, 503, "backendError"))
            },
            expect: Expect::Published,
        },
        Case {
            name: "chunk 5xx",
            arm: |yt| {
                yt.server.inject(Fault::ChunkStatus {
                    chunk: 1,
                    http: 503,
                })
            },
            expect: Expect::Published,
        },
        Case {
            name: "reset mid-chunk",
            arm: |yt| yt.server.inject(Fault::ResetMidChunk { chunk: 1 }),
            expect: Expect::Published,
        },
        Case {
            name: "final reply lost",
            arm: |yt| yt.server.inject(Fault::FinalReplyLost),
            expect: Expect::Published,
        },
        Case {
            name: "session expired",
            arm: |yt| yt.server.inject(Fault::SessionExpires { chunk: 1 }),
            expect: Expect::Published,
        },
        Case {
            name: "token expired",
            // The saved access token still looks fresh to postez; Google answers 401.
            arm: |yt| yt.server.expire_access_tokens(),
            expect: Expect::Published,
        },
        Case {
            name: "token revoked",
            arm: |yt| {
                yt.server.expire_access_tokens();
                yt.server.inject(Fault::RefreshFails {
                    error: "invalid_grant".into(),
                });
            },
            expect: Expect::Reconnect,
        },
        Case {
            name: "quota exceeded",
            arm: |yt| yt.server.inject(Fault::QuotaExceeded),
            // Midnight Pacific after NOW (2026-11-25T10:00Z, PST): 2026-11-26T08:00Z.
            expect: Expect::Held("quotaExceeded", 22),
        },
        Case {
            name: "daily uploads 429",
            arm: |yt| yt.server.inject(Fault::DailyUploadsExceeded),
            expect: Expect::Held("rateLimitExceeded", 22),
        },
        Case {
            name: "upload limit",
            arm: |yt| yt.server.inject(Fault::UploadLimitExceeded),
            expect: Expect::Held("uploadLimitExceeded", 24),
        },
        Case {
            name: "processing failed",
            arm: |yt| {
                yt.server.inject(Fault::ProcessingFails {
                    reason: "codec".into(),
                })
            },
            expect: Expect::Failed("codec"),
        },
        Case {
            name: "rejected",
            arm: |yt| {
                yt.server.inject(Fault::Rejected {
                    reason: "duplicate".into(),
                })
            },
            expect: Expect::Failed("duplicate"),
        },
        Case {
            name: "unverified project",
            arm: |yt| yt.server.set_force_private(true),
            expect: Expect::MadePrivate,
        },
    ]
}

fn at(hours: i64) -> String {
    let now: chrono::DateTime<chrono::Utc> = NOW.parse().unwrap();
    (now + chrono::Duration::hours(hours)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn shown(env: &TestEnv, id: i64) -> Value {
    env.run(&["show", &id.to_string(), "--json"]).json()
}

/// The queue's posts as `list --all --json` gives them.
fn listed(env: &TestEnv) -> Vec<Value> {
    env.run(&["list", "--all", "--json"])
        .json()
        .as_array()
        .unwrap()
        .clone()
}

/// `postez run` until no post is due (retry pauses skipped) or `rounds` runs; every output.
fn settle(env: &TestEnv, rounds: usize) -> Vec<Run> {
    let mut runs = Vec::new();
    for _ in 0..rounds {
        // At the highest verbosity: more of what postez says goes through the leak scan.
        let run = env.run(&["-vv", "run"]);
        assert!(!run.stderr.contains("panicked"), "{run:?}");
        runs.push(run);
        if listed(env)
            .iter()
            .all(|p| p["state"] != "scheduled" || p["last_error_code"].is_string())
        {
            break;
        }
        env.sql("UPDATE posts SET next_attempt_at = NULL WHERE last_error_code IS NULL");
    }
    runs
}

/// Every post published exactly once: one video at the fake per source, the recorded id its.
fn assert_each_published_once(yt: &Yt, env: &TestEnv, files: &[PathBuf], name: &str) {
    let state = yt.server.state();
    for (i, file) in files.iter().enumerate() {
        let post = shown(env, i as i64 + 1);
        assert_eq!(post["state"], "published", "{name}: {post}");
        let sha = sha256_file(file);
        let live: Vec<_> = state
            .videos
            .iter()
            .filter(|v| v.sha256.as_deref() == Some(sha.as_str()) && v.failure_reason.is_none())
            .filter(|v| v.rejection_reason.is_none())
            .collect();
        assert_eq!(live.len(), 1, "{name}: one video for {file:?}: {live:?}");
        assert_eq!(post["post_id"], live[0].id.as_str(), "{name}: {post}");
    }
}

fn one_case(case: &Case, files: &[PathBuf]) -> Vec<Run> {
    let name = case.name;
    let yt = Yt::start(|_| {});
    let mut env = yt.connected();
    for (file, title) in files.iter().zip(["Kitchen tour", "A Short"]) {
        env.run(&[
            "schedule",
            file.to_str().unwrap(),
            "--at",
            "now",
            "--account",
            "youtube",
            "--privacy",
            "public",
            "--made-for-kids",
            "no",
            "--title",
            title,
        ])
        .ok();
    }
    (case.arm)(&yt);
    let mut runs = settle(&env, 6);
    let posts = listed(&env);
    assert_eq!(posts.len(), files.len(), "{name}: nothing lost: {posts:?}");
    match case.expect {
        Expect::Published => {
            assert!(
                yt.server.state().pending_faults.is_empty(),
                "{name}: the fault was hit"
            );
            if name == "token expired" {
                assert!(
                    yt.server.state().refreshes_ok >= 1,
                    "{name}: refreshed once"
                );
            }
            assert_each_published_once(&yt, &env, files, name);
        }
        Expect::Held(code, hours) => {
            let until = at(hours);
            for post in &posts {
                assert_eq!(post["state"], "scheduled", "{name}: {post}");
                assert_eq!(post["attempts"], 0, "{name}: no attempt used: {post}");
                assert_eq!(post["last_error_code"], code, "{name}: {post}");
                assert_eq!(post["next_attempt_at"], until.as_str(), "{name}: {post}");
                assert!(post["last_error"].is_string(), "{name}: the reason: {post}");
                assert!(post["last_error_hint"].is_string(), "{name}: {post}");
            }
            assert!(yt.server.state().videos.is_empty(), "{name}");
            // Inside the window a run sends nothing; after it, the posts go out.
            let inits = yt.server.state().count(Endpoint::VideosInsert);
            env.set("POSTEZ_NOW", &at(hours - 1));
            runs.push(env.run(&["run"]));
            assert_eq!(
                yt.server.state().count(Endpoint::VideosInsert),
                inits,
                "{name}"
            );
            env.set("POSTEZ_NOW", &at(hours + 1));
            runs.extend(settle(&env, 3));
            assert_each_published_once(&yt, &env, files, name);
        }
        Expect::Failed(code) => {
            let failed: Vec<&Value> = posts.iter().filter(|p| p["state"] == "failed").collect();
            assert_eq!(failed.len(), 1, "{name}: {posts:?}");
            assert_eq!(failed[0]["last_error_code"], code, "{name}");
            assert!(
                failed[0]["last_error"].as_str().unwrap().contains(code),
                "{name}: the reason: {}",
                failed[0]
            );
            assert!(failed[0]["last_error_hint"].is_string(), "{name}");
            let state = yt.server.state();
            // YouTube holds the failed video; no second upload was made for either post.
            assert_eq!(
                state.videos.len(),
                files.len(),
                "{name}: {:?}",
                state.videos
            );
            for file in files {
                assert_eq!(
                    state.videos_with_sha256(&sha256_file(file)),
                    1,
                    "{name}: {file:?}"
                );
            }
            let ok = posts.iter().find(|p| p["state"] != "failed").unwrap();
            assert_eq!(ok["state"], "published", "{name}: {ok}");
        }
        Expect::MadePrivate => {
            assert_each_published_once(&yt, &env, files, name);
            for post in &posts {
                let note = &post["note"];
                assert_eq!(note["code"], "privacyChanged", "{name}: {post}");
                assert!(
                    note["message"].as_str().unwrap().contains("private"),
                    "{post}"
                );
                assert!(
                    note["hint"]
                        .as_str()
                        .unwrap()
                        .contains("support.google.com/youtube/contact/yt_api_form"),
                    "{post}"
                );
                assert_eq!(post["last_error"], Value::Null, "not an error: {post}");
            }
            let run_out = &runs[0].stderr;
            assert!(
                run_out.contains("published") && run_out.contains("made video"),
                "run's line says it: {run_out}"
            );
            let show = env.run(&["show", "1"]);
            assert!(
                show.ok().contains("note         YouTube made video"),
                "{show:?}"
            );
            let list = env.run(&["list", "--all"]);
            assert!(
                list.stderr
                    .contains("post 1 published, but YouTube made video"),
                "{list:?}"
            );
        }
        Expect::Reconnect => {
            for post in &posts {
                assert_eq!(post["state"], "scheduled", "{name}: {post}");
                assert_eq!(post["attempts"], 0, "{name}: {post}");
            }
            let account = env.run(&["accounts", "--json"]).json();
            assert_eq!(account[0]["state"], "needs_reconnect", "{name}: {account}");
            assert!(
                runs.iter().any(|r| r.stderr.contains("connect youtube")),
                "{name}: the hint: {runs:?}"
            );
            let run = yt.connect(&env);
            assert_eq!(run.code, 0, "{run:?}");
            runs.push(run);
            runs.extend(settle(&env, 3));
            assert_each_published_once(&yt, &env, files, name);
        }
    }
    // Nothing of Google's secrets in anything postez printed or wrote.
    let state = yt.server.state();
    let mut secrets = state.secrets_seen.clone();
    secrets.extend(state.tokens.iter().map(|t| t.token.clone()));
    secrets.push(yt.server.client_secret().to_string());
    crate::youtube::assert_no_secret(&env, &runs, &secrets);
    env.set("POSTEZ_NOW", NOW);
    runs
}

#[test]
fn every_youtube_fault_once_ends_published_held_or_failed_with_nothing_lost() {
    let files = [media(Media::Mid), media(Media::Mp4)];
    let mut failures = Vec::new();
    for case in cases() {
        let result = std::panic::catch_unwind(|| one_case(&case, &files));
        if let Err(e) = result {
            let message = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("{}: {message}", case.name));
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
