"""What autologging records besides params and metrics, in the form MLflow's autologging
gives it: training and evaluation data as datasets, and the trained model."""

from __future__ import annotations

import importlib

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def make_dataset(features: Any, targets: Any = None, name: str | None = None) -> Any:
    """`mlrs.data.from_numpy(features, targets)` (or `from_pandas(df)`) as MLflow's autologging
    builds it from training or evaluation data; None for other data types."""
    import numpy as np

    from mlrs import data

    kwargs = {} if name is None else {"name": name}
    module = type(features).__module__
    if module.startswith("pandas") and type(features).__name__ == "DataFrame":
        return data.from_pandas(features, **kwargs)
    if module.startswith("scipy.sparse") or hasattr(features, "toarray"):
        features = features.toarray()
    if targets is not None and hasattr(targets, "toarray"):
        targets = targets.toarray()
    if not isinstance(features, np.ndarray):
        return None
    if targets is None:
        return data.from_numpy(features, **kwargs)
    return data.from_numpy(features, targets=targets, **kwargs)


def log_dataset_to(run_id: str, dataset: Any, context: str) -> None:
    """`dataset` as an input of run `run_id` with the `mlflow.data.context` tag `context`."""
    from mlrs import _runtime
    from mlrs import _validation as check
    from mlrs._datasets import log_inputs_to
    from mlrs.entities.dataset_input import DatasetInput
    from mlrs.entities.input_tag import InputTag

    tags = [InputTag("mlflow.data.context", context)]
    inputs = [DatasetInput(dataset._to_mlflow_entity(), tags)]
    # Guarded as `MlflowClient.log_inputs` is.
    check.mlflow_errors(log_inputs_to)(_runtime.get_store(), run_id, inputs, None)


def log_dataset(
    features: Any, targets: Any = None, context: str = "train", name: str | None = None
) -> None:
    """`mlrs.log_input(make_dataset(features, targets), context)` into the active run; a no-op
    for other data types."""
    from mlrs._datasets import log_input

    dataset = make_dataset(features, targets, name)
    if dataset is not None:
        log_input(dataset, context=context)


def log_model(flavor: str, model: Any, name: str = "model", **kwargs: Any) -> Any:
    """`mlrs.<flavor>.log_model(model, name=name, **kwargs)`; None, after one warning naming
    the pip command, when the flavor needs a package that is not installed (the run is logged
    all the same)."""
    from mlrs._extras import MissingExtraError, warn_once

    try:
        return importlib.import_module(f"mlrs.{flavor}").log_model(model, name=name, **kwargs)
    except MissingExtraError as e:
        warn_once(e)
        return None
