//! The logged models the registry reads (a version's source, a run's models, as
//! `register_model` looks them up), and their `mlflow.modelVersions` tag, which lists the
//! versions registered from a logged model.

use rusqlite::{OptionalExtension, params};
use serde_json::{Value, json};

use super::read::logged_model;
use super::{LoggedModelSource, MODEL_VERSIONS_TAG};
use crate::engine::error::{Error, Result};
use crate::engine::pyjson;
use crate::engine::store::Store;

/// A version number as the registry's client holds it: an int from the SQL store, the string
/// the REST API writes from a tracking server. A logged model's link keeps that form, as
/// MLflow's client writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionNumber {
    Int(i64),
    Text(String),
}

impl VersionNumber {
    /// The version as the link holds it: a number, or the server's string.
    fn to_json(&self) -> Value {
        match self {
            Self::Int(version) => Value::from(*version),
            Self::Text(version) => Value::from(version.as_str()),
        }
    }
}

/// The tag's new value, as MLflow's `register_model` makes it:
/// `json.dumps(json.loads(existing) + [{"name": name, "version": version}])`. A list that
/// MLflow or mlrs wrote comes back byte for byte, the new entry after it. (serde_json's maps
/// keep their keys sorted, where Python keeps them as read: an entry some other writer wrote
/// with `version` before `name` would come back in sorted order.)
pub(crate) fn append_model_version_link(
    existing: Option<&str>,
    name: &str,
    version: &VersionNumber,
) -> Result<String> {
    let mut links: Vec<Value> = match existing {
        None => Vec::new(),
        Some(existing) => serde_json::from_str(existing).map_err(|_| {
            Error::internal(format!(
                "The logged model tag {MODEL_VERSIONS_TAG} is not a JSON list: {}",
                existing.trim()
            ))
        })?,
    };
    links.push(json!({"name": name, "version": version.to_json()}));
    Ok(pyjson::dumps(&Value::Array(links)))
}

impl Store {
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
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn links_are_read_and_written_again_as_mlflow_does() {
        // `json.dumps(json.loads(existing) + [{"name": "b", "version": 2}])`
        assert_eq!(
            append_model_version_link(
                Some(" [{\"name\":\"a\",\"version\":\"1\"}]\n"),
                "b",
                &VersionNumber::Int(2)
            )
            .unwrap(),
            "[{\"name\": \"a\", \"version\": \"1\"}, {\"name\": \"b\", \"version\": 2}]"
        );
        assert_eq!(
            append_model_version_link(Some("[]"), "😀", &VersionNumber::Int(3)).unwrap(),
            "[{\"name\": \"\\ud83d\\ude00\", \"version\": 3}]"
        );
        for broken in ["", "[1, ", "{}", "[1]]"] {
            let err = append_model_version_link(Some(broken), "m", &VersionNumber::Int(1));
            let message = err.unwrap_err().to_string();
            assert!(
                message.contains("is not a JSON list"),
                "{broken}: {message}"
            );
        }
    }
}
