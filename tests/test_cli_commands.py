"""`mlrs runs ls|show|diff`, `mlrs experiments ls` and `mlrs gc` (against `mlflow gc`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import _sql
import pytest

import mlrs
from mlrs._cli import main


@pytest.fixture
def runs(fresh_store: Path) -> list[str]:
    mlrs.set_experiment("sweep")
    ids = []
    for i, losses in enumerate([[0.9, 0.1, 0.5], [0.4, 0.3, 0.2]]):
        with mlrs.start_run(run_name=f"r{i}") as run:
            mlrs.log_param("lr", str(i))
            mlrs.log_param("same", "x")
            for step, loss in enumerate(losses):
                mlrs.log_metric("loss", loss, step=step)
            ids.append(run.info.run_id)
    mlrs.flush()
    return ids


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_runs_ls_shows_metric_last_min_max(
    runs: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(capsys, "runs", "ls", "--order-by", "min(metrics.loss)", "--params", "*")
    assert code == 0
    header, *lines = out.splitlines()
    assert header.split() == [
        "RUN", "ID", "NAME", "STATUS", "START", "DURATION", "loss", "last", "loss", "min",
        "loss", "max", "params.lr", "params.same",
    ]  # fmt: skip
    assert [line.split()[1] for line in lines] == ["r0", "r1"], "by the smallest loss"
    assert lines[0].split()[-5:] == ["0.5", "0.1", "0.9", "0", "x"]
    # Columns line up: every line puts the name at the same offset.
    assert len({line.index(" r") for line in lines}) == 1
    code, out, _ = _run(capsys, "runs", "ls", "--filter", "metrics.loss < 0.3", "--json")
    page = json.loads(out)
    assert [r["run_id"] for r in page["runs"]] == [runs[1]]
    assert page["runs"][0]["metrics"]["loss"]["first"] == 0.4
    code, _, err = _run(capsys, "runs", "ls", "--filter", "metrics.loss >")
    assert code == 1
    assert "Invalid clause(s) in filter string" in err


def test_runs_show_and_diff(runs: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "runs", "show", runs[0])
    assert code == 0
    assert "name           r0" in out
    metrics = out.split("Metrics\n", 1)[1].splitlines()
    assert metrics[1].split() == ["loss", "0.5", "0.1", "0.9", "0.9", "2"]
    code, out, _ = _run(capsys, "runs", "diff", *runs)
    assert code == 0
    keys = [line.split()[0] for line in out.splitlines()[1:]]
    assert "params.lr" in keys
    assert "metrics.loss" in keys
    assert "params.same" not in keys, "equal rows hidden"
    code, out, _ = _run(capsys, "runs", "diff", *runs, "--all", "--json")
    rows = {row["key"]: row for row in json.loads(out)["rows"]}
    assert rows["params.same"]["same"]
    assert rows["metrics.loss"]["values"] == ["0.5", "0.2"]
    code, _, err = _run(capsys, "runs", "show", "0" * 32)
    assert code == 1
    assert "no run with id" in err


def test_experiments_ls(runs: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "experiments", "ls", "--filter", "name LIKE 'sw%'")
    assert code == 0
    assert out.splitlines()[1].split()[:3] == ["1", "sweep", "active"]
    code, out, _ = _run(capsys, "experiments", "ls", "--json", "--view", "all")
    assert [e["name"] for e in json.loads(out)["experiments"]] == ["sweep", "Default"]


def test_gc_refuses_an_age_it_cannot_read(
    fresh_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mlrs.set_experiment("e")
    code, out, err = _run(capsys, "gc", "--backend-store-uri", f"sqlite:///{fresh_store}",
                          "--older-than", "1x")  # fmt: skip
    assert code == 1
    assert "Could not parse any time information from '1x'" in err
    assert out == ""


@pytest.mark.parametrize(
    "argv",
    [["ui"], ["runs"], ["runs", "ls"], ["runs", "show"], ["runs", "diff"], ["experiments"],
     ["experiments", "ls"], ["gc"]],
)  # fmt: skip
def test_every_subcommand_has_help(argv: list[str]) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mlrs", *argv, "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("usage: mlrs " + " ".join(argv))


# Builds a store whose artifact locations are relative paths, so a copy of the directory is
# the same store (same ids) for `mlflow gc` in one copy and `mlrs gc` in the other.
_SCENARIO = """
import sys
import mlrs
mlrs.set_tracking_uri("sqlite:///mlflow.db")
ids = {}
for name in ("keep", "gone"):
    ids[name] = mlrs.create_experiment(name, artifact_location=f"mlruns/{name}",
                                       tags={"t": name})
