"""Entities: compared in-process with mlflow 3.18's where it is installed, plus mlrs-only parts."""

from __future__ import annotations

import gc
import inspect
import math
import pickle
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from _ci import import_or_unavailable

import mlrs.entities as mlrs_entities
from mlrs.entities import (
    Experiment,
    ExperimentTag,
    FileInfo,
    Metric,
    Param,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunOutputs,
    RunTag,
)
from mlrs.exceptions import MlflowException
from mlrs.store.entities import PagedList

RUN_ID = "0123456789abcdef0123456789abcdef"


@pytest.fixture(scope="module")
def mlflow_entities() -> Any:
    return import_or_unavailable("mlflow.entities")


# Each builder makes the same object from either entities module (mlflow's or ours).
Builder = Callable[[Any], Any]


def _info(e: Any, **overrides: Any) -> Any:
    fields: dict[str, Any] = {
        "run_id": RUN_ID,
        "experiment_id": "3",
        "user_id": "alice",
        "status": "FINISHED",
        "start_time": 1700000000000,
        "end_time": 1700000001234,
        "lifecycle_stage": "active",
        "artifact_uri": "/tmp/mlruns/3/" + RUN_ID + "/artifacts",
        "run_name": "skittish-auk-912",
    }
    fields.update(overrides)
    return e.RunInfo(**fields)


def _data(e: Any) -> Any:
    return e.RunData(
        metrics=[e.Metric("loss", 0.25, 1700000000500, 7), e.Metric("acc", math.nan, 5, -1)],
        params=[e.Param("lr", "0.1"), e.Param("layers", "[1, 2]")],
        tags=[e.RunTag("mlflow.runName", "skittish-auk-912"), e.RunTag("note", "n" * 30)],
    )


def _run(e: Any) -> Any:
    return e.Run(_info(e), _data(e), e.RunInputs([]), e.RunOutputs([]))


def _experiment(e: Any) -> Any:
    tags = [e.ExperimentTag("team", "vision"), e.ExperimentTag("mlflow.note.content", "x")]
    return e.Experiment("7", "exp", "/tmp/mlruns/7", "active", tags, 1, 2)


BUILDERS: dict[str, Builder] = {
    "metric": lambda e: e.Metric("loss", 0.5, 1700000000000, 3),
    "metric_nan": lambda e: e.Metric("loss", math.nan, 1, 0),
    "metric_full": lambda e: e.Metric("m", 2.0, 5, 6, "m-1", "ds", "d1g3st", RUN_ID),
    "param": lambda e: e.Param("lr", "0.01"),
    "run_tag": lambda e: e.RunTag("mlflow.user", "alice"),
    "experiment_tag": lambda e: e.ExperimentTag("k", "v"),
    "file_info_file": lambda e: e.FileInfo("dir/a.txt", False, 12),
    "file_info_dir": lambda e: e.FileInfo("dir", True, None),
    "run_info": _info,
    "run_info_running": lambda e: _info(e, status="RUNNING", end_time=None, run_name=None),
    "run_data": _data,
    "run_data_empty": lambda e: e.RunData(),
    "run_data_long_values": lambda e: e.RunData(
        tags=[e.RunTag("k" * 50, "word " * 40), e.RunTag("uri", "s3://" + "b" * 120)]
    ),
    "run_inputs": lambda e: e.RunInputs([]),
    "run_outputs": lambda e: e.RunOutputs([]),
    "run": _run,
    "run_without_inputs": lambda e: e.Run(_info(e), _data(e)),
    "experiment": _experiment,
    "experiment_bare": lambda e: e.Experiment("0", "Default", "/tmp/mlruns/0", "deleted"),
    "experiment_workspace": lambda e: e.Experiment("1", "n", "/a", "active", workspace=" ws "),
}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_repr_matches_mlflow(mlflow_entities: ModuleType, name: str) -> None:
    build = BUILDERS[name]
    assert repr(build(mlrs_entities)) == repr(build(mlflow_entities))


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_iteration_matches_mlflow(mlflow_entities: ModuleType, name: str) -> None:
    build = BUILDERS[name]
    ours = [(k, repr(v)) for k, v in build(mlrs_entities)]
    theirs = [(k, repr(v)) for k, v in build(mlflow_entities)]
    assert ours == theirs


