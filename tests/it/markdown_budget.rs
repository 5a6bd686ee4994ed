//! The markdown plan (the pull-request comment) at MSP scale: a synthetic 5,000-account
//! workspace (5,000 companies × 4 services, most lines changing, some beyond the approval
//! threshold, some accounts unmapped) planned by the real binary stays within the size budget,
//! and keeps every approval and finding, leading with them before the tables.

use std::fmt::Write as _;
use std::path::Path;

use crate::support::reckon;

const ACCOUNTS: u32 = 5_000;
const SKUS: [&str; 4] = ["BP", "TB", "CHAT", "BW"];
/// Every 200th account's lines jump by 100 units: beyond `max_change_units: 50`.
const JUMP_EVERY: u32 = 200;
const UNMAPPED: u32 = 30;

/// The workspace: end-of-period usage (one row per account and SKU on the 31st), so each line's
/// planned quantity is the row's count.
fn synthetic_workspace(dir: &Path) {
    for sub in ["integrations", "sandbox", "usage"] {
        std::fs::create_dir_all(dir.join(sub)).expect("mkdir");
    }
    std::fs::write(
        dir.join("reckon.yaml"),
        "psa:\n  kind: sandbox\n  path: sandbox/psa.yaml\n  integer_quantities: true\n\
         policy:\n  max_change_units: 50\n",
    )
    .expect("reckon.yaml");
    let mut integration = String::from(
        "vendor: keeper\nsource:\n  kind: csv\n  path: usage/keeper-{period}.csv\n\
         billing_model: end-of-period\naccounts:\n  auto_match: exact-name\nservices:\n",
    );
    for sku in SKUS {
        let _ = writeln!(integration, "  - {{vendor: {sku}, psa: S-{sku}}}");
    }
    std::fs::write(dir.join("integrations/keeper.yaml"), integration).expect("integration");
    let mut psa = String::from("companies:\n");
    for a in 0..ACCOUNTS {
        let _ = writeln!(
            psa,
            "  - {{id: \"{}\", name: Customer {a:04}}}",
            30_000_000 + a
        );
    }
    psa.push_str("services:\n");
    for sku in SKUS {
        let _ = writeln!(psa, "  - {{id: S-{sku}, name: {sku}}}");
    }
    psa.push_str("contracts:\n");
    let mut csv = String::from("date,account_id,account_name,sku,quantity\n");
    for a in 0..ACCOUNTS {
        let _ = writeln!(
            psa,
            "  - id: C-{a}\n    company: \"{}\"\n    name: Managed Services\n    lines:",
            30_000_000 + a
        );
        for (s, sku) in SKUS.iter().enumerate() {
            let used = 10 + (a * 7 + u32::try_from(s).expect("small")) % 90;
            let billed = if a % JUMP_EVERY == 0 {
                used + 100
            } else {
                used + (a + u32::try_from(s).expect("small")) % 3
            };
            let _ = writeln!(
                psa,
                "      - {{id: C-{a}-{s}, service: S-{sku}, quantity: \"{billed}\"}}"
            );
            let _ = writeln!(
                csv,
                "2026-10-31,{},Customer {a:04},{sku},{used}",
                4_000_000 + a
            );
        }
    }
    for u in 0..UNMAPPED {
        let _ = writeln!(csv, "2026-10-31,{},Stranger {u:02},BP,5", 5_000_000 + u);
    }
    std::fs::write(dir.join("sandbox/psa.yaml"), psa).expect("psa");
    std::fs::write(dir.join("usage/keeper-2026-10.csv"), csv).expect("usage");
}

fn markdown(dir: &Path, extra: &[&str]) -> String {
    let mut args = vec!["plan", "--period", "2026-10", "--format", "markdown"];
    args.extend_from_slice(extra);
    let run = reckon(dir, &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout
}

#[test]
fn a_5000_account_plan_fits_the_comment_budget_with_every_approval_and_finding() {
    let ws = tempfile::tempdir().expect("tempdir");
    synthetic_workspace(ws.path());
    let full = markdown(ws.path(), &["--max-bytes", "100000000"]);
    let approvals = usize::try_from(ACCOUNTS / JUMP_EVERY).expect("small") * SKUS.len();
    assert!(
        full.len() > 1_000_000,
        "the whole plan is large: {}",
        full.len()
    );
    assert!(!full.contains("left out"));

    for (budget, text) in [
        (60_000, markdown(ws.path(), &[])),
        (30_000, markdown(ws.path(), &["--max-bytes", "30000"])),
    ] {
        assert!(text.len() <= budget, "{} bytes over {budget}", text.len());
        assert_eq!(
            text.matches("- **needs approval** ").count(),
            approvals,
            "every approval is kept"
        );
        assert_eq!(
            text.matches("- warning **unmapped-account**").count(),
            usize::try_from(UNMAPPED).expect("small"),
            "every finding is kept"
        );
        let at = |needle: &str| text.find(needle).unwrap_or_else(|| panic!("no {needle}"));
        assert!(at("#### Approvals") < at("#### Findings"));
        assert!(at("#### Findings") < at("<details>"));
        let shown = text.matches("\n| ~ update").count();
        let changed = full.matches("\n| ~ update").count();
        assert!(
            shown > 0 && shown < changed,
            "{shown} of {changed} rows shown"
        );
        assert!(
            text.contains(&format!(
                "_{} of {changed} table rows left out to fit the size limit._",
                changed - shown
            )),
            "the cut is said: {}",
            &text[text.len() - 600..]
        );
        // The whole count takes in the warnings too (none of which was cut).
        assert!(text.contains(&format!(
            "> **{} of {} rows left out** to stay within {budget} bytes",
            changed - shown,
            changed + usize::try_from(UNMAPPED).expect("small")
        )));
    }
}

#[test]
fn approvals_are_kept_even_beyond_a_budget_they_alone_exceed() {
    let ws = tempfile::tempdir().expect("tempdir");
    synthetic_workspace(ws.path());
    let text = markdown(ws.path(), &["--max-bytes", "1000"]);
    let approvals = usize::try_from(ACCOUNTS / JUMP_EVERY).expect("small") * SKUS.len();
    assert_eq!(text.matches("- **needs approval** ").count(), approvals);
    assert!(
        !text.contains("\n| ~ update"),
        "every table row is cut first"
    );
    assert!(
        !text.contains("- warning **unmapped-account**"),
        "then the warnings"
    );
    assert!(text.contains("_30 of 30 warnings left out to fit the size limit._"));
}
