//! `postez schedule` with real MP4, MOV and WebM files.

use crate::support::{Media, TestEnv, media};

#[test]
fn schedules_mp4_mov_and_webm_with_the_json_contract() {
    let env = TestEnv::new();
    for (kind, container, codec) in [
        (Media::Mp4, "mp4", "H.264"),
        (Media::Mov, "mov", "H.264"),
        (Media::Webm, "webm", "VP9"),
    ] {
        let post = env.schedule(&media(kind), "2026-12-01 18:00", &["--tz", "Europe/Berlin"]);
        assert_eq!(post["state"], "scheduled");
        assert_eq!(post["platform"], "tiktok");
        assert_eq!(post["mode"], "direct");
        assert_eq!(post["privacy"], "SELF_ONLY");
        assert_eq!(post["scheduled_at"], "2026-12-01T17:00:00Z");
        assert_eq!(post["timezone"], "Europe/Berlin");
        assert_eq!(post["attempts"], 0);
        assert_eq!(post["media"]["container"], container);
        assert_eq!(post["media"]["codec"], codec);
        for key in [
            "id",
            "account",
            "file",
            "caption",
            "last_error",
            "publish_id",
            "post_id",
        ] {
            assert!(post.get(key).is_some(), "missing {key} in {post}");
        }
        assert!(
            post["file"].as_str().unwrap().starts_with('/'),
            "absolute path: {post}"
        );
    }
    let list = env.run(&["list", "--json"]).json();
    assert_eq!(list.as_array().unwrap().len(), 3);
}

#[test]
fn echoes_the_resolved_time_with_zone_and_distance() {
    let env = TestEnv::new();
    let file = media(Media::Mp4);
    let run = env.run(&[
        "schedule",
        file.to_str().unwrap(),
        "--at",
        "2026-12-04 18:00",
        "--tz",
        "Europe/Berlin",
        "--privacy",
        "SELF_ONLY",
        "--yes",
    ]);
    let out = run.ok();
    assert!(out.contains("Scheduled post 1: tiny.mp4 → tiktok"), "{out}");
    // NOW is Wed 2026-11-25 10:00 UTC = 11:00 CET; Fri 18:00 CET is 9 days 7 hours later.
    assert!(out.contains("Fri 2026-12-04 18:00 CET, in 9d 7h"), "{out}");
    assert!(
        run.stderr.contains("Music Usage Confirmation"),
        "{}",
        run.stderr
    );
}

#[test]
fn phrases_and_relative_times_resolve_against_now() {
    let env = TestEnv::new();
    let file = media(Media::Mp4);
    let cases = [
        ("now", "2026-11-25T10:00:00Z"),
        ("in 2h", "2026-11-25T12:00:00Z"),
        ("+90m", "2026-11-25T11:30:00Z"),
        ("2h30m", "2026-11-25T12:30:00Z"),
        ("18:00", "2026-11-25T18:00:00Z"),
        ("tomorrow 9am", "2026-11-26T09:00:00Z"),
        ("next friday 18:00", "2026-11-27T18:00:00Z"),
        ("2026-12-01T18:00:00+01:00", "2026-12-01T17:00:00Z"),
    ];
    for (at, expected) in cases {
        let post = env.schedule(&file, at, &[]);
        assert_eq!(post["scheduled_at"], expected, "--at {at}");
        // TZ=UTC: the system zone, whichever name the system gives it.
        assert!(
            ["UTC", "Etc/UTC"].contains(&post["timezone"].as_str().unwrap()),
            "{post}"
        );
    }
}

#[test]
fn drafts_need_no_privacy_or_consent() {
    let env = TestEnv::new();
    let post = env.schedule(
        &media(Media::Mp4),
        "in 1h",
        &["--draft", "--caption", "draft"],
    );
    assert_eq!(post["mode"], "draft");
    assert_eq!(post["privacy"], serde_json::Value::Null);
}

