//! The routes of `ui/API.md`. Handlers parse the request, then do their work on tokio's blocking
//! pool (SQLite and the disk block), and answer JSON or MLflow-shaped errors.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Request, State as Shared};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, put};
use serde_json::{Map, Value, json};

use super::State;
use super::files;
use super::json::{self, numbers, object};
use crate::engine::ErrorCode;
use crate::engine::error::Error;
use crate::engine::model::ViewType;
use crate::engine::store::{datasets, read};
use crate::engine::ui::chart::{self, XAxis};
use crate::engine::ui::series::metrics_watermark;
use crate::engine::ui::table::{self, Columns, TableQuery};
use crate::engine::ui::views;
use crate::engine::validate;

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
        .route("/api/registered-models/{name}", get(registered_model))
        .route("/api", any(unknown_endpoint))
        .route("/api/{*rest}", any(unknown_endpoint))
        .fallback(files::static_file)
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            check_host,
        ))
        .with_state(state)
}

// ---- errors ----------------------------------------------------------------------------------

/// An API failure: an HTTP status with MLflow's error code and message.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "INVALID_PARAMETER_VALUE", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "RESOURCE_DOES_NOT_EXIST", message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", message)
    }

    pub fn not_mlflow(reason: &str) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "NOT_MLFLOW_STORE",
            format!("This database is not an MLflow tracking store: {reason}"),
        )
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        match &e {
            Error::Schema(reason) => return Self::not_mlflow(reason),
            Error::Io { error, path } if error.kind() == std::io::ErrorKind::NotFound => {
                return Self::not_found(format!("No such artifact: {}", path.display()));
            }
            _ => {}
        }
        let code = e.code();
        let status = match code {
            ErrorCode::ResourceDoesNotExist => StatusCode::NOT_FOUND,
            ErrorCode::InternalError => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::InvalidParameterValue
            | ErrorCode::ResourceAlreadyExists
            | ErrorCode::BadRequest
            | ErrorCode::InvalidState => StatusCode::BAD_REQUEST,
            ErrorCode::Other(_) => StatusCode::BAD_GATEWAY,
        };
        Self::new(status, code.as_str(), e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error_code": self.code, "message": self.message});
        (self.status, json_body(&body)).into_response()
    }
}

pub type ApiResult = Result<Response, ApiError>;

fn json_body(value: &Value) -> ([(header::HeaderName, HeaderValue); 2], String) {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        value.to_string(),
    )
}

#[allow(clippy::unnecessary_wraps)] // every handler ends with it
pub fn ok(value: &Value) -> ApiResult {
    Ok(json_body(value).into_response())
}

/// Runs `f` on the blocking pool.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(format!("the request failed: {e}")))?
}

pub async fn unknown_endpoint(request: Request) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "ENDPOINT_NOT_FOUND",
        format!(
            "No API endpoint {} {}",
            request.method(),
            request.uri().path()
        ),
    )
}

// ---- guards ----------------------------------------------------------------------------------

/// Refuses requests whose Host header is not this server's own loopback name (a page on another
/// site that rebinds its DNS name to 127.0.0.1 cannot read the API).
pub async fn check_host(Shared(state): Shared_, request: Request, next: Next) -> Response {
    if !state.allowed_hosts.is_empty() {
        let host = request
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default();
        if !state.allowed_hosts.iter().any(|h| h == host) {
            return ApiError::new(
                StatusCode::FORBIDDEN,
                "PERMISSION_DENIED",
                format!("Host {host:?} is not this server (mlrs ui listens on loopback only)."),
            )
            .into_response();
        }
    }
    next.run(request).await
}

/// Writes need a same-origin request: `Sec-Fetch-Site: same-origin`, or an `Origin` equal to
/// `http://<Host>`.
pub fn same_origin(headers: &HeaderMap) -> Result<(), ApiError> {
    let get = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    if get(header::HeaderName::from_static("sec-fetch-site")) == Some("same-origin") {
        return Ok(());
    }
    if let (Some(origin), Some(host)) = (get(header::ORIGIN), get(header::HOST))
        && origin == format!("http://{host}")
    {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        "PERMISSION_DENIED",
        "Changes are accepted only from the mlrs ui page itself (a same-origin request).",
    ))
}

fn store(state: &State) -> Result<&crate::engine::Store, ApiError> {
    state.store().map_err(ApiError::not_mlflow)
}

// ---- query parameters ------------------------------------------------------------------------

/// The decoded query string; a name may repeat.
pub struct Query(Vec<(String, String)>);

