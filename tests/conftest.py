"""Each test gets its own working directory, tracking database and clean mlrs state."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

# pytest's caplog listens at the root logger, and a configured `mlrs` logger does not propagate
# (as MLflow's does not): in this process mlrs leaves logging alone. tests/test_logging.py checks
# the configured logger in child processes.
os.environ["MLFLOW_CONFIGURE_LOGGING"] = "false"

import mlrs

pytest_plugins = ("pytester",)

# A suite started in the background by a non-interactive shell (`make test &`, nohup, some CI
# runners) inherits SIGINT ignored, and so would every process the tests start: Ctrl-C tests of
# `mlrs ui` and the `mlrs run` wrapper would then wait for a signal their process never sees.
# A handler (unlike "ignored") is not inherited across exec: children get the default again.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def fresh_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A working directory under tmp_path and a tracking URI to a new file in it."""
    for name in list(os.environ):
        if name.startswith("MLFLOW_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    # The environment record (an mlrs extension) writes artifacts and tags MLflow has no
    # counterpart for; tests/test_environment.py turns it back on.
    monkeypatch.setenv("MLRS_CAPTURE_ENV", "0")
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "mlflow.db"
    mlrs.set_tracking_uri(f"sqlite:///{db}")
    yield db
    mlrs.reset()


@pytest.fixture(scope="session")
def tracking_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One real `mlflow server` on 127.0.0.1 for the session (it takes long to start), shared
    by the remote-store and the `mlrs ui` over a server tests; yields its URL."""
    from _remote import mlflow_server

    with mlflow_server(tmp_path_factory.mktemp("mlflow-server")) as url:
        yield url
