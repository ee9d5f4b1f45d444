//! `postez connect`, `accounts` and `disconnect` against the strict fake TikTok, with the real
//! Secret Service (gnome-keyring on the test's private D-Bus) and the real encrypted file.

use std::time::Duration;

use postez::secrets::{FileStore, Keychain, Secret, SecretStore};

use crate::fake_tiktok::{Fault, TokenKind};
use crate::support::{Connecting, Fake, Media, TestEnv, media};

fn keychain() -> SecretStore {
    SecretStore::Keychain(Keychain::new("postez", Duration::from_secs(5)))
}

fn saved(store: &SecretStore, fake: &Fake) -> Option<serde_json::Value> {
    store
        .get(&format!("tiktok:{}", fake.open_id))
        .unwrap()
        .map(|s| serde_json::from_str(s.expose()).unwrap())
}

fn file_env(fake: &Fake) -> TestEnv {
    let mut env = TestEnv::new();
    fake.configure(&mut env);
    env.set("POSTEZ_TOKEN_STORE", "file");
    env.set("POSTEZ_PASSPHRASE", "correct horse battery staple");
    env
}

fn file_store(env: &TestEnv) -> SecretStore {
    SecretStore::File(FileStore::new(
        env.home().join("secrets.enc"),
        Secret::new("correct horse battery staple"),
    ))
}

#[test]
fn connect_end_to_end_with_the_keychain() {
    let Some(mut env) = TestEnv::with_keyring() else {
        return;
    };
    let fake = Fake::start(|_| {});
    fake.configure(&mut env);
    let run = env.connect(&fake, &[]);
    assert_eq!(
        run.ok().trim(),
        "Connected tiktok as Pasta Chef (@pastachef)"
    );
    let state = fake.state();
    let access = state.valid_tokens(TokenKind::Access);
    let refresh = state.valid_tokens(TokenKind::Refresh);
    assert_eq!((access.len(), refresh.len()), (1, 1));
    let stored = saved(&keychain(), &fake).expect("tokens in the keychain");
    assert_eq!(stored["access_token"], access[0]);
    assert_eq!(stored["refresh_token"], refresh[0]);
    // The database has the profile, never the tokens.
    let db = String::from_utf8_lossy(&env.db_bytes()).into_owned();
    assert!(!db.contains(access[0]) && !db.contains(refresh[0]));
    let accounts = env.run(&["accounts", "--json"]).json();
    let a = &accounts[0];
    assert_eq!(a["open_id"], fake.open_id);
    assert_eq!(a["display_name"], "Pasta Chef");
    assert_eq!(a["nickname"], "pasta.chef");
    assert_eq!(a["token_store"], "keychain");
    assert_eq!(a["state"], "ok");
    assert_eq!(
        a["scopes"],
        serde_json::json!(["user.info.basic", "video.upload", "video.publish"])
    );
    // Reconnecting replaces the tokens.
    env.connect(&fake, &[]).ok();
    let again = saved(&keychain(), &fake).unwrap();
    assert_ne!(again["access_token"], stored["access_token"]);
    assert!(!again["refresh_token"].as_str().unwrap().is_empty());
    keychain()
        .delete(&format!("tiktok:{}", fake.open_id))
        .unwrap();
}

/// One form for the account everywhere a person reads it: "Display Name (@username)", never
/// the name twice (issue 10).
#[test]
fn the_account_is_named_the_same_way_everywhere() {
    let fake = Fake::start(|_| {});
    let env = file_env(&fake);
    let run = env.connect(&fake, &[]);
    assert_eq!(
        run.ok().trim(),
        "Connected tiktok as Pasta Chef (@pastachef)"
    );
    let mp4 = media(Media::Mp4);
    let run = env.run(&[
        "schedule",
        mp4.to_str().unwrap(),
        "--at",
        "in 1h",
        "--draft",
    ]);
    assert!(
        run.ok()
            .starts_with("Scheduled post 1: tiny.mp4 → tiktok as Pasta Chef (@pastachef) at "),
        "{run:?}"
    );
    let show = env.run(&["show", "1"]);
    assert!(
        show.ok()
            .contains("  account      tiktok Pasta Chef (@pastachef)\n"),
        "{show:?}"
    );
}

