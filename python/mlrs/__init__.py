"""mlrs: MLflow's tracking API on a Rust engine (being assembled)."""
