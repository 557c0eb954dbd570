//! MLflow's REST entities (protobuf JSON as the server writes it) to the engine's rows, and the
//! rows of a `log-batch` request back to JSON.

use serde_json::{Map, Value, json};

use crate::engine::error::{Error, Result};
use crate::engine::model::{
    DEFAULT_WORKSPACE, Dataset, DatasetInput, Experiment, Lifecycle, MetricPoint, Run, RunInfo,
    RunInputs,
};
use crate::engine::store::registry::{ModelVersion, RegisteredModel};

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
        // A server sends a run's outputs with it (`runs/get` and `runs/search` alike).
        outputs: v
            .pointer("/outputs/model_outputs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|o| Some((str_field(o, "model_id")?, int_field(o, "step")?)))
            .collect(),
    })
}

/// A `ModelVersion` message as MLflow's `ModelVersion.from_proto` reads it: unset strings and
/// timestamps are protobuf's defaults (`""`, 0), except the description, run id and status
/// message, which it reads as None when unset.
pub fn model_version(v: &Value) -> Result<ModelVersion> {
    let text = |key: &str| Some(str_field(v, key).unwrap_or_default());
    Ok(ModelVersion {
        name: str_field(v, "name").ok_or_else(|| malformed("a model version's name"))?,
        // The registry API writes version numbers as strings.
        version: int_field(v, "version").ok_or_else(|| malformed("a version number"))?,
        creation_time: Some(int_field(v, "creation_timestamp").unwrap_or(0)),
        last_updated_time: Some(int_field(v, "last_updated_timestamp").unwrap_or(0)),
        description: str_field(v, "description"),
        user_id: text("user_id"),
        current_stage: text("current_stage"),
        source: text("source"),
        run_id: str_field(v, "run_id"),
        // The enum's first value is protobuf's default.
        status: Some(str_field(v, "status").unwrap_or_else(|| "PENDING_REGISTRATION".to_owned())),
        status_message: str_field(v, "status_message"),
        run_link: text("run_link"),
        storage_location: None,
        workspace: DEFAULT_WORKSPACE.to_owned(),
        tags: key_values(v, "tags"),
        aliases: v
            .get("aliases")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
    })
}

/// A `RegisteredModel` message as `RegisteredModel.from_proto` reads it (an unset description
/// is `""` there).
pub fn registered_model(v: &Value) -> Result<RegisteredModel> {
    let latest_versions = v
        .get("latest_versions")
        .and_then(Value::as_array)
        .map_or(Ok(Vec::new()), |vs| vs.iter().map(model_version).collect())?;
    Ok(RegisteredModel {
        name: str_field(v, "name").ok_or_else(|| malformed("a registered model's name"))?,
        creation_time: Some(int_field(v, "creation_timestamp").unwrap_or(0)),
        last_updated_time: Some(int_field(v, "last_updated_timestamp").unwrap_or(0)),
        description: Some(str_field(v, "description").unwrap_or_default()),
        workspace: DEFAULT_WORKSPACE.to_owned(),
        tags: key_values(v, "tags"),
        aliases: v
            .get("aliases")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|a| Some((str_field(a, "alias")?, int_field(a, "version")?)))
                    .collect()
            })
            .unwrap_or_default(),
        latest_versions,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_version_reads_as_mlflows_from_proto_reads_it() {
        let full = model_version(&json!({
            "name": "m", "version": "3", "creation_timestamp": "17", "last_updated_timestamp": 18,
            "user_id": "u", "current_stage": "Staging", "description": "d", "source": "s3://b/m",
            "run_id": "r", "status": "READY", "status_message": "ok", "run_link": "http://x",
            "tags": [{"key": "k", "value": "v"}], "aliases": ["champion"],
        }))
        .unwrap();
        assert_eq!(full.version, 3);
        assert_eq!(
            (full.creation_time, full.last_updated_time),
            (Some(17), Some(18))
        );
        assert_eq!(full.tags, [("k".to_owned(), Some("v".to_owned()))]);
        assert_eq!(full.aliases, ["champion"]);
        assert_eq!(full.status_message.as_deref(), Some("ok"));
        // Unset fields: protobuf's defaults, but None where MLflow checks HasField.
        let bare = model_version(&json!({"name": "m", "version": "1"})).unwrap();
        assert_eq!(bare.creation_time, Some(0));
        assert_eq!(bare.user_id.as_deref(), Some(""));
        assert_eq!(bare.run_link.as_deref(), Some(""));
        assert_eq!(bare.status.as_deref(), Some("PENDING_REGISTRATION"));
        assert_eq!(
            (bare.description, bare.run_id, bare.status_message),
            (None, None, None)
        );
        assert!(model_version(&json!({"name": "m"})).is_err());
    }

    #[test]
    fn a_registered_model_reads_with_its_aliases_and_latest_versions() {
        let rm = registered_model(&json!({
            "name": "m", "creation_timestamp": 5,
            "aliases": [{"alias": "a", "version": "2"}],
            "latest_versions": [{"name": "m", "version": "2", "current_stage": "None"}],
        }))
        .unwrap();
        assert_eq!(rm.description.as_deref(), Some(""));
        assert_eq!(rm.aliases, [("a".to_owned(), 2)]);
        assert_eq!(rm.latest_versions[0].version, 2);
        assert_eq!(rm.last_updated_time, Some(0));
        assert!(registered_model(&Value::Null).is_err());
    }
}
