//! kill -9 during a group publish (cross-posting, issue 13): one `postez run` publishing a
//! group of two targets, a TikTok direct post and a YouTube video of the same file (both strict
//! fakes, the platforms side by side), killed with SIGKILL at a random moment of the publish;
//! then the queue is run until it settles. Verdict per trial: each target exactly once at its
//! fake, the bytes hashing to the source's, the queue's ids the live ones, none lost, both still
//! in their group; over the campaign no panic, no database error shown, no token or Google
//! secret in any output or file.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;

use crate::lab::Report;
use crate::support::{Fake, Media, media, sha256_file};
use crate::youtube::YtLab;

/// A [`YtLab`] whose queue is also connected to a fake TikTok.
struct GroupLab {
    yt: YtLab,
    tt: Fake,
}

impl GroupLab {
    fn new() -> Self {
        let mut yt = YtLab::new();
        let tt = Fake::start(|o| o.rate_window = Duration::from_millis(100));
        tt.configure(&mut yt.env);
        let run = yt.env.connect(&tt, &[]);
        assert_eq!(run.code, 0, "connect tiktok: {run:?}");
        Self { yt, tt }
    }

    /// Queue `file` for now to both accounts as one group, captioned and titled `title`; the
    /// ids of the TikTok and the YouTube post.
    fn schedule(&mut self, file: &std::path::Path, title: &str) -> (i64, i64) {
        let run = self.yt.exec(&[
            "schedule",
            file.to_str().unwrap(),
            "--at",
            "now",
            "--account",
            "tiktok",
            "--account",
            "youtube",
            "--privacy",
            "tiktok=SELF_ONLY",
            "--privacy",
            "youtube=public",
            "--made-for-kids",
            "no",
            "--title",
            title,
            "--caption",
            title,
            "--yes",
            "--allow-duplicate",
            "--json",
        ]);
        let group: Value = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|_| panic!("schedule failed: {run:?}"));
        let id = |platform: &str| {
            group["posts"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["platform"] == platform)
                .and_then(|p| p["id"].as_i64())
                .unwrap_or_else(|| panic!("no {platform} post: {group}"))
        };
        (id("tiktok"), id("youtube"))
    }

    /// Wait until the fake YouTube is done with a killed run's requests (see youtube.rs: a
    /// run started by cron comes a minute later).
    fn quiet(&self) {
        let until = Instant::now() + Duration::from_secs(10);
        while self.yt.fake.state().sessions.iter().any(|s| s.in_flight) && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// The TikTok target's verdict: published once, the bytes and the publish id right.
fn tiktok_verdict(
    post: &Value,
    tt: &Fake,
    title: &str,
    sha: &str,
) -> Result<(), (&'static str, String)> {
    let s = tt.state();
    let live: Vec<_> = crate::crash::titled(&s, title)
        .into_iter()
        .filter(|p| crate::crash::finished(p))
        .collect();
    match (post["state"].as_str().unwrap_or_default(), live.len()) {
        ("published", 1) => {
            if live[0].sha256.as_deref() != Some(sha) {
                return Err(("corrupt_uploads", "the TikTok bytes differ".into()));
            }
            if post["publish_id"].as_str() != Some(live[0].publish_id.as_str()) {
                return Err((
                    "losses",
                    format!("the queue's publish_id is not the live one: {post}"),
                ));
            }
            Ok(())
        }
        (_, n) if n > 1 => Err(("duplicates", format!("TikTok published it {n} times"))),
        ("failed", _) => Err(("failed", format!("TikTok target failed: {post}"))),
        (state, n) => Err((
            "losses",
            format!("queue says {state}, TikTok has {n} live: {post}"),
        )),
    }
}

/// When a trial's kill lands: a random time into the run (uniform over an undisturbed group
/// publish), or a random time (0–60 ms) after one platform's upload began, so that many kills
/// find one target mid-upload while the other is elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Moment {
    Anywhere,
    TikTokUpload,
    YouTubeUpload,
}

const MOMENTS: [Moment; 3] = [
    Moment::Anywhere,
    Moment::TikTokUpload,
    Moment::YouTubeUpload,
];

