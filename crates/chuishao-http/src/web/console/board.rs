//! The case boards: the dispatcher's board (incoming, returns, working), the department
//! inbox and the leaders' overdue and supervised view; one page shape with per-family queues,
//! filters, bulk selection on the incoming queue, and a live refresh over SSE.

use super::staff::session_of;
use super::{Chrome, PageResult, Staff, key, left_text, pick_lists, status_text};
use crate::AppState;
use crate::web::Msgs;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use chuishao_app::AppError;
use chuishao_app::cases::{BoardItem, BoardQuery};
use futures_util::stream;
use serde::Deserialize;
use std::convert::Infallible;

/// One board row, ready to render.
pub(super) struct Row {
    id: i64,
    version: i64,
    code: String,
    status: &'static str,
    status_text: &'static str,
    urgent: bool,
    category: String,
    place: String,
    handler: String,
    left: String,
    overdue: bool,
    due_at: i64,
    returned: bool,
    /// "unit: reason" of a return awaiting a ruling.
    return_note: String,
    description: String,
}

fn row(staff: &Staff, i: &BoardItem) -> Row {
    let c = &i.case;
    let pick = |x: &chuishao_app::admin::orgs::OrgRefView| staff.pick(&x.name_zh, &x.name_en);
    Row {
        id: c.id,
        version: c.version,
        code: c.tracking_code.clone(),
        status: c.status,
        status_text: status_text(staff.lang, c.status),
        urgent: c.urgency == "urgent",
        category: c.category.as_ref().map(|x| staff.pick(&x.name_zh, &x.name_en)).unwrap_or_default(),
        place: c.community.as_ref().or(c.subdistrict.as_ref()).map(pick).unwrap_or_default(),
        handler: c.handler.as_ref().map(pick).unwrap_or_default(),
        left: left_text(staff.lang, i.left_ms),
        overdue: i.left_ms < 0,
        due_at: i.due_at,
        returned: i.returned,
        return_note: i
            .return_info
            .as_ref()
            .map(|r| format!("{}：{}", staff.pick(&r.unit_zh, &r.unit_en), r.reason))
            .unwrap_or_default(),
        description: c.description.chars().take(60).collect(),
    }
}

#[derive(askama::Template)]
#[template(path = "console_board.html")]
struct BoardPage {
    t: Msgs,
    switch_href: String,
    chrome: Chrome,
    title_key: &'static str,
    queue: String,
    queues: Vec<(&'static str, &'static str)>,
    category: String,
    urgency: String,
    q: String,
    rows: Vec<Row>,
    /// Rows can be selected for a bulk action (a dispatcher's incoming queue).
    bulk: bool,
    units: Vec<(String, String)>,
    categories: Vec<(String, String)>,
}

/// Just the table, for the live refresh.
#[derive(askama::Template)]
#[template(path = "console_board_table.html")]
struct BoardTable {
    t: Msgs,
    rows: Vec<Row>,
    bulk: bool,
}

#[derive(Deserialize, Default)]
pub(super) struct BoardParams {
    queue: Option<String>,
    category: Option<String>,
    urgency: Option<String>,
    q: Option<String>,
    fragment: Option<String>,
    #[allow(dead_code)]
    lang: Option<String>,
}

async fn board_page(s: AppState, staff: Staff, nav: &'static str, default_queue: &str, p: BoardParams) -> PageResult {
    let queue = p.queue.clone().filter(|q| !q.is_empty()).unwrap_or_else(|| default_queue.to_string());
    let bq = BoardQuery {
        queue: Some(queue.clone()),
        category: p.category.clone(),
        urgency: p.urgency.clone(),
        q: p.q.clone(),
    };
    let items = match s.app.cases().board(staff.actor(), &bq).await {
        Ok(x) => x,
        Err(AppError::Invalid(_)) => return Err(staff.refuse(StatusCode::UNPROCESSABLE_ENTITY, "board.bad_filter")),
        Err(e) => return Err(staff.fail(e)),
    };
    let queues = match nav {
        "board" => ["incoming", "returns", "working"],
        "inbox" => ["working", "overdue", "supervised"],
        _ => ["overdue", "supervised", "working"],
    };
    let rows: Vec<Row> = items.iter().map(|i| row(&staff, i)).collect();
    let bulk = nav == "board" && queue == "incoming" && staff.dispatches();
    if p.fragment.is_some() {
        return Ok(staff.render(StatusCode::OK, &BoardTable { t: staff.t(), rows, bulk }));
    }
    let (units, categories) = if bulk { pick_lists(&s, &staff).await } else { (vec![], vec![]) };
    let page = BoardPage {
        t: staff.t(),
        switch_href: staff.switch_href(&format!("/console/{nav}")),
        chrome: staff.chrome(nav),
        title_key: key("nav", nav, "case.actions"),
        queue,
        queues: queues.iter().map(|q| (*q, key("board", q, "case.actions"))).collect(),
        category: p.category.unwrap_or_default(),
        urgency: p.urgency.unwrap_or_default(),
        q: p.q.unwrap_or_default(),
        rows,
        bulk,
        units,
        categories,
    };
    Ok(staff.render(StatusCode::OK, &page))
}

/// `GET /console/board`: the dispatcher's queues.
pub(super) async fn board(State(s): State<AppState>, staff: Staff, Query(p): Query<BoardParams>) -> PageResult {
    board_page(s, staff, "board", "incoming", p).await
}

/// `GET /console/inbox`: what the user's units must work on.
pub(super) async fn inbox(State(s): State<AppState>, staff: Staff, Query(p): Query<BoardParams>) -> PageResult {
    board_page(s, staff, "inbox", "working", p).await
}

/// `GET /console/overdue`: overdue and supervised cases.
pub(super) async fn overdue(State(s): State<AppState>, staff: Staff, Query(p): Query<BoardParams>) -> PageResult {
    board_page(s, staff, "overdue", "overdue", p).await
}

/// Live board: an event named `changed` whenever the event log grows (the page then
/// refreshes its table). Follows the node's live hub, whose tail wakes on `NOTIFY` on
/// PostgreSQL, so a change committed on any node reaches every open board. A stream has no
/// page to send to sign-in: without a session it is 401.
pub(super) async fn board_events(State(s): State<AppState>, req: Request) -> Response {
    let parts = req.into_parts().0;
    match session_of(&s, &parts).await {
        Ok(Some(_)) => {}
        Ok(None) => return StatusCode::UNAUTHORIZED.into_response(),
        Err(e) => return super::PageError::internal(crate::web::PageLang::of(&parts), &e).into_response(),
    }
    let rx = match s.live.subscribe_changes(&s.app).await {
        Ok(rx) => rx,
        Err(e) => return super::PageError::internal(crate::web::PageLang::of(&parts), &e).into_response(),
    };
    let events = stream::unfold(rx, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(head) => {
                    let ev = Event::default().event("changed").data(head.to_string());
                    return Some((Ok::<Event, Infallible>(ev), rx));
                }
                // Missed some heads: the next refresh shows them all the same.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    let mut res =
        Sse::new(crate::metrics::tracked("console_board", events)).keep_alive(KeepAlive::default()).into_response();
    res.headers_mut().insert("x-accel-buffering", HeaderValue::from_static("no"));
    res
}
