//! Open311 GeoReport v2 use cases: services from the category catalogue, service requests
//! as public views of cases, filing through intake (source `open311`), tokens, and the
//! `servicerequestupdates` extension. Everything here is public except filing and posting
//! updates, which need an integrator's API token. No reporter data ever leaves.

use crate::cases::{NewCaseInput, ReporterInput};
use crate::residents::photos::{CleanPhoto, MAX_PHOTO_BYTES, MAX_PHOTOS_PER_CASE, PhotoError};
use crate::time::{parse_rfc3339, rfc3339};
use crate::{App, AppError};
use chuishao_domain::access::{Actor, Role};
use chuishao_domain::cases::{CaseEvent, CaseStatus};
use chuishao_domain::ids::TrackingCode;
use chuishao_i18n::cases::public as public_wording;
use chuishao_store::{CaseRow, NewEvent, PublicCaseFilter};
use serde::Serialize;

/// Default window of `GET requests` without dates: 90 days.
pub const DEFAULT_WINDOW_MS: i64 = 90 * 24 * 3600 * 1000;
/// Most requests in one answer (and the default page size).
pub const MAX_PAGE_SIZE: i64 = 1000;
/// Most `media_url`s on one request.
pub const MAX_MEDIA_URLS: usize = 4;
/// The event stream of updates posted through `servicerequestupdates`.
pub const UPDATE_STREAM: &str = "case_update";

/// An Open311 failure: the HTTP status and the description of the spec's error array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Open311Error {
    pub status: u16,
    pub description: String,
}

impl Open311Error {
    pub fn bad_request(d: impl Into<String>) -> Self {
        Open311Error { status: 400, description: d.into() }
    }
    pub fn forbidden(d: impl Into<String>) -> Self {
        Open311Error { status: 403, description: d.into() }
    }
    pub fn not_found(d: impl Into<String>) -> Self {
        Open311Error { status: 404, description: d.into() }
    }
}

impl From<AppError> for Open311Error {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Invalid(fields) => Open311Error::bad_request(
                fields
                    .iter()
                    .map(|f| format!("{}: {}", open311_field(&f.field), f.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            AppError::NotFound(what) => Open311Error::not_found(format!("{what} not found")),
            AppError::Unauthenticated => Open311Error::forbidden("a valid api_key is required"),
            AppError::Forbidden(m) => Open311Error::forbidden(m),
            AppError::IdempotencyKeyReused => {
                Open311Error::bad_request("this Idempotency-Key was already used with a different request")
            }
            other => {
                tracing::error!(error = %other, "open311 request failed");
                Open311Error { status: 500, description: "internal error".into() }
            }
        }
    }
}

impl From<PhotoError> for Open311Error {
    fn from(e: PhotoError) -> Self {
        Open311Error::bad_request(match e {
            PhotoError::TooLarge => format!("media: larger than {} MB", MAX_PHOTO_BYTES / (1024 * 1024)),
            PhotoError::NotAnImage => "media: not a JPEG, PNG or WebP image".to_string(),
            PhotoError::Unreadable => "media: the image could not be read".to_string(),
            PhotoError::TooMany => format!("media: at most {MAX_PHOTOS_PER_CASE} files"),
        })
    }
}

impl From<chuishao_store::StoreError> for Open311Error {
    fn from(e: chuishao_store::StoreError) -> Self {
        AppError::from(e).into()
    }
}

/// Intake's field names in Open311's words.
fn open311_field(f: &str) -> &str {
    match f {
        "lon" => "long",
        "address" => "address_string",
        "category_code" => "service_code",
        "reporter.name" => "first_name",
        "reporter.phone" => "phone",
        other => other,
    }
}

type O311<T> = std::result::Result<T, Open311Error>;

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
    pub service_code: Option<String>,
    pub lat: Option<String>,
    pub long: Option<String>,
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

/// `GET requests` parameters (empty values already dropped).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestQuery {
    pub service_request_id: Option<String>,
    pub service_code: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub status: Option<String>,
    pub page: Option<String>,
    pub page_size: Option<String>,
}

