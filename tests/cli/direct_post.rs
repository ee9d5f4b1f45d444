//! Direct Post as TikTok audits it (Content Sharing Guidelines, issue 10): at schedule time the
//! creator's `creator_info` decides which privacy levels and lengths are allowed and whose
//! nickname is shown before the consent; offline, schedule says it did not check; the consent
//! sentences are TikTok's own; init sends `disable_* = !allow || creator disabled`; and the
//! privacy prompt, in a real terminal, starts with nothing selected.

use std::io::{Read, Write};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::fake_tiktok::{Endpoint, FakeUser};
use crate::support::{Fake, Media, TestEnv, media};

const MUSIC: &str = "By posting, you agree to TikTok's Music Usage Confirmation.";
const BRANDED: &str =
    "By posting, you agree to TikTok's Branded Content Policy and Music Usage Confirmation.";
const PROCESSING: &str = "TikTok may take a few minutes to process the video";

/// A private account: TikTok offers no PUBLIC_TO_EVERYONE.
fn private_account(user: &mut FakeUser) {
    user.privacy_level_options = vec![
        "MUTUAL_FOLLOW_FRIENDS".into(),
        "FOLLOWER_OF_CREATOR".into(),
        "SELF_ONLY".into(),
    ];
}

fn queued(env: &TestEnv) -> usize {
    env.run(&["list", "--all", "--json"])
        .json()
        .as_array()
        .unwrap()
        .len()
}

fn schedule(env: &TestEnv, extra: &[&str]) -> crate::support::Run {
    let file = media(Media::Mp4);
    // The same video again and again: not a repeat TikTok would see.
    let mut args = vec![
        "schedule",
        file.to_str().unwrap(),
        "--at",
        "in 2h",
        "--allow-duplicate",
    ];
    args.extend(extra);
    env.run(&args)
}

#[test]
fn a_private_account_refuses_public_at_schedule_time() {
    let fake = Fake::start(|o| private_account(&mut o.user));
    let env = fake.connected();
    let before = fake.state().count(Endpoint::CreatorInfo);
    for level in ["PUBLIC_TO_EVERYONE", "public"] {
        let run = schedule(&env, &["--privacy", level, "--yes"]);
        let stderr = run.fails(2);
        assert!(
            stderr.contains(
                "error: TikTok does not let pasta.chef (@pastachef) post as PUBLIC_TO_EVERYONE; \
                 it offers MUTUAL_FOLLOW_FRIENDS, FOLLOWER_OF_CREATOR, SELF_ONLY"
            ),
            "{stderr}"
        );
        assert!(
            stderr.contains(
                "hint: use --privacy friends or --privacy followers or --privacy private"
            ),
            "{stderr}"
        );
        assert!(
            !stderr.contains(MUSIC),
            "refused before the consent: {stderr}"
        );
    }
    assert_eq!(queued(&env), 0, "the queue is unchanged");
    assert_eq!(
        fake.state().count(Endpoint::CreatorInfo),
        before + 2,
        "a fresh creator_info for each schedule"
    );
    // Without a terminal and without --privacy, the hint lists the creator's levels only.
    let run = schedule(&env, &["--yes"]);
    let stderr = run.fails(2);
    assert!(
        stderr.contains("levels: MUTUAL_FOLLOW_FRIENDS, FOLLOWER_OF_CREATOR, SELF_ONLY"),
        "{stderr}"
    );
    // A level the creator has is accepted.
    schedule(&env, &["--privacy", "followers", "--yes"]).ok();
    assert_eq!(queued(&env), 1);
}

#[test]
fn a_video_longer_than_the_creator_may_post_is_refused_at_schedule_time() {
    let fake = Fake::start(|o| o.user.max_video_post_duration_sec = 1);
    let env = fake.connected();
    let run = schedule(&env, &["--privacy", "private", "--yes"]);
    let stderr = run.fails(2);
    assert!(
        stderr.contains("is 2 s long, and TikTok lets pasta.chef (@pastachef) post at most 1 s"),
        "{stderr}"
    );
    assert!(stderr.contains("hint: trim it"), "{stderr}");
    assert_eq!(queued(&env), 0);
    // Drafts need none of it: no creator_info, no refusal.
    let before = fake.state().count(Endpoint::CreatorInfo);
    schedule(&env, &["--draft"]).ok();
    assert_eq!(fake.state().count(Endpoint::CreatorInfo), before);
    assert_eq!(queued(&env), 1);
    // `edit` checks the new choices too: making the draft a direct post is refused.
    let run = env.run(&["edit", "1", "--direct", "--privacy", "private", "--yes"]);
    assert!(run.fails(2).contains("post at most 1 s"), "{run:?}");
}

