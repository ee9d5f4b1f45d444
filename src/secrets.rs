//! Secrets: owns the system keychain and the encrypted token file, and is the only place where
//! OAuth tokens and client secrets are read or written. It never prints. A secret travels as
//! [`Secret`], whose `Debug` is `[redacted]` and which has no `Display`, and no secret value ever
//! appears in a `Debug` output or an error message of this module (keyring errors that carry the
//! raw bytes, such as `BadEncoding`, are translated here and their payload dropped).
//!
//! Three backends, chosen explicitly by the caller (never a silent fallback, never plaintext):
//! - [`Keychain`]: the OS store (Secret Service on Linux through the pure-Rust zbus store, which
//!   finds `/run/user/$UID/bus` by itself so a desktop user's cron job needs no setup; Keychain on
//!   macOS; Credential Manager on Windows). Every call runs on its own thread under a timeout, so
//!   a stuck D-Bus call cannot hang cron.
//! - [`FileStore`]: one file, a JSON map encrypted as a whole with XChaCha20-Poly1305 under an
//!   Argon2id key derived from a passphrase; mode 0600, atomic replace, locked writers.
//! - [`DatabaseStore`]: a shared queue's logins, one row each in its database, sealed with the
//!   team key (a key file, else the passphrase); the only store in shared mode.
//!
//! The keychain lives in `secrets/keychain.rs`, the encrypted file in `secrets/file.rs`, the
//! shared queue's logins in `secrets/database.rs`, and the cipher the last two share in
//! `secrets/seal.rs`;
//! this file holds what both share: [`Secret`], [`Backend`], [`SecretError`], the
//! [`SecretStore`] that dispatches to them, and [`passphrase_from_command`].

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

mod database;
mod file;
mod keychain;
mod seal;
mod strict;

pub use database::{DatabaseStore, HeldLogin, TeamKey};
pub use file::FileStore;
pub use keychain::{Keychain, login_label};
pub use strict::require_private;

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
        // zeroize clears the whole allocation, spare capacity included, with writes the
        // compiler may not remove.
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

/// A byte buffer holding plaintext, wiped on drop.
struct Plain(Vec<u8>);

impl Drop for Plain {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
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
    /// A shared queue's database, sealed with the team key.
    Database,
}

