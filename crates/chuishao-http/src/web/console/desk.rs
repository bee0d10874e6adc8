//! The case desk: one case with its timeline in plain words, running clocks and countdowns,
//! supervision records, map snippet, photos and linked whistles, and a form for each action
//! the domain allows the user now (a returned case offers the ruling instead of dispatch).

use super::{Chrome, PageResult, Staff, key, pick_lists, status_text};
use crate::AppState;
use crate::web::{Msgs, filters};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chuishao_app::AppError;
use chuishao_app::cases::CaseView;
use chuishao_app::cases::desk::{DeskEvent, LinkedWhistle};
use chuishao_app::residents::public_text::PublicTextView;
use chuishao_domain::access::Role;
use chuishao_domain::cases::Action;
use chuishao_domain::ids::CaseId;

#[derive(askama::Template)]
#[template(path = "console_case.html")]
struct CasePage {
    t: Msgs,
    switch_href: String,
    chrome: Chrome,
    c: CaseView,
    status_text: &'static str,
    actions: Vec<(&'static str, &'static str)>,
    /// The resolution deadline (or, before dispatch, the one expected).
    headline: Option<ClockRow>,
    timeline: Vec<TimelineRow>,
    supervision: Vec<TimelineRow>,
    clocks: Vec<ClockRow>,
    whistles: Vec<LinkedWhistle>,
    map_svg: Option<String>,
    /// A return awaiting the dispatcher's ruling: (unit, reason, at).
    returned: Option<(String, String, String)>,
    suggested: Option<(String, String)>,
    units: Vec<(String, String)>,
    categories: Vec<(String, String)>,
    banner: Option<&'static str>,
    /// Refused fields, worded in the page language.
    errors: Vec<String>,
    is_error: bool,
    reporter_photos: Vec<String>,
    result_photos: Vec<String>,
    /// What the public sees, for dispatchers who may change it.
    public: Option<PublicTextView>,
}

/// One timeline line in the page language.
struct TimelineRow {
    at: String,
    kind: String,
    text: String,
    unit: String,
}

use crate::web::clocks::ClockRow;

fn timeline_rows(staff: &Staff, events: &[DeskEvent]) -> Vec<TimelineRow> {
    events
        .iter()
        .map(|e| TimelineRow {
            at: e.at.clone(),
            kind: e.kind.clone(),
            text: {
                let unit = e.unit.as_ref().map(|(zh, en)| (zh.as_str(), en.as_str()));
                chuishao_i18n::cases::staff(&e.event, unit).pick(staff.lang.lang).to_string()
            },
            unit: match &e.actor_unit {
                Some((zh, en)) => staff.pick(zh, en),
                None => staff.t().t("case.system").to_string(),
            },
        })
        .collect()
}

/// The desk of case `id` with `status`, a banner (a catalogue key) and field errors.
pub(super) async fn case_page(
    s: &AppState,
    staff: &Staff,
    id: i64,
    status: StatusCode,
    banner: Option<&'static str>,
    errors: Vec<String>,
) -> PageResult {
    let (c, actions) = match s.app.cases().desk_case(staff.actor(), CaseId(id)).await {
        Ok(x) => x,
        Err(AppError::Forbidden(_)) => return Err(staff.refuse(StatusCode::FORBIDDEN, "case.forbidden")),
        Err(AppError::NotFound(_)) => return Err(staff.refuse(StatusCode::NOT_FOUND, "case.not_found")),
        Err(e) => return Err(staff.fail(e)),
    };
    let details = s.app.cases().desk_details(staff.actor(), &c).await.map_err(|e| staff.fail(e))?;
    let mut names: Vec<&'static str> = actions.iter().map(|a| a.as_str()).collect();
    let actor = staff.actor();
    if actions.contains(&Action::Register) && (actor.has_role(Role::Dispatcher) || actor.has_role(Role::Admin)) {
        names.insert(0, "register_dispatch");
    }
    let suggested = s.app.cases().suggest_handler(&c).await.map_err(|e| staff.fail(e))?;
    let suggested = suggested.map(|n| (n.code.clone(), staff.pick(&n.name_zh, &n.name_en)));
    // A returned case is dispatched again by a ruling on the return (改派 or 维持).
    if details.returned.is_some()
        && let Some(i) = names.iter().position(|a| *a == "dispatch")
    {
        names[i] = "arbitrate";
    }
    let needs_lists =
        names.iter().any(|a| matches!(*a, "register_dispatch" | "register" | "dispatch" | "reopen" | "arbitrate"));
    let (units, categories) = if needs_lists { pick_lists(s, staff).await } else { (vec![], vec![]) };
    // Before dispatch (no resolution clock yet), the deadline expected from receipt.
    let terminal = matches!(c.status, "rejected" | "merged" | "closed");
    let expected = if terminal || c.deadlines.iter().any(|d| d.kind == "resolution") {
        None
    } else {
        Some(s.app.cases().due_at(&c).await.map_err(|e| staff.fail(e))?)
    };
    let now = s.app.now_ms();
    let public = match s
        .app
        .residents()
        .public_text_view(actor, CaseId(id), matches!(staff.lang.lang, crate::web::Lang::En))
        .await
    {
        Ok(p) => Some(p),
        Err(AppError::Forbidden(_)) => None,
        Err(e) => return Err(staff.fail(e)),
    };
    let page = CasePage {
        public,
        t: staff.t(),
        switch_href: staff.switch_href(&format!("/console/cases/{id}")),
        chrome: staff.chrome(""),
        status_text: status_text(staff.lang, c.status),
        clocks: crate::web::clocks::clock_rows(staff.t(), &c, now),
        headline: crate::web::clocks::headline(staff.t(), &c, expected, now),
        c,
        actions: names.iter().map(|a| (*a, key("action", a, "case.actions"))).collect(),
        timeline: timeline_rows(staff, &details.timeline),
        supervision: timeline_rows(staff, &details.supervision),
        whistles: details.whistles,
        map_svg: details.map_svg,
        returned: details.returned.map(|r| (staff.pick(&r.unit_zh, &r.unit_en), r.reason, r.at)),
        suggested,
        units,
        categories,
        is_error: banner.is_some() && banner != Some("case.done"),
        banner,
        errors,
        reporter_photos: details.reporter_photos,
        result_photos: details.result_photos,
    };
    Ok(staff.render(status, &page))
}

/// `GET /console/cases/{id}` (`?done=1` after an action).
pub(super) async fn case_desk(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    uri: axum::http::Uri,
) -> PageResult {
    let Ok(id) = id.parse::<i64>() else { return Err(super::PageError::not_found(staff.lang)) };
    let banner = uri.query().filter(|q| q.contains("done=1")).map(|_| "case.done");
    case_page(&s, &staff, id, StatusCode::OK, banner, vec![]).await
}
