//! Secrets stay secret: after a full connect → schedule → refresh → disconnect cycle at the
//! highest verbosity, no token, code, verifier, client secret or passphrase appears in anything
//! postez wrote or printed.

use std::path::Path;

use crate::support::{Fake, Media, Run, TestEnv, media};

const PASSPHRASE: &str = "correct horse battery staple";

fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn cycle(env: &TestEnv, fake: &Fake, outputs: &mut Vec<(String, Run)>) {
    let mut record = |name: &str, run: Run| outputs.push((name.to_string(), run));
    let run = env.connect(fake, &["-vv"]);
    assert_eq!(run.code, 0, "{run:?}");
    record("connect", run);
    record(
        "schedule",
        env.run(&[
            "-vv",
            "schedule",
            media(Media::Mp4).to_str().unwrap(),
            "--at",
            "now",
            "--privacy",
            "SELF_ONLY",
            "--yes",
        ]),
    );
    let run = env.run(&["-vv", "run"]);
    assert_eq!(run.code, 0, "{run:?}");
    record("run", run);
    fake.server.expire_access_tokens();
    let run = env.run(&["-vv", "accounts", "--check"]);
    assert_eq!(run.code, 0, "{run:?}");
    record("accounts --check", run);
    record("accounts --json", env.run(&["-vv", "accounts", "--json"]));
    record("list --json", env.run(&["-vv", "list", "--json"]));
    record("show --json", env.run(&["-vv", "show", "1", "--json"]));
    record("config list", env.run(&["-vv", "config", "list", "--json"]));
    record("export", env.run(&["-vv", "export"]));
    let export = env.path("export.json");
    record(
        "export --output",
        env.run(&["-vv", "export", "--output", export.to_str().unwrap()]),
    );
    record(
        "export file",
        Run {
            code: 0,
            stdout: std::fs::read_to_string(&export).unwrap(),
            stderr: String::new(),
        },
    );
    record("history", env.run(&["-vv", "history", "--json"]));
    record("doctor --json", env.run(&["-vv", "doctor", "--json"]));
    let run = env.run(&["-vv", "disconnect", "tiktok"]);
    assert_eq!(run.code, 0, "{run:?}");
    record("disconnect", run);
}

#[test]
fn no_secret_reaches_any_output_or_file() {
    let fake = Fake::start(|_| {});
    let mut env = TestEnv::new();
    fake.configure(&mut env);
    env.set("POSTEZ_TOKEN_STORE", "file");
    env.set("POSTEZ_PASSPHRASE", PASSPHRASE);
    let mut outputs = Vec::new();
    cycle(&env, &fake, &mut outputs);
    // Once more with every library's logs on.
    env.set("RUST_LOG", "trace");
    cycle(&env, &fake, &mut outputs);

    let state = fake.state();
    let mut secrets: Vec<String> = state.tokens.iter().map(|t| t.token.clone()).collect();
    secrets.extend(state.secrets_seen.iter().cloned());
    secrets.push("fake_client_secret".into());
    secrets.push(PASSPHRASE.into());
    assert!(state.refresh_calls >= 2, "the cycle refreshed");
    assert!(secrets.len() >= 10, "{secrets:?}");

    let mut leaks = Vec::new();
    for (name, run) in &outputs {
        for secret in &secrets {
            if run.stdout.contains(secret.as_str()) || run.stderr.contains(secret.as_str()) {
                leaks.push(format!("{name} printed {secret}"));
            }
        }
    }
    let mut files = Vec::new();
    files_under(&env.home(), &mut files);
    // The run kept a log, and it was scanned too.
    assert!(
        files.iter().any(|f| f.ends_with("logs/postez.log")),
        "{files:?}"
    );
    // The scan can see what is there: the (public) open_id is in the database.
    let db = String::from_utf8_lossy(&std::fs::read(env.db()).unwrap()).into_owned();
    assert!(db.contains(&fake.open_id));
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for secret in &secrets {
            if text.contains(secret.as_str()) {
                leaks.push(format!("{} holds {secret}", file.display()));
            }
        }
    }
    assert!(leaks.is_empty(), "leaks:\n{}", leaks.join("\n"));
}

/// A running postez holds tokens in memory: it may not leave a core file behind.
#[test]
fn a_running_postez_cannot_dump_core() {
    let env = TestEnv::new();
    let mut child = env
        .command(&["connect", "tiktok", "--no-browser", "--timeout", "20s"])
        .env("POSTEZ_TIKTOK_CLIENT_KEY", "k")
        .env("POSTEZ_TIKTOK_CLIENT_SECRET", "fake_client_secret")
        .env("POSTEZ_TOKEN_STORE", "file")
        .env("POSTEZ_PASSPHRASE", PASSPHRASE)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until it listens for the login (the authorize URL is printed).
    use std::io::BufRead;
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    for line in stderr.lines().map_while(Result::ok) {
        if line.starts_with("http") {
            break;
        }
    }
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", child.id())).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let core = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .expect("a core limit line");
    let fields: Vec<&str> = core.split_whitespace().collect();
    assert_eq!(&fields[4..6], ["0", "0"], "{core}");
}
