//! The routes of `ui/API.md` over an MLflow tracking server (`mlrs ui --backend-store-uri
//! http(s)://...`): the same JSON, read through the engine's [`Backend`] (REST calls to the
//! server) instead of SQL. What differs, as API.md says:
//! - the runs table's filter and order go to the server's `runs/search`; a metric column has
//!   the run's latest value only (`min`, `max`, `first` are null: the server has no cheap way
//!   to give them), so only `last(...)` sorts; `total` is null while more pages follow;
//! - chart histories are fetched whole from the server (`metrics/get-history`) and kept per
//!   series in memory: a finished run's series until the point budget evicts it, a running
//!   run's refetched when older than [`REFRESH`]; M4 and the x-axes run here as for SQLite;
//! - artifacts are listed and read through the server's artifact proxy (or from this machine
//!   when the run's location is local); a file read from the proxy is kept as a temporary copy
//!   so the SPA's HTTP Range reads of a big log cost one download ([`Downloads`]);
//! - the registry pages read the server's registry API (`Backend::registry`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Request, State as Shared};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware;
use axum::routing::{any, get, put};
use parking_lot::Mutex;
use serde_json::{Map, Value, json};

use super::State;
use super::api::{
    self, ApiError, ApiResult, MAX_COLUMNS, Query, blocking, body_object, ok, run_edit,
    same_origin, validate_id,
};
use super::files;
use super::json::{self, number, object};
use crate::engine::ErrorCode;
use crate::engine::backend::Backend;
use crate::engine::error::Error;
use crate::engine::model::Run;
use crate::engine::remote::artifacts as remote_artifacts;
use crate::engine::remote::http::Client;
use crate::engine::ui::chart::{self, XAxis};
use crate::engine::ui::series::Points;
use crate::engine::ui::table::{Columns, RunModel, RunVersion, TableRun};
use crate::engine::ui::views;
use crate::engine::validate;

/// How old a running run's cached series may be before a request fetches it again.
pub const REFRESH: Duration = Duration::from_secs(1);

/// The most runs `GET /api/runs/keys` reads to collect column names.
const KEYS_RUNS: i64 = 100_000;

/// What the API cannot give over a tracking server yet (`/api/health`'s `unavailable`).
const UNAVAILABLE: [&str; 2] = ["metric_min_max_first", "runs_total"];

/// The tracking server behind the UI, and the series read from it.
pub struct Remote {
    backend: Box<dyn Backend>,
    series: SeriesCache,
    /// Runs seen in a terminal status, with their start time (their series are final).
    finished: Mutex<HashMap<String, Option<i64>>>,
    downloads: Downloads,
}

impl Remote {
    pub fn new(backend: Box<dyn Backend>, budget_points: usize) -> Self {
        Self {
            backend,
            series: SeriesCache::new(budget_points),
            finished: Mutex::new(HashMap::new()),
            downloads: Downloads::default(),
        }
    }
}

impl Drop for Remote {
    fn drop(&mut self) {
        // Ships what the UI queued (renames, tags); what cannot go now stays in the spool.
        let _ = self.backend.close_within(Duration::from_secs(5));
    }
}

// ---- the series cache --------------------------------------------------------------------------

struct Entry {
    points: Arc<Points>,
    fetched: Instant,
    final_: bool,
    used: u64,
}

/// The cached series by (run id, key), and a use counter.
type Entries = (HashMap<(String, String), Entry>, u64);

/// Whole histories per (run, key), least recently used dropped first beyond the point budget.
struct SeriesCache {
    entries: Mutex<Entries>,
    budget: usize,
}

impl SeriesCache {
    fn new(budget: usize) -> Self {
        Self {
            entries: Mutex::new((HashMap::new(), 0)),
            budget,
        }
    }

    /// The series, from memory when it is final or fresh, else from the server.
    fn get(
        &self,
        backend: &dyn Backend,
        run_id: &str,
        key: &str,
        final_: bool,
    ) -> crate::engine::Result<Arc<Points>> {
        let id = (run_id.to_owned(), key.to_owned());
        {
            let mut guard = self.entries.lock();
            let (entries, clock) = &mut *guard;
            *clock += 1;
            let now = *clock;
            if let Some(entry) = entries.get_mut(&id)
                && (entry.final_ || entry.fetched.elapsed() < REFRESH)
            {
                entry.used = now;
                return Ok(Arc::clone(&entry.points));
            }
        }
        let points = Arc::new(sorted(backend.get_metric_series(run_id, key, None)?));
        let mut guard = self.entries.lock();
        let (entries, clock) = &mut *guard;
        *clock += 1;
        entries.insert(
            id,
            Entry {
                points: Arc::clone(&points),
                fetched: Instant::now(),
                final_,
                used: *clock,
            },
        );
        let mut held: usize = entries.values().map(|e| e.points.len()).sum();
        while held > self.budget && entries.len() > 1 {
            let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some(gone) = entries.remove(&oldest) {
                held -= gone.points.len();
            }
        }
        Ok(points)
    }
}

