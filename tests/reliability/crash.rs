//! Crash campaign: `postez run` killed with SIGKILL at a random moment of a chosen phase (init,
//! mid-chunk, between the last chunk and the status poll, status polling, token refresh, or
//! anywhere), then run until the queue settles. Figures: duplicates and losses (target 0, 0).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::fake_tiktok::{Endpoint, Fault, Snapshot};
use crate::lab::{Lab, Report};
use crate::support::{Media, media, sha256_file};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    Init,
    MidChunk,
    AfterLastChunk,
    Polling,
    Refresh,
    Anywhere,
}

const PHASES: [Phase; 6] = [
    Phase::Init,
    Phase::MidChunk,
    Phase::AfterLastChunk,
    Phase::Polling,
    Phase::Refresh,
    Phase::Anywhere,
];

pub fn titled<'a>(s: &'a Snapshot, title: &str) -> Vec<&'a crate::fake_tiktok::PublishInfo> {
    s.publishes
        .iter()
        .filter(|p| {
            p.post_info
                .as_ref()
                .and_then(|i| i["title"].as_str())
                .is_some_and(|t| t == title)
        })
        .collect()
}

pub fn finished(p: &crate::fake_tiktok::PublishInfo) -> bool {
    p.status == "PUBLISH_COMPLETE" || p.status == "SEND_TO_USER_INBOX"
}

