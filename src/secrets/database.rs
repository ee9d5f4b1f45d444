//! The token store of a shared queue (issue 14): every login lives in the queue's database,
//! sealed with the team key before it leaves the process and opened after it comes back, so no
//! column ever holds a token in the clear. The team key is 32 bytes from a key file (the
//! `team_key_file` setting), else Argon2id of the passphrase with a salt kept in the database.
//! The `team_key` row holds a known value sealed with that key, written with the first login:
//! a key that does not open it is [`SecretError::WrongTeamKey`], told apart from one damaged
//! login. This module runs no SQL: the store's `sealed` methods keep the bytes.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use super::seal::{self, KDF_PARAMS, Key32, NONCE_LEN, SALT_LEN, random_bytes};
use super::{Plain, Secret, SecretError, require_private};
use crate::store::{HeldSecret, Store, TeamKeyRow};

/// First byte of every sealed value: how the rest is laid out (nonce, then ciphertext).
const SEALED_VERSION: u8 = 1;
/// What the `team_key` row's check value holds once opened.
const CHECK_PLAIN: &[u8] = b"postez team key v1";
/// The check value's associated data: it cannot be passed off as a login, nor a login as it.
const CHECK_AAD: &[u8] = b"postez:team_key:v1";

/// Where this machine's team key comes from.
pub enum TeamKey {
    /// A key file: 32 bytes, used as they are.
    File {
        /// The file, for messages.
        path: PathBuf,
        /// Its key.
        key: TeamKeyBytes,
    },
    /// A passphrase, stretched with Argon2id and the salt kept in the database.
    Passphrase(Secret),
}

/// The 32 bytes of a key file, wiped on drop; `Debug` shows nothing of them.
pub struct TeamKeyBytes(Key32);

impl fmt::Debug for TeamKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File { path, .. } => write!(f, "TeamKey::File({})", path.display()),
            Self::Passphrase(p) => write!(f, "TeamKey::Passphrase({p:?})"),
        }
    }
}

impl TeamKey {
    /// The key in `path`: 64 hexadecimal characters (32 random bytes, e.g.
    /// `head -c32 /dev/urandom | xxd -p -c64`), surrounding white space ignored. The file must
    /// be the user's alone: nobody else may write it (nor the folders above it), nor read it.
    pub fn from_file(path: &Path) -> Result<Self, SecretError> {
        const ACTION: &str = "read the team key file";
        require_private(path, ACTION)?;
        let bad = |problem: &str| SecretError::BadKeyFile {
            path: path.to_path_buf(),
            problem: problem.to_owned(),
        };
        let text = match fs_err::read(path) {
            Ok(bytes) => Plain(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(bad("there is no such file"));
            }
            Err(e) => return Err(super::io_err(path)(e)),
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs_err::metadata(path)
                .map_err(super::io_err(path))?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                return Err(SecretError::Untrusted {
                    action: ACTION,
                    path: path.to_path_buf(),
                    problem: format!("can be read by others (mode {:o})", mode & 0o777),
                    fix: format!("chmod 600 '{}'", path.display()),
                });
            }
        }
        let hex_text = text.0.trim_ascii();
        let mut key = Key32([0; 32]);
        if hex_text.len() != 64 || hex::decode_to_slice(hex_text, &mut key.0).is_err() {
            return Err(bad(
                "it must hold 32 bytes written as 64 hexadecimal characters",
            ));
        }
        Ok(Self::File {
            path: path.to_path_buf(),
            key: TeamKeyBytes(key),
        })
    }

    /// The `source` recorded in the `team_key` row for keys of this kind.
    fn source(&self) -> &'static str {
        match self {
            Self::File { .. } => "key_file",
            Self::Passphrase(_) => "passphrase",
        }
    }

    /// The 32-byte key for the database's `salt`.
    fn key(&self, salt: &[u8]) -> Result<Key32, SecretError> {
        match self {
            Self::File { key, .. } => Ok(key.0.clone()),
            Self::Passphrase(p) => {
                if p.expose().is_empty() {
                    return Err(SecretError::NoTeamKey);
                }
                seal::derive(p, salt, KDF_PARAMS).map_err(|e| SecretError::Other {
                    detail: format!("could not derive the team key: {e}"),
                })
            }
        }
    }
}

/// The logins of a shared queue, in its database, sealed with the team key.
///
/// A sealed value is one version byte, a fresh random 24-byte nonce, and the XChaCha20-Poly1305
/// ciphertext of the secret, with the secret's name as associated data (a row copied under
/// another name does not open). The store keeps a connection of its own, made on first use;
/// [`DatabaseStore::hold`] takes one more for the length of a refresh.
pub struct DatabaseStore {
    url: String,
    team_key: TeamKey,
    conn: Mutex<Option<Store>>,
    /// The team key once it has opened the check value.
    key: Mutex<Option<Key32>>,
}

impl fmt::Debug for DatabaseStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseStore")
            .field("url", &crate::store::redact_url(&self.url))
            .field("team_key", &self.team_key)
            .finish_non_exhaustive()
    }
}

