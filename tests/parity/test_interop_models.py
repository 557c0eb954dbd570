"""Models, both ways: what mlrs logs, real mlflow 3.18 loads (``mlflow.sklearn.load_model``,
``mlflow.pyfunc.load_model``, ``get_logged_model``, ``search_logged_models``,
``get_run().outputs``), and what mlflow logs, mlrs loads the same way.

``interop/write_models.py`` logs a model of each flavor (in a run and outside one) and records
the ModelInfo each call returns; ``interop/read_models.py`` records everything the API and the
model files show, predictions included. Each side runs in its own interpreter (two SQLite
libraries in one process do not mix; see README.md).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from _ci import unavailable

from _harness import ScriptResult, assert_same
from _harness import run_interop as run

if importlib.util.find_spec("mlflow") is None:
    unavailable("mlflow is not installed")

pytestmark = pytest.mark.parity

IMPLS = ("mlflow", "mlrs")


@pytest.fixture(scope="module")
def written(
    tmp_path_factory: pytest.TempPathFactory, mlflow_template: Path, mlrs_missing: str | None
) -> dict[str, ScriptResult]:
    """write_models.py run by each implementation in a directory of its own."""
    if mlrs_missing is not None:
        unavailable(mlrs_missing)
    return {
        impl: run(
            "write_models.py",
            tmp_path_factory.mktemp(f"models-by-{impl}"),
            impl,
            mlflow_template if impl == "mlflow" else None,
        )
        for impl in IMPLS
    }


@pytest.fixture(scope="module")
def baseline(written: dict[str, ScriptResult]) -> ScriptResult:
    """What mlflow reads from the models mlflow logged."""
    return run("read_models.py", written["mlflow"].workdir, "mlflow")


def test_log_model_returns_what_mlflow_returns(written: dict[str, ScriptResult]) -> None:
    assert_same(written["mlflow"], written["mlrs"], "ModelInfo of log_model")


@pytest.mark.parametrize(
    ("writer", "reader"), [("mlrs", "mlflow"), ("mlflow", "mlrs"), ("mlrs", "mlrs")]
)
def test_each_side_loads_the_others_models(
    written: dict[str, ScriptResult], baseline: ScriptResult, writer: str, reader: str
) -> None:
    result = run("read_models.py", written[writer].workdir, reader)
    assert_same(baseline, result, f"models logged by {writer}, read by {reader}")
