//! Hand-computed deadlines across the 2026 Spring Festival and National Day, and the calendar
//! laws as property tests.

use super::*;
use crate::{AdjustedDay, Holiday};
use chrono::{Datelike, Weekday};
use proptest::prelude::*;

const HOUR: i64 = 3_600_000;

/// Local (+08:00) "YYYY-MM-DD HH:MM" to UTC milliseconds.
fn at(s: &str) -> i64 {
    let (d, t) = s.split_once(' ').unwrap_or((s, "00:00"));
    let date = NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap_or_default();
    let (h, m) = t.split_once(':').unwrap_or(("0", "0"));
    let tod = (h.parse::<u32>().unwrap_or(0) * 60 + m.parse::<u32>().unwrap_or(0)) * 60_000;
    join(epoch_day(date), tod)
}

fn show(t: i64) -> String {
    let (day, tod) = split(t);
    let date = NaiveDate::from_num_days_from_ce_opt((day + 719_163) as i32).unwrap_or_default();
    format!("{date} {:02}:{:02}", tod / 3_600_000, (tod / 60_000) % 60)
}

fn due(from: &str, a: Allowance) -> String {
    match Calendar::builtin().due(at(from), a) {
        Ok(t) => show(t),
        Err(e) => e.code().to_string(),
    }
}

#[test]
fn spring_festival_2026() {
    use Allowance::*;
    // Friday before the festival; Saturday 14 Feb is a make-up working day.
    assert_eq!(due("2026-02-13 10:00", WorkingDays(1)), "2026-02-14 10:00");
    assert_eq!(due("2026-02-13 10:00", WorkingDays(2)), "2026-02-24 10:00");
    // Saturday 28 Feb is worked too.
    assert_eq!(due("2026-02-14 15:00", WorkingDays(7)), "2026-03-03 15:00");
    assert_eq!(due("2026-02-14 15:00", WorkingDays(4)), "2026-02-27 15:00");
    assert_eq!(due("2026-02-14 15:00", WorkingDays(5)), "2026-02-28 15:00");
    // Working hours stop on the festival and resume on the first day back.
    assert_eq!(due("2026-02-14 16:30", Allowance::working_hours(2)), "2026-02-24 10:00");
    // Starting during the holiday: counting starts at the next working-hours start.
    assert_eq!(due("2026-02-15 10:00", WorkingMs(0)), "2026-02-24 09:00");
    assert_eq!(due("2026-02-20 10:00", WorkingDays(15)), "2026-03-16 09:00");
    // The 24×7 tiers ignore the calendar.
    assert_eq!(due("2026-02-16 23:00", Allowance::hours(2)), "2026-02-17 01:00");
    assert_eq!(due("2026-02-16 10:00", Allowance::hours(24)), "2026-02-17 10:00");
}

#[test]
fn national_day_2026() {
    use Allowance::*;
    assert_eq!(due("2026-09-30 11:00", WorkingDays(1)), "2026-10-08 11:00");
    // Saturday 10 Oct is a make-up working day.
    assert_eq!(due("2026-09-30 11:00", WorkingDays(3)), "2026-10-10 11:00");
    assert_eq!(due("2026-09-30 11:00", WorkingDays(4)), "2026-10-12 11:00");
    assert_eq!(due("2026-09-30 17:00", Allowance::working_hours(2)), "2026-10-08 10:30");
    // Mid-Autumn: Sunday 20 Sep worked, 25–27 Sep off.
    assert_eq!(due("2026-09-19 12:00", WorkingDays(1)), "2026-09-21 09:00");
    assert_eq!(due("2026-09-19 12:00", WorkingDays(0)), "2026-09-20 09:00");
    assert_eq!(due("2026-09-24 14:00", WorkingDays(1)), "2026-09-28 14:00");
    assert_eq!(due("2026-09-30 11:00", Allowance::hours(24)), "2026-10-01 11:00");
}

