"""The scikit-learn flavor: `mlrs.sklearn.autolog`, as `mlflow.sklearn.autolog`."""

from mlrs.sklearn._autolog import autolog

__all__ = ["autolog"]
