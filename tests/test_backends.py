"""The store behind the Python layer is chosen by the tracking URI's scheme."""

from __future__ import annotations

from pathlib import Path

import pytest

import mlrs
from mlrs import _runtime
from mlrs.exceptions import MlflowException


def test_a_sqlite_uri_opens_the_sqlite_backend(fresh_store: Path) -> None:
    store = _runtime.get_store()
    assert store.location == str(fresh_store)
    with mlrs.start_run() as run:
        mlrs.log_metric("m", 1.0)
    assert mlrs.get_run(run.info.run_id).data.metrics == {"m": 1.0}


@pytest.mark.parametrize("uri", ["http://", "http://host:port", "https:///path-only"])
def test_a_malformed_server_uri_is_refused_at_once(uri: str) -> None:
    with pytest.raises(MlflowException) as info:
        _runtime.get_store(uri)
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
    assert uri in info.value.message


def test_database_uris_other_than_sqlite_are_refused_clearly() -> None:
    with pytest.raises(MlflowException) as info:
        _runtime.get_store("postgresql://user@localhost/mlflow")
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
    # The URI is named without its credentials.
    assert "postgresql://localhost/mlflow" in info.value.message
    assert "user@" not in info.value.message
