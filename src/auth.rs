//! An account's login over its life: where its tokens live (keychain or encrypted file; a shared
//! queue's database in shared mode), saving them after a login, handing out a fresh access token
//! (refreshing ahead of expiry under a cross-process lock, or the login's row lock in shared
//! mode, so two cron runs or two machines never spend one rotating refresh token twice), and
//! marking the account `needs_reconnect` when its platform rejects the saved login.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::env::{Env, Paths};
use crate::error::{Error, Result};
use crate::lock::{FileLock, Wait};
use crate::provider::{ErrorClass, Provider, Tokens, token_key};
use crate::secrets::{
    Backend, DEFAULT_KEYCHAIN_TIMEOUT, DatabaseStore, FileStore, Keychain, SERVICE, Secret,
    SecretError, SecretStore, TeamKey, require_private,
};
use crate::store::{Account, Location, Store};

/// Refresh when the access token expires within this margin.
pub const REFRESH_MARGIN: chrono::Duration = chrono::Duration::minutes(5);

/// Which store to use: the flag, else `POSTEZ_TOKEN_STORE`, else the setting, else the keychain;
/// in shared mode the database, the only store every machine of the team can read.
pub fn chosen_backend(flag: Option<Backend>, env: &Env, config: &Config) -> Result<Backend> {
    let backend = match flag {
        Some(b) => Some(b),
        None => match env.token_store.as_deref().or(config.token_store.as_deref()) {
            None => None,
            Some(t) => Some(t.parse().map_err(|_| {
                Error::config(
                    format!("`{t}` is not a token store"),
                    Some("use `keychain` or `file` (POSTEZ_TOKEN_STORE or `postez config set token_store`), or `database` with a shared queue".into()),
                )
            })?),
        },
    };
    let shared = env.database_url.is_some() || config.database_url.is_some();
    match (backend, shared) {
        (None, false) => Ok(Backend::Keychain),
        (None | Some(Backend::Database), true) => Ok(Backend::Database),
        (Some(Backend::Database), false) => Err(no_shared_queue()),
        (Some(other), true) => Err(Error::config(
            format!(
                "the `{other}` token store cannot be used with a shared queue: other machines \
                 could not read its logins"
            ),
            Some(
                "unset POSTEZ_TOKEN_STORE and the `token_store` setting (or set it to \
                 `database`): in shared mode logins live in the database, sealed with the team key"
                    .into(),
            ),
        )),
        (Some(b), false) => Ok(b),
    }
}

/// The OS keychain.
pub fn keychain() -> SecretStore {
    SecretStore::Keychain(Keychain::new(SERVICE, DEFAULT_KEYCHAIN_TIMEOUT))
}

/// The passphrase of the token file from `POSTEZ_PASSPHRASE` or the `passphrase_command`
/// setting; `None` when neither is set (the CLI may then ask). The command runs only when the
/// config file and the data folder are the user's alone (see [`require_private`]).
pub fn passphrase(paths: &Paths, env: &Env, config: &Config) -> Result<Option<Secret>> {
    if let Some(p) = &env.passphrase {
        return Ok(Some(p.clone()));
    }
    match &config.passphrase_command {
        Some(cmd) => {
            const ACTION: &str = "run the passphrase command";
            require_private(&paths.config_file(), ACTION)?;
            require_private(&paths.data_dir, ACTION)?;
            Ok(Some(crate::secrets::passphrase_from_command(cmd)?))
        }
        None => Ok(None),
    }
}

/// The encrypted token file, once its folder and the file itself are the user's alone: a
/// token file someone else could swap is neither read nor written.
pub fn file_store(paths: &Paths, passphrase: Secret) -> Result<SecretStore> {
    const ACTION: &str = "use the token file";
    require_private(&paths.data_dir, ACTION)?;
    require_private(&paths.secrets_file(), ACTION)?;
    Ok(SecretStore::File(FileStore::new(
        paths.secrets_file(),
        passphrase,
    )))
}

