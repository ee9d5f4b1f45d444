//! Login Kit strictness: authorize parameters, PKCE (hex only), code exchange, refresh rotation,
//! revoke, user info, and the token faults.

use std::time::Duration;

use base64::Engine;
use serde_json::Value;

use super::fake_tiktok::{Endpoint, FakeOptions, Fault, TokenKind, TokenState};
use super::*;

/// RFC 7636 S256 challenge (base64url, no padding), which TikTok desktop does not accept.
fn b64url_challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

#[tokio::test]
async fn happy_login_returns_flat_tokens_and_an_encoded_code() {
    let fake = start().await;
    let v = verifier();
    let resp = authorize(&fake, ALL_SCOPES, REDIRECT, &v).await;
    assert_eq!(resp.status(), 302);
    let loc = resp.headers()["location"].to_str().unwrap().to_string();
    assert!(loc.starts_with(REDIRECT), "{loc}");
    // The code needs URL-decoding: `*` and `!` travel percent-encoded.
    assert!(loc.contains("%2A") && loc.contains("%21"), "{loc}");
    let q = location_query(&resp);
    let code = param(&q, "code").unwrap();
    assert!(code.contains('*') && code.contains('!'));
    assert_eq!(param(&q, "scopes"), Some(ALL_SCOPES));
    assert_eq!(param(&q, "state"), Some("st4te"));

    // Sending the still-encoded code fails: clients must decode.
    let encoded = pct_encode(code);
    let resp = exchange(&fake, &encoded, &v).await;
    assert_eq!(resp.status(), 400);

    let fake = start().await;
    let tokens = connect_with(&fake, ALL_SCOPES).await;
    assert!(tokens["access_token"].as_str().unwrap().starts_with("act."));
    assert!(
        tokens["refresh_token"]
            .as_str()
            .unwrap()
            .starts_with("rft.")
    );
    assert_eq!(tokens["expires_in"], 7200);
    assert_eq!(tokens["refresh_expires_in"], 180 * 86400);
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["scope"], ALL_SCOPES);
    assert!(tokens["open_id"].as_str().is_some());
    assert!(
        tokens.get("data").is_none(),
        "token JSON is flat, not an envelope"
    );
    let snap = fake.state();
    assert_eq!((snap.codes_issued, snap.codes_used), (1, 1));
    assert_eq!(snap.valid_tokens(TokenKind::Access).len(), 1);
}

#[tokio::test]
async fn base64url_and_other_bad_challenges_are_rejected_at_authorize() {
    let fake = start().await;
    let v = verifier();
    let b64 = b64url_challenge(&v);
    assert_eq!(b64.len(), 43);
    let upper = hex_challenge(&v).to_uppercase();
    let hex = hex_challenge(&v);
    for (challenge, method) in [
        (b64.as_str(), Some("S256")),
        (upper.as_str(), Some("S256")),
        (hex.as_str(), Some("plain")),
        (hex.as_str(), None),
        ("", Some("S256")),
    ] {
        let resp = authorize_raw(
            &fake,
            &[
                ("client_key", Some("fake_client_key")),
                ("scope", Some(ALL_SCOPES)),
                ("redirect_uri", Some(REDIRECT)),
                ("state", Some("s")),
                ("response_type", Some("code")),
                ("code_challenge", Some(challenge).filter(|c| !c.is_empty())),
                ("code_challenge_method", method),
            ],
        )
        .await;
        assert_eq!(resp.status(), 302, "{challenge} {method:?}");
        let q = location_query(&resp);
        assert_eq!(param(&q, "error"), Some("invalid_request"));
        assert_eq!(
            param(&q, "error_description"),
            Some("Code verifier or code challenge is invalid.")
        );
        assert_eq!(param(&q, "state"), Some("s"));
        assert!(param(&q, "code").is_none());
    }
    assert_eq!(fake.state().codes_issued, 0);
}

