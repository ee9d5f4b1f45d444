//! Google OAuth for installed apps (youtube-api.md §1): the authorize "browser + consent screen",
//! the token endpoint (code exchange with PKCE S256 in base64url, refresh without rotation) and
//! revoke.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::TimeDelta;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::reply::{
    get, html_page, is_form, oauth_error, parse_form, pct, random_alnum, random_b64url,
};
use super::state::{
    AuthorizeInfo, CodeRec, Fault, KNOWN_SCOPES, Life, State as St, TokenKind, TokenRec,
};
use super::{Endpoint, Inner};

const OOB: &str = "urn:ietf:wg:oauth:2.0:oob";
const DEAD_TOKEN: &str = "Token has been expired or revoked.";
/// Refresh tokens of a consent screen in "Testing" live 7 days (§1.6).
const TESTING_REFRESH_DAYS: i64 = 7;

/// `GET /o/oauth2/v2/auth`. Answers what the browser ends up with after the user picks the
/// account and clicks "Continue" (or "Cancel" with `set_deny`): a 302 to the loopback URI with
/// `state`, `code`, the granted `scope` (space-separated), `authuser` and `prompt` (§1.3).
///
/// Malformed requests get Google's browser-side error page ("Error 400: invalid_request"), never
/// a redirect: Google shows those to the user (§1.3 "Browser-side errors").
pub(crate) async fn authorize(State(inner): State<Arc<Inner>>, RawQuery(q): RawQuery) -> Response {
    let fault = inner.begin(Endpoint::Authorize).await;
    let form = match parse_form(q.unwrap_or_default().as_bytes()) {
        Ok(f) => f,
        Err(k) => return html_page(400, "invalid_request", &format!("`{k}` is given twice")),
    };
    let client_id = get(&form, "client_id").unwrap_or_default();
    if !inner.known_client(client_id) {
        return html_page(401, "invalid_client", "The OAuth client was not found.");
    }
    let redirect = get(&form, "redirect_uri").unwrap_or_default();
    if redirect == OOB {
        return html_page(
            400,
            "invalid_request",
            "The out-of-band (OOB) flow has been blocked in order to keep users secure.",
        );
    }
    if !loopback_ok(redirect) {
        return html_page(
            400,
            "invalid_request",
            "redirect_uri must be a loopback address: http://127.0.0.1:PORT, http://[::1]:PORT \
             or http://localhost:PORT (optionally with a path).",
        );
    }
    let state = get(&form, "state");
    let redirect_with = |pairs: &[(&str, &str)]| {
        let query: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", pct(v)))
            .collect();
        found(&format!("{redirect}?{}", query.join("&")))
    };
    let mut record = AuthorizeInfo {
        redirect_uri: redirect.to_string(),
        scope: get(&form, "scope").unwrap_or_default().to_string(),
        state: state.map(str::to_string),
        code_challenge_method: get(&form, "code_challenge_method").map(str::to_string),
        access_type: get(&form, "access_type").map(str::to_string),
        prompt: get(&form, "prompt").map(str::to_string),
        code: None,
    };
    if let Some(f) = fault {
        inner.lock().authorizations.push(record);
        return if (300..400).contains(&f.http) {
            let mut pairs = vec![("error", f.reason.as_str())];
            pairs.extend(state.map(|s| ("state", s)));
            redirect_with(&pairs)
        } else {
            html_page(f.http, &f.reason, "Injected by the fake YouTube server.")
        };
    }
    match check_authorize(&inner, &form) {
        Err(page) => {
            inner.lock().authorizations.push(record);
            page
        }
        Ok((requested, challenge, method)) => {
            let mut st = inner.lock();
            if st.settings.deny {
                st.authorizations.push(record);
                drop(st);
                let mut pairs = vec![("error", "access_denied")];
                pairs.extend(state.map(|s| ("state", s)));
                return redirect_with(&pairs);
            }
            // Granular consent: the user may untick any scope (§1.3, §1.5).
            let scopes: Vec<String> = requested
                .iter()
                .filter(|s| {
                    st.settings
                        .granted_scopes
                        .as_ref()
                        .is_none_or(|g| g.iter().any(|x| x == *s))
                })
                .cloned()
                .collect();
            // Real codes start `4/0A` and contain `/`: a client must decode the callback once.
            let code = format!("4/0A{}", random_b64url(72));
            let now = st.now();
            let code_ttl = TimeDelta::from_std(inner.opts.code_ttl).unwrap_or(TimeDelta::zero());
            let prompt = get(&form, "prompt").unwrap_or_default();
            st.codes.insert(
                code.clone(),
                CodeRec {
                    client_id: client_id.to_string(),
                    redirect_uri: redirect.to_string(),
                    challenge,
                    method,
                    scopes: scopes.clone(),
                    offline: get(&form, "access_type") == Some("offline"),
                    consent: prompt.split(' ').any(|p| p == "consent"),
                    expires_at: now + code_ttl,
                    used: false,
                },
            );
            st.codes_issued += 1;
            st.secrets_seen.push(code.clone());
            record.code = Some(code.clone());
            st.authorizations.push(record);
            drop(st);
            let scope = scopes.join(" ");
            let mut pairs = Vec::new();
            pairs.extend(state.map(|s| ("state", s)));
            pairs.extend([
                ("code", code.as_str()),
                ("scope", scope.as_str()),
                ("authuser", "0"),
                ("prompt", "consent"),
            ]);
            redirect_with(&pairs)
        }
    }
}

