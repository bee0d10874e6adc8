//! Provisional years: the schedule a year gets from the statutory rules alone, until the
//! State Council's notice for it is imported. Rules (《全国年节及纪念日放假办法》 as revised in
//! 2024, in force from 2025):
//!
//! - days off: New Year's Day (1 January), the Spring Festival (lunar New Year's Eve to the
//!   3rd day of the first lunar month, 4 days), Qingming (the solar term's day), Labour Day
//!   (1–2 May), the Dragon Boat Festival (5/5 lunar), the Mid-Autumn Festival (15/8 lunar),
//!   National Day (1–3 October);
//! - Saturdays and Sundays off;
//! - a holiday day that falls on a Saturday or Sunday is made up on the following working
//!   day(s) (Article 6); so is a day two holidays share (Mid-Autumn on a National Day day);
//! - no adjusted working weekends (调休 is what only the official notice decides).
//!
//! The same rules give the statutory days an official file must give off, which is how an
//! import for the wrong year is caught.

use crate::festivals::festivals;
use crate::{CalendarError, CalendarYear, Holiday};
use chrono::{Datelike, Days, NaiveDate, Weekday};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// One statutory holiday of a year: its name and its days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatutoryHoliday {
    pub name: &'static str,
    pub days: Vec<NaiveDate>,
}

fn run(from: NaiveDate, n: u64) -> Vec<NaiveDate> {
    (0..n).filter_map(|i| from.checked_add_days(Days::new(i))).collect()
}

