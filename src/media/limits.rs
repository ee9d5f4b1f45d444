//! What TikTok accepts: the upload limits on size, codec, resolution, frame
//! rate and duration, and [`check`], which holds a probed file's facts
//! against them. This module only compares numbers; it never reads the file
//! (that is [`probe`](super::probe)'s job) and never prints. Commands reach it
//! through TikTok's rules (`crate::provider::tiktok::rules`), which a post's
//! platform hands out: the table stays here because [`MediaError`]'s messages
//! and hints are written from it.

use std::path::Path;

use super::{Container, MediaError, MediaInfo};

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

/// Checks `info` (from [`probe`](super::probe) of `path`) against TikTok's limits:
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
        Some(codec) if !info.container.allows(codec) => {
            return Err(MediaError::CodecContainer {
                path: path.to_owned(),
                codec: codec.clone(),
                container: info.container,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::VideoCodec;

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
            "re-encode it, e.g. `ffmpeg -i clip.mp4 -vf scale=720:-2 clip-fixed.mp4`"
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
    fn each_container_carries_only_its_codecs() {
        let path = Path::new("clip.webm");
        for (container, codec, ok) in [
            (Container::Mp4, VideoCodec::H264, true),
            (Container::Mp4, VideoCodec::Vp9, true),
            (Container::Mov, VideoCodec::H265, true),
            (Container::Mov, VideoCodec::Vp9, false),
            (Container::Mov, VideoCodec::Vp8, false),
            (Container::Webm, VideoCodec::Vp8, true),
            (Container::Webm, VideoCodec::Vp9, true),
            (Container::Webm, VideoCodec::H264, false),
            (Container::Webm, VideoCodec::H265, false),
        ] {
            let mut i = info(container);
            i.codec = Some(codec.clone());
            let result = check(path, &i);
            assert_eq!(result.is_ok(), ok, "{codec} in {container}: {result:?}");
        }
        let mut i = info(Container::Webm);
        i.codec = Some(VideoCodec::H264);
        let err = check(path, &i).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`clip.webm` is a WebM file holding H.264 video, which WebM cannot carry"
        );
        assert_eq!(
            err.hint().unwrap(),
            "copy its video into an MP4 file without re-encoding, e.g. \
             `ffmpeg -i clip.webm -c:v copy -c:a aac clip-fixed.mp4`"
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
            i.codec = Some(VideoCodec::Vp9);
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
}
