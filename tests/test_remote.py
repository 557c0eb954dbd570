"""The remote store against a real `mlflow server` (3.18) on 127.0.0.1: parity with mlflow's
own REST client, the spool through network faults, and bad servers."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from _remote import FaultProxy, HtmlServer

import mlrs
from mlrs import _cli as cli
from mlrs import _runtime
from mlrs.exceptions import MlflowException

pytestmark = pytest.mark.slow


@pytest.fixture
def server(tracking_server: str) -> str:
    return tracking_server


@pytest.fixture
def fast_retries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A spool of the test's own and short backoffs, so fault tests finish quickly."""
    spool = tmp_path / "spool"
    monkeypatch.setenv("MLRS_SPOOL_DIR", str(spool))
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_BACKOFF_JITTER", "0.05")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    return spool


@pytest.fixture
def proxy(server: str) -> Iterator[FaultProxy]:
    p = FaultProxy(server)
    yield p
    p.close()


def _unique(prefix: str) -> str:
    return f"{prefix}-{os.getpid()}-{time.monotonic_ns()}"


def _scenario(m: Any, experiment: str) -> list[tuple[str, str]]:
    """What a user sees through the fluent API and the client; the same script runs with
    `m` = mlflow and `m` = mlrs."""
    out: list[tuple[str, str]] = []

    def call(label: str, f: Callable[[], object]) -> None:
        try:
            out.append((label, repr(f())))
        except Exception as e:
            out.append((label, f"{type(e).__name__} {getattr(e, 'error_code', '')} {e}"))

    experiment_id = m.create_experiment(experiment, tags={"team": "a"})
    m.set_experiment(experiment)
    with m.start_run(run_name="first") as run:
        m.log_param("p", 1)
        m.log_params({"a": "x", "b": 2})
        for i in range(60):
            m.log_metric("loss", 1 / (i + 1), step=i, timestamp=1000 + i)
        m.log_metrics({"acc": 0.5, "nan": math.nan, "inf": math.inf}, step=3, timestamp=5)
        m.set_tag("t", "v")
        m.set_tags({"u": "w"})
        call("param change", lambda: m.log_param("p", 2))
        call("same param", lambda: m.log_param("p", 1))
    run_id = run.info.run_id
    client = m.MlflowClient()
    got = client.get_run(run_id)
    out.append(("status", got.info.status))
    out.append(("name", got.info.run_name))
    out.append(("params", repr(sorted(got.data.params.items()))))
    out.append(("metrics", repr(sorted(got.data.metrics.items()))))
    out.append(("tags", repr(sorted((k, v) for k, v in got.data.tags.items() if k in "tu"))))
    history = client.get_metric_history(run_id, "loss")
    out.append(("history", repr(sorted((h.step, h.value, h.timestamp) for h in history))))
    metrics = [m.entities.Metric("b", float(i), 10, i) for i in range(1500)]
    client.log_batch(run_id, metrics=metrics)
    out.append(("batch", repr(len(client.get_metric_history(run_id, "b")))))
    for i in range(4):
        with m.start_run(run_name=f"sweep-{i}"):
            m.log_metric("score", i)
    page = client.search_runs([experiment_id], order_by=["metrics.score DESC"], max_results=2)
    names = [r.info.run_name for r in page]
    while page.token:
        page = client.search_runs(
            [experiment_id], order_by=["metrics.score DESC"], max_results=2, page_token=page.token
        )
        names += [r.info.run_name for r in page]
    out.append(("pages", repr(names)))
    frame = m.search_runs(experiment_names=[experiment], filter_string="metrics.score >= 2")
    out.append(("frame", repr((len(frame), sorted(frame["tags.mlflow.runName"])))))
    found = m.search_experiments(filter_string=f"name = '{experiment}'")
    out.append(("experiments", repr([(e.name, e.tags.get("team")) for e in found])))
    call("unknown run", lambda: client.get_run("f" * 32))
    call("unknown experiment", lambda: client.get_experiment("987654321"))
    call("experiment exists", lambda: m.create_experiment(experiment))
    call("by name missing", lambda: m.get_experiment_by_name(experiment + "-none"))
    client.delete_run(run_id)
    call("deleted run param", lambda: client.log_param(run_id, "z", 1))
    call("restore", lambda: client.restore_run(run_id))
    call("delete tag", lambda: client.delete_tag(run_id, "t"))
    call("delete missing tag", lambda: client.delete_tag(run_id, "nope"))
    return out


