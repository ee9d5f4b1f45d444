//! TikTok's Content Posting calls: the chunk plan, `video/init` and `inbox/video/init`, the
//! chunked PUT streamed from disk, `status/fetch`, and the per-token rate limits TikTok enforces
//! (init 6/min, creator_info 20/min, status 30/min), kept on our side so postez never earns a 429.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::TikTokOptions;
use super::codes;
use super::{PLATFORM, TikTok};
use crate::error::{Error, Result};
use crate::media::Verified;
use crate::post::Mode;
use crate::provider::body::chunk_body;
use crate::provider::{ChunkPlan, NetworkError, PutOutcome, net};
use crate::secrets::Secret;

/// Files up to this size go in one chunk (TikTok: "≤ 64 MB", read as the smaller 64,000,000).
pub const SINGLE_CHUNK_MAX: u64 = 64_000_000;
/// Chunk size for larger files: TikTok's own example, valid under both readings of "MB"
/// (5 MiB ≤ C ≤ 64,000,000), and small enough that the last chunk (< 2C) stays under 128 MB.
pub const CHUNK_SIZE: u64 = 10_000_000;

/// TikTok's plan for a file of `size` bytes (shared/tiktok-api.md §2.4): one chunk up to
/// [`SINGLE_CHUNK_MAX`], else `floor(size / CHUNK_SIZE)` chunks, the last absorbing the rest.
pub fn plan(size: u64) -> ChunkPlan {
    if size <= SINGLE_CHUNK_MAX {
        ChunkPlan {
            size,
            chunk_size: size,
            count: 1,
        }
    } else {
        ChunkPlan {
            size,
            chunk_size: CHUNK_SIZE,
            count: size / CHUNK_SIZE,
        }
    }
}

/// What `init` returned.
#[derive(Debug, Clone)]
pub struct InitOutcome {
    /// TikTok's id for this publish.
    pub publish_id: String,
    /// Where to PUT the chunks (valid for one hour; it carries a signature: never log it).
    pub upload_url: Secret,
}

/// `status/fetch`'s answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostStatus {
    /// `PROCESSING_UPLOAD`, `PUBLISH_COMPLETE`, `SEND_TO_USER_INBOX`, `FAILED`, …
    pub status: String,
    /// Set with `FAILED`.
    pub fail_reason: Option<String>,
    /// Public post ids (often empty until moderation passes, and for private posts).
    pub post_ids: Vec<String>,
    /// Bytes TikTok has received.
    pub uploaded_bytes: Option<u64>,
}

