//! YouTube through the real binary against the strict fake YouTube (tests/fake_youtube/):
//! `connect youtube` (Google's installed-app OAuth: loopback, PKCE S256, offline access),
//! `accounts`, a refresh that keeps the refresh token, `disconnect` revoking at Google, and no
//! token, code, verifier or client secret anywhere postez writes.

use std::time::Duration;

use postez::secrets::{FileStore, Secret, SecretStore};
use serde_json::Value;

use crate::fake_youtube::{FakeOptions, FakeYouTube, TokenKind};
use crate::support::{Connecting, Media, Run, TestEnv, media, sha256_file};

const PASSPHRASE: &str = "correct horse battery staple";

/// A fake YouTube and a client for playing the browser against it.
pub struct Yt {
    pub rt: tokio::runtime::Runtime,
    pub server: FakeYouTube,
}

impl Yt {
    pub fn start(tweak: impl FnOnce(&mut FakeOptions)) -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let mut opts = FakeOptions::default();
        tweak(&mut opts);
        let server = FakeYouTube::start_blocking(opts).unwrap();
        Self { rt, server }
    }

    /// A TestEnv pointed at this fake (encrypted file store, fast polls), not connected yet.
    pub fn env(&self) -> TestEnv {
        let mut env = TestEnv::new();
        for (name, value) in self.server.env() {
            env.set(name, &value);
        }
        env.set("POSTEZ_TOKEN_STORE", "file");
        env.set("POSTEZ_PASSPHRASE", PASSPHRASE);
        env.set("POSTEZ_POLL_INTERVAL", "20ms");
        env.set("POSTEZ_CHUNK_BACKOFF", "20ms");
        env
    }

    /// `postez connect youtube --no-browser`, with this test playing the browser.
    pub fn connect(&self, env: &TestEnv) -> Run {
        self.connect_with(env, &[])
    }

    /// [`Yt::connect`] with more flags (`--manage`).
    pub fn connect_with(&self, env: &TestEnv, extra: &[&str]) -> Run {
        let connecting = match Connecting::start_platform(env, "youtube", extra) {
            Ok(c) => c,
            Err(run) => return run,
        };
        let callback = self.rt.block_on(async {
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            let response = client.get(&connecting.url).send().await.unwrap();
            assert!(response.status().is_redirection(), "{}", response.status());
            response.headers()["location"].to_str().unwrap().to_string()
        });
        self.rt.block_on(async {
            let _ = reqwest::get(&callback).await.unwrap().text().await;
        });
        connecting.finish()
    }

    /// A connected TestEnv.
    pub fn connected(&self) -> TestEnv {
        let env = self.env();
        let run = self.connect(&env);
        assert_eq!(run.code, 0, "{run:?}");
        env
    }

    /// The channel id the fake logs everyone in as.
    pub fn channel(&self) -> String {
        crate::fake_youtube::FakeChannel::default().id
    }
}

fn file_store(env: &TestEnv) -> SecretStore {
    SecretStore::File(FileStore::new(
        env.home().join("secrets.enc"),
        Secret::new(PASSPHRASE),
    ))
}

fn saved(env: &TestEnv, yt: &Yt) -> Option<serde_json::Value> {
    file_store(env)
        .get(&format!("youtube:{}", yt.channel()))
        .unwrap()
        .map(|s| serde_json::from_str(s.expose()).unwrap())
}

/// Every file under `dir`, as bytes, for leak scans.
fn files(dir: &std::path::Path, out: &mut Vec<(std::path::PathBuf, Vec<u8>)>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((path, bytes));
        }
    }
}

#[test]
fn connect_youtube_end_to_end() {
    let yt = Yt::start(|_| {});
    let env = yt.env();
    let run = yt.connect(&env);
    assert!(
        run.ok().contains("Connected youtube as Fake Channel"),
        "{run:?}"
    );
    let state = yt.server.state();
    // Google's installed-app rules: PKCE S256, offline access, exactly the two scopes, a state.
    let auth = &state.authorizations[0];
    assert_eq!(auth.code_challenge_method.as_deref(), Some("S256"));
    assert_eq!(auth.access_type.as_deref(), Some("offline"));
    assert!(auth.state.is_some());
    assert!(
        auth.redirect_uri.starts_with("http://127.0.0.1:"),
        "{auth:?}"
    );
    let mut scopes: Vec<&str> = auth.scope.split(' ').collect();
    scopes.sort();
    assert_eq!(
        scopes,
        [
            "https://www.googleapis.com/auth/youtube.readonly",
            "https://www.googleapis.com/auth/youtube.upload"
        ]
    );
    assert_eq!(state.codes_used, 1);
    // The tokens are in the encrypted file, not in plain text.
    let stored = saved(&env, &yt).expect("tokens in the file store");
    assert_eq!(
        stored["access_token"],
        state.valid_tokens(TokenKind::Access)[0]
    );
    assert_eq!(
        stored["refresh_token"],
        state.valid_tokens(TokenKind::Refresh)[0]
    );
    // `accounts` names the channel.
    let accounts = env.run(&["accounts", "--json"]).json();
    assert_eq!(accounts[0]["platform"], "youtube", "{accounts}");
    assert_eq!(accounts[0]["display_name"], "Fake Channel", "{accounts}");
    assert_eq!(accounts[0]["token_store"], "file", "{accounts}");
    let human = env.run(&["accounts"]);
    assert!(human.ok().contains(&yt.channel()), "{human:?}");
}

