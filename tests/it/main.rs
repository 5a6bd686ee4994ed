//! reckon's integration tests: one binary, driving the real `reckon` executable.

mod browser;
mod config_fixtures;
mod html;
mod import;
mod init;
mod inventory;
mod keeper;
mod quickstart;
mod safety;
mod schema;
mod support;
mod watch;
