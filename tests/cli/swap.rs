//! Playing the attacker who swaps the video under postez's feet: a writer thread replaces the
//! file at the path, again and again, between a real video and random bytes of the same size
//! (with the real video's mtime put back, as a careful attacker would), by rename of a new file
//! and by rewriting the same inode in place, while `schedule --copy` and `run` read it. The
//! promise: the bytes postez copies into its media folder and the bytes the fake TikTok
//! reassembles are always exactly the real video's, or the command fails cleanly (exit 2 and an
//! unchanged queue for `schedule`; a failed post, never published, for `run`).
//!
//! 30 trials per case here (15 for the 24 MB ones); a longer campaign is the same tests with
//! `POSTEZ_SWAP_TRIALS=200 cargo test --test cli swap:: -- --nocapture` (figures on stderr).

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
            "--allow-duplicate",
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
                // The random bytes were what the path held when it was opened, or an in-place
                // rewrite had cut the video short at that moment: either way a clean refusal.
                assert!(
                    error.ends_with("is not an MP4, MOV or WebM video")
                        || error.contains("looks damaged"),
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
        "schedule --copy vs {how:?} swaps: {} trials, {copied} copied the real video, refused (exit 2) {changed} as changed while read and {not_video} as not a (whole) video, 0 foreign; {swaps} swaps",
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

/// The attacker who knows the fingerprint is sampled: a 24 MB video whose bytes between the
/// samples (4 MiB at offset 4 MiB) are rewritten in place, in bursts, between the real bytes and
/// two random versions, mtime put back. Every whole state matches the fingerprint (the sampled
/// fingerprint's documented limit, see src/media/fingerprint.rs), but a copy or an upload must
/// be one whole state, never a mix torn by a write during the read: the inode's change time
/// catches those.
struct Between {
    /// The region's three versions: real, random A, random B.
    versions: Arc<[Vec<u8>; 3]>,
    real: Vec<u8>,
    path: PathBuf,
    mtime: SystemTime,
}

const REGION: std::ops::Range<usize> = 4 << 20..8 << 20;
const PIECE: usize = 256 << 10;

impl Between {
    fn new(env: &TestEnv) -> Self {
        let real = std::fs::read(media(Media::Mid)).unwrap();
        assert!(
            real.len() > 16 << 20,
            "the region must lie between the samples"
        );
        let mut a = vec![0u8; REGION.len()];
        let mut b = vec![0u8; REGION.len()];
        rand::rng().fill(a.as_mut_slice());
        rand::rng().fill(b.as_mut_slice());
        let scene = Between {
            versions: Arc::new([real[REGION].to_vec(), a, b]),
            real,
            path: env.path("big.mp4"),
            mtime: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        };
        std::fs::write(&scene.path, &scene.real).unwrap();
        scene.restore();
        scene
    }

    /// The region holds the real bytes again; the mtime is the scheduled one.
    fn restore(&self) {
        let f = std::fs::File::options()
            .write(true)
            .open(&self.path)
            .unwrap();
        std::os::unix::fs::FileExt::write_all_at(&f, &self.real[REGION], REGION.start as u64)
            .unwrap();
        f.set_modified(self.mtime).unwrap();
    }

    /// Quiet spells of 10-80 ms, then bursts of whole rewrites of the region, in 256 KiB
    /// writes like a program saving piece by piece.
    fn swapper(&self) -> Swapper {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let versions = self.versions.clone();
        let (path, mtime) = (self.path.clone(), self.mtime);
        let thread = std::thread::spawn(move || {
            let mut rng = rand::rng();
            let f = std::fs::File::options().write(true).open(&path).unwrap();
            let mut swaps = 0u64;
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(rng.random_range(10..80)));
                for _ in 0..rng.random_range(1..8) {
                    let version = &versions[rng.random_range(0..3)];
                    for (i, piece) in version.chunks(PIECE).enumerate() {
                        let at = (REGION.start + i * PIECE) as u64;
                        std::os::unix::fs::FileExt::write_all_at(&f, piece, at).unwrap();
                    }
                    swaps += 1;
                }
                f.set_modified(mtime).unwrap();
            }
            swaps
        });
        Swapper {
            stop,
            thread: Some(thread),
        }
    }

    /// Which version each 256 KiB piece of a copy's region is (3: none of them).
    fn pieces(&self, copy: &[u8]) -> Vec<usize> {
        copy[REGION]
            .chunks(PIECE)
            .enumerate()
            .map(|(i, piece)| {
                let at = i * PIECE;
                (0..3)
                    .find(|&v| &self.versions[v][at..at + piece.len()] == piece)
                    .unwrap_or(3)
            })
            .collect()
    }
}