#[test]
fn a_refresh_keeps_the_refresh_token() {
    // Access tokens live one minute: inside postez's refresh margin, so any use refreshes.
    let yt = Yt::start(|o| o.access_ttl = Duration::from_secs(60));
    let env = yt.connected();
    let before = saved(&env, &yt).unwrap();
    env.run(&["accounts", "--check"]).ok();
    let state = yt.server.state();
    assert_eq!(state.refreshes_ok, 1, "{:?}", state.refresh_calls);
    let after = saved(&env, &yt).unwrap();
    // Google's refresh answer has no refresh token: the old one is kept (and still valid).
    assert_eq!(after["refresh_token"], before["refresh_token"]);
    assert_ne!(after["access_token"], before["access_token"]);
    assert!(
        state
            .valid_tokens(TokenKind::Refresh)
            .contains(&before["refresh_token"].as_str().unwrap())
    );
}

#[test]
fn disconnect_revokes_at_google_and_deletes_the_tokens() {
    let yt = Yt::start(|_| {});
    let env = yt.connected();
    let stored = saved(&env, &yt).unwrap();
    let run = env.run(&["disconnect", "youtube"]);
    run.ok();
    let revoked = yt.server.state().revoked_tokens;
    assert!(
        revoked
            .iter()
            .any(|t| t == stored["refresh_token"].as_str().unwrap()
                || t == stored["access_token"].as_str().unwrap()),
        "{revoked:?} {run:?}"
    );
    assert!(saved(&env, &yt).is_none());
    assert_eq!(
        env.run(&["accounts", "--json"]).json()[0]["state"],
        "disconnected"
    );
}

#[test]
fn no_token_code_verifier_or_secret_leaks() {
    let yt = Yt::start(|o| o.access_ttl = Duration::from_secs(60));
    let env = yt.env();
    let mut outputs = vec![yt.connect(&env)];
    outputs.push(env.run(&["accounts", "--check"]));
    outputs.push(env.run(&["accounts", "--json"]));
    outputs.push(env.run(&["doctor", "--json"]));
    // A published post: the upload's requests carry the access token.
    outputs.push(env.run(&[
        "schedule",
        media(Media::Mp4).to_str().unwrap(),
        "--at",
        "now",
        "--account",
        "youtube",
        "--privacy",
        "private",
        "--made-for-kids",
        "no",
        "--title",
        "Leak check",
    ]));
    outputs.push(env.run(&["run", "-vv"]));
    assert_eq!(
        env.run(&["show", "1", "--json"]).json()["state"],
        "published"
    );
    outputs.push(env.run(&["disconnect", "youtube"]));
    let state = yt.server.state();
    let mut secrets: Vec<String> = state.secrets_seen.clone();
    secrets.extend(state.tokens.iter().map(|t| t.token.clone()));
    secrets.push(yt.server.client_secret().to_string());
    assert!(secrets.len() >= 4, "{secrets:?}");
    assert_no_secret(&env, &outputs, &secrets);
}

/// Google's secrets `secrets` (tokens, codes, verifiers, the client secret) appear in no
/// output of `runs` and in no file under the test's folder (database, logs, settings).
pub fn assert_no_secret(env: &TestEnv, runs: &[Run], secrets: &[String]) {
    let mut all = Vec::new();
    files(env.dir.path(), &mut all);
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        for run in runs {
            assert!(!run.stdout.contains(secret.as_str()), "stdout: {run:?}");
            assert!(!run.stderr.contains(secret.as_str()), "stderr: {run:?}");
        }
        for (path, bytes) in &all {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{} holds a secret",
                path.display()
            );
        }
    }
}

/// `schedule --account youtube …` with YouTube's required choices, as a script would.
fn schedule_yt(env: &TestEnv, file: &std::path::Path, extra: &[&str]) -> Run {
    let mut args = vec![
        "schedule",
        file.to_str().unwrap(),
        "--at",
        "in 1h",
        "--account",
        "youtube",
        "--json",
    ];
    args.extend(extra);
    env.run(&args)
}

