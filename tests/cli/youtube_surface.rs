//! YouTube across the rest of the CLI (issue 12, "Everything else covers YouTube too"), through
//! the real binary and the strict fake YouTube: `--tag` reaching `snippet.tags`, `edit` of
//! YouTube's fields, `import` with `platform`/`account` and YouTube columns, export → import,
//! the video's address in `list`/`show`/`history`, the daily upload warning and `doctor`'s
//! quota line.

use crate::fake_youtube::Fault;
use crate::support::{Media, Run, TestEnv, media};
use crate::youtube::Yt;

/// `schedule FILE --at AT --account youtube --json` with `extra`.
fn schedule(env: &TestEnv, file: &std::path::Path, at: &str, extra: &[&str]) -> Run {
    let mut args = vec![
        "schedule",
        file.to_str().unwrap(),
        "--at",
        at,
        "--account",
        "youtube",
        "--json",
    ];
    args.extend(extra);
    env.run(&args)
}

/// The required choices and a title.
const OK: [&str; 6] = [
    "--privacy",
    "public",
    "--made-for-kids",
    "no",
    "--title",
    "Pasta",
];

fn shown(env: &TestEnv, id: i64) -> serde_json::Value {
    env.run(&["show", &id.to_string(), "--json"]).json()
}

/// The init metadata YouTube received for the video with `title`.
fn sent(yt: &Yt, title: &str) -> crate::fake_youtube::SessionInfo {
    yt.server
        .state()
        .sessions
        .into_iter()
        .find(|s| s.metadata["snippet"]["title"] == title)
        .unwrap_or_else(|| panic!("no upload titled {title:?}"))
}

#[test]
fn tags_reach_youtube_and_published_posts_show_their_address() {
    let yt = Yt::start(|_| {});
    let env = yt.connected();
    let short = media(Media::Mp4);
    let mut extra = OK.to_vec();
    extra.extend([
        "--tag",
        "pasta",
        "--tag",
        "quick dinner",
        "--hashtag",
        "food",
        "--caption",
        "Dinner",
    ]);
    let post = schedule(&env, &short, "now", &extra).json();
    assert_eq!(post["tags"], serde_json::json!(["pasta", "quick dinner"]));
    // Hashtags stay in the description, as YouTube shows them above the title.
    assert_eq!(post["caption"], "Dinner #food");
    assert!(
        post.get("url").is_none(),
        "no address before it is published"
    );
    let mut extra = OK.to_vec();
    extra[5] = "Landscape";
    schedule(&env, &media(Media::Mid), "now", &extra).ok();
    env.run(&["run"]).ok();

    let init = sent(&yt, "Pasta");
    assert_eq!(
        init.metadata["snippet"]["tags"],
        serde_json::json!(["pasta", "quick dinner"])
    );
    assert_eq!(init.metadata["snippet"]["description"], "Dinner #food");
    assert!(
        sent(&yt, "Landscape").metadata["snippet"]
            .get("tags")
            .is_none(),
        "no tags, no field"
    );

    // The address: /shorts/ for the vertical 2 s video, watch?v= for the landscape one.
    let one = shown(&env, 1);
    let id = one["post_id"].as_str().expect("published");
    let short_url = format!("https://www.youtube.com/shorts/{id}");
    assert_eq!(one["url"], short_url.as_str(), "{one}");
    let two = shown(&env, 2);
    let long_url = format!(
        "https://www.youtube.com/watch?v={}",
        two["post_id"].as_str().unwrap()
    );
    assert_eq!(two["url"], long_url.as_str(), "{two}");
    assert!(
        env.run(&["show", "1"])
            .ok()
            .contains(&format!("url          {short_url}"))
    );
    let listed = env.run(&["list", "--all", "--json"]).json();
    assert_eq!(listed[0]["url"], short_url.as_str(), "{listed}");
    assert_eq!(listed[1]["url"], long_url.as_str(), "{listed}");
    let list = env.run(&["list", "--all"]);
    assert!(
        list.stderr.contains(&format!("post 1 is at {short_url}")),
        "{list:?}"
    );
    assert!(
        list.stdout.lines().all(|l| l.split('\t').count() == 9),
        "the tab-separated columns stay as they were: {list:?}"
    );
    let history = env.run(&["history", "1"]);
    let published = history
        .ok()
        .lines()
        .find(|l| l.contains("published"))
        .unwrap_or_else(|| panic!("{history:?}"));
    assert!(published.ends_with(&short_url), "{published}");
    let events = env.run(&["history", "2", "--json"]).json();
    let event = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "published")
        .expect("a published event");
    assert_eq!(event["url"], long_url.as_str(), "{events}");
    assert!(
        events
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] != "published")
            .all(|e| e.get("url").is_none())
    );
}

