//! reckon's integration tests: one binary, driving the real `reckon` executable.

mod config_fixtures;
mod connectwise;
mod connectwise_wire;
mod init;
mod quickstart;
mod schema;
#[path = "../sim/mod.rs"]
mod sim;
mod support;
