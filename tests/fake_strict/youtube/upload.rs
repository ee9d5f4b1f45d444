//! Resumable upload strictness (§2, §3): the init's metadata and headers, Content-Range rules,
//! the 256 KiB multiple, gaps and overlaps, status queries, session expiry, and the
//! connection-level faults including the lost final reply (§2.5).

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};

use super::*;
use crate::fake_youtube::{Fault, SessionState};

const UNIT: usize = CHUNK_UNIT as usize;

#[tokio::test]
async fn status_queries_report_what_is_stored() {
    let fake = start().await;
    let token = connect(&fake).await;
    let data = random_bytes(UNIT + 10);
    let total = data.len() as u64;
    let uri = session(&fake, &token, total).await;
    // Nothing stored: 308 without Range (§2.3).
    let resp = query(&uri, &token, total).await;
    assert_eq!(resp.status(), 308);
    assert_eq!(range(&resp), None);
    put(&uri, &token, &data[..UNIT], 0, total).await.unwrap();
    let resp = query(&uri, &token, total).await;
    assert_eq!(resp.status(), 308);
    assert_eq!(range(&resp).as_deref(), Some("bytes=0-262143"));
    assert!(resp.headers().get("location").is_none());
    // A query needs the right total and an empty body.
    assert_eq!(query(&uri, &token, total + 1).await.status(), 400);
    let resp = put(&uri, &token, &data[UNIT..], UNIT as u64, total)
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let id = resp.json::<Value>().await.unwrap()["id"].clone();
    // Complete: the video again (200), same id.
    let resp = query(&uri, &token, total).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<Value>().await.unwrap()["id"], id);
}

