//! The soak's kill cycle with the real binary: `reckon apply` as a child process, SIGKILLed a
//! few ms after the apply journal holds its first intent; then the recovery an operator makes:
//! `reckon status` names the lock's dead holder and the writes with unknown outcomes,
//! `reckon apply` is refused, `reckon unlock ID` frees the workspace, the next `reckon plan`
//! reports exactly those writes, and the next `reckon apply` re-reads and closes each.
//!
//! Reads the journal as the witness of what reckon says it did; judging the PSA's lines is the
//! soak's job.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::process::Stdio;
use std::str::FromStr;
use std::time::{Duration, Instant};

use reckon::state::journal::{self, Intent, Record};
use rust_decimal::Decimal;

use crate::binary::Reckon;
use crate::msp::PERIOD;
use crate::run::Failure;
use crate::state::State;

/// The longest a child apply may take to reach its first write (a fault can hold it a while).
const FIRST_WRITE_LIMIT: Duration = Duration::from_secs(60);

/// How a child apply ended.
pub enum Ended {
    /// Killed mid-apply, its lock left behind.
    Killed(Killed),
    /// It finished before the signal.
    Finished,
    /// It ended before its first write (its plan failed under a fault), with this exit code.
    BeforeWriting(Option<i32>),
}

/// An apply killed mid-way.
pub struct Killed {
    /// Its run id in the journal, which is its lock's id.
    pub run: String,
    /// Its process id.
    pub pid: u32,
    /// The intents it left without an outcome.
    pub unknown: Vec<Intent>,
}

/// A child apply: how it ended, and the lines its journal records as applied.
pub struct ChildApply {
    /// How it ended.
    pub ended: Ended,
    /// PSA line ids with an `applied` outcome.
    pub applied: HashSet<String>,
}

