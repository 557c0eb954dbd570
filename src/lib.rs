//! mlrs: MLflow's tracking API on a Rust engine. `engine` is the pure-Rust core (it never names
//! pyo3); `py` binds it to Python as `mlrs._core`; `server` is `mlrs ui`'s HTTP server (pure
//! Rust as well).

pub mod engine;
#[cfg(feature = "python")]
mod py;
pub mod server;

#[cfg(feature = "python")]
use pyo3::prelude::*;

#[cfg(feature = "python")]
#[pymodule]
mod _core {
    #[pymodule_export]
    use crate::py::store::{PyStore, ship_spool};

    #[pymodule_export]
    use crate::py::store::{check_metric_key, fork_pause, fork_resume};

    #[pymodule_export]
    use crate::py::fluent::{log_active_metric, log_active_metrics, set_active_run};

    #[pymodule_export]
    use crate::py::rows::{
        PyDatasetInputRow, PyDatasetRow, PyExperimentRow, PyLoggedModelRow, PyModelMetricRow,
        PyModelVersionRow, PyRegisteredModelRow, PyRunRow,
    };

    #[pymodule_export]
    use crate::py::context::{git_checkout, git_worktree_dirty};

    #[pymodule_export]
    use crate::py::headers::set_header_provider;

    #[pymodule_export]
    use crate::py::system_metrics::{PySystemMetricsMonitor, sample_system_metrics};

    #[pymodule_export]
    use crate::py::ui::PyUiServer;

    #[pymodule_export]
    use crate::py::artifacts::{
        artifact_discard, artifact_download, artifact_list, artifact_local_path, artifact_log_dir,
        artifact_log_file, artifact_publish, artifact_stage, artifact_write,
    };

    #[pymodule_export]
    use crate::py::artifacts::{
        remote_artifact_download, remote_artifact_list, remote_artifact_log_dir,
        remote_artifact_log_file, remote_artifact_root,
    };

    #[pymodule_export]
    const ALEMBIC_HEAD: &str = crate::engine::store::ALEMBIC_HEAD;
}
