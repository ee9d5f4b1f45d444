//! `doctor`'s checks: each looks at one thing postez depends on and says, when it is wrong,
//! how to fix it. Checks run in order and never stop at the first problem; network and keychain
//! calls are bounded in time. Never prints.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::auth;
use crate::config::Config;
use crate::env::{Env, Paths};
use crate::post::PostState;
use crate::provider::{self, Platform};
use crate::secrets::{Backend, SecretError, SecretStore};
use crate::store::{AccountState, ListFilter, Store};

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Nothing to do.
    Ok,
    /// Works now, needs attention soon.
    Warn,
    /// Broken: posts will not go out.
    Fail,
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What was checked (`config`, `database`, `account pastachef`, …).
    pub name: String,
    /// The verdict.
    pub status: Status,
    /// One sentence.
    pub message: String,
    /// What to do, when not ok.
    pub fix: Option<String>,
}

fn check(
    name: impl Into<String>,
    status: Status,
    message: impl Into<String>,
    fix: Option<&str>,
) -> Check {
    Check {
        name: name.into(),
        status,
        message: message.into(),
        fix: fix.map(str::to_string),
    }
}

/// Warn when a refresh token expires sooner than this.
pub const REFRESH_WARNING: chrono::Duration = chrono::Duration::days(14);
/// Fail when posts are due and no run happened for this long.
pub const STALE_RUNNER: chrono::Duration = chrono::Duration::minutes(10);

/// Run every check. `now` is the schedule clock (POSTEZ_NOW in tests); token lifetimes use
/// the wall clock.
pub async fn run_checks(env: &Env, paths: &Paths, now: DateTime<Utc>) -> Vec<Check> {
    let mut checks = Vec::new();
    let mut config = match Config::load(&paths.config_file()) {
        Ok(c) => {
            checks.push(check(
                "config",
                Status::Ok,
                format!("`{}` is valid", paths.config_file().display()),
                None,
            ));
            c
        }
        Err(e) => {
            checks.push(check(
                "config",
                Status::Fail,
                e.to_string(),
                e.hint().as_deref(),
            ));
            Config::default()
        }
    };
    let store = match crate::store::Location::resolve(paths, env, &config) {
        Ok(crate::store::Location::Server(url)) => shared_database(&url, &mut checks),
        Ok(crate::store::Location::File(_)) => database(paths, &mut checks),
        Err(e) => {
            checks.push(check(
                "database",
                Status::Fail,
                e.to_string(),
                e.hint().as_deref(),
            ));
            None
        }
    };
    // Shared mode: the team's settings over this machine's, as every command reads them.
    if let Some(store) = &store {
        for (key, value) in store.team_settings().unwrap_or_default() {
            let _ = config.set(&key, &value);
        }
    }
    let used = used_platforms(store.as_ref());
    credentials(env, &config, &used, &mut checks);
    token_file(env, paths, &config, &mut checks);
    team_key(env, paths, &config, &mut checks);
    if let Some(store) = &store {
        accounts(env, paths, &config, store, now, &mut checks);
        media(store, &mut checks);
        youtube_quota(env, &config, store, &used, now, &mut checks);
        runner(env, store, now, &mut checks);
    }
    clock(env, &used, &mut checks).await;
    checks
}

/// Clock skew between this machine and the shared queue's server past which `doctor` warns:
/// `run` decides what is due by this machine's clock and leases by the server's.
const SKEW_WARNING: f64 = 5.0;

/// The shared queue (PostgreSQL): reachable, its schema, this machine's clock against the
/// server's, and leases that ran out with posts still under them.
fn shared_database(url: &str, checks: &mut Vec<Check>) -> Option<Store> {
    let store = match Store::connect(url) {
        Ok(store) => store,
        Err(e) => {
            checks.push(check(
                "database",
                Status::Fail,
                e.to_string(),
                e.hint().as_deref(),
            ));
            return None;
        }
    };
    let version = store.schema_version().unwrap_or(0);
    checks.push(check(
        "database",
        Status::Ok,
        format!(
            "the shared queue at `{}` answers (schema {version})",
            crate::store::redact_url(url)
        ),
        None,
    ));
    match store.clock_skew() {
        Ok(skew) if skew.abs() > SKEW_WARNING => checks.push(check(
            "clock skew",
            Status::Warn,
            format!(
                "this machine's clock is {:.1} s {} the shared queue's server",
                skew.abs(),
                if skew > 0.0 { "behind" } else { "ahead of" }
            ),
            Some("keep every runner's clock in sync (NTP, e.g. `timedatectl set-ntp true`): posts are due by this clock"),
        )),
        Ok(skew) => checks.push(check(
            "clock skew",
            Status::Ok,
            format!("this machine's clock is within {:.1} s of the shared queue's server", skew.abs()),
            None,
        )),
        Err(e) => checks.push(check("clock skew", Status::Warn, e.to_string(), None)),
    }
    match store.stale_leases() {
        Ok(stale) if stale.is_empty() => checks.push(check(
            "leases",
            Status::Ok,
            "no runner left posts under a lease that ran out",
            None,
        )),
        Ok(stale) => {
            let list: Vec<String> = stale
                .iter()
                .map(|l| {
                    format!(
                        "{} (runner {}, {} s ago)",
                        l.account, l.runner, l.expired_for
                    )
                })
                .collect();
            checks.push(check(
                "leases",
                Status::Warn,
                format!(
                    "a runner stopped while publishing for {}",
                    list.join(", ")
                ),
                Some("the next `postez run` on any machine takes these accounts over and asks the platform first; `postez runners` shows the machines"),
            ));
        }
        Err(e) => checks.push(check("leases", Status::Warn, e.to_string(), None)),
    }
    Some(store)
}

