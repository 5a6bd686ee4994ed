//! The plan as a review page: the summary (counts, net change in billed units per service), a
//! sortable and filterable table of every planned line with its daily-usage chart, and the
//! findings — unmapped accounts first, each with the YAML that would map it.
//!
//! Quantities here come from vendors and the PSA: totals are checked (a sum too large for a
//! `Decimal` is shown as such), never a panic.
#![deny(clippy::arithmetic_side_effects)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::{self, Write};

use rust_decimal::Decimal;

use super::chart::Chart;
use super::{Column, escape, filters, page, table_head};
use crate::plan::{ActionKind, Approval, Change, Finding, FindingKind, Plan};
use crate::render::text::interrupted_note;
use crate::usage::display_usage;

const COLUMNS: [Column; 15] = [
    Column::text("Integration"),
    Column::text("Account"),
    Column::text("Service"),
    Column::number("Current"),
    Column::number("New"),
    Column::number("Usage"),
    Column::text("Billing model"),
    Column::text("Rounding"),
    Column::text("Effective"),
    Column::text("Action"),
    Column::fixed("Approval"),
    Column::fixed("Daily usage"),
    // Money last, so the filters' column indices above stay put.
    Column::number("Revenue/month"),
    Column::number("Vendor cost"),
    Column::number("Margin"),
];

/// Writes the plan as one self-contained HTML page.
pub fn plan(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    let mut html =
        String::with_capacity(plan.changes.len().saturating_mul(400).saturating_add(4096));
    header(&mut html, plan);
    summary(&mut html, plan);
    lines(&mut html, plan);
    findings(&mut html, plan);
    page(out, &format!("reckon plan for {}", plan.period), &html)
}

fn header(html: &mut String, plan: &Plan) {
    let _ = writeln!(
        html,
        "<header>\n<h1>reckon plan for {}</h1>\n<p class=\"lede\">Against the {} PSA; changes take \
         effect {}. Integrations: {}.</p>",
        plan.period,
        escape(&plan.psa),
        plan.effective_date,
        escape(&plan.integrations.join(", "))
    );
    if plan.partial {
        html.push_str("<p><strong>Partial plan:</strong> only the integrations above.</p>\n");
    }
    for partial in plan.partial_data() {
        let _ = writeln!(
            html,
            "<p class=\"warn\"><strong>! Warning:</strong> {}. <code>apply</code> refuses it \
             without <code>--allow-partial</code>.</p>",
            escape(&partial.message())
        );
    }
    for interrupted in &plan.interrupted {
        let _ = writeln!(
            html,
            "<p class=\"warn\"><strong>! Warning:</strong> {}</p>",
            escape(&interrupted_note(interrupted))
        );
    }
    html.push_str("</header>\n");
}

fn summary(html: &mut String, plan: &Plan) {
    let counts = plan.summary();
    let _ = writeln!(
        html,
        "<section aria-labelledby=\"summary\">\n<h2 id=\"summary\">Summary</h2>\n<dl class=\"counts\">\
         <div><dt>+ to create</dt><dd>{}</dd></div><div><dt>~ to update</dt><dd>{}</dd></div>\
         <div><dt>= unchanged</dt><dd>{}</dd></div><div><dt>! needs approval</dt><dd>{}</dd></div>\
         <div><dt>! findings</dt><dd>{}</dd></div></dl>",
        counts.create,
        counts.update,
        counts.unchanged,
        plan.held().count(),
        counts.findings
    );
    net_change(html, &plan.changes);
    let money = plan.money();
    if money.any {
        super::margin::summary_table(html, &money);
    } else {
        html.push_str(
            "<p class=\"note\">Amounts of money are not shown: the workspace has no prices.</p>\n",
        );
    }
    html.push_str("</section>\n");
}

/// Billed units per PSA service: now, after apply, and the difference.
fn net_change(html: &mut String, changes: &[Change]) {
    if changes.is_empty() {
        return;
    }
    let mut by_service: BTreeMap<&str, ServiceTotal> = BTreeMap::new();
    for change in changes {
        by_service
            .entry(&change.psa_service)
            .or_default()
            .add(change);
    }
    html.push_str(
        "<table class=\"net\">\n<caption>Billed units per PSA service</caption>\n<thead><tr>\
         <th scope=\"col\">PSA service</th><th scope=\"col\" class=\"n\">Lines</th>\
         <th scope=\"col\" class=\"n\">Changing</th><th scope=\"col\" class=\"n\">Current</th>\
         <th scope=\"col\" class=\"n\">New</th><th scope=\"col\" class=\"n\">Net change</th></tr></thead>\n<tbody>\n",
    );
    for (service, total) in by_service {
        let net = total
            .new
            .zip(total.current)
            .and_then(|(new, current)| new.checked_sub(current));
        let _ = writeln!(
            html,
            "<tr><th scope=\"row\">{}</th><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            escape(service),
            total.lines,
            total.changing,
            shown(total.current, |v| v.normalize().to_string()),
            shown(total.new, |v| v.normalize().to_string()),
            shown(net, signed)
        );
    }
    html.push_str("</tbody>\n</table>\n");
}

