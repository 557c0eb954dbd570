//! `mlrs._core.Store`: one tracking store (a SQLite file or a tracking server, behind
//! `engine::Backend`), its writer thread and its reads.

// PyO3 extracts arguments into owned values; taking them by reference would copy them again.
#![allow(clippy::needless_pass_by_value)]

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::engine::backend::{self, OpenOptions};
use crate::engine::error::ErrorCode;
use crate::engine::model::{MetricPoint, RunStatus, ViewType};
use crate::engine::writer::{Submitted, WriteOp, WriterConfig};
use crate::engine::{Backend, Error, Store};
use crate::py::convert::{self, ExperimentTuple, MetricTuple, RunTuple};
use crate::py::detach;

/// Sends what ended processes left in the spool of the tracking server `uri`; returns (files
/// shipped, records shipped, files left).
#[pyfunction]
pub fn ship_spool(py: Python<'_>, uri: &str, spool_dir: PathBuf) -> PyResult<(usize, i64, usize)> {
    let done = py.detach(|| crate::engine::remote::ship_leftovers(uri, &spool_dir))?;
    Ok((done.files, done.records, done.left))
}

#[pyclass(frozen, name = "Store", module = "mlrs._core")]
pub struct PyStore {
    pub(crate) inner: Box<dyn Backend>,
}

impl PyStore {
    /// The SQLite store, for the domains only it has so far (datasets, logged models, the
    /// registry); a remote store refuses them with a clear message.
    fn sqlite(&self) -> crate::engine::Result<&Store> {
        self.inner.as_sqlite().ok_or_else(|| {
            Error::with_code(
                ErrorCode::InternalError,
                format!(
                    "This call is not available over a tracking server in mlrs yet ({}).",
                    self.inner.location()
                ),
            )
        })
    }

    /// Queues an op; only a full queue releases the GIL and waits.
    fn submit(&self, py: Python<'_>, op: WriteOp) -> PyResult<()> {
        match self.inner.try_enqueue(op)? {
            Submitted::Queued => Ok(()),
            Submitted::Full(op) => Ok(py.detach(|| self.inner.enqueue_blocking(op))?),
        }
    }

    /// Queues what `make_op` builds, all without the GIL: ops other than metrics read the
    /// run's state from the database first, as MLflow checks it on every call.
    fn submit_checked(
        &self,
        py: Python<'_>,
        make_op: impl FnOnce(&dyn Backend) -> crate::engine::Result<Option<WriteOp>> + Send,
    ) -> PyResult<()> {
        Ok(py.detach(|| match make_op(&*self.inner)? {
            Some(op) => self.inner.enqueue(op),
            None => Ok(()),
        })?)
    }

    /// Runs a read or a synchronous write without the GIL, after an interruptible flush.
    fn run<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&dyn Backend) -> crate::engine::Result<T> + Send,
    ) -> PyResult<T> {
        detach::flush(py, &*self.inner)?;
        Ok(py.detach(|| f(&*self.inner))?)
    }

    /// `run` for the calls that only the SQLite store has so far.
    pub(crate) fn call<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&Store) -> crate::engine::Result<T> + Send,
    ) -> PyResult<T> {
        let store = self.sqlite()?;
        detach::flush(py, store)?;
        Ok(py.detach(|| f(store))?)
    }
}

#[pymethods]
impl PyStore {
    /// Opens the database at `path`, creating MLflow's schema in a new file, and starts the
    /// writer thread.
    #[new]
    #[pyo3(signature = (path, default_artifact_root, queue_capacity = 32_768, max_batch_ops = 8_192))]
    fn new(
        py: Python<'_>,
        path: PathBuf,
        default_artifact_root: &str,
        queue_capacity: usize,
        max_batch_ops: usize,
    ) -> PyResult<Self> {
        let config = WriterConfig {
            queue_capacity,
            max_batch_ops,
        };
        let inner = py.detach(|| Store::open(&path, default_artifact_root, config))?;
        Ok(Self {
            inner: Box::new(inner),
        })
    }

    /// Opens the store a tracking URI names (`sqlite:///path`, `http(s)://host:port`).
    #[staticmethod]
    #[pyo3(signature = (uri, default_artifact_root, queue_capacity = 32_768, max_batch_ops = 8_192, spool_dir = None))]
    fn open(
        py: Python<'_>,
        uri: &str,
        default_artifact_root: &str,
        queue_capacity: usize,
        max_batch_ops: usize,
        spool_dir: Option<PathBuf>,
    ) -> PyResult<Self> {
        let options = OpenOptions {
            default_artifact_root: default_artifact_root.to_owned(),
            writer: WriterConfig {
                queue_capacity,
                max_batch_ops,
            },
            spool_dir,
        };
        let inner = py.detach(|| backend::open(uri, &options))?;
        Ok(Self { inner })
    }

