//! Synthetic MP4, MOV and WebM files for the unit tests of the media
//! readers, built byte by byte: [`Synth`] lays out an MP4 the way ffmpeg
//! does and [`WebmSynth`] a WebM the way a browser does, each with switches
//! for the variants and the damage the tests need. Test code only; it never
//! runs in postez itself.

use std::fs::File;
use std::io::Write as _;
use std::path::PathBuf;

use super::{MediaError, MediaInfo, probe};

// ---- MP4 ---------------------------------------------------------

pub(super) fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
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

pub(super) fn cat(parts: &[Vec<u8>]) -> Vec<u8> {
    parts.concat()
}

const IDENTITY: [u32; 9] = [0x1_0000, 0, 0, 0, 0x1_0000, 0, 0, 0, 0x4000_0000];
pub(super) const ROT90: [u32; 9] = [0, 0x1_0000, 0, 0xFFFF_0000, 0, 0, 0, 0, 0x4000_0000];

/// A synthetic MP4 with one video track, as ffmpeg would lay it out.
#[derive(Clone)]
pub(super) struct Synth {
    pub(super) brand: [u8; 4],
    pub(super) width: u32,
    pub(super) height: u32,
    pub(super) timescale: u32,
    pub(super) samples: u32,
    pub(super) delta: u32,
    pub(super) fourcc: [u8; 4],
    pub(super) handler: [u8; 4],
    pub(super) v1: bool,
    pub(super) moov_first: bool,
    pub(super) large_mdat: bool,
    pub(super) zero_size_mdat: bool,
    pub(super) matrix: [u32; 9],
    pub(super) tkhd_size: bool,
    pub(super) mdat_len: usize,
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

    pub(super) fn moov(&self, chunk_offset: u32) -> Vec<u8> {
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

    pub(super) fn mdat(&self) -> Vec<u8> {
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

    pub(super) fn build(&self) -> Vec<u8> {
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

// ---- WebM --------------------------------------------------------

fn id_bytes(id: u32) -> Vec<u8> {
    let bytes = id.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    bytes[skip..].to_vec()
}

pub(super) fn el(id: u32, body: &[u8]) -> Vec<u8> {
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
pub(super) struct WebmSynth {
    pub(super) doc_type: &'static str,
    pub(super) duration: Option<f64>,
    pub(super) default_duration: Option<u64>,
    pub(super) codec: &'static str,
    pub(super) track_type: u64,
    pub(super) known_segment: bool,
    pub(super) size: Option<(u64, u64)>,
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
    pub(super) fn build(&self) -> Vec<u8> {
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

// ---- files -------------------------------------------------------

pub(super) fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    let mut file = File::create(&path).unwrap();
    file.write_all(bytes).unwrap();
    path
}

pub(super) fn probe_bytes(bytes: &[u8]) -> Result<MediaInfo, MediaError> {
    let dir = tempfile::tempdir().unwrap();
    probe(&write(&dir, "clip.mp4", bytes))
}

pub(super) fn detail(err: &MediaError) -> &str {
    match err {
        MediaError::Corrupt { detail, .. } => detail,
        other => panic!("expected Corrupt, got {other:?}"),
    }
}
