"""`mlrs ui` over a real `mlflow server` on 127.0.0.1: the same JSON API as over an SQLite file,
read through the remote backend (runs logged by mlrs to the server)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _ui import UiServer, start

pytestmark = pytest.mark.slow

# Run in a child process that logs to the server, so the data is on the server before the UI
# (another process) reads it; it also records what mlrs's own client answers for comparison.
_FIXTURE = """
import json, math, sys
import mlrs
from mlrs import MlflowClient
from mlrs.entities import Metric
from mlrs.exceptions import MlflowException

mlrs.set_tracking_uri(sys.argv[1])
out = {}
exp = mlrs.create_experiment(sys.argv[2], tags={"team": "a"})
out["experiment_id"] = exp
mlrs.set_experiment(experiment_id=exp)
client = MlflowClient()
runs = []
for i in range(9):
    with mlrs.start_run(run_name=f"run-{i:02d}") as run:
        mlrs.log_params({"lr": str(0.1 * (i % 3)), "opt": "adam" if i % 2 else "sgd"})
        mlrs.set_tags({"group": "g%d" % (i % 3)})
        for step in range(5):
            mlrs.log_metric("loss", 10.0 - i - step, step=step)
        if i % 3:
            mlrs.log_metric("acc", i / 10)
        if i == 0:
            net = mlrs.initialize_logged_model(name="net")
            mlrs.finalize_logged_model(net.model_id, "READY")
            out["logged_model"] = net.model_id
        runs.append(run.info.run_id)
out["runs"] = runs
with mlrs.start_run(run_name="long") as run:
    client.log_batch(run.info.run_id, metrics=[
        Metric("loss", 7.5 if s == 3_777 else math.sin(s / 100.0), 1_000 + s, s)
        for s in range(5_000)
    ])
    out["long"] = run.info.run_id
    # Artifacts through the server's proxy: a log long enough to be read in ranges, and a table.
    mlrs.log_text("".join(f"line {i:05d}\\n" for i in range(20_000)), "logs/train.log")
    mlrs.log_dict({"acc": [0.5, 0.75]}, "eval/scores.json")
model = "ui-remote-model " + sys.argv[2]
client.create_registered_model(model, tags={"owner": "ann"}, description="a model")
for run_id in runs[:2]:
    client.create_model_version(model, f"runs:/{run_id}/model", run_id=run_id)
client.set_registered_model_alias(model, "champion", 1)
out["model"] = model
live = client.create_run(exp, run_name="live")
client.log_metric(live.info.run_id, "loss", 1.0, step=0)
out["live"] = live.info.run_id
mlrs.flush()
found = mlrs.search_runs(
    experiment_ids=[exp], filter_string="params.opt = 'adam'", order_by=["metrics.loss DESC"],
    output_format="list",
)
out["adam_by_loss"] = [r.info.run_id for r in found]
try:
    mlrs.search_runs(experiment_ids=[exp], filter_string="metrics.loss >> 1")
except MlflowException as e:
    out["bad_filter"] = [e.error_code, e.message]
