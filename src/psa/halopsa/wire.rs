//! HaloPSA's JSON shapes, private to the adapter, and their conversion into reckon's terms.
//!
//! Field names and types follow the HaloPSA v2 OpenAPI document
//! (`shared/specs/halopsa-v2.openapi.json`, "Halo API v2", OpenAPI 3.0.1):
//! `components.schemas.Area` (a client), `Item`, `InvoiceHeader` (a recurring invoice) and
//! `InvoiceDetail` (its line). The document gives no response schemas for the list endpoints;
//! the wrapped list (`{"record_count": N, "clients": [...]}`, `"items"`, `"invoices"`) follows
//! public clients (see the README's HaloPSA section) and is unverified against a tenant.
//! Decides nothing: which records are in force is `in_force_on`'s reading of their dates.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::observed::{Company, Line, Service};
use crate::psa::number::decimal;

/// `POST {auth}/token`'s answer (OAuth2 client credentials).
#[derive(Deserialize)]
pub(super) struct Token {
    pub access_token: String,
    /// Seconds; absent means "unknown", and the token is then used until a 401.
    #[serde(default)]
    pub expires_in: Option<u64>,
}

/// One page of a list endpoint: `record_count` (all matching records, with `pageinate=true`)
/// and the rows under the endpoint's own key.
#[derive(Deserialize)]
pub(super) struct Page<T> {
    #[serde(default)]
    pub record_count: Option<u64>,
    #[serde(
        alias = "clients",
        alias = "items",
        alias = "invoices",
        default = "Vec::new"
    )]
    pub rows: Vec<T>,
}

/// `components.schemas.Area`: a client (customer).
#[derive(Deserialize)]
pub(super) struct Client {
    pub id: i64,
    #[serde(default)]
    pub name: Option<String>,
    /// `Area.inactive` (boolean, nullable).
    #[serde(default)]
    pub inactive: Option<bool>,
}

impl Client {
    pub fn active(&self) -> bool {
        self.inactive != Some(true)
    }

    pub fn observed(self) -> Company {
        Company {
            id: self.id.to_string(),
            name: self.name.unwrap_or_default(),
        }
    }
}

/// `components.schemas.Item`: a catalogue item. Its `id` is what a mapping names: Halo assigns
/// it and it survives renames and code changes (`name`, `internalreference` are editable).
#[derive(Deserialize)]
pub(super) struct Item {
    pub id: i64,
    #[serde(default)]
    pub name: Option<String>,
    /// `Item.baseprice` (number/double).
    #[serde(default)]
    pub baseprice: Option<serde_json::Number>,
    /// `Item.recurringprice` (number/double): the price on recurring invoices.
    #[serde(default)]
    pub recurringprice: Option<serde_json::Number>,
    /// `Item.isrecurringitem` (boolean).
    #[serde(default)]
    pub isrecurringitem: Option<bool>,
    /// `Item.costprice` (number/double, nullable): the item's cost per unit.
    #[serde(default)]
    pub costprice: Option<serde_json::Number>,
}

impl Item {
    /// The catalogue entry: the price a new recurring line gets ([`Item::price`]) when the
    /// item states one, and `costprice`.
    pub fn observed(self) -> Service {
        let recurring = self.recurringprice.is_some() && self.isrecurringitem == Some(true);
        let stated = recurring || self.baseprice.is_some();
        Service {
            unit_price: stated.then(|| self.price().ok()).flatten(),
            unit_cost: self.costprice.as_ref().and_then(decimal),
            id: self.id.to_string(),
            name: self.name.unwrap_or_default(),
        }
    }

    /// The unit price a new recurring line gets: the recurring price of a recurring item, else
    /// the base price.
    pub fn price(&self) -> Result<Decimal, Unreadable> {
        let recurring = self
            .recurringprice
            .as_ref()
            .filter(|_| self.isrecurringitem == Some(true));
        match recurring.or(self.baseprice.as_ref()) {
            Some(number) => decimal(number).ok_or_else(|| Unreadable {
                field: "price",
                value: number.to_string(),
            }),
            None => Ok(Decimal::ZERO),
        }
    }
}

