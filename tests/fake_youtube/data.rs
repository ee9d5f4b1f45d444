//! The Data API's JSON side: Bearer and scope checks (§1.9), quota accounting per Pacific day
//! (§5), the video resource, `videos.list` with the processing progression (§4),
//! `videos.update` (status and snippet, whole-part replacement and the `publishAt` rules, §3.1,
//! §8), `videos.delete`, `channels.list mine=true` and `playlistItems.list` of the uploads
//! playlist (§2.5: how a client checks whether a lost upload completed).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use super::reply::{api_error, bad, bearer, get, is_json, ok_json, parse_form, random_alnum};
use super::state::{
    Fault, SCOPE_FORCE_SSL, SCOPE_MANAGE, SCOPE_READONLY, SCOPE_UPLOAD, Settings, State as St,
    TokenKind, Video,
};
use super::{Endpoint, Inner};

/// Scopes that may read (§1.9): `youtube.upload` alone may not.
pub(crate) const READ_SCOPES: [&str; 3] = [SCOPE_READONLY, SCOPE_MANAGE, SCOPE_FORCE_SSL];
/// Scopes that may update or delete.
pub(crate) const MANAGE_SCOPES: [&str; 2] = [SCOPE_MANAGE, SCOPE_FORCE_SSL];
/// Scopes that may insert.
pub(crate) const UPLOAD_SCOPES: [&str; 3] = [SCOPE_UPLOAD, SCOPE_MANAGE, SCOPE_FORCE_SSL];

/// Parts of the video resource (VID); `part` naming anything else is `unknownPart`.
pub(crate) const VIDEO_PARTS: [&str; 13] = [
    "contentDetails",
    "fileDetails",
    "id",
    "liveStreamingDetails",
    "localizations",
    "player",
    "processingDetails",
    "recordingDetails",
    "snippet",
    "statistics",
    "status",
    "suggestions",
    "topicDetails",
];
const CHANNEL_PARTS: [&str; 9] = [
    "auditDetails",
    "brandingSettings",
    "contentDetails",
    "contentOwnerDetails",
    "id",
    "localizations",
    "snippet",
    "statistics",
    "status",
];
const PLAYLIST_ITEM_PARTS: [&str; 4] = ["contentDetails", "id", "snippet", "status"];

/// Who a valid Bearer token speaks for.
pub(crate) struct Authed {
    pub token: String,
    pub scopes: Vec<String>,
}

/// Bearer check (401 `authError` "Invalid Credentials", or `required` when absent), then the
/// scope check (403 `insufficientPermissions`; `any_scope`: one of them must be granted).
pub(crate) fn authenticate(
    st: &St,
    headers: &HeaderMap,
    any_scope: &[&str],
) -> Result<Authed, Response> {
    let Some(token) = bearer(headers) else {
        return Err(api_error(401, "required", "Login Required."));
    };
    let now = st.now();
    let Some(rec) = st
        .tokens
        .iter()
        .find(|t| t.kind == TokenKind::Access && t.token == token)
        .filter(|t| t.usable(now))
    else {
        return Err(api_error(
            401,
            "authError",
            "Request had invalid authentication credentials. Expected OAuth 2 access token, \
             login cookie or other valid authentication credential.",
        ));
    };
    if !any_scope.iter().any(|s| rec.scopes.iter().any(|g| g == s)) {
        return Err(api_error(
            403,
            "insufficientPermissions",
            "Request had insufficient authentication scopes.",
        ));
    }
    Ok(Authed {
        token,
        scopes: rec.scopes.clone(),
    })
}

/// 403 `quotaExceeded` (§3.2's sample body, HTML in the message included).
pub(crate) fn quota_exceeded() -> Response {
    api_error(
        403,
        "quotaExceeded",
        "The request cannot be completed because you have exceeded your \
         <a href=\"/youtube/v3/getting-started#quota\">quota</a>.",
    )
}

/// Spends `endpoint`'s units from today's pool, or answers 403 `quotaExceeded` (an injected one,
/// or a pool that cannot pay). "All API requests, including invalid requests, incur a quota
/// cost" (§5.1): callers charge after authentication and before validation.
pub(crate) fn charge(inner: &Inner, st: &mut St, endpoint: Endpoint) -> Result<(), Response> {
    if st
        .take_fault(|f| matches!(f, Fault::QuotaExceeded).then_some(()))
        .is_some()
    {
        return Err(quota_exceeded());
    }
    let units = endpoint.units();
    let limit = inner.opts.daily_units;
    let day = st.quota_today();
    if day.units + units > limit {
        return Err(quota_exceeded());
    }
    day.units += units;
    Ok(())
}

