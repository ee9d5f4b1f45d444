//! Secrets: owns the system keychain and the encrypted token file, and is the only place where
//! OAuth tokens and client secrets are read or written. It never prints. A secret travels as
//! [`Secret`], whose `Debug` is `[redacted]` and which has no `Display`, and no secret value ever
//! appears in a `Debug` output or an error message of this module (keyring errors that carry the
//! raw bytes, such as `BadEncoding`, are translated here and their payload dropped).
//!
//! Two backends, chosen explicitly by the caller (never a silent fallback, never plaintext):
//! - [`Keychain`]: the OS store (Secret Service on Linux through the pure-Rust zbus store, which
//!   finds `/run/user/$UID/bus` by itself so a desktop user's cron job needs no setup; Keychain on
//!   macOS; Credential Manager on Windows). Every call runs on its own thread under a timeout, so
//!   a stuck D-Bus call cannot hang cron.
//! - [`FileStore`]: one file, a JSON map encrypted as a whole with XChaCha20-Poly1305 under an
//!   Argon2id key derived from a passphrase; mode 0600, atomic replace, locked writers.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead as _, KeyInit as _, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use keyring_core::{CredentialStore, Entry};
use rand::RngCore as _;
use serde::{Deserialize, Serialize};

/// The keychain service name under which postez keeps its entries (convention 9).
pub const SERVICE: &str = "postez";

/// How long a keychain call may take before it is reported as [`SecretError::Unavailable`].
pub const DEFAULT_KEYCHAIN_TIMEOUT: Duration = Duration::from_secs(5);

// ---------------------------------------------------------------------------------------------
// Secret

/// A secret string (token, client secret, passphrase).
///
/// `Debug` prints `[redacted]`; there is no `Display` and no `Serialize`, so [`Secret::expose`] is
/// the only way out. The buffer is overwritten with zeros when the value is dropped (best effort:
/// copies made by callers of `expose()` are theirs to look after).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(s: impl Into<String>) -> Self {
        let s = s.into();
        // Whatever happens later, this value is blanked in every log line.
        crate::logs::register_secret(&s);
        Self(s)
    }

    /// The secret itself. Call it only where the value leaves the process (HTTP, keychain, file).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        wipe(std::mem::take(&mut self.0).into_bytes());
    }
}

/// Overwrites the whole allocation (spare capacity included) with zeros. `black_box` keeps the
/// compiler from dropping the stores as dead; a crate like `zeroize` would be stricter, but the
/// brief is to stay within the listed dependencies.
fn wipe(mut bytes: Vec<u8>) {
    let capacity = bytes.capacity();
    bytes.clear();
    bytes.resize(capacity, 0);
    std::hint::black_box(&bytes);
}

/// A byte buffer holding plaintext, wiped on drop.
struct Plain(Vec<u8>);

impl Drop for Plain {
    fn drop(&mut self) {
        wipe(std::mem::take(&mut self.0));
    }
}

// ---------------------------------------------------------------------------------------------
// Backend and errors

/// Which store holds an account's secrets; recorded per account so later runs do not probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager).
    Keychain,
    /// The passphrase-encrypted token file.
    File,
}

impl Backend {
    /// The name used in config files, flags (`--token-store`) and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Keychain => "keychain",
            Self::File => "file",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Backend {
    type Err = SecretError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "keychain" => Ok(Self::Keychain),
            "file" => Ok(Self::File),
            other => Err(SecretError::Other {
                detail: format!("unknown token store `{other}`: expected `keychain` or `file`"),
            }),
        }
    }
}

/// Everything that can go wrong reading or writing a secret. No variant carries a secret.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The keychain could not be reached: no D-Bus session, locked keyring, no collection, or no
    /// answer within the timeout.
    #[error("the system keychain is not available: {reason}")]
    Unavailable {
        /// What went wrong, in words (never a secret).
        reason: String,
    },
    /// The token file did not decrypt: wrong passphrase, or the file was altered.
    #[error("could not decrypt `{}`: wrong passphrase or damaged file", path.display())]
    BadPassphrase {
        /// The encrypted token file.
        path: PathBuf,
    },
    /// The file store was chosen but there is no passphrase (or it is empty).
    #[error("the encrypted token file needs a passphrase, and none was given")]
    NoPassphrase,
    /// The token file is not something postez wrote (bad JSON, unknown version, bad fields).
    #[error("`{}` is not a valid postez secrets file: {detail}", path.display())]
    Corrupt {
        /// The encrypted token file.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
    /// Reading, writing, locking or renaming a file failed.
    #[error("could not access `{}`", path.display())]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The underlying error (from fs-err, so it names the operation too).
        #[source]
        source: std::io::Error,
    },
    /// Anything else: ambiguous keychain entries, a failing passphrase command, bad input.
    #[error("{detail}")]
    Other {
        /// What went wrong, in words (never a secret).
        detail: String,
    },
}

