//! The live whistle board of a subdistrict: a JSON snapshot and a server-sent-events stream
//! that pushes a fresh board whenever a whistle of the subdistrict changes, on any node.

use crate::api::ErrorBody;
use crate::extract::{ApiQuery, Auth};
use crate::{ApiError, AppState};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use chuishao_app::App;
use chuishao_app::whistles::{BoardQuery, WhistleBoard};
use chuishao_domain::access::Actor;
use futures_util::stream::{self, StreamExt};
use std::convert::Infallible;
use tokio::sync::broadcast::Receiver;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

/// A subdistrict's open whistles and, per summoned unit, whether it has checked in and how
/// many minutes late against its required check-in time (as of now). Scoped like the other
/// whistle reads: the subdistrict sees its own, the district all, a department only the
/// whistles summoning it (and only its own unit).
#[utoipa::path(get, path = "/api/v1/whistles/board", tag = "whistles", security(("bearer" = [])), params(BoardQuery),
    responses((status = 200, body = WhistleBoard), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn board(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<BoardQuery>,
) -> Result<Json<WhistleBoard>, ApiError> {
    Ok(Json(s.app.whistles().whistle_board(&actor, &q.subdistrict).await?))
}

/// The board as server-sent events (`event: board`, JSON data): the current board at once,
/// then a fresh one each time a whistle event of the subdistrict is committed on any node
/// (PostgreSQL `LISTEN`/`NOTIFY`, SQLite polling). The event id is the last event's sequence.
#[utoipa::path(get, path = "/api/v1/whistles/board/stream", tag = "whistles", security(("bearer" = [])),
    params(BoardQuery),
    responses((status = 200, description = "text/event-stream of WhistleBoard", content_type = "text/event-stream"),
        (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn board_stream(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<BoardQuery>,
) -> Result<Response, ApiError> {
    board_events(&s, actor, q.subdistrict, "board").await
}

/// The board stream of `code` as `actor` sees it, each board sent as an event named `name`
/// (the API's `board`; the console's page listens for `changed` and refetches its table).
pub(crate) async fn board_events(
    s: &AppState,
    actor: Actor,
    code: String,
    name: &'static str,
) -> Result<Response, ApiError> {
    // Subscribe first, then read: a change committed in between triggers a fresh board.
    let rx = s.live.subscribe_whistles(&s.app).await.map_err(|e| {
        tracing::error!(error = %e, "whistle board subscribe failed");
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "live updates unavailable")
    })?;
    let first = s.app.whistles().whistle_board(&actor, &code).await?;
    let state = Follow { rx, app: s.app.clone(), actor, code, shown: first.clone() };
    let live = stream::unfold(state, move |mut st| async move {
        let seq = st.next_change().await?;
        match st.app.whistles().whistle_board(&st.actor, &st.code).await {
            Ok(b) => {
                let ev = event(&b, Some(seq), name);
                st.shown = b;
                Some((ev, st))
            }
            Err(e) => {
                tracing::warn!(error = %e, "whistle board refresh failed");
                None
            }
        }
    });
    let all = stream::once(async move { event(&first, None, name) }).chain(live).map(Ok::<Event, Infallible>);
    let mut res =
        Sse::new(crate::metrics::tracked("whistle_board", all)).keep_alive(KeepAlive::default()).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res.headers_mut().insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(res)
}

struct Follow {
    rx: Receiver<chuishao_app::residents::live::WhistleChange>,
    app: std::sync::Arc<App>,
    actor: Actor,
    code: String,
    /// The last board sent (which changes concern it).
    shown: WhistleBoard,
}

impl Follow {
    /// Waits for a change concerning the board, then drains whatever else is already queued
    /// (one fresh board for a burst). Returns the last sequence number seen, `None` when the
    /// hub is gone.
    async fn next_change(&mut self) -> Option<i64> {
        let mut seq = loop {
            match self.rx.recv().await {
                Ok(c) if self.shown.concerns(&c) => break c.seq,
                Ok(_) => continue,
                // Missed some: recompute anyway.
                Err(RecvError::Lagged(_)) => break 0,
                Err(RecvError::Closed) => return None,
            }
        };
        loop {
            match self.rx.try_recv() {
                Ok(c) => seq = seq.max(c.seq),
                Err(TryRecvError::Lagged(_)) => continue,
                Err(_) => return Some(seq),
            }
        }
    }
}

fn event(b: &WhistleBoard, seq: Option<i64>, name: &'static str) -> Event {
    let e = Event::default().event(name).json_data(b).unwrap_or_else(|_| Event::default().comment("?"));
    match seq {
        Some(s) if s > 0 => e.id(s.to_string()),
        _ => e,
    }
}
