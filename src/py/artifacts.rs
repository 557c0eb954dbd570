//! Module-level functions of `mlrs._core` for run artifacts: thin wrappers over
//! `engine::artifacts` that do their file I/O without the GIL and raise MLflow's exceptions
//! (`MlflowException`) or the `OSError` subclass Python would raise (`FileNotFoundError`, ...).

// PyO3 extracts arguments into owned values; taking them by reference would copy them again.
#![allow(clippy::needless_pass_by_value)]

use std::ffi::OsString;
use std::fmt::Write as _;
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

// ---- a tracking server's artifact proxy ------------------------------------------------------

use crate::engine::error::{Error, ErrorCode};
use crate::engine::remote::artifacts as remote;
use crate::engine::remote::http::{Client, Settings};
use crate::py::store::PyStore;

/// The tracking store's HTTP client when it is a server (one keep-alive pool, its auth); a new
/// one with MLflow's settings from the environment otherwise (an `http(s)://` artifact location
/// under a local tracking store).
fn client_of(store: &PyStore) -> PyResult<Client> {
    if let Some(client) = store.inner.remote_client() {
        return Ok(client.clone());
    }
    Ok(Client::new("", Settings::from_env()?, None)?)
}

/// The HTTP URL of an `mlflow-artifacts:` location on the tracking server `tracking_uri`.
#[pyfunction]
pub fn remote_artifact_root(artifact_uri: &str, tracking_uri: &str) -> PyResult<String> {
    Ok(remote::service_root(artifact_uri, tracking_uri)?)
}

/// Uploads a local file to `<root>/<artifact_path>/<its name>` (`root`: the run's artifact
/// root as an HTTP URL of the artifact service).
#[pyfunction]
#[pyo3(signature = (store, root, local_path, artifact_path=None))]
pub fn remote_artifact_log_file(
    py: Python<'_>,
    store: &Bound<'_, PyStore>,
    root: String,
    local_path: PathBuf,
    artifact_path: Option<String>,
) -> PyResult<()> {
    let client = client_of(store.get())?;
    detached(py, || {
        remote::upload_file(&client, &root, &local_path, artifact_path.as_deref())
    })
}

/// Uploads the files under a local directory to `<root>/<artifact_path>/...`.
#[pyfunction]
#[pyo3(signature = (store, root, local_dir, artifact_path=None))]
pub fn remote_artifact_log_dir(
    py: Python<'_>,
    store: &Bound<'_, PyStore>,
    root: String,
    local_dir: PathBuf,
    artifact_path: Option<String>,
) -> PyResult<()> {
    let client = client_of(store.get())?;
    detached(py, || {
        remote::upload_dir(&client, &root, &local_dir, artifact_path.as_deref())
    })
}

/// The entries directly under `root/path`, sorted by path.
#[pyfunction]
#[pyo3(signature = (store, root, path=None))]
pub fn remote_artifact_list(
    py: Python<'_>,
    store: &Bound<'_, PyStore>,
    root: String,
    path: Option<String>,
) -> PyResult<Vec<EntryTuple>> {
    let client = client_of(store.get())?;
    detached(py, || {
        remote::list(&client, &root, path.as_deref()).map(|entries| {
            entries
                .into_iter()
                .map(|e| (e.path, e.is_dir, e.size))
                .collect()
        })
    })
}

/// Downloads `root/path` (a file or a directory; all for "") into the existing directory
/// `dst` and returns the local path. Failures are reported together, as MLflow does.
#[pyfunction]
pub fn remote_artifact_download(
    py: Python<'_>,
    store: &Bound<'_, PyStore>,
    root: String,
    path: String,
    dst: PathBuf,
) -> PyResult<OsString> {
    let client = client_of(store.get())?;
    let outcome = detached(py, || remote::download(&client, &root, &path, &dst))?;
    match outcome {
        Ok(local) => Ok(local.into_os_string()),
        Err(failed) => {
            let mut codes = Vec::new();
            let mut text = String::new();
            for (file, error) in failed.failures {
                let shown = if matches!(error, Error::Io { .. }) {
                    // As Python words the OSError it raises for a file operation.
                    PyErr::from(error).to_string()
                } else {
                    let code = error.code();
                    if code != ErrorCode::InternalError && !codes.contains(&code) {
                        codes.push(code);
                    }
                    error.to_string()
                };
                if !text.is_empty() {
                    text.push('\n');
                }
                let _ = write!(text, "##### File {file} #####\n{shown}");
            }
            let code = match codes.as_slice() {
                [one] => *one,
                _ => ErrorCode::InternalError,
            };
            Err(Error::with_code(
                code,
                format!(
                    "The following failures occurred while downloading one or more artifacts \
                     from {root}:\n{text}"
                ),
            )
            .into())
        }
    }
}
