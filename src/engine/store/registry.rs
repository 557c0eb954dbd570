//! The model registry on MLflow 3.18's tables: `registered_models`, `registered_model_tags`,
//! `registered_model_aliases`, `model_versions`, `model_version_tags`, all in the `default`
//! workspace, with the column values MLflow's SQLAlchemy store writes (stage `None`, status
//! `READY`, versions numbered from 1 per model, deleted versions kept as `Deleted_Internal` with
//! redacted fields so their numbers are never reused).
//!
//! Writes run as control ops on the writer thread; reads use the reader connection after the
//! queue has drained. Model version sources given as `models:/...` URIs are resolved here, with
//! this store's own read of `logged_models` (for `models:/m-<id>`) or of the registry.

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::engine::clock::now_ms;
use crate::engine::error::{Error, Result};
use crate::engine::model::DEFAULT_WORKSPACE;
use crate::engine::search::registry::{compile_model_versions, compile_registered_models};
use crate::engine::store::Store;
use crate::engine::validate::{
    MAX_ENTITY_KEY_LENGTH, invalid_value, normpath, py_repr, validate_length, validate_tag,
};

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

// ---- reads shared by the reader and the writer -------------------------------------------

const MODEL_COLUMNS: &str = "name, creation_time, last_updated_time, description, workspace";
const VERSION_COLUMNS: &str = "name, version, creation_time, last_updated_time, description, \
     user_id, current_stage, source, run_id, status, status_message, run_link, \
     storage_location, workspace";