/// The token store `database` asked for without a shared queue.
fn no_shared_queue() -> Error {
    Error::config(
        "the `database` token store keeps logins in a shared queue, and none is set",
        Some(
            "set POSTEZ_DATABASE_URL (or `postez config set database_url postgres://…`), or use \
             `keychain` or `file`"
                .into(),
        ),
    )
}

/// The shared queue's logins: the queue's URL, and the team key from the `team_key_file`
/// setting, else the passphrase (POSTEZ_PASSPHRASE or `passphrase_command`).
pub fn database_store(paths: &Paths, env: &Env, config: &Config) -> Result<SecretStore> {
    let Location::Server(url) = Location::resolve(paths, env, config)? else {
        return Err(no_shared_queue());
    };
    let key = match &config.team_key_file {
        Some(file) => TeamKey::from_file(Path::new(file))?,
        None => match passphrase(paths, env, config)? {
            Some(p) => TeamKey::Passphrase(p),
            None => return Err(SecretError::NoTeamKey.into()),
        },
    };
    Ok(SecretStore::Database(DatabaseStore::new(url, key)))
}

/// Open the store of `backend` without prompting (for cron): the file store needs a
/// passphrase from the environment or the passphrase command.
pub fn open_store(
    backend: Backend,
    paths: &Paths,
    env: &Env,
    config: &Config,
) -> Result<SecretStore> {
    match backend {
        Backend::Keychain => Ok(keychain()),
        Backend::File => match passphrase(paths, env, config)? {
            Some(p) => file_store(paths, p),
            None => Err(SecretError::NoPassphrase.into()),
        },
        Backend::Database => database_store(paths, env, config),
    }
}

/// The store an account's tokens were saved in.
pub fn account_backend(account: &Account) -> Backend {
    match account.token_store.as_deref() {
        Some("file") => Backend::File,
        Some("database") => Backend::Database,
        _ => Backend::Keychain,
    }
}

/// The saved tokens of an account, or `NeedsReconnect` when there are none.
pub fn saved_tokens(secrets: &SecretStore, account: &Account) -> Result<Tokens> {
    let saved = secrets.get(&token_key(account.platform.as_str(), &account.remote_id))?;
    tokens_of(saved.as_ref(), account)
}

/// The tokens in a saved login, or `NeedsReconnect` when there is none.
fn tokens_of(saved: Option<&Secret>, account: &Account) -> Result<Tokens> {
    match saved {
        Some(secret) => Tokens::from_secret(secret, account.platform),
        None => Err(Error::NeedsReconnect {
            platform: account.platform.to_string(),
            account: account.label(),
            reason: "no saved login was found in the token store".into(),
        }),
    }
}

/// Save tokens; a refresh token is never replaced by an empty one (the provider refuses those).
pub fn save_tokens(secrets: &SecretStore, platform: &str, tokens: &Tokens) -> Result<()> {
    secrets.set(&token_key(platform, &tokens.open_id), &tokens.to_secret())?;
    Ok(())
}

/// Save the tokens of the account `owner` ("@handle", else its name): as [`save_tokens`], and the
/// keychain item says whose login it is ("postez: TikTok login for @handle").
pub fn save_login(
    secrets: &SecretStore,
    platform: &str,
    tokens: &Tokens,
    owner: &str,
) -> Result<()> {
    secrets.set_labeled(
        &token_key(platform, &tokens.open_id),
        &tokens.to_secret(),
        &crate::secrets::login_label(platform, owner),
    )?;
    Ok(())
}

/// How a login's label names the account: "@handle", else the display name, else the id.
pub fn owner_name(username: Option<&str>, display_name: Option<&str>, remote_id: &str) -> String {
    match (username, display_name) {
        (Some(handle), _) => format!("@{handle}"),
        (None, Some(name)) => name.to_owned(),
        (None, None) => remote_id.to_owned(),
    }
}

fn lock_path(paths: &Paths, account: &Account) -> PathBuf {
    // open_ids are opaque; keep the file name to safe characters.
    let safe: String = account
        .remote_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    paths
        .data_dir
        .join(format!("refresh-{}-{safe}.lock", account.platform))
}

