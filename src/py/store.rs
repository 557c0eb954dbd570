//! `mlrs._core.Store`: one tracking store (a SQLite file or a tracking server, behind
//! `engine::Backend`), its writer thread and its reads.

// PyO3 extracts arguments into owned values; taking them by reference would copy them again.
#![allow(clippy::needless_pass_by_value)]

use std::path::PathBuf;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

use crate::engine::backend::{self, OpenOptions};
use crate::engine::clock::now_ms;
use crate::engine::error::ErrorCode;
use crate::engine::model::{MetricPoint, RunStatus, ViewType};
use crate::engine::store;
use crate::engine::validate;
use crate::engine::writer::{Submitted, WriteOp, WriterConfig};
use crate::engine::{Backend, Error, Store};
use crate::py::detach;
use crate::py::rows::{MetricTuple, PyExperimentRow, PyRunRow};

/// MLflow's limit of metrics in one `log_batch`; longer inputs take the Python path, which
/// splits them as MLflow's client does.
const MAX_METRICS_PER_BATCH: usize = 1000;

/// A float for a metric from a plain Python float or int; None for anything else (bools,
/// numpy scalars, strings, ...), which the Python layer converts or refuses as MLflow does.
pub(crate) fn plain_number(value: &Bound<'_, PyAny>) -> Option<f64> {
    if let Ok(float) = value.cast_exact::<PyFloat>() {
        return Some(float.value());
    }
    if value.cast_exact::<PyInt>().is_ok() {
        return value.extract::<f64>().ok();
    }
    None
}

/// A plain Python int that fits i64; None otherwise.
pub(crate) fn plain_int(value: &Bound<'_, PyAny>) -> Option<i64> {
    value.cast_exact::<PyInt>().ok()?.extract::<i64>().ok()
}

/// A plain Python str as UTF-8; None for other types or strings with lone surrogates.
pub(crate) fn plain_str<'a>(value: &'a Bound<'_, PyAny>) -> Option<std::borrow::Cow<'a, str>> {
    value.cast_exact::<PyString>().ok()?.to_cow().ok()
}

/// Sends what ended processes left in the spool of the tracking server `uri`; returns (files
/// shipped, records shipped, files left).
#[pyfunction]
pub fn ship_spool(py: Python<'_>, uri: &str, spool_dir: PathBuf) -> PyResult<(usize, i64, usize)> {
    let done = detach::engine(py, || {
        crate::engine::remote::ship_leftovers(uri, &spool_dir)
    })?;
    Ok((done.files, done.records, done.left))
}

/// Queues an op; only a full queue releases the GIL and waits.
fn submit(py: Python<'_>, backend: &dyn Backend, op: WriteOp) -> PyResult<()> {
    match backend.try_enqueue(op)? {
        Submitted::Queued => Ok(()),
        Submitted::Full(op) => detach::engine(py, || backend.enqueue_blocking(op)),
    }
}

/// The hot path: one metric point, stamped now when `timestamp` is None. A run the cache holds
/// as active and fresh, and a valid key, are queued at once; anything else takes the backend's
/// own check (the key first, then the run, in MLflow's order) without the GIL.
pub(crate) fn log_metric(
    py: Python<'_>,
    backend: &dyn Backend,
    run_id: &str,
    key: &str,
    value: f64,
    timestamp: Option<i64>,
    step: i64,
) -> PyResult<()> {
    if let Some(id) = backend.fresh_run_id(run_id)
        && validate::validate_metric_key(key, "").is_ok()
    {
        return submit(
            py,
            backend,
            WriteOp::metric(id, key, value, timestamp, step),
        );
    }
    let op = detach::engine(py, || {
        backend.metric_op(run_id, key, value, timestamp, step)
    })?;
    submit(py, backend, op)
}

/// The fluent `log_metrics` in one call: `metrics` maps str keys to plain floats or ints,
/// stamped `timestamp` (now when None) at `step`. False, having done nothing, when an entry
/// needs Python's conversions or there are more than a batch holds: the caller then takes the
/// general path.
pub(crate) fn log_metrics(
    py: Python<'_>,
    backend: &dyn Backend,
    run_id: &str,
    metrics: &Bound<'_, PyDict>,
    timestamp: Option<i64>,
    step: i64,
) -> PyResult<bool> {
    if metrics.len() > MAX_METRICS_PER_BATCH || timestamp.is_some_and(|t| t < 0) {
        return Ok(false);
    }
    let timestamp = timestamp.unwrap_or_else(now_ms);
    let mut points = Vec::with_capacity(metrics.len());
    for (key, value) in metrics.iter() {
        let (Some(key), Some(value)) = (plain_str(&key), plain_number(&value)) else {
            return Ok(false);
        };
        points.push(MetricPoint::new(&*key, value, timestamp, step));
    }
    if !points.is_empty() {
        submit_metrics(py, backend, run_id, points)?;
    }
    Ok(true)
}

