//! reckon's integration tests: one binary, driving the real `reckon` executable.

mod browser;
mod config_fixtures;
mod html;
mod init;
mod quickstart;
mod schema;
mod support;
