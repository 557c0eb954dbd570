"""The team path: a real `mlflow server` on a throwaway PostgreSQL 15 cluster (initdb/pg_ctl in
a temp dir, as the `postgres` user when the tests run as root), four processes logging through
mlrs at once, and every row arriving exactly once."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from _remote import free_port, mlflow_server

pytestmark = pytest.mark.slow

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PROCESSES = 4
STEPS = 1500
KEYS = ("loss", "acc", "lr")


def _as_postgres() -> dict[str, object]:
    """Runs a PostgreSQL tool as `postgres` when we are root (initdb refuses root)."""
    return {"user": "postgres", "group": "postgres"} if os.geteuid() == 0 else {}


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    """A PostgreSQL 15 cluster on 127.0.0.1 for this module; yields a SQLAlchemy URI."""
    if not (PG_BIN / "initdb").exists() or not (PG_BIN / "pg_ctl").exists():
        pytest.skip(f"PostgreSQL 15 is not installed ({PG_BIN}/initdb and pg_ctl are absent)")
    pytest.importorskip("psycopg2", reason="psycopg2-binary (requirements-dev.txt) is missing")
    # Under /tmp itself: the postgres user cannot enter pytest's root-only directories.
    root = Path(tempfile.mkdtemp(prefix="mlrs-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    data, log = root / "data", root / "postgres.log"
    port = free_port()
    run = {"check": True, "capture_output": True, **_as_postgres()}
    subprocess.run(  # type: ignore[call-overload]
        [PG_BIN / "initdb", "-D", data, "-U", "postgres", "-A", "trust", "--no-sync"], **run
    )
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(  # type: ignore[call-overload]
        [PG_BIN / "pg_ctl", "-D", data, "-l", log, "-o", options, "-w", "-t", "120", "start"],
        **run,
    )
    try:
        subprocess.run(  # type: ignore[call-overload]
            [PG_BIN / "createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "mlflow"],
            **run,
        )
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/mlflow"
    finally:
        subprocess.run(  # type: ignore[call-overload]
            [PG_BIN / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"],
            **{**run, "check": False},
        )
        shutil.rmtree(root, ignore_errors=True)


# One worker: its own run in the shared experiment, metrics one call at a time and in
# log_batch, params and tags; the run ends (which waits until the server has everything).
WORKER = textwrap.dedent(
    """
    import sys
    import mlrs
    from mlrs.entities import Metric, Param, RunTag

    worker, experiment_id, steps = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    with mlrs.start_run(experiment_id=experiment_id, run_name=f"worker-{worker}") as run:
        mlrs.log_params({f"p{i}": f"{worker}-{i}" for i in range(150)})
        mlrs.set_tags({"worker": str(worker), "team": "vision"})
        for step in range(steps):
            mlrs.log_metric("loss", 1.0 / (step + 1), step=step)
            mlrs.log_metrics({"acc": step / steps, "lr": worker * 0.1}, step=step)
        mlrs.MlflowClient().log_batch(
            run.info.run_id,
            metrics=[Metric("batch", float(i), 0, i) for i in range(2500)],
            params=[Param("final", "yes")],
            tags=[RunTag("phase", "done")],
        )
    print(run.info.run_id)
    """
)


def test_four_processes_log_through_mlrs_to_a_server_on_postgresql(
    postgres: str, tmp_path: Path
) -> None:
    from mlflow import MlflowClient

    with mlflow_server(tmp_path, backend_uri=postgres) as url:
        client = MlflowClient(url)
        experiment_id = client.create_experiment("team-path")
        env = {
            **os.environ,
            "MLFLOW_TRACKING_URI": url,
            "MLRS_SPOOL_DIR": str(tmp_path / "spool"),
        }
        workers = [
            subprocess.Popen(
                [sys.executable, "-c", WORKER, str(i), experiment_id, str(STEPS)],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for i in range(PROCESSES)
        ]
        run_ids = []
        for worker in workers:
            out, err = worker.communicate(timeout=600)
            assert worker.returncode == 0, err
            assert "could not be sent" not in err
            run_ids.append(out.strip())

        runs = client.search_runs([experiment_id], max_results=100)
        assert sorted(r.info.run_id for r in runs) == sorted(run_ids)
        for i, run_id in enumerate(run_ids):
            run = client.get_run(run_id)
            assert run.info.status == "FINISHED"
            assert run.data.params == {
                **{f"p{k}": f"{i}-{k}" for k in range(150)},
                "final": "yes",
            }
            assert {k: run.data.tags[k] for k in ("worker", "team", "phase")} == {
                "worker": str(i),
                "team": "vision",
                "phase": "done",
            }
            expected = {
                "loss": [(s, 1.0 / (s + 1)) for s in range(STEPS)],
                "acc": [(s, s / STEPS) for s in range(STEPS)],
                "lr": [(s, i * 0.1) for s in range(STEPS)],
                "batch": [(s, float(s)) for s in range(2500)],
            }
            for key, points in expected.items():
                history = client.get_metric_history(run_id, key)
                got = sorted((m.step, m.value) for m in history)
                assert got == points, f"{key} of worker {i}: {len(got)} of {len(points)} points"
        assert not any((tmp_path / "spool").rglob("*.db")), "records left in the spool"
