//! The loaded calendar: consecutive years flattened into a day table, with deadline arithmetic.
//!
//! Semantics (docs/architecture.md, "Deadlines"):
//! - An instant outside working time (a non-working day, before, between or after the working
//!   periods) starts counting at the next working-hours start. Period ends count as inside, so
//!   a deadline can fall at 12:00 or 17:30.
//! - "N working days from t" ends at the same clock time on the N-th following working day
//!   (after moving t into working time as above).
//! - "H working hours from t" counts only time inside working hours; it ends at the earliest
//!   instant at which H hours of working time have run.
//! - Wall-clock allowances ignore the calendar.
//! - Every year from 2000 to 2100 is loaded: official schedules where imported or shipped,
//!   provisional ones from the statutory rules elsewhere (`Calendar::with_provisional`). A
//!   deadline whose computation crosses a provisional year is marked as such by its callers
//!   (`Calendar::provisional_between`). A working-time deadline past the last loaded year is
//!   refused ([`CalendarError::BeyondLoadedYears`]), never guessed.
//!
//! Working time is measured on a line: `working_ms_at(t)` is the working time between the start
//! of the first loaded year and `t`. Adding H working hours is moving along that line, which is
//! what makes the arithmetic associative and monotonic.

use crate::{CalendarError, CalendarYear, WorkingHours};
use chrono::{Datelike, NaiveDate};

/// China Standard Time offset (Asia/Shanghai has had no daylight saving since 1991).
pub const CST_OFFSET_MS: i64 = 8 * 3_600_000;
const DAY_MS: i64 = 86_400_000;

/// How much time a deadline allows, and how it is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Allowance {
    /// Wall-clock milliseconds, 24×7.
    WallMs(i64),
    /// Milliseconds of working time.
    WorkingMs(i64),
    /// Whole working days: the same clock time on the N-th following working day.
    WorkingDays(i64),
}

impl Allowance {
    /// Wall-clock hours.
    pub fn hours(h: i64) -> Self {
        Allowance::WallMs(h * 3_600_000)
    }
    /// Working hours.
    pub fn working_hours(h: i64) -> Self {
        Allowance::WorkingMs(h * 3_600_000)
    }
}

/// A set of consecutive years and the working hours.
#[derive(Debug, Clone)]
pub struct Calendar {
    years: Vec<CalendarYear>,
    /// Per year (same order): whether it is provisional (computed from the statutory rules).
    provisional: Vec<bool>,
    hours: WorkingHours,
    /// Local epoch day of 1 January of the first year.
    first_day: i64,
    /// `prefix[i]`: working days among the first `i` days.
    prefix: Vec<u32>,
    /// Local epoch days of every working day, ascending.
    workdays: Vec<i64>,
    day_ms: i64,
}

fn epoch_day(d: NaiveDate) -> i64 {
    i64::from(d.num_days_from_ce()) - 719_163
}

fn split(t: i64) -> (i64, u32) {
    let local = t + CST_OFFSET_MS;
    (local.div_euclid(DAY_MS), local.rem_euclid(DAY_MS) as u32)
}

fn join(day: i64, tod: u32) -> i64 {
    day * DAY_MS + i64::from(tod) - CST_OFFSET_MS
}

impl Calendar {
    /// Builds a calendar from official years (any order) that must be consecutive and distinct.
    pub fn new(years: Vec<CalendarYear>, hours: WorkingHours) -> Result<Self, CalendarError> {
        let n = years.len();
        Calendar::build(years, vec![false; n], hours)
    }

    /// Builds a calendar of every supported year (2000–2100): the official years given (any
    /// order, distinct), and a provisional year from the statutory rules for every other.
    pub fn with_provisional(official: Vec<CalendarYear>, hours: WorkingHours) -> Result<Self, CalendarError> {
        let mut by_year: std::collections::BTreeMap<i32, (CalendarYear, bool)> = std::collections::BTreeMap::new();
        for y in official {
            if !(crate::FIRST_YEAR..=crate::LAST_YEAR).contains(&y.year) {
                return Err(CalendarError::YearOutOfRange(y.year));
            }
            let year = y.year;
            if by_year.insert(year, (y, false)).is_some() {
                return Err(CalendarError::DuplicateYear(year));
            }
        }
        for y in crate::provisional::provisional_years() {
            by_year.entry(y.year).or_insert_with(|| (y.clone(), true));
        }
        let (years, provisional) = by_year.into_values().unzip();
        Calendar::build(years, provisional, hours)
    }

