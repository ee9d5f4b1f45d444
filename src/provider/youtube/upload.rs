//! YouTube's resumable upload (§2): the chunk plan, the session's initiation, the chunk PUT
//! streamed from disk, and the `bytes */TOTAL` status query, all read into one
//! [`SessionAnswer`]. What this process learns about a session (the bytes YouTube holds, the
//! video id) is kept on the provider by session key, so a chunk is only ever sent from the
//! byte YouTube said it expects (§2.3: "do not assume that the server received all (or none)
//! of the bytes"; a gap or an overlap kills the session).

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use super::codes::{self, SESSION_GONE, SESSION_GONE_AFTER_END};
use super::{PLATFORM, VideoMeta, YouTube, session_key};
use crate::error::{Error, Result};
use crate::media::Verified;
use crate::provider::body::chunk_body;
use crate::provider::{ChunkPlan, NetworkError, PutOutcome, SentBytes, net};
use crate::secrets::Secret;

/// The unit of every chunk but the last (§2.2: 262,144 bytes).
pub const GRANULE: u64 = 256 * 1024;
/// The chunk size: 8 MiB = 32 × 256 KiB. Google discourages chunking (§2.2) but postez needs
/// it: progress is saved per chunk, so a crash re-sends at most one chunk, and memory stays flat.
/// 8 MiB keeps that loss small on a slow uplink (about a minute at 1 Mbit/s) while costing one
/// round trip per 8 MiB, under 1 % on any link where a round trip is below 80 ms per 8 MiB;
/// Google's own clients use 16 MiB (Go) to 100 MiB (Python), porjo 16 MiB (§2.2).
pub const CHUNK_SIZE: u64 = 32 * GRANULE;

/// YouTube's plan for a file of `size` bytes: chunks of [`CHUNK_SIZE`], the last one shorter
/// (it alone may be any size, §2.2).
pub fn plan(size: u64) -> ChunkPlan {
    ChunkPlan {
        size,
        chunk_size: CHUNK_SIZE,
        count: size.div_ceil(CHUNK_SIZE).max(1),
    }
}

/// The parts of a video resource postez reads (§4).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Video {
    /// The video id.
    #[serde(default)]
    pub id: String,
    /// `status` (uploadStatus, failureReason, rejectionReason, privacyStatus).
    #[serde(default)]
    pub status: Option<VideoStatus>,
    /// `processingDetails` (owner only).
    #[serde(default)]
    pub processing_details: Option<ProcessingDetails>,
    /// `fileDetails` (owner only; fileSize).
    #[serde(default)]
    pub file_details: Option<FileDetails>,
}

/// `status` of a video.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VideoStatus {
    /// `uploaded`, `processed`, `failed`, `rejected`, `deleted`.
    #[serde(default)]
    pub upload_status: Option<String>,
    /// With `failed`.
    #[serde(default)]
    pub failure_reason: Option<String>,
    /// With `rejected`.
    #[serde(default)]
    pub rejection_reason: Option<String>,
    /// `public`, `unlisted`, `private`.
    #[serde(default)]
    pub privacy_status: Option<String>,
    /// When YouTube makes a private video public (RFC 3339; §8).
    #[serde(default)]
    pub publish_at: Option<String>,
}

/// `processingDetails` of a video.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessingDetails {
    /// `processing`, `succeeded`, `failed`, `terminated`.
    #[serde(default)]
    pub processing_status: Option<String>,
    /// With `failed`.
    #[serde(default)]
    pub processing_failure_reason: Option<String>,
}

/// `snippet` of a video or playlist item.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Snippet {
    /// Title.
    #[serde(default)]
    pub title: Option<String>,
    /// When it was uploaded (RFC 3339).
    #[serde(default)]
    pub published_at: Option<String>,
}

/// `fileDetails` of a video.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileDetails {
    /// Bytes uploaded: a string in Google's JSON (uint64), a number in some copies.
    #[serde(default)]
    pub file_size: Option<serde_json::Value>,
}

