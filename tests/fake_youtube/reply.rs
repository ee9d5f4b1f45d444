//! Small helpers shared by the handlers: Google's two error shapes (the Data API's
//! `{"error":{"code","message","errors":[…]}}` and the flat OAuth `{error, error_description}`),
//! random identifiers shaped like Google's, form and header parsing, percent-encoding.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rand::distr::{Alphanumeric, SampleString};
use serde_json::{Value, json};

pub(crate) fn random_alnum(len: usize) -> String {
    Alphanumeric.sample_string(&mut rand::rng(), len)
}

/// `len` characters of the base64url alphabet (video ids, upload ids).
pub(crate) fn random_b64url(len: usize) -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

fn status(http: u16) -> StatusCode {
    StatusCode::from_u16(http).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// The error domain Google reports with `reason` (youtube-api.md §3.2, §5.2).
fn domain_for(reason: &str) -> &'static str {
    match reason {
        "quotaExceeded" => "youtube.quota",
        "authError"
        | "insufficientPermissions"
        | "rateLimitExceeded"
        | "backendError"
        | "badRequest"
        | "required"
        | "invalid" => "global",
        "youtubeSignupRequired" => "youtube.header",
        "unknownPart" | "unexpectedPart" => "youtube.part",
        "playlistNotFound" => "youtube.playlistItem",
        "invalidFilename" | "mediaBodyRequired" => "youtube.video.insert",
        _ => "youtube.video",
    }
}

/// The `status` string of newer error bodies (values UNCONFIRMED, §3.2).
fn status_name(http: u16) -> &'static str {
    match http {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        409 => "ABORTED",
        429 => "RESOURCE_EXHAUSTED",
        503 => "UNAVAILABLE",
        500..=599 => "INTERNAL",
        _ => "UNKNOWN",
    }
}

/// A Data API error: `{"error":{"code","message","errors":[{"message","domain","reason"}],
/// "status"}}` (§3.2). 401s add `location: Authorization` and a `WWW-Authenticate` header.
pub(crate) fn api_error(http: u16, reason: &str, message: &str) -> Response {
    let mut item = json!({ "message": message, "domain": domain_for(reason), "reason": reason });
    if http == 401 {
        item["location"] = json!("Authorization");
        item["locationType"] = json!("header");
    }
    let body = json!({
        "error": {
            "code": http,
            "message": message,
            "errors": [item],
            "status": status_name(http),
        }
    });
    let mut resp = (status(http), body.to_string()).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=UTF-8"),
    );
    if http == 401 {
        h.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(
                "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"",
            ),
        );
    }
    resp
}

/// A 400 about request metadata.
pub(crate) fn bad(reason: &str, message: &str) -> Response {
    api_error(400, reason, message)
}

/// The reason a fault naming only an HTTP status gets.
pub(crate) fn reason_for_http(http: u16) -> &'static str {
    match http {
        401 => "authError",
        403 => "forbidden",
        404 => "notFound",
        429 => "rateLimitExceeded",
        500..=599 => "backendError",
        _ => "badRequest",
    }
}

/// The flat OAuth error of the token and revoke endpoints (§1.6): 401 for `invalid_client` and
/// `unauthorized_client`, 5xx for `server_error`/`temporarily_unavailable`, 400 otherwise.
pub(crate) fn oauth_error(error: &str, description: &str) -> Response {
    let http = match error {
        "invalid_client" | "unauthorized_client" => 401,
        "server_error" => 500,
        "temporarily_unavailable" => 503,
        _ => 400,
    };
    oauth_error_with(http, error, description)
}

pub(crate) fn oauth_error_with(http: u16, error: &str, description: &str) -> Response {
    let body = json!({ "error": error, "error_description": description });
    (
        status(http),
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

/// The page the "browser" shows when Google will not redirect ("Error 400: invalid_request").
pub(crate) fn html_page(http: u16, error: &str, detail: &str) -> Response {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let body = format!(
        "<!doctype html><title>Google (fake)</title><h1>Error {http}: {}</h1><p>{}</p>",
        esc(error),
        esc(detail)
    );
    (
        status(http),
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

/// 200 with a JSON body.
pub(crate) fn ok_json(body: &Value) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json; charset=UTF-8")],
        body.to_string(),
    )
        .into_response()
}

/// Percent-encodes everything but RFC 3986 unreserved characters (so the `/` of a code is `%2F`).
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

/// The media type of `Content-Type` (lowercased, without parameters).
pub(crate) fn media_type(headers: &HeaderMap) -> Option<String> {
    let raw = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    Some(raw.split(';').next()?.trim().to_ascii_lowercase())
}

pub(crate) fn is_form(headers: &HeaderMap) -> bool {
    media_type(headers).as_deref() == Some("application/x-www-form-urlencoded")
}

pub(crate) fn is_json(headers: &HeaderMap) -> bool {
    media_type(headers).as_deref() == Some("application/json")
}

/// The token of an `Authorization: Bearer …` header (scheme case-insensitive).
pub(crate) fn bearer(headers: &HeaderMap) -> Option<String> {
    let raw = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = raw.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_string())
}

/// A header as a plain decimal `u64`.
pub(crate) fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    let v = headers.get(name)?.to_str().ok()?;
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse().ok()
}
