//! Departments' whistle scorecards per month, and each subdistrict's whistle rate against the
//! district median.

use crate::whistles::Whistles;
use crate::{AppError, Result};
use chrono::{NaiveDate, TimeZone};
use chuishao_domain::access::Actor;
use chuishao_domain::ids::OrgId;
use chuishao_domain::org::{OrgKind, path_within};
use chuishao_store::WhistleUnitRow;
use serde::Serialize;

/// One department's month (its stationed units included).
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct DepartmentScorecard {
    pub department_id: i64,
    pub department_code: String,
    pub department_name: String,
    pub month: String,
    /// Summons received (one per whistle and summoned unit).
    pub whistles_received: i64,
    /// Checked in (or replied) by the deadline, over summons received.
    pub on_time_check_in_rate: Option<f64>,
    /// Median minutes from the whistle to the check-in, over those that checked in.
    pub median_minutes_to_check_in: Option<f64>,
    /// Reported done, over summons received.
    pub completion_rate: Option<f64>,
    pub mean_rating: Option<f64>,
    pub ratings: i64,
}

/// A subdistrict's whistles per 1,000 cases in the month, against the district median.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct SubdistrictWhistleRate {
    pub subdistrict_code: String,
    pub subdistrict_name: String,
    pub whistles: i64,
    pub cases: i64,
    pub whistles_per_1000_cases: Option<f64>,
    pub district_median: Option<f64>,
    /// `above`, `below` or `at` the median (`none` without cases).
    pub against_median: String,
}

/// Every department ranked (best mean rating, then on-time rate), and the subdistricts' rates.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct ScorecardPage {
    pub month: String,
    pub departments: Vec<DepartmentScorecard>,
    pub subdistricts: Vec<SubdistrictWhistleRate>,
}

/// `YYYY-MM` to `[from, to)` in China Standard Time.
pub(crate) fn month_range(month: &str) -> Result<(i64, i64)> {
    let bad = || AppError::invalid("month", "YYYY-MM");
    let (y, m) = month.split_once('-').ok_or_else(bad)?;
    let (y, m): (i32, u32) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if month.len() != 7 {
        return Err(bad());
    }
    let start = NaiveDate::from_ymd_opt(y, m, 1).ok_or_else(bad)?;
    let next = if m == 12 { NaiveDate::from_ymd_opt(y + 1, 1, 1) } else { NaiveDate::from_ymd_opt(y, m + 1, 1) }
        .ok_or_else(bad)?;
    let at = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .and_then(|t| crate::time::cst().from_local_datetime(&t).single())
            .map(|t| t.timestamp_millis())
            .ok_or_else(bad)
    };
    Ok((at(start)?, at(next)?))
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 })
}

