//! postez's reliability campaigns: the real binary, real MP4s and the strict fakes (TikTok's,
//! YouTube's for the `youtube_*` campaigns, both for `group_crash`), at a scale no unit test
//! reaches. Each campaign is an `#[ignore]` test that writes its figures to
//! `target/reliability/CAMPAIGN.json` and fails when a promise is broken ("never twice, never
//! lost, never leaked", no panic, no database error shown to the user).
//!
//! Run them all with `bash tests/reliability/run` (see RELIABILITY.md). `smoke` runs a few
//! trials of each in the normal suite.

#[path = "../fake_tiktok/mod.rs"]
mod fake_tiktok;
#[path = "../fake_youtube/mod.rs"]
mod fake_youtube;
#[allow(dead_code)]
#[path = "../cli/support.rs"]
mod support;

mod concurrency;
mod crash;
mod faults;
mod groups;
mod hostile;
mod lab;
mod shared;
mod smoke;
mod youtube;

/// The seed of a campaign: `POSTEZ_RELIABILITY_SEED`, else the clock (printed, to replay).
pub fn seed() -> u64 {
    #[allow(clippy::disallowed_methods)]
    let fixed = std::env::var("POSTEZ_RELIABILITY_SEED")
        .ok()
        .and_then(|s| s.parse().ok());
    fixed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
    })
}

/// A campaign's trial count: `POSTEZ_RELIABILITY_TRIALS_<NAME>` or the default.
pub fn trials(name: &str, default: usize) -> usize {
    #[allow(clippy::disallowed_methods)]
    std::env::var(format!("POSTEZ_RELIABILITY_TRIALS_{}", name.to_uppercase()))
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

#[test]
#[ignore = "long: run with `bash tests/reliability/run`"]
fn crash_campaign() {
    let report = crash::campaign(trials("crash", 500), seed());
    report.save_and_check("crash");
}

#[test]
#[ignore = "long: run with `bash tests/reliability/run`"]
fn concurrency_campaign() {
    let report = concurrency::campaign(trials("concurrency", 200), seed());
    report.save_and_check("concurrency");
}

#[test]
#[ignore = "long: run with `bash tests/reliability/run`"]
fn faults_campaign() {
    let report = faults::campaign(trials("faults", 150), seed());
    report.save_and_check("faults");
}

#[test]
#[ignore = "long: run with `bash tests/reliability/run`"]
fn bad_input_campaign() {
    let report = hostile::campaign(seed());
    report.save_and_check("bad_input");
}

#[test]
#[ignore = "long: run with `bash tests/reliability/run youtube_crash`"]
fn youtube_crash_campaign() {
    let report = youtube::crash_campaign(trials("youtube_crash", 100), seed());
    report.save_and_check("youtube_crash");
}

#[test]
#[ignore = "long: run with `bash tests/reliability/run youtube_concurrency`"]
fn youtube_concurrency_campaign() {
    let report = youtube::concurrency_campaign(trials("youtube_concurrency", 30), seed());
    report.save_and_check("youtube_concurrency");
}

#[test]
#[ignore = "long: run with `bash tests/reliability/run group_crash`"]
fn group_crash_campaign() {
    let report = groups::crash_campaign(trials("group_crash", 60), seed());
    report.save_and_check("group_crash");
}

/// Issue 14: kill -9 (and SIGSTOP past the lease) of random runners sharing one PostgreSQL queue.
#[test]
#[ignore = "long: run with `bash tests/reliability/run shared_crash`"]
fn shared_crash_campaign() {
    // Asked for by name: without a server this is a failure, not a skip.
    let url = support::shared_queue()
        .expect("shared_crash needs PostgreSQL (POSTEZ_TEST_DATABASE_URL; tests/reliability/run starts one)");
    let report = shared::crash_campaign(&url, trials("shared_crash", 30), seed());
    report.save_and_check("shared_crash");
}
