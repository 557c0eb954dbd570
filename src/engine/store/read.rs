//! Queries that turn rows of MLflow's tables into the engine's model. They take any connection,
//! so the writer uses them inside its transactions and readers on their own connection.

use rusqlite::{Connection, OptionalExtension, Row};

use crate::engine::error::{Error, Result};
use crate::engine::model::{Experiment, Lifecycle, MetricPoint, MetricSeries, Run, RunInfo};

const EXPERIMENT_COLUMNS: &str = "experiment_id, name, artifact_location, lifecycle_stage, \
                                  creation_time, last_update_time, workspace";

fn experiment_from_row(row: &Row<'_>) -> rusqlite::Result<Experiment> {
    Ok(Experiment {
        experiment_id: row.get(0)?,
        name: row.get(1)?,
        artifact_location: row.get(2)?,
        lifecycle_stage: Lifecycle::parse(&row.get::<_, Option<String>>(3)?.unwrap_or_default()),
        creation_time: row.get(4)?,
        last_update_time: row.get(5)?,
        workspace: row.get(6)?,
        tags: Vec::new(),
    })
}

fn with_tags(conn: &Connection, mut experiment: Experiment) -> Result<Experiment> {
    let mut stmt =
        conn.prepare_cached("SELECT key, value FROM experiment_tags WHERE experiment_id = ?1")?;
    experiment.tags = stmt
        .query_map([experiment.experiment_id], |row| {
            Ok((
                row.get(0)?,
                row.get::<_, Option<String>>(1)?.unwrap_or_default(),
            ))
        })?
        .collect::<Result<_, _>>()?;
    Ok(experiment)
}

/// The experiment with this id in any lifecycle stage, or `None`.
pub fn experiment(conn: &Connection, experiment_id: i64) -> Result<Option<Experiment>> {
    let found = conn
        .prepare_cached(&format!(
            "SELECT {EXPERIMENT_COLUMNS} FROM experiments WHERE experiment_id = ?1"
        ))?
        .query_row([experiment_id], experiment_from_row)
        .optional()?;
    found.map(|e| with_tags(conn, e)).transpose()
}

/// The experiment, or MLflow's `No Experiment with id=... exists`.
pub fn existing_experiment(conn: &Connection, experiment_id: i64) -> Result<Experiment> {
    experiment(conn, experiment_id)?
        .ok_or_else(|| Error::not_found(format!("No Experiment with id={experiment_id} exists")))
}

pub fn experiment_by_name(conn: &Connection, name: &str) -> Result<Option<Experiment>> {
    let found = conn
        .prepare_cached(&format!(
            "SELECT {EXPERIMENT_COLUMNS} FROM experiments WHERE name = ?1"
        ))?
        .query_row([name], experiment_from_row)
        .optional()?;
    found.map(|e| with_tags(conn, e)).transpose()
}

/// Experiments by `WHERE`/`ORDER BY` text built by the search module from trusted pieces, with
/// user values bound as parameters.
pub fn experiments_where(
    conn: &Connection,
    where_sql: &str,
    order_sql: &str,
    params: &[rusqlite::types::Value],
    limit: i64,
    offset: i64,
) -> Result<Vec<Experiment>> {
    let sql = format!(
        "SELECT {EXPERIMENT_COLUMNS} FROM experiments WHERE {where_sql} ORDER BY {order_sql} \
         LIMIT {limit} OFFSET {offset}"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows: Vec<Experiment> = stmt
        .query_map(rusqlite::params_from_iter(params), experiment_from_row)?
        .collect::<Result<_, _>>()?;
    rows.into_iter().map(|e| with_tags(conn, e)).collect()
}

const RUN_COLUMNS: &str = "run_uuid, name, experiment_id, user_id, status, start_time, end_time, \
                           lifecycle_stage, artifact_uri";

fn run_info_from_row(row: &Row<'_>) -> rusqlite::Result<RunInfo> {
    Ok(RunInfo {
        run_id: row.get(0)?,
        run_name: row.get(1)?,
        experiment_id: row.get(2)?,
        user_id: row.get(3)?,
        status: row.get::<_, Option<String>>(4)?.unwrap_or_default(),
        start_time: row.get(5)?,
        end_time: row.get(6)?,
        lifecycle_stage: Lifecycle::parse(&row.get::<_, Option<String>>(7)?.unwrap_or_default()),
        artifact_uri: row.get(8)?,
    })
}

pub fn run_info(conn: &Connection, run_id: &str) -> Result<Option<RunInfo>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {RUN_COLUMNS} FROM runs WHERE run_uuid = ?1"
        ))?
        .query_row([run_id], run_info_from_row)
        .optional()?)
}

