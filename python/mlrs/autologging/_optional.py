"""The calls autologging makes into parts of mlrs that may not be there (artifacts, datasets,
models). Each kind goes through one function here, which does nothing when its API is missing,
so the integrations start logging these once those APIs exist."""

from __future__ import annotations

import importlib

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def _mlrs() -> Any:
    return importlib.import_module("mlrs")


def has_artifacts() -> bool:
    return hasattr(_mlrs(), "log_artifact")


def log_artifact_file(local_path: str, artifact_path: str | None = None) -> None:
    """`mlrs.log_artifact(local_path, artifact_path)` into the active run."""
    mlrs = _mlrs()
    if hasattr(mlrs, "log_artifact"):
        mlrs.log_artifact(local_path, artifact_path)


def log_text(text: str, artifact_file: str) -> None:
    """`mlrs.log_text(text, artifact_file)` into the active run."""
    mlrs = _mlrs()
    if hasattr(mlrs, "log_text"):
        mlrs.log_text(text, artifact_file)


def log_dict(dictionary: dict[str, Any], artifact_file: str) -> None:
    """`mlrs.log_dict(dictionary, artifact_file)` into the active run."""
    mlrs = _mlrs()
    if hasattr(mlrs, "log_dict"):
        mlrs.log_dict(dictionary, artifact_file)


def has_figures() -> bool:
    return hasattr(_mlrs(), "log_figure")


def log_figure(figure: Any, artifact_file: str) -> None:
    """`mlrs.log_figure(figure, artifact_file)` into the active run."""
    mlrs = _mlrs()
    if hasattr(mlrs, "log_figure"):
        mlrs.log_figure(figure, artifact_file)


def has_datasets() -> bool:
    mlrs = _mlrs()
    return hasattr(mlrs, "log_input") and hasattr(mlrs, "data")


def make_dataset(features: Any, targets: Any = None, name: str | None = None) -> Any:
    """`mlrs.data.from_numpy(features, targets)` (or `from_pandas(df)`) as MLflow's autologging
    builds it from training or evaluation data; None for other data types or without
    `mlrs.data`."""
    mlrs = _mlrs()
    if not hasattr(mlrs, "data"):
        return None
    import numpy as np

    kwargs = {} if name is None else {"name": name}
    module = type(features).__module__
    if module.startswith("pandas") and type(features).__name__ == "DataFrame":
        return mlrs.data.from_pandas(features, **kwargs)
    if module.startswith("scipy.sparse") or hasattr(features, "toarray"):
        features = features.toarray()
    if targets is not None and hasattr(targets, "toarray"):
        targets = targets.toarray()
    if not isinstance(features, np.ndarray):
        return None
    if targets is None:
        return mlrs.data.from_numpy(features, **kwargs)
    return mlrs.data.from_numpy(features, targets=targets, **kwargs)


def log_dataset_to(run_id: str, dataset: Any, context: str) -> None:
    """`dataset` as an input of run `run_id` with the `mlflow.data.context` tag `context`."""
    from mlrs.entities.dataset_input import DatasetInput
    from mlrs.entities.input_tag import InputTag
    from mlrs.tracking.client import MlflowClient

    tags = [InputTag("mlflow.data.context", context)]
    MlflowClient().log_inputs(run_id, [DatasetInput(dataset._to_mlflow_entity(), tags)])


def log_dataset(
    features: Any, targets: Any = None, context: str = "train", name: str | None = None
) -> None:
    """`mlrs.log_input(make_dataset(features, targets), context)` into the active run; a no-op
    for other data types or without `mlrs.log_input`."""
    mlrs = _mlrs()
    if not hasattr(mlrs, "log_input"):
        return
    dataset = make_dataset(features, targets, name)
    if dataset is not None:
        mlrs.log_input(dataset, context=context)


def log_model(flavor: str, model: Any, name: str = "model", **kwargs: Any) -> Any:
    """`mlrs.<flavor>.log_model(model, name=name, **kwargs)`; None when the flavor has no
    `log_model` yet."""
    try:
        module = importlib.import_module(f"mlrs.{flavor}")
    except ImportError:
        return None
    log = getattr(module, "log_model", None)
    if log is None:
        return None
    return log(model, name=name, **kwargs)
