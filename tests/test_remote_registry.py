"""The model registry over a real `mlflow server` (3.18) on 127.0.0.1: one scenario through
mlflow's own REST client and through mlrs against the same server, compared; and versions of a
run that mlrs logged over the server, resolved by `models:/` URIs."""

from __future__ import annotations

import functools
import os
import re
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import mlrs
from mlrs import _registry
from mlrs.exceptions import MlflowException

pytestmark = pytest.mark.slow


@pytest.fixture
def server(tracking_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("MLRS_SPOOL_DIR", str(tmp_path / "spool"))
    return tracking_server


def _unique(prefix: str) -> str:
    return f"{prefix}-{os.getpid()}-{time.monotonic_ns()}"


def _time(value: Any) -> str:
    """Timestamps differ between runs of the scenario: only their kind is compared."""
    return "set" if isinstance(value, int) and value > 0 else repr(value)


def _version(mv: Any) -> tuple[Any, ...]:
    return (
        mv.name,
        repr(mv.version),
        _time(mv.creation_timestamp),
        _time(mv.last_updated_timestamp),
        mv.description,
        mv.user_id,
        mv.current_stage,
        mv.source,
        mv.run_id,
        mv.status,
        mv.status_message,
        mv.run_link,
        sorted(mv.tags.items()),
        sorted(mv.aliases),
    )


def _model(rm: Any) -> tuple[Any, ...]:
    return (
        rm.name,
        _time(rm.creation_timestamp),
        _time(rm.last_updated_timestamp),
        rm.description,
        sorted(rm.tags.items()),
        sorted((alias, repr(version)) for alias, version in rm.aliases.items()),
        [_version(v) for v in rm.latest_versions],
    )


def _scenario(m: Any, prefix: str) -> list[tuple[str, str]]:
    """The registry calls a user makes, with their errors; the same script runs with
    `m` = mlflow and `m` = mlrs."""
    out: list[tuple[str, str]] = []

    def call(label: str, f: Callable[[], object], show: Callable[[Any], object] = repr) -> None:
        try:
            out.append((label, repr(show(f()))))
        except Exception as e:
            out.append((label, f"{type(e).__name__} {getattr(e, 'error_code', '')} {e}"))

    client = m.MlflowClient()
    name = f"{prefix}-model"
    source = "s3://bucket/some/model"
    call("create", lambda: client.create_registered_model(name, {"t": 1}, "first"), _model)
    call("duplicate", lambda: client.create_registered_model(name))
    call("bad name", lambda: client.create_registered_model("a/b"))
    call("get", lambda: client.get_registered_model(name), _model)
    call("get missing", lambda: client.get_registered_model(name + "-none"))
    call("update", lambda: client.update_registered_model(name, "second"), _model)
    call("set tag", lambda: client.set_registered_model_tag(name, "k", "v"))
    call("delete tag", lambda: client.delete_registered_model_tag(name, "t"))
    call("tag on missing", lambda: client.set_registered_model_tag(name + "-none", "k", "v"))

    def version(i: int) -> Any:
        return client.create_model_version(
            name, f"{source}/{i}", tags={"i": i}, description=f"v{i}"
        )

    for i in range(3):
        call(f"version {i}", functools.partial(version, i), _version)
    call("version of missing", lambda: client.create_model_version(name + "-none", source))
    call("get version", lambda: client.get_model_version(name, 2), _version)
    call("get missing version", lambda: client.get_model_version(name, 9))
    call("update version", lambda: client.update_model_version(name, 2, "changed"), _version)
    call("set version tag", lambda: client.set_model_version_tag(name, "1", "a", "b"))
    call("delete version tag", lambda: client.delete_model_version_tag(name, "1", "i"))
    call("tag missing version", lambda: client.set_model_version_tag(name, "9", "a", "b"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        call(
            "to staging",
            lambda: client.transition_model_version_stage(name, 1, "Staging"),
            _version,
        )
        call(
            "to production",
            lambda: client.transition_model_version_stage(name, 2, "production", True),
            _version,
        )
        call("bad stage", lambda: client.transition_model_version_stage(name, 2, "nowhere"))
        call(
            "latest",
            lambda: client.get_latest_versions(name),
            lambda vs: sorted(_version(v) for v in vs),
        )
        call(
            "latest staging",
            lambda: client.get_latest_versions(name, ["Staging"]),
            lambda vs: [_version(v) for v in vs],
        )
        call("latest bad stage", lambda: client.get_latest_versions(name, ["nowhere"]))
    call("download uri", lambda: client.get_model_version_download_uri(name, 3))
    call("download uri missing", lambda: client.get_model_version_download_uri(name, 9))
    call("set alias", lambda: client.set_registered_model_alias(name, "champion", 3))
    call("move alias", lambda: client.set_registered_model_alias(name, "champion", 2))
    call("second alias", lambda: client.set_registered_model_alias(name, "other", 1))
    call("reserved alias", lambda: client.set_registered_model_alias(name, "latest", 1))
    call("alias to missing", lambda: client.set_registered_model_alias(name, "x", 9))
    call("by alias", lambda: client.get_model_version_by_alias(name, "champion"), _version)
    call("by missing alias", lambda: client.get_model_version_by_alias(name, "nope"))
    call("model with aliases", lambda: client.get_registered_model(name), _model)
    call("delete alias", lambda: client.delete_registered_model_alias(name, "other"))
    call("after delete", lambda: client.get_model_version(name, 1), _version)
    other = f"{prefix}-other"
    client.create_registered_model(other)
    client.create_model_version(other, source)
    call(
        "search models",
        lambda: client.search_registered_models(f"name LIKE '{prefix}-%'", order_by=["name"]),
        lambda ms: [_model(x) for x in ms],
    )
    page = client.search_registered_models(f"name LIKE '{prefix}-%'", max_results=1)
    names = [x.name for x in page]
    while page.token:
        page = client.search_registered_models(
            f"name LIKE '{prefix}-%'", max_results=1, page_token=page.token
        )
        names += [x.name for x in page]
    out.append(("model pages", repr(sorted(names))))
    call(
        "search versions",
        lambda: client.search_model_versions(f"name = '{name}'", order_by=["version_number"]),
        lambda vs: [_version(v) for v in vs],
    )
    page = client.search_model_versions(f"name = '{name}'", max_results=2)
    numbers = [v.version for v in page]
    while page.token:
        page = client.search_model_versions(
            f"name = '{name}'", max_results=2, page_token=page.token
        )
        numbers += [v.version for v in page]
    out.append(("version pages", repr(sorted(numbers))))
    call("bad filter", lambda: client.search_model_versions("nonsense = 1"))
    call(
        "fluent search",
        lambda: m.search_registered_models(filter_string=f"name = '{other}'"),
        lambda ms: [_model(x) for x in ms],
    )
    call("delete version", lambda: client.delete_model_version(name, 3))
    call("deleted version", lambda: client.get_model_version(name, 3))
    call("rename", lambda: client.rename_registered_model(name, name + "-renamed"))
    call("old name", lambda: client.get_registered_model(name))
    call("renamed", lambda: client.get_registered_model(name + "-renamed"), _model)
    call("rename onto other", lambda: client.rename_registered_model(other, name + "-renamed"))
    call("delete", lambda: client.delete_registered_model(name + "-renamed"))
    call("deleted", lambda: client.get_registered_model(name + "-renamed"))
    call("delete missing", lambda: client.delete_registered_model(name + "-renamed"))
    m.set_experiment(f"{prefix}-experiment")
    with m.start_run() as run:
        m.log_text("artifact_path: model\n", "model/MLmodel")
    model_uri = f"runs:/{run.info.run_id}/model"
    registered = f"{prefix}-registered"
    call("register", lambda: m.register_model(model_uri, registered), _version)
    call("register again", lambda: m.register_model(model_uri, registered), _version)
    return out


def _normalise(records: list[tuple[str, str]], prefix: str) -> list[tuple[str, str]]:
    def text(value: str) -> str:
        value = value.replace(prefix, "<prefix>")
        # The server's SQL error echoes the row it tried, timestamps included.
        value = re.sub(r"\n\[SQL: .*", "", value, flags=re.DOTALL)
        value = re.sub(r"mlflow-artifacts:/\d+/", "mlflow-artifacts:/<experiment>/", value)
        return re.sub(r"\b[0-9a-f]{32}\b", "<run>", value)

    return [(label, text(value)) for label, value in records]


def test_the_registry_over_a_server_matches_mlflows_client(server: str) -> None:
    import mlflow

    mlflow.set_tracking_uri(server)
    try:
        prefix = _unique("reg-mlflow")
        expected = _normalise(_scenario(mlflow, prefix), prefix)
    finally:
        mlflow.set_tracking_uri(None)  # type: ignore[arg-type]
    mlrs.set_tracking_uri(server)
    prefix = _unique("reg-mlrs")
    actual = _normalise(_scenario(mlrs, prefix), prefix)
    differences = [(e, a) for e, a in zip(expected, actual, strict=True) if e != a]
    for expected_item, actual_item in differences:
        print("EXPECTED", expected_item)
        print("ACTUAL  ", actual_item)
    assert differences == []
    registered = dict(actual)["register again"]
    assert "'2'" in registered, registered
    assert "mlflow-artifacts:/<experiment>/<run>/artifacts/model" in registered, registered


def test_a_version_of_a_run_logged_over_the_server_resolves_by_models_uris(server: str) -> None:
    mlrs.set_tracking_uri(server)
    mlrs.set_experiment(_unique("reg-run"))
    with mlrs.start_run() as run:
        mlrs.log_metric("m", 1.0)
    source = f"{run.info.artifact_uri}/model"
    client = mlrs.MlflowClient()
    name = _unique("reg-run-model")
    client.create_registered_model(name)
    first = client.create_model_version(name, source, run_id=run.info.run_id)
    client.create_model_version(name, source + "-2", run_id=run.info.run_id)
    client.set_registered_model_alias(name, "champion", first.version)
    assert first.run_id == run.info.run_id
    assert first.status == "READY"
    assert _registry.resolve_registry_uri(f"models:/{name}/1") == source
    assert _registry.resolve_registry_uri(f"models:/{name}@champion") == source
    assert _registry.resolve_registry_uri(f"models:/{name}/latest") == source + "-2"
    with pytest.raises(MlflowException) as missing:
        _registry.resolve_registry_uri(f"models:/{name}/7")
    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(MlflowException) as no_alias:
        _registry.resolve_registry_uri(f"models:/{name}@nobody")
    assert no_alias.value.error_code == "INVALID_PARAMETER_VALUE"
    found = client.search_model_versions(f"run_id = '{run.info.run_id}'")
    assert sorted(str(v.source) for v in found) == [source, source + "-2"]


def test_register_model_from_a_runs_uri_over_the_server(server: str) -> None:
    mlrs.set_tracking_uri(server)
    mlrs.set_experiment(_unique("reg-runs-uri"))
    with mlrs.start_run() as run:
        mlrs.log_text("artifact_path: model\n", "model/MLmodel")
    name = _unique("reg-runs-uri-model")
    first = mlrs.register_model(f"runs:/{run.info.run_id}/model", name)
    second = mlrs.register_model(f"runs:/{run.info.run_id}/model", name)
    assert (first.version, second.version) == ("1", "2")
    assert first.source == f"{run.info.artifact_uri}/model"
    assert first.run_id == run.info.run_id
    assert _registry.resolve_registry_uri(f"models:/{name}/2") == first.source


def test_a_logged_models_uri_resolves_to_its_artifacts_on_the_server(server: str) -> None:
    import mlflow

    experiment_id = mlflow.MlflowClient(server).create_experiment(_unique("reg-logged"))
    logged = mlflow.MlflowClient(server).create_logged_model(experiment_id, name="lm")
    mlrs.set_tracking_uri(server)
    resolved = _registry.resolve_registry_uri(f"models:/{logged.model_id}")
    assert resolved == logged.artifact_location
    with pytest.raises(MlflowException) as missing:
        _registry.resolve_registry_uri("models:/m-0123456789abcdef0123456789abcdef")
    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST"


# mlflow's own log_model warns that it cannot validate a LinearRegression's input type.
@pytest.mark.filterwarnings("ignore:.*Any type hint:UserWarning")
def test_log_model_registers_it_over_the_server_as_mlflow_does(server: str) -> None:
    import json

    import mlflow
    from sklearn.linear_model import LinearRegression

    model = LinearRegression().fit([[0.0], [1.0], [2.0]], [0.0, 1.0, 2.0])

    def register(m: Any) -> tuple[Any, ...]:
        name = _unique("reg-log-model")
        m.set_tracking_uri(server)
        m.set_experiment(_unique("reg-log-model"))
        with m.start_run() as run:
            info = m.sklearn.log_model(model, name="model", registered_model_name=name)
        m.set_tracking_uri(None)
        client = mlflow.MlflowClient(server)
        (version,) = client.search_model_versions(f"name = '{name}'")
        links = json.loads(client.get_logged_model(info.model_id).tags["mlflow.modelVersions"])
        return (
            version.version,
            version.source == f"models:/{info.model_id}",
            version.run_id == run.info.run_id,
            version.model_id == info.model_id,
            [(link["name"] == name, link["version"]) for link in links],
            info.registered_model_version,
        )

    assert register(mlrs) == register(mlflow)
