//! reckon: a declarative, GitOps-style billing reconciler for MSPs.
//!
//! Mappings and settings live as YAML in a git repository; reckon reads each vendor's usage and
//! the PSA's live contracts, computes what every contract line should say, and writes the
//! rounded quantities — `plan` and `apply`, as terraform does.
//!
//! # Architecture
//!
//! ```text
//!   config ──► observe ──► usage ──► plan ──► apply
//!   (YAML →    (sources/   (daily    (pure:    (executes the
//!   validated   rows, psa/  counts →  desired   plan's actions,
//!   model)      snapshot)   billable) vs live)  decides nothing)
//!                                       │
//!                                       └──► render (text, JSON, markdown, annotations)
//!
//!   cli/ ─┐
//!         ├──► ops/ (plan: select → observe → compute; apply: lock → recover interrupted
//!   watch/┘          writes → plan or saved plan → blockers → execute, or a Refusal; import)
//! ```
//!
//! [`ops`] is what a command does (cargo's `ops`), shared by the [`cli`] and [`watch`] (which
//! loops it on file changes, a timer and a retry backoff); both front ends only parse, call
//! `ops`, and render. The pure core — [`config::model`], [`usage`], [`plan`] — does no I/O,
//! reads no clock and uses no randomness (the `layering` test keeps tokio, reqwest, `std::fs`,
//! `psa` and `sources` out of it). Adapters sit at the edges, one trait per kind and one file
//! per implementation: [`sources`] (usage sources, trait `UsageSource`) and [`psa`] (contract
//! systems); their wire types stay private and they hand the core [`observed`] types.
//!
//! | module | owns |
//! |---|---|
//! | [`config`] | loading and validating `reckon.yaml` and `integrations/*.yaml`; the one list of workspace files |
//! | [`yaml`] | the one YAML library, with line/column spans |
//! | [`diagnostic`] | problems pointing at file:line:col |
//! | [`period`] | billing months and their date maths |
//! | [`sources`] | usage sources: CSV files and Keeper Commander reports, behind one trait (and each kind's product names) |
//! | [`usage`] | billing models and rounding (pure) |
//! | [`observed`] | what the PSA holds, in reckon's terms |
//! | [`plan`] | `compute(desired, observed, grants, interrupted writes) -> Plan` (pure): actions, findings with their severity, blockers; `Plan::check` invariants |
//! | [`ops`] | what a command does: `ops::plan`, `ops::apply` (policy, lock, journal, recovery, refusals), `ops::import` |
//! | [`apply`] | executing a plan's actions, journalled |
//! | [`provenance`] | where a plan came from: tenant, commit, time, who (user or CI run), version (data; built in `ops`) |
//! | [`saved_plan`] | plan files (`plan --out`, `apply FILE`) and refusing stale ones |
//! | [`fingerprint`] | git commit and content hashes a saved plan is checked against |
//! | [`state`] | `.reckon/`: the apply lock and the apply journal |
//! | [`status`] | the sync state from the journal, lock and approvals (pure) |
//! | [`watch`] | re-planning (and applying) on file changes, a timer and after failures; its events |
//! | [`import`] | proposing mappings from vendor and PSA state; appending them to YAML text |
//! | [`inventory`] | vendor accounts and services with their PSA mapping |
//! | [`render`] | every output format |
//! | [`secret`] | credentials that never print |
//! | [`fsio`] | reading only regular, bounded files; writing state never through links |
//! | [`error`] | top-level errors and exit codes |

pub mod apply;
pub mod cli;
pub mod config;
pub mod diagnostic;
pub mod error;
pub mod fingerprint;
pub mod fsio;
#[cfg(test)]
mod fuzz;
pub mod import;
pub mod inventory;
pub mod observed;
pub mod ops;
pub mod period;
pub mod plan;
pub mod provenance;
pub mod psa;
pub mod render;
pub mod saved_plan;
pub mod schema;
pub mod secret;
pub mod sources;
pub mod state;
pub mod status;
pub mod usage;
pub mod watch;
pub mod yaml;

#[cfg(test)]
mod layering;
