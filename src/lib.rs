//! postez's core: the local queue of videos, the rules a post must follow, and (in later modules)
//! the platforms it publishes to. The library never touches the terminal — no prints, no prompts,
//! no progress bars; the `postez` binary's `cli` tree does all of that — so everything here can be
//! driven and tested without a TTY.

#![deny(clippy::print_stdout, clippy::print_stderr)]
#![warn(missing_docs)]

pub mod auth;
pub mod config;
pub mod connect;
pub mod creator;
pub mod edit;
pub mod env;
pub mod error;
pub mod export;
pub mod files;
pub mod health;
pub mod held;
pub mod import;
pub mod lock;
pub mod logs;
pub mod media;
pub mod oauth;
pub mod post;
pub mod provider;
pub mod publish;
pub mod purge;
pub mod queue;
pub mod runner;
pub mod secrets;
pub mod store;
pub mod when;
pub mod words;

pub use error::{Error, ErrorKind, Result};