fn database(paths: &Paths, checks: &mut Vec<Check>) -> Option<Store> {
    let path = paths.database();
    if !path.exists() {
        checks.push(check(
            "database",
            Status::Ok,
            "no queue yet (it is created by the first `postez schedule`)",
            None,
        ));
        return None;
    }
    let fix = "move the file aside and restore your queue from an export (`postez import`), or start afresh";
    match Store::open(&path).and_then(|s| s.quick_check().map(|r| (s, r))) {
        Ok((store, result)) if result == "ok" => {
            let version = store.schema_version().unwrap_or(0);
            checks.push(check(
                "database",
                Status::Ok,
                format!(
                    "`{}` passed its integrity check (schema {version})",
                    path.display()
                ),
                None,
            ));
            Some(store)
        }
        Ok((_, result)) => {
            checks.push(check(
                "database",
                Status::Fail,
                format!("`{}` is damaged: {result}", path.display()),
                Some(fix),
            ));
            None
        }
        Err(e) => {
            checks.push(check(
                "database",
                Status::Fail,
                format!("`{}` cannot be read: {e}", path.display()),
                Some(fix),
            ));
            None
        }
    }
}

fn credentials(env: &Env, config: &Config, used: &[Platform], checks: &mut Vec<Check>) {
    // A platform nobody uses is not a fault: a TikTok-only user has no Google client, and the
    // reverse. The default platform is still checked while nothing is set up (a new user).
    let any_set = Platform::ALL
        .into_iter()
        .any(|p| provider::app_settings(p, env, config).key.is_some());
    for platform in Platform::ALL {
        let name = platform.name();
        let settings = provider::app_settings(platform, env, config);
        let first_setup = platform == Platform::default() && !any_set && used.is_empty();
        if settings.key.is_none() && !used.contains(&platform) && !first_setup {
            continue;
        }
        let what = settings.key_name;
        if settings.key.is_some() {
            checks.push(check(
                what,
                Status::Ok,
                format!("the {name} app's {what} is set"),
                None,
            ));
        } else {
            checks.push(check(
                what,
                Status::Fail,
                format!("no {name} {what} is set"),
                Some(&format!(
                    "set {} or `postez config set {} VALUE`",
                    settings.key_env, settings.key_setting
                )),
            ));
        }
    }
}

/// YouTube's daily upload allowance, for a user with a channel: the client in use, holds, and
/// today's queued uploads (the provider counts them).
fn youtube_quota(
    env: &Env,
    config: &Config,
    store: &Store,
    used: &[Platform],
    now: DateTime<Utc>,
    checks: &mut Vec<Check>,
) {
    if !used.contains(&Platform::YouTube) {
        return;
    }
    let name = "YouTube quota";
    match provider::youtube::quota::doctor(env, config, store, now) {
        Ok(r) => checks.push(check(
            name,
            if r.warn { Status::Warn } else { Status::Ok },
            r.message,
            r.fix.as_deref(),
        )),
        Err(e) => checks.push(check(name, Status::Warn, e.to_string(), None)),
    }
}

/// The platforms with a connected (or reconnectable) account.
fn used_platforms(store: Option<&Store>) -> Vec<Platform> {
    let accounts = store.and_then(|s| s.accounts().ok()).unwrap_or_default();
    Platform::ALL
        .into_iter()
        .filter(|p| {
            accounts
                .iter()
                .any(|a| a.platform == *p && a.state != AccountState::Disconnected)
        })
        .collect()
}

