//! Telling whether a scheduled video changed before it is published. This
//! module owns [`Fingerprint`] and [`fingerprint`]: the file's size, its
//! modification time and a hash of three 1 MiB samples, cheap enough for
//! every cron run to re-check every queued video. It never reads a whole
//! file and never looks at what the bytes mean.

use std::cmp::min;
use std::fs::{File, Metadata};
use std::io;
use std::path::Path;
use std::time::UNIX_EPOCH;

use sha2::{Digest, Sha256};

use super::{MediaError, open_regular};

/// Bytes in each of the three samples that [`fingerprint`] hashes.
const SAMPLE_LEN: u64 = 1024 * 1024;

/// A cheap identity of a file's contents, stored when a video is scheduled
/// and compared before it is published.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Fingerprint {
    /// The file's size in bytes.
    pub size: u64,
    /// Last modification time, in nanoseconds since the Unix epoch
    /// (negative before 1970, saturated at the ends of `i64`).
    pub mtime_ns: i64,
    /// Lower-case hex SHA-256 of the size and three 1 MiB samples; see
    /// [`fingerprint`].
    pub sample_sha256: String,
}

/// Fingerprints the file at `path` to detect later that it was changed or
/// replaced: its size, its modification time (ns since the epoch), and the
/// SHA-256 of the size as 8 big-endian bytes followed by three samples of up
/// to 1 MiB each, taken at the start, centred on the middle, and at the end
/// (a file of 3 MiB or less is thus hashed whole).
///
/// Works on any regular file, including empty ones and ones over TikTok's
/// size limit.
pub fn fingerprint(path: &Path) -> Result<Fingerprint, MediaError> {
    // Why samples and not the whole file: postez runs from cron every few
    // minutes and re-checks every scheduled video. Hashing a 4 GB file reads
    // 4 GB, seconds of disk time per file per tick and an evicted page cache.
    // Three 1 MiB samples cost a few milliseconds and, together with the size
    // and mtime, catch the changes that matter: a re-export (new size, mtime,
    // header and index), a different file copied over (different content at
    // the start, where container headers differ) and a truncated copy. What it
    // misses is an in-place edit of bytes outside the samples that also
    // restores the mtime, which no video tool does by accident.
    let (file, meta) = open_regular(path)?;
    of_file(path, &file, &meta)
}

/// [`fingerprint`] of an open file whose metadata is `meta`; `path` is for messages.
pub(super) fn of_file(
    path: &Path,
    file: &File,
    meta: &Metadata,
) -> Result<Fingerprint, MediaError> {
    let unreadable = |source: io::Error| MediaError::Unreadable {
        path: path.to_owned(),
        source,
    };
    let size = meta.len();
    let mtime = meta.modified().map_err(unreadable)?;
    let mtime_ns = match mtime.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_nanos()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_nanos()).map_or(i64::MIN, |ns| -ns),
    };
    let mut hasher = Sha256::new();
    hasher.update(size.to_be_bytes());
    let half = SAMPLE_LEN / 2;
    let starts = [
        0,
        (size / 2).saturating_sub(half),
        size.saturating_sub(SAMPLE_LEN),
    ];
    // One buffer for all samples: the size bounds it, and SAMPLE_LEN is 1 MiB,
    // so this never holds more than 1 MiB whatever the file's size.
    let buffer_len = usize::try_from(min(size, SAMPLE_LEN)).unwrap_or(0);
    let mut buffer = vec![0u8; buffer_len];
    for start in starts {
        let len = min(SAMPLE_LEN, size.saturating_sub(start));
        let chunk = usize::try_from(len)
            .ok()
            .and_then(|len| buffer.get_mut(..len))
            .ok_or_else(|| unreadable(io::Error::other("sample larger than its buffer")))?;
        super::video::read_exact_at(file, chunk, start).map_err(|err| {
            if err.kind() == io::ErrorKind::UnexpectedEof {
                // The file shrank after we read its size: it is being written.
                unreadable(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the file got shorter while postez was reading it",
                ))
            } else {
                unreadable(err)
            }
        })?;
        hasher.update(&*chunk);
    }
    Ok(Fingerprint {
        size,
        mtime_ns,
        sample_sha256: hex::encode(hasher.finalize()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::synth::write;

    fn sha256_hex(parts: &[&[u8]]) -> String {
        let mut h = Sha256::new();
        for p in parts {
            h.update(p);
        }
        hex::encode(h.finalize())
    }

    #[test]
    fn fingerprint_of_a_small_file_covers_it_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "a.mp4", b"hello");
        let fp = fingerprint(&path).unwrap();
        assert_eq!(fp.size, 5);
        let size = 5u64.to_be_bytes();
        assert_eq!(
            fp.sample_sha256,
            sha256_hex(&[&size, b"hello", b"hello", b"hello"])
        );
        let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
        let ns = mtime.duration_since(UNIX_EPOCH).unwrap().as_nanos();
        assert_eq!(fp.mtime_ns, i64::try_from(ns).unwrap());
        // An empty file can be fingerprinted too.
        let empty = write(&dir, "e.mp4", b"");
        let fp = fingerprint(&empty).unwrap();
        assert_eq!(fp.sample_sha256, sha256_hex(&[&0u64.to_be_bytes()]));
    }

    #[test]
    fn fingerprint_samples_start_middle_and_end() {
        let dir = tempfile::tempdir().unwrap();
        let mib = 1024 * 1024;
        let len = 8 * mib + 123;
        let mut bytes: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let path = write(&dir, "big.mp4", &bytes);
        let base = fingerprint(&path).unwrap();
        let start = len / 2 - mib / 2;
        let expected = sha256_hex(&[
            &(len as u64).to_be_bytes(),
            &bytes[..mib],
            &bytes[start..start + mib],
            &bytes[len - mib..],
        ]);
        assert_eq!(base.sample_sha256, expected);
        assert_eq!(fingerprint(&path).unwrap(), base);
        // A change inside each sample is seen...
        for pos in [0, len / 2, len - 1] {
            let mut changed = bytes.clone();
            changed[pos] ^= 1;
            std::fs::write(&path, &changed).unwrap();
            assert_ne!(
                fingerprint(&path).unwrap().sample_sha256,
                base.sample_sha256
            );
        }
        // ...one between the samples is not (the documented trade-off)...
        bytes[2 * mib] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(
            fingerprint(&path).unwrap().sample_sha256,
            base.sample_sha256
        );
        // ...and a size change always is.
        bytes.push(0);
        std::fs::write(&path, &bytes).unwrap();
        assert_ne!(
            fingerprint(&path).unwrap().sample_sha256,
            base.sample_sha256
        );
    }

    #[test]
    fn fingerprint_errors() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            fingerprint(&dir.path().join("gone.mp4")),
            Err(MediaError::NotFound { .. })
        ));
        assert!(matches!(
            fingerprint(dir.path()),
            Err(MediaError::NotAFile { .. })
        ));
    }
}
