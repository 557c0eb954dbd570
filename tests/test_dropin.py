"""What mlrs adds for a drop-in migration and has no mlflow counterpart to compare with:
install_as_mlflow(), `mlrs run`, the messages for missing extras and server databases, and the
logger set up on first use. (tests/parity/scenarios/dropin_modules.py covers what mlflow has.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import mlrs
from mlrs.exceptions import MlflowException


def run_python(code: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **env},
    )


def test_install_as_mlflow_aliases_every_import_form(tmp_path: Path) -> None:
    code = """
import sys, mlrs
mlrs.install_as_mlflow()
mlrs.install_as_mlflow()  # a second call changes nothing
import mlflow, mlflow.sklearn
from mlflow.tracking import MlflowClient
from mlflow.entities import Run, Metric
from mlflow import log_metric
import mlflow.utils.mlflow_tags as tags
assert mlflow is mlrs and mlflow.sklearn is mlrs.sklearn
assert MlflowClient is mlrs.MlflowClient and Run is mlrs.entities.Run
assert log_metric is mlrs.log_metric and tags.MLFLOW_RUN_NAME == "mlflow.runName"
with mlflow.start_run() as run:
    mlflow.log_metric("m", 1.0)
assert mlrs.get_run(run.info.run_id).data.metrics == {"m": 1.0}
try:
    import mlflow.no_such_module
except ModuleNotFoundError as e:
    print(e)
print(sum(type(f).__name__ == "MlflowAliasFinder" for f in sys.meta_path))
"""
    done = run_python(code, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["No module named 'mlflow.no_such_module'", "1"]


def test_install_as_mlflow_refuses_after_the_real_mlflow(tmp_path: Path) -> None:
    pytest.importorskip("mlflow")
    code = """
import mlflow, mlrs
try:
    mlrs.install_as_mlflow()
except RuntimeError as e:
    print(e)
print(mlflow.__name__, type(mlflow.MlflowClient).__module__ != "mlrs")
"""
    done = run_python(code, tmp_path, MLFLOW_DISABLE_TELEMETRY="true")
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.splitlines()
    assert first.startswith("mlrs.install_as_mlflow() cannot alias `mlflow`: the real mlflow")
    assert "mlrs run script.py" in first
    assert second == "mlflow True"


def test_mlrs_run_runs_a_script_written_for_mlflow(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(
        "import sys\n"
        "import mlflow\n"
        "from helper import VALUE\n"  # the script's directory is importable, as with python
        "print(__name__, sys.argv[1:], mlflow.__name__, VALUE)\n"
        "with mlflow.start_run():\n"
        "    mlflow.log_param('p', sys.argv[1])\n"
        "sys.exit(int(sys.argv[2]))\n"
    )
    (tmp_path / "helper.py").write_text("VALUE = 7\n")
    done = subprocess.run(
        [sys.executable, "-m", "mlrs", "run", str(script), "a", "4"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 4, done.stderr
    assert done.stdout.strip() == "__main__ ['a', '4'] mlrs 7"
    # The child inherited this test's tracking URI: its run is in this test's database.
    runs = mlrs.search_runs(search_all_experiments=True, output_format="list")
    assert [r.data.params for r in runs] == [{"p": "a"}]


def test_mlrs_run_bad_arguments(tmp_path: Path) -> None:
    def mlrs_run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "mlrs", "run", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )

    missing = mlrs_run("no_such_script.py")
    assert missing.returncode == 2
    assert "can't open file 'no_such_script.py'" in missing.stderr
    neither = mlrs_run()
    assert neither.returncode == 2
    assert "give either a script or -m MODULE" in neither.stderr
    (tmp_path / "mod.py").write_text("import sys, mlflow; print(mlflow.__name__, sys.argv[1:])\n")
    module = mlrs_run("-m", "mod", "x")
    assert module.returncode == 0, module.stderr
    assert module.stdout.strip() == "mlrs ['x']"
    failing = tmp_path / "boom.py"
    failing.write_text("raise ValueError('boom')\n")
    crashed = mlrs_run(str(failing))
    assert crashed.returncode == 1
    assert "ValueError: boom" in crashed.stderr


def test_a_missing_model_extra_names_the_pip_command(tmp_path: Path) -> None:
    code = """