impl Query {
    pub fn of(request_uri: &axum::http::Uri) -> Self {
        let pairs = request_uri.query().map_or_else(Vec::new, url_pairs);
        Query(pairs)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().to_owned()
    }

    /// Every value of `name`, each split on commas (or read as a JSON array of strings when it
    /// starts with `[`); empty items dropped.
    pub fn list(&self, name: &str) -> Result<Vec<String>, ApiError> {
        let mut items = Vec::new();
        for (_, value) in self.0.iter().filter(|(k, _)| k == name) {
            if value.trim_start().starts_with('[') {
                let parsed: Vec<String> = serde_json::from_str(value).map_err(|e| {
                    ApiError::invalid(format!("{name} is not a JSON array of strings: {e}"))
                })?;
                items.extend(parsed);
            } else {
                items.extend(value.split(',').map(|s| s.trim().to_owned()));
            }
        }
        items.retain(|s| !s.is_empty());
        Ok(items)
    }

    /// order_by clauses: each value may hold several, split on commas outside quotes.
    pub fn clauses(&self, name: &str) -> Vec<String> {
        let mut clauses = Vec::new();
        for (_, value) in self.0.iter().filter(|(k, _)| k == name) {
            clauses.extend(split_clauses(value));
        }
        clauses
    }

    pub fn int(
        &self,
        name: &str,
        default: i64,
        range: std::ops::RangeInclusive<i64>,
    ) -> Result<i64, ApiError> {
        let Some(text) = self.get(name).filter(|t| !t.is_empty()) else {
            return Ok(default);
        };
        match text.parse::<i64>() {
            Ok(n) if range.contains(&n) => Ok(n),
            _ => Err(ApiError::invalid(format!(
                "{name} must be an integer from {} to {}; got {text:?}",
                range.start(),
                range.end()
            ))),
        }
    }

    pub fn float(&self, name: &str) -> Result<Option<f64>, ApiError> {
        match self.get(name).filter(|t| !t.is_empty()) {
            None => Ok(None),
            Some(text) => text
                .parse::<f64>()
                .ok()
                .filter(|v| !v.is_nan())
                .map(Some)
                .ok_or_else(|| ApiError::invalid(format!("{name} must be a number; got {text:?}"))),
        }
    }

    pub fn view(&self) -> Result<ViewType, ApiError> {
        match self.get("view").unwrap_or("active") {
            "" | "active" => Ok(ViewType::ActiveOnly),
            "deleted" => Ok(ViewType::DeletedOnly),
            "all" => Ok(ViewType::All),
            other => Err(ApiError::invalid(format!(
                "view must be active, deleted or all; got {other:?}"
            ))),
        }
    }

    pub fn required(&self, name: &str) -> Result<String, ApiError> {
        self.get(name)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| ApiError::invalid(format!("Missing parameter {name}")))
    }
}

fn url_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(text: &str) -> String {
    let spaced = text.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

/// Splits `a DESC, b` on commas that are not inside quotes or backticks.
fn split_clauses(text: &str) -> Vec<String> {
    let mut clauses = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    for c in text.chars() {
        match (quote, c) {
            (None, '\'' | '"' | '`') => {
                quote = Some(c);
                current.push(c);
            }
            (Some(q), c) if c == q => {
                quote = None;
                current.push(c);
            }
            (None, ',') => clauses.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    clauses.push(current);
    clauses
        .into_iter()
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty())
        .collect()
}

fn experiment_ids(q: &Query) -> Result<Vec<i64>, ApiError> {
    q.list("experiment_ids")?
        .iter()
        .map(|id| validate::parse_experiment_id(id).map_err(ApiError::from))
        .collect()
}

pub fn body_object(body: &Bytes) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::invalid("The request body must be a JSON object.")),
        Err(e) => Err(ApiError::invalid(format!(
            "The request body is not JSON: {e}"
        ))),
    }
}

// ---- health and experiments ----------------------------------------------------------------

async fn health(Shared(state): Shared_) -> ApiResult {
    store(&state)?;
    ok(&json!({
        "store": state.store_uri,
        "version": state.version,
        "assets": files::assets_index(&state).is_some(),
        "backend": "sqlite",
        "unavailable": [],
    }))
}

