"""Datasets and run inputs: mlrs.data, log_input/log_inputs, MlflowClient.log_inputs, the rows
they leave in MLflow's tables, and dataset filters. Digests and JSON are compared with what
mlflow 3.18 computes for the same data, in this process (the parity scenarios compare many
more cases)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from _ci import import_or_unavailable
from _sql import rows as sql_rows

import mlrs
from mlrs.data.sources import (
    CodeDatasetSource,
    HTTPDatasetSource,
    LocalArtifactDatasetSource,
    S3ArtifactDatasetSource,
)
from mlrs.entities import Dataset, DatasetInput, InputTag, LoggedModelInput
from mlrs.exceptions import MlflowException

BASIC = {"a": [1, 2, 3], "b": [0.5, 1.5, 2.5], "c": ["x", "y", "z"]}


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    mlrs.flush()
    return sql_rows(db, sql)


@pytest.fixture(scope="module")
def mlflow_data() -> Any:
    return import_or_unavailable("mlflow.data")


def _quietly(build: Any) -> dict[str, Any]:
    """A dataset built by mlflow with warnings ignored: its source registry warns about its own
    duplicate entries here, and its schema inference gives up (schema None) when a warning
    inside it is raised as an error, as this suite's `filterwarnings = error` makes it."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return json.loads(build().to_json())  # type: ignore[no-any-return]


def _without_source(described: dict[str, Any]) -> dict[str, Any]:
    """A dataset's dict without its source: a dataset with no source given gets the calling code
    as source, whose git tags mlrs reads from .git while mlflow needs GitPython (not installed)."""
    return {k: v for k, v in described.items() if k != "source"}


def test_pandas_dataset_matches_mlflow(mlflow_data: Any) -> None:
    ds = mlrs.data.from_pandas(pd.DataFrame(BASIC), source="d.csv")
    theirs = _quietly(lambda: mlflow_data.from_pandas(pd.DataFrame(BASIC), source="d.csv"))
    assert ds.to_dict() == theirs
    assert ds.digest == "daa55b8f"  # the digest other tests here expect
    assert ds.schema is not None
    assert ds.schema.input_names() == ["a", "b", "c"]


def test_large_frames_are_sampled_like_mlflow(mlflow_data: Any) -> None:
    frame = pd.DataFrame({"x": np.arange(15000) % 7, "y": ["a", "b", "c"] * 5000})
    ds = mlrs.data.from_pandas(frame)
    theirs = _quietly(lambda: mlflow_data.from_pandas(frame))
    assert (ds.digest, json.dumps(ds.profile)) == (theirs["digest"], theirs["profile"])
    assert ds.profile == {"num_rows": 15000, "num_elements": 30000}
    # Rows past the first 10000 do not change the digest, but the row count does.
    changed = frame.copy()
    changed.loc[12000, "x"] = 99
    assert mlrs.data.from_pandas(changed).digest == ds.digest
    assert mlrs.data.from_pandas(frame.head(14999)).digest != ds.digest


def test_numpy_dataset_matches_mlflow(mlflow_data: Any) -> None:
    ds = mlrs.data.from_numpy(np.ones((3, 2)), targets=np.zeros(3))
    theirs = _quietly(lambda: mlflow_data.from_numpy(np.ones((3, 2)), targets=np.zeros(3)))
    assert _without_source(ds.to_dict()) == _without_source(theirs)
    features = np.arange(20000.0).reshape(10000, 2)
    big = mlrs.data.from_numpy(features)
    d = big.to_dict()
    assert _without_source(d) == _without_source(_quietly(lambda: mlflow_data.from_numpy(features)))
    assert d["profile"] == (
        '{"features_shape": [10000, 2], "features_size": 20000, "features_nbytes": 160000}'
    )
    assert big.features.shape == (10000, 2)
    assert big.targets is None


def test_schema_inference_of_object_columns() -> None:
    frame = pd.DataFrame(
        {
            "lists": [[1, 2], [3]],
            "dicts": [{"k": 1}, {"k": 2, "z": "x"}],
            "missing": [None, None],
            "text": ["a", None],
        }
    )
    specs = mlrs.data.from_pandas(frame).schema.to_dict()  # type: ignore[union-attr]
    assert specs == [
        {"type": "array", "items": {"type": "long"}, "name": "lists", "required": True},
        {
            "type": "object",
            "properties": {
                "k": {"type": "long", "required": True},
                "z": {"type": "string", "required": False},
            },
            "name": "dicts",
            "required": True,
        },
        {"type": "any", "name": "missing", "required": False},
        {"type": "string", "name": "text", "required": False},
    ]
    assert mlrs.data.from_pandas(pd.DataFrame()).to_dict()["schema"] is None


