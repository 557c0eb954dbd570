"""The LightGBM flavor: `mlrs.lightgbm.autolog`, as `mlflow.lightgbm.autolog`."""

from mlrs.lightgbm._autolog import autolog

__all__ = ["autolog"]
