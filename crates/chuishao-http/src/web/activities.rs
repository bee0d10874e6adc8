//! The public activity pages `/activities` and `/activities/{id}`: published activities not
//! yet ended, phone-sized, without JavaScript, in the page's language (kinds and skills from
//! the catalogue or the configured list). Names of people are never shown.

use super::{MessagePage, PageLang, html};
use crate::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use chuishao_app::AppError;
use chuishao_app::community::{ActivityView, SkillView};

/// An activity as the pages show it, already worded.
struct Item {
    id: i64,
    title: String,
    kind: String,
    when: String,
    address: String,
    capacity: u32,
    taken: u32,
    full: bool,
    skills: String,
    description: String,
}

#[derive(askama::Template)]
#[template(path = "activities.html")]
struct ListPage {
    t: super::Msgs,
    switch_href: String,
    items: Vec<Item>,
}

#[derive(askama::Template)]
#[template(path = "activity.html")]
struct OnePage {
    t: super::Msgs,
    switch_href: String,
    a: Item,
}

fn item(lang: PageLang, a: &ActivityView, skills: &[SkillView]) -> Item {
    let t = lang.msgs();
    let names: Vec<&str> = a
        .skills
        .iter()
        .map(|code| {
            skills.iter().find(|s| &s.code == code).map_or(code.as_str(), |s| lang.lang.pick(&s.name_zh, &s.name_en))
        })
        .collect();
    let start = super::filters::short(a.starts_at.clone());
    let end = super::filters::short(a.ends_at.clone());
    let end = if end.get(..10) == start.get(..10) { end.get(11..).unwrap_or(&end).to_string() } else { end };
    Item {
        id: a.id,
        title: a.title.clone(),
        kind: t.t(&format!("activity_kind.{}", a.kind)).to_string(),
        when: format!("{start} – {end}"),
        address: a.address.clone(),
        capacity: a.capacity,
        taken: a.taken,
        full: a.taken >= a.capacity,
        skills: names.join(lang.lang.pick("、", ", ")),
        description: a.description.clone(),
    }
}

fn failed(lang: PageLang, status: StatusCode, path: &str, line: &'static str) -> Response {
    let page = MessagePage {
        t: lang.msgs(),
        switch_href: lang.switch_href(path),
        heading: "error.title",
        lines: vec![line],
        is_error: true,
        back_href: format!("/activities?lang={}", lang.lang.code()),
    };
    lang.remember(html(status, &page))
}

/// `GET /activities`: what is coming up, soonest first.
async fn list(State(s): State<AppState>, lang: PageLang) -> Response {
    let c = s.app.community();
    let (list, skills) = match (c.public_activities(None).await, c.skills().await) {
        (Ok(l), Ok(k)) => (l, k),
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!(error = %e, "activities page failed");
            return failed(lang, StatusCode::INTERNAL_SERVER_ERROR, "/activities", "error.internal");
        }
    };
    let items = list.iter().map(|a| item(lang, a, &skills)).collect();
    let page = ListPage { t: lang.msgs(), switch_href: lang.switch_href("/activities"), items };
    lang.remember(html(StatusCode::OK, &page))
}

/// `GET /activities/{id}`.
async fn one(State(s): State<AppState>, lang: PageLang, Path(id): Path<String>) -> Response {
    let path = format!("/activities/{id}");
    let Some(id) = id.parse::<i64>().ok().filter(|i| *i > 0) else {
        return failed(lang, StatusCode::NOT_FOUND, &path, "act.not_found");
    };
    let c = s.app.community();
    let a = match c.public_activity(id).await {
        Ok(a) => a,
        Err(AppError::NotFound(_)) => return failed(lang, StatusCode::NOT_FOUND, &path, "act.not_found"),
        Err(e) => {
            tracing::error!(error = %e, "activity page failed");
            return failed(lang, StatusCode::INTERNAL_SERVER_ERROR, &path, "error.internal");
        }
    };
    let skills = c.skills().await.unwrap_or_default();
    let page = OnePage { t: lang.msgs(), switch_href: lang.switch_href(&path), a: item(lang, &a, &skills) };
    lang.remember(html(StatusCode::OK, &page))
}

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/activities", get(list)).route("/activities/{id}", get(one))
}
