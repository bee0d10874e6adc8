//! The organisation tree: district → subdistrict/township → community/village → grid, plus
//! functional departments and the units they station in subdistricts.
//!
//! Geographic codes follow Beijing's DB11 grid coding: a grid code is 15 digits — region (6,
//! GB/T 2260) + subdistrict (3) + community (3) + sequence (3) — and each higher level's code
//! is the matching prefix. Departments carry short mnemonic codes of their own.

use crate::DomainError;
use crate::ids::OrgId;
use serde::{Deserialize, Serialize};

/// The kind of an organisation node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    District,
    Subdistrict,
    Township,
    Community,
    Village,
    Grid,
    Department,
    StationedUnit,
}

impl OrgKind {
    pub const ALL: [OrgKind; 8] = [
        OrgKind::District,
        OrgKind::Subdistrict,
        OrgKind::Township,
        OrgKind::Community,
        OrgKind::Village,
        OrgKind::Grid,
        OrgKind::Department,
        OrgKind::StationedUnit,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::District => "district",
            OrgKind::Subdistrict => "subdistrict",
            OrgKind::Township => "township",
            OrgKind::Community => "community",
            OrgKind::Village => "village",
            OrgKind::Grid => "grid",
            OrgKind::Department => "department",
            OrgKind::StationedUnit => "stationed_unit",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        OrgKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Number of digits in a geographic code of this kind; `None` for departments.
    pub fn code_digits(self) -> Option<usize> {
        match self {
            OrgKind::District => Some(6),
            OrgKind::Subdistrict | OrgKind::Township => Some(9),
            OrgKind::Community | OrgKind::Village => Some(12),
            OrgKind::Grid => Some(15),
            OrgKind::Department | OrgKind::StationedUnit => None,
        }
    }

    /// Whether a node of this kind is a place on the map (as opposed to a department).
    pub fn is_geographic(self) -> bool {
        self.code_digits().is_some()
    }

    /// Whether a case may be dispatched to a node of this kind. Grids are places, not units
    /// that act; a district is the dispatcher itself.
    pub fn can_handle_cases(self) -> bool {
        !matches!(self, OrgKind::Grid | OrgKind::District)
    }

    /// The kinds a parent of this kind may have.
    pub fn allowed_parents(self) -> &'static [OrgKind] {
        match self {
            OrgKind::District => &[],
            OrgKind::Subdistrict | OrgKind::Township => &[OrgKind::District],
            OrgKind::Community | OrgKind::Village => &[OrgKind::Subdistrict, OrgKind::Township],
            OrgKind::Grid => &[OrgKind::Community, OrgKind::Village],
            OrgKind::Department => &[OrgKind::District],
            OrgKind::StationedUnit => &[OrgKind::Department],
        }
    }
}

/// One node of the organisation tree as the domain sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgNode {
    pub id: OrgId,
    pub code: String,
    pub kind: OrgKind,
    pub name_zh: String,
    pub name_en: String,
    pub parent_id: Option<OrgId>,
    /// Materialised path of ids from the root, e.g. `/1/4/19/`: a node's subtree is every node
    /// whose path starts with its own. Scope checks are prefix tests on this path.
    pub path: String,
    pub households: Option<i64>,
    pub population: Option<i64>,
    /// For a stationed unit: the subdistrict it is stationed in.
    pub stationed_in: Option<OrgId>,
}

/// A node to be created, before it has an id and path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOrgNode {
    pub code: String,
    pub kind: OrgKind,
    pub name_zh: String,
    pub name_en: String,
    #[serde(default)]
    pub parent_code: Option<String>,
    #[serde(default)]
    pub households: Option<i64>,
    #[serde(default)]
    pub population: Option<i64>,
    /// For a stationed unit: the code of the subdistrict it serves.
    #[serde(default)]
    pub stationed_in_code: Option<String>,
    /// GeoJSON geometry (WGS-84) as text; validated by the geo module when present.
    #[serde(default)]
    pub geometry: Option<String>,
}

