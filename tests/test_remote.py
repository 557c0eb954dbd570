"""The remote store against a real `mlflow server` (3.18) on 127.0.0.1: parity with mlflow's
own REST client, the spool through network faults, and bad servers."""

from __future__ import annotations

import functools
import math
import os
import re
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from _remote import FaultProxy, HostileArtifactServer, HtmlServer

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
        mlflow.set_tracking_uri(None)  # type: ignore[arg-type]
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


# ---- the request header hook -----------------------------------------------------------------


class _CountingTokens:
    """A token provider whose token changes at every call, so each request shows whether it
    asked anew; while `failing`, it raises (and `refused` is set)."""

    def __init__(self) -> None:
        self.calls = 0
        self.failing = False
        self.refused = threading.Event()

    def __call__(self) -> dict[str, str]:
        if self.failing:
            self.refused.set()
            raise RuntimeError("the token service is down")
        self.calls += 1
        return {"Authorization": f"Bearer tok-{self.calls}", "X-Team": "vision"}


@pytest.fixture
def provider() -> Iterator[_CountingTokens]:
    tokens = _CountingTokens()
    mlrs.set_request_header_provider(tokens)
    yield tokens
    mlrs.set_request_header_provider(None)


def test_a_header_provider_is_asked_before_every_request_and_only_then(
    server: str,
    proxy: FaultProxy,
    fast_retries: Path,
    provider: _CountingTokens,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "env-token")  # the provider's header wins
    mlrs.set_tracking_uri(proxy.url)
    mlrs.set_experiment(_unique("hdr"))
    with mlrs.start_run() as run:
        for i in range(3000):
            mlrs.log_metric("loss", 1.0 / (i + 1), step=i)
        mlrs.log_param("lr", "0.1")
    assert _history(server, run.info.run_id, "loss")[-1] == (2999, 1.0 / 3000)
    # One call per request, none per log call: 3000 points went in a few log-batch requests.
    assert provider.calls == len(proxy.headers)
    assert 3 <= provider.calls < 100
    assert [h.get("authorization") for h in proxy.headers] == [
        f"Bearer tok-{i}" for i in range(1, provider.calls + 1)
    ]
    assert all(h.get("x-team") == "vision" for h in proxy.headers)
    assert any("log-batch" in seen for seen in proxy.seen)

    mlrs.set_request_header_provider(None)
    mlrs.get_run(run.info.run_id)
    assert proxy.headers[-1].get("authorization") == "Bearer env-token"
    assert "x-team" not in proxy.headers[-1]


def test_a_failing_provider_raises_clearly_and_logged_data_waits_for_it(
    server: str,
    proxy: FaultProxy,
    fast_retries: Path,
    provider: _CountingTokens,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Retries enough that the shipper is still trying when the provider recovers.
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "100000")
    mlrs.set_tracking_uri(proxy.url)
    mlrs.set_experiment(_unique("hdr-fail"))
    run = mlrs.start_run()
    provider.failing = True
    with pytest.raises(MlflowException) as info:
        mlrs.get_experiment("0")
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
    assert "request header provider raised RuntimeError: the token service is down" in str(
        info.value.message
    )
    provider.refused.clear()
    seen = len(proxy.seen)
    for i in range(50):
        mlrs.log_metric("acc", float(i), step=i)  # enqueues: never asks the provider
    assert provider.refused.wait(60)  # the shipper asked, was refused, kept the rows
    assert len(proxy.seen) == seen
    provider.failing = False
    mlrs.end_run()
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")  # mlflow's client allows 10
    assert _history(server, run.info.run_id, "acc") == [(i, float(i)) for i in range(50)]
    assert mlrs.get_run(run.info.run_id).info.status == "FINISHED"