#[tokio::test]
async fn bad_client_key_or_redirect_uri_gets_an_error_page_not_a_redirect() {
    let fake = start().await;
    let v = verifier();
    let ch = hex_challenge(&v);
    let base = |key: &'static str, redirect: &'static str| {
        vec![
            ("client_key", Some(key)),
            ("scope", Some(ALL_SCOPES)),
            ("redirect_uri", Some(redirect)),
            ("state", Some("s")),
            ("response_type", Some("code")),
            ("code_challenge_method", Some("S256")),
        ]
    };
    let mut params = base("wrong_key", REDIRECT);
    params.push(("code_challenge", Some(&ch)));
    let resp = authorize_raw(&fake, &params).await;
    assert_eq!(resp.status(), 400);
    assert!(resp.headers().get("location").is_none());

    for redirect in [
        "http://127.0.0.1/callback/",           // no port
        "http://127.0.0.1:8080/callback",       // no trailing slash
        "http://127.0.0.1:8080/",               // wrong path
        "http://[::1]:8080/callback/",          // IPv6 loopback not listed
        "http://example.com:8080/callback/",    // not loopback
        "http://127.0.0.1:8080/callback/?a=b",  // query
        "http://127.0.0.1:8080/callback/#frag", // fragment
        "ftp://127.0.0.1:8080/callback/",       // scheme
        "http://127.0.0.1:*/callback/",         // the wildcard is for registration only
    ] {
        let mut params = base("fake_client_key", redirect);
        params.push(("code_challenge", Some(&ch)));
        let resp = authorize_raw(&fake, &params).await;
        assert_eq!(resp.status(), 400, "{redirect}");
    }
    for ok in [
        "http://localhost:3455/callback/",
        "https://127.0.0.1:3455/callback/",
    ] {
        let resp = authorize(&fake, ALL_SCOPES, ok, &v).await;
        assert_eq!(resp.status(), 302, "{ok}");
        assert!(param(&location_query(&resp), "code").is_some());
    }
}

#[tokio::test]
async fn scopes_state_and_response_type_are_checked() {
    let fake = start().await;
    let v = verifier();
    for (scope, want) in [
        ("user.info.basic video.publish", "invalid_scope"),
        ("user.info.basic,user.info.profile", "invalid_scope"),
        ("", "invalid_scope"),
    ] {
        let resp = authorize(&fake, scope, REDIRECT, &v).await;
        assert_eq!(
            param(&location_query(&resp), "error"),
            Some(want),
            "{scope}"
        );
    }
    let ch = hex_challenge(&v);
    let resp = authorize_raw(
        &fake,
        &[
            ("client_key", Some("fake_client_key")),
            ("scope", Some(ALL_SCOPES)),
            ("redirect_uri", Some(REDIRECT)),
            ("state", Some("s")),
            ("response_type", Some("token")),
            ("code_challenge", Some(&ch)),
            ("code_challenge_method", Some("S256")),
        ],
    )
    .await;
    assert_eq!(
        param(&location_query(&resp), "error"),
        Some("unsupported_response_type")
    );
    let resp = authorize_raw(
        &fake,
        &[
            ("client_key", Some("fake_client_key")),
            ("scope", Some(ALL_SCOPES)),
            ("redirect_uri", Some(REDIRECT)),
            ("response_type", Some("code")),
            ("code_challenge", Some(&ch)),
            ("code_challenge_method", Some("S256")),
        ],
    )
    .await;
    assert_eq!(
        param(&location_query(&resp), "error"),
        Some("invalid_request")
    );
}

