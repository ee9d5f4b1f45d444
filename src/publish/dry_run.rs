//! `postez run --dry-run`: every check a run makes that needs no upload, changing nothing.

use std::path::Path;

use chrono::Utc;

use crate::auth;
use crate::error::{Error, Result};
use crate::post::{Mode, Privacy};
use crate::provider::tiktok::ChunkPlan;
use crate::store::{Account, Store};

use super::{Engine, Event, Subject, Summary};

impl Engine {
    /// `--dry-run`: every check that needs no upload, changing nothing.
    pub(super) async fn dry_run(&self, store: &mut Store) -> Result<Summary> {
        let mut summary = Summary::default();
        let accounts: Vec<Account> = store
            .accounts()?
            .into_iter()
            .filter(|a| a.platform == crate::queue::PLATFORM && a.state != "disconnected")
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
                let account = account.ok_or(Error::NotConnected {
                    platform: "tiktok".into(),
                })?;
                let session = self.session(account)?;
                let tokens = auth::saved_tokens(&session.secrets, account)?;
                let mut notes = Vec::new();
                if tokens.access_expires_at - Utc::now() <= auth::REFRESH_MARGIN {
                    notes.push("the login would be refreshed first".to_string());
                }
                crate::queue::check_media(Path::new(&post.file))?;
                if crate::media::fingerprint(Path::new(&post.file))? != post.fingerprint {
                    return Err(Error::invalid(
                        format!("`{}` changed or moved since it was scheduled", post.file),
                        None,
                    ));
                }
                if post.options.mode == Mode::Direct && tokens.access_expires_at > Utc::now() {
                    let info = session.tiktok.creator_info(&tokens.access_token).await?;
                    let privacy = post
                        .options
                        .privacy
                        .map(Privacy::as_str)
                        .unwrap_or_default();
                    if !info.privacy_level_options.iter().any(|p| p == privacy) {
                        return Err(Error::invalid(
                            format!("{privacy} is not offered to this account"),
                            None,
                        ));
                    }
                    notes.push(format!(
                        "as {}",
                        info.creator_nickname.unwrap_or_else(|| account.label())
                    ));
                }
                Ok(format!(
                    "would {} {} ({}){}",
                    if post.options.mode == Mode::Draft {
                        "send to the inbox"
                    } else {
                        "publish"
                    },
                    subject.file,
                    crate::words::count(
                        ChunkPlan::for_size(post.fingerprint.size).count as usize,
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
