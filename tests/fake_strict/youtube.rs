//! Proves the fake YouTube server is strict, with a real HTTP client over loopback: helpers and
//! the happy path here; OAuth (§1), the resumable upload (§2, §3) and the rest of the Data API
//! (§4, §5, §8) in the submodules. Section numbers are youtube-api.md's.

mod api;
mod oauth;
mod upload;

use base64::Engine;
use rand::RngCore;
use rand::distr::{Alphanumeric, SampleString};
use reqwest::{Client, Response};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::fake_youtube::{
    CHUNK_UNIT, Endpoint, FakeOptions, FakeYouTube, SCOPE_READONLY, SCOPE_UPLOAD,
};

pub const REDIRECT: &str = "http://127.0.0.1:53123/";

pub fn scopes() -> String {
    format!("{SCOPE_UPLOAD} {SCOPE_READONLY}")
}

pub async fn start() -> FakeYouTube {
    start_with(FakeOptions::default()).await
}

pub async fn start_with(opts: FakeOptions) -> FakeYouTube {
    FakeYouTube::start(opts).await.expect("fake starts")
}

/// A client that follows no redirects: the test plays the browser, and a 308 is not a redirect
/// to an upload client (§2.6).
pub fn client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub fn verifier() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), 64)
}

/// RFC 7636 S256: BASE64URL(SHA256(verifier)) without padding (§1.4).
pub fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

pub fn sha(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut v = vec![0u8; n];
    rand::rng().fill_bytes(&mut v);
    v
}

/// The authorize parameters postez sends, for `verifier`.
pub fn auth_params(fake: &FakeYouTube, verifier: &str) -> Vec<(String, Option<String>)> {
    [
        ("client_id", fake.client_id().to_string()),
        ("redirect_uri", REDIRECT.to_string()),
        ("response_type", "code".to_string()),
        ("scope", scopes()),
        ("state", "st4te".to_string()),
        ("code_challenge", s256(verifier)),
        ("code_challenge_method", "S256".to_string()),
        ("access_type", "offline".to_string()),
        ("prompt", "consent".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), Some(v)))
    .collect()
}

/// `params` with `key` replaced (`None` removes it).
pub fn with(
    mut params: Vec<(String, Option<String>)>,
    key: &str,
    value: Option<&str>,
) -> Vec<(String, Option<String>)> {
    match params.iter_mut().find(|(k, _)| k == key) {
        Some(p) => p.1 = value.map(str::to_string),
        None => params.push((key.to_string(), value.map(str::to_string))),
    }
    params
}

