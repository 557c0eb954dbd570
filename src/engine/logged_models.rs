//! The logged-model domain (MLflow 3's `LoggedModel`) behind one interface, so the binding
//! calls one path whichever backend holds the models: the SQLite file writes its tables
//! (`store/models.rs`), a tracking server takes REST calls (`remote/models.rs`).
//!
//! Both see what the process queued before: the binding flushes the write queue before it
//! calls any of these (`PyStore::run`).

use std::collections::HashMap;

use crate::engine::error::{ErrorCode, Result};
use crate::engine::store::Store;
pub use crate::engine::store::models::{
    DatasetFilter, LoggedModel, ModelMetric, ModelMetricPoint, NewModel, OrderBy,
};
use crate::engine::store::registry::{
    LoggedModelSource, MODEL_VERSIONS_TAG, VersionNumber, append_model_version_link,
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

    // What the registry asks of logged models when it registers one. The provided bodies use
    // the calls above (a tracking server's REST API); the SQLite store answers in SQL.

    /// Where a version registered from the model `model_id` points: its artifact location and
    /// source run.
    fn registry_logged_model(&self, model_id: &str) -> Result<LoggedModelSource> {
        let model = self.get_logged_model(model_id, false)?;
        Ok(LoggedModelSource {
            model_id: model.model_id,
            artifact_location: model.artifact_location,
            source_run_id: model.source_run_id,
        })
    }

    /// The logged models called `name` that run `run_id` made (experiment `experiment_id`), the
    /// one logged at the largest step first, as `register_model` picks among them.
    fn registry_logged_models_of_run(
        &self,
        experiment_id: i64,
        run_id: &str,
        name: &str,
    ) -> Result<Vec<String>> {
        let filter = format!(
            "source_run_id = {} AND name = {}",
            quoted(run_id),
            quoted(name)
        );
        let mut models = every_model(self, &experiment_id.to_string(), &filter)?;
        let steps: HashMap<String, i64> = self
            .model_outputs(&[run_id.to_owned()])?
            .into_iter()
            .flatten()
            .collect();
        let step = |id: &str| steps.get(id).copied().unwrap_or(-1);
        models.sort_by(|a, b| {
            (step(&b.model_id), b.creation_timestamp_ms)
                .cmp(&(step(&a.model_id), a.creation_timestamp_ms))
        });
        Ok(models.into_iter().map(|m| m.model_id).collect())
    }

    /// The active logged models run `run_id` (of experiment `experiment_id`) made: those whose
    /// source run it is and those it logged as outputs, oldest first. The SQLite UI asks in SQL
    /// (`ui::table::run_models`); this is the same answer through the calls above.
    fn models_of_run(&self, experiment_id: &str, run_id: &str) -> Result<Vec<LoggedModel>> {
        let filter = format!("source_run_id = {}", quoted(run_id));
        let mut models = every_model(self, experiment_id, &filter)?;
        let outputs = self.model_outputs(&[run_id.to_owned()])?;
        for (model_id, _) in outputs.into_iter().flatten() {
            if models.iter().any(|m| m.model_id == model_id) {
                continue;
            }
            match self.get_logged_model(&model_id, false) {
                Ok(model) => models.push(model),
                // Deleted since the run logged it: the run page leaves it out.
                Err(e) if e.code() == ErrorCode::ResourceDoesNotExist => {}
                Err(e) => return Err(e),
            }
        }
        models.sort_by(|a, b| {
            (a.creation_timestamp_ms, &a.model_id).cmp(&(b.creation_timestamp_ms, &b.model_id))
        });
        Ok(models)
    }

    /// Appends `{"name", "version"}` to the model's `mlflow.modelVersions` tag; false when the
    /// logged model does not exist.
    fn link_model_version_to_logged_model(
        &self,
        model_id: &str,
        name: &str,
        version: VersionNumber,
    ) -> Result<bool> {
        let model = match self.get_logged_model(model_id, false) {
            Ok(model) => model,
            Err(e) if e.code() == ErrorCode::ResourceDoesNotExist => return Ok(false),
            Err(e) => return Err(e),
        };
        let existing = model
            .tags
            .iter()
            .find(|(key, _)| key == MODEL_VERSIONS_TAG)
            .map(|(_, value)| value.as_str());
        let value = append_model_version_link(existing, name, &version)?;
        self.set_logged_model_tags(model_id, vec![(MODEL_VERSIONS_TAG.to_owned(), value)])?;
        Ok(true)
    }
}

/// Every active model of one experiment that meets `filter`, read a page at a time.
fn every_model<M: LoggedModels + ?Sized>(
    store: &M,
    experiment_id: &str,
    filter: &str,
) -> Result<Vec<LoggedModel>> {
    const PAGE: i64 = 100;
    let experiments = [experiment_id.to_owned()];
    let mut models = Vec::new();
    loop {
        let offset = i64::try_from(models.len()).unwrap_or(i64::MAX);
        let page =
            store.search_logged_models(&experiments, Some(filter), &[], &[], PAGE, offset)?;
        let last = i64::try_from(page.len()).unwrap_or(0) < PAGE;
        models.extend(page);
        if last {
            return Ok(models);
        }
    }
}

/// A string literal of the search grammar: in single quotes, or double quotes when the text
/// holds a single quote.
fn quoted(text: &str) -> String {
    if text.contains('\'') {
        format!("\"{text}\"")
    } else {
        format!("'{text}'")
    }
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
    fn registry_logged_model(&self, model_id: &str) -> Result<LoggedModelSource> {
        Store::registry_logged_model(self, model_id)
    }
    fn registry_logged_models_of_run(
        &self,
        experiment_id: i64,
        run_id: &str,
        name: &str,
    ) -> Result<Vec<String>> {
        Store::registry_logged_models_of_run(self, experiment_id, run_id, name)
    }
    fn link_model_version_to_logged_model(
        &self,
        model_id: &str,
        name: &str,
        version: VersionNumber,
    ) -> Result<bool> {
        Store::link_model_version_to_logged_model(self, model_id, name, version)
    }
}
