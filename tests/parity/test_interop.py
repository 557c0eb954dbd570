"""One database, two implementations: what either one writes, the other reads the same way.

``interop/write_runs.py`` writes a varied store (nested, failed, deleted runs, NaN/inf, many
steps, >1000-entity batches, a deleted experiment), ``read_runs.py`` records everything the
public API returns, and ``append_runs.py`` resumes and extends runs written by the other side.
After every write the file must pass ``PRAGMA integrity_check`` and keep MLflow's storage
conventions (see ``_store.storage_problems``).
"""

from __future__ import annotations

import contextlib
import importlib.util
import shutil
import sqlite3
from pathlib import Path

import pytest
from _ci import unavailable

from _harness import ScriptResult, assert_same, install_template
from _harness import run_interop as run
from _store import storage_problems

if importlib.util.find_spec("mlflow") is None:
    unavailable("mlflow is not installed")

pytestmark = pytest.mark.parity


@pytest.fixture(scope="module")
def mlflow_store(tmp_path_factory: pytest.TempPathFactory, mlflow_template: Path) -> Path:
    """A directory whose mlflow.db real mlflow wrote with write_runs.py."""
    workdir = tmp_path_factory.mktemp("interop-mlflow").resolve()
    install_template(mlflow_template, workdir)
    run("write_runs.py", workdir, "mlflow")
    assert storage_problems(workdir / "mlflow.db") == []
    return workdir


@pytest.fixture(scope="module")
def mlflow_view(mlflow_store: Path) -> ScriptResult:
    """What real mlflow reads back from its own store."""
    return run("read_runs.py", mlflow_store, "mlflow")


def copy_store(source: Path, workdir: Path) -> Path:
    """A copy of ``source``'s database in ``workdir``, as if it had been written there.

    The artifact locations stored in it are moved along, so that records still show them
    under ``<cwd>``.
    """
    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    target = workdir / "mlflow.db"
    shutil.copyfile(source / "mlflow.db", target)
    old, new = str(source), str(workdir)
    with contextlib.closing(sqlite3.connect(target)) as db, db:
        db.execute(
            "UPDATE experiments SET artifact_location = replace(artifact_location, ?, ?)",
            (old, new),
        )
        db.execute("UPDATE runs SET artifact_uri = replace(artifact_uri, ?, ?)", (old, new))
    return workdir


def test_mlflow_reads_what_mlrs_writes(
    tmp_path: Path, mlrs_missing: str | None, mlflow_view: ScriptResult
) -> None:
    if mlrs_missing is not None:
        unavailable(mlrs_missing)
    workdir = tmp_path.resolve()
    run("write_runs.py", workdir, "mlrs")
    assert storage_problems(workdir / "mlflow.db") == []
    mlrs_reads = run("read_runs.py", workdir, "mlrs")
    mlflow_reads = run("read_runs.py", workdir, "mlflow")
    assert_same(mlflow_reads, mlrs_reads, "reading an mlrs-written store")
    # The same script written by real mlflow reads back the same (ids and times aside).
    assert_same(mlflow_view, mlflow_reads, "mlrs-written store vs mlflow-written store")
    assert storage_problems(workdir / "mlflow.db") == []


def test_mlrs_reads_and_extends_what_mlflow_writes(
    tmp_path: Path, mlrs_missing: str | None, mlflow_store: Path, mlflow_view: ScriptResult
) -> None:
    if mlrs_missing is not None:
        unavailable(mlrs_missing)
    # The records name the directory they were read in as <cwd>; the copy lives elsewhere.
    workdir = copy_store(mlflow_store, tmp_path / "store")
    assert_same(mlflow_view, run("read_runs.py", workdir, "mlrs"), "mlrs reading mlflow's store")

    run("append_runs.py", workdir, "mlrs")
    assert storage_problems(workdir / "mlflow.db") == []
    mlflow_reads = run("read_runs.py", workdir, "mlflow")
    mlrs_reads = run("read_runs.py", workdir, "mlrs")
    assert_same(mlflow_reads, mlrs_reads, "reading mlflow's store after mlrs appended")
    assert storage_problems(workdir / "mlflow.db") == []


def test_append_under_mlflow_matches(
    tmp_path: Path, mlrs_missing: str | None, mlflow_store: Path
) -> None:
    """The same appends made by mlflow and by mlrs leave stores that read back the same."""
    if mlrs_missing is not None:
        unavailable(mlrs_missing)
    by_mlflow = copy_store(mlflow_store, tmp_path / "by-mlflow")
    by_mlrs = copy_store(mlflow_store, tmp_path / "by-mlrs")
    run("append_runs.py", by_mlflow, "mlflow")
    run("append_runs.py", by_mlrs, "mlrs")
    assert_same(
        run("read_runs.py", by_mlflow, "mlflow"),
        run("read_runs.py", by_mlrs, "mlflow"),
        "appends by mlflow vs appends by mlrs",
    )
