//! What clients see of a case: the staff view (scoped, reporter masked), the event list, and
//! the public view for residents (no reporter data, no staff names, coarse location).

use crate::admin::orgs::OrgRefView;
use crate::cases::Cases;
use crate::time::rfc3339;
use crate::{AppError, Result};
use chuishao_domain::access::Actor;
use chuishao_domain::cases::{CaseEvent, CaseStatus};
use chuishao_domain::ids::{CaseId, OrgId};
use chuishao_store::{CaseRow, EventRecord};
use serde::Serialize;
use std::sync::Arc;

/// A category reference inside a case view.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct CategoryRefView {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub major_name_zh: String,
    pub major_name_en: String,
}

/// The reporter as staff see them: masked unless explicitly revealed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct ReporterView {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub masked: bool,
}

/// The last callback's answers.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct CallbackView {
    pub solved: bool,
    pub satisfaction: &'static str,
}

/// A case as staff and integrators see it.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct CaseView {
    pub id: i64,
    pub tracking_code: String,
    pub status: &'static str,
    pub source: String,
    pub category: Option<CategoryRefView>,
    pub urgency: String,
    pub description: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub address: Option<String>,
    pub subdistrict: Option<OrgRefView>,
    pub community: Option<OrgRefView>,
    pub grid: Option<OrgRefView>,
    /// No subdistrict, community or grid could be determined (an address only, or
    /// coordinates outside every place): a dispatcher must place the case.
    pub needs_location: bool,
    pub handler: Option<OrgRefView>,
    pub parked: bool,
    pub extension_pending_days: Option<i64>,
    pub extension_days: i64,
    pub supervised: bool,
    pub supervision_count: i64,
    pub reopen_count: i64,
    pub merged_into: Option<i64>,
    pub duplicate_count: i64,
    pub last_callback: Option<CallbackView>,
    /// Only for roles that may see it (dispatcher, admin), masked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reporter: Option<ReporterView>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    pub closed_at: Option<String>,
    /// The SLA clocks (acceptance, resolution, verification) and their state now.
    pub deadlines: Vec<crate::calendar::DeadlineView>,
}

/// One event as staff see it.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct EventView {
    pub seq: i64,
    pub kind: String,
    pub version: i64,
    pub actor_id: Option<i64>,
    pub at: String,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    pub hash: String,
}

/// One line of the public timeline.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct PublicTimelineEntry {
    pub at: String,
    pub kind: String,
    pub text_zh: String,
    pub text_en: String,
}

/// A case as the public sees it by tracking code.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct PublicCaseView {
    pub tracking_code: String,
    pub status: &'static str,
    pub status_zh: &'static str,
    pub status_en: &'static str,
    pub category: Option<CategoryRefView>,
    /// Coordinates rounded to about 100 m.
    pub approx_lat: Option<f64>,
    pub approx_lon: Option<f64>,
    pub subdistrict: Option<String>,
    pub community: Option<String>,
    /// The subdistrict's and community's English names (for the English tracking page; the
    /// JSON keeps the Chinese ones).
    #[serde(skip)]
    pub place_en: Vec<String>,
    pub handler_unit: Option<OrgRefView>,
    /// The description as the public text policy lets the public see it (redacted, edited
    /// or withheld by a dispatcher; see `residents::public_text`).
    pub description: String,
    /// The place generalised to subdistrict and community.
    pub address: Option<String>,
    /// The same in English (for the English tracking page).
    #[serde(skip)]
    pub description_en: String,
    #[serde(skip)]
    pub address_en: Option<String>,
    pub created_at: String,
    pub closed_at: Option<String>,
    pub timeline: Vec<PublicTimelineEntry>,
    /// The photo keys of the latest resolution (shown on the tracking page; not in the JSON).
    #[serde(skip)]
    pub result_photos: Vec<String>,
}

/// `张三` → `张*`; `欧阳娜娜` → `欧***`; `Li Lei` → `L*****`.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

