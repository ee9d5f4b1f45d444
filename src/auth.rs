//! An account's login over its life: where its tokens live (keychain or encrypted file), saving
//! them after a login, handing out a fresh access token (refreshing ahead of expiry under a
//! cross-process lock, so two cron runs never spend one rotating refresh token twice), and
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
    Backend, DEFAULT_KEYCHAIN_TIMEOUT, FileStore, Keychain, SERVICE, Secret, SecretError,
    SecretStore, require_private,
};
use crate::store::{Account, Store};

/// Refresh when the access token expires within this margin.
pub const REFRESH_MARGIN: chrono::Duration = chrono::Duration::minutes(5);

/// Which store to use: the flag, else `POSTEZ_TOKEN_STORE`, else the setting, else the keychain.
pub fn chosen_backend(flag: Option<Backend>, env: &Env, config: &Config) -> Result<Backend> {
    if let Some(b) = flag {
        return Ok(b);
    }
    let text = env.token_store.as_deref().or(config.token_store.as_deref());
    match text {
        None => Ok(Backend::Keychain),
        Some(t) => t.parse().map_err(|_| {
            Error::config(
                format!("`{t}` is not a token store"),
                Some("use `keychain` or `file` (POSTEZ_TOKEN_STORE or `postez config set token_store`)".into()),
            )
        }),
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
    }
}

/// The store an account's tokens were saved in.
pub fn account_backend(account: &Account) -> Backend {
    match account.token_store.as_deref() {
        Some("file") => Backend::File,
        _ => Backend::Keychain,
    }
}

/// The saved tokens of an account, or `NeedsReconnect` when there are none.
pub fn saved_tokens(secrets: &SecretStore, account: &Account) -> Result<Tokens> {
    match secrets.get(&token_key(account.platform.as_str(), &account.remote_id))? {
        Some(secret) => Tokens::from_secret(&secret, account.platform),
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
    let tokens = saved_tokens(secrets, account)?;
    if !force && tokens.access_expires_at - now > REFRESH_MARGIN {
        return Ok(tokens);
    }
    let _lock = lock_file(&lock_path(paths, account), &account.label(), wait).await?;
    let current = saved_tokens(secrets, account)?;
    // Another process refreshed while we waited for the lock: its token is brand new, so use
    // it rather than spend the rotated refresh token again.
    let someone_refreshed = current.refresh_token != tokens.refresh_token;
    if someone_refreshed && current.access_expires_at - now > chrono::Duration::seconds(30) {
        tracing::debug!(account = %account.label(), "using the login another process refreshed");
        return Ok(current);
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
    save_login(secrets, account.platform.as_str(), &fresh, &owner)?;
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
