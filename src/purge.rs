//! Deleting the user's data: revoke postez's access at the platform, delete tokens from every secret
//! store given, disconnect an account (its login goes, its posts stay), delete an account's rows
//! and private media copies, or everything postez keeps in its folders. Returns a report of
//! what went; never prints.

use std::path::{Path, PathBuf};

use crate::auth;
use crate::config::Config;
use crate::env::{Env, Paths};
use crate::error::{Error, Result};
use crate::provider::{self, ErrorClass, Platform, Tokens, client_secret_key, token_key};
use crate::secrets::{Backend, SecretStore};
use crate::store::{Account, AccountState, Store};

/// An account whose access could not be revoked: the user must take it away at its platform.
#[derive(Debug, Clone, PartialEq)]
pub struct RevokeFailed {
    /// The platform the account is on (whose rules say how to revoke by hand).
    pub platform: Platform,
    /// The account's label.
    pub account: String,
    /// Why revoking failed.
    pub error: String,
}

/// What a purge removed.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Report {
    /// Accounts whose access was revoked at the platform.
    pub revoked: Vec<String>,
    /// Accounts whose revocation failed, with why.
    pub revoke_failed: Vec<RevokeFailed>,
    /// Secret entries deleted (tokens, client secrets), per store.
    pub secrets_deleted: usize,
    /// Accounts removed.
    pub accounts: Vec<String>,
    /// Posts removed (with their history).
    pub posts: usize,
    /// Files and folders removed.
    pub files: Vec<PathBuf>,
    /// Shared mode: the queue (without its password) whose posts, accounts and history were
    /// left in place: they are the team's, and only its logins were deleted.
    pub shared_queue_kept: Option<String>,
}

impl Report {
    /// The report as JSON (for `--json`).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "revoked": self.revoked,
            "revoke_failed": self.revoke_failed.iter().map(|f| serde_json::json!({"account": f.account, "error": f.error})).collect::<Vec<_>>(),
            "secrets_deleted": self.secrets_deleted,
            "accounts": self.accounts,
            "posts": self.posts,
            "files": self.files,
            "shared_queue_kept": self.shared_queue_kept,
        })
    }
}

/// Revoke an account's access (best effort) and delete its tokens from every store.
pub async fn forget_login(
    env: &Env,
    config: &Config,
    stores: &[&SecretStore],
    account: &Account,
    revoke: bool,
    report: &mut Report,
) {
    let key = token_key(account.platform.as_str(), &account.remote_id);
    if revoke {
        // The login is revoked with the client secret of the store its tokens are in.
        let found = stores
            .iter()
            .find_map(|store| Some((*store, auth::saved_tokens(store, account).ok()?)));
        let outcome = match &found {
            Some((store, tokens)) => revoke_login(env, config, store, account, Some(tokens), None)
                .await
                .map_err(|e| e.to_string()),
            None => Err("no saved login to revoke".to_string()),
        };
        match outcome {
            Ok(()) => report.revoked.push(account.label()),
            Err(error) => report.revoke_failed.push(RevokeFailed {
                platform: account.platform,
                account: account.label(),
                error,
            }),
        }
    }
    for store in stores {
        if let Ok(true) = store.delete(&key) {
            report.secrets_deleted += 1;
        }
    }
}