    /// The SQLite file's path, or the server's URL.
    #[getter]
    fn location(&self) -> String {
        self.inner.location()
    }

    #[getter]
    fn path(&self) -> PathBuf {
        PathBuf::from(self.inner.location())
    }

    #[getter]
    fn default_artifact_root(&self) -> &str {
        self.inner.default_artifact_root()
    }

    // ---- logging: validate, enqueue, return ----------------------------------------------

    /// The hot path: one metric point, stamped now when `timestamp` is None.
    #[pyo3(signature = (run_id, key, value, timestamp, step))]
    fn log_metric(
        &self,
        py: Python<'_>,
        run_id: &str,
        key: &str,
        value: f64,
        timestamp: Option<i64>,
        step: i64,
    ) -> PyResult<()> {
        if !self.inner.run_is_fresh(run_id) {
            // A run not cached yet, or changed by another process: one read without the GIL.
            py.detach(|| self.inner.refresh_run(run_id))?;
        }
        let op = self.inner.metric_op(run_id, key, value, timestamp, step)?;
        self.submit(py, op)
    }

    fn log_param(&self, py: Python<'_>, run_id: &str, key: &str, value: &str) -> PyResult<()> {
        self.submit_checked(py, |s| s.param_op(run_id, key, value))
    }

    fn set_tag(&self, py: Python<'_>, run_id: &str, key: &str, value: &str) -> PyResult<()> {
        self.submit_checked(py, |s| s.tag_op(run_id, key, value).map(Some))
    }

    /// One store-level batch: `metrics` as `(key, value, timestamp, step)` tuples.
    fn log_batch(
        &self,
        py: Python<'_>,
        run_id: &str,
        metrics: Vec<MetricTuple>,
        params: Vec<(String, String)>,
        tags: Vec<(String, Option<String>)>,
    ) -> PyResult<()> {
        let metrics = metrics
            .into_iter()
            .map(|(key, value, timestamp, step)| MetricPoint::new(key, value, timestamp, step))
            .collect();
        self.submit_checked(py, |s| s.batch_op(run_id, metrics, params, tags))
    }

    fn delete_tag(&self, py: Python<'_>, run_id: &str, key: &str) -> PyResult<()> {
        self.run(py, |s| s.delete_tag(run_id, key))
    }

    /// Waits until everything queued so far is committed; raises a pending write failure.
    fn flush(&self, py: Python<'_>) -> PyResult<()> {
        detach::flush(py, &*self.inner)
    }

