//! Bulk actions from the dispatcher's board: classify, dispatch or reject up to 100 ticked
//! cases (`case=id:version`, repeated). Each case is its own change at the version the board
//! showed; the result page lists per case what was done or why not.

use super::{Chrome, PageResult, StaffForm, status_text};
use crate::AppState;
use crate::web::{Msgs, PageLang};
use axum::extract::State;
use axum::http::StatusCode;
use chuishao_app::AppError;
use chuishao_app::cases::{BulkAction, BulkInput};
use chuishao_domain::DomainError;
use chuishao_domain::ids::CaseId;

/// One case's line on the bulk result page.
struct BulkRow {
    id: i64,
    code: String,
    ok: bool,
    text: String,
    /// The refused fields' codes, space-separated (a `data-fields` attribute for scripts).
    fields: String,
}

/// The codes of the fields `e` refused.
fn refused_fields(e: &AppError) -> String {
    match e {
        AppError::Domain(DomainError::Invalid { field, .. }) => field.to_string(),
        AppError::Invalid(list) => list.iter().map(|f| f.field.as_str()).collect::<Vec<_>>().join(" "),
        _ => String::new(),
    }
}

#[derive(askama::Template)]
#[template(path = "console_bulk.html")]
struct BulkPage {
    t: Msgs,
    switch_href: String,
    chrome: Chrome,
    rows: Vec<BulkRow>,
    succeeded: usize,
    failed: usize,
}

/// Why one case of a bulk action failed, in the page language.
fn failure_text(lang: PageLang, e: &AppError) -> String {
    let t = lang.msgs();
    match e {
        AppError::Domain(DomainError::VersionConflict { .. }) => t.t("bulk.stale").to_string(),
        AppError::Domain(DomainError::IllegalTransition { .. }) => t.t("bulk.illegal").to_string(),
        AppError::Domain(DomainError::SeparationOfDuties(_)) => t.t("case.own_result").to_string(),
        AppError::Domain(DomainError::Forbidden(_)) | AppError::Forbidden(_) | AppError::NotFound(_) => {
            t.t("case.forbidden").to_string()
        }
        AppError::Domain(DomainError::Invalid { .. }) | AppError::Invalid(_) => {
            let list = super::field_errors(lang.lang, e);
            format!("{} {}", t.t("case.invalid"), list.join(lang.lang.pick("；", "; ")))
        }
        _ => t.t("error.internal").to_string(),
    }
}

/// `POST /console/board/bulk`: one action on the selected cases.
pub(super) async fn bulk(State(s): State<AppState>, StaffForm { staff, form }: StaffForm) -> PageResult {
    let Some(action) = form.opt("bulk_action").as_deref().and_then(BulkAction::parse) else {
        return Err(staff.refuse(StatusCode::UNPROCESSABLE_ENTITY, "bulk.no_action"));
    };
    let items: Vec<(CaseId, i64)> = form
        .all("case")
        .filter_map(|v| v.split_once(':'))
        .filter_map(|(id, version)| Some((CaseId(id.parse().ok()?), version.parse().ok()?)))
        .collect();
    let input = BulkInput {
        action,
        category_code: form.opt("category_code"),
        urgency: form.opt("urgency"),
        handler_code: form.opt("handler_code"),
        reason: form.opt("reason"),
        note: form.opt("note"),
    };
    let outcomes = match s.app.cases().bulk(staff.actor(), &input, &items).await {
        Ok(x) => x,
        Err(AppError::Invalid(_)) => return Err(staff.refuse(StatusCode::UNPROCESSABLE_ENTITY, "bulk.none")),
        Err(e) => return Err(staff.fail(e)),
    };
    let rows: Vec<BulkRow> = outcomes
        .iter()
        .map(|o| match &o.result {
            Ok(v) => BulkRow {
                id: o.id.0,
                code: v.tracking_code.clone(),
                ok: true,
                text: match &v.handler {
                    Some(h) => {
                        format!("{} → {}", status_text(staff.lang, v.status), staff.pick(&h.name_zh, &h.name_en))
                    }
                    None => status_text(staff.lang, v.status).to_string(),
                },
                fields: String::new(),
            },
            Err(e) => BulkRow {
                id: o.id.0,
                code: String::new(),
                ok: false,
                text: failure_text(staff.lang, e),
                fields: refused_fields(e),
            },
        })
        .collect();
    let succeeded = rows.iter().filter(|r| r.ok).count();
    let page = BulkPage {
        t: staff.t(),
        switch_href: staff.switch_href("/console/board"),
        chrome: staff.chrome("board"),
        failed: rows.len() - succeeded,
        succeeded,
        rows,
    };
    Ok(staff.render(StatusCode::OK, &page))
}
