//! The encrypted token file backend, for machines with no usable keychain: one file holding
//! every secret as a JSON map, encrypted as a whole with XChaCha20-Poly1305 under an Argon2id
//! key derived from a passphrase. This module owns the envelope format, the key derivation
//! and its cache, and the writer lock; how the file reaches the disk (mode 0600, atomic
//! replace) is [`disk`]'s. It never writes a secret in the clear, nor puts one in an error.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

mod disk;

use disk::{create_private_dir, parent_dir, write_atomic};

use super::seal::{self, KDF_PARAMS, KdfParams, Key32, NONCE_LEN, SALT_LEN, random_bytes};
use super::{Secret, SecretError, io_err};
use crate::lock::{FileLock, Wait};

const FORMAT: &str = "postez-secrets";
const VERSION: u32 = 1;
const KDF: &str = "argon2id";
/// The only parameter sets a file may name. The KDF runs before the AEAD check can reject a
/// forged header, so any other set (a crafted 1 GiB, 16-pass header costs seconds and a gigabyte
/// per read) is refused unread. A future change of `KDF_PARAMS` appends to this list.
const KDF_ACCEPTED: &[KdfParams] = &[KDF_PARAMS];

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
        if !KDF_ACCEPTED.contains(&params) {
            return Err(corrupt(format!(
                "unknown key derivation parameters (m={}, t={}, p={})",
                params.m_cost, params.t_cost, params.p_cost
            )));
        }
        let decode = |name: &str, text: &str| {
            B64.decode(text)
                .map_err(|e| corrupt(format!("`{name}` is not base64: {e}")))
        };
        let salt = decode("salt", &env.salt)?;
        let nonce = decode("nonce", &env.nonce)?;
        let ciphertext = decode("ciphertext", &env.ciphertext)?;
        if salt.len() != SALT_LEN || nonce.len() != NONCE_LEN {
            return Err(corrupt("salt or nonce has the wrong length".into()));
        }
        let aad = header_aad(&env.salt, &env.nonce, params)?;
        let key = self.derive(&salt, params)?;
        let plain = seal::open(&key, &nonce, &aad, &ciphertext).ok_or_else(|| {
            SecretError::BadPassphrase {
                path: self.path.clone(),
            }
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
        let plain = super::Plain(serde_json::to_vec(&map).map_err(|e| SecretError::Other {
            detail: format!("could not encode the secrets: {e}"),
        })?);
        let key = self.derive(&salt, KDF_PARAMS)?;
        let ciphertext =
            seal::seal(&key, &nonce, &aad, &plain.0).ok_or_else(|| SecretError::Other {
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
        let derived = DerivedKey {
            salt: salt.to_vec(),
            params,
            key: seal::derive(&self.passphrase, salt, params).map_err(kdf_error)?,
        };
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

    /// Takes the exclusive writer lock on `<file>.lock`, creating the directory if needed. It
    /// waits as long as the other writer holds it: that is one read-modify-write.
    fn lock(&self) -> Result<FileLock, SecretError> {
        self.require_passphrase()?;
        let dir = parent_dir(&self.path);
        create_private_dir(dir)?;
        let mut name = self.path.file_name().unwrap_or_default().to_os_string();
        name.push(".lock");
        let lock_path = dir.join(name);
        FileLock::take(&lock_path, Wait::Forever)
            .and_then(|held| held.ok_or_else(|| std::io::ErrorKind::WouldBlock.into()))
            .map_err(io_err(&lock_path))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::tests::{PASSPHRASE, TOKEN, store_in};
    use crate::secrets::{Backend, SecretStore};

    pub(super) fn names_in(dir: &Path) -> Vec<String> {
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

    /// A header asking for a costly derivation (1 GiB, 16 passes: seconds and a gigabyte per
    /// read before the AEAD could reject it) is refused before any key is derived: the error
    /// names the parameters, which only the pre-derivation check does.
    #[test]
    fn crafted_kdf_header_is_refused_before_deriving() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("secrets.json");
        store_in(dir.path())
            .set("k", &Secret::new(TOKEN))
            .expect("set");
        type Edit = fn(&mut serde_json::Value);
        let cases: [(&str, Edit); 4] = [
            ("1 GiB", |v| v["m_cost"] = (1u32 << 20).into()),
            ("16 passes", |v| v["t_cost"] = 16.into()),
            ("8 lanes", |v| v["p_cost"] = 8.into()),
            ("weaker", |v| v["m_cost"] = 8.into()),
        ];
        let original = fs_err::read(&path).expect("read");
        for (name, edit) in cases {
            fs_err::write(&path, &original).expect("restore");
            edit_envelope(&path, edit);
            let err = store_in(dir.path()).get("k").expect_err(name);
            match err {
                SecretError::Corrupt { detail, .. } => {
                    assert!(
                        detail.contains("key derivation parameters"),
                        "{name}: {detail}"
                    );
                }
                other => panic!("{name}: {other:?}"),
            }
        }
        // A short salt is refused too (it is part of what the derivation is asked to do).
        fs_err::write(&path, &original).expect("restore");
        edit_envelope(&path, |v| v["salt"] = B64.encode([0u8; 8]).into());
        let err = store_in(dir.path()).get("k").expect_err("short salt");
        assert!(matches!(err, SecretError::Corrupt { .. }), "{err:?}");
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
}