#[test]
fn caption_file_hashtags_and_options_are_stored() {
    let env = TestEnv::new();
    let caption = env.path("caption.txt");
    std::fs::write(&caption, "Pasta night 🍝\nwith #Food\n").unwrap();
    let post = env.schedule(
        &media(Media::Mp4),
        "in 1h",
        &[
            "--caption-file",
            caption.to_str().unwrap(),
            "--hashtag",
            "food",
            "--hashtag",
            "##dinner",
            "--privacy",
            "PUBLIC_TO_EVERYONE",
            "--allow-comments",
            "--allow-duet",
            "--cover-at",
            "500",
            "--branded-content",
            "--ai-generated",
            "--yes",
        ],
    );
    assert_eq!(post["caption"], "Pasta night 🍝\nwith #Food #dinner");
    assert_eq!(post["privacy"], "PUBLIC_TO_EVERYONE");
    assert_eq!(post["allow_comments"], true);
    assert_eq!(post["allow_duet"], true);
    assert_eq!(post["allow_stitch"], false);
    assert_eq!(post["cover_at_ms"], 500);
    assert_eq!(post["branded_content"], true);
    assert_eq!(post["brand_organic"], false);
    assert_eq!(post["ai_generated"], true);
}

#[test]
fn a_caption_of_exactly_2200_utf16_units_is_accepted() {
    let env = TestEnv::new();
    let caption = "😀".repeat(1100);
    let post = env.schedule(&media(Media::Mp4), "in 1h", &["--caption", &caption]);
    assert_eq!(post["caption"], caption);
}

#[test]
fn copy_keeps_a_private_copy() {
    let env = TestEnv::new();
    let original = env.path("mine.mp4");
    std::fs::copy(media(Media::Mp4), &original).unwrap();
    let post = env.schedule(&original, "in 1h", &["--copy"]);
    let copy = std::path::PathBuf::from(post["file"].as_str().unwrap());
    assert!(copy.starts_with(env.home().join("media")), "{copy:?}");
    assert_eq!(post["copied"], true);
    std::fs::remove_file(&original).unwrap();
    assert!(copy.exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}

#[test]
fn files_and_folders_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    env.schedule(&media(Media::Mp4), "in 1h", &[]);
    env.run(&["config", "set", "timezone", "Europe/Berlin"])
        .ok();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&env.home()), 0o700);
    assert_eq!(mode(&env.db()), 0o600);
    assert_eq!(mode(&env.home().join("config.toml")), 0o600);
}

#[test]
fn xdg_folders_are_used_without_postez_home() {
    let mut env = TestEnv::new();
    env.unset("POSTEZ_HOME");
    let xdg = env.path("xdg");
    env.set("XDG_DATA_HOME", xdg.join("data").to_str().unwrap());
    env.set("XDG_CONFIG_HOME", xdg.join("config").to_str().unwrap());
    env.set("XDG_STATE_HOME", xdg.join("state").to_str().unwrap());
    env.schedule(&media(Media::Mp4), "in 1h", &[]);
    assert!(xdg.join("data/postez/postez.db").exists());
    let path = env.run(&["config", "path"]);
    assert_eq!(
        path.ok().trim(),
        xdg.join("config/postez/config.toml").to_str().unwrap()
    );
}

/// A brand-new setup: no run could have happened yet and no account is connected. Both are said
/// as they are (issue 10), not as "no run happened in the last 10 minutes".
#[test]
fn a_first_schedule_says_no_runner_is_set_up_and_no_account_is_connected() {
    let env = TestEnv::new();
    let file = media(Media::Mp4);
    let run = env.run(&[
        "schedule",
        file.to_str().unwrap(),
        "--at",
        "in 1h",
        "--draft",
    ]);
    run.ok();
    assert!(
        run.stderr.contains(
            "warning: no runner is set up yet: posts go out only when `postez run` runs; \
             `postez cron install` sets one up"
        ),
        "{run:?}"
    );
    assert!(!run.stderr.contains("last 10 minutes"), "{run:?}");
    assert!(
        run.stderr.contains(
            "warning: no TikTok account is connected: this post waits until one is \
             (`postez connect tiktok`)"
        ),
        "{run:?}"
    );
    // Once a runner has run (long ago), the warning is about it not running lately.
    let mut store = postez::store::Store::open(&env.db()).unwrap();
    let started = "2026-11-25T08:00:00Z"
        .parse::<chrono::DateTime<chrono::Utc>>()
        .unwrap();
    let id = store.run_started(started).unwrap();
    store.run_finished(id, started, 0, 0, 0, 0, 0).unwrap();
    drop(store);
    let run = env.run(&[
        "schedule",
        file.to_str().unwrap(),
        "--at",
        "in 2h",
        "--draft",
        "--allow-duplicate",
    ]);
    run.ok();
    assert!(
        run.stderr
            .contains("no `postez run` happened in the last 10 minutes"),
        "{run:?}"
    );
    assert!(!run.stderr.contains("no runner is set up yet"), "{run:?}");
}

