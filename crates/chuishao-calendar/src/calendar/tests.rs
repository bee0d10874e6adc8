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
fn refuses_to_guess_past_the_last_supported_year() {
    use Allowance::*;
    assert_eq!(due("2100-12-30 10:00", WorkingDays(5)), "calendar_beyond_loaded_years");
    assert_eq!(due("2100-12-31 17:31", WorkingMs(0)), "calendar_beyond_loaded_years");
    assert_eq!(due("2100-12-31 16:00", Allowance::working_hours(2)), "calendar_beyond_loaded_years");
    assert_eq!(due("2100-12-31 16:00", Allowance::working_hours(1)), "2100-12-31 17:00");
    assert_eq!(due("1999-12-31 10:00", WorkingDays(1)), "calendar_before_loaded_years");
    assert_eq!(due("2100-12-31 23:00", Allowance::hours(24)), "2101-01-01 23:00");
    assert_eq!(due("2026-03-02 10:00", WorkingDays(-1)), "calendar_negative_allowance");
    let err = Calendar::builtin().due(at("2100-12-30 10:00"), WorkingDays(5)).err().map(|e| e.to_string());
    assert_eq!(err.as_deref(), Some("the deadline falls after 2100, the last year the calendar supports"));
    // Official calendars alone still refuse to guess past their last year.
    let official =
        Calendar::new(crate::builtin_years(), WorkingHours::default()).unwrap_or_else(|e| unreachable!("{e}"));
    let code = official.due(at("2026-12-30 10:00"), WorkingDays(5)).map_err(|e| e.code());
    assert_eq!(code, Err("calendar_beyond_loaded_years"));
}

/// Hand-computed deadlines on the provisional 2027 (docs/architecture.md, "Deadlines").
#[test]
fn provisional_2027() {
    use Allowance::*;
    let cal = Calendar::builtin();
    assert!(cal.is_provisional_year(2027) && !cal.is_provisional_year(2026));
    // Across the year's end: Thu 31 Dec 2026, then Fri 1 Jan 2027 (New Year's Day) off.
    assert_eq!(due("2026-12-30 10:00", WorkingDays(5)), "2027-01-07 10:00");
    // 16:00–17:30 on Thu 31 Dec, then half an hour on Mon 4 Jan.
    assert_eq!(due("2026-12-31 16:00", Allowance::working_hours(2)), "2027-01-04 09:30");
    // Spring Festival: 5–8 Feb off, Sat 6 and Sun 7 made up on Tue 9 and Wed 10 Feb.
    assert_eq!(due("2027-02-04 10:00", WorkingDays(2)), "2027-02-12 10:00");
    assert_eq!(due("2027-02-04 10:00", WorkingDays(1)), "2027-02-11 10:00");
    assert_eq!(due("2027-02-04 16:30", Allowance::working_hours(2)), "2027-02-11 10:00");
    assert_eq!(due("2027-02-06 10:00", WorkingMs(0)), "2027-02-11 09:00");
    // No adjusted working weekend: Sat 13 Feb stays off.
    assert_eq!(due("2027-02-12 10:00", WorkingDays(1)), "2027-02-15 10:00");
    // Labour Day: Sat 1 and Sun 2 May, made up on Mon 3 and Tue 4 May.
    assert_eq!(due("2027-04-30 10:00", WorkingDays(1)), "2027-05-05 10:00");
    // Fri 30 Apr, Wed 5 – Fri 7 May, Mon 10 – Wed 12 May.
    assert_eq!(due("2027-04-29 10:00", WorkingDays(7)), "2027-05-12 10:00");
    // National Day: Fri 1 – Sun 3 Oct, made up on Mon 4 and Tue 5 Oct.
    assert_eq!(due("2027-09-30 11:00", WorkingDays(1)), "2027-10-06 11:00");
    assert_eq!(due("2027-09-30 11:00", WorkingDays(3)), "2027-10-08 11:00");
    // Mid-Autumn Wed 15 Sep.
    assert_eq!(due("2027-09-14 10:00", WorkingDays(1)), "2027-09-16 10:00");
}

/// Hand-computed deadlines on the provisional 2028.
#[test]
fn provisional_2028() {
    use Allowance::*;
    // New Year's Day Sat 1 Jan, made up on Mon 3 Jan.
    assert_eq!(due("2027-12-31 10:00", WorkingDays(1)), "2028-01-04 10:00");
    // Spring Festival Wed 26 Jan: Tue 25 – Fri 28 Jan off.
    assert_eq!(due("2028-01-24 10:00", WorkingDays(1)), "2028-01-31 10:00");
    // Mon 24 Jan, then 31 Jan – 4 Feb, 7–11 Feb, 14–17 Feb.
    assert_eq!(due("2028-01-21 15:00", WorkingDays(15)), "2028-02-17 15:00");
    // Labour Day Mon 1 – Tue 2 May; Dragon Boat Sun 28 May made up on Mon 29 May.
    assert_eq!(due("2028-04-28 10:00", WorkingDays(2)), "2028-05-04 10:00");
    assert_eq!(due("2028-05-26 10:00", WorkingDays(1)), "2028-05-30 10:00");
    // National Day Sun 1 – Tue 3 Oct with Mid-Autumn on Tue 3 Oct: Sun 1 Oct and the shared
    // day are made up on Wed 4 and Thu 5 Oct.
    assert_eq!(due("2028-09-29 10:00", WorkingDays(1)), "2028-10-06 10:00");
    assert_eq!(due("2028-09-29 10:00", WorkingDays(7)), "2028-10-16 10:00");
    assert_eq!(due("2028-09-29 17:00", Allowance::working_hours(7)), "2028-10-06 17:00");
}

#[test]
fn provisional_years_are_marked() {
    let cal = Calendar::builtin();
    assert_eq!(cal.years().len(), 101);
    let official: Vec<i32> = cal.official_years().map(|y| y.year).collect();
    assert_eq!(official, vec![2025, 2026]);
    assert!(!cal.provisional_between(at("2026-02-13 10:00"), at("2026-03-02 10:00")));
    assert!(cal.provisional_between(at("2026-12-30 10:00"), at("2027-01-07 10:00")));
    assert!(cal.provisional_between(at("2024-12-30 10:00"), at("2025-01-07 10:00")));
    assert_eq!(Calendar::year_of(at("2027-01-01 00:00")), 2027);
    assert_eq!(Calendar::year_of(at("2026-12-31 23:59")), 2026);
    // An official year laid over the provisional one replaces it.
    let mut years = crate::builtin_years();
    years.push(crate::provisional_year(2027).unwrap_or_else(|e| unreachable!("{e}")));
    let cal =
        Calendar::with_provisional(years.clone(), WorkingHours::default()).unwrap_or_else(|e| unreachable!("{e}"));
    assert!(!cal.is_provisional_year(2027));
    years.push(years[0].clone());
    let dup = Calendar::with_provisional(years, WorkingHours::default()).map(|_| ()).map_err(|e| e.code());
    assert_eq!(dup, Err("calendar_duplicate_year"));
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

/// Instants in the official 2025–2026 and the provisional 2027–2028.
fn instant() -> impl Strategy<Value = i64> {
    prop_oneof![at("2025-01-01 00:00")..at("2026-06-30 00:00"), at("2026-10-01 00:00")..at("2028-10-31 00:00")]
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
        year in 2000i32..=2100,
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
