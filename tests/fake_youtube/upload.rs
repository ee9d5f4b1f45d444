//! The resumable upload protocol of `videos.insert` (youtube-api.md §2): the init that spends an
//! insert from the daily bucket and answers 200 + the session URI in `Location`, and the `PUT`s
//! of that URI (chunks and `bytes */TOTAL` status queries) answering 308 + `Range` (never a
//! `Location`, unless the `Relocate` fault) until the last byte, then 201 + the video resource.
//! Bodies are streamed to disk with an incremental SHA-256, never buffered whole (or, with
//! `--discard-uploads`, only counted: every check above still applies).
//!
//! PUT checks, in order: unknown `upload_id` 404, expired or dead session 404 (or 410, see
//! `FakeOptions::expired_session_status`); Bearer 401;
//! `Transfer-Encoding` 400 (CHOICE: §2.2 says send `Content-Length`; without either the body is
//! empty); a `Content-Type` other than the init's `X-Upload-Content-Type` 400; `Content-Range` malformed, or its total not `X-Upload-Content-Length`, 400; a status
//! query with a body 400; a range past the end 400; `Content-Length` not the range's length 400;
//! a non-final chunk not a multiple of 256 KiB 400 (nothing stored, the session lives); a range
//! that does not start at the stored offset (a gap or an overlap) 400 and the session is dead
//! (§2.3: "none of the remaining binary content will be uploaded").
//!
//! CHOICE: non-final chunks need not all be the same size (§2.2 says they are): after a 308 with
//! a shorter `Range` a client's chunk boundaries shift, and Google's own clients then continue.

use std::io::{Seek, Write};
use std::path::PathBuf;
use std::sync::Arc;