impl FileDetails {
    /// The size, whichever way it was written.
    pub fn size(&self) -> Option<u64> {
        match self.file_size.as_ref()? {
            serde_json::Value::String(s) => s.parse().ok(),
            serde_json::Value::Number(n) => n.as_u64(),
            _ => None,
        }
    }
}

/// What an upload session said to a chunk or a status query (§2.3).
#[derive(Debug, Clone)]
// One answer at a time, read and matched at once: boxing the video would buy nothing.
#[allow(clippy::large_enum_variant)]
pub(super) enum SessionAnswer {
    /// 200/201: every byte is in; the video resource, when the answer could be read.
    Complete(Option<Video>),
    /// 308: YouTube holds this many bytes (0 when the answer has no `Range`).
    Stored(u64),
    /// 404 (or 410): YouTube no longer knows the session.
    Gone(u16),
}

/// `Range: bytes=0-N` of a 308 as the number of bytes held (N + 1); `None` without a usable
/// header ("if nothing has been uploaded yet, the API response will not include the Range
/// header", §2.3).
pub(super) fn parse_range(header: Option<&str>) -> Option<u64> {
    let rest = header?.trim().strip_prefix("bytes=")?;
    let (first, last) = rest.split_once('-')?;
    if first.trim() != "0" {
        return None;
    }
    last.trim().parse::<u64>().ok()?.checked_add(1)
}

/// The action named in errors of a chunk.
const UPLOAD_ACTION: &str = "upload the video";
/// The action named in errors of the session's initiation.
const INIT_ACTION: &str = "start the upload";

