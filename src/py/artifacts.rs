//! Module-level functions of `mlrs._core` for run artifacts: thin wrappers over
//! `engine::artifacts` that do their file I/O without the GIL and raise MLflow's exceptions
//! (`MlflowException`) or the `OSError` subclass Python would raise (`FileNotFoundError`, ...).

// PyO3 extracts arguments into owned values; taking them by reference would copy them again.
#![allow(clippy::needless_pass_by_value)]

use std::ffi::OsString;
use std::path::PathBuf;

use pyo3::prelude::*;

use crate::engine::artifacts;
use crate::py::detach;

/// `(path, is_dir, file_size)` of one listing entry.
type EntryTuple = (OsString, bool, Option<u64>);

/// Runs artifact work without the GIL; its error goes through the binding's one translation.
fn detached<T: Send>(
    py: Python<'_>,
    f: impl FnOnce() -> artifacts::Result<T> + Send,
) -> PyResult<T> {
    detach::engine(py, f)
}

/// Copies a local file (or directory) to `root/artifact_path/<its name>`.
#[pyfunction]
#[pyo3(signature = (root, local_path, artifact_path=None))]
pub fn artifact_log_file(
    py: Python<'_>,
    root: PathBuf,
    local_path: PathBuf,
    artifact_path: Option<String>,
) -> PyResult<()> {
    detached(py, || {
        artifacts::log_file(&root, &local_path, artifact_path.as_deref()).map(drop)
    })
}

/// Copies the contents of a local directory under `root/artifact_path`.
#[pyfunction]
#[pyo3(signature = (root, local_dir, artifact_path=None))]
pub fn artifact_log_dir(
    py: Python<'_>,
    root: PathBuf,
    local_dir: PathBuf,
    artifact_path: Option<String>,
) -> PyResult<()> {
    detached(py, || {
        artifacts::log_dir(&root, &local_dir, artifact_path.as_deref())
    })
}

/// Writes `data` to `root/artifact_file` (atomically).
#[pyfunction]
pub fn artifact_write(
    py: Python<'_>,
    root: PathBuf,
    artifact_file: String,
    data: &[u8],
) -> PyResult<()> {
    detached(py, || {
        artifacts::write_file(&root, &artifact_file, data).map(drop)
    })
}

/// `(staged, dest)`: a path with the destination's file name for a writer to fill, and where
/// `artifact_publish` moves it.
#[pyfunction]
pub fn artifact_stage(
    py: Python<'_>,
    root: PathBuf,
    artifact_file: String,
) -> PyResult<(OsString, OsString)> {
    detached(py, || {
        artifacts::stage(&root, &artifact_file)
            .map(|(staged, dest)| (staged.into_os_string(), dest.into_os_string()))
    })
}

#[pyfunction]
pub fn artifact_publish(
    py: Python<'_>,
    staged: PathBuf,
    root: PathBuf,
    artifact_file: String,
) -> PyResult<()> {
    detached(py, || artifacts::publish(&staged, &root, &artifact_file))
}

#[pyfunction]
pub fn artifact_discard(py: Python<'_>, staged: PathBuf) -> PyResult<()> {
    detached(py, || artifacts::discard(&staged))
}

/// The entries directly under `root/path`, sorted by path.
#[pyfunction]
#[pyo3(signature = (root, path=None))]
pub fn artifact_list(
    py: Python<'_>,
    root: PathBuf,
    path: Option<String>,
) -> PyResult<Vec<EntryTuple>> {
    detached(py, || {
        artifacts::list(&root, path.as_deref()).map(|entries| {
            entries
                .into_iter()
                .map(|e| (e.path, e.is_dir, e.size))
                .collect()
        })
    })
}

/// The existing local file or directory `root/path`.
#[pyfunction]
pub fn artifact_local_path(py: Python<'_>, root: PathBuf, path: String) -> PyResult<OsString> {
    detached(py, || {
        artifacts::local_path(&root, &path).map(PathBuf::into_os_string)
    })
}

/// Copies `root/path` to `dst/path` and returns that path.
#[pyfunction]
pub fn artifact_download(
    py: Python<'_>,
    root: PathBuf,
    path: String,
    dst: PathBuf,
) -> PyResult<OsString> {
    detached(py, || {
        artifacts::download(&root, &path, &dst).map(PathBuf::into_os_string)
    })
}
