//! Why a video cannot be probed, fingerprinted or posted, in words a user can
//! act on. This module owns [`MediaError`]: its one-sentence messages, which
//! name the path, and its hints, which give the command to run (an ffmpeg
//! line with shell-quoted paths that writes next to the input, never over
//! it). It never prints and never touches the file.

use std::io;
use std::path::{Path, PathBuf};

use super::{MAX_FILE_SIZE, MAX_FPS, MAX_SIDE, MIN_SIDE, VideoCodec};

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
    /// A Matroska file that is not WebM (EBML DocType `matroska`, e.g. `.mkv`).
    #[error(
        "`{}` is a Matroska (MKV) video; TikTok accepts MP4, MOV and WebM",
        path.display()
    )]
    Matroska {
        /// The path as given.
        path: PathBuf,
    },
    /// The codec is one TikTok takes, but the container cannot carry it (H.264 in WebM).
    #[error(
        "`{}` is a {container} file holding {codec} video, which {container} cannot carry",
        path.display()
    )]
    CodecContainer {
        /// The path as given.
        path: PathBuf,
        /// The codec found.
        codec: VideoCodec,
        /// The container it was found in.
        container: super::Container,
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
    /// The frame rate is outside [`MIN_FPS`](super::MIN_FPS)..=[`MAX_FPS`].
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
    /// The video is longer than [`MAX_DURATION_MS`](super::MAX_DURATION_MS).
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
    /// The file was written to (or is still being written) while postez read
    /// it, so what was checked may not be what would be copied or uploaded.
    #[error("`{}` changed while postez was reading it", path.display())]
    Changed {
        /// The path as given.
        path: PathBuf,
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
            | MediaError::Matroska { path }
            | MediaError::CodecContainer { path, .. }
            | MediaError::Corrupt { path, .. }
            | MediaError::NoVideoTrack { path }
            | MediaError::Resolution { path, .. }
            | MediaError::FrameRate { path, .. }
            | MediaError::Duration { path, .. }
            | MediaError::Codec { path, .. }
            | MediaError::Changed { path } => path,
        }
    }

    /// A suggestion for fixing the problem, usually with a command to run
    /// (paths shell-quoted, output written next to the input as
    /// `<name>-fixed.<ext>` so nothing is overwritten). Every current
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
            MediaError::Matroska { path } => format!(
                "copy its video into an MP4 without re-encoding, e.g. `ffmpeg -i {} -c:v copy -c:a aac {}`",
                quoted(path),
                fixed_name(path, "mp4")
            ),
            MediaError::CodecContainer { path, codec, .. } => {
                // H.264/H.265 belong in MP4, VP8/VP9 in WebM: the video needs no
                // re-encoding, only the audio may (WebM takes Opus, MP4 AAC).
                let (name, ext, audio) = if matches!(codec, VideoCodec::Vp8 | VideoCodec::Vp9) {
                    ("a WebM", "webm", "libopus")
                } else {
                    ("an MP4", "mp4", "aac")
                };
                format!(
                    "copy its video into {name} file without re-encoding, e.g. `ffmpeg -i {} -c:v copy -c:a {audio} {}`",
                    quoted(path),
                    fixed_name(path, ext)
                )
            }
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
            MediaError::Changed { .. } => {
                "wait until whatever is writing it (an export, a copy, a sync) has finished, then try again"
                    .to_owned()
            }
        };
        Some(hint)
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
/// `<stem>-fixed.<ext>`, so that following the hint never overwrites it.
fn fixed_name(path: &Path, ext: &str) -> String {
    let stem = path
        .file_stem()
        .map_or_else(|| "video".into(), |s| s.to_string_lossy());
    quoted(&path.with_file_name(format!("{stem}-fixed.{ext}")))
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
            MediaError::Matroska { path: path.clone() },
            MediaError::CodecContainer {
                path: path.clone(),
                codec: VideoCodec::H264,
                container: crate::media::Container::Webm,
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
                assert!(hint.contains(r"'dir/it'\''s-fixed."), "{hint}");
            }
        }
        assert!(errors[9].to_string().contains("plays at 23.5 frames"));
        assert!(errors[4].to_string().contains("5.37 GB"));
    }
}
