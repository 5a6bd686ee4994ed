//! The simulated entities' behaviour: paged queries, adjustments that split units at their
//! effective date, and contract lines created under their contract.

use super::filter::{Condition, compile, field};
use super::server::errors;
use super::*;

impl State {
    pub(super) fn query(&mut self, entity: &str, body: &[u8], token: Option<String>) -> Response {
        let Some(key) = ENTITIES
            .iter()
            .copied()
            .find(|e| e.eq_ignore_ascii_case(entity))
        else {
            return errors(StatusCode::NOT_FOUND, &["no such entity"]);
        };
        let Ok(body) = serde_json::from_slice::<Value>(body) else {
            return errors(
                StatusCode::BAD_REQUEST,
                &["The request body is not valid JSON."],
            );
        };
        let max = field(&body, "MaxRecords")
            .and_then(Value::as_u64)
            .unwrap_or(500) as usize;
        if !(1..=PAGE).contains(&max) {
            return errors(
                StatusCode::BAD_REQUEST,
                &["MaxRecords must be between 1 and 500."],
            );
        }
        let Some(filter) = field(&body, "filter")
            .and_then(Value::as_array)
            .filter(|f| !f.is_empty())
        else {
            return errors(StatusCode::BAD_REQUEST, &["A filter is required."]);
        };
        let conditions = match filter.iter().map(compile).collect::<Result<Vec<_>, _>>() {
            Ok(c) => c,
            Err(message) => return errors(StatusCode::BAD_REQUEST, &[&message]),
        };
        let (offset, cached) = match token {
            None => (0, None),
            Some(token) => match self.pages.get(&token) {
                Some((e, b, offset, rows)) if e == key && *b == body => {
                    (*offset, Some(Arc::clone(rows)))
                }
                Some(_) => {
                    return errors(
                        StatusCode::BAD_REQUEST,
                        &["The next page must be requested with the original query."],
                    );
                }
                None => return errors(StatusCode::BAD_REQUEST, &["Unknown paging token."]),
            },
        };
        let matched = cached.unwrap_or_else(|| {
            let positions =
                indexed(&conditions).map(|(field, keys)| self.positions(key, field, &keys));
            let rows = self.rows(key);
            let candidates: Box<dyn Iterator<Item = &Value>> = match &positions {
                Some(positions) => Box::new(positions.iter().map(|&i| &rows[i])),
                None => Box::new(rows.iter()),
            };
            let mut matched: Vec<Value> = candidates
                .filter(|row| conditions.iter().all(|c| c.matches(row)))
                .cloned()
                .collect();
            matched.sort_by_key(|r| r["id"].as_i64());
            Arc::new(matched)
        });
        // Served from the query's snapshot without copying the page again.
        let items = &matched[offset.min(matched.len())..(offset + max).min(matched.len())];
        let end = offset + items.len();
        let next = if end < matched.len() {
            let token = format!("p{}", self.pages.len() + 1);
            self.pages.insert(
                token.clone(),
                (key.to_owned(), body.clone(), end, Arc::clone(&matched)),
            );
            Value::String(format!(
                "{}/V1.0/{key}/query/next?paging={token}",
                self.base
            ))
        } else {
            Value::Null
        };
        axum::Json(Page {
            items,
            page_details: json!({"count": items.len(), "requestCount": max,
                "prevPageUrl": null, "nextPageUrl": next}),
        })
        .into_response()
    }

