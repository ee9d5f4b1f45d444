//! The provider seam holds (issue 11): the engine (`src/publish*`) and the CLI (`src/cli*`)
//! never name a TikTok or YouTube error code or status; `src/provider/tiktok/` and
//! `src/provider/youtube/` hold them all. The words checked are every code-shaped string literal
//! each provider reads, so a code added there is covered without editing this test.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `path` (or `path` itself).
fn rust_files(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// Where under `root` (the engine and the CLI) any of `codes` appears as a string literal.
fn in_engine_or_cli(root: &Path, codes: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    for place in ["publish", "publish.rs", "cli", "cli.rs", "main.rs"] {
        for file in rust_files(&root.join(place)) {
            let text = std::fs::read_to_string(&file).unwrap();
            for code in codes {
                if text.contains(&format!("\"{code}\"")) {
                    found.push(format!("{}: {code}", file.display()));
                }
            }
        }
    }
    found
}

/// Every string literal of `shape` in the files of the provider `dir` that read the platform's
/// answers (`codes.rs`, `steps.rs`), sorted and without repeats.
fn provider_codes(dir: &Path, shape: fn(&str) -> bool) -> Vec<String> {
    let mut codes: Vec<String> = rust_files(dir)
        .iter()
        .filter(|f| {
            let name = f.file_name().unwrap().to_string_lossy();
            name == "codes.rs" || name == "steps.rs"
        })
        .flat_map(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            text.split('"')
                .skip(1)
                .step_by(2)
                .filter(|s| shape(s))
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    codes.sort();
    codes.dedup();
    codes
}

/// Shaped like one of TikTok's API codes (`spam_risk_too_many_posts`) or statuses
/// (`PUBLISH_COMPLETE`, `FAILED`).
fn tiktok_shaped(s: &str) -> bool {
    let snake = s.contains('_')
        && s.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        && !s.starts_with('_');
    let shout = s.len() >= 4 && s.chars().all(|c| c.is_ascii_uppercase() || c == '_');
    snake || shout
}

#[test]
fn the_engine_and_the_cli_name_no_tiktok_code_or_status() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let codes = provider_codes(&root.join("provider/tiktok"), tiktok_shaped);
    for must in [
        "spam_risk_too_many_posts",
        "access_token_invalid",
        "PUBLISH_COMPLETE",
    ] {
        assert!(
            codes.iter().any(|c| c == must),
            "{must} not found in {codes:?}"
        );
    }
    let found = in_engine_or_cli(&root, &codes);
    assert!(
        found.is_empty(),
        "TikTok codes outside its provider: {found:#?}"
    );
}

/// A published post's address is the provider's to build (`Rules::post_url`): the engine, the
/// CLI and the post model name no platform's web address, so `list`, `show`, `history` and
/// `--json` show whatever the platform's module builds.
#[test]
fn the_engine_and_the_cli_build_no_platform_address() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    for place in [
        "publish",
        "publish.rs",
        "cli",
        "cli.rs",
        "main.rs",
        "post.rs",
        "store",
    ] {
        for file in rust_files(&root.join(place)) {
            let text = std::fs::read_to_string(&file).unwrap();
            for host in ["youtube.com", "youtu.be", "tiktok.com"] {
                if text.contains(host) {
                    found.push(format!("{}: {host}", file.display()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "platform addresses outside their provider: {found:#?}"
    );
}

/// YouTube's reasons are camelCase (`quotaExceeded`, `uploadLimitExceeded`, §3.3).
fn youtube_shaped(s: &str) -> bool {
    s.len() >= 6
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars().any(|c| c.is_ascii_uppercase())
        && s.chars().all(|c| c.is_ascii_alphanumeric())
}

#[test]
fn the_engine_and_the_cli_name_no_youtube_reason() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let codes = provider_codes(&root.join("provider/youtube"), youtube_shaped);
    for must in ["quotaExceeded", "uploadLimitExceeded"] {
        assert!(
            codes.iter().any(|c| c == must),
            "{must} not found in {codes:?}"
        );
    }
    let found = in_engine_or_cli(&root, &codes);
    assert!(
        found.is_empty(),
        "YouTube reasons outside its provider: {found:#?}"
    );
}
