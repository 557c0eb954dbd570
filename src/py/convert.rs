//! Engine values as the plain tuples the Python layer turns into mlflow entities.

use crate::engine::model::{Dataset, DatasetInput, Experiment, MetricPoint, Run, RunInputs};

/// `(experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time,
/// tags, workspace)`.
pub type ExperimentTuple = (
    String,
    String,
    Option<String>,
    &'static str,
    Option<i64>,
    Option<i64>,
    Vec<(String, String)>,
    String,
);

pub fn experiment(e: Experiment) -> ExperimentTuple {
    (
        e.experiment_id.to_string(),
        e.name,
        e.artifact_location,
        e.lifecycle_stage.as_str(),
        e.creation_time,
        e.last_update_time,
        e.tags,
        e.workspace,
    )
}

/// `(key, value, timestamp, step)` with NaN restored.
pub type MetricTuple = (String, f64, i64, i64);

pub fn metric(p: MetricPoint) -> MetricTuple {
    let value = p.read_value();
    (p.key.into_string(), value, p.timestamp_ms, p.step)
}

/// `(name, digest, source_type, source, schema, profile)`.
pub type DatasetTuple = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
);

/// `(dataset, [(key, value), ...])`.
pub type DatasetInputTuple = (DatasetTuple, Vec<(String, String)>);

pub fn dataset_input_from_tuple((d, tags): DatasetInputTuple) -> DatasetInput {
    let (name, digest, source_type, source, schema, profile) = d;
    DatasetInput {
        dataset: Dataset {
            name,
            digest,
            source_type,
            source,
            schema,
            profile,
        },
        tags,
    }
}

/// `([dataset input, ...], [model_id, ...])`.
pub type RunInputsTuple = (Vec<DatasetInputTuple>, Vec<String>);

fn run_inputs(inputs: RunInputs) -> RunInputsTuple {
    let datasets = inputs
        .datasets
        .into_iter()
        .map(|DatasetInput { dataset: d, tags }| {
            (
                (
                    d.name,
                    d.digest,
                    d.source_type,
                    d.source,
                    d.schema,
                    d.profile,
                ),
                tags,
            )
        })
        .collect();
    (datasets, inputs.model_ids)
}

/// `((run_id, run_name, experiment_id, user_id, status, start_time, end_time, lifecycle_stage,
/// artifact_uri), metrics, params, tags, inputs, model outputs)`.
pub type RunTuple = (
    (
        String,
        Option<String>,
        String,
        Option<String>,
        String,
        Option<i64>,
        Option<i64>,
        &'static str,
        Option<String>,
    ),
    Vec<MetricTuple>,
    Vec<(String, String)>,
    Vec<(String, Option<String>)>,
    RunInputsTuple,
    Vec<(String, i64)>,
);

pub fn run(r: Run) -> RunTuple {
    let i = r.info;
    (
        (
            i.run_id,
            i.run_name,
            i.experiment_id.to_string(),
            i.user_id,
            i.status,
            i.start_time,
            i.end_time,
            i.lifecycle_stage.as_str(),
            i.artifact_uri,
        ),
        r.latest_metrics.into_iter().map(metric).collect(),
        r.params,
        r.tags,
        run_inputs(r.inputs),
        r.outputs,
    )
}
