//! Autotask's wire format: query bodies, the entity records reckon reads, and the records it
//! writes. Private to the adapter; nothing here leaves `psa::autotask`.
//!
//! JSON on the wire is camelCase (`contractID`, `unitChange`) although the Swagger shows
//! PascalCase. Quantities written to Autotask are [`WholeUnits`], which can only be built by a
//! checked conversion from a decimal, so a fraction cannot reach the API by construction.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The most rows Autotask returns per page, and so the `MaxRecords` reckon always asks for.
pub const PAGE_SIZE: u32 = 500;

/// The most values reckon puts in one `in` filter (the SOAP-era limit of 500 conditions).
pub const IN_CHUNK: usize = 500;

/// A whole number of units: the only quantity type that can be written to Autotask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct WholeUnits(i64);

/// A quantity that Autotask cannot hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitsError {
    /// Autotask's `units` and `unitChange` are int32: no fractions.
    #[error("{0} is not a whole number; Autotask takes whole units only")]
    Fraction(Decimal),
    /// Beyond int32.
    #[error("{0} is out of range for Autotask units")]
    OutOfRange(Decimal),
}

impl TryFrom<Decimal> for WholeUnits {
    type Error = UnitsError;

    fn try_from(value: Decimal) -> Result<Self, Self::Error> {
        if !value.fract().is_zero() {
            return Err(UnitsError::Fraction(value));
        }
        let whole = value.to_i32().ok_or(UnitsError::OutOfRange(value))?;
        Ok(Self(i64::from(whole)))
    }
}

impl WholeUnits {
    /// Units as read from Autotask (already whole).
    pub fn from_wire(units: i64) -> Self {
        Self(units)
    }

    /// For reckon's core, which counts in decimals.
    pub fn to_decimal(self) -> Decimal {
        Decimal::from(self.0)
    }

    /// `self - other`: the `unitChange` that takes `other` to `self`.
    pub fn minus(self, other: Self) -> Self {
        Self(self.0.saturating_sub(other.0))
    }
}

impl std::fmt::Display for WholeUnits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// One filter condition or group.
pub fn eq(field: &str, value: impl Into<Value>) -> Value {
    json!({"op": "eq", "field": field, "value": value.into()})
}

/// `field` is one of `values`.
pub fn is_in(field: &str, values: &[i64]) -> Value {
    json!({"op": "in", "field": field, "value": values})
}

/// `field <= value`.
pub fn lte(field: &str, value: impl Into<Value>) -> Value {
    json!({"op": "lte", "field": field, "value": value.into()})
}

/// `field >= value`.
pub fn gte(field: &str, value: impl Into<Value>) -> Value {
    json!({"op": "gte", "field": field, "value": value.into()})
}

/// A query body: top-level conditions are ANDed.
pub fn query(filter: Vec<Value>, max_records: u32) -> Value {
    json!({"MaxRecords": max_records, "filter": filter})
}

/// Autotask's date-time form for a calendar date (midnight, zone-less, as the API stores dates).
pub fn date_time(date: chrono::NaiveDate) -> String {
    format!("{}T00:00:00", date.format("%Y-%m-%d"))
}

pub use crate::psa::number::decimal;

/// The date part of an Autotask date-time.
pub fn date_of(text: &str) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(text.get(..10)?, "%Y-%m-%d").ok()
}

/// A page of query results.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    /// The rows.
    pub items: Vec<T>,
    /// Where the next page is.
    pub page_details: Option<PageDetails>,
}

/// Paging information of a query response.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageDetails {
    /// The next page, to be POSTed with the same body; null on the last page.
    pub next_page_url: Option<String>,
}

/// `{"errors": [...]}`: strings, or objects with a message.
#[derive(Debug, Default, Deserialize)]
pub struct Errors {
    /// What went wrong.
    #[serde(default)]
    pub errors: Vec<Value>,
}

impl Errors {
    /// The messages, joined for a human.
    pub fn messages(&self) -> Vec<String> {
        self.errors
            .iter()
            .map(|e| match e {
                Value::String(s) => s.clone(),
                other => other
                    .get("message")
                    .and_then(Value::as_str)
                    .map_or_else(|| other.to_string(), str::to_owned),
            })
            .collect()
    }
}