async fn experiments(Shared(state): Shared_, request: Request) -> ApiResult {
    let q = Query::of(request.uri());
    let view = q.view()?;
    let filter = q.text("filter");
    let mut order_by = q.clauses("order_by");
    if order_by.is_empty() {
        order_by.push("last_update_time DESC".to_owned());
    }
    blocking(move || {
        let store = store(&state)?;
        let mut all = Vec::new();
        let page = 50_000;
        loop {
            let mut found =
                store.search_experiments(view, &filter, &order_by, page, all.len() as i64)?;
            let more = found.len() as i64 > page;
            found.truncate(page as usize);
            all.extend(found);
            if !more {
                break;
            }
        }
        let list: Vec<Value> = all.iter().map(json::experiment).collect();
        ok(&json!({ "experiments": list }))
    })
    .await
}

async fn experiment(Shared(state): Shared_, Path(id): Path<String>) -> ApiResult {
    blocking(move || {
        let e = store(&state)?.get_experiment(&validate_id(&id)?)?;
        ok(&json::experiment(&e))
    })
    .await
}

pub fn validate_id(id: &str) -> Result<String, ApiError> {
    validate::parse_experiment_id(id)?;
    Ok(id.to_owned())
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
    blocking(move || {
        let store = store(&state)?;
        let id = validate_id(&id)?;
        store.rename_experiment(&id, &name)?;
        ok(&json::experiment(&store.get_experiment(&id)?))
    })
    .await
}

async fn delete_experiment(
    Shared(state): Shared_,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    same_origin(&headers)?;
    blocking(move || {
        store(&state)?.delete_experiment(&validate_id(&id)?)?;
        ok(&json!({}))
    })
    .await
}

// ---- runs ------------------------------------------------------------------------------------

async fn runs(Shared(state): Shared_, request: Request) -> ApiResult {
    let q = Query::of(request.uri());
    let ids = experiment_ids(&q)?;
    let view = q.view()?;
    let filter = q.text("filter");
    let order_by = q.clauses("order_by");
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
    blocking(move || {
        let page = state.read(|conn| {
            table::runs_page(
                conn,
                &TableQuery {
                    experiment_ids: &ids,
                    view,
                    filter: &filter,
                    order_by: &order_by,
                    max_results,
                    offset,
                    metrics,
                    params,
                    tags,
                },
            )
        })?;
        let runs: Vec<Value> = page
            .runs
            .iter()
            .map(|r| Value::Object(json::run(r)))
            .collect();
        ok(&json!({
            "runs": runs,
            "next_page_token": page.next_offset.map(|o| o.to_string()),
            "total": page.total,
        }))
    })
    .await
}

async fn run_keys(Shared(state): Shared_, request: Request) -> ApiResult {
    let q = Query::of(request.uri());
    let ids = experiment_ids(&q)?;
    let view = q.view()?;
    blocking(move || {
        let (metrics, params, tags) = state.read(|conn| table::keys(conn, &ids, view))?;
        ok(&json!({"metrics": metrics, "params": params, "tags": tags}))
    })
    .await
}

/// The run page's object (see `GET /api/runs/{id}`).
fn run_detail(state: &State, run_id: &str) -> ApiResult {
    validate::validate_run_id(run_id)?;
    let detail = state.read(|conn| {
        let rows = table::table_runs(
            conn,
            &[run_id.to_owned()],
            &Columns::All,
            &Columns::All,
            &Columns::All,
        )?;
        let Some(row) = rows.into_iter().next() else {
            return Err(Error::not_found(format!("Run with id={run_id} not found")));
        };
        let inputs = datasets::run_inputs(conn, run_id)?;
        let models = table::run_models(conn, run_id)?;
        let versions = table::run_versions(conn, run_id)?;
        Ok((row, inputs, models, versions))
    })?;
    let (row, inputs, models, versions) = detail;
    let mut map = json::run(&row);
    let description = row
        .tags
        .iter()
        .find(|(k, _)| k == "mlflow.note.content")
        .map(|(_, v)| v.clone());
    map.insert("description".into(), description.into());
    map.insert("artifact_uri".into(), row.info.artifact_uri.clone().into());
    let inputs: Vec<Value> = inputs
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
    insert_run_models(&mut map, &models, &versions);
    ok(&Value::Object(map))
}

/// The run page's `logged_models` and `model_versions`, from a file or a server.
pub fn insert_run_models(
    map: &mut Map<String, Value>,
    models: &[table::RunModel],
    versions: &[table::RunVersion],
) {
    let models: Vec<Value> = models
        .iter()
        .map(|m| {
            json!({
                "model_id": m.model_id,
                "name": m.name,
                "status": model_status(m.status),
                "creation_timestamp": m.creation_timestamp,
            })
        })
        .collect();
    map.insert("logged_models".into(), models.into());
    let versions: Vec<Value> = versions
        .iter()
        .map(|v| {
            json!({
                "name": v.name,
                "version": v.version.to_string(),
                "current_stage": v.current_stage,
                "aliases": v.aliases,
            })
        })
        .collect();
    map.insert("model_versions".into(), versions.into());
}