def run(exp, name, deleted=False):
    with mlrs.start_run(experiment_id=ids[exp], run_name=name) as r:
        mlrs.log_metric("m", 1.0)
        mlrs.log_param("p", "1")
        mlrs.log_text("x", "a/file.txt")
    if deleted:
        mlrs.delete_run(r.info.run_id)
    return r.info.run_id
run("keep", "active")
run("keep", "deleted-1", deleted=True)
run("keep", "deleted-2", deleted=True)
run("gone", "in-gone")
mlrs.delete_experiment(ids["gone"])
mlrs.flush()
"""

_TABLES = ["experiments", "experiment_tags", "runs", "metrics", "latest_metrics", "params", "tags"]


def _state(root: Path) -> dict[str, Any]:
    db = root / "mlflow.db"
    counts = {t: _sql.rows(db, f"SELECT count(*) FROM {t}")[0][0] for t in _TABLES}
    names = sorted(str(n) for (n,) in _sql.rows(db, "SELECT name FROM runs"))
    files = sorted(str(p.relative_to(root)) for p in (root / "mlruns").rglob("*") if p.is_file())
    return {"counts": counts, "runs": names, "files": files}


def _gc(impl: str, root: Path, *args: str) -> tuple[int, list[str], str]:
    uri = f"sqlite:///{root / 'mlflow.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env.update(MLFLOW_TRACKING_URI=uri, MLFLOW_DISABLE_TELEMETRY="true")
    done = subprocess.run(
        [sys.executable, "-m", impl, "gc", "--backend-store-uri", uri, *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    return done.returncode, sorted(done.stdout.splitlines()), done.stderr


@pytest.mark.slow
@pytest.mark.parity
def test_gc_does_what_mlflow_gc_does(tmp_path: Path) -> None:
    pytest.importorskip("mlflow")
    template = tmp_path / "template"
    template.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["MLRS_CAPTURE_ENV"] = "0"
    subprocess.run([sys.executable, "-c", _SCENARIO], cwd=template, env=env, check=True)
    active = _sql.rows(template / "mlflow.db", "SELECT run_uuid FROM runs WHERE name = 'active'")
    refusals = [["--run-ids", str(active[0][0])]]
    for n, args in enumerate([*refusals, ["--older-than", "1d"], []]):
        roots = {}
        for impl in ("mlflow", "mlrs"):
            roots[impl] = tmp_path / f"{impl}{n}"
            shutil.copytree(template, roots[impl])
        results = {impl: _gc(impl, root, *args) for impl, root in roots.items()}
        (code, out, err), (mine, my_out, my_err) = results["mlflow"], results["mlrs"]
        assert (mine != 0) == (code != 0), (args, err, my_err)
        if args in refusals:
            # mlflow prints a traceback; its last line carries the message. mlrs checks
            # everything before deleting anything, where mlflow may have deleted some runs.
            message = err.strip().splitlines()[-1].split(": ", 1)[-1]
            assert message in my_err, (args, err, my_err)
            assert my_out == []
            continue
        assert my_out == out, args
        assert _state(roots["mlrs"]) == _state(roots["mlflow"]), args
    state = _state(roots["mlrs"])
    assert state["runs"] == ["active"]
    assert state["counts"]["experiments"] == 2, "Default and keep"
