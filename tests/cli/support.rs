//! Test support: `TestEnv` runs the real `postez` binary in a private, empty environment, and
//! `media()` makes real videos with ffmpeg (cached on disk across test processes).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The fixed "now" of tests that care about time: a Wednesday, 10:00 UTC.
pub const NOW: &str = "2026-11-25T10:00:00Z";

/// A postez home in a temp folder, and the environment the binary runs with.
pub struct TestEnv {
    pub dir: tempfile::TempDir,
    pub env: Vec<(String, String)>,
}

/// What a command did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Assert success and return stdout.
    #[track_caller]
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "expected success:\n{self:?}");
        &self.stdout
    }

    /// Assert failure with `code` and return stderr.
    #[track_caller]
    pub fn fails(&self, code: i32) -> &str {
        assert_eq!(self.code, code, "expected exit {code}:\n{self:?}");
        &self.stderr
    }

    /// stdout parsed as JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.ok()).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }
}

impl TestEnv {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        let env = vec![
            ("HOME".into(), home.display().to_string()),
            (
                "POSTEZ_HOME".into(),
                dir.path().join("postez").display().to_string(),
            ),
            ("POSTEZ_NOW".into(), NOW.into()),
            // Tests may read their own environment; only the product is limited to env.rs.
            #[allow(clippy::disallowed_methods)]
            ("PATH".into(), std::env::var("PATH").unwrap_or_default()),
            ("NO_COLOR".into(), "1".into()),
            ("COLUMNS".into(), "100".into()),
            ("TZ".into(), "UTC".into()),
        ];
        Self { dir, env }
    }

    /// Set (or replace) an environment variable for later commands.
    pub fn set(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.into(), value.into()));
    }

    /// Remove an environment variable for later commands.
    pub fn unset(&mut self, key: &str) {
        self.env.retain(|(k, _)| k != key);
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("postez")
    }

    pub fn db(&self) -> PathBuf {
        self.home().join("postez.db")
    }

    /// A path inside the test's temp folder.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_postez"));
        cmd.args(args)
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .current_dir(self.dir.path())
            .stdin(Stdio::null());
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        let out: Output = self.command(args).output().expect("run postez");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Schedule `file` as a SELF_ONLY direct post and return its JSON.
    pub fn schedule(&self, file: &Path, at: &str, extra: &[&str]) -> serde_json::Value {
        let file = file.to_str().unwrap();
        let mut args = vec!["schedule", file, "--at", at, "--json"];
        if !extra.contains(&"--draft") && !extra.contains(&"--privacy") {
            args.extend(["--privacy", "SELF_ONLY"]);
        }
        if !extra.contains(&"--draft") && !extra.contains(&"--yes") {
            args.push("--yes");
        }
        args.extend(extra);
        self.run(&args).json()
    }

    /// The database file's bytes (after the last command closed it).
    pub fn db_bytes(&self) -> Vec<u8> {
        std::fs::read(self.db()).unwrap_or_default()
    }

    /// Run a raw SQL statement on the queue (to set up states no command reaches yet).
    pub fn sql(&self, sql: &str) {
        let conn = rusqlite::Connection::open(self.db()).unwrap();
        conn.execute_batch(sql).unwrap();
    }
}

/// Kinds of test video.
#[derive(Debug, Clone, Copy)]
pub enum Media {
    /// 2 s, 360×640, 30 fps, H.264 MP4.
    Mp4,
    /// The same as a QuickTime MOV.
    Mov,
    /// 2 s VP9 WebM.
    Webm,
    /// 200×200 pixels.
    Small,
    /// 15 fps.
    Fps15,
    /// 11 minutes long.
    Long,
    /// MPEG-4 Part 2 video (not a codec TikTok takes).
    Mpeg4,
    /// The first half of an MP4 whose index is at the end.
    Truncated,
}

fn ffmpeg(args: &[&str], out: &Path) {
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .arg(out)
        .status()
        .expect("ffmpeg is needed for the tests (the README's test command installs it)");
    assert!(status.success(), "ffmpeg failed for {}", out.display());
}

const SRC: &[&str] = &["-f", "lavfi", "-i"];

/// A real video of `kind`, made by ffmpeg once and shared by every test process.
pub fn media(kind: Media) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("media");
    std::fs::create_dir_all(&dir).unwrap();
    let name = match kind {
        Media::Mp4 => "tiny.mp4",
        Media::Mov => "tiny.mov",
        Media::Webm => "tiny.webm",
        Media::Small => "small.mp4",
        Media::Fps15 => "fps15.mp4",
        Media::Long => "long.mp4",
        Media::Mpeg4 => "mpeg4.mp4",
        Media::Truncated => "truncated.mp4",
    };
    let path = dir.join(name);
    if path.exists() {
        return path;
    }
    // Write under a unique name, then rename: concurrent test processes never see half a file.
    let tmp = dir.join(format!("{}.{}.{name}", std::process::id(), rand_suffix()));
    let x264 = [
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
    ];
    let testsrc = |size: &str, rate: u32, secs: u32| {
        format!("testsrc=duration={secs}:size={size}:rate={rate}")
    };
    match kind {
        Media::Mp4 | Media::Truncated => {
            let src = testsrc("360x640", 30, 2);
            let mut args = SRC.to_vec();
            args.push(&src);
            args.extend(x264);
            args.extend(["-f", "mp4"]);
            ffmpeg(&args, &tmp);
            if let Media::Truncated = kind {
                let bytes = std::fs::read(&tmp).unwrap();
                std::fs::write(&tmp, &bytes[..bytes.len() / 2]).unwrap();
            }
        }
        Media::Mov => {
            let src = testsrc("360x640", 30, 2);
            let mut args = SRC.to_vec();
            args.push(&src);
            args.extend(x264);
            args.extend(["-f", "mov"]);
            ffmpeg(&args, &tmp);
        }
        Media::Webm => {
            let src = testsrc("360x640", 30, 2);
            let mut args = SRC.to_vec();
            args.push(&src);
            args.extend([
                "-c:v",
                "libvpx-vp9",
                "-b:v",
                "200k",
                "-deadline",
                "realtime",
                "-f",
                "webm",
            ]);
            ffmpeg(&args, &tmp);
        }
        Media::Small => {
            let src = testsrc("200x200", 30, 2);
            let mut args = SRC.to_vec();
            args.push(&src);
            args.extend(x264);
            args.extend(["-f", "mp4"]);
            ffmpeg(&args, &tmp);
        }
        Media::Fps15 => {
            let src = testsrc("360x640", 15, 2);
            let mut args = SRC.to_vec();
            args.push(&src);
            args.extend(x264);
            args.extend(["-f", "mp4"]);
            ffmpeg(&args, &tmp);
        }
        Media::Long => {
            let src = "color=c=black:s=360x640:r=24:d=660";
            let mut args = SRC.to_vec();
            args.push(src);
            args.extend(x264);
            args.extend(["-tune", "stillimage", "-f", "mp4"]);
            ffmpeg(&args, &tmp);
        }
        Media::Mpeg4 => {
            let src = testsrc("360x640", 30, 2);
            let mut args = SRC.to_vec();
            args.push(&src);
            args.extend(["-c:v", "mpeg4", "-f", "mp4"]);
            ffmpeg(&args, &tmp);
        }
    }
    std::fs::rename(&tmp, &path).unwrap();
    path
}

fn rand_suffix() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}
