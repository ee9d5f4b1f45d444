//! Test support: `TestEnv` runs the real `postez` binary in a private, empty environment, and
//! `media()` makes real videos with ffmpeg (cached on disk across test processes).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::fake_tiktok;

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
        let mut env = Self { dir, env };
        // A developer's aid: the whole suite against a shared queue (tests that read the SQLite
        // file itself fail there, by design). `POSTEZ_CLI_ON_POSTGRES=1 bash tests/run`.
        #[allow(clippy::disallowed_methods)]
        if std::env::var("POSTEZ_CLI_ON_POSTGRES").is_ok()
            && let Some(url) = shared_queue()
        {
            env.set("POSTEZ_DATABASE_URL", &url);
        }
        env
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

    /// Schedule `file` as a SELF_ONLY direct post (repeats of a video allowed) and return its
    /// JSON.
    pub fn schedule(&self, file: &Path, at: &str, extra: &[&str]) -> serde_json::Value {
        let file = file.to_str().unwrap();
        let mut args = vec!["schedule", file, "--at", at, "--json"];
        if !extra.contains(&"--draft") && !extra.contains(&"--privacy") {
            args.extend(["--privacy", "SELF_ONLY"]);
        }
        if !extra.contains(&"--draft") && !extra.contains(&"--yes") {
            args.push("--yes");
        }
        // Tests queue the same few videos again and again; the repeat check has its own tests.
        args.push("--allow-duplicate");
        args.extend(extra);
        self.run(&args).json()
    }

    /// Run postez on a real pseudo-terminal (util-linux `script`, 100 columns), typing `input`
    /// into it: exit code and the terminal's transcript. `None` (with a SKIPPED note) where
    /// `script` is missing; tests/run installs it.
    pub fn run_in_pty(&self, args: &[&str], input: &str) -> Option<(Option<i32>, String)> {
        use std::io::Write;
        if Command::new("script").arg("--version").output().is_err() {
            eprintln!("SKIPPED: no `script` (util-linux) to make a pseudo-terminal");
            return None;
        }
        let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
        let mut line = format!(
            "stty cols 100 rows 24; exec {}",
            quote(env!("CARGO_BIN_EXE_postez"))
        );
        for arg in args {
            line.push(' ');
            line.push_str(&quote(arg));
        }
        let mut child = Command::new("script")
            .args(["-qec", &line, "/dev/null"])
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .env("TERM", "xterm")
            .current_dir(self.dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("run script");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        Some((
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        ))
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
    /// 4 minutes, vertical: within TikTok's 10 minutes, too long for a YouTube Short.
    FourMinutes,
    /// MPEG-4 Part 2 video (not a codec TikTok takes).
    Mpeg4,
    /// H.264 in Matroska (`-f matroska`, EBML DocType `matroska`): not WebM.
    Mkv,
    /// H.264 in a file that says it is WebM (the Matroska file above with its DocType
    /// rewritten): WebM carries only VP8, VP9 and AV1, and ffmpeg will not write this itself.
    H264Webm,
    /// The first half of an MP4 whose index is at the end.
    Truncated,
    /// About 24 MB: one chunk between 5 and 64 MB.
    Mid,
    /// About 80 MB: more than 64 MB, so several chunks.
    Large,
    /// About 40 MB: five of YouTube's 8 MiB chunks (issue 12's "~40 MB video").
    Forty,
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
        Media::FourMinutes => "four-minutes.mp4",
        Media::Mpeg4 => "mpeg4.mp4",
        Media::Mkv => "h264.mkv",
        Media::H264Webm => "h264.webm",
        Media::Truncated => "truncated.mp4",
        Media::Mid => "mid.mp4",
        Media::Large => "large.mp4",
        Media::Forty => "forty.mp4",
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
        Media::Long | Media::FourMinutes => {
            let src = if let Media::Long = kind {
                "color=c=black:s=360x640:r=24:d=660"
            } else {
                "color=c=black:s=360x640:r=24:d=240"
            };
            let mut args = SRC.to_vec();
            args.push(src);
            args.extend(x264);
            args.extend(["-tune", "stillimage", "-f", "mp4"]);
            ffmpeg(&args, &tmp);
        }
        Media::Mid | Media::Large | Media::Forty => {
            // Lossless H.264 of a busy test pattern: big files, fast to make (~2 MB a second).
            let secs = match kind {
                Media::Mid => 12,
                Media::Forty => 20,
                _ => 40,
            };
            let src = format!("testsrc2=duration={secs}:size=1280x720:rate=30");
            let mut args = SRC.to_vec();
            args.push(&src);
            args.extend([
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-qp",
                "0",
                "-pix_fmt",
                "yuv420p",
                "-f",
                "mp4",
            ]);
            ffmpeg(&args, &tmp);
        }
        Media::Mpeg4 => {
            let src = testsrc("360x640", 30, 2);
            let mut args = SRC.to_vec();
            args.push(&src);
            args.extend(["-c:v", "mpeg4", "-f", "mp4"]);
            ffmpeg(&args, &tmp);
        }
        Media::Mkv | Media::H264Webm => {
            let src = testsrc("360x640", 30, 2);
            let mut args = SRC.to_vec();
            args.push(&src);
            args.extend(x264);
            args.extend(["-f", "matroska"]);
            ffmpeg(&args, &tmp);
            if let Media::H264Webm = kind {
                // DocType "matroska" (ID 42 82, size 8) becomes "webm" (size 4) plus a 4-byte
                // EBML Void element (ID EC, size 2), so no other offset moves.
                let mut bytes = std::fs::read(&tmp).unwrap();
                let from = b"\x42\x82\x88matroska";
                let at = bytes
                    .windows(from.len())
                    .position(|w| w == from)
                    .expect("ffmpeg writes DocType matroska");
                bytes[at..at + from.len()].copy_from_slice(b"\x42\x82\x84webm\xec\x82\0\0");
                std::fs::write(&tmp, bytes).unwrap();
            }
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

/// The project's strict fake TikTok, running on its own runtime for the length of a test.
pub struct Fake {
    pub rt: tokio::runtime::Runtime,
    pub server: fake_tiktok::FakeTikTok,
    pub open_id: String,
}

impl Fake {
    /// Start a fake with a unique user (tests share one keyring) and tweaked options.
    pub fn start(tweak: impl FnOnce(&mut fake_tiktok::FakeOptions)) -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let open_id = format!("open-{}-{}", std::process::id(), rand_suffix());
        let mut opts = fake_tiktok::FakeOptions::default();
        opts.user.open_id = open_id.clone();
        opts.user.display_name = "Pasta Chef".into();
        opts.user.creator_nickname = "pasta.chef".into();
        opts.user.creator_username = "pastachef".into();
        tweak(&mut opts);
        let server = rt.block_on(fake_tiktok::FakeTikTok::start(opts)).unwrap();
        Self {
            rt,
            server,
            open_id,
        }
    }

    /// Point `env` at this fake, with the app's credentials in the environment.
    pub fn configure(&self, env: &mut TestEnv) {
        env.set("POSTEZ_TIKTOK_AUTH_URL", &self.server.authorize_url());
        env.set("POSTEZ_TIKTOK_API_URL", &self.server.base_url());
        env.set("POSTEZ_TIKTOK_CLIENT_KEY", "fake_client_key");
        env.set("POSTEZ_TIKTOK_CLIENT_SECRET", "fake_client_secret");
    }

    pub fn state(&self) -> fake_tiktok::Snapshot {
        self.server.state()
    }

    /// Play the browser: open the authorize URL and return where TikTok redirects to.
    pub fn authorize(&self, url: &str) -> String {
        self.rt.block_on(async {
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            let response = client.get(url).send().await.unwrap();
            assert!(
                response.status().is_redirection(),
                "authorize answered {}",
                response.status()
            );
            response.headers()["location"].to_str().unwrap().to_string()
        })
    }

    /// GET a URL (the loopback callback) and return (status, body).
    pub fn get(&self, url: &str) -> (u16, String) {
        self.rt.block_on(async {
            let response = reqwest::get(url).await.unwrap();
            let status = response.status().as_u16();
            (status, response.text().await.unwrap_or_default())
        })
    }
}

/// A `postez connect tiktok --no-browser` in progress, driven like a script would.
pub struct Connecting {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
    stderr: Vec<String>,
    pub url: String,
}

impl Connecting {
    /// Start connect and wait for the authorize URL on its own stderr line.
    pub fn start(env: &TestEnv, extra: &[&str]) -> Result<Self, Run> {
        Self::start_platform(env, "tiktok", extra)
    }

    /// Like [`Connecting::start`] for `platform` (`youtube`).
    pub fn start_platform(env: &TestEnv, platform: &str, extra: &[&str]) -> Result<Self, Run> {
        let mut args = vec!["connect", platform, "--no-browser"];
        args.extend(extra);
        Self::spawn(env.command(&args))
    }

    /// Like [`Connecting::start`] for a prepared command (e.g. postez run under GNU time).
    pub fn spawn(mut command: Command) -> Result<Self, Run> {
        use std::io::BufRead;
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                let _ = tx.send(line);
            }
        });
        let mut seen = Vec::new();
        loop {
            match lines.recv_timeout(std::time::Duration::from_secs(20)) {
                Ok(line) if line.starts_with("http://") || line.starts_with("https://") => {
                    let url = line.clone();
                    seen.push(line);
                    return Ok(Self {
                        child,
                        lines,
                        stderr: seen,
                        url,
                    });
                }
                Ok(line) => seen.push(line),
                Err(_) => {
                    let out = child.wait_with_output().unwrap();
                    return Err(Run {
                        code: out.status.code().unwrap_or(-1),
                        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                        stderr: seen.join("\n"),
                    });
                }
            }
        }
    }

    /// Wait for the command to end.
    pub fn finish(mut self) -> Run {
        let mut stdout = String::new();
        use std::io::Read;
        if let Some(mut out) = self.child.stdout.take() {
            let _ = out.read_to_string(&mut stdout);
        }
        let status = self.child.wait().unwrap();
        while let Ok(line) = self.lines.recv_timeout(std::time::Duration::from_secs(5)) {
            self.stderr.push(line);
        }
        Run {
            code: status.code().unwrap_or(-1),
            stdout,
            stderr: self.stderr.join("\n"),
        }
    }
}

