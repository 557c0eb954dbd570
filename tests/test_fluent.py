"""The fluent API on its own: run lifecycle, logging rules, reading back what was logged."""

from __future__ import annotations

import math
import threading
from pathlib import Path

import numpy as np
import pytest

import mlrs
from mlrs._fluent import ActiveRun
from mlrs.entities import Metric, RunStatus
from mlrs.exceptions import MlflowException


def test_default_tracking_uri_is_sqlite_in_the_working_directory(tmp_path: Path) -> None:
    mlrs.set_tracking_uri(None)
    assert mlrs.get_tracking_uri() == f"sqlite:///{tmp_path}/mlflow.db"
    assert not mlrs.is_tracking_uri_set()
    assert not (tmp_path / "mlflow.db").exists(), "the file appears on first use, not before"
    mlrs.search_experiments()
    assert (tmp_path / "mlflow.db").exists()
    assert not (tmp_path / "mlruns").exists()


def test_file_store_uris_get_mlflows_refusal() -> None:
    mlrs.set_tracking_uri("file:./mlruns")
    with pytest.raises(MlflowException, match="maintenance mode") as e:
        mlrs.search_experiments()
    assert e.value.error_code == "INVALID_PARAMETER_VALUE"


def test_context_manager_ends_finished_or_failed() -> None:
    with mlrs.start_run() as ok:
        mlrs.log_param("p", 1)
    with pytest.raises(ValueError, match="boom"), mlrs.start_run() as bad:
        raise ValueError("boom")
    with pytest.raises(KeyboardInterrupt), mlrs.start_run() as interrupted:
        raise KeyboardInterrupt
    assert mlrs.get_run(ok.info.run_id).info.status == "FINISHED"
    assert mlrs.get_run(bad.info.run_id).info.status == "FAILED"
    assert mlrs.get_run(interrupted.info.run_id).info.status == "FAILED"
    assert mlrs.active_run() is None


def test_active_run_is_a_start_time_snapshot() -> None:
    run = mlrs.start_run(run_name="snap")
    mlrs.log_metric("m", 1.0)
    assert run.info.status == "RUNNING"
    assert run.info.end_time is None
    assert run.data.metrics == {}
    assert _active().info.run_id == run.info.run_id
    mlrs.end_run()
    finished = mlrs.last_active_run()
    assert finished is not None
    assert finished.info.status == "FINISHED"
    assert finished.data.metrics == {"m": 1.0}


def test_starting_a_second_run_needs_nested() -> None:
    with mlrs.start_run() as outer:
        with pytest.raises(Exception, match="is already active") as e:
            mlrs.start_run()
        assert type(e.value) is Exception
        with mlrs.start_run(nested=True) as inner:
            assert inner.data.tags["mlflow.parentRunId"] == outer.info.run_id
        assert _active().info.run_id == outer.info.run_id


def test_resume_sets_running_and_merges_tags() -> None:
    with mlrs.start_run() as run:
        pass
    with mlrs.start_run(run_id=run.info.run_id, tags={"again": "yes"}, run_name="renamed"):
        current = mlrs.get_run(run.info.run_id)
        assert current.info.status == "RUNNING"
        assert current.data.tags["again"] == "yes"
        assert current.info.run_name == "renamed" == current.data.tags["mlflow.runName"]


def test_run_id_from_environment_is_consumed(monkeypatch: pytest.MonkeyPatch) -> None:
    with mlrs.start_run() as first:
        pass
    monkeypatch.setenv("MLFLOW_RUN_ID", first.info.run_id)
    with mlrs.start_run() as resumed:
        assert resumed.info.run_id == first.info.run_id
    import os

    assert "MLFLOW_RUN_ID" not in os.environ


def test_end_run_with_a_bogus_status_pops_then_raises_plain_exception() -> None:
    run = mlrs.start_run()
    with pytest.raises(Exception, match="Could not get run status corresponding to string BOGUS"):
        mlrs.end_run("BOGUS")
    assert mlrs.active_run() is None
    assert mlrs.get_run(run.info.run_id).info.status == "RUNNING"


