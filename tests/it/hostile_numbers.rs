//! Hostile and broken numbers through the real binary (issue 15): quantities too large for a
//! `Decimal`, a PSA line holding one, durations that overflow the clock, decimal commas, cut
//! files and floods of bad rows. Each must end in a clear error naming the file and line (or a
//! plan that holds the change), never a panic.

use std::path::Path;

use crate::support::{Run, copy_of, reckon, set_csv_field};

const USAGE: &str = "usage/keeper-2026-10.csv";
const PSA: &str = "sandbox/psa.yaml";
/// `Decimal::MAX`: 29 digits, more than the 28 reckon accepts.
const MAX: &str = "79228162514264337593543950335";
/// The largest 28-digit quantity: accepted, but a few of them overflow any sum.
const BIG: &str = "9999999999999999999999999999";

fn plan(dir: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["plan", "--period", "2026-10"];
    args.extend_from_slice(extra);
    reckon(dir, &args)
}

/// Asserts the run ended without a panic (exit 101 and the panic text).
fn assert_no_panic(run: &Run, what: &str) {
    assert_ne!(run.code, 101, "{what}: panicked\n{}", run.stderr);
    for text in [&run.stdout, &run.stderr] {
        assert!(!text.contains("panicked"), "{what}:\n{text}");
    }
}

fn output(run: &Run) -> String {
    format!("{}{}", run.stdout, run.stderr)
}

fn edit(dir: &Path, file: &str, change: impl FnOnce(String) -> String) {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, change(text)).expect("write");
}

fn append(dir: &Path, file: &str, text: &str) {
    edit(dir, file, |old| old + text);
}

/// Replaces Acme Dental's Business Plus count of 10 on days 1–3 with `count`.
fn acme_business_plus(dir: &Path, count: &str) {
    edit(dir, USAGE, |mut text| {
        for day in 1..=3 {
            let date = format!("2026-10-0{day}");
            let row = [
                ("date", date.as_str()),
                ("account_id", "3862"),
                ("sku", "Business Plus"),
                ("quantity", "10"),
            ];
            text = set_csv_field(&text, &row, "quantity", count);
        }
        text
    });
}

fn set_policy(dir: &Path, line: &str) {
    edit(dir, "reckon.yaml", |text| {
        text.replace(
            "  create_missing_lines: false\n",
            &format!("  create_missing_lines: false\n  {line}\n"),
        )
    });
}

#[test]
fn a_quantity_of_decimal_max_twice_is_a_parse_error_at_its_line() {
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();
    append(
        dir,
        USAGE,
        &format!(
            "2026-10-02,4120,Cedar Law LLP,Business Plus,{MAX}\n\
             2026-10-03,4120,Cedar Law LLP,Business Plus,{MAX}\n"
        ),
    );
    let run = plan(dir, &[]);
    assert_no_panic(&run, "Decimal::MAX twice");
    assert_eq!(run.code, 1);
    let text = output(&run);
    assert!(
        text.contains(&format!("{USAGE}:265:1: quantity `{MAX}` has more digits")),
        "{text}"
    );
    assert!(text.contains(&format!("{USAGE}:266:1:")), "{text}");
}

#[test]
fn counts_that_add_up_past_decimal_max_are_an_error_at_the_line_that_overflows() {
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();
    let rows: String = (1..=9)
        .map(|day| format!("2026-10-{day:02},4120,Cedar Law LLP,Business Plus,{BIG}\n"))
        .collect();
    append(dir, USAGE, &rows);
    let run = plan(dir, &[]);
    assert_no_panic(&run, "sum overflow");
    assert_eq!(run.code, 1);
    let text = output(&run);
    // Rows 265.. hold BIG; the 8th of them (line 272) takes the file's sum past 7.9e28.
    assert!(
        text.contains(&format!(
            "{USAGE}:272:1: the counts up to this line add up to more than {MAX}"
        )),
        "{text}"
    );
}

#[test]
fn keeper_json_with_huge_licences_is_refused_with_lines() {
    let ws = copy_of("examples/keeper-connectwise");
    let dir = ws.path();
    let report = "reports/keeper-2026-10.json";
    let item = |day: u32, licenses: &str| {
        format!(
            "  {{\"date\": \"2026-10-{day:02}\", \"company\": \"Cedar Law LLP\", \"company_id\": 4120, \
             \"product\": \"Business Plus\", \"licenses\": {licenses}}}"
        )
    };
    let items = [
        item(2, &format!("\"{MAX}\"")),
        item(3, &format!("\"{MAX}\"")),
        item(4, MAX),
    ]
    .join(",\n");
    edit(dir, report, |text| {
        let end = text.rfind(']').expect("array end");
        format!("{},\n{items}\n]\n", text[..end].trim_end())
    });
    let run = reckon(dir, &["plan", "--period", "2026-10"]);
    assert_no_panic(&run, "keeper json");
    assert_eq!(run.code, 1);
    let text = output(&run);
    assert!(
        text.contains(&format!("licenses `{MAX}` has more digits")),
        "{text}"
    );
    assert!(
        text.contains("is not a count reckon can read exactly"),
        "{text}"
    );
    assert!(!text.contains("Decimal type"), "{text}");
}

