//! `mlrs._core.Store`: one SQLite tracking store, its writer thread and its reader.

// PyO3 extracts arguments into owned values; taking them by reference would copy them again.
#![allow(clippy::needless_pass_by_value)]

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyFloat, PyInt, PyList, PyString};

use crate::engine::Store;
use crate::engine::clock::now_ms;
use crate::engine::model::{MetricPoint, RunId, RunStatus, ViewType};
use crate::engine::validate;
use crate::engine::writer::{Submitted, WriteOp, WriterConfig};
use crate::py::convert::{self, ExperimentTuple, MetricTuple, RunTuple};
use crate::py::detach;

/// MLflow's limit of metrics in one `log_batch`; longer inputs take the Python path, which
/// splits them as MLflow's client does.
const MAX_METRICS_PER_BATCH: usize = 1000;

/// A float for a metric from a plain Python float or int; None for anything else (bools,
/// numpy scalars, strings, ...), which the Python layer converts or refuses as MLflow does.
fn plain_number(value: &Bound<'_, PyAny>) -> Option<f64> {
    if let Ok(float) = value.cast_exact::<PyFloat>() {
        return Some(float.value());
    }
    if value.cast_exact::<PyInt>().is_ok() {
        return value.extract::<f64>().ok();
    }
    None
}

/// A plain Python int that fits i64; None otherwise.
fn plain_int(value: &Bound<'_, PyAny>) -> Option<i64> {
    value.cast_exact::<PyInt>().ok()?.extract::<i64>().ok()
}

/// A plain Python str as UTF-8; None for other types or strings with lone surrogates.
fn plain_str<'a>(value: &'a Bound<'_, PyAny>) -> Option<std::borrow::Cow<'a, str>> {
    value.cast_exact::<PyString>().ok()?.to_cow().ok()
}

#[pyclass(frozen, name = "Store", module = "mlrs._core")]
pub struct PyStore {
    pub(crate) inner: Store,
}

impl PyStore {
    /// Queues an op; only a full queue releases the GIL and waits.
    fn submit(&self, py: Python<'_>, op: WriteOp) -> PyResult<()> {
        match self.inner.try_enqueue(op)? {
            Submitted::Queued => Ok(()),
            Submitted::Full(op) => detach::engine(py, || self.inner.enqueue_blocking(op)),
        }
    }

    /// Queues what `make_op` builds, all without the GIL: ops other than metrics read the
    /// run's state from the database first, as MLflow checks it on every call.
    fn submit_checked(
        &self,
        py: Python<'_>,
        make_op: impl FnOnce(&Store) -> crate::engine::Result<Option<WriteOp>> + Send,
    ) -> PyResult<()> {
        detach::engine(py, || match make_op(&self.inner)? {
            Some(op) => self.inner.enqueue(op),
            None => Ok(()),
        })
    }

