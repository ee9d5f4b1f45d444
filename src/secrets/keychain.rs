//! The OS keychain backend: Secret Service on Linux (through the pure-Rust zbus store, which
//! finds the session bus by itself), Keychain on macOS, Credential Manager on Windows. This
//! module owns the worker thread and timeout around every call, so a missing bus or a hung
//! daemon becomes [`SecretError::Unavailable`] instead of hanging cron, the translation of
//! keyring errors, which drops any payload that could hold a secret, and the label a keyring
//! manager shows for each item ("postez: TikTok login for @name").

use std::fmt;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use keyring_core::{CredentialStore, Entry};

use super::{Secret, SecretError};

type SharedStore = Arc<Mutex<Option<Arc<CredentialStore>>>>;

/// The OS keychain, through keyring-core with an explicit platform store (no process-global
/// default store is set, so nothing here depends on start-up order).
///
/// Every call runs on a fresh thread and waits at most `timeout`: a missing bus, a locked keyring
/// or a hung daemon becomes [`SecretError::Unavailable`] instead of hanging cron. That also makes
/// it safe to call from inside a tokio runtime (the blocking zbus client never runs on a tokio
/// worker), although the caller's thread still blocks for up to `timeout`. A call that timed out
/// may still complete later in the background; a timed-out `set` must be treated as unknown.
pub struct Keychain {
    service: String,
    timeout: Duration,
    /// The platform store, connected on first use and shared by later calls; dropped after an
    /// "unavailable" error so the next call reconnects.
    store: SharedStore,
}

impl fmt::Debug for Keychain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keychain")
            .field("service", &self.service)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// What a keychain worker thread sends back. Errors are translated on the worker so that keyring
/// errors carrying secret bytes never cross the channel.
type Reply<T> = Result<T, SecretError>;

impl Keychain {
    /// A keychain handle for `service` (normally [`SERVICE`](super::SERVICE)); connects lazily,
    /// on first use.
    pub fn new(service: &str, timeout: Duration) -> Self {
        Self {
            service: service.to_owned(),
            timeout,
            store: Arc::default(),
        }
    }

    /// The secret for account `key`, or `None` if the keychain has no such entry.
    pub fn get(&self, key: &str) -> Result<Option<Secret>, SecretError> {
        self.call(key, None, |entry| match entry.get_password() {
            Ok(password) => Ok(Some(Secret::new(password))),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(e),
        })
    }

    /// Stores `value` for account `key`, replacing any previous value. A new item is labelled
    /// after the key ("postez: TikTok app client secret"); an existing one keeps its label.
    pub fn set(&self, key: &str, value: &Secret) -> Result<(), SecretError> {
        let value = value.clone();
        let label = default_label(&self.service, key);
        self.call(key, Some(label), move |entry| {
            entry.set_password(value.expose())
        })
    }

    /// Like [`Keychain::set`], and the item, new or existing, is labelled `label`: the name a
    /// keyring manager (Seahorse, KWallet, `secret-tool search`) shows for it.
    pub fn set_labeled(&self, key: &str, value: &Secret, label: &str) -> Result<(), SecretError> {
        let value = value.clone();
        let wanted = label.to_owned();
        self.call(key, Some(label.to_owned()), move |entry| {
            entry.set_password(value.expose())?;
            // The label only names the item: the secret is saved, so a failure here must not
            // make the caller believe it was not.
            let _ = relabel(entry, &wanted);
            Ok(())
        })
    }

    /// The label of the item for `key`, or `None` if there is no item (or the platform's
    /// keychain has no labels postez sets: only the Secret Service has).
    pub fn label(&self, key: &str) -> Result<Option<String>, SecretError> {
        self.call(key, None, item_label)
    }