/// `components.schemas.InvoiceHeader`: a recurring invoice, with `lines` when read with
/// `includelines=true` (lists) or `includedetails=true` (one).
#[derive(Deserialize)]
pub(super) struct Invoice {
    pub id: i64,
    #[serde(default)]
    pub client_id: Option<i64>,
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub invoicenumber: Option<String>,
    /// `InvoiceHeader.disabled` (boolean): a disabled recurring invoice creates no invoices.
    #[serde(default)]
    pub disabled: Option<bool>,
    /// `InvoiceHeader.startdate`/`enddate` (date-time).
    #[serde(default)]
    pub startdate: Option<String>,
    #[serde(default)]
    pub enddate: Option<String>,
    #[serde(default)]
    pub lines: Option<Vec<InvoiceLine>>,
}

impl Invoice {
    /// Whether it bills on `at`: not disabled, started, not ended before `at`.
    pub fn in_force_on(&self, at: NaiveDate) -> Result<bool, Unreadable> {
        Ok(self.disabled != Some(true) && within(&self.startdate, &self.enddate, at)?)
    }

    pub fn name(&self) -> String {
        self.reference
            .clone()
            .filter(|r| !r.trim().is_empty())
            .or_else(|| self.invoicenumber.clone())
            .unwrap_or_else(|| format!("Recurring invoice {}", self.id))
    }

    pub fn lines(&self) -> &[InvoiceLine] {
        self.lines.as_deref().unwrap_or(&[])
    }
}

/// `components.schemas.InvoiceDetail`: one line of a recurring invoice.
#[derive(Deserialize)]
pub(super) struct InvoiceLine {
    pub id: i64,
    /// `InvoiceDetail._itemid` (integer, nullable): the item billed; absent on text lines.
    #[serde(default, rename = "_itemid")]
    pub item_id: Option<i64>,
    /// `InvoiceDetail.qty_order` (number/double): decimals are taken.
    #[serde(default)]
    pub qty_order: Option<serde_json::Number>,
    /// `InvoiceDetail.unit_price` and `unit_cost` (number/double, nullable): the price billed
    /// and the cost per unit (`net_amount`, `prorata_unit_price` are not read).
    #[serde(default)]
    pub unit_price: Option<serde_json::Number>,
    #[serde(default)]
    pub unit_cost: Option<serde_json::Number>,
    /// `InvoiceDetail.isinactive` (boolean).
    #[serde(default)]
    pub isinactive: Option<bool>,
    /// `InvoiceDetail.startdate`/`enddate` (date-time).
    #[serde(default)]
    pub startdate: Option<String>,
    #[serde(default)]
    pub enddate: Option<String>,
}

impl InvoiceLine {
    /// Whether it bills on `at`: an item line, active, started, not ended before `at`.
    pub fn in_force_on(&self, at: NaiveDate) -> Result<bool, Unreadable> {
        Ok(self.item_id.is_some()
            && self.isinactive != Some(true)
            && within(&self.startdate, &self.enddate, at)?)
    }

    pub fn quantity(&self) -> Result<Decimal, Unreadable> {
        match &self.qty_order {
            None => Ok(Decimal::ZERO),
            Some(number) => decimal(number)
                .map(|q| q.normalize())
                .ok_or_else(|| Unreadable {
                    field: "qty_order",
                    value: number.to_string(),
                }),
        }
    }

    pub fn observed(&self) -> Result<Line, Unreadable> {
        Ok(Line {
            id: self.id.to_string(),
            service_id: self.item_id.map(|i| i.to_string()).unwrap_or_default(),
            quantity: self.quantity()?,
            // `qty_order` is the quantity itself (no dated units rows as in Autotask).
            quantity_unknown: None,
            unit_price: amount(self.unit_price.as_ref(), "unit_price")?,
            unit_cost: amount(self.unit_cost.as_ref(), "unit_cost")?,
        })
    }
}

/// A quantity change for `POST /RecurringInvoice/updatelines` (a body of `InvoiceDetail`s):
/// the line (`id`), its recurring invoice (`ihid`) and the new `qty_order`.
#[derive(Serialize)]
pub(super) struct QuantityChange {
    pub id: i64,
    pub ihid: i64,
    pub qty_order: serde_json::Value,
}

/// A new line for `POST /RecurringInvoice/updatelines`: no `id`, the item, quantity, the item's
/// price and the date it starts.
#[derive(Serialize)]
pub(super) struct NewLine {
    pub ihid: i64,
    #[serde(rename = "_itemid")]
    pub item_id: i64,
    pub qty_order: serde_json::Value,
    pub unit_price: serde_json::Value,
    pub startdate: String,
}

/// A value reckon could not read.
#[derive(Debug)]
pub(super) struct Unreadable {
    pub field: &'static str,
    pub value: String,
}

