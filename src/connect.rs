//! Connecting an account, one step per stage of the login, so that the caller can show the URL
//! and ask its questions in between: [`Login::start`] binds the loopback listener and makes the
//! authorize URL; [`Login::authorize`] waits for the browser, exchanges the code and checks the
//! scopes granted; [`Authorized::identify`] asks who logged in; [`Identified::check`] compares
//! that with the accounts already connected; [`Identified::save`] keeps the login (or
//! [`Identified::decline`] hands it back). Nothing here prints or prompts.
//!
//! The platform's client is built in [`Login::start`] only, from the credentials given, so that a
//! provider seam can take its place there.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

use crate::auth;
use crate::config::Config;
use crate::env::{Env, Paths};
use crate::error::{Error, Result};
use crate::oauth::{Callback, Listener};
use crate::provider::tiktok::{
    self, AuthRequest, ClientCredentials, CreatorInfo, TikTok, UserInfo,
};
use crate::provider::{ErrorClass, Tokens, client_secret_key, token_key};
use crate::secrets::{Backend, Secret, SecretStore};
use crate::store::{Account, AccountProfile, Store};

/// A login under way: the listener waits for the browser at [`Login::url`]'s redirect.
pub struct Login {
    client: TikTok,
    listener: Listener,
    request: AuthRequest,
    url: url::Url,
    drafts_only: bool,
    /// Kept for after the login: the secret is saved only once the platform has accepted it.
    client_secret: Secret,
}

impl Login {
    /// Bind the loopback listener (on `port`, else any free one) and make the authorize URL,
    /// asking for the drafts scopes only with `drafts_only`.
    pub async fn start(
        env: &Env,
        credentials: ClientCredentials,
        port: Option<u16>,
        drafts_only: bool,
    ) -> Result<Login> {
        let client_secret = credentials.secret.clone();
        let client = auth::tiktok_client(env, credentials)?;
        let listener = Listener::bind(port).await?;
        let scopes = if drafts_only {
            tiktok::DRAFTS_ONLY_SCOPES
        } else {
            tiktok::SCOPES
        };
        let request = AuthRequest::new(listener.redirect_uri(), scopes);
        let url = client.authorize_url(&request)?;
        Ok(Login {
            client,
            listener,
            request,
            url,
            drafts_only,
            client_secret,
        })
    }

    /// The page to open in a browser.
    pub fn url(&self) -> &str {
        self.url.as_str()
    }

    /// The loopback port the browser is sent back to.
    pub fn port(&self) -> u16 {
        self.listener.port()
    }

    /// Wait up to `timeout` for the browser's redirect (or a pasted copy of its address, from
    /// `pasted`), exchange the code for tokens and check that they allow uploading or posting.
    /// A client secret the platform refuses is deleted from `secrets` unless it came from the
    /// environment, so that the next `connect` asks for it instead of failing the same way.
    pub async fn authorize(
        self,
        env: &Env,
        secrets: &SecretStore,
        timeout: Duration,
        pasted: mpsc::Receiver<String>,
    ) -> Result<Authorized> {
        let callback = self
            .listener
            .wait(&self.request.state, timeout, pasted)
            .await?;
        let (code, granted) = match callback {
            Callback::Code { code, scopes } => (code, scopes),
            Callback::Denied { error, description } => {
                let hint = if error == "invalid_scope" && !self.drafts_only {
                    // An app without Direct Post cannot ask for video.publish at all.
                    "if your TikTok app has no Direct Post, run `postez connect tiktok --drafts-only` \
                     (or `postez config set tiktok_direct_post false`)"
                } else {
                    "run `postez connect tiktok` again and allow access"
                };
                return Err(Error::LoginRefused {
                    platform: tiktok::PLATFORM.into(),
                    reason: description.unwrap_or(error),
                    hint: hint.into(),
                });
            }
        };
        // Token lifetimes follow the platform's clock, never POSTEZ_NOW.
        let now = Utc::now();
        let mut tokens = match self.client.exchange_code(&code, &self.request, now).await {
            Ok(t) => t,
            Err(Error::Api(api)) if api.class() == ErrorClass::Client => {
                if env.tiktok_client_secret.is_none() {
                    let _ = secrets.delete(&client_secret_key(tiktok::PLATFORM));
                }
                return Err(Error::Api(api));
            }
            Err(e) => return Err(e),
        };
        drop(code);
        if tokens.scopes.is_empty() {
            tokens.scopes = granted
                .unwrap_or_default()
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
        }
        let notice = scope_notice(&tokens, self.drafts_only)?;
        Ok(Authorized {
            client: self.client,
            tokens,
            now,
            client_secret: self.client_secret,
            notice,
        })
    }
}

