//! ConnectWise's JSON shapes, and their conversion into reckon's [`crate::observed`] types.
//!
//! Private to the adapter: nothing here leaves `psa::connectwise`. Quantities arrive as JSON
//! numbers (doubles in ConnectWise's model) and are read into `Decimal` from their shortest
//! text form, never through arithmetic on `f64`. Deciding whether a line is in force on a date
//! happens here, from `effectiveDate`/`cancelledDate`, because ConnectWise's `cancelledDate=null`
//! condition would drop lines whose cancellation is still in the future.
//!
//! Field by field, these follow ConnectWise's OpenAPI document (`cw-api.json`, "Connectwise
//! Manage Public Endpoints" 2025.8, as published in github.com/ai-connor/connectwise): every field
//! it marks `nullable` is an `Option` here, and so is every field it does not list as `required`
//! (an absent field and a `null` read the same). The schema paths are given per field.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::observed::{Company as ObservedCompany, Line, Service};
use crate::psa::number::decimal;

/// A reference to another record: `{id, identifier?, name?}`
/// (`#/components/schemas/CompanyReference`, `…/IvItemReference`: `id` nullable, `identifier`
/// optional).
#[derive(Debug, Clone, Deserialize)]
pub(super) struct Reference {
    #[serde(default)]
    pub id: Option<i64>,
    #[serde(default)]
    pub identifier: Option<String>,
}

/// `GET /login/companyinfo/{companyId}`.
#[derive(Debug, Deserialize)]
pub(super) struct CompanyInfo {
    #[serde(rename = "Codebase")]
    pub codebase: Option<String>,
}

/// `GET /system/info`.
#[derive(Debug, Deserialize)]
pub(super) struct SystemInfo {
    #[serde(default)]
    pub version: Option<String>,
}

/// `GET /company/companies` (`#/components/schemas/Company`: `id`, and `name` required).
#[derive(Debug, Deserialize)]
pub(super) struct Company {
    pub id: i64,
    pub name: String,
}

/// `GET /procurement/catalog` (`#/components/schemas/CatalogItem`: `identifier` and
/// `description` required, `price` nullable).
#[derive(Debug, Deserialize)]
pub(super) struct CatalogItem {
    pub identifier: String,
    #[serde(default)]
    pub description: Option<String>,
    /// `#/components/schemas/CatalogItem/properties/price`: a double, nullable.
    #[serde(default)]
    pub price: Option<serde_json::Number>,
    /// `#/components/schemas/CatalogItem/properties/cost`: a double, nullable.
    #[serde(default)]
    pub cost: Option<serde_json::Number>,
}

/// `GET /finance/agreements` (`#/components/schemas/Agreement`: `name` and `company` required;
/// `startDate`, `endDate` optional; `noEndingDateFlag` nullable).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Agreement {
    pub id: i64,
    pub name: String,
    pub company: Reference,
    #[serde(default)]
    pub start_date: Option<String>,
    #[serde(default)]
    pub end_date: Option<String>,
    #[serde(default)]
    pub no_ending_date_flag: Option<bool>,
}

/// `GET /finance/agreements/{id}/additions` (`#/components/schemas/Addition`: `product`
/// required; `quantity` nullable; `effectiveDate`, `cancelledDate` optional).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Addition {
    pub id: i64,
    pub product: Reference,
    /// `#/components/schemas/Addition/properties/quantity`: a double, nullable. `None` when null
    /// or absent, read as 0 (see [`Addition::quantity`]).
    #[serde(default)]
    pub quantity: Option<serde_json::Number>,
    /// `#/components/schemas/Addition/properties/unitPrice` and `…/unitCost`: doubles, optional
    /// (the price billed and the cost per unit; `extPrice`, `lessIncluded` are not read).
    #[serde(default)]
    pub unit_price: Option<serde_json::Number>,
    #[serde(default)]
    pub unit_cost: Option<serde_json::Number>,
    #[serde(default)]
    pub effective_date: Option<String>,
    #[serde(default)]
    pub cancelled_date: Option<String>,
}

/// The body of `POST /finance/agreements/{id}/additions`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct NewAddition {
    pub product: ProductByIdentifier,
    pub bill_customer: &'static str,
    pub quantity: serde_json::Value,
    /// `#/components/schemas/Addition/properties/unitPrice`: the catalog item's price, sent
    /// rather than left to ConnectWise's default (which the schema does not state).
    pub unit_price: serde_json::Value,
    pub effective_date: String,
}

/// A product referenced by its Product ID.
#[derive(Debug, Serialize)]
pub(super) struct ProductByIdentifier {
    pub identifier: String,
}

