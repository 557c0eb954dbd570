"""Rows from the engine (plain tuples) into mlflow-shaped entities."""

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

RUN_NAME_TAG = "mlflow.runName"


def experiment(row: tuple[Any, ...]) -> Experiment:
    experiment_id, name, location, stage, created, updated, tags, workspace = row
    return Experiment(
        experiment_id,
        name,
        location,
        stage,
        tags=[ExperimentTag(key, value) for key, value in tags],
        creation_time=created,
        last_update_time=updated,
        workspace=workspace,
    )


def run_inputs(row: tuple[Any, ...]) -> RunInputs:
    datasets, model_ids = row
    if not datasets and not model_ids:
        return RunInputs()
    from mlrs.entities.dataset import Dataset
    from mlrs.entities.dataset_input import DatasetInput
    from mlrs.entities.input_tag import InputTag
    from mlrs.entities.logged_model_input import LoggedModelInput

    return RunInputs(
        [
            DatasetInput(Dataset(*dataset), [InputTag(k, v) for k, v in tags])
            for dataset, tags in datasets
        ],
        [LoggedModelInput(model_id) for model_id in model_ids],
    )


def run(row: tuple[Any, ...]) -> Run:
    info, metrics, params, tags, inputs = row
    run_id, run_name, experiment_id, user_id, status, start, end, stage, artifact_uri = info
    tag_dict = dict(tags)
    # Runs written by old MLflow versions keep the name only in the tag.
    run_name = run_name or tag_dict.get(RUN_NAME_TAG)
    run_info = RunInfo(
        run_id=run_id,
        experiment_id=experiment_id,
        user_id=user_id,
        status=status,
        start_time=start,
        end_time=end,
        lifecycle_stage=stage,
        artifact_uri=artifact_uri,
        run_name=run_name,
    )
    data = RunData._from_dicts(Metric._from_rows(metrics), dict(params), tag_dict)
    return Run(run_info, data, run_inputs(inputs), RunOutputs())


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
