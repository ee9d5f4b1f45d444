//! The TOML settings file (`postez config get|set|list|path`). Every key is known, typed and
//! validated here; an unknown key or a bad value is an error that names the key. Secrets never
//! live in this file: the client secret goes to the token store.

use std::path::Path;

use chrono::Duration;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The settings, as they are in `config.toml`. Missing keys take their defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// IANA zone for local times (else the system zone).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Account used when `--account` is not given and several are connected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_account: Option<String>,
    /// `keychain` (default) or `file`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_store: Option<String>,
    /// A command that prints the token file's passphrase (e.g. `pass show postez`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passphrase_command: Option<String>,
    /// Client key of your TikTok app.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tiktok_client_key: Option<String>,
    /// `false` when the TikTok app has no Direct Post: `connect` then asks for drafts only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tiktok_direct_post: Option<bool>,
    /// Client id of your Google OAuth client (YouTube).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub youtube_client_id: Option<String>,
    /// Whether the Google project's consent screen is in "Testing" (logins last 7 days).
    /// Google's token answer does not say, so the user may; unset: guessed from the login.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub youtube_testing: Option<bool>,
    /// `true`: public YouTube posts are uploaded ahead (`schedule --upload-ahead`) by default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub youtube_upload_ahead: Option<bool>,
    /// Posts overdue by more than this are not published automatically (`0` = no limit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub late_limit: Option<String>,
    /// Attempts before a post that keeps failing temporarily is marked failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u32>,
    /// YouTube uploads the user's Google project may make a day (its `videos.insert` bucket).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub youtube_daily_uploads: Option<u32>,
    /// Shared mode: the team's queue, a `postgres://` URL without a password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    /// Shared mode: how long a runner's hold on an account lasts without renewal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lease: Option<String>,
    /// Shared mode: a file holding the team key (else the passphrase seals the logins).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_key_file: Option<String>,
    /// Shared mode: keep a video's bytes in the database after it is published.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep_media: Option<bool>,
}

/// The keys `postez config` knows, with a line of help each.
pub const KEYS: &[(&str, &str)] = &[
    (
        "timezone",
        "IANA time zone for local times, e.g. Europe/Berlin (default: the system's)",
    ),
    (
        "default_account",
        "account used when several are connected and --account is not given",
    ),
    (
        "token_store",
        "where tokens are kept: keychain (default) or file (encrypted); database in shared mode (its default)",
    ),
    (
        "passphrase_command",
        "command printing the token file's passphrase, e.g. `pass show postez`",
    ),
    ("tiktok_client_key", "client key of your TikTok app"),
    (
        "tiktok_direct_post",
        "false if your TikTok app has no Direct Post: connect asks for drafts only (default true)",
    ),
    (
        "youtube_client_id",
        "client id of your Google OAuth client (Desktop app) for YouTube",
    ),
    (
        "youtube_testing",
        "true if your Google project is in Testing (its logins last 7 days): accounts and doctor warn",
    ),
    (
        "youtube_upload_ahead",
        "true: upload public YouTube posts at the next run and let YouTube publish them on time (schedule --upload-ahead; default false)",
    ),
    (
        "late_limit",
        "skip posts overdue by more than this, e.g. 24h (0 = publish however late)",
    ),
    (
        "max_attempts",
        "attempts before a post that keeps failing temporarily is marked failed",
    ),
    (
        "youtube_daily_uploads",
        "YouTube uploads your Google project may make per Pacific-time day (default 100); schedule warns past it",
    ),
    (
        "database_url",
        "shared mode: the team's queue on PostgreSQL, postgres://user@host/db (a password goes in POSTEZ_DATABASE_URL, not here)",
    ),
    (
        "lease",
        "shared mode: how long a runner holds an account without renewing, e.g. 30s (default 2m)",
    ),
    (
        "team_key_file",
        "shared mode: a file with the team key that seals the logins in the database (else the passphrase)",
    ),
    (
        "keep_media",
        "shared mode: true keeps a video's bytes in the database after it is published (default false)",
    ),
];

/// The settings that are the team's in shared mode: kept in the shared queue (`postez config set`
/// writes them there), so every machine publishes by the same rules with the same apps. The rest
/// (the time zone, where the queue and the key are, the token store) stay each machine's own.
pub const TEAM_KEYS: &[&str] = &[
    "default_account",
    "tiktok_client_key",
    "tiktok_direct_post",
    "youtube_client_id",
    "youtube_testing",
    "youtube_upload_ahead",
    "late_limit",
    "max_attempts",
    "youtube_daily_uploads",
    "lease",
    "keep_media",
];

