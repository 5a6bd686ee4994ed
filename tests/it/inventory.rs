//! `reckon accounts` and `reckon services` on examples/quickstart, pinned.

use crate::support::{copy_of, reckon};

fn run(args: &[&str]) -> String {
    let ws = copy_of("examples/quickstart");
    let mut all = args.to_vec();
    all.extend_from_slice(&["--period", "2026-10"]);
    let run = reckon(ws.path(), &all);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout
}

#[test]
fn accounts_show_every_vendor_account_and_how_it_is_billed() {
    insta::assert_snapshot!("accounts_all", run(&["accounts"]));
}

#[test]
fn unmapped_accounts_are_the_ones_a_human_must_decide_about() {
    let out = run(&["accounts", "--unmapped"]);
    assert!(out.contains("5120") && out.contains("unmapped"), "{out}");
    assert!(
        !out.contains("4999"),
        "an excluded account was decided about: {out}"
    );
    assert_eq!(out.lines().count(), 2, "{out}");
}

#[test]
fn search_filters_on_ids_and_names_of_both_sides() {
    let out = run(&["accounts", "--search", "DENTAL"]);
    let ids: Vec<&str> = out
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().nth(1))
        .collect();
    assert_eq!(ids, ["3862", "4250"], "{out}");
    let none = run(&["accounts", "--search", "nothing like this"]);
    assert_eq!(none, "No vendor accounts match.\n");
}

#[test]
fn services_show_the_psa_service_each_sku_feeds() {
    insta::assert_snapshot!("services_all", run(&["services"]));
    let unmapped = run(&["services", "--unmapped"]);
    assert!(unmapped.contains("Enterprise BreachWatch"), "{unmapped}");
    assert_eq!(unmapped.lines().count(), 2, "{unmapped}");
}
