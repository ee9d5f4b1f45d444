//! Bad-input campaign: every command fed hostile input (random bytes as video, broken MP4s,
//! malformed captions, absurd `--at`, garbage config, token file and database, hostile import
//! files and environment, a callback with HTML and terminal escapes in `error_description`).
//! Figures: cases tried, panics (target 0), hangs (target 0), unclear errors (listed).

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::lab::{Lab, Report, is_panic, wait_bounded};
use crate::support::{Media, Run, TestEnv, media};

/// What a hostile case should end with.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Want {
    /// Refused with a clear error.
    Refuse,
    /// Accepted or refused clearly, both fine (e.g. RTL marks in a caption).
    Either,
}

struct Tally {
    cases: u64,
    refused: u64,
    accepted: u64,
    panics: u64,
    hangs: u64,
    unclear: Vec<String>,
    accepted_but_should_refuse: Vec<String>,
}

/// Clear: one `error:` line naming the problem, the documented exit code for bad input, no
/// Rust debug text, no terminal escapes, not a wall of text.
fn unclear_reason(run: &Run) -> Option<String> {
    let err = run.stderr.trim();
    // `run` reports a post it could not publish on that post's line, with a hint.
    if !err
        .lines()
        .any(|l| l.starts_with("error: ") || l.contains("hint"))
    {
        return Some("no `error:` line".into());
    }
    if [" Os {", "Error {", "kind: ", "Custom {", "RUST_BACKTRACE"]
        .iter()
        .any(|m| err.contains(m))
    {
        return Some("Rust debug text in the message".into());
    }
    if err
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Some("control characters (terminal escapes) in the message".into());
    }
    if err.chars().count() > 1500 {
        return Some(format!("{} characters of error", err.chars().count()));
    }
    if ![1, 2, 3, 4, 75].contains(&run.code) {
        return Some(format!("exit code {}", run.code));
    }
    None
}

/// Run `args` in `env` (bounded), judge it against `want`.
fn judge(t: &mut Tally, name: &str, env: &TestEnv, args: &[OsString], want: Want) -> Run {
    let child = env
        .command(&[])
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (code, hung, stdout, stderr) = wait_bounded(child, Duration::from_secs(30));
    let run = Run {
        code: code.unwrap_or(-1),
        stdout,
        stderr,
    };
    t.cases += 1;
    if hung {
        t.hangs += 1;
    }
    if is_panic(&run) {
        t.panics += 1;
    }
    let shown: String = format!("{name}: exit {}: {}", run.code, run.stderr.trim())
        .chars()
        .take(400)
        .collect();
    if hung || is_panic(&run) {
        t.unclear.push(format!("HANG/PANIC {shown}"));
    } else if run.code == 0 {
        t.accepted += 1;
        if want == Want::Refuse {
            t.accepted_but_should_refuse.push(shown);
        }
    } else {
        t.refused += 1;
        if let Some(why) = unclear_reason(&run) {
            t.unclear.push(format!("{why} — {shown}"));
        }
    }
    run
}