def test_a_provider_token_refused_by_the_server_is_never_shown(
    server: str, proxy: FaultProxy, fast_retries: Path
) -> None:
    from mlrs.tracking.request_header.abstract_request_header_provider import (
        RequestHeaderProvider,
    )

    class Workspace(RequestHeaderProvider):
        def in_context(self) -> bool:
            return True

        def request_headers(self) -> dict[str, str]:
            return {"Authorization": "Bearer wksp-s3cret"}

    mlrs.set_request_header_provider(Workspace)
    try:
        mlrs.set_tracking_uri(proxy.url)
        proxy.fail_next("status", 403)
        with pytest.raises(MlflowException) as info:
            mlrs.get_experiment("0")
        assert info.value.error_code == "PERMISSION_DENIED"
        assert "set_request_header_provider" in info.value.message
        assert "s3cret" not in info.value.message
        assert proxy.headers[-1]["authorization"] == "Bearer wksp-s3cret"
    finally:
        mlrs.set_request_header_provider(None)


def test_bad_headers_from_a_provider_are_refused_without_showing_values(
    server: str, proxy: FaultProxy, fast_retries: Path
) -> None:
    mlrs.set_tracking_uri(proxy.url)
    cases: list[tuple[Callable[[], object], str]] = [
        (lambda: {"Authorization": "Bearer s3cret\r\nX-Evil: 1"}, "invalid value for the header"),
        (lambda: {"Bad Name": "s3cret"}, "invalid header name"),
        (lambda: {"X-Count": 3}, "str header names and values"),
        (lambda: ["s3cret"], "must return a mapping"),
    ]
    try:
        for bad, expected in cases:
            mlrs.set_request_header_provider(bad)
            with pytest.raises(MlflowException) as info:
                mlrs.get_experiment("0")
            assert expected in info.value.message
            assert "s3cret" not in info.value.message
        assert proxy.headers == []  # nothing went out with a bad header
        with pytest.raises(MlflowException, match="in_context"):
            mlrs.set_request_header_provider(42)
    finally:
        mlrs.set_request_header_provider(None)


# ---- artifacts through the server's artifact proxy ---------------------------------------------


def _caught(f: Callable[[], object]) -> str:
    try:
        return repr(f())
    except Exception as e:
        return f"{type(e).__name__} {getattr(e, 'error_code', '')} {e}"


def _log_artifacts(m: Any, source: Path) -> tuple[str, list[tuple[str, str]]]:
    """Logs the same artifacts through `m` (mlflow or mlrs) into a new run; returns its id and
    what the refused calls raised."""
    import io

    import numpy as np

    (source / "tree" / "sub").mkdir(parents=True, exist_ok=True)
    (source / "tree" / "empty").mkdir(exist_ok=True)
    (source / "tree" / "a.txt").write_text("a")
    (source / "tree" / "sub" / "b.bin").write_bytes(bytes(range(256)) * 40)
    one = source / "one file 1.txt"
    one.write_text("spaces in the name")
    refused = []
    with m.start_run() as run:
        uri = m.get_artifact_uri("a/b").replace(run.info.run_id, "<run>")
        refused.append(("artifact uri", re.sub(r":/\d+/", ":/<exp>/", uri)))
        m.log_artifact(str(one))
        m.log_artifact(str(one), "nested/dir")
        m.log_artifacts(str(source / "tree"), "tree")
        m.log_text("text ü", "notes/n.txt")
        m.log_dict({"a": [1, 2]}, "d.json")
        m.log_dict({"a": [1, 2]}, "d.yaml")
        m.log_stream(io.BytesIO(b"streamed"), "s.bin")
        m.log_image(np.full((4, 6, 3), 7, dtype=np.uint8), "img.png")
        with warnings.catch_warnings():  # mlflow's own read_json call warns on pandas 3
            warnings.simplefilter("ignore")
            m.log_table({"c": [1, 2]}, "t.json")
            m.log_table({"c": [3]}, "t.json")
        for label, call in [
            ("text up", lambda: m.log_text("x", "../evil.txt")),
            ("artifact up", lambda: m.log_artifact(str(one), "../up")),
            ("artifact dotdot", lambda: m.log_artifact(str(one), "a/../../b")),
            ("missing file", lambda: m.log_artifact(str(source / "nope.txt"))),
        ]:
            refused.append((label, _caught(call)))
    return run.info.run_id, refused


