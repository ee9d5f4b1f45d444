//! Regressions for bugs found by the reliability campaigns (`tests/reliability/run`, see
//! RELIABILITY.md): each test is the smallest reproduction of one finding.

use postez::provider::tiktok::parse_token_answer;

fn now() -> chrono::DateTime<chrono::Utc> {
    crate::support::NOW.parse().unwrap()
}

/// R1: a token answer with an absurd `expires_in` panicked (chrono overflow) instead of being
/// read; a lifetime beyond any real one is capped.
#[test]
fn an_absurd_token_lifetime_is_capped_not_a_panic() {
    for secs in [i64::MAX, i64::MIN, 9_223_372_036_854_775, 1 << 40] {
        let body = format!(
            r#"{{"access_token":"a","refresh_token":"r","open_id":"o","expires_in":{secs},"refresh_expires_in":{secs}}}"#
        );
        let tokens = parse_token_answer("refresh the login", 200, body.as_bytes(), now())
            .unwrap_or_else(|e| panic!("{secs}: {e}"));
        assert!(tokens.access_expires_at >= now());
        assert!(tokens.access_expires_at.timestamp() < 253_402_300_799);
    }
}

/// R2: the token endpoint's error code and log id went into messages unbounded and unfiltered:
/// a hostile or broken server could print megabytes, or terminal escape sequences, into the
/// user's terminal and cron log.
#[test]
fn a_token_error_is_shortened_and_free_of_terminal_escapes() {
    let body = serde_json::json!({
        "error": format!("\u{1b}[2J\u{1b}]0;pwned\u{7}{}", "x".repeat(5000)),
        "error_description": format!("\u{1b}[31mred{}", "y".repeat(5000)),
        "log_id": "\u{1b}[1A".repeat(1000),
    });
    let e = parse_token_answer("refresh the login", 400, body.to_string().as_bytes(), now())
        .unwrap_err()
        .to_string();
    assert!(e.chars().count() < 600, "{} chars", e.chars().count());
    assert!(!e.chars().any(char::is_control), "{e:?}");
}

fn post(env: &crate::support::TestEnv, id: i64) -> serde_json::Value {
    env.run(&["show", &id.to_string(), "--json"]).json()
}

/// R3: TikTok refusing a status check (a permanent error, e.g. HTTP 400) after every byte was
/// uploaded failed the post, although TikTok goes on to publish it: the queue said `failed`,
/// and the `postez retry` it invites would have published the video twice. Now the post stays
/// processing and the next run asks again.
/// Whatever a refused status check says once every byte is in (a refusal it cannot interpret,
/// or a dead upload address), the post is left processing and asked about again, never failed:
/// a `retry` would publish it twice.
#[test]
fn a_refused_status_check_after_a_complete_upload_does_not_fail_the_post() {
    use crate::fake_tiktok::{Endpoint, Fault};
    for code in ["invalid_params", "upload_url_expired"] {
        let fake = crate::support::Fake::start(|_| {});
        let env = fake.connected();
        env.schedule(
            &crate::support::media(crate::support::Media::Mp4),
            "now",
            &[],
        );
        fake.server.inject(Fault::Status {
            endpoint: Endpoint::StatusFetch,
            http: 400,
            code: code.into(),
        });
        let run = env.run(&["run"]);
        assert_eq!(run.code, 0, "{code}: {run:?}");
        let p = post(&env, 1);
        assert_eq!(p["state"], "publishing", "{code}: {p}");
        assert_eq!(p["phase"], "processing", "{code}: {p}");
        env.run(&["run"]).ok();
        assert_eq!(post(&env, 1)["state"], "published", "{code}");
        assert_eq!(fake.state().count(Endpoint::DirectInit), 1, "{code}");
        assert_eq!(fake.finished().len(), 1, "{code}");
    }
}

/// R4: a permanent failure with no specific hint (a chunk refused with HTTP 400, TikTok's
/// `publish_cancelled`) left the user without a next step.
#[test]
fn every_failure_says_what_to_do_next() {
    use crate::fake_tiktok::Fault;
    let fake = crate::support::Fake::start(|_| {});
    let env = fake.connected();
    let mp4 = crate::support::media(crate::support::Media::Mp4);
    env.schedule(&mp4, "now", &[]);
    fake.server.inject(Fault::ChunkStatus {
        chunk: 0,
        http: 400,
    });
    assert_eq!(env.run(&["run"]).code, 4);
    env.schedule(&mp4, "now", &[]);
    fake.server.inject(Fault::PublishFails {
        reason: "publish_cancelled".into(),
    });
    assert_eq!(env.run(&["run"]).code, 4);
    for id in [1, 2] {
        let p = post(&env, id);
        assert_eq!(p["state"], "failed", "{p}");
        assert!(
            p["last_error_hint"]
                .as_str()
                .is_some_and(|h| h.contains(&format!("postez retry {id}"))),
            "{p}"
        );
    }
}

