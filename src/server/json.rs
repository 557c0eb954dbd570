//! The API's JSON shapes, built from the engine's rows.

use serde_json::{Map, Value, json};

use crate::engine::model::{Experiment, RunInfo};
use crate::engine::ui::table::{MetricSummary, TableRun};

/// A metric value: a number, or "NaN" / "Infinity" / "-Infinity".
pub fn number(v: f64) -> Value {
    if v.is_nan() {
        Value::from("NaN")
    } else if v == f64::INFINITY {
        Value::from("Infinity")
    } else if v == f64::NEG_INFINITY {
        Value::from("-Infinity")
    } else {
        serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
    }
}

pub fn numbers(values: &[f64]) -> Value {
    Value::Array(values.iter().map(|&v| number(v)).collect())
}

pub fn object<K: Into<String>, V: Into<Value>>(pairs: impl IntoIterator<Item = (K, V)>) -> Value {
    Value::Object(
        pairs
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect::<Map<String, Value>>(),
    )
}

pub fn experiment(e: &Experiment) -> Value {
    json!({
        "experiment_id": e.experiment_id.to_string(),
        "name": e.name,
        "artifact_location": e.artifact_location,
        "lifecycle_stage": e.lifecycle_stage.as_str(),
        "creation_time": e.creation_time,
        "last_update_time": e.last_update_time,
        "tags": object(e.tags.iter().map(|(k, v)| (k.clone(), v.clone()))),
    })
}

fn summary(m: &MetricSummary) -> Value {
    json!({
        "last": number(m.last),
        "min": number(m.min),
        "max": number(m.max),
        "first": number(m.first),
        "step": m.step,
        "timestamp": m.timestamp,
    })
}

fn info_fields(info: &RunInfo, tags: &[(String, String)], map: &mut Map<String, Value>) {
    let tag = |key: &str| tags.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let run_name = info.run_name.clone().or_else(|| tag("mlflow.runName"));
    map.insert("run_id".into(), info.run_id.clone().into());
    map.insert("run_name".into(), run_name.into());
    map.insert(
        "experiment_id".into(),
        info.experiment_id.to_string().into(),
    );
    map.insert("status".into(), info.status.clone().into());
    map.insert("start_time".into(), info.start_time.into());
    map.insert("end_time".into(), info.end_time.into());
    map.insert(
        "lifecycle_stage".into(),
        info.lifecycle_stage.as_str().into(),
    );
    map.insert("user_id".into(), info.user_id.clone().into());
}

/// A row of the runs table.
pub fn run(row: &TableRun) -> Map<String, Value> {
    let mut map = Map::new();
    info_fields(&row.info, &row.tags, &mut map);
    map.insert("parent_run_id".into(), row.parent_run_id.clone().into());
    map.insert(
        "metrics".into(),
        object(row.metrics.iter().map(|m| (m.key.clone(), summary(m)))),
    );
    map.insert(
        "params".into(),
        object(row.params.iter().map(|(k, v)| (k.clone(), v.clone()))),
    );
    map.insert(
        "tags".into(),
        object(row.tags.iter().map(|(k, v)| (k.clone(), v.clone()))),
    );
    map
}
