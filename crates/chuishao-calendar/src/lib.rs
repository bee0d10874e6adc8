//! Chuishao's working-day calendar for Asia/Shanghai: which days are worked (weekends, the State
//! Council's statutory holidays and adjusted working days, held as data) and deadline
//! arithmetic in working days, working hours or wall-clock time. Pure: instants are UTC
//! milliseconds passed in, nothing here reads a clock or a file. Every year from 2000 to 2100
//! is covered: a year without an official schedule gets a provisional one from the statutory
//! rules (`provisional`), and deadlines computed on it say so.

mod calendar;
mod error;
mod festivals;
#[cfg(test)]
mod fuzz;
mod hours;
mod provisional;
mod year;

pub use calendar::{Allowance, CST_OFFSET_MS, Calendar};
pub use error::CalendarError;
pub use festivals::{FIRST_YEAR, Festivals, LAST_YEAR, festivals};
pub use hours::WorkingHours;
pub use provisional::{StatutoryHoliday, check_statutory_days, provisional_year, statutory_holidays};
pub use year::{AdjustedDay, CalendarYear, Holiday};

/// The schedules shipped in the binary, oldest first (data/calendar/).
pub const BUILTIN_YEARS: [&str; 2] =
    [include_str!("../../../data/calendar/2025.toml"), include_str!("../../../data/calendar/2026.toml")];

/// The shipped years, parsed.
pub fn builtin_years() -> Vec<CalendarYear> {
    BUILTIN_YEARS
        .iter()
        .map(|text| match CalendarYear::parse(text) {
            Ok(y) => y,
            Err(e) => unreachable!("a shipped calendar file is valid: {e}"),
        })
        .collect()
}
