//! Every environment variable postez reads, in one place, and the folders it uses. This is the only
//! module that calls `std::env::var` (clippy's `disallowed-methods` enforces it), so the whole
//! program can be driven by a test through its environment alone.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::secrets::Secret;

/// The variables postez reads, each documented for `postez --help` and the man page.
pub const VARIABLES: &[(&str, &str)] = &[
    (
        "POSTEZ_HOME",
        "Put everything (config, database, logs, token file, media copies) in this one folder",
    ),
    (
        "POSTEZ_TIKTOK_CLIENT_KEY",
        "Client key of your TikTok app (else the `tiktok_client_key` setting)",
    ),
    (
        "POSTEZ_TIKTOK_CLIENT_SECRET",
        "Client secret of your TikTok app (else the one saved in the token store)",
    ),
    (
        "POSTEZ_TIKTOK_AUTH_URL",
        "TikTok's authorize URL (for a local fake TikTok; https, or http to this machine only)",
    ),
    (
        "POSTEZ_TIKTOK_API_URL",
        "TikTok's API base URL (for a local fake TikTok; https, or http to this machine only). Uploads go only to *.tiktokapis.com or to this address's own host and port",
    ),
    (
        "POSTEZ_YOUTUBE_CLIENT_ID",
        "Client id of your Google OAuth client for YouTube (else the `youtube_client_id` setting)",
    ),
    (
        "POSTEZ_YOUTUBE_CLIENT_SECRET",
        "Client secret of your Google OAuth client (else the one saved in the token store)",
    ),
    (
        "POSTEZ_YOUTUBE_AUTH_URL",
        "Google's authorize URL (for a local fake YouTube; https, or http to this machine only)",
    ),
    (
        "POSTEZ_YOUTUBE_TOKEN_URL",
        "Google's token URL (for a local fake YouTube; https, or http to this machine only)",
    ),
    (
        "POSTEZ_YOUTUBE_REVOKE_URL",
        "Google's token revocation URL (for a local fake YouTube; https, or http to this machine only)",
    ),
    (
        "POSTEZ_YOUTUBE_API_URL",
        "Base URL of YouTube's /youtube/v3 and /upload/youtube/v3 (for a local fake YouTube; https, or http to this machine only)",
    ),
    (
        "POSTEZ_TOKEN_STORE",
        "Where tokens are kept: `keychain` or `file`",
    ),
    (
        "POSTEZ_PASSPHRASE",
        "Passphrase of the encrypted token file",
    ),
    (
        "POSTEZ_NOW",
        "Testing aid: pretend the current time is this RFC 3339 instant",
    ),
    (
        "XDG_CONFIG_HOME",
        "Base folder of settings (`postez/`) and of systemd user units; default `~/.config`",
    ),
    (
        "XDG_DATA_HOME",
        "Base folder of the queue and token file (`postez/`); default `~/.local/share`",
    ),
    (
        "XDG_STATE_HOME",
        "Base folder of logs (`postez/logs/`); default `~/.local/state`",
    ),
    (
        "POSTEZ_POLL_INTERVAL",
        "Testing aid: pause between TikTok status checks (default 5s)",
    ),
    (
        "POSTEZ_RATE_WINDOW",
        "Testing aid: window of TikTok's per-minute rate limits (default 1m)",
    ),
    (
        "POSTEZ_CHUNK_BACKOFF",
        "Testing aid: first pause before re-sending a failed chunk (default 500ms)",
    ),
    (
        "POSTEZ_REFRESH_LOCK_WAIT",
        "Testing aid: how long `run` waits for another process refreshing the same login (default 1m)",
    ),
    (
        "POSTEZ_DATABASE_URL",
        "Shared mode: the team's queue on PostgreSQL, `postgres://user:password@host/db` (else the `database_url` setting)",
    ),
    (
        "POSTEZ_DATABASE_CA",
        "Shared mode: a PEM file with the CA of the database server's certificate, when it is not a public one",
    ),
    (
        "POSTEZ_LEASE",
        "Shared mode: how long a runner holds an account it publishes for without renewing, e.g. 30s (else the `lease` setting; default 2m)",
    ),
    ("NO_COLOR", "Disable colors when set to anything"),
    ("RUST_LOG", "Log filter for stderr, e.g. `postez=debug`"),
];

/// Variables that carry secrets. postez reads them once into [`Secret`]s, and no program it
/// starts (a passphrase command, the browser, `crontab`, `systemctl`) inherits them.
pub const SECRET_VARIABLES: &[&str] = &[
    "POSTEZ_PASSPHRASE",
    "POSTEZ_TIKTOK_CLIENT_SECRET",
    "POSTEZ_YOUTUBE_CLIENT_SECRET",
    "POSTEZ_DATABASE_URL",
];

/// A program postez starts, with the environment it inherits minus [`SECRET_VARIABLES`].
pub fn command(program: impl AsRef<std::ffi::OsStr>) -> std::process::Command {
    let mut command = std::process::Command::new(program);
    for name in SECRET_VARIABLES {
        command.env_remove(name);
    }
    command
}

