//! A plan's provenance in words, for every format that shows it: the text block `reckon show`
//! prints above the plan, the one line under the markdown plan's title (the HTML page has its
//! own block, [`super::html`]; the JSON plan has the `provenance` object).
//!
//! Values come from the environment and CI variables (a user or actor name, a run URL), so each
//! is escaped for its sink like any outside text.

use std::io::{self, Write};

use super::escape;
use super::{Paint, Style};
use crate::plan::Plan;

/// `Saved plan plan.json:` then one indented `label  value` line per fact, the period first.
pub fn text(out: &mut dyn Write, heading: &str, plan: &Plan, style: Style) -> io::Result<()> {
    writeln!(out, "{}", style.paint(Paint::Bold, &escape::text(heading)))?;
    writeln!(out, "  {:<7} {}", "period", plan.period)?;
    for (label, value) in plan.provenance.facts() {
        writeln!(out, "  {label:<7} {}", escape::text(&value))?;
    }
    writeln!(out)
}

/// `Made TIME by WHO · commit C · PSA TENANT · reckon V`, markdown-escaped, one line.
pub fn markdown(plan: &Plan) -> String {
    let p = &plan.provenance;
    format!(
        "Made {} by {} · commit {} · PSA {} · reckon {}",
        escape::markdown(&p.time),
        escape::markdown(&p.who()),
        escape::markdown(&p.commit()),
        escape::markdown(&p.tenant),
        escape::markdown(&p.reckon_version),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_block_lists_every_fact_and_neutralises_hostile_values() {
        let mut plan = crate::plan::tests::builder::Scenario::new().plan();
        plan.provenance.user = "ann\u{1b}[2J".into();
        let mut out = Vec::new();
        text(&mut out, "Saved plan p.json:", &plan, Style::default()).expect("write");
        let shown = String::from_utf8(out).expect("utf8");
        assert_eq!(
            shown,
            "Saved plan p.json:\n  period  2026-10\n  PSA     sandbox (sandbox/psa.yaml)\n  \
             commit  4b825dc642cb (uncommitted changes)\n  made    2026-11-02T09:00:00Z\n  \
             by      ann\\u{1b}[2J@laptop\n  reckon  0.1.0\n\n"
        );
    }

    #[test]
    fn the_markdown_line_pings_nobody() {
        let mut plan = crate::plan::tests::builder::Scenario::new().plan();
        plan.provenance.ci = Some(crate::state::CiRun {
            system: "github".into(),
            actor: Some("@octocat".into()),
            url: None,
        });
        assert!(!markdown(&plan).contains("@octocat"), "{}", markdown(&plan));
    }
}
