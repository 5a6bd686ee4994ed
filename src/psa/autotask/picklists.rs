//! The picklist values reckon filters by — customer companies, recurring-service contracts,
//! active contracts — read from the tenant instead of assumed, and kept for a week.
//!
//! The Swagger has no enums; the values 1, 7 and 1 come from vendor doc pages and client code.
//! So the adapter reads `GET /V1.0/Companies/entityInformation/fields` and
//! `GET /V1.0/Contracts/entityInformation/fields` (Swagger: FieldInformationResultModel →
//! FieldInformationModel.PicklistValues → PickListValue {Value, Label, IsActive}) and takes the
//! value labelled `Customer` (Companies.companyType), `Recurring Service` (Contracts.contractType)
//! and `Active` (Contracts.status). Two requests, then none until the cache in the state folder
//! (`.reckon/autotask-picklists.json`) is a week old or names another zone. A cache that cannot
//! be read or written is ignored: it saves requests, it decides nothing.

use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::client::{CallError, Client};
use super::wire::{self, FieldInfo};

/// The cache file's name inside the state folder.
pub const CACHE_FILE: &str = "autotask-picklists.json";

/// How long a cached reading is trusted. Picklist values are set up once per tenant and
/// rarely change; a week bounds how long a change goes unseen.
const MAX_AGE: Duration = Duration::days(7);

/// The values reckon's queries filter by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Picklists {
    /// `Companies.companyType` of a customer.
    pub customer: i64,
    /// `Contracts.contractType` of a Recurring Service contract.
    pub recurring_service: i64,
    /// `Contracts.status` of an active contract.
    pub active: i64,
}

/// The cache file's content.
#[derive(Debug, Serialize, Deserialize)]
struct Cached {
    /// The zone the values were read from (a different zone is a different tenant).
    zone: String,
    /// When they were read.
    read_at: DateTime<Utc>,
    #[serde(flatten)]
    values: Picklists,
}

/// Why the picklists could not be established.
#[derive(Debug, thiserror::Error)]
pub enum PicklistError {
    /// The metadata could not be read.
    #[error("Autotask {entity}/entityInformation/fields: {error}")]
    Read {
        /// The entity whose fields were asked for.
        entity: &'static str,
        /// What went wrong.
        error: CallError,
    },
    /// The picklist has no (or more than one) value with the label reckon needs.
    #[error(
        "Autotask's {entity}.{field} picklist has {found} value labelled \"{label}\" (it has: {values}); reckon uses it to choose the {entity} it reads: check the picklist in Autotask (Admin → Features & Settings), or report the label your tenant uses"
    )]
    Label {
        /// Entity.
        entity: &'static str,
        /// Field.
        field: &'static str,
        /// The label looked for.
        label: &'static str,
        /// `no` or `more than one`.
        found: &'static str,
        /// `value label` pairs found.
        values: String,
    },
}

/// The picklist values for the tenant at `zone`: from the cache under `cache_dir` when it is
/// fresh, else read from Autotask (and cached).
pub async fn resolve(
    client: &Client,
    zone: &str,
    cache_dir: Option<&Path>,
    now: DateTime<Utc>,
) -> Result<Picklists, PicklistError> {
    let path = cache_dir.map(|dir| dir.join(CACHE_FILE));
    if let Some(values) = path.as_deref().and_then(|p| cached(p, zone, now)) {
        return Ok(values);
    }
    let values = read(client).await?;
    if let Some(path) = &path {
        store(path, zone, now, values);
    }
    Ok(values)
}

/// Both entities' fields, read at once.
async fn read(client: &Client) -> Result<Picklists, PicklistError> {
    let fields = |entity: &'static str| async move {
        client
            .get::<wire::Fields>(&format!("{entity}/entityInformation/fields"))
            .await
            .map(|f| f.fields)
            .map_err(|error| PicklistError::Read { entity, error })
    };
    let (companies, contracts) = tokio::try_join!(fields("Companies"), fields("Contracts"))?;
    Ok(Picklists {
        customer: value(&companies, "Companies", "companyType", "Customer")?,
        recurring_service: value(&contracts, "Contracts", "contractType", "Recurring Service")?,
        active: value(&contracts, "Contracts", "status", "Active")?,
    })
}

