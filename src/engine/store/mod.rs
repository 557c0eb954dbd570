//! The SQLite store: MLflow's schema in a WAL-mode file, one writer thread, one reader
//! connection, and a cache of the runs this process logs to, so log calls validate without SQL.
//!
//! Writes that the caller must see fail or succeed at once (creating, ending and deleting runs and
//! experiments, deleting tags) run as control ops: they queue behind earlier writes, run in their
//! own transaction and report back. Log calls (metrics, params, tags) are checked against the run
//! cache and queued; the writer commits them in batches. Every read first waits for the queue, so
//! a process always reads its own writes.

pub(crate) mod datasets;
mod gc;
pub mod models;
mod pragmas;
pub(crate) mod read;
pub mod registry;
mod schema;
mod write;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use rusqlite::{Connection, Transaction};

use crate::engine::clock::now_ms;
use crate::engine::error::{Error, ErrorCode, Result};
use crate::engine::model::{
    DEFAULT_WORKSPACE, Experiment, Lifecycle, MetricPoint, MetricSeries, RUN_NAME_TAG, Run, RunId,
    RunStatus, ViewType,
};
use crate::engine::names::{new_run_id, random_run_name};
use crate::engine::search;
use crate::engine::validate;
use crate::engine::writer::{Submitted, Wait, WriteOp, Writer, WriterConfig};

pub use schema::{ALEMBIC_HEAD, append_path, inspect};

/// Runs `f` again while SQLite reports the database locked by another connection. mlrs never
/// shows "database is locked" to a user; it waits, backing off up to 100 ms between tries.
pub(crate) fn retry_busy<T>(mut f: impl FnMut() -> Result<T>) -> Result<T> {
    let mut delay = Duration::from_millis(1);
    loop {
        match f() {
            Err(e) if e.is_busy() => {
                std::thread::sleep(delay);
                delay = (delay * 2).min(Duration::from_millis(100));
            }
            other => return other,
        }
    }
}

