//! Logged models on a tracking server: MLflow 3.18's `logged-models` REST endpoints, sent as
//! its REST store sends them, and the JSON of its `LoggedModel` protobuf mapped to the engine's
//! rows. A model's files go through the artifact proxy (`artifacts.rs`), not through here.

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};

use super::RemoteStore;
use super::json::{float_field, int_field, key_values, str_field};
use crate::engine::error::{Error, Result};
use crate::engine::logged_models::{
    DatasetFilter, LoggedModel, LoggedModels, ModelMetric, ModelMetricPoint, NewModel, OrderBy,
};

/// Params that go with the create request, and in each later params request, as MLflow's
/// client batches them (`_MLFLOW_*_LOGGED_MODEL_PARAMS_BATCH_SIZE`).
const PARAMS_PER_REQUEST: usize = 100;

/// The most models one search request asks for; longer searches take several pages.
const SEARCH_PAGE: i64 = 1000;

/// `logged-models/<id>` with the id (or tag key) as one path segment.
fn model_endpoint(model_id: &str) -> String {
    format!(
        "logged-models/{}",
        utf8_percent_encode(model_id, NON_ALPHANUMERIC_BUT_SAFE)
    )
}

/// Percent-encodes all but what needs no encoding in a path segment (RFC 3986 unreserved).
const NON_ALPHANUMERIC_BUT_SAFE: &percent_encoding::AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `LoggedModelStatus` as the server names it in JSON, as the stored integer.
fn status_code(v: &Value) -> i64 {
    match v {
        Value::Number(n) => n.as_i64().unwrap_or(0),
        Value::String(s) => match s.as_str() {
            "LOGGED_MODEL_PENDING" => 1,
            "LOGGED_MODEL_READY" => 2,
            "LOGGED_MODEL_UPLOAD_FAILED" => 3,
            _ => 0,
        },
        _ => 0,
    }
}

fn status_name(status: i64) -> &'static str {
    match status {
        1 => "LOGGED_MODEL_PENDING",
        2 => "LOGGED_MODEL_READY",
        3 => "LOGGED_MODEL_UPLOAD_FAILED",
        _ => "LOGGED_MODEL_STATUS_UNSPECIFIED",
    }
}

fn malformed() -> Error {
    Error::internal(
        "The tracking server's answer lacks a logged model; is it an MLflow 3 tracking server?",
    )
}

fn pairs(v: &Value, key: &str) -> Vec<(String, String)> {
    key_values(v, key)
        .into_iter()
        .map(|(k, v)| (k, v.unwrap_or_default()))
        .collect()
}

/// A `LoggedModel` message. Strings the server leaves out read as "", as MLflow's client reads
/// them from the protobuf; the lifecycle stage is not part of the message (None).
fn logged_model(v: &Value) -> Result<LoggedModel> {
    let info = v.get("info").ok_or_else(malformed)?;
    let empty = json!({});
    let data = v.get("data").unwrap_or(&empty);
    let text = |key: &str| str_field(info, key).unwrap_or_default();
    let model_id = str_field(info, "model_id").ok_or_else(malformed)?;
    let metrics = data
        .get("metrics")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| {
            Some(ModelMetric {
                key: str_field(m, "key")?,
                value: float_field(m, "value"),
                timestamp_ms: int_field(m, "timestamp").unwrap_or(0),
                step: int_field(m, "step").unwrap_or(0),
                run_id: str_field(m, "run_id").unwrap_or_default(),
                dataset_name: str_field(m, "dataset_name"),
                dataset_digest: str_field(m, "dataset_digest"),
            })
        })
        .collect();
    Ok(LoggedModel {
        model_id,
        experiment_id: int_field(info, "experiment_id").ok_or_else(malformed)?,
        name: text("name"),
        artifact_location: text("artifact_uri"),
        creation_timestamp_ms: int_field(info, "creation_timestamp_ms").unwrap_or(0),
        last_updated_timestamp_ms: int_field(info, "last_updated_timestamp_ms").unwrap_or(0),
        status: info.get("status").map_or(0, status_code),
        lifecycle_stage: None,
        model_type: Some(text("model_type")),
        source_run_id: Some(text("source_run_id")),
        status_message: Some(text("status_message")),
        tags: pairs(info, "tags"),
        params: pairs(data, "params"),
        metrics,
    })
}

