//! Logged models (MLflow 3's `LoggedModel`): rows of `logged_models` with their params, tags and
//! metrics, and the `inputs` rows that link a run to the models it produced (`RUN_OUTPUT` →
//! `MODEL_OUTPUT`, with a step), as MLflow 3.18's SQLAlchemy store writes them.

use rusqlite::{Connection, OptionalExtension, Row};

use super::{Store, append_path, check_experiment_active, check_run_active, read};
use crate::engine::clock::now_ms;
use crate::engine::error::{Error, ErrorCode, Result};
use crate::engine::names::random_run_name;
use crate::engine::search;
pub use crate::engine::search::models::{DatasetFilter, OrderBy};
use crate::engine::validate;

/// `LoggedModelStatus` as MLflow stores it (`status INTEGER`).
pub const STATUS_PENDING: i64 = 1;
pub const STATUS_READY: i64 = 2;
pub const STATUS_FAILED: i64 = 3;

/// One metric of a logged model, as `logged_model_metrics` keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelMetric {
    pub key: String,
    pub value: Option<f64>,
    pub timestamp_ms: i64,
    pub step: i64,
    pub run_id: String,
    pub dataset_name: Option<String>,
    pub dataset_digest: Option<String>,
}

/// A metric point a run logs for a model (see `Store::log_model_metrics`).
#[derive(Debug, Clone, PartialEq)]
pub struct ModelMetricPoint {
    pub model_id: String,
    pub key: String,
    pub value: f64,
    pub timestamp_ms: i64,
    pub step: i64,
    pub dataset_name: Option<String>,
    pub dataset_digest: Option<String>,
}

/// A row of `logged_models` with its tags, params and metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedModel {
    pub model_id: String,
    pub experiment_id: i64,
    pub name: String,
    pub artifact_location: String,
    pub creation_timestamp_ms: i64,
    pub last_updated_timestamp_ms: i64,
    pub status: i64,
    pub lifecycle_stage: Option<String>,
    pub model_type: Option<String>,
    pub source_run_id: Option<String>,
    pub status_message: Option<String>,
    pub tags: Vec<(String, String)>,
    pub params: Vec<(String, String)>,
    pub metrics: Vec<ModelMetric>,
}

/// What a new logged model starts with.
#[derive(Debug, Clone, Default)]
pub struct NewModel {
    pub experiment_id: String,
    pub name: String,
    pub source_run_id: Option<String>,
    pub model_type: Option<String>,
    pub params: Vec<(String, String)>,
    pub tags: Vec<(String, String)>,
}

const MODEL_COLUMNS: &str = "model_id, experiment_id, name, artifact_location, \
                             creation_timestamp_ms, last_updated_timestamp_ms, status, \
                             lifecycle_stage, model_type, source_run_id, status_message";

fn model_from_row(row: &Row<'_>) -> rusqlite::Result<LoggedModel> {
    Ok(LoggedModel {
        model_id: row.get(0)?,
        experiment_id: row.get(1)?,
        name: row.get(2)?,
        artifact_location: row.get(3)?,
        creation_timestamp_ms: row.get(4)?,
        last_updated_timestamp_ms: row.get(5)?,
        status: row.get(6)?,
        lifecycle_stage: row.get(7)?,
        model_type: row.get(8)?,
        source_run_id: row.get(9)?,
        status_message: row.get(10)?,
        tags: Vec::new(),
        params: Vec::new(),
        metrics: Vec::new(),
    })
}

fn not_found(model_id: &str) -> Error {
    Error::not_found(format!("Logged model with ID '{model_id}' not found."))
}

/// The model with its tags, params and metrics; deleted ones only when `allow_deleted`.
fn model(conn: &Connection, model_id: &str, allow_deleted: bool) -> Result<LoggedModel> {
    let found = conn
        .prepare_cached(&format!(
            "SELECT {MODEL_COLUMNS} FROM logged_models WHERE model_id = ?1"
        ))?
        .query_row([model_id], model_from_row)
        .optional()?
        .filter(|m| allow_deleted || m.lifecycle_stage.as_deref() != Some("deleted"))
        .ok_or_else(|| not_found(model_id))?;
    with_children(conn, found)
}