/// What the store knows about a run it has logged to.
struct CachedRun {
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

pub struct Store {
    path: PathBuf,
    default_artifact_root: String,
    writer: Writer,
    reader: Mutex<Connection>,
    runs: Mutex<HashMap<RunId, CachedRun>>,
}

impl Store {
    /// Opens (or creates, atomically) the database at `path` and starts its writer.
    pub fn open(path: &Path, default_artifact_root: &str, config: WriterConfig) -> Result<Self> {
        let mut conn = pragmas::open_writer(path)?;
        schema::ensure(&mut conn, default_artifact_root)?;
        let writer = Writer::spawn(write::SqliteSink::new(conn), config)?;
        let reader = Mutex::new(pragmas::open_reader(path)?);
        Ok(Self {
            path: path.to_owned(),
            default_artifact_root: default_artifact_root.to_owned(),
            writer,
            reader,
            runs: Mutex::new(HashMap::new()),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn default_artifact_root(&self) -> &str {
        &self.default_artifact_root
    }

    /// A new read-only connection to the store's file (WAL: it reads while writers commit), for
    /// readers that run beside the store's own, such as `mlrs ui`'s request handlers.
    pub fn open_read_connection(&self) -> Result<Connection> {
        pragmas::open_reader(&self.path)
    }

    // ---- the write queue -------------------------------------------------------------------

    /// Queues an op without blocking; `Full` hands it back for a blocking submit.
    pub fn try_enqueue(&self, op: WriteOp) -> Result<Submitted> {
        self.writer.try_submit(op)
    }

    /// Queues an op, waiting for room.
    pub fn enqueue_blocking(&self, op: WriteOp) -> Result<()> {
        self.writer.submit_blocking(op)
    }

    pub fn enqueue(&self, op: WriteOp) -> Result<()> {
        self.writer.submit(op)
    }

    /// The count to wait for so that everything queued so far is committed.
    pub fn flush_ticket(&self) -> u64 {
        self.writer.ticket()
    }

    /// Waits up to `slice` for the ticket; callers loop over slices to stay interruptible.
    pub fn wait_for(&self, ticket: u64, slice: Duration) -> Result<Wait> {
        self.writer.wait(ticket, slice)
    }

    /// Hands over a pending write failure, if any.
    pub fn check(&self) -> Result<()> {
        self.writer.check()
    }

    /// Blocks until everything queued so far is committed, then reports any failure.
    pub fn flush(&self) -> Result<()> {
        self.writer.flush()
    }

    /// Commits what is queued and stops the writer.
    pub fn close(&self) -> Result<()> {
        self.writer.close()
    }

    /// Runs `f` on the writer's connection, in its own transaction, after everything queued
    /// before it; returns its result.
    fn control<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: Fn(&Transaction<'_>) -> Result<T> + Send + 'static,
    {
        let (reply, result) = crossbeam_channel::bounded(1);
        self.writer.submit(WriteOp::Control(Box::new(move |conn| {
            let _ = reply.send(write::in_transaction(conn, &f));
        })))?;
        result
            .recv()
            .map_err(|_| Error::WriterStopped("the writer dropped a request".into()))?
    }

    /// Runs a read on the reader connection in one snapshot, after the queue has drained.
    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        self.flush()?;
        let mut conn = self.reader.lock();
        let tx = conn.transaction()?;
        let value = f(&tx)?;
        tx.finish()?;
        Ok(value)
    }

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
        })
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

    fn set_cached_lifecycle_of_experiment(&self, experiment_id: i64, lifecycle: Lifecycle) {
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

    /// True when the cache holds the run as active and no other process has committed since it
    /// was read, so a metric can be logged to it without a database read.
    pub fn run_is_fresh(&self, run_id: &str) -> bool {
        let epoch = self.writer.external_epoch();
        self.runs
            .lock()
            .get(run_id)
            .is_some_and(|r| r.lifecycle == Lifecycle::Active && r.verified_epoch == epoch)
    }

    /// Reads the run's lifecycle from the database into the cache (the binding calls this
    /// without the GIL).
    pub fn refresh_run(&self, run_id: &str) -> Result<()> {
        let epoch = self.writer.external_epoch();
        let info = {
            let conn = self.reader.lock();
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
        Ok(())
    }

    /// The shared id of an active run. With `verify`, the lifecycle is read from the database
    /// first (log calls other than metrics do this, as MLflow checks on every call); without
    /// it, only when another process has committed since the last read.
    fn active_run_id(&self, run_id: &str, verify: bool) -> Result<RunId> {
        if verify || !self.run_is_fresh(run_id) {
            self.refresh_run(run_id)?;
        }
        let runs = self.runs.lock();
        let run = runs.get(run_id).expect("refreshed above");
        check_cached_run_active(run)?;
        Ok(Arc::clone(&run.id))
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
        let timestamp_ms = timestamp_ms.unwrap_or_else(now_ms);
        let point = MetricPoint::new(key.to_owned(), value, timestamp_ms, step);
        Ok(WriteOp::Metric { run_id, point })
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
        validate::validate_run_id(run_id)?;
        for (i, point) in metrics.iter().enumerate() {
            validate::validate_metric_key(&point.key, &format!("metrics[{i}]"))?;
        }
        for (i, (key, value)) in params.iter().enumerate() {
            validate::validate_param(key, value, &format!("params[{i}]"))?;
        }
        for (i, (key, value)) in tags.iter().enumerate() {
            validate::validate_tag(key, value.as_deref().unwrap_or(""), &format!("tags[{i}]"))?;
        }
        validate::validate_batch_limits(metrics.len(), params.len(), tags.len())?;
        validate::validate_param_keys_unique(params.iter().map(|(k, _)| k.as_str()))?;
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
            let conn = self.reader.lock();
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

fn parse_experiment_id_or_default(experiment_id: &str) -> Result<i64> {
    if experiment_id.is_empty() {
        Ok(crate::engine::model::DEFAULT_EXPERIMENT_ID)
    } else {
        validate::parse_experiment_id(experiment_id)
    }
}

fn not_found_experiment(id: i64) -> Error {
    Error::not_found(format!("No Experiment with id={id} exists"))
}

fn check_experiment_active(experiment: &Experiment) -> Result<()> {
    if experiment.lifecycle_stage == Lifecycle::Active {
        return Ok(());
    }
    Err(Error::invalid(format!(
        "The experiment {} must be in the 'active' state. Current state is {}.",
        experiment.experiment_id,
        experiment.lifecycle_stage.as_str()
    )))
}

fn run_not_active(run_id: &str, lifecycle: Lifecycle) -> Error {
    Error::invalid(format!(
        "The run {run_id} must be in the 'active' state. Current state is {}.",
        lifecycle.as_str()
    ))
}

fn check_run_active(info: &crate::engine::model::RunInfo) -> Result<()> {
    match info.lifecycle_stage {
        Lifecycle::Active => Ok(()),
        other @ Lifecycle::Deleted => Err(run_not_active(&info.run_id, other)),
    }
}

fn check_cached_run_active(run: &CachedRun) -> Result<()> {
    match run.lifecycle {
        Lifecycle::Active => Ok(()),
        other @ Lifecycle::Deleted => Err(run_not_active(&run.id, other)),
    }
}

/// What the engine's unit tests share: a store on a new file, a run in it.
#[cfg(test)]
pub(crate) mod testing {
    use super::{Store, WriterConfig};

    /// A store on a new file in `dir`, its default artifact root `/artifacts`.
    pub(crate) fn open(dir: &tempfile::TempDir) -> Store {
        Store::open(
            &dir.path().join("t.db"),
            "/artifacts",
            WriterConfig::default(),
        )
        .unwrap()
    }

    /// The id of a new run in the default experiment.
    pub(crate) fn new_run(store: &Store) -> String {
        store
            .create_run("0", "me", 1, None, Vec::new())
            .unwrap()
            .info
            .run_id
    }
}

#[cfg(test)]
// Stored values are compared exactly on purpose: they must round-trip bit for bit.
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;

    use super::testing::{new_run, open};

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
        // The metric path notices too, once the writer has seen the other commit.
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while first.metric_op(&run_id, "m", 2.0, None, 1).is_ok() {
            assert!(
                std::time::Instant::now() < deadline,
                "the deletion was never noticed"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
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