#[test]
fn working_hours_inside_a_day() {
    use Allowance::*;
    assert_eq!(due("2026-03-02 10:00", Allowance::working_hours(2)), "2026-03-02 12:00");
    assert_eq!(due("2026-03-02 11:00", Allowance::working_hours(2)), "2026-03-02 14:30");
    assert_eq!(due("2026-03-02 12:45", WorkingDays(1)), "2026-03-03 13:30");
    assert_eq!(due("2026-03-02 07:00", WorkingMs(30 * 60_000)), "2026-03-02 09:30");
    assert_eq!(due("2026-03-02 17:30", WorkingDays(1)), "2026-03-03 17:30");
    assert_eq!(due("2026-03-02 18:00", Allowance::working_hours(7)), "2026-03-03 17:30");
    // 2025 make-up Sunday before the Spring Festival.
    assert_eq!(due("2025-01-24 10:00", WorkingDays(1)), "2025-01-26 10:00");
}

#[test]
fn refuses_to_guess_past_the_last_year() {
    use Allowance::*;
    assert_eq!(due("2026-12-30 10:00", WorkingDays(5)), "calendar_beyond_loaded_years");
    assert_eq!(due("2026-12-31 17:31", WorkingMs(0)), "calendar_beyond_loaded_years");
    assert_eq!(due("2026-12-31 16:00", Allowance::working_hours(2)), "calendar_beyond_loaded_years");
    assert_eq!(due("2026-12-31 16:00", Allowance::working_hours(1)), "2026-12-31 17:00");
    assert_eq!(due("2024-12-31 10:00", WorkingDays(1)), "calendar_before_loaded_years");
    assert_eq!(due("2026-12-31 23:00", Allowance::hours(24)), "2027-01-01 23:00");
    assert_eq!(due("2026-03-02 10:00", WorkingDays(-1)), "calendar_negative_allowance");
    let err = Calendar::builtin().due(at("2026-12-30 10:00"), WorkingDays(5)).err().map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some("the deadline falls after 2026, the last year in the calendar; import the next year's schedule")
    );
}

#[test]
fn years_must_be_consecutive_and_distinct() {
    let y = |year| CalendarYear::new(year, vec![], vec![]).unwrap_or_else(|e| unreachable!("{e}"));
    let code = |years| Calendar::new(years, WorkingHours::default()).map(|_| ()).map_err(|e| e.code());
    assert_eq!(code(vec![y(2025), y(2027)]), Err("calendar_missing_year"));
    assert_eq!(code(vec![y(2025), y(2025)]), Err("calendar_duplicate_year"));
    assert_eq!(code(vec![]), Err("calendar_empty"));
    assert_eq!(code(vec![y(2027), y(2026), y(2025)]), Ok(()));
}

#[test]
fn warning_point_is_in_working_time() {
    let cal = Calendar::builtin();
    let start = at("2026-02-13 10:00");
    let end = cal.due(start, Allowance::WorkingDays(7)).unwrap_or(0);
    // 7 working days = 49 working hours; 80% = 39.2 h = 5 days + 4.2 h after Feb 13 10:00.
    let warn = cal.fraction_point(start, end, true, 4, 5).unwrap_or(0);
    assert_eq!(show(warn), "2026-02-27 15:42");
    assert_eq!(cal.fraction_point(0, 10 * HOUR, false, 4, 5), Ok(8 * HOUR));
}

fn instant() -> impl Strategy<Value = i64> {
    at("2025-01-01 00:00")..at("2026-06-30 00:00")
}

fn working_ms() -> impl Strategy<Value = i64> {
    prop_oneof![0..60 * 7 * HOUR, (0..60i64).prop_map(|h| h * HOUR), (0..20i64).prop_map(|d| d * 7 * HOUR)]
}

