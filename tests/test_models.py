"""Models in MLflow 3.18's format: LoggedModel records, the sklearn/xgboost/lightgbm flavors,
pyfunc, signatures and input examples, model URIs and their errors (mlrs only; real mlflow reads
and writes the same models in tests/parity/test_interop_models.py)."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

import mlrs
from mlrs.entities import LoggedModel, LoggedModelOutput, LoggedModelStatus
from mlrs.exceptions import MlflowException
from mlrs.models import Model, ModelInfo, ModelSignature, infer_signature
from mlrs.types import ColSpec, Schema, TensorSpec

X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0, 0.5, 2.5], "b": [1.0, 0.0, 1.0, 0.0, 1.0, 0.0]})
Y = np.array([0, 0, 1, 1, 0, 1])


@pytest.fixture(scope="module")
def sk_model() -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression().fit(X, Y)


def mlmodel(path: str | Path) -> dict[str, Any]:
    with open(os.path.join(path, "MLmodel")) as f:
        loaded: dict[str, Any] = yaml.safe_load(f)
    return loaded


def error_of(fn: Any) -> tuple[str, str]:
    with pytest.raises(MlflowException) as info:
        fn()
    return info.value.error_code, info.value.message


# ---- log_model and LoggedModel records ---------------------------------------------------------


@pytest.mark.slow
def test_sklearn_log_model_creates_a_ready_logged_model_linked_to_the_run(
    sk_model: Any, fresh_store: Path
) -> None:
    with mlrs.start_run() as run:
        mlrs.log_param("p", "1")
        mlrs.log_metric("acc", 0.5, step=2)
        mlrs.log_metric("other_step", 0.1, step=0)
        mlrs.set_tag("run_tag", "v")
        info = mlrs.sklearn.log_model(
            sk_model,
            name="model",
            params={"pp": 3},
            tags={"tt": "y"},
            model_type="classifier",
            step=2,
        )
        assert run.outputs is not None
        assert info.model_id is not None
        assert run.outputs.model_outputs == [LoggedModelOutput(info.model_id, 2)]
    run_id = run.info.run_id
    assert isinstance(info, ModelInfo)
    assert info.model_id is not None
    assert info.model_id.startswith("m-")
    assert len(info.model_id) == 34
    assert info.model_uri == f"models:/{info.model_id}"
    assert info.model_uuid == info.model_id
    assert info.run_id == run_id
    expected_dir = fresh_store.parent / "mlruns" / "0" / "models" / info.model_id / "artifacts"
    assert info.artifact_path == str(expected_dir)
    assert info.name == "model"
    assert info.mlflow_version == "3.18.0"
    assert info.registered_model_version is None
    assert info.params == {"p": "1", "pp": "3"}
    assert info.tags is not None
    assert info.tags["tt"] == "y"
    assert {"mlflow.user", "mlflow.source.name", "mlflow.source.type"} <= set(info.tags)
    assert "run_tag" not in info.tags
    assert set(info.flavors) == {"python_function", "sklearn"}

    logged = mlrs.get_logged_model(info.model_id)
    assert isinstance(logged, LoggedModel)
    assert logged.status == LoggedModelStatus.READY
    assert logged.source_run_id == run_id
    assert logged.model_type == "classifier"
    assert logged.experiment_id == "0"
    assert logged.artifact_location == info.artifact_path
    assert logged.last_updated_timestamp >= logged.creation_timestamp
    # Only the run's metrics logged at the model's step are copied onto it.
    assert [(m.key, m.value, m.step, m.run_id) for m in logged.metrics or []] == [
        ("acc", 0.5, 2, run_id)
    ]
    assert mlrs.MlflowClient().get_logged_model(info.model_id).model_id == info.model_id
    last = mlrs.last_logged_model()
    assert last is not None
    assert last.model_id == info.model_id

    outputs = mlrs.get_run(run_id).outputs
    assert outputs is not None
    assert outputs.model_outputs == [LoggedModelOutput(info.model_id, 2)]
    listed = mlrs.search_runs(output_format="list")
    assert listed[0].outputs is not None
    assert listed[0].outputs.model_outputs == [LoggedModelOutput(info.model_id, 2)]
    # MLflow 3 keeps the files with the model, not under the run's artifacts.
    assert not (fresh_store.parent / "mlruns" / "0" / run_id / "artifacts" / "model").exists()
    assert sorted(os.listdir(info.artifact_path)) == [
        "MLmodel",
        "conda.yaml",
        "model.skops",
        "python_env.yaml",
        "requirements.txt",
    ]


def test_the_mlmodel_file_has_mlflows_keys(sk_model: Any) -> None:
    with mlrs.start_run() as run:
        info = mlrs.sklearn.log_model(sk_model, name="model", metadata={"team": "a"})
    doc = mlmodel(info.artifact_path)
    assert set(doc) == {
        "artifact_path",
        "flavors",
        "metadata",
        "mlflow_version",
        "model_id",
        "model_size_bytes",
        "model_uuid",
        "prompts",
        "run_id",
        "utc_time_created",
    }
    assert doc["run_id"] == run.info.run_id
    assert doc["model_id"] == doc["model_uuid"] == info.model_id
    assert doc["metadata"] == {"team": "a"}
    assert doc["prompts"] is None
    assert doc["model_size_bytes"] == os.path.getsize(
        os.path.join(info.artifact_path, "model.skops")
    )
    import sklearn

    assert doc["flavors"]["sklearn"] == {
        "pickled_model": "model.skops",
        "sklearn_version": sklearn.__version__,
        "serialization_format": "skops",
        "code": None,
        "skops_trusted_types": None,
    }
    pyfunc = doc["flavors"]["python_function"]
    assert pyfunc["loader_module"] == "mlflow.sklearn"
    assert pyfunc["model_path"] == "model.skops"
    assert pyfunc["predict_fn"] == "predict"
    assert pyfunc["env"] == {"conda": "conda.yaml", "virtualenv": "python_env.yaml"}
    # utc_time_created is a quoted string with microseconds, as MLflow writes it.
    assert len(doc["utc_time_created"]) == len("2026-01-01 00:00:00.000000")


def test_log_model_without_an_active_run_starts_none(sk_model: Any) -> None:
    info = mlrs.sklearn.log_model(sk_model, name="solo")
    assert mlrs.active_run() is None
    assert info.run_id is None
    assert "run_id" not in mlmodel(info.artifact_path)
    logged = mlrs.get_logged_model(info.model_id)
    assert logged.source_run_id is None
    assert logged.status == LoggedModelStatus.READY
    assert mlrs.search_runs(output_format="list") == []


def test_log_model_in_the_set_experiment(sk_model: Any, fresh_store: Path) -> None:
    experiment_id = mlrs.set_experiment("exp").experiment_id
    info = mlrs.sklearn.log_model(sk_model, name="m")
    assert info.model_id is not None
    assert mlrs.get_logged_model(info.model_id).experiment_id == experiment_id
    assert info.artifact_path.startswith(str(fresh_store.parent / "mlruns" / experiment_id))


def test_artifact_path_is_deprecated_and_conflicts_with_name(
    sk_model: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="mlrs"):
        info = mlrs.sklearn.log_model(sk_model, artifact_path="old")
    assert "`artifact_path` is deprecated. Please use `name` instead." in caplog.text
    assert info.name == "old"
    code, message = error_of(lambda: mlrs.sklearn.log_model(sk_model, "a", name="b"))
    assert code == "INVALID_PARAMETER_VALUE"
    assert message == (
        "Both `artifact_path` (deprecated) and `name` parameters were specified. "
        "Please only specify `name`."
    )


def test_bad_model_names_are_refused(sk_model: Any) -> None:
    code, message = error_of(lambda: mlrs.sklearn.log_model(sk_model, name="a/b"))
    assert code == "INVALID_PARAMETER_VALUE"
    assert message.startswith("Invalid model name ('a/b') provided.")
    assert mlrs.search_logged_models(output_format="list") == []


def test_an_unnamed_model_gets_a_random_name(sk_model: Any) -> None:
    info = mlrs.sklearn.log_model(sk_model)
    assert info.name
    assert len(info.name.split("-")) == 3


def test_a_failed_save_leaves_the_model_failed(sk_model: Any) -> None:
    with mlrs.start_run():
        code, message = error_of(
            lambda: mlrs.sklearn.log_model(sk_model, name="m", serialization_format="json")
        )
    assert code == "INVALID_PARAMETER_VALUE"
    assert message.startswith("Unrecognized serialization format: json.")
    [model] = mlrs.search_logged_models(output_format="list")
    assert model.status == LoggedModelStatus.FAILED


def test_registered_model_name_registers_and_registry_uris_load(sk_model: Any) -> None:
    with mlrs.start_run():
        info = mlrs.sklearn.log_model(sk_model, name="m", registered_model_name="Reg")
        again = mlrs.sklearn.log_model(sk_model, name="m2", registered_model_name="Reg")
    assert (info.registered_model_version, again.registered_model_version) == (1, 2)
    client = mlrs.MlflowClient()
    assert client.get_model_version("Reg", "1").source == info.model_uri
    client.set_registered_model_alias("Reg", "champion", "1")
    for uri in ("models:/Reg/1", "models:/Reg@champion", "models:/Reg/latest", "models:/Reg/2"):
        np.testing.assert_array_equal(mlrs.pyfunc.load_model(uri).predict(X), Y)
        np.testing.assert_array_equal(mlrs.sklearn.load_model(uri).predict(X), Y)
    assert mlrs.models.get_model_info("models:/Reg@champion").model_id == info.model_id
    assert mlrs.models.get_model_info("models:/Reg/latest").model_id == again.model_id
    assert error_of(lambda: mlrs.pyfunc.load_model("models:/Reg/3"))[0] == (
        "RESOURCE_DOES_NOT_EXIST"
    )


def test_search_logged_models(sk_model: Any) -> None:
    with mlrs.start_run() as run:
        first = mlrs.sklearn.log_model(sk_model, name="first", model_type="a")
        second = mlrs.sklearn.log_model(sk_model, name="second", model_type="b")
    models = mlrs.search_logged_models(output_format="list")
    assert [m.name for m in models] == ["second", "first"]
    named = mlrs.search_logged_models(filter_string="name = 'first'", output_format="list")
    assert [m.model_id for m in named] == [first.model_id]
    both = mlrs.search_logged_models(
        filter_string=f"source_run_id = '{run.info.run_id}' AND model_type != 'a'",
        output_format="list",
    )
    assert [m.model_id for m in both] == [second.model_id]
    ready = mlrs.search_logged_models(filter_string="status = 'READY'", output_format="list")
    assert len(ready) == 2
    frame = mlrs.search_logged_models()
    assert list(frame["name"]) == ["second", "first"]
    assert list(frame["status"]) == [LoggedModelStatus.READY, LoggedModelStatus.READY]
    page = mlrs.MlflowClient().search_logged_models(["0"], max_results=1)
    assert [m.name for m in page] == ["second"]
    rest = mlrs.MlflowClient().search_logged_models(["0"], max_results=1, page_token=page.token)  # type: ignore[arg-type]
    assert [m.name for m in rest] == ["first"]
    assert rest.token is None
    assert mlrs.search_logged_models(filter_string="metrics.x > 1", output_format="list") == []
    code, _ = error_of(lambda: mlrs.search_logged_models(filter_string="metrics.x LIKE 'a'"))
    assert code == "INVALID_PARAMETER_VALUE"
    code, _ = error_of(lambda: mlrs.search_logged_models(output_format="csv"))
    assert code == "INVALID_PARAMETER_VALUE"


def test_client_creates_and_finalizes_logged_models() -> None:
    client = mlrs.MlflowClient()
    model = client.create_logged_model("0", name="ext", params={"k": "v"}, tags={"t": "1"})
    assert model.status == LoggedModelStatus.PENDING
    assert model.params == {"k": "v"}
    assert model.tags == {"t": "1"}
    done = client.finalize_logged_model(model.model_id, "FAILED")
    assert done.status == LoggedModelStatus.FAILED
    client.set_logged_model_tags(model.model_id, {"t": 2})
    assert client.get_logged_model(model.model_id).tags == {"t": "2"}
    code, message = error_of(lambda: client.get_logged_model("m-nope"))
    assert (code, message) == (
        "RESOURCE_DOES_NOT_EXIST",
        "Logged model with ID 'm-nope' not found.",
    )
    with pytest.raises(ValueError, match="'DONE' is not a valid LoggedModelStatus"):
        client.finalize_logged_model(model.model_id, "DONE")
    code, _ = error_of(lambda: client.create_logged_model("42"))
    assert code == "RESOURCE_DOES_NOT_EXIST"


def test_log_outputs_on_a_deleted_run_is_refused() -> None:
    with mlrs.start_run() as run:
        pass
    mlrs.delete_run(run.info.run_id)
    model = mlrs.MlflowClient().create_logged_model("0", name="m")
    code, _ = error_of(
        lambda: mlrs.MlflowClient().log_outputs(
            run.info.run_id, [LoggedModelOutput(model.model_id, 0)]
        )
    )
    assert code == "INVALID_PARAMETER_VALUE"


# ---- flavors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("serialization_format", "file_name"),
    [("skops", "model.skops"), ("cloudpickle", "model.pkl"), ("pickle", "model.pkl")],
)
def test_sklearn_save_and_load_round_trip(
    sk_model: Any, tmp_path: Path, serialization_format: str, file_name: str
) -> None:
    path = tmp_path / "saved"
    mlrs.sklearn.save_model(sk_model, str(path), serialization_format=serialization_format)
    assert (path / file_name).is_file()
    doc = mlmodel(path)
    assert doc["flavors"]["sklearn"]["serialization_format"] == serialization_format
    assert doc["model_id"] is None
    assert "run_id" not in doc
    assert "artifact_path" not in doc
    reqs = (path / "requirements.txt").read_text().splitlines()
    import sklearn

    assert reqs[0] == "mlflow==3.18.0"
    assert f"scikit-learn=={sklearn.__version__}" in reqs
    loaded = mlrs.sklearn.load_model(str(path))
    np.testing.assert_array_equal(loaded.predict(X), sk_model.predict(X))
    np.testing.assert_array_equal(mlrs.pyfunc.load_model(str(path)).predict(X), Y)


def test_saving_into_a_non_empty_directory_is_refused(sk_model: Any, tmp_path: Path) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    code, message = error_of(lambda: mlrs.sklearn.save_model(sk_model, str(tmp_path / "full")))
    assert code == "RESOURCE_ALREADY_EXISTS"
    assert message == f"Path '{tmp_path / 'full'}' already exists and is not empty"


def test_environment_files(sk_model: Any, tmp_path: Path) -> None:
    mlrs.sklearn.save_model(sk_model, str(tmp_path / "a"), pip_requirements=["scikit-learn"])
    assert (tmp_path / "a" / "requirements.txt").read_text() == "mlflow==3.18.0\nscikit-learn"
    conda = yaml.safe_load((tmp_path / "a" / "conda.yaml").read_text())
    assert conda["name"] == "mlflow-env"
    assert conda["channels"] == ["conda-forge"]
    assert conda["dependencies"][-1] == {"pip": ["mlflow==3.18.0", "scikit-learn"]}
    env = yaml.safe_load((tmp_path / "a" / "python_env.yaml").read_text())
    assert env["dependencies"] == ["-r requirements.txt"]
    assert env["python"].count(".") == 2
    mlrs.sklearn.save_model(sk_model, str(tmp_path / "b"), extra_pip_requirements=["foo==1"])
    reqs = (tmp_path / "b" / "requirements.txt").read_text().splitlines()
    assert reqs[0] == "mlflow==3.18.0"
    assert reqs[-1] == "foo==1"
    assert any(r.startswith("skops==") for r in reqs)
    with pytest.raises(ValueError, match="Only one of `conda_env`, `pip_requirements`"):
        mlrs.sklearn.save_model(
            sk_model, str(tmp_path / "c"), pip_requirements=["x"], extra_pip_requirements=["y"]
        )


@pytest.mark.slow
def test_xgboost_round_trips(tmp_path: Path) -> None:
    import xgboost as xgb

    clf = xgb.XGBClassifier(n_estimators=2, max_depth=2).fit(X, Y)
    booster = xgb.train({"max_depth": 2}, xgb.DMatrix(X, label=Y), 2)
    with mlrs.start_run():
        info = mlrs.xgboost.log_model(clf, name="xgb", input_example=X.iloc[:2])
        binfo = mlrs.xgboost.log_model(booster, name="booster")
    doc = mlmodel(info.artifact_path)
    assert doc["flavors"]["xgboost"]["model_class"] == "xgboost.sklearn.XGBClassifier"
    assert doc["flavors"]["xgboost"]["model_format"] == "ubj"
    assert doc["flavors"]["python_function"]["data"] == "model.ubj"
    assert doc["flavors"]["python_function"]["loader_module"] == "mlflow.xgboost"
    assert os.path.isfile(os.path.join(info.artifact_path, "model.ubj"))
    loaded = mlrs.xgboost.load_model(info.model_uri)
    assert isinstance(loaded, xgb.XGBClassifier)
    np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))
    np.testing.assert_array_equal(mlrs.pyfunc.load_model(info.model_uri).predict(X), clf.predict(X))
    assert info.signature is not None  # inferred from the input example and a prediction
    loaded_booster = mlrs.xgboost.load_model(binfo.model_uri)
    assert isinstance(loaded_booster, xgb.Booster)
    np.testing.assert_allclose(
        mlrs.pyfunc.load_model(binfo.model_uri).predict(X), booster.predict(xgb.DMatrix(X))
    )


def test_lightgbm_round_trips() -> None:
    import lightgbm as lgb

    clf = lgb.LGBMClassifier(n_estimators=2, verbose=-1, min_child_samples=1).fit(X, Y)
    with mlrs.start_run():
        info = mlrs.lightgbm.log_model(clf, name="lgbm")
        binfo = mlrs.lightgbm.log_model(clf.booster_, name="booster")
    flavor = mlmodel(info.artifact_path)["flavors"]["lightgbm"]
    assert flavor["data"] == "model.skops"
    assert flavor["model_class"] == "lightgbm.sklearn.LGBMClassifier"
    assert set(flavor["skops_trusted_types"]) == {
        "collections.OrderedDict",
        "lightgbm.basic.Booster",
        "lightgbm.sklearn.LGBMClassifier",
        "lightgbm.sklearn.LGBMRegressor",
    }
    np.testing.assert_array_equal(
        mlrs.lightgbm.load_model(info.model_uri).predict(X), clf.predict(X)
    )
    assert mlmodel(binfo.artifact_path)["flavors"]["lightgbm"]["data"] == "model.lgb"
    booster = mlrs.lightgbm.load_model(binfo.model_uri)
    assert isinstance(booster, lgb.Booster)
    np.testing.assert_allclose(
        mlrs.pyfunc.load_model(binfo.model_uri).predict(X), clf.booster_.predict(X)
    )


# ---- signatures and input examples --------------------------------------------------------------


def test_infer_signature_matches_mlflows_json() -> None:
    frame = pd.DataFrame(
        {
            "f": [1.0, 2.0],
            "f32": np.array([1, 2], dtype="float32"),
            "s": ["a", "b"],
            "b": [True, False],
        }
    )
    sig = infer_signature(frame, np.array([1, 0]))
    assert sig.to_dict() == {
        "inputs": '[{"type": "double", "name": "f", "required": true}, {"type": "float", '
        '"name": "f32", "required": true}, {"type": "string", "name": "s", "required": true}, '
        '{"type": "boolean", "name": "b", "required": true}]',
        "outputs": '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]',
        "params": None,
    }
    tensors = infer_signature(np.zeros((3, 4), dtype="float32"), pd.Series([1.0, 2.0]))
    assert tensors.inputs == Schema([TensorSpec("float32", (-1, 4))])
    assert tensors.outputs == Schema([ColSpec("double")])
    named = infer_signature({"x": np.zeros((2, 3))})
    assert named.to_dict()["inputs"] == (
        '[{"name": "x", "type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 3]}}]'
    )
    assert repr(sig).startswith("inputs: \n  ['f': double (required), 'f32': float (required)")
    assert ModelSignature.from_dict(sig.to_dict()) == sig


def test_input_example_files_and_inferred_signature(sk_model: Any, tmp_path: Path) -> None:
    path = tmp_path / "m"
    mlrs.sklearn.save_model(sk_model, str(path), input_example=X.iloc[:2])
    assert json.loads((path / "input_example.json").read_text()) == {
        "columns": ["a", "b"],
        "data": [[0.0, 1.0], [1.0, 0.0]],
    }
    serving = json.loads((path / "serving_input_example.json").read_text())
    assert serving == {"dataframe_split": {"columns": ["a", "b"], "data": [[0.0, 1.0], [1.0, 0.0]]}}
    doc = mlmodel(path)
    assert doc["saved_input_example_info"] == {
        "artifact_path": "input_example.json",
        "type": "dataframe",
        "pandas_orient": "split",
        "serving_input_path": "serving_input_example.json",
    }
    assert doc["signature"]["inputs"] == (
        '[{"type": "double", "name": "a", "required": true}, '
        '{"type": "double", "name": "b", "required": true}]'
    )
    assert doc["is_signature_from_type_hint"] is False
    assert doc["type_hint_from_example"] is False
    # Row-wise predictions of a column-based model are one unnamed column, as in MLflow.
    assert Model.load(path).signature == infer_signature(X, pd.Series(sk_model.predict(X)))

    mlrs.sklearn.save_model(sk_model, str(tmp_path / "n"), input_example=X.to_numpy()[:1])
    assert json.loads((tmp_path / "n" / "input_example.json").read_text()) == [[0.0, 1.0]]
    assert mlmodel(tmp_path / "n")["saved_input_example_info"]["type"] == "ndarray"
    mlrs.sklearn.save_model(
        sk_model,
        str(tmp_path / "nosig"),
        input_example=X.iloc[:1],
        signature=False,  # type: ignore[arg-type]  # MLflow takes False: no signature
    )
    assert "signature" not in mlmodel(tmp_path / "nosig")


def test_pyfunc_checks_inputs_against_the_signature(sk_model: Any, tmp_path: Path) -> None:
    mlrs.sklearn.save_model(sk_model, str(tmp_path / "m"), signature=infer_signature(X))
    model = mlrs.pyfunc.load_model(str(tmp_path / "m"))
    assert isinstance(model, mlrs.pyfunc.PyFuncModel)
    assert model.metadata.get_input_schema() == infer_signature(X).inputs
    assert model.loader_module == "mlflow.sklearn"
    assert model.get_raw_model().__class__.__name__ == "LogisticRegression"
    reordered = X[["b", "a"]]
    np.testing.assert_array_equal(model.predict(reordered), Y)
    code, message = error_of(lambda: model.predict(X[["a"]]))
    assert code == "INVALID_PARAMETER_VALUE"
    assert message.startswith("Failed to enforce schema of data")
    assert message.endswith("Error: Model is missing inputs ['b'].")


# ---- URIs ---------------------------------------------------------------------------------------


def test_every_uri_form_loads_the_same_model(sk_model: Any) -> None:
    with mlrs.start_run() as run:
        info = mlrs.sklearn.log_model(sk_model, name="model")
    path = info.artifact_path
    for uri in (
        info.model_uri,
        f"runs:/{run.info.run_id}/model",
        path,
        Path(path).as_uri(),
        os.path.relpath(path),
    ):
        np.testing.assert_array_equal(mlrs.sklearn.load_model(uri).predict(X), Y)
    from mlrs.models._uri import resolve_model_uri

    assert resolve_model_uri(f"runs:/{run.info.run_id}/model/MLmodel") == os.path.join(
        path, "MLmodel"
    )
    info2 = mlrs.models.get_model_info(info.model_uri)
    assert info2.model_id == info.model_id
    assert info2.run_id == run.info.run_id


def test_load_model_into_dst_path(sk_model: Any, tmp_path: Path) -> None:
    info = mlrs.sklearn.log_model(sk_model, name="model")
    (tmp_path / "dst").mkdir()
    loaded = mlrs.sklearn.load_model(info.model_uri, dst_path=str(tmp_path / "dst"))
    np.testing.assert_array_equal(loaded.predict(X), Y)
    # The model's files land in dst_path itself, as mlflow 3.18 puts them.
    assert (tmp_path / "dst" / "MLmodel").is_file()


@pytest.mark.parametrize(
    ("uri", "code", "message"),
    [
        (
            "models:/m-0123456789abcdef0123456789abcdef",
            "RESOURCE_DOES_NOT_EXIST",
            "Logged model with ID 'm-0123456789abcdef0123456789abcdef' not found.",
        ),
        ("models:/Foo/1", "RESOURCE_DOES_NOT_EXIST", "Registered Model with name=Foo not found"),
        (
            "models:/Foo@champ",
            "RESOURCE_DOES_NOT_EXIST",
            "Registered Model with name=Foo not found",
        ),
        (
            "models:/",
            "INTERNAL_ERROR",
            "Not a proper models:/ URI: models:. Models URIs must be of the form "
            "'models:/name/suffix' or 'models:/name@alias' where suffix is a version, stage, or "
            "the string 'latest' and where alias is a registered model alias. Only one of suffix "
            "or alias can be defined at a time.",
        ),
        (
            "runs:/",
            "INTERNAL_ERROR",
            "Not a proper runs:/ URI: runs:/. Runs URIs must be of the form "
            "'runs:/<run_id>/run-relative/path/to/artifact'",
        ),
        ("runs:/deadbeef/model", "RESOURCE_DOES_NOT_EXIST", "Run with id=deadbeef not found"),
        ("/nowhere/at/all", "RESOURCE_DOES_NOT_EXIST", "No such artifact: 'all'"),
        ("file:///nowhere/at/all", "RESOURCE_DOES_NOT_EXIST", "No such artifact: 'all'"),
    ],
)
def test_bad_uris_raise_mlflows_errors(uri: str, code: str, message: str) -> None:
    for load in (mlrs.sklearn.load_model, mlrs.pyfunc.load_model):
        assert error_of(lambda load=load: load(uri)) == (code, message)


def test_a_runs_uri_without_artifacts_or_model(sk_model: Any, tmp_path: Path) -> None:
    with mlrs.start_run() as run:
        mlrs.xgboost  # noqa: B018  (the flavor modules load on first use)
    code, message = error_of(lambda: mlrs.sklearn.load_model(f"runs:/{run.info.run_id}/nomodel"))
    assert code == "RESOURCE_DOES_NOT_EXIST"
    assert message == (
        "Failed to download artifacts from path 'nomodel', please ensure that the path is correct."
    )
    code, message = error_of(lambda: mlrs.sklearn.load_model(str(tmp_path)))
    assert (code, message) == ("RESOURCE_DOES_NOT_EXIST", "No such artifact: 'MLmodel'")
    code, message = error_of(lambda: mlrs.pyfunc.load_model(str(tmp_path)))
    assert code == "RESOURCE_DOES_NOT_EXIST"
    assert message == f'Could not find an "MLmodel" configuration file at "{tmp_path}/MLmodel"'


def test_a_flavor_loader_refuses_another_flavor(tmp_path: Path) -> None:
    import lightgbm as lgb

    clf = lgb.LGBMClassifier(n_estimators=2, verbose=-1, min_child_samples=1).fit(X, Y)
    mlrs.lightgbm.save_model(clf.booster_, str(tmp_path / "m"))
    code, message = error_of(lambda: mlrs.sklearn.load_model(str(tmp_path / "m")))
    assert (code, message) == (
        "RESOURCE_DOES_NOT_EXIST",
        'Model does not have the "sklearn" flavor',
    )


def test_loading_can_be_forbidden(
    sk_model: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mlrs.sklearn.save_model(sk_model, str(tmp_path / "m"))
    monkeypatch.setenv("MLFLOW_ALLOW_MODEL_CODE_EXECUTION", "false")
    code, message = error_of(lambda: mlrs.sklearn.load_model(str(tmp_path / "m")))
    assert code == "INTERNAL_ERROR"
    assert message.startswith("Deserializing this model is disallowed.")
