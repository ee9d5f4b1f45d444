//! What the engine does when the platform's answer concerns the account rather than the post
//! (see `ErrorClass`): a quota holds the account's posts of that kind for a day without using up
//! attempts; a ban fails the post and pauses the account until the user connects it again;
//! refused app credentials or a login to renew hold the posts for this run with one message; a
//! login without Direct Post fails direct posts (with the way to a draft) and lets drafts go on.
//! Posts held together are reported once, as one [`Event::AccountHeld`].

use crate::error::{Error, ErrorKind, Result};
use crate::post::{Mode, Post};
use crate::provider::{ApiError, ErrorClass};
use crate::store::{Account, AccountState, AppliesTo, Hold, Settle, Store};

use super::{Engine, Event, Problem, Session, Stop, Summary};

/// Why posts wait, for this run only (nothing saved on the account).
pub(super) fn for_this_run(code: Option<&str>, message: String, hint: Option<String>) -> Hold {
    Hold {
        applies_to: AppliesTo::All,
        until: None,
        code: code.unwrap_or_default().to_string(),
        message,
        hint,
        since: chrono::Utc::now(),
    }
}

impl Engine {
    /// Settle `posts` as held by `hold` (no attempt used) and report them in one event.
    pub(super) fn hold_posts(
        &self,
        store: &mut Store,
        account: &str,
        posts: &[Post],
        hold: &Hold,
        needs_auth: bool,
        summary: &mut Summary,
    ) -> Result<()> {
        if posts.is_empty() {
            return Ok(());
        }
        let code = Some(hold.code.clone()).filter(|c| !c.is_empty());
        for post in posts {
            store.settle(
                post.id,
                &Settle::Hold {
                    until: hold.until,
                    code: code.clone(),
                    message: hold.message.clone(),
                    hint: hold.hint.clone(),
                    reset_upload: false,
                },
                self.now,
            )?;
        }
        self.progress.event(&Event::AccountHeld {
            account: account.to_string(),
            posts: posts.iter().map(|p| p.id).collect(),
            code,
            message: hold.message.clone(),
            hint: hold.hint.clone(),
            until: hold.until,
            needs_auth,
        });
        let count = posts.len() as u32;
        if needs_auth {
            summary.needs_auth += count;
            summary.problem.get_or_insert(Problem {
                message: hold.message.clone(),
                hint: hold.hint.clone(),
            });
        } else {
            summary.blocked += count;
        }
        Ok(())
    }

    /// The hold among `holds` that keeps `post` from being attempted now, if any. A quota
    /// spares an upload the platform already accepted (it passed the quota); a pause spares only
    /// an upload the platform has in full, which is only ever polled.
    pub(super) fn held_by(
        &self,
        store: &Store,
        holds: &[Hold],
        post: &Post,
    ) -> Result<Option<usize>> {
        for (i, hold) in holds.iter().enumerate() {
            if !hold.covers(post.options.mode()) || !hold.active(self.now) {
                continue;
            }
            let upload = store.upload_state(post.id)?;
            let blocked = if hold.is_pause() {
                !upload.upload_complete
            } else {
                upload.checkpoint.is_none()
            };
            if blocked {
                return Ok(Some(i));
            }
        }
        Ok(None)
    }

