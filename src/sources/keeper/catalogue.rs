//! Keeper's MSP products as Keeper Commander 18.1.8 names them (`keepercommander/constants.py`:
//! `MSP_FILE_PLANS` at lines 21-25, `MSP_PLANS` at 27-33, `MSP_ADDONS` at 35-51).
//!
//! Pure data and lookups. The billing report prints display names (`Business Plus`); people
//! also write Commander's codes (`businessPlus`), so both resolve to the display name, which is
//! the one spelling the rest of reckon compares. A product Commander has no name for is printed
//! as its bare number (`commands/msp.py:845-867`), which stays mappable as written.

use crate::diagnostic::nearest;

/// One Keeper product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Product {
    /// Commander's code, e.g. `businessPlus`.
    pub code: &'static str,
    /// The display name the billing report prints, e.g. `Business Plus`.
    pub name: &'static str,
}

const fn product(code: &'static str, name: &'static str) -> Product {
    Product { code, name }
}

/// Every product an MSP can be billed for: base plans, storage plans, add-ons.
pub const PRODUCTS: [Product; 23] = [
    product("business", "Business"),
    product("businessPlus", "Business Plus"),
    product("businessStarter", "Business Starter"),
    product("enterprise", "Enterprise"),
    product("enterprisePlus", "Enterprise Plus"),
    // MSP file plans (constants.py:21-25); the enterprise list's STORAGE_1000GB/STORAGE_10000GB
    // are other codes for the same sizes, accepted with a warning (see DEPRECATED_CODES).
    product("STORAGE_100GB", "100GB"),
    product("STORAGE_1TB", "1TB"),
    product("STORAGE_10TB", "10TB"),
    product("chat", "KeeperChat"),
    product(
        "enterprise_audit_and_reporting",
        "Advanced Reporting & Alerts Module",
    ),
    product(
        "professional_services_silver_add_on",
        "Professional Services & Support Silver Plan",
    ),
    product(
        "gold_professional_services_add_on",
        "Professional Services & Support Gold Plan",
    ),
    product(
        "platinum_professional_services_add_on",
        "Professional Services & Support Platinum Plan",
    ),
    product("msp_service_and_support", "MSP Dedicated Service & Support"),
    product("consumer_breach_watch", "Consumer BreachWatch"),
    product("enterprise_breach_watch", "Enterprise BreachWatch"),
    product("compliance_report", "Compliance Reporting"),
    product("secrets_manager", "Keeper Secrets Manager (KSM)"),
    product("connection_manager", "Keeper Connection Manager (KCM)"),
    product("password_rotation", "Password Rotation"),
    product("remote_browser_isolation", "Remote Browser Isolation"),
    product(
        "privileged_access_manager",
        "Privileged Access Manager (PAM)",
    ),
    product(
        "keeper_endpoint_privilege_manager",
        "Keeper Endpoint Privilege Manager (KEPM)",
    ),
];

/// Codes reckon once listed that are not Commander's MSP codes (they are the enterprise storage
/// codes), with the MSP code for the same product. Still accepted, with a warning naming the
/// right one, so an existing mapping keeps billing.
pub const DEPRECATED_CODES: [(&str, &str); 2] = [
    ("STORAGE_1000GB", "STORAGE_1TB"),
    ("STORAGE_10000GB", "STORAGE_10TB"),
];

/// The product written as `text` (display name or code, exactly; not a deprecated code).
pub fn find(text: &str) -> Option<&'static Product> {
    PRODUCTS.iter().find(|p| p.name == text || p.code == text)
}

/// For a deprecated code, the product it stands for (found by its right code).
pub fn deprecated(text: &str) -> Option<&'static Product> {
    let (_, right) = DEPRECATED_CODES.iter().find(|(old, _)| *old == text)?;
    find(right)
}

/// The display name for `text` when it names a known product; otherwise `text` unchanged
/// (Commander prints a product id it does not know as its number, and that stays mappable).
pub fn display_name(text: &str) -> &str {
    find(text).map_or(text, |p| p.name)
}

/// Whether `text` is a bare product id, which Commander prints for products it does not know.
pub fn is_product_id(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// The display name nearest to `text` (by name or by code), for "did you mean" hints.
pub fn nearest_name(text: &str) -> Option<&'static str> {
    let names = PRODUCTS.iter().flat_map(|p| [p.name, p.code]);
    nearest(text, names).and_then(find).map(|p| p.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_resolve_to_the_display_name() {
        assert_eq!(display_name("businessPlus"), "Business Plus");
        assert_eq!(display_name("Business Plus"), "Business Plus");
        assert_eq!(display_name("STORAGE_1TB"), "1TB");
        assert_eq!(display_name("STORAGE_10TB"), "10TB");
        assert_eq!(display_name("STORAGE_100GB"), "100GB");
        assert_eq!(
            display_name("enterprise_audit_and_reporting"),
            "Advanced Reporting & Alerts Module"
        );
        assert_eq!(display_name("chat"), "KeeperChat");
    }

    #[test]
    fn the_enterprise_storage_codes_are_deprecated_spellings_of_the_msp_ones() {
        assert!(find("STORAGE_1000GB").is_none(), "not a Commander MSP code");
        assert_eq!(
            deprecated("STORAGE_1000GB").map(|p| p.code),
            Some("STORAGE_1TB")
        );
        assert_eq!(deprecated("STORAGE_10000GB").map(|p| p.name), Some("10TB"));
        assert!(deprecated("STORAGE_1TB").is_none());
    }

    #[test]
    fn unknown_products_pass_through_unchanged() {
        assert_eq!(display_name("Business Platinum"), "Business Platinum");
        assert_eq!(display_name("4711"), "4711");
        assert!(find("business plus").is_none(), "matching is exact");
    }

    #[test]
    fn nearest_suggests_a_display_name_for_typos_of_names_and_codes() {
        assert_eq!(nearest_name("Busines Plus"), Some("Business Plus"));
        assert_eq!(nearest_name("buisnessPlus"), Some("Business Plus"));
        assert_eq!(nearest_name("Keeper Chat"), Some("KeeperChat"));
        assert_eq!(nearest_name("Office 365 E3"), None);
    }

    #[test]
    fn names_and_codes_are_unique() {
        let mut all: Vec<&str> = PRODUCTS.iter().flat_map(|p| [p.name, p.code]).collect();
        let count = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), count);
    }

    #[test]
    fn only_digits_are_a_product_id() {
        assert!(is_product_id("4711"));
        assert!(!is_product_id("1TB"));
        assert!(!is_product_id(""));
    }
}
