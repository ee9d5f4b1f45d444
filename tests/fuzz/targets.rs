//! The four fuzz targets' bodies, shared by the cargo-fuzz binaries (`tests/fuzz/fuzz_targets/`)
//! and by the normal test suite, which replays every committed corpus file through them
//! (`tests/cli/fuzz_corpus.rs`). Each takes arbitrary bytes, must never panic, and checks the
//! promises the parser makes about what it accepts.

#![allow(dead_code)]

use chrono::{DateTime, TimeZone, Utc};
use postez::import::{Format, parse_rows};
use postez::provider::Platform;
use postez::provider::tiktok::parse_token_answer;
use postez::provider::tiktok::rules::{
    MAX_CAPTION_UTF16, build_caption, normalize_hashtag, utf16_len,
};
use postez::when;

/// 9999-12-31T23:59:59Z, the latest instant `when` may return.
const LATEST: i64 = 253_402_300_799;

/// A "now" and a zone chosen by the input's first bytes (so the fuzzer explores DST edges).
fn clock(data: &[u8]) -> (DateTime<Utc>, chrono_tz::Tz, &[u8]) {
    let (head, rest) = data.split_at(data.len().min(3));
    let zones = chrono_tz::TZ_VARIANTS;
    let zone = zones[usize::from(head.first().copied().unwrap_or(0)) % zones.len()];
    // Some hour of 2026 or 2027, where both DST changes of most zones fall.
    let hours = u16::from_le_bytes([
        head.get(1).copied().unwrap_or(0),
        head.get(2).copied().unwrap_or(0),
    ]);
    let base = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let now = base + chrono::Duration::minutes(i64::from(hours) * 17);
    (now, zone, rest)
}

/// `--at` parsing: never a panic; an accepted time is never in the past nor past year 9999.
pub fn when_at(data: &[u8]) {
    let (now, zone, rest) = clock(data);
    let text = String::from_utf8_lossy(rest);
    match when::parse(&text, now, zone) {
        Ok(at) => {
            assert!(at >= now, "{text:?} gave {at}, before {now}");
            assert!(at.timestamp() <= LATEST, "{text:?} gave {at}");
            let _ = when::describe(at, zone, now);
        }
        Err(e) => {
            let _ = (e.to_string(), e.hint());
        }
    }
    let _ = when::parse_zone(&text);
    if let Ok(d) = when::parse_duration(&text) {
        let _ = when::human_duration(d);
    }
}

/// Caption handling: text and hashtags separated by NUL bytes; invalid UTF-8 is read lossily
/// (the CLI refuses it earlier). An accepted caption fits TikTok's limit and holds no control
/// character but line breaks and tabs, and keeps every hashtag.
pub fn caption(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.split('\0');
    let body = parts.next().unwrap_or_default();
    let tags: Vec<String> = parts.map(str::to_string).collect();
    for tag in &tags {
        if let Ok(t) = normalize_hashtag(tag) {
            assert!(t.starts_with('#') && t.len() > 1, "{tag:?} gave {t:?}");
        }
    }
    match build_caption(body, &tags) {
        Ok(caption) => {
            assert!(utf16_len(&caption) <= MAX_CAPTION_UTF16);
            assert!(
                !caption
                    .chars()
                    .any(|c| c.is_control() && c != '\n' && c != '\t'),
                "{caption:?}"
            );
            for tag in &tags {
                let t = normalize_hashtag(tag).expect("accepted caption, valid tags");
                assert!(
                    caption.to_lowercase().contains(&t.to_lowercase()),
                    "{t:?} missing from {caption:?}"
                );
            }
        }
        Err(e) => {
            let _ = (e.to_string(), e.hint());
        }
    }
}

/// The import parser: first byte picks CSV or JSON; every row's fields, time and caption are
/// read as `postez import` reads them.
pub fn import(data: &[u8]) {
    let Some((first, rest)) = data.split_first() else {
        return;
    };
    let format = if first % 2 == 0 {
        Format::Csv
    } else {
        Format::Json
    };
    let text = String::from_utf8_lossy(rest);
    let now = Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap();
    match parse_rows(&text, format, "posts") {
        Ok(rows) => {
            for row in rows {
                let zone = match row.zone() {
                    Ok(z) => z.unwrap_or(chrono_tz::UTC),
                    Err(e) => {
                        let _ = e.to_string();
                        chrono_tz::UTC
                    }
                };
                if let Ok(options) = row.options() {
                    let _ = Platform::TikTok.rules().validate(&options, Some(2000));
                }
                let _ = when::parse(&row.at, now, zone);
                let _ = build_caption(row.caption.as_deref().unwrap_or_default(), &row.hashtags());
            }
        }
        Err(e) => {
            let _ = (e.to_string(), e.hint());
        }
    }
}

/// The token endpoint's answer: first two bytes are the HTTP status. Accepted tokens are not
/// empty, expire after "now", and survive the secret store's round trip.
pub fn token(data: &[u8]) {
    let (head, body) = data.split_at(data.len().min(2));
    let http = match head {
        [a, b] => 100 + u16::from_le_bytes([*a, *b]) % 500,
        _ => 200,
    };
    let now = Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap();
    match parse_token_answer("refresh the login", http, body, now) {
        Ok(tokens) => {
            assert!(!tokens.access_token.expose().is_empty());
            assert!(!tokens.refresh_token.expose().is_empty());
            assert!(
                tokens.access_expires_at >= now
                    && tokens.refresh_expires_at.is_none_or(|t| t >= now)
            );
            let back = postez::provider::Tokens::from_secret(
                &tokens.to_secret(),
                postez::provider::Platform::TikTok,
            )
            .expect("saved tokens read back");
            assert!(back == tokens, "round trip changed the tokens");
        }
        Err(e) => {
            let text = e.to_string();
            let _ = e.hint();
            // The message quotes the answer shortened, with no terminal escapes.
            assert!(text.chars().count() < 600, "{} chars", text.chars().count());
            assert!(!text.chars().any(char::is_control), "{text:?}");
        }
    }
}

/// A target's body.
pub type Target = fn(&[u8]);

/// Every target by name, for the corpus replay.
pub const TARGETS: &[(&str, Target)] = &[
    ("when", when_at),
    ("caption", caption),
    ("import", import),
    ("token", token),
];
