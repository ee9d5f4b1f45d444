//! Login Kit: the authorize "browser + consent screen", the token endpoint (code exchange and
//! rotating refresh), revoke, and `/v2/user/info/` (tiktok-api.md §1).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::reply::{
    api_error, get, html_page, is_form, oauth_error, ok, parse_form, pct, random_alnum,
    random_digits,
};
use super::state::{CodeRec, Fault, Life, State as St, TokenKind, TokenRec};
use super::{Endpoint, Inner};

/// Authorization codes live this long (RFC 6749 §4.1.2 recommends at most 10 minutes).
const CODE_TTL: Duration = Duration::from_secs(600);

const BAD_PKCE: &str = "Code verifier or code challenge is invalid.";

/// `GET /v2/auth/authorize/`. Answers what the browser would end up with after the user clicks
/// "Authorize" (or "Cancel" with [`super::FakeTikTok::set_deny`]): a 302 to the redirect URI.
///
/// Errors before the redirect URI is trusted (unknown `client_key`, a redirect URI breaking the
/// desktop rules) are HTML pages with status 400, as an OAuth server must not redirect to an
/// unverified URI. Later errors redirect with `error`, `error_description` and `state`.
pub(crate) async fn authorize(State(inner): State<Arc<Inner>>, RawQuery(q): RawQuery) -> Response {
    let fault = inner.begin(Endpoint::Authorize).await;
    let form = match parse_form(q.unwrap_or_default().as_bytes()) {
        Ok(f) => f,
        Err(k) => return html_page(400, "invalid_request", &format!("`{k}` is given twice")),
    };
    if get(&form, "client_key") != Some(inner.client_key.as_str()) {
        // `client_id` (the RFC name) is not TikTok's name and does not count.
        return html_page(
            400,
            "Something went wrong",
            "client_key: unknown or missing client_key",
        );
    }
    let redirect = get(&form, "redirect_uri").unwrap_or_default();
    if !desktop_redirect_ok(redirect) {
        return html_page(
            400,
            "Something went wrong",
            "error_type=redirect_uri: redirect_uri must be http(s)://127.0.0.1:PORT/callback/ or \
             http(s)://localhost:PORT/callback/ (explicit port, no query, no fragment)",
        );
    }
    let state = get(&form, "state").unwrap_or_default();
    let fail = |error: &str, description: &str| {
        let mut target = format!(
            "{redirect}?error={}&error_description={}",
            pct(error),
            pct(description)
        );
        if !state.is_empty() {
            target.push_str(&format!("&state={}", pct(state)));
        }
        found(&target)
    };
    if let Some((http, code)) = fault {
        return if (300..400).contains(&http) {
            fail(&code, "Injected by the fake TikTok server.")
        } else {
            html_page(http, &code, "Injected by the fake TikTok server.")
        };
    }
    if get(&form, "response_type") != Some("code") {
        return fail("unsupported_response_type", "response_type must be code.");
    }
    let requested: Vec<&str> = match get(&form, "scope") {
        Some(s) if !s.is_empty() => s.split(',').collect(),
        _ => return fail("invalid_scope", "scope is required."),
    };
    let unapproved = {
        let st = inner.lock();
        requested
            .iter()
            .find(|s| !st.settings.app_scopes.iter().any(|a| a == *s))
            .map(|s| s.to_string())
    };
    if let Some(bad) = unapproved {
        // Also catches space- or plus-separated lists: TikTok scopes are comma-separated.
        return fail(
            "invalid_scope",
            &format!("Scope `{bad}` is not authorized for this app."),
        );
    }
    if state.is_empty() {
        // CHOICE: TikTok lists `state` as a parameter; a missing one is an error here.
        return fail("invalid_request", "state is required.");
    }
    // TikTok desktop: hex SHA-256 challenge, S256 only (tiktok-api.md §1.4). An RFC 7636
    // base64url challenge (43 chars) fails like it does at TikTok.
    let challenge = get(&form, "code_challenge").unwrap_or_default();
    if get(&form, "code_challenge_method") != Some("S256") || !is_lower_hex64(challenge) {
        return fail("invalid_request", BAD_PKCE);
    }
    let (scopes, open_id) = {
        let st = inner.lock();
        if st.settings.deny {
            drop(st);
            return fail(
                "access_denied",
                "The user denied the authorization request.",
            );
        }
        let mut scopes: Vec<String> = Vec::new();
        for s in &requested {
            let ticked = st
                .settings
                .granted_scopes
                .as_ref()
                .is_none_or(|g| g.iter().any(|x| x == s));
            if ticked && !scopes.iter().any(|x| x == s) {
                scopes.push(s.to_string());
            }
        }
        (scopes, st.settings.user.open_id.clone())
    };
    // Real codes contain `*` and `!`, so a client that does not URL-decode the callback fails.
    let code = format!(
        "{}*{}!{}",
        random_alnum(48),
        random_digits(1),
        random_digits(4)
    );
    {
        let mut st = inner.lock();
        st.codes.insert(
            code.clone(),
            CodeRec {
                redirect_uri: redirect.to_string(),
                challenge: challenge.to_string(),
                scopes: scopes.clone(),
                open_id,
                expires_at: Instant::now() + CODE_TTL,
                used: false,
            },
        );
        st.codes_issued += 1;
        st.secrets_seen.push(code.clone());
    }
    found(&format!(
        "{redirect}?code={}&scopes={}&state={}",
        pct(&code),
        pct(&scopes.join(",")),
        pct(state)
    ))
}

