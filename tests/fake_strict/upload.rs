//! Upload strictness: headers, Content-Range order, streaming reassembly with a matching sha256,
//! and the connection-level faults.

use std::time::Duration;

use sha2::{Digest, Sha256};

use super::fake_tiktok::{Endpoint, FakeOptions, Fault};
use super::*;

const MIB5: u64 = 5 * 1024 * 1024;
/// Two chunks: 5 MiB, then 5 MiB + 1000 bytes.
const TWO: u64 = 2 * MIB5 + 1000;

fn sha(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn content_range(resp: &reqwest::Response) -> Option<String> {
    resp.headers()
        .get("content-range")
        .map(|v| v.to_str().unwrap().to_string())
}

#[tokio::test]
async fn multi_chunk_upload_of_70_mb_is_reassembled_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.mp4");
    let size = 70_000_000u64;
    let chunk = 10_000_000u64;
    let want = write_mp4(&path, size, 30).await;

    let fake = start_with(FakeOptions {
        processing_polls: 0,
        ..Default::default()
    })
    .await;
    let token = connect(&fake).await;
    let (id, url) = init_direct(&fake, &token, "PUBLIC_TO_EVERYONE", size, chunk, 7).await;
    assert!(url.len() <= 256 && id.len() <= 64);
    for i in 0..7u64 {
        let first = i * chunk;
        let len = if i == 6 { size - first } else { chunk };
        let resp = put_file_range(&url, &path, first, len, size).await.unwrap();
        let want_status = if i == 6 { 201 } else { 206 };
        assert_eq!(resp.status(), want_status, "chunk {i}");
        assert_eq!(
            content_range(&resp).unwrap(),
            format!("bytes 0-{}/{size}", first + len - 1)
        );
    }
    let info = fake.state().publish(&id).unwrap().clone();
    assert_eq!(info.bytes_received, size);
    assert_eq!(info.chunks_received, 7);
    assert_eq!(info.sha256.as_deref(), Some(want.as_str()));
    assert_eq!(std::fs::metadata(&info.file).unwrap().len(), size);
    assert_eq!(info.content_type.as_deref(), Some("video/mp4"));
    assert_eq!(
        status(&fake, &token, &id).await.2["data"]["status"],
        "PUBLISH_COMPLETE"
    );
}

#[tokio::test]
async fn upload_headers_and_url_are_checked() {
    let fake = start_with(FakeOptions {
        upload_url_ttl: Duration::from_millis(1500),
        ..Default::default()
    })
    .await;
    let token = connect(&fake).await;
    let data = mp4_bytes(3000, 5);
    let (_, url) = init_direct(&fake, &token, "SELF_ONLY", 3000, 3000, 1).await;
    let send = |url: String, ct: Option<&'static str>, cr: Option<String>, body: Vec<u8>| async move {
        let mut req = client().put(url).body(body);
        if let Some(ct) = ct {
            req = req.header("Content-Type", ct);
        }
        if let Some(cr) = cr {
            req = req.header("Content-Range", cr);
        }
        req.send().await.unwrap()
    };
    let range = Some("bytes 0-2999/3000".to_string());
    let base = url.split('?').next().unwrap().to_string();
    let (prefix, upload_id) = base.rsplit_once('/').unwrap();

    let cases = [
        (
            format!("{prefix}/999{upload_id}?upload_token=x"),
            Some("video/mp4"),
            range.clone(),
            data.clone(),
            404,
        ),
        (
            base.clone(),
            Some("video/mp4"),
            range.clone(),
            data.clone(),
            403,
        ),
        (
            format!("{base}?upload_token=wrong"),
            Some("video/mp4"),
            range.clone(),
            data.clone(),
            403,
        ),
        (url.clone(), None, range.clone(), data.clone(), 400),
        (
            url.clone(),
            Some("application/octet-stream"),
            range.clone(),
            data.clone(),
            400,
        ),
        (url.clone(), Some("video/mp4"), None, data.clone(), 400),
        (
            url.clone(),
            Some("video/mp4"),
            Some("bytes=0-2999/3000".into()),
            data.clone(),
            400,
        ),
        (
            url.clone(),
            Some("video/mp4"),
            Some("bytes 0-2999/*".into()),
            data.clone(),
            400,
        ),
        (
            url.clone(),
            Some("video/mp4"),
            Some("bytes 0-2999/3001".into()),
            data.clone(),
            416,
        ),
        (
            url.clone(),
            Some("video/mp4"),
            Some("bytes 0-1999/3000".into()),
            data[..2000].to_vec(),
            416,
        ),
        // Range says 3000 bytes, the body has 2000.
        (
            url.clone(),
            Some("video/mp4"),
            range.clone(),
            data[..2000].to_vec(),
            400,
        ),
    ];
    for (i, (u, ct, cr, body, want)) in cases.into_iter().enumerate() {
        let resp = send(u, ct, cr, body).await;
        assert_eq!(resp.status(), want, "case {i}");
    }

    // Transfer-Encoding: chunked (a stream body without Content-Length).
    let stream = futures_util::stream::iter(vec![Ok::<_, std::io::Error>(data.clone())]);
    let resp = client()
        .put(&url)
        .header("Content-Type", "video/mp4")
        .header("Content-Range", "bytes 0-2999/3000")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);

    let snap = fake.state();
    assert_eq!(
        snap.publishes[0].bytes_received, 0,
        "nothing stored by rejected PUTs"
    );

    // video/quicktime is fine.
    let resp = send(
        url.clone(),
        Some("video/quicktime"),
        range.clone(),
        data.clone(),
    )
    .await;
    assert_eq!(resp.status(), 201);

    // The upload URL expires.
    let (_, url) = init_direct(&fake, &token, "SELF_ONLY", 3000, 3000, 1).await;
    tokio::time::sleep(Duration::from_millis(1600)).await;
    assert_eq!(put(&url, &data, 0, 3000).await.unwrap().status(), 403);
}