/// Whether `key` is one of [`TEAM_KEYS`].
pub fn is_team_key(key: &str) -> bool {
    TEAM_KEYS.contains(&key)
}

/// `lease` when it is not set: long enough for a slow chunk between renewals, short enough that
/// a dead runner's accounts are picked up by the next cron tick.
pub const DEFAULT_LEASE: &str = "2m";

/// `late_limit` when it is not set: a post more than a day late is failed as missed.
pub const DEFAULT_LATE_LIMIT: &str = "24h";
/// `max_attempts` when it is not set.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 6;
/// `youtube_daily_uploads` when it is not set: a new Google project's `videos.insert` bucket,
/// "100 videos.insert calls … per day" (youtube-api.md §5.1; it was ~6 a day under the old
/// 1600-unit cost, so a project with a raised quota sets its own figure).
pub const DEFAULT_YOUTUBE_DAILY_UPLOADS: u32 = 100;

fn unknown_key(key: &str) -> Error {
    Error::config(
        format!("`{key}` is not a postez setting"),
        Some(format!(
            "known settings: {}",
            KEYS.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
        )),
    )
}

impl Config {
    /// Read `path`; a missing file is the default configuration.
    pub fn load(path: &Path) -> Result<Self> {
        let text = match read_regular(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                return Err(Error::config(
                    format!("the config file `{}` is not UTF-8 text", path.display()),
                    Some(format!("fix or delete `{}`", path.display())),
                ));
            }
            Err(e) => return Err(e.into()),
        };
        let config: Self = toml::from_str(&text).map_err(|e| {
            // toml's message names the key and line; keep its first line only.
            let detail = e
                .message()
                .lines()
                .next()
                .unwrap_or("invalid TOML")
                .to_string();
            let at = e
                .span()
                .map(|s| {
                    format!(
                        " (line {})",
                        text[..s.start.min(text.len())].lines().count().max(1)
                    )
                })
                .unwrap_or_default();
            Error::config(
                format!(
                    "the config file `{}` is invalid{at}: {detail}",
                    path.display()
                ),
                Some(format!(
                    "fix it with `postez config set`, or edit `{}`",
                    path.display()
                )),
            )
        })?;
        for key in KEYS.iter().map(|(k, _)| *k) {
            if let Some(value) = config.get(key)? {
                validate(key, &value).map_err(|e| match e {
                    Error::Config { message, hint } => {
                        Error::config(format!("in `{}`: {message}", path.display()), hint)
                    }
                    other => other,
                })?;
            }
        }
        Ok(config)
    }

    /// Write atomically (temp file + rename), readable by the user alone.
    pub fn save(&self, path: &Path) -> Result<()> {
        if let Some(dir) = path.parent() {
            crate::env::ensure_private_dir(dir)?;
        }
        let text = toml::to_string_pretty(self)
            .map_err(|e| Error::config(format!("could not write the config: {e}"), None))?;
        let tmp = path.with_extension("toml.tmp");
        fs_err::write(&tmp, text)?;
        crate::env::make_private(&tmp)?;
        fs_err::rename(&tmp, path)?;
        Ok(())
    }

    /// The value of `key` as text, or `None` when unset.
    pub fn get(&self, key: &str) -> Result<Option<String>> {
        Ok(match key {
            "timezone" => self.timezone.clone(),
            "default_account" => self.default_account.clone(),
            "token_store" => self.token_store.clone(),
            "passphrase_command" => self.passphrase_command.clone(),
            "tiktok_client_key" => self.tiktok_client_key.clone(),
            "late_limit" => self.late_limit.clone(),
            "max_attempts" => self.max_attempts.map(|n| n.to_string()),
            "tiktok_direct_post" => self.tiktok_direct_post.map(|b| b.to_string()),
            "youtube_client_id" => self.youtube_client_id.clone(),
            "youtube_upload_ahead" => self.youtube_upload_ahead.map(|b| b.to_string()),
            "youtube_daily_uploads" => self.youtube_daily_uploads.map(|n| n.to_string()),
            "youtube_testing" => self.youtube_testing.map(|b| b.to_string()),
            "database_url" => self.database_url.clone(),
            "lease" => self.lease.clone(),
            "team_key_file" => self.team_key_file.clone(),
            "keep_media" => self.keep_media.map(|b| b.to_string()),
            _ => return Err(unknown_key(key)),
        })
    }

    /// Set `key` after validating `value`; an empty value unsets it.
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let value = value.trim();
        let v = (!value.is_empty()).then(|| value.to_string());
        if let Some(v) = &v {
            validate(key, v)?;
        }
        match key {
            "timezone" => self.timezone = v,
            "default_account" => self.default_account = v,
            "token_store" => self.token_store = v,
            "passphrase_command" => self.passphrase_command = v,
            "tiktok_client_key" => self.tiktok_client_key = v,
            "late_limit" => self.late_limit = v,
            "max_attempts" => {
                self.max_attempts = v.map(|n| n.parse().unwrap_or(DEFAULT_MAX_ATTEMPTS))
            }
            "tiktok_direct_post" => self.tiktok_direct_post = v.map(|b| b == "true"),
            "youtube_client_id" => self.youtube_client_id = v,
            "youtube_upload_ahead" => self.youtube_upload_ahead = v.map(|b| b == "true"),
            "youtube_daily_uploads" => {
                self.youtube_daily_uploads = v.and_then(|n| n.parse().ok());
            }
            "youtube_testing" => self.youtube_testing = v.map(|b| b == "true"),
            "database_url" => self.database_url = v,
            "lease" => self.lease = v,
            "team_key_file" => self.team_key_file = v,
            "keep_media" => self.keep_media = v.map(|b| b == "true"),
            _ => return Err(unknown_key(key)),
        }
        Ok(())
    }

    /// `late_limit` as a duration; `None` means no limit.
    pub fn late_limit(&self) -> Result<Option<Duration>> {
        let text = self.late_limit.as_deref().unwrap_or(DEFAULT_LATE_LIMIT);
        let d = crate::when::parse_duration(text)?;
        Ok((d > Duration::zero()).then_some(d))
    }

    /// Whether `connect tiktok` asks for Direct Post (`video.publish`); default yes.
    pub fn tiktok_direct_post(&self) -> bool {
        self.tiktok_direct_post.unwrap_or(true)
    }

    /// Whether public YouTube posts are uploaded ahead unless `schedule` says otherwise;
    /// default no.
    pub fn youtube_upload_ahead(&self) -> bool {
        self.youtube_upload_ahead.unwrap_or(false)
    }

    /// `lease` with its default.
    pub fn lease(&self) -> Result<Duration> {
        let text = self.lease.as_deref().unwrap_or(DEFAULT_LEASE);
        crate::when::parse_duration(text)
            .map_err(|_| bad_value("lease", text, "a duration from 5s to 1h, such as 2m"))
    }

    /// `max_attempts` with its default.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS)
    }

    /// `youtube_daily_uploads` with its default.
    pub fn youtube_daily_uploads(&self) -> u32 {
        self.youtube_daily_uploads
            .unwrap_or(DEFAULT_YOUTUBE_DAILY_UPLOADS)
    }
}

