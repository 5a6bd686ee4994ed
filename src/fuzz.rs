//! Fuzzing (issue 15): the YAML loader (workspace, integration, sandbox PSA and approvals files),
//! the CSV and Keeper report parsers, the usage engine and the planner (with every renderer) fed
//! mutated and generated input, asserting that nothing
//! panics and that data the row checks accept can always be measured.
//!
//! Runs in `cargo test` with proptest's default 256 cases per target; a longer run is
//! `PROPTEST_CASES=100000 cargo test --release --lib fuzz::`. Inputs start from the shipped
//! examples and are mutated with snippets known to hurt (decimal commas, quotes, `Decimal::MAX`,
//! deep nesting, anchors, cut lines), so cases stay close enough to valid to reach deep code.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use rust_decimal::Decimal;

use crate::observed::PsaSnapshot;
use crate::period::Period;
use crate::sources::{UsageData, checked, csv, keeper};
use crate::usage::{BillingModel, UsageRow, check_rows, summarize};

/// Snippets that broke, or could break, a parser or a sum.
const SNIPPETS: &[&str] = &[
    ",",
    "9,5",
    "\"",
    "\n",
    "\r\n",
    "\r",
    "-",
    ".",
    "1e3",
    "0",
    "79228162514264337593543950335",
    "9999999999999999999999999999",
    "0.0000000000000000000000000001",
    "-79228162514264337593543950335",
    "\u{0}",
    "\u{feff}",
    "[",
    "]",
    "{",
    "}",
    ": ",
    "- ",
    "&a ",
    "*a",
    "!!binary ",
    "\t",
    "#",
    "'",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
    "2026-02-30",
    "9999-12-31",
    "NaN",
    "1e400",
    "null",
    "true",
    "{period}",
    "../",
    "\u{202e}",
];

/// One edit of a text: where (any number, taken modulo the length), what and which snippet.
type Mutation = (usize, u8, usize);

fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    prop::collection::vec((any::<usize>(), 0u8..6, 0..SNIPPETS.len()), 0..6)
}

/// `text` with `edits` applied: insert, replace or delete around a point, duplicate or drop a
/// line, or cut the text short.
fn mutate(text: &str, edits: &[Mutation]) -> String {
    let mut text = text.to_owned();
    for &(at, kind, snippet) in edits {
        let at = boundary(&text, at);
        let end = boundary(&text, at.saturating_add(1 + at % 7));
        let snippet = SNIPPETS[snippet];
        match kind {
            0 => text.insert_str(at, snippet),
            1 => text.replace_range(at..end.max(at), snippet),
            2 => text.replace_range(at..end.max(at), ""),
            3 => {
                let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
                let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
                let line = text[line_start..line_end].to_owned();
                text.insert_str(line_end, &line);
            }
            4 => {
                let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
                let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
                text.replace_range(line_start..line_end, "");
            }
            _ => text.truncate(at),
        }
    }
    text
}