/// Queues metric points of one run as one op: at once when the run is cached, active and fresh
/// and the batch valid, else after the backend's own checks without the GIL.
fn submit_metrics(
    py: Python<'_>,
    backend: &dyn Backend,
    run_id: &str,
    points: Vec<MetricPoint>,
) -> PyResult<()> {
    if let Some(id) = backend.fresh_run_id(run_id)
        && validate::validate_metric_batch(run_id, &points).is_ok()
    {
        let op = WriteOp::Batch {
            run_id: id,
            metrics: points,
            params: Vec::new(),
            tags: Vec::new(),
        };
        return submit(py, backend, op);
    }
    detach::engine(py, || {
        match backend.batch_op(run_id, points, Vec::new(), Vec::new())? {
            Some(op) => backend.enqueue(op),
            None => Ok(()),
        }
    })
}

#[pyclass(frozen, weakref, name = "Store", module = "mlrs._core")]
pub struct PyStore {
    /// Shared with the background threads that log into the store (system metrics).
    pub(crate) inner: Arc<dyn Backend>,
    /// The process that opened the store: a forked child never closes or waits on it (the
    /// writer thread did not survive the fork).
    pid: u32,
}

impl Drop for PyStore {
    /// The last reference is gone: commit what is queued and end the writer thread and the
    /// connections now, rather than at exit. A failure found here has nobody left to raise it
    /// to, so it goes to stderr with what was not stored. A writer that cannot commit (a full
    /// disk) is given up after `DROP_CLOSE_TIMEOUT`, as exit gives it up.
    fn drop(&mut self) {
        if self.pid != std::process::id() || self.inner.is_closed() {
            return;
        }
        // Without the GIL: closing waits on the writer and on the fork gate
        // (engine::store::gate), and a thread that holds the GIL while a fork is under way
        // would keep the forking thread from ever reaching the hook that reopens the gate.
        // The shipper of a remote store may also need the GIL to ask a header provider.
        let inner = &self.inner;
        let unstored = Python::attach(|py| py.detach(|| inner.close_within(DROP_CLOSE_TIMEOUT)));
        let path = self.inner.location();
        if let Some(e) = unstored.failure {
            eprintln!("mlrs: closing the tracking store {path}: {e}");
        }
        if unstored.ops > 0 {
            eprintln!(
                "mlrs: closing the tracking store {path}: {} queued write(s) were not stored",
                unstored.ops
            );
        }
    }
}

/// How long dropping the last reference to a store waits for its queue to commit.
const DROP_CLOSE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

impl PyStore {
    /// The SQLite store, for the calls only it has (`mlrs gc`'s, the UI's over a file); a
    /// remote store refuses them with a clear message.
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

    /// Queues what `make_op` builds, all without the GIL: ops other than metrics read the
    /// run's state from the database first, as MLflow checks it on every call.
    fn submit_checked(
        &self,
        py: Python<'_>,
        make_op: impl FnOnce(&dyn Backend) -> crate::engine::Result<Option<WriteOp>> + Send,
    ) -> PyResult<()> {
        detach::engine(py, || match make_op(&*self.inner)? {
            Some(op) => self.inner.enqueue(op),
            None => Ok(()),
        })
    }

    /// Runs a read or a synchronous write without the GIL, after an interruptible flush (the
    /// only one: the engine's reads inside do not flush again).
    pub(crate) fn run<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&dyn Backend) -> crate::engine::Result<T> + Send,
    ) -> PyResult<T> {
        detach::flush(py, &*self.inner)?;
        detach::engine(py, || store::after_flush(|| f(&*self.inner)))
    }

    /// Queues metric points of one run as one batch op, checked as MLflow's `log_batch` checks
    /// them (names, then the batch limit, then the run). The common case (a run the store
    /// knows to be active, valid names) costs one lock; anything else goes through the
    /// backend's own check without the GIL.
    fn submit_metrics(
        &self,
        py: Python<'_>,
        run_id: &str,
        points: Vec<MetricPoint>,
    ) -> PyResult<()> {
        submit_metrics(py, &*self.inner, run_id, points)
    }

    /// `run` for the calls that only the SQLite store has so far.
    pub(crate) fn call<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&Store) -> crate::engine::Result<T> + Send,
    ) -> PyResult<T> {
        let store = self.sqlite()?;
        detach::flush(py, store)?;
        detach::engine(py, || store::after_flush(|| f(store)))
    }
}

