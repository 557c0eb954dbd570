//! One interface over the model registry's backends: the SQLite file's registry tables
//! ([`Store`], `store/registry.rs`) and a tracking server's registry REST API
//! ([`RemoteStore`](crate::engine::remote::RemoteStore), `remote/registry.rs`). The binding
//! reaches it through [`Backend::registry`](crate::engine::Backend::registry) and cannot tell
//! which one answers; the rows are the same either way.
//!
//! Like every read and synchronous write of a backend, a call sees what the process queued
//! before it (the binding flushes first). Errors carry MLflow's codes: the SQLite store raises
//! what MLflow's SQLAlchemy store raises, a server's refusals come back as it words them.

use crate::engine::error::Result;
use crate::engine::store::Store;
use crate::engine::store::registry::{ModelVersion, NewModelVersion, RegisteredModel};

/// The model registry: registered models, their versions, tags and aliases.
pub trait Registry: Send + Sync {
    fn create_registered_model(
        &self,
        name: &str,
        tags: Vec<(String, String)>,
        description: Option<String>,
    ) -> Result<RegisteredModel>;
    fn get_registered_model(&self, name: &str) -> Result<RegisteredModel>;
    fn rename_registered_model(&self, name: &str, new_name: &str) -> Result<RegisteredModel>;
    fn update_registered_model(
        &self,
        name: &str,
        description: Option<String>,
    ) -> Result<RegisteredModel>;
    fn delete_registered_model(&self, name: &str) -> Result<()>;
    /// Up to `limit` models from `offset` that match the filter, in MLflow's order.
    fn search_registered_models(
        &self,
        filter: &str,
        order_by: &[String],
        limit: i64,
        offset: i64,
    ) -> Result<Vec<RegisteredModel>>;
    fn set_registered_model_tag(&self, name: &str, key: &str, value: &str) -> Result<()>;
    fn delete_registered_model_tag(&self, name: &str, key: &str) -> Result<()>;
    /// The latest version per requested stage (every stage when `stages` is empty).
    fn get_latest_versions(&self, name: &str, stages: &[String]) -> Result<Vec<ModelVersion>>;

    fn create_model_version(&self, new: NewModelVersion) -> Result<ModelVersion>;
    fn get_model_version(&self, name: &str, version: i64) -> Result<ModelVersion>;
    fn update_model_version(
        &self,
        name: &str,
        version: i64,
        description: Option<String>,
    ) -> Result<ModelVersion>;
    fn delete_model_version(&self, name: &str, version: i64) -> Result<()>;
    fn transition_model_version_stage(
        &self,
        name: &str,
        version: i64,
        stage: &str,
        archive_existing_versions: bool,
    ) -> Result<ModelVersion>;
    fn get_model_version_download_uri(&self, name: &str, version: i64) -> Result<String>;
    /// Up to `limit` versions from `offset` that match the filter, in MLflow's order.
    fn search_model_versions(
        &self,
        filter: &str,
        order_by: &[String],
        limit: i64,
        offset: i64,
    ) -> Result<Vec<ModelVersion>>;
    fn set_model_version_tag(&self, name: &str, version: i64, key: &str, value: &str)
    -> Result<()>;
    fn delete_model_version_tag(&self, name: &str, version: i64, key: &str) -> Result<()>;

    fn set_registered_model_alias(&self, name: &str, alias: &str, version: i64) -> Result<()>;
    fn delete_registered_model_alias(&self, name: &str, alias: &str) -> Result<()>;
    /// The version an alias points at.
    fn get_model_version_by_alias(&self, name: &str, alias: &str) -> Result<ModelVersion>;

    /// Where a `models:/...` URI points: a logged model's files, or a model version's download
    /// URI (by version, alias, `latest` or stage), with MLflow's errors.
    fn resolve_models_uri(&self, uri: &str) -> Result<String>;
}