/// A history as the cache keeps it: sorted by (step, timestamp, value).
fn sorted(series: crate::engine::model::MetricSeries) -> Points {
    let points = Points {
        steps: series.steps,
        timestamps: series.timestamps,
        values: series.values,
    };
    let mut index: Vec<usize> = (0..points.len()).collect();
    index.sort_by(|&a, &b| {
        (points.steps[a], points.timestamps[a])
            .cmp(&(points.steps[b], points.timestamps[b]))
            .then(points.values[a].total_cmp(&points.values[b]))
    });
    points.select(&index)
}

// ---- artifacts ---------------------------------------------------------------------------------

/// Where a run's artifacts are: this machine's file system, or an HTTP root (the tracking
/// server's artifact proxy for an `mlflow-artifacts:` location).
enum ArtifactRoot {
    Local(PathBuf),
    Server(String),
}

/// The run's artifact root and its URI, or the API's refusal for a location mlrs cannot read.
fn artifact_root(
    state: &State,
    backend: &dyn Backend,
    run_id: &str,
) -> Result<Result<(ArtifactRoot, String), ApiError>, Error> {
    validate::validate_run_id(run_id)?;
    let uri = backend
        .get_run(run_id)?
        .info
        .artifact_uri
        .unwrap_or_default();
    if let Some(dir) = crate::engine::artifacts::local_location(&uri) {
        return Ok(Ok((ArtifactRoot::Local(dir), uri)));
    }
    if uri.starts_with("mlflow-artifacts:")
        || uri.starts_with("http://")
        || uri.starts_with("https://")
    {
        let root = remote_artifacts::service_root(&uri, &state.store_uri)?;
        return Ok(Ok((ArtifactRoot::Server(root), uri)));
    }
    Ok(Err(ApiError::invalid(format!(
        "mlrs ui reads artifacts on this machine or through the tracking server's artifact \
         proxy; this run's artifacts are at {uri}"
    ))))
}

fn client(backend: &dyn Backend) -> Result<&Client, Error> {
    backend
        .remote_client()
        .ok_or_else(|| Error::internal("the tracking store has no HTTP client"))
}

async fn artifacts(Shared(state): Shared_, request: Request) -> ApiResult {
    let q = Query::of(request.uri());
    let run_id = q.required("run_id")?;
    let path = q.text("path");
    with_server(state, move |state, backend| {
        let (root, uri) = match artifact_root(state, backend, &run_id)? {
            Ok(found) => found,
            Err(refused) => return Ok(Err(refused)),
        };
        let entries = match root {
            ArtifactRoot::Local(dir) => crate::engine::artifacts::list(&dir, Some(&path))?,
            ArtifactRoot::Server(root) => {
                remote_artifacts::check_listed(&path)?;
                remote_artifacts::list(client(backend)?, &root, Some(&path))?
            }
        };
        Ok(api::artifact_listing(&uri, &entries))
    })
    .await
}

async fn artifact(Shared(state): Shared_, request: Request) -> ApiResult {
    let q = Query::of(request.uri());
    let run_id = q.required("run_id")?;
    let path = q.required("path")?;
    // A read from the start (an image, the first chunk of a log) fetches the file anew; a
    // later range of the same file reads the copy that read made.
    let fresh = request
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|range| range.trim().starts_with("bytes=0-"));
    let file = blocking(move || {
        let remote = remote(&state)?;
        let backend = remote.backend.as_ref();
        let found = artifact_file(state.as_ref(), remote, backend, &run_id, &path, fresh);
        found.map_err(|e| from_server(&state, e))?
    })
    .await?;
    Ok(files::artifact_file(file, request).await)
}