/// The platforms' names and ids, for a message about all of them ("TikTok", "tiktok").
fn every_platform() -> (String, String) {
    (
        Platform::ALL.map(Platform::name).join(" or "),
        Platform::ALL.map(Platform::as_str).join("|"),
    )
}

/// Passphrases shorter than this are warned about: the token file can be copied and attacked
/// offline, and Argon2 only slows each guess down.
pub const MIN_PASSPHRASE_CHARS: usize = 12;

/// The encrypted token file, when there is one or it is the chosen store: its mode, the folders
/// around it (strict modes), and the strength of the passphrase that opens it.
fn token_file(env: &Env, paths: &Paths, config: &Config, checks: &mut Vec<Check>) {
    let file = paths.secrets_file();
    let chosen = matches!(auth::chosen_backend(None, env, config), Ok(Backend::File));
    if !file.exists() && !chosen {
        return;
    }
    #[cfg(unix)]
    if let Ok(meta) = std::fs::metadata(&file) {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            checks.push(check(
                "token file",
                Status::Warn,
                format!(
                    "`{}` can be read by group or others (mode {mode:04o}); it is encrypted, \
                     but a copy can be attacked offline",
                    file.display()
                ),
                Some(&format!("run `chmod 600 {}`", file.display())),
            ));
        }
    }
    match auth::passphrase(paths, env, config) {
        Ok(Some(p)) if p.expose().chars().count() < MIN_PASSPHRASE_CHARS => {
            checks.push(check(
                "passphrase",
                Status::Warn,
                format!(
                    "the token file's passphrase is shorter than {MIN_PASSPHRASE_CHARS} \
                     characters"
                ),
                Some(&format!(
                    "move the login to the keychain with `postez connect {} --token-store \
                     keychain`, or delete `{}` and connect again with a passphrase of \
                     {MIN_PASSPHRASE_CHARS} characters or more",
                    crate::queue::platform(),
                    file.display()
                )),
            ));
        }
        Ok(_) => {}
        Err(e) => checks.push(check(
            "token file",
            Status::Fail,
            e.to_string(),
            e.hint().as_deref(),
        )),
    }
}

/// Shared mode: whether this machine's team key opens the shared queue's logins (a wrong key
/// file or passphrase is found here, before a run needs a token).
fn team_key(env: &Env, paths: &Paths, config: &Config, checks: &mut Vec<Check>) {
    if !matches!(
        crate::store::Location::resolve(paths, env, config),
        Ok(crate::store::Location::Server(_))
    ) {
        return;
    }
    match auth::database_store(paths, env, config).and_then(|s| Ok(s.probe()?)) {
        Ok(()) => checks.push(check(
            "team key",
            Status::Ok,
            "the team key opens the shared queue's logins",
            None,
        )),
        Err(e) => checks.push(check(
            "team key",
            Status::Fail,
            e.to_string(),
            e.hint().as_deref(),
        )),
    }
}

