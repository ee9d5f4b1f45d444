//! Video files as postez sees them. This module owns reading a video's
//! container and stream facts (container, size, duration, width, height,
//! frame rate, codec) from the file's bytes, checking those facts against
//! TikTok's upload limits, and fingerprinting the file so that a later cron
//! run can tell whether it was changed or replaced. It never prints and never
//! reads a whole file: a probe seeks from header to header and reads only the
//! container's index (`moov`, or WebM's `Info` and `Tracks`), skipping the
//! media data, and a fingerprint reads three 1 MiB samples. Files are
//! untrusted input, so the MP4/MOV box reader and the WebM (EBML) reader here
//! never panic: every length field is checked against the file's size with
//! overflow-checked arithmetic, they descend only along the few paths they
//! know (so nesting cannot make them recurse), and they stop after a fixed
//! budget of reads. Failures are [`MediaError`]s whose message is one
//! sentence naming the path and whose [`MediaError::hint`] suggests a fix.

use std::cmp::min;
use std::fmt;
use std::fs::{File, Metadata};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use sha2::{Digest, Sha256};

/// Largest file TikTok accepts. TikTok says "4 GB"; we read that as decimal
/// gigabytes, the stricter reading, so a file we accept is never refused.
pub const MAX_FILE_SIZE: u64 = 4_000_000_000;
/// Smallest width and height TikTok accepts, in pixels.
pub const MIN_SIDE: u32 = 360;
/// Largest width and height TikTok accepts, in pixels.
pub const MAX_SIDE: u32 = 4096;
/// Lowest frame rate TikTok accepts, in frames per second.
pub const MIN_FPS: f64 = 23.0;
/// Highest frame rate TikTok accepts, in frames per second.
pub const MAX_FPS: f64 = 60.0;
/// How far outside [`MIN_FPS`]..=[`MAX_FPS`] a measured frame rate may fall
/// and still pass: the rate is an average over the whole file, so a 60 fps
/// phone video with slightly uneven frame timing can measure as 60.02.
pub const FPS_TOLERANCE: f64 = 0.05;
/// Longest video TikTok accepts through the API, in milliseconds (10 minutes).
pub const MAX_DURATION_MS: u64 = 600_000;

/// Bytes in each of the three samples that [`fingerprint`] hashes.
const SAMPLE_LEN: u64 = 1024 * 1024;

/// A video container format, recognised from the file's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Container {
    /// ISO base media file (MP4, M4V, 3GP): an `ftyp` box with a brand other than `qt  `.
    Mp4,
    /// Apple QuickTime: an `ftyp` box with brand `qt  `, or an old file with no `ftyp`.
    Mov,
    /// WebM, or Matroska (of which WebM is a subset): an EBML header with
    /// DocType `webm` or `matroska`. Both are read alike and uploaded as
    /// `video/webm`.
    Webm,
}

impl Container {
    /// The MIME type to declare when uploading a file of this container.
    pub fn mime(self) -> &'static str {
        match self {
            Container::Mp4 => "video/mp4",
            Container::Mov => "video/quicktime",
            Container::Webm => "video/webm",
        }
    }

    /// The lowercase word stored in the queue and used in JSON (`mp4`, `mov`, `webm`).
    pub fn as_str(self) -> &'static str {
        match self {
            Container::Mp4 => "mp4",
            Container::Mov => "mov",
            Container::Webm => "webm",
        }
    }

    /// The name people know the container by, as used in messages.
    pub fn name(self) -> &'static str {
        match self {
            Container::Mp4 => "MP4",
            Container::Mov => "MOV",
            Container::Webm => "WebM",
        }
    }
}

impl fmt::Display for Container {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The codec of a video track.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum VideoCodec {
    /// H.264 / AVC (`avc1`, `avc3`, `V_MPEG4/ISO/AVC`).
    H264,
    /// H.265 / HEVC (`hvc1`, `hev1`, `V_MPEGH/ISO/HEVC`).
    H265,
    /// VP8 (`vp08`, `V_VP8`).
    Vp8,
    /// VP9 (`vp09`, `V_VP9`).
    Vp9,
    /// AV1 (`av01`, `V_AV1`).
    Av1,
    /// Anything else, by its sample entry fourcc or Matroska codec ID,
    /// reduced to printable ASCII because it comes from the file.
    Other(String),
}

impl VideoCodec {
    /// Whether TikTok accepts video in this codec (H.264, H.265, VP8, VP9).
    pub fn tiktok_accepts(&self) -> bool {
        matches!(
            self,
            VideoCodec::H264 | VideoCodec::H265 | VideoCodec::Vp8 | VideoCodec::Vp9
        )
    }

    /// Read back the [`Display`](fmt::Display) form stored in the queue.
    pub fn from_label(label: &str) -> Self {
        match label {
            "H.264" => VideoCodec::H264,
            "H.265" => VideoCodec::H265,
            "VP8" => VideoCodec::Vp8,
            "VP9" => VideoCodec::Vp9,
            "AV1" => VideoCodec::Av1,
            other => VideoCodec::Other(other.to_string()),
        }
    }

    fn from_fourcc(fourcc: [u8; 4]) -> Self {
        match &fourcc {
            b"avc1" | b"avc3" => VideoCodec::H264,
            b"hvc1" | b"hev1" => VideoCodec::H265,
            b"vp08" => VideoCodec::Vp8,
            b"vp09" => VideoCodec::Vp9,
            b"av01" => VideoCodec::Av1,
            _ => VideoCodec::Other(printable(&fourcc)),
        }
    }

    fn from_matroska(id: &[u8]) -> Self {
        match id {
            b"V_MPEG4/ISO/AVC" => VideoCodec::H264,
            b"V_MPEGH/ISO/HEVC" => VideoCodec::H265,
            b"V_VP8" => VideoCodec::Vp8,
            b"V_VP9" => VideoCodec::Vp9,
            b"V_AV1" => VideoCodec::Av1,
            _ => VideoCodec::Other(printable(id)),
        }
    }
}

impl fmt::Display for VideoCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VideoCodec::H264 => f.write_str("H.264"),
            VideoCodec::H265 => f.write_str("H.265"),
            VideoCodec::Vp8 => f.write_str("VP8"),
            VideoCodec::Vp9 => f.write_str("VP9"),
            VideoCodec::Av1 => f.write_str("AV1"),
            VideoCodec::Other(name) => f.write_str(name),
        }
    }
}

/// What [`probe`] learned about a video file. Fields the file does not state
/// are `None`; [`check`] decides whether that is acceptable.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MediaInfo {
    /// The container format, from the file's bytes.
    pub container: Container,
    /// The file's size in bytes.
    pub size: u64,
    /// How long the video plays, in milliseconds (rounded down).
    pub duration_ms: Option<u64>,
    /// Displayed width in pixels (MP4/MOV: after a 90° or 270° rotation).
    pub width: Option<u32>,
    /// Displayed height in pixels (MP4/MOV: after a 90° or 270° rotation).
    pub height: Option<u32>,
    /// Average frames per second, rounded to three decimals.
    pub fps: Option<f64>,
    /// The video track's codec.
    pub codec: Option<VideoCodec>,
}

/// Why a file cannot be probed, fingerprinted or posted to TikTok. Each
/// message is one sentence that names the path; [`MediaError::hint`] says
/// what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// Nothing exists at the path.
    #[error("`{}` does not exist", path.display())]
    NotFound {
        /// The path as given.
        path: PathBuf,
    },
    /// The path is a directory, device, socket or pipe.
    #[error("`{}` is not a regular file", path.display())]
    NotAFile {
        /// The path as given.
        path: PathBuf,
    },
    /// The file exists but reading it failed.
    #[error("`{}` cannot be read", path.display())]
    Unreadable {
        /// The path as given.
        path: PathBuf,
        /// What the operating system reported.
        #[source]
        source: io::Error,
    },
    /// The file has no bytes at all.
    #[error("`{}` is empty", path.display())]
    Empty {
        /// The path as given.
        path: PathBuf,
    },
    /// The file is over [`MAX_FILE_SIZE`].
    #[error(
        "`{}` is {} ({size} bytes); TikTok accepts videos of at most 4 GB ({MAX_FILE_SIZE} bytes)",
        path.display(),
        gigabytes(*size)
    )]
    TooLarge {
        /// The path as given.
        path: PathBuf,
        /// The file's size in bytes.
        size: u64,
    },
    /// The bytes are not an MP4, MOV or WebM file, whatever the extension says.
    #[error("`{}` is not an MP4, MOV or WebM video", path.display())]
    UnknownContainer {
        /// The path as given.
        path: PathBuf,
    },
    /// The container is recognised but its structure is broken or incomplete.
    #[error("`{}` looks damaged: {detail}", path.display())]
    Corrupt {
        /// The path as given.
        path: PathBuf,
        /// What is wrong, as a clause starting in lower case.
        detail: String,
    },
    /// The container holds no video track (e.g. an audio-only M4A).
    #[error("`{}` has no video track", path.display())]
    NoVideoTrack {
        /// The path as given.
        path: PathBuf,
    },
    /// A side is outside [`MIN_SIDE`]..=[`MAX_SIDE`].
    #[error(
        "`{}` is {width}×{height} pixels; TikTok needs {MIN_SIDE} to {MAX_SIDE} pixels on each side",
        path.display()
    )]
    Resolution {
        /// The path as given.
        path: PathBuf,
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
    /// The frame rate is outside [`MIN_FPS`]..=[`MAX_FPS`].
    #[error(
        "`{}` plays at {} frames per second; TikTok needs 23 to 60",
        path.display(),
        decimal(*fps)
    )]
    FrameRate {
        /// The path as given.
        path: PathBuf,
        /// Measured frames per second.
        fps: f64,
    },
    /// The video is longer than [`MAX_DURATION_MS`].
    #[error(
        "`{}` is {secs} seconds long; TikTok accepts at most 600 seconds (10 minutes)",
        path.display()
    )]
    Duration {
        /// The path as given.
        path: PathBuf,
        /// Length in whole seconds, rounded up.
        secs: u64,
    },
    /// TikTok does not accept the video codec.
    #[error(
        "`{}` is encoded as {codec}; TikTok needs H.264, H.265, VP8 or VP9",
        path.display()
    )]
    Codec {
        /// The path as given.
        path: PathBuf,
        /// The codec found.
        codec: VideoCodec,
    },
}

impl MediaError {
    /// The path the error is about.
    pub fn path(&self) -> &Path {
        match self {
            MediaError::NotFound { path }
            | MediaError::NotAFile { path }
            | MediaError::Unreadable { path, .. }
            | MediaError::Empty { path }
            | MediaError::TooLarge { path, .. }
            | MediaError::UnknownContainer { path }
            | MediaError::Corrupt { path, .. }
            | MediaError::NoVideoTrack { path }
            | MediaError::Resolution { path, .. }
            | MediaError::FrameRate { path, .. }
            | MediaError::Duration { path, .. }
            | MediaError::Codec { path, .. } => path,
        }
    }

