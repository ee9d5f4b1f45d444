//! Small helpers shared by the handlers: random identifiers, TikTok's two error shapes (the v2
//! `{data, error}` envelope and the flat OAuth error), header parsing and percent-encoding.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rand::Rng;
use rand::distr::{Alphanumeric, SampleString};
use serde_json::{Value, json};

pub(crate) fn random_alnum(len: usize) -> String {
    Alphanumeric.sample_string(&mut rand::rng(), len)
}

pub(crate) fn random_digits(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

/// A log id shaped like TikTok's: a timestamp-ish digit run followed by uppercase hex.
pub(crate) fn log_id() -> String {
    let hex: String = {
        let mut rng = rand::rng();
        (0..20)
            .map(|_| char::from(b"0123456789ABCDEF"[rng.random_range(0..16)]))
            .collect()
    };
    format!("2026{}{hex}", random_digits(10))
}

fn status(http: u16) -> StatusCode {
    StatusCode::from_u16(http).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// The v2 envelope: `{"data":{…},"error":{"code","message","log_id"}}`, also sent as `x-tt-logid`.
pub(crate) fn envelope(http: u16, code: &str, message: &str, data: Value) -> Response {
    let log_id = log_id();
    let body = json!({
        "data": data,
        "error": { "code": code, "message": message, "log_id": log_id },
    });
    let mut resp = (status(http), body.to_string()).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=UTF-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&log_id) {
        h.insert("x-tt-logid", v);
    }
    resp
}

pub(crate) fn ok(data: Value) -> Response {
    envelope(200, "ok", "", data)
}

/// An envelope error with the HTTP status TikTok documents for `code` (tiktok-api.md §2.1–2.6).
pub(crate) fn api_error(code: &str, message: &str) -> Response {
    envelope(http_for_code(code), code, message, json!({}))
}

pub(crate) fn http_for_code(code: &str) -> u16 {
    match code {
        "access_token_invalid" | "scope_not_authorized" => 401,
        "rate_limit_exceeded" => 429,
        "spam_risk_too_many_posts"
        | "spam_risk_user_banned_from_posting"
        | "reached_active_user_cap"
        | "unaudited_client_can_only_post_to_private_accounts"
        | "url_ownership_unverified"
        | "privacy_level_option_mismatch"
        | "spam_risk_too_many_pending_share" => 403,
        "internal_error" => 500,
        _ => 400,
    }
}

/// An error code that fits an HTTP status, for faults and upload errors that only name a status.
pub(crate) fn code_for_http(http: u16) -> &'static str {
    match http {
        401 => "access_token_invalid",
        429 => "rate_limit_exceeded",
        500..=599 => "internal_error",
        _ => "invalid_file_upload",
    }
}

/// The flat OAuth error of the token and revoke endpoints: `{error, error_description, log_id}`.
///
/// UNCONFIRMED: TikTok does not document these statuses. The fake answers 401 for
/// `invalid_client`, 5xx for `server_error`/`temporarily_unavailable`, and 400 for the rest.
pub(crate) fn oauth_error(error: &str, description: &str) -> Response {
    let http = match error {
        "invalid_client" => 401,
        "server_error" => 500,
        "temporarily_unavailable" => 503,
        _ => 400,
    };
    oauth_error_with(http, error, description)
}

pub(crate) fn oauth_error_with(http: u16, error: &str, description: &str) -> Response {
    let body = json!({ "error": error, "error_description": description, "log_id": log_id() });
    (
        status(http),
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// The error page the "browser" shows when TikTok will not redirect (bad client or redirect_uri).
pub(crate) fn html_page(http: u16, title: &str, detail: &str) -> Response {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let body = format!(
        "<!doctype html><title>TikTok (fake)</title><h1>{}</h1><p>{}</p>",
        esc(title),
        esc(detail)
    );
    (
        status(http),
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

/// Percent-encodes everything but RFC 3986 unreserved characters (so `*` and `!` are encoded).
pub(crate) fn pct(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Parses a query string or form body, refusing repeated keys (`Err(key)`).
pub(crate) fn parse_form(raw: &[u8]) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (k, v) in url::form_urlencoded::parse(raw) {
        if out.iter().any(|(seen, _)| *seen == k) {
            return Err(k.into_owned());
        }
        out.push((k.into_owned(), v.into_owned()));
    }
    Ok(out)
}

pub(crate) fn get<'a>(form: &'a [(String, String)], key: &str) -> Option<&'a str> {
    form.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// The media type of `Content-Type` (lowercased, without parameters), and its `charset` if any.
pub(crate) fn content_type(headers: &HeaderMap) -> Option<(String, Option<String>)> {
    let raw = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let mut parts = raw.split(';');
    let media = parts.next()?.trim().to_ascii_lowercase();
    let charset = parts.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches('"').to_ascii_lowercase())
    });
    Some((media, charset))
}

/// True for `application/json`, with no charset or a UTF-8 one.
pub(crate) fn is_json(headers: &HeaderMap) -> bool {
    matches!(content_type(headers), Some((m, cs)) if m == "application/json"
        && cs.as_deref().is_none_or(|c| c == "utf-8" || c == "utf8"))
}

pub(crate) fn is_form(headers: &HeaderMap) -> bool {
    matches!(content_type(headers), Some((m, _)) if m == "application/x-www-form-urlencoded")
}

/// The token of an `Authorization: Bearer …` header (scheme case-insensitive).
pub(crate) fn bearer(headers: &HeaderMap) -> Option<String> {
    let raw = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = raw.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_string())
}