/// `LoggedModelStatus` names of MLflow's stored integers.
fn model_status(status: i64) -> &'static str {
    match status {
        1 => "PENDING",
        2 => "READY",
        3 => "FAILED",
        _ => "UNSPECIFIED",
    }
}

async fn run(Shared(state): Shared_, Path(id): Path<String>) -> ApiResult {
    blocking(move || run_detail(&state, &id)).await
}

/// A run's new name, if any, and its tags to set (`Some`) or delete (`None`).
pub type RunEdit = (Option<String>, Vec<(String, Option<String>)>);

/// `PATCH /api/runs/{id}`'s body, checked: a same-origin request with an optional non-empty
/// `run_name` and `tags` to set (a string) or delete (null).
pub fn run_edit(headers: &HeaderMap, body: &Bytes) -> Result<RunEdit, ApiError> {
    same_origin(headers)?;
    let body = body_object(body)?;
    let run_name = match body.get("run_name") {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) if !name.is_empty() => Some(name.clone()),
        Some(_) => return Err(ApiError::invalid("run_name must be a non-empty string.")),
    };
    let mut tags: Vec<(String, Option<String>)> = Vec::new();
    match body.get("tags") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (key, value) in map {
                match value {
                    Value::String(v) => tags.push((key.clone(), Some(v.clone()))),
                    Value::Null => tags.push((key.clone(), None)),
                    _ => {
                        return Err(ApiError::invalid(format!(
                            "Tag {key:?} must be a string or null."
                        )));
                    }
                }
            }
        }
        Some(_) => return Err(ApiError::invalid("tags must be an object.")),
    }
    Ok((run_name, tags))
}

async fn update_run(
    Shared(state): Shared_,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let (run_name, tags) = run_edit(&headers, &body)?;
    blocking(move || {
        let store = store(&state)?;
        validate::validate_run_id(&id)?;
        if let Some(name) = run_name {
            store.update_run_info(&id, None, None, Some(name))?;
        }
        for (key, value) in tags {
            match value {
                Some(value) => store.enqueue(store.tag_op(&id, &key, &value)?)?,
                None => store.delete_tag(&id, &key)?,
            }
        }
        store.flush()?;
        run_detail(&state, &id)
    })
    .await
}

async fn delete_run(
    Shared(state): Shared_,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    same_origin(&headers)?;
    blocking(move || {
        validate::validate_run_id(&id)?;
        store(&state)?.delete_run(&id)?;
        ok(&json!({}))
    })
    .await
}

// ---- series ----------------------------------------------------------------------------------

/// The most columns a series request may ask for.
pub const MAX_COLUMNS: i64 = 20_000;

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
    blocking(move || {
        let placed = state.read(|conn| {
            let watermark = metrics_watermark(conn)?;
            let mut placed = Vec::new();
            for run_id in &run_ids {
                let start_time = match axis {
                    XAxis::Relative => read::run_info(conn, run_id)?.and_then(|i| i.start_time),
                    _ => None,
                };
                let other = match &axis {
                    XAxis::Metric(x_key) => {
                        Some(state.cache.get(conn, watermark, run_id, x_key)?.0)
                    }
                    _ => None,
                };
                for key in &keys {
                    let (points, _) = state.cache.get(conn, watermark, run_id, key)?;
                    let on_axis = chart::place(&points, &axis, start_time, other.as_deref());
                    placed.push((run_id.clone(), key.clone(), on_axis));
                }
            }
            Ok(placed)
        })?;
        series_json(&placed, &axis, x_min, x_max, columns, after_step)
    })
    .await
}

