//! The spool: what the API accepted for a tracking server, durable on local disk before it is
//! sent, and the shipper thread that sends it.
//!
//! Invariants:
//! - Every accepted op is a row in an SQLite file (WAL, one transaction per writer batch) before
//!   any request carries it; a row is deleted only after the server answered 200 for it.
//! - Rows of one run are sent in the order they were accepted; a run update (end of the run)
//!   is sent after every earlier row of its run.
//! - Sending is idempotent: a request whose answer was lost is sent again, and the server
//!   applies it once (MLflow's SQL store keeps one metric row per (run, key, timestamp, step,
//!   value); a param logged again with its value and a tag set again to its value change
//!   nothing; an update carries absolute values).
//! - Connection failures, 408, 429 and 5xx are retried with backoff for as long as the process
//!   lives; the training loop never waits for them. What is left at exit stays in the file,
//!   which the next process that logs to the same server sends.
//! - One file per process (`<pid>-<uuid>.db` in the server's directory), locked with `flock`
//!   while its process lives, so only files of ended processes are taken over.

use std::collections::HashSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::{Condvar, Mutex};
use rusqlite::{Connection, params};
use serde_json::{Value, json};

use crate::engine::error::{Error, Result};
use crate::engine::remote::http::Client;
use crate::engine::remote::json::{key_values_json, metric_json};
use crate::engine::store::retry_busy;
use crate::engine::writer::{ControlFn, Sink, WriteOp};

/// MLflow's per-request limits of `runs/log-batch` (mlflow/utils/validation.py).
pub const MAX_METRICS_PER_BATCH: usize = 1000;
pub const MAX_PARAMS_TAGS_PER_BATCH: usize = 100;
pub const MAX_ENTITIES_PER_BATCH: usize = 1000;

/// Rows read from the spool at a time when building requests.
const WINDOW: usize = 20_000;

/// How long the shipper waits for more rows while the writer is still appending and the next
/// request is not full (a full request costs the server about what a small one does).
const GATHER: Duration = Duration::from_millis(20);

/// The longest the shipper holds rows back to gather a fuller request.
const MAX_GATHER: Duration = Duration::from_millis(100);

/// Longest wait between two tries while the server is unreachable.
const MAX_SHIP_BACKOFF: Duration = Duration::from_secs(10);

const KIND_METRIC: i64 = 0;
const KIND_PARAM: i64 = 1;
const KIND_TAG: i64 = 2;
const KIND_UPDATE: i64 = 3;

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS records (\
    seq INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, kind INTEGER NOT NULL, \
    key TEXT, value TEXT, num REAL, is_nan INTEGER, ts INTEGER, step INTEGER)";

fn open_connection(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    let _: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    conn.execute_batch("PRAGMA synchronous=NORMAL;")?;
    conn.execute_batch(SCHEMA)?;
    Ok(conn)
}

/// The directory of one server's spool files under `root`.
pub fn server_dir(root: &Path, base_url: &str) -> PathBuf {
    let name: String = base_url
        .split_once("://")
        .map_or(base_url, |(_, rest)| rest)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let scheme = base_url.split_once("://").map_or("http", |(s, _)| s);
    root.join(format!("{scheme}_{name}"))
}

/// A spool file and the lock that says its process is alive.
pub struct SpoolFile {
    pub path: PathBuf,
    _lock: File,
}