#[pymethods]
impl PyStore {
    /// Opens the database at `path`, creating MLflow's schema in a new file, and starts the
    /// writer thread.
    #[new]
    /// `durable=False` skips every fsync (a throwaway store, such as a test's).
    #[pyo3(signature = (path, default_artifact_root, queue_capacity = 32_768, max_batch_ops = 8_192, durable = true))]
    fn new(
        py: Python<'_>,
        path: PathBuf,
        default_artifact_root: &str,
        queue_capacity: usize,
        max_batch_ops: usize,
        durable: bool,
    ) -> PyResult<Self> {
        let config = WriterConfig {
            queue_capacity,
            max_batch_ops,
        };
        let inner = detach::engine(py, || {
            Store::open_with(&path, default_artifact_root, config, durable)
        })?;
        Ok(Self {
            inner: Arc::new(inner),
            pid: std::process::id(),
        })
    }

    /// Opens the store a tracking URI names (`sqlite:///path`, `http(s)://host:port`).
    /// `durable=False` skips every fsync of an SQLite store (a throwaway store, such as a
    /// test's).
    #[staticmethod]
    #[pyo3(signature = (uri, default_artifact_root, queue_capacity = 32_768, max_batch_ops = 8_192, spool_dir = None, durable = true))]
    fn open(
        py: Python<'_>,
        uri: &str,
        default_artifact_root: &str,
        queue_capacity: usize,
        max_batch_ops: usize,
        spool_dir: Option<PathBuf>,
        durable: bool,
    ) -> PyResult<Self> {
        let options = OpenOptions {
            default_artifact_root: default_artifact_root.to_owned(),
            writer: WriterConfig {
                queue_capacity,
                max_batch_ops,
            },
            spool_dir,
            scratch: !durable,
        };
        let inner = detach::engine(py, || backend::open(uri, &options))?;
        Ok(Self {
            inner: Arc::from(inner),
            pid: std::process::id(),
        })
    }

    /// The SQLite file's path, or the server's URL. A `str`, never a `pathlib.Path`: pyo3
    /// imports pathlib lazily into a once-cell the first time a path is returned, and a thread
    /// that re-enters that cell while filling it (a SIGTERM handler closing the stores halfway
    /// through the import) or a child forked meanwhile waits on it forever. No binding returns
    /// a path.
    #[getter]
    fn location(&self) -> String {
        self.inner.location()
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
        log_metric(py, &*self.inner, run_id, key, value, timestamp, step)
    }

    /// The fluent `log_metrics` in one call: `metrics` maps str keys to plain floats or ints,
    /// stamped `timestamp` (now when None) at `step`. Returns False, having done nothing, when
    /// an entry needs Python's conversions or there are more than a batch holds; the caller
    /// then takes the general path.
    #[pyo3(signature = (run_id, metrics, timestamp, step))]
    fn log_metrics(
        &self,
        py: Python<'_>,
        run_id: &str,
        metrics: &Bound<'_, PyDict>,
        timestamp: Option<i64>,
        step: i64,
    ) -> PyResult<bool> {
        log_metrics(py, &*self.inner, run_id, metrics, timestamp, step)
    }

