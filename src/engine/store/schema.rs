//! MLflow 3.18's schema: created in one transaction on a new file, checked on an existing one.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use crate::engine::clock::now_ms;
use crate::engine::error::{Error, Result};
use crate::engine::model::{DEFAULT_EXPERIMENT_ID, DEFAULT_EXPERIMENT_NAME, DEFAULT_WORKSPACE};
use crate::engine::store::retry_busy;

/// The full DDL of an MLflow 3.18.0 SQLite database, as MLflow's own migrations leave it, so
/// `sqlite_master` of a file mlrs made equals that of a file MLflow made.
const SCHEMA_SQL: &str = include_str!("../../../sql/mlflow_3_18_schema.sql");

/// The alembic revision of MLflow 3.18.0's schema head.
pub const ALEMBIC_HEAD: &str = "f4a9b2c7d1e6";

/// The tables and columns mlrs reads and writes; an existing database must have all of them.
const REQUIRED_COLUMNS: &[(&str, &[&str])] = &[
    (
        "experiments",
        &[
            "experiment_id",
            "name",
            "artifact_location",
            "lifecycle_stage",
            "creation_time",
            "last_update_time",
            "workspace",
        ],
    ),
    ("experiment_tags", &["key", "value", "experiment_id"]),
    (
        "runs",
        &[
            "run_uuid",
            "name",
            "source_type",
            "source_name",
            "entry_point_name",
            "user_id",
            "status",
            "start_time",
            "end_time",
            "source_version",
            "lifecycle_stage",
            "artifact_uri",
            "experiment_id",
            "deleted_time",
        ],
    ),
    (
        "metrics",
        &["key", "value", "timestamp", "step", "is_nan", "run_uuid"],
    ),
    (
        "latest_metrics",
        &["key", "value", "timestamp", "step", "is_nan", "run_uuid"],
    ),
    ("params", &["key", "value", "run_uuid"]),
    ("tags", &["key", "value", "run_uuid"]),
];

/// Makes sure the file holds a usable MLflow schema: creates it when the file has no tables,
/// checks it otherwise, and adds experiment 0 when it is missing (as MLflow does on open).
///
/// Creation happens inside one `IMMEDIATE` transaction that first re-checks for tables, so when
/// several processes open a new file at once exactly one creates the schema and the others find
/// it finished.
pub fn ensure(conn: &mut Connection, default_artifact_root: &str) -> Result<()> {
    retry_busy(|| {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let tables: i64 = tx.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
            [],
            |row| row.get(0),
        )?;
        if tables == 0 {
            tx.execute_batch(SCHEMA_SQL)?;
            tx.execute(
                "INSERT INTO alembic_version (version_num) VALUES (?1)",
                [ALEMBIC_HEAD],
            )?;
            tx.execute(
                "INSERT INTO workspaces (name, description) VALUES (?1, ?2)",
                [DEFAULT_WORKSPACE, "Default workspace for legacy resources"],
            )?;
        } else {
            verify(&tx)?;
        }
        let has_default: Option<i64> = tx
            .query_row(
                "SELECT experiment_id FROM experiments WHERE experiment_id = ?1",
                [DEFAULT_EXPERIMENT_ID],
                |row| row.get(0),
            )
            .optional()?;
        if has_default.is_none() {
            let now = now_ms();
            tx.execute(
                "INSERT INTO experiments (experiment_id, name, artifact_location, \
                 lifecycle_stage, creation_time, last_update_time, workspace) \
                 VALUES (?1, ?2, ?3, 'active', ?4, ?4, ?5)",
                rusqlite::params![
                    DEFAULT_EXPERIMENT_ID,
                    DEFAULT_EXPERIMENT_NAME,
                    append_path(default_artifact_root, "0"),
                    now,
                    DEFAULT_WORKSPACE
                ],
            )?;
        }
        tx.commit()?;
        Ok(())
    })
}

/// Checks an existing file without writing to it (a file opened read-only).
pub fn check(conn: &Connection) -> Result<()> {
    verify(conn)
}