use axum::body::{Body, BodyDataStream, Bytes};
use axum::extract::{Extension, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::TimeDelta;
use futures_util::StreamExt;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::data::{
    UPLOAD_SCOPES, VIDEO_PARTS, authenticate, check_snippet, check_status, json_object,
    quota_exceeded, video_json,
};
use super::reply::{api_error, bad, get, header_u64, parse_form, pct, random_b64url};
use super::server::ConnAbort;
use super::state::{CHUNK_UNIT, Fault, Session, SessionState, State as St, Video};
use super::{Endpoint, Inner};

/// "Max file 256 GB" (§2.1), read as 256 GiB would be laxer: 256,000,000,000.
const MAX_VIDEO: u64 = 256_000_000_000;

/// `POST /upload/youtube/v3/videos?uploadType=resumable&part=…` with the JSON metadata and
/// `X-Upload-Content-Length`/`-Type` (§2.1). Order: Bearer and scope; the channel exists
/// (401 `youtubeSignupRequired`); quota (an injected 403 `quotaExceeded`; the daily bucket, 429
/// `rateLimitExceeded`, §5.2), which every init that gets this far spends, valid or not (§5.1);
/// an injected 400 `uploadLimitExceeded` (§5.3); then the request and metadata (§3).
pub(crate) async fn init(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    if let Some(f) = inner.begin(Endpoint::VideosInsert).await {
        return Inner::fault_response(Endpoint::VideosInsert, &f);
    }
    let mut st = inner.lock();
    open_session(&inner, &mut st, &headers, q.as_deref().unwrap_or(""), &body).unwrap_or_else(|e| e)
}

fn open_session(
    inner: &Inner,
    st: &mut St,
    headers: &HeaderMap,
    query: &str,
    body: &[u8],
) -> Result<Response, Response> {
    authenticate(st, headers, &UPLOAD_SCOPES)?;
    if st.settings.channel.missing {
        return Err(api_error(
            401,
            "youtubeSignupRequired",
            "This request requires a YouTube channel: the account has none.",
        ));
    }
    if st
        .take_fault(|f| matches!(f, Fault::QuotaExceeded).then_some(()))
        .is_some()
    {
        return Err(quota_exceeded());
    }
    let bucket_fault = st
        .take_fault(|f| matches!(f, Fault::DailyUploadsExceeded).then_some(()))
        .is_some();
    let limit = inner.opts.daily_inserts;
    let day = st.quota_today();
    if bucket_fault || day.inserts >= limit {
        // The form reported for the exhausted "Video uploads" bucket (§5.2): looks retryable,
        // is not.
        return Err(api_error(
            429,
            "rateLimitExceeded",
            "Quota exceeded for quota metric 'Video Uploads' and limit 'Video Uploads per day' \
             of service 'youtube.googleapis.com' for consumer 'project_number:123456789012'.",
        ));
    }
    day.inserts += 1;
    if st
        .take_fault(|f| matches!(f, Fault::UploadLimitExceeded).then_some(()))
        .is_some()
    {
        return Err(bad(
            "uploadLimitExceeded",
            "The user has exceeded the number of videos they may upload.",
        ));
    }
    let form = parse_form(query.as_bytes())
        .map_err(|k| bad("badRequest", &format!("Parameter `{k}` is given twice.")))?;
    match get(&form, "uploadType") {
        Some("resumable") => {}
        None => {
            return Err(bad(
                "mediaBodyRequired",
                "The request does not include the video content.",
            ));
        }
        Some(t) => {
            // CHOICE: `media` and `multipart` exist at Google; postez uses resumable only.
            return Err(bad(
                "badRequest",
                &format!("uploadType={t}: the fake supports uploadType=resumable only."),
            ));
        }
    }
    let part = get(&form, "part").unwrap_or_default().to_string();
    let parts = super::data::parts(&form, &VIDEO_PARTS)?;
    let notify = match get(&form, "notifySubscribers") {
        None | Some("true") => true,
        Some("false") => false,
        Some(_) => return Err(bad("invalid", "notifySubscribers must be true or false.")),
    };
    let meta = json_object(headers, body)?;
    // `part` must name every part of the body (§2.1).
    if let Some(k) = meta
        .keys()
        .find(|k| !matches!(k.as_str(), "kind" | "etag" | "id") && !parts.contains(&k.as_str()))
    {
        return Err(bad(
            "unexpectedPart",
            &format!("The body contains `{k}`, which `part` does not name."),
        ));
    }
    match meta.get("snippet") {
        Some(Value::Object(s)) => check_snippet(s, false)?,
        // CHOICE: Google would title it after the file; postez always sends a title.
        _ => {
            return Err(bad(
                "invalidTitle",
                "The request metadata specifies an invalid or empty video title.",
            ));
        }
    }
    let strict = inner.opts.strict_status;
    match meta.get("status") {
        Some(Value::Object(s)) => {
            check_status(s, strict)?;
        }
        None if !strict => {}
        _ => {
            return Err(bad(
                "invalidVideoMetadata",
                "A `status` object with privacyStatus and selfDeclaredMadeForKids is required \
                 by the fake.",
            ));
        }
    }
    let Some(total) = header_u64(headers, "x-upload-content-length") else {
        return Err(bad(
            "badRequest",
            "X-Upload-Content-Length is required (the file's size in bytes).",
        ));
    };
    if total == 0 || total > MAX_VIDEO {
        return Err(bad(
            "badRequest",
            "X-Upload-Content-Length must be between 1 byte and 256 GB.",
        ));
    }
    let content_type = headers
        .get("x-upload-content-type")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let video_type = content_type
        .strip_prefix("video/")
        .is_some_and(|s| !s.is_empty());
    if !video_type && content_type != "application/octet-stream" {
        return Err(bad(
            "badContent",
            "X-Upload-Content-Type must be video/* or application/octet-stream.",
        ));
    }
    let slug = match headers.get("slug").map(|v| v.to_str()) {
        None => None,
        Some(Ok(s)) if !s.trim().is_empty() && !s.contains(['/', '\\']) => Some(s.to_string()),
        Some(_) => {
            return Err(bad(
                "invalidFilename",
                "The Slug header is not a valid file name.",
            ));
        }
    };
    let upload_id = format!("AUc8{}", random_b64url(64));
    let uri = format!(
        "{}/upload/youtube/v3/videos?uploadType=resumable&upload_id={upload_id}&part={}",
        inner.base_url,
        pct(&part)
    );
    let now = st.now();
    st.sessions.push(Session {
        upload_id: upload_id.clone(),
        aliases: Vec::new(),
        uri: uri.clone(),
        state: SessionState::Open,
        created: now,
        metadata: meta,
        part,
        notify_subscribers: notify,
        slug,
        total,
        content_type,
        bytes_received: 0,
        chunks: Vec::new(),
        hasher: Sha256::new(),
        sha256: None,
        file: inner.data_dir.join(format!("{upload_id}.video")),
        video_id: None,
        in_flight: false,
    });
    let mut resp = StatusCode::OK.into_response();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&uri) {
        h.insert(header::LOCATION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&upload_id) {
        h.insert("x-guploader-uploadid", v);
    }
    Ok(resp)
}

/// One accepted data PUT, between the header checks and the commit.
struct Job {
    upload_id: String,
    /// The session's chunk number (chunks stored so far).
    index: u32,
    first: u64,
    len: u64,
    total: u64,
    file: PathBuf,
    /// Hash of the bytes committed before this chunk.
    hasher: Sha256,
    /// Write and hash the bytes (`FakeOptions::keep_uploads`), or only count them.
    keep_uploads: bool,
    _guard: InFlight,
}

/// Marks the session busy while its data PUT runs, including when the connection is dropped.
struct InFlight {
    inner: Arc<Inner>,
    upload_id: String,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Some(s) = self.inner.lock().session_mut(&self.upload_id) {
            s.in_flight = false;
        }
    }
}

