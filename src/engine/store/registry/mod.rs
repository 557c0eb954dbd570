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
//! This file has the rows, MLflow's stages, the registry's validation and its errors; by domain,
//! `models.rs` (registered models), `versions.rs` (model versions), `tags.rs` (tags of both, and
//! aliases), `uri.rs` (`models:/` URIs, parsed and resolved), `logged_models.rs` (the logged
//! models versions come from, and their `mlflow.modelVersions` tag); `read.rs` has the reads they
//! share.

mod logged_models;
mod models;
mod read;
mod tags;
mod uri;
mod versions;

use crate::engine::error::{Error, Result};
use crate::engine::validate::{
    MAX_ENTITY_KEY_LENGTH, invalid_value, normpath, py_repr, validate_length, validate_tag,
};

pub use logged_models::VersionNumber;
pub(crate) use logged_models::append_model_version_link;
pub use uri::{ModelUri, parse_models_uri};

pub const STAGE_NONE: &str = "None";
pub const STAGE_DELETED: &str = "Deleted_Internal";
/// MLflow's stages in their canonical spelling, in MLflow's order.
pub const ALL_STAGES: [&str; 4] = ["None", "Staging", "Production", "Archived"];
const MAX_REGISTRY_TAG_VALUE_LENGTH: usize = 100_000;
const MAX_ALIAS_LENGTH: usize = 255;
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

// ---- validation (MLflow's messages) ------------------------------------------------------

/// `_validate_model_name` for a name known to be a string.
pub fn validate_model_name(name: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(Error::invalid(
            "Missing value for required parameter 'name'.",
        ));
    }
    if name.contains(['/', ':']) {
        return Err(Error::invalid(format!(
            "Invalid model name '{name}'. Names cannot contain '/' or ':'."
        )));
    }
    let norm = normpath(name);
    if norm != name || norm == "." || norm.starts_with("..") || norm.starts_with('/') {
        let message = format!(
            "Names may be treated as files in certain cases, and must not resolve to other \
             names when treated as such. This name would resolve to {}",
            py_repr(&norm)
        );
        return Err(Error::invalid(invalid_value("name", name, Some(&message))));
    }
    Ok(())
}

/// `_validate_model_renaming`.
pub fn validate_new_model_name(new_name: &str) -> Result<()> {
    if new_name.trim().is_empty() {
        return Err(Error::invalid(
            "Missing value for required parameter 'new_name'.",
        ));
    }
    validate_model_name(new_name)
}

/// `_validate_tag_name` for the registry (the run-tag name rules, then the 250-char limit).
pub fn validate_registry_tag_key(key: &str) -> Result<()> {
    validate_tag(key, "", "")?;
    validate_length("key", MAX_ENTITY_KEY_LENGTH, key)
}

fn validate_registry_tag(key: &str, value: &str) -> Result<()> {
    validate_registry_tag_key(key)?;
    validate_length("value", MAX_REGISTRY_TAG_VALUE_LENGTH, value)
}

/// `_validate_alias_name`: a non-empty word of `\w` and `-`, at most 255 characters.
pub fn validate_alias_name(alias: &str) -> Result<()> {
    if alias.is_empty() {
        return Err(Error::invalid(
            "Registered model alias name cannot be empty.",
        ));
    }
    if !alias
        .chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
    {
        return Err(Error::invalid(format!(
            "Invalid alias name: '{alias}'. Names may only contain alphanumerics, underscores \
             (_), and dashes (-)."
        )));
    }
    validate_length("Registered model alias name", MAX_ALIAS_LENGTH, alias)
}

/// `_validate_alias_name_reserved`: `latest` and `v<digits>` belong to model URIs.
pub fn validate_alias_not_reserved(alias: &str) -> Result<()> {
    if alias.eq_ignore_ascii_case("latest") {
        return Err(Error::invalid(
            "'latest' alias name (case insensitive) is reserved.",
        ));
    }
    let mut chars = alias.chars();
    if matches!(chars.next(), Some('v' | 'V'))
        && !alias[1..].is_empty()
        && chars.all(char::is_numeric)
    {
        return Err(Error::invalid(format!(
            "Version alias name '{alias}' is reserved."
        )));
    }
    Ok(())
}

/// `get_canonical_stage`: a stage name in any case, spelled as MLflow stores it.
pub fn canonical_stage(stage: &str) -> Result<&'static str> {
    ALL_STAGES
        .iter()
        .find(|s| s.eq_ignore_ascii_case(stage))
        .copied()
        .ok_or_else(|| {
            Error::invalid(format!(
                "Invalid Model Version stage: {stage}. Value must be one of {}.",
                ALL_STAGES.join(", ")
            ))
        })
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