/// What the scopes granted leave out, when the account can still upload or post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeNotice {
    /// Drafts only, as asked: videos go to the inbox and are finished in the app.
    DraftsOnly,
    /// Direct Post was asked for and not granted: only drafts will work.
    NoDirectPost,
    /// Drafts were not granted: only direct posts will work.
    NoDrafts,
}

/// Refuse tokens that can neither upload nor post; else what they leave out, if anything.
fn scope_notice(tokens: &Tokens, drafts_only: bool) -> Result<Option<ScopeNotice>> {
    let upload = tokens.has_scope(tiktok::DRAFT_SCOPE);
    let publish = tokens.has_scope(tiktok::DIRECT_POST_SCOPE);
    if !upload && !publish {
        return Err(Error::invalid(
            "TikTok did not grant postez permission to upload or post videos",
            Some(
                "run `postez connect tiktok` again and leave \"upload\" and \"post\" ticked".into(),
            ),
        ));
    }
    Ok(if !publish && drafts_only {
        Some(ScopeNotice::DraftsOnly)
    } else if !publish {
        Some(ScopeNotice::NoDirectPost)
    } else if !upload {
        Some(ScopeNotice::NoDrafts)
    } else {
        None
    })
}

/// A login the platform granted, not saved yet.
pub struct Authorized {
    client: TikTok,
    tokens: Tokens,
    now: DateTime<Utc>,
    client_secret: Secret,
    notice: Option<ScopeNotice>,
}

impl Authorized {
    /// What the granted scopes leave out, to tell the user.
    pub fn notice(&self) -> Option<ScopeNotice> {
        self.notice
    }

    /// Ask the platform who logged in and with which posting options. These only label the
    /// account: a passing refusal (TikTok's "cannot post right now", a 5xx) must not throw away
    /// the login just granted, since the code cannot be used twice. A rejected token still
    /// fails here.
    pub async fn identify(self) -> Result<Identified> {
        let tokens = &self.tokens;
        let user = match self.client.user_info(&tokens.access_token).await.map(Some) {
            Ok(user) => user,
            Err(e) => usable(e)?,
        }
        .unwrap_or_else(|| UserInfo {
            open_id: tokens.open_id.clone(),
            ..Default::default()
        });
        let creator: Option<CreatorInfo> = if tokens.has_scope(tiktok::DIRECT_POST_SCOPE) {
            match self.client.creator_info(&tokens.access_token).await {
                Ok(info) => Some(info),
                Err(e) => usable(e)?,
            }
        } else {
            None
        };
        if user.open_id != tokens.open_id && !user.open_id.is_empty() {
            tracing::warn!("the profile's open_id differs from the token's; using the token's");
        }
        Ok(Identified {
            login: self,
            user,
            creator,
            previous: None,
        })
    }
}

/// A profile call's error: `None` (go on without the detail) unless the token itself was refused.
fn usable<T>(e: Error) -> Result<Option<T>> {
    match &e {
        Error::Api(api)
            if matches!(
                api.class(),
                ErrorClass::Auth | ErrorClass::Token | ErrorClass::Scope
            ) =>
        {
            Err(e)
        }
        _ => {
            tracing::warn!("connecting without the profile details: {e}");
            Ok(None)
        }
    }
}

/// A granted login whose account is known.
pub struct Identified {
    login: Authorized,
    user: UserInfo,
    creator: Option<CreatorInfo>,
    /// The same account's row, from an earlier `connect`.
    previous: Option<Account>,
}

/// A login for an account other than the ones connected so far, which is saved only when the
/// user says so: the authorize URL is visible to other local users (in the browser's command
/// line), and one could finish the login with their own account's code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherAccount {
    /// The account logged in, as a saved one is shown: "Pasta Chef (@pastachef)".
    pub incoming: String,
    /// Its handle (else name, else id), for `postez disconnect tiktok HANDLE`.
    pub handle: String,
    /// The accounts connected so far, by label.
    pub connected: Vec<String>,
}

impl Identified {
    /// Compare the login with the accounts in `store`: another account than the ones connected
    /// is returned for the caller to confirm (or to warn about) before [`Identified::save`].
    pub fn check(&mut self, store: &Store) -> Result<Option<OtherAccount>> {
        let open_id = &self.login.tokens.open_id;
        let accounts = store.accounts()?;
        self.previous = accounts
            .iter()
            .find(|a| a.platform.as_str() == tiktok::PLATFORM && &a.remote_id == open_id)
            .cloned();
        let connected: Vec<String> = accounts
            .iter()
            .filter(|a| a.platform.as_str() == tiktok::PLATFORM && &a.remote_id != open_id)
            .filter(|a| a.state != "disconnected")
            .map(|a| a.label())
            .collect();
        if self.previous.is_some() || connected.is_empty() {
            return Ok(None);
        }
        let creator = self.creator.as_ref();
        Ok(Some(OtherAccount {
            incoming: account_name(&self.user, creator, open_id),
            handle: creator
                .and_then(|c| c.creator_username.clone())
                .or_else(|| self.user.display_name.clone())
                .unwrap_or_else(|| open_id.clone()),
            connected,
        }))
    }

