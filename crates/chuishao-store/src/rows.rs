//! Row types shared by several modules, and their conversion to domain types.

use crate::StoreError;
use chuishao_domain::ids::OrgId;
use chuishao_domain::org::{OrgKind, OrgNode};

/// A row of `org_nodes`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrgRow {
    pub id: i64,
    pub code: String,
    pub kind: String,
    pub name_zh: String,
    pub name_en: String,
    pub parent_id: Option<i64>,
    pub path: String,
    pub households: Option<i64>,
    pub population: Option<i64>,
    pub stationed_in_id: Option<i64>,
}

impl TryFrom<OrgRow> for OrgNode {
    type Error = StoreError;
    fn try_from(r: OrgRow) -> Result<Self, StoreError> {
        let kind = OrgKind::parse(&r.kind).ok_or_else(|| StoreError::Corrupt(format!("org kind {:?}", r.kind)))?;
        Ok(OrgNode {
            id: OrgId(r.id),
            code: r.code,
            kind,
            name_zh: r.name_zh,
            name_en: r.name_en,
            parent_id: r.parent_id.map(OrgId),
            path: r.path,
            households: r.households,
            population: r.population,
            stationed_in: r.stationed_in_id.map(OrgId),
        })
    }
}

pub(crate) const ORG_COLUMNS: &str =
    "id, code, kind, name_zh, name_en, parent_id, path, households, population, stationed_in_id";