/// One JSON-Patch operation, ConnectWise style (`path` without a leading slash).
#[derive(Debug, Serialize)]
pub(super) struct PatchOperation {
    pub op: &'static str,
    pub path: &'static str,
    pub value: serde_json::Value,
}

/// The body of `POST /system/bundles`: several GETs in one request.
#[derive(Debug, Serialize)]
pub(super) struct BundleRequest {
    pub requests: Vec<BundledGet>,
}

/// One GET inside a bundle.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct BundledGet {
    pub version: &'static str,
    pub sequence_number: usize,
    pub resource_type: &'static str,
    pub api_request: BundledApiRequest,
}

/// What a bundled GET asks for: a child list of `parent_id`, one page.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct BundledApiRequest {
    pub parent_id: i64,
    pub page: BundledPage,
}

/// A bundled GET's page.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct BundledPage {
    pub page: u32,
    pub page_size: u32,
}

/// The answer to `POST /system/bundles`.
#[derive(Debug, Deserialize)]
pub(super) struct BundleResponse {
    pub results: Vec<BundleResult>,
}

/// One bundled GET's answer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct BundleResult {
    pub sequence_number: usize,
    #[serde(default)]
    pub success: bool,
    #[serde(default)]
    pub count: Option<u64>,
    #[serde(default)]
    pub entities: Option<Vec<Addition>>,
}

impl BundleResult {
    /// The additions, when the GET succeeded and returned all of them (a `count` above the
    /// entities returned means more pages, which are read directly instead).
    pub fn complete(self) -> Option<Vec<Addition>> {
        let entities = self.entities.filter(|_| self.success)?;
        let all = self
            .count
            .is_none_or(|count| count <= entities.len() as u64);
        all.then_some(entities)
    }
}

/// ConnectWise's error body: `{code, message, errors: [{code, message, field}]}`.
#[derive(Debug, Deserialize)]
pub(super) struct ErrorBody {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub errors: Vec<FieldError>,
}

/// One entry of [`ErrorBody::errors`].
#[derive(Debug, Deserialize)]
pub(super) struct FieldError {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub field: Option<String>,
}

impl ErrorBody {
    /// `InvalidObject: Addition object is invalid (quantity: InvalidField, must be positive)`.
    pub fn summary(&self) -> String {
        let mut text = match (&self.code, &self.message) {
            (Some(code), Some(message)) => format!("{code}: {message}"),
            (None, Some(message)) => message.clone(),
            (Some(code), None) => code.clone(),
            (None, None) => "no error message".to_owned(),
        };
        let details: Vec<String> = self
            .errors
            .iter()
            .map(|e| {
                let parts: Vec<&str> =
                    [e.field.as_deref(), e.code.as_deref(), e.message.as_deref()]
                        .into_iter()
                        .flatten()
                        .collect();
                parts.join(" ")
            })
            .filter(|d| !d.is_empty())
            .collect();
        if !details.is_empty() {
            text.push_str(&format!(" ({})", details.join("; ")));
        }
        text
    }
}

/// A wire value reckon cannot interpret; the adapter adds which record it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Unreadable {
    pub field: &'static str,
    pub value: String,
}

impl Company {
    pub fn observed(self) -> ObservedCompany {
        ObservedCompany {
            id: self.id.to_string(),
            name: self.name,
        }
    }
}

impl CatalogItem {
    /// The price as an exact decimal; `None` when the catalog has none.
    pub fn price(&self) -> Result<Option<Decimal>, Unreadable> {
        self.price
            .as_ref()
            .map(|price| {
                decimal(price).ok_or_else(|| Unreadable {
                    field: "price",
                    value: price.to_string(),
                })
            })
            .transpose()
    }

    /// The catalogue entry, its price and cost read exactly (one that does not read is
    /// unknown: nothing is guessed).
    pub fn observed(self) -> Service {
        Service {
            name: self.description.unwrap_or_else(|| self.identifier.clone()),
            id: self.identifier,
            unit_price: self.price.as_ref().and_then(crate::psa::number::decimal),
            unit_cost: self.cost.as_ref().and_then(crate::psa::number::decimal),
        }
    }
}

impl Agreement {
    /// Whether the agreement runs on `at`: started (or no start date) and not ended before it.
    pub fn runs_on(&self, at: NaiveDate) -> Result<bool, Unreadable> {
        let started = date(self.start_date.as_deref(), "startDate")?.is_none_or(|d| d <= at);
        let open_ended = self.no_ending_date_flag.unwrap_or(false);
        let ended =
            !open_ended && date(self.end_date.as_deref(), "endDate")?.is_some_and(|d| d < at);
        Ok(started && !ended)
    }
}

