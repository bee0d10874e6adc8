//! The report page `/report`: a plain HTML form that works without JavaScript (report.js
//! adds category search and geolocation). CSRF-checked, rate-limited per address, and the
//! form token is the idempotency key, so a double submit files one case.

mod map;
mod nearby;

use super::{MessagePage, Msgs, PageLang, csrf, html};
use crate::AppState;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::response::Response;
use axum::routing::get;
use chuishao_app::AppError;
use chuishao_app::residents::photos::{MAX_PHOTO_BYTES, MAX_PHOTOS_PER_CASE, PhotoError, valid_file_name};
use chuishao_app::residents::report::ReportForm;
use map::{MapView, map_pick, map_view};
use rand::RngCore;
use serde::Deserialize;

struct CategoryItem {
    code: String,
    name: String,
    hint: String,
}

struct CategoryGroup {
    name: String,
    items: Vec<CategoryItem>,
}

/// The form as typed, echoed back on errors.
#[derive(Deserialize, Default, Clone)]
struct Fields {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    form_token: String,
    #[serde(default)]
    category_code: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    lat: String,
    #[serde(default)]
    lon: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    anonymous: Option<String>,
    /// Where the map (an `<input type="image" name="map">`) was tapped, without JavaScript.
    #[serde(default, rename = "map.x")]
    map_x: String,
    #[serde(default, rename = "map.y")]
    map_y: String,
    /// Set when the photos were refused (not part of the form).
    #[serde(skip)]
    photo_error: Option<&'static str>,
}

/// What the template shows of the form.
struct FormView {
    category_code: String,
    description: String,
    address: String,
    lat: String,
    lon: String,
    name: String,
    phone: String,
    anonymous: bool,
}

impl From<&Fields> for FormView {
    fn from(f: &Fields) -> Self {
        FormView {
            category_code: f.category_code.clone(),
            description: f.description.clone(),
            address: f.address.clone(),
            lat: f.lat.clone(),
            lon: f.lon.clone(),
            name: f.name.clone(),
            phone: f.phone.clone(),
            anonymous: f.anonymous.is_some(),
        }
    }
}

#[derive(askama::Template)]
#[template(path = "report.html")]
struct ReportPage {
    t: Msgs,
    switch_href: String,
    groups: Vec<CategoryGroup>,
    form: FormView,
    errors: Vec<&'static str>,
    csrf: String,
    form_token: String,
    map: Option<MapView>,
}

#[derive(askama::Template)]
#[template(path = "report_done.html")]
struct DonePage {
    t: Msgs,
    switch_href: String,
    code: String,
    photos: Vec<String>,
    /// Set when this is the answer to a "me too": the case's count.
    me_too: Option<i64>,
}

fn new_token() -> String {
    let mut b = [0u8; 16];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

async fn groups(s: &AppState, lang: PageLang) -> Vec<CategoryGroup> {
    let mut out: Vec<CategoryGroup> = Vec::new();
    for c in s.app.admin().list_categories().await.unwrap_or_default() {
        let major = lang.lang.pick(&c.major_name_zh, &c.major_name_en).to_string();
        let item = CategoryItem {
            name: lang.lang.pick(&c.name_zh, &c.name_en).to_string(),
            hint: lang.lang.pick(&c.description_zh, &c.description_en).to_string(),
            code: c.code,
        };
        match out.last_mut() {
            Some(g) if g.name == major => g.items.push(item),
            _ => out.push(CategoryGroup { name: major, items: vec![item] }),
        }
    }
    out
}

async fn form_page(
    s: &AppState,
    lang: PageLang,
    parts: &axum::http::request::Parts,
    fields: &Fields,
    errors: Vec<&'static str>,
    status: StatusCode,
) -> Response {
    let (token, fresh) = csrf::token(parts);
    let form_token = if fields.form_token.len() == 32 { fields.form_token.clone() } else { new_token() };
    let page = ReportPage {
        t: lang.msgs(),
        switch_href: lang.switch_href("/report"),
        groups: groups(s, lang).await,
        form: FormView::from(fields),
        errors: errors.into_iter().map(|k| lang.msgs().t(k)).collect(),
        csrf: token.clone(),
        form_token,
        map: map_view(s, fields).await,
    };
    let mut res = html(status, &page);
    if fresh {
        csrf::set_cookie(&mut res, &token);
    }
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    lang.remember(res)
}

/// `GET /report`.
async fn show(State(s): State<AppState>, lang: PageLang, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    form_page(&s, lang, &parts, &Fields::default(), vec![], StatusCode::OK).await
}

fn error_key(field: &str) -> &'static str {
    match field {
        "description" => "report.err.description",
        "location" | "lat" | "lon" | "address" => "report.err.location",
        "category_code" => "report.err.category",
        "reporter.name" => "report.err.name",
        "reporter.phone" => "report.err.phone",
        _ => "report.err.other",
    }
}

