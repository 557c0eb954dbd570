//! Connection settings, applied once when a connection opens.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::engine::error::Result;
use crate::engine::store::retry_busy;

/// How long SQLite itself waits for a lock before reporting `SQLITE_BUSY` to mlrs, which then
/// retries; MLflow uses the same 20 s.
const BUSY_TIMEOUT: Duration = Duration::from_secs(20);

/// Opens a read-write connection in WAL mode with the settings MLflow's sessions use
/// (`foreign_keys`, `case_sensitive_like`) plus `synchronous=NORMAL`, which in WAL mode keeps the
/// file consistent on a crash and loses at most the last commits on power loss.
///
/// Not `durable` (a scratch store: a test's database under its temporary directory), the file
/// is never fsynced (`synchronous=OFF`, set before the switch to WAL so the switch does not
/// sync either): a crash of the process loses nothing, a power cut may.
pub fn open_writer(path: &Path, durable: bool) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI,
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    if !durable {
        conn.execute_batch("PRAGMA synchronous=OFF;")?;
    }
    // Switching to WAL takes an exclusive lock for a moment; another process creating the same
    // file may hold it, so this is retried like any other busy statement.
    retry_busy(|| {
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0))?;
        Ok(mode)
    })?;
    conn.execute_batch(if durable {
        "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA case_sensitive_like=ON;"
    } else {
        "PRAGMA synchronous=OFF; PRAGMA foreign_keys=ON; PRAGMA case_sensitive_like=ON;"
    })?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// Opens a connection for reads. WAL lets it read while the writer commits. Being the last to
/// close, it checkpoints the WAL into the file, with fsyncs unless the store is not `durable`.
pub fn open_reader(path: &Path, durable: bool) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI,
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.execute_batch(
        "PRAGMA foreign_keys=ON; PRAGMA case_sensitive_like=ON; PRAGMA query_only=ON;",
    )?;
    if !durable {
        conn.execute_batch("PRAGMA synchronous=OFF;")?;
    }
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}