fn found(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(v) => (StatusCode::FOUND, [(header::LOCATION, v)]).into_response(),
        Err(_) => html_page(400, "invalid_request", "unusable redirect"),
    }
}

/// Desktop redirect rules (tiktok-api.md §1.3), read strictly: the fake app has
/// `http(s)://127.0.0.1:*/callback/` and `http(s)://localhost:*/callback/` registered, so the URI
/// must be exactly `http(s)://{127.0.0.1|localhost}:{port}/callback/`, shorter than 512 characters,
/// with nothing after the path. `[::1]` is not allowed.
pub(crate) fn desktop_redirect_ok(uri: &str) -> bool {
    if uri.len() >= 512 {
        return false;
    }
    let Some(rest) = uri
        .strip_prefix("http://")
        .or_else(|| uri.strip_prefix("https://"))
    else {
        return false;
    };
    let Some((host, rest)) = rest.split_once(':') else {
        return false;
    };
    if host != "127.0.0.1" && host != "localhost" {
        return false;
    }
    let Some(slash) = rest.find('/') else {
        return false;
    };
    let (port, path) = rest.split_at(slash);
    let port_ok = !port.is_empty()
        && port.len() <= 5
        && port.bytes().all(|b| b.is_ascii_digit())
        && !port.starts_with('0')
        && port.parse::<u16>().is_ok_and(|p| p > 0);
    port_ok && path == "/callback/"
}

