//! The remote store: an MLflow tracking server over its REST API (what `mlflow server`, Azure ML
//! and Databricks workspaces speak), behind the same [`Backend`] interface as the SQLite store.
//!
//! Log calls validate at the call against a cache of the runs this process logs to (its
//! lifecycle, its params) and queue; the writer thread appends what is queued to the spool (an
//! SQLite file, durable before anything is sent) and the shipper thread sends the spool as
//! `runs/log-batch` requests within MLflow's limits over one keep-alive connection (see
//! `spool.rs` for the invariants). Everything else is a request on the caller's thread, after
//! what the process queued before it has been shipped (or found undeliverable for now): the
//! tracking API here, the model registry in `registry.rs`, artifacts in `artifacts.rs`.

pub mod artifacts;
pub mod http;
mod json;
pub mod models;
mod multipart;
mod registry;
pub mod spool;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde_json::{Value, json};

use crate::engine::backend::{Backend, OpenOptions, RunEndHook, RunEnds};
use crate::engine::clock::now_ms;
use crate::engine::error::{Error, Result};
use crate::engine::model::{
    DatasetInput, Experiment, Lifecycle, MetricPoint, MetricSeries, Run, RunId, RunStatus, ViewType,
};
use crate::engine::validate;
use crate::engine::writer::{Submitted, Unstored, Wait, WriteOp, Writer};
use http::Client;
use spool::{Shared, Shipper, SpoolFile, SpoolSink};

/// A refusal found at the call, worded as the server would answer it (`CODE: message`), since
/// MLflow's client leaves these checks to the server.
fn as_server(error: Error) -> Error {
    match error {
        Error::Mlflow { code, message } => Error::Mlflow {
            code,
            message: format!("{code}: {message}"),
        },
        other => other,
    }
}

/// The server caps a page at this many results (`SEARCH_MAX_RESULTS_THRESHOLD`).
const MAX_PAGE: i64 = 50_000;

/// What the store knows about a run it logs to.
struct CachedRun {
    lifecycle: Lifecycle,
    params: HashMap<String, String>,
}

pub struct RemoteStore {
    client: Client,
    writer: Writer<SpoolSink>,
    shared: Arc<Shared>,
    spool: SpoolFile,
    runs: Mutex<HashMap<String, CachedRun>>,
    shipper: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// What must stop when a run ends (its system-metrics monitor).
    run_ends: RunEnds,
}

fn spool_root(options: &OpenOptions) -> PathBuf {
    options.spool_dir.clone().unwrap_or_else(|| {
        let home = std::env::var_os("HOME").map_or_else(std::env::temp_dir, PathBuf::from);
        home.join(".cache").join("mlrs").join("spool")
    })
}

fn view_type_name(view_type: ViewType) -> &'static str {
    match view_type {
        ViewType::ActiveOnly => "ACTIVE_ONLY",
        ViewType::DeletedOnly => "DELETED_ONLY",
        ViewType::All => "ALL",
    }
}