/// The answer of `GET /api/series` for series placed on their x-axis (shared by the SQLite and
/// the tracking-server routes): M4 over the common x-range, or the tail after a step.
pub fn series_json(
    placed: &[(String, String, chart::Placed)],
    axis: &XAxis,
    x_min: Option<f64>,
    x_max: Option<f64>,
    columns: usize,
    after_step: Option<i64>,
) -> ApiResult {
    let extents = placed.iter().filter_map(|(_, _, p)| p.extent());
    let (lo, hi) = extents.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (a, b)| {
        (lo.min(a), hi.max(b))
    });
    let (x_min, x_max) = (x_min.unwrap_or(lo), x_max.unwrap_or(hi));
    let integral_x = matches!(axis, XAxis::Step | XAxis::Wall);
    let list: Vec<Value> = placed
        .iter()
        .map(|(run_id, key, on_axis)| {
            let reduced = match after_step {
                Some(step) => chart::after_step(on_axis, step),
                None => chart::reduce(on_axis, x_min, x_max, columns),
            };
            let x = if integral_x {
                Value::Array(reduced.x.iter().map(|&v| Value::from(v as i64)).collect())
            } else {
                numbers(&reduced.x)
            };
            json!({
                "run_id": run_id,
                "key": key,
                "raw": reduced.raw,
                "total_points": reduced.total_points,
                "x": x,
                "step": reduced.points.steps,
                "timestamp": reduced.points.timestamps,
                "value": numbers(&reduced.points.values),
            })
        })
        .collect();
    ok(&json!({ "series": list }))
}

// ---- views -----------------------------------------------------------------------------------