impl SpoolFile {
    /// Creates this process's spool file in `dir`, locked.
    pub fn create(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| {
            Error::internal(format!(
                "Cannot create the spool directory {}: {e}",
                dir.display()
            ))
        })?;
        let path = dir.join(format!(
            "{}-{}.db",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        let lock = File::create(&path)
            .map_err(|e| Error::internal(format!("Cannot create {}: {e}", path.display())))?;
        lock.try_lock()
            .map_err(|e| Error::internal(format!("Cannot lock {}: {e}", path.display())))?;
        Ok(Self { path, _lock: lock })
    }

    /// Takes over a spool file whose process has ended; `None` while another process holds it.
    pub fn adopt(path: &Path) -> Option<Self> {
        let lock = File::options().read(true).write(true).open(path).ok()?;
        lock.try_lock().ok()?;
        Some(Self {
            path: path.to_owned(),
            _lock: lock,
        })
    }

    /// Deletes the file (and SQLite's side files).
    pub fn remove(&self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut name = self.path.clone().into_os_string();
            name.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(name));
        }
    }
}

/// Spool files in `dir` other than `own`, oldest name first.
pub fn other_files(dir: &Path, own: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "db") && p != own)
        .collect();
    found.sort();
    found
}

/// What the store, the writer's sink and the shipper share.
#[derive(Default)]
pub struct ShipState {
    /// The greatest seq appended to this process's spool.
    pub appended: i64,
    /// The smallest seq not yet shipped (`appended + 1` when the spool is empty).
    pub head: i64,
    /// Transient failures (unreachable, 408/429/5xx) of the request in flight since the last
    /// success; past MLflow's retry count, waiting callers stop waiting for the server.
    pub failures: u32,
    /// A request the server refused: its rows were dropped; reported once.
    pub error: Option<Error>,
    pub stop: bool,
}

pub struct Shared {
    pub state: Mutex<ShipState>,
    pub changed: Condvar,
}

impl Shared {
    pub fn new(appended: i64, head: i64) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(ShipState {
                appended,
                head,
                ..ShipState::default()
            }),
            changed: Condvar::new(),
        })
    }

    fn notify(&self) {
        self.changed.notify_all();
    }
}

/// The writer's sink of a remote store: appends ops to the spool file.
pub struct SpoolSink {
    conn: Connection,
    shared: Arc<Shared>,
}

/// A run update queued behind the run's data: status, end time, name.
pub struct RunUpdate {
    pub run_id: String,
    pub status: Option<String>,
    pub end_time: Option<i64>,
    pub run_name: Option<String>,
}

impl SpoolSink {
    pub fn new(path: &Path, shared: Arc<Shared>) -> Result<Self> {
        Ok(Self {
            conn: open_connection(path)?,
            shared,
        })
    }

    /// Appends a run update (a control op of the remote writer) and wakes the shipper.
    pub fn append_update(&mut self, update: &RunUpdate) -> Result<()> {
        retry_busy(|| {
            self.conn.execute(
                "INSERT INTO records (run_id, kind, key, value, ts) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    update.run_id,
                    KIND_UPDATE,
                    update.run_name,
                    update.status,
                    update.end_time
                ],
            )?;
            Ok(())
        })?;
        self.published();
        Ok(())
    }

    fn published(&self) {
        let seq = self.conn.last_insert_rowid();
        let mut state = self.shared.state.lock();
        state.appended = state.appended.max(seq);
        drop(state);
        self.shared.notify();
    }

    fn append(&mut self, ops: &[WriteOp]) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut metric = tx.prepare_cached(
                "INSERT INTO records (run_id, kind, key, num, is_nan, ts, step) \
                 VALUES (?1, 0, ?2, ?3, ?4, ?5, ?6)",
            )?;
            let mut other = tx.prepare_cached(
                "INSERT INTO records (run_id, kind, key, value) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for op in ops {
                match op {
                    WriteOp::Metric { run_id, point } => {
                        metric.execute(params![
                            &**run_id,
                            point.key.as_str(),
                            point.value,
                            point.is_nan,
                            point.timestamp_ms,
                            point.step
                        ])?;
                    }
                    WriteOp::Batch {
                        run_id,
                        metrics,
                        params: run_params,
                        tags,
                    } => {
                        for point in metrics {
                            metric.execute(params![
                                &**run_id,
                                point.key.as_str(),
                                point.value,
                                point.is_nan,
                                point.timestamp_ms,
                                point.step
                            ])?;
                        }
                        for (key, value) in run_params {
                            other.execute(params![&**run_id, KIND_PARAM, key, value])?;
                        }
                        for (key, value) in tags {
                            other.execute(params![&**run_id, KIND_TAG, key, value])?;
                        }
                    }
                }
            }
        }
        tx.commit()?;
        Ok(())
    }
}

