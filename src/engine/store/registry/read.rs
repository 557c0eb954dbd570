//! The registry's reads, shared by the reader connection and the writer's control ops: rows of
//! registered models and versions with their tags and aliases, the latest version per stage,
//! a version's download URI, the version an alias names, and the logged model a source names.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{
    LoggedModelSource, ModelVersion, RegisteredModel, STAGE_DELETED, logged_model_not_found,
    model_not_found, version_not_found,
};
use crate::engine::error::{Error, Result};
use crate::engine::model::DEFAULT_WORKSPACE;
use crate::engine::validate::{ALL_STAGES, validate_alias_name, validate_model_name};

pub(super) const MODEL_COLUMNS: &str =
    "name, creation_time, last_updated_time, description, workspace";
pub(super) const VERSION_COLUMNS: &str = "name, version, creation_time, last_updated_time, \
     description, user_id, current_stage, source, run_id, status, status_message, run_link, \
     storage_location, workspace";

/// `columns` (a comma-separated list) with each name prefixed by `table.`, for a search whose
/// filter may join other tables.
pub(super) fn qualified(table: &str, columns: &str) -> String {
    columns
        .split(',')
        .map(|c| format!("{table}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn model_from_row(row: &Row<'_>) -> rusqlite::Result<RegisteredModel> {
    Ok(RegisteredModel {
        name: row.get(0)?,
        creation_time: row.get(1)?,
        last_updated_time: row.get(2)?,
        description: row.get(3)?,
        workspace: row.get(4)?,
        tags: Vec::new(),
        aliases: Vec::new(),
        latest_versions: Vec::new(),
    })
}

pub(super) fn version_from_row(row: &Row<'_>) -> rusqlite::Result<ModelVersion> {
    Ok(ModelVersion {
        name: row.get(0)?,
        version: row.get(1)?,
        creation_time: row.get(2)?,
        last_updated_time: row.get(3)?,
        description: row.get(4)?,
        user_id: row.get(5)?,
        current_stage: row.get(6)?,
        source: row.get(7)?,
        run_id: row.get(8)?,
        status: row.get(9)?,
        status_message: row.get(10)?,
        run_link: row.get(11)?,
        storage_location: row.get(12)?,
        workspace: row.get(13)?,
        tags: Vec::new(),
        aliases: Vec::new(),
    })
}

fn version_tags(
    conn: &Connection,
    name: &str,
    version: i64,
) -> Result<Vec<(String, Option<String>)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT key, value FROM model_version_tags WHERE workspace = ?1 AND name = ?2 \
         AND version = ?3 ORDER BY rowid",
    )?;
    let rows = stmt
        .query_map(params![DEFAULT_WORKSPACE, name, version], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

fn model_aliases(conn: &Connection, name: &str) -> Result<Vec<(String, i64)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT alias, version FROM registered_model_aliases WHERE workspace = ?1 AND name = ?2 \
         ORDER BY alias",
    )?;
    let rows = stmt
        .query_map(params![DEFAULT_WORKSPACE, name], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// A version with its tags; `with_aliases` fills the aliases that point at it (MLflow fills
/// them for single-version reads, not for searches or a model's latest versions).
pub(super) fn complete_version(
    conn: &Connection,
    mut mv: ModelVersion,
    with_aliases: bool,
) -> Result<ModelVersion> {
    mv.tags = version_tags(conn, &mv.name, mv.version)?;
    if with_aliases {
        mv.aliases = model_aliases(conn, &mv.name)?
            .into_iter()
            .filter(|(_, v)| *v == mv.version)
            .map(|(a, _)| a)
            .collect();
    }
    Ok(mv)
}

/// The latest version of each stage (deleted versions aside), stages in the order their first
/// version appears.
fn latest_versions(conn: &Connection, name: &str) -> Result<Vec<ModelVersion>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {VERSION_COLUMNS} FROM model_versions mv WHERE workspace = ?1 AND name = ?2 \
         AND current_stage != ?3 AND version = (SELECT MAX(version) FROM model_versions o \
         WHERE o.workspace = mv.workspace AND o.name = mv.name \
         AND o.current_stage IS mv.current_stage) \
         ORDER BY (SELECT MIN(version) FROM model_versions o WHERE o.workspace = mv.workspace \
         AND o.name = mv.name AND o.current_stage IS mv.current_stage)"
    ))?;
    let rows: Vec<ModelVersion> = stmt
        .query_map(
            params![DEFAULT_WORKSPACE, name, STAGE_DELETED],
            version_from_row,
        )?
        .collect::<Result<_, _>>()?;
    rows.into_iter()
        .map(|mv| complete_version(conn, mv, false))
        .collect()
}

