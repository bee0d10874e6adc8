//! The duplicate hint: while reporting, open cases of the same category within a radius
//! (50 m by default) from the last 30 days, so a resident can say "me too" instead of filing
//! again. A "me too" is an event on the `me_too` stream of the case (chained in the audit
//! log) and is counted on the tracking page.

use crate::cases::status_words;
use crate::residents::Residents;
use crate::time::rfc3339;
use crate::{AppError, Result};
use chuishao_domain::cases::CaseStatus;
use chuishao_domain::ids::TrackingCode;
use serde::Serialize;

/// Default radius of the hint, in metres.
pub const DEFAULT_RADIUS_M: f64 = 50.0;
/// How far back the hint looks, in days.
pub const WINDOW_DAYS: i64 = 30;
/// The event stream of "me too" confirmations.
pub const ME_TOO_STREAM: &str = chuishao_domain::record::StreamKind::MeToo.as_str();

/// One nearby open case, as the public may see it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NearbyCase {
    pub tracking_code: String,
    pub status: &'static str,
    pub status_zh: &'static str,
    pub status_en: &'static str,
    pub distance_m: f64,
    pub created_at: String,
    pub me_too: i64,
}

/// Great-circle distance in metres (haversine, mean Earth radius).
pub fn distance_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let r = 6_371_008.8;
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * r * a.sqrt().asin()
}

impl Residents<'_> {
    /// Open cases of `category_code` within `radius_m` of a point from the last 30 days,
    /// nearest first.
    pub async fn nearby_open_cases(
        &self,
        category_code: &str,
        lat: f64,
        lon: f64,
        radius_m: f64,
    ) -> Result<Vec<NearbyCase>> {
        if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) || !(1.0..=1000.0).contains(&radius_m) {
            return Err(AppError::invalid("location", "coordinates out of range"));
        }
        let dlat = radius_m / 111_320.0;
        let dlon = radius_m / (111_320.0 * lat.to_radians().cos().abs().max(0.01));
        let open: Vec<&str> = CaseStatus::ALL.iter().filter(|s| s.is_open()).map(|s| s.as_str()).collect();
        let since = self.now_ms() - WINDOW_DAYS * 24 * 3600 * 1000;
        let rows = self
            .store
            .open_cases_in_box(category_code, (lat - dlat, lat + dlat, lon - dlon, lon + dlon), since, &open)
            .await?;
        let mut out = Vec::new();
        for r in rows {
            let (Some(clat), Some(clon)) = (r.lat, r.lon) else { continue };
            let d = distance_m(lat, lon, clat, clon);
            if d > radius_m {
                continue;
            }
            let status = CaseStatus::parse(&r.status).ok_or_else(|| AppError::Internal("status".into()))?;
            let (status_zh, status_en) = status_words(status);
            out.push(NearbyCase {
                me_too: self.store.stream_event_count(ME_TOO_STREAM, r.id).await?,
                tracking_code: r.tracking_code,
                status: status.as_str(),
                status_zh,
                status_en,
                distance_m: d.round(),
                created_at: rfc3339(r.created_at),
            });
        }
        out.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m));
        Ok(out)
    }

    /// Records a "me too" on an open case; returns the new count.
    pub async fn me_too(&self, tracking_code: &str) -> Result<i64> {
        let code = TrackingCode::parse(tracking_code).ok_or(AppError::NotFound("case"))?;
        let row = self.store.case_by_tracking_code(code.as_str()).await?.ok_or(AppError::NotFound("case"))?;
        let status = CaseStatus::parse(&row.status).ok_or_else(|| AppError::Internal("status".into()))?;
        if !status.is_open() {
            return Err(AppError::invalid("case", "this case is no longer open"));
        }
        let actor = self.channel_actor().await?;
        let mut tx = self.store.begin().await?;
        let me_too = chuishao_domain::record::StreamKind::MeToo;
        let (actor_id, now) = (Some(actor.user_id.0), self.now_ms());
        crate::record::log_fact(&mut tx, me_too, row.id, 0, "me_too", "{}".into(), actor_id, now).await?;
        tx.commit().await?;
        Ok(self.store.stream_event_count(ME_TOO_STREAM, row.id).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_are_metres() {
        assert!(distance_m(39.9745, 116.3961, 39.9745, 116.3961) < 0.001);
        let d = distance_m(39.9745, 116.3961, 39.9749, 116.3961);
        assert!((d - 44.5).abs() < 1.0, "{d}");
        let d = distance_m(39.9745, 116.3961, 39.9745, 116.3967);
        assert!((d - 51.2).abs() < 1.0, "{d}");
    }
}
