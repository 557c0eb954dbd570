"""The database mlrs creates is the one real mlflow 3.18 creates: same DDL, stamp and seed rows."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

import pytest
from _ci import unavailable

from _harness import PYTHON, clean_env, install_template
from _store import ALEMBIC_HEAD, rows, schema, storage_problems

if importlib.util.find_spec("mlflow") is None:
    unavailable("mlflow is not installed")

pytestmark = pytest.mark.parity

OPEN_STORE = {
    "default": "import mlrs; mlrs.search_experiments()",
    "set_tracking_uri": "import mlrs; mlrs.set_tracking_uri('sqlite:///x.db'); mlrs.start_run()",
}


@pytest.fixture(scope="module", params=sorted(OPEN_STORE))
def mlrs_db(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    mlrs_missing: str | None,
) -> Path:
    """A database freshly created by mlrs, through the default URI or an explicit one."""
    if mlrs_missing is not None:
        unavailable(mlrs_missing)
    workdir = tmp_path_factory.mktemp(f"mlrs-schema-{request.param}").resolve()
    done = subprocess.run(
        [PYTHON, "-c", OPEN_STORE[request.param]],
        cwd=workdir,
        env=clean_env(workdir, "mlrs"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return workdir / ("mlflow.db" if request.param == "default" else "x.db")


@pytest.fixture(scope="module")
def mlflow_db(tmp_path_factory: pytest.TempPathFactory, mlflow_template: Path) -> Path:
    workdir = tmp_path_factory.mktemp("mlflow-schema").resolve()
    install_template(mlflow_template, workdir)
    return workdir / "mlflow.db"


def first_difference(ours: str | None, theirs: str | None) -> str:
    """Where two DDL texts part: a few dozen characters of each around the first difference."""
    ours, theirs = ours or "", theirs or ""
    at = next(
        (i for i, (a, b) in enumerate(zip(ours, theirs, strict=False)) if a != b),
        min(len(ours), len(theirs)),
    )
    return f"\n  mlrs:   ...{ours[at - 40 : at + 80]!r}\n  mlflow: ...{theirs[at - 40 : at + 80]!r}"


def test_same_tables_indexes_and_triggers(mlrs_db: Path, mlflow_db: Path) -> None:
    ours, theirs = schema(mlrs_db), schema(mlflow_db)
    assert {row[:3] for row in ours} == {row[:3] for row in theirs}
    sql_of = {row[1]: row[3] for row in theirs}
    differences = [
        f"{name}:{first_difference(sql, sql_of[name])}" for _, name, _, sql in sorted(ours - theirs)
    ]
    assert not differences, "DDL differs for " + "\n".join(differences)


def test_alembic_stamp(mlrs_db: Path) -> None:
    assert rows(mlrs_db, "SELECT * FROM alembic_version") == [(ALEMBIC_HEAD,)]


def test_seed_rows(mlrs_db: Path, mlflow_db: Path) -> None:
    query = "SELECT * FROM workspaces"
    assert rows(mlrs_db, query) == rows(mlflow_db, query)
    (default,) = rows(mlrs_db, "SELECT * FROM experiments")
    experiment_id, name, location, stage, created, updated, workspace = default
    assert (experiment_id, name, stage, workspace) == (0, "Default", "active", "default")
    assert location == str(mlrs_db.parent / "mlruns" / "0")
    assert isinstance(created, int)
    assert created == updated
    assert rows(mlrs_db, "SELECT * FROM experiment_tags") == []


def test_only_seed_rows(mlrs_db: Path, mlflow_db: Path) -> None:
    """Every table other than the seeded ones is empty, as in mlflow's fresh database."""
    tables = [name for kind, name, _, _ in schema(mlflow_db) if kind == "table"]
    seeded = {"alembic_version", "workspaces", "experiments"}
    nonempty = {}
    for table in tables:
        if table in seeded:
            continue
        count = rows(mlrs_db, f"SELECT count(*) FROM {table}")[0][0]
        if count:
            nonempty[table] = count
    seeded_runs = {"runs", "tags"} if mlrs_db.name == "x.db" else set()  # start_run made one
    assert set(nonempty) <= seeded_runs


def test_pragmas_and_integrity(mlrs_db: Path, mlflow_db: Path) -> None:
    # The journal mode is left out on purpose: mlrs switches the file to WAL (DESIGN.md §2).
    for pragma in ("user_version", "page_size", "encoding", "auto_vacuum"):
        assert rows(mlrs_db, f"PRAGMA {pragma}") == rows(mlflow_db, f"PRAGMA {pragma}"), pragma
    assert storage_problems(mlrs_db) == []


def test_no_artifact_directory(mlrs_db: Path) -> None:
    assert not (mlrs_db.parent / "mlruns").exists()