pub(super) fn complete_model(
    conn: &Connection,
    mut rm: RegisteredModel,
) -> Result<RegisteredModel> {
    let mut stmt = conn.prepare_cached(
        "SELECT key, value FROM registered_model_tags WHERE workspace = ?1 AND name = ?2 \
         ORDER BY rowid",
    )?;
    rm.tags = stmt
        .query_map(params![DEFAULT_WORKSPACE, rm.name], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?
        .collect::<Result<_, _>>()?;
    rm.aliases = model_aliases(conn, &rm.name)?;
    rm.latest_versions = latest_versions(conn, &rm.name)?;
    Ok(rm)
}

pub(super) fn model_row(conn: &Connection, name: &str) -> Result<Option<RegisteredModel>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {MODEL_COLUMNS} FROM registered_models WHERE workspace = ?1 AND name = ?2"
        ))?
        .query_row(params![DEFAULT_WORKSPACE, name], model_from_row)
        .optional()?)
}

/// The registered model, or MLflow's `Registered Model with name=... not found`.
pub(super) fn existing_model(conn: &Connection, name: &str) -> Result<RegisteredModel> {
    validate_model_name(name)?;
    let rm = model_row(conn, name)?.ok_or_else(|| model_not_found(name))?;
    complete_model(conn, rm)
}

/// A version that is not deleted, or MLflow's `Model Version (...) not found`.
pub(super) fn existing_version(
    conn: &Connection,
    name: &str,
    version: i64,
) -> Result<ModelVersion> {
    validate_model_name(name)?;
    conn.prepare_cached(&format!(
        "SELECT {VERSION_COLUMNS} FROM model_versions WHERE workspace = ?1 AND name = ?2 \
         AND version = ?3 AND current_stage != ?4"
    ))?
    .query_row(
        params![DEFAULT_WORKSPACE, name, version, STAGE_DELETED],
        version_from_row,
    )
    .optional()?
    .ok_or_else(|| version_not_found(name, version))
}

/// The logged model a registry source names (`lifecycle_stage != 'deleted'`, as MLflow's
/// `get_logged_model` asks).
pub(super) fn logged_model(conn: &Connection, model_id: &str) -> Result<LoggedModelSource> {
    conn.prepare_cached(
        "SELECT model_id, artifact_location, source_run_id FROM logged_models \
         WHERE model_id = ?1 AND lifecycle_stage != 'deleted'",
    )?
    .query_row([model_id], |row| {
        Ok(LoggedModelSource {
            model_id: row.get(0)?,
            artifact_location: row.get(1)?,
            source_run_id: row.get(2)?,
        })
    })
    .optional()?
    .ok_or_else(|| logged_model_not_found(model_id))
}

pub(super) fn latest_of_stages(
    conn: &Connection,
    name: &str,
    stages: &[&str],
) -> Result<Vec<ModelVersion>> {
    existing_model(conn, name)?;
    let mut found: Vec<ModelVersion> = latest_versions(conn, name)?
        .into_iter()
        .filter(|mv| {
            mv.current_stage
                .as_deref()
                .is_some_and(|s| stages.contains(&s))
        })
        .collect();
    let aliases = model_aliases(conn, name)?;
    for mv in &mut found {
        mv.aliases = aliases
            .iter()
            .filter(|(_, v)| *v == mv.version)
            .map(|(a, _)| a.clone())
            .collect();
    }
    Ok(found)
}

/// The files a model version's `models:/` URI points at: its storage location, else its
/// source (`get_model_version_download_uri`).
pub(super) fn download_uri(conn: &Connection, name: &str, version: i64) -> Result<String> {
    let mv = existing_version(conn, name, version)?;
    Ok(mv
        .storage_location
        .filter(|s| !s.is_empty())
        .or(mv.source)
        .unwrap_or_default())
}

pub(super) fn version_by_alias(conn: &Connection, name: &str, alias: &str) -> Result<ModelVersion> {
    validate_model_name(name)?;
    validate_alias_name(alias)?;
    if alias.eq_ignore_ascii_case("latest") {
        let latest = latest_of_stages(conn, name, &ALL_STAGES)?;
        return latest
            .into_iter()
            .max_by_key(|mv| mv.version)
            .ok_or_else(|| {
                Error::not_found(format!("Latest version not found for model {name}."))
            });
    }
    existing_model(conn, name)?;
    let target: Option<i64> = conn
        .prepare_cached(
            "SELECT version FROM registered_model_aliases WHERE workspace = ?1 AND name = ?2 \
             AND alias = ?3",
        )?
        .query_row(params![DEFAULT_WORKSPACE, name, alias], |row| row.get(0))
        .optional()?;
    let Some(version) = target else {
        return Err(Error::invalid(format!(
            "Registered model alias {alias} not found."
        )));
    };
    complete_version(conn, existing_version(conn, name, version)?, true)
}