impl SecretError {
    /// The next thing the user can do about this error, if there is one.
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::Unavailable { .. } => Some(
                "run postez from a desktop session or a systemd user timer (`postez cron \
                 install`), set DBUS_SESSION_BUS_ADDRESS to your session bus, or use the \
                 encrypted file store (`--token-store file` with POSTEZ_PASSPHRASE)"
                    .into(),
            ),
            Self::BadPassphrase { path } => Some(format!(
                "check POSTEZ_PASSPHRASE or the passphrase command; if the passphrase is lost, \
                 remove `{}` and run `postez connect <platform>` again",
                path.display()
            )),
            Self::NoPassphrase => Some(
                "set POSTEZ_PASSPHRASE, configure a passphrase command, or run postez in a \
                 terminal to be asked for it"
                    .into(),
            ),
            Self::Corrupt { path, .. } => Some(format!(
                "move `{}` aside and run `postez connect <platform>` again",
                path.display()
            )),
            Self::Io { .. } | Self::Other { .. } => None,
        }
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> SecretError + '_ {
    move |source| SecretError::Io {
        path: path.to_path_buf(),
        source,
    }
}

// ---------------------------------------------------------------------------------------------
// SecretStore

/// The one owner of stored secrets: the keychain or the encrypted file, chosen by the caller.
///
/// Keys are `<platform>:<account-id>` (e.g. `tiktok:<open_id>`) or `<platform>:client_secret`.
#[derive(Debug)]
pub enum SecretStore {
    /// The OS keychain.
    Keychain(Keychain),
    /// The passphrase-encrypted file.
    File(FileStore),
}