fn os(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

fn random_bytes(rng: &mut StdRng, n: usize) -> Vec<u8> {
    (0..n).map(|_| rng.random()).collect()
}

pub fn campaign(seed: u64) -> Report {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut report = Report::new(seed);
    let mut t = Tally {
        cases: 0,
        refused: 0,
        accepted: 0,
        panics: 0,
        hangs: 0,
        unclear: Vec::new(),
        accepted_but_should_refuse: Vec::new(),
    };
    let env = TestEnv::new();
    let dir = env.path("hostile");
    std::fs::create_dir_all(&dir).unwrap();
    let p = |name: &str| -> PathBuf { dir.join(name) };
    let mp4 = media(Media::Mp4);
    let good = std::fs::read(&mp4).unwrap();
    // A queue with one post, so edit/cancel/show have something to hit.
    env.schedule(&mp4, "in 1h", &[]);
    let schedule = |file: &Path| -> Vec<OsString> {
        let mut a = os(&["schedule"]);
        a.push(file.into());
        a.extend(os(&[
            "--at",
            "in 1h",
            "--privacy",
            "SELF_ONLY",
            "--yes",
            "--allow-duplicate",
        ]));
        a
    };

    // Videos: random bytes, truncations, bit flips, hostile box sizes, odd files.
    for (i, n) in [0usize, 1, 7, 100, 4096, 65_536, 1_000_000]
        .iter()
        .enumerate()
    {
        for ext in ["mp4", "mov", "webm", "bin"] {
            let f = p(&format!("random{i}.{ext}"));
            std::fs::write(&f, random_bytes(&mut rng, *n)).unwrap();
            judge(
                &mut t,
                &format!("random {n} bytes as .{ext}"),
                &env,
                &schedule(&f),
                Want::Refuse,
            );
        }
    }
    for k in 0..25 {
        let cut = rng.random_range(0..good.len());
        let f = p(&format!("cut{k}.mp4"));
        std::fs::write(&f, &good[..cut]).unwrap();
        judge(
            &mut t,
            &format!("MP4 cut at {cut}"),
            &env,
            &schedule(&f),
            Want::Either,
        );
    }
    for k in 0..40 {
        let mut bytes = good.clone();
        // Flip bytes where the boxes are described (start and end of the file hold the index).
        for _ in 0..rng.random_range(1..20) {
            let at = if rng.random_bool(0.5) {
                rng.random_range(0..bytes.len().min(4096))
            } else {
                bytes.len() - 1 - rng.random_range(0..bytes.len().min(8192))
            };
            bytes[at] = rng.random();
        }
        let f = p(&format!("flip{k}.mp4"));
        std::fs::write(&f, &bytes).unwrap();
        judge(
            &mut t,
            &format!("MP4 with flipped bytes #{k}"),
            &env,
            &schedule(&f),
            Want::Either,
        );
    }
    let boxes: Vec<(&str, Vec<u8>)> = vec![
        (
            "ftyp then garbage",
            [&b"\0\0\0\x18ftypisom\0\0\0\0isomavc1"[..], &[0xff; 64]].concat(),
        ),
        (
            "box of size 0xFFFFFFFF",
            [
                &b"\0\0\0\x18ftypisom\0\0\0\0isomavc1"[..],
                b"\xff\xff\xff\xffmoov",
            ]
            .concat(),
        ),
        (
            "64-bit box of size 2^64-1",
            [
                &b"\0\0\0\x18ftypisom\0\0\0\0isomavc1"[..],
                b"\0\0\0\x01moov\xff\xff\xff\xff\xff\xff\xff\xff",
            ]
            .concat(),
        ),
        (
            "box of size 1 (64-bit) too short",
            [
                &b"\0\0\0\x18ftypisom\0\0\0\0isomavc1"[..],
                b"\0\0\0\x01moov\0\0\0\0\0\0\0\x02",
            ]
            .concat(),
        ),
        (
            "box of size 4 (smaller than its header)",
            [
                &b"\0\0\0\x18ftypisom\0\0\0\0isomavc1"[..],
                b"\0\0\0\x04moov",
            ]
            .concat(),
        ),
        ("moov nested 2000 deep", {
            let mut v = b"\0\0\0\x18ftypisom\0\0\0\0isomavc1".to_vec();
            for _ in 0..2000 {
                v.extend(b"\0\0\x7f\xffmoov");
            }
            v
        }),
        (
            "EBML header then garbage",
            [&b"\x1a\x45\xdf\xa3\x01\0\0\0\0\0\0\x1f"[..], &[0xffu8; 256]].concat(),
        ),
        (
            "EBML with huge element size",
            b"\x1a\x45\xdf\xa3\x01\xff\xff\xff\xff\xff\xff\xfe\x42\x82\x84webm".to_vec(),
        ),
    ];
    for (name, bytes) in boxes {
        let f = p("box.mp4");
        std::fs::write(&f, bytes).unwrap();
        judge(&mut t, name, &env, &schedule(&f), Want::Refuse);
    }
    let fifo = p("fifo.mp4");
    let _ = std::process::Command::new("mkfifo").arg(&fifo).status();
    judge(
        &mut t,
        "a FIFO as the video",
        &env,
        &schedule(&fifo),
        Want::Refuse,
    );
    judge(
        &mut t,
        "a folder as the video",
        &env,
        &schedule(&dir),
        Want::Refuse,
    );
    judge(
        &mut t,
        "/dev/zero as the video",
        &env,
        &schedule(Path::new("/dev/zero")),
        Want::Refuse,
    );
    judge(
        &mut t,
        "/dev/null as the video",
        &env,
        &schedule(Path::new("/dev/null")),
        Want::Refuse,
    );
    judge(
        &mut t,
        "a missing video",
        &env,
        &schedule(&p("nope.mp4")),
        Want::Refuse,
    );
    let looped = p("loop.mp4");
    let _ = std::os::unix::fs::symlink(&looped, &looped);
    judge(
        &mut t,
        "a symlink loop as the video",
        &env,
        &schedule(&looped),
        Want::Refuse,
    );
    let unreadable = p("locked.mp4");
    std::fs::write(&unreadable, &good).unwrap();
    let _ = std::process::Command::new("chmod")
        .args(["000"])
        .arg(&unreadable)
        .status();
    judge(
        &mut t,
        "an unreadable video",
        &env,
        &schedule(&unreadable),
        Want::Either,
    );
    let mut a = os(&["schedule"]);
    a.push(OsString::from_vec(b"clip\xff\xfe.mp4".to_vec()));
    a.extend(os(&["--at", "in 1h"]));
    judge(
        &mut t,
        "a file name that is not UTF-8",
        &env,
        &a,
        Want::Refuse,
    );

    // Captions: on the command line, from a file, as hashtags.
    let with_caption = |caption: OsString| -> Vec<OsString> {
        let mut a = schedule(&mp4);
        a.push("--caption".into());
        a.push(caption);
        a
    };
    let captions: Vec<(&str, OsString, Want)> = vec![
        (
            "caption with ESC",
            "red \x1b[31m alert".into(),
            Want::Refuse,
        ),
        (
            "caption with BEL and DEL",
            "a\x07b\x7fc".into(),
            Want::Refuse,
        ),
        (
            "caption with a C1 control",
            "a\u{85}b\u{9b}c".into(),
            Want::Refuse,
        ),
        (
            "caption with RTL override",
            "\u{202e}gnp.exe\u{202c} hello".into(),
            Want::Either,
        ),
        (
            "caption of RTL and zero-width marks only",
            "\u{200f}\u{200e}\u{200b}\u{2066}\u{2069}".into(),
            Want::Either,
        ),
        (
            "caption with 5000 combining marks",
            format!("a{}", "\u{301}".repeat(5000)).into(),
            Want::Refuse,
        ),
        (
            "caption of 2200 UTF-16 units",
            "é".repeat(2200).into(),
            Want::Either,
        ),
        (
            "caption of 1101 emoji (2202 units)",
            "🍝".repeat(1101).into(),
            Want::Refuse,
        ),
        (
            "caption of 100 000 characters",
            "x".repeat(100_000).into(),
            Want::Refuse,
        ),
        (
            "caption that is not UTF-8",
            OsString::from_vec(b"caf\xe9 \xff".to_vec()),
            Want::Refuse,
        ),
        (
            "caption with a lone surrogate (WTF-8)",
            OsString::from_vec(b"a\xed\xa0\x80b".to_vec()),
            Want::Refuse,
        ),
        (
            "caption of only spaces and newlines",
            " \n\n \t ".into(),
            Want::Either,
        ),
        (
            "caption with HTML and SQL",
            "<script>alert(1)</script>'); DROP TABLE posts;--".into(),
            Want::Either,
        ),
    ];
    for (name, caption, want) in captions {
        judge(&mut t, name, &env, &with_caption(caption), want);
    }
    let files: Vec<(&str, Vec<u8>, Want)> = vec![
        ("caption file in Latin-1", b"caf\xe9".to_vec(), Want::Refuse),
        ("caption file with a NUL", b"a\0b".to_vec(), Want::Refuse),
        (
            "caption file with a UTF-8 BOM",
            b"\xef\xbb\xbfhello".to_vec(),
            Want::Either,
        ),
        (
            "caption file in UTF-16",
            b"\xff\xfeh\0i\0".to_vec(),
            Want::Refuse,
        ),
        (
            "caption file of 10 MB",
            vec![b'y'; 10_000_000],
            Want::Refuse,
        ),
        (
            "caption file with CRLF line ends",
            b"line one\r\nline two\r\n".to_vec(),
            Want::Either,
        ),
        (
            "caption file of random bytes",
            random_bytes(&mut rng, 3000),
            Want::Refuse,
        ),
    ];
    for (name, bytes, want) in files {
        let f = p("caption.txt");
        std::fs::write(&f, bytes).unwrap();
        let mut a = schedule(&mp4);
        a.push("--caption-file".into());
        a.push(f.into());
        judge(&mut t, name, &env, &a, want);
    }
    let mut a = schedule(&mp4);
    a.extend(os(&["--caption-file", "/dev/zero"]));
    judge(&mut t, "caption file /dev/zero", &env, &a, Want::Refuse);
    for (name, tags, want) in [
        ("hashtag with a space", vec!["two words"], Want::Refuse),
        ("empty hashtag", vec![""], Want::Refuse),
        ("hashtag of only #", vec!["###"], Want::Refuse),
        ("hashtag with ESC", vec!["a\x1bb"], Want::Refuse),
        ("hashtag with RTL mark", vec!["\u{200f}tag"], Want::Either),
        ("800 hashtags", vec!["food"; 800], Want::Either),
    ] {
        let mut a = schedule(&mp4);
        for tag in tags {
            a.extend(os(&["--hashtag", tag]));
        }
        judge(&mut t, name, &env, &a, want);
    }
    let many: Vec<String> = (0..800).map(|i| format!("tag{i}")).collect();
    let mut a = schedule(&mp4);
    for tag in &many {
        a.extend(os(&["--hashtag", tag]));
    }
    judge(&mut t, "800 different hashtags", &env, &a, Want::Refuse);

    // Absurd --at (and --tz).
    let long_at = "9".repeat(100_000);
    let ats: Vec<(&str, Want)> = vec![
        ("", Want::Refuse),
        ("   ", Want::Refuse),
        ("in 9999999999999999999h", Want::Refuse),
        ("in 99999999999 years", Want::Refuse),
        ("+-5m", Want::Refuse),
        ("-1", Want::Refuse),
        ("2026-02-30 10:00", Want::Refuse),
        ("25:00", Want::Refuse),
        ("13pm", Want::Refuse),
        ("0pm", Want::Refuse),
        ("1970-01-01T00:00:00Z", Want::Refuse),
        ("10000-01-01 10:00", Want::Refuse),
        ("9999-12-31T23:59:59Z", Want::Either),
        ("9999-12-31T23:59:59-14:00", Want::Refuse),
        ("+262143-01-01T00:00:00Z", Want::Refuse),
        ("tomorrow tomorrow 9am", Want::Refuse),
        ("next next friday 18:00", Want::Refuse),
        ("friday 18:00 +01:00", Want::Either),
        ("١٢:٠٠", Want::Refuse),
        ("18：00", Want::Refuse),
        ("\u{202e}18:00", Want::Refuse),
        ("2026-12-01T18:00:00+99:99", Want::Refuse),
        ("in 0s", Want::Either),
        ("in 1000000d", Want::Either),
        ("2026-03-29 02:30", Want::Either),
        (long_at.as_str(), Want::Refuse),
    ];
    for (at, want) in ats {
        let mut a = os(&["schedule"]);
        a.push(mp4.clone().into());
        a.extend(os(&[
            "--at",
            at,
            "--privacy",
            "SELF_ONLY",
            "--yes",
            "--allow-duplicate",
            "--tz",
            "Europe/Berlin",
        ]));
        let name = format!("--at {:?}", at.chars().take(40).collect::<String>());
        judge(&mut t, &name, &env, &a, want);
    }
    let mut a = os(&["schedule"]);
    a.push(mp4.clone().into());
    a.extend(os(&["--privacy", "SELF_ONLY", "--yes", "--at"]));
    a.push(OsString::from_vec(b"in 2h\xff".to_vec()));
    judge(&mut t, "--at that is not UTF-8", &env, &a, Want::Refuse);
    for tz in [
        "Mars/Olympus",
        "../../etc/passwd",
        "",
        "UTC+99",
        "\u{1b}[2J",
    ] {
        let mut a = schedule(&mp4);
        a.extend(os(&["--tz", tz]));
        judge(&mut t, &format!("--tz {tz:?}"), &env, &a, Want::Refuse);
    }

    // Ids and other flags.
    for id in [
        "-1",
        "0",
        "99999999999999999999",
        "abc",
        "1e3",
        "",
        "9223372036854775807",
    ] {
        for cmd in ["show", "edit", "cancel", "retry"] {
            let mut a = os(&[cmd, id]);
            if cmd == "edit" {
                a.extend(os(&["--caption", "x"]));
            }
            judge(&mut t, &format!("{cmd} {id:?}"), &env, &a, Want::Refuse);
        }
    }
    for (name, args) in [
        (
            "run --poll-for 999999999999d",
            vec!["run", "--poll-for", "999999999999d"],
        ),
        ("run --poll-for garbage", vec!["run", "--poll-for", "soon"]),
        ("run --jobs 0", vec!["run", "--jobs", "0"]),
        (
            "run --watch --interval -1s",
            vec!["run", "--watch", "--interval", "-1s"],
        ),
        ("list --limit -5", vec!["list", "--limit", "-5"]),
        (
            "edit --cover-at 4294967296",
            vec!["edit", "1", "--cover-at", "4294967296"],
        ),
        (
            "config set late_limit forever",
            vec!["config", "set", "late_limit", "forever"],
        ),
        (
            "config set max_attempts -1",
            vec!["config", "set", "max_attempts", "-1"],
        ),
        (
            "config set max_attempts 99999999999",
            vec!["config", "set", "max_attempts", "99999999999"],
        ),
        (
            "config set timezone Nowhere",
            vec!["config", "set", "timezone", "Nowhere"],
        ),
        (
            "config set colour red",
            vec!["config", "set", "colour", "red"],
        ),
        (
            "config set token_store cloud",
            vec!["config", "set", "token_store", "cloud"],
        ),
        ("config get \\e[2J", vec!["config", "get", "\u{1b}[2J"]),
    ] {
        judge(&mut t, name, &env, &os(&args), Want::Refuse);
    }

    // Import files.
    let mp4s = mp4.to_str().unwrap();
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let many_rows: String = std::iter::once("file,at,privacy\n".to_string())
        .chain((0..5000).map(|_| format!("{mp4s},in 1h,SELF_ONLY\n")))
        .collect();
    let imports: Vec<(&str, &str, Vec<u8>, Want)> = vec![
        ("import CSV in Latin-1", "a.csv", b"file,at\ncaf\xe9.mp4,in 1h\n".to_vec(), Want::Refuse),
        ("import CSV without header", "b.csv", format!("{mp4s},in 1h\n").into_bytes(), Want::Refuse),
        ("import CSV with a BOM", "c.csv", format!("\u{feff}file,at,privacy\n{mp4s},in 1h,SELF_ONLY\n").into_bytes(), Want::Either),
        ("import CSV with 1000 columns", "d.csv", format!("file,at,{}\n{mp4s},in 1h\n", (0..1000).map(|i| format!("c{i}")).collect::<Vec<_>>().join(",")).into_bytes(), Want::Refuse),
        ("import CSV with unbalanced quotes", "e.csv", format!("file,at\n\"{mp4s},in 1h\n").into_bytes(), Want::Refuse),
        ("import CSV of random bytes", "f.csv", random_bytes(&mut rng, 5000), Want::Refuse),
        ("import JSON object, not array", "g.json", b"{\"file\":\"a\",\"at\":\"now\"}".to_vec(), Want::Refuse),
        ("import JSON nested 5000 deep", "h.json", deep.into_bytes(), Want::Refuse),
        ("import JSON with huge number", "i.json", format!("[{{\"file\":\"{mp4s}\",\"at\":\"in 1h\",\"privacy\":\"SELF_ONLY\",\"cover_at\":1e400}}]").into_bytes(), Want::Refuse),
        ("import JSON with a wrong type", "j.json", b"[{\"file\":7,\"at\":[]}]".to_vec(), Want::Refuse),
        ("import JSON with an absurd at", "k.json", format!("[{{\"file\":\"{mp4s}\",\"at\":\"in 99999999999 years\",\"privacy\":\"SELF_ONLY\"}}]").into_bytes(), Want::Refuse),
        ("import JSON with a random-bytes video", "l.json", b"[{\"file\":\"random3.mp4\",\"at\":\"in 1h\",\"privacy\":\"SELF_ONLY\"}]".to_vec(), Want::Refuse),
        ("import 5000 rows", "m.csv", many_rows.into_bytes(), Want::Either),
        ("import empty file", "n.json", Vec::new(), Want::Refuse),
        ("import file of random bytes named .json", "o.json", random_bytes(&mut rng, 5000), Want::Refuse),
        ("import a path that escapes", "q.csv", b"file,at,privacy\n../../../../../../dev/zero,in 1h,SELF_ONLY\n".to_vec(), Want::Refuse),
    ];
    for (name, file, bytes, want) in imports {
        let f = p(file);
        std::fs::write(&f, bytes).unwrap();
        let mut a = os(&["import"]);
        a.push(f.into());
        a.push("--yes".into());
        judge(&mut t, name, &env, &a, want);
    }

    // Hostile environment.
    for (name, key, value) in [
        ("POSTEZ_NOW garbage", "POSTEZ_NOW", "yesterday-ish"),
        (
            "POSTEZ_NOW year 262143",
            "POSTEZ_NOW",
            "+262143-01-01T00:00:00Z",
        ),
        ("POSTEZ_HOME is a file", "POSTEZ_HOME", "/etc/hostname"),
        ("POSTEZ_HOME is unwritable", "POSTEZ_HOME", "/proc/postez"),
        ("POSTEZ_TOKEN_STORE garbage", "POSTEZ_TOKEN_STORE", "cloud"),
        (
            "POSTEZ_TIKTOK_API_URL not a URL",
            "POSTEZ_TIKTOK_API_URL",
            "not a url",
        ),
        (
            "POSTEZ_TIKTOK_API_URL file://",
            "POSTEZ_TIKTOK_API_URL",
            "file:///etc/passwd",
        ),
        (
            "POSTEZ_POLL_INTERVAL garbage",
            "POSTEZ_POLL_INTERVAL",
            "-5ms",
        ),
        ("RUST_LOG garbage", "RUST_LOG", "[[[=debug"),
    ] {
        let mut e = TestEnv::new();
        e.set(key, value);
        let file = mp4.clone();
        judge(
            &mut t,
            &format!("{name}: list"),
            &e,
            &os(&["list"]),
            Want::Either,
        );
        judge(
            &mut t,
            &format!("{name}: schedule"),
            &e,
            &schedule(&file),
            Want::Either,
        );
        judge(
            &mut t,
            &format!("{name}: run"),
            &e,
            &os(&["run"]),
            Want::Either,
        );
    }

    // Garbage on disk: config, token file, database.
    let garbage_configs: Vec<(&str, Vec<u8>)> = vec![
        ("config of random bytes", random_bytes(&mut rng, 2000)),
        (
            "config of invalid TOML",
            b"timezone = [\n\0garbage".to_vec(),
        ),
        (
            "config with wrong types",
            b"timezone = 5\nmax_attempts = \"many\"\n".to_vec(),
        ),
        ("config with an unknown key", b"colour = 'red'\n".to_vec()),
        (
            "config with a huge number",
            b"max_attempts = 99999999999999999999\n".to_vec(),
        ),
        (
            "config with a bad late_limit",
            b"late_limit = \"forever\"\n".to_vec(),
        ),
        (
            "config with a passphrase_command that fails",
            b"passphrase_command = \"false\"\ntoken_store = \"file\"\n".to_vec(),
        ),
    ];
    for (name, bytes) in garbage_configs {
        let e = TestEnv::new();
        std::fs::create_dir_all(e.home()).unwrap();
        std::fs::write(e.home().join("config.toml"), bytes).unwrap();
        // A failing passphrase command matters only once a token is needed.
        let want = if name.contains("passphrase") {
            Want::Either
        } else {
            Want::Refuse
        };
        for cmd in [vec!["list"], vec!["config", "list"], vec!["run"]] {
            judge(
                &mut t,
                &format!("{name}: {}", cmd.join(" ")),
                &e,
                &os(&cmd),
                want,
            );
        }
        judge(
            &mut t,
            &format!("{name}: schedule"),
            &e,
            &schedule(&mp4),
            want,
        );
    }
    let mut real_db = Vec::new();
    {
        let e = TestEnv::new();
        e.schedule(&mp4, "in 1h", &[]);
        e.schedule(&mp4, "in 2h", &[]);
        // Fold the WAL in, so the file alone holds everything.
        e.sql("PRAGMA wal_checkpoint(TRUNCATE);");
        real_db = std::fs::read(e.db()).unwrap_or(real_db);
    }
    let mut flipped = real_db.clone();
    for _ in 0..200 {
        let at = rng.random_range(100..flipped.len());
        flipped[at] = rng.random();
    }
    let databases: Vec<(&str, Vec<u8>)> = vec![
        ("database of random bytes", random_bytes(&mut rng, 8192)),
        (
            "database that is an HTML page",
            b"<!doctype html><html><body>404</body></html>".to_vec(),
        ),
        (
            "database cut to 1 KB",
            real_db[..1024.min(real_db.len())].to_vec(),
        ),
        (
            "database cut in half",
            real_db[..real_db.len() / 2].to_vec(),
        ),
        ("database with 200 flipped bytes", flipped),
        (
            "database with only the SQLite header",
            b"SQLite format 3\0".to_vec(),
        ),
    ];
    for (name, bytes) in databases {
        let e = TestEnv::new();
        std::fs::create_dir_all(e.home()).unwrap();
        std::fs::write(e.db(), bytes).unwrap();
        for cmd in [
            vec!["list", "--all"],
            vec!["show", "1"],
            vec!["run"],
            vec!["cancel", "1"],
        ] {
            judge(
                &mut t,
                &format!("{name}: {}", cmd.join(" ")),
                &e,
                &os(&cmd),
                Want::Either,
            );
        }
        judge(
            &mut t,
            &format!("{name}: schedule"),
            &e,
            &schedule(&mp4),
            Want::Either,
        );
    }
    {
        let e = TestEnv::new();
        std::fs::create_dir_all(e.db()).unwrap();
        judge(
            &mut t,
            "database path is a folder: list",
            &e,
            &os(&["list"]),
            Want::Refuse,
        );
        let e = TestEnv::new();
        e.schedule(&mp4, "in 1h", &[]);
        e.sql("PRAGMA user_version = 999;");
        judge(
            &mut t,
            "database from a newer postez: list",
            &e,
            &os(&["list"]),
            Want::Refuse,
        );
        judge(
            &mut t,
            "database from a newer postez: run",
            &e,
            &os(&["run"]),
            Want::Refuse,
        );
    }

    // A connected queue whose token file is garbage; and a hostile login callback.
    let mut lab = Lab::new(|_| {});
    lab.schedule(&mp4, "token file garbage", &[]);
    let secrets: Vec<PathBuf> = std::fs::read_dir(lab.env.home())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension()
                .is_some_and(|x| x != "db" && x != "toml" && x != "lock")
                && !p.to_string_lossy().contains("postez.db")
        })
        .collect();
    let saved: Vec<(PathBuf, Vec<u8>)> = secrets
        .iter()
        .map(|p| (p.clone(), std::fs::read(p).unwrap_or_default()))
        .collect();
    for (path, bytes) in &saved {
        lab.schedule(&mp4, "token file damaged", &[]);
        let mut broken = bytes.clone();
        for b in broken.iter_mut().skip(bytes.len() / 2).take(16) {
            *b ^= 0x5a;
        }
        std::fs::write(path, &broken).unwrap();
        judge(
            &mut t,
            &format!(
                "token file damaged ({}): run",
                path.file_name().unwrap().to_string_lossy()
            ),
            &lab.env,
            &os(&["run"]),
            Want::Refuse,
        );
        std::fs::write(path, random_bytes(&mut rng, 300)).unwrap();
        judge(
            &mut t,
            "token file of random bytes: accounts",
            &lab.env,
            &os(&["accounts"]),
            Want::Either,
        );
        std::fs::write(path, bytes).unwrap();
    }
    lab.schedule(&mp4, "wrong passphrase", &[]);
    let mut wrong = lab.env.env.clone();
    wrong.retain(|(k, _)| k != "POSTEZ_PASSPHRASE");
    wrong.push(("POSTEZ_PASSPHRASE".into(), "wrong passphrase".into()));
    let wrong_env = TestEnv {
        dir: tempfile::tempdir().unwrap(),
        env: wrong,
    };
    judge(
        &mut t,
        "wrong passphrase: run",
        &wrong_env,
        &os(&["run"]),
        Want::Refuse,
    );
    report.set("callback", callback(&mut lab, &mut t));

    report.set("cases", t.cases);
    report.set("refused", t.refused);
    report.set("accepted", t.accepted);
    report.set("panics", t.panics);
    report.set("hangs", t.hangs);
    report.set("unclear_errors", t.unclear.len() as u64);
    report.set("unclear_list", json!(t.unclear));
    report.set(
        "accepted_but_should_refuse",
        json!(t.accepted_but_should_refuse),
    );
    for u in &t.unclear {
        if u.starts_with("HANG/PANIC") {
            report.problem(u.clone());
        }
    }
    lab.common(&mut report);
    report
}

