//! A video opened once, so that the bytes postez checks are the bytes it copies and uploads.
//! This module owns [`Video`] (one open handle that is probed, fingerprinted and copied from,
//! never reopened by path), [`Stamp`] (what the inode's metadata says about changes) and
//! [`Verified`] (a handle whose fingerprint matched the scheduled one, which an upload reads its
//! chunks from and checks again before the last byte leaves).
//!
//! What a swap can do, and what stops it:
//! - a path swapped by rename (or a symlink re-pointed) after the open cannot touch the open
//!   handle: every read goes through it, by position (no reopen, no shared offset);
//! - a rewrite of the same inode (someone with write access to the file itself) can. Every write
//!   sets the inode's change time (ctime), which no one but root can set back, so a [`Stamp`]
//!   taken before reading and compared after reading shows any write in between. Kernel
//!   timestamps may be coarse (one clock tick), so [`Video::settle`] first waits until the last
//!   change is [`QUIET`] old: a later write then gets a different ctime. A file replaced at
//!   its path while it is read changes the old inode's ctime too (its link count drops): that
//!   is refused as well, which is conservative and the answer the next read of the path would
//!   give anyway. What is left: a single `write` call still copying data after [`QUIET`] (ctime
//!   is set when it starts), and writes through a shared memory map to an already dirty page,
//!   which update no timestamp. For the upload, [`Verified::check_whole`] also re-hashes the
//!   fingerprint's samples before the last piece is sent; bytes outside the samples rely on the
//!   ctime check alone.
//!
//! What this does not cover: the fingerprint is sampled (see `fingerprint.rs` for why postez
//! does not hash whole files), so a file rewritten between the samples *before* postez opens it,
//! mtime put back, still matches, and is copied or uploaded whole. Closing that needs a hash of
//! the whole file stored at schedule time and compared with a running hash of the streamed bytes.

use std::fs::{File, Metadata};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use super::{Fingerprint, MediaError, MediaInfo};

/// How old the file's last change must be before postez reads it: longer than a kernel clock
/// tick (10 ms at the slowest common HZ), so a write during the read cannot keep the ctime.
pub const QUIET: Duration = Duration::from_millis(20);
/// How long [`Video::settle`] waits for a file being written before giving up.
const SETTLE_LIMIT: Duration = Duration::from_secs(2);
/// A change time this far ahead of our clock comes from another machine's clock (a network
/// disk): waiting for it would not end, and the ctime comparison works without it.
const CLOCK_SKEW: Duration = Duration::from_secs(1);

/// What an open file's metadata says about its contents. Two equal stamps of the same handle
/// mean no write happened in between (see the module header for the limits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    size: u64,
    modified: Option<SystemTime>,
    /// Inode change time: set by every write, chmod or utime, and by no one at will.
    changed: Option<(i64, i64)>,
}

impl Stamp {
    fn of(meta: &Metadata) -> Self {
        #[cfg(unix)]
        let changed = {
            use std::os::unix::fs::MetadataExt;
            Some((meta.ctime(), meta.ctime_nsec()))
        };
        #[cfg(not(unix))]
        let changed = None;
        Stamp {
            size: meta.len(),
            modified: meta.modified().ok(),
            changed,
        }
    }

    /// When the contents last changed, as far as the metadata tells.
    fn changed_at(&self) -> Option<SystemTime> {
        match self.changed {
            Some((secs, nanos)) => {
                let secs = u64::try_from(secs).ok()?;
                let nanos = u32::try_from(nanos).ok()?;
                SystemTime::UNIX_EPOCH.checked_add(Duration::new(secs, nanos))
            }
            None => self.modified,
        }
    }

    /// The file's size when the stamp was taken.
    pub fn size(&self) -> u64 {
        self.size
    }
}

/// A regular file opened once for reading; everything postez learns about a video and every
/// byte it copies or uploads comes through this one handle.
#[derive(Debug)]
pub struct Video {
    file: File,
    path: PathBuf,
}

