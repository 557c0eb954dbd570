//! Permanent deletion, as `mlflow gc` does it on MLflow's SQLAlchemy store: runs, experiments
//! and logged models in the `deleted` lifecycle stage. The metadata goes here; the caller
//! removes the artifacts first (MLflow's order).

use super::{Store, read};
use crate::engine::clock::now_ms;
use crate::engine::error::{Error, Result};
use crate::engine::model::Lifecycle;

impl Store {
    /// Ids of deleted runs whose `deleted_time` is at least `older_than_ms` ago.
    pub fn deleted_run_ids(&self, older_than_ms: i64) -> Result<Vec<String>> {
        let cutoff = now_ms() - older_than_ms;
        self.read(|conn| {
            Ok(conn
                .prepare(
                    "SELECT run_uuid FROM runs WHERE lifecycle_stage = 'deleted' \
                     AND deleted_time <= ?1 ORDER BY run_uuid",
                )?
                .query_map([cutoff], |row| row.get(0))?
                .collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Ids of deleted logged models last updated at least `older_than_ms` ago.
    pub fn deleted_logged_model_ids(&self, older_than_ms: i64) -> Result<Vec<String>> {
        let cutoff = now_ms() - older_than_ms;
        self.read(|conn| {
            Ok(conn
                .prepare(
                    "SELECT model_id FROM logged_models WHERE lifecycle_stage = 'deleted' \
                     AND last_updated_timestamp_ms <= ?1 ORDER BY model_id",
                )?
                .query_map([cutoff], |row| row.get(0))?
                .collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Removes a run with its metrics, latest metrics, params and tags (what MLflow's
    /// `_hard_delete_run` removes; rows that point at the run with `ON DELETE` rules follow
    /// them).
    pub fn hard_delete_run(&self, run_id: &str) -> Result<()> {
        let id = run_id.to_owned();
        self.control(move |tx| {
            read::existing_run_info(tx, &id)?;
            for table in ["metrics", "latest_metrics", "params", "tags"] {
                tx.execute(&format!("DELETE FROM {table} WHERE run_uuid = ?1"), [&id])?;
            }
            tx.execute("DELETE FROM runs WHERE run_uuid = ?1", [&id])?;
            Ok(())
        })?;
        self.runs.lock().remove(run_id);
        Ok(())
    }

    /// Removes a deleted experiment: its tags, its rows in the trace rollup tables (which have
    /// no foreign key), and the experiment (tables with `ON DELETE CASCADE` follow). Its runs
    /// must be gone already.
    pub fn hard_delete_experiment(&self, experiment_id: &str) -> Result<()> {
        let id = crate::engine::validate::parse_experiment_id(experiment_id)?;
        self.control(move |tx| {
            let experiment = read::existing_experiment(tx, id)?;
            if experiment.lifecycle_stage != Lifecycle::Deleted {
                return Err(Error::not_found(format!(
                    "No Experiment with id={id} exists"
                )));
            }
            for table in [
                "experiment_tags",
                "sql_trace_rollup_rebuild_queue",
                "sql_trace_metric_daily_rollups",
                "sql_span_cost_daily_rollups",
                "sql_assessment_daily_rollups",
            ] {
                tx.execute(
                    &format!("DELETE FROM {table} WHERE experiment_id = ?1"),
                    [id],
                )?;
            }
            tx.execute("DELETE FROM experiments WHERE experiment_id = ?1", [id])?;
            Ok(())
        })
    }

    /// Removes a logged model (its params, tags and metrics follow by `ON DELETE CASCADE`).
    pub fn hard_delete_logged_model(&self, model_id: &str) -> Result<()> {
        let id = model_id.to_owned();
        self.control(move |tx| {
            let removed = tx.execute("DELETE FROM logged_models WHERE model_id = ?1", [&id])?;
            if removed == 0 {
                return Err(Error::not_found(format!(
                    "Logged model with ID '{id}' not found."
                )));
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::store::testing::{new_run, open};

    #[test]
    fn hard_deletes_remove_every_row_of_a_run_and_an_experiment() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        let exp = store
            .create_experiment("e", None, vec![("t".into(), "v".into())])
            .unwrap();
        let run = store
            .create_run(&exp.to_string(), "me", 1, None, Vec::new())
            .unwrap()
            .info
            .run_id;
        store
            .enqueue(store.metric_op(&run, "m", 1.0, None, 0).unwrap())
            .unwrap();
        store
            .enqueue(store.param_op(&run, "p", "1").unwrap().unwrap())
            .unwrap();
        let kept = new_run(&store);
        store.delete_experiment(&exp.to_string()).unwrap();
        assert_eq!(
            store.deleted_run_ids(0).unwrap(),
            std::slice::from_ref(&run)
        );
        assert!(
            store.deleted_run_ids(60_000).unwrap().is_empty(),
            "not old enough"
        );
        store.hard_delete_run(&run).unwrap();
        store.hard_delete_experiment(&exp.to_string()).unwrap();
        assert!(store.get_run(&run).is_err());
        assert!(store.get_experiment(&exp.to_string()).is_err());
        assert!(store.get_run(&kept).is_ok());
        let conn = store.open_read_connection().unwrap();
        for table in [
            "metrics",
            "latest_metrics",
            "params",
            "tags",
            "experiment_tags",
        ] {
            let n: i64 = conn
                .query_row(
                    &format!(
                        "SELECT count(*) FROM {table} WHERE {}",
                        if table == "experiment_tags" {
                            "experiment_id = ?1"
                        } else {
                            "run_uuid = ?1"
                        }
                    ),
                    [if table == "experiment_tags" {
                        exp.to_string()
                    } else {
                        run.clone()
                    }],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(n, 0, "{table}");
        }
        assert!(
            store.hard_delete_experiment("0").is_err(),
            "an active experiment stays"
        );
    }
}