def test_the_user_tag_follows_getpass_at_every_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """As mlflow's `getpass.getuser()`: the login variables are read at each run (only the
    password database, the last resort, is read once per process)."""
    import getpass

    def user_tag() -> str:
        with mlrs.start_run() as run:
            pass
        return mlrs.get_run(run.info.run_id).data.tags["mlflow.user"]

    for name in ("MLFLOW_TRACKING_USERNAME", "LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("USERNAME", "last-variable")
    assert user_tag() == "last-variable"
    monkeypatch.setenv("LOGNAME", "first-variable")
    assert user_tag() == "first-variable"
    for name in ("LOGNAME", "USERNAME"):
        monkeypatch.delenv(name)
    expected = getpass.getuser()
    assert user_tag() == expected
    assert user_tag() == expected


def test_log_calls_start_a_run_that_stays_active() -> None:
    mlrs.log_metric("m", 1.0)
    run = mlrs.active_run()
    assert run is not None
    mlrs.end_run()
    assert mlrs.get_run(run.info.run_id).data.metrics == {"m": 1.0}


def test_system_tags() -> None:
    with mlrs.start_run(description="notes") as run:
        pass
    tags = mlrs.get_run(run.info.run_id).data.tags
    assert tags["mlflow.source.type"] == "LOCAL"
    assert tags["mlflow.note.content"] == "notes"
    assert tags["mlflow.user"]
    assert tags["mlflow.runName"] == run.info.run_name
    name, noun, number = run.info.run_name.split("-")
    assert name
    assert noun
    assert 0 <= int(number) < 1000


def test_param_values_are_strings_and_immutable() -> None:
    with mlrs.start_run() as run:
        assert mlrs.log_param("n", 5) == 5
        mlrs.log_param("n", "5")  # the same string: a no-op
        with pytest.raises(MlflowException, match="Changing param values is not allowed") as e:
            mlrs.log_param("n", 6)
        assert e.value.error_code == "INVALID_PARAMETER_VALUE"
        assert "Incorrect Example" in e.value.message
        with pytest.raises(MlflowException, match=r"Params were already logged='\[\{'key': 'n'"):
            mlrs.log_params({"n": 7})
        mlrs.log_params({"a": None, "b": [1, 2], "c": True})
    assert mlrs.get_run(run.info.run_id).data.params == {
        "n": "5",
        "a": "None",
        "b": "[1, 2]",
        "c": "True",
    }


def test_long_values_are_truncated_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with mlrs.start_run() as run:
        mlrs.log_param("long", "x" * 7000)
        mlrs.set_tag("long", "y" * 9000)
    data = mlrs.get_run(run.info.run_id).data
    assert len(data.params["long"]) == 6000
    assert len(data.tags["long"]) == 8000
    assert "is truncated to 6000 characters" in caplog.text


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("a,b", "Names may only contain"),
        ("../a", "would resolve to '../a'"),
        ("", "would resolve to '.'"),
        ("a" * 251, "exceeds the maximum length of 250"),
    ],
)
def test_bad_keys_are_refused_before_anything_is_queued(key: str, message: str) -> None:
    with mlrs.start_run() as run:
        for call in (
            lambda: mlrs.log_metric(key, 1.0),
            lambda: mlrs.log_param(key, 1),
            lambda: mlrs.set_tag(key, 1),
        ):
            with pytest.raises(MlflowException, match=message) as e:
                call()
            assert e.value.error_code == "INVALID_PARAMETER_VALUE"
    data = mlrs.get_run(run.info.run_id).data
    assert data.metrics == {}
    assert data.params == {}


def test_non_string_keys_raise_type_error() -> None:
    with mlrs.start_run():
        with pytest.raises(TypeError, match="expected string or bytes-like object, got 'int'"):
            mlrs.log_metric(5, 1.0)  # type: ignore[arg-type]
        with pytest.raises(MlflowException, match="Metric name cannot be None"):
            mlrs.log_metric(None, 1.0)  # type: ignore[arg-type]


def test_metric_values_convert_like_mlflow() -> None:
    with mlrs.start_run() as run:
        mlrs.log_metric("int", 3)
        mlrs.log_metric("bool", True)
        mlrs.log_metric("text", "1.5")  # type: ignore[arg-type]
        mlrs.log_metric("numpy", np.float32(0.25))
        mlrs.log_metric("array", np.array([2.0]))
        mlrs.log_metric("nan", float("nan"))
        mlrs.log_metric("inf", float("inf"))
        mlrs.log_metric("-inf", -math.inf)
        with pytest.raises(MlflowException, match="Please specify value as a valid double"):
            mlrs.log_metric("bad", "abc")  # type: ignore[arg-type]
        with pytest.raises(MlflowException, match="Missing value for required parameter 'value'"):
            mlrs.log_metric("none", None)  # type: ignore[arg-type]
        with pytest.raises(MlflowException, match="can only convert an array of size 1"):
            mlrs.log_metric("big", np.array([1.0, 2.0]))
    metrics = mlrs.get_run(run.info.run_id).data.metrics
    assert metrics["int"] == 3.0
    assert metrics["bool"] == 1.0
    assert metrics["text"] == 1.5
    assert metrics["numpy"] == 0.25
    assert metrics["array"] == 2.0
    assert math.isnan(metrics["nan"])
    assert metrics["inf"] == 1.7976931348623157e308
    assert metrics["-inf"] == -1.7976931348623157e308