/// `13812341234` → `138****1234`; short numbers keep only their last two digits.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    let n = chars.len();
    if n >= 11 {
        let keep_head = n - 8;
        chars[..keep_head].iter().chain(std::iter::repeat_n(&'*', 4)).chain(chars[n - 4..].iter()).collect()
    } else {
        std::iter::repeat_n('*', n.saturating_sub(2)).chain(chars[n.saturating_sub(2)..].iter().copied()).collect()
    }
}

/// A status in plain words for residents, as (zh, en), from the catalogue.
pub fn status_words(s: CaseStatus) -> (&'static str, &'static str) {
    chuishao_i18n::cases::status(s)
}

impl Cases<'_> {
    pub(crate) async fn org_ref(&self, id: Option<i64>) -> Result<Option<OrgRefView>> {
        Ok(match id {
            Some(id) => self.admin().org(OrgId(id)).await?.map(|n| OrgRefView::from(&*n)),
            None => None,
        })
    }

    async fn category_ref(&self, code: &Option<String>) -> Result<Option<CategoryRefView>> {
        Ok(match code {
            Some(code) => self.admin().category(code).await?.map(|c| CategoryRefView {
                code: c.code.clone(),
                name_zh: c.name_zh.clone(),
                name_en: c.name_en.clone(),
                major_name_zh: c.major_name_zh.clone(),
                major_name_en: c.major_name_en.clone(),
            }),
            None => None,
        })
    }

    pub(crate) async fn case_view(&self, row: CaseRow, reporter: Option<ReporterView>) -> Result<CaseView> {
        let clocks = self.store.case_deadlines(row.id).await?;
        self.case_view_with(row, reporter, &clocks).await
    }

    /// The views of several cases (no reporter data), their clocks read in one query.
    pub(crate) async fn case_views(&self, rows: Vec<CaseRow>) -> Result<Vec<CaseView>> {
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let mut clocks: std::collections::HashMap<i64, Vec<_>> = std::collections::HashMap::new();
        for (case_id, d) in self.store.deadlines_of_cases(&ids).await? {
            clocks.entry(case_id).or_default().push(d);
        }
        let mut views = Vec::with_capacity(rows.len());
        for r in rows {
            let own = clocks.remove(&r.id).unwrap_or_default();
            views.push(self.case_view_with(r, None, &own).await?);
        }
        Ok(views)
    }

    /// `case_view` with the case's clocks already loaded (the list loads them all at once).
    pub(crate) async fn case_view_with(
        &self,
        row: CaseRow,
        reporter: Option<ReporterView>,
        clocks: &[chuishao_domain::deadlines::Deadline],
    ) -> Result<CaseView> {
        let status =
            CaseStatus::parse(&row.status).ok_or_else(|| AppError::Internal(format!("status {:?}", row.status)))?;
        let deadlines = self.calendar().deadline_views(clocks);
        Ok(CaseView {
            deadlines,
            id: row.id,
            category: self.category_ref(&row.category_code).await?,
            subdistrict: self.org_ref(row.subdistrict_id).await?,
            community: self.org_ref(row.community_id).await?,
            grid: self.org_ref(row.grid_id).await?,
            needs_location: row.subdistrict_id.is_none() && row.community_id.is_none() && row.grid_id.is_none(),
            handler: self.org_ref(row.handler_id).await?,
            tracking_code: row.tracking_code,
            status: status.as_str(),
            source: row.source,
            urgency: row.urgency,
            description: row.description,
            lat: row.lat,
            lon: row.lon,
            address: row.address,
            parked: row.parked,
            extension_pending_days: row.extension_pending_days,
            extension_days: row.extension_days,
            supervised: row.supervision_count > 0,
            supervision_count: row.supervision_count,
            reopen_count: row.reopen_count,
            merged_into: row.merged_into,
            duplicate_count: row.duplicate_count,
            last_callback: match (row.callback_solved, row.callback_satisfaction) {
                (Some(solved), Some(s)) => Some(CallbackView {
                    solved,
                    satisfaction: match s.as_str() {
                        "satisfied" => "satisfied",
                        "basically_satisfied" => "basically_satisfied",
                        _ => "dissatisfied",
                    },
                }),
                _ => None,
            },
            reporter,
            version: row.version,
            created_at: rfc3339(row.created_at),
            updated_at: rfc3339(row.updated_at),
            closed_at: row.closed_at.map(rfc3339),
        })
    }

    /// Loads a case visible to `actor`; `NotFound` otherwise (existence is not revealed).
    pub(crate) async fn visible_case(&self, actor: &Actor, id: CaseId) -> Result<CaseRow> {
        let row = self.store.case_by_id(id).await?.ok_or(AppError::NotFound("case"))?;
        let case = row.to_domain()?;
        if !actor.can_see(&case.scope()) {
            return Err(AppError::NotFound("case"));
        }
        Ok(row)
    }

    /// The staff view of one case, with the reporter masked for roles that may see them.
    pub async fn case_view_by_id(&self, actor: &Actor, id: CaseId) -> Result<CaseView> {
        Ok(self.case_view_and_case(actor, id).await?.0)
    }

    /// [`App::case_view_by_id`] with the domain case read for it, for callers that also
    /// decide on the case (one read of the row, not two).
    pub(crate) async fn case_view_and_case(
        &self,
        actor: &Actor,
        id: CaseId,
    ) -> Result<(CaseView, chuishao_domain::cases::Case)> {
        let row = self.visible_case(actor, id).await?;
        let case = row.to_domain()?;
        let reporter = if actor.may_see_reporter(&case.scope()) {
            self.ops().reporter_contact(id).await?.map(|(name, phone)| ReporterView {
                name: name.as_deref().map(mask_name),
                phone: phone.as_deref().map(mask_phone),
                masked: true,
            })
        } else {
            None
        };
        Ok((self.case_view(row, reporter).await?, case))
    }

    /// The reporter's name, for hiding it from public text (never shown).
    pub(crate) async fn reporter_name(&self, id: CaseId) -> Result<Option<String>> {
        Ok(self.ops().reporter_contact(id).await?.and_then(|(name, _)| name))
    }

    /// The reporter unmasked, for a dispatcher who must call back. The access itself is
    /// written to the audit chain, so a leak can be traced to who looked.
    pub async fn reveal_reporter(&self, actor: &Actor, id: CaseId) -> Result<ReporterView> {
        let row = self.visible_case(actor, id).await?;
        if !actor.may_see_reporter(&row.to_domain()?.scope()) {
            return Err(AppError::Forbidden(format!("{} may not see reporters", actor.username)));
        }
        let now = self.now_ms();
        let mut tx = self.store.begin().await?;
        let access = chuishao_domain::record::StreamKind::Access;
        crate::record::log_fact(&mut tx, access, id.0, 0, "reporter_revealed", "{}".into(), Some(actor.user_id.0), now)
            .await?;
        tx.commit().await?;
        let (name, phone) = self.ops().reporter_contact(id).await?.unwrap_or((None, None));
        Ok(ReporterView { name, phone, masked: false })
    }

    /// A case's events, for staff who can see the case.
    pub async fn case_events(&self, actor: &Actor, id: CaseId) -> Result<Vec<EventView>> {
        self.visible_case(actor, id).await?;
        let events = self.store.stream_events("case", id.0).await?;
        Ok(events
            .into_iter()
            .map(|e: EventRecord| EventView {
                seq: e.seq,
                data: serde_json::from_str(&e.payload).unwrap_or(serde_json::Value::Null),
                kind: e.kind,
                version: e.stream_version,
                actor_id: e.actor_id,
                at: rfc3339(e.created_at),
                hash: e.hash,
            })
            .collect())
    }

    /// The public view by tracking code.
    pub async fn public_case(&self, tracking_code: &str) -> Result<PublicCaseView> {
        Ok(self.public_case_with_seq(tracking_code).await?.0)
    }

    /// The public view and the sequence number of the case's latest event, from which live
    /// updates continue.
    pub async fn public_case_with_seq(&self, tracking_code: &str) -> Result<(PublicCaseView, i64)> {
        self.read_public_case(tracking_code).await.map(|(view, seq, _)| (view, seq))
    }

    /// The public view from this node's cache, read (and kept) on a miss. Only correct while
    /// something drops entries for commits made through other nodes: use it through
    /// [`crate::residents::live::LiveHub::public_case`], whose tail does.
    pub(crate) async fn public_case_cached(
        &self,
        tracking_code: &str,
    ) -> Result<crate::residents::view_cache::CachedView> {
        if let Some(hit) = self.public_views.get(tracking_code) {
            return Ok(hit);
        }
        let ticket = self.public_views.begin_read();
        let (view, seq, case_id) = self.read_public_case(tracking_code).await?;
        let view = Arc::new(view);
        self.public_views.insert(ticket, case_id, view.clone(), seq);
        Ok((view, seq))
    }

    /// Drops the cached public views of cases whose changes were just committed here.
    pub(crate) fn public_views_changed(&self, case_ids: impl IntoIterator<Item = i64>) {
        for id in case_ids {
            self.public_views.invalidate(id);
        }
    }

    /// The public view, its latest event's sequence number and the case id, from the database.
    async fn read_public_case(&self, tracking_code: &str) -> Result<(PublicCaseView, i64, i64)> {
        let code = chuishao_domain::ids::TrackingCode::parse(tracking_code).ok_or(AppError::NotFound("case"))?;
        let row = self.store.case_by_tracking_code(code.as_str()).await?.ok_or(AppError::NotFound("case"))?;
        let status = CaseStatus::parse(&row.status).ok_or_else(|| AppError::Internal("status".into()))?;
        let (status_zh, status_en) = status_words(status);
        let mut timeline = Vec::new();
        let mut last_seq = 0;
        let mut result_photos = Vec::new();
        for e in self.store.stream_events("case", row.id).await? {
            last_seq = last_seq.max(e.seq);
            let Ok(event) = serde_json::from_str::<CaseEvent>(&e.payload) else { continue };
            if matches!(event, CaseEvent::Resolved { .. }) {
                result_photos = crate::cases::evidence::resolution_photos(&event);
            }
            if let Some(w) = self.residents().public_event_words(&event).await? {
                timeline.push(PublicTimelineEntry {
                    at: rfc3339(e.created_at),
                    kind: e.kind,
                    text_zh: w.zh,
                    text_en: w.en,
                });
            }
        }
        let round = |v: f64| (v * 1000.0).round() / 1000.0;
        let public = self.residents().public_text(&row).await?;
        let (subdistrict, community) = (self.org_ref(row.subdistrict_id).await?, self.org_ref(row.community_id).await?);
        let place_en = [&subdistrict, &community].into_iter().flatten().map(|o| o.name_en.clone()).collect();
        let name = |o: Option<OrgRefView>| o.map(|o| o.name_zh);
        let view = PublicCaseView {
            tracking_code: row.tracking_code.clone(),
            status: status.as_str(),
            status_zh,
            status_en,
            category: self.category_ref(&row.category_code).await?,
            approx_lat: row.lat.map(round),
            approx_lon: row.lon.map(round),
            subdistrict: name(subdistrict),
            community: name(community),
            place_en,
            handler_unit: self.org_ref(row.handler_id).await?,
            description: public.description_zh,
            address: public.address_zh,
            description_en: public.description_en,
            address_en: public.address_en,
            created_at: rfc3339(row.created_at),
            closed_at: row.closed_at.map(rfc3339),
            timeline,
            result_photos,
        };
        Ok((view, last_seq, row.id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_only_what_identifies_nobody() {
        assert_eq!(mask_phone("13812341234"), "138****1234");
        assert_eq!(mask_phone("+8613812341234"), "+86138****1234");
        assert_eq!(mask_phone("12345"), "***45");
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("欧阳娜娜"), "欧***");
    }
}
