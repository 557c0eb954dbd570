"""The model registry in one database, two implementations: what either writes, both read the
same way, and a model logged by real mlflow and registered by mlrs loads in real mlflow.

``interop/write_registry.py`` writes registered models, versions (one deleted), tags, aliases,
a rename and a deleted model; ``read_registry.py`` records everything the registry API returns;
``append_registry.py`` extends a registry the other implementation wrote.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path

import pytest
from _ci import unavailable

from _harness import (
    PYTHON,
    assert_same,
    clean_env,
    install_template,
)
from _harness import (
    run_interop as run,
)

if importlib.util.find_spec("mlflow") is None:
    unavailable("mlflow is not installed")

pytestmark = pytest.mark.parity


@pytest.fixture(scope="module")
def mlflow_registry(tmp_path_factory: pytest.TempPathFactory, mlflow_template: Path) -> Path:
    """A directory whose mlflow.db real mlflow filled with write_registry.py."""
    workdir = tmp_path_factory.mktemp("registry-mlflow").resolve()
    install_template(mlflow_template, workdir)
    run("write_registry.py", workdir, "mlflow")
    return workdir


def test_mlflow_reads_the_registry_mlrs_writes(
    tmp_path: Path, mlrs_missing: str | None, mlflow_registry: Path
) -> None:
    if mlrs_missing is not None:
        unavailable(mlrs_missing)
    workdir = tmp_path.resolve()
    run("write_registry.py", workdir, "mlrs")
    by_mlflow = run("read_registry.py", workdir, "mlflow")
    assert_same(by_mlflow, run("read_registry.py", workdir, "mlrs"), "reading mlrs's registry")
    assert_same(
        run("read_registry.py", mlflow_registry, "mlflow"),
        by_mlflow,
        "mlflow-written registry vs mlrs-written registry",
    )


def test_mlrs_reads_and_extends_the_registry_mlflow_writes(
    tmp_path: Path, mlrs_missing: str | None, mlflow_registry: Path
) -> None:
    if mlrs_missing is not None:
        unavailable(mlrs_missing)
    import shutil

    workdir = tmp_path / "copy"
    shutil.copytree(mlflow_registry, workdir, ignore=shutil.ignore_patterns("*.py", "home"))
    assert_same(
        run("read_registry.py", workdir, "mlflow"),
        run("read_registry.py", workdir, "mlrs"),
        "mlrs reading mlflow's registry",
    )
    run("append_registry.py", workdir, "mlrs")
    assert_same(
        run("read_registry.py", workdir, "mlflow"),
        run("read_registry.py", workdir, "mlrs"),
        "reading mlflow's registry after mlrs appended",
    )
    by_mlflow = tmp_path / "by-mlflow"
    shutil.copytree(mlflow_registry, by_mlflow, ignore=shutil.ignore_patterns("*.py", "home"))
    run("append_registry.py", by_mlflow, "mlflow")
    mine = run("read_registry.py", workdir, "mlflow")
    theirs = run("read_registry.py", by_mlflow, "mlflow")
    # The copies live in different directories; the records name each as <cwd>.
    assert_same(theirs, mine, "appends by mlflow vs appends by mlrs")


LOG_WITH_MLFLOW = """
import json, warnings
warnings.simplefilter("ignore")
import mlflow, numpy as np
from sklearn.linear_model import LinearRegression
mlflow.set_tracking_uri("sqlite:///mlflow.db")
X = np.arange(6, dtype=float).reshape(-1, 1)
with mlflow.start_run() as run:
    info = mlflow.sklearn.log_model(LinearRegression().fit(X, 3 * X[:, 0]), name="model")
print(json.dumps({"run_id": run.info.run_id, "model_id": info.model_id}))
"""

REGISTER_WITH_MLRS = """
import json, sys
import mlrs
from mlrs._registry import resolve_registry_uri
ids = json.loads(sys.argv[1])
mv = mlrs.register_model(f"runs:/{ids['run_id']}/model", "interop-model")
mv2 = mlrs.register_model(f"models:/{ids['model_id']}", "interop-model")
client = mlrs.MlflowClient()
client.set_registered_model_alias("interop-model", "champion", mv2.version)
print(json.dumps({
    "versions": [mv.version, mv2.version],
    "run_ids": [mv.run_id, mv2.run_id],
    "by_alias": resolve_registry_uri("models:/interop-model@champion"),
    "by_version": resolve_registry_uri("models:/interop-model/1"),
    "latest": resolve_registry_uri("models:/interop-model/latest"),
    "by_id": resolve_registry_uri(f"models:/{ids['model_id']}"),
}))
"""

LOAD_WITH_MLFLOW = """
import json, warnings
warnings.simplefilter("ignore")
import mlflow, numpy as np
mlflow.set_tracking_uri("sqlite:///mlflow.db")
client = mlflow.MlflowClient()
out = {}
for uri in ["models:/interop-model@champion", "models:/interop-model/1"]:
    model = mlflow.sklearn.load_model(uri)
    out[uri] = model.predict(np.array([[2.0]])).tolist()
mv = client.get_model_version_by_alias("interop-model", "champion")
out["alias_version"] = mv.version
out["logged_model_tag"] = client.get_logged_model(mv.source.split("/")[-1]).tags.get(
    "mlflow.modelVersions"
)
print(json.dumps(out))
"""


def _python(code: str, workdir: Path, impl: str, *args: str) -> dict:
    done = subprocess.run(
        [PYTHON, "-c", code, *args],
        cwd=workdir,
        env=clean_env(workdir, impl),
        capture_output=True,
        text=True,
        check=False,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_model_mlflow_logged_and_mlrs_registered_loads_in_mlflow(
    tmp_path: Path, mlrs_missing: str | None, mlflow_template: Path
) -> None:
    if mlrs_missing is not None:
        unavailable(mlrs_missing)
    workdir = tmp_path.resolve()
    install_template(mlflow_template, workdir)
    ids = _python(LOG_WITH_MLFLOW, workdir, "mlflow")
    registered = _python(REGISTER_WITH_MLRS, workdir, "mlrs", json.dumps(ids))
    assert registered["versions"] == [1, 2]
    assert registered["run_ids"] == [ids["run_id"], ids["run_id"]]
    model_dir = workdir / "mlruns" / "0" / "models" / ids["model_id"] / "artifacts"
    for key in ("by_alias", "by_version", "latest", "by_id"):
        assert registered[key] == str(model_dir), key
    assert (model_dir / "MLmodel").is_file()
    loaded = _python(LOAD_WITH_MLFLOW, workdir, "mlflow")
    assert loaded["models:/interop-model@champion"] == [6.0]
    assert loaded["models:/interop-model/1"] == [6.0]
    assert loaded["alias_version"] == 2
    links = json.loads(loaded["logged_model_tag"])
    assert links == [
        {"name": "interop-model", "version": 1},
        {"name": "interop-model", "version": 2},
    ]
