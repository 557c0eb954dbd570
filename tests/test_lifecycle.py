"""Store lifecycle: a store nothing uses closes by itself (queue committed, writer thread and
connections gone); `mlrs.flush`, `mlrs.close` and `mlrs.reset`; failures found while closing are
reported, never swallowed."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap
import weakref
from pathlib import Path

import _sql
import pytest

import mlrs
from mlrs import _runtime
from mlrs.exceptions import MlflowException


def _writer_threads() -> int:
    count = 0
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/comm") as f:
                count += f.read().strip() == "mlrs-writer"
        except OSError:
            pass  # the thread ended while we looked
    return count


def _open_files(under: Path) -> list[str]:
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(under)):
            found.append(target)
    return found


def _uri(path: Path) -> str:
    return f"sqlite:///{path}"


def test_a_store_closes_once_no_run_uses_it_and_the_uri_moved_on(tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    base = _writer_threads()
    mlrs.set_tracking_uri(_uri(other / "a.db"))
    with mlrs.start_run() as run:
        mlrs.log_metric("m", 1.0)
        mlrs.set_tracking_uri(_uri(tmp_path / "b.db"))
        # The run still logs to its store: it stays open.
        mlrs.log_metric("m", 2.0, step=1)
        assert _open_files(other)
    del run
    # Nothing uses a.db any more: its writer thread and connections are gone, data committed.
    assert _open_files(other) == []
    assert _writer_threads() == base
    assert _sql.rows(other / "a.db", "SELECT value, step FROM metrics ORDER BY step") == [
        (1.0, 0),
        (2.0, 1),
    ]


def test_the_current_store_stays_open_between_runs(tmp_path: Path) -> None:
    with mlrs.start_run() as run:
        pass
    first = weakref.ref(run._store)
    del run
    gc.collect()
    with mlrs.start_run() as run:
        assert run._store is first()
    assert not run._store.closed
    assert _open_files(tmp_path)


def test_a_client_keeps_its_store_open_until_it_goes(tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    client = mlrs.MlflowClient(_uri(other / "c.db"))
    run_id = client.create_run("0").info.run_id
    client.log_metric(run_id, "m", 3.0)
    assert _open_files(other)
    del client
    gc.collect()
    assert _open_files(other) == []
    assert _sql.rows(other / "c.db", "SELECT value FROM metrics") == [(3.0,)]


def test_close_ends_runs_commits_and_later_calls_reopen(tmp_path: Path) -> None:
    client = mlrs.MlflowClient()
    run = mlrs.start_run()
    mlrs.log_metric("m", 1.0)
    base_files = _open_files(tmp_path)
    assert base_files
    mlrs.close()
    assert mlrs.active_run() is None
    assert _open_files(tmp_path) == []
    assert _sql.rows(tmp_path / "mlflow.db", "SELECT status FROM runs") == [("FINISHED",)]
    # The client held a store that is closed now: it opens a fresh one.
    assert client.get_run(run.info.run_id).data.metrics == {"m": 1.0}
    mlrs.close()
    mlrs.close()  # closing twice is fine


def test_flush_commits_without_closing(tmp_path: Path) -> None:
    with mlrs.start_run():
        mlrs.log_metric("m", 1.0)
        mlrs.flush()
        assert _sql.rows(tmp_path / "mlflow.db", "SELECT value FROM metrics") == [(1.0,)]
        assert not _runtime.get_store().closed


def test_reset_leaves_no_run_no_experiment_no_exported_variable(tmp_path: Path) -> None:
    mlrs.set_experiment("leaky")
    assert os.environ["MLFLOW_EXPERIMENT_ID"] != "0"
    outer = mlrs.start_run()
    mlrs.start_run(nested=True)
    mlrs.reset(status="FAILED")
    assert mlrs.active_run() is None
    assert mlrs.last_active_run() is None
    assert "MLFLOW_EXPERIMENT_ID" not in os.environ
    assert "MLFLOW_TRACKING_URI" not in os.environ
    assert _runtime.open_stores() == []
    assert _open_files(tmp_path) == []
    statuses = _sql.rows(tmp_path / "mlflow.db", "SELECT status FROM runs")
    assert statuses == [("FAILED",), ("FAILED",)]
    # The next run goes to the default experiment of the default URI (cwd is tmp_path here).
    with mlrs.start_run() as run:
        pass
    assert run.info.experiment_id == "0"
    assert mlrs.get_run(outer.info.run_id).info.status == "FAILED"


def test_reset_leaves_a_variable_the_user_set_alone(tmp_path: Path) -> None:
    os.environ["MLFLOW_EXPERIMENT_ID"] = "0"
    try:
        mlrs.reset()
        assert os.environ["MLFLOW_EXPERIMENT_ID"] == "0"
    finally:
        del os.environ["MLFLOW_EXPERIMENT_ID"]


_FAILING_TRIGGER = (
    "CREATE TRIGGER refuse_666 BEFORE INSERT ON metrics WHEN NEW.value = 666 "
    "BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END"
)


def _run(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _prepared_db(tmp_path: Path) -> Path:
    db = tmp_path / "failing.db"
    store = _runtime.get_store(_uri(db))
    store.close()
    del store
    _sql.rows(db, _FAILING_TRIGGER)
    return db


def test_a_commit_failure_found_by_closing_a_dropped_store_goes_to_stderr(
    tmp_path: Path,
) -> None:
    db = _prepared_db(tmp_path)
    done = _run(
        f"""
        import mlrs
        from mlrs.entities import Metric, Param
        client = mlrs.MlflowClient("sqlite:///{db}")
        run_id = client.create_run("0").info.run_id
        metrics = [Metric("bad", 666.0, 0, 0), Metric("ok", 1.0, 0, 0)]
        client.log_batch(run_id, metrics=metrics, params=[Param("p", "v")])
        del client  # the store closes here; nobody is left to raise to
        print("after", flush=True)
        """,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "after\n"
    assert "refused by the test trigger" in done.stderr
    assert "not stored: 2 metric points, 1 params, 0 tags of run(s)" in done.stderr
    assert str(db) in done.stderr


def test_a_commit_failure_at_exit_is_reported(tmp_path: Path) -> None:
    db = _prepared_db(tmp_path)
    done = _run(
        f"""
        import mlrs
        mlrs.set_tracking_uri("sqlite:///{db}")
        mlrs.start_run()
        mlrs.log_metric("bad", 666.0)
        """,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "refused by the test trigger" in done.stderr
    assert "not stored: 1 metric points" in done.stderr


def test_close_raises_a_commit_failure_after_closing_everything(tmp_path: Path) -> None:
    db = _prepared_db(tmp_path)
    client = mlrs.MlflowClient(_uri(db))
    run_id = client.create_run("0").info.run_id
    client.log_metric(run_id, "bad", 666.0)
    with pytest.raises(MlflowException, match="refused by the test trigger"):
        mlrs.close()
    assert _runtime.open_stores() == []
    assert _sql.rows(db, "SELECT count(*) FROM metrics") == [(0,)]


_MANY_FILES = """
import gc, os, resource, sys, threading, mlrs
count, root = int(sys.argv[1]), sys.argv[2]
resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))