/// A local path holding the artifact file `path` of the run: the file itself for a local
/// root, a downloaded copy for a server's.
fn artifact_file(
    state: &State,
    remote: &Remote,
    backend: &dyn Backend,
    run_id: &str,
    path: &str,
    fresh: bool,
) -> Result<Result<PathBuf, ApiError>, Error> {
    let root = match artifact_root(state, backend, run_id)? {
        Ok((ArtifactRoot::Local(dir), _)) => {
            return Ok(api::local_artifact_file(&dir, path, run_id));
        }
        Ok((ArtifactRoot::Server(root), _)) => root,
        Err(refused) => return Ok(Err(refused)),
    };
    remote_artifacts::check_listed(path)?;
    let path = path.trim_matches('/');
    let client = client(backend)?;
    if !fresh && let Some(copy) = remote.downloads.copy(&root, path) {
        return Ok(Ok(copy));
    }
    // The parent's listing tells a missing file or a directory (404) from a server that
    // fails (502): the proxy answers both with an error status.
    let parent = path.rsplit_once('/').map(|(p, _)| p);
    let listed = remote_artifacts::list(client, &root, parent)?;
    if !listed
        .iter()
        .any(|e| !e.is_dir && e.path.to_string_lossy() == path)
    {
        return Ok(Err(api::no_artifact(path, run_id)));
    }
    remote.downloads.fetch(client, &root, path).map(Ok)
}

/// Copies of artifact files read from a server, in a temporary directory removed with the UI.
#[derive(Default)]
struct Downloads {
    state: Mutex<DownloadState>,
}

#[derive(Default)]
struct DownloadState {
    dir: Option<tempfile::TempDir>,
    /// The copy of each `(root, path)` last fetched.
    copies: HashMap<(String, String), PathBuf>,
    next: u64,
}

impl Downloads {
    fn copy(&self, root: &str, path: &str) -> Option<PathBuf> {
        let state = self.state.lock();
        let copy = state.copies.get(&(root.to_owned(), path.to_owned()))?;
        copy.is_file().then(|| copy.clone())
    }

    /// Downloads `root/path` into a new directory of its own (the file keeps its name, which
    /// gives the answer its content type) and remembers it as the copy of that file.
    fn fetch(&self, client: &Client, root: &str, path: &str) -> Result<PathBuf, Error> {
        let dir = {
            let mut state = self.state.lock();
            if state.dir.is_none() {
                let created = tempfile::Builder::new()
                    .prefix("mlrs-ui-artifacts-")
                    .tempdir()
                    .map_err(|error| Error::Io {
                        error,
                        path: std::env::temp_dir(),
                    })?;
                state.dir = Some(created);
            }
            state.next += 1;
            let base = state.dir.as_ref().map(|d| d.path().to_owned());
            base.unwrap_or_default().join(state.next.to_string())
        };
        std::fs::create_dir(&dir).map_err(|error| Error::Io {
            error,
            path: dir.clone(),
        })?;
        let name = path.rsplit('/').next().unwrap_or(path);
        let file = dir.join(name);
        remote_artifacts::download_file(client, root, path, &file)?;
        let mut state = self.state.lock();
        let key = (root.to_owned(), path.to_owned());
        if let Some(old) = state.copies.insert(key, file.clone())
            && let Some(old_dir) = old.parent()
        {
            // A response still reading the old copy keeps its open file.
            let _ = std::fs::remove_dir_all(old_dir);
        }
        Ok(file)
    }
}

// ---- registry ----------------------------------------------------------------------------------

/// How many models or versions one registry search asks for.
const REGISTRY_PAGE: i64 = 1_000;

/// Every result of a registry search, read a page at a time.
fn every<T>(mut page: impl FnMut(i64) -> Result<Vec<T>, Error>) -> Result<Vec<T>, Error> {
    let mut all = Vec::new();
    loop {
        let found = page(i64::try_from(all.len()).unwrap_or(i64::MAX))?;
        let full = i64::try_from(found.len()).unwrap_or(0) == REGISTRY_PAGE;
        all.extend(found);
        if !full {
            return Ok(all);
        }
    }
}

async fn registered_models(Shared(state): Shared_, request: Request) -> ApiResult {
    let filter = Query::of(request.uri()).text("filter");
    with_server(state, move |_, backend| {
        let registry = backend.registry();
        let order = ["name ASC".to_owned()];
        let models = every(|offset| {
            registry.search_registered_models(&filter, &order, REGISTRY_PAGE, offset)
        })?;
        Ok(api::registered_models_answer(&models))
    })
    .await
}

