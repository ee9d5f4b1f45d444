//! A queue written by an earlier postez keeps working (issue 11): a version-2 database (the
//! schema of migrations 0001 and 0002, with posts as that version wrote them) is brought up to
//! date by the first command that opens it, keeps every post's choices and saved upload, and
//! its queued posts publish.

use std::path::Path;

use crate::support::{Fake, Media, NOW, media, sha256_file};

/// The queue of a version-2 postez at `db`: its schema, and posts as it wrote them.
fn version_2_queue(db: &Path, file: &Path) {
    let checked =
        postez::queue::check_media(file, postez::provider::Platform::TikTok.rules()).unwrap();
    let (m, f) = (&checked.info, &checked.fingerprint);
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute_batch(include_str!("../../src/store/migrations/0001_init.sql"))
        .unwrap();
    conn.execute_batch(include_str!("../../src/store/migrations/0002_runs.sql"))
        .unwrap();
    conn.pragma_update(None, "user_version", 2).unwrap();
    // The tests' clock (POSTEZ_NOW), so "due" means due to the run.
    let now: chrono::DateTime<chrono::Utc> = NOW.parse().unwrap();
    let time =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let due = time(now - chrono::Duration::minutes(1));
    let later = time(now + chrono::Duration::days(2));
    // (state, mode, privacy, comments, cover, scheduled_at, publish_id, upload_url)
    let posts = [
        (
            "scheduled",
            "direct",
            Some("SELF_ONLY"),
            1,
            Some(500),
            &due,
            None,
            None,
        ),
        ("scheduled", "draft", None, 0, None, &due, None, None),
        (
            "scheduled",
            "direct",
            Some("FOLLOWER_OF_CREATOR"),
            0,
            None,
            &later,
            None,
            None,
        ),
        (
            "failed",
            "direct",
            Some("SELF_ONLY"),
            0,
            None,
            &due,
            Some("v_pub_old"),
            Some("https://open-upload.tiktokapis.com/upload?sig=old"),
        ),
    ];
    for (state, mode, privacy, comments, cover, at, publish_id, url) in posts {
        conn.execute(
            "INSERT INTO posts (state, platform, account_id, file, copied, file_size, \
             file_mtime_ns, file_hash, container, duration_ms, width, height, fps, codec, caption, \
             mode, privacy, allow_comments, allow_duet, allow_stitch, cover_at_ms, brand_organic, \
             branded_content, ai_generated, scheduled_at, timezone, publish_id, upload_url, \
             upload_expires_at, chunk_size, created_at, updated_at) VALUES (?1, 'tiktok', NULL, \
             ?2, 0, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'from version 2', ?12, ?13, ?14, 0, 0, \
             ?15, 0, 0, 0, ?16, 'UTC', ?17, ?18, ?19, ?20, ?21, ?21)",
            rusqlite::params![
                state,
                file.to_str().unwrap(),
                f.size,
                f.mtime_ns,
                f.sample_sha256,
                m.container.as_str(),
                m.duration_ms,
                m.width,
                m.height,
                m.fps,
                m.codec.as_ref().map(ToString::to_string),
                mode,
                privacy,
                comments,
                cover,
                at,
                publish_id,
                url,
                publish_id.map(|_| time(now)),
                publish_id.map(|_| f.size),
                time(now),
            ],
        )
        .unwrap();
    }
}

#[test]
fn a_version_2_queue_is_migrated_and_its_posts_publish() {
    let fake = Fake::start(|_| {});
    let env = fake.env();
    let file = media(Media::Mp4);
    version_2_queue(&env.db(), &file);
    // The first command that opens it brings it up to date.
    let connect = env.connect(&fake, &[]);
    assert_eq!(connect.code, 0, "{connect:?}");
    let version: usize = rusqlite::Connection::open(env.db())
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert!(version > 2, "migrated: {version}");
    // The saved upload moved into the platform's checkpoint, whole.
    let checkpoint: String = rusqlite::Connection::open(env.db())
        .unwrap()
        .query_row("SELECT checkpoint FROM posts WHERE id = 4", [], |r| {
            r.get(0)
        })
        .unwrap();
    let checkpoint: serde_json::Value = serde_json::from_str(&checkpoint).unwrap();
    assert_eq!(checkpoint["id"], "v_pub_old");
    assert_eq!(
        checkpoint["upload_url"],
        "https://open-upload.tiktokapis.com/upload?sig=old"
    );
    assert!(
        checkpoint["chunk_size"].as_u64().unwrap() > 0,
        "{checkpoint}"
    );
    // Every post's choices, and the saved upload of the failed one, are as they were.
    let list = env.run(&["list", "--all", "--json"]).json();
    let posts = list.as_array().unwrap();
    assert_eq!(posts.len(), 4, "{list}");
    let by_id = |id: i64| posts.iter().find(|p| p["id"] == id).unwrap();
    assert_eq!(by_id(1)["privacy"], "SELF_ONLY");
    assert_eq!(by_id(1)["allow_comments"], true);
    assert_eq!(by_id(1)["allow_duet"], false);
    assert_eq!(by_id(1)["cover_at_ms"], 500);
    assert_eq!(by_id(2)["mode"], "draft");
    assert_eq!(by_id(2)["privacy"], serde_json::Value::Null);
    assert_eq!(by_id(3)["privacy"], "FOLLOWER_OF_CREATOR");
    assert_eq!(by_id(4)["publish_id"], "v_pub_old");
    assert_eq!(by_id(4)["caption"], "from version 2");
    // The due posts publish, once each, with their bytes and choices.
    let run = env.run(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    let finished = fake.finished();
    assert_eq!(finished.len(), 2, "{run:?}");
    let expected = sha256_file(&file);
    for publish in &finished {
        assert_eq!(publish.sha256.as_deref(), Some(expected.as_str()));
    }
    let direct = finished.iter().find(|p| p.post_info.is_some()).unwrap();
    let info = direct.post_info.as_ref().unwrap();
    assert_eq!(info["privacy_level"], "SELF_ONLY");
    assert_eq!(info["disable_comment"], false);
    assert_eq!(info["video_cover_timestamp_ms"], 500);
    let show = |id: &str| env.run(&["show", id, "--json"]).json();
    assert_eq!(show("1")["state"], "published");
    assert_eq!(show("2")["state"], "sent_to_inbox");
    assert_eq!(show("3")["state"], "scheduled");
    assert_eq!(show("4")["state"], "failed");
}
