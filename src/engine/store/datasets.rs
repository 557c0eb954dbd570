//! Run inputs in MLflow's `datasets`, `inputs` and `input_tags` tables: logging datasets (and
//! logged-model inputs) to a run, and reading a run's inputs back.
//!
//! The rows are the ones MLflow 3.18's SQL store writes: one `datasets` row per (experiment,
//! name, digest), reused by later runs; one `inputs` edge `DATASET -> RUN` per dataset and run,
//! written once (logging the same dataset to the same run again changes nothing, tags included);
//! the edge's tags in `input_tags`; and `RUN_INPUT -> MODEL_INPUT` edges for logged models.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, Transaction};

use crate::engine::error::{Error, Result};
use crate::engine::model::{Dataset, DatasetInput, Lifecycle, RunInputs};
use crate::engine::store::{Store, read};
use crate::engine::validate;

const MAX_DATASET_NAME: usize = 500;
const MAX_DATASET_DIGEST: usize = 36;
const MAX_DATASET_SOURCE: usize = 65_535;
const MAX_DATASET_SCHEMA: usize = 1_048_575;
const MAX_DATASET_PROFILE: usize = 16_777_215;
const MAX_INPUT_TAG_KEY: usize = 255;
const MAX_INPUT_TAG_VALUE: usize = 500;

fn check_length(field: &str, value: &str, limit: usize) -> Result<()> {
    // MLflow counts characters (Python's len), not bytes; only long values need counting.
    if value.len() > limit && value.chars().count() > limit {
        return Err(Error::invalid(format!(
            "'{field}' exceeds the maximum length of {limit} characters"
        )));
    }
    Ok(())
}

/// MLflow's `_validate_dataset_inputs`: each dataset's lengths, then its tags', in order.
pub fn validate_dataset_inputs(inputs: &[DatasetInput]) -> Result<()> {
    for input in inputs {
        let d = &input.dataset;
        check_length("name", &d.name, MAX_DATASET_NAME)?;
        check_length("digest", &d.digest, MAX_DATASET_DIGEST)?;
        check_length("source", &d.source, MAX_DATASET_SOURCE)?;
        if let Some(schema) = &d.schema {
            check_length("schema", schema, MAX_DATASET_SCHEMA)?;
        }
        if let Some(profile) = &d.profile {
            check_length("profile", profile, MAX_DATASET_PROFILE)?;
        }
        for (key, value) in &input.tags {
            check_length("key", key, MAX_INPUT_TAG_KEY)?;
            check_length("value", value, MAX_INPUT_TAG_VALUE)?;
        }
    }
    Ok(())
}