async fn registered_model(Shared(state): Shared_, Path(name): Path<String>) -> ApiResult {
    with_server(state, move |_, backend| {
        let registry = backend.registry();
        let model = registry.get_registered_model(&name)?;
        // A string literal of the registry's filter grammar.
        let literal = if name.contains('\'') {
            format!("\"{name}\"")
        } else {
            format!("'{name}'")
        };
        let filter = format!("name = {literal}");
        let order = ["version_number DESC".to_owned()];
        let mut versions =
            every(|offset| registry.search_model_versions(&filter, &order, REGISTRY_PAGE, offset))?;
        // A server's version search leaves aliases out; the model names them.
        for version in &mut versions {
            version.aliases = model
                .aliases
                .iter()
                .filter(|(_, v)| *v == version.version)
                .map(|(alias, _)| alias.clone())
                .collect();
        }
        Ok(api::registered_model_answer(&model, &versions))
    })
    .await
}

// ---- routes ------------------------------------------------------------------------------------

type Shared_ = Shared<Arc<State>>;

pub fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/api/health", get(health))
        .route("/api/experiments", get(experiments))
        .route(
            "/api/experiments/{id}",
            get(experiment)
                .patch(rename_experiment)
                .delete(delete_experiment),
        )
        .route("/api/runs", get(runs))
        .route("/api/runs/keys", get(run_keys))
        .route(
            "/api/runs/{id}",
            get(run).patch(update_run).delete(delete_run),
        )
        .route("/api/series", get(series))
        .route("/api/views", get(list_views))
        .route("/api/views/{name}", put(save_view).delete(delete_view))
        .route("/api/artifacts", get(artifacts))
        .route("/api/artifact", get(artifact))
        .route("/api/registered-models", get(registered_models))
        .route("/api/registered-models/{*name}", get(registered_model))
        .route("/api", any(api::unknown_endpoint))
        .route("/api/{*rest}", any(api::unknown_endpoint))
        .fallback(files::static_file)
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            api::check_host,
        ))
        .with_state(state)
}

fn remote(state: &State) -> Result<&Remote, ApiError> {
    state
        .remote
        .as_ref()
        .ok_or_else(|| ApiError::internal("no tracking server behind this route"))
}

/// A server's refusal keeps its code; a server that cannot be reached is a 502 naming it.
fn from_server(state: &State, e: Error) -> ApiError {
    if e.code() == ErrorCode::InternalError && !matches!(e, Error::Rest { .. }) {
        return ApiError::new(
            StatusCode::BAD_GATEWAY,
            "TEMPORARILY_UNAVAILABLE",
            format!(
                "The tracking server {} could not be read: {e}",
                state.store_uri
            ),
        );
    }
    e.into()
}

/// Runs `f` with the server on the blocking pool (the REST client blocks). `f` answers the
/// response, or the API's own refusal, inside `Ok`; `Err` is the engine's error (from the server
/// or its client), translated by [`from_server`].
async fn with_server(
    state: Arc<State>,
    f: impl FnOnce(&State, &dyn Backend) -> Result<ApiResult, Error> + Send + 'static,
) -> ApiResult {
    blocking(move || {
        let backend = remote(&state)?.backend.as_ref();
        match f(&state, backend) {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(api_error)) => Err(api_error),
            Err(e) => Err(from_server(&state, e)),
        }
    })
    .await
}

async fn health(Shared(state): Shared_) -> ApiResult {
    ok(&json!({
        "store": state.store_uri,
        "version": state.version,
        "assets": files::assets_index(&state).is_some(),
        "backend": "server",
        "unavailable": UNAVAILABLE,
    }))
}

// ---- experiments -------------------------------------------------------------------------------

async fn experiments(Shared(state): Shared_, request: Request) -> ApiResult {
    let q = Query::of(request.uri());
    let view = q.view()?;
    let filter = q.text("filter");
    let mut order_by = q.clauses("order_by");
    if order_by.is_empty() {
        order_by.push("last_update_time DESC".to_owned());
    }
    with_server(state, move |_, backend| {
        let mut all = Vec::new();
        let page = 10_000;
        loop {
            let mut found =
                backend.search_experiments(view, &filter, &order_by, page, all.len() as i64)?;
            let more = found.len() as i64 > page;
            found.truncate(page as usize);
            all.extend(found);
            if !more {
                break;
            }
        }
        let list: Vec<Value> = all.iter().map(json::experiment).collect();
        Ok(ok(&json!({ "experiments": list })))
    })
    .await
}