/// `POST servicerequestupdates`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewUpdate {
    pub service_request_id: Option<String>,
    pub description: Option<String>,
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
    let t = |zh: &str, e: &str| if en { e.to_string() } else { zh.to_string() };
    vec![
        Attribute {
            variable: true,
            code: "HAZARD".into(),
            datatype: "singlevaluelist",
            required: false,
            datatype_description: t("是否危及人身或财产安全", "Does it endanger people or property?"),
            order: 1,
            description: t("存在安全隐患吗？", "Is it dangerous?"),
            values: vec![
                AttributeValue { key: "yes".into(), name: t("是", "Yes") },
                AttributeValue { key: "no".into(), name: t("否", "No") },
            ],
        },
        Attribute {
            variable: true,
            code: "LANDMARK".into(),
            datatype: "string",
            required: false,
            datatype_description: t("附近的地标，最多100字", "A nearby landmark, at most 100 characters"),
            order: 2,
            description: t("附近地标", "Nearby landmark"),
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
            return Err(Open311Error::bad_request(format!("attribute[{code}]: this service has no such attribute")));
        };
        if out.iter().any(|(c, _)| *c == def.code) {
            return Err(Open311Error::bad_request(format!("attribute[{code}]: given twice")));
        }
        let value = value.trim();
        match def.datatype {
            "singlevaluelist" if !def.values.iter().any(|v| v.key == value) => {
                let keys: Vec<&str> = def.values.iter().map(|v| v.key.as_str()).collect();
                return Err(Open311Error::bad_request(format!(
                    "attribute[{}]: must be one of {}",
                    def.code,
                    keys.join(", ")
                )));
            }
            _ if value.chars().count() > 100 => {
                return Err(Open311Error::bad_request(format!("attribute[{}]: at most 100 characters", def.code)));
            }
            _ => {}
        }
        out.push((def.code.clone(), value.to_string()));
    }
    for def in defs.iter().filter(|d| d.required) {
        if !out.iter().any(|(c, _)| *c == def.code) {
            return Err(Open311Error::bad_request(format!("attribute[{}]: required", def.code)));
        }
    }
    Ok(out)
}

fn check_media_url(url: &str) -> O311<()> {
    let ok = (url.starts_with("http://") || url.starts_with("https://"))
        && url.len() <= 2000
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(())
    } else {
        Err(Open311Error::bad_request("media_url: must be an http(s) URL of at most 2000 characters"))
    }
}

fn parse_coordinate(name: &str, v: &Option<String>) -> O311<Option<f64>> {
    match v {
        None => Ok(None),
        Some(s) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(Some)
            .ok_or_else(|| Open311Error::bad_request(format!("{name}: not a number"))),
    }
}

/// Parses a W3C date-time (`2026-11-29T08:00:00+08:00`, `…Z`) or a bare date (`2026-11-29`,
/// midnight China time).
pub fn parse_w3c(s: &str) -> Option<i64> {
    if let Some(ms) = parse_rfc3339(s) {
        return Some(ms);
    }
    let d = chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()?;
    let dt = d.and_hms_opt(0, 0, 0)?.and_local_timezone(crate::time::cst()).single()?;
    Some(dt.timestamp_millis())
}

