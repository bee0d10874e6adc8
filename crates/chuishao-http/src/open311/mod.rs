//! Open311 GeoReport v2 at `/open311/v2/`. One entry point parses the path itself: axum 0.8
//! refuses `{id}.{format}` in one segment, real clients send `//`, and `/service/{code}` is
//! an alias of `/services/{code}`. Every answer is a bare JSON array (or object for a
//! definition and discovery) or its XML twin; every failure is the spec's error array.
//! Empty parameters count as absent; `api_key` comes from the query, the form body or
//! `Authorization: Bearer`. `POST requests` may carry `media` file parts (multipart): they go
//! through the residents' photo pipeline and are served back as the request's `media_url`.

mod xml;

use crate::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chuishao_app::residents::open311::{self as o311, Open311Error, is_english};
use chuishao_app::residents::photos::{CleanPhoto, MAX_PHOTO_BYTES, MAX_PHOTOS_PER_CASE, clean_all};
use serde::Serialize;
use serde_json::{Value, json};

/// The path prefix.
pub const PREFIX: &str = "/open311/v2";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Format {
    Json,
    Xml,
}

/// Request parameters: query first, then the form body; empty values dropped.
struct Params(Vec<(String, String)>);

impl Params {
    fn get(&self, name: &str) -> Option<String> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }
    fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
    }
}

fn parse_pairs(s: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(s)
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, v.trim().to_string()))
        .filter(|(_, v)| !v.is_empty())
        .collect()
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
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    render(status, format, "errors", "error", &json!([{"code": e.status, "description": e.description}]))
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

/// The single entry point for every Open311 path and method.
pub async fn entry(State(s): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let path = collapse(parts.uri.path());
    let rest = path.strip_prefix(PREFIX).unwrap_or("");
    let segments: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
    let mut params = parse_pairs(parts.uri.query().unwrap_or(""));
    // The format of errors before the path is understood: from the last segment if it says.
    let guess = segments.last().and_then(|l| split_format(l).ok()).map(|(_, f)| f).unwrap_or(Format::Json);
    let mut media = Vec::new();
    if parts.method == Method::POST {
        let content_type = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let mime = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        match mime.as_str() {
            "application/x-www-form-urlencoded" | "" => {
                let bytes: Bytes = match axum::body::to_bytes(body, crate::MAX_BODY_BYTES).await {
                    Ok(b) => b,
                    Err(_) => return error(guess, &too_large()),
                };
                params.extend(parse_pairs(std::str::from_utf8(&bytes).unwrap_or("")));
            }
            "multipart/form-data" => match multipart_fields(&parts, body).await {
                Ok((fields, photos)) => {
                    params.extend(fields);
                    media = photos;
                }
                Err(e) => return error(guess, &e),
            },
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
    let app = &s.app;
    let get = *method == Method::GET || *method == Method::HEAD;
    let post = *method == Method::POST;
    let api_key = || params.get("api_key").or_else(|| bearer(headers));
    let not_allowed = || (format, Open311Error { status: 405, description: format!("{method} not allowed here") });
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
            let services = app.open311_services(en).await.map_err(fail)?;
            Ok(render(StatusCode::OK, format, "services", "service", &services))
        }
        (2, Some("services" | "service")) => {
            if !get {
                return Err(not_allowed());
            }
            let d = app.open311_service_definition(name, en).await.map_err(fail)?;
            Ok(render(StatusCode::OK, format, "service_definition", "", &d))
        }
        (1, Some(_)) if name == "requests" => {
            if post {
                let actor = app.open311_actor(api_key().as_deref()).await.map_err(fail)?;
                let req = o311::NewRequest { media, ..new_request(params) };
                let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
                let created = app.open311_create(&actor, &req, key, en, &s.photo_dir).await.map_err(fail)?;
                Ok(render(StatusCode::CREATED, format, "service_requests", "request", &[created]))
            } else if get {
                let q = o311::RequestQuery {
                    service_request_id: params.get("service_request_id"),
                    service_code: params.get("service_code"),
                    start_date: params.get("start_date"),
                    end_date: params.get("end_date"),
                    status: params.get("status"),
                    page: params.get("page"),
                    page_size: params.get("page_size"),
                };
                let list: Vec<_> =
                    app.open311_requests(&q, en).await.map_err(fail)?.into_iter().map(absolute).collect();
                Ok(render(StatusCode::OK, format, "service_requests", "request", &list))
            } else {
                Err(not_allowed())
            }
        }
        (2, Some("requests")) => {
            if !get {
                return Err(not_allowed());
            }
            let r = absolute(app.open311_request(name, en).await.map_err(fail)?);
            Ok(render(StatusCode::OK, format, "service_requests", "request", &[r]))
        }
        (2, Some("tokens")) => {
            if !get {
                return Err(not_allowed());
            }
            let t = app.open311_token(name).await.map_err(fail)?;
            Ok(render(StatusCode::OK, format, "service_requests", "request", &[t]))
        }
        (1, Some(_)) if name == "servicerequestupdates" => {
            if post {
                let actor = app.open311_actor(api_key().as_deref()).await.map_err(fail)?;
                let u = o311::NewUpdate {
                    service_request_id: params.get("service_request_id"),
                    description: params.get("description"),
                    media_url: params.get("media_url"),
                    status: params.get("status"),
                    update_id: params.get("update_id"),
                };
                let done = app.open311_post_update(&actor, &u).await.map_err(fail)?;
                Ok(render(StatusCode::OK, format, "service_request_updates", "request_update", &[done]))
            } else if get {
                let list = app
                    .open311_updates(params.get("start_date").as_deref(), params.get("end_date").as_deref(), en)
                    .await
                    .map_err(fail)?;
                Ok(render(StatusCode::OK, format, "service_request_updates", "request_update", &list))
            } else {
                Err(not_allowed())
            }
        }
        _ => Err(fail(Open311Error::not_found(format!("no such Open311 resource: {}", segments.join("/"))))),
    }
}

