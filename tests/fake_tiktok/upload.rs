//! `PUT {upload_url}`: the chunked upload (tiktok-api.md §2.4). Chunks must arrive in order, each
//! exactly as the init's chunk plan says; bodies are streamed to disk with an incremental SHA-256,
//! never buffered whole, because benchmarks push gigabytes through here.
//!
//! Checks, in order: unknown upload id 404; missing or wrong `upload_token` 403; URL older than
//! `upload_url_ttl` 403; `Transfer-Encoding` (e.g. chunked) 400; missing `Content-Length` 400;
//! `Content-Type` not `video/mp4|video/quicktime|video/webm` (or changed between chunks) 400;
//! malformed `Content-Range` 400; a range that is not exactly the next chunk of the plan (or a
//! total that is not `video_size`) 416; `Content-Length` not the range's length 400; a body that
//! ends early 400. Then 206 (more chunks expected) or 201 (all received), both with
//! `Content-Range: bytes 0-{received-1}/{total}`.
//!
//! CHOICE (TikTok is silent): a chunk that was already stored (a client retrying after a lost
//! acknowledgement), a PUT after completion, and a PUT while another PUT of the same upload is
//! still running all answer 416 with the progress `Content-Range` header (`bytes */{total}` while
//! nothing is stored), so a client can skip ahead. Error bodies use the v2 envelope (UNCONFIRMED:
//! TikTok does not document the upload host's bodies). Rejected bodies are read and discarded
//! before answering, so the client sees the answer instead of a reset.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, BodyDataStream, Bytes};
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use rand::Rng;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::io::{Seek, Write};

use super::reply::{code_for_http, content_type, envelope, get, parse_form};
use super::server::ConnAbort;
use super::state::{Fault, PublishMode};
use super::{Endpoint, Inner, media};

const VIDEO_TYPES: [&str; 3] = ["video/mp4", "video/quicktime", "video/webm"];

/// One accepted PUT, between the header checks and the commit.
struct Job {
    publish_id: String,
    /// 0-based chunk index.
    index: u32,
    first: u64,
    len: u64,
    total: u64,
    content_type: String,
    file: PathBuf,
    /// Hash of the bytes committed before this chunk.
    hasher: Sha256,
    /// Whether to store and hash the bytes (`FakeOptions::keep_uploads`), or only count them.
    keep: bool,
    _guard: InFlight,
}

/// Marks the publish busy while its PUT runs, including when the connection is dropped.
struct InFlight {
    inner: Arc<Inner>,
    publish_id: String,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Some(p) = self.inner.lock().publish_mut(&self.publish_id) {
            p.in_flight = false;
        }
    }
}

enum ChunkFault {
    Reset,
    AckLost,
    Status(u16),
}

fn upload_error(http: u16, message: &str) -> Response {
    envelope(http, code_for_http(http), message, json!({}))
}

/// `Content-Range` describing what is stored: `bytes 0-{received-1}/{total}`.
fn progress(received: u64, total: u64) -> HeaderValue {
    let v = if received == 0 {
        format!("bytes */{total}")
    } else {
        format!("bytes 0-{}/{total}", received - 1)
    };
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static("bytes */0"))
}

fn with_progress(mut resp: Response, received: u64, total: u64) -> Response {
    resp.headers_mut()
        .insert(header::CONTENT_RANGE, progress(received, total));
    resp
}