enum ChunkFault {
    Reset,
    Status(u16),
    Short(u64),
    Relocate,
    FinalLost,
}

/// What a PUT turned out to be.
enum Put {
    /// Answered without reading bytes (a status query).
    Answer(Response),
    Chunk(Job),
}

/// 308 Resume Incomplete: `Range: bytes=0-N` once something is stored, never at 0 bytes (§2.3),
/// and no `Location` (a client following it as a redirect is broken, §2.6).
fn resume_incomplete(received: u64, upload_id: &str) -> Response {
    let mut resp = StatusCode::PERMANENT_REDIRECT.into_response();
    let h = resp.headers_mut();
    if received > 0
        && let Ok(v) = HeaderValue::from_str(&format!("bytes=0-{}", received - 1))
    {
        h.insert(header::RANGE, v);
    }
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(0));
    if let Ok(v) = HeaderValue::from_str(upload_id) {
        h.insert("x-guploader-uploadid", v);
    }
    resp
}

fn video_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=UTF-8")],
        body.to_string(),
    )
        .into_response()
}

/// The finished session's video, as a status query sees it.
fn finished(st: &St, s: &Session) -> Response {
    let parts: Vec<&str> = s.part.split(',').collect();
    let now = st.now();
    match s
        .video_id
        .as_deref()
        .and_then(|id| st.videos.iter().find(|v| v.id == id))
    {
        // CHOICE: 200 (Google's clients accept 200 or 201, §2.2); the original answer was 201.
        Some(v) => video_response(StatusCode::OK, &video_json(v, &parts, now, &st.settings)),
        None => api_error(404, "notFound", "Upload session not found."),
    }
}

