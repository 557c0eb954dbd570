"""``HTTPDatasetSource`` at MLflow's import path."""

from mlrs.data.sources import HTTPDatasetSource

__all__ = ["HTTPDatasetSource"]
