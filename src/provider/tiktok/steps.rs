//! TikTok behind the provider seam: `creator_info` checks before a direct post (privacy,
//! duration, interactions the creator turned off), `video/init` or `inbox/video/init` as the
//! checkpoint, chunked PUTs, and `status/fetch` read as a [`RemoteState`].

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::TikTokOptions;
use super::codes::{self, INTERNAL_FAILURE, UNKNOWN_PUBLISH};
use super::creator::TikTokCreator;
use super::{CreatorInfo, DIRECT_POST_SCOPE, PostStatus, TikTok};
use crate::error::{Error, Result};
use crate::media::Verified;
use crate::post::{Mode, Post, PostId, PostOptions, Privacy};
use crate::provider::{
    ApiError, Checkpoint, ChunkPlan, Creator, ErrorClass, Failure, Platform, Prepared, Provider,
    PutOutcome, RemoteState, SentBytes, Verdict,
};
use crate::secrets::Secret;
use crate::store::Account;

/// How long an upload URL is good for (TikTok: one hour).
const UPLOAD_URL_LIFE: chrono::Duration = chrono::Duration::minutes(60);
/// Don't start resuming an upload whose URL has less than this left.
const UPLOAD_URL_MARGIN: chrono::Duration = chrono::Duration::minutes(5);
/// How long a TikTok quota holds: its windows are 24 hours (shared/tiktok-api.md §2.7).
const QUOTA_WINDOW: chrono::Duration = chrono::Duration::hours(24);

#[async_trait::async_trait]
impl Provider for TikTok {
    fn platform(&self) -> Platform {
        Platform::TikTok
    }

    async fn prepare(&self, token: &Secret, account: &Account, post: &Post) -> Result<Prepared> {
        let options = TikTokOptions::of(&post.options)?;
        // Drafts go to the creator's inbox, where the creator decides: nothing to ask.
        if options.mode != Mode::Direct {
            return Ok(Prepared {
                account_info: None,
                verdict: Verdict::Go {
                    options: post.options.clone(),
                    adjusted: None,
                    creator: None,
                },
            });
        }
        let info = match self.creator_info(token).await {
            Ok(info) => info,
            // "Cannot post now" with a code the engine has no class for: not a failure of the
            // post; the account's posts wait for the next run.
            Err(Error::Api(e)) if codes::cannot_post_now(&e) => {
                return Ok(Prepared {
                    account_info: None,
                    verdict: Verdict::Blocked {
                        message: format!(
                            "TikTok says {} cannot post now: {} ({})",
                            account.label(),
                            e.message,
                            e.code
                        ),
                        hint: "TikTok limits this account right now; the next run tries again"
                            .into(),
                    },
                });
            }
            Err(e) => return Err(e),
        };
        Ok(Prepared {
            account_info: serde_json::to_value(&info).ok(),
            verdict: check_creator(post, options, &info),
        })
    }

    async fn creator(&self, token: &Secret) -> Result<Arc<dyn Creator>> {
        let info = self.creator_info(token).await?;
        Ok(Arc::new(TikTokCreator { info }))
    }

    fn plan(&self, size: u64) -> ChunkPlan {
        super::upload::plan(size)
    }

    async fn begin(
        &self,
        token: &Secret,
        post: &Post,
        options: &PostOptions,
        plan: ChunkPlan,
    ) -> Result<Checkpoint> {
        let init = self
            .init(token, TikTokOptions::of(options)?, &post.caption, plan)
            .await?;
        Ok(Checkpoint {
            id: init.publish_id,
            upload_url: init.upload_url.expose().to_string(),
            expires_at: Some(Utc::now() + UPLOAD_URL_LIFE),
            chunk_size: plan.chunk_size,
        })
    }

    fn resumable(&self, checkpoint: &Checkpoint, plan: ChunkPlan, now: DateTime<Utc>) -> bool {
        checkpoint.chunk_size == plan.chunk_size
            && checkpoint
                .expires_at
                .is_some_and(|t| t - now > UPLOAD_URL_MARGIN)
    }

    async fn upload(
        &self,
        _token: &Secret,
        checkpoint: &Checkpoint,
        video: &Arc<Verified>,
        mime: &'static str,
        plan: ChunkPlan,
        index: u64,
        sent: SentBytes,
    ) -> Result<PutOutcome> {
        let url = Secret::new(checkpoint.upload_url.clone());
        self.put_chunk(&url, video, mime, plan, index, sent).await
    }

    async fn status(
        &self,
        token: &Secret,
        post: &Post,
        checkpoint: &Checkpoint,
    ) -> Result<RemoteState> {
        match TikTok::status(self, token, &checkpoint.id).await {
            Ok(status) => Ok(remote_state(post, &status)),
            Err(Error::Api(e)) if e.code == UNKNOWN_PUBLISH => {
                Ok(RemoteState::Unknown(e.to_string()))
            }
            Err(e) => Err(e),
        }
    }

    fn quota_ends(&self, _code: &str, now: DateTime<Utc>) -> DateTime<Utc> {
        now + QUOTA_WINDOW
    }

    fn direct_scope(&self) -> Option<&'static str> {
        Some(DIRECT_POST_SCOPE)
    }

    fn direct_refused(&self, account: &str, post: PostId, error: Option<&ApiError>) -> Failure {
        let message = match error {
            Some(api) => format!("{api}: the TikTok account {account} cannot make direct posts"),
            None => format!(
                "the TikTok account {account} cannot make direct posts: TikTok refused Direct Post \
                 (video.publish) to its login"
            ),
        };
        Failure {
            // TikTok's code for it, also when postez refuses the post without asking again.
            code: error
                .map_or("scope_not_authorized", |a| a.code.as_str())
                .to_string(),
            message,
            hint: Some(format!(
                "`postez edit {post} --draft`, then `postez retry {post}`; or turn on Direct Post \
                 for your app in TikTok's developer portal and run `postez connect tiktok` again"
            )),
            class: ErrorClass::Scope,
        }
    }
}

