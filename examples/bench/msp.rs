//! The synthetic MSP: a workspace (three integrations over `companies` customers) and the same
//! customers seeded into each PSA simulator, with one recurring contract of four lines each.
//! Quantities come from a fixed-seed generator, so every run measures the same book.

use std::fmt::Write as _;
use std::path::Path;

use chrono::NaiveDate;

use crate::sim;

/// The billing period planned.
pub const PERIOD: &str = "2026-10";

/// The four contract lines of every customer: (integration, vendor SKU, ConnectWise product id).
/// The first two come from the Keeper Commander report, the others from one csv each.
pub const LINES: [(&str, &str, &str); 4] = [
    ("keeper", "Business Plus", "KEEPER-BP"),
    ("keeper", "1TB", "KEEPER-1TB"),
    ("backup", "Server Backup", "BACKUP-SRV"),
    ("m365", "Microsoft 365 E3", "M365-E3"),
];

/// A tiny deterministic generator (64-bit LCG): the bench needs repeatable numbers, not good ones.
pub struct Lcg(pub u64);

impl Lcg {
    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n.max(1)
    }
}

/// The book: what each customer's four lines should bill (`desired`) and what the PSA holds now.
pub struct Book {
    /// Desired quantity per customer and line (`LINES` order).
    pub desired: Vec<[i64; 4]>,
    /// Quantity the PSA holds per customer and line.
    pub live: Vec<[i64; 4]>,
}

impl Book {
    /// `companies` customers; every tenth line (by position) is off by one in the PSA.
    pub fn generate(companies: usize, seed: u64) -> Self {
        let mut rng = Lcg(seed);
        let desired: Vec<[i64; 4]> = (0..companies)
            .map(|_| std::array::from_fn(|_| 1 + rng.below(60) as i64))
            .collect();
        let live = desired
            .iter()
            .enumerate()
            .map(|(c, lines)| std::array::from_fn(|l| lines[l] + i64::from((c * 4 + l) % 10 == 0)))
            .collect();
        Self { desired, live }
    }

    /// The customer's name, the same in the vendors and the PSA (accounts match by name).
    pub fn name(company: usize) -> String {
        format!("Client {company:05}")
    }
}

/// Writes the workspace into `dir` (usage files from `book.desired`), with `psa_block` as the
/// `psa:` section and the PSA service ids `services` (in `LINES` order).
pub fn write_workspace(
    dir: &Path,
    book: &Book,
    psa_block: &str,
    services: &[String; 4],
) -> std::io::Result<()> {
    for sub in ["integrations", "usage", "secrets"] {
        std::fs::create_dir_all(dir.join(sub))?;
    }
    std::fs::write(
        dir.join("reckon.yaml"),
        format!("{psa_block}rounding:\n  mode: nearest\n"),
    )?;
    write_usage(dir, book)?;
    let source = |integration: &str| match integration {
        "keeper" => "  kind: keeper-commander\n  path: usage/keeper-{period}.csv\n".to_owned(),
        other => format!("  kind: csv\n  path: usage/{other}-{{period}}.csv\n"),
    };
    for integration in ["keeper", "backup", "m365"] {
        let model = if integration == "keeper" {
            "daily-average"
        } else {
            "peak"
        };
        let mut text = format!(
            "vendor: {integration}\nsource:\n{}billing_model: {model}\naccounts:\n  auto_match: exact-name\nservices:\n",
            source(integration)
        );
        for ((owner, sku, _), service) in LINES.iter().zip(services) {
            if *owner == integration {
                let _ = writeln!(text, "  - {{vendor: \"{sku}\", psa: \"{service}\"}}");
            }
        }
        std::fs::write(dir.join(format!("integrations/{integration}.yaml")), text)?;
    }
    Ok(())
}

