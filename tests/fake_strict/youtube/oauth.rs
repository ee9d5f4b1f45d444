//! Google OAuth strictness (§1): authorize parameters and the loopback rule, PKCE S256 in
//! base64url (not TikTok's hex), the token endpoint's client checks, single-use codes, refresh
//! without a new refresh token, the Testing-mode and 100-token limits, revoke.

use std::time::Duration;

use base64::Engine;
use serde_json::Value;

use super::*;
use crate::fake_youtube::{Fault, SCOPE_MANAGE, TokenKind, TokenState};

#[tokio::test]
async fn authorize_redirects_with_state_an_encoded_code_and_granted_scopes() {
    let fake = start().await;
    let v = verifier();
    let resp = authorize_raw(&fake, &auth_params(&fake, &v)).await;
    assert_eq!(resp.status(), 302);
    let loc = resp.headers()["location"].to_str().unwrap().to_string();
    assert!(loc.starts_with(REDIRECT), "{loc}");
    // Codes look like `4/0A…`: the `/` travels as %2F and must be decoded exactly once.
    assert!(loc.contains("code=4%2F0A"), "{loc}");
    let q = location_query(&resp);
    let code = param(&q, "code").unwrap();
    assert!(code.starts_with("4/0A"));
    assert_eq!(param(&q, "state"), Some("st4te"));
    assert_eq!(param(&q, "scope"), Some(scopes().as_str()));
    assert_eq!(param(&q, "authuser"), Some("0"));

    let auth = &fake.state().authorizations[0];
    assert_eq!(auth.access_type.as_deref(), Some("offline"));
    assert_eq!(auth.code_challenge_method.as_deref(), Some("S256"));

    // The still-encoded code is not the code.
    let encoded = code.replace('/', "%2F");
    assert_eq!(
        oauth_err(exchange(&fake, &encoded, &v).await).await.1,
        "invalid_grant"
    );
    let code = code_with(&fake, &auth_params(&fake, &v)).await;
    let resp = exchange(&fake, &code, &v).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let t: Value = resp.json().await.unwrap();
    assert!(t["access_token"].as_str().unwrap().starts_with("ya29."));
    assert!(t["refresh_token"].as_str().unwrap().starts_with("1//"));
    assert_eq!(t["expires_in"], 3599);
    assert_eq!(t["token_type"], "Bearer");
    assert_eq!(t["scope"], scopes());
}

#[tokio::test]
async fn authorize_refuses_what_google_refuses_without_redirecting() {
    let fake = start().await;
    let v = verifier();
    let base = auth_params(&fake, &v);
    let hex = hex::encode(Sha256::digest(v.as_bytes()));
    let padded = format!("{}=", s256(&v));
    let cases: Vec<(&str, Option<&str>, u16)> = vec![
        ("client_id", None, 401),
        (
            "client_id",
            Some("someone-else.apps.googleusercontent.com"),
            401,
        ),
        ("redirect_uri", Some("https://127.0.0.1:53123/"), 400),
        ("redirect_uri", Some("http://example.com:53123/"), 400),
        ("redirect_uri", Some("http://127.0.0.1/"), 400),
        ("redirect_uri", Some("http://127.0.0.1:53123/?x=1"), 400),
        ("redirect_uri", Some("urn:ietf:wg:oauth:2.0:oob"), 400),
        ("response_type", None, 400),
        ("response_type", Some("token"), 400),
        ("scope", None, 400),
        // Comma-separated (TikTok style) and short names are not Google scopes (§1.9).
        (
            "scope",
            Some(
                "https://www.googleapis.com/auth/youtube.upload,https://www.googleapis.com/auth/youtube.readonly",
            ),
            400,
        ),
        ("scope", Some("youtube.upload"), 400),
        ("state", None, 400),
        ("code_challenge", None, 400),
        // TikTok's hex digest, a padded base64url, and `plain` in strict mode (§1.4).
        ("code_challenge", Some(hex.as_str()), 400),
        ("code_challenge", Some(padded.as_str()), 400),
        ("code_challenge_method", None, 400),
        ("code_challenge_method", Some("plain"), 400),
        ("access_type", Some("forever"), 400),
        ("prompt", Some("always"), 400),
    ];
    for (key, value, status) in cases {
        let resp = authorize_raw(&fake, &with(base.clone(), key, value)).await;
        assert_eq!(resp.status(), status, "{key}={value:?}");
        assert!(resp.headers().get("location").is_none(), "{key}={value:?}");
        let page = resp.text().await.unwrap();
        assert!(page.contains("Error"), "{page}");
    }
    assert_eq!(fake.state().codes_issued, 0);
    // Loopback forms Google accepts (§1.3).
    for uri in [
        "http://[::1]:8080",
        "http://localhost:9004/cb",
        "http://127.0.0.1:1/",
    ] {
        let resp = authorize_raw(&fake, &with(base.clone(), "redirect_uri", Some(uri))).await;
        assert_eq!(resp.status(), 302, "{uri}");
    }
}