/// Sliding one-window counters per (access token, endpoint).
#[derive(Debug)]
pub struct RateLimits {
    window: Duration,
    calls: std::sync::Mutex<HashMap<(String, &'static str), VecDeque<Instant>>>,
}

impl RateLimits {
    /// Limits counted over `window` (TikTok: one minute).
    pub fn new(window: Duration) -> Self {
        Self {
            window,
            calls: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// Wait until one more call of `endpoint` with `token` stays within `per_window`.
    pub async fn wait(&self, token: &Secret, endpoint: &'static str, per_window: usize) {
        // Key by a hash: the limiter must not become another place holding tokens.
        let key = (
            hex::encode(&Sha256::digest(token.expose().as_bytes())[..8]),
            endpoint,
        );
        loop {
            let pause = {
                let mut calls = self.calls.lock().unwrap_or_else(|e| e.into_inner());
                let now = Instant::now();
                let q = calls.entry(key.clone()).or_default();
                while q
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= self.window)
                {
                    q.pop_front();
                }
                if q.len() < per_window {
                    q.push_back(now);
                    None
                } else {
                    q.front()
                        .map(|t| self.window.saturating_sub(now.duration_since(*t)))
                }
            };
            match pause {
                None => return,
                Some(d) => {
                    tracing::info!(
                        endpoint,
                        wait_ms = d.as_millis() as u64,
                        "pausing for TikTok's rate limit"
                    );
                    tokio::time::sleep(d + Duration::from_millis(10)).await;
                }
            }
        }
    }
}

#[derive(Deserialize)]
struct InitData {
    publish_id: String,
    #[serde(default)]
    upload_url: Option<String>,
}

#[derive(Deserialize)]
struct StatusData {
    status: String,
    #[serde(default)]
    fail_reason: Option<String>,
    // Misspelt in TikTok's API; numbers or strings.
    #[serde(default)]
    publicaly_available_post_id: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    uploaded_bytes: Option<u64>,
}

/// Parse `bytes 0-N/T` (or `bytes */T`) into the number of bytes held.
fn parse_progress(header: Option<&str>) -> Option<u64> {
    let rest = header?.trim().strip_prefix("bytes ")?;
    let (range, _total) = rest.split_once('/')?;
    if range == "*" {
        return Some(0);
    }
    let (_, last) = range.split_once('-')?;
    last.trim().parse::<u64>().ok().map(|l| l + 1)
}

impl TikTok {
    /// Start a publish: `video/init` (direct) or `inbox/video/init` (draft).
    pub async fn init(
        &self,
        access: &Secret,
        options: &TikTokOptions,
        caption: &str,
        plan: ChunkPlan,
    ) -> Result<InitOutcome> {
        self.limits.wait(access, "init", 6).await;
        let source_info = serde_json::json!({
            "source": "FILE_UPLOAD",
            "video_size": plan.size,
            "chunk_size": plan.chunk_size,
            "total_chunk_count": plan.count,
        });
        let (path, body) = match options.mode {
            Mode::Draft => (
                "/v2/post/publish/inbox/video/init/",
                serde_json::json!({ "source_info": source_info }),
            ),
            Mode::Direct => {
                let mut post_info = serde_json::json!({
                    "title": caption,
                    "privacy_level": options.privacy.map(|p| p.as_str()),
                    "disable_comment": !options.allow_comments,
                    "disable_duet": !options.allow_duet,
                    "disable_stitch": !options.allow_stitch,
                    "brand_content_toggle": options.branded_content,
                    "brand_organic_toggle": options.brand_organic,
                    "is_aigc": options.ai_generated,
                });
                if let Some(ms) = options.cover_at_ms {
                    post_info["video_cover_timestamp_ms"] = ms.into();
                }
                (
                    "/v2/post/publish/video/init/",
                    serde_json::json!({ "post_info": post_info, "source_info": source_info }),
                )
            }
        };
        // The chunk plan is logged: multi-chunk inits are where TikTok has refused plans.
        tracing::debug!(
            path,
            size = plan.size,
            chunk = plan.chunk_size,
            count = plan.count,
            "init"
        );
        let request = self
            .http
            .post(format!("{}{path}", self.api))
            .bearer_auth(access.expose())
            .header("Content-Type", "application/json; charset=UTF-8")
            .body(body.to_string());
        let data: InitData = self.envelope("start the upload", request).await?;
        let upload_url = data.upload_url.filter(|u| !u.is_empty()).ok_or_else(|| {
            codes::refusal(
                "start the upload",
                200,
                "invalid_response".into(),
                "no upload URL in the answer".into(),
                None,
            )
        })?;
        // Refused before it is saved or used: the video goes only to TikTok's upload hosts.
        self.upload_hosts.check(&upload_url)?;
        Ok(InitOutcome {
            publish_id: data.publish_id,
            upload_url: Secret::new(upload_url),
        })
    }

    /// PUT chunk `index` of `video`, streamed from its verified handle; `sent` is told every
    /// piece's size. A file written to during the upload is [`MediaError::Changed`], and the
    /// chunk is cut short so TikTok cannot complete (and publish) it.
    pub async fn put_chunk(
        &self,
        upload_url: &Secret,
        video: &Arc<Verified>,
        mime: &'static str,
        plan: ChunkPlan,
        index: u64,
        sent: Arc<dyn Fn(u64) + Send + Sync>,
    ) -> Result<PutOutcome> {
        let action = "upload the video";
        let (first, last) = plan.range(index);
        let len = last + 1 - first;
        // Checked again here, before any byte: a saved address may predate the check.
        self.upload_hosts.check(upload_url.expose())?;
        let last_chunk = index + 1 >= plan.count;
        let (body, changed) = chunk_body(video, first, len, last_chunk, sent);
        // An explicit Content-Length keeps hyper from sending `Transfer-Encoding: chunked`,
        // which TikTok's upload refuses.
        let response = self
            .http
            .put(upload_url.expose())
            .header("Content-Type", mime)
            .header("Content-Length", len)
            .header(
                "Content-Range",
                format!("bytes {first}-{last}/{}", plan.size),
            )
            .timeout(Duration::from_secs(60 + len / 100_000))
            .body(body)
            .send()
            .await
            .map_err(|e| match changed.take() {
                Some(changed) => Error::Media(changed),
                None => NetworkError::from_reqwest(PLATFORM, action, &e).into(),
            })?;
        net::refuse_redirect(PLATFORM, &response)?;
        let http = response.status().as_u16();
        let progress = parse_progress(
            response
                .headers()
                .get("Content-Range")
                .and_then(|v| v.to_str().ok()),
        );
        match http {
            201 => Ok(PutOutcome::Complete),
            206 => Ok(PutOutcome::Stored),
            416 => match progress {
                Some(have) => Ok(PutOutcome::AlreadyHave(have)),
                None => Err(api_error(
                    action,
                    http,
                    "range_not_satisfiable",
                    "TikTok refused the chunk's byte range",
                )),
            },
            403 => Err(api_error(
                action,
                http,
                "upload_url_expired",
                "the upload address has expired",
            )),
            404 => Err(api_error(
                action,
                http,
                "upload_not_found",
                "TikTok does not know this upload",
            )),
            _ => Err(api_error(
                action,
                http,
                &format!("http_{http}"),
                "TikTok refused the chunk",
            )),
        }
    }

