"""The model registry: storage as MLflow 3.18 writes it, registry URIs, `models:/` resolution,
`register_model` sources (LoggedModel rows), paging, concurrency and hostile input.

Behaviour shared with real mlflow is compared in tests/parity (registry_*.py scenarios and
test_interop_registry.py); these tests cover what those cannot see or need no mlflow for.
"""

from __future__ import annotations

import os
import threading
import uuid
from pathlib import Path

import pytest
from _sql import rows

import mlrs
from mlrs import _core, _registry, _runtime
from mlrs.entities.model_registry import (
    ModelVersion,
    ModelVersionTag,
    RegisteredModel,
    RegisteredModelAlias,
    RegisteredModelTag,
)
from mlrs.exceptions import MlflowException


@pytest.fixture
def client() -> mlrs.MlflowClient:
    return mlrs.MlflowClient()


def add_logged_model(
    db: Path, run_id: str, name: str = "model", step: int | None = 0, location: str = "/lm"
) -> str:
    """A LoggedModel row as MLflow 3.18 writes it (the models feature makes these)."""
    model_id = f"m-{uuid.uuid4().hex}"
    rows(
        db,
        "INSERT INTO logged_models (model_id, experiment_id, name, artifact_location, "
        "creation_timestamp_ms, last_updated_timestamp_ms, status, lifecycle_stage, "
        "source_run_id) VALUES (?, 0, ?, ?, 1, 1, 2, 'active', ?)",
        model_id,
        name,
        f"{location}/{model_id}/artifacts",
        run_id,
    )
    if step is not None:
        rows(
            db,
            "INSERT INTO inputs (input_uuid, source_type, source_id, destination_type, "
            "destination_id, step) VALUES (?, 'RUN_OUTPUT', ?, 'MODEL_OUTPUT', ?, ?)",
            uuid.uuid4().hex,
            run_id,
            model_id,
            step,
        )
    return model_id


def test_columns_are_stored_as_mlflow_stores_them(
    client: mlrs.MlflowClient, fresh_store: Path
) -> None:
    client.create_registered_model("m", tags={"t": 1}, description="d")
    mv = client.create_model_version("m", "/src", run_id="r1", tags={"k": "v"})
    assert (mv.version, mv.current_stage, mv.status, mv.user_id) == (1, "None", "READY", None)
    (row,) = rows(
        fresh_store,
        "SELECT name, version, creation_time = last_updated_time, description, user_id, "
        "current_stage, source, run_id, status, status_message, run_link, storage_location, "
        "workspace FROM model_versions",
    )
    assert row == (
        "m",
        1,
        1,
        None,
        None,
        "None",
        "/src",
        "r1",
        "READY",
        None,
        None,
        "/src",
        "default",
    )
    assert rows(fresh_store, "SELECT * FROM registered_model_tags") == [("t", "1", "m", "default")]
    assert rows(fresh_store, "SELECT * FROM model_version_tags") == [("k", "v", "m", 1, "default")]
    (created, updated) = rows(
        fresh_store, "SELECT creation_time, last_updated_time FROM registered_models"
    )[0]
    assert isinstance(created, int)
    assert mv.creation_timestamp is not None
    assert updated == mv.creation_timestamp >= created  # a new version touches its model


def test_entities_compare_by_value_and_are_not_hashable() -> None:
    assert ModelVersionTag("a", "b") == ModelVersionTag("a", "b")
    assert RegisteredModelTag("a", "b") != ModelVersionTag("a", "b")
    assert RegisteredModelAlias("x", 1) == RegisteredModelAlias("x", 1)
    mv = ModelVersion("n", 1, 5, tags=[ModelVersionTag("k", "v")], aliases=["a"])
    assert mv == ModelVersion("n", 1, 5, tags=[ModelVersionTag("k", "v")], aliases=["a"])
    assert mv != ModelVersion("n", 2, 5)
    with pytest.raises(TypeError):
        hash(mv)
    rm = RegisteredModel("n", tags=[RegisteredModelTag("mlflow.prompt.is_prompt", "true")])
    assert rm.tags == {}
    assert rm._is_prompt()
    assert (rm.workspace, mv.workspace) == ("default", "default")
    assert repr(RegisteredModelAlias("a", "1")) == "<RegisteredModelAlias: alias='a', version='1'>"