def test_latest_metric_is_the_greatest_step_timestamp_value() -> None:
    with mlrs.start_run() as run:
        for step, ts, value in [
            (0, 10, 1.0),
            (0, 20, 2.0),
            (5, 123, 0.5),
            (5, 123, 0.7),
            (2, 30, 9.0),
        ]:
            mlrs.log_metric("m", value, step=step, timestamp=ts)
        mlrs.log_metric("m", 0.7, step=5, timestamp=123)  # an exact duplicate: dropped
    client = mlrs.MlflowClient()
    assert mlrs.get_run(run.info.run_id).data.metrics["m"] == 0.7
    history = client.get_metric_history(run.info.run_id, "m")
    assert [(m.timestamp, m.step, m.value) for m in history] == [
        (10, 0, 1.0),
        (20, 0, 2.0),
        (30, 2, 9.0),
        (123, 5, 0.5),
        (123, 5, 0.7),
    ]
    assert history[0] == Metric("m", 1.0, 10, 0)
    assert client.get_metric_history(run.info.run_id, "nope") == []


def test_log_metrics_shares_one_timestamp_and_step() -> None:
    with mlrs.start_run() as run:
        mlrs.log_metrics({f"k{i}": i for i in range(1500)}, step=3)
    client = mlrs.MlflowClient()
    points = [client.get_metric_history(run.info.run_id, f"k{i}")[0] for i in (0, 1499)]
    assert points[0].timestamp == points[1].timestamp
    assert points[0].step == points[1].step == 3
    assert len(mlrs.get_run(run.info.run_id).data.metrics) == 1500


def test_tags_overwrite_rename_and_delete() -> None:
    with mlrs.start_run() as run:
        mlrs.set_tag("t", 1)
        mlrs.set_tags({"t": 2, "u": None})
        mlrs.set_tag("mlflow.runName", "new-name")
        mlrs.delete_tag("u")
        with pytest.raises(MlflowException, match="No tag with name: nope") as e:
            mlrs.delete_tag("nope")
        assert e.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    fetched = mlrs.get_run(run.info.run_id)
    assert fetched.data.tags["t"] == "2"
    assert "u" not in fetched.data.tags
    assert fetched.info.run_name == "new-name"


def test_deleted_runs_refuse_logging_and_finished_runs_accept_it() -> None:
    with mlrs.start_run() as run:
        pass
    client = mlrs.MlflowClient()
    client.log_metric(run.info.run_id, "after", 1.0)
    mlrs.delete_run(run.info.run_id)
    with pytest.raises(MlflowException, match="must be in the 'active' state") as e:
        client.log_metric(run.info.run_id, "m", 1.0)
    assert e.value.error_code == "INVALID_PARAMETER_VALUE"
    deleted = mlrs.get_run(run.info.run_id)
    assert deleted.info.lifecycle_stage == "deleted"
    assert deleted.info.status == "FINISHED"
    mlrs.restore_run(run.info.run_id)
    client.log_metric(run.info.run_id, "m", 1.0)


def test_experiments_lifecycle_cascades_to_runs() -> None:
    experiment = mlrs.set_experiment("exp")
    with mlrs.start_run() as run:
        pass
    assert run.info.experiment_id == experiment.experiment_id
    with pytest.raises(MlflowException, match=r"Experiment\(name=exp\) already exists") as e:
        mlrs.create_experiment("exp")
    assert e.value.error_code == "RESOURCE_ALREADY_EXISTS"
    mlrs.delete_experiment(experiment.experiment_id)
    assert mlrs.get_run(run.info.run_id).info.lifecycle_stage == "deleted"
    with pytest.raises(MlflowException, match="Cannot set a deleted experiment"):
        mlrs.set_experiment("exp")
    mlrs.restore_experiment(experiment.experiment_id)
    assert mlrs.get_run(run.info.run_id).info.lifecycle_stage == "active"