#[tokio::test]
async fn chunks_must_come_in_order_and_resends_get_416_with_progress() {
    let fake = start().await;
    let token = connect(&fake).await;
    let data = mp4_bytes(TWO, 5);
    let (id, url) = init_direct(&fake, &token, "SELF_ONLY", TWO, MIB5, 2).await;
    let (c0, c1) = data.split_at(MIB5 as usize);

    let resp = put(&url, c1, MIB5, TWO).await.unwrap();
    assert_eq!(resp.status(), 416);
    assert_eq!(content_range(&resp).unwrap(), format!("bytes */{TWO}"));

    // A chunk cut differently from the plan.
    let resp = put(&url, &data[..1_000_000], 0, TWO).await.unwrap();
    assert_eq!(resp.status(), 416);

    let resp = put(&url, c0, 0, TWO).await.unwrap();
    assert_eq!(resp.status(), 206);
    assert_eq!(
        content_range(&resp).unwrap(),
        format!("bytes 0-{}/{TWO}", MIB5 - 1)
    );

    let resp = put(&url, c0, 0, TWO).await.unwrap();
    assert_eq!(resp.status(), 416, "already stored");
    assert_eq!(
        content_range(&resp).unwrap(),
        format!("bytes 0-{}/{TWO}", MIB5 - 1)
    );

    let resp = put(&url, c1, MIB5, TWO).await.unwrap();
    assert_eq!(resp.status(), 201);
    assert_eq!(
        content_range(&resp).unwrap(),
        format!("bytes 0-{}/{TWO}", TWO - 1)
    );
    assert_eq!(put(&url, c1, MIB5, TWO).await.unwrap().status(), 416);
    assert_eq!(fake.state().publish(&id).unwrap().sha256, Some(sha(&data)));
}

#[tokio::test]
async fn reset_mid_chunk_drops_the_connection_and_stores_nothing() {
    let fake = start().await;
    let token = connect(&fake).await;
    let data = mp4_bytes(TWO, 5);
    let (id, url) = init_direct(&fake, &token, "SELF_ONLY", TWO, MIB5, 2).await;
    let (c0, c1) = data.split_at(MIB5 as usize);
    fake.inject(Fault::ResetMidChunk { chunk: 1 });
    assert_eq!(put(&url, c0, 0, TWO).await.unwrap().status(), 206);
    let err = put(&url, c1, MIB5, TWO)
        .await
        .expect_err("connection dropped");
    assert!(
        err.is_request() || err.is_body() || err.is_connect(),
        "{err:?}"
    );
    let info = fake.state().publish(&id).unwrap().clone();
    assert_eq!((info.chunks_received, info.bytes_received), (1, MIB5));
    assert!(fake.state().pending_faults.is_empty());
    // The retry goes through and the file is intact.
    assert_eq!(put(&url, c1, MIB5, TWO).await.unwrap().status(), 201);
    assert_eq!(fake.state().publish(&id).unwrap().sha256, Some(sha(&data)));
}

