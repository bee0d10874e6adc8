//! The map as SVG, drawn on the server from our own geometry (no tile server on an intranet):
//! grids shaded by a metric, streets, case pins, a title and a legend. Pure: the caller picks
//! what is in view (an R-tree query) and the values; this module only draws.

use crate::Shape;
use std::fmt::Write;

const METRES_PER_DEGREE: f64 = 111_320.0;
/// Five classes, light to dark.
const RAMP: [&str; 5] = ["#fff5d6", "#fdd49e", "#fc8d59", "#e34a33", "#b30000"];

/// A grid to draw.
#[derive(Debug, Clone)]
pub struct MapArea<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub shape: &'a Shape,
    /// The metric's value; `None` draws the grid grey ("no data").
    pub value: Option<f64>,
}

/// A case pin.
#[derive(Debug, Clone, PartialEq)]
pub struct MapPin {
    pub lon: f64,
    pub lat: f64,
    pub label: String,
    pub overdue: bool,
}

/// Everything to draw, in WGS-84.
#[derive(Debug, Clone)]
pub struct MapSpec<'a> {
    pub title: String,
    pub metric_label: String,
    /// The legend's word for grids without a value (the caller's language).
    pub no_data_label: String,
    /// View: min lon/lat, max lon/lat.
    pub min: [f64; 2],
    pub max: [f64; 2],
    pub width_px: f64,
    pub outline: Option<&'a Shape>,
    pub areas: Vec<MapArea<'a>>,
    pub streets: Vec<(&'a str, &'a Shape)>,
    pub pins: Vec<MapPin>,
}

/// Escapes text for XML content and attributes.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// The class (0–4) of `v` on a scale from 0 to `max`.
pub fn class_of(v: f64, max: f64) -> usize {
    if max <= 0.0 || v <= 0.0 {
        return 0;
    }
    (((v / max) * 5.0).ceil() as usize).clamp(1, 5) - 1
}

/// A view of the map on a pixel grid: equirectangular at the view's middle latitude (true
/// distances within a district), north up, the view's west–north corner at pixel (0, 0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    /// West and south edges of the view.
    pub min: [f64; 2],
    /// North edge of the view.
    pub max_lat: f64,
    /// Pixels per degree of longitude and of latitude.
    pub kx: f64,
    pub ky: f64,
    /// Size of the map in pixels.
    pub width: f64,
    pub height: f64,
}

impl Frame {
    /// The frame that shows `min`..`max` (lon/lat) `width_px` wide.
    pub fn fit(min: [f64; 2], max: [f64; 2], width_px: f64) -> Frame {
        let mid_lat = (min[1] + max[1]) / 2.0;
        let metres_w = (max[0] - min[0]).max(1e-9) * mid_lat.to_radians().cos() * METRES_PER_DEGREE;
        let metres_h = (max[1] - min[1]).max(1e-9) * METRES_PER_DEGREE;
        let px_per_m = width_px / metres_w;
        Frame {
            min,
            max_lat: max[1],
            kx: px_per_m * mid_lat.to_radians().cos() * METRES_PER_DEGREE,
            ky: px_per_m * METRES_PER_DEGREE,
            width: width_px,
            height: (metres_h * px_per_m).ceil(),
        }
    }

    /// The pixel of a point.
    pub fn xy(&self, lon: f64, lat: f64) -> (f64, f64) {
        ((lon - self.min[0]) * self.kx, (self.max_lat - lat) * self.ky)
    }

    /// The point under a pixel (the inverse of [`Frame::xy`]).
    pub fn lon_lat(&self, x: f64, y: f64) -> (f64, f64) {
        (self.min[0] + x / self.kx, self.max_lat - y / self.ky)
    }

    /// Whether a pixel lies on the map.
    pub fn contains_px(&self, x: f64, y: f64) -> bool {
        (0.0..=self.width).contains(&x) && (0.0..=self.height).contains(&y)
    }
}

fn path_data(p: &Frame, shape: &Shape) -> String {
    let mut d = String::new();
    let mut ring = |coords: &[geo::Coord<f64>], close: bool| {
        for (i, c) in coords.iter().enumerate() {
            let (x, y) = p.xy(c.x, c.y);
            let _ = write!(d, "{}{:.1} {:.1}", if i == 0 { "M" } else { "L" }, x, y);
        }
        if close {
            d.push('Z');
        }
    };
    match shape {
        Shape::Area(m) => {
            for poly in &m.0 {
                ring(&poly.exterior().0, true);
                for hole in poly.interiors() {
                    ring(&hole.0, true);
                }
            }
        }
        Shape::Line(l) => {
            for line in &l.0 {
                ring(&line.0, false);
            }
        }
    }
    d
}