impl Video {
    /// Opens `path` after making sure it is a regular file (a FIFO would block the open).
    pub fn open(path: &Path) -> Result<Self, MediaError> {
        let (file, _) = super::open_regular(path)?;
        Ok(Video {
            file,
            path: path.to_owned(),
        })
    }

    /// The path it was opened from, for messages.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn unreadable(&self, source: io::Error) -> MediaError {
        MediaError::Unreadable {
            path: self.path.clone(),
            source,
        }
    }

    fn metadata(&self) -> Result<Metadata, MediaError> {
        self.file.metadata().map_err(|e| self.unreadable(e))
    }

    /// The handle's stamp now.
    pub fn stamp(&self) -> Result<Stamp, MediaError> {
        Ok(Stamp::of(&self.metadata()?))
    }

    /// Waits until the file's last change is at least [`QUIET`] old and returns the stamp to
    /// compare with after reading; a file still being written after a couple of seconds is
    /// [`MediaError::Changed`].
    pub fn settle(&self) -> Result<Stamp, MediaError> {
        let start = Instant::now();
        loop {
            // The clock first, then the stamp: a write after the stamp gets a ctime of at least
            // `now - one tick`, which differs from a ctime older than `now - QUIET`.
            let now = SystemTime::now();
            let stamp = self.stamp()?;
            let Some(changed) = stamp.changed_at() else {
                return Ok(stamp);
            };
            match now.duration_since(changed) {
                Ok(age) if age >= QUIET => return Ok(stamp),
                Err(ahead) if ahead.duration() > CLOCK_SKEW => return Ok(stamp),
                _ => {}
            }
            if start.elapsed() >= SETTLE_LIMIT {
                return Err(self.changed());
            }
            std::thread::sleep(QUIET);
        }
    }

    /// [`MediaError::Changed`] unless the handle's stamp is still `before`.
    pub fn unchanged_since(&self, before: &Stamp) -> Result<(), MediaError> {
        if self.stamp()? == *before {
            Ok(())
        } else {
            Err(self.changed())
        }
    }

    fn changed(&self) -> MediaError {
        MediaError::Changed {
            path: self.path.clone(),
        }
    }

    /// The container and stream facts (see [`super::probe`]), read through this handle.
    pub fn probe(&self) -> Result<MediaInfo, MediaError> {
        let file = self.file.try_clone().map_err(|e| self.unreadable(e))?;
        super::probe_file(&self.path, file, &self.metadata()?)
    }

    /// The fingerprint (see [`super::fingerprint`]), read through this handle.
    pub fn fingerprint(&self) -> Result<Fingerprint, MediaError> {
        super::fingerprint::of_file(&self.path, &self.file, &self.metadata()?)
    }

    /// Fills `buf` with the bytes at `offset`, without touching the handle's file offset, so
    /// threads may read one handle at once.
    pub fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        read_exact_at(&self.file, buf, offset)
    }

    /// Writes the first `len` bytes to `out`. A file shorter than `len` (shrunk since) is an
    /// `UnexpectedEof`; an error names the source.
    pub fn copy_to(&self, out: &mut File, len: u64) -> io::Result<()> {
        // `io::copy` between two files copies in the kernel (copy_file_range: no pass through
        // our memory, a reflink where the filesystem shares blocks), three times faster than
        // pieces read by position. It reads at the handle's offset, which nothing else here
        // relies on: every other read is by position.
        let name = |e: io::Error| {
            io::Error::new(e.kind(), format!("copying `{}`: {e}", self.path.display()))
        };
        let mut reader = &self.file;
        reader.seek(SeekFrom::Start(0)).map_err(name)?;
        let copied = io::copy(&mut reader.take(len), out).map_err(name)?;
        if copied < len {
            return Err(name(io::ErrorKind::UnexpectedEof.into()));
        }
        Ok(())
    }
}

/// An open video whose fingerprint matched the one taken when it was scheduled: the only thing
/// an upload reads from.
#[derive(Debug)]
pub struct Verified {
    video: Video,
    stamp: Stamp,
    fingerprint: Fingerprint,
}

