//! Model versions: creating one (numbered per model, its `models:/` source resolved), reading,
//! updating, deleting (MLflow's soft delete), moving between stages, the latest per stage, and
//! searching.

use rusqlite::params;

use super::read::{
    VERSION_COLUMNS, complete_version, download_uri, existing_model, existing_version,
    latest_of_stages, logged_model, qualified, version_from_row,
};
use super::tags::upsert_version_tag;
use super::uri::{ModelUri, is_models_uri, parse_models_uri, parse_version_number};
use super::{ModelVersion, NewModelVersion, STAGE_DELETED, STAGE_NONE};
use crate::engine::clock::now_ms;
use crate::engine::error::{Error, Result};
use crate::engine::model::DEFAULT_WORKSPACE;
use crate::engine::search::registry::compile_model_versions;
use crate::engine::store::Store;
use crate::engine::validate::{
    ALL_STAGES, canonical_stage, validate_model_name, validate_registry_tag,
};

impl Store {
    /// Creates the next version of a registered model. A `models:/` source is resolved to the
    /// storage location MLflow records: a logged model's artifact location (whose source run
    /// becomes the version's run when none is given), or another version's download URI.
    pub fn create_model_version(&self, new: NewModelVersion) -> Result<ModelVersion> {
        validate_model_name(&new.name)?;
        for (key, value) in &new.tags {
            validate_registry_tag(key, value)?;
        }
        let source = new.source.clone();
        let model_uri = if is_models_uri(&source) {
            Some(parse_models_uri(&source)?)
        } else {
            None
        };
        self.control(move |tx| {
            let mut run_id = new.run_id.clone().filter(|r| !r.is_empty());
            let mut storage_location = new.source.clone();
            if let Some(uri) = &model_uri {
                let resolved = match uri {
                    ModelUri::LoggedModel(id) => logged_model(tx, id).map(|m| {
                        if run_id.is_none() {
                            run_id.clone_from(&m.source_run_id);
                        }
                        m.artifact_location
                    }),
                    ModelUri::Version { name, version } => {
                        parse_version_number(version).and_then(|v| download_uri(tx, name, v))
                    }
                    // MLflow looks these up as version None, which `int()` refuses.
                    ModelUri::Latest { name, .. } | ModelUri::Alias { name, .. } => {
                        validate_model_name(name).and(Err(Error::internal(
                            "int() argument must be a string, a bytes-like object or a real \
                             number, not 'NoneType'",
                        )))
                    }
                };
                storage_location = resolved.map_err(|e| {
                    Error::internal(format!(
                        "Unable to fetch model from model URI source artifact location \
                         '{}'.Error: {e}",
                        new.source
                    ))
                })?;
            }
            if run_id.is_none()
                && let Some(model_id) = &new.model_id
            {
                run_id = logged_model(tx, model_id)?.source_run_id;
            }
            existing_model(tx, &new.name)?;
            let now = now_ms();
            tx.execute(
                "UPDATE registered_models SET last_updated_time = ?1 WHERE workspace = ?2 \
                 AND name = ?3",
                params![now, DEFAULT_WORKSPACE, new.name],
            )?;
            let version: i64 = tx.query_row(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM model_versions WHERE workspace = ?1 \
                 AND name = ?2",
                params![DEFAULT_WORKSPACE, new.name],
                |row| row.get(0),
            )?;
            tx.execute(
                "INSERT INTO model_versions (name, version, creation_time, last_updated_time, \
                 description, user_id, current_stage, source, run_id, status, status_message, \
                 run_link, storage_location, workspace) \
                 VALUES (?1, ?2, ?3, ?3, ?4, NULL, ?5, ?6, ?7, 'READY', NULL, ?8, ?9, ?10)",
                params![
                    new.name,
                    version,
                    now,
                    new.description,
                    STAGE_NONE,
                    new.source,
                    run_id,
                    new.run_link,
                    storage_location,
                    DEFAULT_WORKSPACE
                ],
            )?;
            for (key, value) in &new.tags {
                upsert_version_tag(tx, &new.name, version, key, value)?;
            }
            complete_version(tx, existing_version(tx, &new.name, version)?, true)
        })
    }

