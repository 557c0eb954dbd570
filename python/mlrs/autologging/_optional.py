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


def log_dataset(
    features: Any, targets: Any = None, context: str = "train", name: str | None = None
) -> None:
    """`mlrs.log_input(mlrs.data.from_numpy(features, targets) or from_pandas(df), context)`
    into the active run; a no-op for other data types or without `mlrs.log_input`."""
    mlrs = _mlrs()
    if not (hasattr(mlrs, "log_input") and hasattr(mlrs, "data")):
        return
    import numpy as np

    kwargs = {} if name is None else {"name": name}
    module = type(features).__module__
    if module.startswith("pandas") and type(features).__name__ == "DataFrame":
        dataset = mlrs.data.from_pandas(features, **kwargs)
    else:
        if module.startswith("scipy.sparse") or hasattr(features, "toarray"):
            features = features.toarray()
        if targets is not None and hasattr(targets, "toarray"):
            targets = targets.toarray()
        if not isinstance(features, np.ndarray):
            return
        if targets is None:
            dataset = mlrs.data.from_numpy(features, **kwargs)
        else:
            dataset = mlrs.data.from_numpy(features, targets=targets, **kwargs)
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
