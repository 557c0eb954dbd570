//! MLflow's REST entities (protobuf JSON as the server writes it) to the engine's rows, and the
//! rows of a `log-batch` request back to JSON.

use serde_json::{Map, Value, json};

use crate::engine::error::{Error, Result};
use crate::engine::model::{
    DEFAULT_WORKSPACE, Dataset, DatasetInput, Experiment, Lifecycle, MetricPoint, Run, RunInfo,
    RunInputs,
};

fn malformed(what: &str) -> Error {
    Error::internal(format!(
        "The tracking server's answer lacks {what}; is it an MLflow tracking server?"
    ))
}

pub(super) fn str_field(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// An int64 field: protobuf JSON may write it as a number or as a string.
pub(super) fn int_field(v: &Value, key: &str) -> Option<i64> {
    match v.get(key)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// A double field: a number, or "NaN" / "Infinity" / "-Infinity".
pub(super) fn float_field(v: &Value, key: &str) -> Option<f64> {
    match v.get(key)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => match s.as_str() {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            other => other.parse().ok(),
        },
        _ => None,
    }
}

pub(super) fn key_values(v: &Value, key: &str) -> Vec<(String, Option<String>)> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|t| Some((str_field(t, "key")?, str_field(t, "value"))))
                .collect()
        })
        .unwrap_or_default()
}

pub fn experiment_id(v: &Value) -> Result<i64> {
    int_field(v, "experiment_id").ok_or_else(|| malformed("an experiment id"))
}

pub fn experiment(v: &Value) -> Result<Experiment> {
    Ok(Experiment {
        experiment_id: experiment_id(v)?,
        name: str_field(v, "name").ok_or_else(|| malformed("an experiment name"))?,
        artifact_location: str_field(v, "artifact_location"),
        lifecycle_stage: Lifecycle::parse(&str_field(v, "lifecycle_stage").unwrap_or_default()),
        creation_time: int_field(v, "creation_time"),
        last_update_time: int_field(v, "last_update_time"),
        workspace: DEFAULT_WORKSPACE.to_owned(),
        tags: key_values(v, "tags")
            .into_iter()
            .map(|(k, v)| (k, v.unwrap_or_default()))
            .collect(),
    })
}

pub fn metric(v: &Value) -> Option<MetricPoint> {
    Some(MetricPoint::new(
        str_field(v, "key")?,
        float_field(v, "value")?,
        int_field(v, "timestamp").unwrap_or(0),
        int_field(v, "step").unwrap_or(0),
    ))
}

pub fn run_info(v: &Value) -> Result<RunInfo> {
    let run_id = str_field(v, "run_id")
        .or_else(|| str_field(v, "run_uuid"))
        .ok_or_else(|| malformed("a run id"))?;
    Ok(RunInfo {
        run_id,
        run_name: str_field(v, "run_name"),
        experiment_id: experiment_id(v)?,
        user_id: str_field(v, "user_id"),
        status: str_field(v, "status").unwrap_or_else(|| "RUNNING".to_owned()),
        start_time: int_field(v, "start_time"),
        end_time: int_field(v, "end_time"),
        lifecycle_stage: Lifecycle::parse(&str_field(v, "lifecycle_stage").unwrap_or_default()),
        artifact_uri: str_field(v, "artifact_uri"),
    })
}

fn dataset(v: &Value) -> Dataset {
    Dataset {
        name: str_field(v, "name").unwrap_or_default(),
        digest: str_field(v, "digest").unwrap_or_default(),
        source_type: str_field(v, "source_type").unwrap_or_default(),
        source: str_field(v, "source").unwrap_or_default(),
        schema: str_field(v, "schema"),
        profile: str_field(v, "profile"),
    }
}

pub fn run(v: &Value) -> Result<Run> {
    let info = run_info(v.get("info").ok_or_else(|| malformed("a run's info"))?)?;
    let empty = Value::Object(Map::new());
    let data = v.get("data").unwrap_or(&empty);
    let inputs = v.get("inputs").unwrap_or(&empty);
    Ok(Run {
        info,
        latest_metrics: data
            .get("metrics")
            .and_then(Value::as_array)
            .map(|ms| ms.iter().filter_map(metric).collect())
            .unwrap_or_default(),
        params: key_values(data, "params")
            .into_iter()
            .map(|(k, v)| (k, v.unwrap_or_default()))
            .collect(),
        tags: key_values(data, "tags"),
        inputs: RunInputs {
            datasets: inputs
                .get("dataset_inputs")
                .and_then(Value::as_array)
                .map(|ds| {
                    ds.iter()
                        .map(|d| DatasetInput {
                            dataset: dataset(d.get("dataset").unwrap_or(&empty)),
                            tags: key_values(d, "tags")
                                .into_iter()
                                .map(|(k, v)| (k, v.unwrap_or_default()))
                                .collect(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            model_ids: inputs
                .get("model_inputs")
                .and_then(Value::as_array)
                .map(|ms| ms.iter().filter_map(|m| str_field(m, "model_id")).collect())
                .unwrap_or_default(),
        },
    })
}

/// A metric as `log-batch` takes it. NaN goes as "NaN"; ±inf were stored as ±max already.
pub fn metric_json(key: &str, value: f64, is_nan: bool, timestamp: i64, step: i64) -> Value {
    let value = if is_nan {
        Value::String("NaN".to_owned())
    } else {
        json!(value)
    };
    json!({"key": key, "value": value, "timestamp": timestamp, "step": step})
}

/// A list of `{key, value}` objects (a None value is left out, as protobuf does).
pub fn key_values_json<'a>(items: impl IntoIterator<Item = (&'a str, Option<&'a str>)>) -> Value {
    Value::Array(
        items
            .into_iter()
            .map(|(k, v)| match v {
                Some(v) => json!({"key": k, "value": v}),
                None => json!({"key": k}),
            })
            .collect(),
    )
}

/// The page token MLflow's server gives for a page starting at `offset`.
pub fn page_token(offset: i64) -> Option<String> {
    (offset > 0).then(|| {
        crate::engine::remote::http::base64_encode(format!("{{\"offset\": {offset}}}").as_bytes())
    })
}
