"""pytest plugin for `make bar`: MLflow's own test files, run with `mlflow` aliased to mlrs.

Loaded with `-p mlrs_bar_plugin` and `--noconftest`: MLflow's tests/conftest.py sets up a
development checkout of mlflow (its private modules, a wheel server, telemetry), none of which is
what the bar measures. This plugin gives the tests what that conftest gives them and what they
rely on (written here, not copied):

- `mlflow` is mlrs from the first import on (`mlrs.install_as_mlflow()`, before pytest imports
  any test module), or the real mlflow when MLRS_BAR_TARGET=mlflow (the reference run);
- every test gets a fresh SQLite tracking store in its own tmp_path, no active run or active
  experiment left over from the test before, and no MLFLOW_* variables it did not set;
- `monkeypatch.setenvs` / `delenvs`, the helpers MLflow's test suite adds to pytest's
  MonkeyPatch, and the `tmp_sqlite_uri` / `run_data` / `run_info` fixtures it defines.
"""

from __future__ import annotations

import json
import os
import uuid
from typing import TYPE_CHECKING, Any

import pytest

if os.environ.get("MLRS_BAR_TARGET", "mlrs") == "mlflow":
    # The reference run: the same files against the real mlflow 3.18, to tell the tests that
    # fail for reasons of their own (another mlflow version, a missing service) from mlrs gaps.
    import mlflow as lib
else:
    import mlrs as lib

    lib.install_as_mlflow()

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from pathlib import Path


def _setenvs(self: pytest.MonkeyPatch, envs: Mapping[str, Any], prepend: str | None = None) -> None:
    for name, value in envs.items():
        self.setenv(name, str(value), prepend)


def _delenvs(self: pytest.MonkeyPatch, names: Any, raising: bool = True) -> None:
    for name in names:
        self.delenv(name, raising)


pytest.MonkeyPatch.setenvs = _setenvs  # type: ignore[attr-defined]
pytest.MonkeyPatch.delenvs = _delenvs  # type: ignore[attr-defined]


def _sqlite_uri(path: Path) -> str:
    return "sqlite:///" + str(path)


@pytest.fixture
def tmp_sqlite_uri(tmp_path: Path) -> str:
    return _sqlite_uri(tmp_path / f"{uuid.uuid4().hex}.sqlite")


@pytest.fixture(autouse=True)
def _bar_isolated_store(
    tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str | None]:
    """A fresh store per test; the run stack, the active experiment and URIs reset after it."""
    for name in list(os.environ):
        if name.startswith("MLFLOW_") and name not in ("MLFLOW_DISABLE_TELEMETRY",):
            monkeypatch.delenv(name)
    uri: str | None = None
    if "notrackingurimock" not in request.keywords:
        uri = _sqlite_uri(tmp_path / f"{uuid.uuid4().hex}.sqlite")
        lib.set_tracking_uri(uri)
    try:
        yield uri
    finally:
        while lib.active_run() is not None:
            lib.end_run()
        lib.clear_active_model()
        if lib.__name__ == "mlrs":
            # mlrs keeps the chosen experiment in mlrs._fluent, not in the attribute of
            # mlflow.tracking.fluent that MLflow's fixtures reset.
            lib._fluent._clear_state("FINISHED")
        fluent: Any = lib.tracking.fluent
        fluent._active_experiment_id = None
        for name in ("MLFLOW_EXPERIMENT_ID", "MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI"):
            os.environ.pop(name, None)
        lib.set_tracking_uri(None)
        lib.set_registry_uri(None)


STUBS: dict[str, dict[str, str]] = {}


class Missing:
    """Stands in for a name whose import failed, so that the module still loads (a module-level
    `TraceState.OK` in a parametrize list); using it in a test raises ImportError naming it."""

    def __init__(self, origin: str) -> None:
        self._origin = origin

    def __getattr__(self, name: str) -> Missing:
        if name.startswith("__"):
            raise AttributeError(name)
        return Missing(f"{self._origin}.{name}")

    def __call__(self, *args: object, **kwargs: object) -> None:
        raise ImportError(f"bar-missing: {self._origin}")

    def __repr__(self) -> str:
        return f"<bar-missing: {self._origin}>"


def record_stub(module: str, name: str, origin: str) -> Missing:
    """Called by a staged test module whose import of `origin` failed (run_bar.guard_imports)."""
    STUBS.setdefault(module, {})[name] = origin
    return Missing(origin)


def pytest_sessionfinish(session: pytest.Session) -> None:
    out = os.environ.get("MLRS_BAR_STUBS")
    if out:
        with open(out, "w") as f:
            json.dump(STUBS, f, indent=1)
