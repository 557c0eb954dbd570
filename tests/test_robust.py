"""Failure modes that must neither lose accepted data silently nor hang: exit while threads log,
a disk that fills up, failing commits, fork, multiprocessing children, files that change under
mlrs."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest


def _run(code: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["MLRS_CAPTURE_ENV"] = "0"
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"the process hung; stdout={out[-2000:]!r} stderr={err[-2000:]!r}")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _count(db: Path, sql: str, *args: object) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(sql, args).fetchone()[0])


def test_exit_does_not_wait_for_a_daemon_thread_that_keeps_logging(tmp_path: Path) -> None:
    done = _run(
        """
        import threading
        import mlrs
        run = mlrs.start_run()
        client = mlrs.MlflowClient()
        def spin():
            step = 0
            while True:
                client.log_metric(run.info.run_id, "m", 1.0, step=step)
                step += 1
        threading.Thread(target=spin, daemon=True).start()
        for _ in range(20):
            mlrs.flush()
        print(run.info.run_id)
        """,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    run_id = done.stdout.strip()
    db = tmp_path / "mlflow.db"
    assert _count(db, "SELECT count(*) FROM metrics WHERE run_uuid = ?", run_id) > 0
    assert _count(db, "SELECT count(*) FROM runs WHERE status = 'FINISHED'") == 1


# RLIMIT_FSIZE stands in for a full disk (it binds root too): writes past the limit fail with
# EFBIG, which SQLite reports as a full disk or an I/O error.
_FILL_DISK = """
    import resource, signal
    import mlrs
    from mlrs.exceptions import MlflowException
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    client = mlrs.MlflowClient()
    run = mlrs.start_run()
    mlrs.log_param("p", "kept")
    mlrs.flush()
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    limit = 2 * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    accepted = 0
    for step in range(300_000):
        try:
            mlrs.log_metric("m", float(step), step=step)
            accepted += 1
        except MlflowException as e:
            raised = e
            break
    else:
        raise SystemExit("the disk never filled up")
"""


def test_points_accepted_before_a_full_disk_are_kept_and_committed_when_it_frees(
    tmp_path: Path,
) -> None:
    done = _run(
        _FILL_DISK
        + """
    assert raised.error_code == "INTERNAL_ERROR", raised
    # Logging the same param again must not be taken as stored while it is not.
    mlrs.log_param("q", "v")
    try:
        mlrs.flush()
    except MlflowException:
        pass
    resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))
    mlrs.flush()
    mlrs.end_run()
    print(run.info.run_id, accepted)
    """,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    run_id, accepted = done.stdout.split()
    db = tmp_path / "mlflow.db"
    assert _count(db, "SELECT count(*) FROM metrics WHERE run_uuid = ?", run_id) == int(accepted)
    assert _count(db, "SELECT count(*) FROM params WHERE run_uuid = ?", run_id) == 2
    assert _count(db, "SELECT count(*) FROM runs WHERE status = 'FINISHED'") == 1


def test_what_a_full_disk_keeps_from_being_stored_at_exit_is_reported(tmp_path: Path) -> None:
    done = _run(_FILL_DISK + "\n    print(accepted)\n", tmp_path)
    assert "were not stored before exit" in done.stderr, done.stderr
    assert "mlflow.db" in done.stderr


_MULTIPROCESSING = """
import multiprocessing, sys
import mlrs

def work(run_id, n, end):
    client = mlrs.MlflowClient()
    for step in range(1000):
        client.log_metric(run_id, f"w{n}", float(step), step=step)
    run = mlrs.start_run()
    for step in range(100):
        mlrs.log_metric("own", float(step), step=step)
    if end:
        mlrs.end_run()
    return n

def pool_task(args):
    return work(*args)

if __name__ == "__main__":
    ctx = multiprocessing.get_context(sys.argv[1])
    run = mlrs.start_run()
    with ctx.Pool(2) as pool:  # leaving the block terminates the workers (SIGTERM)
        assert pool.map(pool_task, [(run.info.run_id, n, True) for n in range(2)]) == [0, 1]
    pool = ctx.Pool(2)
    pool.map(pool_task, [(run.info.run_id, n, True) for n in range(2, 4)])
    pool.close()
    pool.join()
    children = [
        ctx.Process(target=work, args=(run.info.run_id, n, False)) for n in range(4, 6)
    ]
    for child in children:
        child.start()
    for child in children:
        child.join()
        assert child.exitcode == 0, child.exitcode
    mlrs.end_run()
    print(run.info.run_id)