impl YouTube {
    /// Initiate a resumable session for a video of `size` bytes of type `mime` (§2.1) and return
    /// its URI, checked to be on YouTube's upload hosts before it is saved or used.
    pub async fn initiate(
        &self,
        access: &Secret,
        meta: &VideoMeta,
        size: u64,
        mime: &str,
    ) -> Result<Secret> {
        let request = self
            .http
            .post(self.api_url("/upload/youtube/v3/videos"))
            .query(&[
                ("uploadType", "resumable"),
                ("part", "snippet,status"),
                (
                    "notifySubscribers",
                    if meta.notify_subscribers {
                        "true"
                    } else {
                        "false"
                    },
                ),
            ])
            .bearer_auth(access.expose())
            .header("Content-Type", "application/json; charset=UTF-8")
            .header("X-Upload-Content-Length", size)
            .header("X-Upload-Content-Type", mime)
            .body(meta.insert_body().to_string());
        let response = request
            .send()
            .await
            .map_err(|e| NetworkError::from_reqwest(PLATFORM, INIT_ACTION, &e))?;
        net::refuse_redirect(PLATFORM, &response)?;
        let http = response.status().as_u16();
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|l| response.url().join(l).ok())
            .map(String::from);
        let body = net::read_capped(PLATFORM, INIT_ACTION, response, net::JSON_LIMIT).await?;
        if !(200..300).contains(&http) {
            return Err(codes::from_body(INIT_ACTION, http, &body).into());
        }
        let Some(uri) = location else {
            return Err(codes::refusal(
                INIT_ACTION,
                http,
                codes::INVALID_RESPONSE,
                "the answer named no upload session (no Location)",
            )
            .into());
        };
        self.upload_hosts.check(&uri)?;
        let uri = Secret::new(uri);
        // A new session holds nothing: its first chunk starts at byte 0.
        self.remember(&session_key(uri.expose()), |m| m.offset = Some(0));
        Ok(uri)
    }

    /// Ask a session where it stands (`Content-Range: bytes */TOTAL`, §2.3), remembering what it
    /// said.
    pub(super) async fn ask(
        &self,
        access: &Secret,
        session: &Secret,
        total: u64,
        action: &'static str,
    ) -> Result<SessionAnswer> {
        self.upload_hosts.check(session.expose())?;
        let request = self
            .http
            .put(session.expose())
            .bearer_auth(access.expose())
            .header("Content-Length", 0)
            .header("Content-Range", format!("bytes */{total}"));
        let key = session_key(session.expose());
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => return Err(NetworkError::from_reqwest(PLATFORM, action, &e).into()),
        };
        self.read_answer(&key, action, response).await
    }

    /// Send chunk `index` of `plan` to the session, from the byte YouTube expects: when this
    /// process does not know that byte (a new process, or an exchange whose answer was lost), it
    /// asks first (§2.4: "always query status before resending bytes").
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn send_chunk(
        &self,
        access: &Secret,
        session: &Secret,
        video: &Arc<Verified>,
        mime: &'static str,
        plan: ChunkPlan,
        index: u64,
        sent: SentBytes,
    ) -> Result<PutOutcome> {
        // Checked again before any byte: a saved address may predate the check.
        self.upload_hosts.check(session.expose())?;
        let key = session_key(session.expose());
        let (first, last) = plan.range(index);
        let held = match self.memo(&key).offset {
            Some(held) => held,
            None => match self.ask(access, session, plan.size, UPLOAD_ACTION).await? {
                SessionAnswer::Complete(_) => return Ok(PutOutcome::Complete),
                SessionAnswer::Stored(held) => held,
                SessionAnswer::Gone(http) => return Err(self.gone(&key, http)),
            },
        };
        // YouTube holds a different prefix than this chunk continues: say so, and the engine
        // moves to the chunk that holds byte `held` (sending from `first` would leave a gap or
        // an overlap, which kills the session).
        if held >= plan.size || held < first || held > last {
            return Ok(PutOutcome::AlreadyHave(held.min(plan.size)));
        }
        let last_chunk = index + 1 >= plan.count;
        // Forget the offset until YouTube answers: if the answer is lost, the next chunk asks.
        self.remember(&key, |m| m.offset = None);
        let len = last + 1 - held;
        let (body, changed) = chunk_body(video, held, len, last_chunk, sent);
        // An explicit Content-Length: chunked transfer encoding is UNVERIFIED at YouTube (§2.2).
        // No fixed whole-request timeout fits every link (§2.6): allow 100 kB/s and a minute.
        let response = self
            .http
            .put(session.expose())
            .bearer_auth(access.expose())
            .header("Content-Type", mime)
            .header("Content-Length", len)
            .header(
                "Content-Range",
                format!("bytes {held}-{last}/{}", plan.size),
            )
            .timeout(Duration::from_secs(60 + len / 100_000))
            .body(body)
            .send()
            .await
            .map_err(|e| match changed.take() {
                Some(changed) => Error::Media(changed),
                None => NetworkError::from_reqwest(PLATFORM, UPLOAD_ACTION, &e).into(),
            });
        let answer = match response {
            Ok(response) => self.read_answer(&key, UPLOAD_ACTION, response).await,
            Err(e) => Err(e),
        };
        // The last byte left and no usable answer came back: the video may exist now (§2.5).
        if last_chunk && answer.is_err() {
            self.remember(&key, |m| m.final_sent = true);
        }
        match answer? {
            SessionAnswer::Complete(_) => Ok(PutOutcome::Complete),
            SessionAnswer::Stored(n) if n == last + 1 => Ok(PutOutcome::Stored),
            // Less (or more) than the chunk: the engine continues from what YouTube holds.
            SessionAnswer::Stored(n) => Ok(PutOutcome::AlreadyHave(n)),
            SessionAnswer::Gone(http) => Err(self.gone(&key, http)),
        }
    }

    /// A session YouTube no longer knows, for the engine: [`ErrorClass::UploadGone`] (start a
    /// new upload now) when this process never sent it the file's last byte, so the upload
    /// cannot have completed; else a temporary error, and the next attempt's status check reads
    /// the channel's uploads before anything is uploaded again (§2.5).
    ///
    /// [`ErrorClass::UploadGone`]: crate::provider::ErrorClass::UploadGone
    fn gone(&self, key: &str, http: u16) -> Error {
        if self.memo(key).final_sent {
            return codes::refusal(
                UPLOAD_ACTION,
                http,
                SESSION_GONE_AFTER_END,
                "YouTube no longer knows this upload session, and its last reply was lost",
            )
            .into();
        }
        codes::refusal(
            UPLOAD_ACTION,
            http,
            SESSION_GONE,
            "YouTube no longer knows this upload session (it expired)",
        )
        .into()
    }

    /// Read a session's answer (to a chunk or a query) and remember what it says.
    async fn read_answer(
        &self,
        key: &str,
        action: &'static str,
        response: reqwest::Response,
    ) -> Result<SessionAnswer> {
        let http = response.status().as_u16();
        // 308 is the protocol's "resume incomplete" (§2.3), never a redirect to follow (§2.6);
        // any other 3xx is refused.
        if http != 308 {
            net::refuse_redirect(PLATFORM, &response)?;
        }
        let range = parse_range(
            response
                .headers()
                .get(reqwest::header::RANGE)
                .and_then(|v| v.to_str().ok()),
        );
        let body = net::read_capped(PLATFORM, action, response, net::JSON_LIMIT).await?;
        match http {
            308 => {
                let held = range.unwrap_or(0);
                self.remember(key, |m| m.offset = Some(held));
                Ok(SessionAnswer::Stored(held))
            }
            200 | 201 => {
                // Every byte is in whatever the body says; an unreadable body only loses the id,
                // which the next query asks again (§2.3: the same response again).
                let video: Option<Video> = serde_json::from_slice::<Video>(&body)
                    .ok()
                    .filter(|v| !v.id.is_empty());
                let id = video.as_ref().map(|v| v.id.clone());
                self.remember(key, |m| {
                    m.offset = None;
                    if id.is_some() {
                        m.video_id = id;
                    }
                });
                Ok(SessionAnswer::Complete(video))
            }
            404 | 410 => {
                self.remember(key, |m| m.offset = None);
                Ok(SessionAnswer::Gone(http))
            }
            _ => Err(codes::from_body(action, http, &body).into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_multiples_of_256_kib_but_the_last() {
        assert_eq!(CHUNK_SIZE % GRANULE, 0);
        assert_eq!(CHUNK_SIZE, 8 * 1024 * 1024);
        let small = plan(2_000);
        assert_eq!((small.count, small.range(0)), (1, (0, 1_999)));
        let exact = plan(2 * CHUNK_SIZE);
        assert_eq!(exact.count, 2);
        assert_eq!(exact.range(1), (CHUNK_SIZE, 2 * CHUNK_SIZE - 1));
        let forty = plan(40_000_000);
        assert_eq!(forty.count, 5);
        for i in 0..forty.count - 1 {
            let (first, last) = forty.range(i);
            assert_eq!((last + 1 - first) % GRANULE, 0, "chunk {i}");
        }
        assert_eq!(forty.range(4), (4 * CHUNK_SIZE, 39_999_999));
        assert_eq!(plan(1).count, 1);
    }

    #[test]
    fn ranges_say_how_many_bytes_are_held() {
        assert_eq!(parse_range(Some("bytes=0-524287")), Some(524_288));
        assert_eq!(parse_range(Some("bytes=0-0")), Some(1));
        assert_eq!(parse_range(Some("bytes=5-9")), None);
        assert_eq!(parse_range(Some("bytes 0-9/10")), None);
        assert_eq!(parse_range(Some("bytes=0-18446744073709551615")), None);
        assert_eq!(parse_range(None), None);
    }

    #[test]
    fn file_sizes_are_read_as_strings_or_numbers() {
        let d: FileDetails = serde_json::from_str(r#"{"fileSize":"123"}"#).unwrap();
        assert_eq!(d.size(), Some(123));
        let d: FileDetails = serde_json::from_str(r#"{"fileSize":123}"#).unwrap();
        assert_eq!(d.size(), Some(123));
    }
}
