//! The HTML review pages in a real browser: headless Chromium opens the pages with their
//! `#selftest` hook, which sorts, filters and opens a chart, times each step with
//! `performance.now()` and writes what it saw into the DOM; `--dump-dom` hands that back.
//!
//! Checked here: the quickstart's plan and usage pages sort and filter; nothing is wider than
//! the window at 1280 px, nor at the width of A4 and Letter paper (print shares that layout);
//! printing to PDF gives A4 and Letter portrait pages; a chart has its first and last date and
//! its lowest and highest count as labels and every line inside its frame; without JavaScript
//! the summary, approvals, findings and every changed line are there; every money figure the
//! page computes is the JSON plan's, to the cent. On the 5,000-account synthetic workspace
//! (`examples/synth.rs`, every line priced) the file stays under 2 MB and the page meets its
//! timing targets with headroom for a busy 2-core CI machine (the figures are printed).
//!
//! The screenshots in `docs/` are written by this test. Without Chromium installed the test
//! says SKIPPED and passes (CI installs it: `.ci/run`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{copy_of, reckon, repo};

#[path = "../../examples/synth.rs"]
#[allow(dead_code, unreachable_pub)]
mod synth;

const CHROMIUM: &str = "/usr/bin/chromium";
/// The laptop width the page must fit without horizontal scrolling.
const LAPTOP: u32 = 1280;
/// The printable width of A4 portrait at Chromium's default margins, in CSS pixels (210 mm
/// less 2 × 10 mm at 96 px per inch ≈ 718); Letter's (8.5 in less margins) is wider.
const PAPER: u32 = 718;

fn chromium_missing() -> bool {
    if Path::new(CHROMIUM).exists() {
        return false;
    }
    println!("SKIPPED: chromium not installed (apt-get install -y chromium)");
    true
}

#[test]
fn plan_and_usage_pages_sort_filter_chart_and_print_in_chromium() {
    if chromium_missing() {
        return;
    }
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();

    let changes = &plan_changes(dir);
    let page = render(dir, "plan", "plan.html");
    let seen = selftest(&page, dir, LAPTOP);
    assert_eq!(seen.rows, changes.len(), "one row per planned line");
    // The hook sorts by "New"; the quickstart's plan order is not already sorted by it.
    assert_sorted(&seen, "New");
    let acme = changes
        .iter()
        .filter(|c| c["vendor_account_name"] == "Acme Dental")
        .count();
    assert_eq!(seen.search, "acme dental");
    assert!(
        acme > 0 && acme < changes.len(),
        "the filter must hide something"
    );
    assert_eq!(seen.visible, acme, "the search hides the other rows");
    assert_chart(&seen, "2026-10-01", "2026-10-31");
    assert_fits(&seen, LAPTOP);
    assert_fits(&selftest(&page, dir, PAPER), PAPER);
    print_to_pdf(&page, dir);
    screenshot(&page, dir, "quickstart-plan.png", 1000);
    without_javascript(&page, dir, changes);

    let usage = reckon(dir, &["usage", "--period", "2026-10", "--format", "json"]);
    assert_eq!(usage.code, 0, "{}", usage.stderr);
    let lines: serde_json::Value = serde_json::from_str(&usage.stdout).expect("usage JSON");
    let lines = lines.as_array().expect("usage rows");
    let page = render(dir, "usage", "usage.html");
    let seen = selftest(&page, dir, LAPTOP);
    assert_eq!(seen.rows, lines.len(), "one row per account and service");
    assert_sorted(&seen, "Usage");
    let first = lines[0]["account_name"]
        .as_str()
        .expect("name")
        .to_lowercase();
    let matching = lines
        .iter()
        .filter(|l| {
            let text = format!("{} {}", l["account"], l["account_name"]).to_lowercase();
            text.contains(&first)
        })
        .count();
    assert_eq!(seen.visible, matching);
    assert!(seen.visible < lines.len(), "the filter must hide something");
    assert_fits(&seen, LAPTOP);
}

