//! Playing the attacker who swaps the video under postez's feet: a writer thread replaces the
//! file at the path, again and again, between a real video and random bytes of the same size
//! (with the real video's mtime put back, as a careful attacker would), by rename of a new file
//! and by rewriting the same inode in place, while `schedule --copy` and `run` read it. The
//! promise: the bytes postez copies into its media folder and the bytes the fake TikTok
//! reassembles are always exactly the real video's, or the command fails cleanly (exit 2 and an
//! unchanged queue for `schedule`; a failed post, never published, for `run`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use rand::Rng;

use crate::support::{Fake, Media, TestEnv, media, sha256_file};

/// Trials per case: enough to hit every window many times, a few seconds in all.
fn trials() -> usize {
    #[allow(clippy::disallowed_methods)]
    std::env::var("POSTEZ_SWAP_TRIALS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30)
}

#[derive(Clone, Copy, Debug)]
enum How {
    /// A new file renamed over the path (another inode each time).
    Rename,
    /// The same inode rewritten with `pwrite`, its mtime put back.
    InPlace,
}

/// The writer: swaps `path` between `real` and `junk` until stopped, leaving either behind.
struct Swapper {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<u64>>,
}

impl Swapper {
    fn start(
        path: &Path,
        real: Arc<Vec<u8>>,
        junk: Arc<Vec<u8>>,
        mtime: SystemTime,
        how: How,
    ) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let (path, flag) = (path.to_owned(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut rng = rand::rng();
            let mut swaps = 0u64;
            let inode = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
            while !flag.load(Ordering::Relaxed) {
                let bytes = if swaps.is_multiple_of(2) {
                    &junk
                } else {
                    &real
                };
                match how {
                    How::Rename => {
                        let tmp = path.with_extension(format!("swap{swaps}"));
                        std::fs::write(&tmp, bytes.as_slice()).unwrap();
                        let f = std::fs::File::options().write(true).open(&tmp).unwrap();
                        f.set_modified(mtime).unwrap();
                        drop(f);
                        std::fs::rename(&tmp, &path).unwrap();
                    }
                    How::InPlace => {
                        std::os::unix::fs::FileExt::write_all_at(&inode, bytes, 0).unwrap();
                        inode.set_modified(mtime).unwrap();
                    }
                }
                swaps += 1;
                // Bursts of swaps with pauses between them: some reads land in a burst, some
                // in a quiet spell (on either content).
                let pause = if rng.random_bool(0.2) {
                    rng.random_range(20..60)
                } else {
                    rng.random_range(0..3)
                };
                std::thread::sleep(Duration::from_millis(pause));
            }
            swaps
        });
        Swapper {
            stop,
            thread: Some(thread),
        }
    }

    fn stop(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.take().map_or(0, |t| t.join().unwrap())
    }
}

/// The real video and random bytes of its size, and the file the attacker controls.
struct Scene {
    real: Arc<Vec<u8>>,
    junk: Arc<Vec<u8>>,
    real_sha: String,
    mtime: SystemTime,
    path: PathBuf,
}

impl Scene {
    fn new(env: &TestEnv) -> Self {
        let real = std::fs::read(media(Media::Mp4)).unwrap();
        let mut junk = vec![0u8; real.len()];
        rand::rng().fill(junk.as_mut_slice());
        let path = env.path("clip.mp4");
        let scene = Scene {
            real_sha: sha256_file(&media(Media::Mp4)),
            real: Arc::new(real),
            junk: Arc::new(junk),
            mtime: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            path,
        };
        scene.restore();
        scene
    }

    /// The path holds the real video again (same inode, same mtime).
    fn restore(&self) {
        std::fs::write(&self.path, self.real.as_slice()).unwrap();
        let f = std::fs::File::options()
            .write(true)
            .open(&self.path)
            .unwrap();
        f.set_modified(self.mtime).unwrap();
    }

    fn swapper(&self, how: How) -> Swapper {
        Swapper::start(
            &self.path,
            self.real.clone(),
            self.junk.clone(),
            self.mtime,
            how,
        )
    }
}

