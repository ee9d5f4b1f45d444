//! Proves the fake TikTok and YouTube servers are strict: every rule it claims to enforce is exercised here with
//! a real HTTP client, the way postez's CLI tests will pull the module in (`#[path]`).

#[path = "../fake_tiktok/mod.rs"]
mod fake_tiktok;
#[path = "../fake_youtube/mod.rs"]
mod fake_youtube;

mod control;
mod oauth;
mod posting;
mod upload;
mod youtube;

use std::path::Path;

use fake_tiktok::{FakeOptions, FakeTikTok};
use futures_util::StreamExt;
use rand::RngCore;
use rand::distr::{Alphanumeric, SampleString};
use reqwest::{Client, Response};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub const REDIRECT: &str = "http://127.0.0.1:53122/callback/";
pub const ALL_SCOPES: &str = "user.info.basic,video.upload,video.publish";

pub async fn start() -> FakeTikTok {
    start_with(FakeOptions::default()).await
}

pub async fn start_with(opts: FakeOptions) -> FakeTikTok {
    FakeTikTok::start(opts).await.expect("fake starts")
}

/// A client that does not follow redirects (the test plays the browser).
pub fn client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub fn verifier() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), 64)
}

pub fn hex_challenge(verifier: &str) -> String {
    hex::encode(Sha256::digest(verifier.as_bytes()))
}