/// A shared queue's address: a `postgres://` (or `postgresql://`) URL. In the settings file
/// (`in_file`) it may not carry a password: secrets never live in that file.
pub fn check_database_url(value: &str, in_file: bool) -> Result<()> {
    let url = url::Url::parse(value).ok().filter(|u| {
        matches!(u.scheme(), "postgres" | "postgresql")
            && u.host_str().is_some_and(|h| !h.is_empty())
    });
    let Some(url) = url else {
        return Err(Error::config(
            "the database URL is not a postgres:// address",
            Some("use the form postgres://user@host:5432/dbname".into()),
        ));
    };
    let has_password = url.password().is_some()
        || url
            .query_pairs()
            .any(|(k, _)| k.eq_ignore_ascii_case("password"));
    if in_file && has_password {
        return Err(Error::config(
            "the `database_url` setting may not hold a password: secrets never go in the settings file",
            Some("put the whole URL in POSTEZ_DATABASE_URL instead (e.g. from your service manager's secret store)".into()),
        ));
    }
    Ok(())
}

fn bad_value(key: &str, value: &str, expected: &str) -> Error {
    Error::config(
        format!("`{value}` is not a valid value for `{key}`: expected {expected}"),
        Some(format!(
            "e.g. `postez config set {key} …`; `postez config list` shows them all"
        )),
    )
}

/// The text of the regular file at `path`. Opened without blocking and checked before reading,
/// so a FIFO or a device put in its place (by someone who could write the folder, which the
/// strict modes then refuse) cannot hang a cron run or feed it endless input.
fn read_regular(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut options = fs_err::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use fs_err::os::unix::fs::OpenOptionsExt;
        options.custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32);
    }
    let mut file = options.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("`{}` is not a regular file", path.display()),
        ));
    }
    // Settings are a few lines; a megabyte is more than any real config.
    let mut text = String::new();
    file.by_ref().take(1 << 20).read_to_string(&mut text)?;
    Ok(text)
}

