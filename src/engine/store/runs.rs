//! Runs and what is logged to them: creating, reading, searching, updating, deleting and
//! restoring runs; the run cache (lifecycle and params of each run this process logs to), so log
//! calls are checked without SQL; the ops that log metrics, params, tags and batches; deleting a
//! tag; a metric's history.

use std::collections::HashMap;
use std::sync::Arc;

use super::{
    Store, append_path, check_experiment_active, check_run_active, parse_experiment_id_or_default,
    read, run_not_active, write,
};
use crate::engine::clock::now_ms;
use crate::engine::error::{Error, Result};
use crate::engine::model::{
    Lifecycle, MetricPoint, MetricSeries, RUN_NAME_TAG, Run, RunId, RunStatus, ViewType,
};
use crate::engine::names::{new_run_id, random_run_name};
use crate::engine::search;
use crate::engine::validate;
use crate::engine::writer::WriteOp;

/// What the store knows about a run it has logged to.
pub(super) struct CachedRun {
    id: RunId,
    experiment_id: i64,
    lifecycle: Lifecycle,
    /// The writer's count of commits by other connections when `lifecycle` was last read from
    /// the database; a different count means another process may have changed the run.
    verified_epoch: u64,
    /// Params this process has queued or found committed, to refuse changed values at the call.
    params: HashMap<String, String>,
}

/// A param conflict as MLflow's batch message lists it.
struct ParamChange<'a> {
    key: &'a str,
    old: &'a str,
    new: &'a str,
}

impl Store {
    // ---- runs ------------------------------------------------------------------------------

    /// Creates a run in an active experiment. A `run_name` that disagrees with an
    /// `mlflow.runName` tag is refused; without either, the run gets a random name.
    pub fn create_run(
        &self,
        experiment_id: &str,
        user_id: &str,
        start_time: i64,
        run_name: Option<String>,
        mut tags: Vec<(String, Option<String>)>,
    ) -> Result<Run> {
        // MLflow's store takes a new run's tags as given, without name checks.
        let experiment_id = parse_experiment_id_or_default(experiment_id)?;
        let name_tag = tags
            .iter()
            .find(|(k, _)| k == RUN_NAME_TAG)
            .and_then(|(_, v)| v.clone());
        let run_name = run_name.filter(|n| !n.is_empty());
        if let (Some(name), Some(tag)) = (&run_name, &name_tag)
            && name != tag
        {
            return Err(Error::invalid(format!(
                "Both 'run_name' argument and 'mlflow.runName' tag are specified, but with \
                 different values (run_name='{name}', mlflow.runName='{tag}')."
            )));
        }
        let run_name = run_name
            .or(name_tag.clone())
            .unwrap_or_else(random_run_name);
        if name_tag.is_none() {
            tags.push((RUN_NAME_TAG.to_owned(), Some(run_name.clone())));
        }
        let run_id = new_run_id();
        let user_id = user_id.to_owned();
        let id = run_id.clone();
        let run = self.control(move |tx| {
            let experiment = read::existing_experiment(tx, experiment_id)?;
            check_experiment_active(&experiment)?;
            let location = experiment.artifact_location.unwrap_or_default();
            let artifact_uri = append_path(&append_path(&location, &id), "artifacts");
            tx.execute(
                "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, \
                 user_id, status, start_time, end_time, deleted_time, source_version, \
                 lifecycle_stage, artifact_uri, experiment_id) VALUES (?1, ?2, 'UNKNOWN', '', '', \
                 ?3, 'RUNNING', ?4, NULL, NULL, '', 'active', ?5, ?6)",
                rusqlite::params![
                    id,
                    run_name,
                    user_id,
                    start_time,
                    artifact_uri,
                    experiment_id
                ],
            )?;
            let mut insert_tag = tx.prepare_cached(
                "INSERT OR REPLACE INTO tags (key, value, run_uuid) VALUES (?1, ?2, ?3)",
            )?;
            for (key, value) in &tags {
                insert_tag.execute(rusqlite::params![key, value, id])?;
            }
            read::run(tx, &id)
        })?;
        let epoch = self.writer.external_epoch();
        self.runs.lock().insert(
            Arc::from(run_id.as_str()),
            CachedRun {
                id: Arc::from(run_id.as_str()),
                experiment_id,
                lifecycle: Lifecycle::Active,
                verified_epoch: epoch,
                params: HashMap::new(),
            },
        );
        Ok(run)
    }

