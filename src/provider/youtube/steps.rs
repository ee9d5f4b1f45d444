//! YouTube behind the provider seam: the metadata checked before an insert is spent, the
//! resumable session as the checkpoint, chunks sent from the byte YouTube expects, and the
//! status of a saved upload read in the order §2.5 demands: the session first (a complete one
//! answers with the video again), then `videos.list` for processing (§4); a session YouTube
//! no longer knows is reported [`RemoteState::Unknown`] (which lets the engine start a new
//! upload) only once the channel's uploads show no video it could have become.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::codes::{self, INVALID_RESPONSE};
use super::creator::YouTubeCreator;
use super::upload::{SessionAnswer, Video};
use super::{UPLOAD_SCOPE, VideoMeta, YouTube, session_key};
use crate::error::{Error, Result};
use crate::media::Verified;
use crate::post::{Post, PostId, PostOptions};
use crate::provider::{
    ApiError, Checkpoint, ChunkPlan, Creator, ErrorClass, Failure, Notice, Platform, Prepared,
    Provider, PutOutcome, RemoteState, STATUS_ACTION, SentBytes, Verdict,
};
use crate::secrets::Secret;
use crate::store::Account;

/// How many of the channel's latest uploads the §2.5 check reads (one page, 1 unit).
const UPLOADS_CHECKED: u32 = 50;

#[async_trait::async_trait]
impl Provider for YouTube {
    fn platform(&self) -> Platform {
        super::SEAM_PLATFORM
    }

    /// Nothing to ask YouTube before an upload (it has no per-account posting options), so no
    /// unit is spent: the post's metadata is checked here instead, since an insert YouTube
    /// refuses still spends one of the day's 100 (§2.1, §5.1).
    async fn prepare(&self, _token: &Secret, _account: &Account, post: &Post) -> Result<Prepared> {
        let verdict = match VideoMeta::from_post(post, &post.options).and_then(|m| m.validate()) {
            Ok(()) => Verdict::Go {
                options: post.options.clone(),
                adjusted: None,
                creator: None,
            },
            Err(e) => Verdict::Refused {
                code: "invalidVideoMetadata".into(),
                message: e.to_string(),
                hint: e
                    .hint()
                    .map(|h| format!("{h}, with `postez edit {}`", post.id))
                    .unwrap_or_else(|| format!("fix it with `postez edit {}`", post.id)),
            },
        };
        Ok(Prepared {
            account_info: None,
            verdict,
        })
    }

    /// The channel (1 unit): YouTube has no per-account posting options to ask about.
    async fn creator(&self, token: &Secret) -> Result<Arc<dyn Creator>> {
        let channel = self
            .channel(token, "read the channel")
            .await?
            .ok_or_else(|| {
                Error::Api(codes::refusal(
                    "read the channel",
                    200,
                    "youtubeSignupRequired",
                    "this Google account has no YouTube channel",
                ))
            })?;
        Ok(Arc::new(YouTubeCreator { channel }))
    }

    fn plan(&self, size: u64) -> ChunkPlan {
        super::upload::plan(size)
    }

    /// Initiate the session. The checkpoint's id is a digest of the session URI (the URI itself
    /// is a write capability, kept only in `upload_url`); no expiry: YouTube gives none (§2.4),
    /// and an expired session answers 404, which [`Provider::status`] reads.
    async fn begin(
        &self,
        token: &Secret,
        post: &Post,
        options: &PostOptions,
        plan: ChunkPlan,
    ) -> Result<Checkpoint> {
        let meta = VideoMeta::from_post(post, options)?;
        meta.validate()?;
        let session = self
            .initiate(token, &meta, plan.size, post.media.container.mime())
            .await?;
        Ok(Checkpoint {
            id: session_key(session.expose()),
            upload_url: session.expose().to_string(),
            expires_at: None,
            chunk_size: plan.chunk_size,
        })
    }

    /// A session has no known lifetime (§2.4): it is resumable while the plan is the same, and
    /// [`Provider::status`] has already asked YouTube before the engine gets here.
    fn resumable(&self, checkpoint: &Checkpoint, plan: ChunkPlan, _now: DateTime<Utc>) -> bool {
        checkpoint.chunk_size == plan.chunk_size && !checkpoint.upload_url.is_empty()
    }

    async fn upload(
        &self,
        token: &Secret,
        checkpoint: &Checkpoint,
        video: &Arc<Verified>,
        mime: &'static str,
        plan: ChunkPlan,
        index: u64,
        sent: SentBytes,
    ) -> Result<PutOutcome> {
        let session = Secret::new(checkpoint.upload_url.clone());
        self.send_chunk(token, &session, video, mime, plan, index, sent)
            .await
    }