pub fn campaign(trials: usize, seed: u64) -> Report {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut report = Report::new(seed);
    let mut lab = Lab::new(|_| {});
    let files = [media(Media::Mp4), media(Media::Mid), media(Media::Large)];
    let sums: Vec<String> = files.iter().map(|f| sha256_file(f)).collect();
    // How long one undisturbed publish of the large video takes: "anywhere" kills spread over it.
    let id = lab.schedule(&files[2], "calibration", &[]);
    let start = Instant::now();
    lab.exec(&["run"]);
    let span = start.elapsed().as_millis() as u64;
    report.set("calibration_ms", span);
    if lab.post(id)["state"] != "published" {
        report.problem("the calibration post was not published");
    }
    let mut per_phase: BTreeMap<String, u64> = BTreeMap::new();
    let mut landed: BTreeMap<String, u64> = BTreeMap::new();
    let mut relogins: BTreeMap<String, u64> = BTreeMap::new();
    let (mut duplicates, mut losses, mut failed, mut corrupt, mut max_runs) = (0, 0, 0, 0, 0);
    let mut killed_live = 0u64;
    for trial in 0..trials {
        let phase = PHASES[trial % PHASES.len()];
        let which = match phase {
            Phase::MidChunk | Phase::Anywhere => 2,
            _ => rng.random_range(0..2),
        };
        let title = format!("crash trial {trial}");
        lab.advance(chrono::Duration::minutes(10));
        let id = lab.schedule(&files[which], &title, &[]);
        let before = lab.fake.state();
        let (mut chunk_goal, mut polls_goal) = (0u32, 0u64);
        let extra_ms = match phase {
            Phase::Init => {
                let ms = rng.random_range(50..400);
                lab.fake.server.inject(Fault::Delay {
                    endpoint: Endpoint::DirectInit,
                    ms,
                });
                rng.random_range(0..ms + 40)
            }
            Phase::MidChunk => {
                // Chunk `chunk_goal`'s answer is slow: the kill lands while it is in flight.
                chunk_goal = rng.random_range(0..8);
                for _ in 0..chunk_goal {
                    lab.fake.server.inject(Fault::Delay {
                        endpoint: Endpoint::Upload,
                        ms: 0,
                    });
                }
                let ms = rng.random_range(100..300);
                lab.fake.server.inject(Fault::Delay {
                    endpoint: Endpoint::Upload,
                    ms,
                });
                rng.random_range(0..ms)
            }
            Phase::AfterLastChunk => rng.random_range(0..10),
            Phase::Polling => {
                let polls = rng.random_range(2..6);
                lab.fake.server.set_processing_polls(polls);
                polls_goal = rng.random_range(0..u64::from(polls) + 1);
                rng.random_range(0..30)
            }
            Phase::Refresh => {
                lab.fake.server.expire_access_tokens();
                let ms = rng.random_range(50..300);
                lab.fake.server.inject(Fault::Delay {
                    endpoint: Endpoint::Token,
                    ms,
                });
                rng.random_range(0..ms + 40)
            }
            Phase::Anywhere => rng.random_range(0..span.max(1)),
        };
        let mut child = lab.spawn(&["run"]);
        let deadline = Instant::now() + Duration::from_secs(60);
        // Wait for the phase to begin (or the run to end), then a random moment more.
        loop {
            if Instant::now() > deadline || child.try_wait().ok().flatten().is_some() {
                break;
            }
            let s = lab.fake.state();
            let ready = match phase {
                Phase::Init => s.count(Endpoint::DirectInit) > before.count(Endpoint::DirectInit),
                Phase::MidChunk => titled(&s, &title)
                    .first()
                    .is_some_and(|p| p.chunks_received >= chunk_goal.min(p.total_chunk_count - 1)),
                Phase::AfterLastChunk => titled(&s, &title)
                    .first()
                    .is_some_and(|p| p.sha256.is_some()),
                Phase::Polling => {
                    titled(&s, &title)
                        .first()
                        .is_some_and(|p| p.sha256.is_some())
                        && s.count(Endpoint::StatusFetch)
                            >= before.count(Endpoint::StatusFetch) + polls_goal
                }
                Phase::Refresh => s.count(Endpoint::Token) > before.count(Endpoint::Token),
                Phase::Anywhere => true,
            };
            if ready {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        std::thread::sleep(Duration::from_millis(extra_ms));
        let _ = child.kill(); // SIGKILL
        let killed = lab.finish(child, "run (killed)");
        lab.fake.server.set_processing_polls(1);
        let at_kill = lab.post(id);
        let name = format!("{phase:?}");
        *per_phase.entry(name.clone()).or_default() += 1;
        if killed.code == -1 {
            killed_live += 1;
        }
        if killed.code == -1 && at_kill["state"] == "publishing" {
            *landed
                .entry(format!(
                    "{name}/{}",
                    at_kill["phase"].as_str().unwrap_or("?")
                ))
                .or_default() += 1;
        }
        let reconnects = lab.reconnects;
        let runs = lab.settle(&[id], 8);
        if lab.reconnects > reconnects {
            *relogins.entry(format!("{phase:?}")).or_default() += 1;
        }
        lab.fake.server.clear_faults();
        max_runs = max_runs.max(runs);
        let post = lab.post(id);
        let s = lab.fake.state();
        let publishes = titled(&s, &title);
        let live: Vec<_> = publishes.iter().filter(|p| finished(p)).collect();
        match (post["state"].as_str().unwrap_or_default(), live.len()) {
            ("published", 1) => {
                if live[0].sha256.as_deref() != Some(sums[which].as_str()) {
                    corrupt += 1;
                    report.problem(format!("trial {trial}: the published bytes differ"));
                }
                if post["publish_id"].as_str() != Some(live[0].publish_id.as_str()) {
                    report.problem(format!(
                        "trial {trial}: the queue's publish_id is not the live one"
                    ));
                }
            }
            (_, n) if n > 1 => {
                duplicates += 1;
                report.problem(format!("trial {trial} ({phase:?}): published {n} times"));
            }
            ("failed", 0) => {
                failed += 1;
                report.problem(format!("trial {trial} ({phase:?}): failed: {post}"));
            }
            (state, n) => {
                losses += 1;
                report.problem(format!(
                    "trial {trial} ({phase:?}): queue says {state}, TikTok has {n} live: {post}"
                ));
            }
        }
    }
    report.set("trials", trials as u64);
    report.set("kills_per_phase", serde_json::to_value(&per_phase).unwrap());
    report.set("kills_of_a_running_process", killed_live);
    report.set(
        "kills_that_landed_mid_publish",
        serde_json::to_value(&landed).unwrap(),
    );
    report.set(
        "kills_that_needed_a_reconnect",
        serde_json::to_value(&relogins).unwrap(),
    );
    report.set("duplicates", duplicates);
    report.set("losses", losses);
    report.set("failed", failed);
    report.set("corrupt_uploads", corrupt);
    report.set("most_runs_to_settle", max_runs as u64);
    let s = lab.fake.state();
    report.set("inits_total", s.count(Endpoint::DirectInit));
    report.set(
        "live_publishes_total",
        s.publishes.iter().filter(|p| finished(p)).count() as u64,
    );
    lab.common(&mut report);
    report
}