async fn list_views(Shared(state): Shared_, request: Request) -> ApiResult {
    let q = Query::of(request.uri());
    let experiment_id = q.required("experiment_id")?;
    blocking(move || {
        let found = views::list(store(&state)?, &validate_id(&experiment_id)?)?;
        let list: Vec<Value> = found
            .into_iter()
            .map(|(name, state_json)| {
                let state = serde_json::from_str::<Value>(&state_json).unwrap_or(Value::Null);
                json!({"name": name, "state": state})
            })
            .collect();
        ok(&json!({ "views": list }))
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
    let experiment_id = q.required("experiment_id")?;
    let body = axum::body::to_bytes(request.into_body(), 1 << 20)
        .await
        .map_err(|e| ApiError::invalid(format!("Could not read the body: {e}")))?;
    let body = body_object(&body)?;
    let Some(view_state @ Value::Object(_)) = body.get("state") else {
        return Err(ApiError::invalid("The body needs a \"state\" object."));
    };
    let view_state = view_state.clone();
    blocking(move || {
        let id = validate_id(&experiment_id)?;
        views::save(store(&state)?, &id, &name, &view_state.to_string())?;
        ok(&json!({"name": name, "state": view_state}))
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
    let experiment_id = q.required("experiment_id")?;
    blocking(move || {
        views::delete(store(&state)?, &validate_id(&experiment_id)?, &name)?;
        ok(&json!({}))
    })
    .await
}

// ---- artifacts -------------------------------------------------------------------------------

/// The run's local artifact root and its URI.
fn artifact_root(state: &State, run_id: &str) -> Result<(std::path::PathBuf, String), ApiError> {
    validate::validate_run_id(run_id)?;
    let info = state
        .read(|conn| read::run_info(conn, run_id))?
        .ok_or_else(|| ApiError::not_found(format!("Run with id={run_id} not found")))?;
    let uri = info.artifact_uri.unwrap_or_default();
    let root = crate::engine::artifacts::local_location(&uri).ok_or_else(|| {
        ApiError::invalid(format!(
            "mlrs ui shows artifacts stored on this machine's file system only; this run's \
             artifacts are at {uri}"
        ))
    })?;
    Ok((root, uri))
}

async fn artifacts(Shared(state): Shared_, request: Request) -> ApiResult {
    let q = Query::of(request.uri());
    let run_id = q.required("run_id")?;
    let path = q.text("path");
    blocking(move || {
        let (root, uri) = artifact_root(&state, &run_id)?;
        let entries = crate::engine::artifacts::list(&root, Some(&path))?;
        artifact_listing(&uri, &entries)
    })
    .await
}

/// `GET /api/artifacts`'s answer: the root's URI and the entries of one directory.
pub fn artifact_listing(uri: &str, entries: &[crate::engine::artifacts::Entry]) -> ApiResult {
    let files: Vec<Value> = entries
        .iter()
        .map(|e| {
            json!({
                "path": e.path.to_string_lossy(),
                "is_dir": e.is_dir,
                "file_size": e.size,
            })
        })
        .collect();
    ok(&json!({"root_uri": uri, "files": files}))
}

async fn artifact(Shared(state): Shared_, request: Request) -> ApiResult {
    let q = Query::of(request.uri());
    let run_id = q.required("run_id")?;
    let path = q.required("path")?;
    let file = blocking(move || {
        let (root, _) = artifact_root(&state, &run_id)?;
        local_artifact_file(&root, &path, &run_id)
    })
    .await?;
    Ok(files::artifact_file(file, request).await)
}

/// The existing file `path` under a run's local artifact root, refused (400) if it would leave
/// the root, 404 if it is missing or a directory.
pub fn local_artifact_file(
    root: &std::path::Path,
    path: &str,
    run_id: &str,
) -> Result<std::path::PathBuf, ApiError> {
    let file = crate::engine::artifacts::confined(root, path)?;
    match std::fs::metadata(&file) {
        Ok(meta) if meta.is_file() => Ok(file),
        Ok(_) => Err(ApiError::not_found(format!(
            "{path:?} is a directory, not a file"
        ))),
        Err(_) => Err(no_artifact(path, run_id)),
    }
}

pub fn no_artifact(path: &str, run_id: &str) -> ApiError {
    ApiError::not_found(format!("No artifact {path:?} in run {run_id}"))
}

// ---- registry --------------------------------------------------------------------------------

fn version_json(v: &crate::engine::store::registry::ModelVersion) -> Value {
    json!({
        "version": v.version.to_string(),
        "status": v.status,
        "run_id": v.run_id,
        "source": v.source,
        "current_stage": v.current_stage,
        "aliases": v.aliases,
        "tags": object(v.tags.iter().map(|(k, v)| (k.clone(), v.clone()))),
        "creation_timestamp": v.creation_time,
        "description": v.description,
    })
}

fn model_json(m: &crate::engine::store::registry::RegisteredModel) -> Map<String, Value> {
    let aliases: HashMap<&str, String> = m
        .aliases
        .iter()
        .map(|(a, v)| (a.as_str(), v.to_string()))
        .collect();
    let value = json!({
        "name": m.name,
        "description": m.description,
        "creation_timestamp": m.creation_time,
        "last_updated_timestamp": m.last_updated_time,
        "aliases": aliases,
        "tags": object(m.tags.iter().map(|(k, v)| (k.clone(), v.clone()))),
        "latest_versions": m.latest_versions.iter().map(version_json).collect::<Vec<_>>(),
    });
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

async fn registered_models(Shared(state): Shared_, request: Request) -> ApiResult {
    let q = Query::of(request.uri());
    let filter = q.text("filter");
    blocking(move || {
        let store = store(&state)?;
        let mut all = Vec::new();
        let page = 10_000;
        loop {
            let found = store.search_registered_models(
                &filter,
                &["name ASC".to_owned()],
                page,
                all.len() as i64,
            )?;
            let full = found.len() as i64 == page;
            all.extend(found);
            if !full {
                break;
            }
        }
        registered_models_answer(&all)
    })
    .await
}

/// `GET /api/registered-models`'s answer.
pub fn registered_models_answer(
    models: &[crate::engine::store::registry::RegisteredModel],
) -> ApiResult {
    let list: Vec<Value> = models
        .iter()
        .map(|m| Value::Object(model_json(m)))
        .collect();
    ok(&json!({ "registered_models": list }))
}

async fn registered_model(Shared(state): Shared_, Path(name): Path<String>) -> ApiResult {
    blocking(move || {
        let store = store(&state)?;
        let model = store.get_registered_model(&name)?;
        registered_model_answer(&model, &store.versions_of_model(&name)?)
    })
    .await
}

/// `GET /api/registered-models/{name}`'s answer: the model and its versions, newest first.
pub fn registered_model_answer(
    model: &crate::engine::store::registry::RegisteredModel,
    versions: &[crate::engine::store::registry::ModelVersion],
) -> ApiResult {
    let mut map = model_json(model);
    let versions: Vec<Value> = versions.iter().map(version_json).collect();
    map.insert("versions".into(), versions.into());
    ok(&Value::Object(map))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_by_clauses_split_outside_quotes() {
        assert_eq!(
            split_clauses("metrics.`a,b` DESC, params.lr,start_time"),
            ["metrics.`a,b` DESC", "params.lr", "start_time"]
        );
        assert!(split_clauses(" , ").is_empty());
    }

    #[test]
    fn query_strings_decode() {
        let q = Query(url_pairs(
            "keys=loss%2Cx,acc&keys=%5B%22a%2Cb%22%5D&filter=a+%3D+1&x=",
        ));
        assert_eq!(q.list("keys").unwrap(), ["loss", "x", "acc", "a,b"]);
        assert_eq!(q.text("filter"), "a = 1");
        assert_eq!(q.get("x"), Some(""));
        assert!(q.list("none").unwrap().is_empty());
    }
}
