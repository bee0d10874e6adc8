//! The console's whistle pages (leaders' views of 吹哨报到): the live whistle board of a
//! subdistrict with, for department staff, the whistles summoning their unit; one whistle with
//! its units, check-ins, evidence, ratings and the actions the user may take now (decided by the
//! domain through `App::whistle_desk`); the departments' scorecards; and the grid map.
//! Sessions, CSRF and the page chrome are the case console's ([`super::console`]).

use super::console::{Chrome, chrome, finish, internal, login_page, opt, require, staff};
use super::track::form;
use super::{PageLang, csrf, filters, html};
use crate::AppState;
use axum::Router;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chuishao_app::geo::map::MapMetric;
use chuishao_app::geo::workload::{DEFAULT_HOUSEHOLDS_TARGET, GridLoadView};
use chuishao_app::whistles::{
    DepartmentScorecard, ScorecardPage, WhistleBoard, WhistleEventView, WhistleTransitionInput, WhistleView,
};
use chuishao_app::{AppError, FieldError};
use chuishao_domain::DomainError;
use chuishao_domain::access::Role;
use chuishao_domain::org::OrgKind;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The catalogue key `{prefix}.{name}`, or `fallback` for a name the catalogue lacks.
fn key(prefix: &str, name: &str, fallback: &'static str) -> &'static str {
    super::console_i18n::MESSAGES
        .iter()
        .find(|(k, _, _)| k.strip_prefix(prefix).and_then(|r| r.strip_prefix('.')) == Some(name))
        .map_or(fallback, |(k, _, _)| *k)
}

fn msg(lang: PageLang, status: StatusCode, k: &str) -> Response {
    (status, lang.msgs().t(k).to_string()).into_response()
}

// ---------------------------------------------------------------- the board and the inbox

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
async fn translate(s: &AppState, lang: PageLang, b: &mut WhistleBoard, inbox: &mut [WhistleView]) {
    if lang.lang == super::Lang::Zh {
        return;
    }
    for u in b.whistles.iter_mut().flat_map(|w| w.units.iter_mut()) {
        u.unit_name = name_of(s, lang, &u.unit_code, &u.unit_name).await;
    }
    for u in inbox.iter_mut().flat_map(|w| w.units.iter_mut()) {
        u.unit_name = name_of(s, lang, &u.unit_code, &u.unit_name).await;
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
    t: super::Msgs,
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
    t: super::Msgs,
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
struct BoardParams {
    subdistrict: Option<String>,
    fragment: Option<String>,
    #[allow(dead_code)]
    lang: Option<String>,
}

async fn board(State(s): State<AppState>, lang: PageLang, Query(p): Query<BoardParams>, req: Request) -> Response {
    let parts = req.into_parts().0;
    let session = match require(&s, &parts).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let actor = &session.actor;
    let areas = match s.app.board_areas(actor).await {
        Ok(a) => a,
        Err(e) => return internal(&e),
    };
    let pick = |zh: &str, en: &str| lang.lang.pick(zh, en).to_string();
    let Some(area) =
        p.subdistrict.as_deref().and_then(|c| areas.iter().find(|a| a.code == c)).or_else(|| areas.first()).cloned()
    else {
        return msg(lang, StatusCode::NOT_FOUND, "wboard.no_area");
    };
    let mut b = match s.app.whistle_board(actor, &area.code).await {
        Ok(b) => b,
        Err(e) => return internal(&e),
    };
    let department = actor.has_role(Role::DepartmentStaff);
    let mut inbox = if department {
        match s.app.whistle_inbox(actor).await {
            Ok(v) => v,
            Err(e) => return internal(&e),
        }
    } else {
        Vec::new()
    };
    translate(&s, lang, &mut b, &mut inbox).await;
    let inbox = inbox_rows(&inbox);
    let table = BoardTable {
        t: lang.msgs(),
        area_name: pick(&area.name_zh, &area.name_en),
        as_of: b.as_of.clone(),
        open_whistles: b.open_whistles,
        units_out: b.units_out,
        units_overdue: b.units_overdue,
        rows: board_rows(&b),
        department,
        inbox,
    };
    let c = chrome(&parts, &session, "whistles");
    let fresh = c.fresh.then(|| c.csrf.clone());
    if p.fragment.is_some() {
        return finish(lang, fresh, html(StatusCode::OK, &table));
    }
    let table_html = match askama::Template::render(&table) {
        Ok(h) => h,
        Err(e) => return internal(&AppError::Internal(e.to_string())),
    };
    let page = BoardPage {
        t: lang.msgs(),
        switch_href: lang.switch_href(&format!("/console/whistles?subdistrict={}&", area.code)).replace("&?", "&"),
        chrome: c,
        areas: areas.iter().map(|a| (a.code.clone(), pick(&a.name_zh, &a.name_en))).collect(),
        area: area.code.clone(),
        table_html,
    };
    finish(lang, fresh, html(StatusCode::OK, &page))
}

/// The board's live refresh: the whistle board stream of the API (same hub, same scoping),
/// authenticated by the console session, its events named `changed` for the console script.
async fn board_events(State(s): State<AppState>, Query(p): Query<BoardParams>, req: Request) -> Response {
    let parts = req.into_parts().0;
    let session = match staff(&s, &parts).await {
        Ok(Some(x)) => x,
        Ok(None) => return StatusCode::UNAUTHORIZED.into_response(),
        Err(e) => return internal(&e),
    };
    let code = p.subdistrict.unwrap_or_default();
    match crate::api::whistle_board::board_events(&s, session.actor, code, "changed").await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

// ---------------------------------------------------------------- one whistle

/// A summoned unit as the whistle page shows it.
struct UnitLine {
    code: String,
    name: String,
    task: String,
    status_key: &'static str,
    due_at: String,
    checked_in_at: Option<String>,
    late: bool,
    far: bool,
    distance_m: String,
    minutes_late: i64,
    overdue: bool,
    supervisions: u32,
    rating: Option<u8>,
}

/// One line of the whistle's history.
struct EventLine {
    at: String,
    kind_key: &'static str,
    unit: String,
    detail: String,
    photos: Vec<String>,
    /// `report_done`: the unit's evidence.
    evidence: bool,
}

/// One action form.
struct ActionForm {
    action: &'static str,
    label: &'static str,
    unit_code: String,
    unit_name: String,
}

#[derive(askama::Template)]
#[template(path = "console_whistle.html")]
struct WhistlePage {
    t: super::Msgs,
    switch_href: String,
    chrome: Chrome,
    w: WhistleView,
    kind_key: &'static str,
    status_key: &'static str,
    units: Vec<UnitLine>,
    timeline: Vec<EventLine>,
    actions: Vec<ActionForm>,
    banner: Option<&'static str>,
    is_error: bool,
    errors: Vec<FieldError>,
}

fn event_line(e: &WhistleEventView, names: &BTreeMap<String, String>) -> EventLine {
    let d = &e.data;
    let s = |k: &str| d.get(k).and_then(|v| v.as_str()).map(String::from);
    let unit = s("unit").map(|c| names.get(&c).cloned().unwrap_or(c)).unwrap_or_default();
    let mut detail: Vec<String> = Vec::new();
    for k in ["note", "text", "report", "reason"] {
        if let Some(v) = s(k) {
            detail.push(v);
        }
    }
    if let Some(score) = d.get("score").and_then(|v| v.as_i64()) {
        detail.insert(0, format!("{score}/5"));
    }
    if let Some(m) = d.get("distance_m").and_then(|v| v.as_f64()) {
        detail.push(format!("{m:.0} m"));
    }
    if let Some(n) = d.get("count").and_then(|v| v.as_i64()) {
        detail.insert(0, format!("#{n}"));
    }
    let photos: Vec<String> = d
        .get("photos")
        .and_then(|p| p.as_array())
        .map(|a| a.iter().filter_map(|x| x.as_str().map(String::from)).collect())
        .unwrap_or_default();
    EventLine {
        at: e.at.clone(),
        kind_key: key("wevent", &e.kind, "wevent.other"),
        unit,
        detail: detail.join(" · "),
        evidence: e.kind == "whistle_reported_done",
        photos,
    }
}

#[allow(clippy::too_many_arguments)]
async fn whistle_page(
    s: &AppState,
    lang: PageLang,
    parts: &Parts,
    session: &chuishao_app::console::Session,
    id: i64,
    status: StatusCode,
    banner: Option<&'static str>,
    errors: Vec<FieldError>,
) -> Response {
    let desk = match s.app.whistle_desk(&session.actor, id).await {
        Ok(x) => x,
        Err(AppError::Forbidden(_)) => return msg(lang, StatusCode::FORBIDDEN, "whistle.forbidden"),
        Err(AppError::NotFound(_)) => return msg(lang, StatusCode::NOT_FOUND, "whistle.not_found"),
        Err(e) => return internal(&e),
    };
    let mut w = desk.view;
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for u in &w.units {
        names.insert(u.unit_code.clone(), name_of(s, lang, &u.unit_code, &u.unit_name).await);
    }
    w.raised_by_name = name_of(s, lang, &w.raised_by_code, &w.raised_by_name).await;
    let units = w
        .units
        .iter()
        .map(|u| UnitLine {
            code: u.unit_code.clone(),
            name: names.get(&u.unit_code).cloned().unwrap_or_default(),
            task: u.task.clone(),
            status_key: key("wunit", &u.status, "wunit.summoned"),
            due_at: u.due_at.clone(),
            checked_in_at: u.checked_in_at.clone(),
            late: u.late,
            far: u.far,
            distance_m: u.distance_m.map(|m| format!("{m:.0} m")).unwrap_or_default(),
            minutes_late: u.minutes_late,
            overdue: u.overdue,
            supervisions: u.supervisions,
            rating: u.rating,
        })
        .collect();
    let actions = desk
        .actions
        .iter()
        .map(|a| {
            let code = a.unit_code.clone().unwrap_or_default();
            ActionForm {
                action: a.action,
                label: key("waction", a.action, "case.actions"),
                unit_name: names.get(&code).cloned().unwrap_or_default(),
                unit_code: code,
            }
        })
        .collect();
    let timeline = desk.events.iter().map(|e| event_line(e, &names)).collect();
    let c = chrome(parts, session, "whistles");
    let fresh = c.fresh.then(|| c.csrf.clone());
    let page = WhistlePage {
        t: lang.msgs(),
        switch_href: lang.switch_href(&format!("/console/whistles/{id}")),
        chrome: c,
        kind_key: key("wkind", &w.kind, "wkind.routine"),
        status_key: key("wstatus", &w.status, "wstatus.open"),
        w,
        units,
        timeline,
        actions,
        is_error: banner.is_some() && banner != Some("case.done"),
        banner,
        errors,
    };
    finish(lang, fresh, html(status, &page))
}

async fn whistle(State(s): State<AppState>, lang: PageLang, Path(id): Path<String>, req: Request) -> Response {
    let parts = req.into_parts().0;
    let session = match require(&s, &parts).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<i64>() else { return StatusCode::NOT_FOUND.into_response() };
    let banner = parts.uri.query().filter(|q| q.contains("done=1")).map(|_| "case.done");
    whistle_page(&s, lang, &parts, &session, id, StatusCode::OK, banner, vec![]).await
}

fn to_input(f: &BTreeMap<String, String>) -> WhistleTransitionInput {
    let num = |k: &str| opt(f, k).and_then(|v| v.parse::<f64>().ok());
    WhistleTransitionInput {
        action: f.get("action").cloned().unwrap_or_default(),
        version: f.get("version").and_then(|v| v.parse().ok()).unwrap_or(-1),
        unit_code: opt(f, "unit_code"),
        lat: num("lat"),
        lon: num("lon"),
        note: opt(f, "note"),
        text: opt(f, "text"),
        report: opt(f, "report"),
        photos: opt(f, "photos")
            .map(|p| p.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect())
            .unwrap_or_default(),
        score: opt(f, "score").and_then(|v| v.parse().ok()),
        reason: opt(f, "reason"),
    }
}

async fn act(State(s): State<AppState>, lang: PageLang, Path(id): Path<String>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let Ok(id) = id.parse::<i64>() else { return StatusCode::NOT_FOUND.into_response() };
    let Some(f) = form::<BTreeMap<String, String>>(&parts, body).await else {
        return (StatusCode::BAD_REQUEST, "send a form").into_response();
    };
    if !csrf::check(&parts, f.get(csrf::NAME).map(String::as_str)) {
        return msg(lang, StatusCode::FORBIDDEN, "error.csrf");
    }
    let session = match staff(&s, &parts).await {
        Ok(Some(x)) => x,
        Ok(None) => {
            // Expired mid-form: sign in again with the work carried along.
            let carry = f.into_iter().filter(|(k, _)| k != csrf::NAME).collect();
            let expired = Some(lang.msgs().t("login.expired").to_string());
            let next = format!("/console/whistles/{id}/act");
            return login_page(lang, &parts, StatusCode::UNAUTHORIZED, String::new(), next, carry, expired);
        }
        Err(e) => return internal(&e),
    };
    let page = |status, banner, errors| whistle_page(&s, lang, &parts, &session, id, status, Some(banner), errors);
    match s.app.whistle_transition(&session.actor, id, &to_input(&f)).await {
        Ok(_) => Redirect::to(&format!("/console/whistles/{id}?done=1")).into_response(),
        Err(AppError::Domain(DomainError::VersionConflict { .. }))
        | Err(AppError::Domain(DomainError::IllegalTransition { .. })) => {
            page(StatusCode::CONFLICT, "whistle.stale", vec![]).await
        }
        Err(AppError::Domain(DomainError::Invalid { field, reason })) => {
            let errors = vec![FieldError { field: field.to_string(), message: reason }];
            page(StatusCode::UNPROCESSABLE_ENTITY, "case.invalid", errors).await
        }
        Err(AppError::Invalid(errors)) => page(StatusCode::UNPROCESSABLE_ENTITY, "case.invalid", errors).await,
        Err(AppError::Domain(DomainError::Forbidden(_))) | Err(AppError::Forbidden(_)) | Err(AppError::NotFound(_)) => {
            msg(lang, StatusCode::FORBIDDEN, "whistle.forbidden")
        }
        Err(e) => internal(&e),
    }
}

// ---------------------------------------------------------------- scorecards

/// A scorecard row, formatted.
struct ScoreRow {
    rank: usize,
    name: String,
    received: i64,
    on_time: String,
    median_minutes: String,
    completion: String,
    mean_rating: String,
    ratings: i64,
}

/// A subdistrict's whistle rate, formatted.
struct RateRow {
    name: String,
    whistles: i64,
    cases: i64,
    rate: String,
    median: String,
    against_key: &'static str,
}

#[derive(askama::Template)]
#[template(path = "console_whistle_scorecards.html")]
struct ScorecardsPage {
    t: super::Msgs,
    switch_href: String,
    chrome: Chrome,
    month: String,
    ranked: bool,
    rows: Vec<ScoreRow>,
    rates: Vec<RateRow>,
}

fn pct(v: Option<f64>) -> String {
    v.map(|x| format!("{:.0}%", x * 100.0)).unwrap_or_else(|| "—".into())
}

fn num1(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.1}")).unwrap_or_else(|| "—".into())
}

fn score_row(rank: usize, d: &DepartmentScorecard, name: String) -> ScoreRow {
    ScoreRow {
        rank,
        name,
        received: d.whistles_received,
        on_time: pct(d.on_time_check_in_rate),
        median_minutes: num1(d.median_minutes_to_check_in),
        completion: pct(d.completion_rate),
        mean_rating: num1(d.mean_rating),
        ratings: d.ratings,
    }
}

/// An organisation's name in the page language (the scorecards carry the Chinese one).
async fn name_of(s: &AppState, lang: PageLang, code: &str, zh: &str) -> String {
    match s.app.org_by_code(code).await {
        Ok(Some(n)) => lang.lang.pick(&n.name_zh, &n.name_en).to_string(),
        _ => zh.to_string(),
    }
}

#[derive(Deserialize, Default)]
struct MonthParams {
    month: Option<String>,
    #[allow(dead_code)]
    lang: Option<String>,
}

async fn scorecards(State(s): State<AppState>, lang: PageLang, Query(p): Query<MonthParams>, req: Request) -> Response {
    let parts = req.into_parts().0;
    let session = match require(&s, &parts).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let actor = &session.actor;
    let month = p
        .month
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| chuishao_app::time::rfc3339(s.app.now_ms()).chars().take(7).collect());
    let (ranked, rows, rates) = match s.app.scorecards(actor, &month).await {
        Ok(ScorecardPage { departments, subdistricts, .. }) => {
            let mut rows = Vec::new();
            for (i, d) in departments.iter().enumerate() {
                rows.push(score_row(i + 1, d, name_of(&s, lang, &d.department_code, &d.department_name).await));
            }
            let mut rates = Vec::new();
            for r in &subdistricts {
                rates.push(RateRow {
                    name: name_of(&s, lang, &r.subdistrict_code, &r.subdistrict_name).await,
                    whistles: r.whistles,
                    cases: r.cases,
                    rate: num1(r.whistles_per_1000_cases),
                    median: num1(r.district_median),
                    against_key: key("wrate", &r.against_median, "wrate.none"),
                });
            }
            (true, rows, rates)
        }
        Err(AppError::Invalid(_)) => return msg(lang, StatusCode::UNPROCESSABLE_ENTITY, "wscore.bad_month"),
        Err(AppError::Forbidden(_)) => {
            // Not the district: the departments the user works for, each its own card.
            let mut rows = Vec::new();
            for b in &actor.bindings {
                let dept = match s.app.org_lineage(b.org_id).await {
                    Ok(l) => l.into_iter().rev().find(|n| n.kind == OrgKind::Department),
                    Err(e) => return internal(&e),
                };
                let Some(dept) = dept else { continue };
                if rows.iter().any(|r: &ScoreRow| r.name == lang.lang.pick(&dept.name_zh, &dept.name_en)) {
                    continue;
                }
                match s.app.department_scorecard(actor, dept.id, &month).await {
                    Ok(d) => rows.push(score_row(0, &d, lang.lang.pick(&dept.name_zh, &dept.name_en).to_string())),
                    Err(AppError::Forbidden(_)) => continue,
                    Err(e) => return internal(&e),
                }
            }
            if rows.is_empty() {
                return msg(lang, StatusCode::FORBIDDEN, "wscore.forbidden");
            }
            (false, rows, Vec::new())
        }
        Err(e) => return internal(&e),
    };
    let c = chrome(&parts, &session, "scorecards");
    let fresh = c.fresh.then(|| c.csrf.clone());
    let page = ScorecardsPage {
        t: lang.msgs(),
        switch_href: lang.switch_href(&format!("/console/scorecards?month={month}&")).replace("&?", "&"),
        chrome: c,
        month,
        ranked,
        rows,
        rates,
    };
    finish(lang, fresh, html(StatusCode::OK, &page))
}

// ---------------------------------------------------------------- the grid map

#[derive(askama::Template)]
#[template(path = "console_whistle_map.html")]
struct MapPage {
    t: super::Msgs,
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
struct MapParams {
    org: Option<String>,
    metric: Option<String>,
    #[allow(dead_code)]
    lang: Option<String>,
}

async fn map(State(s): State<AppState>, lang: PageLang, Query(p): Query<MapParams>, req: Request) -> Response {
    let parts = req.into_parts().0;
    let session = match require(&s, &parts).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let actor = &session.actor;
    let areas = match s.app.map_areas(actor).await {
        Ok(a) => a,
        Err(e) => return internal(&e),
    };
    let pick = |zh: &str, en: &str| lang.lang.pick(zh, en).to_string();
    let Some(area) = p.org.as_deref().and_then(|c| areas.iter().find(|a| a.code == c)).or_else(|| areas.first()) else {
        return msg(lang, StatusCode::FORBIDDEN, "wmap.none");
    };
    let metric_name =
        p.metric.filter(|m| MapMetric::parse(m).is_some()).unwrap_or_else(|| "households_per_worker".into());
    let metric = MapMetric::parse(&metric_name).unwrap_or(MapMetric::HouseholdsPerWorker);
    let svg = match s.app.map_svg(actor, &area.code, metric, 960.0).await {
        Ok(svg) => svg,
        Err(AppError::NotFound(_)) => String::new(),
        Err(e) => return internal(&e),
    };
    let load = match s.app.workload(actor, &area.code, DEFAULT_HOUSEHOLDS_TARGET).await {
        Ok(w) => w,
        Err(e) => return internal(&e),
    };
    let c = chrome(&parts, &session, "map");
    let fresh = c.fresh.then(|| c.csrf.clone());
    let page = MapPage {
        t: lang.msgs(),
        switch_href: lang.switch_href(&format!("/console/map?org={}&", area.code)).replace("&?", "&"),
        chrome: c,
        areas: areas.iter().map(|a| (a.code.clone(), pick(&a.name_zh, &a.name_en))).collect(),
        area: area.code.clone(),
        metric: metric_name,
        svg,
        target: load.households_target,
        grids_over_target: load.grids_over_target,
        grids_without_worker: load.grids_without_worker,
        over: load.grids.into_iter().filter(|g| g.over_target).collect(),
    };
    finish(lang, fresh, html(StatusCode::OK, &page))
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/whistles", get(board))
        .route("/console/whistles/events", get(board_events))
        .route("/console/whistles/{id}", get(whistle))
        .route("/console/whistles/{id}/act", post(act))
        .route("/console/scorecards", get(scorecards))
        .route("/console/map", get(map))
}
