//! Concurrency campaign: 2–4 `postez run` at once on one queue, with `schedule`, `edit`,
//! `cancel` and `list` racing them. Figures: duplicates, losses, database errors shown to the
//! user (target 0), and whether every published caption is the one the queue holds.

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;

use crate::lab::{FINAL, Lab, Report};
use crate::support::{Media, media};

/// What a racing command was.
enum Racer {
    Run,
    Schedule,
    Edit(i64, String),
    Cancel(i64),
    List,
}

pub fn campaign(trials: usize, seed: u64) -> Report {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut report = Report::new(seed);
    let mut lab = Lab::new(|_| {});
    let files = [media(Media::Mp4), media(Media::Mid)];
    let mut all_ids: Vec<i64> = Vec::new();
    let mut cancelled_ok: Vec<i64> = Vec::new();
    let mut codes: BTreeMap<String, u64> = BTreeMap::new();
    let (mut runs_total, mut racers_total) = (0u64, 0u64);
    for trial in 0..trials {
        lab.advance(chrono::Duration::minutes(10));
        let n = rng.random_range(3..7);
        let mut ids = Vec::new();
        for i in 0..n {
            let file = &files[usize::from(i == 0 && rng.random_bool(0.5))];
            ids.push(lab.schedule(file, &format!("race {trial}.{i}"), &[]));
        }
        let mut racers: Vec<(Racer, std::process::Child)> = Vec::new();
        let k = rng.random_range(2..=4);
        let mut plan: Vec<Racer> = (0..k).map(|_| Racer::Run).collect();
        for _ in 0..rng.random_range(1..=3) {
            plan.push(match rng.random_range(0..4) {
                0 => Racer::Schedule,
                1 => {
                    let id = ids[rng.random_range(0..ids.len())];
                    Racer::Edit(id, format!("race {trial} edited {id}"))
                }
                2 => Racer::Cancel(ids[rng.random_range(0..ids.len())]),
                _ => Racer::List,
            });
        }
        // Shuffle so that no command always starts first.
        for i in (1..plan.len()).rev() {
            plan.swap(i, rng.random_range(0..=i));
        }
        let new_file = files[0].to_str().unwrap().to_string();
        for (j, racer) in plan.into_iter().enumerate() {
            let wait = rng.random_bool(0.5);
            let args: Vec<String> = match &racer {
                Racer::Run if wait => vec!["run".into(), "--wait".into()],
                Racer::Run => vec!["run".into()],
                Racer::Schedule => [
                    "schedule",
                    &new_file,
                    "--at",
                    "now",
                    "--privacy",
                    "SELF_ONLY",
                    "--yes",
                    "--allow-duplicate",
                    "--json",
                    "--caption",
                    &format!("race {trial} new {j}"),
                ]
                .map(String::from)
                .to_vec(),
                Racer::Edit(id, caption) => {
                    vec![
                        "edit".into(),
                        id.to_string(),
                        "--caption".into(),
                        caption.clone(),
                    ]
                }
                Racer::Cancel(id) => vec!["cancel".into(), id.to_string()],
                Racer::List => vec!["list".into(), "--all".into(), "--json".into()],
            };
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            // Staggered a little, so the racers also land mid-publish, not only at the claim.
            std::thread::sleep(std::time::Duration::from_millis(rng.random_range(0..40)));
            racers.push((racer, lab.spawn(&args)));
        }
        for (racer, child) in racers {
            let (name, run) = match &racer {
                Racer::Run => {
                    runs_total += 1;
                    ("run", lab.finish(child, "run (racing)"))
                }
                Racer::Schedule => ("schedule", lab.finish(child, "schedule (racing)")),
                Racer::Edit(..) => ("edit", lab.finish(child, "edit (racing)")),
                Racer::Cancel(_) => ("cancel", lab.finish(child, "cancel (racing)")),
                Racer::List => ("list", lab.finish(child, "list (racing)")),
            };
            racers_total += 1;
            *codes.entry(format!("{name}:{}", run.code)).or_default() += 1;
            let fine = match (&racer, run.code) {
                (Racer::Run, 0 | 75) => true,
                (Racer::Schedule, 0) => {
                    if let Ok(p) = serde_json::from_str::<Value>(&run.stdout) {
                        ids.push(p["id"].as_i64().unwrap_or_default());
                    }
                    true
                }
                (Racer::List, 0) => serde_json::from_str::<Value>(&run.stdout).is_ok(),
                (Racer::Cancel(id), 0) => {
                    cancelled_ok.push(*id);
                    true
                }
                // Refused because a run claimed the post first: fine, if said clearly.
                (Racer::Edit(..) | Racer::Cancel(_), 2) => {
                    run.stderr.contains("publish") || run.stderr.contains("cancel")
                }
                (Racer::Edit(..), 0) => true,
                _ => false,
            };
            if !fine {
                report.problem(format!(
                    "trial {trial}: unexpected exit {}: {run:?}",
                    run.code
                ));
            }
        }
        lab.settle(&ids, 8);
        all_ids.extend(ids);
    }
    // The verdict, post by post: the queue against what TikTok published.
    let s = lab.fake.state();
    let mut live: BTreeMap<String, u64> = BTreeMap::new();
    for p in s
        .publishes
        .iter()
        .filter(|p| p.status == "PUBLISH_COMPLETE")
    {
        let title = p
            .post_info
            .as_ref()
            .and_then(|i| i["title"].as_str())
            .unwrap_or_default()
            .to_string();
        *live.entry(title).or_default() += 1;
    }
    let (mut duplicates, mut losses, mut wrong_caption, mut cancelled_but_live) = (0, 0, 0, 0);
    let mut states: BTreeMap<String, u64> = BTreeMap::new();
    for id in &all_ids {
        let post = lab.post(*id);
        let state = post["state"].as_str().unwrap_or("unknown").to_string();
        *states.entry(state.clone()).or_default() += 1;
        let caption = post["caption"].as_str().unwrap_or_default().to_string();
        let n = live.get(&caption).copied().unwrap_or(0);
        if n > 1 {
            duplicates += 1;
            report.problem(format!("post {id} `{caption}` published {n} times"));
        }
        match state.as_str() {
            "published" if n == 1 => {}
            "published" => {
                wrong_caption += 1;
                report.problem(format!(
                    "post {id}: published, but TikTok has no post captioned `{caption}`"
                ));
            }
            // Neither the original nor an edited caption may have gone out.
            "cancelled" if n > 0 || live.keys().any(|t| t.ends_with(&format!("edited {id}"))) => {
                cancelled_but_live += 1;
                report.problem(format!("post {id}: cancelled, yet published"));
            }
            s if !FINAL.contains(&s) || s == "failed" => {
                losses += 1;
                report.problem(format!("post {id}: left {s}: {post}"));
            }
            _ => {}
        }
    }
    let expected_live = states.get("published").copied().unwrap_or(0);
    let total_live: u64 = live.values().sum();
    if total_live != expected_live {
        report.problem(format!(
            "TikTok has {total_live} live posts, the queue {expected_live} published"
        ));
    }
    report.set("trials", trials as u64);
    report.set("runs_started", runs_total);
    report.set("commands_racing", racers_total);
    report.set("posts", all_ids.len() as u64);
    report.set("cancels_that_won", cancelled_ok.len() as u64);
    report.set("final_states", serde_json::to_value(&states).unwrap());
    report.set("exit_codes", serde_json::to_value(&codes).unwrap());
    report.set("duplicates", duplicates);
    report.set("losses", losses);
    report.set("published_with_another_caption", wrong_caption);
    report.set("cancelled_but_published", cancelled_but_live);
    lab.common(&mut report);
    report
}
