//! The plan as a review page: the summary (counts, net change in billed units per service),
//! the changes that need approval, every planned line in a sortable and filterable table with
//! its daily-usage chart, and the findings — unmapped accounts first, each with the YAML that
//! would map it.
//!
//! The table is written as compact data ([`super::data`]) that the page's script renders a
//! page of rows at a time, drawing a line's chart only when it is opened; so a 20,000-line plan
//! is a file of about 2 MB that opens in well under a second. Without JavaScript the page shows
//! the summary, the approvals, the findings and (in `<noscript>`) every changed line; unchanged
//! lines are left to the script's view.
//!
//! Quantities here come from vendors and the PSA: totals are checked (a sum too large for a
//! `Decimal` is shown as such), never a panic.
#![deny(clippy::arithmetic_side_effects)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::{self, Write};

use rust_decimal::Decimal;

use super::amounts::{self, Revenue, amount_cell};
use super::data::{Cell, Rows};
use super::{Column, Kind, escape, filters, page, pager, series, table_head};
use crate::plan::money::Summary;
use crate::plan::{ActionKind, Approval, Change, Finding, FindingKind, Plan};
use crate::render::money::{heading, plain};
use crate::render::names;
use crate::render::text::interrupted_note;
use crate::usage::display_usage;

/// The lines table's columns; [`MONEY`] go between these and [`CHART`] when the plan has
/// any price or cost.
const COLUMNS: [Column; 9] = [
    Column::text("Integration"),
    Column::of("Account", Kind::RowHeader),
    Column::text("Service"),
    Column::of("Current", Kind::Quantity),
    Column::of("New", Kind::Quantity),
    Column::of("Usage", Kind::Quantity),
    Column::text("Rounding"),
    Column::of("Action", Kind::Mark),
    Column::of("Approval", Kind::Mark),
];
/// Per line, per month: revenue after the change (the revenue before under it when it
/// differs), the vendor's cost of the usage, and the margin after the change.
/// Written compactly and shown exactly: [`super::amounts`].
const MONEY: [Column; 3] = [
    Column::of("Revenue", Kind::Revenue),
    Column::of("Vendor cost", Kind::Amount),
    Column::of("Margin", Kind::Amount),
];
const CHART: Column = Column::of("Daily usage", Kind::Chart);
/// The column of the quantity before the change ("Current"), which revenue before is of.
const CURRENT: usize = 3;
/// The column whose value a chart draws as the billed quantity ("New").
const BILLED: usize = 4;
/// The column the Action filter matches.
const ACTION: usize = 7;

/// Writes the plan as one self-contained HTML page.
pub fn plan(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    let mut html =
        String::with_capacity(plan.changes.len().saturating_mul(120).saturating_add(4096));
    header(&mut html, plan);
    summary(&mut html, plan);
    approvals(&mut html, plan);
    lines(&mut html, plan);
    findings(&mut html, plan);
    page(out, &format!("reckon plan for {}", plan.period), &html)
}