impl SecretStore {
    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        match self {
            Self::Keychain(_) => Backend::Keychain,
            Self::File(_) => Backend::File,
        }
    }

    /// The secret stored under `key`, or `None` if there is none.
    pub fn get(&self, key: &str) -> Result<Option<Secret>, SecretError> {
        match self {
            Self::Keychain(k) => k.get(key),
            Self::File(f) => f.get(key),
        }
    }

    /// Stores `value` under `key`, replacing any previous value.
    pub fn set(&self, key: &str, value: &Secret) -> Result<(), SecretError> {
        match self {
            Self::Keychain(k) => k.set(key, value),
            Self::File(f) => f.set(key, value),
        }
    }

    /// Removes `key`; `true` if something was deleted.
    pub fn delete(&self, key: &str) -> Result<bool, SecretError> {
        match self {
            Self::Keychain(k) => k.delete(key),
            Self::File(f) => f.delete(key),
        }
    }

    /// Checks cheaply that the store can be used now (see [`Keychain::probe`], [`FileStore::probe`]).
    pub fn probe(&self) -> Result<(), SecretError> {
        match self {
            Self::Keychain(k) => k.probe(),
            Self::File(f) => f.probe(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Keychain

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
    /// A keychain handle for `service` (normally [`SERVICE`]); connects lazily, on first use.
    pub fn new(service: &str, timeout: Duration) -> Self {
        Self {
            service: service.to_owned(),
            timeout,
            store: Arc::default(),
        }
    }

    /// The secret for account `key`, or `None` if the keychain has no such entry.
    pub fn get(&self, key: &str) -> Result<Option<Secret>, SecretError> {
        self.call(key, |entry| match entry.get_password() {
            Ok(password) => Ok(Some(Secret::new(password))),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(e),
        })
    }

    /// Stores `value` for account `key`, replacing any previous value.
    pub fn set(&self, key: &str, value: &Secret) -> Result<(), SecretError> {
        let value = value.clone();
        self.call(key, move |entry| entry.set_password(value.expose()))
    }

    /// Deletes the entry for `key`; `true` if there was one. Duplicates (several items for the
    /// same account, e.g. left by another tool) are all deleted.
    pub fn delete(&self, key: &str) -> Result<bool, SecretError> {
        self.call(key, |entry| match entry.delete_credential() {
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
    /// backend is chosen (`postez connect`, `postez doctor`), never on every run.
    pub fn probe(&self) -> Result<(), SecretError> {
        self.call("postez:probe", |entry| {
            entry.set_password("probe")?;
            match entry.delete_credential() {
                Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
                Err(e) => Err(e),
            }
        })
    }

    /// Runs `op` on the entry (service, `key`) on a worker thread, under the timeout.
    fn call<T, F>(&self, key: &str, op: F) -> Result<T, SecretError>
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
                let reply = run_on_entry(&store, &service, &account, op);
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
fn run_on_entry<T, F>(store: &SharedStore, service: &str, account: &str, op: F) -> Reply<T>
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
    let result = Entry::new_in_store(&connected, service, account).and_then(|entry| op(&entry));
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

// ---------------------------------------------------------------------------------------------
// FileStore

const FORMAT: &str = "postez-secrets";
const VERSION: u32 = 1;
const KDF: &str = "argon2id";
/// OWASP's minimum for Argon2id (19 MiB, 2 passes, 1 lane): ~30 ms optimised on this machine.
const KDF_PARAMS: KdfParams = KdfParams {
    m_cost: 19_456,
    t_cost: 2,
    p_cost: 1,
};
/// Upper bounds for parameters read from a file, so a crafted file cannot make us allocate
/// gigabytes or spin for minutes before the AEAD check can reject it.
const KDF_MAX: KdfParams = KdfParams {
    m_cost: 1 << 20,
    t_cost: 16,
    p_cost: 8,
};
const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 24;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct KdfParams {
    m_cost: u32,
    t_cost: u32,
    p_cost: u32,
}

/// The file on disk. Unknown fields are refused, so every header byte that matters is covered by
/// the AEAD tag through [`Header`].
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    format: String,
    version: u32,
    kdf: String,
    m_cost: u32,
    t_cost: u32,
    p_cost: u32,
    salt: String,
    nonce: String,
    ciphertext: String,
}

/// The envelope minus the ciphertext. Its compact JSON (fields in this order) is the AAD, so
/// no header field can be changed without the decryption failing.
#[derive(Serialize)]
struct Header<'a> {
    format: &'a str,
    version: u32,
    kdf: &'a str,
    m_cost: u32,
    t_cost: u32,
    p_cost: u32,
    salt: &'a str,
    nonce: &'a str,
}

/// A 32-byte symmetric key, wiped on drop.
#[derive(Clone)]
struct Key32([u8; 32]);

impl Drop for Key32 {
    fn drop(&mut self) {
        self.0.fill(0);
        std::hint::black_box(&self.0);
    }
}

/// An Argon2id key with the salt and parameters it came from.
struct DerivedKey {
    salt: Vec<u8>,
    params: KdfParams,
    key: Key32,
}

/// The plaintext content: account key → secret.
type Entries = BTreeMap<String, Secret>;

/// The salt and KDF parameters a file was read with, so the write after it can reuse the key.
type KdfUsed = (Vec<u8>, KdfParams);

/// The encrypted token file, for machines with no usable keychain.
///
/// One file holds every secret as a JSON map, encrypted as a whole; the envelope is
/// `{"format":"postez-secrets","version":1,"kdf":"argon2id","m_cost","t_cost","p_cost",
/// "salt","nonce","ciphertext"}` (binary fields base64). The key is Argon2id(passphrase, salt),
/// 32 bytes; the cipher is XChaCha20-Poly1305 with a fresh random 24-byte nonce on every write
/// and the header as associated data. The salt is kept across writes (so a write reuses the key
/// the preceding read derived) and renewed if the file used other KDF parameters.
///
/// - A missing file is an empty store. Deleting the last key keeps the file, holding an empty
///   map, so the file's presence keeps saying which backend is configured.
/// - Writes are atomic: a 0600 temp file in the same directory, fsync, rename over the file,
///   fsync the directory. A missing parent directory is created with mode 0700.
/// - Writers (set/delete) hold an exclusive lock on the sibling `<file>.lock` around
///   read-modify-write, so two processes never lose each other's keys. Readers need no lock:
///   the rename makes every read see a whole file. The lock file is left in place.
pub struct FileStore {
    path: PathBuf,
    passphrase: Secret,
    /// The last derived key, so a run that reads then writes pays for Argon2 once.
    key_cache: Mutex<Option<DerivedKey>>,
}

impl fmt::Debug for FileStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileStore")
            .field("path", &self.path)
            .field("passphrase", &self.passphrase)
            .finish_non_exhaustive()
    }
}

impl FileStore {
    /// A store kept in `path`, encrypted with `passphrase`. Nothing is read until first use.
    pub fn new(path: PathBuf, passphrase: Secret) -> Self {
        Self {
            path,
            passphrase,
            key_cache: Mutex::new(None),
        }
    }

    /// The file this store reads and writes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The secret stored under `key`, or `None`.
    pub fn get(&self, key: &str) -> Result<Option<Secret>, SecretError> {
        let (mut entries, _) = self.read()?;
        Ok(entries.remove(key))
    }

    /// Stores `value` under `key`, replacing any previous value.
    pub fn set(&self, key: &str, value: &Secret) -> Result<(), SecretError> {
        let _lock = self.lock()?;
        let (mut entries, key_used) = self.read()?;
        entries.insert(key.to_owned(), value.clone());
        self.write(&entries, key_used)
    }

    /// Removes `key`; `true` if it was there. The file is kept even when it becomes empty.
    pub fn delete(&self, key: &str) -> Result<bool, SecretError> {
        let _lock = self.lock()?;
        let (mut entries, key_used) = self.read()?;
        if entries.remove(key).is_none() {
            return Ok(false);
        }
        self.write(&entries, key_used)?;
        Ok(true)
    }

    /// Checks that there is a passphrase and, if the file exists, that it decrypts with it.
    pub fn probe(&self) -> Result<(), SecretError> {
        self.read().map(drop)
    }

    /// Reads and decrypts the file. Returns the entries and the salt/parameters used, if any.
    fn read(&self) -> Result<(Entries, Option<KdfUsed>), SecretError> {
        self.require_passphrase()?;
        let bytes = match fs_err::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok((Entries::new(), None));
            }
            Err(e) => return Err(io_err(&self.path)(e)),
        };
        let corrupt = |detail: String| SecretError::Corrupt {
            path: self.path.clone(),
            detail,
        };
        let env: Envelope = serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
        if env.format != FORMAT {
            return Err(corrupt(format!("unknown format `{}`", env.format)));
        }
        if env.version != VERSION {
            return Err(corrupt(format!(
                "version {} is not supported by this postez (expected {VERSION})",
                env.version
            )));
        }
        if env.kdf != KDF {
            return Err(corrupt(format!("unknown key derivation `{}`", env.kdf)));
        }
        let params = KdfParams {
            m_cost: env.m_cost,
            t_cost: env.t_cost,
            p_cost: env.p_cost,
        };
        if params.m_cost > KDF_MAX.m_cost
            || params.t_cost > KDF_MAX.t_cost
            || params.p_cost > KDF_MAX.p_cost
        {
            return Err(corrupt("key derivation parameters out of range".into()));
        }
        let decode = |name: &str, text: &str| {
            B64.decode(text)
                .map_err(|e| corrupt(format!("`{name}` is not base64: {e}")))
        };
        let salt = decode("salt", &env.salt)?;
        let nonce = decode("nonce", &env.nonce)?;
        let ciphertext = decode("ciphertext", &env.ciphertext)?;
        if salt.len() < 8 || nonce.len() != NONCE_LEN {
            return Err(corrupt("salt or nonce has the wrong length".into()));
        }
        let aad = header_aad(&env.salt, &env.nonce, params)?;
        let key = self.derive(&salt, params)?;
        let cipher = XChaCha20Poly1305::new((&key.0).into());
        let plain = cipher
            .decrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &ciphertext,
                    aad: &aad,
                },
            )
            .map(Plain)
            .map_err(|_| SecretError::BadPassphrase {
                path: self.path.clone(),
            })?;
        // Authenticated, so a parse failure means a bug or a future format, not an attack.
        let map: BTreeMap<String, String> = serde_json::from_slice(&plain.0)
            .map_err(|_| corrupt("the decrypted content is not a JSON map of strings".into()))?;
        let entries = map.into_iter().map(|(k, v)| (k, Secret(v))).collect();
        Ok((entries, Some((salt, params))))
    }

    /// Encrypts `entries` and atomically replaces the file with them.
    fn write(&self, entries: &Entries, previous: Option<KdfUsed>) -> Result<(), SecretError> {
        let salt = match previous {
            Some((salt, params)) if params == KDF_PARAMS => salt,
            _ => random_bytes(SALT_LEN),
        };
        let nonce = random_bytes(NONCE_LEN);
        let (salt_b64, nonce_b64) = (B64.encode(&salt), B64.encode(&nonce));
        let aad = header_aad(&salt_b64, &nonce_b64, KDF_PARAMS)?;
        let map: BTreeMap<&str, &str> = entries
            .iter()
            .map(|(k, v)| (k.as_str(), v.expose()))
            .collect();
        let plain = Plain(serde_json::to_vec(&map).map_err(|e| SecretError::Other {
            detail: format!("could not encode the secrets: {e}"),
        })?);
        let key = self.derive(&salt, KDF_PARAMS)?;
        let ciphertext = XChaCha20Poly1305::new((&key.0).into())
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &plain.0,
                    aad: &aad,
                },
            )
            .map_err(|_| SecretError::Other {
                detail: "encryption failed".into(),
            })?;
        let env = Envelope {
            format: FORMAT.into(),
            version: VERSION,
            kdf: KDF.into(),
            m_cost: KDF_PARAMS.m_cost,
            t_cost: KDF_PARAMS.t_cost,
            p_cost: KDF_PARAMS.p_cost,
            salt: salt_b64,
            nonce: nonce_b64,
            ciphertext: B64.encode(ciphertext),
        };
        let mut bytes = serde_json::to_vec_pretty(&env).map_err(|e| SecretError::Other {
            detail: format!("could not encode the secrets file: {e}"),
        })?;
        bytes.push(b'\n');
        write_atomic(&self.path, &bytes)
    }

    /// Argon2id(passphrase, salt) with `params`, reusing the cached key when it matches.
    fn derive(&self, salt: &[u8], params: KdfParams) -> Result<Key32, SecretError> {
        let mut cache = self
            .key_cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(cached) = cache.as_ref()
            && cached.salt == salt
            && cached.params == params
        {
            return Ok(cached.key.clone());
        }
        let kdf_error = |e: argon2::Error| SecretError::Corrupt {
            path: self.path.clone(),
            detail: format!("key derivation failed: {e}"),
        };
        let argon = argon2::Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            argon2::Params::new(params.m_cost, params.t_cost, params.p_cost, Some(32))
                .map_err(kdf_error)?,
        );
        let mut derived = DerivedKey {
            salt: salt.to_vec(),
            params,
            key: Key32([0; 32]),
        };
        argon
            .hash_password_into(
                self.passphrase.expose().as_bytes(),
                salt,
                &mut derived.key.0,
            )
            .map_err(kdf_error)?;
        let key = derived.key.clone();
        *cache = Some(derived);
        Ok(key)
    }

    /// An empty passphrase would be encryption in name only, so it counts as none.
    fn require_passphrase(&self) -> Result<(), SecretError> {
        if self.passphrase.expose().is_empty() {
            return Err(SecretError::NoPassphrase);
        }
        Ok(())
    }

    /// Takes the exclusive writer lock on `<file>.lock`, creating the directory if needed.
    fn lock(&self) -> Result<fs_err::File, SecretError> {
        self.require_passphrase()?;
        let dir = parent_dir(&self.path);
        create_private_dir(dir)?;
        let mut name = self.path.file_name().unwrap_or_default().to_os_string();
        name.push(".lock");
        let lock_path = dir.join(name);
        let file = private_options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(io_err(&lock_path))?;
        // Blocks until the other writer is done; a writer holds it for one read-modify-write.
        file.lock().map_err(io_err(&lock_path))?;
        Ok(file)
    }
}

