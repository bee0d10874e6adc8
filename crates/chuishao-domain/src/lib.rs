//! Chuishao's domain: the vocabulary of urban grassroots governance as types and rules.
//!
//! Everything here is pure: no SQL, no HTTP, no clock. Time is passed in as milliseconds since
//! the Unix epoch (`Millis`) by the caller, so every rule is deterministic and testable.

pub mod access;
pub mod admin;
pub mod cases;
pub mod category;
pub mod community;
pub mod deadlines;
pub mod error;
pub mod ids;
pub mod notifications;
pub mod org;
pub mod patrol;
pub mod record;
pub mod whistle;

pub use error::DomainError;

/// An instant, as milliseconds since the Unix epoch (UTC). The domain never reads a clock.
pub type Millis = i64;
