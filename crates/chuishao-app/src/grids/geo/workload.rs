//! Workload: households and open cases per grid and per grid worker, with the grids over the
//! households target (default 300) and the grids with no worker flagged.

use crate::Result;
use crate::grids::Grids;
use chuishao_domain::access::Actor;
use chuishao_domain::org::OrgKind;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// The common local target: about 300 households per grid (no national standard).
pub const DEFAULT_HOUSEHOLDS_TARGET: i64 = 300;

/// One grid's load.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct GridLoadView {
    pub code: String,
    pub name: String,
    pub community_code: Option<String>,
    pub households: Option<i64>,
    pub population: Option<i64>,
    pub open_cases: i64,
    /// Usernames of the grid workers bound to this grid.
    pub workers: Vec<String>,
    pub households_per_worker: Option<f64>,
    /// Households above the target.
    pub over_target: bool,
    pub no_worker: bool,
}

/// One grid worker's load, summed over their grids in the area.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct WorkerLoadView {
    pub username: String,
    pub display_name: String,
    pub grids: Vec<String>,
    /// Households of their grids, each grid's households shared among its workers.
    pub households: f64,
    pub open_cases: i64,
    pub over_target: bool,
}

/// `GET /api/v1/geo/workload`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct WorkloadView {
    pub org_code: String,
    pub households_target: i64,
    pub grids: Vec<GridLoadView>,
    pub workers: Vec<WorkerLoadView>,
    pub grids_over_target: usize,
    pub grids_without_worker: usize,
}

impl Grids<'_> {
    /// The workload of an area in `actor`'s scope.
    pub async fn workload(&self, actor: &Actor, org_code: &str, target: i64) -> Result<WorkloadView> {
        let area = self.area_in_scope(actor, org_code).await?;
        let open: HashMap<i64, i64> = self.store.open_case_counts_by_grid(&area.path).await?.into_iter().collect();
        let mut by_grid: HashMap<i64, Vec<(i64, String, String)>> = HashMap::new();
        for (org_id, user_id, username, display) in self.store.grid_workers().await? {
            by_grid.entry(org_id).or_default().push((user_id, username, display));
        }
        let mut grids = Vec::new();
        let mut workers: BTreeMap<String, WorkerLoadView> = BTreeMap::new();
        for g in self.store.list_orgs(Some(OrgKind::Grid)).await? {
            if !chuishao_domain::org::path_within(&g.path, &area.path) {
                continue;
            }
            let ws = by_grid.get(&g.id.0).cloned().unwrap_or_default();
            let open_cases = open.get(&g.id.0).copied().unwrap_or(0);
            let share = g.households.map(|h| h as f64 / ws.len().max(1) as f64);
            for (_, username, display) in &ws {
                let w = workers.entry(username.clone()).or_insert_with(|| WorkerLoadView {
                    username: username.clone(),
                    display_name: display.clone(),
                    grids: vec![],
                    households: 0.0,
                    open_cases: 0,
                    over_target: false,
                });
                w.grids.push(g.code.clone());
                w.households += share.unwrap_or(0.0);
                w.open_cases += open_cases;
                w.over_target = w.households > target as f64;
            }
            let community_code = match g.parent_id {
                Some(p) => self.admin().org(p).await?.map(|p| p.code.clone()),
                None => None,
            };
            grids.push(GridLoadView {
                name: g.name_zh.clone(),
                community_code,
                households: g.households,
                population: g.population,
                open_cases,
                households_per_worker: if ws.is_empty() { None } else { share },
                over_target: g.households.is_some_and(|h| h > target),
                no_worker: ws.is_empty(),
                workers: ws.into_iter().map(|(_, u, _)| u).collect(),
                code: g.code,
            });
        }
        grids.sort_by(|a, b| a.code.cmp(&b.code));
        Ok(WorkloadView {
            org_code: area.code.clone(),
            households_target: target,
            grids_over_target: grids.iter().filter(|g| g.over_target).count(),
            grids_without_worker: grids.iter().filter(|g| g.no_worker).count(),
            grids,
            workers: workers.into_values().collect(),
        })
    }
}