/// Checks a node's code against its kind and its parent's code and kind.
pub fn validate_node(node: &NewOrgNode, parent: Option<(&str, OrgKind)>) -> Result<(), DomainError> {
    if node.name_zh.trim().is_empty() {
        return Err(DomainError::invalid("name_zh", "must not be empty"));
    }
    if node.name_en.trim().is_empty() {
        return Err(DomainError::invalid("name_en", "must not be empty"));
    }
    for (field, v) in [("households", node.households), ("population", node.population)] {
        if v.is_some_and(|n| n < 0) {
            return Err(DomainError::invalid(field, "must not be negative"));
        }
    }
    match node.kind.code_digits() {
        Some(n) => {
            if node.code.len() != n || !node.code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(DomainError::invalid(
                    "code",
                    format!("a {} code is {n} digits, got {:?}", node.kind.as_str(), node.code),
                ));
            }
        }
        None => {
            let ok = (2..=32).contains(&node.code.len())
                && node.code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
                && !node.code.bytes().all(|b| b.is_ascii_digit());
            if !ok {
                return Err(DomainError::invalid(
                    "code",
                    format!(
                        "a {} code is 2–32 upper-case letters, digits, '-' or '_' (not all digits), got {:?}",
                        node.kind.as_str(),
                        node.code
                    ),
                ));
            }
        }
    }
    let allowed = node.kind.allowed_parents();
    match parent {
        None if allowed.is_empty() => Ok(()),
        None => Err(DomainError::invalid("parent_code", format!("a {} needs a parent", node.kind.as_str()))),
        Some((_, pk)) if !allowed.contains(&pk) => Err(DomainError::invalid(
            "parent_code",
            format!("a {} cannot sit under a {}", node.kind.as_str(), pk.as_str()),
        )),
        Some((pcode, pk)) => {
            if node.kind.is_geographic() && pk.is_geographic() && !node.code.starts_with(pcode) {
                return Err(DomainError::invalid(
                    "code",
                    format!("{} must start with its parent's code {pcode}", node.code),
                ));
            }
            Ok(())
        }
    }
}

/// Whether `path` lies in the subtree rooted at `ancestor_path` (a node is in its own subtree).
pub fn path_within(path: &str, ancestor_path: &str) -> bool {
    !ancestor_path.is_empty() && path.starts_with(ancestor_path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(code: &str, kind: OrgKind) -> NewOrgNode {
        NewOrgNode {
            code: code.into(),
            kind,
            name_zh: "某".into(),
            name_en: "Some".into(),
            parent_code: None,
            households: None,
            population: None,
            stationed_in_code: None,
            geometry: None,
        }
    }

    #[test]
    fn grid_codes_are_fifteen_digits_prefixed_by_the_community() {
        let g = node("110199001002003", OrgKind::Grid);
        assert!(validate_node(&g, Some(("110199001002", OrgKind::Community))).is_ok());
        assert!(validate_node(&g, Some(("110199001003", OrgKind::Community))).is_err());
        assert!(
            validate_node(&node("11019900100200", OrgKind::Grid), Some(("110199001002", OrgKind::Community))).is_err()
        );
        assert!(validate_node(&g, Some(("110199001", OrgKind::Subdistrict))).is_err());
        assert!(validate_node(&g, None).is_err());
    }

    #[test]
    fn departments_have_mnemonic_codes_under_the_district() {
        assert!(validate_node(&node("CGW", OrgKind::Department), Some(("110199", OrgKind::District))).is_ok());
        assert!(validate_node(&node("123", OrgKind::Department), Some(("110199", OrgKind::District))).is_err());
        assert!(validate_node(&node("cgw", OrgKind::Department), Some(("110199", OrgKind::District))).is_err());
        assert!(validate_node(&node("CGW-001", OrgKind::StationedUnit), Some(("CGW", OrgKind::Department))).is_ok());
    }

    #[test]
    fn subtree_is_a_path_prefix() {
        assert!(path_within("/1/4/19/", "/1/4/"));
        assert!(path_within("/1/4/", "/1/4/"));
        assert!(!path_within("/1/40/", "/1/4/"));
        assert!(!path_within("/1/4/", ""));
    }
}
