//! The rest of the Data API (§4, §5, §8): quota per Pacific day and its three errors, scopes,
//! processing failure and rejection, the private lock, `publishAt`, channels and the uploads
//! playlist, update and delete, and the `/__fake/` control surface.

use std::time::Duration;

use chrono::Timelike;
use serde_json::{Value, json};

use super::*;
use crate::fake_youtube::{FakeChannel, Fault, SCOPE_MANAGE, Snapshot, pacific_day};

/// Seconds from the fake's now to the next midnight in Los Angeles, plus one.
fn to_next_pacific_day(fake: &FakeYouTube) -> Duration {
    let now = fake.now();
    let la = now.with_timezone(&chrono_tz::America::Los_Angeles);
    let left = 86_400 - u64::from(la.num_seconds_from_midnight());
    let d = Duration::from_secs(left + 1);
    assert_ne!(pacific_day(now + d), pacific_day(now));
    d
}

#[tokio::test]
async fn the_daily_upload_bucket_answers_429_until_pacific_midnight() {
    let fake = start_with(FakeOptions {
        daily_inserts: 2,
        ..Default::default()
    })
    .await;
    let token = connect(&fake).await;
    for _ in 0..2 {
        assert_eq!(init(&fake, &token, &meta(), 1000).await.status(), 200);
    }
    let (status, reason, body) = api_err(init(&fake, &token, &meta(), 1000).await).await;
    assert_eq!((status, reason.as_str()), (429, "rateLimitExceeded"));
    assert_eq!(body["error"]["errors"][0]["domain"], "global");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Video Uploads per day")
    );
    assert_eq!(
        fake.state().quota_today().inserts,
        2,
        "a refused init spends nothing"
    );
    // Not at UTC midnight: at Los Angeles midnight (§5.1).
    fake.advance_clock(to_next_pacific_day(&fake));
    let token = connect(&fake).await;
    assert_eq!(init(&fake, &token, &meta(), 1000).await.status(), 200);
    assert_eq!(fake.state().quota.len(), 2);

    fake.inject(Fault::DailyUploadsExceeded);
    assert_eq!(
        api_err(init(&fake, &token, &meta(), 1000).await).await.0,
        429
    );
    fake.inject(Fault::UploadLimitExceeded);
    let (status, reason, _) = api_err(init(&fake, &token, &meta(), 1000).await).await;
    assert_eq!((status, reason.as_str()), (400, "uploadLimitExceeded"));
    fake.inject(Fault::QuotaExceeded);
    let (status, reason, body) = api_err(init(&fake, &token, &meta(), 1000).await).await;
    assert_eq!((status, reason.as_str()), (403, "quotaExceeded"));
    assert_eq!(body["error"]["errors"][0]["domain"], "youtube.quota");
}