@pytest.mark.parametrize(
    "name",
    ["metric", "metric_full", "run_data", "run_inputs", "run_outputs", "run", "run_without_inputs"],
)
def test_to_dictionary_matches_mlflow(mlflow_entities: ModuleType, name: str) -> None:
    build = BUILDERS[name]
    ours = build(mlrs_entities).to_dictionary()
    theirs = build(mlflow_entities).to_dictionary()
    assert repr(ours) == repr(theirs)  # repr: NaN != NaN, and key order matters


def test_run_to_dictionary_shape() -> None:
    run = Run(_info(mlrs_entities), RunData(), RunInputs(), RunOutputs())
    assert run.to_dictionary() == {
        "info": {
            "artifact_uri": "/tmp/mlruns/3/" + RUN_ID + "/artifacts",
            "end_time": 1700000001234,
            "experiment_id": "3",
            "lifecycle_stage": "active",
            "run_id": RUN_ID,
            "run_name": "skittish-auk-912",
            "start_time": 1700000000000,
            "status": "FINISHED",
            "user_id": "alice",
        },
        "data": {"metrics": {}, "params": {}, "tags": {}},
        "inputs": {"model_inputs": [], "dataset_inputs": []},
        "outputs": {"model_outputs": []},
    }


# Pairs (a, b) whose equality and hashability must agree with mlflow's.
EQUALITY_PAIRS: dict[str, tuple[Builder, Builder]] = {
    "metric_same": (BUILDERS["metric"], BUILDERS["metric"]),
    "metric_other_step": (BUILDERS["metric"], lambda e: e.Metric("loss", 0.5, 1700000000000, 4)),
    "metric_other_run": (
        BUILDERS["metric"],
        lambda e: e.Metric("loss", 0.5, 1700000000000, 3, run_id=RUN_ID),
    ),
    "metric_vs_param": (BUILDERS["metric"], BUILDERS["param"]),
    "param_same_key_other_value": (BUILDERS["param"], lambda e: e.Param("lr", "0.2")),
    "param_other_key": (BUILDERS["param"], lambda e: e.Param("lr2", "0.01")),
    "run_tag_same": (BUILDERS["run_tag"], BUILDERS["run_tag"]),
    "run_tag_other_value": (BUILDERS["run_tag"], lambda e: e.RunTag("mlflow.user", "bob")),
    "experiment_tag_same": (BUILDERS["experiment_tag"], BUILDERS["experiment_tag"]),
    "file_info_same": (BUILDERS["file_info_file"], BUILDERS["file_info_file"]),
    "file_info_other_size": (BUILDERS["file_info_file"], lambda e: e.FileInfo("dir/a.txt", 0, 1)),
    "run_info_same": (BUILDERS["run_info"], BUILDERS["run_info"]),
    "run_info_other_status": (BUILDERS["run_info"], lambda e: _info(e, status="FAILED")),
    "run_inputs_same": (BUILDERS["run_inputs"], BUILDERS["run_inputs"]),
    "run_outputs_same": (BUILDERS["run_outputs"], BUILDERS["run_outputs"]),
    "run_data_same_content": (BUILDERS["run_data"], BUILDERS["run_data"]),
    "run_same_content": (BUILDERS["run"], BUILDERS["run"]),
    "experiment_same_content": (BUILDERS["experiment"], BUILDERS["experiment"]),
}


def _hash_or_none(obj: Any) -> int | None:
    try:
        return hash(obj)
    except TypeError:
        return None


@pytest.mark.parametrize("name", sorted(EQUALITY_PAIRS))
def test_equality_and_hashing_match_mlflow(mlflow_entities: ModuleType, name: str) -> None:
    build_a, build_b = EQUALITY_PAIRS[name]
    ours = build_a(mlrs_entities), build_b(mlrs_entities)
    theirs = build_a(mlflow_entities), build_b(mlflow_entities)
    assert (ours[0] == ours[1]) == (theirs[0] == theirs[1])
    assert (ours[0] != ours[1]) == (theirs[0] != theirs[1])
    assert (_hash_or_none(ours[0]) is None) == (_hash_or_none(theirs[0]) is None)
    if ours[0] == ours[1] and _hash_or_none(ours[0]) is not None:
        assert hash(ours[0]) == hash(ours[1])