def test_unknown_things_are_resource_does_not_exist() -> None:
    for call, message in [
        (lambda: mlrs.get_run("0123456789abcdef0123456789abcdef"), "Run with id="),
        (lambda: mlrs.get_experiment("12345"), "No Experiment with id=12345 exists"),
    ]:
        with pytest.raises(MlflowException, match=message) as e:
            call()  # type: ignore[no-untyped-call]
        assert e.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert mlrs.get_experiment_by_name("nope") is None
    with pytest.raises(MlflowException, match="Invalid experiment ID 'abc'"):
        mlrs.get_experiment("abc")
    with pytest.raises(MlflowException, match=r"Invalid value \"../bad\" for parameter 'run_id'"):
        mlrs.get_run("../bad")


def test_search_experiments_filters_and_pages() -> None:
    for name in ("alpha", "beta", "alphabet"):
        mlrs.create_experiment(name, tags={"team": name[:2]})
    names = [e.name for e in mlrs.search_experiments(filter_string="name LIKE 'alpha%'")]
    assert sorted(names) == ["alpha", "alphabet"]
    assert [e.name for e in mlrs.search_experiments(filter_string="tags.team = 'be'")] == ["beta"]
    client = mlrs.MlflowClient()
    page = client.search_experiments(max_results=3)
    assert len(page) == 3
    assert page.token is not None
    rest = client.search_experiments(max_results=3, page_token=page.token)
    assert [e.name for e in rest] == ["Default"]
    assert rest.token is None
    with pytest.raises(MlflowException, match="Invalid clause"):
        mlrs.search_experiments(filter_string="name = 'a' OR name = 'b'")


def test_run_stacks_are_per_thread() -> None:
    seen: list[object] = []
    with mlrs.start_run():
        thread = threading.Thread(target=lambda: seen.append(mlrs.active_run()))
        thread.start()
        thread.join()
    assert seen == [None]


def test_the_hot_path_logs_to_the_innermost_run_of_the_calling_thread() -> None:
    """The engine keeps its own copy of each thread's innermost run for `log_metric(key, value,
    step=...)` and `log_metrics(...)`: it must follow nesting, ending, other threads and the
    calls that bypass it (a `run_id`, a timestamp, a value Python converts)."""
    client = mlrs.MlflowClient()
    history: dict[str, list[tuple[str, float, int]]] = {}

    def log(value: float) -> None:
        mlrs.log_metric("m", value, step=int(value))
        mlrs.log_metrics({"n": value}, step=int(value))

    with mlrs.start_run() as outer:
        log(1.0)
        with mlrs.start_run(nested=True) as inner:
            log(2.0)
            others: list[str] = []

            def elsewhere() -> None:
                log(3.0)  # no run is active in this thread: it starts its own
                run = mlrs.active_run()
                assert run is not None
                others.append(run.info.run_id)
                mlrs.end_run()

            thread = threading.Thread(target=elsewhere)
            thread.start()
            thread.join()
            log(4.0)
        log(5.0)
        mlrs.log_metric("m", 6.0, step=6, timestamp=1)  # the general path, same run
        mlrs.log_metric("m", np.float64(7.0), step=7)
    log(8.0)  # the outer run ended: the call starts a new one
    latest = mlrs.active_run()
    assert latest is not None
    mlrs.end_run()
    for name, run_id in [
        ("outer", outer.info.run_id),
        ("inner", inner.info.run_id),
        ("thread", others[0]),
        ("new", latest.info.run_id),
    ]:
        history[name] = [
            (key, m.value, m.step) for key in "mn" for m in client.get_metric_history(run_id, key)
        ]
    assert sorted(history["outer"]) == [
        ("m", 1.0, 1),
        ("m", 5.0, 5),
        ("m", 6.0, 6),
        ("m", 7.0, 7),
        ("n", 1.0, 1),
        ("n", 5.0, 5),
    ]
    assert sorted(history["inner"]) == [("m", 2.0, 2), ("m", 4.0, 4), ("n", 2.0, 2), ("n", 4.0, 4)]
    assert history["thread"] == [("m", 3.0, 3), ("n", 3.0, 3)]
    assert history["new"] == [("m", 8.0, 8), ("n", 8.0, 8)]
    assert len({outer.info.run_id, inner.info.run_id, others[0], latest.info.run_id}) == 4


