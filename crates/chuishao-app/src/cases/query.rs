//! The case list: filters, the caller's scope, cursor pagination (newest first).

use crate::cases::Cases;
use crate::cases::view::CaseView;
use crate::error::FieldError;
use crate::time::parse_rfc3339;
use crate::{AppError, Result};
use chuishao_domain::access::Actor;
use chuishao_domain::cases::{CaseStatus, Source};
use chuishao_store::CaseFilter;
use serde::{Deserialize, Serialize};

/// Default and largest page size.
pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

/// Query parameters of `GET /api/v1/cases`. Codes are org and category codes.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CaseListQuery {
    /// One status or several, comma-separated.
    pub status: Option<String>,
    pub category: Option<String>,
    pub subdistrict: Option<String>,
    pub community: Option<String>,
    pub grid: Option<String>,
    pub handler: Option<String>,
    pub source: Option<String>,
    /// RFC 3339; inclusive.
    #[param(format = DateTime)]
    pub created_from: Option<String>,
    /// RFC 3339; exclusive.
    #[param(format = DateTime)]
    pub created_to: Option<String>,
    /// `true`: only cases with a running deadline that has passed; `false`: only cases without.
    pub overdue: Option<bool>,
    /// RFC 3339: only cases with a running deadline due before this instant.
    #[param(format = DateTime)]
    pub due_before: Option<String>,
    pub cursor: Option<String>,
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// One page of cases.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CasePage {
    pub items: Vec<CaseView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

fn nonblank(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl Cases<'_> {
    /// Cases visible to `actor` that match `q`.
    pub async fn list_cases(&self, actor: &Actor, q: &CaseListQuery) -> Result<CasePage> {
        let mut errors = Vec::new();
        let mut bad = |field: &str, message: String| errors.push(FieldError { field: field.into(), message });
        let mut f = CaseFilter {
            scope_paths: actor.read_paths().into_iter().map(String::from).collect(),
            limit: DEFAULT_LIMIT,
            ..CaseFilter::default()
        };
        if let Some(s) = nonblank(&q.status) {
            for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                match CaseStatus::parse(part) {
                    Some(st) => f.statuses.push(st.as_str().to_string()),
                    None => bad("status", format!("unknown status {part:?}")),
                }
            }
        }
        if let Some(c) = nonblank(&q.category) {
            f.category_code = Some(c.to_string());
        }
        if let Some(s) = nonblank(&q.source) {
            match Source::parse(s) {
                Some(src) => f.source = Some(src.as_str().to_string()),
                None => bad("source", format!("unknown source {s:?}")),
            }
        }
        for (field, value, slot) in [
            ("subdistrict", &q.subdistrict, &mut f.subdistrict_id),
            ("community", &q.community, &mut f.community_id),
            ("grid", &q.grid, &mut f.grid_id),
            ("handler", &q.handler, &mut f.handler_id),
        ] {
            if let Some(code) = nonblank(value) {
                match self.admin().org_by_code(code).await? {
                    Some(n) => *slot = Some(n.id.0),
                    None => bad(field, format!("no organisation with code {code}")),
                }
            }
        }
        f.overdue = q.overdue;
        f.now = self.now_ms();
        for (field, value, slot) in [
            ("created_from", &q.created_from, &mut f.created_from),
            ("created_to", &q.created_to, &mut f.created_to),
            ("due_before", &q.due_before, &mut f.due_before),
        ] {
            if let Some(v) = nonblank(value) {
                match parse_rfc3339(v) {
                    Some(ms) => *slot = Some(ms),
                    None => bad(field, "an RFC 3339 instant, e.g. 2026-01-31T09:00:00+08:00".into()),
                }
            }
        }
        if let Some(c) = nonblank(&q.cursor) {
            match c.parse::<i64>() {
                Ok(id) if id > 0 => f.before_id = Some(id),
                _ => bad("cursor", "not a cursor this API returned".into()),
            }
        }
        if let Some(l) = q.limit {
            if (1..=MAX_LIMIT).contains(&l) {
                f.limit = l;
            } else {
                bad("limit", format!("1–{MAX_LIMIT}"));
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let limit = f.limit;
        f.limit = limit + 1;
        let mut rows = self.store.list_cases(&f).await?;
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next_cursor = if more { rows.last().map(|r| r.id.to_string()) } else { None };
        let items = self.case_views(rows).await?;
        Ok(CasePage { items, next_cursor })
    }
}
