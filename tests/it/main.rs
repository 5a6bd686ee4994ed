//! reckon's integration tests: one binary, driving the real `reckon` executable.

mod autotask;
mod autotask_adapter;
mod config_fixtures;
mod init;
mod quickstart;
mod schema;
#[path = "../sim/mod.rs"]
mod sim;
mod support;
