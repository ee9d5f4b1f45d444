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
