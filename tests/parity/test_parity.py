"""Differential tests: every script in ``scenarios/`` runs under real mlflow 3.18 and under mlrs.

Each side runs in a fresh directory (the cwd, with HOME inside it) and a clean environment; the
normalised record streams must be equal. The mlflow sides are slow (~3 s of import each), so
they run in a small thread pool as soon as the session starts, while the tests wait for them in
order. Set ``PARITY_CANDIDATE=mlflow`` to compare mlflow with itself, which checks that the
scenarios and the normalisation are deterministic.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from _harness import SCENARIO_DIR, ScriptResult, explain_mismatch, run_scenario

if importlib.util.find_spec("mlflow") is None:
    pytest.skip("mlflow is not installed", allow_module_level=True)

pytestmark = pytest.mark.parity

SCENARIOS = sorted(path.stem for path in SCENARIO_DIR.glob("*.py") if not path.stem.startswith("_"))
CANDIDATE = os.environ.get("PARITY_CANDIDATE", "mlrs")


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
        pytest.skip(mlrs_missing)
    template = mlflow_template if CANDIDATE == "mlflow" else None
    actual = run_scenario(
        SCENARIO_DIR / f"{scenario}.py", tmp_path / CANDIDATE, CANDIDATE, template
    )
    problem = explain_mismatch(expected, actual)
    assert problem is None, f"scenario {scenario}: {problem}"