/// `columns` (a comma-separated list) with each name prefixed by `table.`, for a search whose
/// filter may join other tables.
fn qualified(table: &str, columns: &str) -> String {
    columns
        .split(',')
        .map(|c| format!("{table}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn model_from_row(row: &Row<'_>) -> rusqlite::Result<RegisteredModel> {
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

fn version_from_row(row: &Row<'_>) -> rusqlite::Result<ModelVersion> {
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
fn complete_version(
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

fn complete_model(conn: &Connection, mut rm: RegisteredModel) -> Result<RegisteredModel> {
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

fn model_row(conn: &Connection, name: &str) -> Result<Option<RegisteredModel>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {MODEL_COLUMNS} FROM registered_models WHERE workspace = ?1 AND name = ?2"
        ))?
        .query_row(params![DEFAULT_WORKSPACE, name], model_from_row)
        .optional()?)
}

/// The registered model, or MLflow's `Registered Model with name=... not found`.
fn existing_model(conn: &Connection, name: &str) -> Result<RegisteredModel> {
    validate_model_name(name)?;
    let rm = model_row(conn, name)?.ok_or_else(|| model_not_found(name))?;
    complete_model(conn, rm)
}

/// A version that is not deleted, or MLflow's `Model Version (...) not found`.
fn existing_version(conn: &Connection, name: &str, version: i64) -> Result<ModelVersion> {
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
fn logged_model(conn: &Connection, model_id: &str) -> Result<LoggedModelSource> {
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

// ---- models:/ URIs -----------------------------------------------------------------------

/// What a `models:/` URI names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelUri {
    /// `models:/<model_id>`: a logged model.
    LoggedModel(String),
    Version {
        name: String,
        version: String,
    },
    /// `models:/<name>/latest` (`stage` None) or `models:/<name>/<stage>`.
    Latest {
        name: String,
        stage: Option<String>,
    },
    Alias {
        name: String,
        alias: String,
    },
}

fn improper_models_uri(uri: &str) -> Error {
    Error::internal(format!(
        "Not a proper models:/ URI: {uri}. Models URIs must be of the form 'models:/name/suffix' \
         or 'models:/name@alias' where suffix is a version, stage, or the string 'latest' and \
         where alias is a registered model alias. Only one of suffix or alias can be defined at \
         a time."
    ))
}

/// Parses a `models:/` URI as MLflow's `_parse_model_uri` does.
pub fn parse_models_uri(uri: &str) -> Result<ModelUri> {
    let Some((scheme, rest)) = uri.split_once(':') else {
        return Err(improper_models_uri(uri));
    };
    if !scheme.eq_ignore_ascii_case("models") {
        return Err(improper_models_uri(uri));
    }
    // urlparse: `//netloc` goes away, the query is cut off; the path is what remains.
    let rest = rest.split(['?']).next().unwrap_or_default();
    let path = match rest.strip_prefix("//") {
        Some(after) => after.find('/').map_or("", |i| &after[i..]),
        None => rest,
    };
    if !path.starts_with('/') || path.len() <= 1 {
        return Err(improper_models_uri(uri));
    }
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    if parts.len() > 2 || parts[0].trim().is_empty() {
        return Err(improper_models_uri(uri));
    }
    if let [name, suffix] = parts[..] {
        if suffix.trim().is_empty() {
            return Err(improper_models_uri(uri));
        }
        if !suffix.is_empty() && suffix.chars().all(char::is_numeric) {
            return Ok(ModelUri::Version {
                name: name.to_owned(),
                version: suffix.to_owned(),
            });
        }
        let stage = (!suffix.eq_ignore_ascii_case("latest")).then(|| suffix.to_owned());
        return Ok(ModelUri::Latest {
            name: name.to_owned(),
            stage,
        });
    }
    if path.contains('@') {
        return match parts[0].rsplit_once('@') {
            Some((name, alias)) if !alias.trim().is_empty() => Ok(ModelUri::Alias {
                name: name.to_owned(),
                alias: alias.to_owned(),
            }),
            _ => Err(improper_models_uri(uri)),
        };
    }
    Ok(ModelUri::LoggedModel(parts[0].to_owned()))
}

fn is_models_uri(uri: &str) -> bool {
    uri.split_once(':')
        .is_some_and(|(scheme, _)| scheme.eq_ignore_ascii_case("models"))
}

/// `int(version)` for the digit strings a models URI holds.
fn parse_version_number(version: &str) -> Result<i64> {
    version.trim().parse::<i64>().map_err(|_| {
        Error::invalid(format!(
            "Parameter 'version' must be an integer, got '{version}'."
        ))
    })
}

fn latest_of_stages(conn: &Connection, name: &str, stages: &[&str]) -> Result<Vec<ModelVersion>> {
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
fn download_uri(conn: &Connection, name: &str, version: i64) -> Result<String> {
    let mv = existing_version(conn, name, version)?;
    Ok(mv
        .storage_location
        .filter(|s| !s.is_empty())
        .or(mv.source)
        .unwrap_or_default())
}

/// Where `models:/...` points: a logged model's artifact location, or a model version's download
/// URI (by version, alias, `latest` or stage), with MLflow's errors.
fn resolve_models_uri(conn: &Connection, uri: &str) -> Result<String> {
    match parse_models_uri(uri)? {
        ModelUri::LoggedModel(id) => Ok(logged_model(conn, &id)?.artifact_location),
        ModelUri::Version { name, version } => {
            existing_model(conn, &name)?;
            download_uri(conn, &name, parse_version_number(&version)?)
        }
        ModelUri::Alias { name, alias } => {
            let mv = version_by_alias(conn, &name, &alias)?;
            download_uri(conn, &name, mv.version)
        }
        ModelUri::Latest { name, stage } => {
            let stages: Vec<&str> = match &stage {
                Some(stage) => vec![canonical_stage(stage)?],
                None => ALL_STAGES.to_vec(),
            };
            let latest = latest_of_stages(conn, &name, &stages)?;
            let Some(version) = latest.iter().map(|mv| mv.version).max() else {
                let stage_text = stage.map_or(String::new(), |s| format!(" and stage '{s}'"));
                return Err(Error::internal(format!(
                    "No versions of model with name '{name}'{stage_text} found"
                )));
            };
            download_uri(conn, &name, version)
        }
    }
}

fn version_by_alias(conn: &Connection, name: &str, alias: &str) -> Result<ModelVersion> {
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

/// A version number as the registry's client holds it: an int from the SQL store, the string
/// the REST API writes from a tracking server. A logged model's link keeps that form, as
/// MLflow's client writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionNumber {
    Int(i64),
    Text(String),
}

impl VersionNumber {
    fn json(&self) -> String {
        match self {
            Self::Int(version) => version.to_string(),
            Self::Text(version) => crate::engine::validate::json_string(version),
        }
    }
}

/// `json.dumps(existing + [{"name": name, "version": version}])` for a list MLflow (or mlrs)
/// wrote with `json.dumps`: the new entry appended in the same formatting.
pub(crate) fn append_model_version_link(
    existing: Option<&str>,
    name: &str,
    version: &VersionNumber,
) -> Result<String> {
    let entry = format!(
        "{{\"name\": {}, \"version\": {}}}",
        crate::engine::validate::json_string(name),
        version.json()
    );
    let Some(existing) = existing.map(str::trim) else {
        return Ok(format!("[{entry}]"));
    };
    let inner = existing
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .ok_or_else(|| {
            Error::internal(format!(
                "The logged model tag {MODEL_VERSIONS_TAG} is not a JSON list: {existing}"
            ))
        })?;
    if inner.trim().is_empty() {
        Ok(format!("[{entry}]"))
    } else {
        Ok(format!("[{inner}, {entry}]"))
    }
}

// ---- the store API -----------------------------------------------------------------------

fn upsert_model_tag(tx: &Connection, name: &str, key: &str, value: &str) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO registered_model_tags (key, value, name, workspace) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (workspace, key, name) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![key, value, name, DEFAULT_WORKSPACE])?;
    Ok(())
}

fn upsert_version_tag(
    tx: &Connection,
    name: &str,
    version: i64,
    key: &str,
    value: &str,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO model_version_tags (key, value, name, version, workspace) \
         VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (workspace, key, name, version) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![key, value, name, version, DEFAULT_WORKSPACE])?;
    Ok(())
}

impl Store {
    pub fn create_registered_model(
        &self,
        name: &str,
        tags: Vec<(String, String)>,
        description: Option<String>,
    ) -> Result<RegisteredModel> {
        validate_model_name(name)?;
        for (key, value) in &tags {
            validate_registry_tag(key, value)?;
        }
        let name = name.to_owned();
        self.control(move |tx| {
            if let Some(existing) = model_row(tx, &name)? {
                let existing = complete_model(tx, existing)?;
                let was_prompt = existing
                    .tags
                    .iter()
                    .any(|(k, _)| k == crate::engine::search::registry::IS_PROMPT_TAG);
                return Err(if was_prompt {
                    Error::already_exists(format!(
                        "Tried to create a registered model with name {}, but the name is \
                         already taken by a prompt. MLflow does not allow creating a model and \
                         a prompt with the same name.",
                        py_repr(&name)
                    ))
                } else {
                    Error::already_exists(format!("Registered Model (name={name}) already exists."))
                });
            }
            let now = now_ms();
            tx.execute(
                "INSERT INTO registered_models (name, creation_time, last_updated_time, \
                 description, workspace) VALUES (?1, ?2, ?2, ?3, ?4)",
                params![name, now, description, DEFAULT_WORKSPACE],
            )?;
            for (key, value) in &tags {
                upsert_model_tag(tx, &name, key, value)?;
            }
            existing_model(tx, &name)
        })
    }

    pub fn get_registered_model(&self, name: &str) -> Result<RegisteredModel> {
        self.read(|conn| existing_model(conn, name))
    }

    /// Renames the model; its versions, tags and aliases follow (the foreign keys cascade),
    /// and every version is stamped with the time of the rename, as MLflow does.
    pub fn rename_registered_model(&self, name: &str, new_name: &str) -> Result<RegisteredModel> {
        validate_new_model_name(new_name)?;
        let (name, new_name) = (name.to_owned(), new_name.to_owned());
        self.control(move |tx| {
            existing_model(tx, &name)?;
            let now = now_ms();
            if name != new_name && model_row(tx, &new_name)?.is_some() {
                return Err(Error::already_exists(format!(
                    "Registered Model (name={new_name}) already exists. Error: \
                     (sqlite3.IntegrityError) UNIQUE constraint failed: \
                     registered_models.workspace, registered_models.name"
                )));
            }
            tx.execute(
                "UPDATE registered_models SET name = ?1, last_updated_time = ?2 \
                 WHERE workspace = ?3 AND name = ?4",
                params![new_name, now, DEFAULT_WORKSPACE, name],
            )?;
            // SQLite cascades the new name to versions, tags and aliases through the foreign
            // keys; tables written by a store without them are updated here too.
            for table in [
                "model_versions",
                "registered_model_tags",
                "registered_model_aliases",
                "model_version_tags",
            ] {
                tx.execute(
                    &format!("UPDATE {table} SET name = ?1 WHERE workspace = ?2 AND name = ?3"),
                    params![new_name, DEFAULT_WORKSPACE, name],
                )?;
            }
            tx.execute(
                "UPDATE model_versions SET last_updated_time = ?1 WHERE workspace = ?2 \
                 AND name = ?3",
                params![now, DEFAULT_WORKSPACE, new_name],
            )?;
            existing_model(tx, &new_name)
        })
    }

    pub fn update_registered_model(
        &self,
        name: &str,
        description: Option<String>,
    ) -> Result<RegisteredModel> {
        let name = name.to_owned();
        self.control(move |tx| {
            existing_model(tx, &name)?;
            tx.execute(
                "UPDATE registered_models SET description = ?1, last_updated_time = ?2 \
                 WHERE workspace = ?3 AND name = ?4",
                params![description, now_ms(), DEFAULT_WORKSPACE, name],
            )?;
            existing_model(tx, &name)
        })
    }

    /// Deletes the model with all its versions, tags and aliases.
    pub fn delete_registered_model(&self, name: &str) -> Result<()> {
        let name = name.to_owned();
        self.control(move |tx| {
            existing_model(tx, &name)?;
            for table in [
                "model_version_tags",
                "registered_model_aliases",
                "registered_model_tags",
                "model_versions",
                "registered_models",
            ] {
                tx.execute(
                    &format!("DELETE FROM {table} WHERE workspace = ?1 AND name = ?2"),
                    params![DEFAULT_WORKSPACE, name],
                )?;
            }
            Ok(())
        })
    }

    /// Up to `limit` registered models from `offset`, in the search's order.
    pub fn search_registered_models(
        &self,
        filter: &str,
        order_by: &[String],
        limit: i64,
        offset: i64,
    ) -> Result<Vec<RegisteredModel>> {
        let query = compile_registered_models(filter, order_by)?;
        self.read(|conn| {
            let sql = format!(
                "SELECT {} FROM registered_models WHERE {} ORDER BY {} LIMIT {} OFFSET {}",
                qualified("registered_models", MODEL_COLUMNS),
                query.where_sql,
                query.order_sql,
                limit.max(0),
                offset.max(0)
            );
            let rows: Vec<RegisteredModel> = conn
                .prepare(&sql)?
                .query_map(rusqlite::params_from_iter(&query.params), model_from_row)?
                .collect::<Result<_, _>>()?;
            rows.into_iter()
                .map(|rm| complete_model(conn, rm))
                .collect()
        })
    }

    pub fn set_registered_model_tag(&self, name: &str, key: &str, value: &str) -> Result<()> {
        validate_model_name(name)?;
        validate_registry_tag(key, value)?;
        let (name, key, value) = (name.to_owned(), key.to_owned(), value.to_owned());
        self.control(move |tx| {
            existing_model(tx, &name)?;
            upsert_model_tag(tx, &name, &key, &value)
        })
    }

    /// Deletes the tag if the model has it (a missing tag is not an error).
    pub fn delete_registered_model_tag(&self, name: &str, key: &str) -> Result<()> {
        validate_model_name(name)?;
        validate_registry_tag_key(key)?;
        let (name, key) = (name.to_owned(), key.to_owned());
        self.control(move |tx| {
            existing_model(tx, &name)?;
            tx.execute(
                "DELETE FROM registered_model_tags WHERE workspace = ?1 AND name = ?2 AND key = ?3",
                params![DEFAULT_WORKSPACE, name, key],
            )?;
            Ok(())
        })
    }

    /// The logged model `models:/<model_id>` names (for register_model's source lookups).
    pub fn registry_logged_model(&self, model_id: &str) -> Result<LoggedModelSource> {
        self.read(|conn| logged_model(conn, model_id))
    }

    /// The logged models named `name` that run `run_id` made (experiment `experiment_id`), the
    /// one logged at the largest step first, as `register_model` picks among them.
    pub fn registry_logged_models_of_run(
        &self,
        experiment_id: i64,
        run_id: &str,
        name: &str,
    ) -> Result<Vec<String>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT m.model_id FROM logged_models m LEFT JOIN inputs i \
                 ON i.source_type = 'RUN_OUTPUT' AND i.source_id = m.source_run_id \
                 AND i.destination_type = 'MODEL_OUTPUT' AND i.destination_id = m.model_id \
                 WHERE m.experiment_id = ?1 AND m.name = ?2 AND m.source_run_id = ?3 \
                 AND m.lifecycle_stage != 'deleted' \
                 ORDER BY COALESCE(i.step, -1) DESC, m.creation_timestamp_ms DESC",
            )?;
            let ids = stmt
                .query_map(params![experiment_id, name, run_id], |row| row.get(0))?
                .collect::<Result<_, _>>()?;
            Ok(ids)
        })
    }

    /// Appends `{"name", "version"}` to the logged model's `mlflow.modelVersions` tag; false
    /// when the logged model does not exist.
    pub fn link_model_version_to_logged_model(
        &self,
        model_id: &str,
        name: &str,
        version: VersionNumber,
    ) -> Result<bool> {
        let (model_id, name) = (model_id.to_owned(), name.to_owned());
        self.control(move |tx| {
            let experiment_id: Option<i64> = tx
                .prepare_cached(
                    "SELECT experiment_id FROM logged_models WHERE model_id = ?1 \
                     AND lifecycle_stage != 'deleted'",
                )?
                .query_row([&model_id], |row| row.get(0))
                .optional()?;
            let Some(experiment_id) = experiment_id else {
                return Ok(false);
            };
            let existing: Option<String> = tx
                .prepare_cached(
                    "SELECT tag_value FROM logged_model_tags WHERE model_id = ?1 AND tag_key = ?2",
                )?
                .query_row(params![model_id, MODEL_VERSIONS_TAG], |row| row.get(0))
                .optional()?
                .flatten();
            let value = append_model_version_link(existing.as_deref(), &name, &version)?;
            tx.execute(
                "INSERT INTO logged_model_tags (model_id, experiment_id, tag_key, tag_value) \
                 VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (model_id, tag_key) DO UPDATE SET tag_value = excluded.tag_value",
                params![model_id, experiment_id, MODEL_VERSIONS_TAG, value],
            )?;
            // MLflow's set_logged_model_tags leaves last_updated_timestamp_ms as it was.
            Ok(true)
        })
    }

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

    /// Where a `models:/` URI points (a logged model's or a model version's files).
    pub fn resolve_models_uri(&self, uri: &str) -> Result<String> {
        self.read(|conn| resolve_models_uri(conn, uri))
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

    pub fn set_model_version_tag(
        &self,
        name: &str,
        version: i64,
        key: &str,
        value: &str,
    ) -> Result<()> {
        validate_model_name(name)?;
        validate_registry_tag(key, value)?;
        let (name, key, value) = (name.to_owned(), key.to_owned(), value.to_owned());
        self.control(move |tx| {
            existing_version(tx, &name, version)?;
            upsert_version_tag(tx, &name, version, &key, &value)
        })
    }

    pub fn delete_model_version_tag(&self, name: &str, version: i64, key: &str) -> Result<()> {
        validate_model_name(name)?;
        validate_registry_tag_key(key)?;
        let (name, key) = (name.to_owned(), key.to_owned());
        self.control(move |tx| {
            existing_version(tx, &name, version)?;
            tx.execute(
                "DELETE FROM model_version_tags WHERE workspace = ?1 AND name = ?2 \
                 AND version = ?3 AND key = ?4",
                params![DEFAULT_WORKSPACE, name, version, key],
            )?;
            Ok(())
        })
    }

    pub fn set_registered_model_alias(&self, name: &str, alias: &str, version: i64) -> Result<()> {
        validate_model_name(name)?;
        validate_alias_name(alias)?;
        validate_alias_not_reserved(alias)?;
        let (name, alias) = (name.to_owned(), alias.to_owned());
        self.control(move |tx| {
            existing_version(tx, &name, version)?;
            tx.execute(
                "INSERT INTO registered_model_aliases (alias, version, name, workspace) \
                 VALUES (?1, ?2, ?3, ?4) ON CONFLICT (workspace, name, alias) \
                 DO UPDATE SET version = excluded.version",
                params![alias, version, name, DEFAULT_WORKSPACE],
            )?;
            Ok(())
        })
    }

    pub fn delete_registered_model_alias(&self, name: &str, alias: &str) -> Result<()> {
        validate_model_name(name)?;
        validate_alias_name(alias)?;
        let (name, alias) = (name.to_owned(), alias.to_owned());
        self.control(move |tx| {
            existing_model(tx, &name)?;
            tx.execute(
                "DELETE FROM registered_model_aliases WHERE workspace = ?1 AND name = ?2 \
                 AND alias = ?3",
                params![DEFAULT_WORKSPACE, name, alias],
            )?;
            Ok(())
        })
    }

    /// The version an alias points at; `latest` (any case) is the highest live version.
    pub fn get_model_version_by_alias(&self, name: &str, alias: &str) -> Result<ModelVersion> {
        self.read(|conn| version_by_alias(conn, name, alias))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::error::ErrorCode;

    use crate::engine::store::testing::open;

    fn version(store: &Store, name: &str, source: &str) -> ModelVersion {
        store
            .create_model_version(NewModelVersion {
                name: name.into(),
                source: source.into(),
                ..NewModelVersion::default()
            })
            .unwrap()
    }

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

    #[test]
    fn duplicate_and_missing_models_get_mlflows_errors() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        store
            .create_registered_model("m", Vec::new(), None)
            .unwrap();
        let err = store
            .create_registered_model("m", Vec::new(), None)
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::ResourceAlreadyExists);
        assert_eq!(err.to_string(), "Registered Model (name=m) already exists.");
        let err = store.get_registered_model("nope").unwrap_err();
        assert_eq!(err.code(), ErrorCode::ResourceDoesNotExist);
        assert_eq!(err.to_string(), "Registered Model with name=nope not found");
        assert!(
            store
                .create_registered_model("a/b", Vec::new(), None)
                .is_err()
        );
    }

    #[test]
    fn rename_moves_versions_tags_and_aliases() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        store
            .create_registered_model("a", vec![("t".into(), "1".into())], None)
            .unwrap();
        let v = version(&store, "a", "/x");
        store
            .set_model_version_tag("a", v.version, "vt", "2")
            .unwrap();
        store.set_registered_model_alias("a", "champ", 1).unwrap();
        let rm = store.rename_registered_model("a", "b").unwrap();
        assert_eq!(rm.aliases, vec![("champ".into(), 1)]);
        let mv = store.get_model_version_by_alias("b", "champ").unwrap();
        assert_eq!(mv.tags, vec![("vt".into(), Some("2".into()))]);
        assert_eq!(mv.aliases, vec!["champ".to_owned()]);
        assert!(store.get_registered_model("a").is_err());
    }

    #[test]
    fn models_uris_parse_like_mlflow() {
        assert_eq!(
            parse_models_uri("models:/m-abc").unwrap(),
            ModelUri::LoggedModel("m-abc".into())
        );
        assert_eq!(
            parse_models_uri("models:/Name/3").unwrap(),
            ModelUri::Version {
                name: "Name".into(),
                version: "3".into()
            }
        );
        assert_eq!(
            parse_models_uri("models:/Name@champ").unwrap(),
            ModelUri::Alias {
                name: "Name".into(),
                alias: "champ".into()
            }
        );
        assert_eq!(
            parse_models_uri("models:/Name/Latest").unwrap(),
            ModelUri::Latest {
                name: "Name".into(),
                stage: None
            }
        );
        assert!(parse_models_uri("models:/a/b/c").is_err());
        assert!(parse_models_uri("models:/").is_err());
        assert!(parse_models_uri("models:/x@").is_err());
    }

    #[test]
    fn aliases_reject_reserved_names() {
        assert!(validate_alias_not_reserved("latest").is_err());
        assert!(validate_alias_not_reserved("V12").is_err());
        assert!(validate_alias_not_reserved("v").is_ok());
        assert!(validate_alias_not_reserved("v1a").is_ok());
        assert!(validate_alias_name("a b").is_err());
        assert!(validate_alias_name("é_1-x").is_ok());
    }

    #[test]
    fn model_version_links_append_in_json_dumps_format() {
        assert_eq!(
            append_model_version_link(None, "M", &VersionNumber::Int(1)).unwrap(),
            "[{\"name\": \"M\", \"version\": 1}]"
        );
        assert_eq!(
            append_model_version_link(
                Some("[{\"name\": \"M\", \"version\": 1}]"),
                "é",
                &VersionNumber::Text("2".into())
            )
            .unwrap(),
            "[{\"name\": \"M\", \"version\": 1}, {\"name\": \"\\u00e9\", \"version\": \"2\"}]"
        );
    }
}
