//! The whistle board: a subdistrict's open whistles with each summoned unit's state, and for
//! department staff the whistles summoning their unit; refreshed live over SSE.

use super::name_of;
use crate::AppState;
use crate::web::console::staff::session_of;
use crate::web::console::{Chrome, PageError, PageResult, Staff, key};
use crate::web::{Lang, Msgs, PageLang, filters};
use axum::extract::{Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chuishao_app::AppError;
use chuishao_app::whistles::{WhistleBoard, WhistleView};
use chuishao_domain::access::Role;
use serde::Deserialize;

/// One summoned unit on the board.
struct UnitCell {
    name: String,
    status_key: &'static str,
    checked_in: bool,
    minutes_late: i64,
    supervisions: u32,
}

/// One open whistle on the board.
struct BoardRow {
    id: i64,
    kind: String,
    kind_key: &'static str,
    title: String,
    address: String,
    raised_at: String,
    units_out: usize,
    units: Vec<UnitCell>,
}

/// One whistle summoning the user's unit.
struct InboxRow {
    id: i64,
    kind: String,
    kind_key: &'static str,
    status_key: &'static str,
    title: String,
    address: String,
    unit: String,
    unit_status_key: &'static str,
    due_at: String,
    minutes_late: i64,
    open: bool,
    late: bool,
    overdue: bool,
}

/// The board's unit names (and the inbox's) in the page language.
async fn translate(s: &AppState, staff: &Staff, b: &mut WhistleBoard, inbox: &mut [WhistleView]) {
    if staff.lang.lang == Lang::Zh {
        return;
    }
    for u in b.whistles.iter_mut().flat_map(|w| w.units.iter_mut()) {
        u.unit_name = name_of(s, staff, &u.unit_code, &u.unit_name).await;
    }
    for u in inbox.iter_mut().flat_map(|w| w.units.iter_mut()) {
        u.unit_name = name_of(s, staff, &u.unit_code, &u.unit_name).await;
    }
}

fn board_rows(b: &WhistleBoard) -> Vec<BoardRow> {
    b.whistles
        .iter()
        .map(|w| BoardRow {
            id: w.id,
            kind: w.kind.clone(),
            kind_key: key("wkind", &w.kind, "wkind.routine"),
            title: w.title.clone(),
            address: w.address.clone(),
            raised_at: w.raised_at.clone(),
            units_out: w.units_out,
            units: w
                .units
                .iter()
                .map(|u| UnitCell {
                    name: u.unit_name.clone(),
                    status_key: key("wunit", &u.status, "wunit.summoned"),
                    checked_in: u.checked_in,
                    minutes_late: u.minutes_late,
                    supervisions: u.supervisions,
                })
                .collect(),
        })
        .collect()
}

fn inbox_rows(views: &[WhistleView]) -> Vec<InboxRow> {
    views
        .iter()
        .flat_map(|v| {
            v.units.iter().map(move |u| InboxRow {
                id: v.id,
                kind: v.kind.clone(),
                kind_key: key("wkind", &v.kind, "wkind.routine"),
                status_key: key("wstatus", &v.status, "wstatus.open"),
                title: v.title.clone(),
                address: v.address.clone(),
                unit: u.unit_name.clone(),
                unit_status_key: key("wunit", &u.status, "wunit.summoned"),
                due_at: u.due_at.clone(),
                minutes_late: u.minutes_late,
                open: v.status == "open",
                late: u.late,
                overdue: u.overdue,
            })
        })
        .collect()
}

#[derive(askama::Template)]
#[template(path = "console_whistles.html")]
struct BoardPage {
    t: Msgs,
    switch_href: String,
    chrome: Chrome,
    areas: Vec<(String, String)>,
    area: String,
    /// The rendered [`BoardTable`].
    table_html: String,
}

/// The live part of the board page (sent alone for the live refresh).
#[derive(askama::Template)]
#[template(path = "console_whistles_table.html")]
struct BoardTable {
    t: Msgs,
    area_name: String,
    as_of: String,
    open_whistles: usize,
    units_out: usize,
    units_overdue: usize,
    rows: Vec<BoardRow>,
    department: bool,
    inbox: Vec<InboxRow>,
}

#[derive(Deserialize, Default)]
pub(super) struct BoardParams {
    subdistrict: Option<String>,
    fragment: Option<String>,
    #[allow(dead_code)]
    lang: Option<String>,
}

/// `GET /console/whistles` (`?subdistrict=`, `?fragment=1` for the table alone).
pub(super) async fn board(State(s): State<AppState>, staff: Staff, Query(p): Query<BoardParams>) -> PageResult {
    let actor = staff.actor();
    let areas = s.app.whistles().board_areas(actor).await.map_err(|e| staff.fail(e))?;
    let Some(area) =
        p.subdistrict.as_deref().and_then(|c| areas.iter().find(|a| a.code == c)).or_else(|| areas.first()).cloned()
    else {
        return Err(staff.refuse(StatusCode::NOT_FOUND, "wboard.no_area"));
    };
    let mut b = s.app.whistles().whistle_board(actor, &area.code).await.map_err(|e| staff.fail(e))?;
    let department = actor.has_role(Role::DepartmentStaff);
    let mut inbox =
        if department { s.app.whistles().whistle_inbox(actor).await.map_err(|e| staff.fail(e))? } else { Vec::new() };
    translate(&s, &staff, &mut b, &mut inbox).await;
    let table = BoardTable {
        t: staff.t(),
        area_name: staff.pick(&area.name_zh, &area.name_en),
        as_of: b.as_of.clone(),
        open_whistles: b.open_whistles,
        units_out: b.units_out,
        units_overdue: b.units_overdue,
        rows: board_rows(&b),
        department,
        inbox: inbox_rows(&inbox),
    };
    if p.fragment.is_some() {
        return Ok(staff.render(StatusCode::OK, &table));
    }
    let table_html = askama::Template::render(&table).map_err(|e| staff.fail(AppError::Internal(e.to_string())))?;
    let page = BoardPage {
        t: staff.t(),
        switch_href: staff.switch_href(&format!("/console/whistles?subdistrict={}&", area.code)).replace("&?", "&"),
        chrome: staff.chrome("whistles"),
        areas: areas.iter().map(|a| (a.code.clone(), staff.pick(&a.name_zh, &a.name_en))).collect(),
        area: area.code.clone(),
        table_html,
    };
    Ok(staff.render(StatusCode::OK, &page))
}

/// The board's live refresh: the whistle board stream of the API (same hub, same scoping),
/// authenticated by the console session, its events named `changed` for the console script.
pub(super) async fn board_events(State(s): State<AppState>, Query(p): Query<BoardParams>, req: Request) -> Response {
    let parts = req.into_parts().0;
    let session = match session_of(&s, &parts).await {
        Ok(Some(x)) => x,
        Ok(None) => return StatusCode::UNAUTHORIZED.into_response(),
        Err(e) => return PageError::internal(PageLang::of(&parts), &e).into_response(),
    };
    let code = p.subdistrict.unwrap_or_default();
    match crate::api::whistle_board::board_events(&s, session.actor, code, "changed").await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}