print(json.dumps(out))
"""


def _child_env(root: Path, server: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["MLRS_CAPTURE_ENV"] = "0"
    env["MLRS_SPOOL_DIR"] = str(root / "spool")
    env["MLFLOW_TRACKING_URI"] = server
    return env


@pytest.fixture(scope="module")
def site(
    tracking_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[UiServer, dict[str, Any]]]:
    root = tmp_path_factory.mktemp("ui-remote")
    made = subprocess.run(
        [sys.executable, "-c", _FIXTURE, tracking_server, f"ui-remote-{uuid.uuid4().hex[:8]}"],
        cwd=root,
        env=_child_env(root, tracking_server),
        capture_output=True,
        text=True,
        check=True,
    )
    ids = json.loads(made.stdout)
    ids["root"] = root
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLRS_SPOOL_DIR", str(root / "ui-spool"))
        server = start(tracking_server, root)
    yield server, ids
    server.stop()


def test_health_says_a_server_is_served_and_what_it_cannot_show(
    site: tuple[UiServer, dict[str, Any]], tracking_server: str
) -> None:
    server, _ = site
    health = server.api("/api/health")
    assert health["store"] == tracking_server
    assert health["backend"] == "server"
    assert "runs_total" in health["unavailable"]
    assert "artifacts" not in health["unavailable"]
    assert "registered_models" not in health["unavailable"]
    assert "logged_models" not in health["unavailable"]
    assert server.get("/api/nothing").json()["error_code"] == "ENDPOINT_NOT_FOUND"


def test_experiments_and_keys(site: tuple[UiServer, dict[str, Any]]) -> None:
    server, ids = site
    exp = ids["experiment_id"]
    listed = server.api("/api/experiments")["experiments"]
    mine = [e for e in listed if e["experiment_id"] == exp]
    assert len(mine) == 1
    assert mine[0]["tags"]["team"] == "a"
    assert server.api(f"/api/experiments/{exp}")["name"] == mine[0]["name"]
    assert server.get("/api/experiments/987654321").status == 404
    keys = server.api("/api/runs/keys", experiment_ids=exp)
    assert keys["metrics"] == ["acc", "loss"]
    assert keys["params"] == ["lr", "opt"]
    assert "group" in keys["tags"]


def test_filter_and_order_go_to_the_servers_search(site: tuple[UiServer, dict[str, Any]]) -> None:
    server, ids = site
    exp = ids["experiment_id"]
    for order in ["metrics.loss DESC", "last(metrics.loss) DESC"]:
        page = server.api(
            "/api/runs",
            experiment_ids=exp,
            filter="params.opt = 'adam'",
            order_by=order,
            metrics="loss",
            params="*",
        )
        assert [r["run_id"] for r in page["runs"]] == ids["adam_by_loss"]
        assert page["total"] == len(ids["adam_by_loss"])
        assert page["next_page_token"] is None
    first = page["runs"][0]
    assert first["params"]["opt"] == "adam"
    assert first["tags"] == {}
    # The latest value comes from the server's run data; min/max/first are not known there.
    loss = first["metrics"]["loss"]
    assert loss["step"] == 4
    assert isinstance(loss["last"], float)
    assert loss["min"] is None
    assert loss["max"] is None
    assert loss["first"] is None
    bad = server.get("/api/runs", experiment_ids=exp, filter="metrics.loss >> 1")
    assert bad.status == 400
    code, message = ids["bad_filter"]
    assert bad.json()["error_code"] == code
    assert message.split(": ", 1)[-1] in bad.json()["message"]
    refused = server.get("/api/runs", experiment_ids=exp, order_by="min(metrics.loss)")
    assert refused.status == 400
    assert "last value" in refused.json()["message"]


def test_pages_follow_the_token(site: tuple[UiServer, dict[str, Any]]) -> None:
    server, ids = site
    seen: list[str] = []
    token = None
    totals = []
    while True:
        page = server.api(
            "/api/runs",
            experiment_ids=ids["experiment_id"],
            order_by="attributes.run_name ASC",
            max_results=4,
            page_token=token,
        )
        seen += [r["run_name"] for r in page["runs"]]
        totals.append(page["total"])
        token = page["next_page_token"]
        if token is None:
            break
    assert seen == sorted([f"run-{i:02d}" for i in range(9)] + ["live", "long"])
    # The server does not count: total is known on the last page only.
    assert totals == [None, None, len(seen)]


def test_series_m4_keeps_the_spike_and_zoom_is_raw(site: tuple[UiServer, dict[str, Any]]) -> None:
    server, ids = site
    long = ids["long"]
    reduced = server.api("/api/series", run_ids=long, keys="loss", points=100)["series"][0]
    assert reduced["total_points"] == 5000
    assert not reduced["raw"]
    assert len(reduced["value"]) <= 4 * 100
    assert max(reduced["value"]) == 7.5
    assert reduced["x"] == sorted(reduced["x"])
    zoomed = server.api(
        "/api/series", run_ids=long, keys="loss", points=100, x_min=3700, x_max=3800
    )["series"][0]
    assert zoomed["raw"]
    assert zoomed["x"] == list(range(3700, 3801))
    assert zoomed["value"][77] == 7.5
    again = server.get("/api/series", run_ids=long, keys="loss", points=100)
    assert again.json()["series"][0] == reduced
    # Two runs side by side; a run without the key and an unknown run have no points.
    both = server.api("/api/series", run_ids=f"{ids['runs'][0]},{ids['runs'][3]}", keys="loss,acc")
    assert [(s["key"], s["total_points"]) for s in both["series"]] == [
        ("loss", 5),
        ("acc", 0),
        ("loss", 5),
        ("acc", 0),
    ]
    unknown = server.api("/api/series", run_ids="0" * 32, keys="loss")["series"][0]
    assert unknown["total_points"] == 0
    wall = server.api("/api/series", run_ids=long, keys="loss", x="wall", x_min=1000, x_max=1010)
    assert wall["series"][0]["x"] == list(range(1000, 1011))


def test_a_running_runs_new_points_appear(
    site: tuple[UiServer, dict[str, Any]], tracking_server: str
) -> None:
    server, ids = site
    live = ids["live"]
    first = server.api("/api/series", run_ids=live, keys="loss")["series"][0]
    assert first["step"] == [0]
    log = (
        "import sys\nfrom mlrs import MlflowClient\n"
        "c = MlflowClient()\n"
        "for s in range(1, 4):\n    c.log_metric(sys.argv[1], 'loss', 1.0 + s, step=s)\n"
        "import mlrs; mlrs.flush()\n"
    )
    logged = subprocess.run(
        [sys.executable, "-c", log, live],
        env=_child_env(ids["root"], tracking_server),
        capture_output=True,
        text=True,
    )
    assert logged.returncode == 0, logged.stderr
    # The cached series of a running run is refetched after a second: poll until it is.
    deadline = time.monotonic() + 60
    while True:
        tail = server.api("/api/series", run_ids=live, keys="loss", after_step=0)["series"][0]
        if tail["step"] == [1, 2, 3] or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert tail["step"] == [1, 2, 3]
    assert tail["raw"]
    assert tail["value"] == [2.0, 3.0, 4.0]


def test_run_page_and_edits_through_the_rest_api(site: tuple[UiServer, dict[str, Any]]) -> None:
    server, ids = site
    run_id = ids["runs"][2]
    page = server.api(f"/api/runs/{run_id}")
    assert page["run_name"] == "run-02"
    assert page["params"] == {"lr": "0.2", "opt": "sgd"}
    assert page["metrics"]["loss"]["step"] == 4
    assert page["logged_models"] == []
    assert page["model_versions"] == []
    # The first run made a logged model, and version 1 (alias champion) was registered from it.
    first = server.api(f"/api/runs/{ids['runs'][0]}")
    assert [(m["model_id"], m["name"], m["status"]) for m in first["logged_models"]] == [
        (ids["logged_model"], "net", "READY")
    ]
    assert first["model_versions"] == [
        {"name": ids["model"], "version": "1", "current_stage": "None", "aliases": ["champion"]}
    ]
    second = server.api(f"/api/runs/{ids['runs'][1]}")
    assert second["logged_models"] == []
    assert [(v["version"], v["aliases"]) for v in second["model_versions"]] == [("2", [])]
    assert server.get(f"/api/runs/{'f' * 32}").status == 404
    body = {"run_name": "renamed", "tags": {"note": "checked", "group": None}}
    assert server.request("PATCH", f"/api/runs/{run_id}", body, same_origin=False).status == 403
    changed = server.request("PATCH", f"/api/runs/{run_id}", body)
    assert changed.status == 200, changed.body
    after = changed.json()
    assert after["run_name"] == "renamed"
    assert after["tags"]["note"] == "checked"
    assert "group" not in after["tags"]
    assert server.api(f"/api/runs/{run_id}")["run_name"] == "renamed"
    victim = ids["runs"][8]
    assert server.request("DELETE", f"/api/runs/{victim}").status == 200
    deleted = server.api("/api/runs", experiment_ids=ids["experiment_id"], view="deleted")["runs"]
    assert [r["run_id"] for r in deleted] == [victim]


def test_saved_views_are_experiment_tags_on_the_server(
    site: tuple[UiServer, dict[str, Any]],
) -> None:
    server, ids = site
    exp = ids["experiment_id"]
    state = {"keys": ["loss"], "x": "step"}
    put = server.request("PUT", f"/api/views/loss%20only?experiment_id={exp}", {"state": state})
    assert put.status == 200, put.body
    views = server.api("/api/views", experiment_id=exp)["views"]
    assert views == [{"name": "loss only", "state": state}]
    tags = server.api(f"/api/experiments/{exp}")["tags"]
    assert json.loads(tags["mlrs.view.loss only"]) == state
    gone = server.request("DELETE", f"/api/views/loss%20only?experiment_id={exp}")
    assert gone.status == 200
    again = server.request("DELETE", f"/api/views/loss%20only?experiment_id={exp}")
    assert again.status == 404
    assert server.api("/api/views", experiment_id=exp)["views"] == []


def test_artifacts_are_read_through_the_servers_proxy(
    site: tuple[UiServer, dict[str, Any]],
) -> None:
    server, ids = site
    run = ids["long"]
    root = server.api("/api/artifacts", run_id=run)
    assert root["root_uri"].startswith("mlflow-artifacts:")
    assert [(f["path"], f["is_dir"]) for f in root["files"]] == [("eval", True), ("logs", True)]
    (log,) = server.api("/api/artifacts", run_id=run, path="logs")["files"]
    text = "".join(f"line {i:05d}\n" for i in range(20_000)).encode()
    assert (log["path"], log["is_dir"], log["file_size"]) == ("logs/train.log", False, len(text))

    whole = server.get("/api/artifact", run_id=run, path="logs/train.log")
    assert whole.status == 200
    assert whole.body == text
    assert whole.headers["content-type"].startswith("text/plain")
    assert whole.headers["content-security-policy"] == "sandbox"
    url = f"/api/artifact?run_id={run}&path=logs/train.log"
    first = server.request("GET", url, headers={"Range": "bytes=0-99"})
    assert first.status == 206
    assert first.body == text[:100]
    assert first.headers["content-range"] == f"bytes 0-99/{len(text)}"
    later = server.request("GET", url, headers={"Range": "bytes=150000-150010"})
    assert later.status == 206
    assert later.body == text[150_000:150_011]
    scores = server.get("/api/artifact", run_id=run, path="eval/scores.json")
    assert json.loads(scores.body) == {"acc": [0.5, 0.75]}


def test_artifact_paths_that_leave_the_root_or_name_nothing_are_refused(
    site: tuple[UiServer, dict[str, Any]],
) -> None:
    server, ids = site
    run = ids["long"]
    for path in ["../x", "logs/../../x", "/etc/passwd"]:
        assert server.get("/api/artifact", run_id=run, path=path).status == 400, path
        assert server.get("/api/artifacts", run_id=run, path=path).status == 400, path
    for path in ["missing.txt", "logs", "logs/missing.log"]:
        answer = server.get("/api/artifact", run_id=run, path=path)
        assert answer.status == 404, path
        assert answer.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert server.api("/api/artifacts", run_id=run, path="missing")["files"] == []


def test_the_registry_is_read_from_the_server(site: tuple[UiServer, dict[str, Any]]) -> None:
    server, ids = site
    model = ids["model"]
    (listed,) = server.api("/api/registered-models", filter=f"name = '{model}'")[
        "registered_models"
    ]
    assert (listed["name"], listed["description"], listed["tags"]) == (
        model,
        "a model",
        {"owner": "ann"},
    )
    assert listed["aliases"] == {"champion": "1"}
    assert [v["version"] for v in listed["latest_versions"]] == ["2"]
    page = server.api(f"/api/registered-models/{urllib.parse.quote(model)}")
    assert [(v["version"], v["run_id"]) for v in page["versions"]] == [
        ("2", ids["runs"][1]),
        ("1", ids["runs"][0]),
    ]
    assert page["versions"][1]["aliases"] == ["champion"]
    missing = server.get("/api/registered-models/no%20such%20model")
    assert missing.status == 404
    assert missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    bad = server.get("/api/registered-models", filter="name >> 1")
    assert bad.status == 400


def test_an_unreachable_server_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from _remote import free_port

    monkeypatch.setenv("MLRS_SPOOL_DIR", str(tmp_path / "spool"))
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    server = start(f"http://127.0.0.1:{free_port()}", tmp_path)
    try:
        answer = server.get("/api/experiments")
        assert answer.status == 502
        assert answer.json()["error_code"] == "TEMPORARILY_UNAVAILABLE"
        assert "could not be read" in answer.json()["message"]
    finally:
        server.stop()
