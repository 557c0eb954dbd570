//! The model registry on MLflow 3.18's tables: `registered_models`, `registered_model_tags`,
//! `registered_model_aliases`, `model_versions`, `model_version_tags`, all in the `default`
//! workspace, with the column values MLflow's SQLAlchemy store writes (stage `None`, status
//! `READY`, versions numbered from 1 per model, deleted versions kept as `Deleted_Internal` with
//! redacted fields so their numbers are never reused).
//!
//! Writes run as control ops on the writer thread; reads use the reader connection after the
//! queue has drained. Model version sources given as `models:/...` URIs are resolved here, with
//! this store's own read of `logged_models` (for `models:/m-<id>`) or of the registry.
//!
//! This file has the rows, MLflow's stage names and the registry's errors (its validation is in
//! `engine::validate`); by domain, `models.rs` (registered models), `versions.rs` (model
//! versions), `tags.rs` (tags of both, and aliases), `uri.rs` (`models:/` URIs, parsed and
//! resolved), `logged_models.rs` (the logged models versions come from, and their
//! `mlflow.modelVersions` tag); `read.rs` has the reads they share.

mod logged_models;
mod models;
mod read;
mod tags;
mod uri;
mod versions;

use crate::engine::error::Error;

pub use logged_models::VersionNumber;
pub(crate) use logged_models::append_model_version_link;
pub use uri::{ModelUri, parse_models_uri};

pub const STAGE_NONE: &str = "None";
pub const STAGE_DELETED: &str = "Deleted_Internal";
/// The logged-model tag that lists the model versions registered from it.
pub const MODEL_VERSIONS_TAG: &str = "mlflow.modelVersions";

/// A row of `model_versions` with its tags and (where MLflow fills them) its aliases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelVersion {
    pub name: String,
    pub version: i64,
    pub creation_time: Option<i64>,
    pub last_updated_time: Option<i64>,
    pub description: Option<String>,
    pub user_id: Option<String>,
    pub current_stage: Option<String>,
    pub source: Option<String>,
    pub run_id: Option<String>,
    pub status: Option<String>,
    pub status_message: Option<String>,
    pub run_link: Option<String>,
    pub storage_location: Option<String>,
    pub workspace: String,
    pub tags: Vec<(String, Option<String>)>,
    pub aliases: Vec<String>,
}

/// A row of `registered_models` with its tags, aliases and latest version per stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredModel {
    pub name: String,
    pub creation_time: Option<i64>,
    pub last_updated_time: Option<i64>,
    pub description: Option<String>,
    pub workspace: String,
    pub tags: Vec<(String, Option<String>)>,
    pub aliases: Vec<(String, i64)>,
    pub latest_versions: Vec<ModelVersion>,
}

/// A logged model as the registry needs it: where its files are and the run that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedModelSource {
    pub model_id: String,
    pub artifact_location: String,
    pub source_run_id: Option<String>,
}

/// What a new model version is made from.
#[derive(Debug, Clone, Default)]
pub struct NewModelVersion {
    pub name: String,
    pub source: String,
    pub run_id: Option<String>,
    pub tags: Vec<(String, String)>,
    pub run_link: Option<String>,
    pub description: Option<String>,
    pub model_id: Option<String>,
}

fn model_not_found(name: &str) -> Error {
    Error::not_found(format!("Registered Model with name={name} not found"))
}

fn version_not_found(name: &str, version: i64) -> Error {
    Error::not_found(format!(
        "Model Version (name={name}, version={version}) not found"
    ))
}

fn logged_model_not_found(model_id: &str) -> Error {
    Error::not_found(format!("Logged model with ID '{model_id}' not found."))
}

/// What the registry's tests share.
#[cfg(test)]
mod testing {
    use super::{ModelVersion, NewModelVersion};
    use crate::engine::store::Store;

    pub(super) fn version(store: &Store, name: &str, source: &str) -> ModelVersion {
        store
            .create_model_version(NewModelVersion {
                name: name.into(),
                source: source.into(),
                ..NewModelVersion::default()
            })
            .unwrap()
    }
}