#[test]
fn offline_schedule_says_it_was_not_checked_and_queues() {
    let fake = Fake::start(|o| private_account(&mut o.user));
    let env = fake.connected();
    // TikTok unreachable: the fake is gone and its port closed.
    drop(fake);
    let run = schedule(&env, &["--privacy", "PUBLIC_TO_EVERYONE", "--yes"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr
            .contains("Not checked with TikTok for pastachef (could not reach tiktok")
            && run.stderr.contains(
                "`postez run` checks the privacy level and the video's length before it publishes."
            ),
        "{run:?}"
    );
    assert!(!run.stderr.contains("Posting to TikTok as"), "{run:?}");
    assert!(run.stderr.contains(MUSIC), "{run:?}");
    assert_eq!(queued(&env), 1, "queued; run checks at publish time");
}

#[test]
fn the_nickname_comes_before_tiktoks_exact_consent_sentences() {
    let fake = Fake::start(|_| {});
    let env = fake.connected();
    let lines = |run: &crate::support::Run| -> Vec<String> {
        assert_eq!(run.code, 0, "{run:?}");
        run.stderr.lines().map(str::to_string).collect()
    };
    let plain = lines(&schedule(&env, &["--privacy", "private", "--yes"]));
    let nickname = plain
        .iter()
        .position(|l| l == "Posting to TikTok as pasta.chef (@pastachef).")
        .unwrap_or_else(|| panic!("{plain:?}"));
    let consent = plain
        .iter()
        .position(|l| l == MUSIC)
        .unwrap_or_else(|| panic!("{plain:?}"));
    assert!(nickname < consent, "{plain:?}");
    assert!(!plain.iter().any(|l| l.contains("Branded")), "{plain:?}");
    assert!(plain.iter().any(|l| l.contains(PROCESSING)), "{plain:?}");

    let branded = lines(&schedule(
        &env,
        &["--privacy", "friends", "--branded-content", "--yes"],
    ));
    let nickname = branded
        .iter()
        .position(|l| l == "Posting to TikTok as pasta.chef (@pastachef).")
        .unwrap_or_else(|| panic!("{branded:?}"));
    let consent = branded
        .iter()
        .position(|l| l == BRANDED)
        .unwrap_or_else(|| panic!("{branded:?}"));
    assert!(nickname < consent, "{branded:?}");
    // One sentence, not both: the branded one already cites the music confirmation.
    assert!(!branded.iter().any(|l| l == MUSIC), "{branded:?}");
}

#[test]
fn init_sends_disable_flags_from_allow_and_the_creator() {
    let fake = Fake::start(|o| o.rate_window = Duration::from_millis(100));
    let env = fake.connected();
    let user = |disabled: bool| {
        let mut u = FakeUser {
            open_id: fake.open_id.clone(),
            display_name: "Pasta Chef".into(),
            creator_nickname: "pasta.chef".into(),
            creator_username: "pastachef".into(),
            ..FakeUser::default()
        };
        u.comment_disabled = disabled;
        u.duet_disabled = disabled;
        u.stitch_disabled = disabled;
        u
    };
    let file = media(Media::Mp4);
    let mut seen = Vec::new();
    for (allow, disabled) in [(false, false), (true, false), (false, true), (true, true)] {
        fake.server.set_user(user(disabled));
        let mut extra = vec![];
        if allow {
            extra.extend(["--allow-comments", "--allow-duet", "--allow-stitch"]);
        }
        env.schedule(&file, "now", &extra);
        let run = env.run(&["run"]);
        assert_eq!(run.code, 0, "{run:?}");
        if allow && disabled {
            assert!(
                run.stderr
                    .contains("turned off comments and duets and stitches in TikTok"),
                "{run:?}"
            );
        }
        let state = fake.state();
        let info = state
            .publishes
            .last()
            .and_then(|p| p.post_info.clone())
            .unwrap();
        let got = ["disable_comment", "disable_duet", "disable_stitch"].map(|k| info[k].clone());
        seen.push(((allow, disabled), got));
    }
    let f = serde_json::Value::Bool(false);
    let t = serde_json::Value::Bool(true);
    assert_eq!(
        seen,
        [
            ((false, false), [t.clone(), t.clone(), t.clone()]),
            ((true, false), [f.clone(), f.clone(), f.clone()]),
            ((false, true), [t.clone(), t.clone(), t.clone()]),
            ((true, true), [t.clone(), t.clone(), t.clone()]),
        ],
        "disable_* = !allow || creator disabled"
    );
}

/// A terminal session of `postez` under `script`, fed keys and read as it goes (also used by
/// tests/cli/groups.rs).
pub struct Terminal {
    pub child: std::process::Child,
    input: std::process::ChildStdin,
    screen: Arc<Mutex<String>>,
}

impl Terminal {
    pub fn start(env: &TestEnv, args: &str) -> Option<Self> {
        if std::process::Command::new("script")
            .arg("--version")
            .output()
            .is_err()
        {
            eprintln!("SKIPPED: `script` (util-linux) is not installed");
            return None;
        }
        let command = format!("{} {args}", env!("CARGO_BIN_EXE_postez"));
        let mut cmd = {
            let mut c = std::process::Command::new("script");
            c.args(["-qec", &command, "/dev/null"])
                .env_clear()
                .envs(env.env.iter().map(|(k, v)| (k, v)))
                .env("TERM", "xterm")
                .current_dir(env.dir.path());
            c
        };
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let input = child.stdin.take().unwrap();
        let mut output = child.stdout.take().unwrap();
        let screen = Arc::new(Mutex::new(String::new()));
        let sink = screen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = output.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Some(Self {
            child,
            input,
            screen,
        })
    }

    pub fn screen(&self) -> String {
        self.screen.lock().unwrap().clone()
    }

    /// Wait until the screen holds `text` (after `from` bytes), then let the prompt settle.
    #[track_caller]
    pub fn wait_for(&self, text: &str, from: usize) -> String {
        let end = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.screen();
            if screen.get(from..).is_some_and(|s| s.contains(text)) {
                std::thread::sleep(Duration::from_millis(300));
                return screen;
            }
            assert!(Instant::now() < end, "no {text:?} on the screen:\n{screen}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn keys(&mut self, keys: &str) {
        self.input.write_all(keys.as_bytes()).unwrap();
        self.input.flush().unwrap();
    }
}

impl Drop for Terminal {
    /// A failed assertion must not leave `script` and postez waiting for keys.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[test]
fn the_privacy_prompt_starts_with_nothing_selected_in_a_real_terminal() {
    let fake = Fake::start(|o| private_account(&mut o.user));
    let env = fake.connected();
    let file = media(Media::Mp4);
    let Some(mut term) =
        Terminal::start(&env, &format!("schedule {} --at 'in 2h'", file.display()))
    else {
        return;
    };
    let first = term.wait_for("Only me (SELF_ONLY)", 0);
    let shown = first.replace('\r', "");
    // The creator's nickname, then only the creator's levels, none of them under the cursor.
    let nickname = shown
        .find("Posting to TikTok as pasta.chef (@pastachef).")
        .unwrap_or_else(|| panic!("{shown}"));
    let prompt = shown.find("Who can see this post?").unwrap();
    assert!(nickname < prompt, "{shown}");
    assert!(!shown.contains("Everyone"), "a private account: {shown}");
    assert!(
        shown.contains("  Friends (MUTUAL_FOLLOW_FRIENDS)"),
        "{shown}"
    );
    assert!(!shown.contains("> "), "something is preselected: {shown}");
    // Enter with nothing chosen chooses nothing.
    term.keys("\r");
    std::thread::sleep(Duration::from_millis(500));
    let after_enter = term.screen();
    assert!(!after_enter.contains("> "), "{after_enter}");
    assert!(!after_enter.contains(MUSIC), "{after_enter}");
    // Down reaches the first level; Enter takes it; then the consent.
    let mark = after_enter.len();
    term.keys("\x1b[B");
    term.wait_for("> Friends (MUTUAL_FOLLOW_FRIENDS)", mark);
    term.keys("\r");
    term.wait_for("Agree and queue the post?", mark);
    term.keys("y");
    let status = term.child.wait().unwrap();
    let screen = term.screen();
    assert!(status.success(), "{screen}");
    assert!(screen.contains(MUSIC), "{screen}");
    let post = env.run(&["show", "1", "--json"]).json();
    assert_eq!(post["privacy"], "MUTUAL_FOLLOW_FRIENDS", "{post}");
}

#[test]
fn import_refuses_a_row_the_creator_cannot_post_and_adds_nothing() {
    let fake = Fake::start(|o| private_account(&mut o.user));
    let env = fake.connected();
    std::fs::copy(media(Media::Mp4), env.path("a.mp4")).unwrap();
    let csv = env.path("posts.csv");
    std::fs::write(
        &csv,
        "file,at,caption,privacy\na.mp4,in 2h,one,private\na.mp4,in 3h,two,public\n",
    )
    .unwrap();
    let before = fake.state().count(Endpoint::CreatorInfo);
    let run = env.run(&[
        "import",
        csv.to_str().unwrap(),
        "--yes",
        "--allow-duplicate",
    ]);
    let stderr = run.fails(2);
    assert!(
        stderr.contains("row 2 of `")
            && stderr
                .contains("TikTok does not let pasta.chef (@pastachef) post as PUBLIC_TO_EVERYONE"),
        "{stderr}"
    );
    assert_eq!(queued(&env), 0, "all or nothing");
    assert_eq!(
        fake.state().count(Endpoint::CreatorInfo),
        before + 1,
        "one creator_info for the account, not one per row"
    );
    std::fs::write(
        &csv,
        "file,at,caption,privacy\na.mp4,in 2h,one,private\na.mp4,in 3h,two,followers\n",
    )
    .unwrap();
    let run = env.run(&[
        "import",
        csv.to_str().unwrap(),
        "--yes",
        "--allow-duplicate",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let nickname = run
        .stderr
        .find("Posting to TikTok as pasta.chef (@pastachef).")
        .unwrap_or_else(|| panic!("{run:?}"));
    assert!(nickname < run.stderr.find(MUSIC).unwrap(), "{run:?}");
    assert_eq!(queued(&env), 2);
}

/// `run --dry-run` makes the checks a run makes with the creator's answer (issue 11): the same
/// privacy rule, the duration limit and the interactions the creator turned off, with the same
/// words, and changes nothing.
#[test]
fn a_dry_run_makes_the_creator_checks_of_a_run() {
    let fake = Fake::start(|_| {});
    let env = fake.connected();
    let file = media(Media::Mp4);
    env.schedule(&file, "now", &["--allow-comments"]);
    let user = |f: &dyn Fn(&mut FakeUser)| {
        let mut u = FakeUser {
            open_id: fake.open_id.clone(),
            display_name: "Pasta Chef".into(),
            creator_nickname: "pasta.chef".into(),
            creator_username: "pastachef".into(),
            ..FakeUser::default()
        };
        f(&mut u);
        u
    };
    let dry = |env: &TestEnv| {
        let before = env.db_bytes();
        let run = env.run(&["run", "--dry-run"]);
        assert_eq!(env.db_bytes(), before, "a dry run changes nothing");
        run
    };
    // Interactions the creator turned off: noted, and the post would still go.
    fake.server.set_user(user(&|u| u.comment_disabled = true));
    let run = dry(&env);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("would publish tiny.mp4")
            && run
                .stderr
                .contains("the creator turned off comments in TikTok, so they stay off")
            && run.stderr.contains("as pasta.chef"),
        "{run:?}"
    );
    // Longer than the creator may post, and a privacy level the creator lacks: the run's words.
    for (setup, words) in [
        (
            &(|u: &mut FakeUser| u.max_video_post_duration_sec = 1) as &dyn Fn(&mut FakeUser),
            "the video is 2 s long; this account may post at most 1 s",
        ),
        (
            &|u: &mut FakeUser| u.privacy_level_options = vec!["PUBLIC_TO_EVERYONE".into()],
            "pasta.chef cannot post as SELF_ONLY; it can use PUBLIC_TO_EVERYONE",
        ),
    ] {
        fake.server.set_user(user(setup));
        let run = dry(&env);
        assert_ne!(run.code, 0, "{run:?}");
        assert!(run.stderr.contains(words), "{words}: {run:?}");
    }
    assert_eq!(fake.state().count(Endpoint::DirectInit), 0);
    // The run itself refuses with the same words.
    let run = env.run(&["run"]);
    assert!(
        run.stderr
            .contains("pasta.chef cannot post as SELF_ONLY; it can use PUBLIC_TO_EVERYONE"),
        "{run:?}"
    );
    assert_eq!(fake.state().count(Endpoint::DirectInit), 0);
}