pub(crate) async fn put_chunk(
    State(inner): State<Arc<Inner>>,
    Path(upload_id): Path<String>,
    RawQuery(q): RawQuery,
    Extension(conn): Extension<ConnAbort>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let mut stream = body.into_data_stream();
    if let Some((http, code)) = inner.begin(Endpoint::Upload).await {
        drain(&mut stream).await;
        return envelope(
            http,
            &code,
            "Injected by the fake TikTok server.",
            json!({}),
        );
    }
    let job = match prepare(&inner, &upload_id, q.as_deref().unwrap_or(""), &headers) {
        Ok(job) => job,
        Err(resp) => {
            drain(&mut stream).await;
            return resp;
        }
    };
    let fault = inner.lock().take_fault(|f| match f {
        Fault::ResetMidChunk { chunk } if *chunk == job.index => Some(ChunkFault::Reset),
        Fault::AckLost { chunk } if *chunk == job.index => Some(ChunkFault::AckLost),
        Fault::ChunkStatus { chunk, http } if *chunk == job.index => {
            Some(ChunkFault::Status(*http))
        }
        _ => None,
    });
    match fault {
        Some(ChunkFault::Status(http)) => {
            drain(&mut stream).await;
            return upload_error(
                http,
                "Injected by the fake TikTok server; chunk not stored.",
            );
        }
        Some(ChunkFault::Reset) => {
            let stop = (job.len / 2).max(1);
            let mut read = 0u64;
            while read < stop {
                match stream.next().await {
                    Some(Ok(bytes)) => read += bytes.len() as u64,
                    _ => break,
                }
            }
            drop(job);
            conn.abort();
            return std::future::pending().await;
        }
        Some(ChunkFault::AckLost) | None => {}
    }
    let hasher = match store(&job, &mut stream).await {
        Ok(h) => h,
        Err(resp) => return resp,
    };
    // Once every byte is in, TikTok finishes the upload whether or not the client is still
    // there: the commit runs on a task of its own, so a client killed while it runs (the
    // handler is then dropped) cannot leave the upload counted but never completed.
    let committer = inner.clone();
    let done = tokio::spawn(async move { commit(&committer, &job, hasher).await });
    let (received, total) = match done.await {
        Ok(Ok(done)) => done,
        Ok(Err(resp)) => return resp,
        Err(e) => return upload_error(500, &format!("fake commit failed: {e}")),
    };
    if matches!(fault, Some(ChunkFault::AckLost)) {
        conn.abort();
        return std::future::pending().await;
    }
    let status = if received == total {
        StatusCode::CREATED
    } else {
        StatusCode::PARTIAL_CONTENT
    };
    with_progress(status.into_response(), received, total)
}

async fn drain(stream: &mut BodyDataStream) {
    while let Some(Ok(_)) = stream.next().await {}
}

/// Header checks against the publish's progress; on success marks the publish busy.
fn prepare(
    inner: &Arc<Inner>,
    upload_id: &str,
    query: &str,
    headers: &HeaderMap,
) -> Result<Job, Response> {
    let form = parse_form(query.as_bytes()).unwrap_or_default();
    let mut st = inner.lock();
    let Some(p) = st.publishes.iter_mut().find(|p| p.upload_id == upload_id) else {
        return Err(upload_error(404, "No such upload task."));
    };
    if get(&form, "upload_token") != Some(p.upload_token.as_str()) {
        return Err(upload_error(403, "The upload_token is missing or wrong."));
    }
    if Instant::now() >= p.url_expires_at {
        return Err(upload_error(403, "The upload_url has expired."));
    }
    if headers.contains_key(header::TRANSFER_ENCODING) {
        return Err(upload_error(
            400,
            "Transfer-Encoding is not accepted: send Content-Length.",
        ));
    }
    let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    else {
        return Err(upload_error(400, "Content-Length is required."));
    };
    let media_type = content_type(headers).map(|(m, _)| m).unwrap_or_default();
    if !VIDEO_TYPES.contains(&media_type.as_str()) {
        return Err(upload_error(
            400,
            "Content-Type must be video/mp4, video/quicktime or video/webm.",
        ));
    }
    if p.content_type.as_ref().is_some_and(|t| *t != media_type) {
        return Err(upload_error(400, "Content-Type changed between chunks."));
    }
    let Some((first, last, total)) = headers
        .get(header::CONTENT_RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_content_range)
    else {
        return Err(upload_error(
            400,
            "Content-Range must be `bytes FIRST-LAST/TOTAL`.",
        ));
    };
    let mismatch = |p: &super::state::Publish, msg: &str| {
        with_progress(upload_error(416, msg), p.bytes_received, p.video_size)
    };
    if p.complete || first < p.bytes_received {
        return Err(mismatch(p, "This chunk is already stored."));
    }
    if p.in_flight {
        return Err(mismatch(p, "Another PUT of this upload is in progress."));
    }
    let index = p.chunks_received;
    let (want_first, want_last) = p.chunk_range(index);
    if (first, last, total) != (want_first, want_last, p.video_size) {
        return Err(mismatch(
            p,
            &format!(
                "Content-Range does not match progress: expected bytes {want_first}-{want_last}/{}.",
                p.video_size
            ),
        ));
    }
    if len != last - first + 1 {
        return Err(upload_error(
            400,
            "Content-Length does not match Content-Range.",
        ));
    }
    p.in_flight = true;
    Ok(Job {
        publish_id: p.publish_id.clone(),
        index,
        first,
        len,
        total: p.video_size,
        content_type: media_type,
        file: p.file.clone(),
        hasher: p.hasher.clone(),
        keep: inner.keep_uploads,
        _guard: InFlight {
            inner: inner.clone(),
            publish_id: p.publish_id.clone(),
        },
    })
}

