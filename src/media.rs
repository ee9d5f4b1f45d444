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
//!
//! [`probe`] (here) recognises the container and hands the file to its
//! reader: `mp4` (MP4/MOV boxes) or `webm` (EBML elements), both built on
//! the bounded, budgeted reader in `source`. `limits` holds TikTok's limits
//! and [`check`], `error` holds [`MediaError`] with its messages and hints,
//! and `fingerprint` holds [`Fingerprint`]. `synth` builds the synthetic
//! files the unit tests probe.

use std::fmt;
use std::fs::{File, Metadata};
use std::io;
use std::path::Path;

mod error;
mod fingerprint;
mod limits;
mod mp4;
mod source;
pub mod stored;
#[cfg(test)]
mod synth;

/// A small valid MP4 (360×640, 2 s) at `dir/name`, for the unit tests of code that checks videos.
#[cfg(test)]
pub(crate) fn sample_video(dir: &std::path::Path, name: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    fs_err::write(&path, synth::Synth::default().build()).unwrap();
    path
}
mod video;
mod webm;

pub use error::MediaError;
pub use fingerprint::{Fingerprint, fingerprint};
pub use limits::{
    FPS_TOLERANCE, MAX_DURATION_MS, MAX_FILE_SIZE, MAX_FPS, MAX_SIDE, MIN_FPS, MIN_SIDE, check,
};
pub use video::{Stamp, Verified, Video};

use source::{Parsed, Source, printable};

/// A video container format, recognised from the file's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Container {
    /// ISO base media file (MP4, M4V, 3GP): an `ftyp` box with a brand other than `qt  `.
    Mp4,
    /// Apple QuickTime: an `ftyp` box with brand `qt  `, or an old file with no `ftyp`.
    Mov,
    /// WebM: an EBML header with DocType `webm`. Other Matroska files (DocType
    /// `matroska`, e.g. `.mkv`) are refused: TikTok takes MP4, MOV and WebM only,
    /// and a Matroska file is not a WebM file, whatever it holds.
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

impl Container {
    /// Whether this container may carry video in `codec`, by the containers' own
    /// specifications: WebM carries only VP8, VP9 and AV1 (webmproject.org's
    /// container guidelines); QuickTime defines no VP8/VP9 sample entries; MP4
    /// carries H.264, H.265 and, through the VP codec ISO-BMFF binding, VP8 and
    /// VP9. A file outside these is one TikTok may refuse after the upload, so
    /// it is refused when it is scheduled (issue 10).
    pub fn allows(self, codec: &VideoCodec) -> bool {
        match self {
            Container::Mp4 => true,
            Container::Mov => !matches!(codec, VideoCodec::Vp8 | VideoCodec::Vp9),
            Container::Webm => !matches!(codec, VideoCodec::H264 | VideoCodec::H265),
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
    probe_file(path, file, &meta)
}

/// [`probe`] on an open file whose metadata is `meta`; `path` is for messages.
fn probe_file(path: &Path, file: File, meta: &Metadata) -> Result<MediaInfo, MediaError> {
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
        Ok(Sniffed::Known(container)) => container,
        Ok(Sniffed::Matroska) => {
            return Err(MediaError::Matroska {
                path: path.to_owned(),
            });
        }
        Ok(Sniffed::Unknown) => {
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

/// What the first bytes say a file is.
enum Sniffed {
    /// A container TikTok takes.
    Known(Container),
    /// A Matroska file that is not WebM (DocType `matroska`).
    Matroska,
    /// Not a video container postez knows.
    Unknown,
}

impl From<Option<Container>> for Sniffed {
    fn from(container: Option<Container>) -> Self {
        container.map_or(Sniffed::Unknown, Sniffed::Known)
    }
}

/// Recognises the container from the first bytes.
fn sniff(src: &mut Source) -> Parsed<Sniffed> {
    if src.len < 8 {
        return Ok(Sniffed::Unknown);
    }
    let [s0, s1, s2, s3, k0, k1, k2, k3] = src.bytes::<8>(0)?;
    if [s0, s1, s2, s3] == webm::EBML_MAGIC {
        return webm::doc_type(src).map(|doc| match doc {
            webm::DocType::Webm => Sniffed::Known(Container::Webm),
            webm::DocType::Matroska => Sniffed::Matroska,
            webm::DocType::Other => Sniffed::Unknown,
        });
    }
    let kind = [k0, k1, k2, k3];
    let size32 = u32::from_be_bytes([s0, s1, s2, s3]);
    if &kind == b"ftyp" {
        if src.len < 12 || (size32 != 0 && size32 != 1 && size32 < 12) {
            return Ok(Sniffed::Unknown);
        }
        let brand: [u8; 4] = src.bytes(8)?;
        return Ok(Sniffed::from(match &brand {
            b"qt  " => Some(Container::Mov),
            // Still images in the same box format (HEIF/AVIF photos, Canon
            // raw): calling them damaged videos would mislead.
            b"heic" | b"heix" | b"heim" | b"heis" | b"mif1" | b"msf1" | b"avif" | b"crx " => None,
            _ => Some(Container::Mp4),
        }));
    }
    // QuickTime files from before `ftyp` existed start straight with one of
    // these atoms. The size must at least be possible, so that four random
    // letters in a text file do not pass.
    let legacy = matches!(
        &kind,
        b"moov" | b"mdat" | b"wide" | b"free" | b"skip" | b"pnot"
    );
    let size_ok = size32 == 0 || size32 == 1 || (size32 >= 8 && u64::from(size32) <= src.len);
    Ok(Sniffed::from((legacy && size_ok).then_some(Container::Mov)))
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

#[cfg(test)]
mod tests {
    use super::synth::{Synth, WebmSynth, bx, cat, probe_bytes, write};
    use super::*;
    use std::time::Instant;

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

    // ---- container recognition ---------------------------------------

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

    // ---- files that are not videos -----------------------------------

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
        assert!(err.hint().unwrap().contains("notes-fixed.mp4"));
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

    // ---- names -------------------------------------------------------

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
}
