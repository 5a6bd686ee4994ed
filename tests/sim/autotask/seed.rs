//! Seeding the simulator from a sandbox PSA file, so a workspace written for the sandbox
//! (`examples/keeper-autotask`) runs unchanged against "Autotask" with the same ids, and the
//! `psa:` block that points such a workspace at the simulator.

use std::path::Path;

use reckon::psa::sandbox::SandboxState;

use super::Sim;

/// Adds every company, service, contract and line of the sandbox file at `path` to `sim`, with
/// the same (numeric) ids and each line's base quantity in every period; returns the line ids.
pub fn seed_from_sandbox(sim: &Sim, path: &Path) -> Result<Vec<i64>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let state: SandboxState = reckon::yaml::from_str(&text, path).map_err(|d| d.message)?;
    let id = |entity: &str, text: &str| {
        text.parse::<i64>()
            .map_err(|_| format!("{entity} id {text} is not a number, as Autotask ids are"))
    };
    for company in &state.companies {
        sim.next_id("Companies", id("company", &company.id)?);
        sim.add_company(&company.name);
    }
    for service in &state.services {
        sim.next_id("Services", id("service", &service.id)?);
        sim.add_service(&service.name);
    }
    let mut lines = Vec::new();
    for contract in &state.contracts {
        sim.next_id("Contracts", id("contract", &contract.id)?);
        let contract_id = sim.add_contract(id("company", &contract.company)?, &contract.name);
        for line in &contract.lines {
            let units = line
                .quantity
                .to_string()
                .parse::<i64>()
                .map_err(|_| format!("line {}: {} is not whole", line.id, line.quantity))?;
            sim.next_id("ContractServices", id("line", &line.id)?);
            let created = sim.add_line(contract_id, id("service", &line.service)?, units);
            // The sandbox's price and cost become the line's UnitPrice and UnitCost
            // (#/definitions/ContractServiceModel), as JSON numbers.
            let number = |d: rust_decimal::Decimal| {
                serde_json::from_str::<serde_json::Value>(&d.normalize().to_string())
                    .unwrap_or_default()
            };
            if let Some(price) = line.price {
                sim.set_line(created, "unitPrice", number(price));
            }
            if let Some(cost) = line.cost {
                sim.set_line(created, "unitCost", number(cost));
            }
            lines.push(created);
        }
    }
    Ok(lines)
}

/// A `psa:` block for `reckon.yaml` pointing at `base_url`, with credentials from the
/// environment variables `AUTOTASK_USERNAME`, `AUTOTASK_SECRET`, `AUTOTASK_INTEGRATION_CODE`
/// (set them to the simulator's `USERNAME`, `SECRET` and `INTEGRATION_CODE`).
pub fn autotask_psa_block(base_url: &str) -> String {
    format!(
        "psa:\n  kind: autotask\n  username: {{ env: AUTOTASK_USERNAME }}\n  secret: {{ env: AUTOTASK_SECRET }}\n  integration_code: {{ env: AUTOTASK_INTEGRATION_CODE }}\n  base_url: {base_url}\n"
    )
}