pub async fn authorize_raw(fake: &FakeYouTube, params: &[(String, Option<String>)]) -> Response {
    let pairs: Vec<(&str, &str)> = params
        .iter()
        .filter_map(|(k, v)| v.as_deref().map(|v| (k.as_str(), v)))
        .collect();
    let url = url::Url::parse_with_params(&fake.auth_url(), pairs).unwrap();
    client().get(url).send().await.unwrap()
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

/// Authorize with `params`; returns the decoded code.
pub async fn code_with(fake: &FakeYouTube, params: &[(String, Option<String>)]) -> String {
    let resp = authorize_raw(fake, params).await;
    assert_eq!(resp.status(), 302);
    param(&location_query(&resp), "code").unwrap().to_string()
}

pub async fn token_form(fake: &FakeYouTube, form: &[(&str, &str)]) -> Response {
    client()
        .post(fake.token_url())
        .form(form)
        .send()
        .await
        .unwrap()
}

pub async fn exchange(fake: &FakeYouTube, code: &str, verifier: &str) -> Response {
    token_form(
        fake,
        &[
            ("client_id", fake.client_id()),
            ("client_secret", fake.client_secret()),
            ("code", code),
            ("code_verifier", verifier),
            ("grant_type", "authorization_code"),
            ("redirect_uri", REDIRECT),
        ],
    )
    .await
}

pub async fn refresh(fake: &FakeYouTube, refresh_token: &str) -> Response {
    token_form(
        fake,
        &[
            ("client_id", fake.client_id()),
            ("client_secret", fake.client_secret()),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
    .await
}

/// The whole login with `scope`; returns the token JSON.
pub async fn connect_scope(fake: &FakeYouTube, scope: &str) -> Value {
    let v = verifier();
    let code = code_with(fake, &with(auth_params(fake, &v), "scope", Some(scope))).await;
    let resp = exchange(fake, &code, &v).await;
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

/// The whole login with postez's scopes; returns the access token.
pub async fn connect(fake: &FakeYouTube) -> String {
    connect_scope(fake, &scopes()).await["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

/// `(status, error)` of a flat OAuth error.
pub async fn oauth_err(resp: Response) -> (u16, String, String) {
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap();
    (
        status,
        body["error"].as_str().unwrap().to_string(),
        body["error_description"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

/// `(status, errors[0].reason, body)` of a Data API error, checking the shape of §3.2.
pub async fn api_err(resp: Response) -> (u16, String, Value) {
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap();
    let e = &body["error"];
    assert_eq!(e["code"], status, "{body}");
    assert!(e["message"].is_string(), "{body}");
    assert!(e["errors"][0]["domain"].is_string(), "{body}");
    assert!(e["errors"][0]["message"].is_string(), "{body}");
    let reason = e["errors"][0]["reason"].as_str().unwrap().to_string();
    (status, reason, body)
}

/// Valid insert metadata.
pub fn meta() -> Value {
    json!({
        "snippet": {
            "title": "A fake upload",
            "description": "Uploaded to the fake.",
            "tags": ["fake", "post ez"],
            "categoryId": "22",
        },
        "status": {
            "privacyStatus": "private",
            "selfDeclaredMadeForKids": false,
            "containsSyntheticMedia": false,
        }
    })
}

/// The init request as postez sends it.
pub async fn init(fake: &FakeYouTube, token: &str, meta: &Value, size: u64) -> Response {
    client()
        .post(format!(
            "{}/upload/youtube/v3/videos?uploadType=resumable&part=snippet,status&notifySubscribers=false",
            fake.api_url()
        ))
        .bearer_auth(token)
        .header("Content-Type", "application/json; charset=UTF-8")
        .header("X-Upload-Content-Length", size)
        .header("X-Upload-Content-Type", "video/mp4")
        .body(meta.to_string())
        .send()
        .await
        .unwrap()
}

/// A successful init; returns the session URI.
pub async fn session(fake: &FakeYouTube, token: &str, size: u64) -> String {
    let resp = init(fake, token, &meta(), size).await;
    assert_eq!(resp.status(), 200);
    resp.headers()["location"].to_str().unwrap().to_string()
}

/// PUT `data` as bytes `first..` of a `total`-byte file.
pub async fn put(
    uri: &str,
    token: &str,
    data: &[u8],
    first: u64,
    total: u64,
) -> Result<Response, reqwest::Error> {
    let last = first + data.len() as u64 - 1;
    client()
        .put(uri)
        .bearer_auth(token)
        .header("Content-Type", "video/mp4")
        .header("Content-Range", format!("bytes {first}-{last}/{total}"))
        .body(data.to_vec())
        .send()
        .await
}

/// The status query `Content-Range: bytes */TOTAL` (§2.3).
pub async fn query(uri: &str, token: &str, total: u64) -> Response {
    client()
        .put(uri)
        .bearer_auth(token)
        .header("Content-Range", format!("bytes */{total}"))
        .body(Vec::new())
        .send()
        .await
        .unwrap()
}

pub fn range(resp: &Response) -> Option<String> {
    resp.headers()
        .get("range")
        .map(|v| v.to_str().unwrap().to_string())
}

/// `GET {api}/youtube/v3/{path}`.
pub async fn api_get(fake: &FakeYouTube, token: &str, path: &str) -> Response {
    client()
        .get(format!("{}/youtube/v3/{path}", fake.api_url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// `videos.list?part=status,processingDetails&id=…` → the first item (or `Null`).
pub async fn video_status(fake: &FakeYouTube, token: &str, id: &str) -> Value {
    let resp = api_get(
        fake,
        token,
        &format!("videos?part=status,processingDetails&id={id}"),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    body["items"].get(0).cloned().unwrap_or(Value::Null)
}

/// Uploads `data` in chunks of `chunk` bytes; returns the video id.
pub async fn upload(fake: &FakeYouTube, token: &str, data: &[u8], chunk: usize) -> String {
    let total = data.len() as u64;
    let uri = session(fake, token, total).await;
    let mut first = 0usize;
    loop {
        let end = (first + chunk).min(data.len());
        let resp = put(&uri, token, &data[first..end], first as u64, total)
            .await
            .unwrap();
        if end == data.len() {
            assert_eq!(resp.status(), 201);
            let v: Value = resp.json().await.unwrap();
            return v["id"].as_str().unwrap().to_string();
        }
        assert_eq!(resp.status(), 308);
        first = end;
    }
}

#[tokio::test]
async fn happy_path_authorize_exchange_three_chunks_then_processed() {
    let fake = start().await;
    let token = connect(&fake).await;
    let chunk = 2 * CHUNK_UNIT as usize;
    let data = random_bytes(2 * chunk + 100_000);
    let total = data.len() as u64;
    let resp = init(&fake, &token, &meta(), total).await;
    assert_eq!(resp.status(), 200);
    assert!(
        resp.bytes().await.unwrap().is_empty(),
        "the init has no body"
    );
    let uri = session(&fake, &token, total).await;
    assert!(uri.starts_with(&format!(
        "{}/upload/youtube/v3/videos?uploadType=resumable&upload_id=",
        fake.api_url()
    )));

    // Chunks 1 and 2: 308 Resume Incomplete with `Range`, and no `Location` to follow.
    for i in 0..2 {
        let first = i * chunk;
        let resp = put(
            &uri,
            &token,
            &data[first..first + chunk],
            first as u64,
            total,
        )
        .await
        .unwrap();
        assert_eq!(resp.status(), 308);
        assert_eq!(
            range(&resp).as_deref(),
            Some(format!("bytes=0-{}", first + chunk - 1).as_str())
        );
        assert!(resp.headers().get("location").is_none());
    }
    let resp = put(&uri, &token, &data[2 * chunk..], 2 * chunk as u64, total)
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let video: Value = resp.json().await.unwrap();
    let id = video["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 11);
    assert_eq!(video["kind"], "youtube#video");
    assert_eq!(video["snippet"]["title"], "A fake upload");
    assert_eq!(video["status"]["uploadStatus"], "uploaded");
    assert_eq!(video["status"]["privacyStatus"], "private");

    let snap = fake.state();
    let s = snap.sessions.iter().find(|s| s.uri == uri).unwrap();
    assert_eq!(s.chunks, vec![chunk as u64, chunk as u64, 100_000]);
    assert_eq!(s.sha256.as_deref(), Some(sha(&data).as_str()));
    assert_eq!(std::fs::read(&s.file).unwrap(), data);
    assert!(!s.notify_subscribers);
    assert_eq!(snap.videos_with_sha256(&sha(&data)), 1);

    // videos.list: processing first (with progress), then processed / succeeded (§4).
    let v = video_status(&fake, &token, &id).await;
    assert_eq!(v["status"]["uploadStatus"], "uploaded");
    assert_eq!(v["processingDetails"]["processingStatus"], "processing");
    assert!(v["processingDetails"]["processingProgress"]["timeLeftMs"].is_u64());
    let v = video_status(&fake, &token, &id).await;
    assert_eq!(v["status"]["uploadStatus"], "processed");
    assert_eq!(v["processingDetails"]["processingStatus"], "succeeded");

    // Quota (§5.1): two inits from the upload bucket, two lists from the pool.
    let q = fake.state().quota_today();
    assert_eq!((q.inserts, q.units), (2, 2));
    assert_eq!(fake.state().count(Endpoint::UploadPut), 3);
}