def _tree(path: Path) -> list[tuple[str, str]]:
    import hashlib

    if path.is_file():
        return [(path.name, hashlib.sha1(path.read_bytes()).hexdigest())]
    return sorted(
        (
            str(p.relative_to(path)) + ("/" if p.is_dir() else ""),
            hashlib.sha1(p.read_bytes()).hexdigest() if p.is_file() else "",
        )
        for p in path.rglob("*")
    )


def _read_artifacts(m: Any, run_id: str, dst: Path) -> list[tuple[str, str]]:
    """What `m` reads back of a run's artifacts."""
    client = m.MlflowClient()
    out: list[tuple[str, str]] = []

    def listing(f: Callable[[], Any]) -> str:
        return _caught(lambda: [(i.path, i.is_dir, i.file_size) for i in f()])

    for path in (None, "tree", "tree/sub", "tree/empty", "notes/n.txt", "missing", "nested"):
        out.append(
            (f"list {path}", listing(functools.partial(client.list_artifacts, run_id, path)))
        )
    out.append(
        (
            "list fluent",
            listing(lambda: m.artifacts.list_artifacts(run_id=run_id, artifact_path="tree")),
        )
    )
    out.append(("list runs uri", listing(lambda: m.artifacts.list_artifacts(f"runs:/{run_id}/"))))
    everything = dst / "all"
    everything.mkdir()
    got = client.download_artifacts(run_id, "", str(everything))
    out.append(("download all", repr((Path(got) == everything, _tree(everything)))))
    one = client.download_artifacts(run_id, "tree/sub/b.bin", str(dst))
    out.append(("download file", repr((os.path.relpath(one, dst), _tree(Path(one))))))
    uri = m.artifacts.download_artifacts(f"runs:/{run_id}/tree", dst_path=str(dst / "uri"))
    out.append(("download runs uri", repr((os.path.relpath(uri, dst), _tree(Path(uri))))))
    temp = m.artifacts.download_artifacts(run_id=run_id, artifact_path="nested")
    out.append(("download to temp", repr(_tree(Path(temp)))))
    for label, path in [("missing", "missing.txt"), ("up", "../x"), ("absolute", "/etc/passwd")]:
        out.append(
            (
                f"download {label}",
                _caught(functools.partial(client.download_artifacts, run_id, path, str(dst))),
            )
        )
    out.append(("load text", _caught(lambda: m.artifacts.load_text(f"runs:/{run_id}/notes/n.txt"))))
    out.append(("load dict", _caught(lambda: m.artifacts.load_dict(f"runs:/{run_id}/d.yaml"))))
    out.append(("artifact uri", client.get_run(run_id).info.artifact_uri))
    outside = [p.name for p in dst.parent.iterdir() if p.name in ("x", "passwd", "evil.txt")]
    out.append(("nothing outside", repr(outside)))
    return out