/// The body of a report: urlencoded (no photos) or multipart (with `photo` files, kept as
/// bytes: they are decoded only after every check).
enum Body {
    Parsed(Box<Fields>, Vec<axum::body::Bytes>),
    Refused(StatusCode, &'static str),
}

/// Reads the form; a multipart one must carry its CSRF token before its first photo, or no
/// photo is read.
async fn read_body(parts: &axum::http::request::Parts, body: axum::body::Body) -> Body {
    use crate::upload::{UploadError, field, read_multipart};
    let content_type = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    if !content_type.starts_with("multipart/form-data") {
        return match crate::web::track::form_checked::<Fields>(parts, body).await {
            Ok(f) => Body::Parsed(Box::new(f), vec![]),
            Err(key) => Body::Refused(refusal_status(key), key),
        };
    }
    let gate = async |fields: &[(String, String)]| {
        if csrf::check(parts, field(fields, csrf::NAME)) { Ok(()) } else { Err(()) }
    };
    let upload = match read_multipart(parts, body, "photo", false, gate).await {
        Ok(u) => u,
        Err(UploadError::TooLarge) => return Body::Refused(StatusCode::PAYLOAD_TOO_LARGE, "report.err.photo_size"),
        Err(UploadError::Refused(..)) => return Body::Refused(StatusCode::FORBIDDEN, "error.csrf"),
        Err(_) => return Body::Refused(StatusCode::BAD_REQUEST, "error.invalid"),
    };
    if crate::control_field(&upload.fields).is_some() {
        return Body::Refused(StatusCode::UNPROCESSABLE_ENTITY, "error.control_characters");
    }
    let Ok(encoded) = serde_urlencoded::to_string(&upload.fields) else {
        return Body::Refused(StatusCode::BAD_REQUEST, "error.invalid");
    };
    let Ok(fields) = serde_urlencoded::from_str::<Fields>(&encoded) else {
        return Body::Refused(StatusCode::BAD_REQUEST, "error.invalid");
    };
    Body::Parsed(Box::new(fields), upload.files)
}

/// The status of a form refusal's catalogue key.
fn refusal_status(key: &str) -> StatusCode {
    if key == "error.control_characters" { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::BAD_REQUEST }
}

/// A refusal that says when to come back.
fn retry_later(lang: PageLang, status: StatusCode, key: &'static str, wait: u64) -> Response {
    let mut res = message(lang, status, key);
    res.headers_mut().insert(header::RETRY_AFTER, wait.into());
    res
}

/// The checks every public form write passes first: CSRF, then the per-IP report limit.
fn guard(s: &AppState, lang: PageLang, parts: &axum::http::request::Parts, token: &str) -> Option<Response> {
    if !csrf::check(parts, Some(token)) {
        return Some(message(lang, StatusCode::FORBIDDEN, "error.csrf"));
    }
    if let Err(wait) = s.limiter.check("report", s.limiter.limits.report, s.client_addr(parts)) {
        return Some(retry_later(lang, StatusCode::TOO_MANY_REQUESTS, "error.rate_limited", wait));
    }
    None
}

/// `POST /report`: the rate limit before the body, the CSRF token before any photo, a tap on
/// the map without decoding anything, then the limit taken and the photos decoded.
async fn submit(State(s): State<AppState>, lang: PageLang, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    if let Err(wait) = s.limiter.peek("report", s.limiter.limits.report, s.client_addr(&parts)) {
        return retry_later(lang, StatusCode::TOO_MANY_REQUESTS, "error.rate_limited", wait);
    }
    let (mut fields, raw) = match read_body(&parts, body).await {
        Body::Parsed(f, p) => (*f, p),
        Body::Refused(status, key) => return message(lang, status, key),
    };
    if let Some(picked) = map_pick(&s, &fields).await {
        // A tap on the map without JavaScript: show the chosen point, file nothing yet.
        return match picked {
            Some(f) => form_page(&s, lang, &parts, &f, vec![], StatusCode::OK).await,
            None => {
                form_page(&s, lang, &parts, &fields, vec!["report.err.location"], StatusCode::UNPROCESSABLE_ENTITY)
                    .await
            }
        };
    }
    if let Some(refused) = guard(&s, lang, &parts, &fields.csrf) {
        return refused;
    }
    let photos = match s.decode.clean_all(raw).await {
        Ok(photos) => photos,
        Err(PhotoError::Busy) => {
            return retry_later(lang, StatusCode::SERVICE_UNAVAILABLE, "error.busy", s.decode.retry_after_secs());
        }
        Err(e) => {
            fields.photo_error = Some(match e {
                PhotoError::TooLarge => "report.err.photo_size",
                PhotoError::TooMany => "report.err.photo_count",
                PhotoError::TooManyPixels => "report.err.photo_pixels",
                _ => "report.err.photo_type",
            });
            vec![]
        }
    };
    let opt = |v: &str| Some(v.trim().to_string()).filter(|v| !v.is_empty());
    let mut errors: Vec<&'static str> = Vec::new();
    let mut coord = |v: &str| -> Option<f64> {
        let v = v.trim();
        if v.is_empty() {
            return None;
        }
        let parsed = v.parse::<f64>().ok().filter(|f| f.is_finite());
        if parsed.is_none() && !errors.contains(&"report.err.location") {
            errors.push("report.err.location");
        }
        parsed
    };
    let (lat, lon) = (coord(&fields.lat), coord(&fields.lon));
    if let Some(key) = fields.photo_error {
        errors.push(key);
    }
    if !errors.is_empty() {
        return form_page(&s, lang, &parts, &fields, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let form = ReportForm {
        category_code: opt(&fields.category_code),
        description: fields.description.trim().to_string(),
        lat,
        lon,
        address: opt(&fields.address),
        name: opt(&fields.name),
        phone: opt(&fields.phone),
        anonymous: fields.anonymous.is_some(),
    };
    match s.app.residents().resident_report(&form, &fields.form_token).await {
        Ok(outcome) => {
            let photos = if outcome.replayed || photos.is_empty() {
                s.app.residents().case_photo_keys(outcome.case.id).await.unwrap_or_default()
            } else {
                match s.app.residents().attach_photos(outcome.case.id, &photos, &s.photo_dir).await {
                    Ok(keys) => keys,
                    Err(e) => {
                        tracing::error!(error = %e, "storing photos failed");
                        vec![]
                    }
                }
            };
            let page = DonePage {
                t: lang.msgs(),
                switch_href: lang.switch_href("/report"),
                code: outcome.case.tracking_code,
                photos,
                me_too: None,
            };
            lang.remember(html(StatusCode::OK, &page))
        }
        Err(AppError::Invalid(fields_err)) => {
            let mut keys: Vec<&'static str> = fields_err.iter().map(|f| error_key(&f.field)).collect();
            keys.dedup();
            form_page(&s, lang, &parts, &fields, keys, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(AppError::IdempotencyKeyReused) => {
            // The same page sent again with changes: give it a fresh token and let them resend.
            let f = Fields { form_token: String::new(), ..fields };
            form_page(&s, lang, &parts, &f, vec!["report.err.other"], StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => {
            tracing::error!(error = %e, "web report failed");
            message(lang, StatusCode::INTERNAL_SERVER_ERROR, "error.internal")
        }
    }
}

fn message(lang: PageLang, status: StatusCode, line: &'static str) -> Response {
    let page = MessagePage {
        t: lang.msgs(),
        switch_href: lang.switch_href("/report"),
        heading: "error.title",
        lines: vec![line],
        is_error: true,
        back_href: format!("/report?lang={}", lang.lang.code()),
    };
    lang.remember(html(status, &page))
}

/// A report with four photos of 10 MB each, and the form around them.
const REPORT_BODY_LIMIT: usize = MAX_PHOTOS_PER_CASE * MAX_PHOTO_BYTES + 1024 * 1024;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/report", get(show).post(submit).layer(axum::extract::DefaultBodyLimit::max(REPORT_BODY_LIMIT)))
        .route("/photos/{name}", get(photo))
        .route("/report/nearby.json", get(nearby::nearby))
        .route("/report/map.svg", get(map::map_svg))
        .route("/t/{code}/me-too", axum::routing::post(nearby::me_too))
}

/// `GET /photos/{name}`: a stored (cleaned) photo or thumbnail by its random key.
async fn photo(State(s): State<AppState>, axum::extract::Path(name): axum::extract::Path<String>) -> Response {
    if !valid_file_name(&name) {
        return StatusCode::NOT_FOUND.into_response();
    }
    match tokio::fs::read(s.photo_dir.join(&name)).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "image/jpeg"),
                (header::CACHE_CONTROL, "public, max-age=86400, immutable"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}
