//! Open311 GeoReport v2 use cases: services from the category catalogue, service requests
//! as public views of cases, filing through intake (source `open311`), tokens, and the
//! `servicerequestupdates` extension. Everything here is public except filing and posting
//! updates, which need an integrator's API token. No reporter data ever leaves.
//!
//! Inputs arrive parsed (numbers, W3C dates, lists: `chuishao-http`'s `open311` module does
//! the protocol); refusals are `AppError`s with Open311's field names, which the HTTP layer
//! turns into the spec's error array and status.

use crate::AppError;
use crate::cases::{NewCaseInput, ReporterInput};
use crate::residents::Residents;
use crate::residents::photos::{CleanPhoto, MAX_PHOTOS_PER_CASE};
use crate::time::rfc3339;
use chuishao_domain::access::{Actor, Role};
use chuishao_domain::cases::{CaseEvent, CaseStatus};
use chuishao_domain::ids::TrackingCode;
use chuishao_store::{CaseRow, PublicCaseFilter};
use serde::Serialize;

/// Default window of `GET requests` without dates: 90 days.
pub const DEFAULT_WINDOW_MS: i64 = 90 * 24 * 3600 * 1000;
/// Most requests in one answer (and the default page size).
pub const MAX_PAGE_SIZE: i64 = 1000;
/// Most `media_url`s on one request.
pub const MAX_MEDIA_URLS: usize = 4;
/// The event stream of updates posted through `servicerequestupdates`.
pub const UPDATE_STREAM: &str = chuishao_domain::record::StreamKind::CaseUpdate.as_str();

/// A refusal of one Open311 field, named as Open311 names it.
fn invalid(field: impl Into<String>, message: impl Into<String>) -> AppError {
    AppError::Invalid(vec![crate::FieldError { field: field.into(), message: message.into() }])
}

type O311<T> = crate::Result<T>;

/// One service (a category).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Service {
    pub service_code: String,
    pub service_name: String,
    pub description: String,
    pub metadata: bool,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub keywords: String,
    pub group: String,
}

/// One value of a list attribute.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AttributeValue {
    pub key: String,
    pub name: String,
}

/// One extra question of a service.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Attribute {
    pub variable: bool,
    pub code: String,
    pub datatype: &'static str,
    pub required: bool,
    pub datatype_description: String,
    pub order: u32,
    pub description: String,
    pub values: Vec<AttributeValue>,
}

/// A service definition.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ServiceDefinition {
    pub service_code: String,
    pub attributes: Vec<Attribute>,
}

/// A service request (a case, publicly).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ServiceRequest {
    pub service_request_id: String,
    pub status: &'static str,
    pub status_notes: Option<String>,
    pub service_name: Option<String>,
    pub service_code: Option<String>,
    pub description: String,
    pub agency_responsible: Option<String>,
    pub service_notice: Option<String>,
    pub requested_datetime: String,
    pub updated_datetime: String,
    pub expected_datetime: Option<String>,
    pub address: Option<String>,
    pub address_id: Option<String>,
    pub zipcode: Option<String>,
    pub lat: Option<f64>,
    pub long: Option<f64>,
    pub media_url: Option<String>,
}

/// The answer to `POST requests`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CreatedRequest {
    pub service_request_id: String,
    pub token: String,
    pub service_notice: Option<String>,
    pub account_id: Option<String>,
}

/// The answer to `GET tokens/{token}`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TokenAnswer {
    pub service_request_id: String,
    pub token: String,
}

/// One update of the `servicerequestupdates` extension.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RequestUpdate {
    pub update_id: String,
    pub service_request_id: String,
    pub status: &'static str,
    pub updated_datetime: String,
    pub description: String,
    pub media_url: Option<String>,
}

/// `POST requests`, parsed from query and form (empty values already dropped).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewRequest {
    pub service_code: String,
    pub lat: Option<f64>,
    pub long: Option<f64>,
    pub address_string: Option<String>,
    pub description: Option<String>,
    pub attributes: Vec<(String, String)>,
    pub media_urls: Vec<String>,
    /// Photos sent as `media` file parts, already cleaned (see [`crate::residents::photos`]).
    pub media: Vec<CleanPhoto>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
}