/// The saved login of an account in `secrets`, `None` when there is none to revoke.
pub fn saved_login(secrets: &SecretStore, account: &Account) -> Result<Option<Tokens>> {
    match auth::saved_tokens(secrets, account) {
        Ok(t) => Ok(Some(t)),
        Err(Error::NeedsReconnect { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Where a revocation may refresh an expired access token (and record the new one).
pub struct Refresh<'a> {
    /// postez's folders (for the refresh lock).
    pub paths: &'a Paths,
    /// The queue (the account's token expiry is recorded there).
    pub store: &'a mut Store,
}

/// Revoke the account's login (`tokens`, saved in `secrets`) at the platform, with the client
/// credentials of the same store, through its provider. With `refresh`, an expired or rejected
/// access token is refreshed first: an access token lives a day and TikTok refuses to revoke an
/// expired one, while the refresh token usually lives on for a year (issue 10). `purge` has no
/// queue left to record a refresh in, so it revokes what it has.
pub async fn revoke_login(
    env: &Env,
    config: &Config,
    secrets: &SecretStore,
    account: &Account,
    tokens: Option<&Tokens>,
    refresh: Option<Refresh<'_>>,
) -> Result<()> {
    let Some(tokens) = tokens else {
        return Err(Error::invalid("no saved login to revoke", None));
    };
    let platform = account.platform;
    let provider = provider::credentials(platform, env, config, secrets)
        .and_then(|c| provider::for_app(platform, env, c))?;
    let Some(Refresh { paths, store }) = refresh else {
        return provider.revoke(&tokens.access_token).await;
    };
    // Token lifetimes follow the platform's clock, never POSTEZ_NOW.
    let now = chrono::Utc::now();
    let provider = provider.as_ref();
    let tokens = auth::fresh_tokens(provider, secrets, paths, store, account, false, now).await?;
    match provider.revoke(&tokens.access_token).await {
        // The access token was refused (expired early, or revoked): refresh once and retry.
        Err(Error::Api(e)) if e.class() == ErrorClass::Token => {
            let tokens =
                auth::fresh_tokens(provider, secrets, paths, store, account, true, now).await?;
            provider.revoke(&tokens.access_token).await
        }
        other => other,
    }
}

/// What `disconnect` did.
#[derive(Debug, Clone)]
pub struct Disconnected {
    /// The account, as it was before.
    pub account: Account,
    /// Whether its access was revoked at the platform.
    pub revoked: bool,
    /// Queued posts that cannot publish until an account is connected.
    pub blocked_posts: usize,
}

/// Disconnect an account whose login was revoked (`revoked`) or not: delete its tokens from
/// `secrets` (the store it was recorded in, which must work) and from the other store when
/// reachable (best effort), and mark it disconnected. Its queued posts stay.
#[allow(clippy::too_many_arguments)]
pub fn disconnect(
    env: &Env,
    config: &Config,
    paths: &Paths,
    store: &mut Store,
    secrets: &SecretStore,
    account: &Account,
    revoked: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Disconnected> {
    let key = token_key(account.platform.as_str(), &account.remote_id);
    secrets.delete(&key)?;
    let other = match secrets.backend() {
        Backend::Keychain => auth::open_store(Backend::File, paths, env, config).ok(),
        Backend::File => Some(auth::keychain()),
        // A shared queue's logins are nowhere else.
        Backend::Database => None,
    };
    if let Some(other) =
        other.filter(|_| paths.secrets_file().exists() || secrets.backend() == Backend::File)
    {
        let _ = other.delete(&key);
    }
    store.set_account_state(account.id, AccountState::Disconnected, now)?;
    let remaining = store
        .accounts()?
        .into_iter()
        .filter(|a| a.platform == account.platform && a.state != AccountState::Disconnected)
        .count();
    // With no account of its platform left, the posts with no account chosen wait too.
    let blocked_posts = store.queued_for_account(account.id, remaining == 0)?;
    Ok(Disconnected {
        account: account.clone(),
        revoked,
        blocked_posts,
    })
}

/// Remove one account: its login, its posts and their history, its private media copies, and
/// the logs (which mention its posts).
pub async fn account(
    env: &Env,
    config: &Config,
    paths: &Paths,
    store: &mut Store,
    stores: &[&SecretStore],
    account: &Account,
    revoke: bool,
) -> Result<Report> {
    let mut report = Report::default();
    forget_login(env, config, stores, account, revoke, &mut report).await;
    let others = store
        .accounts()?
        .iter()
        .filter(|a| {
            a.id != account.id
                && a.platform == account.platform
                && a.state != AccountState::Disconnected
        })
        .count();
    // Posts with no account chosen belong to the only account of their platform.
    let (posts, copies) = store.delete_account(account.id, others == 0)?;
    report.posts = posts;
    report.accounts.push(account.label());
    remove_copies(paths, &copies, false, &mut report)?;
    remove_logs(paths, &mut report)?;
    Ok(report)
}

/// Remove everything: every account's login (revoked unless told not to), the app's client
/// secret, and every file postez keeps (database, media copies, token file, logs, settings),
/// each by name: other files in postez's folders stay.
pub async fn everything(
    env: &Env,
    config: &Config,
    paths: &Paths,
    stores: &[&SecretStore],
    revoke: bool,
) -> Result<Report> {
    let mut report = Report::default();
    let db = paths.database();
    let mut copies = Vec::new();
    if let crate::store::Location::Server(url) =
        crate::store::Location::resolve(paths, env, config)?
    {
        // Shared mode: every login of the team's queue is revoked and deleted (the `stores`
        // are its database); its posts and accounts are the team's and stay.
        let store = Store::connect(&url)?;
        for account in store.accounts()? {
            let revoke = revoke && account.state != AccountState::Disconnected;
            forget_login(env, config, stores, &account, revoke, &mut report).await;
        }
        report.shared_queue_kept = Some(crate::store::redact_url(&url));
    } else if db.exists() {
        let store = Store::open(&db)?;
        let accounts = store.accounts()?;
        copies = store.copied_files()?;
        report.posts = store.count_posts()?;
        drop(store);
        for account in &accounts {
            // A disconnected account was revoked already.
            forget_login(
                env,
                config,
                stores,
                account,
                revoke && account.state != AccountState::Disconnected,
                &mut report,
            )
            .await;
            report.accounts.push(account.label());
        }
    }
    for store in stores {
        if let Ok(true) = store.delete(&client_secret_key(crate::queue::PLATFORM)) {
            report.secrets_deleted += 1;
        }
    }
    let data = &paths.data_dir;
    // postez's files by name, never whole folders: POSTEZ_HOME may be a folder the user keeps
    // other things in (issue 15).
    for path in [
        db.clone(),
        with_suffix(&db, "-wal"),
        with_suffix(&db, "-shm"),
        with_suffix(&db, "-journal"),
        paths.secrets_file(),
        with_suffix(&paths.secrets_file(), ".lock"),
        paths.run_lock(),
        paths.config_file(),
    ] {
        remove(&path, &mut report)?;
    }
    remove_copies(paths, &copies, true, &mut report)?;
    remove_logs(paths, &mut report)?;
    // Per-account refresh locks.
    if let Ok(entries) = fs_err::read_dir(data) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with("refresh-") && name.ends_with(".lock") {
                remove(&entry.path(), &mut report)?;
            }
        }
    }
    Ok(report)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}

/// Delete the private copies postez recorded, when they are in its media folder (a row pointing
/// elsewhere is not a copy postez made), and with `sweep` also files named like a copy there (a
/// crash between copying and recording leaves those); then the folder, if nothing else is in it.
fn remove_copies(
    paths: &Paths,
    recorded: &[String],
    sweep: bool,
    report: &mut Report,
) -> Result<()> {
    let dir = paths.media_dir();
    let Ok(real_dir) = fs_err::canonicalize(&dir) else {
        return Ok(());
    };
    for copy in recorded.iter().map(Path::new) {
        let in_dir = copy
            .parent()
            .is_some_and(|p| p == dir || fs_err::canonicalize(p).is_ok_and(|p| p == real_dir));
        let named = copy
            .file_name()
            .is_some_and(|n| crate::queue::is_copy_name(&n.to_string_lossy()));
        if in_dir && named {
            remove(copy, report)?;
        }
    }
    if sweep {
        for entry in fs_err::read_dir(&dir)?.flatten() {
            if crate::queue::is_copy_name(&entry.file_name().to_string_lossy()) {
                remove(&entry.path(), report)?;
            }
        }
    }
    remove_empty_dir(&dir, report)
}

/// Delete postez's log files by name (`postez.log` and its rotated copies, cron's `runner.log`),
/// then the folder, if nothing else is in it.
fn remove_logs(paths: &Paths, report: &mut Report) -> Result<()> {
    let dir = paths.log_dir();
    let current = dir.join("postez.log");
    remove(&current, report)?;
    for i in 1..=crate::logs::KEEP_LOGS {
        remove(&with_suffix(&current, &format!(".{i}")), report)?;
    }
    remove(&dir.join(crate::runner::CRON_LOG), report)?;
    remove_empty_dir(&dir, report)
}

/// Remove one of postez's files; a folder (or nothing) at that path is left alone.
fn remove(path: &Path, report: &mut Report) -> Result<()> {
    let meta = match fs_err::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    if meta.is_dir() {
        return Ok(());
    }
    fs_err::remove_file(path)?;
    report.files.push(path.to_path_buf());
    Ok(())
}

/// Remove a folder postez made if it is empty now; one holding anything else stays.
fn remove_empty_dir(dir: &Path, report: &mut Report) -> Result<()> {
    if !fs_err::symlink_metadata(dir).is_ok_and(|m| m.is_dir()) {
        return Ok(());
    }
    if fs_err::read_dir(dir)?.next().is_none() {
        fs_err::remove_dir(dir)?;
        report.files.push(dir.to_path_buf());
    }
    Ok(())
}
