//! The crash and concurrency campaigns for YouTube (issue 12), against the strict fake YouTube
//! (tests/fake_youtube/) with real MP4s: `postez run` killed with SIGKILL at a random moment of a
//! chosen phase of a resumable upload (init, mid-chunk, after the last byte, processing polls,
//! token refresh, anywhere), and three `postez run`s at once over a queue of YouTube posts.
//! After each trial the queue is run until it settles; the verdict is the fake's: one video per
//! post whose bytes hash to the source's, the queue's id that video's, none lost, no panic, no
//! database error shown, no Google secret (token, code, verifier, client secret) anywhere postez
//! printed or wrote. [`YtLab`] is [`crate::lab::Lab`]'s counterpart for YouTube.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::fake_youtube::{Endpoint, FakeOptions, FakeYouTube, Fault, Snapshot, VideoInfo};
use crate::lab::{FINAL, Report, is_db_error, is_panic, wait_bounded};
use crate::support::{Connecting, Media, Run, TestEnv, media, sha256_file};

/// No single command may take longer than this (a hang is a finding).
const COMMAND_LIMIT: Duration = Duration::from_secs(180);

/// A queue connected to a fake YouTube, a clock, and what was seen so far.
pub struct YtLab {
    rt: tokio::runtime::Runtime,
    pub fake: FakeYouTube,
    pub env: TestEnv,
    pub now: DateTime<Utc>,
    transcript: String,
    pub commands: u64,
    pub panics: u64,
    pub db_errors: u64,
    pub hangs: u64,
    pub reconnects: u64,
    pub problems: Vec<String>,
}

