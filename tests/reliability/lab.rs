//! What every campaign shares: a connected queue against a fake TikTok, commands run with a time
//! limit and checked for panics and database errors, settling a post by running until it ends,
//! the leak scan, and the report.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use crate::fake_tiktok::FakeOptions;
use crate::support::{Fake, Run, TestEnv};

/// No single command may take longer than this (a hang is a finding).
const COMMAND_LIMIT: Duration = Duration::from_secs(180);

/// States a post does not leave by itself.
pub const FINAL: &[&str] = &["published", "sent_to_inbox", "failed", "cancelled"];

/// A queue, its fake TikTok, a clock, and what was seen so far.
pub struct Lab {
    pub fake: Fake,
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

/// Whether stderr shows a database error (which the user should never see from normal use).
pub fn is_db_error(run: &Run) -> bool {
    let e = run.stderr.to_ascii_lowercase();
    [
        "database is locked",
        "database table is locked",
        "could not open the queue",
        "malformed",
        "sqlite",
        "not a database",
        "disk i/o",
    ]
    .iter()
    .any(|m| e.contains(m))
}

/// Whether a command panicked.
pub fn is_panic(run: &Run) -> bool {
    run.code == 101 || run.stderr.contains("panicked at")
}

/// Wait for `child` at most `limit`, reading its output; `None` code when it hung (killed) or
/// died by a signal.
pub fn wait_bounded(mut child: Child, limit: Duration) -> (Option<i32>, bool, String, String) {
    let read = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = read(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = read(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + limit;
    let (code, hung) = loop {
        match child.try_wait() {
            Ok(Some(status)) => break (status.code(), false),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                break (None, true);
            }
        }
    };
    (
        code,
        hung,
        out.join().unwrap_or_default(),
        err.join().unwrap_or_default(),
    )
}

impl Lab {
    /// A fake with short rate windows (and `tweak`), and a queue connected to it.
    pub fn new(tweak: impl FnOnce(&mut FakeOptions)) -> Self {
        let fake = Fake::start(|o| {
            o.rate_window = Duration::from_millis(100);
            tweak(o);
        });
        let env = fake.connected();
        Self {
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

    /// Move the clock forward by `d`.
    pub fn advance(&mut self, d: chrono::Duration) {
        let t = self.now + d;
        self.advance_to(t);
    }

    /// Start a command with piped output.
    pub fn spawn(&self, args: &[&str]) -> Child {
        self.env
            .command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start postez")
    }

    /// Wait for a started command (bounded) and check its output.
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

    /// Record a finished command: transcript, panics, database errors, hangs.
    pub fn note(&mut self, run: &Run, what: &str, hung: bool) {
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

    /// Run a command to its end (bounded) and check it.
    pub fn exec(&mut self, args: &[&str]) -> Run {
        let child = self.spawn(args);
        self.finish(child, &args.join(" "))
    }

    /// A post's JSON.
    pub fn post(&mut self, id: i64) -> Value {
        let run = self.exec(&["show", &id.to_string(), "--json"]);
        serde_json::from_str(&run.stdout)
            .unwrap_or_else(|_| json!({ "state": "unknown", "error": run.stderr }))
    }

    /// Schedule `file` due now as a SELF_ONLY direct post (unless `extra` says otherwise);
    /// returns its id.
    pub fn schedule(&mut self, file: &Path, caption: &str, extra: &[&str]) -> i64 {
        let file = file.to_str().unwrap();
        let mut args = vec![
            "schedule",
            file,
            "--at",
            "now",
            "--json",
            "--caption",
            caption,
        ];
        if !extra.contains(&"--draft") && !extra.contains(&"--privacy") {
            args.extend(["--privacy", "SELF_ONLY"]);
        }
        if !extra.contains(&"--draft") {
            args.push("--yes");
        }
        // The lab queues the same few videos over and over.
        args.push("--allow-duplicate");
        args.extend(extra);
        let run = self.exec(&args);
        let post: Value = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|_| panic!("schedule failed: {run:?}"));
        post["id"].as_i64().unwrap()
    }

    /// Connect again, as a user told `postez connect tiktok` would.
    pub fn reconnect(&mut self) {
        self.reconnects += 1;
        // Faults meant for `run` are not the login's: a user connects later, to a TikTok
        // that has moved on.
        self.fake.server.clear_faults();
        let run = self.env.connect(&self.fake, &[]);
        self.note(&run, "connect tiktok", false);
        if run.code != 0 {
            self.problems.push(format!("reconnect failed: {run:?}"));
        }
    }

    /// Run `postez run` until every post in `ids` is final (advancing the clock past retry
    /// pauses, reconnecting when asked), at most `max_runs` times. Returns the runs used.
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
            // A retry pause: let the clock get there.
            let next = posts
                .iter()
                .filter(|p| p["state"] == "scheduled")
                .filter_map(|p| p["next_attempt_at"].as_str())
                .filter_map(|t| t.parse::<DateTime<Utc>>().ok())
                .max();
            if let Some(t) = next {
                self.advance_to(t + chrono::Duration::seconds(1));
            }
            // A shorter polling budget than cron's 2 minutes: the fake answers in a few polls,
            // and a post that never finishes should cost the campaign little time.
            let run = self.exec(&["run", "--poll-for", "30s"]);
            if run.code == 3 {
                self.reconnect();
            }
        }
        max_runs + 1
    }

    /// Every token the fake ever issued that shows up in any command's output or any file
    /// under the postez home (database, WAL, logs, config).
    pub fn leaks(&self) -> Vec<String> {
        let tokens: Vec<String> = self
            .fake
            .state()
            .tokens
            .into_iter()
            .map(|t| t.token)
            .collect();
        let mut found = Vec::new();
        let mut files = Vec::new();
        collect_files(&self.env.home(), &mut files);
        let mut haystacks: Vec<(String, Vec<u8>)> =
            vec![("output".into(), self.transcript.clone().into_bytes())];
        for f in files {
            if let Ok(bytes) = std::fs::read(&f) {
                haystacks.push((f.display().to_string(), bytes));
            }
        }
        for token in &tokens {
            for (name, bytes) in &haystacks {
                if bytes.windows(token.len()).any(|w| w == token.as_bytes()) {
                    found.push(format!("a token appears in {name}"));
                }
            }
        }
        found
    }

    /// `PRAGMA integrity_check` of the queue.
    pub fn integrity(&self) -> String {
        match rusqlite::Connection::open(self.env.db()) {
            Ok(conn) => conn
                .query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0))
                .unwrap_or_else(|e| e.to_string()),
            Err(e) => e.to_string(),
        }
    }