impl Backend {
    /// The name used in config files, flags (`--token-store`) and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Keychain => "keychain",
            Self::File => "file",
            Self::Database => "database",
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
            "database" => Ok(Self::Database),
            other => Err(SecretError::Other {
                detail: format!(
                    "unknown token store `{other}`: expected `keychain`, `file` or `database`"
                ),
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
    /// A file or folder that decides what postez runs or reads (the config file, the data
    /// folder, the token file) could have been written by someone else, so postez will not use it.
    #[error("postez will not {action}: `{}` {problem}", path.display())]
    Untrusted {
        /// What was refused, e.g. "run the passphrase command".
        action: &'static str,
        /// The file or folder at fault.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
        /// The command that fixes it.
        fix: String,
    },
    /// The team key does not open the shared queue's check value: another key file or
    /// passphrase than the one the team's logins were sealed with.
    #[error("the team key does not open this shared queue's logins")]
    WrongTeamKey {
        /// What the team's key came from: "a key file" or "a passphrase".
        sealed_with: &'static str,
    },
    /// Shared mode, and neither a team key file nor a passphrase.
    #[error("the shared queue's logins need the team key, and none was given")]
    NoTeamKey,
    /// The `team_key_file` setting names a file that is not a key.
    #[error("`{}` is not a team key file: {problem}", path.display())]
    BadKeyFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// The team key opens the shared queue, but not this login: its row was altered.
    #[error("the saved login `{name}` in the shared queue is damaged")]
    DamagedLogin {
        /// The login's name (`tiktok:<open_id>`).
        name: String,
    },
    /// The shared queue's logins could not be read or written.
    #[error("the shared queue's logins could not be read or written: {detail}")]
    Database {
        /// The store's error (it names the database, never a value).
        detail: String,
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
                "set a passphrase command, e.g. `postez config set passphrase_command 'pass \
                 show postez'` (runs from cron and systemd use it), or POSTEZ_PASSPHRASE; on a \
                 terminal postez asks for it"
                    .into(),
            ),
            Self::Corrupt { path, .. } => Some(format!(
                "move `{}` aside and run `postez connect <platform>` again",
                path.display()
            )),
            Self::Untrusted { fix, .. } => Some(fix.clone()),
            Self::WrongTeamKey { sealed_with } => Some(format!(
                "this queue's logins were sealed with {sealed_with}: use the team's (the \
                 `team_key_file` setting, else POSTEZ_PASSPHRASE or `passphrase_command`); \
                 nothing was changed"
            )),
            Self::NoTeamKey => Some(
                "make a key file once (`head -c32 /dev/urandom | xxd -p -c64 > team.key; chmod \
                 600 team.key`), give it to each machine and `postez config set team_key_file \
                 <path>`; or set POSTEZ_PASSPHRASE or `passphrase_command`"
                    .into(),
            ),
            Self::BadKeyFile { path, .. } => Some(format!(
                "a team key file holds 32 random bytes as 64 hex characters: \
                 `head -c32 /dev/urandom | xxd -p -c64 > '{}'`, then copy the same file to \
                 every machine of the team",
                path.display()
            )),
            Self::DamagedLogin { name } => Some(format!(
                "connect the account again (`postez connect {}`) to replace it",
                name.split(':').next().unwrap_or("tiktok")
            )),
            Self::Database { .. } => Some(
                "check that the shared queue's server is up (`postez doctor`), then run the \
                 command again"
                    .into(),
            ),
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
    /// A shared queue's database.
    Database(DatabaseStore),
}

impl SecretStore {
    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        match self {
            Self::Keychain(_) => Backend::Keychain,
            Self::File(_) => Backend::File,
            Self::Database(_) => Backend::Database,
        }
    }

    /// The secret stored under `key`, or `None` if there is none.
    pub fn get(&self, key: &str) -> Result<Option<Secret>, SecretError> {
        match self {
            Self::Keychain(k) => k.get(key),
            Self::File(f) => f.get(key),
            Self::Database(d) => d.get(key),
        }
    }

    /// Stores `value` under `key`, replacing any previous value.
    pub fn set(&self, key: &str, value: &Secret) -> Result<(), SecretError> {
        match self {
            Self::Keychain(k) => k.set(key, value),
            Self::File(f) => f.set(key, value),
            Self::Database(d) => d.set(key, value),
        }
    }

    /// Stores `value` under `key` with a name for people: the keychain item's label (see
    /// [`login_label`]). The encrypted file and the database have no labels.
    pub fn set_labeled(&self, key: &str, value: &Secret, label: &str) -> Result<(), SecretError> {
        match self {
            Self::Keychain(k) => k.set_labeled(key, value, label),
            Self::File(f) => f.set(key, value),
            Self::Database(d) => d.set(key, value),
        }
    }

    /// Removes `key`; `true` if something was deleted.
    pub fn delete(&self, key: &str) -> Result<bool, SecretError> {
        match self {
            Self::Keychain(k) => k.delete(key),
            Self::File(f) => f.delete(key),
            Self::Database(d) => d.delete(key),
        }
    }

    /// Checks cheaply that the store can be used now (see [`Keychain::probe`], [`FileStore::probe`]).
    pub fn probe(&self) -> Result<(), SecretError> {
        match self {
            Self::Keychain(k) => k.probe(),
            Self::File(f) => f.probe(),
            Self::Database(d) => d.probe(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The process itself

/// Keeps this process's memory, which holds tokens and passphrases, out of core files: the core
/// size limit goes to zero (soft and hard) and, on Linux, the process is marked not dumpable,
/// which also covers a `core_pattern` pipe such as systemd-coredump and stops other processes of
/// the same user from attaching a debugger. Called first thing by the binary; failures are
/// ignored (a sandbox may forbid both, and postez still works).
pub fn protect_process() {
    #[cfg(unix)]
    {
        use rustix::process::{Resource, Rlimit, setrlimit};
        let zero = Rlimit {
            current: Some(0),
            maximum: Some(0),
        };
        let _ = setrlimit(Resource::Core, zero);
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use rustix::process::{DumpableBehavior, set_dumpable_behavior};
        let _ = set_dumpable_behavior(DumpableBehavior::NotDumpable);
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
    let output = crate::env::command("sh")
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

    // Fixtures shared with the tests of the keychain and the file store.
    pub(super) const TOKEN: &str = "act.TOPSECRET-token-9f8e7d6c5b4a";
    pub(super) const PASSPHRASE: &str = "correct horse battery staple";

    pub(super) fn store_in(dir: &Path) -> FileStore {
        FileStore::new(dir.join("secrets.json"), Secret::new(PASSPHRASE))
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
    fn backend_names_round_trip() {
        for b in [Backend::Keychain, Backend::File, Backend::Database] {
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
}