async fn experiment(Shared(state): Shared_, Path(id): Path<String>) -> ApiResult {
    let id = validate_id(&id)?;
    with_server(state, move |_, backend| {
        Ok(ok(&json::experiment(&backend.get_experiment(&id)?)))
    })
    .await
}

async fn rename_experiment(
    Shared(state): Shared_,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    same_origin(&headers)?;
    let body = body_object(&body)?;
    let Some(Value::String(name)) = body.get("name") else {
        return Err(ApiError::invalid("The body needs a \"name\" string."));
    };
    let name = name.clone();
    let id = validate_id(&id)?;
    with_server(state, move |_, backend| {
        backend.rename_experiment(&id, &name)?;
        Ok(ok(&json::experiment(&backend.get_experiment(&id)?)))
    })
    .await
}

async fn delete_experiment(
    Shared(state): Shared_,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    same_origin(&headers)?;
    let id = validate_id(&id)?;
    with_server(state, move |_, backend| {
        backend.delete_experiment(&id)?;
        Ok(ok(&json!({})))
    })
    .await
}

// ---- runs --------------------------------------------------------------------------------------

/// An order_by clause the server understands: `last(metrics.x) DESC` is `metrics.x DESC`; the
/// other reducers need every point and are refused.
fn server_order(clause: &str) -> Result<String, ApiError> {
    let lower = clause.trim_start().to_ascii_lowercase();
    for reducer in ["min(", "max(", "first("] {
        if lower.starts_with(reducer) {
            return Err(ApiError::invalid(format!(
                "Over a tracking server the runs table sorts by a metric's last value only; \
                 '{clause}' needs every point of every run."
            )));
        }
    }
    if lower.starts_with("last(") {
        let inner = &clause.trim_start()["last(".len()..];
        if let Some(close) = inner.rfind(')') {
            return Ok(format!("{}{}", &inner[..close], &inner[close + 1..]));
        }
    }
    Ok(clause.to_owned())
}

fn wanted(columns: &Columns, key: &str) -> bool {
    match columns {
        Columns::None => false,
        Columns::All => true,
        Columns::Some(keys) => keys.iter().any(|k| k == key),
    }
}

/// A run as a row of the runs table: its latest metric values (min, max, first unknown: null).
fn row(run: &Run, metrics: &Columns, params: &Columns, tags: &Columns) -> Map<String, Value> {
    let all_tags: Vec<(String, String)> = run
        .tags
        .iter()
        .filter_map(|(k, v)| Some((k.clone(), v.clone()?)))
        .collect();
    let parent = all_tags
        .iter()
        .find(|(k, _)| k == "mlflow.parentRunId")
        .map(|(_, v)| v.clone());
    let table_row = TableRun {
        info: run.info.clone(),
        parent_run_id: parent,
        metrics: Vec::new(),
        params: run
            .params
            .iter()
            .filter(|(k, _)| wanted(params, k))
            .cloned()
            .collect(),
        tags: all_tags,
    };
    let mut map = json::run(&table_row);
    // `json::run` reads the run name from the tags when needed; only then filter them.
    map.insert(
        "tags".into(),
        object(
            table_row
                .tags
                .iter()
                .filter(|(k, _)| wanted(tags, k))
                .map(|(k, v)| (k.clone(), v.clone())),
        ),
    );
    let metric_values = run
        .latest_metrics
        .iter()
        .filter(|m| wanted(metrics, &m.key))
        .map(|m| {
            let value = json!({
                "last": number(m.read_value()),
                "min": null,
                "max": null,
                "first": null,
                "step": m.step,
                "timestamp": m.timestamp_ms,
            });
            (m.key.clone(), value)
        });
    map.insert("metrics".into(), object(metric_values));
    map
}

