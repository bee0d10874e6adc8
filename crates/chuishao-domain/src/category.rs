//! The problem taxonomy, in the style of GB/T 30428.2: two classes (components 部件 and
//! events 事件), a 2-digit major and a 2-digit minor code, names in Chinese and English, the
//! department that handles it by default, its deadline tier and its ownership rule.
//!
//! A category's code is the class letter plus major and minor: `C0101` (component 01/01),
//! `E0502` (event 05/02). The catalogue is data the operator edits (see `Catalogue`).

use crate::DomainError;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// Component (部件: a physical thing with an owner) or event (事件: something happening).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CategoryClass {
    Component,
    Event,
}

impl CategoryClass {
    pub fn as_str(self) -> &'static str {
        match self {
            CategoryClass::Component => "component",
            CategoryClass::Event => "event",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "component" => Some(CategoryClass::Component),
            "event" => Some(CategoryClass::Event),
            _ => None,
        }
    }
    fn letter(self) -> char {
        match self {
            CategoryClass::Component => 'C',
            CategoryClass::Event => 'E',
        }
    }
    /// GB/T practice: components go to their owner first, events to the territory first.
    pub fn default_ownership(self) -> OwnershipRule {
        match self {
            CategoryClass::Component => OwnershipRule::OwnerFirst,
            CategoryClass::Event => OwnershipRule::TerritoryFirst,
        }
    }
}

/// Deadline tier (the four tiers of the 2020 Beijing opinion). The deadlines module turns a
/// tier into clocks; here it is only a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UrgencyTier {
    /// Danger to life or property: 2 hours, wall clock.
    Emergency,
    /// Water, power, gas, heating: 24 hours, wall clock.
    Utilities,
    /// General: 7 working days.
    Normal,
    /// Complex: 15 working days.
    Complex,
}

impl UrgencyTier {
    pub fn as_str(self) -> &'static str {
        match self {
            UrgencyTier::Emergency => "emergency",
            UrgencyTier::Utilities => "utilities",
            UrgencyTier::Normal => "normal",
            UrgencyTier::Complex => "complex",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [UrgencyTier::Emergency, UrgencyTier::Utilities, UrgencyTier::Normal, UrgencyTier::Complex]
            .into_iter()
            .find(|t| t.as_str() == s)
    }
}

/// Who is asked to act first: the owner of the thing, or the territory it lies in. The
/// territory is always the fallback owner of last resort (属地兜底).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OwnershipRule {
    OwnerFirst,
    TerritoryFirst,
}

/// The unit the ownership rule suggests for a case, by code: the category's department when
/// the category is owner-first and names one; otherwise the territory (the case's
/// subdistrict), the owner of last resort; the department only when no territory is known.
/// `None` when neither is known.
pub fn suggested_handler<'a>(
    rule: Option<OwnershipRule>,
    department: Option<&'a str>,
    territory: Option<&'a str>,
) -> Option<&'a str> {
    match (rule, department) {
        (Some(OwnershipRule::OwnerFirst), Some(d)) => Some(d),
        _ => territory.or(department),
    }
}

impl OwnershipRule {
    pub fn as_str(self) -> &'static str {
        match self {
            OwnershipRule::OwnerFirst => "owner_first",
            OwnershipRule::TerritoryFirst => "territory_first",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "owner_first" => Some(OwnershipRule::OwnerFirst),
            "territory_first" => Some(OwnershipRule::TerritoryFirst),
            _ => None,
        }
    }
}

/// One minor category, flattened with its major.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    /// `C0101`-style code: class letter, major, minor.
    pub code: String,
    pub class: CategoryClass,
    pub major_code: String,
    pub minor_code: String,
    pub major_name_zh: String,
    pub major_name_en: String,
    pub name_zh: String,
    pub name_en: String,
    pub description_zh: String,
    pub description_en: String,
    /// Code of the department that handles this category by default.
    pub department_code: Option<String>,
    pub tier: UrgencyTier,
    pub ownership: OwnershipRule,
}

