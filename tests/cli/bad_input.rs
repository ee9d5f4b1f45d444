//! Bad input: every case must end with one clear error line (plus an optional hint), the
//! documented exit code, and the queue byte-for-byte unchanged.

use crate::support::{Media, TestEnv, media};

struct Case {
    name: &'static str,
    args: Vec<String>,
    /// Words the error must contain.
    expect: &'static str,
    code: i32,
}

fn case(name: &'static str, args: &[&str], expect: &'static str) -> Case {
    Case {
        name,
        args: args.iter().map(|s| s.to_string()).collect(),
        expect,
        code: 2,
    }
}

#[test]
fn bad_input_is_refused_clearly_and_changes_nothing() {
    let env = TestEnv::new();
    let mp4 = media(Media::Mp4);
    let mp4 = mp4.to_str().unwrap();
    // Existing state: post 1 scheduled, post 2 published, post 3 cancelled.
    env.schedule(mp4.as_ref(), "in 1h", &[]);
    env.schedule(mp4.as_ref(), "in 1h", &[]);
    env.schedule(mp4.as_ref(), "in 1h", &[]);
    env.sql("UPDATE posts SET state = 'published', post_id = '7' WHERE id = 2");
    env.run(&["cancel", "3"]).ok();

    let dir = env.path("inputs");
    std::fs::create_dir_all(&dir).unwrap();
    let p = |name: &str| dir.join(name).to_str().unwrap().to_string();
    std::fs::write(p("empty.mp4"), b"").unwrap();
    std::fs::write(p("notes.mp4"), b"these are my notes, not a video\n").unwrap();
    std::fs::File::create(p("huge.mp4"))
        .unwrap()
        .set_len(5_000_000_000)
        .unwrap();
    std::fs::write(p("latin1.txt"), [b'c', b'a', b'f', 0xe9]).unwrap();
    // Import rows name videos inside the import file's folder.
    std::fs::copy(mp4, p("clip.mp4")).unwrap();
    std::fs::write(
        p("bad.csv"),
        "file,at,privacy\nclip.mp4,in 1h,SELF_ONLY\nclip.mp4,yesterday-ish,SELF_ONLY\n",
    )
    .unwrap();
    std::fs::write(
        p("bad.json"),
        r#"[{"file":"clip.mp4","at":"in 1h","privacy":"SELF_ONLY","colour":"red"}]"#,
    )
    .unwrap();
    std::fs::write(p("posts.txt"), "file,at\n").unwrap();
    let small = media(Media::Small);
    let fps15 = media(Media::Fps15);
    let long = media(Media::Long);
    let mpeg4 = media(Media::Mpeg4);
    let mkv = media(Media::Mkv);
    let h264_webm = media(Media::H264Webm);
    let truncated = media(Media::Truncated);
    let long_caption = "a".repeat(2199) + "😀";
    let (empty, notes, huge, latin1) = (
        p("empty.mp4"),
        p("notes.mp4"),
        p("huge.mp4"),
        p("latin1.txt"),
    );
    let (bad_csv, bad_json, txt) = (p("bad.csv"), p("bad.json"), p("posts.txt"));
    let missing = p("missing.mp4");
    let folder = dir.to_str().unwrap().to_string();
    let ok = ["--at", "in 1h", "--privacy", "SELF_ONLY", "--yes"];
    let sched = |file: &str, extra: &[&str]| -> Vec<String> {
        let mut v = vec!["schedule".to_string(), file.to_string()];
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let with_ok = |file: &str, extra: &[&str]| {
        let mut v: Vec<&str> = ok.to_vec();
        v.extend(extra);
        sched(file, &v)
    };
    let mut cases = vec![
        Case {
            args: with_ok(&missing, &[]),
            ..case("missing file", &[], "does not exist")
        },
        Case {
            args: with_ok(&folder, &[]),
            ..case("directory", &[], "not a regular file")
        },
        Case {
            args: with_ok(&empty, &[]),
            ..case("empty file", &[], "empty")
        },
        Case {
            args: with_ok(&notes, &[]),
            ..case("text renamed .mp4", &[], "not an MP4, MOV or WebM")
        },
        Case {
            args: with_ok(truncated.to_str().unwrap(), &[]),
            ..case("truncated MP4", &[], "truncated")
        },
        Case {
            args: with_ok(small.to_str().unwrap(), &[]),
            ..case("200×200 video", &[], "200×200")
        },
        Case {
            args: with_ok(fps15.to_str().unwrap(), &[]),
            ..case("15 fps video", &[], "15")
        },
        Case {
            args: with_ok(long.to_str().unwrap(), &[]),
            ..case("11-minute video", &[], "10 minutes")
        },
        Case {
            args: with_ok(mpeg4.to_str().unwrap(), &[]),
            ..case("unsupported codec", &[], "TikTok needs H.264")
        },
        Case {
            args: with_ok(mkv.to_str().unwrap(), &[]),
            ..case(
                "Matroska that is not WebM",
                &[],
                "is a Matroska (MKV) video; TikTok accepts MP4, MOV and WebM",
            )
        },
        Case {
            args: with_ok(h264_webm.to_str().unwrap(), &[]),
            ..case(
                "H.264 in WebM",
                &[],
                "is a WebM file holding H.264 video, which WebM cannot carry",
            )
        },
        Case {
            args: with_ok(&huge, &[]),
            ..case("sparse file over 4 GB", &[], "4 GB")
        },
        Case {
            args: with_ok(mp4, &["--caption", &long_caption]),
            ..case("caption of 2201 UTF-16 units", &[], "2201 UTF-16 units")
        },
        Case {
            args: with_ok(mp4, &["--caption", "bell\u{7}"]),
            ..case("control character in caption", &[], "control character")
        },
        Case {
            args: with_ok(mp4, &["--caption-file", &latin1]),
            ..case("caption file not UTF-8", &[], "not UTF-8")
        },
        Case {
            args: with_ok(mp4, &["--hashtag", "two words"]),
            ..case("hashtag with a space", &[], "not a hashtag")
        },
        Case {
            args: sched(mp4, &["--at", "in 1h", "--privacy", "PUBLIC", "--yes"]),
            ..case("unknown --privacy", &[], "possible values")
        },
        Case {
            args: sched(mp4, &["--at", "in 1h", "--privacy", "unlisted", "--yes"]),
            ..case(
                "YouTube's --privacy for TikTok",
                &[],
                "not a TikTok privacy level",
            )
        },
        Case {
            args: sched(
                mp4,
                &[
                    "--at",
                    "in 1h",
                    "--privacy",
                    "SELF_ONLY",
                    "--branded-content",
                    "--yes",
                ],
            ),
            ..case("branded content with SELF_ONLY", &[], "branded content")
        },
        Case {
            args: sched(mp4, &["--at", "in 1h", "--draft", "--privacy", "SELF_ONLY"]),
            ..case("privacy on a draft", &[], "cannot be used with")
        },
        Case {
            args: sched(
                mp4,
                &[
                    "--at",
                    "2026-11-24 10:00",
                    "--privacy",
                    "SELF_ONLY",
                    "--yes",
                ],
            ),
            ..case("--at in the past", &[], "in the past")
        },
        Case {
            args: sched(
                mp4,
                &["--at", "tomorow 9am", "--privacy", "SELF_ONLY", "--yes"],
            ),
            ..case("unparseable --at", &[], "not a time")
        },
        Case {
            args: sched(
                mp4,
                &["--at", "yesterday 25:99", "--privacy", "SELF_ONLY", "--yes"],
            ),
            ..case(
                "--at with an hour and minute out of range",
                &[],
                "hour 25 and minute 99 are out of range (hours 0-23, minutes 0-59)",
            )
        },
        Case {
            args: sched(
                mp4,
                &[
                    "--at",
                    "2027-03-28 02:30",
                    "--tz",
                    "Europe/Berlin",
                    "--privacy",
                    "SELF_ONLY",
                    "--yes",
                ],
            ),
            ..case("DST gap (Berlin)", &[], "does not exist")
        },
        Case {
            args: sched(
                mp4,
                &[
                    "--at",
                    "2026-03-08 02:30",
                    "--tz",
                    "America/New_York",
                    "--privacy",
                    "SELF_ONLY",
                    "--yes",
                ],
            ),
            ..case("DST gap in the past (New York)", &[], "")
        },
        Case {
            args: sched(
                mp4,
                &[
                    "--at",
                    "2027-10-31 02:30",
                    "--tz",
                    "Europe/Berlin",
                    "--privacy",
                    "SELF_ONLY",
                    "--yes",
                ],
            ),
            ..case("DST overlap (Berlin)", &[], "offset")
        },
        Case {
            args: sched(
                mp4,
                &[
                    "--at",
                    "2026-11-01 01:30",
                    "--tz",
                    "America/New_York",
                    "--privacy",
                    "SELF_ONLY",
                    "--yes",
                ],
            ),
            ..case("DST overlap in the past (New York)", &[], "")
        },
        Case {
            args: sched(
                mp4,
                &[
                    "--at",
                    "in 1h",
                    "--tz",
                    "Mars/Olympus",
                    "--privacy",
                    "SELF_ONLY",
                    "--yes",
                ],
            ),
            ..case("unknown --tz", &[], "Mars/Olympus")
        },
        Case {
            args: sched(mp4, &["--at", "in 1h", "--yes"]),
            ..case("missing --privacy without a TTY", &[], "--privacy")
        },
        Case {
            args: sched(mp4, &["--at", "in 1h", "--privacy", "SELF_ONLY"]),
            ..case("missing --yes without a TTY", &[], "--yes")
        },
        Case {
            args: with_ok(mp4, &["--cover-at", "999999"]),
            ..case("cover past the end", &[], "past the end")
        },
        Case {
            args: with_ok(mp4, &["--account", "nobody"]),
            ..case("unknown account", &[], "nobody")
        },
        case("unknown post id (show)", &["show", "42"], "no post 42"),
        case(
            "unknown post id (edit)",
            &["edit", "42", "--caption", "x"],
            "no post 42",
        ),
        case(
            "edit of a published post",
            &["edit", "2", "--caption", "x"],
            "published",
        ),
        case(
            "edit with a past time",
            &["edit", "1", "--at", "2020-01-01 10:00"],
            "in the past",
        ),
        case("cancel twice", &["cancel", "3"], "already cancelled"),
        case("cancel a published post", &["cancel", "2"], "published"),
        case("retry a scheduled post", &["retry", "1"], "scheduled"),
        case("non-numeric id", &["show", "one"], "invalid value"),
        case(
            "unknown state filter",
            &["list", "--state", "done"],
            "not a post state",
        ),
        Case {
            args: vec!["import".into(), bad_csv.clone(), "--yes".into()],
            ..case("import with one bad row", &[], "row 2")
        },
        Case {
            args: vec!["import".into(), bad_json.clone(), "--yes".into()],
            ..case("import with an unknown field", &[], "colour")
        },
        Case {
            args: vec!["import".into(), txt.clone()],
            ..case("import of a .txt file", &[], "neither a .csv nor a .json")
        },
        case(
            "unknown setting",
            &["config", "set", "colour", "red"],
            "not a postez setting",
        ),
        case(
            "bad setting value",
            &["config", "set", "token_store", "plaintext"],
            "token_store",
        ),
    ];
    // A wrong state hint must not say "already" for a published post; keep the list honest.
    cases.retain(|c| !c.name.is_empty());
    assert!(cases.len() >= 25, "{} cases", cases.len());

    let before = env.db_bytes();
    assert!(!before.is_empty());
    let mut failures = Vec::new();
    for c in &cases {
        let args: Vec<&str> = c.args.iter().map(String::as_str).collect();
        let run = env.run(&args);
        let first = run.stderr.lines().next().unwrap_or_default();
        let problems = [
            (run.code != c.code).then(|| format!("exit {} (want {})", run.code, c.code)),
            (!first.starts_with("error: ")).then(|| "first stderr line is not `error: …`".into()),
            (!run.stderr.to_lowercase().contains(&c.expect.to_lowercase()))
                .then(|| format!("stderr lacks `{}`", c.expect)),
            (run.stderr.contains("panicked") || run.stderr.contains("RUST_BACKTRACE"))
                .then(|| "panicked".into()),
            (!run.stdout.is_empty()).then(|| "wrote to stdout".into()),
            (env.db_bytes() != before).then(|| "database changed".into()),
        ];
        let problems: Vec<String> = problems.into_iter().flatten().collect();
        if !problems.is_empty() {
            failures.push(format!(
                "{}: {}\n{}",
                c.name,
                problems.join("; "),
                run.stderr
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    // And nothing was copied or half-written anywhere.
    assert!(!env.home().join("media").exists());
}

#[test]
fn garbage_config_is_named() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.home()).unwrap();
    std::fs::write(env.home().join("config.toml"), "timezone = [\n\u{0}garbage").unwrap();
    let run = env.run(&["list"]);
    assert!(run.fails(2).contains("config.toml"), "{run:?}");
    std::fs::write(env.home().join("config.toml"), "colour = 'red'\n").unwrap();
    let run = env.run(&["list"]);
    assert!(run.fails(2).contains("colour"), "{run:?}");
}

#[test]
fn a_database_that_is_not_sqlite_is_an_error_not_a_panic() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.home()).unwrap();
    std::fs::write(
        env.db(),
        "definitely not a database, just words and more words".repeat(100),
    )
    .unwrap();
    let run = env.run(&["list"]);
    let err = run.fails(1);
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains("postez.db"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}