    pub fn get_model_version(&self, name: &str, version: i64) -> Result<ModelVersion> {
        self.read(|conn| complete_version(conn, existing_version(conn, name, version)?, true))
    }

    /// Sets a version's description (the model's update time is left alone, as in MLflow).
    pub fn update_model_version(
        &self,
        name: &str,
        version: i64,
        description: Option<String>,
    ) -> Result<ModelVersion> {
        let name = name.to_owned();
        self.control(move |tx| {
            existing_version(tx, &name, version)?;
            tx.execute(
                "UPDATE model_versions SET description = ?1, last_updated_time = ?2 \
                 WHERE workspace = ?3 AND name = ?4 AND version = ?5",
                params![description, now_ms(), DEFAULT_WORKSPACE, name, version],
            )?;
            complete_version(tx, existing_version(tx, &name, version)?, true)
        })
    }

    /// MLflow's soft delete: the row stays (so its number is never reused) as
    /// `Deleted_Internal` with its source, run and link redacted; its aliases go, its tags stay.
    pub fn delete_model_version(&self, name: &str, version: i64) -> Result<()> {
        let name = name.to_owned();
        self.control(move |tx| {
            existing_version(tx, &name, version)?;
            let now = now_ms();
            tx.execute(
                "UPDATE registered_models SET last_updated_time = ?1 WHERE workspace = ?2 \
                 AND name = ?3",
                params![now, DEFAULT_WORKSPACE, name],
            )?;
            tx.execute(
                "DELETE FROM registered_model_aliases WHERE workspace = ?1 AND name = ?2 \
                 AND version = ?3",
                params![DEFAULT_WORKSPACE, name, version],
            )?;
            tx.execute(
                "UPDATE model_versions SET current_stage = ?1, last_updated_time = ?2, \
                 description = NULL, user_id = NULL, source = 'REDACTED-SOURCE-PATH', \
                 run_id = 'REDACTED-RUN-ID', run_link = 'REDACTED-RUN-LINK', \
                 status_message = NULL WHERE workspace = ?3 AND name = ?4 AND version = ?5",
                params![STAGE_DELETED, now, DEFAULT_WORKSPACE, name, version],
            )?;
            Ok(())
        })
    }

    /// Moves a version to another stage, optionally archiving the versions already there.
    pub fn transition_model_version_stage(
        &self,
        name: &str,
        version: i64,
        stage: &str,
        archive_existing_versions: bool,
    ) -> Result<ModelVersion> {
        let given = stage;
        let stage = canonical_stage(given)?;
        if archive_existing_versions && !matches!(stage, "Staging" | "Production") {
            return Err(Error::internal(format!(
                "Model version transition cannot archive existing model versions because \
                 '{given}' is not an Active stage. Valid stages are ['Staging', 'Production']"
            )));
        }
        let name = name.to_owned();
        self.control(move |tx| {
            let now = now_ms();
            if archive_existing_versions {
                tx.execute(
                    "UPDATE model_versions SET current_stage = 'Archived', last_updated_time = ?1 \
                     WHERE workspace = ?2 AND name = ?3 AND version != ?4 AND current_stage = ?5",
                    params![now, DEFAULT_WORKSPACE, name, version, stage],
                )?;
            }
            existing_version(tx, &name, version)?;
            tx.execute(
                "UPDATE model_versions SET current_stage = ?1, last_updated_time = ?2 \
                 WHERE workspace = ?3 AND name = ?4 AND version = ?5",
                params![stage, now, DEFAULT_WORKSPACE, name, version],
            )?;
            tx.execute(
                "UPDATE registered_models SET last_updated_time = ?1 WHERE workspace = ?2 \
                 AND name = ?3",
                params![now, DEFAULT_WORKSPACE, name],
            )?;
            complete_version(tx, existing_version(tx, &name, version)?, true)
        })
    }

