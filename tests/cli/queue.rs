//! Managing the queue: list, show, edit, cancel, retry, import and config.

use crate::support::{Media, TestEnv, media};

#[test]
fn list_prints_tsv_when_piped_and_hides_finished_posts() {
    let env = TestEnv::new();
    let file = media(Media::Mp4);
    env.schedule(&file, "in 3h", &["--caption", "later\tone"]);
    env.schedule(&file, "in 1h", &["--caption", "sooner"]);
    env.schedule(&file, "in 2h", &[]);
    env.run(&["cancel", "3"]).ok();
    let out = env.run(&["list"]);
    let lines: Vec<&str> = out.ok().lines().collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    let first: Vec<&str> = lines[0].split('\t').collect();
    assert_eq!(
        first,
        [
            "2",
            "scheduled",
            "2026-11-25T11:00:00Z",
            "tiktok",
            "",
            "direct",
            "SELF_ONLY",
            file.to_str().unwrap(),
            "sooner"
        ]
    );
    assert!(lines[1].ends_with("later one"), "{}", lines[1]);
    let all = env.run(&["list", "--all", "--json"]).json();
    assert_eq!(all.as_array().unwrap().len(), 3);
    let cancelled = env.run(&["list", "--state", "cancelled", "--json"]).json();
    assert_eq!(cancelled[0]["id"], 3);
    let page = env.run(&["list", "--limit", "1"]);
    assert_eq!(page.ok().lines().count(), 1);
    assert!(page.stderr.contains("showing 1 of 2"), "{}", page.stderr);
}

