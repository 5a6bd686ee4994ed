//! The apply journal: `.reckon/journal.jsonl`, append-only JSON lines.
//!
//! Before each PSA write apply records an *intent* (who, from which commit, what address and
//! line, before → after, effective date, source period); after it, the *outcome*. An intent
//! without an outcome means the process died between the two: the write may or may not have
//! happened. A later apply re-reads such a line and records what it found (*resolved*), which
//! closes it. The journal is also the audit trail `reckon status` reads. Outcomes name their
//! intent by `seq`, and with concurrent writes they follow in completion order, not plan order.
//!
//! Durability, and why it is enough:
//! - An intent is on disk (fsynced) before its write starts: [`apply::Journal::intent`]
//!   returns only then, and apply awaits it. Losing an intent would hide a write, so it is never
//!   acknowledged early.
//! - Intents recorded while a sync runs wait for it and share the next one (group commit, in
//!   [`Writer`]): N concurrent writes cost about one fsync per round instead of N, and the
//!   fsync runs on a blocking thread so requests in flight are not stalled.
//! - An outcome is appended without its own fsync: the next intent's sync, or the one at the
//!   end of the run ([`apply::Journal::finish`]), makes it durable. A crash of the process
//!   loses nothing appended (the kernel holds it); a power loss can lose outcomes since the last
//!   sync, and a lost outcome only shows as "outcome unknown": the next plan re-reads that line
//!   and plans from what it holds, so nothing is written twice.
//!
//! Owns the record format and the file; decides nothing about billing.

mod writer;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub use writer::{Position, Writer};

use super::Actor;
use crate::apply::{self, IntentId, Outcome};
use crate::fsio::limit;
use crate::period::Period;
use crate::plan::Change;

/// The journal file's name inside `.reckon/`.
pub const JOURNAL_FILE: &str = "journal.jsonl";

/// One line of the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "kebab-case")]
pub enum Record {
    /// About to write.
    Intent(Box<Intent>),
    /// The write's result.
    Outcome(OutcomeRecord),
    /// A later apply re-read the line of an intent that had no outcome.
    Resolved(Resolved),
}

/// A write about to happen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intent {
    /// The apply run (one id per `reckon apply`).
    pub apply: String,
    /// The write's number within the run, from 1.
    pub seq: u32,
    /// When (RFC 3339, UTC).
    pub time: String,
    /// OS user.
    pub user: String,
    /// Host name.
    pub host: String,
    /// The CI run that wrote, when CI variables said so (absent from older records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci: Option<super::CiRun>,
    /// The workspace's git commit, when known.
    pub commit: Option<String>,
    /// The integration.
    pub integration: String,
    /// The plan address.
    pub address: String,
    /// `create` or `update`.
    pub action: crate::plan::ActionKind,
    /// PSA contract id.
    pub contract: String,
    /// PSA line id (`None` when creating).
    pub line: Option<String>,
    /// PSA service identifier.
    pub service: String,
    /// The quantity planned against (`None` when creating).
    pub before: Option<Decimal>,
    /// The quantity written.
    pub after: Decimal,
    /// When it takes effect.
    pub effective_date: NaiveDate,
    /// The usage period it came from.
    pub period: Period,
}

/// The result of one intent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeRecord {
    /// The apply run.
    pub apply: String,
    /// The intent's number.
    pub seq: u32,
    /// When.
    pub time: String,
    /// `applied`, `failed` or `not-attempted`.
    pub outcome: crate::apply::OutcomeKind,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// An interrupted intent, closed by re-reading its line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolved {
    /// The apply run of the intent.
    pub apply: String,
    /// The intent's number.
    pub seq: u32,
    /// When.
    pub time: String,
    /// The quantity found on the line (`None` when it could not be read).
    pub found: Option<Decimal>,
}

/// The journal file of a state folder.
pub fn path(state_dir: &Path) -> PathBuf {
    state_dir.join(JOURNAL_FILE)
}

