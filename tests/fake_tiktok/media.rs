//! The processing step TikTok runs after an upload, reduced to what a fake can check cheaply:
//! the reassembled file must be an ISO-BMFF/QuickTime box structure whose top-level boxes cover
//! the file exactly and include a `moov` with an `mvhd` (MP4, MOV), or start with the EBML magic
//! (WebM; not parsed further). Otherwise the publish fails with `file_format_check_failed`. An
//! MP4/MOV longer than the allowed duration fails with `duration_check_failed`.
//!
//! CHOICE: TikTok documents these `fail_reason`s but not what triggers them; this is the
//! cheapest check that catches "a renamed text file" and a duration the creator may not post.
//! Off with `FakeOptions::check_media = false` (`--no-media-check`).

use std::path::Path;

use tokio::fs::File;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

const EBML_MAGIC: [u8; 4] = [0x1A, 0x45, 0xDF, 0xA3];
/// Box types a QuickTime/MP4 file may start with.
const FIRST_BOXES: [&[u8; 4]; 7] = [
    b"ftyp", b"wide", b"free", b"skip", b"mdat", b"moov", b"pnot",
];

/// `Err(fail_reason)` when TikTok's processing would reject the file.
pub(crate) async fn check(
    path: &Path,
    len: u64,
    max_duration_sec: u32,
) -> Result<(), &'static str> {
    match probe(path, len).await {
        Err(()) => Err("file_format_check_failed"),
        Ok(Some(secs)) if secs > f64::from(max_duration_sec) => Err("duration_check_failed"),
        Ok(_) => Ok(()),
    }
}

/// The duration in seconds (`None` for WebM), or `Err` if the file is not a video container.
async fn probe(path: &Path, len: u64) -> Result<Option<f64>, ()> {
    let mut f = File::open(path).await.map_err(|_| ())?;
    let mut magic = [0u8; 4];
    f.read_exact(&mut magic).await.map_err(|_| ())?;
    if magic == EBML_MAGIC {
        return Ok(None);
    }
    let mut pos = 0;
    let mut duration = None;
    while pos < len {
        let (kind, header, size) = box_header(&mut f, pos, len).await?;
        if pos == 0 && !FIRST_BOXES.contains(&&kind) {
            return Err(());
        }
        if &kind == b"moov" {
            duration = Some(mvhd_duration(&mut f, pos + header, pos + size).await?);
        }
        pos += size;
    }
    duration.map(Some).ok_or(())
}

/// `(type, header length, box length)` of the box at `pos`, which must end by `end`.
async fn box_header(f: &mut File, pos: u64, end: u64) -> Result<([u8; 4], u64, u64), ()> {
    if end - pos < 8 {
        return Err(());
    }
    let mut h = [0u8; 8];
    f.seek(std::io::SeekFrom::Start(pos))
        .await
        .map_err(|_| ())?;
    f.read_exact(&mut h).await.map_err(|_| ())?;
    let kind = [h[4], h[5], h[6], h[7]];
    if !kind.iter().all(|b| b.is_ascii_alphanumeric() || *b == b' ') {
        return Err(());
    }
    let (header, size) = match u32::from_be_bytes([h[0], h[1], h[2], h[3]]) {
        0 => (8, end - pos),
        1 => {
            let mut large = [0u8; 8];
            f.read_exact(&mut large).await.map_err(|_| ())?;
            (16, u64::from_be_bytes(large))
        }
        n => (8, u64::from(n)),
    };
    if size < header || size > end - pos {
        return Err(());
    }
    Ok((kind, header, size))
}

/// Seconds from the `mvhd` inside the `moov` body `[start, end)`.
async fn mvhd_duration(f: &mut File, start: u64, end: u64) -> Result<f64, ()> {
    let mut pos = start;
    while pos < end {
        let (kind, header, size) = box_header(f, pos, end).await?;
        if &kind == b"mvhd" {
            let mut vf = [0u8; 4];
            f.seek(std::io::SeekFrom::Start(pos + header))
                .await
                .map_err(|_| ())?;
            f.read_exact(&mut vf).await.map_err(|_| ())?;
            // version 0: 32-bit times; version 1: 64-bit times.
            let (need, timescale, duration) = if vf[0] == 1 {
                let mut b = [0u8; 28];
                f.read_exact(&mut b).await.map_err(|_| ())?;
                let ts = u32::from_be_bytes([b[16], b[17], b[18], b[19]]);
                let mut d = [0u8; 8];
                d.copy_from_slice(&b[20..28]);
                (32, ts, u64::from_be_bytes(d))
            } else {
                let mut b = [0u8; 16];
                f.read_exact(&mut b).await.map_err(|_| ())?;
                let ts = u32::from_be_bytes([b[8], b[9], b[10], b[11]]);
                (
                    20,
                    ts,
                    u64::from(u32::from_be_bytes([b[12], b[13], b[14], b[15]])),
                )
            };
            if size - header < need || timescale == 0 {
                return Err(());
            }
            return Ok(duration as f64 / f64::from(timescale));
        }
        pos += size;
    }
    Err(())
}
