//! The writer's side of the SQLite store: data ops applied in one transaction per batch, with
//! cached prepared statements and 64-row inserts into `metrics`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior};

use crate::engine::error::{Error, Result};
use crate::engine::model::{MetricPoint, RUN_NAME_TAG};
use crate::engine::store::checkpoint::Checkpointer;
use crate::engine::store::gate::{self, GatedConnection};
use crate::engine::store::retry_busy;
use crate::engine::writer::{ControlFn, Sink, WriteOp};

/// Rows per multi-row `INSERT` into `metrics`: 64 × 6 parameters stays far below SQLite's limit
/// and measured as fast as any larger size.
const METRIC_ROWS_PER_INSERT: usize = 64;

const METRIC_COLUMNS: &str = "INSERT OR IGNORE INTO metrics (key, value, timestamp, step, is_nan, \
                              run_uuid) VALUES ";

static INSERT_METRIC_ROWS: LazyLock<String> = LazyLock::new(|| {
    let rows = vec!["(?,?,?,?,?,?)"; METRIC_ROWS_PER_INSERT].join(",");
    format!("{METRIC_COLUMNS}{rows}")
});

static INSERT_METRIC_ROW: LazyLock<String> =
    LazyLock::new(|| format!("{METRIC_COLUMNS}(?,?,?,?,?,?)"));

/// Keeps `latest_metrics` at the point with the greatest (step, timestamp, value), as MLflow does.
const UPSERT_LATEST_METRIC: &str = "INSERT INTO latest_metrics (key, value, timestamp, step, \
     is_nan, run_uuid) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
     ON CONFLICT (key, run_uuid) DO UPDATE SET value = excluded.value, \
     timestamp = excluded.timestamp, step = excluded.step, is_nan = excluded.is_nan \
     WHERE (excluded.step, excluded.timestamp, excluded.value) \
         > (latest_metrics.step, latest_metrics.timestamp, latest_metrics.value)";

const INSERT_PARAM: &str = "INSERT INTO params (key, value, run_uuid) VALUES (?1, ?2, ?3) \
     ON CONFLICT (key, run_uuid) DO NOTHING";

const UPSERT_TAG: &str = "INSERT INTO tags (key, value, run_uuid) VALUES (?1, ?2, ?3) \
     ON CONFLICT (key, run_uuid) DO UPDATE SET value = excluded.value";

/// The writer thread's connection.
pub struct SqliteSink {
    /// Declared before `conn`, so it stops first and the writer's connection, the last of the
    /// store's to close, runs SQLite's final checkpoint.
    _checkpointer: Option<Checkpointer>,
    conn: GatedConnection,
    path: PathBuf,
    /// The file's (device, inode) when it was opened: a file deleted or replaced since is not
    /// the one the user reads, so writing on into it would lose everything silently.
    identity: Option<(u64, u64)>,
    /// `PRAGMA data_version` as last read: it changes only when another connection commits.
    data_version: i64,
}

impl SqliteSink {
    pub fn new(conn: GatedConnection, path: &Path, checkpointer: Option<Checkpointer>) -> Self {
        let data_version = conn
            .query_row("PRAGMA data_version", [], |row| row.get(0))
            .unwrap_or(0);
        Self {
            _checkpointer: checkpointer,
            conn,
            path: path.to_owned(),
            identity: file_identity(path),
            data_version,
        }
    }

    /// Refuses to write once the path no longer names the file this connection has open.
    fn check_identity(&self) -> Result<()> {
        if self.identity.is_none() || file_identity(&self.path) == self.identity {
            return Ok(());
        }
        Err(Error::Unwritable(format!(
            "The database file {} was deleted or replaced while mlrs was writing to it; mlrs \
             keeps what was logged since and does not write it into a file nobody can open. \
             Put the file back, or what is kept is reported as not stored at exit.",
            self.path.display()
        )))
    }
}

fn file_identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

impl Sink for SqliteSink {
    fn apply(&mut self, ops: &[WriteOp]) -> Result<Vec<(usize, Error)>> {
        let _inside = gate::enter();
        self.check_identity()?;
        retry_busy(|| {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let failures = apply_data(&tx, ops)?;
            tx.commit()?;
            Ok(failures)
        })
        .map_err(|e| e.at(&self.path))
    }

    fn ready(&mut self) -> Result<()> {
        self.check_identity()
    }

    type Conn = Connection;

    fn control(&mut self, f: ControlFn<Connection>) {
        let _inside = gate::enter();
        f(&mut self.conn);
    }

    fn external_change(&mut self) -> bool {
        let _inside = gate::enter();
        let Ok(version) = self
            .conn
            .query_row("PRAGMA data_version", [], |row| row.get(0))
        else {
            return false;
        };
        let changed = version != self.data_version;
        self.data_version = version;
        changed
    }
}

