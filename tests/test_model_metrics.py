"""Metrics logged with a model id become the model's metrics, with their dataset's name and
digest, as MLflow's store links them (`logged_model_metrics`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import mlrs


def test_log_metric_with_model_id_and_dataset_reaches_the_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    dataset = mlrs.data.from_numpy(np.zeros((2, 2)))
    with mlrs.start_run() as run:
        model = mlrs.MlflowClient().create_logged_model(run.info.experiment_id, name="m")
        mlrs.log_metric("a", 1.5, step=2, model_id=model.model_id, dataset=dataset)
        mlrs.log_metrics({"b": 2.0}, model_id=model.model_id)
        mlrs.MlflowClient().log_metric(run.info.run_id, "c", 3.0, model_id=model.model_id)
        mlrs.log_metric("plain", 4.0)
    got = mlrs.MlflowClient().get_logged_model(model.model_id).metrics
    assert got is not None
    seen = sorted((m.key, m.value, m.step, m.dataset_name, m.dataset_digest) for m in got)
    assert seen == [
        ("a", 1.5, 2, dataset.name, dataset.digest),
        ("b", 2.0, 0, None, None),
        ("c", 3.0, 0, None, None),
    ]
    history = mlrs.MlflowClient().get_metric_history(run.info.run_id, "a")
    assert [(m.value, m.step) for m in history] == [(1.5, 2)]


class _RecordingStore:
    """Stands in for the store: records which engine calls a log makes."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def log_batch(self, *args: object) -> None:
        self.calls.append("log_batch")

    def log_model_metrics(self, *args: object) -> None:
        self.calls.append("log_model_metrics")


def test_batches_without_a_model_make_no_model_call() -> None:
    # A model-metrics write is a round trip to the writer (it waits for the queue); a plain
    # log_metrics must not pay it (it did once: 346 µs a call instead of 28 µs).
    from mlrs._tracking import log_batch_to
    from mlrs.entities import Metric

    store: Any = _RecordingStore()
    log_batch_to(store, "r", [Metric("k", 1.0, 1, 0), Metric("j", 2.0, 1, 0)], (), ())
    assert store.calls == ["log_batch"]
    log_batch_to(store, "r", [Metric("k", 1.0, 1, 0, model_id="m-1")], (), ())
    assert store.calls == ["log_batch", "log_batch", "log_model_metrics"]


def test_booster_iterations_reach_the_model_in_one_write() -> None:
    from mlrs.autologging import _boosting

    store = _RecordingStore()
    store.log_metric = lambda *args: store.calls.append("log_metric")  # type: ignore[attr-defined]
    logger = _boosting.IterationLogger.__new__(_boosting.IterationLogger)
    logger.store, logger.run_id, logger.model_id = store, "r", "m-1"
    logger.results, logger.model_points = [], []
    for step in range(3):
        logger.record({"loss": 0.5, "auc": 0.9}, step)
    assert store.calls == ["log_metric"] * 6
    logger.finish()
    assert store.calls == ["log_metric"] * 6 + ["log_model_metrics"]
    logger.finish()  # nothing left: no second write
    assert store.calls == ["log_metric"] * 6 + ["log_model_metrics"]