/// The parameter rules of §1.2 and §1.4. Returns the requested scopes, the challenge and its
/// method.
fn check_authorize(
    inner: &Inner,
    form: &[(String, String)],
) -> Result<(Vec<String>, String, String), Response> {
    let page = |error: &str, detail: &str| html_page(400, error, detail);
    match get(form, "response_type") {
        Some("code") => {}
        None => {
            return Err(page(
                "invalid_request",
                "Required parameter is missing: response_type",
            ));
        }
        Some(_) => return Err(page("unsupported_response_type", "Use response_type=code.")),
    }
    let scope = get(form, "scope").unwrap_or_default();
    if scope.trim().is_empty() {
        return Err(page("invalid_request", "Missing required parameter: scope"));
    }
    // Space-delimited full URLs (§1.2, §1.9): a comma list or a bare `youtube.upload` is unknown.
    let mut requested: Vec<String> = Vec::new();
    for s in scope.split(' ').filter(|s| !s.is_empty()) {
        if !KNOWN_SCOPES.contains(&s) {
            return Err(page(
                "invalid_scope",
                &format!("Some requested scopes were invalid: {s}"),
            ));
        }
        if !requested.iter().any(|r| r == s) {
            requested.push(s.to_string());
        }
    }
    if get(form, "state").is_none_or(str::is_empty) {
        // CHOICE: Google calls `state` "Recommended"; postez must send it, so the fake demands it.
        return Err(page("invalid_request", "state is required by the fake."));
    }
    match get(form, "access_type") {
        None | Some("online") | Some("offline") => {}
        Some(v) => {
            return Err(page(
                "invalid_request",
                &format!("Invalid access_type: {v}"),
            ));
        }
    }
    if let Some(prompt) = get(form, "prompt")
        && !prompt
            .split(' ')
            .all(|p| matches!(p, "none" | "consent" | "select_account"))
    {
        return Err(page(
            "invalid_request",
            &format!("Invalid prompt: {prompt}"),
        ));
    }
    // PKCE (§1.4): no method means `plain`; strict mode demands S256.
    let method = get(form, "code_challenge_method").unwrap_or("plain");
    let challenge = get(form, "code_challenge").unwrap_or_default();
    if challenge.is_empty() {
        // CHOICE: Google calls PKCE "Recommended"; the strict fake requires it.
        return Err(page(
            "invalid_request",
            "Missing code_challenge (PKCE is required by the fake).",
        ));
    }
    match method {
        "S256" => {
            // BASE64URL(SHA256) without padding is exactly 43 characters: a TikTok-style hex
            // digest (64 chars) or a padded value is refused here.
            if challenge.len() != 43
                || !challenge
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return Err(page(
                    "invalid_request",
                    "Invalid code_challenge: expected BASE64URL(SHA256(verifier)) without padding.",
                ));
            }
        }
        "plain" if inner.opts.require_s256 => {
            return Err(page(
                "invalid_request",
                "code_challenge_method must be S256 (the fake's strict mode).",
            ));
        }
        "plain" if !verifier_ok(challenge) => {
            return Err(page("invalid_request", "Invalid code_challenge."));
        }
        "plain" => {}
        _ => {
            return Err(page(
                "invalid_request",
                "code_challenge_method must be S256 or plain.",
            ));
        }
    }
    Ok((requested, challenge.to_string(), method.to_string()))
}

