"""The active model of each thread (`set_active_model`): metrics logged without a `model_id`
while one is active are linked to it, as in MLflow. Kept apart from `_logged_models` so the
`log_metric` hot path reads one module global and nothing else when no model was ever active."""

from __future__ import annotations

import os
import threading

_ENV = "MLFLOW_ACTIVE_MODEL_ID"
_LEGACY_ENV = "_MLFLOW_ACTIVE_MODEL_ID"

# False until a model may be active in some thread: set_active_model, or the environment
# naming one when mlrs was imported. The hot path checks only this.
possible = bool(os.environ.get(_ENV) or os.environ.get(_LEGACY_ENV))

_local = threading.local()


def _from_env() -> str | None:
    return os.environ.get(_ENV) or os.environ.get(_LEGACY_ENV)


def get() -> tuple[str | None, bool]:
    """`(model_id, set_by_user)` of this thread; a new thread starts from the environment."""
    try:
        return _local.context  # type: ignore[no-any-return]
    except AttributeError:
        _local.context = (_from_env(), False)
        return _local.context  # type: ignore[no-any-return]


def model_id() -> str | None:
    return get()[0]


def set_context(model_id: str | None, set_by_user: bool) -> None:
    global possible
    if model_id is not None:
        possible = True
    # An explicit None falls back to the environment, as MLflow's context does.
    _local.context = (model_id or _from_env(), set_by_user)


def restore(context: tuple[str | None, bool]) -> None:
    _local.context = context


def clear() -> None:
    os.environ.pop(_ENV, None)
    os.environ.pop(_LEGACY_ENV, None)
    _local.context = (None, False)