/// TikTok treats a repeated video as spam: the same video (same fingerprint, whatever its name)
/// to the same account within 24 hours of another post of it needs `--allow-duplicate` without
/// a terminal (exit 2, queue unchanged); a day apart it is fine (issue 10).
#[test]
fn the_same_video_within_24_hours_needs_allow_duplicate() {
    let env = TestEnv::new();
    let mp4 = media(Media::Mp4);
    let copy = env.path("again.mp4");
    std::fs::copy(&mp4, &copy).unwrap();
    let (mp4, copy) = (mp4.to_str().unwrap(), copy.to_str().unwrap());
    let sched = |file: &str, at: &str, extra: &[&str]| {
        let mut args = vec!["schedule", file, "--at", at, "--draft"];
        args.extend(extra);
        env.run(&args)
    };
    sched(mp4, "2026-11-26 10:00", &[]).ok();
    let before = env.db_bytes();
    let run = sched(copy, "2026-11-26 20:00", &[]);
    let err = run.fails(2);
    assert!(
        err.starts_with(
            "error: post 1 already has this video for the same account at Thu 2026-11-26 10:00 \
             UTC"
        ),
        "{err}"
    );
    assert!(
        err.contains("TikTok treats a video posted again within 24 hours as spam"),
        "{err}"
    );
    assert!(
        err.contains("hint: add --allow-duplicate to queue it anyway"),
        "{err}"
    );
    assert_eq!(env.db_bytes(), before, "the queue changed");
    // A day apart is no repeat; with the flag a repeat is queued.
    sched(copy, "2026-11-27 11:00", &[]).ok();
    sched(copy, "2026-11-26 20:00", &["--allow-duplicate"]).ok();
    // A cancelled post does not count.
    env.run(&["cancel", "1"]).ok();
    env.run(&["cancel", "3"]).ok();
    sched(mp4, "2026-11-26 09:00", &[]).ok();
}

/// `import` applies the same rule to its rows, against the queue and against earlier rows.
#[test]
fn import_rows_repeating_a_video_within_24_hours_need_allow_duplicate() {
    let env = TestEnv::new();
    let dir = env.path("batch");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(media(Media::Mp4), dir.join("a.mp4")).unwrap();
    let csv = dir.join("posts.csv");
    std::fs::write(
        &csv,
        "file,at,draft\na.mp4,2026-11-26 10:00,true\na.mp4,2026-11-26 18:00,true\n",
    )
    .unwrap();
    let csv = csv.to_str().unwrap();
    let run = env.run(&["import", csv]);
    let err = run.fails(2);
    assert!(err.contains("row 2 repeats row 1"), "{err}");
    assert!(err.contains("hint: add --allow-duplicate"), "{err}");
    assert!(
        env.run(&["list", "--json"])
            .json()
            .as_array()
            .unwrap()
            .is_empty()
    );
    env.run(&["import", csv, "--allow-duplicate"]).ok();
    assert_eq!(
        env.run(&["list", "--json"])
            .json()
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

/// On a terminal the repeat is a question (util-linux `script` gives postez a real one): "n"
/// leaves the queue as it was, "y" queues the post.
#[test]
fn the_same_video_on_a_terminal_is_asked_about() {
    let env = TestEnv::new();
    let mp4 = media(Media::Mp4);
    env.schedule(&mp4, "in 1h", &["--draft"]);
    let args = [
        "schedule",
        mp4.to_str().unwrap(),
        "--at",
        "in 2h",
        "--draft",
    ];
    let Some((code, transcript)) = env.run_in_pty(&args, "n") else {
        return;
    };
    assert!(transcript.contains("Queue it anyway?"), "{transcript}");
    assert_eq!(code, Some(2), "{transcript}");
    assert_eq!(
        env.run(&["list", "--json"])
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let (code, transcript) = env.run_in_pty(&args, "y").unwrap();
    assert_eq!(code, Some(0), "{transcript}");
    assert!(transcript.contains("Scheduled post 2"), "{transcript}");
}
