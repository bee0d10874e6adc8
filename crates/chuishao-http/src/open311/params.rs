//! Open311's parameters: query and form pairs (empty values count as absent), W3C dates,
//! numbers, comma lists, and the checks that turn them into the application's typed inputs.
//! Every refusal here is a 400 naming the parameter.

use super::error::Open311Error;
use chuishao_app::residents::open311::{self as o311, MAX_PAGE_SIZE};
use chuishao_domain::cases::CaseStatus;
use chuishao_domain::ids::TrackingCode;

/// Request parameters: query first, then the form body; empty values dropped.
pub struct Params(pub Vec<(String, String)>);

impl Params {
    pub fn get(&self, name: &str) -> Option<String> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
    }

    /// A parameter that must be present.
    fn required(&self, name: &str) -> Result<String, Open311Error> {
        self.get(name).ok_or_else(|| Open311Error::bad_request(format!("{name} is required")))
    }
}

/// `a=1&b=` as pairs, values trimmed, empty ones dropped.
pub fn parse_pairs(s: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(s)
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, v.trim().to_string()))
        .filter(|(_, v)| !v.is_empty())
        .collect()
}

/// Parses a W3C date-time (`2026-11-29T08:00:00+08:00`, `…Z`) or a bare date (`2026-11-29`,
/// midnight China time).
pub fn parse_w3c(s: &str) -> Option<i64> {
    if let Some(ms) = chuishao_app::time::parse_rfc3339(s) {
        return Some(ms);
    }
    let mut parts = s.trim().splitn(3, '-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    let digits =
        |s: &str, n: std::ops::RangeInclusive<usize>| n.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(y, 4..=4) && digits(m, 1..=2) && digits(d, 1..=2)) {
        return None;
    }
    chuishao_app::time::parse_rfc3339(&format!("{y}-{m:0>2}-{d:0>2}T00:00:00+08:00"))
}

/// An optional date parameter; a present but unreadable one is a 400.
fn date_param(p: &Params, name: &str) -> Result<Option<i64>, Open311Error> {
    match p.get(name) {
        None => Ok(None),
        Some(s) => {
            parse_w3c(&s).map(Some).ok_or_else(|| Open311Error::bad_request(format!("{name}: not a W3C date-time")))
        }
    }
}

fn coordinate(p: &Params, name: &str) -> Result<Option<f64>, Open311Error> {
    match p.get(name) {
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

fn number(p: &Params, name: &str, max: i64) -> Result<Option<i64>, Open311Error> {
    match p.get(name) {
        None => Ok(None),
        Some(s) => match s.trim().parse::<i64>() {
            Ok(n) if (1..=max).contains(&n) => Ok(Some(n)),
            _ => Err(Open311Error::bad_request(format!("{name}: a whole number from 1 to {max}"))),
        },
    }
}

fn list(p: &Params, name: &str) -> Vec<String> {
    p.get(name).unwrap_or_default().split(',').map(str::trim).filter(|v| !v.is_empty()).map(String::from).collect()
}

/// `POST requests`: `attribute[CODE]` become attributes; `media_url` may repeat.
pub fn new_request(p: &Params) -> Result<o311::NewRequest, Open311Error> {
    let service_code = p.required("service_code")?;
    let attributes =
        p.0.iter()
            .filter_map(|(k, v)| {
                k.strip_prefix("attribute[").and_then(|r| r.strip_suffix(']')).map(|code| (code.to_string(), v.clone()))
            })
            .collect();
    Ok(o311::NewRequest {
        service_code,
        lat: coordinate(p, "lat")?,
        long: coordinate(p, "long")?,
        address_string: p.get("address_string"),
        description: p.get("description"),
        attributes,
        media_urls: p.all("media_url"),
        media: Vec::new(),
        first_name: p.get("first_name"),
        last_name: p.get("last_name"),
        phone: p.get("phone"),
    })
}

/// `GET requests`: a `service_request_id` list overrides every other filter; otherwise
/// `service_code` list, `status` (open/closed), `start_date`/`end_date`, `page`/`page_size`.
pub fn request_filter(p: &Params) -> Result<o311::RequestFilter, Open311Error> {
    let page = number(p, "page", 1_000_000)?.unwrap_or(1);
    let page_size = number(p, "page_size", MAX_PAGE_SIZE)?.unwrap_or(MAX_PAGE_SIZE);
    let mut f = o311::RequestFilter { page, page_size, ..Default::default() };
    let ids = list(p, "service_request_id");
    if !ids.is_empty() {
        for id in &ids {
            match TrackingCode::parse(id) {
                Some(c) => f.tracking_codes.push(c.as_str().to_string()),
                None => return Err(Open311Error::bad_request(format!("service_request_id {id} is not valid"))),
            }
        }
        return Ok(f);
    }
    f.service_codes = list(p, "service_code");
    for s in list(p, "status") {
        let open = match s.to_ascii_lowercase().as_str() {
            "open" => true,
            "closed" => false,
            _ => return Err(Open311Error::bad_request(format!("status {s}: use open or closed"))),
        };
        f.statuses.extend(CaseStatus::ALL.iter().copied().filter(|st| st.is_open() == open));
    }
    f.end = date_param(p, "end_date")?;
    f.start = date_param(p, "start_date")?;
    if let (Some(s), Some(e)) = (f.start, f.end)
        && s > e
    {
        return Err(Open311Error::bad_request("start_date is after end_date"));
    }
    Ok(f)
}

/// `GET servicerequestupdates`: the window's bounds.
pub fn update_window(p: &Params) -> Result<(Option<i64>, Option<i64>), Open311Error> {
    Ok((date_param(p, "start_date")?, date_param(p, "end_date")?))
}

/// `POST servicerequestupdates`.
pub fn new_update(p: &Params) -> Result<o311::NewUpdate, Open311Error> {
    Ok(o311::NewUpdate {
        service_request_id: p.required("service_request_id")?,
        description: p.required("description")?,
        media_url: p.get("media_url"),
        status: p.get("status"),
        update_id: p.get("update_id"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_in_w3c_forms() {
        assert_eq!(parse_w3c("2026-11-29T00:00:00+08:00"), parse_w3c("2026-11-29"));
        assert_eq!(parse_w3c("2026-11-28T16:00:00Z"), parse_w3c("2026-11-29"));
        assert_eq!(parse_w3c("29/11/2026"), None);
        assert!(parse_w3c("2026-11-29").is_some());
    }

    #[test]
    fn parameters_are_checked_before_the_application_sees_them() {
        let p = |q: &str| Params(parse_pairs(q));
        assert_eq!(new_request(&p("lat=1")).err().map(|e| e.status.as_u16()), Some(400));
        assert!(new_request(&p("service_code=E0101&lat=north")).is_err());
        let r = new_request(&p("service_code=E0101&lat=39.9&long=116.4&attribute[HAZARD]=yes"));
        assert_eq!(r.map(|r| (r.lat, r.attributes.len())).ok(), Some((Some(39.9), 1)));
        assert!(request_filter(&p("page=0")).is_err());
        assert!(request_filter(&p("status=pending")).is_err());
        assert!(request_filter(&p("start_date=2026-11-30&end_date=2026-11-29")).is_err());
        let f = request_filter(&p("status=closed&page_size=5")).ok().unwrap_or_default();
        assert!(f.statuses.iter().all(|s| !s.is_open()) && f.page_size == 5);
        assert!(new_update(&p("service_request_id=X")).is_err());
    }
}
