//! Shared-queue crash campaign (issue 14): two or three runners, each with its own POSTEZ_HOME,
//! publish a few posts on two or three accounts from one PostgreSQL queue (a schema of its own on
//! the test server) with a short lease (2 s); one of them, at random, is killed with SIGKILL at a
//! random moment, or (every fifth trial) stopped with SIGSTOP for longer than its lease and then
//! continued. New runners are started until the queue settles. Every post must end published
//! exactly once at the fake (by caption) with the scheduled bytes, or failed with a reason; no
//! output may show a panic or a backtrace.

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;

use crate::crash::{finished, titled};
use crate::lab::{FINAL, Report, is_panic, wait_bounded};
use crate::support::{Fake, Media, Run, TestEnv, media, sha256_file};

/// The lease every runner of the campaign takes (POSTEZ_LEASE).
const LEASE: Duration = Duration::from_secs(2);
/// No runner may take longer than this (a hang is a finding).
const RUN_LIMIT: Duration = Duration::from_secs(180);
/// Runner homes: at most three run at once.
const HOMES: usize = 3;

/// How a trial disturbs one of its runners.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Blow {
    /// SIGKILL.
    Kill,
    /// SIGSTOP for longer than the lease, then SIGCONT.
    Stop,
}

fn signal(pid: u32, signal: &str) {
    let _ = Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status();
}

/// The shared queue, the homes that use it, the fake, and what every command printed.
struct Team {
    fake: Fake,
    desk: TestEnv,
    homes: Vec<TestEnv>,
    now: DateTime<Utc>,
    commands: u64,
    panics: u64,
    hangs: u64,
    problems: Vec<String>,
}

impl Team {
    fn new(url: &str) -> Self {
        // A little latency on every TikTok call (a network round trip): a publish spans a few
        // seconds, so the blows land at every step of it.
        let fake = Fake::start(|o| {
            o.rate_window = Duration::from_millis(100);
            o.latency = Duration::from_millis(25);
        });
        let home = |fake: &Fake| {
            let mut env = fake.env();
            env.set("POSTEZ_DATABASE_URL", url);
            env.set("POSTEZ_LEASE", &format!("{}s", LEASE.as_secs()));
            // The logins are the team's, in the database (sealed with the passphrase's key).
            env.unset("POSTEZ_TOKEN_STORE");
            env
        };
        let desk = home(&fake);
        let run = desk.connect(&fake, &[]);
        assert_eq!(run.code, 0, "{run:?}");
        for name in ["second.chef", "third.chef"] {
            fake.server.set_user(crate::fake_tiktok::FakeUser {
                open_id: format!("{}-{name}", fake.open_id),
                display_name: name.into(),
                creator_username: name.into(),
                creator_nickname: name.into(),
                ..crate::fake_tiktok::FakeUser::default()
            });
            let run = desk.connect(&fake, &[]);
            assert_eq!(run.code, 0, "{run:?}");
        }
        // Runner homes hold nothing of the desk's: the logins come from the database.
        let homes = (0..HOMES)
            .map(|_| {
                let env = home(&fake);
                std::fs::create_dir_all(env.home()).unwrap();
                env
            })
            .collect();
        Self {
            fake,
            desk,
            homes,
            now: crate::support::NOW.parse().unwrap(),
            commands: 0,
            panics: 0,
            hangs: 0,
            problems: Vec::new(),
        }
    }

    /// Every home's clock (POSTEZ_NOW) to `t`, never back.
    fn advance_to(&mut self, t: DateTime<Utc>) {
        if t <= self.now {
            return;
        }
        self.now = t;
        let text = t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        self.desk.set("POSTEZ_NOW", &text);
        for home in &mut self.homes {
            home.set("POSTEZ_NOW", &text);
        }
    }

    /// Check a finished command's output: no panic, no backtrace, no hang.
    fn note(&mut self, run: &Run, what: &str, hung: bool) {
        self.commands += 1;
        if hung {
            self.hangs += 1;
            self.problems.push(format!("`{what}` hung: {run:?}"));
        }
        let backtrace = ["stack backtrace", "RUST_BACKTRACE"]
            .iter()
            .any(|b| run.stderr.contains(b) || run.stdout.contains(b));
        if is_panic(run) || backtrace {
            self.panics += 1;
            self.problems.push(format!("`{what}` panicked: {run:?}"));
        }
    }

    fn exec(&mut self, env: usize, args: &[&str]) -> Run {
        let child = self.spawn(env, args);
        self.finish(child, &args.join(" "))
    }

    /// Start `args` in runner home `env` (or the desk, `usize::MAX`).
    fn spawn(&self, env: usize, args: &[&str]) -> Child {
        let env = self.homes.get(env).unwrap_or(&self.desk);
        env.command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start postez")
    }

    fn finish(&mut self, child: Child, what: &str) -> Run {
        let (code, hung, stdout, stderr) = wait_bounded(child, RUN_LIMIT);
        let run = Run {
            code: code.unwrap_or(-1),
            stdout,
            stderr,
        };
        self.note(&run, what, hung);
        run
    }