#[tokio::test]
async fn deny_and_partial_consent() {
    let fake = start().await;
    let v = verifier();
    fake.set_deny(true);
    let resp = authorize(&fake, ALL_SCOPES, REDIRECT, &v).await;
    let q = location_query(&resp);
    assert_eq!(param(&q, "error"), Some("access_denied"));
    assert!(param(&q, "error_description").is_some());
    assert_eq!(param(&q, "state"), Some("st4te"));

    fake.set_deny(false);
    fake.set_granted_scopes(Some(vec!["user.info.basic".into(), "video.upload".into()]));
    let resp = authorize(&fake, ALL_SCOPES, REDIRECT, &v).await;
    assert_eq!(
        param(&location_query(&resp), "scopes"),
        Some("user.info.basic,video.upload")
    );
    let tokens = connect_with(&fake, ALL_SCOPES).await;
    assert_eq!(tokens["scope"], "user.info.basic,video.upload");
    let token = tokens["access_token"].as_str().unwrap();
    let resp = api_post(
        &fake,
        "/v2/post/publish/creator_info/query/",
        token,
        &Value::Null,
    )
    .await;
    let (status, code, _) = envelope(resp).await;
    assert_eq!((status, code.as_str()), (401, "scope_not_authorized"));
}

#[tokio::test]
async fn code_exchange_rejects_reuse_wrong_redirect_secret_verifier_and_json() {
    let fake = start().await;
    let v = verifier();

    // Reused code.
    let code1 = code(&fake, ALL_SCOPES, &v).await;
    assert_eq!(exchange(&fake, &code1, &v).await.status(), 200);
    let resp = exchange(&fake, &code1, &v).await;
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert!(body["log_id"].as_str().is_some());

    // Different redirect_uri (even just localhost vs 127.0.0.1).
    let code2 = code(&fake, ALL_SCOPES, &v).await;
    let resp = token_form(
        &fake,
        &[
            ("client_key", "fake_client_key"),
            ("client_secret", "fake_client_secret"),
            ("code", &code2),
            ("grant_type", "authorization_code"),
            ("redirect_uri", "http://localhost:53122/callback/"),
            ("code_verifier", &v),
        ],
    )
    .await;
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .starts_with("Redirect_uri is not matched")
    );
    // ...and the code was consumed by that attempt.
    assert_eq!(exchange(&fake, &code2, &v).await.status(), 400);

    // Wrong secret.
    let code3 = code(&fake, ALL_SCOPES, &v).await;
    let resp = token_form(
        &fake,
        &[
            ("client_key", "fake_client_key"),
            ("client_secret", "nope"),
            ("code", &code3),
            ("grant_type", "authorization_code"),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &v),
        ],
    )
    .await;
    assert_eq!(resp.status(), 401);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"],
        "invalid_client"
    );
    // A wrong secret does not burn the code.
    assert_eq!(exchange(&fake, &code3, &v).await.status(), 200);

    // Wrong verifier, and a verifier that is too short.
    for bad in [verifier(), "short".to_string()] {
        let c = code(&fake, ALL_SCOPES, &v).await;
        let resp = exchange(&fake, &c, &bad).await;
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request");
        assert_eq!(
            body["error_description"],
            "Code verifier or code challenge is invalid."
        );
    }

    // JSON instead of a form.
    let c = code(&fake, ALL_SCOPES, &v).await;
    let resp = client()
        .post(format!("{}/v2/oauth/token/", fake.base_url()))
        .json(&serde_json::json!({
            "client_key": "fake_client_key", "client_secret": "fake_client_secret",
            "code": c, "grant_type": "authorization_code", "redirect_uri": REDIRECT,
            "code_verifier": v,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"],
        "invalid_request"
    );

    // Unknown grant type.
    let resp = token_form(
        &fake,
        &[
            ("client_key", "fake_client_key"),
            ("client_secret", "fake_client_secret"),
            ("grant_type", "client_credentials"),
        ],
    )
    .await;
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"],
        "unsupported_grant_type"
    );
}