    /// An error about the account rather than the post, while getting a login or attempting
    /// `post`: what to do, or `None` when the post's own error handling applies.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn account_error(
        &self,
        session: &Session,
        store: &mut Store,
        account: &mut Account,
        holds: &mut Vec<Hold>,
        post: &Post,
        e: &Error,
        summary: &mut Summary,
    ) -> Result<Option<Stop>> {
        let uploaded = store.upload_state(post.id)?.upload_complete;
        if let Error::Api(api) = e {
            match api.class() {
                ErrorClass::Client => return self.client_refused(api).map(Some),
                ErrorClass::Auth | ErrorClass::Token => {
                    store.set_account_state(account.id, AccountState::NeedsReconnect, self.now)?;
                    return Ok(Some(Stop::Account {
                        hold: for_this_run(Some(&api.code), e.to_string(), e.hint()),
                        needs_auth: true,
                    }));
                }
                // The login lacks Direct Post: this direct post fails with the way to a draft,
                // and so will the account's next ones (its record no longer counts
                // `video.publish`, so `schedule`/`edit` refuse new ones). Drafts go on.
                ErrorClass::Scope if post.options.mode() == Mode::Direct && !uploaded => {
                    if let Some(scope) = session.provider.direct_scope() {
                        store.drop_scope(account.id, scope, self.now)?;
                        account.scopes.retain(|s| s != scope);
                    }
                    self.refuse_direct(session, store, account, post, Some(api), summary)?;
                    return Ok(Some(Stop::Continue));
                }
                // A draft refused for want of a scope: the login itself must be renewed.
                ErrorClass::Scope => {
                    store.set_account_state(account.id, AccountState::NeedsReconnect, self.now)?;
                    return Ok(Some(Stop::Account {
                        hold: for_this_run(Some(&api.code), e.to_string(), e.hint()),
                        needs_auth: true,
                    }));
                }
                ErrorClass::Quota if !uploaded => {
                    // The quota that stopped this post concerns posts of its kind (TikTok's five
                    // pending drafts count inbox uploads only, and the posts-per-day and
                    // active-creator caps count Direct Posts: the inbox endpoint never sends
                    // them). Other kinds go on.
                    let hold = Hold {
                        applies_to: AppliesTo::mode(post.options.mode()),
                        until: Some(session.provider.quota_ends(&api.code, self.now)),
                        code: api.code.clone(),
                        message: e.to_string(),
                        hint: e.hint(),
                        since: self.now,
                    };
                    store.hold_account(account.id, &hold, self.now)?;
                    holds.push(hold);
                    return Ok(Some(Stop::Held(holds.len() - 1)));
                }
                ErrorClass::Banned if !uploaded => {
                    let failed = Settle::Failed {
                        code: Some(api.code.clone()),
                        message: e.to_string(),
                        hint: api.hint(),
                    };
                    self.record(store, post, failed, summary)?;
                    self.pause(store, account, holds, &api.code)?;
                    return Ok(Some(Stop::Continue));
                }
                // Every byte is in: whatever this answer means, the post is only polled again.
                ErrorClass::Quota | ErrorClass::Banned => {
                    return Ok(Some(Stop::Account {
                        hold: for_this_run(Some(&api.code), e.to_string(), e.hint()),
                        needs_auth: false,
                    }));
                }
                _ => {}
            }
        }
        // No usable login or token store (the account's problem, not the post's): failing the
        // post would need a `retry` once fixed; it waits instead.
        if e.kind() == ErrorKind::NeedsAuth || matches!(e, Error::Secrets(_)) {
            return Ok(Some(Stop::Account {
                hold: for_this_run(None, e.to_string(), e.hint()),
                needs_auth: true,
            }));
        }
        // Another postez is refreshing this login: temporary, for every post of the account.
        if matches!(e, Error::RefreshLocked { .. }) {
            return Ok(Some(Stop::Account {
                hold: for_this_run(None, e.to_string(), e.hint()),
                needs_auth: false,
            }));
        }
        Ok(None)
    }

    /// The platform refused the app's client key or secret: no login of this app can be
    /// refreshed until it is fixed. The saved secret is kept: TikTok's `invalid_client` does not
    /// say which of the two is wrong, and a mistyped key must not cost a headless machine its
    /// secret. `postez connect`, where the user watches, forgets a refused secret and asks again.
    fn client_refused(&self, api: &ApiError) -> Result<Stop> {
        let message = format!(
            "{} refused the app's client key or secret ({}, HTTP {})",
            api.platform.name(),
            api.code,
            api.http
        );
        Ok(Stop::Account {
            hold: for_this_run(Some(&api.code), message, api.hint()),
            needs_auth: true,
        })
    }

    /// Pause the account: the platform refuses it any post (`code`), and says not to retry.
    pub(super) fn pause(
        &self,
        store: &mut Store,
        account: &Account,
        holds: &mut Vec<Hold>,
        code: &str,
    ) -> Result<()> {
        let (name, platform) = (account.platform.name(), account.platform);
        let hold = Hold {
            applies_to: AppliesTo::All,
            until: None,
            code: code.into(),
            message: format!(
                "{name} does not let {} post ({code}), so postez paused the account",
                account.label()
            ),
            hint: Some(format!(
                "look in the {name} app; once the account may post again, run `postez connect \
                 {platform}`: its queued posts then go out"
            )),
            since: self.now,
        };
        store.hold_account(account.id, &hold, self.now)?;
        holds.push(hold);
        Ok(())
    }

    /// Fail a direct post of an account whose login lacks the platform's direct scope, without
    /// calling it (or after it said so, `api`), with the way to a draft.
    pub(super) fn refuse_direct(
        &self,
        session: &Session,
        store: &mut Store,
        account: &Account,
        post: &Post,
        api: Option<&ApiError>,
        summary: &mut Summary,
    ) -> Result<()> {
        let failure = session
            .provider
            .direct_refused(&account.label(), post.id, api);
        let settle = Settle::Failed {
            code: Some(failure.code),
            message: failure.message,
            hint: failure.hint,
        };
        self.record(store, post, settle, summary)
    }
}