/// Rewrites the usage files so that `book.desired` is what a plan computes.
pub fn write_usage(dir: &Path, book: &Book) -> std::io::Result<()> {
    // Keeper: the same count every day of October, so the daily average is exactly that count.
    let mut keeper = String::from(
        "\nConsumption Billing Statement: October 2026\n\ndate,company,company_id,product,licenses,rate\n",
    );
    for day in 1..=31 {
        for (c, lines) in book.desired.iter().enumerate() {
            for (l, (_, sku, _)) in LINES.iter().enumerate().take(2) {
                let _ = writeln!(
                    keeper,
                    "{PERIOD}-{day:02},{},{},{sku},{},1.00",
                    Book::name(c),
                    5_000 + c,
                    lines[l]
                );
            }
        }
    }
    std::fs::write(dir.join(format!("usage/keeper-{PERIOD}.csv")), keeper)?;
    for (l, integration) in [(2, "backup"), (3, "m365")] {
        let mut csv = String::from("date,account_id,account_name,sku,quantity\n");
        for (c, lines) in book.desired.iter().enumerate() {
            let _ = writeln!(
                csv,
                "{PERIOD}-15,{},{},{},{}",
                70_000 + c,
                Book::name(c),
                LINES[l].1,
                lines[l]
            );
        }
        std::fs::write(dir.join(format!("usage/{integration}-{PERIOD}.csv")), csv)?;
    }
    Ok(())
}

/// One customer's ids in the PSA.
#[derive(Debug, Clone, Copy)]
pub struct Ids {
    /// The company.
    pub company: i64,
    /// Its contract (agreement).
    pub contract: i64,
    /// Its lines (additions), in `LINES` order.
    pub lines: [i64; 4],
}

/// The Autotask simulator holding `book.live`; returns it, its service ids and every
/// customer's ids.
pub fn autotask(book: &Book) -> (sim::autotask::Sim, [String; 4], Vec<Ids>) {
    let first = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap_or_default();
    let sim = sim::autotask::Sim::start_with_periods(first, 2);
    let services: [i64; 4] = std::array::from_fn(|l| sim.add_service(LINES[l].1));
    let lines = book
        .live
        .iter()
        .enumerate()
        .map(|(c, live)| {
            let company = sim.add_company(&Book::name(c));
            let contract = sim.add_contract(company, "Managed Services");
            let lines = std::array::from_fn(|l| sim.add_line(contract, services[l], live[l]));
            Ids {
                company,
                contract,
                lines,
            }
        })
        .collect();
    (sim, services.map(|s| s.to_string()), lines)
}

/// The ConnectWise tenant holding `book.live`, its product ids and every customer's ids.
pub fn connectwise(book: &Book) -> (sim::connectwise::State, [String; 4], Vec<Ids>) {
    let mut state = sim::connectwise::State::default();
    for (l, (_, sku, product)) in LINES.iter().enumerate() {
        state.product(1 + l as i64, product, sku);
    }
    let mut lines = Vec::with_capacity(book.live.len());
    for (c, live) in book.live.iter().enumerate() {
        let (company, agreement) = (10_000 + c as i64, 20_000 + c as i64);
        state.company(company, &Book::name(c));
        state.agreement(agreement, company, "Managed Services");
        let ids: [i64; 4] = std::array::from_fn(|l| 1_000_000 + c as i64 * 10 + l as i64);
        for (l, id) in ids.iter().enumerate() {
            let quantity = live[l].to_string();
            state.addition(
                *id,
                agreement,
                LINES[l].2,
                &quantity,
                Some("2025-01-01"),
                None,
            );
        }
        lines.push(Ids {
            company,
            contract: agreement,
            lines: ids,
        });
    }
    (state, LINES.map(|l| l.2.to_owned()), lines)
}

/// The HaloPSA instance holding `book.live`, its item ids and every customer's ids.
pub fn halopsa(book: &Book) -> (sim::halopsa::State, [String; 4], Vec<Ids>) {
    let mut state = sim::halopsa::State::default();
    for (l, (_, sku, _)) in LINES.iter().enumerate() {
        state.item(1 + l as i64, sku, "1");
    }
    let mut lines = Vec::with_capacity(book.live.len());
    for (c, live) in book.live.iter().enumerate() {
        let (client, invoice) = (10_000 + c as i64, 20_000 + c as i64);
        state.client(client, &Book::name(c));
        state.invoice(invoice, client, "Managed Services");
        let ids: [i64; 4] = std::array::from_fn(|l| 1_000_000 + c as i64 * 10 + l as i64);
        for (l, id) in ids.iter().enumerate() {
            state.line(*id, invoice, 1 + l as i64, &live[l].to_string(), None, None);
        }
        lines.push(Ids {
            company: client,
            contract: invoice,
            lines: ids,
        });
    }
    (state, std::array::from_fn(|l| (1 + l).to_string()), lines)
}
