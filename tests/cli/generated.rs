//! Help text, completions and man pages: generated from the clap definitions, and the committed
//! copies must be what the binary generates now.

use crate::support::TestEnv;

const SUBCOMMANDS: &[&str] = &[
    "connect",
    "accounts",
    "disconnect",
    "schedule",
    "list",
    "show",
    "edit",
    "cancel",
    "retry",
    "import",
    "run",
    "cron",
    "history",
    "export",
    "purge",
    "doctor",
    "config",
    "generate",
];

#[test]
fn every_command_has_help_with_examples() {
    let env = TestEnv::new();
    let top = env.run(&["--help"]);
    assert!(top.ok().contains("Exit status:"), "{}", top.stdout);
    for sub in SUBCOMMANDS {
        let help = env.run(&[sub, "--help"]);
        assert!(
            help.ok().contains("Example"),
            "`postez {sub} --help` has no example"
        );
    }
}

#[test]
fn committed_completions_are_fresh() {
    let env = TestEnv::new();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for (shell, file) in [
        ("bash", "postez.bash"),
        ("zsh", "_postez"),
        ("fish", "postez.fish"),
        ("powershell", "_postez.ps1"),
        ("elvish", "postez.elv"),
    ] {
        let now = env.run(&["generate", "completions", shell]);
        let committed =
            std::fs::read_to_string(root.join("completions").join(file)).unwrap_or_default();
        assert!(
            now.ok() == committed,
            "completions/{file} is stale: run `cargo run -- generate completions {shell} > completions/{file}`"
        );
    }
}

#[test]
fn committed_man_pages_are_fresh() {
    let env = TestEnv::new();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = env.path("man");
    env.run(&["generate", "man", "--dir", out.to_str().unwrap()])
        .ok();
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut committed: Vec<String> = std::fs::read_dir(root.join("man"))
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    committed.sort();
    assert_eq!(
        names, committed,
        "man/ is stale: run `cargo run -- generate man --dir man`"
    );
    for name in &names {
        let now = std::fs::read(out.join(name)).unwrap();
        let old = std::fs::read(root.join("man").join(name)).unwrap();
        assert!(
            now == old,
            "man/{name} is stale: run `cargo run -- generate man --dir man`"
        );
    }
    let page = String::from_utf8(std::fs::read(out.join("postez.1")).unwrap()).unwrap();
    assert!(page.contains("EXIT STATUS") && page.contains("POSTEZ_HOME"));
}

/// The committed man pages as (file name, text).
fn committed_man_pages() -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    let mut pages: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&path).unwrap())
        })
        .collect();
    pages.sort();
    pages
}

/// What a reader sees of a roff line, roughly: font changes dropped, `\-` as `-`.
fn plain_roff(text: &str) -> String {
    text.replace("\\fB", "")
        .replace("\\fI", "")
        .replace("\\fR", "")
        .replace("\\-", "-")
}

/// Every `name(1)` a page mentions (SUBCOMMANDS and SEE ALSO).
fn references(page: &str) -> Vec<String> {
    let text = plain_roff(page);
    let mut found = Vec::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("(1)") {
        let name: String = rest[..at]
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        if !name.is_empty() {
            found.push(name);
        }
        rest = &rest[at + 3..];
    }
    found
}

#[test]
fn every_man_page_reference_resolves() {
    let pages = committed_man_pages();
    let names: Vec<&str> = pages.iter().map(|(n, _)| n.as_str()).collect();
    // Nested subcommands have pages of their own.
    for nested in [
        "postez-config-get.1",
        "postez-config-set.1",
        "postez-config-list.1",
        "postez-config-path.1",
        "postez-cron-install.1",
        "postez-cron-remove.1",
        "postez-cron-show.1",
        "postez-generate-completions.1",
        "postez-generate-man.1",
    ] {
        assert!(names.contains(&nested), "man/{nested} is missing");
    }
    for (name, page) in &pages {
        if name != "postez.1" {
            assert!(page.contains(".SH \"SEE ALSO\""), "{name} has no SEE ALSO");
        }
        let refs = references(page);
        assert!(!refs.is_empty(), "{name} names no other page");
        for reference in refs {
            assert!(
                names.contains(&format!("{reference}.1").as_str()),
                "{name} refers to {reference}(1), which is not in man/"
            );
        }
    }
}

#[test]
fn man_pages_are_ascii_and_show_value_names() {
    for (name, page) in committed_man_pages() {
        if let Some((n, line)) = page.lines().enumerate().find(|(_, l)| !l.is_ascii()) {
            panic!("man/{name}:{} has raw non-ASCII: {line}", n + 1);
        }
        assert_eq!(
            page.matches(".ie \\n(.g .ds Aq").count(),
            1,
            "man/{name}: one preamble"
        );
    }
    let synopsis = |name: &str| {
        let page = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("man")
                .join(name),
        )
        .unwrap();
        let at = page.find(".SH SYNOPSIS\n").unwrap() + ".SH SYNOPSIS\n".len();
        plain_roff(page[at..].lines().next().unwrap())
    };
    let schedule = synopsis("postez-schedule.1");
    assert!(
        schedule.starts_with("postez schedule [--tz <ZONE>] [-c|--caption <TEXT>]"),
        "{schedule}"
    );
    assert!(
        schedule.ends_with("[GLOBAL OPTIONS] --at <WHEN> <FILE>"),
        "{schedule}"
    );
    let top = synopsis("postez.1");
    assert!(
        top.contains("[--color <WHEN>]") && top.contains("[-v|--verbose...]"),
        "{top}"
    );
    assert!(synopsis("postez-config-set.1").contains("<KEY> <VALUE>"));
    // The exit codes' "…" became three dots, not a raw character or a dropped one.
    let pages = committed_man_pages();
    let (_, top) = pages.iter().find(|(n, _)| n == "postez.1").unwrap();
    assert!(plain_roff(top).contains("unknown post id, \\&...)"));
}