fn model_of(answer: &Value) -> Result<LoggedModel> {
    logged_model(answer.get("model").ok_or_else(malformed)?)
}

fn key_value_list(items: &[(String, String)]) -> Value {
    Value::Array(
        items
            .iter()
            .map(|(k, v)| json!({"key": k, "value": v}))
            .collect(),
    )
}

/// A metric value as protobuf JSON takes a double (JSON has no NaN or infinities).
fn double(value: f64) -> Value {
    if value.is_nan() {
        json!("NaN")
    } else if value.is_infinite() {
        json!(if value > 0.0 { "Infinity" } else { "-Infinity" })
    } else {
        json!(value)
    }
}

/// The page token MLflow's server gives for its models search from `offset`: the request's
/// experiments, filter and ordering with the offset, which the server checks against the
/// request (`SearchLoggedModelsPaginationToken`).
fn search_token(
    experiment_ids: &[String],
    filter: Option<&str>,
    order_by: &[Value],
    offset: i64,
) -> String {
    let token = json!({
        "experiment_ids": experiment_ids,
        "filter_string": filter,
        "order_by": if order_by.is_empty() { Value::Null } else { Value::Array(order_by.to_vec()) },
        "offset": offset,
    });
    super::http::base64_encode(token.to_string().as_bytes())
}

impl RemoteStore {
    fn log_params_in_batches(&self, model_id: &str, params: &[(String, String)]) -> Result<()> {
        let endpoint = format!("{}/params", model_endpoint(model_id));
        for batch in params.chunks(PARAMS_PER_REQUEST) {
            self.client.post(
                &endpoint,
                &json!({"model_id": model_id, "params": key_value_list(batch)}),
            )?;
        }
        Ok(())
    }

    /// Metric points as `runs/log-batch` takes them, each naming its model.
    fn log_linked_metrics(&self, run_id: &str, metrics: &[Value]) -> Result<()> {
        for batch in metrics.chunks(crate::engine::validate::MAX_METRICS_PER_BATCH) {
            self.client.post(
                "runs/log-batch",
                &json!({"run_id": run_id, "metrics": batch, "params": [], "tags": []}),
            )?;
        }
        Ok(())
    }
}

impl LoggedModels for RemoteStore {
    /// The server names an unnamed model; params past the first hundred follow in batches.
    fn create_logged_model(&self, new: NewModel) -> Result<LoggedModel> {
        let (first, rest) = new
            .params
            .split_at(new.params.len().min(PARAMS_PER_REQUEST));
        let mut body = json!({
            "experiment_id": new.experiment_id,
            "params": key_value_list(first),
            "tags": key_value_list(&new.tags),
        });
        if !new.name.is_empty() {
            body["name"] = json!(new.name);
        }
        if let Some(model_type) = &new.model_type {
            body["model_type"] = json!(model_type);
        }
        if let Some(run_id) = &new.source_run_id {
            body["source_run_id"] = json!(run_id);
        }
        let model = model_of(&self.client.post("logged-models", &body)?)?;
        if rest.is_empty() {
            return Ok(model);
        }
        self.log_params_in_batches(&model.model_id, rest)?;
        self.get_logged_model(&model.model_id, false)
    }

    fn finalize_logged_model(&self, model_id: &str, status: i64) -> Result<LoggedModel> {
        let body = json!({"model_id": model_id, "status": status_name(status)});
        model_of(
            &self
                .client
                .call("PATCH", &model_endpoint(model_id), &[], Some(&body))?,
        )
    }

