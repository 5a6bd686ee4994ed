//! Money end to end (issue 21): exact revenue, vendor cost and margin on awkward numbers (a
//! 7.2258 daily average at $3.75, 1TB rounded up, a product with no rate) through the text,
//! JSON, markdown and HTML plan, `reckon usage` and `reckon report margin`, against the sandbox
//! (examples/keeper-autotask, Keeper Commander's CSV with its `rate`), the Autotask simulator
//! (UnitPrice/UnitCost) and the ConnectWise simulator (unitPrice/unitCost).

use std::path::Path;

use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Value, json};

use crate::sim::autotask::Sim;
use crate::sim::connectwise::Simulator;
use crate::support::{copy_of, reckon};

const PERIOD: [&str; 2] = ["--period", "2026-10"];

fn plan(dir: &Path, format: &str) -> String {
    let run = reckon(dir, &["plan", PERIOD[0], PERIOD[1], "--format", format]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout
}

fn change<'a>(plan: &'a Value, account: &str, sku: &str) -> &'a Value {
    plan["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|c| c["vendor_account"] == account && c["vendor_service"] == sku)
        .unwrap_or_else(|| panic!("no change for {account} {sku}"))
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or("null")
}

/// examples/keeper-autotask with a price list entry for Business Plus (the PSA's Cedar Law line
/// bills $4.75, so it is a price-mismatch).
fn keeper_autotask() -> tempfile::TempDir {
    let ws = copy_of("examples/keeper-autotask");
    let file = ws.path().join("integrations/keeper.yaml");
    let yaml = std::fs::read_to_string(&file).expect("read");
    let entry = "  - vendor: Business Plus\n    psa: \"31\"";
    assert!(yaml.contains(entry), "{yaml}");
    std::fs::write(
        &file,
        yaml.replace(entry, &format!("{entry}\n    price: 5.00")),
    )
    .expect("write");
    ws
}

#[test]
fn the_json_plan_carries_exact_money_and_unknown_as_null() {
    let ws = keeper_autotask();
    let json: Value = serde_json::from_str(&plan(ws.path(), "json")).expect("JSON");
    // Cedar Law: 224 licence-days / 31 = 7.2258 at Keeper's $3.75; the line bills $4.75.
    let cedar = change(&json, "4120", "Business Plus");
    assert_eq!(text(&cedar["currency"]), "USD");
    assert_eq!(text(&cedar["unit_price"]), "4.75");
    assert_eq!(text(&cedar["unit_cost"]), "3.75");
    assert_eq!(text(&cedar["vendor_unit_cost"]), "3.75");
    assert_eq!(text(&cedar["vendor_currency"]), "USD");
    assert_eq!(text(&cedar["revenue_before"]), "0");
    assert_eq!(text(&cedar["revenue_after"]), "33.25");
    assert!(
        text(&cedar["vendor_cost"]).starts_with("27.09677419354838709677419"),
        "exact, never through a float: {}",
        cedar["vendor_cost"]
    );
    assert!(text(&cedar["margin"]).starts_with("6.15322580645161290322580"));
    // Acme 1TB: 9.3548 rounded up to 10 at $0.90, under Keeper's $1.00.
    let storage = change(&json, "3862", "1TB");
    assert_eq!(text(&storage["quantity"]), "10");
    assert_eq!(text(&storage["revenue_before"]), "7.2");
    assert_eq!(text(&storage["revenue_after"]), "9");
    assert_eq!(text(&storage["revenue_delta"]), "1.8");
    // KeeperChat has no rate in Commander's report: unknown, not 0.
    let chat = change(&json, "3901", "KeeperChat");
    assert!(
        chat["vendor_cost"].is_null() && chat["margin"].is_null(),
        "{chat}"
    );
    assert!(chat["unit_cost"].is_null());
    let kinds: Vec<&str> = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| text(&f["kind"]))
        .collect();
    assert_eq!(kinds[0], "unmapped-account", "{kinds:?}");
    assert_eq!(
        json["findings"][0]["vendor_cost"],
        json!({"amount": "22.5", "currency": "USD"})
    );
    assert!(
        kinds.contains(&"below-cost") && kinds.contains(&"price-mismatch"),
        "{kinds:?}"
    );
    assert_eq!(text(&json["money"]["currency"]), "USD");
    assert_eq!(json["money"]["unbilled"][0]["amount"], "22.5");
    assert!(
        json["money"]["total"]["margin"].is_null(),
        "a line has no rate"
    );
    assert_eq!(json["money"]["total"]["unknown_margin"], 1);
}