/// `connect` whose callback carries `error_description` with HTML and terminal escapes, then
/// other hostile callbacks. The page must escape it; the terminal must not get the escapes.
fn callback(lab: &mut Lab, t: &mut Tally) -> Value {
    let mut out = serde_json::Map::new();
    let hostile = [
        (
            "html",
            "<script>alert(document.cookie)</script><img src=x onerror=alert(1)>",
        ),
        (
            "terminal escapes",
            "\u{1b}[2J\u{1b}]0;owned\u{7}\u{1b}[31mred",
        ),
        ("long", &"A".repeat(3000)),
    ];
    for (name, description) in hostile {
        let connecting = match crate::support::Connecting::start(&lab.env, &["--timeout", "30s"]) {
            Ok(c) => c,
            Err(run) => {
                out.insert(
                    name.into(),
                    json!(format!("connect did not start: {run:?}")),
                );
                continue;
            }
        };
        let url = url::Url::parse(&connecting.url).unwrap();
        let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        let mut cb = url::Url::parse(&q["redirect_uri"]).unwrap();
        cb.query_pairs_mut()
            .append_pair("error", "access_denied")
            .append_pair("error_description", description)
            .append_pair("state", &q["state"]);
        let (status, page) = lab.fake.get(cb.as_str());
        let run = connecting.finish();
        t.cases += 1;
        if is_panic(&run) {
            t.panics += 1;
            t.unclear
                .push(format!("HANG/PANIC callback {name}: {run:?}"));
        }
        let raw_html = page.contains("<script>") || page.contains("<img");
        let escapes = run.stderr.contains('\u{1b}') || run.stdout.contains('\u{1b}');
        if raw_html || escapes || run.code == 0 {
            t.unclear.push(format!(
                "callback {name}: raw HTML {raw_html}, escapes {escapes}, exit {}",
                run.code
            ));
        } else {
            t.refused += 1;
        }
        out.insert(
            name.into(),
            json!({
                "page_status": status,
                "page_has_raw_html": raw_html,
                "terminal_got_escapes": escapes,
                "exit": run.code,
                "message": run.stderr.lines().find(|l| l.starts_with("error:")).map(|l| l.chars().take(200).collect::<String>()),
            }),
        );
    }
    Value::Object(out)
}