async fn runs(Shared(state): Shared_, request: Request) -> ApiResult {
    let q = Query::of(request.uri());
    let ids = experiment_ids(&q)?;
    let view = q.view()?;
    let filter = q.text("filter");
    let order_by = q
        .clauses("order_by")
        .iter()
        .map(|c| server_order(c))
        .collect::<Result<Vec<_>, _>>()?;
    let max_results = q.int("max_results", 100, 1..=10_000)?;
    let offset = match q.get("page_token").filter(|t| !t.is_empty()) {
        None => 0,
        Some(token) => token
            .parse::<i64>()
            .ok()
            .filter(|o| *o >= 0)
            .ok_or_else(|| ApiError::invalid(format!("Invalid page token: {token:?}")))?,
    };
    let metrics = Columns::parse(&q.list("metrics")?);
    let params = Columns::parse(&q.list("params")?);
    let tags = Columns::parse(&q.list("tags")?);
    with_server(state, move |_, backend| {
        if ids.is_empty() {
            return Ok(ok(
                &json!({"runs": [], "next_page_token": null, "total": 0}),
            ));
        }
        let mut found = backend.search_runs(&ids, view, &filter, &order_by, max_results, offset)?;
        let more = found.len() as i64 > max_results;
        found.truncate(max_results as usize);
        let total = (!more).then(|| offset + found.len() as i64);
        let list: Vec<Value> = found
            .iter()
            .map(|r| Value::Object(row(r, &metrics, &params, &tags)))
            .collect();
        Ok(ok(&json!({
            "runs": list,
            "next_page_token": more.then(|| (offset + max_results).to_string()),
            "total": total,
        })))
    })
    .await
}

fn experiment_ids(q: &Query) -> Result<Vec<String>, ApiError> {
    q.list("experiment_ids")?
        .iter()
        .map(|id| validate_id(id))
        .collect()
}

async fn run_keys(Shared(state): Shared_, request: Request) -> ApiResult {
    let q = Query::of(request.uri());
    let ids = experiment_ids(&q)?;
    let view = q.view()?;
    with_server(state, move |_, backend| {
        let mut metrics = std::collections::BTreeSet::new();
        let mut params = std::collections::BTreeSet::new();
        let mut tags = std::collections::BTreeSet::new();
        let page = 10_000;
        let mut offset = 0;
        while !ids.is_empty() && offset < KEYS_RUNS {
            let found = backend.search_runs(&ids, view, "", &[], page, offset)?;
            let more = found.len() as i64 > page;
            for run in found.iter().take(page as usize) {
                metrics.extend(run.latest_metrics.iter().map(|m| m.key.clone()));
                params.extend(run.params.iter().map(|(k, _)| k.clone()));
                tags.extend(run.tags.iter().map(|(k, _)| k.clone()));
            }
            if !more {
                break;
            }
            offset += page;
        }
        Ok(ok(
            &json!({"metrics": metrics, "params": params, "tags": tags}),
        ))
    })
    .await
}

/// The run page's object: the run's row with every key, its description, artifact URI,
/// dataset inputs, logged models and registry versions.
fn run_detail(backend: &dyn Backend, run_id: &str) -> Result<ApiResult, Error> {
    validate::validate_run_id(run_id)?;
    let run = backend.get_run(run_id)?;
    let mut map = row(&run, &Columns::All, &Columns::All, &Columns::All);
    let description = run
        .tags
        .iter()
        .find(|(k, _)| k == "mlflow.note.content")
        .and_then(|(_, v)| v.clone());
    map.insert("description".into(), description.into());
    map.insert("artifact_uri".into(), run.info.artifact_uri.clone().into());
    let inputs: Vec<Value> = run
        .inputs
        .datasets
        .iter()
        .map(|input| {
            let d = &input.dataset;
            json!({
                "dataset": {
                    "name": d.name, "digest": d.digest, "source_type": d.source_type,
                    "source": d.source, "schema": d.schema, "profile": d.profile,
                },
                "tags": object(input.tags.iter().map(|(k, v)| (k.clone(), v.clone()))),
            })
        })
        .collect();
    map.insert("inputs".into(), inputs.into());
    let (models, versions) = run_models(backend, &run)?;
    api::insert_run_models(&mut map, &models, &versions);
    Ok(ok(&Value::Object(map)))
}

/// The logged models a run made and the registry versions made from it, read from the server.
fn run_models(backend: &dyn Backend, run: &Run) -> Result<(Vec<RunModel>, Vec<RunVersion>), Error> {
    let run_id = &run.info.run_id;
    let models = backend
        .models()
        .models_of_run(&run.info.experiment_id.to_string(), run_id)?
        .into_iter()
        .map(|m| RunModel {
            model_id: m.model_id,
            name: m.name,
            status: m.status,
            creation_timestamp: m.creation_timestamp_ms,
        })
        .collect();
    let registry = backend.registry();
    let filter = format!("run_id = '{run_id}'");
    let order = ["name ASC".to_owned(), "version_number ASC".to_owned()];
    let found =
        every(|offset| registry.search_model_versions(&filter, &order, REGISTRY_PAGE, offset))?;
    // A server's version search leaves aliases out; each version's model names them.
    let mut aliases: HashMap<String, Vec<(String, i64)>> = HashMap::new();
    let mut versions = Vec::with_capacity(found.len());
    for version in found {
        if !aliases.contains_key(&version.name) {
            let model = registry.get_registered_model(&version.name)?;
            aliases.insert(version.name.clone(), model.aliases);
        }
        let mut named: Vec<String> = aliases[&version.name]
            .iter()
            .filter(|(_, v)| *v == version.version)
            .map(|(alias, _)| alias.clone())
            .collect();
        named.sort();
        versions.push(RunVersion {
            current_stage: version.current_stage.unwrap_or_else(|| "None".to_owned()),
            name: version.name,
            version: version.version,
            aliases: named,
        });
    }
    Ok((models, versions))
}

