//! The runs table of `mlrs ui` and `mlrs runs ls`: one page of a runs search (MLflow's filter
//! and order_by, compiled by `search::runs`) carrying only the metric, param and tag columns
//! asked for, each metric with its last, min, max and first value computed in SQL over every
//! point of the run.

use std::collections::HashMap;

use rusqlite::Connection;
use rusqlite::types::Value as SqlValue;

use crate::engine::error::Result;
use crate::engine::model::{RunInfo, ViewType};
use crate::engine::search;
use crate::engine::store::read;
use crate::engine::ui::series::read_value;

/// Which keys of a kind (metrics, params or tags) the rows carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Columns {
    None,
    All,
    Some(Vec<String>),
}

impl Columns {
    /// `*` means every key; an empty list none.
    pub fn parse(keys: &[String]) -> Self {
        if keys.iter().any(|k| k == "*") {
            Columns::All
        } else if keys.is_empty() {
            Columns::None
        } else {
            Columns::Some(keys.to_vec())
        }
    }
}

/// One metric of a run: MLflow's latest point, plus min, max and first over every point.
/// Values are as logged (NaN, ±inf).
#[derive(Debug, Clone, PartialEq)]
pub struct MetricSummary {
    pub key: String,
    pub last: f64,
    pub step: i64,
    pub timestamp: i64,
    pub min: f64,
    pub max: f64,
    pub first: f64,
    /// How many points the run has for the key.
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TableRun {
    pub info: RunInfo,
    /// The `mlflow.parentRunId` tag.
    pub parent_run_id: Option<String>,
    pub metrics: Vec<MetricSummary>,
    pub params: Vec<(String, String)>,
    pub tags: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RunsPage {
    pub runs: Vec<TableRun>,
    /// The offset of the next page, when there is one.
    pub next_offset: Option<i64>,
    /// How many runs the search selects in all.
    pub total: i64,
}

/// What a runs table request asks for.
#[derive(Debug, Clone)]
pub struct TableQuery<'a> {
    pub experiment_ids: &'a [i64],
    pub view: ViewType,
    pub filter: &'a str,
    pub order_by: &'a [String],
    pub max_results: i64,
    pub offset: i64,
    pub metrics: Columns,
    pub params: Columns,
    pub tags: Columns,
}

/// One page of runs in the search's order, `total` counted over every selected run.
pub fn runs_page(conn: &Connection, q: &TableQuery<'_>) -> Result<RunsPage> {
    let query = search::runs::compile_for_table(q.experiment_ids, q.view, q.filter, q.order_by)?;
    if q.experiment_ids.is_empty() {
        return Ok(RunsPage {
            runs: Vec::new(),
            next_offset: None,
            total: 0,
        });
    }
    let mut ids: Vec<String> = conn
        .prepare(&query.sql(q.max_results + 1, q.offset))?
        .query_map(rusqlite::params_from_iter(&query.params), |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let next_offset = (ids.len() as i64 > q.max_results).then(|| {
        ids.truncate(q.max_results as usize);
        q.offset + q.max_results
    });
    let total: i64 = conn.query_row(
        &query.count_sql(),
        rusqlite::params_from_iter(query.count_params()),
        |row| row.get(0),
    )?;
    Ok(RunsPage {
        runs: table_runs(conn, &ids, &q.metrics, &q.params, &q.tags)?,
        next_offset,
        total,
    })
}

/// The rows of these runs (in this order; unknown ids are left out).
pub fn table_runs(
    conn: &Connection,
    run_ids: &[String],
    metrics: &Columns,
    params: &Columns,
    tags: &Columns,
) -> Result<Vec<TableRun>> {
    let mut runs = Vec::with_capacity(run_ids.len());
    for id in run_ids {
        if let Some(info) = read::run_info(conn, id)? {
            runs.push(TableRun {
                info,
                parent_run_id: None,
                metrics: Vec::new(),
                params: Vec::new(),
                tags: Vec::new(),
            });
        }
    }
    let ids: Vec<String> = runs.iter().map(|r| r.info.run_id.clone()).collect();
    let position: HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    for (run, key, value) in pairs(conn, "params", &ids, params)? {
        runs[position[run.as_str()]].params.push((key, value));
    }
    let parent = Columns::Some(vec!["mlflow.parentRunId".to_owned()]);
    for (run, _, value) in pairs(conn, "tags", &ids, &parent)? {
        runs[position[run.as_str()]].parent_run_id = Some(value);
    }
    for (run, key, value) in pairs(conn, "tags", &ids, tags)? {
        runs[position[run.as_str()]].tags.push((key, value));
    }
    for (run, summary) in metric_summaries(conn, &ids, metrics)? {
        runs[position[run.as_str()]].metrics.push(summary);
    }
    Ok(runs)
}

/// `run_uuid IN (?, ...)` plus, for some keys, `AND key IN (?, ...)`, with its values.
fn selection(run_ids: &[String], columns: &Columns) -> (String, Vec<SqlValue>) {
    let mut sql = format!("run_uuid IN ({})", marks(run_ids.len()));
    let mut values: Vec<SqlValue> = run_ids
        .iter()
        .map(|id| SqlValue::Text(id.clone()))
        .collect();
    if let Columns::Some(keys) = columns {
        sql = format!("{sql} AND key IN ({})", marks(keys.len()));
        values.extend(keys.iter().map(|k| SqlValue::Text(k.clone())));
    }
    (sql, values)
}

fn marks(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// (run, key, value) rows of `params` or `tags`, by run then key.
fn pairs(
    conn: &Connection,
    table: &str,
    run_ids: &[String],
    columns: &Columns,
) -> Result<Vec<(String, String, String)>> {
    if *columns == Columns::None || run_ids.is_empty() {
        return Ok(Vec::new());
    }
    let (filter, values) = selection(run_ids, columns);
    let sql = format!("SELECT run_uuid, key, value FROM {table} WHERE {filter} ORDER BY key");
    let rows = conn
        .prepare(&sql)?
        .query_map(rusqlite::params_from_iter(values), |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get::<_, Option<String>>(2)?.unwrap_or_default(),
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// A run's key's min, max, point count and smallest step.
type Aggregate = (Option<f64>, Option<f64>, i64, i64);

/// The metric summaries of these runs, by run then key.
fn metric_summaries(
    conn: &Connection,
    run_ids: &[String],
    columns: &Columns,
) -> Result<Vec<(String, MetricSummary)>> {
    if *columns == Columns::None || run_ids.is_empty() {
        return Ok(Vec::new());
    }
    let (filter, values) = selection(run_ids, columns);
    let mut summaries: Vec<(String, MetricSummary)> = conn
        .prepare(&format!(
            "SELECT run_uuid, key, value, is_nan, step, timestamp FROM latest_metrics \
             WHERE {filter} ORDER BY key"
        ))?
        .query_map(rusqlite::params_from_iter(&values), |row| {
            let last = read_value(row.get(2)?, row.get(3)?);
            Ok((
                row.get(0)?,
                MetricSummary {
                    key: row.get(1)?,
                    last,
                    step: row.get(4)?,
                    timestamp: row.get::<_, Option<i64>>(5)?.unwrap_or_default(),
                    min: last,
                    max: last,
                    first: last,
                    count: 1,
                },
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut aggregates: HashMap<(String, String), Aggregate> = HashMap::new();
    {
        let mut stmt = conn.prepare(&format!(
            "SELECT run_uuid, key, MIN(CASE WHEN is_nan = 1 THEN NULL ELSE value END), \
             MAX(CASE WHEN is_nan = 1 THEN NULL ELSE value END), count(*), MIN(step) \
             FROM metrics WHERE {filter} GROUP BY run_uuid, key"
        ))?;
        let mut rows = stmt.query(rusqlite::params_from_iter(&values))?;
        while let Some(row) = rows.next()? {
            aggregates.insert(
                (row.get(0)?, row.get(1)?),
                (row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?),
            );
        }
    }
    let mut first_point = conn.prepare_cached(
        "SELECT value, is_nan FROM metrics WHERE run_uuid = ?1 AND key = ?2 AND step = ?3 \
         ORDER BY timestamp, value LIMIT 1",
    )?;
    for (run, summary) in &mut summaries {
        let Some(&(min, max, count, first_step)) =
            aggregates.get(&(run.clone(), summary.key.clone()))
        else {
            continue;
        };
        summary.count = count;
        summary.min = min.map_or(f64::NAN, |v| read_value(v, false));
        summary.max = max.map_or(f64::NAN, |v| read_value(v, false));
        summary.first = if count == 1 {
            summary.last
        } else {
            first_point.query_row(rusqlite::params![&*run, summary.key, first_step], |row| {
                Ok(read_value(row.get(0)?, row.get(1)?))
            })?
        };
    }
    Ok(summaries)
}

/// The metric, param and tag keys of the runs of some experiments, each sorted.
pub fn keys(
    conn: &Connection,
    experiment_ids: &[i64],
    view: ViewType,
) -> Result<(Vec<String>, Vec<String>, Vec<String>)> {
    if experiment_ids.is_empty() {
        return Ok((Vec::new(), Vec::new(), Vec::new()));
    }
    let runs = format!(
        "SELECT run_uuid FROM runs WHERE experiment_id IN ({}) AND {}",
        marks(experiment_ids.len()),
        view.lifecycle_sql("lifecycle_stage")
    );
    let list = |table: &str| -> Result<Vec<String>> {
        Ok(conn
            .prepare(&format!(
                "SELECT DISTINCT key FROM {table} WHERE run_uuid IN ({runs}) ORDER BY key"
            ))?
            .query_map(rusqlite::params_from_iter(experiment_ids), |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?)
    };
    Ok((list("latest_metrics")?, list("params")?, list("tags")?))
}

/// A logged model of a run, as the run page lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunModel {
    pub model_id: String,
    pub name: String,
    pub status: i64,
    pub creation_timestamp: i64,
}

/// The logged models a run produced: those whose source run it is, and those it logged as
/// outputs; oldest first.
pub fn run_models(conn: &Connection, run_id: &str) -> Result<Vec<RunModel>> {
    Ok(conn
        .prepare_cached(
            "SELECT model_id, name, status, creation_timestamp_ms FROM logged_models \
             WHERE (source_run_id = ?1 OR model_id IN (SELECT destination_id FROM inputs \
             WHERE source_type = 'RUN_OUTPUT' AND source_id = ?1 \
             AND destination_type = 'MODEL_OUTPUT')) AND coalesce(lifecycle_stage, 'active') \
             != 'deleted' ORDER BY creation_timestamp_ms, model_id",
        )?
        .query_map([run_id], |row| {
            Ok(RunModel {
                model_id: row.get(0)?,
                name: row.get(1)?,
                status: row.get(2)?,
                creation_timestamp: row.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?)
}

/// A registry version made from a run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunVersion {
    pub name: String,
    pub version: i64,
    pub current_stage: String,
    pub aliases: Vec<String>,
}

pub fn run_versions(conn: &Connection, run_id: &str) -> Result<Vec<RunVersion>> {
    let mut versions: Vec<RunVersion> = conn
        .prepare_cached(
            "SELECT name, version, coalesce(current_stage, 'None') FROM model_versions \
             WHERE run_id = ?1 AND coalesce(current_stage, '') != 'Deleted_Internal' \
             ORDER BY name, version",
        )?
        .query_map([run_id], |row| {
            Ok(RunVersion {
                name: row.get(0)?,
                version: row.get(1)?,
                current_stage: row.get(2)?,
                aliases: Vec::new(),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut aliases = conn.prepare_cached(
        "SELECT alias FROM registered_model_aliases WHERE name = ?1 AND version = ?2 \
         ORDER BY alias",
    )?;
    for v in &mut versions {
        v.aliases = aliases
            .query_map(rusqlite::params![v.name, v.version], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?;
    }
    Ok(versions)
}

#[cfg(test)]
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;
    use crate::engine::store::testing::open;

    fn log(store: &crate::engine::Store, run_id: &str, key: &str, value: f64, step: i64) {
        store
            .enqueue(
                store
                    .metric_op(run_id, key, value, Some(step), step)
                    .unwrap(),
            )
            .unwrap();
    }

    fn page(store: &crate::engine::Store, filter: &str, order_by: &[&str]) -> RunsPage {
        store.flush().unwrap();
        let conn = store.open_read_connection().unwrap();
        let order_by: Vec<String> = order_by.iter().map(|s| (*s).to_owned()).collect();
        runs_page(
            &conn,
            &TableQuery {
                experiment_ids: &[0],
                view: ViewType::ActiveOnly,
                filter,
                order_by: &order_by,
                max_results: 2,
                offset: 0,
                metrics: Columns::Some(vec!["loss".into()]),
                params: Columns::None,
                tags: Columns::All,
            },
        )
        .unwrap()
    }

    fn names(page: &RunsPage) -> Vec<&str> {
        page.runs
            .iter()
            .map(|r| r.info.run_name.as_deref().unwrap())
            .collect()
    }

    #[test]
    fn metric_columns_reduce_every_point_and_sort_by_their_reducer() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        let mut ids = Vec::new();
        for (i, (name, losses)) in [
            ("dips", &[0.9, 0.1, 0.5][..]),
            ("flat", &[0.4, 0.4, 0.4][..]),
            ("nan", &[f64::NAN, 0.7, f64::INFINITY][..]),
        ]
        .into_iter()
        .enumerate()
        {
            let run = store
                .create_run("0", "me", i as i64, Some(name.into()), Vec::new())
                .unwrap()
                .info
                .run_id;
            for (step, loss) in losses.iter().enumerate() {
                log(&store, &run, "loss", *loss, step as i64);
            }
            ids.push(run);
        }
        let p = page(&store, "", &["metrics.loss"]);
        assert_eq!(p.total, 3);
        assert_eq!(p.next_offset, Some(2));
        assert_eq!(names(&p), ["flat", "dips"], "by the last value, as MLflow");
        let dips = &p.runs[1].metrics[0];
        assert_eq!(
            (dips.last, dips.min, dips.max, dips.first, dips.count),
            (0.5, 0.1, 0.9, 0.9, 3)
        );
        assert_eq!(
            names(&page(&store, "", &["min(metrics.loss)"])),
            ["dips", "flat"]
        );
        assert_eq!(
            names(&page(&store, "", &["max(metrics.loss) DESC"])),
            ["nan", "dips"]
        );
        assert_eq!(
            names(&page(&store, "", &["first(metrics.loss) DESC"])),
            ["dips", "flat"]
        );
        let nan = page(&store, "attributes.run_name = 'nan'", &[]);
        assert_eq!(nan.total, 1);
        let m = &nan.runs[0].metrics[0];
        assert!(m.first.is_nan());
        assert_eq!((m.last, m.min, m.max), (f64::INFINITY, 0.7, f64::INFINITY));
        assert_eq!(nan.runs[0].tags, [("mlflow.runName".into(), "nan".into())]);
        // The plain search keeps refusing the extension.
        let err = crate::engine::search::runs::compile(
            &[0],
            ViewType::All,
            "",
            &["min(metrics.loss)".into()],
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("Invalid"), "{err}");
    }

    #[test]
    fn keys_list_what_the_runs_have() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        let run = crate::engine::store::testing::new_run(&store);
        log(&store, &run, "b", 1.0, 0);
        log(&store, &run, "a", 1.0, 0);
        store
            .enqueue(store.param_op(&run, "lr", "0.1").unwrap().unwrap())
            .unwrap();
        store.flush().unwrap();
        let conn = store.open_read_connection().unwrap();
        let (metrics, params, tags) = keys(&conn, &[0], ViewType::ActiveOnly).unwrap();
        assert_eq!(metrics, ["a", "b"]);
        assert_eq!(params, ["lr"]);
        assert_eq!(tags, ["mlflow.runName"]);
    }
}