def _normalise(records: list[tuple[str, str]], experiment: str) -> list[tuple[str, str]]:
    def text(value: str) -> str:
        value = value.replace(experiment, "<experiment>")
        # The server's SQL error echoes the row it tried, timestamps included.
        value = re.sub(r"\n\[SQL: .*", "", value, flags=re.DOTALL)
        value = re.sub(r"\b[0-9a-f]{32}\b", "<run>", value)
        return re.sub(r"experiment_id=\d+|id=\d+", "id=<n>", value)

    return [(label, text(value)) for label, value in records]


def test_the_api_over_a_server_matches_mlflows_client(server: str, fast_retries: Path) -> None:
    import mlflow

    mlflow.set_tracking_uri(server)
    try:
        name = _unique("parity-mlflow")
        expected = _normalise(_scenario(mlflow, name), name)
    finally:
        mlflow.set_tracking_uri(None)
    mlrs.set_tracking_uri(server)
    name = _unique("parity-mlrs")
    actual = _normalise(_scenario(mlrs, name), name)
    differences = [(e, a) for e, a in zip(expected, actual, strict=True) if e != a]
    for expected_item, actual_item in differences:
        print("EXPECTED", expected_item)
        print("ACTUAL  ", actual_item)
    assert differences == []


def _history(server: str, run_id: str, key: str) -> list[tuple[int, float]]:
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=server)
    return sorted((h.step, h.value) for h in client.get_metric_history(run_id, key))


def test_every_point_arrives_once_through_faults(
    server: str, proxy: FaultProxy, fast_retries: Path
) -> None:
    mlrs.set_tracking_uri(proxy.url)
    mlrs.set_experiment(_unique("faults"))
    with mlrs.start_run() as run:
        mlrs.log_param("p", "1")
        proxy.fail_next("status", 503, times=3)
        proxy.fail_next("status", 429, times=2)
        proxy.fail_next("lost", times=2)  # applied by the server, answer lost: sent again
        for i in range(3000):
            mlrs.log_metric("m", float(i), step=i)
        mlrs.flush()
        proxy.down()  # the server goes away in the middle of the run ...
        for i in range(3000, 4000):
            mlrs.log_metric("m", float(i), step=i)
        proxy.up()  # ... and comes back
    expected = [(i, float(i)) for i in range(4000)]
    deadline = time.monotonic() + 60
    while _history(server, run.info.run_id, "m") != expected and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _history(server, run.info.run_id, "m") == expected, proxy.seen[:20]
    assert any("lost" in line for line in proxy.seen)
    assert mlrs.get_run(run.info.run_id).info.status == "FINISHED"
    _runtime.get_store(proxy.url).close()
    assert not list(fast_retries.rglob("*.db")), "a shipped spool is removed at exit"


def test_a_slow_answer_past_the_timeout_is_sent_again_not_twice(
    server: str, proxy: FaultProxy, fast_retries: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "1")
    mlrs.set_tracking_uri(proxy.url)
    mlrs.set_experiment(_unique("slow"))
    with mlrs.start_run() as run:
        proxy.fail_next("slow", 5)
        for i in range(100):
            mlrs.log_metric("m", float(i), step=i)
    assert _history(server, run.info.run_id, "m") == [(i, float(i)) for i in range(100)]


_CHILD = textwrap.dedent(
    """
    import os, signal, sys
    import mlrs
    mlrs.set_tracking_uri(sys.argv[1])
    mlrs.set_experiment(sys.argv[2])
    run = mlrs.start_run()
    print(run.info.run_id, flush=True)
    sys.stdin.readline()  # the test takes the server away here
    for i in range(500):
        mlrs.log_metric("m", float(i), step=i)
    if sys.argv[3] == "sigterm":
        os.kill(os.getpid(), signal.SIGTERM)
    mlrs.end_run()
    """
)


