//! The HTML review pages in a real browser: headless Chromium opens the quickstart's plan and
//! usage reports with the page's `#selftest` hook, which sorts and filters and writes what it
//! saw into the DOM; `--dump-dom` hands that back. A screenshot is saved under
//! `target/browser/` for humans. Without Chromium installed the test says SKIPPED and passes
//! (CI installs it: `.ci/run`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{copy_of, reckon, repo};

const CHROMIUM: &str = "/usr/bin/chromium";

#[test]
fn plan_and_usage_pages_sort_and_filter_in_chromium() {
    if !Path::new(CHROMIUM).exists() {
        println!("SKIPPED: chromium not installed (apt-get install -y chromium)");
        return;
    }
    let ws = copy_of("examples/quickstart");
    let dir = ws.path();

    let json = reckon(dir, &["plan", "--period", "2026-10", "--format", "json"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let plan: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON plan");
    let changes = plan["changes"].as_array().expect("changes");
    let page = render(dir, "plan", "plan.html");
    let seen = selftest(&page, dir);
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
    screenshot(&page, dir, "quickstart-plan.png");
    without_javascript(&page, dir, changes.len());

    let usage = reckon(dir, &["usage", "--period", "2026-10", "--format", "json"]);
    assert_eq!(usage.code, 0, "{}", usage.stderr);
    let lines: serde_json::Value = serde_json::from_str(&usage.stdout).expect("usage JSON");
    let lines = lines.as_array().expect("usage rows");
    let page = render(dir, "usage", "usage.html");
    let seen = selftest(&page, dir);
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
    screenshot(&page, dir, "quickstart-usage.png");
}

/// What the page's `#selftest` hook reported.
#[derive(serde::Deserialize, Debug)]
struct Seen {
    rows: usize,
    errors: Vec<String>,
    before: Vec<String>,
    ascending: Vec<String>,
    descending: Vec<String>,
    search: String,
    visible: usize,
}

/// Without its script the page is complete: every row is there and the filter form, which
/// could do nothing, stays hidden. (Chromium's `--dump-dom` needs scripting itself, so the
/// test removes the page's script rather than switching JavaScript off.)
fn without_javascript(page: &Path, work: &Path, rows: usize) {
    let html = std::fs::read_to_string(page).expect("read page");
    let start = html.find("<script>").expect("the page has a script");
    let end = html.find("</script>").expect("end of script") + "</script>".len();
    let bare = work.join("no-script.html");
    std::fs::write(&bare, format!("{}{}", &html[..start], &html[end..])).expect("write page");
    let (dom, _) = chromium(work, &["--dump-dom", &format!("file://{}", bare.display())]);
    assert_eq!(dom.matches("<tr><td>").count(), rows, "{dom}");
    assert!(
        dom.contains("<form class=\"filters\" hidden=\"\">"),
        "{dom}"
    );
    assert!(!dom.contains("selftest-result"));
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
    let numbers = |values: &[String]| -> Vec<f64> {
        values
            .iter()
            .map(|v| v.parse().unwrap_or_else(|_| panic!("{column} value {v:?}")))
            .collect()
    };
    let ascending = numbers(&seen.ascending);
    assert!(
        ascending.windows(2).all(|w| w[0] <= w[1]),
        "{column} ascending: {ascending:?}"
    );
    assert_ne!(seen.before, seen.ascending, "sorting by {column} reorders");
    let mut reversed = seen.descending.clone();
    reversed.reverse();
    assert_eq!(
        numbers(&reversed),
        ascending,
        "a second click sorts descending"
    );
}

/// Opens `page#selftest`, returns the hook's report, and checks no script error was logged.
fn selftest(page: &Path, work: &Path) -> Seen {
    let (dom, log) = chromium(
        work,
        &[
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=5000",
            "--dump-dom",
            &format!("file://{}#selftest", page.display()),
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

/// Saves a screenshot of `page` with every chart open under `target/browser/`.
fn screenshot(page: &Path, work: &Path, name: &str) {
    let out = repo().join("target").join("browser");
    std::fs::create_dir_all(&out).expect("mkdir target/browser");
    let target = out.join(name);
    chromium(
        work,
        &[
            "--window-size=1400,1000",
            "--hide-scrollbars",
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
