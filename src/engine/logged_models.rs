//! The logged-model domain (MLflow 3's `LoggedModel`) behind one interface, so the binding
//! calls one path whichever backend holds the models: the SQLite file writes its tables
//! (`store/models.rs`), a tracking server takes REST calls (`remote/models.rs`).
//!
//! Both see what the process queued before: the binding flushes the write queue before it
//! calls any of these (`PyStore::run`).

use crate::engine::error::Result;
use crate::engine::store::Store;
pub use crate::engine::store::models::{
    DatasetFilter, LoggedModel, ModelMetric, ModelMetricPoint, NewModel, OrderBy,
};

/// Logged models, their tags, params and metrics, and the outputs that link runs to them.
pub trait LoggedModels: Send + Sync {
    /// A new PENDING model in an active experiment.
    fn create_logged_model(&self, new: NewModel) -> Result<LoggedModel>;
    /// Sets a model's status: READY (2) or FAILED (3).
    fn finalize_logged_model(&self, model_id: &str, status: i64) -> Result<LoggedModel>;
    fn get_logged_model(&self, model_id: &str, allow_deleted: bool) -> Result<LoggedModel>;
    fn set_logged_model_tags(&self, model_id: &str, tags: Vec<(String, String)>) -> Result<()>;
    fn delete_logged_model_tag(&self, model_id: &str, key: &str) -> Result<()>;
    fn delete_logged_model(&self, model_id: &str) -> Result<()>;
    fn log_logged_model_params(&self, model_id: &str, params: Vec<(String, String)>) -> Result<()>;
    /// Active models of the experiments meeting `filter`, `limit` of them from `offset`.
    fn search_logged_models(
        &self,
        experiment_ids: &[String],
        filter: Option<&str>,
        datasets: &[DatasetFilter],
        order_by: &[OrderBy],
        limit: i64,
        offset: i64,
    ) -> Result<Vec<LoggedModel>>;
    /// Links models to an active run as its outputs, each with a step.
    fn log_outputs(&self, run_id: &str, outputs: Vec<(String, i64)>) -> Result<()>;
    /// Makes the run's metric points at `step` metrics of the model too.
    fn link_run_metrics_to_model(&self, model_id: &str, run_id: &str, step: i64) -> Result<()>;
    /// Metric points a run logged for models (the run has them already).
    fn log_model_metrics(&self, run_id: &str, points: Vec<ModelMetricPoint>) -> Result<()>;
    /// For each run, its `(model_id, step)` outputs.
    fn model_outputs(&self, run_ids: &[String]) -> Result<Vec<Vec<(String, i64)>>>;
}

impl LoggedModels for Store {
    fn create_logged_model(&self, new: NewModel) -> Result<LoggedModel> {
        Store::create_logged_model(self, new)
    }
    fn finalize_logged_model(&self, model_id: &str, status: i64) -> Result<LoggedModel> {
        Store::finalize_logged_model(self, model_id, status)
    }
    fn get_logged_model(&self, model_id: &str, allow_deleted: bool) -> Result<LoggedModel> {
        Store::get_logged_model(self, model_id, allow_deleted)
    }
    fn set_logged_model_tags(&self, model_id: &str, tags: Vec<(String, String)>) -> Result<()> {
        Store::set_logged_model_tags(self, model_id, tags)
    }
    fn delete_logged_model_tag(&self, model_id: &str, key: &str) -> Result<()> {
        Store::delete_logged_model_tag(self, model_id, key)
    }
    fn delete_logged_model(&self, model_id: &str) -> Result<()> {
        Store::delete_logged_model(self, model_id)
    }
    fn log_logged_model_params(&self, model_id: &str, params: Vec<(String, String)>) -> Result<()> {
        Store::log_logged_model_params(self, model_id, params)
    }
    fn search_logged_models(
        &self,
        experiment_ids: &[String],
        filter: Option<&str>,
        datasets: &[DatasetFilter],
        order_by: &[OrderBy],
        limit: i64,
        offset: i64,
    ) -> Result<Vec<LoggedModel>> {
        Store::search_logged_models(
            self,
            experiment_ids,
            filter,
            datasets,
            order_by,
            limit,
            offset,
        )
    }
    fn log_outputs(&self, run_id: &str, outputs: Vec<(String, i64)>) -> Result<()> {
        Store::log_outputs(self, run_id, outputs)
    }
    fn link_run_metrics_to_model(&self, model_id: &str, run_id: &str, step: i64) -> Result<()> {
        Store::link_run_metrics_to_model(self, model_id, run_id, step)
    }
    fn log_model_metrics(&self, run_id: &str, points: Vec<ModelMetricPoint>) -> Result<()> {
        Store::log_model_metrics(self, run_id, points)
    }
    fn model_outputs(&self, run_ids: &[String]) -> Result<Vec<Vec<(String, i64)>>> {
        Store::model_outputs(self, run_ids)
    }
}