def test_metric_is_hashable_and_compares_by_value() -> None:
    assert Metric("a", 1.0, 1, 0) == Metric("a", 1.0, 1, 0)
    assert len({Metric("a", 1.0, 1, 0), Metric("a", 1.0, 1, 0), Metric("a", 2.0, 1, 0)}) == 2


@pytest.mark.parametrize(
    "cls_name",
    [
        "Metric",
        "Param",
        "RunTag",
        "ExperimentTag",
        "FileInfo",
        "RunInfo",
        "RunData",
        "Run",
        "Experiment",
    ],
)
def test_constructor_signature_matches_mlflow(mlflow_entities: ModuleType, cls_name: str) -> None:
    def shape(cls: type) -> list[tuple[str, Any, Any]]:
        params = inspect.signature(cls).parameters.values()
        return [(p.name, p.kind, p.default) for p in params]

    assert shape(getattr(mlrs_entities, cls_name)) == shape(getattr(mlflow_entities, cls_name))


def test_run_inputs_and_outputs_accept_mlflow_arguments_and_default_to_empty(
    mlflow_entities: ModuleType,
) -> None:
    for e in (mlrs_entities, mlflow_entities):
        assert e.RunInputs([], None).model_inputs == []
        assert e.RunOutputs(model_outputs=[]).model_outputs == []
    assert RunInputs().dataset_inputs == []
    assert RunInputs().model_inputs == []
    assert RunOutputs().model_outputs == []


def test_searchable_and_orderable_attributes_match_mlflow(mlflow_entities: ModuleType) -> None:
    expected = ["artifact_uri", "end_time", "run_id", "run_name", "start_time", "status", "user_id"]
    assert RunInfo.get_searchable_attributes() == expected
    assert RunInfo.get_orderable_attributes() == expected
    assert expected == mlflow_entities.RunInfo.get_searchable_attributes()
    assert expected == mlflow_entities.RunInfo.get_orderable_attributes()


def _outcome(call: Callable[[], Any]) -> tuple[str, Any]:
    """What a call returned, or the type and message of what it raised."""
    try:
        return "ok", call()
    except Exception as exc:
        return type(exc).__name__, str(exc)


ENUM_CALLS: list[Builder] = [
    lambda e: e.RunStatus.all_status(),
    lambda e: [e.RunStatus.to_string(s) for s in e.RunStatus.all_status()],
    lambda e: [e.RunStatus.from_string(s) for s in ("RUNNING", "SCHEDULED", "FINISHED")],
    lambda e: [e.RunStatus.from_string(s) for s in ("FAILED", "KILLED")],
    lambda e: [e.RunStatus.is_terminated(s) for s in range(7)],
    lambda e: (e.RunStatus.RUNNING, e.RunStatus.SCHEDULED, e.RunStatus.FINISHED),
    lambda e: (e.RunStatus.FAILED, e.RunStatus.KILLED),
    lambda e: e.RunStatus.from_string("BOGUS"),
    lambda e: e.RunStatus.from_string("finished"),
    lambda e: e.RunStatus.to_string(9),
    lambda e: (e.ViewType.ACTIVE_ONLY, e.ViewType.DELETED_ONLY, e.ViewType.ALL),
    lambda e: [e.ViewType.to_string(v) for v in (1, 2, 3)],
    lambda e: [e.ViewType.from_string(v) for v in ("active_only", "deleted_only", "all")],
    lambda e: e.ViewType.from_string("ALL"),
    lambda e: e.ViewType.to_string(0),
    lambda e: (e.LifecycleStage.ACTIVE, e.LifecycleStage.DELETED),
    lambda e: [e.LifecycleStage.view_type_to_stages(v) for v in (1, 2, 3)],
    lambda e: e.LifecycleStage.view_type_to_stages(),
    lambda e: [e.LifecycleStage.is_valid(s) for s in ("active", "deleted", "Active", "")],
    lambda e: [
        e.LifecycleStage.matches_view_type(v, s) for v in (1, 2, 3) for s in ("active", "deleted")
    ],
    lambda e: e.LifecycleStage.matches_view_type(1, "gone"),
    lambda e: e.LifecycleStage.matches_view_type(4, "active"),
    lambda e: e.SourceType.SOURCETYPE_TO_STRING,
    lambda e: [e.SourceType.from_string(s) for s in ("NOTEBOOK", "LOCAL", "UNKNOWN")],
    lambda e: e.SourceType.from_string("CLI"),
    lambda e: e.SourceType.to_string(0),
]


