//! The model registry methods of `mlrs._core.Store`: argument conversion and GIL release around
//! the backend's `engine::registry::Registry` (a SQLite file's or a tracking server's). Rows come
//! back as the classes of `rows.rs` for `mlrs._registry`. The logged-model lookups of
//! `register_model` are the SQLite store's alone so far.

// PyO3 extracts arguments into owned values; taking them by reference would copy them again.
#![allow(clippy::needless_pass_by_value)]

use pyo3::prelude::*;

use crate::engine::registry::Registry;
use crate::engine::store::registry::{LoggedModelSource, NewModelVersion, VersionNumber};
use crate::engine::validate;
use crate::py::rows::{PyModelVersionRow, PyRegisteredModelRow};
use crate::py::store::PyStore;

impl PyStore {
    /// Runs a registry call without the GIL, after the flush every backend read starts with.
    fn registry<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&dyn Registry) -> crate::engine::Result<T> + Send,
    ) -> PyResult<T> {
        self.run(py, |backend| f(backend.registry()))
    }
}

#[pymethods]
impl PyStore {
    // ---- validation shared with the client layer -------------------------------------------

    /// MLflow's model name rules (`_validate_model_name`).
    #[staticmethod]
    fn validate_model_name(name: &str) -> PyResult<()> {
        Ok(validate::validate_model_name(name)?)
    }

    /// MLflow's alias rules; `reserved` also refuses `latest` and `v<digits>`.
    #[staticmethod]
    #[pyo3(signature = (alias, reserved = false))]
    fn validate_alias_name(alias: &str, reserved: bool) -> PyResult<()> {
        validate::validate_alias_name(alias)?;
        if reserved {
            validate::validate_alias_not_reserved(alias)?;
        }
        Ok(())
    }

    // ---- registered models -----------------------------------------------------------------

    #[pyo3(signature = (name, tags, description))]
    fn create_registered_model(
        &self,
        py: Python<'_>,
        name: &str,
        tags: Vec<(String, String)>,
        description: Option<String>,
    ) -> PyResult<PyRegisteredModelRow> {
        let rm = self.registry(py, |r| r.create_registered_model(name, tags, description))?;
        PyRegisteredModelRow::new(py, rm)
    }

    fn get_registered_model(&self, py: Python<'_>, name: &str) -> PyResult<PyRegisteredModelRow> {
        PyRegisteredModelRow::new(py, self.registry(py, |r| r.get_registered_model(name))?)
    }

    fn rename_registered_model(
        &self,
        py: Python<'_>,
        name: &str,
        new_name: &str,
    ) -> PyResult<PyRegisteredModelRow> {
        PyRegisteredModelRow::new(
            py,
            self.registry(py, |r| r.rename_registered_model(name, new_name))?,
        )
    }

    #[pyo3(signature = (name, description))]
    fn update_registered_model(
        &self,
        py: Python<'_>,
        name: &str,
        description: Option<String>,
    ) -> PyResult<PyRegisteredModelRow> {
        PyRegisteredModelRow::new(
            py,
            self.registry(py, |r| r.update_registered_model(name, description))?,
        )
    }

    fn delete_registered_model(&self, py: Python<'_>, name: &str) -> PyResult<()> {
        self.registry(py, |r| r.delete_registered_model(name))
    }

    /// Up to `limit` models from `offset` that match the filter, in MLflow's order.
    fn search_registered_models(
        &self,
        py: Python<'_>,
        filter_string: &str,
        order_by: Vec<String>,
        limit: i64,
        offset: i64,
    ) -> PyResult<Vec<PyRegisteredModelRow>> {
        let found = self.registry(py, |r| {
            r.search_registered_models(filter_string, &order_by, limit, offset)
        })?;
        found
            .into_iter()
            .map(|m| PyRegisteredModelRow::new(py, m))
            .collect()
    }

    fn set_registered_model_tag(
        &self,
        py: Python<'_>,
        name: &str,
        key: &str,
        value: &str,
    ) -> PyResult<()> {
        self.registry(py, |r| r.set_registered_model_tag(name, key, value))
    }

    fn delete_registered_model_tag(&self, py: Python<'_>, name: &str, key: &str) -> PyResult<()> {
        self.registry(py, |r| r.delete_registered_model_tag(name, key))
    }

    fn get_latest_versions(
        &self,
        py: Python<'_>,
        name: &str,
        stages: Vec<String>,
    ) -> PyResult<Vec<PyModelVersionRow>> {
        let found = self.registry(py, |r| r.get_latest_versions(name, &stages))?;
        Ok(found.into_iter().map(PyModelVersionRow::from).collect())
    }

    // ---- model versions --------------------------------------------------------------------

    #[pyo3(signature = (name, source, run_id, tags, run_link, description, model_id))]
    #[allow(clippy::too_many_arguments)]
    fn create_model_version(
        &self,
        py: Python<'_>,
        name: String,
        source: String,
        run_id: Option<String>,
        tags: Vec<(String, String)>,
        run_link: Option<String>,
        description: Option<String>,
        model_id: Option<String>,
    ) -> PyResult<PyModelVersionRow> {
        let new = NewModelVersion {
            name,
            source,
            run_id,
            tags,
            run_link,
            description,
            model_id,
        };
        Ok(PyModelVersionRow::from(
            self.registry(py, |r| r.create_model_version(new))?,
        ))
    }