impl YtLab {
    pub fn new() -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        // A campaign uploads hundreds of videos in one fake day: the project's quota is raised
        // (quotas are the fault campaign's matter, tests/cli/youtube_faults.rs).
        let fake = FakeYouTube::start_blocking(FakeOptions {
            daily_inserts: 1_000_000,
            daily_units: 100_000_000,
            ..FakeOptions::default()
        })
        .unwrap();
        let mut env = TestEnv::new();
        for (name, value) in fake.env() {
            env.set(name, &value);
        }
        env.set("POSTEZ_TOKEN_STORE", "file");
        env.set("POSTEZ_PASSPHRASE", "correct horse battery staple");
        env.set("POSTEZ_POLL_INTERVAL", "20ms");
        env.set("POSTEZ_CHUNK_BACKOFF", "20ms");
        let mut lab = Self {
            rt,
            fake,
            env,
            now: crate::support::NOW.parse().unwrap(),
            transcript: String::new(),
            commands: 0,
            panics: 0,
            db_errors: 0,
            hangs: 0,
            reconnects: 0,
            problems: Vec::new(),
        };
        let run = lab.connect();
        assert_eq!(run.code, 0, "connect youtube: {run:?}");
        lab
    }

    /// `postez connect youtube --no-browser`, the lab playing the browser and consent screen.
    fn connect(&mut self) -> Run {
        let connecting = match Connecting::start_platform(&self.env, "youtube", &[]) {
            Ok(c) => c,
            Err(run) => return run,
        };
        let url = connecting.url.clone();
        let callback = self.rt.block_on(async move {
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            let response = client.get(&url).send().await.ok()?;
            let location = response.headers().get("location")?.to_str().ok()?;
            Some(location.to_string())
        });
        if let Some(callback) = callback {
            self.rt.block_on(async move {
                if let Ok(r) = reqwest::get(&callback).await {
                    let _ = r.text().await;
                }
            });
        }
        let run = connecting.finish();
        self.note(&run, "connect youtube", false);
        run
    }

    /// Connect again, as a user told `postez connect youtube` would.
    pub fn reconnect(&mut self) {
        self.reconnects += 1;
        // Faults meant for `run` are not the login's.
        self.fake.clear_faults();
        let run = self.connect();
        if run.code != 0 {
            self.problems.push(format!("reconnect failed: {run:?}"));
        }
    }

    /// Move the queue's clock (POSTEZ_NOW) forward to `t` (never back).
    pub fn advance_to(&mut self, t: DateTime<Utc>) {
        if t > self.now {
            self.now = t;
        }
        let text = self.now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        self.env.set("POSTEZ_NOW", &text);
    }

    pub fn spawn(&self, args: &[&str]) -> Child {
        self.env
            .command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start postez")
    }

    pub fn finish(&mut self, child: Child, what: &str) -> Run {
        let (code, hung, stdout, stderr) = wait_bounded(child, COMMAND_LIMIT);
        let run = Run {
            code: code.unwrap_or(-1),
            stdout,
            stderr,
        };
        self.note(&run, what, hung);
        run
    }

    fn note(&mut self, run: &Run, what: &str, hung: bool) {
        self.commands += 1;
        self.transcript.push_str(&run.stdout);
        self.transcript.push_str(&run.stderr);
        if hung {
            self.hangs += 1;
            self.problems.push(format!("`{what}` hung: {run:?}"));
        }
        if is_panic(run) {
            self.panics += 1;
            self.problems.push(format!("`{what}` panicked: {run:?}"));
        }
        if is_db_error(run) {
            self.db_errors += 1;
            self.problems
                .push(format!("`{what}` showed a database error: {run:?}"));
        }
    }

    pub fn exec(&mut self, args: &[&str]) -> Run {
        let child = self.spawn(args);
        self.finish(child, &args.join(" "))
    }

    pub fn post(&mut self, id: i64) -> Value {
        let run = self.exec(&["show", &id.to_string(), "--json"]);
        serde_json::from_str(&run.stdout)
            .unwrap_or_else(|_| json!({ "state": "unknown", "error": run.stderr }))
    }

    /// Queue `file` for now as a public YouTube video titled `title`; its id.
    pub fn schedule(&mut self, file: &Path, title: &str) -> i64 {
        let run = self.exec(&[
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
            "--allow-duplicate",
            "--json",
        ]);
        let post: Value = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|_| panic!("schedule failed: {run:?}"));
        post["id"].as_i64().unwrap()
    }

    /// `postez run` until every post in `ids` is final (the clock moved past retry pauses, the
    /// login connected again when refused), at most `max_runs` times; the runs used.
    pub fn settle(&mut self, ids: &[i64], max_runs: usize) -> usize {
        for runs in 0..=max_runs {
            let posts: Vec<Value> = ids.iter().map(|id| self.post(*id)).collect();
            if posts
                .iter()
                .all(|p| FINAL.contains(&p["state"].as_str().unwrap_or_default()))
            {
                return runs;
            }
            if runs == max_runs {
                break;
            }
            let next = posts
                .iter()
                .filter(|p| p["state"] == "scheduled")
                .filter_map(|p| p["next_attempt_at"].as_str())
                .filter_map(|t| t.parse::<DateTime<Utc>>().ok())
                .max();
            if let Some(t) = next {
                self.advance_to(t + chrono::Duration::seconds(1));
            }
            let run = self.exec(&["run", "--poll-for", "30s"]);
            if run.code == 3 {
                self.reconnect();
            }
        }
        max_runs + 1
    }

    /// Google's secrets the fake handed out or was shown (every token, code, verifier, the
    /// client secret), found in any output or any file of the queue's folders.
    /// `more`: other secrets to look for (another platform's tokens).
    pub fn leaks_with(&self, more: Vec<String>) -> Vec<String> {
        let state = self.fake.state();
        let mut secrets: Vec<String> = state.tokens.into_iter().map(|t| t.token).collect();
        secrets.extend(more);
        secrets.extend(state.secrets_seen);
        secrets.push(self.fake.client_secret().to_string());
        let mut haystacks: Vec<(String, Vec<u8>)> =
            vec![("output".into(), self.transcript.clone().into_bytes())];
        let mut files = Vec::new();
        collect_files(self.env.dir.path(), &mut files);
        for f in files {
            if let Ok(bytes) = std::fs::read(&f) {
                haystacks.push((f.display().to_string(), bytes));
            }
        }
        let mut found = Vec::new();
        for secret in secrets.iter().filter(|s| s.len() >= 8) {
            for (name, bytes) in &haystacks {
                if bytes.windows(secret.len()).any(|w| w == secret.as_bytes()) {
                    found.push(format!("a secret appears in {name}"));
                }
            }
        }
        found
    }

    pub fn common(&mut self, report: &mut Report) {
        self.common_with(report, Vec::new());
    }

    /// [`YtLab::common`], the leak scan also looking for `more` secrets.
    pub fn common_with(&mut self, report: &mut Report, more: Vec<String>) {
        let leaks = self.leaks_with(more);
        let integrity = match rusqlite::Connection::open(self.env.db()) {
            Ok(conn) => conn
                .query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0))
                .unwrap_or_else(|e| e.to_string()),
            Err(e) => e.to_string(),
        };
        report.set("commands", self.commands);
        report.set("panics", self.panics);
        report.set("database_errors_shown", self.db_errors);
        report.set("hangs", self.hangs);
        report.set("reconnects", self.reconnects);
        report.set("leaks", leaks.len());
        report.set("database_integrity", integrity.clone());
        report.problems.append(&mut self.problems);
        report.problems.extend(leaks);
        if integrity != "ok" {
            report
                .problems
                .push(format!("integrity_check: {integrity}"));
        }
    }
}