/// One service's lines, changing lines and billed units now and after apply. A sum that does
/// not fit in a `Decimal` (quantities come from vendors and the PSA) is `None`, shown as such.
struct ServiceTotal {
    lines: usize,
    changing: usize,
    current: Option<Decimal>,
    new: Option<Decimal>,
}

impl Default for ServiceTotal {
    fn default() -> Self {
        Self {
            lines: 0,
            changing: 0,
            current: Some(Decimal::ZERO),
            new: Some(Decimal::ZERO),
        }
    }
}

impl ServiceTotal {
    fn add(&mut self, change: &Change) {
        self.lines = self.lines.saturating_add(1);
        self.changing = self
            .changing
            .saturating_add(usize::from(change.action.kind() != ActionKind::NoOp));
        let current = change.current().unwrap_or_default();
        self.current = self.current.and_then(|t| t.checked_add(current));
        self.new = self.new.and_then(|t| t.checked_add(change.quantity));
    }
}

/// `value` rendered by `show`, or a note when the total did not fit.
fn shown(value: Option<Decimal>, show: impl Fn(Decimal) -> String) -> String {
    value.map_or_else(|| "too large to add".to_owned(), show)
}

/// `+2`, `-1`, `0`.
fn signed(value: Decimal) -> String {
    let value = value.normalize();
    if value > Decimal::ZERO {
        format!("+{value}")
    } else {
        value.to_string()
    }
}

fn lines(html: &mut String, plan: &Plan) {
    let count = plan.changes.len();
    let _ = writeln!(
        html,
        "<section aria-labelledby=\"lines\">\n<h2 id=\"lines\">Planned lines ({count})</h2>"
    );
    if count == 0 {
        html.push_str("<p>No line has usage this period.</p>\n</section>\n");
        return;
    }
    let integrations: BTreeSet<&str> = plan
        .changes
        .iter()
        .map(|c| c.integration.as_str())
        .collect();
    filters(
        html,
        &[
            (
                "Integration",
                0,
                integrations.into_iter().map(str::to_owned).collect(),
            ),
            (
                "Action",
                9,
                [ActionKind::Create, ActionKind::Update, ActionKind::NoOp]
                    .map(action_text)
                    .to_vec(),
            ),
        ],
        &[("Account", 1)],
        count,
    );
    let search = plan
        .changes
        .first()
        .map(|c| c.vendor_account_name.to_lowercase())
        .unwrap_or_default();
    let _ = writeln!(
        html,
        "<table id=\"plan-lines\" data-sortable data-selftest-search=\"{}\">\n<caption>Every PSA line \
         reckon computed a quantity for. Actions: + create, ~ update, = unchanged. Approval: ! needs \
         approval (apply holds it back), \u{2713} approved, \u{2014} within every threshold. Charts: solid = daily count, dashed = daily average, dotted \
         = billed quantity.</caption>",
        escape(&search)
    );
    table_head(html, &COLUMNS, "New");
    html.push_str("<tbody>\n");
    for change in &plan.changes {
        row(html, plan, change);
    }
    html.push_str("</tbody>\n</table>\n</section>\n");
}

/// `+ create`, `~ update`, `= no-op`: the symbol keeps the action readable without colour.
fn action_text(action: ActionKind) -> String {
    let symbol = match action {
        ActionKind::Create => "+",
        ActionKind::Update => "~",
        ActionKind::NoOp => "=",
    };
    format!("{symbol} {}", action.as_str())
}

/// The approval cell, or `✗ blocked` when an error finding of the integration stops the write.
fn approval_cell(plan: &Plan, c: &Change) -> String {
    if c.action.kind() != ActionKind::NoOp && plan.is_blocked(&c.integration) {
        return "<strong>\u{2717} blocked</strong><span class=sub>by error findings of the \
                integration</span>"
            .to_owned();
    }
    approval_text(&c.approval)
}

/// The approval text: `—` when no threshold applies; otherwise a symbol and a word (readable
/// without colour) with the reasons, and who approved it.
fn approval_text(approval: &Approval) -> String {
    match approval {
        Approval::NotNeeded => "\u{2014}".to_owned(),
        Approval::Needed(reasons) => format!(
            "<strong>! needs approval</strong><span class=sub>{}</span>",
            escape(&reasons.join("; "))
        ),
        Approval::Approved { reasons, by } => format!(
            "\u{2713} approved<span class=sub>by {}: {}</span>",
            escape(by),
            escape(&reasons.join("; "))
        ),
    }
}

