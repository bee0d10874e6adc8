//! Deadlines (接诉即办 SLA clocks): the working-day calendar every node shares, and the clocks
//! on cases.

mod calendar;
mod clocks;
mod retime;
mod worker;

pub use calendar::{
    AdjustedDayView, CalendarImport, CalendarView, CalendarYearView, DeadlineSettings, DueQuery, DueView, HolidayView,
    SupervisionTarget, YearImport,
};
pub use clocks::DeadlineView;
pub use worker::{MAX_SLEEP, TICK_BATCH, TickReport};