    /// Where a publish stands.
    pub async fn status(&self, access: &Secret, publish_id: &str) -> Result<PostStatus> {
        self.limits.wait(access, "status", 30).await;
        let request = self
            .http
            .post(format!("{}/v2/post/publish/status/fetch/", self.api))
            .bearer_auth(access.expose())
            .header("Content-Type", "application/json; charset=UTF-8")
            .body(serde_json::json!({ "publish_id": publish_id }).to_string());
        let data: StatusData = self
            .envelope(crate::provider::STATUS_ACTION, request)
            .await?;
        Ok(PostStatus {
            status: data.status,
            fail_reason: data.fail_reason.filter(|r| !r.is_empty()),
            post_ids: data
                .publicaly_available_post_id
                .unwrap_or_default()
                .into_iter()
                .filter_map(|v| match v {
                    serde_json::Value::Number(n) => Some(n.to_string()),
                    serde_json::Value::String(s) if !s.is_empty() => Some(s),
                    _ => None,
                })
                .collect(),
            uploaded_bytes: data.uploaded_bytes,
        })
    }
}

fn api_error(action: &'static str, http: u16, code: &str, message: &str) -> Error {
    codes::refusal(action, http, code.into(), message.into(), None).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_plans_follow_tiktok_rules() {
        let small = plan(1_000_000);
        assert_eq!((small.chunk_size, small.count), (1_000_000, 1));
        let edge = plan(64_000_000);
        assert_eq!(edge.count, 1);
        // TikTok's worked example shape: the last chunk absorbs the rest.
        let big = plan(70_000_123);
        assert_eq!((big.chunk_size, big.count), (10_000_000, 7));
        assert_eq!(big.range(0), (0, 9_999_999));
        assert_eq!(big.range(6), (60_000_000, 70_000_122));
        for size in [64_000_001u64, 99_999_999, 1 << 30, 4_000_000_000] {
            let p = plan(size);
            assert_eq!(p.count, size / p.chunk_size);
            assert!((2..=1000).contains(&p.count));
            let (first, last) = p.range(p.count - 1);
            assert!(last + 1 - first <= 128_000_000);
            assert_eq!(last + 1, size);
            assert!(p.chunk_size >= 5 * 1024 * 1024 && p.chunk_size <= 64_000_000);
        }
    }

    #[test]
    fn progress_headers() {
        assert_eq!(
            parse_progress(Some("bytes 0-9999999/70000000")),
            Some(10_000_000)
        );
        assert_eq!(parse_progress(Some("bytes */70000000")), Some(0));
        assert_eq!(parse_progress(Some("junk")), None);
        assert_eq!(parse_progress(None), None);
    }

    #[tokio::test]
    async fn rate_limits_wait_for_the_window() {
        let limits = RateLimits::new(Duration::from_millis(200));
        let token = Secret::new("t");
        let start = Instant::now();
        for _ in 0..3 {
            limits.wait(&token, "init", 2).await;
        }
        assert!(start.elapsed() >= Duration::from_millis(150));
        // Another token has its own budget.
        let other = Instant::now();
        limits.wait(&Secret::new("u"), "init", 2).await;
        assert!(other.elapsed() < Duration::from_millis(100));
    }
}