    /// The figures every campaign reports, and the final checks (leaks, integrity).
    pub fn common(&mut self, report: &mut Report) {
        let leaks = self.leaks();
        let integrity = self.integrity();
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

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
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

/// A campaign's figures and the promises it saw broken.
#[derive(Default)]
pub struct Report {
    pub figures: Map<String, Value>,
    pub problems: Vec<String>,
    started: Option<Instant>,
}

impl Report {
    pub fn new(seed: u64) -> Self {
        let mut r = Self {
            started: Some(Instant::now()),
            ..Self::default()
        };
        r.set("seed", seed);
        r.set(
            "date",
            Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        );
        r
    }

    pub fn set(&mut self, key: &str, value: impl Into<Value>) {
        self.figures.insert(key.into(), value.into());
    }

    /// A problem: a broken promise, with enough detail to reproduce.
    pub fn problem(&mut self, text: impl Into<String>) {
        self.problems.push(text.into());
    }

    /// Write `target/reliability/NAME.json`, print the figures, and fail on any problem.
    pub fn save_and_check(mut self, name: &str) {
        let secs = self.started.map_or(0.0, |s| s.elapsed().as_secs_f64());
        self.set("seconds", (secs * 10.0).round() / 10.0);
        self.set("problems", self.problems.len());
        let mut out = Value::Object(self.figures.clone());
        out["problem_list"] = json!(self.problems.iter().take(50).collect::<Vec<_>>());
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/reliability");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join(format!("{name}.json")),
            serde_json::to_string_pretty(&out).unwrap(),
        )
        .unwrap();
        eprintln!("{name}: {}", Value::Object(self.figures.clone()));
        assert!(
            self.problems.is_empty(),
            "{name}: {} problem(s):\n{}",
            self.problems.len(),
            self.problems.join("\n")
        );
    }
}
