"""What every autolog integration logs through: params and metrics as MLflow's autologging
logs them, tags, the active run's id and a function's argument names. On the tracking floor
(`mlrs._tracking`), so that integrations need no client and this package no integration."""

from __future__ import annotations

from mlrs import _runtime, _tracking

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_MAX_PARAM_VALUE = 6000
_MAX_KEY = 250


def truncated(value: Any, limit: int) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def log_params_to(run_id: str, params: dict[str, Any]) -> None:
    """Params as MLflow's autologging logs them: str'd, keys and values ellipsized to the
    limits, one batch."""
    from mlrs.entities.param import Param

    batch = [
        Param(truncated(k, _MAX_KEY), truncated(v, _MAX_PARAM_VALUE)) for k, v in params.items()
    ]
    _tracking.log_batch(_runtime.get_store(), run_id, params=batch)


def log_metrics_to(
    run_id: str,
    metrics: dict[str, Any],
    step: int = 0,
    model_id: str | None = None,
    dataset: Any = None,
) -> None:
    """Metrics at one step; with `model_id` they are that model's metrics too, and with
    `dataset` they name its name and digest (as MLflow's autologging links them)."""
    from mlrs.entities.metric import Metric

    now = _runtime.now_ms()
    named = (None, None) if dataset is None else (dataset.name, dataset.digest)
    batch = [Metric(k, float(v), now, step, model_id, *named) for k, v in metrics.items()]
    if batch:
        _tracking.log_batch(_runtime.get_store(), run_id, metrics=batch)


def set_tags_to(run_id: str, tags: dict[str, str]) -> None:
    from mlrs.entities.run_tag import RunTag

    _tracking.log_batch(_runtime.get_store(), run_id, tags=[RunTag(k, v) for k, v in tags.items()])


def active_run_id() -> str:
    run = _tracking.active_run()
    assert run is not None
    return str(run.info.run_id)


def arg_names(fn: Any) -> list[str]:
    import inspect

    return [p for p in inspect.signature(fn).parameters if p != "self"]
