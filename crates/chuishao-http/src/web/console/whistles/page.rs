//! One whistle: its summoned units with their check-ins, lateness, distance and ratings, its
//! history with the units' evidence, and a form for each action the domain allows the user
//! now (per unit). Posts go through `App::whistle_transition` like the API's.

use super::name_of;
use crate::AppState;
use crate::web::console::{Chrome, Form, PageError, PageResult, Staff, StaffForm, key};
use crate::web::{Msgs, filters};
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect};
use chuishao_app::AppError;
use chuishao_app::whistles::{WhistleEventView, WhistleTransitionInput, WhistleView};
use chuishao_domain::DomainError;
use chuishao_domain::ids::WhistleId;
use std::collections::BTreeMap;

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
    /// The deadline was computed on a provisional year and may move (shown while the unit
    /// has not checked in and the whistle is open).
    provisional: bool,
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
    t: Msgs,
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
    /// Refused fields, worded in the page language.
    errors: Vec<String>,
}

fn event_line(staff: &Staff, e: &WhistleEventView, names: &BTreeMap<String, String>) -> EventLine {
    let d = &e.data;
    let s = |k: &str| d.get(k).and_then(|v| v.as_str()).map(|v| chuishao_i18n::localise_note(v, staff.lang.lang));
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
    // A re-timed check-in deadline: the old and the new instant (China Standard Time).
    if let (Some(from), Some(to)) =
        (d.get("from_due_at").and_then(|v| v.as_i64()), d.get("due_at").and_then(|v| v.as_i64()))
    {
        let local = |ms: i64| filters::short(chuishao_app::time::rfc3339(ms));
        detail.push(format!("{} → {}", local(from), local(to)));
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

/// The page of whistle `id` with `status`, a banner (a catalogue key) and field errors.
async fn whistle_page(
    s: &AppState,
    staff: &Staff,
    id: WhistleId,
    status: StatusCode,
    banner: Option<&'static str>,
    errors: Vec<String>,
) -> PageResult {
    let desk = match s.app.whistles().whistle_desk(staff.actor(), id).await {
        Ok(x) => x,
        Err(AppError::Forbidden(_)) => return Err(staff.refuse(StatusCode::FORBIDDEN, "whistle.forbidden")),
        Err(AppError::NotFound(_)) => return Err(staff.refuse(StatusCode::NOT_FOUND, "whistle.not_found")),
        Err(e) => return Err(staff.fail(e)),
    };
    let mut w = desk.view;
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for u in &w.units {
        names.insert(u.unit_code.clone(), name_of(s, staff, &u.unit_code, &u.unit_name).await);
    }
    w.raised_by_name = name_of(s, staff, &w.raised_by_code, &w.raised_by_name).await;
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
            provisional: u.provisional && u.checked_in_at.is_none() && w.status == "open",
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
    let timeline = desk.events.iter().map(|e| event_line(staff, e, &names)).collect();
    let page = WhistlePage {
        t: staff.t(),
        switch_href: staff.switch_href(&format!("/console/whistles/{id}")),
        chrome: staff.chrome("whistles"),
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
    Ok(staff.render(status, &page))
}

/// `GET /console/whistles/{id}` (`?done=1` after an action).
pub(super) async fn whistle(State(s): State<AppState>, staff: Staff, Path(id): Path<String>, uri: Uri) -> PageResult {
    let Ok(id) = id.parse::<i64>().map(WhistleId) else { return Err(PageError::not_found(staff.lang)) };
    let banner = uri.query().filter(|q| q.contains("done=1")).map(|_| "case.done");
    whistle_page(&s, &staff, id, StatusCode::OK, banner, vec![]).await
}

fn to_input(f: &Form) -> WhistleTransitionInput {
    let num = |k: &str| f.opt(k).and_then(|v| v.parse::<f64>().ok());
    WhistleTransitionInput {
        action: f.get("action").unwrap_or_default().to_string(),
        version: f.get("version").and_then(|v| v.parse().ok()).unwrap_or(-1),
        unit_code: f.opt("unit_code"),
        lat: num("lat"),
        lon: num("lon"),
        note: f.opt("note"),
        text: f.opt("text"),
        report: f.opt("report"),
        photos: f
            .opt("photos")
            .map(|p| p.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect())
            .unwrap_or_default(),
        score: f.opt("score").and_then(|v| v.parse().ok()),
        reason: f.opt("reason"),
    }
}

/// `POST /console/whistles/{id}/act`: one action, then back to the whistle (`?done=1`).
pub(super) async fn act(
    State(s): State<AppState>,
    Path(id): Path<String>,
    StaffForm { staff, form }: StaffForm,
) -> PageResult {
    let Ok(id) = id.parse::<i64>().map(WhistleId) else { return Err(PageError::not_found(staff.lang)) };
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    match s.app.whistles().whistle_transition(staff.actor(), id, &to_input(&form)).await {
        Ok(_) => Ok(Redirect::to(&format!("/console/whistles/{id}?done=1")).into_response()),
        Err(AppError::Domain(DomainError::VersionConflict { .. }))
        | Err(AppError::Domain(DomainError::IllegalTransition { .. })) => {
            whistle_page(&s, &staff, id, StatusCode::CONFLICT, Some("whistle.stale"), vec![]).await
        }
        Err(e @ (AppError::Domain(DomainError::Invalid { .. }) | AppError::Invalid(_))) => {
            let errors = super::super::field_errors(staff.lang.lang, &e);
            whistle_page(&s, &staff, id, unprocessable, Some("case.invalid"), errors).await
        }
        Err(AppError::Domain(DomainError::Forbidden(_) | DomainError::SeparationOfDuties(_)))
        | Err(AppError::Forbidden(_))
        | Err(AppError::NotFound(_)) => Err(staff.refuse(StatusCode::FORBIDDEN, "whistle.forbidden")),
        Err(e) => Err(staff.fail(e)),
    }
}
