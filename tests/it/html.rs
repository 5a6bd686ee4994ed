//! The HTML review pages of examples/quickstart, pinned: the document body (the inline CSS and
//! script are checked in the browser test, not here).

use crate::support::{copy_of, reckon};

/// The page between `<body>` and its script.
fn body(html: &str) -> &str {
    let start = html.find("<body>").expect("body");
    let end = html.find("<script>").expect("script");
    &html[start..end]
}

#[test]
fn quickstart_plan_and_usage_pages() {
    let ws = copy_of("examples/quickstart");
    let plan = reckon(
        ws.path(),
        &["plan", "--period", "2026-10", "--format", "html"],
    );
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(plan.stdout.starts_with("<!doctype html>"));
    insta::assert_snapshot!("quickstart_plan_html", body(&plan.stdout));

    let usage = reckon(
        ws.path(),
        &["usage", "--period", "2026-10", "--format", "html"],
    );
    assert_eq!(usage.code, 0, "{}", usage.stderr);
    insta::assert_snapshot!("quickstart_usage_html", body(&usage.stdout));
}
