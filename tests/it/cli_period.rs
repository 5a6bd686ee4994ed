//! The period made visible: a defaulted period is named, and a usage file missing for it lists
//! the periods that have files.

use crate::support::{copy_of, reckon};

#[test]
fn a_defaulted_period_is_named_and_a_missing_file_lists_the_periods_with_data() {
    let ws = copy_of("examples/quickstart");
    // Today is after 2026-11 whatever the clock says (the tests run later than the example's
    // data), so the default is never 2026-10, which has the only file.
    let plan = reckon(ws.path(), &["plan"]);
    assert_eq!(plan.code, 1);
    assert!(
        plan.stderr.contains("note: no --period given: using 20"),
        "{}",
        plan.stderr
    );
    assert!(
        plan.stderr.contains(", the month before today; usage files exist for 2026-10: pass --period 2026-10 to plan that month"),
        "{}",
        plan.stderr
    );
    let usage = reckon(ws.path(), &["usage", "--period", "2026-09"]);
    assert_eq!(usage.code, 1);
    assert!(
        !usage.stderr.contains("note: no --period"),
        "{}",
        usage.stderr
    );
    assert!(
        usage.stderr.contains(
            "hint: --period 2026-09 was given; usage files exist for 2026-10: pass --period 2026-10"
        ),
        "{}",
        usage.stderr
    );
}

#[test]
fn a_given_period_prints_no_note() {
    let ws = copy_of("examples/quickstart");
    let plan = reckon(ws.path(), &["plan", "--period", "2026-10"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(!plan.stderr.contains("note:"), "{}", plan.stderr);
}
