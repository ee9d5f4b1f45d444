//! The `/__fake/*` control surface, used by scripts and the example binary.

use serde_json::{Value, json};

use super::fake_tiktok::{Endpoint, Snapshot};
use super::oauth::user_info;
use super::*;

async fn post_json(fake: &FakeTikTok, path: &str, body: Value) -> u16 {
    client()
        .post(format!("{}{path}", fake.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn state(fake: &FakeTikTok) -> Snapshot {
    client()
        .get(format!("{}/__fake/state", fake.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn control_surface_over_http() {
    let fake = start().await;
    let token = connect(&fake).await;

    let s = post_json(
        &fake,
        "/__fake/faults",
        json!({"kind": "status", "endpoint": "user_info", "http": 500, "code": "internal_error"}),
    )
    .await;
    assert_eq!(s, 204);
    assert_eq!(
        post_json(&fake, "/__fake/faults", json!({"kind": "nope"})).await,
        400
    );
    let snap = state(&fake).await;
    assert_eq!(snap, fake.state());
    assert_eq!(snap.pending_faults.len(), 1);
    assert_eq!(user_info(&fake, &token, "open_id").await.0, 500);
    assert_eq!(user_info(&fake, &token, "open_id").await.0, 200);

    assert_eq!(
        post_json(&fake, "/__fake/expire-access", json!(null)).await,
        204
    );
    assert_eq!(
        user_info(&fake, &token, "open_id").await.1,
        "access_token_invalid"
    );

    assert_eq!(
        post_json(
            &fake,
            "/__fake/settings",
            json!({"deny": true, "processing_polls": 4})
        )
        .await,
        204
    );
    assert_eq!(
        post_json(&fake, "/__fake/settings", json!({"bogus": 1})).await,
        400
    );
    let v = verifier();
    let resp = authorize(&fake, ALL_SCOPES, REDIRECT, &v).await;
    assert_eq!(
        param(&location_query(&resp), "error"),
        Some("access_denied")
    );

    assert_eq!(post_json(&fake, "/__fake/reset", json!(null)).await, 204);
    let snap = state(&fake).await;
    assert!(snap.tokens.is_empty() && snap.calls.is_empty());
    // Settings are back to the start options: login works again.
    connect(&fake).await;
    assert_eq!(fake.state().count(Endpoint::Token), 1);
}

#[tokio::test]
async fn unknown_paths_and_methods() {
    let fake = start().await;
    let c = client();
    let resp = c
        .post(format!("{}/v2/oauth/token", fake.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404, "TikTok paths end with a slash");
    let resp = c
        .get(format!("{}/v2/oauth/token/", fake.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
}

#[tokio::test]
async fn dropping_the_handle_stops_the_server() {
    let fake = start().await;
    let url = format!("{}/__fake/state", fake.base_url());
    assert!(client().get(&url).send().await.is_ok());
    drop(fake);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert!(client().get(&url).send().await.is_err());
}

#[test]
fn serves_while_a_plain_test_thread_blocks() {
    use std::io::{Read, Write};
    let fake = FakeTikTok::start_blocking(Default::default()).unwrap();
    let addr = fake.base_url().trim_start_matches("http://").to_string();
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.write_all(b"GET /__fake/state HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    assert!(out.contains("\"publishes\""));
}
