//! The report page's map: the district's grids drawn as a tappable image. Without script, a
//! tap submits the form through `<input type="image" name="map">` and the pixel becomes a
//! point here; with script, report.js does the same sum in place.

use super::Fields;
use crate::AppState;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The tappable map: the image, and its frame for report.js.
pub(super) struct MapView {
    pub(super) src: String,
    pub(super) width: String,
    pub(super) height: String,
    pub(super) min_lon: String,
    pub(super) max_lat: String,
    pub(super) kx: String,
    pub(super) ky: String,
    /// The chosen point, as typed or tapped.
    pub(super) chosen: Option<String>,
}

/// The point typed in the form, if it reads as one.
fn typed_point(f: &Fields) -> Option<(f64, f64)> {
    let num = |v: &str| v.trim().parse::<f64>().ok().filter(|x| x.is_finite());
    Some((num(&f.lon)?, num(&f.lat)?))
}

pub(super) async fn map_view(s: &AppState, f: &Fields) -> Option<MapView> {
    let frame = s.app.residents().report_map_frame().await.ok().flatten()?;
    let point = typed_point(f).filter(|&(lon, lat)| {
        let (x, y) = frame.xy(lon, lat);
        frame.contains_px(x, y)
    });
    Some(MapView {
        src: match point {
            Some((lon, lat)) => format!("/report/map.svg?lat={lat:.6}&lon={lon:.6}"),
            None => "/report/map.svg".into(),
        },
        width: format!("{:.0}", frame.width),
        height: format!("{:.0}", frame.height),
        min_lon: frame.min[0].to_string(),
        max_lat: frame.max_lat.to_string(),
        kx: frame.kx.to_string(),
        ky: frame.ky.to_string(),
        chosen: point.map(|(lon, lat)| format!("{lat:.6}, {lon:.6}")),
    })
}

/// A submission made by tapping the map: `Some(Some(fields with the tapped point))`, or
/// `Some(None)` for a pixel off the map. `None` when the map was not tapped — including the
/// (0, 0) a browser sends when Enter submits through the image as the form's first button.
pub(super) async fn map_pick(s: &AppState, f: &Fields) -> Option<Option<Fields>> {
    let (x, y) = (f.map_x.trim().parse::<f64>().ok()?, f.map_y.trim().parse::<f64>().ok()?);
    if x == 0.0 && y == 0.0 {
        return None;
    }
    let Some(frame) = s.app.residents().report_map_frame().await.ok().flatten() else { return Some(None) };
    if !x.is_finite() || !y.is_finite() || !frame.contains_px(x, y) {
        return Some(None);
    }
    let (lon, lat) = frame.lon_lat(x, y);
    Some(Some(Fields {
        lat: format!("{lat:.6}"),
        lon: format!("{lon:.6}"),
        map_x: String::new(),
        map_y: String::new(),
        ..f.clone()
    }))
}

/// `GET /report/map.svg?lat=&lon=`: the district's grids to tap on, with a marker at the
/// point if given; 404 without geometry.
pub(super) async fn map_svg(
    State(s): State<AppState>,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    let num = |k: &str| q.get(k).and_then(|v| v.trim().parse::<f64>().ok()).filter(|f| f.is_finite());
    let marker = num("lon").zip(num("lat"));
    match s.app.residents().report_map_svg(marker).await {
        Ok(Some(svg)) => (
            [
                (header::CONTENT_TYPE, "image/svg+xml; charset=utf-8"),
                (header::CACHE_CONTROL, "public, max-age=300"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            svg,
        )
            .into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!(error = %e, "report map failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