def test_from_dict_is_from_pandas_of_the_frame() -> None:
    ds = mlrs.data.from_dict(BASIC, source="d.csv", targets="a", name="n")
    assert (
        ds.to_dict()
        == mlrs.data.from_pandas(pd.DataFrame(BASIC), source="d.csv", name="n").to_dict()
    )
    assert ds.targets == "a"
    with pytest.raises(MlflowException, match="dict of columns"):
        mlrs.data.from_dict([1, 2])  # type: ignore[arg-type]
    with pytest.raises(MlflowException, match="targets column 'nope'") as e:
        mlrs.data.from_dict(BASIC, targets="nope")
    assert e.value.error_code == "INVALID_PARAMETER_VALUE"


def test_sources_resolve_like_mlflow(tmp_path: Path) -> None:
    frame = pd.DataFrame(BASIC)
    kinds = {
        "data/x.csv": (LocalArtifactDatasetSource, "local", {"uri": "data/x.csv"}),
        "https://e.com/d.csv": (HTTPDatasetSource, "http", {"url": "https://e.com/d.csv"}),
        "s3://b/k": (S3ArtifactDatasetSource, "s3", {"uri": "s3://b/k"}),
    }
    for raw, (cls, kind, as_dict) in kinds.items():
        source = mlrs.data.from_pandas(frame, source=raw).source
        assert type(source) is cls
        assert (source._get_source_type(), source.to_dict()) == (kind, as_dict)
    for raw in ("runs:/abc/x", "dbfs:/x", "foo://bar"):
        with pytest.raises(MlflowException, match="Could not find a source") as e:
            mlrs.data.from_pandas(frame, source=raw)
        assert e.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    code = mlrs.data.from_pandas(frame).source
    assert isinstance(code, CodeDatasetSource)
    assert list(code.to_dict()["tags"])[:3] == [
        "mlflow.user",
        "mlflow.source.name",
        "mlflow.source.type",
    ]
    data = tmp_path / "d.csv"
    data.write_text("a\n1\n")
    local = mlrs.data.from_pandas(frame, source=str(data)).source
    assert local.load() == str(data)
    assert Path(local.load(dst_path=str(tmp_path / "out"))).read_text() == "a\n1\n"
    with pytest.raises(MlflowException, match="No such artifact"):
        mlrs.data.from_pandas(frame, source=str(tmp_path / "nope.csv")).source.load()


def test_log_input_stores_mlflows_rows(fresh_store: Path) -> None:
    ds = mlrs.data.from_pandas(pd.DataFrame(BASIC), source="d.csv", name="iris")
    with mlrs.start_run() as run:
        mlrs.log_input(ds, context="training", tags={"zz": "1", "aa": "2"})
        mlrs.log_input(ds, context="again", tags={"ignored": "x"})  # already an input: no-op
    got = mlrs.get_run(run.info.run_id).inputs
    assert got is not None
    [only] = got.dataset_inputs
    assert only.dataset == ds._to_mlflow_entity()
    assert [(t.key, t.value) for t in only.tags] == [
        ("aa", "2"),
        ("mlflow.data.context", "training"),
        ("zz", "1"),
    ]
    assert got.to_dictionary()["dataset_inputs"][0]["tags"]["mlflow.data.context"] == "training"
    [(source_type, destination_type, step)] = rows(
        fresh_store, "SELECT source_type, destination_type, step FROM inputs"
    )
    assert (source_type, destination_type, step) == ("DATASET", "RUN", 0)
    assert rows(fresh_store, "SELECT name, digest, dataset_source_type FROM datasets") == [
        ("iris", "daa55b8f", "local")
    ]


def test_datasets_are_shared_within_an_experiment(fresh_store: Path) -> None:
    ds = mlrs.data.from_numpy(np.ones((3, 2)), targets=np.zeros(3))
    for _ in range(2):
        with mlrs.start_run():
            mlrs.log_input(ds, context="train")
    mlrs.set_experiment("other")
    with mlrs.start_run():
        mlrs.log_input(ds, context="train")
    assert rows(fresh_store, "SELECT count(*) FROM datasets") == [(2,)]
    assert rows(fresh_store, "SELECT count(*) FROM inputs") == [(3,)]


def test_log_input_without_a_run_starts_one() -> None:
    # The autolog path: no active run, a numpy dataset.
    mlrs.log_input(mlrs.data.from_numpy(np.arange(6).reshape(3, 2)), context="train")
    run = mlrs.active_run()
    assert run is not None
    inputs = mlrs.get_run(run.info.run_id).inputs
    assert inputs is not None
    assert inputs.dataset_inputs[0].dataset.source_type == "code"


