//! The engine: pure Rust, never imports pyo3. Model, validation, the SQLite store with MLflow's
//! schema, the batching writer and the search compilers.

pub mod artifacts;
pub mod backend;
pub mod clock;
pub mod error;
pub mod git;
pub mod logged_models;
pub mod model;
pub mod names;
pub mod pyjson;
pub mod registry;
pub mod remote;
pub mod search;
pub mod store;
pub mod sysmetrics;
pub mod ui;
pub mod validate;
pub mod writer;

pub use backend::Backend;
pub use error::{Error, ErrorCode, Result};
pub use store::Store;