def test_synchronous_flags() -> None:
    with mlrs.start_run():
        assert mlrs.log_metric("a", 1.0) is None
        assert mlrs.log_metric("a", 2.0, synchronous=True) is None
        operations = mlrs.log_metric("a", 3.0, synchronous=False)
        assert isinstance(operations, mlrs.RunOperations)
        operations.wait()


def test_run_status_names() -> None:
    assert RunStatus.to_string(RunStatus.KILLED) == "KILLED"


def test_metric_history_as_arrays_and_downsampled() -> None:
    with mlrs.start_run() as run:
        for step in range(5000):
            value = 100.0 if step == 1234 else float("nan") if step == 7 else 1.0
            mlrs.log_metric("m", value, step=step, timestamp=step)
    client = mlrs.MlflowClient()
    steps, timestamps, values = client.get_metric_history_arrays(run.info.run_id, "m")
    assert steps.dtype == np.int64
    assert values.dtype == np.float64
    assert list(steps[:3]) == [0, 1, 2]
    assert list(timestamps[-2:]) == [4998, 4999]
    assert math.isnan(values[7])
    assert values[1234] == 100.0
    history = client.get_metric_history(run.info.run_id, "m")
    assert [m.value for m in history[1233:1236]] == [1.0, 100.0, 1.0]
    small = client.get_metric_history_arrays(run.info.run_id, "m", max_points=100)
    assert len(small.values) <= 100
    assert 100.0 in small.values
    assert list(small.steps) == sorted(small.steps)
    empty = client.get_metric_history_arrays(run.info.run_id, "nope")
    assert len(empty.steps) == 0
    for bad in (0, 1, -5, 2.5, True, "10"):
        with pytest.raises(MlflowException, match="'max_points'") as e:
            client.get_metric_history_arrays(run.info.run_id, "m", max_points=bad)  # type: ignore[arg-type]
        assert e.value.error_code == "INVALID_PARAMETER_VALUE"


def test_log_metrics_takes_one_engine_call_or_the_python_path_with_the_same_outcome() -> None:
    """Plain floats and ints under str keys are validated and queued by the engine in one call;
    anything else (numpy scalars, bools) goes through Python's conversions. Both store the same
    rows and refuse the same input with the same message."""
    with mlrs.start_run() as run:
        mlrs.log_metrics({"a": 0.5, "b": 2}, step=3, timestamp=7)
        mlrs.log_metrics({"c": np.float64(0.5), "d": True}, step=3, timestamp=7)
        messages = []
        for bad in ({"ok": 1.0, "a#b": 1.0}, {"ok": np.float32(1.0), "a#b": 1.0}):
            with pytest.raises(MlflowException) as refused:
                mlrs.log_metrics(bad)  # type: ignore[arg-type]
            messages.append((refused.value.error_code, refused.value.message))
    assert messages[0] == messages[1]
    assert "'metrics[1].name'" in messages[0][1]
    client = mlrs.MlflowClient()
    stored = {
        key: [
            (m.value, m.step, m.timestamp) for m in client.get_metric_history(run.info.run_id, key)
        ]
        for key in "abcd"
    }
    assert stored == {
        "a": [(0.5, 3, 7)],
        "b": [(2.0, 3, 7)],
        "c": [(0.5, 3, 7)],
        "d": [(1.0, 3, 7)],
    }


def test_client_log_batch_of_plain_metrics_matches_its_general_path() -> None:
    client = mlrs.MlflowClient()
    run_id = client.create_run("0").info.run_id
    client.log_batch(run_id, metrics=[Metric("m", 1.5, 10, 1), Metric("m", 2, 11, 2)])
    client.log_batch(run_id, metrics=[Metric("m", np.float32(3.0), 12, 3)])  # type: ignore[arg-type]
    history = client.get_metric_history(run_id, "m")
    assert [(m.value, m.timestamp, m.step) for m in history] == [
        (1.5, 10, 1),
        (2.0, 11, 2),
        (3.0, 12, 3),
    ]
    messages = []
    for value in (1.0, np.float32(1.0)):
        with pytest.raises(MlflowException) as refused:
            client.log_batch(run_id, metrics=[Metric("ok", value, 1, 0), Metric("a#b", 1.0, 1, 0)])  # type: ignore[arg-type]
        messages.append(refused.value.message)
    assert messages[0] == messages[1]
    assert "'metrics[1].name'" in messages[0]
    with pytest.raises(MlflowException, match="not found"):
        client.log_batch("0" * 32, metrics=[Metric("m", 1.0, 1, 0)])


def _active() -> ActiveRun:
    run = mlrs.active_run()
    assert run is not None
    return run
