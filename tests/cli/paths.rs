//! Files postez writes or deletes at paths someone else may have prepared (issue 15): `export
//! --output` onto a link or an existing file, `export --media` into an existing folder, a linked
//! or foreign POSTEZ_HOME, and what `purge` deletes.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use crate::support::{Media, TestEnv, media};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A queue with one post, so an export has something to say.
fn with_a_post() -> TestEnv {
    let env = TestEnv::new();
    env.schedule(&media(Media::Mp4), "in 2h", &["--caption", "exported"]);
    env
}

#[test]
fn export_output_onto_a_symlink_is_refused_and_its_target_untouched() {
    let env = with_a_post();
    let victim = env.path("victim.txt");
    std::fs::write(&victim, "precious\n").unwrap();
    chmod(&victim, 0o644);
    let before = std::fs::metadata(&victim).unwrap();
    let link = env.path("export.json");
    std::os::unix::fs::symlink(&victim, &link).unwrap();

    let run = env.run(&["export", "--output", link.to_str().unwrap()]);
    let err = run.fails(2);
    assert!(
        err.contains("is a symbolic link") && err.contains("hint:"),
        "{run:?}"
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    let after = std::fs::metadata(&victim).unwrap();
    assert_eq!(
        (after.ino(), after.mode(), after.len()),
        (before.ino(), before.mode(), before.len())
    );
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    // Nothing half-written is left next to it.
    let tmp: Vec<_> = std::fs::read_dir(env.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(tmp.is_empty(), "{tmp:?}");
}

#[test]
fn export_output_replaces_an_existing_file_with_a_new_0600_one() {
    let env = with_a_post();
    let out = env.path("backup.json");
    std::fs::write(&out, "old export\n").unwrap();
    chmod(&out, 0o644);
    // Another name for the same bytes: a replaced file leaves it alone, a written-through one not.
    let other = env.path("shared-link.json");
    std::fs::hard_link(&out, &other).unwrap();

    let run = env.run(&["export", "--output", out.to_str().unwrap()]);
    run.ok();
    let meta = std::fs::symlink_metadata(&out).unwrap();
    assert!(meta.is_file());
    assert_eq!(meta.mode() & 0o777, 0o600);
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(doc["posts"][0]["caption"], "exported");
    assert_eq!(std::fs::read_to_string(&other).unwrap(), "old export\n");

    // And a second export onto the same path works (a backup from cron).
    env.run(&["export", "--output", out.to_str().unwrap()]).ok();
    assert_eq!(mode(&out), 0o600);
}

#[test]
fn export_media_into_an_existing_folder_keeps_its_mode() {
    let env = with_a_post();
    let shared = env.path("shared-videos");
    std::fs::create_dir(&shared).unwrap();
    chmod(&shared, 0o755);
    let run = env.run(&["export", "--media", shared.to_str().unwrap()]);
    run.ok();
    assert_eq!(
        mode(&shared),
        0o755,
        "postez chmodded a folder it did not create"
    );
    let copies: Vec<_> = std::fs::read_dir(&shared)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(copies.len(), 1, "{copies:?}");
    assert_eq!(
        std::fs::read(&copies[0]).unwrap(),
        std::fs::read(media(Media::Mp4)).unwrap()
    );
    assert_eq!(mode(&copies[0]), 0o600);

    // A folder postez creates is private.
    let fresh = env.path("new/videos");
    env.run(&["export", "--media", fresh.to_str().unwrap()])
        .ok();
    assert_eq!(mode(&fresh), 0o700);

    // A link planted where a copy goes is refused, and its target keeps its bytes.
    let victim = env.path("victim.txt");
    std::fs::write(&victim, "precious\n").unwrap();
    let name = copies[0].file_name().unwrap();
    let trap = env.path("trap");
    std::fs::create_dir(&trap).unwrap();
    std::os::unix::fs::symlink(&victim, trap.join(name)).unwrap();
    let run = env.run(&["export", "--media", trap.to_str().unwrap()]);
    assert!(run.fails(2).contains("symbolic link"), "{run:?}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
}

#[test]
fn a_symlinked_postez_home_is_used_but_not_chmodded() {
    let mut env = TestEnv::new();
    let target = env.path("real-home");
    std::fs::create_dir(&target).unwrap();
    chmod(&target, 0o755);
    let link = env.path("linked-home");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    env.set("POSTEZ_HOME", link.to_str().unwrap());
    env.schedule(&media(Media::Mp4), "in 2h", &[]);
    env.run(&["run"]).ok();
    assert_eq!(mode(&target), 0o755, "postez chmodded the link's target");
    assert!(target.join("postez.db").is_file());
    // Its own folders inside are still private.
    assert_eq!(mode(&target.join("logs")), 0o700);
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
}

#[test]
fn a_postez_home_of_another_user_is_refused_and_left_alone() {
    if own_uid() != 0 {
        eprintln!("skipped: giving a folder to another user needs root (CI runs as root)");
        return;
    }
    let mut env = TestEnv::new();
    let theirs = env.path("someone-else");
    std::fs::create_dir(&theirs).unwrap();
    chmod(&theirs, 0o755);
    // `nobody`.
    std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).unwrap();
    env.set("POSTEZ_HOME", theirs.to_str().unwrap());
    for args in [&["list"][..], &["run"]] {
        let run = env.run(args);
        let err = run.fails(2);
        assert!(
            err.contains("belongs to another user (uid 65534)") && err.contains("hint:"),
            "{run:?}"
        );
    }
    let meta = std::fs::metadata(&theirs).unwrap();
    assert_eq!((meta.uid(), meta.mode() & 0o777), (65534, 0o755));
    let inside: Vec<_> = std::fs::read_dir(&theirs).unwrap().collect();
    assert!(inside.is_empty(), "postez wrote into it: {inside:?}");
}

/// The tests' own effective uid (tests may use the file system to learn it).
fn own_uid() -> u32 {
    let probe = tempfile::tempfile().unwrap();
    probe.metadata().unwrap().uid()
}

#[test]
fn purge_deletes_postez_files_by_name_and_leaves_everything_else() {
    let env = TestEnv::new();
    let post = env.schedule(&media(Media::Mp4), "in 2h", &["--copy"]);
    let copy = std::path::PathBuf::from(post["file"].as_str().unwrap());
    assert!(copy.starts_with(env.home().join("media")), "{post}");
    // A second "copy" whose row points outside the media folder (an edited or foreign queue).
    let outside = env.path("outside.mp4");
    std::fs::copy(media(Media::Mp4), &outside).unwrap();
    let other = env.schedule(&media(Media::Mp4), "in 3h", &[]);
    env.sql(&format!(
        "UPDATE posts SET copied = 1, file = '{}' WHERE id = {}",
        outside.display(),
        other["id"]
    ));
    env.run(&["run"]).ok();
    let home = env.home();
    assert!(home.join("logs/postez.log").is_file());
    // Leftover of a copy interrupted before it was recorded: postez's too.
    let leftover = home.join("media/0123456789ab-89abcdef.part");
    std::fs::write(&leftover, "half a copy").unwrap();
    let unrelated = [
        home.join("notes.txt"),
        home.join("media/mine.mp4"),
        home.join("logs/mine.log"),
        home.join("logs/postez.log.old"),
        home.join("projects/plan.txt"),
    ];
    for file in &unrelated {
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, file.display().to_string()).unwrap();
    }

    let run = env.run(&["purge", "--yes", "--no-revoke", "--json"]);
    let report = run.json();
    for file in &unrelated {
        assert_eq!(
            std::fs::read_to_string(file).unwrap(),
            file.display().to_string(),
            "purge touched an unrelated file"
        );
    }
    assert!(
        outside.is_file(),
        "a row pointing outside the media folder was followed"
    );
    for gone in [
        home.join("postez.db"),
        home.join("run.lock"),
        home.join("logs/postez.log"),
        copy.clone(),
        leftover.clone(),
    ] {
        assert!(!gone.exists(), "{} is still there", gone.display());
    }
    let removed: Vec<&str> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(removed.contains(&copy.to_str().unwrap()), "{removed:?}");
    assert!(
        !removed
            .iter()
            .any(|f| f.ends_with("/media") || f.ends_with("/logs"))
    );

    // With nothing else in them, postez's own folders go too.
    let env = TestEnv::new();
    env.schedule(&media(Media::Mp4), "in 2h", &["--copy"]);
    env.run(&["run"]).ok();
    env.run(&["purge", "--yes", "--no-revoke"]).ok();
    let left: Vec<_> = std::fs::read_dir(env.home()).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn import_keeps_videos_inside_its_folder_unless_allow_outside() {
    let env = TestEnv::new();
    let batch = env.path("batch");
    std::fs::create_dir_all(batch.join("clips")).unwrap();
    std::fs::copy(media(Media::Mp4), batch.join("clips/a.mp4")).unwrap();
    let outside = env.path("elsewhere/x.mp4");
    std::fs::create_dir_all(outside.parent().unwrap()).unwrap();
    std::fs::copy(media(Media::Mp4), &outside).unwrap();
    let outside = std::fs::canonicalize(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, batch.join("clips/link.mp4")).unwrap();
    let csv = batch.join("posts.csv");
    let import = |file: &str, extra: &[&str]| {
        std::fs::write(
            &csv,
            format!("file,at,privacy\nclips/a.mp4,in 1h,SELF_ONLY\n{file},in 2h,SELF_ONLY\n"),
        )
        .unwrap();
        let mut args = vec!["import", csv.to_str().unwrap(), "--yes"];
        args.extend(extra);
        env.run(&args)
    };
    // Makes the database exist, so "unchanged" compares bytes.
    env.run(&["list"]).ok();
    let before = env.db_bytes();
    for file in [
        "../elsewhere/x.mp4",
        outside.to_str().unwrap(),
        "clips/link.mp4",
    ] {
        let run = import(file, &[]);
        let err = run.fails(2);
        let first = err.lines().next().unwrap();
        let is = if file == outside.to_str().unwrap() {
            String::new()
        } else {
            format!(" is `{}`,", outside.display())
        };
        assert_eq!(
            first,
            format!(
                "error: row 2 of `{}`: the video `{file}`{is} outside the import file's folder \
                 `{}`",
                csv.display(),
                std::fs::canonicalize(&batch).unwrap().display()
            ),
            "{run:?}"
        );
        assert!(
            err.contains("hint: move the video into that folder, or add --allow-outside"),
            "{run:?}"
        );
        assert_eq!(env.db_bytes(), before, "the queue changed for {file}");
        assert_eq!(env.run(&["list", "--json"]).json(), serde_json::json!([]));
    }

    let run = import(
        "../elsewhere/x.mp4",
        &["--allow-outside", "--allow-duplicate"],
    );
    run.ok();
    // The resolved files are listed, even with --yes and no terminal.
    let inside = std::fs::canonicalize(batch.join("clips/a.mp4")).unwrap();
    assert!(
        run.stderr.contains("Importing 2 posts from")
            && run.stderr.contains(&format!(" {}\n", inside.display()))
            && run.stderr.contains(&format!(" {}\n", outside.display())),
        "{run:?}"
    );
    let files: Vec<String> = env
        .run(&["list", "--json"])
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["file"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        files,
        [inside.display().to_string(), outside.display().to_string()]
    );
}
