//! Deadlines (接诉即办 SLA clocks): the working-day calendar every node shares, and the clocks
//! on cases.

mod calendar;

pub use calendar::CalendarHandle;
