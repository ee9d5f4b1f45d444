//! Content Posting strictness: creator info, init validation (post_info, chunk plans, scopes,
//! unaudited apps), rate limits, and the status sequence.

use std::time::Duration;

use serde_json::{Value, json};

use super::fake_tiktok::{Endpoint, FakeOptions, FakeUser, Fault, PublishMode};
use super::*;

const DIRECT: &str = "/v2/post/publish/video/init/";
const INBOX: &str = "/v2/post/publish/inbox/video/init/";
const CREATOR: &str = "/v2/post/publish/creator_info/query/";
const MIB5: u64 = 5 * 1024 * 1024;

async fn init_status(
    fake: &FakeTikTok,
    token: &str,
    path: &str,
    body: &Value,
) -> (u16, String, String) {
    let (status, code, body) = envelope(api_post(fake, path, token, body).await).await;
    (
        status,
        code,
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

#[tokio::test]
async fn creator_info_shape_scope_and_spam_codes() {
    let fake = start().await;
    let token = connect(&fake).await;
    let (status, code, body) = envelope(api_post(&fake, CREATOR, &token, &Value::Null).await).await;
    assert_eq!((status, code.as_str()), (200, "ok"));
    let d = &body["data"];
    for key in [
        "creator_avatar_url",
        "creator_username",
        "creator_nickname",
        "privacy_level_options",
        "comment_disabled",
        "duet_disabled",
        "stitch_disabled",
        "max_video_post_duration_sec",
    ] {
        assert!(!d[key].is_null(), "{key}");
    }
    fake.inject(Fault::CreatorCannotPost {
        code: "spam_risk_too_many_posts".into(),
    });
    let (status, code, _) = envelope(api_post(&fake, CREATOR, &token, &Value::Null).await).await;
    assert_eq!((status, code.as_str()), (200, "spam_risk_too_many_posts"));

    let upload_only = connect_with(&fake, "user.info.basic,video.upload").await;
    let t = upload_only["access_token"].as_str().unwrap();
    let (status, code, _) = envelope(api_post(&fake, CREATOR, t, &Value::Null).await).await;
    assert_eq!((status, code.as_str()), (401, "scope_not_authorized"));
    // ...and it cannot Direct Post either, but may use the inbox.
    let (status, code, _) =
        init_status(&fake, t, DIRECT, &direct_body("SELF_ONLY", 1000, 1000, 1)).await;
    assert_eq!((status, code.as_str()), (401, "scope_not_authorized"));
    let inbox = json!({"source_info": {"source": "FILE_UPLOAD", "video_size": 1000, "chunk_size": 1000, "total_chunk_count": 1}});
    assert_eq!(init_status(&fake, t, INBOX, &inbox).await.1, "ok");
}

#[tokio::test]
async fn chunk_plans_are_checked_exactly() {
    // A long window would make 6 inits per token the limit; give each case a fresh token.
    let fake = start_with(FakeOptions {
        rate_window: Duration::from_millis(1),
        ..Default::default()
    })
    .await;
    let token = connect(&fake).await;
    let bad: &[(u64, u64, u64, &str)] = &[
        // (video_size, chunk_size, total_chunk_count, message)
        (
            10_000_000,
            10_000_000,
            2,
            "The total chunk count is invalid",
        ),
        (15_000_000, 10_000_000, 1, "The chunk size is invalid"), // single chunk must be whole
        (4_000_000, 5_000_000, 1, "The chunk size is invalid"),   // chunk > size
        (64_000_001, 64_000_001, 1, "The chunk size is invalid"), // > 64 MB must be chunked
        (127_999_999, 64_000_000, 1, "The chunk size is invalid"), // ...even if floor() gives 1
        (12_000_000, 5_000_000, 2, "The chunk size is invalid"),  // 5,000,000 < 5 MiB
        (
            50_000_123,
            10_000_000,
            4,
            "The total chunk count is invalid",
        ), // count is floor(), not ceil()
        (
            50_000_123,
            10_000_000,
            6,
            "The total chunk count is invalid",
        ),
        (200_000_000, 65_000_000, 3, "The chunk size is invalid"), // > 64,000,000 (fits 64 MiB)
        (0, 0, 0, "The video size is invalid"),
        (4_000_000_001, 64_000_000, 62, "The video size is invalid"),
        (6_000_000_000, 5_242_880, 1144, "The video size is invalid"),
    ];
    for &(size, chunk, count, msg) in bad {
        let (status, code, message) = init_status(
            &fake,
            &token,
            DIRECT,
            &direct_body("PUBLIC_TO_EVERYONE", size, chunk, count),
        )
        .await;
        assert_eq!(
            (status, code.as_str(), message.as_str()),
            (400, "invalid_params", msg),
            "{size}/{chunk}/{count}"
        );
    }
    let good: &[(u64, u64, u64)] = &[
        (1, 1, 1),
        (4_999_999, 4_999_999, 1),
        (64_000_000, 64_000_000, 1),
        (20_000_000, 10_000_000, 2),
        (50_000_123, 10_000_000, 5), // TikTok's worked example
        (70_000_000, 10_000_000, 7),
        (MIB5 * 2, MIB5, 2),
        (191_999_999, 64_000_000, 2), // final chunk 127,999,999 <= 128,000,000
        (4_000_000_000, 64_000_000, 62),
    ];
    for &(size, chunk, count) in good {
        let (status, code, message) = init_status(
            &fake,
            &token,
            DIRECT,
            &direct_body("PUBLIC_TO_EVERYONE", size, chunk, count),
        )
        .await;
        assert_eq!(
            (status, code.as_str()),
            (200, "ok"),
            "{size}/{chunk}/{count}: {message}"
        );
    }
    // Types: strings and floats are not integers.
    let mut body = direct_body("SELF_ONLY", 1000, 1000, 1);
    body["source_info"]["video_size"] = json!("1000");
    assert_eq!(init_status(&fake, &token, DIRECT, &body).await.0, 400);
    body["source_info"]["video_size"] = json!(1000.0);
    assert_eq!(init_status(&fake, &token, DIRECT, &body).await.0, 400);
}

#[tokio::test]
async fn post_info_rules() {
    let fake = start_with(FakeOptions {
        rate_window: Duration::from_millis(1),
        ..Default::default()
    })
    .await;
    let token = connect(&fake).await;
    let ok_body = direct_body("PUBLIC_TO_EVERYONE", 1000, 1000, 1);
    let check = |mutate: fn(&mut Value)| {
        let mut b = ok_body.clone();
        mutate(&mut b);
        b
    };
    let cases: Vec<(Value, u16, &str)> = vec![
        (
            check(|b| {
                b["post_info"]
                    .as_object_mut()
                    .unwrap()
                    .remove("privacy_level");
            }),
            400,
            "invalid_params",
        ),
        (
            check(|b| b["post_info"]["privacy_level"] = json!("PUBLIC")),
            400,
            "invalid_params",
        ),
        (
            check(|b| b["post_info"]["privacy_level"] = json!("FOLLOWER_OF_CREATOR")),
            403,
            "privacy_level_option_mismatch",
        ),
        (
            check(|b| {
                b["post_info"]
                    .as_object_mut()
                    .unwrap()
                    .remove("brand_content_toggle");
            }),
            400,
            "invalid_params",
        ),
        (
            check(|b| b["post_info"]["disable_comment"] = json!("false")),
            400,
            "invalid_params",
        ),
        (
            check(|b| b["post_info"]["disable_comments"] = json!(true)),
            400,
            "invalid_params",
        ),
        (
            check(|b| {
                b["post_info"]["brand_content_toggle"] = json!(true);
                b["post_info"]["privacy_level"] = json!("SELF_ONLY");
            }),
            400,
            "invalid_params",
        ),
        // 1101 emoji = 2202 UTF-16 units but only 1101 chars.
        (
            check(|b| b["post_info"]["title"] = json!("😀".repeat(1101))),
            400,
            "invalid_params",
        ),
        (
            check(|b| {
                b.as_object_mut().unwrap().remove("post_info");
            }),
            400,
            "invalid_params",
        ),
        (
            check(|b| b["post_mode"] = json!("DIRECT_POST")),
            400,
            "invalid_params",
        ),
        (
            check(|b| {
                b["source_info"] =
                    json!({"source": "PULL_FROM_URL", "video_url": "https://example.com/a.mp4"})
            }),
            403,
            "url_ownership_unverified",
        ),
        (
            check(|b| b["source_info"]["source"] = json!("FILE")),
            400,
            "invalid_params",
        ),
    ];
    for (body, http, code) in cases {
        let (s, c, m) = init_status(&fake, &token, DIRECT, &body).await;
        assert_eq!((s, c.as_str()), (http, code), "{body} → {m}");
    }
    let mut max_title = ok_body.clone();
    max_title["post_info"]["title"] = json!("😀".repeat(1100));
    assert_eq!(init_status(&fake, &token, DIRECT, &max_title).await.1, "ok");

    // Content-Type must be JSON.
    let resp = client()
        .post(format!("{}{DIRECT}", fake.base_url()))
        .bearer_auth(&token)
        .header("Content-Type", "text/plain")
        .body(ok_body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(envelope(resp).await.0, 400);
    let resp = client()
        .post(format!("{}{DIRECT}", fake.base_url()))
        .bearer_auth(&token)
        .header("Content-Type", "application/json")
        .body(ok_body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(envelope(resp).await.1, "ok", "charset is optional");

    // Inbox: source_info only.
    let (s, c, _) = init_status(&fake, &token, INBOX, &ok_body).await;
    assert_eq!((s, c.as_str()), (400, "invalid_params"));

    // Unaudited apps may only post SELF_ONLY.
    fake.set_unaudited(true);
    let (s, c, _) = init_status(&fake, &token, DIRECT, &ok_body).await;
    assert_eq!(
        (s, c.as_str()),
        (403, "unaudited_client_can_only_post_to_private_accounts")
    );
    let (s, c, _) = init_status(
        &fake,
        &token,
        DIRECT,
        &direct_body("SELF_ONLY", 1000, 1000, 1),
    )
    .await;
    assert_eq!((s, c.as_str()), (200, "ok"));
}

#[tokio::test]
async fn rate_limits_per_token_and_window() {
    let fake = start_with(FakeOptions {
        rate_window: Duration::from_millis(1500),
        ..Default::default()
    })
    .await;
    let token = connect(&fake).await;
    for i in 0..20 {
        let (s, _, _) = envelope(api_post(&fake, CREATOR, &token, &Value::Null).await).await;
        assert_eq!(s, 200, "call {i}");
    }
    let (s, c, _) = envelope(api_post(&fake, CREATOR, &token, &Value::Null).await).await;
    assert_eq!((s, c.as_str()), (429, "rate_limit_exceeded"));
    // Another token of the same user has its own bucket.
    let other = connect(&fake).await;
    assert_eq!(
        envelope(api_post(&fake, CREATOR, &other, &Value::Null).await)
            .await
            .0,
        200
    );

    for i in 0..6 {
        let (s, c, _) = init_status(
            &fake,
            &token,
            DIRECT,
            &direct_body("SELF_ONLY", 1000, 1000, 1),
        )
        .await;
        assert_eq!((s, c.as_str()), (200, "ok"), "init {i}");
    }
    let (s, c, _) = init_status(
        &fake,
        &token,
        DIRECT,
        &direct_body("SELF_ONLY", 1000, 1000, 1),
    )
    .await;
    assert_eq!((s, c.as_str()), (429, "rate_limit_exceeded"));

    let id = fake.state().publishes[0].publish_id.clone();
    for _ in 0..30 {
        assert_eq!(status(&fake, &token, &id).await.0, 200);
    }
    assert_eq!(status(&fake, &token, &id).await.1, "rate_limit_exceeded");

    tokio::time::sleep(Duration::from_millis(1600)).await;
    assert_eq!(
        envelope(api_post(&fake, CREATOR, &token, &Value::Null).await)
            .await
            .0,
        200
    );
    assert_eq!(
        init_status(
            &fake,
            &token,
            DIRECT,
            &direct_body("SELF_ONLY", 1000, 1000, 1)
        )
        .await
        .1,
        "ok"
    );
}

#[tokio::test]
async fn status_sequence_direct_public_private_and_inbox() {
    let fake = start_with(FakeOptions {
        processing_polls: 2,
        ..Default::default()
    })
    .await;
    let token = connect(&fake).await;
    envelope(api_post(&fake, CREATOR, &token, &Value::Null).await).await;
    let data = mp4_bytes(3000, 5);

    let (id, url) = init_direct(&fake, &token, "PUBLIC_TO_EVERYONE", 3000, 3000, 1).await;
    let (_, code, body) = status(&fake, &token, &id).await;
    assert_eq!(code, "ok");
    assert_eq!(body["data"]["status"], "PROCESSING_UPLOAD");
    assert_eq!(body["data"]["uploaded_bytes"], 0);
    assert_eq!(put(&url, &data, 0, 3000).await.unwrap().status(), 201);
    for _ in 0..2 {
        let (_, _, body) = status(&fake, &token, &id).await;
        assert_eq!(body["data"]["status"], "PROCESSING_UPLOAD");
        assert_eq!(body["data"]["uploaded_bytes"], 3000);
    }
    let (_, _, body) = status(&fake, &token, &id).await;
    assert_eq!(body["data"]["status"], "PUBLISH_COMPLETE");
    let ids = body["data"]["publicaly_available_post_id"]
        .as_array()
        .unwrap();
    assert_eq!(ids.len(), 1);
    assert!(
        ids[0].as_i64().unwrap() > 1 << 53,
        "a real int64, beyond f64 precision"
    );
    let info = fake.state().publish(&id).unwrap().clone();
    assert_eq!(info.post_id, ids[0].as_i64());
    assert_eq!(info.mode, PublishMode::Direct);
    assert!(info.creator_info_checked);
    assert_eq!(info.post_info.unwrap()["title"], "hello #fake");

    // SELF_ONLY: complete but nothing public; and creator_info was not called again.
    fake.set_processing_polls(0);
    let (id, url) = init_direct(&fake, &token, "SELF_ONLY", 3000, 3000, 1).await;
    put(&url, &data, 0, 3000).await.unwrap();
    let (_, _, body) = status(&fake, &token, &id).await;
    assert_eq!(body["data"]["status"], "PUBLISH_COMPLETE");
    assert_eq!(body["data"]["publicaly_available_post_id"], json!([]));
    assert!(!fake.state().publish(&id).unwrap().creator_info_checked);

    // Inbox.
    let inbox = json!({"source_info": {"source": "FILE_UPLOAD", "video_size": 3000, "chunk_size": 3000, "total_chunk_count": 1}});
    let (_, _, body) = envelope(api_post(&fake, INBOX, &token, &inbox).await).await;
    let id = body["data"]["publish_id"].as_str().unwrap();
    assert!(id.starts_with("v_inbox_file~"));
    put(body["data"]["upload_url"].as_str().unwrap(), &data, 0, 3000)
        .await
        .unwrap();
    assert_eq!(
        status(&fake, &token, id).await.2["data"]["status"],
        "SEND_TO_USER_INBOX"
    );

    // Unknown id, someone else's id, missing body field, not JSON.
    assert_eq!(
        status(&fake, &token, "v_pub_file~v2-1.123").await.1,
        "invalid_publish_id"
    );
    fake.set_user(FakeUser {
        open_id: "someone-else".into(),
        ..Default::default()
    });
    let stranger = connect(&fake).await;
    let (s, c, _) = status(&fake, &stranger, id).await;
    assert_eq!(
        (s, c.as_str()),
        (400, "token_not_authorized_for_specified_publish_id")
    );
    let (s, c, _) =
        envelope(api_post(&fake, "/v2/post/publish/status/fetch/", &token, &json!({})).await).await;
    assert_eq!((s, c.as_str()), (400, "invalid_params"));
}

#[tokio::test]
async fn failed_publishes() {
    let fake = start_with(FakeOptions {
        processing_polls: 0,
        ..Default::default()
    })
    .await;
    let token = connect(&fake).await;

    fake.inject(Fault::PublishFails {
        reason: "spam_risk_text".into(),
    });
    let (id, url) = init_direct(&fake, &token, "PUBLIC_TO_EVERYONE", 3000, 3000, 1).await;
    put(&url, &mp4_bytes(3000, 5), 0, 3000).await.unwrap();
    let (_, _, body) = status(&fake, &token, &id).await;
    assert_eq!(body["data"]["status"], "FAILED");
    assert_eq!(body["data"]["fail_reason"], "spam_risk_text");
    assert!(body["data"].get("publicaly_available_post_id").is_none());

    // Not a video: TikTok's processing rejects it.
    let (id, url) = init_direct(&fake, &token, "PUBLIC_TO_EVERYONE", 3000, 3000, 1).await;
    put(&url, &[b'x'; 3000], 0, 3000).await.unwrap();
    assert_eq!(
        status(&fake, &token, &id).await.2["data"]["fail_reason"],
        "file_format_check_failed"
    );

    // Longer than the creator may post (default 300 s).
    let (id, url) = init_direct(&fake, &token, "PUBLIC_TO_EVERYONE", 3000, 3000, 1).await;
    put(&url, &mp4_bytes(3000, 301), 0, 3000).await.unwrap();
    assert_eq!(
        status(&fake, &token, &id).await.2["data"]["fail_reason"],
        "duration_check_failed"
    );
}

#[tokio::test]
async fn a_real_ffmpeg_mp4_passes_the_media_check() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.mp4");
    let made = std::process::Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=duration=2:size=360x640:rate=30",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
        ])
        .arg(&path)
        .status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("ffmpeg with libx264 not available; skipping");
        return;
    }
    let data = std::fs::read(&path).unwrap();
    let size = data.len() as u64;
    let fake = start_with(FakeOptions {
        processing_polls: 0,
        ..Default::default()
    })
    .await;
    let token = connect(&fake).await;
    let (id, url) = init_direct(&fake, &token, "SELF_ONLY", size, size, 1).await;
    assert_eq!(put(&url, &data, 0, size).await.unwrap().status(), 201);
    assert_eq!(
        status(&fake, &token, &id).await.2["data"]["status"],
        "PUBLISH_COMPLETE"
    );

    fake.set_user(FakeUser {
        max_video_post_duration_sec: 1,
        ..Default::default()
    });
    let (id, url) = init_direct(&fake, &token, "SELF_ONLY", size, size, 1).await;
    put(&url, &data, 0, size).await.unwrap();
    assert_eq!(
        status(&fake, &token, &id).await.2["data"]["fail_reason"],
        "duration_check_failed"
    );
}

