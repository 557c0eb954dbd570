"""Logging run inputs: the fluent ``log_input``/``log_inputs`` and what
``MlflowClient.log_inputs`` sends to the engine (which writes MLflow's ``datasets``, ``inputs``
and ``input_tags`` rows in one transaction)."""

from __future__ import annotations

from mlrs import _tracking
from mlrs._core import DatasetInputRow, DatasetRow
from mlrs.exceptions import MlflowException
from mlrs.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from mlrs._core import Store
    from mlrs.data.dataset import Dataset
    from mlrs.entities.dataset_input import DatasetInput
    from mlrs.entities.logged_model_input import LoggedModelInput

MLFLOW_DATASET_CONTEXT = "mlflow.data.context"


def _invalid(message: str) -> MlflowException:
    return MlflowException(message, INVALID_PARAMETER_VALUE)


def _dataset_row(dataset: Any) -> DatasetRow:
    """The six stored fields of an entity Dataset, refusing missing ones as MLflow does."""
    if dataset is None:
        raise _invalid("Dataset cannot be None")
    for field in ("name", "digest", "source_type", "source"):
        if getattr(dataset, field) is None:
            raise _invalid(f"Dataset {field} cannot be None")
    return DatasetRow(
        name=dataset.name,
        digest=dataset.digest,
        source_type=dataset.source_type,
        source=dataset.source,
        schema=dataset.schema,
        profile=dataset.profile,
    )


def _tag_row(tag: Any) -> tuple[Any, Any]:
    if tag is None:
        raise _invalid("InputTag cannot be None")
    if tag.key is None:
        raise _invalid("InputTag key cannot be None")
    if tag.value is None:
        raise _invalid("InputTag value cannot be None")
    return tag.key, tag.value


def log_inputs_to(
    store: Store,
    run_id: str,
    datasets: Sequence[DatasetInput] | None,
    models: Sequence[LoggedModelInput] | None,
) -> None:
    """Checks and logs dataset inputs and model inputs to a run (``MlflowClient.log_inputs``)."""
    rows = []
    if datasets is not None:
        if not isinstance(datasets, list):
            raise TypeError(f"Argument 'datasets' should be a list, got '{type(datasets)}'")
        for dataset_input in datasets:
            rows.append(
                DatasetInputRow(
                    _dataset_row(dataset_input.dataset),
                    [_tag_row(tag) for tag in dataset_input.tags],
                )
            )
    model_ids = [model.model_id for model in models or ()]
    store.log_inputs(run_id, rows, model_ids)


def create_dataset_input(
    dataset: Dataset | None, context: str | None = None, tags: dict[str, str] | None = None
) -> DatasetInput | None:
    """The input entity of a dataset: user tags, then ``mlflow.data.context``."""
    from mlrs.entities.dataset_input import DatasetInput
    from mlrs.entities.input_tag import InputTag

    if (context or tags) and dataset is None:
        raise _invalid("`dataset` must be specified if `context` or `tags` is specified.")
    input_tags = [InputTag(key=k, value=v) for k, v in tags.items()] if tags else []
    if context:
        input_tags.append(InputTag(key=MLFLOW_DATASET_CONTEXT, value=context))
    return DatasetInput(dataset=dataset._to_mlflow_entity(), tags=input_tags) if dataset else None


def log_input(
    dataset: Dataset | None = None,
    context: str | None = None,
    tags: dict[str, str] | None = None,
    model: LoggedModelInput | None = None,
) -> None:
    """Logs a dataset (and/or a logged model) as an input of the active run, starting a run
    when none is active.

    Args:
        dataset: a dataset from ``mlrs.data`` (``from_pandas``, ``from_numpy``, ...).
        context: what it was used for, e.g. ``"training"``; stored as the input tag
            ``mlflow.data.context``.
        tags: more input tags, ``{key: value}``.
        model: a ``LoggedModelInput`` the run used.
    """
    store, run_id = _tracking.active_or_new()
    datasets = [create_dataset_input(dataset, context, tags)] if dataset else None
    models = [model] if model else None
    log_inputs_to(store, run_id, datasets, models)  # type: ignore[arg-type]


def log_inputs(
    datasets: list[Dataset | None] | None = None,
    contexts: list[str | None] | None = None,
    tags_list: list[dict[str, str] | None] | None = None,
    models: list[LoggedModelInput | None] | None = None,
) -> None:
    """Logs several datasets to the active run: ``datasets``, ``contexts`` and ``tags_list``
    are parallel lists of one length. ``models`` is refused, as MLflow refuses it outside
    Databricks."""
    store, run_id = _tracking.active_or_new()
    datasets = datasets or []
    contexts = contexts or []
    tags_list = tags_list or []
    if not (len(datasets) == len(contexts) == len(tags_list)):
        raise MlflowException(
            "`mlflow.log_inputs` requires `datasets`, `contexts`, `tags_list` to be non-empty "
            "list and have the same length."
        )
    if models:
        raise MlflowException("'models' argument is only supported by Databricks managed MLflow.")
    dataset_inputs = [
        create_dataset_input(dataset, context, tags)
        for dataset, context, tags in zip(datasets, contexts, tags_list, strict=True)
    ]
    log_inputs_to(store, run_id, dataset_inputs, None)  # type: ignore[arg-type]