/// A snapshot of the environment taken once at start-up.
#[derive(Debug, Clone, Default)]
pub struct Env {
    /// `POSTEZ_HOME`.
    pub home: Option<PathBuf>,
    /// `POSTEZ_TIKTOK_CLIENT_KEY`.
    pub tiktok_client_key: Option<String>,
    /// `POSTEZ_TIKTOK_CLIENT_SECRET`, held as a [`Secret`] from the moment it is read.
    pub tiktok_client_secret: Option<Secret>,
    /// `POSTEZ_TIKTOK_AUTH_URL`.
    pub tiktok_auth_url: Option<String>,
    /// `POSTEZ_TIKTOK_API_URL`.
    pub tiktok_api_url: Option<String>,
    /// `POSTEZ_YOUTUBE_CLIENT_ID`.
    pub youtube_client_id: Option<String>,
    /// `POSTEZ_YOUTUBE_CLIENT_SECRET`, held as a [`Secret`] from the moment it is read.
    pub youtube_client_secret: Option<Secret>,
    /// `POSTEZ_YOUTUBE_AUTH_URL`.
    pub youtube_auth_url: Option<String>,
    /// `POSTEZ_YOUTUBE_TOKEN_URL`.
    pub youtube_token_url: Option<String>,
    /// `POSTEZ_YOUTUBE_REVOKE_URL`.
    pub youtube_revoke_url: Option<String>,
    /// `POSTEZ_YOUTUBE_API_URL`.
    pub youtube_api_url: Option<String>,
    /// `POSTEZ_TOKEN_STORE`.
    pub token_store: Option<String>,
    /// `POSTEZ_PASSPHRASE`, held as a [`Secret`] from the moment it is read.
    pub passphrase: Option<Secret>,
    /// `POSTEZ_DATABASE_URL` (its password is a secret: blanked in every log line).
    pub database_url: Option<Secret>,
    /// `POSTEZ_DATABASE_CA`.
    pub database_ca: Option<PathBuf>,
    /// `POSTEZ_LEASE`, unparsed.
    pub lease: Option<String>,
    /// `POSTEZ_NOW`, unparsed.
    pub now: Option<String>,
    /// `XDG_CONFIG_HOME`; `directories` reads it too, this copy is carried into the runner.
    pub xdg_config_home: Option<PathBuf>,
    /// `XDG_DATA_HOME` (carried into the runner, which cron starts without it).
    pub xdg_data_home: Option<PathBuf>,
    /// `XDG_STATE_HOME` (carried into the runner).
    pub xdg_state_home: Option<PathBuf>,
    /// `POSTEZ_POLL_INTERVAL`, unparsed.
    pub poll_interval: Option<String>,
    /// `POSTEZ_RATE_WINDOW`, unparsed.
    pub rate_window: Option<String>,
    /// `POSTEZ_CHUNK_BACKOFF`, unparsed.
    pub chunk_backoff: Option<String>,
    /// `POSTEZ_REFRESH_LOCK_WAIT`, unparsed.
    pub refresh_lock_wait: Option<String>,
    /// `NO_COLOR` is set (to anything but the empty string).
    pub no_color: bool,
    /// `RUST_LOG`.
    pub rust_log: Option<String>,
    /// `TERM`.
    pub term: Option<String>,
    /// `CI` is set.
    pub ci: bool,
    /// `BROWSER`.
    pub browser: Option<String>,
    /// `DISPLAY` or `WAYLAND_DISPLAY` is set.
    pub has_display: bool,
}

impl Env {
    /// Read the process environment.
    #[allow(clippy::disallowed_methods)]
    pub fn from_process() -> Self {
        // Empty values count as unset, like most tools treat them.
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        Self {
            home: var("POSTEZ_HOME").map(PathBuf::from),
            tiktok_client_key: var("POSTEZ_TIKTOK_CLIENT_KEY"),
            tiktok_client_secret: var("POSTEZ_TIKTOK_CLIENT_SECRET").map(Secret::new),
            tiktok_auth_url: var("POSTEZ_TIKTOK_AUTH_URL"),
            tiktok_api_url: var("POSTEZ_TIKTOK_API_URL"),
            youtube_client_id: var("POSTEZ_YOUTUBE_CLIENT_ID"),
            youtube_client_secret: var("POSTEZ_YOUTUBE_CLIENT_SECRET").map(Secret::new),
            youtube_auth_url: var("POSTEZ_YOUTUBE_AUTH_URL"),
            youtube_token_url: var("POSTEZ_YOUTUBE_TOKEN_URL"),
            youtube_revoke_url: var("POSTEZ_YOUTUBE_REVOKE_URL"),
            youtube_api_url: var("POSTEZ_YOUTUBE_API_URL"),
            token_store: var("POSTEZ_TOKEN_STORE"),
            passphrase: var("POSTEZ_PASSPHRASE").map(Secret::new),
            database_url: var("POSTEZ_DATABASE_URL").map(Secret::new),
            database_ca: var("POSTEZ_DATABASE_CA").map(PathBuf::from),
            lease: var("POSTEZ_LEASE"),
            now: var("POSTEZ_NOW"),
            xdg_config_home: var("XDG_CONFIG_HOME").map(PathBuf::from),
            xdg_data_home: var("XDG_DATA_HOME").map(PathBuf::from),
            xdg_state_home: var("XDG_STATE_HOME").map(PathBuf::from),
            poll_interval: var("POSTEZ_POLL_INTERVAL"),
            rate_window: var("POSTEZ_RATE_WINDOW"),
            chunk_backoff: var("POSTEZ_CHUNK_BACKOFF"),
            refresh_lock_wait: var("POSTEZ_REFRESH_LOCK_WAIT"),
            no_color: var("NO_COLOR").is_some(),
            rust_log: var("RUST_LOG"),
            term: var("TERM"),
            ci: var("CI").is_some(),
            browser: var("BROWSER"),
            has_display: var("DISPLAY").is_some() || var("WAYLAND_DISPLAY").is_some(),
        }
    }

