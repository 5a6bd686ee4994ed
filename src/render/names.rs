//! Plain words for ids and settings, shared by every plan renderer: a PSA service's catalogue
//! name beside its id (Autotask's ids are bare numbers such as `31`), and rounding and actions
//! said as a reviewer would say them ("whole units", "no change").
//!
//! Owns wording only; the values come from the plan and are escaped by the caller's renderer.

use std::borrow::Cow;

use crate::plan::ActionKind;
use crate::usage::Rounding;

/// `Keeper Business Plus (31)`: the name with the id beside it; the id alone when the
/// catalogue gave no name or the name is the id.
pub fn service<'a>(id: &'a str, name: &str) -> Cow<'a, str> {
    if name.is_empty() || name == id {
        Cow::Borrowed(id)
    } else {
        Cow::Owned(format!("{name} ({id})"))
    }
}

/// `nearest, whole units`, `up, 2 decimals`.
pub fn rounding(rounding: Rounding) -> String {
    match rounding.decimals {
        0 => format!("{}, whole units", rounding.mode),
        1 => format!("{}, 1 decimal", rounding.mode),
        n => format!("{}, {n} decimals", rounding.mode),
    }
}

/// `create`, `update`, `no change`.
pub fn action(action: ActionKind) -> &'static str {
    match action {
        ActionKind::Create => "create",
        ActionKind::Update => "update",
        ActionKind::NoOp => "no change",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usage::RoundingMode;

    #[test]
    fn a_service_name_goes_beside_its_id_unless_it_adds_nothing() {
        assert_eq!(
            service("31", "Keeper Business Plus"),
            "Keeper Business Plus (31)"
        );
        assert_eq!(service("KEEPER-BP", "KEEPER-BP"), "KEEPER-BP");
        assert_eq!(service("31", ""), "31");
    }

    #[test]
    fn rounding_and_actions_in_plain_words() {
        let whole = Rounding {
            mode: RoundingMode::Nearest,
            decimals: 0,
        };
        assert_eq!(rounding(whole), "nearest, whole units");
        assert_eq!(
            rounding(Rounding {
                mode: RoundingMode::Up,
                decimals: 2
            }),
            "up, 2 decimals"
        );
        assert_eq!(action(ActionKind::NoOp), "no change");
    }
}