async fn run(Shared(state): Shared_, Path(id): Path<String>) -> ApiResult {
    with_server(state, move |_, backend| run_detail(backend, &id)).await
}

async fn update_run(
    Shared(state): Shared_,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let (run_name, tags) = run_edit(&headers, &body)?;
    with_server(state, move |_, backend| {
        validate::validate_run_id(&id)?;
        if let Some(name) = run_name {
            backend.update_run_info(&id, None, None, Some(name))?;
        }
        for (key, value) in tags {
            match value {
                Some(value) => backend.enqueue(backend.tag_op(&id, &key, &value)?)?,
                None => backend.delete_tag(&id, &key)?,
            }
        }
        backend.flush()?;
        run_detail(backend, &id)
    })
    .await
}

async fn delete_run(
    Shared(state): Shared_,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    same_origin(&headers)?;
    with_server(state, move |_, backend| {
        validate::validate_run_id(&id)?;
        backend.delete_run(&id)?;
        Ok(ok(&json!({})))
    })
    .await
}

// ---- series ------------------------------------------------------------------------------------

/// Whether the run's series are final (a terminal status), and its start time; an unknown run
/// has no points (as over SQLite).
fn run_state(remote: &Remote, run_id: &str) -> Result<(bool, Option<i64>, bool), Error> {
    if let Some(start) = remote.finished.lock().get(run_id) {
        return Ok((true, *start, true));
    }
    match remote.backend.get_run(run_id) {
        Ok(run) => {
            let done = matches!(run.info.status.as_str(), "FINISHED" | "FAILED" | "KILLED");
            if done {
                remote
                    .finished
                    .lock()
                    .insert(run_id.to_owned(), run.info.start_time);
            }
            Ok((done, run.info.start_time, true))
        }
        Err(e) if e.code() == ErrorCode::ResourceDoesNotExist => Ok((true, None, false)),
        Err(e) => Err(e),
    }
}

async fn series(Shared(state): Shared_, request: Request) -> ApiResult {
    let q = Query::of(request.uri());
    let run_ids = q.list("run_ids")?;
    let keys = q.list("keys")?;
    let axis = XAxis::parse(q.get("x").unwrap_or("step"));
    let x_min = q.float("x_min")?;
    let x_max = q.float("x_max")?;
    let columns = q.int("points", 1000, 1..=MAX_COLUMNS)? as usize;
    let after_step = match q.get("after_step").filter(|t| !t.is_empty()) {
        None => None,
        Some(text) => Some(text.parse::<i64>().map_err(|_| {
            ApiError::invalid(format!("after_step must be an integer; got {text:?}"))
        })?),
    };
    with_server(state, move |state, backend| {
        let remote = remote(state).map_err(|_| Error::internal("no tracking server"))?;
        let mut placed = Vec::new();
        for run_id in &run_ids {
            validate::validate_run_id(run_id)?;
            let (done, start_time, exists) = run_state(remote, run_id)?;
            let fetch = |key: &str| -> crate::engine::Result<Arc<Points>> {
                if exists {
                    remote.series.get(backend, run_id, key, done)
                } else {
                    Ok(Arc::new(Points::default()))
                }
            };
            let other = match &axis {
                XAxis::Metric(x_key) => Some(fetch(x_key)?),
                _ => None,
            };
            for key in &keys {
                let points = fetch(key)?;
                let on_axis = chart::place(&points, &axis, start_time, other.as_deref());
                placed.push((run_id.clone(), key.clone(), on_axis));
            }
        }
        Ok(api::series_json(
            &placed, &axis, x_min, x_max, columns, after_step,
        ))
    })
    .await
}

// ---- views -------------------------------------------------------------------------------------

