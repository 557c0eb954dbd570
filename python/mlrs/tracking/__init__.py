"""`mlrs.tracking`, at MLflow's import path: the client and the tracking-URI functions."""

from mlrs._runtime import get_tracking_uri, is_tracking_uri_set, set_tracking_uri
from mlrs.tracking.client import MlflowClient

__all__ = ["MlflowClient", "get_tracking_uri", "is_tracking_uri_set", "set_tracking_uri"]