impl Sink for SpoolSink {
    type Conn = SpoolSink;

    fn apply(&mut self, ops: &[WriteOp]) -> Result<Vec<(usize, Error)>> {
        retry_busy(|| self.append(ops))?;
        self.published();
        Ok(Vec::new())
    }

    fn control(&mut self, f: ControlFn<SpoolSink>) {
        f(self);
    }
}

/// One spooled row.
struct Row {
    seq: i64,
    run_id: String,
    kind: i64,
    key: Option<String>,
    value: Option<String>,
    num: Option<f64>,
    is_nan: bool,
    ts: Option<i64>,
    step: Option<i64>,
}

fn read_window(conn: &Connection) -> Result<Vec<Row>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, run_id, kind, key, value, num, is_nan, ts, step FROM records \
         ORDER BY seq LIMIT ?1",
    )?;
    let rows = stmt
        .query_map([WINDOW as i64], |r| {
            Ok(Row {
                seq: r.get(0)?,
                run_id: r.get(1)?,
                kind: r.get(2)?,
                key: r.get(3)?,
                value: r.get(4)?,
                num: r.get(5)?,
                is_nan: r.get::<_, Option<bool>>(6)?.unwrap_or(false),
                ts: r.get(7)?,
                step: r.get(8)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// One request built from the spool and the rows it covers.
struct Request {
    endpoint: &'static str,
    body: Value,
    seqs: Vec<i64>,
    run_id: String,
}

/// The next request: the first row's run, then that run's later rows in order while MLflow's
/// limits allow (a run update goes alone, after the run's earlier rows).
fn next_request(rows: &[Row]) -> Option<Request> {
    let first = rows.first()?;
    let run_id = first.run_id.clone();
    if first.kind == KIND_UPDATE {
        let mut body = json!({"run_id": run_id, "run_uuid": run_id});
        if let Some(status) = &first.value {
            body["status"] = json!(status);
        }
        if let Some(end_time) = first.ts {
            body["end_time"] = json!(end_time);
        }
        if let Some(name) = &first.key {
            body["run_name"] = json!(name);
        }
        return Some(Request {
            endpoint: "runs/update",
            body,
            seqs: vec![first.seq],
            run_id,
        });
    }
    let (mut metrics, mut params, mut tags) = (Vec::new(), Vec::new(), Vec::new());
    let mut tag_keys: HashSet<&str> = HashSet::new();
    let mut seqs = Vec::new();
    for row in rows.iter().filter(|r| r.run_id == run_id) {
        if row.kind == KIND_UPDATE {
            break;
        }
        let total = metrics.len() + params.len() + tags.len();
        if total >= MAX_ENTITIES_PER_BATCH {
            break;
        }
        let key = row.key.as_deref().unwrap_or("");
        match row.kind {
            KIND_METRIC if metrics.len() < MAX_METRICS_PER_BATCH => metrics.push(metric_json(
                key,
                row.num.unwrap_or(0.0),
                row.is_nan,
                row.ts.unwrap_or(0),
                row.step.unwrap_or(0),
            )),
            KIND_PARAM if params.len() < MAX_PARAMS_TAGS_PER_BATCH => {
                params.push((key, row.value.as_deref()));
            }
            // A tag set twice goes in two requests, so the later value wins for certain.
            KIND_TAG if tags.len() < MAX_PARAMS_TAGS_PER_BATCH && tag_keys.insert(key) => {
                tags.push((key, row.value.as_deref()));
            }
            _ => break,
        }
        seqs.push(row.seq);
    }
    Some(Request {
        endpoint: "runs/log-batch",
        body: json!({
            "run_id": run_id,
            "metrics": metrics,
            "params": key_values_json(params),
            "tags": key_values_json(tags),
        }),
        seqs,
        run_id,
    })
}

fn delete_rows(conn: &Connection, seqs: &[i64]) -> Result<()> {
    retry_busy(|| {
        let tx = conn.unchecked_transaction()?;
        {
            let mut stmt = tx.prepare_cached("DELETE FROM records WHERE seq = ?1")?;
            for seq in seqs {
                stmt.execute([seq])?;
            }
        }
        tx.commit()?;
        Ok(())
    })
}

fn head_of(conn: &Connection) -> Result<Option<i64>> {
    Ok(conn.query_row("SELECT min(seq) FROM records", [], |r| r.get(0))?)
}

/// The rows left in a spool file and the runs they belong to.
pub fn pending(path: &Path) -> Result<(i64, Vec<String>)> {
    let conn = open_connection(path)?;
    let count = conn.query_row("SELECT count(*) FROM records", [], |r| r.get(0))?;
    let mut stmt = conn.prepare("SELECT DISTINCT run_id FROM records ORDER BY run_id")?;
    let runs = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok((count, runs))
}

/// The first seq of a spool file that is not shipped, and the greatest one appended.
pub fn bounds(path: &Path) -> Result<(i64, i64)> {
    let conn = open_connection(path)?;
    let appended: i64 = conn
        .query_row(
            "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'records'), 0)",
            [],
            |r| r.get(0),
        )
        .unwrap_or(0);
    let head = head_of(&conn)?.unwrap_or(appended + 1);
    Ok((head, appended))
}

/// Outcome of shipping one request.
enum Sent {
    Done,
    /// The server refused it for good; its rows are dropped and the error reported.
    Refused(Error),
    Stopped,
}

/// The shipper: sends one spool file's rows in order until it is empty (an adopted file) or
/// the store stops (its own file).
pub struct Shipper {
    client: Client,
    shared: Arc<Shared>,
    /// Gives up a request after this many transient failures (`None`: tries while it lives).
    give_up_after: Option<u32>,
}

impl Shipper {
    pub fn new(client: Client, shared: Arc<Shared>) -> Self {
        Self {
            client,
            shared,
            give_up_after: None,
        }
    }

    /// A shipper that stops after `attempts` transient failures of one request (the command
    /// line's, which must end).
    pub fn bounded(client: Client, attempts: u32) -> Self {
        Self {
            client,
            shared: Shared::new(0, 1),
            give_up_after: Some(attempts),
        }
    }

    /// Sends one request, retrying transient failures with backoff until it is answered or
    /// the store stops. Only what the server answered counts: a timeout is tried again.
    fn send(&self, request: &Request) -> Sent {
        let mut attempt = 0u32;
        loop {
            let outcome = self
                .client
                .attempt("POST", request.endpoint, &[], Some(&request.body));
            match outcome {
                Ok(Ok(_)) => {
                    self.count_failure(false);
                    return Sent::Done;
                }
                Ok(Err(failure)) if failure.is_transient() => {}
                Ok(Err(failure)) => {
                    return Sent::Refused(self.client.error(request.endpoint, &failure));
                }
                Err(e) => return Sent::Refused(e),
            }
            self.count_failure(true);
            attempt = attempt.saturating_add(1);
            if self.give_up_after.is_some_and(|limit| attempt > limit) {
                return Sent::Stopped;
            }
            let wait = self.client.settings.backoff(attempt).min(MAX_SHIP_BACKOFF);
            let mut state = self.shared.state.lock();
            if state.stop {
                return Sent::Stopped;
            }
            self.shared.changed.wait_for(&mut state, wait);
            if state.stop {
                return Sent::Stopped;
            }
        }
    }

    fn count_failure(&self, failed: bool) {
        let mut state = self.shared.state.lock();
        state.failures = if failed {
            state.failures.saturating_add(1)
        } else {
            0
        };
        drop(state);
        self.shared.notify();
    }

    /// Waits up to [`GATHER`] for the writer to append more rows; true when it did (read the
    /// spool again), false when the rows at hand should go now.
    fn more_rows_coming(&self, have: usize) -> bool {
        let mut state = self.shared.state.lock();
        let before = state.appended;
        let pending = (before - state.head + 1).max(0) as usize;
        if pending > have || state.stop {
            return pending > have && !state.stop;
        }
        let _ = self.shared.changed.wait_for(&mut state, GATHER);
        state.appended > before && !state.stop
    }

    /// Ships the rows of `path` in order. With `own`, waits for more rows until stopped;
    /// otherwise returns once the file is empty. Returns whether it emptied the file.
    ///
    /// Requests are sent by a second thread, in order, one at a time, while this one builds
    /// the next request and deletes the rows of the last answered one: the server, the slow
    /// side, never waits for the client between two requests.
    pub fn ship_file(&self, path: &Path, own: bool) -> Result<bool> {
        let conn = open_connection(path)?;
        std::thread::scope(|scope| {
            // One request waits while one is sent: at most two are out at a time.
            let (queue, queued) = crossbeam_channel::bounded::<Request>(1);
            let (answered, answers) = crossbeam_channel::unbounded::<(Request, Sent)>();
            std::thread::Builder::new()
                .name("mlrs-sender".to_owned())
                .spawn_scoped(scope, move || {
                    for request in queued {
                        let sent = self.send(&request);
                        let stopped = matches!(sent, Sent::Stopped);
                        if answered.send((request, sent)).is_err() || stopped {
                            return;
                        }
                    }
                })
                .map_err(|e| Error::internal(format!("cannot start the mlrs sender: {e}")))?;
            let mut outstanding = Outstanding {
                shipper: self,
                conn: &conn,
                own,
                answers,
                count: 0,
            };
            self.ship_rows(&conn, own, &queue, &mut outstanding)
        })
    }

    /// The loop of [`Shipper::ship_file`]: reads the spool a window at a time and queues its
    /// requests; a window is read again once every request of the last one is answered.
    fn ship_rows(
        &self,
        conn: &Connection,
        own: bool,
        queue: &crossbeam_channel::Sender<Request>,
        outstanding: &mut Outstanding<'_>,
    ) -> Result<bool> {
        let mut gathering_since: Option<std::time::Instant> = None;
        loop {
            let rows = read_window(conn)?;
            if rows.is_empty() {
                if !own {
                    return Ok(true);
                }
                let mut state = self.shared.state.lock();
                loop {
                    if state.stop {
                        return Ok(true);
                    }
                    if state.appended >= state.head {
                        break;
                    }
                    self.shared.changed.wait(&mut state);
                }
                continue;
            }
            // Gather a fuller request for at most MAX_GATHER, then send what there is.
            let gathering = *gathering_since.get_or_insert_with(std::time::Instant::now);
            if own
                && rows.len() < MAX_METRICS_PER_BATCH
                && gathering.elapsed() < MAX_GATHER
                && self.more_rows_coming(rows.len())
            {
                continue;
            }
            gathering_since = None;
            let mut rows = rows;
            while let Some(request) = next_request(&rows) {
                let queued: HashSet<i64> = request.seqs.iter().copied().collect();
                rows.retain(|r| !queued.contains(&r.seq));
                if queue.send(request).is_err() {
                    // The sender stopped: the answer that says why is waiting.
                    return outstanding.settle_all();
                }
                outstanding.count += 1;
                if !outstanding.settle_answered()? {
                    return Ok(false);
                }
            }
            if !outstanding.settle_all()? {
                return Ok(false);
            }
        }
    }
}

/// Requests handed to the sender whose answers are not yet settled.
struct Outstanding<'a> {
    shipper: &'a Shipper,
    conn: &'a Connection,
    own: bool,
    answers: crossbeam_channel::Receiver<(Request, Sent)>,
    count: usize,
}

impl Outstanding<'_> {
    /// Settles the answers already in; false when the sender stopped.
    fn settle_answered(&mut self) -> Result<bool> {
        while let Ok((request, sent)) = self.answers.try_recv() {
            if !self.settle(&request, sent)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Waits for and settles every outstanding answer; false when the sender stopped.
    fn settle_all(&mut self) -> Result<bool> {
        while self.count > 0 {
            let Ok((request, sent)) = self.answers.recv() else {
                return Ok(false);
            };
            if !self.settle(&request, sent)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Deletes an answered request's rows (a refused one's too, after reporting it) and
    /// publishes the new head; false, leaving the rows, when the sender stopped.
    fn settle(&mut self, request: &Request, sent: Sent) -> Result<bool> {
        self.count -= 1;
        match sent {
            Sent::Done => {}
            Sent::Refused(error) => {
                eprintln!(
                    "mlrs: the tracking server {} refused {} spooled record(s) of run {}: {error}",
                    self.shipper.client.base(),
                    request.seqs.len(),
                    request.run_id
                );
                if self.own {
                    let mut state = self.shipper.shared.state.lock();
                    state.error.get_or_insert(error);
                }
            }
            Sent::Stopped => return Ok(false),
        }
        delete_rows(self.conn, &request.seqs)?;
        if self.own {
            let head = head_of(self.conn)?;
            let mut state = self.shipper.shared.state.lock();
            state.head = head.unwrap_or(state.appended + 1);
            drop(state);
            self.shipper.shared.notify();
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(seq: i64, run: &str, kind: i64, key: &str) -> Row {
        Row {
            seq,
            run_id: run.to_owned(),
            kind,
            key: Some(key.to_owned()),
            value: Some("v".to_owned()),
            num: Some(1.0),
            is_nan: false,
            ts: Some(1),
            step: Some(seq),
        }
    }

    #[test]
    fn requests_keep_mlflows_limits_and_each_runs_order() {
        let mut rows: Vec<Row> = (0..2500).map(|i| row(i, "a", KIND_METRIC, "m")).collect();
        rows.push(row(2500, "b", KIND_TAG, "t"));
        rows.push(row(2501, "a", KIND_UPDATE, "name"));
        rows.push(row(2502, "a", KIND_METRIC, "m"));
        let first = next_request(&rows).unwrap();
        assert_eq!(first.seqs.len(), MAX_METRICS_PER_BATCH);
        assert_eq!(first.seqs[0], 0);
        let rest: Vec<Row> = rows.into_iter().skip(2000).collect();
        let third = next_request(&rest).unwrap();
        assert_eq!(third.seqs.len(), 500, "stops before the run's update");
        let update: Vec<Row> = rest.into_iter().skip(501).collect();
        let request = next_request(&update).unwrap();
        assert_eq!(request.endpoint, "runs/update");
    }

    #[test]
    fn a_tag_set_twice_splits_the_request() {
        let rows = vec![
            row(1, "a", KIND_TAG, "t"),
            row(2, "a", KIND_PARAM, "p"),
            row(3, "a", KIND_TAG, "t"),
        ];
        assert_eq!(next_request(&rows).unwrap().seqs, [1, 2]);
    }

    #[test]
    fn spool_files_are_locked_by_their_process() {
        let dir = tempfile::tempdir().unwrap();
        let own = SpoolFile::create(dir.path()).unwrap();
        assert!(SpoolFile::adopt(&own.path).is_none(), "held while it lives");
        let path = own.path.clone();
        drop(own);
        assert!(SpoolFile::adopt(&path).is_some());
    }
}
