//! The box layer of the MP4/MOV reader: a box header (32-bit, 64-bit or
//! to-the-end size, `uuid` types), a box's children, and the reads of a
//! box's fields, each checked to lie inside the box so that a short box
//! can never make the reader take a field from its neighbour. It knows no
//! box beyond `mvhd`/`mdhd` time headers; what the boxes mean is
//! [`super`]'s business.

use crate::media::source::{Fault, Parsed, Source, corrupt, printable};

/// Most children read from one box. Real `moov`/`trak`/`stbl` boxes have
/// a handful to a few dozen; the cap stops a box stuffed with millions of
/// tiny children.
const MAX_CHILDREN: usize = 4096;

/// A box: its type, where its payload starts and where it ends (absolute).
#[derive(Debug, Clone, Copy)]
pub(super) struct Bx {
    pub(super) kind: [u8; 4],
    pub(super) body: u64,
    pub(super) end: u64,
}

impl Bx {
    /// Absolute offset of `len` payload bytes at `rel`, if they lie inside
    /// the box; fields of a full box are never read from a neighbour.
    pub(super) fn at(&self, rel: u64, len: u64) -> Parsed<u64> {
        let start = self.body.checked_add(rel).ok_or(Fault::Truncated)?;
        let end = start.checked_add(len).ok_or(Fault::Truncated)?;
        if end > self.end {
            return Err(corrupt(format!(
                "its `{}` box is too short",
                printable(&self.kind)
            )));
        }
        Ok(start)
    }

    pub(super) fn u8(&self, src: &mut Source, rel: u64) -> Parsed<u8> {
        src.u8_at(self.at(rel, 1)?)
    }

    pub(super) fn u16(&self, src: &mut Source, rel: u64) -> Parsed<u16> {
        src.u16_at(self.at(rel, 2)?)
    }

    pub(super) fn u32(&self, src: &mut Source, rel: u64) -> Parsed<u32> {
        src.u32_at(self.at(rel, 4)?)
    }

    pub(super) fn u64(&self, src: &mut Source, rel: u64) -> Parsed<u64> {
        src.u64_at(self.at(rel, 8)?)
    }

    pub(super) fn payload_len(&self) -> u64 {
        self.end.saturating_sub(self.body)
    }
}

/// Reads the box header at `offset`, which must end by `limit`.
pub(super) fn read_box(src: &mut Source, offset: u64, limit: u64) -> Parsed<Bx> {
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
            printable(&kind)
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
pub(super) fn children(src: &mut Source, parent: &Bx) -> Parsed<Vec<Bx>> {
    let mut found = Vec::new();
    let mut offset = parent.body;
    while parent.end.saturating_sub(offset) >= 8 {
        if found.len() >= MAX_CHILDREN {
            return Err(corrupt(format!(
                "its `{}` box has too many children",
                printable(&parent.kind)
            )));
        }
        let child = read_box(src, offset, parent.end)?;
        // A box is at least 8 bytes, so `offset` grows every turn.
        offset = child.end;
        found.push(child);
    }
    Ok(found)
}

pub(super) fn find(boxes: &[Bx], kind: &[u8; 4]) -> Option<Bx> {
    boxes.iter().find(|b| &b.kind == kind).copied()
}

/// `mvhd`/`mdhd`: the clock rate and the duration in its ticks. A duration
/// of all ones means "unknown" in both versions.
pub(super) fn time_header(src: &mut Source, b: &Bx) -> Parsed<(u32, Option<u64>)> {
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
            printable(&b.kind)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use crate::media::synth::{Synth, bx, cat, detail, probe_bytes};

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
}