#[tokio::test]
async fn refresh_rotates_and_old_tokens_die() {
    let fake = start().await;
    let t1 = connect_with(&fake, ALL_SCOPES).await;
    let (a1, r1) = (
        t1["access_token"].as_str().unwrap(),
        t1["refresh_token"].as_str().unwrap(),
    );
    let resp = refresh(&fake, r1).await;
    assert_eq!(resp.status(), 200);
    let t2: Value = resp.json().await.unwrap();
    let (a2, r2) = (
        t2["access_token"].as_str().unwrap(),
        t2["refresh_token"].as_str().unwrap(),
    );
    assert_ne!(r1, r2);
    assert_ne!(a1, a2);
    assert_eq!(t2["scope"], ALL_SCOPES);

    // The old refresh token is dead, and so is the old access token.
    let resp = refresh(&fake, r1).await;
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
    assert_eq!(
        user_info(&fake, a1, "open_id").await.1,
        "access_token_invalid"
    );
    assert_eq!(user_info(&fake, a2, "open_id").await.1, "ok");

    let snap = fake.state();
    assert_eq!((snap.refresh_calls, snap.refreshes_ok), (2, 1));
    let state_of = |t: &str| snap.tokens.iter().find(|x| x.token == t).unwrap().state;
    assert_eq!(state_of(r1), TokenState::Rotated);
    assert_eq!(state_of(a1), TokenState::Rotated);
    assert_eq!(state_of(r2), TokenState::Valid);

    fake.expire_refresh_tokens();
    assert_eq!(
        refresh(&fake, r2).await.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
}

pub async fn user_info(fake: &FakeTikTok, token: &str, fields: &str) -> (u16, String, Value) {
    let resp = client()
        .get(format!("{}/v2/user/info/", fake.base_url()))
        .query(&[("fields", fields)])
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    envelope(resp).await
}

#[tokio::test]
async fn user_info_is_strict_about_fields_scopes_and_tokens() {
    let fake = start().await;
    let token = connect(&fake).await;
    let (status, code, body) = user_info(&fake, &token, "open_id,display_name,avatar_url").await;
    assert_eq!((status, code.as_str()), (200, "ok"));
    let user = body["data"]["user"].as_object().unwrap();
    assert_eq!(user.len(), 3);
    assert_eq!(user["display_name"], "Fake Creator");

    assert_eq!(user_info(&fake, &token, "username").await.0, 401);
    assert_eq!(
        user_info(&fake, &token, "username").await.1,
        "scope_not_authorized"
    );
    assert_eq!(user_info(&fake, &token, "open_id,nope").await.0, 400);
    assert_eq!(
        user_info(&fake, &token, "open_id, display_name").await.0,
        400
    );

    let resp = client()
        .get(format!("{}/v2/user/info/", fake.base_url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(envelope(resp).await.0, 400, "fields is required");

    let resp = client()
        .get(format!("{}/v2/user/info/?fields=open_id", fake.base_url()))
        .send()
        .await
        .unwrap();
    let (status, code, _) = envelope(resp).await;
    assert_eq!((status, code.as_str()), (401, "access_token_invalid"));
    assert_eq!(user_info(&fake, "act.madeup", "open_id").await.0, 401);

    fake.expire_access_tokens();
    let (status, code, _) = user_info(&fake, &token, "open_id").await;
    assert_eq!((status, code.as_str()), (401, "access_token_invalid"));
}

#[tokio::test]
async fn revoke_kills_the_grant() {
    let fake = start().await;
    let t = connect_with(&fake, ALL_SCOPES).await;
    let (a, r) = (
        t["access_token"].as_str().unwrap(),
        t["refresh_token"].as_str().unwrap(),
    );
    let revoke = |form: Vec<(&'static str, String)>| {
        let url = format!("{}/v2/oauth/revoke/", fake.base_url());
        async move { client().post(url).form(&form).send().await.unwrap() }
    };
    let resp = revoke(vec![
        ("client_key", "fake_client_key".into()),
        ("client_secret", "bad".into()),
        ("token", a.into()),
    ])
    .await;
    assert_eq!(resp.status(), 401);
    let resp = revoke(vec![
        ("client_key", "fake_client_key".into()),
        ("client_secret", "fake_client_secret".into()),
        ("token", a.into()),
    ])
    .await;
    assert_eq!(resp.status(), 200);
    assert!(resp.bytes().await.unwrap().is_empty());
    assert_eq!(
        user_info(&fake, a, "open_id").await.1,
        "access_token_invalid"
    );
    assert_eq!(
        refresh(&fake, r).await.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
    let snap = fake.state();
    assert_eq!(snap.revoked_tokens.len(), 2);
    assert!(
        snap.revoked_tokens.iter().any(|x| x == a) && snap.revoked_tokens.iter().any(|x| x == r)
    );
}

#[tokio::test]
async fn token_faults() {
    let fake = start().await;
    // A token born expired: the exchange looks fine, the first API call is 401, a refresh heals.
    fake.inject(Fault::NextAccessTokenExpired);
    let t = connect_with(&fake, ALL_SCOPES).await;
    let a = t["access_token"].as_str().unwrap();
    assert_eq!(
        user_info(&fake, a, "open_id").await.1,
        "access_token_invalid"
    );
    let r = t["refresh_token"].as_str().unwrap();

    // RefreshFails answers the error and leaves the refresh token usable.
    fake.inject(Fault::RefreshFails {
        error: "invalid_grant".into(),
    });
    let resp = refresh(&fake, r).await;
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
    fake.inject(Fault::RefreshFails {
        error: "server_error".into(),
    });
    assert_eq!(refresh(&fake, r).await.status(), 500);
    let resp = refresh(&fake, r).await;
    assert_eq!(resp.status(), 200);
    let t2: Value = resp.json().await.unwrap();
    assert_eq!(
        user_info(&fake, t2["access_token"].as_str().unwrap(), "open_id")
            .await
            .1,
        "ok"
    );

    // Status on the token endpoint: flat OAuth shape.
    fake.inject(Fault::Status {
        endpoint: Endpoint::Token,
        http: 503,
        code: "temporarily_unavailable".into(),
    });
    let resp = refresh(&fake, t2["refresh_token"].as_str().unwrap()).await;
    assert_eq!(resp.status(), 503);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable");
    assert_eq!(fake.state().refresh_calls, 4);

    // Delay.
    fake.inject(Fault::Delay {
        endpoint: Endpoint::UserInfo,
        ms: 300,
    });
    let t0 = std::time::Instant::now();
    user_info(&fake, t2["access_token"].as_str().unwrap(), "open_id").await;
    assert!(t0.elapsed() >= Duration::from_millis(300));

    // Authorize: 3xx fault redirects with the error, other statuses show a page.
    fake.inject(Fault::Status {
        endpoint: Endpoint::Authorize,
        http: 302,
        code: "server_error".into(),
    });
    let v = verifier();
    let resp = authorize(&fake, ALL_SCOPES, REDIRECT, &v).await;
    assert_eq!(param(&location_query(&resp), "error"), Some("server_error"));
    fake.inject(Fault::Status {
        endpoint: Endpoint::Authorize,
        http: 503,
        code: "down".into(),
    });
    assert_eq!(
        authorize(&fake, ALL_SCOPES, REDIRECT, &v).await.status(),
        503
    );
}

#[tokio::test]
async fn codes_expire_with_options_respected() {
    // Short access TTL from options shows up in expires_in and is enforced.
    let fake = start_with(FakeOptions {
        access_ttl: Duration::from_millis(1500),
        ..Default::default()
    })
    .await;
    let t = connect_with(&fake, ALL_SCOPES).await;
    assert_eq!(t["expires_in"], 1);
    let a = t["access_token"].as_str().unwrap();
    assert_eq!(user_info(&fake, a, "open_id").await.1, "ok");
    tokio::time::sleep(Duration::from_millis(1600)).await;
    assert_eq!(
        user_info(&fake, a, "open_id").await.1,
        "access_token_invalid"
    );
}