    /// One page of runs (`max_results + 1` at most) of some experiments that match MLflow's
    /// filter string, in MLflow's order (`order_by`, then newest first, then by id).
    pub fn search_runs(
        &self,
        experiment_ids: &[String],
        view_type: ViewType,
        filter: &str,
        order_by: &[String],
        max_results: i64,
        offset: i64,
    ) -> Result<Vec<Run>> {
        let ids: Vec<i64> = experiment_ids
            .iter()
            .map(|id| validate::parse_experiment_id(id))
            .collect::<Result<_>>()?;
        let query = search::runs::compile(&ids, view_type, filter, order_by)?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.read(|conn| read::runs_page(conn, &query, max_results + 1, offset))
    }

    pub fn get_run(&self, run_id: &str) -> Result<Run> {
        validate::validate_run_id(run_id)?;
        self.read(|conn| read::run(conn, run_id))
    }

    /// Sets status, end time and/or name of an active run (MLflow's `update_run_info`).
    pub fn update_run_info(
        &self,
        run_id: &str,
        status: Option<RunStatus>,
        end_time: Option<i64>,
        run_name: Option<String>,
    ) -> Result<()> {
        let id = run_id.to_owned();
        self.control(move |tx| {
            check_run_active(&read::existing_run_info(tx, &id)?)?;
            if let Some(status) = status {
                tx.execute(
                    "UPDATE runs SET status = ?1 WHERE run_uuid = ?2",
                    [status.as_str(), &id],
                )?;
            }
            if let Some(end_time) = end_time {
                tx.execute(
                    "UPDATE runs SET end_time = ?1 WHERE run_uuid = ?2",
                    rusqlite::params![end_time, id],
                )?;
            }
            if let Some(name) = run_name.as_deref().filter(|n| !n.is_empty()) {
                write::set_tag(tx, &id, RUN_NAME_TAG, Some(name))?;
            }
            Ok(())
        })?;
        self.run_ends.changed(run_id, status, false);
        Ok(())
    }

    /// Soft-deletes a run (deleting twice is fine).
    pub fn delete_run(&self, run_id: &str) -> Result<()> {
        let id = run_id.to_owned();
        let experiment_id = self.control(move |tx| {
            let info = read::existing_run_info(tx, &id)?;
            tx.execute(
                "UPDATE runs SET lifecycle_stage = 'deleted', deleted_time = ?1 \
                 WHERE run_uuid = ?2",
                rusqlite::params![now_ms(), id],
            )?;
            Ok(info.experiment_id)
        })?;
        self.set_cached_lifecycle(run_id, experiment_id, Lifecycle::Deleted);
        self.run_ends.changed(run_id, None, true);
        Ok(())
    }

    pub fn restore_run(&self, run_id: &str) -> Result<()> {
        let id = run_id.to_owned();
        let experiment_id = self.control(move |tx| {
            let info = read::existing_run_info(tx, &id)?;
            tx.execute(
                "UPDATE runs SET lifecycle_stage = 'active', deleted_time = NULL \
                 WHERE run_uuid = ?1",
                [&id],
            )?;
            Ok(info.experiment_id)
        })?;
        self.set_cached_lifecycle(run_id, experiment_id, Lifecycle::Active);
        Ok(())
    }

    fn set_cached_lifecycle(&self, run_id: &str, experiment_id: i64, lifecycle: Lifecycle) {
        let mut runs = self.runs.lock();
        let id: RunId = Arc::from(run_id);
        runs.entry(Arc::clone(&id))
            .or_insert_with(|| CachedRun {
                id,
                experiment_id,
                lifecycle,
                verified_epoch: u64::MAX,
                params: HashMap::new(),
            })
            .lifecycle = lifecycle;
    }

    pub(super) fn set_cached_lifecycle_of_experiment(
        &self,
        experiment_id: i64,
        lifecycle: Lifecycle,
    ) {
        for run in self
            .runs
            .lock()
            .values_mut()
            .filter(|r| r.experiment_id == experiment_id)
        {
            run.lifecycle = lifecycle;
        }
    }

    // ---- logging ---------------------------------------------------------------------------

    /// The shared id of the run when the cache holds it as active and no other process has
    /// committed since it was read, so a metric can be logged to it without a database read:
    /// one lock, one lookup (the hot path's only check).
    pub fn fresh_run_id(&self, run_id: &str) -> Option<RunId> {
        if self.read_only.is_some() {
            return None; // every write is refused there, with the file's name
        }
        let epoch = self.writer.external_epoch();
        let runs = self.runs.lock();
        let run = runs.get(run_id)?;
        (run.lifecycle == Lifecycle::Active && run.verified_epoch == epoch)
            .then(|| Arc::clone(&run.id))
    }