@pytest.mark.parametrize("index", range(len(ENUM_CALLS)))
def test_enum_helpers_match_mlflow(mlflow_entities: ModuleType, index: int) -> None:
    call = ENUM_CALLS[index]
    assert _outcome(lambda: call(mlrs_entities)) == _outcome(lambda: call(mlflow_entities))


ERROR_CALLS: list[Builder] = [
    lambda e: e.Metric("m", 1.0, 1, 0, dataset_name="ds"),
    lambda e: e.Metric("m", 1.0, 1, 0, dataset_digest="d"),
    lambda e: e.Metric.from_dictionary({"key": "m", "step": 1}),
    lambda e: e.Metric.from_dictionary({"key": "m", "value": 1, "timestamp": 2, "step": 3}),
    lambda e: e.Param.from_dictionary({"key": "k", "value": "v", "extra": 1}),
    lambda e: e.RunInfo.from_dictionary(dict(_info(e))),
    lambda e: e.Run(None, None),
    lambda e: _info(e, experiment_id=None),
    lambda e: _info(e, user_id=None),
    lambda e: _info(e, status=None),
    lambda e: _info(e, start_time=None),
]


@pytest.mark.parametrize("index", range(len(ERROR_CALLS)))
def test_validation_matches_mlflow(mlflow_entities: ModuleType, index: int) -> None:
    call = ERROR_CALLS[index]
    ours = _outcome(lambda: repr(call(mlrs_entities)))
    theirs = _outcome(lambda: repr(call(mlflow_entities)))
    assert ours == theirs


def test_entity_errors_carry_mlflow_error_codes() -> None:
    with pytest.raises(MlflowException) as info:
        Metric("m", 1.0, 1, 0, dataset_name="ds")
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
    with pytest.raises(MlflowException) as info:
        Run(None, RunData())  # type: ignore[arg-type]
    assert info.value.error_code == "INTERNAL_ERROR"


@pytest.mark.parametrize("env_value", ["team-a", "  ", None])
@pytest.mark.parametrize("workspace", [None, "", "explicit"])
def test_experiment_workspace_resolution_matches_mlflow(
    mlflow_entities: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    env_value: str | None,
    workspace: str | None,
) -> None:
    if env_value is None:
        monkeypatch.delenv("MLFLOW_WORKSPACE", raising=False)
    else:
        monkeypatch.setenv("MLFLOW_WORKSPACE", env_value)
    ours = Experiment("1", "n", "/a", "active", workspace=workspace).workspace
    theirs = mlflow_entities.Experiment("1", "n", "/a", "active", workspace=workspace).workspace
    assert ours == theirs


def test_experiment_defaults() -> None:
    exp = Experiment("0", "Default", "/tmp/mlruns/0", "active")
    assert Experiment.DEFAULT_EXPERIMENT_NAME == "Default"
    assert exp.tags == {}
    assert exp.workspace == "default"
    assert exp.creation_time is None
    assert exp.last_update_time is None
    assert exp.trace_location is None
    assert exp.effective_trace_archival_retention is None
    exp.effective_trace_archival_retention = "30d"
    assert exp.effective_trace_archival_retention == "30d"


def test_run_info_has_no_run_uuid() -> None:
    with pytest.raises(AttributeError):
        _info(mlrs_entities).run_uuid  # noqa: B018


