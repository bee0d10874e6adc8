//! The grid map page: the SVG map of an area the user's roles cover, shaded by a metric, and
//! the grids whose households per grid worker exceed the target.

use crate::AppState;
use crate::web::Msgs;
use crate::web::console::{Chrome, PageResult, Staff};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use chuishao_app::AppError;
use chuishao_app::grids::geo::map::MapMetric;
use chuishao_app::grids::geo::workload::{DEFAULT_HOUSEHOLDS_TARGET, GridLoadView};
use serde::Deserialize;

#[derive(askama::Template)]
#[template(path = "console_whistle_map.html")]
struct MapPage {
    t: Msgs,
    switch_href: String,
    chrome: Chrome,
    areas: Vec<(String, String)>,
    area: String,
    metric: String,
    svg: String,
    target: i64,
    over: Vec<GridLoadView>,
    grids_over_target: usize,
    grids_without_worker: usize,
}

#[derive(Deserialize, Default)]
pub(super) struct MapParams {
    org: Option<String>,
    metric: Option<String>,
    #[allow(dead_code)]
    lang: Option<String>,
}

/// `GET /console/map` (`?org=`, `?metric=`).
pub(super) async fn map(State(s): State<AppState>, staff: Staff, Query(p): Query<MapParams>) -> PageResult {
    let actor = staff.actor();
    let areas = s.app.whistles().map_areas(actor).await.map_err(|e| staff.fail(e))?;
    let Some(area) = p.org.as_deref().and_then(|c| areas.iter().find(|a| a.code == c)).or_else(|| areas.first()) else {
        return Err(staff.refuse(StatusCode::FORBIDDEN, "wmap.none"));
    };
    let metric_name =
        p.metric.filter(|m| MapMetric::parse(m).is_some()).unwrap_or_else(|| "households_per_worker".into());
    let metric = MapMetric::parse(&metric_name).unwrap_or(MapMetric::HouseholdsPerWorker);
    let svg = match s.app.grids().map_svg_in(actor, &area.code, metric, 960.0, Some(staff.lang.lang)).await {
        Ok(svg) => svg,
        Err(AppError::NotFound(_)) => String::new(),
        Err(e) => return Err(staff.fail(e)),
    };
    let load = s.app.grids().workload(actor, &area.code, DEFAULT_HOUSEHOLDS_TARGET).await.map_err(|e| staff.fail(e))?;
    let mut over: Vec<GridLoadView> = load.grids.into_iter().filter(|g| g.over_target).collect();
    if staff.lang.lang == crate::web::Lang::En {
        for g in &mut over {
            g.name = super::name_of(&s, &staff, &g.code, &g.name).await;
        }
    }
    let page = MapPage {
        t: staff.t(),
        switch_href: staff.switch_href(&format!("/console/map?org={}&", area.code)).replace("&?", "&"),
        chrome: staff.chrome("map"),
        areas: areas.iter().map(|a| (a.code.clone(), staff.pick(&a.name_zh, &a.name_en))).collect(),
        area: area.code.clone(),
        metric: metric_name,
        svg,
        target: load.households_target,
        grids_over_target: load.grids_over_target,
        grids_without_worker: load.grids_without_worker,
        over,
    };
    Ok(staff.render(StatusCode::OK, &page))
}