fn header_aad(salt_b64: &str, nonce_b64: &str, params: KdfParams) -> Result<Vec<u8>, SecretError> {
    serde_json::to_vec(&Header {
        format: FORMAT,
        version: VERSION,
        kdf: KDF,
        m_cost: params.m_cost,
        t_cost: params.t_cost,
        p_cost: params.p_cost,
        salt: salt_b64,
        nonce: nonce_b64,
    })
    .map_err(|e| SecretError::Other {
        detail: format!("could not encode the secrets header: {e}"),
    })
}

fn random_bytes(len: usize) -> Vec<u8> {
    let mut bytes = vec![0; len];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Open options for files only the user may read: mode 0600 from creation on (no window in
/// which the file exists with the umask's mode).
fn private_options() -> fs_err::OpenOptions {
    let mut options = fs_err::OpenOptions::new();
    #[cfg(unix)]
    {
        use fs_err::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options
}

/// Creates `dir` (and missing parents) with mode 0700. An existing directory is left as it is.
fn create_private_dir(dir: &Path) -> Result<(), SecretError> {
    // fs-err has no DirBuilder, so std's is used and the path is added by `io_err`.
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(io_err(dir))
}

/// Replaces `path` with `bytes` so that readers see the old file or the new one, never a mix,
/// even across a crash: temp file in the same directory, fsync, rename, fsync the directory.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), SecretError> {
    let dir = parent_dir(path);
    create_private_dir(dir)?;
    let mut name = std::ffi::OsString::from(".");
    name.push(path.file_name().unwrap_or_default());
    name.push(format!(
        ".tmp-{}-{:016x}",
        std::process::id(),
        rand::random::<u64>()
    ));
    let mut tmp = TempFile {
        path: dir.join(name),
        armed: true,
    };
    let mut file = private_options()
        .write(true)
        .create_new(true)
        .open(&tmp.path)
        .map_err(io_err(&tmp.path))?;
    file.write_all(bytes).map_err(io_err(&tmp.path))?;
    file.sync_all().map_err(io_err(&tmp.path))?;
    drop(file);
    fs_err::rename(&tmp.path, path).map_err(io_err(path))?;
    tmp.armed = false;
    // The rename is durable only once the directory entry is on disk.
    #[cfg(unix)]
    fs_err::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir))?;
    Ok(())
}