#[test]
fn tiktok_posts_take_no_tag_and_show_no_address() {
    let env = TestEnv::new();
    let run = env.run(&[
        "schedule",
        media(Media::Mp4).to_str().unwrap(),
        "--at",
        "in 1h",
        "--privacy",
        "SELF_ONLY",
        "--yes",
        "--tag",
        "food",
    ]);
    let err = run.fails(2);
    assert!(err.contains("--tag are YouTube's"), "{run:?}");
    assert!(err.contains("use --hashtag"), "{run:?}");
    assert!(!env.db().exists(), "{run:?}");
    let post = env.schedule(&media(Media::Mp4), "in 1h", &[]);
    assert!(
        post.get("url").is_none() && post.get("tags").is_none(),
        "{post}"
    );
}

#[test]
fn edit_changes_youtube_fields_by_the_same_rules() {
    let yt = Yt::start(|_| {});
    let env = yt.connected();
    let file = media(Media::Mp4);
    schedule(&env, &file, "in 1h", &OK).ok();
    env.schedule(&file, "in 3h", &[]);
    let before = env.db_bytes();
    let long_caption = "é".repeat(2501);
    let many_tags: Vec<String> = (0..60).map(|i| format!("tag{i:05}")).collect();
    let mut too_many = vec!["edit", "1"];
    for t in &many_tags {
        too_many.extend(["--tag", t.as_str()]);
    }
    let title_101 = "x".repeat(101);
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["edit", "1", "--title", &title_101], "101 characters"),
        (vec!["edit", "1", "--title", "a > b"], "< or >"),
        (vec!["edit", "1", "--title", " "], "needs a title"),
        (vec!["edit", "1", "--category", "music"], "category"),
        (vec!["edit", "1", "--tag", "<b>"], "tag contains < or >"),
        (vec!["edit", "1", "--tag", " "], "tag is empty"),
        (too_many, "YouTube allows 500"),
        (vec!["edit", "1", "--caption", &long_caption], "5002 bytes"),
        (vec!["edit", "1", "--caption", "<script>"], "< or >"),
        (
            vec!["edit", "1", "--privacy", "friends"],
            "not a YouTube privacy",
        ),
        (vec!["edit", "1", "--made-for-kids", "maybe"], "maybe"),
        (vec!["edit", "1", "--at", "yesterday 10:00"], "past"),
    ];
    for (args, says) in &cases {
        let run = env.run(args);
        assert!(run.fails(2).contains(says), "{args:?}: {run:?}");
        assert_eq!(env.db_bytes(), before, "{args:?} changed the queue");
    }
    // YouTube's flags on a TikTok post are refused, naming TikTok's own way.
    let run = env.run(&["edit", "2", "--title", "t", "--tag", "x"]);
    let err = run.fails(2);
    assert!(err.contains("post 2 is a TikTok post"), "{run:?}");
    assert!(err.contains("--hashtag"), "{run:?}");
    assert_eq!(env.db_bytes(), before);

    let run = env.run(&[
        "edit",
        "1",
        "--title",
        "Pasta, faster",
        "--privacy",
        "unlisted",
        "--made-for-kids",
        "yes",
        "--ai-generated",
        "--category",
        "26",
        "--no-notify",
        "--tag",
        "pasta",
        "--tag",
        "quick dinner",
        "--caption",
        "New words",
        "--json",
    ]);
    let post = run.json();
    assert_eq!(post["title"], "Pasta, faster");
    assert_eq!(post["privacy"], "unlisted");
    assert_eq!(post["made_for_kids"], true);
    assert_eq!(post["ai_generated"], true);
    assert_eq!(post["category"], "26");
    assert_eq!(post["notify"], false);
    assert_eq!(post["tags"], serde_json::json!(["pasta", "quick dinner"]));
    assert_eq!(post["caption"], "New words");
    // --no-tags clears them; --notify turns notifications back on; the rest stays.
    let post = env
        .run(&["edit", "1", "--no-tags", "--notify", "--json"])
        .json();
    assert_eq!(post["tags"], serde_json::json!([]));
    assert_eq!(post["notify"], true);
    assert_eq!(post["title"], "Pasta, faster");
    let post = env
        .run(&[
            "edit",
            "1",
            "--tag",
            "pasta",
            "--no-notify",
            "--at",
            "now",
            "--json",
        ])
        .json();
    assert_eq!(post["tags"], serde_json::json!(["pasta"]));

    // What YouTube receives is the edited post.
    env.run(&["run"]).ok();
    let init = sent(&yt, "Pasta, faster");
    assert_eq!(
        init.metadata["snippet"]["tags"],
        serde_json::json!(["pasta"])
    );
    assert_eq!(init.metadata["snippet"]["categoryId"], "26");
    assert_eq!(init.metadata["snippet"]["description"], "New words");
    assert_eq!(init.metadata["status"]["privacyStatus"], "unlisted");
    assert_eq!(init.metadata["status"]["selfDeclaredMadeForKids"], true);
    assert_eq!(init.metadata["status"]["containsSyntheticMedia"], true);
    assert!(!init.notify_subscribers);
    // A published post is not edited.
    let run = env.run(&["edit", "1", "--title", "Too late"]);
    assert!(run.fails(2).contains("published"), "{run:?}");
}