#[test]
fn in_place_rewrites_between_the_samples_never_tear_a_copy() {
    let env = TestEnv::new();
    let scene = Between::new(&env);
    let trials = trials() / 2;
    let (mut whole, mut real, mut refused, mut swaps) = (0usize, 0usize, 0usize, 0u64);
    for trial in 0..trials {
        scene.restore();
        let swapper = scene.swapper();
        std::thread::sleep(Duration::from_millis(trial as u64 % 11));
        let file = scene.path.to_str().unwrap();
        let run = env.run(&[
            "schedule",
            file,
            "--at",
            "in 1h",
            "--privacy",
            "SELF_ONLY",
            "--yes",
            "--allow-duplicate",
            "--copy",
            "--json",
        ]);
        swaps += swapper.stop();
        if run.code == 0 {
            let post: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
            let copy = std::fs::read(post["file"].as_str().unwrap()).unwrap();
            assert_eq!(copy.len(), scene.real.len());
            assert!(copy[..REGION.start] == scene.real[..REGION.start]);
            assert!(copy[REGION.end..] == scene.real[REGION.end..]);
            let pieces = scene.pieces(&copy);
            assert!(
                pieces.iter().all(|&p| p == pieces[0] && p < 3),
                "trial {trial}: a copy torn by a write during the read: {pieces:?}"
            );
            whole += 1;
            real += usize::from(pieces[0] == 0);
        } else {
            assert_eq!(run.code, 2, "{run:?}");
            assert!(
                run.stderr.contains("changed while postez was reading it"),
                "{run:?}"
            );
            refused += 1;
        }
    }
    eprintln!(
        "schedule --copy vs rewrites between the samples: {trials} trials, {whole} whole copies ({real} of the real bytes), {refused} refused as changed while read, 0 torn; {swaps} rewrites"
    );
}

#[test]
fn in_place_rewrites_between_the_samples_never_tear_an_upload() {
    let fake = Fake::start(|o| o.rate_window = Duration::from_millis(100));
    let env = fake.connected();
    let scene = Between::new(&env);
    let trials = trials() / 2;
    let (mut whole, mut real, mut cut, mut swaps) = (0usize, 0usize, 0usize, 0u64);
    for trial in 0..trials {
        scene.restore();
        let id = env.schedule(&scene.path, "now", &[])["id"]
            .as_i64()
            .unwrap();
        let swapper = scene.swapper();
        std::thread::sleep(Duration::from_millis(trial as u64 % 11));
        let run = env.run(&["run", "--json"]);
        swaps += swapper.stop();
        let shown = env.run(&["show", &id.to_string(), "--json"]).json();
        match shown["state"].as_str().unwrap() {
            "published" => {
                let state = fake.state();
                let publish = state
                    .publish(shown["publish_id"].as_str().unwrap())
                    .unwrap();
                let sent = std::fs::read(&publish.file).unwrap();
                assert_eq!(sent.len(), scene.real.len());
                assert!(sent[..REGION.start] == scene.real[..REGION.start]);
                assert!(sent[REGION.end..] == scene.real[REGION.end..]);
                let pieces = scene.pieces(&sent);
                assert!(
                    pieces.iter().all(|&p| p == pieces[0] && p < 3),
                    "trial {trial}: TikTok published an upload torn by a write: {pieces:?}"
                );
                whole += 1;
                real += usize::from(pieces[0] == 0);
            }
            "failed" => {
                assert_eq!(run.code, 4, "{run:?}");
                assert_eq!(shown["last_error_code"], "file_changed", "{shown}");
                cut += 1;
            }
            other => panic!("trial {trial}: post {id} is {other}: {run:?}\n{shown}"),
        }
    }
    assert_eq!(fake.finished().len(), whole);
    eprintln!(
        "run vs rewrites between the samples: {trials} trials, {whole} published whole ({real} of the real bytes), {cut} failed as file_changed, 0 torn; {swaps} rewrites"
    );
}
