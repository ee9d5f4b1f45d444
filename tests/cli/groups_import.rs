//! Cross-posting through `import` and `export` (issue 13), with the real binary and both strict
//! fakes: a row naming several accounts queues one group (published by one run, each target
//! exactly once); one invalid target anywhere in the file adds nothing and the error names the
//! row, the target and the rule; export → import puts each group's posts back in one group.

use serde_json::Value;

use crate::groups::{GOOD, at, delivered, listed, schedule_group, three};
use crate::support::{Media, media, sha256_file};

#[test]
fn a_row_naming_several_accounts_is_one_group_and_one_run_publishes_each_once() {
    let three = three();
    let env = &three.env;
    std::fs::copy(media(Media::Mp4), env.path("clip.mp4")).unwrap();
    std::fs::copy(media(Media::Mov), env.path("other.mov")).unwrap();
    let sha = sha256_file(&env.path("clip.mp4"));
    let csv = env.path("posts.csv");
    std::fs::write(
        &csv,
        format!(
            "file,at,caption,account,privacy,made_for_kids,title,upload_ahead\n\
             clip.mp4,now,Pasta night,all,tiktok=SELF_ONLY;youtube=unlisted,no,Pasta in 30 seconds,\n\
             other.mov,{},Alone,tiktok:1,SELF_ONLY,,,\n\
             other.mov,{},Two,tiktok:1 ; youtube,public,yes,,yes\n",
            at(5),
            at(6)
        ),
    )
    .unwrap();
    // Rows 2 and 3 give pastachef the same video an hour apart: meant here.
    let run = env.run(&[
        "import",
        csv.to_str().unwrap(),
        "--yes",
        "--allow-duplicate",
        "--json",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let posts = run.json();
    let posts = posts.as_array().unwrap();
    // (The fake answers creator_info for its latest user, so labels are not compared here;
    // the run below checks which account got which post.)
    let shape: Vec<(&str, &str, &Value)> = posts
        .iter()
        .map(|p| {
            (
                p["platform"].as_str().unwrap(),
                p["mode"].as_str().unwrap(),
                &p["group"],
            )
        })
        .collect();
    let (g1, g2, none) = (Value::from("g1"), Value::from("g2"), Value::Null);
    assert_eq!(
        shape,
        [
            // `all`: the account without Direct Post gets a draft, as `schedule` does.
            ("tiktok", "direct", &g1),
            ("tiktok", "draft", &g1),
            ("youtube", "direct", &g1),
            ("tiktok", "direct", &none),
            ("tiktok", "direct", &g2),
            ("youtube", "direct", &g2),
        ],
        "{run:?}"
    );
    // Each target got its platform's privacy; a plain level means every target.
    assert_eq!(posts[0]["privacy"], "SELF_ONLY");
    assert_eq!(posts[2]["privacy"], "unlisted");
    assert_eq!(posts[2]["title"], "Pasta in 30 seconds");
    assert_eq!(posts[4]["privacy"], "PUBLIC_TO_EVERYONE");
    assert_eq!(posts[5]["privacy"], "public");
    assert_eq!(posts[5]["made_for_kids"], true);
    // `upload_ahead` applies to the targets that can be held (YouTube's), not TikTok's.
    assert_eq!(posts[5]["upload_ahead"], true);
    assert_eq!(posts[4]["upload_ahead"], false);

    let run = env.run(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(delivered(&three, &sha), (1, 1, 1));
    let finished = three.tt.finished();
    let by = |mode| {
        finished
            .iter()
            .find(|p| p.mode == mode)
            .unwrap()
            .open_id
            .clone()
    };
    assert_eq!(
        by(crate::fake_tiktok::PublishMode::Direct),
        three.tt.open_id
    );
    assert_eq!(
        by(crate::fake_tiktok::PublishMode::Inbox),
        format!("{}-second", three.tt.open_id)
    );
    env.run(&["run"]).ok();
    assert_eq!(
        delivered(&three, &sha),
        (1, 1, 1),
        "a second run repeats nothing"
    );
}

#[test]
fn one_invalid_target_anywhere_imports_nothing_and_is_named() {
    let three = three();
    let env = &three.env;
    std::fs::copy(media(Media::Mp4), env.path("clip.mp4")).unwrap();
    let good = "clip.mp4,in 1h,Pasta,all,tiktok=SELF_ONLY;youtube=unlisted,no,\n";
    let cases: &[(&str, &[&str])] = &[
        // The YouTube target has no audience choice.
        (
            "clip.mp4,in 2h,Pasta,tiktok:1;youtube,tiktok=SELF_ONLY;youtube=unlisted,,\n",
            &["row 2 of", "youtube:fakechannel", "made for kids"],
        ),
        // A plain TikTok level the YouTube target does not take.
        (
            "clip.mp4,in 2h,Pasta,tiktok:1;youtube,SELF_ONLY,no,\n",
            &["row 2 of", "youtube:fakechannel", "SELF_ONLY"],
        ),
        // A value for a platform no target is on.
        (
            "clip.mp4,in 2h,Pasta,tiktok:1;tiktok:2,tiktok=SELF_ONLY;youtube=public,,\n",
            &["row 2 of", "`youtube=public` in `privacy` is for YouTube"],
        ),
        // An account that is not connected.
        (
            "clip.mp4,in 2h,Pasta,tiktok:1;youtube:nobody,SELF_ONLY,no,\n",
            &["row 2 of", "nobody"],
        ),
        // Two levels for one platform.
        (
            "clip.mp4,in 2h,Pasta,tiktok:1;youtube,tiktok=SELF_ONLY;tiktok=FOLLOWER_OF_CREATOR;youtube=public,no,\n",
            &["row 2 of", "privacy is given twice for the TikTok targets"],
        ),
        // A title longer than YouTube's 100 characters, in the third row.
        (
            &format!(
                "clip.mp4,in 2h,Pasta,all,tiktok=SELF_ONLY;youtube=public,no,Fine\n\
                 clip.mp4,in 3h,Pasta,all,tiktok=SELF_ONLY;youtube=public,no,{}\n",
                "x".repeat(101)
            ),
            &["row 3 of", "youtube:fakechannel", "title"],
        ),
    ];
    let before = env.db_bytes();
    for (rows, wanted) in cases {
        let csv = env.path("posts.csv");
        std::fs::write(
            &csv,
            format!("file,at,caption,account,privacy,made_for_kids,title\n{good}{rows}"),
        )
        .unwrap();
        let run = env.run(&["import", csv.to_str().unwrap(), "--yes"]);
        assert_eq!(run.code, 2, "{rows}: {run:?}");
        for w in *wanted {
            assert!(
                run.stderr.contains(w),
                "{rows}: `{w}` not in {}",
                run.stderr
            );
        }
        assert!(!run.stderr.contains("panicked"), "{run:?}");
        assert_eq!(env.db_bytes(), before, "{rows}: the database is unchanged");
    }
    assert!(listed(env).is_empty());
    // The good row alone: imported, and the text says which group it made.
    let csv = env.path("posts.csv");
    std::fs::write(
        &csv,
        format!("file,at,caption,account,privacy,made_for_kids,title\n{good}"),
    )
    .unwrap();
    let run = env.run(&["import", csv.to_str().unwrap(), "--yes"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("Imported 3 posts"), "{run:?}");
    assert!(
        run.stdout.contains("cross-posted in 1 group: g1"),
        "{run:?}"
    );
    assert_eq!(listed(env).len(), 3);
}

#[test]
fn export_then_import_puts_each_group_back_in_one_group() {
    let three = three();
    let env = &three.env;
    let file = media(Media::Mp4);
    let queued = schedule_group(env, &file, &at(3), GOOD);
    assert_eq!(queued["group"], "g1", "{queued}");
    let alone = env.schedule(&file, &at(4), &["--account", "tiktok:1"]);
    assert_eq!(alone["group"], Value::Null, "{alone}");
    let doc = env.path("backup.json");
    let run = env.run(&["export", "--output", doc.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run:?}");
    let exported: Value = serde_json::from_str(&std::fs::read_to_string(&doc).unwrap()).unwrap();
    let groups: Vec<&Value> = exported["posts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["group"])
        .collect();
    assert_eq!(
        groups.iter().filter(|g| **g == "g1").count(),
        3,
        "{exported}"
    );
    // The plans are cancelled, then brought back from the document.
    for id in ["g1", &alone["id"].to_string()] {
        let run = env.run(&["cancel", id]);
        assert_eq!(run.code, 0, "{run:?}");
    }
    let run = env.run(&[
        "import",
        doc.to_str().unwrap(),
        "--yes",
        "--allow-outside",
        "--allow-duplicate",
        "--json",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let back = run.json();
    let back = back.as_array().unwrap();
    let key = |p: &Value| {
        (
            p["platform"].clone(),
            p["account"].clone(),
            p["mode"].clone(),
            p["privacy"].clone(),
            p["scheduled_at"].clone(),
            p["caption"].clone(),
            p["title"].clone(),
        )
    };
    let before: Vec<_> = queued["posts"]
        .as_array()
        .unwrap()
        .iter()
        .chain([&alone])
        .map(key)
        .collect();
    assert_eq!(back.iter().map(key).collect::<Vec<_>>(), before, "{back:?}");
    // One new group of three, and the lone post still alone.
    for p in &back[..3] {
        assert_eq!(p["group"], "g2", "{p}");
    }
    assert_eq!(back[3]["group"], Value::Null, "{:?}", back[3]);
}