#[test]
fn schedule_a_short_with_youtube_options() {
    let yt = Yt::start(|_| {});
    let env = yt.connected();
    let run = schedule_yt(
        &env,
        &media(Media::Mp4),
        &[
            "--caption",
            "Pasta night in thirty seconds\nrecipe below",
            "--privacy",
            "unlisted",
            "--made-for-kids",
            "no",
            "--ai-generated",
        ],
    );
    let post = run.json();
    assert_eq!(post["platform"], "youtube", "{post}");
    assert_eq!(post["account"], "fakechannel", "{post}");
    // The title defaults to the caption's first line, and the user is told.
    assert_eq!(post["title"], "Pasta night in thirty seconds");
    assert!(
        run.stderr.contains("Pasta night in thirty seconds"),
        "{run:?}"
    );
    assert_eq!(post["privacy"], "unlisted");
    assert_eq!(post["made_for_kids"], false);
    assert_eq!(post["ai_generated"], true);
    assert_eq!(post["notify"], true);
    assert_eq!(post["mode"], "direct");
    // 360×640, 2 s: a Short.
    assert!(
        run.stderr.contains("YouTube will make it a Short"),
        "{run:?}"
    );
    // `show` and `list` carry the same fields.
    let shown = env.run(&["show", "1", "--json"]).json();
    assert_eq!(shown["title"], post["title"], "{shown}");
    assert_eq!(shown["privacy"], "unlisted");
    let listed = env.run(&["list", "--json"]).json();
    assert_eq!(listed[0]["made_for_kids"], false, "{listed}");
    assert!(env.run(&["show", "1"]).ok().contains("made for kids no"));

    // Every choice given, by `platform:name`; a landscape video is a regular video.
    let run = schedule_yt(
        &env,
        &media(Media::Mid),
        &[
            "--privacy",
            "private",
            "--made-for-kids",
            "yes",
            "--title",
            "Kitchen tour",
            "--category",
            "26",
            "--no-notify",
        ],
    );
    let post = run.json();
    assert_eq!(post["title"], "Kitchen tour");
    assert_eq!(post["made_for_kids"], true);
    assert_eq!(post["category"], "26");
    assert_eq!(post["notify"], false);
    assert!(
        run.stderr.contains("YouTube will make it a regular video"),
        "{run:?}"
    );
    let by_name = env.run(&[
        "schedule",
        media(Media::Mp4).to_str().unwrap(),
        "--at",
        "in 2h",
        "--account",
        "youtube:Fake Channel",
        "--privacy",
        "public",
        "--made-for-kids",
        "no",
        "--title",
        "Again",
        "--json",
    ]);
    assert_eq!(by_name.json()["platform"], "youtube", "{by_name:?}");
}

