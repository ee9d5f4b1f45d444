//! Cross-posting (issue 13) through the real binary against both strict fakes: one `schedule`
//! for a TikTok direct account, a second TikTok account that only takes drafts and a YouTube
//! channel queues a group of three; one run publishes each exactly once (the fakes' bytes hash to
//! the source's); a fault on one target holds only that one; an invalid target queues nothing;
//! `show`, `edit`, `cancel` and `retry` take the group's id.

use serde_json::Value;

use crate::fake_tiktok::FakeUser;
use crate::fake_youtube::{Endpoint, Fault};
use crate::support::{Fake, Media, NOW, TestEnv, media, sha256_file};
use crate::youtube::Yt;

/// Both fakes, and a home connected to three accounts: TikTok `pastachef` (Direct Post),
/// TikTok `second.chef` (drafts only) and the fake's YouTube channel.
pub struct Three {
    pub tt: Fake,
    pub yt: Yt,
    pub env: TestEnv,
}

pub fn three() -> Three {
    three_with(|_| {})
}

/// [`three`] with the fake TikTok's options tweaked.
fn three_with(tweak: impl FnOnce(&mut crate::fake_tiktok::FakeOptions)) -> Three {
    let yt = Yt::start(|_| {});
    let tt = Fake::start(tweak);
    let mut env = yt.env();
    tt.configure(&mut env);
    env.set("POSTEZ_RATE_WINDOW", "100ms");
    let run = env.connect(&tt, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    // The second TikTok account: another user, who grants uploads to the inbox only.
    tt.server.set_user(FakeUser {
        open_id: format!("{}-second", tt.open_id),
        display_name: "Second Chef".into(),
        creator_username: "second.chef".into(),
        creator_nickname: "second.chef".into(),
        ..FakeUser::default()
    });
    tt.server
        .set_granted_scopes(Some(vec!["user.info.basic".into(), "video.upload".into()]));
    let run = env.connect(&tt, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    tt.server.set_granted_scopes(None);
    let run = yt.connect(&env);
    assert_eq!(run.code, 0, "{run:?}");
    let accounts = env.run(&["accounts", "--json"]).json();
    assert_eq!(accounts.as_array().unwrap().len(), 3, "{accounts}");
    Three { tt, yt, env }
}

/// The flags that make every target of [`three`] valid.
pub const GOOD: &[&str] = &[
    "--privacy",
    "tiktok=SELF_ONLY",
    "--privacy",
    "youtube=unlisted",
    "--made-for-kids",
    "no",
    "--title",
    "Pasta in 30 seconds",
    "--caption",
    "Pasta night",
    "--yes",
];

pub fn schedule_group(env: &TestEnv, file: &std::path::Path, at: &str, extra: &[&str]) -> Value {
    let mut args = vec![
        "schedule",
        file.to_str().unwrap(),
        "--at",
        at,
        "--account",
        "all",
        "--json",
    ];
    args.extend(extra);
    let run = env.run(&args);
    assert_eq!(run.code, 0, "{run:?}");
    run.json()
}

pub fn listed(env: &TestEnv) -> Vec<Value> {
    env.run(&["list", "--all", "--json"])
        .json()
        .as_array()
        .unwrap()
        .clone()
}

pub fn at(hours: i64) -> String {
    let now: chrono::DateTime<chrono::Utc> = NOW.parse().unwrap();
    (now + chrono::Duration::hours(hours)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// TikTok's finished publishes and YouTube's live videos of `sha`: (direct, inbox, youtube).
pub fn delivered(three: &Three, sha: &str) -> (usize, usize, usize) {
    let tiktok = three.tt.finished();
    let direct = tiktok
        .iter()
        .filter(|p| p.sha256.as_deref() == Some(sha))
        .filter(|p| p.mode == crate::fake_tiktok::PublishMode::Direct)
        .count();
    let inbox = tiktok
        .iter()
        .filter(|p| p.sha256.as_deref() == Some(sha))
        .filter(|p| p.mode == crate::fake_tiktok::PublishMode::Inbox)
        .count();
    let youtube = three
        .yt
        .server
        .state()
        .videos
        .iter()
        .filter(|v| v.sha256.as_deref() == Some(sha) && v.failure_reason.is_none())
        .count();
    (direct, inbox, youtube)
}

#[test]
fn a_group_of_three_is_published_by_one_run_each_exactly_once() {
    let three = three();
    let env = &three.env;
    let file = media(Media::Mp4);
    let sha = sha256_file(&file);
    let queued = schedule_group(env, &file, "now", GOOD);
    assert_eq!(queued["group"], "g1", "{queued}");
    let posts = queued["posts"].as_array().unwrap();
    assert_eq!(posts.len(), 3, "{queued}");
    let modes: Vec<(&str, &str)> = posts
        .iter()
        .map(|p| (p["platform"].as_str().unwrap(), p["mode"].as_str().unwrap()))
        .collect();
    assert_eq!(
        modes,
        [
            ("tiktok", "direct"),
            ("tiktok", "draft"),
            ("youtube", "direct")
        ],
        "{queued}"
    );
    // Each platform got its own privacy; the shared caption went to all.
    assert_eq!(posts[0]["privacy"], "SELF_ONLY", "{queued}");
    assert_eq!(posts[2]["privacy"], "unlisted", "{queued}");
    for p in posts {
        assert_eq!(p["group"], "g1", "{p}");
        assert!(
            p["caption"].as_str().unwrap().contains("Pasta night"),
            "{p}"
        );
    }

    let run = env.run(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(delivered(&three, &sha), (1, 1, 1));
    // The direct post went to the first account, the draft to the second.
    let finished = three.tt.finished();
    let direct = finished
        .iter()
        .find(|p| p.mode == crate::fake_tiktok::PublishMode::Direct)
        .unwrap();
    assert_eq!(direct.open_id, three.tt.open_id);
    let inbox = finished
        .iter()
        .find(|p| p.mode == crate::fake_tiktok::PublishMode::Inbox)
        .unwrap();
    assert_eq!(inbox.open_id, format!("{}-second", three.tt.open_id));

    let list = listed(env);
    assert_eq!(list.len(), 3, "{list:?}");
    let groups: Vec<&Value> = list.iter().map(|p| &p["group"]).collect();
    assert!(
        groups.iter().all(|g| *g == "g1"),
        "one group of three: {list:?}"
    );
    let states: Vec<&str> = list.iter().map(|p| p["state"].as_str().unwrap()).collect();
    assert_eq!(
        states.iter().filter(|s| **s == "published").count(),
        2,
        "{states:?}"
    );
    assert_eq!(
        states.iter().filter(|s| **s == "sent_to_inbox").count(),
        1,
        "{states:?}"
    );
    // A second run repeats nothing.
    env.run(&["run"]).ok();
    assert_eq!(delivered(&three, &sha), (1, 1, 1));
}

#[test]
fn a_quota_fault_holds_only_the_youtube_target_and_a_later_run_completes_it() {
    let three = three();
    let env = &three.env;
    let file = media(Media::Mp4);
    let sha = sha256_file(&file);
    schedule_group(env, &file, "now", GOOD);
    three.yt.server.inject(Fault::QuotaExceeded);
    let run = env.run(&["run"]);
    assert!(!run.stderr.contains("panicked"), "{run:?}");
    // TikTok's two went out; YouTube's waits for the quota's day to end.
    assert_eq!(delivered(&three, &sha), (1, 1, 0));
    let list = listed(env);
    let youtube = list.iter().find(|p| p["platform"] == "youtube").unwrap();
    assert_eq!(youtube["state"], "scheduled", "{youtube}");
    assert_eq!(youtube["last_error_code"], "quotaExceeded", "{youtube}");
    assert_eq!(youtube["attempts"], 0, "no attempt used: {youtube}");
    // Midnight Pacific after NOW: 22 hours later.
    assert_eq!(youtube["next_attempt_at"], at(22).as_str(), "{youtube}");
    for p in list.iter().filter(|p| p["platform"] == "tiktok") {
        assert!(
            p["state"] == "published" || p["state"] == "sent_to_inbox",
            "{p}"
        );
    }
    // Inside the window nothing is sent; after it, only the held one goes out, once.
    let inserts = three.yt.server.state().count(Endpoint::VideosInsert);
    let mut env = three.env;
    env.set("POSTEZ_NOW", &at(21));
    env.run(&["run"]);
    assert_eq!(
        three.yt.server.state().count(Endpoint::VideosInsert),
        inserts
    );
    env.set("POSTEZ_NOW", &at(23));
    let run = env.run(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    let three = Three { env, ..three };
    assert_eq!(delivered(&three, &sha), (1, 1, 1));
    let list = listed(&three.env);
    let youtube = list.iter().find(|p| p["platform"] == "youtube").unwrap();
    assert_eq!(youtube["state"], "published", "{youtube}");
}

#[test]
fn one_invalid_target_queues_nothing() {
    let three = three();
    let env = &three.env;
    let file = media(Media::Mp4);
    // A queue exists (and is migrated) before the byte-for-byte comparisons.
    env.run(&["list"]).ok();
    let long_caption = "a".repeat(3000);
    let cases: Vec<(&str, Vec<&str>, Vec<&str>)> = vec![
        (
            "a plain privacy one platform does not take",
            vec![
                "--account",
                "all",
                "--privacy",
                "unlisted",
                "--made-for-kids",
                "no",
                "--yes",
            ],
            vec![
                "tiktok:",
                "not a TikTok privacy level",
                "--privacy tiktok=LEVEL --privacy youtube=unlisted",
            ],
        ),
        (
            "YouTube's audience missing",
            vec![
                "--account",
                "all",
                "--privacy",
                "tiktok=SELF_ONLY",
                "--privacy",
                "youtube=public",
                "--yes",
            ],
            vec!["youtube:", "made for kids"],
        ),
        (
            "a caption too long for TikTok only",
            vec![
                "--account",
                "all",
                "--privacy",
                "tiktok=SELF_ONLY",
                "--privacy",
                "youtube=public",
                "--made-for-kids",
                "no",
                "--title",
                "T",
                "--yes",
                "--caption",
                &long_caption,
            ],
            vec!["tiktok:"],
        ),
        (
            "a YouTube flag with no YouTube target",
            vec![
                "--account",
                "tiktok:pastachef",
                "--account",
                "tiktok:Second Chef",
                "--privacy",
                "SELF_ONLY",
                "--title",
                "T",
                "--yes",
            ],
            vec!["--title", "no target is a YouTube account"],
        ),
        (
            "a TikTok flag with no TikTok target",
            // Both name the one channel: one target, scheduled as a single post would be.
            vec![
                "--account",
                "youtube",
                "--account",
                "youtube",
                "--privacy",
                "public",
                "--made-for-kids",
                "no",
                "--allow-duet",
            ],
            vec!["--allow-duet", "TikTok's"],
        ),
        (
            "a platform override for no target",
            vec![
                "--account",
                "tiktok:pastachef",
                "--account",
                "tiktok:Second Chef",
                "--privacy",
                "SELF_ONLY",
                "--privacy",
                "youtube=public",
                "--yes",
            ],
            vec!["youtube=public", "no target is a YouTube account"],
        ),
        (
            "two levels for one platform",
            vec![
                "--account",
                "all",
                "--privacy",
                "tiktok=SELF_ONLY",
                "--privacy",
                "tiktok=public",
                "--made-for-kids",
                "no",
                "--yes",
            ],
            vec!["twice"],
        ),
        (
            "an account that is not connected",
            vec![
                "--account",
                "all",
                "--account",
                "nobody",
                "--privacy",
                "tiktok=SELF_ONLY",
                "--made-for-kids",
                "no",
                "--yes",
            ],
            vec!["nobody"],
        ),
    ];
    let before = env.db_bytes();
    let posts_before = listed(env).len();
    for (name, args, says) in cases {
        let mut full = vec!["schedule", file.to_str().unwrap(), "--at", "now"];
        full.extend(args);
        let run = env.run(&full);
        assert_eq!(run.code, 2, "{name}: {run:?}");
        for word in says {
            assert!(
                run.stderr.contains(word),
                "{name}: wants {word:?}: {}",
                run.stderr
            );
        }
        assert_eq!(env.db_bytes(), before, "{name}: the database is unchanged");
    }
    assert_eq!(listed(env).len(), posts_before);
    assert!(three.tt.finished().is_empty());
}

#[test]
fn the_video_is_checked_once_against_every_targets_rules() {
    let three = three();
    let env = &three.env;
    // 11 minutes: past TikTok's 10-minute limit, so that target is named and nothing queued.
    let long = media(Media::Long);
    let mut args = vec![
        "schedule",
        long.to_str().unwrap(),
        "--at",
        "now",
        "--account",
        "all",
    ];
    args.extend(GOOD);
    let run = env.run(&args);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("tiktok:pastachef"), "{}", run.stderr);
    assert!(listed(env).is_empty());
    // 4 minutes, vertical: fine for TikTok; YouTube makes it a regular video, not a Short.
    let four = media(Media::FourMinutes);
    let mut args = vec![
        "schedule",
        four.to_str().unwrap(),
        "--at",
        "now",
        "--account",
        "all",
    ];
    args.extend(GOOD);
    let run = env.run(&args);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("a regular video, not a Short"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("Scheduled group g1"), "{}", run.stdout);
    assert_eq!(listed(env).len(), 3);
    // One account alone: today's post exactly, in no group.
    let one = env.run(&[
        "schedule",
        four.to_str().unwrap(),
        "--at",
        "tomorrow 10:00",
        "--account",
        "youtube",
        "--privacy",
        "unlisted",
        "--made-for-kids",
        "no",
        "--title",
        "Long",
        "--json",
    ]);
    assert_eq!(one.code, 0, "{one:?}");
    assert_eq!(one.json()["group"], Value::Null);
}

#[test]
fn show_edit_cancel_and_retry_take_a_group_id() {
    let three = three();
    let env = &three.env;
    let file = media(Media::Mp4);
    schedule_group(env, &file, "tomorrow 18:00", GOOD);
    // A group id is never a post id, and a wrong one is refused without a change.
    let before = env.db_bytes();
    for bad in ["g", "g0", "gx", "7g", "g-1"] {
        let run = env.run(&["show", bad]);
        assert_eq!(run.code, 2, "{bad}: {run:?}");
    }
    let run = env.run(&["cancel", "g9"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("no group g9"), "{}", run.stderr);
    assert_eq!(env.db_bytes(), before);

    // show: every target.
    let shown = env.run(&["show", "g1", "--json"]).json();
    let posts = shown["posts"].as_array().unwrap();
    assert_eq!(shown["group"], "g1");
    assert_eq!(posts.len(), 3, "{shown}");
    assert!(
        posts
            .iter()
            .all(|p| p["events"].as_array().is_some_and(|e| !e.is_empty()))
    );
    let text = env.run(&["show", "g1"]).ok().to_string();
    assert!(text.starts_with("Group g1: tiktok · scheduled"), "{text}");
    assert_eq!(text.matches("(group g1)").count(), 3, "{text}");

    // edit: a shared field goes to all; a YouTube-only one to YouTube's post only.
    let edited = env
        .run(&[
            "edit",
            "g1",
            "--at",
            "tomorrow 19:00",
            "--title",
            "Faster pasta",
            "--json",
        ])
        .json();
    let posts = edited["posts"].as_array().unwrap();
    assert_eq!(posts.len(), 3, "{edited}");
    for p in posts {
        assert_eq!(p["scheduled_at"], "2026-11-26T19:00:00Z", "{p}");
    }
    assert_eq!(posts[2]["title"], "Faster pasta", "{edited}");
    // A TikTok-only flag changes only TikTok's direct post; the draft cannot take it, so the
    // whole edit fails, naming that target, and nothing changes.
    let before = env.db_bytes();
    let run = env.run(&["edit", "g1", "--allow-duet", "--yes"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("post 2 (tiktok"), "{}", run.stderr);
    assert_eq!(env.db_bytes(), before, "all or nothing");
    // A flag of a platform the group lacks is refused; so is moving a group to one account.
    let run = env.run(&["edit", "g1", "--account", "pastachef"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(env.db_bytes(), before);

    // One target published: cancel leaves it and cancels the others, reporting each.
    env.sql("UPDATE posts SET state = 'published', post_id = 'v1' WHERE id = 1");
    let run = env.run(&["cancel", "g1"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("Left post 1 as it is"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("Cancelled post 2"), "{}", run.stdout);
    assert!(run.stdout.contains("Cancelled post 3"), "{}", run.stdout);
    let states: Vec<String> = listed(env)
        .iter()
        .map(|p| p["state"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(states, ["published", "cancelled", "cancelled"]);
    // retry: the cancelled ones come back, the published one stays.
    let retried = env.run(&["retry", "g1", "--json"]).json();
    let results = retried["results"].as_array().unwrap();
    assert_eq!(results.len(), 3, "{retried}");
    assert_eq!(results[0]["done"], false, "{retried}");
    assert_eq!(results[1]["done"], true, "{retried}");
    assert_eq!(results[2]["done"], true, "{retried}");
    let states: Vec<String> = listed(env)
        .iter()
        .map(|p| p["state"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(states, ["published", "scheduled", "scheduled"]);
    // A single post of the group still works by its own id.
    let one = env.run(&["show", "3", "--json"]).json();
    assert_eq!(one["group"], "g1");
    assert_eq!(one["id"], 3);
    // Nothing of it was ever sent.
    assert!(three.tt.finished().is_empty());
}

#[test]
fn list_shows_a_group_as_one_line_and_expands_it() {
    let three = three();
    let env = &three.env;
    let file = media(Media::Mp4);
    schedule_group(env, &file, "now", GOOD);
    three.yt.server.inject(Fault::QuotaExceeded);
    env.run(&["run"]);
    let Some((code, screen)) = env.run_in_pty(&["list", "--all"], "") else {
        return;
    };
    assert_eq!(code, Some(0), "{screen}");
    let line = screen
        .lines()
        .find(|l| l.starts_with("g1"))
        .unwrap_or_else(|| panic!("no group line: {screen}"));
    assert!(
        line.contains("tiktok ✓ published  tiktok ✓ sent_to_inbox  youtube ‖ held"),
        "{line}"
    );
    assert!(
        !screen.lines().any(|l| l.trim_start().starts_with("1 ")),
        "{screen}"
    );
    let Some((_, screen)) = env.run_in_pty(&["list", "--all", "--expand"], "") else {
        return;
    };
    for id in ["1", "2", "3"] {
        assert!(
            screen.lines().any(|l| l.starts_with(&format!("  {id} "))),
            "post {id} under the group: {screen}"
        );
    }
}

/// On a terminal, a cross-post asks only what each target still needs: YouTube's privacy and
/// audience, TikTok's privacy for the direct account (not for the drafts-only one), and shows
/// TikTok's consent text once for one confirmation.
#[test]
fn on_a_terminal_each_target_is_asked_only_what_it_needs() {
    use crate::direct_post::Terminal;
    const MUSIC: &str = "By posting, you agree to TikTok's Music Usage Confirmation.";
    let three = three();
    let env = &three.env;
    let file = media(Media::Mp4);
    let Some(mut term) = Terminal::start(
        env,
        &format!(
            "schedule {} --at 'in 2h' --account all --title Pasta --caption 'Pasta night'",
            file.display()
        ),
    ) else {
        return;
    };
    // Each mark is taken before the keys: the next prompt may be on the screen at once.
    term.wait_for("Who can see it on youtube:", 0);
    let mark = term.screen().len();
    term.keys("unlisted\r");
    term.wait_for("is it made for kids", mark);
    let mark = term.screen().len();
    term.keys("n");
    term.wait_for("Only me (SELF_ONLY)", mark);
    // One key at a time: the prompt reads an escape sequence as one key only when it arrives
    // alone.
    for _ in 0..5 {
        let screen = term.screen();
        let cursor = screen.rfind("> ").map(|i| &screen[i..]);
        if cursor.is_some_and(|c| c.starts_with("> Only me (SELF_ONLY)")) {
            break;
        }
        term.keys("\x1b[B");
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    term.wait_for("> Only me (SELF_ONLY)", mark);
    let mark = term.screen().len();
    term.keys("\r");
    term.wait_for("Agree and queue the posts?", mark);
    term.keys("y");
    let status = term.child.wait().unwrap();
    let screen = term.screen().replace('\r', "");
    assert!(status.success(), "{screen}");
    assert_eq!(screen.matches(MUSIC).count(), 1, "consent once: {screen}");
    assert_eq!(
        screen.matches("For tiktok:").count(),
        1,
        "only the direct TikTok account is asked: {screen}"
    );
    assert!(screen.contains("For tiktok:pastachef:"), "{screen}");
    let shown = env.run(&["show", "g1", "--json"]).json();
    let posts = shown["posts"].as_array().unwrap();
    assert_eq!(posts.len(), 3, "{shown}");
    assert_eq!(posts[0]["privacy"], "SELF_ONLY", "{shown}");
    assert_eq!(posts[1]["mode"], "draft", "{shown}");
    assert_eq!(posts[2]["privacy"], "unlisted", "{shown}");
    assert_eq!(posts[2]["made_for_kids"], false, "{shown}");
}

/// `--jobs` bounds one platform's accounts; platforms go side by side. With one job and a slow
/// TikTok, the YouTube target publishes while TikTok's two accounts are still being worked
/// through one after the other (before, YouTube's account waited for both).
#[test]
fn platforms_publish_side_by_side_whatever_jobs_says() {
    let three = three_with(|o| o.latency = std::time::Duration::from_millis(300));
    let env = &three.env;
    let file = media(Media::Mp4);
    let sha = sha256_file(&file);
    schedule_group(env, &file, "now", GOOD);
    let mut run = env
        .command(&["run", "--jobs", "1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut seen_ahead = false;
    loop {
        let list = listed(env);
        let youtube_done = list
            .iter()
            .any(|p| p["platform"] == "youtube" && p["state"] == "published");
        let tiktok_pending = list.iter().any(|p| {
            p["platform"] == "tiktok" && (p["state"] == "scheduled" || p["state"] == "publishing")
        });
        if youtube_done && tiktok_pending {
            seen_ahead = true;
        }
        if !tiktok_pending || std::time::Instant::now() > deadline {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let status = run.wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert!(
        seen_ahead,
        "YouTube's target published while TikTok's were still in the queue"
    );
    assert_eq!(delivered(&three, &sha), (1, 1, 1));
}

/// `--draft` applies to every TikTok target; YouTube's level may come with it, TikTok's not.
#[test]
fn draft_applies_to_the_tiktok_targets_and_takes_only_another_platforms_privacy() {
    let three = three();
    let env = &three.env;
    let file = media(Media::Mp4);
    env.run(&["list"]).ok();
    let before = env.db_bytes();
    for privacy in ["SELF_ONLY", "tiktok=SELF_ONLY"] {
        let run = env.run(&[
            "schedule",
            file.to_str().unwrap(),
            "--at",
            "now",
            "--account",
            "all",
            "--draft",
            "--privacy",
            privacy,
            "--made-for-kids",
            "no",
            "--title",
            "T",
        ]);
        assert_eq!(run.code, 2, "{privacy}: {run:?}");
        assert!(run.stderr.contains("cannot be used with"), "{}", run.stderr);
        assert_eq!(env.db_bytes(), before);
    }
    let queued = schedule_group(
        env,
        &file,
        "now",
        &[
            "--draft",
            "--privacy",
            "youtube=private",
            "--made-for-kids",
            "no",
            "--title",
            "T",
        ],
    );
    let posts = queued["posts"].as_array().unwrap();
    let got: Vec<(&str, &str, &Value)> = posts
        .iter()
        .map(|p| {
            (
                p["platform"].as_str().unwrap(),
                p["mode"].as_str().unwrap(),
                &p["privacy"],
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("tiktok", "draft", &Value::Null),
            ("tiktok", "draft", &Value::Null),
            ("youtube", "direct", &Value::from("private")),
        ],
        "{queued}"
    );
}