/// `bytes FIRST-LAST/TOTAL` with plain decimal numbers and `FIRST <= LAST`.
fn parse_content_range(s: &str) -> Option<(u64, u64, u64)> {
    let (range, total) = s.strip_prefix("bytes ")?.split_once('/')?;
    let (a, b) = range.split_once('-')?;
    let num = |x: &str| {
        if x.is_empty() || !x.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        x.parse::<u64>().ok()
    };
    let (a, b, t) = (num(a)?, num(b)?, num(total)?);
    (a <= b).then_some((a, b, t))
}

/// Streams the body into the file at the chunk's offset, hashing as it goes (or, without
/// `keep_uploads`, only counts it). Nothing is committed here: a failed chunk leaves garbage
/// past the committed length, which the retry overwrites.
///
/// A blocking thread hashes and writes while this task receives the next frames: doing both
/// here stalled the receive for every write, and in benchmarks the fake, not the client, set
/// the pace (benchmarks push gigabytes through here).
async fn store(job: &Job, stream: &mut BodyDataStream) -> Result<Sha256, Response> {
    let io_err = |e: std::io::Error| upload_error(500, &format!("fake storage error: {e}"));
    let (tx, writer) = if job.keep {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Bytes>(64);
        let (path, first, mut hasher) = (job.file.clone(), job.first, job.hasher.clone());
        let writer = tokio::task::spawn_blocking(move || -> std::io::Result<Sha256> {
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .write(true)
                .truncate(false)
                .open(&path)?;
            file.seek(std::io::SeekFrom::Start(first))?;
            while let Some(data) = rx.blocking_recv() {
                hasher.update(&data);
                file.write_all(&data)?;
            }
            file.flush()?;
            Ok(hasher)
        });
        (Some(tx), Some(writer))
    } else {
        (None, None)
    };
    let mut n = 0u64;
    let mut failure = None;
    while let Some(frame) = stream.next().await {
        let Ok(data) = frame else {
            failure = Some("The body ended before Content-Length bytes.");
            break;
        };
        n += data.len() as u64;
        if n > job.len {
            failure = Some("The body is longer than Content-Length.");
            break;
        }
        if let Some(tx) = &tx
            && tx.send(data).await.is_err()
        {
            break; // the writer failed; its error is reported below
        }
    }
    drop(tx);
    let written = match writer {
        Some(writer) => Some(
            writer
                .await
                .map_err(|e| upload_error(500, &format!("fake storage error: {e}")))?,
        ),
        None => None,
    };
    if let Some(message) = failure {
        return Err(upload_error(400, message));
    }
    let hasher = match written {
        Some(result) => result.map_err(io_err)?,
        None => job.hasher.clone(),
    };
    if n != job.len {
        return Err(upload_error(
            400,
            "The body is shorter than Content-Length.",
        ));
    }
    Ok(hasher)
}

/// Records the stored chunk; after the last one, fixes the file's hash, applies a pending
/// `PublishFails` fault or the media check, and picks the post id. Returns `(received, total)`.
async fn commit(inner: &Inner, job: &Job, hasher: Sha256) -> Result<(u64, u64), Response> {
    let gone = || upload_error(404, "No such upload task.");
    let (received, max_duration) = {
        let mut st = inner.lock();
        let p = st.publish_mut(&job.publish_id).ok_or_else(gone)?;
        p.bytes_received = job.first + job.len;
        p.chunks_received += 1;
        p.hasher = hasher.clone();
        p.content_type = Some(job.content_type.clone());
        (p.bytes_received, p.max_duration_sec)
    };
    if received < job.total {
        return Ok((received, job.total));
    }
    let sha256 = inner.keep_uploads.then(|| hex::encode(hasher.finalize()));
    let injected = inner.lock().take_fault(|f| match f {
        Fault::PublishFails { reason } => Some(reason.clone()),
        _ => None,
    });
    let fail_reason = match injected {
        Some(reason) => Some(reason),
        None if inner.check_media && inner.keep_uploads => {
            media::check(&job.file, job.total, max_duration)
                .await
                .err()
                .map(str::to_string)
        }
        None => None,
    };
    let mut st = inner.lock();
    let p = st.publish_mut(&job.publish_id).ok_or_else(gone)?;
    p.complete = true;
    p.sha256 = sha256;
    if p.mode == PublishMode::Direct && p.public && fail_reason.is_none() {
        p.post_id =
            Some(rand::rng().random_range(7_000_000_000_000_000_000..7_500_000_000_000_000_000));
    }
    p.fail_reason = fail_reason;
    Ok((received, job.total))
}