/// Renders the map.
pub fn render(spec: &MapSpec<'_>) -> String {
    let proj = Frame::fit(spec.min, spec.max, spec.width_px.max(320.0));
    let map_h = proj.height;
    let header = 36.0;
    let legend = 40.0;
    let w = spec.width_px.max(320.0);
    let h = map_h + header + legend;
    let max = spec.areas.iter().filter_map(|a| a.value).fold(0.0, f64::max);
    let mut s = String::with_capacity(1024 + spec.areas.len() * 200);
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" lang="zh-CN" width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.0} {h:.0}" font-family="sans-serif">"#
    );
    let _ = write!(s, "<title>{}</title>", xml_escape(&spec.title));
    let _ = write!(
        s,
        r##"<text x="8" y="24" font-size="16" fill="#222">{} · {}</text>"##,
        xml_escape(&spec.title),
        xml_escape(&spec.metric_label)
    );
    let _ = write!(
        s,
        r##"<g transform="translate(0 {header})"><rect width="{w:.0}" height="{map_h:.0}" fill="#f4f6f8"/>"##
    );
    s.push_str(r##"<g class="grids" stroke="#666" stroke-width="0.6">"##);
    for a in &spec.areas {
        let (fill, value) = match a.value {
            Some(v) => (RAMP[class_of(v, max)], format!("{v:.0}")),
            None => ("#d9d9d9", "—".to_string()),
        };
        let _ = write!(
            s,
            r#"<path d="{}" fill="{fill}" data-code="{}"><title>{} {} · {}</title></path>"#,
            path_data(&proj, a.shape),
            xml_escape(a.code),
            xml_escape(a.name),
            xml_escape(a.code),
            value
        );
    }
    s.push_str("</g>");
    if let Some(outline) = spec.outline {
        let _ =
            write!(s, r##"<path d="{}" fill="none" stroke="#1f4e79" stroke-width="2"/>"##, path_data(&proj, outline));
    }
    s.push_str(r##"<g class="streets" fill="none" stroke="#4a90d9" stroke-width="2.5" stroke-linecap="round">"##);
    for (name, shape) in &spec.streets {
        let _ = write!(s, r#"<path d="{}"><title>{}</title></path>"#, path_data(&proj, shape), xml_escape(name));
    }
    s.push_str("</g>");
    s.push_str(r##"<g class="pins" stroke="#fff" stroke-width="1">"##);
    for p in &spec.pins {
        let (x, y) = proj.xy(p.lon, p.lat);
        let fill = if p.overdue { "#b30000" } else { "#1f4e79" };
        let _ = write!(
            s,
            r#"<circle cx="{x:.1}" cy="{y:.1}" r="4" fill="{fill}"><title>{}</title></circle>"#,
            xml_escape(&p.label)
        );
    }
    s.push_str("</g></g>");
    // Legend: the five classes with their upper bounds, then "no data".
    let ly = header + map_h + 12.0;
    let mut lx = 8.0;
    for (i, colour) in RAMP.iter().enumerate() {
        let upper = max * (i + 1) as f64 / 5.0;
        let _ = write!(
            s,
            r##"<rect x="{lx:.0}" y="{ly:.0}" width="18" height="14" fill="{colour}" stroke="#666" stroke-width="0.5"/><text x="{:.0}" y="{:.0}" font-size="12" fill="#222">≤{upper:.0}</text>"##,
            lx + 22.0,
            ly + 12.0
        );
        lx += ((w - 16.0) / 6.0).min(80.0);
    }
    let _ = write!(
        s,
        r##"<rect x="{lx:.0}" y="{ly:.0}" width="18" height="14" fill="#d9d9d9" stroke="#666" stroke-width="0.5"/><text x="{:.0}" y="{:.0}" font-size="12" fill="#222">{}</text>"##,
        lx + 22.0,
        ly + 12.0,
        xml_escape(&spec.no_data_label)
    );
    s.push_str("</svg>");
    s
}

/// A small map without title or legend (the case desk's snippet): the areas in view drawn
/// plain, `spec.outline` emphasised, streets and pins on top.
pub fn render_snippet(spec: &MapSpec<'_>) -> String {
    let proj = Frame::fit(spec.min, spec.max, spec.width_px.max(120.0));
    let (w, h) = (proj.width, proj.height.max(1.0));
    let mut s = String::with_capacity(1024 + spec.areas.len() * 200);
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.0} {h:.0}" role="img"><title>{}</title><rect width="{w:.0}" height="{h:.0}" fill="#f4f6f8"/>"##,
        xml_escape(&spec.title)
    );
    s.push_str(r##"<g fill="#fff" stroke="#999" stroke-width="0.6">"##);
    for a in &spec.areas {
        let _ = write!(
            s,
            r#"<path d="{}" data-code="{}"><title>{}</title></path>"#,
            path_data(&proj, a.shape),
            xml_escape(a.code),
            xml_escape(a.name)
        );
    }
    s.push_str("</g>");
    if let Some(outline) = spec.outline {
        let _ = write!(
            s,
            r##"<path class="outline" d="{}" fill="#1f4e79" fill-opacity="0.08" stroke="#1f4e79" stroke-width="2"/>"##,
            path_data(&proj, outline)
        );
    }
    s.push_str(r##"<g fill="none" stroke="#4a90d9" stroke-width="2" stroke-linecap="round">"##);
    for (name, shape) in &spec.streets {
        let _ = write!(s, r#"<path d="{}"><title>{}</title></path>"#, path_data(&proj, shape), xml_escape(name));
    }
    s.push_str("</g>");
    for p in &spec.pins {
        let (x, y) = proj.xy(p.lon, p.lat);
        let fill = if p.overdue { "#b30000" } else { "#d9480f" };
        let _ = write!(
            s,
            r##"<circle class="pin" cx="{x:.1}" cy="{y:.1}" r="6" fill="{fill}" stroke="#fff" stroke-width="2"><title>{}</title></circle>"##,
            xml_escape(&p.label)
        );
    }
    s.push_str("</svg>");
    s
}

/// A plain map to pick a point on (the report page): grids, streets, and a marker at the
/// chosen point. Exactly `frame.width` × `frame.height` pixels, so a tap's pixel is
/// [`Frame::lon_lat`]'s input.
pub fn render_picker(
    frame: &Frame,
    title: &str,
    areas: &[(&str, &Shape)],
    streets: &[(&str, &Shape)],
    marker: Option<(f64, f64)>,
) -> String {
    let (w, h) = (frame.width, frame.height);
    let mut s = String::with_capacity(1024 + areas.len() * 200);
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.0} {h:.0}"><title>{}</title><rect width="{w:.0}" height="{h:.0}" fill="#f4f6f8"/>"##,
        xml_escape(title)
    );
    s.push_str(r##"<g fill="#e3eedb" stroke="#7a8b6f" stroke-width="0.6">"##);
    for (name, shape) in areas {
        let _ = write!(s, r#"<path d="{}"><title>{}</title></path>"#, path_data(frame, shape), xml_escape(name));
    }
    s.push_str(r##"</g><g fill="none" stroke="#4a90d9" stroke-width="2" stroke-linecap="round">"##);
    for (name, shape) in streets {
        let _ = write!(s, r#"<path d="{}"><title>{}</title></path>"#, path_data(frame, shape), xml_escape(name));
    }
    s.push_str("</g>");
    if let Some((lon, lat)) = marker {
        let (x, y) = frame.xy(lon, lat);
        let _ = write!(
            s,
            r##"<g class="marker"><circle cx="{x:.1}" cy="{y:.1}" r="9" fill="none" stroke="#b30000" stroke-width="2"/><circle cx="{x:.1}" cy="{y:.1}" r="3" fill="#b30000"/></g>"##
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::test_shapes::sq;
    use geo::{LineString, MultiLineString};

    proptest::proptest! {
        /// A tapped pixel, turned into a point and back, is the same pixel: the report page
        /// can trust the point it derives from `map.x`/`map.y`.
        #[test]
        fn pixel_to_point_and_back_is_the_same_pixel(
            lon in 73.0f64..135.0, lat in 18.0f64..53.0,
            span_lon in 0.001f64..0.5, span_lat in 0.001f64..0.5,
            width in 200.0f64..1200.0, fx in 0.0f64..=1.0, fy in 0.0f64..=1.0,
        ) {
            let f = Frame::fit([lon, lat], [lon + span_lon, lat + span_lat], width);
            let (x, y) = (fx * f.width, fy * f.height);
            let (plon, plat) = f.lon_lat(x, y);
            let (bx, by) = f.xy(plon, plat);
            proptest::prop_assert!((bx - x).abs() < 1e-6 && (by - y).abs() < 1e-6, "{x},{y} → {bx},{by}");
            // Within the frame, the point is within the view.
            proptest::prop_assert!(plon >= lon - 1e-9 && plat <= lat + span_lat + 1e-9);
            proptest::prop_assert!(f.contains_px(x, y));
        }
    }

    #[test]
    fn the_picker_marks_the_chosen_point() {
        let a = sq(116.0, 39.0, 116.01, 39.01);
        let f = Frame::fit([116.0, 39.0], [116.01, 39.01], 300.0);
        assert_eq!(f.xy(116.0, 39.01), (0.0, 0.0), "the north-west corner is the origin");
        let svg = render_picker(&f, "地图 <map>", &[("一网格", &a)], &[], Some((116.005, 39.005)));
        assert!(svg.contains(r#"width="300""#) && svg.contains("地图 &lt;map&gt;"));
        assert!(svg.contains(r#"<circle cx="150.0""#), "{svg}");
        assert!(!render_picker(&f, "", &[], &[], None).contains("marker"));
    }

    #[test]
    fn classes_split_the_range_in_five() {
        assert_eq!(class_of(0.0, 10.0), 0);
        assert_eq!(class_of(1.0, 10.0), 0);
        assert_eq!(class_of(2.1, 10.0), 1);
        assert_eq!(class_of(10.0, 10.0), 4);
        assert_eq!(class_of(5.0, 0.0), 0);
    }

    #[test]
    fn renders_areas_streets_pins_and_escapes_text() {
        let a = sq(116.0, 39.0, 116.01, 39.01);
        let b = sq(116.01, 39.0, 116.02, 39.01);
        let street = Shape::Line(MultiLineString(vec![LineString::from(vec![(116.0, 39.005), (116.02, 39.005)])]));
        let spec = MapSpec {
            title: "樱花园社区 <A&B>".into(),
            metric_label: "未结案件 open cases".into(),
            no_data_label: "无数据 no data".into(),
            min: [116.0, 39.0],
            max: [116.02, 39.01],
            width_px: 400.0,
            outline: Some(&a),
            areas: vec![
                MapArea { code: "001", name: "一网格", shape: &a, value: Some(10.0) },
                MapArea { code: "002", name: "二网格", shape: &b, value: None },
            ],
            streets: vec![("樱花东街", &street)],
            pins: vec![MapPin { lon: 116.005, lat: 39.005, label: "A1B2C3".into(), overdue: true }],
        };
        let svg = render(&spec);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("樱花园社区 &lt;A&amp;B&gt;"));
        assert_eq!(svg.matches("data-code=").count(), 2);
        assert!(svg.contains(r##"fill="#b30000" data-code="001""##), "the maximum is the darkest class");
        assert!(svg.contains(r##"fill="#d9d9d9" data-code="002""##));
        assert!(svg.contains("樱花东街"));
        assert!(svg.contains("<circle cx=\"100.0\""), "the pin sits a quarter across: {svg}");
        // West edge maps to x = 0; the map is 400 px wide.
        assert!(svg.contains("M0.0 "));

        // The snippet: same geometry, the outline emphasised, no title bar and no legend.
        let snippet = render_snippet(&MapSpec { width_px: 200.0, ..spec });
        assert!(snippet.starts_with("<svg") && snippet.ends_with("</svg>"));
        assert!(snippet.contains("width=\"200\" height=\"129\""), "metres keep their aspect at 39°N: {snippet}");
        assert_eq!(snippet.matches("data-code=").count(), 2);
        assert_eq!(snippet.matches("class=\"outline\"").count(), 1);
        assert!(snippet.contains("cx=\"50.0\""), "the pin sits a quarter across: {snippet}");
        assert!(!snippet.contains("no data") && !snippet.contains("≤"), "no legend");
    }
}