    async fn status(
        &self,
        token: &Secret,
        post: &Post,
        checkpoint: &Checkpoint,
    ) -> Result<RemoteState> {
        let total = post.fingerprint.size;
        // A video held until its time (an upload ahead) was recorded with its id: only its
        // status is asked (its session may have expired long since).
        let known = self
            .memo(&checkpoint.id)
            .video_id
            .or_else(|| post.post_id.clone());
        let id = match known {
            Some(id) => id,
            None => {
                let session = Secret::new(checkpoint.upload_url.clone());
                match self.ask(token, &session, total, STATUS_ACTION).await? {
                    SessionAnswer::Stored(held) => {
                        return Ok(RemoteState::Working {
                            received: Some(held),
                        });
                    }
                    SessionAnswer::Complete(Some(video)) => video.id,
                    // Complete, but the answer's id could not be read: every byte is in, so
                    // the engine polls and the next question may read it.
                    SessionAnswer::Complete(None) => {
                        return Ok(RemoteState::Working {
                            received: Some(total),
                        });
                    }
                    SessionAnswer::Gone(http) => match self.find_upload(token, post).await? {
                        Some(id) => {
                            tracing::info!(
                                post = post.id,
                                "the upload session is gone, but the channel has the video"
                            );
                            self.remember(&checkpoint.id, |m| m.video_id = Some(id.clone()));
                            id
                        }
                        None => {
                            return Ok(RemoteState::Unknown(format!(
                                "YouTube no longer knows the upload session (HTTP {http}), and \
                                 none of the channel's latest uploads is this video"
                            )));
                        }
                    },
                }
            }
        };
        let video = self.video(token, &id).await?;
        Ok(remote_state(post, &id, video.as_ref()))
    }

    fn known_post_id(&self, checkpoint: &Checkpoint) -> Option<String> {
        self.memo(&checkpoint.id).video_id
    }

    fn quota_ends(&self, code: &str, now: DateTime<Utc>) -> DateTime<Utc> {
        codes::quota_ends(code, now)
    }

    fn direct_scope(&self) -> Option<&'static str> {
        Some(UPLOAD_SCOPE)
    }

    fn direct_refused(&self, account: &str, post: PostId, error: Option<&ApiError>) -> Failure {
        let message = match error {
            Some(api) => format!("{api}: the YouTube account {account} cannot upload videos"),
            None => format!(
                "the YouTube account {account} cannot upload videos: its login did not grant \
                 youtube.upload"
            ),
        };
        Failure {
            code: error
                .map_or("insufficientPermissions", |a| a.code.as_str())
                .to_string(),
            message,
            hint: Some(format!(
                "run `postez connect youtube` again and leave \"Manage your YouTube videos\" \
                 ticked, then `postez retry {post}`"
            )),
            class: ErrorClass::Scope,
        }
    }

    async fn reschedule(&self, token: &Secret, post_id: &str, at: DateTime<Utc>) -> Result<()> {
        self.set_publish_at(token, post_id, at).await
    }

    async fn remove(&self, token: &Secret, post_id: &str) -> Result<()> {
        self.delete_video(token, post_id).await
    }
}

