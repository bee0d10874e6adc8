//! Working hours: the periods of a working day in which working time runs, as local times of
//! day (Asia/Shanghai). Configurable per deployment; default 09:00–12:00 and 13:30–17:30.

use crate::CalendarError;

const MINUTE_MS: u32 = 60_000;
const DAY_MS: u32 = 86_400_000;

/// The working periods of a day, sorted and disjoint, each `[start, end)` in milliseconds since
/// local midnight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingHours {
    periods: Vec<(u32, u32)>,
}

impl Default for WorkingHours {
    fn default() -> Self {
        WorkingHours {
            periods: vec![
                (9 * 60 * MINUTE_MS, 12 * 60 * MINUTE_MS),
                ((13 * 60 + 30) * MINUTE_MS, (17 * 60 + 30) * MINUTE_MS),
            ],
        }
    }
}

fn parse_clock(s: &str) -> Result<u32, CalendarError> {
    let bad = || CalendarError::WorkingHours(format!("{s:?} is not a time of day (write HH:MM)"));
    let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
    let h: u32 = h.parse().map_err(|_| bad())?;
    let m: u32 = m.parse().map_err(|_| bad())?;
    if m >= 60 || h > 24 || (h == 24 && m > 0) || h.to_string().len() > 2 {
        return Err(bad());
    }
    Ok((h * 60 + m) * MINUTE_MS)
}

fn format_clock(ms: u32) -> String {
    format!("{:02}:{:02}", ms / 3_600_000, (ms / MINUTE_MS) % 60)
}

impl WorkingHours {
    /// Periods as `(start, end)` milliseconds since local midnight: non-empty, each start before
    /// its end, sorted, not touching or overlapping.
    pub fn new(periods: Vec<(u32, u32)>) -> Result<Self, CalendarError> {
        if periods.is_empty() {
            return Err(CalendarError::WorkingHours("at least one period is needed".into()));
        }
        let mut previous_end: Option<u32> = None;
        for &(start, end) in &periods {
            if start >= end || end > DAY_MS {
                return Err(CalendarError::WorkingHours(format!(
                    "{}-{} is empty or past midnight",
                    format_clock(start),
                    format_clock(end)
                )));
            }
            if previous_end.is_some_and(|p| start <= p) {
                return Err(CalendarError::WorkingHours(format!(
                    "{} overlaps or touches the previous period; list periods in order with a break between",
                    format_clock(start)
                )));
            }
            previous_end = Some(end);
        }
        Ok(WorkingHours { periods })
    }

    /// Parses `"09:00-12:00,13:30-17:30"`.
    pub fn parse(text: &str) -> Result<Self, CalendarError> {
        let mut periods = Vec::new();
        for part in text.split(',') {
            let (a, b) = part
                .split_once('-')
                .ok_or_else(|| CalendarError::WorkingHours(format!("{part:?}: write START-END, e.g. 09:00-12:00")))?;
            periods.push((parse_clock(a)?, parse_clock(b)?));
        }
        WorkingHours::new(periods)
    }

    /// The periods.
    pub fn periods(&self) -> &[(u32, u32)] {
        &self.periods
    }

    /// Working milliseconds in one working day.
    pub fn day_ms(&self) -> i64 {
        self.periods.iter().map(|&(s, e)| i64::from(e - s)).sum()
    }

    /// Working milliseconds of a working day elapsed at local time of day `tod`.
    pub(crate) fn elapsed_at(&self, tod: u32) -> i64 {
        let mut total = 0i64;
        for &(s, e) in &self.periods {
            if tod <= s {
                break;
            }
            total += i64::from(tod.min(e) - s);
        }
        total
    }

    /// The earliest local time of day at which `r` working milliseconds (0 < r <= day_ms) have
    /// elapsed: a period end when `r` completes a period.
    pub(crate) fn time_of(&self, r: i64) -> u32 {
        let mut remaining = r;
        let mut last = 0;
        for &(s, e) in &self.periods {
            let len = i64::from(e - s);
            if remaining <= len {
                return s + remaining as u32;
            }
            remaining -= len;
            last = e;
        }
        last
    }

    /// The local time of day at or after `tod` that lies inside working hours (period ends
    /// included), or `None` when the day's working hours are over.
    pub(crate) fn at_or_after(&self, tod: u32) -> Option<u32> {
        self.periods.iter().find(|&&(_, e)| tod <= e).map(|&(s, _)| tod.max(s))
    }

    /// Whether local time of day `tod` lies in working hours (period ends included).
    pub fn contains(&self, tod: u32) -> bool {
        self.periods.iter().any(|&(s, e)| s <= tod && tod <= e)
    }

    /// The first period's start.
    pub(crate) fn first_start(&self) -> u32 {
        self.periods[0].0
    }

    /// As text, the format `parse` reads.
    pub fn to_text(&self) -> String {
        let parts: Vec<String> =
            self.periods.iter().map(|&(s, e)| format!("{}-{}", format_clock(s), format_clock(e))).collect();
        parts.join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let h = WorkingHours::parse("09:00-12:00,13:30-17:30");
        assert_eq!(h, Ok(WorkingHours::default()));
        assert_eq!(WorkingHours::default().to_text(), "09:00-12:00,13:30-17:30");
        assert_eq!(WorkingHours::default().day_ms(), 7 * 3_600_000);
    }

    #[test]
    fn refuses_bad_hours() {
        for text in
            ["", "09:00", "12:00-09:00", "09:00-12:00,11:00-13:00", "09:00-12:00,12:00-13:00", "9-12", "25:00-26:00"]
        {
            assert_eq!(WorkingHours::parse(text).map_err(|e| e.code()), Err("calendar_working_hours"), "{text}");
        }
    }
}