/// The catalogue file format (TOML), as an operator edits it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    #[serde(rename = "major")]
    pub majors: Vec<MajorEntry>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MajorEntry {
    pub class: CategoryClass,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    #[serde(rename = "minor")]
    pub minors: Vec<MinorEntry>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MinorEntry {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    #[serde(default)]
    pub description_zh: String,
    #[serde(default)]
    pub description_en: String,
    #[serde(default)]
    pub department: Option<String>,
    #[serde(default = "default_tier")]
    pub tier: UrgencyTier,
    #[serde(default)]
    pub ownership: Option<OwnershipRule>,
}

fn default_tier() -> UrgencyTier {
    UrgencyTier::Normal
}

fn two_digits(field: &'static str, s: &str) -> Result<(), DomainError> {
    if s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()) && s != "00" {
        Ok(())
    } else {
        Err(DomainError::invalid(field, format!("expected two digits 01–99, got {s:?}")))
    }
}

impl Catalogue {
    /// Validates the catalogue and flattens it into categories, in file order. Checks code
    /// shapes, non-empty names and duplicate codes. Department codes are checked against the
    /// organisation tree by the caller, which knows it.
    pub fn flatten(&self) -> Result<Vec<Category>, DomainError> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        for major in &self.majors {
            two_digits("major.code", &major.code)?;
            if major.name_zh.trim().is_empty() || major.name_en.trim().is_empty() {
                return Err(DomainError::invalid("major.name", format!("major {} needs both names", major.code)));
            }
            for minor in &major.minors {
                two_digits("minor.code", &minor.code)?;
                let code = format!("{}{}{}", major.class.letter(), major.code, minor.code);
                if minor.name_zh.trim().is_empty() || minor.name_en.trim().is_empty() {
                    return Err(DomainError::invalid("minor.name", format!("{code} needs both names")));
                }
                if !seen.insert(code.clone()) {
                    return Err(DomainError::invalid("minor.code", format!("duplicate category {code}")));
                }
                out.push(Category {
                    code,
                    class: major.class,
                    major_code: major.code.clone(),
                    minor_code: minor.code.clone(),
                    major_name_zh: major.name_zh.clone(),
                    major_name_en: major.name_en.clone(),
                    name_zh: minor.name_zh.clone(),
                    name_en: minor.name_en.clone(),
                    description_zh: minor.description_zh.clone(),
                    description_en: minor.description_en.clone(),
                    department_code: minor.department.clone(),
                    tier: minor.tier,
                    ownership: minor.ownership.unwrap_or(major.class.default_ownership()),
                });
            }
        }
        if out.is_empty() {
            return Err(DomainError::invalid("major", "the catalogue is empty"));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod suggestion_tests {
    use super::*;

    #[test]
    fn owner_first_goes_to_the_department_otherwise_the_territory_backs_up() {
        let (d, t) = (Some("CGZF"), Some("110199001"));
        assert_eq!(suggested_handler(Some(OwnershipRule::OwnerFirst), d, t), d);
        assert_eq!(suggested_handler(Some(OwnershipRule::TerritoryFirst), d, t), t);
        assert_eq!(suggested_handler(None, d, t), t, "an unclassified case goes to its territory");
        assert_eq!(suggested_handler(Some(OwnershipRule::OwnerFirst), None, t), t, "no owner: the territory");
        assert_eq!(suggested_handler(Some(OwnershipRule::TerritoryFirst), d, None), d, "no territory known");
        assert_eq!(suggested_handler(Some(OwnershipRule::OwnerFirst), None, None), None);
    }

    proptest::proptest! {
        /// Whatever the inputs, the suggestion is one of them, and the territory wins unless
        /// the category is owner-first with a department.
        #[test]
        fn the_suggestion_is_always_a_candidate(rule in 0u8..3, dept in proptest::option::of("[A-Z]{2,5}"),
                                                terr in proptest::option::of("[0-9]{9}")) {
            let rule = [None, Some(OwnershipRule::OwnerFirst), Some(OwnershipRule::TerritoryFirst)][rule as usize];
            let got = suggested_handler(rule, dept.as_deref(), terr.as_deref());
            proptest::prop_assert!(got.is_none() || got == dept.as_deref() || got == terr.as_deref());
            proptest::prop_assert_eq!(got.is_none(), dept.is_none() && terr.is_none());
            let owner_wins = rule == Some(OwnershipRule::OwnerFirst) && dept.is_some();
            if terr.is_some() && !owner_wins {
                proptest::prop_assert_eq!(got, terr.as_deref());
            }
        }
    }
}