def test_run_data_dicts_and_metric_objects() -> None:
    metrics = [Metric("a", 1.0, 1, 0), Metric("a", 2.0, 2, 1), Metric("b", 3.0, 1, 0)]
    data = RunData(metrics, [Param("p", "1")], [RunTag("t", "x")])
    assert data.metrics == {"a": 2.0, "b": 3.0}
    assert data.params == {"p": "1"}
    assert data.tags == {"t": "x"}
    assert data._metric_objs is metrics
    assert RunData()._metric_objs == []


def test_run_data_from_dicts_matches_constructor() -> None:
    metrics = [Metric._from_row("a", 1.0, 1, 0), Metric._from_row("b", 2.0, 1, 0)]
    built = RunData(metrics, [Param("p", "1")], [RunTag("t", "x")])
    fast = RunData._from_dicts(metrics, {"p": "1"}, {"t": "x"})
    assert repr(fast) == repr(built)
    assert fast._metric_objs is metrics
    assert fast.to_dictionary() == built.to_dictionary()


def test_fast_constructors_equal_the_checked_ones() -> None:
    assert Metric._from_row("k", 1.5, 10, 2) == Metric("k", 1.5, 10, 2)
    assert repr(Metric._from_row("k", 1.5, 10, 2)) == repr(Metric("k", 1.5, 10, 2))
    assert repr(Param._from_row("p", "v")) == repr(Param("p", "v"))
    assert RunTag._from_row("t", "v") == RunTag("t", "v")


@pytest.mark.parametrize("gc_enabled", [True, False])
def test_metric_from_rows_builds_all_and_restores_gc(gc_enabled: bool) -> None:
    rows = [("loss", float(i), 1000 + i, i) for i in range(1000)]
    was_enabled = gc.isenabled()
    if not gc_enabled:
        gc.disable()
    try:
        metrics = Metric._from_rows(iter(rows))
        assert gc.isenabled() is gc_enabled
    finally:
        if was_enabled:
            gc.enable()
    assert metrics == [Metric(*row) for row in rows]
    assert all(type(m) is Metric for m in metrics)


def test_entities_use_slots() -> None:
    for entity in (
        Metric("a", 1.0, 1, 0),
        Param("a", "b"),
        RunTag("a", "b"),
        ExperimentTag("a", "b"),
        FileInfo("a", False, 1),
        _info(mlrs_entities),
        RunData(),
        RunInputs(),
        RunOutputs(),
        _run(mlrs_entities),
        _experiment(mlrs_entities),
    ):
        assert not hasattr(entity, "__dict__"), type(entity).__name__


def test_properties_are_read_only() -> None:
    metric = Metric("a", 1.0, 1, 0)
    with pytest.raises(AttributeError):
        metric.value = 2.0  # type: ignore[misc]
    with pytest.raises(AttributeError):
        _info(mlrs_entities).status = "KILLED"


def test_entities_pickle() -> None:
    metric = Metric("a", 1.0, 1, 0, run_id=RUN_ID)
    assert pickle.loads(pickle.dumps(metric)) == metric
    run = _run(mlrs_entities)
    copy = pickle.loads(pickle.dumps(run))
    assert repr(copy) == repr(run)
    assert copy.info == run.info


def test_subclass_without_properties_iterates_nothing() -> None:
    # mlflow's ActiveRun subclasses Run and, like it, shows ``<ActiveRun: >``.
    class Sub(Run):
        pass

    sub = Sub(_info(mlrs_entities), RunData())
    assert list(sub) == []
    assert repr(sub) == "<Sub: >"


def test_paged_list() -> None:
    page = PagedList([1, 2, 3], b"eyJvZmZzZXQiOiAzfQ==")
    assert isinstance(page, list)
    assert page == [1, 2, 3]
    assert page.token == b"eyJvZmZzZXQiOiAzfQ=="
    assert page.total_count is None
    assert type(page.to_list()) is list
    assert PagedList([], None, total_count=0).token is None


def test_paged_list_matches_mlflow() -> None:
    paged_list = import_or_unavailable("mlflow.store.entities.paged_list")
    shape = [(p.name, p.default) for p in inspect.signature(PagedList).parameters.values()]
    theirs = inspect.signature(paged_list.PagedList).parameters.values()
    assert shape == [(p.name, p.default) for p in theirs]