/// A temp file removed on drop while armed, i.e. on every early return before the rename.
struct TempFile {
    path: PathBuf,
    armed: bool,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if self.armed {
            let _ = fs_err::remove_file(&self.path);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Passphrase command

/// Runs `sh -c cmd` and returns its standard output minus one trailing newline (`\n` or
/// `\r\n`), as the file store's passphrase (e.g. `pass show postez`).
///
/// The command's stdin and stderr are inherited, so a pinentry or an error message reaches the
/// user; stdout is captured. Errors name the command and never include its output.
pub fn passphrase_from_command(cmd: &str) -> Result<Secret, SecretError> {
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(std::process::Stdio::inherit())
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| SecretError::Other {
            detail: format!("could not run the passphrase command `{cmd}`: {e}"),
        })?;
    let stdout = Plain(output.stdout);
    if !output.status.success() {
        return Err(SecretError::Other {
            detail: format!("the passphrase command `{cmd}` failed ({})", output.status),
        });
    }
    let mut text = stdout.0.as_slice();
    if let Some(rest) = text.strip_suffix(b"\n") {
        text = rest.strip_suffix(b"\r").unwrap_or(rest);
    }
    if text.is_empty() {
        return Err(SecretError::Other {
            detail: format!("the passphrase command `{cmd}` printed nothing"),
        });
    }
    let text = std::str::from_utf8(text).map_err(|_| SecretError::Other {
        detail: format!("the passphrase command `{cmd}` printed something that is not UTF-8"),
    })?;
    Ok(Secret::new(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    const TOKEN: &str = "act.TOPSECRET-token-9f8e7d6c5b4a";
    const PASSPHRASE: &str = "correct horse battery staple";

    fn store_in(dir: &Path) -> FileStore {
        FileStore::new(dir.join("secrets.json"), Secret::new(PASSPHRASE))
    }

    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs_err::read_dir(dir)
            .expect("read_dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn edit_envelope(path: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
        let mut value: serde_json::Value =
            serde_json::from_slice(&fs_err::read(path).expect("read")).expect("json");
        edit(&mut value);
        fs_err::write(path, serde_json::to_vec(&value).expect("encode")).expect("write");
    }

    #[test]
    fn file_round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SecretStore::File(store_in(dir.path()));
        assert_eq!(store.backend(), Backend::File);
        assert_eq!(store.get("tiktok:a").expect("get"), None);
        store.set("tiktok:a", &Secret::new(TOKEN)).expect("set a");
        store.set("tiktok:b", &Secret::new("bee")).expect("set b");
        store
            .set("tiktok:b", &Secret::new("bee2"))
            .expect("overwrite b");
        assert_eq!(
            store.get("tiktok:a").expect("get"),
            Some(Secret::new(TOKEN))
        );
        assert!(store.delete("tiktok:a").expect("delete"));
        assert!(!store.delete("tiktok:a").expect("delete again"));
        assert_eq!(store.get("tiktok:a").expect("get"), None);
        store.probe().expect("probe");
        // A fresh instance (no key cache) reads what the first one wrote.
        let again = store_in(dir.path());
        assert_eq!(
            again.get("tiktok:b").expect("get"),
            Some(Secret::new("bee2"))
        );
        // Deleting the last key keeps the file, with an empty map.
        assert!(again.delete("tiktok:b").expect("delete b"));
        assert!(dir.path().join("secrets.json").exists());
        assert_eq!(store_in(dir.path()).get("tiktok:b").expect("get"), None);
    }

    #[test]
    fn missing_file_is_an_empty_store_and_reading_creates_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store_in(&dir.path().join("not-yet"));
        assert_eq!(store.get("k").expect("get"), None);
        store.probe().expect("probe");
        assert!(!store.delete("k").expect("delete"));
        assert!(!dir.path().join("not-yet").join("secrets.json").exists());
    }

    #[test]
    fn wrong_passphrase_is_bad_passphrase() {
        let dir = tempfile::tempdir().expect("tempdir");
        store_in(dir.path())
            .set("k", &Secret::new(TOKEN))
            .expect("set");
        let wrong = FileStore::new(dir.path().join("secrets.json"), Secret::new("nope"));
        let err = wrong.get("k").expect_err("must fail");
        assert!(matches!(err, SecretError::BadPassphrase { .. }), "{err:?}");
        assert!(err.to_string().contains("secrets.json"), "{err}");
        assert!(err.hint().is_some());
        assert!(matches!(
            wrong.probe(),
            Err(SecretError::BadPassphrase { .. })
        ));
        // A failed write attempt must not clobber the file.
        assert!(wrong.set("k2", &Secret::new("x")).is_err());
        assert_eq!(
            store_in(dir.path()).get("k").expect("get"),
            Some(Secret::new(TOKEN))
        );
    }

    #[test]
    fn empty_passphrase_is_no_passphrase() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = FileStore::new(dir.path().join("s.json"), Secret::new(""));
        let err = store.set("k", &Secret::new("v")).expect_err("must fail");
        assert!(matches!(err, SecretError::NoPassphrase), "{err:?}");
        assert!(err.hint().is_some());
        assert!(matches!(store.get("k"), Err(SecretError::NoPassphrase)));
        assert!(names_in(dir.path()).is_empty(), "nothing may be created");
    }