#[tokio::test]
async fn the_unit_pool_answers_403_quota_exceeded() {
    let fake = start_with(FakeOptions {
        daily_units: 3,
        ..Default::default()
    })
    .await;
    let token = connect(&fake).await;
    for _ in 0..3 {
        // An invalid request costs too (§5.1): no `part`.
        assert_eq!(
            api_get(&fake, &token, "channels?mine=true").await.status(),
            400
        );
    }
    let (status, reason, _) =
        api_err(api_get(&fake, &token, "channels?part=id&mine=true").await).await;
    assert_eq!((status, reason.as_str()), (403, "quotaExceeded"));
    // The upload bucket is separate.
    assert_eq!(init(&fake, &token, &meta(), 1000).await.status(), 200);
    assert_eq!(fake.state().quota_today().units, 3);
    // A test can start near exhaustion; the next Pacific day starts afresh.
    let fake = start().await;
    let token = connect(&fake).await;
    fake.spend_quota(10_000, 100);
    assert_eq!(
        api_get(&fake, &token, "channels?part=id&mine=true")
            .await
            .status(),
        403
    );
    assert_eq!(init(&fake, &token, &meta(), 1000).await.status(), 429);
    fake.advance_clock(to_next_pacific_day(&fake));
    let token = connect(&fake).await;
    assert_eq!(
        api_get(&fake, &token, "channels?part=id&mine=true")
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn scopes_gate_each_call() {
    let fake = start().await;
    let upload_only = connect_scope(&fake, SCOPE_UPLOAD).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let read_only = connect_scope(&fake, SCOPE_READONLY).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    // youtube.upload cannot list (§1.9); youtube.readonly cannot insert.
    let (s, r, _) = api_err(api_get(&fake, &upload_only, "videos?part=status&id=x").await).await;
    assert_eq!((s, r.as_str()), (403, "insufficientPermissions"));
    assert_eq!(
        api_get(&fake, &read_only, "videos?part=status&id=x")
            .await
            .status(),
        200
    );
    assert_eq!(
        api_err(init(&fake, &read_only, &meta(), 10).await).await.1,
        "insufficientPermissions"
    );
    // Neither may delete.
    let resp = client()
        .delete(format!("{}/youtube/v3/videos?id=x", fake.api_url()))
        .bearer_auth(&read_only)
        .send()
        .await
        .unwrap();
    assert_eq!(api_err(resp).await.1, "insufficientPermissions");
}

#[tokio::test]
async fn processing_can_fail_or_be_rejected_and_removed_videos_vanish() {
    let fake = start_with(FakeOptions {
        processing_polls: 0,
        ..Default::default()
    })
    .await;
    let token = connect(&fake).await;
    fake.inject(Fault::ProcessingFails {
        reason: "codec".into(),
    });
    let failed = upload(&fake, &token, &random_bytes(1000), 1000).await;
    fake.inject(Fault::Rejected {
        reason: "duplicate".into(),
    });
    let rejected = upload(&fake, &token, &random_bytes(1000), 1000).await;
    let ok = upload(&fake, &token, &random_bytes(1000), 1000).await;

    let v = video_status(&fake, &token, &failed).await;
    assert_eq!(v["status"]["uploadStatus"], "failed");
    assert_eq!(v["status"]["failureReason"], "codec");
    assert_eq!(v["processingDetails"]["processingStatus"], "failed");
    assert_eq!(
        v["processingDetails"]["processingFailureReason"],
        "transcodeFailed"
    );
    let v = video_status(&fake, &token, &rejected).await;
    assert_eq!(v["status"]["uploadStatus"], "rejected");
    assert_eq!(v["status"]["rejectionReason"], "duplicate");
    assert_eq!(
        video_status(&fake, &token, &ok).await["status"]["uploadStatus"],
        "processed"
    );

    // Several ids at once; unknown and removed ones are simply absent: 200, never 404 (§4).
    assert!(fake.remove_video(&rejected));
    let resp = api_get(
        &fake,
        &token,
        &format!("videos?part=id&id={ok},{rejected},nope"),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["items"].as_array().unwrap().len(), 1);
    assert_eq!(body["items"][0]["id"], ok.as_str());
    assert_eq!(video_status(&fake, &token, &rejected).await, Value::Null);
    // A bad part or no filter.
    assert_eq!(
        api_err(api_get(&fake, &token, &format!("videos?part=bogus&id={ok}")).await)
            .await
            .1,
        "unknownPart"
    );
    assert_eq!(api_get(&fake, &token, "videos?part=id").await.status(), 400);
}

#[tokio::test]
async fn an_unaudited_project_gets_its_public_upload_locked_private() {
    let fake = start_with(FakeOptions {
        processing_polls: 0,
        force_private: true,
        ..Default::default()
    })
    .await;
    let token = connect(&fake).await;
    let mut m = meta();
    m["status"]["privacyStatus"] = json!("public");
    let uri = {
        let resp = init(&fake, &token, &m, 10).await;
        resp.headers()["location"].to_str().unwrap().to_string()
    };
    let resp = put(&uri, &token, &random_bytes(10), 0, 10).await.unwrap();
    let id = resp.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        video_status(&fake, &token, &id).await["status"]["privacyStatus"],
        "private"
    );
    let snap = fake.state();
    assert_eq!(snap.videos[0].requested_privacy, "public");
    fake.set_force_private(false);
    assert_eq!(
        video_status(&fake, &token, &id).await["status"]["privacyStatus"],
        "public"
    );
}

#[tokio::test]
async fn publish_at_keeps_a_video_private_until_the_fake_clock_passes_it() {
    let fake = start_with(FakeOptions {
        processing_polls: 0,
        ..Default::default()
    })
    .await;
    let token = connect(&fake).await;
    let at = fake.now() + chrono::TimeDelta::hours(2);
    let mut m = meta();
    m["status"]["publishAt"] = json!(at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    let resp = init(&fake, &token, &m, 10).await;
    let uri = resp.headers()["location"].to_str().unwrap().to_string();
    let v: Value = put(&uri, &token, &random_bytes(10), 0, 10)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = v["id"].as_str().unwrap().to_string();
    assert!(v["status"]["publishAt"].is_string());
    let s = video_status(&fake, &token, &id).await;
    assert_eq!(s["status"]["privacyStatus"], "private");
    fake.advance_clock(Duration::from_secs(2 * 3600 + 1));
    let token = connect(&fake).await;
    assert_eq!(
        video_status(&fake, &token, &id).await["status"]["privacyStatus"],
        "public"
    );

    // A past publishAt publishes as soon as the video is processed (§8).
    let mut m = meta();
    m["status"]["publishAt"] = json!("2020-01-01T00:00:00Z");
    let uri = init(&fake, &token, &m, 10).await.headers()["location"]
        .to_str()
        .unwrap()
        .to_string();
    let v: Value = put(&uri, &token, &random_bytes(10), 0, 10)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let s = video_status(&fake, &token, v["id"].as_str().unwrap()).await;
    assert_eq!(s["status"]["privacyStatus"], "public");
}

#[tokio::test]
async fn update_and_delete_need_the_manage_scope_and_follow_the_publish_at_rules() {
    let fake = start_with(FakeOptions {
        processing_polls: 0,
        ..Default::default()
    })
    .await;
    let postez = connect(&fake).await;
    let id = upload(&fake, &postez, &random_bytes(100), 100).await;
    let update = |token: String, body: Value| {
        let url = format!("{}/youtube/v3/videos?part=status", fake.api_url());
        async move {
            client()
                .put(url)
                .bearer_auth(token)
                .header("Content-Type", "application/json")
                .body(body.to_string())
                .send()
                .await
                .unwrap()
        }
    };
    let later = (fake.now() + chrono::TimeDelta::days(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let status = |privacy: &str, at: Option<&str>| {
        let mut s = json!({"privacyStatus": privacy, "selfDeclaredMadeForKids": false});
        if let Some(at) = at {
            s["publishAt"] = json!(at);
        }
        json!({"id": id, "status": s})
    };
    let resp = update(postez.clone(), status("private", Some(&later))).await;
    assert_eq!(api_err(resp).await.1, "insufficientPermissions");

    let manage =
        connect_scope(&fake, &format!("{} {SCOPE_MANAGE}", scopes())).await["access_token"]
            .as_str()
            .unwrap()
            .to_string();
    let units = fake.state().quota_today().units;
    // publishAt needs privacyStatus private in the same request.
    let resp = update(manage.clone(), status("public", Some(&later))).await;
    assert_eq!(api_err(resp).await.1, "invalidPublishAt");
    // The whole part is replaced: privacyStatus may not be left out.
    let resp = update(
        manage.clone(),
        json!({"id": id, "status": {"publishAt": later}}),
    )
    .await;
    assert_eq!(api_err(resp).await.1, "invalidVideoMetadata");
    let resp = update(manage.clone(), status("private", Some(&later))).await;
    assert_eq!(resp.status(), 200);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["status"]["privacyStatus"], "private");
    assert!(v["status"]["publishAt"].is_string());
    // Published once, it can never be scheduled again.
    assert_eq!(
        update(manage.clone(), status("public", None))
            .await
            .status(),
        200
    );
    let resp = update(manage.clone(), status("private", Some(&later))).await;
    assert_eq!(api_err(resp).await.1, "invalidPublishAt");
    let resp = update(
        manage.clone(),
        json!({"id": "nope", "status": {"privacyStatus": "private"}}),
    )
    .await;
    assert_eq!(api_err(resp).await.0, 404);
    // 50 units per update (§5.1), invalid ones included.
    assert_eq!(fake.state().quota_today().units - units, 6 * 50);

    let delete = |id: String| {
        let url = format!("{}/youtube/v3/videos?id={id}", fake.api_url());
        let token = manage.clone();
        async move {
            client()
                .delete(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(delete(id.clone()).await.status(), 204);
    assert_eq!(video_status(&fake, &manage, &id).await, Value::Null);
    let (status, reason, _) = api_err(delete(id.clone()).await).await;
    assert_eq!((status, reason.as_str()), (404, "videoNotFound"));
}

#[tokio::test]
async fn channels_and_the_uploads_playlist() {
    let fake = start().await;
    let token = connect(&fake).await;
    let resp = api_get(
        &fake,
        &token,
        "channels?part=snippet,contentDetails&mine=true",
    )
    .await;
    let ch: Value = resp.json().await.unwrap();
    let item = &ch["items"][0];
    assert_eq!(item["snippet"]["title"], "Fake Channel");
    let uploads = item["contentDetails"]["relatedPlaylists"]["uploads"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(uploads.starts_with("UU"));

    let ids: Vec<String> = {
        let mut v = Vec::new();
        for _ in 0..3 {
            v.push(upload(&fake, &token, &random_bytes(10), 10).await);
        }
        v
    };
    let page: Value = api_get(
        &fake,
        &token,
        &format!("playlistItems?part=contentDetails&playlistId={uploads}&maxResults=2"),
    )
    .await
    .json()
    .await
    .unwrap();
    // Newest first, paged.
    assert_eq!(
        page["items"][0]["contentDetails"]["videoId"],
        ids[2].as_str()
    );
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let next = page["nextPageToken"].as_str().unwrap();
    let page: Value = api_get(
        &fake,
        &token,
        &format!(
            "playlistItems?part=contentDetails&playlistId={uploads}&maxResults=2&pageToken={next}"
        ),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        page["items"][0]["contentDetails"]["videoId"],
        ids[0].as_str()
    );
    assert!(page.get("nextPageToken").is_none());
    let resp = api_get(&fake, &token, "playlistItems?part=id&playlistId=PLother").await;
    assert_eq!(api_err(resp).await.1, "playlistNotFound");

    // An account without a channel: items [] and inserts refused (§4, §3.3).
    fake.set_channel(FakeChannel {
        missing: true,
        ..Default::default()
    });
    let ch: Value = api_get(&fake, &token, "channels?part=snippet&mine=true")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ch["items"], json!([]));
    let (status, reason, _) = api_err(init(&fake, &token, &meta(), 10).await).await;
    assert_eq!((status, reason.as_str()), (401, "youtubeSignupRequired"));
}

#[tokio::test]
async fn control_surface_over_http() {
    let fake = start().await;
    let token = connect(&fake).await;
    let post = |path: &str, body: Value| {
        let url = format!("{}{path}", fake.base_url());
        async move {
            client()
                .post(url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(
        post("/__fake/faults", json!({"kind": "status", "endpoint": "channels_list", "http": 500, "reason": "backendError"})).await,
        204
    );
    assert_eq!(
        post("/__fake/faults", json!({"kind": "final_reply_lost"})).await,
        204
    );
    assert_eq!(post("/__fake/faults", json!({"kind": "nope"})).await, 400);
    let snap: Snapshot = client()
        .get(format!("{}/__fake/state", fake.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(snap.pending_faults.len(), 2);
    assert_eq!(snap.tokens, fake.state().tokens);
    assert_eq!(
        api_get(&fake, &token, "channels?part=id&mine=true")
            .await
            .status(),
        500
    );
    assert_eq!(
        api_get(&fake, &token, "channels?part=id&mine=true")
            .await
            .status(),
        200
    );

    let before = fake.now();
    assert_eq!(post("/__fake/advance", json!({"secs": 7200})).await, 204);
    assert!(fake.now() - before >= chrono::TimeDelta::hours(2));
    assert_eq!(
        api_get(&fake, &token, "channels?part=id&mine=true")
            .await
            .status(),
        401
    );
    assert_eq!(
        post(
            "/__fake/settings",
            json!({"force_private": true, "processing_polls": 4})
        )
        .await,
        204
    );
    assert_eq!(post("/__fake/settings", json!({"bogus": 1})).await, 400);
    assert_eq!(post("/__fake/expire-sessions", json!(null)).await, 204);
    assert_eq!(post("/__fake/reset", json!(null)).await, 204);
    let snap = fake.state();
    assert!(snap.tokens.is_empty() && snap.calls.is_empty() && snap.pending_faults.is_empty());
    connect(&fake).await;
}

#[tokio::test]
async fn thumbnails_need_an_image_and_apply_only_after_processing() {
    let fake = start_with(FakeOptions {
        processing_polls: 1,
        ..Default::default()
    })
    .await;
    let token = connect(&fake).await;
    let id = upload(&fake, &token, &random_bytes(100), 100).await;
    let set = |id: String, ct: &'static str, body: Vec<u8>| {
        let url = format!(
            "{}/upload/youtube/v3/thumbnails/set?videoId={id}",
            fake.api_url()
        );
        let token = token.clone();
        async move {
            client()
                .post(url)
                .bearer_auth(token)
                .header("Content-Type", ct)
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0];
    jpeg.extend(random_bytes(1000));
    let units = fake.state().quota_today().units;
    // Before processing succeeded: 200, but not applied (§7).
    assert_eq!(
        set(id.clone(), "image/jpeg", jpeg.clone()).await.status(),
        200
    );
    let early = fake.state().video(&id).unwrap().thumbnail.clone().unwrap();
    assert!(!early.applied);
    video_status(&fake, &token, &id).await;
    video_status(&fake, &token, &id).await;
    assert_eq!(
        set(id.clone(), "image/jpeg", jpeg.clone()).await.status(),
        200
    );
    let thumb = fake.state().video(&id).unwrap().thumbnail.clone().unwrap();
    assert!(thumb.applied);
    assert_eq!(thumb.sha256, sha(&jpeg));
    let cases = [
        (id.clone(), "image/gif", jpeg.clone(), "invalidImage"),
        (
            id.clone(),
            "image/png",
            b"not a png".to_vec(),
            "invalidImage",
        ),
        (id.clone(), "image/png", Vec::new(), "mediaBodyRequired"),
        (
            "nope".to_string(),
            "image/jpeg",
            jpeg.clone(),
            "videoNotFound",
        ),
    ];
    for (vid, ct, body, want) in cases {
        assert_eq!(api_err(set(vid, ct, body).await).await.1, want);
    }
    // 50 units each (§5.1), the two that worked and the four refused.
    assert_eq!(fake.state().quota_today().units - units, 2 + 6 * 50);
}

#[tokio::test]
async fn a_snippet_update_replaces_the_whole_part() {
    let fake = start().await;
    let token = connect_scope(&fake, &format!("{} {SCOPE_MANAGE}", scopes())).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let id = upload(&fake, &token, &random_bytes(100), 100).await;
    let update = |body: Value| {
        let url = format!("{}/youtube/v3/videos?part=snippet", fake.api_url());
        let token = token.clone();
        async move {
            client()
                .put(url)
                .bearer_auth(token)
                .header("Content-Type", "application/json; charset=UTF-8")
                .body(body.to_string())
                .send()
                .await
                .unwrap()
        }
    };
    // `part=snippet` needs title and categoryId (§3.1).
    let resp = update(json!({"id": id, "snippet": {"title": "New"}})).await;
    assert_eq!(api_err(resp).await.1, "invalidVideoMetadata");
    let resp =
        update(json!({"id": id, "snippet": {"title": "x".repeat(101), "categoryId": "22"}})).await;
    assert_eq!(api_err(resp).await.1, "invalidTitle");
    let resp = update(json!({"id": id, "status": {"privacyStatus": "private"}})).await;
    assert_eq!(
        api_err(resp).await.1,
        "invalidVideoMetadata",
        "part names snippet"
    );
    let resp = update(json!({"id": id, "snippet": {"title": "New", "categoryId": "10"}})).await;
    assert_eq!(resp.status(), 200);
    let v: Value = api_get(&fake, &token, &format!("videos?part=snippet&id={id}"))
        .await
        .json()
        .await
        .unwrap();
    let snippet = &v["items"][0]["snippet"];
    assert_eq!(snippet["title"], "New");
    assert_eq!(snippet["categoryId"], "10");
    // Replaced whole: the description and tags sent at insert are gone.
    assert_eq!(snippet["description"], "");
    assert!(snippet.get("tags").is_none());
}
