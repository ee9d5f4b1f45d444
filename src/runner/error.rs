//! Why installing or removing the runner failed: a scheduler program (`crontab`, `systemctl`,
//! `systemd-analyze`) is missing, could not be started, or refused. Its own type rather than
//! [`Error::Invalid`](crate::Error::Invalid): nothing the user typed is wrong.

use crate::runner::TIMER;

/// A scheduler program failed while postez installed, checked or removed the runner.
#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    /// `--crontab` was asked for and there is no `crontab` command.
    #[error("the `crontab` command is not installed")]
    NoCrontab,
    /// Neither scheduler is there.
    #[error(
        "there is neither a systemd user session ({session}) nor a `crontab` command to run \
         postez on time"
    )]
    NoScheduler {
        /// Why the systemd user session is not usable.
        session: String,
    },
    /// A program could not be started (other than missing where that is allowed).
    #[error("`{command}` could not be started: {reason}")]
    NotStarted {
        /// The command line, e.g. `crontab -l`.
        command: String,
        /// The OS's error.
        reason: String,
    },
    /// `systemctl --user …` ran and failed.
    #[error("`{command}` failed: {reason}")]
    Systemctl {
        /// The command line.
        command: String,
        /// Its exit status and last words.
        reason: String,
    },
    /// `crontab -l` ran and failed (other than "no crontab for USER", which means an empty table).
    #[error("`crontab -l` failed: {reason}")]
    CrontabRead {
        /// Its exit status and last words.
        reason: String,
    },
    /// `crontab -` did not take the new table.
    #[error("`crontab -` refused the new table: {reason}")]
    CrontabWrite {
        /// Its exit status and last words.
        reason: String,
    },
    /// `systemd-analyze verify` found the units wrong.
    #[error(
        "systemd-analyze verify rejected the runner's units, so they were not installed: {reason}"
    )]
    UnitsRejected {
        /// Its exit status and last words.
        reason: String,
    },
    /// The units written a moment ago are not found again.
    #[error("the systemd units vanished while being installed")]
    UnitsVanished,
}

impl RunnerError {
    /// What to do instead.
    pub fn hint(&self) -> Option<String> {
        let use_cron = || "use cron instead: `postez cron install --crontab`".to_string();
        match self {
            Self::NoCrontab => {
                Some("install cron (e.g. `apt-get install cron`), or leave out --crontab".into())
            }
            Self::NoScheduler { .. } => Some(
                "install cron (e.g. `apt-get install cron`), or start `postez run` every few \
                 minutes with a scheduler of your own"
                    .into(),
            ),
            Self::NotStarted { command, .. } if command.starts_with("systemctl") => {
                Some(use_cron())
            }
            Self::NotStarted { .. } | Self::UnitsVanished => None,
            Self::Systemctl { .. } => Some(format!(
                "see `systemctl --user status {TIMER}`, or use cron: \
                 `postez cron install --crontab`"
            )),
            Self::CrontabRead { .. } => {
                Some("check that you may use cron (see /etc/cron.allow and /etc/cron.deny)".into())
            }
            Self::CrontabWrite { .. } => {
                Some("see `crontab -l`; your table was not changed".into())
            }
            Self::UnitsRejected { .. } => Some(use_cron()),
        }
    }
}