impl TestEnv {
    /// A TestEnv that can reach the test session's Secret Service.
    pub fn with_keyring() -> Option<Self> {
        #[allow(clippy::disallowed_methods)]
        let bus = std::env::var("DBUS_SESSION_BUS_ADDRESS").ok();
        #[allow(clippy::disallowed_methods)]
        let required = std::env::var("POSTEZ_REQUIRE_KEYRING").is_ok();
        let Some(bus) = bus else {
            assert!(
                !required,
                "POSTEZ_REQUIRE_KEYRING is set but there is no D-Bus session"
            );
            eprintln!("SKIPPED: no D-Bus session bus (run the suite with `bash tests/run`)");
            return None;
        };
        let mut env = Self::new();
        env.set("DBUS_SESSION_BUS_ADDRESS", &bus);
        #[allow(clippy::disallowed_methods)]
        if let Ok(dir) = std::env::var("XDG_RUNTIME_DIR") {
            env.set("XDG_RUNTIME_DIR", &dir);
        }
        Some(env)
    }

    /// Connect to `fake` end to end (URL from stderr, browser played by the test).
    pub fn connect(&self, fake: &Fake, extra: &[&str]) -> Run {
        let connecting = match Connecting::start(self, extra) {
            Ok(c) => c,
            Err(run) => return run,
        };
        let callback = fake.authorize(&connecting.url);
        fake.get(&callback);
        connecting.finish()
    }
}