def test_artifacts_over_a_server_match_mlflows_client_both_ways(
    server: str, fast_retries: Path, tmp_path: Path
) -> None:
    """mlflow's client and mlrs log the same artifacts through the server's proxy; each lists
    and downloads what the other logged, with the same results and errors."""
    import mlflow

    mlflow.set_tracking_uri(server)
    try:
        mlflow.set_experiment(_unique("artifacts-mlflow"))
        mlflow_run, mlflow_refused = _log_artifacts(mlflow, tmp_path / "src-mlflow")
    finally:
        cast(Any, mlflow).set_tracking_uri(None)
    mlrs.set_tracking_uri(server)
    mlrs.set_experiment(_unique("artifacts-mlrs"))
    mlrs_run, mlrs_refused = _log_artifacts(mlrs, tmp_path / "src-mlrs")
    assert [label for label, _ in mlrs_refused] == [label for label, _ in mlflow_refused]
    for (label, expected), (_, actual) in zip(mlflow_refused, mlrs_refused, strict=True):
        # mlflow words a missing local file as Python does; the error class must match.
        assert expected.split(" ")[0] == actual.split(" ")[0], (label, expected, actual)
    assert (
        mlrs_refused[0]
        == mlflow_refused[0]
        == (
            "artifact uri",
            "mlflow-artifacts:/<exp>/<run>/artifacts/a/b",
        )
    )

    def normalised(records: list[tuple[str, str]], run_id: str, dst: Path) -> list[Any]:
        text = [
            (label, value.replace(run_id, "<run>").replace(str(dst), "<dst>"))
            for label, value in records
        ]
        return [(label, re.sub(r"/\d+/<run>/", "/<exp>/<run>/", value)) for label, value in text]

    results = {}
    for reader_name, reader in (("mlflow", mlflow), ("mlrs", mlrs)):
        reader.set_tracking_uri(server)
        try:
            for logger_name, run_id in (("mlflow", mlflow_run), ("mlrs", mlrs_run)):
                dst = tmp_path / f"{reader_name}-reads-{logger_name}" / "dst"
                dst.mkdir(parents=True)
                records = _read_artifacts(reader, run_id, dst)
                results[reader_name, logger_name] = normalised(records, run_id, dst)
        finally:
            reader.set_tracking_uri(None)
    reference = results["mlflow", "mlflow"]
    assert ("list tree/empty", "[]") in reference  # the server keeps no empty directory
    for key, records in results.items():
        differences = [(e, a) for e, a in zip(reference, records, strict=True) if e != a]
        for expected_item, actual_item in differences:
            print(key, "EXPECTED", expected_item)
            print(key, "ACTUAL  ", actual_item)
        assert differences == [], key


@pytest.mark.parametrize("hostile", ["../evil.txt", "/tmp/evil.txt", "a/../../evil.txt"])
def test_a_listing_that_leaves_the_destination_is_refused_as_mlflow_does(
    tmp_path: Path, hostile: str
) -> None:
    """A server listing `..` or an absolute path: MLflow's `Invalid path`, nothing written
    outside the destination (nor any file fetched)."""
    import mlflow

    server = HostileArtifactServer(hostile)
    try:
        uri = f"{server.url}/api/2.0/mlflow-artifacts/artifacts/root/dir"
        outcomes = []
        for m in (mlflow, mlrs):
            dst = tmp_path / m.__name__ / "dst"
            dst.mkdir(parents=True)
            outcomes.append(
                _caught(functools.partial(m.artifacts.download_artifacts, uri, dst_path=str(dst)))
            )
            assert [p.name for p in dst.parent.rglob("*") if p.name == "evil.txt"] == []
        assert not Path("/tmp/evil.txt").exists()
        assert outcomes[0] == outcomes[1]
        assert outcomes[1].startswith("MlflowException INVALID_PARAMETER_VALUE Invalid path")
        assert not any("evil" in r for r in server.requests)
    finally:
        server.close()


def test_a_local_artifact_location_on_a_server_still_works(
    server: str, fast_retries: Path, tmp_path: Path
) -> None:
    mlrs.set_tracking_uri(server)
    location = tmp_path / "local-artifacts"
    experiment_id = mlrs.create_experiment(_unique("local-loc"), artifact_location=str(location))
    with mlrs.start_run(experiment_id=experiment_id) as run:
        mlrs.log_text("here", "dir/t.txt")
    assert (location / run.info.run_id / "artifacts" / "dir" / "t.txt").read_text() == "here"
    listed = mlrs.MlflowClient().list_artifacts(run.info.run_id, "dir")
    assert [(i.path, i.is_dir, i.file_size) for i in listed] == [("dir/t.txt", False, 4)]


_BIG_FILE_SCRIPT = """
import os, sys
import mlrs

def peak_kb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))

server, work, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
big = os.path.join(work, "big.bin")
with open(big, "wb") as f:  # sparse: a marker at each end, zeros between
    f.write(b"head")
    f.seek(size - 4)
    f.write(b"tail")
mlrs.set_tracking_uri(server)
with mlrs.start_run() as run:
    mlrs.log_text("warm", "warm.txt")  # the connection and the code paths, before measuring
    mlrs.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="warm.txt")
    before = peak_kb()
    mlrs.log_artifact(big, "blobs")
after_upload = peak_kb()
got = mlrs.MlflowClient().download_artifacts(run.info.run_id, "blobs/big.bin", work + "/dl")
after_download = peak_kb()
with open(got, "rb") as f:
    head = f.read(4)
    f.seek(size - 4)
    tail = f.read(4)
print(before, after_upload, after_download, os.path.getsize(got), head.decode(), tail.decode())
"""