fn is_lower_hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// RFC 7636 verifier: 43–128 characters of `[A-Za-z0-9-._~]`.
fn verifier_ok(v: &str) -> bool {
    (43..=128).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// `POST /v2/oauth/token/`: `grant_type=authorization_code` or `refresh_token`.
/// Answers the flat token JSON, or the flat OAuth error.
pub(crate) async fn token(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fault = inner.begin(Endpoint::Token).await;
    let form = parse_form(&body);
    if let Ok(f) = &form
        && get(f, "grant_type") == Some("refresh_token")
    {
        inner.lock().refresh_calls += 1;
    }
    if let Some((http, code)) = fault {
        return Inner::fault_response(Endpoint::Token, http, &code);
    }
    if !is_form(&headers) {
        // JSON bodies are refused: TikTok documents application/x-www-form-urlencoded only.
        return oauth_error(
            "invalid_request",
            "Content-Type must be application/x-www-form-urlencoded.",
        );
    }
    let form = match form {
        Ok(f) => f,
        Err(k) => return oauth_error("invalid_request", &format!("`{k}` is given twice.")),
    };
    if let Some(e) = check_client(&inner, &form) {
        return e;
    }
    match get(&form, "grant_type") {
        Some("authorization_code") => exchange(&inner, &form),
        Some("refresh_token") => refresh(&inner, &form),
        None | Some("") => oauth_error("invalid_request", "grant_type is required."),
        Some(_) => oauth_error("unsupported_grant_type", "Unsupported grant_type."),
    }
}

fn check_client(inner: &Inner, form: &[(String, String)]) -> Option<Response> {
    if get(form, "client_key") != Some(inner.client_key.as_str()) {
        return Some(oauth_error("invalid_client", "Client key is invalid."));
    }
    let secret = inner
        .lock()
        .settings
        .rotated_secret
        .clone()
        .unwrap_or_else(|| inner.client_secret.clone());
    if get(form, "client_secret") != Some(secret.as_str()) {
        return Some(oauth_error("invalid_client", "Client secret is invalid."));
    }
    None
}

fn exchange(inner: &Inner, form: &[(String, String)]) -> Response {
    let Some(code) = get(form, "code").filter(|c| !c.is_empty()) else {
        return oauth_error("invalid_request", "code is required.");
    };
    let mut st = inner.lock();
    let Some(rec) = st.codes.get_mut(code) else {
        return oauth_error("invalid_grant", "Authorization code is invalid or expired.");
    };
    if rec.used {
        return oauth_error("invalid_grant", "Authorization code has been used.");
    }
    // CHOICE: a code is consumed when first presented with valid client credentials, even if the
    // exchange then fails (RFC 6749 §10.5: single use).
    rec.used = true;
    let expired = Instant::now() >= rec.expires_at;
    let redirect_ok = get(form, "redirect_uri") == Some(rec.redirect_uri.as_str());
    let verifier = get(form, "code_verifier").unwrap_or_default();
    let pkce_ok =
        verifier_ok(verifier) && hex::encode(Sha256::digest(verifier.as_bytes())) == rec.challenge;
    let (open_id, scopes) = (rec.open_id.clone(), rec.scopes.clone());
    st.codes_used += 1;
    if !verifier.is_empty() {
        st.secrets_seen.push(verifier.to_string());
    }
    if expired {
        return oauth_error("invalid_grant", "Authorization code is expired.");
    }
    if !redirect_ok {
        return oauth_error(
            "invalid_request",
            "Redirect_uri is not matched with the uri when requesting code.",
        );
    }
    if !pkce_ok {
        return oauth_error("invalid_request", BAD_PKCE);
    }
    let grant = st.next_grant;
    st.next_grant += 1;
    token_response(inner, &mut st, grant, &open_id, &scopes, true)
}

fn refresh(inner: &Inner, form: &[(String, String)]) -> Response {
    let Some(old) = get(form, "refresh_token").filter(|t| !t.is_empty()) else {
        return oauth_error("invalid_request", "refresh_token is required.");
    };
    let mut st = inner.lock();
    if let Some(error) = st.take_fault(|f| match f {
        Fault::RefreshFails { error } => Some(error.clone()),
        _ => None,
    }) {
        return oauth_error(&error, "Injected by the fake TikTok server.");
    }
    let now = Instant::now();
    let Some(rec) = st
        .tokens
        .iter()
        .find(|t| t.kind == TokenKind::Refresh && t.token == old)
    else {
        return oauth_error("invalid_grant", "Refresh token is invalid or expired.");
    };
    if !rec.usable(now) {
        return oauth_error("invalid_grant", "Refresh token is invalid or expired.");
    }
    let (grant, open_id, scopes) = (rec.grant, rec.open_id.clone(), rec.scopes.clone());
    // Rotation: the used refresh token and every access token of this grant stop working.
    for t in st.tokens.iter_mut().filter(|t| t.grant == grant) {
        if t.life == Life::Active {
            t.life = Life::Rotated;
        }
    }
    st.refreshes_ok += 1;
    let omit_open_id = st
        .take_fault(|f| matches!(f, Fault::RefreshWithoutOpenId).then_some(()))
        .is_some();
    token_response(inner, &mut st, grant, &open_id, &scopes, !omit_open_id)
}

/// Issues a token pair for `grant` and renders TikTok's flat token JSON.
fn token_response(
    inner: &Inner,
    st: &mut St,
    grant: u64,
    open_id: &str,
    scopes: &[String],
    with_open_id: bool,
) -> Response {
    let born_expired = st
        .take_fault(|f| matches!(f, Fault::NextAccessTokenExpired).then_some(()))
        .is_some();
    let now = Instant::now();
    let access = format!("act.{}!{}.va", random_alnum(56), random_digits(4));
    let refresh = format!("rft.{}!{}.va", random_alnum(56), random_digits(4));
    for (token, kind, ttl, force_expired) in [
        (&access, TokenKind::Access, inner.access_ttl, born_expired),
        (&refresh, TokenKind::Refresh, inner.refresh_ttl, false),
    ] {
        st.tokens.push(TokenRec {
            token: token.clone(),
            kind,
            grant,
            open_id: open_id.to_string(),
            scopes: scopes.to_vec(),
            expires_at: now + ttl,
            force_expired,
            life: Life::Active,
        });
    }
    let mut body = json!({
        "access_token": access,
        "expires_in": inner.access_ttl.as_secs(),
        "open_id": open_id,
        "refresh_expires_in": inner.refresh_ttl.as_secs(),
        "refresh_token": refresh,
        "scope": scopes.join(","),
        "token_type": "Bearer",
    });
    if let (false, Some(map)) = (with_open_id, body.as_object_mut()) {
        map.remove("open_id");
    }
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body.to_string(),
    )
        .into_response()
}