fn found(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(v) => (StatusCode::FOUND, [(header::LOCATION, v)]).into_response(),
        Err(_) => html_page(400, "invalid_request", "unusable redirect"),
    }
}

/// Loopback redirect rules (§1.3): `http` (not https), host `127.0.0.1`, `[::1]` or `localhost`,
/// an explicit port, then nothing or a path; no query, no fragment.
/// CHOICE: the port must be explicit (Google's examples always have one).
pub(crate) fn loopback_ok(uri: &str) -> bool {
    let Some(rest) = uri.strip_prefix("http://") else {
        return false;
    };
    if rest.contains(['?', '#']) {
        return false;
    }
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let Some((host, port)) = authority.rsplit_once(':') else {
        return false;
    };
    let port_ok = !port.is_empty()
        && port.len() <= 5
        && port.bytes().all(|b| b.is_ascii_digit())
        && port.parse::<u16>().is_ok_and(|p| p > 0);
    matches!(host, "127.0.0.1" | "[::1]" | "localhost") && port_ok && !path.contains("//")
}

/// RFC 7636 verifier: 43–128 characters of `[A-Za-z0-9-._~]`.
fn verifier_ok(v: &str) -> bool {
    (43..=128).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

impl Inner {
    pub(crate) fn known_client(&self, id: &str) -> bool {
        id == self.opts.client_id || self.opts.extra_clients.iter().any(|(c, _)| c == id)
    }

    fn secret_of(&self, id: &str) -> Option<&str> {
        if id == self.opts.client_id {
            return Some(&self.opts.client_secret);
        }
        self.opts
            .extra_clients
            .iter()
            .find(|(c, _)| c == id)
            .map(|(_, s)| s.as_str())
    }
}

/// `POST /token`: `grant_type=authorization_code` or `refresh_token` (§1.5, §1.6).
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
    if let Some(f) = fault {
        return Inner::fault_response(Endpoint::Token, &f);
    }
    if !is_form(&headers) {
        return oauth_error(
            "invalid_request",
            "Content-Type must be application/x-www-form-urlencoded.",
        );
    }
    let form = match form {
        Ok(f) => f,
        Err(k) => return oauth_error("invalid_request", &format!("`{k}` is given twice.")),
    };
    let client_id = match check_client(&inner, &headers, &form) {
        Ok(id) => id,
        Err(e) => return e,
    };
    match get(&form, "grant_type") {
        Some("authorization_code") => exchange(&inner, &form, &client_id),
        Some("refresh_token") => refresh(&inner, &form, &client_id),
        None | Some("") => oauth_error("invalid_request", "Missing required parameter: grant_type"),
        Some(_) => oauth_error("unsupported_grant_type", "Invalid grant_type."),
    }
}

/// Client authentication: form fields, or HTTP Basic (§1.5). The secret is required although
/// Google's page calls it optional (§1.5 DISAGREE: "client_secret is missing.").
fn check_client(
    inner: &Inner,
    headers: &HeaderMap,
    form: &[(String, String)],
) -> Result<String, Response> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b.trim()).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| {
            let (id, secret) = s.split_once(':')?;
            let dec = |x: &str| {
                url::form_urlencoded::parse(format!("x={x}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
            };
            Some((dec(id)?, dec(secret)?))
        });
    let (id, secret) = match &basic {
        Some((id, secret)) => (Some(id.as_str()), Some(secret.as_str())),
        None => (get(form, "client_id"), get(form, "client_secret")),
    };
    let Some(id) = id.filter(|i| !i.is_empty()) else {
        return Err(oauth_error(
            "invalid_request",
            "Could not determine client ID from request.",
        ));
    };
    let Some(want) = inner.secret_of(id) else {
        return Err(oauth_error(
            "invalid_client",
            "The OAuth client was not found.",
        ));
    };
    let Some(secret) = secret.filter(|s| !s.is_empty()) else {
        return Err(oauth_error("invalid_request", "client_secret is missing."));
    };
    {
        let mut st = inner.lock();
        if !st.secrets_seen.iter().any(|s| s == secret) {
            st.secrets_seen.push(secret.to_string());
        }
    }
    if secret != want {
        return Err(oauth_error("invalid_client", "Unauthorized"));
    }
    Ok(id.to_string())
}

