//! What `mlrs ui` and the `mlrs` terminal commands compute over a store, without HTTP: the runs
//! table with its metric reducers (`table`), the per-series cache (`series`), M4 downsampling
//! (`m4`), chart x-axes (`chart`) and saved views (`views`).

pub mod chart;
pub mod m4;
pub mod series;
pub mod table;
pub mod views;