    pub(super) fn adjust(&mut self, body: &[u8]) -> Response {
        let Ok(body) = serde_json::from_slice::<Value>(body) else {
            return errors(
                StatusCode::BAD_REQUEST,
                &["The request body is not valid JSON."],
            );
        };
        let change = match field(&body, "unitChange") {
            Some(Value::Number(n)) if n.is_i64() => n.as_i64().unwrap_or(0),
            Some(other) => {
                let message = format!("Unable to convert value '{other}' of unitChange to Int32.");
                return errors(StatusCode::INTERNAL_SERVER_ERROR, &[&message]);
            }
            None => {
                return errors(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &["unitChange is required."],
                );
            }
        };
        let Some(effective) = field(&body, "effectiveDate").and_then(date_of) else {
            return errors(
                StatusCode::INTERNAL_SERVER_ERROR,
                &["effectiveDate is required."],
            );
        };
        let line = field(&body, "contractServiceID").and_then(Value::as_i64);
        let contract = field(&body, "contractID").and_then(Value::as_i64);
        let service = field(&body, "serviceID").and_then(Value::as_i64);
        let candidates = match (line, contract) {
            (Some(line), _) => self.positions("ContractServices", "id", &[line]),
            (None, Some(contract)) => self.positions("ContractServices", "contractID", &[contract]),
            (None, None) => Vec::new(),
        };
        let rows = self.rows("ContractServices");
        let found = candidates.iter().map(|&i| &rows[i]).find(|r| match line {
            Some(line) => r["id"] == line,
            None => r["contractID"] == json!(contract) && r["serviceID"] == json!(service),
        });
        let Some(found) = found.cloned() else {
            return errors(
                StatusCode::INTERNAL_SERVER_ERROR,
                &["The referenced ContractService does not exist."],
            );
        };
        if contract.is_some_and(|c| found["contractID"] != c) {
            return errors(
                StatusCode::INTERNAL_SERVER_ERROR,
                &["contractServiceID does not belong to contractID."],
            );
        }
        let line = found["id"].as_i64().unwrap_or(0);
        // Assumed (no source states the rule): no units outside the contract's dates.
        let (start, end) = self.contract_dates(found["contractID"].as_i64().unwrap_or(0));
        if effective < start || end < effective {
            return errors(
                StatusCode::INTERNAL_SERVER_ERROR,
                &["The effectiveDate is outside the contract's start and end dates."],
            );
        }
        if let Err(message) = self.split_units(&found, effective, change) {
            return errors(StatusCode::INTERNAL_SERVER_ERROR, &[&message]);
        }
        let id = self.take_id("ContractServiceAdjustments");
        let mut record = body.clone();
        record["id"] = json!(id);
        record["contractServiceID"] = json!(line);
        self.adjustments.push(record);
        axum::Json(json!({"itemId": id})).into_response()
    }

    /// Applies `change` from `effective` on: a period containing the date splits there.
    fn split_units(
        &mut self,
        line: &Value,
        effective: NaiveDate,
        change: i64,
    ) -> Result<(), String> {
        let line_id = line["id"].clone();
        let positions = self.unit_positions(line_id.as_i64().unwrap_or(0));
        let rows = self.rows("ContractServiceUnits");
        let affected: Vec<usize> = positions
            .into_iter()
            .filter(|&i| date_of(&rows[i]["endDate"]).is_some_and(|e| e >= effective))
            .collect();
        if affected
            .iter()
            .any(|&i| rows[i]["units"].as_i64().unwrap_or(0) + change < 0)
        {
            return Err("The adjustment would make the units negative.".into());
        }
        let mut added = Vec::new();
        for &i in &affected {
            let start = date_of(&rows[i]["startDate"]).unwrap_or(effective);
            let units = rows[i]["units"].as_i64().unwrap_or(0);
            if start < effective {
                let mut tail = rows[i].clone();
                tail["startDate"] = json!(day(effective));
                tail["units"] = json!(units + change);
                rows[i]["endDate"] = json!(day(effective - chrono::Days::new(1)));
                added.push(tail);
            } else {
                rows[i]["units"] = json!(units + change);
            }
        }
        if affected.is_empty() {
            if change < 0 {
                return Err("The adjustment would make the units negative.".into());
            }
            let start = effective;
            let (_, contract_end) = self.contract_dates(line["contractID"].as_i64().unwrap_or(0));
            let end = (NaiveDate::from_ymd_opt(start.year(), start.month(), 1).unwrap_or(start)
                + Months::new(1)
                - chrono::Days::new(1))
            .min(contract_end);
            added.push(
                json!({"contractID": line["contractID"], "contractServiceID": line_id,
                "serviceID": line["serviceID"], "startDate": day(start), "endDate": day(end),
                "units": change, "price": line["unitPrice"], "approveAndPostDate": null}),
            );
        }
        for mut row in added {
            row["id"] = json!(self.take_id("ContractServiceUnits"));
            self.rows("ContractServiceUnits").push(row);
        }
        Ok(())
    }

