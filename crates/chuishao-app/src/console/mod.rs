//! The staff console's use cases: accounts (browser sessions, login throttle, password
//! change, all audited) and the desk (the dispatcher's queue, the actions a user may take on
//! a case — asked of the domain's own `decide`, never re-implemented here) and user
//! administration (scoped by the domain's `admin` rules).

pub mod accounts;
pub mod admin;
pub mod desk;
pub mod evidence;

pub use accounts::{LoginOutcome, Session};
pub use desk::{BoardItem, BoardQuery, BulkAction, BulkInput, BulkOutcome, ReturnInfo};