    #[test]
    fn tampered_ciphertext_is_rejected() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("secrets.json");
        store_in(dir.path())
            .set("k", &Secret::new(TOKEN))
            .expect("set");
        edit_envelope(&path, |v| {
            let ct = v["ciphertext"].as_str().expect("ciphertext");
            let mut bytes = B64.decode(ct).expect("b64");
            bytes[3] ^= 0x01;
            v["ciphertext"] = B64.encode(bytes).into();
        });
        let err = store_in(dir.path()).get("k").expect_err("must fail");
        assert!(matches!(err, SecretError::BadPassphrase { .. }), "{err:?}");
    }

    #[test]
    fn tampered_header_is_rejected() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("secrets.json");
        store_in(dir.path())
            .set("k", &Secret::new(TOKEN))
            .expect("set");
        let original = fs_err::read(&path).expect("read");
        type Edit = fn(&mut serde_json::Value);
        let cases: [(&str, Edit); 5] = [
            ("t_cost", |v| v["t_cost"] = 3.into()),
            ("nonce", |v| {
                let mut n = B64
                    .decode(v["nonce"].as_str().expect("nonce"))
                    .expect("b64");
                n[0] ^= 0x80;
                v["nonce"] = B64.encode(n).into();
            }),
            ("version", |v| v["version"] = 2.into()),
            ("extra field", |v| v["note"] = "unbound".into()),
            ("m_cost", |v| v["m_cost"] = u32::MAX.into()),
        ];
        for (name, edit) in cases {
            fs_err::write(&path, &original).expect("restore");
            edit_envelope(&path, edit);
            let err = store_in(dir.path()).get("k").expect_err(name);
            assert!(
                matches!(
                    err,
                    SecretError::BadPassphrase { .. } | SecretError::Corrupt { .. }
                ),
                "{name}: {err:?}"
            );
        }
        fs_err::write(&path, b"not json").expect("write");
        let err = store_in(dir.path()).get("k").expect_err("garbage");
        assert!(matches!(err, SecretError::Corrupt { .. }), "{err:?}");
        assert!(err.hint().is_some());
    }

    #[cfg(unix)]
    #[test]
    fn files_are_0600_and_new_dirs_0700() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().expect("tempdir");
        let sub = dir.path().join("a").join("b");
        let path = sub.join("secrets.json");
        let store = FileStore::new(path.clone(), Secret::new(PASSPHRASE));
        store.set("k", &Secret::new(TOKEN)).expect("set");
        let mode = |p: &Path| fs_err::metadata(p).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&sub.join("secrets.json.lock")), 0o600);
        assert_eq!(mode(&sub), 0o700);
        assert_eq!(mode(&dir.path().join("a")), 0o700);
        // A file made world-readable by someone else is replaced by a private one.
        fs_err::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        store.set("k", &Secret::new("v2")).expect("set");
        assert_eq!(mode(&path), 0o600);
    }

    #[test]
    fn atomic_replace_leaves_no_temp_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store_in(dir.path());
        for i in 0..5 {
            store
                .set(&format!("k{i}"), &Secret::new(TOKEN))
                .expect("set");
        }
        store.delete("k0").expect("delete");
        assert_eq!(names_in(dir.path()), ["secrets.json", "secrets.json.lock"]);
        // A failing write (wrong passphrase) leaves nothing behind either.
        let wrong = FileStore::new(dir.path().join("secrets.json"), Secret::new("nope"));
        assert!(wrong.set("x", &Secret::new("y")).is_err());
        assert_eq!(names_in(dir.path()), ["secrets.json", "secrets.json.lock"]);
    }

    #[test]
    fn concurrent_writers_keep_each_others_keys() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("secrets.json");
        // Separate stores, as two processes would have: separate key caches and lock fds.
        let threads: Vec<_> = ["a", "b"]
            .into_iter()
            .map(|who| {
                let store = FileStore::new(path.clone(), Secret::new(PASSPHRASE));
                std::thread::spawn(move || {
                    for i in 0..8 {
                        store
                            .set(&format!("{who}{i}"), &Secret::new(who))
                            .expect("set");
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("writer thread");
        }
        let store = store_in(dir.path());
        for who in ["a", "b"] {
            for i in 0..8 {
                let got = store.get(&format!("{who}{i}")).expect("get");
                assert_eq!(got, Some(Secret::new(who)), "{who}{i} was lost");
            }
        }
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let secret = Secret::new(TOKEN);
        assert_eq!(format!("{secret:?}"), "[redacted]");
        assert_eq!(format!("{:?}", Some(secret.clone())), "Some([redacted])");
        let dir = tempfile::tempdir().expect("tempdir");
        let file = SecretStore::File(store_in(dir.path()));
        file.set("k", &secret).expect("set");
        file.get("k").expect("get"); // fills the key cache
        let shown = format!("{file:?} {file:#?}");
        assert!(
            !shown.contains(PASSPHRASE) && !shown.contains(TOKEN),
            "{shown}"
        );
        assert!(shown.contains("[redacted]"), "{shown}");
        let keychain = SecretStore::Keychain(Keychain::new(SERVICE, DEFAULT_KEYCHAIN_TIMEOUT));
        assert!(format!("{keychain:?}").contains("postez"));
        let wrong = FileStore::new(dir.path().join("secrets.json"), Secret::new("wrong-pass"));
        let err = wrong.get("k").expect_err("wrong passphrase");
        let shown = format!("{err} {err:?} {:?}", err.hint());
        assert!(
            !shown.contains("wrong-pass") && !shown.contains(TOKEN),
            "{shown}"
        );
    }

    #[test]
    fn file_bytes_never_contain_plaintext() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store_in(dir.path());
        store
            .set("tiktok:open-id-123", &Secret::new(TOKEN))
            .expect("set");
        let bytes = fs_err::read(dir.path().join("secrets.json")).expect("read");
        let text = String::from_utf8_lossy(&bytes);
        for needle in [TOKEN, "TOPSECRET", "open-id-123", PASSPHRASE] {
            assert!(!text.contains(needle), "file contains {needle:?}");
        }
        let env: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
        assert_eq!(env["format"], "postez-secrets");
        assert_eq!(env["kdf"], "argon2id");
        assert_eq!(env["m_cost"], 19_456);
        // Every write uses a fresh nonce.
        store
            .set("tiktok:open-id-123", &Secret::new(TOKEN))
            .expect("set");
        let env2: serde_json::Value =
            serde_json::from_slice(&fs_err::read(dir.path().join("secrets.json")).expect("read"))
                .expect("json");
        assert_ne!(env["nonce"], env2["nonce"]);
        assert_eq!(env["salt"], env2["salt"]);
    }

    #[test]
    fn backend_names_round_trip() {
        for b in [Backend::Keychain, Backend::File] {
            assert_eq!(b.as_str().parse::<Backend>().expect("parse"), b);
            assert_eq!(b.to_string(), b.as_str());
        }
        assert!("plaintext".parse::<Backend>().is_err());
    }

    #[test]
    fn passphrase_command() {
        let got = passphrase_from_command("printf 'pass word\\n'").expect("ok");
        assert_eq!(got.expose(), "pass word");
        let got = passphrase_from_command("printf 'two\\n\\n'").expect("ok");
        assert_eq!(got.expose(), "two\n");
        let got = passphrase_from_command("printf 'crlf\\r\\n'").expect("ok");
        assert_eq!(got.expose(), "crlf");
        for cmd in ["true", "printf '\\n'"] {
            let err = passphrase_from_command(cmd).expect_err(cmd);
            assert!(err.to_string().contains("printed nothing"), "{err}");
        }
        // The error names the command but never shows what it printed.
        let cmd = "printf 'leak-%s' $((40+2)); exit 3";
        let err = passphrase_from_command(cmd).expect_err("fails");
        let shown = format!("{err} {err:?}");
        assert!(shown.contains(cmd) && !shown.contains("leak-42"), "{shown}");
    }

    // ----- Keychain: the real Secret Service (see run-keyring-tests.sh) -----

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
