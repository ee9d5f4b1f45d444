//! Content Posting API JSON endpoints: creator info, Direct Post and inbox init (with the chunk
//! plan rules), and status fetch (tiktok-api.md §2.1–2.5), plus Bearer authentication and the
//! per-token rate limits shared with `/v2/user/info/`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::reply::{api_error, bearer, envelope, is_json, ok, random_alnum, random_digits};
use super::state::{Fault, Publish, PublishMode, Settings, State as St, TokenKind};
use super::{Endpoint, Inner};

/// "5 MB" minimum for every non-final chunk, read as 5 MiB: the stricter of the two readings
/// (tiktok-api.md §2.4 "Ambiguity").
pub(crate) const MIN_CHUNK: u64 = 5 * 1024 * 1024;
/// "64 MB" maximum for a non-final chunk, read as 64,000,000: the stricter reading. A file larger
/// than this must be chunked, and a single chunk (the whole file) may not exceed it.
pub(crate) const MAX_CHUNK: u64 = 64_000_000;
/// The final chunk absorbs the remainder, up to "128 MB" (stricter reading: 128,000,000).
pub(crate) const MAX_FINAL_CHUNK: u64 = 128_000_000;
/// "Up to 4 GB" (stricter reading: 4,000,000,000).
pub(crate) const MAX_VIDEO: u64 = 4_000_000_000;
pub(crate) const MAX_CHUNKS: u64 = 1000;
/// Length of the inbox "pending share" cap window.
const DAY: Duration = Duration::from_secs(86_400);

const PRIVACY_LEVELS: [&str; 4] = [
    "PUBLIC_TO_EVERYONE",
    "MUTUAL_FOLLOW_FRIENDS",
    "FOLLOWER_OF_CREATOR",
    "SELF_ONLY",
];
const POST_INFO_BOOLS: [&str; 6] = [
    "disable_duet",
    "disable_stitch",
    "disable_comment",
    "brand_content_toggle",
    "brand_organic_toggle",
    "is_aigc",
];

/// Who a valid Bearer token speaks for.
pub(crate) struct Authed {
    pub token: String,
    pub open_id: String,
    pub scopes: Vec<String>,
}

/// Bearer check, then scope check (`any_scope`: at least one must be granted; empty = none
/// needed), then the endpoint's per-token sliding-window rate limit. Requests that pass the
/// token check count against the limit, whatever happens to them later.
pub(crate) fn authenticate(
    inner: &Inner,
    st: &mut St,
    headers: &HeaderMap,
    any_scope: &[&str],
    endpoint: Endpoint,
) -> Result<Authed, Response> {
    let invalid = || {
        api_error(
            "access_token_invalid",
            "The access token is invalid or not found in the request.",
        )
    };
    let token = bearer(headers).ok_or_else(invalid)?;
    let now = Instant::now();
    let rec = st
        .tokens
        .iter()
        .find(|t| t.kind == TokenKind::Access && t.token == token)
        .filter(|t| t.usable(now))
        .ok_or_else(invalid)?;
    if !any_scope.is_empty() && !any_scope.iter().any(|s| rec.scopes.iter().any(|g| g == s)) {
        return Err(api_error(
            "scope_not_authorized",
            &format!(
                "The user did not authorize the scope required for completing this request ({}).",
                any_scope.join(" or ")
            ),
        ));
    }
    let authed = Authed {
        token: token.clone(),
        open_id: rec.open_id.clone(),
        scopes: rec.scopes.clone(),
    };
    if let Some(limit) = endpoint.rate_limit() {
        let window = inner.rate_window;
        let hits = st.rate.entry((token, endpoint)).or_default();
        while hits
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            hits.pop_front();
        }
        if hits.len() >= limit {
            return Err(api_error(
                "rate_limit_exceeded",
                "API rate limit was exceeded, please try again later.",
            ));
        }
        hits.push_back(now);
    }
    Ok(authed)
}