#[tokio::test]
async fn the_whole_file_in_one_put_without_content_range() {
    let fake = start().await;
    let token = connect(&fake).await;
    let data = random_bytes(300_000);
    let uri = session(&fake, &token, data.len() as u64).await;
    let resp = client()
        .put(&uri)
        .bearer_auth(&token)
        .header("Content-Type", "video/mp4")
        .body(data.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    assert_eq!(fake.state().videos_with_sha256(&sha(&data)), 1);
}

#[tokio::test]
async fn bad_chunks_are_refused_and_gaps_or_overlaps_kill_the_session() {
    let fake = start().await;
    let token = connect(&fake).await;
    let data = random_bytes(3 * UNIT + 5);
    let total = data.len() as u64;
    let uri = session(&fake, &token, total).await;
    let send = |cr: &str, body: &[u8]| {
        client()
            .put(&uri)
            .bearer_auth(&token)
            .header("Content-Range", cr.to_string())
            .body(body.to_vec())
            .send()
    };
    // Not a multiple of 256 KiB (and not final): 400, nothing stored, the session lives.
    let resp = put(&uri, &token, &data[..UNIT + 1], 0, total)
        .await
        .unwrap();
    assert_eq!(api_err(resp).await.0, 400);
    for cr in [
        "bytes 0-262143".to_string(),
        "0-262143/786437".to_string(),
        format!("bytes 0-262143/{}", total + 1),
        "bytes 262143-0/786437".to_string(),
        "bytes 0-262144/786437".to_string(), // says 262,145 bytes, sends 262,144
    ] {
        let resp = send(&cr, &data[..UNIT]).await.unwrap();
        assert_eq!(resp.status(), 400, "{cr}");
    }
    // Not the X-Upload-Content-Type of the init.
    let resp = client()
        .put(&uri)
        .bearer_auth(&token)
        .header("Content-Type", "video/webm")
        .header("Content-Range", format!("bytes 0-{}/{total}", UNIT - 1))
        .body(data[..UNIT].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(api_err(resp).await.1, "badContent");
    // Past the end.
    let resp = send(
        &format!("bytes {}-{}/{total}", total - 5, total + 4),
        &data[..10],
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), 400);
    // No Bearer: 401, even with a good session URI.
    let resp = client()
        .put(&uri)
        .header("Content-Range", format!("bytes 0-{}/{total}", UNIT - 1))
        .body(data[..UNIT].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(
        range(&query(&uri, &token, total).await),
        None,
        "nothing stored yet"
    );
    assert_eq!(
        put(&uri, &token, &data[..UNIT], 0, total)
            .await
            .unwrap()
            .status(),
        308
    );

    // A gap: 400, and the session is gone for good.
    let resp = put(
        &uri,
        &token,
        &data[2 * UNIT..3 * UNIT],
        2 * UNIT as u64,
        total,
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(query(&uri, &token, total).await.status(), 404);
    let snap = fake.state();
    assert_eq!(snap.sessions[0].state, SessionState::Dead);

    // An overlap (resending a stored chunk without asking first) does the same.
    let uri = session(&fake, &token, total).await;
    assert_eq!(
        put(&uri, &token, &data[..UNIT], 0, total)
            .await
            .unwrap()
            .status(),
        308
    );
    assert_eq!(
        put(&uri, &token, &data[..UNIT], 0, total)
            .await
            .unwrap()
            .status(),
        400
    );
    assert_eq!(query(&uri, &token, total).await.status(), 404);
    assert!(fake.state().videos.is_empty());

    // An unknown session.
    let bogus = uri.replace("upload_id=AUc8", "upload_id=XXXX");
    assert_eq!(query(&bogus, &token, total).await.status(), 404);
}

#[tokio::test]
async fn sessions_expire_but_outlive_the_access_token() {
    let fake = start_with(FakeOptions {
        session_ttl: Duration::from_secs(86400),
        ..Default::default()
    })
    .await;
    let t = connect_scope(&fake, &scopes()).await;
    let token = t["access_token"].as_str().unwrap().to_string();
    let data = random_bytes(2 * UNIT);
    let total = data.len() as u64;
    let uri = session(&fake, &token, total).await;
    assert_eq!(
        put(&uri, &token, &data[..UNIT], 0, total)
            .await
            .unwrap()
            .status(),
        308
    );
    // The access token expires: 401 on the PUT; a refreshed one resumes the same session.
    fake.expire_access_tokens();
    assert_eq!(query(&uri, &token, total).await.status(), 401);
    let r: Value = refresh(&fake, t["refresh_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    let token = r["access_token"].as_str().unwrap().to_string();
    assert_eq!(
        range(&query(&uri, &token, total).await).as_deref(),
        Some("bytes=0-262143")
    );
    // A day later (the configured lifetime) the session answers 404.
    fake.advance_clock(Duration::from_secs(86400));
    let token = connect(&fake).await;
    assert_eq!(query(&uri, &token, total).await.status(), 404);
    assert_eq!(fake.state().sessions[0].state, SessionState::Expired);
    // expire_sessions() does the same at once.
    let uri = session(&fake, &token, total).await;
    fake.expire_sessions();
    assert_eq!(
        put(&uri, &token, &data[..UNIT], 0, total)
            .await
            .unwrap()
            .status(),
        404
    );
    // And the fault, at a chosen chunk.
    let uri = session(&fake, &token, total).await;
    fake.inject(Fault::SessionExpires { chunk: 1 });
    assert_eq!(
        put(&uri, &token, &data[..UNIT], 0, total)
            .await
            .unwrap()
            .status(),
        308
    );
    let resp = put(&uri, &token, &data[UNIT..], UNIT as u64, total)
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
}

#[tokio::test]
async fn init_validates_the_request_and_the_metadata() {
    let fake = start().await;
    let token = connect(&fake).await;
    let set = |path: &[&str], value: Value| {
        let mut m = meta();
        let mut at = &mut m;
        for p in &path[..path.len() - 1] {
            at = &mut at[*p];
        }
        match value {
            Value::Null => {
                at.as_object_mut().unwrap().remove(path[path.len() - 1]);
            }
            v => at[path[path.len() - 1]] = v,
        }
        m
    };
    let long_tags: Vec<String> = (0..50).map(|i| format!("tag number {i:02}")).collect();
    let cases: Vec<(Value, &str)> = vec![
        (set(&["snippet", "title"], json!("")), "invalidTitle"),
        (
            set(&["snippet", "title"], json!("x".repeat(101))),
            "invalidTitle",
        ),
        (
            set(&["snippet", "title"], json!("a <b> title")),
            "invalidTitle",
        ),
        (set(&["snippet"], Value::Null), "invalidTitle"),
        // 2,501 characters, 5,002 bytes: the limit is in bytes (§3.1).
        (
            set(&["snippet", "description"], json!("é".repeat(2501))),
            "invalidDescription",
        ),
        (
            set(&["snippet", "description"], json!("1 > 0")),
            "invalidDescription",
        ),
        (set(&["snippet", "tags"], json!(long_tags)), "invalidTags"),
        (set(&["snippet", "tags"], json!(["ok", ""])), "invalidTags"),
        (
            set(&["snippet", "categoryId"], json!("99")),
            "invalidCategoryId",
        ),
        (
            set(&["snippet", "categoryId"], json!(22)),
            "invalidCategoryId",
        ),
        (
            set(&["status", "privacyStatus"], json!("friends")),
            "invalidVideoMetadata",
        ),
        (
            set(&["status", "privacyStatus"], Value::Null),
            "invalidVideoMetadata",
        ),
        (
            set(&["status", "selfDeclaredMadeForKids"], Value::Null),
            "invalidVideoMetadata",
        ),
        (
            set(&["status", "selfDeclaredMadeForKids"], json!("no")),
            "invalidVideoMetadata",
        ),
        (
            set(&["status", "containsSyntheticMedia"], json!(1)),
            "invalidVideoMetadata",
        ),
        (set(&["status"], Value::Null), "invalidVideoMetadata"),
        // publishAt only with private (§8), and a real timestamp.
        (
            set(
                &["status"],
                json!({"privacyStatus": "public", "selfDeclaredMadeForKids": false,
                "publishAt": "2030-01-01T00:00:00Z"}),
            ),
            "invalidPublishAt",
        ),
        (
            set(&["status", "publishAt"], json!("tomorrow")),
            "invalidPublishAt",
        ),
        // A part in the body that `part` does not name.
        (set(&["recordingDetails"], json!({})), "unexpectedPart"),
    ];
    let n = cases.len() as u64;
    for (m, want) in cases {
        let (status, reason, body) = api_err(init(&fake, &token, &m, 1000).await).await;
        assert_eq!((status, reason.as_str()), (400, want), "{m} → {body}");
    }
    // Boundaries that pass: 100 characters with emoji, 5,000 bytes, 500 tag characters.
    let mut m = meta();
    m["snippet"]["title"] = json!(format!("{}🎬", "t".repeat(99)));
    m["snippet"]["description"] = json!("d".repeat(5000));
    // 49·9 + 10 characters + 49 commas = 500.
    let mut tags: Vec<String> = (0..49).map(|_| "abcdefghi".to_string()).collect();
    tags.push("abcdefghij".into());
    m["snippet"]["tags"] = json!(tags);
    assert_eq!(init(&fake, &token, &m, 1000).await.status(), 200);

    let url = |q: &str| format!("{}/upload/youtube/v3/videos{q}", fake.api_url());
    let req = |q: &str, len: Option<&str>, ty: Option<&str>, ct: &str| {
        let mut r = client()
            .post(url(q))
            .bearer_auth(&token)
            .header("Content-Type", ct.to_string())
            .body(meta().to_string());
        if let Some(l) = len {
            r = r.header("X-Upload-Content-Length", l.to_string());
        }
        if let Some(t) = ty {
            r = r.header("X-Upload-Content-Type", t.to_string());
        }
        r.send()
    };
    let good = "?uploadType=resumable&part=snippet,status";
    let json_ct = "application/json; charset=UTF-8";
    let cases = [
        (
            "?part=snippet,status",
            Some("1000"),
            Some("video/mp4"),
            json_ct,
            "mediaBodyRequired",
        ),
        (
            "?uploadType=multipart&part=snippet,status",
            Some("1000"),
            Some("video/mp4"),
            json_ct,
            "badRequest",
        ),
        (
            "?uploadType=resumable",
            Some("1000"),
            Some("video/mp4"),
            json_ct,
            "required",
        ),
        (
            "?uploadType=resumable&part=snippet,status,bogus",
            Some("1000"),
            Some("video/mp4"),
            json_ct,
            "unknownPart",
        ),
        (good, None, Some("video/mp4"), json_ct, "badRequest"),
        (good, Some("0"), Some("video/mp4"), json_ct, "badRequest"),
        (
            good,
            Some("12abc"),
            Some("video/mp4"),
            json_ct,
            "badRequest",
        ),
        (
            good,
            Some("1000"),
            Some("text/plain"),
            json_ct,
            "badContent",
        ),
        (good, Some("1000"), None, json_ct, "badContent"),
        (
            good,
            Some("1000"),
            Some("video/mp4"),
            "text/plain",
            "badContent",
        ),
    ];
    let m = cases.len() as u64;
    for (q, len, ty, ct, want) in cases {
        let (status, reason, body) = api_err(req(q, len, ty, ct).await.unwrap()).await;
        assert_eq!(
            (status, reason.as_str()),
            (400, want),
            "{q} {len:?} {ty:?} {ct} → {body}"
        );
    }
    assert_eq!(
        req(
            good,
            Some("1000"),
            Some("application/octet-stream"),
            json_ct
        )
        .await
        .unwrap()
        .status(),
        200
    );
    // The Slug header names the file (§2.1); a path is not a file name.
    let slug = |name: &'static str| {
        client()
            .post(url(good))
            .bearer_auth(&token)
            .header("Content-Type", json_ct)
            .header("X-Upload-Content-Length", "1000")
            .header("X-Upload-Content-Type", "video/mp4")
            .header("Slug", name)
            .body(meta().to_string())
            .send()
    };
    assert_eq!(
        api_err(slug("../clip.mp4").await.unwrap()).await.1,
        "invalidFilename"
    );
    assert_eq!(slug("clip.mp4").await.unwrap().status(), 200);
    // Every init spent an insert, valid or not (§5.1).
    let snap = fake.state();
    assert_eq!(snap.quota_today().inserts, n + m + 4);
    assert_eq!(snap.sessions.len(), 3);
    assert_eq!(snap.sessions[2].slug.as_deref(), Some("clip.mp4"));
}

#[tokio::test]
async fn a_chunk_5xx_stores_nothing_and_the_retry_continues() {
    let fake = start().await;
    let token = connect(&fake).await;
    let data = random_bytes(2 * UNIT + 7);
    let total = data.len() as u64;
    let uri = session(&fake, &token, total).await;
    fake.inject(Fault::ChunkStatus {
        chunk: 1,
        http: 503,
    });
    assert_eq!(
        put(&uri, &token, &data[..UNIT], 0, total)
            .await
            .unwrap()
            .status(),
        308
    );
    let resp = put(&uri, &token, &data[UNIT..2 * UNIT], UNIT as u64, total)
        .await
        .unwrap();
    assert_eq!(api_err(resp).await.1, "backendError");
    assert_eq!(
        range(&query(&uri, &token, total).await).as_deref(),
        Some("bytes=0-262143")
    );
    assert_eq!(
        put(&uri, &token, &data[UNIT..2 * UNIT], UNIT as u64, total)
            .await
            .unwrap()
            .status(),
        308
    );
    let resp = put(&uri, &token, &data[2 * UNIT..], 2 * UNIT as u64, total)
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    assert_eq!(fake.state().videos_with_sha256(&sha(&data)), 1);
}

#[tokio::test]
async fn a_reset_mid_chunk_keeps_an_aligned_prefix_and_the_client_must_ask() {
    let fake = start().await;
    let token = connect(&fake).await;
    let data = random_bytes(5 * UNIT);
    let total = data.len() as u64;
    let uri = session(&fake, &token, total).await;
    fake.inject(Fault::ResetMidChunk { chunk: 0 });
    assert!(
        put(&uri, &token, &data[..4 * UNIT], 0, total)
            .await
            .is_err()
    );
    // Half of 1 MiB arrived; its 256 KiB-aligned part (512 KiB) is stored.
    let resp = query(&uri, &token, total).await;
    assert_eq!(
        range(&resp).as_deref(),
        Some(format!("bytes=0-{}", 2 * UNIT - 1).as_str())
    );
    let resp = put(&uri, &token, &data[2 * UNIT..], 2 * UNIT as u64, total)
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let snap = fake.state();
    assert_eq!(
        snap.sessions[0].sha256.as_deref(),
        Some(sha(&data).as_str())
    );
}

#[tokio::test]
async fn a_short_store_answers_a_shorter_range() {
    let fake = start().await;
    let token = connect(&fake).await;
    let data = random_bytes(4 * UNIT + 1);
    let total = data.len() as u64;
    let uri = session(&fake, &token, total).await;
    fake.inject(Fault::ShortStore {
        chunk: 0,
        keep: UNIT as u64 + 5,
    });
    let resp = put(&uri, &token, &data[..4 * UNIT], 0, total)
        .await
        .unwrap();
    assert_eq!(resp.status(), 308);
    // "Do not assume that the server received all (or none) of the bytes" (§2.2).
    assert_eq!(range(&resp).as_deref(), Some("bytes=0-262143"));
    let resp = put(&uri, &token, &data[UNIT..], UNIT as u64, total)
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    assert_eq!(fake.state().videos_with_sha256(&sha(&data)), 1);
}

#[tokio::test]
async fn the_lost_final_reply_leaves_one_video_that_a_status_query_finds() {
    let fake = start().await;
    let token = connect(&fake).await;
    let data = random_bytes(UNIT + 1);
    let total = data.len() as u64;
    let uri = session(&fake, &token, total).await;
    fake.inject(Fault::FinalReplyLost);
    assert_eq!(
        put(&uri, &token, &data[..UNIT], 0, total)
            .await
            .unwrap()
            .status(),
        308
    );
    assert!(
        put(&uri, &token, &data[UNIT..], UNIT as u64, total)
            .await
            .is_err()
    );
    // The video exists (§2.5): the status query answers it; re-initiating would duplicate it.
    let resp = query(&uri, &token, total).await;
    assert_eq!(resp.status(), 200);
    let v: Value = resp.json().await.unwrap();
    let snap = fake.state();
    assert_eq!(snap.videos.len(), 1);
    assert_eq!(v["id"], snap.videos[0].id);
    assert_eq!(snap.videos_with_sha256(&sha(&data)), 1);
    // And the uploads playlist lists it (how a client checks after a 404, §2.5).
    let ch: Value = api_get(&fake, &token, "channels?part=contentDetails&mine=true")
        .await
        .json()
        .await
        .unwrap();
    let uploads = ch["items"][0]["contentDetails"]["relatedPlaylists"]["uploads"]
        .as_str()
        .unwrap()
        .to_string();
    let pl: Value = api_get(
        &fake,
        &token,
        &format!("playlistItems?part=snippet,contentDetails&playlistId={uploads}"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(pl["items"][0]["contentDetails"]["videoId"], v["id"]);
    assert_eq!(pl["items"][0]["snippet"]["title"], "A fake upload");
}

#[tokio::test]
async fn a_308_is_not_a_redirect_and_a_client_that_follows_one_breaks_the_upload() {
    let fake = start().await;
    let token = connect(&fake).await;
    let data = random_bytes(3 * UNIT);
    let total = data.len() as u64;

    // With redirects off (as postez must build it, §2.6), a relocating 308 is just an answer:
    // the client switches to the new URI and goes on.
    let uri = session(&fake, &token, total).await;
    fake.inject(Fault::Relocate { chunk: 0 });
    let resp = put(&uri, &token, &data[..UNIT], 0, total).await.unwrap();
    assert_eq!(resp.status(), 308);
    let moved = resp.headers()["location"].to_str().unwrap().to_string();
    assert_ne!(moved, uri);
    assert_eq!(
        put(&moved, &token, &data[UNIT..2 * UNIT], UNIT as u64, total)
            .await
            .unwrap()
            .status(),
        308
    );
    assert_eq!(
        put(&moved, &token, &data[2 * UNIT..], 2 * UNIT as u64, total)
            .await
            .unwrap()
            .status(),
        201
    );

    // reqwest's default client follows a 308 with a Location, replaying the same chunk: an
    // overlap, which kills the session.
    let uri = session(&fake, &token, total).await;
    fake.inject(Fault::Relocate { chunk: 0 });
    let naive = Client::new();
    let resp = naive
        .put(&uri)
        .bearer_auth(&token)
        .header("Content-Range", format!("bytes 0-{}/{total}", UNIT - 1))
        .body(data[..UNIT].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        400,
        "the followed redirect resent stored bytes"
    );
    assert_eq!(query(&uri, &token, total).await.status(), 404);
}

#[tokio::test]
async fn injected_init_errors_carry_retry_after() {
    let fake = start().await;
    let token = connect(&fake).await;
    fake.inject(Fault::Status {
        endpoint: Endpoint::VideosInsert,
        http: 503,
        reason: "backendError".into(),
        retry_after: Some(7),
    });
    let resp = init(&fake, &token, &meta(), 1000).await;
    assert_eq!(resp.headers()["retry-after"], "7");
    assert_eq!(api_err(resp).await.0, 503);
    assert_eq!(init(&fake, &token, &meta(), 1000).await.status(), 200);
    // An injected status spends no quota.
    assert_eq!(fake.state().quota_today().inserts, 1);
}

#[tokio::test]
async fn a_streamed_upload_without_content_length_is_refused() {
    let fake = start().await;
    let token = connect(&fake).await;
    let total = UNIT as u64;
    let uri = session(&fake, &token, total).await;
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = vec![Ok(random_bytes(UNIT))];
    let resp = client()
        .put(&uri)
        .bearer_auth(&token)
        .header("Content-Range", format!("bytes 0-{}/{total}", total - 1))
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(api_err(resp).await.0, 400, "Transfer-Encoding: chunked");
    assert_eq!(range(&query(&uri, &token, total).await), None);
}

#[tokio::test]
async fn a_24_mib_file_streamed_from_disk_in_8_mib_chunks_is_reassembled_byte_for_byte() {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clip.mp4");
    let total: u64 = 24 * 1024 * 1024 + 12_345;
    let mut hasher = Sha256::new();
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&path).unwrap();
        let mut left = total;
        while left > 0 {
            let block = random_bytes(left.min(1 << 20) as usize);
            hasher.update(&block);
            f.write_all(&block).unwrap();
            left -= block.len() as u64;
        }
    }
    let want = hex::encode(hasher.finalize());
    let fake = start().await;
    let token = connect(&fake).await;
    let uri = session(&fake, &token, total).await;
    let chunk: u64 = 32 * CHUNK_UNIT;
    let mut first = 0;
    while first < total {
        let len = chunk.min(total - first);
        let mut f = tokio::fs::File::open(&path).await.unwrap();
        f.seek(std::io::SeekFrom::Start(first)).await.unwrap();
        let stream = futures_util::stream::unfold((f, len), |(mut f, left)| async move {
            if left == 0 {
                return None;
            }
            let n = left.min(256 * 1024);
            let mut buf = vec![0u8; n as usize];
            let r = f.read_exact(&mut buf).await.map(|_| buf);
            Some((r, (f, left - n)))
        });
        let resp = client()
            .put(&uri)
            .bearer_auth(&token)
            .header("Content-Length", len)
            .header(
                "Content-Range",
                format!("bytes {first}-{}/{total}", first + len - 1),
            )
            .body(reqwest::Body::wrap_stream(stream.boxed()))
            .send()
            .await
            .unwrap();
        first += len;
        let want_status = if first == total { 201 } else { 308 };
        assert_eq!(resp.status(), want_status);
    }
    let snap = fake.state();
    assert_eq!(snap.sessions[0].sha256.as_deref(), Some(want.as_str()));
    assert_eq!(snap.sessions[0].chunks.len(), 4);
    assert_eq!(
        std::fs::metadata(&snap.sessions[0].file).unwrap().len(),
        total
    );
    assert_eq!(snap.videos_with_sha256(&want), 1);
}

#[tokio::test]
async fn expired_sessions_can_answer_410_and_one_put_runs_at_a_time() {
    let fake = start_with(FakeOptions {
        expired_session_status: 410,
        ..Default::default()
    })
    .await;
    let token = connect(&fake).await;
    let total = 2 * CHUNK_UNIT;
    let uri = session(&fake, &token, total).await;

    // A chunk whose body stalls halfway keeps the session busy: a second data PUT is refused,
    // a status query is still answered.
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let half = random_bytes(UNIT / 2);
    let rest = random_bytes(UNIT / 2);
    let body = futures_util::stream::once(async move { Ok::<_, std::io::Error>(half) }).chain(
        futures_util::stream::once(async move {
            let _ = rx.await;
            Ok::<_, std::io::Error>(rest)
        }),
    );
    let slow = {
        let (uri, token) = (uri.clone(), token.clone());
        tokio::spawn(async move {
            client()
                .put(&uri)
                .bearer_auth(&token)
                .header("Content-Length", UNIT)
                .header("Content-Range", format!("bytes 0-{}/{total}", UNIT - 1))
                .body(reqwest::Body::wrap_stream(body))
                .send()
                .await
                .unwrap()
                .status()
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let resp = put(&uri, &token, &random_bytes(UNIT), 0, total)
        .await
        .unwrap();
    assert_eq!(api_err(resp).await.0, 400);
    assert_eq!(query(&uri, &token, total).await.status(), 308);
    tx.send(()).unwrap();
    assert_eq!(slow.await.unwrap(), 308);

    fake.expire_sessions();
    let (status, reason, _) = api_err(query(&uri, &token, total).await).await;
    assert_eq!((status, reason.as_str()), (410, "gone"));
    let bogus = uri.replace("upload_id=AUc8", "upload_id=XXXX");
    assert_eq!(query(&bogus, &token, total).await.status(), 404);
}

/// `--discard-uploads` (benchmarks) keeps no bytes and reports no hash, but checks every PUT as
/// usual: a chunk that is not a multiple of 256 KiB is still refused (§2.2), a gap still kills
/// the session (§2.3), and the video exists only once every byte has arrived.
#[tokio::test]
async fn a_discarding_fake_keeps_no_bytes_but_checks_every_chunk() {
    let dir = tempfile::tempdir().unwrap();
    let fake = start_with(FakeOptions {
        keep_uploads: false,
        data_dir: Some(dir.path().to_path_buf()),
        ..FakeOptions::default()
    })
    .await;
    let token = connect(&fake).await;
    let data = random_bytes(2 * UNIT + 7);
    let total = data.len() as u64;
    let uri = session(&fake, &token, total).await;
    let resp = put(&uri, &token, &data[..UNIT + 1], 0, total)
        .await
        .unwrap();
    assert_eq!(api_err(resp).await.0, 400);
    let resp = put(&uri, &token, &data[..UNIT], 0, total).await.unwrap();
    assert_eq!(resp.status(), 308);
    assert_eq!(range(&resp).as_deref(), Some("bytes=0-262143"));
    let resp = put(&uri, &token, &data[UNIT..], UNIT as u64, total)
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let state = fake.state();
    assert_eq!(state.videos.len(), 1);
    assert_eq!(
        state.videos[0].sha256, None,
        "no hash of bytes it never kept"
    );
    assert_eq!(state.sessions[0].chunks, [UNIT as u64, UNIT as u64 + 7]);
    assert_eq!(state.sessions[0].sha256, None);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no file");
    // A gap kills a session here too.
    let uri = session(&fake, &token, total).await;
    let resp = put(&uri, &token, &data[UNIT..2 * UNIT], UNIT as u64, total)
        .await
        .unwrap();
    assert_eq!(api_err(resp).await.0, 400);
    let resp = put(&uri, &token, &data[..UNIT], 0, total).await.unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(fake.state().videos.len(), 1);
}
