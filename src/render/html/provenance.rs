//! The review page's provenance block: which period, PSA tenant, commit, time, person (or CI
//! run) and reckon version produced it — the header's answer to "where does this page come
//! from?". Every value is escaped (user names and run URLs come from the environment).

use std::fmt::Write as _;

use super::escape;
use crate::plan::Plan;

/// `<dl class="provenance">` with one `<dt>`/`<dd>` pair per fact, the period first.
pub(super) fn block(html: &mut String, plan: &Plan) {
    html.push_str("<dl class=\"provenance\" aria-label=\"Provenance\">");
    let _ = write!(html, "<div><dt>period</dt><dd>{}</dd></div>", plan.period);
    for (label, value) in plan.provenance.facts() {
        let _ = write!(
            html,
            "<div><dt>{label}</dt><dd>{}</dd></div>",
            escape(&value)
        );
    }
    html.push_str("</dl>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fact_is_shown_and_escaped() {
        let mut plan = crate::plan::tests::builder::Scenario::new().plan();
        plan.provenance.user = "<script>".into();
        let mut html = String::new();
        block(&mut html, &plan);
        assert!(html.contains("<dt>period</dt><dd>2026-10</dd>"), "{html}");
        assert!(html.contains("<dd>&lt;script&gt;@laptop</dd>"), "{html}");
        assert!(html.contains("<dt>reckon</dt><dd>0.1.0</dd>"), "{html}");
    }
}
