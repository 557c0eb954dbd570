"""Artifacts across implementations: what mlrs logged, real mlflow lists, downloads and loads
the same way mlrs does (and the same way as what mlflow logged itself), and the reverse.
Paths are compared relative to the scenario directory (``<cwd>``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from _ci import unavailable

from _harness import assert_same, install_template
from _harness import run_interop as run

if importlib.util.find_spec("mlflow") is None:
    unavailable("mlflow is not installed")

pytestmark = pytest.mark.parity


def fresh(workdir: Path, template: Path) -> Path:
    workdir = workdir.resolve()
    workdir.mkdir(parents=True)
    install_template(template, workdir)
    return workdir


@pytest.mark.parametrize("writer", ["mlrs", "mlflow"])
def test_both_read_what_either_logged(
    writer: str, tmp_path: Path, mlrs_missing: str | None, mlflow_template: Path
) -> None:
    if mlrs_missing is not None:
        unavailable(mlrs_missing)
    # Each reader gets its own copy of the written directory (downloads land in the cwd).
    by_writer = fresh(tmp_path / "written", mlflow_template)
    run("write_artifacts.py", by_writer, writer)
    reads = {}
    for reader in ("mlflow", "mlrs"):
        copy = tmp_path / f"read-by-{reader}"
        _copy_tree(by_writer, copy)
        _move_locations(copy / "mlflow.db", by_writer, copy)
        reads[reader] = run("read_artifacts.py", copy, reader)
    assert_same(reads["mlflow"], reads["mlrs"], f"reading what {writer} logged")


def test_what_mlrs_logs_reads_like_what_mlflow_logs(
    tmp_path: Path, mlrs_missing: str | None, mlflow_template: Path
) -> None:
    if mlrs_missing is not None:
        unavailable(mlrs_missing)
    results = {}
    for writer in ("mlflow", "mlrs"):
        workdir = fresh(tmp_path / writer, mlflow_template)
        run("write_artifacts.py", workdir, writer)
        results[writer] = run("read_artifacts.py", workdir, "mlflow")
    assert_same(results["mlflow"], results["mlrs"], "mlflow reading mlflow's vs mlrs's artifacts")


def _copy_tree(source: Path, target: Path) -> None:
    import shutil

    shutil.copytree(source, target, symlinks=True)


def _move_locations(db: Path, old: Path, new: Path) -> None:
    """Points the copied database's artifact locations at the copied directory."""
    import contextlib
    import sqlite3

    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        for table, column in (("experiments", "artifact_location"), ("runs", "artifact_uri")):
            conn.execute(
                f"UPDATE {table} SET {column} = replace({column}, ?, ?)", (str(old), str(new))
            )