/// The char boundary at or before `at % (len + 1)`.
fn boundary(text: &str, at: usize) -> usize {
    let mut at = at % (text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn example(path: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The first `lines` lines of `text` (the fuzz needs variety, not volume).
fn head(text: &str, lines: usize) -> String {
    text.split_inclusive('\n').take(lines).collect()
}

fn october() -> Period {
    "2026-10".parse().expect("period")
}

fn runner() -> TestRunner {
    // `Config::default()` reads PROPTEST_CASES; failures are not persisted to files.
    TestRunner::new(Config {
        failure_persistence: None,
        ..Config::default()
    })
}

/// Measures rows the checks accepted: that must never overflow (`check_rows` bounds every sum).
fn measure_checked(rows: Vec<UsageRow>, origin: &str) {
    let data = UsageData {
        rows,
        origin: PathBuf::from(origin),
    };
    if let Ok(data) = checked(data, october()) {
        for model in MODELS {
            assert!(
                summarize(&data.rows, model, october()).is_ok(),
                "checked rows overflowed"
            );
        }
    }
}

const MODELS: [BillingModel; 4] = [
    BillingModel::DailyAverage,
    BillingModel::Peak,
    BillingModel::EndOfPeriod,
    BillingModel::Sum,
];

#[test]
fn csv_usage_files() {
    let seed = head(&example("examples/quickstart/usage/keeper-2026-10.csv"), 40);
    runner()
        .run(&mutations(), |edits| {
            let text = mutate(&seed, &edits);
            if let Ok(rows) = csv::parse(&text, Path::new("u.csv")) {
                measure_checked(rows, "u.csv");
            }
            Ok(())
        })
        .expect("no panic");
}

#[test]
fn keeper_reports_csv_and_json() {
    let csv_seed = head(
        &example("examples/keeper-autotask/reports/keeper-2026-10.csv"),
        40,
    );
    let json = example("examples/keeper-connectwise/reports/keeper-2026-10.json");
    let json_seed = format!("{}\n]\n", head(&json, 80).trim_end().trim_end_matches(','));
    runner()
        .run(&(mutations(), any::<bool>()), |(edits, as_json)| {
            let seed = if as_json { &json_seed } else { &csv_seed };
            let text = mutate(seed, &edits);
            let origin = Path::new("r");
            let _ = keeper::report::check_statement_month(&text, origin, october());
            if let Ok(rows) = keeper::report::parse(&text, origin) {
                measure_checked(rows, "r");
            }
            Ok(())
        })
        .expect("no panic");
}

/// An approvals file with a quantity to mutate.
const APPROVALS: &str = "approvals:\n  - address: \"keeper/Acme Dental/1TB → Acme Dental/KEEPER-1TB\"\n    \
                         period: \"2026-10\"\n    quantity: \"10\"\n    note: ann\n";

#[test]
fn yaml_workspaces_sandboxes_and_approvals() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("integrations")).expect("mkdir");
    std::fs::create_dir_all(root.join("sandbox")).expect("mkdir");
    let workspace = example("examples/quickstart/reckon.yaml");
    let integration = example("examples/keeper-autotask/integrations/keeper.yaml");
    let sandbox_file = example("examples/quickstart/sandbox/psa.yaml");
    let sandbox = crate::psa::sandbox::SandboxPsa::new(
        root.join("sandbox/psa.yaml"),
        PathBuf::from("sandbox/psa.yaml"),
        true,
    );
    let files = (mutations(), mutations(), mutations(), mutations());
    runner()
        .run(&files, |(a, b, c, d)| {
            let write = |file: &str, text: String| {
                std::fs::write(root.join(file), text).expect("write");
            };
            write("reckon.yaml", mutate(&workspace, &a));
            write("integrations/k.yaml", mutate(&integration, &b));
            write("sandbox/psa.yaml", mutate(&sandbox_file, &c));
            write("approvals.yaml", mutate(APPROVALS, &d));
            let _ = crate::config::load(root);
            let _ = crate::config::approvals::load(root);
            let _ = sandbox.load();
            Ok(())
        })
        .expect("no panic");
}

/// Decimals from ordinary counts to the extremes of the type.
fn decimal() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        (0i64..500).prop_map(Decimal::from),
        (any::<i64>(), 0u32..=28).prop_map(|(m, s)| Decimal::new(m, s)),
        (
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            any::<bool>(),
            0u32..=28
        )
            .prop_map(|(lo, mid, hi, negative, scale)| Decimal::from_parts(
                lo, mid, hi, negative, scale
            )),
        Just(Decimal::MAX),
        Just(Decimal::MIN),
        Just(Decimal::ZERO),
        Just(Decimal::from_str_exact("9999999999999999999999999999").expect("28 digits")),
    ]
}

const ACCOUNTS: [(&str, &str); 6] = [
    ("3862", "Acme Dental"),
    ("3901", "Brightside Logistics"),
    ("4120", "Cedar Law LLP"),
    ("4250", "Delta Dental Group"),
    ("4999", "Keeper Internal Test"),
    ("7777", "Nobody"),
];
const SKUS: [&str; 5] = [
    "Business Plus",
    "1TB",
    "KeeperChat",
    "Enterprise BreachWatch",
    "X",
];

