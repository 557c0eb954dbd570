"""The `azureml://` tracking URI recipe, offline: the translation to the workspace's https
endpoint, the message when azure-identity is missing, and the token provider's caching (with
a stand-in credential: no Azure here, and no network)."""

from __future__ import annotations

import importlib.machinery
import sys
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

import mlrs
from mlrs import _azureml, _request_headers
from mlrs.exceptions import MlflowException

WORKSPACE = (
    "eastus2.api.azureml.ms/mlflow/v1.0/subscriptions/0000-1111/resourceGroups/rg/providers/"
    "Microsoft.MachineLearningServices/workspaces/ws"
)


def test_an_azureml_uri_becomes_the_workspace_https_endpoint() -> None:
    assert _azureml.https_uri(f"azureml://{WORKSPACE}") == f"https://{WORKSPACE}"
    assert _azureml.https_uri(f"AzureML://{WORKSPACE}/?") == f"https://{WORKSPACE}"
    assert _azureml.https_uri(f"azureml://{WORKSPACE}#frag") == f"https://{WORKSPACE}"
    for bad in ("azureml://", "azureml:///mlflow", "azureml://user@host/x", "https://x/y"):
        with pytest.raises(MlflowException) as info:
            _azureml.https_uri(bad)
        assert info.value.error_code == "INVALID_PARAMETER_VALUE"


def test_without_azure_identity_the_message_names_the_package(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MLRS_SPOOL_DIR", str(tmp_path))
    monkeypatch.setitem(sys.modules, "azure.identity", None)  # as if not installed
    mlrs.set_tracking_uri(f"azureml://{WORKSPACE}")
    assert mlrs.get_tracking_uri() == f"azureml://{WORKSPACE}"
    with pytest.raises(MlflowException) as info:
        mlrs.get_experiment("0")
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
    assert "pip install azure-identity" in info.value.message
    assert "MLFLOW_TRACKING_TOKEN" in info.value.message


class _Credential:
    """Stands in for DefaultAzureCredential: hands out numbered tokens that expire `ttl`
    seconds after they are issued."""

    issued: ClassVar[list[str]] = []
    ttl: ClassVar[float] = 3600.0

    def get_token(self, scope: str) -> types.SimpleNamespace:
        assert scope == "https://management.azure.com/.default"
        token = f"aad-{len(self.issued) + 1}"
        self.issued.append(token)
        return types.SimpleNamespace(token=token, expires_on=int(time.time() + self.ttl))


@pytest.fixture
def fake_identity(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[_Credential]]:
    module = types.ModuleType("azure.identity")
    module.__spec__ = importlib.machinery.ModuleSpec("azure.identity", None)
    module.DefaultAzureCredential = _Credential  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "azure.identity", module)
    monkeypatch.setattr(_Credential, "issued", [])
    yield _Credential
    _request_headers._server_providers.clear()
    _azureml._providers.clear()
    _request_headers._install()


def test_the_workspace_token_is_cached_until_it_nears_expiry(
    fake_identity: type[_Credential], monkeypatch: pytest.MonkeyPatch
) -> None:
    base = _azureml.connect(f"azureml://{WORKSPACE}")
    assert base == f"https://{WORKSPACE}"
    assert _azureml.connect(f"azureml://{WORKSPACE}") == base  # installed once
    assert _request_headers._resolve(base) == [("Authorization", "Bearer aad-1")]
    assert _request_headers._resolve(base) == [("Authorization", "Bearer aad-1")]
    assert _request_headers._resolve("https://other.example") == []
    monkeypatch.setattr(fake_identity, "ttl", 60.0)  # the next token is nearly expired
    provider = _azureml._providers[base]
    provider._expires_on = 0.0
    assert _request_headers._resolve(base) == [("Authorization", "Bearer aad-2")]
    assert _request_headers._resolve(base) == [("Authorization", "Bearer aad-3")]
    assert fake_identity.issued == ["aad-1", "aad-2", "aad-3"]


def test_a_users_provider_wins_over_the_workspace_token(fake_identity: type[_Credential]) -> None:
    base = _azureml.connect(f"azureml://{WORKSPACE}")
    mlrs.set_request_header_provider(lambda: {"Authorization": "Bearer mine"})
    try:
        pairs = _request_headers._resolve(base)
    finally:
        mlrs.set_request_header_provider(None)
    # The engine applies them in order, so the later (the user's) wins.
    assert pairs == [("Authorization", "Bearer aad-1"), ("Authorization", "Bearer mine")]
