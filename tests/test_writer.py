"""The write path: queued writes are committed in order and never lost, under threads,
processes, fork, signals, a full queue and a failing disk."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from _sql import rows

import mlrs
from mlrs import _convert, _core
from mlrs.exceptions import MlflowException


def _run_script(code: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    full_env.update(env or {})
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _count(db: Path, sql: str, *args: object) -> int:
    (count,) = rows(db, sql, *args)[0]
    assert isinstance(count, int)
    return count


def _intact(db: Path) -> bool:
    return rows(db, "PRAGMA integrity_check") == [("ok",)]


def test_threads_logging_into_one_run_lose_nothing(fresh_store: Path) -> None:
    with mlrs.start_run() as run:
        run_id = run.info.run_id

        def worker(n: int) -> None:
            client = mlrs.MlflowClient()
            for step in range(2000):
                client.log_metric(run_id, f"t{n}", float(step), step=step)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert _count(fresh_store, "SELECT count(*) FROM metrics WHERE run_uuid = ?", run_id) == 8000
    assert mlrs.get_run(run_id).data.metrics == {f"t{n}": 1999.0 for n in range(4)}


@pytest.mark.slow
def test_a_tiny_queue_blocks_callers_instead_of_dropping(tmp_path: Path) -> None:
    store = _core.Store(str(tmp_path / "tiny.db"), str(tmp_path / "mlruns"), queue_capacity=2)
    run_id = store.create_run("0", "me", 0, None, []).run_id
    for step in range(5000):
        store.log_metric(run_id, "m", 1.0, 1, step)
    store.flush()
    assert len(_convert.metric_history("m", store.get_metric_columns(run_id, "m"))) == 5000
    store.close()


def test_reads_see_everything_queued_before_them() -> None:
    with mlrs.start_run() as run:
        for step in range(10_000):
            mlrs.log_metric("m", float(step), step=step)
        history = mlrs.MlflowClient().get_metric_history(run.info.run_id, "m")
        assert len(history) == 10_000


@pytest.mark.slow
def test_processes_creating_one_fresh_file_together_all_succeed(tmp_path: Path) -> None:
    script = """
        import mlrs
        mlrs.set_experiment("shared")
        with mlrs.start_run() as run:
            mlrs.log_params({"worker": run.info.run_id})
            for step in range(20_000):
                mlrs.log_metric("loss", 1.0 / (step + 1), step=step)
    """
    procs = [_run_script(script, tmp_path) for _ in range(8)]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    db = tmp_path / "mlflow.db"
    assert _count(db, "SELECT count(*) FROM runs WHERE status = 'FINISHED'") == 8
    assert _count(db, "SELECT count(*) FROM metrics") == 8 * 20_000
    assert _count(db, "SELECT count(*) FROM latest_metrics") == 8
    assert _count(db, "SELECT count(*) FROM experiments WHERE name = 'shared'") == 1
    assert _intact(db)


def test_sigkill_loses_only_uncommitted_points_and_leaves_no_gaps(tmp_path: Path) -> None:
    """Killed mid-logging at ~10,000 points/s: the file is intact, the stored steps are
    0..n-1 without a hole, and every point the process had seen committed is there."""
    script = """
        import time
        import mlrs
        mlrs.start_run()
        step = 0
        while True:
            for _ in range(100):
                mlrs.log_metric("m", 0.5, step=step)
                step += 1
            if step % 2000 == 0:
                mlrs.flush()
                print(step, flush=True)
            time.sleep(0.01)
    """
    p = _run_script(script, tmp_path)
    assert p.stdout is not None
    committed = 0
    while committed < 10_000:
        line = p.stdout.readline()
        assert line, p.stderr.read() if p.stderr else ""
        committed = int(line)
    p.send_signal(signal.SIGKILL)
    p.communicate(timeout=60)
    db = tmp_path / "mlflow.db"
    assert _intact(db)
    [(count, low, high)] = rows(db, "SELECT count(*), min(step), max(step) FROM metrics")
    assert isinstance(count, int)
    assert count >= committed
    assert (low, high) == (0, count - 1), "stored steps must be contiguous"
    assert _count(db, "SELECT count(*) FROM runs WHERE status = 'RUNNING'") == 1


def test_exit_commits_the_queue_and_ends_the_run(tmp_path: Path) -> None:
    script = """
        import mlrs
        mlrs.start_run(run_name="left-open")
        for step in range(50_000):
            mlrs.log_metric("m", 0.5, step=step)
        raise SystemExit(0)
    """
    p = _run_script(script, tmp_path)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    db = tmp_path / "mlflow.db"
    assert _count(db, "SELECT count(*) FROM metrics") == 50_000
    assert _count(db, "SELECT count(*) FROM runs WHERE status = 'FINISHED'") == 1


@pytest.mark.slow
def test_sigterm_ends_the_run_killed_with_everything_committed(tmp_path: Path) -> None:
    script = """
        import signal
        import mlrs
        mlrs.start_run()
        for step in range(200_000):
            mlrs.log_metric("m", 0.5, step=step)
        print("logged", flush=True)
        signal.pause()
    """
    p = _run_script(script, tmp_path)
    assert p.stdout is not None
    assert p.stdout.readline().strip() == "logged"
    p.send_signal(signal.SIGTERM)
    p.communicate(timeout=120)
    assert p.returncode == -signal.SIGTERM
    db = tmp_path / "mlflow.db"
    assert _count(db, "SELECT count(*) FROM metrics") == 200_000
    assert _count(db, "SELECT count(*) FROM runs WHERE status = 'KILLED'") == 1


def test_a_users_sigterm_handler_still_runs(tmp_path: Path) -> None:
    script = """
        import signal, sys
        def mine(signum, frame):
            print("user handler", flush=True)
            sys.exit(3)
        signal.signal(signal.SIGTERM, mine)
        import mlrs
        mlrs.start_run()
        mlrs.log_metric("m", 1.0)
        print("ready", flush=True)
        signal.pause()
    """
    p = _run_script(script, tmp_path)
    assert p.stdout is not None
    assert p.stdout.readline().strip() == "ready"
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 3, err
    assert "user handler" in out
    assert _count(tmp_path / "mlflow.db", "SELECT count(*) FROM runs WHERE status='KILLED'") == 1


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_fork_child_gets_its_own_writer_and_no_active_run(tmp_path: Path) -> None:
    script = """
        import os
        import mlrs
        with mlrs.start_run() as run:
            for step in range(1000):
                mlrs.log_metric("parent", 1.0, step=step)
            pid = os.fork()
            if pid == 0:
                assert mlrs.active_run() is None
                client = mlrs.MlflowClient()
                for step in range(1000):
                    client.log_metric(run.info.run_id, "child", 2.0, step=step)
                client.get_run(run.info.run_id)
                os._exit(0 if mlrs.get_run(run.info.run_id).data.metrics["child"] == 2.0 else 1)
            _, status = os.waitpid(pid, 0)
            assert os.waitstatus_to_exitcode(status) == 0
            mlrs.log_metric("parent", 1.0, step=1000)
    """
    p = _run_script(script, tmp_path)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    db = tmp_path / "mlflow.db"
    assert _count(db, "SELECT count(*) FROM metrics WHERE key = 'parent'") == 1001
    assert _count(db, "SELECT count(*) FROM metrics WHERE key = 'child'") == 1000


def _read_only_prefix(directory: Path) -> list[str] | None:
    """An argv prefix that runs a command with `directory` bind-mounted read-only in a private
    mount namespace (a user namespace maps the caller to root there), or None where the system
    does not allow it. A read-only mount refuses writes to root too, unlike file modes."""
    if shutil.which("unshare") is None:
        return None
    prefix = [
        "unshare",
        "--map-root-user",
        "--mount",
        "sh",
        "-c",
        'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"',
        str(directory),
    ]
    probe = subprocess.run(
        [*prefix, "sh", "-c", f"! touch {shlex.quote(str(directory / 'probe'))} 2>/dev/null"],
        capture_output=True,
        check=False,
    )
    return prefix if probe.returncode == 0 else None


def test_a_read_only_database_surfaces_as_mlflow_exception(fresh_store: Path) -> None:
    with mlrs.start_run() as run:
        mlrs.log_metric("m", 1.0)
    mlrs.flush()
    prefix = _read_only_prefix(fresh_store.parent)
    if prefix is None:
        pytest.skip("needs `unshare` with user and mount namespaces for a read-only mount")
    script = f"""
        import mlrs
        from mlrs.exceptions import MlflowException
        try:
            mlrs.MlflowClient().log_metric({run.info.run_id!r}, "m", 2.0, step=1)
            mlrs.flush()
        except MlflowException as e:
            print("raised", flush=True)
        else:
            print("no error", flush=True)
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["MLFLOW_TRACKING_URI"] = f"sqlite:///{fresh_store}"
    done = subprocess.run(
        [*prefix, sys.executable, "-c", textwrap.dedent(script)],
        cwd=fresh_store.parent,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert (done.returncode, done.stdout.strip()) == (0, "raised"), done.stderr
    assert _count(fresh_store, "SELECT count(*) FROM metrics") == 1
    assert _intact(fresh_store)


def test_a_full_disk_surfaces_as_mlflow_exception_without_a_hang(tmp_path: Path) -> None:
    """RLIMIT_FSIZE stands in for a full disk (it binds root too): writes past the limit fail
    with EFBIG, which SQLite reports; the user gets an MlflowException at the next flush."""
    script = """
        import resource, signal, sys
        import mlrs
        from mlrs.exceptions import MlflowException
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        run = mlrs.start_run()
        mlrs.flush()
        limit = 4 * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        try:
            for step in range(400_000):
                mlrs.log_metric("m", float(step), step=step)
            mlrs.flush()
        except MlflowException as e:
            print("raised", e.error_code, flush=True)
        else:
            print("no error", flush=True)
        import os
        os._exit(0)
    """
    p = _run_script(script, tmp_path)
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    assert out.strip() == "raised INTERNAL_ERROR", (out, err)
    assert _intact(tmp_path / "mlflow.db")


def test_a_failing_commit_surfaces_on_the_next_call_and_nothing_hangs(tmp_path: Path) -> None:
    db = tmp_path / "fail.db"
    store = _core.Store(str(db), str(tmp_path / "mlruns"))
    run_id = store.create_run("0", "me", 0, None, []).run_id
    store.flush()
    # Another connection makes the metrics table refuse every insert.
    rows(
        db,
        "CREATE TRIGGER refuse BEFORE INSERT ON metrics "
        "BEGIN SELECT RAISE(ABORT, 'disk says no'); END",
    )
    store.log_metric(run_id, "m", 1.0, 1, 0)
    # A hang here is caught by the per-test timeout.
    with pytest.raises(MlflowException, match="disk says no") as e:
        store.flush()
    assert e.value.error_code == "INTERNAL_ERROR"
    store.flush()  # reported once; the writer carries on
    rows(db, "DROP TRIGGER refuse")
    store.log_metric(run_id, "m", 2.0, 2, 0)
    store.flush()
    assert _convert.metric_columns(store.get_metric_columns(run_id, "m"))[2] == [2.0]
    store.close()
