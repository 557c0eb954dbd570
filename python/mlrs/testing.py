"""Assertions for tests of code that tracks runs (an mlrs extension; no pytest needed).

    from mlrs.testing import assert_run

    assert_run(run, params={"lr": 0.1}, metrics={"acc": pytest.approx(0.9, abs=0.01)},
               tags={"team": "vision"}, status="FINISHED")

Each helper reads the run afresh (everything queued before is committed first) and raises one
AssertionError that lists every difference, not just the first.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any

    from mlrs.entities import Run

__all__ = ["assert_metric_history", "assert_run"]


def _run_id(run: Run | str) -> str:
    return run if isinstance(run, str) else run.info.run_id


def _client(tracking_uri: str | None) -> Any:
    from mlrs.tracking import MlflowClient

    return MlflowClient(tracking_uri)


def _compare(
    section: str,
    expected: Mapping[str, Any] | None,
    actual: Mapping[str, Any],
    exact: bool,
    as_text: bool,
) -> list[str]:
    """Lines describing how `actual` differs from `expected` (subset unless `exact`)."""
    if expected is None:
        return []
    lines: list[str] = []
    for key, want in expected.items():
        want = str(want) if as_text and isinstance(want, (int, float, bool)) else want
        if key not in actual:
            lines.append(f"    {key}: missing (expected {want!r})")
        elif actual[key] != want:
            lines.append(f"    {key}: expected {want!r}, got {actual[key]!r}")
    if exact:
        lines.extend(
            f"    {key}: not expected (got {value!r})"
            for key, value in sorted(actual.items())
            if key not in expected
        )
    return [f"  {section}:", *lines] if lines else []


def assert_run(
    run: Run | str,
    *,
    params: Mapping[str, Any] | None = None,
    metrics: Mapping[str, Any] | None = None,
    tags: Mapping[str, Any] | None = None,
    status: str | None = None,
    exact: bool = False,
    tracking_uri: str | None = None,
) -> Run:
    """Checks a run's params, metrics (latest values), tags and status in one call and returns
    the run as stored.

    Only the keys given are checked unless `exact=True`, which also refuses params and metrics
    that were not expected (tags stay a subset: MLflow adds its own `mlflow.*` tags). Params
    compare as text, as MLflow stores them (`{"lr": 0.1}` matches `"0.1"`); metrics with `==`,
    so `pytest.approx` works.
    """
    found: Run = _client(tracking_uri).get_run(_run_id(run))
    problems = [
        *_compare("params", params, found.data.params, exact, as_text=True),
        *_compare("metrics", metrics, found.data.metrics, exact, as_text=False),
        *_compare("tags", tags, found.data.tags, False, as_text=True),
    ]
    if status is not None and found.info.status != status:
        problems.append(f"  status: expected {status!r}, got {found.info.status!r}")
    if problems:
        raise AssertionError("\n".join([f"run {found.info.run_id} does not match:", *problems]))
    return found


def assert_metric_history(
    run: Run | str,
    key: str,
    values: Sequence[Any],
    steps: Sequence[int] | None = None,
    tracking_uri: str | None = None,
) -> None:
    """Checks every point of a metric, in step order: its values (compared with `==`, so
    `pytest.approx` works) and, when given, its steps."""
    history = _client(tracking_uri).get_metric_history(_run_id(run), key)
    history = sorted(history, key=lambda m: (m.step, m.timestamp))
    got_values = [m.value for m in history]
    got_steps = [m.step for m in history]
    problems = []
    if got_values != list(values):
        problems.append(f"  values: expected {list(values)!r}, got {got_values!r}")
    if steps is not None and got_steps != list(steps):
        problems.append(f"  steps: expected {list(steps)!r}, got {got_steps!r}")
    if problems:
        raise AssertionError("\n".join([f"metric {key!r} of run {_run_id(run)}:", *problems]))