/// R5: `--caption-file /dev/zero` read forever (memory grew until the process was killed).
#[test]
fn an_endless_caption_file_is_refused() {
    let env = crate::support::TestEnv::new();
    let mp4 = crate::support::media(crate::support::Media::Mp4);
    let mut child = env
        .command(&[
            "schedule",
            mp4.to_str().unwrap(),
            "--at",
            "in 1h",
            "--privacy",
            "SELF_ONLY",
            "--yes",
            "--caption-file",
            "/dev/zero",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("`--caption-file /dev/zero` did not end");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(err.contains("larger than"), "{err}");
}

/// R6: control characters in an error reached the terminal as they were: an ESC in the
/// `error_description` of a login callback (or in any message) could clear the screen or
/// retitle the window. Errors now show them escaped.
#[test]
fn terminal_escapes_in_errors_are_shown_escaped() {
    let env = crate::support::TestEnv::new();
    let mp4 = crate::support::media(crate::support::Media::Mp4);
    let run = env.run(&[
        "schedule",
        mp4.to_str().unwrap(),
        "--at",
        "in 1h",
        "--hashtag",
        "a\u{1b}[2Jb",
    ]);
    let err = run.fails(2);
    assert!(!err.contains('\u{1b}'), "{err:?}");
    assert!(err.contains("a\\u{1b}[2Jb"), "{err:?}");

    let fake = crate::support::Fake::start(|_| {});
    let mut env = crate::support::TestEnv::new();
    fake.configure(&mut env);
    env.set("POSTEZ_TOKEN_STORE", "file");
    env.set("POSTEZ_PASSPHRASE", "correct horse battery staple");
    let connecting = crate::support::Connecting::start(&env, &["--timeout", "30s"]).unwrap();
    let url = url::Url::parse(&connecting.url).unwrap();
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    let mut callback = url::Url::parse(&q["redirect_uri"]).unwrap();
    callback
        .query_pairs_mut()
        .append_pair("error", "access_denied")
        .append_pair("error_description", "\u{1b}]0;owned\u{7}\u{1b}[2J<b>no</b>")
        .append_pair("state", &q["state"]);
    let (_, page) = fake.get(callback.as_str());
    assert!(!page.contains("<b>"), "{page}");
    let run = connecting.finish();
    assert_ne!(run.code, 0, "{run:?}");
    assert!(!run.stderr.contains('\u{1b}'), "{:?}", run.stderr);
    assert!(!run.stderr.contains('\u{7}'), "{:?}", run.stderr);
}

/// R7: a damaged token file failed every due post (exit 4), so each needed a `retry` once the
/// login was fixed. It is the account's problem: the posts now stay queued (exit 3).
#[test]
fn a_damaged_token_file_keeps_the_posts_queued() {
    let fake = crate::support::Fake::start(|_| {});
    let env = fake.connected();
    env.schedule(
        &crate::support::media(crate::support::Media::Mp4),
        "now",
        &[],
    );
    let file = env.home().join("secrets.enc");
    let mut bytes = std::fs::read(&file).unwrap();
    let middle = bytes.len() / 2;
    for b in &mut bytes[middle..middle + 16] {
        *b ^= 0x5a;
    }
    std::fs::write(&file, bytes).unwrap();
    let run = env.run(&["run"]);
    assert_eq!(run.code, 3, "{run:?}");
    let p = post(&env, 1);
    assert_eq!(p["state"], "scheduled", "{p}");
    assert_eq!(p["attempts"], 0, "{p}");
}

/// R8: `connect` threw away a login TikTok had just granted when reading the profile or the
/// posting options failed in passing (TikTok's HTTP-200 "cannot post right now", a 5xx): the
/// code is spent, so the user had to start the login again. The account is now connected.
#[test]
fn a_passing_refusal_after_the_login_does_not_lose_it() {
    use crate::fake_tiktok::{Endpoint, Fault};
    let fake = crate::support::Fake::start(|_| {});
    let mut env = crate::support::TestEnv::new();
    fake.configure(&mut env);
    env.set("POSTEZ_TOKEN_STORE", "file");
    env.set("POSTEZ_PASSPHRASE", "correct horse battery staple");
    fake.server.inject(Fault::CreatorCannotPost {
        code: "spam_risk_too_many_posts".into(),
    });
    env.connect(&fake, &[]).ok();
    fake.server.inject(Fault::Status {
        endpoint: Endpoint::UserInfo,
        http: 503,
        code: "internal_error".into(),
    });
    env.connect(&fake, &[]).ok();
    let accounts = env.run(&["accounts", "--json"]).json();
    assert_eq!(accounts.as_array().unwrap().len(), 1, "{accounts}");
    assert_eq!(accounts[0]["state"], "ok", "{accounts}");
}
