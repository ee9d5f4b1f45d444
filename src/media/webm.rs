//! The WebM / Matroska (EBML) reader. This module owns recognising an EBML
//! document as WebM or Matroska and reading `Segment/Info` (duration) and
//! `Segment/Tracks` (the video track's codec, size and frame duration),
//! found by walking the Segment up to its first Cluster or, failing that,
//! through its SeekHead. It accepts live recordings whose elements have
//! unknown sizes, and never reads the media data.

use super::source::{Fault, Parsed, Source, corrupt, round_fps};
use super::{Facts, VideoCodec};

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

/// What an EBML document is, by its header's DocType.
pub(super) enum DocType {
    /// `webm`: the only Matroska flavour TikTok takes.
    Webm,
    /// `matroska` (also the default when absent): a video, but not one TikTok takes.
    Matroska,
    /// Another EBML document: not a video.
    Other,
}

/// The EBML header's DocType: `webm`, `matroska` (the default when absent),
/// or another kind of EBML document, which is not a video.
pub(super) fn doc_type(src: &mut Source) -> Parsed<DocType> {
    let head = header(src)?;
    let mut doc_type = b"matroska".to_vec();
    each_child(src, &head, |src, el| {
        if el.id == DOC_TYPE {
            doc_type = read_string(src, el)?;
        }
        Ok(())
    })?;
    Ok(match doc_type.as_slice() {
        b"webm" => DocType::Webm,
        b"matroska" => DocType::Matroska,
        _ => DocType::Other,
    })
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::media::synth::{WebmSynth, cat, el, probe_bytes, write};
    use crate::media::{Container, MediaError, VideoCodec, check, probe};

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
                ..WebmSynth::default()
            };
            assert_eq!(probe_bytes(&synth.build()).unwrap().codec, Some(codec));
        }
    }

    #[test]
    fn matroska_that_is_not_webm_is_refused() {
        let synth = WebmSynth {
            doc_type: "matroska",
            ..WebmSynth::default()
        };
        let err = probe_bytes(&synth.build()).unwrap_err();
        assert!(matches!(err, MediaError::Matroska { .. }), "{err:?}");
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
}
