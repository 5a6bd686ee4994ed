//! reckon's integration tests: one binary, driving the real `reckon` executable.

mod config_fixtures;
mod import;
mod init;
mod inventory;
mod keeper;
mod quickstart;
mod safety;
mod schema;
mod support;
mod watch;
