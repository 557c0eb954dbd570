"""System metrics sampled by the engine's thread (parity with mlflow 3.18 is in
tests/parity/scenarios/system_metrics.py): the thread lives exactly as long as the run, and a
machine without an NVIDIA driver logs everything but GPU metrics."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest

import mlrs
from mlrs import _core
from mlrs.exceptions import MlflowException


def _sampler_threads() -> int:
    count = 0
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/comm") as f:
                count += f.read().strip() == "mlrs-sysmetrics"
        except OSError:
            pass
    return count


@pytest.fixture(autouse=True)
def fast_sampling() -> Iterator[None]:
    mlrs.set_system_metrics_sampling_interval(0.02)
    yield
    for name in list(os.environ):
        if (
            name.startswith("MLFLOW_SYSTEM_METRICS")
            or name == "MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING"
        ):
            del os.environ[name]


def _wait_for_step(run_id: str, step: int, key: str = "system/cpu_utilization_percentage") -> None:
    client = mlrs.MlflowClient()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(m.step >= step for m in client.get_metric_history(run_id, key)):
            return
        time.sleep(0.01)
    raise AssertionError(f"no step {step} of {key}")


def test_the_sampler_thread_lives_as_long_as_the_run() -> None:
    assert _sampler_threads() == 0
    with mlrs.start_run(log_system_metrics=True) as run:
        _wait_for_step(run.info.run_id, 1)
        assert _sampler_threads() == 1
    assert _sampler_threads() == 0
    with mlrs.start_run():
        assert _sampler_threads() == 0


def test_reset_and_close_stop_the_sampler_too() -> None:
    mlrs.enable_system_metrics_logging()
    run = mlrs.start_run()
    _wait_for_step(run.info.run_id, 0)
    mlrs.close()
    assert _sampler_threads() == 0
    run = mlrs.start_run()
    _wait_for_step(run.info.run_id, 0)
    mlrs.reset()
    assert _sampler_threads() == 0


def test_without_an_nvidia_driver_everything_but_gpu_is_logged() -> None:
    if any(os.path.exists(p) for p in ("/dev/nvidiactl", "/proc/driver/nvidia")):
        pytest.skip("this machine has an NVIDIA driver")
    with mlrs.start_run(log_system_metrics=True) as run:
        _wait_for_step(run.info.run_id, 0)
    names = set(mlrs.get_run(run.info.run_id).data.metrics)
    assert "system/cpu_utilization_percentage" in names
    assert not [n for n in names if n.startswith("system/gpu_")]
    sample = dict(_core.sample_system_metrics(0.0))
    assert "disk_usage_percentage" in sample
    assert not [n for n in sample if n.startswith("gpu_")]


def test_samples_before_logging_averages_into_one_step() -> None:
    mlrs.set_system_metrics_samples_before_logging(3)
    with mlrs.start_run(log_system_metrics=True) as run:
        _wait_for_step(run.info.run_id, 1)
    history = mlrs.MlflowClient().get_metric_history(
        run.info.run_id, "system/system_memory_usage_percentage"
    )
    steps = sorted(m.step for m in history)
    assert steps == list(range(len(steps)))
    assert all(round(m.value, 1) == m.value for m in history)


def test_a_run_ended_by_a_deletion_stops_its_sampler() -> None:
    run = mlrs.start_run(log_system_metrics=True)
    _wait_for_step(run.info.run_id, 0)
    mlrs.MlflowClient().delete_run(run.info.run_id)
    deadline = time.monotonic() + 60
    while _sampler_threads() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _sampler_threads() == 0
    with pytest.raises(MlflowException, match="deleted"):
        mlrs.end_run()  # as MLflow: a deleted run cannot be ended


@pytest.mark.parametrize(
    "end",
    [
        lambda client, run_id: client.set_terminated(run_id),
        lambda client, run_id: client.set_terminated(run_id, "KILLED"),
        lambda client, run_id: client.update_run(run_id, status="FAILED"),
        lambda client, run_id: client.delete_run(run_id),
    ],
    ids=["set_terminated", "killed", "update_run", "delete_run"],
)
def test_a_run_ended_by_the_client_stops_its_sampler_at_once(end: object) -> None:
    # MLflow's monitor stops once it sees the run is no longer RUNNING; mlrs stops it when the
    # store ends the run, whatever the path, so no step is logged after the run ended.
    run = mlrs.start_run(log_system_metrics=True)
    run_id = run.info.run_id
    _wait_for_step(run_id, 0)
    client = mlrs.MlflowClient()
    end(client, run_id)  # type: ignore[operator]
    assert _sampler_threads() == 0
    mlrs.flush()
    key = "system/cpu_utilization_percentage"
    last = max(m.step for m in client.get_metric_history(run_id, key))
    # A new run's sampler runs on: the ended run still gets nothing.
    with mlrs.start_run(nested=True, log_system_metrics=True) as other:
        _wait_for_step(other.info.run_id, 2)
    mlrs.flush()
    assert max(m.step for m in client.get_metric_history(run_id, key)) == last
    if client.get_run(run_id).info.lifecycle_stage == "active":
        mlrs.end_run()
    else:
        with pytest.raises(MlflowException, match="deleted"):
            mlrs.end_run()
