//! Open311 GeoReport v2 at `/open311/v2/`. One entry point parses the path itself: axum 0.8
//! refuses `{id}.{format}` in one segment, real clients send `//`, and `/service/{code}` is
//! an alias of `/services/{code}`. Every answer is a bare JSON array (or object for a
//! definition and discovery) or its XML twin; every failure is the spec's error array.
//! Empty parameters count as absent; `api_key` comes from the query, the form body or
//! `Authorization: Bearer`. `POST requests` may carry `media` file parts (multipart): they go
//! through the residents' photo pipeline and are served back as the request's `media_url`.

mod error;
#[cfg(test)]
mod fuzz;
mod params;
mod xml;

use crate::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chuishao_app::residents::open311::{self as o311, is_english};
use chuishao_app::residents::photos::{CleanPhoto, MAX_PHOTO_BYTES, MAX_PHOTOS_PER_CASE};
use error::{Open311Error, naming};
use params::{Params, parse_pairs};
use serde::Serialize;
use serde_json::{Value, json};

/// The path prefix.
pub const PREFIX: &str = "/open311/v2";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Format {
    Json,
    Xml,
}

fn render<T: Serialize>(status: StatusCode, format: Format, root: &str, item: &str, body: &T) -> Response {
    let value = serde_json::to_value(body).unwrap_or(Value::Null);
    match format {
        Format::Json => (status, axum::Json(value)).into_response(),
        Format::Xml => (status, [(header::CONTENT_TYPE, "text/xml; charset=utf-8")], xml::document(root, item, &value))
            .into_response(),
    }
}

fn error(format: Format, e: &Open311Error) -> Response {
    let body = json!([{"code": e.status.as_u16(), "description": e.description}]);
    render(e.status, format, "errors", "error", &body)
}

/// Splits `name.json` / `name.xml`; no suffix means JSON.
fn split_format(segment: &str) -> Result<(&str, Format), Open311Error> {
    match segment.rsplit_once('.') {
        Some((name, "json")) => Ok((name, Format::Json)),
        Some((name, "xml")) => Ok((name, Format::Xml)),
        Some((_, other)) => Err(Open311Error::not_found(format!("format {other} not supported: use .json or .xml"))),
        None => Ok((segment, Format::Json)),
    }
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(|v| v.trim().to_string())
}

/// The discovery document.
fn discovery(base: &str) -> Value {
    json!({
        "changeset": "2026-11-29T00:00:00+08:00",
        "contact": "chuishao operators",
        "key_service": "chuishao users create-token INTEGRATOR",
        "endpoints": [{
            "specification": "http://wiki.open311.org/GeoReport_v2",
            "url": base,
            "changeset": "2026-11-29T00:00:00+08:00",
            "type": "production",
            "formats": ["application/json", "text/xml"],
        }],
    })
}

/// Whether a path (after collapsing repeated slashes) belongs to Open311.
pub fn is_open311_path(path: &str) -> bool {
    let collapsed = collapse(path);
    collapsed == PREFIX || collapsed.starts_with("/open311/v2/")
}

fn collapse(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if !(c == '/' && out.ends_with('/')) {
            out.push(c);
        }
    }
    out
}

/// The single entry point for every Open311 path and method; a 503 (every photo decoding
/// slot busy) says when to come back.
pub async fn entry(State(s): State<AppState>, req: Request) -> Response {
    let retry_after = s.decode.retry_after_secs();
    let mut res = answer(s, req).await;
    if res.status() == StatusCode::SERVICE_UNAVAILABLE {
        res.headers_mut().insert(header::RETRY_AFTER, retry_after.into());
    }
    res
}

