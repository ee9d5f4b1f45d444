//! Connecting an account, one step per stage of the login, so that the caller can show the URL
//! and ask its questions in between: [`Login::start`] binds the loopback listener and makes the
//! authorize URL; [`Login::authorize`] waits for the browser, exchanges the code and checks the
//! scopes granted; [`Authorized::identify`] asks who logged in; [`Identified::check`] compares
//! that with the accounts already connected; [`Identified::save`] keeps the login (or
//! [`Identified::decline`] hands it back). Nothing here prints or prompts.
//!
//! The platform's part of each step is its provider's ([`crate::provider::LoginSteps`]), built in
//! [`Login::start`] from the credentials given; what is the same for every platform (the
//! loopback, the scope check, the secret store, the account row) is here.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

use crate::auth;
use crate::config::Config;
use crate::env::{Env, Paths};
use crate::error::{Error, Result};
use crate::oauth::{Callback, Listener};
use crate::provider::{
    self, ClientCredentials, ErrorClass, PendingLogin, Platform, Profile, Provider, Tokens,
    client_secret_key, token_key,
};
use crate::secrets::{Backend, Secret, SecretStore};
use crate::store::{Account, AccountProfile, AccountState, Store};

/// A login under way: the listener waits for the browser at [`Login::url`]'s redirect.
pub struct Login {
    provider: Box<dyn Provider>,
    listener: Listener,
    pending: PendingLogin,
    url: url::Url,
    drafts_only: bool,
    /// Kept for after the login: the secret is saved only once the platform has accepted it.
    client_secret: Secret,
}