/// `PUT {session URI}`: a chunk (`Content-Range: bytes F-L/T`), the whole file (no
/// `Content-Range`, §2.2) or a status query (`Content-Range: bytes */T`, empty body, §2.3).
pub(crate) async fn put_session(
    State(inner): State<Arc<Inner>>,
    RawQuery(q): RawQuery,
    Extension(conn): Extension<ConnAbort>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let mut stream = body.into_data_stream();
    if let Some(f) = inner.begin(Endpoint::UploadPut).await {
        drain(&mut stream).await;
        return Inner::fault_response(Endpoint::UploadPut, &f);
    }
    let job = match prepare(&inner, q.as_deref().unwrap_or(""), &headers) {
        Ok(Put::Chunk(job)) => job,
        Ok(Put::Answer(resp)) | Err(resp) => {
            drain(&mut stream).await;
            return resp;
        }
    };
    let completes = job.first + job.len == job.total;
    let fault = inner.lock().take_fault(|f| match f {
        Fault::ResetMidChunk { chunk } if *chunk == job.index => Some(ChunkFault::Reset),
        Fault::ChunkStatus { chunk, http } if *chunk == job.index => {
            Some(ChunkFault::Status(*http))
        }
        Fault::ShortStore { chunk, keep } if *chunk == job.index => Some(ChunkFault::Short(*keep)),
        Fault::Relocate { chunk } if *chunk == job.index && !completes => {
            Some(ChunkFault::Relocate)
        }
        Fault::FinalReplyLost if completes => Some(ChunkFault::FinalLost),
        _ => None,
    });
    let (read_limit, keep) = match fault {
        Some(ChunkFault::Status(http)) => {
            drain(&mut stream).await;
            let reason = super::reply::reason_for_http(http);
            return api_error(
                http,
                reason,
                "Injected by the fake YouTube server; chunk not stored.",
            );
        }
        // Half the body arrives; its 256 KiB-aligned part is kept.
        Some(ChunkFault::Reset) => {
            let half = (job.len / 2).max(1);
            (half, half / CHUNK_UNIT * CHUNK_UNIT)
        }
        Some(ChunkFault::Short(keep)) => (job.len, keep.min(job.len) / CHUNK_UNIT * CHUNK_UNIT),
        _ => (job.len, job.len),
    };
    // Storing and committing run on a task of their own: once every byte is in, YouTube
    // finishes the upload whether or not the client is still there, so a client killed at
    // that moment (this handler is then dropped) still leaves the video created.
    let reset = matches!(fault, Some(ChunkFault::Reset));
    let worker = inner.clone();
    let work = tokio::spawn(async move {
        let stored = store(&job, &mut stream, read_limit, keep).await?;
        if reset {
            if let Some(hasher) = stored.filter(|_| keep > 0) {
                let _ = commit(&worker, &job, hasher, keep);
            }
            return Ok(None);
        }
        let Some(hasher) = stored else {
            return Err(api_error(
                400,
                "badRequest",
                "The body ended before Content-Length bytes.",
            ));
        };
        Ok(Some((
            commit(&worker, &job, hasher, keep),
            job.upload_id.clone(),
        )))
    });
    let (outcome, upload_id) = match work.await {
        Ok(Ok(Some(done))) => done,
        Ok(Ok(None)) => {
            // ResetMidChunk: a prefix is stored, the connection dies unanswered.
            conn.abort();
            return std::future::pending().await;
        }
        Ok(Err(resp)) => return resp,
        Err(e) => return api_error(500, "backendError", &format!("fake storage: {e}")),
    };
    match outcome {
        Err(resp) => resp,
        Ok(Committed::Complete(video)) => {
            if matches!(fault, Some(ChunkFault::FinalLost)) {
                // The trap of §2.5: the video exists, the 201 never arrives.
                conn.abort();
                return std::future::pending().await;
            }
            video_response(StatusCode::CREATED, &video)
        }
        Ok(Committed::Incomplete(received)) => {
            let mut resp = resume_incomplete(received, &upload_id);
            if matches!(fault, Some(ChunkFault::Relocate)) {
                let alias = format!("AUc8{}", random_b64url(64));
                let mut st = inner.lock();
                if let Some(s) = st.session_mut(&upload_id) {
                    s.aliases.push(alias.clone());
                    let uri = format!(
                        "{}/upload/youtube/v3/videos?uploadType=resumable&upload_id={alias}&part={}",
                        inner.base_url,
                        pct(&s.part)
                    );
                    if let Ok(v) = HeaderValue::from_str(&uri) {
                        resp.headers_mut().insert(header::LOCATION, v);
                    }
                }
            }
            resp
        }
    }
}

