//! Connection settings, applied once when a connection opens.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::engine::error::Result;
use crate::engine::store::retry_busy;

/// How long SQLite itself waits for a lock before reporting `SQLITE_BUSY` to mlrs, which then
/// retries; MLflow uses the same 20 s.
const BUSY_TIMEOUT: Duration = Duration::from_secs(20);

/// Opens a read-write connection with the settings MLflow's sessions use (`foreign_keys`,
/// `case_sensitive_like`). The file is switched to WAL by [`enable_wal`], once its schema has
/// been checked: a file mlrs refuses is left as it was.
///
/// Not `durable` (a scratch store: a test's database under its temporary directory), the file
/// is never fsynced (`synchronous=OFF`, set before the switch to WAL so the switch does not
/// sync either): a crash of the process loses nothing, a power cut may.
///
/// Temporary storage is kept in memory (`temp_store=MEMORY`). A multi-row insert inside a
/// transaction keeps a statement journal, a copy of every page it changes, so that a failing
/// row can undo the statement alone; past 64 KiB SQLite would move it into a fresh temporary
/// file, and it did, a few hundred page writes per run of a sweep, more than the WAL itself got.
/// The journal never outgrows what one statement touches.
pub fn open_writer(path: &Path, durable: bool) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI,
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.execute_batch(
        "PRAGMA foreign_keys=ON; PRAGMA case_sensitive_like=ON; PRAGMA temp_store=MEMORY;",
    )?;
    if !durable {
        conn.execute_batch("PRAGMA synchronous=OFF;")?;
    }
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// Switches the file to WAL, with the `synchronous` of [`wal_synchronous`].
pub fn enable_wal(conn: &Connection, durable: bool) -> Result<()> {
    // Switching to WAL takes an exclusive lock for a moment; another process creating the same
    // file may hold it, so this is retried like any other busy statement.
    retry_busy(|| {
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0))?;
        Ok(mode)
    })?;
    conn.execute_batch(wal_synchronous(durable))?;
    Ok(())
}

/// `synchronous` in WAL mode: `NORMAL` syncs at checkpoints only, which keeps the file
/// consistent on a crash and loses at most the last commits on power loss; `OFF` never syncs.
fn wal_synchronous(durable: bool) -> &'static str {
    if durable {
        "PRAGMA synchronous=NORMAL;"
    } else {
        "PRAGMA synchronous=OFF;"
    }
}

/// Opens a file that must exist already, read-write.
fn open_existing(path: &Path) -> rusqlite::Result<Connection> {
    Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI,
    )
}

/// Opens the connection of a store's checkpoint thread (`checkpoint.rs`): it only moves pages
/// from the WAL into the file, fsyncing both when the store is `durable`.
pub fn open_checkpointer(path: &Path, durable: bool) -> Result<Connection> {
    let conn = open_existing(path)?;
    conn.execute_batch(wal_synchronous(durable))?;
    Ok(conn)
}

/// Opens a file this process cannot write (its permissions, a read-only file system): read-only,
/// and, when SQLite cannot even set up a read-only WAL session there (no `-shm` file and no
/// right to create one), as an immutable file.
pub fn open_read_only(path: &Path) -> Result<Connection> {
    let uri = file_uri(path);
    let open = |params: &str| -> Result<Connection> {
        let conn = Connection::open_with_flags(
            format!("{uri}?{params}"),
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.execute_batch("PRAGMA case_sensitive_like=ON;")?;
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |row| {
            row.get::<_, i64>(0)
        })?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(conn)
    };
    open("mode=ro").or_else(|e| {
        if e.is_read_only() {
            open("immutable=1")
        } else {
            Err(e)
        }
    })
}

/// `file:` URI of a path, with the characters a URI gives a meaning to escaped.
fn file_uri(path: &Path) -> String {
    let mut uri = String::from("file:");
    for c in path.to_string_lossy().chars() {
        match c {
            '%' => uri.push_str("%25"),
            '?' => uri.push_str("%3f"),
            '#' => uri.push_str("%23"),
            c => uri.push(c),
        }
    }
    uri
}

/// Opens a connection for reads. WAL lets it read while the writer commits. Being the last to
/// close, it checkpoints the WAL into the file, with fsyncs unless the store is not `durable`.
pub fn open_reader(path: &Path, durable: bool) -> Result<Connection> {
    let conn = open_existing(path)?;
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
