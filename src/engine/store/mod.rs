//! The SQLite store: MLflow's schema in a WAL-mode file, one writer thread, one reader
//! connection, and a cache of the runs this process logs to, so log calls validate without SQL.
//!
//! Writes that the caller must see fail or succeed at once (creating, ending and deleting runs and
//! experiments, deleting tags) run as control ops: they queue behind earlier writes, run in their
//! own transaction and report back. Log calls (metrics, params, tags) are checked against the run
//! cache and queued; the writer commits them in batches. Every read first waits for the queue, so
//! a process always reads its own writes.

pub(crate) mod datasets;
pub mod gate;
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
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::Duration;

use parking_lot::{MappedMutexGuard, Mutex, MutexGuard};
use rusqlite::{Connection, Transaction};

use crate::engine::backend::{RunEndHook, RunEnds};
use crate::engine::clock::now_ms;
use crate::engine::error::{Error, ErrorCode, Result};
use crate::engine::model::{
    DEFAULT_WORKSPACE, Experiment, Lifecycle, MetricPoint, MetricSeries, RUN_NAME_TAG, Run, RunId,
    RunStatus, ViewType,
};
use crate::engine::names::{new_run_id, random_run_name};
use crate::engine::search;
use crate::engine::validate;
use crate::engine::writer::{Submitted, Unstored, Wait, WriteOp, Writer, WriterConfig};

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

/// The reader connection, locked, with this thread inside the fork gate.
struct Reader<'a> {
    conn: MappedMutexGuard<'a, gate::GatedConnection>,
    _inside: gate::Entered,
}

impl std::ops::Deref for Reader<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        &self.conn
    }
}

impl std::ops::DerefMut for Reader<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

/// A param conflict as MLflow's batch message lists it.
struct ParamChange<'a> {
    key: &'a str,
    old: &'a str,
    new: &'a str,
}