async fn drain(stream: &mut BodyDataStream) {
    while let Some(Ok(_)) = stream.next().await {}
}

/// `bytes F-L/T` → `(Some((F, L)), T)`; `bytes */T` → `(None, T)`. Plain decimals, `F <= L`.
fn parse_content_range(s: &str) -> Option<(Option<(u64, u64)>, u64)> {
    let (range, total) = s.strip_prefix("bytes ")?.split_once('/')?;
    let num = |x: &str| {
        if x.is_empty() || !x.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        x.parse::<u64>().ok()
    };
    let total = num(total)?;
    if range == "*" {
        return Some((None, total));
    }
    let (a, b) = range.split_once('-')?;
    let (a, b) = (num(a)?, num(b)?);
    (a <= b).then_some((Some((a, b)), total))
}

/// The answer of an expired or dead session: 404 `notFound`, or 410 `gone` when so configured.
fn expired(http: u16) -> Response {
    let reason = if http == 410 { "gone" } else { "notFound" };
    api_error(http, reason, "Upload session not found or expired.")
}

/// Session and header checks; answers status queries directly; for chunks, marks the session busy.
fn prepare(inner: &Arc<Inner>, query: &str, headers: &HeaderMap) -> Result<Put, Response> {
    let form = parse_form(query.as_bytes()).unwrap_or_default();
    let upload_id = get(&form, "upload_id").unwrap_or_default().to_string();
    let mut st = inner.lock();
    let now = st.now();
    let ttl = TimeDelta::from_std(inner.opts.session_ttl).unwrap_or(TimeDelta::MAX);
    let not_found = || api_error(404, "notFound", "Upload session not found or expired.");
    let Some(s) = st.session_mut(&upload_id) else {
        return Err(not_found());
    };
    if s.state == SessionState::Open && now >= s.created + ttl {
        s.state = SessionState::Expired;
    }
    // CHOICE: a session killed by a gap or overlap answers like an expired one.
    if matches!(s.state, SessionState::Expired | SessionState::Dead) {
        return Err(expired(inner.opts.expired_session_status));
    }
    let canonical = s.upload_id.clone();
    // The session outlives the access token, but each PUT carries a fresh one (§2.3, §2.4).
    authenticate(&st, headers, &UPLOAD_SCOPES)?;
    if headers.contains_key(header::TRANSFER_ENCODING) {
        return Err(bad(
            "badRequest",
            "Transfer-Encoding is not accepted by the fake: send Content-Length.",
        ));
    }
    // No Content-Length (and no Transfer-Encoding) is an empty body (RFC 9112 §6.3): HTTP
    // clients leave the header out of an empty status query.
    let len = match headers.get(header::CONTENT_LENGTH) {
        None => 0,
        Some(_) => match header_u64(headers, "content-length") {
            Some(len) => len,
            None => return Err(bad("badRequest", "Content-Length is not a number.")),
        },
    };
    let Some(s) = st.session_mut(&canonical) else {
        return Err(not_found());
    };
    let total = s.total;
    // §2.2: the bytes' `Content-Type` is the init's `X-Upload-Content-Type`.
    // CHOICE: leaving it out is accepted (status queries have none).
    if let Some(ty) = super::reply::media_type(headers)
        && ty != s.content_type
    {
        return Err(bad(
            "badContent",
            &format!(
                "Content-Type {ty} differs from the X-Upload-Content-Type {}.",
                s.content_type
            ),
        ));
    }
    let range = match headers.get(header::CONTENT_RANGE) {
        // The whole file in one request (§2.2).
        None => (Some((0, len.saturating_sub(1))), total),
        Some(v) => match v.to_str().ok().and_then(parse_content_range) {
            Some(r) => r,
            None => {
                return Err(bad(
                    "badRequest",
                    "Content-Range must be `bytes FIRST-LAST/TOTAL` or `bytes */TOTAL`.",
                ));
            }
        },
    };
    if range.1 != total {
        return Err(bad(
            "badRequest",
            &format!("The Content-Range total must be X-Upload-Content-Length ({total})."),
        ));
    }
    let Some((first, last)) = range.0 else {
        // Status query (§2.3).
        if len != 0 {
            return Err(bad("badRequest", "A status query has an empty body."));
        }
        let received = s.bytes_received;
        return Ok(Put::Answer(match s.state {
            SessionState::Complete => {
                let s = st.sessions.iter().find(|x| x.upload_id == canonical);
                match s {
                    Some(s) => finished(&st, s),
                    None => not_found(),
                }
            }
            _ => resume_incomplete(received, &canonical),
        }));
    };
    if len == 0 {
        return Err(bad(
            "badRequest",
            "An empty body needs `Content-Range: bytes */TOTAL`.",
        ));
    }
    if s.state == SessionState::Complete {
        // CHOICE (UNCONFIRMED): bytes sent to a finished session get the finished answer; no
        // second video can come of it.
        let s = st.sessions.iter().find(|x| x.upload_id == canonical);
        return Ok(Put::Answer(match s {
            Some(s) => finished(&st, s),
            None => not_found(),
        }));
    }
    if last >= total {
        return Err(bad(
            "badRequest",
            "The range goes past the end of the file.",
        ));
    }
    if len != last - first + 1 {
        return Err(bad(
            "badRequest",
            "Content-Length does not match Content-Range.",
        ));
    }
    let is_final = last + 1 == total;
    if !is_final && len % CHUNK_UNIT != 0 {
        return Err(bad(
            "badRequest",
            "Every chunk but the last must be a multiple of 256 KiB (262,144 bytes).",
        ));
    }
    if s.in_flight {
        // CHOICE (UNCONFIRMED): one data PUT per session at a time.
        return Err(bad(
            "badRequest",
            "Another PUT of this session is in progress.",
        ));
    }
    if first != s.bytes_received {
        s.state = SessionState::Dead;
        let what = if first > s.bytes_received {
            "a gap"
        } else {
            "an overlap"
        };
        return Err(bad(
            "badRequest",
            &format!(
                "Content-Range starts at {first} but {} bytes are stored: {what}. The session \
                 is closed; none of the remaining content will be uploaded.",
                s.bytes_received
            ),
        ));
    }
    let index = s.chunks.len() as u32;
    let expires = st
        .take_fault(|f| {
            matches!(f, Fault::SessionExpires { chunk } if *chunk == index).then_some(())
        })
        .is_some();
    let Some(s) = st.session_mut(&canonical) else {
        return Err(not_found());
    };
    if expires {
        s.state = SessionState::Expired;
        return Err(expired(inner.opts.expired_session_status));
    }
    s.in_flight = true;
    Ok(Put::Chunk(Job {
        upload_id: canonical.clone(),
        index,
        first,
        len,
        total,
        file: s.file.clone(),
        hasher: s.hasher.clone(),
        keep_uploads: inner.opts.keep_uploads,
        _guard: InFlight {
            inner: inner.clone(),
            upload_id: canonical,
        },
    }))
}