/// The run's info, or MLflow's `Run with id=... not found`.
pub fn existing_run_info(conn: &Connection, run_id: &str) -> Result<RunInfo> {
    run_info(conn, run_id)?
        .ok_or_else(|| Error::not_found(format!("Run with id={run_id} not found")))
}

fn string_pairs(conn: &Connection, sql: &str, run_id: &str) -> Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt
        .query_map([run_id], |row| {
            Ok((
                row.get(0)?,
                row.get::<_, Option<String>>(1)?.unwrap_or_default(),
            ))
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn run_params(conn: &Connection, run_id: &str) -> Result<Vec<(String, String)>> {
    string_pairs(
        conn,
        "SELECT key, value FROM params WHERE run_uuid = ?1",
        run_id,
    )
}

pub fn run_tags(conn: &Connection, run_id: &str) -> Result<Vec<(String, Option<String>)>> {
    let mut stmt = conn.prepare_cached("SELECT key, value FROM tags WHERE run_uuid = ?1")?;
    let rows = stmt
        .query_map([run_id], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

fn metric_from_row(row: &Row<'_>) -> rusqlite::Result<MetricPoint> {
    Ok(MetricPoint {
        key: row.get::<_, String>(0)?.into(),
        value: row.get(1)?,
        timestamp_ms: row.get::<_, Option<i64>>(2)?.unwrap_or_default(),
        step: row.get(3)?,
        is_nan: row.get(4)?,
    })
}

/// A whole run: info, latest metrics, params, tags, inputs.
pub fn run(conn: &Connection, run_id: &str) -> Result<Run> {
    let info = existing_run_info(conn, run_id)?;
    let latest_metrics = conn
        .prepare_cached(
            "SELECT key, value, timestamp, step, is_nan FROM latest_metrics WHERE run_uuid = ?1",
        )?
        .query_map([run_id], metric_from_row)?
        .collect::<Result<_, _>>()?;
    Ok(Run {
        info,
        latest_metrics,
        params: run_params(conn, run_id)?,
        tags: run_tags(conn, run_id)?,
        inputs: super::datasets::run_inputs(conn, run_id)?,
        outputs: super::models::run_outputs(conn, run_id)?,
    })
}

/// Every point of one metric as columns, in MLflow's order: timestamp, step, value.
///
/// SQL orders only by (timestamp, step), which the metrics primary key delivers without a sort;
/// asking SQLite for the value too makes it sort part of the result in a temporary B-tree
/// (about three times slower for a million points). Ties are put in value order here, by the
/// value as stored (NaN as 0.0), which MLflow's `ORDER BY value` uses.
pub fn metric_series(conn: &Connection, run_id: &str, key: &str) -> Result<MetricSeries> {
    let mut stmt = conn.prepare_cached(
        "SELECT timestamp, step, value, is_nan FROM metrics WHERE run_uuid = ?1 AND key = ?2 \
         ORDER BY timestamp, step",
    )?;
    let mut rows: Vec<(i64, i64, f64, bool)> = Vec::new();
    let mut query = stmt.query([run_id, key])?;
    while let Some(row) = query.next()? {
        rows.push((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?));
    }
    let order = |a: &(i64, i64, f64, bool), b: &(i64, i64, f64, bool)| {
        (a.0, a.1).cmp(&(b.0, b.1)).then(a.2.total_cmp(&b.2))
    };
    if rows.windows(2).any(|w| order(&w[0], &w[1]).is_gt()) {
        rows.sort_by(order);
    }
    Ok(MetricSeries {
        steps: rows.iter().map(|r| r.1).collect(),
        timestamps: rows.iter().map(|r| r.0).collect(),
        values: rows
            .iter()
            .map(|r| if r.3 { f64::NAN } else { r.2 })
            .collect(),
    })
}

/// One page of the runs a compiled search selects, in its order.
pub fn runs_page(
    conn: &Connection,
    query: &crate::engine::search::runs::RunQuery,
    limit: i64,
    offset: i64,
) -> Result<Vec<Run>> {
    let ids: Vec<String> = conn
        .prepare(&query.sql(limit, offset))?
        .query_map(rusqlite::params_from_iter(&query.params), |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    ids.iter().map(|id| run(conn, id)).collect()
}
