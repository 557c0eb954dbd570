"""A user's script, type-checked as their editor would (basedpyright, the npm-free build of
pyright, and mypy): the lazy flavor modules, numpy scalars as metric values, variables bound
inside `with start_run()`, and search_runs' result type by output_format."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """\
import numpy as np

import mlrs

mlrs.sklearn.autolog()
mlrs.log_metric("a", np.float32(0.5))
mlrs.MlflowClient().log_metric("run", "a", np.float64(0.5))
with mlrs.start_run() as run:
    value = 1
print(value + 1)
runs = mlrs.search_runs(output_format="list")
reveal_type(runs)
reveal_type(mlrs.search_runs())
reveal_type(run)
reveal_type(mlrs.sklearn.autolog)
"""


@pytest.mark.slow
def test_pyright_types_a_user_script(tmp_path: Path) -> None:
    pyright = shutil.which("basedpyright", path=str(Path(sys.executable).parent))
    if pyright is None:
        pytest.skip("basedpyright is not installed (requirements-dev.txt)")
    (tmp_path / "user.py").write_text(SCRIPT)
    done = subprocess.run(
        [pyright, "--pythonpath", sys.executable, "--outputjson", "user.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(done.stdout)
    diagnostics = report["generalDiagnostics"]
    errors = [d["message"] for d in diagnostics if d["severity"] == "error"]
    assert errors == []
    revealed = [d["message"] for d in diagnostics if d["message"].startswith("Type of")]
    assert revealed[0] == 'Type of "runs" is "list[Run]"'
    assert revealed[1] == 'Type of "mlrs.search_runs()" is "DataFrame"'
    assert revealed[2] == 'Type of "run" is "ActiveRun"'
    assert revealed[3].startswith('Type of "mlrs.sklearn.autolog" is "(')


@pytest.mark.slow
def test_mypy_types_a_user_script(tmp_path: Path) -> None:
    (tmp_path / "user.py").write_text(SCRIPT)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--no-incremental",
            "user.py",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = done.stdout.splitlines()
    errors = [line for line in lines if ": error:" in line]
    assert errors == []
    notes = [line.split("note: ", 1)[1] for line in lines if "Revealed type" in line]
    assert notes[0] == 'Revealed type is "list[mlrs.entities.run.Run]"'
    assert notes[2] == 'Revealed type is "mlrs._fluent.ActiveRun"'
    assert notes[3].startswith('Revealed type is "def (')
