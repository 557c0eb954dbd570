"""Custom models (`mlrs.pyfunc.PythonModel`): logged with their artifacts, loaded back and
predicting, in MLflow's format both ways (a model mlflow 3.18 logged loads in mlrs and the
reverse), and the refusals of bad arguments."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import mlrs
from mlrs.exceptions import MlflowException


class AddN(mlrs.pyfunc.PythonModel):
    def load_context(self, context: Any) -> None:
        with open(context.artifacts["n"]) as f:
            self.n = int(f.read())

    def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
        scale = (params or {}).get("scale", 1)
        return [(x + self.n) * scale for x in model_input]


def test_a_custom_model_round_trips_with_its_artifacts(tmp_path: Path) -> None:
    (tmp_path / "n.txt").write_text("3")
    with mlrs.start_run() as run:
        info = mlrs.pyfunc.log_model(
            name="adder", python_model=AddN(), artifacts={"n": str(tmp_path / "n.txt")}
        )
    model = mlrs.pyfunc.load_model(info.model_uri)
    assert model.predict([1, 2]) == [4, 5]
    assert model.predict([1], params={"scale": 10}) == [40]
    assert isinstance(model.unwrap_python_model(), AddN)
    by_run = mlrs.pyfunc.load_model(f"runs:/{run.info.run_id}/adder")
    assert by_run.predict([0]) == [3]
    files = sorted(f.path for f in mlrs.MlflowClient().list_artifacts(run.info.run_id, "adder"))
    assert "adder/python_model.pkl" in files
    assert "adder/artifacts" in files
    flavor = model.metadata.flavors["python_function"]
    assert flavor["loader_module"] == "mlflow.pyfunc.model"
    assert flavor["artifacts"] == {"n": {"path": "artifacts/n.txt", "uri": str(tmp_path / "n.txt")}}


def test_bad_custom_model_arguments(tmp_path: Path) -> None:
    with pytest.raises(MlflowException, match="Either `loader_module` or `python_model`"):
        mlrs.pyfunc.log_model(name="m")
    with pytest.raises(MlflowException, match="must be a PythonModel instance"):
        mlrs.pyfunc.save_model(str(tmp_path / "a"), python_model=object())  # type: ignore[arg-type]
    with pytest.raises(MlflowException, match="does not exist") as info:
        mlrs.pyfunc.save_model(
            str(tmp_path / "b"), python_model=AddN(), artifacts={"n": str(tmp_path / "none")}
        )
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
    with pytest.raises(MlflowException, match="not supported"):
        mlrs.pyfunc.log_model(name="m", loader_module="my.module")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "x").write_text("x")
    with pytest.raises(MlflowException, match="already exists and is not empty"):
        mlrs.pyfunc.save_model(str(tmp_path / "c"), python_model=AddN())


@pytest.mark.slow
def test_custom_models_load_across_mlflow_and_mlrs(tmp_path: Path) -> None:
    pytest.importorskip("mlflow")
    definition = textwrap.dedent(
        """
        import sys
        impl = __import__(sys.argv[1])
        import {impl}.pyfunc

        class Twice({impl}.pyfunc.PythonModel):
            def predict(self, context, model_input, params=None):
                return [2 * x for x in model_input]
        """
    )
    save = "{impl}.pyfunc.save_model(sys.argv[2], python_model=Twice())\n"
    load = (
        "import sys, {impl}.pyfunc\nprint({impl}.pyfunc.load_model(sys.argv[2]).predict([1, 5]))\n"
    )
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}

    def run(code: str, impl: str, path: Path) -> str:
        done = subprocess.run(
            [sys.executable, "-c", code.format(impl=impl), impl, str(path)],
            capture_output=True,
            text=True,
            check=False,
            cwd=tmp_path,
            env=env,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    run(definition + save, "mlflow", tmp_path / "by_mlflow")
    run(definition + save, "mlrs", tmp_path / "by_mlrs")
    # The class is pickled by value (it lives in __main__); the base class by reference.
    assert run(load, "mlrs", tmp_path / "by_mlflow") == "[2, 10]"
    assert run(load, "mlflow", tmp_path / "by_mlrs") == "[2, 10]"