/// An optional date parameter; a present but unreadable one is a 400.
fn date_param(name: &str, v: Option<&str>) -> O311<Option<i64>> {
    match v {
        None => Ok(None),
        Some(s) => {
            parse_w3c(s).map(Some).ok_or_else(|| Open311Error::bad_request(format!("{name}: not a W3C date-time")))
        }
    }
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

fn split_list(s: &Option<String>) -> Vec<String> {
    s.as_deref().unwrap_or("").split(',').map(str::trim).filter(|v| !v.is_empty()).map(str::to_string).collect()
}

impl App {
    fn require_integrator(actor: &Actor) -> O311<()> {
        if actor.has_role(Role::Integrator) || actor.has_role(Role::Admin) {
            Ok(())
        } else {
            Err(Open311Error::forbidden("this api_key does not belong to an integrator"))
        }
    }

    /// The actor behind an Open311 `api_key`; 403 when missing or unknown.
    pub async fn open311_actor(&self, api_key: Option<&str>) -> O311<Actor> {
        let key = api_key.map(str::trim).filter(|k| !k.is_empty()).ok_or_else(|| {
            Open311Error::forbidden("api_key is required: an integrator's API token (chuishao users create-token)")
        })?;
        let actor = self.authenticate(key).await.map_err(|_| Open311Error::forbidden("api_key is not valid"))?;
        Self::require_integrator(&actor)?;
        Ok(actor)
    }

    /// Every active category as a service.
    pub async fn open311_services(&self, en: bool) -> O311<Vec<Service>> {
        Ok(self
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
        match self.category_with_status(code).await? {
            Some((c, true)) => {
                Ok(ServiceDefinition { service_code: c.code.clone(), attributes: common_attributes(en) })
            }
            _ => Err(Open311Error::not_found(format!("service_code {code} not found"))),
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
        let code = req.service_code.as_deref().ok_or_else(|| Open311Error::bad_request("service_code is required"))?;
        let category = match self.category_with_status(code).await? {
            Some((c, true)) => c,
            _ => return Err(Open311Error::bad_request(format!("service_code {code} not found"))),
        };
        let lat = parse_coordinate("lat", &req.lat)?;
        let lon = parse_coordinate("long", &req.long)?;
        if lat.is_none() && lon.is_none() && req.address_string.is_none() {
            return Err(Open311Error::bad_request("a location is required: lat and long, or address_string"));
        }
        let attributes = check_attributes(&req.attributes)?;
        if req.media_urls.len() > MAX_MEDIA_URLS {
            return Err(Open311Error::bad_request(format!("at most {MAX_MEDIA_URLS} media_url values")));
        }
        for u in &req.media_urls {
            check_media_url(u)?;
        }
        if req.media.len() > MAX_PHOTOS_PER_CASE {
            return Err(PhotoError::TooMany.into());
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
        let outcome = self.submit_case(actor, &input, idempotency_key).await?;
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
            Some(c) => self.category(c).await?,
            None => None,
        };
        let handler = match row.handler_id {
            Some(h) => self.org(chuishao_domain::ids::OrgId(h)).await?,
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
        Ok(ServiceRequest {
            service_request_id: row.tracking_code,
            status: open311_status(status),
            status_notes: None,
            service_name: category.as_ref().map(|c| if en { c.name_en.clone() } else { c.name_zh.clone() }),
            service_code: row.category_code,
            description: row.description,
            agency_responsible: handler.map(|h| if en { h.name_en.clone() } else { h.name_zh.clone() }),
            service_notice: None,
            requested_datetime: rfc3339(row.created_at),
            updated_datetime: rfc3339(row.updated_at),
            expected_datetime: expected,
            address: row.address,
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
    pub async fn open311_requests(&self, q: &RequestQuery, en: bool) -> O311<Vec<ServiceRequest>> {
        let parse_num = |name: &str, v: &Option<String>, max: i64| -> O311<Option<i64>> {
            match v {
                None => Ok(None),
                Some(s) => match s.trim().parse::<i64>() {
                    Ok(n) if (1..=max).contains(&n) => Ok(Some(n)),
                    _ => Err(Open311Error::bad_request(format!("{name}: a whole number from 1 to {max}"))),
                },
            }
        };
        let page = parse_num("page", &q.page, 1_000_000)?.unwrap_or(1);
        let page_size = parse_num("page_size", &q.page_size, MAX_PAGE_SIZE)?.unwrap_or(MAX_PAGE_SIZE);
        let mut f = PublicCaseFilter { limit: page_size, offset: (page - 1) * page_size, ..Default::default() };
        let ids = split_list(&q.service_request_id);
        if !ids.is_empty() {
            for id in &ids {
                match TrackingCode::parse(id) {
                    Some(c) => f.tracking_codes.push(c.as_str().to_string()),
                    None => return Err(Open311Error::bad_request(format!("service_request_id {id} is not valid"))),
                }
            }
        } else {
            f.category_codes = split_list(&q.service_code);
            for s in split_list(&q.status) {
                let wanted: Vec<CaseStatus> = match s.to_ascii_lowercase().as_str() {
                    "open" => CaseStatus::ALL.iter().copied().filter(|s| s.is_open()).collect(),
                    "closed" => CaseStatus::ALL.iter().copied().filter(|s| !s.is_open()).collect(),
                    _ => return Err(Open311Error::bad_request(format!("status {s}: use open or closed"))),
                };
                f.statuses.extend(wanted.iter().map(|s| s.as_str().to_string()));
            }
            let end = date_param("end_date", q.end_date.as_deref())?;
            let start = date_param("start_date", q.start_date.as_deref())?;
            if let (Some(s), Some(e)) = (start, end)
                && s > e
            {
                return Err(Open311Error::bad_request("start_date is after end_date"));
            }
            // A bound given to the second covers that whole second.
            f.created_to = end.map(|e| if e % 1000 == 0 { e + 999 } else { e });
            f.created_from = Some(start.unwrap_or_else(|| end.unwrap_or_else(|| self.now_ms()) - DEFAULT_WINDOW_MS));
        }
        let rows = self.store.public_cases(&f).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(self.service_request(row, en).await?);
        }
        Ok(out)
    }

    /// The case behind a request id or token; 404 (naming `what`) when there is none.
    async fn case_by_code(&self, what: &str, id: &str) -> O311<CaseRow> {
        let not_found = || Open311Error::not_found(format!("{what} {id} not found"));
        let code = TrackingCode::parse(id).ok_or_else(not_found)?;
        self.store.case_by_tracking_code(code.as_str()).await?.ok_or_else(not_found)
    }

    /// `GET requests/{id}`.
    pub async fn open311_request(&self, id: &str, en: bool) -> O311<ServiceRequest> {
        let row = self.case_by_code("service_request_id", id).await?;
        self.service_request(row, en).await
    }

    /// `GET tokens/{token}`: tokens are tracking codes, so the request exists at once.
    pub async fn open311_token(&self, token: &str) -> O311<TokenAnswer> {
        let row = self.case_by_code("token", token).await?;
        Ok(TokenAnswer { service_request_id: row.tracking_code.clone(), token: row.tracking_code })
    }

    /// `GET servicerequestupdates`: public timeline entries and posted updates between
    /// `start_date` and `end_date` (default: the last 24 hours), oldest first, at most 1,000.
    pub async fn open311_updates(&self, start: Option<&str>, end: Option<&str>, en: bool) -> O311<Vec<RequestUpdate>> {
        let end = date_param("end_date", end)?.unwrap_or_else(|| self.now_ms());
        let start = date_param("start_date", start)?.unwrap_or(end - 24 * 3600 * 1000);
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
                    description: v["description"].as_str().unwrap_or_default().to_string(),
                    media_url: v["media_url"].as_str().map(str::to_string),
                });
                continue;
            }
            let Ok(event) = serde_json::from_str::<CaseEvent>(&r.payload) else { continue };
            let unit = match event.handler_id() {
                Some(h) => self.org(h).await?,
                None => None,
            };
            let Some(w) = public_wording(&event, unit.as_deref().map(|u| (u.name_zh.as_str(), u.name_en.as_str())))
            else {
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
        let id = u
            .service_request_id
            .as_deref()
            .ok_or_else(|| Open311Error::bad_request("service_request_id is required"))?;
        let description =
            u.description.as_deref().ok_or_else(|| Open311Error::bad_request("description is required"))?;
        if description.chars().count() > crate::cases::MAX_DESCRIPTION {
            return Err(Open311Error::bad_request("description: at most 4000 characters"));
        }
        if let Some(m) = &u.media_url {
            check_media_url(m)?;
        }
        let row = self.case_by_code("service_request_id", id).await?;
        let current = CaseStatus::parse(&row.status).ok_or_else(|| AppError::Internal("status".into()))?;
        let now = self.now_ms();
        let payload = serde_json::json!({
            "description": description,
            "media_url": u.media_url,
            "external_update_id": u.update_id,
            "external_status": u.status,
        });
        let mut tx = self.store.begin().await?;
        let seqs = tx
            .append_events(&[NewEvent {
                stream: UPDATE_STREAM,
                stream_id: row.id,
                stream_version: 0,
                kind: "public_update",
                payload: payload.to_string(),
                actor_id: Some(actor.user_id.0),
                created_at: now,
            }])
            .await?;
        tx.commit().await?;
        Ok(RequestUpdate {
            update_id: seqs.first().copied().unwrap_or_default().to_string(),
            service_request_id: row.tracking_code,
            status: update_status("", current),
            updated_datetime: rfc3339(now),
            description: description.to_string(),
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
        assert_eq!(ok, Ok(vec![("HAZARD".into(), "yes".into()), ("LANDMARK".into(), "东门".into())]));
        assert_eq!(check_attributes(&[("HAZARD".into(), "maybe".into())]).map_err(|e| e.status), Err(400));
        assert_eq!(check_attributes(&[("COLOUR".into(), "red".into())]).map_err(|e| e.status), Err(400));
        assert!(check_attributes(&[("LANDMARK".into(), "长".repeat(101))]).is_err());
    }

    #[test]
    fn dates_parse_in_w3c_forms() {
        assert_eq!(parse_w3c("2026-11-29T00:00:00+08:00"), parse_w3c("2026-11-29"));
        assert_eq!(parse_w3c("2026-11-28T16:00:00Z"), parse_w3c("2026-11-29"));
        assert_eq!(parse_w3c("29/11/2026"), None);
    }

    #[test]
    fn media_urls_must_be_http() {
        assert!(check_media_url("https://example.org/a.jpg").is_ok());
        assert!(check_media_url("javascript:alert(1)").is_err());
        assert!(check_media_url("https://exa mple.org").is_err());
    }
}
