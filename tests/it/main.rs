//! reckon's integration tests: one binary, driving the real `reckon` executable.

mod config_fixtures;
mod init;
mod quickstart;
mod safety;
mod schema;
mod support;