fn collect_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect_files(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// The title a session was started with.
pub fn session_title(s: &crate::fake_youtube::SessionInfo) -> &str {
    s.metadata["snippet"]["title"].as_str().unwrap_or_default()
}

/// The fake's videos titled `title` that are on the channel.
fn videos<'a>(s: &'a Snapshot, title: &str) -> Vec<&'a VideoInfo> {
    s.videos
        .iter()
        .filter(|v| v.title == title && !v.gone)
        .collect()
}

/// The verdict on one post: published once, the bytes and the id right. `Err` names the
/// broken promise; the key says which figure it counts in.
pub fn verdict(
    post: &Value,
    s: &Snapshot,
    title: &str,
    sha: &str,
) -> Result<(), (&'static str, String)> {
    let live = videos(s, title);
    match (post["state"].as_str().unwrap_or_default(), live.len()) {
        ("published", 1) => {
            if live[0].sha256.as_deref() != Some(sha) {
                return Err(("corrupt_uploads", "the video's bytes differ".into()));
            }
            if post["post_id"].as_str() != Some(live[0].id.as_str()) {
                return Err((
                    "losses",
                    format!("the queue's id is not the video's: {post}"),
                ));
            }
            Ok(())
        }
        (_, n) if n > 1 => Err(("duplicates", format!("{n} videos"))),
        ("failed", _) => Err(("failed", format!("failed: {post}"))),
        (state, n) => Err((
            "losses",
            format!("queue says {state}, YouTube has {n} videos: {post}"),
        )),
    }
}

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