async fn answer(s: AppState, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let path = collapse(parts.uri.path());
    let rest = path.strip_prefix(PREFIX).unwrap_or("");
    let segments: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
    let mut params = parse_pairs(parts.uri.query().unwrap_or(""));
    // The format of errors before the path is understood: from the last segment if it says.
    let guess = segments.last().and_then(|l| split_format(l).ok()).map(|(_, f)| f).unwrap_or(Format::Json);
    let mut media = Vec::new();
    if parts.method == Method::POST {
        // Credentials before the body: a key in the query or `Authorization` is checked now,
        // one in a multipart form before its first file (see `crate::upload`).
        let wants_key = segments.len() == 1 && matches!(segment_name(&segments), "requests" | "servicerequestupdates");
        let early_key = Params(params.clone()).get("api_key").or_else(|| bearer(&parts.headers));
        if wants_key
            && let Some(key) = &early_key
            && let Err(e) = integrator_key(&s, key).await
        {
            return error(guess, &e);
        }
        let content_type = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let mime = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        match mime.as_str() {
            "application/x-www-form-urlencoded" | "" => {
                let bytes: Bytes = match axum::body::to_bytes(body, crate::MAX_BODY_BYTES).await {
                    Ok(b) => b,
                    Err(_) => return error(guess, &Open311Error::too_large()),
                };
                params.extend(parse_pairs(std::str::from_utf8(&bytes).unwrap_or("")));
            }
            "multipart/form-data" => {
                let checked = early_key.is_some() || !wants_key;
                match multipart_fields(&s, &parts, body, checked).await {
                    Ok((fields, photos)) => {
                        params.extend(fields);
                        media = photos;
                    }
                    Err(e) => return error(guess, &e),
                }
            }
            _ => {
                return error(
                    guess,
                    &Open311Error::bad_request(
                        "send the body as application/x-www-form-urlencoded or multipart/form-data",
                    ),
                );
            }
        }
    } else {
        drop(body);
    }
    if let Some(name) = crate::control_field(&params) {
        return error(guess, &Open311Error::bad_request(format!("{name}: control_characters: {}", control_text())));
    }
    let params = Params(params);
    let base = format!(
        "{}://{}{}",
        "http",
        parts.headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost"),
        PREFIX
    );
    match route(&s, &parts.method, &parts.headers, &segments, &params, media, &base).await {
        Ok(r) => r,
        Err((format, e)) => error(format, &e),
    }
}

type Routed = Result<Response, (Format, Open311Error)>;

/// The name of the path's last segment without its format (`requests.json` → `requests`).
fn segment_name<'a>(segments: &[&'a str]) -> &'a str {
    let last = segments.last().copied().unwrap_or("");
    split_format(last).map(|(n, _)| n).unwrap_or(last)
}

/// The catalogue's wording of the `control_characters` refusal (English, as Open311's errors).
fn control_text() -> &'static str {
    crate::web::Msgs(crate::web::Lang::En).t("error.control_characters")
}

fn key_required() -> Open311Error {
    Open311Error::forbidden("api_key is required: an integrator's API token (chuishao users create-token)")
}

/// The integrator an `api_key` names, or the 403 refusing it.
async fn integrator_key(s: &AppState, key: &str) -> Result<chuishao_domain::access::Actor, Open311Error> {
    s.app.residents().open311_actor(key).await.map_err(|e| match e {
        chuishao_app::AppError::Unauthenticated => Open311Error::forbidden("api_key is not valid"),
        other => Open311Error::from(other),
    })
}

