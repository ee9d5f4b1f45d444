//! The bounded reader under both container parsers. This module owns
//! [`Source`], which reads the probed file at absolute offsets through a
//! small read-ahead window, refuses every read past the size taken from
//! metadata and gives up after a fixed budget of reads; [`Fault`], a
//! parser's failure before the path is known; and the conversions both
//! parsers share. It never allocates what a length field claims and never
//! panics on what it reads.

use std::cmp::min;
use std::fs::File;
use std::io;
use std::path::Path;

use super::{Container, MediaError};

/// A parsing failure, turned into a [`MediaError`] once the path and
/// container are known, so the parsers need not carry the path around.
#[derive(Debug)]
pub(super) enum Fault {
    /// Reading failed for a reason other than the file ending early.
    Io(io::Error),
    /// A length points past the end of the file (or of its parent).
    Truncated,
    /// The structure is invalid; the clause says how.
    Corrupt(String),
    /// The container holds no video track.
    NoVideo,
}

pub(super) type Parsed<T> = Result<T, Fault>;

impl From<io::Error> for Fault {
    fn from(err: io::Error) -> Self {
        if err.kind() == io::ErrorKind::UnexpectedEof {
            // We only read inside the size we were given, so an early end
            // means the file shrank under us: it is still being written.
            Fault::Truncated
        } else {
            Fault::Io(err)
        }
    }
}

impl Fault {
    pub(super) fn into_error(self, path: &Path, container: Container) -> MediaError {
        let path = path.to_owned();
        match self {
            Fault::Io(source) => MediaError::Unreadable { path, source },
            Fault::Truncated => MediaError::Corrupt {
                path,
                detail: format!(
                    "the file is truncated or not a complete {}",
                    container.name()
                ),
            },
            Fault::Corrupt(detail) => MediaError::Corrupt { path, detail },
            Fault::NoVideo => MediaError::NoVideoTrack { path },
        }
    }
}

pub(super) fn corrupt(detail: impl Into<String>) -> Fault {
    Fault::Corrupt(detail.into())
}

/// Most reads a probe may make before giving up. Real files need hundreds
/// (thousands for fragmented MP4); the budget bounds the time a crafted file
/// can cost, since every loop in the parsers performs at least one read.
const MAX_READS: u32 = 4_000_000;
/// Most reads from the disk (cache misses) a probe may make.
const MAX_FILLS: u32 = 200_000;
/// Size of the read-ahead window: box and element headers sit close
/// together inside `moov` or `Tracks`, so one disk read serves many of them.
const WINDOW: usize = 8 * 1024;

/// The file being probed, read at absolute offsets through a small window.
/// Every read is checked against the size taken from metadata, so no length
/// field can make us read past the end or allocate what it claims.
pub(super) struct Source {
    file: File,
    pub(super) len: u64,
    window: Vec<u8>,
    window_start: u64,
    reads: u32,
    fills: u32,
}

impl Source {
    pub(super) fn new(file: File, len: u64) -> Self {
        Source {
            file,
            len,
            window: Vec::new(),
            window_start: 0,
            reads: 0,
            fills: 0,
        }
    }

    pub(super) fn read_at(&mut self, offset: u64, out: &mut [u8]) -> Parsed<()> {
        self.reads = self.reads.saturating_add(1);
        if self.reads > MAX_READS {
            return Err(too_complex());
        }
        let want = u64::try_from(out.len()).map_err(|_| Fault::Truncated)?;
        let end = offset.checked_add(want).ok_or(Fault::Truncated)?;
        if end > self.len {
            return Err(Fault::Truncated);
        }
        if let Some(cached) = self.cached(offset, out.len()) {
            out.copy_from_slice(cached);
            return Ok(());
        }
        self.fills = self.fills.saturating_add(1);
        if self.fills > MAX_FILLS {
            return Err(too_complex());
        }
        // By position: the file may be shared with a fingerprint or a copy of the same handle.
        if out.len() > WINDOW {
            super::video::read_exact_at(&self.file, out, offset)?;
            return Ok(());
        }
        // `end <= len` above makes `len - offset >= out.len()`, so the window
        // always covers the request.
        let fill = usize::try_from(min(self.len - offset, WINDOW as u64)).unwrap_or(WINDOW);
        self.window.clear();
        self.window.resize(fill, 0);
        if let Err(err) = super::video::read_exact_at(&self.file, &mut self.window, offset) {
            self.window.clear();
            return Err(err.into());
        }
        self.window_start = offset;
        let filled = self.window.get(..out.len()).ok_or(Fault::Truncated)?;
        out.copy_from_slice(filled);
        Ok(())
    }

    fn cached(&self, offset: u64, len: usize) -> Option<&[u8]> {
        let rel = usize::try_from(offset.checked_sub(self.window_start)?).ok()?;
        self.window.get(rel..rel.checked_add(len)?)
    }

    pub(super) fn bytes<const N: usize>(&mut self, offset: u64) -> Parsed<[u8; N]> {
        let mut buf = [0u8; N];
        self.read_at(offset, &mut buf)?;
        Ok(buf)
    }

    pub(super) fn u8_at(&mut self, offset: u64) -> Parsed<u8> {
        let [byte] = self.bytes(offset)?;
        Ok(byte)
    }

    pub(super) fn u16_at(&mut self, offset: u64) -> Parsed<u16> {
        Ok(u16::from_be_bytes(self.bytes(offset)?))
    }

    pub(super) fn u32_at(&mut self, offset: u64) -> Parsed<u32> {
        Ok(u32::from_be_bytes(self.bytes(offset)?))
    }

    pub(super) fn u64_at(&mut self, offset: u64) -> Parsed<u64> {
        Ok(u64::from_be_bytes(self.bytes(offset)?))
    }
}

fn too_complex() -> Fault {
    corrupt("its structure is too large or too deeply repeated to inspect")
}

/// Converts `ticks` of a `per_second` clock to whole milliseconds.
pub(super) fn ticks_to_ms(ticks: u64, per_second: u32) -> Option<u64> {
    if per_second == 0 {
        return None;
    }
    // u128 because ticks * 1000 overflows u64 for durations near u64::MAX,
    // which a crafted file can claim.
    u64::try_from(u128::from(ticks) * 1000 / u128::from(per_second)).ok()
}

/// Frames per second rounded to three decimals, or `None` if not finite and
/// positive. Rounding makes 30 fps read as 30, not 30.000000300000003.
pub(super) fn round_fps(fps: f64) -> Option<f64> {
    (fps.is_finite() && fps > 0.0).then(|| (fps * 1000.0).round() / 1000.0)
}

/// Reduces bytes from the file to printable ASCII, so that a crafted codec
/// name cannot put terminal escape sequences into our messages.
pub(super) fn printable(bytes: &[u8]) -> String {
    let text: String = bytes
        .iter()
        .take(64)
        .map(|&b| {
            if (0x20..0x7f).contains(&b) {
                char::from(b)
            } else {
                '?'
            }
        })
        .collect();
    text.trim_end().to_owned()
}