#[test]
fn the_text_markdown_and_html_plans_show_money_rounded_and_unknown() {
    let ws = keeper_autotask();
    let text_plan = plan(ws.path(), "text");
    insta::assert_snapshot!("money_keeper_autotask_text", text_plan);
    assert!(text_plan.contains(
        "revenue $0.00 → $33.25/month (+$33.25); vendor cost $27.10 ($3.75/unit); margin $6.15"
    ));
    assert!(text_plan.contains(
        "service KeeperChat (per user) (51): revenue $3.00 → $3.00 ($0.00), vendor cost unknown, margin unknown"
    ));
    assert!(text_plan.contains("Business Plus 6; $22.50/month from keeper, not billed"));
    let markdown = plan(ws.path(), "markdown");
    let totals = markdown.find("Money per month").expect("money totals");
    let first_section = markdown.find("####").unwrap_or(markdown.len());
    assert!(totals < first_section, "totals first:\n{markdown}");
    let html = plan(ws.path(), "html");
    // The plan page's money summary: total, per integration and per service.
    assert!(
        html.contains(
            "<tr><th scope=\"row\">service Keeper Business Plus (per user) (31)</th><td class=\"n\">$50.00</td><td class=\"n\">$93.25</td>"
        ),
        "{html}"
    );
    assert!(
        html.contains("<td class=\"n\">unknown</td>"),
        "no rate: unknown"
    );
    assert!(!html.contains("the workspace has no prices"));
}

#[test]
fn usage_shows_the_vendors_rate_and_cost_per_account_and_product() {
    let ws = copy_of("examples/keeper-autotask");
    let run = reckon(ws.path(), &["usage", PERIOD[0], PERIOD[1]]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("RATE") && run.stdout.contains("VENDOR COST"));
    let cedar = run
        .stdout
        .lines()
        .find(|l| l.contains("4120"))
        .expect("Cedar Law");
    assert!(
        cedar.contains("$3.75") && cedar.contains("$27.10"),
        "{cedar}"
    );
    let chat = run
        .stdout
        .lines()
        .find(|l| l.contains("KeeperChat"))
        .expect("chat");
    assert!(chat.contains("unknown"), "{chat}");
    let json = reckon(
        ws.path(),
        &["usage", PERIOD[0], PERIOD[1], "--format", "json"],
    );
    let rows: Value = serde_json::from_str(&json.stdout).expect("JSON");
    let cedar = rows
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["account"] == "4120")
        .expect("Cedar Law");
    assert_eq!(cedar["vendor_unit_cost"], "3.75");
    assert_eq!(cedar["vendor_currency"], "USD");
    let html = reckon(
        ws.path(),
        &["usage", PERIOD[0], PERIOD[1], "--format", "html"],
    );
    assert_eq!(html.code, 0, "{}", html.stderr);
    assert!(
        html.stdout.contains(">Vendor cost</button>"),
        "a sortable column"
    );
    let noscript = &html.stdout[html.stdout.find("<noscript>").expect("noscript")..];
    let row = |account: &str, sku: &str| {
        noscript
            .lines()
            .find(|l| {
                l.contains(&format!("<td>{account}<th")) && l.contains(&format!("<td>{sku}<"))
            })
            .unwrap_or_else(|| panic!("{account} {sku}: {noscript}"))
            .to_owned()
    };
    assert!(
        row("4120", "Business Plus").ends_with("<td class=n>$3.75<td class=n>$27.10"),
        "7.2258 a day at $3.75"
    );
    assert!(row("3901", "KeeperChat").ends_with("<td class=n>unknown<td class=n>unknown"));
}

