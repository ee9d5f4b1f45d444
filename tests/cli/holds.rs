//! Answers from TikTok that concern the account, not the post (issue 10): quotas hold the
//! account's posts for a day without using up attempts, a ban fails the post and pauses the
//! account until it is connected again, a refused client secret holds every post with one
//! message, and a login without Direct Post fails direct posts while drafts go on.

use crate::fake_tiktok::{Endpoint, Fault};
use crate::support::{Fake, NOW, Run, TestEnv, media};

fn post(env: &TestEnv, id: i64) -> serde_json::Value {
    env.run(&["show", &id.to_string(), "--json"]).json()
}

fn at(hours: i64) -> String {
    let now: chrono::DateTime<chrono::Utc> = NOW.parse().unwrap();
    (now + chrono::Duration::hours(hours)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn later(env: &mut TestEnv, hours: i64) {
    env.set("POSTEZ_NOW", &at(hours));
}

fn lines<'a>(run: &'a Run, prefix: &str) -> Vec<&'a str> {
    run.stderr
        .lines()
        .filter(|l| l.starts_with(prefix))
        .collect()
}

/// One quota code: the posts of its kind are held for a day (no attempt used, reason and
/// end shown), the other kind goes on, a run inside the window calls nothing, and after it
/// the posts publish.
fn quota_holds_then_publishes(code: &str, fault: Fault, held: &[&str], free: &[&str]) {
    let fake = Fake::start(|_| {});
    let mut env = fake.connected();
    let video = media(crate::support::Media::Mp4);
    for extra in held.iter().chain(free) {
        let args: Vec<&str> = extra.split_whitespace().collect();
        env.schedule(&video, "now", &args);
    }
    let held_ids: Vec<i64> = (1..=held.len() as i64).collect();
    fake.server.inject(fault);
    let run = env.run(&["run"]);
    assert!(
        [0, 75].contains(&run.code),
        "{code}: a quota is not a failure: {run:?}"
    );
    assert!(run.stderr.contains(code), "{}", run.stderr);
    assert!(!run.stderr.contains("failed"), "{}", run.stderr);
    let until = at(24);
    for id in &held_ids {
        let p = post(&env, *id);
        assert_eq!(p["state"], "scheduled", "{code}: {p}");
        assert_eq!(p["attempts"], 0, "{code}: no attempt used: {p}");
        assert_eq!(p["last_error_code"], code, "{p}");
        assert_eq!(p["next_attempt_at"], until.as_str(), "{p}");
        assert!(
            p["last_error_hint"].as_str().unwrap().contains("a day"),
            "{p}"
        );
    }
    for id in held.len() + 1..=held.len() + free.len() {
        let p = post(&env, id as i64);
        assert!(
            ["published", "sent_to_inbox"].contains(&p["state"].as_str().unwrap()),
            "{code}: the other kind of post goes on: {p}"
        );
    }
    // `list` and `show` say why and until when.
    let list = env.run(&["list"]);
    list.ok();
    for id in &held_ids {
        assert!(
            list.stderr
                .contains(&format!("post {id} held until {until}: ")),
            "{}",
            list.stderr
        );
    }
    assert!(list.stderr.contains(code), "{}", list.stderr);
    let listed = env.run(&["list", "--json"]).json();
    assert_eq!(listed[0]["next_attempt_at"], until.as_str(), "{listed}");
    let show = env.run(&["show", "1"]);
    assert!(show.ok().contains("next try"), "{}", show.stdout);
    assert!(show.stdout.contains("held"), "{}", show.stdout);
    assert!(show.stdout.contains(code), "{}", show.stdout);
    // Inside the window: no call at all.
    let calls = fake.state().calls;
    later(&mut env, 23);
    let run = env.run(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(fake.state().calls, calls, "{code}: a held post made a call");
    // After it: they publish, still without a used attempt, and a late limit shorter than
    // the hold does not count them as missed.
    env.run(&["config", "set", "late_limit", "1h"]).ok();
    later(&mut env, 25);
    env.run(&["run"]).ok();
    for id in &held_ids {
        let p = post(&env, *id);
        assert!(
            ["published", "sent_to_inbox"].contains(&p["state"].as_str().unwrap()),
            "{code}: {p}"
        );
        assert_eq!(p["attempts"], 0, "{p}");
    }
}

#[test]
fn five_pending_drafts_hold_the_drafts_for_a_day_and_direct_posts_go_on() {
    quota_holds_then_publishes(
        "spam_risk_too_many_pending_share",
        Fault::Status {
            endpoint: Endpoint::InboxInit,
            http: 403,
            code: "spam_risk_too_many_pending_share".into(),
        },
        &["--draft", "--draft"],
        &[""],
    );
}

#[test]
fn too_many_posts_from_creator_info_holds_direct_posts_and_drafts_go_on() {
    // creator_info answers it with HTTP 200 "(intentional)" (shared/tiktok-api.md §2.1).
    quota_holds_then_publishes(
        "spam_risk_too_many_posts",
        Fault::CreatorCannotPost {
            code: "spam_risk_too_many_posts".into(),
        },
        &["", ""],
        &["--draft"],
    );
}

#[test]
fn the_apps_active_creator_cap_at_init_holds_direct_posts() {
    quota_holds_then_publishes(
        "reached_active_user_cap",
        Fault::Status {
            endpoint: Endpoint::DirectInit,
            http: 403,
            code: "reached_active_user_cap".into(),
        },
        &["", ""],
        &[],
    );
}

/// TikTok's own cap (five pending drafts a day), not an injected answer: the sixth draft and
/// the ones after it wait; no attempt is used.
#[test]
fn the_sixth_draft_of_a_day_waits_for_the_window() {
    let fake = Fake::start(|_| {});
    let env = fake.connected();
    let video = media(crate::support::Media::Mp4);
    for _ in 0..7 {
        env.schedule(&video, "now", &["--draft"]);
    }
    let run = env.run(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(fake.finished().len(), 5);
    // One refusal, then no more calls for the drafts.
    assert_eq!(fake.state().count(Endpoint::InboxInit), 6);
    for id in [6, 7] {
        let p = post(&env, id);
        assert_eq!(p["state"], "scheduled", "{p}");
        assert_eq!(p["attempts"], 0, "{p}");
        assert_eq!(p["next_attempt_at"], at(24).as_str(), "{p}");
    }
    // One line for both.
    let held: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains(": post(s) "))
        .collect();
    assert_eq!(held.len(), 1, "{}", run.stderr);
}

#[test]
fn a_ban_fails_the_post_and_pauses_the_account_until_it_connects_again() {
    let fake = Fake::start(|_| {});
    let mut env = fake.connected();
    let video = media(crate::support::Media::Mp4);
    env.schedule(&video, "now", &[]);
    env.schedule(&video, "now", &[]);
    env.schedule(&video, "now", &["--draft"]);
    env.schedule(&video, "in 3h", &[]);
    fake.server.inject(Fault::Status {
        endpoint: Endpoint::DirectInit,
        http: 403,
        code: "spam_risk_user_banned_from_posting".into(),
    });
    let run = env.run(&["run"]);
    assert_eq!(run.code, 4, "{run:?}");
    let p = post(&env, 1);
    assert_eq!(p["state"], "failed", "{p}");
    assert_eq!(p["last_error_code"], "spam_risk_user_banned_from_posting");
    for id in [2, 3, 4] {
        let p = post(&env, id);
        assert_eq!(p["state"], "scheduled", "{p}");
        assert_eq!(p["attempts"], 0, "{p}");
        assert!(p["last_error"].as_str().unwrap().contains("paused"), "{p}");
        assert!(
            p["last_error_hint"]
                .as_str()
                .unwrap()
                .contains("postez connect tiktok"),
            "{p}"
        );
    }
    assert_eq!(fake.state().count(Endpoint::InboxInit), 0);
    // The pause is visible, with the way out.
    let accounts = env.run(&["accounts", "--json"]).json();
    assert_eq!(accounts[0]["paused"], true, "{accounts}");
    assert_eq!(accounts[0]["state"], "ok", "{accounts}");
    assert!(accounts[0]["holds"][0]["until"].is_null(), "{accounts}");
    let human = env.run(&["accounts"]);
    assert!(
        human.ok().contains("paused") || human.stderr.contains("paused"),
        "{human:?}"
    );
    assert!(human.stderr.contains("postez connect tiktok"), "{human:?}");
    let show = env.run(&["show", "2"]);
    assert!(show.ok().contains("paused"), "{}", show.stdout);
    let doctor = env.run(&["doctor", "--json"]);
    let checks = serde_json::from_str::<serde_json::Value>(&doctor.stdout).unwrap();
    assert!(
        checks["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["status"] == "fail"
                && c["message"].as_str().unwrap().contains("paused")
                && c["fix"].as_str().unwrap().contains("postez connect tiktok")),
        "{checks}"
    );
    // Later runs make no call for it, and say so once, needing the user (exit 3).
    let calls = fake.state().calls;
    later(&mut env, 5);
    let run = env.run(&["run"]);
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(fake.state().calls, calls, "a paused account made a call");
    assert_eq!(lines(&run, "error:").len(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("paused"), "{}", run.stderr);
    // Not failed as missed while paused, whatever the late limit.
    env.run(&["config", "set", "late_limit", "1h"]).ok();
    later(&mut env, 30);
    assert_eq!(env.run(&["run"]).code, 3);
    assert_eq!(post(&env, 2)["state"], "scheduled");
    // The way out: connect again; then the posts go out.
    let run = env.connect(&fake, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(env.run(&["accounts", "--json"]).json()[0]["paused"], false);
    let run = env.run(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    for id in [2, 4] {
        assert_eq!(post(&env, id)["state"], "published");
    }
    assert_eq!(post(&env, 3)["state"], "sent_to_inbox");
    assert_eq!(post(&env, 1)["state"], "failed");
}

#[test]
fn a_rotated_client_secret_holds_all_the_accounts_posts_with_one_message() {
    let fake = Fake::start(|_| {});
    let mut env = fake.connected();
    let video = media(crate::support::Media::Mp4);
    for _ in 0..3 {
        env.schedule(&video, "now", &[]);
    }
    // Runs use the secret connect saved; the developer then rotates it at TikTok.
    env.unset("POSTEZ_TIKTOK_CLIENT_SECRET");
    fake.server.expire_access_tokens();
    fake.server.rotate_client_secret("rotated_secret");
    let run = env.run(&["run"]);
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(lines(&run, "error:").len(), 1, "{}", run.stderr);
    let hints = lines(&run, "hint:");
    assert_eq!(hints.len(), 1, "{}", run.stderr);
    assert!(hints[0].contains("postez connect tiktok"), "{}", run.stderr);
    assert!(
        hints[0].contains("POSTEZ_TIKTOK_CLIENT_SECRET"),
        "{}",
        run.stderr
    );
    assert!(
        lines(&run, "error:")[0].contains("invalid_client"),
        "{}",
        run.stderr
    );
    // No line per post.
    assert!(!run.stderr.contains(" post 1 "), "{}", run.stderr);
    assert_eq!(fake.state().refresh_calls, 1, "one refresh for all");
    for id in 1..=3 {
        let p = post(&env, id);
        assert_eq!(p["state"], "scheduled", "{p}");
        assert_eq!(p["attempts"], 0, "{p}");
        assert_eq!(p["last_error_code"], "invalid_client", "{p}");
    }
    // The saved secret is kept (the key may be what is wrong): the next run tries once more,
    // holds the posts again the same way, and says how to give the new one.
    let run = env.run(&["run"]);
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(fake.state().refresh_calls, 2);
    assert_eq!(post(&env, 1)["attempts"], 0);
    assert!(
        run.stderr.contains("postez connect tiktok"),
        "{}",
        run.stderr
    );
    // With the new secret the login refreshes and everything publishes.
    env.set("POSTEZ_TIKTOK_CLIENT_SECRET", "rotated_secret");
    let run = env.run(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    for id in 1..=3 {
        assert_eq!(post(&env, id)["state"], "published");
    }
}

#[test]
fn a_wrong_client_secret_from_the_environment_holds_the_posts_and_keeps_the_saved_one() {
    let fake = Fake::start(|_| {});
    let mut env = fake.connected();
    env.schedule(&media(crate::support::Media::Mp4), "now", &[]);
    fake.server.expire_access_tokens();
    env.set("POSTEZ_TIKTOK_CLIENT_SECRET", "typo");
    let run = env.run(&["run"]);
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(post(&env, 1)["state"], "scheduled");
    // The saved (right) secret was not touched.
    env.unset("POSTEZ_TIKTOK_CLIENT_SECRET");
    let run = env.run(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(post(&env, 1)["state"], "published");
}

#[test]
fn scope_not_authorized_fails_the_direct_post_and_drafts_go_on() {
    let fake = Fake::start(|_| {});
    let env = fake.connected();
    let video = media(crate::support::Media::Mp4);
    env.schedule(&video, "now", &[]);
    env.schedule(&video, "now", &["--draft"]);
    env.schedule(&video, "now", &[]);
    fake.server.inject(Fault::Status {
        endpoint: Endpoint::CreatorInfo,
        http: 401,
        code: "scope_not_authorized".into(),
    });
    // `connect` read creator_info already.
    let before = fake.state().count(Endpoint::CreatorInfo);
    let run = env.run(&["run"]);
    assert_eq!(run.code, 4, "{run:?}");
    for id in [1, 3] {
        let p = post(&env, id);
        assert_eq!(p["state"], "failed", "{p}");
        assert_eq!(p["last_error_code"], "scope_not_authorized", "{p}");
        let hint = p["last_error_hint"].as_str().unwrap();
        assert!(
            hint.contains("--draft") && hint.contains("Direct Post"),
            "{p}"
        );
    }
    // One call told it; the other direct post made none.
    assert_eq!(fake.state().count(Endpoint::CreatorInfo), before + 1);
    assert_eq!(fake.state().count(Endpoint::DirectInit), 0);
    assert_eq!(post(&env, 2)["state"], "sent_to_inbox");
    let accounts = env.run(&["accounts", "--json"]).json();
    assert_eq!(
        accounts[0]["state"], "ok",
        "not needs_reconnect: {accounts}"
    );
    assert_eq!(
        accounts[0]["modes"],
        serde_json::json!(["draft"]),
        "{accounts}"
    );
    // A new direct post is refused at schedule time; a draft is not.
    let refused = env.run(&[
        "schedule",
        video.to_str().unwrap(),
        "--at",
        "in 1h",
        "--privacy",
        "SELF_ONLY",
        "--yes",
    ]);
    assert_eq!(refused.code, 2, "{refused:?}");
    assert!(refused.stderr.contains("--draft"), "{}", refused.stderr);
    env.schedule(&video, "in 1h", &["--draft"]);
}

/// Another postez holding the account's refresh lock past the wait is temporary: the posts
/// wait (no attempt used, exit 75) and the next run publishes them.
#[test]
fn a_refresh_lock_held_by_another_process_is_retried_not_failed() {
    let fake = Fake::start(|_| {});
    let mut env = fake.connected();
    env.schedule(&media(crate::support::Media::Mp4), "now", &[]);
    env.schedule(&media(crate::support::Media::Mp4), "now", &["--draft"]);
    fake.server.expire_access_tokens();
    env.set("POSTEZ_REFRESH_LOCK_WAIT", "300ms");
    let lock = env
        .home()
        .join(format!("refresh-tiktok-{}.lock", fake.open_id));
    let held = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock)
        .unwrap();
    held.lock().unwrap();
    let run = env.run(&["run"]);
    assert_eq!(run.code, 75, "{run:?}");
    assert!(run.stderr.contains("held the login"), "{}", run.stderr);
    for id in [1, 2] {
        let p = post(&env, id);
        assert_eq!(p["state"], "scheduled", "{p}");
        assert_eq!(p["attempts"], 0, "{p}");
    }
    assert_eq!(fake.state().refresh_calls, 0);
    drop(held);
    let run = env.run(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(post(&env, 1)["state"], "published");
    assert_eq!(post(&env, 2)["state"], "sent_to_inbox");
}

/// `connect` with a saved secret TikTok no longer accepts (rotated): it fails with the fix, and
/// forgets that secret, so the next `connect` asks for (or takes) the new one.
#[test]
fn connect_forgets_a_saved_client_secret_tiktok_refuses() {
    let fake = Fake::start(|_| {});
    let mut env = fake.connected();
    env.unset("POSTEZ_TIKTOK_CLIENT_SECRET");
    fake.server.rotate_client_secret("rotated_secret");
    let run = env.connect(&fake, &[]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stderr.contains("invalid_client"), "{}", run.stderr);
    assert!(
        run.stderr.contains("asks for the secret again"),
        "{}",
        run.stderr
    );
    let doctor = env.run(&["doctor", "--json"]);
    let checks = serde_json::from_str::<serde_json::Value>(&doctor.stdout).unwrap();
    assert!(
        checks["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "client secret" && c["status"] == "fail"),
        "{checks}"
    );
    env.set("POSTEZ_TIKTOK_CLIENT_SECRET", "rotated_secret");
    let run = env.connect(&fake, &[]);
    assert_eq!(run.code, 0, "{run:?}");
}