def test_a_large_file_streams_both_ways_in_flat_memory(
    server: str, fast_retries: Path, tmp_path: Path
) -> None:
    """A 256 MB file goes up and comes back while the process's peak RSS (VmHWM) grows by far
    less than the file: it streams from disk to the socket and back."""
    size = 256 * 1024 * 1024
    done = subprocess.run(
        [sys.executable, "-c", _BIG_FILE_SCRIPT, server, str(tmp_path), str(size)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    before, after_upload, after_download, got_size, head, tail = done.stdout.split()[-6:]
    assert (int(got_size), head, tail) == (size, "head", "tail")
    grown_mb = (int(after_download) - int(before)) / 1024
    print(f"peak RSS before {int(before) // 1024} MB, grown by {grown_mb:.1f} MB")
    assert grown_mb < 32, (before, after_upload, after_download)


# ---- datasets ----------------------------------------------------------------------------------


def _dataset_scenario(m: Any, experiment: str) -> list[tuple[str, str]]:
    """Datasets logged as run inputs through `m`, and what the server gives back."""
    import pandas as pd

    frame = pd.DataFrame({"a": [1, 2, 3], "b": [0.5, 1.5, 2.5]})
    train = m.data.from_pandas(frame, source="s3://bucket/train.csv", name="train", targets="b")
    test = m.data.from_pandas(frame.head(1), source="s3://bucket/test.csv", name="test")
    m.set_experiment(experiment)
    out = []
    # mlflow's schema inference warns (integer columns); pytest's warnings-as-errors would make
    # it log no schema at all.
    with warnings.catch_warnings(), m.start_run() as run:
        warnings.simplefilter("ignore")
        m.log_input(train, context="training", tags={"team": "a"})
        m.log_input(train, context="training")  # the same input again: kept once
        m.log_inputs([test], contexts=["eval"], tags_list=[None])
        m.log_param("p", 1)  # queued before the inputs by mlrs: order must hold
    client = m.MlflowClient()
    got = client.get_run(run.info.run_id)
    for d in got.inputs.dataset_inputs:
        dataset = d.dataset
        fields = (dataset.name, dataset.digest, dataset.source_type, dataset.source)
        shape = (dataset.schema, dataset.profile)
        out.append(("input", repr((fields, shape, sorted((t.key, t.value) for t in d.tags)))))
    out.append(("params", repr(got.data.params)))
    found = m.search_runs(filter_string="dataset.name = 'train'", output_format="list")
    out.append(("search by dataset", repr([r.info.run_id == run.info.run_id for r in found])))
    entity = m.entities.DatasetInput(train._to_mlflow_entity(), [])
    out.append(("unknown run", _caught(lambda: client.log_inputs("f" * 32, [entity]))))
    client.delete_run(run.info.run_id)
    out.append(("deleted run", _caught(lambda: client.log_inputs(run.info.run_id, [entity]))))
    return out


def test_datasets_over_a_server_match_mlflows_client(server: str, fast_retries: Path) -> None:
    import mlflow

    mlflow.set_tracking_uri(server)
    try:
        name = _unique("datasets-mlflow")
        expected = _normalise(_dataset_scenario(mlflow, name), name)
    finally:
        cast(Any, mlflow).set_tracking_uri(None)
    mlrs.set_tracking_uri(server)
    name = _unique("datasets-mlrs")
    actual = _normalise(_dataset_scenario(mlrs, name), name)
    assert len([label for label, _ in expected if label == "input"]) == 2
    differences = [(e, a) for e, a in zip(expected, actual, strict=True) if e != a]
    for expected_item, actual_item in differences:
        print("EXPECTED", expected_item)
        print("ACTUAL  ", actual_item)
    assert differences == []


def test_artifact_transfers_retry_503_and_lost_answers_whole(
    proxy: FaultProxy, fast_retries: Path, tmp_path: Path
) -> None:
    """An upload answered 503 is sent again from the start of the file; a download whose
    connection is reset is fetched again; a 403 is not retried and names the status."""
    payload = bytes(range(256)) * 4096  # 1 MiB
    source = tmp_path / "blob.bin"
    source.write_bytes(payload)
    mlrs.set_tracking_uri(proxy.url)
    from mlrs import _artifacts

    with mlrs.start_run() as run:
        # The run's root, resolved first, so that the faults hit the artifact requests only.
        root = _artifacts.run_root(mlrs.MlflowClient()._store, run.info.run_id)
        assert isinstance(root, _artifacts._Remote)
        # The first upload asks the server for its capabilities (multipart), once.
        mlrs.log_text("warm", "warm.txt")
        proxy.fail_next("status", 503, times=2)
        root.log_file(str(source), None)
        proxy.fail_next("status", 403)
        with pytest.raises(MlflowException, match="403 Client Error") as refused:
            root.log_file(str(source), "refused")
        assert refused.value.error_code == "PERMISSION_DENIED"
    puts = [line for line in proxy.seen if line.startswith("PUT ")]
    # The warm-up, 2 refused + 1 applied, then 1 refused without a retry.
    assert len(puts) == 5, puts
    proxy.fail_next("lost")
    got = mlrs.MlflowClient().download_artifacts(run.info.run_id, "blob.bin", str(tmp_path / "d"))
    assert Path(got).read_bytes() == payload
    listed = mlrs.MlflowClient().list_artifacts(run.info.run_id)
    assert [(i.path, i.file_size) for i in listed] == [
        ("blob.bin", len(payload)),
        ("warm.txt", 4),
    ]


def test_log_artifacts_skips_directory_links_as_mlflow_does(
    server: str, fast_retries: Path, tmp_path: Path
) -> None:
    """A link to a directory (here a loop back to the logged directory) is not entered, as
    `os.walk` does not enter it; a link to a file is uploaded as the file."""
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "sub" / "f.txt").write_text("f")
    (tree / "loop").symlink_to(tree, target_is_directory=True)
    (tree / "link.txt").symlink_to(tree / "sub" / "f.txt")
    mlrs.set_tracking_uri(server)
    with mlrs.start_run() as run:
        mlrs.log_artifacts(str(tree))
    client = mlrs.MlflowClient()
    assert [(i.path, i.is_dir) for i in client.list_artifacts(run.info.run_id)] == [
        ("link.txt", False),
        ("sub", True),
    ]


def test_runs_carry_their_model_outputs_without_a_request_per_run(
    proxy: FaultProxy, fast_retries: Path
) -> None:
    """A server sends a run's model outputs with the run (`runs/get`, `runs/search`): mlrs
    reads them there, as mlflow's client does, instead of asking for each run again."""
    from mlrs.entities import LoggedModelOutput

    mlrs.set_tracking_uri(proxy.url)
    experiment = mlrs.set_experiment(_unique("outputs")).experiment_id
    client = mlrs.MlflowClient()
    made: dict[str, list[tuple[str, int]]] = {}
    for i in range(3):
        with mlrs.start_run() as run:
            model = mlrs.initialize_logged_model(name=f"net-{i}")
            client.log_outputs(run.info.run_id, [LoggedModelOutput(model.model_id, i)])
            made[run.info.run_id] = [(model.model_id, i)]
    with proxy.lock:
        proxy.seen.clear()

    def outputs(run: Any) -> list[tuple[str, int]]:
        assert run.outputs is not None
        return [(o.model_id, o.step) for o in run.outputs.model_outputs]

    found = mlrs.search_runs([experiment], output_format="list")
    assert {r.info.run_id: outputs(r) for r in found} == made
    one = next(iter(made))
    assert outputs(client.get_run(one)) == made[one]
    with proxy.lock:
        asked = [path for path in proxy.seen if "/runs/" in path]
    assert sum("runs/search" in p for p in asked) == 1, asked
    assert sum("runs/get" in p for p in asked) == 1, asked
