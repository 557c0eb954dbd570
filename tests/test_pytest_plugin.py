"""The pytest plugin shipped with mlrs (`mlrs.pytest_plugin`, entry point `pytest11`), run on
small suites through pytest's own `pytester`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import _sql
import pytest

import mlrs
from mlrs.testing import assert_metric_history, assert_run

_ISOLATION_SUITE = """
import os
import threading
import pytest
import mlrs

def test_first(mlrs_tracking):
    assert mlrs.active_run() is None
    assert mlrs.get_tracking_uri() == mlrs_tracking.tracking_uri
    assert not [k for k in os.environ if k.startswith("MLFLOW_") and k != "MLFLOW_TRACKING_URI"]
    mlrs.set_experiment("chosen-here")
    mlrs.start_run()  # left open on purpose
    mlrs.log_param("p", 1)
    mlrs.log_text("hi", "note.txt")
    assert str(mlrs_tracking.artifact_root) in mlrs.get_artifact_uri()

def test_second_sees_nothing_of_the_first(mlrs_tracking):
    assert mlrs.active_run() is None
    assert "MLFLOW_EXPERIMENT_ID" not in os.environ
    with mlrs.start_run() as run:
        pass
    assert run.info.experiment_id == "0"
    assert len(mlrs_tracking.runs()) == 1

def test_fails_with_a_run_open(mlrs_tracking):
    mlrs.start_run()
    assert False

def test_after_the_failure(mlrs_tracking):
    assert mlrs.active_run() is None
    with mlrs.start_run():
        mlrs.log_metric("m", 1.0)
    mlrs_tracking.assert_run(metrics={"m": 1.0}, status="FINISHED")
"""


def _runs_of(db: Path) -> list[tuple[object, ...]]:
    return _sql.rows(db, "SELECT status, artifact_uri FROM runs")


def test_each_test_gets_a_store_of_its_own_and_a_clean_state(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_suite=_ISOLATION_SUITE)
    os.environ["MLFLOW_EXPERIMENT_NAME"] = "from-outside"
    try:
        result = pytester.runpytest("-p", "no:randomly", "--basetemp", str(pytester.path / "t"))
        # Nothing leaks out either: the variable the suite found is back, nothing else is.
        assert os.environ["MLFLOW_EXPERIMENT_NAME"] == "from-outside"
    finally:
        del os.environ["MLFLOW_EXPERIMENT_NAME"]
    result.assert_outcomes(passed=3, failed=1)
    made = (pytester.path / "t").glob("*0/mlrs/mlflow.db")  # not the "*current" symlinks
    dbs = {p.parent.parent.name: p for p in made}
    assert len(dbs) == 4
    first = next(db for name, db in dbs.items() if name.startswith("test_first"))
    failing = next(db for name, db in dbs.items() if name.startswith("test_fails"))
    # The run left open ends FINISHED when the test passed, FAILED when it failed.
    assert [status for status, _ in _runs_of(first)] == ["FINISHED"]
    assert [status for status, _ in _runs_of(failing)] == ["FAILED"]
    # Artifacts land under the test's tmp_path, not in the working directory.
    ((_, artifact_uri),) = _runs_of(first)
    assert str(first.parent / "mlruns") in str(artifact_uri)
    artifacts = Path(str(artifact_uri).removeprefix("file://"))
    assert [p.name for p in artifacts.iterdir()] == ["note.txt"]
    assert not (pytester.path / "mlruns").exists()
    assert not (pytester.path / "mlflow.db").exists()


_PLAIN_SUITE = """
import mlrs

def test_logs():
    with mlrs.start_run():
        mlrs.log_metric("m", 1.0)
    assert mlrs.get_tracking_uri().endswith("/mlrs/mlflow.db")

def test_clean():
    assert mlrs.active_run() is None
"""


def test_the_ini_option_isolates_every_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_suite=_PLAIN_SUITE)
    pytester.makeini("[pytest]\nmlrs_isolate = true\n")
    result = pytester.runpytest()
    result.assert_outcomes(passed=2)
    assert not (pytester.path / "mlflow.db").exists()


def test_the_marker_isolates_marked_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_suite="import pytest\npytestmark = pytest.mark.mlrs\n" + _PLAIN_SUITE)
    result = pytester.runpytest()
    result.assert_outcomes(passed=2)
    assert not (pytester.path / "mlflow.db").exists()


def test_the_plugin_is_inert_until_used(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_suite="""
        import os, sys
        def test_nothing_set():
            from mlrs import _runtime
            assert os.environ.get("MLFLOW_TRACKING_URI") == "sqlite:///outside.db"
            assert _runtime.open_stores() == []
        """
    )
    os.environ["MLFLOW_TRACKING_URI"] = "sqlite:///outside.db"
    try:
        result = pytester.runpytest()
    finally:
        del os.environ["MLFLOW_TRACKING_URI"]
    result.assert_outcomes(passed=1)
    pytester.runpytest("--help").stdout.fnmatch_lines(["*--mlrs-record=URI*"])


def test_assert_run_lists_every_difference() -> None:
    with mlrs.start_run() as run:
        mlrs.log_params({"lr": 0.1, "depth": 3})
        mlrs.log_metric("acc", 0.85)
        mlrs.set_tag("team", "vision")
    found = assert_run(
        run,
        params={"lr": 0.1},
        metrics={"acc": pytest.approx(0.85)},
        tags={"team": "vision"},
        status="FINISHED",
    )
    assert found.data.params["depth"] == "3"
    with pytest.raises(AssertionError) as caught:
        assert_run(
            run.info.run_id,
            params={"lr": 0.01, "missing": 1},
            metrics={"acc": 0.9},
            tags={"team": "audio"},
            status="FAILED",
            exact=True,
        )
    assert str(caught.value) == (
        f"run {run.info.run_id} does not match:\n"
        "  params:\n"
        "    lr: expected '0.01', got '0.1'\n"
        "    missing: missing (expected '1')\n"
        "    depth: not expected (got '3')\n"
        "  metrics:\n"
        "    acc: expected 0.9, got 0.85\n"
        "  tags:\n"
        "    team: expected 'audio', got 'vision'\n"
        "  status: expected 'FAILED', got 'FINISHED'"
    )


def test_assert_metric_history_checks_values_and_steps() -> None:
    with mlrs.start_run() as run:
        for step in range(3):
            mlrs.log_metric("loss", 1.0 / (step + 1), step=step)
    assert_metric_history(run, "loss", [1.0, 0.5, pytest.approx(0.333, abs=1e-3)], [0, 1, 2])
    with pytest.raises(AssertionError, match=r"steps: expected \[1, 2, 3\], got \[0, 1, 2\]"):
        assert_metric_history(run, "loss", [1.0, 0.5, pytest.approx(1 / 3)], [1, 2, 3])


_RECORDED_SUITE = """
import pytest