    /// Deletes the entry for `key`; `true` if there was one. Duplicates (several items for the
    /// same account, e.g. left by another tool) are all deleted.
    pub fn delete(&self, key: &str) -> Result<bool, SecretError> {
        self.call(key, None, |entry| match entry.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring_core::Error::NoEntry) => Ok(false),
            Err(keyring_core::Error::Ambiguous(entries)) => {
                for duplicate in entries {
                    duplicate.delete_credential()?;
                }
                Ok(true)
            }
            Err(e) => Err(e),
        })
    }

    /// Checks that the keychain answers and can store a secret now.
    ///
    /// Reading a missing entry is not enough: the Secret Service answers a search even while the
    /// collection is locked or absent, which is exactly when a later `set` fails. So the probe
    /// writes a sentinel entry and deletes it again: a few D-Bus round trips, done only when a
    /// backend is chosen (`postez connect`, `postez doctor`), never on every run. Each probe
    /// has a key of its own: with a shared one, a second postez probing at the same moment could
    /// delete the item between this one's search and its next call, which fails.
    pub fn probe(&self) -> Result<(), SecretError> {
        let key = format!(
            "postez:probe:{}:{:x}",
            std::process::id(),
            rand::random::<u32>()
        );
        let label = format!("{}: keychain check (deleted at once)", self.service);
        self.call(&key, Some(label), |entry| {
            entry.set_password("probe")?;
            match entry.delete_credential() {
                Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
                Err(e) => Err(e),
            }
        })
    }

    /// Runs `op` on the entry (service, `key`) on a worker thread, under the timeout. `label`
    /// names the item if `op` creates it.
    fn call<T, F>(&self, key: &str, label: Option<String>, op: F) -> Result<T, SecretError>
    where
        T: Send + 'static,
        F: FnOnce(&Entry) -> keyring_core::Result<T> + Send + 'static,
    {
        let (tx, rx) = mpsc::sync_channel::<Reply<T>>(1);
        let store = Arc::clone(&self.store);
        let service = self.service.clone();
        let account = key.to_owned();
        std::thread::Builder::new()
            .name("postez-keychain".into())
            .spawn(move || {
                let reply = run_on_entry(&store, &service, &account, label.as_deref(), op);
                // The receiver is gone if the caller timed out; nobody is left to tell.
                let _ = tx.send(reply);
            })
            .map_err(|e| SecretError::Other {
                detail: format!("could not start a keychain thread: {e}"),
            })?;
        match rx.recv_timeout(self.timeout) {
            Ok(reply) => reply,
            Err(mpsc::RecvTimeoutError::Timeout) => Err(SecretError::Unavailable {
                reason: format!("no answer within {}s", self.timeout.as_secs_f32()),
            }),
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(SecretError::Other {
                detail: "the keychain thread stopped without an answer".into(),
            }),
        }
    }
}

/// The body of a keychain worker: connect (or reuse the connection), build the entry, run `op`.
fn run_on_entry<T, F>(
    store: &SharedStore,
    service: &str,
    account: &str,
    label: Option<&str>,
    op: F,
) -> Reply<T>
where
    F: FnOnce(&Entry) -> keyring_core::Result<T>,
{
    let mut slot = store
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let connected = match slot.as_ref() {
        Some(s) => Arc::clone(s),
        None => {
            let s = platform_store().map_err(|e| translate(e, service, account, true))?;
            *slot = Some(Arc::clone(&s));
            s
        }
    };
    // Release the slot before talking to the daemon so a hung call blocks only its own thread
    // (later calls wait on the daemon, under their own timeouts, not on this mutex).
    drop(slot);
    let result = new_entry(&connected, service, account, label).and_then(|entry| op(&entry));
    result.map_err(|e| {
        let err = translate(e, service, account, false);
        if matches!(err, SecretError::Unavailable { .. }) {
            *store
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
        }
        err
    })
}