    /// Runs a read or a synchronous write without the GIL, after an interruptible flush.
    pub(crate) fn call<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&Store) -> crate::engine::Result<T> + Send,
    ) -> PyResult<T> {
        detach::flush(py, &self.inner)?;
        detach::engine(py, || f(&self.inner))
    }

    /// The run's shared id when it is active: from the cache (one lock), or read once from the
    /// database without the GIL when the cache cannot tell.
    fn active_run(&self, py: Python<'_>, run_id: &str) -> PyResult<RunId> {
        match self.inner.fresh_run_id(run_id) {
            Some(id) => Ok(id),
            None => detach::engine(py, || self.inner.refresh_run(run_id)),
        }
    }

    /// Queues metric points of one run as one batch op, validated as MLflow's `log_batch`
    /// validates them (names, then the batch limit, then the run).
    fn submit_metrics(
        &self,
        py: Python<'_>,
        run_id: &str,
        points: Vec<MetricPoint>,
    ) -> PyResult<()> {
        self.inner.validate_metric_batch(run_id, &points)?;
        let run_id = self.active_run(py, run_id)?;
        self.submit(
            py,
            WriteOp::Batch {
                run_id,
                metrics: points,
                params: Vec::new(),
                tags: Vec::new(),
            },
        )
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
        let inner = detach::engine(py, || Store::open(&path, default_artifact_root, config))?;
        Ok(Self { inner })
    }

    #[getter]
    fn path(&self) -> PathBuf {
        self.inner.path().to_owned()
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
        validate::validate_metric_key(key, "")?;
        let run_id = self.active_run(py, run_id)?;
        self.submit(
            py,
            Store::metric_op_for(run_id, key, value, timestamp, step),
        )
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
        if metrics.len() > MAX_METRICS_PER_BATCH || timestamp.is_some_and(|t| t < 0) {
            return Ok(false);
        }
        let timestamp = timestamp.unwrap_or_else(now_ms);
        let mut points = Vec::with_capacity(metrics.len());
        for (key, value) in metrics.iter() {
            let (Some(key), Some(value)) = (plain_str(&key), plain_number(&value)) else {
                return Ok(false);
            };
            points.push(MetricPoint::new(key.into_owned(), value, timestamp, step));
        }
        if points.is_empty() {
            return Ok(true);
        }
        self.submit_metrics(py, run_id, points)?;
        Ok(true)
    }

    /// `MlflowClient.log_batch` of metrics only, read straight from a list of mlrs `Metric`
    /// entities (their `_key`, `_value`, `_timestamp`, `_step` and `_model_id` slots). Returns
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
        let names = (
            pyo3::intern!(py, "_key"),
            pyo3::intern!(py, "_value"),
            pyo3::intern!(py, "_timestamp"),
            pyo3::intern!(py, "_step"),
            pyo3::intern!(py, "_model_id"),
        );
        let mut points = Vec::with_capacity(metrics.len());
        for metric in metrics.iter() {
            let (Ok(key), Ok(value), Ok(timestamp), Ok(step), Ok(model_id)) = (
                metric.getattr(names.0),
                metric.getattr(names.1),
                metric.getattr(names.2),
                metric.getattr(names.3),
                metric.getattr(names.4),
            ) else {
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
            points.push(MetricPoint::new(key.into_owned(), value, timestamp, step));
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
        self.call(py, |s| s.delete_tag(run_id, key))
    }

    /// Waits until everything queued so far is committed; raises a pending write failure.
    fn flush(&self, py: Python<'_>) -> PyResult<()> {
        detach::flush(py, &self.inner)
    }

    /// Commits what is queued and stops the writer thread.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        detach::engine(py, || self.inner.close())
    }

    // ---- experiments -----------------------------------------------------------------------

    fn create_experiment(
        &self,
        py: Python<'_>,
        name: &str,
        artifact_location: Option<String>,
        tags: Vec<(String, String)>,
    ) -> PyResult<String> {
        let id = self.call(py, |s| s.create_experiment(name, artifact_location, tags))?;
        Ok(id.to_string())
    }

    fn get_experiment(&self, py: Python<'_>, experiment_id: &str) -> PyResult<ExperimentTuple> {
        Ok(convert::experiment(
            self.call(py, |s| s.get_experiment(experiment_id))?,
        ))
    }

    fn get_experiment_by_name(
        &self,
        py: Python<'_>,
        name: &str,
    ) -> PyResult<Option<ExperimentTuple>> {
        Ok(self
            .call(py, |s| s.get_experiment_by_name(name))?
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
        let found = self.call(py, |s| {
            s.search_experiments(view_type, filter_string, &order_by, max_results, offset)
        })?;
        Ok(found.into_iter().map(convert::experiment).collect())
    }

    fn delete_experiment(&self, py: Python<'_>, experiment_id: &str) -> PyResult<()> {
        self.call(py, |s| s.delete_experiment(experiment_id))
    }

    fn restore_experiment(&self, py: Python<'_>, experiment_id: &str) -> PyResult<()> {
        self.call(py, |s| s.restore_experiment(experiment_id))
    }

    fn rename_experiment(
        &self,
        py: Python<'_>,
        experiment_id: &str,
        new_name: &str,
    ) -> PyResult<()> {
        self.call(py, |s| s.rename_experiment(experiment_id, new_name))
    }

    fn set_experiment_tag(
        &self,
        py: Python<'_>,
        experiment_id: &str,
        key: &str,
        value: &str,
    ) -> PyResult<()> {
        self.call(py, |s| s.set_experiment_tag(experiment_id, key, value))
    }

    fn delete_experiment_tag(
        &self,
        py: Python<'_>,
        experiment_id: &str,
        key: &str,
    ) -> PyResult<()> {
        self.call(py, |s| s.delete_experiment_tag(experiment_id, key))
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
        let run = self.call(py, |s| {
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
        let runs = self.call(py, |s| {
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
        Ok(convert::run(self.call(py, |s| s.get_run(run_id))?))
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
        self.call(py, |s| {
            s.update_run_info(run_id, status, end_time, run_name)
        })
    }

    fn delete_run(&self, py: Python<'_>, run_id: &str) -> PyResult<()> {
        self.call(py, |s| s.delete_run(run_id))
    }

    fn restore_run(&self, py: Python<'_>, run_id: &str) -> PyResult<()> {
        self.call(py, |s| s.restore_run(run_id))
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
        let series = self.call(py, |s| s.get_metric_series(run_id, key, max_points))?;
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
