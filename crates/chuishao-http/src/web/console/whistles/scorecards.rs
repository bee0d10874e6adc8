//! The departments' whistle scorecards: the district's ranking and the subdistricts' whistle
//! rates for those who see the district, else one card per department the user works for.

use super::name_of;
use crate::AppState;
use crate::web::Msgs;
use crate::web::console::{Chrome, PageResult, Staff, key};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use chuishao_app::AppError;
use chuishao_app::whistles::{DepartmentScorecard, ScorecardPage};
use chuishao_domain::org::OrgKind;
use serde::Deserialize;

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
    t: Msgs,
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

#[derive(Deserialize, Default)]
pub(super) struct MonthParams {
    month: Option<String>,
    #[allow(dead_code)]
    lang: Option<String>,
}

/// The cards of the departments the user works for (not the district).
async fn own_cards(s: &AppState, staff: &Staff, month: &str) -> Result<Vec<ScoreRow>, crate::web::console::PageError> {
    let actor = staff.actor();
    let mut rows: Vec<ScoreRow> = Vec::new();
    for b in &actor.bindings {
        let lineage = s.app.admin().org_lineage(b.org_id).await.map_err(|e| staff.fail(e))?;
        let Some(dept) = lineage.into_iter().rev().find(|n| n.kind == OrgKind::Department) else { continue };
        let name = staff.pick(&dept.name_zh, &dept.name_en);
        if rows.iter().any(|r| r.name == name) {
            continue;
        }
        match s.app.whistles().department_scorecard(actor, dept.id, month).await {
            Ok(d) => rows.push(score_row(0, &d, name)),
            Err(AppError::Forbidden(_)) => continue,
            Err(e) => return Err(staff.fail(e)),
        }
    }
    Ok(rows)
}

/// `GET /console/scorecards` (`?month=YYYY-MM`, this month by default).
pub(super) async fn scorecards(State(s): State<AppState>, staff: Staff, Query(p): Query<MonthParams>) -> PageResult {
    let month = p
        .month
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| chuishao_app::time::rfc3339(s.app.now_ms()).chars().take(7).collect());
    let (ranked, rows, rates) = match s.app.whistles().scorecards(staff.actor(), &month).await {
        Ok(ScorecardPage { departments, subdistricts, .. }) => {
            let mut rows = Vec::new();
            for (i, d) in departments.iter().enumerate() {
                rows.push(score_row(i + 1, d, name_of(&s, &staff, &d.department_code, &d.department_name).await));
            }
            let mut rates = Vec::new();
            for r in &subdistricts {
                rates.push(RateRow {
                    name: name_of(&s, &staff, &r.subdistrict_code, &r.subdistrict_name).await,
                    whistles: r.whistles,
                    cases: r.cases,
                    rate: num1(r.whistles_per_1000_cases),
                    median: num1(r.district_median),
                    against_key: key("wrate", &r.against_median, "wrate.none"),
                });
            }
            (true, rows, rates)
        }
        Err(AppError::Invalid(_)) => return Err(staff.refuse(StatusCode::UNPROCESSABLE_ENTITY, "wscore.bad_month")),
        Err(AppError::Forbidden(_)) => {
            let rows = own_cards(&s, &staff, &month).await?;
            if rows.is_empty() {
                return Err(staff.refuse(StatusCode::FORBIDDEN, "wscore.forbidden"));
            }
            (false, rows, Vec::new())
        }
        Err(e) => return Err(staff.fail(e)),
    };
    let page = ScorecardsPage {
        t: staff.t(),
        switch_href: staff.switch_href(&format!("/console/scorecards?month={month}&")).replace("&?", "&"),
        chrome: staff.chrome("scorecards"),
        month,
        ranked,
        rows,
        rates,
    };
    Ok(staff.render(StatusCode::OK, &page))
}
