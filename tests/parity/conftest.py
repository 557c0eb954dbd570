"""Fixtures shared by the parity tests (real mlflow 3.18 against mlrs)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from _harness import PYTHON, clean_env, make_mlflow_template


@pytest.fixture(scope="session")
def mlflow_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh ``mlflow.db`` made by real mlflow, made once per session."""
    return make_mlflow_template(tmp_path_factory.mktemp("mlflow-template"))


@pytest.fixture(scope="session")
def mlrs_missing(tmp_path_factory: pytest.TempPathFactory) -> str | None:
    """None when mlrs can be imported (checked in a subprocess), else the reason it can't."""
    workdir = tmp_path_factory.mktemp("mlrs-probe")
    done = subprocess.run(
        [PYTHON, "-c", "import mlrs; mlrs.start_run"],
        cwd=workdir,
        env=clean_env(workdir, "mlrs"),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode == 0:
        return None
    return f"mlrs is not importable yet: {done.stderr.strip().splitlines()[-1:]}"