#[test]
fn bad_youtube_choices_are_refused_and_the_queue_is_unchanged() {
    let yt = Yt::start(|_| {});
    let env = yt.connected();
    let mp4 = media(Media::Mp4);
    schedule_yt(
        &env,
        &mp4,
        &[
            "--privacy",
            "public",
            "--made-for-kids",
            "no",
            "--title",
            "ok",
        ],
    )
    .ok();
    let before = env.db_bytes();
    let cases: &[(&[&str], &str)] = &[
        (
            &["--made-for-kids", "no", "--title", "t"],
            "needs a privacy",
        ),
        (&["--privacy", "public", "--title", "t"], "audience choice"),
        (
            &[
                "--privacy",
                "friends",
                "--made-for-kids",
                "no",
                "--title",
                "t",
            ],
            "not a YouTube privacy",
        ),
        (
            &[
                "--privacy",
                "PUBLIC_TO_EVERYONE",
                "--made-for-kids",
                "no",
                "--title",
                "t",
            ],
            "not a YouTube privacy",
        ),
        (
            &[
                "--privacy",
                "public",
                "--made-for-kids",
                "no",
                "--title",
                "a <b>",
            ],
            "title",
        ),
        (
            &[
                "--privacy",
                "public",
                "--made-for-kids",
                "no",
                "--title",
                &"x".repeat(101),
            ],
            "101 characters",
        ),
        (
            &["--made-for-kids", "no", "--title", "t", "--draft"],
            "TikTok's",
        ),
        (
            &[
                "--privacy",
                "public",
                "--made-for-kids",
                "no",
                "--title",
                "t",
                "--allow-duet",
            ],
            "TikTok's",
        ),
        (
            &[
                "--privacy",
                "public",
                "--made-for-kids",
                "no",
                "--title",
                "t",
                "--category",
                "music",
            ],
            "category",
        ),
        // No title given and an empty caption: nothing to default to.
        (&["--privacy", "public", "--made-for-kids", "no"], "title"),
    ];
    for (extra, expect) in cases {
        let run = schedule_yt(&env, &mp4, extra);
        let err = run.fails(2);
        assert!(err.contains(expect), "{extra:?}: {run:?}");
        assert_eq!(env.db_bytes(), before, "{extra:?} changed the queue");
    }
    // More of YouTube's limits (§3.1), the video itself, the time and the account: each is
    // one sentence with a hint, exit 2, and the queue byte for byte as it was.
    let text = env.path("notes.txt");
    std::fs::write(&text, "not a video").unwrap();
    let audio = env.path("audio.mp4");
    let made = std::process::Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
        ])
        .args(["sine=frequency=440:duration=1", "-c:a", "aac"])
        .arg(&audio)
        .status()
        .unwrap();
    assert!(made.success());
    let truncated = media(Media::Truncated);
    let long_description = "é".repeat(2501);
    let fifty_tags: Vec<String> = (0..51).map(|i| format!("tagnumber{i}")).collect();
    let mut tags_over: Vec<&str> = Vec::new();
    for tag in &fifty_tags {
        tags_over.extend(["--tag", tag.as_str()]);
    }
    let ok = [
        "--privacy",
        "public",
        "--made-for-kids",
        "no",
        "--title",
        "t",
    ];
    // The choices that pass, with `more` added (a --title in `more` replaces ok's).
    let with = |more: &[&str]| -> Vec<String> {
        let base = if more.contains(&"--title") {
            &ok[..4]
        } else {
            &ok[..]
        };
        base.iter().chain(more).map(|s| s.to_string()).collect()
    };
    let more: Vec<(std::path::PathBuf, &str, Vec<String>, &str)> = vec![
        (
            mp4.clone(),
            "in 1h",
            with(&["--caption", &long_description]),
            "5002 bytes",
        ),
        (
            mp4.clone(),
            "in 1h",
            with(&["--caption", "a <b> c"]),
            "description contains < or >",
        ),
        (
            mp4.clone(),
            "in 1h",
            with(&["--tag", "<x>"]),
            "tag contains < or >",
        ),
        (mp4.clone(), "in 1h", with(&["--tag", "  "]), "tag is empty"),
        (mp4.clone(), "in 1h", with(&tags_over), "YouTube allows 500"),
        (
            mp4.clone(),
            "in 1h",
            with(&["--hashtag", "two words"]),
            "not a hashtag",
        ),
        (
            mp4.clone(),
            "in 1h",
            with(&["--title", "tab\there"]),
            "control character",
        ),
        (mp4.clone(), "in 1h", with(&["--category", ""]), "category"),
        (text.clone(), "in 1h", with(&[]), "notes.txt"),
        (audio.clone(), "in 1h", with(&[]), "audio.mp4"),
        (truncated.clone(), "in 1h", with(&[]), "Truncated"),
        (env.path("missing.mp4"), "in 1h", with(&[]), "missing.mp4"),
        (mp4.clone(), "2020-01-01 10:00", with(&[]), "past"),
        // 28 March 2027, 02:30 in Berlin does not exist (clocks go to 03:00).
        (
            mp4.clone(),
            "2027-03-28 02:30",
            with(&["--tz", "Europe/Berlin"]),
            "does not exist",
        ),
        (
            mp4.clone(),
            "in 1h",
            with(&["--tz", "Mars/Olympus"]),
            "Mars/Olympus",
        ),
    ];
    for (file, at, extra, expect) in &more {
        let mut args = vec!["schedule", file.to_str().unwrap(), "--at", at];
        args.extend(extra.iter().map(String::as_str));
        args.extend(["--account", "youtube"]);
        let run = env.run(&args);
        let err = run.fails(2);
        assert!(
            err.to_lowercase().contains(&expect.to_lowercase()),
            "{args:?}: {run:?}"
        );
        assert!(err.contains("\nhint: "), "{args:?}: no hint: {run:?}");
        assert_eq!(env.db_bytes(), before, "{args:?} changed the queue");
    }
    // An account postez does not have.
    let mut args = vec![
        "schedule",
        mp4.to_str().unwrap(),
        "--at",
        "in 1h",
        "--account",
        "youtube:Nobody",
    ];
    args.extend(ok);
    let run = env.run(&args);
    assert!(run.fails(2).contains("Nobody"), "{run:?}");
    assert_eq!(env.db_bytes(), before);
    // YouTube's flags on a TikTok post are refused too.
    let run = env.run(&[
        "schedule",
        mp4.to_str().unwrap(),
        "--at",
        "in 1h",
        "--privacy",
        "SELF_ONLY",
        "--yes",
        "--title",
        "t",
    ]);
    assert!(run.fails(2).contains("YouTube's"), "{run:?}");
    assert_eq!(env.db_bytes(), before);
}

fn shown(env: &TestEnv, id: i64) -> serde_json::Value {
    env.run(&["show", &id.to_string(), "--json"]).json()
}

/// Schedule `file` for now on the connected channel.
fn schedule_now(env: &TestEnv, file: &std::path::Path, title: &str) {
    let run = env.run(&[
        "schedule",
        file.to_str().unwrap(),
        "--at",
        "now",
        "--account",
        "youtube",
        "--privacy",
        "public",
        "--made-for-kids",
        "no",
        "--title",
        title,
        "--json",
    ]);
    run.ok();
}

