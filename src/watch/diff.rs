//! What changed between two rendered plans, as diff lines: watch prints only these, so a
//! long-running terminal shows each change once instead of the whole plan every cycle.

use similar::{Algorithm, ChangeTag, TextDiff};

/// How a plan relates to the previous one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanChange {
    /// No previous plan to compare with (first cycle, or the one after a failure): show it all.
    Full,
    /// Identical to the previous plan.
    Unchanged,
    /// These hunks differ; each line starts with `+`, `-` or ` ` (context).
    Changed(Vec<Vec<String>>),
}

/// Lines of context kept around each change.
const CONTEXT: usize = 2;

/// The difference between the `previous` and `current` rendered plans.
pub fn between(previous: &str, current: &str) -> PlanChange {
    if previous == current {
        return PlanChange::Unchanged;
    }
    // Patience anchors on lines that occur once in each plan (headings, addresses), so a new
    // change shows as one added block rather than interleaved with the blank lines around it.
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Patience)
        .diff_lines(previous, current);
    let hunks = diff
        .unified_diff()
        .context_radius(CONTEXT)
        .iter_hunks()
        .map(|hunk| {
            hunk.iter_changes()
                .map(|change| {
                    let sign = match change.tag() {
                        ChangeTag::Delete => '-',
                        ChangeTag::Insert => '+',
                        ChangeTag::Equal => ' ',
                    };
                    format!("{sign}{}", change.value().trim_end_matches(['\n', '\r']))
                })
                .collect()
        })
        .collect();
    PlanChange::Changed(hunks)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BEFORE: &str = "header\n\n  ~ update a\n      quantity 1 → 2\n\n  ~ update b\n      quantity 3 → 4\n\nPlan: 0 to create, 2 to update.\n";

    #[test]
    fn identical_plans_are_unchanged() {
        assert_eq!(between(BEFORE, BEFORE), PlanChange::Unchanged);
    }

    #[test]
    fn only_the_changed_lines_and_a_little_context_are_shown() {
        let after = BEFORE
            .replace("quantity 3 → 4", "quantity 3 → 5")
            .replace("2 to update", "2 to update (again)");
        let PlanChange::Changed(hunks) = between(BEFORE, &after) else {
            panic!("expected a change");
        };
        assert_eq!(
            hunks,
            [vec![
                " ",
                "   ~ update b",
                "-      quantity 3 → 4",
                "+      quantity 3 → 5",
                " ",
                "-Plan: 0 to create, 2 to update.",
                "+Plan: 0 to create, 2 to update (again).",
            ]]
        );
    }

    #[test]
    fn distant_changes_come_as_separate_hunks() {
        let long: String = (0..20).map(|i| format!("line {i}\n")).collect();
        let after = long
            .replace("line 1\n", "line one\n")
            .replace("line 18\n", "line eighteen\n");
        let PlanChange::Changed(hunks) = between(&long, &after) else {
            panic!("expected a change");
        };
        assert_eq!(hunks.len(), 2);
        assert!(hunks[0].contains(&"+line one".to_owned()));
        assert!(hunks[1].contains(&"-line 18".to_owned()));
    }
}