proptest! {
    #[test]
    fn adding_working_time_is_monotonic(t1 in instant(), dt in 0..30 * 24 * HOUR, a in working_ms(), b in working_ms(), n in 0..40i64, m in 0..40i64) {
        let cal = Calendar::builtin();
        let t2 = t1 + dt;
        let (lo, hi) = (a.min(b), a.max(b));
        prop_assert!(cal.due(t1, Allowance::WorkingMs(lo))? <= cal.due(t2, Allowance::WorkingMs(lo))?);
        prop_assert!(cal.due(t1, Allowance::WorkingMs(lo))? <= cal.due(t1, Allowance::WorkingMs(hi))?);
        prop_assert!(cal.due(t1, Allowance::WorkingDays(n))? <= cal.due(t2, Allowance::WorkingDays(n))?);
        prop_assert!(cal.due(t1, Allowance::WorkingDays(n.min(m)))? <= cal.due(t1, Allowance::WorkingDays(n.max(m)))?);
        prop_assert!(cal.due(t1, Allowance::WorkingMs(lo))? >= t1);
    }

    #[test]
    fn adding_is_associative(t in instant(), a in working_ms(), b in working_ms(), n in 0..40i64, m in 0..40i64) {
        let cal = Calendar::builtin();
        let step = cal.due(cal.due(t, Allowance::WorkingMs(a))?, Allowance::WorkingMs(b))?;
        prop_assert_eq!(step, cal.due(t, Allowance::WorkingMs(a + b))?);
        let days = cal.due(cal.due(t, Allowance::WorkingDays(n))?, Allowance::WorkingDays(m))?;
        prop_assert_eq!(days, cal.due(t, Allowance::WorkingDays(n + m))?);
        let wall = cal.due(cal.due(t, Allowance::WallMs(a))?, Allowance::WallMs(b))?;
        prop_assert_eq!(wall, cal.due(t, Allowance::WallMs(a + b))?);
    }

    #[test]
    fn working_deadlines_land_in_working_time(t in instant(), a in working_ms(), n in 0..40i64) {
        let cal = Calendar::builtin();
        let d = cal.due(t, Allowance::WorkingMs(a))?;
        prop_assert!(cal.is_working_time(d)?, "{} + {a} ms -> {}", show(t), show(d));
        prop_assert_eq!(cal.working_ms_between(t, d)?, a);
        let d = cal.due(t, Allowance::WorkingDays(n))?;
        prop_assert!(cal.is_working_time(d)?, "{} + {n} days -> {}", show(t), show(d));
        let back = cal.working_ms_before(cal.due(t, Allowance::WorkingMs(a + 1))?, a)?;
        prop_assert_eq!(cal.working_ms_between(t, back)?, 1);
        let w = cal.fraction_point(t, d, true, 4, 5)?;
        prop_assert!(cal.is_working_time(w)? && w <= d);
    }

    #[test]
    fn export_then_import_is_identity(
        ranges in proptest::collection::vec((0u32..360, 0u32..9, "\\PC{0,12}"), 0..12),
        extra in proptest::collection::vec((0u32..365, "[a-z\"\\\\ 调休]{0,8}"), 0..12),
        year in 1990i32..2100,
    ) {
        let jan1 = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default();
        let day = |doy: u32| jan1 + chrono::Days::new(u64::from(doy));
        let mut taken = std::collections::BTreeSet::new();
        let mut holidays = Vec::new();
        for (start, len, name) in ranges {
            let days: Vec<u32> = (start..=start + len).collect();
            if days.iter().any(|d| taken.contains(d) || day(*d).year() != year) { continue; }
            taken.extend(days);
            holidays.push(Holiday { name, from: day(start), to: day(start + len) });
        }
        let mut working_days = Vec::new();
        for (doy, name) in extra {
            let d = day(doy);
            if taken.contains(&doy) || d.year() != year || !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) { continue; }
            taken.insert(doy);
            working_days.push(AdjustedDay { name, date: d });
        }
        let y = CalendarYear::new(year, holidays, working_days)?;
        prop_assert_eq!(CalendarYear::parse(&y.export())?, y);
    }
}
