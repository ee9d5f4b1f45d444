//! The library's one error type. Every variant names the object it is about (a file, a post, an
//! account, a setting) in a single sentence, keeps its cause as `#[source]`, and offers a `hint()`
//! with the next thing to type. `kind()` maps it onto the documented exit codes; only `main.rs`
//! turns that into a process exit.

use std::path::PathBuf;

use crate::media::MediaError;
use crate::post::{PostId, PostState};
use crate::provider::net::UnsafeAnswer;
use crate::provider::{ApiError, ErrorClass, NetworkError};
use crate::runner::RunnerError;
use crate::secrets::SecretError;
use crate::when::WhenError;

/// Shorthand used across the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How an error should end the process; the numbers are part of the CLI's contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// 1: unexpected I/O, database or internal error.
    Failure,
    /// 2: the command line or its input is wrong; fix the command.
    Usage,
    /// 3: an account must be connected (again): its login was refused, the app's client
    /// secret was refused, or TikTok refused the account any post (a pause). `postez connect
    /// tiktok` is the way out of each.
    NeedsAuth,
    /// 4: `run` finished but at least one post failed.
    Partial,
    /// 75: temporary (network, rate limits, a daily quota, another postez refreshing the
    /// login); the next run retries (EX_TEMPFAIL).
    TryLater,
    /// 130: stopped by SIGINT/SIGTERM; work left resumable.
    Interrupted,
}

impl ErrorKind {
    /// The process exit code for this kind.
    pub fn exit_code(self) -> u8 {
        match self {
            Self::Failure => 1,
            Self::Usage => 2,
            Self::NeedsAuth => 3,
            Self::Partial => 4,
            Self::TryLater => 75,
            Self::Interrupted => 130,
        }
    }
}

