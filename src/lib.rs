//! mlrs: MLflow's tracking API on a Rust engine. `engine` is the pure-Rust core; `py` binds it to
//! Python as `mlrs._core`.

pub mod engine;
//mod py;