fn new_uuid() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Writes the inputs of one run inside the caller's transaction.
fn write_inputs(
    tx: &Transaction<'_>,
    experiment_id: i64,
    run_id: &str,
    datasets: &[DatasetInput],
    model_ids: &[String],
) -> Result<()> {
    // The first of several inputs with one (name, digest) wins, as in MLflow.
    let mut seen: Vec<(&str, &str)> = Vec::new();
    let mut firsts: Vec<&DatasetInput> = Vec::new();
    for input in datasets {
        let key = (input.dataset.name.as_str(), input.dataset.digest.as_str());
        if !seen.contains(&key) {
            seen.push(key);
            firsts.push(input);
        }
    }
    let mut find_dataset = tx.prepare_cached(
        "SELECT dataset_uuid FROM datasets WHERE experiment_id = ?1 AND name = ?2 AND digest = ?3",
    )?;
    let mut insert_dataset = tx.prepare_cached(
        "INSERT INTO datasets (dataset_uuid, experiment_id, name, digest, dataset_source_type, \
         dataset_source, dataset_schema, dataset_profile) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    let mut find_input = tx.prepare_cached(
        "SELECT 1 FROM inputs WHERE source_type = 'DATASET' AND source_id = ?1 \
         AND destination_type = 'RUN' AND destination_id = ?2",
    )?;
    let mut insert_input = tx.prepare_cached(
        "INSERT INTO inputs (input_uuid, source_type, source_id, destination_type, \
         destination_id, step) VALUES (?1, 'DATASET', ?2, 'RUN', ?3, 0)",
    )?;
    let mut insert_tag =
        tx.prepare_cached("INSERT INTO input_tags (input_uuid, name, value) VALUES (?1, ?2, ?3)")?;
    for input in firsts {
        let d = &input.dataset;
        let existing: Option<String> = find_dataset
            .query_row(rusqlite::params![experiment_id, d.name, d.digest], |row| {
                row.get(0)
            })
            .optional()?;
        let dataset_uuid = if let Some(uuid) = existing {
            uuid
        } else {
            let uuid = new_uuid();
            insert_dataset.execute(rusqlite::params![
                uuid,
                experiment_id,
                d.name,
                d.digest,
                d.source_type,
                d.source,
                d.schema,
                d.profile
            ])?;
            uuid
        };
        if find_input.exists([&dataset_uuid, run_id])? {
            continue;
        }
        let input_uuid = new_uuid();
        insert_input.execute([&input_uuid, &dataset_uuid, run_id])?;
        // MLflow adds one row per tag; a repeated key is a primary-key conflict there too.
        for (key, value) in &input.tags {
            insert_tag.execute([&input_uuid, key, value])?;
        }
    }
    let mut upsert_model = tx.prepare_cached(
        "INSERT INTO inputs (input_uuid, source_type, source_id, destination_type, \
         destination_id, step) VALUES (?1, 'RUN_INPUT', ?2, 'MODEL_INPUT', ?3, 0) \
         ON CONFLICT (source_type, source_id, destination_type, destination_id) \
         DO UPDATE SET input_uuid = excluded.input_uuid",
    )?;
    for model_id in model_ids {
        upsert_model.execute([&new_uuid(), run_id, model_id])?;
    }
    Ok(())
}

impl Store {
    /// Logs datasets (with their input tags) and logged-model inputs to an active run, in one
    /// transaction, after everything queued before; MLflow's `log_inputs`.
    pub fn log_inputs(
        &self,
        run_id: &str,
        datasets: Vec<DatasetInput>,
        model_ids: Vec<String>,
    ) -> Result<()> {
        validate::validate_run_id(run_id)?;
        validate_dataset_inputs(&datasets)?;
        let run_id = run_id.to_owned();
        self.control(move |tx| {
            let info = read::existing_run_info(tx, &run_id)?;
            if info.lifecycle_stage != Lifecycle::Active {
                return Err(Error::invalid(format!(
                    "The run {run_id} must be in the 'active' state. Current state is {}.",
                    info.lifecycle_stage.as_str()
                )));
            }
            write_inputs(tx, info.experiment_id, &run_id, &datasets, &model_ids)
        })
    }
}

