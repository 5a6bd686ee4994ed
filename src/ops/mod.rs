//! What a command does, shared by the CLI and watch (as cargo's `ops`): the front ends parse
//! their flags, call one of these, and render what comes back.
//!
//! - [`plan`]: select integrations, observe usage and the PSA ([`observe`]), compute the plan;
//! - [`apply`]: apply a fresh, saved or just-made plan under a [`apply::Policy`] — lock,
//!   journal, interrupted-write recovery, the plan's blockers — returning what was applied or a
//!   typed [`Refusal`];
//! - [`import`]: read what `reckon import` proposes mappings from;
//! - [`provenance`]: where a plan came from (tenant, commit, time, who, version).
//!
//! Prints nothing and reads no flags: output is the front end's, decisions are the plan's.

pub mod apply;
pub mod budget;
pub mod import;
pub mod observe;
pub mod plan;
pub mod provenance;
pub mod refusal;
mod stale;

pub use refusal::Refusal;