/// Everything that can go wrong in postez's core.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `--at` or another time or duration could not be used.
    #[error(transparent)]
    When(#[from] WhenError),
    /// The video is missing, unreadable or outside TikTok's limits.
    #[error(transparent)]
    Media(#[from] MediaError),
    /// The keychain or the encrypted token file failed.
    #[error(transparent)]
    Secrets(#[from] SecretError),
    /// Input that is not valid for reasons explained in the message (caption, flags, import rows).
    #[error("{message}")]
    Invalid {
        /// One sentence: what is wrong.
        message: String,
        /// The next step, if there is an obvious one.
        hint: Option<String>,
    },
    /// A post id that is not in the queue.
    #[error("there is no post {id} in the queue")]
    NoSuchPost {
        /// The id the user gave.
        id: PostId,
    },
    /// A post is in a state that does not allow the requested change.
    #[error("{}", wrong_state(*id, *state, action))]
    WrongState {
        /// The post.
        id: PostId,
        /// Its current state.
        state: PostState,
        /// What was attempted, as a past participle ("edited", "cancelled").
        action: &'static str,
    },
    /// `--account` named nothing known.
    #[error("no connected account matches `{name}`")]
    NoSuchAccount {
        /// What the user typed.
        name: String,
        /// Known account names, for the hint.
        known: Vec<String>,
    },
    /// Several accounts exist and none was chosen.
    #[error("several {platform} accounts are connected; choose one with --account")]
    AmbiguousAccount {
        /// The platform.
        platform: String,
        /// Candidates, for the hint.
        known: Vec<String>,
    },
    /// The config file or a setting in it is wrong.
    #[error("{message}")]
    Config {
        /// One sentence naming the key or the file.
        message: String,
        /// The next step.
        hint: Option<String>,
    },
    /// The queue database could not be opened or used.
    #[error("the queue database `{}` failed: {source}", path.display())]
    Store {
        /// Database file.
        path: PathBuf,
        /// The engine's error.
        #[source]
        source: crate::store::db::DbError,
    },
    /// File system trouble outside the video itself; `fs-err` already names the path.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// What postez printed (on stdout or stderr) could not be written: a full disk under
    /// `postez export > file`, an I/O error. A closed pipe (`| head`) is not one.
    #[error("could not write the output: {source}")]
    Output {
        /// The write's error.
        #[source]
        source: std::io::Error,
    },
    /// A prompt was needed but there is no terminal to ask on.
    #[error("{message}")]
    NeedsFlag {
        /// What is missing.
        message: String,
        /// The flag to add.
        hint: String,
    },
    /// The platform answered with an error.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The platform could not be reached.
    #[error(transparent)]
    Network(#[from] NetworkError),
    /// The platform's answer was refused for safety (a redirect, an oversized body, a foreign
    /// upload host).
    #[error(transparent)]
    Unsafe(#[from] UnsafeAnswer),
    /// No account of the platform is connected.
    #[error("no {platform} account is connected")]
    NotConnected {
        /// The platform.
        platform: String,
    },
    /// The saved login was rejected; the account must be connected again.
    #[error("the {platform} login of {account} no longer works: {reason}")]
    NeedsReconnect {
        /// The platform.
        platform: String,
        /// The account's label.
        account: String,
        /// Why, in a few words.
        reason: String,
    },
    /// The app's client secret is needed (to refresh a login) and none is saved or given.
    #[error("no {platform} client secret is saved in the token store, and none is given")]
    NoClientSecret {
        /// The platform.
        platform: String,
    },
    /// The platform's login page sent the user back without a login (denied, or a scope the
    /// app is not approved for).
    #[error("{platform} did not connect the account: {reason}")]
    LoginRefused {
        /// The platform.
        platform: String,
        /// The platform's words.
        reason: String,
        /// What to do.
        hint: String,
    },
    /// `run` finished, but not everything went through; the message says what.
    #[error("{message}")]
    Unfinished {
        /// One sentence.
        message: String,
        /// What to do.
        hint: Option<String>,
        /// Which exit code.
        kind: ErrorKind,
    },
    /// Another postez process held the account's refresh lock too long: temporary, the post
    /// waits for the next run.
    #[error("another postez process held the login of {account} (`{}`) for longer than {waited:?}", path.display())]
    RefreshLocked {
        /// The account's label.
        account: String,
        /// The lock file.
        path: PathBuf,
        /// How long this process waited.
        waited: std::time::Duration,
    },
    /// The thread waiting for a lock was lost (it panicked, or the runtime is shutting down).
    #[error("waiting for the {what} failed: {reason}")]
    LockLost {
        /// Which lock ("run lock").
        what: &'static str,
        /// The lost thread's error.
        reason: String,
    },
    /// Shared mode: this runner no longer holds what it was publishing (it was stopped or cut
    /// off for longer than its lease, and another runner may have taken the account over). It
    /// stops before its next platform call.
    #[error("this runner lost its lease: {reason}")]
    LeaseLost {
        /// What it lost, and why.
        reason: String,
    },
    /// A scheduler program failed while the runner was installed or removed.
    #[error(transparent)]
    Runner(#[from] RunnerError),
    /// The HTTPS client could not be built (its TLS back end failed to start).
    #[error("could not set up HTTPS: {reason}")]
    Https {
        /// The client builder's error.
        reason: String,
    },
    /// No login came back to the loopback address (or was pasted) in time.
    #[error("no login arrived within {}", crate::when::human_duration(
        chrono::Duration::from_std(*waited).unwrap_or_default()))]
    LoginTimeout {
        /// The platform whose login did not arrive.
        platform: String,
        /// How long postez waited (`connect --timeout`).
        waited: std::time::Duration,
    },
    /// The user said no at a prompt.
    #[error("cancelled; nothing was changed")]
    Aborted,
    /// postez broke its own rule (a platform handed another platform's post options): a bug,
    /// not the user's input.
    #[error("internal error: {0}")]
    Internal(String),
}

fn wrong_state(id: PostId, state: PostState, action: &str) -> String {
    if state.as_str() == action {
        format!("post {id} is already {state}")
    } else {
        format!("post {id} is {state}, so it cannot be {action}")
    }
}

impl Error {
    /// Shorthand for [`Error::Invalid`].
    pub fn invalid(message: impl Into<String>, hint: Option<String>) -> Self {
        Self::Invalid {
            message: message.into(),
            hint,
        }
    }

    /// Shorthand for [`Error::Config`].
    pub fn config(message: impl Into<String>, hint: Option<String>) -> Self {
        Self::Config {
            message: message.into(),
            hint,
        }
    }

    /// The next thing the user should type or do, if there is one.
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::When(e) => e.hint(),
            Self::Media(e) => e.hint(),
            Self::Secrets(e) => e.hint(),
            Self::Invalid { hint, .. } | Self::Config { hint, .. } => hint.clone(),
            Self::NeedsFlag { hint, .. } => Some(hint.clone()),
            Self::NoSuchPost { .. } => Some("run `postez list --all` to see the ids".into()),
            Self::WrongState { id, state, action } => match state {
                // A cancelled post can be brought back (issue 10); say how, unless that is
                // what was just tried.
                PostState::Cancelled if *action != "retried" => {
                    Some(format!("`postez retry {id}` puts it back in the queue"))
                }
                PostState::Failed | PostState::Cancelled => None,
                PostState::Publishing => Some(format!(
                    "wait for the current run to finish; `postez show {id}`"
                )),
                _ => Some(format!("see `postez show {id}`")),
            },
            Self::NoSuchAccount { known, .. } | Self::AmbiguousAccount { known, .. } => {
                if known.is_empty() {
                    Some(format!(
                        "connect one with `postez connect {}`",
                        crate::queue::platform()
                    ))
                } else {
                    Some(format!("known accounts: {}", known.join(", ")))
                }
            }
            Self::Store { path, source } => {
                let full = source.is_disk_full();
                Some(if full {
                    format!(
                        "check the free space of the disk holding `{}`; `postez doctor` checks the database",
                        path.display()
                    )
                } else {
                    "run `postez doctor` to check the database".into()
                })
            }
            Self::Api(e) => e.hint(),
            Self::Network(_) => {
                Some("check the connection; the next `postez run` tries again".into())
            }
            Self::Unsafe(e) => Some(e.hint()),
            Self::NotConnected { platform } | Self::NeedsReconnect { platform, .. } => {
                Some(format!("run `postez connect {platform}`"))
            }
            Self::Unfinished { hint, .. } => hint.clone(),
            Self::LoginRefused { hint, .. } => Some(hint.clone()),
            Self::NoClientSecret { platform } => Some(format!(
                "run `postez connect {platform}` once (on a terminal, or with \
                 POSTEZ_TIKTOK_CLIENT_SECRET set): it saves the secret in the token store for \
                 every later run"
            )),
            Self::LeaseLost { .. } => Some(
                "nothing to do: the runner that took the account over resumes the upload from its \
                 saved state, asking the platform first; `postez runners` shows who holds what"
                    .into(),
            ),
            Self::RefreshLocked { .. } => Some(
                "nothing to do: the next `postez run` tries again; if this repeats, look for a \
                 stuck `postez` process (`pgrep -a postez`)"
                    .into(),
            ),
            Self::Output { source } => Some(
                if source.kind() == std::io::ErrorKind::StorageFull {
                    "the disk receiving postez's output is full; free some space and run the \
                     command again"
                } else {
                    "check the file or device postez's output was sent to, and run the command \
                     again"
                }
                .into(),
            ),
            Self::Runner(e) => e.hint(),
            Self::LoginTimeout { platform, .. } => Some(format!(
                "run `postez connect {platform}` again; on a remote machine use --no-browser and \
                 paste the redirected URL"
            )),
            Self::Io(_)
            | Self::Aborted
            | Self::LockLost { .. }
            | Self::Https { .. }
            | Self::Internal(_) => None,
        }
    }

    /// Which exit code this error maps to.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::When(_)
            | Self::Media(_)
            | Self::Invalid { .. }
            | Self::NoSuchPost { .. }
            | Self::WrongState { .. }
            | Self::NoSuchAccount { .. }
            | Self::AmbiguousAccount { .. }
            | Self::Config { .. }
            | Self::NeedsFlag { .. } => ErrorKind::Usage,
            Self::Secrets(e) => match e {
                SecretError::Unavailable { .. } | SecretError::NoPassphrase => ErrorKind::NeedsAuth,
                SecretError::BadPassphrase { .. } => ErrorKind::NeedsAuth,
                SecretError::Untrusted { .. } | SecretError::BadKeyFile { .. } => ErrorKind::Usage,
                SecretError::WrongTeamKey { .. }
                | SecretError::NoTeamKey
                | SecretError::DamagedLogin { .. } => ErrorKind::NeedsAuth,
                _ => ErrorKind::Failure,
            },
            Self::Aborted => ErrorKind::Usage,
            // Exit 2, as when these were `Error::invalid`, although no input of the user's is at
            // fault: the README's table is the contract, and changing it is a separate decision.
            Self::LockLost { .. }
            | Self::Runner(_)
            | Self::Https { .. }
            | Self::LoginTimeout { .. } => ErrorKind::Usage,
            Self::Api(e) => match e.class() {
                ErrorClass::Auth | ErrorClass::Token | ErrorClass::Client | ErrorClass::Scope => {
                    ErrorKind::NeedsAuth
                }
                ErrorClass::Retryable | ErrorClass::Quota => ErrorKind::TryLater,
                ErrorClass::Permanent | ErrorClass::Banned | ErrorClass::UploadGone => {
                    ErrorKind::Failure
                }
            },
            Self::Network(_) | Self::RefreshLocked { .. } | Self::LeaseLost { .. } => {
                ErrorKind::TryLater
            }
            // Not retried blindly: the same address would answer the same way (issue 15).
            Self::Unsafe(_) => ErrorKind::Failure,
            Self::Unfinished { kind, .. } => *kind,
            Self::NotConnected { .. }
            | Self::NeedsReconnect { .. }
            | Self::LoginRefused { .. }
            | Self::NoClientSecret { .. } => ErrorKind::NeedsAuth,
            Self::Store { .. } | Self::Io(_) | Self::Output { .. } | Self::Internal(_) => {
                ErrorKind::Failure
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_points_at_free_space() {
        let full = Error::Store {
            path: PathBuf::from("/q/postez.db"),
            source: rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(13), None).into(),
        };
        assert!(
            full.hint().unwrap().contains("free space"),
            "{:?}",
            full.hint()
        );
        let other = Error::Store {
            path: PathBuf::from("/q/postez.db"),
            source: rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(11), None).into(),
        };
        assert!(!other.hint().unwrap().contains("free space"));
    }

    /// Typed errors that were `Error::invalid` once keep its exit code and its words.
    #[test]
    fn typed_setup_errors_keep_their_exit_code_and_text() {
        let runner = Error::from(RunnerError::Systemctl {
            command: "systemctl --user daemon-reload".into(),
            reason: "exit status 1".into(),
        });
        assert_eq!(
            runner.to_string(),
            "`systemctl --user daemon-reload` failed: exit status 1"
        );
        assert!(runner.hint().unwrap().contains("--crontab"));
        let not_started = Error::from(RunnerError::NotStarted {
            command: "crontab -l".into(),
            reason: "denied".into(),
        });
        assert_eq!(not_started.hint(), None);
        let https = Error::Https {
            reason: "no TLS".into(),
        };
        assert_eq!(https.to_string(), "could not set up HTTPS: no TLS");
        let lost = Error::LockLost {
            what: "run lock",
            reason: "panicked".into(),
        };
        assert_eq!(
            lost.to_string(),
            "waiting for the run lock failed: panicked"
        );
        let login = Error::LoginTimeout {
            platform: "tiktok".into(),
            waited: std::time::Duration::from_secs(300),
        };
        assert_eq!(login.to_string(), "no login arrived within 5m");
        assert!(login.hint().unwrap().contains("--no-browser and paste"));
        for e in [runner, not_started, https, lost, login] {
            assert_eq!(e.kind(), ErrorKind::Usage, "{e}");
        }
    }

    #[test]
    fn exit_codes_are_the_documented_ones() {
        let codes = [
            ErrorKind::Failure,
            ErrorKind::Usage,
            ErrorKind::NeedsAuth,
            ErrorKind::Partial,
            ErrorKind::TryLater,
            ErrorKind::Interrupted,
        ]
        .map(ErrorKind::exit_code);
        assert_eq!(codes, [1, 2, 3, 4, 75, 130]);
    }
}
