"""The `azureml://` tracking URI recipe: an Azure ML workspace's MLflow endpoint is its
`https://` URL with the same host and path, reached with an Azure AD token. mlrs translates
the URI and, for that server only, asks `azure-identity`'s `DefaultAzureCredential` for a token
(cached until five minutes before it expires). Nothing here touches the network until the
first request."""

from __future__ import annotations

import threading
import time

from mlrs.exceptions import INVALID_PARAMETER_VALUE, MlflowException

# The resource Azure ML's MLflow endpoints accept tokens for (Azure Resource Manager).
TOKEN_SCOPE = "https://management.azure.com/.default"
# A token is fetched again this long before it expires.
_REFRESH_MARGIN_S = 300.0

_providers: dict[str, _TokenProvider] = {}
_lock = threading.Lock()


def https_uri(uri: str) -> str:
    """`azureml://<region>.api.azureml.ms/mlflow/v1.0/subscriptions/.../workspaces/<name>`
    (query and fragment dropped) as the `https://` URL whose `/api/2.0/mlflow/` the workspace
    serves."""
    scheme, sep, rest = uri.partition("://")
    if scheme.lower() != "azureml" or not sep:
        raise MlflowException(
            f"Not an Azure ML tracking URI: {uri!r} (expected azureml://<host>/<path>).",
            INVALID_PARAMETER_VALUE,
        )
    rest = rest.split("#", 1)[0].split("?", 1)[0].rstrip("/")
    host = rest.split("/", 1)[0]
    if not host or "@" in host or any(c.isspace() for c in rest):
        raise MlflowException(
            f"Invalid Azure ML tracking URI {uri!r}: expected "
            "azureml://<region>.api.azureml.ms/mlflow/v1.0/subscriptions/<id>/resourceGroups/"
            "<group>/providers/Microsoft.MachineLearningServices/workspaces/<name> (the "
            "workspace's mlflow_tracking_uri).",
            INVALID_PARAMETER_VALUE,
        )
    return "https://" + rest


def _require_azure_identity(uri: str) -> None:
    import importlib.util

    try:
        found = importlib.util.find_spec("azure.identity") is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise MlflowException(
            f"The tracking URI {uri!r} is an Azure ML workspace; mlrs gets its access token "
            "from the azure-identity package, which is not installed. Run `pip install "
            "azure-identity` (and sign in with `az login`, a managed identity or the "
            "AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET variables), or supply the "
            "token yourself: use the workspace's https:// URL with MLFLOW_TRACKING_TOKEN or "
            "mlrs.set_request_header_provider.",
            INVALID_PARAMETER_VALUE,
        )


class _TokenProvider:
    """`Authorization: Bearer <token>` from `DefaultAzureCredential`, fetched on first use and
    again when it nears expiry."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._credential: object = None
        self._token = ""
        self._expires_on = 0.0

    def __call__(self) -> dict[str, str]:
        with self._lock:
            if not self._token or time.time() > self._expires_on - _REFRESH_MARGIN_S:
                if self._credential is None:
                    from azure.identity import DefaultAzureCredential  # type: ignore[import-not-found]

                    self._credential = DefaultAzureCredential()
                access = self._credential.get_token(TOKEN_SCOPE)  # type: ignore[attr-defined]
                self._token = str(access.token)
                self._expires_on = float(access.expires_on)
            return {"Authorization": f"Bearer {self._token}"}


def connect(uri: str) -> str:
    """The workspace's https URL for `uri`, with its token provider installed (once)."""
    from mlrs import _request_headers

    base = https_uri(uri)
    with _lock:
        provider = _providers.get(base)
        if provider is None:
            _require_azure_identity(uri)
            provider = _providers[base] = _TokenProvider()
    _request_headers.set_server_provider(base, provider)
    return base