#[derive(Deserialize)]
struct List<T> {
    #[serde(default = "Vec::new")]
    items: Vec<T>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PlaylistItem {
    #[serde(default)]
    snippet: Option<super::upload::Snippet>,
    #[serde(default)]
    content_details: Option<ItemDetails>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ItemDetails {
    #[serde(default)]
    video_id: Option<String>,
}

impl YouTube {
    /// `videos.list` of one id with `status` and `processingDetails` (1 unit, §4); `None` when
    /// YouTube lists nothing (200 with `items: []` for rejected, deleted or unknown ids).
    async fn video(&self, token: &Secret, id: &str) -> Result<Option<Video>> {
        let request = self
            .http
            .get(self.api_url("/youtube/v3/videos"))
            .query(&[("part", "status,processingDetails"), ("id", id)])
            .bearer_auth(token.expose());
        let list: List<Video> = self.json(STATUS_ACTION, request).await?;
        Ok(list.items.into_iter().find(|v| v.id == id))
    }

    /// §2.5's check before a dead session may be replaced: a video among the channel's latest
    /// uploads with this post's title and exactly its size, uploaded after the post was queued
    /// (give or take an hour of clock skew), is this post's (its last reply was lost).
    /// `Ok(None)` only when the uploads were read and hold no candidate; when a candidate cannot
    /// be told apart (no file details), the answer is an error, so the engine leaves the post
    /// for the next run instead of uploading twice.
    async fn find_upload(&self, token: &Secret, post: &Post) -> Result<Option<String>> {
        let channel = self.channel(token, STATUS_ACTION).await?.ok_or_else(|| {
            Error::Api(codes::refusal(
                STATUS_ACTION,
                200,
                "channelNotFound",
                "the login names no YouTube channel, so its uploads cannot be checked",
            ))
        })?;
        let Some(playlist) = channel.uploads_playlist() else {
            return Err(codes::refusal(
                STATUS_ACTION,
                200,
                INVALID_RESPONSE,
                "the channel named no uploads playlist",
            )
            .into());
        };
        let request = self
            .http
            .get(self.api_url("/youtube/v3/playlistItems"))
            .query(&[
                ("part", "snippet,contentDetails"),
                ("playlistId", playlist.as_str()),
                ("maxResults", &UPLOADS_CHECKED.to_string()),
            ])
            .bearer_auth(token.expose());
        let items: List<PlaylistItem> = self.json(STATUS_ACTION, request).await?;
        // The title this post was uploaded with (the same derivation as `begin`).
        let title = VideoMeta::from_post(post, &post.options)?.title;
        // An hour's margin for a local clock ahead of YouTube's: a candidate must not be missed
        // (that would upload a second video), while older identical uploads stay out.
        let since = post.created_at - chrono::Duration::hours(1);
        let candidates: Vec<String> = items
            .items
            .into_iter()
            .filter(|item| {
                let snippet = item.snippet.as_ref();
                let same_title = snippet.and_then(|s| s.title.as_deref()) == Some(title.as_str());
                let recent = snippet
                    .and_then(|s| s.published_at.as_deref())
                    .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                    .is_none_or(|t| t >= since);
                same_title && recent
            })
            .filter_map(|item| item.content_details.and_then(|d| d.video_id))
            .filter(|id| !id.is_empty())
            .collect();
        if candidates.is_empty() {
            return Ok(None);
        }
        let request = self
            .http
            .get(self.api_url("/youtube/v3/videos"))
            .query(&[
                ("part", "fileDetails"),
                ("id", candidates.join(",").as_str()),
            ])
            .bearer_auth(token.expose());
        let videos: List<Video> = self.json(STATUS_ACTION, request).await?;
        let size = post.fingerprint.size;
        let sizes: Vec<(String, Option<u64>)> = videos
            .items
            .into_iter()
            .map(|v| (v.id, v.file_details.and_then(|d| d.size())))
            .collect();
        if let Some((id, _)) = sizes.iter().find(|(_, s)| *s == Some(size)) {
            return Ok(Some(id.clone()));
        }
        if sizes.iter().any(|(_, s)| s.is_none()) {
            return Err(codes::refusal(
                STATUS_ACTION,
                200,
                "uploadUncertain",
                "the upload session is gone and a video with this title is on the channel, but \
                 YouTube did not say its size, so postez cannot tell whether it is this post's",
            )
            .into());
        }
        Ok(None)
    }
}

/// The note on a video YouTube published as `got` although `asked` was sent. §6: an unaudited
/// API project's uploads were locked private from 2020 (reversed in 2026, but the insert answer
/// never said so, so postez re-reads the privacy after processing), and a channel's settings
/// may still make uploads private. The upload itself succeeded: the post is published.
pub(super) fn privacy_changed(id: &str, asked: &str, got: &str) -> Notice {
    let (message, hint) = if got == "private" {
        (
            format!(
                "YouTube made video {id} private although {asked} was asked: your Google Cloud \
                 project is not audited (its uploads stay private) or the channel's settings \
                 make uploads private"
            ),
            format!(
                "set it {asked} in YouTube Studio, or have the project audited: {}",
                codes::AUDIT_FORM
            ),
        )
    } else {
        (
            format!("YouTube made video {id} {got} although {asked} was asked"),
            format!("set it {asked} in YouTube Studio"),
        )
    };
    Notice {
        code: codes::PRIVACY_CHANGED.into(),
        message,
        hint: Some(hint),
    }
}

/// `videos.list`'s answer about `id` as the engine reads it (§4).
fn remote_state(post: &Post, id: &str, video: Option<&Video>) -> RemoteState {
    let Some(video) = video else {
        // §4: a rejected, deleted or unknown id lists nothing. Never uploaded again
        // automatically: the user looks.
        return RemoteState::Failed(Failure {
            code: "videoNotFound".into(),
            message: format!("YouTube no longer lists the uploaded video {id}: it was removed"),
            hint: Some(
                "look for it in YouTube Studio; postez does not upload it again by itself".into(),
            ),
            class: ErrorClass::Permanent,
        });
    };
    let status = video.status.clone().unwrap_or_default();
    let processing = video.processing_details.clone().unwrap_or_default();
    let failed = |code: String, what: &str, class: ErrorClass| {
        RemoteState::Failed(Failure {
            message: format!("YouTube {what} the video {id}: {code}"),
            hint: Some(match class {
                ErrorClass::Retryable => "postez uploads it again at the next run".into(),
                _ => "see YouTube Studio for details; fix the video and `postez retry` it".into(),
            }),
            code,
            class,
        })
    };
    match status.upload_status.as_deref() {
        // §8: private with a `publishAt` is YouTube holding it until then (once public, its
        // privacy says so; whether `publishAt` stays is UNVERIFIED, so privacy decides).
        Some("processed")
            if status.privacy_status.as_deref() == Some("private")
                && status.publish_at.is_some() =>
        {
            match status
                .publish_at
                .as_deref()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            {
                Some(at) => RemoteState::Held {
                    id: id.to_string(),
                    at: at.with_timezone(&Utc),
                },
                None => RemoteState::Unknown(format!(
                    "YouTube holds the video {id} private with a publishing time postez cannot read"
                )),
            }
        }
        Some("processed") => {
            let asked = post.options.youtube().map(|o| o.privacy);
            if let (Some(asked), Some(got)) = (asked, status.privacy_status.as_deref())
                && asked.as_str() != got
            {
                tracing::warn!(
                    post = post.id,
                    asked = asked.as_str(),
                    got,
                    "YouTube set another privacy than asked"
                );
                return RemoteState::PublishedNoted(
                    Some(id.to_string()),
                    privacy_changed(id, asked.as_str(), got),
                );
            }
            RemoteState::Published(Some(id.to_string()))
        }
        Some("failed") => {
            let reason = status.failure_reason.unwrap_or_else(|| "unknown".into());
            // An aborted upload is YouTube's trouble, not the file's: a new upload may work.
            let class = if reason == "uploadAborted" {
                ErrorClass::Retryable
            } else {
                ErrorClass::Permanent
            };
            failed(reason, "failed to process", class)
        }
        Some("rejected") => failed(
            status.rejection_reason.unwrap_or_else(|| "unknown".into()),
            "rejected",
            ErrorClass::Permanent,
        ),
        Some("deleted") => failed("deleted".into(), "deleted", ErrorClass::Permanent),
        _ => match processing.processing_status.as_deref() {
            Some("failed") | Some("terminated") => failed(
                processing
                    .processing_failure_reason
                    .unwrap_or_else(|| "other".into()),
                "failed to process",
                ErrorClass::Permanent,
            ),
            // Uploaded and processing: every byte is in.
            _ => RemoteState::Working {
                received: Some(post.fingerprint.size),
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Answer, Script, ok};
    use super::super::upload::CHUNK_SIZE;
    use super::super::{ClientCredentials, Endpoints};
    use super::*;
    use crate::media::{Container, MediaInfo, VideoCodec};
    use crate::post::PostState;

    fn youtube(base: &str) -> YouTube {
        YouTube::new(
            Endpoints::at(base),
            ClientCredentials {
                key: "cid".into(),
                secret: Secret::new("the-client-secret"),
            },
        )
        .unwrap()
    }

    /// A post of a real file of `size` bytes, and the file opened as the engine opens it.
    fn post(dir: &tempfile::TempDir, size: usize) -> (Post, Arc<Verified>) {
        let path = dir.path().join("clip.mp4");
        let bytes: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, bytes).unwrap();
        let fingerprint = crate::media::fingerprint(&path).unwrap();
        let video = Arc::new(Verified::open(&path, &fingerprint).unwrap().unwrap());
        let at: DateTime<Utc> = "2026-12-01T10:00:00Z".parse().unwrap();
        let post = Post {
            id: 7,
            state: PostState::Publishing,
            phase: None,
            platform: "youtube".into(),
            account_id: Some(1),
            account: None,
            group: None,
            media_id: None,
            file: path.to_string_lossy().into(),
            copied: false,
            media: MediaInfo {
                container: Container::Mp4,
                size: size as u64,
                duration_ms: Some(2000),
                width: Some(1080),
                height: Some(1920),
                fps: Some(30.0),
                codec: Some(VideoCodec::H264),
            },
            fingerprint,
            caption: "Pasta in 30 seconds\nrecipe below #pasta".into(),
            options: crate::provider::youtube::rules::tests::options(
                crate::provider::youtube::Visibility::Public,
            ),
            scheduled_at: at,
            due_at: at,
            timezone: "UTC".into(),
            attempts: 0,
            next_attempt_at: None,
            last_error: None,
            last_error_code: None,
            last_error_hint: None,
            publish_id: None,
            post_id: None,
            created_at: at,
            updated_at: at,
        };
        (post, video)
    }

    fn quiet() -> SentBytes {
        Arc::new(|_| {})
    }

    fn stored(upto: u64) -> Answer {
        (
            308,
            vec![("Range", format!("bytes=0-{}", upto - 1))],
            String::new(),
        )
    }

    fn created(id: &str) -> Answer {
        (
            201,
            vec![],
            format!(r#"{{"id":"{id}","status":{{"uploadStatus":"uploaded"}}}}"#),
        )
    }

    fn listed(id: &str, upload_status: &str) -> Answer {
        ok(&format!(
            r#"{{"items":[{{"id":"{id}","status":{{"uploadStatus":"{upload_status}","privacyStatus":"public"}},"processingDetails":{{"processingStatus":"processing"}}}}]}}"#
        ))
    }

    /// A server whose init answers with a session on its own origin; returns it and the session.
    async fn server(script: &Script) -> (String, String) {
        let base = script.serve().await;
        let session =
            format!("{base}/upload/youtube/v3/videos?uploadType=resumable&upload_id=SeCrEt");
        script.on(
            "POST",
            "/upload/youtube/v3/videos",
            vec![(200, vec![("Location", session.clone())], String::new())],
        );
        (base, session)
    }

    fn puts(script: &Script) -> Vec<super::super::testing::Seen> {
        script
            .seen()
            .into_iter()
            .filter(|s| s.method == "PUT")
            .collect()
    }

    #[tokio::test]
    async fn three_chunks_then_the_video_is_published() {
        let dir = tempfile::tempdir().unwrap();
        let size = 2 * CHUNK_SIZE as usize + 1000;
        let (post, video) = post(&dir, size);
        let script = Script::default();
        let (base, session) = server(&script).await;
        script
            .on(
                "PUT",
                "/upload/youtube/v3/videos",
                vec![stored(CHUNK_SIZE), stored(2 * CHUNK_SIZE), created("vid1")],
            )
            .on(
                "GET",
                "/youtube/v3/videos",
                vec![listed("vid1", "uploaded"), listed("vid1", "processed")],
            );
        let yt = youtube(&base);
        let plan = yt.plan(size as u64);
        assert_eq!(plan.count, 3);
        let token = Secret::new("ya29.t");
        let checkpoint = yt.begin(&token, &post, &post.options, plan).await.unwrap();
        assert_eq!(checkpoint.upload_url, session);
        assert_eq!(checkpoint.id, session_key(&session));
        assert_eq!(checkpoint.expires_at, None);
        assert!(yt.resumable(&checkpoint, plan, Utc::now()));
        assert!(!format!("{checkpoint:?}").contains("SeCrEt"));
        let init = &script.seen()[0];
        assert!(init.target.contains("uploadType=resumable"));
        assert!(init.target.contains("part=snippet%2Cstatus"));
        assert_eq!(
            init.header("x-upload-content-length"),
            Some(size.to_string().as_str())
        );
        assert_eq!(init.header("x-upload-content-type"), Some("video/mp4"));
        let body: serde_json::Value = serde_json::from_slice(&init.body).unwrap();
        assert_eq!(body["snippet"]["title"], "Pasta in 30 seconds");
        assert_eq!(body["status"]["privacyStatus"], "public");
        assert_eq!(body["status"]["selfDeclaredMadeForKids"], false);
        let sent = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let count = sent.clone();
        let progress: SentBytes = Arc::new(move |n| {
            count.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        });
        let mut outcomes = Vec::new();
        for i in 0..plan.count {
            outcomes.push(
                yt.upload(
                    &token,
                    &checkpoint,
                    &video,
                    "video/mp4",
                    plan,
                    i,
                    progress.clone(),
                )
                .await
                .unwrap(),
            );
        }
        assert_eq!(
            outcomes,
            [PutOutcome::Stored, PutOutcome::Stored, PutOutcome::Complete]
        );
        assert_eq!(sent.load(std::sync::atomic::Ordering::Relaxed), size as u64);
        let puts = puts(&script);
        let ranges: Vec<_> = puts
            .iter()
            .map(|p| p.header("content-range").unwrap().to_string())
            .collect();
        let c = CHUNK_SIZE;
        assert_eq!(
            ranges,
            [
                format!("bytes 0-{}/{size}", c - 1),
                format!("bytes {c}-{}/{size}", 2 * c - 1),
                format!("bytes {}-{}/{size}", 2 * c, size - 1),
            ]
        );
        let mut whole = Vec::new();
        for p in &puts {
            assert_eq!(p.header("authorization"), Some("Bearer ya29.t"));
            whole.extend_from_slice(&p.body);
        }
        assert_eq!(
            whole,
            std::fs::read(&post.file).unwrap(),
            "the bytes arrive whole"
        );
        // The id came with the last reply: status asks videos.list only.
        assert_eq!(
            yt.status(&token, &post, &checkpoint).await.unwrap(),
            RemoteState::Working {
                received: Some(size as u64)
            }
        );
        assert_eq!(
            yt.status(&token, &post, &checkpoint).await.unwrap(),
            RemoteState::Published(Some("vid1".into()))
        );
        assert_eq!(puts.len(), 3, "no status query was needed");
    }

    #[tokio::test]
    async fn a_lost_last_reply_is_asked_about_and_never_sent_again() {
        let dir = tempfile::tempdir().unwrap();
        let size = CHUNK_SIZE as usize + 10;
        let (post, video) = post(&dir, size);
        let script = Script::default();
        let (base, _) = server(&script).await;
        script
            .on(
                "PUT",
                "/upload/youtube/v3/videos",
                // Chunk 0 stored; chunk 1 stored by YouTube but its 201 lost; the query then
                // gets the video again (§2.3).
                vec![
                    stored(CHUNK_SIZE),
                    (0, vec![], String::new()),
                    created("vid2"),
                ],
            )
            .on(
                "GET",
                "/youtube/v3/videos",
                vec![listed("vid2", "processed")],
            );
        let yt = youtube(&base);
        let plan = yt.plan(size as u64);
        let token = Secret::new("t");
        let checkpoint = yt.begin(&token, &post, &post.options, plan).await.unwrap();
        let put = |i| yt.upload(&token, &checkpoint, &video, "video/mp4", plan, i, quiet());
        assert_eq!(put(0).await.unwrap(), PutOutcome::Stored);
        let e = put(1).await.unwrap_err();
        assert!(matches!(e, Error::Network(_)), "{e}");
        // The engine retries the chunk: postez asks first, and learns it is complete.
        assert_eq!(put(1).await.unwrap(), PutOutcome::Complete);
        let puts = puts(&script);
        assert_eq!(puts.len(), 3);
        assert_eq!(
            puts[2].header("content-range"),
            Some(format!("bytes */{size}").as_str())
        );
        assert!(puts[2].body.is_empty(), "the query sends no bytes");
        assert_eq!(
            yt.status(&token, &post, &checkpoint).await.unwrap(),
            RemoteState::Published(Some("vid2".into()))
        );
    }

    #[tokio::test]
    async fn a_new_process_asks_the_session_and_resumes_from_what_youtube_holds() {
        let dir = tempfile::tempdir().unwrap();
        let size = 2 * CHUNK_SIZE as usize + 5;
        let (post, video) = post(&dir, size);
        let script = Script::default();
        let (base, session) = server(&script).await;
        // YouTube holds chunk 0 and half of chunk 1 (a reset mid-body kept a prefix).
        let half = CHUNK_SIZE + CHUNK_SIZE / 2;
        script.on(
            "PUT",
            "/upload/youtube/v3/videos",
            vec![stored(half), stored(2 * CHUNK_SIZE), created("vid3")],
        );
        let yt = youtube(&base);
        let plan = yt.plan(size as u64);
        let checkpoint = Checkpoint {
            id: session_key(&session),
            upload_url: session.clone(),
            expires_at: None,
            chunk_size: plan.chunk_size,
        };
        let token = Secret::new("t");
        // The engine asks first (a saved checkpoint), and saved one chunk as done.
        assert_eq!(
            yt.status(&token, &post, &checkpoint).await.unwrap(),
            RemoteState::Working {
                received: Some(half)
            }
        );
        let put = |i| yt.upload(&token, &checkpoint, &video, "video/mp4", plan, i, quiet());
        assert_eq!(put(1).await.unwrap(), PutOutcome::Stored);
        assert_eq!(put(2).await.unwrap(), PutOutcome::Complete);
        let puts = puts(&script);
        assert_eq!(
            puts[1].header("content-range"),
            Some(format!("bytes {half}-{}/{size}", 2 * CHUNK_SIZE - 1).as_str()),
            "from the byte YouTube expects, not the chunk's start"
        );
        // A chunk the engine thinks is next but YouTube already holds is not sent again.
        let stale = Script::default();
        let (base, session) = server(&stale).await;
        stale.on(
            "PUT",
            "/upload/youtube/v3/videos",
            vec![stored(2 * CHUNK_SIZE)],
        );
        let yt = youtube(&base);
        let checkpoint = Checkpoint {
            id: session_key(&session),
            upload_url: session,
            ..checkpoint
        };
        assert!(matches!(
            yt.status(&token, &post, &checkpoint).await.unwrap(),
            RemoteState::Working { .. }
        ));
        let again = yt
            .upload(&token, &checkpoint, &video, "video/mp4", plan, 0, quiet())
            .await
            .unwrap();
        assert_eq!(again, PutOutcome::AlreadyHave(2 * CHUNK_SIZE));
        assert_eq!(puts_len(&stale), 1, "only the status query");
    }

    fn puts_len(script: &Script) -> usize {
        puts(script).len()
    }

    #[tokio::test]
    async fn a_308_is_an_answer_never_a_redirect() {
        let dir = tempfile::tempdir().unwrap();
        let size = CHUNK_SIZE as usize + 1;
        let (post, video) = post(&dir, size);
        let script = Script::default();
        let (base, _) = server(&script).await;
        script
            .on(
                "PUT",
                "/upload/youtube/v3/videos",
                vec![(
                    308,
                    vec![
                        ("Range", format!("bytes=0-{}", CHUNK_SIZE - 1)),
                        ("Location", format!("{base}/elsewhere")),
                    ],
                    String::new(),
                )],
            )
            .on("PUT", "/elsewhere", vec![ok("{}")]);
        let yt = youtube(&base);
        let plan = yt.plan(size as u64);
        let token = Secret::new("t");
        let checkpoint = yt.begin(&token, &post, &post.options, plan).await.unwrap();
        let outcome = yt
            .upload(&token, &checkpoint, &video, "video/mp4", plan, 0, quiet())
            .await
            .unwrap();
        assert_eq!(outcome, PutOutcome::Stored);
        assert!(
            script
                .seen()
                .iter()
                .all(|s| !s.target.starts_with("/elsewhere")),
            "the 308's Location was not followed"
        );
    }

    #[tokio::test]
    async fn a_dead_session_is_unknown_only_when_the_channel_has_no_such_video() {
        let dir = tempfile::tempdir().unwrap();
        let (post, _) = post(&dir, 1000);
        let size = post.fingerprint.size;
        let channel =
            r#"{"items":[{"id":"UCx","contentDetails":{"relatedPlaylists":{"uploads":"UUx"}}}]}"#;
        let item = |id: &str, title: &str, at: &str| {
            format!(
                r#"{{"snippet":{{"title":"{title}","publishedAt":"{at}"}},"contentDetails":{{"videoId":"{id}"}}}}"#
            )
        };
        let items = format!(
            r#"{{"items":[{},{},{}]}}"#,
            item("old", "Pasta in 30 seconds", "2026-11-01T00:00:00Z"),
            item("other", "Something else", "2026-12-01T10:05:00Z"),
            item("mine", "Pasta in 30 seconds", "2026-12-01T10:05:00Z"),
        );
        let script = Script::default();
        let base = script.serve().await;
        let session = format!("{base}/upload/youtube/v3/videos?upload_id=dead");
        script
            .on(
                "PUT",
                "/upload/youtube/v3/videos",
                vec![(404, vec![], "Not Found".into())],
            )
            .on("GET", "/youtube/v3/channels", vec![ok(channel)])
            .on("GET", "/youtube/v3/playlistItems", vec![ok(&items)])
            .on(
                "GET",
                "/youtube/v3/videos",
                vec![
                    ok(&format!(
                        r#"{{"items":[{{"id":"mine","fileDetails":{{"fileSize":"{size}"}}}}]}}"#
                    )),
                    listed("mine", "processed"),
                    // The second time round: a video of another size.
                    ok(r#"{"items":[{"id":"mine","fileDetails":{"fileSize":"1"}}]}"#),
                ],
            );
        let yt = youtube(&base);
        let checkpoint = Checkpoint {
            id: session_key(&session),
            upload_url: session,
            expires_at: None,
            chunk_size: CHUNK_SIZE,
        };
        let token = Secret::new("t");
        assert_eq!(
            yt.status(&token, &post, &checkpoint).await.unwrap(),
            RemoteState::Published(Some("mine".into())),
            "the lost reply's video is found, not uploaded again"
        );
        let asked = script.seen();
        let files = asked
            .iter()
            .find(|s| s.target.contains("fileDetails"))
            .unwrap();
        assert!(
            files.target.contains("id=mine"),
            "only the recent same-titled upload: {}",
            files.target
        );
        let fresh = youtube(&base);
        let state = fresh.status(&token, &post, &checkpoint).await.unwrap();
        assert!(matches!(state, RemoteState::Unknown(_)), "{state:?}");
    }

    #[tokio::test]
    async fn refusals_carry_their_class() {
        let dir = tempfile::tempdir().unwrap();
        let (post, video) = post(&dir, 1000);
        let script = Script::default();
        let base = script.serve().await;
        let session = format!("{base}/upload/youtube/v3/videos?upload_id=s");
        script
            .on(
                "POST",
                "/upload/youtube/v3/videos",
                vec![
                    (
                        429,
                        vec![],
                        r#"{"error":{"code":429,"message":"Quota exceeded for quota metric 'Video Uploads' and limit 'Video Uploads per day'","errors":[{"reason":"rateLimitExceeded","domain":"global"}]}}"#.into(),
                    ),
                    (200, vec![("Location", "https://evil.example/upload?upload_id=x".into())], String::new()),
                ],
            )
            .on("PUT", "/upload/youtube/v3/videos", vec![(404, vec![], String::new())]);
        let yt = youtube(&base);
        let plan = yt.plan(1000);
        let token = Secret::new("t");
        let Error::Api(e) = yt
            .begin(&token, &post, &post.options, plan)
            .await
            .unwrap_err()
        else {
            panic!()
        };
        assert_eq!(e.class, ErrorClass::Quota);
        assert!(yt.quota_ends(&e.code, Utc::now()) > Utc::now());
        let e = yt
            .begin(&token, &post, &post.options, plan)
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Unsafe(_)), "{e}");
        assert!(!e.to_string().contains("upload_id"));
        let checkpoint = Checkpoint {
            id: session_key(&session),
            upload_url: session,
            expires_at: None,
            chunk_size: CHUNK_SIZE,
        };
        let Error::Api(e) = yt
            .upload(&token, &checkpoint, &video, "video/mp4", plan, 0, quiet())
            .await
            .unwrap_err()
        else {
            panic!()
        };
        assert_eq!(
            e.class,
            ErrorClass::UploadGone,
            "an expired session starts anew"
        );
    }

    #[tokio::test]
    async fn a_session_gone_after_a_lost_last_reply_is_not_restarted_blindly() {
        let dir = tempfile::tempdir().unwrap();
        let (post, video) = post(&dir, 1000);
        let script = Script::default();
        let (base, _) = server(&script).await;
        script.on(
            "PUT",
            "/upload/youtube/v3/videos",
            vec![(0, vec![], String::new()), (404, vec![], String::new())],
        );
        let yt = youtube(&base);
        let plan = yt.plan(1000);
        let token = Secret::new("t");
        let checkpoint = yt.begin(&token, &post, &post.options, plan).await.unwrap();
        let put = || yt.upload(&token, &checkpoint, &video, "video/mp4", plan, 0, quiet());
        assert!(matches!(put().await.unwrap_err(), Error::Network(_)));
        let Error::Api(e) = put().await.unwrap_err() else {
            panic!()
        };
        assert_eq!(
            e.class,
            ErrorClass::Retryable,
            "the video may exist: the next status check looks first (§2.5)"
        );
    }

    #[test]
    fn video_states_are_read_as_the_engine_needs() {
        let dir = tempfile::tempdir().unwrap();
        let (post, _) = post(&dir, 10);
        let video = |json: &str| -> Video { serde_json::from_str(json).unwrap() };
        assert!(matches!(
            remote_state(&post, "v", None),
            RemoteState::Failed(Failure {
                class: ErrorClass::Permanent,
                ..
            })
        ));
        let RemoteState::Failed(f) = remote_state(
            &post,
            "v",
            Some(&video(
                r#"{"id":"v","status":{"uploadStatus":"rejected","rejectionReason":"duplicate"}}"#,
            )),
        ) else {
            panic!()
        };
        assert_eq!(
            (f.code.as_str(), f.class),
            ("duplicate", ErrorClass::Permanent)
        );
        let RemoteState::Failed(f) = remote_state(
            &post,
            "v",
            Some(&video(
                r#"{"id":"v","status":{"uploadStatus":"failed","failureReason":"uploadAborted"}}"#,
            )),
        ) else {
            panic!()
        };
        assert_eq!(f.class, ErrorClass::Retryable);
        let RemoteState::Failed(f) = remote_state(
            &post,
            "v",
            Some(&video(
                r#"{"id":"v","status":{"uploadStatus":"uploaded"},"processingDetails":{"processingStatus":"failed","processingFailureReason":"transcodeFailed"}}"#,
            )),
        ) else {
            panic!()
        };
        assert_eq!(f.code, "transcodeFailed");
        assert_eq!(
            remote_state(
                &post,
                "v",
                Some(&video(
                    r#"{"id":"v","status":{"uploadStatus":"processed","privacyStatus":"public"}}"#
                ))
            ),
            RemoteState::Published(Some("v".into()))
        );
        // Public asked, private given (§6): published, with the reason and the way out.
        let RemoteState::PublishedNoted(Some(id), note) = remote_state(
            &post,
            "v",
            Some(&video(
                r#"{"id":"v","status":{"uploadStatus":"processed","privacyStatus":"private"}}"#,
            )),
        ) else {
            panic!()
        };
        assert_eq!((id.as_str(), note.code.as_str()), ("v", "privacyChanged"));
        assert!(note.message.contains("not audited"), "{note:?}");
        assert!(
            note.hint.unwrap().contains(codes::AUDIT_FORM),
            "the audit link"
        );
    }

    #[tokio::test]
    async fn prepare_refuses_what_youtube_would_refuse_without_spending_an_insert() {
        let dir = tempfile::tempdir().unwrap();
        let (mut post, _) = post(&dir, 10);
        post.caption = "a <b> title".into();
        let yt = youtube("http://127.0.0.1:9");
        let account = an_account();
        let prepared = yt
            .prepare(&Secret::new("t"), &account, &post)
            .await
            .unwrap();
        assert!(
            matches!(prepared.verdict, Verdict::Refused { .. }),
            "{:?}",
            prepared.verdict
        );
    }

    fn an_account() -> Account {
        Account {
            id: 1,
            platform: Platform::YouTube,
            remote_id: "UCx".into(),
            display_name: None,
            username: None,
            nickname: None,
            state: crate::store::AccountState::Ok,
            scopes: vec![UPLOAD_SCOPE.into()],
            token_store: None,
            access_expires_at: None,
            refresh_expires_at: None,
            creator_info: None,
            holds: Vec::new(),
        }
    }
}