def test_quality(mlrs_record):
    mlrs_record.log_metric("accuracy", 0.93)
    mlrs_record.log_param("model", "tree")

def test_broken(mlrs_record):
    mlrs_record.log_metric("accuracy", 0.2)
    assert False

@pytest.mark.skip(reason="later")
def test_skipped():
    pass

def test_uses_isolation_too(mlrs_tracking, mlrs_record):
    import mlrs
    with mlrs.start_run():
        mlrs.log_metric("inside", 1.0)
    mlrs_record.log_metric("steps", 1.0)
"""


def _recorded(db: Path) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    names = {}
    for run_id, name, status, experiment in _sql.rows(
        db,
        "SELECT r.run_uuid, r.name, r.status, e.name FROM runs r "
        "JOIN experiments e USING (experiment_id)",
    ):
        names[run_id] = name_ = str(name).split("::")[-1]
        found[name_] = {"status": status, "experiment": experiment}
        found[name_].update(metrics={}, tags={}, params={})
    for table, field in (("latest_metrics", "metrics"), ("tags", "tags"), ("params", "params")):
        for run_id, key, value in _sql.rows(db, f"SELECT run_uuid, key, value FROM {table}"):
            found[names[str(run_id)]][field][key] = value
    return found


def _check_recorded(db: Path, also: tuple[str, ...] = ()) -> None:
    runs = _recorded(db)
    expected = {"test_quality", "test_broken", "test_skipped", "test_uses_isolation_too"}
    assert set(runs) == expected | set(also)
    quality = runs["test_quality"]
    assert quality["status"] == "FINISHED"
    assert quality["experiment"] == "model-quality"
    assert quality["params"] == {"model": "tree"}
    metrics = quality["metrics"]
    assert metrics["accuracy"] == 0.93
    assert metrics["pytest.duration_s"] >= 0
    tags = quality["tags"]
    assert tags["pytest.outcome"] == "passed"
    assert tags["pytest.nodeid"] == "test_suite.py::test_quality"
    assert runs["test_broken"]["status"] == "FAILED"
    assert runs["test_skipped"]["tags"]["pytest.outcome"] == "skipped"
    # What the test logged into its isolated store stayed there.
    assert "inside" not in runs["test_uses_isolation_too"]["metrics"]
    sessions = {run["tags"]["pytest.session"] for run in runs.values()}
    assert len(sessions) == 1


def test_record_mode_logs_each_test_as_a_run(pytester: pytest.Pytester, tmp_path: Path) -> None:
    pytester.makepyfile(test_suite=_RECORDED_SUITE)
    db = tmp_path / "quality.db"
    result = pytester.runpytest(
        f"--mlrs-record=sqlite:///{db}", "--mlrs-record-experiment=model-quality"
    )
    result.assert_outcomes(passed=2, failed=1, skipped=1)
    _check_recorded(db)


@pytest.mark.slow
def test_isolation_and_record_mode_work_under_xdist(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    isolated = "\n".join(
        f"def test_isolated_{i}(mlrs_tracking):\n"
        f"    import mlrs\n"
        f"    assert mlrs.active_run() is None\n"
        f"    with mlrs.start_run():\n"
        f"        mlrs.log_metric('i', {i})\n"
        f"    mlrs_tracking.assert_run(metrics={{'i': {i}}})\n"
        for i in range(6)
    )
    pytester.makepyfile(test_suite=_RECORDED_SUITE, test_isolated=isolated)
    db = tmp_path / "quality.db"
    result = pytester.runpytest_subprocess(
        "-p",
        "xdist",
        "-n",
        "2",
        f"--mlrs-record=sqlite:///{db}",
        "--mlrs-record-experiment=model-quality",
    )
    result.assert_outcomes(passed=8, failed=1, skipped=1)
    assert "2 workers" in str(result.stdout)
    _check_recorded(db, also=tuple(f"test_isolated_{i}" for i in range(6)))
