//! reckon's integration tests: one binary, driving the real `reckon` executable.

mod config_fixtures;
mod init;
mod keeper;
mod quickstart;
mod schema;
mod support;
