//! Deleting the user's data: revoke postez's access at TikTok, delete tokens from every secret
//! store given, delete an account's rows and private media copies, or everything postez keeps
//! in its folders. Returns a report of what went; never prints.

use std::path::{Path, PathBuf};

use crate::auth;
use crate::config::Config;
use crate::env::{Env, Paths};
use crate::error::Result;
use crate::provider::{client_secret_key, token_key};
use crate::secrets::SecretStore;
use crate::store::{Account, Store};

/// What a purge removed.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Report {
    /// Accounts whose access was revoked at the platform.
    pub revoked: Vec<String>,
    /// Accounts whose revocation failed, with why.
    pub revoke_failed: Vec<(String, String)>,
    /// Secret entries deleted (tokens, client secrets), per store.
    pub secrets_deleted: usize,
    /// Accounts removed.
    pub accounts: Vec<String>,
    /// Posts removed (with their history).
    pub posts: usize,
    /// Files and folders removed.
    pub files: Vec<PathBuf>,
}

impl Report {
    /// The report as JSON (for `--json`).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "revoked": self.revoked,
            "revoke_failed": self.revoke_failed.iter().map(|(a, why)| serde_json::json!({"account": a, "error": why})).collect::<Vec<_>>(),
            "secrets_deleted": self.secrets_deleted,
            "accounts": self.accounts,
            "posts": self.posts,
            "files": self.files,
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
    let key = token_key(&account.platform, &account.remote_id);
    if revoke {
        let mut outcome = Err("no saved login to revoke".to_string());
        for store in stores {
            if let Ok(tokens) = auth::saved_tokens(store, account) {
                outcome = match auth::client_credentials(env, config, store)
                    .and_then(|c| auth::tiktok_client(env, c))
                {
                    Ok(tiktok) => tiktok
                        .revoke(&tokens.access_token)
                        .await
                        .map_err(|e| e.to_string()),
                    Err(e) => Err(e.to_string()),
                };
                break;
            }
        }
        match outcome {
            Ok(()) => report.revoked.push(account.label()),
            Err(why) => report.revoke_failed.push((account.label(), why)),
        }
    }
    for store in stores {
        if let Ok(true) = store.delete(&key) {
            report.secrets_deleted += 1;
        }
    }
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
            a.id != account.id && a.platform == account.platform && a.state != "disconnected"
        })
        .count();
    // Posts with no account chosen belong to the only account of their platform.
    let (posts, copies) = store.delete_account(account.id, others == 0)?;
    report.posts = posts;
    report.accounts.push(account.label());
    for copy in copies {
        remove(Path::new(&copy), &mut report)?;
    }
    remove(&paths.log_dir(), &mut report)?;
    Ok(report)
}

/// Remove everything: every account's login (revoked unless told not to), the app's client
/// secret, and every file postez keeps (database, media copies, token file, logs, settings).
pub async fn everything(
    env: &Env,
    config: &Config,
    paths: &Paths,
    stores: &[&SecretStore],
    revoke: bool,
) -> Result<Report> {
    let mut report = Report::default();
    let db = paths.database();
    if db.exists() {
        let store = Store::open(&db)?;
        let accounts = store.accounts()?;
        report.posts = store
            // One row fetched; `list` counts the rest without loading them.
            .list(&crate::store::ListFilter {
                all: true,
                limit: 1,
                ..Default::default()
            })?
            .1;
        drop(store);
        for account in &accounts {
            // A disconnected account was revoked already.
            forget_login(
                env,
                config,
                stores,
                account,
                revoke && account.state != "disconnected",
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
    for path in [
        db.clone(),
        with_suffix(&db, "-wal"),
        with_suffix(&db, "-shm"),
        paths.secrets_file(),
        with_suffix(&paths.secrets_file(), ".lock"),
        paths.media_dir(),
        paths.run_lock(),
        paths.log_dir(),
        paths.config_file(),
    ] {
        remove(&path, &mut report)?;
    }
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

fn remove(path: &Path, report: &mut Report) -> Result<()> {
    let meta = match fs_err::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    if meta.is_dir() {
        fs_err::remove_dir_all(path)?;
    } else {
        fs_err::remove_file(path)?;
    }
    report.files.push(path.to_path_buf());
    Ok(())
}
