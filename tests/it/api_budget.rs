//! `reckon apply` against the Autotask simulator tells what its writes will cost of the
//! tenant's hourly API budget (ThresholdInformation, read once) and warns when that is more
//! than `policy.max_api_share` of what is left (issue 20).

use crate::autotask::{keeper_autotask, run};
use crate::sim::autotask::Sim;

fn set_share(dir: &std::path::Path, share: &str) {
    let file = dir.join("reckon.yaml");
    let yaml = std::fs::read_to_string(&file).expect("reckon.yaml");
    let policy = "policy:\n  create_missing_lines: false";
    assert!(yaml.contains(policy), "the example has a policy block");
    let yaml = yaml.replace(policy, &format!("{policy}\n  max_api_share: {share}"));
    std::fs::write(&file, yaml).expect("write reckon.yaml");
}

#[test]
fn an_apply_using_more_than_its_share_of_the_budget_left_is_warned_about_and_still_runs() {
    let sim = Sim::start();
    let ws = keeper_autotask(&sim);
    // Other integrations used all but 10 of the hour's 10,000 requests: 6 writes are > 50 %.
    sim.set_used_by_others(9_990 - 9);
    let apply = run(
        ws.path(),
        &["apply", "--period", "2026-10", "--auto-approve"],
    );
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert!(
        apply
            .stderr
            .contains("warning: this apply would use 6 of the 10 API requests the tenant has left this hour, more than policy.max_api_share (50 %)"),
        "{}",
        apply.stderr
    );
    assert_eq!(sim.requests()["ThresholdInformation"], 1, "read once");
}

#[test]
fn a_larger_share_silences_the_warning_and_a_share_outside_1_to_100_is_refused() {
    let sim = Sim::start();
    let ws = keeper_autotask(&sim);
    sim.set_used_by_others(9_990 - 9);
    set_share(ws.path(), "80");
    let apply = run(
        ws.path(),
        &["apply", "--period", "2026-10", "--auto-approve"],
    );
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert!(
        apply
            .stderr
            .contains("the tenant has 10 of 10000 left this hour")
            && !apply.stderr.contains("warning: this apply would use"),
        "{}",
        apply.stderr
    );
    let other = keeper_autotask(&sim);
    set_share(other.path(), "0");
    let plan = run(other.path(), &["plan", "--period", "2026-10"]);
    assert_ne!(plan.code, 0);
    assert!(
        plan.stderr
            .contains("policy.max_api_share: 0 is not a percentage from 1 to 100"),
        "{}",
        plan.stderr
    );
}

/// `psa.write_concurrency` sets how many writes a ConnectWise apply runs at once: from 1 to 32,
/// and for ConnectWise only.
#[test]
fn connectwise_write_concurrency_is_checked_and_only_for_connectwise() {
    use crate::connectwise::{Reach, run as cw_run, tenant, workspace};
    let sim = crate::sim::connectwise::Simulator::start(tenant());
    let set = |dir: &std::path::Path, from: &str, to: &str| {
        let file = dir.join("reckon.yaml");
        let yaml = std::fs::read_to_string(&file).expect("reckon.yaml");
        assert!(yaml.contains(from), "{yaml}");
        std::fs::write(&file, yaml.replace(from, to)).expect("write reckon.yaml");
    };
    let client = "  client_id: 5d4b0a6e-0000-4000-8000-00000000c11d\n";
    let one = workspace(&sim, Reach::BaseUrl);
    set(
        one.path(),
        client,
        &format!("{client}  write_concurrency: 1\n"),
    );
    let apply = cw_run(one.path(), &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    let zero = workspace(&sim, Reach::BaseUrl);
    set(
        zero.path(),
        client,
        &format!("{client}  write_concurrency: 0\n"),
    );
    let refused = cw_run(zero.path(), &["plan"]);
    assert_ne!(refused.code, 0);
    assert!(
        refused
            .stderr
            .contains("psa.write_concurrency: 0 is not from 1 to 32"),
        "{}",
        refused.stderr
    );
    let at = Sim::start();
    let autotask = keeper_autotask(&at);
    set(
        autotask.path(),
        "  kind: autotask\n",
        "  kind: autotask\n  write_concurrency: 4\n",
    );
    let foreign = run(autotask.path(), &["plan", "--period", "2026-10"]);
    assert_ne!(foreign.code, 0);
    assert!(
        foreign
            .stderr
            .contains("psa.write_concurrency does not apply to psa.kind autotask"),
        "{}",
        foreign.stderr
    );
}