    fn get_model_version(
        &self,
        py: Python<'_>,
        name: &str,
        version: i64,
    ) -> PyResult<PyModelVersionRow> {
        Ok(PyModelVersionRow::from(
            self.registry(py, |r| r.get_model_version(name, version))?,
        ))
    }

    #[pyo3(signature = (name, version, description))]
    fn update_model_version(
        &self,
        py: Python<'_>,
        name: &str,
        version: i64,
        description: Option<String>,
    ) -> PyResult<PyModelVersionRow> {
        Ok(PyModelVersionRow::from(self.registry(py, |r| {
            r.update_model_version(name, version, description)
        })?))
    }

    fn delete_model_version(&self, py: Python<'_>, name: &str, version: i64) -> PyResult<()> {
        self.registry(py, |r| r.delete_model_version(name, version))
    }

    fn transition_model_version_stage(
        &self,
        py: Python<'_>,
        name: &str,
        version: i64,
        stage: &str,
        archive_existing_versions: bool,
    ) -> PyResult<PyModelVersionRow> {
        Ok(PyModelVersionRow::from(self.registry(py, |r| {
            r.transition_model_version_stage(name, version, stage, archive_existing_versions)
        })?))
    }

    fn get_model_version_download_uri(
        &self,
        py: Python<'_>,
        name: &str,
        version: i64,
    ) -> PyResult<String> {
        self.registry(py, |r| r.get_model_version_download_uri(name, version))
    }

    /// Up to `limit` versions from `offset` that match the filter, in MLflow's order.
    fn search_model_versions(
        &self,
        py: Python<'_>,
        filter_string: &str,
        order_by: Vec<String>,
        limit: i64,
        offset: i64,
    ) -> PyResult<Vec<PyModelVersionRow>> {
        let found = self.registry(py, |r| {
            r.search_model_versions(filter_string, &order_by, limit, offset)
        })?;
        Ok(found.into_iter().map(PyModelVersionRow::from).collect())
    }

    fn set_model_version_tag(
        &self,
        py: Python<'_>,
        name: &str,
        version: i64,
        key: &str,
        value: &str,
    ) -> PyResult<()> {
        self.registry(py, |r| r.set_model_version_tag(name, version, key, value))
    }

    fn delete_model_version_tag(
        &self,
        py: Python<'_>,
        name: &str,
        version: i64,
        key: &str,
    ) -> PyResult<()> {
        self.registry(py, |r| r.delete_model_version_tag(name, version, key))
    }

    // ---- aliases ---------------------------------------------------------------------------

    fn set_registered_model_alias(
        &self,
        py: Python<'_>,
        name: &str,
        alias: &str,
        version: i64,
    ) -> PyResult<()> {
        self.registry(py, |r| r.set_registered_model_alias(name, alias, version))
    }

    fn delete_registered_model_alias(
        &self,
        py: Python<'_>,
        name: &str,
        alias: &str,
    ) -> PyResult<()> {
        self.registry(py, |r| r.delete_registered_model_alias(name, alias))
    }

    fn get_model_version_by_alias(
        &self,
        py: Python<'_>,
        name: &str,
        alias: &str,
    ) -> PyResult<PyModelVersionRow> {
        Ok(PyModelVersionRow::from(self.registry(py, |r| {
            r.get_model_version_by_alias(name, alias)
        })?))
    }

    // ---- sources ---------------------------------------------------------------------------

    /// `(model_id, artifact_location, source_run_id)` of a live logged model.
    fn registry_logged_model(
        &self,
        py: Python<'_>,
        model_id: &str,
    ) -> PyResult<(String, String, Option<String>)> {
        let LoggedModelSource {
            model_id,
            artifact_location,
            source_run_id,
        } = self.run(py, |b| b.models().registry_logged_model(model_id))?;
        Ok((model_id, artifact_location, source_run_id))
    }

    /// Ids of the logged models called `name` that the run made, the latest step first.
    fn registry_logged_models_of_run(
        &self,
        py: Python<'_>,
        experiment_id: i64,
        run_id: &str,
        name: &str,
    ) -> PyResult<Vec<String>> {
        self.run(py, |b| {
            b.models()
                .registry_logged_models_of_run(experiment_id, run_id, name)
        })
    }

    /// Records the new version in the logged model's `mlflow.modelVersions` tag; False when
    /// there is no such logged model. `version` as the registry gave it: an int, or over a
    /// tracking server the string its API writes.
    fn link_model_version_to_logged_model(
        &self,
        py: Python<'_>,
        model_id: &str,
        name: &str,
        version: &Bound<'_, PyAny>,
    ) -> PyResult<bool> {
        let version = match version.extract::<i64>() {
            Ok(number) => VersionNumber::Int(number),
            Err(_) => VersionNumber::Text(version.extract()?),
        };
        self.run(py, |b| {
            b.models()
                .link_model_version_to_logged_model(model_id, name, version)
        })
    }

    /// Where a `models:/...` URI points: a logged model's or a model version's files.
    fn resolve_models_uri(&self, py: Python<'_>, uri: &str) -> PyResult<String> {
        self.registry(py, |r| r.resolve_models_uri(uri))
    }
}