    fn build(years: Vec<CalendarYear>, provisional: Vec<bool>, hours: WorkingHours) -> Result<Self, CalendarError> {
        let mut pairs: Vec<(CalendarYear, bool)> = years.into_iter().zip(provisional).collect();
        pairs.sort_by_key(|(y, _)| y.year);
        let (years, provisional): (Vec<CalendarYear>, Vec<bool>) = pairs.into_iter().unzip();
        for pair in years.windows(2) {
            if pair[0].year == pair[1].year {
                return Err(CalendarError::DuplicateYear(pair[0].year));
            }
            if pair[1].year != pair[0].year + 1 {
                return Err(CalendarError::MissingYear(pair[0].year + 1));
            }
        }
        let (Some(first), Some(last)) = (years.first(), years.last()) else { return Err(CalendarError::Empty) };
        let start = NaiveDate::from_ymd_opt(first.year, 1, 1).ok_or(CalendarError::YearOutOfRange(first.year))?;
        let end = NaiveDate::from_ymd_opt(last.year, 12, 31).ok_or(CalendarError::YearOutOfRange(last.year))?;
        let first_day = epoch_day(start);
        let days = usize::try_from(epoch_day(end) - first_day + 1).unwrap_or(0);
        let mut prefix = Vec::with_capacity(days + 1);
        prefix.push(0u32);
        let mut workdays = Vec::with_capacity(days);
        let mut count = 0u32;
        for y in &years {
            let jan1 = NaiveDate::from_ymd_opt(y.year, 1, 1).ok_or(CalendarError::YearOutOfRange(y.year))?;
            for d in jan1.iter_days().take_while(|d| d.year() == y.year) {
                if y.is_working_day(d) {
                    workdays.push(epoch_day(d));
                    count += 1;
                }
                prefix.push(count);
            }
        }
        let day_ms = hours.day_ms();
        Ok(Calendar { years, provisional, hours, first_day, prefix, workdays, day_ms })
    }

    /// The schedules shipped in the binary (data/calendar/*.toml), provisional years around
    /// them, with the default hours.
    pub fn builtin() -> Self {
        let years = crate::builtin_years();
        match Calendar::with_provisional(years, WorkingHours::default()) {
            Ok(c) => c,
            Err(e) => unreachable!("the shipped calendar is valid: {e}"),
        }
    }

    /// The loaded years, ascending (provisional ones included).
    pub fn years(&self) -> &[CalendarYear] {
        &self.years
    }

    /// The loaded years with whether each is provisional, ascending.
    pub fn year_kinds(&self) -> impl Iterator<Item = (&CalendarYear, bool)> {
        self.years.iter().zip(self.provisional.iter().copied())
    }

    /// The official (imported or shipped) years, ascending.
    pub fn official_years(&self) -> impl Iterator<Item = &CalendarYear> {
        self.year_kinds().filter(|(_, p)| !p).map(|(y, _)| y)
    }

    /// Loaded `year`, and whether it is provisional.
    pub fn year(&self, year: i32) -> Option<(&CalendarYear, bool)> {
        let i = usize::try_from(year.checked_sub(self.first_year())?).ok()?;
        Some((self.years.get(i)?, self.provisional.get(i).copied()?))
    }

    /// Whether `year` is loaded and provisional.
    pub fn is_provisional_year(&self, year: i32) -> bool {
        self.year(year).is_some_and(|(_, p)| p)
    }

    /// The local (Asia/Shanghai) year of instant `t`.
    pub fn year_of(t: i64) -> i32 {
        let (day, _) = split(t);
        i32::try_from(day + 719_163).ok().and_then(NaiveDate::from_num_days_from_ce_opt).map_or(i32::MIN, |d| d.year())
    }

    /// Whether any local day from `a` to `b` (either order) lies in a provisional year: a
    /// working-time deadline computed across it is provisional.
    pub fn provisional_between(&self, a: i64, b: i64) -> bool {
        let (lo, hi) = (Calendar::year_of(a.min(b)), Calendar::year_of(a.max(b)));
        (lo..=hi).any(|y| self.is_provisional_year(y))
    }

    /// The working hours.
    pub fn hours(&self) -> &WorkingHours {
        &self.hours
    }

    /// The same years with other working hours.
    pub fn with_hours(&self, hours: WorkingHours) -> Self {
        let day_ms = hours.day_ms();
        Calendar { hours, day_ms, ..self.clone() }
    }

    fn first_year(&self) -> i32 {
        self.years.first().map_or(0, |y| y.year)
    }

    fn last_year(&self) -> i32 {
        self.years.last().map_or(0, |y| y.year)
    }

    fn index(&self, day: i64) -> Result<usize, CalendarError> {
        let i = day - self.first_day;
        if i < 0 {
            return Err(CalendarError::BeforeLoadedYears { first_year: self.first_year() });
        }
        if i as usize >= self.prefix.len() - 1 {
            return Err(CalendarError::BeyondLoadedYears { last_year: self.last_year() });
        }
        Ok(i as usize)
    }