thread_local! {
    /// True while this thread runs store work right after flushing the store itself: its
    /// reads then do not flush a second time (see `after_flush`).
    static FLUSHED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`, the work of a caller that has just flushed the one store `f` uses (the binding
/// flushes in slices, so Ctrl-C interrupts a long wait): the reads in `f` do not flush again,
/// so a read flushes once. Reads outside it flush first, as the `Backend` contract says.
pub fn after_flush<T>(f: impl FnOnce() -> T) -> T {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            FLUSHED.set(self.0);
        }
    }
    let _restore = Restore(FLUSHED.replace(true));
    f()
}

/// The runs this process logs to, by id. Hashed with foldhash rather than SipHash: the lookup
/// is on every logged point's path, and run ids are not chosen by an adversary.
type RunCache = HashMap<RunId, CachedRun, foldhash::fast::RandomState>;

pub struct Store {
    path: PathBuf,
    default_artifact_root: String,
    writer: Writer<Connection>,
    /// None once the store is closed.
    reader: Mutex<Option<gate::GatedConnection>>,
    closed: AtomicBool,
    /// Why the file can only be read (its permissions, a read-only file system), if so: every
    /// write is then refused at the call, naming the file.
    read_only: Option<String>,
    /// Shared with the writer's discard hook: an op the writer gave up on makes the cache
    /// forget its run, so what the op claimed (its params) is read again from the database.
    runs: Arc<Mutex<RunCache>>,
    /// What must stop when a run ends (its system-metrics monitor).
    run_ends: RunEnds,
}

impl Store {
    /// Opens (or creates, atomically) the database at `path` and starts its writer.
    pub fn open(path: &Path, default_artifact_root: &str, config: WriterConfig) -> Result<Self> {
        Self::open_with(path, default_artifact_root, config, true)
    }

    /// `open`, choosing whether commits are fsynced (`durable`; see `pragmas::open_writer`).
    pub fn open_with(
        path: &Path,
        default_artifact_root: &str,
        config: WriterConfig,
        durable: bool,
    ) -> Result<Self> {
        let inside = gate::enter();
        let (conn, reader, read_only) =
            Self::connect(path, default_artifact_root, durable).map_err(|e| e.at(path))?;
        let reader = Mutex::new(Some(gate::GatedConnection::new(reader)));
        let sink = write::SqliteSink::new(gate::GatedConnection::new(conn), path);
        drop(inside);
        let runs: Arc<Mutex<RunCache>> = Arc::default();
        let forget = Arc::clone(&runs);
        let discard = Box::new(move |op: &WriteOp| {
            forget.lock().remove(op.run_id());
        });
        let writer = Writer::spawn_with(sink, config, discard)?;
        Ok(Self {
            path: path.to_owned(),
            default_artifact_root: default_artifact_root.to_owned(),
            writer,
            reader,
            read_only,
            runs,
            closed: AtomicBool::new(false),
            run_ends: RunEnds::new(),
        })
    }

    /// The writer's and the reader's connections, after the schema is checked (and created in
    /// a new file); the file is switched to WAL only then. A file this process cannot write is
    /// opened read-only instead, with the reason.
    fn connect(
        path: &Path,
        default_artifact_root: &str,
        durable: bool,
    ) -> Result<(Connection, Connection, Option<String>)> {
        let mut conn = pragmas::open_writer(path, durable)?;
        let refused = if conn.is_readonly(rusqlite::MAIN_DB)? {
            Some("attempt to write a readonly database".to_owned())
        } else {
            match schema::ensure(&mut conn, default_artifact_root)
                .and_then(|()| pragmas::enable_wal(&conn, durable))
            {
                Ok(()) => None,
                Err(e) if e.is_read_only() => Some(e.to_string()),
                Err(e) => return Err(e),
            }
        };
        let Some(reason) = refused else {
            return Ok((conn, pragmas::open_reader(path, durable)?, None));
        };
        drop(conn);
        let reader = pragmas::open_read_only(path)?;
        schema::check(&reader)?;
        // The writer thread never writes to such a file: every write is refused at the call.
        Ok((pragmas::open_read_only(path)?, reader, Some(reason)))
    }

    /// Refuses a write to a file opened read-only, naming it.
    fn writable(&self) -> Result<()> {
        match &self.read_only {
            None => Ok(()),
            Some(reason) => Err(Error::Unwritable(format!(
                "The database {} can only be read by this process ({reason}): mlrs serves \
                 reads from it but cannot write to it. Make the file and its directory \
                 writable, or point the tracking URI at another database.",
                self.path.display()
            ))),
        }
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
        pragmas::open_reader(&self.path, true)
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

    /// Commits what is queued, stops the writer (its thread and connection end) and closes the
    /// reader connection. Later calls are refused; a pending write failure is returned.
    pub fn close(&self) -> Result<()> {
        self.closed.store(true, Ordering::Release);
        self.run_ends.close();
        let closed = self.writer.close();
        self.reader.lock().take();
        closed
    }

    /// See [`RunEnds`].
    pub fn on_run_end(&self, run_id: &str, hook: RunEndHook) {
        self.run_ends.add(run_id, hook);
    }

    /// True once `close` has started.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Refuses new writes, commits what was queued, and stops the writer within `timeout`, then
    /// closes the reader connection; says what was not stored.
    pub fn close_within(&self, timeout: Duration) -> Unstored {
        self.closed.store(true, Ordering::Release);
        self.run_ends.close();
        let unstored = self.writer.close_within(timeout);
        self.reader.lock().take();
        unstored
    }

    /// Runs `f` on the writer's connection, in its own transaction, after everything queued
    /// before it; returns its result. While the writer cannot commit (disk full, ...) the
    /// caller gets that failure instead of waiting, and `f` is withdrawn so it never runs
    /// after its caller was told it failed.
    fn control<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: Fn(&Transaction<'_>) -> Result<T> + Send + 'static,
    {
        const WAITING: u8 = 0;
        const STARTED: u8 = 1;
        const WITHDRAWN: u8 = 2;
        self.writable()?;
        let state = Arc::new(AtomicU8::new(WAITING));
        let claim = Arc::clone(&state);
        let path = self.path.clone();
        let (reply, result) = crossbeam_channel::bounded(1);
        self.writer.submit_control(Box::new(move |conn| {
            if claim
                .compare_exchange(WAITING, STARTED, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                let _ = reply.send(write::in_transaction(conn, &f).map_err(|e| e.at(&path)));
            }
        }))?;
        loop {
            match result.recv_timeout(Duration::from_millis(50)) {
                Ok(value) => return value,
                Err(crossbeam_channel::RecvTimeoutError::Disconnected) => {
                    return Err(Error::WriterStopped("the writer dropped a request".into()));
                }
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                    let Some(stalled) = self.writer.blocked() else {
                        continue;
                    };
                    if state
                        .compare_exchange(WAITING, WITHDRAWN, Ordering::AcqRel, Ordering::Acquire)
                        .is_ok()
                    {
                        return Err(stalled);
                    }
                }
            }
        }
    }

    /// The reader connection, inside the fork gate. Never wait for the writer while holding it:
    /// a fork waits for the holder, and the writer waits for the fork.
    /// Refused once the store is closed.
    fn reader(&self) -> Result<Reader<'_>> {
        let inside = gate::enter();
        let conn = MutexGuard::try_map(self.reader.lock(), Option::as_mut)
            .map_err(|_| Error::WriterStopped("closed".to_owned()))?;
        Ok(Reader {
            conn,
            _inside: inside,
        })
    }

    /// Runs a read on the reader connection in one snapshot, after the queue has drained.
    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        if !FLUSHED.get() {
            self.flush()?;
        }
        let mut conn = self.reader()?;
        let read = |conn: &mut Connection| {
            let tx = conn.transaction()?;
            let value = f(&tx)?;
            tx.finish()?;
            Ok(value)
        };
        read(&mut conn).map_err(|e: Error| e.at(&self.path))
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
        validate::validate_run_id(run_id)?;
        // Messages name the entry (`metrics[3]`); the name is only formatted for a refusal.
        for (i, point) in metrics.iter().enumerate() {
            if validate::validate_metric_key(&point.key, "").is_err() {
                validate::validate_metric_key(&point.key, &format!("metrics[{i}]"))?;
            }
        }
        for (i, (key, value)) in params.iter().enumerate() {
            if validate::validate_param(key, value, "").is_err() {
                validate::validate_param(key, value, &format!("params[{i}]"))?;
            }
        }
        for (i, (key, value)) in tags.iter().enumerate() {
            let value = value.as_deref().unwrap_or("");
            if validate::validate_tag(key, value, "").is_err() {
                validate::validate_tag(key, value, &format!("tags[{i}]"))?;
            }
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
    fn a_read_after_the_callers_flush_does_not_flush_again() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        // The writer is held by a control op: a flush now would wait for it.
        let (release, held) = crossbeam_channel::bounded::<()>(0);
        let (started, running) = crossbeam_channel::bounded::<()>(1);
        store
            .writer
            .submit_control(Box::new(move |_| {
                let _ = started.send(());
                let _ = held.recv();
            }))
            .unwrap();
        running.recv().unwrap();
        let experiment = after_flush(|| store.get_experiment("0")).unwrap();
        assert_eq!(experiment.name, "Default");
        assert!(!FLUSHED.get(), "the flag ends with the call");
        release.send(()).unwrap();
        store.flush().unwrap();
    }

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
    fn rows_deleted_by_another_process_fail_only_their_own_ops() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        let (doomed, kept) = (new_run(&store), new_run(&store));
        let ops: Vec<WriteOp> = (0..2000)
            .map(|i| {
                let run = if i % 2 == 0 { &doomed } else { &kept };
                store.metric_op(run, "m", 1.0, Some(1), i).unwrap()
            })
            .collect();
        // Another process removes the run's rows outright (not MLflow's soft delete).
        let other = rusqlite::Connection::open(dir.path().join("t.db")).unwrap();
        other
            .execute_batch(&format!(
                "DELETE FROM tags WHERE run_uuid = '{doomed}';                  DELETE FROM runs WHERE run_uuid = '{doomed}';"
            ))
            .unwrap();
        // Hold the writer until every op is queued: a failure it found meanwhile would be
        // handed to the next `enqueue` (which then refuses its op) instead of to `flush`.
        let (release, held) = crossbeam_channel::bounded::<()>(0);
        store
            .writer
            .submit_control(Box::new(move |_| {
                let _ = held.recv();
            }))
            .unwrap();
        for op in ops {
            store.enqueue(op).unwrap();
        }
        release.send(()).unwrap();
        let err = store.flush().unwrap_err().to_string();
        assert!(err.contains("FOREIGN KEY"), "{err}");
        store.flush().unwrap();
        assert_eq!(
            store.get_metric_series(&kept, "m", None).unwrap().len(),
            1000
        );
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
    fn a_refused_file_is_left_as_it_was_and_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let foreign = dir.path().join("foreign.db");
        rusqlite::Connection::open(&foreign)
            .unwrap()
            .execute_batch("CREATE TABLE t (x)")
            .unwrap();
        assert!(matches!(
            Store::open(&foreign, "/a", WriterConfig::default()),
            Err(Error::Schema(_))
        ));
        let mode: String = rusqlite::Connection::open(&foreign)
            .unwrap()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "delete", "not switched to WAL");

        let text = dir.path().join("notes.db");
        std::fs::write(
            &text,
            "not a database, just some text that is long enough\n".repeat(20),
        )
        .unwrap();
        let err = Store::open(&text, "/a", WriterConfig::default())
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("file is not a database"), "{err}");
        assert!(err.contains(&text.display().to_string()), "{err}");
    }

    #[test]
    fn a_database_deleted_while_logging_is_noticed_and_nothing_is_written_into_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        let run_id = new_run(&store);
        store
            .enqueue(store.metric_op(&run_id, "m", 1.0, None, 0).unwrap())
            .unwrap();
        store.flush().unwrap();
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(dir.path().join(format!("t.db{suffix}")));
        }
        store
            .enqueue(store.metric_op(&run_id, "m", 2.0, None, 1).unwrap())
            .unwrap();
        let err = store.flush().unwrap_err().to_string();
        assert!(err.contains("was deleted or replaced"), "{err}");
        assert!(err.contains("t.db"), "{err}");
        let unstored = store.close_within(Duration::from_millis(100));
        assert_eq!(unstored.ops, 1, "the point is reported as not stored");
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
