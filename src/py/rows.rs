//! The engine's rows as Python reads them: one frozen class per kind of row, with named,
//! read-only fields, built from the engine's structs once an engine call has returned.
//! `python/mlrs/_core.pyi` declares the same classes; `mlrs._convert`, `mlrs._registry` and
//! `mlrs._logged_models` read them by name (`row.run_id`) and build MLflow's entities.
//!
//! Fields keep their Rust values and become Python objects when read (pyo3's `get_all`), so a
//! caller that needs one field (`store.get_run(run_id).artifact_uri`) converts only that one.
//! A nested row is a Python object already (`Py<...>`), handed out as it is.

use pyo3::prelude::*;

use crate::engine::logged_models::{LoggedModel, ModelMetric};
use crate::engine::model::{Dataset, DatasetInput, Experiment, MetricPoint, Run};
use crate::engine::store::registry::{ModelVersion, RegisteredModel};

/// `(key, value, timestamp, step)` of a metric point, NaN restored.
///
/// A plain tuple rather than a row class: `Metric._from_rows` builds the entities in bulk with
/// `starmap`, which unpacks a tuple in C. Measured (issue 14, release build), building Metrics
/// from 100,000 points took ~0.6 µs a point from tuples against ~1.0 µs from a frozen class
/// with four fields read by name (~1.1-1.8 µs with the cyclic GC on); at five points a call
/// (a run's latest metrics) the tuples were no slower.
pub type MetricTuple = (String, f64, i64, i64);

fn metric(p: MetricPoint) -> MetricTuple {
    let value = p.read_value();
    (p.key.into_string(), value, p.timestamp_ms, p.step)
}

/// An experiment with its tags.
#[pyclass(frozen, get_all, module = "mlrs._core", name = "ExperimentRow")]
pub struct PyExperimentRow {
    experiment_id: String,
    name: String,
    artifact_location: Option<String>,
    lifecycle_stage: &'static str,
    creation_time: Option<i64>,
    last_update_time: Option<i64>,
    tags: Vec<(String, String)>,
    workspace: String,
}

impl From<Experiment> for PyExperimentRow {
    fn from(e: Experiment) -> Self {
        Self {
            experiment_id: e.experiment_id.to_string(),
            name: e.name,
            artifact_location: e.artifact_location,
            lifecycle_stage: e.lifecycle_stage.as_str(),
            creation_time: e.creation_time,
            last_update_time: e.last_update_time,
            tags: e.tags,
            workspace: e.workspace,
        }
    }
}

/// A run: its info fields, then its data (latest metrics, params, tags), inputs and outputs.
#[pyclass(frozen, get_all, module = "mlrs._core", name = "RunRow")]
pub struct PyRunRow {
    run_id: String,
    run_name: Option<String>,
    experiment_id: String,
    user_id: Option<String>,
    status: String,
    start_time: Option<i64>,
    end_time: Option<i64>,
    lifecycle_stage: &'static str,
    artifact_uri: Option<String>,
    /// The latest point of each metric.
    metrics: Vec<MetricTuple>,
    params: Vec<(String, String)>,
    tags: Vec<(String, Option<String>)>,
    /// The datasets the run used, in logging order.
    datasets: Vec<Py<PyDatasetInputRow>>,
    /// Ids of the logged models the run used.
    model_inputs: Vec<String>,
    /// `(model_id, step)` of the logged models the run produced, in logging order.
    model_outputs: Vec<(String, i64)>,
}

impl PyRunRow {
    pub fn new(py: Python<'_>, run: Run) -> PyResult<Self> {
        let i = run.info;
        let datasets = run
            .inputs
            .datasets
            .into_iter()
            .map(|input| PyDatasetInputRow::new_in(py, input))
            .collect::<PyResult<_>>()?;
        Ok(Self {
            run_id: i.run_id,
            run_name: i.run_name,
            experiment_id: i.experiment_id.to_string(),
            user_id: i.user_id,
            status: i.status,
            start_time: i.start_time,
            end_time: i.end_time,
            lifecycle_stage: i.lifecycle_stage.as_str(),
            artifact_uri: i.artifact_uri,
            metrics: run.latest_metrics.into_iter().map(metric).collect(),
            params: run.params,
            tags: run.tags,
            datasets,
            model_inputs: run.inputs.model_ids,
            model_outputs: run.outputs,
        })
    }
}

/// A dataset as `mlflow.entities.Dataset` holds it (source, schema and profile are JSON text).
/// Python builds these too, for `Store.log_inputs`.
#[pyclass(frozen, get_all, module = "mlrs._core", name = "DatasetRow")]
pub struct PyDatasetRow {
    name: String,
    digest: String,
    source_type: String,
    source: String,
    schema: Option<String>,
    profile: Option<String>,
}

#[pymethods]
impl PyDatasetRow {
    #[new]
    #[pyo3(signature = (*, name, digest, source_type, source, schema, profile))]
    fn py_new(
        name: String,
        digest: String,
        source_type: String,
        source: String,
        schema: Option<String>,
        profile: Option<String>,
    ) -> Self {
        Self {
            name,
            digest,
            source_type,
            source,
            schema,
            profile,
        }
    }
}

impl From<Dataset> for PyDatasetRow {
    fn from(d: Dataset) -> Self {
        Self {
            name: d.name,
            digest: d.digest,
            source_type: d.source_type,
            source: d.source,
            schema: d.schema,
            profile: d.profile,
        }
    }
}

/// A dataset a run used, with the input's tags.
#[pyclass(frozen, get_all, module = "mlrs._core", name = "DatasetInputRow")]
pub struct PyDatasetInputRow {
    dataset: Py<PyDatasetRow>,
    tags: Vec<(String, String)>,
}

