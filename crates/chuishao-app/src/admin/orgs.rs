//! The organisation tree: import (parents before or after children, all or nothing) and a
//! read cache, since every case view names up to four nodes and the tree changes rarely.

use crate::admin::Admin;
use crate::{AppError, Result};
use chuishao_domain::ids::OrgId;
use chuishao_domain::org::{NewOrgNode, OrgKind, OrgNode, validate_node};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Shared cache of org nodes by id and code. Filled lazily; a miss reloads the whole tree
/// once (a node created by another app node appears on first use).
#[derive(Clone, Default)]
pub struct OrgCache {
    inner: Arc<RwLock<CacheInner>>,
}

#[derive(Default)]
struct CacheInner {
    by_id: HashMap<OrgId, Arc<OrgNode>>,
    by_code: HashMap<String, OrgId>,
}

/// A short reference to a node, as API responses show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OrgRefView {
    pub id: i64,
    pub code: String,
    pub kind: &'static str,
    pub name_zh: String,
    pub name_en: String,
}

impl From<&OrgNode> for OrgRefView {
    fn from(n: &OrgNode) -> Self {
        OrgRefView {
            id: n.id.0,
            code: n.code.clone(),
            kind: n.kind.as_str(),
            name_zh: n.name_zh.clone(),
            name_en: n.name_en.clone(),
        }
    }
}

/// A node with its parent, for `GET /api/v1/orgs`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrgView {
    pub id: i64,
    pub code: String,
    pub kind: &'static str,
    pub name_zh: String,
    pub name_en: String,
    pub parent_code: Option<String>,
    pub households: Option<i64>,
    pub population: Option<i64>,
    pub stationed_in_code: Option<String>,
}

impl Admin<'_> {
    pub(crate) async fn reload_orgs(&self) -> Result<()> {
        let all = self.store.list_orgs(None).await?;
        let mut by_id = HashMap::with_capacity(all.len());
        let mut by_code = HashMap::with_capacity(all.len());
        for n in all {
            by_code.insert(n.code.clone(), n.id);
            by_id.insert(n.id, Arc::new(n));
        }
        if let Ok(mut g) = self.orgs.inner.write() {
            *g = CacheInner { by_id, by_code };
        }
        Ok(())
    }

    fn cached_org(&self, id: OrgId) -> Option<Arc<OrgNode>> {
        self.orgs.inner.read().ok().and_then(|g| g.by_id.get(&id).cloned())
    }

    /// A node by id, through the cache.
    pub async fn org(&self, id: OrgId) -> Result<Option<Arc<OrgNode>>> {
        if let Some(n) = self.cached_org(id) {
            return Ok(Some(n));
        }
        self.reload_orgs().await?;
        Ok(self.cached_org(id))
    }

    /// A node by code, through the cache.
    pub async fn org_by_code(&self, code: &str) -> Result<Option<Arc<OrgNode>>> {
        let hit = self.orgs.inner.read().ok().and_then(|g| g.by_code.get(code).and_then(|id| g.by_id.get(id).cloned()));
        if hit.is_some() {
            return Ok(hit);
        }
        self.reload_orgs().await?;
        Ok(self.orgs.inner.read().ok().and_then(|g| g.by_code.get(code).and_then(|id| g.by_id.get(id).cloned())))
    }

    /// The node and its ancestors, root first.
    pub async fn org_lineage(&self, id: OrgId) -> Result<Vec<Arc<OrgNode>>> {
        let Some(node) = self.org(id).await? else { return Ok(vec![]) };
        let mut out = Vec::new();
        for part in node.path.split('/').filter(|s| !s.is_empty()) {
            if let Ok(i) = part.parse::<i64>()
                && let Some(n) = self.org(OrgId(i)).await?
            {
                out.push(n);
            }
        }
        Ok(out)
    }

    /// Every node (optionally of one kind), in tree order.
    pub async fn list_orgs(&self, kind: Option<OrgKind>) -> Result<Vec<OrgView>> {
        let nodes = self.store.list_orgs(kind).await?;
        let mut out = Vec::with_capacity(nodes.len());
        for n in nodes {
            let code_of = |id: Option<OrgId>| async move {
                match id {
                    Some(id) => self.org(id).await.map(|o| o.map(|o| o.code.clone())),
                    None => Ok(None),
                }
            };
            out.push(OrgView {
                parent_code: code_of(n.parent_id).await?,
                stationed_in_code: code_of(n.stationed_in).await?,
                id: n.id.0,
                code: n.code,
                kind: n.kind.as_str(),
                name_zh: n.name_zh,
                name_en: n.name_en,
                households: n.households,
                population: n.population,
            });
        }
        Ok(out)
    }

    /// Imports nodes in one transaction. Parents may come before or after their children or
    /// already exist; codes already present are skipped (so the import is repeatable).
    /// Every problem is reported at once and nothing is written if there is any.
    pub async fn import_orgs(&self, nodes: &[NewOrgNode]) -> Result<usize> {
        let now = self.now_ms();
        let mut tx = self.store.begin().await?;
        let mut pending: Vec<&NewOrgNode> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut errors = Vec::new();
        for (i, n) in nodes.iter().enumerate() {
            if !seen.insert(n.code.as_str()) {
                errors.push(crate::error::FieldError {
                    field: format!("nodes[{i}].code"),
                    message: format!("duplicate code {}", n.code),
                });
            } else if tx.org_by_code(&n.code).await?.is_none() {
                pending.push(n);
            }
        }
        let mut created = 0;
        // Insert in rounds: each round takes the nodes whose parent now exists.
        loop {
            let before = pending.len();
            let mut rest = Vec::new();
            for n in pending {
                let parent = match &n.parent_code {
                    Some(code) => match tx.org_by_code(code).await? {
                        Some(p) => Some(p),
                        None => {
                            rest.push(n);
                            continue;
                        }
                    },
                    None => None,
                };
                if let Err(e) = validate_node(n, parent.as_ref().map(|p| (p.code.as_str(), p.kind))) {
                    errors.push(crate::error::FieldError { field: n.code.clone(), message: e.to_string() });
                    continue;
                }
                let stationed_in = match &n.stationed_in_code {
                    Some(code) => match tx.org_by_code(code).await? {
                        Some(s) if matches!(s.kind, OrgKind::Subdistrict | OrgKind::Township) => Some(s.id),
                        _ => {
                            errors.push(crate::error::FieldError {
                                field: n.code.clone(),
                                message: format!("stationed_in_code {code} is not a subdistrict or township"),
                            });
                            continue;
                        }
                    },
                    None => None,
                };
                tx.insert_org(n, parent.as_ref(), stationed_in, now).await?;
                created += 1;
            }
            if rest.is_empty() || rest.len() == before {
                for n in &rest {
                    errors.push(crate::error::FieldError {
                        field: n.code.clone(),
                        message: format!("unknown parent code {}", n.parent_code.as_deref().unwrap_or("")),
                    });
                }
                break;
            }
            pending = rest;
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        if created > 0 && nodes.iter().any(|n| n.geometry.is_some()) {
            tx.bump_geo_revision(now).await?;
        }
        tx.commit().await?;
        self.reload_orgs().await?;
        if created > 0 {
            self.grids().rebuild_geo_index().await?;
        }
        Ok(created)
    }
}