"""


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_multiprocessing_children_store_every_point(tmp_path: Path, method: str) -> None:
    (tmp_path / "job.py").write_text(_MULTIPROCESSING)
    done = _run(
        f"import runpy, sys; sys.argv = ['job.py', {method!r}]; "
        "runpy.run_path('job.py', run_name='__main__')",
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    run_id = done.stdout.strip()
    db = tmp_path / "mlflow.db"
    for n in range(6):
        assert (
            _count(
                db, "SELECT count(*) FROM metrics WHERE run_uuid = ? AND key = ?", run_id, f"w{n}"
            )
            == 1000
        ), n
    assert _count(db, "SELECT count(*) FROM metrics WHERE key = 'own'") == 600
    assert _count(db, "SELECT count(*) FROM runs WHERE status = 'RUNNING'") == 0


def test_fork_while_other_threads_log_and_read_never_hangs_the_child(tmp_path: Path) -> None:
    done = _run(
        """
        import os, signal, threading
        import mlrs
        client = mlrs.MlflowClient()
        run = mlrs.start_run()
        run_id = run.info.run_id
        stop = threading.Event()
        def spin(n):
            step = 0
            while not stop.is_set():
                client.log_metric(run_id, f"t{n}", 1.0, step=step)
                step += 1
                if step % 50 == 0:
                    client.get_run(run_id)
                    client.get_metric_history(run_id, f"t{n}")
        threads = [threading.Thread(target=spin, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        children = []
        for i in range(40):
            pid = os.fork()
            if pid == 0:
                signal.alarm(60)  # a hung child ends by SIGALRM, and the test sees it
                mlrs.MlflowClient().log_metric(run_id, "child", float(i), step=i)
                mlrs.flush()
                os._exit(0)
            children.append(pid)
        statuses = [os.waitpid(pid, 0)[1] for pid in children]
        stop.set()
        for thread in threads:
            thread.join()
        mlrs.end_run()
        print(sum(1 for s in statuses if s != 0), run_id)
        """,
        tmp_path,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    failed, _ = done.stdout.split()
    assert failed == "0", "children hung or failed"
    db = tmp_path / "mlflow.db"
    assert _count(db, "SELECT count(*) FROM metrics WHERE key = 'child'") == 40


def test_a_store_dropped_while_a_fork_is_under_way_lets_the_fork_finish(tmp_path: Path) -> None:
    """Dropping a store's last reference closes it through the fork gate. Done holding the GIL,
    a drop that met a fork under way kept the forking thread from the hook that reopens the
    gate, and both waited for good (seen with MLflow's test_set_experiment_thread_safety).
    Here the main thread closes the gate as a fork's first hook does; a thread drops a store
    and the main thread, woken by it, must get the GIL back to reopen the gate."""
    done = _run(
        """
        import threading
        from mlrs import _core
        store = _core.Store("db.sqlite", "artifacts")
        about_to_drop = threading.Event()
        def drop():
            global store
            about_to_drop.set()
            del store  # the last reference: the store closes here, on this thread
        _core.fork_pause()
        thread = threading.Thread(target=drop)
        thread.start()
        about_to_drop.wait()
        _core.fork_resume()  # needs the GIL, which the dropping thread must not keep
        thread.join()
        print("done")
        """,
        tmp_path,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "done"


def _read_only_mounts_work() -> bool:
    import shutil

    if shutil.which("unshare") is None or shutil.which("mount") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount --bind -o ro / / 2>/dev/null"],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


@pytest.mark.skipif(not _read_only_mounts_work(), reason="needs mount namespaces (root)")
@pytest.mark.parametrize("journal", ["wal", "delete"])
def test_a_read_only_database_serves_reads_and_refuses_writes_naming_the_file(
    tmp_path: Path, journal: str
) -> None:
    """A read-only bind mount binds root too, unlike file permissions. `delete` is the journal
    mode of a file MLflow made; `wal` one mlrs left (no -shm beside it: opened immutable)."""
    made = _run(
        """
        import mlrs
        with mlrs.start_run() as run:
            mlrs.log_param("p", "1")
            for step in range(10):
                mlrs.log_metric("m", float(step), step=step)
        print(run.info.run_id)
        """,
        tmp_path,
    )
    assert made.returncode == 0, made.stderr
    run_id = made.stdout.strip()
    db = tmp_path / "mlflow.db"
    if journal == "delete":
        with sqlite3.connect(db) as conn:
            conn.execute("PRAGMA journal_mode=DELETE")
    script = textwrap.dedent(
        f"""
        import mlrs
        from mlrs.exceptions import MlflowException
        client = mlrs.MlflowClient()
        assert [r.info.run_id for r in mlrs.search_runs(output_format="list")] == [{run_id!r}]
        assert mlrs.get_run({run_id!r}).data.params == {{"p": "1"}}
        assert len(client.get_metric_history({run_id!r}, "m")) == 10
        for write in (
            lambda: client.log_metric({run_id!r}, "m", 1.0),
            lambda: client.set_tag({run_id!r}, "t", "v"),
            lambda: mlrs.create_experiment("new"),
        ):
            try:
                write()
            except MlflowException as e:
                print(e.error_code, e.message)
            else:
                print("accepted")
        """
    )
    done = subprocess.run(
        [
            "unshare",
            "-m",
            "sh",
            "-c",
            'mount --bind -o ro "$0" "$0" && exec "$1" -c "$2"',
            str(tmp_path),
            sys.executable,
            script,
        ],
        cwd=tmp_path,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")},
            "MLRS_CAPTURE_ENV": "0",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 3, done.stdout
    for line in lines:
        assert line.startswith("INTERNAL_ERROR The database "), line
        assert str(db) in line, line
        assert "read" in line, line
    assert "not stored" not in done.stderr, done.stderr


def test_a_fifo_is_refused_instead_of_blocking(tmp_path: Path) -> None:
    done = _run(
        """
        import os
        import mlrs
        from mlrs.exceptions import MlflowException
        os.makedirs("src")
        os.mkfifo("src/pipe")
        with mlrs.start_run():
            for call in (lambda: mlrs.log_artifact("src/pipe"), lambda: mlrs.log_artifacts("src")):
                try:
                    call()
                except MlflowException as e:
                    print(e.error_code, "not a regular file" in e.message)
        """,
        tmp_path,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["INVALID_PARAMETER_VALUE True"] * 2, done.stdout