/// `status/fetch`'s answer as the engine reads it.
fn remote_state(post: &Post, status: &PostStatus) -> RemoteState {
    match status.status.as_str() {
        "PUBLISH_COMPLETE" if post.options.mode() == Mode::Draft => RemoteState::SentToInbox,
        "PUBLISH_COMPLETE" => RemoteState::Published(status.post_ids.first().cloned()),
        "SEND_TO_USER_INBOX" => RemoteState::SentToInbox,
        "FAILED" => {
            let reason = status
                .fail_reason
                .clone()
                .unwrap_or_else(|| "unknown".into());
            if reason == INTERNAL_FAILURE {
                // TikTok's own trouble: a new upload next time (this one is dead).
                return RemoteState::Failed(Failure {
                    code: reason,
                    message:
                        "TikTok failed to process the video (internal); it will be uploaded again"
                            .into(),
                    hint: None,
                    class: ErrorClass::Retryable,
                });
            }
            let api = codes::refusal(
                "publish the video",
                200,
                reason.clone(),
                format!("processing failed: {reason}"),
                None,
            );
            RemoteState::Failed(Failure {
                code: reason,
                message: api.to_string(),
                hint: api.hint(),
                // Only `internal` means "upload it again"; a processing failure whose reason
                // reads like a passing API error (`rate_limit_exceeded`, …) is final, as the
                // upload it names is dead. Quotas and bans keep their class: they concern the
                // account.
                class: match api.class() {
                    ErrorClass::Retryable => ErrorClass::Permanent,
                    class => class,
                },
            })
        }
        _ => RemoteState::Working {
            received: status.uploaded_bytes,
        },
    }
}

/// TikTok's Direct Post rules against what the creator may do now: a failure, or the options
/// to send (having turned off interactions the creator disabled). `options` are `post`'s.
fn check_creator(post: &Post, options: &TikTokOptions, info: &CreatorInfo) -> Verdict {
    let privacy = options.privacy.map(Privacy::as_str).unwrap_or_default();
    if !info.privacy_level_options.is_empty()
        && !info.privacy_level_options.iter().any(|p| p == privacy)
    {
        return Verdict::Refused {
            code: "privacy_level_option_mismatch".into(),
            message: format!(
                "{} cannot post as {privacy}; it can use {}",
                info.creator_nickname.as_deref().unwrap_or("this account"),
                info.privacy_level_options.join(", ")
            ),
            hint: format!(
                "`postez edit {} --privacy …`, then `postez retry {}`",
                post.id, post.id
            ),
        };
    }
    if let (Some(max), Some(ms)) = (info.max_video_post_duration_sec, post.media.duration_ms)
        && ms > max * 1000
    {
        return Verdict::Refused {
            code: "duration_over_creator_limit".into(),
            message: format!(
                "the video is {} s long; this account may post at most {max} s",
                ms.div_ceil(1000)
            ),
            hint: format!("shorten it and `postez edit {} --file …`", post.id),
        };
    }
    let disabled: Vec<&str> = [
        (options.allow_comments && info.comment_disabled, "comments"),
        (options.allow_duet && info.duet_disabled, "duets"),
        (options.allow_stitch && info.stitch_disabled, "stitches"),
    ]
    .into_iter()
    .filter_map(|(off, name)| off.then_some(name))
    .collect();
    let adjusted = (!disabled.is_empty()).then(|| {
        format!(
            "the creator turned off {} in TikTok, so they stay off",
            disabled.join(" and ")
        )
    });
    Verdict::Go {
        options: within_creator(options, info).into(),
        adjusted,
        creator: info.creator_nickname.clone(),
    }
}

/// The options a direct post is sent with: an interaction the creator turned off in TikTok
/// stays off whatever the post allows, so init sends `disable_* = !allow || creator disabled`
/// (the "they stay off" the user is told is then true of what TikTok receives).
fn within_creator(options: &TikTokOptions, info: &CreatorInfo) -> TikTokOptions {
    TikTokOptions {
        allow_comments: options.allow_comments && !info.comment_disabled,
        allow_duet: options.allow_duet && !info.duet_disabled,
        allow_stitch: options.allow_stitch && !info.stitch_disabled,
        ..options.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_options_keep_off_what_the_post_or_the_creator_turned_off() {
        for (allow, disabled) in [(false, false), (true, false), (false, true), (true, true)] {
            let options = TikTokOptions {
                privacy: Some(Privacy::SelfOnly),
                allow_comments: allow,
                allow_duet: allow,
                allow_stitch: allow,
                ..TikTokOptions::plain(Mode::Direct)
            };
            let info = CreatorInfo {
                comment_disabled: disabled,
                duet_disabled: disabled,
                stitch_disabled: disabled,
                ..CreatorInfo::default()
            };
            let sent = within_creator(&options, &info);
            let on = allow && !disabled;
            assert_eq!(
                (sent.allow_comments, sent.allow_duet, sent.allow_stitch),
                (on, on, on),
                "allow {allow}, creator disabled {disabled}"
            );
            assert_eq!(sent.privacy, options.privacy, "nothing else changes");
        }
    }
}
