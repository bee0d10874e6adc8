//! The cases context: intake, transitions, queries and the views they return, and the staff
//! desk (the dispatcher's queue, the actions a user may take on a case — asked of the
//! domain's own `decide`, never re-implemented here — bulk actions, evidence photos). Its use
//! cases are on [`Cases`] (`app.cases()`).

pub mod desk;
pub mod evidence;
mod intake;
mod query;
mod transition;
mod view;

pub use desk::{BoardItem, BoardQuery, BulkAction, BulkInput, BulkOutcome, ReturnInfo};
pub use intake::{IntakeQueue, MAX_DESCRIPTION, NewCaseInput, ReporterInput, SubmitOutcome};
pub use query::{CaseListQuery, CasePage};
pub use transition::TransitionInput;
pub use view::{
    CaseView, EventView, PublicCaseView, PublicTimelineEntry, ReporterView, mask_name, mask_phone, status_words,
};

context!(
    /// The cases context's use cases: intake, transitions, queries, the desk.
    Cases,
    cases
);
