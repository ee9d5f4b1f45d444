//! The sealing both encrypted stores share (the token file, and the logins of a shared queue):
//! a 32-byte key, Argon2id from a passphrase, and XChaCha20-Poly1305 with a fresh random nonce
//! and associated data that binds the ciphertext to where it is kept. It knows no format and
//! no storage; a failed opening is only "did not open", which each store words for itself.

use chacha20poly1305::aead::{Aead as _, KeyInit as _, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore as _;

use super::{Plain, Secret};

/// OWASP's minimum for Argon2id (19 MiB, 2 passes, 1 lane): ~30 ms optimised on this machine.
pub(super) const KDF_PARAMS: KdfParams = KdfParams {
    m_cost: 19_456,
    t_cost: 2,
    p_cost: 1,
};
pub(super) const SALT_LEN: usize = 16;
pub(super) const NONCE_LEN: usize = 24;

/// Argon2id's cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct KdfParams {
    pub(super) m_cost: u32,
    pub(super) t_cost: u32,
    pub(super) p_cost: u32,
}

/// A 32-byte symmetric key, wiped on drop.
#[derive(Clone)]
pub(super) struct Key32(pub(super) [u8; 32]);

impl Drop for Key32 {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

/// Argon2id(passphrase, salt) with `params`: a 32-byte key.
pub(super) fn derive(
    passphrase: &Secret,
    salt: &[u8],
    params: KdfParams,
) -> Result<Key32, argon2::Error> {
    let argon = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(params.m_cost, params.t_cost, params.p_cost, Some(32))?,
    );
    let mut key = Key32([0; 32]);
    argon.hash_password_into(passphrase.expose().as_bytes(), salt, &mut key.0)?;
    Ok(key)
}

/// `plain` encrypted under `key` with `nonce` ([`NONCE_LEN`] bytes) and `aad`; `None` only if
/// the cipher refuses (it does not for these sizes).
pub(super) fn seal(key: &Key32, nonce: &[u8], aad: &[u8], plain: &[u8]) -> Option<Vec<u8>> {
    XChaCha20Poly1305::new((&key.0).into())
        .encrypt(XNonce::from_slice(nonce), Payload { msg: plain, aad })
        .ok()
}

/// The plaintext of `ciphertext`, or `None` when it does not open: another key, other `aad`, or
/// altered bytes (the AEAD cannot tell these apart).
pub(super) fn open(key: &Key32, nonce: &[u8], aad: &[u8], ciphertext: &[u8]) -> Option<Plain> {
    if nonce.len() != NONCE_LEN {
        return None;
    }
    XChaCha20Poly1305::new((&key.0).into())
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .ok()
        .map(Plain)
}

/// `len` random bytes from the OS-seeded generator (salts, nonces).
pub(super) fn random_bytes(len: usize) -> Vec<u8> {
    let mut bytes = vec![0; len];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}