#[test]
fn run_publishes_a_short_and_a_multi_chunk_video_exactly_once() {
    let yt = Yt::start(|_| {});
    let env = yt.connected();
    // Issue 12's must-show: a 2 s Short and a ~40 MB video in five 8 MiB chunks.
    let files = [media(Media::Mp4), media(Media::Forty)];
    let big = std::fs::metadata(&files[1]).unwrap().len();
    let chunk = postez::provider::youtube::CHUNK_SIZE;
    assert!(
        (36_000_000..48_000_000).contains(&big) && big.div_ceil(chunk) >= 5,
        "the ~40 MB video must need five chunks: {big} bytes"
    );
    schedule_now(&env, &files[0], "A Short");
    schedule_now(&env, &files[1], "A regular video");
    let run = env.run(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    let state = yt.server.state();
    assert_eq!(state.videos.len(), 2, "{:?}", state.videos);
    for (i, file) in files.iter().enumerate() {
        let post = shown(&env, i as i64 + 1);
        assert_eq!(post["state"], "published", "{post}");
        assert_eq!(state.videos_with_sha256(&sha256_file(file)), 1, "{file:?}");
        let id = post["post_id"].as_str().expect("the video id is recorded");
        let video = state
            .video(id)
            .expect("the recorded id is the fake's video");
        assert_eq!(video.requested_privacy, "public");
        // And where people watch it: a Short's address for a Short.
        let url = post["url"]
            .as_str()
            .expect("the video's address is recorded");
        let shorts = format!("https://www.youtube.com/shorts/{id}");
        let watch = format!("https://www.youtube.com/watch?v={id}");
        assert!(url == shorts || url == watch, "{url}");
        if i == 0 {
            assert_eq!(url, shorts, "the 2 s vertical clip is a Short");
        }
        let session = state
            .sessions
            .iter()
            .find(|s| s.video_id.as_deref() == Some(id))
            .unwrap();
        assert_eq!(
            session.chunks.len() as u64,
            session.total.div_ceil(chunk),
            "{:?}",
            session.chunks
        );
    }
    assert!(state.sessions.iter().any(|s| s.chunks.len() >= 5));
    assert_eq!(
        state
            .video(shown(&env, 1)["post_id"].as_str().unwrap())
            .unwrap()
            .title,
        "A Short"
    );
    // A second run uploads nothing.
    let inits = state.sessions.len();
    let second = env.run(&["-vv", "run"]);
    second.ok();
    let again = yt.server.state();
    assert_eq!(again.videos.len(), 2);
    assert_eq!(again.sessions.len(), inits);
    let mut secrets = again.secrets_seen.clone();
    secrets.extend(again.tokens.iter().map(|t| t.token.clone()));
    secrets.push(yt.server.client_secret().to_string());
    assert_no_secret(&env, &[run, second], &secrets);
}

#[test]
fn a_lost_final_reply_still_ends_with_one_video() {
    let yt = Yt::start(|_| {});
    let env = yt.connected();
    let file = media(Media::Mp4);
    schedule_now(&env, &file, "Lost reply");
    yt.server.inject(crate::fake_youtube::Fault::FinalReplyLost);
    // The first run may end on the lost reply; later runs find the finished upload.
    for _ in 0..3 {
        env.run(&["run"]);
        if shown(&env, 1)["state"] == "published" {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let post = shown(&env, 1);
    assert_eq!(post["state"], "published", "{post}");
    let state = yt.server.state();
    assert!(state.pending_faults.is_empty(), "the fault was hit");
    assert_eq!(state.videos_with_sha256(&sha256_file(&file)), 1);
    assert_eq!(state.videos.len(), 1);
    assert_eq!(post["post_id"], state.videos[0].id.as_str());
}

/// The post's upload session as the queue holds it (`None`: no session kept).
fn session_of(env: &TestEnv, id: i64) -> Option<String> {
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    conn.query_row(
        "SELECT json_extract(checkpoint, '$.upload_url') FROM posts WHERE id = ?1",
        [id],
        |r| r.get(0),
    )
    .unwrap()
}

/// YouTube makes the video once the last byte is in, even when its reply is lost. With the
/// status query failing too, the post waits holding its session: edit and cancel are refused
/// (a new upload would be a second video, a cancel would leave the first one on YouTube), a
/// retry keeps the session, and the next run asks YouTube first: one video.
#[test]
fn a_lost_final_reply_and_a_failed_status_query_never_make_a_second_video() {
    use crate::fake_youtube::{Endpoint, Fault};

    let yt = Yt::start(|_| {});
    let mut env = yt.connected();
    // Room between the lost reply and the engine's next request to fail what follows.
    env.set("POSTEZ_CHUNK_BACKOFF", "300ms");
    let file = media(Media::Mp4);
    schedule_now(&env, &file, "Held upload");
    let fail_the_status_queries = || {
        for _ in 0..12 {
            yt.server.inject(Fault::Status {
                endpoint: Endpoint::UploadPut,
                http: 503,
                reason: "backendError".into(),
                retry_after: None,
            });
        }
    };
    yt.server.inject(Fault::FinalReplyLost);
    let mut running = env
        .command(&["run"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The video exists the moment the last byte is in; from then every question fails.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while yt.server.state().videos.is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the upload never finished"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    fail_the_status_queries();
    running.wait().unwrap();
    yt.server.clear_faults();
    let post = shown(&env, 1);
    assert_eq!(post["state"], "scheduled", "{post}");
    assert_eq!(yt.server.state().videos_with_sha256(&sha256_file(&file)), 1);
    let session = session_of(&env, 1).expect("the post keeps its session");

    let before = env.db_bytes();
    let run = env.run(&["edit", "1", "--at", "in 2 hours"]);
    let err = run.fails(2);
    assert!(
        err.contains("post 1 has an upload YouTube may already hold"),
        "{run:?}"
    );
    assert!(err.contains("asks YouTube first"), "{run:?}");
    assert!(!err.contains("TikTok"), "{run:?}");
    assert_eq!(env.db_bytes(), before, "a refused edit writes nothing");
    // YouTube's own fields too: the upload YouTube may hold was sent with the old ones.
    let run = env.run(&["edit", "1", "--title", "New title", "--tag", "pasta"]);
    assert!(run.fails(2).contains("may already hold"), "{run:?}");
    assert_eq!(env.db_bytes(), before, "a refused edit writes nothing");
    let run = env.run(&["cancel", "1"]);
    assert!(run.fails(2).contains("may already hold"), "{run:?}");
    assert_eq!(env.db_bytes(), before, "a refused cancel writes nothing");

    // The post fails once its attempts are spent, the session kept; `retry` keeps it too.
    env.run(&["config", "set", "max_attempts", "1"]).ok();
    env.sql("UPDATE posts SET next_attempt_at = NULL");
    fail_the_status_queries();
    env.run(&["run"]);
    yt.server.clear_faults();
    let post = shown(&env, 1);
    assert_eq!(post["state"], "failed", "{post}");
    assert_eq!(session_of(&env, 1).as_deref(), Some(session.as_str()));
    let run = env.run(&["edit", "1", "--at", "in 2 hours"]);
    assert!(run.fails(2).contains("may already hold"), "{run:?}");
    env.run(&["retry", "1"]).ok();
    assert_eq!(session_of(&env, 1).as_deref(), Some(session.as_str()));

    env.run(&["run"]);
    let post = shown(&env, 1);
    assert_eq!(post["state"], "published", "{post}");
    let state = yt.server.state();
    assert_eq!(state.videos_with_sha256(&sha256_file(&file)), 1);
    assert_eq!(state.videos.len(), 1);
    assert_eq!(state.sessions.len(), 1, "no second upload session");
    assert_eq!(post["post_id"], state.videos[0].id.as_str());
}

#[test]
fn purge_revokes_the_youtube_login_at_google() {
    let yt = Yt::start(|_| {});
    let env = yt.connected();
    let stored = saved(&env, &yt).unwrap();
    let run = env.run(&["purge", "--yes", "--json"]);
    run.ok();
    let revoked = yt.server.state().revoked_tokens;
    assert!(
        revoked
            .iter()
            .any(|t| t == stored["refresh_token"].as_str().unwrap()
                || t == stored["access_token"].as_str().unwrap()),
        "{revoked:?} {run:?}"
    );
    assert!(!env.home().join("secrets.enc").exists() || saved(&env, &yt).is_none());
}

/// The connected channel's name as postez knows it.
fn channel_name(env: &TestEnv) -> String {
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    conn.query_row(
        "SELECT COALESCE(display_name, username) FROM accounts WHERE platform = 'youtube'",
        [],
        |r| r.get(0),
    )
    .unwrap()
}

fn count(env: &TestEnv, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// `--account` looks at every platform's accounts: a name both have is refused (it could
/// purge the wrong one), `youtube:NAME` purges the channel and leaves the TikTok account.
#[test]
fn purge_of_a_channel_leaves_the_tiktok_account_of_the_same_name() {
    let yt = Yt::start(|_| {});
    let env = yt.connected();
    let name = channel_name(&env);
    env.sql(&format!(
        "INSERT INTO accounts (platform, remote_id, display_name, created_at, updated_at) \
         VALUES ('tiktok', 'open-id-1', '{name}', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')"
    ));
    let before = env.db_bytes();
    for args in [
        vec!["purge", "--account", &name, "--yes", "--no-revoke"],
        vec!["list", "--account", &name],
    ] {
        let run = env.run(&args);
        let err = run.fails(2);
        assert!(
            err.contains(&format!("`tiktok:{name}`")) && err.contains(&format!("`youtube:{name}`")),
            "{run:?}"
        );
    }
    assert_eq!(env.db_bytes(), before);
    // `edit` reads a bare name by the post's platform; another platform's account is refused.
    schedule_yt(
        &env,
        &media(Media::Mp4),
        &[
            "--privacy",
            "private",
            "--made-for-kids",
            "no",
            "--title",
            "Moved",
        ],
    )
    .ok();
    env.run(&["edit", "1", "--account", &name]).ok();
    let run = env.run(&["edit", "1", "--account", &format!("tiktok:{name}")]);
    assert!(run.fails(2).contains("is a YouTube post"), "{run:?}");
    let qualified = format!("youtube:{name}");
    env.run(&["list", "--account", &qualified]).ok();
    env.run(&["purge", "--account", &qualified, "--yes", "--json"])
        .ok();
    assert_eq!(
        count(
            &env,
            "SELECT COUNT(*) FROM accounts WHERE platform = 'tiktok' AND state = 'ok'"
        ),
        1,
        "the TikTok account is untouched"
    );
    assert_eq!(
        count(
            &env,
            "SELECT COUNT(*) FROM accounts WHERE platform = 'youtube' AND state = 'ok'"
        ),
        0,
        "the channel is purged"
    );
}

/// A `default_account` naming the channel sends `schedule` without `--account` to YouTube.
#[test]
fn default_account_naming_a_channel_schedules_for_youtube() {
    let yt = Yt::start(|_| {});
    let env = yt.connected();
    let name = channel_name(&env);
    env.run(&["config", "set", "default_account", &name]).ok();
    let file = media(Media::Mp4);
    let run = env.run(&[
        "schedule",
        file.to_str().unwrap(),
        "--at",
        "in 2 hours",
        "--privacy",
        "unlisted",
        "--made-for-kids",
        "no",
        "--title",
        "By default",
        "--json",
    ]);
    let post = run.json();
    assert_eq!(post["platform"], "youtube", "{run:?}");
}

/// `edit` reads a YouTube post's flags as YouTube's: TikTok-only flags and TikTok's levels are
/// refused (nothing written), `unlisted` is taken.
#[test]
fn edit_takes_youtube_flags_and_refuses_tiktok_ones() {
    let yt = Yt::start(|_| {});
    let env = yt.connected();
    schedule_yt(
        &env,
        &media(Media::Mp4),
        &[
            "--privacy",
            "public",
            "--made-for-kids",
            "no",
            "--title",
            "Edited",
        ],
    )
    .ok();
    let before = env.db_bytes();
    for (flags, says) in [
        (vec!["--privacy", "friends"], "not a YouTube privacy"),
        (
            vec!["--privacy", "FOLLOWER_OF_CREATOR"],
            "not a YouTube privacy",
        ),
        (vec!["--draft"], "--draft is TikTok's"),
        (vec!["--allow-comments"], "--allow-comments is TikTok's"),
        (vec!["--no-allow-duet", "--cover-at", "100"], "are TikTok's"),
        (vec!["--brand-organic"], "TikTok's"),
    ] {
        let mut args = vec!["edit", "1"];
        args.extend(flags);
        let run = env.run(&args);
        assert!(run.fails(2).contains(says), "{args:?}: {run:?}");
        assert_eq!(env.db_bytes(), before, "{args:?}");
    }
    env.run(&["edit", "1", "--privacy", "unlisted"]).ok();
    assert_eq!(shown(&env, 1)["privacy"], "unlisted");
}

#[test]
fn help_lists_every_privacy_word() {
    let env = TestEnv::new();
    for sub in ["schedule", "edit"] {
        let help = env.run(&[sub, "--help"]);
        let text = help.ok();
        for word in ["PUBLIC_TO_EVERYONE", "SELF_ONLY", "friends", "unlisted"] {
            assert!(text.contains(word), "{sub}: {word}");
        }
    }
}

/// doctor checks the Google client of a user with a channel, in Google's words.
#[test]
fn doctor_reports_a_missing_client_id_for_a_channel() {
    let yt = Yt::start(|_| {});
    let mut env = yt.connected();
    let json = env.run(&["doctor", "--json"]).json();
    assert!(
        json.to_string()
            .contains("the YouTube app's client id is set"),
        "{json}"
    );
    env.unset("POSTEZ_YOUTUBE_CLIENT_ID");
    let run = env.run(&["doctor", "--json"]);
    assert_ne!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("no YouTube client id is set"),
        "{run:?}"
    );
}

/// A privacy word the named platform does not take is refused before any queue exists.
#[test]
fn a_wrong_privacy_for_the_named_platform_opens_no_queue() {
    let env = TestEnv::new();
    let file = media(Media::Mp4);
    for (account, privacy, says) in [
        ("youtube", "friends", "not a YouTube privacy"),
        ("tiktok:someone", "unlisted", "not a TikTok privacy level"),
    ] {
        let run = env.run(&[
            "schedule",
            file.to_str().unwrap(),
            "--at",
            "in 1h",
            "--account",
            account,
            "--privacy",
            privacy,
        ]);
        assert!(run.fails(2).contains(says), "{run:?}");
        assert!(!env.db().exists(), "{run:?}");
    }
}

/// A post whose upload stopped half-way and whose file then changed: YouTube was asked first
/// and holds only part of it, so the upload is dropped and `edit` accepts the file as it is.
#[test]
fn a_changed_file_drops_a_half_done_upload_so_edit_can_take_it() {
    use crate::fake_youtube::Fault;
    let yt = Yt::start(|_| {});
    let env = yt.connected();
    let file = env.path("clip.mp4");
    std::fs::copy(media(Media::Mp4), &file).unwrap();
    schedule_now(&env, &file, "Half done");
    for _ in 0..8 {
        yt.server.inject(Fault::ChunkStatus {
            chunk: 0,
            http: 503,
        });
    }
    env.run(&["run"]);
    yt.server.clear_faults();
    assert_eq!(shown(&env, 1)["state"], "scheduled");
    assert!(session_of(&env, 1).is_some(), "the session is kept");
    assert!(yt.server.state().videos.is_empty());
    // The same video, re-exported: another fingerprint.
    let mut bytes = std::fs::read(&file).unwrap();
    bytes.extend_from_slice(&[0; 16]);
    std::fs::write(&file, bytes).unwrap();
    env.sql("UPDATE posts SET next_attempt_at = NULL");
    env.run(&["run"]);
    let post = shown(&env, 1);
    assert_eq!(post["state"], "failed", "{post}");
    assert_eq!(session_of(&env, 1), None, "YouTube holds part of it only");
    env.run(&["edit", "1"]).ok();
    env.run(&["retry", "1"]).ok();
    env.run(&["run"]);
    assert_eq!(shown(&env, 1)["state"], "published");
    assert_eq!(yt.server.state().videos.len(), 1);
}

/// The check `doctor --json` made about the YouTube account, as text.
fn doctor_account_check(env: &TestEnv) -> String {
    let json = env.run(&["doctor", "--json"]).json();
    let checks = json["checks"].as_array().expect("doctor's checks");
    let found: Vec<String> = checks
        .iter()
        .filter(|c| {
            c["name"]
                .as_str()
                .unwrap_or_default()
                .starts_with("account ")
        })
        .map(|c| c.to_string())
        .collect();
    assert_eq!(found.len(), 1, "{json}");
    found[0].clone()
}

/// Google's token answer names no end for a refresh token (§1.5: only with time-based access):
/// postez says "unknown" instead of inventing six months. A login Google says ends within 7
/// days (the sign of a project in "Testing", §1.6), or the setting `youtube_testing`, makes
/// `accounts` and `doctor` warn, with the way out; a refresh keeps the end Google gave.
#[test]
fn a_login_shows_googles_end_or_unknown_and_testing_is_warned() {
    // Production: no end given.
    let yt = Yt::start(|_| {});
    let env = yt.connected();
    let account = &env.run(&["accounts", "--json"]).json()[0];
    assert_eq!(account["refresh_expires_at"], Value::Null, "{account}");
    assert_eq!(account["login_warning"], Value::Null, "{account}");
    let check = doctor_account_check(&env);
    assert!(check.contains("its end is unknown"), "{check}");
    assert!(check.contains("\"ok\""), "{check}");
    // The user says the project is in Testing: warned, the end still not invented.
    env.run(&["config", "set", "youtube_testing", "true"]).ok();
    let account = &env.run(&["accounts", "--json"]).json()[0];
    assert_eq!(account["refresh_expires_at"], Value::Null, "{account}");
    let warning = &account["login_warning"];
    assert!(
        warning["message"].as_str().unwrap().contains("\"Testing\""),
        "{account}"
    );
    assert!(
        warning["hint"].as_str().unwrap().contains("Publish app"),
        "{account}"
    );
    let listed = env.run(&["accounts"]);
    assert!(
        listed.stderr.contains("warning:") && listed.stderr.contains("Publish app"),
        "{listed:?}"
    );
    let check = doctor_account_check(&env);
    assert!(
        check.contains("\"warn\"") && check.contains("Publish app"),
        "{check}"
    );
    env.run(&["config", "set", "youtube_testing", "false"]).ok();
    assert_eq!(
        env.run(&["accounts", "--json"]).json()[0]["login_warning"],
        Value::Null
    );

    // Google gives an end within 7 days: shown, and warned without any setting; a refresh
    // (access tokens of a minute) keeps it.
    let yt = Yt::start(|o| {
        o.refresh_expires_in = Some(Duration::from_secs(5 * 86400));
        o.access_ttl = Duration::from_secs(60);
    });
    let env = yt.connected();
    let ends = |env: &TestEnv| {
        let account = &env.run(&["accounts", "--json"]).json()[0];
        let at: chrono::DateTime<chrono::Utc> = account["refresh_expires_at"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        (at, account["login_warning"].clone())
    };
    let (at, warning) = ends(&env);
    let expected = chrono::Utc::now() + chrono::Duration::days(5);
    assert!(
        (at - expected).num_seconds().abs() < 120,
        "{at} vs {expected}"
    );
    assert!(
        warning["message"].as_str().unwrap().contains("7 days"),
        "{warning}"
    );
    let check = doctor_account_check(&env);
    assert!(
        check.contains("\"warn\"") && check.contains("Publish app"),
        "{check}"
    );
    env.run(&["accounts", "--check"]).ok();
    assert!(yt.server.state().refreshes_ok >= 1);
    assert_eq!(ends(&env).0, at, "a refresh keeps Google's end");

    // A longer time-based grant: shown, no Testing warning.
    let yt = Yt::start(|o| o.refresh_expires_in = Some(Duration::from_secs(30 * 86400)));
    let env = yt.connected();
    let (_, warning) = ends(&env);
    assert_eq!(warning, Value::Null);
    assert!(doctor_account_check(&env).contains("login valid until"));
    let runs = [
        env.run(&["-vv", "accounts"]),
        env.run(&["-vv", "doctor", "--json"]),
    ];
    let state = yt.server.state();
    let mut secrets = state.secrets_seen.clone();
    secrets.extend(state.tokens.iter().map(|t| t.token.clone()));
    secrets.push(yt.server.client_secret().to_string());
    assert_no_secret(&env, &runs, &secrets);
}