fn accounts(
    env: &Env,
    paths: &Paths,
    config: &Config,
    store: &Store,
    now: DateTime<Utc>,
    checks: &mut Vec<Check>,
) {
    let accounts = match store.accounts() {
        Ok(a) => a
            .into_iter()
            .filter(|a| a.state != AccountState::Disconnected)
            .collect::<Vec<_>>(),
        Err(e) => {
            checks.push(check("accounts", Status::Fail, e.to_string(), None));
            return;
        }
    };
    if accounts.is_empty() {
        let (names, ids) = every_platform();
        checks.push(check(
            "accounts",
            Status::Warn,
            format!("no {names} account is connected"),
            Some(&format!("run `postez connect {ids}`")),
        ));
        return;
    }
    let wall = Utc::now();
    // The platforms whose client secret was checked (once each).
    let mut secret_checked = Vec::new();
    for platform in Platform::ALL {
        if provider::app_settings(platform, env, config)
            .env_secret
            .is_some()
        {
            secret_checked.push(platform);
            checks.push(check(
                "client secret",
                Status::Ok,
                "the client secret is set in the environment",
                None,
            ));
        }
    }
    for account in accounts {
        let name = format!("account {}", account.label());
        let platform = account.platform;
        let reconnect = format!("run `postez connect {platform}`");
        if account.state == AccountState::NeedsReconnect {
            checks.push(check(
                &name,
                Status::Fail,
                format!("{} rejected its saved login", platform.name()),
                Some(&reconnect),
            ));
            continue;
        }
        // The platform refused the account any post: nothing goes out until the user says so.
        if let Some(pause) = account.pause() {
            checks.push(check(
                &name,
                Status::Fail,
                &pause.message,
                pause.hint.as_deref(),
            ));
            continue;
        }
        // A daily quota: posts wait, and go out by themselves after it.
        for hold in account.holds.iter().filter(|h| h.active(now)) {
            let until = hold.until.map(crate::store::db_time).unwrap_or_default();
            checks.push(check(
                &name,
                Status::Warn,
                format!("posts held until {until}: {}", hold.message),
                hold.hint.as_deref(),
            ));
        }
        let backend = auth::account_backend(&account);
        let store_name = match backend {
            Backend::Keychain => "keychain",
            Backend::File => "token file",
            Backend::Database => "shared queue's logins",
        };
        let secrets: SecretStore = match auth::open_store(backend, paths, env, config) {
            Ok(s) => s,
            Err(e) => {
                checks.push(check(
                    &name,
                    Status::Fail,
                    format!("its {store_name} cannot be opened: {e}"),
                    e.hint().as_deref(),
                ));
                continue;
            }
        };
        if !secret_checked.contains(&platform) {
            secret_checked.push(platform);
            let key = provider::client_secret_key(platform.as_str());
            match secrets.get(&key) {
                Ok(Some(_)) => checks.push(check(
                    "client secret",
                    Status::Ok,
                    format!("the client secret is saved in the {store_name}"),
                    None,
                )),
                _ => checks.push(check(
                    "client secret",
                    Status::Fail,
                    format!("no {} client secret is available", platform.name()),
                    Some(&format!(
                        "set {}, or {reconnect} on a terminal to save it",
                        provider::app_settings(platform, env, config).secret_env
                    )),
                )),
            }
        }
        let tokens = match auth::saved_tokens(&secrets, &account) {
            Ok(t) => t,
            Err(crate::Error::Secrets(e @ SecretError::Unavailable { .. })) => {
                let fix = e.hint();
                checks.push(check(
                    &name,
                    Status::Fail,
                    format!("its {store_name} is not reachable: {e}"),
                    fix.as_deref(),
                ));
                continue;
            }
            Err(e) => {
                checks.push(check(
                    &name,
                    Status::Fail,
                    format!("its tokens are missing from the {store_name}: {e}"),
                    Some(&reconnect),
                ));
                continue;
            }
        };
        let ends = tokens.refresh_expires_at;
        let left = ends.map(|t| t - wall);
        // Said first: the warning a platform gives about its logins' lifetime (a Google
        // project in "Testing") names the fix for good, not just "reconnect".
        let expired = left.is_some_and(|l| l <= chrono::Duration::zero());
        let warning = provider::login_warning(platform, config, ends, wall);
        if let Some(w) = warning.filter(|_| !expired) {
            checks.push(check(&name, Status::Warn, w.message, Some(&w.hint)));
        } else if expired {
            checks.push(check(
                &name,
                Status::Fail,
                "its saved login has expired",
                Some(&reconnect),
            ));
        } else if let Some(t) = ends.filter(|_| left.is_some_and(|l| l < REFRESH_WARNING)) {
            checks.push(check(
                &name,
                Status::Warn,
                format!("its saved login expires {}", crate::when::relative(t, wall)),
                Some(&format!("{reconnect} before then")),
            ));
        } else {
            // The platform may not say when a login ends (Google): unknown, not guessed.
            let until = ends.map_or_else(
                || {
                    format!(
                        "until {} says otherwise (its end is unknown)",
                        platform.name()
                    )
                },
                |t| format!("until {}", t.format("%Y-%m-%d")),
            );
            checks.push(check(
                &name,
                Status::Ok,
                format!(
                    "tokens in the {store_name}; access renews {}, login valid {until}",
                    crate::when::relative(tokens.access_expires_at, wall),
                ),
                None,
            ));
        }
    }
}