/// `GET requests`, parsed: either tracking codes (overriding every other filter), or service
/// codes, statuses and a window of creation times (`end` to the millisecond or, given to the
/// second, covering that second; without `start`, the 90 days before `end` or now).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestFilter {
    pub tracking_codes: Vec<String>,
    pub service_codes: Vec<String>,
    pub statuses: Vec<CaseStatus>,
    pub start: Option<i64>,
    pub end: Option<i64>,
    /// 1-based.
    pub page: i64,
    pub page_size: i64,
}

/// `POST servicerequestupdates`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewUpdate {
    pub service_request_id: String,
    pub description: String,
    pub media_url: Option<String>,
    pub status: Option<String>,
    pub update_id: Option<String>,
}

/// Whether the locale asks for English (anything starting with `en`); Chinese otherwise.
pub fn is_english(locale: Option<&str>) -> bool {
    locale.is_some_and(|l| l.to_ascii_lowercase().starts_with("en"))
}

/// The extra questions every service asks. Kept small: Open311 clients show them as-is.
fn common_attributes(en: bool) -> Vec<Attribute> {
    let lang = if en { chuishao_i18n::Lang::En } else { chuishao_i18n::Lang::Zh };
    let t = |key: &str| chuishao_i18n::Msgs(lang).t(key).to_string();
    vec![
        Attribute {
            variable: true,
            code: "HAZARD".into(),
            datatype: "singlevaluelist",
            required: false,
            datatype_description: t("open311.hazard_hint"),
            order: 1,
            description: t("open311.hazard"),
            values: vec![
                AttributeValue { key: "yes".into(), name: t("open311.yes") },
                AttributeValue { key: "no".into(), name: t("open311.no") },
            ],
        },
        Attribute {
            variable: true,
            code: "LANDMARK".into(),
            datatype: "string",
            required: false,
            datatype_description: t("open311.landmark_hint"),
            order: 2,
            description: t("open311.landmark"),
            values: vec![],
        },
    ]
}

/// Checks attribute answers against the definition; returns them normalised.
fn check_attributes(given: &[(String, String)]) -> O311<Vec<(String, String)>> {
    let defs = common_attributes(false);
    let mut out: Vec<(String, String)> = Vec::new();
    for (code, value) in given {
        let Some(def) = defs.iter().find(|d| d.code.eq_ignore_ascii_case(code)) else {
            return Err(invalid(format!("attribute[{code}]"), "this service has no such attribute"));
        };
        if out.iter().any(|(c, _)| *c == def.code) {
            return Err(invalid(format!("attribute[{code}]"), "given twice"));
        }
        let value = value.trim();
        match def.datatype {
            "singlevaluelist" if !def.values.iter().any(|v| v.key == value) => {
                let keys: Vec<&str> = def.values.iter().map(|v| v.key.as_str()).collect();
                return Err(invalid(format!("attribute[{}]", def.code), format!("must be one of {}", keys.join(", "))));
            }
            _ if value.chars().count() > 100 => {
                return Err(invalid(format!("attribute[{}]", def.code), "at most 100 characters"));
            }
            _ => {}
        }
        out.push((def.code.clone(), value.to_string()));
    }
    for def in defs.iter().filter(|d| d.required) {
        if !out.iter().any(|(c, _)| *c == def.code) {
            return Err(invalid(format!("attribute[{}]", def.code), "required"));
        }
    }
    Ok(out)
}

fn check_media_url(url: &str) -> O311<()> {
    let ok = (url.starts_with("http://") || url.starts_with("https://"))
        && url.len() <= 2000
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok { Ok(()) } else { Err(invalid("media_url", "must be an http(s) URL of at most 2000 characters")) }
}

/// Open311's two states: a case is open until it is closed, rejected or merged.
pub fn open311_status(s: CaseStatus) -> &'static str {
    if s.is_open() { "open" } else { "closed" }
}

/// The finer status of an update, in the words FixMyStreet-style systems use.
fn update_status(kind: &str, current: CaseStatus) -> &'static str {
    match kind {
        "received" | "registered" | "returned" => "OPEN",
        "dispatched" => "ACTION_SCHEDULED",
        "accepted" | "reopened" | "unparked" => "IN_PROGRESS",
        "resolved" | "verification_passed" => "FIXED",
        "closed" => "CLOSED",
        "rejected" => "NO_FURTHER_ACTION",
        "merged_into" => "DUPLICATE",
        _ => match current {
            CaseStatus::Received | CaseStatus::Registered => "OPEN",
            CaseStatus::Dispatched => "ACTION_SCHEDULED",
            CaseStatus::Accepted => "IN_PROGRESS",
            CaseStatus::Resolved | CaseStatus::Verified => "FIXED",
            CaseStatus::Closed => "CLOSED",
            CaseStatus::Rejected => "NO_FURTHER_ACTION",
            CaseStatus::Merged => "DUPLICATE",
        },
    }
}