#[test]
fn the_keychain_item_says_whose_login_it_is() {
    let Some(mut env) = TestEnv::with_keyring() else {
        return;
    };
    let fake = Fake::start(|_| {});
    fake.configure(&mut env);
    env.connect(&fake, &[]).ok();
    let keychain = Keychain::new("postez", Duration::from_secs(5));
    let key = format!("tiktok:{}", fake.open_id);
    // What Seahorse or `secret-tool search` shows: whose login, not `keyring:tiktok:…@postez`.
    assert_eq!(
        keychain.label(&key).unwrap().as_deref(),
        Some("postez: TikTok login for @pastachef")
    );
    assert!(keychain.delete(&key).unwrap());
}

#[test]
fn connect_end_to_end_with_the_encrypted_file() {
    let fake = Fake::start(|_| {});
    let env = file_env(&fake);
    env.connect(&fake, &[]).ok();
    let stored = saved(&file_store(&env), &fake).expect("tokens in the file");
    let state = fake.state();
    assert_eq!(
        stored["access_token"],
        state.valid_tokens(TokenKind::Access)[0]
    );
    let raw = std::fs::read(env.home().join("secrets.enc")).unwrap();
    let raw = String::from_utf8_lossy(&raw);
    assert!(!raw.contains(stored["access_token"].as_str().unwrap()));
    assert!(!raw.contains(stored["refresh_token"].as_str().unwrap()));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(env.home().join("secrets.enc"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(
        env.run(&["accounts", "--json"]).json()[0]["token_store"],
        "file"
    );
    // A wrong passphrase cannot read it.
    let mut wrong = file_env(&fake);
    wrong.dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(wrong.home()).unwrap();
    std::fs::copy(
        env.home().join("secrets.enc"),
        wrong.home().join("secrets.enc"),
    )
    .unwrap();
    let bad = SecretStore::File(FileStore::new(
        wrong.home().join("secrets.enc"),
        Secret::new("nope"),
    ));
    assert!(bad.get(&format!("tiktok:{}", fake.open_id)).is_err());
}

#[test]
fn the_authorize_request_follows_tiktok_desktop_rules() {
    let fake = Fake::start(|_| {});
    let env = file_env(&fake);
    let connecting = Connecting::start(&env, &[]).unwrap();
    let url = url::Url::parse(&connecting.url).unwrap();
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(q["client_key"], "fake_client_key");
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["scope"], "user.info.basic,video.upload,video.publish");
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["code_challenge"].len(), 64);
    assert!(
        q["code_challenge"]
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
    assert!(
        q["redirect_uri"].starts_with("http://127.0.0.1:")
            && q["redirect_uri"].ends_with("/callback/")
    );
    assert!(q["state"].len() >= 16);
    let callback = fake.authorize(&connecting.url);
    fake.get(&callback);
    connecting.finish().ok();
}

#[test]
fn a_wrong_state_is_ignored_and_the_real_login_still_works() {
    let fake = Fake::start(|_| {});
    let env = file_env(&fake);
    let connecting = Connecting::start(&env, &[]).unwrap();
    let callback = fake.authorize(&connecting.url);
    let forged = url::Url::parse(&callback).unwrap();
    let base = format!("http://127.0.0.1:{}/callback/", forged.port().unwrap());
    let (status, page) = fake.get(&format!("{base}?code=stolen&state=forged"));
    assert_eq!(status, 400);
    assert!(page.contains("still waiting"), "{page}");
    let (status, _) = fake.get(&format!("{base}?code=stolen"));
    assert_eq!(status, 400);
    let (status, _) = fake.get(&format!(
        "http://127.0.0.1:{}/other",
        forged.port().unwrap()
    ));
    assert_eq!(status, 404);
    let (status, page) = fake.get(&callback);
    assert_eq!(status, 200, "{page}");
    connecting.finish().ok();
    // Only the real code was ever exchanged.
    assert_eq!(fake.state().codes_used, 1);
}

#[test]
fn access_denied_is_reported_and_nothing_is_stored() {
    let fake = Fake::start(|o| o.deny = true);
    let env = file_env(&fake);
    let connecting = Connecting::start(&env, &[]).unwrap();
    let callback = fake.authorize(&connecting.url);
    let (_, page) = fake.get(&callback);
    assert!(
        page.contains("Login was not completed") && page.contains("Go back to the terminal"),
        "{page}"
    );
    let run = connecting.finish();
    assert!(
        run.fails(3).contains("did not connect the account"),
        "{run:?}"
    );
    assert!(!env.home().join("secrets.enc").exists() || saved(&file_store(&env), &fake).is_none());
    assert_eq!(
        env.run(&["accounts", "--json"]).json(),
        serde_json::json!([])
    );
}

#[test]
fn the_login_times_out_with_a_hint() {
    let fake = Fake::start(|_| {});
    let env = file_env(&fake);
    let run = env.run(&["connect", "tiktok", "--no-browser", "--timeout", "1s"]);
    let err = run.fails(2);
    assert!(err.contains("no login arrived within 1s"), "{err}");
    assert!(err.contains("hint:"), "{err}");
}

#[test]
fn a_taken_port_is_a_clear_error() {
    let fake = Fake::start(|_| {});
    let env = file_env(&fake);
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let run = env.run(&["connect", "tiktok", "--no-browser", "--port", &port]);
    assert!(
        run.fails(2)
            .contains(&format!("port {port} on 127.0.0.1 is already in use")),
        "{run:?}"
    );
}

#[test]
fn a_pasted_redirect_url_completes_the_login() {
    use std::io::Write;
    let fake = Fake::start(|_| {});
    let env = file_env(&fake);
    let mut cmd = env.command(&["connect", "tiktok", "--no-browser", "--port", "0"]);
    cmd.stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let url = std::io::BufRead::lines(std::io::BufReader::new(stderr))
        .map_while(Result::ok)
        .find(|l| l.starts_with("http"))
        .unwrap();
    // The browser is elsewhere: the user copies the address it landed on.
    let landed = fake.authorize(&url);
    writeln!(child.stdin.take().unwrap(), "{landed}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Connected tiktok"));
}