def test_log_inputs_and_client(fresh_store: Path) -> None:
    client = mlrs.MlflowClient()
    run = client.create_run("0")
    entity = Dataset("d", "1", "local", '{"uri": "x"}')
    client.log_inputs(
        run.info.run_id,
        [DatasetInput(entity, [InputTag("mlflow.data.context", "test")]), DatasetInput(entity)],
        [LoggedModelInput("m-123")],
    )
    got = client.get_run(run.info.run_id).inputs
    assert got is not None
    assert got.dataset_inputs == [DatasetInput(entity, [InputTag("mlflow.data.context", "test")])]
    assert got.model_inputs == [LoggedModelInput("m-123")]
    assert [r.inputs.dataset_inputs[0].dataset.name for r in client.search_runs(["0"])] == ["d"]  # type: ignore[union-attr]
    with mlrs.start_run():
        with pytest.raises(MlflowException, match="same length"):
            mlrs.log_inputs([entity], contexts=[])  # type: ignore[list-item]
        with pytest.raises(MlflowException, match="Databricks"):
            mlrs.log_inputs([], [], [], models=[LoggedModelInput("m")])
        with pytest.raises(MlflowException, match="`dataset` must be specified"):
            mlrs.log_inputs([None], ["c"], [None])


@pytest.mark.parametrize(
    ("dataset_input", "message"),
    [
        (DatasetInput(Dataset("n" * 501, "d", "code", "{}")), "'name' exceeds the maximum length"),
        (DatasetInput(Dataset("n", "d" * 37, "code", "{}")), "'digest' exceeds the maximum"),
        (DatasetInput(Dataset("n", "d", "code", "{}"), [InputTag("k", "v" * 501)]), "'value'"),
        (DatasetInput(Dataset("n", "d", "code", "{}"), [InputTag("k" * 256, "v")]), "'key'"),
        (DatasetInput(Dataset("n", None, "code", "{}")), "Dataset digest cannot be None"),  # type: ignore[arg-type]
        (DatasetInput(None), "Dataset cannot be None"),  # type: ignore[arg-type]
    ],
)
def test_bad_inputs_are_refused(
    fresh_store: Path, dataset_input: DatasetInput, message: str
) -> None:
    client = mlrs.MlflowClient()
    run = client.create_run("0")
    with pytest.raises(MlflowException, match=message) as e:
        client.log_inputs(run.info.run_id, [dataset_input])
    assert e.value.error_code == "INVALID_PARAMETER_VALUE"
    assert rows(fresh_store, "SELECT count(*) FROM datasets") == [(0,)]


def test_deleted_and_unknown_runs_are_refused() -> None:
    client = mlrs.MlflowClient()
    run = client.create_run("0")
    client.delete_run(run.info.run_id)
    with pytest.raises(MlflowException, match="Current state is deleted") as e:
        client.log_inputs(run.info.run_id, [DatasetInput(Dataset("n", "d", "code", "{}"))])
    assert e.value.error_code == "INVALID_PARAMETER_VALUE"
    with pytest.raises(MlflowException, match="not found") as e:
        client.log_inputs("0" * 32, [])
    assert e.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(TypeError, match="should be a list"):
        client.log_inputs(run.info.run_id, (DatasetInput(Dataset("n", "d", "code", "{}")),))


def test_dataset_filters() -> None:
    client = mlrs.MlflowClient()
    named = {}
    for name, datasets in [("a", [("iris", "train")]), ("b", [("wine", "test")]), ("c", [])]:
        run = client.create_run("0", run_name=name)
        named[name] = run.info.run_id
        client.log_inputs(
            run.info.run_id,
            [
                DatasetInput(Dataset(d, "x", "code", "{}"), [InputTag("mlflow.data.context", c)])
                for d, c in datasets
            ],
        )

    def found(filter_string: str) -> list[str]:
        runs = client.search_runs(["0"], filter_string)
        return sorted(r.info.run_name for r in runs)

    assert found("datasets.name = 'iris'") == ["a"]
    assert found("datasets.name IN ('iris', 'wine')") == ["a", "b"]
    assert found("datasets.context ILIKE 'TR%'") == ["a"]
    assert found("datasets.digest != 'x'") == []
    assert found("datasets.context NOT IN ('train')") == ["b"]
    with pytest.raises(MlflowException, match="Invalid dataset key 'size'"):
        found("datasets.size = '1'")
    frame = mlrs.search_runs(["0"], "datasets.name = 'iris'")
    assert list(frame["run_id"]) == [named["a"]]
    assert not any(c.startswith("dataset") for c in frame.columns), "mlflow shows no datasets"


def test_entities_compare_by_value() -> None:
    d = Dataset("n", "d", "code", "{}", None, "{}")
    assert d == Dataset("n", "d", "code", "{}", None, "{}")
    assert d != Dataset("n", "d", "code", "{}")
    assert d.to_dictionary() == {
        "name": "n",
        "digest": "d",
        "source_type": "code",
        "source": "{}",
        "schema": None,
        "profile": "{}",
    }
    assert DatasetInput(d, [InputTag("k", "v")]).to_dictionary() == {
        "dataset": d.to_dictionary(),
        "tags": {"k": "v"},
    }
    assert isinstance(
        mlrs.data.get_source(DatasetInput(Dataset("n", "d", "s3", '{"uri": "s3://b"}'))),
        S3ArtifactDatasetSource,
    )


def test_import_mlrs_stays_light() -> None:
    code = (
        "import sys, mlrs; "
        "print(sorted(m for m in ('mlrs.data', 'pandas', 'numpy', 'mlrs.entities.dataset') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