/// The refresh token of the login this process last handed out, per login key. A forced
/// refresh follows a refused access token, and the login refused is that one: comparing the
/// saved login with it (not with a re-read, which may already be another process's fresh
/// login) is what keeps a second process from refreshing again what the first just did.
static HANDED_OUT: std::sync::Mutex<Vec<(String, Secret)>> = std::sync::Mutex::new(Vec::new());

/// Records `tokens` as handed out for `key`, and returns them.
fn hand_out(key: &str, tokens: Tokens) -> Tokens {
    let mut handed = HANDED_OUT.lock().unwrap_or_else(|p| p.into_inner());
    handed.retain(|(k, _)| k != key);
    handed.push((key.to_owned(), tokens.refresh_token.clone()));
    tokens
}

/// The refresh token of the login last handed out for `key` in this process.
fn handed_out(key: &str) -> Option<Secret> {
    let handed = HANDED_OUT.lock().unwrap_or_else(|p| p.into_inner());
    handed
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, s)| s.clone())
}

/// How long to wait for another process's refresh of the same login.
pub const REFRESH_LOCK_WAIT: Duration = Duration::from_secs(60);

/// Hold the refresh lock at `path`, polling for it up to `wait` ([`Wait::Up`]). A lock still
/// held after `wait` is [`Error::RefreshLocked`]: temporary (exit 75), the post waits for the
/// next run.
async fn lock_file(path: &Path, account: &str, wait: Duration) -> Result<FileLock> {
    FileLock::acquire(path, Wait::Up(wait), "refresh lock")
        .await?
        .ok_or_else(|| Error::RefreshLocked {
            account: account.to_string(),
            path: path.to_path_buf(),
            waited: wait,
        })
}

/// What keeps a refresh to one process at a time: a lock file next to the local queue, or, in
/// shared mode, the login's row in the database (`SELECT … FOR UPDATE`), which every machine
/// of the team sees.
enum RefreshLock<'a> {
    /// Held for as long as the value lives (released on drop).
    File(#[allow(dead_code)] FileLock),
    Row(Box<crate::secrets::HeldLogin<'a>>),
}

/// Locks the row of `account`'s login in the shared queue, waiting at most `wait` for
/// another machine's refresh; still held then is [`Error::RefreshLocked`], as with the file.
fn lock_row<'a>(
    db: &'a DatabaseStore,
    account: &Account,
    wait: Duration,
) -> Result<crate::secrets::HeldLogin<'a>> {
    let key = token_key(account.platform.as_str(), &account.remote_id);
    // This blocks the task's thread while another machine refreshes (seconds at most, and the
    // run has nothing else to do for this account meanwhile).
    db.hold(&key, wait)?.ok_or_else(|| Error::RefreshLocked {
        account: account.label(),
        path: PathBuf::from(format!("the row of {key} in the shared queue")),
        waited: wait,
    })
}

/// A usable access token for `account`: the saved one while it has more than five minutes
/// left (unless `force`), else a refreshed one. Refreshing re-reads the saved tokens under a
/// lock first, so a token another process just refreshed is used instead of refreshing twice.
pub async fn fresh_tokens(
    provider: &dyn Provider,
    secrets: &SecretStore,
    paths: &Paths,
    store: &mut Store,
    account: &Account,
    force: bool,
    now: DateTime<Utc>,
) -> Result<Tokens> {
    fresh_tokens_waiting(
        provider,
        secrets,
        paths,
        store,
        account,
        force,
        now,
        REFRESH_LOCK_WAIT,
    )
    .await
}

