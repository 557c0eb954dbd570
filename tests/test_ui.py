"""`mlrs ui`'s server: its JSON API (ui/API.md) against a real `mlrs ui` process on loopback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import _sql
import pytest
from _ui import UiServer, start

import mlrs
from mlrs.exceptions import MlflowException

# Built by a child process, so the data exists before the server (another process) opens it.
_FIXTURE = """
import json, math, os, sys
import mlrs
from mlrs import MlflowClient

mlrs.set_tracking_uri(sys.argv[1])
out = {}
exp = mlrs.create_experiment("sweep", tags={"team": "a"})
out["experiment_id"] = exp
mlrs.set_experiment(experiment_id=exp)
runs = []
for i in range(12):
    with mlrs.start_run(run_name=f"run-{i:02d}") as run:
        mlrs.log_params({"lr": str(0.1 * (i % 4)), "opt": "adam" if i % 2 else "sgd"})
        mlrs.set_tags({"group": "g%d" % (i % 3), "odd": str(i % 2 == 1)})
        for step in range(5):
            mlrs.log_metric("loss", 10.0 - i - step + (5.0 if step == 2 and i % 5 == 0 else 0),
                            step=step)
        if i % 4:
            mlrs.log_metric("acc", i / 12)
        if i == 3:
            mlrs.log_metric("acc", float("nan"), step=1)
        runs.append(run.info.run_id)
out["runs"] = runs
# A long series with a planted spike.
with mlrs.start_run(run_name="long") as run:
    client = MlflowClient()
    for start in range(0, 50_000, 1000):
        from mlrs.entities import Metric
        client.log_batch(run.info.run_id, metrics=[
            Metric("loss", 3.936 if s == 37_777 else math.sin(s / 500.0), 1_000 + s, s)
            for s in range(start, start + 1000)
        ])
    mlrs.log_metric("lr", 0.5, step=0)
    mlrs.log_metric("lr", 0.25, step=25_000)
    mlrs.log_text("hello, artifacts\\n" * 100, "logs/train.log")
    mlrs.log_dict({"a": 1}, "config.json")
    mlrs.set_tag("mlflow.note.content", "the long one")
    out["long"] = run.info.run_id