def threads():
    return len(os.listdir("/proc/self/task"))

def rss_kb():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))

peak_threads = peak_fds = 0
marks = {}
for i in range(count):
    mlrs.set_tracking_uri(f"sqlite:///{root}/{i}.db")
    with mlrs.start_run():
        mlrs.log_param("i", i)
        mlrs.log_metric("m", float(i))
    peak_threads = max(peak_threads, threads())
    peak_fds = max(peak_fds, len(os.listdir("/proc/self/fd")))
    if i + 1 in (count // 4, count):
        gc.collect()
        marks[i + 1] = rss_kb()
mlrs.close()
print(peak_threads, peak_fds, marks[count // 4], marks[count])
"""


@pytest.mark.slow
def test_thousands_of_files_one_after_another_stay_bounded(tmp_path: Path) -> None:
    # The figure is 5,000 files under `ulimit -n 256`; 100 keep the suite fast and
    # already exceed what a leak of four descriptors per file would allow.
    count = int(os.environ.get("MLRS_TEST_FILES", "100"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["MLRS_CAPTURE_ENV"] = "0"
    done = subprocess.run(
        [sys.executable, "-c", _MANY_FILES, str(count), str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    peak_threads, peak_fds, rss_quarter, rss_end = map(int, done.stdout.split())
    assert peak_threads <= 4, done.stdout
    assert peak_fds <= 16, done.stdout
    # Memory does not grow with the count: the last three quarters add little.
    assert rss_end - rss_quarter < 8 * 1024, done.stdout
    stored = 0
    for i in (0, count // 2, count - 1):
        stored += len(_sql.rows(tmp_path / f"{i}.db", "SELECT 1 FROM metrics"))
    assert stored == 3
    assert len(list(tmp_path.glob("*.db"))) == count