@pytest.mark.parametrize("ending", ["exit", "sigterm"])
def test_an_outage_until_exit_keeps_the_spool_for_the_next_process(
    server: str, proxy: FaultProxy, fast_retries: Path, ending: str
) -> None:
    env = {**os.environ, "MLRS_EXIT_TIMEOUT": "2"}
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, proxy.url, _unique("outage"), ending],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert child.stdout is not None
    assert child.stdin is not None
    run_id = child.stdout.readline().strip()
    proxy.down()
    child.stdin.write("go\n")
    child.stdin.flush()
    out, stderr = child.communicate(timeout=120)
    assert child.returncode == (-15 if ending == "sigterm" else 0), (out, stderr)
    assert f"501 record(s) of run(s) {run_id}" in stderr
    assert f"The next mlrs process that logs to {proxy.url} sends them" in stderr
    assert f"run: mlrs sync --ship {proxy.url}" in stderr
    assert len(list(fast_retries.rglob("*.db"))) == 1
    assert _history(server, run_id, "m") == []
    proxy.up()
    store = None
    if ending == "sigterm":
        # `mlrs sync --ship`, as the message says, sends what the first process left ...
        assert cli.main(["sync", "--ship", proxy.url]) == 0
        assert not list(fast_retries.rglob("*.db"))
    else:
        # ... and so does the next process that uses this server (held open while the spool
        # ships: a store nobody holds closes, and its shipper with it).
        store = _runtime.get_store(proxy.url)
    deadline = time.monotonic() + 60
    while len(_history(server, run_id, "m")) < 500 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _history(server, run_id, "m") == [(i, float(i)) for i in range(500)]
    expected = "KILLED" if ending == "sigterm" else "FINISHED"
    client = mlrs.MlflowClient(server)
    while client.get_run(run_id).info.status != expected and time.monotonic() < deadline:
        time.sleep(0.1)
    assert client.get_run(run_id).info.status == expected
    del store


def test_a_server_that_is_not_mlflow_is_named_in_a_clear_error(fast_retries: Path) -> None:
    page = HtmlServer()
    try:
        mlrs.set_tracking_uri(page.url)
        with pytest.raises(MlflowException) as info:
            mlrs.get_experiment("0")
        assert "not in a valid JSON format" in info.value.message
        assert page.url in info.value.message
    finally:
        page.close()


def test_a_huge_param_value_is_truncated_as_mlflow_does(server: str, fast_retries: Path) -> None:
    mlrs.set_tracking_uri(server)
    mlrs.set_experiment(_unique("huge"))
    with mlrs.start_run() as run:
        mlrs.log_param("p", "x" * 1_000_000)
    assert mlrs.get_run(run.info.run_id).data.params["p"] == "x" * 6000


def test_sync_copies_local_runs_to_a_server_once(
    server: str, fast_retries: Path, fresh_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = _unique("sync")
    mlrs.set_experiment(name)
    with mlrs.start_run(run_name="offline") as run:
        mlrs.log_params({"lr": "0.1", "layers": "3"})
        for i in range(2500):
            mlrs.log_metric("loss", 1.0 / (i + 1), step=i)
        mlrs.set_tag("team", "a")
    local = f"sqlite:///{fresh_store}"
    assert cli.main(["sync", local, server, "--experiment", name]) == 0
    assert "1 run(s) copied, 0 already there" in capsys.readouterr().err
    assert cli.main(["sync", local, server, "--experiment", name]) == 0
    assert "0 run(s) copied, 1 already there" in capsys.readouterr().err
    copies = mlrs.MlflowClient(server).search_runs(
        [mlrs.MlflowClient(server).get_experiment_by_name(name).experiment_id]  # type: ignore[union-attr]
    )
    assert len(copies) == 1
    copy = copies[0]
    assert copy.data.tags["mlrs.sync.sourceRun"] == run.info.run_id
    assert copy.data.tags["team"] == "a"
    assert copy.data.params == {"lr": "0.1", "layers": "3"}
    assert copy.info.run_name == "offline"
    assert copy.info.status == "FINISHED"
    assert _history(server, copy.info.run_id, "loss") == [(i, 1.0 / (i + 1)) for i in range(2500)]


def test_a_refused_token_is_a_clear_error_that_does_not_show_it(
    server: str, proxy: FaultProxy, fast_retries: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "s3cret-token-value")
    mlrs.set_tracking_uri(proxy.url)
    mlrs.get_experiment("0")
    assert proxy.authorization[-1] == "Bearer s3cret-token-value"
    proxy.fail_next("status", 401)
    with pytest.raises(MlflowException) as info:
        mlrs.get_experiment("0")
    assert info.value.error_code == "UNAUTHENTICATED"
    assert proxy.url in info.value.message
    assert "MLFLOW_TRACKING_TOKEN" in info.value.message
    assert "s3cret" not in info.value.message


def test_basic_auth_goes_as_mlflows_client_sends_it(
    server: str, proxy: FaultProxy, fast_retries: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import base64

    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "ann")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "pw")
    mlrs.set_tracking_uri(proxy.url)
    mlrs.get_experiment("0")
    assert proxy.authorization[-1] == "Basic " + base64.b64encode(b"ann:pw").decode()