/// Checks, without writing anything, that the file at `path` can become or already is an
/// MLflow store: it is missing, empty, or has MLflow's tables. A file that is not a SQLite
/// database, or a database of something else, is refused with `Error::Schema`.
pub fn inspect(path: &std::path::Path) -> Result<()> {
    if !path.exists() {
        return Ok(());
    }
    let not_sqlite = |e: rusqlite::Error| match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => Error::Schema(format!(
            "{} is not an SQLite database, so it cannot be an MLflow tracking database.",
            path.display()
        )),
        _ => e.into(),
    };
    let conn = Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(not_sqlite)?;
    conn.busy_timeout(std::time::Duration::from_secs(20))
        .map_err(not_sqlite)?;
    let tables: i64 = retry_busy(|| {
        conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
            [],
            |row| row.get(0),
        )
        .map_err(not_sqlite)
    })?;
    if tables == 0 {
        return Ok(());
    }
    verify(&conn)
}

/// Refuses a database that lacks a table or column mlrs uses, naming the fix.
fn verify(conn: &Connection) -> Result<()> {
    let revision: Option<String> = if table_exists(conn, "alembic_version")? {
        conn.query_row("SELECT version_num FROM alembic_version", [], |row| {
            row.get(0)
        })
        .optional()?
    } else {
        None
    };
    let Some(revision) = revision else {
        return Err(Error::Schema(
            "The database is not an MLflow tracking database (it has tables but no \
             alembic_version row). Point the tracking URI at a new file or at a database \
             created by MLflow."
                .to_owned(),
        ));
    };
    for (table, columns) in REQUIRED_COLUMNS {
        let mut stmt = conn.prepare(&format!("PRAGMA table_info(\"{table}\")"))?;
        let present: Vec<String> = stmt
            .query_map([], |row| row.get::<_, String>(1))?
            .collect::<Result<_, _>>()?;
        if let Some(missing) = columns.iter().find(|c| !present.iter().any(|p| p == *c)) {
            return Err(Error::Schema(format!(
                "Detected out-of-date database schema (found version {revision}, but expected \
                 {ALEMBIC_HEAD} or newer: column {table}.{missing} is missing). Take a backup of \
                 your database, then run 'mlflow db upgrade <database_uri>' to migrate your \
                 database to the latest schema."
            )));
        }
    }
    Ok(())
}

fn table_exists(conn: &Connection, name: &str) -> Result<bool> {
    let n: i64 = conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
        [name],
        |row| row.get(0),
    )?;
    Ok(n > 0)
}

/// `append_to_uri_path` for the local paths and URIs mlrs writes: joins with exactly one `/`.
pub fn append_path(base: &str, segment: &str) -> String {
    if base.ends_with('/') {
        format!("{base}{segment}")
    } else {
        format!("{base}/{segment}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_the_full_schema_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let mut conn = Connection::open(&path).unwrap();
        ensure(&mut conn, "/root/mlruns").unwrap();
        ensure(&mut conn, "/root/mlruns").unwrap();
        let tables: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type='table'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(tables, 71);
        let (name, location): (String, String) = conn
            .query_row(
                "SELECT name, artifact_location FROM experiments WHERE experiment_id = 0",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(
            (name.as_str(), location.as_str()),
            ("Default", "/root/mlruns/0")
        );
        let revision: String = conn
            .query_row("SELECT version_num FROM alembic_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(revision, ALEMBIC_HEAD);
    }

    #[test]
    fn refuses_a_database_missing_a_column() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Connection::open(dir.path().join("t.db")).unwrap();
        ensure(&mut conn, "/r").unwrap();
        conn.execute_batch("ALTER TABLE runs DROP COLUMN deleted_time")
            .unwrap();
        let err = ensure(&mut conn, "/r").unwrap_err().to_string();
        assert!(err.contains("runs.deleted_time"), "{err}");
        assert!(err.contains("mlflow db upgrade"), "{err}");
    }

    #[test]
    fn refuses_a_foreign_database() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Connection::open(dir.path().join("t.db")).unwrap();
        conn.execute_batch("CREATE TABLE t (x)").unwrap();
        assert!(matches!(ensure(&mut conn, "/r"), Err(Error::Schema(_))));
    }
}