    /// The current instant: `POSTEZ_NOW` when set (tests), else the system clock.
    pub fn now(&self) -> Result<DateTime<Utc>> {
        match &self.now {
            None => Ok(Utc::now()),
            Some(text) => DateTime::parse_from_rfc3339(text)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| {
                    Error::config(
                        format!("POSTEZ_NOW=`{text}` is not an RFC 3339 time"),
                        Some("unset it, or use a form like 2026-12-01T18:00:00Z".into()),
                    )
                }),
        }
    }
}

/// Where postez keeps its files.
#[derive(Debug, Clone)]
pub struct Paths {
    /// Folder of `config.toml`.
    pub config_dir: PathBuf,
    /// Folder of the database, the token file and media copies.
    pub data_dir: PathBuf,
    /// Folder of logs and the runner's heartbeat.
    pub state_dir: PathBuf,
}

impl Paths {
    /// XDG folders (or the platform's equivalents), or everything in `POSTEZ_HOME`.
    pub fn resolve(env: &Env) -> Result<Self> {
        if let Some(home) = &env.home {
            return Ok(Self::single(home));
        }
        let dirs = directories::ProjectDirs::from("", "", "postez").ok_or_else(|| {
            Error::config(
                "could not find your home folder to keep postez's files in",
                Some("set POSTEZ_HOME to a folder postez may use".into()),
            )
        })?;
        let data_dir = dirs.data_dir().to_path_buf();
        Ok(Self {
            config_dir: dirs.config_dir().to_path_buf(),
            // macOS and Windows have no state folder; logs go next to the data there.
            state_dir: dirs
                .state_dir()
                .map_or_else(|| data_dir.clone(), Path::to_path_buf),
            data_dir,
        })
    }

    /// All three folders are `dir`.
    pub fn single(dir: &Path) -> Self {
        Self {
            config_dir: dir.to_path_buf(),
            data_dir: dir.to_path_buf(),
            state_dir: dir.to_path_buf(),
        }
    }

    /// The TOML settings file.
    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join("config.toml")
    }

    /// The SQLite queue.
    pub fn database(&self) -> PathBuf {
        self.data_dir.join("postez.db")
    }

    /// The encrypted token file (used when the token store is `file`).
    pub fn secrets_file(&self) -> PathBuf {
        self.data_dir.join("secrets.enc")
    }

    /// Shared mode: this runner's copies of videos the shared queue holds, while it publishes
    /// them.
    pub fn media_cache_dir(&self) -> PathBuf {
        self.data_dir.join("shared-media")
    }

    /// Private copies of videos scheduled with `--copy`.
    pub fn media_dir(&self) -> PathBuf {
        self.data_dir.join("media")
    }

    /// Log files of `postez run`.
    pub fn log_dir(&self) -> PathBuf {
        self.state_dir.join("logs")
    }

    /// The lock held by a running `postez run`.
    pub fn run_lock(&self) -> PathBuf {
        self.data_dir.join("run.lock")
    }
}

// The folder and file rules live in `files`; these names stay for the many callers.
pub use crate::files::{ensure_private_dir, make_private};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_postez_starts_inherit_no_secret_variable() {
        let command = command("true");
        let removed: Vec<String> = command
            .get_envs()
            .filter(|(_, value)| value.is_none())
            .map(|(name, _)| name.to_string_lossy().into_owned())
            .collect();
        for name in SECRET_VARIABLES {
            assert!(removed.iter().any(|r| r == name), "{name} is inherited");
        }
        // Every variable that holds a secret is listed.
        for (name, _) in VARIABLES {
            if name.contains("SECRET") || name.contains("PASSPHRASE") {
                assert!(SECRET_VARIABLES.contains(name), "{name}");
            }
        }
    }
}
