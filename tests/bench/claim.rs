//! `claim-bench URL START_NS [LEASE_SECS]`: one claimer of the shared-queue benchmark
//! (`bash tests/bench/run shared`, issue 14). It connects to the shared queue at URL the way
//! postez does (`Store::connect`), waits until START_NS (nanoseconds since the Unix epoch: the
//! same instant for every claimer the script starts), then claims accounts through the real claim
//! path, `Store::claim_account` (`FOR UPDATE SKIP LOCKED`, a lease on the account, the posts
//! `publishing`, one event each), until nothing is left to claim. It publishes nothing: only the
//! claim is measured. Each process is one runner (its own runner name and connection), as each
//! `postez run` is.
//!
//! Prints `claim ACCOUNT POSTS` for each claim, `race ACCOUNT` for each account another runner
//! took between this one's lock and its re-read (nothing claimed: `run` claims again), then
//! `end NS` after its last claim. Fails if it was ready only after START_NS (the script's
//! head start was too short for a fair start).

use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use postez::store::Store;

const USAGE: &str = "usage: claim-bench URL START_NS [LEASE_SECS]";

fn now_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(url), Some(start)) = (args.first(), args.get(1).and_then(|s| s.parse().ok())) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let lease: i64 = match args.get(2).map(|s| s.parse()) {
        None => 600,
        Some(Ok(secs)) => secs,
        Some(Err(_)) => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match claim_all(url, start, lease) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("claim-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn claim_all(url: &str, start: u128, lease: i64) -> Result<(), Box<dyn std::error::Error>> {
    let mut store = Store::connect(url)?;
    let ready = now_ns();
    if ready > start {
        return Err(format!("ready {} ms after the start", (ready - start) / 1_000_000).into());
    }
    std::thread::sleep(Duration::from_nanos(u64::try_from(start - ready)?));
    // Printed at the end: writing to a pipe while claiming would slow the claimers unevenly.
    let mut lines = Vec::new();
    while let Some((account, posts)) = store.claim_account(chrono::Utc::now(), 0, lease)? {
        if posts.is_empty() {
            lines.push(format!("race {account}"));
        } else {
            lines.push(format!("claim {account} {}", posts.len()));
        }
    }
    let end = now_ns();
    let mut out = std::io::stdout().lock();
    for line in lines {
        writeln!(out, "{line}")?;
    }
    writeln!(out, "end {end}")?;
    Ok(())
}