fn header(html: &mut String, plan: &Plan) {
    let _ = writeln!(
        html,
        "<header>\n<h1>reckon plan for {}</h1>\n<p class=\"lede\">Against the {} PSA; changes take \
         effect {}. Integrations (billing model): {}.</p>",
        plan.period,
        escape(&plan.psa),
        plan.effective_date,
        escape(&integrations(plan))
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
    super::provenance::block(html, plan);
    html.push_str("</header>\n");
}

/// `keeper (daily average), …`: the plan's integrations with the billing model of their lines.
fn integrations(plan: &Plan) -> String {
    let models: BTreeMap<&str, String> = plan
        .changes
        .iter()
        .map(|c| {
            let model = c.billing_model.to_string().replace('-', " ");
            (c.integration.as_str(), model)
        })
        .collect();
    plan.integrations
        .iter()
        .map(|name| match models.get(name.as_str()) {
            Some(model) => format!("{name} ({model})"),
            None => name.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
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
    let mut by_service: BTreeMap<(&str, &str), ServiceTotal> = BTreeMap::new();
    for change in changes {
        by_service
            .entry((&change.psa_service, &change.psa_service_name))
            .or_default()
            .add(change);
    }
    html.push_str(
        "<table class=\"net\">\n<caption>Billed units per PSA service</caption>\n<thead><tr>\
         <th scope=\"col\">PSA service</th><th scope=\"col\" class=\"n\">Lines</th>\
         <th scope=\"col\" class=\"n\">Changing</th><th scope=\"col\" class=\"n\">Current</th>\
         <th scope=\"col\" class=\"n\">New</th><th scope=\"col\" class=\"n\">Net change</th></tr></thead>\n<tbody>\n",
    );
    for ((id, name), total) in by_service {
        let net = total
            .new
            .zip(total.current)
            .and_then(|(new, current)| new.checked_sub(current));
        let _ = writeln!(
            html,
            "<tr><th scope=\"row\">{}</th><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            escape(&names::service(id, name)),
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

/// The changes beyond an approval threshold, approved or not, as static HTML: the reviewer's
/// first job, so it needs no script.
fn approvals(html: &mut String, plan: &Plan) {
    let listed: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| !matches!(c.approval, Approval::NotNeeded))
        .collect();
    if listed.is_empty() {
        return;
    }
    let _ = writeln!(
        html,
        "<section aria-labelledby=\"approvals\">\n<h2 id=\"approvals\">Changes that need approval \
         ({})</h2>\n<table class=\"static\">\n<thead><tr><th scope=\"col\">Account</th>\
         <th scope=\"col\">Service</th><th scope=\"col\" class=\"n\">Current \u{2192} new</th>\
         <th scope=\"col\">Approval</th></tr></thead>\n<tbody>",
        listed.len()
    );
    for c in listed {
        let (mark, sub) = approval(plan, c);
        let _ = writeln!(
            html,
            "<tr><th scope=row>{}<td>{}<td class=n>{} \u{2192} {}<td{}>{}<span class=sub>{}</span>",
            escape(&account(c)),
            escape(&service(c)),
            current(c),
            c.quantity.normalize(),
            if mark.starts_with(['!', '\u{2717}']) {
                " class=a"
            } else {
                ""
            },
            escape(mark),
            escape(&sub)
        );
    }
    html.push_str("</tbody>\n</table>\n</section>\n");
}

/// `Customer → PSA company` when the names differ.
fn account(c: &Change) -> String {
    if c.psa_company_name == c.vendor_account_name {
        c.vendor_account_name.clone()
    } else {
        format!("{} \u{2192} {}", c.vendor_account_name, c.psa_company_name)
    }
}

/// `Business Plus → Keeper Business Plus (31)`.
fn service(c: &Change) -> String {
    format!(
        "{} \u{2192} {}",
        c.vendor_services.join("+"),
        names::service(&c.psa_service, &c.psa_service_name)
    )
}

/// The current quantity, or `—` for a line apply creates.
fn current(c: &Change) -> String {
    c.current()
        .map_or_else(|| "\u{2014}".to_owned(), |q| q.normalize().to_string())
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
                ACTION,
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
    let money = plan.money();
    let places = amounts::places(money.currency.as_ref());
    let _ = writeln!(
        html,
        "<table id=\"plan-lines\" class=\"data\" data-rows=\"plan-data\" data-billed=\"{BILLED}\" \
         data-current=\"{CURRENT}\" data-minor=\"{places}\" \
         data-first=\"{}\" data-last=\"{}\" data-selftest-search=\"{}\" hidden>\n<caption>Every PSA \
         line reckon computed a quantity for. Actions: + create, ~ update, = no change. Approval: \
         ! needs approval (apply holds it back), \u{2713} approved, \u{2014} within every threshold. \
         {}Charts: solid = daily count, dashed = daily average, dotted = billed quantity.</caption>",
        plan.period.first_day(),
        plan.period.last_day(),
        escape(&search),
        if money.any {
            escape(&money_caption(&money)).into_owned()
        } else {
            String::new()
        }
    );
    let mut columns = COLUMNS.to_vec();
    if money.any {
        columns.extend(MONEY);
    }
    columns.push(CHART);
    table_head(html, &columns, "New");
    html.push_str("<tbody></tbody>\n</table>\n");
    pager(html);
    let mut rows = Rows::default();
    for change in &plan.changes {
        row(&mut rows, plan, change, money.any.then_some(places));
    }
    rows.write(html, "plan-data");
    changed_lines(html, plan, money.any);
    html.push_str("</section>\n");
}

/// What the money columns say and in which currency (their cells leave it out).
fn money_caption(money: &Summary) -> String {
    format!(
        "{}. Revenue: the quantity \u{d7} the line's unit price, after the change (under it, \
         before, when that differs); vendor cost: the usage \u{d7} the vendor's cost per unit; \
         margin: revenue after \u{2212} vendor cost; unknown where a price or cost is not known. ",
        heading(money)
    )
}

/// `+ create`, `~ update`, `= no change`: the symbol keeps the action readable without colour.
fn action_text(action: ActionKind) -> String {
    let symbol = match action {
        ActionKind::Create => "+",
        ActionKind::Update => "~",
        ActionKind::NoOp => "=",
    };
    format!("{symbol} {}", names::action(action))
}

/// The approval mark and its second line: `✗ blocked` when an error finding of the integration
/// stops the write, `! needs approval` or `✓ approved` with the reasons, `—` within every
/// threshold. A symbol and a word, readable without colour.
fn approval(plan: &Plan, c: &Change) -> (&'static str, String) {
    if c.action.kind() != ActionKind::NoOp && plan.is_blocked(&c.integration) {
        return (
            "\u{2717} blocked",
            "by error findings of the integration".to_owned(),
        );
    }
    match &c.approval {
        Approval::NotNeeded => ("\u{2014}", String::new()),
        Approval::Needed(reasons) => ("! needs approval", reasons.join("; ")),
        Approval::Approved { reasons, by } => (
            "\u{2713} approved",
            format!("by {by}: {}", reasons.join("; ")),
        ),
    }
}

/// One line of the table as data, in [`COLUMNS`] order (then [`MONEY`] when the plan has
/// money, its amounts in minor units of `places` decimals, then [`CHART`]).
fn row(rows: &mut Rows, plan: &Plan, c: &Change, money: Option<u32>) {
    rows.start();
    rows.cell(Cell::Shared(&c.integration));
    if c.psa_company_name == c.vendor_account_name {
        rows.cell(Cell::Shared(&c.vendor_account_name));
    } else {
        let company = format!("\u{2192} {}", c.psa_company_name);
        rows.pair(Cell::Shared(&c.vendor_account_name), Cell::Shared(&company));
    }
    rows.cell(Cell::Shared(&service(c)));
    match c.current() {
        Some(current) => rows.cell(Cell::Number(current)),
        None => rows.cell(Cell::Missing),
    }
    rows.cell(Cell::Number(c.quantity));
    rows.cell(Cell::Number(display_usage(c.usage)));
    rows.cell(Cell::Shared(&names::rounding(c.rounding)));
    rows.cell(Cell::Shared(&action_text(c.action.kind())));
    match approval(plan, c) {
        (mark, sub) if sub.is_empty() => rows.cell(Cell::Shared(mark)),
        (mark, sub) => rows.pair(Cell::Shared(mark), Cell::Own(&sub)),
    }
    if let Some(places) = money {
        money_cells(rows, c, places);
    }
    match series::encode(plan.period, &c.daily) {
        Some(daily) => rows.cell(Cell::Own(&daily)),
        None => rows.cell(Cell::Missing),
    }
    rows.end();
}

/// Revenue after (before under it when the shown figures differ), vendor cost and margin,
/// rounded to the minor unit, without the currency (the caption names it), encoded as
/// [`super::amounts`] says. A vendor cost in another currency than the workspace's is its
/// text, with its sign.
fn money_cells(rows: &mut Rows, c: &Change, places: u32) {
    let currency = c.money.currency.as_ref();
    Revenue {
        quantity: c.quantity,
        current: c.current(),
        price: c.money.unit_price,
        after: c.revenue_after(),
        before: c.revenue_before(),
        currency,
        places,
    }
    .cell(rows);
    match (c.money.vendor_cost_comparable(), &c.money.vendor_cost) {
        (None, Some(other)) => rows.cell(Cell::Own(&other.to_string())),
        (cost, _) => amount_cell(rows, cost, currency),
    }
    amount_cell(rows, c.margin(), currency);
}

/// Every changed line as plain HTML for a browser without JavaScript: per integration, one
/// row per account and one column per PSA service, each cell `current → new` with the
/// approval symbol — about 75 bytes an account where a row per line would cost 90 a line.
/// Unchanged lines are left to the script's table.
fn changed_lines(html: &mut String, plan: &Plan, with_money: bool) {
    let changing = plan.actions().count();
    let money = if with_money {
        " and, per account, the monthly revenue of those lines before \u{2192} after and their \
         margin after"
    } else {
        ""
    };
    let _ = writeln!(
        html,
        "<noscript>\n<p class=\"note\">JavaScript is off: the changed lines ({changing}) follow as \
         current \u{2192} new per account and PSA service (! needs approval, \u{2713} approved, \
         \u{2717} blocked){money}; unchanged lines, sorting, filters and charts need JavaScript.</p>"
    );
    let mut by_integration: BTreeMap<&str, Vec<&Change>> = BTreeMap::new();
    for change in plan.actions() {
        by_integration
            .entry(&change.integration)
            .or_default()
            .push(change);
    }
    for (integration, changes) in by_integration {
        let services: BTreeSet<(&str, &str)> = changes
            .iter()
            .map(|c| (c.psa_service.as_str(), c.psa_service_name.as_str()))
            .collect();
        let column: BTreeMap<&str, usize> = services
            .iter()
            .enumerate()
            .map(|(at, (id, _))| (*id, at))
            .collect();
        let _ = write!(
            html,
            "<table class=\"static pivot\">\n<caption>{}: changed lines ({})</caption>\n<thead><tr>\
             <th scope=\"col\">Account</th>",
            escape(integration),
            changes.len()
        );
        for (id, name) in &services {
            let _ = write!(
                html,
                "<th scope=\"col\" class=\"n\">{}</th>",
                escape(&names::service(id, name))
            );
        }
        if with_money {
            html.push_str(
                "<th scope=\"col\" class=\"n\">Revenue/month</th><th scope=\"col\" class=\"n\">\
                 Margin</th>",
            );
        }
        html.push_str("</tr></thead>\n<tbody>\n");
        // Plan order keeps an account's lines together; end tags are omitted (valid HTML).
        for account_changes in changes.chunk_by(|a, b| account(a) == account(b)) {
            let mut cells = vec![String::new(); services.len()];
            for c in account_changes {
                let Some(cell) = column
                    .get(c.psa_service.as_str())
                    .and_then(|at| cells.get_mut(*at))
                else {
                    continue;
                };
                if !cell.is_empty() {
                    cell.push_str("; ");
                }
                let (mark, _) = approval(plan, c);
                let _ = write!(cell, "{} \u{2192} {}", current(c), c.quantity.normalize());
                if let Some(symbol) = mark.chars().next().filter(|s| *s != '\u{2014}') {
                    let _ = write!(cell, " {symbol}");
                }
            }
            let _ = write!(
                html,
                "<tr><th scope=row>{}",
                escape(&account(account_changes[0]))
            );
            for cell in cells {
                let _ = write!(html, "<td>{cell}");
            }
            if with_money {
                account_money(html, account_changes);
            }
            html.push('\n');
        }
        html.push_str("</tbody>\n</table>\n");
    }
    html.push_str("</noscript>\n");
}

/// `<td>40.00 → 45.00<td>17.90`: the monthly revenue of an account's changed lines before
/// and after, and their margin after; `unknown` when a line's figure is (a sum that does not
/// fit is unknown too).
fn account_money(html: &mut String, changes: &[&Change]) {
    let sum = |figure: fn(&Change) -> Option<Decimal>| {
        changes.iter().try_fold(Decimal::ZERO, |total, c| {
            figure(c).and_then(|f| total.checked_add(f))
        })
    };
    let currency = changes.first().and_then(|c| c.money.currency.as_ref());
    let _ = write!(
        html,
        "<td>{} \u{2192} {}<td>{}",
        plain(sum(Change::revenue_before), currency),
        plain(sum(Change::revenue_after), currency),
        plain(sum(Change::margin), currency)
    );
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
            psa_service_name: String::new(),
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
            provenance: Default::default(),
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
        // The page's own script is the only <script> element that runs; the data block's
        // names cannot end it.
        assert_eq!(html.matches("<script>").count(), 1, "{html}");
        assert_eq!(html.matches("</script>").count(), 2, "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&amp;sku"));
        assert!(html.contains(
            "<th scope=row>&lt;script&gt;alert(1)&lt;/script&gt; → &lt;script&gt;alert(1)&lt;/script&gt; Inc<td>"
        ));
        assert!(html.contains("\"\\u003cscript\\u003ealert(1)\\u003c/script\\u003e\""));
    }

    #[test]
    fn a_change_blocked_by_errors_and_incomplete_data_are_marked() {
        use crate::plan::tests::builder::Scenario;
        let truncated = Scenario::one_line(10, 12, 1..=3)
            .map_account("keeper", "200", "404", None)
            .usage("keeper", ("200", "Gone"), "Business", 1, 1..=3)
            .plan();
        let page = render(&truncated);
        assert!(page.contains("\"\u{2717} blocked\""), "{page}");
        assert!(page.contains("<td>10 → 12 \u{2717}\n"), "{page}");
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
    fn every_line_is_a_data_row_and_changed_lines_work_without_script() {
        let mut plan = evil_plan();
        plan.changes.push(plan.changes[0].clone());
        let mut unchanged = plan.changes[0].clone();
        unchanged.action = Action::NoOp {
            line: "C-1-2".into(),
        };
        unchanged.approval = Approval::NotNeeded;
        plan.changes.push(unchanged);
        let html = render(&plan);
        let (strings, rows) = data_block(&html);
        assert_eq!(rows.len(), 3);
        let text = |cell: &serde_json::Value| text_of(&strings, cell);
        assert_eq!(text(&rows[2][7]), "= no change", "plain words");
        assert_eq!(text(&rows[0][6]), "nearest, whole units");
        assert_eq!(text(&rows[0][8][0]), "! needs approval");
        assert_eq!(rows[0][9], "3,0*30", "the daily series for the chart");
        // Controls that need the script start hidden; without it, the changed lines (not the
        // unchanged one) and the approvals are plain HTML.
        assert!(html.contains("<form class=\"filters\" hidden>"));
        let noscript = &html[html.find("<noscript>").expect("noscript")..];
        assert_eq!(
            noscript.matches("<tr><th scope=row>").count(),
            1,
            "{noscript}"
        );
        assert!(noscript.contains("<td>2 → 3 !; 2 → 3 !\n"), "{noscript}");
        assert!(html.contains("Changes that need approval (2)"), "{html}");
        assert!(
            html.contains("<td class=a>! needs approval<span class=sub>&lt;script&gt;alert(1)&lt;/script&gt; grew</span>"),
            "approval readable without colour: {html}"
        );
    }

    /// The data block of `html`'s lines table: its shared strings, and its rows with the
    /// columns written once (`k`) put back, as the script does.
    fn data_block(html: &str) -> (Vec<serde_json::Value>, Vec<Vec<serde_json::Value>>) {
        let data = &html[html.find("{\"s\":").expect("data")..];
        let data: serde_json::Value =
            serde_json::from_str(&data[..data.find("</script>").expect("end")]).expect("JSON");
        let fixed = data["k"].as_object().expect("constant columns");
        let mut fixed: Vec<(usize, serde_json::Value)> = fixed
            .iter()
            .map(|(col, cell)| (col.parse().expect("column"), cell.clone()))
            .collect();
        fixed.sort_by_key(|(col, _)| *col);
        let rows = data["r"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| {
                let mut row = r.as_array().expect("row").clone();
                for (col, cell) in &fixed {
                    row.insert(*col, cell.clone());
                }
                row
            })
            .collect();
        (data["s"].as_array().expect("strings").clone(), rows)
    }

    /// A text cell's text: an index resolved into `strings`, in a pair too.
    fn text_of(strings: &[serde_json::Value], cell: &serde_json::Value) -> serde_json::Value {
        match cell {
            serde_json::Value::Number(n) => strings[n.as_u64().expect("index") as usize].clone(),
            serde_json::Value::Array(pair) => pair.iter().map(|c| text_of(strings, c)).collect(),
            other => other.clone(),
        }
    }

    #[test]
    fn each_line_shows_exact_revenue_vendor_cost_and_margin_or_unknown() {
        let plan = crate::plan::tests::money::priced().plan();
        let html = render(&plan);
        for (head, kind) in [("Revenue", "r"), ("Vendor cost", "$"), ("Margin", "$")] {
            assert!(
                html.contains(&format!(
                    "data-k=\"{kind}\"><button type=\"button\">{head}</button>"
                )),
                "{head} is a sortable money column"
            );
        }
        assert!(html.contains("data-minor=\"2\""), "cents");
        assert!(html.contains("Money per month, in USD; amounts rounded half away from zero"));
        let (strings, rows) = data_block(&html);
        // Revenue is the unit price (the script multiplies it by the quantities); vendor cost
        // and margin are cents, rounded by reckon; unknown is null.
        let money = |service: &str| -> serde_json::Value {
            let row = rows
                .iter()
                .find(|r| {
                    text_of(&strings, &r[2])
                        .as_str()
                        .is_some_and(|s| s.ends_with(service))
                })
                .expect("row");
            assert_eq!(row.len(), 13, "{row:?}");
            serde_json::json!([text_of(&strings, &row[9]), row[10], row[11]])
        };
        // 7.2258 a day at $3.75 is 27.0967…, shown 27.10; 7 × $4.50 = 31.50 after, 6 × 4.50 before.
        assert_eq!(money("BP"), serde_json::json!(["4.5", 2710, 440]));
        // 7.1935 rounded up to 8 at $1.00, under the vendor's $1.25: a negative margin.
        assert_eq!(money("TB"), serde_json::json!(["1", 899, -99]));
        // No rate for KeeperChat: the cost and margin are unknown, never 0.
        assert_eq!(money("CHAT"), serde_json::json!(["2", null, null]));
        let noscript = &html[html.find("<noscript>").expect("noscript")..];
        assert!(
            noscript.contains("<th scope=\"col\" class=\"n\">Revenue/month</th>"),
            "{noscript}"
        );
        // Acme's changed lines (BP, TB; Chat is unchanged): 27 + 7 → 31.50 + 8; the margin
        // is unknown only if a changed line's is, and both are known.
        assert!(
            noscript.contains("<td>34.00 → 39.50<td>3.41\n"),
            "{noscript}"
        );
    }

    #[test]
    fn a_plan_without_prices_has_no_money_columns() {
        let html = render(&evil_plan());
        assert!(!html.contains(">Vendor cost</button>"), "{html}");
        assert_eq!(data_block(&html).1[0].len(), 10);
    }

    #[test]
    fn psa_service_names_stand_beside_their_ids() {
        let mut plan = evil_plan();
        plan.changes[0].psa_service = "31".into();
        plan.changes[0].psa_service_name = "Keeper Business Plus".into();
        let html = render(&plan);
        assert!(
            html.contains("<th scope=\"row\">Keeper Business Plus (31)</th>"),
            "{html}"
        );
        assert!(
            html.contains("&amp;sku → Keeper Business Plus (31)<td"),
            "{html}"
        );
    }
}
