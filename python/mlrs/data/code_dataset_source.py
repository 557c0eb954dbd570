"""``CodeDatasetSource`` at MLflow's import path."""

from mlrs.data.sources import CodeDatasetSource

__all__ = ["CodeDatasetSource"]