fn exchange(inner: &Inner, form: &[(String, String)], client_id: &str) -> Response {
    let Some(code) = get(form, "code").filter(|c| !c.is_empty()) else {
        return oauth_error("invalid_request", "Missing required parameter: code");
    };
    let mut st = inner.lock();
    let now = st.now();
    let Some(rec) = st.codes.get_mut(code) else {
        return oauth_error("invalid_grant", "Malformed auth code.");
    };
    if rec.used {
        return oauth_error("invalid_grant", "Bad Request");
    }
    // CHOICE: a code is consumed when first presented by a known client, even if the exchange
    // then fails (single use, RFC 6749 §10.5).
    rec.used = true;
    let same_client = rec.client_id == client_id;
    let expired = now >= rec.expires_at;
    let redirect = get(form, "redirect_uri");
    let redirect_ok = redirect == Some(rec.redirect_uri.as_str());
    let verifier = get(form, "code_verifier").unwrap_or_default();
    let pkce_ok = verifier_ok(verifier)
        && match rec.method.as_str() {
            "S256" => URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == rec.challenge,
            _ => verifier == rec.challenge,
        };
    let (scopes, offline, consent) = (rec.scopes.clone(), rec.offline, rec.consent);
    st.codes_used += 1;
    if !verifier.is_empty() {
        st.secrets_seen.push(verifier.to_string());
    }
    if !same_client {
        return oauth_error("invalid_grant", "Bad Request");
    }
    if expired {
        return oauth_error("invalid_grant", "Bad Request");
    }
    match redirect {
        None | Some("") => {
            return oauth_error("invalid_request", "Missing parameter: redirect_uri");
        }
        Some(_) if !redirect_ok => return oauth_error("redirect_uri_mismatch", "Bad Request"),
        Some(_) => {}
    }
    if verifier.is_empty() {
        return oauth_error("invalid_request", "Missing code verifier.");
    }
    if !pkce_ok {
        return oauth_error("invalid_grant", "Bad Request");
    }
    let grant = st.next_grant;
    st.next_grant += 1;
    // §1.2: a refresh token comes with `access_type=offline` (strict reading) and only on the
    // first consent, unless `prompt=consent` asks again.
    let with_refresh = (offline || !inner.opts.refresh_needs_offline) && (consent || !st.consented);
    token_response(inner, &mut st, grant, client_id, &scopes, with_refresh)
}

fn refresh(inner: &Inner, form: &[(String, String)], client_id: &str) -> Response {
    let Some(old) = get(form, "refresh_token").filter(|t| !t.is_empty()) else {
        return oauth_error(
            "invalid_request",
            "Missing required parameter: refresh_token",
        );
    };
    let mut st = inner.lock();
    if let Some(error) = st.take_fault(|f| match f {
        Fault::RefreshFails { error } => Some(error.clone()),
        _ => None,
    }) {
        return oauth_error(&error, "Injected by the fake YouTube server.");
    }
    let now = st.now();
    let Some(rec) = st
        .tokens
        .iter()
        .find(|t| t.kind == TokenKind::Refresh && t.token == old)
    else {
        return oauth_error("invalid_grant", DEAD_TOKEN);
    };
    if rec.client_id != client_id {
        return oauth_error("unauthorized_client", "Unauthorized");
    }
    if !rec.usable(now) {
        return oauth_error("invalid_grant", DEAD_TOKEN);
    }
    let (grant, scopes) = (rec.grant, rec.scopes.clone());
    st.refreshes_ok += 1;
    // No rotation (§1.6): the refresh token and earlier access tokens stay valid.
    token_response(inner, &mut st, grant, client_id, &scopes, false)
}

