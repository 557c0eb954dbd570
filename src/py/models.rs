//! Logged models on `mlrs._core.Store`: create, finalize, read, search, and the run outputs that
//! link runs to the models they produced, through the backend's `LoggedModels` (a SQLite file
//! or a tracking server alike), each after a flush of what the process queued.

// PyO3 extracts arguments into owned values; taking them by reference would copy them again.
#![allow(clippy::needless_pass_by_value)]

use pyo3::prelude::*;

use crate::engine::logged_models::{DatasetFilter, ModelMetricPoint, NewModel, OrderBy};
use crate::py::rows::PyLoggedModelRow;
use crate::py::store::PyStore;

/// `(model_id, key, value, timestamp, step, dataset_name, dataset_digest)`: points to write,
/// built in bulk by autologging (a tuple, as the metric points of `log_batch` are).
type ModelMetricPointTuple = (
    String,
    String,
    f64,
    i64,
    i64,
    Option<String>,
    Option<String>,
);

#[pymethods]
impl PyStore {
    /// Creates a PENDING logged model in an active experiment.
    #[pyo3(signature = (experiment_id, name, source_run_id, model_type, params, tags))]
    #[allow(clippy::too_many_arguments)] // one argument per column MLflow's create takes
    fn create_logged_model(
        &self,
        py: Python<'_>,
        experiment_id: String,
        name: String,
        source_run_id: Option<String>,
        model_type: Option<String>,
        params: Vec<(String, String)>,
        tags: Vec<(String, String)>,
    ) -> PyResult<PyLoggedModelRow> {
        let new = NewModel {
            experiment_id,
            name,
            source_run_id,
            model_type,
            params,
            tags,
        };
        PyLoggedModelRow::new(py, self.run(py, |s| s.models().create_logged_model(new))?)
    }

    /// Sets a model's status: 2 (READY) or 3 (FAILED).
    fn finalize_logged_model(
        &self,
        py: Python<'_>,
        model_id: &str,
        status: i64,
    ) -> PyResult<PyLoggedModelRow> {
        PyLoggedModelRow::new(
            py,
            self.run(py, |s| s.models().finalize_logged_model(model_id, status))?,
        )
    }

    #[pyo3(signature = (model_id, allow_deleted = false))]
    fn get_logged_model(
        &self,
        py: Python<'_>,
        model_id: &str,
        allow_deleted: bool,
    ) -> PyResult<PyLoggedModelRow> {
        PyLoggedModelRow::new(
            py,
            self.run(py, |s| s.models().get_logged_model(model_id, allow_deleted))?,
        )
    }

    fn set_logged_model_tags(
        &self,
        py: Python<'_>,
        model_id: &str,
        tags: Vec<(String, String)>,
    ) -> PyResult<()> {
        self.run(py, |s| s.models().set_logged_model_tags(model_id, tags))
    }

    /// Links `(model_id, step)` outputs to an active run.
    fn log_outputs(
        &self,
        py: Python<'_>,
        run_id: &str,
        outputs: Vec<(String, i64)>,
    ) -> PyResult<()> {
        self.run(py, |s| s.models().log_outputs(run_id, outputs))
    }

    /// Copies the run's metric points at `step` onto the model.
    fn link_run_metrics_to_model(
        &self,
        py: Python<'_>,
        model_id: &str,
        run_id: &str,
        step: i64,
    ) -> PyResult<()> {
        self.run(py, |s| {
            s.models().link_run_metrics_to_model(model_id, run_id, step)
        })
    }

    /// Metric points of `run_id` linked to models: `(model_id, key, value, timestamp, step,
    /// dataset_name, dataset_digest)`.
    fn log_model_metrics(
        &self,
        py: Python<'_>,
        run_id: &str,
        points: Vec<ModelMetricPointTuple>,
    ) -> PyResult<()> {
        if points.is_empty() {
            return Ok(()); // nothing to write, and no reason to wait for the queue
        }
        let points = points
            .into_iter()
            .map(
                |(model_id, key, value, timestamp_ms, step, dataset_name, dataset_digest)| {
                    ModelMetricPoint {
                        model_id,
                        key,
                        value,
                        timestamp_ms,
                        step,
                        dataset_name,
                        dataset_digest,
                    }
                },
            )
            .collect();
        self.run(py, |s| s.models().log_model_metrics(run_id, points))
    }

    /// For each run id, its `(model_id, step)` outputs.
    fn model_outputs(
        &self,
        py: Python<'_>,
        run_ids: Vec<String>,
    ) -> PyResult<Vec<Vec<(String, i64)>>> {
        self.run(py, |s| s.models().model_outputs(&run_ids))
    }

    /// Active models of the experiments meeting `filter` (MLflow's grammar), with metrics
    /// of `datasets` (`(name, digest)`), ordered by `order_by` (`(field, ascending,
    /// dataset_name, dataset_digest)`), then newest first.
    #[pyo3(signature = (experiment_ids, filter, datasets, order_by, limit, offset))]
    #[allow(clippy::too_many_arguments)] // the search's parts, as MLflow's store takes them
    fn search_logged_models(
        &self,
        py: Python<'_>,
        experiment_ids: Vec<String>,
        filter: Option<String>,
        datasets: Vec<(String, Option<String>)>,
        order_by: Vec<(String, bool, Option<String>, Option<String>)>,
        limit: i64,
        offset: i64,
    ) -> PyResult<Vec<PyLoggedModelRow>> {
        let datasets: Vec<DatasetFilter> = datasets
            .into_iter()
            .map(|(name, digest)| DatasetFilter { name, digest })
            .collect();
        let order_by: Vec<OrderBy> = order_by
            .into_iter()
            .map(|(field, ascending, dataset_name, dataset_digest)| OrderBy {
                field,
                ascending,
                dataset_name,
                dataset_digest,
            })
            .collect();
        let models = self.run(py, |s| {
            s.models().search_logged_models(
                &experiment_ids,
                filter.as_deref(),
                &datasets,
                &order_by,
                limit,
                offset,
            )
        })?;
        models
            .into_iter()
            .map(|m| PyLoggedModelRow::new(py, m))
            .collect()
    }

    /// Marks a model deleted.
    fn delete_logged_model(&self, py: Python<'_>, model_id: &str) -> PyResult<()> {
        self.run(py, |s| s.models().delete_logged_model(model_id))
    }

    /// Removes one tag of a model.
    fn delete_logged_model_tag(&self, py: Python<'_>, model_id: &str, key: &str) -> PyResult<()> {
        self.run(py, |s| s.models().delete_logged_model_tag(model_id, key))
    }

    /// Adds params to a model.
    fn log_logged_model_params(
        &self,
        py: Python<'_>,
        model_id: &str,
        params: Vec<(String, String)>,
    ) -> PyResult<()> {
        self.run(py, |s| s.models().log_logged_model_params(model_id, params))
    }
}
