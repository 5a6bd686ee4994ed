//! What reckon saw in the PSA, in reckon's own terms.
//!
//! Every PSA adapter converts its wire types into these at its edge; the planner only ever sees
//! these. Pure data.

use rust_decimal::Decimal;

/// A customer company in the PSA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Company {
    /// PSA company id.
    pub id: String,
    /// Display name, used for exact-name matching.
    pub name: String,
}

/// A billable service / product in the PSA's catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// The identifier config maps to (ConnectWise: Product ID).
    pub id: String,
    /// Display name.
    pub name: String,
    /// The catalogue's price per unit, which a line created from it bills (Autotask Service
    /// `unitPrice`, ConnectWise catalog item `price`, HaloPSA item recurring or base price,
    /// sandbox service `price`); `None` when the PSA states none.
    pub unit_price: Option<Decimal>,
    /// The catalogue's cost per unit (Autotask `unitCost`, ConnectWise `cost`, HaloPSA
    /// `costprice`, sandbox `cost`); `None` when the PSA states none.
    pub unit_cost: Option<Decimal>,
}

impl Service {
    /// A service without a catalogue price or cost.
    pub fn named(id: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            unit_price: None,
            unit_cost: None,
        }
    }
}

/// A recurring contract (Autotask contract, ConnectWise agreement) and its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contract {
    /// PSA contract id.
    pub id: String,
    /// The company it bills.
    pub company_id: String,
    /// Display name.
    pub name: String,
    /// Its recurring service lines.
    pub lines: Vec<Line>,
    /// Services the contract bills inside a bundle (Autotask Service Bundles) rather than on a
    /// line of their own: a missing line for one of them is not to be created.
    pub bundled: Vec<BundledService>,
}

/// A service billed on a contract as part of a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundledService {
    /// The service (the identifier config maps to).
    pub service_id: String,
    /// The bundle, for people: its ids as the PSA shows them.
    pub bundle: String,
}

/// One recurring line of a contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// PSA line id.
    pub id: String,
    /// The service it bills (the identifier config maps to).
    pub service_id: String,
    /// The quantity in force on the date it was read for.
    pub quantity: Decimal,
    /// Why the PSA holds no quantity for the date (Autotask: no ContractServiceUnits row covers
    /// it). `quantity` is then 0, which is no reading: nothing may be written from it.
    pub quantity_unknown: Option<String>,
    /// What the line bills per unit, as the PSA holds it (`None`: the PSA did not say).
    pub unit_price: Option<Decimal>,
    /// What the line costs the MSP per unit, as the PSA holds it (`None`: not said).
    pub unit_cost: Option<Decimal>,
}

/// Everything the planner needs from the PSA.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PsaSnapshot {
    /// Active customer companies.
    pub companies: Vec<Company>,
    /// The service catalogue.
    pub services: Vec<Service>,
    /// Active recurring contracts, with quantities at the effective date.
    pub contracts: Vec<Contract>,
}

/// Identifies one contract line for a write.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineRef {
    /// Contract id.
    pub contract: String,
    /// Line id.
    pub line: String,
}