#[tokio::test]
async fn a_denied_consent_and_an_unticked_scope() {
    let fake = start().await;
    fake.set_deny(true);
    let v = verifier();
    let resp = authorize_raw(&fake, &auth_params(&fake, &v)).await;
    assert_eq!(resp.status(), 302);
    let q = location_query(&resp);
    assert_eq!(param(&q, "error"), Some("access_denied"));
    assert_eq!(param(&q, "state"), Some("st4te"));
    assert_eq!(param(&q, "code"), None);

    // Granular consent: the user unticks youtube.upload (§1.5); the token says so.
    fake.set_deny(false);
    fake.set_granted_scopes(Some(vec![SCOPE_READONLY.to_string()]));
    let t = connect_scope(&fake, &scopes()).await;
    assert_eq!(t["scope"], SCOPE_READONLY);
    let token = t["access_token"].as_str().unwrap();
    let (status, reason, _) = api_err(init(&fake, token, &meta(), 1000).await).await;
    assert_eq!((status, reason.as_str()), (403, "insufficientPermissions"));
}

#[tokio::test]
async fn the_token_endpoint_checks_client_code_redirect_and_verifier() {
    let fake = start_with(FakeOptions {
        extra_clients: vec![(
            "other.apps.googleusercontent.com".into(),
            "other-secret".into(),
        )],
        ..Default::default()
    })
    .await;
    let v = verifier();
    let code = code_with(&fake, &auth_params(&fake, &v)).await;
    let (id, secret) = (
        fake.client_id().to_string(),
        fake.client_secret().to_string(),
    );
    let form = |secret: Option<&str>, code: String, verifier: String, redirect: &str| {
        let mut f = vec![
            ("client_id", id.clone()),
            ("code", code),
            ("code_verifier", verifier),
            ("grant_type", "authorization_code".to_string()),
            ("redirect_uri", redirect.to_string()),
        ];
        if let Some(s) = secret {
            f.push(("client_secret", s.to_string()));
        }
        f
    };
    let send = |f: Vec<(&'static str, String)>| {
        let fake = &fake;
        async move {
            let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            oauth_err(token_form(fake, &pairs).await).await
        }
    };
    // §1.5 DISAGREE: the secret is not optional for a Desktop client.
    let (s, e, d) = send(form(None, code.clone(), v.clone(), REDIRECT)).await;
    assert_eq!(
        (s, e.as_str(), d.as_str()),
        (400, "invalid_request", "client_secret is missing.")
    );
    let (s, e, _) = send(form(Some("wrong"), code.clone(), v.clone(), REDIRECT)).await;
    assert_eq!((s, e.as_str()), (401, "invalid_client"));
    let (s, e, _) = oauth_err(
        token_form(
            &fake,
            &[
                ("client_id", "nobody"),
                ("client_secret", "x"),
                ("code", &code),
            ],
        )
        .await,
    )
    .await;
    assert_eq!((s, e.as_str()), (401, "invalid_client"));
    // JSON is not a form.
    let resp = client()
        .post(fake.token_url())
        .json(&serde_json::json!({"client_id": id, "client_secret": secret, "code": code}))
        .send()
        .await
        .unwrap();
    assert_eq!(oauth_err(resp).await.1, "invalid_request");

    // A wrong verifier consumes the code (single use) and is invalid_grant.
    let (s, e, _) = send(form(Some(&secret), code.clone(), verifier(), REDIRECT)).await;
    assert_eq!((s, e.as_str()), (400, "invalid_grant"));
    let (_, e, _) = send(form(Some(&secret), code.clone(), v.clone(), REDIRECT)).await;
    assert_eq!(e, "invalid_grant", "a used code stays used");

    // A redirect URI differing by one byte.
    let code = code_with(&fake, &auth_params(&fake, &v)).await;
    let (s, e, _) = send(form(
        Some(&secret),
        code,
        v.clone(),
        "http://127.0.0.1:53123",
    ))
    .await;
    assert_eq!((s, e.as_str()), (400, "redirect_uri_mismatch"));

    // An expired code (10 minutes, on the fake clock).
    let code = code_with(&fake, &auth_params(&fake, &v)).await;
    fake.advance_clock(Duration::from_secs(601));
    let (_, e, _) = send(form(Some(&secret), code, v.clone(), REDIRECT)).await;
    assert_eq!(e, "invalid_grant");

    // A code issued to this client, presented by another one of the project.
    let code = code_with(&fake, &auth_params(&fake, &v)).await;
    let resp = token_form(
        &fake,
        &[
            ("client_id", "other.apps.googleusercontent.com"),
            ("client_secret", "other-secret"),
            ("code", &code),
            ("code_verifier", &v),
            ("grant_type", "authorization_code"),
            ("redirect_uri", REDIRECT),
        ],
    )
    .await;
    assert_eq!(oauth_err(resp).await.1, "invalid_grant");

    // HTTP Basic client authentication works too (§1.5).
    let code = code_with(&fake, &auth_params(&fake, &v)).await;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
    let resp = client()
        .post(fake.token_url())
        .header("Authorization", format!("Basic {basic}"))
        .form(&[
            ("code", code.as_str()),
            ("code_verifier", &v),
            ("grant_type", "authorization_code"),
            ("redirect_uri", REDIRECT),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let snap = fake.state();
    assert!(snap.secrets_seen.contains(&v) && snap.secrets_seen.contains(&secret));
}

#[tokio::test]
async fn refresh_keeps_the_refresh_token_and_refuses_foreign_or_dead_ones() {
    let fake = start_with(FakeOptions {
        extra_clients: vec![(
            "other.apps.googleusercontent.com".into(),
            "other-secret".into(),
        )],
        ..Default::default()
    })
    .await;
    let t = connect_scope(&fake, &scopes()).await;
    let (access, rt) = (
        t["access_token"].as_str().unwrap().to_string(),
        t["refresh_token"].as_str().unwrap().to_string(),
    );
    let resp = refresh(&fake, &rt).await;
    assert_eq!(resp.status(), 200);
    let r: Value = resp.json().await.unwrap();
    assert!(r.get("refresh_token").is_none(), "no rotation (§1.6): {r}");
    assert_ne!(r["access_token"], access);
    assert_eq!(r["scope"], scopes());
    // The same refresh token works again, and the earlier access token still works.
    assert_eq!(refresh(&fake, &rt).await.status(), 200);
    assert_eq!(
        api_get(&fake, &access, "channels?part=id&mine=true")
            .await
            .status(),
        200
    );
    assert_eq!(
        fake.state().valid_tokens(TokenKind::Refresh),
        vec![rt.as_str()]
    );

    // Another client of the project presenting it: 401 unauthorized_client.
    let resp = token_form(
        &fake,
        &[
            ("client_id", "other.apps.googleusercontent.com"),
            ("client_secret", "other-secret"),
            ("grant_type", "refresh_token"),
            ("refresh_token", &rt),
        ],
    )
    .await;
    let (s, e, _) = oauth_err(resp).await;
    assert_eq!((s, e.as_str()), (401, "unauthorized_client"));

    fake.inject(Fault::RefreshFails {
        error: "invalid_grant".into(),
    });
    assert_eq!(
        oauth_err(refresh(&fake, &rt).await).await.1,
        "invalid_grant"
    );
    assert_eq!(
        refresh(&fake, &rt).await.status(),
        200,
        "the fault fires once"
    );

    fake.expire_refresh_tokens();
    let (s, e, d) = oauth_err(refresh(&fake, &rt).await).await;
    assert_eq!(
        (s, e.as_str(), d.as_str()),
        (400, "invalid_grant", "Token has been expired or revoked.")
    );
    let snap = fake.state();
    assert_eq!((snap.refresh_calls, snap.refreshes_ok), (6, 3));
}

#[tokio::test]
async fn a_refresh_token_needs_offline_access_and_first_or_forced_consent() {
    let fake = start().await;
    let v = verifier();
    // Without access_type=offline: no refresh token (the strict reading of §1.2).
    let code = code_with(&fake, &with(auth_params(&fake, &v), "access_type", None)).await;
    let t: Value = exchange(&fake, &code, &v).await.json().await.unwrap();
    assert!(t.get("refresh_token").is_none(), "{t}");
    // First consent with offline access: one.
    let code = code_with(&fake, &auth_params(&fake, &v)).await;
    let t: Value = exchange(&fake, &code, &v).await.json().await.unwrap();
    assert!(t["refresh_token"].is_string());
    // Again without prompt=consent: "only returned on the first authorization".
    let code = code_with(&fake, &with(auth_params(&fake, &v), "prompt", None)).await;
    let t: Value = exchange(&fake, &code, &v).await.json().await.unwrap();
    assert!(t.get("refresh_token").is_none(), "{t}");
    // prompt=consent asks again and gets a new one.
    let code = code_with(&fake, &auth_params(&fake, &v)).await;
    let t: Value = exchange(&fake, &code, &v).await.json().await.unwrap();
    assert!(t["refresh_token"].is_string());
}

#[tokio::test]
async fn testing_mode_refresh_tokens_die_after_7_days_and_the_cap_drops_the_oldest() {
    let fake = start_with(FakeOptions {
        testing_mode: true,
        refresh_token_cap: 2,
        ..Default::default()
    })
    .await;
    let rts: Vec<String> = {
        let mut v = Vec::new();
        for _ in 0..3 {
            let t = connect_scope(&fake, &scopes()).await;
            v.push(t["refresh_token"].as_str().unwrap().to_string());
        }
        v
    };
    // The third login silently killed the first refresh token (§1.6).
    assert_eq!(
        oauth_err(refresh(&fake, &rts[0]).await).await.1,
        "invalid_grant"
    );
    let snap = fake.state();
    let first = snap.tokens.iter().find(|t| t.token == rts[0]).unwrap();
    assert_eq!(first.state, TokenState::Evicted);
    assert_eq!(refresh(&fake, &rts[2]).await.status(), 200);
    fake.advance_clock(Duration::from_secs(6 * 86400));
    assert_eq!(refresh(&fake, &rts[2]).await.status(), 200);
    fake.advance_clock(Duration::from_secs(86400 + 1));
    assert_eq!(
        oauth_err(refresh(&fake, &rts[2]).await).await.1,
        "invalid_grant"
    );
}

#[tokio::test]
async fn revoke_kills_every_token_and_then_answers_invalid_token() {
    let fake = start().await;
    let t = connect_scope(&fake, &format!("{} {SCOPE_MANAGE}", scopes())).await;
    let access = t["access_token"].as_str().unwrap();
    let rt = t["refresh_token"].as_str().unwrap();
    // Not a form.
    let resp = client()
        .post(format!("{}?token={access}", fake.revoke_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(oauth_err(resp).await.1, "invalid_request");
    let revoke = |token: String| {
        let url = fake.revoke_url();
        async move {
            client()
                .post(format!("{url}?token={token}"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .send()
                .await
                .unwrap()
        }
    };
    // Revoking the access token kills the refresh token too (§1.6).
    assert_eq!(revoke(access.to_string()).await.status(), 200);
    let (s, reason, _) = api_err(api_get(&fake, access, "channels?part=id&mine=true").await).await;
    assert_eq!((s, reason.as_str()), (401, "authError"));
    assert_eq!(oauth_err(refresh(&fake, rt).await).await.1, "invalid_grant");
    let (s, e, _) = oauth_err(revoke(rt.to_string()).await).await;
    assert_eq!((s, e.as_str()), (400, "invalid_token"));
    let snap = fake.state();
    assert!(snap.revoked_tokens.iter().any(|t| t == rt));
    assert!(snap.valid_tokens(TokenKind::Access).is_empty());
}

#[tokio::test]
async fn an_expired_access_token_gets_the_documented_401() {
    let fake = start().await;
    fake.inject(Fault::NextAccessTokenExpired);
    let t = connect_scope(&fake, &scopes()).await;
    let token = t["access_token"].as_str().unwrap();
    let resp = api_get(&fake, token, "channels?part=id&mine=true").await;
    assert!(
        resp.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
    let (status, reason, body) = api_err(resp).await;
    assert_eq!((status, reason.as_str()), (401, "authError"));
    assert_eq!(body["error"]["errors"][0]["location"], "Authorization");
    assert_eq!(body["error"]["errors"][0]["locationType"], "header");
    // A refreshed token works; then the clock runs past expires_in.
    let r: Value = refresh(&fake, t["refresh_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    let fresh = r["access_token"].as_str().unwrap();
    assert_eq!(
        api_get(&fake, fresh, "channels?part=id&mine=true")
            .await
            .status(),
        200
    );
    fake.advance_clock(Duration::from_secs(3600));
    assert_eq!(
        api_get(&fake, fresh, "channels?part=id&mine=true")
            .await
            .status(),
        401
    );
    // No token at all.
    let resp = client()
        .get(format!(
            "{}/youtube/v3/channels?part=id&mine=true",
            fake.api_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
}

#[tokio::test]
async fn plain_pkce_only_when_strict_s256_is_off() {
    let fake = start_with(FakeOptions {
        require_s256: false,
        ..Default::default()
    })
    .await;
    let v = verifier();
    // No method means `plain` (§1.4): the challenge is the verifier itself.
    let params = with(auth_params(&fake, &v), "code_challenge_method", None);
    let params = with(params, "code_challenge", Some(&v));
    let code = code_with(&fake, &params).await;
    assert_eq!(exchange(&fake, &code, &v).await.status(), 200);
    let code = code_with(&fake, &params).await;
    assert_eq!(
        oauth_err(exchange(&fake, &code, &verifier()).await).await.1,
        "invalid_grant"
    );
    // A verifier too short for RFC 7636 fails even when it matches.
    let short = "abc";
    let params = with(
        auth_params(&fake, short),
        "code_challenge_method",
        Some("plain"),
    );
    let resp = authorize_raw(&fake, &with(params, "code_challenge", Some(short))).await;
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn injected_oauth_faults_use_the_oauth_shapes() {
    let fake = start().await;
    let v = verifier();
    // A 3xx on authorize is the browser coming back with `error=` (e.g. admin_policy_enforced).
    fake.inject(Fault::Status {
        endpoint: Endpoint::Authorize,
        http: 302,
        reason: "admin_policy_enforced".into(),
        retry_after: None,
    });
    let resp = authorize_raw(&fake, &auth_params(&fake, &v)).await;
    let q = location_query(&resp);
    assert_eq!(param(&q, "error"), Some("admin_policy_enforced"));
    assert_eq!(param(&q, "state"), Some("st4te"));
    // Another status is Google's error page.
    fake.inject(Fault::Status {
        endpoint: Endpoint::Authorize,
        http: 500,
        reason: "server_error".into(),
        retry_after: None,
    });
    assert_eq!(
        authorize_raw(&fake, &auth_params(&fake, &v)).await.status(),
        500
    );
    // The token endpoint answers the flat OAuth error; the code is untouched and still works.
    let code = code_with(&fake, &auth_params(&fake, &v)).await;
    fake.inject(Fault::Status {
        endpoint: Endpoint::Token,
        http: 503,
        reason: "temporarily_unavailable".into(),
        retry_after: Some(2),
    });
    let resp = exchange(&fake, &code, &v).await;
    assert_eq!(resp.headers()["retry-after"], "2");
    assert_eq!(oauth_err(resp).await.1, "temporarily_unavailable");
    assert_eq!(exchange(&fake, &code, &v).await.status(), 200);
    // A delay holds the answer back.
    fake.inject(Fault::Delay {
        endpoint: Endpoint::Token,
        ms: 300,
    });
    let t0 = std::time::Instant::now();
    let code = code_with(&fake, &auth_params(&fake, &v)).await;
    assert_eq!(exchange(&fake, &code, &v).await.status(), 200);
    assert!(t0.elapsed() >= Duration::from_millis(300));
    assert_eq!(fake.state().count(Endpoint::Token), 3);
}