    /// Every post of the queue, by caption.
    fn posts(&mut self) -> BTreeMap<String, Value> {
        let run = self.exec(usize::MAX, &["list", "--all", "--limit", "0", "--json"]);
        let list: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|_| {
            self.problems.push(format!("list failed: {run:?}"));
            Value::Array(Vec::new())
        });
        list.as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                (
                    p["caption"].as_str().unwrap_or_default().to_owned(),
                    p.clone(),
                )
            })
            .collect()
    }
}

/// Run the campaign on the shared queue at `url`.
pub fn crash_campaign(url: &str, trials: usize, seed: u64) -> Report {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut report = Report::new(seed);
    let mut team = Team::new(url);
    let accounts: Vec<String> = {
        let run = team.exec(usize::MAX, &["accounts", "--json"]);
        let list: Value = serde_json::from_str(&run.stdout).expect("accounts --json");
        list.as_array()
            .unwrap()
            .iter()
            .map(|a| a["open_id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(accounts.len(), 3, "three accounts connected");
    let files = [media(Media::Mp4), media(Media::Mid), media(Media::Large)];
    let sums: Vec<String> = files.iter().map(|f| sha256_file(f)).collect();
    // How long two runners take over a trial's worth of posts, undisturbed: the blows land
    // within that span.
    let span = {
        for (i, which) in [2usize, 1, 0, 0].into_iter().enumerate() {
            let caption = format!("calibration {i}");
            let args = [
                "schedule",
                files[which].to_str().unwrap(),
                "--at",
                "now",
                "--caption",
                &caption,
                "--account",
                &accounts[i % 2],
                "--privacy",
                "SELF_ONLY",
                "--yes",
                "--allow-duplicate",
            ];
            let run = team.exec(usize::MAX, &args);
            assert_eq!(run.code, 0, "{run:?}");
        }
        let start = std::time::Instant::now();
        let runners: Vec<Child> = (0..2).map(|h| team.spawn(h, &["run"])).collect();
        for child in runners {
            let run = team.finish(child, "run (calibration)");
            assert_eq!(run.code, 0, "{run:?}");
        }
        start.elapsed().as_millis() as u64
    };
    report.set("calibration_ms", span);
    let (mut duplicates, mut lost, mut corrupt, mut failed_with_reason) = (0u64, 0u64, 0u64, 0u64);
    let (mut posts_total, mut kills, mut stops, mut missed) = (0u64, 0u64, 0u64, 0u64);
    let mut exit_codes: BTreeMap<String, u64> = BTreeMap::new();
    let mut max_rounds = 0usize;
    for trial in 0..trials {
        let blow = if trial % 5 == 4 {
            Blow::Stop
        } else {
            Blow::Kill
        };
        // The posts: 3 to 5 on 2 or 3 accounts, at most one of them the 80 MB video (eight
        // chunks, so a blow often lands mid-upload).
        let n_accounts = rng.random_range(2..=3);
        let n_posts = rng.random_range(3..=5);
        let mut large = false;
        let mut queued: Vec<(String, usize)> = Vec::new();
        for i in 0..n_posts {
            let which = match rng.random_range(0..10) {
                0..=2 if !large => {
                    large = true;
                    2
                }
                0..=5 => 1,
                _ => 0,
            };
            let caption = format!("shared trial {trial} post {i}");
            let account = &accounts[rng.random_range(0..n_accounts)];
            let file = files[which].to_str().unwrap();
            let args = [
                "schedule",
                file,
                "--at",
                "now",
                "--json",
                "--caption",
                &caption,
                "--account",
                account,
                "--privacy",
                "SELF_ONLY",
                "--yes",
                "--allow-duplicate",
            ];
            let run = team.exec(usize::MAX, &args);
            if run.code != 0 {
                report.problem(format!("trial {trial}: schedule failed: {run:?}"));
                continue;
            }
            queued.push((caption, which));
        }
        posts_total += queued.len() as u64;
        // 2 or 3 runners at once; one of them is hit at a random moment.
        let n_runners = rng.random_range(2..=HOMES);
        let mut runners: Vec<Child> = (0..n_runners).map(|h| team.spawn(h, &["run"])).collect();
        // A blow must find a runner still at work to mean anything: within the first two thirds
        // of the span (the first half for a stop), on one of the runners still running then.
        let within = if blow == Blow::Stop {
            span / 2
        } else {
            span * 2 / 3
        };
        let moment = Duration::from_millis(rng.random_range(0..within.max(1)));
        std::thread::sleep(moment);
        let running: Vec<usize> = (0..n_runners)
            .filter(|i| matches!(runners[*i].try_wait(), Ok(None)))
            .collect();
        let pick = rng.random_range(0..n_runners);
        let victim = running
            .get(pick % running.len().max(1))
            .copied()
            .unwrap_or(pick);
        let alive = !running.is_empty();
        match blow {
            _ if !alive => missed += 1,
            Blow::Kill => {
                kills += 1;
                let _ = runners[victim].kill(); // SIGKILL
            }
            Blow::Stop => {
                stops += 1;
                let pid = runners[victim].id();
                signal(pid, "STOP");
                std::thread::sleep(LEASE + Duration::from_millis(rng.random_range(500..2500)));
                signal(pid, "CONT");
            }
        }
        for (i, child) in runners.drain(..).enumerate() {
            let what = if i == victim {
                format!("run ({blow:?})")
            } else {
                "run".to_owned()
            };
            let run = team.finish(child, &what);
            let key = if i == victim {
                format!("{blow:?}: {}", run.code)
            } else {
                format!("other: {}", run.code)
            };
            *exit_codes.entry(key).or_default() += 1;
            // A stopped runner that lost a lease says so in one sentence; any other failure of
            // an undisturbed runner is a finding.
            if i != victim && run.code != 0 {
                report.problem(format!(
                    "trial {trial}: an undisturbed runner failed: {run:?}"
                ));
            }
            if i == victim && blow == Blow::Stop && run.code != 0 {
                let errors: Vec<&str> = run
                    .stderr
                    .lines()
                    .filter(|l| l.starts_with("error"))
                    .collect();
                if run.code != 75 || errors.len() != 1 || !errors[0].contains("lost its lease") {
                    report.problem(format!(
                        "trial {trial}: the stopped runner failed without saying it lost its lease: {run:?}"
                    ));
                }
            }
        }
        // Settle: new runners (the dead one's lease lapses first) until every post is final.
        let mut rounds = 0;
        loop {
            let posts = team.posts();
            let open: Vec<&Value> = queued
                .iter()
                .filter_map(|(c, _)| posts.get(c))
                .filter(|p| !FINAL.contains(&p["state"].as_str().unwrap_or_default()))
                .collect();
            if open.is_empty() || rounds == 8 {
                break;
            }
            let next = open
                .iter()
                .filter(|p| p["state"] == "scheduled")
                .filter_map(|p| p["next_attempt_at"].as_str())
                .filter_map(|t| t.parse::<DateTime<Utc>>().ok())
                .max();
            if let Some(t) = next {
                team.advance_to(t + chrono::Duration::seconds(1));
            }
            std::thread::sleep(LEASE + Duration::from_millis(200));
            rounds += 1;
            let home = rng.random_range(0..HOMES);
            let run = team.exec(home, &["run", "--poll-for", "30s"]);
            if run.code != 0 && run.code != 75 {
                report.problem(format!("trial {trial}: a settling run failed: {run:?}"));
            }
        }
        max_rounds = max_rounds.max(rounds);
        // The verdict, post by post.
        let posts = team.posts();
        let s = team.fake.state();
        for (caption, which) in &queued {
            let state = posts
                .get(caption)
                .and_then(|p| p["state"].as_str())
                .unwrap_or("missing");
            let live: Vec<_> = titled(&s, caption)
                .into_iter()
                .filter(|p| finished(p))
                .collect();
            match (state, live.len()) {
                ("published", 1) => {
                    if live[0].sha256.as_deref() != Some(sums[*which].as_str()) {
                        corrupt += 1;
                        report.problem(format!("trial {trial}: `{caption}`: the bytes differ"));
                    }
                }
                (_, n) if n > 1 => {
                    duplicates += 1;
                    report.problem(format!("trial {trial}: `{caption}` published {n} times"));
                }
                ("failed", 0)
                    if posts[caption]["last_error"]
                        .as_str()
                        .is_some_and(|e| !e.is_empty()) =>
                {
                    failed_with_reason += 1;
                }
                (state, n) => {
                    lost += 1;
                    report.problem(format!(
                        "trial {trial} ({blow:?}): `{caption}`: the queue says {state}, TikTok \
                         has {n} live: {}",
                        posts.get(caption).cloned().unwrap_or_default()
                    ));
                }
            }
        }
    }
    report.set("trials", trials as u64);
    report.set("posts", posts_total);
    report.set("kills", kills);
    report.set("stops_past_the_lease", stops);
    // Blows that came after the chosen runner had already finished (nothing to hit).
    report.set("blows_too_late", missed);
    report.set(
        "runner_exit_codes",
        serde_json::to_value(&exit_codes).unwrap(),
    );
    report.set("duplicates", duplicates);
    report.set("lost", lost);
    report.set("failed_with_reason", failed_with_reason);
    report.set("corrupt_uploads", corrupt);
    report.set("most_settling_runs", max_rounds as u64);
    report.set("lease_seconds", LEASE.as_secs());
    let s = team.fake.state();
    report.set(
        "live_publishes_total",
        s.publishes.iter().filter(|p| finished(p)).count() as u64,
    );
    let taken = Command::new("psql")
        .args(["-qtA", url, "-c"])
        .arg("SELECT COUNT(*) FROM events WHERE kind = 'taken_over'")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    // Posts a runner found `publishing` under a lapsed lease and carried on.
    report.set("take_overs", taken.parse::<u64>().unwrap_or(0));
    report.set("commands", team.commands);
    report.set("panics", team.panics);
    report.set("hangs", team.hangs);
    report.problems.append(&mut team.problems);
    report
}