    /// `MlflowClient.log_batch` of metrics only, read straight from a list of mlrs `Metric`
    /// entities (the key, value, timestamp, step and model id of their `_row`). Returns
    /// False, having done nothing, when an entry is anything else (another class, a value that
    /// needs conversion, a model's metric, ...) or the list is longer than a batch.
    fn log_metric_entities(
        &self,
        py: Python<'_>,
        run_id: &str,
        metrics: &Bound<'_, PyList>,
    ) -> PyResult<bool> {
        if metrics.len() > MAX_METRICS_PER_BATCH {
            return Ok(false);
        }
        let row_name = pyo3::intern!(py, "_row");
        let mut points = Vec::with_capacity(metrics.len());
        for metric in metrics.iter() {
            // `(key, value, timestamp, step, model_id, ...)`, in `Metric._row`'s order.
            let Ok(row) = metric.getattr(row_name) else {
                return Ok(false);
            };
            let Ok(row) = row.cast_exact::<PyTuple>() else {
                return Ok(false);
            };
            let field = |i| row.get_borrowed_item(i).ok();
            let (Some(key), Some(value), Some(timestamp), Some(step), Some(model_id)) =
                (field(0), field(1), field(2), field(3), field(4))
            else {
                return Ok(false);
            };
            let point = (
                plain_str(&key),
                plain_number(&value),
                plain_int(&timestamp).filter(|t| *t >= 0),
                plain_int(&step),
            );
            let (Some(key), Some(value), Some(timestamp), Some(step)) = point else {
                return Ok(false);
            };
            if !model_id.is_none() {
                return Ok(false);
            }
            points.push(MetricPoint::new(&*key, value, timestamp, step));
        }
        if points.is_empty() {
            return Ok(false);
        }
        self.submit_metrics(py, run_id, points)?;
        Ok(true)
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

    /// Refuses new writes, commits what was queued, and stops the writer thread and the
    /// connections, giving up after `timeout` seconds (None: no limit). Returns what was not
    /// stored: the number of queued writes left, and the message of a failure no caller was
    /// told of (or None). Closing a closed store, or one inherited through fork, does nothing.
    #[pyo3(signature = (timeout = None))]
    fn close(&self, py: Python<'_>, timeout: Option<f64>) -> (u64, Option<String>) {
        if self.pid != std::process::id() {
            return (0, None);
        }
        let timeout = timeout
            .and_then(|t| std::time::Duration::try_from_secs_f64(t.max(0.0)).ok())
            .unwrap_or(std::time::Duration::from_hours(24));
        let unstored = py.detach(|| self.inner.close_within(timeout));
        (unstored.ops, unstored.failure.map(|e| e.to_string()))
    }

    /// True once the store is closed, and in a process forked after it was opened (where it is
    /// unusable): open a new one.
    #[getter]
    fn closed(&self) -> bool {
        self.pid != std::process::id() || self.inner.is_closed()
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

    fn get_experiment(&self, py: Python<'_>, experiment_id: &str) -> PyResult<PyExperimentRow> {
        Ok(self.run(py, |s| s.get_experiment(experiment_id))?.into())
    }

    fn get_experiment_by_name(
        &self,
        py: Python<'_>,
        name: &str,
    ) -> PyResult<Option<PyExperimentRow>> {
        Ok(self
            .run(py, |s| s.get_experiment_by_name(name))?
            .map(PyExperimentRow::from))
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
    ) -> PyResult<Vec<PyExperimentRow>> {
        let Some(view_type) = ViewType::from_int(view_type) else {
            return Ok(Vec::new());
        };
        let found = self.run(py, |s| {
            s.search_experiments(view_type, filter_string, &order_by, max_results, offset)
        })?;
        Ok(found.into_iter().map(PyExperimentRow::from).collect())
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
    ) -> PyResult<PyRunRow> {
        let run = self.run(py, |s| {
            s.create_run(experiment_id, user_id, start_time, run_name, tags)
        })?;
        PyRunRow::new(py, run)
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
    ) -> PyResult<Vec<PyRunRow>> {
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
        runs.into_iter().map(|run| PyRunRow::new(py, run)).collect()
    }

    fn get_run(&self, py: Python<'_>, run_id: &str) -> PyResult<PyRunRow> {
        PyRunRow::new(py, self.run(py, |s| s.get_run(run_id))?)
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

/// Before `os.fork`: waits until no thread of this process is inside SQLite and holds new calls
/// at the door, so the child inherits no SQLite lock. Runs with the GIL held on purpose: no
/// thread inside SQLite needs it to get out, and no other Python thread may start a call.
#[pyfunction]
pub fn fork_pause() {
    crate::engine::store::gate::pause();
}

/// After `os.fork`, in the parent and in the child: lets SQLite calls in again.
#[pyfunction]
pub fn fork_resume() {
    crate::engine::store::gate::resume();
}

/// MLflow's check of a metric name on its own: for the failures MLflow only meets when it binds
/// a value (a NaN step, an integer past 64 bits), which it reports after this check.
#[pyfunction]
pub fn check_metric_key(key: &str) -> PyResult<()> {
    Ok(crate::engine::validate::validate_metric_key(key, "")?)
}