#[tokio::test]
async fn inbox_pending_share_cap_and_envelope_faults() {
    let fake = start_with(FakeOptions {
        rate_window: Duration::from_millis(1),
        ..Default::default()
    })
    .await;
    let token = connect(&fake).await;
    let inbox = json!({"source_info": {"source": "FILE_UPLOAD", "video_size": 1000, "chunk_size": 1000, "total_chunk_count": 1}});
    for _ in 0..5 {
        assert_eq!(init_status(&fake, &token, INBOX, &inbox).await.1, "ok");
    }
    let (s, c, _) = init_status(&fake, &token, INBOX, &inbox).await;
    assert_eq!((s, c.as_str()), (403, "spam_risk_too_many_pending_share"));

    fake.inject(Fault::Status {
        endpoint: Endpoint::DirectInit,
        http: 500,
        code: "internal_error".into(),
    });
    let (s, c, _) = init_status(
        &fake,
        &token,
        DIRECT,
        &direct_body("SELF_ONLY", 1000, 1000, 1),
    )
    .await;
    assert_eq!((s, c.as_str()), (500, "internal_error"));
    assert_eq!(
        init_status(
            &fake,
            &token,
            DIRECT,
            &direct_body("SELF_ONLY", 1000, 1000, 1)
        )
        .await
        .1,
        "ok"
    );
    assert_eq!(fake.state().count(Endpoint::DirectInit), 2);
}
