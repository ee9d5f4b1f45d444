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
use super::upload::{SessionAnswer, Video};
use super::{UPLOAD_SCOPE, VideoMeta, YouTube, session_key};
use crate::error::{Error, Result};
use crate::media::Verified;
use crate::post::{Options, Post, PostId};
use crate::provider::{
    ApiError, Checkpoint, ChunkPlan, ErrorClass, Failure, Platform, Prepared, Provider, PutOutcome,
    RemoteState, STATUS_ACTION, SentBytes, Verdict,
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
                    .map(|h| format!("{h}: `postez edit {}`", post.id))
                    .unwrap_or_else(|| format!("`postez edit {}`", post.id)),
            },
        };
        Ok(Prepared {
            account_info: None,
            verdict,
        })
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
        options: &Options,
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
        let known = self.memo(&checkpoint.id).video_id;
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
    /// uploads with this post's title and exactly its size, uploaded after the post was queued,
    /// is this post's (its last reply was lost). `Ok(None)` only when the uploads were read and
    /// hold no candidate; when a candidate cannot be told apart (no file details), the answer
    /// is an error, so the engine leaves the post for the next run instead of uploading twice.
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
        let since = post.created_at - chrono::Duration::minutes(5);
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
        Some("processed") => {
            let asked = super::rules::visibility(&post.options).ok();
            if let (Some(asked), Some(got)) = (asked, status.privacy_status.as_deref())
                && asked.as_str() != got
            {
                // §6: an unverified project's uploads may be locked private.
                tracing::warn!(
                    post = post.id,
                    asked = asked.as_str(),
                    got,
                    "YouTube set another privacy than asked"
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