/// Every record of the journal in `state_dir` (none when it does not exist). A line that does
/// not parse — a torn last line after a power cut — is skipped rather than failing every later
/// command; the intents around it still show.
pub fn read(state_dir: &Path) -> std::io::Result<Vec<Record>> {
    let within = super::within_workspace(state_dir);
    let read = crate::fsio::read::text_if_exists(&path(state_dir), within, limit::JOURNAL);
    match read.map_err(std::io::Error::other)? {
        Some(text) => Ok(text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()),
        None => Ok(Vec::new()),
    }
}

/// Intents with neither an outcome nor a resolution: writes whose result nobody knows.
pub fn unknown_outcomes(records: &[Record]) -> Vec<Intent> {
    let closed: BTreeSet<(&str, u32)> = records
        .iter()
        .filter_map(|r| match r {
            Record::Outcome(o) => Some((o.apply.as_str(), o.seq)),
            Record::Resolved(r) => Some((r.apply.as_str(), r.seq)),
            Record::Intent(_) => None,
        })
        .collect();
    records
        .iter()
        .filter_map(|r| match r {
            Record::Intent(i) if !closed.contains(&(i.apply.as_str(), i.seq)) => {
                Some((**i).clone())
            }
            _ => None,
        })
        .collect()
}

/// The journal of one apply run, as [`apply::Journal`]; concurrent writes may share it.
#[derive(Debug)]
pub struct ApplyJournal {
    writer: Writer,
    apply: String,
    seq: AtomicU32,
    actor: Actor,
    commit: Option<String>,
    period: Period,
    crash_after_writes: Option<u32>,
    writes: AtomicU32,
}

impl ApplyJournal {
    /// A journal for one run of `apply` over `period`'s plan, made from `commit`.
    ///
    /// `crash_after_writes` is a test hook (`RECKON_TEST_CRASH_AFTER_WRITES`): abort the process
    /// right after that many successful PSA writes (counted as they finish), before their
    /// outcome is recorded, exactly as a crash would. Writes running concurrently at that
    /// moment are cut off too, as in a real crash.
    pub fn new(
        writer: Writer,
        apply: String,
        commit: Option<String>,
        period: Period,
        crash_after_writes: Option<u32>,
    ) -> Self {
        Self {
            writer,
            apply,
            seq: AtomicU32::new(0),
            actor: Actor::current(),
            commit,
            period,
            crash_after_writes,
            writes: AtomicU32::new(0),
        }
    }

    /// The journal's writer (for its figures, e.g. [`Writer::syncs`]).
    pub fn writer(&self) -> &Writer {
        &self.writer
    }

    fn intent_record(&self, seq: u32, change: &Change) -> Record {
        Record::Intent(Box::new(Intent {
            apply: self.apply.clone(),
            seq,
            time: now(),
            user: self.actor.user.clone(),
            host: self.actor.host.clone(),
            ci: self.actor.ci.clone(),
            commit: self.commit.clone(),
            integration: change.integration.clone(),
            address: change.address.clone(),
            action: change.action.kind(),
            contract: change.contract.clone(),
            line: change.line().map(str::to_owned),
            service: change.psa_service.clone(),
            before: change.current(),
            after: change.quantity,
            effective_date: change.effective_date,
            period: self.period,
        }))
    }
}

impl apply::Journal for ApplyJournal {
    async fn intent(&self, change: &Change) -> std::io::Result<IntentId> {
        let seq = self.seq.fetch_add(1, Ordering::Relaxed) + 1;
        let position = self.writer.push(&self.intent_record(seq, change))?;
        self.writer.durable(position).await?;
        Ok(IntentId(seq))
    }

    fn outcome(&self, intent: IntentId, outcome: &Outcome) -> std::io::Result<()> {
        if matches!(outcome, Outcome::Applied) {
            let writes = self.writes.fetch_add(1, Ordering::Relaxed) + 1;
            if self.crash_after_writes == Some(writes) {
                std::process::abort();
            }
        }
        let error = match outcome {
            Outcome::Applied => None,
            Outcome::Failed(e) => Some(e.to_string()),
            Outcome::NotAttempted(reason) => Some(reason.clone()),
        };
        self.writer
            .push(&Record::Outcome(OutcomeRecord {
                apply: self.apply.clone(),
                seq: intent.0,
                time: now(),
                outcome: outcome.kind(),
                error,
            }))
            .map(drop)
    }

