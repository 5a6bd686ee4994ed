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
//!   (YAML →    (vendor     (daily    (pure:    (executes the
//!   validated   rows, PSA   counts →  desired   plan's actions,
//!   model)      snapshot)   billable) vs live)  decides nothing)
//!                                       │
//!                                       └──► render (text, JSON, markdown, annotations)
//! ```
//!
//! [`watch`] loops the same pass on file changes and a timer. The pure core — [`config::model`], [`usage`],
//! [`plan`] — does no I/O, reads no clock and uses no randomness. Adapters sit at the edges,
//! one trait per kind and one file per implementation: [`sources`] (usage sources) and [`psa`]
//! (contract systems); their wire types stay private and they hand the core [`observed`] types.
//! The [`cli`] only parses, dispatches and renders.
//!
//! | module | owns |
//! |---|---|
//! | [`config`] | loading and validating `reckon.yaml` and `integrations/*.yaml` |
//! | [`yaml`] | the one YAML library, with line/column spans |
//! | [`diagnostic`] | problems pointing at file:line:col |
//! | [`period`] | billing months and their date maths |
//! | [`sources`] | usage sources: CSV files and Keeper Commander reports, behind one trait |
//! | [`usage`] | billing models and rounding (pure) |
//! | [`observed`] | what the PSA holds, in reckon's terms |
//! | [`plan`] | `compute(desired, observed) -> Plan` (pure) |
//! | [`observe`] | reading usage and the PSA before planning |
//! | [`reconcile`] | one select → observe → plan pass, shared by commands |
//! | [`apply`] | executing a plan |
//! | [`saved_plan`] | plan files (`plan --out`, `apply FILE`) and refusing stale ones |
//! | [`fingerprint`] | git commit and content hashes a saved plan is checked against |
//! | [`state`] | `.reckon/`: the apply lock and the apply journal |
//! | [`status`] | the sync state from the journal, lock and approvals (pure) |
//! | [`watch`] | re-planning (and applying) on file changes and a timer |
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
pub mod observe;
pub mod observed;
pub mod period;
pub mod plan;
pub mod psa;
pub mod reconcile;
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