def test_registry_uri_selects_the_database(
    client: mlrs.MlflowClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "registry.db"
    monkeypatch.setattr(_runtime, "_registry_uri", None)
    assert mlrs.get_registry_uri() == mlrs.get_tracking_uri()
    mlrs.set_registry_uri(f"sqlite:///{other}")
    # Dropped for good, not through monkeypatch: its undo would put the variable back after
    # mlrs.reset(), for every later fixture made outside a test's environment to see.
    os.environ.pop("MLFLOW_REGISTRY_URI")
    try:
        mlrs.MlflowClient().create_registered_model("elsewhere")
        assert rows(other, "SELECT name FROM registered_models") == [("elsewhere",)]
        assert client.search_registered_models() == []  # resolved when it was made
    finally:
        monkeypatch.setattr(_runtime, "_registry_uri", None)
    explicit = mlrs.MlflowClient(registry_uri=f"sqlite:///{other}")
    assert explicit.get_registered_model("elsewhere").name == "elsewhere"
    with pytest.raises(MlflowException, match="not found"):
        client.get_registered_model("elsewhere")


def test_resolve_registry_uri(client: mlrs.MlflowClient, fresh_store: Path) -> None:
    client.create_registered_model("m")
    client.create_model_version("m", "/one")
    client.create_model_version("m", "/two")
    client.set_registered_model_alias("m", "champ", "1")
    resolve = _registry.resolve_registry_uri
    assert resolve("models:/m/1") == "/one"
    assert resolve("models:/m@champ") == "/one"
    assert resolve("models:/m/latest") == "/two"
    assert resolve("models:/m/LATEST") == "/two"
    with pytest.warns(FutureWarning):
        client.transition_model_version_stage("m", "1", "Staging")
    assert resolve("models:/m/staging") == "/one"
    with pytest.raises(MlflowException, match="No versions of model with name 'm' and stage"):
        resolve("models:/m/Production")
    with pytest.raises(MlflowException, match="Invalid Model Version stage: bogus"):
        resolve("models:/m/bogus")
    with pytest.raises(MlflowException, match=r"Model Version \(name=m, version=9\) not found"):
        resolve("models:/m/9")
    with pytest.raises(MlflowException, match="Registered model alias nope not found"):
        resolve("models:/m@nope")
    with pytest.raises(MlflowException, match="Registered Model with name=x not found") as e:
        resolve("models:/x/1")
    assert e.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(MlflowException, match="Not a proper models:/ URI"):
        resolve("models:/a/b/c")
    client.create_registered_model("empty")
    with pytest.raises(MlflowException, match="No versions of model with name 'empty' found"):
        resolve("models:/empty/latest")
    run = client.create_run("0")
    model_id = add_logged_model(fresh_store, run.info.run_id)
    assert resolve(f"models:/{model_id}") == f"/lm/{model_id}/artifacts"
    with pytest.raises(MlflowException, match="Logged model with ID 'm-nope' not found"):
        resolve("models:/m-nope")
    mv = mlrs.register_model(f"models:/{model_id}", "from-id")
    assert resolve("models:/from-id/1") == f"/lm/{model_id}/artifacts"
    assert (mv.source, mv.run_id) == (f"models:/{model_id}", run.info.run_id)


@pytest.mark.slow
def test_register_model_from_runs_uri_picks_the_latest_logged_model(
    fresh_store: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with mlrs.start_run() as run:
        pass
    run_id = run.info.run_id
    early = add_logged_model(fresh_store, run_id, step=1)
    late = add_logged_model(fresh_store, run_id, step=5)
    add_logged_model(fresh_store, run_id, name="other", step=9)
    add_logged_model(fresh_store, uuid.uuid4().hex, step=20)  # another run's model
    mv = mlrs.register_model(f"runs:/{run_id}/model", "reg")
    assert (mv.source, mv.run_id) == (f"models:/{late}", run_id)
    assert "registering model based on models:/" in caplog.text
    tags = rows(
        fresh_store,
        "SELECT model_id, tag_value FROM logged_model_tags WHERE tag_key = 'mlflow.modelVersions'",
    )
    assert tags == [(late, '[{"name": "reg", "version": 1}]')]
    mlrs.register_model(f"models:/{late}", "reg")
    tags = rows(fresh_store, "SELECT tag_value FROM logged_model_tags WHERE model_id = ?", late)
    assert tags == [('[{"name": "reg", "version": 1}, {"name": "reg", "version": 2}]',)]
    assert early != late
    rows(
        fresh_store, "UPDATE logged_models SET lifecycle_stage = 'deleted' WHERE model_id = ?", late
    )
    assert mlrs.register_model(f"runs:/{run_id}/model", "reg").source == f"models:/{early}"


def test_register_model_prints_its_messages(capsys: pytest.CaptureFixture[str]) -> None:
    mlrs.register_model("/a", "printed")
    mlrs.register_model("/b", "printed")
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "Successfully registered model 'printed'.",
        "Created version '1' of model 'printed'.",
        "Registered model 'printed' already exists. Creating a new version of this model...",
        "Created version '2' of model 'printed'.",
    ]


def test_fluent_searches_page_through_everything(client: mlrs.MlflowClient) -> None:
    for i in range(105):
        client.create_registered_model(f"m{i:03d}")
    everything = mlrs.search_registered_models()
    assert [m.name for m in everything] == [f"m{i:03d}" for i in range(105)]
    assert len(mlrs.search_registered_models(max_results=101)) == 101
    page = client.search_registered_models(max_results=100)
    assert len(page) == 100
    assert page.token
    rest = client.search_registered_models(max_results=100, page_token=page.token)
    assert [m.name for m in rest] == ["m100", "m101", "m102", "m103", "m104"]
    assert rest.token is None


def test_versions_stay_unique_under_concurrent_writers(
    client: mlrs.MlflowClient, fresh_store: Path
) -> None:
    client.create_registered_model("race")
    # A second engine store on the same file stands in for another process.
    other = _core.Store(str(fresh_store), "/tmp/unused")
    made: list[int] = []

    def make(store: _core.Store) -> None:
        for _ in range(10):
            made.append(
                store.create_model_version("race", "/s", None, [], None, None, None).version
            )

    threads = [threading.Thread(target=make, args=(s,)) for s in (client._registry_store, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    other.close()
    assert sorted(made) == list(range(1, 21))
    assert rows(fresh_store, "SELECT COUNT(DISTINCT version) FROM model_versions") == [(20,)]


@pytest.mark.parametrize(
    "filter_string",
    [
        "name = 'x'' OR ''1''=''1'",
        "name = 'a'; DROP TABLE registered_models",
        "tags.`k'); DROP TABLE registered_models; --` = 'v'",
        "name LIKE '%' AND tags.\"a b\" = 'c'",
    ],
)
def test_hostile_filters_are_bound_or_refused(
    client: mlrs.MlflowClient, filter_string: str
) -> None:
    client.create_registered_model("keep")
    outcome: object
    try:
        outcome = [m.name for m in client.search_registered_models(filter_string)]
    except MlflowException as e:
        outcome = e.error_code
    assert outcome in ([], "INVALID_PARAMETER_VALUE")
    assert client.get_registered_model("keep").name == "keep"
    with pytest.raises(MlflowException) as refused:
        client.search_model_versions(f"{filter_string} AND version_number = 'x'")
    assert refused.value.error_code == "INVALID_PARAMETER_VALUE"


def test_rename_keeps_everything_attached(client: mlrs.MlflowClient, fresh_store: Path) -> None:
    client.create_registered_model("a", tags={"t": "1"})
    client.create_model_version("a", "/1", tags={"vt": "x"})
    client.create_model_version("a", "/2")
    client.delete_model_version("a", "2")
    client.set_registered_model_alias("a", "champ", "1")
    client.rename_registered_model("a", "b")
    rm = client.get_registered_model("b")
    assert (rm.tags, rm.aliases) == ({"t": "1"}, {"champ": 1})
    assert client.get_model_version("b", "1").tags == {"vt": "x"}
    assert client.create_model_version("b", "/3").version == 3
    assert rows(fresh_store, "SELECT DISTINCT name FROM model_versions") == [("b",)]
    assert rows(fresh_store, "SELECT DISTINCT name FROM model_version_tags") == [("b",)]


def test_deprecated_stage_apis_warn(client: mlrs.MlflowClient) -> None:
    client.create_registered_model("s")
    client.create_model_version("s", "/1")
    with pytest.warns(FutureWarning, match="is deprecated since 2.9.0"):
        mv = client.transition_model_version_stage("s", "1", "production")
    assert mv.current_stage == "Production"
    with pytest.warns(FutureWarning):
        assert [v.version for v in client.get_latest_versions("s", ["Production"])] == [1]
    with pytest.warns(FutureWarning):
        assert client.get_model_version_stages("s", "1") == [
            "None",
            "Staging",
            "Production",
            "Archived",
        ]
