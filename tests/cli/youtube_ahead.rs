//! "Let YouTube hold the schedule" (issue 12) through the real binary and the strict fake
//! YouTube: `schedule --upload-ahead` uploads at the first run as `private` with `publishAt`
//! (§8), the post is `uploaded` until a run after its time confirms it public; a run too close
//! to the time uploads it public instead; `edit --at` and `cancel` change YouTube first with
//! `connect youtube --manage` and refuse with the Studio link without it; and a queue from
//! before migration 0007 upgrades.
//!
//! The CLI's clock (POSTEZ_NOW) is set to the fake's, so `publishAt` means the same to both;
//! moving past it advances both.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};

use crate::fake_youtube::Endpoint;
use crate::support::{Media, TestEnv, media, sha256_file};
use crate::youtube::Yt;

const STUDIO: &str = "https://studio.youtube.com/video/";

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Point the CLI's clock at the fake's (to the second), and return it.
fn sync_clock(env: &mut TestEnv, yt: &Yt) -> DateTime<Utc> {
    let now: DateTime<Utc> = rfc3339(yt.server.now()).parse().unwrap();
    env.set("POSTEZ_NOW", &rfc3339(now));
    now
}

/// Move the fake's clock and the CLI's on by `by`.
fn advance(env: &mut TestEnv, yt: &Yt, by: Duration) -> DateTime<Utc> {
    yt.server.advance_clock(by);
    sync_clock(env, yt)
}

/// `schedule FILE --at AT --account youtube --privacy PRIVACY …` as JSON, with `extra`.
fn schedule(
    env: &TestEnv,
    at: DateTime<Utc>,
    privacy: &str,
    extra: &[&str],
) -> crate::support::Run {
    let file = media(Media::Mp4);
    let at = rfc3339(at);
    let mut args = vec![
        "schedule",
        file.to_str().unwrap(),
        "--at",
        &at,
        "--account",
        "youtube",
        "--privacy",
        privacy,
        "--made-for-kids",
        "no",
        "--title",
        "Held by YouTube",
        "--json",
    ];
    args.extend(extra);
    env.run(&args)
}

fn shown(env: &TestEnv, id: i64) -> serde_json::Value {
    env.run(&["show", &id.to_string(), "--json"]).json()
}

