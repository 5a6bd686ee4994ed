//! Apply-journal benchmark: the cost the journal adds to each PSA write (an intent, fsynced
//! before the write, and an outcome appended after it), on this machine's disk — one write at a
//! time, and 6 at a time, where intents waiting together share one fsync.
//!
//! Run: `cargo run --release --example journal_bench [WRITES]` (not part of `cargo test`).
//! Uses the same `state::journal::ApplyJournal` that `reckon apply` uses, without a PSA.

use std::time::Instant;

use futures_util::{StreamExt, stream};
use reckon::apply::{Journal, Outcome};
use reckon::plan::{Action, Approval, Change, MatchedBy};
use reckon::state::journal::{self, ApplyJournal, Writer};
use reckon::usage::{BillingModel, Rounding, RoundingMode};
use rust_decimal::Decimal;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let writes: u32 = std::env::args().nth(1).map_or(Ok(1_000), |a| a.parse())?;
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    let change = sample_change();
    for at_once in [1, 6] {
        let dir = std::env::temp_dir().join(format!(
            "reckon-journal-bench-{}-{at_once}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir)?;
        let period = "2026-10".parse()?;
        let journal = ApplyJournal::new(Writer::open(&dir)?, "bench".into(), None, period, None);
        let started = Instant::now();
        runtime.block_on(async {
            let write = |_| async {
                let intent = journal.intent(&change).await?;
                journal.outcome(intent, &Outcome::Applied)
            };
            let mut done = stream::iter(0..writes).map(write).buffer_unordered(at_once);
            while let Some(result) = done.next().await {
                result?;
            }
            journal.finish().await
        })?;
        let elapsed = started.elapsed();
        let bytes = std::fs::metadata(journal::path(&dir))?.len();
        let records = journal::read(&dir)?.len();
        println!(
            "{writes} journalled writes, {at_once} at a time ({records} records, {bytes} bytes, {} fsyncs) in {elapsed:.2?}: {:.2?} per write",
            journal.writer().syncs(),
            elapsed / writes.max(1)
        );
        if at_once == 1 {
            let read = Instant::now();
            let unknown = journal::unknown_outcomes(&journal::read(&dir)?).len();
            println!(
                "reading the journal and finding unknown outcomes ({unknown}): {:.2?}",
                read.elapsed()
            );
        }
        std::fs::remove_dir_all(&dir)?;
    }
    Ok(())
}

fn sample_change() -> Change {
    Change {
        address: "keeper/Acme Dental/Business Plus → Acme Dental/KEEPER-BP".into(),
        action: Action::Update {
            line: "C-1001-1".into(),
            from: Decimal::from(10),
        },
        integration: "keeper".into(),
        vendor_account: "3862".into(),
        vendor_account_name: "Acme Dental".into(),
        vendor_services: vec!["Business Plus".into()],
        psa_company: "29683365".into(),
        psa_company_name: "Acme Dental".into(),
        psa_service: "KEEPER-BP".into(),
        psa_service_name: String::new(),
        contract: "C-1001".into(),
        usage: Decimal::new(120645, 4),
        quantity: Decimal::from(12),
        effective_date: chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap_or_default(),
        billing_model: BillingModel::DailyAverage,
        rounding: Rounding {
            mode: RoundingMode::Nearest,
            decimals: 0,
        },
        matched_by: MatchedBy::Mapping,
        daily: Vec::new(),
        approval: Approval::NotNeeded,
    }
}