fn ratio(a: i64, b: i64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// The figures of one department's unit rows.
pub(crate) fn figures(rows: &[WhistleUnitRow]) -> (i64, Option<f64>, Option<f64>, Option<f64>, Option<f64>, i64) {
    let n = rows.len() as i64;
    let on_time = rows.iter().filter(|r| r.checked_in_at.is_some() && !r.late).count() as i64;
    let minutes: Vec<f64> =
        rows.iter().filter_map(|r| r.checked_in_at.map(|t| (t - r.raised_at) as f64 / 60_000.0)).collect();
    let done = rows.iter().filter(|r| r.done_at.is_some()).count() as i64;
    let ratings: Vec<i64> = rows.iter().filter_map(|r| r.rating).collect();
    let mean = (!ratings.is_empty()).then(|| ratings.iter().sum::<i64>() as f64 / ratings.len() as f64);
    (n, ratio(on_time, n), median(minutes), ratio(done, n), mean, ratings.len() as i64)
}

impl Whistles<'_> {
    async fn scorecard_of(&self, dept: OrgId, month: &str, from: i64, to: i64) -> Result<DepartmentScorecard> {
        let d = self.admin().org(dept).await?.ok_or(AppError::NotFound("department"))?;
        let rows = self.store.whistle_units_between(std::slice::from_ref(&d.path), from, to).await?;
        let (n, on_time, med, done, mean, ratings) = figures(&rows);
        Ok(DepartmentScorecard {
            department_id: d.id.0,
            department_code: d.code.clone(),
            department_name: d.name_zh.clone(),
            month: month.into(),
            whistles_received: n,
            on_time_check_in_rate: on_time,
            median_minutes_to_check_in: med,
            completion_rate: done,
            mean_rating: mean,
            ratings,
        })
    }

    /// A department's scorecard: the department itself, or anyone whose scope covers it (the
    /// district).
    pub async fn department_scorecard(&self, actor: &Actor, dept: OrgId, month: &str) -> Result<DepartmentScorecard> {
        let (from, to) = month_range(month)?;
        let d = self.admin().org(dept).await?.ok_or(AppError::NotFound("department"))?;
        if d.kind != OrgKind::Department {
            return Err(AppError::NotFound("department"));
        }
        if !actor.bindings.iter().any(|b| path_within(&d.path, &b.org_path)) {
            return Err(AppError::Forbidden(format!("{} may not see {}'s scorecard", actor.username, d.code)));
        }
        self.scorecard_of(dept, month, from, to).await
    }

    /// Every department ranked, and every subdistrict's whistle rate (the district only).
    pub async fn scorecards(&self, actor: &Actor, month: &str) -> Result<ScorecardPage> {
        let (from, to) = month_range(month)?;
        let district = self.store.list_orgs(Some(OrgKind::District)).await?;
        let Some(district) = district.first() else { return Err(AppError::NotFound("district")) };
        if !actor.bindings.iter().any(|b| path_within(&district.path, &b.org_path)) {
            return Err(AppError::Forbidden(format!("{} may not rank departments", actor.username)));
        }
        let mut departments = Vec::new();
        for d in self.store.list_orgs(Some(OrgKind::Department)).await? {
            departments.push(self.scorecard_of(d.id, month, from, to).await?);
        }
        departments.sort_by(|a, b| {
            let key =
                |s: &DepartmentScorecard| (s.mean_rating.unwrap_or(-1.0), s.on_time_check_in_rate.unwrap_or(-1.0));
            key(b)
                .0
                .total_cmp(&key(a).0)
                .then(key(b).1.total_cmp(&key(a).1))
                .then(a.department_code.cmp(&b.department_code))
        });
        let mut subs = Vec::new();
        for kind in [OrgKind::Subdistrict, OrgKind::Township] {
            for s in self.store.list_orgs(Some(kind)).await? {
                let whistles = self.store.count_whistles_raised(&s.path, from, to).await?;
                let cases = self.store.count_cases_received(&s.path, from, to).await?;
                subs.push((s, whistles, cases));
            }
        }
        let rates: Vec<f64> = subs.iter().filter_map(|(_, w, c)| ratio(*w * 1000, *c)).collect();
        let med = median(rates);
        let subdistricts = subs
            .into_iter()
            .map(|(s, whistles, cases)| {
                let rate = ratio(whistles * 1000, cases);
                let against = match (rate, med) {
                    (Some(r), Some(m)) if r > m => "above",
                    (Some(r), Some(m)) if r < m => "below",
                    (Some(_), Some(_)) => "at",
                    _ => "none",
                };
                SubdistrictWhistleRate {
                    subdistrict_code: s.code.clone(),
                    subdistrict_name: s.name_zh.clone(),
                    whistles,
                    cases,
                    whistles_per_1000_cases: rate,
                    district_median: med,
                    against_median: against.into(),
                }
            })
            .collect();
        Ok(ScorecardPage { month: month.into(), departments, subdistricts })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn row(checked: Option<i64>, late: bool, done: bool, rating: Option<i64>) -> WhistleUnitRow {
        WhistleUnitRow {
            whistle_id: 1,
            org_id: 1,
            org_path: "/1/".into(),
            status: String::new(),
            raised_at: 0,
            due_at: 30 * 60_000,
            checked_in_at: checked,
            late,
            done_at: done.then_some(1),
            rating,
            overdue_at: None,
            next_fire_at: None,
        }
    }

    #[test]
    fn figures_match_hand_computed_values() {
        // Four summons: checked in after 10, 20 and 50 (late) minutes, one never.
        let rows = vec![
            row(Some(10 * 60_000), false, true, Some(5)),
            row(Some(20 * 60_000), false, true, Some(4)),
            row(Some(50 * 60_000), true, true, Some(2)),
            row(None, false, false, None),
        ];
        let (n, on_time, med, done, mean, ratings) = figures(&rows);
        assert_eq!(n, 4);
        assert_eq!(on_time, Some(0.5));
        assert_eq!(med, Some(20.0));
        assert_eq!(done, Some(0.75));
        assert_eq!(mean, Some(11.0 / 3.0));
        assert_eq!(ratings, 3);
        assert_eq!(figures(&[]).1, None);
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }

    #[test]
    fn months_are_china_standard_time() {
        let (from, to) = month_range("2026-11").unwrap();
        assert_eq!(crate::time::rfc3339(from), "2026-11-01T00:00:00+08:00");
        assert_eq!(crate::time::rfc3339(to), "2026-12-01T00:00:00+08:00");
        assert!(month_range("2026-13").is_err());
        assert!(month_range("2026-1").is_err());
        assert!(month_range("nov").is_err());
    }
}