/// A connected env (with `connect` flags `extra`) whose post 1 was uploaded ahead, due at
/// `now + 1h`: returns the env, that time and the video id.
fn uploaded_ahead(yt: &Yt, extra: &[&str]) -> (TestEnv, DateTime<Utc>, String) {
    let mut env = yt.env();
    let run = yt.connect_with(&env, extra);
    assert_eq!(run.code, 0, "{run:?}");
    let now = sync_clock(&mut env, yt);
    let at = now + chrono::Duration::hours(1);
    schedule(&env, at, "public", &["--upload-ahead"]).ok();
    let run = env.run(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    let post = shown(&env, 1);
    assert_eq!(post["state"], "uploaded", "{post}");
    let id = post["post_id"].as_str().unwrap().to_string();
    (env, at, id)
}

#[test]
fn an_upload_ahead_goes_up_private_and_a_run_after_its_time_confirms_it() {
    let yt = Yt::start(|_| {});
    let mut env = yt.connected();
    let now = sync_clock(&mut env, &yt);
    // Well within the access token's hour, so the calls counted below are postez's own.
    let at = now + chrono::Duration::minutes(10);
    let run = schedule(&env, at, "public", &["--upload-ahead"]);
    let post = run.json();
    assert_eq!(post["upload_ahead"], true, "{post}");
    assert!(run.stderr.contains("Uploaded ahead"), "{run:?}");
    // Due for upload at once, although its time is an hour away.
    let dry = env.run(&["run", "--dry-run", "--json"]);
    assert!(
        dry.stdout
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .any(|e| e["type"] == "would_publish"
                && e["data"]["id"] == 1
                && e["data"]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("uploaded ahead"))),
        "{dry:?}"
    );

    let run = env.run(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("makes it public at"), "{run:?}");
    let state = yt.server.state();
    assert_eq!(state.videos.len(), 1, "{:?}", state.videos);
    let video = &state.videos[0];
    let file = media(Media::Mp4);
    assert_eq!(state.videos_with_sha256(&sha256_file(&file)), 1);
    // §8: sent private with publishAt = the post's time, in UTC.
    let sent = &state.sessions[0].metadata["status"];
    assert_eq!(sent["privacyStatus"], "private", "{sent}");
    assert_eq!(sent["publishAt"], rfc3339(at).as_str(), "{sent}");
    assert_eq!(video.publish_at, Some(at));
    assert_eq!(video.privacy, "private", "YouTube holds it until its time");
    // The post is on YouTube, not published: its id is recorded, and it says when it goes out.
    let post = shown(&env, 1);
    assert_eq!(post["state"], "uploaded", "{post}");
    assert_eq!(post["post_id"], video.id.as_str());
    let human = env.run(&["show", "1"]).ok().to_string();
    assert!(human.contains("on YouTube, goes public at"), "{human}");
    let listed = env.run(&["list", "--state", "uploaded", "--json"]).json();
    assert_eq!(listed[0]["id"], 1, "{listed}");
    assert_eq!(listed[0]["upload_ahead"], true, "{listed}");
    // The export carries the state and the video id; the history says what happened.
    let out = env.path("export.json");
    env.run(&["export", "--output", out.to_str().unwrap()]).ok();
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let exported = &doc["posts"][0];
    assert_eq!(exported["state"], "uploaded", "{exported}");
    assert_eq!(exported["post_id"], video.id.as_str());
    assert!(
        exported["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "on_platform"
                && e["detail"]["public_at"] == rfc3339(at).as_str()),
        "{exported}"
    );

    // A second run before its time uploads nothing and asks YouTube nothing.
    let lists = state.count(Endpoint::VideosList);
    env.run(&["run"]).ok();
    let again = yt.server.state();
    assert_eq!(again.sessions.len(), 1);
    assert_eq!(again.videos.len(), 1);
    assert_eq!(
        again.count(Endpoint::VideosList),
        lists,
        "not due: not asked"
    );
    assert_eq!(shown(&env, 1)["state"], "uploaded");

    // Past its time, YouTube made it public: one videos.list (1 unit) confirms it.
    advance(&mut env, &yt, Duration::from_secs(15 * 60));
    let run = env.run(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    let post = shown(&env, 1);
    assert_eq!(post["state"], "published", "{post}");
    assert_eq!(post["post_id"], video.id.as_str());
    let after = yt.server.state();
    assert_eq!(after.videos.len(), 1, "never uploaded a second time");
    assert_eq!(after.sessions.len(), 1);
    assert_eq!(after.videos[0].privacy, "public");
    assert_eq!(after.count(Endpoint::VideosList), lists + 1, "{run:?}");
    // And nothing more afterwards.
    env.run(&["run"]).ok();
    assert_eq!(yt.server.state().sessions.len(), 1);
}

#[test]
fn still_private_after_its_time_is_checked_again_and_a_deleted_video_fails() {
    let yt = Yt::start(|_| {});
    let (mut env, _, id) = uploaded_ahead(&yt, &[]);
    // An unaudited project's videos stay private (§6): past its time it is still held.
    yt.server.set_force_private(true);
    advance(&mut env, &yt, Duration::from_secs(2 * 3600));
    env.run(&["run"]);
    let post = shown(&env, 1);
    assert_eq!(post["state"], "uploaded", "{post}");
    let human = env.run(&["show", "1"]).ok().to_string();
    assert!(human.contains("asks YouTube again later"), "{human}");
    // Deleted in Studio meanwhile: failed with the reason and a hint, never uploaded again.
    assert!(yt.server.remove_video(&id));
    advance(&mut env, &yt, Duration::from_secs(3600));
    env.run(&["run"]);
    let post = shown(&env, 1);
    assert_eq!(post["state"], "failed", "{post}");
    assert!(post["last_error"].as_str().unwrap().contains(&id), "{post}");
    assert!(post["last_error_hint"].as_str().is_some(), "{post}");
    env.run(&["run"]);
    assert_eq!(yt.server.state().sessions.len(), 1, "no second upload");
}

#[test]
fn a_confirmation_the_run_cannot_make_leaves_the_post_uploaded() {
    let yt = Yt::start(|_| {});
    let (mut env, _, id) = uploaded_ahead(&yt, &[]);
    // The login died meanwhile: the run cannot ask YouTube, and the post is still on YouTube.
    yt.server.expire_access_tokens();
    yt.server.expire_refresh_tokens();
    advance(&mut env, &yt, Duration::from_secs(2 * 3600));
    let run = env.run(&["run"]);
    assert_eq!(run.code, 3, "needs a login: {run:?}");
    let post = shown(&env, 1);
    assert_eq!(post["state"], "uploaded", "{post}");
    assert_eq!(post["post_id"], id.as_str());
    assert_eq!(yt.server.state().sessions.len(), 1);
}

#[test]
fn a_run_too_close_to_its_time_uploads_it_public_without_publish_at() {
    let yt = Yt::start(|_| {});
    let mut env = yt.connected();
    let now = sync_clock(&mut env, &yt);
    let at = now + chrono::Duration::hours(1);
    schedule(&env, at, "public", &["--upload-ahead"]).ok();
    // The machine was off until a minute before the post's time.
    advance(&mut env, &yt, Duration::from_secs(3600 - 60));
    let run = env.run(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    let state = yt.server.state();
    let sent = &state.sessions[0].metadata["status"];
    assert_eq!(sent["privacyStatus"], "public", "{sent}");
    assert!(sent.get("publishAt").is_none(), "{sent}");
    let post = shown(&env, 1);
    assert_eq!(post["state"], "published", "{post}");
    assert_eq!(post["post_id"], state.videos[0].id.as_str());
    let kinds: Vec<&str> = post["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"upload_ahead_dropped"), "{kinds:?}");
}

#[test]
fn without_manage_edit_and_cancel_are_refused_with_the_studio_link() {
    let yt = Yt::start(|_| {});
    let (env, at, id) = uploaded_ahead(&yt, &[]);
    let accounts = env.run(&["accounts", "--json"]).json();
    assert_eq!(accounts[0]["can_manage"], false, "{accounts}");
    let before = env.db_bytes();
    let later = rfc3339(at + chrono::Duration::hours(2));
    for args in [
        vec!["edit", "1", "--at", later.as_str()],
        vec!["cancel", "1"],
        vec!["edit", "1", "--caption", "new words"],
    ] {
        let run = env.run(&args);
        let err = run.fails(2);
        assert!(
            err.contains(&format!("{STUDIO}{id}/edit")),
            "{args:?}: {run:?}"
        );
        if args.get(2) != Some(&"--caption") {
            assert!(err.contains("postez connect youtube --manage"), "{run:?}");
        }
    }
    assert_eq!(env.db_bytes(), before, "the database is unchanged");
    let state = yt.server.state();
    assert_eq!(state.count(Endpoint::VideosUpdate), 0);
    assert_eq!(state.count(Endpoint::VideosDelete), 0);
    assert_eq!(state.videos[0].publish_at, Some(at));
    assert!(!state.videos[0].gone);
}

#[test]
fn with_manage_edit_moves_publish_at_and_cancel_deletes_the_video() {
    let yt = Yt::start(|_| {});
    let (env, at, id) = uploaded_ahead(&yt, &["--manage"]);
    let auth = &yt.server.state().authorizations[0];
    assert!(
        auth.scope
            .split(' ')
            .any(|s| s == "https://www.googleapis.com/auth/youtube"),
        "{auth:?}"
    );
    let accounts = env.run(&["accounts", "--json"]).json();
    assert_eq!(accounts[0]["can_manage"], true, "{accounts}");

    let later = at + chrono::Duration::hours(2);
    let run = env.run(&["edit", "1", "--at", &rfc3339(later), "--json"]);
    assert_eq!(
        run.json()["scheduled_at"],
        rfc3339(later).as_str(),
        "{run:?}"
    );
    let state = yt.server.state();
    assert_eq!(state.count(Endpoint::VideosUpdate), 1);
    let video = state.video(&id).unwrap();
    assert_eq!(video.publish_at, Some(later));
    assert_eq!(video.privacy, "private");
    // Replacement semantics (§3.1): the audience and AI label were sent again, unchanged.
    assert_eq!(
        video.status["privacyStatus"], "private",
        "{:?}",
        video.status
    );
    assert_eq!(
        video.status["selfDeclaredMadeForKids"], false,
        "{:?}",
        video.status
    );
    assert_eq!(
        video.status["containsSyntheticMedia"], false,
        "{:?}",
        video.status
    );
    let post = shown(&env, 1);
    assert_eq!(post["state"], "uploaded");
    assert_eq!(post["scheduled_at"], rfc3339(later).as_str());

    // Too close to now: refused before YouTube is asked (it would publish at once).
    let run = env.run(&["edit", "1", "--at", "now"]);
    run.fails(2);
    assert_eq!(yt.server.state().count(Endpoint::VideosUpdate), 1);

    let run = env.run(&["cancel", "1"]);
    assert_eq!(run.code, 0, "{run:?}");
    let state = yt.server.state();
    assert!(state.video(&id).unwrap().gone, "deleted at YouTube");
    let post = shown(&env, 1);
    assert_eq!(post["state"], "cancelled", "{post}");
    env.run(&["run"]).ok();
    assert_eq!(
        yt.server.state().sessions.len(),
        1,
        "nothing uploaded again"
    );
}

#[test]
fn a_failed_change_leaves_the_queue_as_youtube_has_it() {
    let yt = Yt::start(|_| {});
    let (env, at, id) = uploaded_ahead(&yt, &["--manage"]);
    let fail = |endpoint| crate::fake_youtube::Fault::Status {
        endpoint,
        http: 503,
        reason: "backendError".into(),
        retry_after: None,
    };
    // YouTube answers an error: nothing changed there, and nothing changes here.
    let before = env.db_bytes();
    yt.server.inject(fail(Endpoint::VideosUpdate));
    let later = rfc3339(at + chrono::Duration::hours(1));
    let run = env.run(&["edit", "1", "--at", &later]);
    assert_ne!(run.code, 0, "{run:?}");
    yt.server.inject(fail(Endpoint::VideosDelete));
    let run = env.run(&["cancel", "1"]);
    assert_ne!(run.code, 0, "{run:?}");
    assert_eq!(env.db_bytes(), before, "the database is unchanged");
    let state = yt.server.state();
    assert_eq!(state.video(&id).unwrap().publish_at, Some(at));
    assert!(!state.video(&id).unwrap().gone);
    // A delete whose reply was lost: YouTube has no video any more, the queue still has the
    // post. Cancelling again finds it gone, which counts as deleted.
    assert!(yt.server.remove_video(&id));
    let run = env.run(&["cancel", "1"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(shown(&env, 1)["state"], "cancelled");
}

#[test]
fn a_run_interrupted_after_the_upload_asks_youtube_and_never_uploads_twice() {
    let yt = Yt::start(|_| {});
    let (env, at, id) = uploaded_ahead(&yt, &[]);
    // As a run killed after the last byte and before it recorded the outcome leaves it.
    let uri = yt.server.state().sessions[0].uri.clone();
    env.sql(&format!(
        "UPDATE posts SET state = 'publishing', phase = 'processing', post_id = NULL, \
         checkpoint = json_set(checkpoint, '$.upload_url', '{uri}') WHERE id = 1"
    ));
    let run = env.run(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    let post = shown(&env, 1);
    assert_eq!(post["state"], "uploaded", "{post}");
    assert_eq!(post["post_id"], id.as_str());
    assert_eq!(post["scheduled_at"], rfc3339(at).as_str());
    let state = yt.server.state();
    assert_eq!(state.sessions.len(), 1, "no new upload");
    assert_eq!(state.videos.len(), 1);
}

#[test]
fn upload_ahead_is_refused_for_tiktok_and_for_a_video_that_is_not_public() {
    let yt = Yt::start(|_| {});
    let mut env = yt.connected();
    let now = sync_clock(&mut env, &yt);
    let file = media(Media::Mp4);
    let before = env.db_bytes();
    // A TikTok post (the default platform).
    let run = env.run(&[
        "schedule",
        file.to_str().unwrap(),
        "--at",
        "in 2h",
        "--privacy",
        "SELF_ONLY",
        "--yes",
        "--upload-ahead",
    ]);
    let err = run.fails(2);
    assert!(err.contains("TikTok cannot hold"), "{run:?}");
    assert!(err.contains("drop --upload-ahead"), "{run:?}");
    // An unlisted or private YouTube video has no time to go public at.
    for privacy in ["unlisted", "private"] {
        let run = schedule(
            &env,
            now + chrono::Duration::hours(2),
            privacy,
            &["--upload-ahead"],
        );
        let err = run.fails(2);
        assert!(err.contains("only a public video"), "{run:?}");
        assert!(err.contains("--privacy public"), "{run:?}");
    }
    assert_eq!(env.db_bytes(), before, "the database is unchanged");

    // The setting makes it the default for public posts only; --no-upload-ahead overrides it.
    env.run(&["config", "set", "youtube_upload_ahead", "true"])
        .ok();
    let at = now + chrono::Duration::hours(2);
    assert_eq!(
        schedule(&env, at, "public", &[]).json()["upload_ahead"],
        true
    );
    assert_eq!(
        schedule(&env, at, "unlisted", &[]).json()["upload_ahead"],
        false
    );
    assert_eq!(
        schedule(&env, at, "public", &["--no-upload-ahead"]).json()["upload_ahead"],
        false
    );
}

#[test]
fn a_queue_from_before_upload_ahead_is_migrated_with_its_events() {
    let env = TestEnv::new();
    let db = env.db();
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    let conn = rusqlite::Connection::open(&db).unwrap();
    for sql in [
        include_str!("../../src/store/migrations/0001_init.sql"),
        include_str!("../../src/store/migrations/0002_runs.sql"),
        include_str!("../../src/store/migrations/0003_holds.sql"),
        include_str!("../../src/store/migrations/0004_posts_by_video.sql"),
        include_str!("../../src/store/migrations/0005_list_page.sql"),
        include_str!("../../src/store/migrations/0006_json_options.sql"),
    ] {
        conn.execute_batch(sql).unwrap();
    }
    conn.pragma_update(None, "user_version", 6).unwrap();
    conn.execute_batch(
        "INSERT INTO posts (state, platform, file, file_size, file_mtime_ns, file_hash, \
         container, mode, options, scheduled_at, timezone, created_at, updated_at) VALUES \
         ('scheduled', 'tiktok', '/v/a.mp4', 1, 1, 'h', 'mp4', 'draft', '{\"mode\":\"draft\",\"privacy\":null,\"allow_comments\":false,\"allow_duet\":false,\"allow_stitch\":false,\"cover_at_ms\":null,\"brand_organic\":false,\"branded_content\":false,\"ai_generated\":false}', \
          '2026-12-01T18:00:00Z', 'UTC', '2026-11-20T10:00:00Z', '2026-11-20T10:00:00Z'), \
         ('published', 'tiktok', '/v/b.mp4', 1, 1, 'h2', 'mp4', 'draft', '{\"mode\":\"draft\",\"privacy\":null,\"allow_comments\":false,\"allow_duet\":false,\"allow_stitch\":false,\"cover_at_ms\":null,\"brand_organic\":false,\"branded_content\":false,\"ai_generated\":false}', \
          '2026-11-21T18:00:00Z', 'UTC', '2026-11-20T10:00:00Z', '2026-11-20T10:00:00Z'); \
         INSERT INTO events (post_id, at, kind, detail) VALUES \
         (1, '2026-11-20T10:00:00Z', 'scheduled', '{}'), \
         (2, '2026-11-20T10:00:00Z', 'scheduled', '{}'), \
         (2, '2026-11-21T18:00:05Z', 'published', '{}');",
    )
    .unwrap();
    drop(conn);
    let list = env.run(&["list", "--all", "--json"]).json();
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let version: usize = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        version, 9,
        "migrated to the latest schema (0009: shared media)"
    );
    let same: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM posts WHERE due_at = scheduled_at",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(same, 2, "every existing post is due at its own time");
    let events: i64 = conn
        .query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(events, 3, "the history survives the rebuild");
    let check: String = conn
        .query_row("PRAGMA foreign_key_check", [], |r| r.get(0))
        .unwrap_or_else(|_| "ok".into());
    assert_eq!(check, "ok");
    assert_eq!(shown(&env, 2)["events"].as_array().unwrap().len(), 2);
    assert_eq!(shown(&env, 1)["upload_ahead"], false);
}

#[test]
fn connect_manage_explains_itself_and_says_when_google_left_it_out() {
    let yt = Yt::start(|_| {});
    let env = yt.env();
    let run = yt.connect_with(&env, &["--manage"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("reschedule"), "{run:?}");
    // The user unticked "Manage your YouTube account" on Google's consent screen.
    yt.server.set_granted_scopes(Some(vec![
        crate::fake_youtube::SCOPE_UPLOAD.into(),
        crate::fake_youtube::SCOPE_READONLY.into(),
    ]));
    let run = yt.connect_with(&env, &["--manage"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("did not grant managing"), "{run:?}");
    let accounts = env.run(&["accounts", "--json"]).json();
    assert_eq!(accounts[0]["can_manage"], false, "{accounts}");
    // TikTok has nothing to manage: refused before anything starts.
    let run = env.run(&["connect", "tiktok", "--manage", "--no-browser"]);
    assert!(run.fails(2).contains("--manage"), "{run:?}");
}

/// `edit` keeps a post uploaded ahead only while it can be held: made unlisted it would still
/// go public at its time, so that edit is refused unless it also drops the upload ahead;
/// `edit --upload-ahead` makes a scheduled post one.
#[test]
fn edit_keeps_upload_ahead_only_for_a_post_youtube_can_hold() {
    let yt = Yt::start(|_| {});
    let mut env = yt.connected();
    let now = sync_clock(&mut env, &yt);
    let at = now + chrono::Duration::hours(2);
    schedule(&env, at, "public", &["--upload-ahead"]).ok();
    schedule(&env, at, "public", &[]).ok();

    let before = env.db_bytes();
    let run = env.run(&["edit", "1", "--privacy", "unlisted"]);
    let err = run.fails(2);
    assert!(err.contains("post 1 is to be uploaded ahead"), "{run:?}");
    assert!(err.contains("--no-upload-ahead"), "{run:?}");
    assert_eq!(env.db_bytes(), before, "a refused edit writes nothing");
    let run = env.run(&["edit", "2", "--privacy", "unlisted", "--upload-ahead"]);
    assert!(run.fails(2).contains("only a public video"), "{run:?}");
    assert_eq!(env.db_bytes(), before);

    // Dropped with the privacy: due at its time again.
    let run = env.run(&[
        "edit",
        "1",
        "--privacy",
        "unlisted",
        "--no-upload-ahead",
        "--json",
    ]);
    let post = run.json();
    assert_eq!(post["upload_ahead"], false, "{post}");
    assert_eq!(post["privacy"], "unlisted", "{post}");
    // Taken up by a post that was not: due now.
    let post = env.run(&["edit", "2", "--upload-ahead", "--json"]).json();
    assert_eq!(post["upload_ahead"], true, "{post}");

    let run = env.run(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    let state = yt.server.state();
    assert_eq!(
        state.videos.len(),
        1,
        "only post 2 was due: {:?}",
        state.videos
    );
    let sent = &state.sessions[0].metadata["status"];
    assert_eq!(sent["privacyStatus"], "private", "{sent}");
    assert_eq!(sent["publishAt"], rfc3339(at).as_str(), "{sent}");
    assert_eq!(shown(&env, 2)["state"], "uploaded");
    assert_eq!(shown(&env, 1)["state"], "scheduled");
}

/// Issue 12 review (R1): a post YouTube holds whose confirming runs cannot reach Google's token
/// endpoint stays `uploaded` however many runs fail (exit 75 each), never `failed` with a
/// `retry` offered; once the login works again the next run records it published, and no
/// second video is ever uploaded. A queue that recorded such a post `failed` (before the fix)
/// is retried without losing the video: the next run asks YouTube about it.
#[test]
fn r12_held_then_refresh_network_errors_then_retry_duplicates() {
    let yt = Yt::start(|_| {});
    let mut env = yt.connected();
    let now = sync_clock(&mut env, &yt);
    schedule(
        &env,
        now + chrono::Duration::minutes(10),
        "public",
        &["--upload-ahead"],
    )
    .ok();
    assert_eq!(env.run(&["run"]).code, 0);
    assert_eq!(shown(&env, 1)["state"], "uploaded");
    let video = shown(&env, 1)["post_id"].as_str().unwrap().to_string();
    let good = yt.server.token_url();
    yt.server.expire_access_tokens();
    env.set("POSTEZ_YOUTUBE_TOKEN_URL", "http://127.0.0.1:9/token");
    for _ in 0..8 {
        advance(&mut env, &yt, Duration::from_secs(2 * 3600));
        let run = env.run(&["run"]);
        assert_eq!(run.code, 75, "{run:?}");
        let p = shown(&env, 1);
        assert_eq!(p["state"], "uploaded", "{p}");
        assert_eq!(p["post_id"], video.as_str());
    }
    env.set("POSTEZ_YOUTUBE_TOKEN_URL", &good);
    advance(&mut env, &yt, Duration::from_secs(2 * 3600));
    let run = env.run(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(shown(&env, 1)["state"], "published");
    let st = yt.server.state();
    assert_eq!(st.videos.len(), 1);
    assert_eq!(st.sessions.len(), 1);

    // A queue from before the fix: the held post recorded `failed`. `edit` and `cancel` are
    // refused (the video is on YouTube); `retry` keeps its id, and the run asks, not uploads.
    env.sql(
        "UPDATE posts SET state = 'failed', last_error = 'gave up after 6 attempts' WHERE id = 1",
    );
    let edit = env.run(&["edit", "1", "--title", "New"]);
    assert!(edit.fails(2).contains("already on YouTube"), "{edit:?}");
    env.run(&["cancel", "1"]).fails(2);
    env.run(&["retry", "1"]).ok();
    assert_eq!(shown(&env, 1)["post_id"], video.as_str());
    let run = env.run(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    let p = shown(&env, 1);
    assert_eq!(p["state"], "published", "{p}");
    assert_eq!(p["post_id"], video.as_str());
    let st = yt.server.state();
    assert_eq!(st.videos.len(), 1, "a second video was uploaded");
    assert_eq!(st.sessions.len(), 1);
}

/// Issue 12 review (R2, R5): once an uploaded post's time has passed YouTube has made it
/// public, though no run has recorded so yet: `cancel` and `edit --at` are refused (exit 2,
/// nothing sent, the queue unchanged) with the Studio link, and the video stays; the same
/// within the hold margin before its time. The next run records it published.
#[test]
fn r12_cancel_after_its_time_deletes_a_public_video() {
    let yt = Yt::start(|_| {});
    let (mut env, at, video) = uploaded_ahead(&yt, &["--manage"]);
    // Within the margin before its time: YouTube is about to publish it.
    let now = advance(&mut env, &yt, Duration::from_secs(3600 - 60));
    assert!(at > now);
    let total =
        |st: &crate::fake_youtube::Snapshot| st.calls.values().sum::<u64>() + st.refresh_calls;
    let calls = total(&yt.server.state());
    let cancel = env.run(&["cancel", "1"]);
    assert!(
        cancel.fails(2).contains("about to make it public"),
        "{cancel:?}"
    );
    // After its time.
    let now = advance(&mut env, &yt, Duration::from_secs(3600));
    let before = env.db_bytes();
    let cancel = env.run(&["cancel", "1"]);
    let err = cancel.fails(2);
    assert!(err.contains("has made it public"), "{err}");
    assert!(err.contains(&format!("{STUDIO}{video}")), "{err}");
    let later = rfc3339(now + chrono::Duration::days(1));
    let edit = env.run(&["edit", "1", "--at", &later]);
    let err = edit.fails(2);
    assert!(err.contains("cannot be moved"), "{err}");
    assert!(
        err.contains("next `postez run` records it published"),
        "{err}"
    );
    assert_eq!(env.db_bytes(), before, "the queue changed");
    let st = yt.server.state();
    assert_eq!(total(&st), calls, "a refused change called YouTube");
    assert_eq!(st.count(Endpoint::VideosDelete), 0);
    assert!(st.video(&video).is_some_and(|v| !v.gone));
    let run = env.run(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(shown(&env, 1)["state"], "published");
}

/// Issue 12 review (R3): a post YouTube still holds private after its time is asked about 2,
/// 10 and 30 minutes later, then hourly (§4: polled sparingly), not at every run; 6 hours after
/// its time it is recorded published with YouTube's note, its video id kept, and never asked
/// about again.
#[test]
fn r12_late_hold_polled_every_run_forever() {
    let yt = Yt::start(|_| {});
    let (mut env, at, video) = uploaded_ahead(&yt, &[]);
    yt.server.set_force_private(true);
    let lists = |yt: &Yt| yt.server.state().count(Endpoint::VideosList);
    // At its time, then one run a minute for the first 45 minutes.
    advance(&mut env, &yt, Duration::from_secs(3600));
    let mut asked = Vec::new();
    for minute in 0..=45 {
        if minute > 0 {
            advance(&mut env, &yt, Duration::from_secs(60));
        }
        let before = lists(&yt);
        let run = env.run(&["run"]);
        assert_eq!(run.code, 0, "{run:?}");
        if lists(&yt) > before {
            asked.push(minute);
        }
        assert_eq!(shown(&env, 1)["state"], "uploaded");
    }
    assert_eq!(
        asked,
        vec![0, 2, 12, 42],
        "asked at these minutes after its time"
    );
    let post = shown(&env, 1);
    let next: DateTime<Utc> = post["next_attempt_at"].as_str().unwrap().parse().unwrap();
    // The fake's clock runs on meanwhile: to the few seconds.
    let hourly = at + chrono::Duration::minutes(42 + 60);
    assert!((next - hourly).num_seconds().abs() <= 5, "{post}");
    // Hourly until 6 hours after its time, then published with the note.
    advance(&mut env, &yt, Duration::from_secs(6 * 3600));
    assert_eq!(env.run(&["run"]).code, 0);
    let post = shown(&env, 1);
    assert_eq!(post["state"], "published", "{post}");
    assert_eq!(post["post_id"], video.as_str());
    let note = post["note"].to_string();
    assert!(note.contains("private"), "{post}");
    let asked = lists(&yt);
    advance(&mut env, &yt, Duration::from_secs(3600));
    env.run(&["run"]).ok();
    assert_eq!(lists(&yt), asked, "asked again after it was settled");
    assert_eq!(yt.server.state().sessions.len(), 1);
}

/// Issue 12 review (R4): the daily upload allowance is counted by the day the upload is made:
/// three uploads ahead for the next three days all go up at the next run, so with an allowance
/// of 1 the second and third warn for today, and `doctor` counts them today.
#[test]
fn r12_quota_warning_counts_the_wrong_day_for_uploads_ahead() {
    let yt = Yt::start(|_| {});
    let mut env = yt.connected();
    let now = sync_clock(&mut env, &yt);
    env.run(&["config", "set", "youtube_daily_uploads", "1"])
        .ok();
    let today = now
        .with_timezone(&chrono_tz::America::Los_Angeles)
        .format("%A %-d %B %Y")
        .to_string();
    let mut warnings = Vec::new();
    for d in 1..=3 {
        let run = schedule(
            &env,
            now + chrono::Duration::days(d),
            "public",
            &["--upload-ahead"],
        );
        assert_eq!(run.code, 0, "{run:?}");
        warnings.push(run.stderr.contains(&format!("queued for {today}")));
    }
    assert_eq!(warnings, vec![false, true, true]);
    let doctor = env.run(&["doctor"]);
    assert!(
        doctor
            .stdout
            .contains("3 of 1 uploads a day queued for today"),
        "{doctor:?}"
    );
    // Once uploaded (held by YouTube) they spend nothing more.
    assert_eq!(env.run(&["run"]).code, 0);
    let doctor = env.run(&["doctor"]);
    assert!(
        doctor
            .stdout
            .contains("0 of 1 uploads a day queued for today"),
        "{doctor:?}"
    );
}

/// Issue 12 review (R3, dry run): `run --dry-run` after an uploaded post's time lists its
/// confirmation (the run would ask YouTube), changing nothing.
#[test]
fn r12_dry_run_lists_a_confirmation() {
    let yt = Yt::start(|_| {});
    let (mut env, _, _) = uploaded_ahead(&yt, &[]);
    let before = yt.server.state().count(Endpoint::VideosList);
    let early = env.run(&["run", "--dry-run"]);
    assert!(!early.stdout.contains("would ask"), "{early:?}");
    advance(&mut env, &yt, Duration::from_secs(2 * 3600));
    let dry = env.run(&["run", "--dry-run"]);
    assert_eq!(dry.code, 0, "{dry:?}");
    let text = format!("{}{}", dry.stdout, dry.stderr);
    assert!(
        text.contains("would ask YouTube whether it is public"),
        "{dry:?}"
    );
    assert_eq!(shown(&env, 1)["state"], "uploaded");
    assert_eq!(yt.server.state().count(Endpoint::VideosList), before);
}

/// Issue 12 review (finding 5): a failed post that was to be uploaded ahead stays so through
/// `edit` and `retry` while YouTube can hold it (due now, not at its time); an edit to a time
/// too close says it will be uploaded the normal way.
#[test]
fn r12_retry_and_edit_keep_an_upload_ahead() {
    let yt = Yt::start(|_| {});
    let mut env = yt.connected();
    let now = sync_clock(&mut env, &yt);
    let at = now + chrono::Duration::hours(5);
    schedule(&env, at, "public", &["--upload-ahead"]).ok();
    // Failed before its upload (as a refused upload would leave it).
    env.sql("UPDATE posts SET state = 'failed', last_error = 'refused' WHERE id = 1");
    env.run(&["edit", "1", "--title", "Better"]).ok();
    env.run(&["retry", "1"]).ok();
    let post = shown(&env, 1);
    assert_eq!(post["upload_ahead"], true, "{post}");
    assert_eq!(post["scheduled_at"], rfc3339(at).as_str(), "{post}");
    assert_eq!(env.run(&["run"]).code, 0);
    assert_eq!(shown(&env, 1)["state"], "uploaded");

    // A second post, moved too close to its time: said so, and uploaded the normal way.
    schedule(&env, at, "public", &["--upload-ahead"]).ok();
    let close = rfc3339(now + chrono::Duration::seconds(60));
    let edit = env.run(&["edit", "2", "--at", &close]);
    assert_eq!(edit.code, 0, "{edit:?}");
    assert!(
        edit.stderr.contains("too close for YouTube to hold it"),
        "{edit:?}"
    );
    assert_eq!(shown(&env, 2)["upload_ahead"], false);
}

/// A video YouTube held and then lost (deleted in Studio) fails the post, and its `retry`
/// uploads it anew: only a video YouTube may still hold is asked about instead.
#[test]
fn r12_a_held_video_deleted_on_youtube_is_retried_with_a_new_upload() {
    let yt = Yt::start(|_| {});
    let (mut env, _, video) = uploaded_ahead(&yt, &[]);
    assert!(yt.server.remove_video(&video));
    advance(&mut env, &yt, Duration::from_secs(2 * 3600));
    env.run(&["run"]);
    assert_eq!(shown(&env, 1)["state"], "failed");
    env.run(&["retry", "1"]).ok();
    assert_eq!(env.run(&["run"]).code, 0);
    let post = shown(&env, 1);
    assert_eq!(post["state"], "published", "{post}");
    assert_ne!(post["post_id"], video.as_str());
    assert_eq!(yt.server.state().sessions.len(), 2);
}

/// Issue 12 review (R8): a quota refusal while asking about an upload ahead YouTube already has
/// leaves the post `uploaded` with its video id (recorded as soon as the upload's last reply
/// named it), not `scheduled` without one; after the quota's end the next run confirms the hold.
#[test]
fn r12_quota_during_poll_of_upload_ahead() {
    let yt = Yt::start(|_| {});
    let mut env = yt.connected();
    let now = sync_clock(&mut env, &yt);
    let at = now + chrono::Duration::hours(30);
    schedule(&env, at, "public", &["--upload-ahead"]).ok();
    yt.server.inject(crate::fake_youtube::Fault::Status {
        endpoint: Endpoint::VideosList,
        http: 403,
        reason: "quotaExceeded".into(),
        retry_after: None,
    });
    let run = env.run(&["run"]);
    assert_ne!(run.code, 0, "{run:?}");
    let post = shown(&env, 1);
    assert_eq!(post["state"], "uploaded", "{post}");
    let video = post["post_id"]
        .as_str()
        .expect("the video id is kept")
        .to_string();
    assert!(yt.server.state().video(&video).is_some());
    // After the quota's end (midnight Pacific time), the hold is confirmed.
    advance(&mut env, &yt, Duration::from_secs(25 * 3600));
    let run = env.run(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    let post = shown(&env, 1);
    assert_eq!(post["state"], "uploaded", "{post}");
    assert_eq!(post["post_id"], video.as_str());
    assert_eq!(post["scheduled_at"], rfc3339(at).as_str());
    assert_eq!(yt.server.state().sessions.len(), 1);
}