impl Verified {
    /// Opens `path` and fingerprints it once it is quiet; `None` when the fingerprint is not
    /// `expected` (the file was changed or replaced since).
    pub fn open(path: &Path, expected: &Fingerprint) -> Result<Option<Self>, MediaError> {
        let video = Video::open(path)?;
        let stamp = video.settle()?;
        let fingerprint = video.fingerprint()?;
        video.unchanged_since(&stamp)?;
        if fingerprint != *expected {
            return Ok(None);
        }
        Ok(Some(Verified {
            video,
            stamp,
            fingerprint,
        }))
    }

    /// The file's size when it was verified.
    pub fn len(&self) -> u64 {
        self.stamp.size
    }

    /// Whether the file is empty (never, for a video that passed the preflight).
    pub fn is_empty(&self) -> bool {
        self.stamp.size == 0
    }

    /// The path, for messages.
    pub fn path(&self) -> &Path {
        self.video.path()
    }

    /// See [`Video::read_exact_at`].
    pub fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        self.video.read_exact_at(buf, offset)
    }

    /// [`MediaError::Changed`] if anything wrote to the file since it was verified: one
    /// `fstat`, cheap enough for every chunk.
    pub fn check_unchanged(&self) -> Result<(), MediaError> {
        self.video.unchanged_since(&self.stamp)
    }

    /// [`Verified::check_unchanged`], and the fingerprint's samples hashed again through the
    /// handle (3 MiB at most, mostly from the page cache): catches the writes that leave no
    /// timestamp (a shared memory map) in the sampled regions.
    pub fn check_whole(&self) -> Result<(), MediaError> {
        self.check_unchanged()?;
        if self.video.fingerprint()? == self.fingerprint {
            Ok(())
        } else {
            Err(self.video.changed())
        }
    }
}

#[cfg(unix)]
pub(super) fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(windows)]
pub(super) fn read_exact_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
    // `seek_read` moves the handle's offset, which nothing here relies on.
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_read(buf, offset) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => {
                buf = &mut std::mem::take(&mut buf)[n..];
                offset += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::synth::write;

    #[test]
    fn a_rename_swap_does_not_reach_the_open_handle() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "a.mp4", b"the real bytes");
        let video = Video::open(&path).unwrap();
        let before = video.fingerprint().unwrap();
        let other = write(&dir, "b.mp4", b"foreign bytes!");
        std::fs::rename(&other, &path).unwrap();
        assert_eq!(video.fingerprint().unwrap(), before);
        let copy = dir.path().join("copy.mp4");
        video
            .copy_to(&mut std::fs::File::create(&copy).unwrap(), 14)
            .unwrap();
        assert_eq!(std::fs::read(&copy).unwrap(), b"the real bytes");
    }

    #[cfg(unix)]
    #[test]
    fn an_in_place_write_changes_the_stamp() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "a.mp4", b"the real bytes");
        let video = Video::open(&path).unwrap();
        let stamp = video.settle().unwrap();
        video.unchanged_since(&stamp).unwrap();
        // Same size, same mtime put back: only the ctime tells.
        let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
        let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        std::os::unix::fs::FileExt::write_all_at(&file, b"THE", 0).unwrap();
        file.set_modified(mtime).unwrap();
        assert!(matches!(
            video.unchanged_since(&stamp),
            Err(MediaError::Changed { .. })
        ));
    }

    #[test]
    fn verified_checks_samples_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "a.mp4", b"the real bytes");
        let fp = crate::media::fingerprint(&path).unwrap();
        let v = Verified::open(&path, &fp).unwrap().expect("matches");
        v.check_whole().unwrap();
        assert_eq!(v.len(), 14);
        let mut other = fp.clone();
        other.sample_sha256 = "0".repeat(64);
        assert!(Verified::open(&path, &other).unwrap().is_none());
        std::fs::write(&path, b"THE real bytes").unwrap();
        assert!(matches!(v.check_whole(), Err(MediaError::Changed { .. })));
    }
}
