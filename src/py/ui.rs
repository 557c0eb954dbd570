//! `mlrs._core.UiServer`: starts `mlrs ui`'s HTTP server (`crate::server`) and waits for it
//! without the GIL; the server itself never touches Python.

// PyO3 extracts arguments into owned values; taking them by reference would copy them again.
#![allow(clippy::needless_pass_by_value)]

use std::path::PathBuf;
use std::time::Duration;

use parking_lot::Mutex;
use pyo3::prelude::*;

use crate::engine::model::ViewType;
use crate::engine::ui::table::{self, Columns, TableQuery};
use crate::py::store::PyStore;
use crate::server::{Config, Ended, Server, json};

#[pyclass(frozen, name = "UiServer", module = "mlrs._core")]
pub struct PyUiServer {
    server: Mutex<Option<Server>>,
    ended: Ended,
    host: String,
    port: u16,
    store_error: Option<String>,
}

#[pymethods]
impl PyUiServer {
    /// Opens the store at `db_path` (or the tracking server `store_uri` names), binds `host:port` (0: any free port) and starts serving.
    #[new]
    #[pyo3(signature = (store_uri, db_path, default_artifact_root, assets_dir, host, port, version, cache_points = 16_000_000, spool_dir = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        store_uri: String,
        db_path: PathBuf,
        default_artifact_root: String,
        assets_dir: Option<PathBuf>,
        host: String,
        port: u16,
        version: String,
        cache_points: usize,
        spool_dir: Option<PathBuf>,
    ) -> PyResult<Self> {
        let config = Config {
            store_uri,
            db_path,
            default_artifact_root,
            assets_dir,
            host,
            port,
            version,
            cache_points,
            spool_dir,
        };
        let server = py.detach(|| Server::start(&config))?;
        let addr = server.local_addr();
        Ok(Self {
            ended: server.ended(),
            host: addr.ip().to_string(),
            port: addr.port(),
            store_error: server.store_error().map(str::to_owned),
            server: Mutex::new(Some(server)),
        })
    }

    /// The address the server listens on.
    #[getter]
    fn host(&self) -> &str {
        &self.host
    }

    #[getter]
    fn port(&self) -> u16 {
        self.port
    }

    /// Why the database is not an MLflow store, or None when it is.
    #[getter]
    fn store_error(&self) -> Option<&str> {
        self.store_error.as_deref()
    }

    /// Blocks until the server ends, waking every 50 ms for signals (Ctrl-C raises
    /// KeyboardInterrupt here; call `stop` then).
    fn serve_forever(&self, py: Python<'_>) -> PyResult<()> {
        loop {
            let ended = self.ended.clone();
            if py.detach(move || ended.wait(Duration::from_millis(50))) {
                return Ok(());
            }
            py.check_signals()?;
        }
    }

    /// Stops accepting connections, lets running requests finish, and joins the server.
    fn stop(&self, py: Python<'_>) -> PyResult<()> {
        let server = self.server.lock().take();
        if let Some(mut server) = server {
            py.detach(move || server.stop())?;
        }
        Ok(())
    }
}

/// What the `mlrs` terminal commands read and do through a store: the runs table of `mlrs ui`
/// (as the JSON of `GET /api/runs`) and `mlrs gc`'s permanent deletions.
#[pymethods]
impl PyStore {
    /// One page of the runs table, as the JSON body of `GET /api/runs`.
    #[pyo3(signature = (experiment_ids, view_type, filter, order_by, max_results, offset, metrics, params, tags))]
    #[allow(clippy::too_many_arguments)]
    fn runs_table_json(
        &self,
        py: Python<'_>,
        experiment_ids: Vec<String>,
        view_type: i64,
        filter: &str,
        order_by: Vec<String>,
        max_results: i64,
        offset: i64,
        metrics: Vec<String>,
        params: Vec<String>,
        tags: Vec<String>,
    ) -> PyResult<String> {
        let view = ViewType::from_int(view_type).unwrap_or(ViewType::ActiveOnly);
        self.call(py, move |store| {
            let ids: Vec<i64> = experiment_ids
                .iter()
                .map(|id| crate::engine::validate::parse_experiment_id(id))
                .collect::<crate::engine::Result<_>>()?;
            let conn = store.open_read_connection()?;
            let page = table::runs_page(
                &conn,
                &TableQuery {
                    experiment_ids: &ids,
                    view,
                    filter,
                    order_by: &order_by,
                    max_results,
                    offset,
                    metrics: Columns::parse(&metrics),
                    params: Columns::parse(&params),
                    tags: Columns::parse(&tags),
                },
            )?;
            let runs: Vec<serde_json::Value> = page
                .runs
                .iter()
                .map(|r| serde_json::Value::Object(json::run(r)))
                .collect();
            Ok(serde_json::json!({
                "runs": runs,
                "next_page_token": page.next_offset.map(|o| o.to_string()),
                "total": page.total,
            })
            .to_string())
        })
    }

    /// These runs (in this order, unknown ids left out) as runs-table rows with every metric,
    /// param and tag, as a JSON list.
    fn run_rows_json(&self, py: Python<'_>, run_ids: Vec<String>) -> PyResult<String> {
        self.call(py, move |store| {
            let conn = store.open_read_connection()?;
            let rows =
                table::table_runs(&conn, &run_ids, &Columns::All, &Columns::All, &Columns::All)?;
            let list: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| serde_json::Value::Object(json::run(r)))
                .collect();
            Ok(serde_json::Value::Array(list).to_string())
        })
    }

    fn deleted_run_ids(&self, py: Python<'_>, older_than_ms: i64) -> PyResult<Vec<String>> {
        self.call(py, |store| store.deleted_run_ids(older_than_ms))
    }

    fn deleted_logged_model_ids(
        &self,
        py: Python<'_>,
        older_than_ms: i64,
    ) -> PyResult<Vec<String>> {
        self.call(py, |store| store.deleted_logged_model_ids(older_than_ms))
    }

    fn hard_delete_run(&self, py: Python<'_>, run_id: &str) -> PyResult<()> {
        self.call(py, |store| store.hard_delete_run(run_id))
    }

    fn hard_delete_experiment(&self, py: Python<'_>, experiment_id: &str) -> PyResult<()> {
        self.call(py, |store| store.hard_delete_experiment(experiment_id))
    }

    fn hard_delete_logged_model(&self, py: Python<'_>, model_id: &str) -> PyResult<()> {
        self.call(py, |store| store.hard_delete_logged_model(model_id))
    }
}
