//! The PyO3 layer: argument conversion, error mapping and GIL release around the engine. No
//! logic that users observe lives here.

mod convert;
mod detach;
mod errors;
mod models;
pub mod store;