impl Login {
    /// Bind the loopback listener (on `port`, else any free one) and make `platform`'s
    /// authorize URL, asking for the drafts scopes only with `drafts_only`, and with `manage`
    /// for the scope that changes and deletes posts already up ([`check_manage`] first).
    pub async fn start(
        env: &Env,
        platform: Platform,
        credentials: ClientCredentials,
        port: Option<u16>,
        drafts_only: bool,
        manage: bool,
    ) -> Result<Login> {
        check_manage(platform, manage)?;
        let client_secret = credentials.secret.clone();
        let provider = provider::for_app(platform, env, credentials)?;
        let listener = Listener::bind(port).await?;
        let mut scopes = provider.scopes().asked(drafts_only);
        scopes.extend(provider.scopes().manage.filter(|_| manage));
        let (url, pending) = provider.authorize(&listener.redirect_uri(), &scopes)?;
        Ok(Login {
            provider,
            listener,
            pending,
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
        config: &Config,
        secrets: &SecretStore,
        timeout: Duration,
        pasted: mpsc::Receiver<String>,
    ) -> Result<Authorized> {
        let platform = self.provider.platform();
        let callback = self
            .listener
            .wait(platform, self.pending.state(), timeout, pasted)
            .await?;
        let (code, granted) = match callback {
            Callback::Code { code, scopes } => (code, scopes),
            Callback::Denied { error, description } => {
                let hint = self
                    .provider
                    .denied_hint(&error, self.drafts_only)
                    .unwrap_or_else(|| {
                        format!("run `postez connect {platform}` again and allow access")
                    });
                return Err(Error::LoginRefused {
                    platform: platform.as_str().into(),
                    reason: description.unwrap_or(error),
                    hint,
                });
            }
        };
        // Token lifetimes follow the platform's clock, never POSTEZ_NOW.
        let now = Utc::now();
        let mut tokens = match self.provider.exchange(&code, &self.pending, now).await {
            Ok(t) => t,
            Err(Error::Api(api)) if api.class() == ErrorClass::Client => {
                if provider::app_settings(platform, env, config)
                    .env_secret
                    .is_none()
                {
                    let _ = secrets.delete(&client_secret_key(platform.as_str()));
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
        let notice = scope_notice(self.provider.as_ref(), &tokens, self.drafts_only)?;
        Ok(Authorized {
            provider: self.provider,
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
    /// Direct Post was asked for and not granted (`scope`): only drafts will work.
    NoDirectPost {
        /// The scope not granted.
        scope: &'static str,
    },
    /// Drafts were not granted (`scope`): only direct posts will work.
    NoDrafts {
        /// The scope not granted.
        scope: &'static str,
    },
}

/// Refuse tokens that can neither upload nor post; else what they leave out, if anything.
fn scope_notice(
    provider: &dyn Provider,
    tokens: &Tokens,
    drafts_only: bool,
) -> Result<Option<ScopeNotice>> {
    let platform = provider.platform();
    let scopes = provider.scopes();
    let (upload, publish) = scopes.granted(tokens);
    if !upload && !publish {
        return Err(Error::invalid(
            format!(
                "{} did not grant postez permission to upload or post videos",
                platform.name()
            ),
            Some(format!(
                "run `postez connect {platform}` again and leave \"upload\" and \"post\" ticked"
            )),
        ));
    }
    Ok(match (scopes.draft, scopes.direct) {
        _ if !publish && drafts_only => Some(ScopeNotice::DraftsOnly),
        (_, Some(scope)) if !publish => Some(ScopeNotice::NoDirectPost { scope }),
        (Some(scope), _) if !upload => Some(ScopeNotice::NoDrafts { scope }),
        _ => None,
    })
}

/// Refuse `connect --manage` for a platform with nothing to manage after posting.
pub fn check_manage(platform: Platform, manage: bool) -> Result<()> {
    if manage && platform.rules().scopes().manage.is_none() {
        return Err(crate::error::Error::invalid(
            format!(
                "{} posts cannot be changed or deleted through its API, so --manage has nothing to ask for",
                platform.name()
            ),
            Some("drop --manage".into()),
        ));
    }
    Ok(())
}

/// A login the platform granted, not saved yet.
pub struct Authorized {
    provider: Box<dyn Provider>,
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
    /// account: a passing refusal (TikTok's "cannot post right now", a 5xx) does not throw away
    /// the login just granted, since the code cannot be used twice; a rejected token still
    /// fails here ([`crate::provider::LoginSteps::profile`]).
    pub async fn identify(self) -> Result<Identified> {
        let profile = self.provider.profile(&self.tokens).await?;
        Ok(Identified {
            login: self,
            profile,
            previous: None,
        })
    }
}

/// A granted login whose account is known.
pub struct Identified {
    login: Authorized,
    profile: Profile,
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
    /// Its handle (else name, else id), for `postez disconnect PLATFORM HANDLE`.
    pub handle: String,
    /// The accounts connected so far, by label.
    pub connected: Vec<String>,
}

impl Identified {
    /// Compare the login with the accounts in `store`: another account than the ones connected
    /// is returned for the caller to confirm (or to warn about) before [`Identified::save`].
    pub fn check(&mut self, store: &Store) -> Result<Option<OtherAccount>> {
        let platform = self.login.provider.platform();
        let open_id = &self.login.tokens.open_id;
        let accounts = store.accounts()?;
        self.previous = accounts
            .iter()
            .find(|a| a.platform == platform && &a.remote_id == open_id)
            .cloned();
        let connected: Vec<String> = accounts
            .iter()
            .filter(|a| a.platform == platform && &a.remote_id != open_id)
            .filter(|a| a.state != AccountState::Disconnected)
            .map(|a| a.label())
            .collect();
        if self.previous.is_some() || connected.is_empty() {
            return Ok(None);
        }
        let profile = &self.profile;
        Ok(Some(OtherAccount {
            incoming: account_name(profile),
            handle: profile
                .username
                .clone()
                .or_else(|| profile.display_name.clone())
                .unwrap_or_else(|| open_id.clone()),
            connected,
        }))
    }

    /// Not kept: hand the access back rather than leave a live token behind. Always
    /// [`Error::Aborted`], for the caller to return.
    pub async fn decline(self) -> Error {
        let _ = self
            .login
            .provider
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
            profile,
            previous,
        } = self;
        let platform = login.provider.platform();
        let tokens = &login.tokens;
        // Tokens first: if saving them fails, no account row claims a login that is not there.
        let owner = auth::owner_name(
            profile.username.as_deref(),
            profile.display_name.as_deref(),
            &tokens.open_id,
        );
        auth::save_login(secrets, platform.as_str(), tokens, &owner)?;
        // The client secret too, whatever its source: a cron or systemd run has no secret in
        // its environment, and needs it at its first refresh.
        secrets.set(&client_secret_key(platform.as_str()), &login.client_secret)?;
        let account_profile = AccountProfile {
            platform,
            remote_id: tokens.open_id.clone(),
            display_name: profile.display_name,
            username: profile.username,
            nickname: profile.nickname,
            avatar_url: profile.avatar_url,
            scopes: tokens.scopes.clone(),
            token_store: secrets.backend().as_str().into(),
            access_expires_at: tokens.access_expires_at,
            refresh_expires_at: tokens.refresh_expires_at,
            creator_info: profile.account_info,
        };
        let mut account = store.upsert_account(&account_profile, login.now)?;
        // Connecting again is the way out of a pause (the platform refused the account any
        // post): the user has looked, and says go on. Its posts count as due from the queue's
        // now.
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
/// ([`Account::name`]): "Pasta Chef (@pastachef)", else its id.
fn account_name(profile: &Profile) -> String {
    crate::store::display_name(
        profile
            .display_name
            .as_deref()
            .or(profile.nickname.as_deref()),
        profile.username.as_deref(),
        &profile.remote_id,
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
            refresh_expires_at: Some(at),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// The default platform's provider (its network never called: these tests stay offline).
    fn provider() -> Box<dyn Provider> {
        let credentials = ClientCredentials {
            key: "key".into(),
            secret: Secret::new("client secret"),
        };
        provider::for_app(Platform::default(), &Env::default(), credentials).unwrap()
    }

    #[test]
    fn scopes_must_allow_uploading_or_posting() {
        let provider = provider();
        let provider = provider.as_ref();
        let scopes = provider.scopes();
        let (draft, direct) = (scopes.draft.unwrap(), scopes.direct.unwrap());
        let none = tokens(scopes.basic);
        let e = scope_notice(provider, &none, false).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{} did not grant postez permission to upload or post videos",
                provider.platform().name()
            )
        );
        let both = tokens(&[draft, direct]);
        assert_eq!(scope_notice(provider, &both, false).unwrap(), None);
        let drafts = tokens(&[draft]);
        assert_eq!(
            scope_notice(provider, &drafts, true).unwrap(),
            Some(ScopeNotice::DraftsOnly)
        );
        assert_eq!(
            scope_notice(provider, &drafts, false).unwrap(),
            Some(ScopeNotice::NoDirectPost { scope: direct })
        );
        let publish = tokens(&[direct]);
        assert_eq!(
            scope_notice(provider, &publish, false).unwrap(),
            Some(ScopeNotice::NoDrafts { scope: draft })
        );
    }

    /// A granted login for `open_id`.
    fn identified(open_id: &str, username: Option<&str>) -> Identified {
        let provider = provider();
        let scopes = provider.scopes();
        let mut tokens = tokens(&[scopes.draft.unwrap(), scopes.direct.unwrap()]);
        tokens.open_id = open_id.into();
        Identified {
            login: Authorized {
                provider,
                now: tokens.access_expires_at,
                tokens,
                client_secret: Secret::new("client secret"),
                notice: None,
            },
            profile: Profile {
                remote_id: open_id.into(),
                display_name: Some(format!("Name of {open_id}")),
                username: username.map(str::to_string),
                ..Default::default()
            },
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
        let secret = f
            .secrets
            .get(&client_secret_key(Platform::default().as_str()))
            .unwrap();
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
            .set_account_state(alice.id, AccountState::Disconnected, now)
            .unwrap();
        let mut other = identified("bob-id", Some("bob"));
        assert_eq!(other.check(&f.store).unwrap(), None);
    }
}
