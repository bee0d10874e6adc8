//! The administration context: users and their passwords and API tokens, browser sessions
//! (login throttle, logout, password change, all audited), user administration (scoped by
//! the domain's `admin` rules), the org tree and the category catalogue. Its use cases are on
//! [`Admin`] (`app.admin()`).

pub mod accounts;
pub mod auth;
pub mod catalogue;
pub mod orgs;
pub mod users;

pub use accounts::{LoginOutcome, Session};

context!(
    /// The administration context's use cases: users, sessions, tokens, orgs, categories.
    Admin,
    admin
);
