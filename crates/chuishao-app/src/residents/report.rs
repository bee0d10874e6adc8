//! Reporting from the web form: a resident, unauthenticated, files a case through intake as
//! the residents' channel (source `web`). The form token is the idempotency key, so a double
//! submit files once and shows the same tracking code again.

use crate::cases::{NewCaseInput, ReporterInput, SubmitOutcome};
use crate::residents::Residents;
use crate::{AppError, Result};
use chuishao_geo::Level;
use chuishao_geo::svg::{Frame, render_picker};

/// What the report form sends (blank fields already dropped).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportForm {
    pub category_code: Option<String>,
    pub description: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub address: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
    /// Drop name and phone even if typed.
    pub anonymous: bool,
}

impl Residents<'_> {
    /// Files a resident's report. `form_token` (from the page) makes a resubmission a replay.
    pub async fn resident_report(&self, form: &ReportForm, form_token: &str) -> Result<SubmitOutcome> {
        if form_token.len() != 32 || !form_token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(AppError::invalid("form_token", "reload the form and try again"));
        }
        let reporter = if form.anonymous || (form.name.is_none() && form.phone.is_none()) {
            None
        } else {
            Some(ReporterInput { name: form.name.clone(), phone: form.phone.clone() })
        };
        let input = NewCaseInput {
            source: Some("web".into()),
            category_code: form.category_code.clone(),
            description: form.description.clone(),
            lat: form.lat,
            lon: form.lon,
            address: form.address.clone(),
            reporter,
            ..Default::default()
        };
        let actor = self.channel_actor().await?;
        self.cases().submit_case(&actor, &input, Some(&format!("web-{form_token}"))).await
    }

    /// Whether a case has this tracking code (the lookup form goes to its page or says no).
    pub async fn tracking_code_known(&self, code: &chuishao_domain::ids::TrackingCode) -> Result<bool> {
        Ok(self.store.case_by_tracking_code(code.as_str()).await?.is_some())
    }
}

/// Width of the report page's map in pixels: it is shown at exactly this size (a no-script
/// tap sends pixels of the image as drawn), narrow enough for a phone.
pub const REPORT_MAP_WIDTH: f64 = 300.0;

impl Residents<'_> {
    /// The frame of the report page's map: the district's outline (or, without one, all
    /// grids) with a small margin. `None` when no geometry is loaded.
    pub async fn report_map_frame(&self) -> Result<Option<Frame>> {
        let ix = self.grids().geo_index().await?;
        let district = ix.places().iter().position(|p| p.level == Level::District);
        let bounds = match district.and_then(|i| u32::try_from(i).ok()).and_then(|i| ix.shape(i).bbox()) {
            Some(bb) => Some(([bb.min().x, bb.min().y], [bb.max().x, bb.max().y])),
            None => (0..ix.places().len())
                .filter_map(|i| u32::try_from(i).ok())
                .filter(|&i| ix.place(i).level == Level::Grid)
                .filter_map(|i| ix.shape(i).bbox())
                .fold(None, |acc: Option<([f64; 2], [f64; 2])>, bb| {
                    let (lo, hi) = acc.unwrap_or(([f64::MAX; 2], [f64::MIN; 2]));
                    Some((
                        [lo[0].min(bb.min().x), lo[1].min(bb.min().y)],
                        [hi[0].max(bb.max().x), hi[1].max(bb.max().y)],
                    ))
                }),
        };
        Ok(bounds.map(|(min, max)| {
            let (dx, dy) = ((max[0] - min[0]) * 0.02, (max[1] - min[1]) * 0.02);
            Frame::fit([min[0] - dx, min[1] - dy], [max[0] + dx, max[1] + dy], REPORT_MAP_WIDTH)
        }))
    }

    /// The report page's map as SVG, with a marker at `marker` (lon, lat) if given.
    pub async fn report_map_svg(&self, marker: Option<(f64, f64)>) -> Result<Option<String>> {
        let Some(frame) = self.report_map_frame().await? else { return Ok(None) };
        let ix = self.grids().geo_index().await?;
        let max = frame.lon_lat(frame.width, frame.height);
        let (min, max) = ([frame.min[0], max.1], [max.0, frame.max_lat]);
        let areas: Vec<_> =
            ix.in_view(Level::Grid, min, max).into_iter().map(|g| (ix.place(g).name.as_str(), ix.shape(g))).collect();
        let streets: Vec<_> =
            ix.in_view(Level::Street, min, max).into_iter().map(|s| (ix.place(s).name.as_str(), ix.shape(s))).collect();
        // One image serves both languages (it is cached by URL), so its title carries both.
        let title = chuishao_i18n::text("map.pick", &[]);
        let title = format!("{} {}", title.zh, title.en);
        Ok(Some(render_picker(&frame, &title, &areas, &streets, marker)))
    }
}
