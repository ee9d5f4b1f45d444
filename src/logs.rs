//! Where log lines go and what they may contain. `run` appends to a size-rotated file in the
//! state folder; every line, to the file or to stderr, passes the redaction here first, so no
//! access or refresh token, code, verifier, client secret, passphrase or upload URL signature
//! reaches a log at any level. Two nets: every [`Secret`](crate::secrets::Secret) registers its
//! value when created (exact matches are blanked), and `key=value` / `Bearer …` / JSON shapes of
//! secret-bearing names are blanked whatever their value. Never prints.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";
/// Rotate the log file past this size.
pub const MAX_LOG_BYTES: u64 = 1024 * 1024;
/// Rotated files kept (`postez.log.1` … `.3`).
pub const KEEP_LOGS: usize = 3;

/// What redaction keeps of the secrets it must blank: no plaintext, only each secret's length,
/// a rolling hash to find candidates in a line, and a keyed SHA-256 to confirm them. A memory
/// dump of a long-running process therefore holds no copy of a token that has since been
/// dropped (and wiped) by its owner.
static SECRETS: RwLock<Option<Registry>> = RwLock::new(None);

struct Registry {
    /// Random per process: the digests are of no use outside it.
    key: [u8; 32],
    /// Base of the rolling hash, random and odd.
    base: u64,
    entries: Vec<Fingerprint>,
}

#[derive(PartialEq, Eq)]
struct Fingerprint {
    len: usize,
    rolling: u64,
    digest: [u8; 32],
}

impl Registry {
    fn new() -> Self {
        Self {
            key: rand::random(),
            base: rand::random::<u64>() | 1,
            entries: Vec::new(),
        }
    }

    fn rolling(&self, bytes: &[u8]) -> u64 {
        bytes.iter().fold(0u64, |h, &b| {
            h.wrapping_mul(self.base).wrapping_add(u64::from(b))
        })
    }

    fn digest(&self, bytes: &[u8]) -> [u8; 32] {
        use sha2::Digest;
        let mut hasher = sha2::Sha256::new();
        hasher.update(self.key);
        hasher.update(bytes);
        hasher.finalize().into()
    }

    /// Byte ranges of `text` that are registered secrets (Rabin–Karp, per distinct length).
    fn find(&self, text: &str) -> Vec<(usize, usize)> {
        let bytes = text.as_bytes();
        let mut found = Vec::new();
        let mut lens: Vec<usize> = self.entries.iter().map(|e| e.len).collect();
        lens.sort_unstable();
        lens.dedup();
        for len in lens.into_iter().filter(|&l| l <= bytes.len()) {
            let candidates: Vec<&Fingerprint> =
                self.entries.iter().filter(|e| e.len == len).collect();
            // base^(len-1): takes the byte leaving the window out of its hash.
            let top = (1..len).fold(1u64, |p, _| p.wrapping_mul(self.base));
            let mut hash = self.rolling(&bytes[..len]);
            for start in 0..=bytes.len() - len {
                if start > 0 {
                    let out = u64::from(bytes[start - 1]).wrapping_mul(top);
                    hash = hash
                        .wrapping_sub(out)
                        .wrapping_mul(self.base)
                        .wrapping_add(u64::from(bytes[start + len - 1]));
                }
                if candidates.iter().any(|c| c.rolling == hash)
                    && text.is_char_boundary(start)
                    && text.is_char_boundary(start + len)
                {
                    let digest = self.digest(&bytes[start..start + len]);
                    if candidates.iter().any(|c| c.digest == digest) {
                        found.push((start, start + len));
                    }
                }
            }
        }
        found
    }
}

/// Remember a secret so that it is blanked wherever it would be logged.
pub fn register_secret(value: &str) {
    // Short values would blank innocent text; secrets postez handles are long.
    if value.len() < 8 {
        return;
    }
    if let Ok(mut guard) = SECRETS.write() {
        let registry = guard.get_or_insert_with(Registry::new);
        let fingerprint = Fingerprint {
            len: value.len(),
            rolling: registry.rolling(value.as_bytes()),
            digest: registry.digest(value.as_bytes()),
        };
        if !registry.entries.contains(&fingerprint) {
            registry.entries.push(fingerprint);
        }
    }
}