    async fn finish(&self) -> std::io::Result<()> {
        self.writer.durable(self.writer.pushed()).await
    }
}

/// The current time for records (RFC 3339, UTC, seconds).
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The test hook's value: `RECKON_TEST_CRASH_AFTER_WRITES=N`. Only debug builds (what
/// `cargo test` runs) read it; a release build never aborts on an environment variable.
pub fn crash_hook() -> Option<u32> {
    if !cfg!(debug_assertions) {
        return None;
    }
    std::env::var("RECKON_TEST_CRASH_AFTER_WRITES")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::apply::Journal;
    use crate::apply::tests::update;

    fn intent(apply: &str, seq: u32) -> Record {
        Record::Intent(Box::new(Intent {
            apply: apply.into(),
            seq,
            time: "2026-11-02T09:00:00Z".into(),
            user: "ann".into(),
            host: "ci".into(),
            ci: None,
            commit: None,
            integration: "keeper".into(),
            address: format!("keeper/a/{seq}"),
            action: crate::plan::ActionKind::Update,
            contract: "C-1".into(),
            line: Some(format!("C-1-{seq}")),
            service: "S".into(),
            before: Some(Decimal::from(8)),
            after: Decimal::from(10),
            effective_date: NaiveDate::from_ymd_opt(2026, 11, 1).expect("date"),
            period: "2026-10".parse().expect("period"),
        }))
    }

    #[test]
    fn intents_without_outcome_or_resolution_are_unknown() {
        let records = vec![
            intent("a", 1),
            Record::Outcome(OutcomeRecord {
                apply: "a".into(),
                seq: 1,
                time: String::new(),
                outcome: crate::apply::OutcomeKind::Applied,
                error: None,
            }),
            intent("a", 2),
            intent("b", 1),
            Record::Resolved(Resolved {
                apply: "b".into(),
                seq: 1,
                time: String::new(),
                found: Some(Decimal::from(10)),
            }),
        ];
        let unknown = unknown_outcomes(&records);
        assert_eq!(unknown.len(), 1);
        assert_eq!((unknown[0].apply.as_str(), unknown[0].seq), ("a", 2));
    }

    #[test]
    fn records_round_trip_through_the_file_and_torn_lines_are_skipped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut writer = Writer::open(dir.path()).expect("open");
        writer.append(&intent("a", 1)).expect("append");
        std::fs::OpenOptions::new()
            .append(true)
            .open(writer.path())
            .and_then(|mut f| f.write_all(b"{\"record\":\"int"))
            .expect("torn line");
        let records = read(dir.path()).expect("read");
        assert_eq!(records, vec![intent("a", 1)]);
    }

    #[tokio::test]
    async fn outcomes_name_their_own_intent_when_writes_finish_out_of_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let writer = Writer::open(dir.path()).expect("open");
        let period = "2026-10".parse().expect("period");
        let journal = ApplyJournal::new(writer, "run".into(), None, period, None);
        let (first, second) = (update(1), update(2));
        let (a, b) = tokio::join!(journal.intent(&first), journal.intent(&second));
        let (a, b) = (a.expect("intent"), b.expect("intent"));
        journal.outcome(b, &Outcome::Applied).expect("outcome");
        journal.outcome(a, &Outcome::Applied).expect("outcome");
        journal.finish().await.expect("finish");
        let records = read(dir.path()).expect("read");
        let seqs: Vec<(&str, u32)> = records
            .iter()
            .map(|r| match r {
                Record::Intent(i) => ("intent", i.seq),
                Record::Outcome(o) => ("outcome", o.seq),
                Record::Resolved(r) => ("resolved", r.seq),
            })
            .collect();
        assert_eq!(
            seqs,
            [("intent", 1), ("intent", 2), ("outcome", 2), ("outcome", 1)]
        );
        assert!(unknown_outcomes(&records).is_empty());
        // Both intents were made durable by one sync; the outcomes by the final one.
        assert_eq!(journal.writer().syncs(), 2);
    }
}
