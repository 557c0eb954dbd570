//! `mlrs._core.UiServer`: starts `mlrs ui`'s HTTP server (`crate::server`) and waits for it
//! without the GIL; the server itself never touches Python.

// PyO3 extracts arguments into owned values; taking them by reference would copy them again.
#![allow(clippy::needless_pass_by_value)]

use std::path::PathBuf;
use std::time::Duration;

use parking_lot::Mutex;
use pyo3::prelude::*;

use crate::server::{Config, Ended, Server};

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
    /// Opens the store at `db_path`, binds `host:port` (0: any free port) and starts serving.
    #[new]
    #[pyo3(signature = (store_uri, db_path, default_artifact_root, assets_dir, host, port, version, cache_points = 16_000_000))]
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