/// The money columns sort as numbers in a real browser, a margin that is not known (Delta
/// Dental's usage without a unit cost) below every amount, a negative one included, and the
/// page still fits the window and the paper.
#[test]
fn money_columns_sort_with_unknown_lowest_in_chromium() {
    if chromium_missing() {
        return;
    }
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();
    let usage = dir.join("usage/keeper-2026-10.csv");
    let csv = std::fs::read_to_string(&usage).expect("usage");
    let csv = crate::support::set_csv_field(&csv, &[("account_id", "4250")], "unit_cost", "");
    // Acme's storage at $2.00 costs more than its $15.00 line: a negative margin, which an
    // unknown (not 0) must still sort below.
    let csv = crate::support::set_csv_field(
        &csv,
        &[("account_id", "3862"), ("sku", "1TB")],
        "unit_cost",
        "2.00",
    );
    std::fs::write(&usage, csv).expect("usage");
    let page = render(dir, "plan", "plan.html");
    let changes = plan_changes(dir);
    assert_money_as_in_json(&selftest(&page, dir, LAPTOP), &changes);
    for column in ["Margin", "Vendor cost", "Revenue"] {
        let seen = selftest_at(&page, dir, LAPTOP, &format!("selftest:{column}"));
        assert_sorted(&seen, column);
        assert_fits(&seen, LAPTOP);
        if column != "Revenue" {
            assert_eq!(
                seen.ascending[0], "unknown",
                "{column}: {:?}",
                seen.ascending
            );
        }
        if column == "Margin" {
            assert_eq!(seen.ascending[1], "-3.71", "{:?}", seen.ascending);
        }
    }
    let seen = selftest_at(&page, dir, PAPER, "selftest:Margin");
    assert_fits(&seen, PAPER);
}

/// The page computes each line's revenue from the unit price and the quantities (exact
/// integers, rounded half away from zero: `amounts.rs`); with quantities to the hundredth
/// that needs rounding, ties included: Cedar Law's 7.23 × $1.50 is 10.845, shown 10.85 (a
/// float, or rounding half to even, gives 10.84); Delta Dental's 19.35 × $1234567890123.9 is
/// 23888888673897.465, beyond the integers a script number holds exactly (the script's
/// BigInt path), shown …97.47. Every figure must be reckon's own.
#[test]
fn the_pages_money_is_reckons_to_the_cent_in_chromium() {
    if chromium_missing() {
        return;
    }
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();
    let edit = |file: &str, from: &str, to: &str| {
        let path = dir.join(file);
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains(from), "{file} has {from:?}");
        std::fs::write(&path, text.replacen(from, to, 1)).expect("write");
    };
    edit(
        "reckon.yaml",
        "integer_quantities: true",
        "integer_quantities: false",
    );
    edit(
        "sandbox/psa.yaml",
        "id: C-1003-1\n        service: KEEPER-BP\n        quantity: \"0\"\n        price: \"4.75\"",
        "id: C-1003-1\n        service: KEEPER-BP\n        quantity: \"0\"\n        price: \"1.50\"",
    );
    edit(
        "sandbox/psa.yaml",
        "id: C-1004-1\n        service: KEEPER-BP\n        quantity: \"20\"\n        price: \"5.00\"",
        "id: C-1004-1\n        service: KEEPER-BP\n        quantity: \"20\"\n        price: \"1234567890123.9\"",
    );
    let changes = plan_changes(dir);
    let cedar = changes
        .iter()
        .find(|c| c["vendor_account_name"] == "Cedar Law LLP")
        .expect("Cedar Law's line");
    assert_eq!(
        cedar["revenue_after"], "10.845",
        "the tie this test is about"
    );
    let page = render(dir, "plan", "plan.html");
    let seen = selftest_at(&page, dir, LAPTOP, "selftest:Revenue");
    assert_eq!(seen.first_page.len(), changes.len());
    assert_money_as_in_json(&seen, &changes);
    let cedar_row = seen
        .first_page
        .iter()
        .find(|row| row.iter().any(|(text, _)| text == "Cedar Law LLP"))
        .expect("Cedar Law's row");
    assert!(
        cedar_row.contains(&("10.85".to_owned(), "from 0.00".to_owned())),
        "{cedar_row:?}"
    );
    let delta_row = seen
        .first_page
        .iter()
        .find(|row| row.iter().any(|(text, _)| text == "Delta Dental Group"))
        .expect("Delta Dental's row");
    let big = (
        "23888888673897.47".to_owned(),
        "from 24691357802478.00".to_owned(),
    );
    assert!(delta_row.contains(&big), "{delta_row:?}");
    assert_sorted(&seen, "Revenue");
}

