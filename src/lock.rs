//! Cross-process locks on files (std's `File::lock`, an `flock`): how a lock file is opened, and
//! the three ways postez waits for one ([`Wait`]). Three locks use it: the run lock (one
//! `postez run` at a time), an account's refresh lock (a rotating refresh token is spent once)
//! and the token file's writer lock. A lock is held while its [`FileLock`] lives; the lock file
//! stays in place. [`FileLock::acquire`] makes the lock's folder postez's own first
//! ([`crate::files::ensure_private_dir`]); the token file's lock, taken with [`FileLock::take`],
//! lives in the folder `secrets` creates 0700 for the token file itself.

use std::fs::{File, TryLockError};
use std::io;
use std::path::Path;
use std::time::Duration;

use crate::env::Paths;
use crate::error::{Error, Result};

/// How long to wait for a lock another process holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Take it now or not at all (`run` without `--wait`: another run is doing the work).
    No,
    /// Block until the holder lets go (`run --wait`; the token file's writers, which hold it
    /// for one read-modify-write).
    Forever,
    /// Poll for it, giving up after this long (the refresh lock). Polling, not a blocking lock
    /// in a worker thread: a thread stuck in `flock` cannot be cancelled and would take the
    /// lock after the timeout, for nobody.
    Up(Duration),
}

/// How often [`Wait::Up`] tries again.
const POLL: Duration = Duration::from_millis(50);

/// An exclusive lock on a file, held while this lives.
#[derive(Debug)]
pub struct FileLock {
    _file: File,
}

impl FileLock {
    /// Lock `path` from synchronous code, waiting as `wait` says (a blocking wait blocks this
    /// thread); `None` when it is still held by another process after that.
    pub fn take(path: &Path, wait: Wait) -> io::Result<Option<Self>> {
        let file = open(path)?;
        let deadline = match wait {
            Wait::Forever => {
                file.lock()?;
                return Ok(Some(Self { _file: file }));
            }
            Wait::No => None,
            Wait::Up(up) => Some(std::time::Instant::now() + up),
        };
        loop {
            if try_lock(&file)? {
                return Ok(Some(Self { _file: file }));
            }
            match deadline {
                Some(at) if std::time::Instant::now() < at => std::thread::sleep(POLL),
                _ => return Ok(None),
            }
        }
    }

    /// Lock `path` from async code, waiting as `wait` says without blocking the runtime; `None`
    /// when it is still held by another process after that. `what` names the lock in the
    /// error of a lost waiting thread ("run lock").
    pub async fn acquire(path: &Path, wait: Wait, what: &'static str) -> Result<Option<Self>> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::files::ensure_private_dir(dir)?;
        }
        let file = open(path)?;
        let deadline = match wait {
            Wait::Forever => {
                // Only an uncancellable wait may sit in a worker thread (see `Wait::Up`).
                let file = tokio::task::spawn_blocking(move || file.lock().map(|()| file))
                    .await
                    .map_err(|e| Error::LockLost {
                        what,
                        reason: e.to_string(),
                    })??;
                return Ok(Some(Self { _file: file }));
            }
            Wait::No => None,
            Wait::Up(up) => Some(tokio::time::Instant::now() + up),
        };
        loop {
            if try_lock(&file)? {
                return Ok(Some(Self { _file: file }));
            }
            match deadline {
                Some(at) if tokio::time::Instant::now() < at => tokio::time::sleep(POLL).await,
                _ => return Ok(None),
            }
        }
    }
}

/// `true` when the lock was taken, `false` when another process holds it.
fn try_lock(file: &File) -> io::Result<bool> {
    match file.try_lock() {
        Ok(()) => Ok(true),
        Err(TryLockError::WouldBlock) => Ok(false),
        Err(TryLockError::Error(e)) => Err(e),
    }
}

/// Open (or create) the lock file at `path`. Like every file postez keeps, it is the user's
/// alone: 0600 from creation, and a lock file left by an older version is tightened too,
/// through the handle. A link planted in its place is not followed (nothing is created or
/// chmodded elsewhere).
pub fn open(path: &Path) -> io::Result<File> {
    let mut options = fs_err::OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    {
        use fs_err::os::unix::fs::OpenOptionsExt;
        options
            .mode(0o600)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
    }
    let file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Through fs-err's handle, so an error names the file.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(file.into_parts().0)
}

/// The process-wide run lock, held while it lives: one `postez run` publishes at a time.
#[derive(Debug)]
pub struct RunLock {
    _lock: FileLock,
}

impl RunLock {
    /// Take the lock, or `None` if another run holds it (after waiting, as `wait` says).
    pub async fn acquire(paths: &Paths, wait: Wait) -> Result<Option<Self>> {
        let lock = FileLock::acquire(&paths.run_lock(), wait, "run lock").await?;
        Ok(lock.map(|lock| Self { _lock: lock }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_wait_policy_gives_up_or_waits_as_it_says() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        let held = FileLock::take(&path, Wait::No).unwrap().unwrap();
        assert!(FileLock::take(&path, Wait::No).unwrap().is_none());
        let start = std::time::Instant::now();
        let up = Duration::from_millis(150);
        assert!(FileLock::take(&path, Wait::Up(up)).unwrap().is_none());
        assert!(start.elapsed() >= up);
        let waiter = {
            let path = path.clone();
            std::thread::spawn(move || FileLock::take(&path, Wait::Forever).unwrap().is_some())
        };
        std::thread::sleep(Duration::from_millis(100));
        drop(held);
        assert!(waiter.join().unwrap());
    }

    #[cfg(unix)]
    #[test]
    fn a_lock_file_is_private_and_no_link_is_followed() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("old.lock");
        std::fs::write(&old, "").unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
        drop(FileLock::take(&old, Wait::No).unwrap().unwrap());
        let mode = std::fs::metadata(&old).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "").unwrap();
        std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).unwrap();
        let link = dir.path().join("link.lock");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        assert!(FileLock::take(&link, Wait::No).is_err());
        let mode = std::fs::metadata(&victim).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
    }

    #[tokio::test]
    async fn async_waits_match_the_sync_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("y.lock");
        let held = FileLock::acquire(&path, Wait::No, "test lock")
            .await
            .unwrap()
            .unwrap();
        let none = FileLock::acquire(&path, Wait::Up(Duration::from_millis(100)), "test lock");
        assert!(none.await.unwrap().is_none());
        drop(held);
        assert!(
            FileLock::acquire(&path, Wait::Forever, "test lock")
                .await
                .unwrap()
                .is_some()
        );
    }
}