/// Query pairs of a `Location` header.
pub fn location_query(resp: &Response) -> Vec<(String, String)> {
    let loc = resp.headers()["location"].to_str().unwrap();
    url::Url::parse(loc)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

pub fn param<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// GET the authorize URL with these parameters (in order); `None` values are left out.
pub async fn authorize_raw(fake: &FakeTikTok, params: &[(&str, Option<&str>)]) -> Response {
    let pairs: Vec<(&str, &str)> = params
        .iter()
        .filter_map(|(k, v)| v.map(|v| (*k, v)))
        .collect();
    let url = url::Url::parse_with_params(&fake.authorize_url(), pairs).unwrap();
    client().get(url).send().await.unwrap()
}

/// A correct authorize request; returns the redirect response.
pub async fn authorize(fake: &FakeTikTok, scope: &str, redirect: &str, verifier: &str) -> Response {
    let challenge = hex_challenge(verifier);
    authorize_raw(
        fake,
        &[
            ("client_key", Some("fake_client_key")),
            ("scope", Some(scope)),
            ("redirect_uri", Some(redirect)),
            ("state", Some("st4te")),
            ("response_type", Some("code")),
            ("code_challenge", Some(&challenge)),
            ("code_challenge_method", Some("S256")),
        ],
    )
    .await
}

/// Authorize and return the (decoded) code.
pub async fn code(fake: &FakeTikTok, scope: &str, verifier: &str) -> String {
    let resp = authorize(fake, scope, REDIRECT, verifier).await;
    assert_eq!(resp.status(), 302);
    param(&location_query(&resp), "code").unwrap().to_string()
}

pub async fn token_form(fake: &FakeTikTok, form: &[(&str, &str)]) -> Response {
    client()
        .post(format!("{}/v2/oauth/token/", fake.base_url()))
        .form(form)
        .send()
        .await
        .unwrap()
}

pub async fn exchange(fake: &FakeTikTok, code: &str, verifier: &str) -> Response {
    token_form(
        fake,
        &[
            ("client_key", "fake_client_key"),
            ("client_secret", "fake_client_secret"),
            ("code", code),
            ("grant_type", "authorization_code"),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ],
    )
    .await
}

pub async fn refresh(fake: &FakeTikTok, refresh_token: &str) -> Response {
    token_form(
        fake,
        &[
            ("client_key", "fake_client_key"),
            ("client_secret", "fake_client_secret"),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
    .await
}

/// The whole login; returns the token JSON.
pub async fn connect_with(fake: &FakeTikTok, scope: &str) -> Value {
    let v = verifier();
    let code = code(fake, scope, &v).await;
    let resp = exchange(fake, &code, &v).await;
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

/// The whole login with every scope; returns the access token.
pub async fn connect(fake: &FakeTikTok) -> String {
    connect_with(fake, ALL_SCOPES).await["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

/// POST a JSON body with TikTok's headers.
pub async fn api_post(fake: &FakeTikTok, path: &str, token: &str, body: &Value) -> Response {
    client()
        .post(format!("{}{path}", fake.base_url()))
        .bearer_auth(token)
        .header("Content-Type", "application/json; charset=UTF-8")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

/// `(http status, error.code, whole body)` of an envelope response.
pub async fn envelope(resp: Response) -> (u16, String, Value) {
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap();
    let code = body["error"]["code"].as_str().unwrap().to_string();
    assert!(
        body["error"]["log_id"]
            .as_str()
            .is_some_and(|l| !l.is_empty())
    );
    (status, code, body)
}

/// A Direct Post body.
pub fn direct_body(privacy: &str, size: u64, chunk: u64, count: u64) -> Value {
    json!({
        "post_info": {
            "title": "hello #fake",
            "privacy_level": privacy,
            "disable_duet": false,
            "disable_comment": false,
            "disable_stitch": false,
            "brand_content_toggle": false,
            "brand_organic_toggle": false,
        },
        "source_info": {
            "source": "FILE_UPLOAD",
            "video_size": size,
            "chunk_size": chunk,
            "total_chunk_count": count,
        }
    })
}

/// Direct Post init; returns `(publish_id, upload_url)`.
pub async fn init_direct(
    fake: &FakeTikTok,
    token: &str,
    privacy: &str,
    size: u64,
    chunk: u64,
    count: u64,
) -> (String, String) {
    let resp = api_post(
        fake,
        "/v2/post/publish/video/init/",
        token,
        &direct_body(privacy, size, chunk, count),
    )
    .await;
    let (status, code, body) = envelope(resp).await;
    assert_eq!((status, code.as_str()), (200, "ok"), "{body}");
    (
        body["data"]["publish_id"].as_str().unwrap().to_string(),
        body["data"]["upload_url"].as_str().unwrap().to_string(),
    )
}

/// A minimal but well-formed MP4: `ftyp`, `moov`/`mvhd` with the given duration, then an `mdat`
/// of random bytes so the whole is exactly `size` bytes (size >= 200).
pub fn mp4_header(size: u64, duration_secs: u32) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&20u32.to_be_bytes());
    out.extend_from_slice(b"ftypisom");
    out.extend_from_slice(&512u32.to_be_bytes());
    out.extend_from_slice(b"isom");
    let mut mvhd = vec![0u8; 4 + 8]; // version 0, flags, creation, modification
    mvhd.extend_from_slice(&1000u32.to_be_bytes()); // timescale
    mvhd.extend_from_slice(&(duration_secs * 1000).to_be_bytes());
    mvhd.extend_from_slice(&0x0001_0000u32.to_be_bytes()); // rate
    mvhd.resize(100, 0);
    out.extend_from_slice(&(8 + 8 + mvhd.len() as u32).to_be_bytes());
    out.extend_from_slice(b"moov");
    out.extend_from_slice(&(8 + mvhd.len() as u32).to_be_bytes());
    out.extend_from_slice(b"mvhd");
    out.extend_from_slice(&mvhd);
    let mdat = size - out.len() as u64;
    out.extend_from_slice(&(mdat as u32).to_be_bytes());
    out.extend_from_slice(b"mdat");
    out
}

/// A small MP4 held in memory.
pub fn mp4_bytes(size: u64, duration_secs: u32) -> Vec<u8> {
    let mut v = mp4_header(size, duration_secs);
    let mut rest = vec![0u8; (size as usize) - v.len()];
    rand::rng().fill_bytes(&mut rest);
    v.extend_from_slice(&rest);
    v
}

/// Writes an MP4 of `size` bytes to `path` in 1 MiB blocks; returns its sha256.
pub async fn write_mp4(path: &Path, size: u64, duration_secs: u32) -> String {
    use tokio::io::AsyncWriteExt;
    let mut f = tokio::fs::File::create(path).await.unwrap();
    let head = mp4_header(size, duration_secs);
    let mut hasher = Sha256::new();
    hasher.update(&head);
    f.write_all(&head).await.unwrap();
    let mut left = size - head.len() as u64;
    let mut block = vec![0u8; 1 << 20];
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        rand::rng().fill_bytes(&mut block[..n]);
        hasher.update(&block[..n]);
        f.write_all(&block[..n]).await.unwrap();
        left -= n as u64;
    }
    f.flush().await.unwrap();
    hex::encode(hasher.finalize())
}

/// PUT one chunk from memory with correct headers.
pub async fn put(
    url: &str,
    data: &[u8],
    first: u64,
    total: u64,
) -> Result<Response, reqwest::Error> {
    let last = first + data.len() as u64 - 1;
    client()
        .put(url)
        .header("Content-Type", "video/mp4")
        .header("Content-Range", format!("bytes {first}-{last}/{total}"))
        .body(data.to_vec())
        .send()
        .await
}

/// PUT bytes `[first, first+len)` of `path`, streamed (Content-Length set, never buffered).
pub async fn put_file_range(
    url: &str,
    path: &Path,
    first: u64,
    len: u64,
    total: u64,
) -> Result<Response, reqwest::Error> {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    let mut f = tokio::fs::File::open(path).await.unwrap();
    f.seek(std::io::SeekFrom::Start(first)).await.unwrap();
    let stream = futures_util::stream::unfold((f, len), |(mut f, left)| async move {
        if left == 0 {
            return None;
        }
        let mut buf = vec![0u8; left.min(256 * 1024) as usize];
        let r = f.read_exact(&mut buf).await.map(|_| buf);
        Some((r, (f, left - (left.min(256 * 1024)))))
    });
    client()
        .put(url)
        .header("Content-Type", "video/mp4")
        .header("Content-Length", len)
        .header(
            "Content-Range",
            format!("bytes {first}-{}/{total}", first + len - 1),
        )
        .body(reqwest::Body::wrap_stream(stream.boxed()))
        .send()
        .await
}

pub async fn status(fake: &FakeTikTok, token: &str, publish_id: &str) -> (u16, String, Value) {
    let resp = api_post(
        fake,
        "/v2/post/publish/status/fetch/",
        token,
        &json!({ "publish_id": publish_id }),
    )
    .await;
    envelope(resp).await
}

/// Percent-encodes everything but unreserved characters.
pub fn pct_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
