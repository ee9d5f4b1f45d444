//! `run` on the shared queue (issue 14): this runner's heartbeat, and the claim loop. Each of
//! `--jobs` workers claims one account at a time (`Store::claim_account`: its due posts, under a
//! lease on the database clock), publishes them the same way as the embedded queue does, and
//! claims again until nothing is left; several runners on several machines share the work that
//! way, each account with one runner at a time. A thread renews the leases while this process
//! runs; a process that is stopped renews nothing, so its leases lapse and other runners take
//! its accounts over. The engine checks its lease before every platform call
//! ([`Store::check_lease`]) and every write carries the fence, so a runner that wakes up after
//! losing an account stops before touching the platform again.

use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::Duration;

use chrono::Utc;

use super::{Engine, Event, Summary};
use crate::error::{Error, Result};
use crate::store::{Location, Store};

/// The lease when neither `POSTEZ_LEASE` nor the `lease` setting says.
fn lease_of(engine: &Engine) -> Result<Duration> {
    let text = engine
        .env
        .lease
        .as_deref()
        .or(engine.config.lease.as_deref())
        .unwrap_or(crate::config::DEFAULT_LEASE);
    // The setting takes 5 s to 1 h; the variable also takes a second or more, for tests that
    // stop a runner past its lease.
    let lease = crate::when::parse_duration(text)
        .ok()
        .and_then(|d| d.to_std().ok())
        .filter(|d| *d >= Duration::from_secs(1) && *d <= Duration::from_secs(3600));
    lease.ok_or_else(|| {
        Error::config(
            format!("`{text}` is not a lease (POSTEZ_LEASE or the `lease` setting)"),
            Some("use a duration from 1s to 1h, such as 2m or 30s".into()),
        )
    })
}

/// Renews this runner's leases every third of the lease, on a thread of its own (so a busy
/// upload never starves it), until dropped.
struct Heartbeat {
    /// Dropped to stop the thread: its wait ends at once (a run with nothing to do is not kept
    /// waiting for a sleeping heartbeat, as it was by up to 50 ms with a polled flag).
    stop: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Heartbeat {
    fn start(location: Location, lease: Duration) -> Result<Self> {
        let mut store = Store::open_at(&location)?;
        store.register_runner()?;
        let (stop, stopped) = mpsc::channel::<()>();
        let secs = lease.as_secs().max(1) as i64;
        let every = lease / 3;
        let thread = std::thread::Builder::new()
            .name("heartbeat".into())
            .spawn(move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                    if let Err(e) = store.heartbeat(secs) {
                        tracing::warn!("could not renew this runner's leases: {e}");
                    }
                }
            })
            .map_err(Error::Io)?;
        Ok(Self {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Engine {
    /// Publish what is due on the shared queue: claim an account, publish its posts, again,
    /// with `--jobs` workers, then give the leases back.
    pub(super) async fn run_shared(
        &self,
        mut store: Store,
        mut summary: Summary,
    ) -> Result<Summary> {
        let lease = lease_of(self)?;
        let secs = lease.as_secs().max(1) as i64;
        let heartbeat = Heartbeat::start(self.location.clone(), lease)?;
        let run_id = store.run_started(Utc::now())?;
        self.report_paused(&store, &mut summary)?;
        let unassigned = self.unassigned(&mut store, run_id).await?;
        summary.due += unassigned.due;
        summary.add(unassigned);
        let workers = (0..self.options.jobs.max(1)).map(|_| async move {
            let mut store = Store::open_at(&self.location)?;
            let mut summary = Summary::default();
            while !self.cancel.load(Ordering::SeqCst) {
                let Some((account, ids)) = store.claim_account(self.now, run_id, secs)? else {
                    break;
                };
                if !ids.is_empty() {
                    summary.due += ids.len() as u32;
                    self.progress.event(&Event::Claimed {
                        count: ids.len() as u32,
                    });
                    let due = summary.due;
                    summary.add(self.publish_claimed(&mut store, &ids).await?);
                    summary.due = due;
                }
                store.release_account(account)?;
            }
            Ok::<Summary, Error>(summary)
        });
        let results = futures_util::future::join_all(workers).await;
        drop(heartbeat);
        let mut failure = None;
        for r in results {
            match r {
                Ok(s) => {
                    summary.due += s.due;
                    summary.add(s);
                }
                Err(e) => {
                    failure.get_or_insert(e);
                }
            }
        }
        // A runner that lost its lease gives back nothing it does not hold: the release only
        // touches leases still in its name.
        store.release_leases()?;
        self.tidy_media(&mut store)?;
        super::record_run(&mut store, run_id, &summary, failure.is_some())?;
        match failure {
            Some(e) => Err(e),
            None => Ok(summary),
        }
    }

    /// Videos the shared queue holds for posts that are all published are dropped (unless the
    /// `keep_media` setting says to keep them), and so are this runner's copies of videos it no
    /// longer needs.
    fn tidy_media(&self, store: &mut Store) -> Result<()> {
        store.drop_finished_media(self.config.keep_media.unwrap_or(false), Utc::now())?;
        let dir = self.paths.media_cache_dir();
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Ok(());
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(id) = name
                .strip_prefix("media-")
                .and_then(|n| n.split('.').next())
                .and_then(|n| n.parse::<i64>().ok())
            else {
                continue;
            };
            let mut needed = false;
            if store.media_info(id)?.is_some() {
                for post in store.posts_of_media(id)? {
                    let state = store.post(post)?.state;
                    needed |= !matches!(
                        state,
                        crate::post::PostState::Published | crate::post::PostState::SentToInbox
                    );
                }
            }
            if !needed {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        Ok(())
    }

    /// Posts queued before any account was connected: each goes to the account it would be
    /// published with (the platform's only one, or `default_account`), whose runner then claims
    /// it like any other; those that still have none are claimed here and held with the
    /// reason, as on the embedded queue.
    async fn unassigned(&self, store: &mut Store, run_id: i64) -> Result<Summary> {
        let due = store.due_unassigned(self.now)?;
        if due.is_empty() {
            return Ok(Summary::default());
        }
        let accounts: Vec<crate::store::Account> = store
            .accounts()?
            .into_iter()
            .filter(|a| a.state != crate::store::AccountState::Disconnected)
            .collect();
        for (id, platform) in due {
            let of_platform: Vec<crate::store::Account> = accounts
                .iter()
                .filter(|a| a.platform.as_str() == platform)
                .cloned()
                .collect();
            if let Some(account) = self.default_account(&of_platform) {
                store.adopt_account(id, account)?;
            }
        }
        let ids = store.claim_unassigned(self.now, run_id)?;
        let mut summary = self.publish_claimed(store, &ids).await?;
        summary.due += ids.len() as u32;
        Ok(summary)
    }
}
