//! Experiments in MLflow's `experiments` and `experiment_tags` tables: creating, reading,
//! searching, renaming, deleting and restoring them (with their runs, in the database and in the
//! run cache), and their tags.

use super::{Store, append_path, check_experiment_active, parse_experiment_id_or_default, read};
use crate::engine::clock::now_ms;
use crate::engine::error::{Error, ErrorCode, Result};
use crate::engine::model::{DEFAULT_WORKSPACE, Experiment, Lifecycle, ViewType};
use crate::engine::search;
use crate::engine::validate;

impl Store {
    // ---- experiments -----------------------------------------------------------------------

    pub fn create_experiment(
        &self,
        name: &str,
        artifact_location: Option<String>,
        tags: Vec<(String, String)>,
    ) -> Result<i64> {
        validate::validate_experiment_name(name)?;
        for (key, value) in &tags {
            validate::validate_experiment_tag(key, value)?;
        }
        let name = name.to_owned();
        let root = self.default_artifact_root.clone();
        self.control(move |tx| {
            let now = now_ms();
            let inserted = tx.execute(
                "INSERT INTO experiments (name, artifact_location, lifecycle_stage, \
                 creation_time, last_update_time, workspace) VALUES (?1, ?2, 'active', ?3, ?3, ?4)",
                rusqlite::params![name, artifact_location, now, DEFAULT_WORKSPACE],
            );
            if let Err(e) = inserted {
                if e.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation) {
                    return Err(Error::already_exists(format!(
                        "Experiment(name={name}) already exists. Error: \
                         (sqlite3.IntegrityError) UNIQUE constraint failed: \
                         experiments.workspace, experiments.name"
                    )));
                }
                return Err(e.into());
            }
            let id = tx.last_insert_rowid();
            if artifact_location.as_deref().is_none_or(str::is_empty) {
                tx.execute(
                    "UPDATE experiments SET artifact_location = ?1 WHERE experiment_id = ?2",
                    rusqlite::params![append_path(&root, &id.to_string()), id],
                )?;
            }
            let mut insert_tag = tx.prepare_cached(
                "INSERT OR REPLACE INTO experiment_tags (key, value, experiment_id) \
                 VALUES (?1, ?2, ?3)",
            )?;
            for (key, value) in &tags {
                insert_tag.execute(rusqlite::params![key, value, id])?;
            }
            Ok(id)
        })
    }

    /// The experiment in any stage; an empty id means experiment 0, as in MLflow.
    pub fn get_experiment(&self, experiment_id: &str) -> Result<Experiment> {
        let id = parse_experiment_id_or_default(experiment_id)?;
        self.read(|conn| read::existing_experiment(conn, id))
    }

    pub fn get_experiment_by_name(&self, name: &str) -> Result<Option<Experiment>> {
        self.read(|conn| read::experiment_by_name(conn, name))
    }

    /// One page of experiments (`max_results + 1` rows at most, so the caller can tell whether
    /// another page follows).
    pub fn search_experiments(
        &self,
        view_type: ViewType,
        filter: &str,
        order_by: &[String],
        max_results: i64,
        offset: i64,
    ) -> Result<Vec<Experiment>> {
        let query = search::experiments::compile(view_type, filter, order_by)?;
        self.read(|conn| {
            read::experiments_where(
                conn,
                &query.where_sql,
                &query.order_sql,
                &query.params,
                max_results + 1,
                offset,
            )
        })
    }

    /// Soft-deletes the experiment and every run in it.
    pub fn delete_experiment(&self, experiment_id: &str) -> Result<()> {
        let id = parse_experiment_id_or_default(experiment_id)?;
        self.control(move |tx| {
            let experiment = read::existing_experiment(tx, id)?;
            if experiment.lifecycle_stage != Lifecycle::Active {
                return Err(not_found_experiment(id));
            }
            let now = now_ms();
            tx.execute(
                "UPDATE experiments SET lifecycle_stage = 'deleted', last_update_time = ?1 \
                 WHERE experiment_id = ?2",
                rusqlite::params![now, id],
            )?;
            tx.execute(
                "UPDATE runs SET lifecycle_stage = 'deleted', deleted_time = ?1 \
                 WHERE experiment_id = ?2",
                rusqlite::params![now, id],
            )?;
            Ok(())
        })?;
        self.set_cached_lifecycle_of_experiment(id, Lifecycle::Deleted);
        Ok(())
    }

    /// Restores the experiment and every run in it.
    pub fn restore_experiment(&self, experiment_id: &str) -> Result<()> {
        let id = parse_experiment_id_or_default(experiment_id)?;
        self.control(move |tx| {
            let experiment = read::existing_experiment(tx, id)?;
            if experiment.lifecycle_stage != Lifecycle::Deleted {
                return Err(not_found_experiment(id));
            }
            tx.execute(
                "UPDATE experiments SET lifecycle_stage = 'active', last_update_time = ?1 \
                 WHERE experiment_id = ?2",
                rusqlite::params![now_ms(), id],
            )?;
            tx.execute(
                "UPDATE runs SET lifecycle_stage = 'active', deleted_time = NULL \
                 WHERE experiment_id = ?1",
                [id],
            )?;
            Ok(())
        })?;
        self.set_cached_lifecycle_of_experiment(id, Lifecycle::Active);
        Ok(())
    }

    pub fn rename_experiment(&self, experiment_id: &str, new_name: &str) -> Result<()> {
        validate::validate_experiment_name(new_name)?;
        let id = parse_experiment_id_or_default(experiment_id)?;
        let new_name = new_name.to_owned();
        self.control(move |tx| {
            let experiment = read::existing_experiment(tx, id)?;
            if experiment.lifecycle_stage != Lifecycle::Active {
                return Err(Error::with_code(
                    ErrorCode::InvalidState,
                    "Cannot rename a non-active experiment.",
                ));
            }
            tx.execute(
                "UPDATE experiments SET name = ?1, last_update_time = ?2 WHERE experiment_id = ?3",
                rusqlite::params![new_name, now_ms(), id],
            )
            .map_err(|e| match e.sqlite_error_code() {
                Some(rusqlite::ErrorCode::ConstraintViolation) => Error::with_code(
                    ErrorCode::BadRequest,
                    "(sqlite3.IntegrityError) UNIQUE constraint failed: experiments.workspace, \
                     experiments.name",
                ),
                _ => e.into(),
            })?;
            Ok(())
        })
    }

    pub fn set_experiment_tag(&self, experiment_id: &str, key: &str, value: &str) -> Result<()> {
        validate::validate_experiment_tag(key, value)?;
        let id = parse_experiment_id_or_default(experiment_id)?;
        let (key, value) = (key.to_owned(), value.to_owned());
        self.control(move |tx| {
            check_experiment_active(&read::existing_experiment(tx, id)?)?;
            tx.execute(
                "INSERT INTO experiment_tags (key, value, experiment_id) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (key, experiment_id) DO UPDATE SET value = excluded.value",
                rusqlite::params![key, value, id],
            )?;
            Ok(())
        })
    }

    pub fn delete_experiment_tag(&self, experiment_id: &str, key: &str) -> Result<()> {
        let id = parse_experiment_id_or_default(experiment_id)?;
        let key = key.to_owned();
        self.control(move |tx| {
            check_experiment_active(&read::existing_experiment(tx, id)?)?;
            let deleted = tx.execute(
                "DELETE FROM experiment_tags WHERE experiment_id = ?1 AND key = ?2",
                rusqlite::params![id, key],
            )?;
            if deleted == 0 {
                return Err(Error::not_found(format!(
                    "No tag with name: {key} in experiment with id {id}"
                )));
            }
            Ok(())
        })
    }
}

fn not_found_experiment(id: i64) -> Error {
    Error::not_found(format!("No Experiment with id={id} exists"))
}