    /// Every (not deleted) version of a registered model, newest first, with tags and aliases:
    /// the registered-model page of `mlrs ui`.
    pub fn versions_of_model(&self, name: &str) -> Result<Vec<ModelVersion>> {
        validate_model_name(name)?;
        self.read(|conn| {
            let rows: Vec<ModelVersion> = conn
                .prepare_cached(&format!(
                    "SELECT {VERSION_COLUMNS} FROM model_versions WHERE workspace = ?1 \
                     AND name = ?2 AND current_stage != ?3 ORDER BY version DESC"
                ))?
                .query_map(
                    params![DEFAULT_WORKSPACE, name, STAGE_DELETED],
                    version_from_row,
                )?
                .collect::<Result<_, _>>()?;
            rows.into_iter()
                .map(|mv| complete_version(conn, mv, true))
                .collect()
        })
    }

    /// The latest version per requested stage (every stage when `stages` is empty).
    pub fn get_latest_versions(&self, name: &str, stages: &[String]) -> Result<Vec<ModelVersion>> {
        let wanted: Vec<&str> = if stages.is_empty() {
            ALL_STAGES.to_vec()
        } else {
            stages
                .iter()
                .map(|s| canonical_stage(s))
                .collect::<Result<_>>()?
        };
        self.read(|conn| latest_of_stages(conn, name, &wanted))
    }

    pub fn get_model_version_download_uri(&self, name: &str, version: i64) -> Result<String> {
        self.read(|conn| download_uri(conn, name, version))
    }

    /// Up to `limit` model versions from `offset`, in the search's order (aliases unfilled,
    /// as MLflow's search leaves them).
    pub fn search_model_versions(
        &self,
        filter: &str,
        order_by: &[String],
        limit: i64,
        offset: i64,
    ) -> Result<Vec<ModelVersion>> {
        let query = compile_model_versions(filter, order_by)?;
        self.read(|conn| {
            let sql = format!(
                "SELECT {} FROM model_versions WHERE {} ORDER BY {} LIMIT {} OFFSET {}",
                qualified("model_versions", VERSION_COLUMNS),
                query.where_sql,
                query.order_sql,
                limit.max(0),
                offset.max(0)
            );
            let rows: Vec<ModelVersion> = conn
                .prepare(&sql)?
                .query_map(rusqlite::params_from_iter(&query.params), version_from_row)?
                .collect::<Result<_, _>>()?;
            rows.into_iter()
                .map(|mv| complete_version(conn, mv, false))
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::store::registry::testing::version;
    use crate::engine::store::testing::open;

    #[test]
    fn versions_count_from_one_and_deleted_numbers_are_not_reused() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        let rm = store
            .create_registered_model("m", vec![("k".into(), "v".into())], None)
            .unwrap();
        assert_eq!(rm.tags, vec![("k".into(), Some("v".into()))]);
        assert_eq!(version(&store, "m", "/a").version, 1);
        let v2 = version(&store, "m", "/b");
        assert_eq!(
            (
                v2.version,
                v2.current_stage.as_deref(),
                v2.status.as_deref()
            ),
            (2, Some("None"), Some("READY"))
        );
        assert_eq!(v2.storage_location.as_deref(), Some("/b"));
        store.delete_model_version("m", 2).unwrap();
        assert_eq!(version(&store, "m", "/c").version, 3);
        let err = store.get_model_version("m", 2).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Model Version (name=m, version=2) not found"
        );
        let latest = store.get_registered_model("m").unwrap().latest_versions;
        assert_eq!(latest.len(), 1);
        assert_eq!(latest[0].version, 3);
    }
}