impl Addition {
    /// Whether the addition bills on `at`: effective on or before it, and not cancelled on or
    /// before it (a cancellation dated after `at` still bills on `at`).
    pub fn in_force_on(&self, at: NaiveDate) -> Result<bool, Unreadable> {
        let effective = date(self.effective_date.as_deref(), "effectiveDate")?;
        let cancelled = date(self.cancelled_date.as_deref(), "cancelledDate")?;
        Ok(effective.is_none_or(|d| d <= at) && cancelled.is_none_or(|d| d > at))
    }

    /// The quantity as an exact decimal; a null (or absent) quantity is 0, which is what
    /// ConnectWise bills for it (unverified against a live tenant) and what the plan then shows.
    pub fn quantity(&self) -> Result<Decimal, Unreadable> {
        let Some(quantity) = &self.quantity else {
            return Ok(Decimal::ZERO);
        };
        decimal(quantity).ok_or_else(|| Unreadable {
            field: "quantity",
            value: quantity.to_string(),
        })
    }

    /// The Product ID this addition bills.
    pub fn product_id(&self) -> Result<&str, Unreadable> {
        self.product
            .identifier
            .as_deref()
            .filter(|id| !id.is_empty())
            .ok_or_else(|| Unreadable {
                field: "product.identifier",
                value: "(missing)".into(),
            })
    }

    pub fn line(&self) -> Result<Line, Unreadable> {
        Ok(Line {
            id: self.id.to_string(),
            service_id: self.product_id()?.to_owned(),
            quantity: self.quantity()?.normalize(),
            quantity_unknown: None,
            unit_price: amount(self.unit_price.as_ref(), "unitPrice")?,
            unit_cost: amount(self.unit_cost.as_ref(), "unitCost")?,
        })
    }
}

/// An optional price field as an exact decimal (`None` when absent or null).
fn amount(
    number: Option<&serde_json::Number>,
    field: &'static str,
) -> Result<Option<Decimal>, Unreadable> {
    crate::psa::number::optional_amount(number).map_err(|value| Unreadable { field, value })
}

/// A quantity (or price) as the JSON value ConnectWise takes: a number when it survives the trip through a
/// double unchanged (always, for plan-rounded quantities), its exact text otherwise (ConnectWise
/// accepts a string value in a patch operation).
pub(super) fn number_value(quantity: Decimal) -> serde_json::Value {
    let quantity = quantity.normalize();
    if quantity.fract().is_zero()
        && let Ok(whole) = i64::try_from(quantity.mantissa())
        && quantity.scale() == 0
    {
        return serde_json::Value::from(whole);
    }
    let text = quantity.to_string();
    let as_number = text
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .filter(|n| decimal(n) == Some(quantity));
    match as_number {
        Some(number) => serde_json::Value::Number(number),
        None => serde_json::Value::String(text),
    }
}

/// `2026-11-01T00:00:00Z` (or a bare `2026-11-01`) as a date; `None` when absent or empty.
fn date(text: Option<&str>, field: &'static str) -> Result<Option<NaiveDate>, Unreadable> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    DateTime::parse_from_rfc3339(text)
        .map(|d| d.date_naive())
        .or_else(|_| NaiveDate::from_str(text))
        .map(Some)
        .map_err(|_| Unreadable {
            field,
            value: text.to_owned(),
        })
}