/// [`fresh_tokens`], waiting at most `wait` for another process's refresh of the same login.
#[allow(clippy::too_many_arguments)]
pub async fn fresh_tokens_waiting(
    provider: &dyn Provider,
    secrets: &SecretStore,
    paths: &Paths,
    store: &mut Store,
    account: &Account,
    force: bool,
    now: DateTime<Utc>,
    wait: Duration,
) -> Result<Tokens> {
    let key = token_key(account.platform.as_str(), &account.remote_id);
    let tokens = saved_tokens(secrets, account)?;
    if !force && tokens.access_expires_at - now > REFRESH_MARGIN {
        return Ok(hand_out(&key, tokens));
    }
    let baseline = match handed_out(&key) {
        Some(refused) if force => refused,
        _ => tokens.refresh_token.clone(),
    };
    let mut lock = match secrets {
        SecretStore::Database(db) => RefreshLock::Row(Box::new(lock_row(db, account, wait)?)),
        _ => {
            RefreshLock::File(lock_file(&lock_path(paths, account), &account.label(), wait).await?)
        }
    };
    let current = match &lock {
        RefreshLock::Row(row) => tokens_of(row.value(), account)?,
        RefreshLock::File(_) => saved_tokens(secrets, account)?,
    };
    // Another process refreshed while we waited for the lock: its token is brand new, so use
    // it rather than spend the rotated refresh token again.
    let someone_refreshed = current.refresh_token != baseline;
    if someone_refreshed && current.access_expires_at - now > chrono::Duration::seconds(30) {
        tracing::debug!(account = %account.label(), "using the login another process refreshed");
        return Ok(hand_out(&key, current));
    }
    if current.refresh_expires_at.is_some_and(|t| t <= now) {
        store.set_account_state(account.id, crate::store::AccountState::NeedsReconnect, now)?;
        return Err(Error::NeedsReconnect {
            platform: account.platform.to_string(),
            account: account.label(),
            reason: "the saved login expired".into(),
        });
    }
    tracing::info!(account = %account.label(), "refreshing the login");
    let mut fresh = match provider.refresh(&current.refresh_token, now).await {
        Ok(t) => t,
        Err(Error::Api(e)) if matches!(e.class(), ErrorClass::Auth | ErrorClass::Token) => {
            store.set_account_state(account.id, crate::store::AccountState::NeedsReconnect, now)?;
            return Err(Error::NeedsReconnect {
                platform: account.platform.to_string(),
                account: account.label(),
                reason: format!(
                    "{} refused to refresh it ({})",
                    account.platform.name(),
                    e.code
                ),
            });
        }
        Err(e) => return Err(e),
    };
    if fresh.open_id.is_empty() {
        fresh.open_id = current.open_id.clone();
    }
    // A refresh token that was not replaced (Google's, §1.6) keeps the end it had, unless the
    // answer gives one.
    if fresh.refresh_expires_at.is_none() && fresh.refresh_token == current.refresh_token {
        fresh.refresh_expires_at = current.refresh_expires_at;
    }
    // Save the rotated pair before anything else: the old refresh token is already dead.
    // Labelled again, so a login saved by an older postez gets a label that says what it is.
    let owner = owner_name(
        account.username.as_deref(),
        account.display_name.as_deref(),
        &account.remote_id,
    );
    match &mut lock {
        RefreshLock::Row(row) => row.replace(&fresh.to_secret())?,
        RefreshLock::File(_) => save_login(secrets, account.platform.as_str(), &fresh, &owner)?,
    }
    if let RefreshLock::Row(row) = lock {
        row.commit()?;
    }
    let fresh = hand_out(&key, fresh);
    store.set_account_expiry(
        account.id,
        fresh.access_expires_at,
        fresh.refresh_expires_at,
        now,
    )?;
    Ok(fresh)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Another process holding the refresh lock past the wait is temporary (exit 75), never a
    /// failure of the post; the lock file is the user's alone.
    #[tokio::test]
    async fn a_refresh_lock_held_too_long_is_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("refresh-tiktok-x.lock");
        let held = lock_file(&path, "@me", Duration::from_millis(10))
            .await
            .unwrap();
        let e = lock_file(&path, "@me", Duration::from_millis(200))
            .await
            .unwrap_err();
        assert!(matches!(e, Error::RefreshLocked { .. }), "{e:?}");
        assert_eq!(e.kind(), crate::error::ErrorKind::TryLater);
        assert!(e.to_string().contains("@me"), "{e}");
        assert!(e.hint().unwrap().contains("next `postez run`"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        drop(held);
        lock_file(&path, "@me", Duration::from_millis(200))
            .await
            .unwrap();
    }
}