/// A decimal as a JSON number (HaloPSA's `number`/`double` fields), from its exact text.
pub(super) fn number(value: Decimal) -> serde_json::Value {
    let text = value.normalize().to_string();
    serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
}

/// A date as HaloPSA's date-time text.
pub(super) fn datetime(date: NaiveDate) -> String {
    format!("{date}T00:00:00")
}

/// An optional price field as an exact decimal (`None` when absent or null).
fn amount(
    number: Option<&serde_json::Number>,
    field: &'static str,
) -> Result<Option<Decimal>, Unreadable> {
    crate::psa::number::optional_amount(number).map_err(|value| Unreadable { field, value })
}

/// Whether `at` falls in `[start, end]` (either open when absent); an end on `at` still bills.
fn within(start: &Option<String>, end: &Option<String>, at: NaiveDate) -> Result<bool, Unreadable> {
    let started = match date(start, "startdate")? {
        Some(start) => start <= at,
        None => true,
    };
    let running = match date(end, "enddate")? {
        Some(end) => end >= at,
        None => true,
    };
    Ok(started && running)
}

/// The date of a HaloPSA date-time (`2026-11-01T00:00:00`, with or without zone or fraction).
fn date(value: &Option<String>, field: &'static str) -> Result<Option<NaiveDate>, Unreadable> {
    let Some(text) = value.as_deref().map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    text.get(..10)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .map(Some)
        .ok_or_else(|| Unreadable {
            field,
            value: text.to_owned(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(json: &str) -> InvoiceLine {
        serde_json::from_str(json).expect("line")
    }

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn a_line_is_in_force_between_its_dates_and_while_active() {
        let at = day("2026-11-01");
        let open = line(r#"{"id":1,"_itemid":5,"qty_order":3}"#);
        assert!(open.in_force_on(at).expect("dates"));
        let ended = line(r#"{"id":1,"_itemid":5,"enddate":"2026-10-31T00:00:00"}"#);
        assert!(!ended.in_force_on(at).expect("dates"));
        let ends_on = line(r#"{"id":1,"_itemid":5,"enddate":"2026-11-01T00:00:00"}"#);
        assert!(ends_on.in_force_on(at).expect("dates"));
        let later = line(r#"{"id":1,"_itemid":5,"startdate":"2026-11-02T00:00:00Z"}"#);
        assert!(!later.in_force_on(at).expect("dates"));
        let inactive = line(r#"{"id":1,"_itemid":5,"isinactive":true}"#);
        assert!(!inactive.in_force_on(at).expect("dates"));
        let text_line = line(r#"{"id":1,"qty_order":1}"#);
        assert!(!text_line.in_force_on(at).expect("dates"));
        let garbled = line(r#"{"id":1,"_itemid":5,"enddate":"soon"}"#);
        assert_eq!(
            garbled.in_force_on(at).expect_err("unreadable").field,
            "enddate"
        );
    }

    #[test]
    fn quantities_are_exact_decimals_both_ways() {
        let read = line(r#"{"id":1,"_itemid":5,"qty_order":9.36}"#);
        assert_eq!(read.quantity().expect("qty").to_string(), "9.36");
        let whole = line(r#"{"id":1,"_itemid":5,"qty_order":12.0}"#);
        assert_eq!(whole.quantity().expect("qty").to_string(), "12");
        assert_eq!(number(Decimal::new(723, 2)).to_string(), "7.23");
        assert_eq!(number(Decimal::new(1200, 2)).to_string(), "12");
    }

    #[test]
    fn a_new_line_is_priced_at_the_recurring_price_of_a_recurring_item() {
        let item: Item = serde_json::from_str(
            r#"{"id":3,"name":"Chat","baseprice":20,"recurringprice":2.5,"isrecurringitem":true}"#,
        )
        .expect("item");
        assert_eq!(item.price().expect("price").to_string(), "2.5");
        let one_off: Item =
            serde_json::from_str(r#"{"id":3,"baseprice":20,"recurringprice":2.5}"#).expect("item");
        assert_eq!(one_off.price().expect("price").to_string(), "20");
    }

    #[test]
    fn pages_read_each_endpoints_list_key() {
        let page: Page<Client> =
            serde_json::from_str(r#"{"record_count":3,"clients":[{"id":1,"name":"A"}]}"#)
                .expect("page");
        assert_eq!((page.record_count, page.rows.len()), (Some(3), 1));
        let page: Page<Invoice> =
            serde_json::from_str(r#"{"record_count":0,"invoices":[]}"#).expect("page");
        assert!(page.rows.is_empty());
    }
}