    /// A suggestion for fixing the problem, usually with a command to run
    /// (paths shell-quoted, output written next to the input as
    /// `<name>-tiktok.<ext>` so nothing is overwritten). Every current
    /// variant has one; the `Option` leaves room for errors that will not.
    pub fn hint(&self) -> Option<String> {
        let hint = match self {
            MediaError::NotFound { .. } => {
                "check the path; if the video was moved or renamed, schedule it again from its new place"
                    .to_owned()
            }
            MediaError::NotAFile { .. } => "give the path of a video file".to_owned(),
            MediaError::Unreadable { path, source } => {
                if source.kind() == io::ErrorKind::PermissionDenied {
                    format!(
                        "check that you may read it, e.g. `ls -l {}`",
                        shell_word(&path.to_string_lossy())
                    )
                } else {
                    "check that the disk holding it is mounted and healthy".to_owned()
                }
            }
            MediaError::Empty { .. } => {
                "if it is still being exported, copied or downloaded, wait for that to finish"
                    .to_owned()
            }
            MediaError::TooLarge { path, .. } => format!(
                "compress it, e.g. `ffmpeg -i {} -c:v libx264 -crf 23 -preset slow -c:a aac {}`",
                quoted(path),
                fixed_name(path, "mp4")
            ),
            MediaError::UnknownContainer { path } => format!(
                "postez looks at the file's contents, not its name; convert it, e.g. `ffmpeg -i {} -c:v libx264 -pix_fmt yuv420p -c:a aac {}`",
                quoted(path),
                fixed_name(path, "mp4")
            ),
            MediaError::Corrupt { .. } => {
                "if it is still being exported, copied or downloaded, wait for that to finish; otherwise export it again"
                    .to_owned()
            }
            MediaError::NoVideoTrack { .. } => {
                "it seems to hold only audio; check that you picked the right file".to_owned()
            }
            MediaError::Resolution {
                path,
                width,
                height,
            } => format!(
                "re-encode it, e.g. `ffmpeg -i {} -vf {} {}`",
                quoted(path),
                scale_filter(*width, *height),
                fixed_name(path, "mp4")
            ),
            MediaError::FrameRate { path, fps } => {
                let target = if *fps > MAX_FPS { 60 } else { 30 };
                format!(
                    "re-encode it at {target} frames per second, e.g. `ffmpeg -i {} -r {target} {}`",
                    quoted(path),
                    fixed_name(path, "mp4")
                )
            }
            MediaError::Duration { path, .. } => {
                let ext = path
                    .extension()
                    .map_or_else(|| "mp4".to_owned(), |e| e.to_string_lossy().into_owned());
                format!(
                    "trim it to 10 minutes, e.g. `ffmpeg -i {} -t 600 -c copy {}`, or split it into parts",
                    quoted(path),
                    fixed_name(path, &ext)
                )
            }
            MediaError::Codec { path, .. } => format!(
                "re-encode it to H.264, e.g. `ffmpeg -i {} -c:v libx264 -pix_fmt yuv420p -c:a aac {}`",
                quoted(path),
                fixed_name(path, "mp4")
            ),
        };
        Some(hint)
    }
}

/// Reads the container and video stream facts of the file at `path` from its
/// bytes, never from its extension.
///
/// The file must be a regular, readable, non-empty file of at most
/// [`MAX_FILE_SIZE`] bytes; the size is checked from metadata before any byte
/// is read. MP4 and MOV files are read through `moov` (found wherever it is;
/// `mdat` is skipped by seeking), including fragmented MP4 whose samples are
/// listed in `moof` boxes. WebM and Matroska files are read through
/// `Segment/Info` and `Segment/Tracks`; live WebM with unknown element sizes
/// is fine. Facts the file does not state are left `None`. Call [`check`]
/// to compare the result with TikTok's limits.
pub fn probe(path: &Path) -> Result<MediaInfo, MediaError> {
    let (file, meta) = open_regular(path)?;
    let size = meta.len();
    if size == 0 {
        return Err(MediaError::Empty {
            path: path.to_owned(),
        });
    }
    if size > MAX_FILE_SIZE {
        return Err(MediaError::TooLarge {
            path: path.to_owned(),
            size,
        });
    }
    let mut src = Source::new(file, size);
    let container = match sniff(&mut src) {
        Ok(Some(container)) => container,
        Ok(None) => {
            return Err(MediaError::UnknownContainer {
                path: path.to_owned(),
            });
        }
        Err(fault) => return Err(fault.into_error(path, Container::Webm)),
    };
    let facts = match container {
        Container::Mp4 | Container::Mov => mp4::parse(&mut src),
        Container::Webm => webm::parse(&mut src),
    }
    .map_err(|fault| fault.into_error(path, container))?;
    Ok(MediaInfo {
        container,
        size,
        duration_ms: facts.duration_ms,
        width: facts.width,
        height: facts.height,
        fps: facts.fps,
        codec: facts.codec,
    })
}

