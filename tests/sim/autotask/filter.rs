//! Autotask's JSON query filters, compiled once per query and matched against rows.

use super::*;

/// A body field, matched case-insensitively (the API accepts both casings).
pub(super) fn field<'v>(body: &'v Value, name: &str) -> Option<&'v Value> {
    let object = body.as_object()?;
    object.get(name).or_else(|| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

/// A compiled filter condition.
pub(super) enum Condition {
    Compare {
        field: String,
        op: String,
        value: Value,
    },
    In {
        field: String,
        /// The list's whole numbers (ids, nearly always), looked up without formatting a row's
        /// value: a chunked `in` query tests every row of a large table.
        numbers: HashSet<i64>,
        /// Every value as JSON text, for the rest.
        values: HashSet<String>,
        negate: bool,
    },
    All(Vec<Condition>),
    Any(Vec<Condition>),
}

pub(super) fn compile(filter: &Value) -> Result<Condition, String> {
    let op = field(filter, "op")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_ascii_lowercase();
    let items = || -> Result<Vec<Condition>, String> {
        field(filter, "items")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("'{op}' needs items"))?
            .iter()
            .map(compile)
            .collect()
    };
    let name = || {
        field(filter, "field")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("'{op}' needs a field"))
    };
    match op.as_str() {
        "and" => Ok(Condition::All(items()?)),
        "or" => Ok(Condition::Any(items()?)),
        "in" | "notin" => {
            let values = field(filter, "value")
                .and_then(Value::as_array)
                .ok_or("'in' needs a list value")?;
            Ok(Condition::In {
                field: name()?,
                numbers: values.iter().filter_map(Value::as_i64).collect(),
                values: values.iter().map(Value::to_string).collect(),
                negate: op == "notin",
            })
        }
        "eq" | "noteq" | "gt" | "gte" | "lt" | "lte" => Ok(Condition::Compare {
            field: name()?,
            op,
            value: field(filter, "value").cloned().unwrap_or(Value::Null),
        }),
        other => Err(format!("Unsupported filter operator '{other}'.")),
    }
}

impl Condition {
    /// The whole numbers this condition requires `name` to be one of (an `eq` or an `in` of
    /// whole numbers), if it is such a condition: every row it matches holds one of them
    /// there, so an index on `name` can pick the rows to test.
    pub(super) fn integers(&self, name: &str) -> Option<Vec<i64>> {
        match self {
            Self::Compare { field, op, value }
                if op == "eq" && field.eq_ignore_ascii_case(name) =>
            {
                value.as_i64().map(|n| vec![n])
            }
            Self::In {
                field,
                numbers,
                values,
                negate: false,
            } if field.eq_ignore_ascii_case(name) && numbers.len() == values.len() => {
                Some(numbers.iter().copied().collect())
            }
            _ => None,
        }
    }

    pub(super) fn matches(&self, row: &Value) -> bool {
        match self {
            Self::All(items) => items.iter().all(|c| c.matches(row)),
            Self::Any(items) => items.iter().any(|c| c.matches(row)),
            Self::In {
                field: f,
                numbers,
                values,
                negate,
            } => {
                let found = field(row, f).is_some_and(|v| match v.as_i64() {
                    Some(n) => numbers.contains(&n),
                    None => values.contains(&v.to_string()),
                });
                found != *negate
            }
            Self::Compare {
                field: f,
                op,
                value,
            } => {
                let Some(actual) = field(row, f) else {
                    return false;
                };
                let Some(order) = compare(actual, value) else {
                    return op == "noteq";
                };
                match op.as_str() {
                    "eq" => order == Ordering::Equal,
                    "noteq" => order != Ordering::Equal,
                    "gt" => order == Ordering::Greater,
                    "gte" => order != Ordering::Less,
                    "lt" => order == Ordering::Less,
                    _ => order != Ordering::Greater,
                }
            }
        }
    }
}

/// Numbers as integers, booleans, and strings (dates compared as dates).
fn compare(actual: &Value, wanted: &Value) -> Option<Ordering> {
    match (actual, wanted) {
        (Value::Number(a), Value::Number(b)) => Some(a.as_i64()?.cmp(&b.as_i64()?)),
        (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
        (Value::String(a), Value::String(b)) => match (date_of(actual), date_of(wanted)) {
            (Some(a), Some(b)) => Some(a.cmp(&b)),
            _ => Some(a.to_ascii_lowercase().cmp(&b.to_ascii_lowercase())),
        },
        _ => None,
    }
}