#[test]
fn missing_scopes_fail_or_warn() {
    let fake = Fake::start(|o| o.granted_scopes = Some(vec!["user.info.basic".into()]));
    let env = file_env(&fake);
    let run = env.connect(&fake, &[]);
    assert!(
        run.fails(2).contains("did not grant postez permission"),
        "{run:?}"
    );
    assert_eq!(
        env.run(&["accounts", "--json"]).json(),
        serde_json::json!([])
    );
    fake.server
        .set_granted_scopes(Some(vec!["user.info.basic".into(), "video.upload".into()]));
    let run = env.connect(&fake, &[]);
    run.ok();
    assert!(run.stderr.contains("only drafts"), "{}", run.stderr);
}

#[test]
fn an_unreachable_keychain_without_a_terminal_fails_with_the_ways_out() {
    let fake = Fake::start(|_| {});
    let mut env = TestEnv::new();
    fake.configure(&mut env);
    env.set("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
    env.set("XDG_RUNTIME_DIR", env.path("no-runtime").to_str().unwrap());
    let run = env.run(&["connect", "tiktok", "--no-browser"]);
    let err = run.fails(3);
    assert!(err.contains("keychain is not available"), "{err}");
    assert!(
        err.contains("--token-store file") && err.contains("DBUS_SESSION_BUS_ADDRESS"),
        "{err}"
    );
    assert!(!env.home().join("secrets.enc").exists());
    assert_eq!(fake.state().codes_issued, 0);
}

#[test]
fn refresh_before_expiry_rotates_and_persists() {
    // Access tokens live one minute: inside the five-minute margin, so any use refreshes.
    let fake = Fake::start(|o| o.access_ttl = Duration::from_secs(60));
    let env = file_env(&fake);
    env.connect(&fake, &[]).ok();
    let before = saved(&file_store(&env), &fake).unwrap();
    env.run(&["accounts", "--check"]).ok();
    let state = fake.state();
    assert_eq!(state.refresh_calls, 1);
    let after = saved(&file_store(&env), &fake).unwrap();
    assert_ne!(after["refresh_token"], before["refresh_token"]);
    assert_eq!(
        after["refresh_token"],
        state.valid_tokens(TokenKind::Refresh)[0]
    );
    // The old refresh token is dead at TikTok: the rotated one had to be saved.
    assert!(
        !state
            .valid_tokens(TokenKind::Refresh)
            .contains(&before["refresh_token"].as_str().unwrap())
    );
}

/// TikTok's refresh answers may leave out `open_id`: the refresh is accepted and the account
/// keeps its own (issue 10).
#[test]
fn a_refresh_answer_without_open_id_is_accepted() {
    let fake = Fake::start(|o| o.access_ttl = Duration::from_secs(60));
    let env = file_env(&fake);
    env.connect(&fake, &[]).ok();
    fake.server.inject(Fault::RefreshWithoutOpenId);
    let run = env.run(&["accounts", "--check"]);
    run.ok();
    assert_eq!(fake.state().refresh_calls, 1);
    let after = saved(&file_store(&env), &fake).expect("tokens saved under the same open_id");
    assert_eq!(after["open_id"], fake.open_id);
    assert_eq!(
        after["access_token"],
        fake.state().valid_tokens(TokenKind::Access)[0]
    );
    assert_eq!(env.run(&["accounts", "--json"]).json()[0]["state"], "ok");
}

#[test]
fn refresh_after_a_rejected_token() {
    let fake = Fake::start(|_| {});
    let env = file_env(&fake);
    env.connect(&fake, &[]).ok();
    fake.server.expire_access_tokens();
    env.run(&["accounts", "--check"]).ok();
    assert_eq!(fake.state().refresh_calls, 1);
    let after = saved(&file_store(&env), &fake).unwrap();
    assert_eq!(
        after["access_token"],
        fake.state().valid_tokens(TokenKind::Access)[0]
    );
}

#[test]
fn a_token_rejected_after_refresh_is_reported_not_looped() {
    let fake = Fake::start(|_| {});
    let env = file_env(&fake);
    fake.server.inject(Fault::NextAccessTokenExpired);
    // user/info during connect fails with 401: the fresh login is not usable.
    let run = env.connect(&fake, &[]);
    assert!(run.code != 0, "{run:?}");
    env.connect(&fake, &[]).ok();
    fake.server.inject(Fault::NextAccessTokenExpired);
    fake.server.expire_access_tokens();
    // The one refresh after the 401 yields a dead token too: reported, not retried in a loop.
    let run = env.run(&["accounts", "--check"]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr.contains("access_token_invalid"),
        "{}",
        run.stderr
    );
    assert_eq!(fake.state().refresh_calls, 1);
}

#[test]
fn two_processes_refreshing_at_once_make_one_refresh_call() {
    let fake = Fake::start(|o| o.access_ttl = Duration::from_secs(60));
    let env = file_env(&fake);
    env.connect(&fake, &[]).ok();
    // Output captured, so a passing test prints nothing.
    let spawn = || {
        env.command(&["accounts", "--check"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    assert!(a.wait_with_output().unwrap().status.success());
    assert!(b.wait_with_output().unwrap().status.success());
    // The second process waited for the lock, saw the rotated login and used it.
    assert_eq!(fake.state().refresh_calls, 1);
}

#[test]
fn a_rejected_refresh_needs_reconnect_and_keeps_the_posts() {
    let fake = Fake::start(|o| o.access_ttl = Duration::from_secs(60));
    let env = file_env(&fake);
    env.connect(&fake, &[]).ok();
    env.schedule(&media(Media::Mp4), "in 1h", &[]);
    fake.server.inject(Fault::RefreshFails {
        error: "invalid_grant".into(),
    });
    let run = env.run(&["accounts", "--check"]);
    let err = run.fails(3);
    assert!(err.contains("postez connect tiktok"), "{err}");
    let accounts = env.run(&["accounts", "--json"]).json();
    assert_eq!(accounts[0]["state"], "needs_reconnect");
    let posts = env.run(&["list", "--json"]).json();
    assert_eq!(posts[0]["state"], "scheduled");
    // Connecting again makes the account usable.
    env.connect(&fake, &[]).ok();
    assert_eq!(env.run(&["accounts", "--json"]).json()[0]["state"], "ok");
}

#[test]
fn disconnect_revokes_and_deletes_the_tokens() {
    let Some(mut env) = TestEnv::with_keyring() else {
        return;
    };
    let fake = Fake::start(|_| {});
    fake.configure(&mut env);
    env.connect(&fake, &[]).ok();
    env.schedule(&media(Media::Mp4), "in 1h", &[]);
    let access = fake.state().valid_tokens(TokenKind::Access)[0].to_string();
    let run = env.run(&["disconnect", "tiktok"]);
    assert!(run.ok().contains("access revoked at TikTok"), "{run:?}");
    assert!(
        run.stderr.contains("1 queued post is kept"),
        "{}",
        run.stderr
    );
    assert!(fake.state().revoked_tokens.contains(&access));
    assert!(saved(&keychain(), &fake).is_none());
    assert_eq!(
        env.run(&["accounts", "--json"]).json()[0]["state"],
        "disconnected"
    );
    assert_eq!(env.run(&["list", "--json"]).json()[0]["state"], "scheduled");
}

/// After `disconnect` the account is listed as disconnected, with no token store, expiry or
/// publishing mode: its tokens are gone (issue 10).
#[test]
fn accounts_after_disconnect_claims_no_tokens() {
    let fake = Fake::start(|_| {});
    let env = file_env(&fake);
    env.connect(&fake, &[]).ok();
    env.run(&["disconnect", "tiktok"]).ok();
    let a = &env.run(&["accounts", "--json"]).json()[0];
    assert_eq!(a["state"], "disconnected");
    for key in ["token_store", "access_expires_at", "refresh_expires_at"] {
        assert_eq!(a[key], serde_json::Value::Null, "{key}: {a}");
    }
    assert_eq!(a["modes"], serde_json::json!([]));
    let tsv = env.run(&["accounts"]);
    let columns: Vec<&str> = tsv.ok().trim_end_matches('\n').split('\t').collect();
    assert_eq!(columns[4], "disconnected", "{tsv:?}");
    assert_eq!(&columns[5..8], ["", "", ""], "{tsv:?}");
    assert_eq!(columns[9], "", "{tsv:?}");
    // On a terminal: named as disconnected, with no token claims.
    if let Some((code, transcript)) = env.run_in_pty(&["accounts"], "") {
        assert_eq!(code, Some(0), "{transcript}");
        let text = console::strip_ansi_codes(&transcript);
        assert!(
            text.contains("1 Pasta Chef (@pastachef), tiktok account disconnected"),
            "{text}"
        );
        assert!(
            text.contains("no login kept; run `postez connect tiktok` to publish with it again"),
            "{text}"
        );
        assert!(
            !text.contains("tokens in the") && !text.contains("expires"),
            "{text}"
        );
    }
}

/// TikTok refuses to revoke an expired access token: disconnect refreshes it first and revokes
/// the fresh one (issue 10).
#[test]
fn disconnect_refreshes_an_expired_access_token_before_revoking() {
    let fake = Fake::start(|o| o.access_ttl = Duration::from_secs(60));
    let env = file_env(&fake);
    env.connect(&fake, &[]).ok();
    fake.server.expire_access_tokens();
    let run = env.run(&["disconnect", "tiktok"]);
    assert!(run.ok().contains("access revoked at TikTok"), "{run:?}");
    assert!(!run.stderr.contains("could not revoke"), "{run:?}");
    let state = fake.state();
    assert_eq!(state.refresh_calls, 1);
    assert!(state.valid_tokens(TokenKind::Access).is_empty());
    assert!(saved(&file_store(&env), &fake).is_none());
}

#[test]
fn disconnect_works_offline() {
    let fake = Fake::start(|_| {});
    let mut env = file_env(&fake);
    env.connect(&fake, &[]).ok();
    // Nothing listens on port 9 of 127.0.0.1 ("discard"): TikTok is unreachable.
    env.set("POSTEZ_TIKTOK_API_URL", "http://127.0.0.1:9");
    let run = env.run(&["disconnect", "tiktok"]);
    run.ok();
    // The platform's own way to take the access away by hand, in its words.
    assert!(
        run.stderr.contains("could not revoke access at TikTok (")
            && run.stderr.contains(
                "); remove postez under TikTok's Settings › Security › Manage app permissions"
            ),
        "{}",
        run.stderr
    );
    assert!(saved(&file_store(&env), &fake).is_none());
    assert_eq!(
        env.run(&["accounts", "--json"]).json()[0]["state"],
        "disconnected"
    );
}

/// Someone else on the machine can see the authorize URL and finish the login with their own
/// account. Whoever logs in is named, and a different account than the one connected is
/// pointed out (on a terminal, postez asks first; see `connect.rs`).
#[test]
fn a_login_for_another_account_is_named_and_pointed_out() {
    let first = Fake::start(|_| {});
    let mut env = file_env(&first);
    env.connect(&first, &[]).ok();
    let intruder = Fake::start(|o| {
        o.user.display_name = "Someone Else".into();
        o.user.creator_username = "intruder".into();
    });
    intruder.configure(&mut env);
    let run = env.connect(&intruder, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains(
            "this login is for the TikTok account Someone Else (@intruder), which was not \
             connected before (connected: pastachef)"
        ) && run.stderr.contains("postez disconnect tiktok intruder"),
        "{run:?}"
    );
    // Reconnecting the same account again is not pointed out.
    let again = env.connect(&intruder, &[]);
    assert!(
        !again.stderr.contains("was not connected before"),
        "{again:?}"
    );
}

/// Most creators' apps have no Direct Post. TikTok refuses the whole authorization when such an
/// app asks for `video.publish`; `--drafts-only` asks for what the app has, and its drafts
/// publish while direct posts are refused at schedule time.
#[test]
fn a_drafts_only_app_connects_with_drafts_only_and_its_drafts_publish() {
    let fake = Fake::start(|o| {
        o.app_scopes = vec!["user.info.basic".into(), "video.upload".into()];
    });
    let mut env = file_env(&fake);
    env.set("POSTEZ_POLL_INTERVAL", "20ms");

    // The default asks for video.publish: refused as a whole, with the way out.
    let connecting = Connecting::start(&env, &[]).unwrap();
    assert!(
        connecting.url.contains("video.publish"),
        "{}",
        connecting.url
    );
    let callback = fake.authorize(&connecting.url);
    assert!(callback.contains("error=invalid_scope"), "{callback}");
    fake.get(&callback);
    let run = connecting.finish();
    let err = run.fails(3);
    assert!(
        err.contains("not authorized for this app") && err.contains("--drafts-only"),
        "{run:?}"
    );
    assert_eq!(
        env.run(&["accounts", "--json"]).json(),
        serde_json::json!([])
    );

    // --drafts-only asks for user.info.basic,video.upload and nothing else.
    let connecting = Connecting::start(&env, &["--drafts-only"]).unwrap();
    assert!(
        connecting
            .url
            .contains("scope=user.info.basic%2Cvideo.upload&"),
        "{}",
        connecting.url
    );
    let callback = fake.authorize(&connecting.url);
    fake.get(&callback);
    let run = connecting.finish();
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("Drafts only"), "{run:?}");
    let accounts = env.run(&["accounts", "--json"]).json();
    assert_eq!(accounts[0]["modes"], serde_json::json!(["draft"]));
    let tsv = env.run(&["accounts"]);
    assert!(tsv.ok().trim_end().ends_with("\tdraft"), "{tsv:?}");

    // A direct post is refused before anything is queued; a draft is not.
    let before = env.db_bytes();
    let clip = media(Media::Mp4);
    let clip = clip.to_str().unwrap();
    let refused = env.run(&[
        "schedule",
        clip,
        "--at",
        "now",
        "--privacy",
        "SELF_ONLY",
        "--yes",
    ]);
    let err = refused.fails(2);
    assert!(
        err.contains("can only receive drafts") && err.contains("hint: add --draft"),
        "{refused:?}"
    );
    assert_eq!(env.db_bytes(), before, "the queue is unchanged");
    let draft = env
        .run(&["schedule", clip, "--at", "now", "--draft", "--json"])
        .json();
    // edit cannot turn the draft into a direct post either.
    let id = draft["id"].to_string();
    let edit = env.run(&["edit", &id, "--direct", "--privacy", "SELF_ONLY", "--yes"]);
    assert!(
        edit.fails(2).contains("can only receive drafts"),
        "{edit:?}"
    );

    env.run(&["run"]).ok();
    let shown = env.run(&["show", &id, "--json"]).json();
    assert_eq!(shown["state"], "sent_to_inbox", "{shown}");
    assert_eq!(fake.finished().len(), 1);
}

/// `tiktok_direct_post = false` makes drafts-only the default of `connect`.
#[test]
fn the_direct_post_setting_off_makes_drafts_only_the_default() {
    let fake = Fake::start(|o| {
        o.app_scopes = vec!["user.info.basic".into(), "video.upload".into()];
    });
    let env = file_env(&fake);
    env.run(&["config", "set", "tiktok_direct_post", "false"])
        .ok();
    let run = env.connect(&fake, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        env.run(&["accounts", "--json"]).json()[0]["scopes"],
        serde_json::json!(["user.info.basic", "video.upload"])
    );
}

/// A runner lasts: the client secret given in the environment at connect time is saved in the
/// token store, so a cron run without the variable can still refresh the login.
#[test]
fn a_run_without_the_secret_variable_refreshes_with_the_saved_secret() {
    let fake = Fake::start(|o| o.access_ttl = Duration::from_secs(60));
    let mut env = file_env(&fake);
    env.set("POSTEZ_POLL_INTERVAL", "20ms");
    env.connect(&fake, &[]).ok();
    env.schedule(&media(Media::Mp4), "now", &[]);
    env.unset("POSTEZ_TIKTOK_CLIENT_SECRET");
    let run = env.run(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        fake.state().refresh_calls >= 1,
        "the access token was refreshed"
    );
    assert_eq!(fake.finished().len(), 1);

    // Without a saved secret either, the run says exactly what to do and exits "needs auth".
    env.schedule(&media(Media::Mp4), "now", &[]);
    file_store(&env).delete("tiktok:client_secret").unwrap();
    let run = env.run(&["run"]);
    let err = run.fails(3);
    assert!(
        err.contains("no tiktok client secret is saved")
            && err.contains("run `postez connect tiktok` once"),
        "{run:?}"
    );
    assert_eq!(
        env.run(&["list", "--json"]).json()[0]["state"],
        "scheduled",
        "the post waits"
    );
}

/// A run that cannot open the token file for want of its passphrase (cron has no
/// POSTEZ_PASSPHRASE) keeps the posts and exits "needs auth" with the exact fix.
#[test]
fn a_run_without_the_passphrase_exits_needs_auth_with_the_fix() {
    let fake = Fake::start(|_| {});
    let mut env = fake.connected();
    env.schedule(&media(Media::Mp4), "now", &[]);
    env.unset("POSTEZ_PASSPHRASE");
    let run = env.run(&["run"]);
    let err = run.fails(3);
    assert!(
        err.contains("needs a passphrase") && err.contains("postez config set passphrase_command"),
        "{run:?}"
    );
    assert_eq!(
        env.run(&["list", "--json"]).json()[0]["state"],
        "scheduled",
        "the post waits"
    );
}
