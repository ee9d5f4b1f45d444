//! The README's "Try it without a TikTok account" commands work as written: this test runs
//! them (with the freshly built binaries first on PATH instead of `cargo install`).

use std::path::Path;

use crate::support::TestEnv;

#[test]
fn the_readme_demo_runs_as_written() {
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
    // Build steps are the reader's; the test uses the binaries cargo already built.
    let script: String = block
        .lines()
        .filter(|l| !l.starts_with("cargo "))
        .collect::<Vec<_>>()
        .join("\n");
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
    #[allow(clippy::disallowed_methods)]
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = std::process::Command::new("bash")
        .args(["-euo", "pipefail", "-c", &format!("{script}\nkill %1")])
        .env_clear()
        .env("PATH", path)
        .env("HOME", env.path("home"))
        .env("TZ", "UTC")
        .current_dir(env.dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("Connected tiktok as"), "{stdout}");
    assert!(stdout.contains("\tpublished\t"), "{stdout}");
    assert!(stdout.contains("post 1  published"), "{stdout}");
}
