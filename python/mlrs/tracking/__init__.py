"""`mlrs.tracking`, at MLflow's import path: the client and the tracking- and registry-URI
functions."""

from mlrs._runtime import (
    get_registry_uri,
    get_tracking_uri,
    is_tracking_uri_set,
    set_registry_uri,
    set_tracking_uri,
)
from mlrs.tracking.client import MlflowClient

__all__ = [
    "MlflowClient",
    "get_registry_uri",
    "get_tracking_uri",
    "is_tracking_uri_set",
    "set_registry_uri",
    "set_tracking_uri",
]


def __getattr__(name: str) -> object:
    # `mlrs.tracking.fluent` without importing it first, as `mlflow.tracking.fluent` works.
    if name == "fluent":
        import importlib

        return importlib.import_module("mlrs.tracking.fluent")
    raise AttributeError(f"module 'mlrs.tracking' has no attribute {name!r}")
