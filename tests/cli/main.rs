//! postez's integration tests: the real binary, real SQLite files, real videos made by ffmpeg.
//! One module per command.

#[path = "../fake_tiktok/mod.rs"]
mod fake_tiktok;
#[path = "../fake_youtube/mod.rs"]
mod fake_youtube;

mod bad_input;
mod connect;
mod cron;
mod data;
pub mod direct_post;
mod fuzz_corpus;
mod generated;
mod groups;
mod groups_import;
mod holds;
mod hostile_net;
mod leaks;
mod paths;
mod queue;
mod readme;
mod reliability;
mod run;
mod schedule;
mod seam;
mod shared;
mod shared_tokens;
mod strict_modes;
mod support;
mod swap;
mod upgrade;
mod youtube;
mod youtube_ahead;
mod youtube_faults;
mod youtube_surface;