import sys
sys.modules["skops"] = None  # as if skops were not installed
import numpy as np, mlrs
from sklearn.linear_model import LinearRegression
model = LinearRegression().fit(np.array([[0.0], [1.0]]), [0.0, 1.0])
with mlrs.start_run():
    try:
        mlrs.sklearn.log_model(model, name="m")
    except ImportError as e:
        print(type(e).__name__, e)
print(len(mlrs.search_logged_models(output_format="list")))
"""
    done = run_python(code, tmp_path)
    assert done.returncode == 0, done.stderr
    error, count = done.stdout.splitlines()
    assert error == (
        "MissingExtraError A scikit-learn model in the 'skops' format needs the Python package "
        "'skops', which is not installed. Install it with: pip install 'mlrs[models]'"
    )
    assert count == "0"  # refused before a LoggedModel was created


def test_autolog_without_the_extra_logs_the_run_and_warns_once(tmp_path: Path) -> None:
    code = """
import sys
import numpy as np, mlrs
from sklearn.linear_model import LinearRegression
# As if the models extra were not installed (scikit-learn loaded its own copy already).
sys.modules["cloudpickle"] = None
sys.modules["skops"] = None
mlrs.sklearn.autolog()
X = np.array([[0.0], [1.0], [2.0]])
for _ in range(3):
    LinearRegression().fit(X, [0.0, 1.0, 2.0])
runs = mlrs.search_runs(output_format="list")
print(len(runs), sorted(runs[0].data.params)[:2])
"""
    done = run_python(code, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "3 ['copy_X', 'fit_intercept']"
    warnings = [line for line in done.stderr.splitlines() if "pip install 'mlrs[models]'" in line]
    assert len(warnings) == 1, done.stderr
    assert " WARNING mlrs: Autologging could not log the model: " in warnings[0]


@pytest.mark.parametrize(
    "uri",
    [
        "postgresql://user:secret@db.example:5432/mlflow",
        "mysql+pymysql://user:secret@db/mlflow",
        "mssql://db/mlflow",
    ],
)
def test_server_databases_say_to_use_an_mlflow_server(uri: str) -> None:
    mlrs.set_tracking_uri(uri)
    with pytest.raises(MlflowException) as info:
        mlrs.search_experiments()
    message = info.value.message
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
    assert "mlflow server --backend-store-uri" in message
    assert "mlrs.set_tracking_uri('http://127.0.0.1:5000')" in message
    assert "secret" not in message  # the password never reaches a log


def test_the_logger_is_configured_by_the_first_message(tmp_path: Path) -> None:
    code = """
import sys, mlrs
assert "logging" not in sys.modules  # import mlrs stays light
mlrs.set_experiment("new one")
import logging
logger = logging.getLogger("mlrs")
print(len(logger.handlers), logger.propagate)
"""
    done = run_python(code, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1 False"
    line = done.stderr.strip()
    assert line.endswith(
        " INFO mlrs: Experiment with name 'new one' does not exist. Creating a new experiment."
    )
    date, time = line.split(" ")[:2]
    assert (len(date), date[4], date[7]) == (10, "/", "/")
    assert (len(time), time[2], time[5]) == (8, ":", ":")


def test_bad_logging_switch_is_refused(tmp_path: Path) -> None:
    done = run_python("import logging, mlrs", tmp_path, MLFLOW_CONFIGURE_LOGGING="sometimes")
    assert done.returncode == 1
    assert "MLFLOW_CONFIGURE_LOGGING value must be one of" in done.stderr