/// Streams up to `read_limit` bytes of the body into the file at the chunk's offset, writing and
/// hashing only the first `keep` (without `keep_uploads`, only counting). A blocking thread
/// writes while this task receives the next frames. `Ok(None)`: the body ended early (nothing
/// to commit).
async fn store(
    job: &Job,
    stream: &mut BodyDataStream,
    read_limit: u64,
    keep: u64,
) -> Result<Option<Sha256>, Response> {
    let io_err = |e: std::io::Error| api_error(500, "backendError", &format!("fake storage: {e}"));
    let writer = job.keep_uploads.then(|| {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Bytes>(64);
        let (path, first, mut hasher) = (job.file.clone(), job.first, job.hasher.clone());
        let writer = tokio::task::spawn_blocking(move || -> std::io::Result<Sha256> {
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .write(true)
                .truncate(false)
                .open(&path)?;
            file.seek(std::io::SeekFrom::Start(first))?;
            let mut left = keep;
            while let Some(data) = rx.blocking_recv() {
                let take = (data.len() as u64).min(left) as usize;
                if take > 0 {
                    hasher.update(&data[..take]);
                    file.write_all(&data[..take])?;
                    left -= take as u64;
                }
            }
            file.flush()?;
            Ok(hasher)
        });
        (tx, writer)
    });
    let (tx, writer) = writer.unzip();
    let mut n = 0u64;
    let mut too_long = false;
    while n < read_limit {
        let Some(Ok(data)) = stream.next().await else {
            break;
        };
        n += data.len() as u64;
        if n > job.len {
            too_long = true;
            break;
        }
        if let Some(tx) = &tx
            && tx.send(data).await.is_err()
        {
            break; // the writer failed; its error is reported below
        }
    }
    drop(tx);
    let hasher = match writer {
        Some(writer) => writer
            .await
            .map_err(|e| api_error(500, "backendError", &format!("fake storage: {e}")))?
            .map_err(io_err)?,
        // Discarding: the hash stays that of nothing, and is never reported (see `commit`).
        None => job.hasher.clone(),
    };
    if too_long {
        return Err(bad("badRequest", "The body is longer than Content-Length."));
    }
    Ok((n >= read_limit.min(job.len) && n >= keep).then_some(hasher))
}

