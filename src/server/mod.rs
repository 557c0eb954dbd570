//! `mlrs ui`: an HTTP server over one SQLite tracking store (or an MLflow tracking server, read
//! through the engine's `Backend`: see `remote.rs`), serving the JSON API of `ui/API.md` and the
//! single-page app's files. Pure Rust (it never names pyo3): the binding
//! starts it, and it runs on its own threads without the GIL.
//!
//! One thread runs a small tokio runtime (two workers) for HTTP; every request that touches the
//! database or the disk runs on tokio's blocking pool, on a pooled read connection (WAL: reads
//! never wait for a training process's commits) or, for the few writes the UI allows, through
//! the engine's `Store` and its writer.

mod api;
mod files;
pub(crate) mod json;
mod remote;

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::Mutex;
use rusqlite::Connection;

use crate::engine::Store;
use crate::engine::ui::series::SeriesCache;
use crate::engine::writer::WriterConfig;

/// What the server serves and where it listens.
#[derive(Debug, Clone)]
pub struct Config {
    /// The tracking URI as the user gave it (shown by `/api/health`).
    pub store_uri: String,
    pub db_path: PathBuf,
    /// The default artifact root of experiments created through this store.
    pub default_artifact_root: String,
    /// The SPA's built files (`index.html` and its assets); `None` or a directory without
    /// `index.html` serves a page saying how to build them.
    pub assets_dir: Option<PathBuf>,
    pub host: String,
    pub port: u16,
    pub version: String,
    /// How many metric points the series cache may hold (24 bytes each).
    pub cache_points: usize,
    /// A tracking server's spool directory (for the UI's own writes; `None`: the default).
    pub spool_dir: Option<PathBuf>,
}

/// What the handlers share.
pub(crate) struct State {
    /// The store, or why the file is not one (every API call then answers 503).
    store: std::result::Result<Store, String>,
    /// A tracking server the UI reads instead of an SQLite file (`http(s)://` URIs).
    remote: Option<remote::Remote>,
    readers: Mutex<Vec<Connection>>,
    cache: SeriesCache,
    assets_dir: Option<PathBuf>,
    store_uri: String,
    version: String,
    /// The Host header values a request may carry (empty: any; the server listens beyond
    /// loopback).
    allowed_hosts: Vec<String>,
}

/// At most this many idle read connections are kept.
const IDLE_READERS: usize = 4;

impl State {
    fn store(&self) -> std::result::Result<&Store, &str> {
        self.store.as_ref().map_err(String::as_str)
    }

    /// Runs `f` on a pooled read connection inside one read transaction (one snapshot).
    fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> crate::engine::Result<T>,
    ) -> crate::engine::Result<T> {
        let store = self
            .store()
            .map_err(|reason| crate::engine::Error::Schema(reason.to_owned()))?;
        let conn = self.readers.lock().pop();
        let mut conn = match conn {
            Some(conn) => conn,
            None => store.open_read_connection()?,
        };
        // A deferred transaction: its first read fixes the snapshot every later read sees.
        let result = conn.transaction().map_err(Into::into).and_then(|tx| {
            let value = f(&tx);
            tx.finish()?;
            value
        });
        let mut idle = self.readers.lock();
        if idle.len() < IDLE_READERS {
            idle.push(conn);
        }
        result
    }
}

/// Tells when a server has ended (cloneable, usable while another thread stops the server).
#[derive(Clone)]
pub struct Ended(Arc<(std::sync::Mutex<bool>, std::sync::Condvar)>);

impl Ended {
    /// Waits up to `timeout` for the server to end; true when it has.
    pub fn wait(&self, timeout: Duration) -> bool {
        let (flag, wake) = &*self.0;
        let guard = flag
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (guard, _) = wake
            .wait_timeout_while(guard, timeout, |done| !*done)
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *guard
    }

    fn set(&self) {
        let (flag, wake) = &*self.0;
        *flag
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = true;
        wake.notify_all();
    }
}

/// A running server.
pub struct Server {
    addr: SocketAddr,
    store_error: Option<String>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<std::io::Result<()>>>,
    ended: Ended,
}

impl Server {
    /// Opens the store (or notes why it is not one), binds the address and starts serving on a
    /// thread of its own. Errors: the address cannot be bound, or the runtime cannot start.
    pub fn start(config: &Config) -> std::io::Result<Server> {
        let listener = TcpListener::bind((config.host.as_str(), config.port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let scheme = config.store_uri.split_once("://").map(|(s, _)| s);
        let is_remote = scheme
            .is_some_and(|s| s.eq_ignore_ascii_case("http") || s.eq_ignore_ascii_case("https"));
        let (store, remote) = if is_remote {
            let backend = crate::engine::backend::open(
                &config.store_uri,
                &crate::engine::backend::OpenOptions {
                    spool_dir: config.spool_dir.clone(),
                    ..crate::engine::backend::OpenOptions::default()
                },
            )
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;
            let remote = remote::Remote::new(backend, config.cache_points);
            (
                Err("a tracking server, not a file".to_owned()),
                Some(remote),
            )
        } else {
            let store = crate::engine::store::inspect(&config.db_path)
                .and_then(|()| {
                    Store::open(
                        &config.db_path,
                        &config.default_artifact_root,
                        WriterConfig::default(),
                    )
                })
                .map_err(|e| e.to_string());
            (store, None)
        };
        let store_error = if remote.is_some() {
            None
        } else {
            store.as_ref().err().cloned()
        };
        let allowed_hosts = if addr.ip().is_loopback() {
            let bound = match addr.ip() {
                std::net::IpAddr::V4(ip) => ip.to_string(),
                std::net::IpAddr::V6(ip) => format!("[{ip}]"),
            };
            ["localhost", "127.0.0.1", "[::1]", &bound]
                .iter()
                .flat_map(|h| [(*h).to_owned(), format!("{h}:{}", addr.port())])
                .collect()
        } else {
            Vec::new()
        };
        let state = Arc::new(State {
            store,
            remote,
            readers: Mutex::new(Vec::new()),
            cache: SeriesCache::new(config.cache_points),
            assets_dir: config.assets_dir.clone(),
            store_uri: config.store_uri.clone(),
            version: config.version.clone(),
            allowed_hosts,
        });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .max_blocking_threads(8)
            .thread_name("mlrs-ui")
            .enable_all()
            .build()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let ended = Ended(Arc::new((
            std::sync::Mutex::new(false),
            std::sync::Condvar::new(),
        )));
        let ended_flag = ended.clone();
        let thread = std::thread::Builder::new()
            .name("mlrs-ui-server".into())
            .spawn(move || {
                let result = runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener)?;
                    let app = if state.remote.is_some() {
                        remote::router(Arc::clone(&state))
                    } else {
                        api::router(Arc::clone(&state))
                    };
                    axum::serve(listener, app)
                        .with_graceful_shutdown(async move {
                            let _ = stopped.await;
                        })
                        .await
                });
                // Requests still running on the blocking pool get a moment to finish.
                runtime.shutdown_timeout(Duration::from_secs(2));
                ended_flag.set();
                result
            })?;
        Ok(Server {
            addr,
            store_error,
            stop: Some(stop),
            thread: Some(thread),
            ended,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Why the database is not an MLflow store (the server then answers 503), if it is not.
    pub fn store_error(&self) -> Option<&str> {
        self.store_error.as_deref()
    }

    pub fn ended(&self) -> Ended {
        self.ended.clone()
    }

    /// Stops accepting, lets open requests finish, and joins the server thread.
    pub fn stop(&mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take() {
            Some(thread) => thread
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("the mlrs ui server panicked"))),
            None => Ok(()),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}
