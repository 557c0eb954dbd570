//! The SQLite store: MLflow's schema in a WAL-mode file, one writer thread, one reader
//! connection, and a cache of the runs this process logs to, so log calls validate without SQL.
//!
//! Writes that the caller must see fail or succeed at once (creating, ending and deleting runs and
//! experiments, deleting tags) run as control ops: they queue behind earlier writes, run in their
//! own transaction and report back. Log calls (metrics, params, tags) are checked against the run
//! cache and queued; the writer commits them in batches. Every read first waits for the queue, so
//! a process always reads its own writes.
//!
//! This file has the `Store` itself: opening, the queue, control ops, reads, closing, and the
//! checks the domains share. The methods of each domain are in a file of their own, each an
//! `impl Store`: `experiments.rs`, `runs.rs` (with the run cache and the log-call ops),
//! `datasets.rs`, `models.rs` (logged models) and `registry/` (the model registry).

mod checkpoint;
pub(crate) mod datasets;
mod experiments;
pub mod gate;
mod gc;
pub mod models;
mod pragmas;
pub(crate) mod read;
pub mod registry;
mod runs;
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
use crate::engine::error::{Error, Result};
use crate::engine::model::{Experiment, Lifecycle, RunId};
use crate::engine::validate;
use crate::engine::writer::{Submitted, Unstored, Wait, WriteOp, Writer, WriterConfig};
use runs::CachedRun;

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
        let (mut conn, reader, read_only) =
            Self::connect(path, default_artifact_root, durable).map_err(|e| e.at(path))?;
        let reader = Mutex::new(Some(gate::GatedConnection::new(reader)));
        // Without the thread (no second connection or thread to be had) the store still works:
        // SQLite then checkpoints within the writer's commits, as it does by default.
        let checkpointer = match read_only {
            None => checkpoint::Checkpointer::start(&mut conn, path, durable).ok(),
            Some(_) => None,
        };
        let sink = write::SqliteSink::new(gate::GatedConnection::new(conn), path, checkpointer);
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
}

fn parse_experiment_id_or_default(experiment_id: &str) -> Result<i64> {
    if experiment_id.is_empty() {
        Ok(crate::engine::model::DEFAULT_EXPERIMENT_ID)
    } else {
        validate::parse_experiment_id(experiment_id)
    }
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
}
