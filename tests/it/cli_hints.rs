//! Hints that can be pasted: every command reckon prints repeats the `-C`, `--period` and
//! `--integration` the user gave. Each test takes the command out of the hint, runs it as a
//! shell would split it, and checks it does what the hint says.

use std::path::Path;

use crate::support::{Run, copy_of, journal, reckon, records};

/// The first `` `reckon …` `` command in `text`, split into words as a POSIX shell would
/// (single quotes, and `'\''` inside them, as reckon writes them).
fn pasted_command(text: &str) -> Vec<String> {
    let start = text
        .find("`reckon ")
        .unwrap_or_else(|| panic!("no command in: {text}"))
        + 1;
    let end = start + text[start..].find('`').expect("closing backtick");
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut started = false;
    for c in text[start..end].chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                started = true;
            }
            ' ' if !quoted => {
                if started {
                    words.push(std::mem::take(&mut word));
                }
                started = false;
            }
            c => {
                word.push(c);
                started = true;
            }
        }
    }
    if started {
        words.push(word);
    }
    assert_eq!(words[0], "reckon");
    words.remove(0);
    words
}

/// Runs the hint's command in `cwd`, as pasted there.
fn paste(cwd: &Path, hint: &str) -> Run {
    let words = pasted_command(hint);
    let args: Vec<&str> = words.iter().map(String::as_str).collect();
    reckon(cwd, &args)
}

/// A folder holding the quickstart workspace as `my ws`, its 1TB storage split off into a
/// second integration `storage` so `--integration keeper` leaves Acme's 1TB line alone.
fn parent_with_workspace() -> tempfile::TempDir {
    let parent = tempfile::tempdir().expect("tempdir");
    let ws = copy_of("examples/quickstart");
    let dir = parent.path().join("my ws");
    std::fs::rename(ws.path(), &dir).expect("move");
    let keeper = dir.join("integrations/keeper.yaml");
    let text = std::fs::read_to_string(&keeper).expect("read");
    let storage = "  - vendor: 1TB\n    psa: KEEPER-1TB\n    rounding: up            # storage is billed per started unit\n";
    assert!(text.contains(storage));
    std::fs::write(&keeper, text.replace(storage, "")).expect("write");
    let split = format!(
        "vendor: keeper\nsource:\n  kind: csv\n  path: usage/keeper-{{period}}.csv\nbilling_model: daily-average\naccounts:\n  map:\n    - {{vendor: \"3862\", psa: \"29683365\"}}\nservices:\n{storage}"
    );
    std::fs::write(dir.join("integrations/storage.yaml"), split).expect("write");
    parent
}

#[test]
fn the_saved_plan_hint_repeats_the_directory_and_applies_that_plan() {
    let parent = parent_with_workspace();
    let cwd = parent.path();
    let plan = reckon(
        cwd,
        &[
            "-C", "my ws", "plan", "--period", "2026-10", "--out", "p.json",
        ],
    );
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(
        plan.stderr
            .contains("apply exactly it with `reckon -C 'my ws' apply p.json`"),
        "{}",
        plan.stderr
    );
    let applied = paste(cwd, &plan.stderr);
    assert_eq!(applied.code, 0, "{}{}", applied.stdout, applied.stderr);
    assert!(
        applied.stdout.contains("Apply complete: 4 applied"),
        "{}",
        applied.stdout
    );
}

#[test]
fn the_no_terminal_hint_repeats_period_and_integration_and_applies_that_month() {
    let parent = parent_with_workspace();
    let cwd = parent.path();
    let refused = reckon(
        cwd,
        &[
            "-C",
            "my ws",
            "apply",
            "--period",
            "2026-10",
            "--integration",
            "keeper",
        ],
    );
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains(
            "run `reckon -C 'my ws' apply --period 2026-10 --integration keeper --auto-approve`"
        ),
        "{}",
        refused.stderr
    );
    let applied = paste(cwd, &refused.stderr);
    assert_eq!(applied.code, 0, "{}{}", applied.stdout, applied.stderr);
    let journal = journal(&cwd.join("my ws"));
    let intents = records(&journal, "intent");
    assert_eq!(intents.len(), 3, "{intents:?}");
    assert!(
        intents
            .iter()
            .all(|i| i["period"] == "2026-10" && i["integration"] == "keeper"),
        "{intents:?}"
    );
}

#[test]
fn the_stale_plan_hint_replans_in_the_same_workspace_and_scope() {
    let parent = parent_with_workspace();
    let cwd = parent.path();
    let plan = reckon(
        cwd,
        &[
            "-C",
            "my ws",
            "plan",
            "--period",
            "2026-10",
            "--integration",
            "keeper",
            "--out",
            "p.json",
        ],
    );
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let config = cwd.join("my ws/reckon.yaml");
    let text = std::fs::read_to_string(&config).expect("read") + "# edited\n";
    std::fs::write(&config, text).expect("write");
    let stale = reckon(cwd, &["-C", "my ws", "apply", "p.json"]);
    assert_eq!(stale.code, 1);
    assert!(
        stale.stderr.contains(
            "`reckon -C 'my ws' plan --period 2026-10 --integration keeper --out p.json`"
        ),
        "{}",
        stale.stderr
    );
    let replanned = paste(cwd, &stale.stderr);
    assert_eq!(replanned.code, 0, "{}", replanned.stderr);
    let applied = paste(cwd, &replanned.stderr);
    assert_eq!(applied.code, 0, "{}{}", applied.stdout, applied.stderr);
}

#[test]
fn a_saved_plan_applied_from_elsewhere_points_back_at_its_workspace() {
    let parent = parent_with_workspace();
    let cwd = parent.path();
    let plan = reckon(
        cwd,
        &[
            "-C", "my ws", "plan", "--period", "2026-10", "--out", "p.json",
        ],
    );
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    // Applied against a copy of the workspace (another folder): the config hash differs, and
    // the replan hint names the workspace the plan was made in.
    let copy = copy_of("examples/quickstart");
    let config = copy.path().join("reckon.yaml");
    let text = std::fs::read_to_string(&config).expect("read") + "# another\n";
    std::fs::write(&config, text).expect("write");
    let other = copy.path().to_string_lossy().into_owned();
    let stale = reckon(cwd, &["-C", &other, "apply", "p.json"]);
    assert_eq!(stale.code, 1, "{}", stale.stderr);
    let made_in = std::fs::canonicalize(cwd.join("my ws")).expect("canonical");
    assert_eq!(
        pasted_command(&stale.stderr)[..2],
        ["-C".to_owned(), made_in.to_string_lossy().into_owned()],
        "{}",
        stale.stderr
    );
}
