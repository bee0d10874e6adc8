//! The HTTP surface through real HTTP, in one test binary: the REST API, Open311, the
//! residents' pages, the staff console and its whistle and administration pages, geography and
//! patrols. Every test starts its own server with [`harness::spawn_app_with`].
//!
//! Every refused request is followed by a look at the database (the case as an admin sees it,
//! its event count, or the number of cases) to prove the refusal changed nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod harness;
use harness::*;

mod bombs;
mod cases;
mod console;
mod console_admin;
mod geo;
mod hardening;
mod languages;
mod layers;
mod open311;
mod patrol;
mod public_text;
mod report;
mod residents;
mod rules;
mod whistle;