/// A day (Pacific time) with more YouTube uploads queued than the project's allowance warns,
/// and the post is queued all the same; another day does not warn.
#[test]
fn a_day_past_the_upload_allowance_warns_but_queues() {
    let yt = Yt::start(|_| {});
    let env = yt.connected();
    let file = media(Media::Mp4);
    let run = env.run(&["config", "set", "youtube_daily_uploads", "0"]);
    assert!(run.fails(2).contains("at least 1"), "{run:?}");
    env.run(&["config", "set", "youtube_daily_uploads", "2"])
        .ok();
    // Friday 4 December 2026 in Los Angeles runs from 08:00 UTC to 08:00 UTC the next day.
    for at in ["2026-12-04T09:00:00Z", "2026-12-05T07:30:00Z"] {
        let run = schedule(&env, &file, at, &OK);
        run.ok();
        assert!(!run.stderr.contains("uploads are queued"), "{run:?}");
    }
    // Saturday in Los Angeles: its own allowance.
    let run = schedule(&env, &file, "2026-12-05T08:30:00Z", &OK);
    run.ok();
    assert!(!run.stderr.contains("uploads are queued"), "{run:?}");
    let run = schedule(&env, &file, "2026-12-04T20:00:00Z", &OK);
    assert_eq!(run.json()["id"], 4, "queued all the same");
    assert!(
        run.stderr.contains(
            "3 YouTube uploads are queued for Friday 4 December 2026, Pacific time, and your Google project may make 2 a day (youtube_daily_uploads): the 1 past the allowance will wait for the next day"
        ),
        "{run:?}"
    );
    // A cancelled post no longer counts.
    env.run(&["cancel", "4"]).ok();
    let run = schedule(&env, &file, "2026-12-04T21:00:00Z", &OK);
    assert!(run.stderr.contains("3 YouTube uploads"), "{run:?}");
    env.run(&["cancel", "5"]).ok();
    env.run(&["cancel", "2"]).ok();
    let run = schedule(&env, &file, "2026-12-04T22:00:00Z", &OK);
    assert!(!run.stderr.contains("uploads are queued"), "{run:?}");

    // import counts its rows too.
    let csv = env.path("batch.csv");
    std::fs::copy(&file, env.path("clip.mp4")).unwrap();
    std::fs::write(
        &csv,
        "file,at,platform,title,privacy,made_for_kids\n\
         clip.mp4,2026-12-04T23:00:00Z,youtube,One,public,no\n\
         clip.mp4,2026-12-05T01:00:00Z,youtube,Two,public,no\n",
    )
    .unwrap();
    let run = env.run(&["import", csv.to_str().unwrap(), "--allow-duplicate"]);
    run.ok();
    assert!(
        run.stderr
            .contains("4 YouTube uploads are queued for Friday 4 December 2026"),
        "{run:?}"
    );
}