fn media(store: &Store, checks: &mut Vec<Check>) {
    let filter = ListFilter {
        states: vec![PostState::Scheduled, PostState::Failed],
        limit: 0,
        ..ListFilter::default()
    };
    let Ok((posts, _)) = store.list(&filter) else {
        return;
    };
    let mut problems = Vec::new();
    for post in &posts {
        // Shared mode: a video the shared queue holds is that copy, checked by the runner that
        // publishes it; the path is another machine's.
        if let Some(id) = post.media_id {
            if !matches!(store.media_info(id), Ok(Some((_, _, true)))) {
                problems.push(format!(
                    "post {}: the shared queue no longer holds its video",
                    post.id
                ));
            }
            continue;
        }
        let path = Path::new(&post.file);
        match crate::media::fingerprint(path) {
            Ok(fp) if fp == post.fingerprint => {}
            Ok(_) => problems.push(format!(
                "post {}: `{}` changed since it was scheduled",
                post.id, post.file
            )),
            Err(_) => problems.push(format!("post {}: `{}` is missing", post.id, post.file)),
        }
    }
    if problems.is_empty() {
        checks.push(check(
            "videos",
            Status::Ok,
            match posts.len() {
                0 => "no videos are queued".to_string(),
                1 => "the queued video is in place and unchanged".to_string(),
                n => format!("all {n} queued videos are in place and unchanged"),
            },
            None,
        ));
    } else {
        checks.push(check(
            "videos",
            Status::Fail,
            problems.join("; "),
            Some("`postez edit ID --file PATH` (or `postez edit ID` to accept a changed file), or `postez cancel ID`"),
        ));
    }
}

fn runner(env: &Env, store: &Store, now: DateTime<Utc>, checks: &mut Vec<Check>) {
    let installed = crate::runner::Runner::for_env(env)
        .map(|r| r.status())
        .unwrap_or_default();
    let last = store.last_run().ok().flatten();
    let due = store.due(now).map(|d| d.len()).unwrap_or(0);
    let last_text = last.as_ref().map_or_else(
        || "it never ran".to_string(),
        |r| {
            format!(
                "it last ran {}",
                crate::when::relative(r.started_at, Utc::now())
            )
        },
    );
    let stale = last
        .as_ref()
        .is_none_or(|r| Utc::now() - r.started_at > STALE_RUNNER);
    if due > 0 && stale {
        checks.push(check(
            "runner",
            Status::Fail,
            format!(
                "{} {} due but no `postez run` happened in the last 10 minutes ({last_text})",
                crate::words::count(due, "post"),
                crate::words::verb(due, "is", "are")
            ),
            Some(if installed.is_empty() {
                "install the runner with `postez cron install`"
            } else {
                "the runner is installed but not running: see `postez cron show` and its log"
            }),
        ));
    } else if installed.is_empty() {
        checks.push(check(
            "runner",
            Status::Warn,
            format!("no runner is installed ({last_text})"),
            Some("run `postez cron install`, or call `postez run` from your own scheduler"),
        ));
    } else {
        let kind = installed.first().map_or("", |i| i.kind.as_str());
        checks.push(check(
            "runner",
            Status::Ok,
            format!("{kind} runner installed; {last_text}"),
            None,
        ));
    }
}

/// Compare the system clock with the `Date` of each platform's answer (skipped offline): the
/// default platform's, and those of the platforms with an account (no one else's server is
/// contacted).
async fn clock(env: &Env, used: &[Platform], checks: &mut Vec<Check>) {
    for platform in Platform::ALL {
        if platform != Platform::default() && !used.contains(&platform) {
            continue;
        }
        platform_clock(env, platform, checks).await;
    }
}

/// Compare the system clock with the `Date` of `platform`'s answer: its login and its upload
/// addresses are signed for a time.
async fn platform_clock(env: &Env, platform: Platform, checks: &mut Vec<Check>) {
    let name = platform.name();
    let url = match provider::api_base(platform, env) {
        Ok(url) => url,
        Err(e) => {
            checks.push(Check {
                name: format!("{platform} address"),
                status: Status::Fail,
                message: e.to_string(),
                fix: e.hint(),
            });
            return;
        }
    };
    // Only the `Date` header is read; the body is never touched.
    let Ok(client) = provider::net::client(Duration::from_secs(5)) else {
        return;
    };
    let Ok(response) = client.get(url).send().await else {
        checks.push(check(
            "clock",
            Status::Ok,
            format!("{name} is not reachable; the clock was not compared"),
            None,
        ));
        return;
    };
    let Some(date) = response
        .headers()
        .get("date")
        .and_then(|d| d.to_str().ok())
        .and_then(|d| DateTime::parse_from_rfc2822(d).ok())
    else {
        checks.push(check(
            "clock",
            Status::Ok,
            format!("{name}'s answer had no date; the clock was not compared"),
            None,
        ));
        return;
    };
    let skew = (Utc::now() - date.with_timezone(&Utc)).num_seconds();
    if skew.abs() > 60 {
        checks.push(check(
            "clock",
            Status::Warn,
            format!("the system clock is {skew} s off {name}'s"),
            Some("enable time synchronisation (e.g. `timedatectl set-ntp true`)"),
        ));
    } else {
        checks.push(check(
            "clock",
            Status::Ok,
            format!("the system clock agrees with {name}'s ({skew:+} s)"),
            None,
        ));
    }
}