    pub(super) fn add_contract_service(&mut self, contract: &str, body: &[u8]) -> Response {
        let Ok(body) = serde_json::from_slice::<Value>(body) else {
            return errors(
                StatusCode::BAD_REQUEST,
                &["The request body is not valid JSON."],
            );
        };
        let Ok(contract) = contract.parse::<i64>() else {
            return errors(StatusCode::NOT_FOUND, &["no such contract"]);
        };
        let Some(service) = field(&body, "serviceID").and_then(Value::as_i64) else {
            return errors(
                StatusCode::INTERNAL_SERVER_ERROR,
                &["serviceID is required."],
            );
        };
        let recurring = self
            .rows("Contracts")
            .iter()
            .any(|c| c["id"] == contract && c["contractType"] == 7);
        if !recurring {
            return errors(
                StatusCode::INTERNAL_SERVER_ERROR,
                &["contractID must reference a Recurring Service contract."],
            );
        }
        if !self.rows("Services").iter().any(|s| s["id"] == service) {
            return errors(
                StatusCode::INTERNAL_SERVER_ERROR,
                &["serviceID does not exist."],
            );
        }
        let duplicate = self
            .rows("ContractServices")
            .iter()
            .any(|l| l["contractID"] == contract && l["serviceID"] == service);
        if duplicate {
            return errors(
                StatusCode::INTERNAL_SERVER_ERROR,
                &["This service is already on the contract."],
            );
        }
        // Swagger ContractServiceModel.UnitPrice; without one the line bills 0 (no source says
        // it takes the Service's price).
        let price = field(&body, "unitPrice").cloned().unwrap_or(json!(0));
        let id = self.create_line(contract, service, 0, None, price);
        axum::Json(json!({"itemId": id})).into_response()
    }

    /// `GET /V1.0/{Entity}/entityInformation/fields` (Swagger FieldInformationResultModel):
    /// the picklists the simulator knows for the entity; other fields are left out.
    pub(super) fn fields(&self, entity: &str) -> Response {
        let fields: Vec<Value> = self
            .picklists
            .iter()
            .filter(|((e, _), _)| e.eq_ignore_ascii_case(entity))
            .map(|((_, name), values)| {
                let values: Vec<Value> = values
                    .iter()
                    .enumerate()
                    .map(|(i, (value, label))| {
                        json!({"value": value, "label": label, "isDefaultValue": false,
                               "sortOrder": i, "parentValue": "", "isActive": true,
                               "isSystem": true})
                    })
                    .collect();
                json!({"name": name, "dataType": "integer", "isRequired": true,
                       "isReadOnly": false, "isQueryable": true, "isReference": false,
                       "isPickList": true, "picklistValues": values})
            })
            .collect();
        axum::Json(json!({"fields": fields})).into_response()
    }
}

/// A query's answer, serialised straight from the rows it borrows.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Page<'a> {
    items: &'a [Value],
    page_details: Value,
}

/// Fields the simulator indexes (whole numbers that never change on a row), tried in order.
const INDEXED: [&str; 3] = ["id", "contractServiceID", "contractID"];

/// The indexed field and its wanted values that pick a query's candidate rows, when one of
/// its top-level conditions pins an indexed field (the conditions are and-ed).
fn indexed(conditions: &[Condition]) -> Option<(&'static str, Vec<i64>)> {
    INDEXED.iter().find_map(|&field| {
        conditions
            .iter()
            .find_map(|c| c.integers(field))
            .map(|keys| (field, keys))
    })
}