/// The answer to a create: `{"itemId": N}` by Autotask's REST conventions (DeveloperHelp,
/// REST_Create_Update_Delete), or the created record itself (`{"id": N, …}`), which is what the
/// Swagger documents for `POST /V1.0/Contracts/{parentId}/Services` (ContractServiceModel).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Created {
    /// The new record's id, by convention.
    #[serde(default)]
    pub item_id: Option<i64>,
    /// The new record's id, when the record is returned.
    #[serde(default)]
    pub id: Option<i64>,
}

impl Created {
    /// The new record's id, whichever way it came.
    pub fn new_id(&self) -> Option<i64> {
        self.item_id.or(self.id)
    }
}

/// `GET /V1.0/{Entity}/entityInformation/fields` (Swagger: FieldInformationResultModel).
#[derive(Debug, Deserialize)]
pub struct Fields {
    /// Every field of the entity.
    #[serde(default)]
    pub fields: Vec<FieldInfo>,
}

/// One field's metadata (Swagger: FieldInformationModel).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldInfo {
    /// Field name, e.g. `companyType`.
    pub name: String,
    /// Its picklist, when it is one.
    #[serde(default)]
    pub picklist_values: Option<Vec<PicklistValue>>,
}

/// One picklist entry (Swagger: PickListValue; `value` is a string there).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PicklistValue {
    /// The stored value, e.g. `"7"`.
    pub value: Value,
    /// What the UI shows, e.g. `Recurring Service`.
    #[serde(default)]
    pub label: String,
    /// Whether it can still be chosen.
    #[serde(default)]
    pub is_active: Option<bool>,
}

/// `zoneInformation` answer.
#[derive(Debug, Deserialize)]
pub struct ZoneInfo {
    /// The zone's REST root.
    pub url: String,
}

/// `ThresholdInformation` answer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Threshold {
    /// Requests allowed per timeframe.
    pub external_request_threshold: i64,
    /// Requests used in the current timeframe.
    pub current_timeframe_request_count: i64,
}

/// A company.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Company {
    /// Id.
    pub id: i64,
    /// Name.
    pub company_name: String,
}

/// A catalogue service.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Its catalogue price (Swagger ServiceModel.UnitPrice, a double; kept as the number
    /// Autotask sent so it goes back unchanged).
    #[serde(default)]
    pub unit_price: Option<serde_json::Number>,
    /// Its catalogue cost (Swagger `#/definitions/ServiceModel/properties/UnitCost`, a double).
    #[serde(default)]
    pub unit_cost: Option<serde_json::Number>,
}

/// A contract.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Contract {
    /// Id.
    pub id: i64,
    /// The company it bills.
    #[serde(rename = "companyID")]
    pub company_id: i64,
    /// Name.
    pub contract_name: String,
    /// First day in force (`status` is a manual flag; the dates decide).
    #[serde(default)]
    pub start_date: Option<String>,
    /// Last day in force.
    #[serde(default)]
    pub end_date: Option<String>,
}

impl Contract {
    /// Whether the contract is in force on `at`: started on or before it, and ending on or
    /// after it. A date that is missing or unreadable does not count as in force.
    pub fn in_force(&self, at: chrono::NaiveDate) -> bool {
        let day = |text: &Option<String>| text.as_deref().and_then(date_of);
        day(&self.start_date).is_some_and(|s| s <= at)
            && day(&self.end_date).is_some_and(|e| at <= e)
    }
}

/// A Service Bundle on a contract (Swagger: ContractServiceBundleModel).
#[derive(Debug, Deserialize)]
pub struct ContractServiceBundle {
    /// Id.
    pub id: i64,
    /// Contract.
    #[serde(rename = "contractID")]
    pub contract_id: i64,
    /// The catalogue bundle.
    #[serde(rename = "serviceBundleID")]
    pub service_bundle_id: i64,
}