/// Names whose values are secret in URLs, forms, headers and JSON.
const SECRET_NAMES: &[&str] = &[
    "access_token",
    "refresh_token",
    "client_secret",
    "code_verifier",
    "upload_token",
    "passphrase",
    "code",
    "token",
];

fn is_value_char(c: char) -> bool {
    !(c.is_whitespace() || matches!(c, '&' | '"' | '\'' | ',' | ';' | '}' | ')' | '>' | '<'))
}

/// Blank every secret in `text`.
pub fn redact(text: &str) -> String {
    let mut found = match SECRETS.read() {
        Ok(guard) => guard.as_ref().map(|r| r.find(text)).unwrap_or_default(),
        Err(_) => Vec::new(),
    };
    // Leftmost first, the longest at a given start; overlapping matches make one blank.
    found.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end) in found {
        if end <= at {
            continue;
        }
        if start >= at {
            out.push_str(&text[at..start]);
            out.push_str(REDACTED);
        }
        at = end;
    }
    out.push_str(&text[at..]);
    // `name=value`, `name: value`, `"name":"value"`, as whole words only.
    for name in SECRET_NAMES {
        out = blank_after(&out, name);
    }
    blank_bearer(&out)
}

fn blank_after(text: &str, name: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find(name) {
        let (before, after) = rest.split_at(pos);
        out.push_str(before);
        out.push_str(name);
        let mut tail = &after[name.len()..];
        let previous = before.chars().next_back();
        let word_start = if name == "code" {
            // Only the OAuth code of a URL or form: `?code=` / `&code=` (error codes stay).
            matches!(previous, Some('?' | '&'))
        } else {
            previous.is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'))
        };
        // Skip `"`, `=`, `:` and spaces between the name and its value.
        let sep_len = tail
            .char_indices()
            .find(|(_, c)| !matches!(c, '"' | '=' | ':' | ' '))
            .map_or(tail.len(), |(i, _)| i);
        let sep = &tail[..sep_len];
        if word_start && (sep.contains('=') || sep.contains(':')) && !sep.is_empty() {
            out.push_str(sep);
            tail = &tail[sep_len..];
            let value_len = tail
                .char_indices()
                .find(|(_, c)| !is_value_char(*c))
                .map_or(tail.len(), |(i, _)| i);
            if value_len > 0 {
                out.push_str(REDACTED);
                tail = &tail[value_len..];
            }
        }
        rest = tail;
    }
    out.push_str(rest);
    out
}

fn blank_bearer(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("Bearer ") {
        let (before, after) = rest.split_at(pos + "Bearer ".len());
        out.push_str(before);
        let tail = after;
        let value_len = tail
            .char_indices()
            .find(|(_, c)| !is_value_char(*c))
            .map_or(tail.len(), |(i, _)| i);
        out.push_str(REDACTED);
        rest = &tail[value_len..];
    }
    out.push_str(rest);
    out
}

/// An append-only log file that rotates past [`MAX_LOG_BYTES`], keeping [`KEEP_LOGS`] old ones.
#[derive(Debug)]
pub struct RotatingFile {
    path: PathBuf,
    file: Mutex<Option<std::fs::File>>,
}

impl RotatingFile {
    /// Open (creating the folder 0700 and the file 0600) `dir/postez.log`.
    pub fn open(dir: &Path) -> crate::Result<Self> {
        // The state folder first: one of another user's is refused before anything is made in it.
        if let Some(state) = dir.parent() {
            crate::env::ensure_private_dir(state)?;
        }
        crate::env::ensure_private_dir(dir)?;
        let path = dir.join("postez.log");
        let file = Self::open_file(&path)?;
        Ok(Self {
            path,
            file: Mutex::new(Some(file)),
        })
    }

    fn open_file(path: &Path) -> std::io::Result<std::fs::File> {
        let mut options = std::fs::OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options.open(path)
    }

    /// The current file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Append one (already redacted) chunk of text, rotating first when the file is full.
    pub fn append(&self, bytes: &[u8]) {
        let Ok(mut guard) = self.file.lock() else {
            return;
        };
        let full = guard
            .as_ref()
            .and_then(|f| f.metadata().ok())
            .is_some_and(|m| m.len() + bytes.len() as u64 > MAX_LOG_BYTES);
        if full {
            *guard = None;
            for i in (1..KEEP_LOGS).rev() {
                let _ = std::fs::rename(rotated(&self.path, i), rotated(&self.path, i + 1));
            }
            let _ = std::fs::rename(&self.path, rotated(&self.path, 1));
            *guard = Self::open_file(&self.path).ok();
        }
        if let Some(file) = guard.as_mut() {
            // A failing log write must never fail a publish.
            let _ = file.write_all(bytes);
        }
    }
}