/// CHOICE: the code is spelt `invalid_params` (the generic error page and the 2026 public issue
/// use it); the Direct Post page says `invalid_param`. Clients should match both.
fn invalid(message: &str) -> Response {
    api_error("invalid_params", message)
}

/// The JSON object body of a Content Posting call. `Content-Type` must be `application/json`
/// (TikTok sends `application/json; charset=UTF-8`; a missing charset is accepted).
fn json_object(headers: &HeaderMap, body: &[u8]) -> Result<Map<String, Value>, Response> {
    if !is_json(headers) {
        return Err(invalid(
            "Content-Type must be application/json; charset=UTF-8.",
        ));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(invalid("The request body must be a JSON object.")),
    }
}

/// CHOICE: unknown keys are refused (400) rather than ignored, so a misspelt field such as
/// `disable_comments` cannot silently do nothing.
fn only_keys(obj: &Map<String, Value>, allowed: &[&str], what: &str) -> Result<(), Response> {
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(invalid(&format!("Unknown field `{what}{k}`."))),
        None => Ok(()),
    }
}

/// `POST /v2/post/publish/creator_info/query/` (scope `video.publish`, 20 per window). TikTok's
/// example sends no body; any body is ignored.
pub(crate) async fn creator_info(State(inner): State<Arc<Inner>>, headers: HeaderMap) -> Response {
    if let Some((http, code)) = inner.begin(Endpoint::CreatorInfo).await {
        return Inner::fault_response(Endpoint::CreatorInfo, http, &code);
    }
    let mut st = inner.lock();
    let auth = match authenticate(
        &inner,
        &mut st,
        &headers,
        &["video.publish"],
        Endpoint::CreatorInfo,
    ) {
        Ok(a) => a,
        Err(r) => return r,
    };
    if let Some(code) = st.take_fault(|f| match f {
        Fault::CreatorCannotPost { code } => Some(code.clone()),
        _ => None,
    }) {
        // TikTok: these come back with HTTP 200 "(intentional)" and a non-ok code.
        return envelope(
            200,
            &code,
            "The creator cannot post right now (injected by the fake).",
            json!({}),
        );
    }
    st.creator_info_checked.insert(auth.open_id);
    let u = &st.settings.user;
    ok(json!({
        "creator_avatar_url": u.avatar_url,
        "creator_username": u.creator_username,
        "creator_nickname": u.creator_nickname,
        "privacy_level_options": u.privacy_level_options,
        "comment_disabled": u.comment_disabled,
        "duet_disabled": u.duet_disabled,
        "stitch_disabled": u.stitch_disabled,
        "max_video_post_duration_sec": u.max_video_post_duration_sec,
    }))
}

/// `POST /v2/post/publish/video/init/` (scope `video.publish`, 6 per window).
pub(crate) async fn direct_init(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some((http, code)) = inner.begin(Endpoint::DirectInit).await {
        return Inner::fault_response(Endpoint::DirectInit, http, &code);
    }
    init(&inner, &headers, &body, PublishMode::Direct).unwrap_or_else(|e| e)
}

/// `POST /v2/post/publish/inbox/video/init/` (scope `video.upload`, 6 per window).
pub(crate) async fn inbox_init(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some((http, code)) = inner.begin(Endpoint::InboxInit).await {
        return Inner::fault_response(Endpoint::InboxInit, http, &code);
    }
    init(&inner, &headers, &body, PublishMode::Inbox).unwrap_or_else(|e| e)
}