/// A vendor account name that is markup, including the end of the data block's `<script>`,
/// stays text: the page renders, its script runs without error, and no element is injected.
#[test]
fn a_hostile_vendor_name_stays_text_in_chromium() {
    if chromium_missing() {
        return;
    }
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();
    let usage = dir.join("usage/keeper-2026-10.csv");
    let csv = std::fs::read_to_string(&usage).expect("usage");
    let hostile = "Acme </script><b id=injected>Dental</b><script>document.title=1</script>";
    std::fs::write(
        &usage,
        csv.replace(",Acme Dental,", &format!(",{hostile},")),
    )
    .expect("usage");
    let page = render(dir, "plan", "plan.html");
    let seen = selftest(&page, dir, LAPTOP);
    assert!(seen.errors.is_empty(), "{:?}", seen.errors);
    assert_eq!(seen.rows, 5);
    assert_eq!(
        seen.visible, 2,
        "the search for the hostile name finds its two lines"
    );
    let (dom, _) = chromium(dir, &["--dump-dom", &format!("file://{}", page.display())]);
    assert!(
        !dom.contains("<b id=\"injected\""),
        "markup was injected: {dom}"
    );
    assert!(
        dom.contains("Acme &lt;/script&gt;&lt;b id=injected&gt;Dental"),
        "{dom}"
    );
    assert!(dom.contains("<title>reckon plan for 2026-10</title>"));
}

/// Issue 23's targets are a first useful render under 1 s, sort and filter under 150 ms and
/// a file under 2 MB, here on the worst case: every line priced, so the page has its money
/// columns. A shared 2-core CI machine is slower and noisier than a laptop, so the timing
/// limits asserted here are several times the targets; the measured figures (median and range
/// of three runs, sorting by Margin) are printed for the record.
#[test]
fn the_plan_page_of_5000_accounts_is_small_and_fast_in_chromium() {
    if chromium_missing() {
        return;
    }
    let ws = tempfile::tempdir().expect("temp dir");
    let dir = ws.path();
    synth::write_workspace(dir).expect("synthetic workspace");
    let page = render(dir, "plan", "plan.html");
    let bytes = std::fs::metadata(&page).expect("page").len();
    println!("5,000 priced accounts: plan.html is {bytes} bytes");
    assert!(bytes < 2_000_000, "{bytes} bytes");
    let changes = plan_changes(dir);

    let runs: Vec<Seen> = (0..3)
        .map(|_| selftest_at(&page, dir, LAPTOP, "selftest:Margin"))
        .collect();
    for seen in &runs {
        assert_eq!(seen.rows, 20_000);
        assert!(seen.errors.is_empty(), "{:?}", seen.errors);
        assert_eq!(seen.visible, 4, "Customer 0000's four lines");
        assert_fits(seen, LAPTOP);
    }
    let seen = &runs[0];
    assert_sorted(seen, "Margin");
    let unknown = changes.iter().filter(|c| c["margin"].is_null()).count();
    assert!(unknown > 0, "the workspace has lines without a vendor cost");
    assert!(
        seen.ascending[..unknown].iter().all(|m| m == "unknown")
            && seen.ascending[unknown] != "unknown",
        "the {unknown} unknown margins sort lowest"
    );
    assert_money_as_in_json(seen, &changes);
    assert_chart(seen, "2026-10-01", "2026-10-31");
    assert_fits(&selftest_at(&page, dir, PAPER, "selftest:Margin"), PAPER);
    let figure = |name: &str, of: fn(&Timing) -> f64, limit: f64| {
        let mut values: Vec<f64> = runs.iter().map(|s| of(&s.timing)).collect();
        values.sort_by(f64::total_cmp);
        println!(
            "5,000 priced accounts: {name} median {:.0} ms (range {:.0}–{:.0} ms, limit {limit:.0} ms)",
            values[1], values[0], values[2]
        );
        assert!(values[1] < limit, "{name}: {values:?} ms");
    };
    figure("HTML parsed", |t| t.loaded, 3000.0);
    figure("first render", |t| t.first_render, 3000.0);
    figure("sort by Margin", |t| t.sort, 750.0);
    figure("filter", |t| t.filter, 750.0);
    figure("open a chart", |t| t.chart, 750.0);
    screenshot(&page, dir, "msp-plan.png", 1000);
}