    /// Reads the run's lifecycle from the database into the cache (the binding calls this
    /// without the GIL) and returns its shared id if it is active.
    pub fn refresh_run(&self, run_id: &str) -> Result<RunId> {
        let epoch = self.writer.external_epoch();
        let info = {
            let conn = self.reader()?;
            read::existing_run_info(&conn, run_id)?
        };
        let mut runs = self.runs.lock();
        let run = runs.entry(Arc::from(run_id)).or_insert_with(|| CachedRun {
            id: Arc::from(run_id),
            experiment_id: info.experiment_id,
            lifecycle: info.lifecycle_stage,
            verified_epoch: epoch,
            params: HashMap::new(),
        });
        run.lifecycle = info.lifecycle_stage;
        run.verified_epoch = epoch;
        check_cached_run_active(run)?;
        Ok(Arc::clone(&run.id))
    }

    /// The shared id of an active run. With `verify`, the lifecycle is read from the database
    /// first (log calls other than metrics do this, as MLflow checks on every call); without
    /// it, only when another process has committed since the last read.
    fn active_run_id(&self, run_id: &str, verify: bool) -> Result<RunId> {
        self.writable()?;
        if !verify && let Some(id) = self.fresh_run_id(run_id) {
            return Ok(id);
        }
        self.refresh_run(run_id)
    }

    /// Validates one metric point and returns the op that logs it.
    pub fn metric_op(
        &self,
        run_id: &str,
        key: &str,
        value: f64,
        timestamp_ms: Option<i64>,
        step: i64,
    ) -> Result<WriteOp> {
        validate::validate_metric_key(key, "")?;
        let run_id = self.active_run_id(run_id, false)?;
        Ok(WriteOp::metric(run_id, key, value, timestamp_ms, step))
    }

    /// Validates one param; `None` when the run already has it with this value (a no-op).
    pub fn param_op(&self, run_id: &str, key: &str, value: &str) -> Result<Option<WriteOp>> {
        validate::validate_param(key, value, "")?;
        let run_id = self.active_run_id(run_id, true)?;
        let fresh = self.claim_params(&run_id, vec![(key.to_owned(), value.to_owned())], |c| {
            Error::invalid(format!(
                "Changing param values is not allowed. Param with key='{}' was already logged \
                 with value='{}' for run ID='{run_id}'. Attempted logging new value '{}'.",
                c[0].key, c[0].old, c[0].new
            ))
        })?;
        if fresh.is_empty() {
            return Ok(None);
        }
        Ok(Some(WriteOp::Batch {
            run_id,
            metrics: Vec::new(),
            params: fresh,
            tags: Vec::new(),
        }))
    }

    /// Validates one tag and returns the op that sets it.
    pub fn tag_op(&self, run_id: &str, key: &str, value: &str) -> Result<WriteOp> {
        validate::validate_tag(key, value, "")?;
        let run_id = self.active_run_id(run_id, true)?;
        Ok(WriteOp::Batch {
            run_id,
            metrics: Vec::new(),
            params: Vec::new(),
            tags: vec![(key.to_owned(), Some(value.to_owned()))],
        })
    }

    /// Validates one store-level batch (MLflow's `log_batch`: at most 1000 metrics, 100 params,
    /// 100 tags) and returns its op; `None` when nothing in it needs writing.
    pub fn batch_op(
        &self,
        run_id: &str,
        metrics: Vec<MetricPoint>,
        params: Vec<(String, String)>,
        tags: Vec<(String, Option<String>)>,
    ) -> Result<Option<WriteOp>> {
        validate::validate_batch(run_id, &metrics, &params, &tags)?;
        // A batch of metrics only takes the metric path's check (re-read when another process
        // has committed); params and tags re-read the run on every call, as MLflow does.
        let verify = !params.is_empty() || !tags.is_empty();
        let run_id = self.active_run_id(run_id, verify)?;
        let params = if params.is_empty() {
            params
        } else {
            self.claim_params(&run_id, params, |changes| {
                let listed: Vec<String> = changes
                    .iter()
                    .map(|c| {
                        format!(
                            "{{'key': {}, 'old_value': {}, 'new_value': {}}}",
                            validate::py_repr(c.key),
                            validate::py_repr(c.old),
                            validate::py_repr(c.new)
                        )
                    })
                    .collect();
                Error::invalid(format!(
                    "Changing param values is not allowed. Params were already logged='[{}]' \
                     for run ID='{run_id}'.",
                    listed.join(", ")
                ))
            })?
        };
        if metrics.is_empty() && params.is_empty() && tags.is_empty() {
            return Ok(None);
        }
        Ok(Some(WriteOp::Batch {
            run_id,
            metrics,
            params,
            tags,
        }))
    }

