"""Datasets across implementations: real mlflow reads the datasets and inputs mlrs logged, mlrs
reads what mlflow logged, and both log the same rows for the same data (digests, schemas,
profiles, sources, dataset rows shared per experiment)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from _ci import unavailable

from _harness import ScriptResult, install_template
from _store import storage_problems
from test_interop import assert_same, run

if importlib.util.find_spec("mlflow") is None:
    unavailable("mlflow is not installed")

pytestmark = pytest.mark.parity


def written_by(impl: str, workdir: Path, template: Path) -> Path:
    workdir = workdir.resolve()
    workdir.mkdir(parents=True)
    install_template(template, workdir)
    run("write_datasets.py", workdir, impl)
    assert storage_problems(workdir / "mlflow.db") == []
    return workdir


@pytest.fixture(scope="module")
def mlflow_view(tmp_path_factory: pytest.TempPathFactory, mlflow_template: Path) -> ScriptResult:
    """What mlflow reads back from datasets mlflow logged."""
    workdir = written_by("mlflow", tmp_path_factory.mktemp("ds") / "mlflow", mlflow_template)
    return run("read_datasets.py", workdir, "mlflow")


def test_mlflow_reads_the_datasets_mlrs_logs(
    tmp_path: Path, mlflow_template: Path, mlrs_missing: str | None, mlflow_view: ScriptResult
) -> None:
    if mlrs_missing is not None:
        unavailable(mlrs_missing)
    workdir = written_by("mlrs", tmp_path / "mlrs", mlflow_template)
    by_mlflow = run("read_datasets.py", workdir, "mlflow")
    assert_same(by_mlflow, run("read_datasets.py", workdir, "mlrs"), "mlrs reading its datasets")
    assert_same(mlflow_view, by_mlflow, "datasets logged by mlrs vs logged by mlflow")


def test_mlrs_reads_and_extends_the_datasets_mlflow_logs(
    tmp_path: Path, mlflow_template: Path, mlrs_missing: str | None, mlflow_view: ScriptResult
) -> None:
    if mlrs_missing is not None:
        unavailable(mlrs_missing)
    workdir = written_by("mlflow", tmp_path / "mixed", mlflow_template)
    assert_same(mlflow_view, run("read_datasets.py", workdir, "mlrs"), "mlrs reading mlflow's")
    # mlrs logs the same datasets again: no new dataset rows, new runs share mlflow's rows.
    run("write_datasets.py", workdir, "mlrs")
    assert storage_problems(workdir / "mlflow.db") == []
    by_mlflow = run("read_datasets.py", workdir, "mlflow")
    assert_same(by_mlflow, run("read_datasets.py", workdir, "mlrs"), "after mlrs appended")
    after, before = dict(by_mlflow.records), dict(mlflow_view.records)
    assert int(after["datasets rows"]) == int(before["datasets rows"])
    assert int(after["input rows"]) == 2 * int(before["input rows"])