/// Applies data ops inside `tx`; returns the ops that were refused one by one (a param that
/// another process logged with a different value first).
fn apply_data(tx: &Transaction<'_>, ops: &[WriteOp]) -> Result<Vec<(usize, Error)>> {
    let mut metrics = MetricInserter::new(tx);
    let mut failures = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        match op {
            WriteOp::Metric { run_id, point } => metrics.push(run_id, point)?,
            WriteOp::Batch {
                run_id,
                metrics: points,
                params,
                tags,
            } => {
                for (key, value) in params {
                    if let Some(failure) = insert_param(tx, run_id, key, value)? {
                        failures.push((i, failure));
                    }
                }
                for point in points {
                    metrics.push(run_id, point)?;
                }
                for (key, value) in tags {
                    set_tag(tx, run_id, key, value.as_deref())?;
                }
            }
        }
    }
    metrics.finish()?;
    Ok(failures)
}

/// Buffers metric rows into 64-row inserts and tracks the newest point per (run, key), so
/// `latest_metrics` is written once per key and batch.
struct MetricInserter<'t, 'a> {
    tx: &'t Transaction<'a>,
    rows: Vec<(&'t str, &'t MetricPoint)>,
    latest: HashMap<(&'t str, &'t str), &'t MetricPoint>,
}

impl<'t, 'a> MetricInserter<'t, 'a> {
    fn new(tx: &'t Transaction<'a>) -> Self {
        Self {
            tx,
            rows: Vec::with_capacity(METRIC_ROWS_PER_INSERT),
            latest: HashMap::new(),
        }
    }

    fn push(&mut self, run_id: &'t str, point: &'t MetricPoint) -> Result<()> {
        self.latest
            .entry((run_id, point.key.as_str()))
            .and_modify(|current| {
                if point.is_newer_than(current.step, current.timestamp_ms, current.value) {
                    *current = point;
                }
            })
            .or_insert(point);
        self.rows.push((run_id, point));
        if self.rows.len() == METRIC_ROWS_PER_INSERT {
            let mut stmt = self.tx.prepare_cached(&INSERT_METRIC_ROWS)?;
            bind_metric_rows(&mut stmt, &self.rows)?;
            stmt.raw_execute()?;
            self.rows.clear();
        }
        Ok(())
    }

    fn finish(self) -> Result<()> {
        let mut single = self.tx.prepare_cached(&INSERT_METRIC_ROW)?;
        for row in &self.rows {
            bind_metric_rows(&mut single, std::slice::from_ref(row))?;
            single.raw_execute()?;
        }
        let mut upsert = self.tx.prepare_cached(UPSERT_LATEST_METRIC)?;
        for ((run_id, key), point) in self.latest {
            upsert.execute(rusqlite::params![
                key,
                point.value,
                point.timestamp_ms,
                point.step,
                i64::from(point.is_nan),
                run_id
            ])?;
        }
        Ok(())
    }
}

fn bind_metric_rows(
    stmt: &mut rusqlite::CachedStatement<'_>,
    rows: &[(&str, &MetricPoint)],
) -> Result<()> {
    for (i, (run_id, point)) in rows.iter().enumerate() {
        let base = i * 6;
        stmt.raw_bind_parameter(base + 1, point.key.as_str())?;
        stmt.raw_bind_parameter(base + 2, point.value)?;
        stmt.raw_bind_parameter(base + 3, point.timestamp_ms)?;
        stmt.raw_bind_parameter(base + 4, point.step)?;
        stmt.raw_bind_parameter(base + 5, i64::from(point.is_nan))?;
        stmt.raw_bind_parameter(base + 6, *run_id)?;
    }
    Ok(())
}

fn insert_param(
    tx: &Transaction<'_>,
    run_id: &str,
    key: &str,
    value: &str,
) -> Result<Option<Error>> {
    let inserted = tx
        .prepare_cached(INSERT_PARAM)?
        .execute([key, value, run_id])?;
    if inserted == 1 {
        return Ok(None);
    }
    let old: Option<String> = tx
        .prepare_cached("SELECT value FROM params WHERE key = ?1 AND run_uuid = ?2")?
        .query_row([key, run_id], |row| row.get(0))
        .optional()?;
    Ok(old.filter(|old| old != value).map(|old| {
        Error::invalid(format!(
            "Changing param values is not allowed. Param with key='{key}' was already logged \
             with value='{old}' for run ID='{run_id}'. Attempted logging new value '{value}'."
        ))
    }))
}

/// Sets a run tag; `mlflow.runName` renames the run as well.
pub fn set_tag(tx: &Connection, run_id: &str, key: &str, value: Option<&str>) -> Result<()> {
    tx.prepare_cached(UPSERT_TAG)?
        .execute(rusqlite::params![key, value, run_id])?;
    if key == RUN_NAME_TAG {
        tx.prepare_cached("UPDATE runs SET name = ?1 WHERE run_uuid = ?2")?
            .execute(rusqlite::params![value, run_id])?;
    }
    Ok(())
}

/// Runs `f` in its own `IMMEDIATE` transaction, retrying while another process holds the lock.
pub fn in_transaction<T>(
    conn: &mut Connection,
    f: impl Fn(&Transaction<'_>) -> Result<T>,
) -> Result<T> {
    retry_busy(|| {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    })
}