impl Registry for Store {
    fn create_registered_model(
        &self,
        name: &str,
        tags: Vec<(String, String)>,
        description: Option<String>,
    ) -> Result<RegisteredModel> {
        Store::create_registered_model(self, name, tags, description)
    }
    fn get_registered_model(&self, name: &str) -> Result<RegisteredModel> {
        Store::get_registered_model(self, name)
    }
    fn rename_registered_model(&self, name: &str, new_name: &str) -> Result<RegisteredModel> {
        Store::rename_registered_model(self, name, new_name)
    }
    fn update_registered_model(
        &self,
        name: &str,
        description: Option<String>,
    ) -> Result<RegisteredModel> {
        Store::update_registered_model(self, name, description)
    }
    fn delete_registered_model(&self, name: &str) -> Result<()> {
        Store::delete_registered_model(self, name)
    }
    fn search_registered_models(
        &self,
        filter: &str,
        order_by: &[String],
        limit: i64,
        offset: i64,
    ) -> Result<Vec<RegisteredModel>> {
        Store::search_registered_models(self, filter, order_by, limit, offset)
    }
    fn set_registered_model_tag(&self, name: &str, key: &str, value: &str) -> Result<()> {
        Store::set_registered_model_tag(self, name, key, value)
    }
    fn delete_registered_model_tag(&self, name: &str, key: &str) -> Result<()> {
        Store::delete_registered_model_tag(self, name, key)
    }
    fn get_latest_versions(&self, name: &str, stages: &[String]) -> Result<Vec<ModelVersion>> {
        Store::get_latest_versions(self, name, stages)
    }
    fn create_model_version(&self, new: NewModelVersion) -> Result<ModelVersion> {
        Store::create_model_version(self, new)
    }
    fn get_model_version(&self, name: &str, version: i64) -> Result<ModelVersion> {
        Store::get_model_version(self, name, version)
    }
    fn update_model_version(
        &self,
        name: &str,
        version: i64,
        description: Option<String>,
    ) -> Result<ModelVersion> {
        Store::update_model_version(self, name, version, description)
    }
    fn delete_model_version(&self, name: &str, version: i64) -> Result<()> {
        Store::delete_model_version(self, name, version)
    }
    fn transition_model_version_stage(
        &self,
        name: &str,
        version: i64,
        stage: &str,
        archive_existing_versions: bool,
    ) -> Result<ModelVersion> {
        Store::transition_model_version_stage(self, name, version, stage, archive_existing_versions)
    }
    fn get_model_version_download_uri(&self, name: &str, version: i64) -> Result<String> {
        Store::get_model_version_download_uri(self, name, version)
    }
    fn search_model_versions(
        &self,
        filter: &str,
        order_by: &[String],
        limit: i64,
        offset: i64,
    ) -> Result<Vec<ModelVersion>> {
        Store::search_model_versions(self, filter, order_by, limit, offset)
    }
    fn set_model_version_tag(
        &self,
        name: &str,
        version: i64,
        key: &str,
        value: &str,
    ) -> Result<()> {
        Store::set_model_version_tag(self, name, version, key, value)
    }
    fn delete_model_version_tag(&self, name: &str, version: i64, key: &str) -> Result<()> {
        Store::delete_model_version_tag(self, name, version, key)
    }
    fn set_registered_model_alias(&self, name: &str, alias: &str, version: i64) -> Result<()> {
        Store::set_registered_model_alias(self, name, alias, version)
    }
    fn delete_registered_model_alias(&self, name: &str, alias: &str) -> Result<()> {
        Store::delete_registered_model_alias(self, name, alias)
    }
    fn get_model_version_by_alias(&self, name: &str, alias: &str) -> Result<ModelVersion> {
        Store::get_model_version_by_alias(self, name, alias)
    }
    fn resolve_models_uri(&self, uri: &str) -> Result<String> {
        Store::resolve_models_uri(self, uri)
    }
}
