//! Locating a point: the grid, community and subdistrict it belongs to.

use crate::Result;
use crate::grids::Grids;
use chuishao_domain::org::OrgNode;
use serde::Serialize;
use std::sync::Arc;

/// A place as the locate answer names it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PlaceRefView {
    pub code: String,
    pub name: String,
}

/// `GET /api/v1/geo/locate`: members are null where nothing was found.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LocateView {
    pub grid: Option<PlaceRefView>,
    pub community: Option<PlaceRefView>,
    pub subdistrict: Option<PlaceRefView>,
    /// Set when the point lies in no grid and was given to the nearest community within the
    /// fallback distance (属地兜底): how far away it is, in metres.
    pub fallback_distance_m: Option<f64>,
    /// True when nothing was found: a dispatcher must place the case by hand.
    pub needs_location: bool,
}

impl Grids<'_> {
    /// Locates a WGS-84 point.
    pub async fn locate(&self, lon: f64, lat: f64) -> Result<LocateView> {
        let ix = self.geo_index().await?;
        let l = ix.locate(lon, lat);
        let r = |id: Option<u32>| {
            id.map(|i| {
                let p = ix.place(i);
                PlaceRefView { code: p.code.clone(), name: p.name.clone() }
            })
        };
        Ok(LocateView {
            grid: r(l.grid),
            community: r(l.community),
            subdistrict: r(l.subdistrict),
            fallback_distance_m: l.fallback_distance_m.map(|d| (d * 10.0).round() / 10.0),
            needs_location: l.grid.is_none() && l.community.is_none() && l.subdistrict.is_none(),
        })
    }

    /// The most specific org node containing the point (grid, else community, else
    /// subdistrict), if any.
    pub async fn locate_org(&self, lon: f64, lat: f64) -> Result<Option<Arc<OrgNode>>> {
        let ix = self.geo_index().await?;
        let l = ix.locate(lon, lat);
        match l.grid.or(l.community).or(l.subdistrict) {
            Some(id) => self.admin().org_by_code(&ix.place(id).code).await,
            None => Ok(None),
        }
    }
}
