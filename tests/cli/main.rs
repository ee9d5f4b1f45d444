//! postez's integration tests: the real binary, real SQLite files, real videos made by ffmpeg.
//! One module per command.

mod bad_input;
mod generated;
mod queue;
mod schedule;
mod support;