    fn get_logged_model(&self, model_id: &str, allow_deleted: bool) -> Result<LoggedModel> {
        let query = if allow_deleted {
            vec![("allow_deleted", "true".to_owned())]
        } else {
            Vec::new()
        };
        model_of(&self.client.get(&model_endpoint(model_id), &query)?)
    }

    fn set_logged_model_tags(&self, model_id: &str, tags: Vec<(String, String)>) -> Result<()> {
        let endpoint = format!("{}/tags", model_endpoint(model_id));
        let body = json!({"tags": key_value_list(&tags)});
        self.client.call("PATCH", &endpoint, &[], Some(&body))?;
        Ok(())
    }

    fn delete_logged_model_tag(&self, model_id: &str, key: &str) -> Result<()> {
        let endpoint = format!(
            "{}/tags/{}",
            model_endpoint(model_id),
            utf8_percent_encode(key, NON_ALPHANUMERIC_BUT_SAFE)
        );
        self.client.call("DELETE", &endpoint, &[], None)?;
        Ok(())
    }

    fn delete_logged_model(&self, model_id: &str) -> Result<()> {
        let body = json!({"model_id": model_id});
        self.client
            .call("DELETE", &model_endpoint(model_id), &[], Some(&body))?;
        Ok(())
    }

    fn log_logged_model_params(&self, model_id: &str, params: Vec<(String, String)>) -> Result<()> {
        self.log_params_in_batches(model_id, &params)
    }

    /// Pages of the server's search from `offset` until `limit` models or the last page.
    fn search_logged_models(
        &self,
        experiment_ids: &[String],
        filter: Option<&str>,
        datasets: &[DatasetFilter],
        order_by: &[OrderBy],
        limit: i64,
        offset: i64,
    ) -> Result<Vec<LoggedModel>> {
        let datasets: Vec<Value> = datasets
            .iter()
            .map(|d| json!({"dataset_name": d.name, "dataset_digest": d.digest}))
            .collect();
        let order_by: Vec<Value> = order_by
            .iter()
            .map(|o| {
                json!({
                    "field_name": o.field,
                    "ascending": o.ascending,
                    "dataset_name": o.dataset_name,
                    "dataset_digest": o.dataset_digest,
                })
            })
            .collect();
        let mut found = Vec::new();
        let mut at = offset;
        while (found.len() as i64) < limit {
            let page = (limit - found.len() as i64).min(SEARCH_PAGE);
            let mut body = json!({
                "experiment_ids": experiment_ids,
                "datasets": datasets,
                "max_results": page,
                "order_by": order_by,
            });
            if let Some(filter) = filter {
                body["filter"] = json!(filter);
            }
            if at > 0 {
                body["page_token"] = json!(search_token(experiment_ids, filter, &order_by, at));
            }
            let answer = self.client.post("logged-models/search", &body)?;
            let models = answer
                .get("models")
                .and_then(Value::as_array)
                .map_or(Ok(Vec::new()), |ms| {
                    ms.iter().map(logged_model).collect::<Result<Vec<_>>>()
                })?;
            let count = models.len() as i64;
            found.extend(models);
            at += count;
            let more = answer
                .get("next_page_token")
                .and_then(Value::as_str)
                .is_some_and(|t| !t.is_empty());
            if !more || count == 0 {
                break;
            }
        }
        Ok(found)
    }

    fn log_outputs(&self, run_id: &str, outputs: Vec<(String, i64)>) -> Result<()> {
        let models: Vec<Value> = outputs
            .into_iter()
            .map(|(model_id, step)| json!({"model_id": model_id, "step": step}))
            .collect();
        self.client
            .post("runs/outputs", &json!({"run_id": run_id, "models": models}))?;
        Ok(())
    }

