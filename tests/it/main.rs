//! reckon's integration tests: one binary, driving the real `reckon` executable.

mod api_budget;
mod autotask;
mod autotask_adapter;
mod autotask_in_force;
mod autotask_wire;
mod batched_apply;
mod blockers;
mod browser;
mod config_fixtures;
mod connectwise;
mod connectwise_schema;
mod connectwise_wire;
mod halopsa;
mod halopsa_wire;
mod hostile_files;
mod hostile_numbers;
mod hostile_output;
mod html;
mod import;
mod init;
mod inventory;
mod keeper;
mod keeper_commander;
mod markdown_budget;
mod messages;
mod psa_http;
mod psa_trust;
mod quickstart;
mod safety;
mod schema;
#[path = "../sim/mod.rs"]
mod sim;
mod support;
mod watch;
mod workflows;