/// Issues an access token (and a refresh token when `with_refresh`) and renders the JSON.
fn token_response(
    inner: &Inner,
    st: &mut St,
    grant: u64,
    client_id: &str,
    scopes: &[String],
    with_refresh: bool,
) -> Response {
    let born_expired = st
        .take_fault(|f| matches!(f, Fault::NextAccessTokenExpired).then_some(()))
        .is_some();
    let now = st.now();
    let ttl = TimeDelta::from_std(inner.opts.access_ttl).unwrap_or(TimeDelta::zero());
    let access = format!("ya29.a0{}", random_b64url(160));
    st.tokens.push(TokenRec {
        token: access.clone(),
        kind: TokenKind::Access,
        grant,
        client_id: client_id.to_string(),
        scopes: scopes.to_vec(),
        expires_at: Some(now + ttl),
        force_expired: born_expired,
        life: Life::Active,
    });
    let mut body = json!({
        "access_token": access,
        "expires_in": inner.opts.access_ttl.as_secs(),
        "scope": scopes.join(" "),
        "token_type": "Bearer",
    });
    if with_refresh {
        // §1.6: at most `refresh_token_cap` per account per client; a new one silently kills
        // the oldest.
        let cap = inner.opts.refresh_token_cap.max(1);
        let mut live: Vec<usize> = st
            .tokens
            .iter()
            .enumerate()
            .filter(|(_, t)| {
                t.kind == TokenKind::Refresh && t.client_id == client_id && t.life == Life::Active
            })
            .map(|(i, _)| i)
            .collect();
        while live.len() >= cap {
            let oldest = live.remove(0);
            st.tokens[oldest].life = Life::Evicted;
        }
        let refresh = format!("1//0{}", random_b64url(100));
        let testing = st
            .settings
            .testing_mode
            .then(|| TimeDelta::days(TESTING_REFRESH_DAYS));
        let granted = inner
            .opts
            .refresh_expires_in
            .and_then(|d| TimeDelta::from_std(d).ok());
        // The shorter of the two lives; only time-based access is told (§1.5).
        let expires_at = [testing, granted]
            .into_iter()
            .flatten()
            .min()
            .map(|d| now + d);
        if let Some(d) = granted {
            body["refresh_token_expires_in"] = json!(d.num_seconds());
        }
        st.tokens.push(TokenRec {
            token: refresh.clone(),
            kind: TokenKind::Refresh,
            grant,
            client_id: client_id.to_string(),
            scopes: scopes.to_vec(),
            expires_at,
            force_expired: false,
            life: Life::Active,
        });
        st.consented = true;
        body["refresh_token"] = json!(refresh);
    }
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/json; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body.to_string(),
    )
        .into_response()
}

/// `POST /revoke?token=…` (or `token` in the form body), form content type (§1.6). Either kind
/// of token works; Google then removes every grant of the project for this account, for all its
/// clients, so every token dies and the next consent issues a refresh token again. An unknown or
/// already dead token answers 400 `invalid_token`.
pub(crate) async fn revoke(
    State(inner): State<Arc<Inner>>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(f) = inner.begin(Endpoint::Revoke).await {
        return Inner::fault_response(Endpoint::Revoke, &f);
    }
    if !is_form(&headers) {
        return oauth_error(
            "invalid_request",
            "Content-Type must be application/x-www-form-urlencoded.",
        );
    }
    let query = parse_form(q.unwrap_or_default().as_bytes()).unwrap_or_default();
    let form = parse_form(&body).unwrap_or_default();
    let Some(token) = get(&query, "token")
        .or_else(|| get(&form, "token"))
        .filter(|t| !t.is_empty())
    else {
        return oauth_error("invalid_request", "Missing required parameter: token");
    };
    let mut st = inner.lock();
    let now = st.now();
    if !st.tokens.iter().any(|t| t.token == token && t.usable(now)) {
        return oauth_error("invalid_token", "Token expired or revoked");
    }
    let mut revoked = Vec::new();
    for t in st.tokens.iter_mut().filter(|t| t.life == Life::Active) {
        t.life = Life::Revoked;
        revoked.push(t.token.clone());
    }
    st.revoked.extend(revoked);
    st.consented = false;
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        "{}",
    )
        .into_response()
}