fn init(
    inner: &Inner,
    headers: &HeaderMap,
    body: &[u8],
    mode: PublishMode,
) -> Result<Response, Response> {
    let (endpoint, scope) = match mode {
        PublishMode::Direct => (Endpoint::DirectInit, "video.publish"),
        PublishMode::Inbox => (Endpoint::InboxInit, "video.upload"),
    };
    let mut st = inner.lock();
    let auth = authenticate(inner, &mut st, headers, &[scope], endpoint)?;
    let obj = json_object(headers, body)?;
    let (post_info, privacy) = match mode {
        PublishMode::Direct => {
            only_keys(&obj, &["post_info", "source_info"], "")?;
            let Some(Value::Object(p)) = obj.get("post_info") else {
                return Err(invalid("post_info is required and must be an object."));
            };
            let privacy = check_post_info(p, &st.settings)?;
            (Some(Value::Object(p.clone())), Some(privacy))
        }
        // CHOICE: the inbox body is `source_info` only (tiktok-api.md §2.3); a `post_info` is
        // refused because the caption would be silently lost.
        PublishMode::Inbox => {
            only_keys(&obj, &["source_info"], "")?;
            (None, None)
        }
    };
    let (video_size, chunk_size, count) = check_source_info(obj.get("source_info"))?;
    if mode == PublishMode::Direct
        && st.settings.unaudited
        && privacy.as_deref() != Some("SELF_ONLY")
    {
        return Err(api_error(
            "unaudited_client_can_only_post_to_private_accounts",
            "Unaudited clients can only post with privacy_level SELF_ONLY.",
        ));
    }
    let now = Instant::now();
    if mode == PublishMode::Inbox && inner.inbox_pending_cap > 0 {
        let pending = st
            .publishes
            .iter()
            .filter(|p| {
                p.mode == PublishMode::Inbox
                    && p.open_id == auth.open_id
                    && now.duration_since(p.created) < DAY
                    && p.fail_reason.is_none()
            })
            .count();
        if pending >= inner.inbox_pending_cap as usize {
            return Err(api_error(
                "spam_risk_too_many_pending_share",
                "The user has too many pending shares in their inbox (5 per 24 hours).",
            ));
        }
    }
    let creator_info_checked = match mode {
        PublishMode::Direct => st.creator_info_checked.remove(&auth.open_id),
        PublishMode::Inbox => false,
    };
    let prefix = match mode {
        PublishMode::Direct => "v_pub_file~v2-1.",
        PublishMode::Inbox => "v_inbox_file~v2-1.",
    };
    let publish_id = format!("{prefix}{}", random_digits(19));
    let upload_id = random_digits(19);
    let upload_token = random_alnum(40);
    let upload_url = format!(
        "{}/upload/{upload_id}?upload_token={upload_token}",
        inner.base_url
    );
    let max_duration_sec = match mode {
        PublishMode::Direct => st.settings.user.max_video_post_duration_sec,
        PublishMode::Inbox => 600, // "The API accepts up to 10 min" (tiktok-api.md §2.8)
    };
    st.publishes.push(Publish {
        publish_id: publish_id.clone(),
        file: inner.data_dir.join(format!("{upload_id}.video")),
        upload_id,
        upload_token,
        url_expires_at: now + inner.upload_url_ttl,
        created: now,
        mode,
        open_id: auth.open_id,
        post_info,
        public: privacy.as_deref() == Some("PUBLIC_TO_EVERYONE"),
        max_duration_sec,
        video_size,
        chunk_size,
        total_chunk_count: count,
        chunks_received: 0,
        bytes_received: 0,
        hasher: Sha256::new(),
        sha256: None,
        content_type: None,
        in_flight: false,
        complete: false,
        polls_after_complete: 0,
        fail_reason: None,
        post_id: None,
        creator_info_checked,
    });
    Ok(ok(
        json!({ "publish_id": publish_id, "upload_url": upload_url }),
    ))
}

