//! The PyO3 layer: argument conversion, error mapping and GIL release around the engine. No
//! logic that users observe lives here.

pub mod artifacts;
pub mod context;
mod datasets;
mod detach;
mod errors;
pub mod fluent;
pub mod headers;
mod models;
mod registry;
pub mod rows;
pub mod store;
pub mod system_metrics;
pub mod ui;