/// The comma-separated `part` parameter, checked against `known` (400 `required`/`unknownPart`).
pub(crate) fn parts<'a>(
    form: &'a [(String, String)],
    known: &[&str],
) -> Result<Vec<&'a str>, Response> {
    let raw = get(form, "part").unwrap_or_default();
    if raw.trim().is_empty() {
        return Err(bad("required", "Required parameter: part"));
    }
    let list: Vec<&str> = raw.split(',').map(str::trim).collect();
    if let Some(p) = list.iter().find(|p| !known.contains(p)) {
        return Err(bad(
            "unknownPart",
            &format!("'{p}' is not a valid value for the part parameter."),
        ));
    }
    Ok(list)
}

fn query(q: Option<String>) -> Result<Vec<(String, String)>, Response> {
    parse_form(q.unwrap_or_default().as_bytes())
        .map_err(|k| bad("badRequest", &format!("Parameter `{k}` is given twice.")))
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The video resource with the requested parts (VID). Owner-only fields are included: every
/// caller of the fake is the channel's owner.
pub(crate) fn video_json(
    v: &Video,
    parts: &[&str],
    now: DateTime<Utc>,
    settings: &Settings,
) -> Value {
    let mut out = Map::new();
    out.insert("kind".into(), json!("youtube#video"));
    out.insert("etag".into(), json!(format!("etag-{}", v.id)));
    out.insert("id".into(), json!(v.id));
    let (upload_status, processing_status) = v.statuses(settings);
    if parts.contains(&"snippet") {
        let s = &v.snippet;
        let mut snippet = json!({
            "publishedAt": rfc3339(v.published_at),
            "channelId": settings.channel.id,
            "title": s.get("title").cloned().unwrap_or(json!("")),
            "description": s.get("description").cloned().unwrap_or(json!("")),
            "thumbnails": {"default": {
                "url": format!("https://i.ytimg.com/vi/{}/default.jpg", v.id),
                "width": 120, "height": 90}},
            "channelTitle": settings.channel.title,
            "categoryId": s.get("categoryId").cloned().unwrap_or(json!("22")),
            "liveBroadcastContent": "none",
        });
        if let Some(tags) = s.get("tags") {
            snippet["tags"] = tags.clone();
        }
        out.insert("snippet".into(), snippet);
    }
    if parts.contains(&"status") {
        let s = &v.status;
        let kids = s
            .get("selfDeclaredMadeForKids")
            .cloned()
            .unwrap_or(json!(false));
        let mut status = json!({
            "uploadStatus": upload_status,
            "privacyStatus": v.privacy(now, settings),
            "license": s.get("license").cloned().unwrap_or(json!("youtube")),
            "embeddable": s.get("embeddable").cloned().unwrap_or(json!(true)),
            "publicStatsViewable": s.get("publicStatsViewable").cloned().unwrap_or(json!(true)),
            "madeForKids": kids,
            "selfDeclaredMadeForKids": kids,
            "containsSyntheticMedia": s.get("containsSyntheticMedia").cloned().unwrap_or(json!(false)),
        });
        if let Some(at) = v.publish_at {
            status["publishAt"] = json!(rfc3339(at));
        }
        if upload_status == "failed" {
            status["failureReason"] = json!(v.failure_reason);
        }
        if upload_status == "rejected" {
            status["rejectionReason"] = json!(v.rejection_reason);
        }
        out.insert("status".into(), status);
    }
    if parts.contains(&"processingDetails") {
        let mut details = json!({ "processingStatus": processing_status });
        match processing_status {
            "processing" => {
                let left = settings.processing_polls.saturating_sub(v.polls) + 1;
                details["processingProgress"] = json!({
                    "partsTotal": 1000,
                    "partsProcessed": 1000 - (left * 1000 / (settings.processing_polls + 1)).min(1000),
                    "timeLeftMs": u64::from(left) * 30_000,
                });
            }
            "failed" => {
                let why = match v.failure_reason.as_deref() {
                    Some("uploadAborted") => "uploadFailed",
                    Some("codec" | "conversion" | "invalidFile" | "emptyFile" | "tooSmall") => {
                        "transcodeFailed"
                    }
                    _ => "other",
                };
                details["processingFailureReason"] = json!(why);
            }
            _ => {}
        }
        out.insert("processingDetails".into(), details);
    }
    if parts.contains(&"fileDetails") {
        out.insert(
            "fileDetails".into(),
            json!({ "fileName": v.file_name, "fileSize": v.size.to_string(), "fileType": "video" }),
        );
    }
    Value::Object(out)
}

/// `GET /youtube/v3/videos?part=…&id=ID[,ID…]` (1 unit, a read scope). Each listed id counts a
/// poll: `processing` for the configured number of polls, then processed, failed or rejected.
/// Unknown and removed ids are left out: 200 with `items: []`, never 404 (§4).
/// CHOICE: a rejected video stays listed with its `rejectionReason` (§10's progression) until
/// it is removed (`FakeYouTube::remove_video`), which gives §4's `items: []`.
pub(crate) async fn videos_list(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    if let Some(f) = inner.begin(Endpoint::VideosList).await {
        return Inner::fault_response(Endpoint::VideosList, &f);
    }
    let mut st = inner.lock();
    let run = |st: &mut St| -> Result<Response, Response> {
        authenticate(st, &headers, &READ_SCOPES)?;
        charge(&inner, st, Endpoint::VideosList)?;
        let form = query(q.clone())?;
        let parts = parts(&form, &VIDEO_PARTS)?;
        let Some(ids) = get(&form, "id").filter(|i| !i.is_empty()) else {
            // CHOICE: `chart` and `myRated` filters exist at Google; the fake serves `id` only.
            return Err(bad(
                "missingRequiredParameter",
                "No filter selected. The fake supports the `id` filter.",
            ));
        };
        let ids: Vec<&str> = ids.split(',').collect();
        if ids.len() > 50 {
            return Err(bad("badRequest", "At most 50 ids."));
        }
        let now = st.now();
        let mut items = Vec::new();
        for id in ids {
            if let Some(v) = st.videos.iter_mut().find(|v| v.id == id && !v.gone) {
                v.polls += 1;
            }
            if let Some(v) = st.videos.iter().find(|v| v.id == id && !v.gone) {
                items.push(video_json(v, &parts, now, &st.settings));
            }
        }
        Ok(ok_json(&json!({
            "kind": "youtube#videoListResponse",
            "etag": random_alnum(12),
            "items": items,
            "pageInfo": { "totalResults": items.len(), "resultsPerPage": items.len() },
        })))
    };
    run(&mut st).unwrap_or_else(|e| e)
}

/// `PUT /youtube/v3/videos?part=status|snippet` (50 units, `youtube` or `youtube.force-ssl`).
/// Each part sent replaces the stored one whole (§3.1); `status` must carry `privacyStatus`
/// (CHOICE: Google would silently revert it to the default), `publishAt` needs `private` in the
/// same request and a video never published (else 400 `invalidPublishAt`, §8); a past
/// `publishAt` publishes at once.
pub(crate) async fn videos_update(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    if let Some(f) = inner.begin(Endpoint::VideosUpdate).await {
        return Inner::fault_response(Endpoint::VideosUpdate, &f);
    }
    let mut st = inner.lock();
    let run = |st: &mut St| -> Result<Response, Response> {
        authenticate(st, &headers, &MANAGE_SCOPES)?;
        charge(&inner, st, Endpoint::VideosUpdate)?;
        let form = query(q.clone())?;
        let parts = parts(&form, &VIDEO_PARTS)?;
        if let Some(p) = parts.iter().find(|p| !matches!(**p, "snippet" | "status")) {
            return Err(bad(
                "invalidPart",
                &format!("The fake updates `snippet` and `status` only, not `{p}`."),
            ));
        }
        let obj = json_object(&headers, &body)?;
        let id = obj.get("id").and_then(Value::as_str).unwrap_or_default();
        let now = st.now();
        let settings = st.settings.clone();
        let Some(v) = st.videos.iter_mut().find(|v| v.id == id && !v.gone) else {
            return Err(api_error(
                404,
                "videoNotFound",
                "The video could not be found.",
            ));
        };
        let mut snippet = None;
        let mut status = None;
        for p in &parts {
            let Some(Value::Object(m)) = obj.get(*p) else {
                return Err(bad(
                    "invalidVideoMetadata",
                    &format!("`part` names `{p}` but the body has no `{p}` object."),
                ));
            };
            match *p {
                "snippet" => {
                    check_snippet(m, true)?;
                    snippet = Some(m.clone());
                }
                _ => {
                    let privacy = m.get("privacyStatus").and_then(Value::as_str);
                    if privacy.is_none() {
                        return Err(bad(
                            "invalidVideoMetadata",
                            "status.privacyStatus is required: an update replaces the whole part.",
                        ));
                    }
                    let publish_at = check_status(m, false)?;
                    let was_public = v.ever_public || v.privacy(now, &settings) == "public";
                    if publish_at.is_some() && was_public {
                        return Err(bad(
                            "invalidPublishAt",
                            "The request metadata specifies an invalid scheduled publishing time.",
                        ));
                    }
                    status = Some((
                        m.clone(),
                        privacy.unwrap_or("public").to_string(),
                        publish_at,
                    ));
                }
            }
        }
        if let Some(s) = snippet {
            v.snippet = s;
        }
        if let Some((m, privacy, publish_at)) = status {
            v.ever_public |= v.privacy(now, &settings) == "public";
            v.status = m;
            v.requested_privacy = privacy;
            v.publish_at = publish_at;
        }
        let v = &*v;
        Ok(ok_json(&video_json(v, &parts, now, &settings)))
    };
    run(&mut st).unwrap_or_else(|e| e)
}

/// `DELETE /youtube/v3/videos?id=ID` (50 units, `youtube`/`youtube.force-ssl`): 204, or 404
/// `videoNotFound`.
pub(crate) async fn videos_delete(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    if let Some(f) = inner.begin(Endpoint::VideosDelete).await {
        return Inner::fault_response(Endpoint::VideosDelete, &f);
    }
    let mut st = inner.lock();
    let run = |st: &mut St| -> Result<Response, Response> {
        authenticate(st, &headers, &MANAGE_SCOPES)?;
        charge(&inner, st, Endpoint::VideosDelete)?;
        let form = query(q.clone())?;
        let id = get(&form, "id").unwrap_or_default();
        match st.videos.iter_mut().find(|v| v.id == id && !v.gone) {
            Some(v) => {
                v.gone = true;
                Ok(StatusCode::NO_CONTENT.into_response())
            }
            None => Err(api_error(
                404,
                "videoNotFound",
                "The video could not be found.",
            )),
        }
    };
    run(&mut st).unwrap_or_else(|e| e)
}

/// `GET /youtube/v3/channels?part=…&mine=true` (1 unit, a read scope): the channel's title and
/// `contentDetails.relatedPlaylists.uploads`, or `items: []` when the account has none (§4).
pub(crate) async fn channels_list(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    if let Some(f) = inner.begin(Endpoint::ChannelsList).await {
        return Inner::fault_response(Endpoint::ChannelsList, &f);
    }
    let mut st = inner.lock();
    let run = |st: &mut St| -> Result<Response, Response> {
        authenticate(st, &headers, &READ_SCOPES)?;
        charge(&inner, st, Endpoint::ChannelsList)?;
        let form = query(q.clone())?;
        let parts = parts(&form, &CHANNEL_PARTS)?;
        let ch = &st.settings.channel;
        let mine = get(&form, "mine") == Some("true");
        let by_id = get(&form, "id").map(|ids| ids.split(',').any(|i| i == ch.id));
        if !mine && by_id.is_none() {
            // CHOICE: the fake serves the `mine` and `id` filters only.
            return Err(bad(
                "missingRequiredParameter",
                "No filter selected. The fake supports `mine=true` and `id`.",
            ));
        }
        let mut items = Vec::new();
        if !ch.missing && (mine || by_id == Some(true)) {
            let mut item =
                json!({ "kind": "youtube#channel", "etag": "etag-channel", "id": ch.id });
            if parts.contains(&"snippet") {
                item["snippet"] = json!({
                    "title": ch.title,
                    "description": "",
                    "customUrl": "@fakechannel",
                    "publishedAt": "2020-01-01T00:00:00Z",
                });
            }
            if parts.contains(&"contentDetails") {
                item["contentDetails"] = json!({ "relatedPlaylists": { "likes": "", "uploads": ch.uploads_playlist() } });
            }
            items.push(item);
        }
        Ok(ok_json(&json!({
            "kind": "youtube#channelListResponse",
            "etag": random_alnum(12),
            "pageInfo": { "totalResults": items.len(), "resultsPerPage": 5 },
            "items": items,
        })))
    };
    run(&mut st).unwrap_or_else(|e| e)
}

/// `GET /youtube/v3/playlistItems?part=…&playlistId=UU…[&maxResults=N][&pageToken=T]` (1 unit,
/// a read scope): the channel's uploads, newest first, once their upload completed (failed and
/// rejected ones included; removed ones not). Another playlist id is 404 `playlistNotFound`.
pub(crate) async fn playlist_items_list(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    if let Some(f) = inner.begin(Endpoint::PlaylistItemsList).await {
        return Inner::fault_response(Endpoint::PlaylistItemsList, &f);
    }
    let mut st = inner.lock();
    let run = |st: &mut St| -> Result<Response, Response> {
        authenticate(st, &headers, &READ_SCOPES)?;
        charge(&inner, st, Endpoint::PlaylistItemsList)?;
        let form = query(q.clone())?;
        let parts = parts(&form, &PLAYLIST_ITEM_PARTS)?;
        let uploads = st.settings.channel.uploads_playlist();
        match get(&form, "playlistId") {
            None | Some("") => {
                return Err(bad("missingRequiredParameter", "No filter selected."));
            }
            Some(p) if p != uploads || st.settings.channel.missing => {
                return Err(api_error(
                    404,
                    "playlistNotFound",
                    "The playlist identified with the request's playlistId parameter cannot be found.",
                ));
            }
            Some(_) => {}
        }
        let max = match get(&form, "maxResults") {
            None => 5,
            Some(m) => match m.parse::<usize>() {
                Ok(n) if n <= 50 => n,
                _ => return Err(bad("invalid", "maxResults must be 0 to 50.")),
            },
        };
        let start = match get(&form, "pageToken") {
            None => 0,
            Some(t) => match t.strip_prefix("page").and_then(|n| n.parse::<usize>().ok()) {
                Some(n) => n,
                None => return Err(bad("invalidPageToken", "The page token is invalid.")),
            },
        };
        let now = st.now();
        let list: Vec<&Video> = st.videos.iter().rev().filter(|v| !v.gone).collect();
        let total = list.len();
        let items: Vec<Value> = list
            .iter()
            .enumerate()
            .skip(start)
            .take(max)
            .map(|(pos, v)| {
                let mut item = json!({
                    "kind": "youtube#playlistItem",
                    "etag": format!("etag-pi-{}", v.id),
                    "id": format!("PI{}", v.id),
                });
                if parts.contains(&"snippet") {
                    item["snippet"] = json!({
                        "publishedAt": rfc3339(v.published_at),
                        "channelId": st.settings.channel.id,
                        "title": v.snippet.get("title").cloned().unwrap_or(json!("")),
                        "description": v.snippet.get("description").cloned().unwrap_or(json!("")),
                        "channelTitle": st.settings.channel.title,
                        "playlistId": uploads,
                        "position": pos,
                        "resourceId": { "kind": "youtube#video", "videoId": v.id },
                    });
                }
                if parts.contains(&"contentDetails") {
                    item["contentDetails"] = json!({
                        "videoId": v.id,
                        "videoPublishedAt": rfc3339(v.published_at),
                    });
                }
                if parts.contains(&"status") {
                    item["status"] = json!({ "privacyStatus": v.privacy(now, &st.settings) });
                }
                item
            })
            .collect();
        let mut body = json!({
            "kind": "youtube#playlistItemListResponse",
            "etag": random_alnum(12),
            "items": items,
            "pageInfo": { "totalResults": total, "resultsPerPage": max },
        });
        if start + max < total {
            body["nextPageToken"] = json!(format!("page{}", start + max));
        }
        Ok(ok_json(&body))
    };
    run(&mut st).unwrap_or_else(|e| e)
}

/// The JSON object body of an insert or update (`application/json`, any charset spelling).
pub(crate) fn json_object(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Map<String, Value>, Response> {
    if !is_json(headers) {
        return Err(bad(
            "badContent",
            "Content-Type must be application/json; charset=UTF-8.",
        ));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(bad("parseError", "The request body must be a JSON object.")),
    }
}

/// Assignable categories in the US (`videoCategories.list?regionCode=US`, §3.1).
const CATEGORIES: [&str; 15] = [
    "1", "2", "10", "15", "17", "19", "20", "22", "23", "24", "25", "26", "27", "28", "29",
];

/// `snippet` rules of §3.1. `update`: `title` and `categoryId` are both required.
pub(crate) fn check_snippet(s: &Map<String, Value>, update: bool) -> Result<(), Response> {
    let title = match s.get("title") {
        Some(Value::String(t)) => t.as_str(),
        None => "",
        Some(_) => return Err(bad("invalidTitle", "snippet.title must be a string.")),
    };
    // "maximum length of 100 characters … all valid UTF-8 characters except < and >";
    // CHOICE: counted in Unicode code points (UNCONFIRMED for emoji).
    if title.trim().is_empty() || title.chars().count() > 100 || title.contains(['<', '>']) {
        return Err(bad(
            "invalidTitle",
            "The request metadata specifies an invalid or empty video title.",
        ));
    }
    match s.get("description") {
        None => {}
        Some(Value::String(d)) if d.len() <= 5000 && !d.contains(['<', '>']) => {}
        Some(_) => {
            return Err(bad(
                "invalidDescription",
                "The request metadata specifies an invalid video description.",
            ));
        }
    }
    if let Some(tags) = s.get("tags") {
        let Some(tags) = tags.as_array() else {
            return Err(bad("invalidTags", "snippet.tags must be a list."));
        };
        // Σ(len + 2·hasSpace) + (n − 1) ≤ 500 (§3.1): commas and implied quotes count.
        let mut total = tags.len().saturating_sub(1);
        for t in tags {
            match t.as_str() {
                Some(t) if !t.trim().is_empty() && !t.contains(['<', '>']) => {
                    total += t.chars().count() + if t.contains(' ') { 2 } else { 0 };
                }
                _ => {
                    return Err(bad(
                        "invalidTags",
                        "The request metadata specifies invalid video keywords.",
                    ));
                }
            }
        }
        if total > 500 {
            return Err(bad(
                "invalidTags",
                "The request metadata specifies invalid video keywords.",
            ));
        }
    }
    match s.get("categoryId") {
        None if update => Err(bad(
            "invalidVideoMetadata",
            "snippet.categoryId is required when updating the snippet.",
        )),
        None => Ok(()),
        Some(Value::String(c)) if CATEGORIES.contains(&c.as_str()) => Ok(()),
        Some(_) => Err(bad(
            "invalidCategoryId",
            "The snippet.categoryId property specifies an invalid category ID.",
        )),
    }
}

/// `status` rules of §3.1 and §8; returns the parsed `publishAt`. `strict`: `privacyStatus` and
/// `selfDeclaredMadeForKids` must be present (`FakeOptions::strict_status`).
pub(crate) fn check_status(
    s: &Map<String, Value>,
    strict: bool,
) -> Result<Option<DateTime<Utc>>, Response> {
    let privacy = match s.get("privacyStatus") {
        None if strict => {
            return Err(bad(
                "invalidVideoMetadata",
                "status.privacyStatus is required by the fake (omitted means public, §6).",
            ));
        }
        None => "public",
        // UNCONFIRMED: the reason Google gives for an unknown privacy value.
        Some(Value::String(p)) if matches!(p.as_str(), "private" | "public" | "unlisted") => {
            p.as_str()
        }
        Some(_) => {
            return Err(bad(
                "invalidVideoMetadata",
                "status.privacyStatus must be private, public or unlisted.",
            ));
        }
    };
    match s.get("selfDeclaredMadeForKids") {
        None if strict => {
            return Err(bad(
                "invalidVideoMetadata",
                "status.selfDeclaredMadeForKids is required by the fake (the audience choice).",
            ));
        }
        None | Some(Value::Bool(_)) => {}
        Some(_) => {
            return Err(bad(
                "invalidVideoMetadata",
                "status.selfDeclaredMadeForKids must be a boolean.",
            ));
        }
    }
    for key in [
        "containsSyntheticMedia",
        "embeddable",
        "publicStatsViewable",
    ] {
        if s.get(key).is_some_and(|v| !v.is_boolean()) {
            return Err(bad(
                "invalidVideoMetadata",
                &format!("status.{key} must be a boolean."),
            ));
        }
    }
    if let Some(l) = s.get("license")
        && !matches!(l.as_str(), Some("youtube" | "creativeCommon"))
    {
        return Err(bad(
            "invalidVideoMetadata",
            "status.license must be youtube or creativeCommon.",
        ));
    }
    let invalid_at = || {
        bad(
            "invalidPublishAt",
            "The request metadata specifies an invalid scheduled publishing time.",
        )
    };
    match s.get("publishAt") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(at)) => {
            let at = DateTime::parse_from_rfc3339(at).map_err(|_| invalid_at())?;
            // "can be set only if the privacy status of the video is private" (§8).
            if privacy != "private" {
                return Err(invalid_at());
            }
            Ok(Some(at.with_timezone(&Utc)))
        }
        Some(_) => Err(invalid_at()),
    }
}