/// One line of the table. End tags are omitted (valid HTML) and attributes unquoted where
/// safe, to keep a 20,000-line page small.
fn row(html: &mut String, plan: &Plan, c: &Change) {
    let class = match c.action.kind() {
        ActionKind::Create => "c",
        ActionKind::Update => "u",
        ActionKind::NoOp => "o",
    };
    let company = if c.psa_company_name == c.vendor_account_name {
        String::new()
    } else {
        format!("<span class=sub>→ {}</span>", escape(&c.psa_company_name))
    };
    let _ = write!(
        html,
        "<tr><td>{}<th scope=row>{}{company}<td>{} → {}<td>{}<td>{}<td>{}<td>{}<td>{}, {} dp<td>{}\
         <td class={class}>{}<td>{}<td>",
        escape(&c.integration),
        escape(&c.vendor_account_name),
        escape(&c.vendor_services.join("+")),
        escape(&c.psa_service),
        c.current()
            .map_or_else(|| "\u{2014}".to_owned(), |q| q.normalize().to_string()),
        c.quantity.normalize(),
        display_usage(c.usage),
        c.billing_model,
        c.rounding.mode,
        c.rounding.decimals,
        c.effective_date,
        action_text(c.action.kind()),
        approval_cell(plan, c),
    );
    Chart {
        period: plan.period,
        daily: &c.daily,
        billed: c.quantity,
    }
    .write(html);
    let currency = c.money.currency.as_ref();
    super::margin::money_cell(html, c.revenue_after(), currency);
    super::margin::money_cell(
        html,
        c.money.vendor_cost.as_ref().map(|m| m.amount),
        c.money
            .vendor_cost
            .as_ref()
            .and_then(|m| m.currency.as_ref())
            .or(currency),
    );
    super::margin::money_cell(html, c.margin(), currency);
    html.push('\n');
}

fn findings(html: &mut String, plan: &Plan) {
    let _ = writeln!(
        html,
        "<section aria-labelledby=\"findings\">\n<h2 id=\"findings\">Findings ({})</h2>",
        plan.findings.len()
    );
    if plan.findings.is_empty() {
        html.push_str("<p>None: every usage row found its line.</p>\n</section>\n");
        return;
    }
    html.push_str("<ol class=\"findings\">\n");
    // The planner already orders findings by kind, most costly first (unmapped usage is lost
    // revenue), so the page keeps that order.
    for f in &plan.findings {
        let scope = f
            .integration
            .as_deref()
            .map(|i| format!(" ({})", escape(i)))
            .unwrap_or_default();
        let _ = write!(
            html,
            "<li><span class=\"kind {}\">! {} {}</span>{scope}: {}",
            f.severity,
            f.severity,
            f.kind,
            escape(&f.message)
        );
        if let Some(hint) = &f.hint {
            let _ = write!(html, "<span class=\"sub\">hint: {}</span>", escape(hint));
        }
        if let Some(snippet) = snippet(f) {
            let _ = write!(html, "<pre><code>{}</code></pre>", escape(&snippet));
        }
        html.push_str("</li>\n");
    }
    html.push_str("</ol>\n</section>\n");
}

/// The YAML that would resolve an unmapped account or service, ready to paste.
fn snippet(f: &Finding) -> Option<String> {
    let integration = f.integration.as_deref()?;
    let file = format!("integrations/{integration}.yaml");
    match f.kind {
        FindingKind::UnmappedAccount => {
            let id = f.vendor_account.as_deref()?;
            let name = f.vendor_account_name.as_deref().unwrap_or(id);
            Some(format!(
                "# {file}, under accounts.map (or list the id under accounts.exclude):\n\
                 - vendor: {}   # {}\n  psa: \"<company id>\"",
                yaml_quoted(id),
                one_line(name)
            ))
        }
        FindingKind::UnmappedService => {
            let sku = f.vendor_service.as_deref()?;
            Some(format!(
                "# {file}, under services:\n- vendor: {}\n  psa: \"<service id>\"",
                yaml_quoted(sku)
            ))
        }
        _ => None,
    }
}

