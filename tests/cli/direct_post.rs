//! Direct Post as TikTok audits it (Content Sharing Guidelines, issue 10): init sends
//! `disable_* = !allow || creator disabled`.

use std::time::Duration;

use crate::fake_tiktok::FakeUser;
use crate::support::{Fake, Media, media};

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