/// Checks `info` (from [`probe`] of `path`) against TikTok's limits:
/// at most [`MAX_FILE_SIZE`] bytes; codec H.264, H.265, VP8 or VP9;
/// [`MIN_SIDE`] to [`MAX_SIDE`] pixels on each side; [`MIN_FPS`] to
/// [`MAX_FPS`] frames per second (give or take [`FPS_TOLERANCE`]); at most
/// [`MAX_DURATION_MS`].
///
/// MP4 and MOV files always state all of these, so one that is missing means
/// a broken file ([`MediaError::Corrupt`] or [`MediaError::NoVideoTrack`]).
/// WebM files legitimately leave some out (a live recording has no duration,
/// a browser recording no frame rate), so only what is known is checked.
pub fn check(path: &Path, info: &MediaInfo) -> Result<(), MediaError> {
    let strict = matches!(info.container, Container::Mp4 | Container::Mov);
    let corrupt = |detail: &str| MediaError::Corrupt {
        path: path.to_owned(),
        detail: detail.to_owned(),
    };
    if info.size > MAX_FILE_SIZE {
        return Err(MediaError::TooLarge {
            path: path.to_owned(),
            size: info.size,
        });
    }
    match &info.codec {
        Some(codec) if !codec.tiktok_accepts() => {
            return Err(MediaError::Codec {
                path: path.to_owned(),
                codec: codec.clone(),
            });
        }
        None if strict => {
            return Err(MediaError::NoVideoTrack {
                path: path.to_owned(),
            });
        }
        _ => {}
    }
    match (info.width, info.height) {
        (Some(width), Some(height)) => {
            let side_ok = |side: u32| (MIN_SIDE..=MAX_SIDE).contains(&side);
            if !side_ok(width) || !side_ok(height) {
                return Err(MediaError::Resolution {
                    path: path.to_owned(),
                    width,
                    height,
                });
            }
        }
        _ if strict => return Err(corrupt("the video track does not state its size")),
        _ => {}
    }
    match info.fps {
        Some(fps) => {
            let low = MIN_FPS - FPS_TOLERANCE;
            let high = MAX_FPS + FPS_TOLERANCE;
            // NaN fails this test too, which is what we want.
            if !(fps >= low && fps <= high) {
                return Err(MediaError::FrameRate {
                    path: path.to_owned(),
                    fps,
                });
            }
        }
        None if strict => return Err(corrupt("the video track does not state its frame rate")),
        None => {}
    }
    match info.duration_ms {
        Some(ms) if ms > MAX_DURATION_MS => {
            return Err(MediaError::Duration {
                path: path.to_owned(),
                secs: ms.div_ceil(1000),
            });
        }
        None if strict => return Err(corrupt("the file does not state its duration")),
        _ => {}
    }
    Ok(())
}

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
    let (mut file, meta) = open_regular(path)?;
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
        file.seek(SeekFrom::Start(start)).map_err(unreadable)?;
        file.read_exact(chunk).map_err(|err| {
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

/// Opens `path` for reading after making sure it is a regular file, and
/// returns the metadata of the open handle, so that the size used later is
/// that of the file actually opened even if the path was swapped meanwhile.
fn open_regular(path: &Path) -> Result<(File, Metadata), MediaError> {
    // std::fs rather than fs-err: fs-err would put the path into the io::Error
    // as well, and our messages already name it, so a printed error chain
    // would name it twice.
    let io_error = |source: io::Error| match source.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory => MediaError::NotFound {
            path: path.to_owned(),
        },
        _ => MediaError::Unreadable {
            path: path.to_owned(),
            source,
        },
    };
    let not_a_file = || MediaError::NotAFile {
        path: path.to_owned(),
    };
    // Look before opening: opening a FIFO for reading blocks until a writer
    // appears, which would hang a cron run.
    if !std::fs::metadata(path).map_err(io_error)?.is_file() {
        return Err(not_a_file());
    }
    let file = File::open(path).map_err(io_error)?;
    let meta = file.metadata().map_err(io_error)?;
    if !meta.is_file() {
        return Err(not_a_file());
    }
    Ok((file, meta))
}

/// Recognises the container from the first bytes; `None` means "not a video
/// container we know".
fn sniff(src: &mut Source) -> Parsed<Option<Container>> {
    if src.len < 8 {
        return Ok(None);
    }
    let [s0, s1, s2, s3, k0, k1, k2, k3] = src.bytes::<8>(0)?;
    if [s0, s1, s2, s3] == webm::EBML_MAGIC {
        return webm::doc_type_is_webm(src).map(|ok| ok.then_some(Container::Webm));
    }
    let kind = [k0, k1, k2, k3];
    let size32 = u32::from_be_bytes([s0, s1, s2, s3]);
    if &kind == b"ftyp" {
        if src.len < 12 || (size32 != 0 && size32 != 1 && size32 < 12) {
            return Ok(None);
        }
        let brand: [u8; 4] = src.bytes(8)?;
        return Ok(match &brand {
            b"qt  " => Some(Container::Mov),
            // Still images in the same box format (HEIF/AVIF photos, Canon
            // raw): calling them damaged videos would mislead.
            b"heic" | b"heix" | b"heim" | b"heis" | b"mif1" | b"msf1" | b"avif" | b"crx " => None,
            _ => Some(Container::Mp4),
        });
    }
    // QuickTime files from before `ftyp` existed start straight with one of
    // these atoms. The size must at least be possible, so that four random
    // letters in a text file do not pass.
    let legacy = matches!(
        &kind,
        b"moov" | b"mdat" | b"wide" | b"free" | b"skip" | b"pnot"
    );
    let size_ok = size32 == 0 || size32 == 1 || (size32 >= 8 && u64::from(size32) <= src.len);
    Ok((legacy && size_ok).then_some(Container::Mov))
}

/// The facts one container parser extracts; [`probe`] adds the rest.
#[derive(Debug, Default)]
struct Facts {
    duration_ms: Option<u64>,
    width: Option<u32>,
    height: Option<u32>,
    fps: Option<f64>,
    codec: Option<VideoCodec>,
}

/// A parsing failure, turned into a [`MediaError`] once the path and
/// container are known, so the parsers need not carry the path around.
#[derive(Debug)]
enum Fault {
    /// Reading failed for a reason other than the file ending early.
    Io(io::Error),
    /// A length points past the end of the file (or of its parent).
    Truncated,
    /// The structure is invalid; the clause says how.
    Corrupt(String),
    /// The container holds no video track.
    NoVideo,
}

type Parsed<T> = Result<T, Fault>;

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
    fn into_error(self, path: &Path, container: Container) -> MediaError {
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

fn corrupt(detail: impl Into<String>) -> Fault {
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
struct Source {
    file: File,
    len: u64,
    window: Vec<u8>,
    window_start: u64,
    reads: u32,
    fills: u32,
}

impl Source {
    fn new(file: File, len: u64) -> Self {
        Source {
            file,
            len,
            window: Vec::new(),
            window_start: 0,
            reads: 0,
            fills: 0,
        }
    }

    fn read_at(&mut self, offset: u64, out: &mut [u8]) -> Parsed<()> {
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
        self.file.seek(SeekFrom::Start(offset))?;
        if out.len() > WINDOW {
            self.file.read_exact(out)?;
            return Ok(());
        }
        // `end <= len` above makes `len - offset >= out.len()`, so the window
        // always covers the request.
        let fill = usize::try_from(min(self.len - offset, WINDOW as u64)).unwrap_or(WINDOW);
        self.window.clear();
        self.window.resize(fill, 0);
        if let Err(err) = self.file.read_exact(&mut self.window) {
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

    fn bytes<const N: usize>(&mut self, offset: u64) -> Parsed<[u8; N]> {
        let mut buf = [0u8; N];
        self.read_at(offset, &mut buf)?;
        Ok(buf)
    }

    fn u8_at(&mut self, offset: u64) -> Parsed<u8> {
        let [byte] = self.bytes(offset)?;
        Ok(byte)
    }

    fn u16_at(&mut self, offset: u64) -> Parsed<u16> {
        Ok(u16::from_be_bytes(self.bytes(offset)?))
    }

    fn u32_at(&mut self, offset: u64) -> Parsed<u32> {
        Ok(u32::from_be_bytes(self.bytes(offset)?))
    }

    fn u64_at(&mut self, offset: u64) -> Parsed<u64> {
        Ok(u64::from_be_bytes(self.bytes(offset)?))
    }
}

fn too_complex() -> Fault {
    corrupt("its structure is too large or too deeply repeated to inspect")
}

/// Converts `ticks` of a `per_second` clock to whole milliseconds.
fn ticks_to_ms(ticks: u64, per_second: u32) -> Option<u64> {
    if per_second == 0 {
        return None;
    }
    // u128 because ticks * 1000 overflows u64 for durations near u64::MAX,
    // which a crafted file can claim.
    u64::try_from(u128::from(ticks) * 1000 / u128::from(per_second)).ok()
}

/// Frames per second rounded to three decimals, or `None` if not finite and
/// positive. Rounding makes 30 fps read as 30, not 30.000000300000003.
fn round_fps(fps: f64) -> Option<f64> {
    (fps.is_finite() && fps > 0.0).then(|| (fps * 1000.0).round() / 1000.0)
}

/// Reduces bytes from the file to printable ASCII, so that a crafted codec
/// name cannot put terminal escape sequences into our messages.
fn printable(bytes: &[u8]) -> String {
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

/// The ISO base media file format reader (MP4, MOV, 3GP).
mod mp4 {
    use super::{Facts, Fault, Parsed, Source, VideoCodec, corrupt, round_fps, ticks_to_ms};

    /// Most children read from one box. Real `moov`/`trak`/`stbl` boxes have
    /// a handful to a few dozen; the cap stops a box stuffed with millions of
    /// tiny children.
    const MAX_CHILDREN: usize = 4096;

    /// A box: its type, where its payload starts and where it ends (absolute).
    #[derive(Debug, Clone, Copy)]
    struct Bx {
        kind: [u8; 4],
        body: u64,
        end: u64,
    }

    impl Bx {
        /// Absolute offset of `len` payload bytes at `rel`, if they lie inside
        /// the box; fields of a full box are never read from a neighbour.
        fn at(&self, rel: u64, len: u64) -> Parsed<u64> {
            let start = self.body.checked_add(rel).ok_or(Fault::Truncated)?;
            let end = start.checked_add(len).ok_or(Fault::Truncated)?;
            if end > self.end {
                return Err(corrupt(format!(
                    "its `{}` box is too short",
                    super::printable(&self.kind)
                )));
            }
            Ok(start)
        }

        fn u8(&self, src: &mut Source, rel: u64) -> Parsed<u8> {
            src.u8_at(self.at(rel, 1)?)
        }

        fn u16(&self, src: &mut Source, rel: u64) -> Parsed<u16> {
            src.u16_at(self.at(rel, 2)?)
        }

        fn u32(&self, src: &mut Source, rel: u64) -> Parsed<u32> {
            src.u32_at(self.at(rel, 4)?)
        }

        fn u64(&self, src: &mut Source, rel: u64) -> Parsed<u64> {
            src.u64_at(self.at(rel, 8)?)
        }

        fn payload_len(&self) -> u64 {
            self.end.saturating_sub(self.body)
        }
    }

    /// Reads the box header at `offset`, which must end by `limit`.
    fn read_box(src: &mut Source, offset: u64, limit: u64) -> Parsed<Bx> {
        let avail = limit.checked_sub(offset).ok_or(Fault::Truncated)?;
        if avail < 8 {
            return Err(Fault::Truncated);
        }
        let size32 = src.u32_at(offset)?;
        let kind: [u8; 4] = src.bytes(offset + 4)?;
        let (size, mut header) = match size32 {
            // Size 0: the box runs to the end of its parent (for a top-level
            // box, the end of the file; a live recorder writes its last
            // `mdat` like this).
            0 => (avail, 8u64),
            // Size 1: a 64-bit size follows the type, for boxes over 4 GiB.
            1 => {
                if avail < 16 {
                    return Err(Fault::Truncated);
                }
                (src.u64_at(offset + 8)?, 16)
            }
            n => (u64::from(n), 8),
        };
        if &kind == b"uuid" {
            header += 16;
        }
        if size < header {
            return Err(corrupt(format!(
                "its `{}` box claims an impossible size of {size} bytes",
                super::printable(&kind)
            )));
        }
        if size > avail {
            return Err(Fault::Truncated);
        }
        Ok(Bx {
            kind,
            body: offset + header,
            end: offset + size,
        })
    }

    /// The children of `parent`, in order. Fewer than 8 bytes left over at
    /// the end are ignored: QuickTime ends some atoms with a 4-byte zero.
    fn children(src: &mut Source, parent: &Bx) -> Parsed<Vec<Bx>> {
        let mut found = Vec::new();
        let mut offset = parent.body;
        while parent.end.saturating_sub(offset) >= 8 {
            if found.len() >= MAX_CHILDREN {
                return Err(corrupt(format!(
                    "its `{}` box has too many children",
                    super::printable(&parent.kind)
                )));
            }
            let child = read_box(src, offset, parent.end)?;
            // A box is at least 8 bytes, so `offset` grows every turn.
            offset = child.end;
            found.push(child);
        }
        Ok(found)
    }

    fn find(boxes: &[Bx], kind: &[u8; 4]) -> Option<Bx> {
        boxes.iter().find(|b| &b.kind == kind).copied()
    }

    /// `mvhd`/`mdhd`: the clock rate and the duration in its ticks. A duration
    /// of all ones means "unknown" in both versions.
    fn time_header(src: &mut Source, b: &Bx) -> Parsed<(u32, Option<u64>)> {
        match b.u8(src, 0)? {
            0 => {
                let timescale = b.u32(src, 12)?;
                let duration = b.u32(src, 16)?;
                Ok((
                    timescale,
                    (duration != u32::MAX).then_some(u64::from(duration)),
                ))
            }
            1 => {
                let timescale = b.u32(src, 20)?;
                let duration = b.u64(src, 24)?;
                Ok((timescale, (duration != u64::MAX).then_some(duration)))
            }
            v => Err(corrupt(format!(
                "its `{}` box has unknown version {v}",
                super::printable(&b.kind)
            ))),
        }
    }

    /// What a video `trak` says about itself.
    #[derive(Debug, Default)]
    struct Track {
        id: u32,
        width: Option<u32>,
        height: Option<u32>,
        /// Whether the `tkhd` matrix turns the picture by 90° or 270°.
        rotated: bool,
        timescale: u32,
        duration: Option<u64>,
        fourcc: Option<[u8; 4]>,
        entry_size: Option<(u32, u32)>,
        samples: u64,
        ticks: u64,
        max_chunk_offset: Option<u64>,
    }

    struct Movie {
        timescale: u32,
        duration: Option<u64>,
        /// `mvex/mehd`: the duration of a fragmented movie, if its writer knew.
        fragment_duration: Option<u64>,
        /// `mvex/trex` default sample duration for the video track.
        trex_duration: Option<u32>,
        video: Option<Track>,
    }

    pub(super) fn parse(src: &mut Source) -> Parsed<Facts> {
        let mut movie: Option<Movie> = None;
        let mut frag_samples = 0u64;
        let mut frag_ticks = 0u64;
        let mut offset = 0u64;
        // Walk every top-level box header, seeking over the payloads, even
        // after `moov`: a box that runs past the end of the file is how a
        // truncated copy of a fast-start file (moov first) shows itself.
        while offset < src.len {
            let b = read_box(src, offset, src.len)?;
            offset = b.end;
            match &b.kind {
                b"moov" if movie.is_none() => movie = Some(parse_moov(src, &b)?),
                b"moof" => {
                    if let Some(Movie {
                        video: Some(track),
                        trex_duration,
                        ..
                    }) = &movie
                    {
                        let (samples, ticks) = fragment(src, &b, track.id, *trex_duration)?;
                        frag_samples = frag_samples.checked_add(samples).ok_or_else(overflow)?;
                        frag_ticks = frag_ticks.checked_add(ticks).ok_or_else(overflow)?;
                    }
                }
                _ => {}
            }
        }
        let movie = movie.ok_or(Fault::Truncated)?;
        let track = movie.video.ok_or(Fault::NoVideo)?;
        // Sample data placed past the end of the file: the file was cut right
        // after `moov`, at a box boundary, so the walk above saw nothing wrong.
        if track.max_chunk_offset.is_some_and(|o| o >= src.len) {
            return Err(Fault::Truncated);
        }
        let samples = track
            .samples
            .checked_add(frag_samples)
            .ok_or_else(overflow)?;
        let ticks = track.ticks.checked_add(frag_ticks).ok_or_else(overflow)?;
        let track_duration = track.duration.filter(|&d| d > 0).or(Some(ticks));
        let duration_ms = [
            movie.duration.and_then(|d| ticks_to_ms(d, movie.timescale)),
            movie
                .fragment_duration
                .and_then(|d| ticks_to_ms(d, movie.timescale)),
            track_duration.and_then(|d| ticks_to_ms(d, track.timescale)),
        ]
        .into_iter()
        .flatten()
        .find(|&ms| ms > 0);
        // The sum of sample durations is exact; `mdhd`'s duration may be
        // rounded by the writer (or 0 when fragmented), so it is only the
        // fallback.
        let span = if ticks > 0 {
            ticks
        } else {
            track.duration.unwrap_or(0)
        };
        let fps = if samples > 0 && span > 0 && track.timescale > 0 {
            round_fps(samples as f64 * f64::from(track.timescale) / span as f64)
        } else {
            None
        };
        // `tkhd` gives the displayed size (after pixel aspect ratio); the
        // sample entry gives the coded size, used when `tkhd` says 0.
        let (mut width, mut height) = match (track.width, track.height) {
            (Some(w), Some(h)) => (Some(w), Some(h)),
            _ => match track.entry_size {
                Some((w, h)) => (Some(w), Some(h)),
                None => (None, None),
            },
        };
        if track.rotated {
            std::mem::swap(&mut width, &mut height);
        }
        Ok(Facts {
            duration_ms,
            width,
            height,
            fps,
            codec: track.fourcc.map(VideoCodec::from_fourcc),
        })
    }

    fn overflow() -> Fault {
        corrupt("its sample counts add up to more than a file can hold")
    }

    fn parse_moov(src: &mut Source, moov: &Bx) -> Parsed<Movie> {
        let boxes = children(src, moov)?;
        let (timescale, duration) = match find(&boxes, b"mvhd") {
            Some(mvhd) => time_header(src, &mvhd)?,
            None => (0, None),
        };
        // Several video tracks happen (cover art stored as a one-frame video
        // track, alternate angles): the one with the most frames is the video.
        let mut video: Option<Track> = None;
        for trak in boxes.iter().filter(|b| &b.kind == b"trak") {
            let Some(track) = parse_trak(src, trak)? else {
                continue;
            };
            if video
                .as_ref()
                .is_none_or(|best| track.samples > best.samples)
            {
                video = Some(track);
            }
        }
        let mut movie = Movie {
            timescale,
            duration: duration.filter(|&d| d > 0),
            fragment_duration: None,
            trex_duration: None,
            video,
        };
        if let Some(mvex) = find(&boxes, b"mvex") {
            for b in children(src, &mvex)? {
                match &b.kind {
                    b"mehd" => {
                        let d = if b.u8(src, 0)? == 1 {
                            b.u64(src, 4)?
                        } else {
                            u64::from(b.u32(src, 4)?)
                        };
                        movie.fragment_duration = Some(d).filter(|&d| d > 0);
                    }
                    b"trex" => {
                        let id = b.u32(src, 4)?;
                        if movie.video.as_ref().is_some_and(|t| t.id == id) {
                            movie.trex_duration = Some(b.u32(src, 12)?);
                        }
                    }
                    _ => {}
                }
            }
        }
        Ok(movie)
    }

    /// Reads a `trak`; `None` if it is not a video track.
    fn parse_trak(src: &mut Source, trak: &Bx) -> Parsed<Option<Track>> {
        let boxes = children(src, trak)?;
        let Some(mdia) = find(&boxes, b"mdia") else {
            return Ok(None);
        };
        let mdia_boxes = children(src, &mdia)?;
        let Some(hdlr) = find(&mdia_boxes, b"hdlr") else {
            return Ok(None);
        };
        // MP4 `pre_defined` / QuickTime component type, then the handler
        // type: `vide` for video in both.
        let handler: [u8; 4] = src.bytes(hdlr.at(8, 4)?)?;
        if &handler != b"vide" {
            return Ok(None);
        }
        let mut track = Track::default();
        if let Some(tkhd) = find(&boxes, b"tkhd") {
            let shift = match tkhd.u8(src, 0)? {
                0 => 0,
                1 => 12,
                v => return Err(corrupt(format!("its `tkhd` box has unknown version {v}"))),
            };
            track.id = tkhd.u32(src, if shift == 0 { 12 } else { 20 })?;
            // The matrix is {a b u / c d v / x y w} in 16.16 fixed point;
            // a = d = 0 with b, c nonzero is a quarter turn, which phones
            // use for portrait video.
            let m = 40 + shift;
            let a = tkhd.u32(src, m)?;
            let b = tkhd.u32(src, m + 4)?;
            let c = tkhd.u32(src, m + 12)?;
            let d = tkhd.u32(src, m + 16)?;
            track.rotated = a == 0 && d == 0 && b != 0 && c != 0;
            track.width = fixed_16_16(tkhd.u32(src, 76 + shift)?);
            track.height = fixed_16_16(tkhd.u32(src, 80 + shift)?);
            if track.width.is_none() || track.height.is_none() {
                track.width = None;
                track.height = None;
            }
        }
        let mdhd = find(&mdia_boxes, b"mdhd")
            .ok_or_else(|| corrupt("its video track has no `mdhd` box"))?;
        let (timescale, duration) = time_header(src, &mdhd)?;
        track.timescale = timescale;
        track.duration = duration;
        let stbl = find(&mdia_boxes, b"minf")
            .map(|minf| children(src, &minf))
            .transpose()?
            .and_then(|minf| find(&minf, b"stbl"))
            .ok_or_else(|| corrupt("its video track has no sample table"))?;
        let table = children(src, &stbl)?;
        let stsd = find(&table, b"stsd")
            .ok_or_else(|| corrupt("its video track has no sample description"))?;
        if stsd.u32(src, 4)? == 0 {
            return Err(corrupt("its video track has no sample description"));
        }
        let entry = read_box(src, stsd.at(8, 8)?, stsd.end)?;
        track.fourcc = Some(entry.kind);
        // VisualSampleEntry: 6 reserved, 2 data reference index, 16 of
        // pre_defined/reserved (QuickTime: version, vendor, quality), then
        // width and height as u16.
        if entry.payload_len() >= 28 {
            let w = u32::from(entry.u16(src, 24)?);
            let h = u32::from(entry.u16(src, 26)?);
            if w > 0 && h > 0 {
                track.entry_size = Some((w, h));
            }
        }
        if let Some(stts) = find(&table, b"stts") {
            let count = stts.u32(src, 4)?;
            let need = u64::from(count)
                .checked_mul(8)
                .and_then(|n| n.checked_add(8))
                .ok_or(Fault::Truncated)?;
            if need > stts.payload_len() {
                return Err(corrupt("its `stts` box lists more entries than it holds"));
            }
            for i in 0..u64::from(count) {
                let at = 8 + i * 8;
                let run = u64::from(stts.u32(src, at)?);
                let delta = u64::from(stts.u32(src, at + 4)?);
                track.samples = track.samples.checked_add(run).ok_or_else(overflow)?;
                track.ticks = track.ticks.checked_add(run * delta).ok_or_else(overflow)?;
            }
        }
        for (kind, width) in [(b"stco", 4u64), (b"co64", 8)] {
            let Some(table) = find(&table, kind) else {
                continue;
            };
            let count = u64::from(table.u32(src, 4)?);
            let need = count
                .checked_mul(width)
                .and_then(|n| n.checked_add(8))
                .ok_or(Fault::Truncated)?;
            if need > table.payload_len() {
                return Err(corrupt(format!(
                    "its `{}` box lists more entries than it holds",
                    super::printable(kind)
                )));
            }
            for i in 0..count {
                let at = 8 + i * width;
                let chunk = if width == 4 {
                    u64::from(table.u32(src, at)?)
                } else {
                    table.u64(src, at)?
                };
                track.max_chunk_offset =
                    Some(track.max_chunk_offset.map_or(chunk, |m| m.max(chunk)));
            }
        }
        Ok(Some(track))
    }

    /// A 16.16 fixed-point size rounded to whole pixels; 0 means "not stated".
    fn fixed_16_16(raw: u32) -> Option<u32> {
        let px = (u64::from(raw) + 0x8000) >> 16;
        u32::try_from(px).ok().filter(|&px| px > 0)
    }

    /// Counts the video track's samples and ticks in one `moof` of a
    /// fragmented MP4, whose `moov` lists no samples at all.
    fn fragment(
        src: &mut Source,
        moof: &Bx,
        track_id: u32,
        trex_duration: Option<u32>,
    ) -> Parsed<(u64, u64)> {
        let mut samples = 0u64;
        let mut ticks = 0u64;
        for traf in children(src, moof)?.iter().filter(|b| &b.kind == b"traf") {
            let boxes = children(src, traf)?;
            let Some(tfhd) = find(&boxes, b"tfhd") else {
                continue;
            };
            let flags = tfhd.u32(src, 0)? & 0x00FF_FFFF;
            if tfhd.u32(src, 4)? != track_id {
                continue;
            }
            // Optional tfhd fields, in order: base data offset (8), sample
            // description index (4), then default sample duration (4).
            let mut at = 8u64;
            if flags & 0x01 != 0 {
                at += 8;
            }
            if flags & 0x02 != 0 {
                at += 4;
            }
            let default = if flags & 0x08 != 0 {
                Some(tfhd.u32(src, at)?)
            } else {
                trex_duration
            };
            for trun in boxes.iter().filter(|b| &b.kind == b"trun") {
                let flags = trun.u32(src, 0)? & 0x00FF_FFFF;
                let count = u64::from(trun.u32(src, 4)?);
                let mut at = 8u64;
                if flags & 0x01 != 0 {
                    at += 4; // data offset
                }
                if flags & 0x04 != 0 {
                    at += 4; // first sample flags
                }
                // Each sample record holds a 4-byte field per flag among
                // duration, size, flags and composition offset.
                let stride = 4 * u64::from((flags & 0xF00).count_ones());
                let need = count
                    .checked_mul(stride)
                    .and_then(|n| n.checked_add(at))
                    .ok_or(Fault::Truncated)?;
                if need > trun.payload_len() {
                    return Err(corrupt("its `trun` box lists more samples than it holds"));
                }
                samples = samples.checked_add(count).ok_or_else(overflow)?;
                if flags & 0x100 != 0 {
                    for i in 0..count {
                        let d = u64::from(trun.u32(src, at + i * stride)?);
                        ticks = ticks.checked_add(d).ok_or_else(overflow)?;
                    }
                } else if let Some(d) = default {
                    ticks = ticks
                        .checked_add(count * u64::from(d))
                        .ok_or_else(overflow)?;
                }
            }
        }
        Ok((samples, ticks))
    }
}

/// The WebM / Matroska (EBML) reader.
mod webm {
    use super::{Facts, Fault, Parsed, Source, VideoCodec, corrupt, round_fps};

    /// The ID of the EBML header, which starts every WebM and Matroska file.
    pub(super) const EBML_MAGIC: [u8; 4] = [0x1A, 0x45, 0xDF, 0xA3];

    const EBML: u32 = 0x1A45_DFA3;
    const DOC_TYPE: u32 = 0x4282;
    const SEGMENT: u32 = 0x1853_8067;
    const SEEK_HEAD: u32 = 0x114D_9B74;
    const SEEK: u32 = 0x4DBB;
    const SEEK_ID: u32 = 0x53AB;
    const SEEK_POSITION: u32 = 0x53AC;
    const INFO: u32 = 0x1549_A966;
    const TIMECODE_SCALE: u32 = 0x2AD7B1;
    const DURATION: u32 = 0x4489;
    const TRACKS: u32 = 0x1654_AE6B;
    const TRACK_ENTRY: u32 = 0xAE;
    const TRACK_TYPE: u32 = 0x83;
    const CODEC_ID: u32 = 0x86;
    const DEFAULT_DURATION: u32 = 0x23_E383;
    const VIDEO: u32 = 0xE0;
    const PIXEL_WIDTH: u32 = 0xB0;
    const PIXEL_HEIGHT: u32 = 0xBA;
    const CLUSTER: u32 = 0x1F43_B675;

    /// Most children read from one element; see the MP4 reader's cap.
    const MAX_CHILDREN: usize = 4096;
    /// Longest string value read (DocType, CodecID); real ones are short.
    const MAX_STRING: u64 = 64;

    /// An element: its ID (with the length marker, as IDs are written in the
    /// spec), where its data starts and where it ends (absolute). An element
    /// of unknown size ends where its parent ends.
    #[derive(Debug, Clone, Copy)]
    struct El {
        id: u32,
        data: u64,
        end: u64,
        unknown_size: bool,
    }

    impl El {
        fn len(&self) -> u64 {
            self.end.saturating_sub(self.data)
        }
    }

    /// Decodes a variable-length integer at the start of `bytes`, of at most
    /// `max_len` bytes: (value with the length marker, length).
    fn vint(bytes: &[u8], max_len: u32) -> Parsed<(u64, usize)> {
        let first = *bytes.first().ok_or(Fault::Truncated)?;
        // The count of leading zero bits gives the length; a zero first byte
        // would mean more than 8 bytes, which EBML does not allow.
        let len = first.leading_zeros() + 1;
        if len > max_len {
            return Err(corrupt("it has an invalid element header"));
        }
        let len = usize::try_from(len).map_err(|_| Fault::Truncated)?;
        let raw = bytes
            .get(..len)
            .ok_or(Fault::Truncated)?
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        Ok((raw, len))
    }

    /// Reads the element header at `offset`; the element must end by `limit`.
    fn read_el(src: &mut Source, offset: u64, limit: u64) -> Parsed<El> {
        let avail = limit.checked_sub(offset).ok_or(Fault::Truncated)?;
        let mut buf = [0u8; 12];
        let n = usize::try_from(avail.min(12)).map_err(|_| Fault::Truncated)?;
        let head = buf.get_mut(..n).ok_or(Fault::Truncated)?;
        src.read_at(offset, head)?;
        let head = &*head;
        let (id, id_len) = vint(head, 4)?;
        let (raw_size, size_len) = vint(head.get(id_len..).ok_or(Fault::Truncated)?, 8)?;
        // The size without its marker bit; all ones means "unknown".
        let marker = 1u64 << (7 * size_len);
        let size = raw_size & (marker - 1);
        let unknown_size = size == marker - 1;
        let header = u64::try_from(id_len + size_len).map_err(|_| Fault::Truncated)?;
        let data = offset.checked_add(header).ok_or(Fault::Truncated)?;
        let end = if unknown_size {
            limit
        } else {
            data.checked_add(size).ok_or(Fault::Truncated)?
        };
        if data > limit || end > limit {
            return Err(Fault::Truncated);
        }
        Ok(El {
            id: u32::try_from(id).map_err(|_| corrupt("it has an invalid element ID"))?,
            data,
            end,
            unknown_size,
        })
    }

    /// Calls `visit` for each child of `parent` (which must have a known
    /// size, as must the children: only Segment and Cluster may be written
    /// with an unknown size, and we never descend into a Cluster).
    fn each_child(
        src: &mut Source,
        parent: &El,
        mut visit: impl FnMut(&mut Source, &El) -> Parsed<()>,
    ) -> Parsed<()> {
        let mut offset = parent.data;
        let mut seen = 0usize;
        while offset < parent.end {
            seen += 1;
            if seen > MAX_CHILDREN {
                return Err(corrupt("an element has too many children"));
            }
            let child = read_el(src, offset, parent.end)?;
            if child.unknown_size {
                return Err(corrupt(
                    "an element has an unknown size where none is allowed",
                ));
            }
            visit(src, &child)?;
            // The header is at least 2 bytes, so `offset` grows every turn.
            offset = child.end;
        }
        Ok(())
    }

    fn read_uint(src: &mut Source, el: &El) -> Parsed<u64> {
        if el.len() > 8 {
            return Err(corrupt("it has an integer element longer than 8 bytes"));
        }
        let mut value = 0u64;
        for i in 0..el.len() {
            value = (value << 8) | u64::from(src.u8_at(el.data + i)?);
        }
        Ok(value)
    }

    fn read_float(src: &mut Source, el: &El) -> Parsed<f64> {
        match el.len() {
            0 => Ok(0.0),
            4 => Ok(f64::from(f32::from_be_bytes(src.bytes(el.data)?))),
            8 => Ok(f64::from_be_bytes(src.bytes(el.data)?)),
            _ => Err(corrupt("it has a float element that is not 4 or 8 bytes")),
        }
    }

    /// The first [`MAX_STRING`] bytes of a string element, without the
    /// zero padding EBML allows at the end.
    fn read_string(src: &mut Source, el: &El) -> Parsed<Vec<u8>> {
        let len = usize::try_from(el.len().min(MAX_STRING)).map_err(|_| Fault::Truncated)?;
        let mut buf = vec![0u8; len];
        src.read_at(el.data, &mut buf)?;
        while buf.last() == Some(&0) {
            buf.pop();
        }
        Ok(buf)
    }

    fn header(src: &mut Source) -> Parsed<El> {
        let head = read_el(src, 0, src.len)?;
        if head.id != EBML || head.unknown_size {
            return Err(corrupt("its EBML header is invalid"));
        }
        Ok(head)
    }

    /// Whether the EBML header's DocType is `webm` or `matroska` (the
    /// default when absent). Other EBML documents are not videos.
    pub(super) fn doc_type_is_webm(src: &mut Source) -> Parsed<bool> {
        let head = header(src)?;
        let mut doc_type = b"matroska".to_vec();
        each_child(src, &head, |src, el| {
            if el.id == DOC_TYPE {
                doc_type = read_string(src, el)?;
            }
            Ok(())
        })?;
        Ok(doc_type == b"webm" || doc_type == b"matroska")
    }

    #[derive(Default)]
    struct Found {
        info: bool,
        tracks: bool,
        timecode_scale: Option<u64>,
        duration: Option<f64>,
        video: Option<Video>,
        seek_info: Option<u64>,
        seek_tracks: Option<u64>,
    }

    #[derive(Default)]
    struct Video {
        codec: Option<Vec<u8>>,
        default_duration: Option<u64>,
        width: Option<u64>,
        height: Option<u64>,
    }

    pub(super) fn parse(src: &mut Source) -> Parsed<Facts> {
        let head = header(src)?;
        // Find the Segment, stepping over Void or CRC elements before it.
        // Every element header is at least 2 bytes, so this advances; the
        // read budget bounds it.
        let mut offset = head.end;
        let segment = loop {
            let el = read_el(src, offset, src.len)?;
            if el.id == SEGMENT {
                break el;
            }
            if el.unknown_size {
                return Err(corrupt("it has no Segment element"));
            }
            offset = el.end;
        };
        let mut found = Found::default();
        let mut offset = segment.data;
        let mut seen = 0usize;
        // Info and Tracks come before the first Cluster in every writer we
        // know; a SeekHead, when present, points at them if they do not.
        while offset < segment.end && !(found.info && found.tracks) {
            seen += 1;
            if seen > MAX_CHILDREN {
                return Err(corrupt(
                    "its Segment has too many children before its tracks",
                ));
            }
            let el = read_el(src, offset, segment.end)?;
            if el.id == CLUSTER {
                break;
            }
            if el.unknown_size {
                return Err(corrupt(
                    "an element has an unknown size where none is allowed",
                ));
            }
            visit_top(src, &el, &mut found)?;
            offset = el.end;
        }
        for (done, position, id) in [
            (found.info, found.seek_info, INFO),
            (found.tracks, found.seek_tracks, TRACKS),
        ] {
            if done {
                continue;
            }
            if let Some(position) = position {
                let at = segment.data.checked_add(position).ok_or(Fault::Truncated)?;
                let el = read_el(src, at, segment.end)?;
                if el.id != id || el.unknown_size {
                    return Err(corrupt("its SeekHead points at the wrong place"));
                }
                visit_top(src, &el, &mut found)?;
            }
        }
        if !found.tracks {
            // Tracks must precede the media; without them the file was cut
            // short (or is not a complete WebM).
            return Err(Fault::Truncated);
        }
        let video = found.video.ok_or(Fault::NoVideo)?;
        let scale = found.timecode_scale.unwrap_or(1_000_000);
        let duration_ms = match found.duration {
            Some(ticks) => {
                let ms = ticks * scale as f64 / 1_000_000.0;
                // 1e15 ms is 30,000 years: anything above is nonsense, and
                // the check keeps the cast to u64 meaningful.
                if !(ms.is_finite() && (0.0..1e15).contains(&ms)) {
                    return Err(corrupt("its duration is not a valid number"));
                }
                Some(ms as u64)
            }
            None => None,
        };
        let px = |v: Option<u64>| v.and_then(|v| u32::try_from(v).ok()).filter(|&v| v > 0);
        Ok(Facts {
            duration_ms,
            width: px(video.width),
            height: px(video.height),
            fps: video
                .default_duration
                .filter(|&ns| ns > 0)
                .and_then(|ns| round_fps(1e9 / ns as f64)),
            codec: video.codec.map(|id| VideoCodec::from_matroska(&id)),
        })
    }

    /// Reads a top-level child of the Segment that we care about.
    fn visit_top(src: &mut Source, el: &El, found: &mut Found) -> Parsed<()> {
        match el.id {
            SEEK_HEAD => each_child(src, el, |src, seek| {
                if seek.id != SEEK {
                    return Ok(());
                }
                let mut target = None;
                let mut position = None;
                each_child(src, seek, |src, field| {
                    match field.id {
                        SEEK_ID => target = Some(read_uint(src, field)?),
                        SEEK_POSITION => position = Some(read_uint(src, field)?),
                        _ => {}
                    }
                    Ok(())
                })?;
                match target {
                    Some(t) if t == u64::from(INFO) => found.seek_info = position,
                    Some(t) if t == u64::from(TRACKS) => found.seek_tracks = position,
                    _ => {}
                }
                Ok(())
            }),
            INFO if !found.info => {
                found.info = true;
                each_child(src, el, |src, field| {
                    match field.id {
                        TIMECODE_SCALE => {
                            found.timecode_scale = Some(read_uint(src, field)?).filter(|&s| s > 0);
                        }
                        DURATION => found.duration = Some(read_float(src, field)?),
                        _ => {}
                    }
                    Ok(())
                })
            }
            TRACKS if !found.tracks => {
                found.tracks = true;
                each_child(src, el, |src, entry| {
                    if entry.id != TRACK_ENTRY || found.video.is_some() {
                        return Ok(());
                    }
                    let mut is_video = false;
                    let mut video = Video::default();
                    each_child(src, entry, |src, field| {
                        match field.id {
                            TRACK_TYPE => is_video = read_uint(src, field)? == 1,
                            CODEC_ID => video.codec = Some(read_string(src, field)?),
                            DEFAULT_DURATION => {
                                video.default_duration = Some(read_uint(src, field)?);
                            }
                            VIDEO => each_child(src, field, |src, dim| {
                                match dim.id {
                                    PIXEL_WIDTH => video.width = Some(read_uint(src, dim)?),
                                    PIXEL_HEIGHT => video.height = Some(read_uint(src, dim)?),
                                    _ => {}
                                }
                                Ok(())
                            })?,
                            _ => {}
                        }
                        Ok(())
                    })?;
                    if is_video {
                        found.video = Some(video);
                    }
                    Ok(())
                })
            }
            _ => Ok(()),
        }
    }
}

/// "5.37 GB" for a byte count, in decimal units as TikTok states its limit.
fn gigabytes(bytes: u64) -> String {
    format!("{:.2} GB", bytes as f64 / 1e9)
}

/// A frame rate without trailing zeros: "15", "23.976".
fn decimal(value: f64) -> String {
    let text = format!("{value:.3}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

/// `text` as one word for a POSIX shell, so a hint can be pasted as is even
/// when the path has spaces or quotes.
fn shell_word(text: &str) -> String {
    let safe = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./+,:@%=".contains(c));
    if safe {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

fn quoted(path: &Path) -> String {
    shell_word(&path.to_string_lossy())
}

/// Where a hint's command should write its output: next to the input, as
/// `<stem>-tiktok.<ext>`, so that following the hint never overwrites it.
fn fixed_name(path: &Path, ext: &str) -> String {
    let stem = path
        .file_stem()
        .map_or_else(|| "video".into(), |s| s.to_string_lossy());
    quoted(&path.with_file_name(format!("{stem}-tiktok.{ext}")))
}

/// An ffmpeg `-vf` argument that brings `width`×`height` within TikTok's
/// sides: scale the short side up to 720 or the long side down to 1920 when
/// that keeps the other side in range, else fit and pad to 1080×1920.
fn scale_filter(width: u32, height: u32) -> String {
    let (short, long) = (width.min(height), width.max(height));
    let portrait = width <= height;
    let in_range = |side: u64| (u64::from(MIN_SIDE)..=u64::from(MAX_SIDE)).contains(&side);
    let scaled = |target: u64, from: u32, other: u32| -> Option<u64> {
        (from > 0).then(|| u64::from(other) * target / u64::from(from))
    };
    if short < MIN_SIDE && scaled(720, short, long).is_some_and(in_range) {
        return if portrait {
            "scale=720:-2"
        } else {
            "scale=-2:720"
        }
        .to_owned();
    }
    if long > MAX_SIDE && scaled(1920, long, short).is_some_and(in_range) {
        return if portrait {
            "scale=-2:1920"
        } else {
            "scale=1920:-2"
        }
        .to_owned();
    }
    let (w, h) = if portrait { (1080, 1920) } else { (1920, 1080) };
    format!("'scale={w}:{h}:force_original_aspect_ratio=decrease,pad={w}:{h}:(ow-iw)/2:(oh-ih)/2'")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::time::Instant;

    // ---- MP4 builders -------------------------------------------------

    fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut out = u32::try_from(body.len() + 8)
            .unwrap()
            .to_be_bytes()
            .to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(body);
        out
    }

    fn full(kind: &[u8; 4], version: u8, flags: u32, body: &[u8]) -> Vec<u8> {
        let mut b = flags.to_be_bytes().to_vec();
        b[0] = version;
        b.extend_from_slice(body);
        bx(kind, &b)
    }

    fn cat(parts: &[Vec<u8>]) -> Vec<u8> {
        parts.concat()
    }

    const IDENTITY: [u32; 9] = [0x1_0000, 0, 0, 0, 0x1_0000, 0, 0, 0, 0x4000_0000];
    const ROT90: [u32; 9] = [0, 0x1_0000, 0, 0xFFFF_0000, 0, 0, 0, 0, 0x4000_0000];

    /// A synthetic MP4 with one video track, as ffmpeg would lay it out.
    #[derive(Clone)]
    struct Synth {
        brand: [u8; 4],
        width: u32,
        height: u32,
        timescale: u32,
        samples: u32,
        delta: u32,
        fourcc: [u8; 4],
        handler: [u8; 4],
        v1: bool,
        moov_first: bool,
        large_mdat: bool,
        zero_size_mdat: bool,
        matrix: [u32; 9],
        tkhd_size: bool,
        mdat_len: usize,
    }

    impl Default for Synth {
        fn default() -> Self {
            Synth {
                brand: *b"isom",
                width: 360,
                height: 640,
                timescale: 15360,
                samples: 60,
                delta: 512,
                fourcc: *b"avc1",
                handler: *b"vide",
                v1: false,
                moov_first: false,
                large_mdat: false,
                zero_size_mdat: false,
                matrix: IDENTITY,
                tkhd_size: true,
                mdat_len: 64,
            }
        }
    }

    impl Synth {
        fn movie_ms(&self) -> u64 {
            u64::from(self.samples) * u64::from(self.delta) * 1000 / u64::from(self.timescale)
        }

        fn times(&self, timescale: u32, duration: u64) -> Vec<u8> {
            let mut b = Vec::new();
            if self.v1 {
                b.extend_from_slice(&[0; 16]);
                b.extend_from_slice(&timescale.to_be_bytes());
                b.extend_from_slice(&duration.to_be_bytes());
            } else {
                b.extend_from_slice(&[0; 8]);
                b.extend_from_slice(&timescale.to_be_bytes());
                b.extend_from_slice(&u32::try_from(duration).unwrap().to_be_bytes());
            }
            b
        }

        fn moov(&self, chunk_offset: u32) -> Vec<u8> {
            let version = u8::from(self.v1);
            let mut mvhd = self.times(1000, self.movie_ms());
            mvhd.extend_from_slice(&0x1_0000u32.to_be_bytes()); // rate
            mvhd.extend_from_slice(&0x0100u16.to_be_bytes()); // volume
            mvhd.extend_from_slice(&[0; 10]);
            for m in IDENTITY {
                mvhd.extend_from_slice(&m.to_be_bytes());
            }
            mvhd.extend_from_slice(&[0; 24]);
            mvhd.extend_from_slice(&2u32.to_be_bytes()); // next track id

            let mut tkhd = Vec::new();
            if self.v1 {
                tkhd.extend_from_slice(&[0; 16]);
                tkhd.extend_from_slice(&1u32.to_be_bytes());
                tkhd.extend_from_slice(&[0; 4]);
                tkhd.extend_from_slice(&self.movie_ms().to_be_bytes());
            } else {
                tkhd.extend_from_slice(&[0; 8]);
                tkhd.extend_from_slice(&1u32.to_be_bytes());
                tkhd.extend_from_slice(&[0; 4]);
                tkhd.extend_from_slice(&u32::try_from(self.movie_ms()).unwrap().to_be_bytes());
            }
            tkhd.extend_from_slice(&[0; 16]); // reserved, layer, group, volume
            for m in self.matrix {
                tkhd.extend_from_slice(&m.to_be_bytes());
            }
            let (w, h) = if self.tkhd_size {
                (self.width << 16, self.height << 16)
            } else {
                (0, 0)
            };
            tkhd.extend_from_slice(&w.to_be_bytes());
            tkhd.extend_from_slice(&h.to_be_bytes());

            let track_ticks = u64::from(self.samples) * u64::from(self.delta);
            let mut mdhd = self.times(self.timescale, track_ticks);
            mdhd.extend_from_slice(&[0x55, 0xC4, 0, 0]); // language "und"

            let mut hdlr = vec![0; 4];
            hdlr.extend_from_slice(&self.handler);
            hdlr.extend_from_slice(&[0; 12]);
            hdlr.extend_from_slice(b"VideoHandler\0");

            let mut entry = vec![0; 6];
            entry.extend_from_slice(&1u16.to_be_bytes());
            entry.extend_from_slice(&[0; 16]);
            entry.extend_from_slice(&u16::try_from(self.width).unwrap().to_be_bytes());
            entry.extend_from_slice(&u16::try_from(self.height).unwrap().to_be_bytes());
            entry.extend_from_slice(&0x0048_0000u32.to_be_bytes());
            entry.extend_from_slice(&0x0048_0000u32.to_be_bytes());
            entry.extend_from_slice(&[0; 4]);
            entry.extend_from_slice(&1u16.to_be_bytes());
            entry.extend_from_slice(&[0; 32]);
            entry.extend_from_slice(&0x18u16.to_be_bytes());
            entry.extend_from_slice(&0xFFFFu16.to_be_bytes());
            let mut stsd = 1u32.to_be_bytes().to_vec();
            stsd.extend_from_slice(&bx(&self.fourcc, &entry));

            let mut stts = 1u32.to_be_bytes().to_vec();
            stts.extend_from_slice(&self.samples.to_be_bytes());
            stts.extend_from_slice(&self.delta.to_be_bytes());

            let mut stco = 1u32.to_be_bytes().to_vec();
            stco.extend_from_slice(&chunk_offset.to_be_bytes());

            let stbl = bx(
                b"stbl",
                &cat(&[
                    full(b"stsd", 0, 0, &stsd),
                    full(b"stts", 0, 0, &stts),
                    full(b"stco", 0, 0, &stco),
                ]),
            );
            let minf = bx(b"minf", &stbl);
            let mdia = bx(
                b"mdia",
                &cat(&[
                    full(b"mdhd", version, 0, &mdhd),
                    full(b"hdlr", 0, 0, &hdlr),
                    minf,
                ]),
            );
            let trak = bx(b"trak", &cat(&[full(b"tkhd", version, 3, &tkhd), mdia]));
            bx(b"moov", &cat(&[full(b"mvhd", version, 0, &mvhd), trak]))
        }

        fn mdat(&self) -> Vec<u8> {
            let payload = vec![0xAB; self.mdat_len];
            if self.large_mdat {
                let mut out = 1u32.to_be_bytes().to_vec();
                out.extend_from_slice(b"mdat");
                out.extend_from_slice(&(u64::try_from(payload.len()).unwrap() + 16).to_be_bytes());
                out.extend_from_slice(&payload);
                out
            } else if self.zero_size_mdat {
                let mut out = 0u32.to_be_bytes().to_vec();
                out.extend_from_slice(b"mdat");
                out.extend_from_slice(&payload);
                out
            } else {
                bx(b"mdat", &payload)
            }
        }

        fn build(&self) -> Vec<u8> {
            let mut ftyp = self.brand.to_vec();
            ftyp.extend_from_slice(&0x200u32.to_be_bytes());
            ftyp.extend_from_slice(b"isomiso2avc1mp41");
            let ftyp = bx(b"ftyp", &ftyp);
            let header = u32::try_from(self.mdat().len() - self.mdat_len).unwrap();
            if self.moov_first {
                let moov_len = u32::try_from(self.moov(0).len()).unwrap();
                let at = u32::try_from(ftyp.len()).unwrap() + moov_len + header;
                cat(&[ftyp, self.moov(at), self.mdat()])
            } else {
                let at = u32::try_from(ftyp.len()).unwrap() + header;
                cat(&[ftyp, self.mdat(), self.moov(at)])
            }
        }
    }

    // ---- WebM builders ------------------------------------------------

    fn id_bytes(id: u32) -> Vec<u8> {
        let bytes = id.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        bytes[skip..].to_vec()
    }

    fn el(id: u32, body: &[u8]) -> Vec<u8> {
        let mut out = id_bytes(id);
        let mut size = u64::try_from(body.len()).unwrap().to_be_bytes();
        size[0] = 0x01; // 8-byte size
        out.extend_from_slice(&size);
        out.extend_from_slice(body);
        out
    }

    fn el_unknown(id: u32, body: &[u8]) -> Vec<u8> {
        let mut out = id_bytes(id);
        out.extend_from_slice(&[0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
        out.extend_from_slice(body);
        out
    }

    fn uint_el(id: u32, v: u64) -> Vec<u8> {
        el(id, &v.to_be_bytes())
    }

    #[derive(Clone)]
    struct WebmSynth {
        doc_type: &'static str,
        duration: Option<f64>,
        default_duration: Option<u64>,
        codec: &'static str,
        track_type: u64,
        known_segment: bool,
        size: Option<(u64, u64)>,
    }

    impl Default for WebmSynth {
        fn default() -> Self {
            WebmSynth {
                doc_type: "webm",
                duration: Some(2000.0),
                default_duration: Some(33_333_333),
                codec: "V_VP9",
                track_type: 1,
                known_segment: true,
                size: Some((360, 640)),
            }
        }
    }

    impl WebmSynth {
        fn build(&self) -> Vec<u8> {
            let header = el(
                0x1A45_DFA3,
                &cat(&[
                    uint_el(0x4286, 1),
                    el(0x4282, self.doc_type.as_bytes()),
                    uint_el(0x4287, 4),
                ]),
            );
            let mut info = uint_el(0x2AD7B1, 1_000_000);
            if let Some(d) = self.duration {
                info.extend(el(0x4489, &d.to_be_bytes()));
            }
            let mut entry = cat(&[
                uint_el(0xD7, 1),
                uint_el(0x83, self.track_type),
                el(0x86, self.codec.as_bytes()),
            ]);
            if let Some(dd) = self.default_duration {
                entry.extend(uint_el(0x23_E383, dd));
            }
            if let Some((w, h)) = self.size {
                entry.extend(el(0xE0, &cat(&[uint_el(0xB0, w), uint_el(0xBA, h)])));
            }
            let audio = cat(&[uint_el(0xD7, 2), uint_el(0x83, 2), el(0x86, b"A_OPUS")]);
            let tracks = el(0x1654_AE6B, &cat(&[el(0xAE, &audio), el(0xAE, &entry)]));
            let cluster = el_unknown(
                0x1F43_B675,
                &cat(&[uint_el(0xE7, 0), el(0xA3, &[0x81, 0, 0, 0x80, 1, 2, 3])]),
            );
            let body = cat(&[el(0xEC, &[0; 5]), el(0x1549_A966, &info), tracks, cluster]);
            let segment = if self.known_segment {
                el(0x1853_8067, &body)
            } else {
                el_unknown(0x1853_8067, &body)
            };
            cat(&[header, segment])
        }
    }

    // ---- helpers ------------------------------------------------------

    fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.path().join(name);
        let mut file = File::create(&path).unwrap();
        file.write_all(bytes).unwrap();
        path
    }

    fn probe_bytes(bytes: &[u8]) -> Result<MediaInfo, MediaError> {
        let dir = tempfile::tempdir().unwrap();
        probe(&write(&dir, "clip.mp4", bytes))
    }

    fn detail(err: &MediaError) -> &str {
        match err {
            MediaError::Corrupt { detail, .. } => detail,
            other => panic!("expected Corrupt, got {other:?}"),
        }
    }

    const TRUNCATED_MP4: &str = "the file is truncated or not a complete MP4";

    fn info(container: Container) -> MediaInfo {
        MediaInfo {
            container,
            size: 1000,
            duration_ms: Some(2000),
            width: Some(360),
            height: Some(640),
            fps: Some(30.0),
            codec: Some(VideoCodec::H264),
        }
    }

    /// A tiny xorshift generator: deterministic "random" input without a
    /// dependency.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    // ---- probe: MP4 / MOV ---------------------------------------------

    #[test]
    fn reads_a_plain_mp4_with_moov_at_the_end() {
        let info = probe_bytes(&Synth::default().build()).unwrap();
        assert_eq!(info.container, Container::Mp4);
        assert_eq!(info.duration_ms, Some(2000));
        assert_eq!((info.width, info.height), (Some(360), Some(640)));
        assert_eq!(info.fps, Some(30.0));
        assert_eq!(info.codec, Some(VideoCodec::H264));
        check(Path::new("clip.mp4"), &info).unwrap();
    }

    #[test]
    fn reads_a_faststart_mp4() {
        let synth = Synth {
            moov_first: true,
            ..Synth::default()
        };
        let info = probe_bytes(&synth.build()).unwrap();
        assert_eq!(info.fps, Some(30.0));
        assert_eq!(info.size, u64::try_from(synth.build().len()).unwrap());
    }

    #[test]
    fn qt_brand_is_mov() {
        let synth = Synth {
            brand: *b"qt  ",
            ..Synth::default()
        };
        let info = probe_bytes(&synth.build()).unwrap();
        assert_eq!(info.container, Container::Mov);
        assert_eq!(info.container.mime(), "video/quicktime");
    }

    #[test]
    fn legacy_quicktime_without_ftyp_is_mov() {
        let synth = Synth::default();
        let mdat = synth.mdat();
        let bytes = cat(&[mdat.clone(), synth.moov(8)]);
        assert_eq!(probe_bytes(&bytes).unwrap().container, Container::Mov);
    }

    #[test]
    fn reads_version_1_headers() {
        let synth = Synth {
            v1: true,
            timescale: 24_000,
            samples: 240,
            delta: 1001, // 23.976 fps
            ..Synth::default()
        };
        let info = probe_bytes(&synth.build()).unwrap();
        assert_eq!(info.fps, Some(23.976));
        assert_eq!((info.width, info.height), (Some(360), Some(640)));
        assert_eq!(info.duration_ms, Some(10_010));
        check(Path::new("a.mp4"), &info).unwrap();
    }

    #[test]
    fn reads_64_bit_and_to_end_box_sizes() {
        for synth in [
            Synth {
                large_mdat: true,
                ..Synth::default()
            },
            Synth {
                large_mdat: true,
                moov_first: true,
                ..Synth::default()
            },
            Synth {
                zero_size_mdat: true,
                moov_first: true,
                ..Synth::default()
            },
        ] {
            let info = probe_bytes(&synth.build()).unwrap();
            assert_eq!(info.fps, Some(30.0));
        }
    }

    #[test]
    fn maps_sample_entry_fourccs_to_codecs() {
        for (fourcc, codec) in [
            (b"avc1", VideoCodec::H264),
            (b"avc3", VideoCodec::H264),
            (b"hvc1", VideoCodec::H265),
            (b"hev1", VideoCodec::H265),
            (b"vp08", VideoCodec::Vp8),
            (b"vp09", VideoCodec::Vp9),
            (b"av01", VideoCodec::Av1),
            (b"mp4v", VideoCodec::Other("mp4v".into())),
            (b"\x1b[2J", VideoCodec::Other("?[2J".into())),
        ] {
            let synth = Synth {
                fourcc: *fourcc,
                ..Synth::default()
            };
            assert_eq!(probe_bytes(&synth.build()).unwrap().codec, Some(codec));
        }
    }

    #[test]
    fn rotation_swaps_width_and_height() {
        let synth = Synth {
            width: 1920,
            height: 1080,
            matrix: ROT90,
            ..Synth::default()
        };
        let info = probe_bytes(&synth.build()).unwrap();
        assert_eq!((info.width, info.height), (Some(1080), Some(1920)));
    }

    #[test]
    fn falls_back_to_sample_entry_size() {
        let synth = Synth {
            tkhd_size: false,
            ..Synth::default()
        };
        let info = probe_bytes(&synth.build()).unwrap();
        assert_eq!((info.width, info.height), (Some(360), Some(640)));
    }

    #[test]
    fn audio_only_has_no_video_track() {
        let synth = Synth {
            handler: *b"soun",
            ..Synth::default()
        };
        let err = probe_bytes(&synth.build()).unwrap_err();
        assert!(matches!(err, MediaError::NoVideoTrack { .. }), "{err:?}");
    }

    #[test]
    fn no_moov_is_truncated() {
        let synth = Synth::default();
        let mut ftyp = b"isom".to_vec();
        ftyp.extend_from_slice(&[0; 4]);
        let bytes = cat(&[bx(b"ftyp", &ftyp), synth.mdat()]);
        let err = probe_bytes(&bytes).unwrap_err();
        assert_eq!(detail(&err), TRUNCATED_MP4);
        assert_eq!(
            err.to_string(),
            format!(
                "`{}` looks damaged: the file is truncated or not a complete MP4",
                err.path().display()
            )
        );
    }

    #[test]
    fn cut_right_after_moov_is_truncated() {
        // A fast-start file cut exactly at the end of `moov`: every box is
        // whole, but the sample data it points at is gone.
        let synth = Synth {
            moov_first: true,
            ..Synth::default()
        };
        let bytes = synth.build();
        let cut = bytes.len() - synth.mdat().len();
        let err = probe_bytes(&bytes[..cut]).unwrap_err();
        assert_eq!(detail(&err), TRUNCATED_MP4);
    }

    #[test]
    fn every_truncation_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        for synth in [
            Synth::default(),
            Synth {
                moov_first: true,
                ..Synth::default()
            },
            Synth {
                v1: true,
                large_mdat: true,
                ..Synth::default()
            },
        ] {
            let bytes = synth.build();
            for cut in 0..bytes.len() {
                let path = write(&dir, "cut.mp4", &bytes[..cut]);
                match probe(&path) {
                    Err(_) => {}
                    Ok(info) => panic!("cut at {cut} of {} probed as {info:?}", bytes.len()),
                }
            }
        }
    }

    #[test]
    fn impossible_box_sizes_are_errors() {
        let synth = Synth::default();
        let ftyp = bx(b"ftyp", b"isom\0\0\0\0");
        let mut cases = Vec::new();
        // mdat claims 4 GiB.
        let mut huge = 0xFFFF_FFF0u32.to_be_bytes().to_vec();
        huge.extend_from_slice(b"mdat");
        cases.push(cat(&[ftyp.clone(), huge, synth.moov(0)]));
        // size 1 with a 64-bit size of u64::MAX, and one smaller than its header.
        for large in [u64::MAX, 15, 0] {
            let mut b = 1u32.to_be_bytes().to_vec();
            b.extend_from_slice(b"mdat");
            b.extend_from_slice(&large.to_be_bytes());
            cases.push(cat(&[ftyp.clone(), b, synth.moov(0)]));
        }
        // sizes 2..7 are smaller than the header itself.
        for small in 2u32..8 {
            let mut b = small.to_be_bytes().to_vec();
            b.extend_from_slice(b"mdat");
            cases.push(cat(&[ftyp.clone(), b, synth.moov(0)]));
        }
        // a `moov` whose child claims more than the moov holds.
        let mut inner = 0x7FFF_FFFFu32.to_be_bytes().to_vec();
        inner.extend_from_slice(b"trak");
        cases.push(cat(&[ftyp.clone(), bx(b"moov", &inner)]));
        // a size-0 child inside moov swallows the rest: still no video.
        let mut zero = 0u32.to_be_bytes().to_vec();
        zero.extend_from_slice(b"trak");
        zero.extend_from_slice(&synth.moov(0));
        cases.push(cat(&[ftyp.clone(), bx(b"moov", &zero)]));
        for (i, bytes) in cases.iter().enumerate() {
            assert!(probe_bytes(bytes).is_err(), "case {i} was accepted");
        }
    }

    #[test]
    fn stts_claiming_more_entries_than_it_holds_is_corrupt() {
        let synth = Synth::default();
        let mut bytes = synth.build();
        let at = bytes
            .windows(4)
            .position(|w| w == b"stts")
            .expect("stts present");
        // entry_count follows the 4-byte version and flags.
        bytes[at + 8..at + 12].copy_from_slice(&u32::MAX.to_be_bytes());
        let err = probe_bytes(&bytes).unwrap_err();
        assert!(detail(&err).contains("stts"), "{err}");
    }

    #[test]
    fn depth_and_width_bombs_are_harmless() {
        let ftyp = bx(b"ftyp", b"isom\0\0\0\0");
        // 20,000 nested `moov`/`trak` boxes: we only descend known paths.
        let mut nested = Vec::new();
        for i in 0..20_000 {
            nested = bx(if i % 2 == 0 { b"trak" } else { b"mdia" }, &nested);
        }
        let bytes = cat(&[ftyp.clone(), bx(b"moov", &nested)]);
        let started = Instant::now();
        assert!(probe_bytes(&bytes).is_err());
        // 100,000 empty children inside moov exceed the child cap.
        let many: Vec<u8> = (0..100_000).flat_map(|_| bx(b"free", &[])).collect();
        let err = probe_bytes(&cat(&[ftyp.clone(), bx(b"moov", &many)])).unwrap_err();
        assert!(detail(&err).contains("too many"), "{err}");
        // 500,000 empty top-level boxes and no moov.
        let flat: Vec<u8> = (0..500_000).flat_map(|_| bx(b"free", &[])).collect();
        assert!(probe_bytes(&cat(&[ftyp, flat])).is_err());
        assert!(
            started.elapsed().as_secs() < 10,
            "bombs took {:?}",
            started.elapsed()
        );
    }

    #[test]
    fn mutated_files_never_panic() {
        let dir = tempfile::tempdir().unwrap();
        let bytes = Synth::default().build();
        let path = dir.path().join("m.mp4");
        for pos in 0..bytes.len() {
            for value in [0x00, 0x01, 0x7F, 0x80, 0xFF] {
                let mut m = bytes.clone();
                m[pos] = value;
                std::fs::write(&path, &m).unwrap();
                if let Ok(info) = probe(&path) {
                    // Whatever was read must still be checkable.
                    let _ = check(&path, &info);
                }
            }
        }
    }

    #[test]
    fn random_bytes_never_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.bin");
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let prefixes: [&[u8]; 4] = [
            b"",
            b"\0\0\0\x20ftypisom",
            &webm::EBML_MAGIC,
            b"\0\0\0\x08wide",
        ];
        for round in 0..2000 {
            let len = usize::try_from(rng.below(600)).unwrap();
            let mut bytes: Vec<u8> = prefixes[round % prefixes.len()].to_vec();
            bytes.extend((0..len).map(|_| rng.next().to_le_bytes()[0]));
            std::fs::write(&path, &bytes).unwrap();
            let _ = probe(&path);
        }
    }

    // ---- probe: WebM --------------------------------------------------

    #[test]
    fn reads_a_webm() {
        let bytes = WebmSynth::default().build();
        let info = probe_bytes(&bytes).unwrap();
        assert_eq!(info.container, Container::Webm);
        assert_eq!(info.container.mime(), "video/webm");
        assert_eq!(info.duration_ms, Some(2000));
        assert_eq!((info.width, info.height), (Some(360), Some(640)));
        assert_eq!(info.fps, Some(30.0));
        assert_eq!(info.codec, Some(VideoCodec::Vp9));
        check(Path::new("a.webm"), &info).unwrap();
    }

    #[test]
    fn reads_a_live_webm_with_unknown_sizes() {
        let synth = WebmSynth {
            known_segment: false,
            duration: None,
            default_duration: None,
            ..WebmSynth::default()
        };
        let info = probe_bytes(&synth.build()).unwrap();
        assert_eq!(info.duration_ms, None);
        assert_eq!(info.fps, None);
        assert_eq!(info.width, Some(360));
        // Unknown facts are not held against a WebM.
        check(Path::new("live.webm"), &info).unwrap();
    }

    #[test]
    fn maps_matroska_codec_ids() {
        for (id, codec) in [
            ("V_VP8", VideoCodec::Vp8),
            ("V_VP9", VideoCodec::Vp9),
            ("V_AV1", VideoCodec::Av1),
            ("V_MPEG4/ISO/AVC", VideoCodec::H264),
            ("V_MPEGH/ISO/HEVC", VideoCodec::H265),
            ("V_THEORA", VideoCodec::Other("V_THEORA".into())),
        ] {
            let synth = WebmSynth {
                codec: id,
                doc_type: "matroska",
                ..WebmSynth::default()
            };
            assert_eq!(probe_bytes(&synth.build()).unwrap().codec, Some(codec));
        }
    }

    #[test]
    fn other_ebml_documents_are_unknown() {
        let synth = WebmSynth {
            doc_type: "notvideo",
            ..WebmSynth::default()
        };
        let err = probe_bytes(&synth.build()).unwrap_err();
        assert!(
            matches!(err, MediaError::UnknownContainer { .. }),
            "{err:?}"
        );
    }

    #[test]
    fn webm_without_video_track() {
        let synth = WebmSynth {
            track_type: 2,
            ..WebmSynth::default()
        };
        let err = probe_bytes(&synth.build()).unwrap_err();
        assert!(matches!(err, MediaError::NoVideoTrack { .. }), "{err:?}");
    }

    #[test]
    fn webm_truncations_never_panic_and_known_sizes_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        for known_segment in [true, false] {
            let bytes = WebmSynth {
                known_segment,
                ..WebmSynth::default()
            }
            .build();
            let tracks_end = bytes
                .windows(6)
                .position(|w| w == b"A_OPUS")
                .expect("tracks present");
            for cut in 0..bytes.len() {
                let path = write(&dir, "cut.webm", &bytes[..cut]);
                let result = probe(&path);
                if known_segment || cut < tracks_end {
                    assert!(result.is_err(), "cut at {cut} accepted");
                }
            }
        }
    }

    #[test]
    fn webm_mutations_and_nesting_never_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.webm");
        let bytes = WebmSynth::default().build();
        for pos in 0..bytes.len() {
            for value in [0x00, 0x01, 0x40, 0x80, 0xFF] {
                let mut m = bytes.clone();
                m[pos] = value;
                std::fs::write(&path, &m).unwrap();
                let _ = probe(&path);
            }
        }
        // Tracks nested 10,000 deep in TrackEntry elements.
        let header = el(0x1A45_DFA3, &el(0x4282, b"webm"));
        let mut nested = Vec::new();
        for _ in 0..10_000 {
            nested = el(0xAE, &nested);
        }
        let bytes = cat(&[header, el(0x1853_8067, &el(0x1654_AE6B, &nested))]);
        let err = probe_bytes(&bytes).unwrap_err();
        assert!(matches!(err, MediaError::NoVideoTrack { .. }), "{err:?}");
    }

    #[test]
    fn nan_duration_is_corrupt() {
        let synth = WebmSynth {
            duration: Some(f64::NAN),
            ..WebmSynth::default()
        };
        assert!(probe_bytes(&synth.build()).is_err());
    }

    // ---- probe: files that are not videos -----------------------------

    #[test]
    fn file_system_errors() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.mp4");
        assert!(matches!(probe(&missing), Err(MediaError::NotFound { .. })));
        assert!(matches!(
            probe(&missing.join("below")),
            Err(MediaError::NotFound { .. })
        ));
        assert!(matches!(
            probe(dir.path()),
            Err(MediaError::NotAFile { .. })
        ));
        let empty = write(&dir, "x.mp4", b"");
        let err = probe(&empty).unwrap_err();
        assert!(matches!(err, MediaError::Empty { .. }));
        assert_eq!(err.to_string(), format!("`{}` is empty", empty.display()));
        let text = write(&dir, "notes.mp4", b"shopping list: eggs, milk, bread\n");
        let err = probe(&text).unwrap_err();
        assert!(matches!(err, MediaError::UnknownContainer { .. }));
        assert!(
            err.to_string()
                .ends_with("notes.mp4` is not an MP4, MOV or WebM video")
        );
        assert!(err.hint().unwrap().contains("notes-tiktok.mp4"));
        let image = write(&dir, "photo.mp4", &bx(b"ftyp", b"heic\0\0\0\0mif1heic"));
        assert!(matches!(
            probe(&image),
            Err(MediaError::UnknownContainer { .. })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_not_a_file_and_does_not_block() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe.mp4");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            return;
        }
        assert!(matches!(probe(&fifo), Err(MediaError::NotAFile { .. })));
        assert!(matches!(
            fingerprint(&fifo),
            Err(MediaError::NotAFile { .. })
        ));
    }

    #[test]
    fn a_sparse_5_gb_file_is_rejected_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("huge.mp4");
        let file = File::create(&path).unwrap();
        file.set_len(5_000_000_000).unwrap();
        let started = Instant::now();
        let err = probe(&path).unwrap_err();
        assert!(started.elapsed().as_millis() < 500);
        match &err {
            MediaError::TooLarge { size, .. } => assert_eq!(*size, 5_000_000_000),
            other => panic!("{other:?}"),
        }
        assert!(
            err.to_string().contains("is 5.00 GB (5000000000 bytes)"),
            "{err}"
        );
        // Exactly 4 GB is allowed through to the parser (and is not a video).
        file.set_len(MAX_FILE_SIZE).unwrap();
        assert!(matches!(
            probe(&path),
            Err(MediaError::UnknownContainer { .. })
        ));
    }

    // ---- check --------------------------------------------------------

    #[test]
    fn check_resolution_limits() {
        let path = Path::new("clip.mp4");
        for (w, h, ok) in [
            (360, 640, true),
            (360, 360, true),
            (4096, 4096, true),
            (359, 640, false),
            (360, 4097, false),
            (200, 200, false),
        ] {
            let mut i = info(Container::Mp4);
            i.width = Some(w);
            i.height = Some(h);
            assert_eq!(check(path, &i).is_ok(), ok, "{w}x{h}");
        }
        let mut i = info(Container::Mp4);
        i.width = Some(200);
        i.height = Some(200);
        let err = check(path, &i).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`clip.mp4` is 200×200 pixels; TikTok needs 360 to 4096 pixels on each side"
        );
        assert_eq!(
            err.hint().unwrap(),
            "re-encode it, e.g. `ffmpeg -i clip.mp4 -vf scale=720:-2 clip-tiktok.mp4`"
        );
    }

    #[test]
    fn check_frame_rate_limits() {
        let path = Path::new("clip.mp4");
        for (fps, ok) in [
            (23.0, true),
            (23.976, true),
            (22.98, true),
            (29.97, true),
            (59.94, true),
            (60.0, true),
            (60.04, true),
            (22.9, false),
            (15.0, false),
            (60.1, false),
            (120.0, false),
            (f64::NAN, false),
            (f64::INFINITY, false),
        ] {
            let mut i = info(Container::Mp4);
            i.fps = Some(fps);
            assert_eq!(check(path, &i).is_ok(), ok, "{fps}");
        }
        let mut i = info(Container::Mp4);
        i.fps = Some(15.0);
        let err = check(path, &i).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`clip.mp4` plays at 15 frames per second; TikTok needs 23 to 60"
        );
        assert!(err.hint().unwrap().contains("-r 30"));
    }

    #[test]
    fn check_duration_and_codec() {
        let path = Path::new("my clip.mp4");
        let mut i = info(Container::Mp4);
        i.duration_ms = Some(600_000);
        check(path, &i).unwrap();
        i.duration_ms = Some(600_001);
        let err = check(path, &i).unwrap_err();
        assert!(matches!(err, MediaError::Duration { secs: 601, .. }));
        assert!(
            err.hint()
                .unwrap()
                .contains("ffmpeg -i 'my clip.mp4' -t 600")
        );
        for codec in [
            VideoCodec::H264,
            VideoCodec::H265,
            VideoCodec::Vp8,
            VideoCodec::Vp9,
        ] {
            i = info(Container::Mp4);
            i.codec = Some(codec);
            check(path, &i).unwrap();
        }
        for codec in [VideoCodec::Av1, VideoCodec::Other("mp4v".into())] {
            i.codec = Some(codec);
            assert!(matches!(check(path, &i), Err(MediaError::Codec { .. })));
        }
        assert_eq!(
            check(path, &i).unwrap_err().to_string(),
            "`my clip.mp4` is encoded as mp4v; TikTok needs H.264, H.265, VP8 or VP9"
        );
    }

    #[test]
    fn mp4_needs_every_fact_but_webm_does_not() {
        let path = Path::new("a");
        let mut i = info(Container::Mov);
        i.codec = None;
        assert!(matches!(
            check(path, &i),
            Err(MediaError::NoVideoTrack { .. })
        ));
        for clear in [
            |i: &mut MediaInfo| i.width = None,
            |i: &mut MediaInfo| i.fps = None,
            |i: &mut MediaInfo| i.duration_ms = None,
        ] {
            let mut i = info(Container::Mp4);
            clear(&mut i);
            assert!(matches!(check(path, &i), Err(MediaError::Corrupt { .. })));
            i.container = Container::Webm;
            check(path, &i).unwrap();
        }
        let bare = MediaInfo {
            container: Container::Webm,
            size: 10,
            duration_ms: None,
            width: None,
            height: None,
            fps: None,
            codec: None,
        };
        check(path, &bare).unwrap();
        let mut big = info(Container::Mp4);
        big.size = MAX_FILE_SIZE + 1;
        assert!(matches!(
            check(path, &big),
            Err(MediaError::TooLarge { .. })
        ));
    }

    #[test]
    fn resolution_hints_fit_the_shape() {
        assert_eq!(scale_filter(200, 200), "scale=720:-2");
        assert_eq!(scale_filter(640, 300), "scale=-2:720");
        assert_eq!(scale_filter(5000, 5000), "scale=-2:1920");
        assert_eq!(scale_filter(8000, 3000), "scale=1920:-2");
        assert!(scale_filter(200, 5000).starts_with("'scale=1080:1920:"));
        assert!(scale_filter(5000, 200).starts_with("'scale=1920:1080:"));
        assert!(scale_filter(0, 0).contains("pad="));
    }

    #[test]
    fn every_error_has_a_one_sentence_message_and_a_hint() {
        let path = PathBuf::from("dir/it's.mp4");
        let errors = [
            MediaError::NotFound { path: path.clone() },
            MediaError::NotAFile { path: path.clone() },
            MediaError::Unreadable {
                path: path.clone(),
                source: io::Error::from(io::ErrorKind::PermissionDenied),
            },
            MediaError::Empty { path: path.clone() },
            MediaError::TooLarge {
                path: path.clone(),
                size: 5_368_709_120,
            },
            MediaError::UnknownContainer { path: path.clone() },
            MediaError::Corrupt {
                path: path.clone(),
                detail: "x".into(),
            },
            MediaError::NoVideoTrack { path: path.clone() },
            MediaError::Resolution {
                path: path.clone(),
                width: 1,
                height: 1,
            },
            MediaError::FrameRate {
                path: path.clone(),
                fps: 23.5,
            },
            MediaError::Duration {
                path: path.clone(),
                secs: 660,
            },
            MediaError::Codec {
                path: path.clone(),
                codec: VideoCodec::Av1,
            },
        ];
        for err in &errors {
            let msg = err.to_string();
            assert!(msg.starts_with("`dir/it's.mp4` "), "{msg}");
            assert!(!msg.contains('\n') && !msg.ends_with('.'), "{msg}");
            assert_eq!(err.path(), path);
            let hint = err.hint().unwrap();
            if hint.contains("ffmpeg") {
                assert!(hint.contains(r"'dir/it'\''s.mp4'"), "{hint}");
                assert!(hint.contains(r"'dir/it'\''s-tiktok."), "{hint}");
            }
        }
        assert!(errors[9].to_string().contains("plays at 23.5 frames"));
        assert!(errors[4].to_string().contains("5.37 GB"));
    }

    #[test]
    fn display_names() {
        assert_eq!(VideoCodec::H264.to_string(), "H.264");
        assert_eq!(VideoCodec::H265.to_string(), "H.265");
        assert_eq!(VideoCodec::Vp8.to_string(), "VP8");
        assert_eq!(VideoCodec::Vp9.to_string(), "VP9");
        assert_eq!(VideoCodec::Av1.to_string(), "AV1");
        assert_eq!(Container::Mp4.mime(), "video/mp4");
        assert_eq!(Container::Webm.to_string(), "WebM");
    }

    // ---- fingerprint --------------------------------------------------

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
