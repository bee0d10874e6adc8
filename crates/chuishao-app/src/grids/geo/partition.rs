//! The partition advisor: proposes k grids for a community from its buildings. A proposal
//! only; nothing is stored until a person imports it.

use crate::grids::Grids;
use crate::{AppError, FieldError, Result};
use chuishao_domain::access::{Actor, Role};
use chuishao_domain::org::{OrgKind, path_within};

impl Grids<'_> {
    /// Proposes `k` contiguous grids for a community (an admin, or a dispatcher over it).
    pub async fn propose_partition(
        &self,
        actor: &Actor,
        community_code: &str,
        k: usize,
        buildings: &serde_json::Value,
    ) -> Result<serde_json::Value> {
        let area = self.area_in_scope(actor, community_code).await?;
        if !matches!(area.kind, OrgKind::Community | OrgKind::Village) {
            return Err(AppError::invalid("community", "a community or village code"));
        }
        let may = actor.has_role(Role::Admin)
            || actor.bindings.iter().any(|b| b.role == Role::Dispatcher && path_within(&area.path, &b.org_path));
        if !may {
            return Err(AppError::Forbidden(format!(
                "{} may not plan grids; an admin or a dispatcher may",
                actor.username
            )));
        }
        if !(1..=200).contains(&k) {
            return Err(AppError::invalid("k", "between 1 and 200 grids"));
        }
        let bs = chuishao_geo::partition::parse_buildings(buildings).map_err(|problems| {
            AppError::Invalid(
                problems.into_iter().map(|(i, m)| FieldError { field: format!("features[{i}]"), message: m }).collect(),
            )
        })?;
        let grids = chuishao_geo::partition::partition(&bs, k);
        Ok(chuishao_geo::partition::to_geojson(&area.code, &grids))
    }
}