    /// Checks params against those the run has (queued by this process, or committed by any);
    /// refuses changed values with `refuse`'s message and returns the params that are new.
    fn claim_params(
        &self,
        run_id: &RunId,
        params: Vec<(String, String)>,
        refuse: impl FnOnce(&[ParamChange<'_>]) -> Error,
    ) -> Result<Vec<(String, String)>> {
        let needs_database = {
            let runs = self.runs.lock();
            let known = &runs.get(&**run_id).expect("cached by active_run_id").params;
            params.iter().any(|(key, _)| !known.contains_key(key))
        };
        let committed: HashMap<String, String> = if needs_database {
            let conn = self.reader()?;
            read::run_params(&conn, run_id)?.into_iter().collect()
        } else {
            HashMap::new()
        };
        let mut runs = self.runs.lock();
        let known = &mut runs
            .get_mut(&**run_id)
            .expect("cached by active_run_id")
            .params;
        for (key, value) in committed {
            known.entry(key).or_insert(value);
        }
        let changes: Vec<ParamChange<'_>> = params
            .iter()
            .filter_map(|(key, new)| {
                let old = known.get(key)?;
                (old != new).then_some(ParamChange { key, old, new })
            })
            .collect();
        if !changes.is_empty() {
            return Err(refuse(&changes));
        }
        let fresh: Vec<(String, String)> = params
            .into_iter()
            .filter(|(key, _)| !known.contains_key(key))
            .collect();
        for (key, value) in &fresh {
            known.insert(key.clone(), value.clone());
        }
        Ok(fresh)
    }

    /// Deletes a run tag, or reports MLflow's `No tag with name: ...`.
    pub fn delete_tag(&self, run_id: &str, key: &str) -> Result<()> {
        self.active_run_id(run_id, true)?;
        let (id, key) = (run_id.to_owned(), key.to_owned());
        self.control(move |tx| {
            check_run_active(&read::existing_run_info(tx, &id)?)?;
            let deleted = tx.execute(
                "DELETE FROM tags WHERE run_uuid = ?1 AND key = ?2",
                [&id, &key],
            )?;
            if deleted == 0 {
                return Err(Error::not_found(format!(
                    "No tag with name: {key} in run with id {id}"
                )));
            }
            Ok(())
        })
    }

    /// A metric's history as columns (empty for an unknown run or key); with `max_points`,
    /// downsampled for a chart.
    pub fn get_metric_series(
        &self,
        run_id: &str,
        key: &str,
        max_points: Option<usize>,
    ) -> Result<MetricSeries> {
        let series = self.read(|conn| read::metric_series(conn, run_id, key))?;
        Ok(match max_points {
            Some(max_points) => series.downsample(max_points),
            None => series,
        })
    }
}

fn check_cached_run_active(run: &CachedRun) -> Result<()> {
    match run.lifecycle {
        Lifecycle::Active => Ok(()),
        other @ Lifecycle::Deleted => Err(run_not_active(&run.id, other)),
    }
}

#[cfg(test)]
// Stored values are compared exactly on purpose: they must round-trip bit for bit.
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;
    use crate::engine::error::ErrorCode;

    use crate::engine::store::testing::{new_run, open};

    #[test]
    fn metrics_round_trip_with_mlflows_storage_rules() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        let run_id = new_run(&store);
        for (value, step) in [(f64::NAN, 0), (f64::INFINITY, 1), (0.5, 2), (0.25, 2)] {
            store
                .enqueue(
                    store
                        .metric_op(&run_id, "m", value, Some(10), step)
                        .unwrap(),
                )
                .unwrap();
        }
        let history = store.get_metric_series(&run_id, "m", None).unwrap();
        assert_eq!(history.len(), 4);
        assert!(history.values[0].is_nan());
        assert_eq!(history.values[1], f64::MAX);
        let run = store.get_run(&run_id).unwrap();
        assert_eq!(
            run.latest_metrics[0].read_value(),
            0.5,
            "greatest (step, ts, value) wins"
        );
        assert_eq!(
            run.info.artifact_uri.unwrap(),
            format!("/artifacts/0/{run_id}/artifacts")
        );
    }