/// One service of a catalogue bundle (Swagger: ServiceBundleServiceModel).
#[derive(Debug, Deserialize)]
pub struct ServiceBundleService {
    /// The bundle.
    #[serde(rename = "serviceBundleID")]
    pub service_bundle_id: i64,
    /// The service in it.
    #[serde(rename = "serviceID")]
    pub service_id: i64,
}

/// A contract line (which service is on a contract; it holds no quantity).
#[derive(Debug, Deserialize)]
pub struct ContractService {
    /// Id.
    pub id: i64,
    /// Contract.
    #[serde(rename = "contractID")]
    pub contract_id: i64,
    /// Service.
    #[serde(rename = "serviceID")]
    pub service_id: i64,
    /// `#/definitions/ContractServiceModel/properties/UnitPrice` (double): the price per unit.
    /// (The Swagger has no `adjustedPrice` on ContractService; `InternalCurrencyAdjustedPrice`
    /// is the multi-currency figure and `ContractServiceAdjustments.AdjustedUnitPrice` a
    /// create-only change, so neither is read.)
    #[serde(default, rename = "unitPrice")]
    pub unit_price: Option<serde_json::Number>,
    /// `#/definitions/ContractServiceModel/properties/UnitCost` (double): the cost per unit.
    #[serde(default, rename = "unitCost")]
    pub unit_cost: Option<serde_json::Number>,
}

/// The units of one contract line over one date range.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContractServiceUnit {
    /// The line.
    #[serde(rename = "contractServiceID")]
    pub contract_service_id: i64,
    /// The line's service.
    #[serde(rename = "serviceID")]
    pub service_id: i64,
    /// First day covered.
    pub start_date: String,
    /// Last day covered.
    pub end_date: String,
    /// Units in force (int32 on the wire).
    pub units: i64,
}

/// The body of a quantity change.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Adjustment {
    /// Contract.
    #[serde(rename = "contractID")]
    pub contract_id: i64,
    /// Line.
    #[serde(rename = "contractServiceID")]
    pub contract_service_id: i64,
    /// Service.
    #[serde(rename = "serviceID")]
    pub service_id: i64,
    /// From when.
    pub effective_date: String,
    /// Units to add (negative removes).
    pub unit_change: WholeUnits,
}

/// The body of a new contract line.
#[derive(Debug, Serialize)]
pub struct NewContractService {
    /// Contract.
    #[serde(rename = "contractID")]
    pub contract_id: i64,
    /// Service.
    #[serde(rename = "serviceID")]
    pub service_id: i64,
    /// Price per unit (Swagger ContractServiceModel.UnitPrice). Always sent: no source says a
    /// line created without one takes the Service's price.
    #[serde(rename = "unitPrice")]
    pub unit_price: serde_json::Number,
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn whole_units_accept_whole_decimals_in_any_scale() {
        assert_eq!(WholeUnits::try_from(dec!(12)), Ok(WholeUnits(12)));
        assert_eq!(WholeUnits::try_from(dec!(12.000)), Ok(WholeUnits(12)));
        assert_eq!(WholeUnits::try_from(dec!(-3)), Ok(WholeUnits(-3)));
        assert_eq!(WholeUnits::try_from(dec!(0)), Ok(WholeUnits(0)));
    }

    #[test]
    fn whole_units_reject_fractions_and_overflow() {
        assert_eq!(
            WholeUnits::try_from(dec!(2.5)),
            Err(UnitsError::Fraction(dec!(2.5)))
        );
        assert_eq!(
            WholeUnits::try_from(dec!(3000000000)),
            Err(UnitsError::OutOfRange(dec!(3000000000)))
        );
    }

    #[test]
    fn adjustments_serialize_unit_change_as_a_json_integer() {
        let body = Adjustment {
            contract_id: 1,
            contract_service_id: 2,
            service_id: 3,
            effective_date: date_time(chrono::NaiveDate::from_ymd_opt(2026, 11, 1).expect("date")),
            unit_change: WholeUnits::try_from(dec!(-4.0)).expect("whole"),
        };
        assert_eq!(
            serde_json::to_value(&body).expect("json"),
            json!({"contractID": 1, "contractServiceID": 2, "serviceID": 3,
                   "effectiveDate": "2026-11-01T00:00:00", "unitChange": -4})
        );
    }
}