enum Committed {
    Incomplete(u64),
    /// The video resource (the session's parts) for the 201.
    Complete(Value),
}

/// Records `kept` bytes of the chunk; after the last byte, fixes the file's hash and creates the
/// video, applying a pending processing fault.
fn commit(inner: &Inner, job: &Job, hasher: Sha256, kept: u64) -> Result<Committed, Response> {
    let gone = || api_error(404, "notFound", "Upload session not found or expired.");
    let mut st = inner.lock();
    let now = st.now();
    let s = st.session_mut(&job.upload_id).ok_or_else(gone)?;
    if kept > 0 {
        s.bytes_received = job.first + kept;
        s.chunks.push(kept);
        s.hasher = hasher;
    }
    if s.bytes_received < s.total {
        return Ok(Committed::Incomplete(s.bytes_received));
    }
    // A discarding fake hashed nothing: it reports no hash rather than a wrong one.
    let sha256 = job
        .keep_uploads
        .then(|| hex::encode(s.hasher.clone().finalize()));
    let id = random_b64url(11);
    s.sha256 = sha256.clone();
    s.state = SessionState::Complete;
    s.video_id = Some(id.clone());
    let obj = |k: &str| match s.metadata.get(k) {
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    };
    let (snippet, status) = (obj("snippet"), obj("status"));
    let (size, file_name, upload_id) = (s.total, s.slug.clone(), s.upload_id.clone());
    let parts: Vec<String> = s.part.split(',').map(str::to_string).collect();
    let requested_privacy = status
        .get("privacyStatus")
        .and_then(Value::as_str)
        .unwrap_or("public")
        .to_string();
    let publish_at = status
        .get("publishAt")
        .and_then(Value::as_str)
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&chrono::Utc));
    let failure_reason = st.take_fault(|f| match f {
        Fault::ProcessingFails { reason } => Some(reason.clone()),
        _ => None,
    });
    let rejection_reason = st.take_fault(|f| match f {
        Fault::Rejected { reason } => Some(reason.clone()),
        _ => None,
    });
    st.videos.push(Video {
        id: id.clone(),
        upload_id,
        published_at: now,
        snippet,
        status,
        requested_privacy,
        publish_at,
        ever_public: false,
        sha256,
        size,
        file_name,
        polls: 0,
        failure_reason,
        rejection_reason,
        gone: false,
        thumbnail: None,
    });
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    let v = st.videos.last().ok_or_else(gone)?;
    Ok(Committed::Complete(video_json(
        v,
        &parts,
        now,
        &st.settings,
    )))
}