impl Residents<'_> {
    fn require_integrator(actor: &Actor) -> O311<()> {
        if actor.has_role(Role::Integrator) || actor.has_role(Role::Admin) {
            Ok(())
        } else {
            Err(AppError::Forbidden("this api_key does not belong to an integrator".into()))
        }
    }

    /// The integrator behind an Open311 `api_key` (`Unauthenticated` for an unknown key,
    /// `Forbidden` for one that is not an integrator's).
    pub async fn open311_actor(&self, api_key: &str) -> O311<Actor> {
        let actor = self.admin().authenticate(api_key.trim()).await?;
        Self::require_integrator(&actor)?;
        Ok(actor)
    }

    /// Every active category as a service.
    pub async fn open311_services(&self, en: bool) -> O311<Vec<Service>> {
        Ok(self
            .admin()
            .list_categories()
            .await?
            .into_iter()
            .map(|c| Service {
                service_name: if en { c.name_en.clone() } else { c.name_zh.clone() },
                description: if en { c.description_en.clone() } else { c.description_zh.clone() },
                metadata: true,
                kind: "realtime",
                keywords: format!("{},{}", c.name_zh, c.name_en),
                group: if en { c.major_name_en.clone() } else { c.major_name_zh.clone() },
                service_code: c.code,
            })
            .collect())
    }

    /// A service's definition (404 for an unknown or retired code).
    pub async fn open311_service_definition(&self, code: &str, en: bool) -> O311<ServiceDefinition> {
        match self.admin().category_with_status(code).await? {
            Some((c, true)) => {
                Ok(ServiceDefinition { service_code: c.code.clone(), attributes: common_attributes(en) })
            }
            _ => Err(AppError::NotFound("service_code")),
        }
    }

    /// Files a service request through intake. Validation happens before anything is
    /// written; a refused request stores nothing. Uploaded `media` go to `photo_dir` as the
    /// case's photos (a replay attaches nothing again).
    pub async fn open311_create(
        &self,
        actor: &Actor,
        req: &NewRequest,
        idempotency_key: Option<&str>,
        en: bool,
        photo_dir: &std::path::Path,
    ) -> O311<CreatedRequest> {
        Self::require_integrator(actor)?;
        let code = req.service_code.as_str();
        let category = match self.admin().category_with_status(code).await? {
            Some((c, true)) => c,
            _ => return Err(invalid("service_code", format!("{code} not found"))),
        };
        let (lat, lon) = (req.lat, req.long);
        if lat.is_none() && lon.is_none() && req.address_string.is_none() {
            return Err(invalid("location", "lat and long, or address_string, is required"));
        }
        let attributes = check_attributes(&req.attributes)?;
        if req.media_urls.len() > MAX_MEDIA_URLS {
            return Err(invalid("media_url", format!("at most {MAX_MEDIA_URLS} values")));
        }
        for u in &req.media_urls {
            check_media_url(u)?;
        }
        if req.media.len() > MAX_PHOTOS_PER_CASE {
            return Err(invalid("media", format!("at most {MAX_PHOTOS_PER_CASE} files")));
        }
        let name = match (&req.first_name, &req.last_name) {
            (None, None) => None,
            (f, l) => Some(format!("{}{}", l.as_deref().unwrap_or(""), f.as_deref().unwrap_or("")).trim().to_string()),
        };
        let description = req
            .description
            .clone()
            .unwrap_or_else(|| if en { category.name_en.clone() } else { category.name_zh.clone() });
        let input = NewCaseInput {
            source: Some("open311".into()),
            category_code: Some(category.code.clone()),
            description,
            lat,
            lon,
            address: req.address_string.clone(),
            reporter: (name.is_some() || req.phone.is_some()).then(|| ReporterInput { name, phone: req.phone.clone() }),
            ..Default::default()
        };
        let outcome = self.cases().submit_case(actor, &input, idempotency_key).await?;
        if !outcome.replayed && (!attributes.is_empty() || !req.media_urls.is_empty()) {
            let mut tx = self.store.begin().await?;
            tx.insert_case_extras(outcome.case.id, &attributes, &req.media_urls, self.now_ms()).await?;
            tx.commit().await?;
        }
        if !outcome.replayed && !req.media.is_empty() {
            self.attach_photos(outcome.case.id, &req.media, photo_dir).await?;
        }
        let code = outcome.case.tracking_code;
        Ok(CreatedRequest { service_request_id: code.clone(), token: code, service_notice: None, account_id: None })
    }

    async fn service_request(&self, row: CaseRow, en: bool) -> O311<ServiceRequest> {
        let status = CaseStatus::parse(&row.status).ok_or_else(|| AppError::Internal("status".into()))?;
        let category = match &row.category_code {
            Some(c) => self.admin().category(c).await?,
            None => None,
        };
        let handler = match row.handler_id {
            Some(h) => self.admin().org(chuishao_domain::ids::OrgId(h)).await?,
            None => None,
        };
        // A linked picture first, else the first uploaded photo (a path: the web layer knows
        // the origin).
        let mut media = self.store.case_media_urls(row.id).await?;
        if media.is_empty() {
            media = self.store.case_photo_keys(row.id).await?.into_iter().map(|k| format!("/photos/{k}.jpg")).collect();
        }
        // The promise made to the resident: the resolution clock's due instant while it runs.
        let expected = self
            .store
            .case_deadlines(row.id)
            .await?
            .into_iter()
            .find(|d| {
                d.kind == chuishao_domain::deadlines::DeadlineKind::Resolution
                    && d.state != chuishao_domain::deadlines::ClockState::Met
            })
            .map(|d| rfc3339(d.due_at));
        let round = |v: f64| (v * 1000.0).round() / 1000.0;
        let public = self.public_text(&row).await?;
        Ok(ServiceRequest {
            service_request_id: row.tracking_code,
            status: open311_status(status),
            status_notes: None,
            service_name: category.as_ref().map(|c| if en { c.name_en.clone() } else { c.name_zh.clone() }),
            service_code: row.category_code,
            description: public.description(en).to_string(),
            agency_responsible: handler.map(|h| if en { h.name_en.clone() } else { h.name_zh.clone() }),
            service_notice: None,
            requested_datetime: rfc3339(row.created_at),
            updated_datetime: rfc3339(row.updated_at),
            expected_datetime: expected,
            address: public.address(en).map(str::to_string),
            address_id: None,
            zipcode: None,
            lat: row.lat.map(round),
            long: row.lon.map(round),
            media_url: media.into_iter().next(),
        })
    }

    /// `GET requests`: a `service_request_id` list overrides every other filter; otherwise
    /// `service_code` list, `status` (open/closed), `start_date`/`end_date` (default: the last
    /// 90 days), and `page`/`page_size` (at most 1,000).
    pub async fn open311_requests(&self, q: &RequestFilter, en: bool) -> O311<Vec<ServiceRequest>> {
        let page_size = q.page_size.clamp(1, MAX_PAGE_SIZE);
        let offset = (q.page.max(1) - 1) * page_size;
        let mut f = PublicCaseFilter { limit: page_size, offset, ..Default::default() };
        if !q.tracking_codes.is_empty() {
            f.tracking_codes = q.tracking_codes.clone();
        } else {
            f.category_codes = q.service_codes.clone();
            f.statuses = q.statuses.iter().map(|s| s.as_str().to_string()).collect();
            // A bound given to the second covers that whole second.
            f.created_to = q.end.map(|e| if e % 1000 == 0 { e + 999 } else { e });
            f.created_from =
                Some(q.start.unwrap_or_else(|| q.end.unwrap_or_else(|| self.now_ms()) - DEFAULT_WINDOW_MS));
            f.listed_sources = Some(self.listed_sources());
        }
        let rows = self.store.public_cases(&f).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(self.service_request(row, en).await?);
        }
        Ok(out)
    }

    /// The case behind a request id or token (not found when there is none).
    async fn case_by_code(&self, id: &str) -> O311<CaseRow> {
        let code = TrackingCode::parse(id).ok_or(AppError::NotFound("case"))?;
        self.store.case_by_tracking_code(code.as_str()).await?.ok_or(AppError::NotFound("case"))
    }

    /// `GET requests/{id}`.
    pub async fn open311_request(&self, id: &str, en: bool) -> O311<ServiceRequest> {
        let row = self.case_by_code(id).await?;
        self.service_request(row, en).await
    }

    /// `GET tokens/{token}`: tokens are tracking codes, so the request exists at once.
    pub async fn open311_token(&self, token: &str) -> O311<TokenAnswer> {
        let row = self.case_by_code(token).await?;
        Ok(TokenAnswer { service_request_id: row.tracking_code.clone(), token: row.tracking_code })
    }

    /// `GET servicerequestupdates`: public timeline entries and posted updates between
    /// `start` and `end` (default: the last 24 hours), oldest first, at most 1,000.
    pub async fn open311_updates(&self, start: Option<i64>, end: Option<i64>, en: bool) -> O311<Vec<RequestUpdate>> {
        let end = end.unwrap_or_else(|| self.now_ms());
        let start = start.unwrap_or(end - 24 * 3600 * 1000);
        let rows = self.store.public_events_between(&["case", UPDATE_STREAM], start, end, MAX_PAGE_SIZE).await?;
        let mut out = Vec::new();
        for r in rows {
            let current = CaseStatus::parse(&r.status).ok_or_else(|| AppError::Internal("status".into()))?;
            if r.stream == UPDATE_STREAM {
                let v: serde_json::Value = serde_json::from_str(&r.payload).unwrap_or_default();
                out.push(RequestUpdate {
                    update_id: r.seq.to_string(),
                    service_request_id: r.tracking_code,
                    status: update_status("", current),
                    updated_datetime: rfc3339(r.created_at),
                    description: self.public_line(v["description"].as_str().unwrap_or_default()),
                    media_url: v["media_url"].as_str().map(str::to_string),
                });
                continue;
            }
            let Ok(event) = serde_json::from_str::<CaseEvent>(&r.payload) else { continue };
            let Some(w) = self.public_event_words(&event).await? else {
                continue;
            };
            out.push(RequestUpdate {
                update_id: r.seq.to_string(),
                service_request_id: r.tracking_code,
                status: update_status(&r.kind, current),
                updated_datetime: rfc3339(r.created_at),
                description: if en { w.en } else { w.zh },
                media_url: None,
            });
        }
        Ok(out)
    }

    /// `POST servicerequestupdates`: an outside system adds a public note to a request. It
    /// is chained into the audit log on the `case_update` stream; the case's state is left
    /// to staff. Names and e-mail addresses sent along are not kept.
    pub async fn open311_post_update(&self, actor: &Actor, u: &NewUpdate) -> O311<RequestUpdate> {
        Self::require_integrator(actor)?;
        let (id, description) = (u.service_request_id.as_str(), u.description.as_str());
        if description.chars().count() > crate::cases::MAX_DESCRIPTION {
            return Err(invalid("description", "at most 4000 characters"));
        }
        if let Some(m) = &u.media_url {
            check_media_url(m)?;
        }
        let row = self.case_by_code(id).await?;
        let current = CaseStatus::parse(&row.status).ok_or_else(|| AppError::Internal("status".into()))?;
        let now = self.now_ms();
        let payload = serde_json::json!({
            "description": description,
            "media_url": u.media_url,
            "external_update_id": u.update_id,
            "external_status": u.status,
        });
        let mut tx = self.store.begin().await?;
        let update = chuishao_domain::record::StreamKind::CaseUpdate;
        let seq = crate::record::log_fact(
            &mut tx,
            update,
            row.id,
            0,
            "public_update",
            payload.to_string(),
            Some(actor.user_id.0),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(RequestUpdate {
            update_id: seq.to_string(),
            service_request_id: row.tracking_code,
            status: update_status("", current),
            updated_datetime: rfc3339(now),
            description: self.public_line(description),
            media_url: u.media_url.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_checked_against_the_definition() {
        let ok = check_attributes(&[("hazard".into(), "yes".into()), ("LANDMARK".into(), "东门".into())]);
        assert_eq!(ok.ok(), Some(vec![("HAZARD".into(), "yes".into()), ("LANDMARK".into(), "东门".into())]));
        assert!(matches!(check_attributes(&[("HAZARD".into(), "maybe".into())]), Err(AppError::Invalid(_))));
        assert!(matches!(check_attributes(&[("COLOUR".into(), "red".into())]), Err(AppError::Invalid(_))));
        assert!(check_attributes(&[("LANDMARK".into(), "长".repeat(101))]).is_err());
    }

    #[test]
    fn media_urls_must_be_http() {
        assert!(check_media_url("https://example.org/a.jpg").is_ok());
        assert!(check_media_url("javascript:alert(1)").is_err());
        assert!(check_media_url("https://exa mple.org").is_err());
    }
}
