"""The XGBoost flavor: `mlrs.xgboost.autolog`, as `mlflow.xgboost.autolog`."""

from mlrs.xgboost._autolog import autolog

__all__ = ["autolog"]