/// A date as ConnectWise writes datetimes: midnight UTC.
pub(super) fn datetime(at: NaiveDate) -> String {
    format!("{}T00:00:00Z", at.format("%Y-%m-%d"))
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("date")
    }

    fn addition(effective: Option<&str>, cancelled: Option<&str>) -> Addition {
        Addition {
            id: 1,
            product: Reference {
                id: Some(7),
                identifier: Some("KEEPER-BP".into()),
            },
            quantity: Some(serde_json::Number::from(3)),
            unit_price: None,
            unit_cost: None,
            effective_date: effective.map(str::to_owned),
            cancelled_date: cancelled.map(str::to_owned),
        }
    }

    #[test]
    fn a_future_cancellation_still_bills_on_the_effective_date() {
        let at = day("2026-11-01");
        let future = addition(Some("2026-01-01T00:00:00Z"), Some("2026-11-30T00:00:00Z"));
        assert_eq!(future.in_force_on(at), Ok(true));
        let past = addition(Some("2026-01-01T00:00:00Z"), Some("2026-10-31T00:00:00Z"));
        assert_eq!(past.in_force_on(at), Ok(false));
        let same_day = addition(None, Some("2026-11-01T00:00:00Z"));
        assert_eq!(same_day.in_force_on(at), Ok(false));
    }

    #[test]
    fn a_line_starting_after_the_effective_date_does_not_bill_yet() {
        let at = day("2026-11-01");
        assert_eq!(
            addition(Some("2026-11-02T00:00:00Z"), None).in_force_on(at),
            Ok(false)
        );
        assert_eq!(
            addition(Some("2026-11-01T00:00:00Z"), None).in_force_on(at),
            Ok(true)
        );
        assert_eq!(addition(None, None).in_force_on(at), Ok(true));
    }

    #[test]
    fn unreadable_dates_are_reported_not_guessed() {
        let odd = addition(Some("next tuesday"), None);
        assert_eq!(
            odd.in_force_on(day("2026-11-01")),
            Err(Unreadable {
                field: "effectiveDate",
                value: "next tuesday".into()
            })
        );
    }

    #[test]
    fn quantities_are_read_exactly_from_their_text() {
        let parsed: Addition =
            serde_json::from_str(r#"{"id":5,"product":{"id":1,"identifier":"X"},"quantity":12.1}"#)
                .expect("addition");
        assert_eq!(parsed.quantity(), Ok(dec!(12.1)));
        let big: Addition =
            serde_json::from_str(r#"{"id":5,"product":{"identifier":"X"},"quantity":1e3}"#)
                .expect("addition");
        assert_eq!(big.quantity(), Ok(dec!(1000)));
    }

    #[test]
    fn a_null_or_absent_quantity_reads_as_zero() {
        // The schema marks `Addition.quantity` nullable.
        for text in [
            r#"{"id":5,"product":{"identifier":"X"},"quantity":null}"#,
            r#"{"id":5,"product":{"identifier":"X"}}"#,
        ] {
            let parsed: Addition = serde_json::from_str(text).expect("addition");
            assert_eq!(parsed.quantity(), Ok(Decimal::ZERO), "{text}");
        }
        let item: CatalogItem =
            serde_json::from_str(r#"{"identifier":"X","description":"x","price":null}"#)
                .expect("item");
        assert_eq!(item.price(), Ok(None));
        let priced: CatalogItem =
            serde_json::from_str(r#"{"identifier":"X","description":"x","price":4.35}"#)
                .expect("item");
        assert_eq!(priced.price(), Ok(Some(dec!(4.35))));
    }

    #[test]
    fn quantities_are_written_as_numbers_that_read_back_exactly() {
        assert_eq!(number_value(dec!(12)).to_string(), "12");
        assert_eq!(number_value(dec!(12.00)).to_string(), "12");
        assert_eq!(number_value(dec!(9.35)).to_string(), "9.35");
        assert_eq!(number_value(dec!(0.1)).to_string(), "0.1");
        // 19 significant digits do not survive a double: sent as exact text instead.
        assert_eq!(
            number_value(dec!(1234567.890123456789)).to_string(),
            "\"1234567.890123456789\""
        );
    }

    #[test]
    fn agreements_run_between_their_start_and_end_dates() {
        let mut agreement = Agreement {
            id: 1,
            name: "MSA".into(),
            company: Reference {
                id: Some(2),
                identifier: None,
            },
            start_date: Some("2026-01-01T00:00:00Z".into()),
            end_date: Some("2026-10-31T00:00:00Z".into()),
            no_ending_date_flag: Some(false),
        };
        assert_eq!(agreement.runs_on(day("2026-11-01")), Ok(false));
        agreement.no_ending_date_flag = Some(true);
        assert_eq!(agreement.runs_on(day("2026-11-01")), Ok(true));
        agreement.start_date = Some("2026-12-01T00:00:00Z".into());
        assert_eq!(agreement.runs_on(day("2026-11-01")), Ok(false));
    }

    #[test]
    fn only_complete_successful_bundle_results_are_used() {
        let result = |text: &str| serde_json::from_str::<BundleResult>(text).expect("result");
        let entity = r#"{"id":1,"product":{"identifier":"X"},"quantity":2}"#;
        let ok =
            format!(r#"{{"sequenceNumber":1,"success":true,"count":1,"entities":[{entity}]}}"#);
        assert_eq!(result(&ok).complete().map(|e| e.len()), Some(1));
        let more =
            format!(r#"{{"sequenceNumber":1,"success":true,"count":1001,"entities":[{entity}]}}"#);
        assert!(
            result(&more).complete().is_none(),
            "truncated: read directly"
        );
        let failed =
            r#"{"sequenceNumber":1,"success":false,"statusCode":404,"error":{"code":"NotFound"}}"#;
        assert!(result(failed).complete().is_none());
    }

    #[test]
    fn error_bodies_read_as_one_line() {
        let body: ErrorBody = serde_json::from_str(
            r#"{"code":"InvalidObject","message":"Addition object is invalid",
                "errors":[{"code":"InvalidField","message":"Quantity is not a field","field":"Quantity"}]}"#,
        )
        .expect("body");
        assert_eq!(
            body.summary(),
            "InvalidObject: Addition object is invalid (Quantity InvalidField Quantity is not a field)"
        );
    }
}
