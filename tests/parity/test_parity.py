"""Differential tests: every script in ``scenarios/`` runs under real mlflow 3.18 and under mlrs.

Each side runs in a fresh directory (the cwd, with HOME inside it) and a clean environment; the
normalised record streams must be equal. mlflow's sides fork from a process that imported mlflow
once (``_zygote.py``; ``PARITY_ZYGOTE=0`` starts a fresh interpreter each instead) and run in a
small thread pool as soon as the session starts, while the tests wait for them in order. Set
``PARITY_CANDIDATE=mlflow`` to compare mlflow forked from the zygote with mlflow in a fresh
interpreter, which checks that the scenarios, the normalisation and the zygote are
deterministic, and ``PARITY_STRICT=1`` to list the known differences as failures too.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest
from _ci import unavailable

from _harness import SCENARIO_DIR, ScriptResult, explain_mismatch, run_scenario

if importlib.util.find_spec("mlflow") is None:
    unavailable("mlflow is not installed")

pytestmark = pytest.mark.parity

# Differences mlrs keeps for now, each with its reason. The test checks that they still differ,
# so a fixed one must be removed from this table.
KNOWN_DIFFERENCES: dict[str, dict[str, str]] = {
    "artifacts_errors": {
        "log_artifacts missing dir": "MLflow logs nothing and returns; mlrs raises "
        "FileNotFoundError rather than lose the data silently",
        "log_artifacts of a file": "MLflow logs nothing and returns; mlrs raises "
        "NotADirectoryError",
        "download ..": "MLflow copies the run's parent directory (outside the artifact root) "
        "to dst; mlrs refuses with RESOURCE_DOES_NOT_EXIST",
        "run files": "MLflow leaves empty directories behind when a log_artifact(s) call fails "
        "(missing source); mlrs creates nothing",
        "nothing written outside the root": "what MLflow's `download ..` copied out of the "
        "run's parent directory",
    },
    "log_metrics": {
        "steps stored": "MLflow stores a float step (1.5) as REAL in a BIGINT column; mlrs "
        "stores int(step)",
        "timestamps stored": "MLflow stores a float timestamp as REAL; mlrs stores int(ts)",
    },
}

SCENARIOS = sorted(path.stem for path in SCENARIO_DIR.glob("*.py") if not path.stem.startswith("_"))
CANDIDATE = os.environ.get("PARITY_CANDIDATE", "mlrs")
STRICT = os.environ.get("PARITY_STRICT") == "1"  # compare the known differences too


@pytest.fixture(scope="session")
def mlflow_results(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    mlflow_template: Path,
) -> Iterator[dict[str, Future[ScriptResult]]]:
    """The mlflow side of every selected scenario, started in the background at once."""
    selected = [
        item.callspec.params["scenario"]
        for item in request.session.items
        if hasattr(item, "callspec") and "scenario" in item.callspec.params
    ]
    # Child interpreters are what makes a scenario slow: start those first.
    selected.sort(key=lambda name: -(SCENARIO_DIR / f"{name}.py").read_text().count("run_child("))
    pool = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 1))
    futures = {
        name: pool.submit(
            run_scenario,
            SCENARIO_DIR / f"{name}.py",
            tmp_path_factory.mktemp(f"{name}-mlflow"),
            "mlflow",
            mlflow_template,
        )
        for name in dict.fromkeys(selected)
    }
    yield futures
    pool.shutdown(wait=True, cancel_futures=True)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario(
    scenario: str,
    mlflow_results: dict[str, Future[ScriptResult]],
    mlrs_missing: str | None,
    mlflow_template: Path,
    tmp_path: Path,
) -> None:
    expected = mlflow_results[scenario].result()
    failed = expected.has_uncaught() or expected.returncode != 0
    assert not failed, f"scenario {scenario} failed under mlflow:\n{expected.stderr[-3000:]}"
    if CANDIDATE == "mlrs" and mlrs_missing is not None:
        unavailable(mlrs_missing)
    template = mlflow_template if CANDIDATE == "mlflow" else None
    # Compared with itself, mlflow's candidate side runs in a fresh interpreter, so the check
    # also covers the zygote that runs the expected side.
    actual = run_scenario(
        SCENARIO_DIR / f"{scenario}.py", tmp_path / CANDIDATE, CANDIDATE, template, fresh=True
    )
    known = KNOWN_DIFFERENCES.get(scenario, {}) if CANDIDATE == "mlrs" and not STRICT else {}
    for label in known:
        mine = [value for name, value in actual.records if name == label]
        theirs = [value for name, value in expected.records if name == label]
        assert mine != theirs, f"{scenario}: {label!r} matches mlflow now; drop it from the table"
    expected = replace(expected, records=[r for r in expected.records if r[0] not in known])
    actual = replace(actual, records=[r for r in actual.records if r[0] not in known])
    problem = explain_mismatch(expected, actual)
    if problem is not None:
        pytest.fail(f"scenario {scenario}: {problem}", pytrace=False)