/// `POST /v2/oauth/revoke/` with `client_key`, `client_secret`, `token`: revokes the grant the
/// token belongs to (its access and refresh tokens) and answers 200 with an empty body.
///
/// CHOICE (UNCONFIRMED): a refresh token or an expired access token also identifies the grant;
/// an unknown token answers 200 like RFC 7009.
pub(crate) async fn revoke(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some((http, code)) = inner.begin(Endpoint::Revoke).await {
        return Inner::fault_response(Endpoint::Revoke, http, &code);
    }
    if !is_form(&headers) {
        return oauth_error(
            "invalid_request",
            "Content-Type must be application/x-www-form-urlencoded.",
        );
    }
    let form = match parse_form(&body) {
        Ok(f) => f,
        Err(k) => return oauth_error("invalid_request", &format!("`{k}` is given twice.")),
    };
    if let Some(e) = check_client(&inner, &form) {
        return e;
    }
    let Some(token) = get(&form, "token").filter(|t| !t.is_empty()) else {
        return oauth_error("invalid_request", "token is required.");
    };
    let mut st = inner.lock();
    if let Some(grant) = st.token(token).map(|t| t.grant) {
        let mut revoked = Vec::new();
        for t in st.tokens.iter_mut().filter(|t| t.grant == grant) {
            if t.life == Life::Active {
                t.life = Life::Revoked;
                revoked.push(t.token.clone());
            }
        }
        st.revoked.extend(revoked);
    }
    StatusCode::OK.into_response()
}

/// Fields `/v2/user/info/` knows, with the scope each needs (tiktok-api.md §1.7).
const USER_FIELDS: [(&str, &str); 14] = [
    ("open_id", "user.info.basic"),
    ("union_id", "user.info.basic"),
    ("avatar_url", "user.info.basic"),
    ("avatar_url_100", "user.info.basic"),
    ("avatar_large_url", "user.info.basic"),
    ("display_name", "user.info.basic"),
    ("bio_description", "user.info.profile"),
    ("profile_deep_link", "user.info.profile"),
    ("is_verified", "user.info.profile"),
    ("username", "user.info.profile"),
    ("follower_count", "user.info.stats"),
    ("following_count", "user.info.stats"),
    ("likes_count", "user.info.stats"),
    ("video_count", "user.info.stats"),
];

/// `GET /v2/user/info/?fields=…` with a Bearer token. `fields` is required and comma-separated;
/// an unknown field is 400 `invalid_params`, a field whose scope was not granted 401
/// `scope_not_authorized`. Only the requested fields are returned.
pub(crate) async fn user_info(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    if let Some((http, code)) = inner.begin(Endpoint::UserInfo).await {
        return Inner::fault_response(Endpoint::UserInfo, http, &code);
    }
    let mut st = inner.lock();
    let auth =
        match super::posting::authenticate(&inner, &mut st, &headers, &[], Endpoint::UserInfo) {
            Ok(a) => a,
            Err(resp) => return resp,
        };
    let form = parse_form(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let fields = match get(&form, "fields") {
        Some(f) if !f.is_empty() => f,
        _ => return api_error("invalid_params", "The fields parameter is required."),
    };
    let user = &st.settings.user;
    let mut out = Map::new();
    for field in fields.split(',') {
        let Some((_, scope)) = USER_FIELDS.iter().find(|(f, _)| *f == field) else {
            return api_error("invalid_params", &format!("Invalid field: `{field}`."));
        };
        if !auth.scopes.iter().any(|s| s == scope) {
            return api_error(
                "scope_not_authorized",
                &format!("The user did not authorize the scope required for `{field}`."),
            );
        }
        let value = match field {
            "open_id" => json!(auth.open_id),
            "union_id" => json!(format!("union-{}", auth.open_id)),
            "avatar_url" => json!(user.avatar_url),
            "avatar_url_100" => json!(format!("{}?size=100", user.avatar_url)),
            "avatar_large_url" => json!(format!("{}?size=large", user.avatar_url)),
            "display_name" => json!(user.display_name),
            _ => Value::Null, // other scopes are never granted by this fake app
        };
        out.insert(field.to_string(), value);
    }
    ok(json!({ "user": out }))
}
