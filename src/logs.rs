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

static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

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

/// Remember a secret value so that it is blanked wherever it would be logged.
pub fn register_secret(value: &str) {
    // Short values would blank innocent text; secrets postez handles are long.
    if value.len() < 8 {
        return;
    }
    if let Ok(mut secrets) = SECRETS.write()
        && !secrets.iter().any(|s| s == value)
    {
        secrets.push(value.to_string());
    }
}

fn is_value_char(c: char) -> bool {
    !(c.is_whitespace() || matches!(c, '&' | '"' | '\'' | ',' | ';' | '}' | ')' | '>' | '<'))
}

/// Blank every secret in `text`.
pub fn redact(text: &str) -> String {
    let mut out = text.to_string();
    if let Ok(secrets) = SECRETS.read() {
        for secret in secrets.iter() {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), REDACTED);
            }
        }
    }
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
