//! A video kept in the shared queue (issue 14), so every runner can read it whatever machine it
//! was scheduled on. `schedule` sends the file in 1 MiB chunks, hashing as it goes, from one
//! open handle whose fingerprint is checked before and after (a file changed while it was being
//! sent is refused, not stored half old, half new). `run` writes the chunks back into a private
//! file in its own data folder, checks the size and SHA-256, and gives it the original's
//! modification time, so the upload path reads and checks it exactly like a file on disk. Memory
//! stays at one chunk either way.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::Fingerprint;
use crate::error::{Error, Result};
use crate::store::Store;

/// The size of a stored chunk.
const CHUNK: usize = 1024 * 1024;

/// Send the file at `path` (fingerprinted at schedule time as `expected`) into the shared queue;
/// returns the stored video's id (an identical video already stored whole is reused).
pub fn store(
    store: &mut Store,
    path: &Path,
    expected: &Fingerprint,
    now: DateTime<Utc>,
) -> Result<i64> {
    let mut file = fs_err::File::open(path)?;
    let id = store.media_begin(expected.size, now)?;
    match send(store, id, &mut file, path, expected) {
        Ok(sha) => store.media_finish(id, expected.size, &sha),
        Err(e) => {
            // Best effort: a row left behind is dropped by a later run (no post uses it).
            let _ = store.media_abort(id);
            Err(e)
        }
    }
}

fn send(
    store: &mut Store,
    id: i64,
    file: &mut fs_err::File,
    path: &Path,
    expected: &Fingerprint,
) -> Result<String> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    let mut seq = 0u64;
    let mut total = 0u64;
    loop {
        let n = read_full(file, &mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        store.media_put(id, seq, &buf[..n])?;
        seq += 1;
        total += n as u64;
    }
    // The file must still be the one that was checked: same size and fingerprint after the
    // last byte was read.
    let now = super::fingerprint(path).ok();
    if total != expected.size || now.as_ref() != Some(expected) {
        return Err(changed(path));
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Read until `buf` is full or the file ends.
fn read_full(file: &mut impl Read, buf: &mut [u8]) -> Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(filled)
}

fn changed(path: &Path) -> Error {
    Error::config(
        format!(
            "`{}` changed while it was being sent to the shared queue",
            path.display()
        ),
        Some("schedule it again once the file is finished".into()),
    )
}

/// Where `run` keeps its copy of stored video `id`.
pub fn cache_path(cache_dir: &Path, id: i64) -> PathBuf {
    cache_dir.join(format!("media-{id}"))
}

/// Write stored video `id` into `cache_dir` (unless a complete copy is already there) and
/// return its path, its modification time set to `expected`'s so the fingerprint check of the
/// upload passes for exactly these bytes.
pub fn fetch(store: &Store, id: i64, expected: &Fingerprint, cache_dir: &Path) -> Result<PathBuf> {
    let Some((size, sha, complete)) = store.media_info(id)? else {
        return Err(missing(id));
    };
    if !complete || size != expected.size {
        return Err(missing(id));
    }
    crate::files::ensure_private_dir(cache_dir)?;
    let path = cache_path(cache_dir, id);
    if super::fingerprint(&path).ok().as_ref() == Some(expected) {
        return Ok(path);
    }
    let partial = path.with_extension("part");
    let mut out = fs_err::File::create(&partial)?;
    crate::env::make_private(&partial)?;
    let mut hasher = Sha256::new();
    let mut seq = 0u64;
    let mut written = 0u64;
    while let Some(chunk) = store.media_chunk(id, seq)? {
        hasher.update(&chunk);
        out.write_all(&chunk)?;
        written += chunk.len() as u64;
        seq += 1;
    }
    out.flush()?;
    if written != size || hex::encode(hasher.finalize()) != sha {
        let _ = fs_err::remove_file(&partial);
        return Err(Error::config(
            format!(
                "the shared queue's copy of video {id} is damaged (its checksum does not match)"
            ),
            Some("schedule the post's video again (`postez edit ID --file …`)".into()),
        ));
    }
    let mtime = std::time::UNIX_EPOCH
        + std::time::Duration::from_nanos(u64::try_from(expected.mtime_ns).unwrap_or(0));
    out.file().set_modified(mtime)?;
    out.sync_all()?;
    drop(out);
    fs_err::rename(&partial, &path)?;
    Ok(path)
}

/// Remove this runner's copy of stored video `id`.
pub fn forget(cache_dir: &Path, id: i64) {
    let _ = fs_err::remove_file(cache_path(cache_dir, id));
}

fn missing(id: i64) -> Error {
    Error::config(
        format!("the shared queue no longer holds video {id}"),
        Some("schedule the post's video again (`postez edit ID --file …`)".into()),
    )
}