/// `trials` kills, one phase after another; the 2 s Short and the 3-chunk video by turns (the
/// chunk phases always the 3-chunk one).
pub fn crash_campaign(trials: usize, seed: u64) -> Report {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut report = Report::new(seed);
    let mut lab = YtLab::new();
    let files = [media(Media::Mp4), media(Media::Mid)];
    let sums: Vec<String> = files.iter().map(|f| sha256_file(f)).collect();
    // One undisturbed publish of the 3-chunk video: "anywhere" kills spread over it.
    let id = lab.schedule(&files[1], "calibration");
    let start = Instant::now();
    lab.exec(&["run"]);
    let span = start.elapsed().as_millis() as u64;
    report.set("calibration_ms", span);
    if lab.post(id)["state"] != "published" {
        report.problem("the calibration post was not published");
    }
    let mut figures: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut per_phase: BTreeMap<String, u64> = BTreeMap::new();
    let mut landed: BTreeMap<String, u64> = BTreeMap::new();
    let (mut killed_live, mut max_runs, mut still_serving) = (0u64, 0usize, 0u64);
    for trial in 0..trials {
        let phase = PHASES[trial % PHASES.len()];
        let which = match phase {
            Phase::MidChunk | Phase::Anywhere => 1,
            _ => rng.random_range(0..2),
        };
        let title = format!("crash trial {trial}");
        let t = lab.now + chrono::Duration::minutes(10);
        lab.advance_to(t);
        let id = lab.schedule(&files[which], &title);
        let before = lab.fake.state();
        let mut chunk_goal = 0usize;
        let mut polls_goal = 0u64;
        // The injected delay: the fake may still be sleeping in it when the kill lands.
        let mut delay_ms = 0u64;
        let extra_ms = match phase {
            Phase::Init => {
                let ms = rng.random_range(50..300);
                delay_ms = ms;
                lab.fake.inject(Fault::Delay {
                    endpoint: Endpoint::VideosInsert,
                    ms,
                });
                rng.random_range(0..ms + 40)
            }
            Phase::MidChunk => {
                // The PUT of chunk `chunk_goal` is answered late: the kill lands while it is
                // in flight (or just after).
                chunk_goal = rng.random_range(0..3);
                for _ in 0..chunk_goal {
                    lab.fake.inject(Fault::Delay {
                        endpoint: Endpoint::UploadPut,
                        ms: 0,
                    });
                }
                let ms = rng.random_range(100..300);
                delay_ms = ms;
                lab.fake.inject(Fault::Delay {
                    endpoint: Endpoint::UploadPut,
                    ms,
                });
                rng.random_range(0..ms)
            }
            Phase::AfterLastChunk => rng.random_range(0..10),
            Phase::Polling => {
                let polls = rng.random_range(2..6);
                lab.fake.set_processing_polls(polls);
                polls_goal = rng.random_range(0..u64::from(polls) + 1);
                rng.random_range(0..30)
            }
            Phase::Refresh => {
                lab.fake.expire_access_tokens();
                let ms = rng.random_range(50..300);
                delay_ms = ms;
                lab.fake.inject(Fault::Delay {
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
            let session = s.sessions.iter().find(|x| session_title(x) == title);
            let ready = match phase {
                Phase::Init => {
                    s.count(Endpoint::VideosInsert) > before.count(Endpoint::VideosInsert)
                }
                Phase::MidChunk => session.is_some_and(|x| x.chunks.len() >= chunk_goal),
                Phase::AfterLastChunk => session.is_some_and(|x| x.sha256.is_some()),
                Phase::Polling => {
                    session.is_some_and(|x| x.sha256.is_some())
                        && s.count(Endpoint::VideosList)
                            >= before.count(Endpoint::VideosList) + polls_goal
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
        // The fake may still be sleeping in the delay, or reading and hashing the killed run's
        // last chunk; it answers a second data PUT of the session meanwhile with 400 (its
        // UNCONFIRMED one-PUT-at-a-time rule), which postez, told "other 4xx are permanent"
        // (§2.4), takes as a failure. A run started by cron comes a minute later: wait until
        // the fake is done with the dead run (see RELIABILITY.md, "Still open").
        std::thread::sleep(Duration::from_millis(
            delay_ms.saturating_sub(extra_ms) + 20,
        ));
        let quiet = Instant::now() + Duration::from_secs(10);
        if lab.fake.state().sessions.iter().any(|s| s.in_flight) {
            still_serving += 1;
        }
        while lab.fake.state().sessions.iter().any(|s| s.in_flight) && Instant::now() < quiet {
            std::thread::sleep(Duration::from_millis(5));
        }
        lab.fake.set_processing_polls(1);
        let at_kill = lab.post(id);
        *per_phase.entry(format!("{phase:?}")).or_default() += 1;
        if killed.code == -1 {
            killed_live += 1;
            if at_kill["state"] == "publishing" {
                let name = format!("{phase:?}/{}", at_kill["phase"].as_str().unwrap_or("?"));
                *landed.entry(name).or_default() += 1;
            }
        }
        max_runs = max_runs.max(lab.settle(&[id], 8));
        lab.fake.clear_faults();
        let post = lab.post(id);
        if let Err((figure, text)) = verdict(&post, &lab.fake.state(), &title, &sums[which]) {
            *figures.entry(figure).or_default() += 1;
            report.problem(format!("trial {trial} ({phase:?}): {text}"));
        }
    }
    report.set("trials", trials as u64);
    report.set("kills_per_phase", serde_json::to_value(&per_phase).unwrap());
    report.set("kills_of_a_running_process", killed_live);
    report.set(
        "kills_that_landed_mid_publish",
        serde_json::to_value(&landed).unwrap(),
    );
    report.set("kills_the_fake_was_still_serving", still_serving);
    for figure in ["duplicates", "losses", "failed", "corrupt_uploads"] {
        report.set(figure, figures.get(figure).copied().unwrap_or(0));
    }
    report.set("most_runs_to_settle", max_runs as u64);
    let s = lab.fake.state();
    report.set("upload_sessions_total", s.sessions.len() as u64);
    report.set("videos_total", s.videos.len() as u64);
    // Every video at the fake is a post's (the calibration one included): none made twice.
    if s.videos.len() != trials + 1 {
        report.problem(format!(
            "YouTube has {} videos for {} posts",
            s.videos.len(),
            trials + 1
        ));
    }
    lab.common(&mut report);
    report
}

/// `rounds` rounds of three `postez run`s started together over 3–5 YouTube posts (one of
/// them the 3-chunk video), staggered by a few milliseconds.
pub fn concurrency_campaign(rounds: usize, seed: u64) -> Report {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut report = Report::new(seed);
    let mut lab = YtLab::new();
    let files = [media(Media::Mp4), media(Media::Mid)];
    let sums: Vec<String> = files.iter().map(|f| sha256_file(f)).collect();
    let mut figures: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut codes: BTreeMap<String, u64> = BTreeMap::new();
    let mut posts: Vec<(i64, String, usize)> = Vec::new();
    for round in 0..rounds {
        let t = lab.now + chrono::Duration::minutes(10);
        lab.advance_to(t);
        let mut ids = Vec::new();
        for i in 0..rng.random_range(3..6) {
            let which = usize::from(i == 0);
            let title = format!("race {round}.{i}");
            let id = lab.schedule(&files[which], &title);
            ids.push(id);
            posts.push((id, title, which));
        }
        let mut runs = Vec::new();
        for _ in 0..3 {
            std::thread::sleep(Duration::from_millis(rng.random_range(0..30)));
            runs.push(lab.spawn(&["run"]));
        }
        for child in runs {
            let run = lab.finish(child, "run (racing)");
            *codes.entry(run.code.to_string()).or_default() += 1;
            if ![0, 75].contains(&run.code) {
                report.problem(format!("round {round}: run exit {}: {run:?}", run.code));
            }
        }
        lab.settle(&ids, 8);
    }
    let s = lab.fake.state();
    for (id, title, which) in &posts {
        let post = lab.post(*id);
        if let Err((figure, text)) = verdict(&post, &s, title, &sums[*which]) {
            *figures.entry(figure).or_default() += 1;
            report.problem(format!("post {id} `{title}`: {text}"));
        }
    }
    if s.videos.len() != posts.len() {
        report.problem(format!(
            "YouTube has {} videos for {} posts",
            s.videos.len(),
            posts.len()
        ));
    }
    report.set("rounds", rounds as u64);
    report.set("runs_started", 3 * rounds as u64);
    report.set("posts", posts.len() as u64);
    report.set("exit_codes", serde_json::to_value(&codes).unwrap());
    for figure in ["duplicates", "losses", "failed", "corrupt_uploads"] {
        report.set(figure, figures.get(figure).copied().unwrap_or(0));
    }
    report.set("upload_sessions_total", s.sessions.len() as u64);
    lab.common(&mut report);
    report
}