    /// Commits what is queued and stops the writer thread.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        Ok(py.detach(|| self.inner.close())?)
    }

    // ---- experiments -----------------------------------------------------------------------

    fn create_experiment(
        &self,
        py: Python<'_>,
        name: &str,
        artifact_location: Option<String>,
        tags: Vec<(String, String)>,
    ) -> PyResult<String> {
        let id = self.run(py, |s| s.create_experiment(name, artifact_location, tags))?;
        Ok(id.to_string())
    }

    fn get_experiment(&self, py: Python<'_>, experiment_id: &str) -> PyResult<ExperimentTuple> {
        Ok(convert::experiment(
            self.run(py, |s| s.get_experiment(experiment_id))?,
        ))
    }

    fn get_experiment_by_name(
        &self,
        py: Python<'_>,
        name: &str,
    ) -> PyResult<Option<ExperimentTuple>> {
        Ok(self
            .run(py, |s| s.get_experiment_by_name(name))?
            .map(convert::experiment))
    }

    /// Up to `max_results + 1` experiments from `offset`, so the caller can build a page token.
    #[pyo3(signature = (view_type, filter_string, order_by, max_results, offset))]
    fn search_experiments(
        &self,
        py: Python<'_>,
        view_type: i64,
        filter_string: &str,
        order_by: Vec<String>,
        max_results: i64,
        offset: i64,
    ) -> PyResult<Vec<ExperimentTuple>> {
        let Some(view_type) = ViewType::from_int(view_type) else {
            return Ok(Vec::new());
        };
        let found = self.run(py, |s| {
            s.search_experiments(view_type, filter_string, &order_by, max_results, offset)
        })?;
        Ok(found.into_iter().map(convert::experiment).collect())
    }

    fn delete_experiment(&self, py: Python<'_>, experiment_id: &str) -> PyResult<()> {
        self.run(py, |s| s.delete_experiment(experiment_id))
    }

    fn restore_experiment(&self, py: Python<'_>, experiment_id: &str) -> PyResult<()> {
        self.run(py, |s| s.restore_experiment(experiment_id))
    }

    fn rename_experiment(
        &self,
        py: Python<'_>,
        experiment_id: &str,
        new_name: &str,
    ) -> PyResult<()> {
        self.run(py, |s| s.rename_experiment(experiment_id, new_name))
    }

    fn set_experiment_tag(
        &self,
        py: Python<'_>,
        experiment_id: &str,
        key: &str,
        value: &str,
    ) -> PyResult<()> {
        self.run(py, |s| s.set_experiment_tag(experiment_id, key, value))
    }

    fn delete_experiment_tag(
        &self,
        py: Python<'_>,
        experiment_id: &str,
        key: &str,
    ) -> PyResult<()> {
        self.run(py, |s| s.delete_experiment_tag(experiment_id, key))
    }

    // ---- runs ------------------------------------------------------------------------------

    #[pyo3(signature = (experiment_id, user_id, start_time, run_name, tags))]
    fn create_run(
        &self,
        py: Python<'_>,
        experiment_id: &str,
        user_id: &str,
        start_time: i64,
        run_name: Option<String>,
        tags: Vec<(String, Option<String>)>,
    ) -> PyResult<RunTuple> {
        let run = self.run(py, |s| {
            s.create_run(experiment_id, user_id, start_time, run_name, tags)
        })?;
        Ok(convert::run(run))
    }

    /// Up to `max_results + 1` runs of the experiments from `offset` that match the filter,
    /// in MLflow's order for `order_by`.
    #[pyo3(signature = (experiment_ids, view_type, filter_string, order_by, max_results, offset))]
    #[allow(clippy::too_many_arguments)]
    fn search_runs(
        &self,
        py: Python<'_>,
        experiment_ids: Vec<String>,
        view_type: i64,
        filter_string: &str,
        order_by: Vec<String>,
        max_results: i64,
        offset: i64,
    ) -> PyResult<Vec<RunTuple>> {
        let Some(view_type) = ViewType::from_int(view_type) else {
            return Ok(Vec::new());
        };
        let runs = self.run(py, |s| {
            s.search_runs(
                &experiment_ids,
                view_type,
                filter_string,
                &order_by,
                max_results,
                offset,
            )
        })?;
        Ok(runs.into_iter().map(convert::run).collect())
    }

    fn get_run(&self, py: Python<'_>, run_id: &str) -> PyResult<RunTuple> {
        Ok(convert::run(self.run(py, |s| s.get_run(run_id))?))
    }

    /// Sets the status (a valid `RunStatus` name), end time and/or name of an active run.
    #[pyo3(signature = (run_id, status, end_time, run_name))]
    fn update_run_info(
        &self,
        py: Python<'_>,
        run_id: &str,
        status: Option<&str>,
        end_time: Option<i64>,
        run_name: Option<String>,
    ) -> PyResult<()> {
        let status = status.map(RunStatus::parse).transpose()?;
        self.run(py, |s| {
            s.update_run_info(run_id, status, end_time, run_name)
        })
    }

    fn delete_run(&self, py: Python<'_>, run_id: &str) -> PyResult<()> {
        self.run(py, |s| s.delete_run(run_id))
    }

    fn restore_run(&self, py: Python<'_>, run_id: &str) -> PyResult<()> {
        self.run(py, |s| s.restore_run(run_id))
    }

    /// A metric's history as three buffers of native-endian numbers (steps and timestamps as
    /// int64, values as float64), for `array`/numpy without a Python object per point.
    #[pyo3(signature = (run_id, key, max_points = None))]
    fn get_metric_columns<'py>(
        &self,
        py: Python<'py>,
        run_id: &str,
        key: &str,
        max_points: Option<usize>,
    ) -> PyResult<(
        Bound<'py, PyBytes>,
        Bound<'py, PyBytes>,
        Bound<'py, PyBytes>,
    )> {
        let series = self.run(py, |s| s.get_metric_series(run_id, key, max_points))?;
        let steps: Vec<u8> = series.steps.iter().flat_map(|v| v.to_ne_bytes()).collect();
        let times: Vec<u8> = series
            .timestamps
            .iter()
            .flat_map(|v| v.to_ne_bytes())
            .collect();
        let values: Vec<u8> = series.values.iter().flat_map(|v| v.to_ne_bytes()).collect();
        Ok((
            PyBytes::new(py, &steps),
            PyBytes::new(py, &times),
            PyBytes::new(py, &values),
        ))
    }
}