    /// As MLflow's `Model.log` does it: the run's metric history at `step` is logged again,
    /// each point naming the model (the server adds the model's metrics and keeps the run's).
    fn link_run_metrics_to_model(&self, model_id: &str, run_id: &str, step: i64) -> Result<()> {
        let run = self.fetch_run(run_id)?;
        let mut points = Vec::new();
        for latest in &run.latest_metrics {
            let answer = self.client.get(
                "metrics/get-history",
                &[
                    ("run_id", run_id.to_owned()),
                    ("metric_key", latest.key.to_string()),
                ],
            )?;
            for point in answer
                .get("metrics")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if int_field(point, "step").unwrap_or(0) != step
                    || str_field(point, "model_id").is_some()
                {
                    continue;
                }
                let mut linked = point.clone();
                linked["model_id"] = json!(model_id);
                linked["run_id"] = json!(run_id);
                points.push(linked);
            }
        }
        self.log_linked_metrics(run_id, &points)
    }

    fn log_model_metrics(&self, run_id: &str, points: Vec<ModelMetricPoint>) -> Result<()> {
        let metrics: Vec<Value> = points
            .into_iter()
            .map(|p| {
                let mut metric = json!({
                    "key": p.key,
                    "value": double(p.value),
                    "timestamp": p.timestamp_ms,
                    "step": p.step,
                    "model_id": p.model_id,
                    "run_id": run_id,
                });
                if let Some(name) = p.dataset_name {
                    metric["dataset_name"] = json!(name);
                }
                if let Some(digest) = p.dataset_digest {
                    metric["dataset_digest"] = json!(digest);
                }
                metric
            })
            .collect();
        self.log_linked_metrics(run_id, &metrics)
    }

    /// The `outputs` of each run as the server gives them with the run.
    fn model_outputs(&self, run_ids: &[String]) -> Result<Vec<Vec<(String, i64)>>> {
        run_ids
            .iter()
            .map(|run_id| {
                let answer = self.client.get("runs/get", &[("run_id", run_id.clone())])?;
                let run = answer.get("run").ok_or_else(malformed)?;
                Ok(super::json::run(run)?.outputs)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_message_maps_to_the_row_with_mlflows_defaults() {
        let answer = json!({"model": {
            "info": {
                "model_id": "m-1", "experiment_id": "7", "name": "n",
                "artifact_uri": "mlflow-artifacts:/7/models/m-1/artifacts",
                "creation_timestamp_ms": "5", "last_updated_timestamp_ms": 6,
                "status": "LOGGED_MODEL_READY", "tags": [{"key": "a", "value": "b"}],
            },
            "data": {
                "params": [{"key": "p", "value": "q"}],
                "metrics": [{"key": "k", "value": "NaN", "timestamp": 3, "step": 4,
                             "run_id": "r", "dataset_name": "d"}],
            },
        }});
        let m = model_of(&answer).unwrap();
        assert_eq!((m.experiment_id, m.status), (7, 2));
        assert_eq!(m.creation_timestamp_ms, 5);
        assert_eq!(m.model_type.as_deref(), Some(""));
        assert_eq!(m.tags, [("a".to_owned(), "b".to_owned())]);
        assert_eq!(m.params, [("p".to_owned(), "q".to_owned())]);
        assert!(m.metrics[0].value.is_some_and(f64::is_nan));
        assert_eq!(m.metrics[0].dataset_name.as_deref(), Some("d"));
        assert!(model_of(&json!({})).is_err());
    }

    #[test]
    fn statuses_and_path_segments_are_written_as_the_server_reads_them() {
        for code in 1..=3 {
            assert_eq!(status_code(&json!(status_name(code))), code);
        }
        assert_eq!(model_endpoint("m-1"), "logged-models/m-1");
        assert_eq!(model_endpoint("a/b c"), "logged-models/a%2Fb%20c");
        assert_eq!(double(f64::INFINITY), json!("Infinity"));
    }
}