/// The entry for (`service`, `account`); on the Secret Service, an item it creates is named
/// `label` (without one, the store names it `keyring:<account>@<service>`, which says nothing
/// to someone browsing their keyring).
fn new_entry(
    store: &Arc<CredentialStore>,
    service: &str,
    account: &str,
    label: Option<&str>,
) -> keyring_core::Result<Entry> {
    // Only the Secret Service store takes a `label` modifier; the others refuse unknown ones.
    #[cfg(target_os = "linux")]
    if let Some(label) = label {
        let modifiers = std::collections::HashMap::from([("label", label)]);
        return Entry::new_in_store_with_modifiers(store, service, account, &modifiers);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = label;
    Entry::new_in_store(store, service, account)
}

/// The label of a new item whose caller named none, from its key (`<platform>:<account-id>` or
/// `<platform>:client_secret`).
fn default_label(service: &str, key: &str) -> String {
    match key.split_once(':') {
        Some((platform, "client_secret")) => {
            format!("{service}: {} app client secret", platform_title(platform))
        }
        Some((platform, _)) => format!("{service}: {} login", platform_title(platform)),
        None => format!("{service}: {key}"),
    }
}

/// The label of an account's login: "postez: TikTok login for @name".
pub fn login_label(platform: &str, owner: &str) -> String {
    format!(
        "{}: {} login for {owner}",
        super::SERVICE,
        platform_title(platform)
    )
}

fn platform_title(platform: &str) -> &str {
    match platform {
        "tiktok" => "TikTok",
        "youtube" => "YouTube",
        other => other,
    }
}

/// Gives the existing item of `entry` the label `label`, if it has another one.
#[cfg(target_os = "linux")]
fn relabel(entry: &Entry, label: &str) -> keyring_core::Result<()> {
    use zbus_secret_service_keyring_store::cred::Specifier;
    match entry.as_any().downcast_ref::<Specifier>() {
        Some(item) if item.get_label()? != label => item.set_label(label),
        _ => Ok(()),
    }
}

#[cfg(not(target_os = "linux"))]
fn relabel(_entry: &Entry, _label: &str) -> keyring_core::Result<()> {
    Ok(())
}

#[cfg(target_os = "linux")]
fn item_label(entry: &Entry) -> keyring_core::Result<Option<String>> {
    use zbus_secret_service_keyring_store::cred::Specifier;
    match entry
        .as_any()
        .downcast_ref::<Specifier>()
        .map(Specifier::get_label)
    {
        Some(Ok(label)) => Ok(Some(label)),
        Some(Err(keyring_core::Error::NoEntry)) | None => Ok(None),
        Some(Err(e)) => Err(e),
    }
}

#[cfg(not(target_os = "linux"))]
fn item_label(_entry: &Entry) -> keyring_core::Result<Option<String>> {
    Ok(None)
}

/// What the platform calls its keychain, for error messages.
#[cfg(target_os = "linux")]
const KEYCHAIN_NAME: &str = "the Secret Service";
#[cfg(target_os = "macos")]
const KEYCHAIN_NAME: &str = "the macOS Keychain";
#[cfg(target_os = "windows")]
const KEYCHAIN_NAME: &str = "the Windows Credential Manager";
#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
const KEYCHAIN_NAME: &str = "a keychain";

#[cfg(target_os = "linux")]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(zbus_secret_service_keyring_store::Store::new()?)
}

#[cfg(target_os = "macos")]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(apple_native_keyring_store::keychain::Store::new()?)
}

#[cfg(target_os = "windows")]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(windows_native_keyring_store::Store::new()?)
}

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Err(keyring_core::Error::NoDefaultStore)
}