/// Check one value for one key.
fn validate(key: &str, value: &str) -> Result<()> {
    match key {
        "timezone" => {
            crate::when::parse_zone(value)
                .map_err(|_| bad_value(key, value, "an IANA time zone such as Europe/Berlin"))?;
        }
        "token_store" => {
            if !matches!(value, "keychain" | "file" | "database") {
                return Err(bad_value(key, value, "`keychain`, `file` or `database`"));
            }
        }
        "late_limit" => {
            crate::when::parse_duration(value)
                .map_err(|_| bad_value(key, value, "a duration such as 24h, 90m or 0"))?;
        }
        "database_url" => check_database_url(value, true)?,
        "lease" => match crate::when::parse_duration(value) {
            Ok(d) if d >= Duration::seconds(5) && d <= Duration::hours(1) => {}
            _ => {
                return Err(bad_value(
                    key,
                    value,
                    "a duration from 5s to 1h, such as 2m",
                ));
            }
        },
        "tiktok_direct_post" | "youtube_testing" | "youtube_upload_ahead" | "keep_media" => {
            if !matches!(value, "true" | "false") {
                return Err(bad_value(key, value, "`true` or `false`"));
            }
        }
        "max_attempts" => match value.parse::<u32>() {
            Ok(1..=100) => {}
            _ => return Err(bad_value(key, value, "a whole number from 1 to 100")),
        },
        "youtube_daily_uploads" => match value.parse::<u32>() {
            Ok(1..) => {}
            _ => return Err(bad_value(key, value, "a whole number, at least 1")),
        },
        // Absolute: cron and systemd runs start elsewhere than the shell that set it.
        "team_key_file" if !std::path::Path::new(value).is_absolute() => {
            return Err(bad_value(
                key,
                value,
                "an absolute path, such as /etc/postez/team.key",
            ));
        }
        "default_account" | "passphrase_command" | "tiktok_client_key" | "youtube_client_id"
        | "team_key_file" => {
            if value.chars().any(char::is_control) {
                return Err(bad_value(key, value, "text without control characters"));
            }
        }
        _ => return Err(unknown_key(key)),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_and_bad_values_name_the_key() {
        let mut c = Config::default();
        let e = c.set("colour", "red").unwrap_err().to_string();
        assert!(e.contains("`colour` is not a postez setting"), "{e}");
        let e = c.set("timezone", "Mars/Olympus").unwrap_err().to_string();
        assert!(e.contains("`timezone`"), "{e}");
        assert!(c.set("token_store", "plaintext").is_err());
        assert!(c.set("max_attempts", "0").is_err());
        assert!(c.set("late_limit", "soon").is_err());
        assert!(c.set("tiktok_direct_post", "no").is_err());
        assert!(c.tiktok_direct_post());
        c.set("tiktok_direct_post", "false").unwrap();
        assert!(!c.tiktok_direct_post());
        assert_eq!(
            c.get("tiktok_direct_post").unwrap().as_deref(),
            Some("false")
        );
        c.set("timezone", "Europe/Berlin").unwrap();
        c.set("late_limit", "0").unwrap();
        assert_eq!(c.late_limit().unwrap(), None);
        assert_eq!(c.get("timezone").unwrap().as_deref(), Some("Europe/Berlin"));
        c.set("timezone", "").unwrap();
        assert_eq!(c.get("timezone").unwrap(), None);
    }

    #[test]
    fn file_round_trip_and_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        assert_eq!(Config::load(&path).unwrap(), Config::default());
        let mut c = Config::default();
        c.set("max_attempts", "3").unwrap();
        c.save(&path).unwrap();
        assert_eq!(Config::load(&path).unwrap(), c);
        fs_err::write(&path, "colour = 'red'\n").unwrap();
        let e = Config::load(&path).unwrap_err().to_string();
        assert!(e.contains("colour"), "{e}");
        fs_err::write(&path, "timezone = 'Nowhere/City'\n").unwrap();
        let e = Config::load(&path).unwrap_err().to_string();
        assert!(e.contains("timezone"), "{e}");
        fs_err::write(&path, [0xff, 0xfe, 0x00]).unwrap();
        assert!(Config::load(&path).is_err());
    }
}