#[test]
fn a_huge_increase_with_a_percentage_threshold_is_held_not_a_panic() {
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();
    set_policy(dir, "max_increase_percent: 20");
    acme_business_plus(dir, BIG);
    let run = plan(dir, &[]);
    assert_no_panic(&run, "percent");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("needs approval: increase of 96774193548387096774193548"),
        "{}",
        run.stdout
    );
    let html = plan(dir, &["--format", "html"]);
    assert_no_panic(&html, "html chart of a huge month");
    assert_eq!(html.code, 0, "{}", html.stderr);
    // The page's script draws the chart from the daily series written into the page.
    assert!(
        html.stdout.contains(&format!("\"{BIG}*3,")),
        "the chart's series is there"
    );
}

#[test]
fn html_charts_of_huge_counts_scale_without_overflow() {
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();
    acme_business_plus(dir, BIG);
    for args in [
        ["plan", "--period", "2026-10", "--format", "html"],
        ["usage", "--period", "2026-10", "--format", "html"],
    ] {
        let run = reckon(dir, &args);
        assert_no_panic(&run, args[0]);
        assert_eq!(run.code, 0, "{}: {}", args[0], run.stderr);
        assert!(
            run.stdout.contains(&format!("\"{BIG}*3,")),
            "{}: the chart's series",
            args[0]
        );
    }
}

#[test]
fn a_psa_line_holding_decimal_max_is_planned_without_a_panic() {
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();
    set_policy(dir, "max_decrease_percent: 20");
    // Acme's Business Plus line (10) and Brightside's (5), both KEEPER-BP.
    edit(dir, PSA, |text| {
        text.replacen("quantity: \"10\"", &format!("quantity: \"{MAX}\""), 1)
            .replacen("quantity: \"5\"", &format!("quantity: \"{MAX}\""), 1)
    });
    let run = plan(dir, &[]);
    assert_no_panic(&run, "psa max");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("exceeds max_decrease_percent 20"),
        "{}",
        run.stdout
    );
    let html = plan(dir, &["--format", "html"]);
    assert_no_panic(&html, "per-service totals");
    assert_eq!(html.code, 0, "{}", html.stderr);
    assert!(html.stdout.contains("too large to add"), "{}", html.stdout);
}

#[test]
fn durations_that_overflow_the_clock_are_refused() {
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();
    let lock = reckon(
        dir,
        &[
            "apply",
            "--period",
            "2026-10",
            "--lock-timeout",
            "5124095576030431h",
        ],
    );
    assert_no_panic(&lock, "--lock-timeout");
    assert_eq!(lock.code, 1, "{}", lock.stderr);
    assert!(
        lock.stderr.contains("the lock timeout must be at most 24h"),
        "{}",
        lock.stderr
    );
    let watch = reckon(dir, &["watch", "--interval", "213503982334601d"]);
    assert_no_panic(&watch, "--interval");
    assert_eq!(watch.code, 1, "{}", watch.stderr);
    assert!(
        watch.stderr.contains("the interval must be at most 365d"),
        "{}",
        watch.stderr
    );
}

#[test]
fn a_decimal_comma_is_an_error_not_a_smaller_number() {
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();
    let mut columns = 0;
    let mut line = 0;
    edit(dir, USAGE, |text| {
        columns = text.lines().next().expect("header").split(',').count();
        let row = [
            ("date", "2026-10-01"),
            ("account_id", "3862"),
            ("sku", "1TB"),
        ];
        let edited = set_csv_field(&text, &row, "quantity", "9,5");
        line = 1 + edited
            .lines()
            .position(|l| l.starts_with("2026-10-01,3862,Acme Dental,1TB,9,5,"))
            .expect("the edited row");
        edited
    });
    let run = plan(dir, &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let text = output(&run);
    assert!(
        text.contains(&format!(
            "{USAGE}:{line}:1: the row has {} fields but the header has {columns}: a decimal comma",
            columns + 1
        )),
        "{text}"
    );
}

#[test]
fn a_file_cut_inside_its_last_row_is_an_error() {
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();
    let mut last = 0;
    edit(dir, USAGE, |text| {
        // The last row cut inside its last field (`3.75` → `3`), newline lost with it: every
        // field still reads, so only the missing newline tells.
        last = text.lines().count();
        let kept = text
            .trim_end()
            .strip_suffix(".75")
            .expect("last row's unit cost");
        kept.to_owned()
    });
    let run = plan(dir, &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let text = output(&run);
    assert!(
        text.contains(&format!(
            "{USAGE}:{last}:1: the file ends inside this row (no newline after it)"
        )),
        "{text}"
    );
}

#[test]
fn a_flood_of_bad_rows_prints_fifty_and_a_count() {
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();
    let bad: String = (0..20_000)
        .map(|_| "2026-10-01,3862,Acme Dental,Business Plus,lots\n")
        .collect();
    append(dir, USAGE, &bad);
    let run = plan(dir, &[]);
    assert_no_panic(&run, "flood");
    assert_eq!(run.code, 1);
    let text = output(&run);
    assert_eq!(text.matches("is not a number").count(), 50, "{text}");
    assert!(
        text.contains("19950 more problem(s) in this file are not shown"),
        "{text}"
    );
    assert!(text.len() < 20_000, "{} bytes", text.len());
}