fn media_files(env: &TestEnv) -> Vec<PathBuf> {
    match std::fs::read_dir(env.home().join("media")) {
        Ok(dir) => dir.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

fn schedule_copy_race(how: How) {
    let env = TestEnv::new();
    let scene = Scene::new(&env);
    let (mut copied, mut changed, mut not_video, mut swaps) = (0usize, 0usize, 0usize, 0u64);
    for trial in 0..trials() {
        let swapper = scene.swapper(how);
        // Let the writer get going: the race is with a file already being swapped.
        std::thread::sleep(Duration::from_millis(trial as u64 % 7));
        let file = scene.path.to_str().unwrap();
        let run = env.run(&[
            "schedule",
            file,
            "--at",
            "in 1h",
            "--privacy",
            "SELF_ONLY",
            "--yes",
            "--copy",
            "--json",
        ]);
        swaps += swapper.stop();
        let listed = env.run(&["list", "--json"]).json();
        let posts = listed.as_array().unwrap().len();
        if run.code == 0 {
            copied += 1;
            let post: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
            let copy = PathBuf::from(post["file"].as_str().unwrap());
            assert!(copy.starts_with(env.home().join("media")), "{copy:?}");
            assert_eq!(
                sha256_file(&copy),
                scene.real_sha,
                "trial {trial} ({how:?}): postez copied bytes other than the video it checked"
            );
        } else {
            assert_eq!(run.code, 2, "trial {trial} ({how:?}): {run:?}");
            let error = run
                .stderr
                .lines()
                .find(|l| l.starts_with("error: "))
                .unwrap_or_else(|| panic!("no error line: {run:?}"));
            if error.ends_with("changed while postez was reading it") {
                changed += 1;
            } else {
                // The random bytes were what the path held when it was opened.
                assert!(
                    error.ends_with("is not an MP4, MOV or WebM video"),
                    "{run:?}"
                );
                not_video += 1;
            }
            assert!(!run.stderr.contains("panicked"), "{run:?}");
        }
        // The queue holds exactly the successful schedules, and the media folder exactly their
        // copies: a refused copy leaves nothing behind (no `.part` either).
        assert_eq!(posts, copied, "trial {trial} ({how:?}): {run:?}");
        assert_eq!(media_files(&env).len(), copied, "{:?}", media_files(&env));
        scene.restore();
    }
    eprintln!(
        "schedule --copy vs {how:?} swaps: {} trials, {copied} copied the real video, refused (exit 2) {changed} as changed while read and {not_video} as not a video, 0 foreign; {swaps} swaps",
        trials()
    );
    for copy in media_files(&env) {
        assert_eq!(sha256_file(&copy), scene.real_sha);
    }
    assert!(
        swaps > trials() as u64,
        "the writer hardly ran: {swaps} swaps"
    );
}

#[test]
fn rename_swaps_racing_schedule_copy_never_store_foreign_bytes() {
    schedule_copy_race(How::Rename);
}

#[test]
fn in_place_rewrites_racing_schedule_copy_never_store_foreign_bytes() {
    schedule_copy_race(How::InPlace);
}

fn run_race(how: How) {
    let fake = Fake::start(|o| o.rate_window = Duration::from_millis(100));
    let env = fake.connected();
    let scene = Scene::new(&env);
    let (mut published, mut failed, mut cut, mut swaps) = (0usize, 0usize, 0usize, 0u64);
    for trial in 0..trials() {
        scene.restore();
        // Scheduled while the file is the real video: the fingerprint is the real one's.
        let post = env.schedule(&scene.path, "now", &[]);
        let id = post["id"].as_i64().unwrap();
        let swapper = scene.swapper(how);
        std::thread::sleep(Duration::from_millis(trial as u64 % 7));
        let run = env.run(&["run", "--json"]);
        swaps += swapper.stop();
        let shown = env.run(&["show", &id.to_string(), "--json"]).json();
        match shown["state"].as_str().unwrap() {
            "published" => {
                published += 1;
                assert_eq!(run.code, 0, "{run:?}");
                let state = fake.state();
                let publish = state
                    .publish(shown["publish_id"].as_str().unwrap())
                    .unwrap();
                assert_eq!(
                    publish.sha256.as_deref(),
                    Some(scene.real_sha.as_str()),
                    "trial {trial} ({how:?}): TikTok published bytes other than the checked video"
                );
            }
            "failed" => {
                failed += 1;
                assert_eq!(run.code, 4, "{run:?}");
                assert_eq!(shown["last_error_code"], "file_changed", "{shown}");
                let error = shown["last_error"].as_str().unwrap();
                if error.ends_with("changed while postez was reading it") {
                    cut += 1;
                } else {
                    assert!(
                        error.contains("changed or moved since it was scheduled"),
                        "{shown}"
                    );
                }
            }
            other => panic!("trial {trial} ({how:?}): post {id} is {other}: {run:?}\n{shown}"),
        }
    }
    // Whatever the fake received in full was the real video: foreign bytes never completed an
    // upload (a chunk cut short is never reassembled, so TikTok never publishes it).
    let state = fake.state();
    for publish in &state.publishes {
        if let Some(sha) = &publish.sha256 {
            assert_eq!(sha, &scene.real_sha, "{publish:?}");
        }
    }
    assert_eq!(fake.finished().len(), published);
    eprintln!(
        "run vs {how:?} swaps: {} trials, {published} published the real video, {failed} failed as file_changed ({cut} of them while reading or uploading), 0 foreign; {swaps} swaps",
        trials()
    );
    assert!(
        swaps > trials() as u64,
        "the writer hardly ran: {swaps} swaps"
    );
}

#[test]
fn rename_swaps_racing_run_never_upload_foreign_bytes() {
    run_race(How::Rename);
}

#[test]
fn in_place_rewrites_racing_run_never_upload_foreign_bytes() {
    run_race(How::InPlace);
}
