//! The one way a post's outcome is recorded: settled in the queue, counted in the run's
//! [`Summary`], and reported as an [`Event`]; and what a failure the platform reported means
//! for the post and its account (its class, never its code).

use crate::error::Result;
use crate::post::Post;
use crate::provider::{ErrorClass, Failure};
use crate::store::{Account, AppliesTo, Hold, Settle, Store};

use super::{Engine, Event, Session, Stop, Subject, Summary};

impl Engine {
    /// Settle `post` as `settle` says, count it and report it.
    pub(super) fn record(
        &self,
        store: &mut Store,
        post: &Post,
        settle: Settle,
        summary: &mut Summary,
    ) -> Result<()> {
        store.settle(post.id, &settle, self.now)?;
        let subject = Subject::of(post);
        let event = match settle {
            Settle::Published(post_id) => {
                summary.published += 1;
                Event::Published {
                    post: subject,
                    post_id,
                    note: None,
                }
            }
            Settle::PublishedNoted { post_id, note } => {
                summary.published += 1;
                Event::Published {
                    post: subject,
                    post_id,
                    note: Some(note),
                }
            }
            Settle::Uploaded {
                post_id, at, late, ..
            } => {
                summary.uploaded += 1;
                Event::Uploaded {
                    post: subject,
                    post_id,
                    public_at: at,
                    late,
                }
            }
            Settle::SentToInbox => {
                summary.sent += 1;
                Event::SentToInbox {
                    post: subject,
                    caption: Some(post.caption.clone()).filter(|c| !c.is_empty()),
                }
            }
            Settle::Failed {
                code,
                message,
                hint,
            } => {
                summary.failed += 1;
                Event::Failed {
                    post: subject,
                    code,
                    message,
                    hint,
                }
            }
            Settle::RetryAt { at, message, .. } => {
                summary.retrying += 1;
                Event::Retrying {
                    post: subject,
                    message,
                    next_at: at,
                }
            }
            Settle::Release { message } | Settle::Hold { message, .. } => {
                summary.blocked += 1;
                Event::Blocked {
                    post: subject,
                    message,
                    hint: None,
                }
            }
        };
        self.progress.event(&event);
        Ok(())
    }

    /// The platform ended `post`'s upload without success. Its own trouble is retried with a
    /// new upload (the same backoff and attempt limit as any temporary error); a quota holds
    /// the account's posts of this kind, this one included, with a new upload after the
    /// window; a ban fails the post and pauses the account; anything else fails the post.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn platform_failed(
        &self,
        session: &Session,
        store: &mut Store,
        account: &Account,
        holds: &mut Vec<Hold>,
        post: &Post,
        failure: Failure,
        summary: &mut Summary,
    ) -> Result<Stop> {
        let settle = match failure.class {
            ErrorClass::Retryable => self.retry_or_fail(post, failure.message, true, None, None),
            ErrorClass::Quota => {
                let hold = Hold {
                    applies_to: AppliesTo::mode(post.options.mode()),
                    until: Some(session.provider.quota_ends(&failure.code, self.now)),
                    code: failure.code,
                    message: failure.message,
                    hint: failure.hint,
                    since: self.now,
                };
                store.hold_account(account.id, &hold, self.now)?;
                holds.push(hold.clone());
                store.settle(
                    post.id,
                    &Settle::Hold {
                        until: hold.until,
                        code: Some(hold.code.clone()),
                        message: hold.message.clone(),
                        hint: hold.hint.clone(),
                        reset_upload: true,
                    },
                    self.now,
                )?;
                summary.blocked += 1;
                self.progress.event(&Event::AccountHeld {
                    account: account.label(),
                    posts: vec![post.id],
                    code: Some(hold.code),
                    message: hold.message,
                    hint: hold.hint,
                    until: hold.until,
                    needs_auth: false,
                });
                return Ok(Stop::Continue);
            }
            class => {
                if class == ErrorClass::Banned {
                    self.pause(store, account, holds, &failure.code)?;
                }
                // The platform's verdict is final: nothing of this upload needs asking about,
                // and a retry uploads anew.
                store.forget_upload(post.id)?;
                Settle::Failed {
                    hint: failure
                        .hint
                        .or_else(|| Some(format!("`postez retry {}` uploads it again", post.id))),
                    code: Some(failure.code),
                    message: failure.message,
                }
            }
        };
        self.record(store, post, settle, summary)?;
        Ok(Stop::Continue)
    }
}
