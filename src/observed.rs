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