async fn list_views(Shared(state): Shared_, request: Request) -> ApiResult {
    let q = Query::of(request.uri());
    let experiment_id = validate_id(&q.required("experiment_id")?)?;
    with_server(state, move |_, backend| {
        let found = views::list(backend, &experiment_id)?;
        let list: Vec<Value> = found
            .into_iter()
            .map(|(name, state_json)| {
                let state = serde_json::from_str::<Value>(&state_json).unwrap_or(Value::Null);
                json!({"name": name, "state": state})
            })
            .collect();
        Ok(ok(&json!({ "views": list })))
    })
    .await
}

async fn save_view(
    Shared(state): Shared_,
    Path(name): Path<String>,
    headers: HeaderMap,
    request: Request,
) -> ApiResult {
    same_origin(&headers)?;
    let q = Query::of(request.uri());
    let experiment_id = validate_id(&q.required("experiment_id")?)?;
    let body = axum::body::to_bytes(request.into_body(), 1 << 20)
        .await
        .map_err(|e| ApiError::invalid(format!("Could not read the body: {e}")))?;
    let body = body_object(&body)?;
    let Some(view_state @ Value::Object(_)) = body.get("state") else {
        return Err(ApiError::invalid("The body needs a \"state\" object."));
    };
    let view_state = view_state.clone();
    with_server(state, move |_, backend| {
        views::save(backend, &experiment_id, &name, &view_state.to_string())?;
        Ok(ok(&json!({"name": name, "state": view_state})))
    })
    .await
}

async fn delete_view(
    Shared(state): Shared_,
    Path(name): Path<String>,
    headers: HeaderMap,
    request: Request,
) -> ApiResult {
    same_origin(&headers)?;
    let q = Query::of(request.uri());
    let experiment_id = validate_id(&q.required("experiment_id")?)?;
    with_server(state, move |_, backend| {
        views::delete(backend, &experiment_id, &name)?;
        Ok(ok(&json!({})))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_last_value_orders_go_to_the_server() {
        assert_eq!(
            server_order("last(metrics.loss) DESC").unwrap(),
            "metrics.loss DESC"
        );
        assert_eq!(
            server_order("last(metrics.`a b`)").unwrap(),
            "metrics.`a b`"
        );
        assert_eq!(server_order("params.lr ASC").unwrap(), "params.lr ASC");
        for refused in [
            "min(metrics.loss)",
            "MAX(metrics.loss) DESC",
            "first(metrics.x)",
        ] {
            assert!(server_order(refused).is_err(), "{refused}");
        }
    }

    /// The SQLite store is a `Backend` too: it stands in for a server here.
    fn log(store: &crate::engine::Store, run_id: &str, key: &str, steps: std::ops::Range<i64>) {
        for step in steps {
            let op = store
                .metric_op(run_id, key, step as f64, Some(step), step)
                .unwrap();
            store.enqueue(op).unwrap();
        }
        store.flush().unwrap();
    }

    #[test]
    fn final_series_stay_cached_and_the_budget_evicts_the_oldest() {
        use crate::engine::store::testing::{new_run, open};
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        let run_id = new_run(&store);
        log(&store, &run_id, "a", 0..3);
        log(&store, &run_id, "b", 0..4);
        let cache = SeriesCache::new(5);
        assert_eq!(cache.get(&store, &run_id, "a", true).unwrap().len(), 3);
        // A final series is not fetched again, even when the store has more points.
        log(&store, &run_id, "a", 3..5);
        assert_eq!(cache.get(&store, &run_id, "a", true).unwrap().len(), 3);
        // A second series over the budget drops the least recently used one.
        assert_eq!(cache.get(&store, &run_id, "b", true).unwrap().len(), 4);
        let held: Vec<(String, String)> = cache.entries.lock().0.keys().cloned().collect();
        assert_eq!(held, [(run_id.clone(), "b".to_owned())]);
        assert_eq!(cache.get(&store, &run_id, "a", false).unwrap().len(), 5);
    }

    #[test]
    fn histories_are_sorted_by_step_then_time_then_value() {
        let series = crate::engine::model::MetricSeries {
            steps: vec![2, 0, 2, 1],
            timestamps: vec![5, 9, 5, 1],
            values: vec![3.0, 1.0, -1.0, 2.0],
        };
        let points = sorted(series);
        assert_eq!(points.steps, [0, 1, 2, 2]);
        assert_eq!(points.values, [1.0, 2.0, -1.0, 3.0]);
    }
}