#[test]
fn show_prints_everything_and_the_history() {
    let env = TestEnv::new();
    env.schedule(&media(Media::Mp4), "in 1h", &["--caption", "hello"]);
    env.run(&["edit", "1", "--caption", "hello again"]).ok();
    let out = env.run(&["show", "1"]);
    let text = out.ok();
    for needle in [
        "Post 1",
        "scheduled",
        "Only me (SELF_ONLY)",
        "hello again",
        "History",
        "edited",
    ] {
        assert!(text.contains(needle), "missing {needle}:\n{text}");
    }
    let json = env.run(&["show", "1", "--json"]).json();
    let kinds: Vec<&str> = json["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["scheduled", "edited"]);
    assert_eq!(json["events"][1]["detail"]["changed"][0], "caption");
}

#[test]
fn edit_revalidates_and_records_changes() {
    let env = TestEnv::new();
    env.schedule(&media(Media::Mp4), "in 1h", &[]);
    let post = env
        .run(&[
            "edit",
            "1",
            "--at",
            "tomorrow 9am",
            "--tz",
            "Europe/Berlin",
            "--json",
        ])
        .json();
    assert_eq!(post["scheduled_at"], "2026-11-26T08:00:00Z");
    assert_eq!(post["timezone"], "Europe/Berlin");
    let post = env
        .run(&[
            "edit",
            "1",
            "--privacy",
            "PUBLIC_TO_EVERYONE",
            "--allow-comments",
            "--yes",
            "--json",
        ])
        .json();
    assert_eq!(post["privacy"], "PUBLIC_TO_EVERYONE");
    assert_eq!(post["allow_comments"], true);
    let post = env
        .run(&["edit", "1", "--no-allow-comments", "--yes", "--json"])
        .json();
    assert_eq!(post["allow_comments"], false);
    let post = env.run(&["edit", "1", "--draft", "--json"]).json();
    assert_eq!(post["mode"], "draft");
    assert_eq!(post["privacy"], serde_json::Value::Null);
    let post = env
        .run(&[
            "edit",
            "1",
            "--file",
            media(Media::Webm).to_str().unwrap(),
            "--json",
        ])
        .json();
    assert_eq!(post["media"]["container"], "webm");
    // People read what changed in words, not the database's column names.
    let out = env.run(&["edit", "1", "--at", "tomorrow 10am", "--caption", "New"]);
    assert!(
        out.ok().starts_with("Edited post 1 (time, caption); due "),
        "{out:?}"
    );
    // Going back to a direct post needs a privacy level again.
    let err = env.run(&["edit", "1", "--direct", "--yes"]);
    assert!(err.fails(2).contains("privacy"), "{err:?}");
}

#[test]
fn cancel_and_retry() {
    let env = TestEnv::new();
    env.schedule(&media(Media::Mp4), "in 1h", &[]);
    env.sql("UPDATE posts SET state = 'failed', attempts = 3, last_error = 'boom', scheduled_at = '2026-11-20T10:00:00Z' WHERE id = 1");
    let post = env.run(&["retry", "1", "--json"]).json();
    assert_eq!(post["state"], "scheduled");
    assert_eq!(post["attempts"], 0);
    assert_eq!(post["last_error"], serde_json::Value::Null);
    // It missed its time, so it is due now rather than "missed" again.
    assert_eq!(post["scheduled_at"], "2026-11-25T10:00:00Z");
    let out = env.run(&["cancel", "1"]);
    assert_eq!(out.ok().trim(), "Cancelled post 1");
    let json = env.run(&["show", "1", "--json"]).json();
    let kinds: Vec<&str> = json["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["scheduled", "retried", "cancelled"]);
    // A cancelled post is not a dead end: retry brings it back (issue 10).
    assert!(
        out.stderr
            .contains("`postez retry 1` puts it back in the queue"),
        "{out:?}"
    );
    let edit = env.run(&["edit", "1", "--caption", "x"]);
    assert!(
        edit.fails(2)
            .contains("hint: `postez retry 1` puts it back in the queue"),
        "{edit:?}"
    );
    let post = env
        .run(&["retry", "1", "--at", "tomorrow 9am", "--json"])
        .json();
    assert_eq!(post["state"], "scheduled");
    assert_eq!(post["scheduled_at"], "2026-11-26T09:00:00Z");
    let out = env.run(&["retry", "1"]);
    assert!(out.fails(2).contains("post 1 is scheduled"), "{out:?}");
}

#[test]
fn import_csv_and_json() {
    let env = TestEnv::new();
    let dir = env.path("batch");
    std::fs::create_dir_all(dir.join("clips")).unwrap();
    std::fs::copy(media(Media::Mp4), dir.join("clips/a.mp4")).unwrap();
    std::fs::copy(media(Media::Webm), dir.join("clips/b.webm")).unwrap();
    let csv = dir.join("posts.csv");
    std::fs::write(
        &csv,
        "file,at,caption,hashtags,privacy,draft,allow_comments,tz\n\
         clips/a.mp4,tomorrow 18:00,First,food dinner,SELF_ONLY,,yes,Europe/Berlin\n\
         clips/b.webm,in 2h,Second,,,true,,\n",
    )
    .unwrap();
    let posts = env
        .run(&["import", csv.to_str().unwrap(), "--yes", "--json"])
        .json();
    assert_eq!(posts.as_array().unwrap().len(), 2);
    assert_eq!(posts[0]["caption"], "First #food #dinner");
    assert_eq!(posts[0]["scheduled_at"], "2026-11-26T17:00:00Z");
    assert_eq!(posts[0]["allow_comments"], true);
    assert_eq!(posts[1]["mode"], "draft");
    let json = dir.join("posts.json");
    std::fs::write(
        &json,
        r#"[{"file": "clips/a.mp4", "at": "in 5h", "privacy": "MUTUAL_FOLLOW_FRIENDS",
             "hashtags": ["x", "y"], "allow_duet": true, "cover_at": 100}]"#,
    )
    .unwrap();
    let posts = env
        .run(&["import", json.to_str().unwrap(), "--yes", "--json"])
        .json();
    assert_eq!(posts[0]["caption"], "#x #y");
    assert_eq!(posts[0]["allow_duet"], true);
    assert_eq!(posts[0]["cover_at_ms"], 100);
    assert_eq!(
        env.run(&["list", "--json"])
            .json()
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

#[test]
fn config_get_set_list() {
    let env = TestEnv::new();
    env.run(&["config", "set", "timezone", "America/New_York"])
        .ok();
    assert_eq!(
        env.run(&["config", "get", "timezone"]).ok().trim(),
        "America/New_York"
    );
    let list = env.run(&["config", "list", "--json"]).json();
    assert_eq!(list["timezone"], "America/New_York");
    assert_eq!(list["token_store"], serde_json::Value::Null);
    // Local times now resolve in the configured zone.
    let post = env.schedule(&media(Media::Mp4), "2026-12-01 18:00", &[]);
    assert_eq!(post["scheduled_at"], "2026-12-01T23:00:00Z");
    assert_eq!(post["timezone"], "America/New_York");
}