/// Validates Direct Post `post_info` and returns its privacy level.
fn check_post_info(p: &Map<String, Value>, settings: &Settings) -> Result<String, Response> {
    let mut allowed = vec!["privacy_level", "title", "video_cover_timestamp_ms"];
    allowed.extend(POST_INFO_BOOLS);
    only_keys(p, &allowed, "post_info.")?;
    let privacy = match p.get("privacy_level") {
        Some(Value::String(s)) if PRIVACY_LEVELS.contains(&s.as_str()) => s.clone(),
        Some(_) => return Err(invalid("post_info.privacy_level is not a privacy level.")),
        None => return Err(invalid("post_info.privacy_level is required.")),
    };
    match p.get("title") {
        None => {}
        Some(Value::String(t)) if t.encode_utf16().count() <= 2200 => {}
        Some(Value::String(_)) => {
            return Err(invalid(
                "post_info.title is longer than 2200 UTF-16 code units.",
            ));
        }
        Some(_) => return Err(invalid("post_info.title must be a string.")),
    }
    for key in POST_INFO_BOOLS {
        if p.get(key).is_some_and(|v| !v.is_boolean()) {
            return Err(invalid(&format!("post_info.{key} must be a boolean.")));
        }
    }
    // CHOICE: TikTok's table marks brand_content_toggle as required, so it is required here.
    let Some(branded) = p.get("brand_content_toggle").and_then(Value::as_bool) else {
        return Err(invalid("post_info.brand_content_toggle is required."));
    };
    if let Some(v) = p.get("video_cover_timestamp_ms")
        && !v
            .as_i64()
            .is_some_and(|n| i32::try_from(n).is_ok_and(|n| n >= 0))
    {
        return Err(invalid(
            "post_info.video_cover_timestamp_ms must be a non-negative int32.",
        ));
    }
    if !settings.user.privacy_level_options.contains(&privacy) {
        return Err(api_error(
            "privacy_level_option_mismatch",
            "privacy_level is not one of the creator's privacy_level_options.",
        ));
    }
    if branded && privacy == "SELF_ONLY" {
        // CHOICE (UNCONFIRMED): the content sharing guidelines forbid branded content with
        // SELF_ONLY but TikTok documents no API error for it; the fake answers 400 invalid_params.
        return Err(invalid(
            "Branded content (brand_content_toggle) cannot be posted with privacy_level SELF_ONLY.",
        ));
    }
    Ok(privacy)
}

/// Validates `source_info` and returns `(video_size, chunk_size, total_chunk_count)`.
fn check_source_info(v: Option<&Value>) -> Result<(u64, u64, u32), Response> {
    let Some(Value::Object(s)) = v else {
        return Err(invalid("source_info is required and must be an object."));
    };
    only_keys(
        s,
        &[
            "source",
            "video_size",
            "chunk_size",
            "total_chunk_count",
            "video_url",
        ],
        "source_info.",
    )?;
    match s.get("source").and_then(Value::as_str) {
        Some("FILE_UPLOAD") => {}
        Some("PULL_FROM_URL") => {
            return Err(match s.get("video_url").and_then(Value::as_str) {
                // No domain is verified for this fake app.
                Some(u) if !u.is_empty() => api_error(
                    "url_ownership_unverified",
                    "The domain or URL prefix of video_url is not verified for this app.",
                ),
                _ => invalid("source_info.video_url is required for PULL_FROM_URL."),
            });
        }
        _ => {
            return Err(invalid(
                "source_info.source must be FILE_UPLOAD or PULL_FROM_URL.",
            ));
        }
    }
    if s.contains_key("video_url") {
        return Err(invalid("source_info.video_url is only for PULL_FROM_URL."));
    }
    let int = |key: &str| {
        s.get(key).and_then(Value::as_u64).ok_or_else(|| {
            invalid(&format!(
                "source_info.{key} is required for FILE_UPLOAD and must be a non-negative integer."
            ))
        })
    };
    let (size, chunk, count) = (
        int("video_size")?,
        int("chunk_size")?,
        int("total_chunk_count")?,
    );
    check_chunk_plan(size, chunk, count).map_err(invalid)?;
    Ok((size, chunk, count as u32))
}

