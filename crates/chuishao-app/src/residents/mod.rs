//! The residents' channel: everything a resident or an outside system (Open311 GeoReport v2)
//! uses to report problems and follow them, built on intake and the public read model.

pub mod callback;
#[cfg(test)]
mod fuzz;
pub mod live;
pub mod nearby;
pub mod open311;
pub mod photos;
pub mod public_text;
pub mod report;
pub mod view_cache;

context!(
    /// The residents' channel's use cases: reports, tracking, callbacks, Open311, public text.
    Residents,
    residents
);