/// Rows mostly as the checks accept them (in October, not negative), so that cases reach the
/// engine and the planner, with a few that are not.
fn rows() -> impl Strategy<Value = Vec<UsageRow>> {
    let day = prop_oneof![19 => 1u64..=31, 1 => 0u64..33];
    let quantity = prop_oneof![9 => decimal().prop_map(|d| d.abs()), 1 => decimal()];
    let row = (0..ACCOUNTS.len(), 0..SKUS.len(), day, quantity);
    prop::collection::vec(row, 0..16).prop_map(|rows| {
        (2u64..)
            .zip(rows)
            .map(|(line, (account, sku, day, quantity))| {
                let first = NaiveDate::from_ymd_opt(2026, 9, 30).expect("date");
                let (id, name) = ACCOUNTS[account];
                UsageRow {
                    date: first + chrono::Days::new(day),
                    account_id: id.into(),
                    account_name: name.into(),
                    sku: SKUS[sku].into(),
                    quantity,
                    line,
                }
            })
            .collect()
    })
}

#[test]
fn usage_engine() {
    runner()
        .run(&rows(), |rows| {
            let accepted = check_rows(&rows, october()).is_empty();
            for model in MODELS {
                let measured = summarize(&rows, model, october());
                prop_assert!(!accepted || measured.is_ok(), "accepted rows overflowed");
            }
            Ok(())
        })
        .expect("no panic");
}

/// Thresholds: none, tight or zero.
fn thresholds() -> impl Strategy<Value = crate::config::model::Thresholds> {
    let limit = prop::option::of(prop_oneof![Just(0u32), 1u32..200, Just(u32::MAX)]);
    (limit.clone(), limit.clone(), limit, any::<bool>()).prop_map(|(up, down, units, zero)| {
        crate::config::model::Thresholds {
            max_increase_percent: up,
            max_decrease_percent: down,
            max_change_units: units,
            allow_decrease_to_zero: zero,
        }
    })
}

#[test]
fn planner_and_renderers() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart");
    let loaded = crate::config::load(&root).expect("quickstart loads");
    let sandbox = crate::psa::sandbox::SandboxPsa::new(
        root.join("sandbox/psa.yaml"),
        PathBuf::from("sandbox/psa.yaml"),
        true,
    );
    let live: PsaSnapshot = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
        .block_on(crate::ops::observe::psa_snapshot(
            &sandbox,
            NaiveDate::from_ymd_opt(2026, 11, 1).expect("date"),
        ))
        .expect("sandbox reads");
    let quantities = prop::collection::vec(decimal(), 8);
    runner()
        .run(
            &(rows(), quantities, thresholds()),
            |(rows, quantities, limits)| {
                let Ok(data) = checked(
                    UsageData {
                        rows,
                        origin: PathBuf::from("u.csv"),
                    },
                    october(),
                ) else {
                    return Ok(());
                };
                let usage = summarize(&data.rows, BillingModel::DailyAverage, october());
                prop_assert!(usage.is_ok(), "accepted rows overflowed");
                let usage = std::collections::BTreeMap::from([(
                    "keeper".to_owned(),
                    usage.unwrap_or_default(),
                )]);
                let mut workspace = loaded.workspace.clone();
                workspace.policy.thresholds = limits;
                let mut psa = live.clone();
                let lines = psa.contracts.iter_mut().flat_map(|c| &mut c.lines);
                for (line, quantity) in lines.zip(&quantities) {
                    line.quantity = *quantity;
                }
                let plan = crate::plan::compute(&crate::plan::Inputs {
                    workspace: &workspace,
                    period: october(),
                    usage: &usage,
                    psa: &psa,
                    partial: false,
                    grants: &[],
                    interrupted: &[],
                    today: october().next_month_start(),
                    provenance: &crate::plan::tests::builder::provenance(),
                });
                prop_assert_eq!(plan.check(), Ok(()));
                render_all(&plan);
                Ok(())
            },
        )
        .expect("no panic");
}

/// Every plan renderer, into memory.
fn render_all(plan: &crate::plan::Plan) {
    use crate::render;
    let mut out = Vec::new();
    let style = render::Style { color: false };
    let _ = render::text::plan(&mut out, plan, style);
    let _ = render::json::plan(&mut out, plan);
    let _ = render::markdown::plan(&mut out, plan);
    let _ = render::github::plan(&mut out, plan);
    let _ = render::html::plan(&mut out, plan);
}