/// The inputs of one run: datasets in the order they were logged, each input's tags by name
/// (the order MLflow's query returns), then the ids of the models the run used.
pub fn run_inputs(conn: &Connection, run_id: &str) -> Result<RunInputs> {
    let mut stmt = conn.prepare_cached(
        "SELECT i.input_uuid, d.name, d.digest, d.dataset_source_type, d.dataset_source, \
         d.dataset_schema, d.dataset_profile \
         FROM inputs i JOIN datasets d ON d.dataset_uuid = i.source_id \
         WHERE i.destination_type = 'RUN' AND i.destination_id = ?1 ORDER BY i.rowid",
    )?;
    let rows: Vec<(String, Dataset)> = stmt
        .query_map([run_id], |row| {
            Ok((
                row.get(0)?,
                Dataset {
                    name: row.get(1)?,
                    digest: row.get(2)?,
                    source_type: row.get(3)?,
                    source: row.get(4)?,
                    schema: row.get(5)?,
                    profile: row.get(6)?,
                },
            ))
        })?
        .collect::<Result<_, _>>()?;
    let mut datasets = Vec::with_capacity(rows.len());
    if !rows.is_empty() {
        let mut tags: HashMap<String, Vec<(String, String)>> = HashMap::new();
        let mut stmt = conn.prepare_cached(
            "SELECT t.input_uuid, t.name, t.value FROM inputs i \
             JOIN input_tags t ON t.input_uuid = i.input_uuid \
             WHERE i.destination_type = 'RUN' AND i.destination_id = ?1 \
             ORDER BY t.input_uuid, t.name",
        )?;
        let mut query = stmt.query([run_id])?;
        while let Some(row) = query.next()? {
            tags.entry(row.get(0)?)
                .or_default()
                .push((row.get(1)?, row.get(2)?));
        }
        for (input_uuid, dataset) in rows {
            let tags = tags.remove(&input_uuid).unwrap_or_default();
            datasets.push(DatasetInput { dataset, tags });
        }
    }
    let model_ids = conn
        .prepare_cached(
            "SELECT destination_id FROM inputs WHERE source_type = 'RUN_INPUT' \
             AND source_id = ?1 AND destination_type = 'MODEL_INPUT' ORDER BY rowid",
        )?
        .query_map([run_id], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(RunInputs {
        datasets,
        model_ids,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::error::ErrorCode;

    use crate::engine::store::testing::{new_run, open};

    fn input(name: &str, digest: &str, tags: &[(&str, &str)]) -> DatasetInput {
        DatasetInput {
            dataset: Dataset {
                name: name.into(),
                digest: digest.into(),
                source_type: "code".into(),
                source: "{\"tags\": {}}".into(),
                schema: None,
                profile: Some("{\"num_rows\": 1}".into()),
            },
            tags: tags
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    fn count(store: &Store, table: &str) -> i64 {
        let conn = store.reader().unwrap();
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn datasets_are_shared_per_experiment_and_inputs_written_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        let (first, second) = (new_run(&store), new_run(&store));
        let logged = vec![
            input("d", "1", &[("z", "1"), ("mlflow.data.context", "train")]),
            input("d", "1", &[("ignored", "x")]),
            input("e", "2", &[]),
        ];
        store.log_inputs(&first, logged, Vec::new()).unwrap();
        store
            .log_inputs(&first, vec![input("d", "1", &[("later", "y")])], Vec::new())
            .unwrap();
        store
            .log_inputs(&second, vec![input("d", "1", &[])], vec!["m-1".into()])
            .unwrap();
        assert_eq!(count(&store, "datasets"), 2);
        assert_eq!(count(&store, "inputs"), 4);
        let run = store.get_run(&first).unwrap();
        let names: Vec<&str> = run
            .inputs
            .datasets
            .iter()
            .map(|d| d.dataset.name.as_str())
            .collect();
        assert_eq!(names, ["d", "e"]);
        assert_eq!(
            run.inputs.datasets[0].tags,
            [
                ("mlflow.data.context".to_owned(), "train".to_owned()),
                ("z".to_owned(), "1".to_owned())
            ]
        );
        assert!(run.inputs.model_ids.is_empty());
        assert_eq!(store.get_run(&second).unwrap().inputs.model_ids, ["m-1"]);
    }

    #[test]
    fn refuses_like_mlflow() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        let run_id = new_run(&store);
        let long = "x".repeat(37);
        let err = store
            .log_inputs(&run_id, vec![input("d", &long, &[])], Vec::new())
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidParameterValue);
        assert_eq!(
            err.to_string(),
            "'digest' exceeds the maximum length of 36 characters"
        );
        let err = store
            .log_inputs(
                &run_id,
                vec![input("d", "1", &[("k", &"é".repeat(501))])],
                Vec::new(),
            )
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "'value' exceeds the maximum length of 500 characters"
        );
        // 500 two-byte characters are within the limit.
        store
            .log_inputs(
                &run_id,
                vec![input("d", "1", &[("k", &"é".repeat(500))])],
                Vec::new(),
            )
            .unwrap();
        let err = store
            .log_inputs("abc", vec![input("d", "1", &[])], Vec::new())
            .unwrap_err();
        assert_eq!(err.to_string(), "Run with id=abc not found");
        store.delete_run(&run_id).unwrap();
        let err = store
            .log_inputs(&run_id, vec![input("d", "2", &[])], Vec::new())
            .unwrap_err();
        assert!(err.to_string().ends_with("Current state is deleted."));
        assert_eq!(
            count(&store, "inputs"),
            1,
            "nothing written by refused calls"
        );
    }
}