/// Runs `reckon apply` on `dir` and SIGKILLs it `delay` after its first journalled intent.
pub fn apply_and_kill(
    reckon: &Reckon,
    dir: &Path,
    state: &State,
    delay: Duration,
) -> Result<ChildApply, Failure> {
    let from = state.mark();
    let mut child = reckon
        .command(
            dir,
            &[
                "apply",
                "--auto-approve",
                "--allow-partial",
                "--period",
                PERIOD,
            ],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let wrote = wait_for_intent(state, from, &mut child)?;
    if wrote {
        std::thread::sleep(delay);
    }
    let status = match child.try_wait()? {
        Some(status) => status,
        None => {
            child.kill()?;
            child.wait()?
        }
    };
    let records = state.appended(from)?;
    // A signal that lands after the run removed its lock holder record (it was exiting when
    // `try_wait` looked) killed nothing that matters: the run had finished. A short apply can
    // end within the delay since the simulators' latency became exact.
    let finished_first = status.code().is_none() && wrote && !state.holder_left()?;
    let ended = match (status.code(), wrote) {
        _ if finished_first => Ended::Finished,
        // No exit code: ended by the signal.
        (None, _) => Ended::Killed(Killed {
            run: run_id(&records).ok_or("a killed apply journalled no intent")?,
            pid: child.id(),
            unknown: journal::unknown_outcomes(&records),
        }),
        (Some(_), true) => Ended::Finished,
        (code, false) => Ended::BeforeWriting(code),
    };
    if !matches!(ended, Ended::Killed(_)) {
        // A run that ended by itself, however, releases its lock.
        require(state.lock_free()?, || {
            "a reckon apply that ended by itself left its lock".into()
        })?;
    }
    Ok(ChildApply {
        ended,
        applied: applied_lines(&records),
    })
}

/// After a kill, as an operator: `reckon status` must show the lock held by the dead pid, that
/// the process is gone, and each write with an unknown outcome; `reckon apply` must be
/// refused while the lock stands; `reckon unlock ID`, with the id read from the status, must
/// remove it.
pub fn unlock(reckon: &Reckon, dir: &Path, state: &State, killed: &Killed) -> Result<(), Failure> {
    if state.shared() {
        return unlock_shared(reckon, dir, state, killed);
    }
    let status = reckon.run(dir, &["status"])?;
    let held = status
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("Lock: "))
        .unwrap_or_default();
    require(
        status.code == Some(0)
            && held.contains(&format!("(pid {})", killed.pid))
            && held.contains("that process is no longer running")
            && killed
                .unknown
                .iter()
                .all(|i| status.stdout.contains(&i.address)),
        || {
            format!(
                "`reckon status` after the kill of pid {}: {status}",
                killed.pid
            )
        },
    )?;
    let id = held
        .strip_prefix("lock ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_default();
    require(id == killed.run, || {
        format!("the lock's id in `reckon status` is not the killed run's: {status}")
    })?;
    let refused = reckon.run(
        dir,
        &[
            "apply",
            "--auto-approve",
            "--allow-partial",
            "--period",
            PERIOD,
        ],
    )?;
    require(
        refused.code == Some(1) && refused.stderr.contains("the workspace is locked"),
        || format!("`reckon apply` while the dead process's lock stands: {refused}"),
    )?;
    let unlocked = reckon.run(dir, &["unlock", id])?;
    let gone = state.lock_free()?;
    require(unlocked.code == Some(0) && gone, || {
        format!("`reckon unlock {id}`: {unlocked}")
    })
}

/// After a kill with the lock in PostgreSQL: the lock went with the killed process's
/// connection, so `reckon status` must show it free, the killed run's holder row as stale and
/// each write with an unknown outcome; `reckon unlock ID` then tidies the row away.
fn unlock_shared(
    reckon: &Reckon,
    dir: &Path,
    state: &State,
    killed: &Killed,
) -> Result<(), Failure> {
    require(state.lock_free()?, || {
        "the killed apply's advisory lock outlived its connection".into()
    })?;
    let status = reckon.run(dir, &["status"])?;
    let stale = format!("the holder row of lock {} held by", killed.run);
    require(
        status.code == Some(0)
            && status.stdout.contains("Lock: not held")
            && status.stdout.contains(&stale)
            && killed
                .unknown
                .iter()
                .all(|i| status.stdout.contains(&i.address)),
        || {
            format!(
                "`reckon status` after the kill of pid {}: {status}",
                killed.pid
            )
        },
    )?;
    let unlocked = reckon.run(dir, &["unlock", &killed.run])?;
    let after = reckon.run(dir, &["status"])?;
    require(
        unlocked.code == Some(0) && !after.stdout.contains("holder row"),
        || format!("`reckon unlock {}`: {unlocked}", killed.run),
    )
}

/// The cycle after a kill: `reckon plan` must report exactly the killed run's writes without an
/// outcome, each with what its line holds (`live`, by line id); `reckon apply` must succeed,
/// closing each with a `resolved` record of that quantity, and leave no unknown outcome.
/// Returns the lines it recorded as applied.
pub fn recover(
    reckon: &Reckon,
    dir: &Path,
    state: &State,
    killed: &Killed,
    live: &HashMap<String, Decimal>,
) -> Result<HashSet<String>, Failure> {
    let found = |intent: &Intent| intent.line.as_ref().and_then(|l| live.get(l)).copied();
    let expected: BTreeMap<&str, Option<Decimal>> = killed
        .unknown
        .iter()
        .map(|i| (i.address.as_str(), found(i)))
        .collect();
    let plan = reckon.run(dir, &["plan", "--period", PERIOD, "--format", "json"])?;
    let doc: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap_or_default();
    let reported: BTreeMap<&str, Option<Decimal>> = doc["interrupted"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| {
            let found = i["found"].as_str().and_then(|q| Decimal::from_str(q).ok());
            (i["address"].as_str().unwrap_or_default(), found)
        })
        .collect();
    require(plan.code == Some(0) && reported == expected, || {
        format!("the plan after the kill should report {expected:?} as interrupted: {plan}")
    })?;

    let from = state.mark();
    let apply = reckon.run(
        dir,
        &[
            "apply",
            "--auto-approve",
            "--allow-partial",
            "--period",
            PERIOD,
        ],
    )?;
    let records = state.appended(from)?;
    let resolved: BTreeMap<(&str, u32), Option<Decimal>> = records
        .iter()
        .filter_map(|r| match r {
            Record::Resolved(r) => Some(((r.apply.as_str(), r.seq), r.found)),
            _ => None,
        })
        .collect();
    let closing: BTreeMap<(&str, u32), Option<Decimal>> = killed
        .unknown
        .iter()
        .map(|i| ((i.apply.as_str(), i.seq), found(i)))
        .collect();
    let noted = killed.unknown.iter().all(|i| {
        apply.stderr.contains(&format!(
            "an earlier apply was interrupted writing {}",
            i.address
        ))
    });
    let left = journal::unknown_outcomes(&state.all()?).len();
    require(
        apply.code == Some(0) && noted && resolved == closing && left == 0,
        || {
            format!(
                "the apply after the kill should close {closing:?} (closed {resolved:?}, {left} unknown left): {apply}"
            )
        },
    )?;
    Ok(applied_lines(&records))
}

/// Polls the journal every millisecond until an intent appears after byte `from` (`true`) or
/// the child ends first (`false`).
fn wait_for_intent(
    state: &State,
    from: u64,
    child: &mut std::process::Child,
) -> Result<bool, Failure> {
    let deadline = Instant::now() + FIRST_WRITE_LIMIT;
    loop {
        if state
            .appended(from)?
            .iter()
            .any(|r| matches!(r, Record::Intent(_)))
        {
            return Ok(true);
        }
        if child.try_wait()?.is_some() {
            return Ok(false);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            return Err(format!("reckon apply wrote nothing within {FIRST_WRITE_LIMIT:?}").into());
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The run id of the first intent in `records`.
fn run_id(records: &[Record]) -> Option<String> {
    records.iter().find_map(|r| match r {
        Record::Intent(i) => Some(i.apply.clone()),
        _ => None,
    })
}

/// Line ids of the intents in `records` whose outcome is `applied`.
fn applied_lines(records: &[Record]) -> HashSet<String> {
    let lines: HashMap<(&str, u32), &str> = records
        .iter()
        .filter_map(|r| match r {
            Record::Intent(i) => Some(((i.apply.as_str(), i.seq), i.line.as_deref()?)),
            _ => None,
        })
        .collect();
    records
        .iter()
        .filter_map(|r| match r {
            Record::Outcome(o) if o.outcome == reckon::apply::OutcomeKind::Applied => lines
                .get(&(o.apply.as_str(), o.seq))
                .map(|l| (*l).to_owned()),
            _ => None,
        })
        .collect()
}

/// `Ok` when `ok`, else the failure `what` describes.
fn require(ok: bool, what: impl FnOnce() -> String) -> Result<(), Failure> {
    if ok { Ok(()) } else { Err(what().into()) }
}
