//! Why a calendar could not be loaded or a deadline could not be computed. Every variant has a
//! stable snake_case code for the API and the CLI.

/// A calendar or deadline error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The calendar file is not valid TOML or lacks a field.
    #[error("calendar file: {0}")]
    Parse(String),
    /// A date is not a valid `YYYY-MM-DD` date.
    #[error("{field}: {value:?} is not a date (write YYYY-MM-DD)")]
    BadDate { field: &'static str, value: String },
    /// The year is outside the supported years, 2000–2100.
    #[error("year {0} is outside the supported years 2000–2100")]
    YearOutOfRange(i32),
    /// A day listed in a year's file falls in another year.
    #[error("{date} is not in year {year}")]
    OutsideYear { date: String, year: i32 },
    /// A holiday ends before it starts.
    #[error("holiday {name:?} ends ({to}) before it starts ({from})")]
    Reversed { name: String, from: String, to: String },
    /// Two holidays share a day, or an adjusted working day is listed twice.
    #[error("{date} is listed twice ({first:?} and {second:?})")]
    Overlap { date: String, first: String, second: String },
    /// A day is both a holiday and an adjusted working day.
    #[error("{date} is both a holiday ({holiday:?}) and an adjusted working day ({working:?})")]
    Contradiction { date: String, holiday: String, working: String },
    /// An adjusted working day falls on a weekday, which is a working day anyway.
    #[error("adjusted working day {date} ({name:?}) is a weekday, not a weekend day")]
    NotAWeekend { date: String, name: String },
    /// The same year was loaded twice.
    #[error("year {0} is loaded twice")]
    DuplicateYear(i32),
    /// The loaded years have a gap: deadlines cannot be computed across it.
    #[error("year {0} is missing: loaded years must be consecutive")]
    MissingYear(i32),
    /// No year is loaded.
    #[error("no calendar year is loaded")]
    Empty,
    /// The working hours are malformed.
    #[error("working hours: {0}")]
    WorkingHours(String),
    /// The deadline would fall after the last supported year: it is refused, never guessed.
    #[error("the deadline falls after {last_year}, the last year the calendar supports")]
    BeyondLoadedYears { last_year: i32 },
    /// The start instant lies before the first loaded year.
    #[error("the start lies before {first_year}, the first year the calendar supports")]
    BeforeLoadedYears { first_year: i32 },
    /// An official file works a statutory holiday day: most likely another year's schedule.
    #[error(
        "{date} ({name}) is a statutory holiday but the file does not give it off: is this the schedule for its year?"
    )]
    StatutoryDayWorked { date: String, name: String },
    /// A negative allowance.
    #[error("an allowance cannot be negative")]
    Negative,
}

impl CalendarError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            CalendarError::Parse(_) => "calendar_parse",
            CalendarError::BadDate { .. } => "calendar_bad_date",
            CalendarError::YearOutOfRange(_) => "calendar_year_out_of_range",
            CalendarError::OutsideYear { .. } => "calendar_outside_year",
            CalendarError::Reversed { .. } => "calendar_reversed_range",
            CalendarError::Overlap { .. } => "calendar_overlap",
            CalendarError::Contradiction { .. } => "calendar_contradiction",
            CalendarError::NotAWeekend { .. } => "calendar_not_a_weekend",
            CalendarError::DuplicateYear(_) => "calendar_duplicate_year",
            CalendarError::MissingYear(_) => "calendar_missing_year",
            CalendarError::Empty => "calendar_empty",
            CalendarError::WorkingHours(_) => "calendar_working_hours",
            CalendarError::BeyondLoadedYears { .. } => "calendar_beyond_loaded_years",
            CalendarError::BeforeLoadedYears { .. } => "calendar_before_loaded_years",
            CalendarError::StatutoryDayWorked { .. } => "calendar_statutory_day_worked",
            CalendarError::Negative => "calendar_negative_allowance",
        }
    }
}