    fn workday(&self, k: usize) -> Result<i64, CalendarError> {
        self.workdays.get(k).copied().ok_or(CalendarError::BeyondLoadedYears { last_year: self.last_year() })
    }

    /// Whether the local day of instant `t` is a working day.
    pub fn is_working_day(&self, t: i64) -> Result<bool, CalendarError> {
        let (day, _) = split(t);
        let i = self.index(day)?;
        Ok(self.prefix[i + 1] > self.prefix[i])
    }

    /// Whether `t` lies in working time (a working day, inside a period, period ends included).
    pub fn is_working_time(&self, t: i64) -> Result<bool, CalendarError> {
        Ok(self.is_working_day(t)? && self.hours.contains(split(t).1))
    }

    /// `t` if it lies in working time, otherwise the next working-hours start.
    pub fn next_working_instant(&self, t: i64) -> Result<i64, CalendarError> {
        let (day, tod) = split(t);
        let i = self.index(day)?;
        if self.prefix[i + 1] > self.prefix[i]
            && let Some(at) = self.hours.at_or_after(tod)
        {
            return Ok(join(day, at));
        }
        // The first working day after this one.
        let next = self.workday(self.prefix[i + 1] as usize)?;
        Ok(join(next, self.hours.first_start()))
    }

    /// Working milliseconds between the start of the first loaded year and `t`.
    pub fn working_ms_at(&self, t: i64) -> Result<i64, CalendarError> {
        let (day, tod) = split(t);
        let i = self.index(day)?;
        let before = i64::from(self.prefix[i]) * self.day_ms;
        let today = if self.prefix[i + 1] > self.prefix[i] { self.hours.elapsed_at(tod) } else { 0 };
        Ok(before + today)
    }

    /// The earliest instant at which `x` working milliseconds (> 0) have run.
    fn instant_of_working_ms(&self, x: i64) -> Result<i64, CalendarError> {
        let (mut k, mut r) = (x / self.day_ms, x % self.day_ms);
        if r == 0 {
            k -= 1;
            r = self.day_ms;
        }
        let day = self.workday(k as usize)?;
        Ok(join(day, self.hours.time_of(r)))
    }

    /// Working milliseconds between `a` and `b` (negative when `b` is before `a`).
    pub fn working_ms_between(&self, a: i64, b: i64) -> Result<i64, CalendarError> {
        Ok(self.working_ms_at(b)? - self.working_ms_at(a)?)
    }

    /// The deadline `allowance` after `from`.
    pub fn due(&self, from: i64, allowance: Allowance) -> Result<i64, CalendarError> {
        match allowance {
            Allowance::WallMs(ms) if ms < 0 => Err(CalendarError::Negative),
            Allowance::WallMs(ms) => Ok(from.saturating_add(ms)),
            Allowance::WorkingMs(ms) if ms < 0 => Err(CalendarError::Negative),
            Allowance::WorkingMs(0) => self.next_working_instant(from),
            Allowance::WorkingMs(ms) => {
                let at = self.working_ms_at(from)?;
                self.instant_of_working_ms(at.saturating_add(ms))
            }
            Allowance::WorkingDays(n) if n < 0 => Err(CalendarError::Negative),
            Allowance::WorkingDays(n) => {
                let start = self.next_working_instant(from)?;
                let (day, tod) = split(start);
                let i = self.index(day)?;
                let k = (self.prefix[i] as usize).saturating_add(usize::try_from(n).unwrap_or(usize::MAX));
                Ok(join(self.workday(k)?, tod))
            }
        }
    }

    /// The earliest instant that lies `ms` of working time before `t` (`t` itself for 0).
    pub fn working_ms_before(&self, t: i64, ms: i64) -> Result<i64, CalendarError> {
        if ms < 0 {
            return Err(CalendarError::Negative);
        }
        if ms == 0 {
            return Ok(t);
        }
        let x = self.working_ms_at(t)? - ms;
        if x <= 0 {
            return Err(CalendarError::BeforeLoadedYears { first_year: self.first_year() });
        }
        self.instant_of_working_ms(x)
    }

    /// The instant at `num/den` of the way from `start` to `due`, measured in working time for
    /// working allowances and in wall time otherwise (for the 80% warning).
    pub fn fraction_point(
        &self,
        start: i64,
        due: i64,
        working: bool,
        num: i64,
        den: i64,
    ) -> Result<i64, CalendarError> {
        if !working {
            return Ok(start + (due - start) * num / den);
        }
        let a = self.working_ms_at(start)?;
        let b = self.working_ms_at(due)?;
        let x = a + (b - a) * num / den;
        if x <= a {
            return self.next_working_instant(start);
        }
        self.instant_of_working_ms(x)
    }
}

#[cfg(test)]
mod tests;