/// The one value of `entity.field` labelled `label` (case and surrounding spaces ignored; an
/// inactive entry only when no active one has the label).
fn value(
    fields: &[FieldInfo],
    entity: &'static str,
    field: &'static str,
    label: &'static str,
) -> Result<i64, PicklistError> {
    let entries = fields
        .iter()
        .find(|f| f.name.eq_ignore_ascii_case(field))
        .and_then(|f| f.picklist_values.as_deref())
        .unwrap_or_default();
    let numeric = |v: &wire::PicklistValue| match &v.value {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    let labelled: Vec<&wire::PicklistValue> = entries
        .iter()
        .filter(|v| v.label.trim().eq_ignore_ascii_case(label) && numeric(v).is_some())
        .collect();
    let active: Vec<&wire::PicklistValue> = labelled
        .iter()
        .copied()
        .filter(|v| v.is_active != Some(false))
        .collect();
    let chosen = if active.is_empty() { labelled } else { active };
    match chosen.as_slice() {
        [one] => Ok(numeric(one).unwrap_or_default()),
        several => Err(PicklistError::Label {
            entity,
            field,
            label,
            found: if several.is_empty() {
                "no"
            } else {
                "more than one"
            },
            values: listed(entries),
        }),
    }
}

fn listed(entries: &[wire::PicklistValue]) -> String {
    if entries.is_empty() {
        return "no values".into();
    }
    entries
        .iter()
        .map(|v| {
            let value = match &v.value {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            format!("{value} {}", v.label)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The cached values, when the file is readable, for `zone`, and younger than [`MAX_AGE`]
/// (a reading from the future — a clock set back — is not trusted either).
fn cached(path: &Path, zone: &str, now: DateTime<Utc>) -> Option<Picklists> {
    let state_dir = path.parent()?;
    let within = crate::state::within_workspace(state_dir);
    let text = crate::fsio::read::text(path, within, crate::fsio::limit::LOCK).ok()?;
    let cached: Cached = serde_json::from_str(&text).ok()?;
    let age = now.signed_duration_since(cached.read_at);
    (cached.zone == zone && age >= Duration::zero() && age < MAX_AGE).then_some(cached.values)
}

/// Writes the cache through a temporary file, so a reader never sees half of it, never through
/// a link (the state folder's rules: [`crate::fsio::write`]).
fn store(path: &Path, zone: &str, now: DateTime<Utc>, values: Picklists) {
    let cached = Cached {
        zone: zone.to_owned(),
        read_at: now,
        values,
    };
    let Ok(text) = serde_json::to_string_pretty(&cached) else {
        return;
    };
    let Some(root) = path.parent().and_then(Path::parent) else {
        return;
    };
    if crate::state::dir(root).is_ok() {
        let _ = crate::fsio::write::replace(path, text.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(json: serde_json::Value) -> Vec<FieldInfo> {
        serde_json::from_value::<wire::Fields>(json)
            .expect("fields")
            .fields
    }

    #[test]
    fn the_value_is_found_by_its_label_whatever_its_number() {
        let contracts = fields(serde_json::json!({"fields": [
            {"name": "status", "isPickList": true, "picklistValues": [
                {"value": "0", "label": "Inactive", "isActive": true},
                {"value": "3", "label": " active ", "isActive": true}]}]}));
        assert_eq!(
            value(&contracts, "Contracts", "status", "Active").ok(),
            Some(3)
        );
    }

    #[test]
    fn a_missing_or_doubled_label_is_an_error_listing_the_values() {
        let contracts = fields(serde_json::json!({"fields": [
            {"name": "contractType", "picklistValues": [
                {"value": "1", "label": "Time and Materials"},
                {"value": "8", "label": "Per Ticket"}]},
            {"name": "status", "picklistValues": [
                {"value": "1", "label": "Active"}, {"value": "2", "label": "Active"}]}]}));
        let missing = value(&contracts, "Contracts", "contractType", "Recurring Service")
            .expect_err("no such label")
            .to_string();
        assert!(
            missing.contains("has no value labelled \"Recurring Service\"")
                && missing.contains("1 Time and Materials, 8 Per Ticket"),
            "{missing}"
        );
        let doubled = value(&contracts, "Contracts", "status", "Active")
            .expect_err("two")
            .to_string();
        assert!(doubled.contains("more than one"), "{doubled}");
    }

    #[test]
    fn an_inactive_duplicate_gives_way_to_the_active_entry() {
        let companies = fields(serde_json::json!({"fields": [
            {"name": "companyType", "picklistValues": [
                {"value": 9, "label": "Customer", "isActive": false},
                {"value": 1, "label": "Customer", "isActive": true}]}]}));
        assert_eq!(
            value(&companies, "Companies", "companyType", "Customer").ok(),
            Some(1)
        );
    }

    #[test]
    fn the_cache_is_used_for_its_zone_for_a_week_only() {
        let root = tempfile::tempdir().expect("temp dir");
        let path = root.path().join(crate::state::STATE_DIR).join(CACHE_FILE);
        let values = Picklists {
            customer: 1,
            recurring_service: 7,
            active: 1,
        };
        let then: DateTime<Utc> = "2026-11-01T00:00:00Z".parse().expect("time");
        store(&path, "https://zone/", then, values);
        assert_eq!(
            cached(&path, "https://zone/", then + Duration::days(6)),
            Some(values)
        );
        assert_eq!(
            cached(&path, "https://zone/", then + Duration::days(7)),
            None
        );
        assert_eq!(cached(&path, "https://other/", then), None);
        assert_eq!(
            cached(&path, "https://zone/", then - Duration::hours(1)),
            None
        );
        std::fs::write(&path, "{not json").expect("corrupt");
        assert_eq!(cached(&path, "https://zone/", then), None);
    }
}