    #[test]
    fn params_are_immutable_across_stores_on_one_file() {
        let dir = tempfile::tempdir().unwrap();
        let (first, second) = (open(&dir), open(&dir));
        let run_id = new_run(&first);
        first
            .enqueue(first.param_op(&run_id, "p", "1").unwrap().unwrap())
            .unwrap();
        first.flush().unwrap();
        assert!(
            second.param_op(&run_id, "p", "1").unwrap().is_none(),
            "same value: a no-op"
        );
        let err = second.param_op(&run_id, "p", "2").unwrap_err().to_string();
        assert!(err.starts_with("Changing param values is not allowed. Param with key='p'"));
        let err = second
            .batch_op(
                &run_id,
                Vec::new(),
                vec![("p".into(), "3".into())],
                Vec::new(),
            )
            .unwrap_err()
            .to_string();
        assert!(err.contains("Params were already logged='[{'key': 'p', 'old_value': '1'"));
    }

    #[test]
    fn a_run_deleted_by_another_connection_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (first, second) = (open(&dir), open(&dir));
        let run_id = new_run(&first);
        first
            .enqueue(first.metric_op(&run_id, "m", 1.0, None, 0).unwrap())
            .unwrap();
        second.delete_run(&run_id).unwrap();
        let err = first.tag_op(&run_id, "t", "v").unwrap_err().to_string();
        assert!(err.ends_with("must be in the 'active' state. Current state is deleted."));
        // The metric path notices too, once the writer has seen the other commit: it looks
        // after each of its own transactions, so one more (empty) transaction is enough.
        first.control(|_| Ok(())).unwrap();
        let err = first.metric_op(&run_id, "m", 2.0, None, 1).unwrap_err();
        assert!(err.to_string().ends_with("Current state is deleted."));
    }

    #[test]
    fn a_param_the_writer_could_not_store_is_forgotten_by_the_run_cache() {
        let dir = tempfile::tempdir().unwrap();
        let (first, second) = (open(&dir), open(&dir));
        let run_id = new_run(&first);
        // Checked and claimed by the first store, committed first by the second.
        let op = first.param_op(&run_id, "p", "mine").unwrap().unwrap();
        second
            .enqueue(second.param_op(&run_id, "p", "theirs").unwrap().unwrap())
            .unwrap();
        second.flush().unwrap();
        first.enqueue(op).unwrap();
        assert!(first.flush().is_err(), "the lost write is reported");
        let err = first
            .param_op(&run_id, "p", "mine")
            .unwrap_err()
            .to_string();
        assert!(err.contains("value='theirs'"), "{err}");
    }

    #[test]
    fn the_cache_answers_for_active_runs_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        let run_id = new_run(&store);
        assert_eq!(
            store.fresh_run_id(&run_id).as_deref(),
            Some(run_id.as_str())
        );
        assert!(store.fresh_run_id("abc").is_none());
        store.delete_run(&run_id).unwrap();
        assert!(store.fresh_run_id(&run_id).is_none());
        let err = store.refresh_run(&run_id).unwrap_err().to_string();
        assert!(err.ends_with("Current state is deleted."));
        let bad = [MetricPoint::new("a#b", 1.0, 1, 0)];
        let err = validate::validate_metric_batch(&run_id, &bad).unwrap_err();
        assert!(err.to_string().contains("'metrics[0].name'"), "{err}");
    }

    #[test]
    fn metric_series_follows_mlflows_history_order() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        let run_id = new_run(&store);
        let points = [
            (5.0, 9, 1),
            (-1.0, 9, 1),
            (f64::NAN, 9, 1),
            (3.0, 2, 7),
            (0.5, 9, 0),
        ];
        for (value, timestamp, step) in points {
            let op = store
                .metric_op(&run_id, "m", value, Some(timestamp), step)
                .unwrap();
            store.enqueue(op).unwrap();
        }
        let series = store.get_metric_series(&run_id, "m", None).unwrap();
        assert_eq!(series.timestamps, [2, 9, 9, 9, 9]);
        assert_eq!(series.steps, [7, 0, 1, 1, 1]);
        let shown: Vec<String> = series.values.iter().map(|v| format!("{v}")).collect();
        assert_eq!(
            shown,
            ["3", "0.5", "-1", "NaN", "5"],
            "NaN sorts as the 0.0 it is stored as"
        );
    }

    #[test]
    fn unknown_runs_and_experiments_are_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        let err = store.metric_op("abc", "m", 1.0, None, 0).unwrap_err();
        assert_eq!(err.code(), ErrorCode::ResourceDoesNotExist);
        assert_eq!(err.to_string(), "Run with id=abc not found");
        let err = store
            .create_run("7", "me", 1, None, Vec::new())
            .unwrap_err();
        assert_eq!(err.to_string(), "No Experiment with id=7 exists");
        assert!(
            store
                .get_metric_series("abc", "m", None)
                .unwrap()
                .is_empty()
        );
    }
}