#[test]
fn report_margin_lists_the_lowest_margin_first_in_every_format() {
    let ws = copy_of("examples/keeper-autotask");
    let run = reckon(ws.path(), &["report", "margin", PERIOD[0], PERIOD[1]]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("money_report_margin_text", run.stdout);
    let json = reckon(
        ws.path(),
        &["report", "margin", PERIOD[0], PERIOD[1], "--format", "json"],
    );
    let report: Value = serde_json::from_str(&json.stdout).expect("JSON");
    let margins: Vec<Option<rust_decimal::Decimal>> = report["by_service"]
        .as_array()
        .expect("services")
        .iter()
        .map(|s| s["margin"].as_str().map(|m| m.parse().expect("decimal")))
        .collect();
    let known: Vec<rust_decimal::Decimal> = margins.iter().flatten().copied().collect();
    assert!(known.is_sorted(), "lowest margin first: {margins:?}");
    assert_eq!(
        margins[0], None,
        "the service without a rate leads: it needs one"
    );
    let html = reckon(
        ws.path(),
        &["report", "margin", PERIOD[0], PERIOD[1], "--format", "html"],
    );
    assert!(html.stdout.contains("<h2>Per account</h2>"));
    assert!(
        html.stdout.contains("<td class=n data-v=-27.0967741935")
            && html.stdout.contains(">-$27.10"),
        "Cedar Law bills nothing yet, exact in data-v"
    );
}

#[test]
fn autotask_unit_price_and_cost_are_read_from_the_simulator() {
    let sim = Sim::start();
    let ws = crate::autotask::keeper_autotask(&sim);
    let run = crate::autotask::run(
        ws.path(),
        &["plan", PERIOD[0], PERIOD[1], "--format", "json"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json: Value = serde_json::from_str(&run.stdout).expect("JSON");
    let acme = change(&json, "3862", "Business Plus");
    assert_eq!(text(&acme["unit_price"]), "5", "ContractServices.unitPrice");
    assert_eq!(
        text(&acme["unit_cost"]),
        "3.75",
        "ContractServices.unitCost"
    );
    assert_eq!(text(&acme["revenue_before"]), "50");
    assert_eq!(text(&acme["revenue_after"]), "60");
    let storage = change(&json, "3862", "1TB");
    assert_eq!(text(&storage["unit_price"]), "0.9");
    assert!(
        json["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["kind"] == "below-cost" && f["line"] == "7102"),
        "{json:#}"
    );
}

#[test]
fn connectwise_unit_price_and_cost_are_read_from_the_simulator() {
    let mut state = crate::connectwise::tenant();
    for addition in state.additions.iter_mut().filter(|a| a.id == 3001) {
        addition.unit_price = json!(4.25);
        addition.unit_cost = json!(3.1);
    }
    let sim = Simulator::start(state);
    let ws = crate::connectwise::workspace(&sim, crate::connectwise::Reach::BaseUrl);
    let run = crate::connectwise::run(ws.path(), &["plan", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json: Value = serde_json::from_str(&run.stdout).expect("JSON");
    let acme = change(&json, "3862", "Business Plus");
    assert_eq!(text(&acme["unit_price"]), "4.25", "Addition.unitPrice");
    assert_eq!(text(&acme["unit_cost"]), "3.1", "Addition.unitCost");
    assert_eq!(text(&acme["revenue_before"]), "42.5");
    // The fixture's CSV states no unit cost: the vendor's cost is unknown, not 0.
    assert!(acme["vendor_cost"].is_null() && acme["margin"].is_null());
}

#[test]
fn halopsa_unit_price_and_cost_are_read_from_the_simulator() {
    let mut state = crate::sim::halopsa::State::keeper_example();
    for line in state.lines.iter_mut().filter(|l| l.id == 701) {
        line.unit_price = json!(4.5);
        line.unit_cost = json!(3.2);
    }
    let sim = crate::sim::halopsa::Simulator::start(state);
    let ws = crate::halopsa::workspace(&sim);
    let run = crate::halopsa::run(ws.path(), &["plan", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json: Value = serde_json::from_str(&run.stdout).expect("JSON");
    let acme = change(&json, "3862", "Business Plus");
    assert_eq!(text(&acme["unit_price"]), "4.5", "InvoiceDetail.unit_price");
    assert_eq!(text(&acme["unit_cost"]), "3.2", "InvoiceDetail.unit_cost");
    assert_eq!(text(&acme["revenue_before"]), "45");
    // Keeper's rate is in dollars; the example sets no billing.currency, so the cost is shown
    // but not set against revenue (no margin is guessed).
    assert_eq!(text(&acme["vendor_currency"]), "USD");
    assert!(acme["margin"].is_null(), "{acme}");
}

/// The lines table's data rows of an HTML plan as its script shows them
/// (`src/render/html/script.js`, `amounts.rs`), read here independently of it: shared strings
/// resolved, columns written once (`k`) put back, bare quantities as their text, amounts in
/// minor units written out, and revenue computed from the unit price in the cell and the
/// line's quantities (exact decimals, rounded half away from zero). The browser tests hold
/// the script itself to the JSON plan.
fn html_rows(html: &str) -> Vec<Vec<Value>> {
    let table = &html[html
        .find("<table id=\"plan-lines\"")
        .expect("the lines table")..];
    let head = &table[..table.find("</thead>").expect("head")];
    let kinds: Vec<&str> = head
        .split("data-k=\"")
        .skip(1)
        .map(|k| &k[..k.find('"').expect("kind")])
        .collect();
    let attribute = |name: &str| -> u32 {
        let at = table.find(&format!("{name}=\"")).expect(name) + name.len() + 2;
        table[at..at + table[at..].find('"').expect(name)]
            .parse()
            .expect(name)
    };
    let (billed, current) = (
        attribute("data-billed") as usize,
        attribute("data-current") as usize,
    );
    let places = attribute("data-minor");
    let start = html.find("id=\"plan-data\">").expect("data") + "id=\"plan-data\">".len();
    let data: Value =
        serde_json::from_str(&html[start..start + html[start..].find("</script>").expect("end")])
            .expect("JSON");
    let strings = data["s"].as_array().expect("strings");
    let text = |cell: &Value| -> Value {
        let one = |c: &Value| match c {
            Value::Number(n) => strings[n.as_u64().expect("index") as usize].clone(),
            other => other.clone(),
        };
        match cell {
            Value::Array(pair) => Value::Array(pair.iter().map(one).collect()),
            other => one(other),
        }
    };
    let quantity = |cell: &Value| match cell {
        Value::Number(n) => Value::String(n.to_string()),
        other => other.clone(),
    };
    let shown = |value: Decimal| -> String {
        let rounded = value.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
        let rounded = if rounded.is_zero() {
            Decimal::ZERO
        } else {
            rounded
        };
        format!("{rounded:.*}", places as usize)
    };
    let decimal = |cell: &Value| -> Decimal {
        cell.as_str()
            .expect("a decimal")
            .parse()
            .expect("a decimal")
    };
    let mut fixed: Vec<(usize, Value)> = data["k"]
        .as_object()
        .expect("columns written once")
        .iter()
        .map(|(col, cell)| (col.parse().expect("column"), cell.clone()))
        .collect();
    fixed.sort_by_key(|(col, _)| *col);
    data["r"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            let mut row = r.as_array().expect("row").clone();
            for (col, cell) in &fixed {
                row.insert(*col, cell.clone());
            }
            let quantities = (quantity(&row[billed]), quantity(&row[current]));
            row.iter()
                .zip(&kinds)
                .map(|(cell, kind)| match (*kind, cell) {
                    ("q", cell) => quantity(cell),
                    ("$" | "r", Value::Null) => json!("unknown"),
                    ("$", Value::Number(units)) => {
                        let units = units.as_i64().expect("minor units");
                        json!(shown(Decimal::new(units, places)))
                    }
                    ("r", Value::Number(_)) => {
                        let price = decimal(&text(cell));
                        let after = shown(decimal(&quantities.0) * price);
                        let before = match &quantities.1 {
                            Value::Null => shown(Decimal::ZERO),
                            was => shown(decimal(was) * price),
                        };
                        if after == before {
                            json!(after)
                        } else {
                            json!([after, format!("from {before}")])
                        }
                    }
                    (_, cell) => text(cell),
                })
                .collect()
        })
        .collect()
}

/// The revenue, vendor cost and margin cells of the HTML row for `account` and `sku`.
fn html_money(rows: &[Vec<Value>], account: &str, sku: &str) -> Value {
    let row = rows
        .iter()
        .find(|r| {
            let name = match &r[1] {
                Value::Array(pair) => pair[0].clone(),
                one => one.clone(),
            };
            name == account && r[2].as_str().is_some_and(|s| s.starts_with(sku))
        })
        .unwrap_or_else(|| panic!("no row for {account} {sku}: {rows:?}"));
    Value::Array(row[9..12].to_vec())
}

/// examples/keeper-autotask on the Autotask simulator (ContractServices unitPrice/unitCost,
/// Keeper Commander's rates): Cedar Law's 7.2258 a day at $3.75 ($27.10 of cost on a $33.25
/// line), Acme's 1TB 9.3548 rounded up to 10, and KeeperChat without a rate, exact in JSON and
/// rounded in the text and HTML plans.
#[test]
fn autotask_money_is_exact_in_text_json_and_html() {
    let sim = Sim::start();
    let ws = crate::autotask::keeper_autotask(&sim);
    let run = |format: &str| {
        let run = crate::autotask::run(
            ws.path(),
            &["plan", PERIOD[0], PERIOD[1], "--format", format],
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.stdout
    };
    let json: Value = serde_json::from_str(&run("json")).expect("JSON");
    let cedar = change(&json, "4120", "Business Plus");
    assert_eq!(text(&cedar["revenue_after"]), "33.25");
    assert!(text(&cedar["vendor_cost"]).starts_with("27.0967741935483870967741935"));
    assert!(text(&cedar["margin"]).starts_with("6.1532258064516129032258064"));
    let storage = change(&json, "3862", "1TB");
    assert_eq!(text(&storage["quantity"]), "10", "9.3548 rounded up");
    assert_eq!(text(&storage["revenue_after"]), "9");
    let chat = change(&json, "3901", "KeeperChat");
    assert!(chat["vendor_cost"].is_null() && chat["margin"].is_null());

    let plan = run("text");
    assert!(
        plan.contains(
            "revenue $0.00 → $33.25/month (+$33.25); vendor cost $27.10 ($3.75/unit); margin $6.15"
        ),
        "{plan}"
    );
    // KeeperChat is unchanged (the text plan lists no unchanged line): its service total.
    assert!(
        plan.contains(
            "service KeeperChat (per user) (51): revenue $3.00 → $3.00 ($0.00), vendor cost unknown, margin unknown"
        ),
        "{plan}"
    );
    assert!(
        plan.contains(
            "service Keeper 1TB Storage (per user) (40): revenue $7.20 → $9.00 (+$1.80), vendor cost $9.35, margin -$0.35"
        ),
        "{plan}"
    );
    let rows = html_rows(&run("html"));
    assert_eq!(
        html_money(&rows, "Cedar Law LLP", "Business Plus"),
        json!([["33.25", "from 0.00"], "27.10", "6.15"])
    );
    assert_eq!(
        html_money(&rows, "Brightside Logistics, Inc.", "KeeperChat"),
        json!(["3.00", "unknown", "unknown"])
    );
}

/// The ConnectWise fixture with a `unit_cost` column added by content (Business Plus $3.75,
/// 1TB $1.25, KeeperChat none) and `billing.currency: USD`, against additions priced $4.25
/// (Acme Business Plus) and $1.10 (Acme 1TB), and a KeeperChat addition to create priced from
/// the catalog.
#[test]
fn connectwise_money_is_exact_in_text_json_and_html() {
    let mut state = crate::connectwise::tenant();
    for addition in state.additions.iter_mut() {
        match addition.id {
            3001 => addition.unit_price = json!(4.25),
            3002 => addition.unit_price = json!(1.1),
            _ => {}
        }
    }
    // Brightside's KeeperChat addition is to be created: priced from the catalog item (the
    // simulator's $4.50, `CatalogItem.price`) at its cost (`CatalogItem.cost`).
    for product in state
        .products
        .iter_mut()
        .filter(|p| p.identifier == "KEEPER-CHAT")
    {
        product.cost = json!(1.2);
    }
    let sim = Simulator::start(state);
    let ws = crate::connectwise::workspace(&sim, crate::connectwise::Reach::BaseUrl);
    let dir = ws.path();
    let usage = dir.join("usage/keeper-2026-10.csv");
    let mut csv = std::fs::read_to_string(&usage).expect("usage");
    csv = csv.replacen(
        "date,account_id,account_name,sku,quantity\n",
        "date,account_id,account_name,sku,quantity,unit_cost\n",
        1,
    );
    csv = csv
        .lines()
        .map(|l| {
            if l.starts_with("date,") {
                l.to_owned()
            } else {
                format!("{l},")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    for (sku, rate) in [("Business Plus", "3.75"), ("1TB", "1.25")] {
        csv = crate::support::set_csv_field(&csv, &[("sku", sku)], "unit_cost", rate);
    }
    std::fs::write(&usage, csv).expect("usage");
    let config = dir.join("reckon.yaml");
    let yaml = std::fs::read_to_string(&config).expect("reckon.yaml");
    let billing = "billing:\n  effective_date: next-month-start\n";
    assert!(yaml.contains(billing), "{yaml}");
    std::fs::write(
        &config,
        yaml.replace(billing, &format!("{billing}  currency: USD\n")),
    )
    .expect("reckon.yaml");
    let run = |format: &str| {
        let run = crate::connectwise::run(dir, &["plan", "--format", format]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.stdout
    };
    let json: Value = serde_json::from_str(&run("json")).expect("JSON");
    let acme = change(&json, "3862", "Business Plus");
    assert_eq!(text(&acme["unit_price"]), "4.25", "Addition.unitPrice");
    let storage = change(&json, "3862", "1TB");
    let chat = change(&json, "3901", "KeeperChat");
    assert_eq!(text(&chat["action"]), "create");
    assert_eq!(text(&chat["unit_price"]), "4.5", "CatalogItem.price");
    assert_eq!(text(&chat["unit_cost"]), "1.2", "CatalogItem.cost");
    assert_eq!(text(&chat["revenue_after"]), "9");
    assert!(chat["vendor_cost"].is_null(), "no unit_cost for KeeperChat");
    let plan = run("text");
    let html = run("html");
    insta::assert_snapshot!(
        "money_connectwise_text",
        format!(
            "{}\n\nAcme BP: {} {} {} {}\nAcme 1TB: {} {} {} {}",
            crate::connectwise::stable(&plan, &sim),
            text(&acme["quantity"]),
            text(&acme["revenue_after"]),
            text(&acme["vendor_cost"]),
            text(&acme["margin"]),
            text(&storage["quantity"]),
            text(&storage["revenue_after"]),
            text(&storage["vendor_cost"]),
            text(&storage["margin"]),
        )
    );
    let rows = html_rows(&html);
    insta::assert_snapshot!(
        "money_connectwise_html_cells",
        format!(
            "{}\n{}",
            html_money(&rows, "Acme Dental", "Business Plus"),
            html_money(&rows, "Acme Dental", "1TB")
        )
    );
}