mlrs.flush()
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[UiServer, dict[str, Any]]]:
    root = tmp_path_factory.mktemp("ui")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["MLRS_CAPTURE_ENV"] = "0"
    made = subprocess.run(
        [sys.executable, "-c", _FIXTURE, uri],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    ids = json.loads(made.stdout)
    ids["uri"] = uri
    ids["root"] = root
    server = start(uri, root)
    yield server, ids
    server.stop()


def test_prints_its_url_and_answers_health(site: tuple[UiServer, dict[str, Any]]) -> None:
    server, ids = site
    assert server.url.startswith("http://127.0.0.1:")
    health = server.api("/api/health")
    assert health["store"] == ids["uri"]
    assert health["version"] == mlrs.__version__
    assert server.get("/api/nothing").json()["error_code"] == "ENDPOINT_NOT_FOUND"


def test_without_built_assets_the_page_says_how_to_build(
    site: tuple[UiServer, dict[str, Any]],
) -> None:
    server, _ = site
    if server.api("/api/health")["assets"]:
        pytest.skip("the SPA is built in this checkout")
    page = server.get("/experiments/1")
    assert page.status == 200
    assert "text/html" in page.headers["content-type"]
    assert b"npm ci &amp;&amp; npm run build" in page.body
    assert b"make ui" in page.body


FILTERS = [
    ("", []),
    ("metrics.loss < 3", ["metrics.loss DESC"]),
    ("metrics.acc >= 0.25 AND params.opt = 'adam'", ["params.lr", "metrics.acc"]),
    ("params.lr = '0.2'", []),
    ("tags.group = 'g1'", ["attributes.run_name DESC"]),
    ("tags.odd != 'True'", ["start_time"]),
    ("attributes.run_name LIKE 'run-0%'", ["metrics.acc DESC"]),
    ("run_name ILIKE 'RUN-1%'", []),
    ("params.opt IS NULL", []),
    ("metrics.acc != 0.5", ["metrics.acc"]),
    ("attributes.status = 'FINISHED'", ["tags.group", "metrics.loss"]),
]


def _api_ids(server: UiServer, experiment_id: str, filter: str, order_by: list[str]) -> Any:
    return server.get(
        "/api/runs",
        experiment_ids=experiment_id,
        filter=filter,
        order_by=",".join(order_by),
        max_results=1000,
    )


@pytest.mark.parametrize(("filter", "order_by"), FILTERS)
def test_filters_and_order_equal_search_runs(
    site: tuple[UiServer, dict[str, Any]], filter: str, order_by: list[str]
) -> None:
    server, ids = site
    mlrs.set_tracking_uri(ids["uri"])
    expected = [
        r.info.run_id
        for r in mlrs.search_runs(
            [ids["experiment_id"]], filter, order_by=order_by, output_format="list"
        )
    ]
    answer = _api_ids(server, ids["experiment_id"], filter, order_by).json()
    assert [r["run_id"] for r in answer["runs"]] == expected
    assert answer["total"] == len(expected)


@pytest.mark.parametrize(
    ("filter", "order_by"),
    [
        ("metrics.loss >", []),
        ("metrics.loss > 1 OR params.a = 'b'", []),
        ("params.lr < '0.1'", []),
        ("", ["metrics.loss sideways"]),
        ("", ["min(params.lr)"]),
    ],
)
def test_bad_filters_get_mlflows_error(
    site: tuple[UiServer, dict[str, Any]], filter: str, order_by: list[str]
) -> None:
    server, ids = site
    answer = _api_ids(server, ids["experiment_id"], filter, order_by)
    assert answer.status == 400
    body = answer.json()
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    if order_by and order_by[0].startswith("min("):
        return
    mlrs.set_tracking_uri(ids["uri"])
    with pytest.raises(MlflowException) as raised:
        mlrs.search_runs([ids["experiment_id"]], filter, order_by=order_by)
    assert body["message"] == raised.value.message


def test_metric_columns_pages_and_reducer_sort(site: tuple[UiServer, dict[str, Any]]) -> None:
    server, ids = site
    seen: list[str] = []
    token = None
    while True:
        page = server.api(
            "/api/runs",
            experiment_ids=ids["experiment_id"],
            max_results=5,
            page_token=token,
            order_by="min(metrics.loss)",
            metrics="loss,acc",
            params="lr",
        )
        assert page["total"] == 13
        seen += [r["run_id"] for r in page["runs"]]
        token = page["next_page_token"]
        if token is None:
            break
    assert len(seen) == len(set(seen)) == 13
    mlrs.set_tracking_uri(ids["uri"])
    client = mlrs.MlflowClient()

    def smallest(run_id: str) -> float:
        return min(m.value for m in client.get_metric_history(run_id, "loss"))

    mins = [smallest(r) for r in seen]
    assert mins == sorted(mins)
    run0 = server.api(
        "/api/runs",
        experiment_ids=ids["experiment_id"],
        filter="run_name = 'run-00'",
        metrics="*",
    )["runs"][0]
    # loss of run 0: 10, 9, 13 (a spike at step 2), 7, 6.
    assert run0["metrics"]["loss"] == {
        "last": 6.0,
        "min": 6.0,
        "max": 13.0,
        "first": 10.0,
        "step": 4,
        "timestamp": run0["metrics"]["loss"]["timestamp"],
    }
    assert run0["params"] == {}
    assert run0["tags"] == {}
    run3 = server.api(
        "/api/runs",
        experiment_ids=ids["experiment_id"],
        filter="run_name = 'run-03'",
        metrics="acc",
        tags="group",
    )["runs"][0]
    assert run3["metrics"]["acc"]["last"] == "NaN"
    assert run3["metrics"]["acc"]["first"] == 0.25
    assert run3["tags"] == {"group": "g0"}
    keys = server.api("/api/runs/keys", experiment_ids=ids["experiment_id"])
    assert keys["metrics"] == ["acc", "loss", "lr"]
    assert keys["params"] == ["lr", "opt"]


def test_m4_keeps_the_spike_and_zooming_returns_raw_points(
    site: tuple[UiServer, dict[str, Any]],
) -> None:
    server, ids = site
    params = {"run_ids": ids["long"], "keys": "loss", "points": 200}
    first = server.get("/api/series", **params)
    again = server.get("/api/series", **params)
    assert first.body == again.body, "deterministic"
    (series,) = first.json()["series"]
    assert series["total_points"] == 50_000
    assert not series["raw"]
    assert len(series["x"]) <= 4 * 200 + 200
    assert max(series["value"]) == 3.936
    assert 37_777 in series["step"]
    assert series["step"][0] == 0
    assert series["step"][-1] == 49_999
    zoomed = server.api("/api/series", x_min=37_700, x_max=37_899, **params)["series"][0]
    assert zoomed["raw"]
    assert zoomed["step"] == list(range(37_700, 37_900))
    assert zoomed["x"] == zoomed["step"]
    tail = server.api("/api/series", after_step=49_990, **params)["series"][0]
    assert tail["step"] == list(range(49_991, 50_000))
    assert tail["raw"]
    wall = server.api("/api/series", x="wall", x_min=1_000, x_max=1_009, **params)["series"][0]
    assert wall["x"] == list(range(1_000, 1_010))
    by_lr = server.api("/api/series", x="lr", **params)["series"][0]
    assert by_lr["x"] == [0.25, 0.5]
    assert by_lr["step"] == [25_000, 0]
    relative = server.api("/api/series", x="relative", points=10, run_ids=ids["long"], keys="loss")[
        "series"
    ][0]
    assert all(isinstance(x, float) for x in relative["x"])
    missing = server.api("/api/series", run_ids=ids["long"], keys="nope")["series"][0]
    assert missing["total_points"] == 0
    assert missing["x"] == []


def test_saved_views_round_trip(site: tuple[UiServer, dict[str, Any]]) -> None:
    server, ids = site
    exp = ids["experiment_id"]
    state = {"charts": [{"keys": ["loss"], "smoothing": 0.6}], "filter": "metrics.loss < 3"}
    put = server.request("PUT", f"/api/views/loss%20view?experiment_id={exp}", {"state": state})
    assert put.status == 200, put.body
    assert server.api("/api/views", experiment_id=exp)["views"] == [
        {"name": "loss view", "state": state}
    ]
    # Stored as an experiment tag, so any reader of the file sees it.
    mlrs.set_tracking_uri(ids["uri"])
    tags = mlrs.get_experiment(exp).tags
    assert json.loads(tags["mlrs.view.loss view"]) == state
    refused = server.request(
        "PUT", f"/api/views/x?experiment_id={exp}", {"state": {}}, same_origin=False
    )
    assert refused.status == 403
    cross = server.request(
        "PUT",
        f"/api/views/x?experiment_id={exp}",
        {"state": {}},
        headers={"Origin": "http://evil.example"},
    )
    assert cross.status == 403
    assert server.request("PUT", f"/api/views/x?experiment_id={exp}", {"state": 3}).status == 400
    assert server.request("DELETE", f"/api/views/loss%20view?experiment_id={exp}").status == 200
    assert server.api("/api/views", experiment_id=exp)["views"] == []
    assert server.request("DELETE", f"/api/views/loss%20view?experiment_id={exp}").status == 404


def test_artifacts_list_download_range_and_refuse_traversal(
    site: tuple[UiServer, dict[str, Any]],
) -> None:
    server, ids = site
    run = ids["long"]
    listing = server.api("/api/artifacts", run_id=run)
    assert [(f["path"], f["is_dir"]) for f in listing["files"]] == [
        ("config.json", False),
        ("logs", True),
    ]
    assert listing["root_uri"].endswith(f"{run}/artifacts")
    logs = server.api("/api/artifacts", run_id=run, path="logs")["files"]
    assert logs == [{"path": "logs/train.log", "is_dir": False, "file_size": 1700}]
    whole = server.get("/api/artifact", run_id=run, path="logs/train.log")
    assert whole.status == 200
    assert whole.body == b"hello, artifacts\n" * 100
    assert whole.headers["content-type"] == "text/plain; charset=utf-8"
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["content-security-policy"] == "sandbox"
    ranged = server.request(
        "GET", f"/api/artifact?run_id={run}&path=logs/train.log", headers={"Range": "bytes=7-15"}
    )
    assert ranged.status == 206
    assert ranged.body == b"artifacts"
    assert ranged.headers["content-range"] == "bytes 7-15/1700"
    tail = server.request(
        "GET", f"/api/artifact?run_id={run}&path=logs/train.log", headers={"Range": "bytes=-4"}
    )
    assert tail.body == b"cts\n"
    beyond = server.request(
        "GET",
        f"/api/artifact?run_id={run}&path=logs/train.log",
        headers={"Range": "bytes=5000-"},
    )
    assert beyond.status == 416
    assert (
        server.get("/api/artifact", run_id=run, path="config.json")
        .headers["content-type"]
        .startswith("application/json")
    )
    root = Path(listing["root_uri"])
    (root / "escape").symlink_to(ids["root"])
    for bad in ["../../../../mlflow.db", "/etc/passwd", "logs/../../x", "escape/mlflow.db"]:
        answer = server.get("/api/artifact", run_id=run, path=bad)
        assert answer.status == 400, bad
        assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE"
        assert server.get("/api/artifacts", run_id=run, path=bad).status == 400
    assert server.get("/api/artifact", run_id=run, path="nope.txt").status == 404
    assert server.get("/api/artifact", run_id=run, path="logs").status == 404
    assert server.get("/api/artifact", run_id="0" * 32, path="a").status == 404


def test_writes_need_the_same_origin(site: tuple[UiServer, dict[str, Any]]) -> None:
    server, ids = site
    run = ids["runs"][11]
    path = f"/api/runs/{run}"
    body = {"run_name": "renamed", "tags": {"note": "x", "group": None}}
    assert server.request("PATCH", path, body, same_origin=False).status == 403
    assert server.request("DELETE", path, same_origin=False).status == 403
    assert (
        server.request(
            "PATCH", f"/api/experiments/{ids['experiment_id']}", {"name": "x"}, same_origin=False
        ).status
        == 403
    )
    fetch_style = server.request(
        "PATCH", path, body, same_origin=False, headers={"Sec-Fetch-Site": "same-origin"}
    )
    assert fetch_style.status == 200, fetch_style.body
    updated = fetch_style.json()
    assert updated["run_name"] == "renamed"
    assert updated["tags"]["note"] == "x"
    assert "group" not in updated["tags"]
    mlrs.set_tracking_uri(ids["uri"])
    assert mlrs.get_run(run).info.run_name == "renamed"
    assert server.request("DELETE", path).status == 200
    assert mlrs.get_run(run).info.lifecycle_stage == "deleted"
    deleted = server.api("/api/runs", experiment_ids=ids["experiment_id"], view="deleted")
    assert [r["run_id"] for r in deleted["runs"]] == [run]
    bad = server.request("PATCH", path, {"tags": {"k": 1}})
    assert bad.status == 400
    other = server.get("/api/health")
    assert other.status == 200
    rebound = server.request("GET", "/api/health", headers={"Host": "attacker.example"})
    assert rebound.status == 403


def test_run_page_and_registry(site: tuple[UiServer, dict[str, Any]]) -> None:
    server, ids = site
    mlrs.set_tracking_uri(ids["uri"])
    client = mlrs.MlflowClient()
    client.create_registered_model("net", description="a model")
    version = client.create_model_version("net", f"runs:/{ids['long']}/model", ids["long"])
    client.set_registered_model_alias("net", "champion", version.version)
    mlrs.flush()
    page = server.api(f"/api/runs/{ids['long']}")
    assert page["description"] == "the long one"
    assert page["artifact_uri"].endswith("/artifacts")
    assert set(page["metrics"]) == {"loss", "lr"}
    assert page["metrics"]["loss"]["max"] == 3.936
    assert page["model_versions"] == [
        {"name": "net", "version": "1", "current_stage": "None", "aliases": ["champion"]}
    ]
    assert page["inputs"] == []
    assert page["logged_models"] == []
    assert server.get(f"/api/runs/{'0' * 32}").status == 404
    models = server.api("/api/registered-models")["registered_models"]
    assert [(m["name"], m["aliases"]) for m in models] == [("net", {"champion": "1"})]
    one = server.api("/api/registered-models/net")
    assert one["description"] == "a model"
    assert [(v["version"], v["run_id"], v["aliases"]) for v in one["versions"]] == [
        ("1", ids["long"], ["champion"])
    ]
    assert server.get("/api/registered-models/nope").status == 404
    assert server.api("/api/registered-models", filter="name = 'x'")["registered_models"] == []
    exps = server.api("/api/experiments")["experiments"]
    assert [e["name"] for e in exps] == ["sweep", "Default"]
    assert exps[0]["tags"] == {"team": "a"}
    assert server.api(f"/api/experiments/{ids['experiment_id']}")["name"] == "sweep"
    assert server.get("/api/experiments/999").status == 404


_WRITER = """
import sys
import mlrs
mlrs.set_tracking_uri(sys.argv[1])
mlrs.set_experiment("live")
with mlrs.start_run() as run:
    print(run.info.run_id, flush=True)
    sys.stdin.readline()
    for step in range(int(sys.argv[2])):
        mlrs.log_metric("loss", 1.0 / (step + 1), step=step)
        if step % 50 == 0:
            mlrs.flush()
print("done", flush=True)
"""


def test_the_series_follows_a_process_that_is_logging(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'live.db'}"
    total = 3000
    with subprocess.Popen(
        [sys.executable, "-c", _WRITER, uri, str(total)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as writer:
        assert writer.stdin is not None
        assert writer.stdout is not None
        run_id = writer.stdout.readline().strip()
        server = start(uri, tmp_path)
        try:
            writer.stdin.write("go\n")
            writer.stdin.flush()
            seen: list[int] = []
            last = -1
            polls = 0
            while True:
                finished = writer.poll() is not None
                answer = server.get(
                    "/api/series", run_ids=run_id, keys="loss", after_step=last, points=10
                )
                assert answer.status == 200, answer.body
                steps = answer.json()["series"][0]["step"]
                seen += steps
                last = steps[-1] if steps else last
                polls += 1
                if finished and not steps:
                    break
            assert writer.returncode == 0
            assert seen == list(range(total)), "every point once, in order, none lost"
            whole = server.api("/api/series", run_ids=run_id, keys="loss", points=5000)
            assert whole["series"][0]["raw"]
            assert whole["series"][0]["step"] == list(range(total))
            assert polls > 1
        finally:
            writer.kill()
            code, err = server.stop()
    assert "locked" not in err
    assert code == 0


def test_a_database_that_is_not_mlflows_gets_a_page_and_503(tmp_path: Path) -> None:
    db = tmp_path / "other.db"
    _sql.rows(db, "CREATE TABLE songs (title TEXT)")
    server = start(f"sqlite:///{db}", tmp_path)
    try:
        page = server.get("/")
        assert page.status == 503
        assert b"not an MLflow tracking database" in page.body
        for path in ["/api/health", "/api/experiments", "/api/runs?experiment_ids=0"]:
            answer = server.get(path)
            assert answer.status == 503, path
            assert answer.json()["error_code"] == "NOT_MLFLOW_STORE"
    finally:
        code, err = server.stop()
    assert code == 0
    assert "is not an MLflow tracking database" in err
    assert _sql.rows(db, "SELECT name FROM sqlite_master") == [("songs",)], "left untouched"
    assert not (tmp_path / "other.db-wal").exists()
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not sqlite at all" * 100)
    server = start(f"sqlite:///{garbage}", tmp_path)
    try:
        answer = server.get("/api/runs?experiment_ids=0")
        assert answer.status == 503
        assert "not an SQLite database" in answer.json()["message"]
    finally:
        server.stop()


def test_ctrl_c_and_sigterm_stop_it_cleanly(tmp_path: Path) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        server = start(f"sqlite:///{tmp_path / 'c.db'}", tmp_path)
        assert server.get("/api/health").status == 200
        code, err = server.stop(sig)
        assert code == 0, err
        assert "mlrs ui: stopped" in err
    # A signal that comes the moment the URL is printed, before the server is waited on.
    for sig in (signal.SIGINT, signal.SIGTERM) * 3:
        code, err = start(f"sqlite:///{tmp_path / 'c.db'}", tmp_path).stop(sig)
        assert code == 0, err
        assert "Traceback" not in err


def test_a_malformed_server_uri_is_refused_clearly(tmp_path: Path) -> None:
    # Serving a tracking server is tested against a real one in tests/test_ui_remote.py.
    env = {**os.environ, "MLRS_SPOOL_DIR": str(tmp_path / "spool")}
    remote = subprocess.run(
        [sys.executable, "-m", "mlrs", "ui", "--backend-store-uri", "http://:5000", "--port", "0"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert remote.returncode == 2, remote.stderr
    assert "Invalid tracking server URI 'http://:5000'" in remote.stderr


def test_other_loopback_addresses_serve_without_a_warning(tmp_path: Path) -> None:
    from mlrs._cli.ui import is_loopback

    assert is_loopback("localhost")
    assert is_loopback("::1")
    assert is_loopback("127.0.0.2")
    assert not is_loopback("0.0.0.0")
    assert not is_loopback("192.168.1.4")
    server = start(f"sqlite:///{tmp_path / 'h.db'}", tmp_path, "--host", "127.0.0.2")
    try:
        assert server.url.startswith("http://127.0.0.2:")
        assert server.get("/api/health").status == 200
    finally:
        _, err = server.stop()
    assert "warning" not in err


def test_help_of_the_ui_command() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mlrs", "ui", "--help"], capture_output=True, text=True, check=True
    )
    assert "--backend-store-uri" in out.stdout
    assert "--port" in out.stdout


_MLFLOW_WRITER = """
import sys
import mlflow
mlflow.set_tracking_uri(sys.argv[1])
mlflow.set_experiment("from-mlflow")
with mlflow.start_run(run_name="real") as run:
    mlflow.log_param("lr", "0.01")
    mlflow.log_metrics({"loss": 0.5, "acc": 0.9}, step=0)
    mlflow.log_metric("loss", 0.25, step=1)
    mlflow.log_text("x", "notes.txt")
print(run.info.run_id)
"""


@pytest.mark.slow
@pytest.mark.parity
def test_serves_a_file_written_by_mlflow(tmp_path: Path) -> None:
    pytest.importorskip("mlflow")
    uri = f"sqlite:///{tmp_path / 'real.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"
    made = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_MLFLOW_WRITER), uri],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    run_id = made.stdout.strip().splitlines()[-1]
    server = start(uri, tmp_path)
    try:
        exps = server.api("/api/experiments")["experiments"]
        exp = next(e for e in exps if e["name"] == "from-mlflow")
        runs = server.api(
            "/api/runs", experiment_ids=exp["experiment_id"], metrics="*", params="*"
        )["runs"]
        assert [r["run_id"] for r in runs] == [run_id]
        assert runs[0]["run_name"] == "real"
        assert runs[0]["params"] == {"lr": "0.01"}
        loss = runs[0]["metrics"]["loss"]
        assert (loss["first"], loss["last"], loss["min"], loss["max"]) == (0.5, 0.25, 0.25, 0.5)
        series = server.api("/api/series", run_ids=run_id, keys="loss")["series"][0]
        assert series["step"] == [0, 1]
        assert series["value"] == [0.5, 0.25]
        files = server.api("/api/artifacts", run_id=run_id)["files"]
        assert [f["path"] for f in files] == ["notes.txt"]
        assert server.get("/api/artifact", run_id=run_id, path="notes.txt").body == b"x"
    finally:
        server.stop()
