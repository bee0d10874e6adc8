//! The catalogue's tables, one per area of the product. Adding a message is one line
//! `(key, 中文, English)` in the table of its area; a new area is a new file listed in
//! [`PARTS`]. Keys are `area.name`; tests check that every key is unique, that both languages
//! are written in their own script, and that both name the same placeholders.

pub mod admin;
pub mod cases;
pub mod community;
pub mod console;
pub mod notify;
pub mod residents;
pub mod whistles;

/// Every table of the catalogue.
pub const PARTS: &[&[(&str, &str, &str)]] = &[
    residents::MESSAGES,
    console::MESSAGES,
    whistles::MESSAGES,
    admin::MESSAGES,
    cases::MESSAGES,
    notify::MESSAGES,
    community::MESSAGES,
];