    /// Not kept: hand the access back rather than leave a live token behind. Always
    /// [`Error::Aborted`], for the caller to return.
    pub async fn decline(self) -> Error {
        let _ = self
            .login
            .client
            .revoke(&self.login.tokens.access_token)
            .await;
        Error::Aborted
    }

    /// Keep the login: the tokens and the client secret in `secrets`, the account in `store`
    /// (lifting its pause, with the queue's `now`), and the old copy of the tokens deleted when
    /// the login moved to another store.
    pub fn save(
        self,
        env: &Env,
        config: &Config,
        paths: &Paths,
        secrets: &SecretStore,
        store: &mut Store,
        now: DateTime<Utc>,
    ) -> Result<Connected> {
        let Identified {
            login,
            user,
            creator,
            previous,
        } = self;
        let tokens = &login.tokens;
        // Tokens first: if saving them fails, no account row claims a login that is not there.
        let owner = auth::owner_name(
            creator.as_ref().and_then(|c| c.creator_username.as_deref()),
            user.display_name.as_deref(),
            &tokens.open_id,
        );
        auth::save_login(secrets, tiktok::PLATFORM, tokens, &owner)?;
        // The client secret too, whatever its source: a cron or systemd run has no
        // POSTEZ_TIKTOK_CLIENT_SECRET, and needs the secret at its first refresh.
        secrets.set(&client_secret_key(tiktok::PLATFORM), &login.client_secret)?;
        let profile = AccountProfile {
            platform: crate::provider::Platform::TikTok,
            remote_id: tokens.open_id.clone(),
            display_name: user.display_name.clone(),
            username: creator.as_ref().and_then(|c| c.creator_username.clone()),
            nickname: creator.as_ref().and_then(|c| c.creator_nickname.clone()),
            avatar_url: user.avatar_url.clone(),
            scopes: tokens.scopes.clone(),
            token_store: secrets.backend().as_str().into(),
            access_expires_at: tokens.access_expires_at,
            refresh_expires_at: tokens.refresh_expires_at,
            creator_info: creator.as_ref().and_then(|c| serde_json::to_value(c).ok()),
        };
        let mut account = store.upsert_account(&profile, login.now)?;
        // Connecting again is the way out of a pause (TikTok refused the account any post): the
        // user has looked, and says go on. Its posts count as due from the queue's now.
        let resumed = store.lift_pause(account.id, now)?;
        if resumed.is_some() {
            account = store.account(account.id)?.unwrap_or(account);
        }
        if let Some(old) =
            previous.filter(|p| p.token_store.as_deref() != Some(secrets.backend().as_str()))
        {
            // The login moved to another store: the old copy must not linger.
            let old_backend = auth::account_backend(&old);
            if let Ok(old_store) = auth::open_store(old_backend, paths, env, config) {
                let _ = old_store.delete(&token_key(old.platform.as_str(), &old.remote_id));
            }
        }
        Ok(Connected {
            account,
            resumed,
            backend: secrets.backend(),
        })
    }
}

/// A saved login.
#[derive(Debug, Clone)]
pub struct Connected {
    /// The account, as saved.
    pub account: Account,
    /// Queued posts that go out again, when connecting lifted the account's pause.
    pub resumed: Option<usize>,
    /// Where the tokens are kept.
    pub backend: Backend,
}

