//! The calendar context (时限): the working-day calendar every node shares, the deadline and
//! whistle policies, the clocks on cases, the timer worker and re-timing after a calendar
//! change. Its use cases are on [`CalendarService`] (`app.calendar()`).

mod clocks;
mod retime;
mod worker;
mod working_days;

pub use clocks::DeadlineView;
pub use worker::{MAX_SLEEP, TICK_BATCH, TickReport};
pub use working_days::{
    AdjustedDayView, CalendarImport, CalendarView, CalendarYearView, DeadlineSettings, DueQuery, DueView, HolidayView,
    SupervisionTarget, YearImport,
};

context!(
    /// The calendar context's use cases: the working-day calendar, deadline policies, clocks and timers.
    CalendarService,
    calendar
);