#[tokio::test]
async fn ack_lost_stores_the_chunk_but_the_client_sees_an_error() {
    let fake = start().await;
    let token = connect(&fake).await;
    let data = mp4_bytes(TWO, 5);
    let (id, url) = init_direct(&fake, &token, "SELF_ONLY", TWO, MIB5, 2).await;
    let (c0, c1) = data.split_at(MIB5 as usize);
    fake.inject(Fault::AckLost { chunk: 0 });
    put(&url, c0, 0, TWO).await.expect_err("no answer");
    let info = fake.state().publish(&id).unwrap().clone();
    assert_eq!((info.chunks_received, info.bytes_received), (1, MIB5));
    // The client retries, learns the chunk is there, and skips ahead.
    let resp = put(&url, c0, 0, TWO).await.unwrap();
    assert_eq!(resp.status(), 416);
    assert_eq!(
        content_range(&resp).unwrap(),
        format!("bytes 0-{}/{TWO}", MIB5 - 1)
    );
    assert_eq!(put(&url, c1, MIB5, TWO).await.unwrap().status(), 201);
    assert_eq!(fake.state().publish(&id).unwrap().sha256, Some(sha(&data)));
}

#[tokio::test]
async fn chunk_status_status_and_delay_faults() {
    let fake = start().await;
    let token = connect(&fake).await;
    let data = mp4_bytes(TWO, 5);
    let (id, url) = init_direct(&fake, &token, "SELF_ONLY", TWO, MIB5, 2).await;
    let (c0, c1) = data.split_at(MIB5 as usize);

    fake.inject(Fault::ChunkStatus {
        chunk: 0,
        http: 500,
    });
    let resp = put(&url, c0, 0, TWO).await.unwrap();
    assert_eq!(resp.status(), 500);
    assert_eq!(fake.state().publish(&id).unwrap().bytes_received, 0);
    assert_eq!(put(&url, c0, 0, TWO).await.unwrap().status(), 206);

    fake.inject(Fault::Status {
        endpoint: Endpoint::Upload,
        http: 503,
        code: "internal_error".into(),
    });
    assert_eq!(put(&url, c1, MIB5, TWO).await.unwrap().status(), 503);
    assert_eq!(fake.state().publish(&id).unwrap().bytes_received, MIB5);

    fake.inject(Fault::Delay {
        endpoint: Endpoint::Upload,
        ms: 400,
    });
    let t0 = std::time::Instant::now();
    assert_eq!(put(&url, c1, MIB5, TWO).await.unwrap().status(), 201);
    assert!(t0.elapsed() >= Duration::from_millis(400));
    assert_eq!(fake.state().count(Endpoint::Upload), 4);
    assert_eq!(fake.state().publish(&id).unwrap().sha256, Some(sha(&data)));
}

/// `cargo test --release -- --ignored one_gib`: throughput and peak memory of a 1 GiB upload
/// (client and fake in one process; the client streams from disk in 256 KiB reads).
#[tokio::test]
#[ignore = "benchmark: writes and uploads 1 GiB"]
async fn one_gib_upload_stays_small_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.mp4");
    let size = 1u64 << 30;
    let chunk = 64_000_000u64;
    let count = size / chunk;
    {
        let f = std::fs::File::create(&path).unwrap();
        f.set_len(size).unwrap();
        use std::io::Write;
        let mut f = f;
        f.write_all(&mp4_header(size, 30)).unwrap();
    }
    let fake = start_with(FakeOptions {
        processing_polls: 0,
        ..Default::default()
    })
    .await;
    let token = connect(&fake).await;
    let (id, url) = init_direct(&fake, &token, "SELF_ONLY", size, chunk, count).await;
    let t0 = std::time::Instant::now();
    for i in 0..count {
        let first = i * chunk;
        let len = if i == count - 1 { size - first } else { chunk };
        let resp = put_file_range(&url, &path, first, len, size).await.unwrap();
        assert!(resp.status().is_success(), "chunk {i}: {}", resp.status());
    }
    let secs = t0.elapsed().as_secs_f64();
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let hwm = status
        .lines()
        .find(|l| l.starts_with("VmHWM"))
        .unwrap_or("VmHWM: ?")
        .to_string();
    eprintln!("1 GiB in {secs:.1} s ({:.0} MiB/s); {hwm}", 1024.0 / secs);
    assert!(fake.state().publish(&id).unwrap().sha256.is_some());
}
