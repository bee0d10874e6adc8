//! The case desk's forms: every action posts here with the case version the desk showed.
//! Result photos (the multipart resolve form) go through the residents' photo pipeline; a
//! ruling on a return goes through `arbitrate`; "register and dispatch" is one change of two
//! steps. Refusals re-render the desk with the reason, or answer 403.

use super::desk::case_page;
use super::{Form, PageError, PageResult, StaffForm};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use chuishao_app::AppError;
use chuishao_app::cases::TransitionInput;
use chuishao_app::residents::photos::{CleanPhoto, PhotoError};
use chuishao_app::residents::public_text::{PublicTextInput, PublicTextMode};
use chuishao_domain::DomainError;
use chuishao_domain::ids::CaseId;

fn to_input(f: &Form, action: &str, version: i64) -> TransitionInput {
    TransitionInput {
        action: action.to_string(),
        version,
        reason: f.opt("reason"),
        category_code: f.opt("category_code"),
        urgency: f.opt("urgency"),
        handler_code: f.opt("handler_code"),
        note: f.opt("note"),
        days: f.opt("days").and_then(|d| d.parse().ok()),
        result: f.opt("result"),
        evidence: f
            .opt("evidence")
            .map(|e| e.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect()),
        passed: (action == "verify").then_some(true),
        tier: f.opt("tier"),
        ..TransitionInput::default()
    }
}

/// Runs uploaded photos through the residents' photo pipeline (in the node's decoding pool).
/// Photos come only with a resolution; the error is a message key.
async fn clean_photos(
    s: &AppState,
    files: Vec<axum::body::Bytes>,
    allowed: bool,
) -> Result<Vec<CleanPhoto>, &'static str> {
    if !files.is_empty() && !allowed {
        return Err("case.photo_not_here");
    }
    s.decode.clean_all(files).await.map_err(|e| match e {
        PhotoError::TooLarge => "report.err.photo_size",
        PhotoError::TooMany => "report.err.photo_count",
        PhotoError::TooManyPixels => "report.err.photo_pixels",
        PhotoError::Busy => "error.busy",
        PhotoError::NotAnImage | PhotoError::Unreadable => "report.err.photo_type",
    })
}

/// `POST /console/cases/{id}/act`: one action, then back to the desk (`?done=1`).
pub(super) async fn act(State(s): State<AppState>, Path(id): Path<String>, posted: StaffForm) -> PageResult {
    let StaffForm { staff, mut form } = posted;
    let Ok(id) = id.parse::<i64>() else { return Err(PageError::not_found(staff.lang)) };
    let action = form.get("action").unwrap_or_default().to_string();
    let version = form.get("version").and_then(|v| v.parse::<i64>().ok()).unwrap_or(-1);
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let photos = match clean_photos(&s, std::mem::take(&mut form.files), action == "resolve").await {
        Ok(p) => p,
        Err("error.busy") => {
            let busy = StatusCode::SERVICE_UNAVAILABLE;
            let mut res = case_page(&s, &staff, id, busy, Some("error.busy"), vec![]).await?;
            res.headers_mut().insert(axum::http::header::RETRY_AFTER, s.decode.retry_after_secs().into());
            return Ok(res);
        }
        Err(key) => return case_page(&s, &staff, id, unprocessable, Some(key), vec![]).await,
    };
    let actor = staff.actor();
    let result = if !photos.is_empty() {
        let input = to_input(&form, &action, version);
        s.app.cases().resolve_with_photos(actor, CaseId(id), &input, &photos, &s.photo_dir).await
    } else if action == "arbitrate" {
        let handler = form.get("handler_code").unwrap_or("");
        let reason = form.get("reason").unwrap_or("");
        s.app.cases().arbitrate(actor, CaseId(id), version, handler, reason).await.map(|(_, v)| v)
    } else if action == "register_dispatch" {
        // One change: if the dispatch is refused, the case is not left registered.
        let steps = [to_input(&form, "register", version), to_input(&form, "dispatch", version)];
        s.app.cases().transition_steps(actor, CaseId(id), version, &steps).await
    } else {
        s.app.cases().transition(actor, CaseId(id), &to_input(&form, &action, version)).await
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/console/cases/{id}?done=1")).into_response()),
        Err(AppError::Domain(DomainError::VersionConflict { .. }))
        | Err(AppError::Domain(DomainError::IllegalTransition { .. })) => {
            case_page(&s, &staff, id, StatusCode::CONFLICT, Some("case.stale"), vec![]).await
        }
        Err(AppError::Domain(DomainError::SeparationOfDuties(_))) => {
            case_page(&s, &staff, id, StatusCode::FORBIDDEN, Some("case.own_result"), vec![]).await
        }
        Err(e @ (AppError::Domain(DomainError::Invalid { .. }) | AppError::Invalid(_))) => {
            let errors = super::field_errors(staff.lang.lang, &e);
            case_page(&s, &staff, id, unprocessable, Some("case.invalid"), errors).await
        }
        Err(AppError::Domain(DomainError::Forbidden(_))) | Err(AppError::Forbidden(_)) => {
            Err(staff.refuse(StatusCode::FORBIDDEN, "case.forbidden"))
        }
        Err(AppError::NotFound(_)) => {
            case_page(&s, &staff, id, StatusCode::FORBIDDEN, Some("case.forbidden"), vec![]).await
        }
        Err(e) => Err(staff.fail(e)),
    }
}

/// `POST /console/cases/{id}/public-text`: a dispatcher edits, withholds or restores what the
/// public sees, or lists/unlists the case; then back to the desk (`?done=1`).
pub(super) async fn public_text(State(s): State<AppState>, Path(id): Path<String>, posted: StaffForm) -> PageResult {
    let StaffForm { staff, form } = posted;
    let Ok(id) = id.parse::<i64>() else { return Err(PageError::not_found(staff.lang)) };
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let Some(mode) = form.get("mode").and_then(PublicTextMode::parse) else {
        let errors =
            vec![chuishao_i18n::field_error(staff.lang.lang, "mode", chuishao_domain::error::Problem::Invalid)];
        return case_page(&s, &staff, id, unprocessable, Some("case.invalid"), errors).await;
    };
    let listed = match form.get("listed").unwrap_or("") {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    };
    let text = if mode == PublicTextMode::Edited { form.opt("text") } else { None };
    let input = PublicTextInput { mode, text, listed };
    let en = matches!(staff.lang.lang, crate::web::Lang::En);
    match s.app.residents().set_public_text(staff.actor(), CaseId(id), &input, en).await {
        Ok(_) => Ok(Redirect::to(&format!("/console/cases/{id}?done=1")).into_response()),
        Err(e @ AppError::Invalid(_)) => {
            let errors = super::field_errors(staff.lang.lang, &e);
            case_page(&s, &staff, id, unprocessable, Some("case.invalid"), errors).await
        }
        Err(AppError::Forbidden(_)) => Err(staff.refuse(StatusCode::FORBIDDEN, "case.forbidden")),
        Err(AppError::NotFound(_)) => Err(staff.refuse(StatusCode::NOT_FOUND, "case.not_found")),
        Err(e) => Err(staff.fail(e)),
    }
}
