//! The console's whistle pages (leaders' views of 吹哨报到): the live whistle board of a
//! subdistrict with, for department staff, the whistles summoning their unit ([`board`]); one
//! whistle with its units, check-ins, evidence, ratings and the actions the user may take now
//! (decided by the domain through `App::whistle_desk`, [`page`]); the departments' scorecards
//! ([`scorecards`]); and the grid map ([`map`]).

mod board;
mod map;
mod page;
mod scorecards;

use super::Staff;
use crate::AppState;
use axum::Router;
use axum::routing::{get, post};

/// An organisation's name in the page language (views carry the Chinese one).
pub(super) async fn name_of(s: &AppState, staff: &Staff, code: &str, zh: &str) -> String {
    match s.app.admin().org_by_code(code).await {
        Ok(Some(n)) => staff.pick(&n.name_zh, &n.name_en),
        _ => zh.to_string(),
    }
}

/// The whistle pages' routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/whistles", get(board::board))
        .route("/console/whistles/events", get(board::board_events))
        .route("/console/whistles/{id}", get(page::whistle))
        .route("/console/whistles/{id}/act", post(page::act))
        .route("/console/scorecards", get(scorecards::scorecards))
        .route("/console/map", get(map::map))
}