async fn route(
    s: &AppState,
    method: &Method,
    headers: &HeaderMap,
    segments: &[&str],
    params: &Params,
    media: Vec<CleanPhoto>,
    base: &str,
) -> Routed {
    let en = is_english(params.get("locale").as_deref());
    let last = segments.last().copied().unwrap_or("discovery");
    let (name, format) = split_format(last).map_err(|e| (Format::Json, e))?;
    let fail = |e: Open311Error| (format, e);
    let app_fail = |e: chuishao_app::AppError| (format, Open311Error::from(e));
    let app = &s.app;
    let get = *method == Method::GET || *method == Method::HEAD;
    let post = *method == Method::POST;
    let not_allowed = || {
        let description = format!("{method} not allowed here");
        (format, Open311Error { status: StatusCode::METHOD_NOT_ALLOWED, description })
    };
    // An integrator's key: from the query, the form or `Authorization: Bearer`.
    let integrator = || async {
        let key = params.get("api_key").or_else(|| bearer(headers)).ok_or_else(|| fail(key_required()))?;
        integrator_key(s, &key).await.map_err(fail)
    };
    // Uploaded photos are served here: their paths become URLs on this host.
    let origin = base.strip_suffix(PREFIX).unwrap_or(base);
    let absolute = |mut r: o311::ServiceRequest| {
        if let Some(path) = r.media_url.as_deref().filter(|u| u.starts_with('/')) {
            r.media_url = Some(format!("{origin}{path}"));
        }
        r
    };
    match (segments.len(), segments.first().copied()) {
        (0, _) | (1, Some(_)) if name == "discovery" => {
            if !get {
                return Err(not_allowed());
            }
            Ok(render(StatusCode::OK, format, "discovery", "", &discovery(base)))
        }
        (1, Some(_)) if name == "services" => {
            if !get {
                return Err(not_allowed());
            }
            let services = app.residents().open311_services(en).await.map_err(app_fail)?;
            Ok(render(StatusCode::OK, format, "services", "service", &services))
        }
        (2, Some("services" | "service")) => {
            if !get {
                return Err(not_allowed());
            }
            let d = app
                .residents()
                .open311_service_definition(name, en)
                .await
                .map_err(|e| fail(naming("service_code", name)(e)))?;
            Ok(render(StatusCode::OK, format, "service_definition", "", &d))
        }
        (1, Some(_)) if name == "requests" => {
            if post {
                let actor = integrator().await?;
                let req = o311::NewRequest { media, ..params::new_request(params).map_err(fail)? };
                let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
                let created =
                    app.residents().open311_create(&actor, &req, key, en, &s.photo_dir).await.map_err(app_fail)?;
                Ok(render(StatusCode::CREATED, format, "service_requests", "request", &[created]))
            } else if get {
                let q = params::request_filter(params).map_err(fail)?;
                let list: Vec<_> = app
                    .residents()
                    .open311_requests(&q, en)
                    .await
                    .map_err(app_fail)?
                    .into_iter()
                    .map(absolute)
                    .collect();
                Ok(render(StatusCode::OK, format, "service_requests", "request", &list))
            } else {
                Err(not_allowed())
            }
        }
        (2, Some("requests")) => {
            if !get {
                return Err(not_allowed());
            }
            let r = app
                .residents()
                .open311_request(name, en)
                .await
                .map_err(|e| fail(naming("service_request_id", name)(e)))?;
            let r = absolute(r);
            Ok(render(StatusCode::OK, format, "service_requests", "request", &[r]))
        }
        (2, Some("tokens")) => {
            if !get {
                return Err(not_allowed());
            }
            let t = app.residents().open311_token(name).await.map_err(|e| fail(naming("token", name)(e)))?;
            Ok(render(StatusCode::OK, format, "service_requests", "request", &[t]))
        }
        (1, Some(_)) if name == "servicerequestupdates" => {
            if post {
                let actor = integrator().await?;
                let u = params::new_update(params).map_err(fail)?;
                let id = u.service_request_id.clone();
                let done = app
                    .residents()
                    .open311_post_update(&actor, &u)
                    .await
                    .map_err(|e| fail(naming("service_request_id", &id)(e)))?;
                Ok(render(StatusCode::OK, format, "service_request_updates", "request_update", &[done]))
            } else if get {
                let (start, end) = params::update_window(params).map_err(fail)?;
                let list = app.residents().open311_updates(start, end, en).await.map_err(app_fail)?;
                Ok(render(StatusCode::OK, format, "service_request_updates", "request_update", &list))
            } else {
                Err(not_allowed())
            }
        }
        _ => Err(fail(Open311Error::not_found(format!("no such Open311 resource: {}", segments.join("/"))))),
    }
}

/// A multipart body: its text fields, and its `media` file parts cleaned by the photo
/// pipeline (recognised by content, re-encoded without metadata). Any bad file refuses all.
/// Unless the key was `checked` already, the form's `api_key` must come before the first
/// file and be valid, or no file is read.
async fn multipart_fields(
    s: &AppState,
    parts: &axum::http::request::Parts,
    body: Body,
    checked: bool,
) -> Result<(Vec<(String, String)>, Vec<CleanPhoto>), Open311Error> {
    use crate::upload::{UploadError, field, read_multipart};
    let gate = async |fields: &[(String, String)]| -> Result<(), Open311Error> {
        if checked {
            return Ok(());
        }
        let key = field(fields, "api_key").map(str::trim).filter(|k| !k.is_empty()).ok_or_else(key_required)?;
        integrator_key(s, key).await.map(|_| ())
    };
    let upload = read_multipart(parts, body, "media", true, gate).await.map_err(|e| match e {
        UploadError::TooLarge => Open311Error::too_large(),
        UploadError::Unreadable(why) => Open311Error::bad_request(format!("unreadable multipart body: {why}")),
        UploadError::StrayFile(name) => Open311Error::bad_request(format!("{name}: only media may carry a file")),
        UploadError::Refused(e, _) => e,
    })?;
    let fields =
        upload.fields.into_iter().map(|(k, v)| (k, v.trim().to_string())).filter(|(_, v)| !v.is_empty()).collect();
    let photos = s.decode.clean_all(upload.files).await.map_err(Open311Error::from)?;
    Ok((fields, photos))
}

/// The routes: the prefix itself and everything under it.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route(PREFIX, axum::routing::any(entry))
        .route("/open311/v2/", axum::routing::any(entry))
        .route("/open311/v2/{*rest}", axum::routing::any(entry))
        .layer(axum::extract::DefaultBodyLimit::max(MEDIA_BODY_LIMIT))
}

/// A request with the most media files of the largest size, and its text fields.
const MEDIA_BODY_LIMIT: usize = MAX_PHOTOS_PER_CASE * MAX_PHOTO_BYTES + 1024 * 1024;

/// Used by the fallback: a path with `//` that is Open311 once collapsed.
pub async fn fallback_entry(state: State<AppState>, req: Request<Body>) -> Response {
    entry(state, req).await
}