/// doctor names the client in use, today's queued uploads against the allowance, and a hold.
#[test]
fn doctor_shows_youtube_client_quota_and_holds() {
    let yt = Yt::start(|_| {});
    let env = yt.connected();
    let file = media(Media::Mp4);
    schedule(&env, &file, "now", &OK).ok();
    schedule(&env, &file, "in 2h", &OK).ok();
    let quota = |env: &TestEnv| {
        // The runner never ran here, so doctor exits 1; its JSON is still complete.
        let run = env.run(&["doctor", "--json"]);
        let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        json["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "YouTube quota")
            .cloned()
            .unwrap_or_else(|| panic!("{json}"))
    };
    let check = quota(&env);
    let client = env
        .env
        .iter()
        .find(|(k, _)| k == "POSTEZ_YOUTUBE_CLIENT_ID")
        .map(|(_, v)| v.clone())
        .unwrap();
    let message = check["message"].as_str().unwrap();
    assert_eq!(check["status"], "ok", "{check}");
    assert!(
        message.contains(&format!("client {client} (POSTEZ_YOUTUBE_CLIENT_ID)")),
        "{check}"
    );
    // POSTEZ_NOW is Wednesday 25 November 2026, 02:00 in Los Angeles.
    assert!(
        message.contains(
            "2 of 100 uploads a day queued for today (Wednesday 25 November 2026, Pacific time)"
        ),
        "{check}"
    );
    assert!(message.contains("no quota hold"), "{check}");
    assert!(
        env.run(&["doctor"])
            .stdout
            .lines()
            .any(|l| l.contains("YouTube quota") && l.contains("2 of 100"))
    );

    // The project's quota runs out: the channel's posts are held, and doctor says so.
    yt.server.inject(Fault::QuotaExceeded);
    env.run(&["run"]);
    assert_eq!(shown(&env, 1)["state"], "scheduled");
    let check = quota(&env);
    assert_eq!(check["status"], "warn", "{check}");
    let message = check["message"].as_str().unwrap();
    assert!(message.contains("posts held until"), "{check}");
    assert!(!message.contains("no quota hold"), "{check}");
    assert!(check["fix"].is_string(), "{check}");
    // Past the allowance today: a warning with what to do.
    env.run(&["config", "set", "youtube_daily_uploads", "1"])
        .ok();
    let check = quota(&env);
    assert!(
        check["message"]
            .as_str()
            .unwrap()
            .contains("2 of 1 uploads"),
        "{check}"
    );
    assert!(
        check["fix"]
            .as_str()
            .unwrap()
            .contains("move 1 of today's posts"),
        "{check}"
    );
}

/// A YouTube-only user's doctor has the quota line; a TikTok-only user's has none.
#[test]
fn doctor_has_no_youtube_quota_line_without_a_channel() {
    let env = TestEnv::new();
    env.schedule(&media(Media::Mp4), "in 1h", &[]);
    let json = env.run(&["doctor", "--json"]);
    assert!(!json.stdout.contains("YouTube quota"), "{json:?}");
}

#[test]
fn import_takes_platform_account_and_youtube_columns() {
    let yt = Yt::start(|_| {});
    let env = yt.connected();
    std::fs::copy(media(Media::Mp4), env.path("clip.mp4")).unwrap();
    let csv = env.path("posts.csv");
    std::fs::write(
        &csv,
        "file,at,caption,platform,account,title,privacy,made_for_kids,ai_generated,category,notify,tags,upload_ahead\n\
         clip.mp4,in 1h,Pasta night,youtube,,,public,no,yes,26,no,\"pasta, quick dinner\",yes\n\
         clip.mp4,in 2h,Second,,youtube:Fake Channel,Two,unlisted,yes,,,,,\n\
         clip.mp4,in 3h,Third,youtube,fakechannel,Three,private,no,,,yes,,\n",
    )
    .unwrap();
    let run = env.run(&["import", csv.to_str().unwrap(), "--json"]);
    let posts = run.json();
    let posts = posts.as_array().unwrap();
    assert_eq!(posts.len(), 3, "{run:?}");
    for p in posts {
        assert_eq!(p["platform"], "youtube", "{p}");
        assert_eq!(p["account"], "fakechannel", "{p}");
    }
    // The title defaults to the caption's first line, as in `schedule`.
    assert_eq!(posts[0]["title"], "Pasta night");
    assert_eq!(posts[0]["privacy"], "public");
    assert_eq!(posts[0]["made_for_kids"], false);
    assert_eq!(posts[0]["ai_generated"], true);
    assert_eq!(posts[0]["category"], "26");
    assert_eq!(posts[0]["notify"], false);
    assert_eq!(
        posts[0]["tags"],
        serde_json::json!(["pasta", "quick dinner"])
    );
    assert_eq!(posts[1]["made_for_kids"], true);
    assert_eq!(posts[1]["notify"], true, "notify defaults to yes");
    assert_eq!(posts[2]["privacy"], "private");
    // The `upload_ahead` column is `schedule --upload-ahead`.
    assert_eq!(posts[0]["upload_ahead"], true);
    assert_eq!(posts[1]["upload_ahead"], false);

    // JSON rows, and a bad row anywhere: nothing is added and the row is named.
    let before = env.db_bytes();
    let bad_rows: &[(&str, &str)] = &[
        (r#"{"privacy":"public","title":"t"}"#, "audience choice"),
        (r#"{"made_for_kids":false,"title":"t"}"#, "needs a privacy"),
        (
            r#"{"privacy":"friends","made_for_kids":false,"title":"t"}"#,
            "not a YouTube privacy",
        ),
        (
            r#"{"privacy":"public","made_for_kids":false,"title":"a <b>"}"#,
            "title",
        ),
        (
            r#"{"privacy":"public","made_for_kids":false,"title":"t","tags":["ok",""]}"#,
            "tag is empty",
        ),
        (
            r#"{"privacy":"public","made_for_kids":false,"title":"t","category":"music"}"#,
            "category",
        ),
        (
            r#"{"privacy":"public","made_for_kids":false,"title":"t","allow_duet":true}"#,
            "`allow_duet` is TikTok's",
        ),
        (
            r#"{"privacy":"public","made_for_kids":"perhaps","title":"t"}"#,
            "`perhaps`",
        ),
        (
            r#"{"privacy":"unlisted","made_for_kids":false,"title":"t","upload_ahead":true}"#,
            "only a public video can be uploaded ahead",
        ),
    ];
    let json = env.path("posts.json");
    for (fields, says) in bad_rows {
        let good = r#"{"file":"clip.mp4","at":"in 5h","platform":"youtube","privacy":"public","made_for_kids":false,"title":"fine"}"#;
        let bad = format!(
            r#"{{"file":"clip.mp4","at":"in 6h","platform":"youtube",{}"#,
            &fields[1..]
        );
        std::fs::write(&json, format!("[{good},{bad}]")).unwrap();
        let run = env.run(&["import", json.to_str().unwrap()]);
        let err = run.fails(2);
        assert!(err.contains("row 2 of"), "{fields}: {run:?}");
        assert!(err.contains(says), "{fields}: {run:?}");
        assert_eq!(env.db_bytes(), before, "{fields}");
    }
    // YouTube's columns on a TikTok row, and an account the platform does not have.
    for (row, says) in [
        (
            r#"{"file":"clip.mp4","at":"in 5h","platform":"tiktok","privacy":"SELF_ONLY","title":"t","tags":"a"}"#,
            "`title`, `tags` are YouTube's",
        ),
        (
            r#"{"file":"clip.mp4","at":"in 5h","platform":"youtube","account":"nobody","privacy":"public","made_for_kids":false}"#,
            "nobody",
        ),
        (
            r#"{"file":"clip.mp4","at":"in 5h","platform":"tiktok","privacy":"SELF_ONLY","upload_ahead":"yes"}"#,
            "TikTok cannot hold a post until its time",
        ),
    ] {
        std::fs::write(&json, format!("[{row}]")).unwrap();
        let run = env.run(&["import", json.to_str().unwrap(), "--yes"]);
        let err = run.fails(2);
        assert!(err.contains("row 1 of") && err.contains(says), "{run:?}");
        assert_eq!(env.db_bytes(), before);
    }
}

/// `export` writes every YouTube field, and importing the export queues the same posts again
/// (its scheduled ones), on the same channel, with the same choices.
#[test]
fn export_then_import_round_trips_youtube_and_tiktok_posts() {
    let yt = Yt::start(|_| {});
    let env = yt.connected();
    let file = env.path("clip.mp4");
    std::fs::copy(media(Media::Mp4), &file).unwrap();
    let mut extra = vec![
        "--privacy",
        "unlisted",
        "--made-for-kids",
        "yes",
        "--title",
        "Kitchen tour",
        "--category",
        "26",
        "--no-notify",
        "--ai-generated",
        "--tag",
        "kitchen",
        "--tag",
        "quick dinner",
        "--caption",
        "A tour",
        "--hashtag",
        "home",
    ];
    schedule(&env, &file, "2026-12-04T18:00:00Z", &extra).ok();
    extra = OK.to_vec();
    extra.push("--upload-ahead");
    schedule(&env, &file, "2026-12-05T18:00:00Z", &extra).ok();
    // A TikTok post waiting for its account, and a cancelled YouTube post (not a plan).
    env.schedule(
        &file,
        "2026-12-06T18:00:00Z",
        &["--allow-comments", "--cover-at", "500"],
    );
    schedule(&env, &file, "2026-12-07T18:00:00Z", &OK).ok();
    env.run(&["cancel", "4"]).ok();
    let export = env.path("backup.json");
    env.run(&["export", "--output", export.to_str().unwrap()])
        .ok();
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&export).unwrap()).unwrap();
    let first = &doc["posts"][0];
    for key in [
        "title",
        "privacy",
        "made_for_kids",
        "ai_generated",
        "category",
        "notify",
        "tags",
    ] {
        assert!(first.get(key).is_some(), "{key} missing: {first}");
    }

    // Into a fresh queue with the same channel connected.
    let again = yt.connected();
    let run = again.run(&["import", export.to_str().unwrap(), "--json", "--yes"]);
    let imported = run.json();
    let imported = imported.as_array().unwrap();
    assert_eq!(
        imported.len(),
        3,
        "the cancelled post is not a plan: {run:?}"
    );
    let keys = [
        "platform",
        "account",
        "file",
        "caption",
        "mode",
        "scheduled_at",
        "timezone",
        "privacy",
        "ai_generated",
        "title",
        "made_for_kids",
        "category",
        "notify",
        "tags",
        "upload_ahead",
        "allow_comments",
        "allow_duet",
        "allow_stitch",
        "cover_at_ms",
        "brand_organic",
        "branded_content",
        "media",
    ];
    for (old, new) in doc["posts"].as_array().unwrap()[..3].iter().zip(imported) {
        for key in keys {
            assert_eq!(old.get(key), new.get(key), "{key}: {old} vs {new}");
        }
    }
    assert_eq!(
        imported[0]["caption"], "A tour #home",
        "hashtags not added twice"
    );
}