#[pymethods]
impl PyDatasetInputRow {
    #[new]
    fn py_new(dataset: Py<PyDatasetRow>, tags: Vec<(String, String)>) -> Self {
        Self { dataset, tags }
    }
}

impl PyDatasetInputRow {
    fn new_in(py: Python<'_>, input: DatasetInput) -> PyResult<Py<Self>> {
        let dataset = Py::new(py, PyDatasetRow::from(input.dataset))?;
        Py::new(
            py,
            Self {
                dataset,
                tags: input.tags,
            },
        )
    }

    /// The engine's copy, for a write.
    pub fn to_engine(&self) -> DatasetInput {
        let d = self.dataset.get();
        DatasetInput {
            dataset: Dataset {
                name: d.name.clone(),
                digest: d.digest.clone(),
                source_type: d.source_type.clone(),
                source: d.source.clone(),
                schema: d.schema.clone(),
                profile: d.profile.clone(),
            },
            tags: self.tags.clone(),
        }
    }
}

/// A version of a registered model, with its tags and aliases.
#[pyclass(frozen, get_all, module = "mlrs._core", name = "ModelVersionRow")]
pub struct PyModelVersionRow {
    name: String,
    version: i64,
    creation_time: Option<i64>,
    last_updated_time: Option<i64>,
    description: Option<String>,
    user_id: Option<String>,
    current_stage: Option<String>,
    source: Option<String>,
    run_id: Option<String>,
    status: Option<String>,
    status_message: Option<String>,
    run_link: Option<String>,
    storage_location: Option<String>,
    workspace: String,
    tags: Vec<(String, Option<String>)>,
    aliases: Vec<String>,
}

impl From<ModelVersion> for PyModelVersionRow {
    fn from(v: ModelVersion) -> Self {
        Self {
            name: v.name,
            version: v.version,
            creation_time: v.creation_time,
            last_updated_time: v.last_updated_time,
            description: v.description,
            user_id: v.user_id,
            current_stage: v.current_stage,
            source: v.source,
            run_id: v.run_id,
            status: v.status,
            status_message: v.status_message,
            run_link: v.run_link,
            storage_location: v.storage_location,
            workspace: v.workspace,
            tags: v.tags,
            aliases: v.aliases,
        }
    }
}

/// A registered model with its tags, aliases (`(alias, version)`) and latest version per stage.
#[pyclass(frozen, get_all, module = "mlrs._core", name = "RegisteredModelRow")]
pub struct PyRegisteredModelRow {
    name: String,
    creation_time: Option<i64>,
    last_updated_time: Option<i64>,
    description: Option<String>,
    workspace: String,
    tags: Vec<(String, Option<String>)>,
    aliases: Vec<(String, i64)>,
    latest_versions: Vec<Py<PyModelVersionRow>>,
}

impl PyRegisteredModelRow {
    pub fn new(py: Python<'_>, m: RegisteredModel) -> PyResult<Self> {
        let latest_versions = m
            .latest_versions
            .into_iter()
            .map(|v| Py::new(py, PyModelVersionRow::from(v)))
            .collect::<PyResult<_>>()?;
        Ok(Self {
            name: m.name,
            creation_time: m.creation_time,
            last_updated_time: m.last_updated_time,
            description: m.description,
            workspace: m.workspace,
            tags: m.tags,
            aliases: m.aliases,
            latest_versions,
        })
    }
}

/// A metric of a logged model (`value` is None for a NULL the table may hold).
#[pyclass(frozen, get_all, module = "mlrs._core", name = "ModelMetricRow")]
pub struct PyModelMetricRow {
    key: String,
    value: Option<f64>,
    timestamp_ms: i64,
    step: i64,
    run_id: String,
    dataset_name: Option<String>,
    dataset_digest: Option<String>,
}

impl From<ModelMetric> for PyModelMetricRow {
    fn from(m: ModelMetric) -> Self {
        Self {
            key: m.key,
            value: m.value,
            timestamp_ms: m.timestamp_ms,
            step: m.step,
            run_id: m.run_id,
            dataset_name: m.dataset_name,
            dataset_digest: m.dataset_digest,
        }
    }
}

/// A logged model with its tags, params and metrics; `status` is MLflow's stored integer.
#[pyclass(frozen, get_all, module = "mlrs._core", name = "LoggedModelRow")]
pub struct PyLoggedModelRow {
    model_id: String,
    experiment_id: String,
    name: String,
    artifact_location: String,
    creation_timestamp_ms: i64,
    last_updated_timestamp_ms: i64,
    status: i64,
    lifecycle_stage: Option<String>,
    model_type: Option<String>,
    source_run_id: Option<String>,
    status_message: Option<String>,
    tags: Vec<(String, String)>,
    params: Vec<(String, String)>,
    metrics: Vec<Py<PyModelMetricRow>>,
}

impl PyLoggedModelRow {
    pub fn new(py: Python<'_>, m: LoggedModel) -> PyResult<Self> {
        let metrics = m
            .metrics
            .into_iter()
            .map(|metric| Py::new(py, PyModelMetricRow::from(metric)))
            .collect::<PyResult<_>>()?;
        Ok(Self {
            model_id: m.model_id,
            experiment_id: m.experiment_id.to_string(),
            name: m.name,
            artifact_location: m.artifact_location,
            creation_timestamp_ms: m.creation_timestamp_ms,
            last_updated_timestamp_ms: m.last_updated_timestamp_ms,
            status: m.status,
            lifecycle_stage: m.lifecycle_stage,
            model_type: m.model_type,
            source_run_id: m.source_run_id,
            status_message: m.status_message,
            tags: m.tags,
            params: m.params,
            metrics,
        })
    }
}