/// SHA-256 of a file, hex.
pub fn sha256_file(path: &Path) -> String {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    let mut file = std::fs::File::open(path).unwrap();
    std::io::copy(&mut file, &mut hasher).unwrap();
    hex::encode(hasher.finalize())
}

impl Fake {
    /// A TestEnv pointed at this fake (encrypted file store, fast polls and retries), not
    /// connected yet.
    pub fn env(&self) -> TestEnv {
        let mut env = TestEnv::new();
        self.configure(&mut env);
        env.set("POSTEZ_TOKEN_STORE", "file");
        env.set("POSTEZ_PASSPHRASE", "correct horse battery staple");
        env.set("POSTEZ_POLL_INTERVAL", "20ms");
        env.set("POSTEZ_CHUNK_BACKOFF", "20ms");
        env.set("POSTEZ_RATE_WINDOW", "100ms");
        env
    }

    /// A connected TestEnv (see [`Fake::env`]).
    pub fn connected(&self) -> TestEnv {
        let env = self.env();
        let run = env.connect(self, &[]);
        assert_eq!(run.code, 0, "{run:?}");
        env
    }

    /// Publishes the fake saw complete, per final status.
    pub fn finished(&self) -> Vec<fake_tiktok::PublishInfo> {
        self.state()
            .publishes
            .into_iter()
            .filter(|p| p.status == "PUBLISH_COMPLETE" || p.status == "SEND_TO_USER_INBOX")
            .collect()
    }
}

/// A fresh, empty shared queue: a schema of its own on the test server, as a URL whose
/// connections use it. `None` (the test is skipped) only outside `tests/run`.
pub fn shared_queue() -> Option<String> {
    #[allow(clippy::disallowed_methods)]
    let url = std::env::var("POSTEZ_TEST_DATABASE_URL").ok();
    #[allow(clippy::disallowed_methods)]
    let required = std::env::var("POSTEZ_REQUIRE_KEYRING").is_ok();
    let Some(url) = url else {
        assert!(
            !required,
            "tests/run must start PostgreSQL (POSTEZ_TEST_DATABASE_URL)"
        );
        eprintln!("SKIPPED: no PostgreSQL server (run the suite with `bash tests/run`)");
        return None;
    };
    let schema = format!("s{}", hex::encode(rand::random::<[u8; 6]>()));
    let status = std::process::Command::new("psql")
        .args([
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            &url,
            "-c",
            &format!("CREATE SCHEMA {schema}"),
        ])
        .status()
        .expect("psql");
    assert!(status.success(), "could not create schema {schema}");
    Some(format!("{url}?options=-c%20search_path%3D{schema}"))
}