/// The server's base URL (as given, without a trailing slash), once it is an absolute http(s)
/// URL that names a host.
fn parse_base(uri: &str) -> Result<String> {
    let invalid =
        |why: &str| Error::invalid(format!("Invalid tracking server URI '{uri}': {why}."));
    // The URL parser reads `http:host`, `http:/host` and `http:///host` as `http://host`; a
    // tracking URI spells out `://` followed by the host.
    let Some((_, rest)) = uri.split_once("://") else {
        return Err(invalid("no '://'"));
    };
    if rest.starts_with('/') {
        return Err(invalid("it names no host"));
    }
    let parsed = url::Url::parse(uri).map_err(|e| match e {
        url::ParseError::EmptyHost => invalid("it names no host"),
        url::ParseError::InvalidPort => invalid("the port is not a number"),
        other => invalid(&other.to_string()),
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid("the scheme is not http or https"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(invalid("it names no host"));
    }
    Ok(uri.trim_end_matches('/').to_owned())
}

impl RemoteStore {
    /// Connects nothing yet: sets up the client, this process's spool file, the writer and the
    /// shipper (which first sends what ended processes left in this server's spool).
    pub fn open(uri: &str, options: &OpenOptions) -> Result<Self> {
        let base = parse_base(uri)?;
        let client = Client::new(&base, http::Settings::from_env()?, None)?;
        let dir = spool::server_dir(&spool_root(options), &base);
        let spool = SpoolFile::create(&dir)?;
        let (head, appended) = spool::bounds(&spool.path)?;
        let shared = Shared::new(appended, head);
        let sink = SpoolSink::new(&spool.path, Arc::clone(&shared))?;
        let writer = Writer::spawn(sink, options.writer)?;
        let shipper = Shipper::new(client.clone(), Arc::clone(&shared));
        let own = spool.path.clone();
        let handle = std::thread::Builder::new()
            .name("mlrs-shipper".to_owned())
            .spawn(move || ship_all(&shipper, &dir, &own))
            .map_err(|e| Error::internal(format!("cannot start the mlrs shipper thread: {e}")))?;
        Ok(Self {
            client,
            writer,
            shared,
            spool,
            runs: Mutex::new(HashMap::new()),
            shipper: Mutex::new(Some(handle)),
            run_ends: RunEnds::new(),
        })
    }

    /// Waits until everything appended so far is shipped, the server is unreachable, or
    /// `deadline`; true when it is all shipped.
    fn wait_shipped(&self, deadline: Instant) -> bool {
        let mut state = self.shared.state.lock();
        let target = state.appended;
        loop {
            if state.head > target {
                return true;
            }
            if self.stalled(&state) || state.stop {
                return false;
            }
            if self
                .shared
                .changed
                .wait_until(&mut state, deadline)
                .timed_out()
            {
                return state.head > target;
            }
        }
    }

    /// The server has failed the request in flight more often than MLflow's client retries:
    /// callers stop waiting for it (what they queued is safe in the spool).
    fn stalled(&self, state: &spool::ShipState) -> bool {
        state.failures > self.client.settings.max_retries
    }

    fn cached_active(&self, run_id: &str) -> Result<()> {
        let runs = self.runs.lock();
        match runs.get(run_id).map(|r| r.lifecycle) {
            Some(Lifecycle::Active) => Ok(()),
            Some(other) => Err(Error::invalid(format!(
                "The run {run_id} must be in the 'active' state. Current state is {}.",
                other.as_str()
            ))),
            None => Err(Error::not_found(format!("Run with id={run_id} not found"))),
        }
    }

    fn ensure_cached(&self, run_id: &str) -> Result<()> {
        if !self.runs.lock().contains_key(run_id) {
            self.refresh_run(run_id)?;
        }
        self.cached_active(run_id)
    }

    /// Refuses changed params (MLflow's messages) and returns the params new to the run.
    fn claim_params(
        &self,
        run_id: &str,
        params: Vec<(String, String)>,
        single: bool,
    ) -> Result<Vec<(String, String)>> {
        let mut runs = self.runs.lock();
        let known = &mut runs.get_mut(run_id).expect("cached above").params;
        let changes: Vec<(&String, &String, &String)> = params
            .iter()
            .filter_map(|(k, new)| {
                known
                    .get(k)
                    .filter(|old| *old != new)
                    .map(|old| (k, old, new))
            })
            .collect();
        if let Some((key, old, new)) = changes.first() {
            if single {
                return Err(Error::invalid(format!(
                    "Changing param values is not allowed. Param with key='{key}' was already \
                     logged with value='{old}' for run ID='{run_id}'. Attempted logging new \
                     value '{new}'."
                )));
            }
            let listed: Vec<String> = changes
                .iter()
                .map(|(k, o, n)| {
                    format!(
                        "{{'key': {}, 'old_value': {}, 'new_value': {}}}",
                        validate::py_repr(k),
                        validate::py_repr(o),
                        validate::py_repr(n)
                    )
                })
                .collect();
            return Err(Error::invalid(format!(
                "Changing param values is not allowed. Params were already logged='[{}]' for \
                 run ID='{run_id}'.",
                listed.join(", ")
            )));
        }
        let fresh: Vec<(String, String)> = params
            .into_iter()
            .filter(|(k, _)| !known.contains_key(k))
            .collect();
        for (k, v) in &fresh {
            known.insert(k.clone(), v.clone());
        }
        Ok(fresh)
    }

    fn set_lifecycle(&self, run_id: &str, lifecycle: Lifecycle) {
        if let Some(run) = self.runs.lock().get_mut(run_id) {
            run.lifecycle = lifecycle;
        }
    }

    fn cache_run(&self, run: &Run) {
        self.runs.lock().insert(
            run.info.run_id.clone(),
            CachedRun {
                lifecycle: run.info.lifecycle_stage,
                params: run.params.iter().cloned().collect(),
            },
        );
    }
}

/// The shipper thread: what ended processes left first, then this process's spool.
fn ship_all(shipper: &Shipper, dir: &Path, own: &Path) {
    for path in spool::other_files(dir, own) {
        if let Some(file) = SpoolFile::adopt(&path)
            && let Ok(true) = shipper.ship_file(&file.path, false)
        {
            file.remove();
        }
    }
    if let Err(e) = shipper.ship_file(own, true) {
        eprintln!("mlrs: the shipper stopped: {e}");
    }
}

/// What `ship_leftovers` did: spool files emptied and removed, records sent, files left.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Shipped {
    pub files: usize,
    pub records: i64,
    pub left: usize,
}

/// Sends what ended processes left in the spool of the server at `uri` (under `spool_root`),
/// on the calling thread; gives up a file when the server fails a request more often than
/// MLflow's client retries. Files of live processes are left to them.
pub fn ship_leftovers(uri: &str, spool_root: &Path) -> Result<Shipped> {
    let base = parse_base(uri)?;
    let settings = http::Settings::from_env()?;
    let attempts = settings.max_retries;
    let client = Client::new(&base, settings, None)?;
    let dir = spool::server_dir(spool_root, &base);
    let shipper = Shipper::bounded(client, attempts);
    let mut done = Shipped::default();
    for path in spool::other_files(&dir, Path::new("")) {
        let Some(file) = SpoolFile::adopt(&path) else {
            done.left += 1;
            continue;
        };
        let (records, _) = spool::pending(&file.path)?;
        if shipper.ship_file(&file.path, false)? {
            file.remove();
            done.files += 1;
            done.records += records;
        } else {
            done.left += 1;
        }
    }
    Ok(done)
}

/// How long `close` waits for the spool to drain while the server answers.
fn exit_timeout() -> Duration {
    std::env::var("MLRS_EXIT_TIMEOUT")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map_or(Duration::from_secs(5), Duration::from_secs_f64)
}

impl Backend for RemoteStore {
    fn location(&self) -> String {
        self.client.base().to_owned()
    }

    fn remote_client(&self) -> Option<&Client> {
        Some(&self.client)
    }

    fn registry(&self) -> &dyn crate::engine::registry::Registry {
        self
    }

    fn models(&self) -> &dyn crate::engine::logged_models::LoggedModels {
        self
    }

    /// `runs/log-inputs`, as MLflow's REST store sends it (the server checks the values).
    fn log_inputs(
        &self,
        run_id: &str,
        datasets: Vec<DatasetInput>,
        model_ids: Vec<String>,
    ) -> Result<()> {
        let datasets: Vec<Value> = datasets
            .into_iter()
            .map(|input| {
                let d = input.dataset;
                let mut dataset = json!({
                    "name": d.name,
                    "digest": d.digest,
                    "source_type": d.source_type,
                    "source": d.source,
                });
                if let Some(schema) = d.schema {
                    dataset["schema"] = Value::String(schema);
                }
                if let Some(profile) = d.profile {
                    dataset["profile"] = Value::String(profile);
                }
                let tags: Vec<Value> = input
                    .tags
                    .into_iter()
                    .map(|(key, value)| json!({"key": key, "value": value}))
                    .collect();
                json!({"dataset": dataset, "tags": tags})
            })
            .collect();
        let models: Vec<Value> = model_ids
            .into_iter()
            .map(|id| json!({"model_id": id}))
            .collect();
        self.client.post(
            "runs/log-inputs",
            &json!({"run_id": run_id, "datasets": datasets, "models": models}),
        )?;
        Ok(())
    }

    fn default_artifact_root(&self) -> &'static str {
        ""
    }

    fn try_enqueue(&self, op: WriteOp) -> Result<Submitted> {
        self.writer.try_submit(op)
    }

    fn enqueue_blocking(&self, op: WriteOp) -> Result<()> {
        self.writer.submit_blocking(op)
    }

    fn flush_ticket(&self) -> u64 {
        self.writer.ticket()
    }

    /// Reached once the ops are in the spool and shipped, or the server is unreachable for now
    /// (they are safe in the spool then, and go out when it answers again).
    fn wait_for(&self, ticket: u64, slice: Duration) -> Result<Wait> {
        let deadline = Instant::now() + slice;
        if self.writer.wait(ticket, slice)? == Wait::TimedOut {
            return Ok(Wait::TimedOut);
        }
        let mut state = self.shared.state.lock();
        let target = state.appended;
        loop {
            if state.head > target || self.stalled(&state) || state.stop {
                return Ok(Wait::Reached);
            }
            if self
                .shared
                .changed
                .wait_until(&mut state, deadline)
                .timed_out()
            {
                return Ok(Wait::TimedOut);
            }
        }
    }

    fn check(&self) -> Result<()> {
        self.writer.check()?;
        match self.shared.state.lock().error.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn flush(&self) -> Result<()> {
        let ticket = self.flush_ticket();
        while self.wait_for(ticket, Duration::from_millis(100))? == Wait::TimedOut {}
        self.check()
    }

    fn close(&self) -> Result<()> {
        let unstored = self.close_within(exit_timeout());
        match unstored.failure {
            Some(e) => Err(e),
            None if unstored.ops > 0 => Err(Error::WriterStopped(format!(
                "{} queued writes were not spooled",
                unstored.ops
            ))),
            None => Ok(()),
        }
    }

    /// Spools what is queued, gives the shipper until `timeout` to send it, and reports on
    /// stderr what is left in the spool for a later process (kept, not lost).
    fn close_within(&self, timeout: Duration) -> Unstored {
        let deadline = Instant::now() + timeout;
        self.run_ends.close();
        let unstored = self.writer.close_within(timeout);
        let Some(handle) = self.shipper.lock().take() else {
            return unstored;
        };
        let shipped = self.wait_shipped(deadline);
        self.shared.state.lock().stop = true;
        self.shared.changed.notify_all();
        if shipped {
            let _ = handle.join();
        }
        match spool::pending(&self.spool.path) {
            Ok((0, _)) => self.spool.remove(),
            Ok((count, runs)) => {
                let shown: Vec<&str> = runs.iter().take(5).map(String::as_str).collect();
                let more = if runs.len() > shown.len() {
                    format!(" and {} more", runs.len() - shown.len())
                } else {
                    String::new()
                };
                eprintln!(
                    "mlrs: {count} record(s) of run(s) {}{more} could not be sent to {} and are \
                     kept in {}. The next mlrs process that logs to {} sends them first, or \
                     run: mlrs sync --ship {}",
                    shown.join(", "),
                    self.client.base(),
                    self.spool.path.display(),
                    self.client.base(),
                    self.client.base()
                );
            }
            Err(e) => eprintln!(
                "mlrs: cannot read the spool {}: {e}",
                self.spool.path.display()
            ),
        }
        let failure = unstored
            .failure
            .or_else(|| self.shared.state.lock().error.take());
        Unstored {
            ops: unstored.ops,
            failure,
        }
    }

    fn is_closed(&self) -> bool {
        self.writer.is_closing()
    }

    fn on_run_end(&self, run_id: &str, hook: RunEndHook) {
        self.run_ends.add(run_id, hook);
    }

    fn fresh_run_id(&self, run_id: &str) -> Option<RunId> {
        self.runs
            .lock()
            .get(run_id)
            .is_some_and(|r| r.lifecycle == Lifecycle::Active)
            .then(|| Arc::from(run_id))
    }

    fn metric_op(
        &self,
        run_id: &str,
        key: &str,
        value: f64,
        timestamp_ms: Option<i64>,
        step: i64,
    ) -> Result<WriteOp> {
        self.check_metric(run_id, key, value, timestamp_ms, step)
            .map_err(as_server)
    }

    fn param_op(&self, run_id: &str, key: &str, value: &str) -> Result<Option<WriteOp>> {
        self.check_param(run_id, key, value).map_err(as_server)
    }

    fn tag_op(&self, run_id: &str, key: &str, value: &str) -> Result<WriteOp> {
        self.check_tag(run_id, key, value).map_err(as_server)
    }

    fn batch_op(
        &self,
        run_id: &str,
        metrics: Vec<MetricPoint>,
        params: Vec<(String, String)>,
        tags: Vec<(String, Option<String>)>,
    ) -> Result<Option<WriteOp>> {
        self.check_batch(run_id, metrics, params, tags)
            .map_err(as_server)
    }

    fn create_experiment(
        &self,
        name: &str,
        artifact_location: Option<String>,
        tags: Vec<(String, String)>,
    ) -> Result<i64> {
        validate::validate_experiment_name(name)?;
        let mut body = json!({
            "name": name,
            "tags": json::key_values_json(tags.iter().map(|(k, v)| (k.as_str(), Some(v.as_str())))),
        });
        if let Some(location) = artifact_location.filter(|l| !l.is_empty()) {
            body["artifact_location"] = json!(location);
        }
        json::experiment_id(&self.client.post("experiments/create", &body)?)
    }

    fn get_experiment(&self, experiment_id: &str) -> Result<Experiment> {
        let id = if experiment_id.is_empty() {
            "0"
        } else {
            experiment_id
        };
        let answer = self
            .client
            .get("experiments/get", &[("experiment_id", id.to_owned())])?;
        json::experiment(answer.get("experiment").unwrap_or(&Value::Null))
    }

    fn get_experiment_by_name(&self, name: &str) -> Result<Option<Experiment>> {
        match self.client.get(
            "experiments/get-by-name",
            &[("experiment_name", name.to_owned())],
        ) {
            Ok(answer) => Ok(Some(json::experiment(
                answer.get("experiment").unwrap_or(&Value::Null),
            )?)),
            Err(e) if e.code().as_str() == "RESOURCE_DOES_NOT_EXIST" => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn search_experiments(
        &self,
        view_type: ViewType,
        filter: &str,
        order_by: &[String],
        max_results: i64,
        offset: i64,
    ) -> Result<Vec<Experiment>> {
        let mut body = json!({
            "max_results": (max_results + 1).min(MAX_PAGE),
            "filter": filter,
            "order_by": order_by,
            "view_type": view_type_name(view_type),
        });
        if let Some(token) = json::page_token(offset) {
            body["page_token"] = json!(token);
        }
        let answer = self.client.post("experiments/search", &body)?;
        answer
            .get("experiments")
            .and_then(Value::as_array)
            .map_or(Ok(Vec::new()), |es| {
                es.iter().map(json::experiment).collect()
            })
    }

    fn delete_experiment(&self, experiment_id: &str) -> Result<()> {
        self.client.post(
            "experiments/delete",
            &json!({"experiment_id": experiment_id}),
        )?;
        Ok(())
    }

    fn restore_experiment(&self, experiment_id: &str) -> Result<()> {
        self.client.post(
            "experiments/restore",
            &json!({"experiment_id": experiment_id}),
        )?;
        Ok(())
    }

    fn rename_experiment(&self, experiment_id: &str, new_name: &str) -> Result<()> {
        self.client.post(
            "experiments/update",
            &json!({"experiment_id": experiment_id, "new_name": new_name}),
        )?;
        Ok(())
    }

    fn set_experiment_tag(&self, experiment_id: &str, key: &str, value: &str) -> Result<()> {
        validate::validate_experiment_tag(key, value)?;
        self.client.post(
            "experiments/set-experiment-tag",
            &json!({"experiment_id": experiment_id, "key": key, "value": value}),
        )?;
        Ok(())
    }

    fn delete_experiment_tag(&self, experiment_id: &str, key: &str) -> Result<()> {
        self.client.post(
            "experiments/delete-experiment-tag",
            &json!({"experiment_id": experiment_id, "key": key}),
        )?;
        Ok(())
    }

    fn create_run(
        &self,
        experiment_id: &str,
        user_id: &str,
        start_time: i64,
        run_name: Option<String>,
        tags: Vec<(String, Option<String>)>,
    ) -> Result<Run> {
        let mut body = json!({
            "experiment_id": if experiment_id.is_empty() { "0" } else { experiment_id },
            "user_id": user_id,
            "start_time": start_time,
            "tags": json::key_values_json(tags.iter().map(|(k, v)| (k.as_str(), v.as_deref()))),
        });
        if let Some(name) = run_name {
            body["run_name"] = json!(name);
        }
        let answer = self.client.post("runs/create", &body)?;
        let run = json::run(answer.get("run").unwrap_or(&Value::Null))?;
        self.cache_run(&run);
        Ok(run)
    }

    fn search_runs(
        &self,
        experiment_ids: &[String],
        view_type: ViewType,
        filter: &str,
        order_by: &[String],
        max_results: i64,
        offset: i64,
    ) -> Result<Vec<Run>> {
        let mut body = json!({
            "experiment_ids": experiment_ids,
            "filter": filter,
            "run_view_type": view_type_name(view_type),
            "max_results": (max_results + 1).min(MAX_PAGE),
            "order_by": order_by,
        });
        if let Some(token) = json::page_token(offset) {
            body["page_token"] = json!(token);
        }
        let answer = self.client.post("runs/search", &body)?;
        answer
            .get("runs")
            .and_then(Value::as_array)
            .map_or(Ok(Vec::new()), |rs| rs.iter().map(json::run).collect())
    }

    fn get_run(&self, run_id: &str) -> Result<Run> {
        validate::validate_run_id(run_id)?;
        self.fetch_run(run_id)
    }

    /// Queued behind the run's data (an end of run must not overtake its metrics), so it
    /// survives an outage in the spool like them.
    fn update_run_info(
        &self,
        run_id: &str,
        status: Option<RunStatus>,
        end_time: Option<i64>,
        run_name: Option<String>,
    ) -> Result<()> {
        self.ensure_cached(run_id).map_err(as_server)?;
        let update = spool::RunUpdate {
            run_id: run_id.to_owned(),
            status: status.map(|s| s.as_str().to_owned()),
            end_time,
            run_name: run_name.filter(|n| !n.is_empty()),
        };
        let (reply, result) = crossbeam_channel::bounded(1);
        self.writer
            .submit_control(Box::new(move |sink: &mut SpoolSink| {
                let _ = reply.send(sink.append_update(&update));
            }))?;
        result
            .recv()
            .map_err(|_| Error::WriterStopped("the writer dropped a request".into()))??;
        self.run_ends.changed(run_id, status, false);
        Ok(())
    }

    fn delete_run(&self, run_id: &str) -> Result<()> {
        self.client
            .post("runs/delete", &json!({"run_id": run_id}))?;
        self.set_lifecycle(run_id, Lifecycle::Deleted);
        self.run_ends.changed(run_id, None, true);
        Ok(())
    }

    fn restore_run(&self, run_id: &str) -> Result<()> {
        self.client
            .post("runs/restore", &json!({"run_id": run_id}))?;
        self.set_lifecycle(run_id, Lifecycle::Active);
        Ok(())
    }

    fn delete_tag(&self, run_id: &str, key: &str) -> Result<()> {
        self.client
            .post("runs/delete-tag", &json!({"run_id": run_id, "key": key}))?;
        Ok(())
    }

    fn get_metric_series(
        &self,
        run_id: &str,
        key: &str,
        max_points: Option<usize>,
    ) -> Result<MetricSeries> {
        let answer = self.client.get(
            "metrics/get-history",
            &[
                ("run_id", run_id.to_owned()),
                ("metric_key", key.to_owned()),
            ],
        )?;
        let mut series = MetricSeries::default();
        for point in answer
            .get("metrics")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(json::metric)
        {
            series.steps.push(point.step);
            series.timestamps.push(point.timestamp_ms);
            series.values.push(point.read_value());
        }
        Ok(match max_points {
            Some(n) => series.downsample(n),
            None => series,
        })
    }
}

impl RemoteStore {
    /// Reads the run's lifecycle and params from the server into the cache.
    fn refresh_run(&self, run_id: &str) -> Result<()> {
        let run = self.fetch_run(run_id)?;
        let mut runs = self.runs.lock();
        let entry = runs.entry(run_id.to_owned()).or_insert_with(|| CachedRun {
            lifecycle: run.info.lifecycle_stage,
            params: HashMap::new(),
        });
        entry.lifecycle = run.info.lifecycle_stage;
        for (k, v) in run.params {
            entry.params.entry(k).or_insert(v);
        }
        Ok(())
    }

    fn fetch_run(&self, run_id: &str) -> Result<Run> {
        let answer = self
            .client
            .get("runs/get", &[("run_id", run_id.to_owned())])?;
        json::run(answer.get("run").unwrap_or(&Value::Null))
    }

    // ---- the checks of log calls, against the run cache --------------------------------------

    fn check_metric(
        &self,
        run_id: &str,
        key: &str,
        value: f64,
        timestamp_ms: Option<i64>,
        step: i64,
    ) -> Result<WriteOp> {
        validate::validate_metric_key(key, "")?;
        self.ensure_cached(run_id)?;
        let point = MetricPoint::new(
            key.to_owned(),
            value,
            timestamp_ms.unwrap_or_else(now_ms),
            step,
        );
        Ok(WriteOp::Metric {
            run_id: Arc::from(run_id),
            point,
        })
    }

    fn check_param(&self, run_id: &str, key: &str, value: &str) -> Result<Option<WriteOp>> {
        validate::validate_param(key, value, "")?;
        self.ensure_cached(run_id)?;
        let fresh = self.claim_params(run_id, vec![(key.to_owned(), value.to_owned())], true)?;
        Ok((!fresh.is_empty()).then(|| WriteOp::Batch {
            run_id: Arc::from(run_id),
            metrics: Vec::new(),
            params: fresh,
            tags: Vec::new(),
        }))
    }

    fn check_tag(&self, run_id: &str, key: &str, value: &str) -> Result<WriteOp> {
        validate::validate_tag(key, value, "")?;
        self.ensure_cached(run_id)?;
        Ok(WriteOp::Batch {
            run_id: Arc::from(run_id),
            metrics: Vec::new(),
            params: Vec::new(),
            tags: vec![(key.to_owned(), Some(value.to_owned()))],
        })
    }

    fn check_batch(
        &self,
        run_id: &str,
        metrics: Vec<MetricPoint>,
        params: Vec<(String, String)>,
        tags: Vec<(String, Option<String>)>,
    ) -> Result<Option<WriteOp>> {
        validate::validate_batch(run_id, &metrics, &params, &tags)?;
        self.ensure_cached(run_id)?;
        let params = if params.is_empty() {
            params
        } else {
            self.claim_params(run_id, params, false)?
        };
        if metrics.is_empty() && params.is_empty() && tags.is_empty() {
            return Ok(None);
        }
        Ok(Some(WriteOp::Batch {
            run_id: Arc::from(run_id),
            metrics,
            params,
            tags,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_url_is_kept_as_given_without_its_trailing_slash() {
        for (uri, base) in [
            ("http://127.0.0.1:5000/", "http://127.0.0.1:5000"),
            (
                "HTTPS://Host.example/prefix/",
                "HTTPS://Host.example/prefix",
            ),
            ("http://user:secret@[::1]:80", "http://user:secret@[::1]:80"),
        ] {
            assert_eq!(parse_base(uri).unwrap(), base);
        }
    }

    #[test]
    fn malformed_server_uris_say_what_is_wrong() {
        for (uri, why) in [
            ("http://:5000", "it names no host"),
            ("http:///path", "it names no host"),
            ("http://host:port", "the port is not a number"),
            ("http://host:99999", "the port is not a number"),
            ("http:/host", "no '://'"),
            ("host:5000", "no '://'"),
            ("ftp://host", "the scheme is not http or https"),
            ("http://ho st", "invalid international domain name"),
        ] {
            let err = parse_base(uri).unwrap_err();
            assert_eq!(err.code(), crate::engine::ErrorCode::InvalidParameterValue);
            assert_eq!(
                err.to_string(),
                format!("Invalid tracking server URI '{uri}': {why}."),
                "{uri}"
            );
        }
    }
}