/// How an account is shown before it is saved, in the same form as a saved one
/// ([`Account::name`]): "Pasta Chef (@pastachef)", else its open_id.
fn account_name(user: &UserInfo, creator: Option<&CreatorInfo>, open_id: &str) -> String {
    crate::store::display_name(
        user.display_name
            .as_deref()
            .or(creator.and_then(|c| c.creator_nickname.as_deref())),
        creator.and_then(|c| c.creator_username.as_deref()),
        open_id,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(scopes: &[&str]) -> Tokens {
        let at: DateTime<Utc> = "2026-12-01T00:00:00Z".parse().unwrap();
        Tokens {
            open_id: "o".into(),
            access_token: Secret::new("a"),
            refresh_token: Secret::new("r"),
            access_expires_at: at,
            refresh_expires_at: at,
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn scopes_must_allow_uploading_or_posting() {
        let none = tokens(&["user.info.basic"]);
        assert!(scope_notice(&none, false).is_err());
        let both = tokens(&[tiktok::DRAFT_SCOPE, tiktok::DIRECT_POST_SCOPE]);
        assert_eq!(scope_notice(&both, false).unwrap(), None);
        let drafts = tokens(&[tiktok::DRAFT_SCOPE]);
        assert_eq!(
            scope_notice(&drafts, true).unwrap(),
            Some(ScopeNotice::DraftsOnly)
        );
        assert_eq!(
            scope_notice(&drafts, false).unwrap(),
            Some(ScopeNotice::NoDirectPost)
        );
        let publish = tokens(&[tiktok::DIRECT_POST_SCOPE]);
        assert_eq!(
            scope_notice(&publish, false).unwrap(),
            Some(ScopeNotice::NoDrafts)
        );
    }

    /// A granted login for `open_id` (its client never called: these tests stay offline).
    fn identified(open_id: &str, username: Option<&str>) -> Identified {
        let credentials = ClientCredentials {
            key: "key".into(),
            secret: Secret::new("client secret"),
        };
        let client =
            TikTok::new("http://127.0.0.1:9", "http://127.0.0.1:9/auth", credentials).unwrap();
        let mut tokens = tokens(&[tiktok::DRAFT_SCOPE, tiktok::DIRECT_POST_SCOPE]);
        tokens.open_id = open_id.into();
        let creator = username.map(|u| CreatorInfo {
            creator_username: Some(u.into()),
            ..Default::default()
        });
        Identified {
            login: Authorized {
                client,
                now: tokens.access_expires_at,
                tokens,
                client_secret: Secret::new("client secret"),
                notice: None,
            },
            user: UserInfo {
                open_id: open_id.into(),
                display_name: Some(format!("Name of {open_id}")),
                ..Default::default()
            },
            creator,
            previous: None,
        }
    }

    struct Fixture {
        _dir: tempfile::TempDir,
        paths: Paths,
        secrets: SecretStore,
        store: Store,
    }

    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths {
            config_dir: dir.path().join("config"),
            data_dir: dir.path().join("data"),
            state_dir: dir.path().join("state"),
        };
        crate::files::ensure_private_dir(&paths.data_dir).unwrap();
        let secrets = SecretStore::File(crate::secrets::FileStore::new(
            paths.secrets_file(),
            Secret::new("passphrase"),
        ));
        let store = Store::open_in_memory().unwrap();
        Fixture {
            _dir: dir,
            paths,
            secrets,
            store,
        }
    }

    fn connect(f: &mut Fixture, login: Identified) -> Connected {
        let now = "2026-12-01T10:00:00Z".parse().unwrap();
        let (env, config) = (Env::default(), Config::default());
        login
            .save(&env, &config, &f.paths, &f.secrets, &mut f.store, now)
            .unwrap()
    }

    #[test]
    fn a_first_login_is_saved_with_its_client_secret() {
        let mut f = fixture();
        let mut login = identified("alice-id", Some("alice"));
        assert_eq!(login.check(&f.store).unwrap(), None);
        let connected = connect(&mut f, login);
        assert_eq!(connected.account.name(), "Name of alice-id (@alice)");
        assert_eq!(connected.backend, Backend::File);
        assert_eq!(connected.resumed, None);
        let saved = auth::saved_tokens(&f.secrets, &connected.account).unwrap();
        assert_eq!(saved.open_id, "alice-id");
        let secret = f.secrets.get(&client_secret_key(tiktok::PLATFORM)).unwrap();
        assert_eq!(secret.unwrap().expose(), "client secret");
    }

    #[test]
    fn another_account_is_named_for_the_caller_to_confirm() {
        let mut f = fixture();
        let mut first = identified("alice-id", Some("alice"));
        first.check(&f.store).unwrap();
        connect(&mut f, first);
        // The same account again: nothing to ask.
        let mut again = identified("alice-id", Some("alice"));
        assert_eq!(again.check(&f.store).unwrap(), None);
        let mut other = identified("bob-id", Some("bob"));
        let asked = other.check(&f.store).unwrap().unwrap();
        assert_eq!(asked.incoming, "Name of bob-id (@bob)");
        assert_eq!(asked.handle, "bob");
        assert_eq!(asked.connected.len(), 1);
        // Without a handle, the name stands in for it.
        let mut nameless = identified("carol-id", None);
        let asked = nameless.check(&f.store).unwrap().unwrap();
        assert_eq!(asked.handle, "Name of carol-id");
    }

    #[test]
    fn a_disconnected_account_is_not_one_to_ask_about() {
        let mut f = fixture();
        let first = identified("alice-id", Some("alice"));
        let alice = connect(&mut f, first).account;
        let now = "2026-12-01T11:00:00Z".parse().unwrap();
        f.store
            .set_account_state(alice.id, "disconnected", now)
            .unwrap();
        let mut other = identified("bob-id", Some("bob"));
        assert_eq!(other.check(&f.store).unwrap(), None);
    }
}
