//! The organisation tree in storage: nodes with materialised paths.

use crate::rows::{ORG_COLUMNS, OrgRow};
use crate::{Result, Store, StoreError, Tx, run};
use chuishao_domain::ids::OrgId;
use chuishao_domain::org::{OrgKind, OrgNode};

/// Upper bound of the key range holding every path under `path` (which ends in '/'): the
/// trailing '/' (0x2F) becomes '0' (0x30), so `p <= x < upper(p)` iff x starts with p.
pub(crate) fn path_upper(path: &str) -> String {
    let mut s = path.trim_end_matches('/').to_string();
    s.push('0');
    s
}

impl Tx {
    /// Inserts a node under `parent` (already validated by the domain) and sets its path.
    pub async fn insert_org(
        &mut self,
        node: &chuishao_domain::org::NewOrgNode,
        parent: Option<&OrgNode>,
        stationed_in: Option<OrgId>,
        now: i64,
    ) -> Result<OrgNode> {
        let row: OrgRow = run!(self.conn(), conn => {
            let id: i64 = sqlx::query_scalar(
                "insert into org_nodes (code, kind, name_zh, name_en, parent_id, path, households, population, stationed_in_id, geometry, created_at)
                 values ($1, $2, $3, $4, $5, '', $6, $7, $8, $9, $10) returning id",
            )
            .bind(&node.code)
            .bind(node.kind.as_str())
            .bind(&node.name_zh)
            .bind(&node.name_en)
            .bind(parent.map(|p| p.id.0))
            .bind(node.households)
            .bind(node.population)
            .bind(stationed_in.map(|s| s.0))
            .bind(&node.geometry)
            .bind(now)
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| StoreError::unique(e, &format!("org code {}", node.code)))?;
            let path = format!("{}{id}/", parent.map(|p| p.path.as_str()).unwrap_or("/"));
            sqlx::query("update org_nodes set path = $1 where id = $2").bind(&path).bind(id).execute(&mut *conn).await?;
            sqlx::query_as(&format!("select {ORG_COLUMNS} from org_nodes where id = $1"))
                .bind(id)
                .fetch_one(&mut *conn)
                .await?
        });
        row.try_into()
    }

    /// Reads a node by code inside the transaction.
    pub async fn org_by_code(&mut self, code: &str) -> Result<Option<OrgNode>> {
        let row: Option<OrgRow> = run!(self.conn(), conn => {
            sqlx::query_as(&format!("select {ORG_COLUMNS} from org_nodes where code = $1"))
                .bind(code)
                .fetch_optional(&mut *conn)
                .await?
        });
        row.map(TryInto::try_into).transpose()
    }
}

impl Store {
    pub async fn org_by_id(&self, id: OrgId) -> Result<Option<OrgNode>> {
        let mut c = self.read().await?;
        let row: Option<OrgRow> = run!(c.conn(), conn => {
            sqlx::query_as(&format!("select {ORG_COLUMNS} from org_nodes where id = $1"))
                .bind(id.0)
                .fetch_optional(&mut *conn)
                .await?
        });
        row.map(TryInto::try_into).transpose()
    }

    pub async fn org_by_code(&self, code: &str) -> Result<Option<OrgNode>> {
        let mut c = self.read().await?;
        let row: Option<OrgRow> = run!(c.conn(), conn => {
            sqlx::query_as(&format!("select {ORG_COLUMNS} from org_nodes where code = $1"))
                .bind(code)
                .fetch_optional(&mut *conn)
                .await?
        });
        row.map(TryInto::try_into).transpose()
    }

    /// Every node, optionally of one kind, in tree order (by path).
    pub async fn list_orgs(&self, kind: Option<OrgKind>) -> Result<Vec<OrgNode>> {
        let mut c = self.read().await?;
        let rows: Vec<OrgRow> = run!(c.conn(), conn => {
            sqlx::query_as(&format!(
                "select {ORG_COLUMNS} from org_nodes where ($1 is null or kind = $1) order by path"
            ))
            .bind(kind.map(|k| k.as_str()))
            .fetch_all(&mut *conn)
            .await?
        });
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// The node and its ancestors, root first.
    pub async fn org_lineage(&self, id: OrgId) -> Result<Vec<OrgNode>> {
        let Some(node) = self.org_by_id(id).await? else { return Ok(vec![]) };
        let ids: Vec<i64> = node.path.split('/').filter_map(|s| s.parse().ok()).collect();
        let mut out = Vec::with_capacity(ids.len());
        for i in ids {
            if let Some(n) = self.org_by_id(OrgId(i)).await? {
                out.push(n);
            }
        }
        Ok(out)
    }

    /// GeoJSON geometries of the nodes of one kind under `path` (for maps and exports).
    pub async fn org_geometries(&self, path: &str, kind: OrgKind) -> Result<Vec<(OrgId, String)>> {
        let mut c = self.read().await?;
        let rows: Vec<(i64, String)> = run!(c.conn(), conn => {
            sqlx::query_as(
                "select id, geometry from org_nodes where path >= $1 and path < $2 and kind = $3 and geometry is not null order by path",
            )
            .bind(path)
            .bind(path_upper(path))
            .bind(kind.as_str())
            .fetch_all(&mut *conn)
            .await?
        });
        Ok(rows.into_iter().map(|(id, g)| (OrgId(id), g)).collect())
    }

    pub async fn count_orgs(&self) -> Result<i64> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_scalar("select count(*) from org_nodes").fetch_one(&mut *conn).await?
        }))
    }
}