/// A YAML double-quoted scalar: backslashes, quotes and control characters escaped.
fn yaml_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len().saturating_add(2));
    out.push('"');
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Text safe in a YAML comment: line breaks and other control characters become spaces.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use rust_decimal_macros::dec;

    use super::*;
    use crate::plan::{Action, MatchedBy};
    use crate::usage::{BillingModel, Rounding, RoundingMode};

    const EVIL: &str = "<script>alert(1)</script>";

    fn evil_plan() -> Plan {
        let day = NaiveDate::from_ymd_opt(2026, 10, 1).expect("test value");
        let change = Change {
            address: format!("keeper/{EVIL}/BP → {EVIL}/BP"),
            action: Action::Update {
                line: "C-1-1".into(),
                from: dec!(2),
            },
            integration: "keeper".into(),
            vendor_account: "1\"2".into(),
            vendor_account_name: EVIL.into(),
            vendor_services: vec![format!("{EVIL}&sku")],
            psa_company: "9".into(),
            psa_company_name: format!("{EVIL} Inc"),
            psa_service: EVIL.into(),
            contract: "C-1".into(),
            usage: dec!(3),
            quantity: dec!(3),
            effective_date: NaiveDate::from_ymd_opt(2026, 11, 1).expect("test value"),
            billing_model: BillingModel::DailyAverage,
            rounding: Rounding {
                mode: RoundingMode::Nearest,
                decimals: 0,
            },
            matched_by: MatchedBy::Mapping,
            daily: vec![(day, dec!(3))],
            approval: Approval::Needed(vec![format!("{EVIL} grew")]),
            money: Default::default(),
        };
        let mut finding = Finding::new(
            FindingKind::UnmappedAccount,
            format!("vendor account {EVIL} has usage"),
        );
        finding.integration = Some("keeper".into());
        finding.vendor_account = Some("7\"\\x".into());
        finding.vendor_account_name = Some(format!("{EVIL}\nnext line"));
        finding.hint = Some(EVIL.into());
        Plan {
            period: "2026-10".parse().expect("test value"),
            effective_date: NaiveDate::from_ymd_opt(2026, 11, 1).expect("test value"),
            psa: "sandbox".into(),
            integrations: vec!["keeper".into()],
            partial: false,
            changes: vec![change],
            findings: vec![finding],
            interrupted: Vec::new(),
            blockers: Vec::new(),
        }
    }

    fn render(plan: &Plan) -> String {
        let mut out = Vec::new();
        super::plan(&mut out, plan).expect("test value");
        String::from_utf8(out).expect("test value")
    }

    #[test]
    fn names_from_vendor_and_psa_data_render_as_text() {
        let html = render(&evil_plan());
        // The page's own script is the only <script> element.
        assert_eq!(html.matches("<script>").count(), 1, "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&amp;sku"));
        assert!(html.contains(
            "<th scope=row>&lt;script&gt;alert(1)&lt;/script&gt;<span class=sub>→ &lt;script&gt;"
        ));
    }

    #[test]
    fn a_change_blocked_by_errors_and_incomplete_data_are_marked() {
        use crate::plan::tests::builder::Scenario;
        let truncated = Scenario::one_line(10, 12, 1..=3)
            .map_account("keeper", "200", "404", None)
            .usage("keeper", ("200", "Gone"), "Business", 1, 1..=3)
            .plan();
        let page = render(&truncated);
        assert!(page.contains("\u{2717} blocked</strong>"), "{page}");
        assert!(page.contains("incomplete usage data: keeper"), "{page}");
        assert!(
            page.contains("<span class=\"kind error\">! error company-not-found"),
            "{page}"
        );
    }

    #[test]
    fn unmapped_account_comes_with_a_pasteable_snippet() {
        let plan = evil_plan();
        let snippet = snippet(&plan.findings[0]).expect("test value");
        assert_eq!(
            snippet,
            "# integrations/keeper.yaml, under accounts.map (or list the id under accounts.exclude):\n\
             - vendor: \"7\\\"\\\\x\"   # <script>alert(1)</script> next line\n  psa: \"<company id>\""
        );
        assert!(render(&plan).contains(&format!("<pre><code>{}</code></pre>", escape(&snippet))));
    }

    #[test]
    fn summary_counts_and_net_change_per_service() {
        let html = render(&evil_plan());
        assert!(html.contains("<dt>~ to update</dt><dd>1</dd>"), "{html}");
        assert!(
            html.contains("<dt>! needs approval</dt><dd>1</dd>"),
            "{html}"
        );
        assert!(
            html.contains("<td class=\"n\">2</td><td class=\"n\">3</td><td class=\"n\">+1</td>")
        );
        assert!(html.contains("no prices"));
    }

    #[test]
    fn the_table_has_one_row_per_line_and_works_without_script() {
        let mut plan = evil_plan();
        plan.changes.push(plan.changes[0].clone());
        let html = render(&plan);
        assert_eq!(html.matches("<tr><td>").count(), 2);
        // Controls that need the script start hidden; the rows themselves never are.
        assert!(html.contains("<form class=\"filters\" hidden>"));
        assert!(!html.contains("<tr hidden"));
        assert!(
            html.contains("<td class=u>~ update<td><strong>! needs approval</strong><span class=sub>&lt;script&gt;"),
            "action readable without colour"
        );
    }
}
