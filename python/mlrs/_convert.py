"""The engine's rows (`mlrs._core.RunRow`, `ExperimentRow`) into mlflow-shaped entities, and
runs into MLflow's DataFrame (`runs_to_pandas`)."""

from __future__ import annotations

from mlrs.entities.experiment import Experiment
from mlrs.entities.experiment_tag import ExperimentTag
from mlrs.entities.metric import Metric
from mlrs.entities.run import Run
from mlrs.entities.run_data import RunData
from mlrs.entities.run_info import RunInfo
from mlrs.entities.run_inputs import RunInputs
from mlrs.entities.run_outputs import RunOutputs

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from mlrs._core import DatasetInputRow, ExperimentRow, RunRow

RUN_NAME_TAG = "mlflow.runName"


# Nullable columns reach the entities as None, as MLflow's store passes them (the entities'
# annotations name the usual type): hence the `type: ignore[arg-type]`s below.


def experiment(row: ExperimentRow) -> Experiment:
    return Experiment(
        row.experiment_id,
        row.name,
        row.artifact_location,  # type: ignore[arg-type]
        row.lifecycle_stage,
        tags=[ExperimentTag(key, value) for key, value in row.tags],
        creation_time=row.creation_time,
        last_update_time=row.last_update_time,
        workspace=row.workspace,
    )


def run_inputs(datasets: list[DatasetInputRow], model_ids: list[str]) -> RunInputs:
    if not datasets and not model_ids:
        return RunInputs()
    from mlrs.entities.dataset import Dataset
    from mlrs.entities.dataset_input import DatasetInput
    from mlrs.entities.input_tag import InputTag
    from mlrs.entities.logged_model_input import LoggedModelInput

    inputs = []
    for each in datasets:
        d = each.dataset
        dataset = Dataset(d.name, d.digest, d.source_type, d.source, d.schema, d.profile)
        inputs.append(DatasetInput(dataset, [InputTag(k, v) for k, v in each.tags]))
    return RunInputs(inputs, [LoggedModelInput(model_id) for model_id in model_ids])


def run_outputs(outputs: list[tuple[str, int]]) -> RunOutputs:
    if not outputs:
        return RunOutputs()
    from mlrs.entities.logged_model_output import LoggedModelOutput

    return RunOutputs([LoggedModelOutput(model_id, step) for model_id, step in outputs])


def run(row: RunRow) -> Run:
    tags = dict(row.tags)
    # Runs written by old MLflow versions keep the name only in the tag.
    run_name = row.run_name or tags.get(RUN_NAME_TAG)
    info = RunInfo(
        run_id=row.run_id,
        experiment_id=row.experiment_id,
        user_id=row.user_id,  # type: ignore[arg-type]
        status=row.status,
        start_time=row.start_time,  # type: ignore[arg-type]
        end_time=row.end_time,
        lifecycle_stage=row.lifecycle_stage,
        artifact_uri=row.artifact_uri,
        run_name=run_name,
    )
    metrics = Metric._from_rows(row.metrics)
    data = RunData._from_dicts(metrics, dict(row.params), tags)  # type: ignore[arg-type]
    inputs = run_inputs(row.datasets, row.model_inputs)
    return Run(info, data, inputs, run_outputs(row.model_outputs))


def metric_columns(
    raw: tuple[bytes, bytes, bytes],
) -> tuple[list[int], list[int], list[float]]:
    """Steps, timestamps and values from the engine's native-endian int64/int64/float64
    buffers, through `array` (no per-point work in Python, no numpy needed)."""
    from array import array

    steps, timestamps, values = array("q"), array("q"), array("d")
    steps.frombytes(raw[0])
    timestamps.frombytes(raw[1])
    values.frombytes(raw[2])
    return steps.tolist(), timestamps.tolist(), values.tolist()


def metric_history(key: str, raw: tuple[bytes, bytes, bytes]) -> list[Metric]:
    from itertools import repeat

    steps, timestamps, values = metric_columns(raw)
    return Metric._from_rows(zip(repeat(key), values, timestamps, steps))


def runs_to_pandas(runs: list[Run]) -> Any:
    """MLflow's DataFrame: six info columns, then `metrics.*`, `params.*`, `tags.*`."""
    import pandas as pd

    def times(values: list[int | None]) -> Any:
        # MLflow converts element by element; one vectorised call gives the same column
        # (datetime64[us, UTC], NaT for None) 100x faster, except when every value is None:
        # MLflow's column is then timezone-naive, so that case keeps the element-wise form.
        if all(v is None for v in values):
            return [pd.to_datetime(v, unit="ms", utc=True) for v in values]
        return pd.to_datetime(values, unit="ms", utc=True)

    columns: dict[str, Any] = {
        "run_id": [r.info.run_id for r in runs],
        "experiment_id": [r.info.experiment_id for r in runs],
        "status": [r.info.status for r in runs],
        "artifact_uri": [r.info.artifact_uri for r in runs],
        "start_time": times([r.info.start_time for r in runs]),
        "end_time": times([r.info.end_time for r in runs]),
    }
    groups: list[tuple[str, object, list[dict[str, Any]]]] = [
        ("metrics", float("nan"), [r.data.metrics for r in runs]),
        ("params", None, [r.data.params for r in runs]),
        ("tags", None, [r.data.tags for r in runs]),
    ]
    for prefix, missing, values in groups:
        keys: dict[str, None] = {}
        for each in values:
            keys.update(dict.fromkeys(each))
        for key in keys:
            columns[f"{prefix}.{key}"] = [each.get(key, missing) for each in values]
    frame = pd.DataFrame(columns)
    if not runs:
        frame = pd.DataFrame({name: pd.Series(dtype="float64") for name in list(columns)[:6]})
    return frame
