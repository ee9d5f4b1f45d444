//! The README's "Try it without a TikTok account" commands work as written: these tests run them
//! (with the freshly built binaries first on PATH instead of `cargo install`), once as a script
//! and once pasted whole into an interactive bash on a real pseudo-terminal, where a background
//! job that reads the terminal stops and a program that reads stdin eats the lines after it
//! (issue 10). Either way the demo leaves nothing behind: the fake is stopped and its files are
//! gone.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::TestEnv;

/// The demo's commands without the build steps (the reader's; the test uses the binaries cargo
/// already built), with its two ports swapped for free ones so that parallel runs (and other
/// checkouts' tests on this machine) do not collide. Nothing else is changed.
fn demo_script() -> (String, u16) {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = readme
        .split("## Try it without a TikTok account")
        .nth(1)
        .expect("the README has the demo section");
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .unwrap();
    let fake_port = free_port();
    let script = block
        .lines()
        .filter(|l| !l.starts_with("cargo "))
        .collect::<Vec<_>>()
        .join("\n")
        .replace("8080", &fake_port.to_string())
        .replace("8765", &free_port().to_string());
    (script, fake_port)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A temp folder laid out like a checkout (the fake at `target/debug/examples`), the PATH with
/// the built `postez` first, and the demo's own temp folder (TMPDIR) to check it is left empty.
fn demo_env() -> (TestEnv, String, PathBuf) {
    let bin = Path::new(env!("CARGO_BIN_EXE_postez"))
        .parent()
        .unwrap()
        .to_path_buf();
    let example = bin.join("examples/fake-tiktok");
    assert!(
        example.exists(),
        "build the examples first (`cargo build --examples`; tests/run does)"
    );
    let env = TestEnv::new();
    std::fs::create_dir_all(env.path("target/debug/examples")).unwrap();
    std::os::unix::fs::symlink(&example, env.path("target/debug/examples/fake-tiktok")).unwrap();
    let tmp = env.path("tmp");
    std::fs::create_dir(&tmp).unwrap();
    #[allow(clippy::disallowed_methods)]
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    (env, path, tmp)
}

fn demo_command(env: &TestEnv, path: &str, tmp: &Path, program: &str) -> Command {
    let mut command = Command::new(program);
    command
        .env_clear()
        .env("PATH", path)
        .env("HOME", env.path("home"))
        .env("TZ", "UTC")
        .env("TMPDIR", tmp)
        .current_dir(env.dir.path());
    command
}

/// Nothing left: the fake no longer listens, the demo's temp folder is gone, and the folder it
/// ran in holds only what the test put there.
#[track_caller]
fn assert_nothing_left(env: &TestEnv, tmp: &Path, fake_port: u16, transcript: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", fake_port)).is_ok() {
        assert!(
            Instant::now() < deadline,
            "the fake still listens after the demo:\n{transcript}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let left: Vec<_> = std::fs::read_dir(tmp).unwrap().collect();
    assert!(left.is_empty(), "the demo left {left:?}:\n{transcript}");
    let mut here: Vec<String> = std::fs::read_dir(env.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    here.sort();
    assert_eq!(here, ["home", "target", "tmp"], "{transcript}");
}

#[test]
fn the_readme_demo_runs_as_written() {
    let (script, fake_port) = demo_script();
    let (env, path, tmp) = demo_env();
    let out = demo_command(&env, &path, &tmp, "bash")
        .args(["-euo", "pipefail", "-c", &script])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let transcript = format!("{stdout}\n{stderr}");
    assert!(out.status.success(), "{transcript}");
    assert!(stdout.contains("Connected tiktok as"), "{stdout}");
    assert!(stdout.contains("\tpublished\t"), "{stdout}");
    assert!(stdout.contains("post 1  published"), "{stdout}");
    assert_nothing_left(&env, &tmp, fake_port, &transcript);
}

/// The README demo, run under a pseudo-terminal exactly as written, completes: util-linux
/// `script` gives an interactive bash a real terminal and types the whole demo into it at once,
/// as a paste does (no bracketed paste: the worst case, where every line waits in the terminal's
/// input for whoever reads it first).
#[test]
fn the_readme_demo_pasted_into_an_interactive_bash_on_a_terminal_completes() {
    if Command::new("script").arg("--version").output().is_err() {
        // tests/run installs util-linux's `script` when it is missing.
        eprintln!("SKIPPED: no `script` (util-linux) to make a pseudo-terminal");
        return;
    }
    let (script, fake_port) = demo_script();
    let (env, path, tmp) = demo_env();
    let mut child = demo_command(&env, &path, &tmp, "timeout")
        // A hung demo (a stopped job, a swallowed line) fails the test instead of hanging it.
        .args(["-k", "5", "120", "script", "-qec"])
        .arg("bash --norc --noprofile -i")
        .arg("/dev/null")
        .env("TERM", "xterm")
        .env("PS1", "demo$ ")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(format!("{script}\nexit\n").as_bytes())
            .unwrap();
    }
    let out: Output = child.wait_with_output().unwrap();
    // The terminal's transcript (echoed input, prompts, and what the commands drew).
    let transcript = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{:?}\n{transcript}", out.status);
    assert!(!transcript.contains("Stopped"), "{transcript}");
    assert!(!transcript.contains("command not found"), "{transcript}");
    assert!(transcript.contains("Connected tiktok as"), "{transcript}");
    assert!(transcript.contains("post 1  published"), "{transcript}");
    assert_nothing_left(&env, &tmp, fake_port, &transcript);
}
