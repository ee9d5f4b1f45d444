//! The ISO base media file format reader (MP4, MOV, 3GP). This module owns
//! what the boxes mean: it walks the top-level boxes (seeking over `mdat`),
//! reads `moov` for the movie and its video track (size, rotation, codec,
//! sample table) and adds up the samples of fragmented MP4's `moof` boxes.
//! It descends only along the paths it knows, so nesting cannot make it
//! recurse, and reads only box headers and the fields and sample tables it
//! needs; reading the headers themselves is [`boxes`]'s job.

mod boxes;

use boxes::{Bx, children, find, read_box, time_header};

use super::source::{Fault, Parsed, Source, corrupt, printable, round_fps, ticks_to_ms};
use super::{Facts, VideoCodec};

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
    let mdhd =
        find(&mdia_boxes, b"mdhd").ok_or_else(|| corrupt("its video track has no `mdhd` box"))?;
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
                printable(kind)
            )));
        }
        for i in 0..count {
            let at = 8 + i * width;
            let chunk = if width == 4 {
                u64::from(table.u32(src, at)?)
            } else {
                table.u64(src, at)?
            };
            track.max_chunk_offset = Some(track.max_chunk_offset.map_or(chunk, |m| m.max(chunk)));
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::media::synth::{ROT90, Synth, bx, cat, detail, probe_bytes, write};
    use crate::media::{Container, MediaError, VideoCodec, check, probe};

    const TRUNCATED_MP4: &str = "the file is truncated or not a complete MP4";

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
}