/// A store error as a secret-store error: the store's errors name the database, never a value.
fn db(e: crate::error::Error) -> SecretError {
    SecretError::Database {
        detail: e.to_string(),
    }
}

impl DatabaseStore {
    /// The logins of the shared queue at `url`, sealed with `team_key`. Nothing is read yet.
    pub fn new(url: String, team_key: TeamKey) -> Self {
        Self {
            url,
            team_key,
            conn: Mutex::new(None),
            key: Mutex::new(None),
        }
    }

    /// Runs `f` on this store's connection, connecting first if needed.
    fn with_store<T>(
        &self,
        f: impl FnOnce(&Store) -> crate::error::Result<T>,
    ) -> Result<T, SecretError> {
        let mut conn = self
            .conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if conn.is_none() {
            *conn = Some(Store::connect(&self.url).map_err(db)?);
        }
        let store = conn.as_ref().ok_or(SecretError::Database {
            detail: "no connection".into(),
        })?;
        f(store).map_err(db)
    }

    /// The team key, checked against the `team_key` row. Without a row: `None`, or, when
    /// `create`, a new row sealed with this machine's key (the first login of the queue).
    fn team_key(&self, create: bool) -> Result<Option<Key32>, SecretError> {
        let mut cached = self.key.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(key) = cached.as_ref() {
            return Ok(Some(key.clone()));
        }
        let mut derived: Option<(Vec<u8>, Key32)> = None;
        let row = match self.with_store(|s| s.team_key_row())? {
            Some(row) => row,
            None if !create => return Ok(None),
            None => {
                let salt = random_bytes(SALT_LEN);
                let key = self.team_key.key(&salt)?;
                let check_sealed = seal_bytes(&key, CHECK_AAD, CHECK_PLAIN)?;
                let row = TeamKeyRow {
                    check_sealed,
                    salt: salt.clone(),
                    source: self.team_key.source().into(),
                };
                derived = Some((salt, key));
                self.with_store(|s| s.init_team_key(&row))?;
                // Another machine may have written its row first: that one counts.
                self.with_store(|s| s.team_key_row())?
                    .ok_or_else(|| SecretError::Database {
                        detail: "the team key row vanished after it was written".into(),
                    })?
            }
        };
        let key = match derived {
            Some((salt, key)) if salt == row.salt => key,
            _ => self.team_key.key(&row.salt)?,
        };
        match open_bytes(&key, CHECK_AAD, &row.check_sealed) {
            Some(plain) if plain.0 == CHECK_PLAIN => {}
            _ => {
                return Err(SecretError::WrongTeamKey {
                    sealed_with: if row.source == "key_file" {
                        "a key file"
                    } else {
                        "a passphrase"
                    },
                });
            }
        }
        *cached = Some(key.clone());
        Ok(Some(key))
    }

    /// Seals `value` for the row `name`, creating the team key check on the first login.
    fn seal(&self, name: &str, value: &Secret) -> Result<Vec<u8>, SecretError> {
        let key = self.team_key(true)?.ok_or(SecretError::NoTeamKey)?;
        seal_bytes(&key, &login_aad(name), value.expose().as_bytes())
    }

    /// Opens the row `name`'s `sealed` bytes: a wrong team key is told as such, a value the
    /// right key does not open is a damaged login.
    fn open(&self, name: &str, sealed: &[u8]) -> Result<Secret, SecretError> {
        let damaged = || SecretError::DamagedLogin {
            name: name.to_owned(),
        };
        // Logins without a check row cannot have been written by postez.
        let key = self.team_key(false)?.ok_or_else(damaged)?;
        let plain = open_bytes(&key, &login_aad(name), sealed).ok_or_else(damaged)?;
        let text = std::str::from_utf8(&plain.0).map_err(|_| damaged())?;
        Ok(Secret::new(text))
    }

    /// The secret stored under `key`, or `None`.
    pub fn get(&self, key: &str) -> Result<Option<Secret>, SecretError> {
        match self.with_store(|s| s.sealed_secret(key))? {
            Some(sealed) => self.open(key, &sealed).map(Some),
            None => Ok(None),
        }
    }

    /// Stores `value` under `key`, replacing any previous value.
    pub fn set(&self, key: &str, value: &Secret) -> Result<(), SecretError> {
        let sealed = self.seal(key, value)?;
        self.with_store(|s| s.save_sealed(key, &sealed))
    }

    /// Removes `key`; `true` if it was there. The team key is checked first, when the queue has
    /// one, so a machine with the wrong key changes nothing.
    pub fn delete(&self, key: &str) -> Result<bool, SecretError> {
        self.team_key(false)?;
        self.with_store(|s| s.delete_sealed(key))
    }

    /// The names of every login this queue holds (`tiktok:<open_id>`, `tiktok:client_secret`).
    pub fn names(&self) -> Result<Vec<String>, SecretError> {
        self.with_store(|s| s.sealed_names())
    }

    /// Checks that the database answers and, once the queue has a team key, that this
    /// machine's key opens it; before that, that there is a key to start with.
    pub fn probe(&self) -> Result<(), SecretError> {
        if self.team_key(false)?.is_none()
            && let TeamKey::Passphrase(p) = &self.team_key
            && p.expose().is_empty()
        {
            return Err(SecretError::NoTeamKey);
        }
        Ok(())
    }

