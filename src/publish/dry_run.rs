//! `postez run --dry-run`: every check a run makes that needs no upload, changing nothing. The
//! platform's checks are the run's own ([`crate::provider::Provider::prepare`]).

use std::path::Path;

use chrono::Utc;

use crate::auth;
use crate::error::{Error, Result};
use crate::post::{Mode, PostState};
use crate::provider::{Platform, Verdict};
use crate::store::{Account, AccountState, Store};

use super::{Engine, Event, Subject, Summary};

impl Engine {
    /// `--dry-run`: every check that needs no upload, changing nothing.
    pub(super) async fn dry_run(&self, store: &mut Store) -> Result<Summary> {
        let mut summary = Summary::default();
        let accounts: Vec<Account> = store
            .accounts()?
            .into_iter()
            .filter(|a| a.state != AccountState::Disconnected)
            .collect();
        for id in store.due(self.now)? {
            summary.due += 1;
            let post = store.post(id)?;
            let subject = Subject::of(&post);
            let account = post
                .account_id
                .or_else(|| self.default_account(&accounts))
                .and_then(|id| accounts.iter().find(|a| a.id == id));
            let verdict: Result<String> = async {
                let account = account.ok_or_else(|| Error::NotConnected {
                    platform: post.platform.clone(),
                })?;
                let session = self.session(account)?;
                let tokens = auth::saved_tokens(&session.secrets, account)?;
                let mut notes = Vec::new();
                if tokens.access_expires_at - Utc::now() <= auth::REFRESH_MARGIN {
                    notes.push("the login would be refreshed first".to_string());
                }
                let platform = post.platform.parse::<Platform>()?;
                let rules = platform.rules();
                // Held by the platform (or its upload complete): the run only asks about it.
                if post.state == PostState::Uploaded || store.upload_state(post.id)?.upload_complete
                {
                    notes.insert(
                        0,
                        format!(
                            "would ask {} whether it is public (it is uploaded)",
                            platform.name()
                        ),
                    );
                    return Ok(notes.join(", "));
                }
                if post.upload_ahead() && rules.can_hold_until(post.scheduled_at, self.now) {
                    notes.push(format!(
                        "uploaded ahead: {} makes it public at {}",
                        platform.name(),
                        crate::store::db_time(post.scheduled_at)
                    ));
                }
                // A video the shared queue holds is checked by the run that fetches it.
                if post.media_id.is_none() {
                    crate::queue::check_media(Path::new(&post.file), rules)?;
                }
                if post.media_id.is_none()
                    && crate::media::fingerprint(Path::new(&post.file))? != post.fingerprint
                {
                    return Err(Error::invalid(
                        format!("`{}` changed or moved since it was scheduled", post.file),
                        None,
                    ));
                }
                // The platform's checks, as a run makes them (with a token that still works:
                // a dry run refreshes nothing).
                if tokens.access_expires_at > Utc::now() {
                    let prepared = session
                        .provider
                        .prepare(&tokens.access_token, account, &post)
                        .await?;
                    match prepared.verdict {
                        Verdict::Go {
                            adjusted, creator, ..
                        } => {
                            notes.extend(adjusted);
                            if let Some(name) = creator {
                                notes.push(format!("as {name}"));
                            }
                        }
                        Verdict::Refused { message, hint, .. }
                        | Verdict::Blocked { message, hint } => {
                            return Err(Error::invalid(message, Some(hint)));
                        }
                    }
                }
                Ok(format!(
                    "would {} {} ({}){}",
                    if post.options.mode() == Mode::Draft {
                        "send to the inbox"
                    } else {
                        "publish"
                    },
                    subject.file,
                    crate::words::count(
                        session.provider.plan(post.fingerprint.size).count as usize,
                        "chunk"
                    ),
                    if notes.is_empty() {
                        String::new()
                    } else {
                        format!(", {}", notes.join(", "))
                    }
                ))
            }
            .await;
            match verdict {
                Ok(message) => self.progress.event(&Event::WouldPublish {
                    post: subject,
                    message,
                }),
                Err(e) => {
                    summary.blocked += 1;
                    self.progress.event(&Event::Blocked {
                        post: subject,
                        message: e.to_string(),
                        hint: e.hint(),
                    });
                }
            }
        }
        Ok(summary)
    }
}