/// `trials` kills of a run publishing one group, each at a [`Moment`] by turns.
pub fn crash_campaign(trials: usize, seed: u64) -> Report {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut report = Report::new(seed);
    let mut lab = GroupLab::new();
    // The 3-chunk video: each platform's upload takes several requests.
    let file = media(Media::Mid);
    let sha = sha256_file(&file);
    let (tt_id, yt_id) = lab.schedule(&file, "calibration");
    let start = Instant::now();
    lab.yt.exec(&["run"]);
    let span = start.elapsed().as_millis() as u64;
    report.set("calibration_ms", span);
    for id in [tt_id, yt_id] {
        if lab.yt.post(id)["state"] != "published" {
            report.problem(format!("calibration post {id} was not published"));
        }
    }
    let mut figures: BTreeMap<&'static str, u64> = BTreeMap::new();
    // What each target was doing when its run died: `platform/state/phase`.
    let mut landed: BTreeMap<String, u64> = BTreeMap::new();
    let mut moments: BTreeMap<String, u64> = BTreeMap::new();
    let (mut killed_live, mut max_runs) = (0u64, 0usize);
    for trial in 0..trials {
        let title = format!("group trial {trial}");
        let t = lab.yt.now + chrono::Duration::minutes(10);
        lab.yt.advance_to(t);
        let (tt_id, yt_id) = lab.schedule(&file, &title);
        let moment = MOMENTS[trial % MOMENTS.len()];
        let mut child = lab.yt.spawn(&["run"]);
        // Wait for the moment's upload to begin (or the run to end), then a random time more.
        let deadline = Instant::now() + Duration::from_secs(30);
        while moment != Moment::Anywhere
            && Instant::now() < deadline
            && child.try_wait().ok().flatten().is_none()
        {
            let started = match moment {
                Moment::TikTokUpload => !crate::crash::titled(&lab.tt.state(), &title).is_empty(),
                _ => lab
                    .yt
                    .fake
                    .state()
                    .sessions
                    .iter()
                    .any(|x| crate::youtube::session_title(x) == title),
            };
            if started {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        let extra = match moment {
            Moment::Anywhere => rng.random_range(0..span.max(1)),
            _ => rng.random_range(0..60),
        };
        std::thread::sleep(Duration::from_millis(extra));
        *moments.entry(format!("{moment:?}")).or_default() += 1;
        let _ = child.kill(); // SIGKILL
        let killed = lab.yt.finish(child, "run (killed)");
        lab.quiet();
        if killed.code == -1 {
            killed_live += 1;
            for id in [tt_id, yt_id] {
                let post = lab.yt.post(id);
                let name = format!(
                    "{}/{}/{}",
                    post["platform"].as_str().unwrap_or("?"),
                    post["state"].as_str().unwrap_or("?"),
                    post["phase"].as_str().unwrap_or("-")
                );
                *landed.entry(name).or_default() += 1;
            }
        }
        max_runs = max_runs.max(lab.yt.settle(&[tt_id, yt_id], 8));
        let tt_post = lab.yt.post(tt_id);
        let yt_post = lab.yt.post(yt_id);
        let results = [
            tiktok_verdict(&tt_post, &lab.tt, &title, &sha),
            crate::youtube::verdict(&yt_post, &lab.yt.fake.state(), &title, &sha),
        ];
        for (target, result) in ["tiktok", "youtube"].iter().zip(results) {
            if let Err((figure, text)) = result {
                *figures.entry(figure).or_default() += 1;
                report.problem(format!("trial {trial} ({target}): {text}"));
            }
        }
        if tt_post["group"].is_null() || tt_post["group"] != yt_post["group"] {
            report.problem(format!(
                "trial {trial}: the posts left their group: {tt_post} {yt_post}"
            ));
        }
    }
    report.set("trials", trials as u64);
    report.set("kills_per_moment", serde_json::to_value(&moments).unwrap());
    report.set("kills_of_a_running_process", killed_live);
    report.set("targets_at_kill", serde_json::to_value(&landed).unwrap());
    for figure in ["duplicates", "losses", "failed", "corrupt_uploads"] {
        report.set(figure, figures.get(figure).copied().unwrap_or(0));
    }
    report.set("most_runs_to_settle", max_runs as u64);
    // Every publish at either fake is a target's (the calibration group included).
    let tiktok_live = lab.tt.finished().len();
    let youtube_videos = lab.yt.fake.state().videos.len();
    report.set("tiktok_publishes_total", tiktok_live as u64);
    report.set("youtube_videos_total", youtube_videos as u64);
    for (platform, n) in [("TikTok", tiktok_live), ("YouTube", youtube_videos)] {
        if n != trials + 1 {
            report.problem(format!(
                "{platform} has {n} videos for {} targets",
                trials + 1
            ));
        }
    }
    let tokens: Vec<String> = lab.tt.state().tokens.into_iter().map(|t| t.token).collect();
    lab.yt.common_with(&mut report, tokens);
    report
}
