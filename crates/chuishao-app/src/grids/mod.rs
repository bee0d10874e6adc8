//! The grids and patrols context: the places' geometry (GeoJSON import and export, the grid
//! index every case is located with, the map, partition proposals, workload), the street
//! people who answer for each street, and patrols. Its use cases are on [`Grids`]
//! (`app.grids()`).

pub mod geo;
pub mod patrol;

context!(
    /// The grids and patrols context's use cases: geometry, locating, maps, streets, patrols.
    Grids,
    grids
);