fn with_children(conn: &Connection, mut m: LoggedModel) -> Result<LoggedModel> {
    let pairs = |sql: &str| -> Result<Vec<(String, String)>> {
        let mut stmt = conn.prepare_cached(sql)?;
        let rows = stmt
            .query_map([&m.model_id], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    };
    m.tags = pairs("SELECT tag_key, tag_value FROM logged_model_tags WHERE model_id = ?1")?;
    m.params = pairs("SELECT param_key, param_value FROM logged_model_params WHERE model_id = ?1")?;
    let mut stmt = conn.prepare_cached(
        "SELECT metric_name, metric_value, metric_timestamp_ms, metric_step, run_id, \
         dataset_name, dataset_digest FROM logged_model_metrics WHERE model_id = ?1 \
         ORDER BY metric_name, metric_step, metric_timestamp_ms",
    )?;
    m.metrics = stmt
        .query_map([&m.model_id], |row| {
            Ok(ModelMetric {
                key: row.get(0)?,
                value: row.get(1)?,
                timestamp_ms: row.get(2)?,
                step: row.get(3)?,
                run_id: row.get(4)?,
                dataset_name: row.get(5)?,
                dataset_digest: row.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(m)
}

/// A new model id in MLflow's shape: `m-` and a uuid4 in hex.
fn new_model_id() -> String {
    format!("m-{}", uuid::Uuid::new_v4().simple())
}

/// The `(model_id, step)` outputs of one run, in the order they were logged.
pub fn run_outputs(conn: &Connection, run_id: &str) -> Result<Vec<(String, i64)>> {
    Ok(conn
        .prepare_cached(
            "SELECT destination_id, step FROM inputs WHERE source_type = 'RUN_OUTPUT' \
             AND source_id = ?1 AND destination_type = 'MODEL_OUTPUT' ORDER BY rowid",
        )?
        .query_map([run_id], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?)
}

impl Store {
    /// Creates a logged model in PENDING state in an active experiment; its artifacts go to
    /// `<experiment artifact_location>/models/<model_id>/artifacts`.
    pub fn create_logged_model(&self, new: NewModel) -> Result<LoggedModel> {
        let experiment_id = validate::parse_experiment_id(&new.experiment_id)?;
        self.control(move |tx| {
            let experiment = read::existing_experiment(tx, experiment_id)?;
            check_experiment_active(&experiment)?;
            let model_id = new_model_id();
            let name = if new.name.is_empty() {
                random_run_name()
            } else {
                new.name.clone()
            };
            let location = experiment.artifact_location.unwrap_or_default();
            let artifact_location = append_path(
                &append_path(&append_path(&location, "models"), &model_id),
                "artifacts",
            );
            let now = now_ms();
            tx.execute(
                "INSERT INTO logged_models (model_id, experiment_id, name, artifact_location, \
                 creation_timestamp_ms, last_updated_timestamp_ms, status, lifecycle_stage, \
                 model_type, source_run_id, status_message) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, 'active', ?7, ?8, NULL)",
                rusqlite::params![
                    model_id,
                    experiment_id,
                    name,
                    artifact_location,
                    now,
                    STATUS_PENDING,
                    new.model_type,
                    new.source_run_id
                ],
            )?;
            let mut param = tx.prepare_cached(
                "INSERT OR REPLACE INTO logged_model_params \
                 (model_id, experiment_id, param_key, param_value) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (key, value) in &new.params {
                param.execute(rusqlite::params![model_id, experiment_id, key, value])?;
            }
            let mut tag = tx.prepare_cached(
                "INSERT OR REPLACE INTO logged_model_tags \
                 (model_id, experiment_id, tag_key, tag_value) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (key, value) in &new.tags {
                tag.execute(rusqlite::params![model_id, experiment_id, key, value])?;
            }
            model(tx, &model_id, false)
        })
    }

    /// Sets a model's status (READY or FAILED) and its last-updated time.
    pub fn finalize_logged_model(&self, model_id: &str, status: i64) -> Result<LoggedModel> {
        if ![STATUS_READY, STATUS_FAILED].contains(&status) {
            return Err(Error::invalid(format!("Unknown model status: {status}")));
        }
        let id = model_id.to_owned();
        self.control(move |tx| {
            model(tx, &id, true)?;
            tx.execute(
                "UPDATE logged_models SET status = ?1, last_updated_timestamp_ms = ?2 \
                 WHERE model_id = ?3",
                rusqlite::params![status, now_ms(), id],
            )?;
            model(tx, &id, true)
        })
    }

    pub fn get_logged_model(&self, model_id: &str, allow_deleted: bool) -> Result<LoggedModel> {
        self.read(|conn| model(conn, model_id, allow_deleted))
    }

    /// Sets (or replaces) tags on a model.
    pub fn set_logged_model_tags(&self, model_id: &str, tags: Vec<(String, String)>) -> Result<()> {
        let id = model_id.to_owned();
        self.control(move |tx| {
            let m = model(tx, &id, true)?;
            let mut tag = tx.prepare_cached(
                "INSERT OR REPLACE INTO logged_model_tags \
                 (model_id, experiment_id, tag_key, tag_value) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (key, value) in &tags {
                tag.execute(rusqlite::params![id, m.experiment_id, key, value])?;
            }
            Ok(())
        })
    }

    /// Links models to an active run as its outputs (`inputs` rows `RUN_OUTPUT` →
    /// `MODEL_OUTPUT`), each with the step it was logged at.
    pub fn log_outputs(&self, run_id: &str, outputs: Vec<(String, i64)>) -> Result<()> {
        validate::validate_run_id(run_id)?;
        let id = run_id.to_owned();
        self.control(move |tx| {
            check_run_active(&read::existing_run_info(tx, &id)?)?;
            let mut insert = tx.prepare_cached(
                "INSERT OR REPLACE INTO inputs (input_uuid, source_type, source_id, \
                 destination_type, destination_id, step) \
                 VALUES (?1, 'RUN_OUTPUT', ?2, 'MODEL_OUTPUT', ?3, ?4)",
            )?;
            for (model_id, step) in &outputs {
                let uuid = uuid::Uuid::new_v4().simple().to_string();
                insert.execute(rusqlite::params![uuid, id, model_id, step])?;
            }
            Ok(())
        })
    }

    /// Copies the run's metric points logged at `step` onto the model (MLflow does this when a
    /// model is logged to a run), keeping the run id with each point.
    pub fn link_run_metrics_to_model(&self, model_id: &str, run_id: &str, step: i64) -> Result<()> {
        let (model_id, run_id) = (model_id.to_owned(), run_id.to_owned());
        self.control(move |tx| {
            let m = model(tx, &model_id, true)?;
            tx.execute(
                "INSERT OR IGNORE INTO logged_model_metrics (model_id, metric_name, \
                 metric_timestamp_ms, metric_step, metric_value, experiment_id, run_id) \
                 SELECT ?1, key, timestamp, step, value, ?2, run_uuid FROM metrics \
                 WHERE run_uuid = ?3 AND step = ?4",
                rusqlite::params![model_id, m.experiment_id, run_id, step],
            )?;
            Ok(())
        })
    }

    /// Metric points a run logged for models (`Metric.model_id`): rows of
    /// `logged_model_metrics` under the run's experiment, with the metric's dataset name and
    /// digest, as MLflow's store adds them next to the run's own `metrics` rows. NaN is stored
    /// as 0 and infinities as the largest finite floats, as in `metrics`; a point already there
    /// is kept.
    pub fn log_model_metrics(&self, run_id: &str, points: Vec<ModelMetricPoint>) -> Result<()> {
        if points.is_empty() {
            return Ok(());
        }
        let run_id = run_id.to_owned();
        self.control(move |tx| {
            let experiment_id: i64 = tx
                .query_row(
                    "SELECT experiment_id FROM runs WHERE run_uuid = ?1",
                    [&run_id],
                    |row| row.get(0),
                )
                .optional()?
                .ok_or_else(|| Error::not_found(format!("Run with id={run_id} not found")))?;
            let mut stmt = tx.prepare_cached(
                "INSERT OR IGNORE INTO logged_model_metrics (model_id, metric_name, \
                 metric_timestamp_ms, metric_step, metric_value, experiment_id, run_id, \
                 dataset_name, dataset_digest) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?;
            for p in &points {
                model(tx, &p.model_id, true)?;
                let value = if p.value.is_nan() {
                    0.0
                } else {
                    p.value.clamp(f64::MIN, f64::MAX)
                };
                stmt.execute(rusqlite::params![
                    p.model_id,
                    p.key,
                    p.timestamp_ms,
                    p.step,
                    value,
                    experiment_id,
                    run_id,
                    p.dataset_name,
                    p.dataset_digest
                ])?;
            }
            Ok(())
        })
    }

    /// The model outputs of each run, as `(model_id, step)` in insertion order.
    pub fn model_outputs(&self, run_ids: &[String]) -> Result<Vec<Vec<(String, i64)>>> {
        self.read(|conn| run_ids.iter().map(|id| run_outputs(conn, id)).collect())
    }

    /// Active models of some experiments that meet a filter string (MLflow's grammar over
    /// attributes, latest metric values, params and tags), restricted to metrics of `datasets`
    /// when given, in `order_by` order (then newest first, then by id), `limit` of them from
    /// `offset`.
    pub fn search_logged_models(
        &self,
        experiment_ids: &[String],
        filter: Option<&str>,
        datasets: &[DatasetFilter],
        order_by: &[OrderBy],
        limit: i64,
        offset: i64,
    ) -> Result<Vec<LoggedModel>> {
        let ids: Vec<i64> = experiment_ids
            .iter()
            .map(|id| validate::parse_experiment_id(id))
            .collect::<Result<_>>()?;
        let query = search::models::compile(filter, datasets, order_by)?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {MODEL_COLUMNS} FROM logged_models lm WHERE lm.lifecycle_stage != 'deleted' \
             AND lm.experiment_id IN ({}) AND ({}) ORDER BY {} LIMIT {limit} OFFSET {offset}",
            vec!["?"; ids.len()].join(", "),
            query.where_sql,
            query.order_sql
        );
        let mut params: Vec<rusqlite::types::Value> = ids.iter().map(|&i| i.into()).collect();
        params.extend(query.params);
        self.read(|conn| {
            let rows: Vec<LoggedModel> = conn
                .prepare(&sql)?
                .query_map(rusqlite::params_from_iter(&params), model_from_row)?
                .collect::<rusqlite::Result<_>>()?;
            rows.into_iter().map(|m| with_children(conn, m)).collect()
        })
    }

    /// Marks a model deleted (MLflow keeps the row, with `lifecycle_stage = 'deleted'`).
    pub fn delete_logged_model(&self, model_id: &str) -> Result<()> {
        let id = model_id.to_owned();
        self.control(move |tx| {
            model(tx, &id, true)?;
            tx.execute(
                "UPDATE logged_models SET lifecycle_stage = 'deleted', \
                 last_updated_timestamp_ms = ?1 WHERE model_id = ?2",
                rusqlite::params![now_ms(), id],
            )?;
            Ok(())
        })
    }

    /// Removes a tag from a model; MLflow's error when the model has no such tag.
    pub fn delete_logged_model_tag(&self, model_id: &str, key: &str) -> Result<()> {
        let (id, key) = (model_id.to_owned(), key.to_owned());
        self.control(move |tx| {
            model(tx, &id, true)?;
            let count = tx.execute(
                "DELETE FROM logged_model_tags WHERE model_id = ?1 AND tag_key = ?2",
                rusqlite::params![id, key],
            )?;
            if count == 0 {
                return Err(Error::not_found(format!(
                    "No tag with key {} found for model with ID {}.",
                    validate::py_repr(&key),
                    validate::py_repr(&id)
                )));
            }
            Ok(())
        })
    }

    /// Adds params to a model. Params never change: a key the model has already is refused
    /// (BAD_REQUEST, as MLflow's store refuses the duplicate row), whatever its value, and
    /// nothing of the call is written.
    pub fn log_logged_model_params(
        &self,
        model_id: &str,
        params: Vec<(String, String)>,
    ) -> Result<()> {
        let id = model_id.to_owned();
        self.control(move |tx| {
            let m = model(tx, &id, true)?;
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO logged_model_params (model_id, experiment_id, param_key, \
                 param_value) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (key, value) in &params {
                if insert.execute(rusqlite::params![id, m.experiment_id, key, value])? == 0 {
                    return Err(Error::Mlflow {
                        code: ErrorCode::BadRequest,
                        message: format!(
                            "Param with key {} was already logged for model with ID {}: the \
                             params of a logged model cannot change.",
                            validate::py_repr(key),
                            validate::py_repr(&id)
                        ),
                    });
                }
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::writer::WriterConfig;

    fn open(dir: &tempfile::TempDir) -> Store {
        Store::open(
            &dir.path().join("m.db"),
            &dir.path().join("mlruns").to_string_lossy(),
            WriterConfig::default(),
        )
        .unwrap()
    }

    #[test]
    fn a_model_goes_from_pending_to_ready_and_links_to_its_run() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        let run = store.create_run("0", "me", 1, None, Vec::new()).unwrap();
        let run_id = run.info.run_id.clone();
        let op = store.metric_op(&run_id, "acc", 0.5, Some(10), 0).unwrap();
        store.enqueue(op).unwrap();
        let m = store
            .create_logged_model(NewModel {
                experiment_id: "0".into(),
                name: "model".into(),
                source_run_id: Some(run_id.clone()),
                params: vec![("p".into(), "1".into())],
                tags: vec![("t".into(), "v".into())],
                ..NewModel::default()
            })
            .unwrap();
        assert!(m.model_id.starts_with("m-") && m.model_id.len() == 34);
        assert_eq!(m.status, STATUS_PENDING);
        assert!(
            m.artifact_location
                .ends_with(&format!("mlruns/0/models/{}/artifacts", m.model_id))
        );
        store
            .log_outputs(&run_id, vec![(m.model_id.clone(), 0)])
            .unwrap();
        store
            .link_run_metrics_to_model(&m.model_id, &run_id, 0)
            .unwrap();
        let ready = store
            .finalize_logged_model(&m.model_id, STATUS_READY)
            .unwrap();
        assert_eq!(ready.status, STATUS_READY);
        assert_eq!(ready.params, vec![("p".to_owned(), "1".to_owned())]);
        assert_eq!(ready.metrics.len(), 1);
        assert_eq!(ready.metrics[0].value, Some(0.5));
        assert_eq!(
            store.model_outputs(&[run_id]).unwrap(),
            vec![vec![(m.model_id.clone(), 0)]]
        );
        let found = store
            .search_logged_models(&["0".into()], Some("name = 'model'"), &[], &[], 10, 0)
            .unwrap();
        assert_eq!(found.len(), 1);
        let by_metric = store
            .search_logged_models(&["0".into()], Some("metrics.acc >= 0.5"), &[], &[], 10, 0)
            .unwrap();
        assert_eq!(by_metric.len(), 1);
        store
            .log_logged_model_params(&m.model_id, vec![("q".into(), "2".into())])
            .unwrap();
        assert!(
            store
                .log_logged_model_params(&m.model_id, vec![("q".into(), "3".into())])
                .is_err()
        );
        store.delete_logged_model_tag(&m.model_id, "t").unwrap();
        assert!(store.delete_logged_model_tag(&m.model_id, "t").is_err());
        store.delete_logged_model(&m.model_id).unwrap();
        assert!(store.get_logged_model(&m.model_id, false).is_err());
        let none = store
            .search_logged_models(&["0".into()], None, &[], &[], 10, 0)
            .unwrap();
        assert!(none.is_empty());
        let err = store.get_logged_model("m-nope", false).unwrap_err();
        assert_eq!(err.to_string(), "Logged model with ID 'm-nope' not found.");
        assert!(store.finalize_logged_model(&m.model_id, 7).is_err());
    }
}
