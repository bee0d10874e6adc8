//! One year of the State Council's holiday schedule as data: statutory holidays (ranges of days
//! off) and adjusted working days (调休, weekend days worked). Parsed from and exported to TOML
//! (see data/calendar/2026.toml), validated on the way in.

use crate::CalendarError;
use chrono::{Datelike, NaiveDate, Weekday};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// A run of consecutive days off, both ends included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holiday {
    pub name: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// A weekend day that is worked (调休).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdjustedDay {
    pub name: String,
    pub date: NaiveDate,
}

/// A validated year: holidays sorted by start, adjusted working days sorted by date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarYear {
    pub year: i32,
    pub holidays: Vec<Holiday>,
    pub working_days: Vec<AdjustedDay>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YearFile {
    year: i32,
    #[serde(default)]
    holiday: Vec<HolidayFile>,
    #[serde(default)]
    working_day: Vec<WorkingDayFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HolidayFile {
    name: String,
    from: String,
    to: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkingDayFile {
    name: String,
    date: String,
}

fn parse_date(field: &'static str, value: &str) -> Result<NaiveDate, CalendarError> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| CalendarError::BadDate { field, value: value.to_string() })
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

impl CalendarYear {
    /// Parses and validates a year's TOML file.
    pub fn parse(text: &str) -> Result<Self, CalendarError> {
        let file: YearFile = toml::from_str(text).map_err(|e| CalendarError::Parse(e.message().to_string()))?;
        let mut holidays = Vec::with_capacity(file.holiday.len());
        for h in file.holiday {
            holidays.push(Holiday {
                from: parse_date("holiday.from", &h.from)?,
                to: parse_date("holiday.to", &h.to)?,
                name: h.name,
            });
        }
        let mut working_days = Vec::with_capacity(file.working_day.len());
        for w in file.working_day {
            working_days.push(AdjustedDay { date: parse_date("working_day.date", &w.date)?, name: w.name });
        }
        CalendarYear::new(file.year, holidays, working_days)
    }

    /// Validates and canonicalises (sorts) a year: every day inside the year, no holiday
    /// reversed or overlapping another, no day both off and worked, adjusted working days only
    /// on weekends.
    pub fn new(
        year: i32,
        mut holidays: Vec<Holiday>,
        mut working_days: Vec<AdjustedDay>,
    ) -> Result<Self, CalendarError> {
        if !(crate::FIRST_YEAR..=crate::LAST_YEAR).contains(&year) {
            return Err(CalendarError::YearOutOfRange(year));
        }
        let outside = |d: NaiveDate| CalendarError::OutsideYear { date: d.to_string(), year };
        let mut off: BTreeMap<NaiveDate, &str> = BTreeMap::new();
        for h in &holidays {
            if h.to < h.from {
                return Err(CalendarError::Reversed {
                    name: h.name.clone(),
                    from: h.from.to_string(),
                    to: h.to.to_string(),
                });
            }
            for d in [h.from, h.to] {
                if d.year() != year {
                    return Err(outside(d));
                }
            }
            for d in h.from.iter_days().take_while(|d| *d <= h.to) {
                if let Some(first) = off.insert(d, &h.name) {
                    return Err(CalendarError::Overlap {
                        date: d.to_string(),
                        first: first.to_string(),
                        second: h.name.clone(),
                    });
                }
            }
        }
        let mut worked: BTreeMap<NaiveDate, &str> = BTreeMap::new();
        for w in &working_days {
            if w.date.year() != year {
                return Err(outside(w.date));
            }
            if let Some(holiday) = off.get(&w.date) {
                return Err(CalendarError::Contradiction {
                    date: w.date.to_string(),
                    holiday: holiday.to_string(),
                    working: w.name.clone(),
                });
            }
            if !is_weekend(w.date) {
                return Err(CalendarError::NotAWeekend { date: w.date.to_string(), name: w.name.clone() });
            }
            if let Some(first) = worked.insert(w.date, &w.name) {
                return Err(CalendarError::Overlap {
                    date: w.date.to_string(),
                    first: first.to_string(),
                    second: w.name.clone(),
                });
            }
        }
        holidays.sort_by_key(|h| h.from);
        working_days.sort_by_key(|w| w.date);
        Ok(CalendarYear { year, holidays, working_days })
    }

    /// The year as TOML, in the format `parse` reads: `parse(export(y)) == y`.
    pub fn export(&self) -> String {
        let mut out = format!("year = {}\n", self.year);
        for h in &self.holidays {
            let _ = write!(out, "\n[[holiday]]\nname = {}\nfrom = \"{}\"\nto = \"{}\"\n", quote(&h.name), h.from, h.to);
        }
        for w in &self.working_days {
            let _ = write!(out, "\n[[working_day]]\nname = {}\ndate = \"{}\"\n", quote(&w.name), w.date);
        }
        out
    }

    /// Whether `date` (in this year) is a working day.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        if self.working_days.iter().any(|w| w.date == date) {
            return true;
        }
        if self.holidays.iter().any(|h| h.from <= date && date <= h.to) {
            return false;
        }
        !is_weekend(date)
    }
}

/// A TOML basic string.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn shipped_schedules_parse() {
        for text in crate::BUILTIN_YEARS {
            let y = CalendarYear::parse(text);
            assert!(y.is_ok(), "{y:?}");
        }
    }

    #[test]
    fn overlapping_holidays_are_refused() {
        let text = "year = 2026\n[[holiday]]\nname = \"a\"\nfrom = \"2026-02-15\"\nto = \"2026-02-20\"\n\
                    [[holiday]]\nname = \"b\"\nfrom = \"2026-02-20\"\nto = \"2026-02-23\"\n";
        assert_eq!(CalendarYear::parse(text).map_err(|e| e.code()), Err("calendar_overlap"));
    }

    #[test]
    fn contradictory_days_are_refused() {
        let text = "year = 2026\n[[holiday]]\nname = \"a\"\nfrom = \"2026-02-14\"\nto = \"2026-02-16\"\n\
                    [[working_day]]\nname = \"b\"\ndate = \"2026-02-14\"\n";
        assert_eq!(CalendarYear::parse(text).map_err(|e| e.code()), Err("calendar_contradiction"));
        let weekday = "year = 2026\n[[working_day]]\nname = \"b\"\ndate = \"2026-02-16\"\n";
        assert_eq!(CalendarYear::parse(weekday).map_err(|e| e.code()), Err("calendar_not_a_weekend"));
    }

    #[test]
    fn other_bad_files_are_refused() {
        let cases = [
            (
                "year = 2026\n[[holiday]]\nname = \"a\"\nfrom = \"2025-12-31\"\nto = \"2026-01-01\"\n",
                "calendar_outside_year",
            ),
            (
                "year = 2026\n[[holiday]]\nname = \"a\"\nfrom = \"2026-01-03\"\nto = \"2026-01-01\"\n",
                "calendar_reversed_range",
            ),
            (
                "year = 2026\n[[holiday]]\nname = \"a\"\nfrom = \"2026-13-01\"\nto = \"2026-01-01\"\n",
                "calendar_bad_date",
            ),
            ("year = 2026\nholidays = []\n", "calendar_parse"),
            ("holiday = []\n", "calendar_parse"),
            ("year = 1900\n", "calendar_year_out_of_range"),
            ("year = 2101\n", "calendar_year_out_of_range"),
            ("year = 1999\n", "calendar_year_out_of_range"),
        ];
        for (text, code) in cases {
            assert_eq!(CalendarYear::parse(text).map_err(|e| e.code()), Err(code), "{text}");
        }
    }

    #[test]
    fn working_day_rules() {
        let y = CalendarYear::parse(crate::BUILTIN_YEARS[1]).unwrap_or_else(|e| unreachable!("{e}"));
        assert!(y.is_working_day(d("2026-02-14")), "Saturday make-up day");
        assert!(!y.is_working_day(d("2026-02-16")), "Spring Festival Monday");
        assert!(!y.is_working_day(d("2026-02-21")), "Saturday inside the festival");
        assert!(y.is_working_day(d("2026-02-24")), "first day back");
        assert!(!y.is_working_day(d("2026-03-01")), "ordinary Sunday");
        assert!(y.is_working_day(d("2026-03-02")), "ordinary Monday");
    }

    #[test]
    fn export_quotes_names() {
        let y = CalendarYear::new(
            2026,
            vec![Holiday { name: "a \"quoted\" \\ name\n".into(), from: d("2026-01-01"), to: d("2026-01-01") }],
            vec![],
        )
        .unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(CalendarYear::parse(&y.export()), Ok(y));
    }
}