/// The chunk rules of tiktok-api.md §2.4, with every figure at its stricter reading:
///
/// - `1 <= video_size <= 4,000,000,000`;
/// - `1 <= total_chunk_count <= 1000` and `total_chunk_count == floor(video_size / chunk_size)`;
/// - one chunk: `chunk_size == video_size` and `video_size <= 64,000,000` (larger files must be
///   chunked; smaller than 5 MB must be whole, which a single chunk is);
/// - several chunks: `5,242,880 <= chunk_size <= 64,000,000`, and the final chunk
///   `video_size - (count - 1) * chunk_size` (which absorbs the remainder) `<= 128,000,000`.
///   Files under 5 MiB cannot be split under these rules.
pub(crate) fn check_chunk_plan(size: u64, chunk: u64, count: u64) -> Result<(), &'static str> {
    if size == 0 || size > MAX_VIDEO {
        return Err("The video size is invalid");
    }
    if count == 0 || count > MAX_CHUNKS {
        return Err("The total chunk count is invalid");
    }
    if count == 1 {
        if chunk != size || size > MAX_CHUNK {
            return Err("The chunk size is invalid");
        }
        return Ok(());
    }
    if !(MIN_CHUNK..=MAX_CHUNK).contains(&chunk) {
        return Err("The chunk size is invalid");
    }
    if size / chunk != count {
        return Err("The total chunk count is invalid");
    }
    if size - (count - 1) * chunk > MAX_FINAL_CHUNK {
        return Err("The chunk size is invalid");
    }
    Ok(())
}

/// `POST /v2/post/publish/status/fetch/` (scope `video.upload` or `video.publish`, 30 per window).
///
/// Before the last chunk: `PROCESSING_UPLOAD` with `uploaded_bytes`. After it, `processing_polls`
/// more `PROCESSING_UPLOAD` answers, then `FAILED` (with `fail_reason`), `PUBLISH_COMPLETE`
/// (Direct Post) or `SEND_TO_USER_INBOX` (inbox). `publicaly_available_post_id` (TikTok's
/// spelling) is a list of int64: CHOICE: it holds the post id only for `PUBLIC_TO_EVERYONE`
/// Direct Posts ("filled only after public moderation passes") and is empty otherwise.
pub(crate) async fn status_fetch(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some((http, code)) = inner.begin(Endpoint::StatusFetch).await {
        return Inner::fault_response(Endpoint::StatusFetch, http, &code);
    }
    status_inner(&inner, &headers, &body).unwrap_or_else(|e| e)
}

fn status_inner(inner: &Inner, headers: &HeaderMap, body: &[u8]) -> Result<Response, Response> {
    let mut st = inner.lock();
    let auth = authenticate(
        inner,
        &mut st,
        headers,
        &["video.upload", "video.publish"],
        Endpoint::StatusFetch,
    )?;
    let obj = json_object(headers, body)?;
    only_keys(&obj, &["publish_id"], "")?;
    let Some(id) = obj.get("publish_id").and_then(Value::as_str) else {
        return Err(invalid("publish_id is required and must be a string."));
    };
    let polls = st.settings.processing_polls;
    let Some(p) = st.publish_mut(id) else {
        return Err(api_error(
            "invalid_publish_id",
            "The publish_id does not exist.",
        ));
    };
    if p.open_id != auth.open_id {
        return Err(api_error(
            "token_not_authorized_for_specified_publish_id",
            "The access token does not belong to the user of this publish_id.",
        ));
    }
    let status = p.status_now(polls);
    if p.complete && status == "PROCESSING_UPLOAD" {
        p.polls_after_complete += 1;
    }
    let mut data = json!({ "status": status, "uploaded_bytes": p.bytes_received });
    match status {
        "FAILED" => data["fail_reason"] = json!(p.fail_reason),
        "PUBLISH_COMPLETE" => {
            data["publicaly_available_post_id"] = json!(p.post_id.into_iter().collect::<Vec<_>>())
        }
        "SEND_TO_USER_INBOX" => data["publicaly_available_post_id"] = json!([]),
        _ => {}
    }
    Ok(ok(data))
}
