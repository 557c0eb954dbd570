//! mlrs: MLflow's tracking API on a Rust engine. `engine` is the pure-Rust core (it never names
//! pyo3); `py` binds it to Python as `mlrs._core`.

pub mod engine;
mod py;

use pyo3::prelude::*;

#[pymodule]
mod _core {
    #[pymodule_export]
    use crate::py::store::{PyStore, ship_spool};

    #[pymodule_export]
    use crate::py::context::git_worktree_dirty;

    #[pymodule_export]
    use crate::py::artifacts::{
        artifact_discard, artifact_download, artifact_list, artifact_local_path, artifact_log_dir,
        artifact_log_file, artifact_publish, artifact_stage, artifact_write,
    };

    #[pymodule_export]
    const ALEMBIC_HEAD: &str = crate::engine::store::ALEMBIC_HEAD;
}