/// `groff` with every warning on, discarding the output: a clean run prints nothing.
#[test]
fn groff_finds_nothing_to_warn_about_in_any_man_page() {
    if std::process::Command::new("groff")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED: groff is not installed (`bash tests/run` installs groff-base)");
        return;
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    let check = |path: &std::path::Path, device: &[&str]| {
        let out = std::process::Command::new("groff")
            .args(["-man", "-ww", "-z"])
            .args(device)
            .arg(path)
            .output()
            .expect("run groff");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // The check can fail: a raw non-ASCII character and an unknown escape are both reported.
    let bad = std::env::temp_dir().join(format!("postez-bad-{}.1", std::process::id()));
    std::fs::write(&bad, ".TH BAD 1\n.SH NAME\nbad \\- caf\u{e9} \\[nosuch]\n").unwrap();
    let (_, warnings) = check(&bad, &[]);
    std::fs::remove_file(&bad).unwrap();
    assert!(
        warnings.contains("warning"),
        "groff -ww said nothing: {warnings}"
    );
    for (name, _) in committed_man_pages() {
        // The default device, and the one `man` uses on a UTF-8 terminal.
        for device in [&[][..], &["-Tutf8"][..]] {
            let (ok, warnings) = check(&dir.join(&name), device);
            assert!(
                ok && warnings.is_empty(),
                "groff -man -ww -z {device:?} man/{name}:\n{warnings}"
            );
        }
    }
}

/// Every command path below `postez`, found from the help itself: `["config", "get"]`, …
fn command_paths(env: &TestEnv, path: &[String], found: &mut Vec<Vec<String>>) {
    let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
    args.push("--help");
    let help = env.run(&args).ok().to_owned();
    let Some(at) = help.find("\nCommands:\n") else {
        return;
    };
    for line in help[at + "\nCommands:\n".len()..].lines() {
        if !line.starts_with("  ") {
            break;
        }
        let name = line.split_whitespace().next().unwrap();
        // A wrapped description continues further right; `help` has no page or options.
        if line.starts_with("   ") || name == "help" {
            continue;
        }
        let mut sub = path.to_vec();
        sub.push(name.to_owned());
        found.push(sub.clone());
        command_paths(env, &sub, found);
    }
}

#[test]
fn global_options_have_their_own_heading_in_every_help() {
    let env = TestEnv::new();
    let mut paths = vec![Vec::new()];
    command_paths(&env, &[], &mut paths);
    assert!(paths.contains(&vec!["config".to_owned(), "get".to_owned()]));
    assert!(paths.len() > SUBCOMMANDS.len(), "{paths:?}");
    for path in paths {
        for flag in ["-h", "--help"] {
            let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
            args.push(flag);
            let help = env.run(&args).ok().to_owned();
            let (own, global) = help
                .split_once("\nGlobal Options:\n")
                .unwrap_or_else(|| panic!("no Global Options in `postez {args:?}`:\n{help}"));
            // The option lines of each heading (descriptions may mention flags in prose).
            let flags = |text: &str| -> String {
                text.lines()
                    .filter(|l| l.trim_start().starts_with('-'))
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            let (own, global) = (flags(own), flags(global));
            for option in ["--json", "--verbose", "--quiet", "--color", "--log-format"] {
                assert!(
                    !own.contains(option),
                    "{option} among the own options of {args:?}"
                );
                assert!(
                    global.contains(option),
                    "{option} not a global option of {args:?}"
                );
            }
        }
    }
}

/// The README's install section, run as written after a `cargo install` (the binary in a fresh
/// `~/.cargo/bin`): the man pages land where `man` finds them, and so do the completions.
#[test]
fn readme_installs_man_pages_and_completions_after_cargo_install() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(
        !readme.contains("cargo install --path"),
        "the README must say `cargo install --locked`: Cargo.lock is otherwise ignored"
    );
    let section = readme
        .split("## Install and run")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .unwrap();
    assert!(section.contains("cargo install --locked --path ."));
    let script: String = section
        .split("```sh\n")
        .skip(1)
        .filter_map(|b| b.split("```").next())
        .flat_map(str::lines)
        .filter(|l| !l.starts_with("cargo "))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(script.contains("postez generate man"), "{script}");
    let env = TestEnv::new();
    let home = env.path("home");
    let bin = home.join(".cargo/bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_postez"), bin.join("postez")).unwrap();
    let path = format!("{}:/usr/local/bin:/usr/bin:/bin", bin.display());
    let out = std::process::Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .env_clear()
        .env("HOME", &home)
        .env("PATH", &path)
        .current_dir(env.dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let man1 = home.join(".cargo/share/man/man1");
    for (name, page) in committed_man_pages() {
        assert_eq!(std::fs::read_to_string(man1.join(&name)).unwrap(), page);
    }
    for file in [
        ".local/share/bash-completion/completions/postez",
        ".zfunc/_postez",
        ".config/fish/completions/postez.fish",
    ] {
        let text = std::fs::read_to_string(home.join(file)).unwrap();
        assert!(text.contains("postez"), "{file}");
    }
    // `man` itself finds a nested page there, with no MANPATH set.
    match std::process::Command::new("man")
        .args(["-w", "postez-config-get"])
        .env_clear()
        .env("HOME", &home)
        .env("PATH", &path)
        .output()
    {
        Ok(out) => assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            man1.join("postez-config-get.1").display().to_string(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(_) => eprintln!("SKIPPED the `man -w` check: man is not installed"),
    }
}