/// The planned lines of `reckon plan --format json` in `dir`.
fn plan_changes(dir: &Path) -> Vec<serde_json::Value> {
    let json = reckon(dir, &["plan", "--period", "2026-10", "--format", "json"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let plan: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON plan");
    plan["changes"].as_array().expect("changes").clone()
}

/// The page's money cells on its first page (lines in plan order) are the JSON plan's exact
/// figures rounded half away from zero to the cent, digit for digit: revenue after with
/// "from" revenue before under it when they differ, vendor cost and margin, `unknown` for
/// null. The page computes revenue itself (`amounts.rs`), so this holds it to reckon's.
fn assert_money_as_in_json(seen: &Seen, changes: &[serde_json::Value]) {
    use rust_decimal::{Decimal, RoundingStrategy};
    let cents = |figure: &serde_json::Value| -> String {
        let Some(text) = figure.as_str() else {
            return "unknown".to_owned();
        };
        let exact: Decimal = text.parse().expect("an exact decimal");
        let rounded = exact.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        let rounded = if rounded.is_zero() {
            Decimal::ZERO
        } else {
            rounded
        };
        format!("{rounded:.2}")
    };
    let at = |label: &str| {
        seen.heads
            .iter()
            .position(|h| h == label)
            .unwrap_or_else(|| panic!("no {label} column in {:?}", seen.heads))
    };
    let (revenue, cost, margin) = (at("Revenue"), at("Vendor cost"), at("Margin"));
    assert!(!seen.first_page.is_empty());
    for (shown, change) in seen.first_page.iter().zip(changes) {
        let (after, before) = (
            cents(&change["revenue_after"]),
            cents(&change["revenue_before"]),
        );
        let under = if after == before {
            String::new()
        } else {
            format!("from {before}")
        };
        let line = &change["address"];
        assert_eq!(shown[revenue], (after, under), "revenue of {line}");
        assert_eq!(
            shown[cost].0,
            cents(&change["vendor_cost"]),
            "vendor cost of {line}"
        );
        assert_eq!(
            shown[margin].0,
            cents(&change["margin"]),
            "margin of {line}"
        );
    }
}

/// What the page's `#selftest` hook reported.
#[derive(serde::Deserialize, Debug)]
struct Seen {
    rows: usize,
    errors: Vec<String>,
    before: Vec<String>,
    ascending: Vec<String>,
    descending: Vec<String>,
    /// The sorted column's cells on the first page as rendered in the DOM.
    page: Vec<String>,
    /// The same after "next" (the first page again when there is only one).
    #[serde(rename = "nextPage")]
    next_page: Vec<String>,
    search: String,
    visible: usize,
    /// Every cell of the first page before the sort, as (main text, the line under it).
    #[serde(rename = "firstPage")]
    first_page: Vec<Vec<(String, String)>>,
    /// The column labels.
    heads: Vec<String>,
    width: Width,
    #[serde(rename = "widthWithChart")]
    width_with_chart: Width,
    chart: Chart,
    timing: Timing,
}

#[derive(serde::Deserialize, Debug)]
struct Width {
    scroll: u32,
    client: u32,
}

#[derive(serde::Deserialize, Debug)]
struct Chart {
    #[serde(rename = "viewBox")]
    view_box: String,
    /// x, y, width, height of the plot's frame.
    frame: [f64; 4],
    paths: Vec<String>,
    labels: Vec<String>,
}

/// Milliseconds from navigation start (`loaded`, `firstRender`) or for one step.
#[derive(serde::Deserialize, Debug)]
struct Timing {
    loaded: f64,
    #[serde(rename = "firstRender")]
    first_render: f64,
    sort: f64,
    filter: f64,
    chart: f64,
}

fn assert_fits(seen: &Seen, window: u32) {
    for width in [&seen.width, &seen.width_with_chart] {
        assert!(
            width.scroll <= width.client,
            "horizontal overflow at {window} px: {width:?}"
        );
    }
}

/// The first line's chart: labelled with the period's first and last date and its lowest and
/// highest value, every point of every line strictly inside the frame.
fn assert_chart(seen: &Seen, first: &str, last: &str) {
    let chart = &seen.chart;
    assert_eq!(chart.paths.len(), 3, "daily, average, billed: {chart:?}");
    let labels = |class: &str| -> Vec<&str> {
        chart
            .labels
            .iter()
            .filter_map(|l| l.strip_prefix(class)?.strip_prefix(' '))
            .collect()
    };
    assert_eq!(labels("first"), [first], "{chart:?}");
    assert_eq!(labels("last"), [last], "{chart:?}");
    let (min, max) = (labels("min"), labels("max"));
    assert!(min.len() == 1 && max.len() == 1, "{chart:?}");
    let low: f64 = min[0].parse().expect("min label is a number");
    let high: f64 = max[0].parse().expect("max label is a number");
    assert!(low <= high, "{chart:?}");
    let [x, y, width, height] = chart.frame;
    let view: Vec<f64> = chart
        .view_box
        .split(' ')
        .map(|v| v.parse().expect("viewBox"))
        .collect();
    assert!(x > 0.0 && y > 0.0 && x + width < view[2] && y + height < view[3]);
    for path in &chart.paths {
        let (mut at_x, mut at_y) = (f64::NAN, f64::NAN);
        for step in path_steps(path) {
            match step {
                ('M', [px, py]) => (at_x, at_y) = (px, py),
                ('H', [px, _]) => at_x = px,
                ('V', [_, py]) => at_y = py,
                other => panic!("unexpected path step {other:?} in {path}"),
            }
            assert!(
                (x..=x + width).contains(&at_x) && at_y > y && at_y < y + height,
                "({at_x}, {at_y}) outside the frame {:?}: {path}",
                chart.frame
            );
        }
    }
}

/// `M64,16H300.5V114H628` as (command, [x, y]) steps (H carries x, V carries y).
fn path_steps(path: &str) -> Vec<(char, [f64; 2])> {
    let mut steps = Vec::new();
    let mut rest = path;
    while let Some(command) = rest.chars().next() {
        let end = rest[1..]
            .find(|c: char| c.is_ascii_alphabetic())
            .map_or(rest.len(), |at| at + 1);
        let numbers: Vec<f64> = rest[1..end]
            .split(',')
            .map(|n| n.parse().unwrap_or_else(|_| panic!("number in {path}")))
            .collect();
        let point = match (command, numbers.as_slice()) {
            ('M', [x, y]) => [*x, *y],
            ('H', [x]) => [*x, f64::NAN],
            ('V', [y]) => [f64::NAN, *y],
            _ => panic!("path {path}"),
        };
        steps.push((command, point));
        rest = &rest[end..];
    }
    steps
}

/// Without JavaScript the summary, the approvals, the findings and every changed line are
/// there. Chromium's `--dump-dom` needs scripting itself, so the test does what a browser
/// without scripting does with the page: ignores its scripts and shows `<noscript>`'s content.
fn without_javascript(page: &Path, work: &Path, changes: &[serde_json::Value]) {
    let html = std::fs::read_to_string(page).expect("read page");
    let mut bare = html
        .replace("<noscript>", "<div>")
        .replace("</noscript>", "</div>");
    while let Some(start) = bare.find("<script") {
        let end = bare[start..].find("</script>").expect("end of script") + start;
        bare.replace_range(start..end + "</script>".len(), "");
    }
    let path = work.join("no-script.html");
    std::fs::write(&path, bare).expect("write page");
    let (dom, _) = chromium(work, &["--dump-dom", &format!("file://{}", path.display())]);
    for heading in ["Summary", "Findings (4)", "Planned lines"] {
        assert!(dom.contains(heading), "{heading}: {dom}");
    }
    assert!(
        dom.contains("<form class=\"filters\" hidden=\"\">"),
        "{dom}"
    );
    let noscript = &dom[dom.find("JavaScript is off").expect("the no-script view")..];
    for change in changes.iter().filter(|c| c["action"] != "no-op") {
        let cell = format!(
            "{} → {}",
            change["current"].as_str().unwrap_or("—"),
            change["quantity"].as_str().expect("quantity")
        );
        assert!(noscript.contains(&cell), "{cell} missing: {noscript}");
    }
    assert!(!dom.contains("selftest-result"));
}

/// Prints `page` to PDF on A4 and on Letter (portrait): each page of the PDF has that size.
fn print_to_pdf(page: &Path, work: &Path) {
    let html = std::fs::read_to_string(page).expect("read page");
    for (paper, size, width, height) in [
        ("A4", "A4 portrait", 595.0, 842.0),
        ("Letter", "letter portrait", 612.0, 792.0),
    ] {
        let sized = work.join(format!("print-{paper}.html"));
        let style = format!("<style>@page {{ size: {size}; }}</style></head>");
        std::fs::write(&sized, html.replacen("</head>", &style, 1)).expect("write page");
        let pdf = work.join(format!("plan-{paper}.pdf"));
        chromium(
            work,
            &[
                "--no-pdf-header-footer",
                &format!("--print-to-pdf={}", pdf.display()),
                &format!("file://{}", sized.display()),
            ],
        );
        let bytes = std::fs::read(&pdf).expect("PDF written");
        let boxes = media_boxes(&bytes);
        assert!(!boxes.is_empty(), "no pages in the {paper} PDF");
        for [w, h] in boxes {
            assert!(
                (w - width).abs() < 2.0 && (h - height).abs() < 2.0,
                "{paper}: page {w} × {h} pt"
            );
        }
    }
}

/// The width and height of every `/MediaBox [0 0 W H]` in a PDF.
fn media_boxes(pdf: &[u8]) -> Vec<[f64; 2]> {
    let text = String::from_utf8_lossy(pdf);
    text.split("/MediaBox [")
        .skip(1)
        .map(|rest| {
            let numbers: Vec<f64> = rest[..rest.find(']').expect("]")]
                .split_whitespace()
                .map(|n| n.parse().expect("MediaBox number"))
                .collect();
            [numbers[2] - numbers[0], numbers[3] - numbers[1]]
        })
        .collect()
}

/// `reckon COMMAND --format html` into `dir/file`.
fn render(dir: &Path, command: &str, file: &str) -> PathBuf {
    let run = reckon(dir, &[command, "--period", "2026-10", "--format", "html"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let path = dir.join(file);
    std::fs::write(&path, &run.stdout).expect("write page");
    path
}

fn assert_sorted(seen: &Seen, column: &str) {
    assert!(seen.errors.is_empty(), "script errors: {:?}", seen.errors);
    // "unknown" (a money figure not known) sorts below every amount.
    let numbers = |values: &[String]| -> Vec<f64> {
        values
            .iter()
            .map(|v| match v.as_str() {
                "unknown" => f64::NEG_INFINITY,
                v => v.parse().unwrap_or_else(|_| panic!("{column} value {v:?}")),
            })
            .collect()
    };
    let ascending = numbers(&seen.ascending);
    assert!(
        ascending.windows(2).all(|w| w[0] <= w[1]),
        "{column} ascending: {ascending:?}"
    );
    assert_ne!(seen.before, seen.ascending, "sorting by {column} reorders");
    assert_eq!(
        seen.page,
        seen.ascending[..seen.page.len()],
        "the first page shows the first rows"
    );
    assert!(!seen.page.is_empty());
    let size = seen.page.len();
    if seen.ascending.len() > size {
        let end = seen.ascending.len().min(2 * size);
        assert_eq!(seen.next_page, seen.ascending[size..end], "the second page");
    } else {
        assert_eq!(seen.next_page, seen.page, "one page only");
    }
    let mut reversed = seen.descending.clone();
    reversed.reverse();
    assert_eq!(
        numbers(&reversed),
        ascending,
        "a second click sorts descending"
    );
}

/// Opens `page#selftest` in a window `width` px wide, returns the hook's report, and checks no
/// script error was logged. No virtual time: the hook's timings are wall-clock.
fn selftest(page: &Path, work: &Path, width: u32) -> Seen {
    selftest_at(page, work, width, "selftest")
}

/// [`selftest`] with the hook's fragment, e.g. `selftest:Margin` to sort by that column.
fn selftest_at(page: &Path, work: &Path, width: u32, fragment: &str) -> Seen {
    let (dom, log) = chromium(
        work,
        &[
            "--enable-logging=stderr",
            "--v=0",
            &format!("--window-size={width},900"),
            "--dump-dom",
            &format!("file://{}#{fragment}", page.display()),
        ],
    );
    assert!(!log.contains("Uncaught"), "script error logged:\n{log}");
    let start = dom
        .find("<pre id=\"selftest-result\">")
        .unwrap_or_else(|| panic!("no selftest result in the DOM (did the script run?)\n{log}"));
    let json = &dom[start + "<pre id=\"selftest-result\">".len()..];
    let json = &json[..json.find("</pre>").expect("end of result")];
    let json = json
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"))
}

/// Saves a screenshot of `page` (1280 px wide, `height` tall, the first page's charts open)
/// as `docs/NAME`, the picture the README shows.
fn screenshot(page: &Path, work: &Path, name: &str, height: u32) {
    let out = repo().join("docs");
    std::fs::create_dir_all(&out).expect("mkdir docs");
    let target = out.join(name);
    let _ = std::fs::remove_file(&target);
    chromium(
        work,
        &[
            &format!("--window-size={LAPTOP},{height}"),
            "--hide-scrollbars",
            // One raster thread, whole tiles: with Chromium's defaults the antialiasing of a
            // rounded corner (the first summary card's) came out one level apart on about half
            // the runs (20 bytes of decoded pixels), so the picture changed on every other run.
            "--num-raster-threads=1",
            "--disable-partial-raster",
            &format!("--screenshot={}", target.display()),
            &format!("file://{}#charts", page.display()),
        ],
    );
    assert!(target.exists(), "no screenshot at {}", target.display());
    println!("screenshot: {}", target.display());
}

/// Runs headless Chromium with a throwaway profile; returns (stdout, stderr). A generous
/// deadline only guards against a hung browser; the page itself needs well under a second.
fn chromium(work: &Path, args: &[&str]) -> (String, String) {
    let profile = tempfile::tempdir().expect("profile dir");
    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .current_dir(work)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chromium");
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    let read = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let (out, err) = (read(Box::new(stdout)), read(Box::new(stderr)));
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(status) = child.try_wait().expect("wait for chromium") {
            let (out, err) = (out.join().expect("stdout"), err.join().expect("stderr"));
            assert!(status.success(), "chromium failed: {status}\n{err}");
            return (out, err);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