    /// Locks the login `key` for a refresh (its row, `SELECT … FOR UPDATE`), waiting at most
    /// `wait` for another machine's refresh of it; `None` when that is still under way. The
    /// team key is checked before anything is locked.
    pub fn hold(&self, key: &str, wait: Duration) -> Result<Option<HeldLogin<'_>>, SecretError> {
        self.team_key(false)?;
        let Some(row) = HeldSecret::take(&self.url, key, wait).map_err(db)? else {
            return Ok(None);
        };
        let value = match row.sealed() {
            Some(sealed) => Some(self.open(key, sealed)?),
            None => None,
        };
        Ok(Some(HeldLogin {
            store: self,
            name: key.to_owned(),
            row,
            value,
        }))
    }
}

/// A login locked for its refresh (see [`DatabaseStore::hold`]); dropped uncommitted, nothing
/// it replaced is kept and the lock is released.
#[derive(Debug)]
pub struct HeldLogin<'a> {
    store: &'a DatabaseStore,
    name: String,
    row: HeldSecret,
    value: Option<Secret>,
}

impl HeldLogin<'_> {
    /// The login as saved when the lock was granted (after any other machine's refresh).
    pub fn value(&self) -> Option<&Secret> {
        self.value.as_ref()
    }

    /// Replaces the login; saved for good by [`HeldLogin::commit`].
    pub fn replace(&mut self, value: &Secret) -> Result<(), SecretError> {
        let sealed = self.store.seal(&self.name, value)?;
        self.row.replace(&sealed).map_err(db)?;
        self.value = Some(value.clone());
        Ok(())
    }

    /// Saves the replacement and releases the lock.
    pub fn commit(self) -> Result<(), SecretError> {
        self.row.commit().map_err(db)
    }

    /// Where the lock is held (the database, without its password), for messages.
    pub fn place(&self) -> PathBuf {
        self.row.place()
    }
}

/// The associated data of the login `name`: a sealed value opens only under its own name.
fn login_aad(name: &str) -> Vec<u8> {
    let mut aad = b"postez:secret:v1:".to_vec();
    aad.extend_from_slice(name.as_bytes());
    aad
}

fn seal_bytes(key: &Key32, aad: &[u8], plain: &[u8]) -> Result<Vec<u8>, SecretError> {
    let nonce = random_bytes(NONCE_LEN);
    let ciphertext = seal::seal(key, &nonce, aad, plain).ok_or_else(|| SecretError::Other {
        detail: "encryption failed".into(),
    })?;
    let mut out = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
    out.push(SEALED_VERSION);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ciphertext);
    Ok(out)
}

fn open_bytes(key: &Key32, aad: &[u8], sealed: &[u8]) -> Option<Plain> {
    let (&version, rest) = sealed.split_first()?;
    if version != SEALED_VERSION || rest.len() < NONCE_LEN {
        return None;
    }
    let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
    seal::open(key, nonce, aad, ciphertext)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_with_its_key_and_name() {
        let key = Key32([7; 32]);
        let sealed = seal_bytes(&key, &login_aad("tiktok:a"), b"act.secret").unwrap();
        assert!(!sealed.windows(10).any(|w| w == b"act.secret"));
        let plain = open_bytes(&key, &login_aad("tiktok:a"), &sealed).unwrap();
        assert_eq!(plain.0, b"act.secret");
        assert!(open_bytes(&key, &login_aad("tiktok:b"), &sealed).is_none());
        assert!(open_bytes(&Key32([8; 32]), &login_aad("tiktok:a"), &sealed).is_none());
        let mut altered = sealed.clone();
        altered[30] ^= 1;
        assert!(open_bytes(&key, &login_aad("tiktok:a"), &altered).is_none());
        // A fresh nonce every time.
        assert_ne!(
            sealed,
            seal_bytes(&key, &login_aad("tiktok:a"), b"act.secret").unwrap()
        );
    }

    #[test]
    fn key_files_hold_64_hex_characters_and_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("team.key");
        let write = |text: &str, mode: u32| {
            fs_err::write(&path, text).unwrap();
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt as _;
                fs_err::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            }
            #[cfg(not(unix))]
            let _ = mode;
        };
        write(&format!("{}\n", "ab".repeat(32)), 0o600);
        let key = TeamKey::from_file(&path).unwrap();
        assert!(!format!("{key:?}").contains("abab"));
        write("too short", 0o600);
        let e = TeamKey::from_file(&path).unwrap_err();
        assert!(matches!(e, SecretError::BadKeyFile { .. }), "{e:?}");
        assert!(e.hint().unwrap().contains("xxd -p -c64"));
        #[cfg(unix)]
        {
            write(&"ab".repeat(32), 0o644);
            let e = TeamKey::from_file(&path).unwrap_err();
            assert!(matches!(e, SecretError::Untrusted { .. }), "{e:?}");
        }
        let e = TeamKey::from_file(&dir.path().join("missing")).unwrap_err();
        assert!(matches!(e, SecretError::BadKeyFile { .. }), "{e:?}");
    }
}
