"""System metrics of runs, as MLflow 3.18 logs them: `start_run(log_system_metrics=True)`, or
every run with `enable_system_metrics_logging()` / `MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING`.

The sampling runs in the engine (`_core.SystemMetricsMonitor`: a Rust thread that reads the
kernel's counters and NVML when an NVIDIA driver is present), so it needs no psutil and never
takes the GIL; each step goes straight onto the run's store queue. The knobs are MLflow's
environment variables, read when a run starts. The monitor stops when its run ends, whichever
call ends it (fluent `end_run`, `MlflowClient.set_terminated` / `update_run` / `delete_run`,
closing the store): the store runs the monitor's run-end hook.
"""

from __future__ import annotations

import os

from mlrs import _core

TYPE_CHECKING = False
if TYPE_CHECKING:
    from mlrs._core import Store

_ENABLE_ENV = "MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING"
_INTERVAL_ENV = "MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL"
_SAMPLES_ENV = "MLFLOW_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING"
_NODE_ENV = "MLFLOW_SYSTEM_METRICS_NODE_ID"
_PREFIX = "system/"
_DEFAULT_INTERVAL_S = 10.0
_DEFAULT_SAMPLES = 1

# The monitors of runs started in this process, by run id.
_monitors: dict[str, _core.SystemMetricsMonitor] = {}
# Monitors inherited through fork: their thread does not exist in the child; never touched.
_abandoned: list[_core.SystemMetricsMonitor] = []


def enable_system_metrics_logging() -> None:
    """Logs system metrics for every run started from now on (a run can still opt out with
    `start_run(log_system_metrics=False)`)."""
    os.environ[_ENABLE_ENV] = "True"  # str(True), as MLflow writes it


def disable_system_metrics_logging() -> None:
    """Stops logging system metrics by default (a run can still opt in with
    `start_run(log_system_metrics=True)`)."""
    os.environ[_ENABLE_ENV] = "False"


def _set_or_unset(name: str, value: object) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = str(value)


def set_system_metrics_sampling_interval(interval: float | None) -> None:
    """Seconds between two samples (10 by default); None restores the default."""
    _set_or_unset(_INTERVAL_ENV, interval)


def set_system_metrics_samples_before_logging(samples: int | None) -> None:
    """How many samples are averaged into one logged step (1 by default); None restores it."""
    _set_or_unset(_SAMPLES_ENV, samples)


def set_system_metrics_node_id(node_id: str | None) -> None:
    """Names this machine in the metrics (`system/<node_id>/...`), for multi-node training;
    None removes it."""
    _set_or_unset(_NODE_ENV, node_id)


def enabled_by_default() -> bool:
    """`MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING`, parsed as MLflow parses booleans."""
    value = os.environ.get(_ENABLE_ENV)
    if not value:
        return False
    lowered = value.lower()
    if lowered not in ("true", "false", "1", "0"):
        raise ValueError(
            f"{_ENABLE_ENV} value must be one of ['true', 'false', '1', '0'] (case-insensitive), "
            f"but got {value}"
        )
    return lowered in ("true", "1")


def _number(name: str, kind: type[float | int], default: float) -> float:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        parsed = kind(value)
    except ValueError as e:
        raise ValueError(f"Failed to convert {value!r} to {kind} for {name}: {e}") from e
    # As MLflow: `get() or default`, so 0 means the default.
    return parsed or default


def _next_step(store: Store, run_id: str) -> int:
    """One past the largest step of the run's latest `system/` metrics (0 if none), as MLflow
    continues a resumed run."""
    metrics = store.get_run(run_id).metrics
    steps = [step for key, _, _, step in metrics if key.startswith(_PREFIX)]
    return max(steps) + 1 if steps else 0


def start(store: Store, run_id: str, resumed: bool) -> None:
    """Starts the monitor of a run (stopping an earlier one of the same run)."""
    stop(run_id)
    # Monitors of runs that ended another way (`set_terminated`, `delete_run`, ...) were
    # stopped by their store's run-end hook; forget them.
    for ended in [rid for rid, monitor in _monitors.items() if not monitor.running]:
        del _monitors[ended]
    interval = _number(_INTERVAL_ENV, float, _DEFAULT_INTERVAL_S)
    samples = int(_number(_SAMPLES_ENV, int, _DEFAULT_SAMPLES))
    node = os.environ.get(_NODE_ENV)
    prefix = _PREFIX + (node + "/" if node else "")
    first_step = _next_step(store, run_id) if resumed else 0
    _monitors[run_id] = _core.SystemMetricsMonitor(
        store, run_id, interval, samples, prefix, first_step
    )


def stop(run_id: str) -> None:
    monitor = _monitors.pop(run_id, None)
    if monitor is not None:
        monitor.stop()


def stop_all() -> None:
    for run_id in list(_monitors):
        stop(run_id)


def forget_after_fork() -> None:
    _abandoned.extend(_monitors.values())
    _monitors.clear()
