//! Case use cases: intake, transitions, queries and the views they return.

mod intake;
mod query;
mod transition;
mod view;

pub use intake::{IntakeQueue, MAX_DESCRIPTION, NewCaseInput, ReporterInput, SubmitOutcome};
pub use query::{CaseListQuery, CasePage};
pub use transition::TransitionInput;
pub use view::{
    CaseView, EventView, PublicCaseView, PublicTimelineEntry, ReporterView, mask_name, mask_phone, status_words,
};
