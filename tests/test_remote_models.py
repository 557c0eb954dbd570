"""LoggedModels over a real `mlflow server` (3.18) on 127.0.0.1: the same scenario through
mlflow's own client and through mlrs, compared; and a model's files through the server's
artifact proxy, logged by mlrs and loaded back by both libraries."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import mlrs
from mlrs import _runtime

pytestmark = pytest.mark.slow


@pytest.fixture
def server(tracking_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("MLRS_SPOOL_DIR", str(tmp_path / "spool"))
    yield tracking_server
    mlrs.set_tracking_uri(None)


def _unique(prefix: str) -> str:
    return f"{prefix}-{os.getpid()}-{time.monotonic_ns()}"


def _show(model: Any) -> str:
    """What a user sees of a LoggedModel, without what differs between two runs of a script
    (ids, times, the experiment's number) and the git tags (mlflow adds them only with
    GitPython installed)."""
    metrics = sorted(
        (m.key, m.value, m.step, m.dataset_name, m.dataset_digest, m.run_id is not None)
        for m in model.metrics or []
    )
    return repr(
        (
            model.name,
            str(model.status),
            model.model_type,
            model.source_run_id is not None,
            model.status_message,
            sorted((k, v) for k, v in (model.tags or {}).items() if "source.git" not in k),
            sorted((model.params or {}).items()),
            metrics,
            model.artifact_location.endswith(f"/models/{model.model_id}/artifacts"),
        )
    )


def _scenario(m: Any, experiment: str) -> list[tuple[str, str]]:
    """LoggedModel calls through the fluent API and the client, errors included; the same
    script runs with `m` = mlflow and `m` = mlrs."""
    out: list[tuple[str, str]] = []

    def call(label: str, f: Callable[[], object]) -> None:
        try:
            out.append((label, repr(f())))
        except Exception as e:
            out.append((label, f"{type(e).__name__} {getattr(e, 'error_code', '')} {e}"))

    experiment_id = m.create_experiment(experiment)
    m.set_experiment(experiment)
    client = m.MlflowClient()
    with m.start_run() as run:
        m.log_metric("acc", 0.5, step=0)
        created = m.initialize_logged_model(
            name="alpha",
            params={"lr": "0.1"},
            tags={"team": "a"},
            model_type="classifier",
        )
        m.log_metric("acc", 0.75, step=1, model_id=created.model_id)
        m.log_metric("loss", 0.25, step=1, model_id=created.model_id)
        m.log_outputs([m.entities.LoggedModelOutput(created.model_id, 1)])
    model_id = created.model_id
    out.append(("created", _show(created)))
    with m.set_active_model(name="active") as active, m.start_run():
        m.log_metric("f1", 0.25, step=2)
    out.append(("active", _show(m.get_logged_model(active.model_id))))
    files = [f.path for f in client.list_logged_model_artifacts(active.model_id)]
    out.append(("external files", repr(files)))
    out.append(("got", _show(m.get_logged_model(model_id))))
    out.append(
        ("outputs", repr([o.step for o in client.get_run(run.info.run_id).outputs.model_outputs]))
    )
    out.append(("ready", _show(m.finalize_logged_model(model_id, "READY"))))
    m.set_logged_model_tags(model_id, {"stage": "prod", "team": "b"})
    m.log_model_params({"depth": "3"}, model_id=model_id)
    out.append(("after tags and params", _show(client.get_logged_model(model_id))))
    call("param again", lambda: m.log_model_params({"depth": "4"}, model_id=model_id))
    m.delete_logged_model_tag(model_id, "stage")
    call("delete missing tag", lambda: m.delete_logged_model_tag(model_id, "stage"))
    for i in range(5):
        other = client.create_logged_model(experiment_id, name=f"beta-{i}", params={"i": str(i)})
        client.finalize_logged_model(other.model_id, "READY" if i % 2 else "FAILED")
    names = []
    page = client.search_logged_models(
        [experiment_id], max_results=2, order_by=[{"field_name": "name"}]
    )
    names += [x.name for x in page]
    while page.token:
        page = client.search_logged_models(
            [experiment_id], max_results=2, order_by=[{"field_name": "name"}], page_token=page.token
        )
        names += [x.name for x in page]
    out.append(("pages", repr(names)))
    found = m.search_logged_models(
        filter_string="params.i IN ('2', '3', '4')", output_format="list"
    )
    out.append(("filter", repr(sorted(x.name for x in found))))
    by_metric = m.search_logged_models(
        filter_string="metrics.acc > 0.5",
        order_by=[{"field_name": "metrics.acc", "ascending": False}],
        output_format="list",
    )
    out.append(("metric filter", repr([x.name for x in by_metric])))
    frame = m.search_logged_models(
        experiment_ids=[experiment_id], filter_string="name LIKE 'beta%'"
    )
    out.append(("frame", repr(sorted(frame["name"]))))
    call(
        "bad filter",
        lambda: m.search_logged_models(filter_string="nope.x = 1", output_format="list"),
    )
    call(
        "dataset filter",
        lambda: [
            x.name
            for x in m.search_logged_models(
                datasets=[{"dataset_name": "none"}], output_format="list"
            )
        ],
    )
    call("unknown model", lambda: m.get_logged_model("m-" + "0" * 32))
    call("finalize unknown", lambda: m.finalize_logged_model("m-" + "0" * 32, "READY"))
    call("tags unknown", lambda: m.set_logged_model_tags("m-" + "0" * 32, {"a": "b"}))
    call("params unknown", lambda: m.log_model_params({"a": "b"}, model_id="m-" + "0" * 32))
    call("bad name", lambda: m.initialize_logged_model(name="a/b"))
    call("deleted experiment", lambda: client.create_logged_model("987654321"))
    client.delete_logged_model(model_id)
    call("deleted model", lambda: m.get_logged_model(model_id))
    call(
        "search after delete",
        lambda: sorted(x.name for x in m.search_logged_models(output_format="list")),
    )
    return out


def _normalise(records: list[tuple[str, str]], experiment: str) -> list[tuple[str, str]]:
    def text(value: str) -> str:
        value = value.replace(experiment, "<experiment>")
        value = re.sub(r"\n\[SQL: .*", "", value, flags=re.DOTALL)
        value = re.sub(r"m-[0-9a-f]{32}", "<model>", value)
        value = re.sub(r"\b[0-9a-f]{32}\b", "<run>", value)
        return re.sub(r"experiment_id=\d+|id=\d+|'\d+'", "<n>", value)

    return [(label, text(value)) for label, value in records]


def test_logged_models_over_a_server_match_mlflows_client(server: str) -> None:
    import mlflow

    mlflow.set_tracking_uri(server)
    try:
        name = _unique("models-mlflow")
        expected = _normalise(_scenario(mlflow, name), name)
    finally:
        mlflow.set_tracking_uri(None)  # type: ignore[arg-type]
    mlrs.set_tracking_uri(server)
    name = _unique("models-mlrs")
    actual = _normalise(_scenario(mlrs, name), name)
    differences = [(e, a) for e, a in zip(expected, actual, strict=True) if e != a]
    for expected_item, actual_item in differences:
        print("EXPECTED", expected_item)
        print("ACTUAL  ", actual_item)
    assert differences == []


# mlflow's own loader warns about its internal type hints.
@pytest.mark.filterwarnings("ignore:.*Any type hint:UserWarning")
def test_a_model_logged_over_a_server_loads_back_in_both_libraries(
    server: str, tmp_path: Path
) -> None:
    import mlflow
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    x = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.2], [0.1, 0.9]])
    y = np.array([1, 0, 0, 1])
    estimator = LogisticRegression().fit(x, y)
    expected = estimator.predict(x)

    mlrs.set_tracking_uri(server)
    mlrs.set_experiment(_unique("models-files"))
    with mlrs.start_run() as run:
        mlrs.log_metric("acc", 1.0)
        info = mlrs.sklearn.log_model(estimator, name="model")
    assert info.model_id is not None
    model = mlrs.get_logged_model(info.model_id)
    assert model.artifact_location.startswith("mlflow-artifacts:")
    assert str(model.status) == "READY"
    assert [(m.key, m.value) for m in model.metrics or []] == [("acc", 1.0)]
    client = mlrs.MlflowClient()
    notes = tmp_path / "notes.txt"
    notes.write_text("kept with the model")
    client.log_model_artifact(info.model_id, str(notes))
    listed = sorted(f.path for f in client.list_logged_model_artifacts(info.model_id))
    assert {"MLmodel", "requirements.txt", "notes.txt"} <= set(listed)

    for uri in (f"models:/{info.model_id}", f"runs:/{run.info.run_id}/model"):
        assert (mlrs.pyfunc.load_model(uri).predict(x) == expected).all(), uri
    local = mlrs.artifacts.download_artifacts(
        f"runs:/{run.info.run_id}/model", dst_path=str(tmp_path)
    )
    assert os.path.exists(os.path.join(local, "MLmodel"))

    mlflow.set_tracking_uri(server)
    try:
        theirs = mlflow.get_logged_model(info.model_id)
        assert (theirs.name, theirs.source_run_id) == ("model", run.info.run_id)
        for uri in (f"models:/{info.model_id}", f"runs:/{run.info.run_id}/model"):
            assert (mlflow.pyfunc.load_model(uri).predict(x) == expected).all(), uri
        # ... and a model mlflow logs there loads in mlrs.
        with mlflow.start_run():
            theirs_info = mlflow.sklearn.log_model(estimator, name="theirs")
    finally:
        mlflow.set_tracking_uri(None)  # type: ignore[arg-type]
    loaded = mlrs.pyfunc.load_model(f"models:/{theirs_info.model_id}")
    assert (loaded.predict(x) == expected).all()
    _runtime.get_store(server).flush()
