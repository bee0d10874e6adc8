//! The application's use cases on a real database (SQLite, or PostgreSQL when
//! `CHUISHAO_TEST_PG_URL` is set), in one test binary: deadlines and the timer worker, the demo
//! district's whistles, and notifications to a local receiver. Shared helpers are in `common`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod deadlines;
mod demo_community;
mod demo_whistles;
mod notifications;
mod records;
mod vault;