fn rotated(path: &Path, i: usize) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(format!(".{i}"));
    PathBuf::from(name)
}

/// A `tracing` writer target: buffers one formatted event, redacts it, then writes it to
/// stderr and/or the log file.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    /// Standard error.
    Stderr,
    /// The log file.
    File(&'static RotatingFile),
}

/// One event being written; flushed (redacted) on drop.
#[derive(Debug)]
pub struct RedactingWriter {
    target: Target,
    buffer: Vec<u8>,
}

impl RedactingWriter {
    /// A writer for one event.
    pub fn new(target: Target) -> Self {
        Self {
            target,
            buffer: Vec::with_capacity(256),
        }
    }
}

impl Write for RedactingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for RedactingWriter {
    fn drop(&mut self) {
        if self.buffer.is_empty() {
            return;
        }
        let text = redact(&String::from_utf8_lossy(&self.buffer));
        match self.target {
            Target::Stderr => {
                let _ = std::io::stderr().lock().write_all(text.as_bytes());
            }
            Target::File(file) => file.append(text.as_bytes()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_secrets_and_secret_shapes_are_blanked() {
        register_secret("act.verysecretvalue123");
        let line = "sent act.verysecretvalue123 to https://x/upload/1?upload_token=abcdef123&x=1 \
                    with Authorization: Bearer zzz999888 and {\"refresh_token\":\"rft.qqq\"} ?code=a*b!c";
        let out = redact(line);
        for bad in [
            "act.verysecretvalue123",
            "abcdef123",
            "zzz999888",
            "rft.qqq",
            "a*b!c",
        ] {
            assert!(!out.contains(bad), "{bad} in {out}");
        }
        assert!(out.contains("x=1"), "{out}");
        // Ordinary words that contain a secret name are left alone.
        assert_eq!(
            redact("barcode=12 encode: x tokens"),
            "barcode=12 encode: x tokens"
        );
        // TikTok's error codes are useful in logs and stay.
        assert_eq!(
            redact("failed code=spam_risk_too_many_posts"),
            "failed code=spam_risk_too_many_posts"
        );
    }

    #[test]
    fn registered_secrets_are_found_anywhere_and_not_kept_in_plain() {
        let secret = "rft.a-registered-refresh-token-0042";
        register_secret(secret);
        register_secret("caf\u{e9}-\u{e9}t\u{e9}-secret");
        assert_eq!(
            redact(&format!("[{secret}]{secret}")),
            "[[redacted]][redacted]"
        );
        assert_eq!(redact(&format!("x{secret}")), "x[redacted]");
        assert_eq!(
            redact("\u{e9}caf\u{e9}-\u{e9}t\u{e9}-secret\u{e9}"),
            "\u{e9}[redacted]\u{e9}"
        );
        // A near miss stays: only the exact value is blanked.
        assert_eq!(
            redact("rft.a-registered-refresh-token-0043"),
            "rft.a-registered-refresh-token-0043"
        );
        // The registry holds digests only: no 8-byte run of the secret is in it.
        let guard = SECRETS.read().unwrap();
        let registry = guard.as_ref().unwrap();
        for entry in &registry.entries {
            let mut raw = entry.digest.to_vec();
            raw.extend(entry.rolling.to_le_bytes());
            let hit = raw
                .windows(8)
                .any(|w| secret.as_bytes().windows(8).any(|s| s == w));
            assert!(!hit, "plaintext in the registry");
        }
    }

    #[test]
    fn the_file_rotates_and_keeps_three() {
        let tmp = tempfile::tempdir().unwrap();
        // In a folder of its own: `open` makes the log folder's parent private too.
        let dir = tmp.path().join("logs");
        let file = RotatingFile::open(&dir).unwrap();
        let line = vec![b'x'; 300 * 1024];
        for _ in 0..20 {
            file.append(&line);
        }
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            ["postez.log", "postez.log.1", "postez.log.2", "postez.log.3"]
        );
        assert!(std::fs::metadata(file.path()).unwrap().len() <= MAX_LOG_BYTES);
    }
}