/// The statutory holidays of `year` (2000–2100) in date order, without make-up days.
pub fn statutory_holidays(year: i32) -> Result<Vec<StatutoryHoliday>, CalendarError> {
    let f = festivals(year).ok_or(CalendarError::YearOutOfRange(year))?;
    let ymd = |m, d| NaiveDate::from_ymd_opt(year, m, d).ok_or(CalendarError::YearOutOfRange(year));
    let eve = f.spring_festival.pred_opt().ok_or(CalendarError::YearOutOfRange(year))?;
    let mut out = vec![
        StatutoryHoliday { name: "元旦 New Year's Day", days: vec![ymd(1, 1)?] },
        StatutoryHoliday { name: "春节 Spring Festival", days: run(eve, 4) },
        StatutoryHoliday { name: "清明节 Qingming", days: vec![f.qingming] },
        StatutoryHoliday { name: "劳动节 Labour Day", days: run(ymd(5, 1)?, 2) },
        StatutoryHoliday { name: "端午节 Dragon Boat Festival", days: vec![f.dragon_boat] },
        StatutoryHoliday { name: "中秋节 Mid-Autumn Festival", days: vec![f.mid_autumn] },
        StatutoryHoliday { name: "国庆节 National Day", days: run(ymd(10, 1)?, 3) },
    ];
    out.sort_by_key(|h| h.days.first().copied());
    Ok(out)
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The provisional schedule of `year` (2000–2100) under the statutory rules.
pub fn provisional_year(year: i32) -> Result<CalendarYear, CalendarError> {
    let holidays = statutory_holidays(year)?;
    // Every day off, named by the first holiday that claims it.
    let mut off: BTreeMap<NaiveDate, String> = BTreeMap::new();
    // Per holiday: its last day and how many of its days must be made up.
    let mut owed: Vec<(&'static str, NaiveDate, usize)> = Vec::new();
    for h in &holidays {
        let mut n = 0;
        for d in &h.days {
            if is_weekend(*d) || off.contains_key(d) {
                n += 1;
            }
            off.entry(*d).or_insert_with(|| h.name.to_string());
        }
        if let Some(last) = h.days.last() {
            owed.push((h.name, *last, n));
        }
    }
    for (name, last, n) in owed {
        let mut d = last;
        for _ in 0..n {
            loop {
                d = d.succ_opt().ok_or(CalendarError::YearOutOfRange(year))?;
                if !is_weekend(d) && !off.contains_key(&d) {
                    break;
                }
            }
            off.insert(d, format!("{name} 补假 make-up day"));
        }
    }
    // Runs of consecutive days with the same name become one range.
    let mut ranges: Vec<Holiday> = Vec::new();
    for (d, name) in off {
        match ranges.last_mut() {
            Some(r) if r.name == name && r.to.succ_opt() == Some(d) => r.to = d,
            _ => ranges.push(Holiday { name, from: d, to: d }),
        }
    }
    CalendarYear::new(year, ranges, Vec::new())
}

/// Every supported year's provisional schedule, computed once.
pub(crate) fn provisional_years() -> &'static [CalendarYear] {
    static YEARS: OnceLock<Vec<CalendarYear>> = OnceLock::new();
    YEARS.get_or_init(|| (crate::FIRST_YEAR..=crate::LAST_YEAR).filter_map(|y| provisional_year(y).ok()).collect())
}

/// Checks that an official file for `y.year` gives every statutory holiday day off: a file
/// that does not is most likely another year's schedule.
pub fn check_statutory_days(y: &CalendarYear) -> Result<(), CalendarError> {
    for h in statutory_holidays(y.year)? {
        for d in &h.days {
            let off = y.holidays.iter().any(|x| x.from <= *d && *d <= x.to);
            if !off {
                return Err(CalendarError::StatutoryDayWorked { date: d.to_string(), name: h.name.to_string() });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    fn days_off(year: i32) -> Vec<(String, String)> {
        let y = provisional_year(year).unwrap_or_else(|e| unreachable!("{e}"));
        y.holidays.iter().map(|h| (h.from.to_string(), h.to.to_string())).collect()
    }

    #[test]
    fn provisional_2027_by_hand() {
        // 2027: Spring Festival Sat 6 Feb (eve Fri 5 Feb): 5–8 Feb off, Sat 6 and Sun 7 made
        // up on Tue 9 and Wed 10. New Year's Day is a Friday. Qingming Mon 5 Apr. Labour Day
        // Sat 1 and Sun 2 May, made up on Mon 3 and Tue 4. Dragon Boat Wed 9 Jun. Mid-Autumn
        // Wed 15 Sep. National Day Fri 1 – Sun 3 Oct, made up on Mon 4 and Tue 5.
        let expected = [
            ("2027-01-01", "2027-01-01"),
            ("2027-02-05", "2027-02-08"),
            ("2027-02-09", "2027-02-10"),
            ("2027-04-05", "2027-04-05"),
            ("2027-05-01", "2027-05-02"),
            ("2027-05-03", "2027-05-04"),
            ("2027-06-09", "2027-06-09"),
            ("2027-09-15", "2027-09-15"),
            ("2027-10-01", "2027-10-03"),
            ("2027-10-04", "2027-10-05"),
        ];
        let got = days_off(2027);
        let want: Vec<(String, String)> = expected.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        assert_eq!(got, want);
        let y = provisional_year(2027).unwrap_or_else(|e| unreachable!("{e}"));
        assert!(y.working_days.is_empty(), "no adjusted working weekends");
        assert!(y.holidays[2].name.contains("补假"), "{:?}", y.holidays[2]);
    }

    #[test]
    fn provisional_2028_by_hand() {
        // 2028: New Year's Day Sat 1 Jan, made up on Mon 3 Jan. Spring Festival Wed 26 Jan:
        // 25–28 Jan (Tue–Fri), nothing to make up. Qingming Tue 4 Apr. Labour Day Mon 1 – Tue 2
        // May. Dragon Boat Sun 28 May, made up on Mon 29 May. National Day Sun 1 – Tue 3 Oct;
        // Mid-Autumn falls on Tue 3 Oct too: Sun 1 Oct and the shared day are made up on Wed 4
        // and Thu 5 Oct.
        let got = days_off(2028);
        let want = [
            ("2028-01-01", "2028-01-01"),
            ("2028-01-03", "2028-01-03"),
            ("2028-01-25", "2028-01-28"),
            ("2028-04-04", "2028-04-04"),
            ("2028-05-01", "2028-05-02"),
            ("2028-05-28", "2028-05-28"),
            ("2028-05-29", "2028-05-29"),
            ("2028-10-01", "2028-10-03"),
            ("2028-10-04", "2028-10-04"),
            ("2028-10-05", "2028-10-05"),
        ];
        let want: Vec<(String, String)> = want.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn every_supported_year_has_a_valid_provisional_schedule() {
        for year in crate::FIRST_YEAR..=crate::LAST_YEAR {
            let y = provisional_year(year).unwrap_or_else(|e| unreachable!("{year}: {e}"));
            // 13 statutory days; weekend ones are made up, so at least 13 weekdays are off.
            let weekdays_off: usize = y
                .holidays
                .iter()
                .flat_map(|h| h.from.iter_days().take_while(move |x| *x <= h.to))
                .filter(|x| !is_weekend(*x))
                .count();
            assert!(weekdays_off >= 13, "{year}: {weekdays_off}");
            assert_eq!(check_statutory_days(&y), Ok(()), "{year}");
        }
        assert_eq!(provisional_years().len(), 101);
        assert_eq!(provisional_year(1999).map_err(|e| e.code()), Err("calendar_year_out_of_range"));
        assert_eq!(provisional_year(2101).map_err(|e| e.code()), Err("calendar_year_out_of_range"));
    }

    #[test]
    fn shipped_official_years_give_every_statutory_day_off() {
        for y in crate::builtin_years() {
            assert_eq!(check_statutory_days(&y), Ok(()), "{}", y.year);
        }
        // Last year's file relabelled as this year's is caught.
        let y2026 = crate::builtin_years().pop().unwrap_or_else(|| unreachable!());
        let shifted: Vec<Holiday> = y2026
            .holidays
            .iter()
            .map(|h| Holiday {
                name: h.name.clone(),
                from: h.from.with_year(2027).unwrap_or(h.from),
                to: h.to.with_year(2027).unwrap_or(h.to),
            })
            .collect();
        let wrong = CalendarYear::new(2027, shifted, Vec::new()).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(
            check_statutory_days(&wrong),
            Err(CalendarError::StatutoryDayWorked { date: "2027-02-05".into(), name: "春节 Spring Festival".into() })
        );
        assert_eq!(d("2027-02-05").weekday(), Weekday::Fri);
    }
}