/// Maps a keyring error to ours. Never formats `BadEncoding`/`BadDataFormat` payloads (they hold
/// the stored bytes) nor `Ambiguous` with `{:?}`.
fn translate(
    err: keyring_core::Error,
    service: &str,
    account: &str,
    connecting: bool,
) -> SecretError {
    use keyring_core::Error as K;
    match err {
        K::PlatformFailure(e) if connecting => SecretError::Unavailable {
            reason: format!("could not connect to {KEYCHAIN_NAME} ({e})"),
        },
        K::PlatformFailure(e) => SecretError::Unavailable {
            reason: e.to_string(),
        },
        K::NoStorageAccess(e) => SecretError::Unavailable {
            reason: format!(
                "access refused; the keyring may be locked or have no default collection ({e})"
            ),
        },
        K::NoDefaultStore => SecretError::Unavailable {
            reason: "this platform has no supported keychain".into(),
        },
        K::NoEntry => SecretError::Other {
            detail: format!("no keychain entry for `{account}` in `{service}`"),
        },
        K::BadEncoding(_) | K::BadDataFormat(..) => SecretError::Other {
            detail: format!("the keychain entry for `{account}` in `{service}` is not text"),
        },
        K::Ambiguous(entries) => SecretError::Other {
            detail: format!(
                "{} keychain entries match `{account}` in `{service}`; remove the extras \
                 (e.g. `secret-tool clear service {service} username {account}`)",
                entries.len()
            ),
        },
        K::TooLong(name, limit) => SecretError::Other {
            detail: format!("keychain `{name}` is longer than the platform limit of {limit}"),
        },
        K::Invalid(name, why) => SecretError::Other {
            detail: format!("keychain `{name}` is invalid: {why}"),
        },
        K::BadStoreFormat(why) | K::NotSupportedByStore(why) => SecretError::Other {
            detail: format!("keychain error: {why}"),
        },
        // keyring_core::Error is non_exhaustive; its Display of future variants is assumed to
        // stay as free of secrets as today's.
        other => SecretError::Other {
            detail: format!("keychain error: {other}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::tests::TOKEN;
    use crate::secrets::{Backend, DEFAULT_KEYCHAIN_TIMEOUT, SecretStore};
    use std::time::Instant;

    // The real Secret Service (see run-keyring-tests.sh).

    /// Whether the keychain tests can run here. Without a session bus they are skipped, unless
    /// POSTEZ_REQUIRE_KEYRING=1 (set by run-keyring-tests.sh and CI) turns the skip into a failure.
    #[allow(clippy::disallowed_methods, clippy::print_stderr)]
    fn session_bus(test: &str) -> bool {
        if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some() {
            return true;
        }
        let required = std::env::var_os("POSTEZ_REQUIRE_KEYRING").is_some_and(|v| v == "1");
        assert!(
            !required,
            "{test}: POSTEZ_REQUIRE_KEYRING=1 but DBUS_SESSION_BUS_ADDRESS is unset"
        );
        eprintln!("SKIPPED {test}: no D-Bus session bus; run ./run-keyring-tests.sh");
        false
    }

    /// A keychain under a test-only service, so a developer's real `postez` entries are safe.
    fn test_keychain() -> Keychain {
        Keychain::new("postez-test", DEFAULT_KEYCHAIN_TIMEOUT)
    }

    fn unique(name: &str) -> String {
        format!(
            "test:{name}:{}:{:x}",
            std::process::id(),
            rand::random::<u32>()
        )
    }

    #[test]
    fn keychain_round_trip() {
        if !session_bus("keychain_round_trip") {
            return;
        }
        let store = SecretStore::Keychain(test_keychain());
        assert_eq!(store.backend(), Backend::Keychain);
        store.probe().expect("probe");
        let key = unique("round-trip");
        store.set(&key, &Secret::new(TOKEN)).expect("set");
        assert_eq!(store.get(&key).expect("get"), Some(Secret::new(TOKEN)));
        store.set(&key, &Secret::new("second")).expect("overwrite");
        assert_eq!(store.get(&key).expect("get"), Some(Secret::new("second")));
        assert!(store.delete(&key).expect("delete"));
        assert!(!store.delete(&key).expect("delete again"));
        assert_eq!(store.get(&key).expect("get"), None);
    }

    #[test]
    fn keychain_items_say_what_they_are() {
        if !session_bus("keychain_items_say_what_they_are") {
            return;
        }
        // A service of its own, so its fixed `tiktok:client_secret` key meets no other test's.
        let service = format!(
            "postez-test-{}-{:x}",
            std::process::id(),
            rand::random::<u32>()
        );
        let keychain = Keychain::new(&service, DEFAULT_KEYCHAIN_TIMEOUT);
        let login = "tiktok:-000fAkE0pEn1d";
        let secret = "tiktok:client_secret";
        assert_eq!(keychain.label(login).expect("label"), None);
        // Without a name, the label comes from the key, not the store's `keyring:…@…`.
        keychain.set(secret, &Secret::new(TOKEN)).expect("set");
        assert_eq!(
            keychain.label(secret).expect("label").as_deref(),
            Some(format!("{service}: TikTok app client secret").as_str())
        );
        keychain.set(login, &Secret::new(TOKEN)).expect("set");
        assert_eq!(
            keychain.label(login).expect("label").as_deref(),
            Some(format!("{service}: TikTok login").as_str())
        );
        // Named: the existing item is relabelled, and a plain `set` (a refresh) keeps that.
        let named = login_label("tiktok", "@pastachef");
        assert_eq!(named, "postez: TikTok login for @pastachef");
        keychain
            .set_labeled(login, &Secret::new("second"), &named)
            .expect("set_labeled");
        keychain.set(login, &Secret::new("third")).expect("set");
        assert_eq!(keychain.label(login).expect("label"), Some(named.clone()));
        assert_eq!(
            keychain.get(login).expect("get"),
            Some(Secret::new("third"))
        );
        // A new item gets the name at once.
        assert!(keychain.delete(login).expect("delete"));
        keychain
            .set_labeled(login, &Secret::new(TOKEN), &named)
            .expect("set_labeled");
        assert_eq!(keychain.label(login).expect("label"), Some(named));
        assert!(keychain.delete(login).expect("delete"));
        assert!(keychain.delete(secret).expect("delete"));
    }

    #[test]
    fn keychain_missing_key_is_none() {
        if !session_bus("keychain_missing_key_is_none") {
            return;
        }
        let keychain = test_keychain();
        assert_eq!(keychain.get(&unique("never-set")).expect("get"), None);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn keychain_works_inside_tokio() {
        if !session_bus("keychain_works_inside_tokio") {
            return;
        }
        let keychain = Arc::new(test_keychain());
        let key = unique("tokio");
        // Called directly on a runtime worker, as the async CLI would…
        keychain.set(&key, &Secret::new(TOKEN)).expect("set");
        // …and from spawn_blocking, the polite way.
        let (k, kc) = (key.clone(), Arc::clone(&keychain));
        let got = tokio::task::spawn_blocking(move || kc.get(&k))
            .await
            .expect("join")
            .expect("get");
        assert_eq!(got, Some(Secret::new(TOKEN)));
        assert!(keychain.delete(&key).expect("delete"));
    }

    /// Runs this test binary again, with only `test` selected and `env` set: the way to point
    /// zbus at another bus without racing the other tests over the process environment.
    fn rerun_alone(test: &str, env: &[(&str, &std::ffi::OsStr)]) {
        let path = module_path!().split_once("::").map_or("", |(_, rest)| rest);
        let exe = std::env::current_exe().expect("current_exe");
        let output = std::process::Command::new(exe)
            .args([
                &format!("{path}::{test}"),
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .envs(env.iter().copied())
            .env("POSTEZ_TEST_CHILD", "1")
            .output()
            .expect("spawn the test binary");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(output.status.success(), "child failed:\n{all}");
        assert!(all.contains("1 passed"), "child ran no test:\n{all}");
    }

    #[allow(clippy::disallowed_methods)]
    fn in_child() -> bool {
        std::env::var_os("POSTEZ_TEST_CHILD").is_some()
    }

    #[test]
    fn keychain_with_no_bus_is_unavailable_fast() {
        if !in_child() {
            let dir = tempfile::tempdir().expect("tempdir");
            let addr = format!("unix:path={}", dir.path().join("no-such-bus").display());
            rerun_alone(
                "keychain_with_no_bus_is_unavailable_fast",
                &[("DBUS_SESSION_BUS_ADDRESS", addr.as_ref())],
            );
            return;
        }
        let timeout = Duration::from_secs(5);
        let store = SecretStore::Keychain(Keychain::new("postez-test", timeout));
        let started = Instant::now();
        for result in [
            store.probe(),
            store.get("k").map(drop),
            store.set("k", &Secret::new(TOKEN)),
            store.delete("k").map(drop),
        ] {
            let err = result.expect_err("no bus");
            assert!(matches!(err, SecretError::Unavailable { .. }), "{err:?}");
            assert!(
                err.to_string()
                    .starts_with("the system keychain is not available")
            );
            assert!(err.hint().is_some_and(|h| h.contains("--token-store file")));
        }
        assert!(started.elapsed() < timeout, "took {:?}", started.elapsed());
    }

    #[test]
    fn keychain_silent_bus_times_out() {
        if !in_child() {
            let dir = tempfile::tempdir().expect("tempdir");
            let addr = format!("unix:path={}", dir.path().join("silent-bus").display());
            rerun_alone(
                "keychain_silent_bus_times_out",
                &[
                    ("DBUS_SESSION_BUS_ADDRESS", addr.as_ref()),
                    (
                        "POSTEZ_TEST_SOCKET",
                        dir.path().join("silent-bus").as_os_str(),
                    ),
                ],
            );
            return;
        }
        // A "bus" that accepts connections and never says a word, like a wedged daemon.
        #[allow(clippy::disallowed_methods)]
        let socket = std::env::var_os("POSTEZ_TEST_SOCKET").expect("POSTEZ_TEST_SOCKET");
        let listener = std::os::unix::net::UnixListener::bind(socket).expect("bind");
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for conn in listener.incoming() {
                held.push(conn);
            }
        });
        let timeout = Duration::from_millis(700);
        let keychain = Keychain::new("postez-test", timeout);
        let started = Instant::now();
        let err = keychain.get("k").expect_err("silent bus");
        let elapsed = started.elapsed();
        assert!(
            matches!(&err, SecretError::Unavailable { reason } if reason.contains("no answer within")),
            "{err:?}"
        );
        assert!(
            elapsed >= timeout && elapsed < timeout * 3,
            "took {elapsed:?}"
        );
        // The next call is bounded too, even though the first worker is still stuck.
        let started = Instant::now();
        assert!(keychain.set("k", &Secret::new(TOKEN)).is_err());
        assert!(started.elapsed() < timeout * 3);
    }
}