/// `POST requests` fields. `attribute[CODE]` become attributes; `media_url` may repeat.
fn new_request(p: &Params) -> o311::NewRequest {
    let attributes =
        p.0.iter()
            .filter_map(|(k, v)| {
                k.strip_prefix("attribute[").and_then(|r| r.strip_suffix(']')).map(|code| (code.to_string(), v.clone()))
            })
            .collect();
    o311::NewRequest {
        service_code: p.get("service_code"),
        lat: p.get("lat"),
        long: p.get("long"),
        address_string: p.get("address_string"),
        description: p.get("description"),
        attributes,
        media_urls: p.all("media_url"),
        media: Vec::new(),
        first_name: p.get("first_name"),
        last_name: p.get("last_name"),
        phone: p.get("phone"),
    }
}

fn too_large() -> Open311Error {
    Open311Error {
        status: 413,
        description: format!(
            "request body too large: at most {MAX_PHOTOS_PER_CASE} media files of {} MB each",
            MAX_PHOTO_BYTES / (1024 * 1024)
        ),
    }
}

/// A multipart body: its text fields, and its `media` file parts cleaned by the photo
/// pipeline (recognised by content, re-encoded without metadata). Any bad file refuses all.
async fn multipart_fields(
    parts: &axum::http::request::Parts,
    body: Body,
) -> Result<(Vec<(String, String)>, Vec<CleanPhoto>), Open311Error> {
    use axum::extract::FromRequest;
    // The original parts carry the route's body limit.
    let req = Request::from_parts(parts.clone(), body);
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            Open311Error::bad_request(format!("unreadable multipart body: {}", e.body_text()))
        }
    };
    let mut mp = axum::extract::Multipart::from_request(req, &())
        .await
        .map_err(|e| Open311Error::bad_request(format!("unreadable multipart body: {}", e.body_text())))?;
    let mut out = Vec::new();
    let mut files: Vec<Bytes> = Vec::new();
    while let Some(field) = mp.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or("").to_string();
        let is_file = field.file_name().is_some();
        let data = field.bytes().await.map_err(unreadable)?;
        if name == "media" {
            // An empty part is a form sent without a file chosen.
            if !data.is_empty() {
                files.push(data);
            }
        } else if is_file {
            return Err(Open311Error::bad_request(format!("{name}: only media may carry a file")));
        } else {
            let text = String::from_utf8_lossy(&data).trim().to_string();
            if !text.is_empty() {
                out.push((name, text));
            }
        }
    }
    let photos = clean_all(files).await.map_err(Open311Error::from)?;
    Ok((out, photos))
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
